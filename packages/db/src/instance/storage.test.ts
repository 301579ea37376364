import {
  FileSystemError,
  ManualClock,
  SeededRandom,
  SimulatedFileSystem,
  seedFromEnvironment,
  type Random,
} from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import { BlockType, readU64, type BlockAddress } from '../storage/block.js';
import { DbError, isDbError } from '../errors.js';
import { MemoryAlertLog } from './alert-log.js';
import { createStorage, defaultControlFilePaths, doublewritePathOf, Storage, type StorageIo } from './storage.js';

const DIR = '/db';
const BLOCK_BYTES = 4096;
const COUNTER_OFFSET = 64;
const SHADOW_OFFSET = 72;
const USR_FILE = 2;

function io(seed: number): StorageIo & { fs: SimulatedFileSystem; alert: MemoryAlertLog; clock: ManualClock } {
  const clock = new ManualClock();
  return {
    fs: new SimulatedFileSystem({ random: new SeededRandom(seed), clock }),
    clock,
    alert: new MemoryAlertLog(clock),
  };
}

async function create(rig: StorageIo): Promise<void> {
  await createStorage(rig, {
    directory: DIR,
    blockBytes: BLOCK_BYTES,
    logGroups: 3,
    logMembers: 2,
    logSizeBytes: 640 * 1024,
    tablespaces: [
      { name: 'SYSTEM', kind: 'SYSTEM', sizeBlocks: 64 },
      { name: 'USR', kind: 'USER', sizeBlocks: 16, autoextend: { nextBlocks: 8, maxBlocks: 256 } },
    ],
  });
}

function open(rig: StorageIo, bufferCacheBlocks = 24): Promise<Storage> {
  return Storage.open(rig, {
    controlFilePaths: defaultControlFilePaths(DIR),
    doublewritePath: doublewritePathOf(DIR),
    bufferCacheBlocks,
  });
}

function u64(value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setUint32(0, value % 0x1_0000_0000, true);
  new DataView(bytes.buffer).setUint32(4, Math.floor(value / 0x1_0000_0000), true);
  return bytes;
}

/** Allocates `count` counter blocks, durably. */
async function makeCounters(storage: Storage, count: number): Promise<BlockAddress[]> {
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

async function readCounter(storage: Storage, address: BlockAddress): Promise<{ value: number; shadow: number }> {
  const frame = await storage.cache.load(address);
  return { value: readU64(frame.bytes, COUNTER_OFFSET), shadow: readU64(frame.bytes, SHADOW_OFFSET) };
}

interface Ledger {
  readonly acknowledged: Map<number, number>;
  readonly attempted: Map<number, number>;
}

/** Sessions increment random counters (value and a shadow 7x the value, in one mtr) and commit. */
async function runWorkload(
  storage: Storage,
  counters: readonly BlockAddress[],
  random: Random,
  ledger: Ledger,
  steps: number,
  options: { readonly switches?: boolean } = {},
): Promise<void> {
  const session = async (): Promise<void> => {
    for (let step = 0; step < steps; step++) {
      const index = random.int(0, counters.length);
      const address = counters[index];
      const roll = random.nextFloat();
      try {
        if (roll < 0.05) await storage.checkpointer.incremental(random.int(1, 8));
        else if (roll < 0.08 && options.switches !== false) await storage.redo.switchLogfile();
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
      } catch (error) {
        // The disk froze (simulated crash) or the instance went down; anything else is a bug.
        if (error instanceof FileSystemError || error instanceof DbError) return;
        throw error;
      }
    }
  };
  await Promise.all([session(), session(), session(), session()]);
}

describe('storage engine: crash recovery', () => {
  it('reopens after a clean shutdown with everything in place and no recovery', async () => {
    const rig = io(1);
    await create(rig);
    const storage = await open(rig);
    const counters = await makeCounters(storage, 5);
    const ledger: Ledger = { acknowledged: new Map(), attempted: new Map() };
    await runWorkload(storage, counters, new SeededRandom(1), ledger, 50);
    await storage.close();
    const again = await open(rig);
    expect(again.recovery.crashRecovery).toBe(false);
    for (const [index, value] of ledger.acknowledged)
      expect((await readCounter(again, counters[index])).value).toBe(value);
    expect(rig.alert.lines.join('')).toMatch(/\[notice\] checkpoint \(shutdown\)/);
    await again.close();
  });

  it('keeps every acknowledged change through crashes at random points, with torn and dropped writes (seeded)', async () => {
    const baseSeed = seedFromEnvironment();
    const runs = Number(process.env.TANDEM_CRASH_RUNS ?? 150);
    let recoveredRecords = 0;
    let restoredTorn = 0;
    for (let run = 0; run < runs; run++) {
      const seed = baseSeed + run;
      const rig = io(seed);
      const random = new SeededRandom(seed);
      await create(rig);
      const storage = await open(rig);
      const counters = await makeCounters(storage, 12);
      const ledger: Ledger = { acknowledged: new Map(), attempted: new Map() };
      rig.fs.crashAfterOperations(random.int(1, 400));
      await runWorkload(storage, counters, random, ledger, 60);
      rig.fs.crash();

      const recovered = await open(rig).catch((error: unknown) => {
        throw new Error(`seed ${seed}: OPEN after a crash failed: ${String(error)}\n${rig.alert.lines.join('')}`);
      });
      recoveredRecords += recovered.recovery.records;
      restoredTorn += recovered.recovery.restoredBlocks.length;
      for (let index = 0; index < counters.length; index++) {
        const { value, shadow } = await readCounter(recovered, counters[index]);
        const acknowledged = ledger.acknowledged.get(index) ?? 0;
        const attempted = ledger.attempted.get(index) ?? 0;
        expect(value, `seed ${seed}: counter ${index} lost acknowledged increments`).toBeGreaterThanOrEqual(
          acknowledged,
        );
        expect(value, `seed ${seed}: counter ${index} has an increment never made`).toBeLessThanOrEqual(attempted);
        expect(shadow, `seed ${seed}: counter ${index} applied half an mtr`).toBe(value * 7);
      }
      // The recovered database keeps working and shuts down cleanly.
      await runWorkload(recovered, counters, random, { acknowledged: new Map(), attempted: new Map() }, 5);
      await recovered.close();
    }
    // The seeds really exercised recovery, including blocks torn in place.
    expect(recoveredRecords).toBeGreaterThan(0);
    expect(restoredTorn).toBeGreaterThan(0);
  });

  it('brings a datafile restored from an old copy current from the online redo at OPEN', async () => {
    const rig = io(3);
    await create(rig);
    const storage = await open(rig);
    const counters = await makeCounters(storage, 2);
    await storage.close();
    const oldCopy = await rig.fs.readFile(`${DIR}/usr001.dtf`);
    const again = await open(rig);
    const ledger: Ledger = { acknowledged: new Map(), attempted: new Map() };
    await runWorkload(again, counters, new SeededRandom(3), ledger, 20);
    await again.close();
    const handle = await rig.fs.open(`${DIR}/usr001.dtf`, { truncate: true });
    await handle.write(oldCopy, 0);
    await handle.close();

    const recovered = await open(rig);
    expect(recovered.recovery.crashRecovery).toBe(true);
    for (const [index, value] of ledger.acknowledged)
      expect((await readCounter(recovered, counters[index])).value).toBe(value);
    expect(rig.alert.lines.join('')).toMatch(
      /\[notice\] recovery: datafiles older than the control file are brought current from the online redo: 2 \('\/db\/usr001\.dtf'/,
    );
    await recovered.close();
  });

  it('makes a datafile copied while the database ran (a fuzzy copy) consistent by replaying redo onto it', async () => {
    for (let run = 0; run < 20; run++) {
      const seed = 600 + run;
      const rig = io(seed);
      const random = new SeededRandom(seed);
      await create(rig);
      const storage = await open(rig);
      const counters = await makeCounters(storage, 8);
      const ledger: Ledger = { acknowledged: new Map(), attempted: new Map() };
      // Copy the file in the middle of a workload whose checkpoints keep writing its blocks.
      let copy: Uint8Array | undefined;
      const copier = (async () => {
        for (let i = random.int(5, 60); i > 0; i--) await new Promise((resolve) => setImmediate(resolve));
        copy = await rig.fs.readFile(`${DIR}/usr001.dtf`);
      })();
      // No log switches: they would overwrite redo the copy needs (archived logs are issue 5's).
      await runWorkload(storage, counters, random, ledger, 40, { switches: false });
      await copier;
      await storage.close();
      const handle = await rig.fs.open(`${DIR}/usr001.dtf`, { truncate: true });
      await handle.write(copy!, 0);
      await handle.close();

      const recovered = await open(rig);
      for (let index = 0; index < counters.length; index++) {
        const { value, shadow } = await readCounter(recovered, counters[index]);
        expect(value, `seed ${seed}: counter ${index}`).toBe(ledger.acknowledged.get(index) ?? 0);
        expect(shadow, `seed ${seed}: counter ${index} shadow`).toBe(value * 7);
      }
      await recovered.close();
    }
  });

  it('names a datafile restored from an old copy at OPEN when the redo it needs is overwritten: media recovery is needed', async () => {
    const rig = io(4);
    await create(rig);
    const storage = await open(rig);
    const counters = await makeCounters(storage, 2);
    await storage.close();
    const oldCopy = await rig.fs.readFile(`${DIR}/usr001.dtf`);
    const again = await open(rig);
    await runWorkload(again, counters, new SeededRandom(4), { acknowledged: new Map(), attempted: new Map() }, 20);
    // Four switches through three groups overwrite the redo the old copy would need.
    for (let i = 0; i < 4; i++) await again.redo.switchLogfile();
    await again.close();
    const handle = await rig.fs.open(`${DIR}/usr001.dtf`, { truncate: true });
    await handle.write(oldCopy, 0);
    await handle.close();
    const error = await open(rig).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isDbError(error, 'MEDIA_RECOVERY_NEEDED'), String(error)).toBe(true);
    expect((error as Error).message).toContain("datafile 2 ('/db/usr001.dtf')");
    expect((error as Error).message).toContain('media recovery is needed');
  });

  it('advances the checkpoint in the background on the injected clock', async () => {
    const rig = io(5);
    await create(rig);
    const storage = await open(rig);
    const counters = await makeCounters(storage, 4);
    await runWorkload(storage, counters, new SeededRandom(5), { acknowledged: new Map(), attempted: new Map() }, 10);
    const before = storage.control.state.checkpoint.tsn;
    expect(storage.cache.dirtyCount).toBeGreaterThan(0);
    rig.clock.advance(3000);
    for (let i = 0; i < 50 && storage.control.state.checkpoint.tsn === before; i++)
      await new Promise((resolve) => setImmediate(resolve));
    expect(storage.control.state.checkpoint.tsn).toBeGreaterThan(before);
    expect(storage.cache.dirtyCount).toBe(0);
    await storage.close();
  });
});
