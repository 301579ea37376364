// Administration in the MOUNT stage, when the control file is read but no datafile or log
// member is open: ALTER DATABASE RENAME FILE, ARCHIVELOG / NOARCHIVELOG and CLEAR LOGFILE
// GROUP, and the boot check of the online logs. The instance calls these between
// ControlFiles.mount and OPEN; each takes the mounted ControlFiles and the FileSystem.
import type { Clock, FileSystem } from '@tandem/testkit';
import type { ControlFiles } from '../control/control-file.js';
import { emptiedLogGroup, withoutArchived, type LogGroupEntry, type LogMode } from '../control/control-state.js';
import { DbError } from '../errors.js';
import { decodeLogFileHeader, LOG_FILE_HEADER_BYTES } from '../redo/log-file.js';
import { Datafile } from '../storage/datafile.js';
import type { AlertLog } from './alert-log.js';
import {
  createMemberFile,
  emptyMemberHeader,
  findLogGroup,
  findLogMember,
  removeFileIfPresent,
  requirePathUnused,
} from './database-files.js';

/**
 * ALTER DATABASE RENAME FILE for a datafile. The operator has already moved the file to
 * `toPath` (this only changes the control file, as in Oracle); the file there must be this
 * database's datafile with the same number, or TDB-1007. `toPath` missing: TDB-1004.
 */
export async function renameDatafile(
  control: ControlFiles,
  fs: FileSystem,
  fromPath: string,
  toPath: string,
  alert?: AlertLog,
): Promise<void> {
  const state = control.state;
  const entry = state.datafiles.find((datafile) => datafile.path === fromPath);
  if (entry === undefined) {
    throw new DbError('NO_SUCH_DATABASE_FILE', `'${fromPath}' is not a datafile of database ${state.dbName}`);
  }
  if (fromPath === toPath) return;
  requirePathUnused(state, control.paths, toPath);
  if (!(await fs.exists(toPath))) {
    throw new DbError(
      'DATAFILE_MISSING',
      `cannot rename datafile ${entry.number} to '${toPath}': no file there; move the file first (RENAME FILE changes only the control file)`,
    );
  }
  // Datafile.open checks the file number and block size (TDB-1007) and that a header is readable (TDB-1005).
  const datafile = await Datafile.open(fs, toPath, entry.number, state.blockBytes);
  try {
    if (datafile.header.dbId !== state.dbId) {
      throw new DbError(
        'DATAFILE_MISMATCH',
        `'${toPath}' is datafile ${datafile.header.fileNumber} of another database (id ${datafile.header.dbId}, not ${state.dbId})`,
      );
    }
  } finally {
    await datafile.close();
  }
  await control.update((current) => {
    requirePathUnused(current, control.paths, toPath);
    return {
      ...current,
      datafiles: current.datafiles.map((file) => (file.number === entry.number ? { ...file, path: toPath } : file)),
    };
  });
  alert?.notice(`ALTER DATABASE RENAME FILE '${fromPath}' TO '${toPath}': datafile ${entry.number} renamed`);
}

/**
 * ALTER DATABASE RENAME FILE for an online log member, moved to `toPath` beforehand. The file
 * there must be a member of the same group of this database (TDB-2010); an unreadable header
 * is TDB-2006, no file TDB-2004.
 */
export async function renameLogMember(
  control: ControlFiles,
  fs: FileSystem,
  fromPath: string,
  toPath: string,
  alert?: AlertLog,
): Promise<void> {
  const state = control.state;
  const { group } = findLogMember(state, fromPath);
  if (fromPath === toPath) return;
  requirePathUnused(state, control.paths, toPath);
  if (!(await fs.exists(toPath))) {
    throw new DbError(
      'REDO_LOG_MISSING',
      `cannot rename log member '${fromPath}' to '${toPath}': no file there; move the file first (RENAME FILE changes only the control file)`,
    );
  }
  const handle = await fs.open(toPath, { readOnly: true });
  const bytes = new Uint8Array(LOG_FILE_HEADER_BYTES);
  let read: number;
  try {
    read = await handle.read(bytes, 0, LOG_FILE_HEADER_BYTES, 0);
  } finally {
    await handle.close();
  }
  const header = read === LOG_FILE_HEADER_BYTES ? decodeLogFileHeader(bytes) : undefined;
  if (header === undefined) {
    throw new DbError('REDO_LOG_HEADER_CORRUPT', `'${toPath}' has no readable log file header; it is not a log member`);
  }
  if (header.dbId !== state.dbId || header.groupNumber !== group.number || header.sizeBytes !== group.sizeBytes) {
    throw new DbError(
      'REDO_LOG_MISMATCH',
      `'${toPath}' is a member of log group ${header.groupNumber} (database id ${header.dbId}, ${header.sizeBytes} bytes), ` +
        `not of group ${group.number} (database id ${state.dbId}, ${group.sizeBytes} bytes) as '${fromPath}' is`,
    );
  }
  await control.update((current) => {
    requirePathUnused(current, control.paths, toPath);
    return {
      ...current,
      logGroups: current.logGroups.map((entry) =>
        entry.number !== group.number
          ? entry
          : {
              ...entry,
              members: entry.members.map((member) => (member.path === fromPath ? { ...member, path: toPath } : member)),
            },
      ),
    };
  });
  alert?.notice(`ALTER DATABASE RENAME FILE '${fromPath}' TO '${toPath}': log member of group ${group.number} renamed`);
}

/**
 * ALTER DATABASE ARCHIVELOG / NOARCHIVELOG. As in Oracle, only after a clean shutdown: after
 * a crash the online logs hold redo that crash recovery must apply under the old mode, so
 * the database is opened (recovered) and shut down cleanly first (TDB-4001).
 */
export async function setLogMode(control: ControlFiles, mode: LogMode, alert?: AlertLog): Promise<void> {
  const state = control.state;
  if (!state.cleanShutdown) {
    throw new DbError(
      'WRONG_INSTANCE_STATE',
      `cannot change database ${state.dbName} to ${mode}: it was not shut down cleanly; ` +
        `open it (crash recovery runs), shut it down with NORMAL, POST_TX or IMMEDIATE, mount it and retry`,
    );
  }
  if (state.logMode === mode) {
    alert?.notice(`ALTER DATABASE ${mode}: the database is already in ${mode} mode`);
    return;
  }
  // Leaving ARCHIVELOG, logs still waiting for the archiver need not wait any more.
  await control.update((current) => ({
    ...current,
    logMode: mode,
    logGroups: mode === 'NOARCHIVELOG' ? current.logGroups.map(withoutArchived) : current.logGroups,
  }));
  alert?.notice(`ALTER DATABASE ${mode}: log mode changed from ${state.logMode} to ${mode}`);
}

/**
 * ALTER DATABASE CLEAR LOGFILE GROUP: recreates every member of an INACTIVE or UNUSED group
 * as empty files, and the group becomes UNUSED with every member VALID. The seed's recovery
 * of a deleted INACTIVE group ("drop the group and recreate it") without changing its
 * members' paths. Refuses (TDB-2009) the CURRENT and ACTIVE groups: crash recovery reads them.
 */
export async function clearLogGroup(
  control: ControlFiles,
  fs: FileSystem,
  groupNumber: number,
  options: { readonly clock: Clock; readonly alert?: AlertLog; readonly unarchived?: boolean },
): Promise<void> {
  const group = findLogGroup(control.state, groupNumber);
  requireClearable(group);
  if (group.archived === false && options.unarchived !== true) {
    throw new DbError(
      'REDO_LOG_IN_USE',
      `cannot clear log group ${groupNumber}: sequence ${group.sequence} is not archived, and media recovery would ` +
        `need it; ALTER DATABASE CLEAR UNARCHIVED LOGFILE GROUP ${groupNumber} clears it anyway (take a new backup then)`,
    );
  }
  // The files first: while they are remade the control file still calls the group
  // INACTIVE or UNUSED, which nothing reads, and a crash here is repaired by clearing again.
  const header = emptyMemberHeader(control.state, groupNumber, group.sizeBytes, options.clock.nowMs());
  for (const member of group.members) {
    await removeFileIfPresent(fs, member.path);
    await createMemberFile(fs, member.path, header);
  }
  await control.update((state) => {
    const current = findLogGroup(state, groupNumber);
    requireClearable(current);
    return {
      ...state,
      logGroups: state.logGroups.map((entry) => (entry.number !== groupNumber ? entry : emptiedLogGroup(entry))),
    };
  });
  options.alert?.notice(
    `ALTER DATABASE CLEAR LOGFILE GROUP ${groupNumber}: ${group.members.length} members recreated, group ${group.state} -> UNUSED`,
  );
}

function requireClearable(group: LogGroupEntry): void {
  if (group.state === 'CURRENT' || group.state === 'ACTIVE') {
    throw new DbError(
      'REDO_LOG_IN_USE',
      `cannot clear log group ${group.number}: it is ${group.state} and crash recovery reads its redo; ` +
        `restore its members from a copy, or restore the database from a backup and run media recovery`,
    );
  }
}

export interface OnlineLogCheck {
  /** One line per missing member of a group that still has another (for the alert log). */
  readonly warnings: readonly string[];
}

/**
 * The boot check of the online logs (the seed: "boot fails if redo log files are missing"):
 * throws TDB-2004 naming a group none of whose usable members exists, with what to do; a
 * missing member of a group that has another is a warning, as LGWR will skip it. A group's
 * usable members are its VALID ones, and for a group whose redo is not needed (INACTIVE,
 * UNUSED) also its STALE ones, which the next switch into it writes from the start.
 */
export async function verifyOnlineLogs(control: ControlFiles, fs: FileSystem): Promise<OnlineLogCheck> {
  const warnings: string[] = [];
  for (const group of control.state.logGroups) {
    const redoNeeded = group.state === 'CURRENT' || group.state === 'ACTIVE';
    const usable = group.members.filter(
      (member) => member.status === 'VALID' || (!redoNeeded && member.status === 'STALE'),
    );
    const missing: string[] = [];
    for (const member of usable) if (!(await fs.exists(member.path))) missing.push(member.path);
    if (usable.length > 0 && missing.length === usable.length) {
      const what = redoNeeded
        ? 'its redo is needed to open the database: restore the members from a copy, or restore the database from a backup and run media recovery'
        : `clear the group (ALTER DATABASE CLEAR LOGFILE GROUP ${group.number}) to recreate its members`;
      throw new DbError(
        'REDO_LOG_MISSING',
        `every member of ${group.state} log group ${group.number} is missing (${missing.map((path) => `'${path}'`).join(', ')}); ${what}`,
      );
    }
    for (const path of missing) {
      warnings.push(
        `TDB-2002: log member '${path}' of group ${group.number} is missing; the group continues without it ` +
          `(drop and add it again, or recreate it, once the database is open)`,
      );
    }
  }
  return { warnings };
}
