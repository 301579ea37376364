// Lookups and file steps that the ALTER DATABASE commands share (log-admin.ts while OPEN,
// mount-admin.ts at MOUNT): which file of the database a path is, and how a log member file
// is made or removed, so that every command refuses a path already in use and names its user.
import { isFileSystemError, type FileSystem } from '@tandem/testkit';
import type { ControlFileState, DatafileEntry, LogGroupEntry, LogMemberEntry } from '../control/control-state.js';
import { parentOf } from '../control/control-file.js';
import { DbError } from '../errors.js';
import { createLogMember, type LogFileHeader } from '../redo/log-file.js';
import { Datafile } from '../storage/datafile.js';

/** What in the database uses `path` (words for an error message), or undefined if nothing does. */
export function databaseFileAt(
  state: ControlFileState,
  controlFilePaths: readonly string[],
  path: string,
): string | undefined {
  if (controlFilePaths.includes(path)) return 'a control file';
  const datafile = state.datafiles.find((entry) => entry.path === path);
  if (datafile !== undefined) return `datafile ${datafile.number}`;
  const group = state.logGroups.find((entry) => entry.members.some((member) => member.path === path));
  if (group !== undefined) return `a member of log group ${group.number}`;
  return undefined;
}

/** Throws TDB-1008 if the database already uses `path`. */
export function requirePathUnused(state: ControlFileState, controlFilePaths: readonly string[], path: string): void {
  const user = databaseFileAt(state, controlFilePaths, path);
  if (user !== undefined) {
    throw new DbError('FILE_EXISTS', `'${path}' is already ${user} of database ${state.dbName}; choose another path`);
  }
}

/** The log group numbered `groupNumber`, or TDB-2007. */
export function findLogGroup(state: ControlFileState, groupNumber: number): LogGroupEntry {
  const group = state.logGroups.find((entry) => entry.number === groupNumber);
  if (group === undefined) {
    const numbers = state.logGroups.map((entry) => entry.number).join(', ');
    throw new DbError('REDO_LOG_CONFIG', `log group ${groupNumber} does not exist (the groups are ${numbers})`);
  }
  return group;
}

/** The log member at `path` and its group, or TDB-1009. */
export function findLogMember(
  state: ControlFileState,
  path: string,
): { readonly group: LogGroupEntry; readonly member: LogMemberEntry } {
  for (const group of state.logGroups) {
    const member = group.members.find((entry) => entry.path === path);
    if (member !== undefined) return { group, member };
  }
  throw new DbError('NO_SUCH_DATABASE_FILE', `'${path}' is not a log member of database ${state.dbName}`);
}

/**
 * The header of a member that holds no redo yet (sequence 0). A member added to a group that
 * already holds redo gets it too, not the group's sequence: it lacks that sequence's records,
 * and a reader that met it would take its zeros for the end of the redo. With sequence 0,
 * scanLogGroup refuses it (TDB-2006) even if a caller forgot to read only VALID members.
 */
export function emptyMemberHeader(
  state: ControlFileState,
  groupNumber: number,
  sizeBytes: number,
  createdMs: number,
): LogFileHeader {
  return {
    dbId: state.dbId,
    groupNumber,
    sequence: 0,
    firstTsn: 0,
    resetlogsTsn: state.incarnation.resetlogsTsn,
    createdMs,
    sizeBytes,
  };
}

/**
 * Creates a member file (synced, with its directory), never over an existing file: that
 * may be another database's file, or one left by an interrupted command, which the operator
 * removes. A partly made file is removed again, so that it is never taken for a member.
 */
export async function createMemberFile(fs: FileSystem, path: string, header: LogFileHeader): Promise<void> {
  if (await fs.exists(path)) {
    throw new DbError(
      'FILE_EXISTS',
      `a file already exists at '${path}' (another file, or one left by an interrupted command); remove it or choose another path`,
    );
  }
  try {
    await createLogMember(fs, path, header);
    await fs.syncDirectory(parentOf(path));
  } catch (error) {
    await removeFileIfPresent(fs, path).catch(() => undefined);
    const why = isFileSystemError(error, 'ENOENT') ? 'its directory does not exist' : errorText(error);
    throw new DbError('REDO_LOG_CONFIG', `cannot create log member '${path}': ${why}`, { cause: error });
  }
}

/** Unlinks `path` if it exists, and syncs its directory. A file already gone is what the caller wanted. */
export async function removeFileIfPresent(fs: FileSystem, path: string): Promise<void> {
  try {
    await fs.unlink(path);
  } catch (error) {
    if (!isFileSystemError(error, 'ENOENT')) throw error;
    return;
  }
  await fs.syncDirectory(parentOf(path));
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Makes a datafile the control file knows anew, empty, as it was when created (a lost
 * TEMP file at OPEN; CREATE DATAFILE for a lost file with no backup), at `path` (default
 * its own) with its checkpoint at `checkpointTsn`, and syncs its directory.
 */
export async function recreateDatafile(
  fs: FileSystem,
  state: ControlFileState,
  entry: DatafileEntry,
  options: { readonly path?: string; readonly checkpointTsn: number; readonly nowMs: number },
): Promise<Datafile> {
  const path = options.path ?? entry.path;
  const datafile = await Datafile.create(fs, {
    path,
    sizeBlocks: entry.sizeBlocks,
    maxBlocks: entry.autoextend?.maxBlocks ?? entry.sizeBlocks,
    header: {
      dbId: state.dbId,
      fileNumber: entry.number,
      tablespaceNumber: entry.tablespaceNumber,
      blockBytes: state.blockBytes,
      creationTsn: entry.creationTsn,
      checkpointTsn: options.checkpointTsn,
      checkpointMs: options.nowMs,
      resetlogsTsn: state.incarnation.resetlogsTsn,
    },
  });
  await fs.syncDirectory(parentOf(path));
  return datafile;
}
