// Operating errors of the database: every one has a stable TDB code and a SQLSTATE, so a
// client, a script or the log monitor can act on it. Bugs are not DbErrors; they are
// assertion failures (see assert.ts).

/** The catalogue of codes. A code, once released, keeps its meaning forever. */
export const TdbCode = {
  // 1xxx: storage and I/O
  BLOCK_CORRUPT: { code: 'TDB-1001', sqlState: 'XX001' },
  BLOCK_MISPLACED: { code: 'TDB-1002', sqlState: 'XX001' },
  DATAFILE_IO: { code: 'TDB-1003', sqlState: '58030' },
  DATAFILE_MISSING: { code: 'TDB-1004', sqlState: '58P01' },
  DATAFILE_HEADER_CORRUPT: { code: 'TDB-1005', sqlState: 'XX001' },
  TABLESPACE_FULL: { code: 'TDB-1006', sqlState: '53100' },
  DATAFILE_MISMATCH: { code: 'TDB-1007', sqlState: 'XX000' },
  /** A path a new or renamed file would take already holds a file, or already belongs to the database. */
  FILE_EXISTS: { code: 'TDB-1008', sqlState: '42710' },
  /** A path named in a command is not a datafile or log member of the database. */
  NO_SUCH_DATABASE_FILE: { code: 'TDB-1009', sqlState: '58P01' },
  // 2xxx: redo log
  REDO_RECORD_CORRUPT: { code: 'TDB-2001', sqlState: 'XX001' },
  REDO_MEMBER_LOST: { code: 'TDB-2002', sqlState: '58030' },
  REDO_GROUP_LOST: { code: 'TDB-2003', sqlState: '58030' },
  REDO_LOG_MISSING: { code: 'TDB-2004', sqlState: '58P01' },
  REDO_RECORD_TOO_LARGE: { code: 'TDB-2005', sqlState: '54000' },
  REDO_LOG_HEADER_CORRUPT: { code: 'TDB-2006', sqlState: 'XX001' },
  REDO_LOG_CONFIG: { code: 'TDB-2007', sqlState: '55000' },
  REDO_NO_INACTIVE_GROUP: { code: 'TDB-2008', sqlState: '55000' },
  /** A log group or member cannot be dropped or cleared now: LGWR writes it, or crash recovery needs it. */
  REDO_LOG_IN_USE: { code: 'TDB-2009', sqlState: '55006' },
  /** A file offered as a log member belongs to another group or another database. */
  REDO_LOG_MISMATCH: { code: 'TDB-2010', sqlState: 'XX000' },
  // 3xxx: control files
  CONTROL_FILE_MISSING: { code: 'TDB-3001', sqlState: '58P01' },
  CONTROL_FILE_CORRUPT: { code: 'TDB-3002', sqlState: 'XX001' },
  CONTROL_FILE_MISMATCH: { code: 'TDB-3003', sqlState: 'XX000' },
  CONTROL_FILE_TOO_LARGE: { code: 'TDB-3004', sqlState: '54000' },
  // 4xxx: instance state, boot and parameters
  WRONG_INSTANCE_STATE: { code: 'TDB-4001', sqlState: '55000' },
  MEDIA_RECOVERY_NEEDED: { code: 'TDB-4002', sqlState: '55000' },
  INSTANCE_DOWN: { code: 'TDB-4003', sqlState: '57P01' },
  INVALID_PARAMETER: { code: 'TDB-4004', sqlState: '22023' },
  DATABASE_EXISTS: { code: 'TDB-4005', sqlState: '42P04' },
  SHUTDOWN_IN_PROGRESS: { code: 'TDB-4006', sqlState: '57P03' },
  // 5xxx: transactions and data
  DUPLICATE_KEY: { code: 'TDB-5001', sqlState: '23505' },
  NO_SUCH_TABLE: { code: 'TDB-5002', sqlState: '42P01' },
  TABLE_EXISTS: { code: 'TDB-5003', sqlState: '42P07' },
  NO_SUCH_INDEX: { code: 'TDB-5004', sqlState: '42704' },
  INDEX_EXISTS: { code: 'TDB-5005', sqlState: '42P07' },
  TRANSACTION_NOT_ACTIVE: { code: 'TDB-5006', sqlState: '25P01' },
  NO_SUCH_SAVEPOINT: { code: 'TDB-5007', sqlState: '3B001' },
  LOCK_TIMEOUT: { code: 'TDB-5008', sqlState: '55P03' },
  DEADLOCK: { code: 'TDB-5009', sqlState: '40P01' },
  ROW_TOO_LARGE: { code: 'TDB-5010', sqlState: '54000' },
  VALUE_OUT_OF_RANGE: { code: 'TDB-5011', sqlState: '22003' },
  TYPE_MISMATCH: { code: 'TDB-5012', sqlState: '42804' },
  NO_SUCH_ROW: { code: 'TDB-5013', sqlState: '02000' },
  /** A value's text does not parse as its column type (a malformed numeric). */
  INVALID_TEXT_REPRESENTATION: { code: 'TDB-5014', sqlState: '22P02' },
  /** A text value that is not well-formed UTF-16 (a lone surrogate), so it has no UTF-8 form. */
  CHARACTER_NOT_IN_REPERTOIRE: { code: 'TDB-5015', sqlState: '22021' },
} as const;

export type TdbCodeName = keyof typeof TdbCode;
export type TdbCodeString = (typeof TdbCode)[TdbCodeName]['code'];

export class DbError extends Error {
  override readonly name = 'DbError';
  /** The stable `TDB-nnnn` code. */
  readonly code: TdbCodeString;
  /** The SQLSTATE a PostgreSQL client sees. */
  readonly sqlState: string;
  readonly codeName: TdbCodeName;

  constructor(codeName: TdbCodeName, message: string, options?: { cause?: unknown }) {
    const entry = TdbCode[codeName];
    super(`${entry.code}: ${message}`, options);
    this.codeName = codeName;
    this.code = entry.code;
    this.sqlState = entry.sqlState;
  }
}

export function isDbError(error: unknown, codeName?: TdbCodeName): error is DbError {
  return error instanceof DbError && (codeName === undefined || error.codeName === codeName);
}
