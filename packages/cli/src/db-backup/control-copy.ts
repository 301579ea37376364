// A consistent copy of the control file of a running database. The server rewrites a slot
// of every copy at each checkpoint and log switch, so a plain read can see a slot half
// written. If the server has ALTER DATABASE BACKUP CONTROLFILE TO 'file' it writes the copy
// itself; otherwise the copy is read here and mounted in memory by @tandem/db's own code
// (two slots with checksums: a torn newest slot shows as corrupt), and read again until it
// is whole and recent enough: taken after END BACKUP and after the log switch of ARCHIVE
// LOG CURRENT, so that it describes the backup's end.
import { readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlFileState } from '@tandem/db/files';
import { BackupError, errorMessage, sqlStateOf } from './backup-errors.js';
import { inspectControlFile } from './file-checks.js';
import { quoteLiteral, type ServerLink } from './server-link.js';

export interface ControlImage {
  readonly bytes: Uint8Array;
  readonly state: ControlFileState;
  /** The copy it was read from, or the file the server wrote. */
  readonly path: string;
  readonly source: 'server' | 'validated-copy' | 'offline';
}

/** Whether a control file version is the one wanted (for the backup: after END BACKUP and the switch). */
export type StateCheck = (state: ControlFileState) => string | undefined;

const ATTEMPTS = 50;
const PAUSE_MS = 100;

/**
 * Reads one of `paths` until a whole copy (no torn slot) passes `check`. Each failed attempt
 * waits a little: a checkpoint or log switch is being recorded.
 */
export async function readConsistentControlFile(
  paths: readonly string[],
  check: StateCheck,
  source: ControlImage['source'] = 'validated-copy',
  attempts = ATTEMPTS,
): Promise<ControlImage> {
  let last = 'no copy could be read';
  for (let attempt = 0; attempt < attempts; attempt++) {
    for (const path of paths) {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(path);
      } catch (error) {
        last = `cannot read '${path}': ${errorMessage(error)}`;
        continue;
      }
      const inspected = await inspectControlFile(bytes);
      if (!inspected.ok) {
        last = `'${path}': ${inspected.problem}`;
        continue;
      }
      if (inspected.value.warnings.length > 0) {
        last = `'${path}': ${inspected.value.warnings[0]}`;
        continue;
      }
      const why = check(inspected.value.state);
      if (why !== undefined) {
        last = `'${path}': ${why}`;
        continue;
      }
      return { bytes, state: inspected.value.state, path, source };
    }
    if (attempt + 1 < attempts) await sleep(PAUSE_MS);
  }
  throw new BackupError('CONTROL_FILE_UNREADABLE', `no consistent copy of the control file could be read: ${last}`, {
    hint: 'check the control files named by tandem-db.yaml (controlFiles), then retry',
  });
}

/**
 * Asks the server for a binary copy (ALTER DATABASE BACKUP CONTROLFILE TO 'file' REUSE).
 * Returns undefined if this server does not have the statement; the caller then reads the
 * control file itself.
 */
export async function serverControlFileCopy(
  link: ServerLink,
  file: string,
  check: StateCheck,
): Promise<ControlImage | undefined> {
  try {
    await link.run(`ALTER DATABASE BACKUP CONTROLFILE TO ${quoteLiteral(file)} REUSE`);
  } catch (error) {
    if (isUnsupported(error)) return undefined;
    throw new BackupError('STATEMENT_FAILED', `ALTER DATABASE BACKUP CONTROLFILE failed: ${errorMessage(error)}`);
  }
  try {
    const bytes = await readFile(file);
    const inspected = await inspectControlFile(bytes);
    if (!inspected.ok)
      throw new BackupError('CONTROL_FILE_UNREADABLE', `the server's control file copy: ${inspected.problem}`);
    const why = check(inspected.value.state);
    if (why !== undefined) throw new BackupError('CONTROL_FILE_UNREADABLE', `the server's control file copy: ${why}`);
    return { bytes, state: inspected.value.state, path: file, source: 'server' };
  } finally {
    await rm(file, { force: true });
  }
}

/**
 * The server's CREATE CONTROLFILE script (BACKUP CONTROLFILE TO TRACE AS 'file' REUSE), when
 * it has the statement; false otherwise.
 */
export async function serverControlFileTrace(link: ServerLink, file: string): Promise<boolean> {
  try {
    await link.run(`ALTER DATABASE BACKUP CONTROLFILE TO TRACE AS ${quoteLiteral(file)} REUSE`);
    return true;
  } catch (error) {
    if (isUnsupported(error)) return false;
    throw new BackupError(
      'STATEMENT_FAILED',
      `ALTER DATABASE BACKUP CONTROLFILE TO TRACE failed: ${errorMessage(error)}`,
    );
  }
}

/** A statement this server does not have yet: feature not supported, or not parsed. */
function isUnsupported(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state === '0A000' || state === '42601';
}
