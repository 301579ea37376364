import { describe, expect, it } from 'vitest';
import { scanSql, StatementBuffer } from './statement-scanner.js';

function split(text: string): { statements: readonly string[]; rest: string } {
  const result = scanSql(text);
  return { statements: result.statements, rest: text.slice(result.restOffset) };
}

describe('scanSql', () => {
  it('splits at semicolons and drops leading blanks and -- comments', () => {
    expect(split('select 1;  -- one\n\nselect 2;\n')).toEqual({ statements: ['select 1;', 'select 2;'], rest: '\n' });
  });

  it('keeps semicolons inside single quotes, doubled quotes and E-strings', () => {
    const text = "select 'a;b', 'it''s;';\nselect E'x\\';y';\nselect 1";
    expect(split(text)).toEqual({
      statements: ["select 'a;b', 'it''s;';", "select E'x\\';y';"],
      rest: 'select 1',
    });
  });

  it('does not treat a word ending in e before a quote as an E-string', () => {
    // In `where name = 'a\'` the backslash is an ordinary character (standard strings).
    expect(split("select * from t where name='a\\';select 2;").statements).toEqual([
      "select * from t where name='a\\';",
      'select 2;',
    ]);
  });

  it('keeps semicolons inside double-quoted identifiers', () => {
    expect(split('select 1 as "a;""b";').statements).toEqual(['select 1 as "a;""b";']);
  });

  it('keeps semicolons inside dollar quotes, tagged or not, and ignores $1 parameters', () => {
    const text = [
      'create function f() returns int as $$ begin; return 1; end $$ language plpgsql;',
      'do $body$ begin perform 1; /* $$ */ end $body$;',
      'prepare p as select $1;',
    ].join('\n');
    expect(split(text).statements).toEqual([
      'create function f() returns int as $$ begin; return 1; end $$ language plpgsql;',
      'do $body$ begin perform 1; /* $$ */ end $body$;',
      'prepare p as select $1;',
    ]);
  });

  it('keeps semicolons inside line comments and nested block comments', () => {
    const text = 'select 1 -- not here; \n /* outer /* inner; */ still; */ + 1;\nselect 2;';
    expect(split(text).statements).toEqual([
      'select 1 -- not here; \n /* outer /* inner; */ still; */ + 1;',
      'select 2;',
    ]);
  });

  it('keeps semicolons inside parentheses', () => {
    expect(
      split('create rule r as on insert to t do also (insert into a values (1); insert into b values (2));').statements,
    ).toHaveLength(1);
  });

  it('keeps a BEGIN ATOMIC routine body together, CASE … END included', () => {
    const text = [
      'create or replace function g(x int) returns int language sql',
      'begin atomic',
      '  select case when x > 0 then 1 else 0 end;',
      '  select x;',
      'end;',
      'select 3;',
    ].join('\n');
    const { statements } = split(text);
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatch(/^create or replace function[\s\S]*end;$/);
    expect(statements[1]).toBe('select 3;');
  });

  it('does not mistake a transaction BEGIN for a routine body', () => {
    expect(split('begin; select 1; end;').statements).toEqual(['begin;', 'select 1;', 'end;']);
  });

  it('finds a meta-command backslash only outside quotes and comments', () => {
    expect(scanSql("select '\\x' \\g", 0).metaOffset).toBe(12);
    expect(scanSql('select 1 -- \\x', 0).metaOffset).toBeUndefined();
    expect(scanSql('\\dt', 0).metaOffset).toBe(0);
  });
});

describe('StatementBuffer', () => {
  it('completes a statement across lines and reports the prompt marker', () => {
    const buffer = new StatementBuffer();
    expect(buffer.marker).toBe('=');
    expect(buffer.push('select\n')).toEqual([]);
    expect(buffer.marker).toBe('-');
    expect(buffer.push("  'a\n")).toEqual([]);
    expect(buffer.marker).toBe("'");
    expect(buffer.push("b' as x, (1 +\n")).toEqual([]);
    expect(buffer.marker).toBe('(');
    expect(buffer.push('2);\n')).toEqual(["select\n  'a\nb' as x, (1 +\n2);"]);
    expect(buffer.marker).toBe('=');
    expect(buffer.pending).toBe('');
  });

  it('handles a dollar tag split across pushes and shows $ and * markers', () => {
    const buffer = new StatementBuffer();
    buffer.push('do $t');
    buffer.push('ag$ begin\n');
    expect(buffer.marker).toBe('$');
    buffer.push('end $tag$;\n/* open\n');
    expect(buffer.marker).toBe('*');
    expect(buffer.take()).toBe('/* open\n');
  });

  it('treats only comments as nothing pending', () => {
    const buffer = new StatementBuffer();
    buffer.push('-- just a comment\n');
    expect(buffer.pending).toBe('');
    expect(buffer.marker).toBe('=');
  });
});
