// Online redo log loss while the database runs (the seed's "Online Log 파일 복구") and the
// log administration that repairs it: ADD/DROP LOGFILE [MEMBER], recreating a member, and
// clearing a lost group at MOUNT. Every scenario drives Storage with committing sessions
// and checks that each acknowledged commit survives.
import { SeededRandom, seedFromEnvironment, type FileSystem } from '@tandem/testkit';
import type { Storage } from '../src/instance/storage.js';
import type { BlockAddress } from '../src/storage/block.js';
import { describe, expect, it } from 'vitest';
import { ControlFiles } from '../src/control/control-file.js';
import { isDbError } from '../src/errors.js';
import {
  addLogGroup,
  addLogMember,
  alterSystemCheckpoint,
  alterSystemSwitchLogfile,
  dropLogGroup,
  dropLogMember,
  recreateLogMember,
} from '../src/instance/log-admin.js';
import { clearLogGroup, verifyOnlineLogs } from '../src/instance/mount-admin.js';
import { decodeLogFileHeader, LOG_FILE_HEADER_BYTES, scanLogGroup, type LogScanEntry } from '../src/redo/log-file.js';
import {
  acknowledgedTotal,
  alertLines,
  CONTROL_PATHS,
  create,
  DIR,
  escapeRegExp,
  expectDbError,
  expectLedger,
  freshStorage,
  group,
  increment,
  type Ledger,
  LOG_BYTES,
  makeCounters,
  memberPath,
  memberStatus,
  newLedger,
  open,
  rejection,
  type Rig,
  rig,
  runWorkload,
  switchAwayFrom,
  switchInto,
  USR_PATH,
} from './storage-rig.js';

/** The records one member holds for `sequence` of its group, read from that member alone. */
async function readMember(
  fs: FileSystem,
  groupNumber: number,
  sequence: number,
  path: string,
): Promise<{ entries: LogScanEntry[]; warnings: readonly string[] }> {
  const entries: LogScanEntry[] = [];
  const result = await scanLogGroup(fs, { groupNumber, sequence, memberPaths: [path] }, (batch) => {
    entries.push(...batch);
  });
  return { entries, warnings: result.warnings };
}

/** A STALE member is written from the switch into its group on: until then it is the empty file addLogMember made. */
async function expectUnwritten(fs: FileSystem, path: string): Promise<void> {
  const bytes = await fs.readFile(path);
  expect(decodeLogFileHeader(bytes)?.sequence, `'${path}' header`).toBe(0);
  expect(
    bytes.subarray(LOG_FILE_HEADER_BYTES).every((byte) => byte === 0),
    `'${path}' holds redo`,
  ).toBe(true);
}

/** After a switch into its group, the member holds the sequence's records, byte for byte as its sibling. */
async function expectWrittenLikeSibling(
  fs: FileSystem,
  groupNumber: number,
  sequence: number,
  path: string,
  siblingPath: string,
  tsns: readonly number[],
): Promise<void> {
  const { entries } = await readMember(fs, groupNumber, sequence, path);
  expect(entries.map((entry) => entry.record.tsn)).toEqual(expect.arrayContaining([...tsns]));
  const last = entries[entries.length - 1];
  const endBytes = last.offsetBytes + last.totalBytes;
  const member = await fs.readFile(path);
  const sibling = await fs.readFile(siblingPath);
  expect(Buffer.from(member.subarray(0, endBytes)).equals(Buffer.from(sibling.subarray(0, endBytes)))).toBe(true);
}

describe('online redo log loss while OPEN (seed: Online Log 파일 복구)', () => {
  it('reports a deleted member of the next group at the switch and carries on; drop + add recreates it', async () => {
    const { r, storage } = await freshStorage(11);
    const counters = await makeCounters(storage, 6);
    const ledger = newLedger();
    const random = new SeededRandom(11);
    const lost = memberPath(2, 'b');
    expect(storage.redo.groupNumber).toBe(1);

    // Deleted while running, never used since boot: LGWR has no handle on it.
    await r.fs.unlink(lost);
    await runWorkload(storage, counters, random, ledger, { steps: 15 });
    await alterSystemSwitchLogfile(storage);
    expect(storage.redo.groupNumber).toBe(2);
    await runWorkload(storage, counters, random, ledger, { steps: 25, switchChance: 0.05 });
    await alterSystemSwitchLogfile(storage);
    await runWorkload(storage, counters, random, ledger, { steps: 15 });

    expect(ledger.failures).toEqual([]);
    expect(acknowledgedTotal(ledger)).toBeGreaterThan(200);
    expect(
      alertLines(r, new RegExp(`\\[warning\\] TDB-2002: log member '${escapeRegExp(lost)}' of group 2 is missing`)),
    ).toHaveLength(1);
    expect(memberStatus(storage, lost)).toBe('INVALID');
    expect(memberStatus(storage, memberPath(2, 'a'))).toBe('VALID');
    await storage.close();

    const reopened = await open(r);
    expect(reopened.recovery.crashRecovery).toBe(false);
    await expectLedger(reopened, counters, ledger, 'after reopen:');

    // The seed's repair: drop the failed member and create it again.
    await switchAwayFrom(reopened, 2);
    await dropLogMember(reopened, lost);
    expect(group(reopened, 2).members.map((member) => member.path)).toEqual([memberPath(2, 'a')]);
    expect(await addLogMember(reopened, 2, lost)).toBe('STALE');
    await expectUnwritten(r.fs, lost);
    expect(alertLines(r, /\[notice\] ALTER DATABASE (DROP|ADD) LOGFILE MEMBER/)).toHaveLength(2);

    await switchInto(reopened, 2);
    expect(memberStatus(reopened, lost)).toBe('VALID');
    const tsns: number[] = [];
    for (let i = 0; i < 10; i++) tsns.push(await increment(reopened, counters, i % counters.length, ledger));
    const sequence = group(reopened, 2).sequence;
    expect(decodeLogFileHeader(await r.fs.readFile(lost))).toMatchObject({ groupNumber: 2, sequence });
    await expectWrittenLikeSibling(r.fs, 2, sequence, lost, memberPath(2, 'a'), tsns);
    await reopened.close();

    const last = await open(r);
    await expectLedger(last, counters, ledger, 'after the recreated member was used:');
    await last.close();
  });

  it('drops a member of the CURRENT group that fails every write, keeps committing, and recreates it', async () => {
    const { r, storage } = await freshStorage(12);
    const counters = await makeCounters(storage, 6);
    const ledger = newLedger();
    const failing = memberPath(1, 'a');
    const fault = r.fs.injectFault({ operations: ['write'], path: failing, error: 'EIO', times: Infinity });

    await runWorkload(storage, counters, new SeededRandom(12), ledger, { steps: 30 });
    expect(ledger.failures).toEqual([]);
    expect(acknowledgedTotal(ledger)).toBe(120);
    expect(
      alertLines(
        r,
        new RegExp(`\\[warning\\] TDB-2002: log member '${escapeRegExp(failing)}' of group 1 failed a write`),
      ),
    ).toHaveLength(1);
    expect(memberStatus(storage, failing)).toBe('INVALID');

    // The disk is replaced: the member is recreated while its group is still CURRENT. It
    // cannot hold the redo already written, so LGWR leaves it alone until the next switch into group 1.
    fault.remove();
    expectDbError(await rejection(recreateLogMember(storage, memberPath(1, 'b'))), 'REDO_LOG_IN_USE', 'CURRENT');
    expect(await recreateLogMember(storage, failing)).toBe('STALE');
    for (let i = 0; i < 5; i++) await increment(storage, counters, i, ledger);
    await expectUnwritten(r.fs, failing);

    await switchInto(storage, 2);
    await switchInto(storage, 1);
    expect(memberStatus(storage, failing)).toBe('VALID');
    const tsns = [await increment(storage, counters, 0, ledger), await increment(storage, counters, 1, ledger)];
    await expectWrittenLikeSibling(r.fs, 1, group(storage, 1).sequence, failing, memberPath(1, 'b'), tsns);
    await storage.close();

    const reopened = await open(r);
    await expectLedger(reopened, counters, ledger);
    await reopened.close();
  });

  it('goes down at the switch when every member of the next group is deleted (TDB-2003); cleared at MOUNT, it opens again', async () => {
    const { r, storage } = await freshStorage(13);
    const counters = await makeCounters(storage, 4);
    const ledger = newLedger();
    await runWorkload(storage, counters, new SeededRandom(13), ledger, { steps: 10 });
    expect(ledger.failures).toEqual([]);
    const lost = [memberPath(2, 'a'), memberPath(2, 'b')];
    for (const path of lost) await r.fs.unlink(path);

    const switching = alterSystemSwitchLogfile(storage);
    // These commits wait for the switch to make room, and the switch never does.
    const pending = counters.map((_, index) => increment(storage, counters, index, ledger));
    expectDbError(await rejection(switching), 'REDO_GROUP_LOST', 'log group 2', ...lost);
    for (const commit of pending) {
      const error = await rejection(commit);
      expect(isDbError(error, 'REDO_GROUP_LOST') || isDbError(error, 'INSTANCE_DOWN'), String(error)).toBe(true);
    }
    expect(alertLines(r, /\[error\] TDB-2003: every member of log group 2 is lost/)).toHaveLength(1);
    // Later work fails too, with TDB-4003.
    const later = await rejection(storage.mtr(() => 0));
    expect(isDbError(later, 'INSTANCE_DOWN'), String(later)).toBe(true);
    expectDbError(await rejection(addLogMember(storage, 3, `${DIR}/late.log`)), 'INSTANCE_DOWN');
    expect(await r.fs.exists(`${DIR}/late.log`)).toBe(false);

    // The process dies with the instance. At the next boot, OPEN cannot switch into group 2
    // after crash recovery either.
    r.fs.crash();
    expectDbError(await rejection(open(r)), 'REDO_GROUP_LOST', 'log group 2');
    r.fs.crash(); // the failed OPEN's handles die with its process

    // The operator's MOUNT: the boot check names the group; clearing it recreates its members.
    const { control } = await ControlFiles.mount(r.fs, CONTROL_PATHS);
    expectDbError(await rejection(verifyOnlineLogs(control, r.fs)), 'REDO_LOG_MISSING', 'log group 2', ...lost);
    await clearLogGroup(control, r.fs, 2, { clock: r.clock, alert: r.alert });
    expect((await verifyOnlineLogs(control, r.fs)).warnings).toEqual([]);
    await control.close();
    expect(alertLines(r, /\[notice\] ALTER DATABASE CLEAR LOGFILE GROUP 2/)).toHaveLength(1);

    const reopened = await open(r);
    expect(reopened.recovery.crashRecovery).toBe(true);
    await expectLedger(reopened, counters, ledger, 'after clearing group 2:');
    expect(group(reopened, 2).members.every((member) => member.status === 'VALID')).toBe(true);
    await switchInto(reopened, 3);
    await switchInto(reopened, 2);
    for (let i = 0; i < 4; i++) await increment(reopened, counters, i, ledger);
    await reopened.close();
  });

  // Regression: Storage.open once never recorded LGWR's fatal error, so mtr() reported the
  // redo error instead of TDB-4003 (INSTANCE_DOWN).
  it('reports TDB-4003 (INSTANCE_DOWN) from storage.mtr once LGWR has taken the instance down', async () => {
    const { r, storage } = await freshStorage(14);
    for (const path of [memberPath(2, 'a'), memberPath(2, 'b')]) await r.fs.unlink(path);
    await rejection(alterSystemSwitchLogfile(storage));
    expect(storage.fatalError?.code).toBe('TDB-2003');
    expectDbError(await rejection(storage.mtr(() => 0)), 'INSTANCE_DOWN');
  });

  it('keeps writing the CURRENT group through its open handles after its files are deleted; the group is then dropped and replaced', async () => {
    const { r, storage } = await freshStorage(15);
    const counters = await makeCounters(storage, 6);
    const ledger = newLedger();
    const random = new SeededRandom(15);
    // Used since boot (LGWR holds a descriptor): "continues normally", as the seed says.
    for (const letter of ['a', 'b'] as const) await r.fs.unlink(memberPath(1, letter));
    await runWorkload(storage, counters, random, ledger, { steps: 30 });
    expect(ledger.failures).toEqual([]);
    expect(acknowledgedTotal(ledger)).toBe(120);
    expect(alertLines(r, /TDB-200[23]/)).toEqual([]);

    // The deleted files would vanish with the process, and their redo with them: move off
    // the group, make its redo unneeded, and replace it.
    await alterSystemSwitchLogfile(storage);
    expectDbError(await rejection(dropLogGroup(storage, 1)), 'REDO_LOG_IN_USE', 'ACTIVE', 'CHECKPOINT');
    await alterSystemCheckpoint(storage);
    expect(group(storage, 1).state).toBe('INACTIVE');
    await dropLogGroup(storage, 1);
    const paths = [`${DIR}/redo04a.log`, `${DIR}/redo04b.log`];
    expect(await addLogGroup(storage, { members: paths, sizeBytes: LOG_BYTES })).toBe(4);
    await runWorkload(storage, counters, random, ledger, { steps: 30, switchChance: 0.1 });
    expect(ledger.failures).toEqual([]);
    await switchInto(storage, 4);
    await increment(storage, counters, 0, ledger);
    expect(group(storage, 4).sequence).toBeGreaterThan(0);
    await storage.close();

    const reopened = await open(r);
    await expectLedger(reopened, counters, ledger);
    expect(reopened.control.state.logGroups.map((entry) => entry.number)).toEqual([2, 3, 4]);
    await reopened.close();
  });

  it('loses the deleted CURRENT group with the process at a crash: OPEN fails naming its members (TDB-2004)', async () => {
    const { r, storage } = await freshStorage(16);
    const counters = await makeCounters(storage, 4);
    const deleted = [memberPath(1, 'a'), memberPath(1, 'b')];
    for (const path of deleted) await r.fs.unlink(path);
    await runWorkload(storage, counters, new SeededRandom(16), newLedger(), { steps: 5 });
    r.fs.crash();

    const { control } = await ControlFiles.mount(r.fs, CONTROL_PATHS);
    expectDbError(
      await rejection(verifyOnlineLogs(control, r.fs)),
      'REDO_LOG_MISSING',
      'CURRENT log group 1',
      ...deleted,
      'media recovery',
    );
    await control.close();
    expectDbError(await rejection(open(r)), 'REDO_LOG_MISSING', 'log group 1', ...deleted);
  });
});

describe('log administration while OPEN', () => {
  it('adds and drops members with their rules, each change in the control file and the alert log', async () => {
    const { r, storage } = await freshStorage(21);
    const extra = `${DIR}/redo03c.log`;

    expectDbError(await rejection(addLogMember(storage, 9, extra)), 'REDO_LOG_CONFIG', 'log group 9');
    expectDbError(await rejection(addLogMember(storage, 3, memberPath(2, 'a'))), 'FILE_EXISTS', 'log group 2');
    expectDbError(await rejection(addLogMember(storage, 3, USR_PATH)), 'FILE_EXISTS', 'datafile 2');
    expectDbError(await rejection(addLogMember(storage, 3, CONTROL_PATHS[1])), 'FILE_EXISTS', 'control file');
    expectDbError(await rejection(addLogMember(storage, 3, `${DIR}/doublewrite.dat`)), 'FILE_EXISTS', 'remove it');
    expectDbError(await rejection(addLogMember(storage, 3, '/nowhere/redo.log')), 'REDO_LOG_CONFIG', 'directory');
    expect(await r.fs.exists('/nowhere')).toBe(false);

    // Group 3 is UNUSED: the new member is as good as the others at once.
    expect(await addLogMember(storage, 3, extra)).toBe('VALID');
    expect(decodeLogFileHeader(await r.fs.readFile(extra))).toMatchObject({ groupNumber: 3, sequence: 0 });
    expect((await r.fs.stat(extra)).sizeBytes).toBe(LOG_BYTES);
    // Group 1 is CURRENT: its new member waits for the next switch into it.
    expect(await addLogMember(storage, 1, `${DIR}/redo01c.log`)).toBe('STALE');

    expectDbError(await rejection(dropLogMember(storage, `${DIR}/nothing.log`)), 'NO_SUCH_DATABASE_FILE');
    expectDbError(await rejection(dropLogMember(storage, memberPath(1, 'a'))), 'REDO_LOG_IN_USE', 'CURRENT');
    expectDbError(await rejection(dropLogMember(storage, `${DIR}/redo01c.log`)), 'REDO_LOG_IN_USE', 'CURRENT');
    await dropLogMember(storage, memberPath(3, 'a'));
    await dropLogMember(storage, memberPath(3, 'b'));
    expect(await r.fs.exists(memberPath(3, 'a'))).toBe(false);
    expectDbError(await rejection(dropLogMember(storage, extra)), 'REDO_LOG_IN_USE', 'only member');
    expect(group(storage, 3).members).toEqual([{ path: extra, status: 'VALID' }]);

    // The switch into group 1 makes its STALE member VALID. Its last VALID member, beside a STALE one, stays.
    await switchInto(storage, 2);
    expect(memberStatus(storage, `${DIR}/redo01c.log`)).toBe('STALE');
    await switchInto(storage, 1);
    expect(memberStatus(storage, `${DIR}/redo01c.log`)).toBe('VALID');
    await switchInto(storage, 2);
    expect(await addLogMember(storage, 1, `${DIR}/redo01d.log`)).toBe('STALE');
    await dropLogMember(storage, memberPath(1, 'a'));
    await dropLogMember(storage, memberPath(1, 'b'));
    expectDbError(await rejection(dropLogMember(storage, `${DIR}/redo01c.log`)), 'REDO_LOG_IN_USE', 'last VALID');
    expect(memberStatus(storage, `${DIR}/redo01c.log`)).toBe('VALID');
    await dropLogMember(storage, `${DIR}/redo01d.log`);

    expect(alertLines(r, /\[notice\] ALTER DATABASE ADD LOGFILE MEMBER/)).toHaveLength(3);
    expect(alertLines(r, /\[notice\] ALTER DATABASE DROP LOGFILE MEMBER/)).toHaveLength(5);

    // Every group still works, and the control file survives a restart.
    const counters = await makeCounters(storage, 2);
    const ledger = newLedger();
    for (let round = 0; round < 4; round++) {
      await alterSystemSwitchLogfile(storage);
      await increment(storage, counters, round % 2, ledger);
    }
    expect(alertLines(r, /TDB-200\d/)).toEqual([]);
    await storage.close();
    const reopened = await open(r);
    expect(group(reopened, 3).members.map((member) => member.path)).toEqual([extra]);
    await expectLedger(reopened, counters, ledger);
    await reopened.close();
  });

  it('adds and drops groups with their rules', async () => {
    const { r, storage } = await freshStorage(22);
    const paths = [`${DIR}/redo04a.log`, `${DIR}/redo04b.log`];

    expectDbError(
      await rejection(addLogGroup(storage, { members: paths, sizeBytes: 64 * 1024 })),
      'REDO_LOG_CONFIG',
      'too small',
    );
    expectDbError(await rejection(addLogGroup(storage, { members: [], sizeBytes: LOG_BYTES })), 'REDO_LOG_CONFIG');
    expectDbError(
      await rejection(addLogGroup(storage, { members: [paths[0], paths[0]], sizeBytes: LOG_BYTES })),
      'FILE_EXISTS',
    );
    expectDbError(
      await rejection(addLogGroup(storage, { members: [paths[0], memberPath(1, 'a')], sizeBytes: LOG_BYTES })),
      'FILE_EXISTS',
    );
    expect(await r.fs.exists(paths[0])).toBe(false);

    expect(await addLogGroup(storage, { members: paths, sizeBytes: LOG_BYTES })).toBe(4);
    expect(group(storage, 4)).toMatchObject({ state: 'UNUSED', sequence: 0, sizeBytes: LOG_BYTES });
    for (const path of paths) expect(decodeLogFileHeader(await r.fs.readFile(path))?.groupNumber).toBe(4);

    expectDbError(await rejection(dropLogGroup(storage, 1)), 'REDO_LOG_IN_USE', 'CURRENT');
    expectDbError(await rejection(dropLogGroup(storage, 7)), 'REDO_LOG_CONFIG');
    await dropLogGroup(storage, 4);
    for (const path of paths) expect(await r.fs.exists(path)).toBe(false);

    await alterSystemSwitchLogfile(storage);
    expect(group(storage, 1).state).toBe('ACTIVE');
    expectDbError(await rejection(dropLogGroup(storage, 1)), 'REDO_LOG_IN_USE', 'ACTIVE');
    await alterSystemCheckpoint(storage);
    await dropLogGroup(storage, 1);
    expectDbError(await rejection(dropLogGroup(storage, 3)), 'REDO_LOG_CONFIG', 'at least 2');
    expect(alertLines(r, /\[notice\] ALTER DATABASE (ADD|DROP) LOGFILE GROUP/)).toHaveLength(3);

    // Two groups left: LGWR cycles through them, and they survive a restart.
    const counters = await makeCounters(storage, 2);
    const ledger = newLedger();
    for (let round = 0; round < 3; round++) {
      await alterSystemSwitchLogfile(storage);
      await increment(storage, counters, round % 2, ledger);
    }
    await storage.close();
    expectDbError(await rejection(addLogGroup(storage, { members: paths, sizeBytes: LOG_BYTES })), 'INSTANCE_DOWN');
    const reopened = await open(r);
    expect(reopened.control.state.logGroups.map((entry) => entry.number)).toEqual([2, 3]);
    await expectLedger(reopened, counters, ledger);
    await reopened.close();
  });

  it('never reads a STALE member: crash recovery ignores it, and a reader that forgot the status is refused by its header', async () => {
    const { r, storage } = await freshStorage(23);
    const counters = await makeCounters(storage, 4);
    const ledger = newLedger();
    const stale = `${DIR}/redo01c.log`;
    await runWorkload(storage, counters, new SeededRandom(23), ledger, { steps: 5 });
    expect(await addLogMember(storage, 1, stale)).toBe('STALE');
    await runWorkload(storage, counters, new SeededRandom(24), ledger, { steps: 5 });

    // A reader given every member meets the stale one's empty header and reads the others.
    const current = group(storage, 1);
    const entries: LogScanEntry[] = [];
    const scan = await scanLogGroup(
      r.fs,
      { groupNumber: 1, sequence: current.sequence, memberPaths: [stale, memberPath(1, 'a')] },
      (batch) => void entries.push(...batch),
    );
    expect(scan.warnings.join('\n')).toContain(`TDB-2006: log member '${stale}'`);
    expect(entries.length).toBeGreaterThan(40);

    // OPEN starts LGWR in the CURRENT group, where it writes the VALID members only.
    await storage.close();
    const reopened = await open(r);
    expect(reopened.redo.groupNumber).toBe(1);
    await runWorkload(reopened, counters, new SeededRandom(25), ledger, { steps: 10 });
    expect(ledger.failures).toEqual([]);
    await expectUnwritten(r.fs, stale);

    r.fs.crash();
    const recovered = await open(r);
    expect(recovered.recovery.records).toBeGreaterThanOrEqual(40);
    expect(alertLines(r, new RegExp(escapeRegExp(stale)))).toHaveLength(1); // the ADD notice alone
    await expectLedger(recovered, counters, ledger, 'after crash recovery:');
    expect(memberStatus(recovered, stale)).toBe('STALE');
    await recovered.close();
  });

  it('runs alongside sessions that commit, checkpoint and switch logs, and the database stays sound (seeded)', async () => {
    const baseSeed = seedFromEnvironment();
    for (let run = 0; run < 6; run++) {
      const seed = baseSeed + run;
      const r = rig(seed);
      const random = new SeededRandom(seed);
      await create(r);
      const storage = await open(r);
      const counters = await makeCounters(storage, 8);
      const ledger = newLedger();
      const [outcome] = await Promise.all([
        administerRandomly(r, storage, random, seed),
        runWorkload(storage, counters, random, ledger, { steps: 40, switchChance: 0.08, checkpointChance: 0.08 }),
      ]);
      expect(outcome.done, `seed ${seed}`).toBe(ADMINISTRATION_TARGET);
      expect(ledger.failures, `seed ${seed}`).toEqual([]);
      expect(alertLines(r, /TDB-200[123]/), `seed ${seed}`).toEqual([]);
      const state = storage.control.state;
      expect(
        state.logGroups.filter((entry) => entry.state === 'CURRENT'),
        `seed ${seed}`,
      ).toHaveLength(1);
      await expectMembersOnDisk(r, storage, `seed ${seed}`);
      await storage.close();

      const reopened = await open(r);
      await expectLedger(reopened, counters, ledger, `seed ${seed}:`);
      await expectEveryGroupWritable(r, reopened, counters, ledger, `seed ${seed}`);
      await reopened.close();
    }
  });

  it('leaves a control file naming only sound members after a crash at any point of log administration (seeded)', async () => {
    const baseSeed = seedFromEnvironment();
    const runs = Number(process.env.TANDEM_CRASH_RUNS ?? 80);
    let crashedDuringAdministration = 0;
    for (let run = 0; run < runs; run++) {
      const seed = baseSeed + run;
      const r = rig(seed);
      const random = new SeededRandom(seed);
      await create(r);
      const storage = await open(r);
      const counters = await makeCounters(storage, 8);
      const ledger = newLedger();
      r.fs.crashAfterOperations(random.int(1, 500));
      const [outcome] = await Promise.all([
        administerRandomly(r, storage, random, seed),
        runWorkload(storage, counters, random, ledger, { steps: 40, switchChance: 0.08, checkpointChance: 0.08 }),
      ]);
      if (outcome.interrupted) crashedDuringAdministration++;
      r.fs.crash();

      const recovered = await open(r).catch((error: unknown) => {
        throw new Error(`seed ${seed}: OPEN after a crash failed: ${String(error)}\n${r.alert.lines.join('')}`);
      });
      await expectLedger(recovered, counters, ledger, `seed ${seed}:`);
      await expectMembersOnDisk(r, recovered, `seed ${seed}`);
      await expectEveryGroupWritable(r, recovered, counters, ledger, `seed ${seed}`);
      await recovered.close();
    }
    // The crash points really fell inside log administration, not only in the workload.
    expect(crashedDuringAdministration).toBeGreaterThan(runs / 4);
  });
});

/** How many log administration operations each seeded run carries out. */
const ADMINISTRATION_TARGET = 12;

/**
 * Random log administration (add/drop members and groups, recreate members) while the
 * database runs. A refusal (TDB-2009, TDB-2007) is the rules at work; a disk frozen by a
 * simulated crash stops it; any other error fails the test.
 */
async function administerRandomly(
  r: Rig,
  storage: Storage,
  random: SeededRandom,
  seed: number,
): Promise<{ readonly done: number; readonly interrupted: boolean }> {
  let done = 0;
  let made = 0;
  // Refusals are common (a CURRENT or ACTIVE group, a last VALID member), so it goes on until
  // ADMINISTRATION_TARGET operations were carried out; adds are never refused, so the cap is
  // only a guard.
  for (let attempt = 0; done < ADMINISTRATION_TARGET && attempt < 200; attempt++) {
    const groups = storage.control.state.logGroups;
    const someGroup = groups[random.int(0, groups.length)];
    const someMember = someGroup.members[random.int(0, someGroup.members.length)];
    const roll = random.int(0, 5);
    try {
      if (roll === 0) await addLogMember(storage, someGroup.number, `${DIR}/extra-${made++}.log`);
      else if (roll === 1) await dropLogMember(storage, someMember.path);
      else if (roll === 2) {
        const paths = [`${DIR}/extra-${made++}.log`, `${DIR}/extra-${made++}.log`];
        await addLogGroup(storage, { members: paths, sizeBytes: LOG_BYTES });
      } else if (roll === 3) await dropLogGroup(storage, someGroup.number);
      else await recreateLogMember(storage, someMember.path);
      done++;
    } catch (error) {
      if (r.fs.isFrozen || isDbError(error, 'INSTANCE_DOWN')) return { done, interrupted: r.fs.isFrozen };
      if (!isDbError(error, 'REDO_LOG_IN_USE') && !isDbError(error, 'REDO_LOG_CONFIG')) {
        throw new Error(`seed ${seed}: log administration failed: ${String(error)}`, { cause: error });
      }
    }
  }
  return { done, interrupted: false };
}

/** Every member the control file names exists, and every group has a VALID member. */
async function expectMembersOnDisk(r: Rig, storage: Storage, context: string): Promise<void> {
  for (const entry of storage.control.state.logGroups) {
    expect(
      entry.members.some((member) => member.status === 'VALID'),
      `${context}: group ${entry.number} has no VALID member`,
    ).toBe(true);
    for (const member of entry.members) {
      if (member.status === 'INVALID') continue;
      expect(await r.fs.exists(member.path), `${context}: ${member.status} member '${member.path}'`).toBe(true);
    }
  }
}

/** Every group the administration left behind can be switched into and written, without losing a member. */
async function expectEveryGroupWritable(
  r: Rig,
  storage: Storage,
  counters: readonly BlockAddress[],
  ledger: Ledger,
  context: string,
): Promise<void> {
  const before = alertLines(r, /TDB-200[123]/).length;
  for (let round = 0; round <= storage.control.state.logGroups.length; round++) {
    await alterSystemSwitchLogfile(storage);
    await increment(storage, counters, round % counters.length, ledger);
  }
  expect(alertLines(r, /TDB-200[123]/).slice(before), context).toEqual([]);
}
