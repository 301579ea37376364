// SQL conformance, Tandem's own part: EXPLAIN chooses key and index access paths, and the
// Tibero-style dynamic views (v$database, v$instance, v$datafile, v$tablespace, v$log,
// v$logfile, v$controlfile, v$session, v$transaction) and dictionary views (user_tables,
// user_tab_columns) answer, and change with ALTER SYSTEM CHECKPOINT / SWITCH LOGFILE.
// None of this exists in PostgreSQL, so the file is skipped when the suites run against it.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceTarget, openConformance, query, type Conformance } from './sql-conformance-harness.js';

let db: Conformance;
let other: pg.Client;

async function plan(sql: string): Promise<string> {
  const result = await query(db.client, `EXPLAIN ${sql}`);
  expect(result.columns).toEqual(['QUERY PLAN']);
  return result.rows.map((row) => row[0]).join('\n');
}

async function one(sql: string): Promise<Record<string, string | null>> {
  const result = await query(db.client, sql);
  expect(result.rows).toHaveLength(1);
  return Object.fromEntries(result.columns.map((name, i) => [name, result.rows[0][i]]));
}

describe.skipIf(conformanceTarget() !== 'tandem')('Tandem administration', () => {
  beforeAll(async () => {
    db = await openConformance();
    other = await db.connect();
    await query(
      db.client,
      'CREATE TABLE ad_accounts (aid int PRIMARY KEY, bid int NOT NULL, abalance int NOT NULL DEFAULT 0, filler char(84))',
    );
    await query(db.client, 'INSERT INTO ad_accounts (aid, bid) SELECT g, g % 10 FROM generate_series(1, 500) g');
    await query(db.client, 'CREATE INDEX ad_accounts_bid ON ad_accounts (bid)');
  });
  afterAll(async () => {
    await db.stop();
  });

  describe('EXPLAIN', () => {
    it('UPDATE by primary key is a key lookup, not a Seq Scan', async () => {
      const text = await plan('UPDATE ad_accounts SET abalance = abalance + 1 WHERE aid = 5');
      expect(text).toMatch(/^Update on ad_accounts/);
      expect(text).toContain('Primary Key Lookup on ad_accounts');
      expect(text).not.toContain('Seq Scan');
    });

    it('SELECT and DELETE by primary key are key lookups', async () => {
      expect(await plan('SELECT abalance FROM ad_accounts WHERE aid = 5')).toContain(
        'Primary Key Lookup on ad_accounts',
      );
      expect(await plan('SELECT * FROM ad_accounts WHERE aid = $1')).toContain('Primary Key Lookup on ad_accounts');
      expect(await plan('DELETE FROM ad_accounts WHERE aid = 5')).toContain('Primary Key Lookup on ad_accounts');
    });

    it('a primary key range is a range scan', async () => {
      for (const where of ['aid BETWEEN 10 AND 20', 'aid >= 10 AND aid < 20', 'aid > 490']) {
        const text = await plan(`SELECT * FROM ad_accounts WHERE ${where}`);
        expect(text, where).toContain('Primary Key Range Scan on ad_accounts');
        expect(text, where).not.toContain('Seq Scan');
      }
    });

    it('equality on an indexed column uses the index', async () => {
      const text = await plan('SELECT aid FROM ad_accounts WHERE bid = 3');
      expect(text).toContain('Index Scan using ad_accounts_bid on ad_accounts');
      expect(text).not.toContain('Seq Scan');
    });

    it('a condition on an unindexed column is a Seq Scan with a filter', async () => {
      const text = await plan('SELECT aid FROM ad_accounts WHERE abalance = 3');
      expect(text).toContain('Seq Scan on ad_accounts');
      expect(text).toContain('Filter');
    });

    it('the plans give the right rows', async () => {
      await query(db.client, 'UPDATE ad_accounts SET abalance = abalance + 1 WHERE aid = 5');
      expect((await query(db.client, 'SELECT abalance FROM ad_accounts WHERE aid = 5')).rows).toEqual([['1']]);
      expect((await query(db.client, 'SELECT count(*) FROM ad_accounts WHERE aid BETWEEN 10 AND 20')).rows).toEqual([
        ['11'],
      ]);
      expect((await query(db.client, 'SELECT count(*), min(aid) FROM ad_accounts WHERE bid = 3')).rows).toEqual([
        ['50', '3'],
      ]);
    });
  });

  describe('v$ views', () => {
    it('v$database', async () => {
      const row = await one(
        'SELECT name, log_mode, open_mode, current_tsn, checkpoint_tsn, resetlogs_tsn FROM v$database',
      );
      expect(row).toMatchObject({
        name: 'tandem',
        log_mode: 'NOARCHIVELOG',
        open_mode: 'READ WRITE',
        resetlogs_tsn: '0',
      });
      expect(Number(row.current_tsn)).toBeGreaterThan(0);
      expect(Number(row.checkpoint_tsn)).toBeGreaterThan(0);
      expect(Number(row.checkpoint_tsn)).toBeLessThanOrEqual(Number(row.current_tsn) + 1);
      // Column names fold to lower case; quoted upper case does not match, unquoted does.
      expect((await query(db.client, 'SELECT NAME, LOG_MODE FROM V$DATABASE')).rows).toEqual([
        ['tandem', 'NOARCHIVELOG'],
      ]);
    });

    it('v$instance is OPEN', async () => {
      const row = await one('SELECT instance_name, status FROM v$instance');
      expect(row).toEqual({ instance_name: 'tandem', status: 'OPEN' });
    });

    it('v$datafile and v$tablespace', async () => {
      const files = await query(db.client, 'SELECT file#, name, tablespace, status FROM v$datafile ORDER BY file#');
      expect(files.columns).toEqual(['file#', 'name', 'tablespace', 'status']);
      expect(files.rows.map((row) => row[2])).toEqual(['SYSTEM', 'UNDO', 'TEMP', 'USR']);
      expect(files.rows.map((row) => row[0])).toEqual(['1', '2', '3', '4']);
      for (const row of files.rows) expect(row[1]).toMatch(/\.dtf$/);
      const spaces = await query(db.client, 'SELECT ts#, name, type FROM v$tablespace ORDER BY ts#');
      expect(spaces.rows).toEqual([
        ['0', 'SYSTEM', 'SYSTEM'],
        ['1', 'UNDO', 'UNDO'],
        ['2', 'TEMP', 'TEMP'],
        ['3', 'USR', 'USER'],
      ]);
    });

    it('v$log, v$logfile and v$controlfile', async () => {
      const logs = await query(
        db.client,
        'SELECT group#, sequence#, members, status, first_tsn FROM v$log ORDER BY group#',
      );
      expect(logs.columns).toEqual(['group#', 'sequence#', 'members', 'status', 'first_tsn']);
      expect(logs.rows).toHaveLength(3);
      expect(logs.rows.filter((row) => row[3] === 'CURRENT')).toHaveLength(1);
      for (const row of logs.rows) expect(row[2]).toBe('1');
      const members = await query(db.client, 'SELECT group#, type, member FROM v$logfile ORDER BY group#');
      expect(members.rows.map((row) => [row[0], row[1]])).toEqual([
        ['1', 'ONLINE'],
        ['2', 'ONLINE'],
        ['3', 'ONLINE'],
      ]);
      for (const row of members.rows) expect(row[2]).toMatch(/redo0\d\w?\.log$/);
      const controls = await query(db.client, 'SELECT name FROM v$controlfile');
      expect(controls.rows.length).toBeGreaterThanOrEqual(2);
      for (const row of controls.rows) expect(row[0]).toMatch(/\.ctl$/);
    });

    it('ALTER SYSTEM SWITCH LOGFILE moves CURRENT to the next group', async () => {
      const before = await one("SELECT group#, sequence#, first_tsn FROM v$log WHERE status = 'CURRENT'");
      expect((await query(db.client, 'ALTER SYSTEM SWITCH LOGFILE')).command).toBe('ALTER');
      const after = await one("SELECT group#, sequence#, first_tsn FROM v$log WHERE status = 'CURRENT'");
      expect(after['group#']).not.toBe(before['group#']);
      expect(Number(after['sequence#'])).toBe(Number(before['sequence#']) + 1);
      expect(Number(after.first_tsn)).toBeGreaterThan(Number(before.first_tsn));
      const old = await one(`SELECT status, next_tsn FROM v$log WHERE group# = ${before['group#']}`);
      expect(['ACTIVE', 'INACTIVE']).toContain(old.status);
      expect(old.next_tsn).toBe(after.first_tsn);
    });

    it('ALTER SYSTEM CHECKPOINT advances CHECKPOINT_TSN and frees the old group', async () => {
      await query(db.client, 'UPDATE ad_accounts SET abalance = abalance + 1 WHERE aid < 50');
      const before = await one('SELECT current_tsn, checkpoint_tsn FROM v$database');
      expect(Number(before.checkpoint_tsn)).toBeLessThanOrEqual(Number(before.current_tsn));
      expect((await query(db.client, 'ALTER SYSTEM CHECKPOINT')).command).toBe('ALTER');
      const after = await one('SELECT current_tsn, checkpoint_tsn FROM v$database');
      expect(Number(after.checkpoint_tsn)).toBeGreaterThan(Number(before.checkpoint_tsn));
      expect(Number(after.checkpoint_tsn)).toBeGreaterThan(Number(before.current_tsn));
      expect(Number(after.checkpoint_tsn)).toBeLessThanOrEqual(Number(after.current_tsn) + 1);
      const statuses = await query(db.client, 'SELECT status FROM v$log ORDER BY group#');
      expect(statuses.rows.map((row) => row[0])).not.toContain('ACTIVE');
      const files = await query(db.client, 'SELECT min(checkpoint_tsn) FROM v$datafile');
      expect(Number(files.rows[0][0])).toBeGreaterThanOrEqual(Number(after.checkpoint_tsn));
    });

    it('v$session lists this session and the other one', async () => {
      await query(db.client, "SET application_name = 'conformance-admin'");
      const sessions = await query(
        db.client,
        "SELECT sid, username, status, program, sql_text FROM v$session WHERE program = 'conformance-admin'",
      );
      expect(sessions.rows).toHaveLength(1);
      const [, username, status, , sqlText] = sessions.rows[0];
      expect(username).toBe('sys');
      expect(status).toBe('ACTIVE');
      expect(sqlText).toContain('FROM v$session');
      expect((await query(db.client, 'SELECT count(*) >= 2 FROM v$session')).rows).toEqual([['t']]);
    });

    it('v$transaction shows an open transaction once it has written', async () => {
      await query(other, 'BEGIN');
      await query(other, 'SELECT 1');
      expect((await query(db.client, 'SELECT count(*) FROM v$transaction')).rows).toEqual([['0']]);
      await query(other, 'UPDATE ad_accounts SET abalance = 0 WHERE aid = 1');
      const open = await query(db.client, 'SELECT xid, username, status FROM v$transaction');
      expect(open.rows).toHaveLength(1);
      expect(open.rows[0].slice(1)).toEqual(['sys', 'ACTIVE']);
      const holder = await query(db.client, 'SELECT count(*) FROM v$session WHERE xid = $1', [open.rows[0][0]]);
      expect(holder.rows).toEqual([['1']]);
      await query(other, 'COMMIT');
      expect((await query(db.client, 'SELECT count(*) FROM v$transaction')).rows).toEqual([['0']]);
    });
  });

  describe('dictionary views', () => {
    it('user_tables and user_tab_columns describe a new table', async () => {
      await query(
        db.client,
        'CREATE TABLE ad_dict (id int PRIMARY KEY, name varchar(20) NOT NULL, amount numeric(10,2))',
      );
      const tables = await query(
        db.client,
        "SELECT table_name, tablespace_name FROM user_tables WHERE table_name = 'ad_dict'",
      );
      expect(tables.rows).toEqual([['ad_dict', 'USR']]);
      const columns = await query(
        db.client,
        "SELECT column_name, data_type, nullable, column_id FROM user_tab_columns WHERE table_name = 'ad_dict' ORDER BY column_id",
      );
      expect(columns.rows).toEqual([
        ['id', 'integer', 'N', '1'],
        ['name', 'character varying(20)', 'N', '2'],
        ['amount', 'numeric(10,2)', 'Y', '3'],
      ]);
      await query(db.client, 'DROP TABLE ad_dict');
      expect((await query(db.client, "SELECT count(*) FROM user_tables WHERE table_name = 'ad_dict'")).rows).toEqual([
        ['0'],
      ]);
    });
  });
});
