// The client half of the proxy as a user's client sees it, over raw sockets: pipelining,
// HTTP/1.0 (keep-alive or not, no Host, close-delimited bodies), Expect: 100-continue, the
// refusals (400/405/408/431/505) and the limits behind them, request bodies in pieces and
// chunked with extensions and trailers, limits changed by a reload on an open connection,
// and no client connection left open afterwards.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import {
  cleanupAfterEach,
  echo,
  eventually,
  hold,
  startBackend,
  type Backend,
  type Handler,
  type RunningLb,
} from './harness.js';
import { startRawBackend, okResponse, writeInPieces, type RawBackend, type RawHandler } from './raw-backend.js';
import { RawClient, type ParsedResponse } from './raw-client.js';
import { validateConfig } from '../src/index.js';

const cleanups = cleanupAfterEach();

function config(port: number, limits: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    listeners: [{ name: 'web', protocol: 'http', host: '127.0.0.1', port: 0, defaultPool: 'web' }],
    pools: {
      web: {
        servers: [{ id: 'a', host: '127.0.0.1', port }],
        timeouts: { responseMs: 10_000, idleMs: 10_000 },
        passive: { consecutiveFailures: 1000 },
      },
    },
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
}

/** A node:http backend `a` and a load balancer in front of it. */
async function setup(
  handler: Handler = echo,
  limits: Record<string, unknown> = {},
): Promise<{ backend: Backend; lb: RunningLb }> {
  const backend = await startBackend('a', handler);
  cleanups.push(() => backend.close());
  const lb = await cleanups.startLb(config(backend.port, limits));
  return { backend, lb };
}

/** A raw backend and a load balancer in front of it. */
async function setupRaw(handler: RawHandler): Promise<{ backend: RawBackend; lb: RunningLb }> {
  const backend = await startRawBackend(handler);
  cleanups.push(() => backend.close());
  const lb = await cleanups.startLb(config(backend.port));
  return { backend, lb };
}

/** A raw client to the load balancer, destroyed after the test if still open. */
async function client(lb: RunningLb): Promise<RawClient> {
  const raw = await RawClient.connect(lb.port());
  cleanups.push(() => Promise.resolve(raw.destroy()));
  return raw;
}

/** The JSON an echo backend answered. */
function echoed(response: ParsedResponse): { url: string; method: string; headers: Record<string, string> } {
  return JSON.parse(response.body.toString()) as { url: string; method: string; headers: Record<string, string> };
}

/** Once every client has gone, the load balancer holds no client connection. */
async function expectNoClientConnections(lb: RunningLb): Promise<void> {
  let last = -1;
  const settled = await eventually(async () => (last = await lb.lb.clientConnections()) === 0);
  expect(settled, `client connections still open: ${last}`).toBe(true);
}

function get(path: string, ...fields: string[]): string {
  return `GET ${path} HTTP/1.1\r\nHost: x\r\n${fields.map((field) => `${field}\r\n`).join('')}\r\n`;
}

describe('pipelining', () => {
  it('answers GET, GET, HEAD written in one write in order on one connection, the HEAD without a body', async () => {
    const { backend, lb } = await setup();
    const raw = await client(lb);
    // A fourth GET after the HEAD shows no body bytes followed the HEAD's answer.
    await raw.write(get('/one') + get('/two') + 'HEAD /three HTTP/1.1\r\nHost: x\r\n\r\n' + get('/four'));
    const one = await raw.response('GET');
    const two = await raw.response('GET');
    const three = await raw.response('HEAD');
    const four = await raw.response('GET');
    expect([one.status, two.status, three.status, four.status]).toEqual([200, 200, 200, 200]);
    expect(echoed(one).url).toBe('/one');
    expect(echoed(two).url).toBe('/two');
    expect(three.headers['content-length']).toBeDefined();
    expect(three.body.length).toBe(0);
    expect(echoed(four).url).toBe('/four');
    expect(raw.pending.length).toBe(0);
    expect(raw.closed).toBe(false);
    expect(backend.seen.map((seen) => `${seen.method} ${seen.url}`)).toEqual([
      'GET /one',
      'GET /two',
      'HEAD /three',
      'GET /four',
    ]);
    await raw.close();
    await expectNoClientConnections(lb);
  });

  it('ignores empty lines before a request line (RFC 9112 section 2.2), first or pipelined', async () => {
    const { backend, lb } = await setup();
    const raw = await client(lb);
    await raw.write('\r\n' + get('/after-blank') + '\r\n\r\n' + get('/after-two-blanks'));
    const first = await raw.response('GET');
    const second = await raw.response('GET');
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(backend.seen.map((seen) => seen.url)).toEqual(['/after-blank', '/after-two-blanks']);
    await raw.close();
    await expectNoClientConnections(lb);
  });

  it('answers a flood of 200 pipelined GETs in one write, all in order', async () => {
    const { lb } = await setup();
    const raw = await client(lb);
    const count = 200;
    await raw.write(Array.from({ length: count }, (_, index) => get(`/flood/${index}`)).join(''));
    for (let index = 0; index < count; index++) {
      const response = await raw.response();
      expect(response.status).toBe(200);
      expect(echoed(response).url).toBe(`/flood/${index}`);
    }
    expect(raw.closed).toBe(false);
    await raw.close();
    await expectNoClientConnections(lb);
  });

  it('answers a pipelined flood larger than its pipeline buffer (the socket pauses and resumes)', async () => {
    const { backend, lb } = await setup();
    const raw = await client(lb);
    const count = 600;
    const padding = `X-Pad: ${'p'.repeat(200)}`;
    const bytes = Array.from({ length: count }, (_, index) => get(`/big/${index}`, padding)).join('');
    expect(bytes.length).toBeGreaterThan(128 * 1024);
    const written = raw.write(bytes);
    for (let index = 0; index < count; index++) {
      const response = await raw.response();
      expect(response.status).toBe(200);
      expect(echoed(response).url).toBe(`/big/${index}`);
    }
    await written;
    expect(backend.hits).toBe(count);
    await raw.close();
    await expectNoClientConnections(lb);
  });
});

describe('HTTP/1.0 clients', () => {
  it('closes the connection after answering a 1.0 request without keep-alive', async () => {
    const { lb } = await setup();
    const raw = await client(lb);
    await raw.write('GET /old HTTP/1.0\r\nHost: x\r\n\r\n');
    const response = await raw.response();
    expect(response.status).toBe(200);
    expect(echoed(response).url).toBe('/old');
    expect(response.headers.connection).toBe('close');
    expect(await raw.waitClosed()).toBe(true);
    await expectNoClientConnections(lb);
  });

  it('keeps a 1.0 connection with Connection: keep-alive open, and says so', async () => {
    const { lb } = await setup();
    const raw = await client(lb);
    for (const path of ['/ka/1', '/ka/2', '/ka/3']) {
      await raw.write(`GET ${path} HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`);
      const response = await raw.response();
      expect(response.status).toBe(200);
      expect(echoed(response).url).toBe(path);
      expect(response.headers.connection).toBe('keep-alive');
      expect(raw.closed).toBe(false);
    }
    // The last one asks to close: answered, then closed.
    await raw.write('GET /ka/last HTTP/1.0\r\nHost: x\r\n\r\n');
    expect((await raw.response()).headers.connection).toBe('close');
    expect(await raw.waitClosed()).toBe(true);
    await expectNoClientConnections(lb);
  });

  it('forwards a 1.0 request without Host with Host: <server host:port>', async () => {
    const { backend, lb } = await setup();
    const raw = await client(lb);
    await raw.write('GET /no-host HTTP/1.0\r\n\r\n');
    const response = await raw.response();
    expect(response.status).toBe(200);
    const seen = backend.seen.at(-1)!;
    expect(seen.url).toBe('/no-host');
    expect(seen.headers.host).toBe(`127.0.0.1:${backend.port}`);
    expect(seen.rawHeaders.filter((name) => name.toLowerCase() === 'host')).toHaveLength(1);
    expect(await raw.waitClosed()).toBe(true);
    await expectNoClientConnections(lb);
  });

  it('relays a body without length: close-delimited to a 1.0 client, chunked to a 1.1 client, intact', async () => {
    const payload = randomBytes(200 * 1024);
    const streaming: Handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      let at = 0;
      const next = (): void => {
        if (at >= payload.length) {
          res.end();
          return;
        }
        res.write(payload.subarray(at, at + 7000));
        at += 7000;
        setImmediate(next);
      };
      next();
    };
    const { lb } = await setup(streaming);

    const old = await client(lb);
    await old.write('GET /stream HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    expect(await old.waitClosed(20_000)).toBe(true);
    const oldResponse = await old.response();
    expect(oldResponse.status).toBe(200);
    expect(oldResponse.framing).toBe('close');
    expect(oldResponse.headers['transfer-encoding']).toBeUndefined();
    expect(oldResponse.headers.connection).toBe('close');
    expect(oldResponse.body.equals(payload)).toBe(true);

    const modern = await client(lb);
    await modern.write(get('/stream'));
    const modernResponse = await modern.response('GET', 20_000);
    expect(modernResponse.framing).toBe('chunked');
    expect(modernResponse.headers['transfer-encoding']).toBe('chunked');
    expect(modernResponse.body.equals(payload)).toBe(true);
    // Still usable after the chunked body.
    await modern.write(get('/stream'));
    expect((await modern.response('GET', 20_000)).body.equals(payload)).toBe(true);
    await modern.close();
    await expectNoClientConnections(lb);
  });
});

describe('clients that half-close', () => {
  // A client may shut down its sending side once the request is out (nc -N, some HTTP/1.0
  // clients); the response must still reach it (node's http server answers these).
  for (const version of ['1.1', '1.0']) {
    it(`answers an HTTP/${version} request whose client half-closed right after sending it`, async () => {
      const { backend, lb } = await setup();
      const raw = await client(lb);
      raw.socket.end(`GET /half-closed HTTP/${version}\r\nHost: x\r\n\r\n`);
      expect(await raw.waitClosed(15_000)).toBe(true);
      expect(raw.text().split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
      const response = await raw.response();
      expect(echoed(response).url).toBe('/half-closed');
      expect(backend.hits).toBe(1);
      await expectNoClientConnections(lb);
    });
  }
});

describe('Expect: 100-continue', () => {
  it('answers 100 Continue, then streams the body to the backend and relays the final response', async () => {
    const { backend, lb } = await setup();
    const raw = await client(lb);
    await raw.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n');
    const interim = await raw.response('POST');
    expect(interim.statusLine).toBe('HTTP/1.1 100 Continue');
    expect(backend.hits).toBe(0);
    await raw.write('hello world');
    const final = await raw.response('POST');
    expect(final.status).toBe(200);
    expect(echoed(final).url).toBe('/upload');
    expect(backend.seen.at(-1)?.body).toBe('hello world');
    // Only one interim answer reached the client.
    expect(raw.text().match(/HTTP\/1\.1 100/g)).toHaveLength(1);
    await raw.close();
    await expectNoClientConnections(lb);
  });
});

describe('refusals', () => {
  it('refuses an HTTP/1.1 request without Host with 400 and TLB-4001, and closes the connection', async () => {
    const { backend, lb } = await setup();
    const raw = await client(lb);
    await raw.write('GET / HTTP/1.1\r\nX-No-Host: 1\r\n\r\n');
    const response = await raw.response();
    expect(response.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(response.body.toString()).toContain('TLB-4001');
    expect(response.headers.connection).toBe('close');
    expect(await raw.waitClosed()).toBe(true);
    expect(backend.hits).toBe(0);
    await expectNoClientConnections(lb);
  });

  const statuses: Array<[string, string, string]> = [
    ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 'HTTP/1.1 505 HTTP Version Not Supported'],
    ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 'HTTP/1.1 405 Method Not Allowed'],
  ];
  for (const [name, bytes, statusLine] of statuses) {
    it(`answers ${name} with ${statusLine.slice(9, 12)} and closes`, async () => {
      const { backend, lb } = await setup();
      const raw = await client(lb);
      await raw.write(bytes);
      const response = await raw.response();
      expect(response.statusLine).toBe(statusLine);
      expect(response.body.toString()).toContain('TLB-4001');
      expect(await raw.waitClosed()).toBe(true);
      expect(backend.hits).toBe(0);
      await expectNoClientConnections(lb);
    });
  }

  it('refuses a HEAD request without a body in the refusal (a HEAD response has none)', async () => {
    const { backend, lb } = await setup();
    const answers: Record<string, string> = {};
    for (const [name, bytes] of [
      ['no Host', 'HEAD /head HTTP/1.1\r\nX-No-Host: 1\r\n\r\n'],
      ['two Hosts', 'HEAD /head HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
      ['both framings', 'HEAD /head HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n'],
      ['HTTP/2.0', 'HEAD /head HTTP/2.0\r\nHost: x\r\n\r\n'],
    ]) {
      const raw = await client(lb);
      await raw.write(bytes);
      const response = await raw.response('HEAD');
      expect(await raw.waitClosed()).toBe(true);
      // Whatever followed the head is what a HEAD client would read as the start of the next response.
      answers[name] = `${response.statusLine} + ${JSON.stringify(raw.pending.toString('latin1'))}`;
    }
    expect(answers).toEqual({
      'no Host': 'HTTP/1.1 400 Bad Request + ""',
      'two Hosts': 'HTTP/1.1 400 Bad Request + ""',
      'both framings': 'HTTP/1.1 400 Bad Request + ""',
      'HTTP/2.0': 'HTTP/1.1 505 HTTP Version Not Supported + ""',
    });
    expect(backend.hits).toBe(0);
    await expectNoClientConnections(lb);
  });

  it('refuses a bare LF in a head that has not ended, at once (not after the headers timeout)', async () => {
    // The headers timeout is far beyond the wait below: a 400 can only be the parser's.
    const { backend, lb } = await setup(echo, { headersTimeoutMs: 120_000, requestTimeoutMs: 120_000 });
    const raw = await client(lb);
    await raw.write('GET / HTTP/1.1\nHost: x\n');
    const response = await raw.response('GET', 30_000);
    expect(response.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(response.body.toString()).toContain('TLB-4001');
    expect(await raw.waitClosed()).toBe(true);
    expect(backend.hits).toBe(0);
    await expectNoClientConnections(lb);
  });

  it('refuses a bare LF arriving in a later piece of a head (split just after a CR-less line)', async () => {
    const { backend, lb } = await setup(echo, { headersTimeoutMs: 120_000, requestTimeoutMs: 120_000 });
    const raw = await client(lb);
    await raw.write('GET / HTTP/1.1\r\nHost: x\r\nX-A: 1');
    await raw.write('\nX-B: 2');
    const response = await raw.response('GET', 30_000);
    expect(response.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(backend.hits).toBe(0);
    await expectNoClientConnections(lb);
  });

  it('answers 431 to a complete head over maxHeaderBytes, and to one still arriving', async () => {
    const { backend, lb } = await setup(echo, { maxHeaderBytes: 1024 });
    const complete = await client(lb);
    await complete.write(get('/big', `X-Big: ${'b'.repeat(2000)}`));
    const first = await complete.response();
    expect(first.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(first.body.toString()).toContain('TLB-4002');
    expect(await complete.waitClosed()).toBe(true);

    const endless = await client(lb);
    await endless.write(`GET /big HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(3000)}`);
    const second = await endless.response();
    expect(second.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(await endless.waitClosed()).toBe(true);

    // Just under the limit is served.
    const fits = await client(lb);
    await fits.write(get('/fits', `X-Fits: ${'f'.repeat(900)}`));
    expect((await fits.response()).status).toBe(200);
    expect(backend.hits).toBe(1);
    await fits.close();
    await expectNoClientConnections(lb);
  });

  it('treats a head of exactly maxHeaderBytes the same whether it arrives whole or in pieces', async () => {
    const { backend, lb } = await setup(echo, { maxHeaderBytes: 1024 });
    const start = 'GET /exact HTTP/1.1\r\nHost: x\r\nX-Pad: ';
    // The request line and fields (without the final CRLF CRLF) are exactly the limit.
    const head = Buffer.from(`${start}${'p'.repeat(1024 - start.length)}\r\n\r\n`);
    expect(head.length - 4).toBe(1024);
    const outcomes: Record<string, string> = {};
    for (const [name, pieceSize] of [
      ['whole', head.length],
      ['all but the last byte, then the last', head.length - 1],
      ['all but the CR LF CR LF, then the rest', head.length - 4],
      ['one byte at a time', 1],
    ] as const) {
      const raw = await client(lb);
      await writeInPieces(raw.socket, head, pieceSize);
      outcomes[name] = (await raw.response()).statusLine;
      await raw.close();
    }
    expect(outcomes).toEqual({
      whole: 'HTTP/1.1 200 OK',
      'all but the last byte, then the last': 'HTTP/1.1 200 OK',
      'all but the CR LF CR LF, then the rest': 'HTTP/1.1 200 OK',
      'one byte at a time': 'HTTP/1.1 200 OK',
    });
    expect(backend.hits).toBe(4);
    await expectNoClientConnections(lb);
  });

  it('serves a head arriving one byte at a time within the headers timeout', async () => {
    const { backend, lb } = await setup(echo, { headersTimeoutMs: 60_000, requestTimeoutMs: 60_000 });
    const raw = await client(lb);
    await writeInPieces(raw.socket, Buffer.from(get('/slowly', 'X-Slow: yes', 'Accept: */*')), 1);
    const response = await raw.response();
    expect(response.status).toBe(200);
    expect(echoed(response).url).toBe('/slowly');
    expect(backend.seen.at(-1)?.headers['x-slow']).toBe('yes');
    await raw.close();
    await expectNoClientConnections(lb);
  });

  it('answers 408 to a head never finished, even one kept trickling, after headersTimeoutMs', async () => {
    const { backend, lb } = await setup(echo, { headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const silent = await client(lb);
    await silent.write('GET / HTTP/1.1\r\nHost: x\r\nX-Never: ');
    const first = await silent.response('GET', 30_000);
    expect(first.statusLine).toBe('HTTP/1.1 408 Request Timeout');
    expect(first.body.toString()).toContain('TLB-4003');
    expect(await silent.waitClosed()).toBe(true);

    const trickling = await client(lb);
    await trickling.write('GET / HTTP/1.1\r\nHost: x\r\nX-Trickle: ');
    // One byte every 20 ms, never the end of the head, until the answer comes (bounded).
    let sent = 0;
    while (!trickling.closed && sent < 1500) {
      await trickling.write('a');
      sent++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const second = await trickling.response('GET', 5000);
    expect(second.statusLine).toBe('HTTP/1.1 408 Request Timeout');
    expect(backend.hits).toBe(0);
    expect(lb.logs.some((line) => line.includes('TLB-4003'))).toBe(true);
    await expectNoClientConnections(lb);
  });

  it('closes an idle kept-alive connection after keepAliveTimeoutMs, quietly', async () => {
    const { lb } = await setup(echo, { keepAliveTimeoutMs: 200 });
    const raw = await client(lb);
    await raw.write(get('/once'));
    expect((await raw.response()).status).toBe(200);
    expect(await raw.waitClosed(30_000)).toBe(true);
    // Nothing but the one response was sent (no 408 on an idle connection).
    expect(raw.pending.length).toBe(0);
    expect(raw.text().match(/HTTP\/1\.1 /g)).toHaveLength(1);
    await expectNoClientConnections(lb);
  });
});

describe('closing', () => {
  it('closes a connection that sent nothing at once when stopping, while a request in flight finishes', async () => {
    const { backend, lb } = await setup(hold);
    const busy = await client(lb);
    await busy.write(get('/in-flight'));
    expect(await eventually(() => backend.held.length === 1)).toBe(true);
    const fresh = await client(lb); // connected, no request yet
    const stopping = lb.stop();
    // Closed within the grace period, not at its end: the request in flight is still held.
    expect(await fresh.waitClosed(30_000)).toBe(true);
    expect(fresh.text()).toBe('');
    backend.release();
    const response = await busy.response();
    expect(response.status).toBe(200);
    expect(echoed(response).url).toBe('/in-flight');
    await stopping;
  });

  it('does not keep a connection whose client never closes its side after the idle close (half-open)', async () => {
    const { lb } = await setup(echo, { keepAliveTimeoutMs: 200 });
    // A client that allows half-open connections and never ends its own side.
    const socket = connect({ host: '127.0.0.1', port: lb.port(), allowHalfOpen: true });
    await once(socket, 'connect');
    let received = '';
    let ended = false;
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('end', () => (ended = true));
    socket.on('error', () => undefined);
    socket.write(get('/half-open'));
    try {
      expect(await eventually(() => ended)).toBe(true); // the load balancer's FIN after the idle timeout
      expect(received.startsWith('HTTP/1.1 200 OK')).toBe(true);
      // The client still holds its side open: the load balancer lets go of the socket anyway.
      await expectNoClientConnections(lb);
    } finally {
      socket.destroy();
    }
  });
});

describe('request bodies', () => {
  it('relays a Content-Length body written in many small pieces', async () => {
    const { backend, lb } = await setup();
    const raw = await client(lb);
    const body = Array.from({ length: 2000 }, (_, index) => String.fromCharCode(0x61 + (index % 26))).join('');
    await raw.write(`POST /pieces HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
    await writeInPieces(raw.socket, Buffer.from(body), 37);
    const response = await raw.response('POST');
    expect(response.status).toBe(200);
    expect(backend.seen.at(-1)?.body).toBe(body);
    // The connection carries on after the body.
    await raw.write(get('/after'));
    expect(echoed(await raw.response()).url).toBe('/after');
    await raw.close();
    await expectNoClientConnections(lb);
  });

  it('re-chunks a chunked body with extensions and trailers: payload intact, extensions and trailers dropped', async () => {
    const { backend, lb } = await setupRaw((request, socket) => {
      socket.write(okResponse(`got ${request.body.length}`));
    });
    const raw = await client(lb);
    await raw.write(
      'POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '5;name=value\r\nhello\r\n6 ; quoted="a;b"\r\n world\r\n00001;x\r\n!\r\n0;last=1\r\nX-Trailer: t\r\nX-Other: o\r\n\r\n' +
        get('/next'),
    );
    const response = await raw.response('POST');
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('got 12');
    expect((await raw.response()).status).toBe(200);
    const [chunked, next] = backend.requests;
    expect(chunked.url).toBe('/chunked');
    expect(chunked.body.toString()).toBe('hello world!');
    expect(chunked.headers['transfer-encoding']).toBe('chunked');
    expect(chunked.headers['content-length']).toBeUndefined();
    const rawBody = chunked.rawBody.toString('latin1');
    expect(rawBody).toMatch(/^([0-9a-fA-F]+\r\n[^]*?\r\n)*0\r\n\r\n$/);
    expect(rawBody).not.toMatch(/name=value|quoted|last=1|X-Trailer|X-Other/);
    expect(next.url).toBe('/next');
    expect(backend.faults).toEqual([]);
    await raw.close();
    await expectNoClientConnections(lb);
  });

  const malformed: Array<[string, string]> = [
    ['a chunk size that is not hex', 'zz\r\nhello\r\n0\r\n\r\n'],
    ['a good chunk, then a bad size', '5\r\nhello\r\n5x\r\nworld\r\n0\r\n\r\n'],
    ['chunk data longer than its size', '3\r\nhello\r\n0\r\n\r\n'],
    ['a chunk size of 14 hex digits', '10000000000000\r\nx\r\n'],
    ['a bare LF after the size', '5\nhello\r\n0\r\n\r\n'],
  ];
  for (const [name, body] of malformed) {
    it(`answers 400 to a chunked body with ${name}; the backend never gets a complete request`, async () => {
      const { backend, lb } = await setupRaw((_request, socket) => socket.write(okResponse('should not happen')));
      const raw = await client(lb);
      await raw.write(`POST /bad HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
      const response = await raw.response('POST');
      expect(response.statusLine).toBe('HTTP/1.1 400 Bad Request');
      expect(response.body.toString()).toContain('TLB-4001');
      expect(await raw.waitClosed()).toBe(true);
      expect(await eventually(() => lb.lb.inFlight === 0)).toBe(true);
      // Whatever reached the backend was cut before the body ended.
      expect(await eventually(() => backend.open === 0)).toBe(true);
      expect(backend.requests).toEqual([]);
      await expectNoClientConnections(lb);
    });
  }

  it('keeps the connection after a request with Content-Length: 000 (no body)', async () => {
    const { backend, lb } = await setup();
    const raw = await client(lb);
    await raw.write('POST /zero HTTP/1.1\r\nHost: x\r\nContent-Length: 000\r\n\r\n');
    const response = await raw.response('POST', 15_000);
    expect(response.status).toBe(200);
    expect(backend.seen.at(-1)?.body).toBe('');
    // A second request, sent after the answer, on the same connection.
    await raw.write(get('/after-zero'));
    const after = await raw.response('GET', 15_000);
    expect(echoed(after).url).toBe('/after-zero');
    await raw.close();
    await expectNoClientConnections(lb);
  });
});

describe('what the client receives from the backend', () => {
  it('a backend repeating an equal Content-Length reaches the client with one Content-Length', async () => {
    // RFC 9110 section 8.6: a list of identical values may be accepted, as one value. Relayed as
    // it came, most clients (node's among them) refuse the response as ambiguous.
    const { lb } = await setupRaw((_request, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello');
    });
    const raw = await client(lb);
    await raw.write(get('/twice'));
    let response: ParsedResponse | string;
    try {
      response = await raw.response();
    } catch (error) {
      response = String(error);
    }
    const fields = raw.text().split('\r\n\r\n')[0].split('\r\n').slice(1);
    expect(fields.filter((field) => /^content-length:/i.test(field))).toEqual(['Content-Length: 5']);
    expect(typeof response === 'string' ? response : response.body.toString()).toBe('hello');
    await raw.close();
    await expectNoClientConnections(lb);
  });
});

describe('reload', () => {
  it('applies a lower maxHeaderBytes to a kept-alive connection: its next big request gets 431', async () => {
    const { backend, lb } = await setup(echo, { maxHeaderBytes: 16_384 });
    const raw = await client(lb);
    const big = get('/big', `X-Big: ${'b'.repeat(4000)}`);
    await raw.write(big);
    expect((await raw.response()).status).toBe(200);
    await lb.lb.reload(validateConfig({ ...config(backend.port, { maxHeaderBytes: 2048 }), workers: 1 }));
    await raw.write(big);
    const refused = await raw.response();
    expect(refused.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(await raw.waitClosed()).toBe(true);
    expect(backend.hits).toBe(1);
    // A new connection gets the new limit too, and a small request is still served.
    const fresh = await client(lb);
    await fresh.write(big);
    expect((await fresh.response()).status).toBe(431);
    const small = await client(lb);
    await small.write(get('/small'));
    expect((await small.response()).status).toBe(200);
    await small.close();
    await expectNoClientConnections(lb);
  });

  it('applies a lower headersTimeoutMs to a kept-alive connection: its next unfinished head gets 408', async () => {
    const { backend, lb } = await setup(echo, { headersTimeoutMs: 120_000, requestTimeoutMs: 120_000 });
    const raw = await client(lb);
    await raw.write(get('/first'));
    expect((await raw.response()).status).toBe(200);
    await lb.lb.reload(
      validateConfig({ ...config(backend.port, { headersTimeoutMs: 300, requestTimeoutMs: 600 }), workers: 1 }),
    );
    await raw.write('GET /second HTTP/1.1\r\nHost: x\r\nX-Never: ');
    const refused = await raw.response('GET', 30_000);
    expect(refused.statusLine).toBe('HTTP/1.1 408 Request Timeout');
    expect(await raw.waitClosed()).toBe(true);
    await expectNoClientConnections(lb);
  });
});

describe('connections', () => {
  it('leaves no client connection open once many clients have come and gone', async () => {
    const { lb } = await setup();
    const clients = await Promise.all(Array.from({ length: 20 }, () => client(lb)));
    await Promise.all(
      clients.map(async (raw, index) => {
        await raw.write(get(`/c/${index}`));
        expect(echoed(await raw.response()).url).toBe(`/c/${index}`);
      }),
    );
    expect(await lb.lb.clientConnections()).toBe(20);
    // Half end politely, half vanish.
    await Promise.all(clients.map((raw, index) => (index % 2 === 0 ? raw.close() : Promise.resolve(raw.destroy()))));
    await expectNoClientConnections(lb);
  });
});
