// Built-in functions: a registry of overloads and PostgreSQL's resolution among them (exact
// matches first, then implicit coercions, preferring each category's preferred type), plus the
// implementations. Every function returned by lookupFunction already handles NULL arguments:
// a strict one returns NULL when any argument is NULL without running, a non-strict one
// (concat, concat_ws, nvl) sees the NULLs.
import { createHash } from 'node:crypto';
import { DbError } from '../../errors.js';
import { canCoerce, commonSuperType } from './casts.js';
import { compareSqlValues } from './compare.js';
import { charCount, codePointOffset } from './coerce.js';
import type { EvalContext } from './context.js';
import {
  TIMESTAMP_NEG_INFINITY,
  TIMESTAMP_POS_INFINITY,
  checkTimestamp,
  daysFromCivil,
  joinTimestamp,
  splitTimestamp,
} from './datetime.js';
import {
  extractField,
  extractIntervalField,
  makeDate,
  truncateInterval,
  truncateTimestamp,
} from './datetime-functions.js';
import { checkInt32, checkInt64, rint } from './integer.js';
import type { Interval } from './interval.js';
import {
  ceilDecimal,
  expDecimal,
  floorDecimal,
  fromDecimal,
  lnDecimal,
  logDecimal,
  numericAbs,
  numericMod,
  numericPower,
  numericRound,
  numericSqrt,
  numericTrunc,
  signDecimal,
  toDecimal,
} from './numeric.js';
import { floatPower } from './operators.js';
import { formatText } from './text-io.js';
import { localToUtc, utcToLocal, zoneOffsetSeconds } from './time-zone.js';
import { formatDateTime, formatNumber, parseDateTime, parseNumber } from './to-char.js';
import type { SqlType, SqlTypeName } from './types.js';
import { T, formatTypeName, typeInfo } from './types.js';
import type { SqlValue } from './value.js';

export type FunctionImpl = (args: readonly SqlValue[], ctx: EvalContext) => SqlValue;

export interface ResolvedFunction {
  readonly resultType: SqlType;
  /** The caller casts argument i to argTypes[i] (castValue, implicit) before calling fn. */
  readonly argTypes: readonly SqlType[];
  /** Handles NULL arguments itself (see the module comment). */
  readonly fn: FunctionImpl;
  /** Returns NULL whenever an argument is NULL (so a planner may fold it). */
  readonly strict: boolean;
  /** Gives a different result on each call (random, clock_timestamp): never fold or cache. */
  readonly volatile: boolean;
}

/** A parameter: a concrete type, 'any' (any type, passed as it is), or 'anyelement' (all such share one type). */
type ParamType = SqlTypeName | 'any' | 'anyelement';

interface Overload {
  readonly params: readonly ParamType[];
  /** A trailing parameter type that repeats zero or more times (VARIADIC). */
  readonly variadic?: ParamType;
  readonly result: SqlTypeName | 'anyelement';
  readonly fn: FunctionImpl;
  readonly strict: boolean;
  readonly volatile: boolean;
}

const REGISTRY = new Map<string, Overload[]>();

function define(
  names: string | readonly string[],
  params: readonly ParamType[],
  result: SqlTypeName | 'anyelement',
  fn: FunctionImpl,
  options: { strict?: boolean; volatile?: boolean; variadic?: ParamType } = {},
): void {
  const overload: Overload = {
    params,
    result,
    fn,
    strict: options.strict ?? true,
    volatile: options.volatile ?? false,
    ...(options.variadic === undefined ? {} : { variadic: options.variadic }),
  };
  for (const name of typeof names === 'string' ? [names] : names) {
    const list = REGISTRY.get(name) ?? [];
    list.push(overload);
    REGISTRY.set(name, list);
  }
}

// ---------------------------------------------------------------------------------------------
// Resolution

interface Candidate {
  readonly overload: Overload;
  readonly targets: SqlType[];
  readonly exact: number;
  readonly preferred: number;
  readonly stringForUnknown: number;
}

function paramsFor(overload: Overload, count: number): ParamType[] | undefined {
  if (overload.variadic === undefined) return overload.params.length === count ? [...overload.params] : undefined;
  if (count < overload.params.length) return undefined;
  const params = [...overload.params];
  while (params.length < count) params.push(overload.variadic);
  return params;
}

function candidateFor(name: string, overload: Overload, argTypes: readonly SqlType[]): Candidate | undefined {
  const params = paramsFor(overload, argTypes.length);
  if (params === undefined) return undefined;
  const polymorphic = argTypes.filter((_, i) => params[i] === 'anyelement');
  let element: SqlType | undefined;
  if (polymorphic.length > 0) {
    try {
      element = commonSuperType(polymorphic, name.toUpperCase());
    } catch {
      return undefined;
    }
  }
  const targets: SqlType[] = [];
  let exact = 0;
  let preferred = 0;
  let stringForUnknown = 0;
  for (let i = 0; i < argTypes.length; i++) {
    const arg = argTypes[i];
    const param = params[i];
    let target: SqlType;
    if (param === 'any') target = arg.name === 'unknown' ? T.text : arg;
    else if (param === 'anyelement') target = element ?? T.text;
    else target = T[param];
    if (arg.name === target.name) exact++;
    else if (arg.name === 'unknown') {
      if (typeInfo(target).category === 'S') stringForUnknown++;
    } else if (!canCoerce(arg, target, 'implicit')) return undefined;
    else if (typeInfo(target).preferred) preferred++;
    // Keep the argument's typmod when its type already matches (varchar(10) to a varchar parameter).
    targets.push(arg.name === target.name ? arg : target);
  }
  return { overload, targets, exact, preferred, stringForUnknown };
}

function best(candidates: Candidate[], key: (candidate: Candidate) => number): Candidate[] {
  const top = Math.max(...candidates.map(key));
  return candidates.filter((candidate) => key(candidate) === top);
}

function strictWrapper(fn: FunctionImpl): FunctionImpl {
  return (args, ctx) => {
    for (const arg of args) if (arg === null) return null;
    return fn(args, ctx);
  };
}

/** Picks the overload of `name` for `argTypes` (see lookupFunction). */
function resolveOverload(name: string, argTypes: readonly SqlType[]): ResolvedFunction {
  const overloads = REGISTRY.get(name.toLowerCase());
  let candidates: Candidate[] = [];
  for (const overload of overloads ?? []) {
    const candidate = candidateFor(name, overload, argTypes);
    if (candidate !== undefined) candidates.push(candidate);
  }
  if (candidates.length === 0) {
    const shown = argTypes.map((type) => formatTypeName(type)).join(', ');
    throw new DbError('UNDEFINED_FUNCTION', `function ${name}(${shown}) does not exist`);
  }
  candidates = best(candidates, (candidate) => candidate.exact);
  candidates = best(candidates, (candidate) => candidate.preferred);
  candidates = best(candidates, (candidate) => candidate.stringForUnknown);
  const chosen = candidates[0];
  const { overload, targets } = chosen;
  const params = paramsFor(overload, targets.length) ?? [];
  const element = targets.find((_, i) => params[i] === 'anyelement') ?? T.text;
  return {
    resultType: overload.result === 'anyelement' ? T[element.name] : T[overload.result],
    argTypes: targets,
    fn: overload.strict ? strictWrapper(overload.fn) : overload.fn,
    strict: overload.strict,
    volatile: overload.volatile,
  };
}

/** True when some function of this name exists (for the parser to tell functions from other names). */
export function functionExists(name: string): boolean {
  return REGISTRY.has(name.toLowerCase());
}

/**
 * GREATEST / LEAST over values already cast to `type` (by commonSuperType): NULLs are ignored,
 * and the result is NULL only when every value is NULL, as in PostgreSQL.
 */
export function greatestOrLeast(type: SqlType, values: readonly SqlValue[], which: 'greatest' | 'least'): SqlValue {
  let result: SqlValue = null;
  for (const value of values) {
    if (value === null) continue;
    if (result === null) {
      result = value;
      continue;
    }
    const order = compareSqlValues(type, value, result);
    if (which === 'greatest' ? order > 0 : order < 0) result = value;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function str(value: SqlValue): string {
  return value as string;
}

function num(value: SqlValue): number {
  return value as number;
}

function invalidArgument(message: string): DbError {
  return new DbError('INVALID_ARGUMENT', message);
}

/** The code points of a string, for functions that index by character. */
function chars(text: string): string[] {
  return Array.from(text);
}

/** substr(text, start[, count]) with PostgreSQL's rules: positions count from 1, and a start before 1 eats into count. */
function substring(text: string, start: number, count?: number): string {
  if (count !== undefined && count < 0) throw new DbError('INVALID_ARGUMENT', 'negative substring length not allowed');
  const first = Math.max(start, 1);
  if (count !== undefined) {
    const end = start + count; // exclusive, in 1-based positions
    if (end <= first) return '';
    const from = codePointOffset(text, first - 1);
    const to = codePointOffset(text, end - 1);
    return text.slice(from, to);
  }
  return text.slice(codePointOffset(text, first - 1));
}

/**
 * Case mapping one character at a time, as PostgreSQL's towupper/towlower (Unicode's simple
 * mappings): a character whose full mapping is several letters (ß → SS) stays as it is.
 */
function mapCase(text: string, to: 'upper' | 'lower'): string {
  const simple = to === 'upper' ? text.toUpperCase() : text.toLowerCase();
  if (simple.length === text.length && /^\p{ASCII}*$/u.test(text)) return simple;
  let out = '';
  for (const c of text) {
    const mapped = [...(to === 'upper' ? c.toUpperCase() : c.toLowerCase())];
    // İ lowercases to i + U+0307 in full mapping; its simple mapping is the i.
    const simpleMapping = mapped.length === 1 || mapped.slice(1).every((m) => /\p{M}/u.test(m)) ? mapped[0] : c;
    out += simpleMapping;
  }
  return out;
}

function position(text: string, search: string): number {
  const index = text.indexOf(search);
  if (index < 0) return 0;
  return charCount(text.slice(0, index)) + 1;
}

function trimChars(text: string, set: string, leading: boolean, trailing: boolean): string {
  const remove = new Set(chars(set));
  const list = chars(text);
  let start = 0;
  let end = list.length;
  if (leading) while (start < end && remove.has(list[start])) start++;
  if (trailing) while (end > start && remove.has(list[end - 1])) end--;
  return list.slice(start, end).join('');
}

function pad(text: string, length: number, fill: string, left: boolean): string {
  if (length <= 0) return '';
  const list = chars(text);
  if (list.length >= length) return list.slice(0, length).join('');
  const fillChars = chars(fill);
  if (fillChars.length === 0) return text;
  const needed = length - list.length;
  let padding = '';
  for (let i = 0; i < needed; i++) padding += fillChars[i % fillChars.length];
  return left ? padding + text : text + padding;
}

function initcap(text: string): string {
  let out = '';
  let inWord = false;
  for (const c of text) {
    const alphanumeric = /[\p{L}\p{N}]/u.test(c);
    out += alphanumeric ? mapCase(c, inWord ? 'lower' : 'upper') : c;
    inWord = alphanumeric;
  }
  return out;
}

function splitPart(text: string, delimiter: string, field: number): string {
  if (field === 0) throw invalidArgument('field position must not be zero');
  if (delimiter === '') return field === 1 || field === -1 ? text : '';
  const parts = text.split(delimiter);
  const index = field > 0 ? field - 1 : parts.length + field;
  return index >= 0 && index < parts.length ? parts[index] : '';
}

function leftChars(text: string, n: number): string {
  const list = chars(text);
  return (n >= 0 ? list.slice(0, n) : list.slice(0, Math.max(0, list.length + n))).join('');
}

function rightChars(text: string, n: number): string {
  const list = chars(text);
  return (n >= 0 ? list.slice(Math.max(0, list.length - n)) : list.slice(Math.min(list.length, -n))).join('');
}

const MAX_STRING_LENGTH = 0x3fff_ffff;

function repeat(text: string, count: number): string {
  if (count <= 0 || text.length === 0) return '';
  if (text.length * count > MAX_STRING_LENGTH) throw new DbError('STATEMENT_TOO_LARGE', 'requested length too large');
  return text.repeat(count);
}

function chr(code: number): string {
  if (code === 0) throw invalidArgument('null character not permitted');
  if (code < 0 || code > 0x10ffff) throw invalidArgument(`requested character too large for encoding: ${code}`);
  if (code >= 0xd800 && code <= 0xdfff) throw invalidArgument(`requested character not valid for encoding: ${code}`);
  return String.fromCodePoint(code);
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function md5(data: string | Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

function concatPiece(type: SqlType, value: SqlValue, ctx: EvalContext): string {
  return value === null ? '' : formatText(type, value, ctx);
}

function checkFloatResult(value: number, input: number): number {
  if (!Number.isFinite(value) && Number.isFinite(input)) {
    throw new DbError('VALUE_OUT_OF_RANGE', 'value out of range: overflow');
  }
  if (value === 0 && input !== 0 && Number.isFinite(input) && input > -Infinity) return value;
  return value;
}

function floatLog(value: number, log: (x: number) => number): number {
  if (value === 0) throw invalidArgument('cannot take logarithm of zero');
  if (value < 0) throw invalidArgument('cannot take logarithm of a negative number');
  return log(value);
}

function floatSign(value: number): number {
  return value > 0 ? 1 : value < 0 ? -1 : value === 0 ? 0 : value;
}

function localNow(ctx: EvalContext, micros: bigint): bigint {
  return utcToLocal(ctx.timeZone, micros);
}

function clock(ctx: EvalContext): bigint {
  return ctx.clockTimestamp?.() ?? BigInt(Date.now()) * 1000n;
}

// ---------------------------------------------------------------------------------------------
// Registrations: strings

define(['length', 'char_length', 'character_length'], ['text'], 'int4', ([text]) => charCount(str(text)));
define('length', ['bytea'], 'int4', ([bytes]) => (bytes as Uint8Array).length);
define('octet_length', ['text'], 'int4', ([text]) => utf8Length(str(text)));
define('octet_length', ['bytea'], 'int4', ([bytes]) => (bytes as Uint8Array).length);
// char(n) keeps its padding here, as in PostgreSQL: octet_length('ab'::char(5)) = 5.
define('octet_length', ['bpchar'], 'int4', ([text]) => utf8Length(str(text)));
define('upper', ['text'], 'text', ([text]) => mapCase(str(text), 'upper'));
define('lower', ['text'], 'text', ([text]) => mapCase(str(text), 'lower'));
define('initcap', ['text'], 'text', ([text]) => initcap(str(text)));
define(['substr', 'substring'], ['text', 'int4'], 'text', ([text, start]) => substring(str(text), num(start)));
define(['substr', 'substring'], ['text', 'int4', 'int4'], 'text', ([text, start, count]) =>
  substring(str(text), num(start), num(count)),
);
define(['strpos', 'instr'], ['text', 'text'], 'int4', ([text, search]) => position(str(text), str(search)));
// POSITION(needle IN haystack) parses to position(needle, haystack): the needle comes first.
define('position', ['text', 'text'], 'int4', ([search, text]) => position(str(text), str(search)));
define(['btrim', 'trim'], ['text'], 'text', ([text]) => trimChars(str(text), ' ', true, true));
define(['btrim', 'trim'], ['text', 'text'], 'text', ([text, set]) => trimChars(str(text), str(set), true, true));
define('ltrim', ['text'], 'text', ([text]) => trimChars(str(text), ' ', true, false));
define('ltrim', ['text', 'text'], 'text', ([text, set]) => trimChars(str(text), str(set), true, false));
define('rtrim', ['text'], 'text', ([text]) => trimChars(str(text), ' ', false, true));
define('rtrim', ['text', 'text'], 'text', ([text, set]) => trimChars(str(text), str(set), false, true));
define('lpad', ['text', 'int4'], 'text', ([text, length]) => pad(str(text), num(length), ' ', true));
define('lpad', ['text', 'int4', 'text'], 'text', ([text, length, fill]) =>
  pad(str(text), num(length), str(fill), true),
);
define('rpad', ['text', 'int4'], 'text', ([text, length]) => pad(str(text), num(length), ' ', false));
define('rpad', ['text', 'int4', 'text'], 'text', ([text, length, fill]) =>
  pad(str(text), num(length), str(fill), false),
);
define('replace', ['text', 'text', 'text'], 'text', ([text, from, to]) =>
  str(from) === '' ? str(text) : str(text).split(str(from)).join(str(to)),
);
define('left', ['text', 'int4'], 'text', ([text, n]) => leftChars(str(text), num(n)));
define('right', ['text', 'int4'], 'text', ([text, n]) => rightChars(str(text), num(n)));
define('repeat', ['text', 'int4'], 'text', ([text, n]) => repeat(str(text), num(n)));
define('reverse', ['text'], 'text', ([text]) => chars(str(text)).reverse().join(''));
define('split_part', ['text', 'text', 'int4'], 'text', ([text, delimiter, field]) =>
  splitPart(str(text), str(delimiter), num(field)),
);
define('md5', ['text'], 'text', ([text]) => md5(str(text)));
define('md5', ['bytea'], 'text', ([bytes]) => md5(bytes as Uint8Array));
define('to_hex', ['int4'], 'text', ([value]) => (num(value) >>> 0).toString(16));
define('to_hex', ['int8'], 'text', ([value]) => BigInt.asUintN(64, value as bigint).toString(16));
define('ascii', ['text'], 'int4', ([text]) => str(text).codePointAt(0) ?? 0);
define('chr', ['int4'], 'text', ([code]) => chr(num(code)));

// concat and concat_ws take any types and skip NULLs, so they see NULLs (non-strict). Printing
// an argument needs its type, known only at resolution, so lookupFunction binds the fn there.
const CONCAT_PLACEHOLDER: FunctionImpl = () => null;
define('concat', [], 'text', CONCAT_PLACEHOLDER, { strict: false, variadic: 'any' });
define('concat_ws', ['text'], 'text', CONCAT_PLACEHOLDER, { strict: false, variadic: 'any' });
define('nvl', ['anyelement', 'anyelement'], 'anyelement', ([a, b]) => (a === null ? b : a), { strict: false });

// ---------------------------------------------------------------------------------------------
// Registrations: numbers

define('abs', ['int2'], 'int2', ([v]) => checkInt32(Math.abs(num(v)), 'int2'));
define('abs', ['int4'], 'int4', ([v]) => checkInt32(Math.abs(num(v)), 'int4'));
define('abs', ['int8'], 'int8', ([v]) => checkInt64((v as bigint) < 0n ? -(v as bigint) : (v as bigint)));
define('abs', ['numeric'], 'numeric', ([v]) => numericAbs(str(v)));
define('abs', ['float4'], 'float4', ([v]) => Math.abs(num(v)));
define('abs', ['float8'], 'float8', ([v]) => Math.abs(num(v)));
define(['ceil', 'ceiling'], ['numeric'], 'numeric', ([v]) => fromDecimal(ceilDecimal(toDecimal(str(v)))));
define(['ceil', 'ceiling'], ['float8'], 'float8', ([v]) => Math.ceil(num(v)));
define('floor', ['numeric'], 'numeric', ([v]) => fromDecimal(floorDecimal(toDecimal(str(v)))));
define('floor', ['float8'], 'float8', ([v]) => Math.floor(num(v)));
define('round', ['numeric'], 'numeric', ([v]) => numericRound(str(v), 0));
define('round', ['numeric', 'int4'], 'numeric', ([v, scale]) => numericRound(str(v), num(scale)));
define('round', ['float8'], 'float8', ([v]) => rint(num(v)));
define('trunc', ['numeric'], 'numeric', ([v]) => numericTrunc(str(v), 0));
define('trunc', ['numeric', 'int4'], 'numeric', ([v, scale]) => numericTrunc(str(v), num(scale)));
define('trunc', ['float8'], 'float8', ([v]) => Math.trunc(num(v)));
define('mod', ['int2', 'int2'], 'int2', ([a, b]) => intMod(num(a), num(b)));
define('mod', ['int4', 'int4'], 'int4', ([a, b]) => intMod(num(a), num(b)));
define('mod', ['int8', 'int8'], 'int8', ([a, b]) => {
  if (b === 0n) throw new DbError('DIVISION_BY_ZERO', 'division by zero');
  return (a as bigint) % (b as bigint);
});
define('mod', ['numeric', 'numeric'], 'numeric', ([a, b]) => numericMod(str(a), str(b)));
define(['power', 'pow'], ['float8', 'float8'], 'float8', ([a, b]) => floatPower(num(a), num(b)));
define(['power', 'pow'], ['numeric', 'numeric'], 'numeric', ([a, b]) => numericPower(str(a), str(b)));
define('sqrt', ['float8'], 'float8', ([v]) => {
  if (num(v) < 0) throw invalidArgument('cannot take square root of a negative number');
  return Math.sqrt(num(v));
});
define('sqrt', ['numeric'], 'numeric', ([v]) => numericSqrt(str(v)));
define('cbrt', ['float8'], 'float8', ([v]) => Math.cbrt(num(v)));
define('exp', ['float8'], 'float8', ([v]) => {
  const result = Math.exp(num(v));
  if (result === 0 && Number.isFinite(num(v))) throw new DbError('VALUE_OUT_OF_RANGE', 'value out of range: underflow');
  return checkFloatResult(result, num(v));
});
define('exp', ['numeric'], 'numeric', ([v]) => fromDecimal(expDecimal(toDecimal(str(v)))));
define('ln', ['float8'], 'float8', ([v]) => floatLog(num(v), Math.log));
define('ln', ['numeric'], 'numeric', ([v]) => fromDecimal(lnDecimal(toDecimal(str(v)))));
define(['log', 'log10'], ['float8'], 'float8', ([v]) => floatLog(num(v), Math.log10));
define(['log', 'log10'], ['numeric'], 'numeric', ([v]) =>
  fromDecimal(logDecimal({ coefficient: 10n, scale: 0 }, toDecimal(str(v)))),
);
define('log', ['numeric', 'numeric'], 'numeric', ([base, v]) =>
  fromDecimal(logDecimal(toDecimal(str(base)), toDecimal(str(v)))),
);
define('sign', ['float8'], 'float8', ([v]) => floatSign(num(v)));
define('sign', ['numeric'], 'numeric', ([v]) => fromDecimal(signDecimal(toDecimal(str(v)))));
define('pi', [], 'float8', () => Math.PI);
define('random', [], 'float8', (_, ctx) => ctx.random(), { volatile: true });

function intMod(a: number, b: number): number {
  if (b === 0) throw new DbError('DIVISION_BY_ZERO', 'division by zero');
  const remainder = a % b;
  return remainder === 0 ? 0 : remainder;
}

// ---------------------------------------------------------------------------------------------
// Registrations: dates and times

define(['now', 'current_timestamp', 'transaction_timestamp'], [], 'timestamptz', (_, ctx) => ctx.transactionTimestamp);
define('statement_timestamp', [], 'timestamptz', (_, ctx) => ctx.statementTimestamp);
define('clock_timestamp', [], 'timestamptz', (_, ctx) => clock(ctx), { volatile: true });
define('current_date', [], 'date', (_, ctx) => splitTimestamp(localNow(ctx, ctx.transactionTimestamp)).days);
define('localtimestamp', [], 'timestamp', (_, ctx) => localNow(ctx, ctx.transactionTimestamp));
// Oracle's SYSDATE: the statement's start as wall-clock time in the session zone.
define('sysdate', [], 'timestamp', (_, ctx) => localNow(ctx, ctx.statementTimestamp));

for (const kind of ['timestamp', 'timestamptz'] as const) {
  define('date_trunc', ['text', kind], kind, ([field, value], ctx) =>
    truncateTimestamp(str(field), kind, value as bigint, ctx),
  );
  define('date_part', ['text', kind], 'float8', ([field, value], ctx) =>
    Number(extractField(str(field), kind, value as bigint, ctx)),
  );
  define('extract', ['text', kind], 'numeric', ([field, value], ctx) =>
    extractField(str(field), kind, value as bigint, ctx),
  );
}
define('date_trunc', ['text', 'interval'], 'interval', ([field, value]) =>
  truncateInterval(str(field), value as Interval),
);
define('date_part', ['text', 'interval'], 'float8', ([field, value]) =>
  Number(extractIntervalField(str(field), value as Interval)),
);
define('extract', ['text', 'interval'], 'numeric', ([field, value]) =>
  extractIntervalField(str(field), value as Interval),
);
// date_part(text, date) is date_part(text, date::timestamp) in PostgreSQL; extract has its own date form.
define('date_part', ['text', 'date'], 'float8', ([field, value], ctx) =>
  Number(extractField(str(field), 'timestamp', BigInt(num(value)) * 86_400_000_000n, ctx)),
);
define('extract', ['text', 'date'], 'numeric', ([field, value], ctx) =>
  extractField(str(field), 'date', num(value), ctx),
);
define('make_date', ['int4', 'int4', 'int4'], 'date', ([year, month, day]) =>
  makeDate(num(year), num(month), num(day)),
);

define('to_char', ['timestamp', 'text'], 'text', ([value, format]) => formatDateTime(value as bigint, str(format)));
define('to_char', ['timestamptz', 'text'], 'text', ([value, format], ctx) => {
  const micros = value as bigint;
  return formatDateTime(utcToLocal(ctx.timeZone, micros), str(format), zoneOffsetSeconds(ctx.timeZone, micros));
});
define('to_char', ['numeric', 'text'], 'text', ([value, format]) => formatNumber(str(value), str(format)));
define('to_char', ['int4', 'text'], 'text', ([value, format]) => formatNumber(String(num(value)), str(format)));
define('to_char', ['int8', 'text'], 'text', ([value, format]) =>
  formatNumber((value as bigint).toString(), str(format)),
);
define('to_char', ['float4', 'text'], 'text', ([value, format]) => formatNumber(num(value), str(format)));
define('to_char', ['float8', 'text'], 'text', ([value, format]) => formatNumber(num(value), str(format)));
// timezone(zone, x), also written x AT TIME ZONE zone: the wall-clock time in a zone, or the
// instant a wall-clock time in a zone names. Infinities stay as they are.
const finite = (micros: bigint): boolean => micros !== TIMESTAMP_POS_INFINITY && micros !== TIMESTAMP_NEG_INFINITY;
define('timezone', ['text', 'timestamptz'], 'timestamp', ([zone, value]) =>
  finite(value as bigint) ? utcToLocal(str(zone), value as bigint) : value,
);
define('timezone', ['text', 'timestamp'], 'timestamptz', ([zone, value]) =>
  finite(value as bigint) ? checkTimestamp(localToUtc(str(zone), value as bigint)) : value,
);
define('to_date', ['text', 'text'], 'date', ([text, format]) => {
  const fields = parseDateTime(str(text), str(format));
  return daysFromCivil(fields.year, fields.month, fields.day);
});
define('to_timestamp', ['text', 'text'], 'timestamptz', ([text, format], ctx) => {
  const f = parseDateTime(str(text), str(format));
  const local = joinTimestamp(
    daysFromCivil(f.year, f.month, f.day),
    ((f.hour * 60 + f.minute) * 60 + f.second) * 1_000_000 + f.micros,
  );
  return checkTimestamp(localToUtc(ctx.timeZone, local));
});
define('to_timestamp', ['float8'], 'timestamptz', ([seconds]) => {
  const value = num(seconds);
  if (Number.isNaN(value)) throw new DbError('DATETIME_OUT_OF_RANGE', 'timestamp cannot be NaN');
  if (value === Infinity) return TIMESTAMP_POS_INFINITY;
  if (value === -Infinity) return TIMESTAMP_NEG_INFINITY;
  const micros = rint(value * 1e6);
  if (Math.abs(micros) > 9.2e18) throw new DbError('DATETIME_OUT_OF_RANGE', `timestamp out of range: "${value}"`);
  return checkTimestamp(BigInt(micros));
});
define('to_number', ['text', 'text'], 'numeric', ([text, format]) => parseNumber(str(text), str(format)));

/** concat / concat_ws need the argument types to print each argument, so they are bound per call site. */
function bindConcat(name: string, resolved: ResolvedFunction): ResolvedFunction {
  const types = resolved.argTypes;
  if (name === 'concat') {
    return {
      ...resolved,
      fn: (args, ctx) => args.map((arg, i) => concatPiece(types[i], arg, ctx)).join(''),
    };
  }
  return {
    ...resolved,
    fn: (args, ctx) => {
      if (args[0] === null) return null;
      const pieces: string[] = [];
      for (let i = 1; i < args.length; i++) if (args[i] !== null) pieces.push(formatText(types[i], args[i], ctx));
      return pieces.join(str(args[0]));
    },
  };
}

/**
 * Resolves a call of `name` (any case) with arguments of `argTypes`: exact type matches win,
 * then implicit coercions preferring each category's preferred type (float8, text,
 * timestamptz); untyped literals ('unknown') match any parameter, preferring a text one.
 * Throws UNDEFINED_FUNCTION (42883) 'function foo(integer) does not exist' when no overload
 * accepts them.
 */
export function lookupFunction(name: string, argTypes: readonly SqlType[]): ResolvedFunction {
  const resolved = resolveOverload(name, argTypes);
  const lower = name.toLowerCase();
  return lower === 'concat' || lower === 'concat_ws' ? bindConcat(lower, resolved) : resolved;
}
