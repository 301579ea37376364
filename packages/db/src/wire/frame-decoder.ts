// Incremental framing of the bytes a client sends: the length-prefixed startup packets
// (no type byte) and the regular messages (type byte + int32 length). Framing errors are
// fatal to the connection, because after one the stream has no message boundaries left.

import { DbError } from '../errors.js';

/** PostgreSQL's limit on a startup packet (MAX_STARTUP_PACKET_LENGTH), length word included. */
export const STARTUP_PACKET_BYTES_MAX = 10_000;
/** The default limit on a regular message, length word included. */
export const MESSAGE_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
/** PostgreSQL's PQ_SMALL_MESSAGE_LIMIT, for messages that carry only names or a count. */
const SMALL_MESSAGE_BYTES_MAX = 10_000;
/** PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH, for the 'p' message of the authentication exchange. */
const AUTH_MESSAGE_BYTES_MAX = 65_535;

/** One regular message: its type byte and its body (the bytes after the length word). */
export interface Frame {
  readonly type: number;
  /**
   * A view into the decoder's storage. The decoder never writes over bytes it has handed out
   * (it moves to a fresh buffer instead), so the view stays valid; copy what you retain long,
   * so that it does not pin a whole input buffer.
   */
  readonly body: Buffer;
}

/** One startup-phase packet: the int32 code after the length word, and the rest. */
export interface StartupFrame {
  readonly code: number;
  readonly body: Buffer;
}

/** The type bytes of the frontend messages. */
export const FrontendType = {
  Bind: 0x42, // B
  Close: 0x43, // C
  Describe: 0x44, // D
  Execute: 0x45, // E
  FunctionCall: 0x46, // F
  Flush: 0x48, // H
  Parse: 0x50, // P
  Query: 0x51, // Q
  Sync: 0x53, // S
  Terminate: 0x58, // X
  CopyDone: 0x63, // c
  CopyData: 0x64, // d
  CopyFail: 0x66, // f
  Password: 0x70, // p
} as const;

/**
 * The largest length word (length word included) each message type may declare, or
 * undefined for a type no frontend sends. A type with an empty body must declare exactly 4.
 */
function lengthMaxOf(type: number, messageBytesMax: number): number | undefined {
  switch (type) {
    case FrontendType.Query:
    case FrontendType.Parse:
    case FrontendType.Bind:
    case FrontendType.CopyData:
    case FrontendType.FunctionCall:
      return messageBytesMax;
    case FrontendType.Describe:
    case FrontendType.Close:
    case FrontendType.Execute:
    case FrontendType.CopyFail:
      return SMALL_MESSAGE_BYTES_MAX;
    case FrontendType.Password:
      return AUTH_MESSAGE_BYTES_MAX;
    case FrontendType.Sync:
    case FrontendType.Flush:
    case FrontendType.Terminate:
    case FrontendType.CopyDone:
      return 4;
    default:
      return undefined;
  }
}

const EMPTY_BODY_TYPES = new Set<number>([
  FrontendType.Sync,
  FrontendType.Flush,
  FrontendType.Terminate,
  FrontendType.CopyDone,
]);

const BUFFER_BYTES_MIN = 16 * 1024;

export class FrameDecoder {
  readonly #messageBytesMax: number;
  #buffer: Buffer = Buffer.alloc(0);
  #start = 0;
  #end = 0;

  constructor(options: { messageBytesMax?: number } = {}) {
    this.#messageBytesMax = options.messageBytesMax ?? MESSAGE_BYTES_MAX_DEFAULT;
  }

  /** Bytes received and not yet returned as a frame. */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const pending = this.#end - this.#start;
    if (pending === 0) {
      // The common case: whole messages per chunk. Node never reuses a chunk, so frames can
      // be views into it with no copy at all.
      this.#buffer = chunk;
      this.#start = 0;
      this.#end = chunk.length;
      return;
    }
    if (this.#end + chunk.length <= this.#buffer.length) {
      chunk.copy(this.#buffer, this.#end);
      this.#end += chunk.length;
      return;
    }
    // Move to a fresh buffer rather than compacting in place: frames handed out earlier
    // are views into the old one and must keep their bytes.
    const capacity = Math.max(BUFFER_BYTES_MIN, 2 * (pending + chunk.length));
    const next = Buffer.allocUnsafe(capacity);
    this.#buffer.copy(next, 0, this.#start, this.#end);
    chunk.copy(next, pending);
    this.#buffer = next;
    this.#start = 0;
    this.#end = pending + chunk.length;
  }

  /**
   * The next startup-phase packet, or undefined until it has fully arrived. Throws DbError
   * PROTOCOL_VIOLATION for a length outside [8, 10000], as soon as the length word is in.
   */
  nextStartup(): StartupFrame | undefined {
    if (this.#end - this.#start < 4) return undefined;
    const length = this.#buffer.readInt32BE(this.#start);
    if (length < 8 || length > STARTUP_PACKET_BYTES_MAX) {
      throw new DbError('PROTOCOL_VIOLATION', `invalid length of startup packet: ${length}`);
    }
    if (this.#end - this.#start < length) return undefined;
    const code = this.#buffer.readInt32BE(this.#start + 4);
    const body = this.#buffer.subarray(this.#start + 8, this.#start + length);
    this.#start += length;
    return { code, body };
  }

  /**
   * The next regular message, or undefined until it has fully arrived. The type and length
   * are checked as soon as the 5-byte header is in, before the body is waited for: an
   * unknown type or a bad length is PROTOCOL_VIOLATION, a length over the limit MESSAGE_TOO_LARGE.
   */
  nextFrame(): Frame | undefined {
    if (this.#end - this.#start < 5) return undefined;
    const type = this.#buffer[this.#start];
    const length = this.#buffer.readInt32BE(this.#start + 1);
    const lengthMax = lengthMaxOf(type, this.#messageBytesMax);
    if (lengthMax === undefined) {
      throw new DbError('PROTOCOL_VIOLATION', `invalid frontend message type ${type}`);
    }
    if (length < 4) {
      throw new DbError('PROTOCOL_VIOLATION', `invalid message length ${length} for message type ${type}`);
    }
    if (EMPTY_BODY_TYPES.has(type) && length !== 4) {
      throw new DbError('PROTOCOL_VIOLATION', `invalid message length ${length} for message type ${type}`);
    }
    if (length > lengthMax) {
      throw new DbError(
        'MESSAGE_TOO_LARGE',
        `message of type ${type} is ${length} bytes, over the limit of ${lengthMax} bytes`,
      );
    }
    if (this.#end - this.#start < 1 + length) return undefined;
    const body = this.#buffer.subarray(this.#start + 5, this.#start + 1 + length);
    this.#start += 1 + length;
    return { type, body };
  }

  /** Drops everything buffered (the connection is being closed). */
  discard(): void {
    this.#buffer = Buffer.alloc(0);
    this.#start = 0;
    this.#end = 0;
  }
}
