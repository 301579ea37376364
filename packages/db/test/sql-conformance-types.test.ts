// SQL conformance: data types through literals, casts and a table; their limits and the
// errors PostgreSQL 15 raises for them (expected values printed by PostgreSQL 15.18).
import { describe, expect, it } from 'vitest';
import { conformanceFile, fails, ok, query, rows } from './sql-conformance-harness.js';

const { suite, conformance } = conformanceFile({
  tables: 'ty_all, ty_num, ty_str',
  setup: async (db) => {
    await query(db.client, "SET TIME ZONE 'UTC'");
  },
});

suite('round trip through a table', [
  ok(`CREATE TABLE ty_all (a smallint, b integer, c bigint, d numeric(10,2), e real, f double precision,
      g char(5), h varchar(5), i text, j boolean, k date, l timestamp, m timestamptz, n bytea)`),
  {
    sql: `INSERT INTO ty_all VALUES (-32768, 2147483647, -9223372036854775808, 4.555, 1.5, 2.25, 'ab', 'abc',
          'hello', true, '2024-02-29', '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15+00', '\\xdeadbeef')`,
    command: 'INSERT 0 1',
  },
  rows(
    'SELECT * FROM ty_all',
    [
      [
        '-32768',
        '2147483647',
        '-9223372036854775808',
        '4.56',
        '1.5',
        '2.25',
        'ab   ',
        'abc',
        'hello',
        't',
        '2024-02-29',
        '2024-02-29 13:14:15.123456',
        '2024-02-29 13:14:15+00',
        '\\xdeadbeef',
      ],
    ],
    ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n'],
  ),
  ok("INSERT INTO ty_all (a, j, g) VALUES (1, false, 'x')"),
  rows('SELECT a, j, g, h, n FROM ty_all WHERE a = 1', [['1', 'f', 'x    ', null, null]]),
  rows("SELECT count(*) FROM ty_all WHERE g = 'ab' AND h = 'abc' AND j", [['1']]),
  // Values given as parameters (text) are converted to the column types.
  {
    sql: 'INSERT INTO ty_all (a, b, c, d, k, m) VALUES ($1, $2, $3, $4, $5, $6)',
    values: ['7', '-8', '9000000000', '-0.005', '2000-01-01', '2000-01-01 09:00:00+09'],
    command: 'INSERT 0 1',
  },
  rows('SELECT a, b, c, d, k, m FROM ty_all WHERE a = 7', [
    ['7', '-8', '9000000000', '-0.01', '2000-01-01', '2000-01-01 00:00:00+00'],
  ]),
]);

suite('time zones', [
  rows('SELECT m FROM ty_all WHERE a = -32768', [['2024-02-29 13:14:15+00']]),
  ok("SET TIME ZONE 'Asia/Seoul'"),
  rows('SELECT m FROM ty_all WHERE a = -32768', [['2024-02-29 22:14:15+09']]),
  rows("SELECT timestamptz '2024-01-01 00:00:00+00', timestamp '2024-01-01 00:00:00'", [
    ['2024-01-01 09:00:00+09', '2024-01-01 00:00:00'],
  ]),
  rows("SELECT '2024-07-01 12:00:00'::timestamptz", [['2024-07-01 12:00:00+09']]),
  ok("SET TIME ZONE 'UTC'"),
  rows('SELECT m FROM ty_all WHERE a = -32768', [['2024-02-29 13:14:15+00']]),
  rows("SELECT '2024-07-01 12:00:00+09'::timestamptz", [['2024-07-01 03:00:00+00']]),
]);

suite('integers', [
  // :: binds tighter than unary minus: -32768::smallint is -(32768::smallint).
  fails('SELECT -32768::smallint', '22003', 'TDB-5011'),
  rows('SELECT 32767::smallint, (-32768)::smallint, 2147483647, -2147483648, 9223372036854775807', [
    ['32767', '-32768', '2147483647', '-2147483648', '9223372036854775807'],
  ]),
  rows('SELECT pg_typeof(1), pg_typeof(2147483648), pg_typeof(-2147483648), pg_typeof(1::int2 + 1)', [
    ['integer', 'bigint', 'integer', 'integer'],
  ]),
  rows('SELECT 7 / 2, -7 / 2, 7 % 3, -7 % 3, 7 / -2', [['3', '-3', '1', '-1', '-3']]),
  rows('SELECT 3.5::int, 4.5::int, (-3.5)::int, 2.4::bigint, 3.5::smallint', [['4', '5', '-4', '2', '4']]),
  fails('SELECT 32767::smallint + 1::smallint', '22003', 'TDB-5011'),
  fails('SELECT 2147483647 + 1', '22003', 'TDB-5011'),
  fails('SELECT 9223372036854775807 + 1', '22003', 'TDB-5011'),
  fails('SELECT -2147483648 * -1', '22003', 'TDB-5011'),
  fails('SELECT 40000::smallint', '22003', 'TDB-5011'),
  fails('INSERT INTO ty_all (a) VALUES (40000)', '22003', 'TDB-5011'),
  fails('INSERT INTO ty_all (b) VALUES (3000000000)', '22003', 'TDB-5011'),
  fails('SELECT 1 / 0', '22012', 'TDB-6006'),
  fails('SELECT 5 % 0', '22012', 'TDB-6006'),
  fails('SELECT 1::bigint / 0', '22012', 'TDB-6006'),
  fails("SELECT 'abc'::int", '22P02', 'TDB-5014'),
  fails("SELECT ''::int", '22P02', 'TDB-5014'),
  fails("SELECT '1.5'::int", '22P02', 'TDB-5014'),
  fails("INSERT INTO ty_all (b) VALUES ('x')", '22P02', 'TDB-5014'),
  rows("SELECT ' 42 '::int, '-0'::int, '+7'::bigint", [['42', '0', '7']]),
]);

suite('numeric exactness', [
  ok('CREATE TABLE ty_num (x numeric(12,4), y numeric)'),
  ok('INSERT INTO ty_num SELECT 0.1, 0.1 FROM generate_series(1, 10)'),
  rows('SELECT sum(x), sum(y), sum(x) = 1, avg(y) FROM ty_num', [['1.0000', '1.0', 't', '0.10000000000000000000']]),
  rows('SELECT sum(v) FROM (SELECT 0.1 AS v FROM generate_series(1, 10)) s', [['1.0']]),
  rows('SELECT 0.1 + 0.2, 0.1 + 0.2 = 0.3, 1.10 * 3, 10.0 / 4, 1 / 3.0', [
    ['0.3', 't', '3.30', '2.5000000000000000', '0.33333333333333333333'],
  ]),
  rows('SELECT 10::numeric(5,2), 1.005::numeric(5,2), -1.005::numeric(5,2), 123.4567::numeric(6,1)', [
    ['10.00', '1.01', '-1.01', '123.5'],
  ]),
  rows('SELECT 12345678901234567890.123456789 * 10', [['123456789012345678901.234567890']]),
  rows('SELECT round(2.5), round(-2.5), round(2.345, 2), trunc(2.789, 1), ceil(2.1), floor(-2.1), abs(-3.25)', [
    ['3', '-3', '2.35', '2.7', '3', '-3', '3.25'],
  ]),
  rows("SELECT '1.50'::numeric(5,1), '  -0.5 '::numeric, 5 % 3.5", [['1.5', '-0.5', '1.5']]),
  fails('SELECT 123456789.123::numeric(10,2)', '22003', 'TDB-5011'),
  fails('INSERT INTO ty_num (x) VALUES (123456789)', '22003', 'TDB-5011'),
  fails('SELECT 1.0 / 0', '22012', 'TDB-6006'),
  fails("SELECT 'abc'::numeric", '22P02', 'TDB-5014'),
]);

suite('floating point', [
  rows('SELECT 1.5::real, 2.25::float8, 0.1::real + 0.2::real, 0.1::float8 + 0.2::float8', [
    ['1.5', '2.25', '0.3', '0.30000000000000004'],
  ]),
  rows("SELECT 123456789.123::real, 1e100::float8, '-0'::float8, 'Infinity'::float8, 'NaN'::float8", [
    ['1.2345679e+08', '1e+100', '-0', 'Infinity', 'NaN'],
  ]),
  rows('SELECT round(2.5::float8), round(3.5::float8), 7::float8 / 2, pg_typeof(1.5::float4 + 1)', [
    ['2', '4', '3.5', 'double precision'],
  ]),
  fails('SELECT 1e308::float8 * 10', '22003', 'TDB-5011'),
  fails('SELECT 1::float8 / 0', '22012', 'TDB-6006'),
  fails("SELECT 'x'::float8", '22P02', 'TDB-5014'),
]);

suite('character types', [
  ok('CREATE TABLE ty_str (c char(5), v varchar(5), t text)'),
  ok("INSERT INTO ty_str VALUES ('ab', 'abc', 'long text value')"),
  rows("SELECT c, c || '|', length(c), octet_length(c), v, t FROM ty_str", [
    ['ab   ', 'ab|', '2', '5', 'abc', 'long text value'],
  ]),
  rows("SELECT count(*) FROM ty_str WHERE c = 'ab' AND c = 'ab   '", [['1']]),
  fails("INSERT INTO ty_str (v) VALUES ('abcdef')", '22001', 'TDB-6007'),
  fails("INSERT INTO ty_str (c) VALUES ('abcdef')", '22001', 'TDB-6007'),
  fails("UPDATE ty_str SET v = 'toolong'", '22001', 'TDB-6007'),
  // Oracle's VARCHAR2 is VARCHAR.
  { sql: 'ALTER TABLE ty_str ADD COLUMN o varchar2(4)', tandemOnly: true },
  { sql: "INSERT INTO ty_str (o) VALUES ('ora')", tandemOnly: true },
  { sql: 'SELECT o FROM ty_str WHERE o IS NOT NULL', rows: [['ora']], tandemOnly: true },
  { sql: "INSERT INTO ty_str (o) VALUES ('abcde')", error: { code: '22001', tdb: 'TDB-6007' }, tandemOnly: true },
  { sql: 'DELETE FROM ty_str WHERE o IS NOT NULL', tandemOnly: true },
  // Trailing spaces beyond the length are cut without an error, as are explicit casts.
  ok("INSERT INTO ty_str (c, v) VALUES ('xy     ', 'ab   ')"),
  rows("SELECT c, v || '|' FROM ty_str WHERE c = 'xy'", [['xy   ', 'ab   |']]),
  rows("SELECT 'abcdefg'::varchar(3), 'abcdefg'::char(2), 'abc'::char(5) = 'abc  ', 'a'::char(3) || 'b'", [
    ['abc', 'ab', 't', 'ab'],
  ]),
  rows("SELECT upper('straße'), lower('İ'), upper('héllo wörld'), lower('ÀÉ'), initcap('ßa straße')", [
    ['STRAßE', 'i', 'HÉLLO WÖRLD', 'àé', 'ßa Straße'],
  ]),
  rows("SELECT length('héllo'), octet_length('héllo'), 'it''s', E'a\\tb' = 'a' || chr(9) || 'b'", [
    ['5', '6', "it's", 't'],
  ]),
]);

suite('booleans, dates, timestamps, bytea', [
  rows("SELECT true, false, 't'::boolean, 'yes'::boolean, 'off'::boolean, '1'::boolean", [
    ['t', 'f', 't', 't', 'f', 't'],
  ]),
  fails("SELECT 'x'::boolean", '22P02', 'TDB-5014'),
  rows("SELECT date '2024-02-29' + 1, date '2024-03-01' - date '2024-02-01', date '2024-02-29' - 1", [
    ['2024-03-01', '29', '2024-02-28'],
  ]),
  rows("SELECT timestamp '2024-01-01' + interval '1 day 2 hours', date '2024-01-31' + interval '1 month'", [
    ['2024-01-02 02:00:00', '2024-02-29 00:00:00'],
  ]),
  rows("SELECT timestamp '2024-03-01 00:00:00' - timestamp '2024-02-28 12:00:00', '2024-02-29'::date::timestamp", [
    ['1 day 12:00:00', '2024-02-29 00:00:00'],
  ]),
  rows("SELECT '2024-02-29 13:14:15.5'::timestamp::date, '2024-02-29 13:14:15.123456789'::timestamp", [
    ['2024-02-29', '2024-02-29 13:14:15.123457'],
  ]),
  fails("SELECT '2024-13-01'::date", '22008', 'TDB-6009'),
  fails("SELECT '2023-02-29'::date", '22008', 'TDB-6009'),
  fails("SELECT 'yesterdayish'::date", '22007', 'TDB-6008'),
  rows("SELECT '\\x0102ff'::bytea, length('\\x0102ff'::bytea), 'abc'::bytea, '\\x'::bytea", [
    ['\\x0102ff', '3', '\\x616263', '\\x'],
  ]),
]);

describe('three-valued logic', () => {
  it('AND, OR, NOT and comparisons with NULL', async () => {
    const result = await query(
      conformance().client,
      `SELECT true AND null, false AND null, true OR null, false OR null, NOT null::boolean,
              null = null, 1 = null, null IS NULL, null::int IS DISTINCT FROM null, 1 IS DISTINCT FROM null,
              1 IS NOT DISTINCT FROM 1, (null::boolean) IS UNKNOWN, (1 < 2) IS TRUE`,
    );
    expect(result.rows).toEqual([[null, 'f', 't', null, null, null, null, 't', 'f', 't', 't', 't', 't']]);
  });
});
