// The versioned value stored under every key of a table or index B+tree: a row header
// naming the transaction that wrote this version and the undo record holding the version
// before it, then the payload. Following undo pointers from a row reaches every older
// version, which rollback uses now and read consistency uses in the SQL layer.
//
// Layout: [0] flags (bit 0: deleted), [1,9) writer transaction id (u64), [9,15) undo
// pointer (u32 block, u16 offset), [15,...) payload.
import { readU64, writeU64 } from '../storage/block.js';
import { readUndoPointer, writeUndoPointer, type UndoPointer } from '../txn/undo.js';

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
  writeUndoPointer(bytes, 9, undo);
  bytes.set(payload, ROW_HEADER_BYTES);
  return bytes;
}

export function decodeRowVersion(value: Uint8Array): RowVersion {
  return {
    deleted: (value[0] & RowFlag.Deleted) !== 0,
    txnId: readU64(value, 1),
    undo: readUndoPointer(value, 9),
    payload: value.subarray(ROW_HEADER_BYTES),
  };
}
