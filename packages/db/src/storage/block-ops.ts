// The block operations that redo describes: each is a pure function of (block bytes,
// payload), used both at run time and at replay, so replay rebuilds exactly the bytes the
// instance had. Slotted-page operations are physiological (insert cell 3 of this page);
// WriteBytes is physical, for bitmaps and headers; BlockImage restores a whole block.
import { assert, unreachable } from '../assert.js';
import { BLOCK_HEADER_BYTES, blockTsn, formatBlock, setBlockTsn, type BlockType } from './block.js';
import * as page from './slotted-page.js';

export const BlockOp = {
  /** Formats a block: header (type, object), zero body, then a slotted page if level >= 0. */
  Format: 1,
  InsertCell: 2,
  RemoveCell: 3,
  ReplaceCell: 4,
  /** Removes cells [from, count). */
  TruncateCells: 5,
  AppendCells: 6,
  SetPageLinks: 7,
  /** Writes bytes at an offset past the block header. */
  WriteBytes: 8,
  /** Replaces the whole block (used for blocks changed during an online backup). */
  BlockImage: 9,
} as const;
export type BlockOp = (typeof BlockOp)[keyof typeof BlockOp];

export interface FormatArgs {
  readonly type: BlockType;
  readonly objectNumber: number;
  /** The slotted-page level (0 = leaf) for B+tree blocks; -1 for blocks that are not slotted pages. */
  readonly pageLevel: number;
}

export interface PageLinks {
  readonly rightSibling?: number;
  readonly leftSibling?: number;
  readonly extra?: number;
  readonly level?: number;
}

// Payload encoders. Each returns a fresh Uint8Array that the redo record keeps.

export function formatPayload(args: FormatArgs): Uint8Array {
  const payload = new Uint8Array(8);
  const view = new DataView(payload.buffer);
  view.setUint16(0, args.type, true);
  view.setInt16(2, args.pageLevel, true);
  view.setUint32(4, args.objectNumber, true);
  return payload;
}

export function cellPayload(index: number, cell: Uint8Array): Uint8Array {
  const payload = new Uint8Array(2 + cell.length);
  payload[0] = index & 0xff;
  payload[1] = index >>> 8;
  payload.set(cell, 2);
  return payload;
}

export function indexPayload(index: number): Uint8Array {
  return Uint8Array.of(index & 0xff, index >>> 8);
}

export function cellsPayload(cells: readonly Uint8Array[]): Uint8Array {
  let total = 2;
  for (const cell of cells) total += 2 + cell.length;
  const payload = new Uint8Array(total);
  const view = new DataView(payload.buffer);
  view.setUint16(0, cells.length, true);
  let offset = 2;
  for (const cell of cells) {
    view.setUint16(offset, cell.length, true);
    payload.set(cell, offset + 2);
    offset += 2 + cell.length;
  }
  return payload;
}

const LINK_RIGHT = 1;
const LINK_LEFT = 2;
const LINK_EXTRA = 4;
const LINK_LEVEL = 8;

export function pageLinksPayload(links: PageLinks): Uint8Array {
  const payload = new Uint8Array(14);
  const view = new DataView(payload.buffer);
  let mask = 0;
  if (links.rightSibling !== undefined) {
    mask |= LINK_RIGHT;
    view.setUint32(1, links.rightSibling, true);
  }
  if (links.leftSibling !== undefined) {
    mask |= LINK_LEFT;
    view.setUint32(5, links.leftSibling, true);
  }
  if (links.extra !== undefined) {
    mask |= LINK_EXTRA;
    view.setUint32(9, links.extra, true);
  }
  if (links.level !== undefined) {
    mask |= LINK_LEVEL;
    payload[13] = links.level;
  }
  payload[0] = mask;
  return payload;
}

export function writeBytesPayload(offset: number, bytes: Uint8Array): Uint8Array {
  const payload = new Uint8Array(2 + bytes.length);
  payload[0] = offset & 0xff;
  payload[1] = offset >>> 8;
  payload.set(bytes, 2);
  return payload;
}

function u16(payload: Uint8Array, offset: number): number {
  return payload[offset] | (payload[offset + 1] << 8);
}

function decodeCells(payload: Uint8Array): Uint8Array[] {
  const count = u16(payload, 0);
  const cells: Uint8Array[] = [];
  let offset = 2;
  for (let i = 0; i < count; i++) {
    const length = u16(payload, offset);
    cells.push(payload.subarray(offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  return cells;
}

/**
 * Applies one operation to `block` (which already has its address in the header, or is
 * being formatted at `address`), then stamps `tsn` as the block's last change.
 */
export function applyBlockOp(
  block: Uint8Array,
  address: { readonly fileNumber: number; readonly blockNumber: number },
  opcode: number,
  payload: Uint8Array,
  tsn: number,
): void {
  if (tsn < blockTsn(block)) assert(false, `change with TSN ${tsn} older than block TSN ${blockTsn(block)}`);
  const op = opcode as BlockOp;
  switch (op) {
    case BlockOp.Format: {
      const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
      formatBlock(block, {
        type: view.getUint16(0, true) as BlockType,
        fileNumber: address.fileNumber,
        blockNumber: address.blockNumber,
        tsn,
        objectNumber: view.getUint32(4, true),
      });
      const level = view.getInt16(2, true);
      if (level >= 0) page.initPage(block, { level });
      break;
    }
    case BlockOp.InsertCell:
      page.insertCell(block, u16(payload, 0), payload.subarray(2));
      break;
    case BlockOp.RemoveCell:
      page.removeCell(block, u16(payload, 0));
      break;
    case BlockOp.ReplaceCell:
      page.replaceCell(block, u16(payload, 0), payload.subarray(2));
      break;
    case BlockOp.TruncateCells:
      page.truncateCells(block, u16(payload, 0));
      break;
    case BlockOp.AppendCells:
      page.appendCells(block, decodeCells(payload));
      break;
    case BlockOp.SetPageLinks: {
      const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
      const mask = payload[0];
      if (mask & LINK_RIGHT) page.setRightSibling(block, view.getUint32(1, true));
      if (mask & LINK_LEFT) page.setLeftSibling(block, view.getUint32(5, true));
      if (mask & LINK_EXTRA) page.setPageExtra(block, view.getUint32(9, true));
      if (mask & LINK_LEVEL) page.setPageLevel(block, payload[13]);
      break;
    }
    case BlockOp.WriteBytes: {
      const offset = u16(payload, 0);
      assert(
        offset >= BLOCK_HEADER_BYTES && offset + payload.length - 2 <= block.length,
        () => `WriteBytes at ${offset}`,
      );
      block.set(payload.subarray(2), offset);
      break;
    }
    case BlockOp.BlockImage:
      assert(
        payload.length === block.length,
        () => `block image of ${payload.length} bytes for a ${block.length}-byte block`,
      );
      block.set(payload);
      break;
    default:
      unreachable(op, 'block opcode');
  }
  setBlockTsn(block, tsn);
}
