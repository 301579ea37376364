// Damaged and missing files are detected, never read as data: each is a DbError with its
// stable code that names the file (and the block or offset), and where a good copy exists
// (another log member, another control file copy) the database carries on from it.
import { SeededRandom } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import { CONTROL_SLOT_BYTES } from '../src/control/control-file.js';
import { alterSystemCheckpoint } from '../src/instance/log-admin.js';
import { scanLogGroup, type LogScanEntry } from '../src/redo/log-file.js';
import { readU64 } from '../src/storage/block.js';
import {
  alertLines,
  BLOCK_BYTES,
  cleanDatabase,
  CONTROL_PATHS,
  escapeRegExp,
  expectDbError,
  expectLedger,
  freshStorage,
  group,
  increment,
  makeCounters,
  memberPath,
  newLedger,
  open,
  readCounter,
  rejection,
  type Rig,
  runWorkload,
  USR_PATH,
} from './storage-rig.js';

/**
 * Crashes a database whose CURRENT group holds committed redo that crash recovery must read
 * (no checkpoint since it was written), and returns the records recovery will read.
 */
async function crashWithRedoToRecover(seed: number): Promise<{
  r: Rig;
  counters: Awaited<ReturnType<typeof makeCounters>>;
  ledger: ReturnType<typeof newLedger>;
  sequence: number;
  toRecover: LogScanEntry[];
}> {
  const { r, storage } = await freshStorage(seed);
  const counters = await makeCounters(storage, 4);
  await alterSystemCheckpoint(storage);
  const ledger = newLedger();
  await runWorkload(storage, counters, new SeededRandom(seed), ledger, { steps: 20 });
  expect(ledger.failures).toEqual([]);
  const { checkpoint } = storage.control.state;
  const { sequence } = group(storage, storage.redo.groupNumber);
  expect(storage.redo.groupNumber).toBe(1);
  r.fs.crash();

  const entries: LogScanEntry[] = [];
  await scanLogGroup(r.fs, { groupNumber: 1, sequence, memberPaths: [memberPath(1, 'a')] }, (batch) => {
    entries.push(...batch);
  });
  const toRecover = entries.filter((entry) => entry.record.tsn >= checkpoint.tsn);
  expect(toRecover.length).toBeGreaterThanOrEqual(80);
  return { r, counters, ledger, sequence, toRecover };
}

describe('corruption and missing files are detected and named', () => {
  it('refuses a datafile block with a flipped bit on every read (TDB-1001), naming the file and the block', async () => {
    const { r, counters, ledger } = await cleanDatabase(31);
    const damaged = counters[1];
    r.fs.flipBit(USR_PATH, damaged.blockNumber * BLOCK_BYTES + 64, 3);

    const storage = await open(r);
    for (let attempt = 0; attempt < 2; attempt++) {
      expectDbError(
        await rejection(storage.cache.load(damaged)),
        'BLOCK_CORRUPT',
        `block ${damaged.blockNumber} in datafile 2`,
        USR_PATH,
      );
    }
    // An mtr that needs the block fails the same way; it never sees the bytes.
    expectDbError(
      await rejection(storage.mtr((mtr) => mtr.block(damaged)[0])),
      'BLOCK_CORRUPT',
      `block ${damaged.blockNumber}`,
    );
    // The other blocks are sound and hold every acknowledged commit.
    for (const index of [0, 2, 3]) {
      expect((await readCounter(storage, counters[index])).value).toBe(ledger.acknowledged.get(index) ?? 0);
    }
    await storage.close();
  });

  it('fails OPEN with TDB-2001 naming the log when a redo record recovery needs is damaged in every member', async () => {
    const { r, sequence, toRecover } = await crashWithRedoToRecover(32);
    const victim = toRecover[Math.floor(toRecover.length / 2)];
    for (const letter of ['a', 'b'] as const) {
      r.fs.flipBit(memberPath(1, letter), victim.offsetBytes + victim.totalBytes - 3, 0);
    }
    expectDbError(
      await rejection(open(r)),
      'REDO_RECORD_CORRUPT',
      `offset ${victim.offsetBytes} of log sequence ${sequence} (group 1)`,
      memberPath(1, 'a'),
      memberPath(1, 'b'),
      'media recovery',
    );
  });

  it('recovers from the other member when a redo record is damaged in one, with a warning naming it', async () => {
    const { r, counters, ledger, sequence, toRecover } = await crashWithRedoToRecover(33);
    const victim = toRecover[Math.floor(toRecover.length / 2)];
    r.fs.flipBit(memberPath(1, 'a'), victim.offsetBytes + 20, 5);

    const storage = await open(r);
    expect(
      alertLines(
        r,
        new RegExp(
          `\\[warning\\] TDB-2001: log member '${escapeRegExp(memberPath(1, 'a'))}' \\(group 1, sequence ${sequence}\\) ` +
            `is damaged at offset ${victim.offsetBytes} .*reading member '${escapeRegExp(memberPath(1, 'b'))}' instead`,
        ),
      ),
    ).toHaveLength(1);
    expect(storage.recovery.records).toBe(toRecover.length);
    await expectLedger(storage, counters, ledger, 'after recovery from the sound member:');
    await increment(storage, counters, 0, ledger);
    await storage.close();
  });

  it('fails OPEN naming a control file copy with a flipped bit; boots from the good copy, then from both once restored', async () => {
    const { r, counters, ledger } = await cleanDatabase(34);
    const [good, damaged] = CONTROL_PATHS;
    const bytes = await r.fs.readFile(damaged);
    const newestSlot = readU64(bytes, 16) > readU64(bytes, CONTROL_SLOT_BYTES + 16) ? 0 : 1;
    r.fs.flipBit(damaged, newestSlot * CONTROL_SLOT_BYTES + 24 + 40, 1);

    expectDbError(await rejection(open(r)), 'CONTROL_FILE_MISMATCH', `'${damaged}'`, 'corrupt', 'CONTROL_FILES');

    // The seed's procedure: remove the damaged copy from CONTROL_FILES and boot.
    const single = await open(r, [good]);
    await expectLedger(single, counters, ledger, 'with one control file:');
    await increment(single, counters, 0, ledger);
    await single.close();

    // Then copy the good one over it while the database is down, and multiplex again.
    const copy = await r.fs.open(damaged, { truncate: true });
    await copy.write(await r.fs.readFile(good), 0);
    await copy.sync();
    await copy.close();
    const both = await open(r);
    await expectLedger(both, counters, ledger, 'with both control files:');
    await both.close();
  });

  it('fails OPEN naming a missing datafile (TDB-1004)', async () => {
    const { r } = await cleanDatabase(35);
    await r.fs.unlink(USR_PATH);
    expectDbError(await rejection(open(r)), 'DATAFILE_MISSING', 'datafile 2', `'${USR_PATH}'`);
  });

  it('fails OPEN naming a datafile whose both header copies are damaged (TDB-1005)', async () => {
    const { r } = await cleanDatabase(36);
    for (const copy of [0, 1]) r.fs.flipBit(USR_PATH, copy * BLOCK_BYTES + 40, 6);
    expectDbError(await rejection(open(r)), 'DATAFILE_HEADER_CORRUPT', 'datafile 2', `'${USR_PATH}'`);
  });
});
