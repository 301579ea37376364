// Malformed and unsupported input: the message, the SQLSTATE and the 1-based position.
import { describe, expect, it } from 'vitest';
import { DbError } from '../errors.js';
import { parse } from './parser.js';

function failure(sql: string, options?: Parameters<typeof parse>[1]): DbError {
  try {
    parse(sql, options);
  } catch (error) {
    if (error instanceof DbError) return error;
    throw error;
  }
  throw new Error(`parsed without error: ${sql}`);
}

const SYNTAX = '42601';
const UNSUPPORTED = '0A000';
const TOO_LARGE = '54000';

const cases: [sql: string, sqlState: string, message: string, position: number | undefined][] = [
  ['SELECT a,', SYNTAX, 'syntax error at end of input', 10],
  ['SELECT 1 +', SYNTAX, 'syntax error at end of input', 11],
  ['SELECT 1 +; SELECT 2', SYNTAX, 'syntax error at or near ";"', 11],
  ['SELEC 1', SYNTAX, 'syntax error at or near "SELEC"', 1],
  ['SELECT * FORM t', SYNTAX, 'syntax error at or near "FORM"', 10],
  ['SELECT a FROM', SYNTAX, 'syntax error at end of input', 14],
  ['SELECT (1', SYNTAX, 'syntax error at end of input', 10],
  ['SELECT 1)', SYNTAX, 'syntax error at or near ")"', 9],
  ['SELECT a = b = c', SYNTAX, 'syntax error at or near "="', 14],
  ["SELECT 'abc", SYNTAX, 'unterminated quoted string at or near "\'abc"', 8],
  ['SELECT "abc', SYNTAX, 'unterminated quoted identifier at or near ""abc"', 8],
  ['SELECT ""', SYNTAX, 'zero-length delimited identifier at or near """"', 8],
  ['SELECT $q$ abc', SYNTAX, 'unterminated dollar-quoted string at or near "$q$ abc"', 8],
  ['SELECT 1 /* x', SYNTAX, 'unterminated /* comment at or near "/* x"', 10],
  ['SELECT select', SYNTAX, 'syntax error at or near "select"', 8],
  ['SELECT 1 FROM t WHERE', SYNTAX, 'syntax error at end of input', 22],
  ['INSERT INTO t VALUES (1,)', SYNTAX, 'syntax error at or near ")"', 25],
  ['UPDATE t SET a = 1 WHERE', SYNTAX, 'syntax error at end of input', 25],
  ['CREATE TABLE t (a int,', SYNTAX, 'syntax error at end of input', 23],
  ['DROP TABLE', SYNTAX, 'syntax error at end of input', 11],
  ['SELECT CASE END', SYNTAX, 'syntax error at or near "END"', 13],
  ['SELECT 1 FROM a JOIN b', SYNTAX, 'syntax error at end of input', 23],
  ['SELECT a FROM t LIMIT 1 LIMIT 2', SYNTAX, 'syntax error at or near "LIMIT"', 25],
  ['BEGIN ISOLATION LEVEL SOMETIMES', SYNTAX, 'syntax error at or near "SOMETIMES"', 23],
  ['SELECT @ 1', SYNTAX, 'syntax error at or near "@"', 8],
  ['SELECT 1 @ 2', UNSUPPORTED, 'operator @ is not supported', 10],
  ['DO $$ BEGIN END $$', UNSUPPORTED, 'DO is not supported', 1],
  ['CREATE VIEW v AS SELECT 1', UNSUPPORTED, 'CREATE VIEW is not supported', 8],
  ['SELECT * FROM a, LATERAL (SELECT 1) x', UNSUPPORTED, 'LATERAL is not supported', 18],
  ['SELECT rank() OVER (ORDER BY a) FROM t', UNSUPPORTED, 'window functions are not supported', 15],
  ['SELECT * FROM t FOR UPDATE NOWAIT', UNSUPPORTED, 'NOWAIT is not supported', 28],
  ['WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r', UNSUPPORTED, 'WITH RECURSIVE is not supported', 6],
  ['SELECT ARRAY[1, 2]', UNSUPPORTED, 'ARRAY constructors are not supported', 8],
  ['SELECT a[1] FROM t', UNSUPPORTED, 'array subscripts are not supported', 9],
  ['INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2', UNSUPPORTED, 'ON CONFLICT DO UPDATE is not supported', 45],
  ['SELECT 1 LIMIT 1, 2', UNSUPPORTED, 'LIMIT #,# syntax is not supported; use separate LIMIT and OFFSET clauses', 17],
  ['x'.repeat(100), TOO_LARGE, 'statement is too large: 100 bytes, the limit is 64', undefined],
]; // prettier-ignore

describe('parser errors', () => {
  for (const [sql, sqlState, message, position] of cases) {
    it(sql.slice(0, 60), () => {
      const error = failure(sql, { maxStatementBytes: 64 });
      expect(error.sqlState).toBe(sqlState);
      expect(error.message).toBe(`${error.code}: ${message}`);
      expect(error.position).toBe(position);
    });
  }

  it('refuses nesting deeper than maxDepth', () => {
    const error = failure(`SELECT ${'('.repeat(300)}1${')'.repeat(300)}`);
    expect(error.sqlState).toBe(TOO_LARGE);
    expect(error.message).toMatch(/expression nesting too deep/);
    expect(parse(`SELECT ${'('.repeat(50)}1${')'.repeat(50)}`)).toHaveLength(1);
  });

  it('counts multi-byte characters as UTF-8 bytes against maxStatementBytes', () => {
    expect(failure(`SELECT '${'é'.repeat(40)}'`, { maxStatementBytes: 64 }).sqlState).toBe(TOO_LARGE);
    expect(parse(`SELECT '${'e'.repeat(40)}'`, { maxStatementBytes: 64 })).toHaveLength(1);
  });
});
