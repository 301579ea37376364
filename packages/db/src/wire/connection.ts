// One client connection: the state machine of protocol 3.0 from the first byte to the
// last. It pulls messages from the input strictly in order (a message waits in the buffer
// while the one before it runs, which is what makes pipelining work), drives the engine
// session, and coalesces its answers into one write per cycle.

import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { DbError, isDbError } from '../errors.js';
import type {
  Engine,
  EngineSession,
  Portal,
  PreparedStatement,
  QueryOutput,
  StartupRequest,
  TransactionStatus,
} from './engine.js';
import { BackendWriter, type ReadyStatus, type ResponseFields } from './encode.js';
import { FrameDecoder, FrontendType, type Frame, type StartupFrame } from './frame-decoder.js';
import {
  decodeFrontendMessage,
  decodeStartupPacket,
  type AuthenticationPhase,
  type DescribeTarget,
  type FrontendMessage,
  type StartupPacket,
} from './messages.js';
import { SCRAM_MECHANISM, ScramExchange } from './scram.js';

export type WireLogLevel = 'notice' | 'warning' | 'error';
export type WireAuthentication = 'scram-sha-256' | 'trust';

/** The BackendKeyData of a session: what a CancelRequest must quote. */
export interface BackendKey {
  readonly processId: number;
  readonly secretKey: number;
}

/** The server's table of sessions, for the connection limit and for CancelRequest. */
export interface SessionSlots {
  /** A slot and key for a new session, or undefined if the server is full. */
  admit(connection: WireConnection): BackendKey | undefined;
  release(processId: number): void;
  /** Cancels the session with this key; a wrong key is ignored, as PostgreSQL does. */
  cancel(processId: number, secretKey: number): void;
}

/** Counters the server exports; the connection adds to them. */
export interface WireCounters {
  messagesIn: number;
  bytesIn: number;
  bytesOut: number;
  connectionsRefused: number;
  countError(sqlState: string): void;
}

export interface ConnectionContext {
  readonly engine: Engine;
  readonly authentication: WireAuthentication;
  readonly messageBytesMax: number;
  /** Unprocessed input above which the socket stops being read. */
  readonly inputBytesHighWater: number;
  readonly secureContext: SecureContext | undefined;
  readonly mockSecret: Uint8Array;
  readonly startupTimeoutMs: number;
  readonly slots: SessionSlots;
  readonly counters: WireCounters;
  log(level: WireLogLevel, text: string): void;
}

/** Buffered output above which it goes to the socket without waiting for the cycle's end. */
const OUTPUT_FLUSH_BYTES = 64 * 1024;
/** How long a socket we ended may take to close before it is destroyed. */
const END_GRACE_MS = 2_000;

const READY_STATUS: Record<TransactionStatus, ReadyStatus> = {
  idle: 'I',
  'in transaction': 'T',
  failed: 'E',
};

/** The messages of the extended protocol: an error in one of them skips input until Sync. */
const EXTENDED_TYPES = new Set<number>([
  FrontendType.Parse,
  FrontendType.Bind,
  FrontendType.Describe,
  FrontendType.Execute,
  FrontendType.Close,
  FrontendType.Flush,
]);

function connectionLost(): DbError {
  return new DbError('CONNECTION_FAILURE', 'the client connection is closed');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' | ');
}

export class WireConnection {
  readonly #context: ConnectionContext;
  readonly #remote: string;
  readonly #remoteAddress: string;
  readonly #decoder: FrameDecoder;
  readonly #writer = new BackendWriter();
  #stream: Socket;
  /** The socket is gone or we ended it: nothing more is read or written. */
  #closed = false;
  /** No more input will come (end of stream, Terminate, or shutdown). */
  #inputEnded = false;
  /** A framing error: the input has no message boundaries left, so the connection must end. */
  #streamBroken: DbError | undefined;
  #wake: (() => void) | undefined;
  #drain: Promise<void> | undefined;
  #key: BackendKey | undefined;
  #session: EngineSession | undefined;
  #sessionClosed = false;
  /** A call into the session is running (what a CancelRequest may interrupt). */
  #busy = false;
  #skipUntilSync = false;
  readonly #statements = new Map<string, PreparedStatement>();
  readonly #portals = new Map<string, Portal>();
  readonly #reportedParameters = new Map<string, string>();
  readonly #output: QueryOutput;
  /** Resolves when the connection has ended and its session is closed; never rejects. */
  readonly done: Promise<void>;

  constructor(socket: Socket, context: ConnectionContext) {
    this.#context = context;
    this.#stream = socket;
    this.#remoteAddress = socket.remoteAddress ?? 'unknown';
    this.#remote = `${this.#remoteAddress}:${socket.remotePort ?? 0}`;
    this.#decoder = new FrameDecoder({ messageBytesMax: context.messageBytesMax });
    this.#output = this.#makeOutput();
    socket.setNoDelay(true);
    this.#attach(socket);
    // A socket error is followed by 'close'; the listener only keeps it from being thrown.
    socket.on('error', this.#onError);
    this.done = this.#run();
  }

  /** "address:port" of the client, for log lines. */
  get remote(): string {
    return this.#remote;
  }

  /** From a CancelRequest that quoted this session's key: interrupts the running call, if any. */
  cancel(): void {
    if (this.#busy) this.#session?.cancel();
  }

  /**
   * Ends the connection now (server shutdown): sends `error` as FATAL, closes the socket,
   * and cancels the running call. The session is closed once that call has returned.
   */
  terminate(error: DbError): void {
    if (this.#closed) return;
    this.#sendError(error, 'FATAL');
    this.#endStream();
    this.cancel();
  }

  // --- the life of the connection ---

  async #run(): Promise<void> {
    const startupTimer = setTimeout(() => this.#startupTimedOut(), this.#context.startupTimeoutMs);
    try {
      const opened = await this.#startup();
      clearTimeout(startupTimer);
      if (opened) await this.#commandLoop();
    } catch (error) {
      this.#fail(error);
    } finally {
      clearTimeout(startupTimer);
      await this.#finish();
    }
  }

  #startupTimedOut(): void {
    if (this.#session !== undefined || this.#closed) return;
    this.#context.log('notice', `authentication timeout for connection from ${this.#remote}`);
    this.terminate(new DbError('QUERY_CANCELED', 'canceling authentication due to timeout'));
  }

  /** Reports a fatal error to the client (when it can still hear it) and ends the stream. */
  #fail(error: unknown): void {
    if (isDbError(error)) {
      this.#logFatal(error);
      this.#sendError(error, 'FATAL');
    } else {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      this.#context.log('error', `internal error on connection from ${this.#remote}: ${oneLine(text)}`);
      this.#sendFields({ severity: 'FATAL', sqlState: 'XX000', message: 'internal error; see the server log' });
    }
    this.#endStream();
  }

  #logFatal(error: DbError): void {
    const what =
      error.codeName === 'PROTOCOL_VIOLATION' || error.codeName === 'MESSAGE_TOO_LARGE'
        ? 'protocol violation'
        : error.codeName === 'AUTHENTICATION_FAILED'
          ? 'authentication failed'
          : undefined;
    if (what !== undefined) {
      this.#context.log('warning', `${what} from ${this.#remote}: ${oneLine(error.message)}`);
    } else if (!this.#closed) {
      this.#context.log('notice', `connection from ${this.#remote} ended: ${oneLine(error.message)}`);
    }
  }

  /** Closes the session exactly once, frees the slot, and closes the socket. */
  async #finish(): Promise<void> {
    this.#endStream();
    this.#decoder.discard();
    const session = this.#session;
    if (session !== undefined && !this.#sessionClosed) {
      this.#sessionClosed = true;
      try {
        await session.close();
      } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        this.#context.log('error', `closing the session of ${this.#remote} failed: ${oneLine(text)}`);
      }
    }
    if (this.#key !== undefined) this.#context.slots.release(this.#key.processId);
  }

  // --- input ---

  readonly #onData = (chunk: Buffer): void => {
    this.#context.counters.bytesIn += chunk.length;
    this.#decoder.push(chunk);
    // Backpressure: stop reading while the backlog is large; #waitForInput resumes.
    if (this.#decoder.bufferedBytes > this.#context.inputBytesHighWater) this.#stream.pause();
    this.#wakeUp();
  };

  readonly #onEnd = (): void => {
    this.#inputEnded = true;
    this.#wakeUp();
  };

  readonly #onClose = (): void => {
    this.#closed = true;
    this.#inputEnded = true;
    this.#wakeUp();
    // The client is gone: stop the work it can no longer receive.
    this.cancel();
  };

  readonly #onError = (error: Error): void => {
    const code = (error as NodeJS.ErrnoException).code ?? error.message;
    this.#context.log('notice', `socket error on connection from ${this.#remote}: ${oneLine(code)}`);
  };

  #attach(stream: Socket): void {
    stream.on('data', this.#onData);
    stream.on('end', this.#onEnd);
    stream.on('close', this.#onClose);
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #waitForInput(): Promise<void> {
    if (this.#stream.isPaused()) this.#stream.resume();
    await new Promise<void>((resolve) => (this.#wake = resolve));
  }

  /** The next regular message's frame, or undefined once the input has ended. Framing errors are fatal. */
  async #nextFrame(): Promise<Frame | undefined> {
    for (;;) {
      if (this.#streamBroken !== undefined) throw this.#streamBroken;
      if (this.#closed) return undefined;
      let frame: Frame | undefined;
      try {
        frame = this.#decoder.nextFrame();
      } catch (error) {
        if (isDbError(error)) this.#streamBroken = error;
        throw error;
      }
      if (frame !== undefined) {
        this.#context.counters.messagesIn++;
        return frame;
      }
      if (this.#inputEnded) return undefined;
      await this.#waitForInput();
    }
  }

  async #nextStartupFrame(): Promise<StartupFrame | undefined> {
    for (;;) {
      if (this.#closed) return undefined;
      const frame = this.#decoder.nextStartup();
      if (frame !== undefined) {
        this.#context.counters.messagesIn++;
        return frame;
      }
      if (this.#inputEnded) return undefined;
      await this.#waitForInput();
    }
  }

  // --- output ---

  #flush(): void {
    if (this.#writer.length === 0) return;
    if (this.#closed || !this.#stream.writable) {
      this.#writer.clear();
      return;
    }
    const bytes = this.#writer.take();
    this.#context.counters.bytesOut += bytes.length;
    this.#stream.write(bytes);
  }

  /** Resolves once the socket has drained its write queue, or has closed. */
  #drained(): Promise<void> {
    if (this.#closed || !this.#stream.writableNeedDrain) return Promise.resolve();
    this.#drain ??= new Promise<void>((resolve) => {
      const stream = this.#stream;
      const done = (): void => {
        stream.off('drain', done);
        stream.off('close', done);
        this.#drain = undefined;
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
    });
    return this.#drain;
  }

  /** After a write: sends a large backlog, and returns a promise when the socket wants a pause. */
  #afterWrite(): void | Promise<void> {
    if (this.#writer.length < OUTPUT_FLUSH_BYTES) return;
    this.#flush();
    if (this.#stream.writableNeedDrain) return this.#drained();
  }

  #endStream(): void {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    this.#inputEnded = true;
    this.#wakeUp();
    const stream = this.#stream;
    stream.end();
    // A client that does not read would hold the socket open forever.
    setTimeout(() => stream.destroy(), END_GRACE_MS).unref();
  }

  #sendError(error: DbError, severity: 'ERROR' | 'FATAL'): void {
    const extra = error as { detail?: unknown; hint?: unknown };
    this.#sendFields({
      severity,
      sqlState: error.sqlState,
      message: error.message,
      detail: typeof extra.detail === 'string' ? extra.detail : undefined,
      hint: typeof extra.hint === 'string' ? extra.hint : undefined,
    });
  }

  #sendFields(fields: ResponseFields): void {
    this.#context.counters.countError(fields.sqlState);
    if (this.#closed) return;
    this.#writer.errorResponse(fields);
  }

  #readyForQuery(): void {
    this.#writer.readyForQuery(READY_STATUS[this.#requireSession().transactionStatus]);
    this.#flush();
  }

  #makeOutput(): QueryOutput {
    const writer = this.#writer;
    const assertOpen = (): void => {
      if (this.#closed) throw connectionLost();
    };
    return {
      rowDescription: (fields) => {
        assertOpen();
        writer.rowDescription(fields);
      },
      dataRow: (values) => {
        assertOpen();
        writer.dataRow(values);
        return this.#afterWrite();
      },
      commandComplete: (tag) => {
        assertOpen();
        writer.commandComplete(tag);
      },
      emptyQuery: () => {
        assertOpen();
        writer.emptyQueryResponse();
      },
      notice: (notice) => {
        assertOpen();
        writer.noticeResponse(notice);
      },
      copyIn: (start) => {
        assertOpen();
        writer.copyInResponse(start.columns);
        // The client sends nothing until it has seen CopyInResponse.
        this.#flush();
        return this.#copyInData();
      },
      copyOut: (start) => {
        assertOpen();
        writer.copyOutResponse(start.columns);
        return {
          data: (chunk) => {
            assertOpen();
            writer.copyData(chunk);
            return this.#afterWrite();
          },
          end: () => {
            assertOpen();
            writer.copyDone();
          },
        };
      },
    };
  }

  /** The CopyData payloads of COPY FROM STDIN, until CopyDone. */
  async *#copyInData(): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      const frame = await this.#nextFrame();
      if (frame === undefined) throw connectionLost();
      switch (frame.type) {
        case FrontendType.CopyData:
          yield frame.body;
          break;
        case FrontendType.CopyDone:
          return;
        case FrontendType.CopyFail: {
          const message = decodeFrontendMessage(frame);
          const reason = message.type === 'CopyFail' ? message.message : '';
          throw new DbError('QUERY_CANCELED', `COPY from stdin failed: ${reason}`);
        }
        case FrontendType.Flush:
        case FrontendType.Sync:
          // The protocol says to ignore them in copy-in mode: some clients send them blindly.
          break;
        case FrontendType.Terminate:
          this.#inputEnded = true;
          throw connectionLost();
        default:
          throw new DbError(
            'PROTOCOL_VIOLATION',
            `unexpected message type 0x${frame.type.toString(16)} during COPY from stdin`,
          );
      }
    }
  }

  // --- startup and authentication ---

  /** Runs the startup phase; true once a session is open and ReadyForQuery sent. */
  async #startup(): Promise<boolean> {
    let sslAnswered = false;
    let gssAnswered = false;
    for (;;) {
      const frame = await this.#nextStartupFrame();
      if (frame === undefined) return false;
      const packet = decodeStartupPacket(frame);
      switch (packet.type) {
        case 'CancelRequest':
          this.#context.slots.cancel(packet.processId, packet.secretKey);
          return false;
        case 'SSLRequest':
          if (sslAnswered) throw new DbError('PROTOCOL_VIOLATION', 'SSL negotiation requested twice');
          sslAnswered = true;
          if (this.#context.secureContext !== undefined) {
            this.#upgradeToTls(this.#context.secureContext);
          } else {
            this.#writer.rawByte(0x4e); // N
            this.#flush();
          }
          break;
        case 'GSSENCRequest':
          if (gssAnswered || this.#stream instanceof TLSSocket) {
            throw new DbError('PROTOCOL_VIOLATION', 'unexpected GSSAPI encryption request');
          }
          gssAnswered = true;
          this.#writer.rawByte(0x4e); // N
          this.#flush();
          break;
        case 'StartupMessage':
          return this.#open(packet);
      }
    }
  }

  /** Answers 'S' and continues the same connection inside TLS. */
  #upgradeToTls(secureContext: SecureContext): void {
    // Bytes that came after the SSLRequest, before the handshake, were not encrypted and
    // could have been injected by a man in the middle (CVE-2021-23214): refuse them.
    if (this.#decoder.bufferedBytes > 0) {
      throw new DbError('PROTOCOL_VIOLATION', 'received unencrypted data after SSL request');
    }
    const plain = this.#stream;
    this.#writer.rawByte(0x53); // S
    this.#flush();
    plain.off('data', this.#onData);
    plain.off('end', this.#onEnd);
    const secure = new TLSSocket(plain, { isServer: true, secureContext });
    secure.on('error', this.#onError);
    this.#stream = secure;
    this.#attach(secure);
  }

  async #open(packet: Extract<StartupPacket, { type: 'StartupMessage' }>): Promise<boolean> {
    const user = packet.parameters.get('user');
    if (user === undefined || user === '') {
      throw new DbError('INVALID_AUTHORIZATION', 'no PostgreSQL user name specified in startup packet');
    }
    const database = packet.parameters.get('database') || user;
    const replication = packet.parameters.get('replication')?.toLowerCase();
    if (replication !== undefined && !['false', 'off', 'no', '0'].includes(replication)) {
      throw new DbError('FEATURE_NOT_SUPPORTED', 'replication connections are not supported');
    }
    // Protocol options (_pq_.*) and minor versions above 3.0 are what we do not speak: say so
    // with NegotiateProtocolVersion and carry on with 3.0.
    const options = [...packet.parameters.keys()].filter((name) => name.startsWith('_pq_.'));
    if (packet.minorVersion > 0 || options.length > 0) this.#writer.negotiateProtocolVersion(0, options);
    const parameters = new Map([...packet.parameters].filter(([name]) => !name.startsWith('_pq_.')));

    const key = this.#context.slots.admit(this);
    if (key === undefined) {
      this.#context.counters.connectionsRefused++;
      throw new DbError('TOO_MANY_CONNECTIONS', 'sorry, too many clients already');
    }
    this.#key = key;

    if (!(await this.#authenticate(user))) return false;
    const request: StartupRequest = {
      user,
      database,
      parameters,
      remoteAddress: this.#remoteAddress,
      processId: key.processId,
    };
    const session = await this.#context.engine.startSession(request);
    this.#session = session;
    if (this.#closed) return false;
    for (const [name, value] of session.parameterStatus()) {
      this.#writer.parameterStatus(name, value);
      this.#reportedParameters.set(name, value);
    }
    this.#writer.backendKeyData(key.processId, key.secretKey);
    this.#readyForQuery();
    return true;
  }

  /** True once the client has proved who it is; false if it went away. Throws DbError on failure. */
  async #authenticate(user: string): Promise<boolean> {
    if (this.#context.authentication === 'trust') {
      this.#writer.authenticationOk();
      return true;
    }
    const verifier = await this.#context.engine.verifierFor(user);
    const exchange = new ScramExchange(user, verifier, { mockSecret: this.#context.mockSecret });
    this.#writer.authenticationSasl([SCRAM_MECHANISM]);
    this.#flush();

    const initial = await this.#nextAuthenticationMessage('sasl-initial');
    if (initial === undefined) return false;
    if (initial.type !== 'SASLInitialResponse') throw new DbError('PROTOCOL_VIOLATION', 'expected SASL response');
    if (initial.mechanism !== SCRAM_MECHANISM) {
      throw new DbError('PROTOCOL_VIOLATION', 'client selected an invalid SASL authentication mechanism');
    }
    if (initial.data === null) throw new DbError('PROTOCOL_VIOLATION', 'malformed SCRAM message: it is empty');
    this.#writer.authenticationSaslContinue(exchange.serverFirst(initial.data));
    this.#flush();

    const response = await this.#nextAuthenticationMessage('sasl-continue');
    if (response === undefined) return false;
    if (response.type !== 'SASLResponse') throw new DbError('PROTOCOL_VIOLATION', 'expected SASL response');
    this.#writer.authenticationSaslFinal(exchange.serverFinal(response.data));
    this.#writer.authenticationOk();
    return true;
  }

  async #nextAuthenticationMessage(phase: AuthenticationPhase): Promise<FrontendMessage | undefined> {
    const frame = await this.#nextFrame();
    if (frame === undefined) return undefined;
    if (frame.type !== FrontendType.Password) {
      throw new DbError('PROTOCOL_VIOLATION', `expected SASL response, got message type ${frame.type}`);
    }
    return decodeFrontendMessage(frame, phase);
  }

  // --- commands ---

  #requireSession(): EngineSession {
    const session = this.#session;
    if (session === undefined) throw new DbError('PROTOCOL_VIOLATION', 'no session');
    return session;
  }

  async #commandLoop(): Promise<void> {
    for (;;) {
      // Backpressure on output: a client that pipelines but does not read waits here.
      await this.#drained();
      const frame = await this.#nextFrame();
      if (frame === undefined || frame.type === FrontendType.Terminate) return;
      // After an error in the extended protocol everything up to Sync is discarded.
      if (this.#skipUntilSync && frame.type !== FrontendType.Sync) continue;
      await this.#command(frame);
    }
  }

  async #command(frame: Frame): Promise<void> {
    switch (frame.type) {
      case FrontendType.Password:
        throw new DbError('PROTOCOL_VIOLATION', 'unexpected password message after authentication');
      case FrontendType.CopyData:
      case FrontendType.CopyDone:
      case FrontendType.CopyFail:
        // The rest of a COPY that failed: the protocol says to drop it.
        return;
    }
    const extended = EXTENDED_TYPES.has(frame.type);
    try {
      const message = decodeFrontendMessage(frame);
      await this.#dispatch(message);
    } catch (error) {
      if (this.#streamBroken !== undefined) throw this.#streamBroken;
      if (!isDbError(error)) throw error;
      if (error.codeName === 'PROTOCOL_VIOLATION') {
        this.#context.log('warning', `protocol violation from ${this.#remote}: ${oneLine(error.message)}`);
      }
      this.#sendError(error, 'ERROR');
      if (extended) {
        this.#skipUntilSync = true;
      } else {
        this.#readyForQuery();
      }
    }
  }

  async #dispatch(message: FrontendMessage): Promise<void> {
    switch (message.type) {
      case 'Query':
        return this.#simpleQuery(message.sql);
      case 'Parse':
        return this.#parse(message.statement, message.sql, message.parameterTypes);
      case 'Bind':
        return this.#bind(message);
      case 'Describe':
        return this.#describe(message.target, message.name);
      case 'Execute':
        return this.#execute(message.portal, message.maxRows);
      case 'Close':
        return this.#close(message.target, message.name);
      case 'Sync':
        return this.#sync();
      case 'Flush':
        return this.#flush();
      case 'FunctionCall':
        throw new DbError('FEATURE_NOT_SUPPORTED', 'the FunctionCall message is not supported');
      default:
        throw new DbError('PROTOCOL_VIOLATION', `unexpected ${message.type} message`);
    }
  }

  /** Runs one call into the session, marking it as what a CancelRequest interrupts. */
  async #call<T>(work: (session: EngineSession) => Promise<T>): Promise<T> {
    const session = this.#requireSession();
    this.#busy = true;
    try {
      return await work(session);
    } finally {
      this.#busy = false;
    }
  }

  async #simpleQuery(sql: string): Promise<void> {
    try {
      if (isBlank(sql)) {
        this.#writer.emptyQueryResponse();
      } else {
        await this.#call((session) => session.simpleQuery(sql, this.#output));
      }
    } catch (error) {
      if (this.#streamBroken !== undefined || !isDbError(error)) throw error;
      this.#sendError(error, 'ERROR');
    }
    this.#afterTransactionBoundary();
    this.#readyForQuery();
  }

  async #parse(name: string, sql: string, parameterTypes: readonly number[]): Promise<void> {
    if (name === '') {
      this.#dropStatement('');
    } else if (this.#statements.has(name)) {
      throw new DbError('DUPLICATE_PREPARED_STATEMENT', `prepared statement "${name}" already exists`);
    }
    const statement = await this.#call((session) => session.prepare(sql, parameterTypes));
    this.#statements.set(name, statement);
    this.#writer.parseComplete();
  }

  async #bind(message: Extract<FrontendMessage, { type: 'Bind' }>): Promise<void> {
    const statement = this.#statement(message.statement);
    if (message.portal === '') {
      this.#dropPortal('');
    } else if (this.#portals.has(message.portal)) {
      throw new DbError('DUPLICATE_CURSOR', `portal "${message.portal}" already exists`);
    }
    const portal = await this.#call((session) =>
      session.bind(statement, message.parameters, message.parameterFormats, message.resultFormats),
    );
    this.#portals.set(message.portal, portal);
    this.#writer.bindComplete();
  }

  #describe(target: DescribeTarget, name: string): void {
    if (target === 'S') {
      const statement = this.#statement(name);
      this.#writer.parameterDescription(statement.parameterTypes);
      if (statement.fields === null) this.#writer.noData();
      else this.#writer.rowDescription(statement.fields);
    } else {
      const portal = this.#portal(name);
      if (portal.fields === null) this.#writer.noData();
      else this.#writer.rowDescription(portal.fields);
    }
  }

  async #execute(name: string, maxRows: number): Promise<void> {
    const portal = this.#portal(name);
    const result = await this.#call((session) => session.execute(portal, maxRows, this.#output));
    if (result === 'suspended') this.#writer.portalSuspended();
    this.#reportParameterChanges();
  }

  #close(target: DescribeTarget, name: string): void {
    // Closing a name that does not exist is not an error.
    if (target === 'S') this.#dropStatement(name);
    else this.#dropPortal(name);
    this.#writer.closeComplete();
  }

  async #sync(): Promise<void> {
    const failed = this.#skipUntilSync;
    this.#skipUntilSync = false;
    try {
      await this.#call((session) => session.sync(failed));
    } catch (error) {
      if (this.#streamBroken !== undefined || !isDbError(error)) throw error;
      this.#sendError(error, 'ERROR');
    }
    this.#afterTransactionBoundary();
    this.#readyForQuery();
  }

  #statement(name: string): PreparedStatement {
    const statement = this.#statements.get(name);
    if (statement === undefined) {
      const what = name === '' ? 'unnamed prepared statement' : `prepared statement "${name}"`;
      throw new DbError('NO_SUCH_PREPARED_STATEMENT', `${what} does not exist`);
    }
    return statement;
  }

  #portal(name: string): Portal {
    const portal = this.#portals.get(name);
    if (portal === undefined) {
      const what = name === '' ? 'unnamed portal' : `portal "${name}"`;
      throw new DbError('NO_SUCH_PORTAL', `${what} does not exist`);
    }
    return portal;
  }

  #dropStatement(name: string): void {
    const statement = this.#statements.get(name);
    if (statement === undefined) return;
    this.#statements.delete(name);
    this.#requireSession().closeStatement(statement);
  }

  #dropPortal(name: string): void {
    const portal = this.#portals.get(name);
    if (portal === undefined) return;
    this.#portals.delete(name);
    this.#requireSession().closePortal(portal);
  }

  /**
   * At the end of a simple query or an extended cycle: reports changed parameters and, when
   * no transaction is open any more, closes the portals, which PostgreSQL ties to the
   * transaction that made them.
   */
  #afterTransactionBoundary(): void {
    this.#reportParameterChanges();
    if (this.#requireSession().transactionStatus !== 'idle') return;
    for (const name of [...this.#portals.keys()]) this.#dropPortal(name);
  }

  /** ParameterStatus for every value a statement changed (a SET of client_encoding, DateStyle...). */
  #reportParameterChanges(): void {
    for (const [name, value] of this.#requireSession().parameterStatus()) {
      if (this.#reportedParameters.get(name) === value) continue;
      this.#reportedParameters.set(name, value);
      this.#writer.parameterStatus(name, value);
    }
  }
}

/** True if `sql` holds only whitespace: PostgreSQL answers it with EmptyQueryResponse. */
function isBlank(sql: string): boolean {
  for (let i = 0; i < sql.length; i++) {
    const c = sql.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0b && c !== 0x0c) return false;
  }
  return true;
}
