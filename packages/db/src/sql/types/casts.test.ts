// Coercion rules for the planner: which casts apply in which context, and the common type of
// CASE/UNION/COALESCE branches (select_common_type), with PostgreSQL's error wording.
import { describe, expect, it } from 'vitest';
import { canCoerce, castValue, commonSuperType } from './casts.js';
import { fixedEvalContext } from './context.js';
import type { SqlType } from './types.js';
import { T, formatTypeName, parseTypeName } from './types.js';
import { errorOf } from '../../errors.test-support.js';

describe('canCoerce', () => {
  it('follows pg_cast contexts', () => {
    expect(canCoerce(T.int4, T.int8, 'implicit')).toBe(true);
    expect(canCoerce(T.int8, T.int4, 'implicit')).toBe(false);
    expect(canCoerce(T.int8, T.int4, 'assignment')).toBe(true);
    expect(canCoerce(T.numeric, T.float8, 'implicit')).toBe(true);
    expect(canCoerce(T.float8, T.numeric, 'implicit')).toBe(false);
    expect(canCoerce(T.float8, T.numeric, 'assignment')).toBe(true);
    expect(canCoerce(T.int4, T.bool, 'assignment')).toBe(false);
    expect(canCoerce(T.int4, T.bool, 'explicit')).toBe(true);
    expect(canCoerce(T.int4, T.text, 'implicit')).toBe(false);
    expect(canCoerce(T.int4, T.text, 'assignment')).toBe(true);
    expect(canCoerce(T.text, T.int4, 'assignment')).toBe(false);
    expect(canCoerce(T.text, T.int4, 'explicit')).toBe(true);
    expect(canCoerce(T.unknown, T.date, 'implicit')).toBe(true);
    expect(canCoerce(T.date, T.timestamptz, 'implicit')).toBe(true);
    expect(canCoerce(T.timestamptz, T.date, 'implicit')).toBe(false);
    expect(canCoerce(T.bpchar, T.text, 'implicit')).toBe(true);
    expect(canCoerce(T.int4, T.date, 'explicit')).toBe(false);
    expect(canCoerce(T.interval, T.int4, 'explicit')).toBe(false);
  });
});

describe('commonSuperType', () => {
  const varchar10 = parseTypeName(['varchar'], [10]);
  const CASES: readonly [SqlType[], string][] = [
    [[T.int4, T.numeric], 'numeric'],
    [[T.int2, T.int8, T.int4], 'bigint'],
    [[T.numeric, T.float8], 'double precision'],
    [[T.float4, T.int8], 'real'],
    [[T.unknown, T.int4], 'integer'],
    [[T.unknown, T.unknown], 'text'],
    // Strings convert implicitly both ways, so the first one stays (as PostgreSQL 15 prints).
    [[varchar10, T.text], 'character varying'],
    [[T.text, varchar10], 'text'],
    [[varchar10, varchar10], 'character varying(10)'],
    [[varchar10, parseTypeName(['varchar'], [5])], 'character varying'],
    [[T.bpchar, T.varchar], 'character'],
    [[T.date, T.timestamp], 'timestamp without time zone'],
    [[T.timestamp, T.timestamptz], 'timestamp with time zone'],
  ];

  it.each(CASES)('%j → %s', (types, expected) => {
    expect(formatTypeName(commonSuperType(types))).toBe(expected);
  });

  it('rejects mixed categories with 42804', () => {
    const error = errorOf(() => commonSuperType([T.int4, T.bool]));
    expect(error.sqlState).toBe('42804');
    expect(error.message).toBe(`${error.code}: CASE types integer and boolean cannot be matched`);
    expect(errorOf(() => commonSuperType([T.text, T.int4], 'UNION')).message).toContain(
      'UNION types text and integer cannot be matched',
    );
  });
});

describe('castValue', () => {
  it('passes NULL through every cast', () => {
    expect(castValue(null, T.text, T.int4, fixedEvalContext())).toBeNull();
  });

  it('rejects an over-long string in assignment but truncates in an explicit cast', () => {
    const varchar2 = parseTypeName(['varchar'], [2]);
    const ctx = fixedEvalContext();
    expect(castValue('abc', T.text, varchar2, ctx)).toBe('ab');
    expect(errorOf(() => castValue('abc', T.text, varchar2, ctx, 'assignment')).sqlState).toBe('22001');
  });

  it('keeps int8 exact through numeric and back', () => {
    const ctx = fixedEvalContext();
    const numeric = castValue(-(1n << 63n), T.int8, T.numeric, ctx);
    expect(numeric).toBe('-9223372036854775808');
    expect(castValue(numeric, T.numeric, T.int8, ctx)).toBe(-(1n << 63n));
    expect(errorOf(() => castValue('9223372036854775808', T.numeric, T.int8, ctx)).message).toContain(
      'bigint out of range',
    );
  });
});
