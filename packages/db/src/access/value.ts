// Column types and their values as JavaScript sees them: the one place that says which JS
// value is valid for a type (validateValue) and how two values order (compareValues). The
// key codec's byte order and the row codec's layout are both defined against these.
import { assert, unreachable } from '../assert.js';
import { DbError } from '../errors.js';

export type ColumnType =
  'bool' | 'int2' | 'int4' | 'int8' | 'float8' | 'numeric' | 'text' | 'bytea' | 'timestamp' | 'date';

export const COLUMN_TYPES: readonly ColumnType[] = [
  'bool',
  'int2',
  'int4',
  'int8',
  'float8',
  'numeric',
  'text',
  'bytea',
  'timestamp',
  'date',
];

/**
 * A column value. bool: boolean; int2, int4: number; int8: bigint; float8: number (NaN and
 * ±Infinity allowed); numeric: canonical decimal string (see validateValue); text: string;
 * bytea: Uint8Array; timestamp: bigint microseconds since 1970-01-01 00:00 UTC; date: number
 * of days since 1970-01-01. `null` is SQL NULL for every type.
 */
export type Value = boolean | number | bigint | string | Uint8Array | null;

/**
 * The most decimal digits a numeric holds: integer digits (without leading zeros) plus
 * fraction digits (as written, trailing zeros included). So every numeric lies within
 * 10^±1000, which bounds its key encoding (about 505 bytes at most).
 */
export const NUMERIC_MAX_DIGITS = 1000;

const INT2_MIN = -0x8000;
const INT2_MAX = 0x7fff;
const INT4_MIN = -0x8000_0000;
const INT4_MAX = 0x7fff_ffff;
const INT8_MIN = -(1n << 63n);
const INT8_MAX = (1n << 63n) - 1n;

// Sign, integer digits, fraction digits; at least one digit somewhere (checked after).
const NUMERIC_PATTERN = /^([+-]?)([0-9]*)(?:\.([0-9]*))?$/;
// A surrogate without its partner: such a string has no UTF-8 form.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Checks that `value` is a valid value of `type` and returns it in canonical form: numeric
 * text loses its '+', its leading zeros and the sign of a zero ('-007.50' → '-7.50', '-0.0'
 * → '0.0', '.5' → '0.5', '5.' → '5') but keeps its scale; an int2/int4/date -0 becomes 0.
 * Throws DbError TYPE_MISMATCH for a JS value of the wrong kind, VALUE_OUT_OF_RANGE for one
 * outside the type's range, INVALID_TEXT_REPRESENTATION for malformed numeric text and
 * CHARACTER_NOT_IN_REPERTOIRE for text with a lone surrogate. Every message names the column.
 */
export function validateValue(type: ColumnType, value: unknown, columnName: string): Value {
  if (value === null) return null;
  switch (type) {
    case 'bool':
      if (typeof value !== 'boolean') throw mismatch(type, value, columnName, 'a boolean');
      return value;
    case 'int2':
      return validateInteger(type, value, columnName, INT2_MIN, INT2_MAX);
    case 'int4':
    case 'date':
      return validateInteger(type, value, columnName, INT4_MIN, INT4_MAX);
    case 'int8':
    case 'timestamp':
      if (typeof value !== 'bigint') throw mismatch(type, value, columnName, 'a bigint');
      if (value < INT8_MIN || value > INT8_MAX) {
        throw outOfRange(type, value, columnName, `[${INT8_MIN}, ${INT8_MAX}]`);
      }
      return value;
    case 'float8':
      if (typeof value !== 'number') throw mismatch(type, value, columnName, 'a number');
      return value;
    case 'numeric':
      if (typeof value !== 'string') throw mismatch(type, value, columnName, 'a decimal string');
      return canonicalNumeric(value, columnName);
    case 'text':
      if (typeof value !== 'string') throw mismatch(type, value, columnName, 'a string');
      if (LONE_SURROGATE.test(value)) {
        throw new DbError(
          'CHARACTER_NOT_IN_REPERTOIRE',
          `column "${columnName}" (text): the string has a lone UTF-16 surrogate at index ${value.search(LONE_SURROGATE)}, ` +
            `so it has no UTF-8 form; pass well-formed text`,
        );
      }
      return value;
    case 'bytea':
      if (!(value instanceof Uint8Array)) throw mismatch(type, value, columnName, 'a Uint8Array');
      return value;
    default:
      return unreachable(type, 'column type');
  }
}

/**
 * SQL ordering of two valid values of `type` (as validateValue returns them): negative, zero
 * or positive. NULLs sort after every value and equal each other (PostgreSQL's ascending
 * order). float8 orders like PostgreSQL: -0 equals 0, NaN equals NaN and sorts above
 * +Infinity. numeric compares by value ('1.50' equals '1.5'). text compares by Unicode code
 * point (the "C" collation), which is also the byte order of its UTF-8 form.
 */
export function compareValues(type: ColumnType, a: Value, b: Value): number {
  if (a === null || b === null) return a === null ? (b === null ? 0 : 1) : -1;
  switch (type) {
    case 'bool':
      return (a as boolean) === (b as boolean) ? 0 : (a as boolean) ? 1 : -1;
    case 'int2':
    case 'int4':
    case 'date':
    case 'int8':
    case 'timestamp':
      return (a as number | bigint) < (b as number | bigint)
        ? -1
        : (a as number | bigint) > (b as number | bigint)
          ? 1
          : 0;
    case 'float8':
      return compareFloat8(a as number, b as number);
    case 'numeric':
      return compareNumeric(a as string, b as string);
    case 'text':
      return compareCodePoints(a as string, b as string);
    case 'bytea':
      return compareBytes(a as Uint8Array, b as Uint8Array);
    default:
      return unreachable(type, 'column type');
  }
}

/**
 * Lexicographic order of two tuples of `types` (each as long as `types` or shorter): the
 * first unequal element decides, and a tuple that is a prefix of the other sorts first.
 */
export function compareTuples(types: readonly ColumnType[], a: readonly Value[], b: readonly Value[]): number {
  const common = Math.min(a.length, b.length);
  assert(common <= types.length, () => `tuple of ${common} values for ${types.length} types`);
  for (let i = 0; i < common; i++) {
    const order = compareValues(types[i], a[i], b[i]);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

function compareFloat8(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0; // also -0 vs 0
  // At least one NaN: NaN sorts last and equals NaN.
  return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
}

/** Compares two canonical numeric strings by value, without parsing them into numbers. */
function compareNumeric(a: string, b: string): number {
  const negativeA = a.charCodeAt(0) === 0x2d;
  const negativeB = b.charCodeAt(0) === 0x2d;
  // A canonical zero has no sign, so a '-' means strictly negative.
  if (negativeA !== negativeB) return negativeA ? -1 : 1;
  const magnitudeOrder = compareNumericMagnitude(a, negativeA ? 1 : 0, b, negativeB ? 1 : 0);
  return negativeA ? 0 - magnitudeOrder : magnitudeOrder; // 0 - 0 is 0, where -0 would leak out
}

function compareNumericMagnitude(a: string, startA: number, b: string, startB: number): number {
  let pointA = a.indexOf('.', startA);
  if (pointA < 0) pointA = a.length;
  let pointB = b.indexOf('.', startB);
  if (pointB < 0) pointB = b.length;
  // Canonical integer parts have no leading zeros, except a lone '0' that counts as empty.
  const integerDigitsA = pointA - startA === 1 && a.charCodeAt(startA) === 0x30 ? 0 : pointA - startA;
  const integerDigitsB = pointB - startB === 1 && b.charCodeAt(startB) === 0x30 ? 0 : pointB - startB;
  if (integerDigitsA !== integerDigitsB) return integerDigitsA < integerDigitsB ? -1 : 1;
  for (let i = 0; i < integerDigitsA; i++) {
    const difference = a.charCodeAt(pointA - integerDigitsA + i) - b.charCodeAt(pointB - integerDigitsB + i);
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  const fractionDigitsA = Math.max(0, a.length - pointA - 1);
  const fractionDigitsB = Math.max(0, b.length - pointB - 1);
  const fractionDigits = Math.max(fractionDigitsA, fractionDigitsB);
  for (let i = 0; i < fractionDigits; i++) {
    // A missing fraction digit is a zero.
    const digitA = i < fractionDigitsA ? a.charCodeAt(pointA + 1 + i) : 0x30;
    const digitB = i < fractionDigitsB ? b.charCodeAt(pointB + 1 + i) : 0x30;
    if (digitA !== digitB) return digitA < digitB ? -1 : 1;
  }
  return 0;
}

/** Code point order of two well-formed strings (UTF-16 code unit order differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    let unitA = a.charCodeAt(i);
    let unitB = b.charCodeAt(i);
    if (unitA === unitB) continue;
    // At the first difference, move surrogates (U+D800..DFFF, which encode code points above
    // U+FFFF) above U+E000..FFFF, so code unit order becomes code point order.
    if (unitA >= 0xd800 && unitB >= 0xd800) {
      unitA += unitA >= 0xe000 ? -0x800 : 0x2000;
      unitB += unitB >= 0xe000 ? -0x800 : 0x2000;
    }
    return unitA < unitB ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Unsigned byte order; a prefix sorts before the longer array. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function validateInteger(type: ColumnType, value: unknown, columnName: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw mismatch(type, value, columnName, 'an integer number');
  }
  if (value < min || value > max) throw outOfRange(type, value, columnName, `[${min}, ${max}]`);
  return value === 0 ? 0 : value; // -0 → 0: the codecs store integers, which have no -0
}

function canonicalNumeric(text: string, columnName: string): string {
  const match = NUMERIC_PATTERN.exec(text);
  const integerText = match?.[2] ?? '';
  const fractionText = match?.[3] ?? '';
  if (match === null || integerText.length + fractionText.length === 0) {
    throw new DbError(
      'INVALID_TEXT_REPRESENTATION',
      `column "${columnName}" (numeric): ${describe(text)} is not a decimal number; ` +
        `write digits with an optional sign and decimal point, such as '-12.50'`,
    );
  }
  let firstDigit = 0;
  while (firstDigit < integerText.length && integerText.charCodeAt(firstDigit) === 0x30) firstDigit++;
  const integerDigits = integerText.slice(firstDigit);
  if (integerDigits.length + fractionText.length > NUMERIC_MAX_DIGITS) {
    throw new DbError(
      'VALUE_OUT_OF_RANGE',
      `column "${columnName}" (numeric): ${integerDigits.length} integer and ${fractionText.length} fraction digits ` +
        `exceed the ${NUMERIC_MAX_DIGITS} digits a numeric holds`,
    );
  }
  const isZero = integerDigits.length === 0 && /^0*$/.test(fractionText);
  const sign = match[1] === '-' && !isZero ? '-' : '';
  const canonical = `${sign}${integerDigits.length === 0 ? '0' : integerDigits}${fractionText.length === 0 ? '' : '.'}${fractionText}`;
  return canonical;
}

function mismatch(type: ColumnType, value: unknown, columnName: string, expected: string): DbError {
  return new DbError('TYPE_MISMATCH', `column "${columnName}" (${type}) expects ${expected}, got ${describe(value)}`);
}

function outOfRange(type: ColumnType, value: number | bigint, columnName: string, range: string): DbError {
  return new DbError('VALUE_OUT_OF_RANGE', `column "${columnName}" (${type}): ${value} is out of range ${range}`);
}

/** A short description of any JS value for an error message (values may be huge). */
function describe(value: unknown): string {
  if (typeof value === 'string') {
    return `string '${value.length > 40 ? `${value.slice(0, 40)}…' (${value.length} chars)` : `${value}'`}`;
  }
  if (typeof value === 'bigint') return `bigint ${value}`;
  if (typeof value === 'number') return `number ${value}`;
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'object') {
    return value instanceof Uint8Array
      ? `Uint8Array(${value.length})`
      : `object ${value.constructor?.name ?? 'Object'}`;
  }
  return typeof value === 'boolean' ? `boolean ${value}` : typeof value;
}
