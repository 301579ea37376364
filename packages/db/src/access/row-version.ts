// The versioned value stored under every key of a table or index B+tree: a row header
// naming the transaction that wrote this version and the undo record holding the version
// before it, then the payload. Following undo pointers from a row reaches every older
// version, which rollback uses now and read consistency uses in the SQL layer.
//
// Layout: [0] flags (bit 0: deleted), [1,9) writer transaction id (u64), [9,15) undo
// pointer (u32 block, u16 offset), [15,...) payload.
import { readU64, writeU64 } from '../storage/block.js';
import { undoPointer, undoPointerBlock, undoPointerOffset, type UndoPointer } from '../txn/undo.js';

export const ROW_HEADER_BYTES = 15;
export const RowFlag = { Deleted: 1 } as const;

export interface RowVersion {
  readonly deleted: boolean;
  readonly txnId: number;
  readonly undo: UndoPointer;
  readonly payload: Uint8Array;
}

export function encodeRowVersion(deleted: boolean, txnId: number, undo: UndoPointer, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(ROW_HEADER_BYTES + payload.length);
  bytes[0] = deleted ? RowFlag.Deleted : 0;
  writeU64(bytes, 1, txnId);
  const block = undoPointerBlock(undo);
  bytes[9] = block & 0xff;
  bytes[10] = (block >>> 8) & 0xff;
  bytes[11] = (block >>> 16) & 0xff;
  bytes[12] = block >>> 24;
  const offset = undoPointerOffset(undo);
  bytes[13] = offset & 0xff;
  bytes[14] = offset >>> 8;
  bytes.set(payload, ROW_HEADER_BYTES);
  return bytes;
}

export function decodeRowVersion(value: Uint8Array): RowVersion {
  const block = (value[9] | (value[10] << 8) | (value[11] << 16) | (value[12] << 24)) >>> 0;
  return {
    deleted: (value[0] & RowFlag.Deleted) !== 0,
    txnId: readU64(value, 1),
    undo: undoPointer(block, value[13] | (value[14] << 8)),
    payload: value.subarray(ROW_HEADER_BYTES),
  };
}
