// CREATE, ALTER and DROP TABLESPACE in Tibero's syntax, through node-postgres: tables
// placed in a tablespace, files added, a non-empty tablespace refused without INCLUDING
// CONTENTS, AND DATAFILES deleting the files, and the result surviving a shutdown ABORT
// (crash recovery must not look for the dropped files).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseServer, initDatabase } from '../src/index.js';

let directory: string;
let password: string;
let server: DatabaseServer;
let sys: pg.Client;

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: server.address.port,
    user: 'sys',
    password,
    database: 'tandem',
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function tablespaces(): Promise<string[]> {
  const result = await sys.query<{ name: string }>('select name from v$tablespace order by name');
  return result.rows.map((row) => row.name);
}

async function datafilesOf(tablespace: string): Promise<string[]> {
  const result = await sys.query<{ name: string }>('select name from v$datafile where tablespace = $1 order by file#', [
    tablespace,
  ]);
  return result.rows.map((row) => row.name);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tandem-ts-'));
  ({ sysPassword: password } = await initDatabase(directory, { logSizeBytes: 4 * 1024 * 1024 }));
  server = await DatabaseServer.start(directory, { port: 0 });
  sys = await connect();
});

afterAll(async () => {
  await sys?.end().catch(() => undefined);
  await server?.stop('IMMEDIATE').catch(() => undefined);
  await rm(directory, { recursive: true, force: true });
});

describe('tablespaces', () => {
  it('creates a tablespace, places a table in it, and adds a datafile', async () => {
    await sys.query(`CREATE TABLESPACE sales DATAFILE 'sales01.dtf' SIZE 2M AUTOEXTEND ON NEXT 1M MAXSIZE 16M`);
    expect(await tablespaces()).toContain('SALES');
    await sys.query('create table orders (id int primary key, amount numeric(10,2)) tablespace sales');
    await sys.query('insert into orders select g, g * 1.5 from generate_series(1, 2000) g');
    await sys.query(`ALTER TABLESPACE sales ADD DATAFILE 'sales02.dtf' SIZE 1M`);
    expect(await datafilesOf('SALES')).toEqual([join(directory, 'sales01.dtf'), join(directory, 'sales02.dtf')]);
    expect((await sys.query('select count(*)::int as n, sum(amount)::text as s from orders')).rows).toEqual([
      { n: 2000, s: '3001500.00' },
    ]);
  });

  it('refuses to drop a tablespace that holds tables unless INCLUDING CONTENTS', async () => {
    await expect(sys.query('drop tablespace sales')).rejects.toMatchObject({
      code: '2BP01',
      message: expect.stringMatching(/TDB-6030: tablespace SALES is not empty.*orders/) as string,
    });
    expect((await sys.query('select count(*)::int as n from orders')).rows).toEqual([{ n: 2000 }]);
  });

  it('refuses the default, SYSTEM, UNDO and TEMP tablespaces, and names unknown ones', async () => {
    for (const name of ['usr', 'system', 'undo', 'temp']) {
      await expect(sys.query(`drop tablespace ${name} including contents`)).rejects.toMatchObject({ code: '22023' });
    }
    await expect(sys.query('drop tablespace nowhere')).rejects.toMatchObject({
      code: '42704',
      message: expect.stringContaining('tablespace "nowhere" does not exist') as string,
    });
    const notices: string[] = [];
    sys.on('notice', (notice) => notices.push(notice.message ?? ''));
    await sys.query('drop tablespace if exists nowhere');
    expect(notices).toEqual(['tablespace "nowhere" does not exist, skipping']);
  });

  it('only sys drops tablespaces', async () => {
    await sys.query(`create user clerk identified by 'clerk-pw'`);
    const clerk = new pg.Client({
      host: '127.0.0.1',
      port: server.address.port,
      user: 'clerk',
      password: 'clerk-pw',
      database: 'tandem',
    });
    await clerk.connect();
    try {
      await expect(clerk.query('drop tablespace sales including contents')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await clerk.end();
    }
    expect(await tablespaces()).toContain('SALES');
  });

  it('INCLUDING CONTENTS drops the tables; the files stay without AND DATAFILES', async () => {
    await sys.query(`CREATE TABLESPACE archive DATAFILE 'archive01.dtf' SIZE 1M`);
    await sys.query('create table old_orders (id int primary key) tablespace archive');
    await sys.query('create index old_orders_id on old_orders (id)');
    await sys.query('insert into old_orders select g from generate_series(1, 100) g');
    await sys.query('create table kept (id int primary key)');
    await sys.query('insert into kept values (1), (2), (3)');
    await sys.query('drop tablespace archive including contents');
    expect(await tablespaces()).not.toContain('ARCHIVE');
    await expect(sys.query('select * from old_orders')).rejects.toMatchObject({ code: '42P01' });
    expect(await exists(join(directory, 'archive01.dtf'))).toBe(true);
    expect((await sys.query('select count(*)::int as n from kept')).rows).toEqual([{ n: 3 }]);
    // The name is free again, and the old file is not part of the database.
    await sys.query(`CREATE TABLESPACE archive DATAFILE 'archive02.dtf' SIZE 1M`);
    await sys.query('drop tablespace archive');
  });

  it('AND DATAFILES deletes the files; the drop survives a shutdown ABORT and crash recovery', async () => {
    await sys.query('drop tablespace sales including contents and datafiles');
    expect(await exists(join(directory, 'sales01.dtf'))).toBe(false);
    expect(await exists(join(directory, 'sales02.dtf'))).toBe(false);
    await sys.query('insert into kept values (4)');
    await sys.end();
    await server.stop('ABORT');

    server = await DatabaseServer.start(directory, { port: 0 });
    sys = await connect();
    expect(await tablespaces()).toEqual(['SYSTEM', 'TEMP', 'UNDO', 'USR']);
    expect((await sys.query<{ id: number }>('select id from kept order by id')).rows.map((row) => row.id)).toEqual([
      1, 2, 3, 4,
    ]);
    await expect(sys.query('select * from orders')).rejects.toMatchObject({ code: '42P01' });
    // A new tablespace may reuse the dropped one's path.
    await sys.query(`CREATE TABLESPACE sales DATAFILE 'sales01.dtf' SIZE 1M`);
    await sys.query('create table orders (id int primary key) tablespace sales');
    await sys.query('insert into orders values (7)');
    expect((await sys.query('select id from orders')).rows).toEqual([{ id: 7 }]);
  });
});
