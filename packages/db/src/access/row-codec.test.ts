// Tests of the row codec: exact round trips (including -0 and NaN payloads), single-column
// reads, rows older than an ADD COLUMN, and the compactness a pgbench row needs.
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@tandem/testkit';
import { AssertionError } from '../assert.js';
import { randomTuple } from './random-value.js';
import { decodeColumn, decodeRow, encodeRow } from './row-codec.js';
import type { ColumnType, Value } from './value.js';
import { COLUMN_TYPES } from './value.js';

describe('row codec', () => {
  it('round-trips random rows with NULLs, and decodeColumn agrees with decodeRow', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const random = new SeededRandom(seed);
      for (let round = 0; round < 700; round++) {
        const types = Array.from({ length: random.int(0, 20) }, () => random.pick(COLUMN_TYPES));
        const values = randomTuple(random, types, random.pick([0, 0.2, 0.9]));
        const row = encodeRow(types, values);
        const decoded = decodeRow(types, row);
        expect(decoded, `seed ${seed} round ${round} types ${types.join()}`).toEqual(values);
        for (let i = 0; i < types.length; i++) {
          expect(decodeColumn(types, row, i), `seed ${seed} round ${round} column ${i}`).toEqual(decoded[i]);
        }
      }
    }
  });

  it('keeps what keys normalise away: -0, NaN payloads, numeric scale', () => {
    const negativeNaN = new Float64Array(new Uint8Array([1, 0, 0, 0, 0, 0, 0xf8, 0xff]).buffer)[0];
    const types: ColumnType[] = ['float8', 'float8', 'numeric', 'numeric'];
    const [negativeZero, nan, scaled, zero] = decodeRow(types, encodeRow(types, [-0, negativeNaN, '-12.50', '0.000']));
    expect(Object.is(negativeZero, -0)).toBe(true);
    expect(new Uint8Array(new Float64Array([nan as number]).buffer)).toEqual(
      new Uint8Array([1, 0, 0, 0, 0, 0, 0xf8, 0xff]),
    );
    expect([scaled, zero]).toEqual(['-12.50', '0.000']);
  });

  it('reads rows written before ADD COLUMN with NULLs for the new columns', () => {
    const random = new SeededRandom(5);
    for (let round = 0; round < 300; round++) {
      const types = Array.from({ length: random.int(1, 20) }, () => random.pick(COLUMN_TYPES));
      const oldCount = random.int(0, types.length + 1);
      const oldValues = randomTuple(random, types.slice(0, oldCount));
      const row = encodeRow(types.slice(0, oldCount), oldValues);
      const expected = [...oldValues, ...new Array<Value>(types.length - oldCount).fill(null)];
      expect(decodeRow(types, row), `seed ${random.seed} round ${round}`).toEqual(expected);
      const column = random.int(0, types.length);
      expect(decodeColumn(types, row, column)).toEqual(expected[column]);
    }
  });

  it('stores a pgbench row (int4, int4, int4, 84-character text) in about 100 bytes', () => {
    const types: ColumnType[] = ['int4', 'int4', 'int4', 'text'];
    const row = encodeRow(types, [123456, 1, -4200, ' '.repeat(84)]);
    // count 1 + bitmap 1 + 3 × 4 + length 1 + 84
    expect(row.length).toBe(99);
    expect(encodeRow(types, [1, null, null, null]).length).toBe(6);
  });

  it('handles long values and wide bitmaps', () => {
    const types: ColumnType[] = [...new Array<ColumnType>(17).fill('int2'), 'text', 'bytea'];
    const values: Value[] = [...new Array<Value>(17).fill(null), 'é'.repeat(200), new Uint8Array(20_000).fill(7)];
    values[16] = -5;
    const row = encodeRow(types, values);
    expect(decodeRow(types, row)).toEqual(values);
    expect(decodeColumn(types, row, 18)).toEqual(values[18]);
  });

  it('returns values that do not alias the row bytes', () => {
    const row = encodeRow(['bytea'], [new Uint8Array([1, 2, 3])]);
    const [bytes] = decodeRow(['bytea'], row) as [Uint8Array];
    row.fill(0);
    expect(bytes).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('asserts on truncated rows, trailing bytes and rows wider than the schema', () => {
    const types: ColumnType[] = ['int4', 'text'];
    const row = encodeRow(types, [7, 'hello']);
    expect(() => decodeRow(types, row.subarray(0, row.length - 1))).toThrow(/truncated/);
    expect(() => decodeRow(types, new Uint8Array([...row, 0]))).toThrow(/left over/);
    expect(() => decodeRow(['int4'], row)).toThrow(AssertionError);
    expect(() => encodeRow(types, [7])).toThrow(AssertionError);
    expect(() => encodeRow(types, ['7', 'x'])).toThrow(AssertionError);
  });
});
