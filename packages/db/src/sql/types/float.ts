// float4 and float8 text forms as PostgreSQL 15 prints them with extra_float_digits = 1 (the
// default): the shortest digits that read back to the same value (Ryu), in fixed notation for
// decimal exponents in [-4, 15) (float8) or [-4, 6) (float4), else as '1.5e-05' / '1e+20'.
import { DbError } from '../../errors.js';

/** Formats the shortest round-trip `digits` (no point, no sign) with decimal `exponent` of the first digit. */
function layOut(negative: boolean, digits: string, exponent: number, fixedLimit: number): string {
  const sign = negative ? '-' : '';
  if (exponent >= -4 && exponent < fixedLimit) {
    if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
    if (digits.length <= exponent + 1) return `${sign}${digits}${'0'.repeat(exponent + 1 - digits.length)}`;
    return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  }
  const mantissa = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
  const magnitude = Math.abs(exponent);
  return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${magnitude < 10 ? '0' : ''}${magnitude}`;
}

function special(value: number): string | undefined {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  return undefined;
}

/** Splits JS's shortest round-trip exponential form ('1.2345e+21') into digits and exponent. */
function shortestDigits(magnitude: number, precision?: number): { digits: string; exponent: number } {
  const text = precision === undefined ? magnitude.toExponential() : magnitude.toExponential(precision - 1);
  const e = text.indexOf('e');
  let digits = text.charCodeAt(1) === 0x2e ? text[0] + text.slice(2, e) : text.slice(0, e);
  let end = digits.length;
  while (end > 1 && digits.charCodeAt(end - 1) === 0x30) end--;
  digits = digits.slice(0, end);
  return { digits, exponent: Number(text.slice(e + 1)) };
}

export function formatFloat8(value: number): string {
  const text = special(value);
  if (text !== undefined) return text;
  // Fast path: integers below 10^15 print as JS prints them.
  if (Number.isInteger(value) && value > -1e15 && value < 1e15) return String(value);
  const { digits, exponent } = shortestDigits(Math.abs(value));
  return layOut(value < 0, digits, exponent, 15);
}

/** float4 output: the shortest digits that round back to the same single-precision value. */
export function formatFloat4(value: number): string {
  const text = special(value);
  if (text !== undefined) return text;
  const magnitude = Math.abs(value);
  for (let precision = 1; precision <= 9; precision++) {
    const candidate = shortestDigits(magnitude, precision);
    if (
      Math.fround(Number(`${candidate.digits[0]}.${candidate.digits.slice(1)}e${candidate.exponent}`)) === magnitude
    ) {
      return layOut(value < 0, candidate.digits, candidate.exponent, 6);
    }
  }
  const { digits, exponent } = shortestDigits(magnitude, 9);
  return layOut(value < 0, digits, exponent, 6);
}

const FLOAT4_MAX = 3.4028234663852886e38;
const FLOAT4_MIN_SUBNORMAL = 1.401298464324817e-45;

function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/** Checks the text is a strtod-style number: sign, digits, point, exponent; no hex, no underscores. */
function isDecimalFloat(text: string): boolean {
  let i = 0;
  if (text[i] === '+' || text[i] === '-') i++;
  let digits = 0;
  while (i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) {
    i++;
    digits++;
  }
  if (text[i] === '.') {
    i++;
    while (i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return false;
  if (text[i] === 'e' || text[i] === 'E') {
    i++;
    if (text[i] === '+' || text[i] === '-') i++;
    const start = i;
    while (i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
    if (i === start) return false;
  }
  return i === text.length;
}

function parseSpecial(lower: string): number | undefined {
  switch (lower) {
    case 'nan':
    case '+nan':
    case '-nan':
      return NaN;
    case 'infinity':
    case '+infinity':
    case 'inf':
    case '+inf':
      return Infinity;
    case '-infinity':
    case '-inf':
      return -Infinity;
    default:
      return undefined;
  }
}

/** float8in / float4in: white space around, 'NaN', 'Infinity', 'inf'; out-of-range values are 22003. */
export function parseFloat(text: string, type: 'float4' | 'float8'): number {
  const label = type === 'float8' ? 'double precision' : 'real';
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  const body = text.slice(start, end);
  if (!isDecimalFloat(body)) {
    const value = parseSpecial(body.toLowerCase());
    if (value === undefined) {
      throw new DbError('INVALID_TEXT_REPRESENTATION', `invalid input syntax for type ${label}: "${text}"`);
    }
    return value;
  }
  const value = Number(body);
  const outOfRange = (): DbError => new DbError('VALUE_OUT_OF_RANGE', `"${body}" is out of range for type ${label}`);
  if (type === 'float8') {
    if (!Number.isFinite(value)) throw outOfRange();
    // strtod reports underflow for a non-zero literal that reads as zero; PostgreSQL rejects it.
    if (value === 0 && /[1-9]/.test(body.split(/[eE]/)[0])) throw outOfRange();
    return value;
  }
  const rounded = Math.fround(value);
  if (!Number.isFinite(rounded) || Math.abs(value) > FLOAT4_MAX) throw outOfRange();
  if (
    rounded === 0 &&
    Math.abs(value) >= 0 &&
    /[1-9]/.test(body.split(/[eE]/)[0]) &&
    Math.abs(value) < FLOAT4_MIN_SUBNORMAL
  ) {
    throw outOfRange();
  }
  return rounded;
}

/** float8 → float4 (a cast, or assignment to a real column): overflow and underflow are 22003 as in float84. */
export function toFloat4(value: number): number {
  const rounded = Math.fround(value);
  if (!Number.isFinite(rounded) && Number.isFinite(value)) {
    throw new DbError('VALUE_OUT_OF_RANGE', 'value out of range: overflow');
  }
  if (rounded === 0 && value !== 0) throw new DbError('VALUE_OUT_OF_RANGE', 'value out of range: underflow');
  return rounded;
}
