// One kept-alive HTTP/1.1 connection to a backend, and the pool of them per server. This is
// the proxy's upstream half written for the job rather than node's http.request and Agent:
// a request goes out as one write (head and, when it has arrived, the body), the response
// head is parsed strictly (response-head.ts) and the body is relayed as it arrives, its end
// found by body-decoder.ts. About half the proxy's CPU went to node's client machinery
// (ClientRequest, IncomingMessage, the Agent's bookkeeping) before; see bench/RESULTS.md.
//
// A connection goes back to its pool only when the exchange on it ended cleanly: the whole
// request was sent, the whole response read, nothing extra arrived, and neither side asked
// to close. Anything else destroys it, so a half-read response never leaks into the next
// request on the socket.
import { connect, type Socket } from 'node:net';
import { LbError } from '../errors.js';
import { BodyDecodeError, BodyDecoder } from './body-decoder.js';
import { findHeadEnd, hasBareLf, HeadParseError } from './fields.js';
import { parseResponseHead, type ResponseHead } from './response-head.js';

/** What an exchange hears from the connection it leased. Exactly one of end or error closes it. */
export interface ResponseSink {
  onResponseHead(head: ResponseHead): void;
  /** A slice of the decoded body (chunked framing removed). */
  onResponseData(chunk: Buffer): void;
  onResponseEnd(): void;
  /** The connection broke, timed out or sent something that is not HTTP; it is destroyed. */
  onUpstreamError(error: Error): void;
}

export interface UpstreamPoolOptions {
  readonly host: string;
  readonly port: number;
  /** Idle pooled connections close after this long. */
  readonly keepAliveMs: number;
  /** At most this many connections (busy, idle or connecting); requests beyond it wait. */
  readonly connectionsMax: number | undefined;
  /** A response head larger than this is refused. */
  readonly maxHeadBytes: number;
}

/** A request waiting for a connection. */
export interface ConnectionWaiter {
  onConnection(connection: UpstreamConnection): void;
  onConnectError(error: Error): void;
}

const EMPTY = Buffer.alloc(0);
/** 1xx responses accepted before the final one (each is read and dropped). */
const MAX_INTERIM_RESPONSES = 8;

export class UpstreamConnection {
  readonly #pool: UpstreamPool;
  readonly #socket: Socket;
  /** The connection served an exchange before this one (the keep-alive race is possible). */
  reused = false;
  #sink: ResponseSink | undefined;
  #method = 'GET';
  #head: Buffer | undefined;
  #decoder: BodyDecoder | undefined;
  #response: ResponseHead | undefined;
  #requestDone = false;
  #responseDone = false;
  #dirty = false;
  #bytesReceived = 0;
  #interim = 0;
  #idleMs = 0;
  #destroyed = false;

  constructor(pool: UpstreamPool, socket: Socket) {
    this.#pool = pool;
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(undefined));
    socket.on('timeout', () => this.#onTimeout());
  }

  /** Response bytes received for the current exchange (0: the backend sent nothing yet). */
  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * Sends a request head (and, for a request without a body, the whole request). `idleMs`
   * limits silence on the connection while the exchange runs.
   */
  start(head: string, method: string, hasBody: boolean, idleMs: number, sink: ResponseSink): void {
    this.#sink = sink;
    this.#method = method;
    this.#head = undefined;
    this.#decoder = undefined;
    this.#response = undefined;
    this.#requestDone = !hasBody;
    this.#responseDone = false;
    this.#bytesReceived = 0;
    this.#interim = 0;
    this.#idleMs = idleMs;
    this.#socket.setTimeout(idleMs);
    this.#socket.write(head, 'latin1');
  }

  /**
   * Writes request body bytes, as they are or as one chunk of a chunked body; false when the
   * socket's buffer is full (wait for onDrain).
   */
  writeBody(chunk: Buffer, chunked: boolean): boolean {
    if (!chunked) return this.#socket.write(chunk);
    if (chunk.length === 0) return true; // a zero-size chunk would end the body
    const socket = this.#socket;
    socket.cork();
    socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    socket.write(chunk);
    const room = socket.write('\r\n', 'latin1');
    socket.uncork();
    return room;
  }

  /** The request body is complete (its last bytes written). */
  endBody(trailer?: string): void {
    if (trailer !== undefined) this.#socket.write(trailer, 'latin1');
    this.#requestDone = true;
  }

  onDrain(listener: () => void): void {
    this.#socket.once('drain', listener);
  }

  /** Backpressure from the client: stop reading the response until resumed. */
  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  /** A connection leased to a request that no longer wants it (it went away meanwhile): back to the pool. */
  returnUnused(): void {
    if (this.#destroyed || this.#sink !== undefined) return;
    this.#pool.returnIdle(this);
  }

  /**
   * The exchange is done with the connection: back to the pool if the exchange ended
   * cleanly, else destroyed. Idempotent.
   */
  release(): void {
    if (this.#destroyed || this.#sink === undefined) return;
    this.#sink = undefined;
    const reusable = this.#requestDone && this.#responseDone && !this.#dirty && this.#response?.keepAlive === true;
    if (!reusable) {
      this.destroy();
      return;
    }
    this.#socket.resume();
    this.#socket.setTimeout(this.#pool.options.keepAliveMs);
    this.#pool.returnIdle(this);
  }

  destroy(error?: Error): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#sink = undefined;
    this.#socket.destroy(error);
    this.#pool.forget(this);
  }

  #onData(chunk: Buffer): void {
    const sink = this.#sink;
    if (sink === undefined || this.#responseDone) {
      // Bytes nobody asked for: an idle connection that talks, or more than the response framed.
      this.#dirty = true;
      if (sink === undefined) this.destroy();
      return;
    }
    this.#bytesReceived += chunk.length;
    let body = chunk;
    if (this.#response === undefined) {
      const previous = this.#head;
      const buffer = previous === undefined ? chunk : Buffer.concat([previous, chunk]);
      const end = findHeadEnd(buffer, previous?.length ?? 0);
      if (end > this.#pool.options.maxHeadBytes) {
        this.#protocolError(`a response head over ${this.#pool.options.maxHeadBytes} bytes`);
        return;
      }
      if (end < 0) {
        if (hasBareLf(buffer, previous?.length ?? 0)) {
          this.#protocolError('a line ended by a bare LF');
          return;
        }
        if (buffer.length > this.#pool.options.maxHeadBytes) {
          this.#protocolError(`a response head over ${this.#pool.options.maxHeadBytes} bytes`);
          return;
        }
        this.#head = buffer;
        return;
      }
      this.#head = undefined;
      let response: ResponseHead;
      try {
        response = parseResponseHead(end === buffer.length ? buffer : buffer.subarray(0, end), this.#method);
      } catch (error) {
        this.#protocolError(error instanceof HeadParseError ? error.message : String(error));
        return;
      }
      body = end === buffer.length ? EMPTY : buffer.subarray(end);
      if (response.statusCode < 200) {
        // An interim response (100 Continue, 103 Early Hints): not relayed; the final one follows.
        // 101 only answers an Upgrade, which this path never sends.
        if (response.statusCode === 101) {
          this.#protocolError('101 Switching Protocols to a request that asked for no upgrade');
          return;
        }
        if (++this.#interim > MAX_INTERIM_RESPONSES) {
          this.#protocolError(`more than ${MAX_INTERIM_RESPONSES} interim responses`);
          return;
        }
        this.#onData(body);
        return;
      }
      this.#response = response;
      this.#decoder = new BodyDecoder(response.framing);
      sink.onResponseHead(response);
      if (this.#sink !== sink) return;
      if (this.#decoder.done) {
        this.#finishResponse(sink, body.length);
        return;
      }
      if (body.length === 0) return;
    }
    let decoded;
    try {
      decoded = this.#decoder!.push(body);
    } catch (error) {
      this.#protocolError(error instanceof BodyDecodeError ? error.message : String(error));
      return;
    }
    for (const payload of decoded.payload) {
      sink.onResponseData(payload);
      if (this.#sink !== sink) return;
    }
    if (decoded.done) this.#finishResponse(sink, decoded.excess);
  }

  #finishResponse(sink: ResponseSink, excess: number): void {
    this.#responseDone = true;
    if (excess > 0) this.#dirty = true;
    // The socket's timeout stays as it is: the exchange releases the connection from
    // onResponseEnd, and release() sets the idle one (or destroys the connection).
    sink.onResponseEnd();
  }

  #onEnd(): void {
    const sink = this.#sink;
    if (sink !== undefined && this.#decoder !== undefined && !this.#responseDone && this.#decoder.endOfInput()) {
      this.#dirty = true;
      this.#finishResponse(sink, 0);
      return;
    }
    this.#fail(undefined);
  }

  #onTimeout(): void {
    if (this.#sink === undefined) {
      this.destroy(); // idle in the pool for keepAliveMs
      return;
    }
    this.#fail(new LbError('UPSTREAM_TIMEOUT', `was silent for ${this.#idleMs} ms`));
  }

  #protocolError(reason: string): void {
    this.#fail(new LbError('UPSTREAM_INVALID_RESPONSE', `sent an invalid response: ${reason}`));
  }

  /** The connection is unusable: tell the exchange (if one is running and not yet told) and destroy it. */
  #fail(error: Error | undefined): void {
    const sink = this.#sink;
    const completed = this.#responseDone;
    this.destroy();
    if (sink === undefined || completed) return;
    sink.onUpstreamError(
      error ??
        Object.assign(new Error('the backend closed the connection'), {
          code: 'ECONNRESET',
        } as Partial<NodeJS.ErrnoException>),
    );
  }
}

/**
 * The connections to one server: idle ones reused newest first (a few stay warm, the rest
 * time out), new ones opened up to connectionsMax, requests beyond it queued in order.
 */
export class UpstreamPool {
  readonly options: UpstreamPoolOptions;
  readonly #idle: UpstreamConnection[] = [];
  readonly #all = new Set<UpstreamConnection>();
  readonly #waiting: ConnectionWaiter[] = [];
  /** Connections being opened, by the request that asked for them. */
  readonly #connecting = new Map<ConnectionWaiter, Socket>();
  #closed = false;

  constructor(options: UpstreamPoolOptions) {
    this.options = options;
  }

  /** Connections by state, for leak checks and metrics. */
  counts(): { readonly idle: number; readonly busy: number; readonly connecting: number; readonly waiting: number } {
    return {
      idle: this.#idle.length,
      busy: this.#all.size - this.#idle.length,
      connecting: this.#connecting.size,
      waiting: this.#waiting.length,
    };
  }

  /**
   * Hands the waiter a connection: an idle one at once, a new one once connected, or later.
   * `fresh` skips the idle ones (a retry after a kept-alive connection turned out closed).
   */
  lease(waiter: ConnectionWaiter, fresh = false): void {
    const idle = fresh ? undefined : this.#idle.pop();
    if (idle !== undefined) {
      idle.reused = true;
      waiter.onConnection(idle);
      return;
    }
    const max = this.options.connectionsMax;
    if (max !== undefined && this.#all.size + this.#connecting.size >= max) {
      this.#waiting.push(waiter);
      return;
    }
    this.#open(waiter);
  }

  /** The waiter gave up (timeout, client gone): it gets nothing later, and its connect stops. */
  cancel(waiter: ConnectionWaiter): void {
    const at = this.#waiting.indexOf(waiter);
    if (at >= 0) this.#waiting.splice(at, 1);
    const socket = this.#connecting.get(waiter);
    if (socket === undefined) return;
    this.#connecting.delete(waiter);
    socket.destroy();
    this.#openForNextWaiter();
  }

  /** Closes idle connections; busy ones too if `busyToo` (they fail their exchanges). */
  close(options: { readonly busyToo: boolean; readonly forever: boolean }): void {
    if (options.forever) this.#closed = true;
    if (options.busyToo) {
      const refusal = (): Error => new Error('the load balancer closed its connections to the server');
      for (const waiter of this.#waiting.splice(0)) waiter.onConnectError(refusal());
      for (const [waiter, socket] of [...this.#connecting]) {
        this.#connecting.delete(waiter);
        socket.destroy();
        waiter.onConnectError(refusal());
      }
    }
    for (const connection of [...(options.busyToo ? this.#all : this.#idle)]) connection.destroy();
  }

  /** For UpstreamConnection.release. */
  returnIdle(connection: UpstreamConnection): void {
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) {
      connection.reused = true;
      waiter.onConnection(connection);
      return;
    }
    if (this.#closed) {
      connection.destroy();
      return;
    }
    this.#idle.push(connection);
  }

  /** For UpstreamConnection.destroy. */
  forget(connection: UpstreamConnection): void {
    if (!this.#all.delete(connection)) return;
    const at = this.#idle.indexOf(connection);
    if (at >= 0) this.#idle.splice(at, 1);
    this.#openForNextWaiter();
  }

  /** A slot freed: the first waiting request may open a connection now. */
  #openForNextWaiter(): void {
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) this.#open(waiter);
  }

  #open(waiter: ConnectionWaiter): void {
    const socket = connect({ host: this.options.host, port: this.options.port, noDelay: true });
    this.#connecting.set(waiter, socket);
    const onError = (error: Error): void => {
      if (this.#connecting.get(waiter) !== socket) return; // cancelled: the waiter is gone
      this.#connecting.delete(waiter);
      socket.destroy();
      waiter.onConnectError(error);
      this.#openForNextWaiter();
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      if (this.#connecting.get(waiter) !== socket) return;
      this.#connecting.delete(waiter);
      const connection = new UpstreamConnection(this, socket);
      this.#all.add(connection);
      if (this.#closed) {
        connection.destroy();
        waiter.onConnectError(new Error('the server was removed from the configuration'));
        return;
      }
      waiter.onConnection(connection);
    });
  }
}
