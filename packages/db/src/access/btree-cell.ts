// The cell formats of B+tree pages and the searches over them. Keys are byte strings in
// memcmp order (key-codec.ts); values are opaque to the tree. Both formats start with the
// key, so one comparison serves leaves and branches.
//
//   leaf cell:   [u16 key length][key][value]               the value is the rest of the cell
//   branch cell: [u16 key length][separator][u32 child file][u32 child block]
//
// Integers are little-endian, like the page header. A branch's cell 0 has an empty separator,
// which stands for minus infinity: with separators s0 = -inf < s1 < ... < s(n-1), child i holds
// the keys k with s(i) <= k < s(i+1). So a branch of n cells has n children, and the page
// header's u32 `extra` (too small for a full address) stays NO_BLOCK.
import { assert } from '../assert.js';
import type { BlockAddress } from '../storage/block.js';
import { cellAt, cellCount } from '../storage/slotted-page.js';
import { compareKeys } from './key-codec.js';

/** The key length prefix of both cell formats. */
export const KEY_LENGTH_BYTES = 2;
/** A branch cell's child address: file number and block number. */
export const CHILD_ADDRESS_BYTES = 8;
/** A branch cell with an empty separator (every branch's cell 0). */
export const BRANCH_CELL_MIN_BYTES = KEY_LENGTH_BYTES + CHILD_ADDRESS_BYTES;
/** The separator of cell 0: minus infinity. */
export const EMPTY_KEY: Uint8Array = new Uint8Array(0);

export function encodeLeafCell(key: Uint8Array, value: Uint8Array): Uint8Array {
  const cell = new Uint8Array(KEY_LENGTH_BYTES + key.length + value.length);
  writeKey(cell, key);
  cell.set(value, KEY_LENGTH_BYTES + key.length);
  return cell;
}

export function encodeBranchCell(separator: Uint8Array, child: BlockAddress): Uint8Array {
  const cell = new Uint8Array(KEY_LENGTH_BYTES + separator.length + CHILD_ADDRESS_BYTES);
  writeKey(cell, separator);
  const view = new DataView(cell.buffer, cell.byteOffset, cell.byteLength);
  view.setUint32(KEY_LENGTH_BYTES + separator.length, child.fileNumber, true);
  view.setUint32(KEY_LENGTH_BYTES + separator.length + 4, child.blockNumber, true);
  return cell;
}

/** The key length a cell claims (not checked against the cell's size: see cellFormatProblem). */
export function cellKeyBytes(cell: Uint8Array): number {
  return cell[0] | (cell[1] << 8);
}

/** The cell's key or separator: a view into `cell`. */
export function cellKey(cell: Uint8Array): Uint8Array {
  return cell.subarray(KEY_LENGTH_BYTES, KEY_LENGTH_BYTES + cellKeyBytes(cell));
}

/** A leaf cell's value: a view into `cell`. */
export function leafValue(cell: Uint8Array): Uint8Array {
  return cell.subarray(KEY_LENGTH_BYTES + cellKeyBytes(cell));
}

/** A branch cell's child address. */
export function branchChild(cell: Uint8Array): BlockAddress {
  const at = KEY_LENGTH_BYTES + cellKeyBytes(cell);
  assert(
    at + CHILD_ADDRESS_BYTES === cell.length,
    () => `branch cell of ${cell.length} bytes with a ${at - KEY_LENGTH_BYTES}-byte separator`,
  );
  const view = new DataView(cell.buffer, cell.byteOffset, cell.byteLength);
  return { fileNumber: view.getUint32(at, true), blockNumber: view.getUint32(at + 4, true) };
}

/** Why `cell` is not a well-formed cell of a page at `level`, or undefined if it is. */
export function cellFormatProblem(cell: Uint8Array, level: number): string | undefined {
  if (cell.length < KEY_LENGTH_BYTES) return `cell of ${cell.length} bytes has no key length`;
  const keyEnd = KEY_LENGTH_BYTES + cellKeyBytes(cell);
  if (level === 0 && keyEnd > cell.length) return `leaf cell of ${cell.length} bytes claims a ${keyEnd - 2}-byte key`;
  if (level > 0 && keyEnd + CHILD_ADDRESS_BYTES !== cell.length) {
    return `branch cell of ${cell.length} bytes claims a ${keyEnd - 2}-byte separator`;
  }
  return undefined;
}

/** compareKeys(cellKey(cell), key) without making a view: this runs on every search probe. */
export function compareCellKey(cell: Uint8Array, key: Uint8Array): number {
  const keyBytes = cellKeyBytes(cell);
  const common = keyBytes < key.length ? keyBytes : key.length;
  for (let i = 0; i < common; i++) {
    const difference = cell[KEY_LENGTH_BYTES + i] - key[i];
    if (difference !== 0) return difference;
  }
  return keyBytes - key.length;
}

export interface LeafPosition {
  /** The cell holding the key, or where it would be inserted (0..count). */
  readonly index: number;
  readonly found: boolean;
}

/** Binary search of a leaf for `key`. */
export function searchLeaf(block: Uint8Array, key: Uint8Array): LeafPosition {
  let low = 0;
  let high = cellCount(block);
  while (low < high) {
    const middle = (low + high) >>> 1;
    const order = compareCellKey(cellAt(block, middle), key);
    if (order === 0) return { index: middle, found: true };
    if (order < 0) low = middle + 1;
    else high = middle;
  }
  return { index: low, found: false };
}

/** The index of the child of a branch whose key range holds `key`: the last separator <= key. */
export function searchBranch(block: Uint8Array, key: Uint8Array): number {
  const count = cellCount(block);
  assert(count > 0, 'search of a branch without children');
  // Invariant: separator(low) <= key; cell 0's empty separator is <= every key.
  let low = 0;
  let high = count;
  while (high - low > 1) {
    const middle = (low + high) >>> 1;
    if (compareCellKey(cellAt(block, middle), key) <= 0) low = middle;
    else high = middle;
  }
  return low;
}

/**
 * The shortest separator s with left < s <= right: the prefix of `right` one byte longer than
 * what it shares with `left`. Short separators make branches hold more children (suffix
 * truncation), and s is never longer than `right`, so it fits wherever a key fits.
 */
export function shortestSeparator(left: Uint8Array, right: Uint8Array): Uint8Array {
  assert(compareKeys(left, right) < 0, 'separator between keys out of order');
  let common = 0;
  while (common < left.length && left[common] === right[common]) common++;
  return right.slice(0, common + 1);
}

function writeKey(cell: Uint8Array, key: Uint8Array): void {
  assert(key.length <= 0xffff, () => `key of ${key.length} bytes`);
  cell[0] = key.length & 0xff;
  cell[1] = key.length >>> 8;
  cell.set(key, KEY_LENGTH_BYTES);
}
