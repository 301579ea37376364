// The buffer cache: a bounded set of block frames, steal / no-force. Changes are made to
// the cached copy (through mini-transactions) and written back later by DBWR, committed or
// not. A frame that is dirty cannot be evicted until DBWR has written it, and DBWR writes
// it only after the redo up to its last change is durable (the write-ahead rule).
//
// Dirty frames are kept in a Set in the order they became dirty, which is (nearly) the
// order of their first-dirty TSN: the incremental checkpoint writes from its head.
import { assert } from '../assert.js';
import { DbError } from '../errors.js';
import { blockKey, type BlockAddress } from './block.js';
import type { Datafile } from './datafile.js';
import { RetryAfter } from '../txn/mini-transaction.js';

export interface CacheFrame {
  readonly key: number;
  readonly address: BlockAddress;
  readonly bytes: Uint8Array;
  dirty: boolean;
  /** TSN of the first change since the block was last written; the checkpoint cannot pass it. */
  firstDirtyTsn: number;
  /** TSN of the last change; DBWR waits until redo is durable up to it. */
  lastChangeTsn: number;
  /** Pinned frames are never evicted (space bitmaps, frames DBWR is writing). */
  pins: number;
  /** Clock bit: set on use, cleared as the eviction hand passes. */
  referenced: boolean;
}

export interface DatafileDirectory {
  /** The open datafile with this number; asserts that it exists. */
  datafile(fileNumber: number): Datafile;
}

export interface BufferCacheStatistics {
  hits: number;
  misses: number;
  reads: number;
  evictions: number;
}

/** Something that can make dirty frames clean when the cache has none to evict. */
export interface FrameCleaner {
  cleanSome(): Promise<void>;
}

export class BufferCache {
  readonly capacityBlocks: number;
  readonly blockBytes: number;
  readonly #files: DatafileDirectory;
  readonly #frames = new Map<number, CacheFrame>();
  readonly #clock: CacheFrame[] = [];
  #hand = 0;
  /** Buffers of evicted or discarded frames, ready for reuse. */
  readonly #spare: Uint8Array[] = [];
  readonly #loading = new Map<number, Promise<CacheFrame>>();
  readonly #dirty = new Set<CacheFrame>();
  #cleaner: FrameCleaner | undefined;
  readonly statistics: BufferCacheStatistics = { hits: 0, misses: 0, reads: 0, evictions: 0 };

  constructor(options: {
    readonly capacityBlocks: number;
    readonly blockBytes: number;
    readonly files: DatafileDirectory;
  }) {
    assert(
      options.capacityBlocks >= 16,
      () => `a buffer cache needs at least 16 blocks, got ${options.capacityBlocks}`,
    );
    this.capacityBlocks = options.capacityBlocks;
    this.blockBytes = options.blockBytes;
    this.#files = options.files;
  }

  /** DBWR registers itself so that a full cache can ask it for clean frames. */
  setCleaner(cleaner: FrameCleaner): void {
    this.#cleaner = cleaner;
  }

  get size(): number {
    return this.#frames.size;
  }

  get dirtyCount(): number {
    return this.#dirty.size;
  }

  frame(address: BlockAddress): CacheFrame | undefined {
    const frame = this.#frames.get(blockKey(address.fileNumber, address.blockNumber));
    if (frame !== undefined) frame.referenced = true;
    return frame;
  }

  /** The cached bytes of a block, or throws RetryAfter while the block is read. */
  block(address: BlockAddress): Uint8Array {
    const frame = this.frame(address);
    if (frame !== undefined) {
      this.statistics.hits++;
      return frame.bytes;
    }
    this.statistics.misses++;
    throw new RetryAfter(
      `read block ${address.fileNumber}:${address.blockNumber}`,
      this.load(address).then(() => undefined),
    );
  }

  /** Reads a block into the cache (once, however many callers ask at the same time). */
  load(address: BlockAddress): Promise<CacheFrame> {
    const key = blockKey(address.fileNumber, address.blockNumber);
    const cached = this.#frames.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    const pending = this.#loading.get(key);
    if (pending !== undefined) return pending;
    const loading = this.#read(key, address).finally(() => this.#loading.delete(key));
    this.#loading.set(key, loading);
    return loading;
  }

  async #read(key: number, address: BlockAddress): Promise<CacheFrame> {
    const bytes = await this.#freeBuffer();
    // Another caller may have formatted the block while we waited for a buffer.
    const raced = this.#frames.get(key);
    if (raced !== undefined) return raced;
    try {
      await this.#files.datafile(address.fileNumber).readBlock(address.blockNumber, bytes);
    } catch (error) {
      this.#spare.push(bytes);
      throw error;
    }
    const again = this.#frames.get(key);
    if (again !== undefined) {
      this.#spare.push(bytes);
      return again;
    }
    this.statistics.reads++;
    return this.#insert(key, address, bytes);
  }

  /**
   * Makes sure a frame exists for a block that is about to be formatted (not read). Never
   * evicts: inside a mini-transaction an eviction could take a block the mtr gathered. It
   * takes a spare buffer or goes over capacity; trim() brings the cache back down between
   * mini-transactions.
   */
  prepareNew(address: BlockAddress): void {
    const key = blockKey(address.fileNumber, address.blockNumber);
    if (this.#frames.has(key)) return;
    const bytes = this.#spare.pop() ?? new Uint8Array(this.blockBytes);
    bytes.fill(0);
    this.#insert(key, address, bytes);
  }

  /**
   * Evicts clean frames until the cache is within capacity. Call between mini-transactions.
   * Returns a promise when only dirty frames are left to evict: DBWR must write some first.
   */
  trim(): Promise<void> | undefined {
    while (this.#frames.size > this.capacityBlocks) {
      const bytes = this.#evictOne();
      if (bytes === undefined) {
        assert(this.#cleaner !== undefined, 'the buffer cache is over capacity with dirty blocks and has no writer');
        if (this.#dirty.size === 0) return Promise.reject(this.#tooSmall());
        return this.#cleaner.cleanSome();
      }
      if (this.#spare.length < 8) this.#spare.push(bytes);
    }
    return undefined;
  }

  /** Records that an mtr changed the frame with `tsn`. */
  markChanged(frame: CacheFrame, tsn: number): void {
    if (!frame.dirty) {
      frame.dirty = true;
      frame.firstDirtyTsn = tsn;
      this.#dirty.add(frame);
    }
    frame.lastChangeTsn = tsn;
  }

  /** Called by DBWR after a block image with `writtenTsn` reached the disk. */
  markWritten(frame: CacheFrame, writtenTsn: number): void {
    if (!frame.dirty) return;
    if (frame.lastChangeTsn === writtenTsn) {
      frame.dirty = false;
      frame.firstDirtyTsn = 0;
      this.#dirty.delete(frame);
    } else {
      // Changed again while it was being written: everything up to writtenTsn is on disk.
      frame.firstDirtyTsn = writtenTsn + 1;
    }
  }

  /** Dirty frames, roughly oldest first. */
  dirtyFrames(): IterableIterator<CacheFrame> {
    return this.#dirty.values();
  }

  /** The lowest first-dirty TSN: every change below it is on disk. Undefined if nothing is dirty. */
  oldestDirtyTsn(): number | undefined {
    let oldest: number | undefined;
    for (const frame of this.#dirty)
      if (oldest === undefined || frame.firstDirtyTsn < oldest) oldest = frame.firstDirtyTsn;
    return oldest;
  }

  pin(frame: CacheFrame): void {
    frame.pins++;
  }

  unpin(frame: CacheFrame): void {
    assert(frame.pins > 0, () => `unpin of an unpinned frame ${frame.address.fileNumber}:${frame.address.blockNumber}`);
    frame.pins--;
  }

  /**
   * Drops every frame of a file (its blocks are reread); the frames must be clean, unless
   * `lose` says their changes may be lost (a datafile taken OFFLINE IMMEDIATE, which media
   * recovery brings back from the redo).
   */
  discardFile(fileNumber: number, lose = false): void {
    for (const [key, frame] of this.#frames) {
      if (frame.address.fileNumber !== fileNumber) continue;
      assert(
        lose ? frame.pins === 0 : !frame.dirty && frame.pins === 0,
        () => `discarding a dirty or pinned frame of file ${fileNumber}`,
      );
      this.#dirty.delete(frame);
      this.#frames.delete(key);
      this.#spare.push(frame.bytes);
    }
    this.#clockRebuild();
  }

  #insert(key: number, address: BlockAddress, bytes: Uint8Array): CacheFrame {
    const frame: CacheFrame = {
      key,
      address: { fileNumber: address.fileNumber, blockNumber: address.blockNumber },
      bytes,
      dirty: false,
      firstDirtyTsn: 0,
      lastChangeTsn: 0,
      pins: 0,
      referenced: true,
    };
    this.#frames.set(key, frame);
    this.#clock.push(frame);
    return frame;
  }

  /** A buffer for a new frame: unused capacity, or a clean frame evicted by the clock hand. */
  /** Evicts one clean, unpinned frame chosen by the clock hand; undefined if there is none. */
  #evictOne(): Uint8Array | undefined {
    const count = this.#clock.length;
    for (let step = 0; step < 2 * count; step++) {
      if (this.#hand >= this.#clock.length) this.#hand = 0;
      const frame = this.#clock[this.#hand];
      if (frame.referenced) {
        frame.referenced = false;
        this.#hand++;
        continue;
      }
      if (frame.dirty || frame.pins > 0) {
        this.#hand++;
        continue;
      }
      this.#frames.delete(frame.key);
      const last = this.#clock.pop()!;
      if (last !== frame) this.#clock[this.#hand] = last;
      this.statistics.evictions++;
      return frame.bytes;
    }
    return undefined;
  }

  async #freeBuffer(): Promise<Uint8Array> {
    for (;;) {
      // A read never takes the cache over capacity: that would make the next trim() evict
      // the block it just read, and the mtr waiting for it would read it again, forever.
      const underCapacity = this.#frames.size + this.#loading.size < this.capacityBlocks;
      const bytes = underCapacity ? (this.#spare.pop() ?? new Uint8Array(this.blockBytes)) : this.#evictOne();
      if (bytes !== undefined) return bytes;
      assert(this.#cleaner !== undefined, 'the buffer cache is full of dirty blocks and has no writer to clean it');
      if (this.#dirty.size === 0) throw this.#tooSmall();
      await this.#cleaner.cleanSome();
    }
  }

  #tooSmall(): DbError {
    let pinned = 0;
    for (const frame of this.#frames.values()) if (frame.pins > 0) pinned++;
    return new DbError(
      'INVALID_PARAMETER',
      `the buffer cache of ${this.capacityBlocks} blocks is too small: ${pinned} are pinned and none can be evicted; raise the buffer cache size`,
    );
  }

  #clockRebuild(): void {
    this.#clock.length = 0;
    for (const frame of this.#frames.values()) this.#clock.push(frame);
    this.#hand = 0;
  }
}
