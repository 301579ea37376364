// Archived redo logs. An archived log is the filled part of an online log member, byte for
// byte (its header, then its records), followed by a trailer that makes the file describe
// itself: which database, incarnation and log sequence it holds, the TSN range [first,
// next) and the time range of its records, and a checksum of everything before the
// trailer. Media recovery reads it with the same scanner as an online member (its records
// end where the trailer begins), and finds the logs it needs by reading the trailers in
// the archive destinations, so a lost or recreated control file loses no archive.
//
// Trailer layout (512 bytes), little-endian:
//   [0,8) magic 'TDBARCL1'   [8,12) crc32 of [12,512)   [12,16) format version
//   [16,20) database id   [20,24) thread   [24,28) log group   [28,32) incarnation
//   [32,40) sequence   [40,48) resetlogs TSN   [48,56) first TSN   [56,64) next TSN
//   [64,72) first time (ms)   [72,80) next time (ms)   [80,88) body bytes
//   [88,92) crc32 of the body   [96,104) when it was archived (ms)
import { crc32 } from 'node:zlib';
import { isFileSystemError, type FileSystem } from '@tandem/testkit';
import { DbError } from '../errors.js';
import { readU64, writeU64 } from '../storage/block.js';

export const ARCHIVE_TRAILER_BYTES = 512;
const MAGIC = new TextEncoder().encode('TDBARCL1');
const FORMAT_VERSION = 1;
/** One instance writes redo: every log is thread 1 (Tibero's TAC would have one per node). */
export const REDO_THREAD = 1;

export interface ArchivedLogHeader {
  readonly dbId: number;
  readonly thread: number;
  readonly groupNumber: number;
  readonly incarnation: number;
  readonly sequence: number;
  readonly resetlogsTsn: number;
  readonly firstTsn: number;
  /** The first TSN of the following log: this log holds TSNs [firstTsn, nextTsn). */
  readonly nextTsn: number;
  readonly firstMs: number;
  readonly nextMs: number;
  /** Where the records end (and the trailer begins). */
  readonly bodyBytes: number;
  readonly bodyCrc32: number;
  readonly archivedMs: number;
}

/** An archived log found in a destination. */
export interface ArchivedLog extends ArchivedLogHeader {
  readonly path: string;
  readonly sizeBytes: number;
}

/** Tibero's LOG_ARCHIVE_FORMAT default, with our incarnation for %r: log-t1-r2-s17.arc. */
export function archivedLogName(incarnation: number, sequence: number, thread = REDO_THREAD): string {
  return `log-t${thread}-r${incarnation}-s${sequence}.arc`;
}

export function encodeArchiveTrailer(header: ArchivedLogHeader): Uint8Array {
  const bytes = new Uint8Array(ARCHIVE_TRAILER_BYTES);
  bytes.set(MAGIC, 0);
  const view = new DataView(bytes.buffer);
  view.setUint32(12, FORMAT_VERSION, true);
  view.setUint32(16, header.dbId, true);
  view.setUint32(20, header.thread, true);
  view.setUint32(24, header.groupNumber, true);
  view.setUint32(28, header.incarnation, true);
  writeU64(bytes, 32, header.sequence);
  writeU64(bytes, 40, header.resetlogsTsn);
  writeU64(bytes, 48, header.firstTsn);
  writeU64(bytes, 56, header.nextTsn);
  writeU64(bytes, 64, header.firstMs);
  writeU64(bytes, 72, header.nextMs);
  writeU64(bytes, 80, header.bodyBytes);
  view.setUint32(88, header.bodyCrc32, true);
  writeU64(bytes, 96, header.archivedMs);
  view.setUint32(8, crc32(bytes.subarray(12)), true);
  return bytes;
}

export function decodeArchiveTrailer(bytes: Uint8Array): ArchivedLogHeader | undefined {
  if (bytes.length < ARCHIVE_TRAILER_BYTES || !MAGIC.every((byte, i) => bytes[i] === byte)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, ARCHIVE_TRAILER_BYTES);
  if (view.getUint32(8, true) !== crc32(bytes.subarray(12, ARCHIVE_TRAILER_BYTES))) return undefined;
  if (view.getUint32(12, true) !== FORMAT_VERSION) return undefined;
  return {
    dbId: view.getUint32(16, true),
    thread: view.getUint32(20, true),
    groupNumber: view.getUint32(24, true),
    incarnation: view.getUint32(28, true),
    sequence: readU64(bytes, 32),
    resetlogsTsn: readU64(bytes, 40),
    firstTsn: readU64(bytes, 48),
    nextTsn: readU64(bytes, 56),
    firstMs: readU64(bytes, 64),
    nextMs: readU64(bytes, 72),
    bodyBytes: readU64(bytes, 80),
    bodyCrc32: view.getUint32(88, true),
    archivedMs: readU64(bytes, 96),
  };
}

/**
 * Reads an archived log's trailer. Undefined if the file is not a complete archived log (a
 * copy interrupted before its trailer, or another kind of file); throws TDB-2004 if it is
 * missing.
 */
export async function readArchivedLog(fs: FileSystem, path: string): Promise<ArchivedLog | undefined> {
  let handle;
  try {
    handle = await fs.open(path, { readOnly: true });
  } catch (error) {
    if (isFileSystemError(error, 'ENOENT')) {
      throw new DbError('REDO_LOG_MISSING', `archived log '${path}' does not exist`);
    }
    throw error;
  }
  try {
    const sizeBytes = await handle.size();
    if (sizeBytes < ARCHIVE_TRAILER_BYTES) return undefined;
    const bytes = new Uint8Array(ARCHIVE_TRAILER_BYTES);
    await handle.read(bytes, 0, ARCHIVE_TRAILER_BYTES, sizeBytes - ARCHIVE_TRAILER_BYTES);
    const header = decodeArchiveTrailer(bytes);
    if (header === undefined || header.bodyBytes + ARCHIVE_TRAILER_BYTES !== sizeBytes) return undefined;
    return { ...header, path, sizeBytes };
  } finally {
    await handle.close();
  }
}

/** Checks an archived log's body against the checksum in its trailer (reads the whole file). */
export async function verifyArchivedLog(fs: FileSystem, log: ArchivedLog): Promise<boolean> {
  return (await crc32OfPrefix(fs, log.path, log.bodyBytes)) === log.bodyCrc32;
}

/** crc32 of the first `lengthBytes` of a file, read in chunks. */
export async function crc32OfPrefix(fs: FileSystem, path: string, lengthBytes: number): Promise<number> {
  const handle = await fs.open(path, { readOnly: true });
  try {
    const chunk = new Uint8Array(1024 * 1024);
    let crc = 0;
    for (let offset = 0; offset < lengthBytes;) {
      const length = Math.min(chunk.length, lengthBytes - offset);
      const read = await handle.read(chunk, 0, length, offset);
      if (read <= 0) break;
      crc = crc32(chunk.subarray(0, read), crc);
      offset += read;
    }
    return crc;
  } finally {
    await handle.close();
  }
}

/** Archived logs whose trailers a scan reads at the same time. */
const SCAN_READS_IN_FLIGHT = 8;

/**
 * The archived logs of one database in the given directories (v$archive_dest_files, and
 * what media recovery chooses from), ordered by incarnation, then sequence. Files that
 * are not complete archived logs of this database are skipped; a missing directory has none.
 */
export async function scanArchiveDestinations(
  fs: FileSystem,
  directories: readonly string[],
  dbId: number,
): Promise<ArchivedLog[]> {
  const found: ArchivedLog[] = [];
  for (const directory of directories) {
    let names: string[];
    try {
      names = await fs.list(directory);
    } catch (error) {
      if (isFileSystemError(error, 'ENOENT')) continue;
      throw error;
    }
    // A few trailers read at a time: a directory can hold thousands of logs.
    const paths = names.filter((name) => name.endsWith('.arc')).map((name) => `${directory}/${name}`);
    for (let first = 0; first < paths.length; first += SCAN_READS_IN_FLIGHT) {
      const logs = await Promise.all(
        paths
          .slice(first, first + SCAN_READS_IN_FLIGHT)
          .map((path) => readArchivedLog(fs, path).catch(() => undefined)),
      );
      for (const log of logs) if (log !== undefined && log.dbId === dbId) found.push(log);
    }
  }
  return found.sort((a, b) => a.incarnation - b.incarnation || a.sequence - b.sequence || a.path.localeCompare(b.path));
}
