// date_part / extract, date_trunc and make_date: the field arithmetic on dates, timestamps
// and intervals behind PostgreSQL's date/time functions. Timestamptz fields are taken in the
// session time zone.
import { DbError } from '../../errors.js';
import type { EvalContext } from './context.js';
import {
  MICROS_PER_DAY,
  checkTimestamp,
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  isFiniteDate,
  isFiniteTimestamp,
  joinTimestamp,
  splitTimestamp,
} from './datetime.js';
import type { Interval } from './interval.js';
import { checkedInterval } from './interval.js';
import type { Decimal } from './numeric.js';
import { addDecimal, divideDecimal, fromDecimal } from './numeric.js';
import { localToUtc, utcToLocal, zoneOffsetSeconds } from './time-zone.js';

export type DateTimeKind = 'date' | 'timestamp' | 'timestamptz';

const UNIT_ALIASES: Readonly<Record<string, string>> = {
  microsecond: 'microseconds',
  microseconds: 'microseconds',
  us: 'microseconds',
  usec: 'microseconds',
  usecs: 'microseconds',
  millisecond: 'milliseconds',
  milliseconds: 'milliseconds',
  ms: 'milliseconds',
  msec: 'milliseconds',
  msecs: 'milliseconds',
  second: 'second',
  seconds: 'second',
  s: 'second',
  sec: 'second',
  secs: 'second',
  minute: 'minute',
  minutes: 'minute',
  m: 'minute',
  min: 'minute',
  mins: 'minute',
  hour: 'hour',
  hours: 'hour',
  h: 'hour',
  hr: 'hour',
  hrs: 'hour',
  day: 'day',
  days: 'day',
  d: 'day',
  week: 'week',
  weeks: 'week',
  w: 'week',
  month: 'month',
  months: 'month',
  mon: 'month',
  mons: 'month',
  quarter: 'quarter',
  qtr: 'quarter',
  year: 'year',
  years: 'year',
  y: 'year',
  yr: 'year',
  yrs: 'year',
  decade: 'decade',
  decades: 'decade',
  century: 'century',
  centuries: 'century',
  millennium: 'millennium',
  millennia: 'millennium',
  dow: 'dow',
  isodow: 'isodow',
  doy: 'doy',
  epoch: 'epoch',
  isoyear: 'isoyear',
  julian: 'julian',
  timezone: 'timezone',
  timezone_hour: 'timezone_hour',
  timezone_minute: 'timezone_minute',
};

function unitOf(field: string, typeLabel: string): string {
  const unit = UNIT_ALIASES[field.toLowerCase()];
  if (unit === undefined) {
    throw new DbError('INVALID_ARGUMENT', `unit "${field.toLowerCase()}" not recognized for type ${typeLabel}`);
  }
  return unit;
}

function unsupported(unit: string, typeLabel: string): DbError {
  return new DbError('FEATURE_NOT_SUPPORTED', `unit "${unit}" not supported for type ${typeLabel}`);
}

const LABEL: Record<DateTimeKind | 'interval', string> = {
  date: 'date',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
  interval: 'interval',
};

function integer(value: number | bigint): Decimal {
  return { coefficient: BigInt(value), scale: 0 };
}

/** ISO 8601 week number and week-numbering year of a day. */
function isoWeek(days: number): { week: number; year: number } {
  const dayOfWeek = (((days + 3) % 7) + 7) % 7; // Monday = 0
  const thursday = days - dayOfWeek + 3;
  const year = civilFromDays(thursday).year;
  const week = Math.floor((thursday - daysFromCivil(year, 1, 1)) / 7) + 1;
  return { week, year };
}

function decade(year: number): number {
  return year >= 0 ? Math.floor(year / 10) : -Math.floor((8 - (year - 1)) / 10);
}

function century(year: number): number {
  return year > 0 ? Math.floor((year + 99) / 100) : -Math.floor((99 - (year - 1)) / 100);
}

function millennium(year: number): number {
  return year > 0 ? Math.floor((year + 999) / 1000) : -Math.floor((999 - (year - 1)) / 1000);
}

/** extract(field from value): the exact numeric PostgreSQL 15 returns. */
export function extractField(field: string, kind: DateTimeKind, value: number | bigint, ctx: EvalContext): string {
  const unit = unitOf(field, LABEL[kind]);
  return fromDecimal(extractDecimal(unit, kind, value, ctx));
}

function extractDecimal(unit: string, kind: DateTimeKind, value: number | bigint, ctx: EvalContext): Decimal {
  const label = LABEL[kind];
  if (kind === 'date' ? !isFiniteDate(value as number) : !isFiniteTimestamp(value as bigint)) {
    throw new DbError('FEATURE_NOT_SUPPORTED', `extracting fields of infinite values is not supported`);
  }
  let localMicros: bigint;
  let offsetSeconds = 0;
  if (kind === 'date') localMicros = BigInt(value) * MICROS_PER_DAY;
  else if (kind === 'timestamp') localMicros = value as bigint;
  else {
    offsetSeconds = zoneOffsetSeconds(ctx.timeZone, value as bigint);
    localMicros = utcToLocal(ctx.timeZone, value as bigint);
  }
  const { days, timeMicros } = splitTimestamp(localMicros);
  const civil = civilFromDays(days);
  const secondMicros = timeMicros % 60_000_000;
  const timeUnits = [
    'microseconds',
    'milliseconds',
    'second',
    'minute',
    'hour',
    'timezone',
    'timezone_hour',
    'timezone_minute',
  ];
  if (kind === 'date' && timeUnits.includes(unit)) throw unsupported(unit, label);
  if (kind !== 'timestamptz' && unit.startsWith('timezone')) throw unsupported(unit, label);
  const yearSigned = civil.year > 0 ? civil.year : civil.year - 1; // 1 BC is year -1
  switch (unit) {
    case 'microseconds':
      return integer(secondMicros);
    case 'milliseconds':
      return { coefficient: BigInt(secondMicros), scale: 3 };
    case 'second':
      return { coefficient: BigInt(secondMicros), scale: 6 };
    case 'minute':
      return integer(Math.floor(timeMicros / 60_000_000) % 60);
    case 'hour':
      return integer(Math.floor(timeMicros / 3_600_000_000));
    case 'day':
      return integer(civil.day);
    case 'month':
      return integer(civil.month);
    case 'quarter':
      return integer(Math.floor((civil.month - 1) / 3) + 1);
    case 'year':
      return integer(yearSigned);
    case 'decade':
      return integer(decade(yearSigned > 0 ? yearSigned : yearSigned + 1));
    case 'century':
      return integer(century(yearSigned > 0 ? yearSigned : yearSigned + 1));
    case 'millennium':
      return integer(millennium(yearSigned > 0 ? yearSigned : yearSigned + 1));
    case 'week':
      return integer(isoWeek(days).week);
    case 'isoyear': {
      const year = isoWeek(days).year;
      return integer(year > 0 ? year : year - 1);
    }
    case 'dow':
      return integer((((days + 4) % 7) + 7) % 7);
    case 'isodow':
      return integer(((((days + 3) % 7) + 7) % 7) + 1);
    case 'doy':
      return integer(days - daysFromCivil(civil.year, 1, 1) + 1);
    case 'julian': {
      const julianDay = BigInt(days + 2_440_588);
      if (kind === 'date') return integer(julianDay);
      // The Julian day plus the day's fraction, divided as numeric division would (its scale rule).
      const fraction = divideDecimal(integer(timeMicros), integer(MICROS_PER_DAY));
      return addDecimal(integer(julianDay), fraction);
    }
    case 'epoch': {
      if (kind === 'date') return integer(BigInt(days) * 86_400n);
      const utc = kind === 'timestamptz' ? (value as bigint) : localMicros;
      return { coefficient: utc, scale: 6 };
    }
    case 'timezone':
      return integer(offsetSeconds);
    case 'timezone_hour':
      return integer(Math.trunc(offsetSeconds / 3600));
    case 'timezone_minute':
      return integer(Math.trunc((offsetSeconds % 3600) / 60));
    default:
      throw unsupported(unit, label);
  }
}

/** extract(field from interval). */
export function extractIntervalField(field: string, span: Interval): string {
  const unit = unitOf(field, 'interval');
  const years = Math.trunc(span.months / 12);
  const seconds = span.micros % 60_000_000n;
  switch (unit) {
    case 'microseconds':
      return String(seconds);
    case 'milliseconds':
      return fromDecimal({ coefficient: seconds, scale: 3 });
    case 'second':
      return fromDecimal({ coefficient: seconds, scale: 6 });
    case 'minute':
      return String((span.micros / 60_000_000n) % 60n);
    case 'hour':
      return String(span.micros / 3_600_000_000n);
    case 'day':
      return String(span.days);
    case 'month':
      return String(span.months % 12 === 0 ? 0 : span.months % 12);
    case 'quarter':
      return String(Math.trunc((span.months % 12) / 3) + (span.months >= 0 ? 1 : -1));
    case 'year':
      return String(years);
    case 'decade':
      return String(Math.trunc(years / 10));
    case 'century':
      return String(Math.trunc(years / 100));
    case 'millennium':
      return String(Math.trunc(years / 1000));
    case 'epoch': {
      // A year counts 365.25 days, a month 30 (PostgreSQL's DAYS_PER_YEAR and DAYS_PER_MONTH).
      const daySeconds =
        BigInt(years) * 31_557_600n + BigInt(30 * (span.months % 12)) * 86_400n + BigInt(span.days) * 86_400n;
      return fromDecimal({ coefficient: daySeconds * 1_000_000n + span.micros, scale: 6 });
    }
    default:
      throw unsupported(unit, 'interval');
  }
}

const TRUNC_UNITS = new Set([
  'microseconds',
  'milliseconds',
  'second',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'quarter',
  'year',
  'decade',
  'century',
  'millennium',
]);

function truncateLocal(unit: string, localMicros: bigint): bigint {
  const { days, timeMicros } = splitTimestamp(localMicros);
  const civil = civilFromDays(days);
  const firstOfYear = (year: number): number => daysFromCivil(year, 1, 1);
  switch (unit) {
    case 'microseconds':
      return localMicros;
    case 'milliseconds':
      return joinTimestamp(days, timeMicros - (timeMicros % 1000));
    case 'second':
      return joinTimestamp(days, timeMicros - (timeMicros % 1_000_000));
    case 'minute':
      return joinTimestamp(days, timeMicros - (timeMicros % 60_000_000));
    case 'hour':
      return joinTimestamp(days, timeMicros - (timeMicros % 3_600_000_000));
    case 'day':
      return joinTimestamp(days, 0);
    case 'week':
      return joinTimestamp(days - ((((days + 3) % 7) + 7) % 7), 0);
    case 'month':
      return joinTimestamp(daysFromCivil(civil.year, civil.month, 1), 0);
    case 'quarter':
      return joinTimestamp(daysFromCivil(civil.year, Math.floor((civil.month - 1) / 3) * 3 + 1, 1), 0);
    case 'year':
      return joinTimestamp(firstOfYear(civil.year), 0);
    case 'decade':
      return joinTimestamp(
        firstOfYear(civil.year > 0 ? Math.floor(civil.year / 10) * 10 : -Math.floor((8 - civil.year) / 10) * 10 - 0),
        0,
      );
    case 'century':
      return joinTimestamp(
        firstOfYear(
          civil.year > 0
            ? Math.floor((civil.year - 1) / 100) * 100 + 1
            : -Math.floor((99 - civil.year) / 100) * 100 + 1,
        ),
        0,
      );
    case 'millennium':
      return joinTimestamp(
        firstOfYear(
          civil.year > 0
            ? Math.floor((civil.year - 1) / 1000) * 1000 + 1
            : -Math.floor((999 - civil.year) / 1000) * 1000 + 1,
        ),
        0,
      );
    default:
      return localMicros;
  }
}

/** date_trunc(field, timestamp[tz]): a timestamptz truncates in the session zone and maps back to UTC. */
export function truncateTimestamp(
  field: string,
  kind: 'timestamp' | 'timestamptz',
  micros: bigint,
  ctx: EvalContext,
): bigint {
  const unit = unitOf(field, LABEL[kind]);
  if (!TRUNC_UNITS.has(unit)) throw unsupported(unit, LABEL[kind]);
  if (!isFiniteTimestamp(micros)) return micros;
  if (kind === 'timestamp') return checkTimestamp(truncateLocal(unit, micros));
  const local = truncateLocal(unit, utcToLocal(ctx.timeZone, micros));
  return checkTimestamp(localToUtc(ctx.timeZone, local));
}

/** date_trunc(field, interval). */
export function truncateInterval(field: string, span: Interval): Interval {
  const unit = unitOf(field, 'interval');
  if (unit === 'week' || !TRUNC_UNITS.has(unit)) throw unsupported(unit, 'interval');
  const keepTime = (modulus: bigint): bigint => span.micros - (span.micros % modulus);
  switch (unit) {
    case 'microseconds':
      return span;
    case 'milliseconds':
      return checkedInterval(span.months, span.days, keepTime(1000n));
    case 'second':
      return checkedInterval(span.months, span.days, keepTime(1_000_000n));
    case 'minute':
      return checkedInterval(span.months, span.days, keepTime(60_000_000n));
    case 'hour':
      return checkedInterval(span.months, span.days, keepTime(3_600_000_000n));
    case 'day':
      return checkedInterval(span.months, span.days, 0n);
    case 'month':
      return checkedInterval(span.months, 0, 0n);
    case 'quarter':
      return checkedInterval(span.months - (span.months % 3), 0, 0n);
    case 'year':
      return checkedInterval(span.months - (span.months % 12), 0, 0n);
    case 'decade':
      return checkedInterval(span.months - (span.months % 120), 0, 0n);
    case 'century':
      return checkedInterval(span.months - (span.months % 1200), 0, 0n);
    default:
      return checkedInterval(span.months - (span.months % 12000), 0, 0n);
  }
}

/** make_date(year, month, day); a negative year is BC. */
export function makeDate(year: number, month: number, day: number): number {
  const astronomical = year < 0 ? year + 1 : year;
  if (year === 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(astronomical, month)) {
    throw new DbError('DATETIME_OUT_OF_RANGE', `date field value out of range: ${year}-${pad2(month)}-${pad2(day)}`);
  }
  return daysFromCivil(astronomical, month, day);
}

function pad2(value: number): string {
  return value >= 0 && value < 10 ? `0${value}` : String(value);
}
