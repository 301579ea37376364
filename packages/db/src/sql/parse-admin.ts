// Administrative statements: Tibero's tablespace, user, database and system forms, and
// PostgreSQL's transaction control, SET/SHOW/RESET, COPY, EXPLAIN, VACUUM and ANALYZE.
import type {
  AlterDatabaseAction,
  AlterDatabaseStatement,
  AlterSystemStatement,
  AlterTablespaceAction,
  AlterTablespaceStatement,
  AlterUserStatement,
  AnalyzeStatement,
  CopyStatement,
  ControlfileDatafileItem,
  CreateControlfileStatement,
  CreateDatabaseStatement,
  CreateTablespaceStatement,
  CreateUserStatement,
  DatafileSpec,
  DiscardStatement,
  DropTablespaceStatement,
  ExplainStatement,
  GrantStatement,
  LogGroupSpec,
  Position,
  Query,
  RecoverUntil,
  ResetStatement,
  SetStatement,
  ShowStatement,
  Statement,
  TransactionStatement,
  VacuumStatement,
} from './ast.js';
import { DbError } from '../errors.js';
import type { Cursor } from './cursor.js';
import { TokenType, type Token } from './lexer.js';
import { parseIfExists, parseIfNotExists } from './parse-ddl.js';
import { parseQuery } from './parse-query.js';

type Isolation = 'read committed' | 'repeatable read' | 'serializable' | 'read uncommitted';

const SIZE_UNITS: ReadonlyMap<string, number> = new Map([
  ['k', 1024],
  ['m', 1024 ** 2],
  ['g', 1024 ** 3],
  ['t', 1024 ** 4],
]);

/** A size in bytes: `512`, `256K`, `50M`, `1.5G` (the lexer splits `50M` into 50 and M). */
export function parseSize(c: Cursor): number {
  const token = c.peek();
  if (token.type !== TokenType.Number) throw c.syntaxError();
  c.next();
  const unitToken = c.peek();
  const unit = unitToken.type === TokenType.Ident ? SIZE_UNITS.get(unitToken.value) : undefined;
  if (unit !== undefined) c.next();
  const bytes = Math.round(Number(token.value) * (unit ?? 1));
  if (!Number.isSafeInteger(bytes)) throw c.syntaxError(token);
  return bytes;
}

/** `'path' [SIZE n] [REUSE] [AUTOEXTEND OFF | ON [NEXT n] [MAXSIZE n | UNLIMITED]]`. */
function parseDatafileSpec(c: Cursor): DatafileSpec {
  const path = c.stringValue();
  let sizeBytes: number | undefined;
  let reuse = false;
  let autoextend: DatafileSpec['autoextend'];
  while (true) {
    if (c.acceptWord('size')) sizeBytes = parseSize(c);
    else if (c.acceptWord('reuse')) reuse = true;
    else if (c.acceptWord('autoextend')) autoextend = parseAutoextend(c);
    else break;
  }
  return { path, sizeBytes, reuse, autoextend };
}

function parseAutoextend(c: Cursor): DatafileSpec['autoextend'] {
  if (c.acceptWord('off')) return { on: false, nextBytes: undefined, maxBytes: undefined };
  c.expectWord('on');
  const nextBytes = c.acceptWord('next') ? parseSize(c) : undefined;
  let maxBytes: number | 'unlimited' | undefined;
  if (c.acceptWord('maxsize')) maxBytes = c.acceptWord('unlimited') ? 'unlimited' : parseSize(c);
  return { on: true, nextBytes, maxBytes };
}

function parseDatafileList(c: Cursor): DatafileSpec[] {
  return c.list(() => parseDatafileSpec(c));
}

/** EXTENT MANAGEMENT LOCAL [AUTOALLOCATE | UNIFORM [SIZE n]]; returns the uniform size, if any. */
function parseExtentManagement(c: Cursor): number | undefined {
  c.expectWords('extent', 'management');
  c.expectWord('local');
  if (c.acceptWord('autoallocate')) return undefined;
  if (!c.acceptWord('uniform')) return undefined;
  return c.acceptWord('size') ? parseSize(c) : undefined;
}

/** Clauses after a tablespace's files that we accept without effect; true when one was read. */
function skipTablespaceClause(c: Cursor): boolean {
  if (c.acceptWord('logging') || c.acceptWord('nologging') || c.acceptWord('online')) return true;
  if (c.acceptWord('segment')) {
    c.expectWords('space', 'management');
    if (!c.acceptWord('auto')) c.expectWord('manual');
    return true;
  }
  return false;
}

/** CREATE [TEMPORARY | UNDO] TABLESPACE, after the word TABLESPACE. */
export function parseCreateTablespace(
  c: Cursor,
  pos: Position,
  type: CreateTablespaceStatement['type'],
): CreateTablespaceStatement {
  const name = c.colId();
  if (!c.acceptWord(type === 'temporary' ? 'tempfile' : 'datafile')) {
    if (c.isWord('location')) throw c.unsupported('CREATE TABLESPACE ... LOCATION is not supported; use DATAFILE');
    throw c.syntaxError();
  }
  const datafiles = parseDatafileList(c);
  let uniformExtentBytes: number | undefined;
  while (true) {
    if (c.isWord('extent')) uniformExtentBytes = parseExtentManagement(c);
    else if (!skipTablespaceClause(c)) break;
  }
  return { kind: 'createTablespace', name, type, datafiles, uniformExtentBytes, pos };
}

/** ALTER TABLESPACE t ADD DATAFILE ... | RENAME TO | OFFLINE | ONLINE | BEGIN/END BACKUP | READ ONLY/WRITE. */
export function parseAlterTablespace(c: Cursor, pos: Position): AlterTablespaceStatement {
  const name = c.colId();
  return { kind: 'alterTablespace', name, action: parseAlterTablespaceAction(c), pos };
}

function parseAlterTablespaceAction(c: Cursor): AlterTablespaceAction {
  if (c.acceptWord('add')) {
    if (!c.acceptWord('datafile')) c.expectWord('tempfile');
    return { kind: 'addDatafile', datafiles: parseDatafileList(c) };
  }
  if (c.acceptWord('rename')) {
    c.expectWord('to');
    return { kind: 'rename', to: c.colId() };
  }
  if (c.acceptWord('offline')) {
    if (c.acceptWord('normal')) return { kind: 'offline', mode: 'normal' };
    if (c.acceptWord('immediate')) return { kind: 'offline', mode: 'immediate' };
    return { kind: 'offline', mode: undefined };
  }
  if (c.acceptWord('online')) return { kind: 'online' };
  if (c.acceptWord('begin')) {
    c.expectWord('backup');
    return { kind: 'beginBackup' };
  }
  if (c.acceptWord('end')) {
    c.expectWord('backup');
    return { kind: 'endBackup' };
  }
  if (c.acceptWord('read')) {
    if (c.acceptWord('only')) return { kind: 'readOnly', readOnly: true };
    c.expectWord('write');
    return { kind: 'readOnly', readOnly: false };
  }
  throw c.syntaxError();
}

/** DROP TABLESPACE [IF EXISTS] t [INCLUDING CONTENTS [AND DATAFILES] [CASCADE CONSTRAINTS]], after TABLESPACE. */
export function parseDropTablespace(c: Cursor, pos: Position): DropTablespaceStatement {
  const ifExists = parseIfExists(c);
  const name = c.colId();
  let includingContents = false;
  let andDatafiles = false;
  if (c.acceptWord('including')) {
    c.expectWord('contents');
    includingContents = true;
    if (c.acceptWord('and')) {
      c.expectWord('datafiles');
      andDatafiles = true;
    }
    if (c.acceptWord('cascade')) c.expectWord('constraints');
  }
  return { kind: 'dropTablespace', name, ifExists, includingContents, andDatafiles, pos };
}

/** A password after IDENTIFIED BY: an identifier keeps its case as written (Oracle's are case sensitive). */
function parsePasswordWord(c: Cursor): string {
  const token = c.next();
  if (token.type === TokenType.Ident || token.type === TokenType.Number) return c.sql.slice(token.start, token.end);
  if (token.type === TokenType.QuotedIdent || token.type === TokenType.String) return token.value;
  throw c.syntaxError(token);
}

interface UserOptions {
  password?: string;
  defaultTablespace?: string;
  login?: boolean;
  superuser?: boolean;
}

/** Role options of PostgreSQL and Tibero, in any order; the ones without effect here are accepted. */
function parseUserOptions(c: Cursor): UserOptions {
  const options: UserOptions = {};
  c.acceptWord('with');
  while (c.peek().type === TokenType.Ident) {
    const token = c.next();
    switch (token.value) {
      case 'identified':
        c.expectWord('by');
        options.password = parsePasswordWord(c);
        break;
      case 'encrypted':
      case 'unencrypted':
        c.expectWord('password');
        options.password = c.stringValue();
        break;
      case 'password':
        if (c.acceptWord('expire')) break;
        if (c.acceptWord('null')) options.password = undefined;
        else options.password = c.stringValue();
        break;
      case 'login':
        options.login = true;
        break;
      case 'nologin':
        options.login = false;
        break;
      case 'superuser':
        options.superuser = true;
        break;
      case 'nosuperuser':
        options.superuser = false;
        break;
      case 'account':
        if (c.acceptWord('lock')) options.login = false;
        else if (c.expectWord('unlock')) options.login = true;
        break;
      case 'default':
        c.expectWord('tablespace');
        options.defaultTablespace = c.colId();
        break;
      case 'temporary':
        c.expectWord('tablespace');
        c.colId();
        break;
      case 'quota':
        if (!c.acceptWord('unlimited')) parseSize(c);
        c.expectWord('on');
        c.colId();
        break;
      case 'connection':
        c.expectWord('limit');
        c.signedBigint();
        break;
      case 'valid':
        c.expectWord('until');
        c.stringValue();
        break;
      case 'createdb':
      case 'nocreatedb':
      case 'createrole':
      case 'nocreaterole':
      case 'inherit':
      case 'noinherit':
      case 'replication':
      case 'noreplication':
      case 'bypassrls':
      case 'nobypassrls':
        break;
      default:
        if (token.value === 'in' || token.value === 'role' || token.value === 'admin' || token.value === 'rename') {
          throw c.unsupported(`${token.value.toUpperCase()} in a role definition is not supported`, token);
        }
        throw c.syntaxError(token);
    }
  }
  return options;
}

/** CREATE USER | ROLE, after that word; `role` says which (a role cannot log in unless LOGIN). */
export function parseCreateUser(c: Cursor, pos: Position, role: boolean): CreateUserStatement {
  const ifNotExists = parseIfNotExists(c);
  const name = c.colId();
  const options = parseUserOptions(c);
  return {
    kind: 'createUser',
    name,
    password: options.password,
    ifNotExists,
    defaultTablespace: options.defaultTablespace,
    login: options.login ?? !role,
    superuser: options.superuser,
    pos,
  };
}

export function parseAlterUser(c: Cursor, pos: Position): AlterUserStatement {
  const name = c.colId();
  if (c.isWord('set') || c.isWord('reset')) throw c.unsupported('ALTER USER ... SET is not supported');
  const options = parseUserOptions(c);
  return {
    kind: 'alterUser',
    name,
    password: options.password,
    defaultTablespace: options.defaultTablespace,
    login: options.login,
    superuser: options.superuser,
    pos,
  };
}

const PRIVILEGE_END: ReadonlySet<string> = new Set(['on', 'to', 'from']);

/** GRANT ... TO / REVOKE ... FROM. Privileges are words joined by spaces: `create session`, `all`. */
export function parseGrant(c: Cursor): GrantStatement {
  const first = c.next();
  const revoke = first.value === 'revoke';
  if (revoke && (c.isWord('grant') || c.isWord('admin')) && c.isWord('option', 1)) {
    throw c.unsupported('REVOKE GRANT OPTION FOR is not supported');
  }
  const privileges = c.list(() => parsePrivilege(c));
  let tables: string[] | undefined;
  if (c.acceptWord('on')) {
    if (c.isAnyWord(GRANT_OBJECT_TYPES) && !c.isOp(',', 1) && !c.isWord(revoke ? 'from' : 'to', 1)) {
      throw c.unsupported(`privileges on a ${c.peek().value} are not supported`);
    }
    c.acceptWord('table');
    tables = c.list(() => c.qualifiedName());
  }
  c.expectWord(revoke ? 'from' : 'to');
  const grantees = c.list(() => {
    c.acceptWord('group');
    return c.colId();
  });
  if (!revoke && c.acceptWord('with')) {
    if (!c.acceptWord('grant')) c.expectWord('admin');
    c.expectWord('option');
  }
  if (revoke && !c.acceptWord('cascade')) c.acceptWord('restrict');
  return { kind: 'grant', revoke, privileges, tables, grantees, pos: first.start };
}

const GRANT_OBJECT_TYPES: ReadonlySet<string> = new Set([
  'sequence', 'schema', 'database', 'function', 'procedure', 'routine', 'all', 'tablespace', 'language', 'type',
  'domain', 'foreign', 'large',
]); // prettier-ignore

function parsePrivilege(c: Cursor): string {
  const words: string[] = [];
  while (c.peek().type === TokenType.Ident && !c.isAnyWord(PRIVILEGE_END)) {
    words.push(c.next().value);
    if (c.isOp('(')) throw c.unsupported('column privileges are not supported');
  }
  if (words.length === 0) throw c.syntaxError();
  if (words[0] === 'all') return 'all';
  return words.join(' ');
}

/** Transaction modes, optionally comma separated: ISOLATION LEVEL ..., READ ONLY | READ WRITE, [NOT] DEFERRABLE. */
function parseTransactionModes(c: Cursor): { isolation?: Isolation; readOnly?: boolean } {
  let isolation: Isolation | undefined;
  let readOnly: boolean | undefined;
  let first = true;
  while (true) {
    if (!first && c.isOp(',')) c.next();
    first = false;
    if (c.acceptWord('isolation')) {
      c.expectWord('level');
      isolation = parseIsolationLevel(c);
    } else if (c.isWord('read') && (c.isWord('only', 1) || c.isWord('write', 1))) {
      c.next();
      readOnly = c.next().value === 'only';
    } else if (c.acceptWord('not')) {
      c.expectWord('deferrable');
    } else if (!c.acceptWord('deferrable')) {
      break;
    }
  }
  return { isolation, readOnly };
}

function parseIsolationLevel(c: Cursor): Isolation {
  if (c.acceptWord('serializable')) return 'serializable';
  if (c.acceptWord('repeatable')) {
    c.expectWord('read');
    return 'repeatable read';
  }
  c.expectWord('read');
  if (c.acceptWord('committed')) return 'read committed';
  c.expectWord('uncommitted');
  return 'read uncommitted';
}

function acceptWorkOrTransaction(c: Cursor): void {
  if (!c.acceptWord('work')) c.acceptWord('transaction');
}

/** BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK [TO SAVEPOINT], ABORT, SAVEPOINT, RELEASE. */
export function parseTransaction(c: Cursor): TransactionStatement {
  const token = c.next();
  const pos = token.start;
  switch (token.value) {
    case 'begin':
    case 'start': {
      if (token.value === 'start') c.expectWord('transaction');
      else acceptWorkOrTransaction(c);
      const modes = parseTransactionModes(c);
      return { kind: 'begin', isolation: modes.isolation, readOnly: modes.readOnly, pos };
    }
    case 'commit':
    case 'end':
      acceptWorkOrTransaction(c);
      if (token.value === 'commit' && c.isWord('prepared')) throw c.unsupported('two-phase commit is not supported');
      refuseChain(c);
      return { kind: 'commit', pos };
    case 'rollback':
    case 'abort': {
      acceptWorkOrTransaction(c);
      if (token.value === 'rollback' && c.acceptWord('to')) {
        c.acceptWord('savepoint');
        return { kind: 'rollbackToSavepoint', name: c.colId(), pos };
      }
      if (c.isWord('prepared')) throw c.unsupported('two-phase commit is not supported');
      refuseChain(c);
      return { kind: 'rollback', pos };
    }
    case 'savepoint':
      return { kind: 'savepoint', name: c.colId(), pos };
    case 'release':
      c.acceptWord('savepoint');
      return { kind: 'releaseSavepoint', name: c.colId(), pos };
    default:
      throw c.syntaxError(token);
  }
}

function refuseChain(c: Cursor): void {
  if (!c.isWord('and')) return;
  c.next();
  if (c.acceptWord('no')) {
    c.expectWord('chain');
    return;
  }
  throw c.unsupported('AND CHAIN is not supported');
}

/** SET ..., SET TRANSACTION ..., SET SESSION CHARACTERISTICS AS TRANSACTION ... */
export function parseSet(c: Cursor): SetStatement | TransactionStatement {
  const pos = c.expectWord('set').start;
  if (c.isWord('session') && c.isWord('characteristics', 1)) {
    c.next();
    c.next();
    c.expectWords('as', 'transaction');
    return { kind: 'setTransaction', session: true, ...parseTransactionModes(c), pos };
  }
  let local = false;
  if (c.isWord('local') && !c.isOp('=', 1) && !c.isWord('to', 1)) {
    c.next();
    local = true;
  } else if (c.isWord('session') && !c.isOp('=', 1) && !c.isWord('to', 1)) {
    c.next();
  }
  if (c.acceptWord('transaction')) {
    if (c.isWord('snapshot')) throw c.unsupported('SET TRANSACTION SNAPSHOT is not supported');
    return { kind: 'setTransaction', session: false, ...parseTransactionModes(c), pos };
  }
  if (c.isWord('time') && c.isWord('zone', 1)) {
    c.next();
    c.next();
    return { kind: 'set', name: 'timezone', values: parseTimeZoneValue(c), local, pos };
  }
  if (c.acceptWord('names')) {
    return {
      kind: 'set',
      name: 'client_encoding',
      values: c.acceptWord('default') ? 'default' : [parseSetValue(c)],
      local,
      pos,
    };
  }
  if (c.isWord('schema') && c.isString(1)) {
    c.next();
    return { kind: 'set', name: 'search_path', values: [c.stringValue()], local, pos };
  }
  if (c.isWord('role') || (c.isWord('session') && c.isWord('authorization', 1))) {
    throw c.unsupported('SET ROLE and SET SESSION AUTHORIZATION are not supported');
  }
  const name = parseVariableName(c);
  if (!c.acceptWord('to')) c.expectOp('=');
  if (c.acceptWord('default')) return { kind: 'set', name, values: 'default', local, pos };
  if (c.isWord('from') && c.isWord('current', 1)) throw c.unsupported('SET ... FROM CURRENT is not supported');
  return { kind: 'set', name, values: c.list(() => parseSetValue(c)), local, pos };
}

/** SET TIME ZONE 'zone' | number | LOCAL | DEFAULT (LOCAL means the server's default, as in PostgreSQL). */
function parseTimeZoneValue(c: Cursor): string[] | 'default' {
  if (c.acceptWord('local') || c.acceptWord('default')) return 'default';
  if (c.acceptWord('interval')) {
    // INTERVAL '+09:00' [HOUR TO MINUTE]: the SQL standard's form, hours east of UTC.
    const token = c.peek();
    if (token.type !== TokenType.String) throw c.syntaxError();
    c.next();
    if (c.acceptWord('hour')) {
      c.expectWord('to');
      c.expectWord('minute');
    }
    const match = /^\s*([+-])?(\d{1,3})(?::(\d{2}))?\s*$/.exec(token.value);
    if (match === null)
      throw new DbError('INVALID_PARAMETER', `invalid interval value for time zone: "${token.value}"`);
    const hours = Number(match[2]) + Number(match[3] ?? 0) / 60;
    return [String(match[1] === '-' ? -hours : hours)];
  }
  return [parseSetValue(c)];
}

/** A configuration value as text: a string's content, a (signed) number, or a word as folded. */
function parseSetValue(c: Cursor): string {
  const token = c.peek();
  if (c.isOp('-') || c.isOp('+')) {
    c.next();
    const number = c.peek();
    if (number.type !== TokenType.Number) throw c.syntaxError();
    c.next();
    return token.value === '-' ? `-${number.value}` : number.value;
  }
  switch (token.type) {
    case TokenType.String:
    case TokenType.Number:
    case TokenType.Ident:
    case TokenType.QuotedIdent:
      c.next();
      return token.value;
    default:
      throw c.syntaxError();
  }
}

/** A configuration parameter name, possibly dotted (`myapp.level`), lower case. */
function parseVariableName(c: Cursor): string {
  let name = c.colLabel();
  while (c.acceptOp('.')) name += `.${c.colLabel()}`;
  return name;
}

/** SHOW name | ALL | TIME ZONE | TRANSACTION ISOLATION LEVEL. */
export function parseShow(c: Cursor): ShowStatement {
  const pos = c.expectWord('show').start;
  return { kind: 'show', name: parseShowResetName(c), pos };
}

/** RESET name | ALL | TIME ZONE. */
export function parseReset(c: Cursor): ResetStatement {
  const pos = c.expectWord('reset').start;
  return { kind: 'reset', name: parseShowResetName(c), pos };
}

function parseShowResetName(c: Cursor): string {
  if (c.isWord('time') && c.isWord('zone', 1)) {
    c.next();
    c.next();
    return 'timezone';
  }
  if (c.isWord('transaction') && c.isWord('isolation', 1)) {
    c.next();
    c.next();
    c.expectWord('level');
    return 'transaction_isolation';
  }
  if (c.isWord('session') && c.isWord('authorization', 1)) {
    c.next();
    c.next();
    return 'session_authorization';
  }
  return parseVariableName(c);
}

/** COPY t [(cols)] FROM STDIN | TO STDOUT | 'file' [[WITH] options]; COPY (query) TO ... */
export function parseCopy(c: Cursor): CopyStatement {
  const pos = c.expectWord('copy').start;
  const options: { name: string; value?: string }[] = [];
  if (c.acceptWord('binary')) options.push({ name: 'format', value: 'binary' });
  let table: string | undefined;
  let query: Query | undefined;
  let columns: string[] = [];
  if (c.acceptOp('(')) {
    c.enter();
    query = parseQuery(c);
    c.expectOp(')');
    c.leave();
  } else {
    table = c.qualifiedName();
    if (c.isOp('(')) columns = c.parenthesizedList(() => c.colId());
  }
  let direction: 'from' | 'to';
  if (c.acceptWord('from')) direction = 'from';
  else if (c.acceptWord('to')) direction = 'to';
  else throw c.syntaxError();
  if (query !== undefined && direction === 'from') throw c.syntaxError(c.previous());
  let target: CopyStatement['target'];
  if (c.acceptWord('stdin') || c.acceptWord('stdout')) target = 'stdio';
  else if (c.isWord('program')) throw c.unsupported('COPY ... PROGRAM is not supported');
  else target = { file: c.stringValue() };
  const withWord = c.acceptWord('with');
  if (c.isOp('(')) options.push(...parseCopyOptionList(c));
  else options.push(...parseLegacyCopyOptions(c));
  if (withWord && options.length === 0) throw c.syntaxError();
  if (c.isWord('where')) throw c.unsupported('COPY ... WHERE is not supported');
  return { kind: 'copy', table, query, columns, direction, target, options, pos };
}

/** `(FORMAT csv, DELIMITER ',', HEADER, FREEZE ON, NULL '')`. */
function parseCopyOptionList(c: Cursor): { name: string; value?: string }[] {
  return c.parenthesizedList(() => {
    const name = c.colLabel();
    if (c.isOp(',') || c.isOp(')')) return { name, value: undefined };
    if (c.isOp('(') || c.isOp('*')) throw c.unsupported(`COPY option ${name} with a column list is not supported`);
    return { name, value: parseSetValue(c) };
  });
}

/** The pre-9.0 spelling: `CSV HEADER`, `DELIMITER [AS] ','`, `NULL [AS] ''`, `BINARY`, `FREEZE`... */
function parseLegacyCopyOptions(c: Cursor): { name: string; value?: string }[] {
  const options: { name: string; value?: string }[] = [];
  while (c.peek().type === TokenType.Ident) {
    const token = c.peek();
    switch (token.value) {
      case 'csv':
      case 'binary':
        c.next();
        options.push({ name: 'format', value: token.value });
        break;
      case 'header':
      case 'freeze':
        c.next();
        options.push({ name: token.value, value: undefined });
        break;
      case 'delimiter':
      case 'null':
      case 'quote':
      case 'escape':
      case 'encoding':
        c.next();
        c.acceptWord('as');
        options.push({ name: token.value, value: c.stringValue() });
        break;
      case 'force':
        throw c.unsupported('COPY ... FORCE is not supported');
      default:
        return options;
    }
  }
  return options;
}

/** EXPLAIN [ANALYZE] [VERBOSE] stmt, EXPLAIN (ANALYZE, VERBOSE, COSTS OFF ...) stmt. */
export function parseExplain(c: Cursor, parseStatement: (c: Cursor) => Statement): ExplainStatement {
  const pos = c.expectWord('explain').start;
  let analyze = false;
  let verbose = false;
  if (c.isOp('(') && !isQueryStartAfterParen(c)) {
    for (const option of parseUtilityOptions(c)) {
      const on = option.value === undefined || !FALSE_WORDS.has(option.value);
      if (option.name === 'analyze' || option.name === 'analyse') analyze = on;
      else if (option.name === 'verbose') verbose = on;
      else if (option.name === 'format' && option.value !== 'text') {
        throw c.unsupported(`EXPLAIN format ${option.value} is not supported`);
      } else if (!EXPLAIN_IGNORED_OPTIONS.has(option.name)) {
        throw c.unsupported(`EXPLAIN option ${option.name} is not supported`);
      }
    }
  } else {
    analyze = c.acceptWord('analyze') || c.acceptWord('analyse');
    verbose = c.acceptWord('verbose');
  }
  c.enter();
  const statement = parseStatement(c);
  c.leave();
  return { kind: 'explain', analyze, verbose, statement, pos };
}

const FALSE_WORDS: ReadonlySet<string> = new Set(['false', 'off', '0', 'no']);
const EXPLAIN_IGNORED_OPTIONS: ReadonlySet<string> = new Set([
  'costs', 'buffers', 'timing', 'summary', 'settings', 'wal', 'generic_plan', 'memory', 'serialize', 'format',
]); // prettier-ignore

function isQueryStartAfterParen(c: Cursor): boolean {
  let offset = 0;
  while (c.isOp('(', offset)) offset++;
  return c.isWord('select', offset) || c.isWord('values', offset) || c.isWord('with', offset);
}

/** `(name [value], ...)` as EXPLAIN, VACUUM and ANALYZE take them; names and word values lower case. */
function parseUtilityOptions(c: Cursor): { name: string; value?: string }[] {
  return c.parenthesizedList(() => {
    const name = c.colLabel();
    if (c.isOp(',') || c.isOp(')')) return { name, value: undefined };
    return { name, value: parseSetValue(c) };
  });
}

/** VACUUM [(options)] [FULL] [FREEZE] [VERBOSE] [ANALYZE] [tables]. */
export function parseVacuum(c: Cursor): VacuumStatement {
  const pos = c.expectWord('vacuum').start;
  let full = false;
  let analyze = false;
  let verbose = false;
  if (c.isOp('(')) {
    for (const option of parseUtilityOptions(c)) {
      const on = option.value === undefined || !FALSE_WORDS.has(option.value);
      if (option.name === 'full') full = on;
      else if (option.name === 'analyze' || option.name === 'analyse') analyze = on;
      else if (option.name === 'verbose') verbose = on;
    }
  } else {
    full = c.acceptWord('full');
    c.acceptWord('freeze');
    verbose = c.acceptWord('verbose');
    analyze = c.acceptWord('analyze') || c.acceptWord('analyse');
  }
  return { kind: 'vacuum', tables: parseMaintenanceTables(c), full, analyze, verbose, pos };
}

/** ANALYZE [(options)] [VERBOSE] [tables]. */
export function parseAnalyze(c: Cursor): AnalyzeStatement {
  const pos = c.next().start;
  let verbose = false;
  if (c.isOp('(')) {
    for (const option of parseUtilityOptions(c)) {
      if (option.name === 'verbose') verbose = option.value === undefined || !FALSE_WORDS.has(option.value);
    }
  } else {
    verbose = c.acceptWord('verbose');
  }
  return { kind: 'analyze', tables: parseMaintenanceTables(c), verbose, pos };
}

/** Table names, each with an optional column list (accepted: statistics cover whole tables). */
function parseMaintenanceTables(c: Cursor): string[] {
  if (c.atEnd()) return [];
  return c.list(() => {
    const name = c.qualifiedName();
    if (c.isOp('(')) c.parenthesizedList(() => c.colId());
    return name;
  });
}

/** CHECKPOINT (PostgreSQL) is ALTER SYSTEM CHECKPOINT. */
export function parseCheckpoint(c: Cursor): AlterSystemStatement {
  const pos = c.expectWord('checkpoint').start;
  return { kind: 'alterSystem', action: { kind: 'checkpoint' }, pos };
}

/** ALTER SYSTEM CHECKPOINT | SWITCH LOGFILE | SET name = value, after ALTER SYSTEM. */
export function parseAlterSystem(c: Cursor, pos: Position): AlterSystemStatement {
  if (c.acceptWord('checkpoint')) {
    if (!c.acceptWord('global')) c.acceptWord('local');
    return { kind: 'alterSystem', action: { kind: 'checkpoint' }, pos };
  }
  if (c.acceptWord('switch')) {
    c.expectWord('logfile');
    return { kind: 'alterSystem', action: { kind: 'switchLogfile' }, pos };
  }
  if (c.acceptWord('archive')) {
    c.expectWord('log');
    c.expectWord('current');
    return { kind: 'alterSystem', action: { kind: 'archiveLogCurrent' }, pos };
  }
  if (c.acceptWord('set')) {
    const name = parseVariableName(c);
    if (!c.acceptWord('to')) c.expectOp('=');
    if (c.isWord('default')) throw c.unsupported('ALTER SYSTEM SET ... DEFAULT is not supported');
    const value = c.list(() => parseSetValue(c)).join(', ');
    if (c.acceptWord('scope')) {
      c.expectOp('=');
      c.colLabel();
    }
    return { kind: 'alterSystem', action: { kind: 'set', name, value }, pos };
  }
  const token = c.peek();
  if (token.type === TokenType.Ident) throw c.unsupported(`ALTER SYSTEM ${token.value.toUpperCase()} is not supported`);
  throw c.syntaxError();
}

/** DISCARD ALL | PLANS | SEQUENCES | TEMP | TEMPORARY. */
export function parseDiscard(c: Cursor): DiscardStatement {
  const pos = c.expectWord('discard').start;
  const token = c.next();
  switch (token.value) {
    case 'all':
    case 'plans':
    case 'sequences':
    case 'temp':
      return { kind: 'discard', what: token.value, pos };
    case 'temporary':
      return { kind: 'discard', what: 'temp', pos };
    default:
      throw c.syntaxError(token);
  }
}

/** `[GROUP n] ('a', 'b') | 'a' [SIZE n] [REUSE]`. */
function parseLogGroupSpec(c: Cursor): LogGroupSpec {
  const group = c.acceptWord('group') ? c.integer() : undefined;
  const members = c.isOp('(') ? c.parenthesizedList(() => c.stringValue()) : [c.stringValue()];
  let sizeBytes: number | undefined;
  let reuse = false;
  while (true) {
    if (c.acceptWord('size')) sizeBytes = parseSize(c);
    else if (c.acceptWord('reuse')) reuse = true;
    else break;
  }
  return { group, members, sizeBytes, reuse };
}

/** A datafile named by path or by number. */
function parseFileRef(c: Cursor): string | number {
  return c.isNumber() ? c.integer() : c.stringValue();
}

const ALTER_DATABASE_ACTIONS: ReadonlySet<string> = new Set([
  'mount', 'open', 'archivelog', 'noarchivelog', 'add', 'drop', 'clear', 'rename', 'begin', 'end', 'datafile',
  'create', 'recover', 'backup',
]); // prettier-ignore

/** ALTER DATABASE [name] action, in Tibero's (Oracle's) syntax, after ALTER DATABASE. */
export function parseAlterDatabase(c: Cursor, pos: Position): AlterDatabaseStatement {
  const name = c.isAnyWord(ALTER_DATABASE_ACTIONS) ? undefined : c.colId();
  return { kind: 'alterDatabase', name, action: parseAlterDatabaseAction(c), pos };
}

function parseAlterDatabaseAction(c: Cursor): AlterDatabaseAction {
  const token = c.next();
  if (token.type !== TokenType.Ident) throw c.syntaxError(token);
  switch (token.value) {
    case 'mount':
      return { kind: 'mount' };
    case 'open':
      return parseOpen(c);
    case 'archivelog':
    case 'noarchivelog':
      return { kind: 'archivelog', on: token.value === 'archivelog' };
    case 'add':
      return parseAddLogfile(c);
    case 'drop':
      return parseDropLogfile(c);
    case 'clear': {
      const unarchived = c.acceptWord('unarchived');
      c.expectWords('logfile', 'group');
      return { kind: 'clearLogfile', group: c.integer(), unarchived };
    }
    case 'rename': {
      c.expectWord('file');
      const from = c.stringValue();
      c.expectWord('to');
      return { kind: 'renameFile', from, to: c.stringValue() };
    }
    case 'begin':
    case 'end':
      c.expectWord('backup');
      return { kind: token.value === 'begin' ? 'beginBackup' : 'endBackup' };
    case 'datafile':
      return parseDatafileAction(c);
    case 'create': {
      c.expectWord('datafile');
      const file = parseFileRef(c);
      return { kind: 'createDatafile', file, as: c.acceptWord('as') ? c.stringValue() : undefined };
    }
    case 'recover':
      return parseRecover(c);
    case 'backup':
      return parseBackupControlfile(c);
    default:
      if (token.value === 'set' || token.value === 'reset' || token.value === 'owner' || token.value === 'with') {
        throw c.unsupported(`ALTER DATABASE ... ${token.value.toUpperCase()} is not supported`, token);
      }
      throw c.syntaxError(token);
  }
}

/** OPEN [RESETLOGS | NORESETLOGS] [READ ONLY | READ WRITE]. */
function parseOpen(c: Cursor): AlterDatabaseAction {
  let resetlogs: boolean | undefined;
  if (c.acceptWord('resetlogs')) resetlogs = true;
  else if (c.acceptWord('noresetlogs')) resetlogs = false;
  let readOnly: boolean | undefined;
  if (c.acceptWord('read')) {
    if (c.acceptWord('only')) readOnly = true;
    else if (c.expectWord('write')) readOnly = false;
  }
  return { kind: 'open', resetlogs, readOnly };
}

/** ADD LOGFILE [GROUP n] spec, ... | ADD LOGFILE MEMBER 'x' [REUSE], ... TO GROUP n. */
function parseAddLogfile(c: Cursor): AlterDatabaseAction {
  c.expectWord('logfile');
  if (c.isWord('thread') || c.isWord('standby')) throw c.unsupported('log threads and standby logs are not supported');
  if (!c.acceptWord('member')) return { kind: 'addLogfile', groups: c.list(() => parseLogGroupSpec(c)) };
  let reuse = false;
  const members = c.list(() => {
    const member = c.stringValue();
    if (c.acceptWord('reuse')) reuse = true;
    return member;
  });
  c.expectWords('to', 'group');
  return { kind: 'addLogfileMember', members, group: c.integer(), reuse };
}

/** DROP LOGFILE GROUP n | DROP LOGFILE MEMBER 'x'. */
function parseDropLogfile(c: Cursor): AlterDatabaseAction {
  c.expectWord('logfile');
  if (c.acceptWord('member')) return { kind: 'dropLogfileMember', member: c.stringValue() };
  c.expectWord('group');
  return { kind: 'dropLogfileGroup', group: c.integer() };
}

/** DATAFILE 'x' | n ONLINE | OFFLINE [FOR DROP] | RESIZE n. */
function parseDatafileAction(c: Cursor): AlterDatabaseAction {
  const file = parseFileRef(c);
  if (c.acceptWord('online')) return { kind: 'datafile', file, action: 'online' };
  if (c.acceptWord('offline')) {
    if (c.acceptWord('for')) c.expectWord('drop');
    return { kind: 'datafile', file, action: 'offline' };
  }
  if (c.acceptWord('resize')) return { kind: 'datafile', file, action: { resizeBytes: parseSize(c) } };
  if (c.isWord('autoextend')) throw c.unsupported('ALTER DATABASE DATAFILE ... AUTOEXTEND is not supported');
  throw c.syntaxError();
}

/** RECOVER [AUTOMATIC] [DATABASE | DATAFILE f, ... | TABLESPACE t, ... | CANCEL] [UNTIL ...] [USING BACKUP CONTROLFILE]. */
function parseRecover(c: Cursor): AlterDatabaseAction {
  const automatic = c.acceptWord('automatic');
  let target: Extract<AlterDatabaseAction, { kind: 'recover' }>['target'] = { kind: 'database' };
  if (c.acceptWord('cancel')) target = { kind: 'cancel' };
  else if (c.acceptWord('logfile')) target = { kind: 'logfile', path: c.stringValue() };
  else if (c.acceptWord('datafile')) target = { kind: 'datafile', files: c.list(() => parseFileRef(c)) };
  else if (c.acceptWord('tablespace')) target = { kind: 'tablespace', names: c.list(() => c.colId()) };
  else c.acceptWord('database');
  let until: RecoverUntil | undefined;
  let usingBackupControlfile = false;
  while (true) {
    if (c.acceptWord('until')) until = parseRecoverUntil(c);
    else if (c.acceptWord('using')) {
      c.expectWords('backup', 'controlfile');
      usingBackupControlfile = true;
    } else break;
  }
  return { kind: 'recover', automatic, target, until, usingBackupControlfile };
}

function parseRecoverUntil(c: Cursor): RecoverUntil {
  if (c.acceptWord('cancel')) return { kind: 'cancel' };
  if (c.acceptWord('time')) return { kind: 'time', time: c.stringValue() };
  c.expectWord('change');
  return { kind: 'change', tsn: c.signedBigint() };
}

/** BACKUP CONTROLFILE TO TRACE AS 'f' [REUSE] [RESETLOGS | NORESETLOGS] | TO 'f' [REUSE]. */
function parseBackupControlfile(c: Cursor): AlterDatabaseAction {
  c.expectWords('controlfile', 'to');
  const trace = c.acceptWord('trace');
  if (trace) c.expectWord('as');
  const path = c.stringValue();
  let reuse = false;
  let resetlogs: boolean | undefined;
  while (true) {
    if (c.acceptWord('reuse')) reuse = true;
    else if (trace && c.acceptWord('resetlogs')) resetlogs = true;
    else if (trace && c.acceptWord('noresetlogs')) resetlogs = false;
    else break;
  }
  return { kind: 'backupControlfile', trace, path, reuse, resetlogs };
}

const CREATE_DATABASE_NUMBER_OPTIONS: ReadonlySet<string> = new Set([
  'maxinstances', 'maxdatafiles', 'maxlogfiles', 'maxlogmembers', 'maxloghistory', 'maxarchivelog',
]); // prettier-ignore

/** Tibero's CREATE DATABASE, after CREATE DATABASE: its clauses in any order. */
export function parseCreateDatabase(c: Cursor, pos: Position): CreateDatabaseStatement {
  const name = c.isColId() && !isCreateDatabaseClause(c) ? c.colId() : undefined;
  let sysPassword: string | undefined;
  const logGroups: LogGroupSpec[] = [];
  let archivelog: boolean | undefined;
  const systemDatafiles: DatafileSpec[] = [];
  let defaultTablespace: CreateDatabaseStatement['defaultTablespace'];
  let temporaryTablespace: CreateDatabaseStatement['temporaryTablespace'];
  let undoTablespace: CreateDatabaseStatement['undoTablespace'];
  const options: { name: string; value: string }[] = [];
  while (!c.atEnd()) {
    const token = c.next();
    if (token.type !== TokenType.Ident) throw c.syntaxError(token);
    const word = token.value;
    if (CREATE_DATABASE_NUMBER_OPTIONS.has(word)) {
      options.push({ name: word, value: String(c.integer()) });
    } else if (word === 'user') {
      c.colId();
      c.expectWords('identified', 'by');
      sysPassword = parsePasswordWord(c);
    } else if (word === 'character' || word === 'national') {
      if (word === 'national') c.expectWord('character');
      c.expectWord('set');
      options.push({ name: `${word === 'national' ? 'national ' : ''}character set`, value: c.colLabel() });
    } else if (word === 'logfile') {
      logGroups.push(...c.list(() => parseLogGroupSpec(c)));
    } else if (word === 'archivelog' || word === 'noarchivelog') {
      archivelog = word === 'archivelog';
    } else if (word === 'datafile') {
      systemDatafiles.push(...parseDatafileList(c));
    } else if (word === 'default' && c.acceptWord('temporary')) {
      temporaryTablespace = parseDatabaseTablespace(c, 'tempfile');
    } else if (word === 'default') {
      defaultTablespace = parseDatabaseTablespace(c, 'datafile');
    } else if (word === 'undo') {
      undoTablespace = parseDatabaseTablespace(c, 'datafile');
    } else if (word === 'controlfile') {
      c.expectWord('reuse');
    } else if (word === 'extent') {
      c.i--;
      parseExtentManagement(c);
    } else if (word === 'with' || word === 'owner' || word === 'template' || word === 'encoding') {
      throw c.unsupported('PostgreSQL CREATE DATABASE options are not supported', token);
    } else {
      throw c.syntaxError(token);
    }
  }
  return {
    kind: 'createDatabase',
    name,
    sysPassword,
    logGroups,
    archivelog,
    systemDatafiles,
    defaultTablespace,
    temporaryTablespace,
    undoTablespace,
    options,
    pos,
  };
}

const CREATE_DATABASE_CLAUSES: ReadonlySet<string> = new Set([
  'user', 'character', 'national', 'logfile', 'archivelog', 'noarchivelog', 'datafile', 'default', 'undo',
  'controlfile', 'extent', ...CREATE_DATABASE_NUMBER_OPTIONS,
]); // prettier-ignore

function isCreateDatabaseClause(c: Cursor): boolean {
  const token: Token = c.peek();
  return token.type === TokenType.Ident && CREATE_DATABASE_CLAUSES.has(token.value);
}

/**
 * CREATE CONTROLFILE, after CREATE CONTROLFILE: `[REUSE] DATABASE name`, then its clauses in
 * any order (Oracle's and Tibero's traces print them in different orders).
 */
export function parseCreateControlfile(c: Cursor, pos: Position): CreateControlfileStatement {
  const reuse = c.acceptWord('reuse');
  if (c.isWord('set')) throw c.unsupported('CREATE CONTROLFILE SET DATABASE (renaming the database) is not supported');
  c.expectWord('database');
  const name = c.colId();
  let resetlogs: boolean | undefined;
  let archivelog: boolean | undefined;
  const logGroups: LogGroupSpec[] = [];
  const datafiles: ControlfileDatafileItem[] = [];
  const options: { name: string; value: string }[] = [];
  while (!c.atEnd()) {
    const token = c.next();
    if (token.type !== TokenType.Ident) throw c.syntaxError(token);
    const word = token.value;
    if (word === 'resetlogs' || word === 'noresetlogs') {
      resetlogs = word === 'resetlogs';
    } else if (word === 'archivelog' || word === 'noarchivelog') {
      archivelog = word === 'archivelog';
    } else if (word === 'logfile') {
      logGroups.push(...c.list(() => parseLogGroupSpec(c)));
    } else if (word === 'datafile') {
      datafiles.push(...c.list(() => parseControlfileDatafileItem(c)));
    } else if (CREATE_DATABASE_NUMBER_OPTIONS.has(word)) {
      options.push({ name: word, value: String(c.integer()) });
    } else if (word === 'character' || word === 'national') {
      if (word === 'national') c.expectWord('character');
      c.expectWord('set');
      options.push({ name: `${word === 'national' ? 'national ' : ''}character set`, value: c.colLabel() });
    } else {
      throw c.syntaxError(token);
    }
  }
  if (logGroups.length === 0 || datafiles.length === 0) {
    throw new DbError('SYNTAX_ERROR', 'CREATE CONTROLFILE needs a LOGFILE clause and a DATAFILE clause', {
      position: pos + 1,
    });
  }
  // NORESETLOGS unless RESETLOGS is given, as in Oracle.
  return {
    kind: 'createControlfile',
    reuse,
    name,
    resetlogs: resetlogs ?? false,
    archivelog,
    logGroups,
    datafiles,
    options,
    pos,
  };
}

/** `'file' [SIZE ...] | [SYSTEM | UNDO | TEMPORARY] TABLESPACE name ('file' [SIZE ...], ...)`. */
function parseControlfileDatafileItem(c: Cursor): ControlfileDatafileItem {
  if (c.isString()) return { datafiles: [parseDatafileSpec(c)] };
  let kind: NonNullable<ControlfileDatafileItem['tablespace']>['kind'] = 'USER';
  if (c.acceptWord('system')) kind = 'SYSTEM';
  else if (c.acceptWord('undo')) kind = 'UNDO';
  else if (c.acceptWord('temporary')) kind = 'TEMP';
  c.expectWord('tablespace');
  const name = c.colId();
  return { tablespace: { name, kind }, datafiles: c.parenthesizedList(() => parseDatafileSpec(c)) };
}

/** `TABLESPACE name DATAFILE|TEMPFILE spec, ... [EXTENT MANAGEMENT ...]` inside CREATE DATABASE. */
function parseDatabaseTablespace(
  c: Cursor,
  fileWord: 'datafile' | 'tempfile',
): { name: string; datafiles: DatafileSpec[] } {
  c.expectWord('tablespace');
  const name = c.colId();
  c.expectWord(fileWord);
  const datafiles = parseDatafileList(c);
  if (c.isWord('extent')) parseExtentManagement(c);
  return { name, datafiles };
}
