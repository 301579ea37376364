// Splits SQL text into statements the way psql does: a `;` ends a statement only outside
// quotes ('…', E'…', "…", $tag$…$tag$), comments (-- and nested /* */), parentheses and
// the BEGIN … END body of a CREATE FUNCTION/PROCEDURE. It also finds a backslash
// meta-command on a line, which psql recognises anywhere outside quotes and comments.

/** Where the scanner stands at the end of the text; the interactive prompt shows it. */
export type LexMode = 'code' | 'single-quote' | 'escape-string' | 'double-quote' | 'dollar-quote' | 'block-comment';

export interface ScanState {
  readonly mode: LexMode;
  readonly parenDepth: number;
  /** Nesting of BEGIN/CASE … END inside a routine body, where `;` does not end the statement. */
  readonly beginDepth: number;
}

export interface ScanResult {
  /** Complete statements, each from its first significant character up to and including its `;`. */
  readonly statements: readonly string[];
  /** Offset of the unfinished remainder: the text from here on is pending. */
  readonly restOffset: number;
  readonly state: ScanState;
  /** True when the remainder holds nothing but blanks and `--` comments. */
  readonly pendingBlank: boolean;
  /** Offset of a backslash in code (not in a quote or comment) at or after `metaFrom`; scanning stopped there. */
  readonly metaOffset: number | undefined;
}

const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const IDENTIFIER = /[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/y;

function isIdentifierChar(char: string | undefined): boolean {
  return char !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(char);
}

/** The routine-body heuristic of psql: the statement starts CREATE [OR REPLACE] FUNCTION|PROCEDURE. */
function startsRoutine(words: readonly string[]): boolean {
  const [first, second, third, fourth] = words;
  if (first !== 'create') return false;
  if (second === 'function' || second === 'procedure') return true;
  return second === 'or' && third === 'replace' && (fourth === 'function' || fourth === 'procedure');
}

/** Mutable scanning state, private to `scanSql`; callers see the frozen `ScanState`. */
class Cursor {
  mode: LexMode = 'code';
  dollarTag = '';
  commentDepth = 0;
  parenDepth = 0;
  beginDepth = 0;
  /** Lower-cased leading words of the current statement, for the routine heuristic. */
  words: string[] = [];
  /** Start of the current statement's significant text, or -1 while only blanks were seen. */
  statementStart = -1;

  resetStatement(): void {
    this.parenDepth = 0;
    this.beginDepth = 0;
    this.words = [];
    this.statementStart = -1;
  }

  markStart(offset: number): void {
    if (this.statementStart < 0) this.statementStart = offset;
  }
}

/**
 * Scans `text` from the start. Leading whitespace and `--` comments before a statement are
 * dropped (psql does not send them); everything else is kept verbatim.
 */
export function scanSql(text: string, metaFrom = Number.POSITIVE_INFINITY): ScanResult {
  const cursor = new Cursor();
  const statements: string[] = [];
  let restOffset = 0;
  let index = 0;
  while (index < text.length) {
    if (cursor.mode !== 'code') {
      index = scanQuoted(text, index, cursor);
      continue;
    }
    const char = text[index];
    if (char === '\\' && index >= metaFrom) {
      return finish(statements, cursor, restOffset, index);
    }
    if (char === ';' && cursor.parenDepth === 0 && cursor.beginDepth === 0) {
      if (cursor.statementStart >= 0) statements.push(text.slice(cursor.statementStart, index + 1));
      cursor.resetStatement();
      index += 1;
      restOffset = index;
      continue;
    }
    index = scanCode(text, index, cursor);
  }
  return finish(statements, cursor, restOffset, undefined);
}

function finish(statements: string[], cursor: Cursor, restOffset: number, metaOffset: number | undefined): ScanResult {
  const started = cursor.statementStart >= 0;
  return {
    statements,
    restOffset: started ? cursor.statementStart : restOffset,
    state: { mode: cursor.mode, parenDepth: cursor.parenDepth, beginDepth: cursor.beginDepth },
    pendingBlank: !started && cursor.mode === 'code',
    metaOffset,
  };
}

/** One step in code: returns the offset after the token that starts at `index`. */
function scanCode(text: string, index: number, cursor: Cursor): number {
  const char = text[index];
  const next = text[index + 1];
  if (/\s/.test(char)) return index + 1;
  if (char === '-' && next === '-') {
    const newline = text.indexOf('\n', index);
    return newline < 0 ? text.length : newline + 1;
  }
  cursor.markStart(index);
  if (char === '/' && next === '*') {
    cursor.mode = 'block-comment';
    cursor.commentDepth = 1;
    return index + 2;
  }
  if (char === "'") {
    // E'…' takes backslash escapes; the E must be a token of its own, not the end of a word.
    const escape = /[eE]/.test(text[index - 1] ?? '') && !isIdentifierChar(text[index - 2]);
    cursor.mode = escape ? 'escape-string' : 'single-quote';
    return index + 1;
  }
  if (char === '"') {
    cursor.mode = 'double-quote';
    return index + 1;
  }
  if (char === '$' && !isIdentifierChar(text[index - 1])) {
    DOLLAR_TAG.lastIndex = index;
    const tag = DOLLAR_TAG.exec(text);
    if (tag !== null) {
      cursor.mode = 'dollar-quote';
      cursor.dollarTag = tag[0];
      return index + tag[0].length;
    }
    return index + 1;
  }
  if (char === '(') cursor.parenDepth += 1;
  if (char === ')') cursor.parenDepth = Math.max(0, cursor.parenDepth - 1);
  if (!isIdentifierChar(text[index - 1])) {
    IDENTIFIER.lastIndex = index;
    const word = IDENTIFIER.exec(text);
    if (word !== null) {
      trackWord(word[0].toLowerCase(), cursor);
      return index + word[0].length;
    }
  }
  return index + 1;
}

/** psql's heuristic for SQL-standard routine bodies (BEGIN ATOMIC … END), whose `;` are inside. */
function trackWord(word: string, cursor: Cursor): void {
  cursor.words.push(word);
  if (!startsRoutine(cursor.words) || cursor.parenDepth > 0) return;
  if (word === 'begin') cursor.beginDepth += 1;
  else if (word === 'case' && cursor.beginDepth > 0) cursor.beginDepth += 1;
  else if (word === 'end' && cursor.beginDepth > 0) cursor.beginDepth -= 1;
}

/** One step inside a quote or block comment. */
function scanQuoted(text: string, index: number, cursor: Cursor): number {
  const char = text[index];
  const next = text[index + 1];
  switch (cursor.mode) {
    case 'single-quote':
    case 'escape-string':
      if (char === '\\' && cursor.mode === 'escape-string') return index + 2;
      if (char === "'") {
        if (next === "'") return index + 2;
        cursor.mode = 'code';
      }
      return index + 1;
    case 'double-quote':
      if (char === '"') {
        if (next === '"') return index + 2;
        cursor.mode = 'code';
      }
      return index + 1;
    case 'dollar-quote':
      if (text.startsWith(cursor.dollarTag, index)) {
        cursor.mode = 'code';
        return index + cursor.dollarTag.length;
      }
      return index + 1;
    case 'block-comment':
      if (char === '/' && next === '*') {
        cursor.commentDepth += 1;
        return index + 2;
      }
      if (char === '*' && next === '/') {
        cursor.commentDepth -= 1;
        if (cursor.commentDepth === 0) cursor.mode = 'code';
        return index + 2;
      }
      return index + 1;
    case 'code':
      throw new Error('scanQuoted called in code mode');
  }
}

/** The psql prompt's %R character: what kind of input the shell is waiting for. */
export type PromptMarker = '=' | '-' | "'" | '"' | '$' | '*' | '(';

export function promptMarker(state: ScanState, pendingBlank: boolean): PromptMarker {
  switch (state.mode) {
    case 'single-quote':
    case 'escape-string':
      return "'";
    case 'double-quote':
      return '"';
    case 'dollar-quote':
      return '$';
    case 'block-comment':
      return '*';
    case 'code':
      if (state.parenDepth > 0) return '(';
      return pendingBlank ? '=' : '-';
  }
}

/**
 * The query buffer of a shell: text goes in line by line, complete statements come out.
 * The pending text is rescanned from its start on each push, which keeps tokens split
 * across pushes (a `$tag$` typed over two lines) correct at no real cost for typed input.
 */
export class StatementBuffer {
  #pending = '';
  #state: ScanState = { mode: 'code', parenDepth: 0, beginDepth: 0 };
  #blank = true;

  /** Appends `text`; returns the statements it completes, in order. */
  push(text: string): string[] {
    const result = scanSql(this.#pending + text);
    this.#pending = (this.#pending + text).slice(result.restOffset);
    this.#state = result.state;
    this.#blank = result.pendingBlank;
    return [...result.statements];
  }

  /** Offset in `line` of a meta-command backslash, given what is already pending; undefined if none. */
  metaCommandOffset(line: string): number | undefined {
    const result = scanSql(this.#pending + line, this.#pending.length);
    return result.metaOffset === undefined ? undefined : result.metaOffset - this.#pending.length;
  }

  /** The pending text, without leading blanks and comments; empty when nothing is pending. */
  get pending(): string {
    return this.#blank ? '' : this.#pending;
  }

  get marker(): PromptMarker {
    return promptMarker(this.#state, this.#blank);
  }

  /** Empties the buffer and returns what was pending (for \g, Ctrl-C and end of input). */
  take(): string {
    const pending = this.pending;
    this.#pending = '';
    this.#state = { mode: 'code', parenDepth: 0, beginDepth: 0 };
    this.#blank = true;
    return pending;
  }
}
