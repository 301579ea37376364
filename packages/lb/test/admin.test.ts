// The admin HTTP API and /metrics over real HTTP: server states as JSON, drain, maintenance,
// ready and weight set while running and obeyed by the proxy, refusals with TLB-5001, and a
// Prometheus scrape that counts requests, errors, latency, states and health.
import { describe, expect, it } from 'vitest';
import {
  cleanupAfterEach,
  echo,
  eventually,
  get,
  send,
  serversOf,
  startBackend,
  tally,
  type RunningLb,
} from './harness.js';

const cleanups = cleanupAfterEach();

async function setup(extraPool: Record<string, unknown> = {}): Promise<{ lb: RunningLb; adminPort: number }> {
  const a = await startBackend('a', echo);
  const b = await startBackend('b', echo);
  cleanups.push(
    () => a.close(),
    () => b.close(),
  );
  const lb = await cleanups.startLb({
    listeners: [{ name: 'web', protocol: 'http', host: '127.0.0.1', port: 0, defaultPool: 'web' }],
    pools: { web: { servers: serversOf(a, b), persistence: { kinds: ['cookie'] }, ...extraPool } },
    secret: 'admin-test-secret-0123456789abcdef0123',
    admin: { port: 0 },
  });
  const adminPort = lb.lb.adminAddress!.port;
  expect(lb.lb.adminAddress!.address).toBe('127.0.0.1');
  return { lb, adminPort };
}

interface ServerJson {
  id: string;
  pool: string;
  state: string;
  weight: number;
  effectiveWeight: number;
  active: number;
  health: { healthy: boolean; checks: number } | null;
}

describe('admin API', () => {
  it('lists server states as JSON, and sets drain, maintenance, ready and weight', async () => {
    const { lb, adminPort } = await setup();
    const listed = await get(adminPort, '/servers');
    expect(listed.status).toBe(200);
    expect(listed.headers['content-type']).toMatch(/^application\/json/);
    const servers = (JSON.parse(listed.body) as { servers: ServerJson[] }).servers;
    expect(servers.map((server) => [server.id, server.pool, server.state, server.weight])).toEqual([
      ['a', 'web', 'up', 1],
      ['b', 'web', 'up', 1],
    ]);
    expect(servers[0].health).toBeNull();

    // Drain: a client bound to b stays; new clients go to a.
    const first = await get(lb.port(), '/', {});
    const sticky = await get(lb.port(), '/');
    const bCookie = [first, sticky].find((reply) => reply.server === 'b')!;
    const cookie = (bCookie.headers['set-cookie'] ?? [])[0].split(';')[0];
    const drained = await send(adminPort, { method: 'POST', path: '/servers/b/drain', body: '{"reason":"deploy"}' });
    expect(drained.status).toBe(200);
    expect((JSON.parse(drained.body) as ServerJson).state).toBe('drain');
    expect(lb.logs.some((line) => /TLB-3101 server b .*up -> drain: deploy/.test(line))).toBe(true);
    expect((await get(lb.port(), '/', { Cookie: cookie })).server).toBe('b');
    const fresh = await Promise.all(Array.from({ length: 4 }, () => get(lb.port(), '/')));
    expect(fresh.every((reply) => reply.server === 'a')).toBe(true);

    // Maintenance: not even sticky clients; ready brings it back.
    const maintenance = await send(adminPort, {
      method: 'PUT',
      path: '/servers/b/state',
      body: '{"state":"maintenance"}',
    });
    expect((JSON.parse(maintenance.body) as ServerJson).state).toBe('maintenance');
    expect((await get(lb.port(), '/', { Cookie: cookie })).server).toBe('a');
    const ready = await send(adminPort, { method: 'POST', path: '/servers/b/ready' });
    expect((JSON.parse(ready.body) as ServerJson).state).toBe('up');

    // Weight 3 to 1: round robin follows.
    const weighted = await send(adminPort, { method: 'PUT', path: '/servers/b/weight', body: '{"weight":3}' });
    expect(weighted.status).toBe(200);
    expect(JSON.parse(weighted.body)).toMatchObject({ id: 'b', weight: 3, effectiveWeight: 3 });
    const spread: Array<string | undefined> = [];
    for (let index = 0; index < 8; index++) spread.push((await get(lb.port(), '/')).server);
    expect(tally(spread)).toEqual({ a: 2, b: 6 });
    expect(JSON.parse((await get(adminPort, '/servers/b')).body)).toMatchObject({ id: 'b', state: 'up', weight: 3 });
  });

  it('refuses what it cannot do, with TLB-5001 and a reason', async () => {
    const { adminPort, lb } = await setup();
    const cases: Array<[string, string, string | undefined, number, RegExp]> = [
      ['GET', '/servers/nope', undefined, 404, /no server with id 'nope'/],
      ['POST', '/servers/a/state', '{"state":"down"}', 400, /down belongs to health checks/],
      ['POST', '/servers/a/weight', '{"weight":0}', 400, /weight must be an integer 1\.\.1000/],
      ['POST', '/servers/a/weight', '{weight', 400, /not valid JSON/],
      ['DELETE', '/servers/a', undefined, 405, /DELETE is not allowed/],
      ['GET', '/elsewhere', undefined, 404, /no such admin resource/],
      ['POST', '/servers/a/state', 'x'.repeat(5000), 413, /over 4096 bytes/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const reply = await send(adminPort, { method, path, ...(body === undefined ? {} : { body }) });
      expect([path, reply.status]).toEqual([path, status]);
      const json = JSON.parse(reply.body) as { error: string; message: string };
      expect(json.error).toBe('TLB-5001');
      expect(json.message).toMatch(message);
    }
    expect(lb.lb.servers.get('a')!.state).toBe('up');
    expect((await get(adminPort, '/health')).status).toBe(200);
  });

  it('serves Prometheus metrics: requests and errors per server and listener, latency, states, health, in flight', async () => {
    const { lb, adminPort } = await setup({
      health: { path: '/', intervalMs: 50, timeoutMs: 40 },
    });
    for (let index = 0; index < 6; index++) expect((await get(lb.port(), '/')).status).toBe(200);
    await send(adminPort, { method: 'POST', path: '/servers/a/maintenance' });
    await send(adminPort, { method: 'POST', path: '/servers/b/maintenance' });
    expect((await get(lb.port(), '/')).status).toBe(503);
    expect(await eventually(() => (lb.lb.health.status('a')?.checks ?? 0) >= 2)).toBe(true);

    const scrape = await get(adminPort, '/metrics');
    expect(scrape.status).toBe(200);
    expect(scrape.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = scrape.body;
    const value = (pattern: RegExp): number => {
      const match = pattern.exec(text);
      if (match === null) throw new Error(`no line matching ${pattern} in:\n${text}`);
      return Number(match[1]);
    };
    expect(value(/^tandem_lb_requests_total\{listener="web",pool="web",server="a",status_class="2xx"\} (\d+)$/m)).toBe(
      3,
    );
    expect(value(/^tandem_lb_requests_total\{listener="web",pool="web",server="b",status_class="2xx"\} (\d+)$/m)).toBe(
      3,
    );
    expect(value(/^tandem_lb_requests_total\{listener="web",pool="web",server="-",status_class="5xx"\} (\d+)$/m)).toBe(
      1,
    );
    expect(value(/^tandem_lb_errors_total\{listener="web",server="-",outcome="TLB-3001"\} (\d+)$/m)).toBe(1);
    expect(value(/^tandem_lb_upstream_latency_seconds_count\{server="a"\} (\d+)$/m)).toBe(3);
    expect(value(/^tandem_lb_upstream_latency_seconds_bucket\{le="\+Inf",server="b"\} (\d+)$/m)).toBe(3);
    expect(value(/^tandem_lb_server_state\{pool="web",server="a",state="maintenance"\} (\d+)$/m)).toBe(1);
    expect(value(/^tandem_lb_server_state\{pool="web",server="a",state="up"\} (\d+)$/m)).toBe(0);
    expect(value(/^tandem_lb_server_healthy\{server="a"\} (\d+)$/m)).toBe(1);
    expect(value(/^tandem_lb_health_checks_total\{server="a",result="passed"\} (\d+)$/m)).toBeGreaterThanOrEqual(2);
    expect(value(/^tandem_lb_server_active\{pool="web",server="b"\} (\d+)$/m)).toBe(0);
    expect(value(/^tandem_lb_server_effective_weight\{pool="web",server="b"\} (\d+)$/m)).toBe(1);
    expect(value(/^tandem_lb_listener_in_flight\{listener="web"\} (\d+)$/m)).toBe(0);
  });
});
