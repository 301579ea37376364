// Tests of column values: validation errors name the column and carry stable codes,
// canonical numerics, and SQL ordering (NULLs last, float8 NaN, numeric by value, code points).
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@tandem/testkit';
import type { TdbCodeName } from '../errors.js';
import { randomValue } from './random-value.js';
import type { ColumnType, Value } from './value.js';
import {
  COLUMN_TYPES,
  NUMERIC_MAX_DIGITS,
  compareCodePoints,
  compareTuples,
  compareValues,
  validateValue,
} from './value.js';
import { errorOf } from '../errors.test-support.js';

function expectRejected(type: ColumnType, value: unknown, codeName: TdbCodeName): void {
  const error = errorOf(() => validateValue(type, value, 'balance_col'));
  expect(error.codeName, `${type} ${String(value)}: ${error.message}`).toBe(codeName);
  expect(error.message).toContain('"balance_col"');
}

describe('validateValue', () => {
  it('accepts NULL for every type', () => {
    for (const type of COLUMN_TYPES) expect(validateValue(type, null, 'c')).toBeNull();
  });

  it('rejects a JS value of the wrong kind with TYPE_MISMATCH, naming the column', () => {
    const wrong: [ColumnType, unknown][] = [
      ['bool', 1],
      ['int2', 1n],
      ['int2', 1.5],
      ['int4', '1'],
      ['int4', NaN],
      ['int8', 1],
      ['float8', 1n],
      ['numeric', 1.5],
      ['text', new Uint8Array(1)],
      ['bytea', 'ab'],
      ['bytea', [1, 2]],
      ['timestamp', 0],
      ['date', 1.25],
      ['date', undefined],
    ];
    for (const [type, value] of wrong) expectRejected(type, value, 'TYPE_MISMATCH');
    const error = errorOf(() => validateValue('int8', 5, 'aid'));
    expect(error.code).toBe('TDB-5012');
    expect(error.sqlState).toBe('42804');
    expect(error.message).toMatch(/^TDB-5012: column "aid" \(int8\) expects a bigint, got number 5$/);
  });

  it('rejects values outside the range with VALUE_OUT_OF_RANGE', () => {
    const outside: [ColumnType, unknown][] = [
      ['int2', 32768],
      ['int2', -32769],
      ['int4', 2 ** 31],
      ['int4', -(2 ** 31) - 1],
      ['date', 2 ** 31],
      ['int8', 1n << 63n],
      ['int8', -(1n << 63n) - 1n],
      ['timestamp', 1n << 64n],
      ['numeric', '1'.repeat(NUMERIC_MAX_DIGITS + 1)],
      ['numeric', `1.${'0'.repeat(NUMERIC_MAX_DIGITS)}`],
    ];
    for (const [type, value] of outside) expectRejected(type, value, 'VALUE_OUT_OF_RANGE');
    expect(errorOf(() => validateValue('int2', 40000, 'x')).code).toBe('TDB-5011');
  });

  it('accepts the extremes of each range', () => {
    expect(validateValue('int2', -32768, 'c')).toBe(-32768);
    expect(validateValue('int4', 2 ** 31 - 1, 'c')).toBe(2 ** 31 - 1);
    expect(validateValue('int8', -(1n << 63n), 'c')).toBe(-(1n << 63n));
    expect(validateValue('numeric', '9'.repeat(NUMERIC_MAX_DIGITS), 'c')).toBe('9'.repeat(NUMERIC_MAX_DIGITS));
    expect(validateValue('numeric', `0.${'0'.repeat(NUMERIC_MAX_DIGITS - 1)}1`, 'c')).toHaveLength(
      NUMERIC_MAX_DIGITS + 2,
    );
    expect(validateValue('float8', NaN, 'c')).toBeNaN();
    expect(Object.is(validateValue('float8', -0, 'c'), -0)).toBe(true);
    expect(Object.is(validateValue('int4', -0, 'c'), 0)).toBe(true);
  });

  it('rejects malformed numeric text with INVALID_TEXT_REPRESENTATION', () => {
    for (const text of ['', '.', '-', '+.', 'abc', '1e5', '1.2.3', ' 1', '1 ', '0x10', 'NaN', 'Infinity', '١']) {
      expectRejected('numeric', text, 'INVALID_TEXT_REPRESENTATION');
    }
    expect(errorOf(() => validateValue('numeric', 'abc', 'c')).sqlState).toBe('22P02');
  });

  it('canonicalises numeric text but keeps its scale', () => {
    const cases: [string, string][] = [
      ['-12.50', '-12.50'],
      ['+7', '7'],
      ['007.50', '7.50'],
      ['-0', '0'],
      ['-0.000', '0.000'],
      ['.5', '0.5'],
      ['-.5', '-0.5'],
      ['5.', '5'],
      ['000', '0'],
      ['0.10', '0.10'],
    ];
    for (const [input, canonical] of cases) expect(validateValue('numeric', input, 'c')).toBe(canonical);
  });

  it('rejects text with a lone surrogate but accepts NUL and astral characters', () => {
    for (const text of ['a\uD800', '\uDC00b', 'x\uDBFF\uDBFFy'])
      expectRejected('text', text, 'CHARACTER_NOT_IN_REPERTOIRE');
    expect(validateValue('text', 'a\0b😀', 'c')).toBe('a\0b😀');
  });
});

describe('compareValues', () => {
  it('sorts NULL after every value of every type', () => {
    const random = new SeededRandom(11);
    for (const type of COLUMN_TYPES) {
      for (let i = 0; i < 20; i++) {
        const value = randomValue(random, type, 0);
        expect(compareValues(type, value, null), `${type} seed ${random.seed}`).toBeLessThan(0);
        expect(compareValues(type, null, value)).toBeGreaterThan(0);
      }
      expect(compareValues(type, null, null)).toBe(0);
    }
  });

  it('orders float8 like PostgreSQL: -0 = 0, NaN = NaN and above +Infinity', () => {
    const ascending = [-Infinity, -Number.MAX_VALUE, -1, -Number.MIN_VALUE, 0, Number.MIN_VALUE, 1, Infinity, NaN];
    expectAscending('float8', ascending);
    expect(compareValues('float8', -0, 0)).toBe(0);
    expect(compareValues('float8', NaN, NaN)).toBe(0);
  });

  it('orders numeric by value, whatever the scale', () => {
    expectAscending('numeric', [
      '-100',
      '-99.99',
      '-1.5',
      '-1',
      '-0.001',
      '0',
      '0.001',
      '0.01',
      '0.5',
      '1',
      '1.05',
      '10',
    ]);
    expect(compareValues('numeric', '1.50', '1.5')).toBe(0);
    expect(compareValues('numeric', '0.000', '0')).toBe(0);
    expect(compareValues('numeric', '-2.10', '-2.1')).toBe(0);
  });

  it('agrees with exact rational comparison on random numerics', () => {
    const random = new SeededRandom(12);
    for (let i = 0; i < 3000; i++) {
      const a = randomValue(random, 'numeric', 0) as string;
      const b = random.chance(0.2) ? a : (randomValue(random, 'numeric', 0) as string);
      expect(Math.sign(compareValues('numeric', a, b)), `seed ${random.seed}: ${a} vs ${b}`).toBe(exactCompare(a, b));
    }
  });

  it('orders text by code point, not UTF-16 code unit', () => {
    expectAscending('text', ['', '\0', 'a', 'a\0', 'ab', 'b', 'é', '\uFFFF', '\u{10000}', '😀']);
    expect('\uFFFF' < '\u{10000}').toBe(false); // what JS itself would do
    expect(compareCodePoints('\uE000', '\u{10000}')).toBeLessThan(0);
  });

  it('orders bytea unsigned, a prefix first, and bool false first', () => {
    expectAscending('bytea', [
      new Uint8Array([]),
      new Uint8Array([0]),
      new Uint8Array([0, 0]),
      new Uint8Array([1]),
      new Uint8Array([0xff]),
    ]);
    expectAscending('bool', [false, true]);
    expectAscending('int8', [-(1n << 63n), -1n, 0n, (1n << 63n) - 1n]);
  });

  it('compares tuples lexicographically, a prefix first', () => {
    const types: ColumnType[] = ['int4', 'text'];
    expect(compareTuples(types, [1, 'b'], [2, 'a'])).toBeLessThan(0);
    expect(compareTuples(types, [1, 'b'], [1, 'a'])).toBeGreaterThan(0);
    expect(compareTuples(types, [1], [1, 'a'])).toBeLessThan(0);
    expect(compareTuples(types, [1, null], [1, 'z'])).toBeGreaterThan(0);
    expect(compareTuples(types, [1, null], [1, null])).toBe(0);
  });
});

function expectAscending(type: ColumnType, values: readonly Value[]): void {
  for (let i = 0; i < values.length; i++) {
    for (let j = 0; j < values.length; j++) {
      expect(Math.sign(compareValues(type, values[i], values[j])), `${type} #${i} vs #${j}`).toBe(Math.sign(i - j));
    }
  }
}

/** Exact comparison of two decimal strings through BigInt at a common scale. */
function exactCompare(a: string, b: string): number {
  const scale = Math.max(fractionLength(a), fractionLength(b));
  const scaledA = toScaled(a, scale);
  const scaledB = toScaled(b, scale);
  return scaledA < scaledB ? -1 : scaledA > scaledB ? 1 : 0;
}

function fractionLength(text: string): number {
  const point = text.indexOf('.');
  return point < 0 ? 0 : text.length - point - 1;
}

function toScaled(text: string, scale: number): bigint {
  const digits = text.replace('.', '') + '0'.repeat(scale - fractionLength(text));
  return BigInt(digits);
}
