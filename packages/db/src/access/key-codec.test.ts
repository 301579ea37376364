// Tests of the key codec: round trips of every type's edge values, and the property the
// B+tree rests on: byte order of encodings = SQL order of tuples, and prefix bounds select
// exactly the keys with that prefix.
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@tandem/testkit';
import type { Random } from '@tandem/testkit';
import { AssertionError } from '../assert.js';
import { compareKeys, decodeKey, encodeKey, encodeKeyPrefix, successorOfPrefix } from './key-codec.js';
import { randomTuple, randomValue } from './random-value.js';
import type { ColumnType, Value } from './value.js';
import { COLUMN_TYPES, NUMERIC_MAX_DIGITS, compareTuples, compareValues } from './value.js';

const EDGES: Readonly<Record<ColumnType, readonly Value[]>> = {
  bool: [false, true],
  int2: [-32768, -1, 0, 1, 32767],
  int4: [-(2 ** 31), -1, 0, 1, 2 ** 31 - 1],
  int8: [-(1n << 63n), -(1n << 63n) + 1n, -1n, 0n, 1n, (1n << 63n) - 1n],
  float8: [-Infinity, -Number.MAX_VALUE, -1.5, -Number.MIN_VALUE, -0, 0, Number.MIN_VALUE, 2.5, Infinity, NaN],
  numeric: [
    `-${'9'.repeat(NUMERIC_MAX_DIGITS)}`,
    '-1000000',
    '-12.50',
    '-12.5',
    '-1.05',
    `-0.${'0'.repeat(NUMERIC_MAX_DIGITS - 1)}1`,
    '0',
    '0.000',
    `0.${'0'.repeat(NUMERIC_MAX_DIGITS - 1)}1`,
    '0.01',
    '0.1',
    '1',
    '1.5',
    '1.50',
    '10',
    '100',
    '1000',
    '123456789.987654321',
    `${'9'.repeat(NUMERIC_MAX_DIGITS)}`,
  ],
  text: [
    '',
    '\0',
    '\0\0',
    'a',
    'a\0',
    `a${'\0'.repeat(40)}`,
    'a\0b',
    `a${'\0b'.repeat(30)}`,
    'ab',
    'é',
    '\uFFFF',
    '\u{10000}',
    '😀x',
    'x'.repeat(3000),
  ],
  bytea: [
    new Uint8Array([]),
    new Uint8Array([0]),
    new Uint8Array([0, 0xff]),
    new Uint8Array([0, 0xff, 0]),
    new Uint8Array([1]),
    new Uint8Array([0xff, 0xff]),
    new Uint8Array(5000).fill(0),
  ],
  timestamp: [-(1n << 63n), -86_400_000_000n, 0n, 1_700_000_000_000_000n, (1n << 63n) - 1n],
  date: [-(2 ** 31), -719_162, -1, 0, 19_000, 2 ** 31 - 1],
};

/** The value a key decodes to: keys normalise -0, NaN payloads and trailing fraction zeros. */
function keyForm(type: ColumnType, value: Value): Value {
  if (type === 'float8' && value === 0) return 0;
  if (type === 'numeric' && typeof value === 'string' && value.includes('.')) {
    return value.replace(/\.?0+$/, '');
  }
  return value;
}

function randomTypes(random: Random): ColumnType[] {
  return Array.from({ length: random.int(1, 5) }, () => random.pick(COLUMN_TYPES));
}

/** A tuple equal to `base` up to a random column, random after it: prefixes often tie. */
function relatedTuple(random: Random, types: readonly ColumnType[], base: readonly Value[]): Value[] {
  const keep = random.int(0, types.length + 1);
  return types.map((type, i) => (i < keep ? base[i] : randomValue(random, type)));
}

describe('key codec', () => {
  it.each(COLUMN_TYPES)('round-trips the edge values of %s, in order', (type) => {
    const edges = EDGES[type];
    for (const value of [...edges, null]) {
      const decoded = decodeKey([type], encodeKey([type], [value]));
      expect(decoded).toEqual([keyForm(type, value)]);
    }
    // The edges are listed in ascending order (equal neighbours allowed).
    const keys = [...edges, null].map((value) => encodeKey([type], [value]));
    for (let i = 0; i < keys.length; i++) {
      for (let j = 0; j < keys.length; j++) {
        const valueOrder = Math.sign(compareValues(type, [...edges, null][i], [...edges, null][j]));
        expect(Math.sign(compareKeys(keys[i], keys[j])), `${type} #${i} vs #${j}`).toBe(valueOrder);
      }
    }
  });

  it('encodes equal values to equal bytes: 1.50 = 1.5, -0 = 0, every NaN', () => {
    const key = (type: ColumnType, value: Value): Uint8Array => encodeKey([type], [value]);
    expect(key('numeric', '1.50')).toEqual(key('numeric', '1.5'));
    expect(key('numeric', '0.000')).toEqual(key('numeric', '0'));
    expect(key('numeric', '-100.0')).toEqual(key('numeric', '-100'));
    expect(key('float8', -0)).toEqual(key('float8', 0));
    const negativeNaN = new Float64Array(new Uint8Array([1, 0, 0, 0, 0, 0, 0xf8, 0xff]).buffer)[0];
    expect(negativeNaN).toBeNaN();
    expect(key('float8', negativeNaN)).toEqual(key('float8', NaN));
    expect(compareKeys(key('float8', Infinity), key('float8', NaN))).toBeLessThan(0);
  });

  it('decodes numerics without trailing fraction zeros', () => {
    const roundTrip = (value: string): Value => decodeKey(['numeric'], encodeKey(['numeric'], [value]))[0];
    expect(roundTrip('-12.50')).toBe('-12.5');
    expect(roundTrip('1000')).toBe('1000');
    expect(roundTrip('0.0500')).toBe('0.05');
    expect(roundTrip('10.10')).toBe('10.1');
    expect(roundTrip('0.000')).toBe('0');
  });

  it('keeps NUL and non-BMP characters in text keys', () => {
    const text = 'a\0\0b\u{1F600}\uFFFF\0';
    expect(decodeKey(['text', 'int4'], encodeKey(['text', 'int4'], [text, 7]))).toEqual([text, 7]);
  });

  it('gives byte order equal to tuple order on thousands of random tuples', () => {
    for (let seed = 1; seed <= 4; seed++) {
      const random = new SeededRandom(seed);
      for (let round = 0; round < 1000; round++) {
        const types = randomTypes(random);
        const a = randomTuple(random, types);
        const b = random.chance(0.1) ? a : relatedTuple(random, types, a);
        const keyA = encodeKey(types, a);
        const keyB = encodeKey(types, b);
        const expected = Math.sign(compareTuples(types, a, b));
        if (Math.sign(compareKeys(keyA, keyB)) !== expected) {
          throw new Error(`seed ${seed} round ${round}: types ${types.join()} keys order differs from tuples`);
        }
        const decoded = decodeKey(types, keyA);
        if (compareTuples(types, decoded, a) !== 0 || decoded.length !== a.length) {
          throw new Error(`seed ${seed} round ${round}: types ${types.join()} did not round-trip`);
        }
      }
    }
  });

  it('sorts a random table by bytes exactly as by values', () => {
    const random = new SeededRandom(99);
    const types: ColumnType[] = ['text', 'numeric', 'int8', 'float8'];
    const tuples: Value[][] = [];
    for (let i = 0; i < 600; i++)
      tuples.push(
        i > 0 && random.chance(0.5) ? relatedTuple(random, types, random.pick(tuples)) : randomTuple(random, types),
      );
    const byValue = tuples.slice().sort((a, b) => compareTuples(types, a, b));
    const byKey = tuples.map((tuple) => encodeKey(types, tuple)).sort(compareKeys);
    for (let i = 0; i < byValue.length; i++) {
      expect(compareTuples(types, decodeKey(types, byKey[i]), byValue[i]), `seed ${random.seed} row ${i}`).toBe(0);
    }
  });

  it('bounds a prefix scan to exactly the keys with that prefix', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const random = new SeededRandom(seed * 31);
      const types: ColumnType[] = [random.pick(COLUMN_TYPES), random.pick(COLUMN_TYPES), 'int4'];
      const tuples: Value[][] = [];
      for (let i = 0; i < 300; i++) {
        tuples.push(
          i > 0 && random.chance(0.6) ? relatedTuple(random, types, random.pick(tuples)) : randomTuple(random, types),
        );
      }
      const keys = tuples.map((tuple) => encodeKey(types, tuple));
      for (let probe = 0; probe < 60; probe++) {
        const prefixLength = random.int(0, types.length + 1);
        const prefix = random.pick(tuples).slice(0, prefixLength);
        const lower = encodeKeyPrefix(types, prefix);
        const upper = successorOfPrefix(lower);
        for (let i = 0; i < tuples.length; i++) {
          const hasPrefix = compareTuples(types, tuples[i].slice(0, prefixLength), prefix) === 0;
          const inRange = compareKeys(keys[i], lower) >= 0 && (upper === null || compareKeys(keys[i], upper) < 0);
          if (hasPrefix !== inRange) {
            throw new Error(`seed ${random.seed} probe ${probe}: key ${i} hasPrefix ${hasPrefix} inRange ${inRange}`);
          }
          // Keys after the whole prefix start at the successor; keys before end at the prefix.
          const order = compareTuples(types, tuples[i].slice(0, prefixLength), prefix);
          if (upper !== null && order > 0 !== compareKeys(keys[i], upper) >= 0) {
            throw new Error(`seed ${random.seed} probe ${probe}: key ${i} misplaced against the successor`);
          }
          if (order < 0 !== compareKeys(keys[i], lower) < 0) {
            throw new Error(`seed ${random.seed} probe ${probe}: key ${i} misplaced against the prefix`);
          }
        }
        expect(decodeKey(types, lower)).toHaveLength(prefixLength);
      }
    }
  });

  it('computes successors, and none past all-0xFF', () => {
    expect(successorOfPrefix(new Uint8Array([1, 2, 3]))).toEqual(new Uint8Array([1, 2, 4]));
    expect(successorOfPrefix(new Uint8Array([1, 0xff, 0xff]))).toEqual(new Uint8Array([2]));
    expect(successorOfPrefix(new Uint8Array([0xff]))).toBeNull();
    expect(successorOfPrefix(new Uint8Array([]))).toBeNull();
  });

  it('compares keys bytewise, unsigned, a prefix first', () => {
    expect(compareKeys(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(0);
    expect(compareKeys(new Uint8Array([1]), new Uint8Array([1, 0]))).toBeLessThan(0);
    expect(compareKeys(new Uint8Array([0x80]), new Uint8Array([0x7f, 0xff]))).toBeGreaterThan(0);
  });

  it('asserts on keys of the wrong arity or JS type, and on truncated bytes', () => {
    expect(() => encodeKey(['int4', 'int4'], [1])).toThrow(AssertionError);
    expect(() => encodeKey(['int8'], [1])).toThrow(AssertionError);
    const key = encodeKey(['text', 'int4'], ['abc', 5]);
    expect(() => decodeKey(['text', 'int4'], key.subarray(0, key.length - 1))).toThrow(/truncated/);
    expect(() => decodeKey(['text'], key)).toThrow(AssertionError);
  });

  it('returns values that do not alias the key bytes', () => {
    const key = encodeKey(['bytea'], [new Uint8Array([5, 6])]);
    const [bytes] = decodeKey(['bytea'], key) as [Uint8Array];
    key.fill(0);
    expect(bytes).toEqual(new Uint8Array([5, 6]));
  });
});
