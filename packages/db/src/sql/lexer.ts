// The SQL lexer: PostgreSQL's lexical rules (scan.l) turned into charCode loops, since every
// statement a client sends passes through here. It cuts the whole query string into tokens
// once; the parser then walks the array by index and never re-lexes.
import { DbError } from '../errors.js';

export const TokenType = {
  /** An unquoted identifier or keyword, folded to lower case. */
  Ident: 0,
  /** A "quoted identifier", kept exactly; never a keyword. */
  QuotedIdent: 1,
  /** A string constant ('...', E'...', $$...$$), its value unescaped. */
  String: 2,
  /** A numeric constant as written. */
  Number: 3,
  /** `$n`; value is the text without the `$`. */
  Param: 4,
  /** An operator or punctuation; `!=` is normalized to `<>`. */
  Op: 5,
  Eof: 6,
} as const;
export type TokenType = (typeof TokenType)[keyof typeof TokenType];

export interface Token {
  readonly type: TokenType;
  readonly value: string;
  /** Offsets into the query string: [start, end). */
  readonly start: number;
  readonly end: number;
}

/** Characters of PostgreSQL's multi-character operators (op_chars in scan.l). */
const OPERATOR_CHARS = '~!@#^&|`?+-*/%<>=';
/** Operator characters after which a trailing `+` or `-` still belongs to the operator. */
const NON_MATH_OPERATOR_CHARS = '~!@#^&|`?%';
/** Single characters that are tokens of their own and never part of an operator. */
const SELF_CHARS = ',()[].;:';

const CLASS_IDENT_START = 1;
const CLASS_DIGIT = 2;
const CLASS_SPACE = 4;
const CLASS_OPERATOR = 8;
const CLASS_SELF = 16;

/** Character classes of the ASCII range, looked up by code; codes ≥ 0x80 are identifier characters. */
const ASCII_CLASS = new Uint8Array(128);
for (let code = 0; code < 128; code++) {
  const ch = String.fromCharCode(code);
  let cls = 0;
  if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch === '_') cls |= CLASS_IDENT_START;
  if (ch >= '0' && ch <= '9') cls |= CLASS_DIGIT;
  if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v') cls |= CLASS_SPACE;
  if (OPERATOR_CHARS.includes(ch)) cls |= CLASS_OPERATOR;
  if (SELF_CHARS.includes(ch)) cls |= CLASS_SELF;
  ASCII_CLASS[code] = cls;
}

/** NaN (past the end of the input) has no class. */
function charClass(code: number): number {
  if (code < 128) return ASCII_CLASS[code];
  return code >= 128 ? CLASS_IDENT_START : 0;
}

/**
 * `$` continues an identifier as in PostgreSQL (v$session); so does `#`, as in Oracle and
 * Tibero, whose dynamic views name columns FILE#, GROUP# and SEQUENCE#. PostgreSQL reads
 * `#` as the bitwise XOR operator, which this dialect does not have.
 */
function isIdentContinue(code: number): boolean {
  return code >= 128 || (ASCII_CLASS[code] & (CLASS_IDENT_START | CLASS_DIGIT)) !== 0 || code === 0x24 || code === 0x23;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

const QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const DOLLAR = 0x24;
const DOT = 0x2e;
const MINUS = 0x2d;
const SLASH = 0x2f;
const STAR = 0x2a;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** Error texts quote at most this much of the input, so a huge statement makes a short message. */
const NEAR_TEXT_MAX = 100;

/** A syntax error pointing at `offset`, quoting the input from there as PostgreSQL does. */
export function lexError(sql: string, message: string, offset: number, end = sql.length): DbError {
  const near = sql.slice(offset, Math.min(end, offset + NEAR_TEXT_MAX));
  return new DbError('SYNTAX_ERROR', `${message} at or near "${near}"`, { position: offset + 1 });
}

/** Cuts `sql` into tokens, ending with one Eof token at `sql.length`. */
export function lex(sql: string): Token[] {
  return new Lexer(sql).run();
}

class Lexer {
  readonly #sql: string;
  readonly #tokens: Token[] = [];
  #i = 0;

  constructor(sql: string) {
    this.#sql = sql;
  }

  run(): Token[] {
    const sql = this.#sql;
    const n = sql.length;
    while (true) {
      this.#skipSpaceAndComments();
      if (this.#i >= n) break;
      const start = this.#i;
      const code = sql.charCodeAt(start);
      const cls = charClass(code);
      if (code === QUOTE) this.#string(start, false);
      else if ((code === 0x45 || code === 0x65) && sql.charCodeAt(start + 1) === QUOTE) this.#string(start, true);
      else if (cls & CLASS_IDENT_START) this.#identifier(start);
      else if (cls & CLASS_DIGIT || (code === DOT && isDigit(sql.charCodeAt(start + 1)))) this.#number(start);
      else if (code === DOUBLE_QUOTE) this.#quotedIdentifier(start);
      else if (code === DOLLAR) this.#dollar(start);
      else if (code === 0x3a && sql.charCodeAt(start + 1) === 0x3a) this.#push(TokenType.Op, '::', start, start + 2);
      else if (cls & CLASS_SELF) this.#push(TokenType.Op, sql[start], start, start + 1);
      else if (cls & CLASS_OPERATOR) this.#operator(start);
      else throw lexError(sql, 'syntax error', start, start + 1);
    }
    this.#tokens.push({ type: TokenType.Eof, value: '', start: n, end: n });
    return this.#tokens;
  }

  #push(type: TokenType, value: string, start: number, end: number): void {
    this.#tokens.push({ type, value, start, end });
    this.#i = end;
  }

  #skipSpaceAndComments(): void {
    const sql = this.#sql;
    const n = sql.length;
    let i = this.#i;
    while (i < n) {
      const code = sql.charCodeAt(i);
      if (code < 128 && ASCII_CLASS[code] & CLASS_SPACE) i++;
      else if (code === MINUS && sql.charCodeAt(i + 1) === MINUS) i = lineEnd(sql, i);
      else if (code === SLASH && sql.charCodeAt(i + 1) === STAR) i = this.#blockCommentEnd(i);
      else break;
    }
    this.#i = i;
  }

  /** Block comments nest, as in PostgreSQL; a counter, not recursion, tracks the depth. */
  #blockCommentEnd(start: number): number {
    const sql = this.#sql;
    let depth = 1;
    let i = start + 2;
    while (depth > 0) {
      const open = sql.indexOf('/*', i);
      const close = sql.indexOf('*/', i);
      if (close < 0) throw lexError(sql, 'unterminated /* comment', start);
      if (open >= 0 && open < close) {
        depth++;
        i = open + 2;
      } else {
        depth--;
        i = close + 2;
      }
    }
    return i;
  }

  #identifier(start: number): void {
    const sql = this.#sql;
    const n = sql.length;
    let i = start;
    let hasUpper = false;
    while (i < n) {
      const code = sql.charCodeAt(i);
      if (!isIdentContinue(code)) break;
      if (code >= 0x41 && code <= 0x5a) hasUpper = true;
      i++;
    }
    const text = sql.slice(start, i);
    // Only ASCII letters fold, as PostgreSQL does in a multi-byte encoding.
    this.#push(TokenType.Ident, hasUpper ? foldAscii(text) : text, start, i);
  }

  #quotedIdentifier(start: number): void {
    const sql = this.#sql;
    let value = '';
    let i = start + 1;
    while (true) {
      const close = sql.indexOf('"', i);
      if (close < 0) throw lexError(sql, 'unterminated quoted identifier', start);
      value += sql.slice(i, close);
      if (sql.charCodeAt(close + 1) === DOUBLE_QUOTE) {
        value += '"';
        i = close + 2;
        continue;
      }
      i = close + 1;
      break;
    }
    if (value.length === 0) throw lexError(sql, 'zero-length delimited identifier', start, i);
    this.#push(TokenType.QuotedIdent, value, start, i);
  }

  /** '...' or E'...', with the continuation rule: constants separated by a newline concatenate. */
  #string(start: number, escapes: boolean): void {
    const sql = this.#sql;
    let value = '';
    let quote = escapes ? start + 1 : start;
    while (true) {
      const scanned = escapes ? this.#escapeBody(quote, start) : this.#plainBody(quote, start);
      value += scanned.value;
      const next = continuationQuote(sql, scanned.end);
      if (next < 0) {
        this.#push(TokenType.String, value, start, scanned.end);
        return;
      }
      quote = next;
    }
  }

  /** The body of '...' whose opening quote is at `quote`; `''` is a quote. */
  #plainBody(quote: number, tokenStart: number): { value: string; end: number } {
    const sql = this.#sql;
    let value = '';
    let i = quote + 1;
    while (true) {
      const close = sql.indexOf("'", i);
      if (close < 0) throw lexError(sql, 'unterminated quoted string', tokenStart);
      value += sql.slice(i, close);
      if (sql.charCodeAt(close + 1) !== QUOTE) return { value, end: close + 1 };
      value += "'";
      i = close + 2;
    }
  }

  /** The body of E'...': backslash escapes as in PostgreSQL, plus `''`. */
  #escapeBody(quote: number, tokenStart: number): { value: string; end: number } {
    const sql = this.#sql;
    const n = sql.length;
    const parts: string[] = [];
    let i = quote + 1;
    let runStart = i;
    while (true) {
      if (i >= n) throw lexError(sql, 'unterminated quoted string', tokenStart);
      const code = sql.charCodeAt(i);
      if (code === QUOTE) {
        parts.push(sql.slice(runStart, i));
        if (sql.charCodeAt(i + 1) !== QUOTE) return { value: parts.join(''), end: i + 1 };
        parts.push("'");
        i += 2;
        runStart = i;
      } else if (code === BACKSLASH) {
        parts.push(sql.slice(runStart, i));
        if (i + 1 >= n) throw lexError(sql, 'unterminated quoted string', tokenStart);
        const escaped = this.#escape(i);
        parts.push(escaped.text);
        i = escaped.end;
        runStart = i;
      } else {
        i++;
      }
    }
  }

  /** One backslash escape starting at `at`: its text and the offset after it. */
  #escape(at: number): { text: string; end: number } {
    const sql = this.#sql;
    const ch = sql[at + 1];
    switch (ch) {
      case 'b':
        return { text: '\b', end: at + 2 };
      case 'f':
        return { text: '\f', end: at + 2 };
      case 'n':
        return { text: '\n', end: at + 2 };
      case 'r':
        return { text: '\r', end: at + 2 };
      case 't':
        return { text: '\t', end: at + 2 };
      case 'x': {
        const digits = countWhile(sql, at + 2, 2, isHexDigit);
        if (digits === 0) return { text: 'x', end: at + 2 };
        return this.#codePoint(parseInt(sql.slice(at + 2, at + 2 + digits), 16), at, at + 2 + digits);
      }
      case 'u':
      case 'U': {
        const width = ch === 'u' ? 4 : 8;
        if (countWhile(sql, at + 2, width, isHexDigit) !== width) {
          throw lexError(sql, 'invalid Unicode escape', at, at + 2);
        }
        return this.#codePoint(parseInt(sql.slice(at + 2, at + 2 + width), 16), at, at + 2 + width);
      }
      default: {
        const octal = countWhile(sql, at + 1, 3, isOctalDigit);
        if (octal > 0) return this.#codePoint(parseInt(sql.slice(at + 1, at + 1 + octal), 8), at, at + 1 + octal);
        // Any other character stands for itself: \\ and \' among them. A surrogate pair stays whole.
        const width = (sql.codePointAt(at + 1) ?? 0) > 0xffff ? 2 : 1;
        return { text: sql.slice(at + 1, at + 1 + width), end: at + 1 + width };
      }
    }
  }

  #codePoint(value: number, at: number, end: number): { text: string; end: number } {
    // PostgreSQL rejects a zero byte in text, and code points past Unicode's range.
    if (value === 0 || value > 0x10ffff) throw lexError(this.#sql, 'invalid escape value', at, end);
    return { text: String.fromCodePoint(value), end };
  }

  /** `$n`, or a dollar-quoted string `$tag$...$tag$`. */
  #dollar(start: number): void {
    const sql = this.#sql;
    const n = sql.length;
    let i = start + 1;
    if (isDigit(sql.charCodeAt(i))) {
      while (i < n && isDigit(sql.charCodeAt(i))) i++;
      this.#push(TokenType.Param, sql.slice(start + 1, i), start, i);
      return;
    }
    // A tag is identifier characters without `$`, not starting with a digit.
    if (sql.charCodeAt(i) !== DOLLAR) {
      if (!(charClass(sql.charCodeAt(i)) & CLASS_IDENT_START)) {
        throw lexError(sql, 'syntax error', start, start + 1);
      }
      while (i < n) {
        const code = sql.charCodeAt(i);
        if (code === DOLLAR || !isIdentContinue(code)) break;
        i++;
      }
      if (sql.charCodeAt(i) !== DOLLAR) throw lexError(sql, 'syntax error', start, start + 1);
    }
    const tag = sql.slice(start, i + 1);
    const bodyStart = i + 1;
    const close = sql.indexOf(tag, bodyStart);
    if (close < 0) throw lexError(sql, 'unterminated dollar-quoted string', start);
    this.#push(TokenType.String, sql.slice(bodyStart, close), start, close + tag.length);
  }

  /** 42, 3.5, .5, 5., 1e10, 1.5E-3. Letters right after a number start a new token (so `50M` is 50, M). */
  #number(start: number): void {
    const sql = this.#sql;
    const n = sql.length;
    let i = start;
    while (i < n && isDigit(sql.charCodeAt(i))) i++;
    // `1..2` is not a decimal point: leave both dots to the parser.
    if (sql.charCodeAt(i) === DOT && sql.charCodeAt(i + 1) !== DOT) {
      i++;
      while (i < n && isDigit(sql.charCodeAt(i))) i++;
    }
    const e = sql.charCodeAt(i);
    if (e === 0x45 || e === 0x65) {
      let j = i + 1;
      const sign = sql.charCodeAt(j);
      if (sign === 0x2b || sign === MINUS) j++;
      if (isDigit(sql.charCodeAt(j))) {
        while (j < n && isDigit(sql.charCodeAt(j))) j++;
        i = j;
      }
    }
    this.#push(TokenType.Number, sql.slice(start, i), start, i);
  }

  /**
   * A run of operator characters, cut as scan.l does: a comment start ends it, and a trailing
   * `+`/`-` is split off unless the operator holds a character no arithmetic operator has, so
   * `a<-1` is `a < -1`.
   */
  #operator(start: number): void {
    const sql = this.#sql;
    const n = sql.length;
    let end = start + 1;
    while (end < n && charClass(sql.charCodeAt(end)) & CLASS_OPERATOR) {
      const code = sql.charCodeAt(end);
      const next = sql.charCodeAt(end + 1);
      if ((code === MINUS && next === MINUS) || (code === SLASH && next === STAR)) break;
      end++;
    }
    if (end - start > 1) {
      let special = false;
      for (let i = start; i < end; i++) if (NON_MATH_OPERATOR_CHARS.includes(sql[i])) special = true;
      if (!special) {
        while (end - start > 1 && (sql[end - 1] === '+' || sql[end - 1] === '-')) end--;
      }
    }
    const text = sql.slice(start, end);
    this.#push(TokenType.Op, text === '!=' ? '<>' : text, start, end);
  }
}

function foldAscii(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    out += code >= 0x41 && code <= 0x5a ? String.fromCharCode(code + 32) : text[i];
  }
  return out;
}

function lineEnd(sql: string, from: number): number {
  let i = from;
  while (i < sql.length) {
    const code = sql.charCodeAt(i);
    if (code === NEWLINE || code === CARRIAGE_RETURN) break;
    i++;
  }
  return i;
}

/**
 * After a string constant ending at `from`: the offset of the quote that continues it, or -1.
 * The gap must hold a newline and may hold only whitespace and `--` comments (scan.l's quotecontinue).
 */
function continuationQuote(sql: string, from: number): number {
  let i = from;
  let sawNewline = false;
  while (i < sql.length) {
    const code = sql.charCodeAt(i);
    if (code === NEWLINE || code === CARRIAGE_RETURN) {
      sawNewline = true;
      i++;
    } else if (code < 128 && ASCII_CLASS[code] & CLASS_SPACE) {
      i++;
    } else if (code === MINUS && sql.charCodeAt(i + 1) === MINUS) {
      i = lineEnd(sql, i);
    } else {
      return sawNewline && code === QUOTE ? i : -1;
    }
  }
  return -1;
}

function countWhile(sql: string, from: number, max: number, test: (code: number) => boolean): number {
  let count = 0;
  while (count < max && from + count < sql.length && test(sql.charCodeAt(from + count))) count++;
  return count;
}

function isHexDigit(code: number): boolean {
  return isDigit(code) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

function isOctalDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x37;
}
