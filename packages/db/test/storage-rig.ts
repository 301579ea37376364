// A small database on the simulated disk and a counter workload whose acknowledged commits
// must all survive, shared by the failure, log administration and MOUNT-stage tests. Each
// counter block holds a value and a shadow (7x the value) changed in one mtr, so a half
// applied mtr shows.
import { ManualClock, SeededRandom, SimulatedFileSystem, type Random } from '@tandem/testkit';
import { expect } from 'vitest';
import type { LogGroupEntry, LogMemberStatus } from '../src/control/control-state.js';
import { isDbError, type TdbCodeName } from '../src/errors.js';
import { ControlFiles } from '../src/control/control-file.js';
import { MemoryAlertLog } from '../src/instance/alert-log.js';
import { setLogMode } from '../src/instance/mount-admin.js';
import {
  createStorage,
  defaultControlFilePaths,
  doublewritePathOf,
  Storage,
  type StorageIo,
} from '../src/instance/storage.js';
import { BlockType, readU64, type BlockAddress } from '../src/storage/block.js';

export const DIR = '/db';
export const BLOCK_BYTES = 4096;
export const LOG_BYTES = 640 * 1024;
export const USR_FILE = 2;
export const SYSTEM_PATH = `${DIR}/system001.dtf`;
export const USR_PATH = `${DIR}/usr001.dtf`;
export const CONTROL_PATHS = defaultControlFilePaths(DIR);
const COUNTER_OFFSET = 64;
const SHADOW_OFFSET = 72;

/** The path createStorage gives member `letter` ('a', 'b') of log group `group`. */
export function memberPath(group: number, letter: 'a' | 'b'): string {
  return `${DIR}/redo${String(group).padStart(2, '0')}${letter}.log`;
}

export interface Rig extends StorageIo {
  readonly fs: SimulatedFileSystem;
  readonly clock: ManualClock;
  readonly alert: MemoryAlertLog;
}

export function rig(seed: number): Rig {
  const clock = new ManualClock();
  return {
    fs: new SimulatedFileSystem({ random: new SeededRandom(seed), clock }),
    clock,
    alert: new MemoryAlertLog(clock),
  };
}

/**
 * Three log groups of two members, and two small datafiles (SYSTEM, and USR that autoextends,
 * up to `usrMaxBlocks`).
 */
export async function create(r: Rig, usrMaxBlocks = 256): Promise<void> {
  await createStorage(r, {
    directory: DIR,
    blockBytes: BLOCK_BYTES,
    logGroups: 3,
    logMembers: 2,
    logSizeBytes: LOG_BYTES,
    tablespaces: [
      { name: 'SYSTEM', kind: 'SYSTEM', sizeBlocks: 64 },
      { name: 'USR', kind: 'USER', sizeBlocks: 16, autoextend: { nextBlocks: 8, maxBlocks: usrMaxBlocks } },
    ],
  });
}

export function open(
  r: Rig,
  controlFilePaths: readonly string[] = CONTROL_PATHS,
  bufferCacheBlocks = 24,
): Promise<Storage> {
  return Storage.open(r, { controlFilePaths, doublewritePath: doublewritePathOf(DIR), bufferCacheBlocks });
}

/** A new database on a fresh simulated disk (after `prepare`, if given), open. */
export async function freshStorage(
  seed: number,
  prepare?: (r: Rig) => Promise<void>,
): Promise<{ r: Rig; storage: Storage }> {
  const r = rig(seed);
  await create(r);
  await prepare?.(r);
  return { r, storage: await open(r) };
}

/** A database with four counters and ten committed increments (none failed), shut down cleanly. */
export async function cleanDatabase(
  seed: number,
  prepare?: (r: Rig) => Promise<void>,
): Promise<{ r: Rig; counters: BlockAddress[]; ledger: Ledger }> {
  const { r, storage } = await freshStorage(seed, prepare);
  const counters = await makeCounters(storage, 4);
  const ledger = newLedger();
  await runWorkload(storage, counters, new SeededRandom(seed), ledger, { steps: 10 });
  expect(ledger.failures).toEqual([]);
  await storage.close();
  return { r, counters, ledger };
}

function u64(value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setUint32(0, value % 0x1_0000_0000, true);
  new DataView(bytes.buffer).setUint32(4, Math.floor(value / 0x1_0000_0000), true);
  return bytes;
}

/** Allocates `count` counter blocks, durably. */
export async function makeCounters(storage: Storage, count: number): Promise<BlockAddress[]> {
  const space = storage.space.inFile(USR_FILE);
  const addresses: BlockAddress[] = [];
  for (let i = 0; i < count; i++) {
    const { result } = await storage.mtr((mtr) => {
      const address = space.allocate(mtr, 100);
      mtr.format(address, { type: BlockType.SegmentHeader, objectNumber: 100, pageLevel: -1 });
      return address;
    });
    addresses.push(result);
  }
  await storage.redo.flush();
  return addresses;
}

export async function readCounter(
  storage: Storage,
  address: BlockAddress,
): Promise<{ readonly value: number; readonly shadow: number }> {
  const frame = await storage.cache.load(address);
  return { value: readU64(frame.bytes, COUNTER_OFFSET), shadow: readU64(frame.bytes, SHADOW_OFFSET) };
}

export interface Ledger {
  /** Counter index -> highest value whose commit was acknowledged (flushed). */
  readonly acknowledged: Map<number, number>;
  /** Counter index -> highest value an mtr produced, acknowledged or not. */
  readonly attempted: Map<number, number>;
  /** Errors sessions met; a scenario in which the instance stays up expects none. */
  readonly failures: unknown[];
}

export function newLedger(): Ledger {
  return { acknowledged: new Map(), attempted: new Map(), failures: [] };
}

/** Increments counter `index` in one mtr and waits for the commit to be durable. Returns its TSN. */
export async function increment(
  storage: Storage,
  counters: readonly BlockAddress[],
  index: number,
  ledger: Pick<Ledger, 'acknowledged' | 'attempted'>,
): Promise<number> {
  const address = counters[index];
  const { result: value, tsn } = await storage.mtr(
    (mtr) => {
      const value = readU64(mtr.block(address), COUNTER_OFFSET) + 1;
      mtr.writeBytes(address, COUNTER_OFFSET, u64(value));
      mtr.writeBytes(address, SHADOW_OFFSET, u64(value * 7));
      return value;
    },
    1,
    index + 1,
  );
  ledger.attempted.set(index, Math.max(ledger.attempted.get(index) ?? 0, value));
  await storage.redo.flush(tsn);
  ledger.acknowledged.set(index, Math.max(ledger.acknowledged.get(index) ?? 0, value));
  return tsn;
}

export interface WorkloadOptions {
  readonly steps: number;
  readonly sessions?: number;
  /** Chance per step of ALTER SYSTEM SWITCH LOGFILE first. */
  readonly switchChance?: number;
  /** Chance per step of an incremental checkpoint first. */
  readonly checkpointChance?: number;
}

/** Sessions increment random counters; a session that meets an error records it and stops. */
export async function runWorkload(
  storage: Storage,
  counters: readonly BlockAddress[],
  random: Random,
  ledger: Ledger,
  options: WorkloadOptions,
): Promise<void> {
  const session = async (): Promise<void> => {
    for (let step = 0; step < options.steps; step++) {
      const index = random.int(0, counters.length);
      try {
        if (random.chance(options.checkpointChance ?? 0)) await storage.checkpointer.incremental(random.int(1, 8));
        if (random.chance(options.switchChance ?? 0)) await storage.redo.switchLogfile();
        await increment(storage, counters, index, ledger);
      } catch (error) {
        ledger.failures.push(error);
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: options.sessions ?? 4 }, session));
}

/** Every acknowledged increment is present, none that was never made, and no mtr is half applied. */
export async function expectLedger(
  storage: Storage,
  counters: readonly BlockAddress[],
  ledger: Ledger,
  context = '',
): Promise<void> {
  for (let index = 0; index < counters.length; index++) {
    const { value, shadow } = await readCounter(storage, counters[index]);
    expect(value, `${context} counter ${index} lost acknowledged increments`).toBeGreaterThanOrEqual(
      ledger.acknowledged.get(index) ?? 0,
    );
    expect(value, `${context} counter ${index} has an increment never made`).toBeLessThanOrEqual(
      ledger.attempted.get(index) ?? 0,
    );
    expect(shadow, `${context} counter ${index} applied half an mtr`).toBe(value * 7);
  }
}

export function acknowledgedTotal(ledger: Ledger): number {
  let total = 0;
  for (const value of ledger.acknowledged.values()) total += value;
  return total;
}

export function group(storage: Storage, groupNumber: number): LogGroupEntry {
  const found = storage.control.state.logGroups.find((entry) => entry.number === groupNumber);
  expect(found, `log group ${groupNumber}`).toBeDefined();
  return found!;
}

export function memberStatus(storage: Storage, path: string): LogMemberStatus | undefined {
  for (const entry of storage.control.state.logGroups) {
    const member = entry.members.find((candidate) => candidate.path === path);
    if (member !== undefined) return member.status;
  }
  return undefined;
}

/** Switches logs until group `groupNumber` is CURRENT (at most once round every group). */
export async function switchInto(storage: Storage, groupNumber: number): Promise<void> {
  for (let i = 0; i <= storage.control.state.logGroups.length; i++) {
    if (storage.redo.groupNumber === groupNumber) return;
    await storage.redo.switchLogfile();
  }
  throw new Error(`log group ${groupNumber} never became CURRENT`);
}

/** Switches logs until group `groupNumber` is not CURRENT. */
export async function switchAwayFrom(storage: Storage, groupNumber: number): Promise<void> {
  if (storage.redo.groupNumber === groupNumber) await storage.redo.switchLogfile();
  expect(storage.redo.groupNumber).not.toBe(groupNumber);
}

/** The error `promise` rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection, but the operation succeeded');
    },
    (error: unknown) => error,
  );
}

/** Asserts `error` is a DbError with `codeName` whose message contains every fragment. */
export function expectDbError(error: unknown, codeName: TdbCodeName, ...fragments: readonly string[]): void {
  expect(isDbError(error, codeName), `expected ${codeName}, got ${String(error)}`).toBe(true);
  for (const fragment of fragments) expect((error as Error).message).toContain(fragment);
}

export function alertLines(r: Rig, pattern: RegExp): string[] {
  return r.alert.lines.filter((line) => pattern.test(line));
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Where archiving tests put archived logs: two destinations. */
export const ARCHIVE_DESTINATIONS = ['/arch1', '/arch2'];
export const ARCHIVE_RETRY_MS = 1000;

/** A new database (see create) switched to ARCHIVELOG mode, shut. */
export async function archivelogDatabase(seed: number): Promise<Rig> {
  const r = rig(seed);
  await create(r);
  const control = (await ControlFiles.mount(r.fs, CONTROL_PATHS)).control;
  await setLogMode(control, 'ARCHIVELOG');
  await control.close();
  return r;
}

/** Opens with the archive destinations and a short archiver retry. */
export function openArchiving(r: Rig): Promise<Storage> {
  return Storage.open(r, {
    controlFilePaths: CONTROL_PATHS,
    doublewritePath: doublewritePathOf(DIR),
    bufferCacheBlocks: 24,
    archiveDestinations: ARCHIVE_DESTINATIONS,
    archiveRetryMs: ARCHIVE_RETRY_MS,
  });
}

/** Lets the simulated disk and background work run (advancing the clock for retries) until `done` holds. */
export async function settle(r: Rig, done: () => boolean, what: string): Promise<void> {
  for (let round = 0; round < 2000 && !done(); round++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (round % 20 === 19) r.clock.advance(ARCHIVE_RETRY_MS);
  }
  expect(done(), what).toBe(true);
}

/** Whether a promise has settled, as a function to poll. */
export function settled(promise: Promise<unknown>): () => boolean {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  return () => done;
}
