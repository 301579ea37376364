// Binary send/receive functions (PostgreSQL's typsend/typreceive): the format of binary
// parameters and results in the extended protocol. Integers and floats are big-endian, dates
// and timestamps count from 2000-01-01, numeric is PostgreSQL's base-10000 digit array.
import { unreachable } from '../../assert.js';
import { DbError } from '../../errors.js';
import {
  DATE_NEG_INFINITY,
  DATE_POS_INFINITY,
  POSTGRES_EPOCH_DAYS,
  POSTGRES_EPOCH_MICROS,
  TIMESTAMP_NEG_INFINITY,
  TIMESTAMP_POS_INFINITY,
} from './datetime.js';
import type { Interval } from './interval.js';
import { makeInterval } from './interval.js';
import { fromDecimal, pow10, toDecimal } from './numeric.js';
import type { SqlType } from './types.js';
import type { SqlValue } from './value.js';

const NUMERIC_POSITIVE = 0x0000;
const NUMERIC_NEGATIVE = 0x4000;
const NUMERIC_NAN = 0xc000;
const NUMERIC_PINF = 0xd000;
const NUMERIC_NINF = 0xf000;
const NUMERIC_DSCALE_MAX = 0x3fff;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function malformed(type: SqlType, detail: string): DbError {
  return new DbError('INVALID_BINARY_REPRESENTATION', `incorrect binary data format for type ${type.name}: ${detail}`);
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function expectLength(type: SqlType, bytes: Uint8Array, length: number): DataView {
  if (bytes.length !== length) throw malformed(type, `expected ${length} bytes, got ${bytes.length}`);
  return view(bytes);
}

/** Encodes a canonical numeric string in PostgreSQL's numeric_send format. */
export function encodeNumeric(text: string): Uint8Array {
  const { coefficient, scale } = toDecimal(text);
  const negative = coefficient < 0n;
  const magnitude = negative ? -coefficient : coefficient;
  const fractionGroups = Math.ceil(scale / 4);
  // Pad the fraction to whole base-10000 groups, then cut the digits into groups of four.
  const aligned = magnitude === 0n ? '' : (magnitude * pow10(fractionGroups * 4 - scale)).toString();
  const groups: number[] = [];
  for (let end = aligned.length; end > 0; end -= 4) groups.push(Number(aligned.slice(Math.max(0, end - 4), end)));
  groups.reverse();
  let weight = groups.length - fractionGroups - 1;
  let first = 0;
  while (first < groups.length && groups[first] === 0) {
    first++;
    weight--;
  }
  let last = groups.length;
  while (last > first && groups[last - 1] === 0) last--;
  const digits = groups.slice(first, last);
  if (digits.length === 0) weight = 0;
  const bytes = new Uint8Array(8 + digits.length * 2);
  const data = view(bytes);
  data.setInt16(0, digits.length);
  data.setInt16(2, weight);
  data.setUint16(4, negative ? NUMERIC_NEGATIVE : NUMERIC_POSITIVE);
  data.setInt16(6, scale);
  for (let i = 0; i < digits.length; i++) data.setInt16(8 + i * 2, digits[i]);
  return bytes;
}

/** numeric_recv: digits beyond dscale are truncated away, as PostgreSQL does. */
export function decodeNumeric(bytes: Uint8Array, type: SqlType): string {
  if (bytes.length < 8) throw malformed(type, 'header too short');
  const data = view(bytes);
  const count = data.getInt16(0);
  const weight = data.getInt16(2);
  const sign = data.getUint16(4);
  const dscale = data.getUint16(6);
  if (count < 0 || bytes.length !== 8 + count * 2) throw malformed(type, 'digit count does not match the length');
  if (sign === NUMERIC_NAN || sign === NUMERIC_PINF || sign === NUMERIC_NINF) {
    throw new DbError('FEATURE_NOT_SUPPORTED', 'numeric NaN and infinity are not supported');
  }
  if (sign !== NUMERIC_POSITIVE && sign !== NUMERIC_NEGATIVE) {
    throw new DbError('INVALID_BINARY_REPRESENTATION', 'invalid sign in external "numeric" value');
  }
  if ((dscale & NUMERIC_DSCALE_MAX) !== dscale) {
    throw new DbError('INVALID_BINARY_REPRESENTATION', 'invalid scale in external "numeric" value');
  }
  let digits = '';
  for (let i = 0; i < count; i++) {
    const digit = data.getInt16(8 + i * 2);
    if (digit < 0 || digit >= 10_000) {
      throw new DbError('INVALID_BINARY_REPRESENTATION', 'invalid digit in external "numeric" value');
    }
    digits += String(digit + 10_000).slice(1);
  }
  if (count === 0) return fromDecimal({ coefficient: 0n, scale: dscale });
  // value = digits × 10^(4 · (weight − count + 1)); re-express with dscale fraction digits.
  const shift = 4 * (weight - count + 1) + dscale;
  let coefficient = BigInt(digits);
  coefficient = shift >= 0 ? coefficient * pow10(shift) : coefficient / pow10(-shift);
  return fromDecimal({ coefficient: sign === NUMERIC_NEGATIVE ? -coefficient : coefficient, scale: dscale });
}

function shiftDate(days: number, toPostgres: boolean): number {
  if (days === DATE_POS_INFINITY || days === DATE_NEG_INFINITY) return days;
  return toPostgres ? days - POSTGRES_EPOCH_DAYS : days + POSTGRES_EPOCH_DAYS;
}

function shiftTimestamp(micros: bigint, toPostgres: boolean): bigint {
  if (micros === TIMESTAMP_POS_INFINITY || micros === TIMESTAMP_NEG_INFINITY) return micros;
  return toPostgres ? micros - POSTGRES_EPOCH_MICROS : micros + POSTGRES_EPOCH_MICROS;
}

/** The binary form of a non-NULL value of `type` (typsend). */
export function encodeBinary(type: SqlType, value: SqlValue): Uint8Array {
  switch (type.name) {
    case 'bool':
      return Uint8Array.of(value === true ? 1 : 0);
    case 'int2': {
      const bytes = new Uint8Array(2);
      view(bytes).setInt16(0, value as number);
      return bytes;
    }
    case 'int4': {
      const bytes = new Uint8Array(4);
      view(bytes).setInt32(0, value as number);
      return bytes;
    }
    case 'int8': {
      const bytes = new Uint8Array(8);
      view(bytes).setBigInt64(0, value as bigint);
      return bytes;
    }
    case 'float4': {
      const bytes = new Uint8Array(4);
      view(bytes).setFloat32(0, value as number);
      return bytes;
    }
    case 'float8': {
      const bytes = new Uint8Array(8);
      view(bytes).setFloat64(0, value as number);
      return bytes;
    }
    case 'numeric':
      return encodeNumeric(value as string);
    case 'bpchar':
    case 'varchar':
    case 'text':
    case 'unknown':
      return utf8Encoder.encode(value as string);
    case 'bytea':
      return value as Uint8Array;
    case 'date': {
      const bytes = new Uint8Array(4);
      view(bytes).setInt32(0, shiftDate(value as number, true));
      return bytes;
    }
    case 'timestamp':
    case 'timestamptz': {
      const bytes = new Uint8Array(8);
      view(bytes).setBigInt64(0, shiftTimestamp(value as bigint, true));
      return bytes;
    }
    case 'interval': {
      const interval = value as Interval;
      const bytes = new Uint8Array(16);
      const data = view(bytes);
      data.setBigInt64(0, interval.micros);
      data.setInt32(8, interval.days);
      data.setInt32(12, interval.months);
      return bytes;
    }
    default:
      return unreachable(type.name, 'SQL type');
  }
}

/**
 * The value of a binary-format parameter (typreceive). Throws INVALID_BINARY_REPRESENTATION
 * (22P03) for a wrong length or a malformed numeric, CHARACTER_NOT_IN_REPERTOIRE (22021) for
 * text that is not UTF-8. The typmod is not applied (the caller assigns or casts).
 */
export function decodeBinary(type: SqlType, bytes: Uint8Array): SqlValue {
  switch (type.name) {
    case 'bool':
      return expectLength(type, bytes, 1).getUint8(0) !== 0;
    case 'int2':
      return expectLength(type, bytes, 2).getInt16(0);
    case 'int4':
      return expectLength(type, bytes, 4).getInt32(0);
    case 'int8':
      return expectLength(type, bytes, 8).getBigInt64(0);
    case 'float4':
      return expectLength(type, bytes, 4).getFloat32(0);
    case 'float8':
      return expectLength(type, bytes, 8).getFloat64(0);
    case 'numeric':
      return decodeNumeric(bytes, type);
    case 'bpchar':
    case 'varchar':
    case 'text':
    case 'unknown':
      try {
        return utf8Decoder.decode(bytes);
      } catch {
        throw new DbError('CHARACTER_NOT_IN_REPERTOIRE', 'invalid byte sequence for encoding "UTF8"');
      }
    case 'bytea':
      return bytes.slice();
    case 'date':
      return shiftDate(expectLength(type, bytes, 4).getInt32(0), false);
    case 'timestamp':
    case 'timestamptz':
      return shiftTimestamp(expectLength(type, bytes, 8).getBigInt64(0), false);
    case 'interval': {
      const data = expectLength(type, bytes, 16);
      return makeInterval(data.getInt32(12), data.getInt32(8), data.getBigInt64(0));
    }
    default:
      return unreachable(type.name, 'SQL type');
  }
}
