// The cell layout of a B+tree block: a slot array grows up from the page header and cell
// contents grow down from the end of the block, so a page holds variable-length cells in key
// order without moving their bytes. Redo replay runs these same functions, so every
// mutation is a pure function of (block bytes, arguments): same input, same output bytes.
//
// Layout of the page header, at BLOCK_HEADER_BYTES (32), little-endian like the block header:
//   [0, 2)   cell count (u16)
//   [2, 4)   cell area start: offset in the block of the lowest cell byte (u16; blockBytes when
//            the page is empty, and 32768 fits a u16, so 32 KiB blocks need no special case)
//   [4, 6)   fragmented bytes: bytes inside the cell area that belong to no live cell (u16)
//   [6, 7)   level (u8; 0 = leaf)
//   [7, 8)   reserved, zero
//   [8, 12)  right sibling block number (u32; NO_BLOCK = none)
//   [12, 16) left sibling block number (u32; NO_BLOCK = none)
//   [16, 20) extra (u32): a branch page's leftmost child block number; NO_BLOCK on a leaf
// Then the slot array at PAGE_SLOTS_OFFSET: one u16 per cell, the offset of the cell in the
// block, in key order. A cell is a u16 payload length followed by the payload, so a cell is
// readable from its offset alone. Free bytes (the gap between slots and cells, and every
// fragment) are kept zero: a deleted row leaves no trace in the block, and two pages with
// the same history are byte-identical.
import { AssertionError, assert } from '../assert.js';
import { BLOCK_HEADER_BYTES, MAX_BLOCK_BYTES, isValidBlockBytes } from './block.js';

export const PAGE_HEADER_BYTES = 20;
/** Offset in the block of slot 0. */
export const PAGE_SLOTS_OFFSET = BLOCK_HEADER_BYTES + PAGE_HEADER_BYTES;
export const SLOT_BYTES = 2;
/** The length prefix stored before each cell's payload. */
export const CELL_LENGTH_BYTES = 2;
/** Page bytes a cell costs beyond its payload: its slot and its length prefix. */
export const CELL_OVERHEAD_BYTES = SLOT_BYTES + CELL_LENGTH_BYTES;
/** A block number meaning "no block" in the sibling and extra fields. */
export const NO_BLOCK = 0xffff_ffff;
export const MAX_PAGE_LEVEL = 0xff;

const OFFSET_CELL_COUNT = BLOCK_HEADER_BYTES;
const OFFSET_CELL_AREA_START = BLOCK_HEADER_BYTES + 2;
const OFFSET_FRAGMENTED = BLOCK_HEADER_BYTES + 4;
const OFFSET_LEVEL = BLOCK_HEADER_BYTES + 6;
const OFFSET_RESERVED = BLOCK_HEADER_BYTES + 7;
const OFFSET_RIGHT_SIBLING = BLOCK_HEADER_BYTES + 8;
const OFFSET_LEFT_SIBLING = BLOCK_HEADER_BYTES + 12;
const OFFSET_EXTRA = BLOCK_HEADER_BYTES + 16;

// Compaction copies the cell area here first, because cells move to overlapping places.
// One buffer for the process: these functions are synchronous and never re-entered.
const compactScratch = new Uint8Array(MAX_BLOCK_BYTES);

// checkPage stops listing bad cells after this many: one bad header field can make every
// slot wrong, and a thousand copies of one message hide the cause.
const PROBLEMS_MAX = 16;

export interface PageInit {
  /** 0 for a leaf; a branch's level is one more than its children's. */
  readonly level: number;
}

/** Bytes of a page that cells and slots can use: the block minus both headers. */
export function pageCapacityBytes(blockBytes: number): number {
  return blockBytes - PAGE_SLOTS_OFFSET;
}

/**
 * The largest cell payload a B+tree may store: a quarter of the page capacity, less the
 * per-cell overhead, so an empty page always takes 4 such cells. A branch therefore always
 * fits at least 4 separators, and a split of a full page always leaves room for the new cell.
 */
export function maxCellBytes(blockBytes: number): number {
  assert(isValidBlockBytes(blockBytes), () => `invalid block size ${blockBytes}`);
  return Math.floor(pageCapacityBytes(blockBytes) / 4) - CELL_OVERHEAD_BYTES;
}

/** Makes `block` an empty page. The block header (formatBlock) is left as it is. */
export function initPage(block: Uint8Array, init: PageInit): void {
  assert(isValidBlockBytes(block.length), () => `invalid block size ${block.length}`);
  // Zero everything after the block header so that the page's bytes never depend on what
  // the block held before (a freed block reused for a new page).
  block.fill(0, BLOCK_HEADER_BYTES);
  writeU16(block, OFFSET_CELL_AREA_START, block.length);
  setPageLevel(block, init.level);
  writeU32(block, OFFSET_RIGHT_SIBLING, NO_BLOCK);
  writeU32(block, OFFSET_LEFT_SIBLING, NO_BLOCK);
  writeU32(block, OFFSET_EXTRA, NO_BLOCK);
}

export function cellCount(block: Uint8Array): number {
  return readU16(block, OFFSET_CELL_COUNT);
}

/** The payload of cell `index`: a view into `block` (no copy), valid until the next mutation. */
export function cellAt(block: Uint8Array, index: number): Uint8Array {
  const offset = cellOffset(block, index);
  const payloadStart = offset + CELL_LENGTH_BYTES;
  return block.subarray(payloadStart, payloadStart + readU16(block, offset));
}

/** The payload length of cell `index`, without its length prefix and slot. */
export function cellBytesAt(block: Uint8Array, index: number): number {
  return readU16(block, cellOffset(block, index));
}

/**
 * Bytes available for one new cell including its slot and length prefix: the contiguous gap
 * plus the fragments that compaction would reclaim. A cell of `freeBytes - CELL_OVERHEAD_BYTES`
 * payload bytes fits exactly.
 */
export function freeBytes(block: Uint8Array): number {
  return gapBytes(block) + readU16(block, OFFSET_FRAGMENTED);
}

/** Bytes inside the cell area that no live cell uses (reclaimed by `compact`). */
export function fragmentedBytes(block: Uint8Array): number {
  return readU16(block, OFFSET_FRAGMENTED);
}

export function canInsert(block: Uint8Array, cellBytes: number): boolean {
  return cellBytes + CELL_OVERHEAD_BYTES <= freeBytes(block);
}

/**
 * Inserts `cell` so that it becomes cell `index` (0..count); later cells shift up one slot.
 * Compacts first when the contiguous gap is short but the fragments make up for it. The page
 * must have room (check `canInsert`); `cell` must not lie inside `block`.
 */
export function insertCell(block: Uint8Array, index: number, cell: Uint8Array): void {
  const count = cellCount(block);
  assert(Number.isInteger(index) && index >= 0 && index <= count, () => `insert index ${index} not in [0, ${count}]`);
  assertNotAliased(block, cell);
  const cellBytes = CELL_LENGTH_BYTES + cell.length;
  reserve(block, cellBytes + SLOT_BYTES);
  const offset = readU16(block, OFFSET_CELL_AREA_START) - cellBytes;
  writeCell(block, offset, cell);
  const slotOffset = PAGE_SLOTS_OFFSET + index * SLOT_BYTES;
  block.copyWithin(slotOffset + SLOT_BYTES, slotOffset, slotsEnd(count));
  writeU16(block, slotOffset, offset);
  writeU16(block, OFFSET_CELL_COUNT, count + 1);
  writeU16(block, OFFSET_CELL_AREA_START, offset);
}

/** Removes cell `index`; later cells shift down one slot. Its bytes are zeroed. */
export function removeCell(block: Uint8Array, index: number): void {
  const count = cellCount(block);
  const offset = cellOffset(block, index);
  releaseCellBytes(block, offset, CELL_LENGTH_BYTES + readU16(block, offset));
  const slotOffset = PAGE_SLOTS_OFFSET + index * SLOT_BYTES;
  const end = slotsEnd(count);
  block.copyWithin(slotOffset, slotOffset + SLOT_BYTES, end);
  block.fill(0, end - SLOT_BYTES, end);
  setCountNormalised(block, count - 1);
}

/**
 * Replaces the payload of cell `index` with `cell`. A cell that does not grow is rewritten in
 * place; a growing one moves (as remove + insert at the same index). Asserts room: the new
 * cell may use the free bytes plus the old cell's bytes.
 */
export function replaceCell(block: Uint8Array, index: number, cell: Uint8Array): void {
  const offset = cellOffset(block, index);
  assertNotAliased(block, cell);
  const oldPayloadBytes = readU16(block, offset);
  if (cell.length <= oldPayloadBytes) {
    writeCell(block, offset, cell);
    const end = offset + CELL_LENGTH_BYTES + oldPayloadBytes;
    const tailStart = offset + CELL_LENGTH_BYTES + cell.length;
    block.fill(0, tailStart, end);
    writeU16(block, OFFSET_FRAGMENTED, fragmentedBytes(block) + (end - tailStart));
    return;
  }
  assert(
    cell.length - oldPayloadBytes <= freeBytes(block),
    () => `no room to grow cell ${index} from ${oldPayloadBytes} to ${cell.length} bytes: ${freeBytes(block)} free`,
  );
  removeCell(block, index);
  insertCell(block, index, cell);
}

/**
 * Rewrites the cells contiguously at the end of the block, cell 0 highest, and zeroes the
 * rest, so fragmented bytes become 0. Deterministic: the result depends only on the cells'
 * contents and order and on the page header, not on where the cells were before.
 */
export function compact(block: Uint8Array): void {
  const count = cellCount(block);
  const blockBytes = block.length;
  const areaStart = readU16(block, OFFSET_CELL_AREA_START);
  // Same offsets in the scratch copy, so slot values index it directly.
  compactScratch.set(block.subarray(areaStart, blockBytes), areaStart);
  let writeOffset = blockBytes;
  for (let index = 0; index < count; index++) {
    const slotOffset = PAGE_SLOTS_OFFSET + index * SLOT_BYTES;
    const readOffset = readU16(block, slotOffset);
    const cellBytes = CELL_LENGTH_BYTES + (compactScratch[readOffset] | (compactScratch[readOffset + 1] << 8));
    writeOffset -= cellBytes;
    // A loop for short cells (no view object); native copy for long ones.
    if (cellBytes <= 64) for (let i = 0; i < cellBytes; i++) block[writeOffset + i] = compactScratch[readOffset + i];
    else block.set(compactScratch.subarray(readOffset, readOffset + cellBytes), writeOffset);
    writeU16(block, slotOffset, writeOffset);
  }
  block.fill(0, slotsEnd(count), writeOffset);
  writeU16(block, OFFSET_CELL_AREA_START, writeOffset);
  writeU16(block, OFFSET_FRAGMENTED, 0);
}

/** Removes cells [fromIndex, count): the upper half of a split, already copied elsewhere. */
export function truncateCells(block: Uint8Array, fromIndex: number): void {
  const count = cellCount(block);
  assert(
    Number.isInteger(fromIndex) && fromIndex >= 0 && fromIndex <= count,
    () => `truncate index ${fromIndex} not in [0, ${count}]`,
  );
  for (let index = fromIndex; index < count; index++) {
    const offset = readU16(block, PAGE_SLOTS_OFFSET + index * SLOT_BYTES);
    releaseCellBytes(block, offset, CELL_LENGTH_BYTES + readU16(block, offset));
  }
  block.fill(0, slotsEnd(fromIndex), slotsEnd(count));
  setCountNormalised(block, fromIndex);
}

/** Appends `cells` after the last cell, in order. Asserts room for all of them. */
export function appendCells(block: Uint8Array, cells: readonly Uint8Array[]): void {
  let neededBytes = 0;
  for (const cell of cells) {
    assertNotAliased(block, cell);
    neededBytes += CELL_OVERHEAD_BYTES + cell.length;
  }
  reserve(block, neededBytes);
  let count = cellCount(block);
  let offset = readU16(block, OFFSET_CELL_AREA_START);
  for (const cell of cells) {
    offset -= CELL_LENGTH_BYTES + cell.length;
    writeCell(block, offset, cell);
    writeU16(block, PAGE_SLOTS_OFFSET + count * SLOT_BYTES, offset);
    count++;
  }
  writeU16(block, OFFSET_CELL_COUNT, count);
  writeU16(block, OFFSET_CELL_AREA_START, offset);
}

export function pageLevel(block: Uint8Array): number {
  return block[OFFSET_LEVEL];
}

export function setPageLevel(block: Uint8Array, level: number): void {
  assert(
    Number.isInteger(level) && level >= 0 && level <= MAX_PAGE_LEVEL,
    () => `page level ${level} not in [0, ${MAX_PAGE_LEVEL}]`,
  );
  block[OFFSET_LEVEL] = level;
}

export function rightSibling(block: Uint8Array): number {
  return readU32(block, OFFSET_RIGHT_SIBLING);
}

export function setRightSibling(block: Uint8Array, blockNumber: number): void {
  writeU32(block, OFFSET_RIGHT_SIBLING, blockNumber);
}

export function leftSibling(block: Uint8Array): number {
  return readU32(block, OFFSET_LEFT_SIBLING);
}

export function setLeftSibling(block: Uint8Array, blockNumber: number): void {
  writeU32(block, OFFSET_LEFT_SIBLING, blockNumber);
}

/** A branch page's leftmost child block number (NO_BLOCK on a leaf). */
export function pageExtra(block: Uint8Array): number {
  return readU32(block, OFFSET_EXTRA);
}

export function setPageExtra(block: Uint8Array, blockNumber: number): void {
  writeU32(block, OFFSET_EXTRA, blockNumber);
}

/**
 * Checks every structural invariant of the page and returns the problems found, empty for a
 * sound page; it never throws, so a test or a corruption report can show all problems at
 * once. `assertPage` throws them as an AssertionError for debug checks.
 */
export function checkPage(block: Uint8Array): string[] {
  const problems: string[] = [];
  const blockBytes = block.length;
  if (!isValidBlockBytes(blockBytes)) return [`invalid block size ${blockBytes}`];
  const count = cellCount(block);
  const areaStart = readU16(block, OFFSET_CELL_AREA_START);
  const fragmented = fragmentedBytes(block);
  const end = slotsEnd(count);
  if (block[OFFSET_RESERVED] !== 0) problems.push(`reserved header byte is ${block[OFFSET_RESERVED]}, not 0`);
  if (end > areaStart) {
    problems.push(`slot array end ${end} (count ${count}) overlaps cell area start ${areaStart}`);
  }
  if (areaStart > blockBytes) problems.push(`cell area start ${areaStart} beyond block end ${blockBytes}`);
  if (problems.length > 0) return problems;

  // Each cell as [start, end), then sorted to find overlaps and holes.
  const extents: [number, number, number][] = [];
  let liveBytes = 0;
  for (let index = 0; index < count; index++) {
    if (problems.length >= PROBLEMS_MAX) {
      problems.push(`(more problems not listed)`);
      return problems;
    }
    const offset = readU16(block, PAGE_SLOTS_OFFSET + index * SLOT_BYTES);
    if (offset < areaStart || offset + CELL_LENGTH_BYTES > blockBytes) {
      problems.push(`cell ${index} at offset ${offset} outside cell area [${areaStart}, ${blockBytes})`);
      continue;
    }
    const cellEnd = offset + CELL_LENGTH_BYTES + readU16(block, offset);
    if (cellEnd > blockBytes) {
      problems.push(`cell ${index} at offset ${offset} ends at ${cellEnd}, beyond block end ${blockBytes}`);
      continue;
    }
    extents.push([offset, cellEnd, index]);
    liveBytes += cellEnd - offset;
  }
  extents.sort((a, b) => a[0] - b[0]);
  let previousEnd = areaStart;
  let previousIndex = -1;
  let holeBytes = 0;
  for (const [start, cellEnd, index] of extents) {
    if (start < previousEnd) {
      problems.push(`cell ${index} at [${start}, ${cellEnd}) overlaps cell ${previousIndex} ending at ${previousEnd}`);
    } else {
      holeBytes += start - previousEnd;
      if (!isZero(block, previousEnd, start)) problems.push(`free bytes [${previousEnd}, ${start}) are not zero`);
    }
    if (cellEnd > previousEnd) {
      previousEnd = cellEnd;
      previousIndex = index;
    }
  }
  if (previousEnd < blockBytes) {
    holeBytes += blockBytes - previousEnd;
    if (!isZero(block, previousEnd, blockBytes))
      problems.push(`free bytes [${previousEnd}, ${blockBytes}) are not zero`);
  }
  const areaBytes = blockBytes - areaStart;
  if (problems.length === 0 && fragmented !== areaBytes - liveBytes) {
    problems.push(
      `fragmented bytes ${fragmented} != cell area ${areaBytes} - live cells ${liveBytes} (holes ${holeBytes})`,
    );
  }
  if (!isZero(block, end, areaStart)) problems.push(`gap [${end}, ${areaStart}) between slots and cells is not zero`);
  if (count === 0 && (areaStart !== blockBytes || fragmented !== 0)) {
    problems.push(`empty page has cell area start ${areaStart} and ${fragmented} fragmented bytes`);
  }
  return problems;
}

/** Throws an AssertionError listing every problem `checkPage` finds. */
export function assertPage(block: Uint8Array): void {
  const problems = checkPage(block);
  if (problems.length > 0) throw new AssertionError(`unsound page: ${problems.join('; ')}`);
}

function cellOffset(block: Uint8Array, index: number): number {
  const count = cellCount(block);
  // A plain test rather than assert(): no closure is built on this, the hottest read path.
  if (!(index >= 0 && index < count && Number.isInteger(index))) {
    throw new AssertionError(`cell index ${index} not in [0, ${count})`);
  }
  return readU16(block, PAGE_SLOTS_OFFSET + index * SLOT_BYTES);
}

function slotsEnd(count: number): number {
  return PAGE_SLOTS_OFFSET + count * SLOT_BYTES;
}

function gapBytes(block: Uint8Array): number {
  return readU16(block, OFFSET_CELL_AREA_START) - slotsEnd(cellCount(block));
}

/** Makes `neededBytes` contiguous in the gap, compacting if fragments must be reclaimed. */
function reserve(block: Uint8Array, neededBytes: number): void {
  const gap = gapBytes(block);
  if (neededBytes <= gap) return;
  const fragmented = fragmentedBytes(block);
  assert(
    neededBytes <= gap + fragmented,
    () => `page full: need ${neededBytes} bytes, ${gap} contiguous + ${fragmented} fragmented free`,
  );
  compact(block);
}

function writeCell(block: Uint8Array, offset: number, cell: Uint8Array): void {
  writeU16(block, offset, cell.length);
  block.set(cell, offset + CELL_LENGTH_BYTES);
}

/** Zeroes a removed cell and accounts for its bytes: the cell area shrinks if it was lowest. */
function releaseCellBytes(block: Uint8Array, offset: number, cellBytes: number): void {
  block.fill(0, offset, offset + cellBytes);
  const areaStart = readU16(block, OFFSET_CELL_AREA_START);
  if (offset === areaStart) writeU16(block, OFFSET_CELL_AREA_START, areaStart + cellBytes);
  else writeU16(block, OFFSET_FRAGMENTED, fragmentedBytes(block) + cellBytes);
}

/** Sets the count; an empty page resets to its initial cell area (all bytes are zero by now). */
function setCountNormalised(block: Uint8Array, count: number): void {
  writeU16(block, OFFSET_CELL_COUNT, count);
  if (count === 0) {
    writeU16(block, OFFSET_CELL_AREA_START, block.length);
    writeU16(block, OFFSET_FRAGMENTED, 0);
  }
}

function assertNotAliased(block: Uint8Array, cell: Uint8Array): void {
  // Compaction and removal move and zero the block's bytes, which would corrupt a source
  // cell read from the same block; blocks of one buffer pool may share an ArrayBuffer.
  if (
    cell.buffer === block.buffer &&
    cell.length > 0 &&
    cell.byteOffset < block.byteOffset + block.length &&
    block.byteOffset < cell.byteOffset + cell.length
  ) {
    throw new AssertionError(`cell of ${cell.length} bytes at buffer offset ${cell.byteOffset} lies inside the block`);
  }
}

function isZero(block: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (block[i] !== 0) return false;
  return true;
}

function readU16(block: Uint8Array, offset: number): number {
  return block[offset] | (block[offset + 1] << 8);
}

function writeU16(block: Uint8Array, offset: number, value: number): void {
  block[offset] = value & 0xff;
  block[offset + 1] = value >>> 8;
}

function readU32(block: Uint8Array, offset: number): number {
  return (block[offset] | (block[offset + 1] << 8) | (block[offset + 2] << 16) | (block[offset + 3] << 24)) >>> 0;
}

function writeU32(block: Uint8Array, offset: number, value: number): void {
  assert(Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff, () => `u32 out of range: ${value}`);
  block[offset] = value & 0xff;
  block[offset + 1] = (value >>> 8) & 0xff;
  block[offset + 2] = (value >>> 16) & 0xff;
  block[offset + 3] = value >>> 24;
}
