// Integer text input and the range checks of int2, int4 and int8 arithmetic: the hottest
// conversions of all (every integer parameter and column value passes here), so plain loops.
import { DbError } from '../../errors.js';

export type IntegerTypeName = 'int2' | 'int4' | 'int8';

export const INT2_MIN = -0x8000;
export const INT2_MAX = 0x7fff;
export const INT4_MIN = -0x8000_0000;
export const INT4_MAX = 0x7fff_ffff;
export const INT8_MIN = -(1n << 63n);
export const INT8_MAX = (1n << 63n) - 1n;

export const INTEGER_LABEL: Readonly<Record<IntegerTypeName, string>> = {
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
};

export function integerOutOfRange(type: IntegerTypeName): DbError {
  return new DbError('VALUE_OUT_OF_RANGE', `${INTEGER_LABEL[type]} out of range`);
}

function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

function invalid(type: IntegerTypeName, text: string): DbError {
  return new DbError('INVALID_TEXT_REPRESENTATION', `invalid input syntax for type ${INTEGER_LABEL[type]}: "${text}"`);
}

function outOfRangeInput(type: IntegerTypeName, text: string): DbError {
  return new DbError('VALUE_OUT_OF_RANGE', `value "${text}" is out of range for type ${INTEGER_LABEL[type]}`);
}

/** Bounds [start, end) of the digits after white space and sign, or throws 22P02. */
function scan(type: IntegerTypeName, text: string): { negative: boolean; start: number; end: number } {
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  let negative = false;
  const sign = text.charCodeAt(start);
  if (sign === 0x2d || sign === 0x2b) {
    negative = sign === 0x2d;
    start++;
  }
  if (start === end) throw invalid(type, text);
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw invalid(type, text);
  }
  return { negative, start, end };
}

/** int2in / int4in: returns a number within the type's range. */
export function parseInt32(text: string, type: 'int2' | 'int4'): number {
  const { negative, start, end } = scan(type, text);
  let value = 0;
  // Up to 10 digits stay exact in a double; more (after leading zeros) are out of range anyway.
  for (let i = start; i < end; i++) {
    value = value * 10 + (text.charCodeAt(i) - 0x30);
    if (value > 0x8000_0000) throw outOfRangeInput(type, text);
  }
  if (negative) value = -value;
  const min = type === 'int2' ? INT2_MIN : INT4_MIN;
  const max = type === 'int2' ? INT2_MAX : INT4_MAX;
  if (value < min || value > max) throw outOfRangeInput(type, text);
  return value === 0 ? 0 : value;
}

/** int8in. */
export function parseInt64(text: string): bigint {
  const { negative, start, end } = scan('int8', text);
  let value: bigint;
  if (end - start <= 15) {
    let small = 0;
    for (let i = start; i < end; i++) small = small * 10 + (text.charCodeAt(i) - 0x30);
    value = BigInt(small);
  } else {
    value = BigInt(text.slice(start, end));
  }
  if (negative) value = -value;
  if (value < INT8_MIN || value > INT8_MAX) throw outOfRangeInput('int8', text);
  return value;
}

/** The result of int2/int4 arithmetic, checked against the type's range. */
export function checkInt32(value: number, type: 'int2' | 'int4'): number {
  if (type === 'int4' ? value < INT4_MIN || value > INT4_MAX : value < INT2_MIN || value > INT2_MAX) {
    throw integerOutOfRange(type);
  }
  return value === 0 ? 0 : value;
}

export function checkInt64(value: bigint): bigint {
  if (value < INT8_MIN || value > INT8_MAX) throw integerOutOfRange('int8');
  return value;
}

/** rint(): round half to even, as PostgreSQL's float-to-integer casts and round(float8) do. */
export function rint(value: number): number {
  const floor = Math.floor(value);
  const difference = value - floor;
  const rounded = difference < 0.5 ? floor : difference > 0.5 ? floor + 1 : floor % 2 === 0 ? floor : floor + 1;
  // C's rint keeps the sign of a negative value that rounds to zero (rint(-0.5) is -0).
  return rounded === 0 && (value < 0 || Object.is(value, -0)) ? -0 : rounded;
}

/** float → int2/int4: rint, then the range check (NaN is out of range too). */
export function floatToInt32(value: number, type: 'int2' | 'int4'): number {
  if (Number.isNaN(value)) throw integerOutOfRange(type);
  return checkInt32(rint(value), type);
}

export function floatToInt64(value: number): bigint {
  const rounded = rint(value);
  // 2^63 itself is out of range; every double below it converts exactly.
  if (!Number.isFinite(rounded) || rounded < -9223372036854775808 || rounded >= 9223372036854775808) {
    throw integerOutOfRange('int8');
  }
  return BigInt(rounded);
}
