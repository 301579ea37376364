// Text input and output functions (PostgreSQL's typinput/typoutput): what psql shows and what
// a text-format parameter or literal means. Output matches PostgreSQL 15 with DateStyle
// 'ISO, MDY', IntervalStyle 'postgres', extra_float_digits 1 and bytea_output 'hex'.
import { assert, unreachable } from '../../assert.js';
import { DbError } from '../../errors.js';
import type { EvalContext } from './context.js';
import {
  formatDate,
  formatTimestamp,
  formatTimestamptz,
  parseDate,
  parseTimestamp,
  parseTimestamptz,
} from './datetime.js';
import { formatFloat4, formatFloat8, parseFloat } from './float.js';
import { parseInt32, parseInt64 } from './integer.js';
import type { Interval } from './interval.js';
import { formatInterval, parseInterval } from './interval.js';
import { parseNumeric } from './numeric.js';
import { applyTypmod } from './coerce.js';
import type { SqlType } from './types.js';
import type { SqlValue } from './value.js';

function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/** boolin: t/f, true/false, yes/no, on/off, 1/0, any case, any unique prefix, trimmed. */
export function parseBool(text: string): boolean {
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  const word = text.slice(start, end).toLowerCase();
  const length = word.length;
  if (length > 0) {
    switch (word[0]) {
      case 't':
        if ('true'.startsWith(word)) return true;
        break;
      case 'f':
        if ('false'.startsWith(word)) return false;
        break;
      case 'y':
        if ('yes'.startsWith(word)) return true;
        break;
      case 'n':
        if ('no'.startsWith(word)) return false;
        break;
      case 'o':
        // 'o' alone is ambiguous between on and off.
        if (length >= 2 && 'on'.startsWith(word)) return true;
        if (length >= 2 && 'off'.startsWith(word)) return false;
        break;
      case '1':
        if (length === 1) return true;
        break;
      case '0':
        if (length === 1) return false;
        break;
      default:
        break;
    }
  }
  throw new DbError('INVALID_TEXT_REPRESENTATION', `invalid input syntax for type boolean: "${text}"`);
}

const HEX_DIGITS = '0123456789abcdef';

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}

/** byteain: '\x' hex (white space between byte pairs allowed) or the escape format ('\\', '\ooo'). */
export function parseBytea(text: string): Uint8Array {
  if (text.length >= 2 && text.charCodeAt(0) === 0x5c && (text[1] === 'x' || text[1] === 'X')) {
    const bytes = new Uint8Array((text.length - 2) >> 1);
    let count = 0;
    for (let i = 2; i < text.length;) {
      const c = text.charCodeAt(i);
      if (isSpace(c)) {
        i++;
        continue;
      }
      const high = hexValue(c);
      if (high < 0) {
        throw new DbError('INVALID_ARGUMENT', `invalid hexadecimal digit: "${text[i]}"`);
      }
      if (i + 1 >= text.length) {
        throw new DbError('INVALID_ARGUMENT', 'invalid hexadecimal data: odd number of digits');
      }
      const low = hexValue(text.charCodeAt(i + 1));
      if (low < 0) {
        if (isSpace(text.charCodeAt(i + 1))) {
          throw new DbError('INVALID_ARGUMENT', 'invalid hexadecimal data: odd number of digits');
        }
        throw new DbError('INVALID_ARGUMENT', `invalid hexadecimal digit: "${text[i + 1]}"`);
      }
      bytes[count++] = (high << 4) | low;
      i += 2;
    }
    return bytes.slice(0, count);
  }
  const encoded = new TextEncoder().encode(text);
  const bytes = new Uint8Array(encoded.length);
  let count = 0;
  for (let i = 0; i < encoded.length;) {
    const c = encoded[i];
    if (c !== 0x5c) {
      bytes[count++] = c;
      i++;
    } else if (encoded[i + 1] === 0x5c) {
      bytes[count++] = 0x5c;
      i += 2;
    } else if (
      i + 3 < encoded.length + 0 &&
      encoded[i + 1] >= 0x30 &&
      encoded[i + 1] <= 0x33 &&
      encoded[i + 2] >= 0x30 &&
      encoded[i + 2] <= 0x37 &&
      encoded[i + 3] >= 0x30 &&
      encoded[i + 3] <= 0x37
    ) {
      bytes[count++] = ((encoded[i + 1] - 0x30) << 6) | ((encoded[i + 2] - 0x30) << 3) | (encoded[i + 3] - 0x30);
      i += 4;
    } else {
      throw new DbError('INVALID_TEXT_REPRESENTATION', 'invalid input syntax for type bytea');
    }
  }
  return bytes.slice(0, count);
}

export function formatBytea(bytes: Uint8Array): string {
  let text = '\\x';
  for (let i = 0; i < bytes.length; i++) text += HEX_DIGITS[bytes[i] >> 4] + HEX_DIGITS[bytes[i] & 15];
  return text;
}

/**
 * The value a text-format literal or parameter denotes, as `type`'s input function reads it,
 * typmod included (char(3) pads, numeric(5,2) rounds, an over-long varchar(n) is 22001).
 * Throws 22P02 (numbers, bool, bytea), 22007/22008 (dates and times) or 22003 (range).
 */
export function parseText(type: SqlType, text: string, ctx: EvalContext): SqlValue {
  const value = parseTextNoTypmod(type, text, ctx);
  return type.typmod < 0 ? value : applyTypmod(type, value);
}

function parseTextNoTypmod(type: SqlType, text: string, ctx: EvalContext): SqlValue {
  switch (type.name) {
    case 'bool':
      return parseBool(text);
    case 'int2':
    case 'int4':
      return parseInt32(text, type.name);
    case 'int8':
      return parseInt64(text);
    case 'numeric':
      return parseNumeric(text);
    case 'float4':
    case 'float8':
      return parseFloat(text, type.name);
    case 'bpchar':
    case 'varchar':
    case 'text':
    case 'unknown':
      return text;
    case 'bytea':
      return parseBytea(text);
    case 'date':
      return parseDate(text, ctx);
    case 'timestamp':
      return parseTimestamp(text, ctx);
    case 'timestamptz':
      return parseTimestamptz(text, ctx);
    case 'interval':
      return parseInterval(text);
    default:
      return unreachable(type.name, 'SQL type');
  }
}

/** int4out and int2out: the hot path of every integer column. */
function formatInteger(value: number): string {
  return String(value);
}

/**
 * The text form of a non-NULL value of `type`, as PostgreSQL 15 prints it. timestamptz is
 * shown in ctx.timeZone. The value must be of the type's JS kind (an assertion, not an error).
 */
export function formatText(type: SqlType, value: SqlValue, ctx: EvalContext): string {
  assert(value !== null, () => `formatText(${type.name}) of NULL`);
  switch (type.name) {
    case 'bool':
      return value === true ? 't' : 'f';
    case 'int2':
    case 'int4':
      return formatInteger(value as number);
    case 'int8':
      return (value as bigint).toString();
    case 'numeric':
      return value as string;
    case 'float4':
      return formatFloat4(value as number);
    case 'float8':
      return formatFloat8(value as number);
    case 'bpchar': {
      const text = value as string;
      const length = type.typmod - 4;
      return type.typmod >= 4 && text.length < length ? text.padEnd(length, ' ') : text;
    }
    case 'varchar':
    case 'text':
    case 'unknown':
      return value as string;
    case 'bytea':
      return formatBytea(value as Uint8Array);
    case 'date':
      return formatDate(value as number);
    case 'timestamp':
      return formatTimestamp(value as bigint);
    case 'timestamptz':
      return formatTimestamptz(value as bigint, ctx.timeZone);
    case 'interval':
      return formatInterval(value as Interval);
    default:
      return unreachable(type.name, 'SQL type');
  }
}
