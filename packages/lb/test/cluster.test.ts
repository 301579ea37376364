// Cluster mode on loopback: a primary (this test process) with two forked workers that run
// the TypeScript sources. Requests are spread over both workers; the primary's health check
// marks a killed backend down in every worker; a drain through the admin API reaches every
// worker; a killed worker is replaced; stop() drains and ends them all. Waits are bounded
// polls; nothing asserts on time.
import { afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { request as httpRequest } from 'node:http';
import { LoadBalancer, validateConfig } from '../src/index.js';
import { WORKER_PID_HEADER } from '../src/load-balancer.js';
import { eventually, get, serversOf, startBackend, type Backend, type Handler } from './harness.js';

const workerEntry = fileURLToPath(new URL('../src/cluster-worker.ts', import.meta.url));
const register = new URL('./support/ts-register.mjs', import.meta.url).href;

const running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of running.splice(0).reverse()) await item.stop();
});

async function backend(id: string, handler?: Handler): Promise<Backend> {
  const started = await startBackend(id, handler);
  running.push({ stop: () => started.close() });
  return started;
}

async function startCluster(
  backends: Backend[],
  poolSettings: Record<string, unknown> = {
    health: { type: 'http', path: '/health', intervalMs: 100, timeoutMs: 100, fall: 2, rise: 2 },
  },
): Promise<{ lb: LoadBalancer; logs: string[] }> {
  const logs: string[] = [];
  const config = validateConfig(
    {
      workers: 2,
      accessLog: false,
      listeners: [{ name: 'web', protocol: 'http', host: '127.0.0.1', port: 0, defaultPool: 'web' }],
      pools: {
        web: {
          servers: serversOf(...backends),
          ...poolSettings,
        },
      },
      admin: { host: '127.0.0.1', port: 0 },
    },
    'cluster test',
  );
  const lb = await LoadBalancer.start(config, {
    logSink: (line) => logs.push(line),
    graceMs: 2000,
    cluster: {
      exec: workerEntry,
      execArgv: ['--conditions=tandem-source', '--import', register],
      pidHeader: true,
    },
  });
  running.push(lb);
  return { lb, logs };
}

/** `count` requests, each on a fresh connection (so the primary hands them to the workers in turn). */
async function spread(
  port: number,
  count: number,
): Promise<Array<{ pid: string; server: string | undefined; status: number }>> {
  const replies = [];
  for (let index = 0; index < count; index++) {
    const reply = await get(port, `/item/${index}`);
    replies.push({
      pid: String(reply.headers[WORKER_PID_HEADER.toLowerCase()]),
      server: reply.server,
      status: reply.status,
    });
  }
  return replies;
}

function adminPut(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'PUT', path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('cluster mode (workers: 2)', () => {
  it('serves from both workers, marks a killed backend down in every worker, and drains through the admin API', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const { lb } = await startCluster([a, b]);
    const pids = lb.workerPids();
    expect(pids).toHaveLength(2);
    const port = lb.address('web').port;

    const first = await spread(port, 20);
    expect(first.every((reply) => reply.status === 200)).toBe(true);
    expect(new Set(first.map((reply) => reply.pid))).toEqual(new Set(pids.map(String)));
    expect(new Set(first.map((reply) => reply.server))).toEqual(new Set(['a', 'b']));

    // The primary's health check marks the killed backend down; every worker mirrors it.
    await b.kill();
    expect(await eventually(() => lb.servers.get('b')?.state === 'down')).toBe(true);
    await lb.workersSynced();
    const states = await lb.workerStates();
    expect([...states.keys()].sort()).toEqual([...pids].sort());
    for (const view of states.values()) expect(view.b).toBe('down');
    const afterKill = await spread(port, 20);
    expect(afterKill.every((reply) => reply.status === 200 && reply.server === 'a')).toBe(true);
    expect(new Set(afterKill.map((reply) => reply.pid)).size).toBe(2);

    // A drain set through the primary's admin API applies in every worker.
    const c = await backend('c');
    await lb.reload(
      validateConfig({ ...lb.config, pools: { web: { ...lb.config.pools.web, servers: serversOf(a, c) } } }),
    );
    expect(await eventually(() => lb.servers.get('c')?.state === 'up')).toBe(true);
    expect(await adminPut(lb.adminAddress?.port ?? 0, '/servers/a/drain')).toBe(200);
    await lb.workersSynced();
    for (const view of (await lb.workerStates()).values()) expect(view.a).toBe('drain');
    const drained = await spread(port, 20);
    expect(drained.every((reply) => reply.status === 200 && reply.server === 'c')).toBe(true);
    expect(new Set(drained.map((reply) => reply.pid)).size).toBe(2);

    // /metrics in the primary sums the workers' counters.
    const metrics = await get(lb.adminAddress?.port ?? 0, '/metrics');
    const total = [...metrics.body.matchAll(/^tandem_lb_requests_total\{[^}]*\} (\d+)$/gm)].reduce(
      (sum, match) => sum + Number(match[1]),
      0,
    );
    expect(total).toBeGreaterThanOrEqual(60);
    expect(metrics.body).toMatch(/tandem_lb_server_state\{pool="web",server="a",state="drain"\} 1/);
  });

  it("counts the workers' passive failures in the primary, whose verdict reaches every worker", async () => {
    const good = await backend('good');
    const bad = await backend('bad', (_req, res) => {
      res.writeHead(500, { 'Content-Length': '0' });
      res.end();
    });
    const { lb, logs } = await startCluster([good, bad], {
      passive: { consecutiveFailures: 4, downMs: 600_000, on5xx: true },
    });
    const port = lb.address('web').port;
    // Round robin in each worker: the bad server's 500s come from both workers, and the primary adds them up.
    for (let attempt = 0; attempt < 40 && lb.servers.get('bad')?.state !== 'down'; attempt++) await get(port, '/');
    expect(lb.servers.get('bad')?.state).toBe('down');
    expect(logs.some((line) => line.includes('TLB-3102') && line.includes('bad'))).toBe(true);
    await lb.workersSynced();
    for (const view of (await lb.workerStates()).values()) expect(view.bad).toBe('down');
    const after = await spread(port, 10);
    expect(after.every((reply) => reply.status === 200 && reply.server === 'good')).toBe(true);
  });

  it('replaces a killed worker, which starts with the current states, and stop() ends every worker', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const { lb, logs } = await startCluster([a, b]);
    const [victim, survivor] = lb.workerPids();
    lb.servers.setState('b', 'maintenance', 'test');
    process.kill(victim, 'SIGKILL');
    expect(await eventually(() => lb.workerPids().length === 2 && !lb.workerPids().includes(victim), 500)).toBe(true);
    const replacement = lb.workerPids().find((pid) => pid !== survivor);
    expect(replacement).toBeDefined();
    // Bounded: the replacement answers once it has applied its configuration.
    expect(await eventually(async () => (await lb.workerStates()).size === 2, 500)).toBe(true);
    for (const view of (await lb.workerStates()).values()) expect(view.b).toBe('maintenance');
    const replies = await spread(lb.address('web').port, 10);
    expect(replies.every((reply) => reply.status === 200 && reply.server === 'a')).toBe(true);
    expect(new Set(replies.map((reply) => reply.pid))).toEqual(new Set([survivor, replacement].map(String)));
    expect(logs.some((line) => line.includes(`worker ${victim} exited`))).toBe(true);

    const pids = lb.workerPids();
    await lb.stop();
    running.splice(running.indexOf(lb), 1);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
