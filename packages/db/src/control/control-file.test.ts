import { ManualClock, SeededRandom, SimulatedFileSystem, seedFromEnvironment } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import { isDbError } from '../errors.js';
import { CONTROL_SLOT_BYTES, ControlFiles } from './control-file.js';
import type { ControlFileState } from './control-state.js';

const PATHS = ['/disk1/control01.ctl', '/disk2/control02.ctl'];

function initialState(): ControlFileState {
  return {
    formatVersion: 1,
    dbName: 'tandem',
    dbId: 12345,
    createdMs: 1_700_000_000_000,
    blockBytes: 8192,
    logMode: 'NOARCHIVELOG',
    incarnation: { number: 1, resetlogsTsn: 0, resetlogsMs: 1_700_000_000_000 },
    checkpoint: { sequence: 1, offsetBytes: 512, tsn: 1 },
    checkpointMs: 1_700_000_000_000,
    cleanShutdown: false,
    tablespaces: [{ number: 0, name: 'SYSTEM', kind: 'SYSTEM' }],
    datafiles: [],
    logGroups: [],
  };
}

async function freshDisk(seed = 1): Promise<SimulatedFileSystem> {
  const fs = new SimulatedFileSystem({ random: new SeededRandom(seed), clock: new ManualClock() });
  await fs.mkdir('/disk1');
  await fs.mkdir('/disk2');
  await fs.syncDirectory('/');
  return fs;
}

async function expectDbError(promise: Promise<unknown>, codeName: string, mentions: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isDbError(error), `expected a DbError, got ${String(error)}`).toBe(true);
  expect((error as { codeName: string }).codeName).toBe(codeName);
  expect((error as Error).message).toContain(mentions);
}

describe('control files', () => {
  it('creates every copy and mounts the newest version', async () => {
    const fs = await freshDisk();
    const control = await ControlFiles.create(fs, PATHS, initialState());
    await control.update((state) => ({ ...state, checkpoint: { ...state.checkpoint, tsn: 42 } }));
    await control.close();

    const { control: mounted, report } = await ControlFiles.mount(fs, PATHS);
    expect(mounted.state.checkpoint.tsn).toBe(42);
    expect(mounted.changeSequence).toBe(2);
    expect(report.repairedPaths).toEqual([]);
    expect(report.warnings).toEqual([]);
    await mounted.close();
  });

  it('refuses to create over an existing database', async () => {
    const fs = await freshDisk();
    await (await ControlFiles.create(fs, PATHS, initialState())).close();
    await expectDbError(ControlFiles.create(fs, PATHS, initialState()), 'DATABASE_EXISTS', PATHS[0]);
  });

  it('reports a missing copy by name at MOUNT', async () => {
    const fs = await freshDisk();
    await (await ControlFiles.create(fs, PATHS, initialState())).close();
    await fs.unlink(PATHS[1]);
    await expectDbError(ControlFiles.mount(fs, PATHS), 'CONTROL_FILE_MISSING', PATHS[1]);
  });

  it('detects a flipped bit in one copy, and mounts from the good copy once the bad one is removed from the parameters', async () => {
    const fs = await freshDisk();
    const control = await ControlFiles.create(fs, PATHS, initialState());
    await control.update((state) => ({ ...state, checkpoint: { ...state.checkpoint, tsn: 7 } }));
    await control.update((state) => ({ ...state, cleanShutdown: true }));
    await control.close();
    // The newest version (sequence 3) lives in slot 1 of each copy.
    fs.flipBit(PATHS[0], CONTROL_SLOT_BYTES + 40, 3);

    await expectDbError(ControlFiles.mount(fs, PATHS), 'CONTROL_FILE_MISMATCH', PATHS[0]);
    const { control: mounted } = await ControlFiles.mount(fs, [PATHS[1]]);
    expect(mounted.state.cleanShutdown).toBe(true);
    expect(mounted.state.checkpoint.tsn).toBe(7);
    await mounted.close();
  });

  it('reports a copy left at an older version (restored from an old backup)', async () => {
    const fs = await freshDisk();
    const control = await ControlFiles.create(fs, PATHS, initialState());
    await control.update((state) => ({ ...state, cleanShutdown: true }));
    await control.close();
    const old = await fs.readFile(PATHS[1]);
    const control2 = (await ControlFiles.mount(fs, PATHS)).control;
    await control2.update((state) => ({ ...state, checkpoint: { ...state.checkpoint, tsn: 99 } }));
    await control2.update((state) => ({ ...state, checkpoint: { ...state.checkpoint, tsn: 100 } }));
    await control2.close();
    const handle = await fs.open(PATHS[1], { truncate: true });
    await handle.write(old, 0);
    await handle.close();

    await expectDbError(ControlFiles.mount(fs, PATHS), 'CONTROL_FILE_MISMATCH', PATHS[1]);
  });

  it('detects a flipped bit in an obsolete slot as a warning, without losing the current version', async () => {
    const fs = await freshDisk();
    const control = await ControlFiles.create(fs, PATHS, initialState());
    await control.update((state) => ({ ...state, checkpoint: { ...state.checkpoint, tsn: 5 } }));
    await control.close();
    // Sequence 2 is in slot 0; slot 1 holds the obsolete sequence 1.
    fs.flipBit(PATHS[1], CONTROL_SLOT_BYTES + 30, 0);
    const { control: mounted, report } = await ControlFiles.mount(fs, PATHS);
    expect(mounted.state.checkpoint.tsn).toBe(5);
    expect(report.warnings.join('\n')).toMatch(/TDB-3002.*control02/);
    await mounted.close();
  });

  it('survives a crash at any point of an update: the old or the new version, never a failed mount', async () => {
    const baseSeed = seedFromEnvironment();
    const outcomes = new Set<string>();
    for (let run = 0; run < 150; run++) {
      const seed = baseSeed + run;
      const fs = await freshDisk(seed);
      const control = await ControlFiles.create(fs, PATHS, initialState());
      await control.update((state) => ({ ...state, checkpoint: { ...state.checkpoint, tsn: 10 } }));
      // Crash somewhere inside the next update (it writes and syncs each copy: 4 operations).
      fs.crashAfterOperations(new SeededRandom(seed).int(0, 5));
      await control
        .update((state) => ({ ...state, checkpoint: { ...state.checkpoint, tsn: 20 } }))
        .catch(() => undefined);
      fs.crash();

      const { control: mounted, report } = await ControlFiles.mount(fs, PATHS).catch((error: unknown) => {
        throw new Error(`seed ${seed}: mount failed after a crash: ${String(error)}`);
      });
      const tsn = mounted.state.checkpoint.tsn;
      expect([10, 20], `seed ${seed}`).toContain(tsn);
      outcomes.add(`${tsn}${report.repairedPaths.length > 0 ? '+repaired' : ''}`);
      await mounted.close();
      // After a repair every copy agrees: the next mount is clean.
      const again = await ControlFiles.mount(fs, PATHS);
      expect(again.report.repairedPaths, `seed ${seed}`).toEqual([]);
      expect(again.control.state.checkpoint.tsn, `seed ${seed}`).toBe(tsn);
      await again.control.close();
    }
    // The seeds exercise the old version, the new one, and a repaired interrupted update.
    expect([...outcomes].sort()).toEqual(expect.arrayContaining(['10', '20']));
    expect([...outcomes].some((outcome) => outcome.endsWith('+repaired'))).toBe(true);
  });
});
