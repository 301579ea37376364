// SQL ordering of runtime values of any SQL type, for comparison operators, GREATEST/LEAST,
// ORDER BY and DISTINCT on computed values. Storage types defer to the storage engine's
// compareValues, so an index and an expression always agree on order.
import type { ColumnType } from '../../access/value.js';
import { compareCodePoints, compareValues } from '../../access/value.js';
import type { Interval } from './interval.js';
import { compareIntervals } from './interval.js';
import type { SqlType } from './types.js';
import type { SqlValue } from './value.js';

/** bpchar compares without its trailing spaces (bpcharcmp). */
export function compareBpchar(a: string, b: string): number {
  let endA = a.length;
  while (endA > 0 && a.charCodeAt(endA - 1) === 0x20) endA--;
  let endB = b.length;
  while (endB > 0 && b.charCodeAt(endB - 1) === 0x20) endB--;
  return compareCodePoints(endA === a.length ? a : a.slice(0, endA), endB === b.length ? b : b.slice(0, endB));
}

const STORAGE_OF: Readonly<Record<Exclude<SqlType['name'], 'bpchar' | 'interval'>, ColumnType>> = {
  bool: 'bool',
  int2: 'int2',
  int4: 'int4',
  int8: 'int8',
  numeric: 'numeric',
  float4: 'float8',
  float8: 'float8',
  varchar: 'text',
  text: 'text',
  unknown: 'text',
  bytea: 'bytea',
  date: 'date',
  timestamp: 'timestamp',
  timestamptz: 'timestamp',
};

/**
 * Negative, zero or positive as `a` sorts before, with or after `b`, both of `type`. NULL sorts
 * after every value and equals NULL (PostgreSQL's ascending order), as in compareValues.
 */
export function compareSqlValues(type: SqlType, a: SqlValue, b: SqlValue): number {
  if (a === null || b === null) return a === null ? (b === null ? 0 : 1) : -1;
  switch (type.name) {
    case 'bpchar':
      return compareBpchar(a as string, b as string);
    case 'interval':
      return compareIntervals(a as Interval, b as Interval);
    default:
      return compareValues(STORAGE_OF[type.name], a as Exclude<SqlValue, Interval>, b as Exclude<SqlValue, Interval>);
  }
}
