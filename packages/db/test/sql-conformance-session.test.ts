// SQL conformance: transactions through SQL (BEGIN/COMMIT/ROLLBACK/END/START TRANSACTION,
// savepoints, the aborted-block rule), what another session sees, SET/SHOW/RESET, VACUUM and
// ANALYZE, and results in binary format (expected values printed by PostgreSQL 15.18).
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { conformanceFile, expectFailure, fails, ok, query, rows } from './sql-conformance-harness.js';

let other: pg.Client;
const { suite, conformance } = conformanceFile({
  tables: 'tx_a, tx_c, tx_bin',
  setup: async (db) => {
    other = await db.connect();
  },
  teardown: async (db) => {
    await query(db.client, 'ROLLBACK').catch(() => undefined);
  },
});

suite('transaction blocks', [
  ok('create table tx_a (id int primary key, n int not null)'),
  ok('insert into tx_a values (1, 0), (2, 0)'),
  { sql: 'begin', command: 'BEGIN' },
  { sql: 'update tx_a set n = n + 1 where id = 1', command: 'UPDATE 1' },
  rows('select n from tx_a where id = 1', [['1']]),
  { sql: 'rollback', command: 'ROLLBACK' },
  rows('select n from tx_a where id = 1', [['0']]),
  { sql: 'start transaction', command: 'START' },
  ok('update tx_a set n = 7 where id = 1'),
  { sql: 'commit', command: 'COMMIT' },
  rows('select n from tx_a where id = 1', [['7']]),
  ok('begin'),
  ok('update tx_a set n = 8 where id = 1'),
  { sql: 'end', command: 'COMMIT' },
  rows('select n from tx_a where id = 1', [['8']]),
  ok('begin isolation level read committed'),
  ok('commit'),
  ok('begin transaction'),
  ok('rollback work'),
]);

suite('savepoints', [
  ok('begin'),
  ok('update tx_a set n = 9 where id = 1'),
  { sql: 'savepoint s1', command: 'SAVEPOINT' },
  ok('update tx_a set n = 10 where id = 1'),
  rows('select n from tx_a where id = 1', [['10']]),
  { sql: 'rollback to savepoint s1', command: 'ROLLBACK' },
  rows('select n from tx_a where id = 1', [['9']]),
  { sql: 'release savepoint s1', command: 'RELEASE' },
  ok('commit'),
  rows('select n from tx_a where id = 1', [['9']]),
  ok('begin'),
  ok('savepoint x'),
  ok('savepoint y'),
  ok('update tx_a set n = 100 where id = 1'),
  ok('rollback to x'),
  rows('select n from tx_a where id = 1', [['9']]),
  // Rolling back to x destroys the savepoints made after it.
  fails('rollback to y', '3B001', 'TDB-5007'),
  ok('rollback'),
  ok('begin'),
  ok('delete from tx_a where id = 2'),
  ok('savepoint d'),
  ok('delete from tx_a'),
  rows('select count(*) from tx_a', [['0']]),
  ok('rollback to savepoint d'),
  ok('commit'),
  rows('select id from tx_a order by id', [['1']]),
  ok('insert into tx_a values (2, 0)'),
]);

suite('an error aborts the transaction block until ROLLBACK', [
  ok('begin'),
  ok('insert into tx_a values (3, 3)'),
  fails('select 1/0', '22012', 'TDB-6006'),
  fails('select 1', '25P02', 'TDB-6013'),
  fails('insert into tx_a values (4, 4)', '25P02', 'TDB-6013'),
  { sql: 'rollback', command: 'ROLLBACK' },
  rows('select count(*) from tx_a', [['2']]),
  // COMMIT of an aborted block rolls it back.
  ok('begin'),
  ok('insert into tx_a values (3, 3)'),
  fails('insert into tx_a values (5, null)', '23502', 'TDB-6010'),
  { sql: 'commit', command: 'ROLLBACK' },
  rows('select count(*) from tx_a', [['2']]),
  // ROLLBACK TO SAVEPOINT leaves the aborted state and keeps the work before the savepoint.
  ok('create table tx_c (id int primary key)'),
  ok('begin'),
  ok('savepoint a'),
  fails('insert into tx_c values (1), (1)', '23505', 'TDB-5001'),
  fails('select 1', '25P02', 'TDB-6013'),
  ok('rollback to a'),
  rows('select count(*) from tx_c', [['0']]),
  ok('savepoint b'),
  fails('select 1/0', '22012', 'TDB-6006'),
  ok('rollback to savepoint b'),
  ok('insert into tx_c values (2)'),
  ok('commit'),
  rows('select id from tx_c', [['2']]),
  // Outside a block, a failed statement does not affect the next one.
  fails('select 1/0', '22012', 'TDB-6006'),
  rows('select 1', [['1']]),
]);

describe('what another session sees', () => {
  it('sees committed rows only', async () => {
    await query(conformance().client, 'begin');
    await query(conformance().client, 'insert into tx_a values (10, 10)');
    await query(conformance().client, 'update tx_a set n = 11 where id = 1');
    expect((await query(other, 'select count(*) from tx_a where id = 10')).rows).toEqual([['0']]);
    expect((await query(other, 'select n from tx_a where id = 1')).rows).toEqual([['9']]);
    await query(conformance().client, 'commit');
    expect((await query(other, 'select count(*) from tx_a where id = 10')).rows).toEqual([['1']]);
    expect((await query(other, 'select n from tx_a where id = 1')).rows).toEqual([['11']]);
  });

  it('sees nothing of a rolled back transaction', async () => {
    await query(conformance().client, 'begin');
    await query(conformance().client, 'delete from tx_a');
    expect((await query(conformance().client, 'select count(*) from tx_a')).rows).toEqual([['0']]);
    expect((await query(other, 'select count(*) from tx_a')).rows).toEqual([['3']]);
    await query(conformance().client, 'rollback');
    expect((await query(conformance().client, 'select count(*) from tx_a')).rows).toEqual([['3']]);
  });

  it('a read committed statement sees rows committed after the transaction began', async () => {
    await query(conformance().client, 'begin');
    expect((await query(conformance().client, 'select count(*) from tx_a')).rows).toEqual([['3']]);
    await query(other, 'insert into tx_a values (11, 11)');
    expect((await query(conformance().client, 'select count(*) from tx_a')).rows).toEqual([['4']]);
    await query(conformance().client, 'commit');
  });
});

suite('SET, SHOW and RESET', [
  ok("SET TIME ZONE 'UTC'"),
  rows('SHOW timezone', [['UTC']]),
  { sql: "SET timezone = 'Asia/Seoul'", command: 'SET' },
  rows('SHOW TIME ZONE', [['Asia/Seoul']]),
  rows("SELECT timestamptz '2024-01-01 00:00:00+00'", [['2024-01-01 09:00:00+09']]),
  ok("SET TIME ZONE 'UTC'"),
  rows("SELECT timestamptz '2024-01-01 00:00:00+00'", [['2024-01-01 00:00:00+00']]),
  // Fixed offsets as PostgreSQL 15 reads them: a number is hours east; a POSIX-style
  // string ('+09:00', 'UTC+9', 'EST5') is hours WEST; INTERVAL is east.
  ok("SET TIME ZONE '+09:00'"),
  rows('SHOW timezone', [['+09:00']]),
  rows("SELECT timestamptz '2024-01-01 00:00:00+00'", [['2023-12-31 15:00:00-09']]),
  ok('SET TIME ZONE 9'),
  rows('SHOW timezone', [['<+09>-09']]),
  rows("SELECT timestamptz '2024-01-01 00:00:00+00'", [['2024-01-01 09:00:00+09']]),
  ok('SET TIME ZONE -3.5'),
  rows('SHOW timezone', [['<-03:30>+03:30']]),
  rows("SELECT timestamptz '2024-01-01 00:00:00+00'", [['2023-12-31 20:30:00-03:30']]),
  ok("SET TIME ZONE 'est5'"),
  rows('SHOW timezone', [['EST5']]),
  rows("SELECT timestamptz '2024-01-01 00:00:00+00'", [['2023-12-31 19:00:00-05']]),
  ok("SET TIME ZONE INTERVAL '+05:45' HOUR TO MINUTE"),
  rows('SHOW timezone', [['<+05:45>-05:45']]),
  rows("SELECT timestamptz '2024-01-01 00:00:00+00'", [['2024-01-01 05:45:00+05:45']]),
  fails("SET TIME ZONE '+0900'", '22023', 'TDB-4004'),
  fails('SET TIME ZONE 168', '22023', 'TDB-4004'),
  ok("SET TIME ZONE 'UTC'"),
  rows(
    "SELECT timestamptz '2024-01-01 00:00:00+00' AT TIME ZONE 'Asia/Seoul', timestamp '2024-01-01 09:00' AT TIME ZONE 'Asia/Seoul'",
    [['2024-01-01 09:00:00', '2024-01-01 00:00:00+00']],
  ),
  rows("SELECT timestamptz '2024-01-01 00:00:00+00' AT TIME ZONE '+09:00'", [['2023-12-31 15:00:00']]),
  rows("SELECT timezone('UTC', timestamp 'infinity')", [['infinity']]),
  fails("SELECT now() AT TIME ZONE 'Mars/Base'", '22023', 'TDB-6'),
  ok("SET application_name = 'conformance'"),
  rows('SHOW application_name', [['conformance']], ['application_name']),
  ok('SET statement_timeout = 1000'),
  rows('SHOW statement_timeout', [['1s']]),
  ok("SET statement_timeout = '5min'"),
  rows('SHOW statement_timeout', [['5min']]),
  ok('SET statement_timeout TO 1500'),
  rows('SHOW statement_timeout', [['1500ms']]),
  { sql: 'RESET statement_timeout', command: 'RESET' },
  rows('SHOW statement_timeout', [['0']]),
  ok('SET statement_timeout = DEFAULT'),
  rows('SHOW statement_timeout', [['0']]),
  fails('SET no_such_parameter = 1', '42704', 'TDB-6014'),
  fails('SHOW no_such_parameter', '42704', 'TDB-6014'),
  fails('RESET no_such_parameter', '42704', 'TDB-6014'),
  fails("SET TIME ZONE 'Mars/Olympus_Mons'", '22023', 'TDB-4004'),
  fails("SET statement_timeout = 'soon'", '22023', 'TDB-4004'),
  ok('SET search_path TO public'),
  rows('SHOW standard_conforming_strings', [['on']]),
  rows('SHOW integer_datetimes', [['on']]),
  rows('SHOW client_encoding', [['UTF8']]),
  rows('SHOW transaction_isolation', [['read committed']]),
  rows('SHOW DateStyle', [['ISO, MDY']]),
  ok('RESET ALL'),
  ok("SET TIME ZONE 'UTC'"),
]);

describe('VACUUM and ANALYZE', () => {
  it('VACUUM succeeds (Tandem explains with a notice that undo holds old versions)', async () => {
    const notices: string[] = [];
    const listener = (notice: { message?: string }): void => void notices.push(notice.message ?? '');
    conformance().client.on('notice', listener);
    try {
      expect((await query(conformance().client, 'VACUUM')).command).toBe('VACUUM');
      expect((await query(conformance().client, 'VACUUM tx_a')).command).toBe('VACUUM');
      expect((await query(conformance().client, 'VACUUM ANALYZE tx_a')).command).toBe('VACUUM');
    } finally {
      conformance().client.off('notice', listener);
    }
    if (conformance().target === 'tandem') expect(notices.some((notice) => notice.includes('VACUUM'))).toBe(true);
  });

  it('ANALYZE succeeds', async () => {
    expect((await query(conformance().client, 'ANALYZE')).command).toBe('ANALYZE');
    expect((await query(conformance().client, 'ANALYZE tx_a')).command).toBe('ANALYZE');
  });

  it('VACUUM of an unknown table is 42P01', async () => {
    await expectFailure(conformance(), 'VACUUM no_such_table', { code: '42P01', tdb: 'TDB-5002' });
  });
});

/** A query in array row mode with results in binary (or text) format. */
async function arrayRows(text: string, binary: boolean, values?: string[]): Promise<unknown[][]> {
  const config: pg.QueryArrayConfig<string[]> & { binary: boolean } = {
    text,
    rowMode: 'array',
    binary,
    ...(values === undefined ? {} : { values }),
  };
  return (await conformance().client.query<unknown[]>(config)).rows;
}

describe('binary results', () => {
  it('int8, numeric, timestamps and the other common types decode', async () => {
    const [row] = await arrayRows(
      `SELECT 9223372036854775807::int8, (-42)::int8, -12345.6789::numeric, 0.000123::numeric(10,6),
                    12345678901234567890.5::numeric, 0::numeric, 100::numeric,
                    timestamp '2024-02-29 13:14:15.123456', timestamptz '2024-02-29 13:14:15+00',
                    42::int4, 7::int2, true, 'txt'::text, 1.5::float8, '\\xdead'::bytea, null::int8`,
      true,
    );
    expect(row.slice(0, 7)).toEqual([
      '9223372036854775807',
      '-42',
      '-12345.6789',
      '0.000123',
      '12345678901234567890.5',
      '0',
      '100',
    ]);
    // timestamp without time zone decodes as local time in node-postgres; timestamptz as UTC.
    expect(row[7]).toEqual(new Date(2024, 1, 29, 13, 14, 15, 123));
    expect(row[8]).toEqual(new Date(Date.UTC(2024, 1, 29, 13, 14, 15)));
    expect(row.slice(9, 14)).toEqual([42, 7, true, 'txt', 1.5]);
    expect(Buffer.from(row[14] as Uint8Array).toString('hex')).toBe('dead');
    expect(row[15]).toBeNull();
  });

  it('rows of a table decode in binary as in text', async () => {
    await query(
      conformance().client,
      'CREATE TABLE tx_bin (id int8 PRIMARY KEY, amount numeric(12,2), at timestamptz)',
    );
    try {
      await query(
        conformance().client,
        "INSERT INTO tx_bin VALUES (5000000000, 1234.5, '2024-02-29 00:00:00+00'), (-1, -0.01, NULL)",
      );
      const text = await arrayRows('SELECT id, amount, at FROM tx_bin WHERE id > $1 ORDER BY id', false, ['-10']);
      const binary = await arrayRows('SELECT id, amount, at FROM tx_bin ORDER BY id', true);
      expect(binary).toEqual(text);
      expect(binary).toEqual([
        ['-1', '-0.01', null],
        ['5000000000', '1234.50', new Date(Date.UTC(2024, 1, 29))],
      ]);
    } finally {
      await query(conformance().client, 'DROP TABLE tx_bin');
    }
  });
});
