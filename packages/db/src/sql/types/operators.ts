// Operator resolution and implementations: given an operator and its operand types, which
// implementation runs, what each operand is cast to first, and what type comes out — PostgreSQL's
// answers for these types (numeric promotion int2 < int4 < int8 < numeric < float4 < float8,
// unknown literals taking the other side's type, date/time arithmetic). Implementations are
// strict: the caller returns NULL for a NULL operand without calling them.
import { DbError } from '../../errors.js';
import type { EvalContext } from './context.js';
import { compareBpchar, compareSqlValues } from './compare.js';
import {
  DATE_NEG_INFINITY,
  DATE_POS_INFINITY,
  MICROS_PER_DAY,
  TIMESTAMP_NEG_INFINITY,
  TIMESTAMP_POS_INFINITY,
  addMonthsToDays,
  checkDate,
  checkTimestamp,
  isFiniteDate,
  isFiniteTimestamp,
  joinTimestamp,
  splitTimestamp,
} from './datetime.js';
import { checkInt32, checkInt64 } from './integer.js';
import type { Interval } from './interval.js';
import {
  addIntervals,
  checkedInterval,
  divideInterval,
  justifyHours,
  multiplyInterval,
  negateInterval,
  subtractIntervals,
} from './interval.js';
import {
  numericAdd,
  numericDivide,
  numericMod,
  numericMultiply,
  numericNegate,
  numericPower,
  numericSubtract,
} from './numeric.js';
import { castValue } from './casts.js';
import { localToUtc, utcToLocal } from './time-zone.js';
import type { SqlType, SqlTypeName } from './types.js';
import { T, formatTypeName, typeInfo } from './types.js';
import type { SqlValue } from './value.js';

export type BinaryOperatorFn = (left: SqlValue, right: SqlValue, ctx: EvalContext) => SqlValue;
export type UnaryOperatorFn = (operand: SqlValue, ctx: EvalContext) => SqlValue;

export interface ResolvedBinaryOperator {
  readonly resultType: SqlType;
  /** The caller casts the left operand to this type (castValue, implicit) before calling fn. */
  readonly leftType: SqlType;
  readonly rightType: SqlType;
  /** Strict: never called with a NULL operand. */
  readonly fn: BinaryOperatorFn;
}

export interface ResolvedUnaryOperator {
  readonly resultType: SqlType;
  readonly operandType: SqlType;
  readonly fn: UnaryOperatorFn;
}

export type BinaryOperatorName = '+' | '-' | '*' | '/' | '%' | '^' | '||' | '=' | '<>' | '!=' | '<' | '<=' | '>' | '>=';

function undefinedOperator(op: string, left: SqlType | undefined, right: SqlType): DbError {
  const operands =
    left === undefined ? `${op} ${formatTypeName(right)}` : `${formatTypeName(left)} ${op} ${formatTypeName(right)}`;
  return new DbError('UNDEFINED_FUNCTION', `operator does not exist: ${operands}`);
}

function divisionByZero(): DbError {
  return new DbError('DIVISION_BY_ZERO', 'division by zero');
}

// ---------------------------------------------------------------------------------------------
// Numeric promotion

const NUMERIC_RANK: Partial<Record<SqlTypeName, number>> = {
  int2: 0,
  int4: 1,
  int8: 2,
  numeric: 3,
  float4: 4,
  float8: 5,
};

/** The type both operands of a numeric operator become: the wider integer, numeric, or a float (float8 when mixed). */
export function promoteNumeric(left: SqlTypeName, right: SqlTypeName): SqlTypeName {
  if (left === right) return left;
  const isFloat = (name: SqlTypeName): boolean => name === 'float4' || name === 'float8';
  if (isFloat(left) || isFloat(right)) return 'float8';
  return (NUMERIC_RANK[left] ?? 0) >= (NUMERIC_RANK[right] ?? 0) ? left : right;
}

// ---------------------------------------------------------------------------------------------
// Arithmetic implementations

function int32Arithmetic(op: string, type: 'int2' | 'int4'): BinaryOperatorFn | undefined {
  switch (op) {
    case '+':
      return (a, b) => checkInt32((a as number) + (b as number), type);
    case '-':
      return (a, b) => checkInt32((a as number) - (b as number), type);
    case '*':
      return (a, b) => checkInt32((a as number) * (b as number), type);
    case '/':
      return (a, b) => {
        if (b === 0) throw divisionByZero();
        return checkInt32(Math.trunc((a as number) / (b as number)), type);
      };
    case '%':
      return (a, b) => {
        if (b === 0) throw divisionByZero();
        const remainder = (a as number) % (b as number);
        return remainder === 0 ? 0 : remainder;
      };
    default:
      return undefined;
  }
}

function int64Arithmetic(op: string): BinaryOperatorFn | undefined {
  switch (op) {
    case '+':
      return (a, b) => checkInt64((a as bigint) + (b as bigint));
    case '-':
      return (a, b) => checkInt64((a as bigint) - (b as bigint));
    case '*':
      return (a, b) => checkInt64((a as bigint) * (b as bigint));
    case '/':
      return (a, b) => {
        if (b === 0n) throw divisionByZero();
        return checkInt64((a as bigint) / (b as bigint));
      };
    case '%':
      return (a, b) => {
        if (b === 0n) throw divisionByZero();
        return (a as bigint) % (b as bigint);
      };
    default:
      return undefined;
  }
}

/** PostgreSQL's float checks: an infinite result from finite inputs overflows, a zero from non-zero inputs underflows. */
function checkFloat(result: number, a: number, b: number, float4: boolean, zeroOk: boolean): number {
  const value = float4 ? Math.fround(result) : result;
  if (!Number.isFinite(value) && Number.isFinite(a) && Number.isFinite(b)) {
    throw new DbError('VALUE_OUT_OF_RANGE', 'value out of range: overflow');
  }
  if (value === 0 && !zeroOk) throw new DbError('VALUE_OUT_OF_RANGE', 'value out of range: underflow');
  return value;
}

/** dpow's domain checks, then Math.pow. */
export function floatPower(a: number, b: number): number {
  if (a === 0 && b < 0) throw new DbError('INVALID_ARGUMENT', 'zero raised to a negative power is undefined');
  if (a < 0 && Number.isFinite(b) && !Number.isInteger(b)) {
    throw new DbError('INVALID_ARGUMENT', 'a negative number raised to a non-integer power yields a complex result');
  }
  // pow(1, NaN) and pow(NaN, 0) are 1 in C as in SQL; JS says NaN for the first.
  if (a === 1 || b === 0) return 1;
  const result = Math.pow(a, b);
  return checkFloat(result, a, b, false, result !== 0 || a === 0 || !Number.isFinite(b) || Math.abs(a) < 1 || b < 0);
}

function floatArithmetic(op: string, float4: boolean): BinaryOperatorFn | undefined {
  switch (op) {
    case '+':
      return (a, b) => checkFloat((a as number) + (b as number), a as number, b as number, float4, true);
    case '-':
      return (a, b) => checkFloat((a as number) - (b as number), a as number, b as number, float4, true);
    case '*':
      return (a, b) => {
        const x = a as number;
        const y = b as number;
        return checkFloat(x * y, x, y, float4, x === 0 || y === 0);
      };
    case '/':
      return (a, b) => {
        const x = a as number;
        const y = b as number;
        if (y === 0) throw divisionByZero();
        return checkFloat(x / y, x, y, float4, x === 0 || !Number.isFinite(y));
      };
    case '^':
      return (a, b) => floatPower(a as number, b as number);
    default:
      return undefined;
  }
}

function numericArithmetic(op: string): BinaryOperatorFn | undefined {
  switch (op) {
    case '+':
      return (a, b) => numericAdd(a as string, b as string);
    case '-':
      return (a, b) => numericSubtract(a as string, b as string);
    case '*':
      return (a, b) => numericMultiply(a as string, b as string);
    case '/':
      return (a, b) => numericDivide(a as string, b as string);
    case '%':
      return (a, b) => numericMod(a as string, b as string);
    case '^':
      return (a, b) => numericPower(a as string, b as string);
    default:
      return undefined;
  }
}

function numberArithmetic(op: string, type: SqlTypeName): BinaryOperatorFn | undefined {
  switch (type) {
    case 'int2':
    case 'int4':
      return int32Arithmetic(op, type);
    case 'int8':
      return int64Arithmetic(op);
    case 'numeric':
      return numericArithmetic(op);
    case 'float4':
    case 'float8':
      return floatArithmetic(op, type === 'float4');
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Date and time arithmetic

/** timestamp + interval: months (clamped to the month's end), then days, then time. */
export function timestampPlusInterval(micros: bigint, span: Interval): bigint {
  if (!isFiniteTimestamp(micros)) return micros;
  const { days, timeMicros } = splitTimestamp(micros);
  return checkTimestamp(joinTimestamp(addMonthsToDays(days, span.months) + span.days, timeMicros) + span.micros);
}

/** timestamptz + interval: months and days move the local date in the session zone (DST-aware); time is absolute. */
export function timestamptzPlusInterval(micros: bigint, span: Interval, timeZone: string): bigint {
  if (!isFiniteTimestamp(micros)) return micros;
  let result = micros;
  if (span.months !== 0 || span.days !== 0) {
    const { days, timeMicros } = splitTimestamp(utcToLocal(timeZone, micros));
    const local = joinTimestamp(addMonthsToDays(days, span.months) + span.days, timeMicros);
    result = localToUtc(timeZone, checkTimestamp(local));
  }
  return checkTimestamp(result + span.micros);
}

/** timestamp - timestamp: the difference in µs, whole days moved out (justify_hours). */
export function timestampDifference(a: bigint, b: bigint): Interval {
  if (!isFiniteTimestamp(a) || !isFiniteTimestamp(b)) {
    throw new DbError('DATETIME_OUT_OF_RANGE', 'cannot subtract infinite timestamps');
  }
  return justifyHours(checkedInterval(0, 0, a - b));
}

function datePlusDays(days: number, offset: number): number {
  if (!isFiniteDate(days)) return days;
  const result = days + offset;
  if (result >= DATE_POS_INFINITY || result <= DATE_NEG_INFINITY)
    throw new DbError('DATETIME_OUT_OF_RANGE', 'date out of range');
  return checkDate(result);
}

function dateToTimestamp(days: number): bigint {
  if (days === DATE_POS_INFINITY) return TIMESTAMP_POS_INFINITY;
  if (days === DATE_NEG_INFINITY) return TIMESTAMP_NEG_INFINITY;
  return checkTimestamp(BigInt(days) * MICROS_PER_DAY);
}

function resolved(
  resultType: SqlType,
  leftType: SqlType,
  rightType: SqlType,
  fn: BinaryOperatorFn,
): ResolvedBinaryOperator {
  return { resultType, leftType, rightType, fn };
}

const DATETIME_RANK: Partial<Record<SqlTypeName, number>> = { date: 0, timestamp: 1, timestamptz: 2 };

function isInteger32(name: SqlTypeName): boolean {
  return name === 'int2' || name === 'int4';
}

function resolveDateTimeArithmetic(
  op: string,
  left: SqlTypeName,
  right: SqlTypeName,
): ResolvedBinaryOperator | undefined {
  const interval = T.interval;
  if (left === 'date' && isInteger32(right) && (op === '+' || op === '-')) {
    const sign = op === '+' ? 1 : -1;
    return resolved(T.date, T.date, T.int4, (a, b) => datePlusDays(a as number, sign * (b as number)));
  }
  if (isInteger32(left) && right === 'date' && op === '+') {
    return resolved(T.date, T.int4, T.date, (a, b) => datePlusDays(b as number, a as number));
  }
  if (left === 'date' && right === 'date' && op === '-') {
    return resolved(T.int4, T.date, T.date, (a, b) => {
      if (!isFiniteDate(a as number) || !isFiniteDate(b as number)) {
        throw new DbError('DATETIME_OUT_OF_RANGE', 'cannot subtract infinite dates');
      }
      return checkInt32((a as number) - (b as number), 'int4');
    });
  }
  const leftIsTime = DATETIME_RANK[left] !== undefined;
  const rightIsTime = DATETIME_RANK[right] !== undefined;
  // datetime ± interval and interval + datetime; a date becomes a timestamp first.
  if (leftIsTime && right === 'interval' && (op === '+' || op === '-')) {
    const sign = op === '+';
    if (left === 'timestamptz') {
      return resolved(T.timestamptz, T.timestamptz, interval, (a, b, ctx) =>
        timestamptzPlusInterval(a as bigint, sign ? (b as Interval) : negateInterval(b as Interval), ctx.timeZone),
      );
    }
    const leftType = left === 'date' ? T.date : T.timestamp;
    return resolved(T.timestamp, leftType, interval, (a, b) => {
      const start = left === 'date' ? dateToTimestamp(a as number) : (a as bigint);
      return timestampPlusInterval(start, sign ? (b as Interval) : negateInterval(b as Interval));
    });
  }
  if (left === 'interval' && rightIsTime && op === '+') {
    if (right === 'timestamptz') {
      return resolved(T.timestamptz, interval, T.timestamptz, (a, b, ctx) =>
        timestamptzPlusInterval(b as bigint, a as Interval, ctx.timeZone),
      );
    }
    const rightType = right === 'date' ? T.date : T.timestamp;
    return resolved(T.timestamp, interval, rightType, (a, b) =>
      timestampPlusInterval(right === 'date' ? dateToTimestamp(b as number) : (b as bigint), a as Interval),
    );
  }
  if (leftIsTime && rightIsTime && op === '-') {
    const type = (DATETIME_RANK[left] ?? 0) >= (DATETIME_RANK[right] ?? 0) ? left : right;
    const common = type === 'date' ? T.timestamp : T[type];
    return resolved(interval, common, common, (a, b) => timestampDifference(a as bigint, b as bigint));
  }
  if (left === 'interval' && right === 'interval' && (op === '+' || op === '-')) {
    return resolved(interval, interval, interval, (a, b) =>
      op === '+' ? addIntervals(a as Interval, b as Interval) : subtractIntervals(a as Interval, b as Interval),
    );
  }
  const leftIsNumber = NUMERIC_RANK[left] !== undefined;
  const rightIsNumber = NUMERIC_RANK[right] !== undefined;
  if (left === 'interval' && rightIsNumber && (op === '*' || op === '/')) {
    return resolved(interval, interval, T.float8, (a, b) =>
      op === '*' ? multiplyInterval(a as Interval, b as number) : divideInterval(a as Interval, b as number),
    );
  }
  if (leftIsNumber && right === 'interval' && op === '*') {
    return resolved(interval, T.float8, interval, (a, b) => multiplyInterval(b as Interval, a as number));
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Comparison

const COMPARISONS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);

function comparisonFn(op: string, compare: (a: SqlValue, b: SqlValue) => number): BinaryOperatorFn {
  switch (op) {
    case '=':
      return (a, b) => compare(a, b) === 0;
    case '<>':
    case '!=':
      return (a, b) => compare(a, b) !== 0;
    case '<':
      return (a, b) => compare(a, b) < 0;
    case '<=':
      return (a, b) => compare(a, b) <= 0;
    case '>':
      return (a, b) => compare(a, b) > 0;
    default:
      return (a, b) => compare(a, b) >= 0;
  }
}

/** The type both sides of a comparison become, or undefined when PostgreSQL has no such comparison. */
function comparisonType(left: SqlTypeName, right: SqlTypeName): SqlTypeName | undefined {
  if (left === right) return left;
  const leftCategory = typeInfo(left).category;
  if (leftCategory !== typeInfo(right).category) return undefined;
  switch (leftCategory) {
    case 'N':
      return promoteNumeric(left, right);
    case 'S':
      // text = bpchar compares as text: the bpchar side loses its trailing spaces in the cast.
      return 'text';
    case 'D':
      return (DATETIME_RANK[left] ?? 0) >= (DATETIME_RANK[right] ?? 0) ? left : right;
    default:
      return undefined;
  }
}

function resolveComparison(op: string, left: SqlTypeName, right: SqlTypeName): ResolvedBinaryOperator | undefined {
  const common = comparisonType(left, right);
  if (common === undefined) return undefined;
  const type = T[common];
  const compare =
    common === 'bpchar'
      ? (a: SqlValue, b: SqlValue): number => compareBpchar(a as string, b as string)
      : (a: SqlValue, b: SqlValue): number => compareSqlValues(type, a, b);
  return resolved(T.bool, type, type, comparisonFn(op, compare));
}

// ---------------------------------------------------------------------------------------------
// Concatenation

function isString(name: SqlTypeName): boolean {
  return name === 'text' || name === 'varchar' || name === 'bpchar' || name === 'unknown';
}

function resolveConcat(left: SqlType, right: SqlType): ResolvedBinaryOperator | undefined {
  if (left.name === 'bytea' && right.name === 'bytea') {
    return resolved(T.bytea, T.bytea, T.bytea, (a, b) => {
      const x = a as Uint8Array;
      const y = b as Uint8Array;
      const result = new Uint8Array(x.length + y.length);
      result.set(x);
      result.set(y, x.length);
      return result;
    });
  }
  if (isString(left.name) && isString(right.name)) {
    return resolved(T.text, T.text, T.text, (a, b) => (a as string) + (b as string));
  }
  // anytextcat / textanycat: the non-text side is cast to text (so a boolean shows as 'true').
  if (isString(left.name)) {
    return resolved(T.text, T.text, right, (a, b, ctx) => (a as string) + (castValue(b, right, T.text, ctx) as string));
  }
  if (isString(right.name)) {
    return resolved(T.text, left, T.text, (a, b, ctx) => (castValue(a, left, T.text, ctx) as string) + (b as string));
  }
  return undefined;
}

/**
 * Resolves `left op right`. Unknown-typed operands (untyped literals, untyped parameters) take
 * the other side's type; two unknowns compare and concatenate as text. Throws 42883 'operator
 * does not exist: integer + boolean' when there is no such operator, and 'operator is not
 * unique' for arithmetic on two unknowns.
 */
export function resolveBinaryOperator(op: string, left: SqlType, right: SqlType): ResolvedBinaryOperator {
  const normalized = op === '!=' ? '<>' : op;
  if (normalized === '||') {
    const concat = resolveConcat(left, right);
    if (concat !== undefined) return concat;
    throw undefinedOperator(op, left, right);
  }
  let leftName = left.name;
  let rightName = right.name;
  if (leftName === 'unknown' && rightName === 'unknown') {
    if (!COMPARISONS.has(normalized)) {
      throw new DbError('UNDEFINED_FUNCTION', `operator is not unique: unknown ${op} unknown`);
    }
    leftName = 'text';
    rightName = 'text';
  } else if (leftName === 'unknown') {
    leftName = rightName;
  } else if (rightName === 'unknown') {
    rightName = leftName;
  }
  if (COMPARISONS.has(normalized)) {
    const comparison = resolveComparison(normalized, leftName, rightName);
    if (comparison !== undefined) return comparison;
    throw undefinedOperator(op, left, right);
  }
  const leftIsNumber = NUMERIC_RANK[leftName] !== undefined;
  const rightIsNumber = NUMERIC_RANK[rightName] !== undefined;
  if (leftIsNumber && rightIsNumber) {
    let type = promoteNumeric(leftName, rightName);
    if (normalized === '^') {
      // Only float8 and numeric have '^': numeric when no float is involved, else float8.
      type = type === 'numeric' ? 'numeric' : 'float8';
    }
    const fn = numberArithmetic(normalized, type);
    if (fn !== undefined) return resolved(T[type], T[type], T[type], fn);
    throw undefinedOperator(op, left, right);
  }
  const dateTime = resolveDateTimeArithmetic(normalized, leftName, rightName);
  if (dateTime !== undefined) return dateTime;
  throw undefinedOperator(op, left, right);
}

/** Resolves unary '-' and '+' on numbers and intervals; on an unknown operand it is 'not unique', as in PostgreSQL. */
export function resolveUnaryOperator(op: string, operand: SqlType): ResolvedUnaryOperator {
  const name = operand.name;
  if (op === '+' && (NUMERIC_RANK[name] !== undefined || name === 'interval')) {
    return { resultType: T[name], operandType: T[name], fn: (value) => value };
  }
  if (op === '-') {
    const type = T[name];
    switch (name) {
      case 'int2':
      case 'int4':
        return { resultType: type, operandType: type, fn: (value) => checkInt32(-(value as number), name) };
      case 'int8':
        return { resultType: type, operandType: type, fn: (value) => checkInt64(-(value as bigint)) };
      case 'numeric':
        return { resultType: type, operandType: type, fn: (value) => numericNegate(value as string) };
      case 'float4':
      case 'float8':
        return { resultType: type, operandType: type, fn: (value) => -(value as number) };
      case 'interval':
        return { resultType: type, operandType: type, fn: (value) => negateInterval(value as Interval) };
      default:
        break;
    }
  }
  if (name === 'unknown') throw new DbError('UNDEFINED_FUNCTION', `operator is not unique: ${op} unknown`);
  throw undefinedOperator(op, undefined, operand);
}
