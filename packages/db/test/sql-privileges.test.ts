// Users and privileges as clients meet them: a user reads and writes only what it owns or
// was granted, creates tables only with RESOURCE (or CREATE TABLE, or DBA), and REVOKE takes
// a grant back. Each refusal is 42501 with the TDB code.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './sql-server.js';

let db: TestServer;
let sys: pg.Client;

beforeAll(async () => {
  db = await startTestServer();
  sys = await db.client();
  await sys.query('create table ledger (id int primary key, amount int)');
  await sys.query('insert into ledger values (1, 100)');
  await sys.query("CREATE USER clerk IDENTIFIED BY 'clerk-pw'");
  await sys.query("CREATE USER auditor IDENTIFIED BY 'auditor-pw'");
});

afterAll(async () => {
  await db.stop();
});

async function refused(client: pg.Client, sql: string): Promise<void> {
  await expect(client.query(sql)).rejects.toMatchObject({
    code: '42501',
    message: expect.stringMatching(/^TDB-6016/) as string,
  });
}

describe('privileges', () => {
  it('refuses a user what it neither owns nor was granted, and allows what GRANT gives', async () => {
    const clerk = await db.client({ user: 'clerk', password: 'clerk-pw' });
    await refused(clerk, 'select * from ledger');
    await refused(clerk, 'insert into ledger values (2, 5)');
    await refused(clerk, 'create table mine (n int)');

    await sys.query('GRANT SELECT ON ledger TO clerk');
    expect((await clerk.query('select amount from ledger where id = 1')).rows).toEqual([{ amount: 100 }]);
    await refused(clerk, 'update ledger set amount = 0 where id = 1');
    await refused(clerk, 'drop table ledger');
    await refused(clerk, 'GRANT SELECT ON ledger TO auditor');

    await sys.query('GRANT INSERT, UPDATE ON ledger TO clerk');
    await clerk.query('insert into ledger values (2, 5)');
    await clerk.query('update ledger set amount = amount + 1 where id = 2');
    await refused(clerk, 'delete from ledger where id = 2');

    await sys.query('REVOKE SELECT ON ledger FROM clerk');
    await refused(clerk, 'select * from ledger');
  });

  it('checks SELECT on every table a statement reads, in subqueries and CTEs too', async () => {
    await sys.query('create table salaries (id int primary key, pay int)');
    await sys.query('insert into salaries values (1, 9000)');
    await sys.query('create table board (id int primary key, note text)');
    await sys.query("insert into board values (1, 'hello')");
    await sys.query("CREATE USER intern IDENTIFIED BY 'intern-pw'");
    await sys.query('GRANT SELECT, INSERT, UPDATE, DELETE ON board TO intern');
    const intern = await db.client({ user: 'intern', password: 'intern-pw' });
    expect((await intern.query('select note from board')).rows).toEqual([{ note: 'hello' }]);
    await refused(intern, 'select note from board where exists (select 1 from salaries where pay > 5000)');
    await refused(intern, 'select note, (select max(pay) from salaries) from board');
    await refused(intern, 'select note from board where id in (select id from salaries)');
    await refused(intern, 'with s as (select pay from salaries) select note from board, s');
    await refused(intern, 'update board set note = (select max(pay)::text from salaries)');
    await refused(intern, 'delete from board where id in (select id from salaries where pay > 0)');
    await refused(intern, 'insert into board select id + 10, pay::text from salaries');
    await refused(intern, 'copy (select pay from salaries) to stdout');
    expect((await intern.query('select note from board')).rows).toEqual([{ note: 'hello' }]);
    await sys.query('GRANT SELECT ON salaries TO intern');
    expect(
      (await intern.query('select note from board where exists (select 1 from salaries where pay > 5000)')).rows,
    ).toEqual([{ note: 'hello' }]);
  });

  it('lets a user with RESOURCE create tables it then owns and may grant', async () => {
    const clerk = await db.client({ user: 'clerk', password: 'clerk-pw' });
    await sys.query('GRANT RESOURCE TO clerk');
    await clerk.query('create table notes (id int primary key, body text)');
    await clerk.query("insert into notes values (1, 'mine')");
    const auditor = await db.client({ user: 'auditor', password: 'auditor-pw' });
    await refused(auditor, 'select * from notes');
    await clerk.query('GRANT SELECT ON notes TO auditor');
    expect((await auditor.query('select body from notes')).rows).toEqual([{ body: 'mine' }]);
    await refused(auditor, 'GRANT RESOURCE TO auditor');
    await clerk.query('drop table notes');
  });

  it('gives a DBA everything, and lets a user change only its own password', async () => {
    const auditor = await db.client({ user: 'auditor', password: 'auditor-pw' });
    await refused(auditor, "ALTER USER clerk IDENTIFIED BY 'taken-over'");
    await auditor.query("ALTER USER auditor IDENTIFIED BY 'auditor-pw2'");
    const again = await db.client({ user: 'auditor', password: 'auditor-pw2' });
    await refused(again, 'delete from ledger');
    await sys.query('GRANT DBA TO auditor');
    await again.query('delete from ledger where id = 2');
    expect((await again.query('select count(*)::int as n from ledger')).rows).toEqual([{ n: 1 }]);
  });
});
