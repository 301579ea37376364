// A backend on raw node:net sockets for protocol tests: it parses the requests the load
// balancer sends (strictly: a malformed request framing is recorded and the connection
// dropped) and lets each test write whatever bytes it wants back, well-formed or not. It
// counts accepted connections, open ones and the most open at once.
import { createServer, type Server, type Socket } from 'node:net';
import { listenOnLoopback } from './harness.js';

export interface RawRequest {
  /** Which accepted connection carried it (1 for the first accept). */
  readonly connection: number;
  /** Its position on that connection (0 for the first request). */
  readonly index: number;
  readonly method: string;
  readonly url: string;
  /** Lower-case names; repeated fields joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The request head exactly as received, its final CRLF CRLF included. */
  readonly head: string;
  /** The decoded body. */
  readonly body: Buffer;
  /** The body bytes as framed on the wire (chunk sizes and all, for chunked). */
  readonly rawBody: Buffer;
}

/** Answers one request: write to `socket` (or end or destroy it). */
export type RawHandler = (request: RawRequest, socket: Socket, backend: RawBackend) => void;

export interface RawBackend {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepts: number;
  /** Connections open now. */
  readonly open: number;
  /** The most connections open at the same time. */
  readonly maxOpen: number;
  /** Connections (by number) that have closed. */
  readonly closed: ReadonlySet<number>;
  /** Every request received, in order of arrival. */
  readonly requests: RawRequest[];
  /** Request framing faults seen (the connection was dropped). */
  readonly faults: string[];
  close(): Promise<void>;
}

/** Starts a raw backend on 127.0.0.1 (an ephemeral port). */
export async function startRawBackend(handler: RawHandler): Promise<RawBackend> {
  const sockets = new Set<Socket>();
  const state = {
    port: 0,
    accepts: 0,
    open: 0,
    maxOpen: 0,
    closed: new Set<number>(),
    requests: [] as RawRequest[],
    faults: [] as string[],
    close: async (): Promise<void> => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
  const backend: RawBackend = state;
  const server: Server = createServer((socket) => {
    const connection = ++state.accepts;
    state.open++;
    state.maxOpen = Math.max(state.maxOpen, state.open);
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      state.open--;
      state.closed.add(connection);
    });
    let buffer: Buffer = Buffer.alloc(0);
    let index = 0;
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        let parsed: { request: RawRequest; consumed: number } | undefined;
        try {
          parsed = parseRequest(buffer, connection, index);
        } catch (error) {
          state.faults.push(`connection ${connection}: ${(error as Error).message}`);
          socket.destroy();
          return;
        }
        if (parsed === undefined) return;
        buffer = buffer.subarray(parsed.consumed);
        index++;
        state.requests.push(parsed.request);
        handler(parsed.request, socket, backend);
        if (socket.destroyed) return;
      }
    });
  });
  state.port = await listenOnLoopback(server);
  return backend;
}

/** A complete request at the start of `buffer`, or undefined if it has not all arrived. */
function parseRequest(
  buffer: Buffer,
  connection: number,
  index: number,
): { request: RawRequest; consumed: number } | undefined {
  const headEnd = buffer.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const head = buffer.toString('latin1', 0, headEnd + 4);
  const lines = head.slice(0, -4).split('\r\n');
  const requestLine = /^([A-Z]+) (\S+) HTTP\/1\.1$/.exec(lines[0]);
  if (requestLine === null) throw new Error(`bad request line ${JSON.stringify(lines[0])}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const match = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (match === null || /[\r\n]/.test(line)) throw new Error(`bad header line ${JSON.stringify(line)}`);
    const name = match[1].toLowerCase();
    headers[name] = headers[name] === undefined ? match[2] : `${headers[name]}, ${match[2]}`;
  }
  const bodyStart = headEnd + 4;
  let body: Buffer;
  let bodyEnd: number;
  if (headers['transfer-encoding'] !== undefined) {
    if (headers['content-length'] !== undefined) throw new Error('both Transfer-Encoding and Content-Length');
    if (headers['transfer-encoding'].toLowerCase() !== 'chunked')
      throw new Error(`Transfer-Encoding ${headers['transfer-encoding']}`);
    const decoded = decodeChunked(buffer, bodyStart);
    if (decoded === undefined) return undefined;
    body = decoded.body;
    bodyEnd = decoded.end;
  } else {
    const lengthText = headers['content-length'] ?? '0';
    if (!/^\d+$/.test(lengthText)) throw new Error(`Content-Length ${lengthText}`);
    const length = Number(lengthText);
    if (buffer.length < bodyStart + length) return undefined;
    body = buffer.subarray(bodyStart, bodyStart + length);
    bodyEnd = bodyStart + length;
  }
  return {
    request: {
      connection,
      index,
      method: requestLine[1],
      url: requestLine[2],
      headers,
      head,
      body: Buffer.from(body),
      rawBody: Buffer.from(buffer.subarray(bodyStart, bodyEnd)),
    },
    consumed: bodyEnd,
  };
}

/** A strictly framed chunked body from `start`: undefined until it has all arrived; throws on a fault. */
export function decodeChunked(buffer: Buffer, start: number): { body: Buffer; end: number } | undefined {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const line = buffer.toString('latin1', at, lineEnd);
    const sizeMatch = /^([0-9A-Fa-f]{1,8})(;.*)?$/.exec(line);
    if (sizeMatch === null || /\n/.test(line)) throw new Error(`bad chunk size line ${JSON.stringify(line)}`);
    const size = parseInt(sizeMatch[1], 16);
    at = lineEnd + 2;
    if (size === 0) {
      // Trailer fields, then the empty line.
      for (;;) {
        const trailerEnd = buffer.indexOf('\r\n', at);
        if (trailerEnd < 0) return undefined;
        const trailer = buffer.toString('latin1', at, trailerEnd);
        at = trailerEnd + 2;
        if (trailer === '') return { body: Buffer.concat(parts), end: at };
        if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:/.test(trailer)) throw new Error(`bad trailer ${JSON.stringify(trailer)}`);
      }
    }
    if (buffer.length < at + size + 2) return undefined;
    parts.push(buffer.subarray(at, at + size));
    if (buffer[at + size] !== 0x0d || buffer[at + size + 1] !== 0x0a) throw new Error('chunk data not ended by CRLF');
    at += size + 2;
  }
}

/** A response head with the given status line and fields. */
export function responseHead(statusLine: string, ...fields: string[]): string {
  return `${statusLine}\r\n${fields.map((field) => `${field}\r\n`).join('')}\r\n`;
}

/** An HTTP/1.1 200 with Content-Length. */
export function okResponse(body: string | Buffer, ...fields: string[]): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return Buffer.concat([
    Buffer.from(responseHead('HTTP/1.1 200 OK', `Content-Length: ${bytes.length}`, ...fields), 'latin1'),
    bytes,
  ]);
}

/**
 * Writes `bytes` in pieces of at most `pieceSize`, each after the previous one was handed
 * to the kernel and a timer tick passed, so the load balancer reads them separately.
 */
export async function writeInPieces(socket: Socket, bytes: Buffer, pieceSize: number): Promise<void> {
  for (let at = 0; at < bytes.length && !socket.destroyed; at += pieceSize) {
    await new Promise<void>((resolve) => socket.write(bytes.subarray(at, at + pieceSize), () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
