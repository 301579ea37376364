// The TCP (L4) listener: balancing per connection, failover on connect errors, large
// transfers with backpressure, half-close, and no server at all.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import {
  cleanupAfterEach,
  listenOnLoopback,
  serversOf,
  deadPort,
  eventually,
  tally,
  type RunningLb,
} from './harness.js';

const cleanups = cleanupAfterEach();

interface TcpBackend {
  readonly id: string;
  readonly port: number;
  readonly server: Server;
  connections: number;
}

/** Greets with its id and a newline, then echoes; on the client's FIN it sends a sha256 of what it got and closes. */
async function tcpBackend(id: string): Promise<TcpBackend> {
  const sockets = new Set<Socket>();
  const backend = { id, port: 0, server: undefined as unknown as Server, connections: 0 };
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    backend.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const hash = createHash('sha256');
    socket.write(`${id}\n`);
    socket.on('data', (chunk: Buffer) => hash.update(chunk));
    socket.on('end', () => socket.end(`sha256=${hash.digest('hex')}\n`));
  });
  backend.server = server;
  backend.port = await listenOnLoopback(server);
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return backend;
}

async function lbFor(
  servers: Array<{ id: string; port: number }>,
  pool: Record<string, unknown> = {},
): Promise<RunningLb> {
  return cleanups.startLb({
    listeners: [{ name: 'tcp', protocol: 'tcp', host: '127.0.0.1', port: 0, pool: 'p' }],
    pools: {
      p: { servers: serversOf(...servers), ...pool },
    },
  });
}

/** Connects, sends `payload`, half-closes, and collects everything until the proxy closes. */
function exchange(port: number, payload: Buffer = Buffer.alloc(0)): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => socket.end(payload));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
  });
}

describe('TCP listener', () => {
  it('balances connections round robin', async () => {
    const backends = await Promise.all(['a', 'b', 'c'].map(tcpBackend));
    const lb = await lbFor(backends);
    const greetings: string[] = [];
    for (let index = 0; index < 9; index++) greetings.push((await exchange(lb.port('tcp'))).split('\n')[0]);
    expect(tally(greetings)).toEqual({ a: 3, b: 3, c: 3 });
  });

  it('carries 16 MiB each way intact through a half-close, with backpressure', async () => {
    const backend = await tcpBackend('a');
    const lb = await lbFor([backend]);
    const payload = Buffer.alloc(16 * 1024 * 1024);
    for (let index = 0; index < payload.length; index += 4) payload.writeUInt32LE(index, index);
    const reply = await exchange(lb.port('tcp'), payload);
    expect(reply).toBe(`a\nsha256=${createHash('sha256').update(payload).digest('hex')}\n`);
    expect(await eventually(() => lb.lb.inFlight === 0 && lb.lb.servers.get('a')?.active === 0)).toBe(true);
    expect(lb.access.at(-1)).toMatch(/ tcp 127\.0\.0\.1 "TCP" 0 \d+ pool=p server=a attempts=1 /);
  });

  it('fails over on a refused connection, and closes the client when nothing is left', async () => {
    const b = await tcpBackend('b');
    const lb = await lbFor([{ id: 'gone', port: await deadPort() }, b], {
      passive: { consecutiveFailures: 2, downMs: 60_000 },
    });
    for (let index = 0; index < 4; index++) expect((await exchange(lb.port('tcp'))).split('\n')[0]).toBe('b');
    expect(lb.lb.servers.get('gone')?.state).toBe('down');
    lb.lb.servers.setState('b', 'maintenance', 'test');
    expect(await exchange(lb.port('tcp'))).toBe('');
    expect(
      lb.logs.some((line) => line.includes('[warning] TLB-3001 tcp: no server of pool p can take a connection')),
    ).toBe(true);
  });

  it('keeps a client on its server with source-IP persistence', async () => {
    const backends = await Promise.all(['a', 'b'].map(tcpBackend));
    const lb = await lbFor(backends, { persistence: { kinds: ['source-ip'] } });
    const first = (await exchange(lb.port('tcp'))).split('\n')[0];
    for (let index = 0; index < 4; index++) expect((await exchange(lb.port('tcp'))).split('\n')[0]).toBe(first);
  });
});
