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
  /** A block of a datafile that is offline (its tablespace taken OFFLINE, or needing media recovery). */
  DATAFILE_OFFLINE: { code: 'TDB-1010', sqlState: '55000' },
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
  /**
   * CREATE CONTROLFILE names files that do not make one database: a path named twice, two
   * datafiles with one number, a tablespace clause whose files belong to different
   * tablespaces, no SYSTEM or UNDO tablespace.
   */
  CONTROL_FILE_STATEMENT: { code: 'TDB-3005', sqlState: '42P17' },
  // 4xxx: instance state, boot and parameters
  WRONG_INSTANCE_STATE: { code: 'TDB-4001', sqlState: '55000' },
  MEDIA_RECOVERY_NEEDED: { code: 'TDB-4002', sqlState: '55000' },
  INSTANCE_DOWN: { code: 'TDB-4003', sqlState: '57P01' },
  INVALID_PARAMETER: { code: 'TDB-4004', sqlState: '22023' },
  DATABASE_EXISTS: { code: 'TDB-4005', sqlState: '42P04' },
  SHUTDOWN_IN_PROGRESS: { code: 'TDB-4006', sqlState: '57P03' },
  // 8xxx: backup and media recovery
  /** BEGIN BACKUP of a file already in backup mode, END BACKUP of one that is not. */
  BACKUP_MODE: { code: 'TDB-8001', sqlState: '55000' },
  /** Online backup and archiving need ARCHIVELOG mode. */
  ARCHIVELOG_REQUIRED: { code: 'TDB-8002', sqlState: '55000' },
  /** Media recovery needs a log it cannot find (the message names the sequence and where it looked). */
  RECOVERY_LOG_NEEDED: { code: 'TDB-8003', sqlState: '55000' },
  /** A datafile is not at the recovery point: newer than it (not restored) or not recovered far enough. */
  RECOVERY_INCONSISTENT: { code: 'TDB-8004', sqlState: '55000' },
  /** After incomplete recovery the database opens only with RESETLOGS (and RESETLOGS only then). */
  RESETLOGS_REQUIRED: { code: 'TDB-8005', sqlState: '55000' },
  /** A log or datafile of another incarnation (before or after a RESETLOGS) or another database. */
  WRONG_INCARNATION: { code: 'TDB-8006', sqlState: '55000' },
  /** RECOVER LOGFILE / CANCEL without a recovery in progress, or a second one. */
  RECOVERY_STATE: { code: 'TDB-8007', sqlState: '55000' },
  /** A backup whose files do not match their manifest. */
  BACKUP_CORRUPT: { code: 'TDB-8008', sqlState: 'XX001' },
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
  /** REPEATABLE READ / SERIALIZABLE: the row to change was changed by a transaction the snapshot does not see. */
  SERIALIZATION_FAILURE: { code: 'TDB-5016', sqlState: '40001' },
  /** A change in a READ ONLY transaction. */
  READ_ONLY_TRANSACTION: { code: 'TDB-5017', sqlState: '25006' },
  /** A request that must come before the transaction's first query (SET TRANSACTION ISOLATION LEVEL). */
  ACTIVE_SQL_TRANSACTION: { code: 'TDB-5018', sqlState: '25001' },
  // 6xxx: SQL: syntax, names, types and constraints
  SYNTAX_ERROR: { code: 'TDB-6001', sqlState: '42601' },
  UNDEFINED_COLUMN: { code: 'TDB-6002', sqlState: '42703' },
  UNDEFINED_FUNCTION: { code: 'TDB-6003', sqlState: '42883' },
  AMBIGUOUS_COLUMN: { code: 'TDB-6004', sqlState: '42702' },
  /** An expression of one type where another is needed, with no cast between them. */
  DATATYPE_MISMATCH: { code: 'TDB-6005', sqlState: '42804' },
  DIVISION_BY_ZERO: { code: 'TDB-6006', sqlState: '22012' },
  STRING_TOO_LONG: { code: 'TDB-6007', sqlState: '22001' },
  INVALID_DATETIME_FORMAT: { code: 'TDB-6008', sqlState: '22007' },
  DATETIME_OUT_OF_RANGE: { code: 'TDB-6009', sqlState: '22008' },
  NOT_NULL_VIOLATION: { code: 'TDB-6010', sqlState: '23502' },
  CHECK_VIOLATION: { code: 'TDB-6011', sqlState: '23514' },
  FEATURE_NOT_SUPPORTED: { code: 'TDB-6012', sqlState: '0A000' },
  /** A statement other than ROLLBACK in a transaction that an error has failed. */
  IN_FAILED_TRANSACTION: { code: 'TDB-6013', sqlState: '25P02' },
  /** A sequence, tablespace, user or other named object that does not exist. */
  UNDEFINED_OBJECT: { code: 'TDB-6014', sqlState: '42704' },
  DUPLICATE_OBJECT: { code: 'TDB-6015', sqlState: '42710' },
  INSUFFICIENT_PRIVILEGE: { code: 'TDB-6016', sqlState: '42501' },
  /** A statement (or a value in it) beyond the configured size limit. */
  STATEMENT_TOO_LARGE: { code: 'TDB-6017', sqlState: '54000' },
  /** A scalar subquery returned more than one row. */
  CARDINALITY_VIOLATION: { code: 'TDB-6018', sqlState: '21000' },
  NO_SUCH_PORTAL: { code: 'TDB-6019', sqlState: '34000' },
  NO_SUCH_PREPARED_STATEMENT: { code: 'TDB-6020', sqlState: '26000' },
  DUPLICATE_PREPARED_STATEMENT: { code: 'TDB-6021', sqlState: '42P05' },
  GROUPING_ERROR: { code: 'TDB-6022', sqlState: '42803' },
  SEQUENCE_LIMIT: { code: 'TDB-6023', sqlState: '2200H' },
  INVALID_ESCAPE_SEQUENCE: { code: 'TDB-6024', sqlState: '22025' },
  /** A function called with an argument outside its domain (sqrt(-1), ln(0), a bad date field). */
  INVALID_ARGUMENT: { code: 'TDB-6025', sqlState: '22023' },
  INVALID_BINARY_REPRESENTATION: { code: 'TDB-6026', sqlState: '22P03' },
  UNDEFINED_PARAMETER: { code: 'TDB-6027', sqlState: '42P02' },
  INVALID_TRANSACTION_STATE: { code: 'TDB-6028', sqlState: '25000' },
  UNDEFINED_TABLESPACE: { code: 'TDB-6029', sqlState: '42704' },
  DEPENDENT_OBJECTS: { code: 'TDB-6030', sqlState: '2BP01' },
  /** currval before nextval in the session, and other objects not ready for the request. */
  OBJECT_NOT_IN_PREREQUISITE_STATE: { code: 'TDB-6031', sqlState: '55000' },
  DUPLICATE_COLUMN: { code: 'TDB-6032', sqlState: '42701' },
  /** A table definition that cannot be (a second primary key). */
  INVALID_TABLE_DEFINITION: { code: 'TDB-6033', sqlState: '42P16' },
  /** ORDER BY or GROUP BY names a select-list position that does not exist. */
  INVALID_COLUMN_REFERENCE: { code: 'TDB-6034', sqlState: '42P10' },
  // 7xxx: connections, protocol and authentication
  PROTOCOL_VIOLATION: { code: 'TDB-7001', sqlState: '08P01' },
  AUTHENTICATION_FAILED: { code: 'TDB-7002', sqlState: '28P01' },
  TOO_MANY_CONNECTIONS: { code: 'TDB-7003', sqlState: '53300' },
  QUERY_CANCELED: { code: 'TDB-7004', sqlState: '57014' },
  /** A message longer than the configured limit; the connection is closed. */
  MESSAGE_TOO_LARGE: { code: 'TDB-7005', sqlState: '08P01' },
  /** A role that may not log in, or may not log in at this stage (NOMOUNT/MOUNT are for sys). */
  INVALID_AUTHORIZATION: { code: 'TDB-7006', sqlState: '28000' },
  /** The startup packet names a database this server does not serve. */
  UNKNOWN_DATABASE: { code: 'TDB-7007', sqlState: '3D000' },
  CANNOT_CONNECT_NOW: { code: 'TDB-7008', sqlState: '57P03' },
  CONNECTION_FAILURE: { code: 'TDB-7009', sqlState: '08006' },
  /** Bind named a portal that already exists (the wire protocol's Bind; SQL's DECLARE of an open cursor). */
  DUPLICATE_CURSOR: { code: 'TDB-7010', sqlState: '42P03' },
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
  /** For SQL errors: the 1-based character position in the statement text (ErrorResponse field P). */
  readonly position: number | undefined;
  /** Extra lines for a client (ErrorResponse fields D and H). */
  readonly detail: string | undefined;
  readonly hint: string | undefined;

  constructor(
    codeName: TdbCodeName,
    message: string,
    options?: { cause?: unknown; position?: number; detail?: string; hint?: string },
  ) {
    const entry = TdbCode[codeName];
    super(`${entry.code}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.codeName = codeName;
    this.code = entry.code;
    this.sqlState = entry.sqlState;
    this.position = options?.position;
    this.detail = options?.detail;
    this.hint = options?.hint;
  }
}

export function isDbError(error: unknown, codeName?: TdbCodeName): error is DbError {
  return error instanceof DbError && (codeName === undefined || error.codeName === codeName);
}
