// Seeded fuzzing of a live server: many connections send random and mutated byte streams.
// Afterwards the server must still serve a normal client, every session must have been
// closed exactly once with no overlapping calls, nothing may have escaped as an internal
// error, and the process must have seen no unhandled error.

import { SeededRandom, seedFromEnvironment, type Random } from '@tandem/testkit';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeEngine } from './fake-engine.test-support.js';
import { RawClient, cstring, frontend, int32, message } from './raw-client.test-support.js';
import { WireServer, type WireServerOptions } from './server.js';

const unhandled: unknown[] = [];
const onUnhandled = (error: unknown): void => {
  unhandled.push(error);
};

beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
});

afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
});

/** A valid session (trust authentication) that reaches every part of the state machine. */
function validStream(): { startup: Buffer; commands: Buffer } {
  return {
    startup: frontend.startup({ user: 'fuzz', database: 'db', application_name: 'fuzz' }),
    commands: Buffer.concat([
      frontend.query('select 3'),
      frontend.query('begin'),
      frontend.parse('s', 'select $1, $2', [25, 0]),
      frontend.describe('S', 's'),
      frontend.bind('p', 's', [Buffer.from('x'), null], [0], [1]),
      frontend.describe('P', 'p'),
      frontend.execute('p', 1),
      frontend.parse('', 'select 4'),
      frontend.bind('', ''),
      frontend.execute('', 2),
      frontend.execute('', 0),
      frontend.close('P', 'p'),
      frontend.flush(),
      frontend.sync(),
      frontend.query('fail'),
      frontend.query('rollback'),
      frontend.query('copy in'),
      frontend.copyData(Buffer.from('1\t2\n')),
      frontend.copyDone(),
      frontend.query('copy out 2'),
      frontend.query("set application_name = 'f'"),
      frontend.query(''),
      frontend.terminate(),
    ]),
  };
}

function mutate(random: Random, source: Buffer): Buffer {
  const bytes = Buffer.from(source);
  const edits = random.int(1, 8);
  for (let i = 0; i < edits && bytes.length > 0; i++) {
    const at = random.int(0, bytes.length);
    switch (random.int(0, 5)) {
      case 0:
        bytes[at] = random.int(0, 256);
        break;
      case 1:
        bytes[at] ^= 1 << random.int(0, 8);
        break;
      case 2:
        if (bytes.length >= 4) {
          bytes.writeInt32BE(random.pick([0, -1, 3, 4, 5, 0x7fffffff, 10_000]), Math.min(at, bytes.length - 4));
        }
        break;
      case 3:
        bytes[at] = random.pick([0, 0x51, 0x50, 0x42, 0x45, 0x53, 0x64, 0x63, 0x66, 0x58, 0x70]);
        break;
      default:
        bytes.copyWithin(at, random.int(0, bytes.length));
    }
  }
  return random.chance(0.2) ? bytes.subarray(0, random.int(0, bytes.length)) : bytes;
}

/** The start of a SCRAM exchange, then a mutated client-final message (the nonce cannot be known in advance). */
function scramStream(random: Random): Buffer {
  const clientFirst = Buffer.from(`n,,n=,r=${Buffer.from(random.fillBytes(new Uint8Array(12))).toString('base64')}`);
  const initial = message('p', cstring('SCRAM-SHA-256'), int32(clientFirst.length), clientFirst);
  const final = message('p', Buffer.from(`c=biws,r=x,p=${Buffer.alloc(32).toString('base64')}`));
  return Buffer.concat([
    frontend.startup({ user: random.pick(['alice', 'nobody']) }),
    mutate(random, Buffer.concat([initial, final])),
  ]);
}

function streamFor(random: Random, scram: boolean): Buffer {
  const { startup, commands } = validStream();
  if (scram && random.chance(0.5)) return scramStream(random);
  switch (random.int(0, 4)) {
    case 0:
      return Buffer.from(random.fillBytes(new Uint8Array(random.int(1, 400))));
    case 1:
      return mutate(random, Buffer.concat([startup, commands]));
    case 2:
      // Past the startup phase, to reach the command loop.
      return Buffer.concat([startup, mutate(random, commands)]);
    default:
      return Buffer.concat([
        frontend.sslRequest(),
        startup,
        Buffer.from(random.fillBytes(new Uint8Array(random.int(1, 200)))),
      ]);
  }
}

/** Sends `bytes` in random pieces, then ends or drops the connection, and waits for it to close. */
async function attack(port: number, random: Random, bytes: Buffer): Promise<void> {
  const client = await RawClient.connect(port);
  let offset = 0;
  while (offset < bytes.length) {
    const length = random.int(1, Math.min(200, bytes.length - offset) + 1);
    client.send(bytes.subarray(offset, offset + length));
    offset += length;
    if (random.chance(0.1)) await new Promise((resolve) => setImmediate(resolve));
  }
  if (random.chance(0.7)) client.end();
  else client.destroy();
  // Whatever the server answered, drain it so the connection can finish.
  await client.readAll();
  await client.closed;
}

async function fuzz(options: Partial<WireServerOptions>, rounds: number): Promise<void> {
  const seed = seedFromEnvironment();
  const random = new SeededRandom(seed);
  const engine = new FakeEngine({ alice: 'wonderland' });
  const logLines: string[] = [];
  const server = new WireServer({
    engine,
    port: 0,
    authentication: 'trust',
    maxMessageBytes: 64 * 1024,
    log: (_level, line) => logLines.push(line),
    ...options,
  });
  // How deep the fuzzer got: past the startup phase often enough to exercise the command loop
  // (trust), or into the SCRAM exchange often enough to exercise its parsing (a blind client
  // cannot know the server's nonce, so the proof check itself is covered by scram.test.ts).
  const scram = options.authentication === 'scram-sha-256';
  const reached = (): number =>
    scram ? logLines.filter((line) => line.includes('malformed SCRAM message')).length : engine.sessions.length;
  const wanted = scram ? rounds / 20 : rounds / 8;
  const { port } = await server.listen();
  try {
    const concurrency = 16;
    // `rounds` connections, and more (up to four times as many in all) while a seed falls short
    // of `wanted` by chance: about one in six SCRAM connections gets that far.
    let sent = 0;
    for (;;) {
      if (sent >= rounds) {
        await until(() => server.connectionsActive === 0);
        if (reached() > wanted || sent >= 4 * rounds) break;
      }
      const count = sent < rounds ? Math.min(concurrency, rounds - sent) : concurrency;
      sent += count;
      await Promise.all(
        Array.from({ length: count }, () => {
          const connectionRandom = random.fork();
          return attack(
            port,
            connectionRandom,
            streamFor(connectionRandom, options.authentication === 'scram-sha-256'),
          );
        }),
      );
    }
    await until(() => server.connectionsActive === 0);

    const client = new pg.Client({ host: '127.0.0.1', port, user: 'alice', password: 'wonderland', database: 'db' });
    await client.connect();
    expect((await client.query('select 2')).rowCount).toBe(2);
    expect((await client.query('select $1', ['ok'])).rows).toEqual([{ p1: 'ok' }]);
    await client.end();
    await until(() => server.connectionsActive === 0);

    expect(reached(), `${sent} connections`).toBeGreaterThan(wanted);
    expect(engine.overlaps).toBe(0);
    expect(engine.sessions.filter((session) => session.closeCount !== 1)).toEqual([]);
    expect(logLines.filter((line) => line.startsWith('[error]'))).toEqual([]);
    expect(unhandled).toEqual([]);
    expect(server.connectionsAccepted).toBe(sent + 1);
  } catch (error) {
    throw new Error(`live fuzzing failed with TANDEM_SEED=${seed}: ${String(error)}`, { cause: error });
  } finally {
    await server.close();
  }
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('live server fuzzing', () => {
  it('survives random and mutated streams under trust authentication', async () => {
    await fuzz({ authentication: 'trust' }, 400);
  });

  it('survives random and mutated streams under SCRAM authentication', async () => {
    await fuzz({ authentication: 'scram-sha-256' }, 160);
  });
});
