// A client on a raw node:net socket, for tests that speak to the load balancer byte by byte
// and read its answers as a user's client would: responses are parsed off the stream in
// order (Content-Length, chunked, close-delimited, and no body for HEAD, 1xx, 204 and 304),
// so pipelined answers and stray bytes between them show. Every wait is bounded.
import { connect, type Socket } from 'node:net';
import { decodeChunked } from './raw-backend.js';

export interface ParsedResponse {
  /** The status line as sent. */
  readonly statusLine: string;
  readonly status: number;
  /** The head exactly as received, without its final CRLF CRLF. */
  readonly head: string;
  /** Lower-case names; repeated fields joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The body as the client sees it (chunked framing removed). */
  readonly body: Buffer;
  /** How the body was delimited. */
  readonly framing: 'none' | 'length' | 'chunked' | 'close';
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: [^\r\n]*)?$/;

/**
 * The response at the start of `buffer`, or undefined until it has all arrived. `closed`:
 * the connection has ended, so a body without a length ends here. Throws on bytes that are
 * not an HTTP/1.x response.
 */
export function parseResponse(
  buffer: Buffer,
  method: string,
  closed: boolean,
): { response: ParsedResponse; consumed: number } | undefined {
  const headEnd = buffer.indexOf('\r\n\r\n');
  if (headEnd < 0) {
    if (buffer.length > 0 && !'HTTP/1.'.startsWith(buffer.toString('latin1', 0, Math.min(7, buffer.length))))
      throw new Error(`not a status line: ${JSON.stringify(buffer.toString('latin1', 0, 80))}`);
    return undefined;
  }
  const head = buffer.toString('latin1', 0, headEnd);
  const lines = head.split('\r\n');
  const statusLine = lines[0];
  const match = STATUS_LINE.exec(statusLine);
  if (match === null) throw new Error(`malformed status line ${JSON.stringify(statusLine)}`);
  const status = Number(match[1]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const field = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (field === null) throw new Error(`malformed header line ${JSON.stringify(line)}`);
    const name = field[1].toLowerCase();
    headers[name] = headers[name] === undefined ? field[2] : `${headers[name]}, ${field[2]}`;
  }
  const bodyStart = headEnd + 4;
  const done = (body: Buffer, end: number, framing: ParsedResponse['framing']) => ({
    response: { statusLine, status, head, headers, body: Buffer.from(body), framing },
    consumed: end,
  });
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304)
    return done(Buffer.alloc(0), bodyStart, 'none');
  if (headers['transfer-encoding'] !== undefined) {
    if (!/(^|,)\s*chunked$/i.test(headers['transfer-encoding']))
      return closed ? done(buffer.subarray(bodyStart), buffer.length, 'close') : undefined;
    const decoded = decodeChunked(buffer, bodyStart);
    return decoded === undefined ? undefined : done(decoded.body, decoded.end, 'chunked');
  }
  if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (headers['content-length'].includes(','))
      throw new Error(`Content-Length sent more than once (${headers['content-length']})`);
    if (!/^\d+$/.test(headers['content-length'])) throw new Error(`Content-Length ${headers['content-length']}`);
    if (buffer.length < bodyStart + length) return undefined;
    return done(buffer.subarray(bodyStart, bodyStart + length), bodyStart + length, 'length');
  }
  return closed ? done(buffer.subarray(bodyStart), buffer.length, 'close') : undefined;
}

export class RawClient {
  readonly socket: Socket;
  /** Every byte received, in order (what the client saw, for assertions on the whole stream). */
  readonly received: Buffer[] = [];
  #buffer: Buffer = Buffer.alloc(0);
  #closed = false;
  #wake: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.received.push(chunk);
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#notify();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#closed = true;
      this.#notify();
    });
  }

  /** Connects to 127.0.0.1:`port`. */
  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(new RawClient(socket));
      });
    });
  }

  /** The connection has ended (the server closed it, or it was destroyed). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes received and not yet taken by response(). */
  get pending(): Buffer {
    return this.#buffer;
  }

  /** Everything received so far, as latin1 text. */
  text(): string {
    return Buffer.concat(this.received).toString('latin1');
  }

  write(bytes: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) {
        resolve();
        return;
      }
      this.socket.write(bytes, () => resolve());
    });
  }

  /**
   * The next response on the connection (to a request of `method`), waiting at most
   * `limitMs` for it. Throws if it does not come, naming what did.
   */
  async response(method = 'GET', limitMs = 10_000): Promise<ParsedResponse> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const parsed = parseResponse(this.#buffer, method, this.#closed);
      if (parsed !== undefined) {
        this.#buffer = this.#buffer.subarray(parsed.consumed);
        return parsed.response;
      }
      if (this.#closed)
        throw new Error(`connection closed before a complete response; got ${JSON.stringify(this.#preview())}`);
      if (!(await this.#changed(deadline)))
        throw new Error(`no complete response within ${limitMs} ms; got ${JSON.stringify(this.#preview())}`);
    }
  }

  /** Whether the server closed the connection within `limitMs`. */
  async waitClosed(limitMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + limitMs;
    while (!this.#closed) if (!(await this.#changed(deadline))) return this.#closed;
    return true;
  }

  /** Whether at least `bytes` unread bytes (or the close) arrived within `limitMs`. */
  async waitFor(bytes: number, limitMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + limitMs;
    while (this.#buffer.length < bytes && !this.#closed) if (!(await this.#changed(deadline))) break;
    return this.#buffer.length >= bytes;
  }

  /** Ends the connection from the client side and waits (bounded) for it to close. */
  async close(limitMs = 5000): Promise<void> {
    this.socket.end();
    if (!(await this.waitClosed(limitMs))) this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  #preview(): string {
    return this.#buffer.toString('latin1', 0, Math.min(this.#buffer.length, 300));
  }

  #notify(): void {
    for (const wake of this.#wake.splice(0)) wake();
  }

  /** Resolves true at the next data or close event, false at the deadline. */
  #changed(deadline: number): Promise<boolean> {
    const left = deadline - Date.now();
    if (left <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = this.#wake.filter((wake) => wake !== onWake);
        resolve(false);
      }, left);
      const onWake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#wake.push(onWake);
    });
  }
}
