// Safety at the edge, checked with raw sockets: smuggling shapes refused before anything
// reaches a backend, hop-by-hop and forwarding headers, header size and slow clients,
// sockets failing on either side, and an abort storm that must leak nothing.
import { describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import {
  cleanupAfterEach,
  echo,
  eventually,
  get,
  rawExchange,
  send,
  serversOf,
  startBackend,
  type Backend,
  type Handler,
  type RunningLb,
} from './harness.js';

const cleanups = cleanupAfterEach();

async function setup(
  handler: Handler = echo,
  extra: Record<string, unknown> = {},
  pool: Record<string, unknown> = {},
): Promise<{ backend: Backend; lb: RunningLb }> {
  const backend = await startBackend('a', handler);
  cleanups.push(() => backend.close());
  const lb = await cleanups.startLb({
    listeners: [{ name: 'web', protocol: 'http', host: '127.0.0.1', port: 0, defaultPool: 'web' }],
    pools: { web: { servers: serversOf(backend), ...pool } },
    ...extra,
  });
  return { backend, lb };
}

function statusLine(response: string): string {
  return response.split('\r\n')[0];
}

describe('request smuggling', () => {
  const attempts: Record<string, string> = {
    'Transfer-Encoding with Content-Length (TE.CL)':
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n',
    'Content-Length with Transfer-Encoding (CL.TE)':
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 13\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nSMUGGLED',
    'duplicate Content-Length': 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabc',
    'Content-Length list': 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc',
    'obs-fold header continuation': 'GET / HTTP/1.1\r\nHost: x\r\nX-Folded: one\r\n two\r\n\r\n',
    'obs-fold hiding Transfer-Encoding':
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 3\r\n\r\nabc',
    'Transfer-Encoding not ending in chunked':
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
    'two Transfer-Encoding headers':
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'space before the colon':
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\nabc',
    'bare LF line ends': 'GET / HTTP/1.1\nHost: x\n\n',
  };

  for (const [name, bytes] of Object.entries(attempts)) {
    it(`refuses ${name} with 400, and nothing reaches the backend`, async () => {
      const { backend, lb } = await setup();
      const response = await rawExchange(lb.port(), bytes);
      expect(statusLine(response)).toBe('HTTP/1.1 400 Bad Request');
      expect(response).toContain('Connection: close');
      expect(backend.hits).toBe(0);
      expect(lb.logs.some((line) => line.includes('[warning] TLB-4001 web: refused a request'))).toBe(true);
    });
  }

  it('forwards a sound chunked body, even on a GET (framing stated upstream, never raw)', async () => {
    const { backend, lb } = await setup();
    for (const method of ['POST', 'GET']) {
      const response = await rawExchange(
        lb.port(),
        `${method} /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`,
      );
      expect(statusLine(response)).toBe('HTTP/1.1 200 OK');
      expect(backend.seen.at(-1)?.body).toBe('hello world');
      expect(backend.seen.at(-1)?.headers['transfer-encoding']).toBe('chunked');
    }
  });
});

describe('headers across the proxy', () => {
  it('strips hop-by-hop headers both ways and sets X-Forwarded-*', async () => {
    const leaky: Handler = (req, res, body, backend) => {
      res.writeHead(200, [
        'Connection',
        'X-Internal',
        'X-Internal',
        'secret',
        'Keep-Alive',
        'timeout=99',
        'Proxy-Authenticate',
        'Basic',
        'Content-Length',
        '2',
      ]);
      res.end('ok');
      void body;
      void backend;
      void req;
    };
    const { backend, lb } = await setup(leaky);
    const response = await rawExchange(
      lb.port(),
      'GET /h HTTP/1.1\r\nHost: shop.example.com\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 300\r\n' +
        'Proxy: http://evil.example:3128\r\nProxy-Authorization: Basic eA==\r\nTE: trailers\r\nX-Forwarded-For: 6.6.6.6\r\n' +
        'X-Forwarded-Proto: https\r\nForwarded: for=6.6.6.6\r\nX-Kept: yes\r\n\r\n',
    );
    expect(statusLine(response)).toBe('HTTP/1.1 200 OK');
    expect(response).not.toMatch(/X-Internal|secret|timeout=99|Proxy-Authenticate/);
    const seen = backend.seen.at(-1)!;
    const names = seen.rawHeaders.filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase());
    for (const hop of ['x-hop', 'keep-alive', 'proxy', 'proxy-authorization', 'te', 'forwarded'])
      expect(names).not.toContain(hop);
    expect(seen.headers['x-kept']).toBe('yes');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe('shop.example.com');
  });

  it('answers 431 to a header section over maxHeaderBytes', async () => {
    const { backend, lb } = await setup(echo, { limits: { maxHeaderBytes: 2048 } });
    const response = await rawExchange(lb.port(), `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`);
    expect(statusLine(response)).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(response).toContain('TLB-4002');
    expect(backend.hits).toBe(0);
    expect((await get(lb.port(), '/', { 'X-Small': 'a'.repeat(512) })).status).toBe(200);
  });

  it('times out a client that never finishes its headers (408), and one that never finishes its body', async () => {
    const { backend, lb } = await setup(echo, { limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
    const slowHeaders = await rawExchange(lb.port(), 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ', 20_000);
    expect(statusLine(slowHeaders)).toBe('HTTP/1.1 408 Request Timeout');
    expect(backend.hits).toBe(0);
    const slowBody = await rawExchange(
      lb.port(),
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part',
      20_000,
    );
    expect(statusLine(slowBody)).toBe('HTTP/1.1 408 Request Timeout');
    expect(lb.logs.some((line) => line.includes('[notice] TLB-4003 web: client 127.0.0.1 timed out'))).toBe(true);
    // The upstream request that carried the partial body was abandoned, not left open.
    expect(await eventually(() => lb.lb.inFlight === 0 && lb.lb.backendServer('a')?.active === 0)).toBe(true);
  });
});

describe('broken sockets never crash the process', () => {
  it('a backend that dies mid-response cuts that client only; the next request is served', async () => {
    let count = 0;
    const flaky: Handler = (req, res, body, backend) => {
      if (++count === 1) {
        res.writeHead(200, { 'Content-Length': 100 });
        res.write('partial');
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      echo(req, res, body, backend);
    };
    const { lb } = await setup(flaky, {}, { passive: { consecutiveFailures: 5 } });
    await expect(get(lb.port(), '/dies')).rejects.toThrow();
    expect((await get(lb.port(), '/after')).status).toBe(200);
    expect(
      await eventually(() =>
        lb.access.some((line) => line.includes('"GET /dies HTTP/1.1" 200') && line.includes('outcome=TLB-3004')),
      ),
    ).toBe(true);
  });

  it('clients that reset their connection mid-request leave nothing behind', async () => {
    const { backend, lb } = await setup(echo);
    for (let index = 0; index < 20; index++) {
      await new Promise<void>((resolve) => {
        const socket = connect(lb.port(), '127.0.0.1', () => {
          socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000));
          setTimeout(() => {
            socket.resetAndDestroy();
            resolve();
          }, 5);
        });
        socket.on('error', () => undefined);
      });
    }
    expect(await eventually(async () => lb.lb.inFlight === 0 && (await backend.connections()) === 0)).toBe(true);
    expect((await get(lb.port())).status).toBe(200);
  });
});

describe('abort storm', () => {
  it('hundreds of clients leaving mid-response leak no socket on either side', async () => {
    const streamer: Handler = (req, res, body, backend) => {
      if (req.url === '/after') {
        echo(req, res, body, backend);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.write(Buffer.alloc(16 * 1024, 1)); // then never ends: the client leaves first
    };
    const { backend, lb } = await setup(streamer, {}, { passive: { consecutiveFailures: 1000 } });
    const clients = 300;
    await Promise.all(
      Array.from(
        { length: clients },
        (_, index) =>
          new Promise<void>((resolve) => {
            const req = httpRequest(
              { host: '127.0.0.1', port: lb.port(), path: `/stream/${index}`, agent: false },
              (res) => {
                res.once('data', () => {
                  req.destroy();
                  resolve();
                });
              },
            );
            req.on('error', () => resolve());
            req.end();
          }),
      ),
    );
    expect(backend.hits).toBe(clients);
    const server = lb.lb.backendServer('a')!;
    const socketsOf = (group: NodeJS.ReadOnlyDict<unknown[]> | undefined): number =>
      Object.values(group ?? {}).reduce<number>((sum, list) => sum + (list?.length ?? 0), 0);
    const settled = await eventually(async () => {
      const agent = server.agentIfCreated;
      const pooled = server.connectionsIfCreated?.counts();
      return (
        lb.lb.inFlight === 0 &&
        server.active === 0 &&
        pooled !== undefined &&
        pooled.busy + pooled.idle + pooled.connecting + pooled.waiting === 0 &&
        socketsOf(agent?.sockets) === 0 &&
        socketsOf(agent?.freeSockets) === 0 &&
        (await backend.connections()) === 0 &&
        (await lb.lb.clientConnections()) === 0
      );
    }, 500);
    expect(
      settled,
      `in flight ${lb.lb.inFlight}, active ${server.active}, pooled ${JSON.stringify(server.connectionsIfCreated?.counts())}, backend connections ${await backend.connections()}, client connections ${await lb.lb.clientConnections()}`,
    ).toBe(true);
    expect(lb.access.filter((line) => line.includes('outcome=client-aborted'))).toHaveLength(clients);
    // Still serving.
    expect((await send(lb.port(), { path: '/after' })).status).toBe(200);
  });
});
