// Argument checks shared by every FileSystem implementation, so a bad offset is EINVAL
// everywhere (Node, for one, reads a negative position as "the current file position").

import { FileSystemError } from './file-system.js';

/** Throws EINVAL unless `value` is a non-negative safe integer. */
export function checkByteCount(value: number, what: string, syscall: string, path: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new FileSystemError(
      'EINVAL',
      syscall,
      path,
      `EINVAL: ${syscall} '${path}': ${what} must be a non-negative integer, got ${value}`,
    );
  }
}

/** Throws EINVAL unless `[bufferOffset, bufferOffset + length)` lies inside `buffer` and `position` is valid. */
export function checkReadArguments(
  buffer: Uint8Array,
  bufferOffset: number,
  length: number,
  position: number,
  path: string,
): void {
  checkByteCount(bufferOffset, 'bufferOffset', 'read', path);
  checkByteCount(length, 'length', 'read', path);
  checkByteCount(position, 'position', 'read', path);
  if (bufferOffset + length > buffer.length) {
    throw new FileSystemError(
      'EINVAL',
      'read',
      path,
      `EINVAL: read '${path}': bufferOffset ${bufferOffset} + length ${length} exceeds the buffer's ${buffer.length} bytes`,
    );
  }
}

/** A read-only open cannot truncate; POSIX leaves O_RDONLY | O_TRUNC unspecified, so both implementations refuse it. */
export function checkOpenOptions(readOnly: boolean, truncate: boolean, path: string): void {
  if (readOnly && truncate) {
    throw new FileSystemError(
      'EINVAL',
      'open',
      path,
      `EINVAL: open '${path}': readOnly and truncate cannot be combined`,
    );
  }
}
