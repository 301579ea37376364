// Seeded property tests: numeric add/sub/mul agree with exact bigint arithmetic, and every
// type's text and binary forms read back to the same value. A failure prints its seed; replay
// it with TANDEM_SEED=<seed>.
import { describe, expect, it } from 'vitest';
import type { Random } from '@tandem/testkit';
import { SeededRandom, seedFromEnvironment } from '@tandem/testkit';
import { randomValue } from '../../access/random-value.js';
import { decodeBinary, encodeBinary } from './binary-io.js';
import { fixedEvalContext } from './context.js';
import { DATE_END_DAYS, DATE_MIN_DAYS, TIMESTAMP_END, TIMESTAMP_MIN } from './datetime.js';
import { makeInterval } from './interval.js';
import { numericAdd, numericMultiply, numericSubtract } from './numeric.js';
import { formatText, parseText } from './text-io.js';
import type { SqlTypeName } from './types.js';
import { SQL_TYPE_NAMES, T, storageTypeOf } from './types.js';
import type { SqlValue } from './value.js';

const seed = seedFromEnvironment();
const ITERATIONS = 2000;

/** A value's exact coefficient and scale, read from its text independently of numeric.ts. */
function exact(text: string): { coefficient: bigint; scale: number } {
  const point = text.indexOf('.');
  return point < 0
    ? { coefficient: BigInt(text), scale: 0 }
    : { coefficient: BigInt(text.replace('.', '')), scale: text.length - point - 1 };
}

function randomDecimal(random: Random): string {
  const digits = random.int(1, random.chance(0.1) ? 60 : 12);
  let text = random.chance(0.5) ? '-' : '';
  for (let i = 0; i < digits; i++) text += String(random.int(0, 10));
  const scale = random.int(0, digits);
  const cut = text.length - scale;
  const raw = scale === 0 ? text : `${text.slice(0, cut)}.${text.slice(cut)}`;
  // Canonical form: the numeric input function strips leading zeros and a zero's sign.
  return parseText(T.numeric, raw.replace(/^(-?)\./, '$10.'), fixedEvalContext()) as string;
}

function randomBigint(random: Random, min: bigint, end: bigint): bigint {
  const span = end - min;
  const high = BigInt(random.nextUint32());
  const low = BigInt(random.nextUint32());
  return min + ((((high << 32n) | low) * (span / (1n << 64n) + 1n) + BigInt(random.nextUint32())) % span);
}

function randomSqlValue(random: Random, type: SqlTypeName): SqlValue {
  switch (type) {
    case 'date':
      return random.int(DATE_MIN_DAYS, DATE_END_DAYS);
    case 'timestamp':
    case 'timestamptz':
      return random.chance(0.5)
        ? randomBigint(random, TIMESTAMP_MIN, TIMESTAMP_END)
        : randomBigint(random, -5_000_000_000_000_000n, 5_000_000_000_000_000n);
    case 'float4':
      return Math.fround(randomValue(random, 'float8', 0) as number);
    case 'interval':
      return makeInterval(
        random.int(-1_000_000, 1_000_000),
        random.int(-1_000_000, 1_000_000),
        randomBigint(random, -(1n << 62n), 1n << 62n),
      );
    case 'unknown':
    case 'bpchar':
    case 'varchar':
      return randomValue(random, 'text', 0);
    default:
      return randomValue(random, storageTypeOf(T[type]), 0);
  }
}

describe(`properties (seed ${seed})`, () => {
  it('numeric add, sub and mul agree with bigint arithmetic', () => {
    const random = new SeededRandom(seed);
    for (let i = 0; i < ITERATIONS; i++) {
      const a = randomDecimal(random);
      const b = randomDecimal(random);
      const x = exact(a);
      const y = exact(b);
      const scale = Math.max(x.scale, y.scale);
      const xs = x.coefficient * 10n ** BigInt(scale - x.scale);
      const ys = y.coefficient * 10n ** BigInt(scale - y.scale);
      const context = `seed ${seed}, iteration ${i}: ${a} and ${b}`;
      expect(exact(numericAdd(a, b)), context).toEqual({ coefficient: xs + ys, scale });
      expect(exact(numericSubtract(a, b)), context).toEqual({ coefficient: xs - ys, scale });
      expect(exact(numericMultiply(a, b)), context).toEqual({
        coefficient: x.coefficient * y.coefficient,
        scale: x.scale + y.scale,
      });
    }
  });

  it('text and binary I/O round-trip random values of every type', () => {
    const random = new SeededRandom(seed);
    const zones = ['UTC', 'Asia/Seoul', 'America/New_York', 'Asia/Kolkata'];
    for (let i = 0; i < ITERATIONS; i++) {
      const type = T[random.pick(SQL_TYPE_NAMES)];
      const ctx = fixedEvalContext({ timeZone: random.pick(zones) });
      const value = randomSqlValue(random, type.name);
      const text = formatText(type, value, ctx);
      const context = `seed ${seed}, iteration ${i}: ${type.name} ${text} in ${ctx.timeZone}`;
      expect(parseText(type, text, ctx), context).toEqual(value);
      expect(decodeBinary(type, encodeBinary(type, value)), context).toEqual(value);
    }
  });
});
