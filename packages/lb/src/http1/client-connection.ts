// The client half of the HTTP/1.1 proxy: a listener's connections, each read by a small
// state machine instead of node's http server. Node's server builds an IncomingMessage and
// a ServerResponse (two streams, their events and their header bookkeeping) per request,
// which the proxy then copies into its own shapes; here a request is parsed once, strictly
// (request-head.ts, fields.ts), its body decoded by body-decoder.ts, and the response goes
// out in as few writes as the backend allows: head, body and chunk terminator of a small
// response in one.
//
// Per connection, one request at a time (pipelined requests wait in the buffer, bounded):
//
//   head ──request──▶ body ──body read──▶ waiting ──response end──▶ head (keep-alive) or closed
//        └─Upgrade──▶ handed over (the socket and the bytes after the head leave this code)
//
// Limits (the listener's `limits`, re-read at every check, so a reload applies to open
// connections): a head larger than maxHeaderBytes is answered 431; a head not complete
// within headersTimeoutMs (from the connection's start, or from the first byte of a later
// request) or a request not complete within requestTimeoutMs is answered 408; an idle kept-
// alive connection closes after keepAliveTimeoutMs. One sweep timer per listener checks
// every connection's deadlines (as node's server does), not a timer per request.
import { STATUS_CODES } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { Clock } from '@tandem/testkit';
import type { RequestHead } from '../http/forward-headers.js';
import { BodyDecodeError, BodyDecoder } from './body-decoder.js';
import { findHeadEnd, hasBareLf, HeadParseError } from './fields.js';
import { parseRequestHead, RequestHeadError, type RequestLine } from './request-head.js';
import type { BodyFraming } from './response-head.js';

export interface ClientLimits {
  readonly maxHeaderBytes: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

/** Why a client's request was refused before it reached an exchange. */
export interface ClientProblem {
  readonly status: 400 | 405 | 408 | 431 | 505;
  readonly detail: string;
  readonly remoteAddress: string | undefined;
}

export interface ClientHandlers {
  /** A request head arrived. `framing` is its body's; refuse with response.refuse() if it is unusable. */
  onRequest(request: InboundRequest, response: OutboundResponse): void;
  /** An Upgrade request: the socket, and the bytes that followed the head, now belong to the handler. */
  onUpgrade(request: InboundRequest, socket: Socket, rest: Buffer): void;
  /** A request refused by the parser or a limit; the answer is written already. */
  onProblem(problem: ClientProblem): void;
}

interface BodyReader {
  onData(chunk: Buffer): void;
  onEnd(): void;
}

/** How long a closing connection waits for the client to close its side before it is destroyed. */
const LINGER_MS = 2000;
/** Pipelined bytes beyond this (while a request is served) stop reading the socket. */
const PIPELINE_BUFFER_MAX = 64 * 1024;
const EMPTY = Buffer.alloc(0);

/** A request as the exchange sees it. The body is read on demand (readBody), with pause and resume. */
export class InboundRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly rawHeaders: string[];
  readonly remoteAddress: string | undefined;
  /** What the proxy read from the headers (inspectRequestHead). */
  readonly head: RequestHead;
  readonly framing: BodyFraming;
  readonly #connection: ClientConnection;

  constructor(
    line: RequestLine,
    inspected: InspectedRequest,
    remoteAddress: string | undefined,
    connection: ClientConnection,
  ) {
    this.method = line.method;
    this.url = line.url;
    this.httpVersion = line.httpVersion;
    this.rawHeaders = line.rawHeaders;
    this.head = inspected.head;
    this.framing = inspected.framing;
    this.remoteAddress = remoteAddress;
    this.#connection = connection;
  }

  /** Starts delivering the body (decoded: chunked framing removed) to `reader`. */
  readBody(reader: BodyReader): void {
    this.#connection.readBody(this, reader);
  }

  /** Backpressure: stop delivering body bytes until resume(). */
  pause(): void {
    this.#connection.pauseBody(this);
  }

  resume(): void {
    this.#connection.resumeBody(this);
  }
}

/** The response to one request: written as the backend's answer arrives. */
export class OutboundResponse {
  readonly #connection: ClientConnection;
  readonly #request: InboundRequest;
  statusCode = 0;
  headersSent = false;
  /** The whole response was handed to the socket. */
  finished = false;
  #head: string | undefined;
  #noBody = false;
  #chunked = false;
  /** The request allows the connection to stay open after this response. */
  readonly #keepAlive: boolean;
  #closeAfter: boolean;
  #closeListener: (() => void) | undefined;
  #closed = false;

  constructor(connection: ClientConnection, request: InboundRequest, keepAlive: boolean) {
    this.#connection = connection;
    this.#request = request;
    this.#keepAlive = keepAlive;
    this.#closeAfter = !keepAlive;
  }

  /** Called once, when the response finished or the client went away. */
  onClose(listener: () => void): void {
    this.#closeListener = listener;
  }

  /** The connection closes after this response (the request asked for it, or the body could not be framed). */
  get closesConnection(): boolean {
    return this.#closeAfter;
  }

  /** Sets the status and headers (names and values alternating); sent with the first body bytes or end(). */
  writeHead(status: number, reason: string | undefined, rawHeaders: readonly string[], close = false): void {
    // A head not yet sent may be replaced (the backend's answer turned out broken before any byte went out).
    if (this.headersSent) throw new Error('writeHead after the head was sent');
    this.statusCode = status;
    this.#chunked = false;
    this.#closeAfter = !this.#keepAlive || close;
    let hasLength = false;
    let head = `HTTP/1.1 ${status} ${reason ?? STATUS_CODES[status] ?? ''}\r\n`;
    for (let index = 0; index < rawHeaders.length; index += 2) {
      const name = rawHeaders[index];
      if (name.length === 14 && name.toLowerCase() === 'content-length') hasLength = true;
      head += `${name}: ${rawHeaders[index + 1]}\r\n`;
    }
    this.#noBody = this.#request.method === 'HEAD' || status < 200 || status === 204 || status === 304;
    if (!this.#noBody && !hasLength) {
      // A body of unknown length: chunked for HTTP/1.1 clients, delimited by the close for HTTP/1.0 ones.
      if (this.#request.httpVersion === '1.1') {
        this.#chunked = true;
        head += 'Transfer-Encoding: chunked\r\n';
      } else this.#closeAfter = true;
    }
    if (this.#closeAfter) head += 'Connection: close\r\n';
    else if (this.#request.httpVersion === '1.0') head += 'Connection: keep-alive\r\n';
    this.#head = `${head}\r\n`;
  }

  /** Writes body bytes; false when the socket's buffer is full (wait for onDrain). */
  write(chunk: Buffer): boolean {
    if (this.#closed || this.finished) return false;
    const socket = this.#connection.socket;
    this.#connection.batchWrites();
    this.#flushHead(socket);
    if (this.#noBody || chunk.length === 0) return !socket.writableNeedDrain;
    if (!this.#chunked) return socket.write(chunk);
    socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    socket.write(chunk);
    return socket.write('\r\n', 'latin1');
  }

  /** Ends the response (with a last piece of body, if given). */
  end(chunk?: Buffer | string): void {
    if (this.#closed || this.finished) return;
    const socket = this.#connection.socket;
    this.#connection.batchWrites();
    if (chunk !== undefined && chunk.length > 0)
      this.write(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    else this.#flushHead(socket);
    if (this.#chunked) socket.write('0\r\n\r\n', 'latin1');
    this.finished = true;
    this.#connection.responseEnded(this, this.#closeAfter);
    this.#close();
  }

  onDrain(listener: () => void): void {
    this.#connection.socket.once('drain', listener);
  }

  /** Cuts the client connection (a failure after the response started, or an abort). */
  destroy(): void {
    this.#connection.destroy();
  }

  /** For ClientConnection: the client went away before the response finished. */
  clientGone(): void {
    this.#close();
  }

  #flushHead(socket: Socket): void {
    const head = this.#head;
    if (head === undefined) {
      if (!this.headersSent) throw new Error('response body before writeHead');
      return;
    }
    this.#head = undefined;
    this.headersSent = true;
    socket.write(head, 'latin1');
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const listener = this.#closeListener;
    this.#closeListener = undefined;
    listener?.();
  }
}

const enum Stage {
  Head,
  Body,
  Waiting,
  Gone,
}

export class ClientConnection {
  readonly socket: Socket;
  readonly #listener: ClientListener;
  #stage = Stage.Head;
  #buffer: Buffer = EMPTY;
  #request: InboundRequest | undefined;
  #response: OutboundResponse | undefined;
  #decoder: BodyDecoder | undefined;
  #reader: BodyReader | undefined;
  #bodyPaused = false;
  #socketPaused = false;
  #processing = false;
  #again = false;
  #headScanned = 0;
  /** The client shut down its side (half-close): end the connection once its requests are answered. */
  #clientEnded = false;
  #corked = false;
  #lingering = false;
  /** Deadlines in the listener clock's milliseconds; 0 when not running. */
  #headDeadline: number;
  #requestDeadline = 0;
  #idleDeadline = 0;

  constructor(listener: ClientListener, socket: Socket) {
    this.#listener = listener;
    this.socket = socket;
    const now = listener.now();
    const limits = listener.limits;
    this.#headDeadline = now + limits.headersTimeoutMs;
    this.#requestDeadline = now + limits.requestTimeoutMs;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#onClose());
  }

  /** Idle between requests, nothing buffered: safe to close at once (stopping, or a reload's grace). */
  get idle(): boolean {
    return this.#stage === Stage.Head && this.#buffer.length === 0 && this.#response === undefined;
  }

  destroy(): void {
    this.socket.destroy();
  }

  /**
   * Ends the connection: our FIN after what was written, then whatever the client still
   * sends is read and dropped (a close with unread data would reset the connection, and the
   * client could lose the answer), and the socket is destroyed once the client closes too,
   * or after LINGER_MS (half-open connections are allowed, so a client that never closes
   * must not keep the socket forever).
   */
  closeGracefully(): void {
    if (this.#lingering) return;
    this.#lingering = true;
    this.#stage = Stage.Gone;
    const socket = this.socket;
    socket.end();
    if (this.#socketPaused) socket.resume();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  }

  /** The socket's writes of this tick go out together (one writev) at the next tick. */
  batchWrites(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.socket.cork();
    process.nextTick(() => {
      this.#corked = false;
      this.socket.uncork();
    });
  }

  /** Called by the listener's sweep: enforces the client limits. */
  checkDeadlines(now: number): void {
    switch (this.#stage) {
      case Stage.Head:
        if (this.#idleDeadline > 0) {
          if (now >= this.#idleDeadline) this.closeGracefully(); // an idle kept-alive connection: closed quietly
        } else if (now >= this.#headDeadline || now >= this.#requestDeadline) {
          this.#refuse(408, `no complete request head within ${this.#listener.limits.headersTimeoutMs} ms`);
        }
        break;
      case Stage.Body:
        if (now >= this.#requestDeadline) {
          const detail = `the request was not complete within ${this.#listener.limits.requestTimeoutMs} ms`;
          if (this.#response?.headersSent === true) {
            this.#listener.handlers.onProblem({ status: 408, detail, remoteAddress: this.socket.remoteAddress });
            this.destroy();
          } else this.#refuse(408, detail);
        }
        break;
      default:
        break;
    }
  }

  readBody(request: InboundRequest, reader: BodyReader): void {
    if (request !== this.#request || this.#reader !== undefined) return;
    this.#reader = reader;
    if (this.#decoder === undefined || this.#decoder.done) {
      reader.onEnd();
      return;
    }
    this.#pump();
  }

  pauseBody(request: InboundRequest): void {
    if (request === this.#request) this.#bodyPaused = true;
  }

  resumeBody(request: InboundRequest): void {
    if (request !== this.#request || !this.#bodyPaused) return;
    this.#bodyPaused = false;
    this.#pump();
  }

  /** For OutboundResponse.end: the exchange is over; serve the next request or close. */
  responseEnded(response: OutboundResponse, close: boolean): void {
    if (response !== this.#response) return;
    // A body the exchange did not read to its end (an early answer) leaves the connection unusable.
    const unread = this.#stage === Stage.Body;
    this.#response = undefined;
    this.#request = undefined;
    this.#reader = undefined;
    this.#decoder = undefined;
    this.#bodyPaused = false;
    if (close || unread || (this.#clientEnded && this.#buffer.length === 0)) {
      this.#stage = Stage.Gone;
      this.closeGracefully();
      return;
    }
    this.#stage = Stage.Head;
    const now = this.#listener.now();
    const limits = this.#listener.limits;
    if (this.#buffer.length === 0) this.#idleDeadline = now + limits.keepAliveTimeoutMs;
    else this.#startRequestClock(now);
    if (this.#socketPaused) {
      this.#socketPaused = false;
      this.socket.resume();
    }
    if (this.#buffer.length > 0) setImmediate(() => this.#process());
  }

  #startRequestClock(now: number): void {
    const limits = this.#listener.limits;
    this.#idleDeadline = 0;
    this.#headDeadline = now + limits.headersTimeoutMs;
    this.#requestDeadline = now + limits.requestTimeoutMs;
  }

  #onData(chunk: Buffer): void {
    if (this.#stage === Stage.Gone) return;
    if (this.#stage === Stage.Head && this.#buffer.length === 0 && this.#idleDeadline > 0)
      this.#startRequestClock(this.#listener.now());
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    if (
      this.#stage === Stage.Waiting ||
      (this.#stage === Stage.Body && (this.#reader === undefined || this.#bodyPaused))
    ) {
      if (this.#buffer.length > PIPELINE_BUFFER_MAX && !this.#socketPaused) {
        this.#socketPaused = true;
        this.socket.pause();
      }
      return;
    }
    this.#process();
  }

  #process(): void {
    if (this.#processing) {
      this.#again = true;
      return;
    }
    this.#processing = true;
    try {
      do {
        this.#again = false;
        if (this.#stage === Stage.Head) this.#readHead();
        else if (this.#stage === Stage.Body) this.#pump();
      } while (this.#again);
    } finally {
      this.#processing = false;
    }
  }

  #readHead(): void {
    let buffer = this.#buffer;
    // Empty lines before a request line are ignored (RFC 9112 section 2.2: some clients send
    // one after a POST body).
    while (buffer.length >= 2 && buffer[0] === 0x0d && buffer[1] === 0x0a) buffer = buffer.subarray(2);
    this.#buffer = buffer;
    if (buffer.length === 0) return;
    const limits = this.#listener.limits;
    // Bytes before #headScanned were searched by an earlier call (a head arriving in pieces).
    const scanned = this.#headScanned;
    const end = findHeadEnd(buffer, scanned);
    if (end < 0) {
      this.#headScanned = buffer.length;
      if (hasBareLf(buffer, scanned)) this.#refuse(400, 'a line ended by a bare LF');
      // Up to 3 of these bytes may be the start of the final CRLF CRLF, which the limit does not count.
      else if (buffer.length - 3 > limits.maxHeaderBytes)
        this.#refuse(431, `the request head is over ${limits.maxHeaderBytes} bytes`);
      return;
    }
    // The limit counts the request line and fields, not the final CRLF CRLF (node's rule), the
    // same whether the head arrives whole or in pieces.
    if (end - 4 > limits.maxHeaderBytes) {
      this.#refuse(431, `the request head is over ${limits.maxHeaderBytes} bytes`);
      return;
    }
    let line: RequestLine;
    try {
      line = parseRequestHead(end === buffer.length ? buffer : buffer.subarray(0, end));
    } catch (error) {
      if (!(error instanceof HeadParseError)) throw error;
      // A HEAD request's refusal carries no body, even when the rest of its head is unusable.
      const method = buffer.toString('latin1', 0, 5) === 'HEAD ' ? 'HEAD' : undefined;
      this.#refuse(
        error instanceof RequestHeadError ? (error.status as ClientProblem['status']) : 400,
        error.message,
        method,
      );
      return;
    }
    this.#buffer = end === buffer.length ? EMPTY : buffer.subarray(end);
    this.#headScanned = 0;
    this.#headDeadline = 0;
    const inspected = this.#listener.inspect(line);
    if (typeof inspected === 'string') {
      this.#refuse(400, inspected, line.method);
      return;
    }
    const request = new InboundRequest(line, inspected, this.socket.remoteAddress, this);
    if (inspected.upgrade) {
      this.#stage = Stage.Gone;
      const rest = this.#buffer;
      this.#buffer = EMPTY;
      this.socket.removeAllListeners('data');
      this.socket.removeAllListeners('close');
      this.#listener.forget(this);
      this.#listener.handlers.onUpgrade(request, this.socket, rest);
      return;
    }
    const response = new OutboundResponse(this, request, inspected.keepAlive);
    this.#request = request;
    this.#response = response;
    this.#decoder = inspected.framing.kind === 'none' ? undefined : new BodyDecoder(inspected.framing);
    if (this.#decoder === undefined) {
      this.#stage = Stage.Waiting;
      this.#requestDeadline = 0;
    } else {
      this.#stage = Stage.Body;
      if (inspected.expectsContinue && line.httpVersion === '1.1') this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    }
    this.#listener.handlers.onRequest(request, response);
  }

  /** Delivers buffered body bytes to the reader while it wants them. */
  #pump(): void {
    const reader = this.#reader;
    const decoder = this.#decoder;
    if (this.#stage !== Stage.Body || reader === undefined || decoder === undefined || this.#bodyPaused) return;
    const input = this.#buffer;
    if (input.length === 0) return;
    let decoded;
    try {
      decoded = decoder.push(input);
    } catch (error) {
      if (!(error instanceof BodyDecodeError)) throw error;
      this.#refuse(400, `malformed chunked body: ${error.message}`);
      return;
    }
    this.#buffer = decoded.excess === 0 ? EMPTY : input.subarray(input.length - decoded.excess);
    if (this.#socketPaused && this.#buffer.length <= PIPELINE_BUFFER_MAX && !decoded.done) {
      this.#socketPaused = false;
      this.socket.resume();
    }
    for (const payload of decoded.payload) reader.onData(payload);
    if (decoded.done && this.#stage === Stage.Body && this.#reader === reader) {
      this.#stage = Stage.Waiting;
      this.#requestDeadline = 0;
      reader.onEnd();
    }
  }

  /** Answers a refused request (unless a response already started) and closes the connection. */
  #refuse(status: ClientProblem['status'], detail: string, method?: string): void {
    if (this.#stage === Stage.Gone) return;
    const started = this.#response?.headersSent === true;
    this.#stage = Stage.Gone;
    this.#listener.handlers.onProblem({ status, detail, remoteAddress: this.socket.remoteAddress });
    if (started) {
      this.destroy();
      return;
    }
    const body = `${status} ${STATUS_CODES[status]}\n\n${this.#listener.problemCode(status)}: ${detail}\n`;
    this.socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${method === 'HEAD' ? '' : body}`,
    );
    this.closeGracefully();
    // The exchange (if one runs) ends with the connection.
    const response = this.#response;
    this.#response = undefined;
    response?.clientGone();
  }

  /**
   * The client shut down its sending side. A request already read is still answered if its
   * response has not started, and then the connection ends; an unfinished head or body will
   * never complete, so the connection ends now (a response in progress is cut).
   */
  #onEnd(): void {
    this.#clientEnded = true;
    // Complete requests may still sit in the buffer (pipelined, then shut down): read them first.
    if (this.#stage === Stage.Head && this.#buffer.length > 0 && !this.#processing) this.#process();
    this.#endAfterClientEnd();
  }

  #endAfterClientEnd(): void {
    switch (this.#stage) {
      case Stage.Waiting:
        // Waiting for the backend: answer (a half-closed client still reads). Once the answer has
        // started, a FIN is a client that left (it closed, it did not half-close to wait): cut.
        if (this.#response?.headersSent === true) this.destroy();
        return;
      case Stage.Head:
      case Stage.Body:
        this.#stage = Stage.Gone;
        if (this.#response === undefined) this.closeGracefully();
        else this.destroy();
        return;
      default:
        return;
    }
  }

  #onClose(): void {
    this.#stage = Stage.Gone;
    this.#listener.forget(this);
    const response = this.#response;
    this.#response = undefined;
    response?.clientGone();
  }
}

/** What the listener decides from a parsed head (framing checks live with the proxy). */
export interface InspectedRequest {
  readonly head: RequestHead;
  readonly framing: BodyFraming;
  readonly keepAlive: boolean;
  readonly upgrade: boolean;
  readonly expectsContinue: boolean;
}

export interface ClientListenerOptions {
  readonly clock: Clock;
  readonly limits: ClientLimits;
  readonly handlers: ClientHandlers;
  /** Framing checks and connection decisions on a parsed head; a string refuses it (400). */
  readonly inspect: (line: RequestLine) => InspectedRequest | string;
  /** The TLB code named in the body of a refusal with this status. */
  readonly problemCode: (status: number) => string;
}

/** A TCP server whose connections speak HTTP/1.1 through ClientConnection. */
export class ClientListener {
  readonly server: Server;
  readonly handlers: ClientHandlers;
  readonly inspect: (line: RequestLine) => InspectedRequest | string;
  readonly problemCode: (status: number) => string;
  readonly #clock: Clock;
  readonly #connections = new Set<ClientConnection>();
  #limits: ClientLimits;
  #sweep: ReturnType<typeof setInterval> | undefined;

  constructor(options: ClientListenerOptions) {
    this.#clock = options.clock;
    this.#limits = options.limits;
    this.handlers = options.handlers;
    this.inspect = options.inspect;
    this.problemCode = options.problemCode;
    // allowHalfOpen: a client may send its request and shut its side down; it still gets the answer.
    this.server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
      this.#connections.add(new ClientConnection(this, socket));
      this.#armSweep();
    });
  }

  get limits(): ClientLimits {
    return this.#limits;
  }

  set limits(limits: ClientLimits) {
    this.#limits = limits;
    if (this.#sweep !== undefined) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
      this.#armSweep();
    }
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  now(): number {
    return this.#clock.monotonicMs();
  }

  /** For ClientConnection: closed or handed over. */
  forget(connection: ClientConnection): void {
    this.#connections.delete(connection);
    if (this.#connections.size === 0 && this.#sweep !== undefined) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }

  closeIdleConnections(): void {
    for (const connection of this.#connections) if (connection.idle) connection.closeGracefully();
  }

  closeAllConnections(): void {
    for (const connection of this.#connections) connection.destroy();
  }

  /** Checks often enough that the limits mean what they say (node's connectionsCheckingInterval). */
  #armSweep(): void {
    if (this.#sweep !== undefined) return;
    const limits = this.#limits;
    const everyMs = Math.max(
      50,
      Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.keepAliveTimeoutMs) / 4)),
    );
    this.#sweep = setInterval(() => {
      const now = this.now();
      for (const connection of this.#connections) connection.checkDeadlines(now);
    }, everyMs);
    this.#sweep.unref();
  }
}
