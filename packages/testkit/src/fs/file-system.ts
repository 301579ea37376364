// The disk as the engine sees it. Every byte the database stores goes through this
// interface, so a test can swap the real disk for a simulated one that crashes,
// tears writes and injects I/O errors from a seed.
//
// Durability contract (POSIX, taken strictly):
// - A write is durable only after `sync()` or `datasync()` on a handle of that file returns.
// - Creating, renaming or unlinking a name is durable only after `syncDirectory()` on the
//   directory that holds the name returns. A file whose data was synced but whose name
//   was never made durable may vanish in a crash.
// - Writes that were not synced may, at a crash, be kept, dropped, or torn (a prefix
//   reaches the disk, the rest is old bytes or garbage), each independently of the others.

/** Stable error codes, the same whichever implementation raised them. */
export type FileSystemErrorCode =
  | 'ENOENT' // no such file or directory
  | 'EEXIST' // exclusive create of a name that exists
  | 'ENOTDIR' // a path component is not a directory
  | 'EISDIR' // a file operation on a directory
  | 'ENOTEMPTY' // removing a directory that has entries
  | 'EBADF' // the handle is closed, or belongs to a crashed simulated disk
  | 'EIO' // the device failed the operation
  | 'ENOSPC' // the device is full
  | 'EINVAL'; // a bad argument (negative offset or size)

export class FileSystemError extends Error {
  override readonly name = 'FileSystemError';
  constructor(
    readonly code: FileSystemErrorCode,
    readonly syscall: string,
    readonly path: string,
    message?: string,
  ) {
    super(message ?? `${code}: ${syscall} '${path}'`);
  }
}

export function isFileSystemError(error: unknown, code?: FileSystemErrorCode): error is FileSystemError {
  return error instanceof FileSystemError && (code === undefined || error.code === code);
}

export interface OpenOptions {
  /** Create the file if it does not exist. Default false: a missing file is ENOENT. */
  readonly create?: boolean;
  /** With `create`, fail with EEXIST if the file exists. */
  readonly exclusive?: boolean;
  /** Truncate the file to zero bytes on open. */
  readonly truncate?: boolean;
  /** Open for reading only; writes fail with EBADF. Default false. Combined with `truncate`: EINVAL. */
  readonly readOnly?: boolean;
}

export interface FileStat {
  readonly sizeBytes: number;
  readonly isDirectory: boolean;
  /** Last modification, wall-clock milliseconds since the epoch (the simulation uses its Clock). */
  readonly modifiedMs: number;
}

/**
 * An open file. Offsets and sizes are in bytes. A handle is not safe for overlapping
 * writes from concurrent callers to the same range; callers that share a handle order
 * their writes themselves (the redo writer and DBWR each own their ranges).
 */
export interface FileHandle {
  readonly path: string;
  /**
   * Reads into `buffer[bufferOffset, bufferOffset + length)` from file position `position`.
   * Returns the number of bytes read, which is less than `length` only at end of file.
   */
  read(buffer: Uint8Array, bufferOffset: number, length: number, position: number): Promise<number>;
  /** Writes all of `data` at `position`, extending the file (with zeros in any gap) if needed. */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Writes all of `data` at the current end of file. Returns the position it was written at. */
  append(data: Uint8Array): Promise<number>;
  /** Makes the file's data and metadata durable (fsync). */
  sync(): Promise<void>;
  /** Makes the file's data durable, and its size if it changed (fdatasync). */
  datasync(): Promise<void>;
  /** Sets the file's size; bytes past `sizeBytes` are discarded, new bytes read as zero. */
  truncate(sizeBytes: number): Promise<void>;
  /** The current size, including writes that are not yet durable. */
  size(): Promise<number>;
  /** Releases the handle. Unsynced writes stay unsynced: closing does not make them durable. */
  close(): Promise<void>;
}

export interface FileSystem {
  open(path: string, options?: OpenOptions): Promise<FileHandle>;
  /** The whole file, or ENOENT. */
  readFile(path: string): Promise<Uint8Array>;
  /** Atomically replaces `to` with `from` (same directory or not). Durable after syncDirectory. */
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Creates a directory; with `recursive`, also its parents, and an existing directory is not an error. */
  mkdir(path: string, options?: { readonly recursive?: boolean }): Promise<void>;
  /** Removes an empty directory. */
  rmdir(path: string): Promise<void>;
  /** The names in a directory, sorted by code unit. */
  list(path: string): Promise<string[]>;
  stat(path: string): Promise<FileStat>;
  exists(path: string): Promise<boolean>;
  /** Makes the creations, renames and unlinks of names in `path` durable (fsync of the directory). */
  syncDirectory(path: string): Promise<void>;
}
