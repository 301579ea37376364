// UPDATE of primary key columns: the row moves to its new key (delete and insert under
// the row lock), each row once even when its new key lies ahead of the scan, a duplicate
// key fails the whole statement, and indexes follow.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './sql-server.js';

let db: TestServer;
let client: pg.Client;

beforeAll(async () => {
  db = await startTestServer();
  client = await db.client();
  await client.query('create table moved (id int primary key, v text unique)');
  await client.query("insert into moved values (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')");
});

afterAll(async () => {
  await db.stop();
});

async function ids(): Promise<number[]> {
  return (await client.query<{ id: number }>('select id from moved order by id')).rows.map((row) => row.id);
}

describe('UPDATE of the primary key', () => {
  it('moves each matching row once, even to keys ahead of the scan', async () => {
    const result = await client.query('update moved set id = id + 10 where id <= 3');
    expect(result.rowCount).toBe(3);
    expect(await ids()).toEqual([4, 5, 11, 12, 13]);
    expect((await client.query("select id from moved where v = 'b'")).rows).toEqual([{ id: 12 }]);
  });

  it('returns the moved rows and keeps the unique index with them', async () => {
    const result = await client.query('update moved set id = 100 where id = 4 returning id, v');
    expect(result.rows).toEqual([{ id: 100, v: 'd' }]);
    expect((await client.query("select id from moved where v = 'd'")).rows).toEqual([{ id: 100 }]);
    await expect(client.query("insert into moved values (4, 'x')")).resolves.toMatchObject({ rowCount: 1 });
    await client.query('delete from moved where id = 4');
  });

  it('fails the whole statement on a duplicate key and leaves the table as it was', async () => {
    await expect(client.query('update moved set id = 12 where id = 11')).rejects.toMatchObject({ code: '23505' });
    expect(await ids()).toEqual([5, 11, 12, 13, 100]);
  });
});
