// The shell's connection, on node-postgres. Statements go through a small custom query
// object (pg's Submittable) rather than pg's Query, because the shell must print what psql
// prints: the server's exact command tag (pg's Result keeps only its first word), every
// result of a multi-statement text, and the results that completed before an error.
import { createConnection } from 'node:net';
import {
  Client,
  DatabaseError,
  type Connection,
  type Submittable,
  type TransactionStatus as PgTransactionStatus,
} from 'pg';
import type { ServerMessage } from './error-format.js';
import type { ResultColumn, ResultSet } from './result-format.js';
import {
  ConnectionLostError,
  type ConnectionInfo,
  type ExecutionOutcome,
  type SqlExecutor,
  type StatementResult,
  type TransactionStatus,
} from './sql-executor.js';
import type { ConnectionTarget } from './connection-options.js';

// Values stay in the server's text format: the shell prints them as the server wrote them.
const rawText = { getTypeParser: () => (value: string) => value };

const CONNECT_TIMEOUT_MS = 15_000;
const CANCEL_TIMEOUT_MS = 5_000;
// The CancelRequest code (1234 << 16 | 5678) from the PostgreSQL protocol.
const CANCEL_REQUEST_CODE = 80877102;

/** The parts of pg-protocol's messages the query object reads (pg calls it with the full messages). */
interface RowDescriptionMessage {
  readonly fields: readonly { readonly name: string; readonly dataTypeID: number }[];
}
interface DataRowMessage {
  readonly fields: readonly unknown[];
}
interface CommandCompleteMessage {
  readonly text: string;
}
interface CopyDataMessage {
  readonly chunk: Buffer;
}

function isFatal(error: DatabaseError): boolean {
  return error.severity === 'FATAL' || error.severity === 'PANIC';
}

/**
 * One simple-protocol round trip: Query, then results until ReadyForQuery. pg calls the
 * handle* methods in message order on its active query.
 */
class SimpleQuery implements Submittable {
  readonly done: Promise<ExecutionOutcome>;
  readonly #text: string;
  readonly #results: StatementResult[] = [];
  #columns: ResultColumn[] | undefined;
  #rows: (string | null)[][] = [];
  #copyOut: string[] | undefined;
  #error: DatabaseError | undefined;
  #resolve!: (outcome: ExecutionOutcome) => void;
  #reject!: (error: Error) => void;

  constructor(text: string) {
    this.#text = text;
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  submit = (connection: Connection): void => {
    connection.query(this.#text);
  };

  handleRowDescription(message: RowDescriptionMessage): void {
    this.#columns = message.fields.map((field) => ({ name: field.name, typeOid: field.dataTypeID }));
    this.#rows = [];
  }

  handleDataRow(message: DataRowMessage): void {
    this.#rows.push(message.fields.map((value) => (typeof value === 'string' ? value : null)));
  }

  handleCommandComplete(message: CommandCompleteMessage): void {
    const rows: ResultSet | undefined =
      this.#columns === undefined ? undefined : { columns: this.#columns, rows: this.#rows };
    const copyOut = this.#copyOut?.join('');
    this.#results.push({ commandTag: message.text, rows, copyOut });
    this.#columns = undefined;
    this.#rows = [];
    this.#copyOut = undefined;
  }

  handleEmptyQuery(): void {
    this.#results.push({ commandTag: undefined, rows: undefined });
  }

  handlePortalSuspended(): void {
    // Only the extended protocol suspends portals; a simple query never does.
  }

  handleCopyInResponse(connection: Connection): void {
    // There is no input stream to feed COPY FROM STDIN; fail it so the session goes on.
    (connection as unknown as { sendCopyFail(message: string): void }).sendCopyFail(
      'COPY FROM STDIN is not supported by tandem sql',
    );
  }

  handleCopyData(message: CopyDataMessage): void {
    (this.#copyOut ??= []).push(message.chunk.toString('utf8'));
  }

  handleError(error: Error, connection: Connection | undefined): void {
    if (error instanceof DatabaseError && !isFatal(error) && connection !== undefined) {
      // pg drops the failed query at once, so its ReadyForQuery never reaches handleReadyForQuery.
      // Wait for it on the connection: only then does the transaction status say "failed".
      this.#error = error;
      const settle = (): void => {
        connection.off('readyForQuery', settle);
        connection.off('end', lost);
        this.handleReadyForQuery();
      };
      const lost = (): void => {
        connection.off('readyForQuery', settle);
        this.#reject(new ConnectionLostError('the server closed the connection', error));
      };
      connection.once('readyForQuery', settle);
      connection.once('end', lost);
      return;
    }
    const serverMessage = error instanceof DatabaseError ? error : this.#error;
    this.#reject(new ConnectionLostError(error.message, serverMessage));
  }

  handleReadyForQuery(): void {
    this.#resolve({ results: this.#results, error: this.#error });
  }
}

function transactionStatusOf(status: PgTransactionStatus): TransactionStatus {
  if (status === 'I') return 'idle';
  if (status === 'T') return 'in-transaction';
  if (status === 'E') return 'failed';
  return 'unknown';
}

/** The backend's cancel key. pg keeps it on the client but does not declare it in its types. */
function cancelKey(client: Client): { processId: number; secretKey: number } | undefined {
  const { processID, secretKey } = client as unknown as { processID?: unknown; secretKey?: unknown };
  return typeof processID === 'number' && typeof secretKey === 'number'
    ? { processId: processID, secretKey }
    : undefined;
}

export interface ConnectOptions {
  /** Called with each notice or warning the server sends, as it arrives. */
  readonly onNotice: (message: ServerMessage) => void;
}

export class PgExecutor implements SqlExecutor {
  readonly info: ConnectionInfo;
  readonly #client: Client;
  #lost: Error | undefined;

  private constructor(client: Client, info: ConnectionInfo) {
    this.#client = client;
    this.info = info;
    // An idle connection can fail too; remember it so the next statement reports it.
    client.on('error', (error) => {
      this.#lost = error;
    });
  }

  /** Connects; rejects with pg's error (the caller reports it as a connection failure). */
  static async connect(target: ConnectionTarget, options: ConnectOptions): Promise<PgExecutor> {
    const client = new Client({
      host: target.host,
      port: target.port,
      user: target.user,
      database: target.database,
      password: target.password,
      types: rawText,
      application_name: 'tandem sql',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    client.on('notice', (notice) => options.onNotice(notice));
    const executor = new PgExecutor(client, {
      host: target.host,
      port: target.port,
      user: target.user,
      database: target.database,
    });
    await client.connect();
    return executor;
  }

  async execute(sql: string): Promise<ExecutionOutcome> {
    if (this.#lost !== undefined) throw new ConnectionLostError(this.#lost.message);
    return this.#client.query(new SimpleQuery(sql)).done;
  }

  async executeWithParams(sql: string, params: readonly string[]): Promise<ExecutionOutcome> {
    if (this.#lost !== undefined) throw new ConnectionLostError(this.#lost.message);
    try {
      const result = await this.#client.query<(string | null)[]>({
        text: sql,
        values: [...params],
        rowMode: 'array',
        types: rawText,
      });
      const columns = result.fields.map((field) => ({ name: field.name, typeOid: field.dataTypeID }));
      return { results: [{ commandTag: undefined, rows: { columns, rows: result.rows } }], error: undefined };
    } catch (error) {
      if (error instanceof DatabaseError && !isFatal(error)) return { results: [], error };
      throw new ConnectionLostError(error instanceof Error ? error.message : String(error));
    }
  }

  transactionStatus(): TransactionStatus {
    return transactionStatusOf(this.#client.getTransactionStatus());
  }

  /** Sends a CancelRequest on a new connection, as libpq's PQcancel does. */
  async cancel(): Promise<void> {
    const key = cancelKey(this.#client);
    if (key === undefined) return;
    const request = Buffer.alloc(16);
    request.writeInt32BE(16, 0);
    request.writeInt32BE(CANCEL_REQUEST_CODE, 4);
    request.writeInt32BE(key.processId, 8);
    request.writeInt32BE(key.secretKey, 12);
    await new Promise<void>((resolve) => {
      const socket = createConnection({ host: this.info.host, port: this.info.port }, () => socket.end(request));
      socket.setTimeout(CANCEL_TIMEOUT_MS, () => socket.destroy());
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
    });
  }

  async close(): Promise<void> {
    await this.#client.end().catch(() => undefined);
  }
}
