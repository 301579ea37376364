// Finds where an HTTP/1.1 message body ends in the bytes that follow its head, and yields
// its payload: Content-Length counts bytes; chunked (RFC 9112 section 7.1) is decoded chunk
// by chunk, strictly (hex sizes of at most 13 digits, CRLF after each chunk, no bare LF),
// with chunk extensions and trailer fields read and dropped; a close-delimited body runs to
// the end of the connection. The decoder is incremental: bytes may arrive split anywhere.

import type { BodyFraming } from './response-head.js';

export class BodyDecodeError extends Error {
  override readonly name = 'BodyDecodeError';
}

const enum ChunkState {
  Size,
  SizeSpace,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailer,
  TrailerLf,
  Done,
}

// 13 hex digits are 52 bits: every size stays an exact number.
const MAX_SIZE_DIGITS = 13;
/** Chunk extensions and trailer lines are skipped, but not without bound. */
const MAX_SKIPPED_LINE = 16 * 1024;

export interface DecodedBytes {
  /** Payload slices in order (views of the input, no copy). */
  readonly payload: Buffer[];
  /** The body ended in this input. */
  readonly done: boolean;
  /** Bytes after the body's end (a backend that sent more than it framed), 0 if none. */
  readonly excess: number;
}

export class BodyDecoder {
  readonly #kind: BodyFraming['kind'];
  #remaining: number;
  #state = ChunkState.Size;
  #sizeDigits = 0;
  #lineBytes = 0;
  #trailerLineEmpty = true;
  #done: boolean;

  constructor(framing: BodyFraming) {
    this.#kind = framing.kind;
    this.#remaining = framing.kind === 'length' ? framing.length : 0;
    this.#done = framing.kind === 'none' || (framing.kind === 'length' && framing.length === 0);
  }

  get done(): boolean {
    return this.#done;
  }

  /** Reads the next bytes of the connection. */
  push(input: Buffer): DecodedBytes {
    if (this.#done) return { payload: [], done: true, excess: input.length };
    switch (this.#kind) {
      case 'close':
        return { payload: input.length === 0 ? [] : [input], done: false, excess: 0 };
      case 'length': {
        if (input.length < this.#remaining) {
          this.#remaining -= input.length;
          return { payload: [input], done: false, excess: 0 };
        }
        const payload = input.length === this.#remaining ? input : input.subarray(0, this.#remaining);
        const excess = input.length - this.#remaining;
        this.#remaining = 0;
        this.#done = true;
        return { payload: [payload], done: true, excess };
      }
      case 'chunked':
        return this.#pushChunked(input);
      default:
        return { payload: [], done: true, excess: input.length };
    }
  }

  /** The connection ended: whether that completes the body (only a close-delimited one). */
  endOfInput(): boolean {
    if (this.#kind === 'close') this.#done = true;
    return this.#done;
  }

  #pushChunked(input: Buffer): DecodedBytes {
    const payload: Buffer[] = [];
    let at = 0;
    const length = input.length;
    while (at < length) {
      switch (this.#state) {
        case ChunkState.Size: {
          const byte = input[at];
          const digit = hexValue(byte);
          if (digit >= 0) {
            if (++this.#sizeDigits > MAX_SIZE_DIGITS) throw new BodyDecodeError('chunk size too long');
            this.#remaining = this.#remaining * 16 + digit;
            at++;
          } else if (this.#sizeDigits === 0) {
            throw new BodyDecodeError(`chunk size expected, got byte 0x${byte.toString(16)}`);
          } else if (byte === 0x0d) {
            this.#state = ChunkState.SizeLf;
            at++;
          } else if (byte === 0x3b) {
            this.#state = ChunkState.Extension;
            this.#lineBytes = 0;
            at++;
          } else if (byte === 0x20 || byte === 0x09) {
            // Whitespace may only precede an extension's ';' (BWS, RFC 9112 section 7.1.1).
            this.#state = ChunkState.SizeSpace;
            at++;
          } else {
            throw new BodyDecodeError(`invalid byte 0x${byte.toString(16)} after a chunk size`);
          }
          break;
        }
        case ChunkState.SizeSpace: {
          const byte = input[at++];
          if (byte === 0x3b) {
            this.#state = ChunkState.Extension;
            this.#lineBytes = 0;
          } else if (byte === 0x0d) this.#state = ChunkState.SizeLf;
          else if (byte !== 0x20 && byte !== 0x09)
            throw new BodyDecodeError(`invalid byte 0x${byte.toString(16)} after a chunk size`);
          break;
        }
        case ChunkState.Extension: {
          const byte = input[at++];
          if (byte === 0x0d) this.#state = ChunkState.SizeLf;
          else if (byte === 0x0a || (byte < 0x20 && byte !== 0x09) || byte === 0x7f)
            throw new BodyDecodeError('control character in a chunk extension');
          else if (++this.#lineBytes > MAX_SKIPPED_LINE) throw new BodyDecodeError('chunk extension too long');
          break;
        }
        case ChunkState.SizeLf: {
          if (input[at++] !== 0x0a) throw new BodyDecodeError('CR without LF after a chunk size');
          this.#sizeDigits = 0;
          if (this.#remaining === 0) {
            this.#state = ChunkState.Trailer;
            this.#lineBytes = 0;
            this.#trailerLineEmpty = true;
          } else this.#state = ChunkState.Data;
          break;
        }
        case ChunkState.Data: {
          const take = Math.min(this.#remaining, length - at);
          payload.push(take === length && at === 0 ? input : input.subarray(at, at + take));
          at += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = ChunkState.DataCr;
          break;
        }
        case ChunkState.DataCr:
          if (input[at++] !== 0x0d) throw new BodyDecodeError('chunk data longer than its size');
          this.#state = ChunkState.DataLf;
          break;
        case ChunkState.DataLf:
          if (input[at++] !== 0x0a) throw new BodyDecodeError('CR without LF after chunk data');
          this.#state = ChunkState.Size;
          break;
        case ChunkState.Trailer: {
          const byte = input[at++];
          if (byte === 0x0d) this.#state = ChunkState.TrailerLf;
          else if (byte === 0x0a || (byte < 0x20 && byte !== 0x09) || byte === 0x7f)
            throw new BodyDecodeError('control character in a trailer field');
          else {
            this.#trailerLineEmpty = false;
            if (++this.#lineBytes > MAX_SKIPPED_LINE) throw new BodyDecodeError('trailer field too long');
          }
          break;
        }
        case ChunkState.TrailerLf: {
          if (input[at++] !== 0x0a) throw new BodyDecodeError('CR without LF in the trailer section');
          if (this.#trailerLineEmpty) {
            this.#state = ChunkState.Done;
            this.#done = true;
            return { payload, done: true, excess: length - at };
          }
          this.#state = ChunkState.Trailer;
          this.#lineBytes = 0;
          this.#trailerLineEmpty = true;
          break;
        }
        case ChunkState.Done:
          return { payload, done: true, excess: length - at };
      }
    }
    return { payload, done: false, excess: 0 };
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}
