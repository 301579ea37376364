// The failure scenarios of the Tibero backup and recovery guide (seed 003, 복구 방법), each
// reproduced on a real server (장애 상황) and repaired the way the guide says (해결 방안),
// through SQL as sys and plain file operations. Each ends by asserting exactly which
// committed rows exist: rows carry their batch in their id (see recovery-rig.ts).
// Scenarios 1 and 2 (control files) are in controlfile.test.ts.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  batchIds,
  connect,
  type Db,
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

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** A group that is INACTIVE and archived (switching and checkpointing until there is one). */
async function inactiveGroup(sys: pg.Client): Promise<{ group: number; members: string[] }> {
  for (let round = 0; round < 6; round++) {
    const found = await sys.query<{ group: number }>(
      "select group# as group from v$log where status = 'INACTIVE' and archived = 'YES' order by group# limit 1",
    );
    if (found.rows.length > 0) {
      const group = found.rows[0].group;
      const members = await sys.query<{ member: string }>(
        `select member from v$logfile where group# = ${group} order by member`,
      );
      return { group, members: members.rows.map((row) => row.member) };
    }
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    await sys.query('ALTER SYSTEM CHECKPOINT');
  }
  throw new Error('no INACTIVE archived log group appeared');
}

async function currentGroupMembers(sys: pg.Client): Promise<string[]> {
  const result = await sys.query<{ member: string }>(
    "select f.member from v$logfile f join v$log l on l.group# = f.group# where l.status = 'CURRENT'",
  );
  return result.rows.map((row) => row.member);
}

/** The wall-clock second an operator would type for UNTIL TIME (server local time). */
function localSecond(ms: number): string {
  const date = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** Waits until the wall clock is in a later second than `ms` (so the next commits carry a later time). */
async function pastSecondOf(ms: number): Promise<void> {
  const next = Math.floor(ms / 1000) * 1000 + 1000;
  while (Date.now() < next + 5) await new Promise((resolve) => setTimeout(resolve, next + 5 - Date.now()));
}

/** An ARCHIVELOG database with the ledger table, batch 1 committed, and a hot backup taken after it. */
async function withBackup(): Promise<{ db: Db; sys: pg.Client; backup: Map<string, string> }> {
  const db = await newDatabase();
  const sys = await connect(db);
  await sys.query(LEDGER);
  await insertBatch(sys, 1, 200);
  const backup = await hotBackup(db, sys);
  return { db, sys, backup };
}

describe('Online log file recovery (Online Log 파일 복구)', () => {
  it('3: an INACTIVE group loses a member: drop the member and add it again', async () => {
    const db = await newDatabase({ logMembers: 2 });
    const sys = await connect(db);
    await sys.query(LEDGER);
    await insertBatch(sys, 1, 200);
    const { group, members } = await inactiveGroup(sys);
    await removeFile(members[0]);
    // The database runs on; the member is repaired online.
    await insertBatch(sys, 2, 100);
    await sys.query(`ALTER DATABASE DROP LOGFILE MEMBER '${members[0]}'`);
    await sys.query(`ALTER DATABASE ADD LOGFILE MEMBER '${members[0]}' TO GROUP ${group}`);
    for (let i = 0; i < 3; i++) {
      await insertBatch(sys, 3 + i, 50);
      await sys.query('ALTER SYSTEM SWITCH LOGFILE');
    }
    expect(await exists(members[0])).toBe(true);
    await sys.end();
    await stop(db, 'IMMEDIATE');
    await start(db, 'OPEN');
    const again = await connect(db);
    expect(await ids(again)).toEqual([
      ...batchIds(1, 200),
      ...batchIds(2, 100),
      ...batchIds(3, 50),
      ...batchIds(4, 50),
      ...batchIds(5, 50),
    ]);
    expect(
      (await again.query(`select count(*)::int as n from v$logfile where group# = ${group} and status is null`)).rows,
    ).toEqual([{ n: 2 }]);
    await again.end();
    await stop(db, 'IMMEDIATE');
  });

  it('4: an INACTIVE group loses every member: drop the group and add it again', async () => {
    const db = await newDatabase({ logMembers: 2 });
    const sys = await connect(db);
    await sys.query(LEDGER);
    await insertBatch(sys, 1, 200);
    const { group, members } = await inactiveGroup(sys);
    for (const member of members) await removeFile(member);
    await insertBatch(sys, 2, 100);
    await sys.query(`ALTER DATABASE DROP LOGFILE GROUP ${group}`);
    await sys.query(
      `ALTER DATABASE ADD LOGFILE GROUP ${group} (${members.map((member) => `'${member}'`).join(', ')}) SIZE 2M`,
    );
    for (let i = 0; i < 4; i++) {
      await insertBatch(sys, 3 + i, 50);
      await sys.query('ALTER SYSTEM SWITCH LOGFILE');
    }
    await sys.end();
    await stop(db, 'IMMEDIATE');
    await start(db, 'OPEN');
    const again = await connect(db);
    expect(await ids(again)).toEqual([
      ...batchIds(1, 200),
      ...batchIds(2, 100),
      ...[3, 4, 5, 6].flatMap((batch) => batchIds(batch, 50)),
    ]);
    await again.end();
    await stop(db, 'IMMEDIATE');
  });

  it('5: the CURRENT group is deleted, then shutdown ABORT: recover UNTIL CHANGE the last archived NEXT_TSN - 1, RESETLOGS', async () => {
    const { db, sys, backup } = await withBackup();
    await insertBatch(sys, 2, 200);
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    // Batch 3 is only in the CURRENT log, which is lost.
    await insertBatch(sys, 3, 100);
    for (const member of await currentGroupMembers(sys)) await removeFile(member);
    await sys.end();
    await stop(db, 'ABORT');

    await start(db, 'MOUNT');
    const mount = await connect(db);
    const nextTsn = await one<string>(mount, 'select max(next_tsn)::text from v$archive_dest_files');
    // The datafiles on disk may already hold blocks from the lost log: restore them (the
    // recovery refuses files newer than its target, TDB-8004).
    await restore(backup);
    const notices = await run(mount, `ALTER DATABASE RECOVER AUTOMATIC DATABASE UNTIL CHANGE ${BigInt(nextTsn) - 1n}`);
    expect(notices.at(-1)).toMatch(/media recovery incomplete/);
    await mount.query('ALTER DATABASE OPEN RESETLOGS');
    expect(await ids(mount)).toEqual([...batchIds(1, 200), ...batchIds(2, 200)]);
    await mount.end();
    await stop(db, 'IMMEDIATE');
  });

  it('6: the CURRENT group is deleted, then shutdown IMMEDIATE: cancel-based recovery, RESETLOGS', async () => {
    const db = await newDatabase();
    const sys = await connect(db);
    await sys.query(LEDGER);
    await insertBatch(sys, 1, 200);
    await sys.query('ALTER SYSTEM SWITCH LOGFILE');
    await insertBatch(sys, 2, 100);
    const current = await currentGroupMembers(sys);
    for (const member of current) await removeFile(member);
    await sys.end();
    await stop(db, 'IMMEDIATE'); // every committed change reaches the datafiles

    await expect(start(db, 'OPEN')).rejects.toMatchObject({ code: 'TDB-2004' });
    await start(db, 'MOUNT');
    const mount = await connect(db);
    const notices = await run(mount, 'ALTER DATABASE RECOVER DATABASE UNTIL CANCEL');
    expect(notices.at(-1)).toMatch(/needs log sequence \d+/);
    const cancel = await run(mount, 'ALTER DATABASE RECOVER CANCEL');
    expect(cancel.at(-1)).toMatch(/media recovery incomplete/);
    await mount.query('ALTER DATABASE OPEN RESETLOGS');
    expect(await ids(mount)).toEqual([...batchIds(1, 200), ...batchIds(2, 100)]);
    for (const member of current) expect(await exists(member)).toBe(true);
    await mount.end();
    await stop(db, 'IMMEDIATE');
  });
});

describe('Temp tablespace recovery (Temp Tablespace 복구)', () => {
  it('7: the temp file is deleted: the next boot makes it again', async () => {
    const db = await newDatabase({ archivelog: false });
    const sys = await connect(db);
    await sys.query(LEDGER);
    await insertBatch(sys, 1, 100);
    const temp = await one<string>(sys, "select name from v$datafile where tablespace = 'TEMP'");
    await sys.end();
    await stop(db, 'IMMEDIATE');
    await removeFile(temp);
    await start(db, 'OPEN');
    expect(await exists(temp)).toBe(true);
    const again = await connect(db);
    expect(await ids(again)).toEqual(batchIds(1, 100));
    await again.end();
    await stop(db, 'IMMEDIATE');
  });
});

describe('Complete recovery after datafile loss (데이터 파일 장애 완전 복구)', () => {
  it('8: a datafile is deleted and a backup exists: restore it, RECOVER AUTOMATIC DATABASE', async () => {
    const { db, sys, backup } = await withBackup();
    await insertBatch(sys, 2, 300);
    await sys.query('ALTER SYSTEM SWITCH LOGFILE');
    await insertBatch(sys, 3, 100);
    const usr = [...backup.keys()].find((file) => file.endsWith('usr001.dtf'))!;
    await sys.end();
    await stop(db, 'ABORT');
    await removeFile(usr);

    await expect(start(db, 'OPEN')).rejects.toMatchObject({ code: 'TDB-1004' });
    await start(db, 'MOUNT');
    const mount = await connect(db);
    await restore(backup, (file) => file === usr);
    expect((await run(mount, 'ALTER DATABASE RECOVER AUTOMATIC DATABASE')).at(-1)).toMatch(/media recovery complete/);
    await mount.query('ALTER DATABASE OPEN');
    expect(await ids(mount)).toEqual([...batchIds(1, 200), ...batchIds(2, 300), ...batchIds(3, 100)]);
    await mount.end();
    await stop(db, 'IMMEDIATE');
  });

  it('9: a datafile is deleted: apply the archived logs one by one, then the online log', async () => {
    const { db, sys, backup } = await withBackup();
    for (let batch = 2; batch <= 4; batch++) {
      await insertBatch(sys, batch, 150);
      await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    }
    await insertBatch(sys, 5, 50); // only online
    const online = await currentGroupMembers(sys);
    const usr = [...backup.keys()].find((file) => file.endsWith('usr001.dtf'))!;
    await sys.end();
    await stop(db, 'ABORT');
    await removeFile(usr);

    await start(db, 'MOUNT');
    const mount = await connect(db);
    await restore(backup, (file) => file === usr);
    let notices = await run(mount, 'ALTER DATABASE RECOVER DATABASE');
    const applied: string[] = [];
    for (;;) {
      const needed = /suggestion: '([^']+)'/.exec(notices.at(-1) ?? '');
      if (needed === null) break;
      // The archived copy if there is one, else the online log (the CURRENT group's member).
      const path = (await exists(needed[1])) ? needed[1] : online[0];
      applied.push(path);
      notices = await run(mount, `ALTER DATABASE RECOVER LOGFILE '${path}'`);
    }
    expect(notices.at(-1)).toMatch(/media recovery complete/);
    expect(applied.at(-1)).toBe(online[0]);
    expect(applied.filter((path) => path.endsWith('.arc')).length).toBeGreaterThanOrEqual(3);
    await mount.query('ALTER DATABASE OPEN');
    expect(await ids(mount)).toEqual([
      ...batchIds(1, 200),
      ...batchIds(2, 150),
      ...batchIds(3, 150),
      ...batchIds(4, 150),
      ...batchIds(5, 50),
    ]);
    await mount.end();
    await stop(db, 'IMMEDIATE');
  });

  it('10: a datafile is deleted and no backup exists: CREATE DATAFILE, then recover it from every log since', async () => {
    const db = await newDatabase();
    const sys = await connect(db);
    const file = join(db.directory, 'hist01.dtf');
    await sys.query("CREATE TABLESPACE hist DATAFILE 'hist01.dtf' SIZE 2M AUTOEXTEND ON NEXT 1M MAXSIZE 64M");
    await sys.query(`${LEDGER} tablespace hist`);
    await insertBatch(sys, 1, 300);
    await sys.query('ALTER SYSTEM SWITCH LOGFILE');
    await insertBatch(sys, 2, 200);
    await sys.end();
    await stop(db, 'ABORT');
    await removeFile(file);

    await start(db, 'MOUNT');
    const mount = await connect(db);
    await mount.query("ALTER DATABASE CREATE DATAFILE 'hist01.dtf'");
    expect((await run(mount, "ALTER DATABASE RECOVER AUTOMATIC DATAFILE 'hist01.dtf'")).at(-1)).toMatch(
      /media recovery complete/,
    );
    await mount.query('ALTER DATABASE OPEN');
    expect(await ids(mount)).toEqual([...batchIds(1, 300), ...batchIds(2, 200)]);
    await mount.end();
    await stop(db, 'IMMEDIATE');
  });

  it('11: a datafile is deleted while OPEN and a backup exists: tablespace OFFLINE, partial recovery, ONLINE', async () => {
    const db = await newDatabase();
    const sys = await connect(db);
    const file = join(db.directory, 'sales01.dtf');
    await sys.query("CREATE TABLESPACE sales DATAFILE 'sales01.dtf' SIZE 4M AUTOEXTEND ON NEXT 1M MAXSIZE 64M");
    await sys.query(`${LEDGER} tablespace sales`);
    await sys.query('create table other (id int primary key, note text)');
    await insertBatch(sys, 1, 200);
    await sys.query('ALTER TABLESPACE sales BEGIN BACKUP');
    const copy = join(db.directory, 'sales01.bak');
    await import('node:fs/promises').then((fs) => fs.copyFile(file, copy));
    await sys.query('ALTER TABLESPACE sales END BACKUP');
    await insertBatch(sys, 2, 200);
    await sys.query('ALTER SYSTEM SWITCH LOGFILE');
    await insertBatch(sys, 3, 100);
    await removeFile(file);

    await sys.query('ALTER TABLESPACE sales OFFLINE IMMEDIATE');
    expect(await one<string>(sys, "select status from v$datafile where name like '%sales01.dtf'")).toBe('RECOVER');
    await expect(sys.query('select count(*) from ledger')).rejects.toMatchObject({
      code: '55000',
      message: expect.stringMatching(/^TDB-1010: datafile \d+ .* is offline/) as string,
    });
    await insertBatch(sys, 1, 10, 'other'); // the rest stays open
    await import('node:fs/promises').then((fs) => fs.copyFile(copy, file));
    await expect(sys.query('ALTER TABLESPACE sales ONLINE')).rejects.toMatchObject({
      message: expect.stringMatching(/^TDB-4002: .*needs media recovery/) as string,
    });
    expect((await run(sys, 'ALTER DATABASE RECOVER AUTOMATIC TABLESPACE sales')).at(-1)).toMatch(
      /media recovery complete/,
    );
    await sys.query('ALTER TABLESPACE sales ONLINE');
    expect(await ids(sys)).toEqual([...batchIds(1, 200), ...batchIds(2, 200), ...batchIds(3, 100)]);
    expect(await ids(sys, 'other')).toEqual(batchIds(1, 10));
    await insertBatch(sys, 4, 10);
    await sys.end();
    await stop(db, 'IMMEDIATE');
    await start(db, 'OPEN');
    const again = await connect(db);
    expect(await ids(again)).toEqual([
      ...batchIds(1, 200),
      ...batchIds(2, 200),
      ...batchIds(3, 100),
      ...batchIds(4, 10),
    ]);
    await again.end();
    await stop(db, 'IMMEDIATE');
  });
});

describe('Incomplete recovery (데이터 파일 장애 불완전 복구)', () => {
  it('12: by TSN: restore the backup, RECOVER UNTIL CHANGE, RESETLOGS; the old incarnation’s logs are refused', async () => {
    const { db, sys, backup } = await withBackup();
    await insertBatch(sys, 2, 200);
    const tsn = await one<string>(sys, 'select current_tsn::text from v$database');
    await insertBatch(sys, 3, 100); // after the target
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    const oldArchive = await one<string>(sys, 'select name from v$archived_log order by sequence# desc limit 1');
    await sys.end();
    await stop(db, 'ABORT');

    await restore(backup);
    await start(db, 'MOUNT');
    let mount = await connect(db);
    await run(mount, `ALTER DATABASE RECOVER AUTOMATIC DATABASE UNTIL CHANGE ${tsn}`);
    await mount.query('ALTER DATABASE OPEN RESETLOGS');
    expect(await ids(mount)).toEqual([...batchIds(1, 200), ...batchIds(2, 200)]);

    // A new backup in the new incarnation; recovery from it refuses the old incarnation's log.
    await insertBatch(mount, 4, 50);
    const second = await hotBackup(db, mount);
    await insertBatch(mount, 5, 50);
    await mount.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    await mount.end();
    await stop(db, 'ABORT');
    await restore(second);
    await start(db, 'MOUNT');
    mount = await connect(db);
    await run(mount, 'ALTER DATABASE RECOVER DATABASE');
    await expect(mount.query(`ALTER DATABASE RECOVER LOGFILE '${oldArchive}'`)).rejects.toMatchObject({
      code: '55000',
      message: expect.stringMatching(/^TDB-8006: .*incarnation 1 .*not of the current incarnation 2/) as string,
    });
    await mount.query('ALTER DATABASE RECOVER CANCEL');
    expect((await run(mount, 'ALTER DATABASE RECOVER AUTOMATIC DATABASE')).at(-1)).toMatch(/media recovery complete/);
    await mount.query('ALTER DATABASE OPEN');
    expect(await ids(mount)).toEqual([
      ...batchIds(1, 200),
      ...batchIds(2, 200),
      ...batchIds(4, 50),
      ...batchIds(5, 50),
    ]);
    await mount.end();
    await stop(db, 'IMMEDIATE');
  });

  it('13: by time: restore the backup, RECOVER UNTIL TIME, RESETLOGS', async () => {
    const { db, sys, backup } = await withBackup();
    await insertBatch(sys, 2, 200);
    const finished = Date.now();
    const until = localSecond(finished);
    await pastSecondOf(finished);
    await insertBatch(sys, 3, 100); // in a later second
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    await sys.end();
    await stop(db, 'ABORT');

    await restore(backup);
    await start(db, 'MOUNT');
    const mount = await connect(db);
    expect((await run(mount, `ALTER DATABASE RECOVER AUTOMATIC DATABASE UNTIL TIME '${until}'`)).at(-1)).toMatch(
      /media recovery incomplete/,
    );
    await mount.query('ALTER DATABASE OPEN RESETLOGS');
    expect(await ids(mount)).toEqual([...batchIds(1, 200), ...batchIds(2, 200)]);
    await mount.end();
    await stop(db, 'IMMEDIATE');
  });

  it('14: by cancel: restore the backup, apply archived logs by name, RECOVER CANCEL, RESETLOGS', async () => {
    const { db, sys, backup } = await withBackup();
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT'); // the backup's own redo ends here
    await insertBatch(sys, 2, 200);
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    const lastWanted = Number(await one<string>(sys, 'select max(sequence#)::text from v$archived_log'));
    await insertBatch(sys, 3, 200);
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    await sys.end();
    await stop(db, 'ABORT');

    await restore(backup);
    await start(db, 'MOUNT');
    const mount = await connect(db);
    let notices = await run(mount, 'ALTER DATABASE RECOVER DATABASE UNTIL CANCEL');
    for (;;) {
      const needed = /needs log sequence (\d+).*suggestion: '([^']+)'/.exec(notices.at(-1) ?? '');
      expect(needed, notices.join('\n')).not.toBeNull();
      if (Number(needed![1]) > lastWanted) break;
      notices = await run(mount, `ALTER DATABASE RECOVER LOGFILE '${needed![2]}'`);
    }
    expect((await run(mount, 'ALTER DATABASE RECOVER CANCEL')).at(-1)).toMatch(/media recovery incomplete/);
    await mount.query('ALTER DATABASE OPEN RESETLOGS');
    expect(await ids(mount)).toEqual([...batchIds(1, 200), ...batchIds(2, 200)]);
    await mount.end();
    await stop(db, 'IMMEDIATE');
  });
});
