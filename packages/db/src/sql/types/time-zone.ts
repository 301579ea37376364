// UTC offsets of the session time zone: the offset in force at a UTC instant (for output and
// for local-time arithmetic), and the UTC instant of a local wall-clock time (for input),
// resolving DST gaps and overlaps the way PostgreSQL's DetermineTimeZoneOffset does.
import { DbError } from '../../errors.js';

const MICROS_PER_SECOND = 1_000_000n;
// JS Date's range: ±8.64e15 ms. Beyond it, the offset at the nearest end applies.
const DATE_LIMIT_SECONDS = 8_640_000_000_000 - 2 * 86_400; // a margin, so the local time stays a valid Date
// Offsets are memoized per 15-minute bucket: transitions fall on quarter hours in practice, and a
// bucket whose two ends disagree is never memoized.
const BUCKET_SECONDS = 900;
const MEMO_LIMIT = 4096;

interface Zone {
  /** Offset in seconds east of UTC at a UTC instant in seconds. */
  offsetAt(utcSeconds: number): number;
}

const zones = new Map<string, Zone>();

class FixedZone implements Zone {
  readonly #offsetSeconds: number;
  constructor(offsetSeconds: number) {
    this.#offsetSeconds = offsetSeconds;
  }
  offsetAt(): number {
    return this.#offsetSeconds;
  }
}

class IanaZone implements Zone {
  readonly #format: Intl.DateTimeFormat;
  readonly #memo = new Map<number, number>();

  constructor(format: Intl.DateTimeFormat) {
    this.#format = format;
  }

  offsetAt(utcSeconds: number): number {
    const bucket = Math.floor(utcSeconds / BUCKET_SECONDS);
    const memoized = this.#memo.get(bucket);
    if (memoized !== undefined) return memoized;
    const start = this.#exactOffset(bucket * BUCKET_SECONDS);
    const end = this.#exactOffset(bucket * BUCKET_SECONDS + BUCKET_SECONDS - 1);
    if (start !== end) return this.#exactOffset(utcSeconds);
    if (this.#memo.size >= MEMO_LIMIT) this.#memo.clear();
    this.#memo.set(bucket, start);
    return start;
  }

  #exactOffset(utcSeconds: number): number {
    const clamped = Math.max(-DATE_LIMIT_SECONDS, Math.min(DATE_LIMIT_SECONDS, utcSeconds));
    const wholeSeconds = Math.floor(clamped);
    const parts = this.#format.formatToParts(new Date(wholeSeconds * 1000));
    let year = 0;
    let month = 0;
    let day = 0;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let bc = false;
    for (const part of parts) {
      switch (part.type) {
        case 'year':
          year = Number(part.value);
          break;
        case 'month':
          month = Number(part.value);
          break;
        case 'day':
          day = Number(part.value);
          break;
        case 'hour':
          hour = Number(part.value) % 24;
          break;
        case 'minute':
          minute = Number(part.value);
          break;
        case 'second':
          second = Number(part.value);
          break;
        case 'era':
          bc = part.value === 'B' || part.value === 'BC';
          break;
        default:
          break;
      }
    }
    const fullYear = bc ? 1 - year : year;
    const local = new Date(0);
    local.setUTCFullYear(fullYear, month - 1, day);
    local.setUTCHours(hour, minute, second, 0);
    return Math.round((local.getTime() - wholeSeconds * 1000) / 1000);
  }
}

/** The largest offset PostgreSQL accepts from UTC: under a week. */
const MAX_OFFSET_SECONDS = 167 * 3600 + 59 * 60 + 59;

/**
 * A fixed-offset zone name, read as PostgreSQL reads a zone name: POSIX style, so the
 * offset is hours WEST of UTC ('UTC+9', 'EST5', '+09:00' and '<+09>-09' are 9 hours
 * behind, 9 hours behind, 9 hours behind and 9 hours ahead). Returns the offset east of UTC.
 */
function parseFixedOffset(name: string): number | undefined {
  const upper = name.toUpperCase();
  if (upper === 'UTC' || upper === 'GMT' || upper === 'Z' || upper === 'ZULU' || upper === 'ETC/UTC') return 0;
  const match = /^(?:[A-Za-z]{3,}|<[A-Za-z0-9:+-]+>)?([+-])?(\d{1,3})(?::(\d{2}))?(?::(\d{2}))?$/.exec(name);
  if (match === null || (match[1] === undefined && !/^[A-Za-z<]/.test(name))) return undefined;
  const seconds = Number(match[2]) * 3600 + Number(match[3] ?? 0) * 60 + Number(match[4] ?? 0);
  if (seconds > MAX_OFFSET_SECONDS || Number(match[3] ?? 0) > 59 || Number(match[4] ?? 0) > 59) return undefined;
  return match[1] === '-' ? seconds : -seconds;
}

/**
 * SET TIME ZONE with a number (hours east of UTC, fractions allowed), as PostgreSQL names
 * it: 9 → '<+09>-09', -3.5 → '<-03:30>+03:30'. Undefined when out of range.
 */
export function zoneNameForHours(hours: number): string | undefined {
  const eastSeconds = Math.round(hours * 3600);
  if (!Number.isFinite(hours) || Math.abs(eastSeconds) > MAX_OFFSET_SECONDS) return undefined;
  const magnitude = Math.abs(eastSeconds);
  const hh = String(Math.floor(magnitude / 3600)).padStart(2, '0');
  const mm = Math.floor((magnitude % 3600) / 60);
  const ss = magnitude % 60;
  const text = `${hh}${mm > 0 || ss > 0 ? `:${String(mm).padStart(2, '0')}` : ''}${ss > 0 ? `:${String(ss).padStart(2, '0')}` : ''}`;
  return eastSeconds < 0 ? `<-${text}>+${text}` : `<+${text}>-${text}`;
}

function loadZone(name: string): Zone | undefined {
  const fixed = parseFixedOffset(name);
  if (fixed !== undefined) return new FixedZone(fixed);
  try {
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    return new IanaZone(format);
  } catch {
    return undefined;
  }
}

function zoneOf(name: string): Zone {
  let zone = zones.get(name);
  if (zone === undefined) {
    zone = loadZone(name);
    if (zone === undefined) throw new DbError('INVALID_ARGUMENT', `time zone "${name}" not recognized`);
    zones.set(name, zone);
  }
  return zone;
}

/** True when `name` is a time zone this server can use (for SET TIME ZONE validation). */
export function isKnownTimeZone(name: string): boolean {
  try {
    zoneOf(name);
    return true;
  } catch {
    return false;
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** The zone's offset east of UTC, in seconds, at a UTC instant (µs since 1970). */
export function zoneOffsetSeconds(zoneName: string, utcMicros: bigint): number {
  return zoneOf(zoneName).offsetAt(Number(floorDiv(utcMicros, MICROS_PER_SECOND)));
}

/** UTC µs → the zone's local wall-clock time, as µs since 1970 of a UTC-like clock. */
export function utcToLocal(zoneName: string, utcMicros: bigint): bigint {
  return utcMicros + BigInt(zoneOffsetSeconds(zoneName, utcMicros)) * MICROS_PER_SECOND;
}

/**
 * A local wall-clock time (µs since 1970 on a UTC-like clock) in the zone → UTC µs. A time
 * that does not exist (skipped by a spring-forward transition) is read with the offset before
 * the transition; a time that occurs twice (fall-back) is read with the offset after it. Both
 * are PostgreSQL's choices.
 */
export function localToUtc(zoneName: string, localMicros: bigint): bigint {
  const zone = zoneOf(zoneName);
  const localSeconds = Number(floorDiv(localMicros, MICROS_PER_SECOND));
  const before = zone.offsetAt(localSeconds - 86_400);
  const after = zone.offsetAt(localSeconds + 86_400);
  const beforeValid = zone.offsetAt(localSeconds - before) === before;
  const afterValid = zone.offsetAt(localSeconds - after) === after;
  let offset: number;
  if (before === after) {
    offset = beforeValid ? before : zone.offsetAt(localSeconds - before);
  } else if (beforeValid && afterValid) {
    offset = after;
  } else if (afterValid) {
    offset = after;
  } else {
    offset = before;
  }
  return localMicros - BigInt(offset) * MICROS_PER_SECOND;
}
