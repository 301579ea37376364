// Media recovery through SQL, as an operator runs it against the real server: an online
// (hot) backup copied with plain file copies while transactions commit, then complete
// recovery of a lost datafile from the archived and online logs, and incomplete recovery
// to a TSN followed by OPEN RESETLOGS and a new incarnation.
import { copyFile, mkdir, mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DatabaseServer, initDatabase } from '../src/index.js';

const directories: string[] = [];

afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

interface Db {
  readonly directory: string;
  readonly password: string;
  server: DatabaseServer;
}

async function connect(db: Db): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: db.server.address.port,
    user: 'sys',
    password: db.password,
    database: 'tandem',
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** A new database in ARCHIVELOG mode with small logs (frequent switches), open. */
async function archivelogDatabase(): Promise<Db> {
  const directory = await mkdtemp(join(tmpdir(), 'tandem-mr-'));
  directories.push(directory);
  const { sysPassword } = await initDatabase(directory, { logSizeBytes: 2 * 1024 * 1024, logGroups: 3, logMembers: 1 });
  const server = await DatabaseServer.start(directory, { port: 0, stage: 'MOUNT' });
  const db: Db = { directory, password: sysPassword, server };
  const sys = await connect(db);
  await sys.query('ALTER DATABASE ARCHIVELOG');
  await sys.query('ALTER DATABASE OPEN');
  await sys.end();
  return db;
}

async function restart(db: Db, stage: 'MOUNT' | 'OPEN'): Promise<void> {
  db.server = await DatabaseServer.start(db.directory, { port: 0, stage });
}

/** Runs statements, collecting the notices the server sends. */
async function run(client: pg.Client, sql: string): Promise<string[]> {
  const notices: string[] = [];
  const listener = (notice: { message?: string }): void => void notices.push(notice.message ?? '');
  client.on('notice', listener);
  try {
    await client.query(sql);
  } finally {
    client.off('notice', listener);
  }
  return notices;
}

async function datafiles(client: pg.Client): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    "select name from v$datafile where tablespace <> 'TEMP' order by file#",
  );
  return result.rows.map((row) => row.name);
}

async function insertRows(client: pg.Client, from: number, count: number): Promise<void> {
  for (let i = 0; i < count; i += 50) {
    const values = Array.from(
      { length: Math.min(50, count - i) },
      (_, j) => `(${from + i + j}, '${'row-'.repeat(20)}${from + i + j}')`,
    );
    await client.query(`insert into ledger values ${values.join(', ')}`);
  }
}

async function ids(client: pg.Client): Promise<number[]> {
  return (await client.query<{ id: number }>('select id from ledger order by id')).rows.map((row) => row.id);
}

/** ALTER DATABASE BEGIN BACKUP, a plain copy of every datafile while a writer commits, END BACKUP. */
async function hotBackup(db: Db, sys: pg.Client, writer: () => Promise<void>): Promise<Map<string, string>> {
  const backup = join(db.directory, 'backup');
  await mkdir(backup, { recursive: true });
  await sys.query('ALTER DATABASE BEGIN BACKUP');
  expect(
    (await sys.query<{ n: number }>("select count(*)::int as n from v$backup where status = 'ACTIVE'")).rows[0].n,
  ).toBe(3);
  const writing = writer();
  const copies = new Map<string, string>();
  for (const file of await datafiles(sys)) {
    const copy = join(backup, basename(file));
    await copyFile(file, copy);
    copies.set(file, copy);
  }
  await writing;
  await sys.query('ALTER DATABASE END BACKUP');
  expect(
    (await sys.query<{ n: number }>("select count(*)::int as n from v$backup where status = 'ACTIVE'")).rows[0].n,
  ).toBe(0);
  return copies;
}

describe('media recovery', () => {
  it('refuses an online backup in NOARCHIVELOG mode', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'tandem-mr-'));
    directories.push(directory);
    const { sysPassword } = await initDatabase(directory, { logSizeBytes: 2 * 1024 * 1024 });
    const db: Db = { directory, password: sysPassword, server: await DatabaseServer.start(directory, { port: 0 }) };
    const sys = await connect(db);
    await expect(sys.query('ALTER DATABASE BEGIN BACKUP')).rejects.toMatchObject({
      code: '55000',
      message: expect.stringMatching(/^TDB-8002: online backup needs ARCHIVELOG mode/) as string,
    });
    await sys.end();
    await db.server.stop('IMMEDIATE');
  });

  it('recovers a lost datafile from a hot backup and the archived and online logs (AUTOMATIC)', async () => {
    const db = await archivelogDatabase();
    let sys = await connect(db);
    await sys.query('create table ledger (id int primary key, note text)');
    await insertRows(sys, 1, 300);
    const writer = await connect(db);
    const copies = await hotBackup(db, sys, () => insertRows(writer, 1001, 300));
    // More work after the backup: several logs archived, the last part only online.
    for (let round = 0; round < 4; round++) {
      await insertRows(writer, 2001 + round * 200, 200);
      await sys.query('ALTER SYSTEM SWITCH LOGFILE');
    }
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    await insertRows(writer, 3001, 100);
    await sys.query('delete from ledger where id between 1 and 10');
    const expected = await ids(sys);
    expect(expected.length).toBe(300 - 10 + 300 + 800 + 100);
    const archived = (await sys.query<{ n: number }>('select count(*)::int as n from v$archived_log')).rows[0].n;
    expect(archived).toBeGreaterThanOrEqual(5);
    const usr = (await datafiles(sys)).find((file) => file.endsWith('usr001.dtf'))!;
    await writer.end();
    await sys.end();
    await db.server.stop('ABORT');

    // The datafile is lost; the database cannot open until it is restored and recovered.
    await unlink(usr);
    await expect(restart(db, 'OPEN')).rejects.toMatchObject({ code: 'TDB-1004' });
    await restart(db, 'MOUNT');
    sys = await connect(db);
    await copyFile(copies.get(usr)!, usr);
    const notices = await run(sys, 'ALTER DATABASE RECOVER AUTOMATIC DATABASE');
    const applied = /media recovery complete: recovered to TSN \d+ \((\d+) logs applied\)/.exec(notices.at(-1) ?? '');
    expect(applied, notices.join('\n')).not.toBeNull();
    // The backup's logs: the one in use at BEGIN BACKUP onwards, archived, then the online one.
    expect(Number(applied![1])).toBeGreaterThanOrEqual(archived);
    await sys.query('ALTER DATABASE OPEN');
    expect(await ids(sys)).toEqual(expected);
    await sys.end();
    await db.server.stop('IMMEDIATE');
  });

  it('recovers until a TSN from a restored backup, then opens with RESETLOGS as a new incarnation', async () => {
    const db = await archivelogDatabase();
    let sys = await connect(db);
    await sys.query('create table ledger (id int primary key, note text)');
    await insertRows(sys, 1, 200);
    const copies = await hotBackup(db, sys, () => insertRows(sys, 1001, 10));
    await insertRows(sys, 2001, 300);
    await sys.query('ALTER SYSTEM SWITCH LOGFILE');
    const kept = await ids(sys);
    const untilTsn = BigInt(
      (await sys.query<{ tsn: string }>('select current_tsn::text as tsn from v$database')).rows[0].tsn,
    );
    await insertRows(sys, 5001, 100); // after the target: must not come back
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    await sys.query('ALTER SYSTEM CHECKPOINT'); // the datafiles now hold changes after the target
    await sys.end();
    await db.server.stop('ABORT');

    // Incomplete recovery needs every datafile from a backup older than the target.
    await restart(db, 'MOUNT');
    sys = await connect(db);
    await expect(sys.query(`ALTER DATABASE RECOVER AUTOMATIC DATABASE UNTIL CHANGE ${untilTsn}`)).rejects.toMatchObject(
      {
        code: '55000',
        message: expect.stringMatching(/^TDB-8004: datafile \d+ .* holds changes after TSN/) as string,
      },
    );
    for (const [file, copy] of copies) await copyFile(copy, file);
    const notices = await run(sys, `ALTER DATABASE RECOVER AUTOMATIC DATABASE UNTIL CHANGE ${untilTsn}`);
    expect(notices.at(-1)).toMatch(/media recovery incomplete: recovered to TSN \d+.*OPEN RESETLOGS/);
    await expect(sys.query('ALTER DATABASE OPEN')).rejects.toMatchObject({
      code: '55000',
      message: expect.stringMatching(/^TDB-8005: .*only with ALTER DATABASE OPEN RESETLOGS/) as string,
    });
    // A failed OPEN leaves NOMOUNT, as in Tibero.
    await sys.query('ALTER DATABASE MOUNT');
    await sys.query('ALTER DATABASE OPEN RESETLOGS');
    expect(await ids(sys)).toEqual(kept);
    expect(
      (await sys.query('select incarnation#, prior_incarnation#, status from v$database_incarnation order by 1')).rows,
    ).toEqual([
      { 'incarnation#': 1, 'prior_incarnation#': null, status: 'PARENT' },
      { 'incarnation#': 2, 'prior_incarnation#': 1, status: 'CURRENT' },
    ]);
    const current = (await sys.query<{ s: string }>("select sequence#::text as s from v$log where status = 'CURRENT'"))
      .rows[0].s;
    expect(Number(current)).toBeLessThanOrEqual(2); // restarted at 1 (crash recovery may switch once)
    // The new incarnation works and archives under its own names.
    await insertRows(sys, 9001, 10);
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    const names = (await sys.query<{ name: string }>('select name from v$archived_log where incarnation# = 2')).rows;
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((row) => /log-t1-r2-s\d+\.arc$/.test(row.name))).toBe(true);
    await sys.end();
    await db.server.stop('IMMEDIATE');
  });

  it('recovers a tablespace whose file was lost while OPEN: OFFLINE IMMEDIATE, restore, RECOVER, ONLINE', async () => {
    const db = await archivelogDatabase();
    const sys = await connect(db);
    const file = join(db.directory, 'sales01.dtf');
    await sys.query("CREATE TABLESPACE sales DATAFILE 'sales01.dtf' SIZE 4M AUTOEXTEND ON NEXT 1M MAXSIZE 64M");
    await sys.query('create table ledger (id int primary key, note text) tablespace sales');
    await sys.query('create table other (id int primary key)');
    await insertRows(sys, 1, 200);
    await sys.query('ALTER TABLESPACE sales BEGIN BACKUP');
    const copy = join(db.directory, 'sales01.bak');
    await copyFile(file, copy);
    await sys.query('ALTER TABLESPACE sales END BACKUP');
    await insertRows(sys, 1001, 300);
    await sys.query('ALTER SYSTEM SWITCH LOGFILE');
    await insertRows(sys, 2001, 100);
    const expected = await ids(sys);

    await unlink(file);
    await sys.query('ALTER TABLESPACE sales OFFLINE IMMEDIATE');
    expect((await sys.query("select status from v$datafile where name like '%sales01.dtf'")).rows).toEqual([
      { status: 'RECOVER' },
    ]);
    await expect(sys.query('select count(*) from ledger')).rejects.toMatchObject({
      code: '55000',
      message: expect.stringMatching(/^TDB-1010: datafile \d+ .* is offline/) as string,
    });
    // The rest of the database stays open.
    await sys.query('insert into other values (1), (2)');
    await copyFile(copy, file);
    await expect(sys.query('ALTER TABLESPACE sales ONLINE')).rejects.toMatchObject({
      message: expect.stringMatching(/^TDB-4002: .*needs media recovery/) as string,
    });
    const notices = await run(sys, 'ALTER DATABASE RECOVER AUTOMATIC TABLESPACE sales');
    expect(notices.at(-1)).toMatch(/media recovery complete/);
    await sys.query('ALTER TABLESPACE sales ONLINE');
    expect(await ids(sys)).toEqual(expected);
    await insertRows(sys, 3001, 10);
    await sys.end();
    await db.server.stop('IMMEDIATE');

    await restart(db, 'OPEN');
    const again = await connect(db);
    expect(await ids(again)).toEqual([...expected, ...Array.from({ length: 10 }, (_, i) => 3001 + i)]);
    expect((await again.query('select count(*)::int as n from other')).rows).toEqual([{ n: 2 }]);
    await again.end();
    await db.server.stop('IMMEDIATE');
  });

  it('makes a lost datafile with no backup anew (CREATE DATAFILE) and recovers it from every log since', async () => {
    const db = await archivelogDatabase();
    let sys = await connect(db);
    const file = join(db.directory, 'hist01.dtf');
    await sys.query("CREATE TABLESPACE hist DATAFILE 'hist01.dtf' SIZE 2M AUTOEXTEND ON NEXT 1M MAXSIZE 64M");
    await sys.query('create table ledger (id int primary key, note text) tablespace hist');
    await insertRows(sys, 1, 300);
    await sys.query('ALTER SYSTEM SWITCH LOGFILE');
    await insertRows(sys, 1001, 300);
    await sys.query('delete from ledger where id % 7 = 0');
    const expected = await ids(sys);
    await sys.end();
    await db.server.stop('ABORT');

    await unlink(file);
    await restart(db, 'MOUNT');
    sys = await connect(db);
    await sys.query("ALTER DATABASE CREATE DATAFILE 'hist01.dtf'");
    const notices = await run(sys, "ALTER DATABASE RECOVER AUTOMATIC DATAFILE 'hist01.dtf'");
    expect(notices.at(-1)).toMatch(/media recovery complete/);
    await sys.query('ALTER DATABASE OPEN');
    expect(await ids(sys)).toEqual(expected);
    await sys.end();
    await db.server.stop('IMMEDIATE');
  });
});
