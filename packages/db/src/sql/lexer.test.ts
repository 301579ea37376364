import { describe, expect, it } from 'vitest';
import { DbError } from '../errors.js';
import { lex, TokenType, type Token } from './lexer.js';

const NAMES: Record<TokenType, string> = {
  [TokenType.Ident]: 'ident',
  [TokenType.QuotedIdent]: 'qident',
  [TokenType.String]: 'string',
  [TokenType.Number]: 'number',
  [TokenType.Param]: 'param',
  [TokenType.Op]: 'op',
  [TokenType.Eof]: 'eof',
};

function tokens(sql: string): string[] {
  return lex(sql)
    .filter((t: Token) => t.type !== TokenType.Eof)
    .map((t: Token) => `${NAMES[t.type]}:${t.value}`);
}

describe('lexer', () => {
  const cases: [string, string[]][] = [
    ['SELECT Foo, "Bar", "a""b"', ['ident:select', 'ident:foo', 'op:,', 'qident:Bar', 'op:,', 'qident:a"b']],
    ["'it''s'", ["string:it's"]],
    ["'a'\n'b'", ['string:ab']],
    ["'a' 'b'", ['string:a', 'string:b']],
    ["'a' -- c\n  'b'", ['string:ab']],
    ["E'a\\nb\\t\\'\\\\'", ["string:a\nb\t'\\"]],
    ["e'\\x41\\101\\u00e9\\U0001F600'", ['string:AAé😀']],
    ['$$a $ b$$', ['string:a $ b']],
    ['$tag$ $$ x $tag$', ['string: $$ x ']],
    ['$1 + $23', ['param:1', 'op:+', 'param:23']],
    ['42 3.5 .5 5. 1e10 1.5E-3', ['number:42', 'number:3.5', 'number:.5', 'number:5.', 'number:1e10', 'number:1.5E-3']],
    ['50M 256K', ['number:50', 'ident:m', 'number:256', 'ident:k']],
    ['a<>b a!=b a<=b a>=b a::int', ['ident:a', 'op:<>', 'ident:b', 'ident:a', 'op:<>', 'ident:b', 'ident:a', 'op:<=', 'ident:b', 'ident:a', 'op:>=', 'ident:b', 'ident:a', 'op:::', 'ident:int']],
    ['a<-1', ['ident:a', 'op:<', 'op:-', 'number:1']],
    ['a ~~ b !~~* c || d', ['ident:a', 'op:~~', 'ident:b', 'op:!~~*', 'ident:c', 'op:||', 'ident:d']],
    ['1 -- comment\n+ 2', ['number:1', 'op:+', 'number:2']],
    ['1 /* a /* nested */ b */ + 2', ['number:1', 'op:+', 'number:2']],
    ['x[1]; y.z', ['ident:x', 'op:[', 'number:1', 'op:]', 'op:;', 'ident:y', 'op:.', 'ident:z']],
    ['ÄbC', ['ident:Äbc']],
    ['a$b', ['ident:a$b']],
  ]; // prettier-ignore
  for (const [sql, expected] of cases) {
    it(`lexes ${JSON.stringify(sql)}`, () => expect(tokens(sql)).toEqual(expected));
  }

  it('records offsets', () => {
    const [select, one] = lex('  SELECT 1');
    expect([select.start, select.end, one.start, one.end]).toEqual([2, 8, 9, 10]);
  });

  const errors: [string, string, number][] = [
    ["SELECT 'abc", 'unterminated quoted string at or near "\'abc"', 8],
    ['SELECT "abc', 'unterminated quoted identifier at or near ""abc"', 8],
    ['SELECT ""', 'zero-length delimited identifier at or near """"', 8],
    ['SELECT $$abc', 'unterminated dollar-quoted string at or near "$$abc"', 8],
    ['SELECT /* a /* b */', 'unterminated /* comment at or near "/* a /* b */"', 8],
    ["SELECT E'\\", 'unterminated quoted string at or near "E\'\\"', 8],
    ["SELECT E'\\000'", 'invalid escape value at or near "\\000"', 10],
    ['SELECT $x', 'syntax error at or near "$"', 8],
  ];
  for (const [sql, message, position] of errors) {
    it(`rejects ${JSON.stringify(sql)}`, () => {
      let caught: unknown;
      try {
        lex(sql);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DbError);
      const error = caught as DbError;
      expect(error.sqlState).toBe('42601');
      expect(error.message).toBe(`TDB-6001: ${message}`);
      expect(error.position).toBe(position);
    });
  }
});
