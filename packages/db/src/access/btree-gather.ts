// The two phases of every B+tree change (mini-transaction.ts): gather reads every block the
// change will touch and allocates every new block; mutate only makes changes. A read may
// throw RetryAfter only before the first change, so the phases are separate objects, and the
// mutate phase (PageWriter) has no way to read a block: everything it writes was computed
// from gathered bytes, and it may change only blocks that were gathered or allocated.
// A tree change that is not the first in its mtr reads after earlier changes, so its caller
// must know those blocks are cached (MemoryBlockStore asserts this).
import { assert } from '../assert.js';
import { BlockType, blockAddressText, blockKey, type BlockAddress } from '../storage/block.js';
import type { PageLinks } from '../storage/block-ops.js';
import type { MiniTransaction, SegmentSpace } from '../txn/mini-transaction.js';

export class BlockGather {
  readonly #mtr: MiniTransaction;
  /** Keys of the blocks gathered or allocated: the only blocks the writer may change. */
  readonly #touchable = new Set<number>();
  #allocating = false;
  #sealed = false;

  constructor(mtr: MiniTransaction) {
    this.#mtr = mtr;
  }

  /** Reads a block the change will read or change. May throw RetryAfter. */
  read(address: BlockAddress): Uint8Array {
    assert(!this.#sealed, () => `block ${blockAddressText(address)} read in the mutate phase`);
    // A SegmentSpace may record an allocation as a change of its own blocks, after which a
    // read could no longer signal RetryAfter: so every read comes before every allocation.
    assert(!this.#allocating, () => `block ${blockAddressText(address)} read after an allocation`);
    const bytes = this.#mtr.block(address);
    this.#touchable.add(blockKey(address.fileNumber, address.blockNumber));
    return bytes;
  }

  /** Allocates a block for `objectNumber` in `fileNumber` (the tree's file). May throw RetryAfter. */
  allocate(space: SegmentSpace, objectNumber: number, fileNumber: number): BlockAddress {
    assert(!this.#sealed, 'allocation in the mutate phase');
    this.#allocating = true;
    const address = space.allocate(this.#mtr, objectNumber);
    assert(
      address.fileNumber === fileNumber,
      () => `object ${objectNumber} was given block ${blockAddressText(address)} outside its file ${fileNumber}`,
    );
    this.#touchable.add(blockKey(address.fileNumber, address.blockNumber));
    return address;
  }

  /** Ends the gather phase; the gather accepts no more reads or allocations. */
  seal(space: SegmentSpace, objectNumber: number): PageWriter {
    assert(!this.#sealed, 'gather sealed twice');
    this.#sealed = true;
    return new PageWriter(this.#mtr, space, objectNumber, this.#touchable);
  }
}

/** The mutate phase: changes through the mtr to gathered or allocated blocks only. */
export class PageWriter {
  readonly #mtr: MiniTransaction;
  readonly #space: SegmentSpace;
  readonly #objectNumber: number;
  readonly #touchable: ReadonlySet<number>;
  /** Blocks freed by this change: a later change to one would corrupt free space. */
  readonly #freed = new Set<number>();

  constructor(mtr: MiniTransaction, space: SegmentSpace, objectNumber: number, touchable: ReadonlySet<number>) {
    this.#mtr = mtr;
    this.#space = space;
    this.#objectNumber = objectNumber;
    this.#touchable = touchable;
  }

  /** Makes `address` an empty page of this tree at `level` (0 = leaf). */
  format(address: BlockAddress, level: number): void {
    this.#check(address);
    this.#mtr.format(address, {
      type: level === 0 ? BlockType.BtreeLeaf : BlockType.BtreeBranch,
      objectNumber: this.#objectNumber,
      pageLevel: level,
    });
  }

  insertCell(address: BlockAddress, index: number, cell: Uint8Array): void {
    this.#check(address);
    this.#mtr.insertCell(address, index, cell);
  }

  removeCell(address: BlockAddress, index: number): void {
    this.#check(address);
    this.#mtr.removeCell(address, index);
  }

  replaceCell(address: BlockAddress, index: number, cell: Uint8Array): void {
    this.#check(address);
    this.#mtr.replaceCell(address, index, cell);
  }

  truncateCells(address: BlockAddress, fromIndex: number): void {
    this.#check(address);
    this.#mtr.truncateCells(address, fromIndex);
  }

  appendCells(address: BlockAddress, cells: readonly Uint8Array[]): void {
    this.#check(address);
    this.#mtr.appendCells(address, cells);
  }

  setPageLinks(address: BlockAddress, links: PageLinks): void {
    this.#check(address);
    this.#mtr.setPageLinks(address, links);
  }

  /**
   * Returns a block of the tree to the segment space. The block need not have been gathered:
   * freeing does not depend on its contents.
   */
  free(address: BlockAddress): void {
    const key = blockKey(address.fileNumber, address.blockNumber);
    assert(!this.#freed.has(key), () => `block ${blockAddressText(address)} freed twice`);
    this.#freed.add(key);
    this.#space.free(this.#mtr, address);
  }

  #check(address: BlockAddress): void {
    const key = blockKey(address.fileNumber, address.blockNumber);
    assert(this.#touchable.has(key), () => `block ${blockAddressText(address)} changed but not gathered`);
    assert(!this.#freed.has(key), () => `block ${blockAddressText(address)} changed after it was freed`);
  }
}
