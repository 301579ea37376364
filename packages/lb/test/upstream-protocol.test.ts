// The proxy's own HTTP/1.1 client against raw backends that write crafted bytes: framing
// (chunked in tiny pieces, close-delimited, HTTP/1.0, no-body responses), interim responses,
// malformed responses (502 TLB-3005, never reused), excess bytes, connection reuse, the
// keep-alive race, cuts mid-body, connectionsPerServerMax, and request bodies.
import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { cleanupAfterEach, eventually, rawExchange, send, type Reply, type RunningLb } from './harness.js';
import {
  okResponse,
  responseHead,
  startRawBackend,
  writeInPieces,
  type RawBackend,
  type RawHandler,
} from './raw-backend.js';

const cleanups = cleanupAfterEach();

async function rawBackend(handler: RawHandler): Promise<RawBackend> {
  const backend = await startRawBackend(handler);
  cleanups.push(() => backend.close());
  return backend;
}

/** A load balancer with one pool `web` over the raw backends (a-, b-, ...). */
async function lbFor(backends: readonly RawBackend[], pool: Record<string, unknown> = {}): Promise<RunningLb> {
  return cleanups.startLb({
    listeners: [{ name: 'web', protocol: 'http', host: '127.0.0.1', port: 0, defaultPool: 'web' }],
    pools: {
      web: {
        servers: backends.map((backend, index) => ({
          id: String.fromCharCode(0x61 + index),
          host: '127.0.0.1',
          port: backend.port,
        })),
        // A hang shows as a 504 within seconds rather than the test's timeout.
        timeouts: { responseMs: 5000, idleMs: 5000 },
        // Faults under test must not mark the server down for the requests that follow.
        passive: { consecutiveFailures: 1000 },
        ...pool,
      },
    },
  });
}

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `send`, but a failure is a value (for assertions that name what happened). */
async function attempt(port: number, options: Parameters<typeof send>[1]): Promise<{ reply?: Reply; error?: string }> {
  try {
    return { reply: await send(port, options) };
  } catch (error) {
    return { error: String(error) };
  }
}

interface Streamed {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Resolves once the response has ended or failed. */
  readonly outcome: Promise<{ readonly complete: boolean; readonly body: Buffer; readonly error?: string }>;
}

/**
 * A GET whose response is read as it streams: resolves when the head and the first body
 * bytes have arrived, with a promise of how the body ends.
 */
function streamGet(port: number, path: string): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let settle: (value: { complete: boolean; body: Buffer; error?: string }) => void = () => undefined;
      const outcome = new Promise<{ complete: boolean; body: Buffer; error?: string }>((done) => (settle = done));
      let told = false;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (!told) {
          told = true;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, outcome });
        }
      });
      res.on('end', () => settle({ complete: res.complete, body: Buffer.concat(chunks) }));
      res.on('error', (error) => settle({ complete: false, body: Buffer.concat(chunks), error: String(error) }));
      res.on('close', () => settle({ complete: res.complete, body: Buffer.concat(chunks), error: 'closed' }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Splits a raw HTTP/1.1 response text into its head and body. */
function splitResponse(text: string): { head: string; body: string } {
  const end = text.indexOf('\r\n\r\n');
  return end < 0 ? { head: text, body: '' } : { head: text.slice(0, end), body: text.slice(end + 4) };
}

describe('response framing', () => {
  it('relays a chunked response written in many tiny pieces, and reuses the connection after it', async () => {
    const message = Buffer.from(
      responseHead('HTTP/1.1 200 OK', 'Content-Type: text/plain', 'Transfer-Encoding: chunked') +
        '5;ext=1\r\nhello\r\n1\r\n \r\n0000C\r\nchunked body\r\n3\r\n!!!\r\n0;last\r\nX-Trailer: t\r\n\r\n',
      'latin1',
    );
    const backend = await rawBackend((request, socket) => {
      if (request.url === '/tiny') void writeInPieces(socket, message, request.index === 0 ? 1 : 3);
      else socket.write(okResponse('after'));
    });
    const lb = await lbFor([backend]);
    const first = await send(lb.port(), { path: '/tiny' });
    expect(first.status).toBe(200);
    expect(first.body).toBe('hello chunked body!!!');
    expect(first.headers['content-type']).toBe('text/plain');
    const second = await send(lb.port(), { path: '/tiny' });
    expect(second.body).toBe('hello chunked body!!!');
    expect((await send(lb.port(), { path: '/after' })).body).toBe('after');
    expect(backend.accepts).toBe(1);
    expect(backend.requests.map((request) => request.connection)).toEqual([1, 1, 1]);
  });

  it('relays a close-delimited response (no length) intact; its connection is not reused', async () => {
    const body = randomBytes(300 * 1024);
    const backend = await rawBackend((request, socket) => {
      if (request.url === '/close-delimited') {
        socket.write(responseHead('HTTP/1.1 200 OK', 'Content-Type: application/octet-stream'));
        void writeInPieces(socket, body, 64 * 1024).then(() => socket.end());
      } else socket.write(okResponse('next'));
    });
    const lb = await lbFor([backend]);
    const reply = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: lb.port(), path: '/close-delimited', agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(reply.status).toBe(200);
    expect(reply.body.length).toBe(body.length);
    expect(sha256(reply.body)).toBe(sha256(body));
    expect((await send(lb.port(), { path: '/next' })).body).toBe('next');
    expect(backend.accepts).toBe(2);
  });

  it('relays an HTTP/1.0 response, and does not reuse its connection', async () => {
    const backend = await rawBackend((request, socket) => {
      if (request.url === '/http10') socket.write('HTTP/1.0 200 OK\r\nContent-Length: 5\r\nX-Old: yes\r\n\r\nhello');
      else if (request.url === '/http10-close-delimited') {
        socket.write('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end');
        socket.end();
      } else socket.write(okResponse('next'));
    });
    const lb = await lbFor([backend]);
    const reply = await send(lb.port(), { path: '/http10' });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('hello');
    expect(reply.headers['x-old']).toBe('yes');
    // The backend left its connection open; the load balancer must close it, not pool it.
    expect(await eventually(() => backend.closed.has(1))).toBe(true);
    expect((await send(lb.port(), { path: '/next' })).body).toBe('next');
    expect(backend.requests.at(-1)?.connection).toBe(2);
    const closeDelimited = await send(lb.port(), { path: '/http10-close-delimited' });
    expect(closeDelimited.status).toBe(200);
    expect(closeDelimited.body).toBe('until the end');
  });

  it('reuses the connection of an HTTP/1.0 response with Connection: keep-alive and a length', async () => {
    const backend = await rawBackend((_request, socket) => {
      socket.write('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok');
    });
    const lb = await lbFor([backend]);
    for (let index = 0; index < 3; index++) expect((await send(lb.port(), { path: `/${index}` })).body).toBe('ok');
    expect(backend.accepts).toBe(1);
  });

  const noBody: Array<[string, string, string]> = [
    ['HEAD with a Content-Length', 'HEAD', responseHead('HTTP/1.1 200 OK', 'Content-Length: 1000')],
    ['HEAD with chunked', 'HEAD', responseHead('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked')],
    ['HEAD with neither', 'HEAD', responseHead('HTTP/1.1 200 OK', 'Content-Type: text/html')],
    ['204', 'GET', responseHead('HTTP/1.1 204 No Content', 'X-Empty: yes')],
    ['204 from a DELETE', 'DELETE', responseHead('HTTP/1.1 204 No Content')],
    [
      '304 with a Content-Length',
      'GET',
      responseHead('HTTP/1.1 304 Not Modified', 'ETag: "v1"', 'Content-Length: 5000'),
    ],
    ['304 without headers', 'GET', responseHead('HTTP/1.1 304 Not Modified')],
  ];
  for (const [name, method, head] of noBody) {
    it(`a ${name} response has no body and does not hang the next request on its connection`, async () => {
      const backend = await rawBackend((request, socket) => {
        if (request.url === '/nobody') socket.write(head);
        else socket.write(okResponse('after'));
      });
      const lb = await lbFor([backend]);
      for (let round = 0; round < 2; round++) {
        const reply = await send(lb.port(), { method, path: '/nobody' });
        expect(reply.status).toBe(Number(head.slice(9, 12)));
        expect(reply.body).toBe('');
        const after = await send(lb.port(), { path: '/after' });
        expect(after.status).toBe(200);
        expect(after.body).toBe('after');
      }
      expect(backend.accepts).toBe(1);
      expect(backend.requests.map((request) => request.connection)).toEqual([1, 1, 1, 1]);
    });
  }
  it('a body sent after a HEAD response is not relayed, and that connection is dropped', async () => {
    const backend = await rawBackend((request, socket) => {
      if (request.method === 'HEAD') socket.write(okResponse('hello'));
      else socket.write(okResponse('after'));
    });
    const lb = await lbFor([backend]);
    const response = await rawExchange(lb.port(), 'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const { head, body } = splitResponse(response);
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(body).toBe('');
    expect(await eventually(() => backend.closed.has(1))).toBe(true);
    expect((await send(lb.port(), { path: '/after' })).body).toBe('after');
    expect(backend.requests.at(-1)?.connection).toBe(2);
  });
});

describe('interim responses', () => {
  const interim =
    responseHead('HTTP/1.1 100 Continue') +
    responseHead('HTTP/1.1 103 Early Hints', 'Link: </style.css>; rel=preload; as=style') +
    responseHead('HTTP/1.1 200 OK', 'Content-Length: 5', 'X-Final: yes') +
    'final';

  for (const [name, pieceSize] of [
    ['in one write', 1 << 20],
    ['byte by byte', 1],
  ] as const) {
    it(`skips 100 Continue and 103 Early Hints before the final response (${name})`, async () => {
      const backend = await rawBackend((_request, socket) => {
        void writeInPieces(socket, Buffer.from(interim, 'latin1'), pieceSize);
      });
      const lb = await lbFor([backend]);
      for (let round = 0; round < 2; round++) {
        const reply = await send(lb.port(), { path: `/interim/${round}` });
        expect(reply.status).toBe(200);
        expect(reply.body).toBe('final');
        expect(reply.headers['x-final']).toBe('yes');
        expect(reply.headers.link).toBeUndefined();
      }
      expect(backend.accepts).toBe(1);
    });
  }
});

describe('malformed responses: 502 TLB-3005, not retried, the connection never reused', () => {
  const big = (size: number): string =>
    responseHead('HTTP/1.1 200 OK', `X-Big: ${'a'.repeat(size)}`, 'Content-Length: 2') + 'ok';
  const malformed: Array<[string, string]> = [
    [
      'Transfer-Encoding with Content-Length',
      responseHead('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', 'Content-Length: 5') + '5\r\nhello\r\n0\r\n\r\n',
    ],
    [
      'two different Content-Lengths',
      responseHead('HTTP/1.1 200 OK', 'Content-Length: 5', 'Content-Length: 6') + 'hello!',
    ],
    ['obs-fold', responseHead('HTTP/1.1 200 OK', 'X-Folded: one', ' two', 'Content-Length: 2') + 'ok'],
    ['a bare LF ending a header line', 'HTTP/1.1 200 OK\r\nX-A: b\nContent-Length: 2\r\n\r\nok'],
    ['bare LF line ends throughout', 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok'],
    ['a malformed status line', responseHead('HTTP/1.1 OK', 'Content-Length: 2') + 'ok'],
    ['a space before the colon', responseHead('HTTP/1.1 200 OK', 'Content-Length : 2') + 'ok'],
    ['a NUL in a header value', responseHead('HTTP/1.1 200 OK', 'X-A: a\x00b', 'Content-Length: 2') + 'ok'],
    [
      'an invalid chunk size',
      responseHead('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked') + 'zz\r\nhello\r\n0\r\n\r\n',
    ],
    // RFC 9110 section 15: status codes outside 100-599 are invalid; this one is no interim response.
    ['a status code below 100', responseHead('HTTP/1.1 042 Odd', 'Content-Length: 2') + 'ok'],
    ['a head of 80 KiB', big(80 * 1024)],
    ['a head of 200 KiB', big(200 * 1024)],
  ];

  for (const [name, bytes] of malformed) {
    it(`${name}`, async () => {
      const handler: RawHandler = (request, socket) => {
        // The malformed answer, then the connection is left open: the load balancer must drop it.
        if (request.url === '/bad') socket.write(Buffer.from(bytes, 'latin1'));
        else socket.write(okResponse('good'));
      };
      const backends = [await rawBackend(handler), await rawBackend(handler)];
      const lb = await lbFor(backends);
      const result = await attempt(lb.port(), { path: '/bad' });
      expect(result.error, 'the client got a 502, not a cut').toBeUndefined();
      expect(result.reply?.status).toBe(502);
      expect(result.reply?.body).toContain('TLB-3005');
      // Not retried: one backend saw /bad once.
      const bad = backends.flatMap((backend) =>
        backend.requests.filter((request) => request.url === '/bad').map((request) => ({ backend, request })),
      );
      expect(bad).toHaveLength(1);
      const [{ backend: badBackend, request: badRequest }] = bad;
      // The load balancer dropped that connection, and keeps serving (both servers, twice each).
      expect(await eventually(() => badBackend.closed.has(badRequest.connection))).toBe(true);
      for (let index = 0; index < 4; index++) {
        const reply = await send(lb.port(), { path: '/good' });
        expect(reply.status).toBe(200);
        expect(reply.body).toBe('good');
      }
      const onBadConnection = badBackend.requests.filter(
        (request) => request.connection === badRequest.connection && request !== badRequest,
      );
      expect(onBadConnection).toEqual([]);
      expect(
        await eventually(() =>
          lb.access.some((line) => line.includes('"GET /bad HTTP/1.1" 502') && line.includes('outcome=TLB-3005')),
        ),
      ).toBe(true);
      expect(lb.logs.some((line) => line.includes('TLB-3005') && line.includes('sent an invalid response'))).toBe(true);
    });
  }

  it('the 502 for a bad first chunk is framed as its head says (raw bytes)', async () => {
    const backend = await rawBackend((request, socket) => {
      if (request.url === '/bad')
        socket.write(responseHead('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked') + 'zz\r\nhello\r\n0\r\n\r\n');
      else socket.write(okResponse('good'));
    });
    const lb = await lbFor([backend]);
    const response = await rawExchange(lb.port(), 'GET /bad HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const { head, body } = splitResponse(response);
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 502 Bad Gateway');
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    expect(head).not.toMatch(/transfer-encoding/i);
    expect(length, head).toBeDefined();
    expect(Buffer.byteLength(body, 'latin1'), JSON.stringify(response)).toBe(Number(length));
    expect(body.startsWith('502 Bad Gateway\n\nTLB-3005: ')).toBe(true);
  });

  it('an invalid chunk after the body started cuts the client (no short success), and the lb keeps serving', async () => {
    const sockets: Socket[] = [];
    const backend = await rawBackend((request, socket) => {
      if (request.url !== '/bad-later') {
        socket.write(okResponse('good'));
        return;
      }
      sockets.push(socket);
      socket.write(responseHead('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked') + '5\r\nhello\r\n');
    });
    const lb = await lbFor([backend]);
    const streamed = await streamGet(lb.port(), '/bad-later');
    expect(streamed.status).toBe(200);
    // The first chunk reached the client; now a broken one on the same connection.
    expect(sockets).toHaveLength(1);
    sockets[0].write('xyz\r\nworld\r\n0\r\n\r\n');
    const outcome = await streamed.outcome;
    expect(outcome.complete).toBe(false);
    expect(outcome.body.toString()).toBe('hello');
    expect(await eventually(() => backend.closed.has(1))).toBe(true);
    expect((await send(lb.port(), { path: '/good' })).body).toBe('good');
    expect(
      await eventually(() =>
        lb.access.some((line) => line.includes('/bad-later') && line.includes('outcome=TLB-3005')),
      ),
    ).toBe(true);
  });
});

describe('excess bytes', () => {
  it('a backend sending more than its Content-Length: the client gets exactly Content-Length bytes, the connection is dropped', async () => {
    const smuggled = responseHead('HTTP/1.1 200 OK', 'Content-Length: 4') + 'evil';
    const backend = await rawBackend((request, socket) => {
      if (request.url === '/excess')
        socket.write(responseHead('HTTP/1.1 200 OK', 'Content-Length: 5') + 'hello' + smuggled);
      else socket.write(okResponse('clean'));
    });
    const lb = await lbFor([backend]);
    const response = await rawExchange(lb.port(), 'GET /excess HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const { head, body } = splitResponse(response);
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(head).toMatch(/\r\nContent-Length: 5(\r\n|$)/i);
    expect(body).toBe('hello');
    expect(await eventually(() => backend.closed.has(1))).toBe(true);
    for (let index = 0; index < 3; index++) {
      const reply = await send(lb.port(), { path: '/next' });
      expect(reply.body).toBe('clean');
    }
    expect(backend.requests.filter((request) => request.connection === 1)).toHaveLength(1);
  });

  it('excess bytes after a chunked body: the body ends at its last chunk, the connection is dropped', async () => {
    const backend = await rawBackend((request, socket) => {
      if (request.url === '/excess')
        socket.write(
          responseHead('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked') +
            '5\r\nhello\r\n0\r\n\r\n' +
            responseHead('HTTP/1.1 200 OK', 'Content-Length: 4') +
            'evil',
        );
      else socket.write(okResponse('clean'));
    });
    const lb = await lbFor([backend]);
    expect((await send(lb.port(), { path: '/excess' })).body).toBe('hello');
    expect(await eventually(() => backend.closed.has(1))).toBe(true);
    expect((await send(lb.port(), { path: '/next' })).body).toBe('clean');
    expect(backend.requests.at(-1)?.connection).toBe(2);
  });
});

describe('connection reuse', () => {
  it('N sequential requests over one client keep-alive connection use one upstream connection', async () => {
    const backend = await rawBackend((request, socket) => socket.write(okResponse(`reply ${request.url}`)));
    const lb = await lbFor([backend]);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let index = 0; index < 20; index++) {
        const reply = await send(lb.port(), { path: `/r${index}`, agent });
        expect(reply.body).toBe(`reply /r${index}`);
      }
    } finally {
      agent.destroy();
    }
    expect(backend.accepts).toBe(1);
    expect(backend.requests).toHaveLength(20);
    expect(await lb.lb.clientConnections()).toBeLessThanOrEqual(1);
  });

  it('sequential requests from separate client connections share one upstream connection too', async () => {
    const backend = await rawBackend((request, socket) => socket.write(okResponse(`reply ${request.url}`)));
    const lb = await lbFor([backend]);
    for (let index = 0; index < 10; index++) expect((await send(lb.port(), { path: `/s${index}` })).status).toBe(200);
    expect(backend.accepts).toBe(1);
  });

  it('Connection: close from the backend: a new upstream connection for the next request', async () => {
    const backend = await rawBackend((_request, socket) => {
      socket.write(okResponse('bye', 'Connection: close'));
      socket.end();
    });
    const lb = await lbFor([backend]);
    for (let index = 0; index < 4; index++) expect((await send(lb.port(), { path: `/c${index}` })).body).toBe('bye');
    expect(backend.accepts).toBe(4);
    expect(backend.requests.map((request) => [request.connection, request.index])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
    ]);
  });

  it('Connection: close from a backend that keeps the socket open: the load balancer closes it', async () => {
    const backend = await rawBackend((_request, socket) => {
      socket.write(okResponse('bye', 'Connection: close'));
    });
    const lb = await lbFor([backend]);
    for (let index = 0; index < 3; index++) expect((await send(lb.port(), { path: `/c${index}` })).body).toBe('bye');
    expect(backend.accepts).toBe(3);
    expect(await eventually(() => backend.open === 0)).toBe(true);
  });
});

describe('the keep-alive race', () => {
  it('a backend that closes every connection after its first response (without saying so): every GET succeeds', async () => {
    const backend = await rawBackend((request, socket) => {
      socket.write(okResponse(`once ${request.url}`));
      socket.end();
    });
    const lb = await lbFor([backend]);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const statuses: number[] = [];
    try {
      for (let index = 0; index < 15; index++) {
        const reply = await send(lb.port(), { path: `/k${index}`, agent });
        statuses.push(reply.status);
        expect(reply.body).toBe(`once /k${index}`);
      }
    } finally {
      agent.destroy();
    }
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
  });

  it('a kept-alive connection the backend closes just as the next request arrives: the GET is retried, no 502', async () => {
    // Deterministic race: the second request on any connection finds it closed without a byte.
    const backend = await rawBackend((request, socket) => {
      if (request.index === 0) socket.write(okResponse(`served ${request.url}`));
      else socket.destroy();
    });
    const lb = await lbFor([backend]);
    for (let index = 0; index < 5; index++) {
      const reply = await send(lb.port(), { path: `/race${index}` });
      expect(reply.status, `${reply.body}\n${lb.logs.join('\n')}`).toBe(200);
      expect(reply.body).toBe(`served /race${index}`);
    }
    // Every request after the first met a closed pooled connection once, then a fresh one.
    expect(backend.accepts).toBe(5);
    expect(lb.logs.filter((line) => line.includes('TLB-3004'))).toEqual([]);
  });

  it('the same race with two servers: the GET is retried on the other one', async () => {
    const racing = await rawBackend((request, socket) => {
      if (request.index === 0) socket.write(okResponse(`racing ${request.url}`));
      else socket.destroy();
    });
    const steady = await rawBackend((request, socket) => socket.write(okResponse(`steady ${request.url}`)));
    const lb = await lbFor([racing, steady]);
    // Round robin: each server gets a pooled connection first.
    const warm = [await send(lb.port(), { path: '/warm0' }), await send(lb.port(), { path: '/warm1' })];
    expect(warm.map((reply) => reply.status)).toEqual([200, 200]);
    const reply = await send(lb.port(), { path: '/after-warm' });
    expect(reply.status, reply.body).toBe(200);
    expect(reply.body).toMatch(/^(racing|steady) \/after-warm$/);
    expect(racing.requests.filter((request) => request.url === '/after-warm').length).toBeLessThanOrEqual(1);
  });
});

describe('a backend that breaks mid-body', () => {
  const shapes: Array<[string, string]> = [
    ['Content-Length', responseHead('HTTP/1.1 200 OK', 'Content-Length: 100000') + 'x'.repeat(1000)],
    ['chunked', responseHead('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked') + '3e8\r\n' + 'x'.repeat(1000) + '\r\n'],
    ['close-delimited', responseHead('HTTP/1.1 200 OK', 'Content-Type: text/plain') + 'x'.repeat(1000)],
  ];
  for (const [name, partial] of shapes) {
    for (const how of ['reset', 'close'] as const) {
      // A close-delimited body ends when the connection closes cleanly: that is a complete response.
      if (name === 'close-delimited' && how === 'close') continue;
      it(`${name} body, connection ${how === 'reset' ? 'reset' : 'closed'}: the client sees a cut, not a short success`, async () => {
        const sockets: Socket[] = [];
        const backend = await rawBackend((request, socket) => {
          if (request.url === '/cut') {
            sockets.push(socket);
            socket.write(partial);
          } else socket.write(okResponse('fine'));
        });
        const lb = await lbFor([backend]);
        const streamed = await streamGet(lb.port(), '/cut');
        expect(streamed.status).toBe(200);
        expect(sockets).toHaveLength(1);
        if (how === 'reset') sockets[0].resetAndDestroy();
        else sockets[0].end();
        const outcome = await streamed.outcome;
        expect(outcome.complete, `body ${outcome.body.length} bytes, ${outcome.error ?? 'no error'}`).toBe(false);
        expect(outcome.body.length).toBeLessThanOrEqual(1000);
        expect((await send(lb.port(), { path: '/fine' })).body).toBe('fine');
        expect(
          await eventually(() => lb.access.some((line) => line.includes('/cut') && line.includes('outcome=TLB-3004'))),
        ).toBe(true);
      });
    }
  }

  it('a close-delimited body cut by a reset is not passed off as complete even to an HTTP/1.0 client', async () => {
    const sockets: Socket[] = [];
    const backend = await rawBackend((_request, socket) => {
      sockets.push(socket);
      socket.write(responseHead('HTTP/1.1 200 OK', 'Content-Type: text/plain') + 'partial');
    });
    const lb = await lbFor([backend]);
    const client = connect(lb.port(), '127.0.0.1');
    const received: Buffer[] = [];
    const closed = new Promise<{ error: boolean }>((resolve) => {
      let error = false;
      client.on('error', () => (error = true));
      client.on('close', () => resolve({ error }));
    });
    client.on('data', (chunk: Buffer) => received.push(chunk));
    client.write('GET /cut HTTP/1.0\r\nHost: x\r\n\r\n');
    expect(await eventually(() => Buffer.concat(received).toString().includes('partial'))).toBe(true);
    sockets[0].resetAndDestroy();
    await closed;
    // For an HTTP/1.0 client, a close is the body's end: the access log must still name the cut.
    expect(
      await eventually(() => lb.access.some((line) => line.includes('/cut') && line.includes('outcome=TLB-3004'))),
    ).toBe(true);
  });
});

describe('connectionsPerServerMax', () => {
  it('5 concurrent requests with connectionsPerServerMax 1 all succeed over one connection at a time', async () => {
    const started: { lb?: RunningLb } = {};
    const pooled: number[] = [];
    const backend = await rawBackend((request, socket) => {
      const counts = started.lb?.lb.backendServer('a')?.connectionsIfCreated?.counts();
      if (counts !== undefined) pooled.push(counts.busy + counts.idle + counts.connecting);
      // Answer a little later, so the requests overlap at the load balancer.
      setTimeout(() => socket.write(okResponse(`slot ${request.url}`)), 20);
    });
    const lb = await lbFor([backend], { connectionsPerServerMax: 1 });
    started.lb = lb;
    const port = lb.port();
    const replies = await Promise.all(Array.from({ length: 5 }, (_, index) => send(port, { path: `/p${index}` })));
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 200, 200]);
    expect(replies.map((reply) => reply.body).sort()).toEqual(
      ['/p0', '/p1', '/p2', '/p3', '/p4'].map((p) => `slot ${p}`),
    );
    expect(backend.maxOpen).toBe(1);
    expect(backend.accepts).toBe(1);
    expect(backend.requests).toHaveLength(5);
    expect(pooled).toEqual([1, 1, 1, 1, 1]);
  });

  it('with connectionsPerServerMax 1, a connection dropped after a malformed response frees the slot', async () => {
    const started: { lb?: RunningLb } = {};
    const pooled: number[] = [];
    const backend = await rawBackend((request, socket) => {
      // What the load balancer holds for this server while the backend serves a request.
      const counts = started.lb?.lb.backendServer('a')?.connectionsIfCreated?.counts();
      if (counts !== undefined) pooled.push(counts.busy + counts.idle + counts.connecting);
      if (request.url === '/bad') socket.write(responseHead('HTTP/1.1 200 OK', 'Content-Length: x') + 'ok');
      else setTimeout(() => socket.write(okResponse('ok')), 10);
    });
    const lb = await lbFor([backend], { connectionsPerServerMax: 1 });
    started.lb = lb;
    const port = lb.port();
    const replies = await Promise.all([
      attempt(port, { path: '/bad' }),
      ...Array.from({ length: 4 }, (_, index) => attempt(port, { path: `/q${index}` })),
    ]);
    expect(replies.map((result) => result.reply?.status ?? result.error)).toEqual([502, 200, 200, 200, 200]);
    expect(pooled).toHaveLength(5);
    expect(Math.max(...pooled)).toBe(1);
    // The dropped connection may still be closing on the backend's side when the next one opens.
    expect(backend.maxOpen).toBeLessThanOrEqual(2);
    expect(backend.accepts).toBe(2);
  });
});

describe('request bodies', () => {
  const digestHandler: RawHandler = (request, socket) => {
    const text = JSON.stringify({ length: request.body.length, sha: sha256(request.body) });
    socket.write(okResponse(text, 'Content-Type: application/json'));
  };

  it('a chunked request body sent in several pieces reaches the backend re-chunked, complete', async () => {
    const backend = await rawBackend(digestHandler);
    const lb = await lbFor([backend]);
    const client = connect(lb.port(), '127.0.0.1');
    const received: Buffer[] = [];
    client.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    client.on('error', () => undefined);
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    const pieces = [
      'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
      '5\r\nhello\r\n',
      '1;ext=1\r\n \r\n',
      'D\r\nchunked wo',
      'rld\r\n3\r\n!!!\r\n',
      '0\r\nX-Trailer: t\r\n\r\n',
    ];
    for (const piece of pieces) {
      await new Promise<void>((resolve) => client.write(piece, () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await closed;
    const { head, body } = splitResponse(Buffer.concat(received).toString('latin1'));
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    const expected = 'hello chunked world!!!';
    expect(JSON.parse(body)).toEqual({ length: expected.length, sha: sha256(expected) });
    const seen = backend.requests[0];
    expect(seen.body.toString()).toBe(expected);
    expect(seen.headers['transfer-encoding']).toBe('chunked');
    expect(seen.headers['content-length']).toBeUndefined();
    expect(backend.faults).toEqual([]);
    // The raw framing ends with exactly one last chunk.
    expect(seen.rawBody.toString('latin1').endsWith('\r\n0\r\n\r\n')).toBe(true);
  });

  it('a large chunked request body from node http (many writes) arrives intact', async () => {
    const backend = await rawBackend(digestHandler);
    const lb = await lbFor([backend]);
    const parts = Array.from({ length: 40 }, (_, index) => randomBytes(1000 + index * 997));
    const whole = Buffer.concat(parts);
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: lb.port(), method: 'PUT', path: '/big-chunked', agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              rawHeaders: res.rawHeaders,
              body: Buffer.concat(chunks).toString(),
              server: undefined,
            }),
          );
        },
      );
      req.on('error', reject);
      for (const part of parts) req.write(part);
      req.end();
    });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ length: whole.length, sha: sha256(whole) });
    expect(backend.requests[0].headers['transfer-encoding']).toBe('chunked');
    expect(backend.faults).toEqual([]);
  });

  it('a Content-Length body of 1 MiB arrives intact', async () => {
    const backend = await rawBackend(digestHandler);
    const lb = await lbFor([backend]);
    const body = randomBytes(1024 * 1024);
    const reply = await send(lb.port(), {
      method: 'POST',
      path: '/mib',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) },
      body,
    });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ length: body.length, sha: sha256(body) });
    const seen = backend.requests[0];
    expect(seen.headers['content-length']).toBe(String(body.length));
    expect(seen.headers['transfer-encoding']).toBeUndefined();
    // The upstream connection is clean afterwards: the next request reuses it.
    expect((await send(lb.port(), { method: 'POST', path: '/small', body: 'abc' })).status).toBe(200);
    expect(backend.requests[1].body.toString()).toBe('abc');
    expect(backend.accepts).toBe(1);
  });
});
