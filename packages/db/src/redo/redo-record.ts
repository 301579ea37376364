// The redo record: one atomic group of block changes (change vectors), stamped with the
// TSN that orders it and with the transaction it belongs to. A commit record is a redo
// record flagged COMMIT; it carries the commit's wall-clock time for recovery UNTIL TIME.
// The log sequence and the checksum are filled in by LGWR as it writes the record, so a
// record left over from an earlier use of a log file is never mistaken for a new one.
//
// Record layout, little-endian:
//   [0,4) total bytes   [4,8) crc32 of [8,total)   [8,12) log sequence   [12,14) flags
//   [14,16) change count   [16,24) TSN   [24,32) wall-clock ms   [32,40) transaction id
//   then per change: [0,4) file number [4,8) block number [8,10) opcode [10,12) reserved
//                    [12,16) payload bytes, then the payload
import { crc32 } from 'node:zlib';
import { assert } from '../assert.js';
import { readU64, writeU64 } from '../storage/block.js';

export const REDO_RECORD_HEADER_BYTES = 40;
export const CHANGE_HEADER_BYTES = 16;

export const RedoFlag = {
  /** The record commits its transaction; the transaction is durable once this record is. */
  Commit: 1,
  /** The record ends the rollback of its transaction. */
  RollbackDone: 2,
  /** The record carries a full-block image (for blocks changed during online backup). */
  BlockImage: 4,
} as const;

export interface ChangeVector {
  readonly fileNumber: number;
  readonly blockNumber: number;
  /** Which block operation to replay (see the block-change registry). */
  readonly opcode: number;
  readonly payload: Uint8Array;
}

export interface RedoRecord {
  readonly tsn: number;
  readonly flags: number;
  readonly wallMs: number;
  /** 0 for changes outside any transaction (space management, checkpoints). */
  readonly txnId: number;
  readonly changes: readonly ChangeVector[];
}

export function encodedRedoRecordBytes(changes: readonly ChangeVector[]): number {
  let total = REDO_RECORD_HEADER_BYTES;
  for (const change of changes) total += CHANGE_HEADER_BYTES + change.payload.length;
  return total;
}

/** Serializes a record with sequence and checksum left zero (see stampRedoRecord). */
export function encodeRedoRecord(record: RedoRecord): Uint8Array {
  assert(record.changes.length <= 0xffff, () => `too many changes in one redo record: ${record.changes.length}`);
  const total = encodedRedoRecordBytes(record.changes);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, total, true);
  view.setUint16(12, record.flags, true);
  view.setUint16(14, record.changes.length, true);
  writeU64(bytes, 16, record.tsn);
  writeU64(bytes, 24, record.wallMs);
  writeU64(bytes, 32, record.txnId);
  let offset = REDO_RECORD_HEADER_BYTES;
  for (const change of record.changes) {
    view.setUint32(offset, change.fileNumber, true);
    view.setUint32(offset + 4, change.blockNumber, true);
    view.setUint16(offset + 8, change.opcode, true);
    view.setUint32(offset + 12, change.payload.length, true);
    bytes.set(change.payload, offset + CHANGE_HEADER_BYTES);
    offset += CHANGE_HEADER_BYTES + change.payload.length;
  }
  return bytes;
}

/** Fills in the log sequence and the checksum of an encoded record, just before it is written. */
export function stampRedoRecord(bytes: Uint8Array, sequence: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(8, sequence, true);
  view.setUint32(4, crc32(bytes.subarray(8)), true);
}

export function redoRecordTsn(bytes: Uint8Array): number {
  return readU64(bytes, 16);
}

export type RedoDecodeResult =
  | { readonly kind: 'record'; readonly record: RedoRecord; readonly totalBytes: number }
  /** The bytes at the offset are not a complete record of this log: the end of the redo, or damage. */
  | { readonly kind: 'invalid'; readonly reason: string }
  /** The buffer ends before the record does; read more and try again. */
  | { readonly kind: 'incomplete'; readonly totalBytes: number };

/**
 * Decodes the record at `offset` if it is a sound record of log `sequence`. Payloads are
 * views into `bytes`, valid while the caller keeps the buffer unchanged.
 */
export function decodeRedoRecord(
  bytes: Uint8Array,
  offset: number,
  sequence: number,
  maxRecordBytes: number,
): RedoDecodeResult {
  if (bytes.length - offset < REDO_RECORD_HEADER_BYTES) {
    return { kind: 'incomplete', totalBytes: REDO_RECORD_HEADER_BYTES };
  }
  const total = u32(bytes, offset);
  if (total < REDO_RECORD_HEADER_BYTES || total > maxRecordBytes) {
    return { kind: 'invalid', reason: `record length ${total} out of range` };
  }
  const recordSequence = u32(bytes, offset + 8);
  if (recordSequence !== sequence) {
    return { kind: 'invalid', reason: `record of log sequence ${recordSequence}, expected ${sequence}` };
  }
  if (bytes.length - offset < total) return { kind: 'incomplete', totalBytes: total };
  const body = bytes.subarray(offset + 8, offset + total);
  if (u32(bytes, offset + 4) !== crc32(body)) return { kind: 'invalid', reason: 'checksum mismatch' };

  const changeCount = bytes[offset + 14] | (bytes[offset + 15] << 8);
  const changes: ChangeVector[] = [];
  let position = REDO_RECORD_HEADER_BYTES;
  for (let i = 0; i < changeCount; i++) {
    if (position + CHANGE_HEADER_BYTES > total) return { kind: 'invalid', reason: 'change header past record end' };
    const at = offset + position;
    const payloadBytes = u32(bytes, at + 12);
    const payloadStart = offset + position + CHANGE_HEADER_BYTES;
    if (position + CHANGE_HEADER_BYTES + payloadBytes > total) {
      return { kind: 'invalid', reason: 'change payload past record end' };
    }
    changes.push({
      fileNumber: u32(bytes, at),
      blockNumber: u32(bytes, at + 4),
      opcode: bytes[at + 8] | (bytes[at + 9] << 8),
      payload: bytes.subarray(payloadStart, payloadStart + payloadBytes),
    });
    position += CHANGE_HEADER_BYTES + payloadBytes;
  }
  if (position !== total) return { kind: 'invalid', reason: 'trailing bytes after the last change' };
  return {
    kind: 'record',
    totalBytes: total,
    record: {
      flags: bytes[offset + 12] | (bytes[offset + 13] << 8),
      tsn: readU64(bytes, offset + 16),
      wallMs: readU64(bytes, offset + 24),
      txnId: readU64(bytes, offset + 32),
      changes,
    },
  };
}

function u32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}
