// Soundness checks of the files in a physical backup, made on their content as it streams
// past (so they work the same on compressed files, and never hold a file in memory):
// a datafile's two header copies (read by @tandem/db's own Datafile code), every block of
// a datafile copied while the database was down, an archived log's trailer and body
// checksum, an online log's header, and the control file's slots (mounted by @tandem/db's
// ControlFiles, so a torn or foreign copy is refused exactly as MOUNT would refuse it).
// The database code reads files through a FileSystem; the captured bytes are handed to it
// in an in-memory one.
import { crc32 } from 'node:zlib';
import {
  ARCHIVE_TRAILER_BYTES,
  ControlFiles,
  Datafile,
  DATAFILE_HEADER_COPIES,
  decodeArchiveTrailer,
  decodeLogFileHeader,
  LOG_FILE_HEADER_BYTES,
  verifyBlock,
  type ArchivedLogHeader,
  type ControlFileState,
  type DatafileHeader,
  type LogFileHeader,
} from '@tandem/db/files';
import { SeededRandom, SimulatedFileSystem } from '@tandem/testkit';
import { errorMessage } from './backup-errors.js';
import { HeadCapture, type ContentInspector } from './file-copy.js';

/** A control file is two 64 KiB slots; anything much larger is not one. */
const CONTROL_FILE_MAX_BYTES = 1024 * 1024;

async function inMemory(path: string, bytes: Uint8Array): Promise<SimulatedFileSystem> {
  const fs = new SimulatedFileSystem({ random: new SeededRandom(1) });
  const cut = path.lastIndexOf('/');
  if (cut > 0) await fs.mkdir(path.slice(0, cut), { recursive: true });
  const handle = await fs.open(path, { create: true });
  try {
    await handle.write(bytes, 0);
  } finally {
    await handle.close();
  }
  return fs;
}

export type CheckResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** Captures a datafile's header blocks; `check()` reads them with the database's own code. */
export class DatafileHeaderCheck implements ContentInspector {
  readonly #capture: HeadCapture;
  readonly #fileNumber: number;
  readonly #blockBytes: number;

  constructor(fileNumber: number, blockBytes: number) {
    this.#fileNumber = fileNumber;
    this.#blockBytes = blockBytes;
    this.#capture = new HeadCapture(DATAFILE_HEADER_COPIES * blockBytes);
  }

  update(chunk: Uint8Array): void {
    this.#capture.update(chunk);
  }

  async check(dbId: number): Promise<CheckResult<DatafileHeader>> {
    if (!this.#capture.complete) return { ok: false, problem: 'it is shorter than its two header blocks' };
    const fs = await inMemory('/datafile', this.#capture.bytes);
    let datafile: Datafile;
    try {
      datafile = await Datafile.open(fs, '/datafile', this.#fileNumber, this.#blockBytes);
    } catch (error) {
      return {
        ok: false,
        problem: `unsound datafile header: ${errorMessage(error).replace(/'\/datafile'/g, 'the copy')}`,
      };
    }
    const header = datafile.header;
    await datafile.close();
    if (header.dbId !== dbId) {
      return { ok: false, problem: `its header names database id ${header.dbId}, not ${dbId}` };
    }
    return { ok: true, value: header };
  }
}

/** Every block of a datafile: sound, never written (zeros), or corrupt (torn or damaged). */
export class DatafileBlocksCheck implements ContentInspector {
  readonly #fileNumber: number;
  readonly #blockBytes: number;
  readonly #pending: Uint8Array;
  #pendingBytes = 0;
  #blockNumber = 0;
  sound = 0;
  empty = 0;
  readonly corrupt: number[] = [];

  constructor(fileNumber: number, blockBytes: number) {
    this.#fileNumber = fileNumber;
    this.#blockBytes = blockBytes;
    this.#pending = new Uint8Array(blockBytes);
  }

  update(chunk: Uint8Array): void {
    let at = 0;
    if (this.#pendingBytes > 0) {
      const take = Math.min(chunk.length, this.#blockBytes - this.#pendingBytes);
      this.#pending.set(chunk.subarray(0, take), this.#pendingBytes);
      this.#pendingBytes += take;
      at = take;
      if (this.#pendingBytes < this.#blockBytes) return;
      this.#block(this.#pending);
      this.#pendingBytes = 0;
    }
    for (; at + this.#blockBytes <= chunk.length; at += this.#blockBytes) {
      this.#block(chunk.subarray(at, at + this.#blockBytes));
    }
    if (at < chunk.length) {
      this.#pending.set(chunk.subarray(at), 0);
      this.#pendingBytes = chunk.length - at;
    }
  }

  /** A trailing partial block is damage (a datafile is whole blocks). */
  get partialTail(): boolean {
    return this.#pendingBytes > 0;
  }

  #block(block: Uint8Array): void {
    const blockNumber = this.#blockNumber++;
    try {
      if (verifyBlock(block, { fileNumber: this.#fileNumber, blockNumber }, 'copy')) this.sound++;
      else this.empty++;
    } catch {
      this.corrupt.push(blockNumber);
    }
  }
}

/** An archived log: the crc32 of its body and its trailer (the last 512 bytes). */
export class ArchivedLogCheck implements ContentInspector {
  readonly #size: number;
  readonly #tail = new Uint8Array(ARCHIVE_TRAILER_BYTES);
  #seen = 0;
  #crc = 0;

  /** `size`: the content's size, known beforehand (the trailer is its last 512 bytes). */
  constructor(size: number) {
    this.#size = size;
  }

  update(chunk: Uint8Array): void {
    const bodyEnd = this.#size - ARCHIVE_TRAILER_BYTES;
    const start = this.#seen;
    const end = start + chunk.length;
    if (start < bodyEnd) this.#crc = crc32(chunk.subarray(0, Math.min(chunk.length, bodyEnd - start)), this.#crc);
    if (end > bodyEnd && bodyEnd >= 0) {
      const from = Math.max(start, bodyEnd);
      const to = Math.min(end, this.#size);
      if (to > from) this.#tail.set(chunk.subarray(from - start, to - start), from - bodyEnd);
    }
    this.#seen = end;
  }

  check(expected: {
    readonly dbId: number;
    readonly sequence?: number;
    readonly incarnation?: number;
  }): CheckResult<ArchivedLogHeader> {
    if (this.#seen !== this.#size || this.#size < ARCHIVE_TRAILER_BYTES) {
      return { ok: false, problem: `it is ${this.#seen} bytes, expected ${this.#size}` };
    }
    const trailer = decodeArchiveTrailer(this.#tail);
    if (trailer === undefined) return { ok: false, problem: 'its archive trailer is missing or damaged' };
    if (trailer.bodyBytes + ARCHIVE_TRAILER_BYTES !== this.#size) {
      return {
        ok: false,
        problem: `its trailer says ${trailer.bodyBytes} bytes of redo, the file holds ${this.#size - ARCHIVE_TRAILER_BYTES}`,
      };
    }
    if (trailer.bodyCrc32 !== this.#crc)
      return { ok: false, problem: 'its redo does not match the checksum in its trailer' };
    if (trailer.dbId !== expected.dbId) {
      return { ok: false, problem: `it is an archived log of database id ${trailer.dbId}, not ${expected.dbId}` };
    }
    if (expected.sequence !== undefined && trailer.sequence !== expected.sequence) {
      return { ok: false, problem: `it holds log sequence ${trailer.sequence}, not ${expected.sequence}` };
    }
    if (expected.incarnation !== undefined && trailer.incarnation !== expected.incarnation) {
      return { ok: false, problem: `it is of incarnation ${trailer.incarnation}, not ${expected.incarnation}` };
    }
    return { ok: true, value: trailer };
  }
}

/** An online log member's 512-byte header. */
export class OnlineLogHeaderCheck implements ContentInspector {
  readonly #capture = new HeadCapture(LOG_FILE_HEADER_BYTES);

  update(chunk: Uint8Array): void {
    this.#capture.update(chunk);
  }

  check(expected: { readonly dbId: number; readonly group: number }): CheckResult<LogFileHeader> {
    const header = this.#capture.complete ? decodeLogFileHeader(this.#capture.bytes) : undefined;
    if (header === undefined) return { ok: false, problem: 'its redo log header is missing or damaged' };
    if (header.dbId !== expected.dbId) return { ok: false, problem: `it is a redo log of database id ${header.dbId}` };
    if (header.groupNumber !== expected.group) {
      return { ok: false, problem: `it is a member of log group ${header.groupNumber}, not ${expected.group}` };
    }
    return { ok: true, value: header };
  }
}

/** A whole control file copy, mounted in memory by @tandem/db's ControlFiles. */
export class ControlFileCheck implements ContentInspector {
  readonly #chunks: Uint8Array[] = [];
  #bytes = 0;

  update(chunk: Uint8Array): void {
    this.#bytes += chunk.length;
    if (this.#bytes <= CONTROL_FILE_MAX_BYTES) this.#chunks.push(Uint8Array.from(chunk));
  }

  async check(): Promise<CheckResult<{ state: ControlFileState; warnings: readonly string[] }>> {
    if (this.#bytes > CONTROL_FILE_MAX_BYTES)
      return { ok: false, problem: `it is ${this.#bytes} bytes: not a control file` };
    return inspectControlFile(Buffer.concat(this.#chunks));
  }
}

/** Mounts a control file image in memory: its newest sound version, and warnings (a torn slot). */
export async function inspectControlFile(
  bytes: Uint8Array,
): Promise<CheckResult<{ state: ControlFileState; warnings: readonly string[] }>> {
  const fs = await inMemory('/control.ctl', bytes);
  try {
    const { control, report } = await ControlFiles.mount(fs, ['/control.ctl']);
    const state = control.state;
    await control.close();
    return { ok: true, value: { state, warnings: report.warnings } };
  } catch (error) {
    return {
      ok: false,
      problem: `unsound control file: ${errorMessage(error).replace(/'\/control\.ctl'/g, 'the copy')}`,
    };
  }
}
