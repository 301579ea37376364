// Function resolution and the behaviour the conformance table cannot show: NULL handling,
// volatility, Oracle additions (nvl, instr, sysdate), GREATEST/LEAST and the context clock.
import { describe, expect, it } from 'vitest';
import { fixedEvalContext } from './context.js';
import { greatestOrLeast, lookupFunction } from './functions.js';
import { formatText } from './text-io.js';
import { T, formatTypeName } from './types.js';
import { errorOf } from '../../errors.test-support.js';

// 2024-01-01 15:00:00 UTC
const ctx = fixedEvalContext({ timeZone: 'Asia/Seoul', timestamp: 1_704_121_200_000_000n, random: () => 0.25 });

describe('lookupFunction', () => {
  it('reports a missing function with 42883 and the argument types', () => {
    const error = errorOf(() => lookupFunction('foo', [T.int4]));
    expect(error.sqlState).toBe('42883');
    expect(error.message).toBe(`${error.code}: function foo(integer) does not exist`);
    expect(errorOf(() => lookupFunction('upper', [T.int4, T.int4])).message).toContain(
      'function upper(integer, integer) does not exist',
    );
  });

  it('prefers exact matches, then preferred types', () => {
    expect(formatTypeName(lookupFunction('abs', [T.int2]).resultType)).toBe('smallint');
    expect(formatTypeName(lookupFunction('round', [T.int4]).resultType)).toBe('double precision');
    expect(formatTypeName(lookupFunction('round', [T.numeric, T.int4]).resultType)).toBe('numeric');
    expect(formatTypeName(lookupFunction('date_trunc', [T.unknown, T.date]).resultType)).toBe(
      'timestamp with time zone',
    );
    expect(lookupFunction('length', [T.unknown]).argTypes[0]).toBe(T.text);
  });

  it('wraps strict functions so a NULL argument gives NULL', () => {
    const upper = lookupFunction('upper', [T.text]);
    expect(upper.strict).toBe(true);
    expect(upper.fn([null], ctx)).toBeNull();
    expect(lookupFunction('concat', [T.text, T.int4]).strict).toBe(false);
  });

  it('marks random and clock_timestamp volatile, and reads them from the context', () => {
    const random = lookupFunction('random', []);
    expect(random.volatile).toBe(true);
    expect(random.fn([], ctx)).toBe(0.25);
    expect(lookupFunction('now', []).volatile).toBe(false);
    const clock = lookupFunction('clock_timestamp', []);
    expect(clock.volatile).toBe(true);
    expect(clock.fn([], { ...ctx, clockTimestamp: () => 42n })).toBe(42n);
  });

  it('reads now(), current_date, localtimestamp and sysdate from the context in the session zone', () => {
    const show = (name: string): string => {
      const resolved = lookupFunction(name, []);
      return formatText(resolved.resultType, resolved.fn([], ctx), ctx);
    };
    expect(show('now')).toBe('2024-01-02 00:00:00+09');
    expect(show('current_timestamp')).toBe('2024-01-02 00:00:00+09');
    expect(show('statement_timestamp')).toBe('2024-01-02 00:00:00+09');
    expect(show('current_date')).toBe('2024-01-02');
    expect(show('localtimestamp')).toBe('2024-01-02 00:00:00');
    expect(show('sysdate')).toBe('2024-01-02 00:00:00');
  });
});

describe('Oracle additions', () => {
  it('nvl returns the first non-NULL argument in the common type', () => {
    const nvl = lookupFunction('nvl', [T.int4, T.numeric]);
    expect(formatTypeName(nvl.resultType)).toBe('numeric');
    expect(nvl.argTypes).toEqual([T.numeric, T.numeric]);
    expect(nvl.fn([null, '2.5'], ctx)).toBe('2.5');
    expect(nvl.fn(['1', '2.5'], ctx)).toBe('1');
    expect(nvl.fn([null, null], ctx)).toBeNull();
    expect(errorOf(() => lookupFunction('nvl', [T.int4, T.bool])).sqlState).toBe('42883');
  });

  it('instr finds a substring by character position', () => {
    const instr = lookupFunction('instr', [T.text, T.text]);
    expect(instr.fn(['héllo', 'l'], ctx)).toBe(3);
    expect(instr.fn(['hello', 'z'], ctx)).toBe(0);
  });
});

describe('greatestOrLeast', () => {
  it('ignores NULLs and is NULL only when all are', () => {
    expect(greatestOrLeast(T.int4, [1, null, 3, 2], 'greatest')).toBe(3);
    expect(greatestOrLeast(T.numeric, ['1.50', null, '-2'], 'least')).toBe('-2');
    expect(greatestOrLeast(T.text, [null, null], 'greatest')).toBeNull();
  });
});
