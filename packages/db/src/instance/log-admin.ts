// Online redo log administration while the database is OPEN: the equivalents of ALTER
// DATABASE ADD/DROP LOGFILE [MEMBER], the seed's "drop the failed member and recreate it",
// and ALTER SYSTEM SWITCH LOGFILE / CHECKPOINT. Each change runs while no log switch does
// (LogWriter.administer), and orders its steps so that a crash at any point leaves a control
// file that names only files which exist and hold what their status says.
//
// Crash order: a new file is created and synced before the control file names it; a dropped
// file is removed from the control file before it is deleted. A crash in between leaves at
// worst an orphan file, which a later add refuses to overwrite (TDB-1008) until removed.
import type { ControlFileState, LogGroupEntry, LogMemberEntry, LogMemberStatus } from '../control/control-state.js';
import { parentOf } from '../control/control-file.js';
import { assert } from '../assert.js';
import { DbError } from '../errors.js';
import { MIN_LOG_FILE_BYTES } from '../redo/log-file.js';
import { mtrReserveBytes } from '../txn/cache-mini-transaction.js';
import {
  createMemberFile,
  emptyMemberHeader,
  errorText,
  findLogGroup,
  findLogMember,
  removeFileIfPresent,
  requirePathUnused,
} from './database-files.js';
import type { Storage } from './storage.js';

export interface AddLogGroupSpec {
  /** One path per member; at least one. */
  readonly members: readonly string[];
  readonly sizeBytes: number;
}

/**
 * The status a new (or recreated) member of `group` gets. An UNUSED group holds no redo, so a
 * new member is as good as the others. Any other group already holds redo the new file lacks:
 * the member is STALE, neither read nor written until LGWR next switches into the group and
 * writes it from the start of the new sequence (then it is VALID).
 */
function newMemberStatus(group: LogGroupEntry): LogMemberStatus {
  return group.state === 'UNUSED' ? 'VALID' : 'STALE';
}

function withGroup(
  state: ControlFileState,
  groupNumber: number,
  change: (group: LogGroupEntry) => LogGroupEntry,
): ControlFileState {
  return {
    ...state,
    logGroups: state.logGroups.map((group) => (group.number === groupNumber ? change(group) : group)),
  };
}

function withMemberStatus(state: ControlFileState, path: string, status: LogMemberStatus): ControlFileState {
  const { group } = findLogMember(state, path);
  return withGroup(state, group.number, (entry) => ({
    ...entry,
    members: entry.members.map((member) => (member.path === path ? { ...member, status } : member)),
  }));
}

/**
 * Refuses to take a VALID `member` out of use (drop it, or recreate it over its file): LGWR
 * writes the CURRENT group's VALID members, and a group needs a VALID member to hold its redo.
 */
function requireMemberRemovable(group: LogGroupEntry, member: LogMemberEntry, action: string): void {
  if (group.state === 'CURRENT' && member.status === 'VALID') {
    throw new DbError(
      'REDO_LOG_IN_USE',
      `cannot ${action} log member '${member.path}': group ${group.number} is CURRENT and LGWR is writing it; ` +
        `switch logs first (ALTER SYSTEM SWITCH LOGFILE)`,
    );
  }
  const validCount = group.members.filter((entry) => entry.status === 'VALID').length;
  if (member.status === 'VALID' && validCount === 1) {
    throw new DbError(
      'REDO_LOG_IN_USE',
      `cannot ${action} log member '${member.path}': it is the last VALID member of log group ${group.number}; ` +
        `add another member and let a log switch into the group make it VALID first, or drop the whole group`,
    );
  }
}

/**
 * ALTER DATABASE ADD LOGFILE MEMBER: creates `path` as a new member of group `groupNumber`.
 * Returns its status: VALID for an UNUSED group, else STALE until the next switch into the
 * group. Refuses a path the database uses or where a file exists (TDB-1008).
 */
export function addLogMember(storage: Storage, groupNumber: number, path: string): Promise<LogMemberStatus> {
  const { fs, alert, clock } = storage.io;
  return storage.redo.administer(async () => {
    const before = storage.control.state;
    const group = findLogGroup(before, groupNumber);
    requirePathUnused(before, storage.control.paths, path);
    await createMemberFile(fs, path, emptyMemberHeader(before, groupNumber, group.sizeBytes, clock.nowMs()));
    // No log switch runs meanwhile (administer), so the group's state, and with it the
    // status chosen here, cannot change under us; the assert pairs with that.
    const status = newMemberStatus(group);
    try {
      await storage.control.update((state) => {
        const now = findLogGroup(state, groupNumber);
        assert(
          newMemberStatus(now) === status,
          () => `log group ${groupNumber} went from ${group.state} to ${now.state} during log administration`,
        );
        requirePathUnused(state, storage.control.paths, path);
        return withGroup(state, groupNumber, (entry) => ({
          ...entry,
          members: [...entry.members, { path, status }],
        }));
      });
    } catch (error) {
      await removeFileIfPresent(fs, path).catch(() => undefined);
      throw error;
    }
    alert.notice(
      `ALTER DATABASE ADD LOGFILE MEMBER '${path}' TO GROUP ${groupNumber}: member added, ${status}` +
        (status === 'STALE' ? ' (written from the next log switch into the group on)' : ''),
    );
    return status;
  });
}

/**
 * ALTER DATABASE DROP LOGFILE MEMBER: removes `path` from its group in the control file, then
 * deletes the file (a file already gone, as after the seed's deleted member, is fine).
 * Refuses (TDB-2009) a member of the CURRENT group, the last VALID member of a group, and a
 * group's only member (drop the group instead).
 */
export function dropLogMember(storage: Storage, path: string): Promise<void> {
  const { alert } = storage.io;
  return storage.redo.administer(async () => {
    let groupNumber = 0;
    await storage.control.update((state) => {
      const { group, member } = findLogMember(state, path);
      // Oracle refuses any member of the CURRENT group, even one LGWR does not write.
      if (group.state === 'CURRENT') {
        throw new DbError(
          'REDO_LOG_IN_USE',
          `cannot drop log member '${path}': group ${group.number} is CURRENT; switch logs first (ALTER SYSTEM SWITCH LOGFILE)`,
        );
      }
      if (group.members.length === 1) {
        throw new DbError(
          'REDO_LOG_IN_USE',
          `cannot drop log member '${path}': it is the only member of log group ${group.number}; drop the group instead`,
        );
      }
      requireMemberRemovable(group, member, 'drop');
      groupNumber = group.number;
      return withGroup(state, group.number, (entry) => ({
        ...entry,
        members: entry.members.filter((candidate) => candidate.path !== path),
      }));
    });
    await deleteDroppedFile(storage, path);
    alert.notice(`ALTER DATABASE DROP LOGFILE MEMBER '${path}': member of group ${groupNumber} dropped`);
  });
}

/**
 * The seed's recovery of a failed member ("drop the member and recreate it"), in one step:
 * replaces the file at `path` with an empty member. An INVALID or STALE member may be
 * recreated in any group (LGWR does not have it open); a VALID one only where it could be
 * dropped. Returns the new status (STALE, or VALID in an UNUSED group).
 */
export function recreateLogMember(storage: Storage, path: string): Promise<LogMemberStatus> {
  const { fs, alert, clock } = storage.io;
  return storage.redo.administer(async () => {
    const { group, member } = findLogMember(storage.control.state, path);
    requireMemberRemovable(group, member, 'recreate');
    // Out of use first, so that no reader ever meets the file half made.
    if (member.status !== 'INVALID') {
      await storage.control.update((state) => withMemberStatus(state, path, 'INVALID'));
    }
    await removeFileIfPresent(fs, path);
    await createMemberFile(
      fs,
      path,
      emptyMemberHeader(storage.control.state, group.number, group.sizeBytes, clock.nowMs()),
    );
    const status = newMemberStatus(group);
    await storage.control.update((state) => withMemberStatus(state, path, status));
    alert.notice(`log member '${path}' of group ${group.number} recreated (was ${member.status}), now ${status}`);
    return status;
  });
}

/**
 * ALTER DATABASE ADD LOGFILE: creates a new group, numbered one above the highest, with its
 * members UNUSED (empty). Returns its number. LGWR uses it when the switch order (by group
 * number) reaches it.
 */
export function addLogGroup(storage: Storage, spec: AddLogGroupSpec): Promise<number> {
  const { fs, alert, clock } = storage.io;
  return storage.redo.administer(async () => {
    const before = storage.control.state;
    const sizeBytesMin = Math.max(MIN_LOG_FILE_BYTES, 16 * mtrReserveBytes(before.blockBytes));
    if (!Number.isSafeInteger(spec.sizeBytes) || spec.sizeBytes < sizeBytesMin) {
      throw new DbError(
        'REDO_LOG_CONFIG',
        `log files of ${spec.sizeBytes} bytes are too small for ${before.blockBytes}-byte blocks; use at least ${sizeBytesMin}`,
      );
    }
    if (spec.members.length === 0) throw new DbError('REDO_LOG_CONFIG', 'a log group needs at least 1 member, got 0');
    const repeated = spec.members.find((path, i) => spec.members.indexOf(path) !== i);
    if (repeated !== undefined) {
      throw new DbError('FILE_EXISTS', `'${repeated}' is named twice as a member of the new log group`);
    }
    for (const path of spec.members) requirePathUnused(before, storage.control.paths, path);
    const groupNumber = Math.max(...before.logGroups.map((group) => group.number)) + 1;

    const created: string[] = [];
    try {
      for (const path of spec.members) {
        await createMemberFile(fs, path, emptyMemberHeader(before, groupNumber, spec.sizeBytes, clock.nowMs()));
        created.push(path);
      }
      await storage.control.update((state) => {
        assert(
          !state.logGroups.some((group) => group.number === groupNumber),
          () => `log group ${groupNumber} appeared during log administration`,
        );
        for (const path of spec.members) requirePathUnused(state, storage.control.paths, path);
        const group: LogGroupEntry = {
          number: groupNumber,
          sizeBytes: spec.sizeBytes,
          members: spec.members.map((path) => ({ path, status: 'VALID' as const })),
          sequence: 0,
          firstTsn: 0,
          endBytes: 0,
          nextTsn: 0,
          state: 'UNUSED',
        };
        return { ...state, logGroups: [...state.logGroups, group] };
      });
    } catch (error) {
      for (const path of created) await removeFileIfPresent(fs, path).catch(() => undefined);
      throw error;
    }
    alert.notice(
      `ALTER DATABASE ADD LOGFILE GROUP ${groupNumber} (${spec.members.map((path) => `'${path}'`).join(', ')}) ` +
        `SIZE ${spec.sizeBytes}: group added, UNUSED`,
    );
    return groupNumber;
  });
}

/**
 * ALTER DATABASE DROP LOGFILE GROUP: removes group `groupNumber` from the control file, then
 * deletes its members' files. Refuses (TDB-2009) the CURRENT group, an ACTIVE one (crash
 * recovery needs its redo: checkpoint first), and (TDB-2007) leaving fewer than two groups.
 */
export function dropLogGroup(storage: Storage, groupNumber: number): Promise<void> {
  const { alert } = storage.io;
  return storage.redo.administer(async () => {
    let dropped: LogGroupEntry | undefined;
    await storage.control.update((state) => {
      const group = findLogGroup(state, groupNumber);
      if (group.state === 'CURRENT') {
        throw new DbError(
          'REDO_LOG_IN_USE',
          `cannot drop log group ${groupNumber}: it is CURRENT; switch logs first (ALTER SYSTEM SWITCH LOGFILE)`,
        );
      }
      // The second condition is the first seen from the redo: every group that crash
      // recovery reads has a sequence from the checkpoint's on. ACTIVE implies it.
      if (group.state === 'ACTIVE' || (group.state !== 'UNUSED' && group.sequence >= state.checkpoint.sequence)) {
        throw new DbError(
          'REDO_LOG_IN_USE',
          `cannot drop log group ${groupNumber}: it is ${group.state} and crash recovery still needs its redo; ` +
            `run a checkpoint first (ALTER SYSTEM CHECKPOINT)`,
        );
      }
      if (state.logGroups.length <= 2) {
        throw new DbError(
          'REDO_LOG_CONFIG',
          `cannot drop log group ${groupNumber}: a database needs at least 2 log groups; add one first`,
        );
      }
      if (group.archived === false) {
        throw new DbError(
          'REDO_LOG_IN_USE',
          `cannot drop log group ${groupNumber}: sequence ${group.sequence} is not archived yet, and media recovery ` +
            `would need it; wait for the archiver (v$log.ARCHIVED), or fix the archive destination`,
        );
      }
      dropped = group;
      return { ...state, logGroups: state.logGroups.filter((entry) => entry.number !== groupNumber) };
    });
    assert(dropped !== undefined, 'the control file update ran');
    for (const member of dropped.members) await deleteDroppedFile(storage, member.path);
    alert.notice(
      `ALTER DATABASE DROP LOGFILE GROUP ${groupNumber}: group dropped, ` +
        `files deleted (${dropped.members.map((member) => `'${member.path}'`).join(', ')})`,
    );
  });
}

/** ALTER SYSTEM SWITCH LOGFILE: writes what is buffered and moves LGWR to the next group. */
export function alterSystemSwitchLogfile(storage: Storage): Promise<void> {
  return storage.redo.switchLogfile();
}

/**
 * ALTER SYSTEM ARCHIVE LOG CURRENT: switches logs, then waits until the archiver has copied
 * every log up to the one just switched out (what a backup needs to be recoverable).
 * Refused in NOARCHIVELOG mode. Returns the sequence archived.
 */
export async function alterSystemArchiveLogCurrent(storage: Storage): Promise<number> {
  if (storage.control.state.logMode !== 'ARCHIVELOG') {
    throw new DbError('WRONG_INSTANCE_STATE', 'ALTER SYSTEM ARCHIVE LOG CURRENT needs the database in ARCHIVELOG mode');
  }
  const sequence = storage.redo.sequence;
  await storage.redo.switchLogfile();
  await storage.archiver.whenSequenceArchived(sequence);
  return sequence;
}

/**
 * ALTER SYSTEM CHECKPOINT: writes every dirty block and records a full checkpoint, which
 * turns ACTIVE groups INACTIVE (then they can be dropped or cleared).
 */
export function alterSystemCheckpoint(storage: Storage): Promise<void> {
  return storage.checkpointer.full('ALTER SYSTEM CHECKPOINT');
}

/**
 * Deletes a file the control file no longer names. A failure does not undo the drop (the
 * control file is already right); the operator is told to delete the file by hand.
 */
async function deleteDroppedFile(storage: Storage, path: string): Promise<void> {
  try {
    await removeFileIfPresent(storage.io.fs, path);
  } catch (error) {
    storage.io.alert.warning(
      `log file '${path}' was dropped from the database but could not be deleted (${errorText(error)}); ` +
        `delete it by hand (directory '${parentOf(path)}')`,
    );
  }
}
