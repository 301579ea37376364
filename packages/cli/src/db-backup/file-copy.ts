// Streaming file copies for physical backup and restore: never a whole file in memory.
// Each copy hashes what it reads (sha256 of the content, and of the stored bytes when
// gzip-compressed), reports its progress, lets inspectors look at the content as it
// passes (a datafile's header blocks, an archived log's trailer), and syncs the copy
// before it returns. An uncompressed copy is made by the kernel (copy_file_range, as `cp`)
// while this thread reads the copy as it grows, to hash and inspect it: the copy and the
// hash run at the same time, on two cores. Every copy starts its writeback while it is being
// written (see WritebackFlusher), so the disk writes while the copy goes on instead of after
// it. A restore over an existing file writes in place instead (no blocks freed and allocated
// again), after the backup's copy has been checked.
import { createHash, type Hash } from 'node:crypto';
import { constants as fsConstants, createReadStream } from 'node:fs';
import { chmod, copyFile, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { pathExists } from '../path-exists.js';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGunzip, createGzip, gzipSync } from 'node:zlib';
import { BackupError, errorMessage } from './backup-errors.js';

export const CHUNK_BYTES = 1024 * 1024;

/** Looks at a file's content as it streams by, in order. */
export interface ContentInspector {
  update(chunk: Uint8Array): void;
}

export interface CopyOptions {
  /** Content bytes read so far of this file (called often; the caller throttles drawing). */
  readonly onBytes?: (bytes: number) => void;
  readonly inspectors?: readonly ContentInspector[];
  /** Fail if the target exists (default); false replaces it. */
  readonly exclusive?: boolean;
  /** File mode of the copy (default 0o600: backups hold the database's data). */
  readonly mode?: number;
}

export interface CopyResult {
  /** Size and sha256 of the content (uncompressed). */
  readonly bytes: number;
  readonly sha256: string;
  /** Size and sha256 of the bytes written (equal to the content's when not compressed). */
  readonly storedBytes: number;
  readonly storedSha256: string;
}

/** Counts and hashes what passes through. */
class Tap extends Transform {
  readonly hash: Hash = createHash('sha256');
  bytes = 0;
  readonly #onChunk: ((chunk: Uint8Array, total: number) => void) | undefined;

  constructor(onChunk?: (chunk: Uint8Array, total: number) => void) {
    super();
    this.#onChunk = onChunk;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    try {
      this.#onChunk?.(chunk, this.bytes);
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback(null, chunk);
  }
}

/** Writes what it receives to an open file, from its start, one chunk at a time. */
function handleSink(handle: FileHandle): Writable {
  let position = 0;
  return new Writable({
    highWaterMark: CHUNK_BYTES,
    write(chunk: Buffer, _encoding, callback): void {
      handle.write(chunk, 0, chunk.length, position).then(
        () => {
          position += chunk.length;
          callback();
        },
        (error: unknown) => callback(error as Error),
      );
    },
  });
}

function fileError(what: string, path: string, error: unknown): BackupError {
  if (error instanceof BackupError) return error;
  return new BackupError('FILE_IO', `cannot ${what} '${path}': ${errorMessage(error)}`, { cause: error });
}

async function openTarget(path: string, options: CopyOptions): Promise<FileHandle> {
  try {
    return await open(path, options.exclusive === false ? 'w' : 'wx', options.mode ?? 0o600);
  } catch (error) {
    throw fileError('create', path, error);
  }
}

/**
 * Copies `source` to `target`, gzip-compressed if `compress`. The target is created
 * (exclusively unless told otherwise) and synced.
 */
export async function copyFileHashed(
  source: string,
  target: string,
  compress: boolean,
  options: CopyOptions = {},
): Promise<CopyResult> {
  return compress ? copyCompressing(source, target, options) : copyPlain(source, target, options);
}

/** Buffers of the pipelined loop: one being read, one being hashed, the others being written. */
const PIPELINE_BUFFERS = 4;
const PIPELINE_CHUNK_BYTES = CHUNK_BYTES;

/**
 * Reads `input` from its start to its end in 1 MiB chunks, handing each chunk to `onChunk`
 * (on this thread: hashing, inspecting) and writing it to `output` at the same offset if
 * given. The next chunk is read, and earlier ones written, while a chunk is hashed: the
 * copy runs at the speed of its slowest part rather than of their sum. Returns the bytes read.
 */
async function pipelinedLoop(
  input: { readonly handle: FileHandle; readonly path: string },
  output: { readonly handle: FileHandle; readonly path: string } | undefined,
  onChunk: (chunk: Buffer, total: number) => void,
): Promise<number> {
  const buffers = Array.from({ length: PIPELINE_BUFFERS }, () => Buffer.allocUnsafe(PIPELINE_CHUNK_BYTES));
  const writes: (Promise<void> | undefined)[] = new Array<Promise<void> | undefined>(PIPELINE_BUFFERS);
  const read = (slot: number, position: number): Promise<number> =>
    input.handle.read(buffers[slot], 0, PIPELINE_CHUNK_BYTES, position).then(
      (result) => result.bytesRead,
      (error: unknown) => {
        throw fileError('read', input.path, error);
      },
    );
  let position = 0;
  let reading = read(0, 0);
  let lastWrite: Promise<void> = Promise.resolve();
  try {
    for (let k = 0; ; k++) {
      const bytes = await reading;
      if (bytes === 0) break;
      const slot = k % PIPELINE_BUFFERS;
      const next = (k + 1) % PIPELINE_BUFFERS;
      await writes[next]; // its buffer is free once its write is done
      writes[next] = undefined;
      reading = read(next, position + bytes);
      const chunk = buffers[slot].subarray(0, bytes);
      onChunk(chunk, position + bytes);
      if (output !== undefined) {
        // Writes go in file order, one at a time: a file filled from its start is laid out
        // best, and out-of-order extension is slower on ext4.
        const at = position;
        lastWrite = writes[slot] = lastWrite.then(() =>
          output.handle.write(chunk, 0, bytes, at).then(
            () => undefined,
            (error: unknown) => {
              throw fileError('write', output.path, error);
            },
          ),
        );
      }
      position += bytes;
    }
    await Promise.all(writes.filter((write): write is Promise<void> => write !== undefined));
    return position;
  } catch (error) {
    // Nothing may still be reading into or writing from the buffers when the error leaves.
    await Promise.allSettled([reading, ...writes]);
    throw error;
  }
}

async function openSource(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (error) {
    throw fileError('open', path, error);
  }
}

async function syncFile(handle: FileHandle, path: string): Promise<void> {
  try {
    await handle.datasync();
  } catch (error) {
    throw fileError('sync', path, error);
  }
}

/** After a flush that found (almost) nothing to write, the next waits this long. */
const FLUSH_IDLE_MS = 5;

/**
 * Writes a file's dirty pages to the disk while the file is still being written: one
 * fdatasync after another, until `finish()`. The kernel starts writeback only when dirty
 * pages pass a share of memory (gigabytes here) or grow 30 s old, so a copy that syncs only
 * at its end (as `cp` then `sync`) copies first and then waits for the whole disk write;
 * flushed behind, the two overlap and the final sync has only the tail to write. PostgreSQL
 * does the same for its checkpoints (`checkpoint_flush_after`, with sync_file_range, which
 * node does not offer). A flush that fails fails the copy: the error is kept and thrown by
 * `finish()`, since a later fdatasync on the file may no longer report it.
 */
export class WritebackFlusher {
  readonly #handle: FileHandle;
  readonly #path: string;
  #stopped = false;
  #failure: unknown;
  #wake: (() => void) | undefined;
  readonly #running: Promise<void>;

  constructor(handle: FileHandle, path: string) {
    this.#handle = handle;
    this.#path = path;
    this.#running = this.#run();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const started = performance.now();
      try {
        await this.#handle.datasync();
      } catch (error) {
        this.#failure = error;
        return;
      }
      if (!this.#stopped && performance.now() - started < FLUSH_IDLE_MS) {
        await new Promise<void>((resolveWait) => {
          const timer = setTimeout(resolveWait, FLUSH_IDLE_MS);
          this.#wake = () => {
            clearTimeout(timer);
            resolveWait();
          };
        });
        this.#wake = undefined;
      }
    }
  }

  /** Stops flushing once the flush under way is done; throws the error of a failed flush. */
  async finish(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#running;
    if (this.#failure !== undefined) throw fileError('sync', this.#path, this.#failure);
  }
}

/**
 * Runs `writing` (which writes the file open as `handle`) with its writeback flushed behind
 * it, then syncs the file: the result of `writing`, once the file is durable.
 */
async function writeFlushed<T>(handle: FileHandle, path: string, writing: () => Promise<T>): Promise<T> {
  const flusher = new WritebackFlusher(handle, path);
  let result: T;
  try {
    result = await writing();
  } catch (error) {
    await flusher.finish().catch(() => undefined); // the writer's error is the one to report
    throw error;
  }
  await flusher.finish();
  await syncFile(handle, path);
  return result;
}

/**
 * The kernel copies the file (copy_file_range, as `cp` does: no pass through this process's
 * memory) while this thread reads the copy as it grows, to hash and inspect it; the copy is
 * synced as soon as it is complete. The hash is of the copy itself: a datafile that changes
 * while it is copied (an online backup) is described exactly as it is in the backup.
 */
async function copyPlain(source: string, target: string, options: CopyOptions): Promise<CopyResult> {
  // The target is created here (exclusively, with the backup's mode), so that what is read
  // back is the file the kernel fills, never one that was there before.
  let handle: FileHandle;
  try {
    handle = await open(target, 'wx+', options.mode ?? 0o600);
  } catch (error) {
    throw fileError('create', target, error);
  }
  try {
    let copied = false;
    const copying = kernelCopy(source, target, { exclusive: false, mode: options.mode ?? 0o600 }).finally(() => {
      copied = true;
    });
    const syncing = writeFlushed(handle, target, () => copying);
    let found: { bytes: number; sha256: string };
    try {
      found = await hashGrowing({ handle, path: target }, () => copied, copying, options);
    } finally {
      await syncing.catch(() => undefined);
    }
    await syncing; // the copy's error, or the sync's
    return { bytes: found.bytes, sha256: found.sha256, storedBytes: found.bytes, storedSha256: found.sha256 };
  } finally {
    await handle.close();
  }
}

/**
 * Reads a file that another writer is filling from its start, to its end once `complete()`
 * says the writer is done, hashing and inspecting each chunk in order. A read that finds no
 * new bytes while the writer runs waits for it a moment and reads again; the end is a read
 * issued after the writer finished that finds nothing more. The next chunk is read while
 * one is hashed.
 */
async function hashGrowing(
  input: { readonly handle: FileHandle; readonly path: string },
  complete: () => boolean,
  writer: Promise<unknown>,
  options: { readonly inspectors?: readonly ContentInspector[]; readonly onBytes?: (bytes: number) => void },
): Promise<{ bytes: number; sha256: string }> {
  const buffers = [Buffer.allocUnsafe(GROWING_CHUNK_BYTES), Buffer.allocUnsafe(GROWING_CHUNK_BYTES)];
  const settled = writer.then(
    () => undefined,
    () => undefined,
  );
  const read = async (slot: number, position: number): Promise<number> => {
    for (;;) {
      const finished = complete();
      let bytes: number;
      try {
        ({ bytesRead: bytes } = await input.handle.read(buffers[slot], 0, GROWING_CHUNK_BYTES, position));
      } catch (error) {
        throw fileError('read', input.path, error);
      }
      if (bytes > 0 || finished) return bytes;
      await Promise.race([settled, sleep(GROWING_POLL_MS)]);
    }
  };
  const hash = createHash('sha256');
  let position = 0;
  let slot = 0;
  let reading = read(slot, 0);
  try {
    for (;;) {
      const bytes = await reading;
      if (bytes === 0) break;
      const chunk = buffers[slot].subarray(0, bytes);
      slot = 1 - slot;
      reading = read(slot, position + bytes);
      hash.update(chunk);
      for (const inspector of options.inspectors ?? []) inspector.update(chunk);
      position += bytes;
      options.onBytes?.(position);
    }
  } catch (error) {
    await reading.catch(() => undefined); // nothing may still read into the buffers
    throw error;
  }
  return { bytes: position, sha256: hash.digest('hex') };
}

/** Reads of a file being copied: large, so that hashing (not reading) sets the pace. */
const GROWING_CHUNK_BYTES = 4 * CHUNK_BYTES;
/** How long a read that caught up with the copy waits before it looks again. */
const GROWING_POLL_MS = 2;

async function kernelCopy(
  source: string,
  target: string,
  options: { readonly exclusive?: boolean; readonly mode?: number },
): Promise<void> {
  try {
    await copyFile(source, target, options.exclusive === false ? 0 : fsConstants.COPYFILE_EXCL);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !(await pathExists(source))) throw fileError('open', source, error);
    throw fileError(code === 'EEXIST' ? 'create' : `copy '${source}' to`, target, error);
  }
  await chmod(target, options.mode ?? 0o600);
}

async function copyCompressing(source: string, target: string, options: CopyOptions): Promise<CopyResult> {
  const output = await openTarget(target, options);
  const content = new Tap((chunk, total) => {
    for (const inspector of options.inspectors ?? []) inspector.update(chunk);
    options.onBytes?.(total);
  });
  const stored = new Tap();
  try {
    await pipeline(
      createReadStream(source, { highWaterMark: CHUNK_BYTES }),
      content,
      createGzip({ level: zlibConstants.Z_BEST_SPEED, chunkSize: 256 * 1024 }),
      stored,
      handleSink(output),
    );
    await output.datasync();
  } catch (error) {
    throw fileError(`copy '${source}' to`, target, error);
  } finally {
    await output.close();
  }
  return {
    bytes: content.bytes,
    sha256: content.hash.digest('hex'),
    storedBytes: stored.bytes,
    storedSha256: stored.hash.digest('hex'),
  };
}

export interface ExpectedContent {
  readonly bytes: number;
  readonly sha256: string;
  readonly storedBytes: number;
  readonly storedSha256: string;
  readonly compressed: boolean;
}

/** What reading a stored file found, against what the manifest says. */
export interface ReadCheck {
  readonly bytes: number;
  readonly sha256: string;
  readonly storedBytes: number;
  readonly storedSha256: string;
  /** Mismatches, in words (empty when the file is as the manifest says). */
  readonly problems: readonly string[];
}

function compare(found: Omit<ReadCheck, 'problems'>, expected: ExpectedContent): string[] {
  const problems: string[] = [];
  if (found.storedBytes !== expected.storedBytes) {
    problems.push(`size ${found.storedBytes} bytes, the manifest says ${expected.storedBytes}`);
  } else if (found.storedSha256 !== expected.storedSha256) {
    problems.push(
      `sha256 ${found.storedSha256.slice(0, 16)}…, the manifest says ${expected.storedSha256.slice(0, 16)}…`,
    );
  }
  if (expected.compressed && problems.length === 0) {
    if (found.bytes !== expected.bytes) problems.push(`decompresses to ${found.bytes} bytes, not ${expected.bytes}`);
    else if (found.sha256 !== expected.sha256) problems.push('its decompressed content has another sha256');
  }
  return problems;
}

/**
 * Reads a stored file of the backup whole (decompressing it if it is compressed), hashing
 * it and feeding its content to the inspectors; when `target` is given, writes the content
 * there (a `.restoring` file beside it, renamed over it only if every check passes).
 */
export async function readStoredFile(
  stored: string,
  expected: ExpectedContent,
  options: {
    readonly target?: string;
    readonly inspectors?: readonly ContentInspector[];
    readonly onBytes?: (bytes: number) => void;
    readonly mode?: number;
    /** With a target: more checks (the inspectors' verdicts) before it replaces the target. */
    readonly beforeCommit?: () => Promise<string[]>;
  } = {},
): Promise<ReadCheck> {
  const temporary = options.target === undefined ? undefined : `${options.target}.restoring`;
  let found: Omit<ReadCheck, 'problems'> = { bytes: 0, sha256: '', storedBytes: 0, storedSha256: '' };
  let failure: unknown;
  try {
    found = expected.compressed
      ? await readCompressed(stored, temporary, options)
      : await readPlain(stored, temporary, options);
  } catch (error) {
    failure = error;
  }
  const problems = failure !== undefined ? [describeFailure(failure, stored)] : compare(found, expected);
  if (problems.length === 0 && temporary !== undefined) problems.push(...((await options.beforeCommit?.()) ?? []));
  if (temporary !== undefined) {
    if (problems.length > 0) {
      await rm(temporary, { force: true });
    } else {
      await rename(temporary, options.target!);
      await syncDirectory(dirname(options.target!));
    }
  }
  return { ...found, problems };
}

type ReadOptions = Parameters<typeof readStoredFile>[2];

/** A failed read of a stored file, in words. */
function describeFailure(failure: unknown, stored: string): string {
  const code = (failure as { code?: unknown }).code;
  const cause = (failure as { cause?: { code?: unknown } }).cause?.code;
  if (
    code === 'ENOENT' ||
    (cause === 'ENOENT' && failure instanceof BackupError && failure.message.includes(`'${stored}'`))
  ) {
    return 'it is missing from the backup';
  }
  if (typeof code === 'string' && code.startsWith('Z_')) return `corrupt compressed data (${errorMessage(failure)})`;
  if (failure instanceof BackupError) return failure.message;
  return `cannot be read: ${errorMessage(failure)}`;
}

/**
 * Restores an uncompressed stored file over an existing target, in place: no blocks freed
 * and allocated again (which costs much on file systems that discard freed blocks). The
 * stored file is read and checked first (size, sha256, inspectors, then `beforeWrite`), and
 * only then written over the target, so a damaged backup leaves the target as it was. The
 * second read is not hashed again (that would cost as much as the first): a backup must not
 * change while it is restored; one that changes size in between is reported.
 */
export async function restoreInPlace(
  stored: string,
  target: string,
  expected: ExpectedContent,
  options: {
    readonly inspectors?: readonly ContentInspector[];
    /** Bytes done, counting both reads (twice the content). */
    readonly onBytes?: (bytes: number) => void;
    readonly beforeWrite?: () => Promise<string[]>;
  } = {},
): Promise<{ readonly problems: readonly string[]; readonly written: boolean }> {
  let found: { bytes: number; sha256: string };
  try {
    found = await hashOnly(stored, {
      inspectors: options.inspectors ?? [],
      onBytes: (bytes) => options.onBytes?.(bytes),
    });
  } catch (error) {
    return { problems: [describeFailure(error, stored)], written: false };
  }
  const problems = compare({ ...found, storedBytes: found.bytes, storedSha256: found.sha256 }, expected);
  if (problems.length === 0) problems.push(...((await options.beforeWrite?.()) ?? []));
  if (problems.length > 0) return { problems, written: false };
  const input = await openSource(stored);
  try {
    let output: FileHandle;
    try {
      output = await open(target, 'r+');
    } catch (error) {
      throw fileError('open', target, error);
    }
    try {
      const bytes = await writeFlushed(output, target, async () => {
        const written = await pipelinedLoop(
          { handle: input, path: stored },
          { handle: output, path: target },
          (_data, total) => options.onBytes?.(found.bytes + total),
        );
        await output.truncate(written);
        return written;
      });
      if (bytes !== found.bytes) {
        return {
          problems: [`it changed while it was restored; '${target}' was overwritten with it: restore it again`],
          written: true,
        };
      }
      return { problems: [], written: true };
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}

/** An uncompressed stored file: its content is its stored bytes (hashed once). */
async function readPlain(
  stored: string,
  temporary: string | undefined,
  options: ReadOptions,
): Promise<Omit<ReadCheck, 'problems'>> {
  let bytes: number;
  let sha256: string;
  if (temporary === undefined) {
    ({ bytes, sha256 } = await hashOnly(stored, options));
  } else {
    // The kernel copies while the stored file is hashed and checked here (a backup's files do
    // not change, so both see the same bytes); the copy is synced, and renamed by the caller
    // only if the checks pass.
    await rm(temporary, { force: true });
    // The copy is flushed as it is made, and synced as soon as it is complete, while the
    // hashing goes on.
    const mode = options?.mode ?? 0o600;
    const handle = await openTarget(temporary, { mode });
    const copying = writeFlushed(handle, temporary, () => kernelCopy(stored, temporary, { exclusive: false, mode }))
      .then(async () => (await handle.stat()).size)
      .finally(() => handle.close());
    try {
      ({ bytes, sha256 } = await hashOnly(stored, options));
    } finally {
      await copying.catch(() => undefined);
    }
    const size = await copying;
    if (size !== bytes) throw new BackupError('FILE_IO', `the copy '${temporary}' is ${size} bytes, not ${bytes}`);
  }
  return { bytes, sha256, storedBytes: bytes, storedSha256: sha256 };
}

async function hashOnly(path: string, options: ReadOptions): Promise<{ bytes: number; sha256: string }> {
  const handle = await openSource(path);
  try {
    const hash = createHash('sha256');
    const bytes = await pipelinedLoop({ handle, path }, undefined, (chunk, total) => {
      hash.update(chunk);
      for (const inspector of options?.inspectors ?? []) inspector.update(chunk);
      options?.onBytes?.(total);
    });
    return { bytes, sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

/** A gzip-compressed stored file: the stored bytes and the content are hashed apart. */
async function readCompressed(
  stored: string,
  temporary: string | undefined,
  options: ReadOptions,
): Promise<Omit<ReadCheck, 'problems'>> {
  const storedTap = new Tap();
  const contentTap = new Tap((chunk, total) => {
    for (const inspector of options?.inspectors ?? []) inspector.update(chunk);
    options?.onBytes?.(total);
  });
  const output =
    temporary === undefined
      ? undefined
      : await openTarget(temporary, { exclusive: false, mode: options?.mode ?? 0o600 });
  try {
    const sink =
      output === undefined
        ? new Writable({ write: (_chunk, _encoding, callback) => callback(), highWaterMark: CHUNK_BYTES })
        : handleSink(output);
    await pipeline([
      createReadStream(stored, { highWaterMark: CHUNK_BYTES }),
      storedTap,
      createGunzip({ chunkSize: CHUNK_BYTES }),
      contentTap,
      sink,
    ]);
    if (output !== undefined && temporary !== undefined) await syncFile(output, temporary);
  } finally {
    await output?.close();
  }
  return {
    bytes: contentTap.bytes,
    sha256: contentTap.hash.digest('hex'),
    storedBytes: storedTap.bytes,
    storedSha256: storedTap.hash.digest('hex'),
  };
}

/** fsync of a directory, so the names of files created in it survive a crash. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Keeps the first `length` bytes of the content. */
export class HeadCapture implements ContentInspector {
  readonly bytes: Uint8Array;
  #filled = 0;

  constructor(length: number) {
    this.bytes = new Uint8Array(length);
  }

  get complete(): boolean {
    return this.#filled === this.bytes.length;
  }

  update(chunk: Uint8Array): void {
    if (this.#filled === this.bytes.length) return;
    const take = Math.min(chunk.length, this.bytes.length - this.#filled);
    this.bytes.set(chunk.subarray(0, take), this.#filled);
    this.#filled += take;
  }
}

/** Writes a small file held in memory (a control file image) into the backup, like copyFileHashed. */
export async function writeBytesHashed(
  bytes: Uint8Array,
  target: string,
  compress: boolean,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const stored = compress ? gzipSync(bytes, { level: zlibConstants.Z_BEST_SPEED }) : bytes;
  const output = await openTarget(target, options);
  try {
    await output.writeFile(stored);
    await output.datasync();
  } catch (error) {
    throw fileError('write', target, error);
  } finally {
    await output.close();
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  options.onBytes?.(bytes.length);
  return {
    bytes: bytes.length,
    sha256,
    storedBytes: stored.length,
    storedSha256: compress ? createHash('sha256').update(stored).digest('hex') : sha256,
  };
}
