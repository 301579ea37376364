// Queries (WITH, SELECT, VALUES, set operations, ORDER BY, LIMIT, FOR UPDATE) and the DML
// statements built on them: INSERT, UPDATE, DELETE.
import type {
  CommonTableExpr,
  DeleteStatement,
  Expr,
  FromItem,
  InsertStatement,
  OrderItem,
  Position,
  Query,
  QueryBody,
  ReturningList,
  Select,
  SelectItem,
  UpdateStatement,
  ValuesBody,
} from './ast.js';
import type { Cursor } from './cursor.js';
import { isBareLabel } from './keywords.js';
import { TokenType } from './lexer.js';
import { parseExpr, parseFunctionCall } from './parse-expr.js';

const QUERY_START: ReadonlySet<string> = new Set(['select', 'values', 'with', 'table']);

/** Does a query (not a parenthesized one) start at the cursor? */
export function isQueryStart(c: Cursor): boolean {
  return c.isAnyWord(QUERY_START);
}

/** Does a query, possibly inside parentheses, start at the cursor? */
function isQueryStartThroughParens(c: Cursor): boolean {
  let offset = 0;
  while (c.isOp('(', offset)) offset++;
  return c.isAnyWord(QUERY_START, offset);
}

export function parseQuery(c: Cursor): Query {
  const pos = c.peek().start;
  const ctes = c.isWord('with') ? parseWith(c) : [];
  if (ctes.length > 0 && (c.isWord('insert') || c.isWord('update') || c.isWord('delete'))) {
    throw c.unsupported('WITH before INSERT, UPDATE or DELETE is not supported');
  }
  return finishQuery(c, pos, ctes, parseSetExpression(c, undefined));
}

/**
 * Goes on with a query whose first operand was already read as a parenthesized subquery, as
 * in `((SELECT 1) UNION SELECT 2)` inside an expression.
 */
export function continueQuery(c: Cursor, first: Query): Query {
  return finishQuery(c, first.pos, [], parseSetExpression(c, unwrap(first)));
}

function parseWith(c: Cursor): CommonTableExpr[] {
  c.expectWord('with');
  if (c.isWord('recursive')) throw c.unsupported('WITH RECURSIVE is not supported');
  return c.list(() => {
    const name = c.colId();
    const columns = c.isOp('(') ? c.parenthesizedList(() => c.colId()) : [];
    c.expectWord('as');
    if (!c.acceptWord('materialized') && c.acceptWord('not')) c.expectWord('materialized');
    c.expectOp('(');
    c.enter();
    const query = parseQuery(c);
    c.expectOp(')');
    c.leave();
    return { name, columns, query };
  });
}

/** UNION and EXCEPT, over INTERSECT terms: INTERSECT binds tighter. */
function parseSetExpression(c: Cursor, first: QueryBody | undefined): QueryBody {
  let left = parseIntersection(c, first);
  let chain = 0;
  while (c.isWord('union') || c.isWord('except')) {
    const token = c.next();
    const all = parseSetQuantifier(c);
    c.enter();
    chain++;
    const right = parseIntersection(c, undefined);
    left = { kind: 'setOperation', op: token.value as 'union' | 'except', all, left, right, pos: token.start };
  }
  c.leave(chain);
  return left;
}

function parseIntersection(c: Cursor, first: QueryBody | undefined): QueryBody {
  let left = first ?? parseSetOperand(c);
  let chain = 0;
  while (c.isWord('intersect')) {
    const token = c.next();
    const all = parseSetQuantifier(c);
    c.enter();
    chain++;
    const right = parseSetOperand(c);
    left = { kind: 'setOperation', op: 'intersect', all, left, right, pos: token.start };
  }
  c.leave(chain);
  return left;
}

function parseSetQuantifier(c: Cursor): boolean {
  if (c.acceptWord('all')) return true;
  c.acceptWord('distinct');
  return false;
}

function parseSetOperand(c: Cursor): QueryBody {
  const token = c.peek();
  if (c.isWord('select')) return parseSelect(c);
  if (c.isWord('values')) return parseValues(c);
  if (c.isWord('table')) return parseTableShorthand(c);
  if (c.isOp('(')) {
    c.next();
    c.enter();
    const query = parseQuery(c);
    c.expectOp(')');
    c.leave();
    return unwrap(query);
  }
  throw c.syntaxError(token);
}

/** A parenthesized query with nothing of its own (no WITH, ORDER BY, LIMIT or locking) is just its body. */
function unwrap(query: Query): QueryBody {
  const bare =
    query.with.length === 0 &&
    query.orderBy.length === 0 &&
    query.limit === undefined &&
    query.offset === undefined &&
    query.locking === undefined;
  return bare ? query.body : query;
}

/** ORDER BY, then LIMIT / OFFSET / FETCH / FOR UPDATE in any order, each at most once. */
function finishQuery(c: Cursor, pos: Position, ctes: readonly CommonTableExpr[], body: QueryBody): Query {
  let orderBy: OrderItem[] = [];
  if (c.isWord('order') && c.isWord('by', 1)) {
    c.next();
    c.next();
    orderBy = c.list(() => parseOrderItem(c));
  }
  let limit: Expr | undefined;
  let offset: Expr | undefined;
  let locking: 'update' | 'share' | undefined;
  let limitSeen = false;
  while (true) {
    if (c.isWord('limit') && !limitSeen) {
      c.next();
      limitSeen = true;
      limit = c.acceptWord('all') ? undefined : parseExpr(c);
      if (c.isOp(',')) throw c.unsupported('LIMIT #,# syntax is not supported; use separate LIMIT and OFFSET clauses');
    } else if (c.isWord('offset') && offset === undefined) {
      c.next();
      offset = parseExpr(c);
      if (!c.acceptWord('rows')) c.acceptWord('row');
    } else if (c.isWord('fetch') && !limitSeen) {
      limitSeen = true;
      limit = parseFetch(c);
    } else if (c.isWord('for') && locking === undefined) {
      locking = parseLocking(c);
    } else {
      break;
    }
  }
  return { kind: 'query', with: ctes, body, orderBy, limit, offset, locking, pos };
}

function parseOrderItem(c: Cursor): OrderItem {
  const expr = parseExpr(c);
  let direction: 'asc' | 'desc' = 'asc';
  if (c.acceptWord('desc')) direction = 'desc';
  else if (!c.acceptWord('asc') && c.isWord('using')) throw c.unsupported('ORDER BY ... USING is not supported');
  let nulls: 'first' | 'last' | undefined;
  if (c.acceptWord('nulls')) {
    if (c.acceptWord('first')) nulls = 'first';
    else if (c.acceptWord('last')) nulls = 'last';
    else throw c.syntaxError();
  }
  return { expr, direction, nulls };
}

/** FETCH {FIRST|NEXT} [n] {ROW|ROWS} ONLY. */
function parseFetch(c: Cursor): Expr {
  const token = c.next();
  if (!c.acceptWord('first')) c.expectWord('next');
  let count: Expr = { kind: 'number', text: '1', pos: token.start };
  if (!c.isWord('row') && !c.isWord('rows')) count = parseExpr(c);
  if (!c.acceptWord('rows')) c.expectWord('row');
  if (c.isWord('with')) throw c.unsupported('FETCH ... WITH TIES is not supported');
  c.expectWord('only');
  return count;
}

function parseLocking(c: Cursor): 'update' | 'share' {
  c.expectWord('for');
  let locking: 'update' | 'share';
  if (c.acceptWord('update')) locking = 'update';
  else if (c.acceptWord('share')) locking = 'share';
  else if (c.isWord('no') || c.isWord('key'))
    throw c.unsupported('FOR NO KEY UPDATE / FOR KEY SHARE are not supported');
  else throw c.syntaxError();
  if (c.isWord('of')) throw c.unsupported('FOR UPDATE OF is not supported');
  if (c.isWord('nowait')) throw c.unsupported('NOWAIT is not supported');
  if (c.isWord('skip')) throw c.unsupported('SKIP LOCKED is not supported');
  return locking;
}

/** Words that end a select list's expression when no items precede them (`SELECT FROM t`). */
const SELECT_LIST_END: ReadonlySet<string> = new Set([
  'from', 'where', 'group', 'having', 'order', 'limit', 'offset', 'fetch', 'for', 'union', 'intersect', 'except',
  'into', 'window',
]); // prettier-ignore

function parseSelect(c: Cursor): Select {
  const pos = c.expectWord('select').start;
  let distinct = false;
  if (c.acceptWord('distinct')) {
    if (c.isWord('on')) throw c.unsupported('SELECT DISTINCT ON is not supported');
    distinct = true;
  } else {
    c.acceptWord('all');
  }
  const emptyList = c.atEnd() || c.isOp(')') || c.isAnyWord(SELECT_LIST_END);
  const items = emptyList ? [] : parseSelectItems(c);
  if (c.isWord('into')) throw c.unsupported('SELECT INTO is not supported; use CREATE TABLE ... AS');
  const from = c.acceptWord('from') ? parseFromList(c, false) : [];
  const where = c.acceptWord('where') ? parseExpr(c) : undefined;
  let groupBy: Expr[] = [];
  if (c.isWord('group')) {
    c.next();
    c.expectWord('by');
    if (!c.acceptWord('all')) c.acceptWord('distinct');
    if (c.isWord('grouping') || ((c.isWord('rollup') || c.isWord('cube')) && c.isOp('(', 1))) {
      throw c.unsupported('ROLLUP, CUBE and GROUPING SETS are not supported');
    }
    groupBy = c.list(() => parseExpr(c));
  }
  const having = c.acceptWord('having') ? parseExpr(c) : undefined;
  if (c.isWord('window')) throw c.unsupported('window functions are not supported');
  return { kind: 'select', distinct, items, from, where, groupBy, having, pos };
}

/** `TABLE t` is `SELECT * FROM t`. */
function parseTableShorthand(c: Cursor): Select {
  const pos = c.expectWord('table').start;
  const tablePos = c.peek().start;
  const name = c.qualifiedName();
  return {
    kind: 'select',
    distinct: false,
    items: [{ kind: 'star', table: undefined, pos }],
    from: [{ kind: 'table', name, alias: undefined, columnAliases: [], pos: tablePos }],
    where: undefined,
    groupBy: [],
    having: undefined,
    pos,
  };
}

function parseValues(c: Cursor): ValuesBody {
  const pos = c.expectWord('values').start;
  const rows = c.list(() => c.parenthesizedList(() => parseValueOrDefault(c)));
  return { kind: 'values', rows, pos };
}

/** An expression, or DEFAULT where a VALUES row or an UPDATE's SET allows it. */
function parseValueOrDefault(c: Cursor): Expr {
  if (c.isWord('default')) return { kind: 'default', pos: c.next().start };
  return parseExpr(c);
}

/** Select-list or RETURNING items: `*`, `t.*`, `expr [[AS] alias]`. */
export function parseSelectItems(c: Cursor): SelectItem[] {
  return c.list(() => parseSelectItem(c));
}

function parseSelectItem(c: Cursor): SelectItem {
  const token = c.peek();
  if (c.isOp('*')) {
    c.next();
    return { kind: 'star', table: undefined, pos: token.start };
  }
  const star = qualifiedStarLength(c);
  if (star > 0) {
    const table = c.peek(star - 3).value;
    c.i += star;
    return { kind: 'star', table, pos: token.start };
  }
  const expr = parseExpr(c);
  let alias: string | undefined;
  if (c.acceptWord('as')) alias = c.colLabel();
  else if (isBareAlias(c)) alias = c.next().value;
  return { kind: 'expr', expr, alias };
}

/** The number of tokens in `a.b.*` at the cursor (names and dots, then `*`), or 0. */
function qualifiedStarLength(c: Cursor): number {
  let offset = 0;
  while (isNameToken(c, offset) && c.isOp('.', offset + 1)) {
    if (c.isOp('*', offset + 2)) return offset + 3;
    offset += 2;
  }
  return 0;
}

function isNameToken(c: Cursor, offset: number): boolean {
  const type = c.peek(offset).type;
  return type === TokenType.Ident || type === TokenType.QuotedIdent;
}

function isBareAlias(c: Cursor): boolean {
  const token = c.peek();
  return token.type === TokenType.QuotedIdent || (token.type === TokenType.Ident && isBareLabel(token.value));
}

/** Comma-separated FROM items, each a tree of joins. `inUpdate`: a bare alias may not be SET. */
export function parseFromList(c: Cursor, inUpdate: boolean): FromItem[] {
  return c.list(() => parseJoinTree(c, inUpdate));
}

function parseJoinTree(c: Cursor, inUpdate: boolean): FromItem {
  let left = parseFromPrimary(c, inUpdate);
  let chain = 0;
  while (true) {
    const start = c.peek();
    const natural = c.acceptWord('natural');
    const type = parseJoinType(c);
    if (type === undefined) {
      if (natural) throw c.syntaxError();
      break;
    }
    c.enter();
    chain++;
    const right = parseFromPrimary(c, inUpdate);
    let on: Expr | undefined;
    let using: string[] | undefined;
    if (!natural && type !== 'cross') {
      if (c.acceptWord('on')) on = parseExpr(c);
      else if (c.acceptWord('using')) using = c.parenthesizedList(() => c.colId());
      else throw c.syntaxError();
    }
    left = { kind: 'join', type, left, right, on, using, natural, pos: start.start };
  }
  c.leave(chain);
  return left;
}

function parseJoinType(c: Cursor): 'inner' | 'left' | 'right' | 'full' | 'cross' | undefined {
  if (c.acceptWord('join')) return 'inner';
  if (c.isWord('inner') || c.isWord('cross')) {
    const type = c.next().value as 'inner' | 'cross';
    c.expectWord('join');
    return type;
  }
  if (c.isWord('left') || c.isWord('right') || c.isWord('full')) {
    const type = c.next().value as 'left' | 'right' | 'full';
    c.acceptWord('outer');
    c.expectWord('join');
    return type;
  }
  return undefined;
}

function parseFromPrimary(c: Cursor, inUpdate: boolean): FromItem {
  const token = c.peek();
  if (c.isWord('lateral')) throw c.unsupported('LATERAL is not supported');
  if (c.isOp('(')) {
    if (isQueryStartThroughParens(c)) {
      c.next();
      c.enter();
      const query = parseQuery(c);
      c.expectOp(')');
      c.leave();
      const alias = parseTableAlias(c, inUpdate);
      return { kind: 'subquery', query, alias: alias?.name, columnAliases: alias?.columns ?? [], pos: token.start };
    }
    c.next();
    c.enter();
    const join = parseJoinTree(c, inUpdate);
    c.expectOp(')');
    c.leave();
    if (c.isWord('as') || c.isColId()) throw c.unsupported('an alias on a parenthesized join is not supported');
    return join;
  }
  c.acceptWord('only');
  const name = c.qualifiedName();
  if (c.isOp('(')) {
    const call = parseFunctionCall(c, name, token.start);
    if (c.isWord('with') && c.isWord('ordinality', 1)) throw c.unsupported('WITH ORDINALITY is not supported');
    const alias = parseTableAlias(c, inUpdate);
    return { kind: 'function', call, alias: alias?.name, columnAliases: alias?.columns ?? [], pos: token.start };
  }
  c.acceptOp('*');
  if (c.isWord('tablesample')) throw c.unsupported('TABLESAMPLE is not supported');
  const alias = parseTableAlias(c, inUpdate);
  return { kind: 'table', name, alias: alias?.name, columnAliases: alias?.columns ?? [], pos: token.start };
}

/** `[AS] alias [(columns)]`. */
function parseTableAlias(c: Cursor, inUpdate: boolean): { name: string; columns: string[] } | undefined {
  if (!c.acceptWord('as')) {
    if (!c.isColId() || (inUpdate && c.isWord('set'))) return undefined;
  }
  const name = c.colId();
  const columns = c.isOp('(') ? c.parenthesizedList(() => c.colId()) : [];
  return { name, columns };
}

function parseReturning(c: Cursor): ReturningList {
  return c.acceptWord('returning') ? parseSelectItems(c) : [];
}

/** INSERT INTO t [AS a] [(cols)] {VALUES ... | query | DEFAULT VALUES} [ON CONFLICT DO NOTHING] [RETURNING ...]. */
export function parseInsert(c: Cursor): InsertStatement {
  const pos = c.expectWord('insert').start;
  c.expectWord('into');
  const table = c.qualifiedName();
  const alias = c.acceptWord('as') ? c.colId() : undefined;
  let columns: string[] = [];
  if (c.isOp('(') && !isQueryStartThroughParens(c)) columns = c.parenthesizedList(() => c.colId());
  if (c.isWord('overriding')) throw c.unsupported('OVERRIDING is not supported');
  let source: Query | undefined;
  if (c.acceptWord('default')) c.expectWord('values');
  else if (isQueryStartThroughParens(c)) source = parseQuery(c);
  else throw c.syntaxError();
  let onConflictDoNothing: { columns: string[] } | undefined;
  if (c.acceptWord('on')) {
    c.expectWord('conflict');
    if (c.isWord('on')) throw c.unsupported('ON CONFLICT ON CONSTRAINT is not supported');
    const conflictColumns = c.isOp('(') ? c.parenthesizedList(() => c.colId()) : [];
    if (c.isWord('where')) throw c.unsupported('ON CONFLICT ... WHERE is not supported');
    c.expectWord('do');
    if (c.isWord('update')) throw c.unsupported('ON CONFLICT DO UPDATE is not supported');
    c.expectWord('nothing');
    onConflictDoNothing = { columns: conflictColumns };
  }
  return { kind: 'insert', table, alias, columns, source, onConflictDoNothing, returning: parseReturning(c), pos };
}

/** UPDATE t [[AS] a] SET c = x | DEFAULT, ... [FROM ...] [WHERE ...] [RETURNING ...]. */
export function parseUpdate(c: Cursor): UpdateStatement {
  const pos = c.expectWord('update').start;
  c.acceptWord('only');
  const table = c.qualifiedName();
  const alias = parseDmlAlias(c, true);
  c.expectWord('set');
  const assignments = c.list(() => {
    const token = c.peek();
    if (c.isOp('(')) throw c.unsupported('multiple-column assignment (a, b) = (...) is not supported');
    const column = c.colId();
    if (c.isOp('.') || c.isOp('[')) throw c.unsupported('assignment to a field or element is not supported');
    c.expectOp('=');
    return { column, value: parseValueOrDefault(c), pos: token.start };
  });
  const from = c.acceptWord('from') ? parseFromList(c, false) : [];
  const where = parseDmlWhere(c);
  return { kind: 'update', table, alias, assignments, from, where, returning: parseReturning(c), pos };
}

/** DELETE FROM t [[AS] a] [USING ...] [WHERE ...] [RETURNING ...]. */
export function parseDelete(c: Cursor): DeleteStatement {
  const pos = c.expectWord('delete').start;
  c.expectWord('from');
  c.acceptWord('only');
  const table = c.qualifiedName();
  const alias = parseDmlAlias(c, false);
  const using = c.acceptWord('using') ? parseFromList(c, false) : [];
  const where = parseDmlWhere(c);
  return { kind: 'delete', table, alias, using, where, returning: parseReturning(c), pos };
}

function parseDmlAlias(c: Cursor, inUpdate: boolean): string | undefined {
  if (c.acceptWord('as')) return c.colId();
  if (c.isColId() && !(inUpdate && c.isWord('set'))) return c.colId();
  return undefined;
}

function parseDmlWhere(c: Cursor): Expr | undefined {
  if (!c.acceptWord('where')) return undefined;
  if (c.isWord('current') && c.isWord('of', 1)) throw c.unsupported('WHERE CURRENT OF is not supported');
  return parseExpr(c);
}
