// The mini-transaction (mtr): the only way to change blocks. Its changes become one redo
// record, applied to the cached blocks in the same synchronous step as the record is
// appended, so a change is never visible without its redo. Everything an mtr does is
// synchronous: a block that is not cached, a full log or a full datafile throws
// RetryAfter *before any change is made*; the caller awaits the work and starts over from
// the blocks as they are then (see runWithRetry).
import type { BlockAddress } from '../storage/block.js';
import type { FormatArgs, PageLinks } from '../storage/block-ops.js';

/**
 * Control flow, not an error: the operation needs asynchronous work (a block read, a log
 * switch, a datafile extension) before it can run. Thrown only before the first change.
 */
export class RetryAfter {
  constructor(
    readonly reason: string,
    readonly work: Promise<void>,
  ) {}
}

/** Read access to cached blocks. */
export interface BlockSource {
  /**
   * The cached block at `address`, or throws RetryAfter while it is read. The bytes are the
   * live cached copy: never modify them, and never keep them across an await.
   */
  block(address: BlockAddress): Uint8Array;
}

export interface MiniTransaction extends BlockSource {
  /** The TSN this mtr's redo record will carry and its changed blocks will be stamped with. */
  readonly tsn: number;
  /** Whether a change has been made (after which RetryAfter may no longer be thrown). */
  readonly changed: boolean;
  /** Formats a block (new, or being reused) without reading it; returns its bytes. */
  format(address: BlockAddress, args: FormatArgs): Uint8Array;
  insertCell(address: BlockAddress, index: number, cell: Uint8Array): void;
  removeCell(address: BlockAddress, index: number): void;
  replaceCell(address: BlockAddress, index: number, cell: Uint8Array): void;
  truncateCells(address: BlockAddress, fromIndex: number): void;
  appendCells(address: BlockAddress, cells: readonly Uint8Array[]): void;
  setPageLinks(address: BlockAddress, links: PageLinks): void;
  /** Physical change: `bytes` at `offset` (past the block header). */
  writeBytes(address: BlockAddress, offset: number, bytes: Uint8Array): void;
}

/** Allocation of blocks to segments (tables, indexes, undo). */
export interface SegmentSpace {
  /**
   * Reserves a free block for `objectNumber` and returns its address; the caller formats
   * it in the same mtr. May throw RetryAfter (to extend a datafile) before any change.
   */
  allocate(mtr: MiniTransaction, objectNumber: number): BlockAddress;
  /** Returns a block to the free space. */
  free(mtr: MiniTransaction, address: BlockAddress): void;
}

/**
 * Runs `operation` until it completes without needing asynchronous work. `start` builds
 * a fresh context (an mtr, or a reader) for each attempt.
 */
export async function runWithRetry<Context, Result>(
  start: () => Context,
  operation: (context: Context) => Result,
  finish: (context: Context, result: Result) => void = () => undefined,
): Promise<Result> {
  for (;;) {
    let context: Context;
    try {
      context = start();
      const result = operation(context);
      finish(context, result);
      return result;
    } catch (signal) {
      if (!(signal instanceof RetryAfter)) throw signal;
      await signal.work;
    }
  }
}
