// The contract between the PostgreSQL v3 protocol layer (this directory) and the SQL
// engine behind it. The protocol layer deals only in bytes, message framing, the
// connection state machine and authentication; the engine parses, plans and executes SQL,
// converts parameter and result values to and from their text or binary forms, and owns
// the transaction. Errors cross this boundary as DbError (a TDB code plus a SQLSTATE).

/** One column of a RowDescription (PostgreSQL's field description). */
export interface FieldDescription {
  readonly name: string;
  /** The OID of the table the column comes from, or 0. */
  readonly tableOid: number;
  /** The column's attribute number in that table, or 0. */
  readonly columnNumber: number;
  readonly typeOid: number;
  /** pg_type.typlen: a fixed size in bytes, or -1 for a variable-length type. */
  readonly typeSize: number;
  readonly typeModifier: number;
  /** 0 text, 1 binary. Describe of a statement always reports 0, as PostgreSQL does. */
  readonly format: 0 | 1;
}

/** A NoticeResponse (or the fields of an ErrorResponse other than code and message). */
export interface Notice {
  readonly severity: 'WARNING' | 'NOTICE' | 'INFO' | 'DEBUG' | 'LOG';
  readonly sqlState: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
}

/** The transaction status that ReadyForQuery reports. */
export type TransactionStatus = 'idle' | 'in transaction' | 'failed';

/** The row data of a COPY: text format only (the engine refuses binary COPY). */
export interface CopyInStart {
  /** Number of columns, for CopyInResponse. */
  readonly columns: number;
}

export interface CopyOutStart {
  readonly columns: number;
}

/** Where the engine sends what a statement produces; the protocol layer writes messages. */
export interface QueryOutput {
  /** RowDescription, before the rows of a statement that returns rows (simple protocol only). */
  rowDescription(fields: readonly FieldDescription[]): void;
  /**
   * One DataRow, each value already in the format the client asked for (null is SQL NULL).
   * The returned promise, when there is one, resolves once the socket can take more: the
   * engine awaits it, so a large result is streamed, never buffered whole.
   */
  dataRow(values: readonly (Uint8Array | null)[]): void | Promise<void>;
  /** CommandComplete with its tag: `SELECT 3`, `INSERT 0 1`, `UPDATE 2`, `BEGIN`... */
  commandComplete(tag: string): void;
  /** EmptyQueryResponse: the query string (or one statement of it) was empty. */
  emptyQuery(): void;
  notice(notice: Notice): void;
  /**
   * COPY FROM STDIN: sends CopyInResponse, then yields each CopyData payload until CopyDone.
   * The iterator throws DbError QUERY_CANCELED with the client's message on CopyFail, and
   * PROTOCOL_VIOLATION if another message arrives in copy mode.
   */
  copyIn(start: CopyInStart): AsyncIterable<Uint8Array>;
  /** COPY TO STDOUT: sends CopyOutResponse; `data` sends CopyData (awaitable for backpressure); `end` sends CopyDone. */
  copyOut(start: CopyOutStart): { data(chunk: Uint8Array): void | Promise<void>; end(): void };
}

/** A statement made by Parse, named or unnamed. */
export interface PreparedStatement {
  /** The parameter type OIDs: those the client gave, with the unspecified (0) ones inferred. */
  readonly parameterTypes: readonly number[];
  /** The columns its result would have (format 0), or null if it returns no rows. */
  readonly fields: readonly FieldDescription[] | null;
}

/** A portal made by Bind: a statement with its parameter values and result formats. */
export interface Portal {
  /** The columns of its result in the formats chosen at Bind, or null if it returns no rows. */
  readonly fields: readonly FieldDescription[] | null;
}

export type ExecuteResult = 'complete' | 'suspended';

/** The session of one connection, after authentication. Calls never overlap. */
export interface EngineSession {
  /** For ReadyForQuery. */
  readonly transactionStatus: TransactionStatus;
  /** Values for ParameterStatus, sent after authentication and when a SET changes one. */
  parameterStatus(): ReadonlyMap<string, string>;

  /**
   * A Query message: runs each statement of `sql` in order, each with its own
   * RowDescription/DataRow.../CommandComplete through `out`. Outside an explicit
   * transaction the whole string is one implicit transaction, as in PostgreSQL. Throws a
   * DbError at the first failing statement (the rest do not run).
   */
  simpleQuery(sql: string, out: QueryOutput): Promise<void>;

  /** Parse. `parameterTypes` holds the client's OIDs (0: infer). */
  prepare(sql: string, parameterTypes: readonly number[]): Promise<PreparedStatement>;
  /**
   * Bind. `parameters` are the raw values (null for NULL), `parameterFormats` and
   * `resultFormats` as in the Bind message (empty: all text; one entry: for all; else one each).
   */
  bind(
    statement: PreparedStatement,
    parameters: readonly (Uint8Array | null)[],
    parameterFormats: readonly number[],
    resultFormats: readonly number[],
  ): Promise<Portal>;
  /**
   * Execute: runs (or resumes) the portal, sending at most `maxRows` DataRows (0: all) and
   * then CommandComplete, or stopping with 'suspended' (the protocol layer sends
   * PortalSuspended). Never sends RowDescription: in the extended protocol it comes from Describe.
   */
  execute(portal: Portal, maxRows: number, out: QueryOutput): Promise<ExecuteResult>;
  /** Close of a statement or portal, and the implicit close of an unnamed one being replaced. */
  closeStatement(statement: PreparedStatement): void;
  closePortal(portal: Portal): void;
  /**
   * Sync: ends the extended-protocol cycle. Commits the implicit transaction if one is open
   * and there was no error; rolls it back if there was (`failed`). Inside an explicit
   * transaction an error leaves it failed until ROLLBACK.
   */
  sync(failed: boolean): Promise<void>;
  /** CancelRequest from another connection: the running statement fails with QUERY_CANCELED. */
  cancel(): void;
  /** The connection ended (Terminate, or the socket closed): any open transaction rolls back. */
  close(): Promise<void>;
}

/** A SCRAM-SHA-256 verifier as PostgreSQL stores it (rolpassword), without the password. */
export interface ScramVerifier {
  readonly iterations: number;
  readonly salt: Uint8Array;
  readonly storedKey: Uint8Array;
  readonly serverKey: Uint8Array;
}

export interface StartupRequest {
  readonly user: string;
  readonly database: string;
  /** Every startup parameter the client sent (application_name, client_encoding, options...). */
  readonly parameters: ReadonlyMap<string, string>;
  readonly remoteAddress: string;
  /** The BackendKeyData process id of this connection. */
  readonly processId: number;
}

/** The engine as the server sees it. */
export interface Engine {
  /**
   * The verifier to authenticate `user` with, or undefined if there is no such role (the
   * server then runs a mock exchange and fails it, so a client cannot tell the two apart).
   */
  verifierFor(user: string): Promise<ScramVerifier | undefined>;
  /**
   * Opens the session of an authenticated (or trusted) connection. Throws UNKNOWN_DATABASE,
   * INVALID_AUTHORIZATION (not sys while the instance is in NOMOUNT or MOUNT) or CANNOT_CONNECT_NOW.
   */
  startSession(request: StartupRequest): Promise<EngineSession>;
}
