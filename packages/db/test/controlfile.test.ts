// Control file backup and recovery through SQL, as an operator runs it against the real
// server (the seed's 컨트롤 파일 백업 and 컨트롤 파일 복구): a trace script that recreates the
// control files after every copy was deleted while the database ran (NORESETLOGS, with
// ARCHIVELOG and NOARCHIVELOG, and with a datafile restored from a backup), the RESETLOGS
// variant when the online logs are lost too, a binary backup that mounts, multiplexing
// through the controlFiles parameter, one multiplexed copy lost while down, and the
// statements' refusals.
import { copyFile, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeFileSystem, SystemClock } from '@tandem/testkit';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { DatabaseServer, initDatabase, Instance } from '../src/index.js';
import { controlfileTrace } from '../src/control/controlfile-script.js';
import { ControlFiles } from '../src/control/control-file.js';
import { formatStatement } from '../src/sql/deparse.js';
import { parse } from '../src/sql/parser.js';
import { connect, type Db, ids, newDirectory, removeDatabases, run } from './recovery-rig.js';

afterAll(removeDatabases);

/** A new database with small logs (frequent switches), shut down. */
async function newDatabase(): Promise<Db> {
  const directory = await newDirectory('tandem-ctl-');
  const { sysPassword } = await initDatabase(directory, { logSizeBytes: 2 * 1024 * 1024, logGroups: 3, logMembers: 2 });
  return { directory, password: sysPassword, server: undefined as unknown as DatabaseServer };
}

async function start(db: Db, stage: 'NOMOUNT' | 'MOUNT' | 'OPEN'): Promise<pg.Client> {
  db.server = await DatabaseServer.start(db.directory, { port: 0, stage });
  return connect(db);
}

async function stop(db: Db, sys: pg.Client, mode: 'IMMEDIATE' | 'ABORT'): Promise<void> {
  await sys.end();
  await db.server.stop(mode);
}

async function insertRows(client: pg.Client, table: string, from: number, count: number): Promise<void> {
  for (let i = 0; i < count; i += 50) {
    const values = Array.from(
      { length: Math.min(50, count - i) },
      (_, j) => `(${from + i + j}, '${'row-'.repeat(20)}${from + i + j}')`,
    );
    await client.query(`insert into ${table} values ${values.join(', ')}`);
  }
}

async function controlFilePaths(db: Db): Promise<string[]> {
  const config = parseYaml(await readFile(join(db.directory, 'tandem-db.yaml'), 'utf8')) as { controlFiles: string[] };
  return config.controlFiles;
}

async function setControlFilePaths(db: Db, paths: readonly string[]): Promise<void> {
  const file = join(db.directory, 'tandem-db.yaml');
  const config = parseYaml(await readFile(file, 'utf8')) as Record<string, unknown>;
  await writeFile(file, stringifyYaml({ ...config, controlFiles: paths }));
}

async function logMembers(client: pg.Client): Promise<string[]> {
  return (await client.query<{ member: string }>('select member from v$logfile')).rows.map((row) => row.member);
}

async function dbid(client: pg.Client): Promise<number> {
  return Number((await client.query<{ dbid: string }>('select dbid::text as dbid from v$database')).rows[0].dbid);
}

describe('control file trace and CREATE CONTROLFILE', () => {
  it('recreates the control files from the trace after every copy was deleted while the database ran (NOARCHIVELOG)', async () => {
    const db = await newDatabase();
    let sys = await start(db, 'OPEN');
    await sys.query("CREATE TABLESPACE extra DATAFILE 'extra01.dtf' SIZE 2M AUTOEXTEND ON NEXT 1M MAXSIZE 64M");
    await sys.query('create table ledger (id int primary key, note text)');
    await sys.query('create table side (id int primary key, note text) tablespace extra');
    await insertRows(sys, 'ledger', 1, 300);
    await insertRows(sys, 'side', 1, 100);
    await sys.query('ALTER SYSTEM CHECKPOINT');
    const notices = await run(sys, "ALTER DATABASE BACKUP CONTROLFILE TO TRACE AS 'ctl.sql'");
    expect(notices.join('\n')).toContain(`written to '${join(db.directory, 'ctl.sql')}'`);
    const tablespaces = (await sys.query('select ts#, name, type from v$tablespace order by ts#')).rows;
    const datafiles = (await sys.query('select file#, name, tablespace from v$datafile order by file#')).rows;
    const id = await dbid(sys);

    // The seed's scenario: the control files are deleted while the database runs; it goes on.
    for (const path of await controlFilePaths(db)) await unlink(path);
    await insertRows(sys, 'ledger', 1001, 300);
    await sys.query('ALTER SYSTEM SWITCH LOGFILE');
    await insertRows(sys, 'side', 1001, 100);
    await sys.query('delete from ledger where id <= 20');
    const expected = await ids(sys);
    const expectedSide = await ids(sys, 'side');
    expect(expected).toHaveLength(580);
    await stop(db, sys, 'ABORT');

    await expect(DatabaseServer.start(db.directory, { port: 0, stage: 'MOUNT' })).rejects.toMatchObject({
      code: 'TDB-3001',
      message: expect.stringMatching(/every control file copy is missing.*CREATE CONTROLFILE/) as string,
    });
    sys = await start(db, 'NOMOUNT');
    const script = await readFile(join(db.directory, 'ctl.sql'), 'utf8');
    expect(script).toMatch(/CREATE CONTROLFILE REUSE DATABASE "tandem" NORESETLOGS NOARCHIVELOG/);
    expect(script).toMatch(/TABLESPACE "EXTRA" \('[^']*extra01\.dtf' AUTOEXTEND ON NEXT 1M MAXSIZE 64M\)/);
    const created = await run(sys, script);
    expect(created.join('\n')).toMatch(/control files written to/);
    await sys.query('ALTER DATABASE MOUNT');
    await sys.query('ALTER DATABASE OPEN');
    expect(await ids(sys)).toEqual(expected);
    expect(await ids(sys, 'side')).toEqual(expectedSide);
    expect((await sys.query('select ts#, name, type from v$tablespace order by ts#')).rows).toEqual(tablespaces);
    expect((await sys.query('select file#, name, tablespace from v$datafile order by file#')).rows).toEqual(datafiles);
    expect(await dbid(sys)).toBe(id);
    // The database works on: more rows, a log switch, a clean restart.
    await insertRows(sys, 'ledger', 2001, 100);
    await sys.query('ALTER SYSTEM SWITCH LOGFILE');
    await stop(db, sys, 'IMMEDIATE');
    sys = await start(db, 'OPEN');
    expect(await ids(sys)).toEqual([...expected, ...Array.from({ length: 100 }, (_, i) => 2001 + i)]);
    await stop(db, sys, 'IMMEDIATE');
  });

  it('recreates them in ARCHIVELOG mode with a datafile restored from a backup: RECOVER, then OPEN', async () => {
    const db = await newDatabase();
    let sys = await start(db, 'MOUNT');
    await sys.query('ALTER DATABASE ARCHIVELOG');
    await sys.query('ALTER DATABASE OPEN');
    await sys.query('create table ledger (id int primary key, note text)');
    await insertRows(sys, 'ledger', 1, 200);
    const usr = (await sys.query<{ name: string }>("select name from v$datafile where tablespace = 'USR'")).rows[0]
      .name;
    await stop(db, sys, 'IMMEDIATE');
    await copyFile(usr, `${usr}.backup`); // a cold backup of one datafile

    sys = await start(db, 'OPEN');
    await sys.query("ALTER DATABASE BACKUP CONTROLFILE TO TRACE AS 'ctl.sql' NORESETLOGS");
    // Enough log switches that the backup's redo survives only in the archive.
    for (let round = 0; round < 5; round++) {
      await insertRows(sys, 'ledger', 1001 + round * 200, 200);
      await sys.query('ALTER SYSTEM SWITCH LOGFILE');
    }
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    for (const path of await controlFilePaths(db)) await unlink(path);
    await insertRows(sys, 'ledger', 5001, 100);
    const expected = await ids(sys);
    expect(expected).toHaveLength(1300);
    await stop(db, sys, 'ABORT');
    await copyFile(`${usr}.backup`, usr); // the datafile is lost too, and restored

    sys = await start(db, 'NOMOUNT');
    const notices = await run(sys, await readFile(join(db.directory, 'ctl.sql'), 'utf8'));
    expect(notices.join('\n')).toMatch(
      /does not reach back to the checkpoint of datafile \d+ \('[^']*usr001\.dtf'\).*RECOVER AUTOMATIC DATABASE/,
    );
    await sys.query('ALTER DATABASE MOUNT');
    await expect(sys.query('ALTER DATABASE OPEN')).rejects.toMatchObject({
      message: expect.stringMatching(
        /^TDB-4002: datafile \d+ \('[^']*usr001\.dtf'\).*media recovery is needed/,
      ) as string,
    });
    await sys.query('ALTER DATABASE MOUNT'); // a failed OPEN leaves NOMOUNT
    const recovered = await run(sys, 'ALTER DATABASE RECOVER AUTOMATIC DATABASE');
    expect(recovered.at(-1)).toMatch(/media recovery complete/);
    await sys.query('ALTER DATABASE OPEN');
    expect(await ids(sys)).toEqual(expected);
    expect((await sys.query<{ log_mode: string }>('select log_mode from v$database')).rows[0].log_mode).toBe(
      'ARCHIVELOG',
    );
    // Archiving goes on from where it was.
    await insertRows(sys, 'ledger', 7001, 50);
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    await stop(db, sys, 'IMMEDIATE');
    sys = await start(db, 'OPEN');
    expect(await ids(sys)).toHaveLength(1350);
    await stop(db, sys, 'IMMEDIATE');
  });

  it('recreates them with RESETLOGS when the online logs are lost too: RECOVER UNTIL CANCEL, then OPEN RESETLOGS', async () => {
    const db = await newDatabase();
    let sys = await start(db, 'OPEN');
    await sys.query('create table ledger (id int primary key, note text)');
    await insertRows(sys, 'ledger', 1, 300);
    await sys.query('delete from ledger where id > 250');
    const expected = await ids(sys);
    const members = await logMembers(sys);
    const resetlogsBefore = (await sys.query<{ tsn: string }>('select resetlogs_tsn::text as tsn from v$database'))
      .rows[0].tsn;
    await stop(db, sys, 'IMMEDIATE');

    sys = await start(db, 'MOUNT'); // the trace works in MOUNT too
    await sys.query("ALTER DATABASE BACKUP CONTROLFILE TO TRACE AS 'ctl-resetlogs.sql' RESETLOGS");
    await stop(db, sys, 'IMMEDIATE');
    for (const path of [...(await controlFilePaths(db)), ...members]) await unlink(path);

    sys = await start(db, 'NOMOUNT');
    const script = await readFile(join(db.directory, 'ctl-resetlogs.sql'), 'utf8');
    expect(script).toMatch(/CREATE CONTROLFILE REUSE DATABASE "tandem" RESETLOGS NOARCHIVELOG/);
    await sys.query(script);
    await sys.query('ALTER DATABASE MOUNT');
    await expect(sys.query('ALTER DATABASE OPEN')).rejects.toMatchObject({
      message: expect.stringMatching(/^TDB-4002: .*media recovery is needed/) as string,
    });
    await sys.query('ALTER DATABASE MOUNT');
    await expect(sys.query('ALTER DATABASE OPEN RESETLOGS')).rejects.toMatchObject({
      message: expect.stringMatching(/^TDB-8005: /) as string,
    });
    const needs = await run(sys, 'ALTER DATABASE RECOVER DATABASE UNTIL CANCEL');
    expect(needs.at(-1)).toMatch(/media recovery needs log sequence/);
    const cancelled = await run(sys, 'ALTER DATABASE RECOVER CANCEL');
    expect(cancelled.at(-1)).toMatch(/media recovery incomplete: .*OPEN RESETLOGS/);
    await sys.query('ALTER DATABASE OPEN RESETLOGS');
    expect(await ids(sys)).toEqual(expected);
    const after = (await sys.query<{ tsn: string }>('select resetlogs_tsn::text as tsn from v$database')).rows[0].tsn;
    expect(BigInt(after)).toBeGreaterThan(BigInt(resetlogsBefore));
    for (const member of members) expect((await stat(member)).isFile()).toBe(true);
    await insertRows(sys, 'ledger', 1001, 100);
    await sys.query('ALTER SYSTEM SWITCH LOGFILE');
    await stop(db, sys, 'ABORT');
    sys = await start(db, 'OPEN');
    expect(await ids(sys)).toHaveLength(expected.length + 100);
    await stop(db, sys, 'IMMEDIATE');
  });

  it('writes a binary backup that mounts, and never overwrites a file without REUSE', async () => {
    const db = await newDatabase();
    let sys = await start(db, 'OPEN');
    await sys.query('create table ledger (id int primary key, note text)');
    await insertRows(sys, 'ledger', 1, 100);
    const trace = join(db.directory, 'ctl.sql');
    await sys.query(`ALTER DATABASE BACKUP CONTROLFILE TO TRACE AS '${trace}'`);
    const first = await readFile(trace, 'utf8');
    expect(first).toMatch(/^-- If the online logs are lost or damaged, use this statement instead \(RESETLOGS\):$/m);
    expect(first).toMatch(/^-- CREATE CONTROLFILE REUSE DATABASE "tandem" RESETLOGS NOARCHIVELOG$/m);
    await expect(sys.query(`ALTER DATABASE BACKUP CONTROLFILE TO TRACE AS '${trace}'`)).rejects.toMatchObject({
      code: '42710',
      message: `TDB-1008: '${trace}' already exists; add REUSE to overwrite it (ALTER DATABASE BACKUP CONTROLFILE TO TRACE AS '...' REUSE)`,
    });
    await expect(sys.query("ALTER DATABASE BACKUP CONTROLFILE TO 'ctl.sql'")).rejects.toMatchObject({
      message: expect.stringMatching(/^TDB-1008: /) as string,
    });
    const [control01] = await controlFilePaths(db);
    await expect(sys.query(`ALTER DATABASE BACKUP CONTROLFILE TO '${control01}' REUSE`)).rejects.toMatchObject({
      message: expect.stringMatching(/^TDB-1008: '.*control01\.ctl' is already a control file/) as string,
    });
    await sys.query(`ALTER DATABASE BACKUP CONTROLFILE TO TRACE AS '${trace}' REUSE RESETLOGS`);
    expect(await readFile(trace, 'utf8')).toMatch(/RESETLOGS NOARCHIVELOG\n/);
    await stop(db, sys, 'IMMEDIATE');

    sys = await start(db, 'MOUNT');
    await sys.query("ALTER DATABASE BACKUP CONTROLFILE TO 'backup/control.bak'");
    await expect(sys.query("ALTER DATABASE BACKUP CONTROLFILE TO 'backup/control.bak'")).rejects.toMatchObject({
      message: expect.stringMatching(/^TDB-1008: /) as string,
    });
    await sys.query("ALTER DATABASE BACKUP CONTROLFILE TO 'backup/control.bak' REUSE");
    await stop(db, sys, 'IMMEDIATE');
    // Every copy lost; the backup copied to each path mounts and opens.
    for (const path of await controlFilePaths(db)) {
      await unlink(path);
      await copyFile(join(db.directory, 'backup/control.bak'), path);
    }
    sys = await start(db, 'OPEN');
    expect(await ids(sys)).toHaveLength(100);
    await stop(db, sys, 'IMMEDIATE');
  });

  it('refuses CREATE CONTROLFILE over existing copies without REUSE, outside NOMOUNT, and for files that are not this database', async () => {
    const db = await newDatabase();
    let sys = await start(db, 'OPEN');
    await sys.query('create table ledger (id int primary key, note text)');
    await insertRows(sys, 'ledger', 1, 100);
    await sys.query("ALTER DATABASE BACKUP CONTROLFILE TO TRACE AS 'ctl.sql'");
    const id = await dbid(sys);
    const usr = (await sys.query<{ name: string }>("select name from v$datafile where tablespace = 'USR'")).rows[0]
      .name;
    const script = await readFile(join(db.directory, 'ctl.sql'), 'utf8');
    await expect(sys.query(script)).rejects.toMatchObject({
      message: expect.stringMatching(
        /^TDB-4001: CREATE CONTROLFILE runs in NOMOUNT; the instance is in OPEN/,
      ) as string,
    });
    await stop(db, sys, 'IMMEDIATE');

    const [control01] = await controlFilePaths(db);
    sys = await start(db, 'NOMOUNT');
    const before = await readFile(control01);
    await expect(sys.query(script.replace('CREATE CONTROLFILE REUSE', 'CREATE CONTROLFILE'))).rejects.toMatchObject({
      code: '42710',
      message: expect.stringMatching(
        /^TDB-1008: control file '.*control01\.ctl' already exists; CREATE CONTROLFILE REUSE/,
      ) as string,
    });
    expect(await readFile(control01)).toEqual(before);
    await stop(db, sys, 'IMMEDIATE');
    for (const path of await controlFilePaths(db)) await unlink(path);

    // Two other databases: one with another id, one with this id but 4096-byte blocks.
    const other = await foreignDatabase(id + 1, 8192);
    const smaller = await foreignDatabase(id, 4096);
    sys = await start(db, 'NOMOUNT');
    await expect(sys.query(script.replace(`'${usr}'`, `'${other}'`))).rejects.toMatchObject({
      code: 'XX000',
      message: expect.stringContaining(
        `TDB-1007: '${other}' is datafile 4 of another database (id ${id + 1})`,
      ) as string,
    });
    await expect(sys.query(script.replace(`'${usr}'`, `'${smaller}'`))).rejects.toMatchObject({
      code: 'XX000',
      message: expect.stringContaining(`TDB-1007: '${smaller}' has 4096-byte blocks`) as string,
    });
    await copyFile(usr, `${usr}.copy`);
    const twice = script.replace(/(TABLESPACE "USR" \()/, `$1'${usr}.copy', `);
    await expect(sys.query(twice)).rejects.toMatchObject({
      message: expect.stringContaining(`TDB-3005: '${usr}' and '${usr}.copy' are both datafile 4`) as string,
    });
    await rename(usr, `${usr}.moved`);
    await expect(sys.query(script)).rejects.toMatchObject({
      code: '58P01',
      message: expect.stringContaining(`TDB-1004: datafile '${usr}' named in CREATE CONTROLFILE is missing`) as string,
    });
    // Nothing was written by the refused statements.
    for (const path of await controlFilePaths(db)) await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    await rename(`${usr}.moved`, usr);
    await sys.query(script);
    await sys.query('ALTER DATABASE OPEN');
    expect(await ids(sys)).toHaveLength(100);
    await stop(db, sys, 'IMMEDIATE');
  });

  it('prints a statement that parses, and the deparser prints it back the same', () => {
    const state = {
      formatVersion: 1 as const,
      dbName: 'My "db"',
      dbId: 7,
      createdMs: 0,
      blockBytes: 8192,
      logMode: 'ARCHIVELOG' as const,
      incarnation: { number: 1, resetlogsTsn: 0, resetlogsMs: 0 },
      checkpoint: { sequence: 3, offsetBytes: 512, tsn: 100 },
      checkpointMs: 0,
      cleanShutdown: true,
      tablespaces: [
        { number: 0, name: 'SYSTEM', kind: 'SYSTEM' as const },
        { number: 1, name: 'UNDO', kind: 'UNDO' as const },
        { number: 2, name: 'TEMP', kind: 'TEMP' as const },
        { number: 3, name: "O'NEIL", kind: 'USER' as const },
      ],
      datafiles: [
        {
          number: 1,
          tablespaceNumber: 0,
          path: '/d/system001.dtf',
          sizeBlocks: 1024,
          autoextend: { nextBlocks: 1024, maxBlocks: 1 << 20 },
          creationTsn: 1,
          checkpointTsn: 100,
        },
        {
          number: 2,
          tablespaceNumber: 1,
          path: '/d/undo001.dtf',
          sizeBlocks: 1024,
          autoextend: null,
          creationTsn: 1,
          checkpointTsn: 100,
        },
        {
          number: 3,
          tablespaceNumber: 2,
          path: '/d/temp001.dtf',
          sizeBlocks: 256,
          autoextend: null,
          creationTsn: 1,
          checkpointTsn: 100,
        },
        {
          number: 5,
          tablespaceNumber: 3,
          path: "/d/o'neil2.dtf",
          sizeBlocks: 64,
          autoextend: null,
          creationTsn: 9,
          checkpointTsn: 100,
        },
        {
          number: 4,
          tablespaceNumber: 3,
          path: '/d/oneil1.dtf',
          sizeBlocks: 64,
          autoextend: null,
          creationTsn: 9,
          checkpointTsn: 100,
        },
      ],
      logGroups: [1, 2].map((number) => ({
        number,
        sizeBytes: 2 * 1024 * 1024,
        members: [{ path: `/d/redo0${number}a.log`, status: 'VALID' as const }],
        sequence: number + 1,
        firstTsn: 0,
        endBytes: 0,
        nextTsn: 0,
        state: 'INACTIVE' as const,
      })),
    };
    for (const resetlogs of [undefined, true]) {
      const statements = parse(
        controlfileTrace(state, { controlFilePaths: ['/d/c1.ctl'], nowMs: 0, ...(resetlogs ? { resetlogs } : {}) }),
      );
      expect(statements).toHaveLength(1);
      const statement = statements[0].statement;
      expect(statement).toMatchObject({
        kind: 'createControlfile',
        reuse: true,
        name: 'My "db"',
        resetlogs: resetlogs === true,
        archivelog: true,
        logGroups: [
          { group: 1, members: ['/d/redo01a.log'], sizeBytes: 2097152 },
          { group: 2, members: ['/d/redo02a.log'], sizeBytes: 2097152 },
        ],
        datafiles: [
          {
            tablespace: { name: 'SYSTEM', kind: 'SYSTEM' },
            datafiles: [
              {
                path: '/d/system001.dtf',
                autoextend: { on: true, nextBytes: 8 * 1024 * 1024, maxBytes: 8 * 1024 ** 3 },
              },
            ],
          },
          { tablespace: { name: 'UNDO', kind: 'UNDO' }, datafiles: [{ path: '/d/undo001.dtf' }] },
          {
            tablespace: { name: 'TEMP', kind: 'TEMP' },
            datafiles: [{ path: '/d/temp001.dtf', sizeBytes: 2 * 1024 * 1024 }],
          },
          {
            tablespace: { name: "O'NEIL", kind: 'USER' },
            datafiles: [{ path: '/d/oneil1.dtf' }, { path: "/d/o'neil2.dtf" }],
          },
        ],
      });
      expect(parse(formatStatement(statement))[0].statement).toEqual({ ...statement, pos: 0 });
    }
  });
});

describe('control file multiplexing', () => {
  it('names the copy deleted while the database was down; copying a survivor over it fixes it', async () => {
    const db = await newDatabase();
    let sys = await start(db, 'OPEN');
    await sys.query('create table ledger (id int primary key, note text)');
    await insertRows(sys, 'ledger', 1, 100);
    await stop(db, sys, 'IMMEDIATE');
    const [control01, control02] = await controlFilePaths(db);
    await unlink(control02);

    await expect(DatabaseServer.start(db.directory, { port: 0, stage: 'MOUNT' })).rejects.toMatchObject({
      code: 'TDB-3001',
      message:
        `TDB-3001: control file '${control02}' is missing; '${control01}' is sound. While the database is down, ` +
        `copy a sound copy over each missing one (cp '${control01}' '${control02}'), or remove it from the control file ` +
        `list (controlFiles in tandem-db.yaml, Tibero's CONTROL_FILES; keep at least two copies there, on different disks); ` +
        `then start again`,
    });
    await copyFile(control01, control02);
    sys = await start(db, 'OPEN');
    expect(await ids(sys)).toHaveLength(100);
    await stop(db, sys, 'IMMEDIATE');
  });

  it('adds a third copy through the parameters, and starts without a lost copy once it is removed from them', async () => {
    const db = await newDatabase();
    let sys = await start(db, 'OPEN');
    await sys.query('create table ledger (id int primary key, note text)');
    await insertRows(sys, 'ledger', 1, 100);
    await stop(db, sys, 'IMMEDIATE');

    // The seed's procedure: shut down, copy a control file elsewhere, add it to the parameters, boot.
    const [control01, control02] = await controlFilePaths(db);
    const control03 = join(db.directory, 'disk3', 'control03.ctl');
    await mkdir(join(db.directory, 'disk3'));
    await copyFile(control01, control03);
    await setControlFilePaths(db, [control01, control02, control03]);
    sys = await start(db, 'OPEN');
    expect((await sys.query<{ name: string }>('select name from v$controlfile')).rows.map((row) => row.name)).toEqual([
      control01,
      control02,
      control03,
    ]);
    await insertRows(sys, 'ledger', 1001, 100);
    await stop(db, sys, 'IMMEDIATE');
    // Every update went to the new copy too: it is identical to the others.
    expect(await readFile(control03)).toEqual(await readFile(control01));
    expect(await readFile(control03)).toEqual(await readFile(control02));
    const mounted = await ControlFiles.mount(new NodeFileSystem(), [control03]);
    expect(mounted.control.state.cleanShutdown).toBe(true);
    await mounted.control.close();

    // A copy lost while down: MOUNT names it; removed from the parameters, the others are enough.
    await unlink(control02);
    await expect(DatabaseServer.start(db.directory, { port: 0, stage: 'OPEN' })).rejects.toMatchObject({
      message: expect.stringContaining(
        `control file '${control02}' is missing; '${control01}', '${control03}' are sound`,
      ) as string,
    });
    await setControlFilePaths(db, [control01, control03]);
    sys = await start(db, 'OPEN');
    expect(await ids(sys)).toHaveLength(200);
    await stop(db, sys, 'IMMEDIATE');
  });
});

/** Another database's USR datafile (file 4), made with the engine directly to choose its id and block size. */
async function foreignDatabase(dbId: number, blockBytes: number): Promise<string> {
  const directory = await newDirectory('tandem-ctl-');
  const instance = new Instance({ fs: new NodeFileSystem(), clock: new SystemClock() }, { directory });
  await instance.nomount();
  await instance.createDatabase({ dbId, blockBytes, logSizeBytes: 2 * 1024 * 1024, logGroups: 2, logMembers: 1 });
  await instance.shutdown('IMMEDIATE');
  return join(directory, 'usr001.dtf');
}
