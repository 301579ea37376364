// Cache recovery, the first step of crash recovery: reads the online redo from the
// checkpoint to its end and applies each change to its block in the buffer cache, unless
// the block already has it (its TSN is not lower than the record's). Blocks are fetched a
// batch at a time before the batch is applied. The same replay makes a datafile copied
// while the database ran consistent (media recovery uses it with archived logs).
import type { FileSystem } from '@tandem/testkit';
import { assert } from '../assert.js';
import { DbError } from '../errors.js';
import type { LogGroupEntry, RedoPosition } from '../control/control-state.js';
import { isDbError } from '../errors.js';
import { applyBlockOp, BlockOp } from '../storage/block-ops.js';
import { blockTsn, type BlockAddress } from '../storage/block.js';
import type { BufferCache, CacheFrame } from '../storage/buffer-cache.js';
import { scanLogGroup, type LogScanEntry } from '../redo/log-file.js';
import type { ChangeVector, RedoRecord } from '../redo/redo-record.js';

/** Block reads a replay keeps in flight (the thread pool has four threads; the disk queues more). */
const CONCURRENT_READS = 16;

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

/**
 * Applies redo records to the blocks of a buffer cache, in TSN order, a batch at a time:
 * the blocks a batch changes are fetched first, then each change is applied unless the
 * block already has it (its TSN is not lower than the record's). Crash recovery and media
 * recovery both use it; media recovery also asks it to stop at a TSN or a time, and to
 * accept blocks a backup copy tore, which the redo restores from a full-block image.
 */
export class RedoApplier {
  readonly #cache: BufferCache;
  readonly #includeFile: (fileNumber: number) => boolean;
  readonly #fromTsn: number;
  readonly #onRecord: ((record: RedoRecord) => void) | undefined;
  readonly #tolerateTorn: boolean;
  /** Blocks that failed their checksum, waiting for an image (media recovery only): key → address. */
  readonly #torn = new Map<string, { fileNumber: number; blockNumber: number; reason: string }>();
  readonly #blocksPerSliceMax: number;
  lastTsn = 0;
  lastWallMs = 0;
  records = 0;
  changesApplied = 0;
  changesSkipped = 0;
  redoBytes = 0;

  constructor(
    cache: BufferCache,
    options: {
      readonly fromTsn: number;
      readonly includeFile?: (fileNumber: number) => boolean;
      readonly onRecord?: (record: RedoRecord) => void;
      readonly tolerateTornBlocks?: boolean;
    },
  ) {
    this.#cache = cache;
    this.#fromTsn = options.fromTsn;
    this.#includeFile = options.includeFile ?? (() => true);
    this.#onRecord = options.onRecord;
    this.#tolerateTorn = options.tolerateTornBlocks ?? false;
    // A batch is applied in slices whose blocks fit comfortably in the cache, since a
    // slice's blocks stay pinned while it is applied.
    this.#blocksPerSliceMax = Math.max(8, Math.floor(cache.capacityBlocks / 4));
  }

  /** Blocks still torn: no image has replaced them yet. */
  get tornBlocks(): readonly { fileNumber: number; blockNumber: number; reason: string }[] {
    return [...this.#torn.values()];
  }

  /**
   * Applies the records of `entries` until `stopBefore` says a record must not be applied;
   * returns true if it stopped there.
   */
  async apply(entries: readonly LogScanEntry[], stopBefore?: (record: RedoRecord) => boolean): Promise<boolean> {
    let end = entries.length;
    if (stopBefore !== undefined) {
      const stop = entries.findIndex((entry) => entry.record.tsn >= this.#fromTsn && stopBefore(entry.record));
      if (stop >= 0) end = stop;
    }
    // Slice by the number of changes, an upper bound on the distinct blocks a slice pins.
    let sliceStart = 0;
    let changes = 0;
    for (let i = 0; i < end; i++) {
      const count = entries[i].record.changes.length;
      if (changes + count > this.#blocksPerSliceMax && i > sliceStart) {
        await this.#applySlice(entries, sliceStart, i);
        sliceStart = i;
        changes = 0;
      }
      changes += count;
    }
    if (end > sliceStart) await this.#applySlice(entries, sliceStart, end);
    return end < entries.length;
  }

  async #load(address: { fileNumber: number; blockNumber: number }): Promise<CacheFrame> {
    try {
      return await this.#cache.load(address);
    } catch (error) {
      if (!this.#tolerateTorn || !isDbError(error) || error.codeName !== 'BLOCK_CORRUPT') throw error;
      // A block torn in a backup copy: an image later in the redo replaces it whole.
      this.#cache.prepareNew(address);
      this.#torn.set(`${address.fileNumber}:${address.blockNumber}`, { ...address, reason: error.message });
      return this.#cache.frame(address)!;
    }
  }

  async #applySlice(all: readonly LogScanEntry[], from: number, to: number): Promise<void> {
    const cache = this.#cache;
    const includeFile = this.#includeFile;
    const fromTsn = this.#fromTsn;
    // First pass: number the distinct blocks (small-integer keys per file), and note each
    // change's block number in order, so the apply pass reads frames from an array.
    const slotsByFile = new Map<number, Map<number, number>>();
    const addresses: BlockAddress[] = [];
    const changeSlots: number[] = [];
    for (let e = from; e < to; e++) {
      const entry = all[e];
      if (entry.record.tsn < fromTsn) continue;
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
    const frames: CacheFrame[] = new Array<CacheFrame>(addresses.length);
    try {
      await this.#loadAll(addresses, frames);
      let next = 0;
      for (let e = from; e < to; e++) {
        const entry = all[e];
        const { record } = entry;
        this.redoBytes += entry.totalBytes;
        if (record.tsn < fromTsn) continue;
        if (record.tsn <= this.lastTsn) assert(false, `redo out of order: TSN ${record.tsn} after ${this.lastTsn}`);
        this.lastTsn = record.tsn;
        this.lastWallMs = record.wallMs;
        this.records++;
        this.#onRecord?.(record);
        // Whether a block needs this record is decided once, before its first change of
        // the record is applied: a record may change one block several times.
        const { changes } = record;
        let needed: Map<number, boolean> | undefined;
        for (let c = 0; c < changes.length; c++) {
          const change = changes[c];
          if (!includeFile(change.fileNumber)) continue;
          const slot = changeSlots[next++];
          const frame = frames[slot];
          if (this.#torn.size > 0 && this.#stillTorn(change)) {
            this.changesSkipped++;
            continue;
          }
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
            this.changesSkipped++;
            continue;
          }
          applyBlockOp(frame.bytes, change, change.opcode, change.payload, record.tsn);
          cache.markChanged(frame, record.tsn);
          this.changesApplied++;
        }
      }
    } finally {
      for (const frame of frames) if (frame !== undefined) cache.unpin(frame);
    }
  }

  /**
   * Fetches and pins the blocks of a slice, several reads at a time: most of a replay's
   * blocks are not cached when the redo reaches them (media recovery of a restored file
   * reads nearly every block it changes), and one read at a time would leave the disk
   * and the thread pool idle between them. `frames[i]` is set as block `i` is pinned.
   */
  async #loadAll(addresses: readonly BlockAddress[], frames: CacheFrame[]): Promise<void> {
    let next = 0;
    let failed = false;
    const reader = async (): Promise<void> => {
      while (!failed && next < addresses.length) {
        const i = next++;
        const cached = this.#cache.frame(addresses[i]);
        try {
          const frame = cached ?? (await this.#load(addresses[i]));
          this.#cache.pin(frame);
          frames[i] = frame;
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    const readers = Array.from({ length: Math.min(CONCURRENT_READS, addresses.length) }, reader);
    const outcomes = await Promise.allSettled(readers);
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
  }

  /** For a torn block: true (skip the change) until an image or a format makes it whole. */
  #stillTorn(change: ChangeVector): boolean {
    const key = `${change.fileNumber}:${change.blockNumber}`;
    if (!this.#torn.has(key)) return false;
    if (change.opcode !== BlockOp.BlockImage && change.opcode !== BlockOp.Format) return true;
    this.#torn.delete(key);
    return false;
  }
}

export async function rollForward(options: RollForwardOptions): Promise<RollForwardResult> {
  const { from } = options;
  const groups = onlineGroupsFrom(options.logGroups, from.sequence);
  const warnings: string[] = [];
  const applier = new RedoApplier(options.cache, {
    fromTsn: from.tsn,
    ...(options.includeFile === undefined ? {} : { includeFile: options.includeFile }),
    ...(options.onRecord === undefined ? {} : { onRecord: options.onRecord }),
  });
  let end = { sequence: from.sequence, groupNumber: groups[0].number, offsetBytes: from.offsetBytes };
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
      async (entries) => void (await applier.apply(entries)),
    );
    warnings.push(...result.warnings);
    end = { sequence: group.sequence, groupNumber: group.number, offsetBytes: result.endBytes };
  }
  return {
    lastTsn: applier.lastTsn,
    records: applier.records,
    changesApplied: applier.changesApplied,
    changesSkipped: applier.changesSkipped,
    redoBytes: applier.redoBytes,
    end,
    warnings,
  };
}
