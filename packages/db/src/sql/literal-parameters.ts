// Plans shared across literal values (Oracle's cursor sharing). Clients in the simple query
// protocol send their values inside the SQL text (pgbench: `... WHERE aid = 48213`), so
// every statement is new text and would be parsed and planned anew. A statement's literals
// are turned into typed parameters: a number becomes a parameter of the literal's own type
// (int4, int8 or numeric, as its value dictates), a string one of type unknown, which its
// context types just as it types the literal. The plan is then keyed by the statement's
// token shape with the literals masked, and the next statement of that shape only lexes.
// Literals that are not plain values stay literal, and a plan is reused only for the same
// text of them: ORDER BY 2 and GROUP BY 1 name columns, and a cast string ('x'::varchar(3))
// is read by the cast.
import type * as ast from './ast.js';
import { lex, TokenType } from './lexer.js';

/** Where one parameter's value comes from: the literal at a source offset, negated when it had a unary minus. */
export interface LiteralSlot {
  readonly kind: 'number' | 'string';
  /** Source offset of the literal token. */
  readonly pos: number;
  readonly negate: boolean;
}

export interface Parameterized {
  readonly statement: ast.Statement;
  /** Slot i feeds parameter $i+1. */
  readonly slots: readonly LiteralSlot[];
}

const CACHEABLE = new Set<ast.Statement['kind']>(['query', 'insert', 'update', 'delete']);

export function isCacheable(statement: ast.Statement): boolean {
  return CACHEABLE.has(statement.kind);
}

/**
 * The statement with its value literals replaced by parameters $1, $2, ... in source order
 * of discovery (the slots say which literal feeds which). Returns undefined for statements
 * that already have parameters (the simple protocol cannot give them values).
 */
export function parameterize(statement: ast.Statement): Parameterized | undefined {
  const slots: LiteralSlot[] = [];
  let hasParameters = false;
  const keep = new Set<object>();
  // Ordinals in ORDER BY and GROUP BY name select-list columns: they stay literal.
  const markOrdinals = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) markOrdinals(item);
      return;
    }
    const node = value as Record<string, unknown>;
    if (node.kind === 'query' && Array.isArray(node.orderBy)) {
      for (const item of node.orderBy as ast.OrderItem[]) if (item.expr.kind === 'number') keep.add(item.expr);
    }
    if (node.kind === 'select' && Array.isArray(node.groupBy)) {
      for (const expr of node.groupBy as ast.Expr[]) if (expr.kind === 'number') keep.add(expr);
    }
    // 'abcdefg'::varchar(3) truncates as an explicit cast of a literal; a parameter typed by
    // the cast would be read as a varchar(3) value and refused instead.
    if (node.kind === 'cast' && (node.operand as ast.Expr).kind === 'string') keep.add(node.operand as object);
    for (const key of Object.keys(node)) markOrdinals(node[key]);
  };
  markOrdinals(statement);
  const rewrite = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map(rewrite);
    if (value instanceof Uint8Array) return value;
    const node = value as Record<string, unknown>;
    if (node.kind === 'parameter') hasParameters = true;
    if (!keep.has(node)) {
      if (node.kind === 'number' || node.kind === 'string') {
        slots.push({ kind: node.kind, pos: node.pos as number, negate: false });
        return { kind: 'parameter', index: slots.length, pos: node.pos };
      }
      if (node.kind === 'unary' && node.op === '-' && (node.operand as ast.Expr).kind === 'number') {
        // -2147483648 is one int4 literal, not the negation of an int8 one.
        const operand = node.operand as ast.NumberLiteral;
        slots.push({ kind: 'number', pos: operand.pos, negate: true });
        return { kind: 'parameter', index: slots.length, pos: node.pos };
      }
    }
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(node)) copy[key] = rewrite(node[key]);
    return copy;
  };
  const rewritten = rewrite(statement) as ast.Statement;
  return hasParameters ? undefined : { statement: rewritten, slots };
}

/** A query string's literals, and its shape with them masked (the cache key). */
export interface LiteralShape {
  readonly key: string;
  readonly literals: readonly { readonly kind: 'number' | 'string'; readonly value: string; readonly pos: number }[];
}

/**
 * The shape of a single-statement query string, or undefined when it is not one (several
 * statements, or parameters). Lexing errors are left to the parser, which reports them.
 */
export function literalShape(sql: string): LiteralShape | undefined {
  let tokens;
  try {
    tokens = lex(sql);
  } catch {
    return undefined;
  }
  const literals: { kind: 'number' | 'string'; value: string; pos: number }[] = [];
  let key = '';
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    switch (token.type) {
      case TokenType.Eof:
        break;
      case TokenType.Param:
        return undefined;
      case TokenType.Number:
        literals.push({ kind: 'number', value: token.value, pos: token.start });
        key += '\u0002#';
        break;
      case TokenType.String:
        literals.push({ kind: 'string', value: token.value, pos: token.start });
        key += "\u0002'";
        break;
      case TokenType.Op:
        // A statement separator with more after it: several statements.
        if (
          token.value === ';' &&
          tokens.slice(i + 1).some((next) => next.type !== TokenType.Eof && next.value !== ';')
        ) {
          return undefined;
        }
        key += `\u0001${token.value}`;
        break;
      case TokenType.QuotedIdent:
        key += `\u0001"${token.value}`;
        break;
      default:
        key += `\u0001${token.value}`;
    }
  }
  return { key, literals };
}
