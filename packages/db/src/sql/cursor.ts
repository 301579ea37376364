// The parser's view of the token array: look-ahead, keyword tests, name rules and the
// errors, shared by the expression, query, DDL and administrative parsers. It also guards
// the nesting depth, so hostile input fails with a DbError instead of exhausting the stack.
import { DbError } from '../errors.js';
import { isColumnId, isTypeFunctionName } from './keywords.js';
import { TokenType, type Token } from './lexer.js';

export class Cursor {
  readonly sql: string;
  readonly tokens: readonly Token[];
  readonly maxDepth: number;
  /** Index of the next token. */
  i = 0;
  /** Current nesting: parentheses, subqueries, prefix operators and operator chains. */
  depth = 0;

  constructor(sql: string, tokens: readonly Token[], maxDepth: number) {
    this.sql = sql;
    this.tokens = tokens;
    this.maxDepth = maxDepth;
  }

  peek(offset = 0): Token {
    const index = this.i + offset;
    return this.tokens[index < this.tokens.length ? index : this.tokens.length - 1];
  }

  next(): Token {
    const token = this.tokens[this.i];
    if (token.type !== TokenType.Eof) this.i++;
    return token;
  }

  /** The token just consumed. */
  previous(): Token {
    return this.tokens[this.i - 1];
  }

  /** Is the token at `offset` the unquoted word `word` (lower case)? */
  isWord(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.type === TokenType.Ident && token.value === word;
  }

  isAnyWord(words: ReadonlySet<string>, offset = 0): boolean {
    const token = this.peek(offset);
    return token.type === TokenType.Ident && words.has(token.value);
  }

  acceptWord(word: string): boolean {
    if (!this.isWord(word)) return false;
    this.i++;
    return true;
  }

  expectWord(word: string): Token {
    if (!this.isWord(word)) throw this.syntaxError();
    return this.next();
  }

  /** Expects the words in order, e.g. `expectWords('time', 'zone')`. */
  expectWords(...words: string[]): void {
    for (const word of words) this.expectWord(word);
  }

  isOp(op: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.type === TokenType.Op && token.value === op;
  }

  acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.i++;
    return true;
  }

  expectOp(op: string): Token {
    if (!this.isOp(op)) throw this.syntaxError();
    return this.next();
  }

  atEnd(): boolean {
    const token = this.peek();
    return token.type === TokenType.Eof || (token.type === TokenType.Op && token.value === ';');
  }

  /** PostgreSQL's ColId: an identifier, an unreserved or a column-name keyword, or a quoted name. */
  colId(): string {
    const token = this.peek();
    if (token.type === TokenType.QuotedIdent || (token.type === TokenType.Ident && isColumnId(token.value))) {
      this.i++;
      return token.value;
    }
    throw this.syntaxError();
  }

  isColId(offset = 0): boolean {
    const token = this.peek(offset);
    return token.type === TokenType.QuotedIdent || (token.type === TokenType.Ident && isColumnId(token.value));
  }

  /** PostgreSQL's ColLabel: any word at all, keywords included (after AS, after a dot). */
  colLabel(): string {
    const token = this.peek();
    if (token.type === TokenType.QuotedIdent || token.type === TokenType.Ident) {
      this.i++;
      return token.value;
    }
    throw this.syntaxError();
  }

  isTypeFunctionName(offset = 0): boolean {
    const token = this.peek(offset);
    return token.type === TokenType.QuotedIdent || (token.type === TokenType.Ident && isTypeFunctionName(token.value));
  }

  /** A possibly schema-qualified object name; the schema is dropped (`pg_catalog.pg_class` → `pg_class`). */
  qualifiedName(): string {
    let name = this.colId();
    while (this.isOp('.')) {
      this.i++;
      name = this.colLabel();
    }
    return name;
  }

  /** A comma-separated list of at least one item. */
  list<T>(item: () => T): T[] {
    const items = [item()];
    while (this.acceptOp(',')) items.push(item());
    return items;
  }

  /** `( item, ... )`. */
  parenthesizedList<T>(item: () => T): T[] {
    this.expectOp('(');
    const items = this.list(item);
    this.expectOp(')');
    return items;
  }

  stringValue(): string {
    const token = this.peek();
    if (token.type !== TokenType.String) throw this.syntaxError();
    this.i++;
    return token.value;
  }

  isString(offset = 0): boolean {
    return this.peek(offset).type === TokenType.String;
  }

  isNumber(offset = 0): boolean {
    return this.peek(offset).type === TokenType.Number;
  }

  /** A non-negative integer constant as a JS number (sizes, group numbers, type modifiers). */
  integer(): number {
    const token = this.peek();
    if (token.type !== TokenType.Number || !isIntegerText(token.value)) throw this.syntaxError();
    const value = Number(token.value);
    if (!Number.isSafeInteger(value)) throw this.syntaxError();
    this.i++;
    return value;
  }

  /** An optionally signed integer constant as a bigint (sequence options, TSNs). */
  signedBigint(): bigint {
    const negative = this.acceptOp('-');
    if (!negative) this.acceptOp('+');
    const token = this.peek();
    if (token.type !== TokenType.Number || !isIntegerText(token.value)) throw this.syntaxError();
    this.i++;
    const value = BigInt(token.value);
    return negative ? -value : value;
  }

  /** Enters one level of nesting; past maxDepth the statement is refused. */
  enter(): void {
    if (++this.depth > this.maxDepth) {
      throw new DbError('STATEMENT_TOO_LARGE', `expression nesting too deep: more than ${this.maxDepth} levels`, {
        position: this.peek().start + 1,
      });
    }
  }

  leave(levels = 1): void {
    this.depth -= levels;
  }

  /** `syntax error at or near "tok"`, or `at end of input`, positioned at the token. */
  syntaxError(token: Token = this.peek()): DbError {
    if (token.type === TokenType.Eof) {
      return new DbError('SYNTAX_ERROR', 'syntax error at end of input', { position: token.start + 1 });
    }
    const text = this.sql.slice(token.start, Math.min(token.end, token.start + 100));
    return new DbError('SYNTAX_ERROR', `syntax error at or near "${text}"`, { position: token.start + 1 });
  }

  /** Recognized syntax this database does not implement; the message names the feature. */
  unsupported(message: string, token: Token = this.peek()): DbError {
    return new DbError('FEATURE_NOT_SUPPORTED', message, { position: token.start + 1 });
  }
}

function isIntegerText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return text.length > 0;
}
