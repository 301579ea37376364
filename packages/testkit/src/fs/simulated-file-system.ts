// An in-memory disk for seeded crash simulation, after SQLite's test6.c crash VFS and
// TigerBeetle's testing storage: it loses, keeps or tears unsynced writes at a crash,
// forgets unsynced names, fails chosen operations and freezes at an exact operation.
//
// Every operation runs to completion when it is called (the returned promise is already
// settled), so a workload's interleaving, and with it every crash outcome, follows from
// the seed alone.

import type { Clock } from '../clock/clock.js';
import type { Random } from '../random/random.js';
import type { FileHandle, FileStat, FileSystem, OpenOptions } from './file-system.js';
import { FileSystemError } from './file-system.js';
import type { CrashFates, CrashReport } from './simulated-crash.js';
import { SimulatedDisk, settle } from './simulated-disk.js';
import type { FaultRule, FileSystemOperationKind, InjectedFault } from './simulated-faults.js';
import type { SimulatedInode } from './simulated-inode.js';
import type { DirectoryEntry } from './simulated-namespace.js';
import { normalizeSimulatedPath } from './simulated-namespace.js';

export interface SimulatedFileSystemOptions {
  /** Decides every crash fate: the same seed and the same operations give the same outcome. */
  readonly random: Random;
  /** Supplies FileStat.modifiedMs. Default: a ManualClock. */
  readonly clock?: Clock;
  /** Total bytes of all files; a write, append or truncate that would grow past it fails ENOSPC. Default: unlimited. */
  readonly capacityBytes?: number;
  /** The unit a write tears at in a crash. Default 512. */
  readonly sectorBytes?: number;
  /** Relative odds of keeping, dropping and tearing each unsynced write at a crash. Default: equal. */
  readonly crashFates?: CrashFates;
}

/**
 * A FileSystem in memory that simulates power loss. Each file keeps what reads see apart
 * from what is durable; names live in a journal that `syncDirectory` commits in order.
 * `crash()` keeps a random prefix of the uncommitted names and keeps, drops or tears each
 * unsynced write, all drawn from the seeded Random, and then the disk runs on as if rebooted.
 */
export class SimulatedFileSystem implements FileSystem {
  readonly #disk: SimulatedDisk;

  constructor(options: SimulatedFileSystemOptions) {
    this.#disk = new SimulatedDisk(options);
  }

  open(path: string, options: OpenOptions = {}): Promise<FileHandle> {
    return this.#run('open', path, (normalized) => this.#disk.open(normalized, options));
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.#run('readFile', path, (normalized) => this.#disk.fileAt(normalized, 'readFile').visible.toBytes());
  }

  rename(from: string, to: string): Promise<void> {
    return settle(() => {
      const normalizedFrom = normalizeSimulatedPath(from);
      const normalizedTo = normalizeSimulatedPath(to);
      this.#disk.begin('rename', [normalizedFrom, normalizedTo]);
      this.#disk.rename(normalizedFrom, normalizedTo);
    });
  }

  unlink(path: string): Promise<void> {
    return this.#run('unlink', path, (normalized) => this.#disk.unlink(normalized));
  }

  mkdir(path: string, options: { readonly recursive?: boolean } = {}): Promise<void> {
    return this.#run('mkdir', path, (normalized) => this.#disk.mkdir(normalized, options.recursive ?? false));
  }

  rmdir(path: string): Promise<void> {
    return this.#run('rmdir', path, (normalized) => this.#disk.rmdir(normalized));
  }

  list(path: string): Promise<string[]> {
    return this.#run('list', path, (normalized) => {
      const directoryId = this.#disk.directoryAt(normalized, 'list');
      return [...this.#disk.visible.entries(directoryId).keys()].sort();
    });
  }

  stat(path: string): Promise<FileStat> {
    return this.#run('stat', path, (normalized) => this.#disk.stat(normalized));
  }

  exists(path: string): Promise<boolean> {
    return this.#run('exists', path, (normalized) => this.#disk.exists(normalized));
  }

  syncDirectory(path: string): Promise<void> {
    return this.#run('syncDirectory', path, (normalized) => this.#disk.syncDirectory(normalized));
  }

  #run<T>(kind: FileSystemOperationKind, path: string, operation: (normalized: string) => T): Promise<T> {
    return settle(() => {
      const normalized = normalizeSimulatedPath(path);
      this.#disk.begin(kind, [normalized]);
      return operation(normalized);
    });
  }

  /**
   * Simulates power loss and reboot. Every open handle dies (EBADF). Pending metadata
   * operations after the last committed one are kept as a random-length prefix; each
   * unsynced write of a surviving file is kept, dropped or torn. The disk then holds
   * exactly the rebuilt state, durable, and can be used again. Clears a freeze.
   */
  crash(): CrashReport {
    return this.#disk.crash();
  }

  /**
   * After `count` more operations (any FileSystem or FileHandle call) have started, the
   * next one and every later one fail EIO ('simulated crash') and change nothing, until
   * `crash()`. Lets a test stop a workload at an exact operation.
   */
  crashAfterOperations(count: number): void {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new RangeError(`count must be a non-negative integer, got ${count}`);
    }
    this.#disk.operationsUntilFreeze = count;
  }

  /** Operations started so far, including those that failed. */
  get operationCount(): number {
    return this.#disk.operationCount;
  }

  /** Whether a crashAfterOperations countdown has run out and the disk refuses every operation. */
  get isFrozen(): boolean {
    return this.#disk.frozen;
  }

  /** Fails matching operations with an I/O error; a failed operation changes nothing. Rules survive a crash. */
  injectFault(rule: FaultRule): InjectedFault {
    return this.#disk.faults.inject(rule);
  }

  /** Flips bit `bit` (0 = least significant) of byte `byteOffset`, in the page cache and on the platter alike. */
  flipBit(path: string, byteOffset: number, bit: number): void {
    if (!Number.isInteger(bit) || bit < 0 || bit > 7) throw new RangeError(`bit must be 0..7, got ${bit}`);
    const inode = this.#corruptible(path, byteOffset, 1);
    inode.corrupt(byteOffset, Uint8Array.of(inode.visible.byteAt(byteOffset) ^ (1 << bit)));
  }

  /** Replaces bytes inside the file, in the page cache and on the platter alike, as a bad copy would. */
  overwriteBytes(path: string, position: number, bytes: Uint8Array): void {
    this.#corruptible(path, position, bytes.length).corrupt(position, bytes);
  }

  #corruptible(path: string, position: number, lengthBytes: number): SimulatedInode {
    const normalized = normalizeSimulatedPath(path);
    const inode = this.#disk.fileAt(normalized, 'corrupt');
    if (!Number.isSafeInteger(position) || position < 0 || position + lengthBytes > inode.sizeBytes) {
      throw new RangeError(
        `bytes [${position}, ${position + lengthBytes}) are not inside '${normalized}' (${inode.sizeBytes} bytes)`,
      );
    }
    return inode;
  }

  /** Unsynced data operations (writes and truncates) of the file at `path`, or of every file. */
  pendingWriteCount(path?: string): number {
    if (path !== undefined) return this.#disk.fileAt(normalizeSimulatedPath(path), 'pendingWriteCount').pending.length;
    let count = 0;
    for (const inode of this.#disk.inodes.values()) count += inode.pending.length;
    return count;
  }

  /**
   * What a crash is sure to leave at `path`: the synced bytes of the file that the durable
   * names give that path, or undefined if no durable name is a file there.
   */
  durableContents(path: string): Uint8Array | undefined {
    let entry: DirectoryEntry | undefined;
    try {
      entry = this.#disk.durable.lookup(normalizeSimulatedPath(path), 'durableContents');
    } catch (error) {
      if (error instanceof FileSystemError) return undefined;
      throw error;
    }
    return entry?.kind === 'file' ? this.#disk.inode(entry.inodeId).durable.toBytes() : undefined;
  }

  /** Bytes of all files, as counted against capacityBytes. */
  get usedBytes(): number {
    return this.#disk.usedBytes;
  }

  /** Checks every invariant of the disk in full (O(total bytes)); for tests. Throws with the values on a broken one. */
  checkInvariants(): void {
    let usedBytes = 0;
    for (const inode of this.#disk.inodes.values()) {
      inode.checkInvariants();
      if (inode.isLive) usedBytes += inode.sizeBytes;
    }
    if (usedBytes !== this.#disk.usedBytes) {
      throw new Error(
        `simulated disk invariant broken: live files hold ${usedBytes} bytes, accounted ${this.#disk.usedBytes}`,
      );
    }
    const replayed = this.#disk.durable.copy();
    for (const operation of this.#disk.journal) replayed.apply(operation);
    const expected = this.#disk.visible.describe().join('\n');
    const actual = replayed.describe().join('\n');
    if (actual !== expected) {
      throw new Error(
        `simulated disk invariant broken: durable names plus the journal give\n${actual}\nbut the visible names are\n${expected}`,
      );
    }
  }
}
