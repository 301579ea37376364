// tandem$ddl, the view `tandem db export` reads the schema from: only administrators may
// read it; every statement reads back with our own parser and prints the same; and running
// the statements in a fresh database recreates the same objects (the second database's
// view shows the same statements), with users that log in with their old passwords, their
// tables' owners and grants, and sequences that continue where they were.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatStatement } from '../src/sql/deparse.js';
import { parse } from '../src/sql/parser.js';
import { startTestServer, type TestServer } from './sql-server.js';

interface DdlRow {
  seq: number;
  section: string;
  object_type: string;
  owner: string | null;
  object_name: string;
  table_name: string | null;
  tablespace: string | null;
  ddl: string;
}

let source: TestServer;
let target: TestServer;
let sys: pg.Client;

const SETUP = [
  "CREATE USER alice IDENTIFIED BY 'alice-pw'",
  "CREATE USER bob PASSWORD 'bob pw with spaces' DEFAULT TABLESPACE usr",
  "CREATE ROLE nologin_role PASSWORD 'x' NOLOGIN",
  "CREATE USER admin2 IDENTIFIED BY 'admin-pw'",
  'GRANT RESOURCE TO alice',
  'GRANT RESOURCE, CREATE SESSION TO bob',
  'GRANT DBA TO admin2',
  `CREATE TABLE typed (id serial PRIMARY KEY, "Label" varchar(20) NOT NULL DEFAULT 'it''s',
     c char(3), amount numeric(12, 2) CHECK (amount >= 0), at timestamptz DEFAULT now(), flag boolean,
     d date, f4 real, f8 double precision, b bytea, t timestamp(3), big bigint, small smallint, note text,
     CONSTRAINT label_not_empty CHECK ("Label" <> ''))`,
  'CREATE UNIQUE INDEX mixed_label ON typed ("Label")',
  'CREATE INDEX mixed_at ON typed (at, id)',
  'CREATE TABLE plain (k int, v text UNIQUE)',
  'CREATE TABLE "CamelCase" ("Key" int PRIMARY KEY, "Value" text)',
  'CREATE SEQUENCE tickets INCREMENT BY 5 START WITH 100 MAXVALUE 100000 CACHE 10 CYCLE',
  "SELECT nextval('tickets'), nextval('tickets')",
  "INSERT INTO typed (\"Label\") VALUES ('one'), ('two')",
];

async function ddlRows(client: pg.Client): Promise<DdlRow[]> {
  return (await client.query<DdlRow>('select * from tandem$ddl order by seq')).rows;
}

/** Runs the view's statements, as an import would (without the rows). */
async function recreate(client: pg.Client, rows: readonly DdlRow[]): Promise<void> {
  for (const row of rows) await client.query(row.ddl);
}

beforeAll(async () => {
  [source, target] = await Promise.all([startTestServer(), startTestServer()]);
  sys = await source.client();
  for (const sql of SETUP) await sys.query(sql);
  const alice = await source.client({ user: 'alice', password: 'alice-pw' });
  await alice.query('CREATE TABLE alice_notes (id int PRIMARY KEY, body text)');
  await alice.query('GRANT SELECT, INSERT ON alice_notes TO bob');
  await alice.query('CREATE TABLE alice_private (id int)');
});

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

describe('tandem$ddl', () => {
  it('is readable by sys and DBA holders only', async () => {
    const bob = await source.client({ user: 'bob', password: 'bob pw with spaces' });
    await expect(bob.query('select * from tandem$ddl')).rejects.toMatchObject({
      code: '42501',
      message: expect.stringMatching(/^TDB-6016: permission denied for view tandem\$ddl/) as string,
    });
    const admin = await source.client({ user: 'admin2', password: 'admin-pw' });
    expect((await ddlRows(admin)).length).toBeGreaterThan(10);
  });

  it('lists users, sequences and tables before the data, indexes, sequence positions and grants after', async () => {
    const rows = await ddlRows(sys);
    expect(rows.map((row) => row.seq)).toEqual(rows.map((_row, i) => i + 1));
    const firstPost = rows.findIndex((row) => row.section === 'post-data');
    expect(rows.slice(firstPost).every((row) => row.section === 'post-data')).toBe(true);
    const kinds = (section: string) => [
      ...new Set(rows.filter((row) => row.section === section).map((row) => row.object_type)),
    ];
    expect(kinds('pre-data')).toEqual(['USER', 'SYSTEM GRANT', 'SEQUENCE', 'TABLE', 'OWNER']);
    expect(kinds('post-data')).toEqual(['INDEX', 'SEQUENCE VALUE', 'GRANT']);
    const find = (type: string, name: string) =>
      rows.find((row) => row.object_type === type && row.object_name === name);
    expect(rows.some((row) => row.object_name === 'sys')).toBe(false);
    expect(find('USER', 'alice')?.ddl).toMatch(/^CREATE USER alice PASSWORD 'SCRAM-SHA-256\$\d+:/);
    expect(find('USER', 'nologin_role')?.ddl).toMatch(/ NOLOGIN$/);
    expect(find('SYSTEM GRANT', 'bob')?.ddl).toBe('GRANT CREATE SESSION, RESOURCE TO bob');
    // The serial's sequence belongs to the table whose DEFAULT uses it.
    expect(find('SEQUENCE', 'typed_id_seq')).toMatchObject({ owner: 'sys', table_name: 'typed' });
    expect(find('SEQUENCE', 'tickets')).toMatchObject({ owner: null, table_name: null });
    expect(find('SEQUENCE VALUE', 'tickets')?.ddl).toBe('ALTER SEQUENCE tickets RESTART WITH 110');
    expect(find('TABLE', 'alice_notes')).toMatchObject({ owner: 'alice', tablespace: null });
    expect(find('OWNER', 'alice_notes')?.ddl).toBe('ALTER TABLE alice_notes OWNER TO alice');
    expect(find('INDEX', 'plain_v_key')?.ddl).toBe('CREATE UNIQUE INDEX plain_v_key ON plain (v)');
    expect(find('GRANT', 'alice_notes')).toMatchObject({
      owner: 'alice',
      ddl: 'GRANT INSERT, SELECT ON TABLE alice_notes TO bob',
    });
    const mixed = find('TABLE', 'typed')?.ddl ?? '';
    for (const part of [
      'CREATE TABLE typed (',
      `"Label" character varying(20) NOT NULL DEFAULT 'it''s'`,
      'c character(3)',
      'amount numeric(12, 2)',
      'at timestamp with time zone DEFAULT now()',
      'f4 real',
      't timestamp(3) without time zone',
      'PRIMARY KEY (id)',
      'CONSTRAINT label_not_empty CHECK ("Label" <> \'\')',
      'CONSTRAINT typed_amount_check CHECK (amount >= 0)',
    ]) {
      expect(mixed).toContain(part);
    }
  });

  it('emits statements that our parser reads back and prints the same', async () => {
    for (const row of await ddlRows(sys)) {
      const parsed = parse(row.ddl);
      expect(parsed, row.ddl).toHaveLength(1);
      expect(formatStatement(parsed[0].statement)).toBe(row.ddl);
    }
  });

  it('recreates the same objects in a fresh database', async () => {
    const rows = await ddlRows(sys);
    const fresh = await target.client();
    await recreate(fresh, rows);
    expect(await ddlRows(fresh)).toEqual(rows);

    // Users log in with their old passwords and keep their privileges and tables.
    const alice = await target.client({ user: 'alice', password: 'alice-pw' });
    await alice.query('insert into alice_notes values (1, $1)', ['mine']);
    await alice.query('create table alice_more (n int)');
    const bob = await target.client({ user: 'bob', password: 'bob pw with spaces' });
    expect((await bob.query('select body from alice_notes')).rows).toEqual([{ body: 'mine' }]);
    await expect(bob.query('select * from alice_private')).rejects.toMatchObject({ code: '42501' });
    await expect(target.client({ user: 'alice', password: 'wrong' })).rejects.toThrow(/password authentication failed/);
    await expect(target.client({ user: 'nologin_role', password: 'x' })).rejects.toThrow();

    // Sequences go on from where they were; constraints hold.
    expect((await fresh.query("select nextval('tickets') as n")).rows).toEqual([{ n: '110' }]);
    await expect(fresh.query('insert into plain values (1, $1), (2, $1)', ['same'])).rejects.toMatchObject({
      code: '23505',
    });
    await expect(fresh.query(`insert into typed ("Label", amount) values ('x', -1)`)).rejects.toMatchObject({
      code: '23514',
    });
  });
});

describe('the statements an import needs', () => {
  it('CREATE USER takes a SCRAM verifier as already hashed, and a malformed one as a password', async () => {
    const verifier = (await ddlRows(sys))
      .find((row) => row.object_name === 'alice' && row.object_type === 'USER')!
      .ddl.match(/PASSWORD '([^']+)'/)![1];
    await sys.query(`CREATE USER alice_copy PASSWORD '${verifier}'`);
    await (await source.client({ user: 'alice_copy', password: 'alice-pw' })).end();
    await sys.query(`CREATE USER odd PASSWORD 'SCRAM-SHA-256$not-a-verifier'`);
    await (await source.client({ user: 'odd', password: 'SCRAM-SHA-256$not-a-verifier' })).end();
    await sys.query(`ALTER USER odd PASSWORD '${verifier}'`);
    await (await source.client({ user: 'odd', password: 'alice-pw' })).end();
  });

  it('ALTER TABLE ... OWNER TO needs an administrator and an existing user', async () => {
    await sys.query('create table given (n int)');
    const alice = await source.client({ user: 'alice', password: 'alice-pw' });
    await sys.query('ALTER TABLE given OWNER TO alice');
    await alice.query('insert into given values (1)');
    await expect(alice.query('ALTER TABLE given OWNER TO bob')).rejects.toMatchObject({ code: '42501' });
    await expect(sys.query('ALTER TABLE given OWNER TO nobody')).rejects.toMatchObject({ code: '42704' });
    expect((await sys.query("select owner from user_tables where table_name = 'given'")).rows).toEqual([
      { owner: 'alice' },
    ]);
  });
});
