// The interval type: months, days and microseconds kept apart (a month is not a fixed number
// of days, nor a day of hours across DST), with PostgreSQL's text forms and arithmetic.
import { DbError } from '../../errors.js';
import { formatFraction } from './datetime.js';

export interface Interval {
  readonly months: number;
  readonly days: number;
  readonly micros: bigint;
}

export function makeInterval(months: number, days: number, micros: bigint): Interval {
  return { months: months === 0 ? 0 : months, days: days === 0 ? 0 : days, micros };
}

export function isInterval(value: unknown): value is Interval {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    typeof (value as Interval).micros === 'bigint'
  );
}

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const MICROS_PER_DAY = 86_400_000_000n;
const DAYS_PER_MONTH = 30;
const SECONDS_PER_DAY = 86_400;

function intervalOutOfRange(): DbError {
  return new DbError('DATETIME_OUT_OF_RANGE', 'interval out of range');
}

/** Checks the fields fit PostgreSQL's int32/int32/int64 and returns the interval. */
export function checkedInterval(months: number, days: number, micros: bigint): Interval {
  if (
    !Number.isInteger(months) ||
    !Number.isInteger(days) ||
    months < INT32_MIN ||
    months > INT32_MAX ||
    days < INT32_MIN ||
    days > INT32_MAX ||
    micros < INT64_MIN ||
    micros > INT64_MAX
  ) {
    throw intervalOutOfRange();
  }
  return makeInterval(months, days, micros);
}

/** The 128-bit sort key PostgreSQL compares intervals by: a month is 30 days, a day 24 hours. */
export function intervalSortKey(interval: Interval): bigint {
  return (BigInt(interval.months) * 30n + BigInt(interval.days)) * MICROS_PER_DAY + interval.micros;
}

export function compareIntervals(a: Interval, b: Interval): number {
  const ka = intervalSortKey(a);
  const kb = intervalSortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function addIntervals(a: Interval, b: Interval): Interval {
  return checkedInterval(a.months + b.months, a.days + b.days, a.micros + b.micros);
}

export function subtractIntervals(a: Interval, b: Interval): Interval {
  return checkedInterval(a.months - b.months, a.days - b.days, a.micros - b.micros);
}

export function negateInterval(a: Interval): Interval {
  return checkedInterval(-a.months, -a.days, -a.micros);
}

/** PostgreSQL's TSROUND: rounds to 6 fractional digits to hide float noise in whole numbers. */
function tsRound(value: number): number {
  return roundHalfEven(value * 1e6) / 1e6;
}

export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const difference = value - floor;
  if (difference < 0.5) return floor;
  if (difference > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

function fitsInt32(value: number): boolean {
  return !Number.isNaN(value) && value >= INT32_MIN && value < INT32_MAX + 1;
}

/** interval_mul: fractional months cascade into days, fractional days into time (never upward). */
export function multiplyInterval(span: Interval, factor: number): Interval {
  const monthProduct = span.months * factor;
  const dayProduct = span.days * factor;
  if (!fitsInt32(monthProduct) || !fitsInt32(dayProduct)) throw intervalOutOfRange();
  let months = Math.trunc(monthProduct);
  let days = Math.trunc(dayProduct);
  const monthRemainderDays = tsRound((monthProduct - months) * DAYS_PER_MONTH);
  let secondRemainder = tsRound(
    (dayProduct - days + monthRemainderDays - Math.trunc(monthRemainderDays)) * SECONDS_PER_DAY,
  );
  if (Math.abs(secondRemainder) >= SECONDS_PER_DAY) {
    days += Math.trunc(secondRemainder / SECONDS_PER_DAY);
    secondRemainder -= Math.trunc(secondRemainder / SECONDS_PER_DAY) * SECONDS_PER_DAY;
  }
  days += Math.trunc(monthRemainderDays);
  const time = roundHalfEven(Number(span.micros) * factor + secondRemainder * 1e6);
  if (!Number.isFinite(time) || time < -9.223372036854776e18 || time >= 9.223372036854776e18) {
    throw intervalOutOfRange();
  }
  months = months === 0 ? 0 : months;
  return checkedInterval(months, days, BigInt(time));
}

/** interval_div: as interval_mul by 1/factor, but divides each field so whole results stay exact. */
export function divideInterval(span: Interval, factor: number): Interval {
  if (factor === 0) throw new DbError('DIVISION_BY_ZERO', 'division by zero');
  const monthQuotient = span.months / factor;
  const dayQuotient = span.days / factor;
  if (!fitsInt32(monthQuotient) || !fitsInt32(dayQuotient)) throw intervalOutOfRange();
  const months = Math.trunc(monthQuotient);
  let days = Math.trunc(dayQuotient);
  const monthRemainderDays = tsRound((span.months / factor - months) * DAYS_PER_MONTH);
  let secondRemainder = tsRound(
    (span.days / factor - days + monthRemainderDays - Math.trunc(monthRemainderDays)) * SECONDS_PER_DAY,
  );
  if (Math.abs(secondRemainder) >= SECONDS_PER_DAY) {
    days += Math.trunc(secondRemainder / SECONDS_PER_DAY);
    secondRemainder -= Math.trunc(secondRemainder / SECONDS_PER_DAY) * SECONDS_PER_DAY;
  }
  days += Math.trunc(monthRemainderDays);
  const time = roundHalfEven(Number(span.micros) / factor + secondRemainder * 1e6);
  if (!Number.isFinite(time) || time < -9.223372036854776e18 || time >= 9.223372036854776e18) {
    throw intervalOutOfRange();
  }
  return checkedInterval(months, days, BigInt(time));
}

/** justify_hours: whole days out of the time part, signs made to agree. */
export function justifyHours(span: Interval): Interval {
  let days = span.days + Number(span.micros / MICROS_PER_DAY);
  let micros = span.micros % MICROS_PER_DAY;
  if (days > 0 && micros < 0n) {
    micros += MICROS_PER_DAY;
    days--;
  } else if (days < 0 && micros > 0n) {
    micros -= MICROS_PER_DAY;
    days++;
  }
  return checkedInterval(span.months, days, micros);
}

/** justify_days: whole 30-day months out of the days, signs made to agree. */
export function justifyDays(span: Interval): Interval {
  let months = span.months + Math.trunc(span.days / DAYS_PER_MONTH);
  let days = span.days % DAYS_PER_MONTH;
  if (months > 0 && days < 0) {
    days += DAYS_PER_MONTH;
    months--;
  } else if (months < 0 && days > 0) {
    days -= DAYS_PER_MONTH;
    months++;
  }
  return checkedInterval(months, days, span.micros);
}

// ---------------------------------------------------------------------------------------------
// Output: IntervalStyle 'postgres'

function addPart(parts: string[], value: number, unit: string, state: { isBefore: boolean }): void {
  if (value === 0) return;
  // PostgreSQL's AddPostgresIntPart: a positive field after a negative one gets an explicit '+'.
  const sign = state.isBefore && value > 0 ? '+' : '';
  parts.push(`${sign}${value} ${unit}${value !== 1 ? 's' : ''}`);
  state.isBefore = value < 0;
}

function pad2(value: bigint): string {
  return value < 10n ? `0${value}` : `${value}`;
}

export function formatInterval(span: Interval): string {
  const parts: string[] = [];
  const state = { isBefore: false };
  const years = Math.trunc(span.months / 12);
  const months = span.months - years * 12;
  addPart(parts, years, 'year', state);
  addPart(parts, months, 'mon', state);
  addPart(parts, span.days, 'day', state);
  if (parts.length === 0 || span.micros !== 0n) {
    const negative = span.micros < 0n;
    const magnitude = negative ? -span.micros : span.micros;
    const totalSeconds = magnitude / 1_000_000n;
    const fraction = Number(magnitude % 1_000_000n);
    const hours = totalSeconds / 3600n;
    const minutes = (totalSeconds / 60n) % 60n;
    const seconds = totalSeconds % 60n;
    const sign = negative ? '-' : state.isBefore ? '+' : '';
    parts.push(`${sign}${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}${formatFraction(fraction)}`);
  }
  return parts.join(' ');
}

// ---------------------------------------------------------------------------------------------
// Input

type Unit = 'microsecond' | 'millisecond' | 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

const UNITS: ReadonlyMap<string, { unit: Unit; multiple: number }> = new Map(
  (
    [
      [['microsecond', 'microseconds', 'us', 'usec', 'usecs', 'microsecon'], 'microsecond', 1],
      [['millisecond', 'milliseconds', 'ms', 'msec', 'msecs', 'millisecon'], 'millisecond', 1],
      [['second', 'seconds', 's', 'sec', 'secs'], 'second', 1],
      [['minute', 'minutes', 'm', 'min', 'mins'], 'minute', 1],
      [['hour', 'hours', 'h', 'hr', 'hrs'], 'hour', 1],
      [['day', 'days', 'd'], 'day', 1],
      [['week', 'weeks', 'w'], 'week', 1],
      [['month', 'months', 'mon', 'mons'], 'month', 1],
      [['year', 'years', 'y', 'yr', 'yrs'], 'year', 1],
      [['decade', 'decades', 'dec', 'decs'], 'year', 10],
      [['century', 'centuries', 'c', 'cent'], 'year', 100],
      [['millennium', 'millennia', 'mil', 'mils', 'millenniums'], 'year', 1000],
    ] as const
  ).flatMap(([names, unit, multiple]) => names.map((name) => [name, { unit, multiple }] as const)),
);

class IntervalBuilder {
  months = 0;
  days = 0;
  /** Time from unit fields ('1.5 hours'), which may be fractional. */
  micros = 0;
  /** Time from 'HH:MM:SS' fields, kept exact. */
  exactMicros = 0n;

  /** Adds `amount` of a unit, cascading a fraction down (1.5 months = 1 month 15 days), as PostgreSQL does. */
  add(amount: number, unit: Unit): void {
    switch (unit) {
      case 'microsecond':
        this.micros += amount;
        return;
      case 'millisecond':
        this.micros += amount * 1000;
        return;
      case 'second':
        this.micros += amount * 1e6;
        return;
      case 'minute':
        this.micros += amount * 60e6;
        return;
      case 'hour':
        this.micros += amount * 3600e6;
        return;
      case 'week':
        this.addDays(amount * 7);
        return;
      case 'day':
        this.addDays(amount);
        return;
      case 'month':
        this.addMonths(amount);
        return;
      case 'year':
        // Whole months of a fractional year: 1.5 years = 1 year 6 months (rounded, as PostgreSQL's
        // AdjustFractYears does), without cascading further.
        this.months += Math.trunc(amount) * 12 + Math.round((amount - Math.trunc(amount)) * 12);
        return;
    }
  }

  private addDays(amount: number): void {
    const whole = Math.trunc(amount);
    this.days += whole;
    this.micros += (amount - whole) * 86_400e6;
  }

  private addMonths(amount: number): void {
    const whole = Math.trunc(amount);
    this.months += whole;
    this.addDays((amount - whole) * DAYS_PER_MONTH);
  }
}

function intervalSyntaxError(text: string): DbError {
  return new DbError('INVALID_DATETIME_FORMAT', `invalid input syntax for type interval: "${text}"`);
}

/** Microseconds of fraction digits ('5' → 500000n), half to even past six digits. */
function fractionToMicros(digits: string): bigint {
  if (digits.length <= 6) return BigInt(digits.padEnd(6, '0'));
  const whole = BigInt(digits.slice(0, 6));
  const rest = digits.slice(6);
  const half = '5'.padEnd(rest.length, '0');
  const roundUp = rest > half || (rest === half && whole % 2n === 1n);
  return roundUp ? whole + 1n : whole;
}

/** '[-]HH:MM[:SS[.ffffff]]' or 'MM:SS.fff' → exact µs, or undefined when not a time. */
function parseIntervalTime(token: string): bigint | undefined {
  let negative = false;
  let body = token;
  if (body[0] === '-' || body[0] === '+') {
    negative = body[0] === '-';
    body = body.slice(1);
  }
  const parts = body.split(':');
  if (parts.length < 2 || parts.length > 3) return undefined;
  const last = parts[parts.length - 1];
  const [secondsText, fractionText] = last.split('.');
  const numbers = [...parts.slice(0, -1), secondsText];
  if (!numbers.every((part) => /^\d+$/.test(part))) return undefined;
  if (fractionText !== undefined && !/^\d*$/.test(fractionText)) return undefined;
  const fraction = fractionText === undefined ? 0n : fractionToMicros(fractionText);
  let micros: bigint;
  if (parts.length === 3) {
    micros = (BigInt(parts[0]) * 3600n + BigInt(parts[1]) * 60n + BigInt(secondsText)) * 1_000_000n + fraction;
  } else if (fractionText !== undefined) {
    // 'MM:SS.fff' when a fraction is present, else 'HH:MM'.
    micros = (BigInt(parts[0]) * 60n + BigInt(secondsText)) * 1_000_000n + fraction;
  } else {
    micros = (BigInt(parts[0]) * 3600n + BigInt(secondsText) * 60n) * 1_000_000n;
  }
  return negative ? -micros : micros;
}

const ISO_DATE_UNITS: Record<string, Unit> = { Y: 'year', M: 'month', W: 'week', D: 'day' };
const ISO_TIME_UNITS: Record<string, Unit> = { H: 'hour', M: 'minute', S: 'second' };

function parseIsoInterval(text: string, builder: IntervalBuilder): boolean {
  // 'P1Y2M3DT4H5M6.5S' (ISO 8601 with designators).
  if (!/^P(\d+(\.\d+)?[YMWD])*(T(\d+(\.\d+)?[HMS])+)?$/i.test(text) || text.length < 2) return false;
  let inTime = false;
  const re = /(-?\d+(?:\.\d+)?)([A-Za-z])|T/gi;
  for (const match of text.slice(1).matchAll(re)) {
    if (match[0].toUpperCase() === 'T') {
      inTime = true;
      continue;
    }
    const unit = (inTime ? ISO_TIME_UNITS : ISO_DATE_UNITS)[match[2].toUpperCase()];
    if (unit === undefined) return false;
    builder.add(Number(match[1]), unit);
  }
  return true;
}

/** interval_in for the postgres and ISO 8601 forms: '1 day 02:03:04', '2 hours 30 minutes', '@ 1 day ago', 'P1D'. */
export function parseInterval(text: string): Interval {
  const trimmed = text.trim();
  const builder = new IntervalBuilder();
  if (trimmed.length === 0) throw intervalSyntaxError(text);
  if (trimmed[0] === 'P' || trimmed[0] === 'p') {
    if (!parseIsoInterval(trimmed, builder)) throw intervalSyntaxError(text);
    return finish(builder, false, text);
  }
  const tokens = trimmed
    .toLowerCase()
    .split(/\s+/)
    .flatMap((token) => {
      // '2hours' or '10d': split the number from its unit.
      const match = /^([+-]?\d*\.?\d+)([a-z]+)$/.exec(token);
      return match === null ? [token] : [match[1], match[2]];
    });
  let ago = false;
  let sawSomething = false;
  let i = 0;
  if (tokens[0] === '@') i++;
  for (; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === 'ago') {
      if (i !== tokens.length - 1) throw intervalSyntaxError(text);
      ago = true;
      continue;
    }
    if (token.includes(':')) {
      const micros = parseIntervalTime(token);
      if (micros === undefined) throw intervalSyntaxError(text);
      builder.exactMicros += micros;
      sawSomething = true;
      continue;
    }
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(token)) throw intervalSyntaxError(text);
    const amount = Number(token);
    const next = tokens[i + 1];
    const unit = next === undefined ? undefined : UNITS.get(next);
    if (unit === undefined) {
      // A bare number is seconds, and only as the last field.
      if (next !== undefined && next !== 'ago') throw intervalSyntaxError(text);
      builder.add(amount, 'second');
    } else {
      builder.add(amount * unit.multiple, unit.unit);
      i++;
    }
    sawSomething = true;
  }
  if (!sawSomething) throw intervalSyntaxError(text);
  return finish(builder, ago, text);
}

function finish(builder: IntervalBuilder, ago: boolean, text: string): Interval {
  const sign = ago ? -1 : 1;
  const micros = Math.round(builder.micros);
  if (!Number.isFinite(micros) || Math.abs(micros) > 9.2e18) {
    throw new DbError('DATETIME_OUT_OF_RANGE', `interval field value out of range: "${text}"`);
  }
  try {
    return checkedInterval(
      sign * builder.months,
      sign * builder.days,
      BigInt(sign) * (BigInt(micros) + builder.exactMicros),
    );
  } catch {
    throw new DbError('DATETIME_OUT_OF_RANGE', `interval field value out of range: "${text}"`);
  }
}
