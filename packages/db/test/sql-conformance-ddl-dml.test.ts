// SQL conformance: CREATE/ALTER/DROP TABLE, constraints, defaults, indexes, sequences and
// serial columns; INSERT/UPDATE/DELETE with RETURNING and ON CONFLICT (expected values
// printed by PostgreSQL 15.18).

import { conformanceFile, fails, ok, query, rows } from './sql-conformance-harness.js';

const TABLES = 'dd_a, dd_b, dd_c, dd_d, dd_e, dd_f, dd_g, dd_h, dd_i, dd_j, dd_s, dd_m, dd_x, dd_y';

const { suite } = conformanceFile({
  tables: TABLES,
  setup: async (db) => {
    await query(db.client, 'DROP SEQUENCE IF EXISTS dd_seq, dd_seq2, dd_seq3');
  },
});

suite('CREATE and DROP TABLE', [
  { sql: 'CREATE TABLE dd_x (a int)', command: 'CREATE' },
  ok('CREATE TABLE dd_y (b int)'),
  fails('CREATE TABLE dd_x (a int)', '42P07', 'TDB-5003'),
  { sql: 'CREATE TABLE IF NOT EXISTS dd_x (z text)', command: 'CREATE' },
  rows('SELECT * FROM dd_x', [], ['a']),
  { sql: 'DROP TABLE dd_x, dd_y', command: 'DROP' },
  fails('SELECT * FROM dd_x', '42P01', 'TDB-5002'),
  fails('DROP TABLE dd_x', '42P01', 'TDB-5002'),
  ok('DROP TABLE IF EXISTS dd_x, dd_y'),
  fails('INSERT INTO dd_nothing VALUES (1)', '42P01', 'TDB-5002'),
  ok('CREATE TABLE dd_f (id int PRIMARY KEY, v text) WITH (fillfactor = 80)'),
  ok("INSERT INTO dd_f VALUES (1, 'one')"),
  rows('SELECT * FROM dd_f', [['1', 'one']]),
]);

suite('constraints and defaults', [
  ok(`CREATE TABLE dd_a (
        id int PRIMARY KEY,
        name text NOT NULL,
        qty int DEFAULT 5,
        created timestamp DEFAULT now(),
        calc int DEFAULT 2 * 3 + 1,
        label varchar(10) DEFAULT 'none',
        CHECK (qty >= 0)
      )`),
  { sql: "INSERT INTO dd_a (id, name) VALUES (1, 'one')", command: 'INSERT 0 1' },
  rows('SELECT id, name, qty, created IS NOT NULL, calc, label FROM dd_a', [['1', 'one', '5', 't', '7', 'none']]),
  ok("INSERT INTO dd_a VALUES (2, 'two', DEFAULT, DEFAULT, 1, DEFAULT)"),
  ok("INSERT INTO dd_a (id, name, qty) VALUES (3, 'three', NULL)"),
  rows('SELECT id, qty, calc, label FROM dd_a ORDER BY id', [
    ['1', '5', '7', 'none'],
    ['2', '5', '1', 'none'],
    ['3', null, '7', 'none'],
  ]),
  fails("INSERT INTO dd_a (id, name) VALUES (1, 'dup')", '23505', 'TDB-5001'),
  fails('INSERT INTO dd_a (id) VALUES (4)', '23502', 'TDB-6010'),
  fails("INSERT INTO dd_a (id, name) VALUES (NULL, 'no key')", '23502', 'TDB-6010'),
  fails('UPDATE dd_a SET name = NULL WHERE id = 1', '23502', 'TDB-6010'),
  fails("INSERT INTO dd_a (id, name, qty) VALUES (5, 'neg', -1)", '23514', 'TDB-6011'),
  fails('UPDATE dd_a SET qty = -5 WHERE id = 1', '23514', 'TDB-6011'),
  rows('SELECT count(*) FROM dd_a', [['3']]),
  ok('CREATE TABLE dd_b (id int, code text UNIQUE, k int)'),
  ok("INSERT INTO dd_b VALUES (1, 'x', 10), (2, 'y', 20), (3, 'z', 30)"),
  fails("INSERT INTO dd_b VALUES (4, 'x', 40)", '23505', 'TDB-5001'),
  // A multi-row INSERT that fails inserts nothing.
  fails("INSERT INTO dd_b VALUES (5, 'v', 50), (6, 'v', 60)", '23505', 'TDB-5001'),
  rows('SELECT count(*) FROM dd_b', [['3']]),
]);

suite('ALTER TABLE', [
  { sql: 'ALTER TABLE dd_b ADD PRIMARY KEY (id)', command: 'ALTER' },
  fails("INSERT INTO dd_b VALUES (1, 'w', 0)", '23505', 'TDB-5001'),
  ok('CREATE TABLE dd_c (id int, v text)'),
  ok("INSERT INTO dd_c VALUES (1, 'a'), (1, 'b'), (2, 'c')"),
  fails('ALTER TABLE dd_c ADD PRIMARY KEY (id)', '23505', 'TDB-5001'),
  ok("DELETE FROM dd_c WHERE v = 'b'"),
  ok('ALTER TABLE dd_c ADD PRIMARY KEY (id)'),
  fails("INSERT INTO dd_c VALUES (2, 'again')", '23505', 'TDB-5001'),
  ok('ALTER TABLE dd_b ADD COLUMN extra int'),
  ok("ALTER TABLE dd_b ADD COLUMN note text DEFAULT 'dflt'"),
  ok('ALTER TABLE dd_b ADD COLUMN n2 int NOT NULL DEFAULT 0'),
  rows(
    'SELECT * FROM dd_b ORDER BY id',
    [
      ['1', 'x', '10', null, 'dflt', '0'],
      ['2', 'y', '20', null, 'dflt', '0'],
      ['3', 'z', '30', null, 'dflt', '0'],
    ],
    ['id', 'code', 'k', 'extra', 'note', 'n2'],
  ),
  ok('ALTER TABLE dd_b DROP COLUMN k'),
  rows('SELECT * FROM dd_b WHERE id = 1', [['1', 'x', null, 'dflt', '0']], ['id', 'code', 'extra', 'note', 'n2']),
  fails('SELECT k FROM dd_b', '42703', 'TDB-6002'),
  ok("INSERT INTO dd_b (id, code, extra) VALUES (4, 'w', 44)"),
  ok("INSERT INTO dd_b VALUES (5, 'u', 55, 'given', 1)"),
  rows('SELECT id, code, extra, note, n2 FROM dd_b WHERE id >= 4 ORDER BY id', [
    ['4', 'w', '44', 'dflt', '0'],
    ['5', 'u', '55', 'given', '1'],
  ]),
  ok('ALTER TABLE dd_b ADD COLUMN k int'),
  rows('SELECT id, k FROM dd_b WHERE id = 1', [['1', null]]),
  fails('ALTER TABLE dd_b DROP COLUMN nothing_here', '42703', 'TDB-6002'),
]);

suite('indexes and TRUNCATE', [
  { sql: 'CREATE INDEX dd_b_extra ON dd_b (extra)', command: 'CREATE' },
  rows('SELECT id FROM dd_b WHERE extra = 44', [['4']]),
  fails('CREATE INDEX dd_b_extra ON dd_b (note)', '42P07', 'TDB-5005'),
  ok('CREATE INDEX IF NOT EXISTS dd_b_extra ON dd_b (note)'),
  { sql: 'DROP INDEX dd_b_extra', command: 'DROP' },
  fails('DROP INDEX dd_b_extra', '42704', 'TDB-5004'),
  ok('DROP INDEX IF EXISTS dd_b_extra'),
  fails('CREATE UNIQUE INDEX dd_b_n2_u ON dd_b (n2)', '23505', 'TDB-5001'),
  ok('CREATE UNIQUE INDEX dd_b_id_u ON dd_b (id, note)'),
  fails("INSERT INTO dd_b (id, code, note) VALUES (4, 'q', 'dflt')", '23505', 'TDB-5001'),
  ok("INSERT INTO dd_b (id, code, note) VALUES (9, 'q', 'other')"),
  { sql: 'TRUNCATE dd_b', command: 'TRUNCATE' },
  rows('SELECT count(*) FROM dd_b', [['0']]),
  ok("INSERT INTO dd_b (id, code, extra) VALUES (1, 'x', 44)"),
  rows('SELECT id, code, extra, note FROM dd_b', [['1', 'x', '44', 'dflt']]),
  ok('TRUNCATE TABLE dd_b, dd_c'),
  rows('SELECT (SELECT count(*) FROM dd_b), (SELECT count(*) FROM dd_c)', [['0', '0']]),
]);

suite('sequences and serial', [
  { sql: 'CREATE SEQUENCE dd_seq', command: 'CREATE' },
  rows("SELECT nextval('dd_seq'), nextval('dd_seq'), currval('dd_seq')", [['1', '2', '2']]),
  rows("SELECT setval('dd_seq', 10)", [['10']]),
  rows("SELECT nextval('dd_seq')", [['11']]),
  rows("SELECT setval('dd_seq', 20, false), nextval('dd_seq'), nextval('dd_seq')", [['20', '20', '21']]),
  ok('CREATE SEQUENCE dd_seq2 START WITH 100 INCREMENT BY 5'),
  rows("SELECT nextval('dd_seq2'), nextval('dd_seq2')", [['100', '105']]),
  ok('CREATE SEQUENCE dd_seq3 MAXVALUE 2'),
  rows("SELECT nextval('dd_seq3'), nextval('dd_seq3')", [['1', '2']]),
  fails("SELECT nextval('dd_seq3')", '2200H', 'TDB-6023'),
  fails("SELECT nextval('dd_no_such_seq')", '42P01', 'TDB-5002'),
  { sql: 'DROP SEQUENCE dd_seq, dd_seq2, dd_seq3', command: 'DROP' },
  ok('CREATE TABLE dd_s (id serial PRIMARY KEY, v text)'),
  {
    sql: "INSERT INTO dd_s (v) VALUES ('a'), ('b') RETURNING id, v",
    rows: [
      ['1', 'a'],
      ['2', 'b'],
    ],
    columns: ['id', 'v'],
    command: 'INSERT 0 2',
  },
  { sql: "INSERT INTO dd_s VALUES (DEFAULT, 'c') RETURNING *", rows: [['3', 'c']] },
  rows("SELECT currval('dd_s_id_seq')", [['3']]),
  fails("INSERT INTO dd_s (id, v) VALUES (3, 'dup')", '23505', 'TDB-5001'),
  // Names as PostgreSQL reads them: folded unless quoted, a schema prefix allowed.
  rows("SELECT nextval('DD_S_ID_SEQ'), nextval('public.dd_s_id_seq')", [['4', '5']]),
  ok('CREATE TABLE "Dd_Camel" (id serial PRIMARY KEY, v text)'),
  rows("INSERT INTO \"Dd_Camel\" (v) VALUES ('a'), ('b') RETURNING id", [['1'], ['2']]),
  rows('SELECT nextval(\'"Dd_Camel_id_seq"\')', [['3']]),
  fails("SELECT nextval('Dd_Camel_id_seq')", '42P01', 'TDB-5002'),
]);

suite('INSERT', [
  ok('CREATE TABLE dd_m (id int PRIMARY KEY, v text, n int DEFAULT 0)'),
  { sql: "INSERT INTO dd_m VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)", command: 'INSERT 0 3' },
  { sql: "INSERT INTO dd_m (v, id) VALUES ('d', 4)", command: 'INSERT 0 1' },
  {
    sql: "INSERT INTO dd_m SELECT g + 10, 'g' || g, g * 10 FROM generate_series(1, 3) g",
    command: 'INSERT 0 3',
  },
  { sql: 'INSERT INTO dd_m (id, v) SELECT id + 100, v FROM dd_m WHERE id < 3', command: 'INSERT 0 2' },
  rows('SELECT id, v, n FROM dd_m ORDER BY id', [
    ['1', 'a', '1'],
    ['2', 'b', '2'],
    ['3', 'c', '3'],
    ['4', 'd', '0'],
    ['11', 'g1', '10'],
    ['12', 'g2', '20'],
    ['13', 'g3', '30'],
    ['101', 'a', '0'],
    ['102', 'b', '0'],
  ]),
  { sql: "INSERT INTO dd_m VALUES (1, 'dup') ON CONFLICT DO NOTHING", command: 'INSERT 0 0' },
  { sql: "INSERT INTO dd_m VALUES (1, 'dup') ON CONFLICT (id) DO NOTHING RETURNING id", rows: [] },
  {
    sql: "INSERT INTO dd_m VALUES (1, 'dup'), (5, 'new') ON CONFLICT DO NOTHING RETURNING id, v",
    rows: [['5', 'new']],
    command: 'INSERT 0 1',
  },
  {
    sql: 'INSERT INTO dd_m (id) VALUES ($1) RETURNING id + 1 AS next, n',
    values: ['6'],
    rows: [['7', '0']],
    columns: ['next', 'n'],
  },
  fails("INSERT INTO dd_m (id, nope) VALUES (7, 'x')", '42703', 'TDB-6002'),
  fails("INSERT INTO dd_m VALUES (7, 'x', 1, 2)", '42601', 'TDB-6001'),
  fails("INSERT INTO dd_m (id, n) VALUES (7, 'x')", '22P02', 'TDB-5014'),
]);

suite('UPDATE and DELETE', [
  { sql: 'UPDATE dd_m SET n = n * 2 + 1 WHERE id <= 3', command: 'UPDATE 3' },
  { sql: 'UPDATE dd_m SET v = upper(v), n = n + id WHERE id = 2 RETURNING id, v, n', rows: [['2', 'B', '7']] },
  rows('SELECT id, n FROM dd_m WHERE id <= 3 ORDER BY id', [
    ['1', '3'],
    ['2', '7'],
    ['3', '7'],
  ]),
  { sql: 'UPDATE dd_m SET n = 0 WHERE id = 999', command: 'UPDATE 0' },
  {
    sql: "UPDATE dd_m SET v = v || '!' WHERE id > 100 RETURNING id, v",
    rows: [
      ['101', 'a!'],
      ['102', 'b!'],
    ],
  },
  {
    sql: 'DELETE FROM dd_m WHERE id > 100 RETURNING id, v',
    rows: [
      ['101', 'a!'],
      ['102', 'b!'],
    ],
  },
  { sql: 'DELETE FROM dd_m WHERE n IS NULL OR n = 0', command: 'DELETE 3' },
  { sql: 'DELETE FROM dd_m WHERE id = 999', command: 'DELETE 0' },
  rows('SELECT id FROM dd_m ORDER BY id', [['1'], ['2'], ['3'], ['11'], ['12'], ['13']]),
  fails('UPDATE dd_m SET nope = 1', '42703', 'TDB-6002'),
  fails('UPDATE dd_m SET n = 1 WHERE nope = 1', '42703', 'TDB-6002'),
  fails('DELETE FROM dd_nothing', '42P01', 'TDB-5002'),
  { sql: 'DELETE FROM dd_m', command: 'DELETE 6' },
  rows('SELECT count(*) FROM dd_m', [['0']]),
]);

suite('name resolution errors', [
  ok('CREATE TABLE dd_d (x int, y int)'),
  ok('CREATE TABLE dd_e (x int, z int)'),
  fails('SELECT nope FROM dd_d', '42703', 'TDB-6002'),
  fails('SELECT dd_d.z FROM dd_d', '42703', 'TDB-6002'),
  fails('SELECT x FROM dd_d, dd_e', '42702', 'TDB-6004'),
  fails('SELECT * FROM dd_d JOIN dd_e ON x = x', '42702', 'TDB-6004'),
  rows('SELECT dd_d.x, z FROM dd_d, dd_e', []),
  fails('SELECT x, y AS x FROM dd_d ORDER BY x', '42702', 'TDB-6004'),
  rows('SELECT x, x FROM dd_d ORDER BY x', []),
  fails('SELECT no_such_function(1)', '42883', 'TDB-6003'),
  fails('SELEC 1', '42601', 'TDB-6001'),
]);

suite('defaults, CHECK and composite keys; DROP COLUMN takes its indexes and CHECKs along', [
  ok(
    "create table dd_g (id int primary key, a int default 1, b text default 'x' || 'y', c timestamptz default current_timestamp, d date default current_date, e numeric(5,2) default 1.234, f boolean default true, g int default -1)",
  ),
  ok('insert into dd_g (id) values (1)'),
  rows('select id, a, b, c is not null, d = current_date, e, f, g from dd_g', [
    ['1', '1', 'xy', 't', 't', '1.23', 't', '-1'],
  ]),
  ok('insert into dd_g (id, a) values (2, default)'),
  ok("update dd_g set a = 5, b = 'q' where id = 1"),
  { sql: 'update dd_g set a = default, b = default where id = 1 returning a, b', rows: [['1', 'xy']] },
  ok(
    'create table dd_h (id int primary key, n int check (n > 0), m int, constraint dd_h_m_pos check (m >= 0), check (n < m))',
  ),
  ok('insert into dd_h values (1, 1, 2)'),
  fails('insert into dd_h values (2, 0, 2)', '23514', 'TDB-6011'),
  fails('insert into dd_h values (3, 5, 2)', '23514', 'TDB-6011'),
  ok('insert into dd_h values (4, null, null)'),
  fails('insert into dd_h values (5, 2, -1)', '23514', 'TDB-6011'),
  rows('select * from dd_h order by id', [
    ['1', '1', '2'],
    ['4', null, null],
  ]),
  ok('create table dd_i (a int, b int, primary key (a, b))'),
  ok('insert into dd_i values (1, 1), (1, 2), (2, 1)'),
  fails('insert into dd_i values (1, 1)', '23505', 'TDB-5001'),
  rows('select * from dd_i where a = 1 order by b', [
    ['1', '1'],
    ['1', '2'],
  ]),
  rows('select * from dd_i order by a desc, b desc', [
    ['2', '1'],
    ['1', '2'],
    ['1', '1'],
  ]),
  ok(
    'create table dd_j (a int not null, b varchar(3) unique, c int check (c > 0), d int, unique (a, c), check (d > c), check (d < 100))',
  ),
  ok("insert into dd_j values (1, 'x', 1, 2), (1, 'y', 2, 3)"),
  fails("insert into dd_j values (1, 'z', 1, 5)", '23505', 'TDB-5001'),
  ok('alter table dd_j drop column c'),
  rows('select * from dd_j order by b', [
    ['1', 'x', '2'],
    ['1', 'y', '3'],
  ]),
  ok("insert into dd_j values (2, 'z', -5)"),
  fails("insert into dd_j values (2, 'w', 500)", '23514', 'TDB-6011'),
  fails("insert into dd_j values (2, 'y', 5)", '23505', 'TDB-5001'),
  ok('alter table dd_j add column e int default 7 not null'),
  rows('select * from dd_j order by b', [
    ['1', 'x', '2', '7'],
    ['1', 'y', '3', '7'],
    ['2', 'z', '-5', '7'],
  ]),
  ok('drop table dd_g, dd_h, dd_i, dd_j'),
]);
