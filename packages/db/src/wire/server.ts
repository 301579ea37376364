// The PostgreSQL protocol server: accepts TCP connections, hands each to a WireConnection,
// keeps the table of sessions (the connection limit and the CancelRequest keys), counts
// what passes for the metrics, and shuts down either gracefully or at once.

import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { DbError } from '../errors.js';
import {
  WireConnection,
  type BackendKey,
  type ConnectionContext,
  type SessionSlots,
  type WireAuthentication,
  type WireCounters,
  type WireLogLevel,
} from './connection.js';
import type { Engine } from './engine.js';
import { BackendWriter } from './encode.js';
import { MESSAGE_BYTES_MAX_DEFAULT } from './frame-decoder.js';

export interface WireServerOptions {
  readonly engine: Engine;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 picks a free port; listen() says which. */
  readonly port: number;
  /** Sessions at once (default 100); one more gets 53300 "sorry, too many clients already". */
  readonly maxConnections?: number;
  /** The largest message a client may send, length word included (default 64 MiB). */
  readonly maxMessageBytes?: number;
  /** Default 'scram-sha-256'; 'trust' lets any user in without a password. */
  readonly authentication?: WireAuthentication;
  /** With a key and certificate, SSLRequest is answered 'S' and the connection upgraded. */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** Time from accept to ReadyForQuery before the connection is dropped (default 60 s, PostgreSQL's authentication_timeout). */
  readonly startupTimeoutMs?: number;
  /** One event per line, the line starting with the level: `[warning] wire: ...`. Default: warnings and errors to stderr. */
  readonly log?: (level: WireLogLevel, line: string) => void;
}

export interface WireServerAddress {
  readonly host: string;
  readonly port: number;
}

const MAX_CONNECTIONS_DEFAULT = 100;
const STARTUP_TIMEOUT_MS_DEFAULT = 60_000;
/** Unprocessed input per connection above which its socket stops being read. */
const INPUT_HIGH_WATER_BYTES = 1024 * 1024;
/**
 * Sockets beyond the session limit that are still accepted: enough for CancelRequests and
 * SSL negotiation to get through when the sessions are all taken (a cancel is most needed
 * then), few enough that a flood cannot exhaust the process.
 */
const SOCKET_HEADROOM = 16;

function defaultLog(level: WireLogLevel, line: string): void {
  if (level !== 'notice') process.stderr.write(`${line}\n`);
}

export class WireServer {
  readonly #options: WireServerOptions;
  readonly #maxConnections: number;
  readonly #log: (level: WireLogLevel, line: string) => void;
  readonly #secureContext: SecureContext | undefined;
  readonly #connections = new Set<WireConnection>();
  readonly #sessions = new Map<number, { readonly secretKey: number; readonly connection: WireConnection }>();
  readonly #counters: WireCounters & { readonly errorsByClass: Map<string, number> };
  readonly #context: ConnectionContext;
  #nextProcessId = 1;
  #server: Server | undefined;
  #closing = false;
  #connectionsAccepted = 0;

  constructor(options: WireServerOptions) {
    this.#options = options;
    this.#maxConnections = options.maxConnections ?? MAX_CONNECTIONS_DEFAULT;
    if (!Number.isSafeInteger(this.#maxConnections) || this.#maxConnections < 1) {
      throw new DbError(
        'INVALID_PARAMETER',
        `maxConnections must be a positive integer, got ${options.maxConnections}`,
      );
    }
    this.#log = options.log ?? defaultLog;
    this.#secureContext = options.tls === undefined ? undefined : createSecureContext(options.tls);
    const errorsByClass = new Map<string, number>();
    this.#counters = {
      messagesIn: 0,
      bytesIn: 0,
      bytesOut: 0,
      connectionsRefused: 0,
      errorsByClass,
      countError: (sqlState) => {
        const sqlStateClass = sqlState.slice(0, 2);
        errorsByClass.set(sqlStateClass, (errorsByClass.get(sqlStateClass) ?? 0) + 1);
      },
    };
    this.#context = {
      engine: options.engine,
      authentication: options.authentication ?? 'scram-sha-256',
      messageBytesMax: options.maxMessageBytes ?? MESSAGE_BYTES_MAX_DEFAULT,
      inputBytesHighWater: INPUT_HIGH_WATER_BYTES,
      secureContext: this.#secureContext,
      // Per server: an unknown user sees the same mock salt on every attempt, as a real one would.
      mockSecret: randomBytes(32),
      startupTimeoutMs: options.startupTimeoutMs ?? STARTUP_TIMEOUT_MS_DEFAULT,
      slots: this.#slots(),
      counters: this.#counters,
      log: (level, text) => this.#write(level, text),
    };
  }

  /** Starts listening; resolves with the address actually bound (the port, when 0 was asked). */
  async listen(): Promise<WireServerAddress> {
    if (this.#server !== undefined) throw new DbError('INVALID_PARAMETER', 'the wire server is already listening');
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    const host = this.#options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // After listening, an error of the listening socket is logged, never thrown.
    server.on('error', (error) => this.#write('error', `listener error: ${error.message}`));
    const address = server.address() as AddressInfo;
    this.#write('notice', `listening on ${address.address}:${address.port}`);
    return { host: address.address, port: address.port };
  }

  /**
   * Stops accepting connections. Graceful: waits for every client to finish on its own.
   * Otherwise each connection gets FATAL 57P01 and is closed, its running statement
   * canceled. Resolves once every session is closed.
   */
  async close(options: { graceful?: boolean } = {}): Promise<void> {
    this.#closing = true;
    const server = this.#server;
    const closed =
      server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    if (options.graceful !== true) {
      const shutdown = new DbError('INSTANCE_DOWN', 'terminating connection due to administrator command');
      for (const connection of this.#connections) connection.terminate(shutdown);
    }
    await Promise.all([...this.#connections].map((connection) => connection.done));
    await closed;
  }

  get connectionsAccepted(): number {
    return this.#connectionsAccepted;
  }

  /** Open sockets, including those still in the startup phase. */
  get connectionsActive(): number {
    return this.#connections.size;
  }

  /** Connections turned away because the server was full. */
  get connectionsRefused(): number {
    return this.#counters.connectionsRefused;
  }

  /** Sessions (connections past their startup packet) now. */
  get sessionsActive(): number {
    return this.#sessions.size;
  }

  get messagesIn(): number {
    return this.#counters.messagesIn;
  }

  get bytesIn(): number {
    return this.#counters.bytesIn;
  }

  get bytesOut(): number {
    return this.#counters.bytesOut;
  }

  /** ErrorResponses sent, by SQLSTATE class (the first two characters: '08', '28', '57'...). */
  get errorsBySqlStateClass(): ReadonlyMap<string, number> {
    return new Map(this.#counters.errorsByClass);
  }

  #write(level: WireLogLevel, text: string): void {
    try {
      this.#log(level, `[${level}] wire: ${text}`);
    } catch {
      // A failing log sink must not take a connection down with it.
    }
  }

  #accept(socket: Socket): void {
    this.#connectionsAccepted++;
    if (this.#closing || this.#connections.size >= this.#maxConnections + SOCKET_HEADROOM) {
      this.#refuse(socket);
      return;
    }
    const connection = new WireConnection(socket, this.#context);
    this.#connections.add(connection);
    void connection.done.then(() => this.#connections.delete(connection));
  }

  /** Turns a socket away before reading anything from it: FATAL 53300 (or 57P01 when shutting down). */
  #refuse(socket: Socket): void {
    this.#counters.connectionsRefused++;
    socket.on('error', () => socket.destroy());
    const error = this.#closing
      ? new DbError('INSTANCE_DOWN', 'the server is shutting down')
      : new DbError('TOO_MANY_CONNECTIONS', 'sorry, too many clients already');
    const writer = new BackendWriter();
    writer.errorResponse({ severity: 'FATAL', sqlState: error.sqlState, message: error.message });
    this.#counters.countError(error.sqlState);
    const bytes = writer.take();
    this.#counters.bytesOut += bytes.length;
    socket.end(bytes);
    setTimeout(() => socket.destroy(), 2_000).unref();
  }

  #slots(): SessionSlots {
    return {
      admit: (connection) => this.#admit(connection),
      release: (processId) => this.#sessions.delete(processId),
      cancel: (processId, secretKey) => {
        const entry = this.#sessions.get(processId);
        // A wrong key is ignored without a word, as PostgreSQL does: no oracle for guessing.
        if (entry !== undefined && entry.secretKey === secretKey) entry.connection.cancel();
      },
    };
  }

  #admit(connection: WireConnection): BackendKey | undefined {
    if (this.#sessions.size >= this.#maxConnections) return undefined;
    let processId = this.#nextProcessId;
    while (this.#sessions.has(processId)) processId = (processId % 0x7fffffff) + 1;
    this.#nextProcessId = (processId % 0x7fffffff) + 1;
    const secretKey = randomBytes(4).readInt32BE(0);
    this.#sessions.set(processId, { secretKey, connection });
    return { processId, secretKey };
  }
}
