import { describe, expect, it } from 'vitest';
import { formatStatement } from './deparse.js';
import { literalShape, parameterize } from './literal-parameters.js';
import { parse } from './parser.js';

function parameterized(sql: string): { text: string; slots: readonly { kind: string; negate: boolean }[] } {
  const result = parameterize(parse(sql)[0].statement);
  if (result === undefined) throw new Error(`not parameterized: ${sql}`);
  return { text: formatStatement(result.statement), slots: result.slots };
}

describe('literal parameters', () => {
  it('turns value literals into parameters, a negative number into one negated literal', () => {
    const { text, slots } = parameterized('UPDATE pgbench_accounts SET abalance = abalance + -4321 WHERE aid = 12345');
    expect(text).toContain('$1');
    expect(text).toContain('$2');
    expect(text).not.toMatch(/4321|12345/);
    expect(slots).toEqual([
      { kind: 'number', pos: expect.any(Number) as number, negate: true },
      { kind: 'number', pos: expect.any(Number) as number, negate: false },
    ]);
  });

  it('keeps ORDER BY and GROUP BY ordinals and cast strings literal', () => {
    const { text, slots } = parameterized("SELECT a, count(*) FROM t WHERE b = 'x' GROUP BY 1 ORDER BY 2 LIMIT 5");
    expect(slots.map((slot) => slot.kind)).toEqual(['string', 'number']);
    expect(text).toMatch(/GROUP BY 1/);
    expect(text).toMatch(/ORDER BY 2/);
    expect(parameterized("SELECT 'abc'::varchar(2)").slots).toEqual([]);
  });

  it('refuses statements that already have parameters', () => {
    expect(parameterize(parse('SELECT $1 + 1')[0].statement)).toBeUndefined();
  });

  it('gives one key to strings that differ only in literals, and keeps their values in order', () => {
    const a = literalShape("select v from t where id = 1 and name = 'ann'");
    const b = literalShape("select v from t where id = 22 and name = 'bob'");
    expect(a?.key).toBe(b?.key);
    expect(b?.literals.map((literal) => literal.value)).toEqual(['22', 'bob']);
    expect(literalShape('select v from t where id = 1 or id = 2')?.key).not.toBe(a?.key);
  });

  it('has no shape for several statements or parameters', () => {
    expect(literalShape('select 1; select 2')).toBeUndefined();
    expect(literalShape('select $1')).toBeUndefined();
    expect(literalShape('select 1;')).toBeDefined();
  });
});
