// Cache recovery, the first step of crash recovery: reads the online redo from the
// checkpoint to its end and applies each change to its block in the buffer cache, unless
// the block already has it (its TSN is not lower than the record's). Blocks are fetched a
// batch at a time before the batch is applied. The same replay makes a datafile copied
// while the database ran consistent (media recovery uses it with archived logs).
import type { FileSystem } from '@tandem/testkit';
import { assert } from '../assert.js';
import { DbError } from '../errors.js';
import type { LogGroupEntry, RedoPosition } from '../control/control-state.js';
import { applyBlockOp } from '../storage/block-ops.js';
import { blockTsn } from '../storage/block.js';
import type { BufferCache } from '../storage/buffer-cache.js';
import { scanLogGroup, type LogScanEntry } from '../redo/log-file.js';
import type { RedoRecord } from '../redo/redo-record.js';

export interface RollForwardResult {
  /** The TSN of the last record read (0 if none). */
  readonly lastTsn: number;
  /** Records read from the checkpoint on, and how many changes they applied or skipped. */
  readonly records: number;
  readonly changesApplied: number;
  readonly changesSkipped: number;
  readonly redoBytes: number;
  /** Where the redo ends: the current group's sequence and the offset past its last record. */
  readonly end: { readonly sequence: number; readonly groupNumber: number; readonly offsetBytes: number };
  readonly warnings: readonly string[];
}

export interface RollForwardOptions {
  readonly fs: FileSystem;
  readonly cache: BufferCache;
  readonly logGroups: readonly LogGroupEntry[];
  readonly from: RedoPosition;
  /** Called for every record read (transaction recovery collects commits from it). */
  readonly onRecord?: (record: RedoRecord) => void;
  /** Whether a change to this file should be applied (false for a file not being recovered). */
  readonly includeFile?: (fileNumber: number) => boolean;
}

/**
 * The online groups holding sequences `fromSequence` up to the CURRENT one, in order.
 * Throws TDB-4002 if a sequence in between is no longer online.
 */
export function onlineGroupsFrom(logGroups: readonly LogGroupEntry[], fromSequence: number): LogGroupEntry[] {
  const current = logGroups.find((group) => group.state === 'CURRENT');
  assert(current !== undefined, 'no CURRENT log group');
  const chain: LogGroupEntry[] = [];
  for (let sequence = fromSequence; sequence <= current.sequence; sequence++) {
    const group = logGroups.find((entry) => entry.sequence === sequence && entry.state !== 'UNUSED');
    if (group === undefined) {
      throw new DbError(
        'MEDIA_RECOVERY_NEEDED',
        `log sequence ${sequence} is needed for recovery but is no longer in the online redo logs; restore the datafiles and run media recovery with archived logs`,
      );
    }
    chain.push(group);
  }
  return chain;
}

export async function rollForward(options: RollForwardOptions): Promise<RollForwardResult> {
  const { cache, from } = options;
  const includeFile = options.includeFile ?? (() => true);
  const groups = onlineGroupsFrom(options.logGroups, from.sequence);
  const warnings: string[] = [];
  let lastTsn = 0;
  let records = 0;
  let changesApplied = 0;
  let changesSkipped = 0;
  let redoBytes = 0;
  let end = { sequence: from.sequence, groupNumber: groups[0].number, offsetBytes: from.offsetBytes };

  // A batch is applied in slices whose blocks fit comfortably in the cache, since a
  // slice's blocks stay pinned while it is applied.
  const blocksPerSliceMax = Math.max(8, Math.floor(cache.capacityBlocks / 4));

  type Frame = Awaited<ReturnType<BufferCache['load']>>;
  const applySlice = async (entries: readonly LogScanEntry[]): Promise<void> => {
    // First pass: number the distinct blocks (small-integer keys per file), and note each
    // change's block number in order, so the apply pass reads frames from an array.
    const slotsByFile = new Map<number, Map<number, number>>();
    const addresses: { fileNumber: number; blockNumber: number }[] = [];
    const changeSlots: number[] = [];
    for (const entry of entries) {
      if (entry.record.tsn < from.tsn) continue;
      for (const change of entry.record.changes) {
        if (!includeFile(change.fileNumber)) continue;
        let slots = slotsByFile.get(change.fileNumber);
        if (slots === undefined) slotsByFile.set(change.fileNumber, (slots = new Map<number, number>()));
        let slot = slots.get(change.blockNumber);
        if (slot === undefined) {
          slot = addresses.length;
          slots.set(change.blockNumber, slot);
          addresses.push(change);
        }
        changeSlots.push(slot);
      }
    }
    const frames: Frame[] = [];
    try {
      for (const address of addresses) {
        const frame = await cache.load(address);
        cache.pin(frame);
        frames.push(frame);
      }
      let next = 0;
      for (const entry of entries) {
        const { record } = entry;
        redoBytes += entry.totalBytes;
        if (record.tsn < from.tsn) continue;
        if (record.tsn <= lastTsn) assert(false, `redo out of order: TSN ${record.tsn} after ${lastTsn}`);
        lastTsn = record.tsn;
        records++;
        options.onRecord?.(record);
        // Whether a block needs this record is decided once, before its first change of
        // the record is applied: a record may change one block several times.
        const { changes } = record;
        let needed: Map<number, boolean> | undefined;
        for (let c = 0; c < changes.length; c++) {
          const change = changes[c];
          if (!includeFile(change.fileNumber)) continue;
          const slot = changeSlots[next++];
          const frame = frames[slot];
          let apply: boolean;
          if (changes.length === 1) {
            apply = blockTsn(frame.bytes) < record.tsn;
          } else {
            needed ??= new Map();
            const decided = needed.get(slot);
            apply = decided ?? blockTsn(frame.bytes) < record.tsn;
            if (decided === undefined) needed.set(slot, apply);
          }
          if (!apply) {
            changesSkipped++;
            continue;
          }
          applyBlockOp(frame.bytes, change, change.opcode, change.payload, record.tsn);
          cache.markChanged(frame, record.tsn);
          changesApplied++;
        }
      }
    } finally {
      for (const frame of frames) cache.unpin(frame);
    }
  };

  const applyBatch = async (entries: readonly LogScanEntry[]): Promise<void> => {
    // Slice by the number of changes, an upper bound on the distinct blocks a slice pins.
    let sliceStart = 0;
    let changes = 0;
    for (let i = 0; i < entries.length; i++) {
      const count = entries[i].record.changes.length;
      if (changes + count > blocksPerSliceMax && i > sliceStart) {
        await applySlice(entries.slice(sliceStart, i));
        sliceStart = i;
        changes = 0;
      }
      changes += count;
    }
    await applySlice(sliceStart === 0 ? entries : entries.slice(sliceStart));
  };

  for (const group of groups) {
    const isCurrent = group.state === 'CURRENT';
    const result = await scanLogGroup(
      options.fs,
      {
        groupNumber: group.number,
        sequence: group.sequence,
        memberPaths: group.members.filter((member) => member.status === 'VALID').map((member) => member.path),
        ...(isCurrent ? {} : { endBytes: group.endBytes }),
      },
      applyBatch,
    );
    warnings.push(...result.warnings);
    end = { sequence: group.sequence, groupNumber: group.number, offsetBytes: result.endBytes };
  }
  return { lastTsn, records, changesApplied, changesSkipped, redoBytes, end, warnings };
}
