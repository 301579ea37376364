// Encoding of the backend messages into one reusable, growing output buffer. A message
// cycle accumulates here and goes to the socket in one write (at ReadyForQuery, Flush, or
// when the buffer passes its threshold), so a pgbench round trip costs one syscall and a
// DataRow costs no allocation.

import type { FieldDescription } from './engine.js';

/** The fields of an ErrorResponse or NoticeResponse that we send. */
export interface ResponseFields {
  /** ERROR, FATAL or PANIC for an error; WARNING, NOTICE, INFO, DEBUG or LOG for a notice. */
  readonly severity: string;
  readonly sqlState: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
}

/** The status byte of ReadyForQuery. */
export type ReadyStatus = 'I' | 'T' | 'E';

const INITIAL_BYTES = 16 * 1024;

export class BackendWriter {
  #buffer: Buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  #length = 0;
  /** Where the open message's length word is, or -1 between messages. */
  #messageStart = -1;

  /** Bytes waiting to be sent. */
  get length(): number {
    return this.#length;
  }

  /**
   * The bytes written so far, as a new Buffer the caller may hand to the socket, and empties
   * the writer. A copy, because the socket may hold on to what it is given while the writer
   * reuses its storage (the copy of a small cycle comes from Node's pool).
   */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.#length);
    this.#buffer.copy(out, 0, 0, this.#length);
    this.#length = 0;
    return out;
  }

  /** Drops the unsent bytes. */
  clear(): void {
    this.#length = 0;
  }

  /** One byte outside any message: the answer to SSLRequest or GSSENCRequest. */
  rawByte(value: number): void {
    this.#ensure(1);
    this.#buffer[this.#length++] = value;
  }

  authenticationOk(): void {
    this.#authentication(0);
    this.#end();
  }

  authenticationCleartextPassword(): void {
    this.#authentication(3);
    this.#end();
  }

  authenticationSasl(mechanisms: readonly string[]): void {
    this.#authentication(10);
    for (const mechanism of mechanisms) this.#cstring(mechanism);
    this.#int8(0);
    this.#end();
  }

  authenticationSaslContinue(data: Uint8Array): void {
    this.#authentication(11);
    this.#bytes(data);
    this.#end();
  }

  authenticationSaslFinal(data: Uint8Array): void {
    this.#authentication(12);
    this.#bytes(data);
    this.#end();
  }

  parameterStatus(name: string, value: string): void {
    this.#begin(0x53); // S
    this.#cstring(name);
    this.#cstring(value);
    this.#end();
  }

  backendKeyData(processId: number, secretKey: number): void {
    this.#begin(0x4b); // K
    this.#int32(processId);
    this.#int32(secretKey);
    this.#end();
  }

  readyForQuery(status: ReadyStatus): void {
    this.#begin(0x5a); // Z
    this.#int8(status.charCodeAt(0));
    this.#end();
  }

  rowDescription(fields: readonly FieldDescription[]): void {
    this.#begin(0x54); // T
    this.#int16(fields.length);
    for (const field of fields) {
      this.#cstring(field.name);
      this.#uint32(field.tableOid);
      this.#int16(field.columnNumber);
      this.#uint32(field.typeOid);
      this.#int16(field.typeSize);
      this.#int32(field.typeModifier);
      this.#int16(field.format);
    }
    this.#end();
  }

  dataRow(values: readonly (Uint8Array | null)[]): void {
    // Sized once up front: the hot path grows the buffer at most once per row.
    let bytes = 7;
    for (const value of values) bytes += 4 + (value === null ? 0 : value.length);
    this.#ensure(bytes);
    this.#begin(0x44); // D
    this.#int16(values.length);
    for (const value of values) {
      if (value === null) {
        this.#int32(-1);
      } else {
        this.#int32(value.length);
        this.#buffer.set(value, this.#length);
        this.#length += value.length;
      }
    }
    this.#end();
  }

  commandComplete(tag: string): void {
    this.#begin(0x43); // C
    this.#cstring(tag);
    this.#end();
  }

  emptyQueryResponse(): void {
    this.#empty(0x49); // I
  }

  errorResponse(fields: ResponseFields): void {
    this.#response(0x45, fields); // E
  }

  noticeResponse(fields: ResponseFields): void {
    this.#response(0x4e, fields); // N
  }

  parseComplete(): void {
    this.#empty(0x31); // 1
  }

  bindComplete(): void {
    this.#empty(0x32); // 2
  }

  closeComplete(): void {
    this.#empty(0x33); // 3
  }

  noData(): void {
    this.#empty(0x6e); // n
  }

  portalSuspended(): void {
    this.#empty(0x73); // s
  }

  parameterDescription(typeOids: readonly number[]): void {
    this.#begin(0x74); // t
    this.#int16(typeOids.length);
    for (const oid of typeOids) this.#uint32(oid);
    this.#end();
  }

  /** CopyInResponse, text format for all columns (the engine refuses binary COPY). */
  copyInResponse(columns: number): void {
    this.#copyResponse(0x47, columns); // G
  }

  copyOutResponse(columns: number): void {
    this.#copyResponse(0x48, columns); // H
  }

  copyData(data: Uint8Array): void {
    this.#ensure(5 + data.length);
    this.#begin(0x64); // d
    this.#bytes(data);
    this.#end();
  }

  copyDone(): void {
    this.#empty(0x63); // c
  }

  negotiateProtocolVersion(newestMinorVersion: number, unrecognizedOptions: readonly string[]): void {
    this.#begin(0x76); // v
    this.#int32(newestMinorVersion);
    this.#int32(unrecognizedOptions.length);
    for (const option of unrecognizedOptions) this.#cstring(option);
    this.#end();
  }

  #authentication(code: number): void {
    this.#begin(0x52); // R
    this.#int32(code);
  }

  #copyResponse(type: number, columns: number): void {
    this.#begin(type);
    this.#int8(0);
    this.#int16(columns);
    for (let i = 0; i < columns; i++) this.#int16(0);
    this.#end();
  }

  #response(type: number, fields: ResponseFields): void {
    this.#begin(type);
    this.#field(0x53, fields.severity); // S: localized severity
    this.#field(0x56, fields.severity); // V: never localized, since PostgreSQL 9.6
    this.#field(0x43, fields.sqlState); // C
    this.#field(0x4d, fields.message); // M
    if (fields.detail !== undefined) this.#field(0x44, fields.detail); // D
    if (fields.hint !== undefined) this.#field(0x48, fields.hint); // H
    this.#int8(0);
    this.#end();
  }

  #field(code: number, value: string): void {
    this.#int8(code);
    this.#cstring(value);
  }

  #empty(type: number): void {
    this.#begin(type);
    this.#end();
  }

  #begin(type: number): void {
    this.#ensure(5);
    this.#buffer[this.#length] = type;
    this.#messageStart = this.#length + 1;
    this.#length += 5;
  }

  #end(): void {
    this.#buffer.writeInt32BE(this.#length - this.#messageStart, this.#messageStart);
    this.#messageStart = -1;
  }

  #ensure(bytes: number): void {
    const needed = this.#length + bytes;
    if (needed <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, 2 * this.#buffer.length));
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
  }

  #int8(value: number): void {
    this.#ensure(1);
    this.#buffer[this.#length++] = value;
  }

  #int16(value: number): void {
    this.#ensure(2);
    this.#buffer.writeInt16BE(value, this.#length);
    this.#length += 2;
  }

  #int32(value: number): void {
    this.#ensure(4);
    this.#buffer.writeInt32BE(value, this.#length);
    this.#length += 4;
  }

  #uint32(value: number): void {
    this.#ensure(4);
    this.#buffer.writeUInt32BE(value, this.#length);
    this.#length += 4;
  }

  #bytes(data: Uint8Array): void {
    this.#ensure(data.length);
    this.#buffer.set(data, this.#length);
    this.#length += data.length;
  }

  /** A NUL-terminated UTF-8 string. A NUL inside would end the string early and break the framing, so it becomes U+FFFD. */
  #cstring(value: string): void {
    const text = value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value;
    this.#ensure(Buffer.byteLength(text, 'utf8') + 1);
    this.#length += this.#buffer.write(text, this.#length, 'utf8');
    this.#buffer[this.#length++] = 0;
  }
}
