import { FileSystemError, SeededRandom, seedFromEnvironment, type Random } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import type { BlockAddress } from '../storage/block.js';
import { DbError, isDbError } from '../errors.js';
import type { Storage } from './storage.js';
import {
  create,
  increment,
  makeCounters,
  open,
  readCounter,
  DIR,
  rig as simulatedRig,
  type Ledger as RigLedger,
} from '../../test/storage-rig.js';

/** Only what this file's workload needs beyond the shared rig. */
type Ledger = Pick<RigLedger, 'acknowledged' | 'attempted'>;

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
      const roll = random.nextFloat();
      try {
        if (roll < 0.05) await storage.checkpointer.incremental(random.int(1, 8));
        else if (roll < 0.08 && options.switches !== false) await storage.redo.switchLogfile();
        await increment(storage, counters, index, ledger);
      } catch (error) {
        // The disk froze (simulated crash) or the instance went down; anything else is a bug.
        if (error instanceof FileSystemError || error instanceof DbError) return;
        throw error;
      }
    }
  };
  await Promise.all([session(), session(), session(), session()]);
}

/** A new database, open, with `count` counters and an empty ledger. */
async function openWithCounters(seed: number, count: number) {
  const rig = simulatedRig(seed);
  await create(rig);
  const storage = await open(rig);
  const counters = await makeCounters(storage, count);
  const ledger: Ledger = { acknowledged: new Map(), attempted: new Map() };
  return { rig, storage, counters, ledger };
}

describe('storage engine: crash recovery', () => {
  it('writes runs of adjacent dirty blocks with one write each, and they read back after a restart', async () => {
    const { rig, storage, counters, ledger } = await openWithCounters(2, 40);
    for (let index = 0; index < counters.length; index++) await increment(storage, counters, index, ledger);
    await storage.dbwr.writeDirty();
    // DBWR wrote the new blocks as they piled up (in batches, as the cache filled), and the rest now.
    const { blocksWritten, writes } = storage.dbwr.statistics;
    expect(blocksWritten).toBeGreaterThanOrEqual(counters.length);
    expect(writes).toBeLessThan(blocksWritten / 2);
    rig.fs.crash();
    const again = await open(rig);
    for (const [index, value] of ledger.acknowledged)
      expect((await readCounter(again, counters[index])).value).toBe(value);
    await again.close();
  });

  it('reopens after a clean shutdown with everything in place and no recovery', async () => {
    const { rig, storage, counters, ledger } = await openWithCounters(1, 5);
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
    // Only about one seed in 15 tears a block that recovery must restore: should `runs` seeds
    // have none, more seeds run (up to four times as many in all) until one has.
    for (let run = 0; run < runs || (restoredTorn === 0 && run < 4 * runs); run++) {
      const seed = baseSeed + run;
      const rig = simulatedRig(seed);
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
    expect(recoveredRecords, `seeds from ${baseSeed}`).toBeGreaterThan(0);
    expect(restoredTorn, `seeds from ${baseSeed}: no torn block restored`).toBeGreaterThan(0);
  });

  it('brings a datafile restored from an old copy current from the online redo at OPEN', async () => {
    const rig = simulatedRig(3);
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
      const rig = simulatedRig(seed);
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
    const rig = simulatedRig(4);
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
    const rig = simulatedRig(5);
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
