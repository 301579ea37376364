// LIKE and ILIKE pattern matching: '%' matches any run of characters, '_' one character, and
// the escape character (backslash unless ESCAPE says otherwise) makes the next one literal.
// A pattern compiles once to a matcher; common shapes ('abc', 'abc%', '%abc', '%abc%') become
// plain string tests.
import { DbError } from '../../errors.js';

export interface LikeOptions {
  /** ILIKE: compare lower-cased text and pattern. */
  readonly caseInsensitive?: boolean;
  /** The ESCAPE character: one character, '' for none; backslash when not given. */
  readonly escape?: string;
}

type Token = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'one' } | { readonly kind: 'any' };

export type LikeMatcher = (text: string) => boolean;

function tokenize(pattern: string, escape: string): Token[] {
  const tokens: Token[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal.length > 0) tokens.push({ kind: 'text', text: literal });
    literal = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (escape.length > 0 && c === escape) {
      if (i + 1 >= pattern.length) {
        throw new DbError('INVALID_ESCAPE_SEQUENCE', 'LIKE pattern must not end with escape character');
      }
      i++;
      literal += pattern[i];
      // An escaped high surrogate brings its partner along.
      const code = pattern.charCodeAt(i);
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < pattern.length) literal += pattern[++i];
    } else if (c === '%') {
      flush();
      if (tokens.length === 0 || tokens[tokens.length - 1].kind !== 'any') tokens.push({ kind: 'any' });
    } else if (c === '_') {
      flush();
      tokens.push({ kind: 'one' });
    } else {
      literal += c;
    }
  }
  flush();
  return tokens;
}

/** UTF-16 units of the character at `index` (2 for a surrogate pair). */
function charWidth(text: string, index: number): number {
  const code = text.charCodeAt(index);
  if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
    const next = text.charCodeAt(index + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return 2;
  }
  return 1;
}

/** Backtracking match of tokens[tokenIndex..] against text[textIndex..] (PostgreSQL's MatchText). */
function matchFrom(tokens: readonly Token[], tokenIndex: number, text: string, textIndex: number): boolean {
  let t = textIndex;
  for (let k = tokenIndex; k < tokens.length; k++) {
    const token = tokens[k];
    if (token.kind === 'text') {
      if (!text.startsWith(token.text, t)) return false;
      t += token.text.length;
    } else if (token.kind === 'one') {
      if (t >= text.length) return false;
      t += charWidth(text, t);
    } else {
      if (k === tokens.length - 1) return true;
      // Try each start for the rest; a literal next token narrows the candidates to its occurrences.
      const next = tokens[k + 1];
      if (next.kind === 'text') {
        for (let at = text.indexOf(next.text, t); at >= 0; at = text.indexOf(next.text, at + 1)) {
          if (matchFrom(tokens, k + 1, text, at)) return true;
        }
        return false;
      }
      for (let at = t; at <= text.length; at += at < text.length ? charWidth(text, at) : 1) {
        if (matchFrom(tokens, k + 1, text, at)) return true;
      }
      return false;
    }
  }
  return t === text.length;
}

/**
 * Compiles a LIKE (or ILIKE) pattern. Throws INVALID_ESCAPE_SEQUENCE (22025) for a pattern
 * that ends with the escape character or an ESCAPE string longer than one character.
 */
export function compileLike(pattern: string, options: LikeOptions = {}): LikeMatcher {
  const escape = options.escape ?? '\\';
  if (escape.length > 1 && !(escape.length === 2 && charWidth(escape, 0) === 2)) {
    throw new DbError('INVALID_ESCAPE_SEQUENCE', 'invalid escape string');
  }
  const caseInsensitive = options.caseInsensitive === true;
  const tokens = tokenize(caseInsensitive ? pattern.toLowerCase() : pattern, escape);
  const prepare = caseInsensitive ? (text: string): string => text.toLowerCase() : (text: string): string => text;
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  if (tokens.length === 0) return (text) => text.length === 0;
  if (tokens.length === 1 && first.kind === 'text') return (text) => prepare(text) === first.text;
  if (tokens.length === 1 && first.kind === 'any') return () => true;
  if (tokens.length === 2 && first.kind === 'text' && last.kind === 'any') {
    return (text) => prepare(text).startsWith(first.text);
  }
  if (tokens.length === 2 && first.kind === 'any' && last.kind === 'text') {
    return (text) => prepare(text).endsWith(last.text);
  }
  if (tokens.length === 3 && first.kind === 'any' && last.kind === 'any' && tokens[1].kind === 'text') {
    const middle = (tokens[1] as { text: string }).text;
    return (text) => prepare(text).includes(middle);
  }
  return (text) => matchFrom(tokens, 0, prepare(text), 0);
}

/** text LIKE pattern [ESCAPE escape], compiling the pattern each call (for non-constant patterns). */
export function like(text: string, pattern: string, options?: LikeOptions): boolean {
  return compileLike(pattern, options)(text);
}
