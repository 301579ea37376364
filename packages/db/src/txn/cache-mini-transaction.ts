// The mini-transaction over the real buffer cache and LGWR. It reserves log room before its
// first change (so its append cannot be refused after blocks changed), applies each change
// to the cached block at once, stamping the TSN its redo record will carry, and appends
// the record at commit, in the same synchronous step.
import { assert } from '../assert.js';
import type { BlockAddress } from '../storage/block.js';
import {
  applyBlockOp,
  BlockOp,
  cellPayload,
  cellsPayload,
  formatPayload,
  indexPayload,
  pageLinksPayload,
  writeBytesPayload,
  type FormatArgs,
  type PageLinks,
} from '../storage/block-ops.js';
import type { BufferCache } from '../storage/buffer-cache.js';
import type { LogWriter } from '../redo/log-writer.js';
import type { ChangeVector } from '../redo/redo-record.js';
import { RetryAfter, type MiniTransaction } from './mini-transaction.js';

/** Log room an mtr reserves: its record may not be larger. */
export function mtrReserveBytes(blockBytes: number, withImages = false): number {
  // With full-block images (online backup), a split's several blocks each carry one.
  return (withImages ? 24 : 8) * blockBytes + 4096;
}

/**
 * During online backup: which changed blocks must also log their full image in this mtr's
 * record (the first change to each block of a file in backup mode), so that recovery of a
 * copy that tore the block while cp read it can restore the whole block.
 */
export interface BlockImagePolicy {
  takeImage(address: BlockAddress): boolean;
}

export class CacheMiniTransaction implements MiniTransaction {
  readonly tsn: number;
  readonly #cache: BufferCache;
  readonly #redo: LogWriter;
  readonly #reserveBytes: number;
  readonly #changes: ChangeVector[] = [];
  #done = false;

  readonly #images: BlockImagePolicy | undefined;

  constructor(cache: BufferCache, redo: LogWriter, images?: BlockImagePolicy) {
    this.#cache = cache;
    this.#redo = redo;
    this.#images = images;
    this.#reserveBytes = mtrReserveBytes(cache.blockBytes, images !== undefined);
    if (!redo.hasRoomFor(this.#reserveBytes)) throw new RetryAfter('log switch', redo.requestSpace());
    this.tsn = redo.lastTsn + 1;
  }

  get changed(): boolean {
    return this.#changes.length > 0;
  }

  block(address: BlockAddress): Uint8Array {
    if (!this.changed) return this.#cache.block(address);
    const frame = this.#cache.frame(address);
    assert(
      frame !== undefined,
      () => `mtr read block ${address.fileNumber}:${address.blockNumber}, not cached, after its first change`,
    );
    return frame.bytes;
  }

  format(address: BlockAddress, args: FormatArgs): Uint8Array {
    return this.#apply(address, BlockOp.Format, formatPayload(args));
  }

  insertCell(address: BlockAddress, index: number, cell: Uint8Array): void {
    this.#apply(address, BlockOp.InsertCell, cellPayload(index, cell));
  }

  removeCell(address: BlockAddress, index: number): void {
    this.#apply(address, BlockOp.RemoveCell, indexPayload(index));
  }

  replaceCell(address: BlockAddress, index: number, cell: Uint8Array): void {
    this.#apply(address, BlockOp.ReplaceCell, cellPayload(index, cell));
  }

  truncateCells(address: BlockAddress, fromIndex: number): void {
    this.#apply(address, BlockOp.TruncateCells, indexPayload(fromIndex));
  }

  appendCells(address: BlockAddress, cells: readonly Uint8Array[]): void {
    this.#apply(address, BlockOp.AppendCells, cellsPayload(cells));
  }

  setPageLinks(address: BlockAddress, links: PageLinks): void {
    this.#apply(address, BlockOp.SetPageLinks, pageLinksPayload(links));
  }

  writeBytes(address: BlockAddress, offset: number, bytes: Uint8Array): void {
    this.#apply(address, BlockOp.WriteBytes, writeBytesPayload(offset, bytes));
  }

  #apply(address: BlockAddress, opcode: number, payload: Uint8Array): Uint8Array {
    assert(!this.#done, 'change to a finished mtr');
    const frame = this.#cache.frame(address);
    assert(
      frame !== undefined,
      () => `mtr changed block ${address.fileNumber}:${address.blockNumber} without reading or preparing it`,
    );
    applyBlockOp(frame.bytes, address, opcode, payload, this.tsn);
    this.#cache.markChanged(frame, this.tsn);
    this.#changes.push({ fileNumber: address.fileNumber, blockNumber: address.blockNumber, opcode, payload });
    return frame.bytes;
  }

  /**
   * Appends the redo record. Mini-transactions never nest (an operation is synchronous),
   * and the TSN check below catches one that did. (flags and transaction given here) and finishes the mtr.
   * Returns its TSN, or 0 if it changed nothing.
   */
  commit(flags = 0, txnId = 0): number {
    assert(!this.#done, 'mtr committed twice');
    this.#done = true;
    if (this.#changes.length === 0) return 0;
    if (this.#images !== undefined) this.#appendImages();
    const tsn = this.#redo.tryAppend({ flags, txnId, changes: this.#changes });
    assert(
      tsn === this.tsn,
      () => `mtr expected TSN ${this.tsn}, the log gave ${String(tsn)} (reserve ${this.#reserveBytes} bytes)`,
    );
    return tsn;
  }

  /** The after-images of the blocks the policy asks for, last in the record (replay ends with them). */
  #appendImages(): void {
    const seen = new Set<string>();
    const images: ChangeVector[] = [];
    for (const change of this.#changes) {
      const key = `${change.fileNumber}:${change.blockNumber}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (!this.#images!.takeImage(change)) continue;
      const frame = this.#cache.frame(change);
      assert(frame !== undefined, () => `changed block ${key} left the cache before its mtr committed`);
      images.push({ ...change, opcode: BlockOp.BlockImage, payload: frame.bytes.slice() });
    }
    this.#changes.push(...images);
  }

  /**
   * Ends an mtr whose operation threw. Returns false if it had already changed blocks:
   * those changes are in the cache without redo, and the instance must go down.
   */
  abandon(): boolean {
    const clean = !this.changed || this.#done;
    this.#done = true;
    return clean;
  }
}
