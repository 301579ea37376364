// The demo app server that `tandem up` runs behind the load balancer, twice: a real node:http
// server that says which server answered (id, pid, address) and how many requests it has
// served, answers the load balancer's health check on /health, and on /db records a visit in
// the database `up` started and reads the visits back, through a small pool of connections
// (the app tier's data source). It stands in for the app servers until they are built.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { errorMessage, sqlStateOf } from '../db-client/coded-error.js';
import { UpCode } from './up-errors.js';

export type DemoLogLevel = 'notice' | 'warning' | 'error';

/** Where /db connects: the database `tandem up` serves. */
export interface DemoDatabase {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
}

export interface DemoAppOptions {
  /** The server's id in lb.yaml (app1, app2): on every page and in every log line. */
  readonly id: string;
  readonly host: string;
  /** 0: a free port (see `address`). */
  readonly port: number;
  /** Without one, /db answers 503 saying so. */
  readonly database?: DemoDatabase;
  /** One event per call; the caller adds the time and the level word. */
  readonly log: (level: DemoLogLevel, message: string) => void;
}

/** The response header naming the app server that answered. */
export const APP_SERVER_HEADER = 'X-Tandem-App-Server';
/** The response header with the app server's process id. */
export const APP_PID_HEADER = 'X-Tandem-App-Pid';
/** The table /db writes its visits to. */
export const VISITS_TABLE = 'demo_visits';
/** The body of a healthy /health answer; lb.yaml's health check matches it (bodyPattern). */
export const HEALTHY_BODY = 'ok';

const DATA_SOURCE_CONNECTIONS_MAX = 4;
const DATA_SOURCE_CONNECT_TIMEOUT_MS = 5_000;
const DATA_SOURCE_IDLE_MS = 10_000;
/** SQLSTATE duplicate_table: the other app server created the table first. */
const DUPLICATE_TABLE = '42P07';

interface VisitCount {
  readonly server_id: string;
  readonly visits: string;
}

export class DemoApp {
  readonly #options: DemoAppOptions;
  readonly #server: Server;
  readonly #pool: pg.Pool | undefined;
  #requests = 0;
  #stopping = false;
  #tableReady: Promise<void> | undefined;

  private constructor(options: DemoAppOptions) {
    this.#options = options;
    this.#server = createServer((request, response) => this.#handle(request, response));
    const database = options.database;
    if (database !== undefined) {
      this.#pool = new pg.Pool({
        host: database.host,
        port: database.port,
        database: database.database,
        user: database.user,
        password: database.password,
        max: DATA_SOURCE_CONNECTIONS_MAX,
        connectionTimeoutMillis: DATA_SOURCE_CONNECT_TIMEOUT_MS,
        idleTimeoutMillis: DATA_SOURCE_IDLE_MS,
        application_name: `tandem demo app ${options.id}`,
      });
      // An idle connection the server closed: the next query takes a new one; say why once.
      this.#pool.on('error', (error) => options.log('warning', `data source: idle connection lost: ${error.message}`));
    }
  }

  /** Starts listening; rejects (with nothing left open) if the address cannot be bound. */
  static async start(options: DemoAppOptions): Promise<DemoApp> {
    const app = new DemoApp(options);
    try {
      await new Promise<void>((resolve, reject) => {
        app.#server.once('error', reject);
        app.#server.listen({ host: options.host, port: options.port }, () => {
          app.#server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      await app.#pool?.end();
      throw error;
    }
    app.#server.on('error', (error) => options.log('error', `server error: ${error.message}`));
    return app;
  }

  get id(): string {
    return this.#options.id;
  }

  get address(): AddressInfo {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error(`app server ${this.id} is not listening`);
    return address;
  }

  /** Requests answered, health checks not counted. */
  get requestsServed(): number {
    return this.#requests;
  }

  /**
   * Stops accepting, lets requests in flight finish for up to graceMs (answering /health
   * with 503 meanwhile, so a load balancer takes the server out), then cuts what is left.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    const timer = setTimeout(() => {
      this.#options.log('warning', `requests still in flight after ${graceMs} ms: closing their connections`);
      this.#server.closeAllConnections();
    }, graceMs);
    // Connections kept alive between requests are closed as soon as they go idle.
    const idleSweep = setInterval(() => this.#server.closeIdleConnections(), 50);
    try {
      await closed;
    } finally {
      clearTimeout(timer);
      clearInterval(idleSweep);
    }
    await this.#pool?.end();
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?')[0];
    response.setHeader(APP_SERVER_HEADER, this.id);
    response.setHeader(APP_PID_HEADER, String(process.pid));
    response.setHeader('Cache-Control', 'no-store');
    if (this.#stopping) response.setHeader('Connection', 'close');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      this.#send(response, 405, 'only GET and HEAD are served here\n', { Allow: 'GET, HEAD' });
      return;
    }
    if (path === '/health') {
      this.#send(response, this.#stopping ? 503 : 200, this.#stopping ? 'stopping\n' : `${HEALTHY_BODY}\n`);
      return;
    }
    this.#requests++;
    if (path === '/') {
      this.#send(response, 200, this.#page(request));
    } else if (path === '/db') {
      this.#database().then(
        (text) => this.#send(response, 200, text),
        (error: unknown) => {
          const message = `${UpCode.APP_DATABASE_FAILED}: app server ${this.id}: the database query failed: ${errorMessage(error)}`;
          this.#options.log('error', message);
          this.#send(response, 503, `${message}\n`);
        },
      );
    } else {
      this.#send(response, 404, `no page ${path} here: try /, /db or /health\n`);
    }
  }

  #page(request: IncomingMessage): string {
    const { address, port } = this.address;
    return [
      `Tandem demo app server ${this.id}`,
      `  process:  pid ${process.pid}, listening on ${address}:${port}`,
      `  requests: ${this.#requests} served by ${this.id} (health checks not counted)`,
      `  client:   ${String(request.headers['x-forwarded-for'] ?? request.socket.remoteAddress)}`,
      `  time:     ${new Date().toISOString()}`,
      '',
    ].join('\n');
  }

  /** Records a visit and reads every server's count back: one write and one read per request. */
  async #database(): Promise<string> {
    const pool = this.#pool;
    const database = this.#options.database;
    if (pool === undefined || database === undefined) throw new Error('this app server has no database configured');
    this.#tableReady ??= this.#createTable(pool).catch((error: unknown) => {
      this.#tableReady = undefined;
      throw error;
    });
    await this.#tableReady;
    const inserted = await pool.query<{ id: string }>(
      `insert into ${VISITS_TABLE} (server_id, pid) values ($1, $2) returning id`,
      [this.id, process.pid],
    );
    const counts = await pool.query<VisitCount>(
      `select server_id, count(*) as visits from ${VISITS_TABLE} group by server_id order by server_id`,
    );
    return [
      `app server ${this.id} (pid ${process.pid}) recorded visit ${inserted.rows[0]?.id ?? '?'} in database ${database.database} on ${database.host}:${database.port}`,
      'visits by app server:',
      ...counts.rows.map((row) => `  ${row.server_id}  ${row.visits}`),
      '',
    ].join('\n');
  }

  async #createTable(pool: pg.Pool): Promise<void> {
    try {
      await pool.query(
        `create table if not exists ${VISITS_TABLE} (id bigserial primary key, server_id varchar(64) not null, ` +
          `pid int not null, visited_at timestamp default current_timestamp)`,
      );
    } catch (error) {
      // Both app servers may create it at once: the loser's IF NOT EXISTS can still collide.
      if (sqlStateOf(error) !== DUPLICATE_TABLE) throw error;
    }
  }

  #send(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    if (response.headersSent || response.destroyed) return;
    response.writeHead(status, {
      ...headers,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    response.end(response.req.method === 'HEAD' ? undefined : body);
  }
}
