// Media recovery behaviour beyond the seed's scenarios (recovery-scenarios.test.ts): an
// online backup refused in NOARCHIVELOG mode, a hot backup copied while another session
// commits (every commit made during the copy comes back), incomplete recovery refusing
// datafiles newer than its target, and the incarnation history after RESETLOGS.
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  batchIds,
  connect,
  hotBackup,
  ids,
  insertBatch,
  LEDGER,
  newDatabase,
  one,
  removeDatabases,
  removeFile,
  restore,
  run,
  start,
  stop,
} from './recovery-rig.js';

afterAll(removeDatabases);

async function activeBackups(sys: pg.Client): Promise<number> {
  return one<number>(sys, "select count(*)::int from v$backup where status = 'ACTIVE'");
}

describe('media recovery', () => {
  it('refuses an online backup in NOARCHIVELOG mode', async () => {
    const db = await newDatabase({ archivelog: false });
    const sys = await connect(db);
    await expect(sys.query('ALTER DATABASE BEGIN BACKUP')).rejects.toMatchObject({
      code: '55000',
      message: expect.stringMatching(/^TDB-8002: online backup needs ARCHIVELOG mode/) as string,
    });
    expect(await activeBackups(sys)).toBe(0);
    await sys.end();
    await stop(db, 'IMMEDIATE');
  });

  it('recovers a hot backup copied while another session committed, through archived and online logs', async () => {
    const db = await newDatabase();
    let sys = await connect(db);
    await sys.query(LEDGER);
    await insertBatch(sys, 1, 300);
    const writer = await connect(db);
    await sys.query('ALTER TABLESPACE usr BEGIN BACKUP');
    expect(await activeBackups(sys)).toBe(1);
    await sys.query('ALTER TABLESPACE usr END BACKUP');
    const backup = await hotBackup(db, sys, () => insertBatch(writer, 2, 300));
    for (let batch = 3; batch <= 6; batch++) {
      await insertBatch(writer, batch, 200);
      await sys.query('ALTER SYSTEM SWITCH LOGFILE');
    }
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    await insertBatch(writer, 7, 100);
    await sys.query('delete from ledger where id <= 10010');
    const expected = await ids(sys);
    const archived = await one<number>(sys, 'select count(*)::int from v$archived_log');
    const usr = [...backup.keys()].find((file) => file.endsWith('usr001.dtf'))!;
    await writer.end();
    await sys.end();
    await stop(db, 'ABORT');

    await removeFile(usr);
    await start(db, 'MOUNT');
    sys = await connect(db);
    await restore(backup, (file) => file === usr);
    const notices = await run(sys, 'ALTER DATABASE RECOVER AUTOMATIC DATABASE');
    const applied = /media recovery complete: recovered to TSN \d+ \((\d+) logs applied\)/.exec(notices.at(-1) ?? '');
    expect(applied, notices.join('\n')).not.toBeNull();
    expect(Number(applied![1])).toBeGreaterThanOrEqual(archived);
    await sys.query('ALTER DATABASE OPEN');
    expect(await ids(sys)).toEqual(expected);
    expect(expected.slice(0, 3)).toEqual(batchIds(1, 300).slice(10, 13));
    // The recovered copy is an ordinary file again: its checkpoint advances, so after the
    // online logs have all been reused it still opens without recovery.
    expect(await one<number>(sys, "select count(*)::int from v$backup where status = 'ACTIVE'")).toBe(0);
    for (let i = 0; i < 4; i++) {
      await insertBatch(sys, 8 + i, 20);
      await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    }
    await sys.query('ALTER SYSTEM CHECKPOINT');
    await sys.end();
    await stop(db, 'IMMEDIATE');
    await start(db, 'OPEN');
    sys = await connect(db);
    expect((await ids(sys)).length).toBe(expected.length + 80);
    await sys.end();
    await stop(db, 'IMMEDIATE');
  });

  it('refuses incomplete recovery of datafiles newer than its target, and records incarnations', async () => {
    const db = await newDatabase();
    let sys = await connect(db);
    await sys.query(LEDGER);
    await insertBatch(sys, 1, 200);
    const backup = await hotBackup(db, sys);
    await insertBatch(sys, 2, 300);
    const tsn = await one<string>(sys, 'select current_tsn::text from v$database');
    await insertBatch(sys, 3, 100);
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    await sys.query('ALTER SYSTEM CHECKPOINT'); // the datafiles now hold changes after the target
    await sys.end();
    await stop(db, 'ABORT');

    await start(db, 'MOUNT');
    sys = await connect(db);
    await expect(sys.query(`ALTER DATABASE RECOVER AUTOMATIC DATABASE UNTIL CHANGE ${tsn}`)).rejects.toMatchObject({
      code: '55000',
      message: expect.stringMatching(/^TDB-8004: datafile \d+ .* holds changes after TSN/) as string,
    });
    await restore(backup);
    await run(sys, `ALTER DATABASE RECOVER AUTOMATIC DATABASE UNTIL CHANGE ${tsn}`);
    await expect(sys.query('ALTER DATABASE OPEN')).rejects.toMatchObject({
      message: expect.stringMatching(/^TDB-8005: .*only with ALTER DATABASE OPEN RESETLOGS/) as string,
    });
    // A failed OPEN leaves NOMOUNT, as in Tibero.
    await sys.query('ALTER DATABASE MOUNT');
    await sys.query('ALTER DATABASE OPEN RESETLOGS');
    expect(await ids(sys)).toEqual([...batchIds(1, 200), ...batchIds(2, 300)]);
    expect(
      (await sys.query('select incarnation#, prior_incarnation#, status from v$database_incarnation order by 1')).rows,
    ).toEqual([
      { 'incarnation#': 1, 'prior_incarnation#': null, status: 'PARENT' },
      { 'incarnation#': 2, 'prior_incarnation#': 1, status: 'CURRENT' },
    ]);
    await insertBatch(sys, 4, 10);
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    const names = (await sys.query<{ name: string }>('select name from v$archived_log where incarnation# = 2')).rows;
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((row) => /log-t1-r2-s\d+\.arc$/.test(row.name))).toBe(true);
    // The sequence restarted: the new incarnation's first archived log is sequence 1.
    expect(await one<string>(sys, 'select min(sequence#)::text from v$archived_log where incarnation# = 2')).toBe('1');
    await sys.end();
    await stop(db, 'IMMEDIATE');
  });

  it('fails clearly when the logs run out before the target, and stays open until RECOVER CANCEL', async () => {
    const db = await newDatabase();
    let sys = await connect(db);
    await sys.query(LEDGER);
    await insertBatch(sys, 1, 100);
    const backup = await hotBackup(db, sys);
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    await insertBatch(sys, 2, 100);
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    await insertBatch(sys, 3, 100);
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    const lost = await one<string>(sys, 'select name from v$archived_log order by sequence# desc limit 1');
    const lostSequence = await one<string>(sys, 'select max(sequence#)::text from v$archived_log');
    const target = await one<string>(sys, 'select current_tsn::text from v$database');
    // Three more switches reuse every online group: the lost sequence exists nowhere else.
    for (let i = 0; i < 3; i++) await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    await sys.end();
    await stop(db, 'ABORT');

    await removeFile(lost);
    await restore(backup);
    await start(db, 'MOUNT');
    sys = await connect(db);
    await expect(sys.query(`ALTER DATABASE RECOVER AUTOMATIC DATABASE UNTIL CHANGE ${target}`)).rejects.toMatchObject({
      message: expect.stringMatching(
        new RegExp(`^TDB-8003: media recovery needs log sequence ${lostSequence} `),
      ) as string,
    });
    // The recovery stays open: cancel it where it is.
    expect((await run(sys, 'ALTER DATABASE RECOVER CANCEL')).at(-1)).toMatch(/media recovery incomplete/);
    await sys.query('ALTER DATABASE OPEN RESETLOGS');
    expect(await ids(sys)).toEqual([...batchIds(1, 100), ...batchIds(2, 100)]);
    await sys.end();
    await stop(db, 'IMMEDIATE');
  });
});
