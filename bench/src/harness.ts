// Shared pieces of the benchmarks: a scratch directory on the real disk, a storage engine
// created in it, the disk's own fdatasync rate, and result printing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createStorage,
  defaultControlFilePaths,
  doublewritePathOf,
  MemoryAlertLog,
  Storage,
  type CreateStorageSpec,
  Database,
} from '@tandem/db';
import { NodeFileSystem, SystemClock, type FileSystem } from '@tandem/testkit';

export interface Scratch {
  readonly directory: string;
  readonly fs: FileSystem;
  remove(): Promise<void>;
}

/** A scratch directory under BENCH_DIR (default: the OS temp dir), removed afterwards. */
export async function scratch(name: string): Promise<Scratch> {
  const directory = await mkdtemp(join(process.env.BENCH_DIR ?? tmpdir(), `tandem-${name}-`));
  return { directory, fs: new NodeFileSystem(), remove: () => rm(directory, { recursive: true, force: true }) };
}

export async function createAndOpen(
  where: Scratch,
  spec: Omit<CreateStorageSpec, 'directory'>,
  bufferCacheBlocks = 16384,
  checkpointIntervalMs = 3000,
): Promise<{ storage: Storage; reopen: () => Promise<Storage>; alert: MemoryAlertLog }> {
  const clock = new SystemClock();
  const alert = new MemoryAlertLog(clock);
  const io = { fs: where.fs, clock, alert };
  const directory = `${where.directory}/db`;
  await createStorage(io, { ...spec, directory });
  const options = {
    controlFilePaths: defaultControlFilePaths(directory),
    doublewritePath: doublewritePathOf(directory),
    bufferCacheBlocks,
    checkpointIntervalMs,
  };
  return { storage: await Storage.open(io, options), reopen: () => Storage.open(io, options), alert };
}

/**
 * How many 512-byte write + fdatasync rounds the disk does per second, writing forward in
 * a preallocated file as LGWR does in a log member: the ceiling for one committer.
 */
export async function fdatasyncRate(where: Scratch, durationMs: number): Promise<number> {
  const handle = await where.fs.open(`${where.directory}/fdatasync.probe`, { create: true });
  await handle.truncate(256 * 1024 * 1024);
  await handle.sync();
  const record = new Uint8Array(512).fill(7);
  let rounds = 0;
  const started = performance.now();
  while (performance.now() - started < durationMs) {
    await handle.write(record, rounds * 512);
    await handle.datasync();
    rounds++;
  }
  const elapsedMs = performance.now() - started;
  await handle.close();
  return (rounds * 1000) / elapsedMs;
}

export function printTable(title: string, rows: readonly Record<string, string | number>[]): void {
  console.log(`\n${title}`);
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => String(row[column]).length)));
  console.log(columns.map((column, i) => column.padEnd(widths[i])).join('  '));
  for (const row of rows) console.log(columns.map((column, i) => String(row[column]).padEnd(widths[i])).join('  '));
}

export function round(value: number, digits = 0): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** A new database (storage, undo, catalog) in the scratch directory. */
export async function createDatabase(
  where: Scratch,
  spec: Omit<CreateStorageSpec, 'directory'>,
  bufferCacheBlocks = 16384,
): Promise<Database> {
  const clock = new SystemClock();
  const directory = `${where.directory}/db`;
  return Database.create(
    { fs: where.fs, clock, alert: new MemoryAlertLog(clock) },
    { ...spec, directory },
    {
      controlFilePaths: defaultControlFilePaths(directory),
      doublewritePath: doublewritePathOf(directory),
      bufferCacheBlocks,
    },
  );
}
