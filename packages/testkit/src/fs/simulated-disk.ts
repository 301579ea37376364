// The simulated disk's state and operations, shared by SimulatedFileSystem and its
// handles. Not exported from the package: tests drive it through SimulatedFileSystem.

import type { Clock } from '../clock/clock.js';
import { ManualClock } from '../clock/clock.js';
import type { Random } from '../random/random.js';
import { checkByteCount, checkOpenOptions, checkReadArguments } from './file-system-arguments.js';
import type { FileHandle, FileStat, FileSystemErrorCode, OpenOptions } from './file-system.js';
import { FileSystemError } from './file-system.js';
import type { CrashFates, CrashReport, CrashedDataOperation, CrashedMetadataOperation } from './simulated-crash.js';
import { checkCrashFates, crashDataOperation, defaultCrashFates } from './simulated-crash.js';
import type { FileSystemOperationKind } from './simulated-faults.js';
import { FaultInjector } from './simulated-faults.js';
import type { FileContent, PendingDataOperation } from './simulated-inode.js';
import { SimulatedInode } from './simulated-inode.js';
import type { DirectoryEntry, MetadataOperation, NameLocation } from './simulated-namespace.js';
import { Namespace, rootDirectoryId, touchesDirectory } from './simulated-namespace.js';
import type { SimulatedFileSystemOptions } from './simulated-file-system.js';

export function fail(code: FileSystemErrorCode, syscall: string, path: string, reason: string): FileSystemError {
  return new FileSystemError(code, syscall, path, `${code}: ${syscall} '${path}': ${reason}`);
}

/** Runs a synchronous operation and reports its result or its error through a promise, as the interface requires. */
export function settle<T>(operation: () => T): Promise<T> {
  try {
    return Promise.resolve(operation());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * The disk's state and its operations. SimulatedFileSystem and its handles are thin
 * facades over one of these, which lets handles reach the shared state without making
 * it public.
 */
export class SimulatedDisk {
  readonly random: Random;
  readonly clock: Clock;
  readonly capacityBytes: number;
  readonly sectorBytes: number;
  readonly crashFates: CrashFates;
  readonly faults = new FaultInjector();

  /** Names as reads see them. */
  visible = new Namespace();
  /** Names as they would be after a crash that kept no pending metadata operation. */
  durable = new Namespace();
  /** Metadata operations applied to `visible` but not to `durable`, in the order they ran. */
  journal: MetadataOperation[] = [];
  inodes = new Map<number, SimulatedInode>();
  directoryModifiedMs = new Map<number, number>();
  /** Visible bytes of every live inode (one with a name or an open handle). */
  usedBytes = 0;

  /** Bumped by each crash; a handle opened in an earlier epoch is dead. */
  epoch = 0;
  operationCount = 0;
  frozen = false;
  /** Operations still allowed before the disk freezes; undefined when no freeze is armed. */
  operationsUntilFreeze: number | undefined;

  #nextInodeId = 1;
  #nextDirectoryId = rootDirectoryId + 1;
  #nextDataSequence = 0;

  constructor(options: SimulatedFileSystemOptions) {
    this.random = options.random;
    this.clock = options.clock ?? new ManualClock();
    this.capacityBytes = options.capacityBytes ?? Number.POSITIVE_INFINITY;
    this.sectorBytes = options.sectorBytes ?? 512;
    this.crashFates = options.crashFates ?? defaultCrashFates;
    if (!(this.capacityBytes >= 0)) {
      throw new RangeError(`capacityBytes must be non-negative, got ${this.capacityBytes}`);
    }
    if (!Number.isSafeInteger(this.sectorBytes) || this.sectorBytes <= 0) {
      throw new RangeError(`sectorBytes must be a positive integer, got ${this.sectorBytes}`);
    }
    checkCrashFates(this.crashFates);
    this.directoryModifiedMs.set(rootDirectoryId, this.clock.nowMs());
  }

  /**
   * Starts an operation: counts it, refuses it if the disk is frozen, runs the caller's own
   * checks (a dead handle), then the fault rules. Nothing has changed if this throws.
   */
  begin(kind: FileSystemOperationKind, paths: readonly string[], check?: () => void): void {
    this.operationCount++;
    const path = paths[0] ?? '';
    if (!this.frozen && this.operationsUntilFreeze !== undefined) {
      if (this.operationsUntilFreeze === 0) {
        this.frozen = true;
        this.operationsUntilFreeze = undefined;
      } else {
        this.operationsUntilFreeze--;
      }
    }
    if (this.frozen) {
      throw new FileSystemError(
        'EIO',
        kind,
        path,
        `simulated crash: the disk froze before operation ${this.operationCount} (${kind} '${path}'); call crash() to reboot it`,
      );
    }
    check?.();
    const injected = this.faults.check(kind, paths);
    if (injected !== undefined) throw fail(injected, kind, path, 'injected fault');
  }

  /** Throws ENOSPC unless `growthBytes` more fit on the disk. */
  reserve(growthBytes: number, syscall: string, path: string): void {
    if (growthBytes > 0 && this.usedBytes + growthBytes > this.capacityBytes) {
      throw fail(
        'ENOSPC',
        syscall,
        path,
        `${growthBytes} more bytes do not fit (${this.usedBytes} of ${this.capacityBytes} used)`,
      );
    }
  }

  nextDataSequence(): number {
    return this.#nextDataSequence++;
  }

  inode(inodeId: number): SimulatedInode {
    const inode = this.inodes.get(inodeId);
    if (inode === undefined) throw new Error(`simulated disk invariant broken: inode ${inodeId} is named but missing`);
    return inode;
  }

  /** The file at `path`, or ENOENT / EISDIR. */
  fileAt(path: string, syscall: string): SimulatedInode {
    const entry = this.visible.lookup(path, syscall);
    if (entry === undefined) throw fail('ENOENT', syscall, path, 'no such file');
    if (entry.kind === 'directory') throw fail('EISDIR', syscall, path, 'is a directory');
    return this.inode(entry.inodeId);
  }

  directoryAt(path: string, syscall: string): number {
    const entry = this.visible.lookup(path, syscall);
    if (entry === undefined) throw fail('ENOENT', syscall, path, 'no such directory');
    if (entry.kind === 'file') throw fail('ENOTDIR', syscall, path, 'is a file');
    return entry.directoryId;
  }

  /** Applies a metadata operation to the visible names and queues it for a directory sync or a crash. */
  record(operation: MetadataOperation): void {
    this.visible.apply(operation);
    this.journal.push(operation);
    const nowMs = this.clock.nowMs();
    if (operation.kind === 'rename') {
      this.directoryModifiedMs.set(operation.from.directoryId, nowMs);
      this.directoryModifiedMs.set(operation.to.directoryId, nowMs);
    } else {
      this.directoryModifiedMs.set(operation.at.directoryId, nowMs);
    }
  }

  /** A name no longer refers to `inode`; its bytes stop counting once its last handle closes too. */
  unlinked(inode: SimulatedInode): void {
    inode.linked = false;
    if (!inode.isLive) this.usedBytes -= inode.sizeBytes;
  }

  open(path: string, options: OpenOptions): SimulatedFileHandle {
    const readOnly = options.readOnly ?? false;
    const truncate = options.truncate ?? false;
    checkOpenOptions(readOnly, truncate, path);
    if (path === '/') throw fail('EISDIR', 'open', path, 'is a directory');
    const at = this.visible.locate(path, 'open');
    const entry = this.visible.get(at);
    let inode: SimulatedInode;
    if (entry === undefined) {
      if (options.create !== true) throw fail('ENOENT', 'open', path, 'no such file');
      inode = new SimulatedInode(this.#nextInodeId++, this.clock.nowMs());
      this.inodes.set(inode.id, inode);
      this.record({ kind: 'createFile', at, inodeId: inode.id, description: `create ${path}` });
    } else if (entry.kind === 'directory') {
      throw fail('EISDIR', 'open', path, 'is a directory');
    } else if (options.create === true && options.exclusive === true) {
      throw fail('EEXIST', 'open', path, 'the file exists');
    } else {
      inode = this.inode(entry.inodeId);
      if (truncate) {
        this.usedBytes -= inode.sizeBytes;
        inode.truncate(0, this.nextDataSequence(), this.clock.nowMs());
      }
    }
    inode.openHandleCount++;
    return new SimulatedFileHandle(this, inode, path, readOnly);
  }

  rename(from: string, to: string): void {
    if (from === '/' || to === '/') throw fail('EINVAL', 'rename', from, 'cannot rename the root directory');
    const source = this.visible.locate(from, 'rename');
    const moved = this.visible.get(source);
    if (moved === undefined) throw fail('ENOENT', 'rename', from, 'no such file or directory');
    const target = this.visible.locate(to, 'rename');
    if (from === to) return;
    const replaced = this.visible.get(target);
    if (moved.kind === 'directory') {
      if (to.startsWith(`${from}/`)) {
        throw fail('EINVAL', 'rename', from, `cannot move a directory into itself ('${to}')`);
      }
      if (replaced?.kind === 'file') throw fail('ENOTDIR', 'rename', from, `'${to}' is a file`);
      if (replaced?.kind === 'directory' && this.visible.entries(replaced.directoryId).size > 0) {
        throw fail('ENOTEMPTY', 'rename', from, `'${to}' is a directory that is not empty`);
      }
    } else if (replaced?.kind === 'directory') {
      throw fail('EISDIR', 'rename', from, `'${to}' is a directory`);
    }
    this.record({ kind: 'rename', from: source, to: target, description: `rename ${from} -> ${to}` });
    if (replaced?.kind === 'file') this.unlinked(this.inode(replaced.inodeId));
  }

  unlink(path: string): void {
    if (path === '/') throw fail('EISDIR', 'unlink', path, 'is a directory');
    const at = this.visible.locate(path, 'unlink');
    const entry = this.visible.get(at);
    if (entry === undefined) throw fail('ENOENT', 'unlink', path, 'no such file');
    if (entry.kind === 'directory') throw fail('EISDIR', 'unlink', path, 'is a directory');
    this.record({ kind: 'unlink', at, description: `unlink ${path}` });
    this.unlinked(this.inode(entry.inodeId));
  }

  mkdir(path: string, recursive: boolean): void {
    if (path === '/') {
      if (recursive) return;
      throw fail('EEXIST', 'mkdir', path, 'the directory exists');
    }
    if (!recursive) {
      const at = this.visible.locate(path, 'mkdir');
      if (this.visible.get(at) !== undefined) throw fail('EEXIST', 'mkdir', path, 'the name exists');
      this.#makeDirectory(at, path);
      return;
    }
    // Check the whole path before creating anything, so a failure changes nothing.
    const components = path.split('/').slice(1);
    let existingDepth = 0;
    let directoryId = rootDirectoryId;
    for (const component of components) {
      const entry: DirectoryEntry | undefined = this.visible.get({ directoryId, name: component });
      if (entry === undefined) break;
      if (entry.kind === 'file') {
        const isLast = existingDepth === components.length - 1;
        throw fail(isLast ? 'EEXIST' : 'ENOTDIR', 'mkdir', path, `'${component}' is a file`);
      }
      directoryId = entry.directoryId;
      existingDepth++;
    }
    for (const component of components.slice(existingDepth)) {
      existingDepth++;
      directoryId = this.#makeDirectory(
        { directoryId, name: component },
        `/${components.slice(0, existingDepth).join('/')}`,
      );
    }
  }

  #makeDirectory(at: NameLocation, path: string): number {
    const newDirectoryId = this.#nextDirectoryId++;
    this.record({ kind: 'mkdir', at, newDirectoryId, description: `mkdir ${path}` });
    this.directoryModifiedMs.set(newDirectoryId, this.clock.nowMs());
    return newDirectoryId;
  }

  rmdir(path: string): void {
    if (path === '/') throw fail('EINVAL', 'rmdir', path, 'cannot remove the root directory');
    const at = this.visible.locate(path, 'rmdir');
    const entry = this.visible.get(at);
    if (entry === undefined) throw fail('ENOENT', 'rmdir', path, 'no such directory');
    if (entry.kind === 'file') throw fail('ENOTDIR', 'rmdir', path, 'is a file');
    if (this.visible.entries(entry.directoryId).size > 0) {
      throw fail('ENOTEMPTY', 'rmdir', path, 'the directory is not empty');
    }
    this.record({ kind: 'rmdir', at, description: `rmdir ${path}` });
    this.directoryModifiedMs.delete(entry.directoryId);
  }

  stat(path: string): FileStat {
    const entry = this.visible.lookup(path, 'stat');
    if (entry === undefined) throw fail('ENOENT', 'stat', path, 'no such file or directory');
    if (entry.kind === 'directory') {
      return { sizeBytes: 0, isDirectory: true, modifiedMs: this.directoryModifiedMs.get(entry.directoryId) ?? 0 };
    }
    const inode = this.inode(entry.inodeId);
    return { sizeBytes: inode.sizeBytes, isDirectory: false, modifiedMs: inode.modifiedMs };
  }

  exists(path: string): boolean {
    try {
      return this.visible.lookup(path, 'exists') !== undefined;
    } catch (error) {
      // An ancestor that is missing or a file: the path names nothing.
      if (error instanceof FileSystemError && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return false;
      throw error;
    }
  }

  /**
   * Commits the journal up to and including the last operation that touches the directory.
   * Like a journaling file system, metadata reaches the disk in order, so the operations
   * before it (on any directory) become durable too.
   */
  syncDirectory(path: string): void {
    const directoryId = this.directoryAt(path, 'syncDirectory');
    const lastIndex = this.journal.findLastIndex((operation) => touchesDirectory(operation, directoryId));
    if (lastIndex === -1) return;
    for (const operation of this.journal.splice(0, lastIndex + 1)) this.durable.apply(operation);
    this.#collectGarbage();
  }

  /**
   * Forgets inodes that nothing can reach any more: no visible name, no open handle, and no
   * name that a crash could bring back (a durable name, or a pending create). Without this a
   * long run that creates and deletes files would hold every file it ever wrote.
   */
  #collectGarbage(): void {
    const reachable = new Set(this.durable.filePaths().keys());
    for (const operation of this.journal) if (operation.kind === 'createFile') reachable.add(operation.inodeId);
    for (const [inodeId, inode] of this.inodes) {
      if (!inode.isLive && !reachable.has(inodeId)) this.inodes.delete(inodeId);
    }
  }

  crash(): CrashReport {
    this.epoch++;
    this.frozen = false;
    this.operationsUntilFreeze = undefined;

    const keptCount = this.random.int(0, this.journal.length + 1);
    const namespace = this.durable.copy();
    const metadataOperations: CrashedMetadataOperation[] = this.journal.map((operation, index) => {
      if (index < keptCount) namespace.apply(operation);
      return { description: operation.description, fate: index < keptCount ? 'kept' : 'dropped' };
    });

    // Only files that still have a name survive; the rest (new files whose creation was
    // lost, unlinked files held open) vanish with their data.
    const paths = namespace.filePaths();
    const rebuilt = new Map<number, FileContent>();
    const pending: { readonly inodeId: number; readonly operation: PendingDataOperation }[] = [];
    for (const inodeId of paths.keys()) {
      const inode = this.inode(inodeId);
      rebuilt.set(inodeId, inode.durable.copy());
      for (const operation of inode.pending) pending.push({ inodeId, operation });
    }
    pending.sort((a, b) => a.operation.sequence - b.operation.sequence);
    const dataOperations: CrashedDataOperation[] = pending.map(({ inodeId, operation }) =>
      crashDataOperation(
        this.random,
        this.crashFates,
        this.sectorBytes,
        rebuilt.get(inodeId) as FileContent,
        operation,
        paths.get(inodeId) as string,
      ),
    );

    const survivors = new Map<number, SimulatedInode>();
    this.usedBytes = 0;
    for (const [inodeId, content] of rebuilt) {
      const inode = this.inode(inodeId);
      inode.reboot(content);
      survivors.set(inodeId, inode);
      this.usedBytes += inode.sizeBytes;
    }
    this.inodes = survivors;
    this.visible = namespace;
    this.durable = namespace.copy();
    this.journal = [];
    return {
      seed: this.random.seed,
      dataOperations,
      metadataOperations,
      metadataOperationsKept: keptCount,
      metadataOperationsDropped: metadataOperations.length - keptCount,
    };
  }
}

/** A handle on the simulated disk. It dies at a crash, as a process's file descriptors do at power loss. */
class SimulatedFileHandle implements FileHandle {
  readonly path: string;
  readonly #disk: SimulatedDisk;
  readonly #inode: SimulatedInode;
  readonly #readOnly: boolean;
  readonly #epoch: number;
  #closed = false;

  constructor(disk: SimulatedDisk, inode: SimulatedInode, path: string, readOnly: boolean) {
    this.#disk = disk;
    this.#inode = inode;
    this.path = path;
    this.#readOnly = readOnly;
    this.#epoch = disk.epoch;
  }

  read(buffer: Uint8Array, bufferOffset: number, length: number, position: number): Promise<number> {
    return settle(() => {
      this.#begin('read', false);
      checkReadArguments(buffer, bufferOffset, length, position, this.path);
      return this.#inode.visible.read(buffer, bufferOffset, length, position);
    });
  }

  write(data: Uint8Array, position: number): Promise<void> {
    return settle(() => {
      this.#begin('write', true);
      checkByteCount(position, 'position', 'write', this.path);
      this.#write(data, position, 'write');
    });
  }

  append(data: Uint8Array): Promise<number> {
    return settle(() => {
      this.#begin('append', true);
      const position = this.#inode.sizeBytes;
      this.#write(data, position, 'append');
      return position;
    });
  }

  #write(data: Uint8Array, position: number, syscall: string): void {
    // POSIX: a zero-byte write changes nothing, not even the size.
    if (data.length === 0) return;
    const growthBytes = Math.max(0, position + data.length - this.#inode.sizeBytes);
    this.#disk.reserve(growthBytes, syscall, this.path);
    this.#inode.write(data, position, this.#disk.nextDataSequence(), this.#disk.clock.nowMs());
    this.#disk.usedBytes += growthBytes;
  }

  sync(): Promise<void> {
    return settle(() => {
      this.#begin('sync', false);
      this.#inode.sync();
    });
  }

  datasync(): Promise<void> {
    return settle(() => {
      this.#begin('datasync', false);
      this.#inode.sync();
    });
  }

  truncate(sizeBytes: number): Promise<void> {
    return settle(() => {
      this.#begin('truncate', true);
      checkByteCount(sizeBytes, 'sizeBytes', 'truncate', this.path);
      const deltaBytes = sizeBytes - this.#inode.sizeBytes;
      this.#disk.reserve(deltaBytes, 'truncate', this.path);
      this.#inode.truncate(sizeBytes, this.#disk.nextDataSequence(), this.#disk.clock.nowMs());
      this.#disk.usedBytes += deltaBytes;
    });
  }

  size(): Promise<number> {
    return settle(() => {
      this.#begin('size', false);
      return this.#inode.sizeBytes;
    });
  }

  close(): Promise<void> {
    return settle(() => {
      this.#begin('close', false);
      this.#closed = true;
      this.#inode.openHandleCount--;
      if (!this.#inode.isLive) this.#disk.usedBytes -= this.#inode.sizeBytes;
    });
  }

  #begin(kind: FileSystemOperationKind, writes: boolean): void {
    this.#disk.begin(kind, [this.path], () => {
      if (this.#epoch !== this.#disk.epoch) {
        throw fail('EBADF', kind, this.path, 'the simulated disk crashed after this handle was opened');
      }
      if (this.#closed) throw fail('EBADF', kind, this.path, 'the handle is closed');
      if (writes && this.#readOnly) throw fail('EBADF', kind, this.path, 'the handle was opened read-only');
    });
  }
}
