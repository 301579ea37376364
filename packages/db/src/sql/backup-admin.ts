// The backup and recovery statements of Tibero's SQL, as sys runs them: online backup
// (ALTER DATABASE / TABLESPACE ... BEGIN | END BACKUP). The engine hands these actions
// here; the storage engine and the recovery module do the work.
import type { ControlFileState, DatafileEntry } from '../control/control-state.js';
import { DbError } from '../errors.js';
import type { Instance } from '../instance/instance.js';
import { Datafile } from '../storage/datafile.js';

/** The datafiles of a tablespace (by name, any case), or of the whole database but TEMP. */
export function datafilesOf(state: ControlFileState, tablespace?: string): DatafileEntry[] {
  if (tablespace === undefined) {
    const temporary = new Set(state.tablespaces.filter((ts) => ts.kind === 'TEMP').map((ts) => ts.number));
    return state.datafiles.filter((entry) => !temporary.has(entry.tablespaceNumber));
  }
  const found = state.tablespaces.find((ts) => ts.name.toLowerCase() === tablespace.toLowerCase());
  if (found === undefined) throw new DbError('UNDEFINED_TABLESPACE', `tablespace "${tablespace}" does not exist`);
  if (found.kind === 'TEMP') {
    throw new DbError('INVALID_PARAMETER', `tablespace ${found.name} is temporary: it holds nothing to back up or recover`);
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
    datafiles: current.datafiles.map((entry) => {
      if (!ended.has(entry.number)) return entry;
      const { backupTsn: _backupTsn, ...rest } = entry;
      return rest;
    }),
  }));
  instance.alert.notice(`end backup (MOUNT): datafiles ${[...ended].join(', ')}`);
}
