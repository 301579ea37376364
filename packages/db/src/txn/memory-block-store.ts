// A test double of the buffer cache, the segment space and the redo stream, for testing what
// is built on mini-transactions: blocks live in a Map, an mtr's changes apply at once through
// applyBlockOp, and every change vector is kept so that a test can replay the redo into a
// fresh store and compare bytes. Seeded "not cached" faults make every caller prove the
// gather-then-mutate discipline of mini-transaction.ts.
import type { Random } from '@tandem/testkit';
import { assert } from '../assert.js';
import {
  BlockType,
  blockAddressText,
  blockKey,
  blockType,
  isValidBlockBytes,
  type BlockAddress,
} from '../storage/block.js';
import {
  BlockOp,
  applyBlockOp,
  cellPayload,
  cellsPayload,
  formatPayload,
  indexPayload,
  pageLinksPayload,
  writeBytesPayload,
  type FormatArgs,
  type PageLinks,
} from '../storage/block-ops.js';
import {
  RetryAfter,
  runWithRetry,
  type BlockSource,
  type MiniTransaction,
  type SegmentSpace,
} from './mini-transaction.js';

export interface MemoryBlockStoreOptions {
  readonly blockBytes: number;
  /** The number of the store's one datafile; 1 unless given. */
  readonly fileNumber?: number;
  /**
   * The probability that a block not yet read in the current attempt is "not cached": its
   * read throws RetryAfter, and so does a datafile extension in `allocate`. 0 unless given.
   */
  readonly uncachedProbability?: number;
  /** Draws the faults; required when `uncachedProbability` > 0. */
  readonly random?: Random;
}

/** One change of one block, as a redo record would carry it. */
export interface ChangeVector {
  readonly opcode: BlockOp;
  readonly address: BlockAddress;
  readonly payload: Uint8Array;
}

/** The changes of one committed mtr, in the order they were made. */
export interface MtrRecord {
  readonly tsn: number;
  readonly changes: readonly ChangeVector[];
}

export interface MemoryBlockStoreStatistics {
  /** Mtrs committed with at least one change (each consumed a TSN). */
  readonly mtrsCommitted: number;
  /** RetryAfter signals thrown by the fault injection. */
  readonly retriesSignalled: number;
}

interface PendingAllocation {
  readonly address: BlockAddress;
  readonly objectNumber: number;
}

// The state the store shares with its mtrs and readers; not exported, so tests see only the
// store's API.
class StoreCore {
  readonly blocks = new Map<number, Uint8Array>();
  readonly records: MtrRecord[] = [];
  /** Free block numbers; the last is handed out first. */
  readonly freeList: number[] = [];
  /**
   * Blocks whose simulated read has completed for the operation under way: they are cached
   * for its next attempts, so an operation that keeps retrying always makes progress.
   */
  readonly warm = new Set<number>();
  /** A simulated datafile extension has completed, for the next allocation that needs it. */
  extensionWarm = false;
  lastTsn = 0;
  /** Block numbers 1..blocksTotal exist in the file (free or in use). */
  blocksTotal = 0;
  mtrsCommitted = 0;
  retriesSignalled = 0;
  openMtr: MemoryMiniTransaction | undefined;

  constructor(
    readonly blockBytes: number,
    readonly fileNumber: number,
    readonly uncachedProbability: number,
    readonly random: Random | undefined,
  ) {}

  key(address: BlockAddress): number {
    assert(
      address.fileNumber === this.fileNumber &&
        Number.isInteger(address.blockNumber) &&
        address.blockNumber >= 1 &&
        address.blockNumber <= this.blocksTotal,
      () =>
        `block ${blockAddressText(address)} is outside the store (file ${this.fileNumber}, ${this.blocksTotal} blocks)`,
    );
    return blockKey(address.fileNumber, address.blockNumber);
  }

  bytes(address: BlockAddress): Uint8Array {
    const block = this.blocks.get(this.key(address));
    assert(block !== undefined, () => `block ${blockAddressText(address)} was never written`);
    return block;
  }

  /** The signal to throw when the read of `address` simulates a cache miss, or undefined. */
  miss(address: BlockAddress): RetryAfter | undefined {
    const key = this.key(address);
    if (this.uncachedProbability === 0 || this.warm.has(key)) return undefined;
    assert(this.random !== undefined, 'uncachedProbability needs a random');
    if (!this.random.chance(this.uncachedProbability)) return undefined;
    // The simulated read is already done; the caller's retry finds the block cached.
    this.warm.add(key);
    this.retriesSignalled++;
    return new RetryAfter(`block ${blockAddressText(address)} is not cached`, Promise.resolve());
  }
}

/** An mtr of a MemoryBlockStore. Commit it (`run` does) to record its redo. */
export class MemoryMiniTransaction implements MiniTransaction {
  readonly tsn: number;
  readonly #core: StoreCore;
  #state: 'open' | 'committed' | 'abandoned' = 'open';
  /** Blocks read in this mtr (they stay cached until it ends). */
  readonly #read = new Set<number>();
  /** Blocks formatted in this mtr: their bytes need no read. */
  readonly #formatted = new Set<number>();
  readonly #changes: ChangeVector[] = [];
  readonly #allocations = new Map<number, PendingAllocation>();
  readonly #frees: number[] = [];

  constructor(core: StoreCore, tsn: number) {
    this.#core = core;
    this.tsn = tsn;
  }

  get changed(): boolean {
    return this.#changes.length > 0;
  }

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  block(address: BlockAddress): Uint8Array {
    this.#assertOpen();
    const key = this.#core.key(address);
    if (this.#read.has(key) || this.#formatted.has(key)) return this.#core.bytes(address);
    // After a change, RetryAfter may no longer be thrown, so a block the mtr did not read
    // before its first change might be missing from the cache: the caller broke its gather
    // phase, whether or not this particular read would have missed.
    assert(
      !this.changed,
      () =>
        `mtr ${this.tsn} read block ${blockAddressText(address)} after its first change without reading it before: ` +
        `it may not be cached, and RetryAfter is no longer allowed`,
    );
    const miss = this.#core.miss(address);
    if (miss !== undefined) throw miss;
    this.#read.add(key);
    return this.#core.bytes(address);
  }

  format(address: BlockAddress, args: FormatArgs): Uint8Array {
    const key = this.#core.key(address);
    const allocation = this.#allocations.get(key);
    assert(
      allocation === undefined || allocation.objectNumber === args.objectNumber,
      () =>
        `block ${blockAddressText(address)} allocated to object ${allocation?.objectNumber} ` +
        `but formatted for object ${args.objectNumber}`,
    );
    if (!this.#core.blocks.has(key)) this.#core.blocks.set(key, new Uint8Array(this.#core.blockBytes));
    this.#apply(address, BlockOp.Format, formatPayload(args), false);
    this.#formatted.add(key);
    return this.#core.bytes(address);
  }

  insertCell(address: BlockAddress, index: number, cell: Uint8Array): void {
    this.#apply(address, BlockOp.InsertCell, cellPayload(index, cell), true);
  }

  removeCell(address: BlockAddress, index: number): void {
    this.#apply(address, BlockOp.RemoveCell, indexPayload(index), true);
  }

  replaceCell(address: BlockAddress, index: number, cell: Uint8Array): void {
    this.#apply(address, BlockOp.ReplaceCell, cellPayload(index, cell), true);
  }

  truncateCells(address: BlockAddress, fromIndex: number): void {
    this.#apply(address, BlockOp.TruncateCells, indexPayload(fromIndex), true);
  }

  appendCells(address: BlockAddress, cells: readonly Uint8Array[]): void {
    this.#apply(address, BlockOp.AppendCells, cellsPayload(cells), true);
  }

  setPageLinks(address: BlockAddress, links: PageLinks): void {
    this.#apply(address, BlockOp.SetPageLinks, pageLinksPayload(links), true);
  }

  writeBytes(address: BlockAddress, offset: number, bytes: Uint8Array): void {
    this.#apply(address, BlockOp.WriteBytes, writeBytesPayload(offset, bytes), true);
  }

  /** Ends the mtr: its changes become a redo record and its frees become reusable. */
  commit(): void {
    this.#assertOpen();
    for (const allocation of this.#allocations.values()) {
      assert(
        this.#formatted.has(this.#core.key(allocation.address)),
        () => `mtr ${this.tsn} allocated block ${blockAddressText(allocation.address)} but did not format it`,
      );
    }
    if (this.changed) {
      this.#core.records.push({ tsn: this.tsn, changes: this.#changes.slice() });
      this.#core.lastTsn = this.tsn;
      this.#core.mtrsCommitted++;
    }
    this.#core.freeList.push(...this.#frees);
    this.#end('committed');
  }

  /** Drops an mtr that made no change (it stopped at RetryAfter); its allocations return. */
  abandon(): void {
    this.#assertOpen();
    assert(
      !this.changed,
      () =>
        `mtr ${this.tsn} abandoned after ${this.#changes.length} changes: they are in the blocks but not in the redo`,
    );
    // Back in reverse, so that the retry is handed the same blocks in the same order.
    const returned = [...this.#allocations.values()].reverse().map((allocation) => allocation.address.blockNumber);
    this.#core.freeList.push(...returned);
    this.#end('abandoned');
  }

  /** Called by the store's SegmentSpace. */
  noteAllocation(allocation: PendingAllocation): void {
    this.#assertOpen();
    this.#allocations.set(this.#core.key(allocation.address), allocation);
  }

  /** Called by the store's SegmentSpace: formats the block as free, reusable once committed. */
  noteFree(address: BlockAddress): void {
    this.#assertOpen();
    const key = this.#core.key(address);
    assert(!this.#allocations.has(key), () => `block ${blockAddressText(address)} freed in the mtr that allocated it`);
    assert(
      !this.#frees.includes(address.blockNumber) && !this.#core.freeList.includes(address.blockNumber),
      () => `block ${blockAddressText(address)} freed twice`,
    );
    const bytes = this.#core.blocks.get(key);
    assert(
      bytes !== undefined && blockType(bytes) !== BlockType.Free,
      () => `block ${blockAddressText(address)} freed but not in use`,
    );
    this.format(address, { type: BlockType.Free, objectNumber: 0, pageLevel: -1 });
    this.#frees.push(address.blockNumber);
  }

  #apply(address: BlockAddress, opcode: BlockOp, payload: Uint8Array, needsBytes: boolean): void {
    this.#assertOpen();
    const key = this.#core.key(address);
    // A physiological change (insert cell 3) is computed from the block's contents, so the
    // mtr must have read the block (or formatted it) before changing it.
    assert(
      !needsBytes || this.#read.has(key) || this.#formatted.has(key),
      () => `mtr ${this.tsn} changed block ${blockAddressText(address)} (opcode ${opcode}) without reading it`,
    );
    applyBlockOp(this.#core.bytes(address), address, opcode, payload, this.tsn);
    this.#changes.push({
      opcode,
      address: { fileNumber: address.fileNumber, blockNumber: address.blockNumber },
      payload,
    });
  }

  #end(state: 'committed' | 'abandoned'): void {
    this.#state = state;
    if (this.#core.openMtr === this) this.#core.openMtr = undefined;
    // The operation is over (or will start again from scratch): cache misses resume.
    if (state === 'committed') {
      this.#core.warm.clear();
      this.#core.extensionWarm = false;
    }
  }

  #assertOpen(): void {
    assert(this.#state === 'open', () => `mtr ${this.tsn} is ${this.#state}`);
  }
}

/** One attempt of a read-only operation: a block read in it stays cached for the attempt. */
class MemoryBlockReader implements BlockSource {
  readonly #core: StoreCore;
  readonly #read = new Set<number>();

  constructor(core: StoreCore) {
    this.#core = core;
  }

  block(address: BlockAddress): Uint8Array {
    const key = this.#core.key(address);
    if (!this.#read.has(key)) {
      const miss = this.#core.miss(address);
      if (miss !== undefined) throw miss;
      this.#read.add(key);
    }
    return this.#core.bytes(address);
  }
}

/**
 * Blocks of one datafile in memory, with mtrs, a segment space (a free list; new blocks extend
 * the file from block 1), recorded redo and optional seeded cache misses. As a BlockSource
 * itself it reads directly, never missing: for checks that read every block.
 */
export class MemoryBlockStore implements BlockSource {
  readonly blockBytes: number;
  readonly fileNumber: number;
  readonly space: SegmentSpace;
  readonly #core: StoreCore;

  constructor(options: MemoryBlockStoreOptions) {
    assert(isValidBlockBytes(options.blockBytes), () => `invalid block size ${options.blockBytes}`);
    const uncachedProbability = options.uncachedProbability ?? 0;
    assert(
      uncachedProbability >= 0 && uncachedProbability < 1,
      () => `uncachedProbability ${uncachedProbability} not in [0, 1)`,
    );
    assert(uncachedProbability === 0 || options.random !== undefined, 'uncachedProbability needs a random');
    this.blockBytes = options.blockBytes;
    this.fileNumber = options.fileNumber ?? 1;
    this.#core = new StoreCore(this.blockBytes, this.fileNumber, uncachedProbability, options.random);
    this.space = {
      allocate: (mtr, objectNumber) => this.#allocate(mtr, objectNumber),
      free: (mtr, address) => this.#own(mtr).noteFree(address),
    };
  }

  /** The TSN of the last committed change; 0 before any. */
  get lastTsn(): number {
    return this.#core.lastTsn;
  }

  /** The redo of every committed mtr, oldest first. */
  get records(): readonly MtrRecord[] {
    return this.#core.records;
  }

  /** The file's size in blocks: every block ever allocated, free or in use. */
  get blocksTotal(): number {
    return this.#core.blocksTotal;
  }

  get freeBlockCount(): number {
    return this.#core.freeList.length;
  }

  get statistics(): MemoryBlockStoreStatistics {
    return { mtrsCommitted: this.#core.mtrsCommitted, retriesSignalled: this.#core.retriesSignalled };
  }

  /**
   * Starts an mtr. One mtr is open at a time: an open one that made no change (an attempt that
   * stopped at RetryAfter) is abandoned, which `runWithRetry` relies on.
   */
  begin(): MemoryMiniTransaction {
    const open = this.#core.openMtr;
    if (open !== undefined && open.isOpen) open.abandon();
    const mtr = new MemoryMiniTransaction(this.#core, this.#core.lastTsn + 1);
    this.#core.openMtr = mtr;
    return mtr;
  }

  /** Runs `operation` in an mtr, retrying after cache misses, and commits it. */
  run<T>(operation: (mtr: MiniTransaction) => T): Promise<T> {
    return runWithRetry(
      () => this.begin(),
      operation,
      (mtr) => mtr.commit(),
    );
  }

  /** Runs a read-only `operation`, retrying after cache misses. */
  read<T>(operation: (source: BlockSource) => T): Promise<T> {
    return runWithRetry(
      () => new MemoryBlockReader(this.#core),
      operation,
      () => this.#core.warm.clear(),
    );
  }

  block(address: BlockAddress): Uint8Array {
    return this.#core.bytes(address);
  }

  /** Addresses of every block ever written, in block order. */
  addresses(): BlockAddress[] {
    const numbers: number[] = [];
    for (let blockNumber = 1; blockNumber <= this.#core.blocksTotal; blockNumber++) {
      if (this.#core.blocks.has(blockKey(this.fileNumber, blockNumber))) numbers.push(blockNumber);
    }
    return numbers.map((blockNumber) => ({ fileNumber: this.fileNumber, blockNumber }));
  }

  /**
   * Applies every recorded change, in order, to `other`, a fresh store of the same shape: what
   * recovery does with redo. Only blocks and the TSN are redo; the free list is not copied.
   */
  replayInto(other: MemoryBlockStore): void {
    const target = other.#core;
    assert(target.blocks.size === 0 && target.records.length === 0, 'replay needs a fresh store');
    assert(
      other.blockBytes === this.blockBytes && other.fileNumber === this.fileNumber,
      () => `replay into a store of ${other.blockBytes}-byte blocks in file ${other.fileNumber}`,
    );
    for (const record of this.#core.records) {
      for (const change of record.changes) {
        target.blocksTotal = Math.max(target.blocksTotal, change.address.blockNumber);
        const key = target.key(change.address);
        let bytes = target.blocks.get(key);
        if (bytes === undefined) {
          bytes = new Uint8Array(target.blockBytes);
          target.blocks.set(key, bytes);
        }
        applyBlockOp(bytes, change.address, change.opcode, change.payload, record.tsn);
      }
      target.lastTsn = record.tsn;
    }
  }

  /** The blocks whose bytes differ between the two stores (or exist in only one); empty if none. */
  differences(other: MemoryBlockStore): string[] {
    const problems: string[] = [];
    const keys = new Set([...this.#core.blocks.keys(), ...other.#core.blocks.keys()]);
    for (const key of [...keys].sort((a, b) => a - b)) {
      const mine = this.#core.blocks.get(key);
      const theirs = other.#core.blocks.get(key);
      const text = `block ${this.fileNumber}:${key % 0x1_0000_0000}`;
      if (mine === undefined || theirs === undefined) {
        problems.push(`${text} exists only in the ${mine === undefined ? 'other' : 'first'} store`);
        continue;
      }
      const at = mine.findIndex((byte, index) => byte !== theirs[index]);
      if (at >= 0) problems.push(`${text} differs first at byte ${at}: ${mine[at]} != ${theirs[at]}`);
    }
    return problems;
  }

  #own(mtr: MiniTransaction): MemoryMiniTransaction {
    assert(
      mtr instanceof MemoryMiniTransaction && mtr === this.#core.openMtr,
      'the mtr is not the open mtr of this store',
    );
    return mtr;
  }

  #allocate(mtr: MiniTransaction, objectNumber: number): BlockAddress {
    const own = this.#own(mtr);
    const core = this.#core;
    let blockNumber = core.freeList.pop();
    if (blockNumber === undefined) {
      // Growing the file is asynchronous in the real engine: a chance to signal RetryAfter,
      // allowed only before the mtr's first change.
      if (core.uncachedProbability > 0 && !own.changed && !core.extensionWarm) {
        assert(core.random !== undefined, 'uncachedProbability needs a random');
        if (core.random.chance(core.uncachedProbability)) {
          core.extensionWarm = true;
          core.retriesSignalled++;
          throw new RetryAfter(`extending datafile ${this.fileNumber}`, Promise.resolve());
        }
      }
      core.extensionWarm = false;
      blockNumber = ++core.blocksTotal;
    }
    const address = { fileNumber: this.fileNumber, blockNumber };
    own.noteAllocation({ address, objectNumber });
    return address;
  }
}
