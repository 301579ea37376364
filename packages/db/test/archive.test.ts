// ARCHIVELOG mode on the simulated disk: the archiver copies every switched-out log to each
// destination and verifies it; a group is not reused before it is archived, so a full
// destination stops redo (with one [error]) instead of losing a log, and everything
// resumes by itself once the destination has room; a damaged member is archived from its
// sibling; a log left unarchived at shutdown is archived at the next OPEN.
import { SeededRandom } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import { alterSystemArchiveLogCurrent } from '../src/instance/log-admin.js';
import {
  archivedLogName,
  readArchivedLog,
  scanArchiveDestinations,
  verifyArchivedLog,
} from '../src/redo/archive-file.js';
import { decodeLogFileHeader, LOG_FILE_HEADER_BYTES, scanLogGroup } from '../src/redo/log-file.js';
import {
  alertLines,
  ARCHIVE_DESTINATIONS,
  ARCHIVE_RETRY_MS,
  archivelogDatabase,
  openArchiving,
  settle,
  settled,
  create,
  expectLedger,
  group,
  increment,
  makeCounters,
  memberPath,
  newLedger,
  rig,
  runWorkload,
} from './storage-rig.js';

const DESTINATIONS = ARCHIVE_DESTINATIONS;
const RETRY_MS = ARCHIVE_RETRY_MS;

describe('the archiver', () => {
  it('copies each switched-out log to every destination, verified and self-describing', async () => {
    const seed = 4101;
    const r = await archivelogDatabase(seed);
    const storage = await openArchiving(r);
    const counters = await makeCounters(storage, 4);
    const ledger = newLedger();
    const switched: { sequence: number; firstTsn: number; nextTsn: number }[] = [];
    for (let round = 0; round < 4; round++) {
      await runWorkload(storage, counters, new SeededRandom(seed + round), ledger, { steps: 20 });
      const groupNumber = storage.redo.groupNumber;
      await storage.redo.switchLogfile();
      const entry = group(storage, groupNumber);
      switched.push({ sequence: entry.sequence, firstTsn: entry.firstTsn, nextTsn: entry.nextTsn });
    }
    await settle(r, () => storage.control.state.logGroups.every((g) => g.archived !== false), 'all archived');
    expect(ledger.failures).toEqual([]);

    const incarnation = storage.control.state.incarnation.number;
    for (const destination of DESTINATIONS) {
      for (const log of switched) {
        const path = `${destination}/${archivedLogName(incarnation, log.sequence)}`;
        const archived = await readArchivedLog(r.fs, path);
        expect(archived, path).toMatchObject({
          sequence: log.sequence,
          firstTsn: log.firstTsn,
          nextTsn: log.nextTsn,
          thread: 1,
          dbId: storage.control.state.dbId,
        });
        expect(await verifyArchivedLog(r.fs, archived!)).toBe(true);
        // Media recovery reads it like an online member: records [firstTsn, nextTsn), in order.
        const tsns: number[] = [];
        await scanLogGroup(
          r.fs,
          {
            groupNumber: archived!.groupNumber,
            sequence: log.sequence,
            memberPaths: [path],
            endBytes: archived!.bodyBytes,
          },
          (entries) => void tsns.push(...entries.map((entry) => entry.record.tsn)),
        );
        expect(tsns.length).toBeGreaterThan(0);
        expect(tsns[0]).toBe(log.firstTsn);
        expect(tsns[tsns.length - 1]).toBe(log.nextTsn - 1);
        expect(archived!.firstMs).toBeLessThanOrEqual(archived!.nextMs);
      }
    }
    const catalog = await scanArchiveDestinations(r.fs, DESTINATIONS, storage.control.state.dbId);
    expect(catalog.map((log) => log.sequence)).toEqual(switched.flatMap((log) => [log.sequence, log.sequence]));
    expect(storage.archiver.catalog).toHaveLength(catalog.length);
    expect(alertLines(r, /\[notice\] archiver: log sequence \d+ .* archived to/)).toHaveLength(switched.length);
    await expectLedger(storage, counters, ledger);
    await storage.close();
  });

  it('a full destination stops redo instead of reusing an unarchived log, and it resumes by itself', async () => {
    const seed = 4102;
    const r = await archivelogDatabase(seed);
    const storage = await openArchiving(r);
    const counters = await makeCounters(storage, 2);
    const ledger = newLedger();
    await increment(storage, counters, 0, ledger);
    const full = r.fs.injectFault({
      path: /^\/arch2\//,
      operations: ['write', 'open'],
      error: 'ENOSPC',
      times: Infinity,
    });

    // Groups 1 and 2 are switched out but cannot be archived; group 3 is CURRENT.
    const first = storage.redo.groupNumber;
    await storage.redo.switchLogfile();
    await increment(storage, counters, 1, ledger);
    await storage.redo.switchLogfile();
    await increment(storage, counters, 0, ledger);
    const unarchivedSequence = group(storage, first).sequence;
    expect(group(storage, first).archived).toBe(false);

    // The next switch needs group 1 back: it waits, and so does every commit behind it.
    const switching = storage.redo.switchLogfile();
    const switchDone = settled(switching);
    const commit = increment(storage, counters, 1, ledger);
    const commitDone = settled(commit);
    for (let i = 0; i < 200; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      if (i % 20 === 19) r.clock.advance(RETRY_MS * 4);
    }
    expect(switchDone()).toBe(false);
    expect(commitDone()).toBe(false);
    expect(storage.archiver.stalled).toBe(true);
    // The unarchived log is intact: nothing overwrote group 1.
    const header = decodeLogFileHeader(
      (await r.fs.readFile(memberPath(first, 'a'))).subarray(0, LOG_FILE_HEADER_BYTES),
    );
    expect(header?.sequence).toBe(unarchivedSequence);
    // One [error] however many retries.
    expect(alertLines(r, /\[error\] archiver: cannot archive log sequence/)).toHaveLength(1);
    expect(alertLines(r, /\[error\] archiver: .*full/)).toHaveLength(1);

    full.remove();
    await settle(r, () => switchDone() && commitDone(), 'redo resumes once the destination has room');
    await switching;
    await commit;
    expect(storage.archiver.stalled).toBe(false);
    expect(alertLines(r, /\[notice\] archiver: archiving works again/)).toHaveLength(1);
    const catalog = await scanArchiveDestinations(r.fs, ['/arch2'], storage.control.state.dbId);
    // The two that waited, and the one the waiting switch moved out.
    expect(catalog.map((log) => log.sequence)).toEqual([
      unarchivedSequence,
      unarchivedSequence + 1,
      unarchivedSequence + 2,
    ]);
    await expectLedger(storage, counters, ledger);
    await storage.close();
  });

  it('archives a damaged member from its sibling', async () => {
    const seed = 4103;
    const r = await archivelogDatabase(seed);
    const storage = await openArchiving(r);
    const counters = await makeCounters(storage, 2);
    const ledger = newLedger();
    const groupNumber = storage.redo.groupNumber;
    await runWorkload(storage, counters, new SeededRandom(seed), ledger, { steps: 10 });
    // Damage member a inside its records before the switch hands it to the archiver.
    r.fs.flipBit(memberPath(groupNumber, 'a'), LOG_FILE_HEADER_BYTES + 100, 3);
    const sequence = storage.redo.sequence;
    await storage.redo.switchLogfile();
    await settle(r, () => group(storage, groupNumber).archived === true, 'archived from member b');
    expect(
      alertLines(
        r,
        new RegExp(`\\[warning\\] archiver: log member '${memberPath(groupNumber, 'a')}' cannot be archived`),
      ),
    ).toHaveLength(2);
    for (const destination of DESTINATIONS) {
      const archived = await readArchivedLog(r.fs, `${destination}/${archivedLogName(1, sequence)}`);
      expect(await verifyArchivedLog(r.fs, archived!)).toBe(true);
    }
    await storage.close();
  });

  it('archives at the next OPEN a log left unarchived at shutdown; ARCHIVE LOG CURRENT waits for it', async () => {
    const seed = 4104;
    const r = await archivelogDatabase(seed);
    let storage = await openArchiving(r);
    const counters = await makeCounters(storage, 2);
    const ledger = newLedger();
    await increment(storage, counters, 0, ledger);
    const fault = r.fs.injectFault({ path: /^\/arch1\//, operations: ['open'], error: 'EIO', times: Infinity });
    const sequence = storage.redo.sequence;
    await storage.redo.switchLogfile();
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
    await storage.close();
    fault.remove();

    storage = await openArchiving(r);
    await settle(r, () => storage.control.state.logGroups.every((g) => g.archived !== false), 'archived at OPEN');
    expect(await readArchivedLog(r.fs, `/arch1/${archivedLogName(1, sequence)}`)).toMatchObject({ sequence });

    const current = storage.redo.sequence;
    const archiving = alterSystemArchiveLogCurrent(storage);
    await settle(r, settled(archiving), 'ARCHIVE LOG CURRENT');
    expect(await archiving).toBe(current);
    for (const destination of DESTINATIONS) {
      expect(await readArchivedLog(r.fs, `${destination}/${archivedLogName(1, current)}`)).toMatchObject({
        sequence: current,
      });
    }
    await expectLedger(storage, counters, ledger);
    await storage.close();
  });

  it('archives nothing in NOARCHIVELOG mode', async () => {
    const r = rig(4105);
    await create(r);
    const storage = await openArchiving(r);
    await storage.redo.switchLogfile();
    await storage.redo.switchLogfile();
    await storage.redo.switchLogfile();
    expect(storage.control.state.logGroups.every((g) => g.archived === undefined)).toBe(true);
    expect(await scanArchiveDestinations(r.fs, DESTINATIONS, storage.control.state.dbId)).toEqual([]);
    await expect(alterSystemArchiveLogCurrent(storage)).rejects.toMatchObject({ codeName: 'WRONG_INSTANCE_STATE' });
    await storage.close();
  });
});
