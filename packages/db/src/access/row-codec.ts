// The stored form of a table row: compact, schema-driven bytes that only the column types
// can decode (unlike keys, rows need not sort). One row is one B+tree leaf cell's payload.
//
// Layout:
//   column count       unsigned LEB128 varint. A row written before ALTER TABLE ADD COLUMN
//                      holds fewer columns; the missing trailing ones read as NULL.
//   null bitmap        ceil(count / 8) bytes; bit (i & 7) of byte (i >> 3) set = column i NULL
//   values             each non-NULL column in order, nothing for a NULL:
//     bool 1 byte; int2 2; int4, date 4; int8, timestamp, float8 8 (little-endian, float8
//     as IEEE-754 bits, so -0 and NaN payloads survive); text (UTF-8), numeric (its canonical
//     ASCII text, scale kept) and bytea as a varint byte length then the bytes.
import { AssertionError, unreachable } from '../assert.js';
import type { ColumnType, Value } from './value.js';
import { allocateBytes, copyBytes } from './byte-slab.js';
import { readUtf8, utf8ByteLength, writeUtf8 } from './utf8.js';

// Payload bytes of each fixed-width type; 0 marks a variable-length type.
const FIXED_BYTES: Readonly<Record<ColumnType, number>> = {
  bool: 1,
  int2: 2,
  int4: 4,
  date: 4,
  int8: 8,
  timestamp: 8,
  float8: 8,
  numeric: 0,
  text: 0,
  bytea: 0,
};

// 8-byte values go through this view (little-endian), so no DataView is made per row.
const word = new Uint8Array(8);
const wordView = new DataView(word.buffer);
// Byte lengths of the variable columns, measured in the sizing pass and reused when writing.
const variableBytes: number[] = [];
// The decoder's read position: a module variable, so decoding allocates no state.
let cursor = 0;

/**
 * Encodes one row. `values` holds one valid value (validateValue) per type; a wrong JS type
 * is a bug and fails an assertion. Returns a fresh array of exactly the row's size (from the
 * byte slab: see byte-slab.ts on keeping many rows alive).
 */
export function encodeRow(types: readonly ColumnType[], values: readonly Value[]): Uint8Array {
  const count = types.length;
  if (values.length !== count) fail(`row of ${values.length} values for ${count} columns`);
  const bitmapBytes = (count + 7) >>> 3;
  let rowBytes = varintBytes(count) + bitmapBytes;
  for (let i = 0; i < count; i++) {
    const value = values[i];
    if (value === null) continue;
    const type = types[i];
    const fixedBytes = FIXED_BYTES[type];
    if (fixedBytes !== 0) {
      rowBytes += fixedBytes;
      continue;
    }
    const payloadBytes = variablePayloadBytes(type, value);
    variableBytes[i] = payloadBytes;
    rowBytes += varintBytes(payloadBytes) + payloadBytes;
  }

  const row = allocateBytes(rowBytes);
  let at = writeVarint(row, 0, count);
  const bitmapStart = at;
  at += bitmapBytes;
  for (let i = 0; i < count; i++) {
    const value = values[i];
    if (value === null) {
      row[bitmapStart + (i >>> 3)] |= 1 << (i & 7);
      continue;
    }
    at = writeValue(row, at, types[i], value, variableBytes[i]);
  }
  if (at !== rowBytes) fail(`row encoding wrote ${at} bytes, sized ${rowBytes}`);
  return row;
}

/**
 * Decodes a row into one value per type; columns beyond the row's own count are NULL.
 * Values never alias `bytes` (a block that the buffer cache reuses).
 */
export function decodeRow(types: readonly ColumnType[], bytes: Uint8Array): Value[] {
  const storedCount = readHeader(types, bytes);
  const bitmapStart = cursor;
  cursor += (storedCount + 7) >>> 3;
  const values = new Array<Value>(types.length);
  for (let i = 0; i < types.length; i++) {
    values[i] = i >= storedCount || isNull(bytes, bitmapStart, i) ? null : readValue(bytes, types[i]);
  }
  if (cursor !== bytes.length) fail(`row of ${bytes.length} bytes has ${bytes.length - cursor} bytes left over`);
  return values;
}

/** Decodes column `index` alone, skipping the columns before it by their lengths. */
export function decodeColumn(types: readonly ColumnType[], bytes: Uint8Array, index: number): Value {
  if (!(Number.isInteger(index) && index >= 0 && index < types.length)) {
    fail(`column ${index} not in [0, ${types.length})`);
  }
  const storedCount = readHeader(types, bytes);
  if (index >= storedCount) return null;
  const bitmapStart = cursor;
  if (isNull(bytes, bitmapStart, index)) return null;
  cursor += (storedCount + 7) >>> 3;
  for (let i = 0; i < index; i++) {
    if (isNull(bytes, bitmapStart, i)) continue;
    const fixedBytes = FIXED_BYTES[types[i]];
    if (fixedBytes !== 0) {
      cursor += fixedBytes;
    } else {
      const payloadBytes = readVarint(bytes); // advances the cursor past the length first
      cursor += payloadBytes;
    }
  }
  return readValue(bytes, types[index]);
}

function variablePayloadBytes(type: ColumnType, value: Value): number {
  switch (type) {
    case 'text':
      if (typeof value !== 'string') fail(`text row value ${String(value)}`);
      return utf8ByteLength(value);
    case 'numeric':
      // Canonical numeric text is ASCII: one byte per character.
      if (typeof value !== 'string') fail(`numeric row value ${String(value)}`);
      return value.length;
    case 'bytea':
      if (!(value instanceof Uint8Array)) fail(`bytea row value ${String(value)}`);
      return value.length;
    default:
      throw new AssertionError(`${type} is not a variable-length type`);
  }
}

function writeValue(row: Uint8Array, offset: number, type: ColumnType, value: Value, payloadBytes: number): number {
  let at = offset;
  switch (type) {
    case 'bool':
      if (typeof value !== 'boolean') fail(`bool row value ${String(value)}`);
      row[at] = value ? 1 : 0;
      return at + 1;
    case 'int2':
      if (typeof value !== 'number') fail(`int2 row value ${String(value)}`);
      row[at] = value & 0xff;
      row[at + 1] = (value >>> 8) & 0xff;
      return at + 2;
    case 'int4':
    case 'date':
      if (typeof value !== 'number') fail(`${type} row value ${String(value)}`);
      row[at] = value & 0xff;
      row[at + 1] = (value >>> 8) & 0xff;
      row[at + 2] = (value >>> 16) & 0xff;
      row[at + 3] = (value >>> 24) & 0xff;
      return at + 4;
    case 'int8':
    case 'timestamp':
      if (typeof value !== 'bigint') fail(`${type} row value ${String(value)}`);
      wordView.setBigInt64(0, value, true);
      return copyWord(row, at);
    case 'float8':
      if (typeof value !== 'number') fail(`float8 row value ${String(value)}`);
      wordView.setFloat64(0, value, true);
      return copyWord(row, at);
    case 'text':
      at = writeVarint(row, at, payloadBytes);
      return writeUtf8(value as string, row, at, false);
    case 'numeric': {
      const text = value as string;
      at = writeVarint(row, at, payloadBytes);
      for (let i = 0; i < text.length; i++) row[at + i] = text.charCodeAt(i);
      return at + text.length;
    }
    case 'bytea':
      at = writeVarint(row, at, payloadBytes);
      row.set(value as Uint8Array, at);
      return at + payloadBytes;
    default:
      return unreachable(type, 'column type');
  }
}

function readValue(bytes: Uint8Array, type: ColumnType): Value {
  const at = cursor;
  switch (type) {
    case 'bool': {
      requireBytes(bytes, 1);
      cursor += 1;
      const byte = bytes[at];
      if (byte > 1) fail(`bad bool row byte ${byte} at ${at}`);
      return byte === 1;
    }
    case 'int2':
      requireBytes(bytes, 2);
      cursor += 2;
      return ((bytes[at] | (bytes[at + 1] << 8)) << 16) >> 16;
    case 'int4':
    case 'date':
      requireBytes(bytes, 4);
      cursor += 4;
      return bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
    case 'int8':
    case 'timestamp':
      loadWord(bytes);
      return wordView.getBigInt64(0, true);
    case 'float8':
      loadWord(bytes);
      return wordView.getFloat64(0, true);
    case 'text':
    case 'numeric': {
      const payloadBytes = readVarint(bytes);
      requireBytes(bytes, payloadBytes);
      cursor += payloadBytes;
      return readUtf8(bytes, cursor - payloadBytes, cursor);
    }
    case 'bytea': {
      const payloadBytes = readVarint(bytes);
      requireBytes(bytes, payloadBytes);
      cursor += payloadBytes;
      return copyBytes(bytes, cursor - payloadBytes, cursor);
    }
    default:
      return unreachable(type, 'column type');
  }
}

/** Reads the column count, leaving the cursor at the null bitmap. */
function readHeader(types: readonly ColumnType[], bytes: Uint8Array): number {
  cursor = 0;
  const storedCount = readVarint(bytes);
  // More stored columns than the schema has would be a dropped column, which the schema
  // layer must keep in `types`; here it is a bug.
  if (storedCount > types.length) fail(`row holds ${storedCount} columns, schema has ${types.length}`);
  requireBytes(bytes, (storedCount + 7) >>> 3);
  return storedCount;
}

function isNull(bytes: Uint8Array, bitmapStart: number, column: number): boolean {
  return (bytes[bitmapStart + (column >>> 3)] & (1 << (column & 7))) !== 0;
}

function copyWord(row: Uint8Array, at: number): number {
  for (let i = 0; i < 8; i++) row[at + i] = word[i];
  return at + 8;
}

function loadWord(bytes: Uint8Array): void {
  requireBytes(bytes, 8);
  for (let i = 0; i < 8; i++) word[i] = bytes[cursor + i];
  cursor += 8;
}

function varintBytes(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    bytes++;
  }
  return bytes;
}

function writeVarint(row: Uint8Array, offset: number, value: number): number {
  let at = offset;
  while (value >= 0x80) {
    row[at++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 0x80);
  }
  row[at++] = value;
  return at;
}

function readVarint(bytes: Uint8Array): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    requireBytes(bytes, 1);
    const byte = bytes[cursor++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 0x80;
    if (scale > 0x80 ** 4) fail(`varint longer than 5 bytes ending at ${cursor}`);
  }
}

function requireBytes(bytes: Uint8Array, count: number): void {
  if (cursor + count > bytes.length) {
    fail(`row truncated: need ${count} bytes at ${cursor} of ${bytes.length}`);
  }
}

/**
 * Throws an AssertionError (a bug, or a corrupt cell that passed its block checksum). Used as
 * `if (!ok) fail(...)` on these per-value paths, where assert(ok, () => ...) would build a
 * message closure on every call.
 */
function fail(message: string): never {
  throw new AssertionError(message);
}
