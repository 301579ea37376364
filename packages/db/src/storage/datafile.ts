// A datafile: blocks 0 and 1 are two copies of the file header (written alternately, so a
// write torn by a crash never loses the header), then the space bitmap blocks, then data
// blocks. The header records the checkpoint TSN up to which the file holds every change,
// the creation TSN and the incarnation (resetlogs TSN), which OPEN compares with the
// control file to decide whether the file needs media recovery.
import { isFileSystemError, type FileHandle, type FileSystem } from '@tandem/testkit';
import { assert } from '../assert.js';
import { DbError } from '../errors.js';
import {
  BLOCK_HEADER_BYTES,
  BlockType,
  checksumMatches,
  formatBlock,
  MAX_BLOCK_BYTES,
  MIN_BLOCK_BYTES,
  readBlockHeader,
  readU64,
  sealBlock,
  verifyBlock,
  writeU64,
  type BlockAddress,
} from './block.js';

export const DATAFILE_HEADER_COPIES = 2;
const MAGIC = 0x46424454; // 'TDBF' little-endian

/** Bytes of a bitmap block that hold bits, after the block header. */
export function bitsPerBitmapBlock(blockBytes: number): number {
  return (blockBytes - BLOCK_HEADER_BYTES) * 8;
}

/** Number of bitmap blocks a file of at most `maxBlocks` needs. */
export function bitmapBlockCount(blockBytes: number, maxBlocks: number): number {
  return Math.max(1, Math.ceil(maxBlocks / bitsPerBitmapBlock(blockBytes)));
}

export interface DatafileHeader {
  readonly dbId: number;
  readonly fileNumber: number;
  readonly tablespaceNumber: number;
  readonly blockBytes: number;
  readonly creationTsn: number;
  readonly checkpointTsn: number;
  readonly checkpointMs: number;
  readonly resetlogsTsn: number;
  /** Number of bitmap blocks (fixed at creation from the maximum size). */
  readonly bitmapBlocks: number;
  /** Bumped on every header write; the copy with the higher value is current. */
  readonly headerSequence: number;
  /**
   * Non-zero while the file is in online backup mode (BEGIN BACKUP): the TSN the backup
   * began at. The checkpoint stays frozen meanwhile, so a copy of the file names a
   * checkpoint no later than the first full-block image its recovery may need.
   */
  readonly backupTsn: number;
}

function encodeHeader(block: Uint8Array, header: DatafileHeader): void {
  const copy = header.headerSequence % DATAFILE_HEADER_COPIES;
  formatBlock(block, {
    type: BlockType.DatafileHeader,
    fileNumber: header.fileNumber,
    blockNumber: copy,
    tsn: header.checkpointTsn,
    objectNumber: 0,
  });
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const base = BLOCK_HEADER_BYTES;
  view.setUint32(base, MAGIC, true);
  view.setUint32(base + 4, header.dbId, true);
  view.setUint32(base + 8, header.tablespaceNumber, true);
  view.setUint32(base + 12, header.blockBytes, true);
  writeU64(block, base + 16, header.creationTsn);
  writeU64(block, base + 24, header.checkpointTsn);
  writeU64(block, base + 32, header.checkpointMs);
  writeU64(block, base + 40, header.resetlogsTsn);
  view.setUint32(base + 48, header.bitmapBlocks, true);
  writeU64(block, base + 52, header.headerSequence);
  writeU64(block, base + 60, header.backupTsn);
  sealBlock(block);
}

function decodeHeader(block: Uint8Array): DatafileHeader | undefined {
  if (!checksumMatches(block)) return undefined;
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const base = BLOCK_HEADER_BYTES;
  const blockHeader = readBlockHeader(block);
  if (blockHeader.type !== BlockType.DatafileHeader || view.getUint32(base, true) !== MAGIC) return undefined;
  return {
    dbId: view.getUint32(base + 4, true),
    fileNumber: blockHeader.fileNumber,
    tablespaceNumber: view.getUint32(base + 8, true),
    blockBytes: view.getUint32(base + 12, true),
    creationTsn: readU64(block, base + 16),
    checkpointTsn: readU64(block, base + 24),
    checkpointMs: readU64(block, base + 32),
    resetlogsTsn: readU64(block, base + 40),
    bitmapBlocks: view.getUint32(base + 48, true),
    headerSequence: readU64(block, base + 52),
    backupTsn: readU64(block, base + 60),
  };
}

export interface CreateDatafileOptions {
  readonly path: string;
  readonly header: Omit<DatafileHeader, 'headerSequence' | 'bitmapBlocks' | 'backupTsn'>;
  readonly sizeBlocks: number;
  /** The largest the file may grow (autoextend), which sizes the bitmap. */
  readonly maxBlocks: number;
}

/** An open datafile: block reads and writes at block granularity, and its header. */
export class Datafile {
  readonly path: string;
  readonly fileNumber: number;
  readonly blockBytes: number;
  readonly #handle: FileHandle;
  #header: DatafileHeader;
  /** With trackEnd(): the file's size as this object knows it (undefined: not tracked). */
  #endBytes: number | undefined;

  private constructor(path: string, handle: FileHandle, header: DatafileHeader) {
    this.path = path;
    this.#handle = handle;
    this.#header = header;
    this.fileNumber = header.fileNumber;
    this.blockBytes = header.blockBytes;
  }

  get header(): DatafileHeader {
    return this.#header;
  }

  /** The first block that holds data (after the header copies and the bitmap). */
  get firstDataBlock(): number {
    return DATAFILE_HEADER_COPIES + this.#header.bitmapBlocks;
  }

  /**
   * Creates the file: both header copies and zeroed bitmap blocks (all blocks free), then
   * extends it to `sizeBlocks`. The caller syncs the directory.
   */
  static async create(fs: FileSystem, options: CreateDatafileOptions): Promise<Datafile> {
    const { blockBytes } = options.header;
    const bitmapBlocks = bitmapBlockCount(blockBytes, options.maxBlocks);
    assert(
      options.sizeBlocks > DATAFILE_HEADER_COPIES + bitmapBlocks,
      () => `datafile of ${options.sizeBlocks} blocks is too small`,
    );
    let handle: FileHandle;
    try {
      handle = await fs.open(options.path, { create: true, exclusive: true });
    } catch (error) {
      if (isFileSystemError(error, 'EEXIST')) {
        throw new DbError('DATABASE_EXISTS', `datafile '${options.path}' already exists; refusing to overwrite it`);
      }
      throw error;
    }
    const header: DatafileHeader = { ...options.header, bitmapBlocks, headerSequence: 0, backupTsn: 0 };
    const datafile = new Datafile(options.path, handle, header);
    const image = new Uint8Array(blockBytes);
    for (let copy = 0; copy < DATAFILE_HEADER_COPIES; copy++) {
      encodeHeader(image, { ...header, headerSequence: copy });
      await handle.write(image, copy * blockBytes);
    }
    for (let i = 0; i < bitmapBlocks; i++) {
      const blockNumber = DATAFILE_HEADER_COPIES + i;
      formatBlock(image, {
        type: BlockType.SpaceBitmap,
        fileNumber: header.fileNumber,
        blockNumber,
        tsn: 0,
        objectNumber: 0,
      });
      sealBlock(image);
      await handle.write(image, blockNumber * blockBytes);
    }
    await handle.truncate(options.sizeBlocks * blockBytes);
    await handle.sync();
    datafile.#header = { ...header, headerSequence: 1 };
    return datafile;
  }

  /** Opens a datafile and reads its current header. Missing file: TDB-1004; no sound header: TDB-1005. */
  static async open(fs: FileSystem, path: string, expectedFileNumber: number, blockBytes: number): Promise<Datafile> {
    let handle: FileHandle;
    try {
      handle = await fs.open(path);
    } catch (error) {
      if (isFileSystemError(error, 'ENOENT')) {
        throw new DbError(
          'DATAFILE_MISSING',
          `datafile ${expectedFileNumber} ('${path}') is missing; restore it from a backup and recover it, or recreate it`,
        );
      }
      throw error;
    }
    try {
      const headers: DatafileHeader[] = [];
      const image = new Uint8Array(blockBytes);
      for (let copy = 0; copy < DATAFILE_HEADER_COPIES; copy++) {
        const read = await handle.read(image, 0, blockBytes, copy * blockBytes);
        const header = read === blockBytes ? decodeHeader(image) : undefined;
        if (header !== undefined) headers.push(header);
      }
      const current = headers.sort((a, b) => b.headerSequence - a.headerSequence)[0];
      if (current === undefined) {
        throw new DbError(
          'DATAFILE_HEADER_CORRUPT',
          `datafile ${expectedFileNumber} ('${path}') has no readable header; restore it from a backup`,
        );
      }
      if (current.fileNumber !== expectedFileNumber || current.blockBytes !== blockBytes) {
        throw new DbError(
          'DATAFILE_MISMATCH',
          `'${path}' is datafile ${current.fileNumber} with ${current.blockBytes}-byte blocks, but the control file expects datafile ${expectedFileNumber} with ${blockBytes}-byte blocks`,
        );
      }
      return new Datafile(path, handle, current);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /**
   * Reads block `blockNumber` into `target` and verifies it. Returns false for a block never
   * written (beyond the end, or all zeros). Throws TDB-1001/1002 for a corrupt block.
   */
  async readBlock(blockNumber: number, target: Uint8Array): Promise<boolean> {
    assert(target.length === this.blockBytes, 'block buffer size');
    if (this.#endBytes !== undefined && blockNumber * this.blockBytes >= this.#endBytes) {
      target.fill(0); // past the end: never written, and no read needed to know it
      return false;
    }
    let read: number;
    try {
      read = await this.#handle.read(target, 0, this.blockBytes, blockNumber * this.blockBytes);
    } catch (error) {
      throw new DbError(
        'DATAFILE_IO',
        `cannot read block ${blockNumber} of datafile ${this.fileNumber} ('${this.path}'): ${String(error)}`,
        {
          cause: error,
        },
      );
    }
    if (read < this.blockBytes) {
      target.fill(0);
      return false;
    }
    return verifyBlock(target, { fileNumber: this.fileNumber, blockNumber }, this.path);
  }

  /** Writes a sealed block image (not synced). */
  async writeBlock(blockNumber: number, image: Uint8Array): Promise<void> {
    if (this.#endBytes !== undefined) {
      this.#endBytes = Math.max(this.#endBytes, blockNumber * this.blockBytes + image.length);
    }
    try {
      await this.#handle.write(image, blockNumber * this.blockBytes);
    } catch (error) {
      throw new DbError(
        'DATAFILE_IO',
        `cannot write block ${blockNumber} of datafile ${this.fileNumber} ('${this.path}'): ${String(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  async sync(): Promise<void> {
    try {
      await this.#handle.datasync();
    } catch (error) {
      throw new DbError('DATAFILE_IO', `cannot sync datafile ${this.fileNumber} ('${this.path}'): ${String(error)}`, {
        cause: error,
      });
    }
  }

  /** Grows the file to `sizeBlocks` (new blocks read as never written). */
  async extend(sizeBlocks: number): Promise<void> {
    if (this.#endBytes !== undefined) this.#endBytes = Math.max(this.#endBytes, sizeBlocks * this.blockBytes);
    await this.#handle.truncate(sizeBlocks * this.blockBytes);
    await this.#handle.sync();
  }

  /**
   * From now on, blocks at or past the file's current end read as never written without a
   * read, until this object writes or extends there. Only for a file no one else writes
   * while it is open (media recovery's own handles on the files it recovers: a restored
   * file is often shorter than the redo it replays needs, and each block past its end would
   * otherwise cost a read).
   */
  async trackEnd(): Promise<void> {
    this.#endBytes = await this.#handle.size();
  }

  async sizeBlocks(): Promise<number> {
    return Math.floor((await this.#handle.size()) / this.blockBytes);
  }

  /**
   * Records a checkpoint in the header: writes the older copy and syncs. The caller has
   * synced every block change up to `checkpointTsn` first.
   */
  async writeCheckpoint(
    checkpointTsn: number,
    checkpointMs: number,
    resetlogsTsn = this.#header.resetlogsTsn,
  ): Promise<void> {
    await this.writeHeader({ checkpointTsn, checkpointMs, resetlogsTsn });
  }

  /** Enters (a TSN) or leaves (0) online backup mode in the header. */
  async writeBackupMode(backupTsn: number): Promise<void> {
    await this.writeHeader({ backupTsn });
  }

  /** Writes the older header copy with `changes` applied, and syncs. */
  async writeHeader(
    changes: Partial<Pick<DatafileHeader, 'checkpointTsn' | 'checkpointMs' | 'resetlogsTsn' | 'backupTsn'>>,
  ): Promise<void> {
    const next: DatafileHeader = {
      ...this.#header,
      ...changes,
      headerSequence: this.#header.headerSequence + 1,
    };
    const image = new Uint8Array(this.blockBytes);
    encodeHeader(image, next);
    await this.writeBlock(next.headerSequence % DATAFILE_HEADER_COPIES, image);
    await this.sync();
    this.#header = next;
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}

export function isHeaderOrBitmap(address: BlockAddress, datafile: Datafile): boolean {
  return address.blockNumber < datafile.firstDataBlock;
}

/**
 * Reads the current header of the datafile at `path` without knowing its number or block
 * size (CREATE CONTROLFILE rebuilds the control file from the headers). The file is opened
 * read-only. Missing: TDB-1004; no sound header copy at any block size: TDB-1005.
 */
export async function readDatafileHeader(fs: FileSystem, path: string): Promise<DatafileHeader> {
  let handle: FileHandle;
  try {
    handle = await fs.open(path, { readOnly: true });
  } catch (error) {
    if (isFileSystemError(error, 'ENOENT')) throw new DbError('DATAFILE_MISSING', `datafile '${path}' is missing`);
    throw error;
  }
  try {
    const bytes = new Uint8Array(DATAFILE_HEADER_COPIES * MAX_BLOCK_BYTES);
    const read = await handle.read(bytes, 0, bytes.length, 0);
    let current: DatafileHeader | undefined;
    for (let blockBytes = MIN_BLOCK_BYTES; blockBytes <= MAX_BLOCK_BYTES; blockBytes *= 2) {
      for (let copy = 0; copy < DATAFILE_HEADER_COPIES && (copy + 1) * blockBytes <= read; copy++) {
        const header = decodeHeader(bytes.subarray(copy * blockBytes, (copy + 1) * blockBytes));
        if (header === undefined || header.blockBytes !== blockBytes) continue;
        if (current === undefined || header.headerSequence > current.headerSequence) current = header;
      }
    }
    if (current === undefined) {
      throw new DbError(
        'DATAFILE_HEADER_CORRUPT',
        `'${path}' has no readable datafile header; it is not a datafile, or it is damaged`,
      );
    }
    return current;
  } finally {
    await handle.close();
  }
}
