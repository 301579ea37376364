// Schema statements: CREATE/ALTER/DROP TABLE, CREATE INDEX, TRUNCATE, CREATE/ALTER SEQUENCE.
import type {
  AlterSequenceStatement,
  AlterTableAction,
  AlterTableStatement,
  ColumnConstraint,
  ColumnDef,
  CreateIndexStatement,
  CreateSequenceStatement,
  CreateTableStatement,
  DropStatement,
  Position,
  SequenceOptions,
  TableConstraint,
  TruncateStatement,
} from './ast.js';
import type { Cursor } from './cursor.js';
import { TokenType } from './lexer.js';
import { parseExpr, parseRestrictedExpr, parseTypeName } from './parse-expr.js';
import { parseQuery } from './parse-query.js';

/** `IF NOT EXISTS`, when written. */
export function parseIfNotExists(c: Cursor): boolean {
  if (!(c.isWord('if') && c.isWord('not', 1))) return false;
  c.next();
  c.next();
  c.expectWord('exists');
  return true;
}

/** `IF EXISTS`, when written. */
export function parseIfExists(c: Cursor): boolean {
  if (!(c.isWord('if') && c.isWord('exists', 1))) return false;
  c.next();
  c.next();
  return true;
}

/** CREATE [TEMP] TABLE after the words CREATE [TEMP] TABLE have been read. */
export function parseCreateTable(c: Cursor, pos: Position, temporary: boolean): CreateTableStatement {
  const ifNotExists = parseIfNotExists(c);
  const name = c.qualifiedName();
  const columns: ColumnDef[] = [];
  const constraints: TableConstraint[] = [];
  let asQuery;
  if (c.isOp('(') || !c.isWord('as')) {
    c.expectOp('(');
    if (!c.isOp(')')) {
      do {
        if (isTableConstraintStart(c)) constraints.push(parseTableConstraint(c));
        else if (c.isWord('like')) throw c.unsupported('CREATE TABLE ... LIKE is not supported');
        else columns.push(parseColumnDef(c));
      } while (c.acceptOp(','));
    }
    c.expectOp(')');
  }
  if (c.isWord('inherits') || c.isWord('partition'))
    throw c.unsupported('table inheritance and partitioning are not supported');
  const options = c.acceptWord('with') ? parseStorageOptions(c) : [];
  if (c.isWord('on') && c.isWord('commit', 1)) throw c.unsupported('ON COMMIT is not supported');
  const tablespace = c.acceptWord('tablespace') ? c.colId() : undefined;
  if (c.acceptWord('as')) {
    if (columns.length > 0 || constraints.length > 0) throw c.syntaxError(c.previous());
    asQuery = parseQuery(c);
    if (c.isWord('with')) throw c.unsupported('CREATE TABLE AS ... WITH [NO] DATA is not supported');
  }
  return { kind: 'createTable', name, ifNotExists, columns, constraints, options, tablespace, asQuery, temporary, pos };
}

/** `(fillfactor = 100, ...)`: names lower case, values as text. */
function parseStorageOptions(c: Cursor): { name: string; value: string }[] {
  return c.parenthesizedList(() => {
    const name = c.colLabel();
    c.expectOp('=');
    const token = c.next();
    if (token.type === TokenType.Eof || token.type === TokenType.Op) throw c.syntaxError(token);
    return { name, value: token.value };
  });
}

const TABLE_CONSTRAINT_START: ReadonlySet<string> = new Set(['constraint', 'primary', 'unique', 'check', 'foreign']);

function isTableConstraintStart(c: Cursor): boolean {
  return c.isAnyWord(TABLE_CONSTRAINT_START);
}

/** `[CONSTRAINT name] PRIMARY KEY (...) | UNIQUE (...) | CHECK (...) | FOREIGN KEY (...) REFERENCES t [(...)]`. */
export function parseTableConstraint(c: Cursor): TableConstraint {
  const name = c.acceptWord('constraint') ? c.colId() : undefined;
  const token = c.peek();
  if (c.acceptWord('primary')) {
    c.expectWord('key');
    const columns = parseColumnList(c);
    parseIndexParameters(c);
    return { kind: 'primaryKey', name, columns };
  }
  if (c.acceptWord('unique')) {
    const columns = parseColumnList(c);
    parseIndexParameters(c);
    return { kind: 'unique', name, columns };
  }
  if (c.acceptWord('check')) return { kind: 'check', name, expr: parseCheckExpr(c) };
  if (c.acceptWord('foreign')) {
    c.expectWord('key');
    const columns = parseColumnList(c);
    const reference = parseReferences(c);
    return { kind: 'foreignKey', name, columns, table: reference.table, referenced: reference.columns };
  }
  if (c.isWord('exclude')) throw c.unsupported('EXCLUDE constraints are not supported');
  throw c.syntaxError(token);
}

function parseColumnList(c: Cursor): string[] {
  return c.parenthesizedList(() => c.colId());
}

/** `USING INDEX TABLESPACE t` after a key is accepted: indexes live with their table. */
function parseIndexParameters(c: Cursor): void {
  if (c.isWord('include')) throw c.unsupported('INCLUDE columns are not supported');
  if (c.acceptWord('using')) {
    c.expectWords('index', 'tablespace');
    c.colId();
  }
}

function parseCheckExpr(c: Cursor) {
  c.expectOp('(');
  c.enter();
  const expr = parseExpr(c);
  c.expectOp(')');
  c.leave();
  if (c.isWord('no') && c.isWord('inherit', 1)) throw c.unsupported('NO INHERIT is not supported');
  return expr;
}

/** `REFERENCES t [(cols)]`; referential actions and MATCH are refused. */
function parseReferences(c: Cursor): { table: string; columns: string[] } {
  c.expectWord('references');
  const table = c.qualifiedName();
  const columns = c.isOp('(') ? parseColumnList(c) : [];
  if (c.isWord('match') || c.isWord('on')) throw c.unsupported('referential actions and MATCH are not supported');
  return { table, columns };
}

export function parseColumnDef(c: Cursor): ColumnDef {
  const pos = c.peek().start;
  const name = c.colId();
  const type = parseTypeName(c);
  const constraints: ColumnConstraint[] = [];
  while (true) {
    const constraint = parseColumnConstraint(c);
    if (constraint === undefined) break;
    constraints.push(constraint);
  }
  return { name, type, constraints, pos };
}

function parseColumnConstraint(c: Cursor): ColumnConstraint | undefined {
  const name = c.acceptWord('constraint') ? c.colId() : undefined;
  const token = c.peek();
  if (c.isWord('not') && c.isWord('null', 1)) {
    c.next();
    c.next();
    return { kind: 'notNull' };
  }
  if (c.acceptWord('null')) return { kind: 'null' };
  if (c.acceptWord('default')) return { kind: 'default', expr: parseRestrictedExpr(c) };
  if (c.acceptWord('primary')) {
    c.expectWord('key');
    parseIndexParameters(c);
    return { kind: 'primaryKey' };
  }
  if (c.acceptWord('unique')) {
    parseIndexParameters(c);
    return { kind: 'unique' };
  }
  if (c.acceptWord('check')) return { kind: 'check', expr: parseCheckExpr(c), name };
  if (c.isWord('references')) {
    const reference = parseReferences(c);
    return { kind: 'references', table: reference.table, columns: reference.columns };
  }
  if (c.isWord('collate')) throw c.unsupported('COLLATE is not supported');
  if (c.isWord('generated')) throw c.unsupported('generated and identity columns are not supported');
  if (c.isWord('deferrable') || c.isWord('initially')) throw c.unsupported('deferrable constraints are not supported');
  if (name !== undefined) throw c.syntaxError(token);
  return undefined;
}

const DROP_OBJECT_TYPES: ReadonlyMap<string, DropStatement['objectType']> = new Map([
  ['table', 'table'],
  ['index', 'index'],
  ['sequence', 'sequence'],
  ['user', 'user'],
  ['role', 'user'],
]);

const UNSUPPORTED_DROPS: ReadonlySet<string> = new Set([
  'view', 'materialized', 'function', 'procedure', 'trigger', 'schema', 'extension', 'type', 'domain', 'rule',
  'database', 'owned', 'aggregate', 'operator', 'policy', 'publication', 'subscription', 'server', 'cast',
  'collation', 'conversion', 'event', 'foreign', 'language', 'synonym', 'routine', 'group', 'statistics',
]); // prettier-ignore

/** DROP TABLE | INDEX | SEQUENCE | USER | ROLE [IF EXISTS] a, b [CASCADE | RESTRICT], after DROP. */
export function parseDropObject(c: Cursor, pos: Position): DropStatement {
  const token = c.peek();
  const objectType = token.type === TokenType.Ident ? DROP_OBJECT_TYPES.get(token.value) : undefined;
  if (objectType === undefined) {
    if (token.type === TokenType.Ident && UNSUPPORTED_DROPS.has(token.value)) {
      throw c.unsupported(`DROP ${token.value.toUpperCase()} is not supported`);
    }
    throw c.syntaxError();
  }
  c.next();
  if (objectType === 'index') c.acceptWord('concurrently');
  const ifExists = parseIfExists(c);
  const names = c.list(() => c.qualifiedName());
  const cascade = parseCascade(c);
  return { kind: 'drop', objectType, names, ifExists, cascade, pos };
}

function parseCascade(c: Cursor): boolean {
  if (c.acceptWord('cascade')) return true;
  c.acceptWord('restrict');
  return false;
}

/** ALTER TABLE [IF EXISTS] [ONLY] t action, ..., after ALTER TABLE. */
export function parseAlterTable(c: Cursor, pos: Position): AlterTableStatement {
  const ifExists = parseIfExists(c);
  c.acceptWord('only');
  const name = c.qualifiedName();
  const actions = c.list(() => parseAlterTableAction(c));
  return { kind: 'alterTable', name, ifExists, actions, pos };
}

function parseAlterTableAction(c: Cursor): AlterTableAction {
  const token = c.peek();
  if (c.acceptWord('add')) {
    if (isTableConstraintStart(c)) return { kind: 'addConstraint', constraint: parseTableConstraint(c) };
    c.acceptWord('column');
    const ifNotExists = parseIfNotExists(c);
    return { kind: 'addColumn', column: parseColumnDef(c), ifNotExists };
  }
  if (c.acceptWord('drop')) {
    if (c.acceptWord('constraint')) {
      const ifExists = parseIfExists(c);
      const name = c.colId();
      parseCascade(c);
      return { kind: 'dropConstraint', name, ifExists };
    }
    c.acceptWord('column');
    const ifExists = parseIfExists(c);
    const name = c.colId();
    return { kind: 'dropColumn', name, ifExists, cascade: parseCascade(c) };
  }
  if (c.acceptWord('rename')) {
    if (c.acceptWord('to')) return { kind: 'renameTable', to: c.colId() };
    if (c.isWord('constraint')) throw c.unsupported('RENAME CONSTRAINT is not supported');
    c.acceptWord('column');
    const from = c.colId();
    c.expectWord('to');
    return { kind: 'renameColumn', from, to: c.colId() };
  }
  if (c.acceptWord('alter')) return parseAlterColumn(c);
  if (c.acceptWord('owner')) {
    c.expectWord('to');
    return { kind: 'setOwner', owner: c.colId() };
  }
  if (c.isWord('set') || c.isWord('enable') || c.isWord('disable') || c.isWord('cluster')) {
    throw c.unsupported(`ALTER TABLE ... ${token.value.toUpperCase()} is not supported`);
  }
  throw c.syntaxError();
}

/** ALTER [COLUMN] c SET DEFAULT x | DROP DEFAULT | SET NOT NULL | DROP NOT NULL. */
function parseAlterColumn(c: Cursor): AlterTableAction {
  c.acceptWord('column');
  const column = c.colId();
  if (c.isWord('type') || (c.isWord('set') && c.isWord('data', 1))) {
    throw c.unsupported('changing a column type is not supported');
  }
  const set = c.acceptWord('set');
  if (!set) c.expectWord('drop');
  if (c.acceptWord('default')) return { kind: 'setDefault', column, expr: set ? parseRestrictedExpr(c) : undefined };
  if (c.acceptWord('not')) {
    c.expectWord('null');
    return { kind: 'setNotNull', column, notNull: set };
  }
  throw c.unsupported('this ALTER COLUMN form is not supported');
}

/** CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON t [USING btree] (cols) [TABLESPACE ts]. */
export function parseCreateIndex(c: Cursor, pos: Position, unique: boolean): CreateIndexStatement {
  c.acceptWord('concurrently');
  const ifNotExists = parseIfNotExists(c);
  const name = c.isWord('on') ? undefined : c.colId();
  c.expectWord('on');
  c.acceptWord('only');
  const table = c.qualifiedName();
  if (c.acceptWord('using')) {
    const method = c.peek();
    if (c.colId() !== 'btree') throw c.unsupported(`index method ${method.value} is not supported`, method);
  }
  const columns = c.parenthesizedList(() => {
    if (!c.isColId() || !(c.isOp(',', 1) || c.isOp(')', 1) || c.peek(1).type === TokenType.Ident)) {
      throw c.unsupported('index expressions are not supported');
    }
    const column = c.colId();
    let direction: 'asc' | 'desc' = 'asc';
    if (c.acceptWord('desc')) direction = 'desc';
    else c.acceptWord('asc');
    if (c.acceptWord('nulls') && !c.acceptWord('first')) c.expectWord('last');
    return { name: column, direction };
  });
  if (c.isWord('include')) throw c.unsupported('INCLUDE columns are not supported');
  if (c.acceptWord('with')) parseStorageOptions(c);
  const tablespace = c.acceptWord('tablespace') ? c.colId() : undefined;
  if (c.isWord('where')) throw c.unsupported('partial indexes are not supported');
  return { kind: 'createIndex', name, table, columns, unique, ifNotExists, tablespace, pos };
}

/** TRUNCATE [TABLE] [ONLY] a, b [RESTART IDENTITY | CONTINUE IDENTITY] [CASCADE | RESTRICT]. */
export function parseTruncate(c: Cursor): TruncateStatement {
  const pos = c.expectWord('truncate').start;
  c.acceptWord('table');
  const tables = c.list(() => {
    c.acceptWord('only');
    const name = c.qualifiedName();
    c.acceptOp('*');
    return name;
  });
  if (c.acceptWord('restart') || c.acceptWord('continue')) c.expectWord('identity');
  parseCascade(c);
  return { kind: 'truncate', tables, pos };
}

export function parseCreateSequence(c: Cursor, pos: Position): CreateSequenceStatement {
  const ifNotExists = parseIfNotExists(c);
  const name = c.qualifiedName();
  return { kind: 'createSequence', name, ifNotExists, options: parseSequenceOptions(c, false), pos };
}

export function parseAlterSequence(c: Cursor, pos: Position): AlterSequenceStatement {
  const ifExists = parseIfExists(c);
  const name = c.qualifiedName();
  const options = parseSequenceOptions(c, true);
  if (Object.keys(options).length === 0) throw c.syntaxError();
  return { kind: 'alterSequence', name, ifExists, options, pos };
}

/** PostgreSQL's and Oracle's sequence options, in any order (NOCYCLE, NOCACHE, NOMAXVALUE...). */
function parseSequenceOptions(c: Cursor, alter: boolean): SequenceOptions {
  const options: {
    -readonly [K in keyof SequenceOptions]: SequenceOptions[K];
  } = {};
  while (c.peek().type === TokenType.Ident) {
    const token = c.next();
    switch (token.value) {
      case 'as':
        parseTypeName(c);
        break;
      case 'increment':
        c.acceptWord('by');
        options.increment = c.signedBigint();
        break;
      case 'start':
        c.acceptWord('with');
        options.start = c.signedBigint();
        break;
      case 'minvalue':
        options.minValue = c.signedBigint();
        break;
      case 'maxvalue':
        options.maxValue = c.signedBigint();
        break;
      case 'nominvalue':
        options.minValue = null;
        break;
      case 'nomaxvalue':
        options.maxValue = null;
        break;
      case 'cache':
        options.cache = c.signedBigint();
        break;
      case 'nocache':
        options.cache = 1n;
        break;
      case 'cycle':
        options.cycle = true;
        break;
      case 'nocycle':
        options.cycle = false;
        break;
      case 'order':
      case 'noorder':
        break;
      case 'no':
        if (c.acceptWord('minvalue')) options.minValue = null;
        else if (c.acceptWord('maxvalue')) options.maxValue = null;
        else if (c.acceptWord('cycle')) options.cycle = false;
        else throw c.syntaxError();
        break;
      case 'restart':
        if (!alter) throw c.syntaxError(token);
        options.restart = c.acceptWord('with') || c.isNumber() || c.isOp('-') ? c.signedBigint() : 'start';
        break;
      case 'owned':
        throw c.unsupported('OWNED BY is not supported', token);
      default:
        throw c.syntaxError(token);
    }
  }
  return options;
}
