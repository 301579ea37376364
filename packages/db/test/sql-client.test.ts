// What applications see through node-postgres (and psql for COPY) against the real server:
// the simple and extended protocols, typed parameters, named prepared statements reused,
// a pool under concurrent load, transaction blocks, SQLSTATEs with TDB- messages, the
// CancelRequest, COPY in both directions with awkward text, and authentication.
import { connect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './sql-server.js';

let db: TestServer;
let sys: pg.Client;

beforeAll(async () => {
  db = await startTestServer();
  sys = await db.client();
});

afterAll(async () => {
  await db?.stop();
});

/** The error a promise rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<pg.DatabaseError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as pg.DatabaseError;
  }
  throw new Error('expected the statement to fail, but it succeeded');
}

/** The BackendKeyData node-postgres keeps (not in its type declarations). */
function backendKey(client: pg.Client): { processID: number; secretKey: number } {
  const { processID, secretKey } = client as unknown as { processID: number | null; secretKey: number | null };
  if (processID === null || secretKey === null) throw new Error('the client has no BackendKeyData');
  return { processID, secretKey };
}

/** Sends a CancelRequest on its own socket, as libpq's PQcancel does, and waits for the server to close it. */
function sendCancelRequest(port: number, processId: number, secretKey: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      const packet = Buffer.alloc(16);
      packet.writeInt32BE(16, 0);
      packet.writeInt32BE(80877102, 4);
      packet.writeInt32BE(processId, 8);
      packet.writeInt32BE(secretKey, 12);
      socket.end(packet);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve());
    socket.resume();
  });
}

describe('node-postgres: queries', () => {
  it('runs simple queries (several statements in one string, DDL, DML)', async () => {
    const one = await sys.query("select 1 as one, 'two' as two, 3.5 as three");
    expect(one.rows).toEqual([{ one: 1, two: 'two', three: '3.5' }]);
    expect(one.fields.map((field) => field.name)).toEqual(['one', 'two', 'three']);

    await sys.query('create table simple_t (id int primary key, name text not null)');
    const insert = await sys.query("insert into simple_t values (1, 'a'), (2, 'b'), (3, 'c')");
    expect(insert.command).toBe('INSERT');
    expect(insert.rowCount).toBe(3);
    const update = await sys.query("update simple_t set name = name || '!' where id >= 2");
    expect(update.rowCount).toBe(2);
    // A multi-statement string: node-postgres returns one result per statement.
    const results = (await sys.query(
      'delete from simple_t where id = 1; select id, name from simple_t order by id',
    )) as unknown as pg.QueryResult[];
    expect(results).toHaveLength(2);
    expect(results[0].rowCount).toBe(1);
    expect(results[1].rows).toEqual([
      { id: 2, name: 'b!' },
      { id: 3, name: 'c!' },
    ]);
  });

  it('binds text parameters of every common type, NULL included (extended protocol)', async () => {
    await sys.query(
      'create table params_t (id int primary key, name text, amount numeric(12,2), at timestamp, data bytea, big bigint)',
    );
    const bytes = Buffer.from([0, 1, 2, 0x5c, 0x27, 0xff, 0x0a]);
    const sql = 'insert into params_t (id, name, amount, at, data, big) values ($1, $2, $3, $4, $5, $6)';
    await sys.query(sql, [1, "O'Brien \\ \t tab", '12345.67', '2024-02-29 13:45:06.123456', bytes, '9007199254740993']);
    await sys.query(sql, [2, null, null, null, null, null]);
    const row = await sys.query(
      'select id, name, amount, at::text as at, data, big::text as big from params_t where id = $1',
      [1],
    );
    expect(row.rows).toEqual([
      {
        id: 1,
        name: "O'Brien \\ \t tab",
        amount: '12345.67',
        at: '2024-02-29 13:45:06.123456',
        data: bytes,
        big: '9007199254740993',
      },
    ]);
    const nulls = await sys.query('select name, amount, at, data, big from params_t where id = $1', [2]);
    expect(nulls.rows).toEqual([{ name: null, amount: null, at: null, data: null, big: null }]);
    // A JavaScript Date goes out as a timestamptz text parameter and comes back as the same instant.
    const instant = new Date('2024-06-01T12:34:56.789Z');
    const roundTrip = await sys.query('select $1::timestamptz as t, $2::numeric * 2 as n, $3::int + 1 as i', [
      instant,
      '0.1',
      41,
    ]);
    expect(roundTrip.rows).toEqual([{ t: instant, n: '0.2', i: 42 }]);
    // Parameters in WHERE, with a NULL compared (matches nothing) and IS NULL through a parameter.
    const none = await sys.query('select id from params_t where name = $1', [null]);
    expect(none.rowCount).toBe(0);
    const isNull = await sys.query('select id from params_t where name is null and id = $1::int', ['2']);
    expect(isNull.rows).toEqual([{ id: 2 }]);
    // A parameter that is not of the column's type is an error with its SQLSTATE, not a crash.
    const bad = await failure(sys.query('select id from params_t where id = $1', ['not a number']));
    expect(bad.code).toBe('22P02');
  });

  it('reuses named prepared statements', async () => {
    await sys.query('create table prepared_t (id int primary key, label text)');
    for (let i = 1; i <= 25; i++) {
      const result = await sys.query({
        name: 'prepared-insert',
        text: 'insert into prepared_t (id, label) values ($1, $2)',
        values: [i, `label ${i}`],
      });
      expect(result.rowCount).toBe(1);
    }
    for (const i of [1, 13, 25]) {
      const result = await sys.query({
        name: 'prepared-get',
        text: 'select label from prepared_t where id = $1',
        values: [i],
      });
      expect(result.rows).toEqual([{ label: `label ${i}` }]);
    }
    const count = await sys.query({ name: 'prepared-count', text: 'select count(*)::int as n from prepared_t' });
    expect(count.rows).toEqual([{ n: 25 }]);
    // A statement prepared before a DDL still works after it (re-planned).
    await sys.query('alter table prepared_t add column extra int');
    const again = await sys.query({
      name: 'prepared-get',
      text: 'select label from prepared_t where id = $1',
      values: [7],
    });
    expect(again.rows).toEqual([{ label: 'label 7' }]);
  });

  it('serves a pool of 10 connections running 200 concurrent inserts', async () => {
    await sys.query('create table pool_t (id int primary key, worker int not null)');
    const pool = new pg.Pool({
      host: '127.0.0.1',
      port: db.port,
      user: 'sys',
      password: db.password,
      database: 'tandem',
      max: 10,
    });
    pool.on('error', () => undefined);
    try {
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => pool.query('insert into pool_t values ($1, $2)', [i, i % 10])),
      );
      expect(results.every((result) => result.rowCount === 1)).toBe(true);
      expect(pool.totalCount).toBe(10);
      const count = await pool.query('select count(*)::int as n, count(distinct worker)::int as w from pool_t');
      expect(count.rows).toEqual([{ n: 200, w: 10 }]);
    } finally {
      await pool.end();
    }
    const seen = await sys.query('select count(*)::int as n, sum(id)::int as s from pool_t');
    expect(seen.rows).toEqual([{ n: 200, s: (199 * 200) / 2 }]);
  });
});

describe('node-postgres: transactions', () => {
  it('commits and rolls back blocks, and hides uncommitted rows from others', async () => {
    const other = await db.client();
    await sys.query('create table txn_t (id int primary key, v text)');

    await sys.query('BEGIN');
    await sys.query("insert into txn_t values (1, 'rolled back')");
    expect((await sys.query('select count(*)::int as n from txn_t')).rows).toEqual([{ n: 1 }]);
    await sys.query('ROLLBACK');
    expect((await sys.query('select count(*)::int as n from txn_t')).rows).toEqual([{ n: 0 }]);

    await sys.query('BEGIN');
    await sys.query("insert into txn_t values (2, 'committed')");
    await sys.query('insert into txn_t values ($1, $2)', [3, 'committed too']);
    expect((await other.query('select count(*)::int as n from txn_t')).rows).toEqual([{ n: 0 }]);
    await sys.query('COMMIT');
    expect((await other.query('select id from txn_t order by id')).rows).toEqual([{ id: 2 }, { id: 3 }]);
  });
});

describe('node-postgres: errors carry SQLSTATE and TDB- messages', () => {
  it('duplicate key is 23505', async () => {
    await sys.query('create table dup_t (id int primary key)');
    await sys.query('insert into dup_t values (1)');
    const error = await failure(sys.query('insert into dup_t values (1)'));
    expect(error.code).toBe('23505');
    expect(error.message).toMatch(/TDB-/);
    const viaParams = await failure(sys.query('insert into dup_t values ($1)', [1]));
    expect(viaParams.code).toBe('23505');
    expect(viaParams.message).toMatch(/TDB-/);
  });

  it('syntax error is 42601, undefined table is 42P01', async () => {
    const syntax = await failure(sys.query('selec 1'));
    expect(syntax.code).toBe('42601');
    expect(syntax.message).toMatch(/TDB-/);
    const undefinedTable = await failure(sys.query('select * from no_such_table'));
    expect(undefinedTable.code).toBe('42P01');
    expect(undefinedTable.message).toMatch(/TDB-/);
    const prepared = await failure(sys.query('select * from no_such_table where id = $1', [1]));
    expect(prepared.code).toBe('42P01');
    // The connection is fine afterwards.
    expect((await sys.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('a block fails after an error: 25P02 until ROLLBACK, which undoes the block', async () => {
    await sys.query('create table failed_block_t (id int primary key)');
    await sys.query('BEGIN');
    await sys.query('insert into failed_block_t values (1)');
    const first = await failure(sys.query('insert into failed_block_t values (1)'));
    expect(first.code).toBe('23505');
    const next = await failure(sys.query('select 1'));
    expect(next.code).toBe('25P02');
    expect(next.message).toMatch(/TDB-/);
    const extended = await failure(sys.query('select $1::int', [1]));
    expect(extended.code).toBe('25P02');
    const end = await sys.query('COMMIT');
    expect(end.command).toBe('ROLLBACK');
    expect((await sys.query('select count(*)::int as n from failed_block_t')).rows).toEqual([{ n: 0 }]);
  });
});

describe('node-postgres: cancel', () => {
  it('a CancelRequest stops a long query with 57014 and the connection works afterwards', async () => {
    const victim = await db.client();
    const watcher = await db.client();
    const sql = 'select count(*) from generate_series(1, 50000000)';
    let settled = false;
    const running = victim.query(sql).then(
      () => 'completed' as const,
      (error: pg.DatabaseError) => error,
    );
    void running.finally(() => (settled = true));
    // Wait (by observation, not by time) until the server runs the statement. If the
    // server cannot answer another session while the query runs, we see it only once the
    // query is over: the cancel then comes too late and the test fails below.
    while (!settled) {
      const seen = await watcher.query('select count(*)::int as n from v$session where sql_text = $1', [sql]);
      if ((seen.rows[0] as { n: number }).n === 1) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(settled, 'the query finished before another session could see it running').toBe(false);
    const { processID, secretKey } = backendKey(victim);
    await sendCancelRequest(db.port, processID, secretKey);
    const outcome = await running;
    expect(outcome).not.toBe('completed');
    const error = outcome as pg.DatabaseError;
    expect(error.code).toBe('57014');
    expect((await victim.query('select 41 + 1 as answer')).rows).toEqual([{ answer: 42 }]);
  }, 300_000);

  it('a CancelRequest with a wrong key is ignored', async () => {
    const victim = await db.client();
    const { processID, secretKey } = backendKey(victim);
    await victim.query('BEGIN');
    await sendCancelRequest(db.port, processID, secretKey ^ 0x5a5a5a5a);
    expect((await victim.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    await victim.query('COMMIT');
  });
});

describe('COPY through psql', () => {
  /** COPY's text format for a value. */
  function copyText(value: string | null): string {
    if (value === null) return '\\N';
    return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  }

  it('moves 10,000 rows with NULLs, tabs, backslashes and newlines in and out unchanged', async () => {
    await sys.query('create table copy_t (id int primary key, a text, b text, n numeric)');
    const rows: [number, string | null, string | null, string | null][] = [];
    for (let i = 1; i <= 10_000; i++) {
      const a = i % 7 === 0 ? null : `row ${i}\twith tab\\and backslash`;
      const b = i % 5 === 0 ? null : i % 3 === 0 ? `line one\nline two ${i}` : `plain ${i} \\N not null`;
      const n = i % 11 === 0 ? null : `${i}.${i % 100}`;
      rows.push([i, a, b, n]);
    }
    const text = rows.map(([id, a, b, n]) => `${id}\t${copyText(a)}\t${copyText(b)}\t${copyText(n)}\n`).join('');
    const copied = await db.run('psql', ['-X', '-v', 'ON_ERROR_STOP=1', db.url, '-c', 'COPY copy_t FROM STDIN'], {
      input: `${text}\\.\n`,
    });
    expect(copied.stderr).toBe('');
    expect(copied.code).toBe(0);
    expect(copied.stdout.trim()).toBe('COPY 10000');

    // Through node-postgres, row by row.
    const stored = await sys.query('select id, a, b, n::text as n from copy_t order by id');
    expect(stored.rowCount).toBe(10_000);
    expect(stored.rows).toEqual(rows.map(([id, a, b, n]) => ({ id, a, b, n })));
    const nulls = await sys.query(
      'select count(*) filter (where a is null)::int as a, count(*) filter (where b is null)::int as b from copy_t',
    );
    expect(nulls.rows).toEqual([{ a: Math.floor(10_000 / 7), b: 10_000 / 5 }]);

    // And back out with psql's \copy: the same bytes.
    const out = await db.run('psql', [
      '-X',
      '-v',
      'ON_ERROR_STOP=1',
      db.url,
      '-c',
      '\\copy (select id, a, b, n from copy_t order by id) to stdout',
    ]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(text);

    // \copy ... from pstdin appends through the same path.
    const more = await db.run('psql', ['-X', '-v', 'ON_ERROR_STOP=1', db.url, '-c', '\\copy copy_t from pstdin'], {
      input: '10001\t\\N\ta\\tb\t1.5\n10002\t\\\\\t\\n\t\\N\n',
    });
    expect(more.code).toBe(0);
    expect((await sys.query('select a, b, n::text as n from copy_t where id > 10000 order by id')).rows).toEqual([
      { a: null, b: 'a\tb', n: '1.5' },
      { a: '\\', b: '\n', n: null },
    ]);
  });

  it('a malformed COPY line fails the whole COPY with an error and inserts nothing', async () => {
    await sys.query('create table copy_bad_t (id int primary key, v text)');
    const result = await db.run('psql', ['-X', '-v', 'ON_ERROR_STOP=1', db.url, '-c', 'COPY copy_bad_t FROM STDIN'], {
      input: '1\tone\n2\ttwo\nthree\tnot a number\n\\.\n',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/ERROR: {2}TDB-/);
    expect((await sys.query('select count(*)::int as n from copy_bad_t')).rows).toEqual([{ n: 0 }]);
  });
});

describe('authentication', () => {
  it('rejects a wrong password with 28P01', async () => {
    const error = await failure(db.client({ password: 'not the password' }));
    expect(error.code).toBe('28P01');
  });

  it('lets a user made with CREATE USER ... IDENTIFIED BY connect', async () => {
    await sys.query("CREATE USER app IDENTIFIED BY 'pw1'");
    const app = await db.client({ user: 'app', password: 'pw1' });
    expect((await app.query('select current_user as who, 1 + 1 as two')).rows).toEqual([{ who: 'app', two: 2 }]);
    const wrong = await failure(db.client({ user: 'app', password: 'pw2' }));
    expect(wrong.code).toBe('28P01');
    const unknown = await failure(db.client({ user: 'nobody', password: 'pw1' }));
    expect(unknown.code).toBe('28P01');
  });
});
