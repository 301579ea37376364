// Order-preserving encoding of index keys: the B+tree compares keys as plain bytes
// (compareKeys), and that byte order equals the SQL order of the tuples (compareTuples).
//
// Each element is a tag byte, TAG_VALUE or TAG_NULL (greater, so NULLs sort last), followed
// for a value by a self-delimiting payload, so that no element's encoding is a byte prefix
// of another's. Therefore the keys whose first n values equal a tuple P are exactly the byte
// strings that start with encodeKeyPrefix(P), and a shorter tuple sorts before its extensions.
//   bool              1 byte, 0 or 1
//   int2, int4, date  big-endian two's complement with the sign bit flipped (2 or 4 bytes)
//   int8, timestamp   the same in 8 bytes
//   float8            IEEE-754 big-endian; positive: sign bit flipped; negative: all bits
//                     flipped. -0 is written as 0 and every NaN as one positive NaN, which
//                     lands above +Infinity as compareValues wants.
//   text, bytea       the bytes (text as UTF-8) with 0x00 escaped as 0x00 0xFF, then 0x00 0x00
//   numeric           see encodeNumeric: class byte, base-100 exponent, base-100 digits.
import { AssertionError, unreachable } from '../assert.js';
import type { ColumnType, Value } from './value.js';
import { NUMERIC_MAX_DIGITS } from './value.js';
import { readUtf8, writeUtf8 } from './utf8.js';
import { copyBytes } from './byte-slab.js';

const TAG_VALUE = 0x10;
const TAG_NULL = 0x20;

// Numeric class bytes, in value order.
const NUMERIC_NEGATIVE = 0x10;
const NUMERIC_ZERO = 0x18;
const NUMERIC_POSITIVE = 0x20;
const NUMERIC_EXPONENT_BIAS = 0x8000;
/** The largest numeric payload: class, exponent and one byte per digit pair (+1 for padding). */
const NUMERIC_KEY_BYTES_MAX = 3 + (NUMERIC_MAX_DIGITS >>> 1) + 1;

// The encoder writes into this growing buffer and returns one exact-size copy (from the
// byte slab), so a key costs one small allocation. Single-threaded and never re-entered, so one buffer serves all calls.
let scratch = new Uint8Array(256);
// 8-byte values go through this view, big-endian; DataView never allocates per call.
const word = new Uint8Array(8);
const wordView = new DataView(word.buffer);
// The decoder's read position; a module variable so that decoding allocates no state.
let cursor = 0;

/**
 * Encodes a full key: one value for each of `types`. Values must be valid (validateValue);
 * a wrong JS type is a bug and fails an assertion.
 */
export function encodeKey(types: readonly ColumnType[], values: readonly Value[]): Uint8Array {
  if (values.length !== types.length) fail(`key of ${values.length} values for ${types.length} columns`);
  return encodeKeyPrefix(types, values);
}

/**
 * Encodes the first `values.length` columns of a key. As range bounds, with P this prefix:
 * keys with prefix P are those k with encodeKeyPrefix(P) <= k < successorOfPrefix(P); keys
 * after all of P's start at successorOfPrefix(P); keys before all of P's end before
 * encodeKeyPrefix(P).
 */
export function encodeKeyPrefix(types: readonly ColumnType[], values: readonly Value[]): Uint8Array {
  if (values.length > types.length) fail(`key prefix of ${values.length} values for ${types.length} columns`);
  let at = 0;
  for (let i = 0; i < values.length; i++) at = encodeElement(types[i], values[i], at);
  return copyBytes(scratch, 0, at);
}

/**
 * The smallest byte string greater than every key that starts with `prefix`, or null when
 * there is none (an empty prefix, or one of only 0xFF bytes): the scan then runs to the end.
 */
export function successorOfPrefix(prefix: Uint8Array): Uint8Array | null {
  let last = prefix.length - 1;
  while (last >= 0 && prefix[last] === 0xff) last--;
  if (last < 0) return null;
  const successor = prefix.slice(0, last + 1);
  successor[last]++;
  return successor;
}

/** Unsigned byte-wise order of two keys (a prefix first): negative, zero or positive. */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const common = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < common; i++) {
    const difference = a[i] - b[i];
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

/**
 * Decodes a key or key prefix into its values (as many as it holds, at most `types.length`).
 * Values never alias `bytes`. Numerics come back without trailing fraction zeros ('1.50'
 * encodes as '1.5'), -0 as 0 and every NaN as NaN: equal under compareValues, not identical.
 */
export function decodeKey(types: readonly ColumnType[], bytes: Uint8Array): Value[] {
  const values: Value[] = [];
  cursor = 0;
  while (cursor < bytes.length) {
    if (values.length >= types.length) fail(`key has more than ${types.length} values`);
    const tag = bytes[cursor++];
    if (tag === TAG_NULL) {
      values.push(null);
      continue;
    }
    if (tag !== TAG_VALUE) fail(`bad key tag 0x${tag.toString(16)} at byte ${cursor - 1}`);
    values.push(decodeElement(types[values.length], bytes));
  }
  return values;
}

function encodeElement(type: ColumnType, value: Value, offset: number): number {
  if (value === null) {
    ensureCapacity(offset + 1);
    scratch[offset] = TAG_NULL;
    return offset + 1;
  }
  let at = offset;
  switch (type) {
    case 'bool':
      if (typeof value !== 'boolean') fail(`bool key value ${String(value)}`);
      ensureCapacity(at + 2);
      scratch[at++] = TAG_VALUE;
      scratch[at++] = value ? 1 : 0;
      return at;
    case 'int2':
      if (typeof value !== 'number') fail(`int2 key value ${String(value)}`);
      ensureCapacity(at + 3);
      scratch[at++] = TAG_VALUE;
      // Adding 2^15 flips the sign bit of the 16-bit two's complement form.
      scratch[at++] = (value + 0x8000) >>> 8;
      scratch[at++] = (value + 0x8000) & 0xff;
      return at;
    case 'int4':
    case 'date': {
      if (typeof value !== 'number') fail(`${type} key value ${String(value)}`);
      ensureCapacity(at + 5);
      scratch[at++] = TAG_VALUE;
      const flipped = (value ^ 0x8000_0000) >>> 0;
      scratch[at++] = flipped >>> 24;
      scratch[at++] = (flipped >>> 16) & 0xff;
      scratch[at++] = (flipped >>> 8) & 0xff;
      scratch[at++] = flipped & 0xff;
      return at;
    }
    case 'int8':
    case 'timestamp':
      if (typeof value !== 'bigint') fail(`${type} key value ${String(value)}`);
      ensureCapacity(at + 9);
      scratch[at++] = TAG_VALUE;
      wordView.setBigInt64(0, value);
      word[0] ^= 0x80;
      scratch.set(word, at);
      return at + 8;
    case 'float8':
      if (typeof value !== 'number') fail(`float8 key value ${String(value)}`);
      ensureCapacity(at + 9);
      scratch[at++] = TAG_VALUE;
      encodeFloat8(value);
      scratch.set(word, at);
      return at + 8;
    case 'numeric':
      if (typeof value !== 'string') fail(`numeric key value ${String(value)}`);
      ensureCapacity(at + 1 + NUMERIC_KEY_BYTES_MAX);
      scratch[at++] = TAG_VALUE;
      return encodeNumeric(value, at);
    case 'text':
      if (typeof value !== 'string') fail(`text key value ${String(value)}`);
      // 3 bytes per UTF-16 code unit cover every character and an escaped NUL.
      ensureCapacity(at + 3 + value.length * 3);
      scratch[at++] = TAG_VALUE;
      at = writeUtf8(value, scratch, at, true);
      scratch[at++] = 0;
      scratch[at++] = 0;
      return at;
    case 'bytea':
      if (!(value instanceof Uint8Array)) fail(`bytea key value ${String(value)}`);
      ensureCapacity(at + 3 + value.length * 2);
      scratch[at++] = TAG_VALUE;
      for (let i = 0; i < value.length; i++) {
        const byte = value[i];
        scratch[at++] = byte;
        if (byte === 0) scratch[at++] = 0xff;
      }
      scratch[at++] = 0;
      scratch[at++] = 0;
      return at;
    default:
      return unreachable(type, 'column type');
  }
}

function decodeElement(type: ColumnType, bytes: Uint8Array): Value {
  switch (type) {
    case 'bool': {
      requireBytes(bytes, 1);
      const byte = bytes[cursor++];
      if (byte > 1) fail(`bad bool key byte ${byte}`);
      return byte === 1;
    }
    case 'int2':
      requireBytes(bytes, 2);
      cursor += 2;
      return ((bytes[cursor - 2] << 8) | bytes[cursor - 1]) - 0x8000;
    case 'int4':
    case 'date':
      requireBytes(bytes, 4);
      cursor += 4;
      return (
        ((bytes[cursor - 4] << 24) | (bytes[cursor - 3] << 16) | (bytes[cursor - 2] << 8) | bytes[cursor - 1]) ^
        0x8000_0000
      );
    case 'int8':
    case 'timestamp':
      requireBytes(bytes, 8);
      word.set(bytes.subarray(cursor, cursor + 8));
      word[0] ^= 0x80;
      cursor += 8;
      return wordView.getBigInt64(0);
    case 'float8':
      requireBytes(bytes, 8);
      word.set(bytes.subarray(cursor, cursor + 8));
      cursor += 8;
      if ((word[0] & 0x80) !== 0) word[0] ^= 0x80;
      else for (let i = 0; i < 8; i++) word[i] ^= 0xff;
      return wordView.getFloat64(0);
    case 'numeric':
      return decodeNumeric(bytes);
    case 'text': {
      const start = cursor;
      const escapes = scanEscaped(bytes);
      if (escapes === 0) return readUtf8(bytes, start, cursor - 2);
      const length = unescapeInto(bytes, start, cursor - 2);
      return readUtf8(scratch, 0, length);
    }
    case 'bytea': {
      const start = cursor;
      const escapes = scanEscaped(bytes);
      if (escapes === 0) return copyBytes(bytes, start, cursor - 2);
      const length = unescapeInto(bytes, start, cursor - 2);
      return copyBytes(scratch, 0, length);
    }
    default:
      return unreachable(type, 'column type');
  }
}

/** Writes the order-preserving form of a float8 into `word`. */
function encodeFloat8(value: number): void {
  if (Number.isNaN(value)) {
    // One NaN for all payloads and signs: the quiet NaN 0x7FF8..., sign bit then flipped.
    word.fill(0);
    word[0] = 0xff;
    word[1] = 0xf8;
    return;
  }
  wordView.setFloat64(0, value === 0 ? 0 : value);
  if ((word[0] & 0x80) !== 0) for (let i = 0; i < 8; i++) word[i] ^= 0xff;
  else word[0] ^= 0x80;
}

/**
 * Writes a canonical numeric string at `offset` of the scratch buffer; returns the end.
 * The value ±0.D1D2D3... × 100^E (Di base-100 digit pairs, D1 and the last nonzero) becomes:
 *   a class byte: NUMERIC_NEGATIVE < NUMERIC_ZERO < NUMERIC_POSITIVE (zero has nothing more);
 *   E + 0x8000 as a big-endian u16 (a larger exponent is a larger magnitude);
 *   each pair D as 2D+1, except the last as 2D: the even byte ends the number, and a number
 *   that ends where another continues is the smaller one.
 * For a negative value the exponent and pair bytes are complemented, reversing their order.
 * Pairs align with the decimal point, so trailing fraction zeros vanish: '1.50' = '1.5'.
 */
function encodeNumeric(text: string, offset: number): number {
  const negative = text.charCodeAt(0) === 0x2d;
  const signBytes = negative ? 1 : 0;
  let point = text.indexOf('.', signBytes);
  if (point < 0) point = text.length;
  let integerStart = signBytes;
  while (integerStart < point && text.charCodeAt(integerStart) === 0x30) integerStart++;
  const integerDigits = point - integerStart;
  const fractionStart = point + 1;
  let fractionEnd = text.length;
  while (fractionEnd > fractionStart && text.charCodeAt(fractionEnd - 1) === 0x30) fractionEnd--;
  const fractionDigits = Math.max(0, fractionEnd - fractionStart);
  if (integerDigits + fractionDigits > NUMERIC_MAX_DIGITS) {
    fail(`numeric key value of ${integerDigits + fractionDigits} digits`);
  }
  let at = offset;
  if (integerDigits === 0 && fractionDigits === 0) {
    scratch[at++] = NUMERIC_ZERO;
    return at;
  }
  // The digits as a virtual sequence padded to whole pairs: one zero before an odd integer
  // part, one after an odd fraction.
  const padBefore = integerDigits & 1;
  const pairCount = (padBefore + integerDigits + fractionDigits + (fractionDigits & 1)) >>> 1;
  let firstPair = 0;
  while (pairAt(text, firstPair, padBefore, integerStart, integerDigits, fractionStart, fractionDigits) === 0) {
    firstPair++;
  }
  let lastPair = pairCount - 1;
  while (pairAt(text, lastPair, padBefore, integerStart, integerDigits, fractionStart, fractionDigits) === 0) {
    lastPair--;
  }
  const exponent = ((padBefore + integerDigits) >>> 1) - firstPair;
  const flip = negative ? 0xff : 0;
  scratch[at++] = negative ? NUMERIC_NEGATIVE : NUMERIC_POSITIVE;
  const biasedExponent = exponent + NUMERIC_EXPONENT_BIAS;
  scratch[at++] = (biasedExponent >>> 8) ^ flip;
  scratch[at++] = (biasedExponent & 0xff) ^ flip;
  for (let pair = firstPair; pair <= lastPair; pair++) {
    const value = pairAt(text, pair, padBefore, integerStart, integerDigits, fractionStart, fractionDigits);
    scratch[at++] = (2 * value + (pair < lastPair ? 1 : 0)) ^ flip;
  }
  return at;
}

function pairAt(
  text: string,
  pair: number,
  padBefore: number,
  integerStart: number,
  integerDigits: number,
  fractionStart: number,
  fractionDigits: number,
): number {
  return (
    10 * digitAt(text, 2 * pair, padBefore, integerStart, integerDigits, fractionStart, fractionDigits) +
    digitAt(text, 2 * pair + 1, padBefore, integerStart, integerDigits, fractionStart, fractionDigits)
  );
}

function digitAt(
  text: string,
  index: number,
  padBefore: number,
  integerStart: number,
  integerDigits: number,
  fractionStart: number,
  fractionDigits: number,
): number {
  if (index < padBefore) return 0;
  const integerIndex = index - padBefore;
  if (integerIndex < integerDigits) return text.charCodeAt(integerStart + integerIndex) - 0x30;
  const fractionIndex = integerIndex - integerDigits;
  return fractionIndex < fractionDigits ? text.charCodeAt(fractionStart + fractionIndex) - 0x30 : 0;
}

function decodeNumeric(bytes: Uint8Array): string {
  requireBytes(bytes, 1);
  const numericClass = bytes[cursor++];
  if (numericClass === NUMERIC_ZERO) return '0';
  if (numericClass !== NUMERIC_NEGATIVE && numericClass !== NUMERIC_POSITIVE) {
    fail(`bad numeric key class 0x${numericClass.toString(16)}`);
  }
  const flip = numericClass === NUMERIC_NEGATIVE ? 0xff : 0;
  requireBytes(bytes, 2);
  const exponent = (((bytes[cursor] ^ flip) << 8) | (bytes[cursor + 1] ^ flip)) - NUMERIC_EXPONENT_BIAS;
  cursor += 2;
  let digits = '';
  for (;;) {
    requireBytes(bytes, 1);
    const byte = bytes[cursor++] ^ flip;
    const pair = byte >>> 1;
    if (pair >= 100) fail(`bad numeric key digit pair byte ${byte}`);
    digits += pair < 10 ? `0${pair}` : `${pair}`;
    if ((byte & 1) === 0) break;
  }
  const pairCount = digits.length >>> 1;
  let integer: string;
  let fraction: string;
  if (exponent >= pairCount) {
    integer = digits + '00'.repeat(exponent - pairCount);
    fraction = '';
  } else if (exponent > 0) {
    integer = digits.slice(0, 2 * exponent);
    fraction = digits.slice(2 * exponent);
  } else {
    integer = '0';
    fraction = '00'.repeat(-exponent) + digits;
  }
  // The first pair is nonzero and the last too, so at most one zero pads each end.
  if (integer.length > 1 && integer.charCodeAt(0) === 0x30) integer = integer.slice(1);
  if (fraction.length > 0 && fraction.charCodeAt(fraction.length - 1) === 0x30) fraction = fraction.slice(0, -1);
  const sign = flip === 0 ? '' : '-';
  return fraction.length === 0 ? `${sign}${integer}` : `${sign}${integer}.${fraction}`;
}

/**
 * Moves the cursor past an escaped byte string and its 0x00 0x00 terminator; returns how
 * many escaped NULs (0x00 0xFF) it holds.
 */
function scanEscaped(bytes: Uint8Array): number {
  let escapes = 0;
  for (;;) {
    requireBytes(bytes, 1);
    if (bytes[cursor++] !== 0) continue;
    requireBytes(bytes, 1);
    const next = bytes[cursor++];
    if (next === 0) return escapes;
    if (next !== 0xff) fail(`bad key escape 0x00 0x${next.toString(16)} at byte ${cursor - 1}`);
    escapes++;
  }
}

/** Copies bytes [start, end) into the scratch buffer with 0x00 0xFF turned back into 0x00. */
function unescapeInto(bytes: Uint8Array, start: number, end: number): number {
  ensureCapacity(end - start);
  let length = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
    scratch[length++] = byte;
    if (byte === 0) i++; // skip the 0xFF
  }
  return length;
}

function requireBytes(bytes: Uint8Array, count: number): void {
  if (cursor + count > bytes.length) {
    fail(`key truncated: need ${count} bytes at ${cursor} of ${bytes.length}`);
  }
}

function ensureCapacity(bytes: number): void {
  if (bytes <= scratch.length) return;
  const grown = new Uint8Array(Math.max(bytes, scratch.length * 2));
  grown.set(scratch);
  scratch = grown;
}

/**
 * Throws an AssertionError (a bug, or a corrupt cell that passed its block checksum). Used as
 * `if (!ok) fail(...)` on these per-value paths, where assert(ok, () => ...) would build a
 * message closure on every call.
 */
function fail(message: string): never {
  throw new AssertionError(message);
}
