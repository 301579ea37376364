// The backup and recovery statements of Tibero's SQL, as sys runs them: online backup
// (ALTER DATABASE / TABLESPACE ... BEGIN | END BACKUP), media recovery (ALTER DATABASE
// RECOVER ..., RECOVER LOGFILE, RECOVER CANCEL) and OPEN RESETLOGS. The engine hands these
// actions here; the storage engine and the recovery modules do the work.
import type { ControlFiles } from '../control/control-file.js';
import { withoutBackup, type ControlFileState, type DatafileEntry } from '../control/control-state.js';
import { DbError, isDbError } from '../errors.js';
import { recreateDatafile } from '../instance/database-files.js';
import type { Instance } from '../instance/instance.js';
import { MediaRecovery, recordRecovery, type RecoveryScope, type RecoveryTarget } from '../recovery/media-recovery.js';
import { resetLogs } from '../recovery/resetlogs.js';
import { Datafile } from '../storage/datafile.js';
import type { QueryOutput } from '../wire/engine.js';
import type { AlterDatabaseAction } from './ast.js';

/** The datafiles of a tablespace (by name, any case), or of the whole database but TEMP. */
export function datafilesOf(state: ControlFileState, tablespace?: string): DatafileEntry[] {
  if (tablespace === undefined) {
    const temporary = new Set(state.tablespaces.filter((ts) => ts.kind === 'TEMP').map((ts) => ts.number));
    return state.datafiles.filter((entry) => !temporary.has(entry.tablespaceNumber));
  }
  const found = state.tablespaces.find((ts) => ts.name.toLowerCase() === tablespace.toLowerCase());
  if (found === undefined) throw new DbError('UNDEFINED_TABLESPACE', `tablespace "${tablespace}" does not exist`);
  if (found.kind === 'TEMP') {
    throw new DbError(
      'INVALID_PARAMETER',
      `tablespace ${found.name} is temporary: it holds nothing to back up or recover`,
    );
  }
  return state.datafiles.filter((entry) => entry.tablespaceNumber === found.number);
}

/** ALTER DATABASE | TABLESPACE t BEGIN BACKUP (OPEN, ARCHIVELOG). */
export async function beginBackup(instance: Instance, tablespace?: string): Promise<number> {
  if (instance.stage !== 'OPEN') {
    throw new DbError('WRONG_INSTANCE_STATE', `BEGIN BACKUP needs the database OPEN; it is ${instance.stage}`);
  }
  const storage = instance.database.storage;
  const files = datafilesOf(storage.control.state, tablespace);
  return storage.beginBackup(files.map((entry) => entry.number));
}

/**
 * ALTER DATABASE | TABLESPACE t END BACKUP. In OPEN the storage engine ends it; in MOUNT
 * (after the instance went down during a backup) the headers and the control file are
 * updated directly, as Oracle and Tibero allow.
 */
export async function endBackup(instance: Instance, tablespace?: string): Promise<void> {
  if (instance.stage === 'OPEN') {
    const storage = instance.database.storage;
    const files = datafilesOf(storage.control.state, tablespace).filter(
      (entry) => tablespace !== undefined || entry.backupTsn !== undefined,
    );
    if (files.length === 0) throw new DbError('BACKUP_MODE', 'no datafile is in backup mode');
    await storage.endBackup(files.map((entry) => entry.number));
    return;
  }
  if (instance.stage !== 'MOUNT') {
    throw new DbError('WRONG_INSTANCE_STATE', `END BACKUP needs the database MOUNT or OPEN; it is ${instance.stage}`);
  }
  const control = instance.controlFiles;
  const files = datafilesOf(control.state, tablespace).filter((entry) => entry.backupTsn !== undefined);
  if (files.length === 0) throw new DbError('BACKUP_MODE', 'no datafile is in backup mode');
  for (const entry of files) {
    const datafile = await Datafile.open(instance.io.fs, entry.path, entry.number, control.state.blockBytes);
    try {
      await datafile.writeHeader({ backupTsn: 0 });
    } finally {
      await datafile.close();
    }
  }
  const ended = new Set(files.map((entry) => entry.number));
  await control.update((current) => ({
    ...current,
    datafiles: current.datafiles.map((entry) => (ended.has(entry.number) ? withoutBackup(entry) : entry)),
  }));
  instance.alert.notice(`end backup (MOUNT): datafiles ${[...ended].join(', ')}`);
}

// ---------------------------------------------------------------------------------------
// Media recovery: ALTER DATABASE RECOVER ..., RECOVER LOGFILE, RECOVER CANCEL, OPEN RESETLOGS.

type RecoverAction = Extract<AlterDatabaseAction, { kind: 'recover' }>;

/** The recovery in progress on an instance (one at a time), between RECOVER statements. */
const inProgress = new WeakMap<Instance, { recovery: MediaRecovery; target: RecoveryTarget }>();

/** The instance's control files in MOUNT, or the open storage's. */
function controlOf(instance: Instance): ControlFiles {
  return instance.stage === 'OPEN' ? instance.database.storage.control : instance.controlFiles;
}

function say(out: QueryOutput, message: string): void {
  out.notice({ severity: 'NOTICE', sqlState: '00000', message });
}

/**
 * ALTER DATABASE RECOVER [AUTOMATIC] DATABASE | TABLESPACE t | DATAFILE f [UNTIL ...]:
 * starts a recovery. AUTOMATIC applies every log it finds and, when the target is reached,
 * finishes; otherwise the recovery waits for RECOVER LOGFILE 'path' (each one), and for
 * RECOVER CANCEL to end an incomplete one. Notices tell the operator what is needed next.
 */
export async function recover(instance: Instance, action: RecoverAction, out: QueryOutput): Promise<void> {
  switch (action.target.kind) {
    case 'cancel':
      return cancelRecovery(instance, out);
    case 'logfile':
      return applyLogfile(instance, action.target.path, out);
    default:
      break;
  }
  if (inProgress.has(instance)) {
    throw new DbError('RECOVERY_STATE', 'a media recovery is already in progress: continue it, or RECOVER CANCEL');
  }
  const control = controlOf(instance);
  const state = control.state;
  const target = recoveryTarget(action);
  let scope: RecoveryScope;
  if (action.target.kind === 'database') {
    if (instance.stage !== 'MOUNT') {
      throw new DbError(
        'WRONG_INSTANCE_STATE',
        `RECOVER DATABASE needs the database in MOUNT; it is ${instance.stage}`,
      );
    }
    scope = { fileNumbers: datafilesOf(state).map((entry) => entry.number), database: true };
  } else {
    const files =
      action.target.kind === 'tablespace'
        ? action.target.names.flatMap((name) => datafilesOf(state, name))
        : action.target.files.map((ref) => datafileByRef(instance, state, ref));
    scope = { fileNumbers: files.map((entry) => entry.number), database: false };
    if (instance.stage === 'OPEN') {
      // Online partial recovery: only files taken offline, whose redo ends where they went offline.
      const online = files.filter((entry) => (entry.status ?? 'ONLINE') === 'ONLINE');
      if (online.length > 0) {
        throw new DbError(
          'WRONG_INSTANCE_STATE',
          `datafile ${online[0].number} ('${online[0].path}') is online: take its tablespace OFFLINE before recovering it while the database is OPEN`,
        );
      }
      const offlineTsn = Math.max(...files.map((entry) => entry.offlineTsn ?? 0));
      scope = { ...scope, completeAtTsn: offlineTsn };
    } else if (instance.stage !== 'MOUNT') {
      throw new DbError('WRONG_INSTANCE_STATE', `media recovery needs MOUNT (or OPEN for an offline tablespace)`);
    }
  }
  const recovery = await MediaRecovery.start(
    {
      fs: instance.io.fs,
      clock: instance.io.clock,
      alert: instance.alert,
      control,
      archiveDestinations: instance.archiveDestinations,
      doublewritePath: `${instance.directory}/recovery.dbw`,
      // In MOUNT the buffer cache's memory is free; while OPEN it is in use.
      cacheBlocks: instance.stage === 'MOUNT' ? instance.bufferCacheBlocks : 2048,
    },
    scope,
    target,
  );
  inProgress.set(instance, { recovery, target });
  try {
    if (action.automatic) await recovery.applyAvailable();
  } catch (error) {
    // Out of logs before the target: the statement fails, but an incomplete recovery stays
    // open, as in Tibero: restore the log and name it (RECOVER LOGFILE), or RECOVER CANCEL.
    if (!isDbError(error) || error.codeName !== 'RECOVERY_LOG_NEEDED' || target.kind === 'complete') {
      await abandon(instance);
    }
    throw error;
  }
  await continueOrFinish(instance, out);
}

async function applyLogfile(instance: Instance, path: string, out: QueryOutput): Promise<void> {
  const current = inProgress.get(instance);
  if (current === undefined) {
    throw new DbError('RECOVERY_STATE', 'no media recovery is in progress: start one with ALTER DATABASE RECOVER ...');
  }
  await current.recovery.applyFile(resolvePath(instance, path));
  await continueOrFinish(instance, out);
}

/** After each step: finish when the target is reached; otherwise say which log comes next. */
async function continueOrFinish(instance: Instance, out: QueryOutput): Promise<void> {
  const { recovery, target } = inProgress.get(instance)!;
  if (recovery.done) {
    await finishRecovery(instance, out);
    return;
  }
  const needed = (await recovery.needed())!;
  say(
    out,
    `media recovery needs log sequence ${needed.sequence} (redo from TSN ${needed.fromTsn}); suggestion: ` +
      `'${needed.suggestion}'; apply it with ALTER DATABASE RECOVER LOGFILE '...'` +
      (target.kind === 'complete' ? '' : ', or end the recovery with ALTER DATABASE RECOVER CANCEL'),
  );
}

async function finishRecovery(instance: Instance, out: QueryOutput): Promise<void> {
  const { recovery, target } = inProgress.get(instance)!;
  inProgress.delete(instance);
  try {
    const outcome = await recovery.finish();
    await recordRecovery(controlOf(instance), outcome, target, { whileOpen: instance.stage === 'OPEN' });
    say(
      out,
      `media recovery ${outcome.kind}: recovered to TSN ${outcome.recoveredToTsn} (${outcome.logsApplied} logs applied)` +
        (outcome.kind === 'incomplete' ? '; open the database with ALTER DATABASE OPEN RESETLOGS' : ''),
    );
  } catch (error) {
    await recovery.close();
    throw error;
  }
}

/** RECOVER CANCEL: ends an incomplete recovery where it is; a complete one is abandoned. */
async function cancelRecovery(instance: Instance, out: QueryOutput): Promise<void> {
  const current = inProgress.get(instance);
  if (current === undefined) throw new DbError('RECOVERY_STATE', 'no media recovery is in progress');
  if (current.target.kind === 'complete') {
    await abandon(instance);
    say(out, 'media recovery cancelled; the datafiles still need recovery');
    return;
  }
  await finishRecovery(instance, out);
}

async function abandon(instance: Instance): Promise<void> {
  const current = inProgress.get(instance);
  inProgress.delete(instance);
  await current?.recovery.close();
}

/** ALTER DATABASE OPEN RESETLOGS: a new incarnation at the recovery point, then OPEN. */
export async function openResetlogs(instance: Instance, out: QueryOutput): Promise<void> {
  if (instance.stage !== 'MOUNT') {
    throw new DbError('WRONG_INSTANCE_STATE', `OPEN RESETLOGS needs the database in MOUNT; it is ${instance.stage}`);
  }
  if (inProgress.has(instance)) {
    throw new DbError('RECOVERY_STATE', 'a media recovery is in progress: finish it or RECOVER CANCEL first');
  }
  const incarnation = await resetLogs(instance.controlFiles, {
    fs: instance.io.fs,
    clock: instance.io.clock,
    alert: instance.alert,
  });
  await instance.open();
  say(out, `database opened with RESETLOGS: incarnation ${incarnation.number} from TSN ${incarnation.resetlogsTsn}`);
}

/** Refuses a plain OPEN while a recovery is in progress. */
export function checkNoRecovery(instance: Instance): void {
  if (inProgress.has(instance)) {
    throw new DbError('RECOVERY_STATE', 'a media recovery is in progress: finish it or RECOVER CANCEL first');
  }
}

function recoveryTarget(action: RecoverAction): RecoveryTarget {
  const until = action.until;
  if (until === undefined) return { kind: 'complete' };
  switch (until.kind) {
    case 'cancel':
      return { kind: 'cancel' };
    case 'change':
      if (until.tsn < 0n || until.tsn > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new DbError('INVALID_PARAMETER', `UNTIL CHANGE ${until.tsn} is not a TSN`);
      }
      return { kind: 'change', tsn: Number(until.tsn) };
    case 'time':
      return { kind: 'time', ms: parseRecoveryTime(until.time) };
  }
}

/** 'YYYY-MM-DD HH24:MI:SS' in the server's local time, as Tibero reads it. */
export function parseRecoveryTime(text: string): number {
  const match = /^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})\s*$/.exec(text);
  if (match === null) {
    throw new DbError('INVALID_PARAMETER', `UNTIL TIME '${text}': expected 'YYYY-MM-DD HH24:MI:SS'`);
  }
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const date = new Date(year, month - 1, day, hour, minute, second);
  if (date.getMonth() !== month - 1 || date.getDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new DbError('INVALID_PARAMETER', `UNTIL TIME '${text}' is not a valid date and time`);
  }
  // The whole second is included: every record written before the next second.
  return date.getTime() + 999;
}

function resolvePath(instance: Instance, path: string): string {
  return path.startsWith('/') ? path : `${instance.directory}/${path}`;
}

function datafileByRef(instance: Instance, state: ControlFileState, ref: string | number): DatafileEntry {
  const entry =
    typeof ref === 'number'
      ? state.datafiles.find((candidate) => candidate.number === ref)
      : state.datafiles.find((candidate) => candidate.path === resolvePath(instance, ref));
  if (entry === undefined) {
    throw new DbError(
      'NO_SUCH_DATABASE_FILE',
      `${typeof ref === 'number' ? `datafile ${ref}` : `'${ref}'`} is not a datafile of this database`,
    );
  }
  return entry;
}

// ---------------------------------------------------------------------------------------
// Offline and online tablespaces and datafiles; CREATE DATAFILE.

/** ALTER TABLESPACE t OFFLINE [NORMAL | IMMEDIATE] (OPEN): the caller holds its tables' locks. */
export async function tablespaceOffline(
  instance: Instance,
  tablespace: string,
  mode: 'normal' | 'immediate',
): Promise<number> {
  const storage = instance.database.storage;
  const state = storage.control.state;
  const found = state.tablespaces.find((ts) => ts.name.toLowerCase() === tablespace.toLowerCase());
  if (found !== undefined && found.kind !== 'USER') {
    throw new DbError('INVALID_PARAMETER', `the ${found.kind} tablespace ${found.name} cannot be taken offline`);
  }
  return storage.takeOffline(
    datafilesOf(state, tablespace).map((entry) => entry.number),
    mode,
  );
}

/** ALTER TABLESPACE t ONLINE (OPEN). */
export async function tablespaceOnline(instance: Instance, tablespace: string): Promise<void> {
  const storage = instance.database.storage;
  await storage.bringOnline(datafilesOf(storage.control.state, tablespace).map((entry) => entry.number));
}

/** ALTER DATABASE DATAFILE f OFFLINE | ONLINE: in OPEN as for its tablespace; in MOUNT, the control file only. */
export async function datafileOnlineOffline(instance: Instance, ref: string | number, online: boolean): Promise<void> {
  const control = controlOf(instance);
  const entry = datafileByRef(instance, control.state, ref);
  if (instance.stage === 'OPEN') {
    const storage = instance.database.storage;
    if (online) await storage.bringOnline([entry.number]);
    else await storage.takeOffline([entry.number], 'immediate');
    return;
  }
  // MOUNT: a file taken offline here is opened without it; bringing it online requires it current.
  await control.update((current) => ({
    ...current,
    datafiles: current.datafiles.map((candidate) => {
      if (candidate.number !== entry.number) return candidate;
      if (!online) return { ...candidate, status: 'RECOVER' as const, offlineTsn: current.checkpoint.tsn };
      const { status: _status, offlineTsn: _offlineTsn, ...rest } = candidate;
      return rest;
    }),
  }));
  instance.alert.notice(`datafile ${entry.number} ${online ? 'online' : 'offline'} (MOUNT)`);
}

/**
 * ALTER DATABASE CREATE DATAFILE 'path' [AS 'new']: a lost datafile with no backup is made
 * again, empty, as it was when created; recovery then replays every change since its
 * creation from the archived and online logs (they must all still exist).
 */
export async function createDatafile(instance: Instance, ref: string | number, as?: string): Promise<void> {
  const control = controlOf(instance);
  const state = control.state;
  const entry = datafileByRef(instance, state, ref);
  if (instance.stage === 'OPEN' && (entry.status ?? 'ONLINE') === 'ONLINE') {
    throw new DbError(
      'WRONG_INSTANCE_STATE',
      `datafile ${entry.number} is online: take its tablespace OFFLINE IMMEDIATE first, or do this in MOUNT`,
    );
  }
  const path = as === undefined ? entry.path : resolvePath(instance, as);
  if (await instance.io.fs.exists(path)) {
    throw new DbError(
      'FILE_EXISTS',
      `'${path}' exists: CREATE DATAFILE makes a lost file anew; remove or move the old one`,
    );
  }
  const datafile = await recreateDatafile(instance.io.fs, state, entry, {
    path,
    checkpointTsn: entry.creationTsn,
    nowMs: instance.io.clock.nowMs(),
  });
  await datafile.sync();
  await datafile.close();
  await control.update((current) => ({
    ...current,
    datafiles: current.datafiles.map((candidate) =>
      candidate.number === entry.number
        ? {
            ...candidate,
            path,
            checkpointTsn: entry.creationTsn,
            status: 'RECOVER' as const,
            offlineTsn: candidate.offlineTsn ?? current.checkpoint.tsn,
          }
        : candidate,
    ),
  }));
  instance.alert.notice(
    `CREATE DATAFILE: datafile ${entry.number} made anew at '${path}' as of its creation (TSN ${entry.creationTsn}); recover it next`,
  );
}
