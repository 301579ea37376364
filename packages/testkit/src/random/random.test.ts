// SeededRandom: a simulation replays only if the generator does, so these pin its determinism and its ranges.

import { describe, expect, it } from 'vitest';
import { SeededRandom } from './random.js';

function draws(random: SeededRandom, count: number): number[] {
  return Array.from({ length: count }, () => random.nextUint32());
}

describe('SeededRandom', () => {
  it('gives the same sequence for the same seed, and another for another seed', () => {
    expect(draws(new SeededRandom(42), 100)).toEqual(draws(new SeededRandom(42), 100));
    expect(draws(new SeededRandom(42), 100)).not.toEqual(draws(new SeededRandom(43), 100));
    // Seeds wider than 32 bits use their high half too.
    expect(draws(new SeededRandom(2 ** 40 + 5), 10)).not.toEqual(draws(new SeededRandom(5), 10));
    expect(new SeededRandom(42).seed).toBe(42);
  });

  it('refuses a seed that is not a safe integer', () => {
    expect(() => new SeededRandom(1.5)).toThrow(RangeError);
    expect(() => new SeededRandom(Number.NaN)).toThrow(RangeError);
  });

  it('int stays inside [min, max) and reaches both ends', () => {
    const random = new SeededRandom(7);
    const seen = new Set<number>();
    for (let index = 0; index < 10_000; index++) {
      const value = random.int(-3, 4);
      expect(Number.isInteger(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(-3);
      expect(value).toBeLessThan(4);
      seen.add(value);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    expect(random.int(5, 6)).toBe(5);
    expect(() => random.int(5, 5)).toThrow(RangeError);
    expect(() => random.int(6, 5)).toThrow(RangeError);
  });

  it('nextFloat stays inside [0, 1) and nextUint32 inside 32 bits', () => {
    const random = new SeededRandom(8);
    for (let index = 0; index < 10_000; index++) {
      const float = random.nextFloat();
      expect(float >= 0 && float < 1).toBe(true);
      const word = random.nextUint32();
      expect(Number.isInteger(word) && word >= 0 && word <= 0xffff_ffff).toBe(true);
    }
  });

  it('is roughly uniform: each of ten buckets gets its share within 5%', () => {
    const random = new SeededRandom(9);
    const buckets = new Array<number>(10).fill(0);
    const drawCount = 100_000;
    for (let index = 0; index < drawCount; index++) {
      const bucket = random.int(0, 10);
      buckets[bucket] = (buckets[bucket] ?? 0) + 1;
    }
    for (const count of buckets) expect(Math.abs(count - drawCount / 10)).toBeLessThan(drawCount / 10 / 20);
    const bytes = random.fillBytes(new Uint8Array(65_536));
    const highBits = bytes.reduce((sum, byte) => sum + (byte >> 7), 0);
    expect(Math.abs(highBits - 32_768)).toBeLessThan(1000);
  });

  it('fork gives an independent generator: drawing from the child leaves the parent unchanged', () => {
    const parentA = new SeededRandom(11);
    const parentB = new SeededRandom(11);
    const childA = parentA.fork();
    const childB = parentB.fork();
    expect(childA.seed).toBe(childB.seed);
    draws(childA as SeededRandom, 50);
    expect(draws(parentA, 20)).toEqual(draws(parentB, 20));
    // The child is not a replay of its parent.
    const parent = new SeededRandom(12);
    const child = parent.fork() as SeededRandom;
    expect(draws(child, 20)).not.toEqual(draws(parent, 20));
  });

  it('chance, pick, fillBytes and shuffle follow the seed', () => {
    const random = new SeededRandom(13);
    expect(random.chance(0)).toBe(false);
    expect(random.chance(1)).toBe(true);
    expect(() => random.pick([])).toThrow(RangeError);
    const items = [1, 2, 3, 4, 5, 6, 7, 8];
    const shuffled = new SeededRandom(14).shuffle([...items]);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
    expect(shuffled).toEqual(new SeededRandom(14).shuffle([...items]));
    expect(new SeededRandom(15).fillBytes(new Uint8Array(7))).toEqual(
      new SeededRandom(15).fillBytes(new Uint8Array(7)),
    );
    expect(new SeededRandom(16).pick(['a', 'b', 'c'])).toBe(new SeededRandom(16).pick(['a', 'b', 'c']));
  });
});
