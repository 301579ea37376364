// CREATE DATABASE over SQL in NOMOUNT, as Tibero does it: parameters and sys first
// (tandem db init --no-create), the instance started in NOMOUNT, then sys creates the
// database with the files the statement names; it opens, and survives a restart.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DatabaseServer, initDatabase } from '../src/index.js';

const directories: string[] = [];

afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

async function connect(port: number, password: string): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'sys', password, database: 'tandem' });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

describe('CREATE DATABASE in NOMOUNT', () => {
  it('creates the named files, opens the database, sets sys’s password, and survives a restart', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'tandem-createdb-'));
    directories.push(directory);
    const { sysPassword } = await initDatabase(directory, { createDatabase: false });
    await expect(stat(join(directory, 'control01.ctl'))).rejects.toMatchObject({ code: 'ENOENT' });

    let server = await DatabaseServer.start(directory, { port: 0, stage: 'NOMOUNT' });
    try {
      const sys = await connect(server.address.port, sysPassword);
      expect((await sys.query('select status from v$instance')).rows).toEqual([{ status: 'NOMOUNT' }]);
      await expect(sys.query('create table too_early (n int)')).rejects.toMatchObject({ code: '55000' });
      await sys.query(
        `CREATE DATABASE "tandem" USER sys IDENTIFIED BY "second-secret" MAXINSTANCES 8 CHARACTER SET UTF8
           LOGFILE GROUP 1 ('log/redo1a.log', 'log/redo1b.log') SIZE 16M,
                   GROUP 2 ('log/redo2a.log', 'log/redo2b.log') SIZE 16M
           ARCHIVELOG
           DATAFILE 'data/system001.dtf' SIZE 16M AUTOEXTEND ON NEXT 8M MAXSIZE UNLIMITED
           DEFAULT TABLESPACE usr DATAFILE 'data/usr001.dtf' SIZE 8M AUTOEXTEND ON NEXT 8M
           DEFAULT TEMPORARY TABLESPACE temp TEMPFILE 'data/temp001.dtf' SIZE 4M
           UNDO TABLESPACE undo DATAFILE 'data/undo001.dtf' SIZE 16M AUTOEXTEND ON`,
      );
      // The same session goes on working in the new database.
      expect((await sys.query('select status from v$instance')).rows).toEqual([{ status: 'OPEN' }]);
      await sys.query('create table made_after (n int primary key)');
      await sys.query('insert into made_after values (1), (2)');
      expect((await sys.query('select name, log_mode, open_mode from v$database')).rows).toEqual([
        { name: 'tandem', log_mode: 'ARCHIVELOG', open_mode: 'READ WRITE' },
      ]);
      expect(
        (await sys.query<{ member: string }>('select member from v$logfile order by member')).rows.map(
          (row) => row.member,
        ),
      ).toEqual([
        join(directory, 'log/redo1a.log'),
        join(directory, 'log/redo1b.log'),
        join(directory, 'log/redo2a.log'),
        join(directory, 'log/redo2b.log'),
      ]);
      expect(
        (
          await sys.query<{ name: string; tablespace: string; bytes: string }>(
            'select name, tablespace, bytes from v$datafile order by file#',
          )
        ).rows.map((row) => [row.name, row.tablespace, row.bytes]),
      ).toEqual([
        [join(directory, 'data/system001.dtf'), 'SYSTEM', String(16 * 1024 * 1024)],
        [join(directory, 'data/undo001.dtf'), 'UNDO', String(16 * 1024 * 1024)],
        [join(directory, 'data/temp001.dtf'), 'TEMP', String(4 * 1024 * 1024)],
        [join(directory, 'data/usr001.dtf'), 'USR', String(8 * 1024 * 1024)],
      ]);
      await sys.end();
    } finally {
      await server.stop('IMMEDIATE');
    }

    // sys's password is the one CREATE DATABASE gave, and sys.password says so.
    expect((await readFile(join(directory, 'sys.password'), 'utf8')).trim()).toBe('second-secret');
    server = await DatabaseServer.start(directory, { port: 0 });
    try {
      await expect(connect(server.address.port, sysPassword)).rejects.toMatchObject({ code: '28P01' });
      const sys = await connect(server.address.port, 'second-secret');
      expect((await sys.query('select n from made_after order by n')).rows).toEqual([{ n: 1 }, { n: 2 }]);
      await sys.end();
    } finally {
      await server.stop('IMMEDIATE');
    }
  });

  it('is refused once a database is open, and for a name other than the parameter file’s', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'tandem-createdb-'));
    directories.push(directory);
    const { sysPassword } = await initDatabase(directory, { createDatabase: false });
    const server = await DatabaseServer.start(directory, { port: 0, stage: 'NOMOUNT' });
    try {
      const sys = await connect(server.address.port, sysPassword);
      await expect(sys.query('CREATE DATABASE "other"')).rejects.toMatchObject({ code: '22023' });
      await sys.query('CREATE DATABASE');
      await expect(sys.query('CREATE DATABASE')).rejects.toMatchObject({ code: '55000' });
      await sys.end();
    } finally {
      await server.stop('IMMEDIATE');
    }
  });
});
