// Sequences (CREATE SEQUENCE, nextval, currval, setval). Values come from memory; the
// catalog records how far values have been handed out in reserved batches (CACHE, at least
// 32), so nextval writes to disk once per batch, and a crash only skips the unused rest of
// a batch, as in Oracle and PostgreSQL. Sequences are not transactional: a rolled-back
// nextval is not given back.
import type { Catalog } from '../access/catalog.js';
import { DbError } from '../errors.js';
import type { SequenceOptions } from './ast.js';
import type { SqlType } from './types/types.js';

export interface StoredSequence {
  readonly type: 'int2' | 'int4' | 'int8';
  readonly start: string;
  readonly increment: string;
  readonly min: string;
  readonly max: string;
  readonly cache: string;
  readonly cycle: boolean;
  /** The last value handed out or reserved (a restart continues after it); absent before the first. */
  readonly reservedThrough?: string;
}

interface LiveSequence {
  stored: StoredSequence;
  /** The next value to hand out, and the last one reserved on disk. */
  next: bigint;
  reservedThrough: bigint | undefined;
  /** Serializes reservations of one sequence. */
  busy: Promise<unknown>;
}

const RESERVE_MIN = 32n;
const LIMITS: Readonly<Record<StoredSequence['type'], [bigint, bigint]>> = {
  int2: [-32768n, 32767n],
  int4: [-2147483648n, 2147483647n],
  int8: [-(1n << 63n), (1n << 63n) - 1n],
};

export class Sequences {
  readonly #catalog: Catalog;
  readonly #live = new Map<string, LiveSequence>();

  constructor(catalog: Catalog) {
    this.#catalog = catalog;
  }

  exists(name: string): boolean {
    return this.#catalog.object('sequence', name) !== undefined;
  }

  names(): string[] {
    return this.#catalog.objects('sequence').map((entry) => entry.name);
  }

  async create(
    name: string,
    options: SequenceOptions,
    type: SqlType | undefined,
    ifNotExists: boolean,
  ): Promise<boolean> {
    if (this.exists(name) || this.#catalog.hasTable(name)) {
      if (ifNotExists) return false;
      throw new DbError('DUPLICATE_OBJECT', `relation "${name}" already exists`);
    }
    const kind = type === undefined ? 'int8' : (type.name as StoredSequence['type']);
    const stored = settle({ type: kind }, options);
    await this.#catalog.putObject('sequence', name, stored);
    return true;
  }

  async alter(name: string, options: SequenceOptions): Promise<void> {
    const live = this.#load(name);
    await this.#serialize(live, async () => {
      const stored = settle(live.stored, options);
      const restart =
        options.restart === undefined
          ? undefined
          : options.restart === 'start'
            ? BigInt(stored.start)
            : options.restart;
      const next = restart ?? live.next;
      const reserved = next - BigInt(stored.increment);
      const record = { ...stored, reservedThrough: String(reserved) };
      await this.#catalog.putObject('sequence', name, record);
      live.stored = record;
      live.next = next;
      live.reservedThrough = reserved;
    });
  }

  async drop(name: string): Promise<void> {
    if (!this.exists(name)) throw new DbError('NO_SUCH_TABLE', `sequence "${name}" does not exist`);
    await this.#catalog.removeObject('sequence', name);
    this.#live.delete(name);
  }

  /**
   * A sequence's options and the value the next nextval will hand out (what an export
   * needs to recreate it); reserves nothing.
   */
  describe(name: string): StoredSequence & { readonly next: bigint } {
    const live = this.#load(name);
    return { ...live.stored, next: live.next };
  }

  /** nextval. */
  async next(name: string): Promise<bigint> {
    const live = this.#load(name);
    return this.#serialize(live, async () => {
      const { stored } = live;
      const increment = BigInt(stored.increment);
      let value = live.next;
      const min = BigInt(stored.min);
      const max = BigInt(stored.max);
      if (value > max || value < min) {
        if (!stored.cycle) {
          throw new DbError(
            'SEQUENCE_LIMIT',
            `nextval: reached ${increment > 0n ? 'maximum' : 'minimum'} value of sequence "${name}" (${increment > 0n ? max : min})`,
          );
        }
        value = increment > 0n ? min : max;
      }
      const beyond =
        live.reservedThrough === undefined ||
        (increment > 0n ? value > live.reservedThrough : value < live.reservedThrough);
      if (beyond) {
        const batch = BigInt(stored.cache) > RESERVE_MIN ? BigInt(stored.cache) : RESERVE_MIN;
        let reserved = value + increment * (batch - 1n);
        if (reserved > max) reserved = max;
        if (reserved < min) reserved = min;
        const record = { ...stored, reservedThrough: String(reserved) };
        await this.#catalog.putObject('sequence', name, record);
        live.stored = record;
        live.reservedThrough = reserved;
      }
      live.next = value + increment;
      return value;
    });
  }

  /** setval(name, value, called): the next nextval returns value (+ increment if called). */
  async set(name: string, value: bigint, called: boolean): Promise<void> {
    const live = this.#load(name);
    const { stored } = live;
    if (value < BigInt(stored.min) || value > BigInt(stored.max)) {
      throw new DbError(
        'SEQUENCE_LIMIT',
        `setval: value ${value} is out of bounds for sequence "${name}" (${stored.min}..${stored.max})`,
      );
    }
    await this.#serialize(live, async () => {
      const increment = BigInt(stored.increment);
      const next = called ? value + increment : value;
      const record = { ...live.stored, reservedThrough: String(next - increment) };
      await this.#catalog.putObject('sequence', name, record);
      live.stored = record;
      live.next = next;
      live.reservedThrough = next - increment;
    });
  }

  #load(name: string): LiveSequence {
    let live = this.#live.get(name);
    if (live !== undefined) return live;
    const entry = this.#catalog.object<StoredSequence>('sequence', name);
    if (entry === undefined) throw new DbError('NO_SUCH_TABLE', `relation "${name}" does not exist`);
    const stored = entry.value;
    const reserved = stored.reservedThrough === undefined ? undefined : BigInt(stored.reservedThrough);
    live = {
      stored,
      next: reserved === undefined ? BigInt(stored.start) : reserved + BigInt(stored.increment),
      // After a restart nothing in memory is reserved: the next value reserves a new batch.
      reservedThrough: undefined,
      busy: Promise.resolve(),
    };
    this.#live.set(name, live);
    return live;
  }

  #serialize<T>(live: LiveSequence, body: () => Promise<T>): Promise<T> {
    const run = live.busy.then(body, body);
    live.busy = run.catch(() => undefined);
    return run;
  }
}

/** Applies CREATE/ALTER options to a definition, with PostgreSQL's defaults and checks. */
function settle(
  base: Partial<StoredSequence> & { type: StoredSequence['type'] },
  options: SequenceOptions,
): StoredSequence {
  const [typeMin, typeMax] = LIMITS[base.type];
  const increment = options.increment ?? (base.increment === undefined ? 1n : BigInt(base.increment));
  if (increment === 0n) throw new DbError('INVALID_PARAMETER', 'INCREMENT must not be zero');
  const ascending = increment > 0n;
  const min =
    options.minValue === null || (options.minValue === undefined && base.min === undefined)
      ? ascending
        ? 1n
        : typeMin
      : (options.minValue ?? BigInt(base.min!));
  const max =
    options.maxValue === null || (options.maxValue === undefined && base.max === undefined)
      ? ascending
        ? typeMax
        : -1n
      : (options.maxValue ?? BigInt(base.max!));
  const start = options.start ?? (base.start === undefined ? (ascending ? min : max) : BigInt(base.start));
  const cache = options.cache ?? (base.cache === undefined ? 1n : BigInt(base.cache));
  if (min >= max) throw new DbError('INVALID_PARAMETER', `MINVALUE (${min}) must be less than MAXVALUE (${max})`);
  if (min < typeMin || max > typeMax)
    throw new DbError('INVALID_PARAMETER', `MINVALUE/MAXVALUE out of range for type ${base.type}`);
  if (start < min || start > max)
    throw new DbError('INVALID_PARAMETER', `START value (${start}) must be within MINVALUE and MAXVALUE`);
  if (cache < 1n) throw new DbError('INVALID_PARAMETER', `CACHE (${cache}) must be greater than zero`);
  return {
    type: base.type,
    start: String(start),
    increment: String(increment),
    min: String(min),
    max: String(max),
    cache: String(cache),
    cycle: options.cycle ?? base.cycle ?? false,
    ...(base.reservedThrough === undefined ? {} : { reservedThrough: base.reservedThrough }),
  };
}
