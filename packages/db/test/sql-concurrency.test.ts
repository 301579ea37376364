// Concurrency as applications rely on it, through several node-postgres connections to the
// real server: no dirty reads, no lost updates, readers never blocked by writers, one
// snapshot per statement (one per transaction in REPEATABLE READ, with 40001 on a
// conflicting change), READ COMMITTED's re-check after a wait, deadlock detection, lock
// timeouts and a CancelRequest ending a lock wait. Nothing here depends on how fast anything runs: a statement that must
// wait is shown to be waiting by the server's own v$session (and by its promise still
// being pending after another statement has completed), and only then released.
import { connect } from 'node:net';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './sql-server.js';

let db: TestServer;
/** A connection for setting up tables and for watching v$session. */
let admin: pg.Client;

beforeAll(async () => {
  // A small buffer cache: scans read blocks from the files, so other sessions run in between.
  // The server's lock timeout is an hour: a wait ends only as a test means it to.
  db = await startTestServer({ bufferCacheMb: 1, lockTimeoutMs: 3_600_000 });
  admin = await db.client();
});

afterAll(async () => {
  await db?.stop();
});

/** A statement sent and not awaited yet: its outcome, and whether it has arrived. */
interface InFlight<T> {
  readonly outcome: Promise<{ ok: true; value: T } | { ok: false; error: pg.DatabaseError }>;
  settled(): boolean;
}

function send<T>(promise: Promise<T>): InFlight<T> {
  let done = false;
  const outcome = promise.then(
    (value) => ({ ok: true as const, value }),
    (error: pg.DatabaseError) => ({ ok: false as const, error }),
  );
  void outcome.finally(() => (done = true));
  return { outcome, settled: () => done };
}

async function value<T>(inFlight: InFlight<T>): Promise<T> {
  const result = await inFlight.outcome;
  if (!result.ok) throw result.error;
  return result.value;
}

async function failure(inFlight: InFlight<unknown>): Promise<pg.DatabaseError> {
  const result = await inFlight.outcome;
  if (result.ok) throw new Error('expected the statement to fail, but it succeeded');
  return result.error;
}

/**
 * Waits until the server shows `sql` running in a session (it has started and not finished)
 * while `inFlight` has not come back. Fails if the statement finishes first.
 */
async function waitUntilRunning(sql: string, inFlight: InFlight<unknown>, watcher: pg.Client = admin): Promise<void> {
  while (!inFlight.settled()) {
    const seen = await watcher.query(
      "select count(*)::int as n from v$session where status = 'ACTIVE' and sql_text = $1",
      [sql],
    );
    if ((seen.rows[0] as { n: number }).n >= 1) break;
  }
  // One more completed statement on another session, and the statement is still not back.
  await watcher.query('select 1');
  if (inFlight.settled()) {
    const result = await inFlight.outcome;
    throw new Error(
      `expected "${sql}" to wait, but it finished: ${result.ok ? 'ok' : `${result.error.code} ${result.error.message}`}`,
    );
  }
}

/** `holder` opens a block and runs `holding`; `waiter` then sends `sql`, which must wait behind it. */
async function blockedBehind(
  holder: pg.Client,
  holding: string,
  waiter: pg.Client,
  sql: string,
): Promise<InFlight<pg.QueryResult>> {
  await holder.query('BEGIN');
  await holder.query(holding);
  const waiting = send(waiter.query(sql));
  await waitUntilRunning(sql, waiting);
  return waiting;
}

/** Sends a CancelRequest for `client`'s session on its own socket, as libpq's PQcancel does. */
function cancel(client: pg.Client): Promise<void> {
  const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: db.port }, () => {
      const packet = Buffer.alloc(16);
      packet.writeInt32BE(16, 0);
      packet.writeInt32BE(80877102, 4);
      packet.writeInt32BE(processID, 8);
      packet.writeInt32BE(secretKey, 12);
      socket.end(packet);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve());
    socket.resume();
  });
}

async function single<T>(client: pg.Client, sql: string, params: unknown[] = []): Promise<T> {
  const result = await client.query(sql, params);
  expect(result.rows).toHaveLength(1);
  return Object.values(result.rows[0] as Record<string, unknown>)[0] as T;
}

describe('isolation between a writer and readers', () => {
  it('never shows uncommitted changes (no dirty read)', async () => {
    const a = await db.client();
    const b = await db.client();
    await admin.query("create table dirty_t (id int primary key, v text); insert into dirty_t values (1, 'old')");
    await a.query('BEGIN');
    await a.query("update dirty_t set v = 'new' where id = 1");
    await a.query("insert into dirty_t values (2, 'phantom')");
    expect(await single<string>(a, 'select v from dirty_t where id = 1')).toBe('new');
    expect((await b.query('select id, v from dirty_t order by id')).rows).toEqual([{ id: 1, v: 'old' }]);
    expect(await single<string>(b, 'select v from dirty_t where id = $1', [1])).toBe('old');
    await a.query('COMMIT');
    expect((await b.query('select id, v from dirty_t order by id')).rows).toEqual([
      { id: 1, v: 'new' },
      { id: 2, v: 'phantom' },
    ]);
    // And a rolled-back change is never seen at all.
    await a.query('BEGIN');
    await a.query("update dirty_t set v = 'never' where id = 1");
    expect(await single<string>(b, 'select v from dirty_t where id = 1')).toBe('new');
    await a.query('ROLLBACK');
    expect(await single<string>(b, 'select v from dirty_t where id = 1')).toBe('new');
  });

  it('a reader is not blocked by a writer holding the row lock', async () => {
    const a = await db.client();
    const b = await db.client();
    await admin.query(
      'create table reader_t (id int primary key, v int); insert into reader_t values (1, 10), (2, 20)',
    );
    await a.query('BEGIN');
    await a.query('update reader_t set v = 11 where id = 1');
    // A still holds the lock (its block is open and nothing below ends it until B has its answer).
    const read = send(b.query('select v from reader_t where id = 1'));
    const scan = send(b.query('select sum(v)::int as s from reader_t'));
    const order: string[] = [];
    const readDone = read.outcome.then(() => order.push('B read'));
    const scanDone = scan.outcome.then(() => order.push('B scan'));
    await Promise.all([readDone, scanDone]);
    order.push('A commit');
    await a.query('COMMIT');
    expect(order).toEqual(['B read', 'B scan', 'A commit']);
    expect((await value(read)).rows).toEqual([{ v: 10 }]);
    expect((await value(scan)).rows).toEqual([{ s: 30 }]);
    expect(await single<number>(b, 'select v from reader_t where id = 1')).toBe(11);
  });

  it('a reader inside a block sees the newest committed data at each statement (READ COMMITTED)', async () => {
    const a = await db.client();
    const b = await db.client();
    await admin.query('create table rc_t (id int primary key, v int); insert into rc_t values (1, 1)');
    await b.query('BEGIN');
    expect(await single<number>(b, 'select v from rc_t where id = 1')).toBe(1);
    await a.query('update rc_t set v = 2 where id = 1');
    expect(await single<number>(b, 'select v from rc_t where id = 1')).toBe(2);
    await b.query('COMMIT');
  });
});

describe('REPEATABLE READ, SERIALIZABLE and READ ONLY', () => {
  it('a REPEATABLE READ block sees one snapshot from its first query to its end', async () => {
    const a = await db.client();
    const b = await db.client();
    await admin.query('create table rr_t (id int primary key, v int); insert into rr_t values (1, 1)');
    await b.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    expect(await single<string>(b, 'show transaction_isolation')).toBe('repeatable read');
    expect(await single<number>(b, 'select v from rr_t where id = 1')).toBe(1);
    const snapshotTsn = Number(await single<string>(b, 'show snapshot_tsn'));
    await a.query('update rr_t set v = 2 where id = 1');
    await a.query('insert into rr_t values (2, 2)');
    expect(await single<number>(b, 'select v from rr_t where id = 1')).toBe(1);
    // The snapshot is consistent as of one TSN, which stays while others commit.
    expect(Number(await single<string>(b, 'show snapshot_tsn'))).toBe(snapshotTsn);
    expect(Number(await single<string>(a, 'show snapshot_tsn'))).toBeGreaterThan(snapshotTsn);
    expect(await single<string>(b, 'select count(*) from rr_t')).toBe('1');
    // Its own changes it sees.
    await b.query('insert into rr_t values (3, 3)');
    expect(await single<string>(b, 'select count(*) from rr_t')).toBe('2');
    await b.query('COMMIT');
    expect(await single<string>(b, 'select count(*) from rr_t')).toBe('3');
    expect(await single<string>(b, 'show transaction_isolation')).toBe('read committed');
  });

  it('changing a row another transaction changed since the snapshot fails with 40001', async () => {
    const a = await db.client();
    const b = await db.client();
    await admin.query('create table ser_t (id int primary key, v int); insert into ser_t values (1, 1), (2, 2)');
    await b.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
    expect(await single<number>(b, 'select v from ser_t where id = 1')).toBe(1);
    await a.query('update ser_t set v = 10 where id = 1');
    await expect(b.query('update ser_t set v = v + 1 where id = 1')).rejects.toMatchObject({
      code: '40001',
      message: 'TDB-5016: could not serialize access due to concurrent update',
    });
    await b.query('ROLLBACK');

    // A row untouched since the snapshot updates fine; a concurrently deleted one fails.
    await b.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    expect(await single<string>(b, 'select count(*) from ser_t')).toBe('2');
    await a.query('delete from ser_t where id = 1');
    await b.query('update ser_t set v = v + 1 where id = 2');
    await expect(b.query('delete from ser_t where id = 1')).rejects.toMatchObject({
      code: '40001',
      message: 'TDB-5016: could not serialize access due to concurrent delete',
    });
    await b.query('ROLLBACK');
    expect(await single<number>(admin, 'select v from ser_t where id = 2')).toBe(2);

    // A writer that waited for the row lock of a transaction that then committed fails too.
    await b.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await b.query('select 1 from ser_t');
    const blocked = await blockedBehind(
      a,
      'update ser_t set v = 20 where id = 2',
      b,
      'update ser_t set v = 30 where id = 2',
    );
    await a.query('COMMIT');
    expect((await failure(blocked)).code).toBe('40001');
    await b.query('ROLLBACK');
    expect(await single<number>(admin, 'select v from ser_t where id = 2')).toBe(20);
  });

  it('READ ONLY refuses changes with 25006; SET TRANSACTION comes before the first query', async () => {
    const b = await db.client();
    await admin.query('create table ro_t (id int primary key)');
    await b.query('BEGIN READ ONLY');
    expect(await single<string>(b, 'show transaction_read_only')).toBe('on');
    await expect(b.query('insert into ro_t values (1)')).rejects.toMatchObject({ code: '25006' });
    await b.query('ROLLBACK');
    await b.query('BEGIN');
    await b.query('SET TRANSACTION READ ONLY');
    await expect(b.query('create table ro_u (n int)')).rejects.toMatchObject({ code: '25006' });
    await b.query('ROLLBACK');
    await b.query('BEGIN');
    await b.query('select 1');
    await expect(b.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ')).rejects.toMatchObject({ code: '25001' });
    await b.query('ROLLBACK');
    await b.query('SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    await b.query('BEGIN');
    expect(await single<string>(b, 'show transaction_isolation')).toBe('repeatable read');
    await expect(b.query('delete from ro_t')).rejects.toMatchObject({ code: '25006' });
    await b.query('ROLLBACK');
    await b.query("SET default_transaction_read_only = 'off'");
    await b.query('insert into ro_t values (1)');
    await expect(b.query("SET default_transaction_isolation = 'bogus'")).rejects.toMatchObject({ code: '22023' });
  });
});

describe('writers', () => {
  it('loses no update: N clients × 50 transactions of n = n + 1', async () => {
    const clients = 6;
    const transactions = 50;
    await admin.query('create table counters (id int primary key, n int not null); insert into counters values (1, 0)');
    const connections = await Promise.all(Array.from({ length: clients }, () => db.client()));
    const errors: string[] = [];
    await Promise.all(
      connections.map(async (client) => {
        for (let i = 0; i < transactions; i++) {
          try {
            await client.query('BEGIN');
            await client.query('UPDATE counters SET n = n + 1 WHERE id = 1');
            await client.query('COMMIT');
          } catch (error) {
            errors.push(String(error));
            await client.query('ROLLBACK');
          }
        }
      }),
    );
    expect(errors).toEqual([]);
    expect(await single<number>(admin, 'select n from counters where id = 1')).toBe(clients * transactions);
    // The same in autocommit mode, through the extended protocol.
    await Promise.all(
      connections.map(async (client) => {
        for (let i = 0; i < transactions; i++) await client.query('UPDATE counters SET n = n + $1 WHERE id = 1', [1]);
      }),
    );
    expect(await single<number>(admin, 'select n from counters where id = 1')).toBe(2 * clients * transactions);
  });

  it('a waiting writer re-checks its WHERE on the committed row (READ COMMITTED)', async () => {
    const a = await db.client();
    const b = await db.client();
    await admin.query(
      'create table recheck_t (id int primary key, v int not null); insert into recheck_t values (1, 1)',
    );
    const blocked = await blockedBehind(
      a,
      'UPDATE recheck_t SET v = v + 1 WHERE id = 1',
      b,
      'UPDATE recheck_t SET v = v * 10 WHERE id = 1 AND v = 1',
    );
    await a.query('COMMIT');
    expect((await value(blocked)).rowCount).toBe(0);
    expect(await single<number>(admin, 'select v from recheck_t where id = 1')).toBe(2);

    // Still matching after the wait: the update applies to the newest version (2 → 30, not 1 → 10).
    const second = await blockedBehind(
      a,
      'UPDATE recheck_t SET v = v + 1 WHERE id = 1',
      b,
      'UPDATE recheck_t SET v = v * 10 WHERE id = 1 AND v > 0',
    );
    await a.query('COMMIT');
    expect((await value(second)).rowCount).toBe(1);
    expect(await single<number>(admin, 'select v from recheck_t where id = 1')).toBe(30);

    // A DELETE that waited on a row the holder deleted deletes nothing.
    const third = await blockedBehind(a, 'DELETE FROM recheck_t WHERE id = 1', b, 'DELETE FROM recheck_t WHERE id = 1');
    await a.query('COMMIT');
    expect((await value(third)).rowCount).toBe(0);
  });

  it('detects a deadlock: one side gets 40P01, the other proceeds', async () => {
    const a = await db.client();
    const b = await db.client();
    await admin.query(
      'create table deadlock_t (id int primary key, v int not null); insert into deadlock_t values (1, 0), (2, 0)',
    );
    await a.query('BEGIN');
    await b.query('BEGIN');
    await a.query('UPDATE deadlock_t SET v = v + 1 WHERE id = 1');
    await b.query('UPDATE deadlock_t SET v = v + 10 WHERE id = 2');
    const aSql = 'UPDATE deadlock_t SET v = v + 1 WHERE id = 2';
    const aWaits = send(a.query(aSql));
    await waitUntilRunning(aSql, aWaits);
    const bCloses = send(b.query('UPDATE deadlock_t SET v = v + 10 WHERE id = 1'));
    // One of the two is chosen; it fails with 40P01 and its block must be rolled back.
    const first = await Promise.race([
      aWaits.outcome.then((outcome) => ({ who: 'a' as const, outcome })),
      bCloses.outcome.then((outcome) => ({ who: 'b' as const, outcome })),
    ]);
    expect(first.outcome.ok, 'the statement that came back first is the deadlock victim').toBe(false);
    const victim = first.who === 'a' ? a : b;
    const survivor = first.who === 'a' ? b : a;
    const survivorStatement = first.who === 'a' ? bCloses : aWaits;
    const error = first.outcome.ok ? undefined : first.outcome.error;
    expect(error?.code).toBe('40P01');
    expect(error?.message).toMatch(/TDB-/);
    expect(survivorStatement.settled()).toBe(false);
    await victim.query('ROLLBACK');
    expect((await value(survivorStatement)).rowCount).toBe(1);
    await survivor.query('COMMIT');
    const rows = (await admin.query('select id, v from deadlock_t order by id')).rows;
    expect(rows).toEqual(
      first.who === 'b'
        ? [
            { id: 1, v: 1 },
            { id: 2, v: 1 },
          ]
        : [
            { id: 1, v: 10 },
            { id: 2, v: 10 },
          ],
    );
  });
});

describe('statement-level read consistency', () => {
  it('every SUM over all accounts equals the total while transfers run concurrently', async () => {
    const accounts = 20_000;
    const total = accounts * 100;
    await admin.query('create table accounts (id int primary key, balance int not null, filler text)');
    await admin.query(`insert into accounts select g, 100, repeat('x', 60) from generate_series(1, ${accounts}) g`);
    expect(await single<number>(admin, 'select sum(balance)::int from accounts')).toBe(total);

    const movers = await Promise.all([db.client(), db.client()]);
    const summer = await db.client();
    let stop = false;
    let transfers = 0;
    const moverErrors: string[] = [];
    const move = async (client: pg.Client, seed: number): Promise<void> => {
      let state = seed;
      const next = (): number => (state = (state * 1103515245 + 12345) % 2147483648);
      while (!stop) {
        // From the first rows to the last ones: a scan reads them far apart.
        const from = 1 + (next() % 50);
        const to = accounts - (next() % 50);
        const amount = 1 + (next() % 20);
        try {
          if (next() % 2 === 0) {
            await client.query('BEGIN');
            await client.query('update accounts set balance = balance - $2 where id = $1', [from, amount]);
            await client.query('update accounts set balance = balance + $2 where id = $1', [to, amount]);
            await client.query('COMMIT');
          } else {
            // One statement moving money between two rows.
            await client.query(
              'update accounts set balance = balance + case when id = $1 then -$3::int else $3::int end where id in ($1, $2)',
              [from, to, amount],
            );
          }
          transfers++;
        } catch (error) {
          const code = (error as pg.DatabaseError).code;
          await client.query('ROLLBACK');
          if (code !== '40P01') moverErrors.push(String(error));
        }
      }
    };
    const running = movers.map((client, i) => move(client, i + 1));
    const sums: number[] = [];
    let overlapped = 0;
    try {
      for (let i = 0; i < 30; i++) {
        const before = transfers;
        sums.push(await single<number>(summer, 'select sum(balance)::int from accounts'));
        if (transfers > before) overlapped++;
        // Each sum also in a block, and with the extended protocol.
        sums.push(await single<number>(summer, 'select sum(balance)::int from accounts where id > $1', [0]));
      }
    } finally {
      stop = true;
      await Promise.all(running);
    }
    expect(moverErrors).toEqual([]);
    expect(
      sums.every((sum) => sum === total),
      `sums seen: ${[...new Set(sums)].join(', ')}`,
    ).toBe(true);
    expect(transfers).toBeGreaterThan(0);
    // The test means something only if transfers committed while sums were running.
    expect(overlapped).toBeGreaterThan(0);
    expect(await single<number>(admin, 'select sum(balance)::int from accounts')).toBe(total);
  }, 300_000);
});

describe('lock timeouts', () => {
  it('SET lock_timeout ends a wait for a row lock with 55P03', async () => {
    // The server's own timeout is far away: only the session setting can end this wait.
    const a = await db.client();
    const b = await db.client();
    await admin.query('create table lt_row_t (id int primary key, v int); insert into lt_row_t values (1, 0)');
    await a.query('BEGIN');
    await a.query('update lt_row_t set v = 1 where id = 1');
    await b.query('SET lock_timeout = 200');
    const error = await failure(send(b.query('update lt_row_t set v = 2 where id = 1')));
    expect(error.code).toBe('55P03');
    expect(error.message).toMatch(/TDB-/);
    await a.query('COMMIT');
    // B works afterwards, and its failed statement changed nothing.
    expect(await single<number>(b, 'select v from lt_row_t where id = 1')).toBe(1);
    expect((await b.query('update lt_row_t set v = 3 where id = 1')).rowCount).toBe(1);
  }, 60_000);

  it('SET lock_timeout ends a wait for a table lock (DDL behind a reader) with 55P03', async () => {
    const a = await db.client();
    const b = await db.client();
    await admin.query('create table lt_table_t (id int primary key); insert into lt_table_t values (1)');
    await a.query('BEGIN');
    await a.query('select * from lt_table_t');
    await b.query("SET lock_timeout = '200ms'");
    const error = await failure(send(b.query('truncate lt_table_t')));
    expect(error.code).toBe('55P03');
    await a.query('COMMIT');
    expect(await single<number>(b, 'select count(*)::int from lt_table_t')).toBe(1);
  });

  it('the server lockTimeoutMs ends a row lock wait with 55P03', async () => {
    const other = await startTestServer({ lockTimeoutMs: 300 });
    try {
      const a = await other.client();
      const b = await other.client();
      await a.query('create table lt_server_t (id int primary key, v int); insert into lt_server_t values (1, 0)');
      await a.query('BEGIN');
      await a.query('update lt_server_t set v = 1 where id = 1');
      const sql = 'update lt_server_t set v = 2 where id = 1';
      const waiting = send(b.query(sql));
      const error = await failure(waiting);
      expect(error.code).toBe('55P03');
      expect(error.message).toMatch(/TDB-/);
      await a.query('COMMIT');
      expect((await b.query(sql)).rowCount).toBe(1);
    } finally {
      await other.stop();
    }
  });
});

describe('cancel while waiting for a lock', () => {
  it('a CancelRequest ends a wait for a table lock with 57014', async () => {
    const a = await db.client();
    const b = await db.client();
    await admin.query('create table cancel_table_t (id int primary key); insert into cancel_table_t values (1)');
    const waiting = await blockedBehind(a, 'select * from cancel_table_t', b, 'truncate cancel_table_t');
    await cancel(b);
    const error = await failure(waiting);
    expect(error.code).toBe('57014');
    await a.query('COMMIT');
    expect(await single<number>(b, 'select count(*)::int from cancel_table_t')).toBe(1);
  });

  it('a CancelRequest ends a wait for a row lock with 57014', async () => {
    const a = await db.client();
    const b = await db.client();
    await admin.query('create table cancel_row_t (id int primary key, v int); insert into cancel_row_t values (1, 0)');
    const waiting = await blockedBehind(
      a,
      'update cancel_row_t set v = 1 where id = 1',
      b,
      'update cancel_row_t set v = 2 where id = 1',
    );
    await cancel(b);
    // Only the cancel can end this wait: A keeps its lock until B's statement is back.
    const error = await failure(waiting);
    expect(error.code).toBe('57014');
    await a.query('COMMIT');
    expect(await single<number>(b, 'select v from cancel_row_t where id = 1')).toBe(1);
  }, 60_000);
});
