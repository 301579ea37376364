// Active health checks against real backends on loopback: a killed backend is marked down
// after `fall` failed checks while its traffic moves with no failed idempotent request, and
// rejoins after `rise` once it is back; a body that does not match the pattern marks a server
// down; TCP checks. Assertions are on check counts and states, never on elapsed time.
import { describe, expect, it } from 'vitest';
import { Agent, type ServerResponse } from 'node:http';
import {
  cleanupAfterEach,
  echo,
  eventually,
  get,
  serversOf,
  startBackend,
  tally,
  type Backend,
  type Handler,
  type RunningLb,
} from './harness.js';

const cleanups = cleanupAfterEach();

/** Echo for every path, and /health answering `ok` (or what `healthBody` says). */
function withHealth(healthBody: () => string): Handler {
  return (req, res: ServerResponse, body, backend) => {
    if (req.url === '/health') {
      const text = healthBody();
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    echo(req, res, body, backend);
  };
}

async function backend(id: string, handler: Handler = withHealth(() => 'ok'), port = 0): Promise<Backend> {
  const started = await startBackend(id, handler, port);
  cleanups.push(() => started.close());
  return started;
}

async function lbFor(pools: Record<string, unknown>, listeners?: unknown[]): Promise<RunningLb> {
  return cleanups.startLb({
    listeners: listeners ?? [{ name: 'web', protocol: 'http', host: '127.0.0.1', port: 0, defaultPool: 'web' }],
    pools,
  });
}

const checks = (lb: RunningLb, id: string): number => lb.lb.health.status(id)?.checks ?? 0;

describe('active health checks', () => {
  it('a killed backend is marked down after `fall` failed checks, its traffic moves with no failed GET, and it rejoins after `rise`', async () => {
    const [a, b] = [await backend('a'), await backend('b')];
    const lb = await lbFor({
      web: {
        servers: serversOf(a, b),
        health: { path: '/health', intervalMs: 50, timeoutMs: 40, fall: 3, rise: 2, jitterPercent: 0 },
        // Passive detection would see the kill first under traffic; make it slow so the checks are what is tested.
        passive: { consecutiveFailures: 1000 },
      },
    });
    expect(await eventually(() => checks(lb, 'a') >= 2 && checks(lb, 'b') >= 2)).toBe(true);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    cleanups.push(() => {
      agent.destroy();
      return Promise.resolve();
    });
    const statuses: number[] = [];
    const servedBeforeKill: Array<string | undefined> = [];
    for (let index = 0; index < 20; index++) {
      const reply = await get(lb.port(), '/page', {}, agent);
      statuses.push(reply.status);
      servedBeforeKill.push(reply.server);
    }
    expect(tally(servedBeforeKill)).toEqual({ a: 10, b: 10 });

    const port = b.port;
    await b.kill();
    // Traffic during detection: every GET succeeds (refused connections are retried on a).
    const servedAfterKill: Array<string | undefined> = [];
    let guard = 0;
    while (lb.lb.servers.get('b')!.state !== 'down' && guard++ < 500) {
      const reply = await get(lb.port(), '/page', {}, agent);
      statuses.push(reply.status);
      servedAfterKill.push(reply.server);
    }
    expect(lb.lb.servers.get('b')!.state).toBe('down');
    const status = lb.lb.health.status('b')!;
    expect(status).toMatchObject({ healthy: false, consecutiveFailures: 3 });
    expect(status.lastDetail).toMatch(/ECONNREFUSED|ECONNRESET/);
    expect(lb.logs.some((line) => /TLB-3104 server b .*3 consecutive http checks failed/.test(line))).toBe(true);
    for (let index = 0; index < 20; index++) {
      const reply = await get(lb.port(), '/page', {}, agent);
      statuses.push(reply.status);
      servedAfterKill.push(reply.server);
    }
    expect(statuses.every((code) => code === 200)).toBe(true);
    expect(servedAfterKill.every((id) => id === 'a')).toBe(true);

    // b comes back at its address: `rise` good checks bring it back, and it takes traffic again.
    const b2 = await backend(
      'b',
      withHealth(() => 'ok'),
      port,
    );
    const downChecks = checks(lb, 'b');
    expect(await eventually(() => lb.lb.servers.get('b')!.state === 'up')).toBe(true);
    expect(checks(lb, 'b')).toBeGreaterThanOrEqual(downChecks + 2);
    expect(lb.lb.health.status('b')!.consecutiveSuccesses).toBeGreaterThanOrEqual(2);
    const servedAfterRejoin: Array<string | undefined> = [];
    for (let index = 0; index < 10; index++) servedAfterRejoin.push((await get(lb.port(), '/page', {}, agent)).server);
    expect(tally(servedAfterRejoin)).toEqual({ a: 5, b: 5 });
    expect(b2.hits).toBeGreaterThanOrEqual(5);
  });

  it("marks a server down when its page answers 200 with a body that does not match (the seed's content check)", async () => {
    let bBody = 'status: OK';
    const a = await backend(
      'a',
      withHealth(() => 'status: OK'),
    );
    const b = await backend(
      'b',
      withHealth(() => bBody),
    );
    const lb = await lbFor({
      web: {
        servers: serversOf(a, b),
        health: { path: '/health', bodyPattern: '^status: OK$', intervalMs: 50, timeoutMs: 40, fall: 2, rise: 2 },
      },
    });
    expect(await eventually(() => checks(lb, 'b') >= 2)).toBe(true);
    expect(lb.lb.servers.get('b')!.state).toBe('up');
    bBody = 'status: ERROR database unreachable';
    expect(await eventually(() => lb.lb.servers.get('b')!.state === 'down')).toBe(true);
    expect(lb.lb.health.status('b')!.lastDetail).toBe('status 200, body does not match /^status: OK$/');
    expect(lb.lb.servers.get('a')!.state).toBe('up');
    const served = await Promise.all(Array.from({ length: 6 }, () => get(lb.port(), '/x')));
    expect(served.map((reply) => reply.server)).toEqual(['a', 'a', 'a', 'a', 'a', 'a']);
    bBody = 'status: OK';
    expect(await eventually(() => lb.lb.servers.get('b')!.state === 'up')).toBe(true);
  });

  it('an unexpected status fails the check; TCP checks need only an accepted connection', async () => {
    const a = await backend('a', (_req, res) => {
      res.writeHead(503, { 'Content-Length': 0 });
      res.end();
    });
    const t = await backend('t');
    const lb = await lbFor(
      {
        web: { servers: serversOf(a), health: { path: '/health', intervalMs: 50, timeoutMs: 40, fall: 2 } },
        tcp: { servers: serversOf(t), health: { type: 'tcp', intervalMs: 50, timeoutMs: 40, fall: 2 } },
      },
      [
        { name: 'web', protocol: 'http', host: '127.0.0.1', port: 0, defaultPool: 'web' },
        { name: 'pg', protocol: 'tcp', host: '127.0.0.1', port: 0, pool: 'tcp' },
      ],
    );
    expect(await eventually(() => lb.lb.servers.get('a')!.state === 'down')).toBe(true);
    expect(lb.lb.health.status('a')!.lastDetail).toBe('status 503, expected 200');
    expect(await eventually(() => checks(lb, 't') >= 3)).toBe(true);
    expect(lb.lb.health.status('t')).toMatchObject({ type: 'tcp', healthy: true, lastDetail: 'connected' });
    expect(lb.lb.servers.get('t')!.state).toBe('up');
    await t.kill();
    expect(await eventually(() => lb.lb.servers.get('t')!.state === 'down')).toBe(true);
  });
});
