// Dates and timestamps: the proleptic Gregorian calendar arithmetic, text input (the forms
// PostgreSQL's datetime parser accepts most often) and output in DateStyle ISO. Values are the
// storage engine's: date = days since 1970-01-01, timestamp = µs since 1970-01-01 00:00 (a
// timestamptz is the UTC instant, shown in the session zone).
import { DbError } from '../../errors.js';
import type { EvalContext } from './context.js';
import { localToUtc, utcToLocal, zoneOffsetSeconds } from './time-zone.js';

export const MICROS_PER_SECOND = 1_000_000n;
export const MICROS_PER_MINUTE = 60_000_000n;
export const MICROS_PER_HOUR = 3_600_000_000n;
export const MICROS_PER_DAY = 86_400_000_000n;
const MICROS_PER_DAY_NUMBER = 86_400_000_000;

// PostgreSQL's sentinels for 'infinity' and '-infinity' (DATEVAL_NOBEGIN/NOEND, DT_NOBEGIN/NOEND).
export const DATE_NEG_INFINITY = -0x8000_0000;
export const DATE_POS_INFINITY = 0x7fff_ffff;
export const TIMESTAMP_NEG_INFINITY = -(1n << 63n);
export const TIMESTAMP_POS_INFINITY = (1n << 63n) - 1n;

// Julian day 0 (4714-11-24 BC) is the first valid date; the days since 1970 of PostgreSQL's limits.
const UNIX_EPOCH_JULIAN = 2_440_588;
export const DATE_MIN_DAYS = -UNIX_EPOCH_JULIAN;
/** The first date past the end: 5874898-01-01 (DATETIME_MAX_JULIAN is exclusive). */
export const DATE_END_DAYS = 2_147_483_494 - UNIX_EPOCH_JULIAN;
export const TIMESTAMP_MIN = BigInt(DATE_MIN_DAYS) * MICROS_PER_DAY;
/** 294277-01-01 00:00:00, the first timestamp past the end. */
export const TIMESTAMP_END = BigInt(109_203_528 - UNIX_EPOCH_JULIAN) * MICROS_PER_DAY;

/** Days between 1970-01-01 and 2000-01-01, PostgreSQL's epoch for the binary formats. */
export const POSTGRES_EPOCH_DAYS = 10_957;
export const POSTGRES_EPOCH_MICROS = BigInt(POSTGRES_EPOCH_DAYS) * MICROS_PER_DAY;

export interface CivilDate {
  /** Astronomical year: 0 is 1 BC, -1 is 2 BC. */
  year: number;
  month: number;
  day: number;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The proleptic Gregorian date of days since 1970-01-01 (Hinnant's civil_from_days). */
export function civilFromDays(days: number): CivilDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : MONTH_DAYS[month - 1];
}

/** Floor division of bigints (the timestamp math needs days before 1970 to round down). */
export function floorDivBig(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** A timestamp split into its day (since 1970) and the µs since that day's midnight. */
export function splitTimestamp(micros: bigint): { days: number; timeMicros: number } {
  const days = floorDivBig(micros, MICROS_PER_DAY);
  return { days: Number(days), timeMicros: Number(micros - days * MICROS_PER_DAY) };
}

export function joinTimestamp(days: number, timeMicros: number): bigint {
  return BigInt(days) * MICROS_PER_DAY + BigInt(timeMicros);
}

export function isFiniteDate(days: number): boolean {
  return days !== DATE_NEG_INFINITY && days !== DATE_POS_INFINITY;
}

export function isFiniteTimestamp(micros: bigint): boolean {
  return micros !== TIMESTAMP_NEG_INFINITY && micros !== TIMESTAMP_POS_INFINITY;
}

export function dateInRange(days: number): boolean {
  return days >= DATE_MIN_DAYS && days < DATE_END_DAYS;
}

export function timestampInRange(micros: bigint): boolean {
  return micros >= TIMESTAMP_MIN && micros < TIMESTAMP_END;
}

/** Throws PostgreSQL's "timestamp out of range" unless the timestamp is finite and in range or infinite. */
export function checkTimestamp(micros: bigint): bigint {
  if (!isFiniteTimestamp(micros) || timestampInRange(micros)) return micros;
  throw new DbError('DATETIME_OUT_OF_RANGE', 'timestamp out of range');
}

export function checkDate(days: number): number {
  if (!isFiniteDate(days) || dateInRange(days)) return days;
  throw new DbError('DATETIME_OUT_OF_RANGE', 'date out of range');
}

// ---------------------------------------------------------------------------------------------
// Output

function pad2(value: number): string {
  return value < 10 ? `0${value}` : `${value}`;
}

function padYear(year: number): string {
  // PostgreSQL prints at least four digits; the BC year counts from 1.
  const shown = year > 0 ? year : 1 - year;
  return shown < 10 ? `000${shown}` : shown < 100 ? `00${shown}` : shown < 1000 ? `0${shown}` : `${shown}`;
}

function formatYmd(civil: CivilDate): string {
  return `${padYear(civil.year)}-${pad2(civil.month)}-${pad2(civil.day)}`;
}

/** HH:MM:SS with the fraction's trailing zeros trimmed (PostgreSQL's AppendSeconds). */
export function formatTimeOfDay(timeMicros: number): string {
  const totalSeconds = Math.floor(timeMicros / 1_000_000);
  const fraction = timeMicros - totalSeconds * 1_000_000;
  const hour = Math.floor(totalSeconds / 3600);
  const minute = Math.floor(totalSeconds / 60) % 60;
  const second = totalSeconds % 60;
  return `${pad2(hour)}:${pad2(minute)}:${pad2(second)}${formatFraction(fraction)}`;
}

/** '.ffffff' without trailing zeros, or '' for a whole second. */
export function formatFraction(fractionMicros: number): string {
  if (fractionMicros === 0) return '';
  let digits = String(fractionMicros + 1_000_000).slice(1);
  let end = digits.length;
  while (digits.charCodeAt(end - 1) === 0x30) end--;
  digits = digits.slice(0, end);
  return `.${digits}`;
}

export function formatDate(days: number): string {
  if (days === DATE_POS_INFINITY) return 'infinity';
  if (days === DATE_NEG_INFINITY) return '-infinity';
  const civil = civilFromDays(days);
  return civil.year > 0 ? formatYmd(civil) : `${formatYmd(civil)} BC`;
}

export function formatTimestamp(micros: bigint): string {
  if (micros === TIMESTAMP_POS_INFINITY) return 'infinity';
  if (micros === TIMESTAMP_NEG_INFINITY) return '-infinity';
  const { days, timeMicros } = splitTimestamp(micros);
  const civil = civilFromDays(days);
  const text = `${formatYmd(civil)} ${formatTimeOfDay(timeMicros)}`;
  return civil.year > 0 ? text : `${text} BC`;
}

/** '+09', '-05:30', '+09:18:59': the offset east of UTC as PostgreSQL's EncodeTimezone prints it. */
export function formatOffset(offsetSeconds: number): string {
  const sign = offsetSeconds < 0 ? '-' : '+';
  const magnitude = Math.abs(offsetSeconds);
  const hours = Math.floor(magnitude / 3600);
  const minutes = Math.floor(magnitude / 60) % 60;
  const seconds = magnitude % 60;
  if (seconds !== 0) return `${sign}${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}`;
  if (minutes !== 0) return `${sign}${pad2(hours)}:${pad2(minutes)}`;
  return `${sign}${pad2(hours)}`;
}

export function formatTimestamptz(micros: bigint, timeZone: string): string {
  if (micros === TIMESTAMP_POS_INFINITY) return 'infinity';
  if (micros === TIMESTAMP_NEG_INFINITY) return '-infinity';
  const offsetSeconds = zoneOffsetSeconds(timeZone, micros);
  const { days, timeMicros } = splitTimestamp(micros + BigInt(offsetSeconds) * MICROS_PER_SECOND);
  const civil = civilFromDays(days);
  const text = `${formatYmd(civil)} ${formatTimeOfDay(timeMicros)}${formatOffset(offsetSeconds)}`;
  return civil.year > 0 ? text : `${text} BC`;
}

// ---------------------------------------------------------------------------------------------
// Input

export type DateTimeTarget = 'date' | 'timestamp' | 'timestamptz';

const TYPE_LABEL: Record<DateTimeTarget, string> = {
  date: 'date',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
};

/** The fields of a date/time string once parsed, before the target type interprets them. */
interface DateTimeFields {
  special: 'now' | 'today' | 'tomorrow' | 'yesterday' | 'epoch' | 'infinity' | '-infinity' | undefined;
  year: number | undefined;
  month: number | undefined;
  day: number | undefined;
  hour: number;
  minute: number;
  second: number;
  micros: number;
  hasTime: boolean;
  /** Offset east of UTC in seconds, when the text gave one as a number or a fixed abbreviation. */
  offsetSeconds: number | undefined;
  /** A zone the text named ('Asia/Seoul'), resolved once the local time is known. */
  zoneName: string | undefined;
}

const MONTH_NAMES: ReadonlyMap<string, number> = new Map([
  ['jan', 1],
  ['january', 1],
  ['feb', 2],
  ['february', 2],
  ['mar', 3],
  ['march', 3],
  ['apr', 4],
  ['april', 4],
  ['may', 5],
  ['jun', 6],
  ['june', 6],
  ['jul', 7],
  ['july', 7],
  ['aug', 8],
  ['august', 8],
  ['sep', 9],
  ['sept', 9],
  ['september', 9],
  ['oct', 10],
  ['october', 10],
  ['nov', 11],
  ['november', 11],
  ['dec', 12],
  ['december', 12],
]);

const WEEKDAY_NAMES = new Set([
  'sun',
  'sunday',
  'mon',
  'monday',
  'tue',
  'tues',
  'tuesday',
  'wed',
  'wednesday',
  'thu',
  'thur',
  'thurs',
  'thursday',
  'fri',
  'friday',
  'sat',
  'saturday',
]);

// A few common abbreviations of PostgreSQL's 'Default' set, as fixed offsets (seconds east).
const ZONE_ABBREVIATIONS: ReadonlyMap<string, number> = new Map([
  ['utc', 0],
  ['gmt', 0],
  ['z', 0],
  ['zulu', 0],
  ['ut', 0],
  ['est', -5 * 3600],
  ['edt', -4 * 3600],
  ['cst', -6 * 3600],
  ['cdt', -5 * 3600],
  ['mst', -7 * 3600],
  ['mdt', -6 * 3600],
  ['pst', -8 * 3600],
  ['pdt', -7 * 3600],
  ['cet', 3600],
  ['cest', 2 * 3600],
  ['eet', 2 * 3600],
  ['eest', 3 * 3600],
  ['bst', 3600],
  ['kst', 9 * 3600],
  ['jst', 9 * 3600],
]);

function syntaxError(target: DateTimeTarget, text: string): DbError {
  return new DbError('INVALID_DATETIME_FORMAT', `invalid input syntax for type ${TYPE_LABEL[target]}: "${text}"`);
}

function fieldOutOfRange(text: string): DbError {
  return new DbError('DATETIME_OUT_OF_RANGE', `date/time field value out of range: "${text}"`);
}

function isDigits(text: string, from = 0, to = text.length): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Two-digit years as PostgreSQL reads them: 70..99 → 1970..1999, 00..69 → 2000..2069. */
function adjustYear(digits: string): number {
  const year = Number(digits);
  if (digits.length === 2) return year < 70 ? 2000 + year : 1900 + year;
  return year;
}

/** Microseconds of a fraction's digits ('5' → 500000), rounded half up beyond six digits. */
function fractionMicros(digits: string): number {
  if (digits.length === 0) return 0;
  if (digits.length <= 6) return Number(digits) * 10 ** (6 - digits.length);
  // rint: half to even, as PostgreSQL rounds a fraction finer than a microsecond.
  const scaled = Number(`0.${digits}`) * 1_000_000;
  const floor = Math.floor(scaled);
  const difference = scaled - floor;
  return difference > 0.5 || (difference === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
}

function parseOffset(text: string): number | undefined {
  // '+09', '-0530', '+05:30', '+09:18:59'.
  const sign = text.charCodeAt(0) === 0x2d ? -1 : 1;
  const body = text.slice(1);
  let hours: number;
  let minutes = 0;
  let seconds = 0;
  if (body.includes(':')) {
    const parts = body.split(':');
    if (parts.length > 3 || !parts.every((part) => isDigits(part) && part.length <= 2)) return undefined;
    hours = Number(parts[0]);
    minutes = Number(parts[1] ?? 0);
    seconds = Number(parts[2] ?? 0);
  } else {
    if (!isDigits(body)) return undefined;
    if (body.length <= 2) hours = Number(body);
    else if (body.length === 4) {
      hours = Number(body.slice(0, 2));
      minutes = Number(body.slice(2));
    } else if (body.length === 6) {
      hours = Number(body.slice(0, 2));
      minutes = Number(body.slice(2, 4));
      seconds = Number(body.slice(4));
    } else return undefined;
  }
  if (hours > 15 || minutes > 59 || seconds > 59) return undefined;
  return sign * (hours * 3600 + minutes * 60 + seconds);
}

function emptyFields(): DateTimeFields {
  return {
    special: undefined,
    year: undefined,
    month: undefined,
    day: undefined,
    hour: 0,
    minute: 0,
    second: 0,
    micros: 0,
    hasTime: false,
    offsetSeconds: undefined,
    zoneName: undefined,
  };
}

/** Splits 'HH:MM[:SS[.ffffff]]' followed by an optional zone or am/pm into the fields. */
function parseTimeToken(token: string, fields: DateTimeFields, fail: () => DbError): string {
  let i = 0;
  const readNumber = (): string => {
    const start = i;
    while (i < token.length && token.charCodeAt(i) >= 0x30 && token.charCodeAt(i) <= 0x39) i++;
    return token.slice(start, i);
  };
  const hour = readNumber();
  if (hour.length === 0 || hour.length > 2 || token[i] !== ':') throw fail();
  i++;
  const minute = readNumber();
  if (minute.length === 0 || minute.length > 2) throw fail();
  let second = '';
  let fraction = '';
  if (token[i] === ':') {
    i++;
    second = readNumber();
    if (second.length === 0 || second.length > 2) throw fail();
    if (token[i] === '.') {
      i++;
      fraction = readNumber();
    }
  }
  fields.hasTime = true;
  fields.hour = Number(hour);
  fields.minute = Number(minute);
  fields.second = second === '' ? 0 : Number(second);
  fields.micros = fractionMicros(fraction);
  return token.slice(i);
}

function applyZoneWord(word: string, fields: DateTimeFields): boolean {
  const offset = ZONE_ABBREVIATIONS.get(word);
  if (offset !== undefined) {
    fields.offsetSeconds = offset;
    return true;
  }
  return false;
}

/** Parses the date/time string into fields; throws 22007 for text it cannot read. */
function parseFields(text: string, target: DateTimeTarget): DateTimeFields {
  const fail = (): DbError => syntaxError(target, text);
  const fields = emptyFields();
  const lower = text.trim().toLowerCase();
  if (lower.length === 0) throw fail();
  switch (lower) {
    case 'now':
    case 'today':
    case 'tomorrow':
    case 'yesterday':
    case 'epoch':
    case 'infinity':
    case '-infinity':
      fields.special = lower;
      return fields;
    case '+infinity':
      fields.special = 'infinity';
      return fields;
    default:
      break;
  }
  const rawTokens = lower.split(/[\s,]+/);
  const tokens: string[] = [];
  for (const raw of rawTokens) {
    if (raw.length === 0) continue;
    // ISO 8601 joins date and time with 'T': split them.
    const t = raw.indexOf('t');
    if (t > 0 && t < raw.length - 1 && isDigits(raw, t - 1, t) && isDigits(raw, t + 1, t + 2)) {
      tokens.push(raw.slice(0, t), raw.slice(t + 1));
    } else {
      tokens.push(raw);
    }
  }
  const loose: string[] = [];
  let bc = false;
  let pm: boolean | undefined;
  let haveDate = false;
  for (const token of tokens) {
    const first = token.charCodeAt(0);
    const startsWithDigit = first >= 0x30 && first <= 0x39;
    if (startsWithDigit && token.includes(':')) {
      if (fields.hasTime) throw fail();
      let rest = parseTimeToken(token, fields, fail);
      if (rest.startsWith('am') || rest.startsWith('pm')) {
        pm = rest.startsWith('pm');
        rest = rest.slice(2);
      }
      if (rest.length === 0) continue;
      if (rest === 'z') fields.offsetSeconds = 0;
      else if (rest[0] === '+' || rest[0] === '-') {
        const offset = parseOffset(rest);
        if (offset === undefined) throw fail();
        fields.offsetSeconds = offset;
      } else throw fail();
      continue;
    }
    if (startsWithDigit && /[-/.]/.test(token)) {
      if (haveDate) throw fail();
      parseDateToken(token, fields, fail);
      haveDate = true;
      continue;
    }
    if (startsWithDigit) {
      if (isDigits(token) && token.length === 8 && !haveDate && loose.length === 0 && fields.month === undefined) {
        fields.year = Number(token.slice(0, 4));
        fields.month = Number(token.slice(4, 6));
        fields.day = Number(token.slice(6));
        haveDate = true;
        continue;
      }
      if (!isDigits(token)) throw fail();
      loose.push(token);
      continue;
    }
    if (first === 0x2b || first === 0x2d) {
      const offset = parseOffset(token);
      if (offset === undefined || !(fields.hasTime || haveDate)) throw fail();
      fields.offsetSeconds = offset;
      continue;
    }
    const month = MONTH_NAMES.get(token.endsWith('.') ? token.slice(0, -1) : token);
    if (month !== undefined) {
      if (fields.month !== undefined) throw fail();
      fields.month = month;
      continue;
    }
    if (WEEKDAY_NAMES.has(token)) continue;
    if (token === 'bc') bc = true;
    else if (token === 'ad') bc = false;
    else if (token === 'am' || token === 'a.m.') pm = false;
    else if (token === 'pm' || token === 'p.m.') pm = true;
    else if (applyZoneWord(token, fields)) continue;
    else if (token.includes('/')) fields.zoneName = restoreZoneCase(text, token);
    else throw fail();
  }
  if (!haveDate) {
    // Month name with loose numbers: 'Jan 5 2024', '5 January 2024', 'January 5, 2024'.
    if (fields.month === undefined || loose.length !== 2) throw fail();
    const [a, b] = loose;
    if (a.length > 2 || Number(a) > 31) {
      fields.year = adjustYear(a);
      fields.day = Number(b);
    } else {
      fields.day = Number(a);
      fields.year = adjustYear(b);
    }
  } else if (loose.length > 0) throw fail();
  if (bc && fields.year !== undefined) fields.year = 1 - fields.year;
  if (pm !== undefined) {
    if (fields.hour < 1 || fields.hour > 12) throw fieldOutOfRange(text);
    fields.hour = (fields.hour % 12) + (pm ? 12 : 0);
  }
  return fields;
}

/** IANA names are case-sensitive: take the token's spelling from the original text. */
function restoreZoneCase(text: string, lowerToken: string): string {
  const at = text.toLowerCase().indexOf(lowerToken);
  return at < 0 ? lowerToken : text.slice(at, at + lowerToken.length);
}

function parseDateToken(token: string, fields: DateTimeFields, fail: () => DbError): void {
  const separator = token.includes('-') ? '-' : token.includes('/') ? '/' : '.';
  const parts = token.split(separator);
  if (parts.length !== 3 || parts.some((part) => part.length === 0)) throw fail();
  const [a, b, c] = parts;
  const monthB = MONTH_NAMES.get(b);
  const monthA = MONTH_NAMES.get(a);
  if (isDigits(a) && isDigits(b) && isDigits(c)) {
    if (a.length >= 3) {
      // Y-M-D
      fields.year = Number(a);
      fields.month = Number(b);
      fields.day = Number(c);
    } else {
      // M/D/Y (DateStyle MDY)
      fields.month = Number(a);
      fields.day = Number(b);
      fields.year = adjustYear(c);
    }
  } else if (monthB !== undefined && isDigits(a) && isDigits(c)) {
    fields.month = monthB;
    if (a.length >= 3) {
      fields.year = Number(a);
      fields.day = Number(c);
    } else {
      fields.day = Number(a);
      fields.year = adjustYear(c);
    }
  } else if (monthA !== undefined && isDigits(b) && isDigits(c)) {
    fields.month = monthA;
    fields.day = Number(b);
    fields.year = adjustYear(c);
  } else throw fail();
}

function dateOfFields(fields: DateTimeFields, text: string): number {
  const year = fields.year ?? 0;
  const month = fields.month ?? 0;
  const day = fields.day ?? 0;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw fieldOutOfRange(text);
  return daysFromCivil(year, month, day);
}

function timeOfFields(fields: DateTimeFields, text: string): number {
  const { hour, minute, second, micros } = fields;
  // 24:00:00 is allowed (the next midnight); a leap second 60 rolls over like PostgreSQL does.
  if (hour > 24 || minute > 59 || second > 60 || (hour === 24 && (minute > 0 || second > 0 || micros > 0))) {
    throw fieldOutOfRange(text);
  }
  return ((hour * 60 + minute) * 60 + second) * 1_000_000 + micros;
}

function todayLocal(ctx: EvalContext): number {
  return splitTimestamp(utcToLocal(ctx.timeZone, ctx.transactionTimestamp)).days;
}

/** date_in: a date from text; a time part is read and ignored, as PostgreSQL does. */
export function parseDate(text: string, ctx: EvalContext): number {
  const fields = parseFields(text, 'date');
  switch (fields.special) {
    case 'infinity':
      return DATE_POS_INFINITY;
    case '-infinity':
      return DATE_NEG_INFINITY;
    case 'epoch':
      return 0;
    case 'now':
    case 'today':
      return todayLocal(ctx);
    case 'tomorrow':
      return todayLocal(ctx) + 1;
    case 'yesterday':
      return todayLocal(ctx) - 1;
    case undefined:
      break;
  }
  if (fields.hasTime) timeOfFields(fields, text);
  const days = dateOfFields(fields, text);
  if (!dateInRange(days)) throw new DbError('DATETIME_OUT_OF_RANGE', `date out of range: "${text}"`);
  return days;
}

function specialTimestamp(fields: DateTimeFields, ctx: EvalContext, withZone: boolean): bigint | undefined {
  const startOfLocalDay = (offsetDays: number): bigint => {
    const local = joinTimestamp(todayLocal(ctx) + offsetDays, 0);
    return withZone ? localToUtc(ctx.timeZone, local) : local;
  };
  switch (fields.special) {
    case 'infinity':
      return TIMESTAMP_POS_INFINITY;
    case '-infinity':
      return TIMESTAMP_NEG_INFINITY;
    case 'epoch':
      return 0n;
    case 'now':
      return withZone ? ctx.transactionTimestamp : utcToLocal(ctx.timeZone, ctx.transactionTimestamp);
    case 'today':
      return startOfLocalDay(0);
    case 'tomorrow':
      return startOfLocalDay(1);
    case 'yesterday':
      return startOfLocalDay(-1);
    case undefined:
      return undefined;
  }
}

/** timestamp_in: a zone in the text is read and ignored, as PostgreSQL does. */
export function parseTimestamp(text: string, ctx: EvalContext): bigint {
  const fields = parseFields(text, 'timestamp');
  const special = specialTimestamp(fields, ctx, false);
  if (special !== undefined) return special;
  const local = joinTimestamp(dateOfFields(fields, text), timeOfFields(fields, text));
  if (!timestampInRange(local)) throw new DbError('DATETIME_OUT_OF_RANGE', `timestamp out of range: "${text}"`);
  return local;
}

/** timestamptz_in: a time without a zone is local time in the session zone. */
export function parseTimestamptz(text: string, ctx: EvalContext): bigint {
  const fields = parseFields(text, 'timestamptz');
  const special = specialTimestamp(fields, ctx, true);
  if (special !== undefined) return special;
  const local = joinTimestamp(dateOfFields(fields, text), timeOfFields(fields, text));
  let utc: bigint;
  if (fields.offsetSeconds !== undefined) utc = local - BigInt(fields.offsetSeconds) * MICROS_PER_SECOND;
  else {
    try {
      utc = localToUtc(fields.zoneName ?? ctx.timeZone, local);
    } catch (error) {
      if (fields.zoneName === undefined) throw error;
      throw new DbError('INVALID_ARGUMENT', `time zone "${fields.zoneName}" not recognized`);
    }
  }
  if (!timestampInRange(utc)) throw new DbError('DATETIME_OUT_OF_RANGE', `timestamp out of range: "${text}"`);
  return utc;
}

// ---------------------------------------------------------------------------------------------
// Calendar arithmetic shared by the operators and functions

/** Adds months to a day, clamping the day of month to the target month's length (Jan 31 + 1 mon = Feb 29). */
export function addMonthsToDays(days: number, months: number): number {
  if (months === 0) return days;
  const civil = civilFromDays(days);
  const totalMonths = civil.year * 12 + (civil.month - 1) + months;
  const year = Math.floor(totalMonths / 12);
  const month = totalMonths - year * 12 + 1;
  return daysFromCivil(year, month, Math.min(civil.day, daysInMonth(year, month)));
}

export { MICROS_PER_DAY_NUMBER };
