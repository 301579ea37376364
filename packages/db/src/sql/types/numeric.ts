// Exact decimal arithmetic on numeric values (the storage engine's canonical decimal strings),
// with PostgreSQL's result scales: a sum keeps the larger scale, a product the sum of scales,
// a quotient at least 16 significant digits (select_div_scale), and rounding is half away from
// zero. Internally a value is a bigint coefficient and a decimal scale: coefficient / 10^scale.
import { DbError } from '../../errors.js';

export interface Decimal {
  readonly coefficient: bigint;
  /** Digits after the decimal point (PostgreSQL's dscale); never negative. */
  readonly scale: number;
}

/** PostgreSQL's NUMERIC_MIN_SIG_DIGITS: quotients and roots get at least this many significant digits. */
const MIN_SIG_DIGITS = 16;
/** NUMERIC_MAX_DISPLAY_SCALE: no computed result scale exceeds it. */
const MAX_DISPLAY_SCALE = 1000;
/** NUMERIC_DSCALE_MAX and the integer digits a PostgreSQL numeric holds (NUMERIC_WEIGHT_MAX + 1 groups of 4). */
const MAX_SCALE = 16_383;
const MAX_INTEGER_DIGITS = 131_072;

const POWERS_OF_TEN: bigint[] = [];
for (let i = 0n, p = 1n; i < 64n; i++, p *= 10n) POWERS_OF_TEN.push(p);

export function pow10(exponent: number): bigint {
  return exponent < POWERS_OF_TEN.length ? POWERS_OF_TEN[exponent] : 10n ** BigInt(exponent);
}

export const DECIMAL_ZERO: Decimal = { coefficient: 0n, scale: 0 };

function overflow(): DbError {
  return new DbError('VALUE_OUT_OF_RANGE', 'value overflows numeric format');
}

function divisionByZero(): DbError {
  return new DbError('DIVISION_BY_ZERO', 'division by zero');
}

function absBig(value: bigint): bigint {
  return value < 0n ? -value : value;
}

/** Number of decimal digits of a non-negative bigint (1 for zero). */
function digitCount(value: bigint): number {
  return value === 0n ? 1 : value.toString().length;
}

// ---------------------------------------------------------------------------------------------
// Conversion between the canonical string and a Decimal

/** A canonical numeric string (as validateValue returns it) → Decimal. No checks: the caller holds a valid value. */
export function toDecimal(text: string): Decimal {
  const point = text.indexOf('.');
  if (point < 0) return { coefficient: BigInt(text), scale: 0 };
  return { coefficient: BigInt(text.slice(0, point) + text.slice(point + 1)), scale: text.length - point - 1 };
}

/** Decimal → canonical string: no leading zeros, no sign on zero, exactly `scale` fraction digits. */
export function fromDecimal(value: Decimal): string {
  const negative = value.coefficient < 0n;
  const digits = (negative ? -value.coefficient : value.coefficient).toString();
  if (value.scale === 0) return negative ? `-${digits}` : digits;
  const padded = digits.length <= value.scale ? '0'.repeat(value.scale - digits.length + 1) + digits : digits;
  const point = padded.length - value.scale;
  return `${negative ? '-' : ''}${padded.slice(0, point)}.${padded.slice(point)}`;
}

/** Checks a computed result fits PostgreSQL's numeric limits. */
function checked(value: Decimal): Decimal {
  if (value.scale > MAX_SCALE) throw overflow();
  if (digitCount(absBig(value.coefficient)) - value.scale > MAX_INTEGER_DIGITS) throw overflow();
  return value;
}

function invalidNumeric(text: string): DbError {
  return new DbError('INVALID_TEXT_REPRESENTATION', `invalid input syntax for type numeric: "${text}"`);
}

function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/**
 * numeric_in: surrounding white space, a sign, digits with an optional point and an optional
 * exponent ('1.5e-3' → '0.0015'). The result keeps the written scale ('1.50' stays '1.50').
 */
export function parseNumeric(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  let i = start;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') {
    negative = text[i] === '-';
    i++;
  }
  const digitsStart = i;
  let fractionDigits = 0;
  let sawPoint = false;
  let sawDigit = false;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      sawDigit = true;
      if (sawPoint) fractionDigits++;
    } else if (c === 0x2e && !sawPoint) {
      sawPoint = true;
    } else break;
  }
  if (!sawDigit) {
    const word = text.slice(start, end).toLowerCase();
    if (word === 'nan' || word.endsWith('infinity') || word.endsWith('inf')) {
      throw new DbError('FEATURE_NOT_SUPPORTED', `numeric ${text.slice(start, end)} is not supported`);
    }
    throw invalidNumeric(text);
  }
  const digits = sawPoint ? text.slice(digitsStart, i).replace('.', '') : text.slice(digitsStart, i);
  let exponent = 0;
  if (i < end && (text[i] === 'e' || text[i] === 'E')) {
    i++;
    let exponentNegative = false;
    if (text[i] === '+' || text[i] === '-') {
      exponentNegative = text[i] === '-';
      i++;
    }
    const exponentStart = i;
    while (i < end && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
    if (i === exponentStart || i - exponentStart > 9) throw invalidNumeric(text);
    exponent = Number(text.slice(exponentStart, i)) * (exponentNegative ? -1 : 1);
    if (Math.abs(exponent) > 1000 + MAX_SCALE) throw invalidNumeric(text);
  }
  if (i !== end) throw invalidNumeric(text);
  let coefficient = BigInt(digits);
  let scale = fractionDigits - exponent;
  if (scale < 0) {
    coefficient *= pow10(-scale);
    scale = 0;
  }
  if (negative) coefficient = -coefficient;
  return fromDecimal(checked({ coefficient, scale }));
}

// ---------------------------------------------------------------------------------------------
// Arithmetic on Decimals

function rescaleUp(value: Decimal, scale: number): bigint {
  return scale === value.scale ? value.coefficient : value.coefficient * pow10(scale - value.scale);
}

/** Divides and rounds half away from zero. */
function divideRounded(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  const remainder = numerator % denominator;
  if (remainder === 0n) return quotient;
  if (absBig(remainder) * 2n >= absBig(denominator)) {
    return numerator < 0n !== denominator < 0n ? quotient - 1n : quotient + 1n;
  }
  return quotient;
}

/** Rounds (half away from zero) or pads to `scale` fraction digits; a negative scale rounds left of the point. */
export function roundDecimal(value: Decimal, scale: number): Decimal {
  if (scale >= value.scale) return { coefficient: rescaleUp(value, scale), scale };
  const dropped = value.scale - scale;
  if (scale >= 0) return { coefficient: divideRounded(value.coefficient, pow10(dropped)), scale };
  // round(1234.5, -2) = 1200: round at 10^2, then show no fraction.
  const rounded = divideRounded(value.coefficient, pow10(dropped));
  return { coefficient: rounded * pow10(-scale), scale: 0 };
}

export function truncateDecimal(value: Decimal, scale: number): Decimal {
  if (scale >= value.scale) return { coefficient: rescaleUp(value, scale), scale };
  const dropped = value.scale - scale;
  const truncated = value.coefficient / pow10(dropped);
  if (scale >= 0) return { coefficient: truncated, scale };
  return { coefficient: truncated * pow10(-scale), scale: 0 };
}

export function addDecimal(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return checked({ coefficient: rescaleUp(a, scale) + rescaleUp(b, scale), scale });
}

export function subtractDecimal(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return checked({ coefficient: rescaleUp(a, scale) - rescaleUp(b, scale), scale });
}

export function multiplyDecimal(a: Decimal, b: Decimal): Decimal {
  // PostgreSQL's mul_var keeps the exact product up to NUMERIC_MAX_DISPLAY_SCALE... and the sum of scales.
  const scale = a.scale + b.scale;
  if (scale > MAX_SCALE) return checked(roundDecimal({ coefficient: a.coefficient * b.coefficient, scale }, MAX_SCALE));
  return checked({ coefficient: a.coefficient * b.coefficient, scale });
}

/** The weight (base-10000 digit position) and value of the first non-zero base-10000 digit, as PostgreSQL stores it. */
export function leadingGroup(value: Decimal): { weight: number; digit: number } {
  const magnitude = absBig(value.coefficient);
  if (magnitude === 0n) return { weight: 0, digit: 0 };
  const exponent = digitCount(magnitude) - 1 - value.scale;
  const weight = Math.floor(exponent / 4);
  const shift = value.scale + 4 * weight;
  const digit = shift >= 0 ? magnitude / pow10(shift) : magnitude * pow10(-shift);
  return { weight, digit: Number(digit) };
}

/** select_div_scale: at least 16 significant digits, and no less than either input's scale. */
function divisionScale(a: Decimal, b: Decimal): number {
  const first = leadingGroup(a);
  const second = leadingGroup(b);
  let quotientWeight = first.weight - second.weight;
  if (first.digit <= second.digit) quotientWeight--;
  let scale = MIN_SIG_DIGITS - quotientWeight * 4;
  scale = Math.max(scale, a.scale, b.scale, 0);
  return Math.min(scale, MAX_DISPLAY_SCALE);
}

/** a / b at `scale` digits, rounded half away from zero. */
export function divideDecimalAtScale(a: Decimal, b: Decimal, scale: number): Decimal {
  if (b.coefficient === 0n) throw divisionByZero();
  // a/b = (ca / 10^sa) / (cb / 10^sb); the result coefficient is that times 10^scale.
  const shift = scale + b.scale - a.scale;
  const numerator = shift >= 0 ? a.coefficient * pow10(shift) : a.coefficient;
  const denominator = shift >= 0 ? b.coefficient : b.coefficient * pow10(-shift);
  return checked({ coefficient: divideRounded(numerator, denominator), scale });
}

export function divideDecimal(a: Decimal, b: Decimal): Decimal {
  if (b.coefficient === 0n) throw divisionByZero();
  return divideDecimalAtScale(a, b, divisionScale(a, b));
}

/** Truncated integer quotient (div(a, b)), scale 0. */
export function divideDecimalTruncated(a: Decimal, b: Decimal): Decimal {
  if (b.coefficient === 0n) throw divisionByZero();
  const scale = Math.max(a.scale, b.scale);
  return { coefficient: rescaleUp(a, scale) / rescaleUp(b, scale), scale: 0 };
}

/** a mod b: the remainder of truncated division, with the dividend's sign and the larger scale. */
export function modDecimal(a: Decimal, b: Decimal): Decimal {
  if (b.coefficient === 0n) throw divisionByZero();
  const scale = Math.max(a.scale, b.scale);
  return { coefficient: rescaleUp(a, scale) % rescaleUp(b, scale), scale };
}

export function compareDecimal(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const x = rescaleUp(a, scale);
  const y = rescaleUp(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function negateDecimal(a: Decimal): Decimal {
  return { coefficient: -a.coefficient, scale: a.scale };
}

export function absDecimal(a: Decimal): Decimal {
  return a.coefficient < 0n ? negateDecimal(a) : a;
}

/** sign(): -1, 0 or 1 with the argument's scale ('-4.20' → '-1.00'? no: PostgreSQL prints '-1'). */
export function signDecimal(a: Decimal): Decimal {
  return { coefficient: a.coefficient < 0n ? -1n : a.coefficient > 0n ? 1n : 0n, scale: 0 };
}

export function ceilDecimal(a: Decimal): Decimal {
  const truncated = a.coefficient / pow10(a.scale);
  const exact = truncated * pow10(a.scale) === a.coefficient;
  return { coefficient: !exact && a.coefficient > 0n ? truncated + 1n : truncated, scale: 0 };
}

export function floorDecimal(a: Decimal): Decimal {
  const truncated = a.coefficient / pow10(a.scale);
  const exact = truncated * pow10(a.scale) === a.coefficient;
  return { coefficient: !exact && a.coefficient < 0n ? truncated - 1n : truncated, scale: 0 };
}

function bigintSqrt(value: bigint): bigint {
  if (value < 2n) return value;
  // Newton's method from an estimate above the root.
  let x = 1n << BigInt(Math.ceil(value.toString(2).length / 2));
  for (;;) {
    const next = (x + value / x) >> 1n;
    if (next >= x) return x;
    x = next;
  }
}

function invalidArgument(message: string): DbError {
  return new DbError('INVALID_ARGUMENT', message);
}

/** sqrt at PostgreSQL's scale: 16 significant digits (from the argument's weight), at least the argument's scale. */
export function sqrtDecimal(a: Decimal): Decimal {
  if (a.coefficient < 0n) throw invalidArgument('cannot take square root of a negative number');
  const { weight } = leadingGroup(a);
  const rootWeight = Math.trunc(((weight + 1) * 4) / 2) - 1;
  const scale = Math.min(Math.max(MIN_SIG_DIGITS - rootWeight, a.scale, 0), MAX_DISPLAY_SCALE);
  // isqrt(a * 10^(2 * (scale + 1))) is the root with one digit more, to round from.
  const radicand = a.coefficient * pow10(2 * (scale + 1) - a.scale);
  const root = bigintSqrt(radicand);
  return { coefficient: divideRounded(root, 10n), scale };
}

// ---------------------------------------------------------------------------------------------
// ln, exp and power on fixed-point bigints (value = x / 10^precision), so results are exact
// to the scale PostgreSQL prints, which float8 (about 16 digits) cannot reach.

function fixedExp(x: bigint, precision: number): bigint {
  const one = pow10(precision);
  // exp(x) = exp(x / 2^k)^(2^k), with x / 2^k small enough that the series converges fast.
  let halvings = 0;
  let reduced = x;
  const limit = one / 100n;
  while (absBig(reduced) > limit) {
    reduced /= 2n;
    halvings++;
  }
  let sum = one;
  let term = one;
  for (let n = 1n; ; n++) {
    term = (term * reduced) / (one * n);
    if (term === 0n) break;
    sum += term;
  }
  for (let i = 0; i < halvings; i++) sum = (sum * sum) / one;
  return sum;
}

/** ln of a positive fixed-point value in [1, 10]: square roots bring it near 1, then atanh's series. */
function fixedLnNearOne(x: bigint, precision: number): bigint {
  const one = pow10(precision);
  let value = x;
  let roots = 0;
  const high = one + one / 100n;
  const low = one - one / 100n;
  while (value > high || value < low) {
    value = bigintSqrt(value * one);
    roots++;
  }
  // ln(z) = 2 atanh((z - 1) / (z + 1)) = 2 (t + t^3/3 + t^5/5 + ...)
  const t = ((value - one) * one) / (value + one);
  const tSquared = (t * t) / one;
  let power = t;
  let sum = 0n;
  for (let n = 1n; ; n += 2n) {
    const term = power / n;
    if (term === 0n) break;
    sum += term;
    power = (power * tSquared) / one;
  }
  return (sum * 2n) << BigInt(roots);
}

/** ln(a) at `precision` fraction digits: ln(m · 10^e) = ln(m) + e · ln(10), with m in [1, 10). */
function fixedLn(a: Decimal, precision: number): bigint {
  const magnitude = a.coefficient;
  const exponent = digitCount(magnitude) - 1 - a.scale;
  // m = a / 10^exponent, as a fixed-point value at `precision` (plus guard digits for the series).
  const guard = 10 + Math.ceil(Math.log10(Math.abs(exponent) + 1));
  const working = precision + guard;
  const shift = working - exponent - a.scale;
  const mantissa = shift >= 0 ? magnitude * pow10(shift) : magnitude / pow10(-shift);
  let result = fixedLnNearOne(mantissa, working);
  if (exponent !== 0) result += BigInt(exponent) * fixedLnNearOne(pow10(working + 1), working);
  return result / pow10(guard);
}

function roundFixed(value: bigint, precision: number, scale: number): Decimal {
  return { coefficient: divideRounded(value, pow10(precision - scale)), scale };
}

/** PostgreSQL's estimate_ln_dweight: the decimal weight of ln(a), which sets ln's result scale. */
function estimateLnWeight(a: Decimal): number {
  const value = Number(fromDecimal(a));
  if (value >= 0.9 && value <= 1.1) {
    const difference = subtractDecimal(a, { coefficient: 1n, scale: 0 });
    if (difference.coefficient === 0n) return 0;
    const { weight, digit } = leadingGroup(difference);
    return weight * 4 + Math.trunc(Math.log10(digit));
  }
  const ln = Number.isFinite(value) && value > 0 ? Math.log(value) : approximateLn(a);
  return Math.trunc(Math.log10(Math.abs(ln)));
}

function approximateLn(a: Decimal): number {
  const digits = absBig(a.coefficient).toString();
  const exponent = digits.length - 1 - a.scale;
  return Math.log(Number(`${digits[0]}.${digits.slice(1, 16)}`)) + exponent * Math.LN10;
}

export function lnDecimal(a: Decimal): Decimal {
  if (a.coefficient === 0n) throw invalidArgument('cannot take logarithm of zero');
  if (a.coefficient < 0n) throw invalidArgument('cannot take logarithm of a negative number');
  const scale = Math.min(Math.max(MIN_SIG_DIGITS - estimateLnWeight(a), a.scale, 0), MAX_DISPLAY_SCALE);
  const precision = scale + 8;
  return roundFixed(fixedLn(a, precision), precision, scale);
}

/** log(base, a) = ln(a) / ln(base), at 16 significant digits. */
export function logDecimal(base: Decimal, a: Decimal): Decimal {
  for (const value of [base, a]) {
    if (value.coefficient === 0n) throw invalidArgument('cannot take logarithm of zero');
    if (value.coefficient < 0n) throw invalidArgument('cannot take logarithm of a negative number');
  }
  const resultWeight = estimateLnWeight(a) - estimateLnWeight(base);
  const scale = Math.min(Math.max(MIN_SIG_DIGITS - resultWeight, base.scale, a.scale, 0), MAX_DISPLAY_SCALE);
  const precision = scale + 20;
  const lnBase = fixedLn(base, precision);
  if (lnBase === 0n) throw divisionByZero();
  const lnValue = fixedLn(a, precision);
  return { coefficient: divideRounded(lnValue * pow10(scale), lnBase), scale };
}

export function expDecimal(a: Decimal): Decimal {
  const approximate = Number(fromDecimal(a));
  if (approximate > 300_000) throw overflow();
  const resultWeight = Math.trunc(
    Math.max(-MAX_DISPLAY_SCALE, Math.min(MAX_DISPLAY_SCALE, approximate * 0.434294481903252)),
  );
  const scale = Math.min(Math.max(MIN_SIG_DIGITS - resultWeight, a.scale, 0), MAX_DISPLAY_SCALE);
  if (approximate < -300_000) return { coefficient: 0n, scale };
  const halvings = Math.ceil(Math.log2(Math.abs(approximate) * 100 + 1));
  const precision = scale + Math.max(resultWeight, 0) + 10 + Math.ceil(halvings * 0.31);
  const x = roundDecimal(a, precision).coefficient;
  return checked(roundFixed(fixedExp(x, precision), precision, scale));
}

function isIntegral(a: Decimal): boolean {
  return a.scale === 0 || a.coefficient % pow10(a.scale) === 0n;
}

/** base ^ exponent (numeric_power). An integral exponent is exact, at scale max(16, base's scale). */
export function powerDecimal(base: Decimal, exponent: Decimal): Decimal {
  if (base.coefficient === 0n && exponent.coefficient < 0n) {
    throw invalidArgument('zero raised to a negative power is undefined');
  }
  if (isIntegral(exponent)) {
    const n = exponent.coefficient / pow10(exponent.scale);
    if (n >= -0x8000_0000n && n <= 0x7fff_ffffn) return powerDecimalInteger(base, Number(n));
  }
  if (base.coefficient < 0n) {
    throw invalidArgument('a negative number raised to a non-integer power yields a complex result');
  }
  if (base.coefficient === 0n) {
    return {
      coefficient: 0n,
      scale: Math.min(Math.max(MIN_SIG_DIGITS, base.scale, exponent.scale), MAX_DISPLAY_SCALE),
    };
  }
  // exp(exponent · ln(base)), the result scale chosen as numeric_exp would for that product.
  const approximateLn = Number(fromDecimal(lnDecimal(base))) * Number(fromDecimal(exponent));
  if (approximateLn > 300_000) throw overflow();
  const resultWeight = Math.trunc(
    Math.max(-MAX_DISPLAY_SCALE, Math.min(MAX_DISPLAY_SCALE, approximateLn * 0.434294481903252)),
  );
  const scale = Math.min(Math.max(MIN_SIG_DIGITS - resultWeight, base.scale, exponent.scale, 0), MAX_DISPLAY_SCALE);
  if (approximateLn < -300_000) return { coefficient: 0n, scale };
  const halvings = Math.ceil(Math.log2(Math.abs(approximateLn) * 100 + 1));
  const precision = scale + Math.max(resultWeight, 0) + 16 + Math.ceil(halvings * 0.31);
  const lnPrecision = precision + digitCount(absBig(exponent.coefficient)) + 4;
  const lnBase = fixedLn(base, lnPrecision);
  // product at lnPrecision + exponent.scale digits, brought back to `precision`.
  const product = (lnBase * exponent.coefficient) / pow10(lnPrecision + exponent.scale - precision);
  return checked(roundFixed(fixedExp(product, precision), precision, scale));
}

function powerDecimalInteger(base: Decimal, n: number): Decimal {
  const scale = Math.min(Math.max(MIN_SIG_DIGITS, base.scale, 0), MAX_DISPLAY_SCALE);
  if (n === 0) return { coefficient: pow10(scale), scale };
  const magnitude = absBig(base.coefficient);
  if (magnitude === 0n) return { coefficient: 0n, scale };
  const log10Base =
    Math.log10(Number(magnitude.toString().slice(0, 17))) +
    (digitCount(magnitude) - Math.min(17, digitCount(magnitude))) -
    base.scale;
  const resultLog10 = log10Base * n;
  if (resultLog10 > MAX_INTEGER_DIGITS) throw overflow();
  if (resultLog10 < -(scale + 2)) return { coefficient: 0n, scale };
  const absoluteN = Math.abs(n);
  if (absoluteN * (digitCount(magnitude) + 1) > 200_000) throw overflow();
  const power: Decimal = { coefficient: base.coefficient ** BigInt(absoluteN), scale: base.scale * absoluteN };
  if (n > 0) return checked(roundDecimal(power, scale));
  return divideDecimalAtScale({ coefficient: 1n, scale: 0 }, power, scale);
}

// ---------------------------------------------------------------------------------------------
// Conversions

const INT_LIMITS = {
  int2: { min: -0x8000n, max: 0x7fffn, label: 'smallint' },
  int4: { min: -0x8000_0000n, max: 0x7fff_ffffn, label: 'integer' },
  int8: { min: -(1n << 63n), max: (1n << 63n) - 1n, label: 'bigint' },
} as const;

/** numeric → int2/int4/int8: rounds half away from zero; throws 22003 '<type> out of range'. */
export function decimalToInteger(a: Decimal, type: 'int2' | 'int4' | 'int8'): bigint {
  const rounded = a.scale === 0 ? a.coefficient : divideRounded(a.coefficient, pow10(a.scale));
  const limits = INT_LIMITS[type];
  if (rounded < limits.min || rounded > limits.max) {
    throw new DbError('VALUE_OUT_OF_RANGE', `${limits.label} out of range`);
  }
  return rounded;
}

export function integerToNumeric(value: number | bigint): string {
  return typeof value === 'bigint' ? value.toString() : String(value === 0 ? 0 : value);
}

/** numeric → float8: the nearest double (JS parsing rounds correctly); overflow is 22003. */
export function numericToFloat8(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value)) throw new DbError('VALUE_OUT_OF_RANGE', 'value out of range: overflow');
  return value;
}

/**
 * float → numeric as PostgreSQL does it: print with DBL_DIG (15) or FLT_DIG (6) significant
 * digits ('%.15g'), then read that text, so 0.1::float8::numeric is 0.1, not the binary value.
 */
export function floatToNumeric(value: number, significantDigits: 15 | 6): string {
  if (Number.isNaN(value)) throw new DbError('FEATURE_NOT_SUPPORTED', 'cannot convert NaN to numeric');
  if (!Number.isFinite(value)) throw new DbError('FEATURE_NOT_SUPPORTED', 'cannot convert infinity to numeric');
  if (value === 0) return '0';
  const [mantissa, exponentText] = value.toExponential(significantDigits - 1).split('e');
  // %g drops trailing zeros of the fraction.
  let digits = mantissa.replace('.', '');
  const negative = digits.startsWith('-');
  if (negative) digits = digits.slice(1);
  let end = digits.length;
  while (end > 1 && digits.charCodeAt(end - 1) === 0x30) end--;
  digits = digits.slice(0, end);
  const exponent = Number(exponentText);
  // value = d.ddd × 10^exponent = digits × 10^(exponent - (digits.length - 1))
  const scale = digits.length - 1 - exponent;
  const coefficient = BigInt(digits) * (scale < 0 ? pow10(-scale) : 1n);
  return fromDecimal({ coefficient: negative ? -coefficient : coefficient, scale: Math.max(scale, 0) });
}

// ---------------------------------------------------------------------------------------------
// String-level API, for the operators and functions

type Binary = (a: string, b: string) => string;

function lift(operation: (a: Decimal, b: Decimal) => Decimal): Binary {
  return (a, b) => fromDecimal(operation(toDecimal(a), toDecimal(b)));
}

export const numericAdd: Binary = lift(addDecimal);
export const numericSubtract: Binary = lift(subtractDecimal);
export const numericMultiply: Binary = lift(multiplyDecimal);
export const numericDivide: Binary = lift(divideDecimal);
export const numericMod: Binary = lift(modDecimal);
export const numericPower: Binary = lift(powerDecimal);

export function numericCompare(a: string, b: string): number {
  return compareDecimal(toDecimal(a), toDecimal(b));
}

export function numericNegate(a: string): string {
  if (a === '0' || a.charCodeAt(0) === 0x2d) return a === '0' ? a : a.slice(1);
  // A zero with a scale ('0.00') has no sign either.
  return /^0(\.0*)?$/.test(a) ? a : `-${a}`;
}

export function numericAbs(a: string): string {
  return a.charCodeAt(0) === 0x2d ? a.slice(1) : a;
}

export function numericRound(a: string, scale = 0): string {
  return fromDecimal(roundDecimal(toDecimal(a), scale));
}

export function numericTrunc(a: string, scale = 0): string {
  return fromDecimal(truncateDecimal(toDecimal(a), scale));
}

export function numericSqrt(a: string): string {
  return fromDecimal(sqrtDecimal(toDecimal(a)));
}

export function numericIsZero(a: string): boolean {
  return toDecimal(a).coefficient === 0n;
}
