// The errors of `tandem db backup`, `backup verify`, `restore` and `recover`. Each has a
// stable code (TBAK-nnnn, beside the database's TDB-nnnn and the export's TEXP-nnnn) at
// the start of its message, so scripts and the log monitor can match it, and a message
// that says what to do.
import { CodedError, type CodedErrorOptions } from '../db-client/coded-error.js';

export { errorMessage, sqlStateOf } from '../db-client/coded-error.js';

const CODES = {
  /** Conflicting or invalid options. */
  USAGE: 'TBAK-0001',
  /** The backup directory is not empty (a backup is never written over another). */
  TARGET_NOT_EMPTY: 'TBAK-0002',
  /** No connection to the server, or not a Tandem server. */
  CONNECTION_FAILED: 'TBAK-0003',
  /** Online backup of a database that is not OPEN, or not in ARCHIVELOG mode. */
  NOT_ONLINE_CAPABLE: 'TBAK-0004',
  /** Offline backup while the server runs, or of a database not shut down cleanly. */
  NOT_OFFLINE_CAPABLE: 'TBAK-0005',
  /** Datafiles already in backup mode: another backup runs, or one was interrupted. */
  BACKUP_IN_PROGRESS: 'TBAK-0006',
  /** An archived log the backup needs is in no archive destination, or damaged in all of them. */
  ARCHIVED_LOG_MISSING: 'TBAK-0007',
  /** No consistent copy of the control file could be taken. */
  CONTROL_FILE_UNREADABLE: 'TBAK-0008',
  /** A file could not be read or written. */
  FILE_IO: 'TBAK-0009',
  /** Not a backup: no manifest.json (an incomplete backup has none), or an unreadable one. */
  NOT_A_BACKUP: 'TBAK-0010',
  /** A manifest format this tandem does not read. */
  UNSUPPORTED_FORMAT: 'TBAK-0011',
  /** Files of the backup do not match the manifest, or are unsound (verify, restore). */
  BACKUP_DAMAGED: 'TBAK-0012',
  /** Restore or recover while the database is OPEN, or a restore that needs it down while it runs. */
  DATABASE_RUNNING: 'TBAK-0013',
  /** The backup belongs to another database than the one in --dir. */
  WRONG_DATABASE: 'TBAK-0014',
  /** A restore would overwrite existing files (see --force). */
  FILES_EXIST: 'TBAK-0015',
  /** --datafile or --tablespace names something the backup does not hold. */
  UNKNOWN_FILE: 'TBAK-0016',
  /** The database changed during an offline backup (a server was started). */
  DATABASE_CHANGED: 'TBAK-0017',
  /** A statement of the backup, restore or recovery failed on the server. */
  STATEMENT_FAILED: 'TBAK-0018',
  /** The server could not be started for recovery. */
  SERVER_START_FAILED: 'TBAK-0019',
  /** Media recovery failed or could not finish. */
  RECOVERY_FAILED: 'TBAK-0020',
} as const;

export type BackupErrorName = keyof typeof CODES;

export class BackupError extends CodedError<BackupErrorName> {
  constructor(codeName: BackupErrorName, message: string, options: CodedErrorOptions = {}) {
    super(CODES, codeName, message, options, (hint) => `; ${hint}`);
    this.name = 'BackupError';
  }
}

export function backupErrorCode(name: BackupErrorName): string {
  return CODES[name];
}
