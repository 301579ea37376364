// Failover: retries before anything was sent, a backend killed under traffic and mid-request,
// passive detection, 503 when nothing is up, the backup pool, and backend timeouts.
import { describe, expect, it } from 'vitest';
import { Agent } from 'node:http';
import {
  cleanupAfterEach,
  deadPort,
  echo,
  eventually,
  get,
  hold,
  send,
  serversOf,
  tally,
  type Handler,
  type RunningLb,
} from './harness.js';

const cleanups = cleanupAfterEach();
const backends = cleanups.backends;

async function lbFor(pools: Record<string, unknown>): Promise<RunningLb> {
  return cleanups.startLb({
    listeners: [{ name: 'web', protocol: 'http', host: '127.0.0.1', port: 0, defaultPool: 'web' }],
    pools,
  });
}

describe('failover', () => {
  it('retries a refused connection on another server, for any method, with the body intact', async () => {
    const [b] = await backends(echo, 'b');
    const lb = await lbFor({
      web: {
        servers: [{ id: 'gone', host: '127.0.0.1', port: await deadPort() }, ...serversOf(b)],
        passive: { consecutiveFailures: 100 },
      },
    });
    for (let index = 0; index < 4; index++) {
      const reply = await send(lb.port(), {
        method: 'POST',
        path: '/orders',
        headers: { 'Content-Type': 'text/plain' },
        body: `order-${index}`,
      });
      expect(reply.status).toBe(200);
      expect(reply.server).toBe('b');
      expect((JSON.parse(reply.body) as { body: string }).body).toBe(`order-${index}`);
    }
    expect(
      lb.logs.some((line) =>
        /\[warning\] TLB-3002 web: POST \/orders: server gone \(127\.0\.0\.1:\d+\) of pool web: ECONNREFUSED .*retrying on another server \(attempt 2 of at most 3\)/.test(
          line,
        ),
      ),
    ).toBe(true);
    expect(await eventually(() => lb.access.some((line) => / server=b attempts=2 /.test(line)))).toBe(true);
  });

  it('a backend killed under traffic: its traffic moves, no idempotent request fails, passive detection marks it down', async () => {
    const [a, b, c] = await backends(echo, 'a', 'b', 'c');
    const lb = await lbFor({
      web: { servers: serversOf(a, b, c), passive: { consecutiveFailures: 2, downMs: 60_000 } },
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const served: Array<string | undefined> = [];
    const statuses: number[] = [];
    // Four clients in parallel, 60 requests each; b dies after the first 40 replies.
    let replies = 0;
    const client = async (name: number): Promise<void> => {
      for (let index = 0; index < 60; index++) {
        const reply = await get(lb.port(), `/c${name}/${index}`, {}, agent);
        statuses.push(reply.status);
        served.push(reply.server);
        if (++replies === 40) await b.kill();
      }
    };
    await Promise.all([0, 1, 2, 3].map(client));
    agent.destroy();
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(lb.lb.servers.get('b')?.state).toBe('down');
    const afterKill = tally(served.slice(60));
    expect(afterKill.b ?? 0).toBeLessThanOrEqual(4); // at most the requests already in flight when it died
    expect((afterKill.a ?? 0) + (afterKill.c ?? 0)).toBeGreaterThanOrEqual(176);
  });

  it('a backend killed mid-request: the idempotent request it held is retried elsewhere; the POST is not replayed', async () => {
    const [holder] = await backends(hold, 'holder');
    const [other] = await backends(echo, 'other');
    const lb = await lbFor({ web: { servers: serversOf(holder, other), passive: { consecutiveFailures: 100 } } });
    // Round robin: the POST goes to holder (held), a GET to other (answered), the next GET to holder (held).
    const posted = send(lb.port(), { method: 'POST', path: '/not-idempotent', body: 'pay once' });
    expect(await eventually(() => holder.held.length === 1)).toBe(true);
    expect((await get(lb.port(), '/warm')).server).toBe('other');
    const gotten = get(lb.port(), '/idempotent');
    expect(await eventually(() => holder.held.length === 2)).toBe(true);
    await holder.kill();
    const [postReply, getReply] = await Promise.all([posted, gotten]);
    expect(getReply.status).toBe(200);
    expect(getReply.server).toBe('other');
    expect(postReply.status).toBe(502);
    expect(postReply.body).toContain('TLB-3004: server holder');
    expect(other.seen.filter((request) => request.method === 'POST')).toEqual([]);
  });

  it('answers 503 with a clear body when every server is down', async () => {
    const [a, b] = await backends(echo, 'a', 'b');
    const lb = await lbFor({ web: { servers: serversOf(a, b) } });
    lb.lb.servers.setState('a', 'down', 'test');
    lb.lb.servers.setState('b', 'maintenance', 'test');
    const reply = await get(lb.port(), '/anything');
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('5');
    expect(reply.body).toBe(
      '503 Service Unavailable\n\nTLB-3001: no server of pool web can take the request now (1 down, 1 maintenance); try again later\n',
    );
    expect(a.hits + b.hits).toBe(0);
    expect(lb.logs.some((line) => line.includes('[warning] TLB-3001 web: GET /anything'))).toBe(true);
  });

  it('answers 503 after retries when every server refuses connections', async () => {
    const lb = await lbFor({
      web: {
        servers: [
          { id: 'x', host: '127.0.0.1', port: await deadPort() },
          { id: 'y', host: '127.0.0.1', port: await deadPort() },
        ],
      },
    });
    const reply = await get(lb.port());
    expect(reply.status).toBe(503);
    expect(reply.body).toMatch(
      /TLB-3002: server [xy] .*ECONNREFUSED.*\(tried x, y\)|TLB-3002: server [xy] .*ECONNREFUSED.*\(tried y, x\)/,
    );
  });

  it('sends traffic to the backup pool while no primary server is up, and back when one returns', async () => {
    const [a] = await backends(echo, 'a');
    const [sorry] = await backends(echo, 'sorry');
    const lb = await lbFor({
      web: { servers: serversOf(a), backup: 'fallback' },
      fallback: { servers: serversOf(sorry) },
    });
    expect((await get(lb.port())).server).toBe('a');
    lb.lb.servers.setState('a', 'down', 'test');
    expect((await get(lb.port())).server).toBe('sorry');
    lb.lb.servers.setState('a', 'up', 'test');
    expect((await get(lb.port())).server).toBe('a');
  });

  it('marks a server down after consecutive 5xx responses', async () => {
    const failing: Handler = (_req, res) => {
      res.writeHead(500, { 'Content-Length': 4 });
      res.end('oops');
    };
    const [bad] = await backends(failing, 'bad');
    const [good] = await backends(echo, 'good');
    const lb = await lbFor({
      web: { servers: serversOf(bad, good), passive: { consecutiveFailures: 3, downMs: 60_000 } },
    });
    const statuses: number[] = [];
    for (let index = 0; index < 10; index++) statuses.push((await get(lb.port())).status);
    // The 5xx answers themselves are passed on (something was sent: no retry), until bad is down.
    expect(statuses.filter((status) => status === 500)).toHaveLength(3);
    expect(lb.lb.servers.get('bad')?.state).toBe('down');
  });

  it('answers 504 when a backend sends no response within responseMs, and counts it', async () => {
    const [slow] = await backends(hold, 'slow');
    const lb = await lbFor({
      web: { servers: serversOf(slow), timeouts: { responseMs: 200 }, passive: { consecutiveFailures: 5 } },
    });
    const reply = await get(lb.port(), '/slow');
    expect(reply.status).toBe(504);
    expect(reply.body).toContain('TLB-3003: server slow');
    expect(reply.body).toContain('sent no response within 200 ms');
    expect(await eventually(() => lb.lb.backendServer('slow')?.active === 0)).toBe(true);
    slow.release();
  });
});
