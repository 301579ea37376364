// The protocol byte by byte: pipelining, portal suspension, the extended protocol's error
// recovery, COPY, startup negotiation and the limits, as a client on the wire sees them.

import { afterEach, describe, expect, it } from 'vitest';
import { FakeEngine } from './fake-engine.test-support.js';
import {
  RawClient,
  cstringOf,
  frontend,
  int32,
  message,
  responseFields,
  summarize,
  type BackendMessage,
} from './raw-client.test-support.js';
import { WireServer, type WireServerOptions } from './server.js';

const running: { server: WireServer; clients: RawClient[] }[] = [];

afterEach(async () => {
  for (const { server, clients } of running.splice(0)) {
    for (const client of clients) client.destroy();
    await server.close();
  }
});

interface Rig {
  readonly server: WireServer;
  readonly engine: FakeEngine;
  readonly logLines: string[];
  readonly open: (parameters?: Record<string, string>) => Promise<RawClient>;
  readonly connect: () => Promise<RawClient>;
}

async function rig(options: Partial<WireServerOptions> = {}): Promise<Rig> {
  const engine = new FakeEngine();
  const logLines: string[] = [];
  const server = new WireServer({
    engine,
    port: 0,
    authentication: 'trust',
    log: (_level, line) => logLines.push(line),
    ...options,
  });
  const clients: RawClient[] = [];
  running.push({ server, clients });
  const { port } = await server.listen();
  const track = (client: RawClient): RawClient => {
    clients.push(client);
    return client;
  };
  return {
    server,
    engine,
    logLines,
    open: async (parameters = {}) => track(await RawClient.open(port, parameters)),
    connect: async () => track(await RawClient.connect(port)),
  };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

function fatalOf(messages: readonly BackendMessage[]): Map<string, string> {
  const error = messages.find((m) => m.type === 'E');
  if (error === undefined) throw new Error(`no ErrorResponse in ${summarize(messages).join(' ')}`);
  return responseFields(error.body);
}

describe('extended protocol', () => {
  it('suspends a portal at maxRows and resumes it, all pipelined in one write', async () => {
    const { open } = await rig();
    const client = await open();
    const reply = await client.roundTrip(
      frontend.parse('', 'select 5'),
      frontend.bind('', ''),
      frontend.execute('', 2),
      frontend.execute('', 2),
      frontend.execute('', 2),
      frontend.sync(),
    );
    expect(reply).toEqual(['1', '2', 'D:1', 'D:2', 's', 'D:3', 'D:4', 's', 'D:5', 'C:SELECT 1', 'Z:I']);
  });

  it('answers a long pipeline of cycles in order', async () => {
    const { open, engine } = await rig();
    const client = await open();
    const cycles = 200;
    const chunks: Buffer[] = [];
    for (let i = 1; i <= cycles; i++) {
      chunks.push(
        frontend.parse('', 'select $1'),
        frontend.bind('', '', [Buffer.from(`v${i}`)]),
        frontend.execute(''),
        frontend.sync(),
      );
    }
    chunks.push(frontend.query('select 2'));
    // One write, split at arbitrary points, as a fast client's TCP stream is.
    const stream = Buffer.concat(chunks);
    client.send(stream.subarray(0, 7), stream.subarray(7, 1000), stream.subarray(1000));
    for (let i = 1; i <= cycles; i++) {
      expect(summarize(await client.readUntilReady())).toEqual(['1', '2', `D:v${i}`, 'C:SELECT 1', 'Z:I']);
    }
    expect(summarize(await client.readUntilReady())).toEqual(['T', 'D:1', 'D:2', 'C:SELECT 2', 'Z:I']);
    expect(engine.overlaps).toBe(0);
  });

  it('after an error discards everything up to Sync, then carries on', async () => {
    const { open, engine } = await rig();
    const client = await open();
    const reply = await client.roundTrip(
      frontend.parse('', 'select 1'),
      frontend.bind('', ''),
      frontend.execute(''),
      frontend.parse('', 'bogus'),
      frontend.bind('', ''),
      frontend.execute(''),
      frontend.query('select 1'),
      frontend.sync(),
    );
    expect(reply).toEqual(['1', '2', 'D:1', 'C:SELECT 1', 'E:42601', 'Z:I']);
    expect(await client.roundTrip(frontend.query('select 1'))).toEqual(['T', 'D:1', 'C:SELECT 1', 'Z:I']);
    expect(engine.sessions[0].overlaps).toBe(0);
  });

  it('describes statements and portals', async () => {
    const { open } = await rig();
    const client = await open();
    client.send(
      frontend.parse('q', 'select $1, $2', [0, 23]),
      frontend.describe('S', 'q'),
      frontend.bind('p', 'q', [Buffer.from('a'), null], [0], [1]),
      frontend.describe('P', 'p'),
      frontend.parse('b', 'begin'),
      frontend.describe('S', 'b'),
      frontend.sync(),
    );
    const messages = await client.readUntilReady();
    expect(summarize(messages)).toEqual(['1', 't', 'T', '2', 'T', '1', 't', 'n', 'Z:I']);
    const parameterDescription = messages[1].body;
    expect(parameterDescription.readInt16BE(0)).toBe(2);
    expect([parameterDescription.readUInt32BE(2), parameterDescription.readUInt32BE(6)]).toEqual([25, 23]);
    // The statement's RowDescription says text; the portal's, the binary format chosen at Bind.
    const formatOfFirstColumn = (body: Buffer): number => body.readInt16BE(body.indexOf(0, 2) + 1 + 16);
    expect(formatOfFirstColumn(messages[2].body)).toBe(0);
    expect(formatOfFirstColumn(messages[4].body)).toBe(1);
    expect(messages[6].body.readInt16BE(0)).toBe(0);
  });

  it('reports unknown and duplicate statements and portals with their SQLSTATEs', async () => {
    const { open } = await rig();
    const client = await open();
    expect(
      await client.roundTrip(frontend.parse('q', 'select 1'), frontend.parse('q', 'select 2'), frontend.sync()),
    ).toEqual(['1', 'E:42P05', 'Z:I']);
    expect(await client.roundTrip(frontend.bind('', 'nope'), frontend.sync())).toEqual(['E:26000', 'Z:I']);
    expect(await client.roundTrip(frontend.execute('nope'), frontend.sync())).toEqual(['E:34000', 'Z:I']);
    expect(await client.roundTrip(frontend.describe('P', 'nope'), frontend.sync())).toEqual(['E:34000', 'Z:I']);
    await client.roundTrip(frontend.query('begin'));
    expect(await client.roundTrip(frontend.bind('p', 'q'), frontend.bind('p', 'q'), frontend.sync())).toEqual([
      '2',
      'E:42P03',
      'Z:E',
    ]);
    await client.roundTrip(frontend.query('rollback'));
    // Close of a statement, then of names that do not exist: CloseComplete every time.
    expect(
      await client.roundTrip(
        frontend.close('S', 'q'),
        frontend.close('S', 'q'),
        frontend.close('P', 'nope'),
        frontend.bind('', 'q'),
        frontend.sync(),
      ),
    ).toEqual(['3', '3', '3', 'E:26000', 'Z:I']);
  });

  it('closes portals at the end of their transaction, and replaced unnamed ones', async () => {
    const { open, engine } = await rig();
    const client = await open();
    // Implicit transaction: the portal is gone after Sync.
    await client.roundTrip(frontend.parse('q', 'select 3'), frontend.bind('p', 'q'), frontend.sync());
    expect(await client.roundTrip(frontend.execute('p'), frontend.sync())).toEqual(['E:34000', 'Z:I']);
    // Explicit transaction: the portal outlives Sync until COMMIT.
    await client.roundTrip(frontend.query('begin'));
    expect(await client.roundTrip(frontend.bind('p', 'q'), frontend.execute('p', 1), frontend.sync())).toEqual([
      '2',
      'D:1',
      's',
      'Z:T',
    ]);
    expect(await client.roundTrip(frontend.execute('p'), frontend.sync())).toEqual(['D:2', 'D:3', 'C:SELECT 2', 'Z:T']);
    await client.roundTrip(frontend.query('commit'));
    expect(await client.roundTrip(frontend.execute('p'), frontend.sync())).toEqual(['E:34000', 'Z:I']);
    const session = engine.sessions[0];
    expect(session.closedPortals).toHaveLength(2);
    // Parse of the unnamed statement replaces (and closes) the previous one.
    await client.roundTrip(frontend.parse('', 'select 1'), frontend.parse('', 'select 2'), frontend.sync());
    expect(session.closedStatements).toHaveLength(1);
  });

  it('rejects a malformed Bind as a protocol violation, skipping to Sync', async () => {
    const { open, logLines } = await rig();
    const client = await open();
    const badFormat = frontend.bind('', '', [], [2]);
    const reply = await client.roundTrip(
      frontend.parse('', 'select 1'),
      badFormat,
      frontend.execute(''),
      frontend.sync(),
    );
    expect(reply).toEqual(['1', 'E:08P01', 'Z:I']);
    expect(logLines.some((line) => line.startsWith('[warning] wire: protocol violation from 127.0.0.1:'))).toBe(true);
    expect(await client.roundTrip(frontend.query('select 1'))).toEqual(['T', 'D:1', 'C:SELECT 1', 'Z:I']);
  });
});

describe('simple protocol', () => {
  it('answers an empty or blank query with EmptyQueryResponse', async () => {
    const { open } = await rig();
    const client = await open();
    expect(await client.roundTrip(frontend.query(''))).toEqual(['I', 'Z:I']);
    expect(await client.roundTrip(frontend.query(' \n\t'))).toEqual(['I', 'Z:I']);
    expect(await client.roundTrip(frontend.query(';'))).toEqual(['I', 'Z:I']);
  });

  it('reports the transaction status in ReadyForQuery', async () => {
    const { open } = await rig();
    const client = await open();
    expect(await client.roundTrip(frontend.query('begin'))).toEqual(['C:BEGIN', 'Z:T']);
    expect(await client.roundTrip(frontend.query('fail'))).toEqual(['E:22012', 'Z:E']);
    expect(await client.roundTrip(frontend.query('select 1'))).toEqual(['E:25P02', 'Z:E']);
    expect(await client.roundTrip(frontend.query('rollback'))).toEqual(['C:ROLLBACK', 'Z:I']);
  });

  it('sends ParameterStatus when a statement changes a reported parameter', async () => {
    const { open } = await rig();
    const client = await open();
    client.send(frontend.query("set application_name = 'renamed'"));
    const messages = await client.readUntilReady();
    // As PostgreSQL does, the report comes at the end of the statement, before ReadyForQuery.
    expect(summarize(messages)).toEqual(['C:SET', 'S', 'Z:I']);
    expect(messages[1].body.toString('utf8')).toBe('application_name\0renamed\0');
  });

  it('refuses a query that is not UTF-8 with 22021 and stays usable', async () => {
    const { open } = await rig();
    const client = await open();
    const invalid = message('Q', Buffer.from([0x73, 0xff, 0xfe, 0]));
    expect(await client.roundTrip(invalid)).toEqual(['E:22021', 'Z:I']);
    expect(await client.roundTrip(frontend.query('select 1'))).toEqual(['T', 'D:1', 'C:SELECT 1', 'Z:I']);
  });

  it('refuses FunctionCall with 0A000', async () => {
    const { open } = await rig();
    const client = await open();
    expect(await client.roundTrip(message('F', int32(1234)))).toEqual(['E:0A000', 'Z:I']);
  });
});

describe('COPY', () => {
  it('takes COPY FROM STDIN data, ignoring Flush and Sync in copy mode', async () => {
    const { open, engine } = await rig();
    const client = await open();
    client.send(frontend.query('copy in'));
    const start = await client.read();
    expect(start?.type).toBe('G');
    expect(start?.body).toEqual(Buffer.from([0, 0, 1, 0, 0]));
    const reply = await client.roundTrip(
      frontend.copyData(Buffer.from('1\tone\n')),
      frontend.flush(),
      frontend.sync(),
      frontend.copyData(Buffer.from('2\ttwo\n')),
      frontend.copyDone(),
    );
    expect(reply).toEqual(['C:COPY 12', 'Z:I']);
    expect(Buffer.concat(engine.sessions[0].copiedIn).toString()).toBe('1\tone\n2\ttwo\n');
  });

  it('fails the COPY on CopyFail, and drops the stray copy messages that follow', async () => {
    const { open } = await rig();
    const client = await open();
    client.send(frontend.query('copy in'));
    expect((await client.read())?.type).toBe('G');
    client.send(frontend.copyData(Buffer.from('x\n')), frontend.copyFail('client gave up'));
    const messages = await client.readUntilReady();
    expect(summarize(messages)).toEqual(['E:57014', 'Z:I']);
    expect(fatalOf(messages).get('M')).toBe('TDB-7004: COPY from stdin failed: client gave up');
    expect(
      await client.roundTrip(frontend.copyData(Buffer.from('late')), frontend.copyDone(), frontend.query('select 1')),
    ).toEqual(['T', 'D:1', 'C:SELECT 1', 'Z:I']);
  });

  it('refuses another message in copy-in mode', async () => {
    const { open } = await rig();
    const client = await open();
    client.send(frontend.query('copy in'));
    expect((await client.read())?.type).toBe('G');
    expect(await client.roundTrip(frontend.query('select 1'))).toEqual(['E:08P01', 'Z:I']);
  });

  it('sends COPY TO STDOUT data', async () => {
    const { open } = await rig();
    const client = await open();
    client.send(frontend.query('copy out 3'));
    const messages = await client.readUntilReady();
    expect(summarize(messages)).toEqual(['H', 'd', 'd', 'd', 'c', 'C:COPY 3', 'Z:I']);
    expect(Buffer.concat(messages.filter((m) => m.type === 'd').map((m) => m.body)).toString()).toBe('1\n2\n3\n');
  });
});

describe('startup', () => {
  it('answers SSLRequest and GSSENCRequest with N when TLS is not configured', async () => {
    const { connect } = await rig();
    const client = await connect();
    client.send(frontend.sslRequest());
    expect(await client.readByte()).toBe(0x4e);
    client.send(frontend.gssEncRequest());
    expect(await client.readByte()).toBe(0x4e);
    const ready = await client.roundTrip(frontend.startup({ user: 'u' }));
    expect(ready[0]).toBe('R');
    expect(ready.at(-1)).toBe('Z:I');
    expect(await client.roundTrip(frontend.query('select 1'))).toEqual(['T', 'D:1', 'C:SELECT 1', 'Z:I']);
  });

  it('negotiates a newer minor version and _pq_ options down to 3.0', async () => {
    const { connect, engine } = await rig();
    const client = await connect();
    client.send(frontend.startup({ user: 'u', '_pq_.compression': 'on', application_name: 'x' }, (3 << 16) | 2));
    const messages = await client.readUntilReady();
    expect(messages[0].type).toBe('v');
    expect(messages[0].body).toEqual(Buffer.concat([int32(0), int32(1), Buffer.from('_pq_.compression\0')]));
    expect(messages.at(-1)?.type).toBe('Z');
    expect([...engine.sessions[0].request.parameters.keys()]).toEqual(['user', 'application_name']);
  });

  it('refuses a startup packet without a user, and protocol 2', async () => {
    const { connect } = await rig();
    const noUser = await connect();
    noUser.send(frontend.startup({ database: 'db' }));
    const refused = await noUser.readAll();
    expect(fatalOf(refused).get('C')).toBe('28000');
    expect(fatalOf(refused).get('S')).toBe('FATAL');

    const old = await connect();
    old.send(frontend.startup({ user: 'u' }, 2 << 16));
    expect(fatalOf(await old.readAll()).get('C')).toBe('0A000');
  });

  it('drops a client that does not finish its startup in time', async () => {
    const { connect } = await rig({ startupTimeoutMs: 50 });
    const client = await connect();
    const fields = fatalOf(await client.readAll());
    expect(fields.get('C')).toBe('57014');
    expect(fields.get('M')).toContain('canceling authentication due to timeout');
  });
});

describe('limits and endings', () => {
  it('closes the connection on a message over the size limit, judged from its length word alone', async () => {
    const { open, logLines, server } = await rig({ maxMessageBytes: 1024 });
    const client = await open();
    // Only the header: the server must not wait for the 2000-byte body to refuse it.
    client.send(Buffer.concat([Buffer.from('Q'), int32(2000)]));
    const messages = await client.readAll();
    const fields = fatalOf(messages);
    expect(fields.get('S')).toBe('FATAL');
    expect(fields.get('C')).toBe('08P01');
    expect(fields.get('M')).toMatch(/^TDB-7005: /);
    await client.closed;
    expect(logLines.some((line) => line.startsWith('[warning] wire: protocol violation from 127.0.0.1:'))).toBe(true);
    // A message exactly at the limit (its length word says 1024) is fine.
    const other = await open();
    const sql = `select 1${' '.repeat(1024 - 5 - 8)}`;
    expect(frontend.query(sql).length).toBe(1024 + 1);
    expect(await other.roundTrip(frontend.query(sql))).toEqual(['T', 'D:1', 'C:SELECT 1', 'Z:I']);
    expect(server.errorsBySqlStateClass.get('08')).toBe(1);
  });

  it('closes the connection on an unknown message type', async () => {
    const { open } = await rig();
    const client = await open();
    client.send(message('?', Buffer.from('x')));
    expect(fatalOf(await client.readAll()).get('C')).toBe('08P01');
  });

  it('refuses a new session beyond maxConnections with 53300, but still takes a CancelRequest', async () => {
    const { open, connect, engine, server } = await rig({ maxConnections: 1 });
    const first = await open();
    first.send(frontend.query('sleep'));
    await until(() => engine.sessions[0]?.sleeping === true);
    const second = await connect();
    second.send(frontend.startup({ user: 'u' }));
    const fields = fatalOf(await second.readAll());
    expect(fields.get('C')).toBe('53300');
    expect(fields.get('M')).toBe('TDB-7003: sorry, too many clients already');
    expect(server.connectionsRefused).toBe(1);
    const canceler = await connect();
    canceler.send(frontend.cancelRequest(first.processId, first.secretKey));
    expect(summarize(await first.readUntilReady())).toEqual(['E:57014', 'Z:I']);
  });

  it('closes the session once on Terminate', async () => {
    const { open, engine, server } = await rig();
    const client = await open();
    client.send(frontend.terminate());
    expect(await client.readAll()).toEqual([]);
    await until(() => server.connectionsActive === 0);
    expect(engine.sessions[0].closeCount).toBe(1);
  });

  it('cancels the running statement and closes the session once when the client vanishes', async () => {
    const { open, engine, server } = await rig();
    const client = await open();
    client.send(frontend.query('sleep'));
    await until(() => engine.sessions[0]?.sleeping === true);
    client.destroy();
    await until(() => server.connectionsActive === 0);
    expect(engine.sessions[0].cancelCount).toBe(1);
    expect(engine.sessions[0].closeCount).toBe(1);
    expect(engine.overlaps).toBe(0);
  });

  it('ends a result stream cleanly when the client vanishes mid-way', async () => {
    const { open, engine, server } = await rig();
    const client = await open();
    client.send(frontend.query('select 1000000'));
    // Read a little of the result, then go.
    expect((await client.read())?.type).toBe('T');
    client.destroy();
    await until(() => server.connectionsActive === 0);
    expect(engine.sessions[0].closeCount).toBe(1);
  });
});

describe('output framing', () => {
  it('writes a CommandComplete tag as a NUL-terminated string', async () => {
    const { open } = await rig();
    const client = await open();
    client.send(frontend.query('select 0'));
    const messages = await client.readUntilReady();
    const complete = messages.find((m) => m.type === 'C');
    expect(complete?.body).toEqual(Buffer.from('SELECT 0\0'));
    expect(cstringOf(messages.at(-1)?.body ?? Buffer.alloc(0))).toBe('I');
  });
});
