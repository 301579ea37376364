// A seeded pseudo-random generator, so that a simulation's every choice (which write a
// crash tears, which operation fails, which transaction runs next) replays from its seed.
// The generator is xoshiro128** seeded through splitmix32; not for cryptography.

export interface Random {
  /** The seed this generator (or its root) started from, to print when a test fails. */
  readonly seed: number;
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** A uniform float in [0, 1). */
  nextFloat(): number;
  /** A uniform integer in [minInclusive, maxExclusive). */
  int(minInclusive: number, maxExclusive: number): number;
  /** True with probability `probability`. */
  chance(probability: number): boolean;
  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** Fills `target` with random bytes and returns it. */
  fillBytes(target: Uint8Array): Uint8Array;
  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[];
  /** An independent generator derived from this one's next output, for a sub-simulation. */
  fork(): Random;
}

function splitmix32(state: number): () => number {
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class SeededRandom implements Random {
  readonly seed: number;
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    this.seed = seed;
    // Fold both halves of a seed wider than 32 bits into the state.
    const next = splitmix32((seed ^ Math.floor(seed / 0x1_0000_0000)) | 0);
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next();
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  nextFloat(): number {
    // 53 bits of randomness from two draws.
    return ((this.nextUint32() >>> 5) * 0x4000000 + (this.nextUint32() >>> 6)) / 0x20000000000000;
  }

  int(minInclusive: number, maxExclusive: number): number {
    if (!(maxExclusive > minInclusive)) {
      throw new RangeError(`empty range [${minInclusive}, ${maxExclusive})`);
    }
    return minInclusive + Math.floor(this.nextFloat() * (maxExclusive - minInclusive));
  }

  chance(probability: number): boolean {
    return this.nextFloat() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty array');
    return items[this.int(0, items.length)];
  }

  fillBytes(target: Uint8Array): Uint8Array {
    for (let i = 0; i < target.length; i += 4) {
      let word = this.nextUint32();
      for (let j = i; j < Math.min(i + 4, target.length); j++) {
        target[j] = word & 0xff;
        word >>>= 8;
      }
    }
    return target;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      const swap = items[i];
      items[i] = items[j];
      items[j] = swap;
    }
    return items;
  }

  fork(): Random {
    return new SeededRandom(this.nextUint32() * 0x200000 + (this.nextUint32() & 0x1fffff));
  }
}

function rotl(value: number, shift: number): number {
  return (value << shift) | (value >>> (32 - shift));
}

/** A seed from the environment (TANDEM_SEED) when replaying a failure, else a fresh one. */
export function seedFromEnvironment(variable = 'TANDEM_SEED'): number {
  const fromEnvironment = process.env[variable];
  if (fromEnvironment !== undefined && fromEnvironment !== '') {
    const seed = Number(fromEnvironment);
    if (!Number.isSafeInteger(seed)) throw new RangeError(`${variable} must be an integer, got '${fromEnvironment}'`);
    return seed;
  }
  return Math.floor(Math.random() * 0x1_0000_0000);
}
