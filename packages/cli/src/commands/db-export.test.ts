// `tandem db export` and `tandem db import` as users run them, against real Tandem servers
// started in this process: a database with several users, every column type, constraints,
// indexes, sequences and grants goes into a file and comes out in a fresh database the
// same; an export taken while transfers commit is consistent as of its TSN; --user and
// --table take subsets; damaged or truncated files, existing tables and missing privileges
// are refused before anything changes.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseServer, initDatabase } from '@tandem/db';
import { exportDatabase } from '../db-export/export-database.js';
import { ExportFileReader } from '../db-export/export-file.js';
import { runTandem as tandem } from '../db-client/test-support.js';

interface TestDb {
  readonly dir: string;
  readonly port: number;
  readonly password: string;
  client(user?: string, password?: string): Promise<pg.Client>;
  stop(): Promise<void>;
}

const databases: TestDb[] = [];
let work: string;

async function startDb(stage: 'MOUNT' | 'OPEN' = 'OPEN'): Promise<TestDb> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-export-db-'));
  const { sysPassword } = await initDatabase(dir, { logSizeBytes: 16 * 1024 * 1024, logGroups: 3, logMembers: 1 });
  const server = await DatabaseServer.start(dir, { port: 0, stage, log: () => undefined });
  const port = server.address.port;
  const clients: pg.Client[] = [];
  const db: TestDb = {
    dir,
    port,
    password: sysPassword,
    async client(user = 'sys', password = sysPassword) {
      // Values as the server prints them: comparisons are of the exact text.
      const client = new pg.Client({
        host: '127.0.0.1',
        port,
        user,
        password,
        database: 'tandem',
        types: { getTypeParser: () => (value: string) => value },
      });
      client.on('error', () => undefined);
      await client.connect();
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
      await server.stop('IMMEDIATE');
      await rm(dir, { recursive: true, force: true });
    },
  };
  databases.push(db);
  return db;
}

async function exportTo(db: TestDb, name: string, ...args: string[]): Promise<string> {
  const file = join(work, name);
  const result = await tandem('db', 'export', file, '--dir', db.dir, ...args);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return file;
}

async function rowsOf(client: pg.Client, table: string, order: string): Promise<unknown[]> {
  return (await client.query<Record<string, string | null>>(`select * from ${table} order by ${order}`)).rows;
}

async function tableNames(client: pg.Client): Promise<string[]> {
  return (await client.query<{ table_name: string }>('select table_name from user_tables order by 1')).rows.map(
    (row) => row.table_name,
  );
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tandem-export-files-'));
});

afterAll(async () => {
  await Promise.all(databases.map((db) => db.stop()));
  await rm(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------

const TYPED_ROWS: readonly (string | null)[][] = [
  // id, i, big, num, f4, f8, ch, vc, tx, flag, d, ts, tstz, b
  ['1', '-2147483648', '9223372036854775807', '-12345678901.25', '1.5', '0.1', 'ab', 'x', 'tab\there', 'true',
    '2024-02-29', '2024-02-29 23:59:59.123456', '2024-02-29 23:59:59.5+00', '\\x00ff5c0a0d09'],
  ['2', '0', '-9223372036854775808', '0.00', '-0', '1e-300', 'abc', '', 'new\nline\r\nand \\ backslash', 'false',
    '0001-01-01', '1999-12-31 00:00:00', '1970-01-01 00:00:00+00', '\\x'],
  ['3', null, null, null, null, null, null, null, null, null, null, null, null, null],
  ['4', '7', '7', '99999999999.99', 'Infinity', '-Infinity', 'z', 'ünï', '\\.', 'true', '2100-12-31',
    '2000-01-01 12:00:00', '2030-06-15 08:30:00+00', '\\x5c2e'],
  ['5', '8', '8', '1', 'NaN', '1.7976931348623157e+308', ' ', '한국어 😀', '\\N', null, '1900-03-01',
    '1900-03-01 00:00:00.000001', '1900-03-01 00:00:00+00', '\\xdeadbeef'],
]; // prettier-ignore

/** Users, privileges, every column type, constraints, indexes, sequences, grants. */
async function fillSource(db: TestDb): Promise<void> {
  const sys = await db.client();
  for (const sql of [
    "CREATE USER alice IDENTIFIED BY 'alice secret'",
    "CREATE USER bob IDENTIFIED BY 'bob-pw'",
    "CREATE USER carol IDENTIFIED BY 'carol-pw'",
    'GRANT RESOURCE TO alice',
    'GRANT RESOURCE TO bob',
    'GRANT DBA TO carol',
    `CREATE TABLE typed (id int PRIMARY KEY, i int, big bigint, num numeric(14, 2), f4 real, f8 double precision,
       ch char(3), vc varchar(10), tx text, flag boolean, d date, ts timestamp, tstz timestamptz, b bytea)`,
    'CREATE TABLE accounts (id serial PRIMARY KEY, owner text NOT NULL UNIQUE, balance bigint NOT NULL DEFAULT 0 CHECK (balance >= 0))',
    'CREATE INDEX accounts_balance ON accounts (balance)',
    'CREATE TABLE plain (n int, note text)',
    'CREATE SEQUENCE invoice_numbers START WITH 1000 INCREMENT BY 10',
    "SELECT nextval('invoice_numbers'), nextval('invoice_numbers'), nextval('invoice_numbers')",
  ]) {
    await sys.query(sql);
  }
  const placeholders = TYPED_ROWS[0].map((_value, i) => `$${i + 1}`).join(', ');
  for (const row of TYPED_ROWS) await sys.query(`insert into typed values (${placeholders})`, [...row]);
  for (let i = 0; i < 300; i++)
    await sys.query('insert into accounts (owner, balance) values ($1, $2)', [`owner ${i}`, i]);
  await sys.query('insert into plain values (1, null), (1, null), (2, $1)', ['same rows twice']);

  const alice = await db.client('alice', 'alice secret');
  await alice.query('CREATE TABLE alice_notes (id int PRIMARY KEY, body text NOT NULL)');
  await alice.query("insert into alice_notes values (1, 'first'), (2, 'second')");
  await alice.query('GRANT SELECT ON alice_notes TO bob');
  const bob = await db.client('bob', 'bob-pw');
  await bob.query('CREATE TABLE bob_items (id bigserial PRIMARY KEY, name varchar(20))');
  await bob.query("insert into bob_items (name) values ('one'), ('two')");
}

describe('tandem db export and import', () => {
  let source: TestDb;
  let full: string;

  beforeAll(async () => {
    source = await startDb();
    await fillSource(source);
    full = await exportTo(source, 'full.tdx');
  });

  it('exports everything as of one TSN, with a summary line and a header naming it', async () => {
    const again = join(work, 'again.tdx');
    const result = await tandem('db', 'export', again, '--dir', source.dir);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toContain('[notice] tandem db export: table accounts: 300 rows, 5.1 kB');
    expect(lines.at(-1)).toMatch(
      new RegExp(`^\\[notice\\] tandem db export: 5 tables, 312 rows, [\\d.]+ kB as of TSN (\\d+) to ${again}$`),
    );
    const tsn = /as of TSN (\d+)/.exec(lines.at(-1) ?? '')![1];
    const reader = await ExportFileReader.open(again);
    reader.close();
    expect(reader.header).toMatchObject({ format: 1, database: 'tandem', tsn, scope: { kind: 'full' }, data: true });
    expect(reader.header.tables).toEqual(['accounts', 'alice_notes', 'bob_items', 'plain', 'typed']);
    expect(reader.header.objects).toContainEqual({ type: 'USER', name: 'alice', owner: 'alice' });
    expect(reader.header.objects).toContainEqual({ type: 'INDEX', name: 'accounts_balance', owner: 'sys' });
  });

  it('loads into a fresh database: every row, constraints, sequences, users, owners and grants', async () => {
    const target = await startDb();
    const result = await tandem('db', 'import', full, '--dir', target.dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toContain('[notice] tandem db import: table typed: 5 rows, 587 bytes');
    expect(lines.at(-1)).toMatch(
      /^\[notice\] tandem db import: 5 tables, 312 rows, [\d.]+ kB from .*full\.tdx \(database tandem as of TSN \d+\) into database tandem$/,
    );

    const [from, to] = [await source.client(), await target.client()];
    expect(await tableNames(to)).toEqual(await tableNames(from));
    for (const [table, order] of [
      ['typed', 'id'],
      ['accounts', 'id'],
      ['plain', 'n, note'],
      ['alice_notes', 'id'],
      ['bob_items', 'id'],
    ]) {
      expect(await rowsOf(to, table, order), table).toEqual(await rowsOf(from, table, order));
    }
    expect((await to.query('select * from typed where id = 4')).rows[0]).toMatchObject({ tx: '\\.', b: '\\x5c2e' });
    const columns =
      'select table_name, column_name, data_type, nullable, data_default from user_tab_columns order by 1, 2';
    expect((await to.query(columns)).rows).toEqual((await from.query(columns)).rows);

    // Sequences go on from where they were, serials and plain ones alike (before a failed
    // insert below takes a value: sequences are not transactional).
    for (const sql of [
      "select nextval('invoice_numbers') as n",
      "insert into accounts (owner) values ('new') returning id as n",
    ]) {
      expect((await to.query(sql)).rows, sql).toEqual((await from.query(sql)).rows);
    }

    // Constraints hold: primary key, UNIQUE, CHECK, NOT NULL.
    await expect(to.query("insert into accounts (id, owner) values (1, 'dup id')")).rejects.toMatchObject({
      code: '23505',
    });
    await expect(to.query("insert into accounts (owner) values ('owner 7')")).rejects.toMatchObject({ code: '23505' });
    await expect(to.query("insert into accounts (owner, balance) values ('x', -1)")).rejects.toMatchObject({
      code: '23514',
    });
    await expect(to.query('insert into alice_notes values (9, null)')).rejects.toMatchObject({ code: '23502' });

    // Users log in with their old passwords; privileges, owners and grants hold.
    const alice = await target.client('alice', 'alice secret');
    await alice.query("insert into alice_notes values (3, 'third')");
    await alice.query('ALTER TABLE alice_notes ADD COLUMN extra int');
    const bob = await target.client('bob', 'bob-pw');
    expect((await bob.query('select count(*) as n from alice_notes')).rows).toEqual([{ n: '3' }]);
    await expect(bob.query("insert into alice_notes values (4, 'no')")).rejects.toMatchObject({ code: '42501' });
    await expect(bob.query('select * from typed')).rejects.toMatchObject({ code: '42501' });
    await bob.query("insert into bob_items (name) values ('three')");
    const carol = await target.client('carol', 'carol-pw');
    await carol.query('select * from typed');
    await expect(target.client('alice', 'wrong')).rejects.toThrow(/password authentication failed/);
  });

  it('--no-data exports the schema only', async () => {
    const file = await exportTo(source, 'schema.tdx', '--no-data');
    const target = await startDb();
    expect((await tandem('db', 'import', file, '--dir', target.dir)).code).toBe(0);
    const to = await target.client();
    expect(await tableNames(to)).toEqual(await tableNames(await source.client()));
    expect((await to.query('select count(*) as n from accounts')).rows).toEqual([{ n: '0' }]);
  });

  it('--user exports users with what they own; --table exports tables', async () => {
    const users = await exportTo(source, 'users.tdx', '--user', 'alice', 'bob');
    const tables = await exportTo(source, 'tables.tdx', '--table', 'accounts', 'plain', 'alice_notes');
    expect((await ExportFileReader.open(users)).header.tables).toEqual(['alice_notes', 'bob_items']);

    const forUsers = await startDb();
    expect((await tandem('db', 'import', users, '--dir', forUsers.dir)).code).toBe(0);
    const userDb = await forUsers.client();
    expect(await tableNames(userDb)).toEqual(['alice_notes', 'bob_items']);
    expect((await userDb.query('select name from bob_items order by id')).rows).toEqual([
      { name: 'one' },
      { name: 'two' },
    ]);
    const bob = await forUsers.client('bob', 'bob-pw');
    expect((await bob.query('select body from alice_notes order by id')).rows).toHaveLength(2);
    await expect(forUsers.client('carol', 'carol-pw')).rejects.toThrow();

    // Tables alone: no users are created, so their owners and grants are warnings.
    const forTables = await startDb();
    const result = await tandem('db', 'import', tables, '--dir', forTables.dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '[warning] tandem db import: ALTER TABLE alice_notes OWNER TO alice skipped: TDB-6014: role "alice" does not exist',
    );
    expect(result.stdout).toContain('[warning] tandem db import: GRANT SELECT ON TABLE alice_notes TO bob skipped');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(/into database tandem; 2 warnings$/);
    expect(await tableNames(await forTables.client())).toEqual(['accounts', 'alice_notes', 'plain']);
    const accounts = await forTables.client();
    expect((await accounts.query("select nextval('accounts_id_seq') as n")).rows).toEqual([{ n: '302' }]);

    // The import takes a subset of a full file too.
    const partial = await startDb();
    expect((await tandem('db', 'import', full, '--dir', partial.dir, '--table', 'typed')).code).toBe(0);
    expect(await tableNames(await partial.client())).toEqual(['typed']);
  });

  it('refuses unknown tables and users, an existing file, and users without DBA', async () => {
    const missing = join(work, 'never.tdx');
    const unknown = await tandem('db', 'export', missing, '--dir', source.dir, '--table', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^\[error\] TEXP-0008: table "nope" does not exist in database tandem/);
    await expect(readFile(missing)).rejects.toThrow();
    await expect(readFile(`${missing}.partial`)).rejects.toThrow();
    const nobody = await tandem('db', 'export', missing, '--dir', source.dir, '--user', 'nobody');
    expect(nobody.stderr).toMatch(/^\[error\] TEXP-0009: user "nobody"/);

    const exists = await tandem('db', 'export', full, '--dir', source.dir);
    expect(exists.stderr).toMatch(/^\[error\] TEXP-0001: .*full\.tdx already exists/);
    expect((await tandem('db', 'export', full, '--dir', source.dir, '--force')).code).toBe(0);

    const url = `postgresql://bob:bob-pw@127.0.0.1:${source.port}/tandem`;
    const denied = await tandem('db', 'export', missing, '--url', url);
    expect(denied.stderr).toMatch(/^\[error\] TEXP-0007: user bob may not export or import/);
    const deniedImport = await tandem('db', 'import', full, '--url', url);
    expect(deniedImport.stderr).toMatch(/^\[error\] TEXP-0007: /);

    const closed = await tandem('db', 'export', missing, '--url', 'postgresql://sys:x@127.0.0.1:1/tandem');
    expect(closed.stderr).toMatch(/^\[error\] TEXP-0011: cannot connect to server at "127.0.0.1", port 1/);

    const mounted = await startDb('MOUNT');
    const notOpen = await tandem('db', 'export', missing, '--dir', mounted.dir);
    expect(notOpen.stderr).toMatch(
      /^\[error\] TEXP-0006: the database of the server at "127.0.0.1", port \d+ is not OPEN/,
    );
    await expect(readFile(missing)).rejects.toThrow();
  });

  it('refuses a table that exists unless told to skip or replace it', async () => {
    const target = await startDb();
    const tables = await exportTo(source, 'two-tables.tdx', '--table', 'accounts', 'typed');
    expect((await tandem('db', 'import', tables, '--dir', target.dir)).code).toBe(0);
    const to = await target.client();
    await to.query("update accounts set balance = 12345 where owner = 'owner 0'");
    await to.query('delete from typed where id > 1');

    const refused = await tandem('db', 'import', tables, '--dir', target.dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^\[error\] TEXP-0010: sequence "accounts_id_seq", table "accounts", table "typed" already exist in database tandem/,
    );
    expect(refused.stderr).toContain('--skip-existing');
    expect((await to.query('select count(*) as n from typed')).rows).toEqual([{ n: '1' }]);

    expect((await tandem('db', 'import', tables, '--dir', target.dir, '--skip-existing')).code).toBe(0);
    expect((await to.query('select count(*) as n from typed')).rows).toEqual([{ n: '1' }]);
    expect((await to.query("select balance from accounts where owner = 'owner 0'")).rows).toEqual([
      { balance: '12345' },
    ]);

    expect((await tandem('db', 'import', tables, '--dir', target.dir, '--replace-existing')).code).toBe(0);
    const from = await source.client();
    expect(await rowsOf(to, 'typed', 'id')).toEqual(await rowsOf(from, 'typed', 'id'));
    expect((await to.query("select balance from accounts where owner = 'owner 0'")).rows).toEqual([{ balance: '0' }]);
    await expect(to.query("insert into accounts (owner) values ('owner 1')")).rejects.toMatchObject({
      code: '23505',
    });
  });

  describe('a damaged file is refused before anything changes', () => {
    let target: TestDb;
    let bytes: Buffer;

    beforeAll(async () => {
      target = await startDb();
      bytes = await readFile(full);
    });

    async function importRefused(name: string, content: Buffer, pattern: RegExp): Promise<void> {
      const file = join(work, name);
      await writeFile(file, content);
      const result = await tandem('db', 'import', file, '--dir', target.dir);
      expect(result.code, name).toBe(1);
      expect(result.stderr, name).toMatch(pattern);
      expect(await tableNames(await target.client()), name).toEqual([]);
    }

    it('a flipped byte in the compressed data', async () => {
      const flipped = Buffer.from(bytes);
      flipped[Math.floor(flipped.length / 2)] ^= 0x10;
      await importRefused('flipped.tdx', flipped, /^\[error\] TEXP-0004: .*flipped\.tdx is damaged/);
    });

    it('a changed byte in the content, compressed again (only the checksum can tell)', async () => {
      const content = gunzipSync(bytes);
      const at = content.indexOf('owner 123');
      content[at + 6] = '9'.charCodeAt(0);
      await importRefused(
        'changed.tdx',
        gzipSync(content),
        /^\[error\] TEXP-0004: .* is damaged: the sha256 checksum does not match the content/,
      );
    });

    it('a truncated file, compressed or not', async () => {
      await importRefused(
        'cut.tdx',
        bytes.subarray(0, Math.floor(bytes.length * 0.7)),
        /^\[error\] TEXP-0005: .* is truncated/,
      );
      const content = gunzipSync(bytes);
      const cut = content.subarray(0, content.indexOf('\n@sql', content.indexOf('@copied')) + 1);
      await importRefused('cut-content.tdx', gzipSync(cut), /^\[error\] TEXP-0005: .* is truncated/);
    });

    it('a file that is not an export', async () => {
      await importRefused(
        'text.tdx',
        Buffer.from('CREATE TABLE x (n int);\n'),
        /^\[error\] TEXP-0002: .* not a tandem export/,
      );
      await importRefused('other.tdx', gzipSync('hello\n'), /^\[error\] TEXP-0002: .* not a tandem export file/);
    });
  });
});

// ---------------------------------------------------------------------------------------

describe('consistency as of the export TSN', () => {
  const ACCOUNTS = 20;
  const START_BALANCE = 1000;

  it('keeps two tables that one transaction changes in step, while transfers commit', async () => {
    const source = await startDb();
    const sys = await source.client();
    // accounts counts the transfers each account took part in; history has a row per transfer.
    await sys.query('create table accounts (id int primary key, balance bigint not null, transfers int not null)');
    await sys.query('create table history (id int primary key, from_id int not null, to_id int not null, amount int)');
    for (let id = 1; id <= ACCOUNTS; id++)
      await sys.query('insert into accounts values ($1, $2, 0)', [id, START_BALANCE]);

    let nextId = 1;
    const transfer = async (client: pg.Client): Promise<number> => {
      const id = nextId++;
      const from = 1 + (id % ACCOUNTS);
      const to = 1 + ((id + 1 + (id % (ACCOUNTS - 1))) % ACCOUNTS);
      const amount = id % 50;
      // Rows are locked in id order, so two transfers never deadlock.
      const change = 'update accounts set balance = balance + $2, transfers = transfers + 1 where id = $1';
      await client.query('begin');
      for (const id of [from, to].sort((x, y) => x - y))
        await client.query(change, [id, id === from ? -amount : amount]);
      await client.query('insert into history values ($1, $2, $3, $4)', [id, from, to, amount]);
      await client.query('commit');
      return id;
    };
    const worker = await source.client();
    const hook = await source.client();
    for (let i = 0; i < 50; i++) await transfer(worker);
    const committedBefore = nextId - 1;

    // Transfers keep committing during the whole export, and one more commits for certain
    // between the copy of accounts and the copy of history.
    let running = true;
    const background = (async () => {
      while (running) await transfer(worker);
    })();
    let between: number | undefined;
    const file = join(work, 'consistent.tdx');
    const summary = await exportDatabase({
      file,
      server: { dir: source.dir },
      scope: { kind: 'full' },
      data: true,
      overwrite: false,
      log: () => undefined,
      afterTable: async (table) => {
        if (table === 'accounts') between = await transfer(hook);
      },
    }).finally(() => {
      running = false;
    });
    await background;
    expect(between).toBeDefined();

    const target = await startDb();
    expect((await tandem('db', 'import', file, '--dir', target.dir)).code).toBe(0);
    const to = await target.client();
    const total = await to.query<{ sum: string; transfers: string }>(
      'select sum(balance) as sum, sum(transfers) as transfers from accounts',
    );
    const history = await to.query<{ n: string; last: string }>('select count(*) as n, max(id) as last from history');
    expect(total.rows[0]).toMatchObject({ sum: String(ACCOUNTS * START_BALANCE) });
    // Every transfer counted in accounts has its history row, and no other.
    expect(Number(total.rows[0].transfers)).toBe(2 * Number(history.rows[0].n));
    expect(Number(history.rows[0].n)).toBeGreaterThanOrEqual(committedBefore);
    expect((await to.query('select id from history where id = $1', [between])).rows).toEqual([]);
    // The rows are those of the TSN the file names: history ids are gapless up to the last one.
    expect(Number(history.rows[0].last)).toBe(Number(history.rows[0].n));
    expect(BigInt(summary.tsn)).toBeGreaterThan(0n);
    // And the source has moved on: it holds the transfer that committed during the export.
    expect((await sys.query('select count(*) as n from history where id = $1', [between])).rows).toEqual([{ n: '1' }]);
  });
});
