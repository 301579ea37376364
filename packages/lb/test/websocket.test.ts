// WebSocket (HTTP Upgrade) through the proxy, with the ws package on both ends: the 101
// handshake passes (Sec-WebSocket-Accept checked by the client), frames flow both ways,
// cookie persistence routes the upgrade, a refused upgrade is passed on, and closing either
// end closes the other.
import { describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { ServerTokenSigner } from '../src/index.js';
import {
  cleanupAfterEach,
  listenOnLoopback,
  serversOf,
  deadPort,
  eventually,
  SECRET,
  type RunningLb,
} from './harness.js';

const cleanups = cleanupAfterEach();

type RawData = Buffer | ArrayBuffer | Buffer[];

function toBuffers(data: RawData): Buffer[] {
  if (Array.isArray(data)) return data;
  return [Buffer.isBuffer(data) ? data : Buffer.from(data)];
}

function text(data: RawData): string {
  return Buffer.concat(toBuffers(data)).toString('utf8');
}

interface WsBackend {
  readonly id: string;
  readonly port: number;
  readonly wss: WebSocketServer;
  readonly server: Server;
  headers: Record<string, string | string[] | undefined>[];
}

/** A WebSocket echo server that prefixes each message with its id. */
async function wsBackend(id: string): Promise<WsBackend> {
  const server = createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain', 'Content-Length': 16 });
    res.end('upgrade required');
  });
  const wss = new WebSocketServer({ server });
  const backend: WsBackend = { id, port: 0, wss, server, headers: [] };
  wss.on('connection', (socket, req) => {
    backend.headers.push(req.headers);
    socket.on('message', (data, isBinary) =>
      socket.send(isBinary ? data : `${id}:${text(data)}`, { binary: isBinary }),
    );
  });
  (backend as { port: number }).port = await listenOnLoopback(server);
  cleanups.push(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return backend;
}

async function lbFor(
  servers: Array<{ id: string; port: number }>,
  pool: Record<string, unknown> = {},
): Promise<RunningLb> {
  return cleanups.startLb({
    listeners: [{ name: 'web', protocol: 'http', host: '127.0.0.1', port: 0, defaultPool: 'web' }],
    pools: {
      web: { servers: serversOf(...servers), ...pool },
    },
    secret: SECRET,
  });
}

function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
  });
}

function nextMessage(socket: WebSocket): Promise<{ data: Buffer | string; binary: boolean }> {
  return new Promise((resolve) =>
    socket.once('message', (data, binary) =>
      resolve({ data: binary ? Buffer.concat(toBuffers(data)) : text(data), binary }),
    ),
  );
}

describe('WebSocket pass-through', () => {
  it('upgrades, echoes text and binary frames both ways, and forwards the client address', async () => {
    const backend = await wsBackend('a');
    const lb = await lbFor([backend]);
    const socket = await open(`ws://127.0.0.1:${lb.port()}/chat`);
    for (let index = 0; index < 20; index++) {
      const reply = nextMessage(socket);
      socket.send(`hello ${index}`);
      expect((await reply).data).toBe(`a:hello ${index}`);
    }
    const big = Buffer.alloc(1024 * 1024, 7);
    const reply = nextMessage(socket);
    socket.send(big);
    const echoed = await reply;
    expect(echoed.binary).toBe(true);
    expect(Buffer.compare(echoed.data as Buffer, big)).toBe(0);
    expect(backend.headers[0]['x-forwarded-for']).toBe('127.0.0.1');
    socket.close();
    expect(await eventually(() => lb.lb.inFlight === 0)).toBe(true);
    expect(lb.lb.servers.get('a')?.active).toBe(0);
  });

  it('routes the upgrade by the persistence cookie and balances the rest', async () => {
    const a = await wsBackend('a');
    const b = await wsBackend('b');
    const lb = await lbFor([a, b], { persistence: { kinds: ['cookie'] } });
    const cookie = `TANDEMLB=${new ServerTokenSigner(SECRET).sign('cookie', 'b')}`;
    for (let index = 0; index < 3; index++) {
      const socket = await open(`ws://127.0.0.1:${lb.port()}/`, { Cookie: cookie });
      const reply = nextMessage(socket);
      socket.send('who');
      expect((await reply).data).toBe('b:who');
      socket.close();
    }
    expect(b.headers.every((headers) => headers.cookie === undefined)).toBe(true);
  });

  it('retries an upgrade whose server refuses the connection', async () => {
    const b = await wsBackend('b');
    const lb = await lbFor([{ id: 'gone', port: await deadPort() }, b], { passive: { consecutiveFailures: 100 } });
    for (let index = 0; index < 2; index++) {
      const socket = await open(`ws://127.0.0.1:${lb.port()}/`);
      const reply = nextMessage(socket);
      socket.send('x');
      expect((await reply).data).toBe('b:x');
      socket.close();
    }
  });

  it('passes on a backend that answers without switching protocols', async () => {
    const plain = createServer((_req, res) => {
      res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': 9 });
      res.end('not here!');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => plain.close(() => resolve())));
    const address = plain.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    const lb = await lbFor([{ id: 'plain', port: address.port }]);
    await expect(open(`ws://127.0.0.1:${lb.port()}/`)).rejects.toThrow('unexpected response 404');
    expect(await eventually(() => lb.lb.inFlight === 0)).toBe(true);
  });

  it('closes the client when the backend goes away, and the backend side when the client does', async () => {
    const backend = await wsBackend('a');
    const lb = await lbFor([backend]);
    const first = await open(`ws://127.0.0.1:${lb.port()}/`);
    const closed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    for (const client of backend.wss.clients) client.terminate();
    await closed;
    const second = await open(`ws://127.0.0.1:${lb.port()}/`);
    expect(await eventually(() => backend.wss.clients.size === 1)).toBe(true);
    second.terminate();
    expect(await eventually(() => backend.wss.clients.size === 0 && lb.lb.inFlight === 0)).toBe(true);
  });
});
