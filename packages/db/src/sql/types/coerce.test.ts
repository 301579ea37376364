// Typmod coercion on assignment and explicit casts: char(n) padding, varchar(n) limits,
// numeric(p,s) rounding and overflow, timestamp(p) rounding.
import { describe, expect, it } from 'vitest';
import { applyTypmod } from './coerce.js';
import { parseTypeName } from './types.js';
import { errorOf } from '../../errors.test-support.js';

const char3 = parseTypeName(['char'], [3]);
const varchar3 = parseTypeName(['varchar'], [3]);
const numeric52 = parseTypeName(['numeric'], [5, 2]);

describe('applyTypmod', () => {
  it('pads char(n) and cuts only trailing spaces', () => {
    expect(applyTypmod(char3, 'a')).toBe('a  ');
    expect(applyTypmod(char3, 'abc   ')).toBe('abc');
    expect(applyTypmod(char3, '😀')).toBe('😀  ');
    const error = errorOf(() => applyTypmod(char3, 'abcd'));
    expect(error.sqlState).toBe('22001');
    expect(error.message).toBe(`${error.code}: value too long for type character(3)`);
  });

  it('limits varchar(n) without padding, counting characters', () => {
    expect(applyTypmod(varchar3, 'a')).toBe('a');
    expect(applyTypmod(varchar3, 'ab   ')).toBe('ab ');
    expect(applyTypmod(varchar3, '😀😀😀')).toBe('😀😀😀');
    expect(errorOf(() => applyTypmod(varchar3, 'abcd')).message).toContain(
      'value too long for type character varying(3)',
    );
  });

  it('truncates silently in an explicit cast', () => {
    expect(applyTypmod(varchar3, 'abcdef', true)).toBe('abc');
    expect(applyTypmod(char3, 'abcdef', true)).toBe('abc');
  });

  it('rounds numeric(p,s) half away from zero and rejects overflow', () => {
    expect(applyTypmod(numeric52, '1.005')).toBe('1.01');
    expect(applyTypmod(numeric52, '-1.005')).toBe('-1.01');
    expect(applyTypmod(numeric52, '999.994')).toBe('999.99');
    expect(applyTypmod(numeric52, '7')).toBe('7.00');
    const error = errorOf(() => applyTypmod(numeric52, '999.995'));
    expect(error.sqlState).toBe('22003');
    expect(error.message).toBe(`${error.code}: numeric field overflow`);
    expect(applyTypmod(parseTypeName(['numeric'], [2, 2]), '0.994')).toBe('0.99');
    expect(errorOf(() => applyTypmod(parseTypeName(['numeric'], [2, 2]), '1')).sqlState).toBe('22003');
  });

  it('rounds timestamp(p) fractions half away from zero', () => {
    expect(applyTypmod(parseTypeName(['timestamp'], [0]), 1_500_000n)).toBe(2_000_000n);
    expect(applyTypmod(parseTypeName(['timestamp'], [0]), -1_500_000n)).toBe(-2_000_000n);
    expect(applyTypmod(parseTypeName(['timestamp'], [3]), 1_234_567n)).toBe(1_235_000n);
    expect(applyTypmod(parseTypeName(['timestamptz'], [6]), 1_234_567n)).toBe(1_234_567n);
  });

  it('passes NULL and typmod-less types through', () => {
    expect(applyTypmod(char3, null)).toBeNull();
    expect(applyTypmod(parseTypeName(['text'], []), 'abcdef')).toBe('abcdef');
  });
});
