// Plans shared across literal values (sql/literal-parameters.ts): statements of one shape
// with other literals reuse a plan, and must still answer exactly as if each were planned
// alone: other values, literals that name columns (ORDER BY 2), literals whose type
// changes with their value, cast strings, and plans made stale by DDL.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './sql-server.js';

let db: TestServer;
let client: pg.Client;

beforeAll(async () => {
  db = await startTestServer();
  client = await db.client();
  await client.query('create table shared_t (id int primary key, name text, amount numeric(10,2))');
  await client.query("insert into shared_t values (1, 'ann', 10.5), (2, 'bob', 20), (3, 'cid', 30.25)");
});

afterAll(async () => {
  await db.stop();
});

/** Rows as arrays of their text forms, from the simple query protocol (as psql and pgbench send). */
async function rows(sql: string): Promise<unknown[][]> {
  const result = await client.query({ text: sql, rowMode: 'array' });
  return result.rows as unknown[][];
}

describe('plans shared across literal values', () => {
  it('answers each value of one shape with its own rows', async () => {
    for (const [id, name] of [
      [1, 'ann'],
      [3, 'cid'],
      [2, 'bob'],
      [9, undefined],
    ] as const) {
      expect(await rows(`select name from shared_t where id = ${id}`)).toEqual(name === undefined ? [] : [[name]]);
    }
  });

  it('keeps literals that name columns: ORDER BY 1 and ORDER BY 2 are different plans', async () => {
    expect(await rows('select id, name from shared_t order by 1 desc limit 1')).toEqual([[3, 'cid']]);
    expect(await rows('select id, name from shared_t order by 2 desc limit 1')).toEqual([[3, 'cid']]);
    expect(await rows("select id, name from shared_t where name <> 'cid' order by 2 desc limit 1")).toEqual([
      [2, 'bob'],
    ]);
    expect(await rows("select id, name from shared_t where name <> 'cid' order by 1 asc limit 1")).toEqual([
      [1, 'ann'],
    ]);
  });

  it('types a number by its value each time: int4, then int8, then numeric', async () => {
    const typeOf = async (literal: string): Promise<unknown> => (await rows(`select pg_typeof(${literal})`))[0][0];
    expect(await typeOf('7')).toBe('integer');
    expect(await typeOf('7000000000')).toBe('bigint');
    expect(await typeOf('7.5')).toBe('numeric');
    expect(await typeOf('-2147483648')).toBe('integer');
    expect(await rows('select 2147483647 + 0')).toEqual([[2147483647]]);
    await expect(rows('select 2147483647 + 1')).rejects.toMatchObject({ code: '22003' });
    expect(await rows('select 9000000000 + 1')).toEqual([['9000000001']]);
  });

  it('reads a cast string through the cast, truncating as an explicit cast does', async () => {
    expect(await rows("select 'abcdefg'::varchar(3)")).toEqual([['abc']]);
    expect(await rows("select 'xyzzy'::varchar(3)")).toEqual([['xyz']]);
  });

  it('takes string literals in the type their context gives them', async () => {
    expect(await rows("select id from shared_t where amount = '20'")).toEqual([[2]]);
    expect(await rows("select id from shared_t where amount = '30.25'")).toEqual([[3]]);
    await expect(rows("select id from shared_t where amount = 'abc'")).rejects.toMatchObject({ code: '22P02' });
  });

  it('applies DML with each statement’s own values', async () => {
    for (let i = 0; i < 5; i++)
      await client.query(`update shared_t set amount = amount + ${i} where id = ${1 + (i % 2)}`);
    expect(await rows('select id, amount from shared_t where id <= 2 order by id')).toEqual([
      [1, '16.50'],
      [2, '24.00'],
    ]);
  });

  it('plans anew after DDL changes what the shape means', async () => {
    expect(await rows('select count(*) from shared_t where id > 1')).toEqual([['2']]);
    await client.query('alter table shared_t add column extra int default 5');
    expect(await rows('select * from shared_t where id = 3')).toEqual([[3, 'cid', '30.25', 5]]);
    await client.query('drop table shared_t');
    await expect(rows('select count(*) from shared_t where id > 2')).rejects.toMatchObject({ code: '42P01' });
  });
});
