// DBWR: writes dirty blocks from the buffer cache to the datafiles. It obeys the
// write-ahead rule (a block goes to disk only once redo is durable up to its last
// change: asserted on every write) and writes each batch twice, first to the doublewrite
// file and then in place, so that a block torn by a crash in place is restored from its
// doublewrite copy before redo is replayed: physiological redo needs a sound block to
// apply to.
//
// Doublewrite file: block 0 is a header [magic u32][count u32][batch u64][crc32 of the
// images' checksums]; blocks 1..count are the sealed images of the batch.
import { crc32 } from 'node:zlib';
import { isFileSystemError, type FileHandle, type FileSystem } from '@tandem/testkit';
import { assert } from '../assert.js';
import { parentOf } from '../control/control-file.js';
import { checksumMatches, readBlockHeader, sealBlock, writeU64 } from './block.js';
import type { BufferCache, CacheFrame, DatafileDirectory, FrameCleaner } from './buffer-cache.js';

const DOUBLEWRITE_MAGIC = 0x57444454; // 'TDDW'

export interface RedoFlusher {
  readonly flushedTsn: number;
  flush(tsn: number): Promise<void>;
}

export interface DatabaseWriterOptions {
  readonly fs: FileSystem;
  readonly cache: BufferCache;
  readonly files: DatafileDirectory;
  readonly redo: RedoFlusher;
  readonly doublewritePath: string;
  readonly blockBytes: number;
  /** Blocks per write batch (and doublewrite file size). */
  readonly batchBlocksMax?: number;
}

export interface WriteStatistics {
  batches: number;
  blocksWritten: number;
  /** In-place writes: a run of adjacent blocks of one file is one write. */
  writes: number;
  walWaits: number;
}

/** The most blocks one in-place write carries (1 MiB of 8 KiB blocks). */
const RUN_BLOCKS_MAX = 128;

export class DatabaseWriter implements FrameCleaner {
  readonly #cache: BufferCache;
  readonly #files: DatafileDirectory;
  #redo: RedoFlusher;
  readonly #doublewrite: FileHandle;
  readonly #blockBytes: number;
  readonly #batchBlocksMax: number;
  #batchSequence = 0;
  /** One batch at a time: the doublewrite file holds one batch. */
  #chain: Promise<unknown> = Promise.resolve();
  readonly statistics: WriteStatistics = { batches: 0, blocksWritten: 0, writes: 0, walWaits: 0 };

  private constructor(options: DatabaseWriterOptions, doublewrite: FileHandle) {
    this.#cache = options.cache;
    this.#files = options.files;
    this.#redo = options.redo;
    this.#doublewrite = doublewrite;
    this.#blockBytes = options.blockBytes;
    this.#batchBlocksMax = options.batchBlocksMax ?? 64;
  }

  static async open(options: DatabaseWriterOptions): Promise<DatabaseWriter> {
    const existed = await options.fs.exists(options.doublewritePath);
    const handle = await options.fs.open(options.doublewritePath, { create: true });
    // The file's name must survive a crash, or its images would vanish with it.
    if (!existed) await options.fs.syncDirectory(parentOf(options.doublewritePath));
    const writer = new DatabaseWriter(options, handle);
    options.cache.setCleaner(writer);
    return writer;
  }

  /** Replaces the redo the write-ahead rule waits on (recovery replays redo before LGWR starts). */
  setRedo(redo: RedoFlusher): void {
    this.#redo = redo;
  }

  /** Writes the oldest dirty blocks, to give a full cache clean frames to reuse. */
  cleanSome(): Promise<void> {
    return this.writeDirty({ maxBlocks: this.#batchBlocksMax }).then(() => undefined);
  }

  /**
   * Writes dirty frames whose first change is at or below `upToTsn` (all, if omitted), up
   * to `maxBlocks`, oldest first. Resolves with the number of blocks written.
   */
  writeDirty(options: { readonly upToTsn?: number; readonly maxBlocks?: number } = {}): Promise<number> {
    const run = this.#chain.then(() => this.#writeDirty(options));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #writeDirty(options: { readonly upToTsn?: number; readonly maxBlocks?: number }): Promise<number> {
    const upToTsn = options.upToTsn ?? Number.POSITIVE_INFINITY;
    const maxBlocks = options.maxBlocks ?? Number.POSITIVE_INFINITY;
    let written = 0;
    while (written < maxBlocks) {
      const batch: CacheFrame[] = [];
      for (const frame of this.#cache.dirtyFrames()) {
        // Pinned frames are written too: a pin only keeps a frame from eviction.
        if (frame.firstDirtyTsn > upToTsn) continue;
        batch.push(frame);
        if (batch.length >= Math.min(this.#batchBlocksMax, maxBlocks - written)) break;
      }
      if (batch.length === 0) break;
      await this.#writeBatch(batch);
      written += batch.length;
    }
    return written;
  }

  async #writeBatch(frames: CacheFrame[]): Promise<void> {
    for (const frame of frames) this.#cache.pin(frame);
    try {
      // The write-ahead rule: redo first. Frames may change while we wait, so loop.
      for (;;) {
        let newest = 0;
        for (const frame of frames) newest = Math.max(newest, frame.lastChangeTsn);
        if (newest <= this.#redo.flushedTsn) break;
        this.statistics.walWaits++;
        await this.#redo.flush(newest);
      }
      // Snapshot synchronously: the images and the TSNs they contain.
      const images: Uint8Array[] = [];
      const imageTsns: number[] = [];
      for (const frame of frames) {
        assert(
          frame.lastChangeTsn <= this.#redo.flushedTsn,
          () =>
            `write-ahead rule: block ${frame.address.fileNumber}:${frame.address.blockNumber} has TSN ${frame.lastChangeTsn}, redo is durable only to ${this.#redo.flushedTsn}`,
        );
        const image = frame.bytes.slice();
        sealBlock(image);
        images.push(image);
        imageTsns.push(frame.lastChangeTsn);
      }
      await this.#writeDoublewrite(images);
      const touched = new Set<number>();
      await Promise.all(
        adjacentRuns(frames).map((run) => {
          const first = frames[run[0]].address;
          touched.add(first.fileNumber);
          this.statistics.writes++;
          const bytes = run.length === 1 ? images[run[0]] : concatenate(run.map((i) => images[i]));
          return this.#files.datafile(first.fileNumber).writeBlock(first.blockNumber, bytes);
        }),
      );
      await Promise.all([...touched].map((fileNumber) => this.#files.datafile(fileNumber).sync()));
      frames.forEach((frame, i) => this.#cache.markWritten(frame, imageTsns[i]));
      this.statistics.batches++;
      this.statistics.blocksWritten += frames.length;
    } finally {
      for (const frame of frames) this.#cache.unpin(frame);
    }
  }

  async #writeDoublewrite(images: readonly Uint8Array[]): Promise<void> {
    const bytes = new Uint8Array((images.length + 1) * this.#blockBytes);
    images.forEach((image, i) => bytes.set(image, (i + 1) * this.#blockBytes));
    const view = new DataView(bytes.buffer);
    view.setUint32(0, DOUBLEWRITE_MAGIC, true);
    view.setUint32(4, images.length, true);
    writeU64(bytes, 8, ++this.#batchSequence);
    view.setUint32(16, crc32(bytes.subarray(0, 16)), true);
    await this.#doublewrite.write(bytes, 0);
    await this.#doublewrite.datasync();
  }

  async close(): Promise<void> {
    await this.#chain;
    await this.#doublewrite.close();
  }
}

/**
 * The frames' indexes grouped into runs of adjacent blocks of one file (at most
 * RUN_BLOCKS_MAX each), in file and block order: each run is written with one call. A torn
 * multi-block write is no different from torn single ones: the doublewrite copy restores
 * every torn block, and redo brings the unwritten ones forward.
 */
function adjacentRuns(frames: readonly CacheFrame[]): number[][] {
  const order = frames
    .map((_, i) => i)
    .sort(
      (a, b) =>
        frames[a].address.fileNumber - frames[b].address.fileNumber ||
        frames[a].address.blockNumber - frames[b].address.blockNumber,
    );
  const runs: number[][] = [];
  for (const i of order) {
    const run = runs.at(-1);
    const last = run === undefined ? undefined : frames[run[run.length - 1]].address;
    const here = frames[i].address;
    if (
      run !== undefined &&
      last !== undefined &&
      run.length < RUN_BLOCKS_MAX &&
      last.fileNumber === here.fileNumber &&
      last.blockNumber + 1 === here.blockNumber
    ) {
      run.push(i);
    } else {
      runs.push([i]);
    }
  }
  return runs;
}

function concatenate(images: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(images.reduce((sum, image) => sum + image.length, 0));
  let at = 0;
  for (const image of images) {
    bytes.set(image, at);
    at += image.length;
  }
  return bytes;
}

/**
 * Before crash recovery: for every sound image in the doublewrite file whose block is torn
 * or corrupt in place, writes the image back. Returns the addresses it restored.
 */
export async function restoreTornBlocks(
  fs: FileSystem,
  doublewritePath: string,
  files: DatafileDirectory & { has(fileNumber: number): boolean },
  blockBytes: number,
): Promise<string[]> {
  let contents: Uint8Array;
  try {
    contents = await fs.readFile(doublewritePath);
  } catch (error) {
    if (isFileSystemError(error, 'ENOENT')) return [];
    throw error;
  }
  if (contents.length < blockBytes) return [];
  const view = new DataView(contents.buffer, contents.byteOffset, contents.byteLength);
  if (view.getUint32(0, true) !== DOUBLEWRITE_MAGIC || view.getUint32(16, true) !== crc32(contents.subarray(0, 16)))
    return [];
  const count = view.getUint32(4, true);
  const restored: string[] = [];
  const scratch = new Uint8Array(blockBytes);
  for (let i = 1; i <= count && (i + 1) * blockBytes <= contents.length; i++) {
    const image = contents.subarray(i * blockBytes, (i + 1) * blockBytes);
    if (!checksumMatches(image)) continue; // the doublewrite write itself was torn: in place is intact
    const { fileNumber, blockNumber } = readBlockHeader(image);
    if (!files.has(fileNumber)) continue;
    const datafile = files.datafile(fileNumber);
    let sound: boolean;
    try {
      await datafile.readBlock(blockNumber, scratch);
      sound = true;
    } catch {
      sound = false;
    }
    if (sound) continue;
    await datafile.writeBlock(blockNumber, image.slice());
    restored.push(`${fileNumber}:${blockNumber}`);
  }
  if (restored.length > 0) {
    const fileNumbers = new Set(restored.map((address) => Number(address.split(':')[0])));
    for (const fileNumber of fileNumbers) await files.datafile(fileNumber).sync();
  }
  return restored;
}
