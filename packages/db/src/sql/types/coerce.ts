// Typmod coercion (PostgreSQL's length-coercion functions bpchar(), varchar(), numeric(),
// timestamp()): what storing a value into a char(n), varchar(n), numeric(p,s) or timestamp(p)
// column does to it, and what an explicit cast to such a type does.
import { DbError } from '../../errors.js';
import { isFiniteTimestamp } from './datetime.js';
import { fromDecimal, pow10, roundDecimal, toDecimal } from './numeric.js';
import type { SqlType } from './types.js';
import { charLength, formatTypeName, numericPrecisionScale } from './types.js';
import type { SqlValue } from './value.js';

/** Code points in a string (PostgreSQL counts characters, not UTF-16 units). */
export function charCount(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--;
        i++;
      }
    }
  }
  return count;
}

/** The UTF-16 index where the `characters`-th code point starts (or text.length). */
export function codePointOffset(text: string, characters: number): number {
  let index = 0;
  for (let seen = 0; seen < characters && index < text.length; seen++) {
    const c = text.charCodeAt(index);
    index += c >= 0xd800 && c <= 0xdbff && index + 1 < text.length ? 2 : 1;
  }
  return index;
}

function limitLength(type: SqlType, text: string, explicit: boolean, pad: boolean): string {
  const length = charLength(type);
  if (length < 0) return text;
  // Fast path: a varchar whose UTF-16 length fits has at most that many characters.
  if (!pad && text.length <= length) return text;
  const count = charCount(text);
  if (count <= length) {
    if (!pad || count === length) return text;
    return text + ' '.repeat(length - count);
  }
  const cut = codePointOffset(text, length);
  if (!explicit) {
    // Only trailing spaces may be cut off silently (SQL standard), else the value is too long.
    for (let i = cut; i < text.length; i++) {
      if (text.charCodeAt(i) !== 0x20) {
        throw new DbError('STRING_TOO_LONG', `value too long for type ${formatTypeName(type)}`);
      }
    }
  }
  return text.slice(0, cut);
}

/** Rounds a numeric to numeric(p, s): half away from zero, 22003 'numeric field overflow' past p - s integer digits. */
function limitNumeric(type: SqlType, text: string): string {
  const limits = numericPrecisionScale(type);
  if (limits === undefined) return text;
  const rounded = roundDecimal(toDecimal(text), limits.scale);
  const magnitude = rounded.coefficient < 0n ? -rounded.coefficient : rounded.coefficient;
  if (magnitude >= pow10(limits.precision)) {
    throw new DbError('VALUE_OUT_OF_RANGE', 'numeric field overflow');
  }
  return fromDecimal(rounded);
}

/** Rounds µs to timestamp(p)'s precision, half away from zero like AdjustTimestampForTypmod. */
function limitTimestamp(type: SqlType, micros: bigint): bigint {
  if (type.typmod < 0 || type.typmod >= 6 || !isFiniteTimestamp(micros)) return micros;
  const unit = pow10(6 - type.typmod);
  const half = unit / 2n;
  return micros >= 0n ? ((micros + half) / unit) * unit : -(((-micros + half) / unit) * unit);
}

/**
 * Applies the typmod of `type` to a non-NULL value already of `type`'s base type: bpchar(n)
 * pads with spaces, bpchar(n)/varchar(n) reject (22001) a longer value unless the excess is
 * spaces, which they cut; numeric(p,s) rounds and rejects too many integer digits (22003);
 * timestamp(p) rounds the fraction. With `explicit` (a CAST), character types truncate
 * silently, as PostgreSQL does. NULL passes through; a type without a typmod is unchanged.
 */
export function applyTypmod(type: SqlType, value: SqlValue, explicit = false): SqlValue {
  if (value === null || type.typmod < 0) return value;
  switch (type.name) {
    case 'bpchar':
      return limitLength(type, value as string, explicit, true);
    case 'varchar':
      return limitLength(type, value as string, explicit, false);
    case 'numeric':
      return limitNumeric(type, value as string);
    case 'timestamp':
    case 'timestamptz':
      return limitTimestamp(type, value as bigint);
    default:
      return value;
  }
}
