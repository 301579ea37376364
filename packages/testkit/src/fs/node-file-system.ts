// The real disk: FileSystem over node:fs/promises. This is what the database runs on in
// production, so each FileHandle call costs exactly the one system call it needs.

import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { checkByteCount, checkOpenOptions, checkReadArguments } from './file-system-arguments.js';
import type { FileHandle, FileStat, FileSystem, FileSystemErrorCode, OpenOptions } from './file-system.js';
import { FileSystemError, isFileSystemError } from './file-system.js';

const passedThroughCodes: ReadonlySet<string> = new Set<FileSystemErrorCode>([
  'ENOENT',
  'EEXIST',
  'ENOTDIR',
  'EISDIR',
  'ENOTEMPTY',
  'EBADF',
  'EIO',
  'ENOSPC',
  'EINVAL',
]);

/**
 * Converts whatever node:fs threw into a FileSystemError with the same code, so callers
 * match on one stable set of codes. Codes outside that set (EACCES, EMFILE, ...) become EIO
 * and keep the original message, which names the real code.
 */
function toFileSystemError(error: unknown, syscall: string, path: string): FileSystemError {
  if (isFileSystemError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = errorCode(error);
  if (code !== undefined && passedThroughCodes.has(code)) {
    return new FileSystemError(code as FileSystemErrorCode, syscall, path, message);
  }
  return new FileSystemError('EIO', syscall, path, `EIO: ${syscall} '${path}': ${message}`);
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function closedError(syscall: string, path: string): FileSystemError {
  return new FileSystemError('EBADF', syscall, path, `EBADF: ${syscall} '${path}': the handle is closed`);
}

function readOnlyError(syscall: string, path: string): FileSystemError {
  return new FileSystemError('EBADF', syscall, path, `EBADF: ${syscall} '${path}': the handle was opened read-only`);
}

/**
 * One open file. `append` keeps the file size in memory (read once with fstat at the first
 * append, then advanced by this handle's writes and truncates) so that an append is a
 * single pwrite. The handle is opened without O_APPEND: O_APPEND would not tell us the
 * position written at, which the redo log needs for its index.
 *
 * Appends through one handle are serialized by a promise chain, so concurrent callers get
 * distinct, ordered positions. The tracked size does not see writes made through other
 * handles or processes: a file that grows by append must be grown through one handle.
 */
class NodeFileHandle implements FileHandle {
  readonly path: string;
  readonly #handle: fsp.FileHandle;
  readonly #readOnly: boolean;
  #closed = false;
  /** The file size as this handle's own writes left it; undefined until the first append needs it. */
  #sizeBytes: number | undefined;
  /** Settles when the last queued append settles; the next append starts after it. */
  #appendTail: Promise<unknown> = Promise.resolve();

  constructor(path: string, handle: fsp.FileHandle, readOnly: boolean) {
    this.path = path;
    this.#handle = handle;
    this.#readOnly = readOnly;
  }

  async read(buffer: Uint8Array, bufferOffset: number, length: number, position: number): Promise<number> {
    if (this.#closed) throw closedError('read', this.path);
    checkReadArguments(buffer, bufferOffset, length, position, this.path);
    try {
      // A pread of a regular file is short only at end of file, so one call is enough
      // and a short count means EOF, as the interface promises.
      const { bytesRead } = await this.#handle.read(buffer, bufferOffset, length, position);
      return bytesRead;
    } catch (error) {
      throw toFileSystemError(error, 'read', this.path);
    }
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    if (this.#closed) throw closedError('write', this.path);
    if (this.#readOnly) throw readOnlyError('write', this.path);
    checkByteCount(position, 'position', 'write', this.path);
    await this.#writeAll(data, position, 'write');
    if (this.#sizeBytes !== undefined) this.#sizeBytes = Math.max(this.#sizeBytes, position + data.length);
  }

  append(data: Uint8Array): Promise<number> {
    const appended = this.#appendTail.then(() => this.#appendNow(data));
    // The chain must not reject, or one failed append would fail every later one.
    this.#appendTail = appended.catch(() => undefined);
    return appended;
  }

  async #appendNow(data: Uint8Array): Promise<number> {
    if (this.#closed) throw closedError('append', this.path);
    if (this.#readOnly) throw readOnlyError('append', this.path);
    if (this.#sizeBytes === undefined) this.#sizeBytes = await this.#fstatSize('append');
    const position = this.#sizeBytes;
    await this.#writeAll(data, position, 'append');
    this.#sizeBytes = position + data.length;
    return position;
  }

  async #writeAll(data: Uint8Array, position: number, syscall: string): Promise<void> {
    try {
      let writtenBytes = 0;
      // pwrite may write less than asked (a signal, a full quota); the loop costs nothing
      // in the usual case of one complete write.
      do {
        const { bytesWritten } = await this.#handle.write(
          data,
          writtenBytes,
          data.length - writtenBytes,
          position + writtenBytes,
        );
        writtenBytes += bytesWritten;
      } while (writtenBytes < data.length);
    } catch (error) {
      // A failed write may have written a prefix, so the tracked size is unknown now.
      this.#sizeBytes = undefined;
      throw toFileSystemError(error, syscall, this.path);
    }
  }

  async sync(): Promise<void> {
    if (this.#closed) throw closedError('sync', this.path);
    try {
      await this.#handle.sync();
    } catch (error) {
      throw toFileSystemError(error, 'sync', this.path);
    }
  }

  async datasync(): Promise<void> {
    if (this.#closed) throw closedError('datasync', this.path);
    try {
      await this.#handle.datasync();
    } catch (error) {
      throw toFileSystemError(error, 'datasync', this.path);
    }
  }

  async truncate(sizeBytes: number): Promise<void> {
    if (this.#closed) throw closedError('truncate', this.path);
    if (this.#readOnly) throw readOnlyError('truncate', this.path);
    checkByteCount(sizeBytes, 'sizeBytes', 'truncate', this.path);
    try {
      await this.#handle.truncate(sizeBytes);
      if (this.#sizeBytes !== undefined) this.#sizeBytes = sizeBytes;
    } catch (error) {
      this.#sizeBytes = undefined;
      throw toFileSystemError(error, 'truncate', this.path);
    }
  }

  async size(): Promise<number> {
    if (this.#closed) throw closedError('size', this.path);
    return this.#fstatSize('size');
  }

  async #fstatSize(syscall: string): Promise<number> {
    try {
      return (await this.#handle.stat()).size;
    } catch (error) {
      throw toFileSystemError(error, syscall, this.path);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) throw closedError('close', this.path);
    this.#closed = true;
    try {
      await this.#handle.close();
    } catch (error) {
      throw toFileSystemError(error, 'close', this.path);
    }
  }
}

/** The FileSystem of the machine the process runs on. Paths are the platform's. */
export class NodeFileSystem implements FileSystem {
  async open(path: string, options: OpenOptions = {}): Promise<FileHandle> {
    const readOnly = options.readOnly ?? false;
    const truncate = options.truncate ?? false;
    checkOpenOptions(readOnly, truncate, path);
    let flags = readOnly ? constants.O_RDONLY : constants.O_RDWR;
    if (options.create === true) flags |= constants.O_CREAT | (options.exclusive === true ? constants.O_EXCL : 0);
    if (truncate) flags |= constants.O_TRUNC;
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(path, flags, 0o666);
    } catch (error) {
      throw toFileSystemError(error, 'open', path);
    }
    if (readOnly) {
      // O_RDWR on a directory fails with EISDIR, but O_RDONLY succeeds; one fstat at open
      // (not on the read path) keeps "open of a directory is EISDIR" true for both modes.
      try {
        if ((await handle.stat()).isDirectory()) {
          throw new FileSystemError('EISDIR', 'open', path, `EISDIR: open '${path}': is a directory`);
        }
      } catch (error) {
        await handle.close();
        throw toFileSystemError(error, 'open', path);
      }
    }
    return new NodeFileHandle(path, handle, readOnly);
  }

  async readFile(path: string): Promise<Uint8Array> {
    try {
      const contents = await fsp.readFile(path);
      // A plain Uint8Array over the same memory, not a Buffer: Buffer's slice() is a view,
      // where Uint8Array's is a copy, and callers are written against Uint8Array.
      return new Uint8Array(contents.buffer, contents.byteOffset, contents.byteLength);
    } catch (error) {
      throw toFileSystemError(error, 'readFile', path);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    try {
      await fsp.rename(from, to);
    } catch (error) {
      throw toFileSystemError(error, 'rename', from);
    }
  }

  async unlink(path: string): Promise<void> {
    try {
      await fsp.unlink(path);
    } catch (error) {
      // Linux says EISDIR for unlink of a directory; POSIX (and macOS) say EPERM.
      if (errorCode(error) === 'EPERM' && (await this.#isDirectory(path))) {
        throw new FileSystemError('EISDIR', 'unlink', path, `EISDIR: unlink '${path}': is a directory`);
      }
      throw toFileSystemError(error, 'unlink', path);
    }
  }

  async #isDirectory(path: string): Promise<boolean> {
    try {
      return (await fsp.stat(path)).isDirectory();
    } catch {
      return false;
    }
  }

  async mkdir(path: string, options: { readonly recursive?: boolean } = {}): Promise<void> {
    try {
      await fsp.mkdir(path, { recursive: options.recursive ?? false });
    } catch (error) {
      throw toFileSystemError(error, 'mkdir', path);
    }
  }

  async rmdir(path: string): Promise<void> {
    try {
      await fsp.rmdir(path);
    } catch (error) {
      throw toFileSystemError(error, 'rmdir', path);
    }
  }

  async list(path: string): Promise<string[]> {
    try {
      // The default sort compares UTF-16 code units, which is the order the interface promises.
      return (await fsp.readdir(path)).sort();
    } catch (error) {
      throw toFileSystemError(error, 'list', path);
    }
  }

  async stat(path: string): Promise<FileStat> {
    try {
      const stats = await fsp.stat(path);
      return { sizeBytes: stats.size, isDirectory: stats.isDirectory(), modifiedMs: stats.mtimeMs };
    } catch (error) {
      throw toFileSystemError(error, 'stat', path);
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await fsp.stat(path);
      return true;
    } catch (error) {
      const code = errorCode(error);
      // A path through a regular file (ENOTDIR) names nothing, so it does not exist either.
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw toFileSystemError(error, 'exists', path);
    }
  }

  async syncDirectory(path: string): Promise<void> {
    let handle: fsp.FileHandle;
    try {
      // O_DIRECTORY makes a regular file ENOTDIR instead of silently syncing the file.
      handle = await fsp.open(path, constants.O_RDONLY | constants.O_DIRECTORY);
    } catch (error) {
      throw toFileSystemError(error, 'syncDirectory', path);
    }
    try {
      await handle.sync();
    } catch (error) {
      throw toFileSystemError(error, 'syncDirectory', path);
    } finally {
      await handle.close();
    }
  }
}
