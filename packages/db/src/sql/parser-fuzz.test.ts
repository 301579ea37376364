// Seeded fuzzing of the lexer and parser: whatever the input, parse() returns statements or
// throws a DbError with SQLSTATE 42601, 0A000 or 54000, never anything else. Replay a
// failure with TANDEM_SEED=<seed>.
import { SeededRandom, seedFromEnvironment, type Random } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import { DbError } from '../errors.js';
import { formatStatement } from './deparse.js';
import { parse } from './parser.js';

const ALLOWED_STATES = new Set(['42601', '0A000', '54000']);

const CORPUS = [
  'UPDATE pgbench_accounts SET abalance = abalance + -4321 WHERE aid = 12345;',
  'SELECT abalance FROM pgbench_accounts WHERE aid = 12345;',
  'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (3, 1, 2, -5, CURRENT_TIMESTAMP);',
  'create table pgbench_tellers(tid int not null,bid int,tbalance int,filler char(84)) with (fillfactor=100)',
  'copy pgbench_accounts from stdin with (freeze on)',
  "SELECT a, count(*) FILTER (WHERE b > 1) AS n FROM t JOIN u USING (id) WHERE x BETWEEN 1 AND 2 AND y LIKE 'a%' GROUP BY a HAVING count(*) > 2 ORDER BY 1 DESC NULLS LAST LIMIT 10 OFFSET 5",
  "SELECT CASE WHEN a IS NULL THEN 'x' ELSE CAST(b AS varchar(10)) END, EXTRACT(year FROM d), TRIM(BOTH 'x' FROM s) FROM t",
  'WITH x AS (SELECT 1) SELECT * FROM x UNION ALL (SELECT 2 INTERSECT SELECT 3) EXCEPT VALUES (4)',
  "SELECT x = ANY (SELECT y FROM t), EXISTS (SELECT 1), z IN (1, 2), TIMESTAMP WITH TIME ZONE '2026-01-01', INTERVAL '1 day'",
  "CREATE TABLESPACE my_space DATAFILE '/p/my_file.dtf' SIZE 50M AUTOEXTEND ON NEXT 1M MAXSIZE 100M EXTENT MANAGEMENT LOCAL UNIFORM SIZE 256K",
  "ALTER DATABASE ADD LOGFILE GROUP 4 ('a', 'b') SIZE 10M REUSE, GROUP 5 'c' SIZE 10M",
  "ALTER DATABASE RECOVER AUTOMATIC DATABASE UNTIL TIME '2026-11-21 10:00:00' USING BACKUP CONTROLFILE",
  "CREATE USER u IDENTIFIED BY pw DEFAULT TABLESPACE usr; GRANT SELECT, INSERT ON t1, t2 TO u; GRANT CREATE SESSION TO u",
  'BEGIN ISOLATION LEVEL REPEATABLE READ; SAVEPOINT s; ROLLBACK TO SAVEPOINT s; COMMIT',
  "SET TIME ZONE 'Asia/Seoul'; SET search_path TO a, \"b\"; SHOW ALL; RESET ALL",
  "COPY t (a, b) FROM STDIN WITH (FORMAT csv, DELIMITER ',', HEADER, NULL '')",
  'EXPLAIN (ANALYZE, VERBOSE) DELETE FROM t x USING u WHERE x.id = u.id RETURNING *',
  "ALTER TABLE t ADD COLUMN c int DEFAULT 0, DROP COLUMN d, ALTER COLUMN c SET DEFAULT 'x' || E'\\n' || $$y$$",
  'CREATE UNIQUE INDEX IF NOT EXISTS i ON t (a, b DESC); CREATE SEQUENCE s START WITH 1 INCREMENT BY -1 NO MAXVALUE',
  "SELECT -2 ^ 2, a::int + 1, NOT a OR b AND c, a || b = c, $1 + $2, 'it''s', \"Quoted\"\"Name\" FROM DUAL",
]; // prettier-ignore

const SOUP = [
  'SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'NULL', 'IS', 'IN', 'BETWEEN', 'LIKE', 'CASE', 'WHEN', 'THEN', 'END',
  'CAST', 'AS', 'JOIN', 'ON', 'UNION', 'ORDER', 'BY', 'LIMIT', 'INSERT', 'INTO', 'VALUES', 'UPDATE', 'SET', 'DELETE',
  'CREATE', 'TABLE', 'ALTER', 'DATABASE', 'TABLESPACE', 'DATAFILE', 'SIZE', 'WITH', 'DEFAULT', 'EXISTS', 'ANY',
  'a', 't', 'x', '"Q"', "'s'", "E'\\x41'", '$$d$$', '$1', '1', '2.5', '.5', '1e3', '50M', '(', ')', ',', ';', '.',
  '::', '+', '-', '*', '/', '%', '^', '||', '=', '<>', '!=', '<', '<=', '>', '>=', '[', ']', '~~', '--', '/*', '*/',
  "'", '"', '$', 'count', 'int', 'timestamp', 'interval', 'date', 'user', 'sysdate', 'EXTRACT', 'TRIM', 'FILTER',
]; // prettier-ignore

/**
 * Parses, and when that succeeds deparses and reparses too, which must give the same tree;
 * fails the test on any exception but a DbError of the allowed SQLSTATEs.
 */
function check(sql: string, seed: number): void {
  let statements;
  try {
    statements = parse(sql);
  } catch (error) {
    expectAllowed(error, sql, seed);
    return;
  }
  for (const { statement } of statements) {
    const text = formatStatement(statement);
    let reparsed;
    try {
      reparsed = parse(text);
    } catch (error) {
      expect.fail(
        `seed ${seed}: input ${JSON.stringify(sql)} deparsed to ${JSON.stringify(text)}, which fails: ${String(error)}`,
      );
    }
    expect(stripPositions(reparsed.map((s) => s.statement)), `seed ${seed}: ${JSON.stringify(sql)} → ${text}`).toEqual([
      stripPositions(statement),
    ]);
  }
}

function expectAllowed(error: unknown, sql: string, seed: number): void {
  if (error instanceof DbError && ALLOWED_STATES.has(error.sqlState)) return;
  const detail = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
  expect.fail(`seed ${seed}: input ${JSON.stringify(sql.slice(0, 500))} threw ${detail}`);
}

/** The tree without `pos` fields and undefined properties. */
function stripPositions(value: unknown): unknown {
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

function tokenSoup(random: Random): string {
  const count = random.int(1, 40);
  const words: string[] = [];
  for (let i = 0; i < count; i++) words.push(random.pick(SOUP));
  return words.join(random.chance(0.2) ? '' : ' ');
}

function mutate(random: Random, text: string): string {
  let out = text;
  const edits = random.int(1, 6);
  for (let e = 0; e < edits; e++) {
    const at = random.int(0, out.length + 1);
    const span = random.int(1, 8);
    switch (random.int(0, 5)) {
      case 0:
        out = out.slice(0, at) + out.slice(at + span);
        break;
      case 1:
        out = out.slice(0, at) + out.slice(at, at + span) + out.slice(at);
        break;
      case 2: {
        const other = random.int(0, out.length + 1);
        out = out.slice(0, at) + out.slice(other, other + span) + out.slice(at + span);
        break;
      }
      case 3:
        out = out.slice(0, at) + String.fromCharCode(random.int(0, 128)) + out.slice(at);
        break;
      default:
        out = `${out.slice(0, at)} ${random.pick(SOUP)} ${out.slice(at)}`;
    }
  }
  return out;
}

function randomChars(random: Random): string {
  const length = random.int(0, 60);
  let out = '';
  for (let i = 0; i < length; i++) {
    const kind = random.int(0, 4);
    if (kind === 0) out += String.fromCharCode(random.int(0, 0x80));
    else if (kind === 1)
      out += String.fromCharCode(random.int(0xd800, 0xe000)); // lone surrogates
    else if (kind === 2) out += String.fromCharCode(random.int(0, 0x10000));
    else out += random.pick(["'", '"', '$', '(', ')', '\0', '\\', '/*', '--', 'E', ';']);
  }
  return out;
}

describe('parser fuzzing', () => {
  const seed = seedFromEnvironment();

  it(`survives token soups (seed ${seed})`, () => {
    const random = new SeededRandom(seed);
    for (let i = 0; i < 2000; i++) check(tokenSoup(random), seed);
  });

  it(`survives mutations of valid statements (seed ${seed})`, () => {
    const random = new SeededRandom(seed + 1);
    for (const sql of CORPUS) check(sql, seed);
    for (let i = 0; i < 3000; i++) check(mutate(random, random.pick(CORPUS)), seed);
  });

  it(`survives random characters, NUL and lone surrogates (seed ${seed})`, () => {
    const random = new SeededRandom(seed + 2);
    for (let i = 0; i < 2000; i++) check(randomChars(random), seed);
  });

  it('survives deep nesting without exhausting the stack', () => {
    const n = 100_000;
    const inputs = [
      `SELECT ${'('.repeat(n)}1${')'.repeat(n)}`,
      `SELECT ${'('.repeat(n)}`,
      `SELECT ${'- '.repeat(n)}1`,
      `SELECT ${'NOT '.repeat(n)}TRUE`,
      `SELECT 1${' + 1'.repeat(n)}`,
      `SELECT 1${'::int'.repeat(n)}`,
      `SELECT ${'(SELECT '.repeat(n)}1`,
      `SELECT * FROM t WHERE ${Array.from({ length: 10_000 }, (_, i) => `a = ${i}`).join(' OR ')}`,
      `SELECT * FROM ${'a JOIN '.repeat(n)}b`,
      `SELECT 1 ${'UNION SELECT 1 '.repeat(n / 10)}`,
      `/*${'/*'.repeat(n)}`,
      `SELECT ${'CASE WHEN '.repeat(n)}`,
      `SELECT ${'f('.repeat(n)}`,
    ];
    for (const sql of inputs) check(sql, 0);
    for (const sql of inputs.slice(0, 3)) {
      expect(() => parse(sql)).toThrow(DbError);
    }
  });
});
