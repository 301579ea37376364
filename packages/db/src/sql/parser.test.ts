// Table-driven parser cases: each SQL text and the tree it must give (positions stripped),
// then the round trip through the deparser for every one of them.
import { describe, expect, it } from 'vitest';
import type {
  ColumnConstraint,
  ColumnDef,
  Expr,
  FromItem,
  Query,
  QueryBody,
  Select,
  SelectItem,
  Statement,
  TypeName,
} from './ast.js';
import { formatExpr, formatStatement } from './deparse.js';
import { parse, parseExpression } from './parser.js';

/** The tree without `pos` fields and undefined properties, for comparison. */
export function stripPositions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripPositions);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (key !== 'pos' && inner !== undefined) out[key] = stripPositions(inner);
    }
    return out;
  }
  return value;
}

function one(sql: string): Statement {
  const statements = parse(sql);
  expect(statements).toHaveLength(1);
  return statements[0].statement;
}

// Builders for expected trees (positions are not compared).
const P = 0;
const col = (name: string, table?: string): Expr => ({ kind: 'column', name, table, pos: P });
const num = (text: string): Expr => ({ kind: 'number', text, pos: P });
const str = (value: string): Expr => ({ kind: 'string', value, pos: P });
const bool = (value: boolean): Expr => ({ kind: 'boolean', value, pos: P });
const nul: Expr = { kind: 'null', pos: P };
const param = (index: number): Expr => ({ kind: 'parameter', index, pos: P });
const bin = (op: Extract<Expr, { kind: 'binary' }>['op'], left: Expr, right: Expr): Expr => ({
  kind: 'binary',
  op,
  left,
  right,
  pos: P,
});
const neg = (operand: Expr): Expr => ({ kind: 'unary', op: '-', operand, pos: P });
const not = (operand: Expr): Expr => ({ kind: 'unary', op: 'not', operand, pos: P });
const fn = (name: string, ...args: Expr[]): Expr => ({
  kind: 'function',
  name,
  args,
  distinct: false,
  star: false,
  pos: P,
});
const type = (words: string[], modifiers: number[] = [], withTimeZone?: boolean): TypeName => ({
  words,
  modifiers,
  withTimeZone,
  pos: P,
});
const cast = (operand: Expr, t: TypeName): Expr => ({ kind: 'cast', operand, type: t, pos: P });
const item = (expr: Expr, alias?: string): SelectItem => ({ kind: 'expr', expr, alias });
const table = (name: string, alias?: string, columnAliases: string[] = []): FromItem => ({
  kind: 'table',
  name,
  alias,
  columnAliases,
  pos: P,
});
function select(fields: Partial<Select> = {}): Select {
  return { kind: 'select', distinct: false, items: [], from: [], groupBy: [], pos: P, ...fields };
}
function query(body: QueryBody, fields: Partial<Query> = {}): Query {
  return { kind: 'query', with: [], body, orderBy: [], pos: P, ...fields };
}
const q = (body: QueryBody, fields: Partial<Query> = {}): Statement => ({ kind: 'query', query: query(body, fields) });
/** `SELECT <expr>` as a statement. */
const selectExpr = (expr: Expr): Statement => q(select({ items: [item(expr)] }));

const expressionCases: [string, Expr][] = [
  ['a OR b AND NOT c = d', bin('or', col('a'), bin('and', col('b'), not(bin('=', col('c'), col('d')))))],
  ['-2 ^ 2', bin('^', neg(num('2')), num('2'))],
  ['2 ^ 3 ^ 2', bin('^', bin('^', num('2'), num('3')), num('2'))],
  ['a::int + 1', bin('+', cast(col('a'), type(['int'])), num('1'))],
  ['a::text::varchar(3)', cast(cast(col('a'), type(['text'])), type(['varchar'], [3]))],
  ['x BETWEEN 1 AND 2 AND y', bin('and', { kind: 'between', operand: col('x'), low: num('1'), high: num('2'), negated: false, symmetric: false, pos: P }, col('y'))],
  ['x NOT BETWEEN SYMMETRIC 1 + 1 AND 5', { kind: 'between', operand: col('x'), low: bin('+', num('1'), num('1')), high: num('5'), negated: true, symmetric: true, pos: P }],
  ['a || b = c', bin('=', bin('||', col('a'), col('b')), col('c'))],
  ['1 + 2 * 3 - 4 / 5 % 6', bin('-', bin('+', num('1'), bin('*', num('2'), num('3'))), bin('%', bin('/', num('4'), num('5')), num('6')))],
  ['a = b IS NULL', { kind: 'isNull', operand: bin('=', col('a'), col('b')), negated: false, pos: P }],
  ['NOT a IS NOT NULL', not({ kind: 'isNull', operand: col('a'), negated: true, pos: P })],
  ['a ISNULL', { kind: 'isNull', operand: col('a'), negated: false, pos: P }],
  ['a NOTNULL', { kind: 'isNull', operand: col('a'), negated: true, pos: P }],
  ['a IS TRUE', { kind: 'isBoolean', operand: col('a'), value: true, negated: false, pos: P }],
  ['a IS NOT FALSE', { kind: 'isBoolean', operand: col('a'), value: false, negated: true, pos: P }],
  ['a IS UNKNOWN', { kind: 'isBoolean', operand: col('a'), value: null, negated: false, pos: P }],
  ['a IS DISTINCT FROM b + 1', { kind: 'isDistinct', left: col('a'), right: bin('+', col('b'), num('1')), negated: false, pos: P }],
  ['a IS NOT DISTINCT FROM NULL', { kind: 'isDistinct', left: col('a'), right: nul, negated: true, pos: P }],
  ['a != b', bin('<>', col('a'), col('b'))],
  ['a <> b', bin('<>', col('a'), col('b'))],
  ['a <= -1', bin('<=', col('a'), neg(num('1')))],
  ['x IN (1, 2, 3)', { kind: 'inList', operand: col('x'), list: [num('1'), num('2'), num('3')], negated: false, pos: P }],
  ['x NOT IN (SELECT y FROM t)', { kind: 'inSubquery', operand: col('x'), query: query(select({ items: [item(col('y'))], from: [table('t')] })), negated: true, pos: P }],
  ["name LIKE 'a%' ESCAPE '!'", { kind: 'like', operand: col('name'), pattern: str('a%'), escape: str('!'), negated: false, caseInsensitive: false, pos: P }],
  ["name NOT ILIKE 'a%'", { kind: 'like', operand: col('name'), pattern: str('a%'), negated: true, caseInsensitive: true, pos: P }],
  ["name ~~* 'a%'", { kind: 'like', operand: col('name'), pattern: str('a%'), negated: false, caseInsensitive: true, pos: P }],
  ["name !~~ 'a%'", { kind: 'like', operand: col('name'), pattern: str('a%'), negated: true, caseInsensitive: false, pos: P }],
  ["CASE WHEN a = 1 THEN 'one' ELSE 'other' END", { kind: 'case', whens: [{ when: bin('=', col('a'), num('1')), then: str('one') }], else: str('other'), pos: P }],
  ['CASE a WHEN 1 THEN 2 WHEN 3 THEN 4 END', { kind: 'case', operand: col('a'), whens: [{ when: num('1'), then: num('2') }, { when: num('3'), then: num('4') }], pos: P }],
  ['CAST(a AS numeric(10, 2))', cast(col('a'), type(['numeric'], [10, 2]))],
  ['CAST(a AS double precision)', cast(col('a'), type(['double', 'precision']))],
  ['CAST(a AS character varying(20))', cast(col('a'), type(['character', 'varying'], [20]))],
  ['CAST(a AS timestamp(3) without time zone)', cast(col('a'), type(['timestamp'], [3], false))],
  ['CAST(a AS varchar2(10))', cast(col('a'), type(['varchar2'], [10]))],
  ['CAST(a AS number(10, 2))', cast(col('a'), type(['number'], [10, 2]))],
  ["DATE '2026-01-01'", cast(str('2026-01-01'), type(['date']))],
  ["TIMESTAMP '2026-01-01 10:00'", cast(str('2026-01-01 10:00'), type(['timestamp']))],
  ["TIMESTAMP WITH TIME ZONE '2026-01-01 10:00+09'", cast(str('2026-01-01 10:00+09'), type(['timestamp'], [], true))],
  ["INTERVAL '1 day'", cast(str('1 day'), type(['interval']))],
  ["pg_catalog.text 'x'", cast(str('x'), type(['text']))],
  ['count(*)', { kind: 'function', name: 'count', args: [], distinct: false, star: true, pos: P }],
  ['count(DISTINCT a)', { kind: 'function', name: 'count', args: [col('a')], distinct: true, star: false, pos: P }],
  ['sum(a) FILTER (WHERE a > 0)', { kind: 'function', name: 'sum', args: [col('a')], distinct: false, star: false, filter: bin('>', col('a'), num('0')), pos: P }],
  ['pg_catalog.count(i.inhparent)', fn('count', col('inhparent', 'i'))],
  ['now()', fn('now')],
  ["left('abc', 2)", fn('left', str('abc'), num('2'))],
  ['EXISTS (SELECT 1)', { kind: 'exists', query: query(select({ items: [item(num('1'))] })), pos: P }],
  ['(SELECT max(a) FROM t)', { kind: 'subquery', query: query(select({ items: [item(fn('max', col('a')))], from: [table('t')] })), pos: P }],
  ['x = ANY (SELECT y FROM t)', { kind: 'quantified', op: '=', quantifier: 'any', operand: col('x'), query: query(select({ items: [item(col('y'))], from: [table('t')] })), pos: P }],
  ['x > ALL (SELECT 1)', { kind: 'quantified', op: '>', quantifier: 'all', operand: col('x'), query: query(select({ items: [item(num('1'))] })), pos: P }],
  ['x < SOME (SELECT 1)', { kind: 'quantified', op: '<', quantifier: 'any', operand: col('x'), query: query(select({ items: [item(num('1'))] })), pos: P }],
  ['COALESCE(a, b, 0)', fn('coalesce', col('a'), col('b'), num('0'))],
  ['NULLIF(a, 0)', fn('nullif', col('a'), num('0'))],
  ['GREATEST(a, b)', fn('greatest', col('a'), col('b'))],
  ['LEAST(a, b)', fn('least', col('a'), col('b'))],
  ['EXTRACT(YEAR FROM d)', fn('extract', str('year'), col('d'))],
  ["EXTRACT('epoch' FROM d)", fn('extract', str('epoch'), col('d'))],
  ["POSITION('b' IN s)", fn('position', str('b'), col('s'))],
  ['SUBSTRING(s FROM 2 FOR 3)', fn('substring', col('s'), num('2'), num('3'))],
  ['SUBSTRING(s FROM 2)', fn('substring', col('s'), num('2'))],
  ['SUBSTRING(s, 2, 3)', fn('substring', col('s'), num('2'), num('3'))],
  ['TRIM(s)', fn('btrim', col('s'))],
  ["TRIM(BOTH 'x' FROM s)", fn('btrim', col('s'), str('x'))],
  ["TRIM(LEADING 'x' FROM s)", fn('ltrim', col('s'), str('x'))],
  ['TRIM(TRAILING FROM s)', fn('rtrim', col('s'))],
  ['CURRENT_TIMESTAMP', fn('current_timestamp')],
  ['current_date', fn('current_date')],
  ['LOCALTIMESTAMP', fn('localtimestamp')],
  ['SYSDATE', fn('sysdate')],
  ['SYSTIMESTAMP', fn('systimestamp')],
  ['CURRENT_USER', fn('current_user')],
  ['SESSION_USER', fn('session_user')],
  ['USER', fn('user')],
  ['current_timestamp(3)', fn('current_timestamp', num('3'))],
  ['((a + b)) * c', bin('*', bin('+', col('a'), col('b')), col('c'))],
  ['$1 + $2', bin('+', param(1), param(2))],
  ['TRUE AND FALSE OR NULL', bin('or', bin('and', bool(true), bool(false)), nul)],
  ['public.t.c', col('c', 't')],
  ['"Mixed Case"."Col"', col('Col', 'Mixed Case')],
  ['s.nextval', col('nextval', 's')],
  ['name || key || value || data || level || date', bin('||', bin('||', bin('||', bin('||', bin('||', col('name'), col('key')), col('value')), col('data')), col('level')), col('date'))],
  ['time + 1', bin('+', col('time'), num('1'))],
  ["E'a\\tb' || $$c$$", bin('||', str('a\tb'), str('c'))],
  ['3.5 + .5 + 5. + 1e10 + 1.5E-3', bin('+', bin('+', bin('+', bin('+', num('3.5'), num('.5')), num('5.')), num('1e10')), num('1.5E-3'))],
  ['- - 1', neg(neg(num('1')))],
  ['((SELECT 1) UNION SELECT 2)', { kind: 'subquery', query: query({ kind: 'setOperation', op: 'union', all: false, left: select({ items: [item(num('1'))] }), right: select({ items: [item(num('2'))] }), pos: P }), pos: P }],
]; // prettier-ignore

const pgbenchTellers =
  'create table pgbench_tellers(tid int not null,bid int,tbalance int,filler char(84)) with (fillfactor=100)';
const columnDef = (name: string, t: TypeName, constraints: ColumnConstraint[] = []): ColumnDef => ({
  name,
  type: t,
  constraints,
  pos: P,
});

const statementCases: [string, Statement][] = [
  // pgbench
  [pgbenchTellers, { kind: 'createTable', name: 'pgbench_tellers', ifNotExists: false, columns: [columnDef('tid', type(['int']), [{ kind: 'notNull' }]), columnDef('bid', type(['int'])), columnDef('tbalance', type(['int'])), columnDef('filler', type(['char'], [84]))], constraints: [], options: [{ name: 'fillfactor', value: '100' }], temporary: false, pos: P }],
  ['drop table if exists pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers', { kind: 'drop', objectType: 'table', names: ['pgbench_accounts', 'pgbench_branches', 'pgbench_history', 'pgbench_tellers'], ifExists: true, cascade: false, pos: P }],
  ['truncate table pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers', { kind: 'truncate', tables: ['pgbench_accounts', 'pgbench_branches', 'pgbench_history', 'pgbench_tellers'], pos: P }],
  ['copy pgbench_accounts from stdin with (freeze on)', { kind: 'copy', table: 'pgbench_accounts', columns: [], direction: 'from', target: 'stdio', options: [{ name: 'freeze', value: 'on' }], pos: P }],
  ['vacuum analyze pgbench_branches', { kind: 'vacuum', tables: ['pgbench_branches'], full: false, analyze: true, verbose: false, pos: P }],
  ['alter table pgbench_branches add primary key (bid)', { kind: 'alterTable', name: 'pgbench_branches', ifExists: false, actions: [{ kind: 'addConstraint', constraint: { kind: 'primaryKey', columns: ['bid'] } }], pos: P }],
  ['alter table pgbench_tellers add constraint pgbench_tellers_bid_fkey foreign key (bid) references pgbench_branches', { kind: 'alterTable', name: 'pgbench_tellers', ifExists: false, actions: [{ kind: 'addConstraint', constraint: { kind: 'foreignKey', name: 'pgbench_tellers_bid_fkey', columns: ['bid'], table: 'pgbench_branches', referenced: [] } }], pos: P }],
  ['select count(*) from pgbench_branches', q(select({ items: [item({ kind: 'function', name: 'count', args: [], distinct: false, star: true, pos: P })], from: [table('pgbench_branches')] }))],
  ['UPDATE pgbench_accounts SET abalance = abalance + -4321 WHERE aid = 12345;', { kind: 'update', table: 'pgbench_accounts', assignments: [{ column: 'abalance', value: bin('+', col('abalance'), neg(num('4321'))), pos: P }], from: [], where: bin('=', col('aid'), num('12345')), returning: [], pos: P }],
  ['SELECT abalance FROM pgbench_accounts WHERE aid = 12345;', q(select({ items: [item(col('abalance'))], from: [table('pgbench_accounts')], where: bin('=', col('aid'), num('12345')) }))],
  ['INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (3, 1, 2, -5, CURRENT_TIMESTAMP);', { kind: 'insert', table: 'pgbench_history', columns: ['tid', 'bid', 'aid', 'delta', 'mtime'], source: query({ kind: 'values', rows: [[num('3'), num('1'), num('2'), neg(num('5')), fn('current_timestamp')]], pos: P }), returning: [], pos: P }],
  ['END;', { kind: 'commit', pos: P }],
  ['BEGIN;', { kind: 'begin', pos: P }],
  // queries
  ['SELECT 1 FROM DUAL', q(select({ items: [item(num('1'))], from: [table('dual')] }))],
  ['SELECT DISTINCT a AS x, b y, "C" FROM t', q(select({ distinct: true, items: [item(col('a'), 'x'), item(col('b'), 'y'), item(col('C'))], from: [table('t')] }))],
  ['SELECT *, t.* FROM t', q(select({ items: [{ kind: 'star', pos: P }, { kind: 'star', table: 't', pos: P }], from: [table('t')] }))],
  ['SELECT a FROM t1, t2 AS x, t3 y(c1, c2)', q(select({ items: [item(col('a'))], from: [table('t1'), table('t2', 'x'), table('t3', 'y', ['c1', 'c2'])] }))],
  ['SELECT 1 FROM a JOIN b ON a.id = b.id LEFT OUTER JOIN c USING (id) CROSS JOIN d NATURAL FULL JOIN e', q(select({ items: [item(num('1'))], from: [{ kind: 'join', type: 'full', natural: true, pos: P, right: table('e'), left: { kind: 'join', type: 'cross', natural: false, pos: P, right: table('d'), left: { kind: 'join', type: 'left', natural: false, using: ['id'], pos: P, right: table('c'), left: { kind: 'join', type: 'inner', natural: false, on: bin('=', col('id', 'a'), col('id', 'b')), pos: P, left: table('a'), right: table('b') } } } }] }))],
  ['SELECT 1 FROM a INNER JOIN (b RIGHT JOIN c ON true) ON false', q(select({ items: [item(num('1'))], from: [{ kind: 'join', type: 'inner', natural: false, on: bool(false), pos: P, left: table('a'), right: { kind: 'join', type: 'right', natural: false, on: bool(true), pos: P, left: table('b'), right: table('c') } }] }))],
  ['SELECT s.x FROM (SELECT 1 AS x) AS s', q(select({ items: [item(col('x', 's'))], from: [{ kind: 'subquery', query: query(select({ items: [item(num('1'), 'x')] })), alias: 's', columnAliases: [], pos: P }] }))],
  ['SELECT n FROM generate_series(1, 10) AS g(n)', q(select({ items: [item(col('n'))], from: [{ kind: 'function', call: fn('generate_series', num('1'), num('10')) as Extract<Expr, { kind: 'function' }>, alias: 'g', columnAliases: ['n'], pos: P }] }))],
  ['SELECT a, count(*) FROM t WHERE b > 1 GROUP BY a HAVING count(*) > 2', q(select({ items: [item(col('a')), item({ kind: 'function', name: 'count', args: [], distinct: false, star: true, pos: P })], from: [table('t')], where: bin('>', col('b'), num('1')), groupBy: [col('a')], having: bin('>', { kind: 'function', name: 'count', args: [], distinct: false, star: true, pos: P }, num('2')) }))],
  ['SELECT a FROM t ORDER BY a DESC NULLS LAST, 2, b ASC NULLS FIRST LIMIT 10 OFFSET 5', q(select({ items: [item(col('a'))], from: [table('t')] }), { orderBy: [{ expr: col('a'), direction: 'desc', nulls: 'last' }, { expr: num('2'), direction: 'asc' }, { expr: col('b'), direction: 'asc', nulls: 'first' }], limit: num('10'), offset: num('5') })],
  ['SELECT a FROM t OFFSET 5 LIMIT ALL', q(select({ items: [item(col('a'))], from: [table('t')] }), { offset: num('5') })],
  ['SELECT a FROM t FETCH FIRST 3 ROWS ONLY', q(select({ items: [item(col('a'))], from: [table('t')] }), { limit: num('3') })],
  ['SELECT a FROM t FOR UPDATE', q(select({ items: [item(col('a'))], from: [table('t')] }), { locking: 'update' })],
  ['SELECT a FROM t FOR SHARE', q(select({ items: [item(col('a'))], from: [table('t')] }), { locking: 'share' })],
  ['SELECT 1 UNION SELECT 2 INTERSECT SELECT 3', q({ kind: 'setOperation', op: 'union', all: false, pos: P, left: select({ items: [item(num('1'))] }), right: { kind: 'setOperation', op: 'intersect', all: false, pos: P, left: select({ items: [item(num('2'))] }), right: select({ items: [item(num('3'))] }) } })],
  ['SELECT 1 UNION ALL SELECT 2 EXCEPT SELECT 3', q({ kind: 'setOperation', op: 'except', all: false, pos: P, left: { kind: 'setOperation', op: 'union', all: true, pos: P, left: select({ items: [item(num('1'))] }), right: select({ items: [item(num('2'))] }) }, right: select({ items: [item(num('3'))] }) })],
  ['(SELECT 1) UNION (SELECT 2 ORDER BY 1 LIMIT 1) ORDER BY 1', q({ kind: 'setOperation', op: 'union', all: false, pos: P, left: select({ items: [item(num('1'))] }), right: query(select({ items: [item(num('2'))] }), { orderBy: [{ expr: num('1'), direction: 'asc' }], limit: num('1') }) }, { orderBy: [{ expr: num('1'), direction: 'asc' }] })],
  ['VALUES (1, \'a\'), (2, \'b\')', q({ kind: 'values', rows: [[num('1'), str('a')], [num('2'), str('b')]], pos: P })],
  ['WITH x (a) AS (SELECT 1), y AS (SELECT 2) SELECT * FROM x, y', q(select({ items: [{ kind: 'star', pos: P }], from: [table('x'), table('y')] }), { with: [{ name: 'x', columns: ['a'], query: query(select({ items: [item(num('1'))] })) }, { name: 'y', columns: [], query: query(select({ items: [item(num('2'))] })) }] })],
  ['((SELECT 1))', q(select({ items: [item(num('1'))] }))],
  ['TABLE t', q(select({ items: [{ kind: 'star', pos: P }], from: [table('t')] }))],
  ['SELECT name, key, value, data, level, filler, abalance FROM t', q(select({ items: ['name', 'key', 'value', 'data', 'level', 'filler', 'abalance'].map((n) => item(col(n))), from: [table('t')] }))],
  ['SELECT FROM t', q(select({ from: [table('t')] }))],
  // DML
  ['INSERT INTO t VALUES (1, DEFAULT), (2, 3) ON CONFLICT DO NOTHING RETURNING *', { kind: 'insert', table: 't', columns: [], source: query({ kind: 'values', rows: [[num('1'), { kind: 'default', pos: P }], [num('2'), num('3')]], pos: P }), onConflictDoNothing: { columns: [] }, returning: [{ kind: 'star', pos: P }], pos: P }],
  ['INSERT INTO t AS x (a) SELECT b FROM u ON CONFLICT (a) DO NOTHING', { kind: 'insert', table: 't', alias: 'x', columns: ['a'], source: query(select({ items: [item(col('b'))], from: [table('u')] })), onConflictDoNothing: { columns: ['a'] }, returning: [], pos: P }],
  ['INSERT INTO t DEFAULT VALUES RETURNING id AS new_id', { kind: 'insert', table: 't', columns: [], returning: [item(col('id'), 'new_id')], pos: P }],
  ['UPDATE t AS x SET a = 1, b = DEFAULT FROM u WHERE x.id = u.id RETURNING x.a', { kind: 'update', table: 't', alias: 'x', assignments: [{ column: 'a', value: num('1'), pos: P }, { column: 'b', value: { kind: 'default', pos: P }, pos: P }], from: [table('u')], where: bin('=', col('id', 'x'), col('id', 'u')), returning: [item(col('a', 'x'))], pos: P }],
  ['UPDATE t SET a = 1', { kind: 'update', table: 't', assignments: [{ column: 'a', value: num('1'), pos: P }], from: [], returning: [], pos: P }],
  ['DELETE FROM t x USING u WHERE x.id = u.id RETURNING *', { kind: 'delete', table: 't', alias: 'x', using: [table('u')], where: bin('=', col('id', 'x'), col('id', 'u')), returning: [{ kind: 'star', pos: P }], pos: P }],
  // DDL
  ["CREATE TEMP TABLE IF NOT EXISTS t (id serial PRIMARY KEY, name varchar(20) NOT NULL DEFAULT 'x' UNIQUE, n numeric(10, 2) NULL CONSTRAINT pos CHECK (n > 0), p int REFERENCES parent (id), CONSTRAINT t_uq UNIQUE (name, n), CHECK (n < 100)) TABLESPACE usr", { kind: 'createTable', name: 't', ifNotExists: true, temporary: true, tablespace: 'usr', options: [], pos: P, columns: [columnDef('id', type(['serial']), [{ kind: 'primaryKey' }]), columnDef('name', type(['varchar'], [20]), [{ kind: 'notNull' }, { kind: 'default', expr: str('x') }, { kind: 'unique' }]), columnDef('n', type(['numeric'], [10, 2]), [{ kind: 'null' }, { kind: 'check', name: 'pos', expr: bin('>', col('n'), num('0')) }]), columnDef('p', type(['int']), [{ kind: 'references', table: 'parent', columns: ['id'] }])], constraints: [{ kind: 'unique', name: 't_uq', columns: ['name', 'n'] }, { kind: 'check', expr: bin('<', col('n'), num('100')) }] }],
  ['CREATE TABLE t2 AS SELECT * FROM t', { kind: 'createTable', name: 't2', ifNotExists: false, columns: [], constraints: [], options: [], temporary: false, asQuery: query(select({ items: [{ kind: 'star', pos: P }], from: [table('t')] })), pos: P }],
  ['CREATE TABLE ts (a timestamp with time zone DEFAULT now(), b double precision, c timestamp(3) without time zone)', { kind: 'createTable', name: 'ts', ifNotExists: false, temporary: false, options: [], constraints: [], pos: P, columns: [columnDef('a', type(['timestamp'], [], true), [{ kind: 'default', expr: fn('now') }]), columnDef('b', type(['double', 'precision'])), columnDef('c', type(['timestamp'], [3], false))] }],
  ['DROP INDEX IF EXISTS i1, i2 CASCADE', { kind: 'drop', objectType: 'index', names: ['i1', 'i2'], ifExists: true, cascade: true, pos: P }],
  ['DROP SEQUENCE s RESTRICT', { kind: 'drop', objectType: 'sequence', names: ['s'], ifExists: false, cascade: false, pos: P }],
  ['DROP USER u', { kind: 'drop', objectType: 'user', names: ['u'], ifExists: false, cascade: false, pos: P }],
  ['DROP ROLE IF EXISTS r', { kind: 'drop', objectType: 'user', names: ['r'], ifExists: true, cascade: false, pos: P }],
  ['ALTER TABLE IF EXISTS t ADD COLUMN c int DEFAULT 0, ADD d text, DROP COLUMN IF EXISTS e CASCADE, DROP f, ADD CONSTRAINT ck CHECK (c > 0), DROP CONSTRAINT IF EXISTS ck2, RENAME COLUMN g TO h, RENAME i TO j, ALTER COLUMN c SET DEFAULT 1, ALTER c DROP DEFAULT, ALTER COLUMN c SET NOT NULL, ALTER COLUMN c DROP NOT NULL, RENAME TO t3', { kind: 'alterTable', name: 't', ifExists: true, pos: P, actions: [{ kind: 'addColumn', column: columnDef('c', type(['int']), [{ kind: 'default', expr: num('0') }]), ifNotExists: false }, { kind: 'addColumn', column: columnDef('d', type(['text'])), ifNotExists: false }, { kind: 'dropColumn', name: 'e', ifExists: true, cascade: true }, { kind: 'dropColumn', name: 'f', ifExists: false, cascade: false }, { kind: 'addConstraint', constraint: { kind: 'check', name: 'ck', expr: bin('>', col('c'), num('0')) } }, { kind: 'dropConstraint', name: 'ck2', ifExists: true }, { kind: 'renameColumn', from: 'g', to: 'h' }, { kind: 'renameColumn', from: 'i', to: 'j' }, { kind: 'setDefault', column: 'c', expr: num('1') }, { kind: 'setDefault', column: 'c' }, { kind: 'setNotNull', column: 'c', notNull: true }, { kind: 'setNotNull', column: 'c', notNull: false }, { kind: 'renameTable', to: 't3' }] }],
  ['CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx ON t USING btree (a, b DESC) TABLESPACE usr', { kind: 'createIndex', name: 'idx', table: 't', columns: [{ name: 'a', direction: 'asc' }, { name: 'b', direction: 'desc' }], unique: true, ifNotExists: true, tablespace: 'usr', pos: P }],
  ['CREATE INDEX ON t (a)', { kind: 'createIndex', table: 't', columns: [{ name: 'a', direction: 'asc' }], unique: false, ifNotExists: false, pos: P }],
  ['TRUNCATE a, b RESTART IDENTITY CASCADE', { kind: 'truncate', tables: ['a', 'b'], pos: P }],
  ['CREATE SEQUENCE IF NOT EXISTS s INCREMENT BY -2 START WITH 100 MINVALUE 1 NO MAXVALUE CACHE 10 CYCLE', { kind: 'createSequence', name: 's', ifNotExists: true, options: { increment: -2n, start: 100n, minValue: 1n, maxValue: null, cache: 10n, cycle: true }, pos: P }],
  ['CREATE SEQUENCE s NOCYCLE NOCACHE NOMAXVALUE', { kind: 'createSequence', name: 's', ifNotExists: false, options: { cycle: false, cache: 1n, maxValue: null }, pos: P }],
  ['ALTER SEQUENCE s RESTART WITH 5 INCREMENT 3', { kind: 'alterSequence', name: 's', ifExists: false, options: { restart: 5n, increment: 3n }, pos: P }],
  ['ALTER SEQUENCE IF EXISTS s RESTART', { kind: 'alterSequence', name: 's', ifExists: true, options: { restart: 'start' }, pos: P }],
  // Tibero tablespaces and users
  ["CREATE TABLESPACE my_space DATAFILE '/p/my_file.dtf' SIZE 50M AUTOEXTEND ON NEXT 1M MAXSIZE 100M EXTENT MANAGEMENT LOCAL UNIFORM SIZE 256K", { kind: 'createTablespace', name: 'my_space', type: 'permanent', datafiles: [{ path: '/p/my_file.dtf', sizeBytes: 52428800, reuse: false, autoextend: { on: true, nextBytes: 1048576, maxBytes: 104857600 } }], uniformExtentBytes: 262144, pos: P }],
  ["CREATE TEMPORARY TABLESPACE tmp TEMPFILE '/p/t1.dtf' SIZE 10M REUSE AUTOEXTEND OFF, '/p/t2.dtf' SIZE 1G AUTOEXTEND ON MAXSIZE UNLIMITED EXTENT MANAGEMENT LOCAL AUTOALLOCATE", { kind: 'createTablespace', name: 'tmp', type: 'temporary', datafiles: [{ path: '/p/t1.dtf', sizeBytes: 10485760, reuse: true, autoextend: { on: false } }, { path: '/p/t2.dtf', sizeBytes: 1073741824, reuse: false, autoextend: { on: true, maxBytes: 'unlimited' } }], pos: P }],
  ["CREATE UNDO TABLESPACE undo2 DATAFILE 'u.dtf' SIZE 512", { kind: 'createTablespace', name: 'undo2', type: 'undo', datafiles: [{ path: 'u.dtf', sizeBytes: 512, reuse: false }], pos: P }],
  ["ALTER TABLESPACE t ADD DATAFILE '/p/x.dtf' SIZE 10M", { kind: 'alterTablespace', name: 't', action: { kind: 'addDatafile', datafiles: [{ path: '/p/x.dtf', sizeBytes: 10485760, reuse: false }] }, pos: P }],
  ['ALTER TABLESPACE t BEGIN BACKUP', { kind: 'alterTablespace', name: 't', action: { kind: 'beginBackup' }, pos: P }],
  ['ALTER TABLESPACE t END BACKUP', { kind: 'alterTablespace', name: 't', action: { kind: 'endBackup' }, pos: P }],
  ['ALTER TABLESPACE t OFFLINE IMMEDIATE', { kind: 'alterTablespace', name: 't', action: { kind: 'offline', mode: 'immediate' }, pos: P }],
  ['ALTER TABLESPACE t ONLINE', { kind: 'alterTablespace', name: 't', action: { kind: 'online' }, pos: P }],
  ['ALTER TABLESPACE t READ ONLY', { kind: 'alterTablespace', name: 't', action: { kind: 'readOnly', readOnly: true }, pos: P }],
  ['ALTER TABLESPACE t RENAME TO u', { kind: 'alterTablespace', name: 't', action: { kind: 'rename', to: 'u' }, pos: P }],
  ['DROP TABLESPACE t INCLUDING CONTENTS AND DATAFILES', { kind: 'dropTablespace', name: 't', ifExists: false, includingContents: true, andDatafiles: true, pos: P }],
  ['DROP TABLESPACE t', { kind: 'dropTablespace', name: 't', ifExists: false, includingContents: false, andDatafiles: false, pos: P }],
  ['CREATE USER u IDENTIFIED BY Tibero DEFAULT TABLESPACE usr', { kind: 'createUser', name: 'u', password: 'Tibero', ifNotExists: false, defaultTablespace: 'usr', login: true, pos: P }],
  ["CREATE USER u WITH PASSWORD 'pw'", { kind: 'createUser', name: 'u', password: 'pw', ifNotExists: false, login: true, pos: P }],
  ["CREATE ROLE u LOGIN PASSWORD 'pw' SUPERUSER", { kind: 'createUser', name: 'u', password: 'pw', ifNotExists: false, login: true, superuser: true, pos: P }],
  ['CREATE ROLE readers', { kind: 'createUser', name: 'readers', ifNotExists: false, login: false, pos: P }],
  ["ALTER USER u IDENTIFIED BY 'new' ACCOUNT LOCK", { kind: 'alterUser', name: 'u', password: 'new', login: false, pos: P }],
  ['ALTER ROLE u WITH NOSUPERUSER LOGIN', { kind: 'alterUser', name: 'u', login: true, superuser: false, pos: P }],
  ['GRANT SELECT, INSERT ON t1, t2 TO u', { kind: 'grant', revoke: false, privileges: ['select', 'insert'], tables: ['t1', 't2'], grantees: ['u'], pos: P }],
  ['GRANT CONNECT, RESOURCE TO u', { kind: 'grant', revoke: false, privileges: ['connect', 'resource'], grantees: ['u'], pos: P }],
  ['GRANT CREATE SESSION TO u', { kind: 'grant', revoke: false, privileges: ['create session'], grantees: ['u'], pos: P }],
  ['GRANT ALL PRIVILEGES ON TABLE t TO u, v', { kind: 'grant', revoke: false, privileges: ['all'], tables: ['t'], grantees: ['u', 'v'], pos: P }],
  ['REVOKE UPDATE, DELETE ON t FROM u', { kind: 'grant', revoke: true, privileges: ['update', 'delete'], tables: ['t'], grantees: ['u'], pos: P }],
  // transactions
  ['BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY', { kind: 'begin', isolation: 'repeatable read', readOnly: true, pos: P }],
  ['BEGIN WORK READ WRITE', { kind: 'begin', readOnly: false, pos: P }],
  ['START TRANSACTION ISOLATION LEVEL SERIALIZABLE', { kind: 'begin', isolation: 'serializable', pos: P }],
  ['COMMIT WORK', { kind: 'commit', pos: P }],
  ['END TRANSACTION', { kind: 'commit', pos: P }],
  ['ROLLBACK', { kind: 'rollback', pos: P }],
  ['ABORT', { kind: 'rollback', pos: P }],
  ['SAVEPOINT s1', { kind: 'savepoint', name: 's1', pos: P }],
  ['RELEASE SAVEPOINT s1', { kind: 'releaseSavepoint', name: 's1', pos: P }],
  ['RELEASE s1', { kind: 'releaseSavepoint', name: 's1', pos: P }],
  ['ROLLBACK WORK TO SAVEPOINT s1', { kind: 'rollbackToSavepoint', name: 's1', pos: P }],
  ['ROLLBACK TO s1', { kind: 'rollbackToSavepoint', name: 's1', pos: P }],
  ['SET TRANSACTION ISOLATION LEVEL READ COMMITTED', { kind: 'setTransaction', session: false, isolation: 'read committed', pos: P }],
  ['SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ UNCOMMITTED', { kind: 'setTransaction', session: true, isolation: 'read uncommitted', pos: P }],
  // SET / SHOW / RESET
  ["SET TIME ZONE 'Asia/Seoul'", { kind: 'set', name: 'timezone', values: ['Asia/Seoul'], local: false, pos: P }],
  ['SET TIME ZONE LOCAL', { kind: 'set', name: 'timezone', values: 'default', local: false, pos: P }],
  ['SET search_path TO a, "b"', { kind: 'set', name: 'search_path', values: ['a', 'b'], local: false, pos: P }],
  ['SET client_min_messages = warning', { kind: 'set', name: 'client_min_messages', values: ['warning'], local: false, pos: P }],
  ['SET LOCAL statement_timeout = -1', { kind: 'set', name: 'statement_timeout', values: ['-1'], local: true, pos: P }],
  ['SET SESSION datestyle TO DEFAULT', { kind: 'set', name: 'datestyle', values: 'default', local: false, pos: P }],
  ["SET NAMES 'UTF8'", { kind: 'set', name: 'client_encoding', values: ['UTF8'], local: false, pos: P }],
  ['SHOW ALL', { kind: 'show', name: 'all', pos: P }],
  ['SHOW server_version', { kind: 'show', name: 'server_version', pos: P }],
  ['SHOW TRANSACTION ISOLATION LEVEL', { kind: 'show', name: 'transaction_isolation', pos: P }],
  ['RESET ALL', { kind: 'reset', name: 'all', pos: P }],
  ['RESET TIME ZONE', { kind: 'reset', name: 'timezone', pos: P }],
  // COPY, EXPLAIN, maintenance
  ["COPY t (a, b) FROM STDIN WITH (FORMAT csv, DELIMITER ',', HEADER, NULL '')", { kind: 'copy', table: 't', columns: ['a', 'b'], direction: 'from', target: 'stdio', options: [{ name: 'format', value: 'csv' }, { name: 'delimiter', value: ',' }, { name: 'header' }, { name: 'null', value: '' }], pos: P }],
  ['COPY t TO STDOUT WITH CSV HEADER', { kind: 'copy', table: 't', columns: [], direction: 'to', target: 'stdio', options: [{ name: 'format', value: 'csv' }, { name: 'header' }], pos: P }],
  ["COPY t FROM '/tmp/x.csv' DELIMITER AS '|'", { kind: 'copy', table: 't', columns: [], direction: 'from', target: { file: '/tmp/x.csv' }, options: [{ name: 'delimiter', value: '|' }], pos: P }],
  ['COPY (SELECT 1) TO STDOUT', { kind: 'copy', query: query(select({ items: [item(num('1'))] })), columns: [], direction: 'to', target: 'stdio', options: [], pos: P }],
  ['EXPLAIN SELECT 1', { kind: 'explain', analyze: false, verbose: false, statement: selectExpr(num('1')), pos: P }],
  ['EXPLAIN ANALYZE VERBOSE SELECT 1', { kind: 'explain', analyze: true, verbose: true, statement: selectExpr(num('1')), pos: P }],
  ['EXPLAIN (ANALYZE, VERBOSE false, COSTS off) DELETE FROM t', { kind: 'explain', analyze: true, verbose: false, statement: { kind: 'delete', table: 't', using: [], returning: [], pos: P }, pos: P }],
  ['VACUUM', { kind: 'vacuum', tables: [], full: false, analyze: false, verbose: false, pos: P }],
  ['VACUUM FULL VERBOSE ANALYZE a, b', { kind: 'vacuum', tables: ['a', 'b'], full: true, analyze: true, verbose: true, pos: P }],
  ['VACUUM (ANALYZE) t', { kind: 'vacuum', tables: ['t'], full: false, analyze: true, verbose: false, pos: P }],
  ['ANALYZE', { kind: 'analyze', tables: [], verbose: false, pos: P }],
  ['ANALYZE VERBOSE t1, t2', { kind: 'analyze', tables: ['t1', 't2'], verbose: true, pos: P }],
  ['CHECKPOINT', { kind: 'alterSystem', action: { kind: 'checkpoint' }, pos: P }],
  ['ALTER SYSTEM CHECKPOINT', { kind: 'alterSystem', action: { kind: 'checkpoint' }, pos: P }],
  ['ALTER SYSTEM SWITCH LOGFILE', { kind: 'alterSystem', action: { kind: 'switchLogfile' }, pos: P }],
  ['ALTER SYSTEM ARCHIVE LOG CURRENT', { kind: 'alterSystem', action: { kind: 'archiveLogCurrent' }, pos: P }],
  ["ALTER SYSTEM SET log_level = 'debug'", { kind: 'alterSystem', action: { kind: 'set', name: 'log_level', value: 'debug' }, pos: P }],
  ['DISCARD ALL', { kind: 'discard', what: 'all', pos: P }],
  // ALTER DATABASE
  ['ALTER DATABASE MOUNT', { kind: 'alterDatabase', action: { kind: 'mount' }, pos: P }],
  ['ALTER DATABASE tibero OPEN', { kind: 'alterDatabase', name: 'tibero', action: { kind: 'open' }, pos: P }],
  ['ALTER DATABASE OPEN RESETLOGS', { kind: 'alterDatabase', action: { kind: 'open', resetlogs: true }, pos: P }],
  ['ALTER DATABASE OPEN NORESETLOGS READ ONLY', { kind: 'alterDatabase', action: { kind: 'open', resetlogs: false, readOnly: true }, pos: P }],
  ['ALTER DATABASE ARCHIVELOG', { kind: 'alterDatabase', action: { kind: 'archivelog', on: true }, pos: P }],
  ['ALTER DATABASE NOARCHIVELOG', { kind: 'alterDatabase', action: { kind: 'archivelog', on: false }, pos: P }],
  ["ALTER DATABASE ADD LOGFILE GROUP 4 ('a', 'b') SIZE 10M REUSE, GROUP 5 'c' SIZE 10M", { kind: 'alterDatabase', action: { kind: 'addLogfile', groups: [{ group: 4, members: ['a', 'b'], sizeBytes: 10485760, reuse: true }, { group: 5, members: ['c'], sizeBytes: 10485760, reuse: false }] }, pos: P }],
  ["ALTER DATABASE ADD LOGFILE 'd' SIZE 1M", { kind: 'alterDatabase', action: { kind: 'addLogfile', groups: [{ members: ['d'], sizeBytes: 1048576, reuse: false }] }, pos: P }],
  ["ALTER DATABASE ADD LOGFILE MEMBER 'x' REUSE TO GROUP 2", { kind: 'alterDatabase', action: { kind: 'addLogfileMember', members: ['x'], group: 2, reuse: true }, pos: P }],
  ['ALTER DATABASE DROP LOGFILE GROUP 3', { kind: 'alterDatabase', action: { kind: 'dropLogfileGroup', group: 3 }, pos: P }],
  ["ALTER DATABASE DROP LOGFILE MEMBER 'x'", { kind: 'alterDatabase', action: { kind: 'dropLogfileMember', member: 'x' }, pos: P }],
  ['ALTER DATABASE CLEAR UNARCHIVED LOGFILE GROUP 2', { kind: 'alterDatabase', action: { kind: 'clearLogfile', group: 2, unarchived: true }, pos: P }],
  ['ALTER DATABASE CLEAR LOGFILE GROUP 2', { kind: 'alterDatabase', action: { kind: 'clearLogfile', group: 2, unarchived: false }, pos: P }],
  ["ALTER DATABASE RENAME FILE 'a' TO 'b'", { kind: 'alterDatabase', action: { kind: 'renameFile', from: 'a', to: 'b' }, pos: P }],
  ['ALTER DATABASE BEGIN BACKUP', { kind: 'alterDatabase', action: { kind: 'beginBackup' }, pos: P }],
  ['ALTER DATABASE END BACKUP', { kind: 'alterDatabase', action: { kind: 'endBackup' }, pos: P }],
  ["ALTER DATABASE DATAFILE 'x' OFFLINE", { kind: 'alterDatabase', action: { kind: 'datafile', file: 'x', action: 'offline' }, pos: P }],
  ['ALTER DATABASE DATAFILE 3 ONLINE', { kind: 'alterDatabase', action: { kind: 'datafile', file: 3, action: 'online' }, pos: P }],
  ["ALTER DATABASE DATAFILE 'x' RESIZE 100M", { kind: 'alterDatabase', action: { kind: 'datafile', file: 'x', action: { resizeBytes: 104857600 } }, pos: P }],
  ["ALTER DATABASE CREATE DATAFILE 'x' AS 'y'", { kind: 'alterDatabase', action: { kind: 'createDatafile', file: 'x', as: 'y' }, pos: P }],
  ["ALTER DATABASE CREATE DATAFILE 'x'", { kind: 'alterDatabase', action: { kind: 'createDatafile', file: 'x' }, pos: P }],
  ["ALTER DATABASE RECOVER AUTOMATIC DATABASE UNTIL TIME '2026-11-21 10:00:00'", { kind: 'alterDatabase', action: { kind: 'recover', automatic: true, target: { kind: 'database' }, until: { kind: 'time', time: '2026-11-21 10:00:00' }, usingBackupControlfile: false }, pos: P }],
  ["ALTER DATABASE RECOVER LOGFILE '/arch/log-t1-r1-s7.arc'", { kind: 'alterDatabase', action: { kind: 'recover', automatic: false, target: { kind: 'logfile', path: '/arch/log-t1-r1-s7.arc' }, until: undefined, usingBackupControlfile: false }, pos: P }],
  ['ALTER DATABASE RECOVER DATABASE UNTIL CANCEL', { kind: 'alterDatabase', action: { kind: 'recover', automatic: false, target: { kind: 'database' }, until: { kind: 'cancel' }, usingBackupControlfile: false }, pos: P }],
  ['ALTER DATABASE RECOVER AUTOMATIC DATABASE UNTIL CHANGE 12345', { kind: 'alterDatabase', action: { kind: 'recover', automatic: true, target: { kind: 'database' }, until: { kind: 'change', tsn: 12345n }, usingBackupControlfile: false }, pos: P }],
  ["ALTER DATABASE RECOVER AUTOMATIC DATAFILE '/p/f.dtf'", { kind: 'alterDatabase', action: { kind: 'recover', automatic: true, target: { kind: 'datafile', files: ['/p/f.dtf'] }, usingBackupControlfile: false }, pos: P }],
  ['ALTER DATABASE RECOVER AUTOMATIC TABLESPACE usr', { kind: 'alterDatabase', action: { kind: 'recover', automatic: true, target: { kind: 'tablespace', names: ['usr'] }, usingBackupControlfile: false }, pos: P }],
  ['ALTER DATABASE RECOVER CANCEL', { kind: 'alterDatabase', action: { kind: 'recover', automatic: false, target: { kind: 'cancel' }, usingBackupControlfile: false }, pos: P }],
  ['ALTER DATABASE RECOVER DATABASE USING BACKUP CONTROLFILE UNTIL CANCEL', { kind: 'alterDatabase', action: { kind: 'recover', automatic: false, target: { kind: 'database' }, until: { kind: 'cancel' }, usingBackupControlfile: true }, pos: P }],
  ["ALTER DATABASE BACKUP CONTROLFILE TO TRACE AS '/p/ctl.sql' REUSE NORESETLOGS", { kind: 'alterDatabase', action: { kind: 'backupControlfile', trace: true, path: '/p/ctl.sql', reuse: true, resetlogs: false }, pos: P }],
  ["ALTER DATABASE BACKUP CONTROLFILE TO '/p/ctl.bak'", { kind: 'alterDatabase', action: { kind: 'backupControlfile', trace: false, path: '/p/ctl.bak', reuse: false }, pos: P }],
  // CREATE DATABASE
  [`CREATE DATABASE "tibero" USER sys IDENTIFIED BY tibero MAXINSTANCES 8 MAXDATAFILES 256 CHARACTER SET UTF8 NATIONAL CHARACTER SET UTF16
    LOGFILE GROUP 1 ('/d/log001.log', '/d/log002.log') SIZE 50M, GROUP 2 ('/d/log011.log') SIZE 50M
    MAXLOGFILES 100 MAXLOGMEMBERS 8 NOARCHIVELOG
    DATAFILE '/d/system001.dtf' SIZE 100M AUTOEXTEND ON NEXT 10M MAXSIZE UNLIMITED
    DEFAULT TABLESPACE usr DATAFILE '/d/usr001.dtf' SIZE 50M AUTOEXTEND ON NEXT 16M MAXSIZE 10G EXTENT MANAGEMENT LOCAL AUTOALLOCATE
    DEFAULT TEMPORARY TABLESPACE temp TEMPFILE '/d/temp001.dtf' SIZE 50M AUTOEXTEND ON NEXT 8M MAXSIZE 10G
    UNDO TABLESPACE undo DATAFILE '/d/undo001.dtf' SIZE 200M AUTOEXTEND ON NEXT 8M MAXSIZE 10G`,
    { kind: 'createDatabase', name: 'tibero', sysPassword: 'tibero', pos: P,
      options: [{ name: 'maxinstances', value: '8' }, { name: 'maxdatafiles', value: '256' }, { name: 'character set', value: 'utf8' }, { name: 'national character set', value: 'utf16' }, { name: 'maxlogfiles', value: '100' }, { name: 'maxlogmembers', value: '8' }],
      logGroups: [{ group: 1, members: ['/d/log001.log', '/d/log002.log'], sizeBytes: 52428800, reuse: false }, { group: 2, members: ['/d/log011.log'], sizeBytes: 52428800, reuse: false }],
      archivelog: false,
      systemDatafiles: [{ path: '/d/system001.dtf', sizeBytes: 104857600, reuse: false, autoextend: { on: true, nextBytes: 10485760, maxBytes: 'unlimited' } }],
      defaultTablespace: { name: 'usr', datafiles: [{ path: '/d/usr001.dtf', sizeBytes: 52428800, reuse: false, autoextend: { on: true, nextBytes: 16777216, maxBytes: 10737418240 } }] },
      temporaryTablespace: { name: 'temp', datafiles: [{ path: '/d/temp001.dtf', sizeBytes: 52428800, reuse: false, autoextend: { on: true, nextBytes: 8388608, maxBytes: 10737418240 } }] },
      undoTablespace: { name: 'undo', datafiles: [{ path: '/d/undo001.dtf', sizeBytes: 209715200, reuse: false, autoextend: { on: true, nextBytes: 8388608, maxBytes: 10737418240 } }] } }],
  ["CREATE DATABASE ARCHIVELOG DATAFILE 's.dtf' SIZE 1M USER sys IDENTIFIED BY 'x'", { kind: 'createDatabase', sysPassword: 'x', logGroups: [], archivelog: true, systemDatafiles: [{ path: 's.dtf', sizeBytes: 1048576, reuse: false }], options: [], pos: P }],
  // CREATE CONTROLFILE (the TABLESPACE clauses in the DATAFILE list are Tandem's extension)
  [`CREATE CONTROLFILE REUSE DATABASE "tandem" NORESETLOGS ARCHIVELOG
    LOGFILE GROUP 1 ('/d/redo01a.log', '/d/redo01b.log') SIZE 2M, GROUP 2 ('/d/redo02a.log') SIZE 2M
    DATAFILE SYSTEM TABLESPACE "SYSTEM" ('/d/system001.dtf' AUTOEXTEND ON NEXT 8M MAXSIZE 8G),
      UNDO TABLESPACE "UNDO" ('/d/undo001.dtf'), TEMPORARY TABLESPACE "TEMP" ('/d/temp001.dtf' SIZE 2M),
      TABLESPACE "USR" ('/d/usr001.dtf', '/d/usr002.dtf' AUTOEXTEND ON MAXSIZE UNLIMITED)`,
    { kind: 'createControlfile', reuse: true, name: 'tandem', resetlogs: false, archivelog: true, options: [], pos: P,
      logGroups: [{ group: 1, members: ['/d/redo01a.log', '/d/redo01b.log'], sizeBytes: 2097152, reuse: false }, { group: 2, members: ['/d/redo02a.log'], sizeBytes: 2097152, reuse: false }],
      datafiles: [
        { tablespace: { name: 'SYSTEM', kind: 'SYSTEM' }, datafiles: [{ path: '/d/system001.dtf', reuse: false, autoextend: { on: true, nextBytes: 8388608, maxBytes: 8589934592 } }] },
        { tablespace: { name: 'UNDO', kind: 'UNDO' }, datafiles: [{ path: '/d/undo001.dtf', reuse: false }] },
        { tablespace: { name: 'TEMP', kind: 'TEMP' }, datafiles: [{ path: '/d/temp001.dtf', sizeBytes: 2097152, reuse: false }] },
        { tablespace: { name: 'USR', kind: 'USER' }, datafiles: [{ path: '/d/usr001.dtf', reuse: false }, { path: '/d/usr002.dtf', reuse: false, autoextend: { on: true, maxBytes: 'unlimited' } }] },
      ] }],
  // Oracle's and Tibero's order of clauses, bare datafiles, RESETLOGS, the options they print
  [`CREATE CONTROLFILE DATABASE tibero LOGFILE GROUP 0 ('/d/log001.log') SIZE 50M, GROUP 1 '/d/log011.log' SIZE 50M
    RESETLOGS DATAFILE '/d/system001.dtf', '/d/undo001.dtf' NOARCHIVELOG MAXLOGFILES 255 MAXDATAFILES 100 CHARACTER SET MSWIN949`,
    { kind: 'createControlfile', reuse: false, name: 'tibero', resetlogs: true, archivelog: false, pos: P,
      options: [{ name: 'maxlogfiles', value: '255' }, { name: 'maxdatafiles', value: '100' }, { name: 'character set', value: 'mswin949' }],
      logGroups: [{ group: 0, members: ['/d/log001.log'], sizeBytes: 52428800, reuse: false }, { group: 1, members: ['/d/log011.log'], sizeBytes: 52428800, reuse: false }],
      datafiles: [{ datafiles: [{ path: '/d/system001.dtf', reuse: false }] }, { datafiles: [{ path: '/d/undo001.dtf', reuse: false }] }] }],
  ["CREATE CONTROLFILE DATABASE t LOGFILE 'a' DATAFILE TABLESPACE usr ('u')", { kind: 'createControlfile', reuse: false, name: 't', resetlogs: false, options: [], pos: P, logGroups: [{ members: ['a'], reuse: false }], datafiles: [{ tablespace: { name: 'usr', kind: 'USER' }, datafiles: [{ path: 'u', reuse: false }] }] }],
]; // prettier-ignore

describe('parser: expressions', () => {
  for (const [sql, expected] of expressionCases) {
    it(sql, () => {
      expect(stripPositions(parseExpression(sql))).toEqual(stripPositions(expected));
      expect(stripPositions(one(`SELECT ${sql}`))).toEqual(stripPositions(selectExpr(expected)));
    });
  }
});

describe('parser: statements', () => {
  for (const [sql, expected] of statementCases) {
    it(sql.split('\n')[0], () => expect(stripPositions(one(sql))).toEqual(stripPositions(expected)));
  }
});

describe('parser: statement lists', () => {
  it('gives nothing for whitespace, comments and semicolons', () => {
    expect(parse('')).toEqual([]);
    expect(parse('  ;; -- c\n /* d */ ;')).toEqual([]);
  });

  it('splits statements and keeps their own text and offsets', () => {
    const sql = ' BEGIN; -- x\n SELECT 1 ; ;END';
    const statements = parse(sql);
    expect(statements.map((s) => [s.text, s.start])).toEqual([
      ['BEGIN', 1],
      ['SELECT 1', 14],
      ['END', 26],
    ]);
    expect(statements.map((s) => s.statement.kind)).toEqual(['begin', 'query', 'commit']);
  });

  it('records positions as offsets into the whole string', () => {
    const [, second] = parse('SELECT 1; SELECT abc FROM t');
    const stmt = second.statement;
    if (stmt.kind !== 'query' || stmt.query.body.kind !== 'select') throw new Error('not a select');
    const first = stmt.query.body.items[0];
    expect(first.kind === 'expr' && first.expr.pos).toBe(17);
  });

  it('parses pgbench 15 partition probe up to LATERAL, which it refuses cleanly', () => {
    const probe =
      "select o.n, p.partstrat, pg_catalog.count(i.inhparent) from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on (n.oid = c.relnamespace) cross join lateral (select pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname)) as o(n) left join pg_catalog.pg_partitioned_table as p on (p.partrelid = c.oid) left join pg_catalog.pg_inherits as i on (c.oid = i.inhparent) where c.relname = 'pgbench_accounts' and o.n is not null group by 1, 2 order by 1 asc limit 1";
    expect(() => parse(probe)).toThrow(/LATERAL is not supported/);
  });
});

describe('deparser round trip', () => {
  const all = [...statementCases.map(([sql]) => sql), ...expressionCases.map(([sql]) => `SELECT ${sql}`)];
  for (const sql of all) {
    it(sql.split('\n')[0], () => {
      const original = parse(sql);
      const text = original.map((s) => formatStatement(s.statement)).join(';\n');
      const reparsed = parse(text);
      expect(stripPositions(reparsed.map((s) => s.statement))).toEqual(
        stripPositions(original.map((s) => s.statement)),
      );
    });
  }

  it('formats expressions for the catalog', () => {
    expect(formatExpr(parseExpression("nextval('s') + 1"))).toBe("nextval('s') + 1");
    expect(formatExpr(parseExpression('a = 1 AND b IS NOT NULL'))).toBe('(a = 1) AND (b IS NOT NULL)');
    expect(formatExpr(parseExpression('"Select" + "x y" + x'))).toBe('("Select" + "x y") + x');
    expect(formatExpr(parseExpression('abalance + -4321'))).toBe('abalance + (-4321)');
    expect(formatExpr(parseExpression("'it''s'::text"))).toBe("CAST('it''s' AS text)");
  });
});
