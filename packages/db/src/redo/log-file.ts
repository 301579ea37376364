// Online redo log files. Each member of a log group starts with a header naming the
// database, the group and the log sequence it holds; records follow the header back to
// back. Members of a group have identical content, so a reader that meets a damaged
// record in one member reads the same offset from another. Reading tells the end of the
// redo (a torn or never-written tail) from damage (a bad record with sound redo after it).
import { crc32 } from 'node:zlib';
import { isFileSystemError, type FileHandle, type FileSystem } from '@tandem/testkit';
import { DbError } from '../errors.js';
import { readU64, writeU64 } from '../storage/block.js';
import { decodeRedoRecord, REDO_RECORD_HEADER_BYTES, type RedoRecord } from './redo-record.js';

export const LOG_FILE_HEADER_BYTES = 512;
export const MIN_LOG_FILE_BYTES = 64 * 1024;
const MAGIC = new TextEncoder().encode('TDBREDO1');
const FORMAT_VERSION = 1;
const READ_CHUNK_BYTES = 1024 * 1024;

export interface LogFileHeader {
  readonly dbId: number;
  readonly groupNumber: number;
  /** 0 for a member that has never held redo. */
  readonly sequence: number;
  readonly firstTsn: number;
  readonly resetlogsTsn: number;
  readonly createdMs: number;
  readonly sizeBytes: number;
}

export function encodeLogFileHeader(header: LogFileHeader): Uint8Array {
  const bytes = new Uint8Array(LOG_FILE_HEADER_BYTES);
  bytes.set(MAGIC, 0);
  const view = new DataView(bytes.buffer);
  view.setUint32(12, FORMAT_VERSION, true);
  view.setUint32(16, header.dbId, true);
  view.setUint32(20, header.groupNumber, true);
  writeU64(bytes, 24, header.sequence);
  writeU64(bytes, 32, header.firstTsn);
  writeU64(bytes, 40, header.resetlogsTsn);
  writeU64(bytes, 48, header.createdMs);
  writeU64(bytes, 56, header.sizeBytes);
  view.setUint32(8, crc32(bytes.subarray(12)), true);
  return bytes;
}

/** Returns the header, or undefined if the bytes are not a sound log file header. */
export function decodeLogFileHeader(bytes: Uint8Array): LogFileHeader | undefined {
  if (bytes.length < LOG_FILE_HEADER_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, LOG_FILE_HEADER_BYTES);
  if (!MAGIC.every((byte, i) => bytes[i] === byte)) return undefined;
  if (view.getUint32(8, true) !== crc32(bytes.subarray(12, LOG_FILE_HEADER_BYTES))) return undefined;
  if (view.getUint32(12, true) !== FORMAT_VERSION) return undefined;
  return {
    dbId: view.getUint32(16, true),
    groupNumber: view.getUint32(20, true),
    sequence: readU64(bytes, 24),
    firstTsn: readU64(bytes, 32),
    resetlogsTsn: readU64(bytes, 40),
    createdMs: readU64(bytes, 48),
    sizeBytes: readU64(bytes, 56),
  };
}

/** Creates a member: header, then the file extended to its full size. The caller syncs the directory. */
export async function createLogMember(fs: FileSystem, path: string, header: LogFileHeader): Promise<void> {
  const handle = await fs.open(path, { create: true, exclusive: true });
  try {
    await handle.write(encodeLogFileHeader(header), 0);
    await handle.truncate(header.sizeBytes);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** One record read from a log, with where it was found. */
export interface LogScanEntry {
  readonly record: RedoRecord;
  readonly sequence: number;
  readonly offsetBytes: number;
  readonly totalBytes: number;
}

export interface LogGroupToRead {
  readonly groupNumber: number;
  readonly sequence: number;
  readonly memberPaths: readonly string[];
  /** Where the group's redo ends, if known (the group was switched out); else read to the end of the redo. */
  readonly endBytes?: number;
}

export interface LogScanResult {
  /** The offset just past the last sound record. */
  readonly endBytes: number;
  /** Members that could not be used or held damaged records that another member replaced. */
  readonly warnings: readonly string[];
}

interface OpenMember {
  readonly path: string;
  readonly handle: FileHandle;
  readonly sizeBytes: number;
}

/**
 * Reads the records of one log group in order, in batches (one per chunk read), so the
 * caller can fetch the blocks a batch touches before applying it. Throws TDB-2004 if no
 * member can be read, and TDB-2001 if a record is damaged in every member.
 */
export async function scanLogGroup(
  fs: FileSystem,
  group: LogGroupToRead,
  onBatch: (entries: readonly LogScanEntry[]) => Promise<void> | void,
): Promise<LogScanResult> {
  const warnings: string[] = [];
  const members: OpenMember[] = [];
  try {
    for (const path of group.memberPaths) {
      const member = await openMemberForRead(fs, path, group, warnings);
      if (member !== undefined) members.push(member);
    }
    if (members.length === 0) {
      throw new DbError(
        'REDO_LOG_MISSING',
        `no member of log group ${group.groupNumber} (sequence ${group.sequence}) can be read: ${group.memberPaths.join(', ')}`,
      );
    }
    const maxRecordBytes = Math.max(...members.map((member) => member.sizeBytes)) - LOG_FILE_HEADER_BYTES;
    const limit = group.endBytes ?? Number.POSITIVE_INFINITY;
    let primary = 0;
    let offset = LOG_FILE_HEADER_BYTES;
    let chunk: Uint8Array = new Uint8Array(0);
    let prefetch: { offset: number; member: number; bytes: Promise<Uint8Array> } | undefined;
    let chunkStart = offset;

    for (;;) {
      if (offset >= limit) break;
      const entries: LogScanEntry[] = [];
      let stop: string | undefined;
      while (offset < limit) {
        const decoded = decodeRedoRecord(chunk, offset - chunkStart, group.sequence, maxRecordBytes);
        if (decoded.kind === 'record') {
          entries.push({
            record: decoded.record,
            sequence: group.sequence,
            offsetBytes: offset,
            totalBytes: decoded.totalBytes,
          });
          offset += decoded.totalBytes;
          continue;
        }
        if (decoded.kind === 'incomplete' && entries.length > 0) {
          // Hand over this batch, and read the next chunk while the caller applies it.
          const bytes = readAt(members[primary], offset, READ_CHUNK_BYTES);
          bytes.catch(() => undefined); // awaited below if used; an abandoned read must not be an unhandled rejection
          prefetch = { offset, member: primary, bytes };
          break;
        }
        if (decoded.kind === 'incomplete') {
          const available = chunk.length - (offset - chunkStart);
          const wanted = Math.max(READ_CHUNK_BYTES, decoded.totalBytes);
          const fresh =
            prefetch !== undefined &&
            prefetch.offset === offset &&
            prefetch.member === primary &&
            wanted === READ_CHUNK_BYTES
              ? await prefetch.bytes
              : await readAt(members[primary], offset, wanted);
          prefetch = undefined;
          if (fresh.length > available) {
            chunk = fresh;
            chunkStart = offset;
            continue;
          }
          stop = 'the member ends inside the record';
        } else {
          stop = decoded.reason;
        }
        // Damaged or ended in the primary member: try the same offset in the others.
        const replacement = await findSoundMember(members, primary, offset, group.sequence, maxRecordBytes);
        if (replacement !== undefined) {
          warnings.push(
            `TDB-2001: log member '${members[primary].path}' (group ${group.groupNumber}, sequence ${group.sequence}) ` +
              `is damaged at offset ${offset} (${stop}); reading member '${members[replacement.index].path}' instead`,
          );
          primary = replacement.index;
          chunk = replacement.chunk;
          chunkStart = offset;
          stop = undefined;
          continue;
        }
        break;
      }
      if (entries.length > 0) await onBatch(entries);
      if (stop === undefined) {
        if (offset >= limit) break;
        continue;
      }
      // No member has a sound record here. Below a known end, or with sound redo after
      // it, that is damage; otherwise it is the end of the redo.
      if (offset < limit) {
        if (Number.isFinite(limit) || (await soundRecordFollows(members, offset, group.sequence, maxRecordBytes))) {
          throw new DbError(
            'REDO_RECORD_CORRUPT',
            `redo record at offset ${offset} of log sequence ${group.sequence} (group ${group.groupNumber}) is damaged ` +
              `in every member (${stop}): ${members.map((member) => `'${member.path}'`).join(', ')}; media recovery is needed`,
          );
        }
      }
      break;
    }
    return { endBytes: offset, warnings };
  } finally {
    await Promise.allSettled(members.map((member) => member.handle.close()));
  }
}

async function openMemberForRead(
  fs: FileSystem,
  path: string,
  group: LogGroupToRead,
  warnings: string[],
): Promise<OpenMember | undefined> {
  let handle: FileHandle;
  try {
    handle = await fs.open(path, { readOnly: true });
  } catch (error) {
    if (isFileSystemError(error, 'ENOENT')) {
      warnings.push(`TDB-2002: log member '${path}' of group ${group.groupNumber} is missing`);
      return undefined;
    }
    throw error;
  }
  const headerBytes = new Uint8Array(LOG_FILE_HEADER_BYTES);
  const read = await handle.read(headerBytes, 0, LOG_FILE_HEADER_BYTES, 0);
  const header = read === LOG_FILE_HEADER_BYTES ? decodeLogFileHeader(headerBytes) : undefined;
  if (header === undefined || header.groupNumber !== group.groupNumber || header.sequence !== group.sequence) {
    warnings.push(
      `TDB-2006: log member '${path}' does not hold sequence ${group.sequence} of group ${group.groupNumber} ` +
        `(${header === undefined ? 'unreadable header' : `header says group ${header.groupNumber}, sequence ${header.sequence}`})`,
    );
    await handle.close();
    return undefined;
  }
  return { path, handle, sizeBytes: await handle.size() };
}

async function readAt(member: OpenMember, position: number, lengthBytes: number): Promise<Uint8Array> {
  const length = Math.max(0, Math.min(lengthBytes, member.sizeBytes - position));
  const buffer = new Uint8Array(length);
  const read = length === 0 ? 0 : await member.handle.read(buffer, 0, length, position);
  return read === length ? buffer : buffer.subarray(0, read);
}

async function findSoundMember(
  members: readonly OpenMember[],
  excluded: number,
  offset: number,
  sequence: number,
  maxRecordBytes: number,
): Promise<{ index: number; chunk: Uint8Array } | undefined> {
  for (let index = 0; index < members.length; index++) {
    if (index === excluded) continue;
    const chunk = await readAt(members[index], offset, READ_CHUNK_BYTES);
    let decoded = decodeRedoRecord(chunk, 0, sequence, maxRecordBytes);
    if (decoded.kind === 'incomplete') {
      const larger = await readAt(members[index], offset, decoded.totalBytes);
      decoded = decodeRedoRecord(larger, 0, sequence, maxRecordBytes);
      if (decoded.kind === 'record') return { index, chunk: larger };
    }
    if (decoded.kind === 'record') return { index, chunk };
  }
  return undefined;
}

/**
 * Whether a sound record of `sequence` starts anywhere after `offset` in some member. LGWR
 * issues one write at a time and syncs it before the next, so a crash can damage only the
 * last write: sound redo after a bad record means the bad record was damaged after it was
 * synced. A cheap filter (the sequence field) runs before each checksum.
 */
async function soundRecordFollows(
  members: readonly OpenMember[],
  offset: number,
  sequence: number,
  maxRecordBytes: number,
): Promise<boolean> {
  const pattern = new Uint8Array(4);
  new DataView(pattern.buffer).setUint32(0, sequence, true);
  const patternBuffer = Buffer.from(pattern.buffer);
  for (const member of members) {
    for (let chunkStart = offset + 1; chunkStart < member.sizeBytes; chunkStart += READ_CHUNK_BYTES) {
      const chunk = await readAt(member, chunkStart, READ_CHUNK_BYTES + REDO_RECORD_HEADER_BYTES);
      const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const searchable = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const lastStart = Math.min(READ_CHUNK_BYTES, chunk.length - REDO_RECORD_HEADER_BYTES);
      // The sequence field sits 8 bytes into a record: find its bytes natively, then check.
      for (
        let hit = searchable.indexOf(patternBuffer, 8);
        hit >= 0 && hit - 8 < lastStart;
        hit = searchable.indexOf(patternBuffer, hit + 1)
      ) {
        const i = hit - 8;
        const total = view.getUint32(i, true);
        if (total < REDO_RECORD_HEADER_BYTES || total > maxRecordBytes) continue;
        const whole = i + total <= chunk.length ? chunk : await readAt(member, chunkStart + i, total);
        const decoded = decodeRedoRecord(whole, whole === chunk ? i : 0, sequence, maxRecordBytes);
        if (decoded.kind === 'record') return true;
      }
    }
  }
  return false;
}
