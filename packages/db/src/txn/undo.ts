// Undo: the before-images that let a transaction roll back, and (in the next layer up) let
// a reader see the last committed version of a row. Undo lives in the UNDO tablespace, in
// blocks changed through mini-transactions, so redo protects it like any other block.
//
// An undo segment header block holds a transaction table: one slot per transaction using
// the segment. A transaction's undo records chain backwards (each names the one before);
// its undo blocks chain backwards too (for freeing). Each record says how to restore one
// key of one B+tree: to an old value, or to absent.
//
// Segment header, after the block header: [32,36) segment number, [36,40) slot count,
// then slots of SLOT_BYTES: [0,4) wrap, [4] state, [8,16) commit TSN, [16,22) last undo
// record pointer, [22,26) newest undo block.
// Undo block: [32,36) previous undo block of the same transaction, [36,38) end of the
// used bytes, then records: [u16 length][prev pointer 6 bytes][object u32][key length u16]
// [key][has old value u8][old value].
import { assert } from '../assert.js';
import { BLOCK_HEADER_BYTES, readU64 } from '../storage/block.js';

export const SLOT_BYTES = 26;
const SEGMENT_HEADER_FIXED_BYTES = BLOCK_HEADER_BYTES + 8;
const UNDO_BLOCK_FIXED_BYTES = BLOCK_HEADER_BYTES + 6;
export const SLOTS_PER_SEGMENT_MAX = 255;

export const SlotState = { Free: 0, Active: 1, Committed: 2 } as const;
export type SlotState = (typeof SlotState)[keyof typeof SlotState];

/** An undo record's address: block number in the UNDO datafile and byte offset, packed; 0 = none. */
export type UndoPointer = number;

export function undoPointer(blockNumber: number, offset: number): UndoPointer {
  return blockNumber * 0x10000 + offset;
}

export function undoPointerBlock(pointer: UndoPointer): number {
  return Math.floor(pointer / 0x10000);
}

export function undoPointerOffset(pointer: UndoPointer): number {
  return pointer % 0x10000;
}

export function slotsPerSegment(blockBytes: number): number {
  return Math.min(SLOTS_PER_SEGMENT_MAX, Math.floor((blockBytes - SEGMENT_HEADER_FIXED_BYTES) / SLOT_BYTES));
}

/** Transaction id: the slot's wrap (reuse count), segment and slot. Never 0. */
export function transactionId(wrap: number, segment: number, slot: number): number {
  return wrap * 0x10000 + segment * 0x100 + slot;
}

export function transactionSlotOf(txnId: number): { wrap: number; segment: number; slot: number } {
  return { wrap: Math.floor(txnId / 0x10000), segment: Math.floor(txnId / 0x100) % 0x100, slot: txnId % 0x100 };
}

export interface SlotView {
  readonly wrap: number;
  readonly state: SlotState;
  readonly commitTsn: number;
  readonly lastUndo: UndoPointer;
  readonly newestUndoBlock: number;
}

export function slotOffset(slot: number): number {
  return SEGMENT_HEADER_FIXED_BYTES + slot * SLOT_BYTES;
}

function u32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}

function u16(bytes: Uint8Array, offset: number): number {
  return bytes[offset] | (bytes[offset + 1] << 8);
}

function putU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = value >>> 24;
}

function putU16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = value >>> 8;
}

/** Writes an undo pointer in its 6-byte form (u32 block, u16 offset) at `offset`. */
export function writeUndoPointer(bytes: Uint8Array, offset: number, pointer: UndoPointer): void {
  putU32(bytes, offset, undoPointerBlock(pointer));
  putU16(bytes, offset + 4, undoPointerOffset(pointer));
}

/** Reads an undo pointer in its 6-byte form at `offset`. */
export function readUndoPointer(bytes: Uint8Array, offset: number): UndoPointer {
  return undoPointer(u32(bytes, offset), u16(bytes, offset + 4));
}

export function readSegmentNumber(header: Uint8Array): number {
  return u32(header, BLOCK_HEADER_BYTES);
}

export function readSlotCount(header: Uint8Array): number {
  return u32(header, BLOCK_HEADER_BYTES + 4);
}

/** The fixed part of a new segment header (written with WriteBytes after a Format). */
export function segmentHeaderInit(segment: number, slotCount: number): Uint8Array {
  const bytes = new Uint8Array(8);
  putU32(bytes, 0, segment);
  putU32(bytes, 4, slotCount);
  return bytes;
}

export function readSlot(header: Uint8Array, slot: number): SlotView {
  const at = slotOffset(slot);
  return {
    wrap: u32(header, at),
    state: header[at + 4] as SlotState,
    commitTsn: readU64(header, at + 8),
    lastUndo: readUndoPointer(header, at + 16),
    newestUndoBlock: u32(header, at + 22),
  };
}

/** The bytes of a whole slot, to write at slotOffset(slot). */
export function encodeSlot(view: SlotView): Uint8Array {
  const bytes = new Uint8Array(SLOT_BYTES);
  putU32(bytes, 0, view.wrap);
  bytes[4] = view.state;
  const low = view.commitTsn % 0x1_0000_0000;
  putU32(bytes, 8, low);
  putU32(bytes, 12, (view.commitTsn - low) / 0x1_0000_0000);
  writeUndoPointer(bytes, 16, view.lastUndo);
  putU32(bytes, 22, view.newestUndoBlock);
  return bytes;
}

// Undo blocks.

export const UNDO_BLOCK_PREVIOUS_OFFSET = BLOCK_HEADER_BYTES;
export const UNDO_BLOCK_END_OFFSET = BLOCK_HEADER_BYTES + 4;
/** Where an undo block's records begin (its end offset when empty). */
export const UNDO_BLOCK_RECORDS_OFFSET = UNDO_BLOCK_FIXED_BYTES;

/** The fixed part of a new undo block: previous block of the transaction, and an empty record area. */
export function undoBlockInit(previousBlock: number): Uint8Array {
  const bytes = new Uint8Array(6);
  putU32(bytes, 0, previousBlock);
  putU16(bytes, 4, UNDO_BLOCK_FIXED_BYTES);
  return bytes;
}

export function undoBlockPrevious(block: Uint8Array): number {
  return u32(block, UNDO_BLOCK_PREVIOUS_OFFSET);
}

export function undoBlockEnd(block: Uint8Array): number {
  return u16(block, UNDO_BLOCK_END_OFFSET);
}

export const UNDO_POINTER_BYTES = 6;

/** An undo pointer in its 6-byte form, for a WriteBytes change. */
export function undoPointerBytes(pointer: UndoPointer): Uint8Array {
  const bytes = new Uint8Array(UNDO_POINTER_BYTES);
  writeUndoPointer(bytes, 0, pointer);
  return bytes;
}

export function u16Bytes(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff, value >>> 8);
}

export interface UndoRecord {
  /** The transaction's previous undo record (0 for its first). */
  readonly previous: UndoPointer;
  /** The B+tree (table or index object) whose key the record restores. */
  readonly objectNumber: number;
  readonly key: Uint8Array;
  /** The value to restore; undefined means the key did not exist. */
  readonly oldValue: Uint8Array | undefined;
}

export function encodeUndoRecord(record: UndoRecord): Uint8Array {
  const oldBytes = record.oldValue?.length ?? 0;
  const length = 2 + 6 + 4 + 2 + record.key.length + 1 + oldBytes;
  const bytes = new Uint8Array(length);
  putU16(bytes, 0, length);
  writeUndoPointer(bytes, 2, record.previous);
  putU32(bytes, 8, record.objectNumber);
  putU16(bytes, 12, record.key.length);
  bytes.set(record.key, 14);
  const flagAt = 14 + record.key.length;
  bytes[flagAt] = record.oldValue === undefined ? 0 : 1;
  if (record.oldValue !== undefined) bytes.set(record.oldValue, flagAt + 1);
  return bytes;
}

export function decodeUndoRecord(block: Uint8Array, offset: number): UndoRecord {
  const length = u16(block, offset);
  assert(length >= 15 && offset + length <= block.length, `undo record of ${length} bytes at offset ${offset}`);
  const keyLength = u16(block, offset + 12);
  const flagAt = offset + 14 + keyLength;
  return {
    previous: readUndoPointer(block, offset + 2),
    objectNumber: u32(block, offset + 8),
    key: block.slice(offset + 14, flagAt),
    oldValue: block[flagAt] === 1 ? block.slice(flagAt + 1, offset + length) : undefined,
  };
}

/** Bytes free for records in an undo block. */
export function undoBlockFreeBytes(block: Uint8Array): number {
  return block.length - undoBlockEnd(block);
}

export function maxUndoRecordBytes(blockBytes: number): number {
  return blockBytes - UNDO_BLOCK_FIXED_BYTES;
}
