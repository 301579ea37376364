// Decoding of the frontend messages of protocol 3.0 from their frames, strictly: every
// count, length, format code and string terminator is checked against the declared length,
// and a message must end where its length says. An error in a well-framed message is an
// ERROR (the stream is still in step); the frame decoder's errors are the fatal ones.

import { DbError } from '../errors.js';
import { FrontendType, type Frame, type StartupFrame } from './frame-decoder.js';

/** The protocol versions and request codes of the startup phase. */
export const StartupCode = {
  protocol3: 3 << 16,
  cancelRequest: 80877102,
  sslRequest: 80877103,
  gssEncRequest: 80877104,
} as const;

export type StartupPacket =
  | {
      readonly type: 'StartupMessage';
      readonly majorVersion: number;
      readonly minorVersion: number;
      /** In the order the client sent them; a repeated name keeps its last value. */
      readonly parameters: ReadonlyMap<string, string>;
    }
  | { readonly type: 'SSLRequest' }
  | { readonly type: 'GSSENCRequest' }
  | { readonly type: 'CancelRequest'; readonly processId: number; readonly secretKey: number };

export type DescribeTarget = 'S' | 'P';

export type FrontendMessage =
  | { readonly type: 'Query'; readonly sql: string }
  | {
      readonly type: 'Parse';
      readonly statement: string;
      readonly sql: string;
      readonly parameterTypes: readonly number[];
    }
  | {
      readonly type: 'Bind';
      readonly portal: string;
      readonly statement: string;
      readonly parameterFormats: readonly number[];
      readonly parameters: readonly (Uint8Array | null)[];
      readonly resultFormats: readonly number[];
    }
  | { readonly type: 'Describe'; readonly target: DescribeTarget; readonly name: string }
  | { readonly type: 'Execute'; readonly portal: string; readonly maxRows: number }
  | { readonly type: 'Close'; readonly target: DescribeTarget; readonly name: string }
  | { readonly type: 'Sync' }
  | { readonly type: 'Flush' }
  | { readonly type: 'Terminate' }
  | { readonly type: 'CopyData'; readonly data: Uint8Array }
  | { readonly type: 'CopyDone' }
  | { readonly type: 'CopyFail'; readonly message: string }
  | { readonly type: 'PasswordMessage'; readonly password: string }
  | { readonly type: 'SASLInitialResponse'; readonly mechanism: string; readonly data: Uint8Array | null }
  | { readonly type: 'SASLResponse'; readonly data: Uint8Array }
  | { readonly type: 'FunctionCall' };

/**
 * What a 'p' message means depends on what the server asked for: a password, the first
 * message of a SASL exchange, or a later one. Outside authentication it is illegal.
 */
export type AuthenticationPhase = 'password' | 'sasl-initial' | 'sasl-continue';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads the fields of one message body; every overrun is a PROTOCOL_VIOLATION naming the message. */
class BodyReader {
  readonly #body: Buffer;
  readonly #what: string;
  #offset = 0;

  constructor(body: Buffer, what: string) {
    this.#body = body;
    this.#what = what;
  }

  get remaining(): number {
    return this.#body.length - this.#offset;
  }

  violation(detail: string): DbError {
    return new DbError('PROTOCOL_VIOLATION', `invalid ${this.#what} message: ${detail}`);
  }

  #need(bytes: number): void {
    if (this.remaining < bytes) throw this.violation('it ends early');
  }

  byte(): number {
    this.#need(1);
    return this.#body[this.#offset++];
  }

  int16(): number {
    this.#need(2);
    const value = this.#body.readInt16BE(this.#offset);
    this.#offset += 2;
    return value;
  }

  uint16(): number {
    this.#need(2);
    const value = this.#body.readUInt16BE(this.#offset);
    this.#offset += 2;
    return value;
  }

  int32(): number {
    this.#need(4);
    const value = this.#body.readInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }

  uint32(): number {
    this.#need(4);
    const value = this.#body.readUInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }

  /** A view of the next `length` bytes (valid as long as the frame is). */
  bytes(length: number): Buffer {
    this.#need(length);
    const view = this.#body.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return view;
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** A NUL-terminated UTF-8 string; invalid UTF-8 is CHARACTER_NOT_IN_REPERTOIRE (22021). */
  cstring(): string {
    const terminator = this.#body.indexOf(0, this.#offset);
    if (terminator < 0) throw this.violation('a string is not terminated inside the message');
    const bytes = this.#body.subarray(this.#offset, terminator);
    this.#offset = terminator + 1;
    return decodeUtf8(bytes);
  }

  /** A format code, which must be 0 (text) or 1 (binary). */
  formatCode(): number {
    const code = this.int16();
    if (code !== 0 && code !== 1) throw this.violation(`unsupported format code ${code}`);
    return code;
  }

  end(): void {
    if (this.remaining !== 0) throw this.violation(`${this.remaining} bytes of trailing data`);
  }
}

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new DbError('CHARACTER_NOT_IN_REPERTOIRE', 'invalid byte sequence for encoding "UTF8"');
  }
}

/** Decodes a startup-phase packet. Throws DbError PROTOCOL_VIOLATION or FEATURE_NOT_SUPPORTED. */
export function decodeStartupPacket(frame: StartupFrame): StartupPacket {
  switch (frame.code) {
    case StartupCode.sslRequest:
    case StartupCode.gssEncRequest: {
      if (frame.body.length !== 0) {
        throw new DbError('PROTOCOL_VIOLATION', 'invalid length of encryption request packet');
      }
      return { type: frame.code === StartupCode.sslRequest ? 'SSLRequest' : 'GSSENCRequest' };
    }
    case StartupCode.cancelRequest: {
      if (frame.body.length !== 8) throw new DbError('PROTOCOL_VIOLATION', 'invalid length of cancel request packet');
      return { type: 'CancelRequest', processId: frame.body.readInt32BE(0), secretKey: frame.body.readInt32BE(4) };
    }
    default:
      return decodeStartupMessage(frame);
  }
}

function decodeStartupMessage(frame: StartupFrame): StartupPacket {
  const majorVersion = frame.code >>> 16;
  const minorVersion = frame.code & 0xffff;
  if (majorVersion !== 3) {
    throw new DbError(
      'FEATURE_NOT_SUPPORTED',
      `unsupported frontend protocol ${majorVersion}.${minorVersion}: server supports 3.0 to 3.0`,
    );
  }
  const reader = new BodyReader(frame.body, 'startup packet');
  const parameters = new Map<string, string>();
  for (;;) {
    const name = reader.cstring();
    if (name === '') break;
    // A name at the very end, with no value and no list terminator, is what PostgreSQL
    // reports as a missing terminator.
    if (reader.remaining === 0) throw reader.violation('the parameter list is not terminated');
    parameters.set(name, reader.cstring());
  }
  reader.end();
  return { type: 'StartupMessage', majorVersion, minorVersion, parameters };
}

/**
 * Decodes a regular message. `authenticationPhase` says how to read a 'p' message (undefined
 * once authenticated: then it is illegal). Throws DbError: PROTOCOL_VIOLATION for a
 * malformed message, CHARACTER_NOT_IN_REPERTOIRE for a string that is not UTF-8.
 */
export function decodeFrontendMessage(frame: Frame, authenticationPhase?: AuthenticationPhase): FrontendMessage {
  switch (frame.type) {
    case FrontendType.Query:
      return decodeQuery(new BodyReader(frame.body, 'Query'));
    case FrontendType.Parse:
      return decodeParse(new BodyReader(frame.body, 'Parse'));
    case FrontendType.Bind:
      return decodeBind(new BodyReader(frame.body, 'Bind'));
    case FrontendType.Describe:
    case FrontendType.Close:
      return decodeDescribeOrClose(frame);
    case FrontendType.Execute:
      return decodeExecute(new BodyReader(frame.body, 'Execute'));
    case FrontendType.Sync:
      return { type: 'Sync' };
    case FrontendType.Flush:
      return { type: 'Flush' };
    case FrontendType.Terminate:
      return { type: 'Terminate' };
    case FrontendType.CopyData:
      return { type: 'CopyData', data: frame.body };
    case FrontendType.CopyDone:
      return { type: 'CopyDone' };
    case FrontendType.CopyFail: {
      const reader = new BodyReader(frame.body, 'CopyFail');
      const message = reader.cstring();
      reader.end();
      return { type: 'CopyFail', message };
    }
    case FrontendType.FunctionCall:
      return { type: 'FunctionCall' };
    case FrontendType.Password:
      return decodePasswordMessage(frame.body, authenticationPhase);
    default:
      // The frame decoder admits only the types above.
      throw new DbError('PROTOCOL_VIOLATION', `invalid frontend message type ${frame.type}`);
  }
}

function decodeQuery(reader: BodyReader): FrontendMessage {
  const sql = reader.cstring();
  reader.end();
  return { type: 'Query', sql };
}

function decodeParse(reader: BodyReader): FrontendMessage {
  const statement = reader.cstring();
  const sql = reader.cstring();
  const count = reader.uint16();
  if (reader.remaining !== 4 * count) throw reader.violation(`${count} parameter types do not fit the message`);
  const parameterTypes: number[] = [];
  for (let i = 0; i < count; i++) parameterTypes.push(reader.uint32());
  reader.end();
  return { type: 'Parse', statement, sql, parameterTypes };
}

function decodeBind(reader: BodyReader): FrontendMessage {
  const portal = reader.cstring();
  const statement = reader.cstring();
  const parameterFormats = formatCodes(reader);
  const count = reader.uint16();
  if (parameterFormats.length > 1 && parameterFormats.length !== count) {
    throw reader.violation(`${parameterFormats.length} parameter formats for ${count} parameters`);
  }
  // Each parameter takes at least its length word: a count beyond that is garbage, caught
  // before allocating for it.
  if (reader.remaining < 4 * count) throw reader.violation(`${count} parameters do not fit the message`);
  const parameters: (Uint8Array | null)[] = [];
  for (let i = 0; i < count; i++) {
    const length = reader.int32();
    if (length === -1) {
      parameters.push(null);
    } else if (length < 0) {
      throw reader.violation(`invalid length ${length} of parameter ${i + 1}`);
    } else {
      // A copy: the engine may keep a portal's values for long, and a view would pin the
      // whole input buffer behind it.
      parameters.push(Buffer.from(reader.bytes(length)));
    }
  }
  const resultFormats = formatCodes(reader);
  reader.end();
  return { type: 'Bind', portal, statement, parameterFormats, parameters, resultFormats };
}

function formatCodes(reader: BodyReader): number[] {
  const count = reader.uint16();
  if (reader.remaining < 2 * count) throw reader.violation(`${count} format codes do not fit the message`);
  const codes: number[] = [];
  for (let i = 0; i < count; i++) codes.push(reader.formatCode());
  return codes;
}

function decodeDescribeOrClose(frame: Frame): FrontendMessage {
  const type = frame.type === FrontendType.Describe ? 'Describe' : 'Close';
  const reader = new BodyReader(frame.body, type);
  const target = reader.byte();
  if (target !== 0x53 && target !== 0x50) throw reader.violation(`invalid target type ${target}`);
  const name = reader.cstring();
  reader.end();
  return { type, target: target === 0x53 ? 'S' : 'P', name };
}

function decodeExecute(reader: BodyReader): FrontendMessage {
  const portal = reader.cstring();
  // PostgreSQL reads a zero or negative row count as "all rows".
  const maxRows = Math.max(0, reader.int32());
  reader.end();
  return { type: 'Execute', portal, maxRows };
}

function decodePasswordMessage(body: Buffer, phase: AuthenticationPhase | undefined): FrontendMessage {
  switch (phase) {
    case 'password': {
      const reader = new BodyReader(body, 'PasswordMessage');
      const password = reader.cstring();
      reader.end();
      return { type: 'PasswordMessage', password };
    }
    case 'sasl-initial': {
      const reader = new BodyReader(body, 'SASLInitialResponse');
      const mechanism = reader.cstring();
      const length = reader.int32();
      if (length < -1) throw reader.violation(`invalid length ${length} of the initial response`);
      const data = length === -1 ? null : reader.bytes(length);
      reader.end();
      return { type: 'SASLInitialResponse', mechanism, data };
    }
    case 'sasl-continue':
      return { type: 'SASLResponse', data: body };
    case undefined:
      throw new DbError('PROTOCOL_VIOLATION', 'unexpected password message outside authentication');
  }
}
