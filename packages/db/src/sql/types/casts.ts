// Casts between SQL types (pg_cast plus I/O conversion casts) and the implicit-coercion rules
// the planner resolves expressions with: which casts apply in which context, and the common
// type of a CASE, COALESCE, IN list, UNION or VALUES column (select_common_type).
import { DbError } from '../../errors.js';
import type { EvalContext } from './context.js';
import { applyTypmod } from './coerce.js';
import {
  DATE_NEG_INFINITY,
  DATE_POS_INFINITY,
  MICROS_PER_DAY,
  TIMESTAMP_NEG_INFINITY,
  TIMESTAMP_POS_INFINITY,
  checkDate,
  checkTimestamp,
  floorDivBig,
  isFiniteDate,
  isFiniteTimestamp,
} from './datetime.js';
import { toFloat4 } from './float.js';
import { checkInt32, floatToInt32, floatToInt64, integerOutOfRange } from './integer.js';
import { decimalToInteger, floatToNumeric, integerToNumeric, numericToFloat8, toDecimal } from './numeric.js';
import { formatText, parseText } from './text-io.js';
import { localToUtc, utcToLocal } from './time-zone.js';
import type { SqlType, SqlTypeName } from './types.js';
import { T, formatTypeName, sameType, typeInfo } from './types.js';
import type { SqlValue } from './value.js';

export type CoercionContext = 'implicit' | 'assignment' | 'explicit';

const CONTEXT_RANK: Readonly<Record<CoercionContext, number>> = { implicit: 0, assignment: 1, explicit: 2 };

/** pg_cast's castcontext for the casts with a function (or binary coercion) among our types. */
const CAST_CONTEXT: ReadonlyMap<string, CoercionContext> = new Map(
  (
    [
      ['int2', 'int4', 'implicit'],
      ['int2', 'int8', 'implicit'],
      ['int2', 'numeric', 'implicit'],
      ['int2', 'float4', 'implicit'],
      ['int2', 'float8', 'implicit'],
      ['int4', 'int2', 'assignment'],
      ['int4', 'int8', 'implicit'],
      ['int4', 'numeric', 'implicit'],
      ['int4', 'float4', 'implicit'],
      ['int4', 'float8', 'implicit'],
      ['int4', 'bool', 'explicit'],
      ['bool', 'int4', 'explicit'],
      ['int8', 'int2', 'assignment'],
      ['int8', 'int4', 'assignment'],
      ['int8', 'numeric', 'implicit'],
      ['int8', 'float4', 'implicit'],
      ['int8', 'float8', 'implicit'],
      ['numeric', 'int2', 'assignment'],
      ['numeric', 'int4', 'assignment'],
      ['numeric', 'int8', 'assignment'],
      ['numeric', 'float4', 'implicit'],
      ['numeric', 'float8', 'implicit'],
      ['float4', 'int2', 'assignment'],
      ['float4', 'int4', 'assignment'],
      ['float4', 'int8', 'assignment'],
      ['float4', 'numeric', 'assignment'],
      ['float4', 'float8', 'implicit'],
      ['float8', 'int2', 'assignment'],
      ['float8', 'int4', 'assignment'],
      ['float8', 'int8', 'assignment'],
      ['float8', 'numeric', 'assignment'],
      ['float8', 'float4', 'assignment'],
      ['text', 'bpchar', 'implicit'],
      ['text', 'varchar', 'implicit'],
      ['varchar', 'text', 'implicit'],
      ['varchar', 'bpchar', 'implicit'],
      ['bpchar', 'text', 'implicit'],
      ['bpchar', 'varchar', 'implicit'],
      ['date', 'timestamp', 'implicit'],
      ['date', 'timestamptz', 'implicit'],
      ['timestamp', 'date', 'assignment'],
      ['timestamp', 'timestamptz', 'implicit'],
      ['timestamptz', 'date', 'assignment'],
      ['timestamptz', 'timestamp', 'assignment'],
    ] as const
  ).map(([from, to, context]) => [`${from}>${to}`, context]),
);

function isStringType(name: SqlTypeName): boolean {
  return name === 'text' || name === 'varchar' || name === 'bpchar';
}

/**
 * The weakest context in which `from` converts to `to`, or undefined when no cast exists.
 * Besides pg_cast: unknown converts implicitly to anything; any type converts to a string type
 * by its output function in assignment context, and a string type to any type by its input
 * function explicitly (PostgreSQL's automatic I/O conversion casts).
 */
export function castContext(from: SqlType, to: SqlType): CoercionContext | undefined {
  if (from.name === to.name || from.name === 'unknown') return 'implicit';
  const listed = CAST_CONTEXT.get(`${from.name}>${to.name}`);
  if (listed !== undefined) return listed;
  if (to.name === 'unknown') return undefined;
  if (isStringType(to.name)) return 'assignment';
  if (isStringType(from.name)) return 'explicit';
  return undefined;
}

/** Whether a value of `from` may be converted to `to` in `context` (can_coerce_type). */
export function canCoerce(from: SqlType, to: SqlType, context: CoercionContext): boolean {
  const needed = castContext(from, to);
  return needed !== undefined && CONTEXT_RANK[needed] <= CONTEXT_RANK[context];
}

function cannotCast(from: SqlType, to: SqlType): DbError {
  return new DbError('DATATYPE_MISMATCH', `cannot cast type ${formatTypeName(from)} to ${formatTypeName(to)}`);
}

/** bpchar's trailing spaces are not significant: they go when it becomes text or varchar (rtrim1). */
function trimTrailingSpaces(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x20) end--;
  return end === text.length ? text : text.slice(0, end);
}

function integerValue(value: SqlValue): number | bigint {
  return value as number | bigint;
}

function castToInteger(value: SqlValue, from: SqlTypeName, to: 'int2' | 'int4' | 'int8'): number | bigint {
  switch (from) {
    case 'int2':
    case 'int4':
      return to === 'int8' ? BigInt(value as number) : checkInt32(value as number, to);
    case 'int8': {
      const big = value as bigint;
      if (to === 'int8') return big;
      if (big < -0x8000_0000n || big > 0x7fff_ffffn) throw integerOutOfRange(to);
      return checkInt32(Number(big), to);
    }
    case 'numeric': {
      const integer = decimalToInteger(toDecimal(value as string), to);
      return to === 'int8' ? integer : Number(integer);
    }
    case 'float4':
    case 'float8':
      return to === 'int8' ? floatToInt64(value as number) : floatToInt32(value as number, to);
    case 'bool':
      if (to === 'int4') return value === true ? 1 : 0;
      break;
    default:
      break;
  }
  throw new Error(`unreachable cast ${from} to ${to}`);
}

function castDateTime(value: SqlValue, from: SqlTypeName, to: SqlTypeName, ctx: EvalContext): SqlValue {
  if (from === 'date') {
    const days = value as number;
    if (!isFiniteDate(days)) return days === DATE_POS_INFINITY ? TIMESTAMP_POS_INFINITY : TIMESTAMP_NEG_INFINITY;
    const local = checkTimestamp(BigInt(days) * MICROS_PER_DAY);
    return to === 'timestamp' ? local : localToUtc(ctx.timeZone, local);
  }
  const micros = value as bigint;
  if (!isFiniteTimestamp(micros)) {
    if (to === 'date') return micros === TIMESTAMP_POS_INFINITY ? DATE_POS_INFINITY : DATE_NEG_INFINITY;
    return micros;
  }
  const local = from === 'timestamptz' ? utcToLocal(ctx.timeZone, micros) : micros;
  if (to === 'date') return checkDate(Number(floorDivBig(local, MICROS_PER_DAY)));
  if (to === 'timestamp') return checkTimestamp(local);
  return checkTimestamp(localToUtc(ctx.timeZone, micros));
}

/**
 * Converts a value of `from` to `to`, typmod of `to` included. NULL converts to NULL. The
 * context decides only how a too-long string is treated: an explicit cast truncates it, an
 * assignment rejects it (22001). Throws 42804 when PostgreSQL has no such cast, and the
 * target's errors otherwise (22003 out of range, 22P02 bad text, ...).
 */
export function castValue(
  value: SqlValue,
  from: SqlType,
  to: SqlType,
  ctx: EvalContext,
  context: CoercionContext = 'explicit',
): SqlValue {
  if (value === null) return null;
  const explicit = context === 'explicit';
  if (from.name === to.name) {
    return to.typmod < 0 || sameType(from, to) ? value : applyTypmod(to, value, explicit);
  }
  const converted = convert(value, from, to, ctx);
  return to.typmod < 0 ? converted : applyTypmod(to, converted, explicit);
}

function convert(value: SqlValue, from: SqlType, to: SqlType, ctx: EvalContext): SqlValue {
  const source = from.name;
  const target = to.name;
  if (source === 'unknown' || isStringType(source)) {
    const text = source === 'bpchar' && target !== 'bpchar' ? trimTrailingSpaces(value as string) : (value as string);
    if (isStringType(target) || target === 'unknown') return text;
    return parseText(T[target], text, ctx);
  }
  if (isStringType(target)) {
    // bool → text is 'true'/'false' (booltext), not the output function's 't'/'f'.
    if (source === 'bool') return value === true ? 'true' : 'false';
    return formatText(from, value, ctx);
  }
  switch (target) {
    case 'int2':
    case 'int4':
    case 'int8':
      if (source === 'bool' && target !== 'int4') break;
      if (typeInfo(source).category === 'N' || source === 'bool') return castToInteger(value, source, target);
      break;
    case 'numeric':
      if (source === 'int2' || source === 'int4' || source === 'int8') return integerToNumeric(integerValue(value));
      if (source === 'float8') return floatToNumeric(value as number, 15);
      if (source === 'float4') return floatToNumeric(value as number, 6);
      break;
    case 'float4':
    case 'float8': {
      let number: number;
      if (source === 'int2' || source === 'int4') number = value as number;
      else if (source === 'int8') number = Number(value);
      else if (source === 'numeric') number = numericToFloat8(value as string);
      else if (source === 'float4' || source === 'float8') number = value as number;
      else break;
      return target === 'float4' ? toFloat4(number) : number;
    }
    case 'bool':
      if (source === 'int4') return (value as number) !== 0;
      break;
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      if (source === 'date' || source === 'timestamp' || source === 'timestamptz') {
        return castDateTime(value, source, target, ctx);
      }
      break;
    default:
      break;
  }
  throw cannotCast(from, to);
}

/**
 * The type a set of expressions resolves to (select_common_type): all unknown → text; else
 * the first known type, replaced by a later type of the same category that it converts to
 * implicitly but not back (so int4 then numeric → numeric; text wins among strings). A later
 * type of another category is 42804 '<context> types X and Y cannot be matched'. The typmod
 * survives only when every input has the same type and typmod.
 */
export function commonSuperType(types: readonly SqlType[], context = 'CASE'): SqlType {
  let chosen: SqlType | undefined;
  for (const type of types) {
    if (type.name === 'unknown') continue;
    if (chosen === undefined) {
      chosen = type;
      continue;
    }
    if (type.name === chosen.name) continue;
    const chosenInfo = typeInfo(chosen);
    const info = typeInfo(type);
    if (info.category !== chosenInfo.category) {
      throw new DbError(
        'DATATYPE_MISMATCH',
        `${context} types ${formatTypeName(chosen)} and ${formatTypeName(type)} cannot be matched`,
      );
    }
    if (!chosenInfo.preferred && canCoerce(chosen, type, 'implicit') && !canCoerce(type, chosen, 'implicit')) {
      chosen = type;
    }
  }
  if (chosen === undefined) return T.text;
  for (const type of types) {
    if (!canCoerce(type, chosen, 'implicit')) {
      throw new DbError(
        'DATATYPE_MISMATCH',
        `${context} could not convert type ${formatTypeName(type)} to ${formatTypeName(chosen)}`,
      );
    }
  }
  const typmod = chosen.typmod;
  const sameTypmod = types.every((type) => type.name === chosen.name && type.typmod === typmod);
  return sameTypmod ? chosen : T[chosen.name];
}
