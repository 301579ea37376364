// The SQL parser's entry points: a query string becomes statements (ast.ts) for the
// planner. Hand-written recursive descent over the lexer's tokens; every failure is a
// DbError (42601 syntax, 0A000 unsupported, 54000 too large or too deep) with a position.
import type { Expr, Statement, TypeName } from './ast.js';
import { Cursor } from './cursor.js';
import { DbError } from '../errors.js';
import { lex, TokenType } from './lexer.js';
import {
  parseAlterDatabase,
  parseAlterSystem,
  parseAlterTablespace,
  parseAlterUser,
  parseAnalyze,
  parseCheckpoint,
  parseCopy,
  parseCreateControlfile,
  parseCreateDatabase,
  parseCreateTablespace,
  parseCreateUser,
  parseDiscard,
  parseDropTablespace,
  parseExplain,
  parseGrant,
  parseReset,
  parseSet,
  parseShow,
  parseTransaction,
  parseVacuum,
} from './parse-admin.js';
import {
  parseAlterSequence,
  parseAlterTable,
  parseCreateIndex,
  parseCreateSequence,
  parseCreateTable,
  parseDropObject,
  parseTruncate,
} from './parse-ddl.js';
import { parseExpr, parseTypeName as parseTypeNameAt } from './parse-expr.js';
import { isQueryStart, parseDelete, parseInsert, parseQuery, parseUpdate } from './parse-query.js';

export interface ParsedStatement {
  readonly statement: Statement;
  /** The statement's own source text, from its first token to its last (no `;`). */
  readonly text: string;
  /** Offset of `text` in the query string. */
  readonly start: number;
}

export interface ParseOptions {
  /** The longest query string accepted, in UTF-8 bytes; default 1 MiB. */
  readonly maxStatementBytes?: number;
  /** The deepest nesting of parentheses, subqueries and operators; default 200. */
  readonly maxDepth?: number;
}

export const DEFAULT_MAX_STATEMENT_BYTES = 1024 * 1024;
export const DEFAULT_MAX_DEPTH = 200;

/**
 * Parses a query string of zero or more `;`-separated statements. Only whitespace, comments
 * and semicolons give `[]` (the wire layer answers EmptyQueryResponse).
 */
export function parse(sql: string, options?: ParseOptions): ParsedStatement[] {
  const cursor = open(sql, options);
  const statements: ParsedStatement[] = [];
  while (true) {
    while (cursor.acceptOp(';'));
    const first = cursor.peek();
    if (first.type === TokenType.Eof) break;
    const statement = guard(() => parseStatement(cursor));
    if (!cursor.atEnd()) throw cursor.syntaxError();
    const last = cursor.previous();
    statements.push({ statement, text: sql.slice(first.start, last.end), start: first.start });
  }
  return statements;
}

/** Parses one expression, as stored for a DEFAULT or CHECK. */
export function parseExpression(text: string, options?: ParseOptions): Expr {
  const cursor = open(text, options);
  const expr = guard(() => parseExpr(cursor));
  if (cursor.peek().type !== TokenType.Eof) throw cursor.syntaxError();
  return expr;
}

/** Parses one type name (`numeric(10, 2)`, `timestamp with time zone`). */
export function parseTypeName(text: string, options?: ParseOptions): TypeName {
  const cursor = open(text, options);
  const type = guard(() => parseTypeNameAt(cursor));
  if (cursor.peek().type !== TokenType.Eof) throw cursor.syntaxError();
  return type;
}

function open(sql: string, options: ParseOptions | undefined): Cursor {
  const maxBytes = options?.maxStatementBytes ?? DEFAULT_MAX_STATEMENT_BYTES;
  // A UTF-16 unit is at most 3 UTF-8 bytes, so only long strings need counting.
  if (sql.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(sql, 'utf8');
    if (bytes > maxBytes) {
      throw new DbError('STATEMENT_TOO_LARGE', `statement is too large: ${bytes} bytes, the limit is ${maxBytes}`);
    }
  }
  return new Cursor(sql, lex(sql), options?.maxDepth ?? DEFAULT_MAX_DEPTH);
}

/**
 * The depth limit keeps recursion far from the stack's end; should the stack still run out
 * (a tiny stack, a huge maxDepth), the statement is refused as too deep rather than crashing.
 */
function guard<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new DbError('STATEMENT_TOO_LARGE', 'expression nesting too deep', { cause: error });
    }
    throw error;
  }
}

/** Statement words we recognize only to say they are not supported. */
const UNSUPPORTED_STATEMENTS: ReadonlySet<string> = new Set([
  'do', 'prepare', 'execute', 'deallocate', 'listen', 'notify', 'unlisten', 'lock', 'declare', 'fetch', 'move',
  'close', 'comment', 'cluster', 'reindex', 'refresh', 'merge', 'call', 'load', 'import', 'security', 'reassign',
]); // prettier-ignore

/** Object kinds of CREATE/ALTER/DROP that we recognize only to refuse. */
const UNSUPPORTED_OBJECTS: ReadonlySet<string> = new Set([
  'view', 'materialized', 'function', 'procedure', 'trigger', 'schema', 'extension', 'type', 'domain', 'rule',
  'aggregate', 'operator', 'index', 'policy', 'publication', 'subscription', 'server', 'collation', 'conversion',
  'cast', 'event', 'foreign', 'language', 'text', 'transform', 'statistics', 'access', 'group', 'synonym',
  'package', 'directory', 'owned', 'routine', 'trusted', 'procedural', 'default',
]); // prettier-ignore

export function parseStatement(c: Cursor): Statement {
  const token = c.peek();
  if (isQueryStart(c) || c.isOp('(')) return { kind: 'query', query: parseQuery(c) };
  if (token.type !== TokenType.Ident) throw c.syntaxError();
  switch (token.value) {
    case 'insert':
      return parseInsert(c);
    case 'update':
      return parseUpdate(c);
    case 'delete':
      return parseDelete(c);
    case 'create':
      return parseCreate(c);
    case 'drop':
      return parseDrop(c);
    case 'alter':
      return parseAlter(c);
    case 'truncate':
      return parseTruncate(c);
    case 'grant':
    case 'revoke':
      return parseGrant(c);
    case 'begin':
    case 'start':
    case 'commit':
    case 'end':
    case 'rollback':
    case 'abort':
    case 'savepoint':
    case 'release':
      return parseTransaction(c);
    case 'set':
      return parseSet(c);
    case 'show':
      return parseShow(c);
    case 'reset':
      return parseReset(c);
    case 'copy':
      return parseCopy(c);
    case 'explain':
      return parseExplain(c, parseStatement);
    case 'vacuum':
      return parseVacuum(c);
    case 'analyze':
    case 'analyse':
      return parseAnalyze(c);
    case 'checkpoint':
      return parseCheckpoint(c);
    case 'discard':
      return parseDiscard(c);
    default:
      if (UNSUPPORTED_STATEMENTS.has(token.value)) {
        throw c.unsupported(`${token.value.toUpperCase()} is not supported`);
      }
      throw c.syntaxError();
  }
}

function parseCreate(c: Cursor): Statement {
  const pos = c.expectWord('create').start;
  if (c.isWord('or') && c.isWord('replace', 1)) throw c.unsupported('CREATE OR REPLACE is not supported');
  if (c.acceptWord('global') || c.acceptWord('local')) {
    if (!c.isWord('temp') && !c.isWord('temporary')) throw c.syntaxError();
  }
  if (c.isWord('temp') || c.isWord('temporary')) {
    c.next();
    if (c.acceptWord('tablespace')) return parseCreateTablespace(c, pos, 'temporary');
    if (c.acceptWord('table')) return parseCreateTable(c, pos, true);
    if (c.isWord('sequence') || c.isWord('view'))
      throw c.unsupported('temporary sequences and views are not supported');
    throw c.syntaxError();
  }
  c.acceptWord('unlogged');
  if (c.acceptWord('table')) return parseCreateTable(c, pos, false);
  if (c.isWord('unique') && c.isWord('index', 1)) {
    c.next();
    c.next();
    return parseCreateIndex(c, pos, true);
  }
  if (c.acceptWord('index')) return parseCreateIndex(c, pos, false);
  if (c.acceptWord('sequence')) return parseCreateSequence(c, pos);
  if (c.acceptWord('tablespace')) return parseCreateTablespace(c, pos, 'permanent');
  if (c.isWord('undo') && c.isWord('tablespace', 1)) {
    c.next();
    c.next();
    return parseCreateTablespace(c, pos, 'undo');
  }
  if (c.acceptWord('user')) return parseCreateUser(c, pos, false);
  if (c.acceptWord('role')) return parseCreateUser(c, pos, true);
  if (c.acceptWord('database')) return parseCreateDatabase(c, pos);
  if (c.acceptWord('controlfile')) return parseCreateControlfile(c, pos);
  return refuseObject(c, 'CREATE');
}

function parseDrop(c: Cursor): Statement {
  const pos = c.expectWord('drop').start;
  if (c.acceptWord('tablespace')) return parseDropTablespace(c, pos);
  return parseDropObject(c, pos);
}

function parseAlter(c: Cursor): Statement {
  const pos = c.expectWord('alter').start;
  if (c.acceptWord('table')) return parseAlterTable(c, pos);
  if (c.acceptWord('sequence')) return parseAlterSequence(c, pos);
  if (c.acceptWord('tablespace')) return parseAlterTablespace(c, pos);
  if (c.acceptWord('user') || c.acceptWord('role')) return parseAlterUser(c, pos);
  if (c.acceptWord('system')) return parseAlterSystem(c, pos);
  if (c.acceptWord('database')) return parseAlterDatabase(c, pos);
  return refuseObject(c, 'ALTER');
}

/** `CREATE VIEW`, `ALTER INDEX`...: a known object kind we do not serve, or a syntax error. */
function refuseObject(c: Cursor, verb: string): never {
  const token = c.peek();
  if (token.type === TokenType.Ident && UNSUPPORTED_OBJECTS.has(token.value)) {
    throw c.unsupported(`${verb} ${token.value.toUpperCase()} is not supported`);
  }
  throw c.syntaxError();
}
