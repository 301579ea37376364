// Expressions and type names, by precedence climbing over PostgreSQL's levels, lowest first:
// OR, AND, NOT, IS, comparison, BETWEEN/IN/LIKE, other operators (`||`), + -, * / %, ^,
// unary + -, `::`, and the primaries. Special syntax (EXTRACT, TRIM, niladic keywords,
// typed literals) is rewritten here into the plain nodes ast.ts describes.
import type { BinaryOperator, Expr, FunctionCall, Position, Query, TypeName } from './ast.js';
import type { Cursor } from './cursor.js';
import { DbError } from '../errors.js';
import { isColumnId, isTypeFunctionName } from './keywords.js';
import { TokenType } from './lexer.js';
import { continueQuery, isQueryStart, parseQuery } from './parse-query.js';

/** A full expression (PostgreSQL's a_expr). */
export function parseExpr(c: Cursor): Expr {
  return parseOr(c);
}

/**
 * An expression without boolean connectives or predicates at its top (close to PostgreSQL's
 * b_expr), for places where a following keyword must not be read as part of it: `DEFAULT x
 * NOT NULL`, `BETWEEN a AND b`.
 */
export function parseRestrictedExpr(c: Cursor): Expr {
  return parseOther(c);
}

function parseOr(c: Cursor): Expr {
  let left = parseAnd(c);
  let chain = 0;
  while (c.isWord('or')) {
    const pos = c.next().start;
    c.enter();
    chain++;
    left = { kind: 'binary', op: 'or', left, right: parseAnd(c), pos };
  }
  c.leave(chain);
  return left;
}

function parseAnd(c: Cursor): Expr {
  let left = parseNot(c);
  let chain = 0;
  while (c.isWord('and')) {
    const pos = c.next().start;
    c.enter();
    chain++;
    left = { kind: 'binary', op: 'and', left, right: parseNot(c), pos };
  }
  c.leave(chain);
  return left;
}

function parseNot(c: Cursor): Expr {
  if (!c.isWord('not')) return parseIs(c);
  const pos = c.next().start;
  c.enter();
  const operand = parseNot(c);
  c.leave();
  return { kind: 'unary', op: 'not', operand, pos };
}

/** Postfix IS [NOT] NULL/TRUE/FALSE/UNKNOWN/DISTINCT FROM, ISNULL, NOTNULL. */
function parseIs(c: Cursor): Expr {
  let operand = parseComparison(c);
  let chain = 0;
  while (true) {
    const token = c.peek();
    if (token.type !== TokenType.Ident) break;
    const pos = token.start;
    if (token.value === 'isnull' || token.value === 'notnull') {
      c.next();
      operand = { kind: 'isNull', operand, negated: token.value === 'notnull', pos };
    } else if (token.value === 'is') {
      c.next();
      operand = parseIsTail(c, operand, pos);
    } else {
      break;
    }
    c.enter();
    chain++;
  }
  c.leave(chain);
  return operand;
}

function parseIsTail(c: Cursor, operand: Expr, pos: Position): Expr {
  const negated = c.acceptWord('not');
  const token = c.next();
  if (token.type === TokenType.Ident) {
    switch (token.value) {
      case 'null':
        return { kind: 'isNull', operand, negated, pos };
      case 'true':
        return { kind: 'isBoolean', operand, value: true, negated, pos };
      case 'false':
        return { kind: 'isBoolean', operand, value: false, negated, pos };
      case 'unknown':
        return { kind: 'isBoolean', operand, value: null, negated, pos };
      case 'distinct':
        c.expectWord('from');
        return { kind: 'isDistinct', left: operand, right: parseComparison(c), negated, pos };
    }
  }
  throw c.syntaxError(token);
}

const COMPARISON_OPERATORS: ReadonlySet<string> = new Set(['=', '<>', '<', '>', '<=', '>=']);

function comparisonOperator(c: Cursor): BinaryOperator | undefined {
  const token = c.peek();
  if (token.type === TokenType.Op && COMPARISON_OPERATORS.has(token.value)) return token.value as BinaryOperator;
  return undefined;
}

/** Comparisons do not associate: `a = b = c` is a syntax error, as in PostgreSQL. */
function parseComparison(c: Cursor): Expr {
  const left = parsePredicate(c);
  const op = comparisonOperator(c);
  if (op === undefined) return left;
  const pos = c.next().start;
  let result: Expr;
  if ((c.isWord('any') || c.isWord('some') || c.isWord('all')) && c.isOp('(', 1)) {
    result = parseQuantified(c, left, op, pos);
  } else {
    c.enter();
    result = { kind: 'binary', op, left, right: parsePredicate(c), pos };
    c.leave();
  }
  if (comparisonOperator(c) !== undefined) throw c.syntaxError();
  return result;
}

function parseQuantified(c: Cursor, operand: Expr, op: BinaryOperator, pos: Position): Expr {
  const quantifier = c.next().value === 'all' ? 'all' : 'any';
  c.expectOp('(');
  if (!isQueryStart(c)) throw c.unsupported('ANY/ALL over an array is not supported; use a subquery');
  const query = parseSubquery(c);
  c.expectOp(')');
  return { kind: 'quantified', op, quantifier, operand, query, pos };
}

const PREDICATE_WORDS: ReadonlySet<string> = new Set(['between', 'in', 'like', 'ilike', 'similar']);

/** [NOT] BETWEEN / IN / LIKE / ILIKE: at most one, since they do not associate either. */
function parsePredicate(c: Cursor): Expr {
  const operand = parseOther(c);
  const negated = c.isWord('not') && c.isAnyWord(PREDICATE_WORDS, 1);
  if (negated) c.next();
  if (!c.isAnyWord(PREDICATE_WORDS)) return operand;
  const token = c.next();
  const pos = token.start;
  c.enter();
  let result: Expr;
  switch (token.value) {
    case 'between':
      result = parseBetween(c, operand, negated, pos);
      break;
    case 'in':
      result = parseIn(c, operand, negated, pos);
      break;
    case 'like':
    case 'ilike': {
      const pattern = parseOther(c);
      const escape = c.acceptWord('escape') ? parseOther(c) : undefined;
      result = { kind: 'like', operand, pattern, escape, negated, caseInsensitive: token.value === 'ilike', pos };
      break;
    }
    default:
      throw c.unsupported('SIMILAR TO is not supported', token);
  }
  c.leave();
  return result;
}

function parseBetween(c: Cursor, operand: Expr, negated: boolean, pos: Position): Expr {
  const symmetric = c.acceptWord('symmetric');
  if (!symmetric) c.acceptWord('asymmetric');
  const low = parseOther(c);
  c.expectWord('and');
  const high = parseOther(c);
  return { kind: 'between', operand, low, high, negated, symmetric, pos };
}

function parseIn(c: Cursor, operand: Expr, negated: boolean, pos: Position): Expr {
  c.expectOp('(');
  if (isQueryStart(c)) {
    const query = parseSubquery(c);
    c.expectOp(')');
    return { kind: 'inSubquery', operand, query, negated, pos };
  }
  const list = c.list(() => parseExpr(c));
  c.expectOp(')');
  return { kind: 'inList', operand, list, negated, pos };
}

/** Operators PostgreSQL reads at the "any other operator" level: `||` and the LIKE spellings. */
const LIKE_OPERATORS: ReadonlyMap<string, { negated: boolean; caseInsensitive: boolean }> = new Map([
  ['~~', { negated: false, caseInsensitive: false }],
  ['~~*', { negated: false, caseInsensitive: true }],
  ['!~~', { negated: true, caseInsensitive: false }],
  ['!~~*', { negated: true, caseInsensitive: true }],
]);

/** Punctuation and arithmetic that end an "other operator" chain. */
const NOT_OTHER_OPERATORS: ReadonlySet<string> = new Set([
  ',', '(', ')', '[', ']', '.', ';', ':', '::', '+', '-', '*', '/', '%', '^', '=', '<>', '<', '>', '<=', '>=',
]); // prettier-ignore

function parseOther(c: Cursor): Expr {
  let left = parseAdditive(c);
  let chain = 0;
  while (true) {
    const token = c.peek();
    if (token.type !== TokenType.Op || NOT_OTHER_OPERATORS.has(token.value)) break;
    c.next();
    c.enter();
    chain++;
    const like = LIKE_OPERATORS.get(token.value);
    if (token.value === '||') {
      left = { kind: 'binary', op: '||', left, right: parseAdditive(c), pos: token.start };
    } else if (like !== undefined) {
      left = { kind: 'like', operand: left, pattern: parseAdditive(c), ...like, pos: token.start };
    } else {
      throw c.unsupported(`operator ${token.value} is not supported`, token);
    }
  }
  c.leave(chain);
  return left;
}

function parseAdditive(c: Cursor): Expr {
  let left = parseMultiplicative(c);
  let chain = 0;
  while (c.isOp('+') || c.isOp('-')) {
    const token = c.next();
    c.enter();
    chain++;
    left = { kind: 'binary', op: token.value as '+' | '-', left, right: parseMultiplicative(c), pos: token.start };
  }
  c.leave(chain);
  return left;
}

function parseMultiplicative(c: Cursor): Expr {
  let left = parseExponent(c);
  let chain = 0;
  while (c.isOp('*') || c.isOp('/') || c.isOp('%')) {
    const token = c.next();
    c.enter();
    chain++;
    left = { kind: 'binary', op: token.value as '*' | '/' | '%', left, right: parseExponent(c), pos: token.start };
  }
  c.leave(chain);
  return left;
}

/** `^` associates to the left, as in PostgreSQL: 2 ^ 3 ^ 2 = 64. */
function parseExponent(c: Cursor): Expr {
  let left = parseUnary(c);
  let chain = 0;
  while (c.isOp('^')) {
    const token = c.next();
    c.enter();
    chain++;
    left = { kind: 'binary', op: '^', left, right: parseUnary(c), pos: token.start };
  }
  c.leave(chain);
  return left;
}

/** Unary minus binds tighter than `^`: -2 ^ 2 = 4. */
function parseUnary(c: Cursor): Expr {
  if (!c.isOp('-') && !c.isOp('+')) return parsePostfix(c);
  const token = c.next();
  c.enter();
  const operand = parseUnary(c);
  c.leave();
  return { kind: 'unary', op: token.value as '-' | '+', operand, pos: token.start };
}

/** `x::type` (chains), and the postfix forms we recognize only to refuse. */
function parsePostfix(c: Cursor): Expr {
  let operand = parsePrimary(c);
  let chain = 0;
  while (true) {
    if (c.isOp('::')) {
      const pos = c.next().start;
      c.enter();
      chain++;
      operand = { kind: 'cast', operand, type: parseTypeName(c), pos };
    } else if (c.isOp('[')) {
      throw c.unsupported('array subscripts are not supported');
    } else if (c.isWord('collate')) {
      throw c.unsupported('COLLATE is not supported');
    } else if (c.isWord('at') && c.isWord('time', 1)) {
      // x AT TIME ZONE z is PostgreSQL's timezone(z, x); z binds as tightly as a cast.
      const pos = c.next().start;
      c.expectWord('time');
      c.expectWord('zone');
      c.enter();
      chain++;
      let zone = parsePrimary(c);
      while (c.isOp('::')) {
        const castPos = c.next().start;
        zone = { kind: 'cast', operand: zone, type: parseTypeName(c), pos: castPos };
      }
      operand = { kind: 'function', name: 'timezone', args: [zone, operand], distinct: false, star: false, pos };
    } else {
      break;
    }
  }
  c.leave(chain);
  return operand;
}

/** Keywords that read as calls without parentheses, under their own (lower-case) names. */
const NILADIC: ReadonlySet<string> = new Set([
  'current_timestamp', 'current_date', 'current_time', 'localtimestamp', 'localtime', 'sysdate', 'systimestamp',
  'current_user', 'session_user', 'user', 'current_role', 'current_catalog', 'current_schema',
]); // prettier-ignore

/** Niladic keywords that take an optional precision, `current_timestamp(3)`. */
const NILADIC_WITH_PRECISION: ReadonlySet<string> = new Set([
  'current_timestamp', 'current_time', 'localtimestamp', 'localtime', 'systimestamp',
]); // prettier-ignore

/** Words that may begin a type name in a typed literal (`TIMESTAMP WITH TIME ZONE '...'`). */
const TYPE_START: ReadonlySet<string> = new Set([
  'timestamp', 'time', 'interval', 'double', 'character', 'char', 'varchar', 'nchar', 'national', 'bit',
  'numeric', 'decimal', 'dec', 'int', 'integer', 'smallint', 'bigint', 'real', 'float', 'boolean', 'json',
]); // prettier-ignore

function parsePrimary(c: Cursor): Expr {
  const token = c.peek();
  switch (token.type) {
    case TokenType.Number:
      c.next();
      return { kind: 'number', text: token.value, pos: token.start };
    case TokenType.String:
      c.next();
      return { kind: 'string', value: token.value, pos: token.start };
    case TokenType.Param: {
      c.next();
      const index = Number(token.value);
      if (!Number.isSafeInteger(index)) throw c.syntaxError(token);
      return { kind: 'parameter', index, pos: token.start };
    }
    case TokenType.Op:
      if (token.value === '(') return parseParenthesized(c);
      throw c.syntaxError(token);
    case TokenType.QuotedIdent:
      return parseNameExpr(c);
    case TokenType.Ident:
      return parseWordExpr(c);
    default:
      throw c.syntaxError(token);
  }
}

/** `( expr )`, `( query )`, or `((SELECT ...) UNION ...)`. */
function parseParenthesized(c: Cursor): Expr {
  const open = c.next();
  c.enter();
  let result: Expr;
  if (isQueryStart(c)) {
    result = { kind: 'subquery', query: parseSubquery(c), pos: open.start };
  } else {
    result = parseExpr(c);
    if (result.kind === 'subquery' && isQueryContinuation(c)) {
      result = { kind: 'subquery', query: continueQuery(c, result.query), pos: open.start };
    }
    if (c.isOp(',')) throw c.unsupported('row constructors are not supported');
  }
  c.expectOp(')');
  c.leave();
  return result;
}

const QUERY_CONTINUATIONS: ReadonlySet<string> = new Set([
  'union', 'intersect', 'except', 'order', 'limit', 'offset', 'fetch', 'for',
]); // prettier-ignore

function isQueryContinuation(c: Cursor): boolean {
  return c.isAnyWord(QUERY_CONTINUATIONS);
}

function parseSubquery(c: Cursor): Query {
  return parseQuery(c);
}

function parseWordExpr(c: Cursor): Expr {
  const token = c.peek();
  const word = token.value;
  const pos = token.start;
  switch (word) {
    case 'null':
      c.next();
      return { kind: 'null', pos };
    case 'true':
    case 'false':
      c.next();
      return { kind: 'boolean', value: word === 'true', pos };
    case 'case':
      return parseCase(c);
    case 'cast':
      return parseCast(c);
    case 'exists':
      if (c.isOp('(', 1)) return parseExists(c);
      break;
    case 'array':
      throw c.unsupported('ARRAY constructors are not supported');
    case 'row':
      if (c.isOp('(', 1)) throw c.unsupported('ROW constructors are not supported');
      break;
    case 'not':
      // NOT as an operand (`a = NOT b`): PostgreSQL allows it; read it as a prefix here too.
      return parseNot(c);
  }
  if (c.isOp('(', 1)) {
    const special = parseSpecialCall(c, word, pos);
    if (special !== undefined) return special;
  }
  if (NILADIC.has(word)) return parseNiladic(c, word, pos);
  if (TYPE_START.has(word)) {
    const literal = tryTypedLiteral(c);
    if (literal !== undefined) return literal;
  }
  return parseNameExpr(c);
}

/** A column reference, a function call or a generic typed literal (`date '2026-01-01'`). */
function parseNameExpr(c: Cursor): Expr {
  const first = c.peek();
  const quoted = first.type === TokenType.QuotedIdent;
  const parts = [c.colLabel()];
  while (c.isOp('.') && !c.isOp('*', 1)) {
    c.next();
    parts.push(c.colLabel());
  }
  const name = parts[parts.length - 1];
  const qualified = parts.length > 1;
  if (c.isOp('(')) {
    if (!quoted && !qualified && !isTypeFunctionName(first.value)) throw c.syntaxError(first);
    return parseFunctionCall(c, name, first.start);
  }
  if (c.isString() && (quoted || qualified || isTypeFunctionName(first.value))) {
    const literal = c.next();
    const type: TypeName = { words: [name], modifiers: [], pos: first.start };
    return {
      kind: 'cast',
      operand: { kind: 'string', value: literal.value, pos: literal.start },
      type,
      pos: first.start,
    };
  }
  if (!quoted && !isColumnId(first.value)) throw c.syntaxError(first);
  if (!qualified) return { kind: 'column', name, pos: first.start };
  return { kind: 'column', table: parts[parts.length - 2], name, pos: first.start };
}

/** `name(...)` after the name: args, DISTINCT, `*`, FILTER; the schema prefix is already gone. */
export function parseFunctionCall(c: Cursor, name: string, pos: Position): FunctionCall {
  c.expectOp('(');
  c.enter();
  let args: Expr[] = [];
  let distinct = false;
  let star = false;
  if (c.acceptOp('*')) {
    star = true;
  } else if (!c.isOp(')')) {
    distinct = c.acceptWord('distinct');
    if (!distinct) c.acceptWord('all');
    if (c.isWord('variadic')) throw c.unsupported('VARIADIC is not supported');
    args = c.list(() => parseExpr(c));
    if (c.isWord('order')) throw c.unsupported('ORDER BY in aggregate arguments is not supported');
  }
  c.expectOp(')');
  c.leave();
  if (c.isWord('within') && c.isWord('group', 1)) throw c.unsupported('WITHIN GROUP is not supported');
  let filter: Expr | undefined;
  if (c.isWord('filter') && c.isOp('(', 1)) {
    c.next();
    c.next();
    c.expectWord('where');
    c.enter();
    filter = parseExpr(c);
    c.leave();
    c.expectOp(')');
  }
  if (c.isWord('over')) throw c.unsupported('window functions are not supported');
  return { kind: 'function', name, args, distinct, star, filter, pos };
}

function call(name: string, args: Expr[], pos: Position): FunctionCall {
  return { kind: 'function', name, args, distinct: false, star: false, filter: undefined, pos };
}

function parseNiladic(c: Cursor, word: string, pos: Position): Expr {
  c.next();
  if (NILADIC_WITH_PRECISION.has(word) && c.isOp('(')) {
    c.next();
    const precision = c.peek();
    c.integer();
    c.expectOp(')');
    return call(word, [{ kind: 'number', text: precision.value, pos: precision.start }], pos);
  }
  if (word === 'current_schema' && c.isOp('(') && c.isOp(')', 1)) {
    c.next();
    c.next();
  }
  return call(word, [], pos);
}

/** The SQL-standard call forms with keywords inside the parentheses; undefined for ordinary calls. */
function parseSpecialCall(c: Cursor, word: string, pos: Position): Expr | undefined {
  switch (word) {
    case 'extract':
      return parseExtract(c, pos);
    case 'position':
      return parsePosition(c, pos);
    case 'substring':
      return parseSubstring(c, pos);
    case 'trim':
      return parseTrim(c, pos);
    case 'overlay':
      throw c.unsupported('OVERLAY is not supported');
    case 'coalesce':
    case 'nullif':
    case 'greatest':
    case 'least': {
      c.next();
      return parseFunctionCall(c, word, pos);
    }
    default:
      return undefined;
  }
}

/** EXTRACT(field FROM x) → extract('field', x). */
function parseExtract(c: Cursor, pos: Position): Expr {
  c.next();
  c.expectOp('(');
  c.enter();
  const fieldToken = c.peek();
  let field: string;
  if (fieldToken.type === TokenType.String) field = fieldToken.value;
  else if (fieldToken.type === TokenType.Ident || fieldToken.type === TokenType.QuotedIdent) field = fieldToken.value;
  else throw c.syntaxError();
  c.next();
  c.expectWord('from');
  const source = parseExpr(c);
  c.expectOp(')');
  c.leave();
  return call('extract', [{ kind: 'string', value: field, pos: fieldToken.start }, source], pos);
}

/** POSITION(a IN b) → position(a, b). */
function parsePosition(c: Cursor, pos: Position): Expr {
  c.next();
  c.expectOp('(');
  c.enter();
  const needle = parseOther(c);
  c.expectWord('in');
  const haystack = parseOther(c);
  c.expectOp(')');
  c.leave();
  return call('position', [needle, haystack], pos);
}

/** SUBSTRING(x FROM a FOR b) / (x FOR b) / (x, a, b) → substring(x, a[, b]). */
function parseSubstring(c: Cursor, pos: Position): Expr {
  c.next();
  c.expectOp('(');
  c.enter();
  const source = parseExpr(c);
  let args: Expr[];
  if (c.acceptWord('from')) {
    const from = parseExpr(c);
    args = c.acceptWord('for') ? [source, from, parseExpr(c)] : [source, from];
  } else if (c.acceptWord('for')) {
    const length = parseExpr(c);
    args = [source, { kind: 'number', text: '1', pos: length.pos }, length];
  } else {
    args = [source];
    while (c.acceptOp(',')) args.push(parseExpr(c));
  }
  c.expectOp(')');
  c.leave();
  return call('substring', args, pos);
}

/** TRIM([BOTH|LEADING|TRAILING] [chars] FROM x) → btrim|ltrim|rtrim(x[, chars]); TRIM(x) → btrim(x). */
function parseTrim(c: Cursor, pos: Position): Expr {
  c.next();
  c.expectOp('(');
  c.enter();
  let name = 'btrim';
  if (c.acceptWord('leading')) name = 'ltrim';
  else if (c.acceptWord('trailing')) name = 'rtrim';
  else c.acceptWord('both');
  let args: Expr[];
  if (c.acceptWord('from')) {
    args = c.list(() => parseExpr(c));
  } else {
    const first = parseExpr(c);
    if (c.acceptWord('from')) args = [parseExpr(c), first];
    else args = c.acceptOp(',') ? [first, parseExpr(c)] : [first];
  }
  c.expectOp(')');
  c.leave();
  return call(name, args, pos);
}

function parseCase(c: Cursor): Expr {
  const pos = c.next().start;
  c.enter();
  const operand = c.isWord('when') ? undefined : parseExpr(c);
  const whens: { when: Expr; then: Expr }[] = [];
  while (c.acceptWord('when')) {
    const when = parseExpr(c);
    c.expectWord('then');
    whens.push({ when, then: parseExpr(c) });
  }
  if (whens.length === 0) throw c.syntaxError();
  const otherwise = c.acceptWord('else') ? parseExpr(c) : undefined;
  c.expectWord('end');
  c.leave();
  return { kind: 'case', operand, whens, else: otherwise, pos };
}

function parseCast(c: Cursor): Expr {
  const pos = c.next().start;
  c.expectOp('(');
  c.enter();
  const operand = parseExpr(c);
  c.expectWord('as');
  const type = parseTypeName(c);
  c.expectOp(')');
  c.leave();
  return { kind: 'cast', operand, type, pos };
}

function parseExists(c: Cursor): Expr {
  const pos = c.next().start;
  c.expectOp('(');
  c.enter();
  if (!isQueryStart(c)) throw c.syntaxError();
  const query = parseSubquery(c);
  c.expectOp(')');
  c.leave();
  return { kind: 'exists', query, pos };
}

/**
 * `TIMESTAMP WITH TIME ZONE '...'` and the like. The words also name columns (`SELECT time
 * FROM t`), so when no string follows the type the cursor goes back and the caller reads a name.
 */
function tryTypedLiteral(c: Cursor): Expr | undefined {
  const saved = c.i;
  const savedDepth = c.depth;
  let type: TypeName;
  try {
    type = parseTypeName(c);
  } catch (error) {
    if (!(error instanceof DbError) || error.codeName !== 'SYNTAX_ERROR') throw error;
    c.i = saved;
    c.depth = savedDepth;
    return undefined;
  }
  if (!c.isString()) {
    c.i = saved;
    return undefined;
  }
  const literal = c.next();
  return { kind: 'cast', operand: { kind: 'string', value: literal.value, pos: literal.start }, type, pos: type.pos };
}

/**
 * A type name: the multi-word forms (`double precision`, `character varying(20)`,
 * `timestamp(3) with time zone`) and any other name with optional modifiers (`numeric(10, 2)`,
 * `varchar2(20)`). A schema prefix is dropped.
 */
export function parseTypeName(c: Cursor): TypeName {
  const first = c.peek();
  const pos = first.start;
  if (first.type !== TokenType.Ident && first.type !== TokenType.QuotedIdent) throw c.syntaxError();
  if (first.type === TokenType.Ident && !c.isTypeFunctionName() && !TYPE_START.has(first.value)) {
    throw c.syntaxError();
  }
  c.next();
  let result: TypeName;
  const word = first.type === TokenType.Ident ? first.value : '';
  switch (word) {
    case 'double':
      c.expectWord('precision');
      result = { words: ['double', 'precision'], modifiers: parseModifiers(c), pos };
      break;
    case 'character':
    case 'char':
    case 'nchar':
    case 'bit':
      result = { words: c.acceptWord('varying') ? [word, 'varying'] : [word], modifiers: parseModifiers(c), pos };
      break;
    case 'national': {
      const second = c.isWord('char') ? 'char' : 'character';
      c.expectWord(second);
      const words = c.acceptWord('varying') ? ['national', second, 'varying'] : ['national', second];
      result = { words, modifiers: parseModifiers(c), pos };
      break;
    }
    case 'timestamp':
    case 'time': {
      const modifiers = parseModifiers(c);
      result = { words: [word], modifiers, withTimeZone: parseTimeZoneClause(c), pos };
      break;
    }
    default: {
      let name = first.value;
      while (c.acceptOp('.')) name = c.colLabel();
      result = { words: [name], modifiers: parseModifiers(c), pos };
    }
  }
  if (c.isOp('[') || c.isWord('array')) throw c.unsupported('array types are not supported');
  return result;
}

function parseTimeZoneClause(c: Cursor): boolean | undefined {
  if (c.isWord('with') && c.isWord('time', 1)) {
    c.next();
    c.expectWords('time', 'zone');
    return true;
  }
  if (c.acceptWord('without')) {
    c.expectWords('time', 'zone');
    return false;
  }
  return undefined;
}

/** `(n[, n])` after a type name; Oracle's `(20 BYTE)` / `(20 CHAR)` length semantics are accepted. */
function parseModifiers(c: Cursor): number[] {
  if (!c.isOp('(')) return [];
  c.next();
  const modifiers = c.list(() => {
    const value = c.integer();
    if (!c.acceptWord('byte')) c.acceptWord('char');
    return value;
  });
  c.expectOp(')');
  return modifiers;
}
