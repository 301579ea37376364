// What the shell needs from a database connection. The shell's logic (line handling,
// prompts, meta-commands, output) is written against this interface, so unit tests drive
// it with a scripted fake and `tandem sql` with node-postgres (pg-executor.ts).
import type { ServerMessage } from './error-format.js';
import type { ResultSet } from './result-format.js';

/** One statement's result, in the order the server completed them. */
export interface StatementResult {
  /** The command tag exactly as the server sent it (`INSERT 0 1`, `CREATE TABLE`); undefined for an empty query. */
  readonly commandTag: string | undefined;
  /** Present when the statement returned rows (the server sent a row description). */
  readonly rows: ResultSet | undefined;
  /** The data of a COPY … TO STDOUT, in COPY text format. */
  readonly copyOut?: string | undefined;
}

export interface ExecutionOutcome {
  /** Results of the statements that completed before any error. */
  readonly results: readonly StatementResult[];
  /** The server's error, when a statement failed; the rest of the text was not run. */
  readonly error: ServerMessage | undefined;
}

/** The server's transaction state from its last ReadyForQuery. */
export type TransactionStatus = 'idle' | 'in-transaction' | 'failed' | 'unknown';

export interface ConnectionInfo {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
}

/** Raised when the connection is lost: the shell cannot go on and exits with code 2. */
export class ConnectionLostError extends Error {
  readonly code = 'TANDEM_SQL_CONNECTION_LOST';
  /** A FATAL message the server sent before closing, if any. */
  readonly serverMessage: ServerMessage | undefined;

  constructor(message: string, serverMessage?: ServerMessage) {
    super(message);
    this.serverMessage = serverMessage;
  }
}

export interface SqlExecutor {
  readonly info: ConnectionInfo;
  /**
   * Runs `sql` with the simple query protocol, so one text may hold several statements.
   * A server error resolves (in `error`); only a lost connection rejects (ConnectionLostError).
   */
  execute(sql: string): Promise<ExecutionOutcome>;
  /** Runs one statement with `$n` parameters (the shell's own catalog queries). */
  executeWithParams(sql: string, params: readonly string[]): Promise<ExecutionOutcome>;
  transactionStatus(): TransactionStatus;
  /** Asks the server to cancel the running statement. Best effort: resolves even if the request fails. */
  cancel(): Promise<void>;
  close(): Promise<void>;
}
