import { ManualClock, SeededRandom, SimulatedFileSystem, seedFromEnvironment } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import { ControlFiles } from '../control/control-file.js';
import type { ControlFileState, LogGroupEntry } from '../control/control-state.js';
import type { DbError } from '../errors.js';
import { isDbError } from '../errors.js';
import { MemoryAlertLog } from '../instance/alert-log.js';
import { createLogMember, LOG_FILE_HEADER_BYTES, scanLogGroup, type LogScanEntry } from './log-file.js';
import { LogWriter, type LogWriterHost } from './log-writer.js';
import { RedoFlag } from './redo-record.js';

const GROUP_BYTES = 64 * 1024;
const DB_ID = 777;

interface Rig {
  readonly fs: SimulatedFileSystem;
  readonly control: ControlFiles;
  readonly alert: MemoryAlertLog;
  readonly writer: LogWriter;
  readonly fatal: DbError[];
  readonly reuseRequests: number[];
}

function memberPath(group: number, member: number): string {
  return `/disk${member}/redo${group}${String.fromCharCode(96 + member)}.log`;
}

/** Three groups of two members, group 1 CURRENT at sequence 1, as `db init` will make them. */
async function rig(seed = 1, options: { groups?: number } = {}): Promise<Rig> {
  const clock = new ManualClock();
  const fs = new SimulatedFileSystem({ random: new SeededRandom(seed), clock });
  for (const dir of ['/disk1', '/disk2', '/ctl']) await fs.mkdir(dir);
  await fs.syncDirectory('/');
  const groupCount = options.groups ?? 3;
  const logGroups: LogGroupEntry[] = [];
  for (let number = 1; number <= groupCount; number++) {
    const members = [memberPath(number, 1), memberPath(number, 2)];
    for (const path of members) {
      await createLogMember(fs, path, {
        dbId: DB_ID,
        groupNumber: number,
        sequence: number === 1 ? 1 : 0,
        firstTsn: number === 1 ? 1 : 0,
        resetlogsTsn: 0,
        createdMs: clock.nowMs(),
        sizeBytes: GROUP_BYTES,
      });
    }
    logGroups.push({
      number,
      sizeBytes: GROUP_BYTES,
      members: members.map((path) => ({ path, status: 'VALID' as const })),
      sequence: number === 1 ? 1 : 0,
      firstTsn: number === 1 ? 1 : 0,
      endBytes: 0,
      nextTsn: 0,
      state: number === 1 ? 'CURRENT' : 'UNUSED',
    });
  }
  await fs.syncDirectory('/disk1');
  await fs.syncDirectory('/disk2');
  const state: ControlFileState = {
    formatVersion: 1,
    dbName: 'tandem',
    dbId: DB_ID,
    createdMs: clock.nowMs(),
    blockBytes: 8192,
    logMode: 'NOARCHIVELOG',
    incarnation: { number: 1, resetlogsTsn: 0, resetlogsMs: clock.nowMs() },
    checkpoint: { sequence: 1, offsetBytes: LOG_FILE_HEADER_BYTES, tsn: 1 },
    checkpointMs: clock.nowMs(),
    cleanShutdown: false,
    tablespaces: [],
    datafiles: [],
    logGroups,
  };
  const control = await ControlFiles.create(fs, ['/ctl/control01.ctl'], state);
  const alert = new MemoryAlertLog(clock);
  const fatal: DbError[] = [];
  const reuseRequests: number[] = [];
  const host: LogWriterHost = {
    fs,
    clock,
    alert,
    control,
    // Stands in for the checkpoint: the group's redo is declared covered.
    makeReusable: async (groupNumber) => {
      reuseRequests.push(groupNumber);
      await control.update((s) => ({
        ...s,
        logGroups: s.logGroups.map((g) => (g.number === groupNumber ? { ...g, state: 'INACTIVE' as const } : g)),
      }));
    },
    onFatal: (error) => fatal.push(error),
  };
  const writer = await LogWriter.start(host, {
    groupNumber: 1,
    sequence: 1,
    writeOffsetBytes: LOG_FILE_HEADER_BYTES,
    lastTsn: 0,
  });
  return { fs, control, alert, writer, fatal, reuseRequests };
}

function change(blockNumber: number, payloadBytes = 40, fill = blockNumber & 0xff) {
  return { fileNumber: 1, blockNumber, opcode: 7, payload: new Uint8Array(payloadBytes).fill(fill) };
}

/** Appends a one-change record, waiting for a log switch when the log is full. */
async function append(writer: LogWriter, blockNumber: number, flags = 0, payloadBytes = 40): Promise<number> {
  for (;;) {
    const tsn = writer.tryAppend({ flags, txnId: 1, changes: [change(blockNumber, payloadBytes)] });
    if (tsn !== undefined) return tsn;
    await writer.waitForSpace();
  }
}

async function readGroup(
  r: Rig,
  groupNumber: number,
  endBytes?: number,
): Promise<{ entries: LogScanEntry[]; warnings: readonly string[] }> {
  const group = r.control.state.logGroups.find((g) => g.number === groupNumber)!;
  const entries: LogScanEntry[] = [];
  const result = await scanLogGroup(
    r.fs,
    {
      groupNumber,
      sequence: group.sequence,
      memberPaths: group.members.map((m) => m.path),
      ...(endBytes === undefined ? {} : { endBytes }),
    },
    (batch) => {
      entries.push(...batch);
    },
  );
  return { entries, warnings: result.warnings };
}

describe('LGWR', () => {
  it('acknowledges concurrent commits with shared syncs (group commit) and writes them in TSN order', async () => {
    const r = await rig();
    // The first commit starts a write round alone; nine more commit while it is in flight.
    const first = r.writer.tryAppend({ flags: RedoFlag.Commit, txnId: 1, changes: [change(0)] })!;
    const acknowledged = [r.writer.flush(first)];
    const tsns = [first];
    for (let i = 1; i < 10; i++) {
      const tsn = r.writer.tryAppend({ flags: RedoFlag.Commit, txnId: 1 + i, changes: [change(i)] })!;
      tsns.push(tsn);
      acknowledged.push(r.writer.flush(tsn));
    }
    await Promise.all(acknowledged);
    expect(tsns).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(r.writer.flushedTsn).toBe(10);
    // The nine share the second round's single sync per member.
    expect(r.writer.statistics.writeRounds).toBe(2);

    const { entries } = await readGroup(r, 1);
    expect(entries.map((e) => e.record.tsn)).toEqual(tsns);
    expect(entries.every((e) => e.record.flags === RedoFlag.Commit)).toBe(true);
    expect(entries[3].record.changes[0].payload).toEqual(change(3).payload);
  });

  it('switches to the next group when the log is full, and reuses a group only after it is made reusable', async () => {
    const r = await rig();
    // ~1 KiB records: each 64 KiB group holds about 60; 250 records wrap around the 3 groups.
    for (let i = 0; i < 250; i++) await r.writer.flush(await append(r.writer, i, 0, 1000));
    expect(r.writer.statistics.switches).toBeGreaterThanOrEqual(3);
    expect(r.reuseRequests.length).toBeGreaterThan(0);
    const groups = r.control.state.logGroups;
    expect(groups.filter((g) => g.state === 'CURRENT')).toHaveLength(1);
    const current = groups.find((g) => g.state === 'CURRENT')!;
    expect(current.sequence).toBe(r.writer.sequence);
    expect(r.alert.lines.join('')).toMatch(/\[notice\] log switch: sequence 1 \(group 1\) -> sequence 2 \(group 2\)/);

    // Each switched-out group records where its redo ends; reading it stops exactly there.
    const previous = groups.find((g) => g.sequence === current.sequence - 1)!;
    expect(previous.state).toBe('ACTIVE');
    const { entries } = await readGroup(r, previous.number, previous.endBytes);
    expect(entries[0].record.tsn).toBe(previous.firstTsn);
    expect(entries[entries.length - 1].record.tsn).toBe(previous.nextTsn - 1);
  });

  it('ALTER SYSTEM SWITCH LOGFILE moves to the next group after writing what is buffered', async () => {
    const r = await rig();
    const tsn = await append(r.writer, 1);
    await r.writer.switchLogfile();
    expect(r.writer.flushedTsn).toBe(tsn);
    expect(r.writer.sequence).toBe(2);
    expect(r.control.state.logGroups.find((g) => g.number === 2)!.state).toBe('CURRENT');
    expect(r.control.state.logGroups.find((g) => g.number === 1)!.nextTsn).toBe(tsn + 1);
  });

  it('carries on with a warning when one member of the next group is lost, and marks it INVALID', async () => {
    const r = await rig();
    await r.fs.unlink(memberPath(2, 1));
    await r.writer.flush(await append(r.writer, 1));
    await r.writer.switchLogfile();
    await r.writer.flush(await append(r.writer, 2));
    expect(r.fatal).toEqual([]);
    expect(r.alert.lines.join('')).toMatch(
      /\[warning\] TDB-2002: log member '\/disk1\/redo2a\.log' of group 2 is missing/,
    );
    const group2 = r.control.state.logGroups.find((g) => g.number === 2)!;
    expect(group2.members.map((m) => m.status)).toEqual(['INVALID', 'VALID']);
  });

  it('goes down with TDB-2003 when every member of the next group is lost', async () => {
    const r = await rig();
    await r.fs.unlink(memberPath(2, 1));
    await r.fs.unlink(memberPath(2, 2));
    await r.writer.flush(await append(r.writer, 1));
    const switched = r.writer.switchLogfile().then(
      () => undefined,
      (error: unknown) => error,
    );
    const error = await switched;
    expect(isDbError(error, 'REDO_GROUP_LOST')).toBe(true);
    expect(r.fatal.map((e) => e.code)).toEqual(['TDB-2003']);
    expect(r.alert.lines.join('')).toMatch(/\[error\] TDB-2003: every member of log group 2 is lost/);
    expect(() => r.writer.tryAppend({ flags: 0, txnId: 1, changes: [change(1)] })).toThrow(/TDB-2003/);
  });

  it('drops a member that fails its sync, with a warning, and still acknowledges the commit', async () => {
    const r = await rig();
    r.fs.injectFault({ operations: ['datasync'], path: memberPath(1, 2), error: 'EIO' });
    const tsn = await append(r.writer, 1, RedoFlag.Commit);
    await r.writer.flush(tsn);
    expect(r.fatal).toEqual([]);
    expect(r.alert.lines.join('')).toMatch(
      /\[warning\] TDB-2002: log member '\/disk2\/redo1b\.log' of group 1 failed a write/,
    );
    await r.writer.flush(await append(r.writer, 2));
    expect(r.control.state.logGroups[0].members.map((m) => m.status)).toEqual(['VALID', 'INVALID']);
  });

  it('goes down and fails the waiting commits when every member of the current group fails', async () => {
    const r = await rig();
    r.fs.injectFault({ operations: ['write'], path: /redo1/, error: 'EIO', times: 2 });
    const tsn = await append(r.writer, 1, RedoFlag.Commit);
    await expect(r.writer.flush(tsn)).rejects.toThrow(/TDB-2003/);
    expect(r.fatal).toHaveLength(1);
  });

  it('keeps every acknowledged record through a crash; the torn tail ends the redo and is not reported as damage', async () => {
    const baseSeed = seedFromEnvironment();
    for (let run = 0; run < 60; run++) {
      const seed = baseSeed + run;
      const r = await rig(seed);
      const random = new SeededRandom(seed);
      const acknowledged: number[] = [];
      r.fs.crashAfterOperations(random.int(5, 80));
      const sessions = Array.from({ length: 6 }, async (_, session) => {
        for (let i = 0; i < 10; i++) {
          const tsn = await append(r.writer, session * 100 + i, RedoFlag.Commit, random.int(20, 400)).catch(
            () => undefined,
          );
          if (tsn === undefined) return;
          const ok = await r.writer.flush(tsn).then(
            () => true,
            () => false,
          );
          if (!ok) return;
          acknowledged.push(tsn);
        }
      });
      await Promise.all(sessions);
      r.fs.crash();
      const { entries } = await readGroup(r, 1).catch((error: unknown) => {
        throw new Error(`seed ${seed}: reading the log after a crash failed: ${String(error)}`);
      });
      const found = new Set(entries.map((e) => e.record.tsn));
      for (const tsn of acknowledged) expect(found.has(tsn), `seed ${seed}: acknowledged TSN ${tsn} lost`).toBe(true);
      // What is read is a gapless prefix of the TSNs.
      expect(
        entries.map((e) => e.record.tsn),
        `seed ${seed}`,
      ).toEqual(entries.map((_, i) => i + 1));
    }
  });

  it('reads a record damaged in one member from the other, and reports damage in every member as TDB-2001', async () => {
    const r = await rig();
    for (let i = 0; i < 20; i++) await r.writer.flush(await append(r.writer, i, RedoFlag.Commit, 100));
    const offset = LOG_FILE_HEADER_BYTES + 5 * 156 + 60; // inside the sixth record
    r.fs.flipBit(memberPath(1, 1), offset, 2);
    const repaired = await readGroup(r, 1);
    expect(repaired.entries).toHaveLength(20);
    expect(repaired.warnings.join('\n')).toMatch(/TDB-2001: log member '\/disk1\/redo1a\.log'.*damaged/);

    r.fs.flipBit(memberPath(1, 2), offset, 2);
    const error = await readGroup(r, 1).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isDbError(error, 'REDO_RECORD_CORRUPT'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/log sequence 1 .* damaged in every member/);
  });
});
