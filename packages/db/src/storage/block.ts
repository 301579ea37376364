// The on-disk block: every datafile is an array of fixed-size blocks, and each block
// begins with this header. The header names the block's own address (to catch a block
// written to or read from the wrong place), the TSN of the last change applied to it
// (which makes redo replay idempotent) and a checksum (to catch torn and corrupt blocks
// when they are read, so that they are never returned as data).
//
// Layout, little-endian:
//   [0, 4)   crc32 of bytes [4, blockBytes)
//   [4, 6)   block type (BlockType)
//   [6, 8)   header format version
//   [8, 12)  file number
//   [12, 16) block number within the file
//   [16, 24) TSN of the last change (u64)
//   [24, 28) object number of the segment that owns the block (0 for none)
//   [28, 32) reserved, zero
import { crc32 } from 'node:zlib';
import { assert } from '../assert.js';
import { DbError } from '../errors.js';

export const BLOCK_HEADER_BYTES = 32;
export const BLOCK_FORMAT_VERSION = 1;
export const DEFAULT_BLOCK_BYTES = 8192;
export const MIN_BLOCK_BYTES = 2048;
export const MAX_BLOCK_BYTES = 32768;

export const BlockType = {
  /** Never written: the block is all zeros (a new or extended datafile). */
  Unformatted: 0,
  DatafileHeader: 1,
  SpaceBitmap: 2,
  SegmentHeader: 3,
  BtreeLeaf: 4,
  BtreeBranch: 5,
  UndoSegmentHeader: 6,
  Undo: 7,
  Free: 8,
} as const;
export type BlockType = (typeof BlockType)[keyof typeof BlockType];

const OFFSET_CHECKSUM = 0;
const OFFSET_TYPE = 4;
const OFFSET_VERSION = 6;
const OFFSET_FILE = 8;
const OFFSET_BLOCK = 12;
const OFFSET_TSN = 16;
const OFFSET_OBJECT = 24;

export interface BlockAddress {
  readonly fileNumber: number;
  readonly blockNumber: number;
}

export function blockAddressText(address: BlockAddress): string {
  return `${address.fileNumber}:${address.blockNumber}`;
}

/** A key for maps of blocks: file number in the high bits, block number in the low 32. */
export function blockKey(fileNumber: number, blockNumber: number): number {
  return fileNumber * 0x1_0000_0000 + blockNumber;
}

export function isValidBlockBytes(blockBytes: number): boolean {
  return (
    Number.isInteger(blockBytes) &&
    blockBytes >= MIN_BLOCK_BYTES &&
    blockBytes <= MAX_BLOCK_BYTES &&
    (blockBytes & (blockBytes - 1)) === 0
  );
}

// u64 fields hold JS safe integers (below 2^53), as two little-endian u32 halves. Plain
// byte arithmetic: these run for every block and redo record, and a DataView per call
// costs an allocation.
export function writeU64(buffer: Uint8Array, offset: number, value: number): void {
  if (!(Number.isSafeInteger(value) && value >= 0)) assert(false, `u64 out of range: ${value}`);
  const low = value % 0x1_0000_0000;
  const high = (value - low) / 0x1_0000_0000;
  buffer[offset] = low & 0xff;
  buffer[offset + 1] = (low >>> 8) & 0xff;
  buffer[offset + 2] = (low >>> 16) & 0xff;
  buffer[offset + 3] = low >>> 24;
  buffer[offset + 4] = high & 0xff;
  buffer[offset + 5] = (high >>> 8) & 0xff;
  buffer[offset + 6] = (high >>> 16) & 0xff;
  buffer[offset + 7] = high >>> 24;
}

export function readU64(buffer: Uint8Array, offset: number): number {
  const low =
    (buffer[offset] | (buffer[offset + 1] << 8) | (buffer[offset + 2] << 16) | (buffer[offset + 3] << 24)) >>> 0;
  const high =
    (buffer[offset + 4] | (buffer[offset + 5] << 8) | (buffer[offset + 6] << 16) | (buffer[offset + 7] << 24)) >>> 0;
  return high * 0x1_0000_0000 + low;
}

function viewOf(buffer: Uint8Array): DataView {
  return new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

export interface BlockHeader {
  readonly type: BlockType;
  readonly fileNumber: number;
  readonly blockNumber: number;
  readonly tsn: number;
  readonly objectNumber: number;
}

/** Writes a fresh header over a block, zeroing the rest of it. */
export function formatBlock(block: Uint8Array, header: BlockHeader): void {
  block.fill(0);
  const view = viewOf(block);
  view.setUint16(OFFSET_TYPE, header.type, true);
  view.setUint16(OFFSET_VERSION, BLOCK_FORMAT_VERSION, true);
  view.setUint32(OFFSET_FILE, header.fileNumber, true);
  view.setUint32(OFFSET_BLOCK, header.blockNumber, true);
  writeU64(block, OFFSET_TSN, header.tsn);
  view.setUint32(OFFSET_OBJECT, header.objectNumber, true);
}

export function readBlockHeader(block: Uint8Array): BlockHeader {
  const view = viewOf(block);
  return {
    type: view.getUint16(OFFSET_TYPE, true) as BlockType,
    fileNumber: view.getUint32(OFFSET_FILE, true),
    blockNumber: view.getUint32(OFFSET_BLOCK, true),
    tsn: readU64(block, OFFSET_TSN),
    objectNumber: view.getUint32(OFFSET_OBJECT, true),
  };
}

export function blockType(block: Uint8Array): BlockType {
  return (block[OFFSET_TYPE] | (block[OFFSET_TYPE + 1] << 8)) as BlockType;
}

export function blockTsn(block: Uint8Array): number {
  return readU64(block, OFFSET_TSN);
}

export function setBlockTsn(block: Uint8Array, tsn: number): void {
  writeU64(block, OFFSET_TSN, tsn);
}

export function blockObjectNumber(block: Uint8Array): number {
  return viewOf(block).getUint32(OFFSET_OBJECT, true);
}

/** Computes and stores the checksum; call just before the block goes to disk. */
export function sealBlock(block: Uint8Array): void {
  viewOf(block).setUint32(OFFSET_CHECKSUM, crc32(block.subarray(4)), true);
}

export function checksumMatches(block: Uint8Array): boolean {
  return viewOf(block).getUint32(OFFSET_CHECKSUM, true) === crc32(block.subarray(4));
}

function isAllZero(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/**
 * Checks a block just read from `path` at `expected`. Returns false for a never-written
 * (all-zero) block, true for a sound one; throws TDB-1001 for a torn or corrupt block and
 * TDB-1002 for a sound block that belongs to another address.
 */
export function verifyBlock(block: Uint8Array, expected: BlockAddress, path: string): boolean {
  if (!checksumMatches(block)) {
    if (isAllZero(block)) return false;
    throw new DbError(
      'BLOCK_CORRUPT',
      `corrupt block ${expected.blockNumber} in datafile ${expected.fileNumber} ('${path}'): checksum mismatch; ` +
        `restore the file from a backup and run media recovery`,
    );
  }
  const header = readBlockHeader(block);
  if (header.fileNumber !== expected.fileNumber || header.blockNumber !== expected.blockNumber) {
    throw new DbError(
      'BLOCK_MISPLACED',
      `block ${expected.blockNumber} in datafile ${expected.fileNumber} ('${path}') holds block ` +
        `${blockAddressText(header)}: the file was written at a wrong offset or belongs to another database`,
    );
  }
  return true;
}
