// Each algorithm's distribution through the real proxy, and L7 routing.
import { describe, expect, it } from 'vitest';
import { Agent } from 'node:http';
import {
  cleanupAfterEach,
  echo,
  eventually,
  get,
  hold,
  serversOf,
  startBackend,
  tally,
  type RunningLb,
} from './harness.js';

const cleanups = cleanupAfterEach();
const backends = cleanups.backends;

async function lbFor(
  pools: Record<string, unknown>,
  listener: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<RunningLb> {
  return cleanups.startLb({
    listeners: [{ name: 'web', protocol: 'http', host: '127.0.0.1', port: 0, defaultPool: 'web', ...listener }],
    pools,
    ...extra,
  });
}

async function sequential(
  port: number,
  count: number,
  headers: Record<string, string> = {},
): Promise<Array<string | undefined>> {
  const servers: Array<string | undefined> = [];
  for (let index = 0; index < count; index++) servers.push((await get(port, `/r${index}`, headers)).server);
  return servers;
}

describe('balancing through the proxy', () => {
  it('round robin: equal weights alternate exactly', async () => {
    const [a, b, c] = await backends(echo, 'a', 'b', 'c');
    const lb = await lbFor({ web: { servers: serversOf(a, b, c) } });
    const order = await sequential(lb.port(), 9);
    expect(order.join(' ')).toBe('a b c a b c a b c');
  });

  it('weighted round robin: 3:1 weights give exactly 3:1 over whole cycles, over keep-alive too', async () => {
    const [a, b] = await backends(echo, 'a', 'b');
    const lb = await lbFor({ web: { servers: serversOf({ ...a, weight: 3 }, b) } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const servers: Array<string | undefined> = [];
    for (let index = 0; index < 40; index++) servers.push((await get(lb.port(), '/', {}, agent)).server);
    agent.destroy();
    expect(tally(servers)).toEqual({ a: 30, b: 10 });
    expect(servers.slice(0, 4).join(' ')).toBe('a a b a');
  });

  it('least connections: held requests spread evenly, then a released server takes the next ones', async () => {
    const [a, b, c] = await backends(hold, 'a', 'b', 'c');
    const lb = await lbFor({ web: { algorithm: 'least-connections', servers: serversOf(a, b, c) } });
    const pending = Array.from({ length: 9 }, (_, index) => get(lb.port(), `/held${index}`));
    expect(await eventually(() => a.held.length + b.held.length + c.held.length === 9)).toBe(true);
    expect([a.held.length, b.held.length, c.held.length]).toEqual([3, 3, 3]);
    // Free b: the next three requests all go to b, the only server with fewer in flight.
    b.release();
    await eventually(() => lb.lb.servers.get('b')?.active === 0);
    const more = Array.from({ length: 3 }, (_, index) => get(lb.port(), `/more${index}`));
    expect(await eventually(() => b.held.length === 3)).toBe(true);
    expect([a.held.length, c.held.length]).toEqual([3, 3]);
    a.release();
    b.release();
    c.release();
    const replies = await Promise.all([...pending, ...more]);
    expect(replies.every((reply) => reply.status === 200)).toBe(true);
  });

  it('response time: a slow backend gets few requests, a fast one most (counted, not timed)', async () => {
    const slow = await startBackend('slow', (req, res, body, backend) => {
      setTimeout(() => echo(req, res, body, backend), 60);
    });
    cleanups.push(() => slow.close());
    const [fast] = await backends(echo, 'fast');
    const lb = await lbFor({ web: { algorithm: 'response-time', servers: serversOf(slow, fast) } });
    const result = tally(await sequential(lb.port(), 40));
    // Each server is tried while it has no sample; after that the fast one wins every
    // comparison until the slow one's average decays (half-life 10 s, far beyond this test).
    expect(result.fast).toBeGreaterThanOrEqual(36);
    expect(result.slow ?? 0).toBeGreaterThanOrEqual(1);
  });

  it('source hash: each client (behind a trusted proxy) always reaches the same server, and clients spread', async () => {
    const [a, b, c] = await backends(echo, 'a', 'b', 'c');
    const lb = await lbFor(
      { web: { algorithm: 'source-hash', servers: serversOf(a, b, c) } },
      {},
      { trustedProxies: ['127.0.0.1'] },
    );
    const homes = new Map<string, string | undefined>();
    for (let client = 1; client <= 30; client++) {
      const address = `198.51.100.${client}`;
      const servers = await sequential(lb.port(), 3, { 'X-Forwarded-For': address });
      expect(new Set(servers).size).toBe(1);
      homes.set(address, servers[0]);
    }
    expect(new Set(homes.values()).size).toBe(3);
  });

  it('routes by host and path prefix (L7 rules), else to the default pool', async () => {
    const [site, api, admin] = await backends(echo, 'site', 'api', 'admin');
    const lb = await lbFor(
      { site: { servers: serversOf(site) }, api: { servers: serversOf(api) }, admin: { servers: serversOf(admin) } },
      {
        defaultPool: 'site',
        rules: [
          { host: 'api.example.com', pathPrefix: '/v1/', pool: 'api' },
          { host: '*.admin.example.com', pool: 'admin' },
          { pathPrefix: '/api/', pool: 'api' },
        ],
      },
    );
    const port = lb.port();
    expect((await get(port, '/v1/items', { Host: 'API.example.com:8080' })).server).toBe('api');
    expect((await get(port, '/v2/items', { Host: 'api.example.com' })).server).toBe('site');
    expect((await get(port, '/', { Host: 'eu.admin.example.com' })).server).toBe('admin');
    expect((await get(port, '/', { Host: 'admin.example.com' })).server).toBe('site');
    expect((await get(port, '/api/x', { Host: 'www.example.com' })).server).toBe('api');
    expect((await get(port, '/index.html', { Host: 'www.example.com' })).server).toBe('site');
  });

  it('writes an access log line per request', async () => {
    const [a] = await backends(echo, 'a');
    const lb = await lbFor({ web: { servers: serversOf(a) } });
    await get(lb.port(), '/logged?x=1');
    expect(await eventually(() => lb.access.length === 1)).toBe(true);
    expect(lb.access[0]).toMatch(
      / web 127\.0\.0\.1 "GET \/logged\?x=1 HTTP\/1\.1" 200 \d+ pool=web server=a attempts=1 upstream_ms=[\d.]+ total_ms=[\d.]+ outcome=-$/,
    );
    expect(
      lb.logs.some((line) => /\[notice\] load balancer started: web \(http\) on 127\.0\.0\.1:\d+ -> web/.test(line)),
    ).toBe(true);
  });
});
