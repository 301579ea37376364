// The server against node-postgres: what an application depends on (login, queries,
// parameters, errors with their SQLSTATE and TDB code, transactions, cancel, limits, shutdown).

import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeEngine } from './fake-engine.test-support.js';
import { RawClient, frontend, responseFields } from './raw-client.test-support.js';
import { WireServer, type WireServerOptions } from './server.js';

interface Rig {
  readonly server: WireServer;
  readonly engine: FakeEngine;
  readonly port: number;
  readonly logLines: string[];
}

const running: WireServer[] = [];
const clients: pg.Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.end().catch(() => undefined)));
  await Promise.all(running.splice(0).map((server) => server.close()));
});

async function rig(options: Partial<WireServerOptions> = {}): Promise<Rig> {
  const engine = new FakeEngine({ alice: 'wonderland', ünï: 'pässwörd' });
  const logLines: string[] = [];
  const server = new WireServer({ engine, port: 0, log: (_level, line) => logLines.push(line), ...options });
  running.push(server);
  const { port } = await server.listen();
  return { server, engine, port, logLines };
}

function client(port: number, config: pg.ClientConfig = {}): pg.Client {
  const c = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'alice',
    password: 'wonderland',
    database: 'db',
    ...config,
  });
  clients.push(c);
  // The shutdown tests end connections under the client's feet: its 'error' event is expected there.
  c.on('error', () => undefined);
  return c;
}

async function connected(port: number, config: pg.ClientConfig = {}): Promise<pg.Client> {
  const c = client(port, config);
  await c.connect();
  return c;
}

/** The BackendKeyData pg keeps (public fields that @types/pg does not declare). */
function keyOf(c: pg.Client): { processId: number; secretKey: number } {
  const untyped = c as unknown as { processID: number; secretKey: number };
  return { processId: untyped.processID, secretKey: untyped.secretKey };
}

/** Polls until `condition` holds (the test's timeout bounds the wait; nothing asserts how long it takes). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; severity?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('authentication', () => {
  it('logs in with SCRAM-SHA-256 and reports the session parameters', async () => {
    const { port, engine } = await rig();
    const c = await connected(port, { application_name: 'wire-test' });
    const result = await c.query('select 2');
    expect(result.rows).toEqual([{ n: 2 }, { n: 2 }].map((_, i) => ({ n: i + 1 })));
    expect(engine.sessions).toHaveLength(1);
    const [session] = engine.sessions;
    expect(session.request.user).toBe('alice');
    expect(session.request.database).toBe('db');
    expect(session.request.parameters.get('application_name')).toBe('wire-test');
    expect(session.request.remoteAddress).toBe('127.0.0.1');
    expect(keyOf(c).processId).toBe(session.request.processId);
  });

  it('logs in a user whose name and password are not ASCII', async () => {
    const { port } = await rig();
    const c = await connected(port, { user: 'ünï', password: 'pässwörd' });
    expect((await c.query('select 1')).rowCount).toBe(1);
  });

  it('refuses a wrong password with 28P01 and says so in the log', async () => {
    const { port, logLines, engine } = await rig();
    const error = await rejection(connected(port, { password: 'looking-glass' }));
    expect(error.code).toBe('28P01');
    expect(error.message).toBe('TDB-7002: password authentication failed for user "alice"');
    expect(engine.sessions).toHaveLength(0);
    expect(logLines.some((line) => line.startsWith('[warning] wire: authentication failed from 127.0.0.1:'))).toBe(
      true,
    );
  });

  it('refuses an unknown user with exactly the error of a wrong password', async () => {
    const { port } = await rig();
    const error = await rejection(connected(port, { user: 'mallory', password: 'wonderland' }));
    expect(error.code).toBe('28P01');
    expect(error.message).toBe('TDB-7002: password authentication failed for user "mallory"');
  });

  it('lets anyone in under trust, and defaults the database to the user', async () => {
    const { port, engine } = await rig({ authentication: 'trust' });
    const c = await connected(port, { user: 'bob', password: undefined, database: undefined });
    await c.query('select 1');
    expect(engine.sessions[0].request.database).toBe('bob');
  });

  it('reports an engine refusal of the session (unknown database) as FATAL with its SQLSTATE', async () => {
    const { port } = await rig();
    const error = await rejection(connected(port, { database: 'nosuchdb' }));
    expect(error.code).toBe('3D000');
    expect(error.message).toContain('TDB-7007');
  });
});

describe('queries', () => {
  it('runs simple queries, several statements in one string, and an empty one', async () => {
    const { port } = await rig();
    const c = await connected(port);
    const [first, second] = (await c.query('select 1; select 3')) as unknown as pg.QueryResult[];
    expect(first.rows).toEqual([{ n: 1 }]);
    expect(second.rows.map((row: { n: number }) => row.n)).toEqual([1, 2, 3]);
    const empty = await c.query('');
    expect(empty.rows).toEqual([]);
  });

  it('binds parameters in the extended protocol: text, NULL and binary', async () => {
    const { port } = await rig();
    const c = await connected(port);
    const text = await c.query('select $1, $2', ['héllo', null]);
    expect(text.rows).toEqual([{ p1: 'héllo', p2: null }]);
    // pg sends a Buffer in binary format; the fake engine echoes it as bytea, which pg decodes.
    const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    const binary = await c.query<{ p1: Buffer }>('select $1', [bytes]);
    expect(binary.rows[0].p1).toEqual(bytes);
    // A named statement, prepared once and run twice.
    for (const value of ['a', 'b']) {
      const named = await c.query({ name: 'echo', text: 'select $1', values: [value] });
      expect(named.rows).toEqual([{ p1: value }]);
    }
  });

  it('serves a pool of 10 clients at once, with no overlapping calls into a session', async () => {
    const { port, engine } = await rig();
    const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'alice', password: 'wonderland', max: 10 });
    try {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          pool.query(i % 2 === 0 ? `select ${i}` : 'select $1', [`v${i}`].slice(0, i % 2)),
        ),
      );
      results.forEach((result, i) => expect(result.rowCount).toBe(i % 2 === 0 ? i : 1));
      expect(engine.sessions.length).toBeGreaterThan(1);
      expect(engine.sessions.length).toBeLessThanOrEqual(10);
    } finally {
      await pool.end();
    }
    // pool.end() resolves before the server has seen each Terminate: wait for the sessions to close.
    await until(() => engine.sessions.every((session) => session.closeCount > 0));
    expect(engine.sessions.map((session) => session.closeCount)).toEqual(engine.sessions.map(() => 1));
    expect(engine.overlaps).toBe(0);
  });

  it('carries the SQLSTATE in code and the TDB code in the message, and the connection stays usable', async () => {
    const { port, server } = await rig();
    const c = await connected(port);
    const error = await rejection(c.query('fail'));
    expect(error.code).toBe('22012');
    expect(error.message).toBe('TDB-6006: division by zero');
    expect(error.severity).toBe('ERROR');
    const syntax = await rejection(c.query('selec 1', []));
    expect(syntax.code).toBe('42601');
    expect((await c.query('select 1')).rowCount).toBe(1);
    expect(server.errorsBySqlStateClass.get('22')).toBe(1);
    expect(server.errorsBySqlStateClass.get('42')).toBe(1);
  });

  it('reports a transaction failed by an error until ROLLBACK', async () => {
    const { port, engine } = await rig();
    const c = await connected(port);
    await c.query('begin');
    expect(engine.sessions[0].transactionStatus).toBe('in transaction');
    await rejection(c.query('fail'));
    const aborted = await rejection(c.query('select 1'));
    expect(aborted.code).toBe('25P02');
    // In the extended protocol too.
    const abortedExtended = await rejection(c.query('select $1', ['x']));
    expect(abortedExtended.code).toBe('25P02');
    const rollback = await c.query('rollback');
    expect(rollback.command).toBe('ROLLBACK');
    expect((await c.query('select 1')).rowCount).toBe(1);
  });

  it('delivers notices', async () => {
    const { port } = await rig();
    const c = await connected(port);
    const notices: { message?: string; severity?: string; hint?: string }[] = [];
    c.on('notice', (notice) => notices.push(notice));
    await c.query('notice');
    expect(notices).toHaveLength(1);
    expect(notices[0].message).toBe('hello from the engine');
    expect(notices[0].severity).toBe('NOTICE');
    expect(notices[0].hint).toBe('a hint');
  });

  it('streams a large result with backpressure', async () => {
    const { port } = await rig();
    const c = await connected(port);
    const result = await c.query('select 100000');
    expect(result.rowCount).toBe(100000);
    expect(result.rows[99999]).toEqual({ n: 100000 });
  });
});

describe('cancel', () => {
  it('cancels a running statement with the key from BackendKeyData; a wrong key is ignored', async () => {
    const { port, engine } = await rig();
    const c = await connected(port);
    const sleeping = rejection(c.query('sleep'));
    await until(() => engine.sessions[0]?.sleeping === true);
    const { processId, secretKey } = keyOf(c);

    const wrong = await RawClient.connect(port);
    wrong.send(frontend.cancelRequest(processId, secretKey ^ 1));
    // The server answers a CancelRequest with nothing, and closes.
    expect(await wrong.readAll()).toEqual([]);
    expect(engine.sessions[0].cancelCount).toBe(0);
    expect(engine.sessions[0].sleeping).toBe(true);

    const canceler = await RawClient.connect(port);
    canceler.send(frontend.cancelRequest(processId, secretKey));
    expect(await canceler.readAll()).toEqual([]);
    const error = await sleeping;
    expect(error.code).toBe('57014');
    expect(error.message).toContain('TDB-7004');
    expect((await c.query('select 1')).rowCount).toBe(1);
  });
});

describe('limits and shutdown', () => {
  it('refuses a session beyond maxConnections with 53300', async () => {
    const { port, server } = await rig({ maxConnections: 2 });
    await connected(port);
    await connected(port);
    const error = await rejection(connected(port));
    expect(error.code).toBe('53300');
    expect(error.message).toBe('TDB-7003: sorry, too many clients already');
    expect(server.connectionsRefused).toBe(1);
    // A slot frees up when a client leaves.
    await clients[0].end();
    await expect(connected(port)).resolves.toBeDefined();
  });

  it('terminates sessions with FATAL 57P01 on a non-graceful close, and closes each session once', async () => {
    const { port, server, engine } = await rig();
    const c = await connected(port);
    const errors: Error[] = [];
    c.on('error', (error) => errors.push(error));
    const sleeping = rejection(c.query('sleep'));
    await until(() => engine.sessions[0]?.sleeping === true);
    await server.close();
    const error = await sleeping;
    expect(error.code).toBe('57P01');
    expect(engine.sessions[0].cancelCount).toBe(1);
    expect(engine.sessions[0].closeCount).toBe(1);
    expect(engine.overlaps).toBe(0);
    expect(server.connectionsActive).toBe(0);
  });

  it('sends the shutdown FATAL to an idle client', async () => {
    const { port, server, engine } = await rig({ authentication: 'trust' });
    const raw = await RawClient.open(port);
    await server.close();
    const [message] = await raw.readAll();
    expect(message.type).toBe('E');
    const fields = responseFields(message.body);
    expect(fields.get('S')).toBe('FATAL');
    expect(fields.get('C')).toBe('57P01');
    expect(fields.get('M')).toBe('TDB-4003: terminating connection due to administrator command');
    expect(engine.sessions[0].closeCount).toBe(1);
  });

  it('waits on a graceful close until the clients leave', async () => {
    const { port, server, engine } = await rig();
    const c = await connected(port);
    let closed = false;
    const closing = server.close({ graceful: true }).then(() => (closed = true));
    // The client can still work while the server drains.
    expect((await c.query('select 1')).rowCount).toBe(1);
    expect(closed).toBe(false);
    await c.end();
    await closing;
    expect(engine.sessions[0].closeCount).toBe(1);
  });

  it('counts connections, messages and bytes', async () => {
    const { port, server } = await rig();
    const c = await connected(port);
    await c.query('select 3');
    expect(server.connectionsAccepted).toBe(1);
    expect(server.connectionsActive).toBe(1);
    expect(server.sessionsActive).toBe(1);
    // Startup, two SASL responses, and one Query.
    expect(server.messagesIn).toBe(4);
    expect(server.bytesIn).toBeGreaterThan(0);
    expect(server.bytesOut).toBeGreaterThan(server.bytesIn);
  });
});
