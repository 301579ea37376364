// ALTER DATABASE OPEN RESETLOGS, after an incomplete recovery: the redo after the recovery
// point is abandoned, so the database starts a new incarnation there. The log sequence
// restarts at 1, every online log is recreated empty (the first group becomes CURRENT),
// and the datafile headers and the control file carry the new incarnation's resetlogs
// TSN, which makes redo and backups of the old incarnation recognisably foreign.
//
// Steps, each safe to repeat after a crash: the log members, then the datafile headers,
// then the control file (until it is updated, OPEN RESETLOGS can simply run again).
import type { Clock, FileSystem } from '@tandem/testkit';
import { parentOf, type ControlFiles } from '../control/control-file.js';
import { emptiedLogGroup, type Incarnation, type LogGroupEntry } from '../control/control-state.js';
import { DbError } from '../errors.js';
import type { AlertLog } from '../instance/alert-log.js';
import { removeFileIfPresent } from '../instance/database-files.js';
import { createLogMember, LOG_FILE_HEADER_BYTES } from '../redo/log-file.js';
import { Datafile } from '../storage/datafile.js';

export async function resetLogs(
  control: ControlFiles,
  io: { readonly fs: FileSystem; readonly clock: Clock; readonly alert: AlertLog },
): Promise<Incarnation> {
  const state = control.state;
  if (state.mediaRecovery === undefined) {
    throw new DbError(
      'RESETLOGS_REQUIRED',
      'OPEN RESETLOGS is only for after an incomplete media recovery (RECOVER ... UNTIL); open with ALTER DATABASE OPEN',
    );
  }
  const { fs, clock, alert } = io;
  const resetlogsTsn = state.mediaRecovery.recoveredToTsn + 1;
  const nowMs = clock.nowMs();
  const incarnation: Incarnation = {
    number: state.incarnation.number + 1,
    resetlogsTsn,
    resetlogsMs: nowMs,
    parent: state.incarnation.number,
  };
  const groups = [...state.logGroups].sort((a, b) => a.number - b.number);
  const first = groups[0];
  for (const group of groups) {
    const header = {
      dbId: state.dbId,
      groupNumber: group.number,
      sequence: group === first ? 1 : 0,
      firstTsn: group === first ? resetlogsTsn : 0,
      resetlogsTsn,
      createdMs: nowMs,
      sizeBytes: group.sizeBytes,
    };
    for (const member of group.members) {
      await removeFileIfPresent(fs, member.path);
      await fs.mkdir(parentOf(member.path), { recursive: true });
      await createLogMember(fs, member.path, header);
      await fs.syncDirectory(parentOf(member.path));
    }
  }
  for (const entry of state.datafiles) {
    if (!(await fs.exists(entry.path))) continue; // a TEMP file, recreated at OPEN
    const datafile = await Datafile.open(fs, entry.path, entry.number, state.blockBytes);
    try {
      await datafile.writeHeader({ resetlogsTsn, checkpointTsn: resetlogsTsn, checkpointMs: nowMs });
    } finally {
      await datafile.close();
    }
  }
  await control.update((current) => {
    const { mediaRecovery: _done, ...rest } = current;
    return {
      ...rest,
      incarnation,
      pastIncarnations: [...(current.pastIncarnations ?? []), current.incarnation],
      checkpoint: { sequence: 1, offsetBytes: LOG_FILE_HEADER_BYTES, tsn: resetlogsTsn },
      checkpointMs: nowMs,
      cleanShutdown: true,
      datafiles: current.datafiles.map((entry) => ({ ...entry, checkpointTsn: resetlogsTsn })),
      logGroups: current.logGroups.map((group): LogGroupEntry =>
        group.number === first.number
          ? { ...emptiedLogGroup(group), sequence: 1, firstTsn: resetlogsTsn, state: 'CURRENT' }
          : emptiedLogGroup(group),
      ),
    };
  });
  alert.notice(
    `OPEN RESETLOGS: incarnation ${incarnation.number} begins at TSN ${resetlogsTsn} (after incarnation ${state.incarnation.number}); ` +
      `log sequence restarts at 1; take a new backup`,
  );
  return incarnation;
}
