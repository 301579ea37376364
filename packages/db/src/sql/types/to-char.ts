// Oracle-style formatting and parsing (to_char, to_date, to_timestamp, to_number) with the
// common PostgreSQL template patterns. Dates: YYYY YYY YY Y MM MON Mon mon MONTH Month month
// DD DDD D DY Dy dy DAY Day day HH HH12 HH24 MI SS MS US SSSS AM PM A.M. P.M. Q WW CC J TH,
// FM, "quoted text". Numbers: 9 0 . D , G S MI PL FM.
import { DbError } from '../../errors.js';
import { civilFromDays, daysFromCivil, daysInMonth, formatOffset, splitTimestamp } from './datetime.js';
import type { Decimal } from './numeric.js';
import { fromDecimal, pow10, roundDecimal, toDecimal } from './numeric.js';

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

// Longest first, so 'HH24' wins over 'HH' and 'MONTH' over 'MON'.
const DATE_KEYWORDS = [
  'A.M.',
  'P.M.',
  'HH24',
  'HH12',
  'YYYY',
  'SSSS',
  'MONTH',
  'YYY',
  'DDD',
  'DAY',
  'MON',
  'HH',
  'MI',
  'SS',
  'MS',
  'US',
  'YY',
  'MM',
  'DD',
  'DY',
  'AM',
  'PM',
  'WW',
  'CC',
  'TZ',
  'OF',
  'Y',
  'D',
  'Q',
  'J',
];

interface DateParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  micros: number;
  dayOfWeek: number;
  dayOfYear: number;
  julian: number;
  offsetSeconds: number | undefined;
}

function dateParts(localMicros: bigint, offsetSeconds: number | undefined): DateParts {
  const { days, timeMicros } = splitTimestamp(localMicros);
  const civil = civilFromDays(days);
  const seconds = Math.floor(timeMicros / 1_000_000);
  return {
    year: civil.year,
    month: civil.month,
    day: civil.day,
    hour: Math.floor(seconds / 3600),
    minute: Math.floor(seconds / 60) % 60,
    second: seconds % 60,
    micros: timeMicros % 1_000_000,
    dayOfWeek: (((days + 4) % 7) + 7) % 7,
    dayOfYear: days - daysFromCivil(civil.year, 1, 1) + 1,
    julian: days + 2_440_588,
    offsetSeconds,
  };
}

/** The case a name is printed in: 'MONTH' → upper, 'Month' → capitalized, 'month' → lower. */
function applyCase(name: string, written: string): string {
  if (written[0] === written[0].toLowerCase()) return name.toLowerCase();
  if (written.length > 1 && written[1] === written[1].toLowerCase()) return name;
  return name.toUpperCase();
}

function pad(value: number, width: number, fillMode: boolean): string {
  const text = String(Math.abs(value));
  const padded = fillMode || text.length >= width ? text : '0'.repeat(width - text.length) + text;
  return value < 0 ? `-${padded}` : padded;
}

function ordinal(value: number, upper: boolean): string {
  const lastTwo = value % 100;
  const last = value % 10;
  const suffix =
    lastTwo >= 11 && lastTwo <= 13 ? 'th' : last === 1 ? 'st' : last === 2 ? 'nd' : last === 3 ? 'rd' : 'th';
  return upper ? suffix.toUpperCase() : suffix;
}

function dateField(
  keyword: string,
  written: string,
  parts: DateParts,
  fillMode: boolean,
): { text: string; number?: number } {
  const displayYear = parts.year > 0 ? parts.year : 1 - parts.year;
  const hour12 = parts.hour % 12 === 0 ? 12 : parts.hour % 12;
  switch (keyword) {
    case 'YYYY':
      return { text: pad(displayYear, 4, fillMode), number: displayYear };
    case 'YYY':
      return { text: pad(displayYear % 1000, 3, fillMode), number: displayYear % 1000 };
    case 'YY':
      return { text: pad(displayYear % 100, 2, fillMode), number: displayYear % 100 };
    case 'Y':
      return { text: String(displayYear % 10), number: displayYear % 10 };
    case 'CC': {
      const century = parts.year > 0 ? Math.floor((parts.year + 99) / 100) : -Math.floor((100 - parts.year) / 100);
      return { text: pad(century, 2, fillMode), number: century };
    }
    case 'MM':
      return { text: pad(parts.month, 2, fillMode), number: parts.month };
    case 'MONTH': {
      const name = applyCase(MONTHS[parts.month - 1], written);
      return { text: fillMode ? name : name.padEnd(9, ' ') };
    }
    case 'MON':
      return { text: applyCase(MONTHS[parts.month - 1].slice(0, 3), written) };
    case 'DD':
      return { text: pad(parts.day, 2, fillMode), number: parts.day };
    case 'DDD':
      return { text: pad(parts.dayOfYear, 3, fillMode), number: parts.dayOfYear };
    case 'D':
      return { text: String(parts.dayOfWeek + 1), number: parts.dayOfWeek + 1 };
    case 'DAY': {
      const name = applyCase(DAYS[parts.dayOfWeek], written);
      return { text: fillMode ? name : name.padEnd(9, ' ') };
    }
    case 'DY':
      return { text: applyCase(DAYS[parts.dayOfWeek].slice(0, 3), written) };
    case 'HH':
    case 'HH12':
      return { text: pad(hour12, 2, fillMode), number: hour12 };
    case 'HH24':
      return { text: pad(parts.hour, 2, fillMode), number: parts.hour };
    case 'MI':
      return { text: pad(parts.minute, 2, fillMode), number: parts.minute };
    case 'SS':
      return { text: pad(parts.second, 2, fillMode), number: parts.second };
    case 'SSSS': {
      const seconds = parts.hour * 3600 + parts.minute * 60 + parts.second;
      return { text: String(seconds), number: seconds };
    }
    case 'MS':
      return { text: pad(Math.floor(parts.micros / 1000), 3, fillMode), number: Math.floor(parts.micros / 1000) };
    case 'US':
      return { text: pad(parts.micros, 6, fillMode), number: parts.micros };
    case 'AM':
    case 'PM':
      return { text: applyCase(parts.hour < 12 ? 'AM' : 'PM', written) };
    case 'A.M.':
    case 'P.M.':
      return { text: applyCase(parts.hour < 12 ? 'A.M.' : 'P.M.', written) };
    case 'Q':
      return { text: String(Math.floor((parts.month - 1) / 3) + 1) };
    case 'WW': {
      const week = Math.floor((parts.dayOfYear - 1) / 7) + 1;
      return { text: pad(week, 2, fillMode), number: week };
    }
    case 'J':
      return { text: String(parts.julian), number: parts.julian };
    case 'TZ':
    case 'OF':
      return { text: parts.offsetSeconds === undefined ? '' : formatOffset(parts.offsetSeconds) };
    default:
      return { text: written };
  }
}

function matchKeyword(format: string, at: number): string | undefined {
  const upper = format.slice(at, at + 5).toUpperCase();
  for (const keyword of DATE_KEYWORDS) if (upper.startsWith(keyword)) return keyword;
  return undefined;
}

/**
 * to_char(timestamp, text): `localMicros` is the wall-clock time to show (a timestamptz already
 * moved into the session zone); `offsetSeconds` feeds TZ/OF and is undefined for a timestamp.
 */
export function formatDateTime(localMicros: bigint, format: string, offsetSeconds?: number): string {
  const parts = dateParts(localMicros, offsetSeconds);
  let out = '';
  let fillMode = false;
  for (let i = 0; i < format.length;) {
    if (format.startsWith('FM', i) || format.startsWith('fm', i)) {
      fillMode = true;
      i += 2;
      continue;
    }
    const c = format[i];
    if (c === '"') {
      let end = i + 1;
      while (end < format.length && format[end] !== '"') {
        if (format[end] === '\\' && end + 1 < format.length) end++;
        out += format[end];
        end++;
      }
      i = end + 1;
      continue;
    }
    if (c === '\\' && i + 1 < format.length) {
      out += format[i + 1];
      i += 2;
      continue;
    }
    const keyword = matchKeyword(format, i);
    if (keyword === undefined) {
      out += c;
      i++;
      fillMode = false;
      continue;
    }
    const written = format.slice(i, i + keyword.length);
    const field = dateField(keyword, written, parts, fillMode);
    out += field.text;
    i += keyword.length;
    const suffix = format.slice(i, i + 2);
    if ((suffix === 'TH' || suffix === 'th') && field.number !== undefined) {
      out += ordinal(field.number, suffix === 'TH');
      i += 2;
    }
    fillMode = false;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// to_date / to_timestamp

export interface ParsedDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  micros: number;
}

function invalidValue(value: string, keyword: string): DbError {
  return new DbError('INVALID_DATETIME_FORMAT', `invalid value "${value}" for "${keyword}"`);
}

const NUMERIC_WIDTH: Readonly<Record<string, number>> = {
  YYYY: 4,
  YYY: 3,
  YY: 2,
  Y: 1,
  MM: 2,
  DD: 2,
  DDD: 3,
  HH: 2,
  HH12: 2,
  HH24: 2,
  MI: 2,
  SS: 2,
  MS: 3,
  US: 6,
  SSSS: 5,
  J: 7,
  D: 1,
  CC: 2,
  WW: 2,
  Q: 1,
};

/** Reads the fields `format` describes from `text` (to_timestamp's parser, simplified): separators match loosely. */
export function parseDateTime(text: string, format: string): ParsedDateTime {
  const result: ParsedDateTime = { year: 1, month: 1, day: 1, hour: 0, minute: 0, second: 0, micros: 0 };
  let pm: boolean | undefined;
  let dayOfYear: number | undefined;
  let julian: number | undefined;
  let t = 0;
  const skipSpaces = (): void => {
    while (t < text.length && text[t] === ' ') t++;
  };
  for (let i = 0; i < format.length;) {
    if (format.startsWith('FM', i) || format.startsWith('fm', i)) {
      i += 2;
      continue;
    }
    const c = format[i];
    if (c === '"') {
      let end = i + 1;
      while (end < format.length && format[end] !== '"') {
        end++;
        t++;
      }
      i = end + 1;
      continue;
    }
    const keyword = matchKeyword(format, i);
    if (keyword === undefined) {
      // A separator or literal in the format skips one non-alphanumeric character of input.
      if (t < text.length && !/[A-Za-z0-9]/.test(text[t])) t++;
      else if (c === ' ') skipSpaces();
      i++;
      continue;
    }
    i += keyword.length;
    skipSpaces();
    const width = NUMERIC_WIDTH[keyword];
    if (width !== undefined) {
      // Take up to the field's width of digits (all of them for the last field or a separated one).
      let end = t;
      if (text[end] === '-' || text[end] === '+') end++;
      const limit = i >= format.length ? Infinity : width;
      while (end < text.length && end - t < limit && text.charCodeAt(end) >= 0x30 && text.charCodeAt(end) <= 0x39)
        end++;
      const digits = text.slice(t, end);
      if (!/^[+-]?\d+$/.test(digits)) throw invalidValue(text.slice(t, t + width), keyword);
      const value = Number(digits);
      t = end;
      switch (keyword) {
        case 'YYYY':
          result.year = value;
          break;
        case 'YYY':
        case 'YY':
        case 'Y':
          // PostgreSQL picks the year nearest 2020 with those trailing digits.
          result.year = digits.length >= 4 ? value : adjustShortYear(value, digits.length);
          break;
        case 'MM':
          result.month = value;
          break;
        case 'DD':
          result.day = value;
          break;
        case 'DDD':
          dayOfYear = value;
          break;
        case 'HH':
        case 'HH12':
        case 'HH24':
          result.hour = value;
          break;
        case 'MI':
          result.minute = value;
          break;
        case 'SS':
          result.second = value;
          break;
        case 'MS':
          result.micros = value * 10 ** (3 - digits.length) * 1000;
          break;
        case 'US':
          result.micros = value * 10 ** (6 - digits.length);
          break;
        case 'SSSS':
          result.hour = Math.floor(value / 3600);
          result.minute = Math.floor(value / 60) % 60;
          result.second = value % 60;
          break;
        case 'J':
          julian = value;
          break;
        default:
          break;
      }
      continue;
    }
    const rest = text.slice(t).toLowerCase();
    if (keyword === 'MONTH' || keyword === 'MON') {
      const index = MONTHS.findIndex((name) =>
        keyword === 'MONTH' ? rest.startsWith(name.toLowerCase()) : rest.startsWith(name.slice(0, 3).toLowerCase()),
      );
      if (index < 0) throw invalidValue(text.slice(t, t + 3), keyword === 'MONTH' ? 'Month' : 'Mon');
      result.month = index + 1;
      t += keyword === 'MONTH' ? MONTHS[index].length : 3;
    } else if (keyword === 'DAY' || keyword === 'DY') {
      const index = DAYS.findIndex((name) => rest.startsWith(name.slice(0, 3).toLowerCase()));
      if (index < 0) throw invalidValue(text.slice(t, t + 3), keyword);
      t += keyword === 'DAY' && rest.startsWith(DAYS[index].toLowerCase()) ? DAYS[index].length : 3;
    } else if (keyword === 'AM' || keyword === 'PM' || keyword === 'A.M.' || keyword === 'P.M.') {
      const dotted = keyword.length === 4;
      const word = rest.slice(0, dotted ? 4 : 2);
      if (word === (dotted ? 'a.m.' : 'am')) pm = false;
      else if (word === (dotted ? 'p.m.' : 'pm')) pm = true;
      else throw invalidValue(text.slice(t, t + keyword.length), keyword);
      t += keyword.length;
    }
  }
  if (pm !== undefined) {
    if (result.hour < 1 || result.hour > 12) {
      throw new DbError('INVALID_DATETIME_FORMAT', `hour "${result.hour}" is invalid for the 12-hour clock`);
    }
    result.hour = (result.hour % 12) + (pm ? 12 : 0);
  }
  if (julian !== undefined) {
    const civil = civilFromDays(julian - 2_440_588);
    Object.assign(result, { year: civil.year, month: civil.month, day: civil.day });
  } else if (dayOfYear !== undefined) {
    const civil = civilFromDays(daysFromCivil(result.year, 1, 1) + dayOfYear - 1);
    Object.assign(result, { month: civil.month, day: civil.day });
  }
  if (
    result.month < 1 ||
    result.month > 12 ||
    result.day < 1 ||
    result.day > daysInMonth(result.year, result.month) ||
    result.hour > 24 ||
    result.minute > 59 ||
    result.second > 60
  ) {
    throw new DbError('DATETIME_OUT_OF_RANGE', 'date/time field value out of range');
  }
  return result;
}

function adjustShortYear(value: number, digits: number): number {
  if (digits === 1) return 2000 + value;
  if (digits === 2) return value < 70 ? 2000 + value : 1900 + value;
  return value < 100 ? 2000 + value : 1000 + value;
}

// ---------------------------------------------------------------------------------------------
// Numbers

interface NumberFormat {
  integerDigits: number;
  fractionDigits: number;
  /** Index among the integer positions of the first '0' (from the left), or -1: from there, zeros are printed. */
  zeroStart: number;
  /** Index among the fraction positions of the last '0', or -1: up to there FM keeps zeros. */
  zeroEnd: number;
  hasPoint: boolean;
  fillMode: boolean;
  /** The template with digit positions, for laying out separators and sign. */
  template: string;
}

function parseNumberFormat(format: string): NumberFormat {
  const upper = format.toUpperCase();
  let integerDigits = 0;
  let fractionDigits = 0;
  let zeroStart = -1;
  let zeroEnd = -1;
  let hasPoint = false;
  let fillMode = false;
  let template = '';
  for (let i = 0; i < upper.length; i++) {
    const c = upper[i];
    if (upper.startsWith('FM', i)) {
      fillMode = true;
      i++;
      continue;
    }
    if (upper.startsWith('MI', i) || upper.startsWith('PL', i) || upper.startsWith('SG', i)) {
      template += upper[i] === 'M' ? 'm' : upper[i] === 'P' ? 'p' : 's';
      i++;
      continue;
    }
    if (c === '9' || c === '0') {
      if (hasPoint) {
        if (c === '0') zeroEnd = fractionDigits;
        fractionDigits++;
      } else {
        if (c === '0' && zeroStart < 0) zeroStart = integerDigits;
        integerDigits++;
      }
      template += c;
    } else if ((c === '.' || c === 'D') && !hasPoint) {
      hasPoint = true;
      template += '.';
    } else if (c === ',' || c === 'G') {
      template += ',';
    } else if (c === 'S') {
      template += 'S';
    } else {
      template += format[i];
    }
  }
  return { integerDigits, fractionDigits, zeroStart, zeroEnd, hasPoint, fillMode, template };
}

/** The exact decimal value of a double (m · 2^e written out), so float rounding sees the true binary value. */
function exactDecimalOfDouble(value: number): Decimal {
  if (value === 0 || !Number.isFinite(value)) return { coefficient: 0n, scale: 0 };
  const buffer = new DataView(new ArrayBuffer(8));
  buffer.setFloat64(0, value);
  const bits = buffer.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & 0xf_ffff_ffff_ffffn;
  let exponent: number;
  if (exponentBits === 0) exponent = -1074;
  else {
    mantissa |= 1n << 52n;
    exponent = exponentBits - 1075;
  }
  let coefficient: bigint;
  let scale: number;
  if (exponent >= 0) {
    coefficient = mantissa << BigInt(exponent);
    scale = 0;
  } else {
    coefficient = mantissa * 5n ** BigInt(-exponent);
    scale = -exponent;
  }
  return { coefficient: negative ? -coefficient : coefficient, scale };
}

/** Rounds half to even (C's printf on the exact binary value). */
function roundHalfEven(value: Decimal, scale: number): Decimal {
  if (scale >= value.scale) return roundDecimal(value, scale);
  const divisor = pow10(value.scale - scale);
  const negative = value.coefficient < 0n;
  const magnitude = negative ? -value.coefficient : value.coefficient;
  let quotient = magnitude / divisor;
  const remainder = magnitude % divisor;
  if (remainder * 2n > divisor || (remainder * 2n === divisor && quotient % 2n === 1n)) quotient++;
  return { coefficient: negative ? -quotient : quotient, scale };
}

/** to_char(number, text). `value` is a canonical numeric string, or a float (then printf-style rounding applies). */
export function formatNumber(value: string | number, format: string): string {
  const spec = parseNumberFormat(format);
  let fractionDigits = spec.fractionDigits;
  let rounded: Decimal;
  if (typeof value === 'number') {
    const exact = exactDecimalOfDouble(value);
    // Like float8_to_char, print at most 15 significant digits.
    const integerLength = Math.trunc(Math.abs(value)).toFixed(0).length;
    if (integerLength >= 15) fractionDigits = 0;
    else if (integerLength + fractionDigits > 15) fractionDigits = 15 - integerLength;
    rounded = roundHalfEven(exact, fractionDigits);
  } else {
    rounded = roundDecimal(toDecimal(value), spec.fractionDigits);
  }
  const negative = rounded.coefficient < 0n;
  const text = fromDecimal(negative ? { coefficient: -rounded.coefficient, scale: rounded.scale } : rounded);
  const point = text.indexOf('.');
  let integerPart = point < 0 ? text : text.slice(0, point);
  let fractionPart = point < 0 ? '' : text.slice(point + 1);
  fractionPart = fractionPart.padEnd(spec.fractionDigits, '0');
  // A zero integer part is blank where the template has a fraction (' .50'), as in PostgreSQL.
  if (integerPart === '0' && spec.hasPoint) integerPart = '';
  const overflow = integerPart.length > spec.integerDigits;
  if (spec.fillMode) {
    // FM drops the fraction's trailing zeros beyond the template's last '0'.
    let end = fractionPart.length;
    while (end > spec.zeroEnd + 1 && fractionPart.charCodeAt(end - 1) === 0x30) end--;
    fractionPart = fractionPart.slice(0, end);
  }
  let out = '';
  let integerIndex = 0;
  let fractionIndex = 0;
  let digitsStarted = false;
  let signPlaced = false;
  // A leading S is the sign anchored to the number, like the default sign but showing '+'.
  const leadingSign = spec.template.startsWith('S');
  const template = leadingSign ? spec.template.slice(1) : spec.template;
  const signChar = negative ? '-' : leadingSign ? '+' : spec.fillMode ? '' : ' ';
  const hasExplicitSign = /[Smps]/.test(template);
  for (const c of template) {
    if (c === '9' || c === '0') {
      if (fractionIndex > 0 || (spec.hasPoint && integerIndex >= spec.integerDigits)) {
        out += overflow ? '#' : (fractionPart[fractionIndex] ?? '');
        fractionIndex++;
        continue;
      }
      const fromRight = spec.integerDigits - integerIndex;
      const digit = fromRight <= integerPart.length ? integerPart[integerPart.length - fromRight] : undefined;
      const forcedZero = spec.zeroStart >= 0 && integerIndex >= spec.zeroStart;
      integerIndex++;
      if (overflow) {
        if (!signPlaced && !hasExplicitSign) {
          out += signChar === '' ? '' : ' ';
          signPlaced = true;
        }
        out += '#';
        continue;
      }
      if (digit !== undefined || forcedZero) {
        if (!digitsStarted && !hasExplicitSign && !signPlaced) {
          out += signChar;
          signPlaced = true;
        }
        digitsStarted = true;
        out += digit ?? '0';
      } else if (!spec.fillMode) {
        out += ' ';
      }
    } else if (c === '.') {
      if (!digitsStarted && !hasExplicitSign && !signPlaced) {
        out += signChar;
        signPlaced = true;
      }
      out += '.';
      // Every digit position after the point is a fraction digit.
      integerIndex = spec.integerDigits;
      digitsStarted = true;
    } else if (c === ',') {
      out += digitsStarted ? ',' : spec.fillMode ? '' : ' ';
    } else if (c === 'S') {
      out += negative ? '-' : '+';
    } else if (c === 'm') {
      out += negative ? '-' : spec.fillMode ? '' : ' ';
    } else if (c === 'p') {
      out += negative ? (spec.fillMode ? '' : ' ') : '+';
    } else if (c === 's') {
      out += negative ? '-' : '+';
    } else {
      out += c;
    }
  }
  return out;
}

/** to_number(text, format): the digits, sign and decimal point of `text`, at the template's fraction digits. */
export function parseNumber(text: string, format: string): string {
  const spec = parseNumberFormat(format);
  let digits = '';
  let fraction = '';
  let inFraction = false;
  let negative = false;
  for (const c of text) {
    if (c >= '0' && c <= '9') {
      if (inFraction) fraction += c;
      else digits += c;
    } else if (c === '.' && spec.hasPoint) inFraction = true;
    else if (c === '-' || c === '<') negative = true;
  }
  if (digits.length === 0 && fraction.length === 0) {
    throw new DbError('INVALID_TEXT_REPRESENTATION', `invalid input syntax for type numeric: " "`);
  }
  if (digits.length > spec.integerDigits) digits = digits.slice(0, spec.integerDigits);
  fraction = fraction.slice(0, spec.fractionDigits);
  const body = `${digits.length === 0 ? '0' : digits}${fraction.length > 0 ? `.${fraction}` : ''}`;
  const decimal = toDecimal(body);
  return fromDecimal({ coefficient: negative ? -decimal.coefficient : decimal.coefficient, scale: decimal.scale });
}
