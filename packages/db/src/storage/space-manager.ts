// Free-space management: each datafile's bitmap blocks hold one bit per block (1 = in use).
// The bitmaps stay pinned in the buffer cache, so allocation never waits for a read; bits
// change through mini-transactions, so redo protects them like any other block. A full
// file with AUTOEXTEND grows by its increment up to its maximum; otherwise the
// tablespace is full (TDB-1006).
import { assert } from '../assert.js';
import { DbError } from '../errors.js';
import { BLOCK_HEADER_BYTES, type BlockAddress } from './block.js';
import type { BufferCache } from './buffer-cache.js';
import { bitsPerBitmapBlock, DATAFILE_HEADER_COPIES, type Datafile } from './datafile.js';
import type { AutoextendPolicy } from '../control/control-state.js';
import { RetryAfter, type MiniTransaction, type SegmentSpace } from '../txn/mini-transaction.js';

/** Blocks one mini-transaction may allocate (a split cascading to a new root needs a few). */
export const ALLOCATIONS_PER_MTR_MAX = 8;

export interface ManagedFile {
  readonly datafile: Datafile;
  readonly tablespaceName: string;
  sizeBlocks: number;
  readonly autoextend: AutoextendPolicy | null;
}

export interface SpaceManagerHost {
  /** Persists a datafile's new size (control file) and grows the file. */
  extendDatafile(fileNumber: number, sizeBlocks: number): Promise<void>;
}

export class SpaceManager {
  readonly #cache: BufferCache;
  readonly #host: SpaceManagerHost;
  readonly #files = new Map<number, ManagedFile>();
  readonly #hints = new Map<number, number>();
  readonly #extending = new Map<number, Promise<void>>();
  /** Free data blocks per file, kept as bits change (counted from the bitmap at open). */
  readonly #freeBlocks = new Map<number, number>();

  constructor(cache: BufferCache, host: SpaceManagerHost) {
    this.#cache = cache;
    this.#host = host;
  }

  /**
   * Registers an open datafile and pins the bitmap blocks that cover its current size (a
   * file sized for a large maximum has bitmap blocks it does not use yet).
   */
  async addFile(file: ManagedFile): Promise<void> {
    await this.#pinBitmaps(file, 0, file.sizeBlocks);
    this.#files.set(file.datafile.fileNumber, file);
    let free = 0;
    for (let block = file.datafile.firstDataBlock; block < file.sizeBlocks; block++)
      if (!this.#isSet(file, block)) free++;
    this.#freeBlocks.set(file.datafile.fileNumber, free);
    this.#hints.set(file.datafile.fileNumber, file.datafile.firstDataBlock);
  }

  /** Pins the bitmap blocks covering blocks [fromBlocks, toBlocks) that are not pinned yet. */
  async #pinBitmaps(file: ManagedFile, fromBlocks: number, toBlocks: number): Promise<void> {
    const bits = bitsPerBitmapBlock(file.datafile.blockBytes);
    const first = fromBlocks === 0 ? 0 : Math.ceil(fromBlocks / bits);
    const last = Math.min(file.datafile.header.bitmapBlocks, Math.ceil(toBlocks / bits));
    for (let i = first; i < last; i++) {
      const frame = await this.#cache.load({
        fileNumber: file.datafile.fileNumber,
        blockNumber: DATAFILE_HEADER_COPIES + i,
      });
      this.#cache.pin(frame);
    }
  }

  /** Forgets a datafile whose tablespace was dropped, unpinning its bitmap blocks. */
  removeFile(fileNumber: number): void {
    const file = this.file(fileNumber);
    const bits = bitsPerBitmapBlock(file.datafile.blockBytes);
    const pinned = Math.min(file.datafile.header.bitmapBlocks, Math.ceil(file.sizeBlocks / bits));
    for (let i = 0; i < pinned; i++) {
      const frame = this.#cache.frame({ fileNumber, blockNumber: DATAFILE_HEADER_COPIES + i });
      if (frame !== undefined) this.#cache.unpin(frame);
    }
    this.#files.delete(fileNumber);
    this.#freeBlocks.delete(fileNumber);
    this.#hints.delete(fileNumber);
  }

  file(fileNumber: number): ManagedFile {
    const file = this.#files.get(fileNumber);
    assert(file !== undefined, () => `no managed datafile ${fileNumber}`);
    return file;
  }

  /** A SegmentSpace that allocates in one datafile (a B+tree keeps all its blocks in its root's file). */
  inFile(fileNumber: number): SegmentSpace {
    return {
      allocate: (mtr, objectNumber) => this.allocate(mtr, fileNumber, objectNumber),
      free: (mtr, address) => this.free(mtr, address),
    };
  }

  /** Number of blocks in use in a file (data blocks only). */
  usedBlocks(fileNumber: number): number {
    const file = this.file(fileNumber);
    let used = 0;
    for (let block = file.datafile.firstDataBlock; block < file.sizeBlocks; block++)
      if (this.#isSet(file, block)) used++;
    return used;
  }

  allocate(mtr: MiniTransaction, fileNumber: number, _objectNumber: number): BlockAddress {
    const file = this.file(fileNumber);
    const free = this.#freeBlocks.get(fileNumber) ?? 0;
    if (!mtr.changed && free < ALLOCATIONS_PER_MTR_MAX) {
      // The first allocation of an mtr makes room for every later one: an extension must
      // happen before the mtr changes anything, and a split may need several blocks.
      const policy = file.autoextend;
      if (policy !== null && file.sizeBlocks < policy.maxBlocks) {
        throw new RetryAfter(`extend datafile ${fileNumber}`, this.#extend(file, policy));
      }
      throw new DbError(
        'TABLESPACE_FULL',
        `tablespace ${file.tablespaceName} is full: datafile ${fileNumber} ('${file.datafile.path}') has ${free} free blocks ` +
          `of ${file.sizeBlocks}, fewer than the ${ALLOCATIONS_PER_MTR_MAX} an operation may need` +
          `${policy === null ? ', and AUTOEXTEND is off' : `, and it has reached its maximum of ${policy.maxBlocks} blocks`}`,
      );
    }
    const start = this.#hints.get(fileNumber) ?? file.datafile.firstDataBlock;
    const found = this.#findFree(file, start) ?? this.#findFree(file, file.datafile.firstDataBlock);
    assert(found !== undefined, () => `datafile ${fileNumber} counted ${free} free blocks but has none`);
    const address = { fileNumber, blockNumber: found };
    this.#cache.prepareNew(address);
    this.#setBit(mtr, file, found, true);
    this.#freeBlocks.set(fileNumber, free - 1);
    this.#hints.set(fileNumber, found + 1);
    return address;
  }

  free(mtr: MiniTransaction, address: BlockAddress): void {
    const file = this.file(address.fileNumber);
    assert(
      address.blockNumber >= file.datafile.firstDataBlock,
      () => `free of header or bitmap block ${address.blockNumber}`,
    );
    assert(
      this.#isSet(file, address.blockNumber),
      () => `double free of block ${address.fileNumber}:${address.blockNumber}`,
    );
    this.#setBit(mtr, file, address.blockNumber, false);
    this.#freeBlocks.set(address.fileNumber, (this.#freeBlocks.get(address.fileNumber) ?? 0) + 1);
    const hint = this.#hints.get(address.fileNumber)!;
    if (address.blockNumber < hint) this.#hints.set(address.fileNumber, address.blockNumber);
  }

  #bitLocation(file: ManagedFile, blockNumber: number): { address: BlockAddress; byteOffset: number; mask: number } {
    const bits = bitsPerBitmapBlock(file.datafile.blockBytes);
    const bitmapIndex = Math.floor(blockNumber / bits);
    assert(
      bitmapIndex < file.datafile.header.bitmapBlocks,
      () => `block ${blockNumber} beyond the bitmap of file ${file.datafile.fileNumber}`,
    );
    const bit = blockNumber % bits;
    return {
      address: { fileNumber: file.datafile.fileNumber, blockNumber: DATAFILE_HEADER_COPIES + bitmapIndex },
      byteOffset: BLOCK_HEADER_BYTES + (bit >>> 3),
      mask: 1 << (bit & 7),
    };
  }

  #isSet(file: ManagedFile, blockNumber: number): boolean {
    const { address, byteOffset, mask } = this.#bitLocation(file, blockNumber);
    const frame = this.#cache.frame(address);
    assert(frame !== undefined, 'bitmap blocks stay pinned');
    return (frame.bytes[byteOffset] & mask) !== 0;
  }

  #setBit(mtr: MiniTransaction, file: ManagedFile, blockNumber: number, used: boolean): void {
    const { address, byteOffset, mask } = this.#bitLocation(file, blockNumber);
    const current = mtr.block(address)[byteOffset];
    mtr.writeBytes(address, byteOffset, Uint8Array.of(used ? current | mask : current & ~mask));
  }

  #findFree(file: ManagedFile, from: number): number | undefined {
    for (let block = Math.max(from, file.datafile.firstDataBlock); block < file.sizeBlocks; block++) {
      if (!this.#isSet(file, block)) return block;
    }
    return undefined;
  }

  #extend(file: ManagedFile, policy: AutoextendPolicy): Promise<void> {
    const fileNumber = file.datafile.fileNumber;
    const running = this.#extending.get(fileNumber);
    if (running !== undefined) return running;
    const sizeBlocks = Math.min(file.sizeBlocks + policy.nextBlocks, policy.maxBlocks);
    const extension = this.#host
      .extendDatafile(fileNumber, sizeBlocks)
      .then(async () => {
        await this.#pinBitmaps(file, file.sizeBlocks, sizeBlocks);
        const added = Math.max(0, sizeBlocks - file.sizeBlocks);
        file.sizeBlocks = Math.max(file.sizeBlocks, sizeBlocks);
        this.#freeBlocks.set(fileNumber, (this.#freeBlocks.get(fileNumber) ?? 0) + added);
      })
      .finally(() => this.#extending.delete(fileNumber));
    this.#extending.set(fileNumber, extension);
    return extension;
  }
}
