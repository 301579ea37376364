// Tests of the MemoryBlockStore test double: that it applies and records changes, replays
// them, simulates cache misses that always let an operation finish, and catches a caller that
// breaks the gather-then-mutate discipline.
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@tandem/testkit';
import { AssertionError } from '../assert.js';
import { BlockType, blockTsn, blockType } from '../storage/block.js';
import { BlockOp } from '../storage/block-ops.js';
import { cellAt, cellCount } from '../storage/slotted-page.js';
import { MemoryBlockStore } from './memory-block-store.js';
import { RetryAfter, type BlockSource, type MiniTransaction } from './mini-transaction.js';
import type { BlockAddress } from '../storage/block.js';

const LEAF = { type: BlockType.BtreeLeaf, objectNumber: 7, pageLevel: 0 } as const;

async function newBlocks(store: MemoryBlockStore, count: number): Promise<BlockAddress[]> {
  return store.run((mtr) => {
    const addresses = Array.from({ length: count }, () => store.space.allocate(mtr, 7));
    for (const address of addresses) mtr.format(address, LEAF);
    return addresses;
  });
}

function cells(source: BlockSource, address: BlockAddress): number[] {
  const block = source.block(address);
  return Array.from({ length: cellCount(block) }, (_, index) => cellAt(block, index)[0]);
}

describe('MemoryBlockStore', () => {
  it('applies changes at once, records them per mtr with increasing TSNs, and replays them', async () => {
    const store = new MemoryBlockStore({ blockBytes: 2048 });
    const [a, b] = await newBlocks(store, 2);
    expect([a.blockNumber, b.blockNumber]).toEqual([1, 2]);
    const mtr = store.begin();
    mtr.block(a);
    mtr.insertCell(a, 0, Uint8Array.of(5));
    expect(cells(store, a)).toEqual([5]); // visible before commit: applied, not buffered
    mtr.appendCells(a, [Uint8Array.of(6), Uint8Array.of(7)]);
    mtr.commit();
    await store.run((m) => {
      m.block(a);
      m.removeCell(a, 1);
    });
    // An mtr without changes consumes no TSN and records nothing.
    await store.run((m) => m.block(b));
    expect(store.records.map((record) => record.tsn)).toEqual([1, 2, 3]);
    expect(store.records[1].changes.map((change) => change.opcode)).toEqual([BlockOp.InsertCell, BlockOp.AppendCells]);
    expect(store.lastTsn).toBe(3);
    expect(blockTsn(store.block(a))).toBe(3);
    expect(cells(store, a)).toEqual([5, 7]);

    const replica = new MemoryBlockStore({ blockBytes: 2048 });
    store.replayInto(replica);
    expect(store.differences(replica)).toEqual([]);
    expect(replica.lastTsn).toBe(3);
    // A byte written behind the mtr's back is what the comparison exists to catch.
    store.block(b)[100] = 1;
    expect(store.differences(replica)).toEqual(['block 1:2 differs first at byte 100: 1 != 0']);
  });

  it('asserts when an mtr reads a block after its first change that it did not read before', async () => {
    const store = new MemoryBlockStore({ blockBytes: 2048 });
    const [a, b, c] = await newBlocks(store, 3);
    const mtr = store.begin();
    mtr.block(a);
    mtr.insertCell(a, 0, Uint8Array.of(1));
    expect(mtr.block(a)).toBe(store.block(a)); // read before the change: still cached
    expect(() => mtr.block(b)).toThrow(/after its first change/);
    // A physiological change to a block the mtr never read is a bug too.
    expect(() => mtr.insertCell(c, 0, Uint8Array.of(1))).toThrow(/without reading it/);
    mtr.commit();
  });

  it('simulates cache misses before the first change, and a retried operation always completes', async () => {
    const random = new SeededRandom(11);
    const store = new MemoryBlockStore({ blockBytes: 2048, uncachedProbability: 0.5, random });
    const addresses = await newBlocks(store, 40);
    let attempts = 0;
    const total = await store.run((mtr) => {
      attempts++;
      let sum = 0;
      for (const address of addresses) sum += cellCount(mtr.block(address));
      mtr.insertCell(addresses[0], 0, Uint8Array.of(9));
      return sum;
    });
    expect(total).toBe(0);
    // Each miss warms one block for the next attempt, so 40 blocks take at most 41 attempts.
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThanOrEqual(41);
    expect(store.statistics.retriesSignalled).toBeGreaterThan(0);
    const read = await store.read((source) => addresses.map((address) => cellCount(source.block(address))));
    expect(read[0]).toBe(1);
  });

  it('returns the allocations of an abandoned attempt, in order, and reuses freed blocks after commit', async () => {
    const store = new MemoryBlockStore({ blockBytes: 2048 });
    const [a, b, c] = await newBlocks(store, 3);
    await store.run((mtr) => {
      store.space.free(mtr, b);
      store.space.free(mtr, c);
      // Freed blocks are formatted as free space, and not reusable before the commit.
      expect(blockType(store.block(b))).toBe(BlockType.Free);
      expect(store.freeBlockCount).toBe(0);
    });
    expect(store.freeBlockCount).toBe(2);

    // An attempt that stops at RetryAfter (before any change) hands its blocks to the retry.
    let attempt = 0;
    const given: number[][] = [];
    await store.run((mtr: MiniTransaction) => {
      attempt++;
      const first = store.space.allocate(mtr, 7);
      const second = store.space.allocate(mtr, 7);
      given.push([first.blockNumber, second.blockNumber]);
      if (attempt === 1) throw new RetryAfter('test', Promise.resolve());
      mtr.format(first, LEAF);
      mtr.format(second, LEAF);
    });
    expect(given).toEqual([
      [3, 2],
      [3, 2],
    ]);
    expect(store.blocksTotal).toBe(3);
    expect(store.freeBlockCount).toBe(0);

    const mtr = store.begin();
    expect(() => store.space.free(mtr, b)).not.toThrow();
    expect(() => store.space.free(mtr, b)).toThrow(/freed twice/);
    mtr.commit();
    // A block is formatted for the object it was allocated to.
    const wrong = store.begin();
    const allocated = store.space.allocate(wrong, 7);
    expect(() => wrong.format(allocated, { ...LEAF, objectNumber: 8 })).toThrow(/allocated to object 7/);
    expect(blockType(store.block(a))).toBe(BlockType.BtreeLeaf);
  });

  it('refuses to abandon an mtr with changes, and to commit an allocated block left unformatted', async () => {
    const store = new MemoryBlockStore({ blockBytes: 2048 });
    const [a] = await newBlocks(store, 1);
    const changed = store.begin();
    changed.block(a);
    changed.insertCell(a, 0, Uint8Array.of(1));
    expect(() => store.begin()).toThrow(AssertionError);
    changed.commit();
    const leaky = store.begin();
    store.space.allocate(leaky, 7);
    expect(() => leaky.commit()).toThrow(/did not format it/);
  });
});
