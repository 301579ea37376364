// Tests of the B+tree: a seeded run against a sorted-map model with cache misses on every
// operation and redo replay, determinism under retries, fill factors, space reuse, ranged and
// resumed scans while the tree changes, DROP, entry size limits, and the checker itself.
import { describe, expect, it } from 'vitest';
import { SeededRandom, seedFromEnvironment, type Random } from '@tandem/testkit';
import { isDbError } from '../errors.js';
import type { BlockAddress } from '../storage/block.js';
import { cellAt, cellCount, leftSibling, pageLevel, rightSibling } from '../storage/slotted-page.js';
import { MemoryBlockStore, type MemoryBlockStoreOptions } from '../txn/memory-block-store.js';
import { branchChild, encodeLeafCell } from './btree-cell.js';
import { BTree, scanAll, type BTreeEntry, type KeyBound, type KeyRange } from './btree.js';
import { encodeKey } from './key-codec.js';

const OBJECT_NUMBER = 42;
const BLOCK_SIZES = [2048, 8192] as const;
const KEY_TYPES = ['int4', 'text'] as const;

interface Rig {
  readonly store: MemoryBlockStore;
  readonly tree: BTree;
}

async function newRig(options: MemoryBlockStoreOptions): Promise<Rig> {
  const store = new MemoryBlockStore(options);
  const tree = await store.run((mtr) => BTree.create(mtr, store.space, OBJECT_NUMBER, options.blockBytes));
  return { store, tree };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** A sorted map of the entries the tree should hold; hex strings sort like the bytes. */
class Model {
  readonly #entries = new Map<string, BTreeEntry>();
  readonly #keys: string[] = [];
  readonly #positions = new Map<string, number>();

  get size(): number {
    return this.#entries.size;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.#entries.get(hex(key))?.value;
  }

  set(key: Uint8Array, value: Uint8Array): void {
    const text = hex(key);
    if (!this.#positions.has(text)) {
      this.#positions.set(text, this.#keys.length);
      this.#keys.push(text);
    }
    this.#entries.set(text, { key: key.slice(), value: value.slice() });
  }

  delete(key: Uint8Array): void {
    const text = hex(key);
    const position = this.#positions.get(text);
    if (position === undefined) return;
    const last = this.#keys.pop()!;
    if (last !== text) {
      this.#keys[position] = last;
      this.#positions.set(last, position);
    }
    this.#positions.delete(text);
    this.#entries.delete(text);
  }

  randomKey(random: Random): Uint8Array | undefined {
    return this.#keys.length === 0 ? undefined : this.#entries.get(random.pick(this.#keys))!.key;
  }

  /** The entries of `range`, in its direction. */
  range(range: KeyRange): BTreeEntry[] {
    const keys = [...this.#keys].sort();
    const lower = range.lower === undefined ? undefined : hex(range.lower.key);
    const upper = range.upper === undefined ? undefined : hex(range.upper.key);
    const selected = keys.filter(
      (key) =>
        (lower === undefined || key > lower || (key === lower && range.lower!.inclusive)) &&
        (upper === undefined || key < upper || (key === upper && range.upper!.inclusive)),
    );
    if (range.direction === 'backward') selected.reverse();
    return selected.map((key) => this.#entries.get(key)!);
  }
}

const FORWARD: KeyRange = { direction: 'forward' };
const BACKWARD: KeyRange = { direction: 'backward' };

function randomText(random: Random, length: number): string {
  let text = '';
  // A small alphabet with NUL (escaped by the key codec) and a multi-byte letter.
  const alphabet = ['a', 'b', 'c', 'x', '\u0000', 'é'];
  for (let i = 0; i < length; i++) text += random.pick(alphabet);
  return text;
}

/**
 * A (int4, text) key. Half have long texts that share long prefixes ('ppp...' then a short
 * suffix), so that separators are long, branches hold few children, and every level splits.
 */
function randomKey(random: Random, maxEntryBytes: number): Uint8Array {
  const number = random.int(-40, 40);
  const text = random.chance(0.5)
    ? 'p'.repeat(random.int(Math.floor(maxEntryBytes / 8), Math.floor(maxEntryBytes / 2))) +
      randomText(random, random.int(0, 3))
    : randomText(random, random.int(0, 6));
  return encodeKey(KEY_TYPES, [number, text]);
}

/** A value of random size, sometimes filling the entry to (nearly) the limit. */
function randomValue(random: Random, keyBytes: number, maxEntryBytes: number): Uint8Array {
  const room = maxEntryBytes - keyBytes;
  const draw = random.nextFloat();
  const bytes =
    draw < 0.08 ? Math.max(0, room - random.int(0, 4)) : draw < 0.16 ? random.int(0, room + 1) : random.int(0, 50);
  return random.fillBytes(new Uint8Array(Math.max(0, Math.min(bytes, room))));
}

async function scanList(rig: Rig, range: KeyRange, batchSize: number): Promise<BTreeEntry[]> {
  const entries: BTreeEntry[] = [];
  for await (const entry of scanAll((operation) => rig.store.read(operation), rig.tree, range, batchSize)) {
    entries.push(entry);
  }
  return entries;
}

function entriesText(entries: readonly BTreeEntry[]): string[] {
  return entries.map((entry) => `${hex(entry.key)}=${hex(entry.value)}`);
}

/** Fails with `context` unless the tree is sound, scans equal the model both ways, and redo replays. */
async function expectMatches(rig: Rig, model: Model, random: Random, context: string): Promise<void> {
  expect(rig.tree.check(rig.store), `${context}: check`).toEqual([]);
  const forward = await scanList(rig, FORWARD, random.int(1, 50));
  expect(entriesText(forward), `${context}: forward scan`).toEqual(entriesText(model.range(FORWARD)));
  const backward = await scanList(rig, BACKWARD, random.int(1, 50));
  expect(entriesText(backward), `${context}: backward scan`).toEqual(entriesText(model.range(BACKWARD)));
  const replica = new MemoryBlockStore({ blockBytes: rig.store.blockBytes });
  rig.store.replayInto(replica);
  expect(rig.store.differences(replica), `${context}: redo replay`).toEqual([]);
}

type Operation = 'insert' | 'update' | 'upsert' | 'delete' | 'get' | 'scan';

function pickOperation(random: Random, growing: boolean): Operation {
  const draw = random.nextFloat();
  if (growing) {
    if (draw < 0.4) return 'insert';
    if (draw < 0.55) return 'upsert';
    if (draw < 0.7) return 'update';
    if (draw < 0.85) return 'delete';
    return draw < 0.95 ? 'get' : 'scan';
  }
  if (draw < 0.1) return 'insert';
  if (draw < 0.2) return 'upsert';
  if (draw < 0.3) return 'update';
  if (draw < 0.85) return 'delete';
  return draw < 0.95 ? 'get' : 'scan';
}

function randomRange(random: Random, model: Model, maxEntryBytes: number): KeyRange {
  const bound = (): KeyBound | undefined => {
    if (random.chance(0.15)) return undefined;
    const key = random.chance(0.6) ? model.randomKey(random) : undefined;
    return { key: key ?? randomKey(random, maxEntryBytes), inclusive: random.chance(0.5) };
  };
  let lower = bound();
  let upper = bound();
  if (lower !== undefined && upper !== undefined && hex(lower.key) > hex(upper.key) && random.chance(0.8)) {
    [lower, upper] = [upper, lower];
  }
  return { lower, upper, direction: random.chance(0.5) ? 'forward' : 'backward' };
}

describe.each(BLOCK_SIZES)('BTree with %i-byte blocks', (blockBytes) => {
  const maxEntryBytes = BTree.maxEntryBytes(blockBytes);

  it('matches a sorted-map model under random operations with cache misses, and its redo replays', async () => {
    const seed = seedFromEnvironment() + blockBytes;
    const random = new SeededRandom(seed);
    const rig = await newRig({ blockBytes, uncachedProbability: 0.2, random: random.fork() });
    const model = new Model();
    // Grow, shrink to a few entries, grow again: splits at every level, then emptied pages.
    // The growth goes on past its length until the tree has three levels, the shrinking until
    // it is under a third of its peak (both drift with the seed): no seed stops short of either.
    const growSteps = 1600;
    const shrinkSteps = 1400;
    const regrowSteps = 1000;
    /** The most steps growth or shrinking takes in search of its aim. */
    const phaseStepsMax = 5000;
    let phase: 'grow' | 'shrink' | 'regrow' = 'grow';
    let phaseStart = 0;
    let heightMax = 0;
    let sizeMax = 0;
    let sizeMinAfterMax = Infinity;
    let freedByShrinking = 0;
    for (let step = 0; ; step++) {
      const growing = phase !== 'shrink';
      const operation = pickOperation(random, growing);
      const context = `seed ${seed} (replay with TANDEM_SEED=${seed - blockBytes}) step ${step} ${operation}`;
      const existingChance = operation === 'insert' || operation === 'upsert' ? 0.15 : growing ? 0.5 : 0.95;
      const existing = random.chance(existingChance) ? model.randomKey(random) : undefined;
      const key = existing ?? randomKey(random, maxEntryBytes);
      const value = randomValue(random, key.length, maxEntryBytes);
      const had = model.get(key) !== undefined;
      switch (operation) {
        case 'insert': {
          const inserted = await rig.store.run((mtr) => rig.tree.insert(mtr, key, value));
          expect(inserted, context).toBe(!had);
          if (!had) model.set(key, value);
          break;
        }
        case 'update': {
          const updated = await rig.store.run((mtr) => rig.tree.update(mtr, key, value));
          expect(updated, context).toBe(had);
          if (had) model.set(key, value);
          break;
        }
        case 'upsert': {
          const outcome = await rig.store.run((mtr) => rig.tree.upsert(mtr, key, value));
          expect(outcome, context).toBe(had ? 'updated' : 'inserted');
          model.set(key, value);
          break;
        }
        case 'delete': {
          const deleted = await rig.store.run((mtr) => rig.tree.delete(mtr, key));
          expect(deleted, context).toBe(had);
          model.delete(key);
          break;
        }
        case 'get': {
          const found = await rig.store.read((source) => rig.tree.get(source, key));
          expect(found === undefined ? undefined : hex(found), context).toBe(had ? hex(model.get(key)!) : undefined);
          break;
        }
        case 'scan': {
          const range = randomRange(random, model, maxEntryBytes);
          const entries = await scanList(rig, range, random.int(1, 8));
          expect(entriesText(entries), context).toEqual(entriesText(model.range(range)));
          break;
        }
      }
      const phaseSteps = step + 1 - phaseStart;
      const last = phase === 'regrow' && phaseSteps === regrowSteps;
      if (step % 250 === 249 || last) {
        await expectMatches(rig, model, random, context);
        heightMax = Math.max(heightMax, rig.tree.shape(rig.store).height);
      }
      sizeMax = Math.max(sizeMax, model.size);
      if (phase === 'shrink') sizeMinAfterMax = Math.min(sizeMinAfterMax, model.size);
      if (last) break;
      if (phase === 'grow' && phaseSteps >= growSteps) {
        if (heightMax < 3) heightMax = Math.max(heightMax, rig.tree.shape(rig.store).height);
        if (heightMax >= 3 || phaseSteps >= phaseStepsMax) {
          phase = 'shrink';
          phaseStart = step + 1;
        }
      } else if (phase === 'shrink' && phaseSteps >= shrinkSteps) {
        if (sizeMinAfterMax < sizeMax / 3 || phaseSteps >= phaseStepsMax) {
          freedByShrinking = rig.store.freeBlockCount;
          phase = 'regrow';
          phaseStart = step + 1;
        }
      }
    }
    // The run must have reached what it is meant to test (within phaseStepsMax steps a phase).
    expect(heightMax, `seed ${seed}: grew to three levels`).toBeGreaterThanOrEqual(3);
    expect(sizeMinAfterMax, `seed ${seed}: shrank`).toBeLessThan(sizeMax / 3);
    expect(rig.store.statistics.retriesSignalled, `seed ${seed}`).toBeGreaterThan(1000);
    expect(freedByShrinking, `seed ${seed}: emptied pages were freed`).toBeGreaterThan(0);
  });

  it('changes the same bytes whether or not its reads miss the cache', async () => {
    const seed = seedFromEnvironment() + blockBytes;
    const plain = await newRig({ blockBytes });
    const missing = await newRig({ blockBytes, uncachedProbability: 0.3, random: new SeededRandom(seed + 1) });
    const random = new SeededRandom(seed);
    for (let step = 0; step < 1500; step++) {
      const key = randomKey(random, maxEntryBytes);
      const value = randomValue(random, key.length, maxEntryBytes);
      const remove = step > 500 && random.chance(0.45);
      for (const rig of [plain, missing]) {
        await rig.store.run((mtr) => (remove ? rig.tree.delete(mtr, key) : rig.tree.upsert(mtr, key, value)));
      }
    }
    expect(missing.store.statistics.retriesSignalled).toBeGreaterThan(0);
    expect(plain.store.differences(missing.store), `seed ${seed}`).toEqual([]);
    expect(plain.store.records.length).toBe(missing.store.records.length);
  });

  it('leaves pages nearly full after ascending or descending inserts, and well used after random ones', async () => {
    const count = blockBytes === 2048 ? 3000 : 8000;
    const fill = async (order: (index: number) => number): Promise<number> => {
      const rig = await newRig({ blockBytes });
      const random = new SeededRandom(blockBytes);
      for (let index = 0; index < count; index++) {
        const key = encodeKey(KEY_TYPES, [order(index), 'row']);
        const value = random.fillBytes(new Uint8Array(random.int(10, 40)));
        await rig.store.run((mtr) => rig.tree.insert(mtr, key, value));
      }
      expect(rig.tree.check(rig.store)).toEqual([]);
      const shape = rig.tree.shape(rig.store);
      expect(shape.entries).toBe(count);
      expect(shape.height).toBeGreaterThanOrEqual(2);
      return shape.leafUsedBytes / shape.leafCapacityBytes;
    };
    const permutation = new SeededRandom(blockBytes + 1).shuffle(Array.from({ length: count }, (_, index) => index));
    expect(await fill((index) => index)).toBeGreaterThanOrEqual(0.9);
    expect(await fill((index) => count - index)).toBeGreaterThanOrEqual(0.9);
    const randomFill = await fill((index) => permutation[index]);
    expect(randomFill).toBeGreaterThanOrEqual(0.6);
    expect(randomFill).toBeLessThan(0.9);
  });

  it('frees every page but the root when emptied, and reuses the freed blocks when refilled', async () => {
    const seed = seedFromEnvironment() + blockBytes;
    const random = new SeededRandom(seed);
    const rig = await newRig({ blockBytes, uncachedProbability: 0.2, random: random.fork() });
    const entries: BTreeEntry[] = [];
    const model = new Model();
    while (entries.length < 1500) {
      const key = randomKey(random, maxEntryBytes);
      if (model.get(key) !== undefined) continue;
      const entry = { key, value: randomValue(random, key.length, maxEntryBytes) };
      entries.push(entry);
      model.set(entry.key, entry.value);
    }
    const insertAll = async (): Promise<void> => {
      for (const entry of entries) await rig.store.run((mtr) => rig.tree.insert(mtr, entry.key, entry.value));
    };
    await insertAll();
    const grown = rig.tree.shape(rig.store);
    expect(grown.height, `seed ${seed}`).toBeGreaterThanOrEqual(3);
    const blocksTotal = rig.store.blocksTotal;
    expect(rig.store.freeBlockCount).toBe(0);

    for (const entry of random.shuffle(entries.slice())) {
      expect(await rig.store.run((mtr) => rig.tree.delete(mtr, entry.key)), `seed ${seed}`).toBe(true);
    }
    expect(rig.tree.check(rig.store), `seed ${seed}`).toEqual([]);
    expect(rig.tree.shape(rig.store)).toMatchObject({ height: 1, leafPages: 1, branchPages: 0, entries: 0 });
    expect(rig.store.freeBlockCount, `seed ${seed}`).toBe(blocksTotal - 1);
    expect(await scanList(rig, FORWARD, 5)).toEqual([]);
    expect(await scanList(rig, BACKWARD, 5)).toEqual([]);

    // The same inserts need the same number of pages, all of them reused.
    await insertAll();
    expect(rig.store.blocksTotal, `seed ${seed}`).toBe(blocksTotal);
    expect(rig.store.freeBlockCount, `seed ${seed}`).toBe(0);
    await expectMatches(rig, model, random, `seed ${seed} refilled`);
  });

  it('scans ranges with inclusive and exclusive bounds in both directions, in batches', async () => {
    const seed = seedFromEnvironment() + blockBytes;
    const random = new SeededRandom(seed);
    const rig = await newRig({ blockBytes, uncachedProbability: 0.2, random: random.fork() });
    const model = new Model();
    for (let i = 0; i < 1500; i++) {
      const key = randomKey(random, maxEntryBytes);
      const value = randomValue(random, key.length, maxEntryBytes);
      await rig.store.run((mtr) => rig.tree.upsert(mtr, key, value));
      model.set(key, value);
    }
    for (let trial = 0; trial < 150; trial++) {
      const range = randomRange(random, model, maxEntryBytes);
      const context = `seed ${seed} trial ${trial}: ${JSON.stringify({ ...range, lower: range.lower && { ...range.lower, key: hex(range.lower.key) }, upper: range.upper && { ...range.upper, key: hex(range.upper.key) } })}`;
      const expected = entriesText(model.range(range));
      expect(entriesText(await scanList(rig, range, random.int(1, 30))), context).toEqual(expected);
      // One batch of exactly the range's size ends it; one entry fewer does not. (Read from the
      // store directly: one attempt over many leaves would miss the cache again and again.)
      if (expected.length > 0) {
        expect(rig.tree.scan(rig.store, range, expected.length).resume, context).toBeUndefined();
        if (expected.length > 1) {
          expect(rig.tree.scan(rig.store, range, expected.length - 1).resume, context).toBeDefined();
        }
      }
    }
  });

  it('resumes scans across batches while the tree changes between them', async () => {
    const seed = seedFromEnvironment() + blockBytes;
    const random = new SeededRandom(seed);
    const rig = await newRig({ blockBytes, uncachedProbability: 0.2, random: random.fork() });
    const model = new Model();
    // Keys with a narrow int range, so ranges hold many entries and changes land inside them.
    const key = (): Uint8Array => encodeKey(KEY_TYPES, [random.int(0, 400), randomText(random, random.int(0, 3))]);
    const smallValue = (): Uint8Array => random.fillBytes(new Uint8Array(random.int(0, blockBytes / 16)));
    for (let i = 0; i < 800; i++) {
      const k = key();
      const v = smallValue();
      await rig.store.run((mtr) => rig.tree.upsert(mtr, k, v));
      model.set(k, v);
    }
    for (let trial = 0; trial < 40; trial++) {
      const range = randomRange(random, model, 64);
      const context = `seed ${seed} trial ${trial}`;
      const batchSize = random.int(1, 8);
      const atStart = new Set(model.range(range).map((entry) => hex(entry.key)));
      const everPresent = new Set(atStart);
      const deleted = new Set<string>();
      const returned: string[] = [];
      let next: KeyRange | undefined = range;
      while (next !== undefined) {
        const current: KeyRange = next;
        const batch = await rig.store.read((source) => rig.tree.scan(source, current, batchSize));
        expect(batch.entries.length, context).toBeLessThanOrEqual(batchSize);
        returned.push(...batch.entries.map((entry) => hex(entry.key)));
        next = batch.resume;
        // Other sessions run between batches: inserts and deletes, inside the range and out.
        for (let change = random.int(0, 5); change > 0; change--) {
          if (random.chance(0.5)) {
            const k = key();
            const v = smallValue();
            await rig.store.run((mtr) => rig.tree.upsert(mtr, k, v));
            model.set(k, v);
            everPresent.add(hex(k));
          } else {
            const k = model.randomKey(random);
            if (k === undefined) continue;
            await rig.store.run((mtr) => rig.tree.delete(mtr, k));
            model.delete(k);
            deleted.add(hex(k));
          }
        }
      }
      const ordered = range.direction === 'forward' ? returned : [...returned].reverse();
      for (let i = 1; i < ordered.length; i++) {
        expect(ordered[i - 1] < ordered[i], `${context}: ${ordered[i - 1]} then ${ordered[i]}`).toBe(true);
      }
      for (const key of returned) expect(everPresent.has(key), `${context}: ${key} was never in the range`).toBe(true);
      const returnedSet = new Set(returned);
      for (const key of atStart) {
        if (!deleted.has(key))
          expect(returnedSet.has(key), `${context}: ${key} present throughout, not returned`).toBe(true);
      }
    }
    expect(rig.tree.check(rig.store), `seed ${seed}`).toEqual([]);
  });

  it('frees every block of the tree for DROP, a bounded number per mtr, staying sound in between', async () => {
    const seed = seedFromEnvironment() + blockBytes;
    for (const blocksMax of [1, 3, 16]) {
      const random = new SeededRandom(seed + blocksMax);
      const rig = await newRig({ blockBytes, uncachedProbability: 0.2, random: random.fork() });
      const model = new Model();
      for (let i = 0; i < 1200; i++) {
        const key = randomKey(random, maxEntryBytes);
        const value = randomValue(random, key.length, maxEntryBytes);
        await rig.store.run((mtr) => rig.tree.upsert(mtr, key, value));
        model.set(key, value);
      }
      const all = entriesText(model.range(FORWARD));
      let height = rig.tree.shape(rig.store).height;
      expect(height).toBeGreaterThanOrEqual(3);
      let calls = 0;
      for (;;) {
        const freeBefore = rig.store.freeBlockCount;
        const more = await rig.store.run((mtr) => rig.tree.freeAll(mtr, blocksMax));
        calls++;
        const freed = rig.store.freeBlockCount - freeBefore;
        // The bound, except a lowest branch with one leaf goes with its single-child ancestors.
        expect(freed, `seed ${seed} call ${calls}`).toBeLessThanOrEqual(Math.max(blocksMax, height));
        if (!more) break;
        const context = `seed ${seed} blocksMax ${blocksMax} after call ${calls}`;
        expect(rig.tree.check(rig.store), context).toEqual([]);
        // What remains is a sound tree holding a prefix of the entries.
        if (calls % 7 === 0) {
          const remaining = entriesText(await scanList(rig, FORWARD, 100));
          expect(remaining, context).toEqual(all.slice(0, remaining.length));
        }
        height = rig.tree.shape(rig.store).height;
      }
      expect(rig.store.freeBlockCount, `seed ${seed}`).toBe(rig.store.blocksTotal);
      expect(calls).toBeGreaterThan(rig.store.blocksTotal / Math.max(blocksMax, 8));
    }
  });

  it('rejects an entry over maxEntryBytes with TDB-5010, changing nothing, and holds one at the limit', async () => {
    const rig = await newRig({ blockBytes });
    const key = encodeKey(KEY_TYPES, [1, 'key']);
    const tooLarge = new Uint8Array(maxEntryBytes - key.length + 1);
    const recordsBefore = rig.store.records.length;
    for (const operation of ['insert', 'update', 'upsert'] as const) {
      const attempt = rig.store.run((mtr) => rig.tree[operation](mtr, key, tooLarge));
      await expect(attempt).rejects.toSatisfy(
        (error: unknown) =>
          isDbError(error, 'ROW_TOO_LARGE') &&
          error.code === 'TDB-5010' &&
          error.message.includes(`${maxEntryBytes + 1} bytes`) &&
          error.message.includes(`${maxEntryBytes} bytes`),
      );
    }
    expect(rig.store.records.length).toBe(recordsBefore);
    // Entries of exactly the limit, as keys alone or as key and value, split and separate fine.
    const model = new Model();
    const random = new SeededRandom(blockBytes);
    for (let i = 0; i < 200; i++) {
      const whole = random.fillBytes(new Uint8Array(maxEntryBytes));
      const split = random.int(1, maxEntryBytes + 1);
      const entryKey = whole.subarray(0, split);
      const value = whole.subarray(split);
      expect(await rig.store.run((mtr) => rig.tree.insert(mtr, entryKey, value))).toBe(true);
      model.set(entryKey, value);
    }
    await expectMatches(rig, model, random, `limit-sized entries in ${blockBytes}-byte blocks`);
  });
});

describe('BTree', () => {
  it('keeps the root address, and returns copies the caller may change', async () => {
    const rig = await newRig({ blockBytes: 2048 });
    const root = rig.tree.root;
    for (let i = 0; i < 500; i++) {
      await rig.store.run((mtr) => rig.tree.insert(mtr, encodeKey(['int4'], [i]), new Uint8Array(30).fill(i)));
    }
    expect(rig.tree.root).toEqual(root);
    expect(pageLevel(rig.store.block(root))).toBeGreaterThan(0);
    const reopened = new BTree(root, OBJECT_NUMBER, rig.store.space, 2048);
    const value = await rig.store.read((source) => reopened.get(source, encodeKey(['int4'], [7])));
    value![0] = 99;
    const again = await rig.store.read((source) => reopened.get(source, encodeKey(['int4'], [7])));
    expect(again![0]).toBe(7);
    const batch = await rig.store.read((source) => reopened.scan(source, FORWARD, 3));
    batch.entries[0].key[0] = 0;
    expect(reopened.check(rig.store)).toEqual([]);
  });

  it.each(['left', 'right'] as const)(
    'makes a root of two leaves absorb the survivor when the %s one empties',
    async (side) => {
      const rig = await newRig({ blockBytes: 2048 });
      const model = new Model();
      for (let i = 0; rig.tree.shape(rig.store).leafPages < 2; i++) {
        const key = encodeKey(['int4'], [i]);
        await rig.store.run((mtr) => rig.tree.insert(mtr, key, new Uint8Array(50).fill(i)));
        model.set(key, new Uint8Array(50).fill(i));
      }
      const root = rig.store.block(rig.tree.root);
      const leaf = branchChild(cellAt(root, side === 'left' ? 0 : 1));
      const block = rig.store.block(leaf);
      const doomed = Array.from({ length: cellCount(block) }, (_, index) => cellAt(block, index).slice(2, 7));
      for (const key of doomed) {
        await rig.store.run((mtr) => rig.tree.delete(mtr, key));
        model.delete(key);
      }
      expect(rig.tree.shape(rig.store)).toMatchObject({ height: 1, leafPages: 1, entries: model.size });
      expect(rig.store.freeBlockCount).toBe(2);
      await expectMatches(rig, model, new SeededRandom(1), `${side} leaf emptied`);
    },
  );

  it('check reports broken links, misplaced keys and cycles', async () => {
    const build = async (): Promise<Rig & { leaves: BlockAddress[] }> => {
      const rig = await newRig({ blockBytes: 2048 });
      for (let i = 0; i < 200; i++) {
        await rig.store.run((mtr) => rig.tree.insert(mtr, encodeKey(['int4'], [i * 10]), new Uint8Array(40)));
      }
      const root = rig.store.block(rig.tree.root);
      expect(pageLevel(root)).toBe(1);
      const leaves = Array.from({ length: cellCount(root) }, (_, index) => branchChild(cellAt(root, index)));
      expect(rig.tree.check(rig.store)).toEqual([]);
      return { ...rig, leaves };
    };

    const links = await build();
    await links.store.run((mtr) => {
      mtr.block(links.leaves[1]);
      mtr.setPageLinks(links.leaves[1], { rightSibling: links.leaves[3].blockNumber });
    });
    expect(links.tree.check(links.store)).toEqual([
      `leaf ${links.leaves[1].blockNumber} links right to ${links.leaves[3].blockNumber}, not ${links.leaves[2].blockNumber}`,
    ]);
    expect(leftSibling(links.store.block(links.leaves[2]))).toBe(links.leaves[1].blockNumber);

    const misplaced = await build();
    await misplaced.store.run((mtr) => {
      mtr.block(misplaced.leaves[2]);
      mtr.replaceCell(misplaced.leaves[2], 0, encodeLeafCell(encodeKey(['int4'], [5]), new Uint8Array(40)));
    });
    const problems = misplaced.tree.check(misplaced.store);
    expect(
      problems.some((problem) => problem.includes('below its subtree')),
      problems.join('\n'),
    ).toBe(true);
    expect(
      problems.some((problem) => problem.includes('not above the previous key')),
      problems.join('\n'),
    ).toBe(true);

    const cycle = await build();
    await cycle.store.run((mtr) => {
      const root = mtr.block(cycle.tree.root);
      mtr.replaceCell(cycle.tree.root, 1, cellAt(root, 2).slice());
    });
    const cycleProblems = cycle.tree.check(cycle.store);
    expect(
      cycleProblems.some((problem) => problem.includes('reached twice')),
      cycleProblems.join('\n'),
    ).toBe(true);
    expect(rightSibling(cycle.store.block(cycle.leaves[0]))).toBe(cycle.leaves[1].blockNumber);
  });
});
