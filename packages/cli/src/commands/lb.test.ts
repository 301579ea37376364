// `tandem lb start` as a user runs it (the compiled CLI in its own process) in cluster mode
// (`workers: 2`), in front of small node:http backends made here on 127.0.0.1. One process
// lives through the steps of its life: a bad lb.yaml on SIGHUP is refused with an [error]
// line while the old configuration keeps serving; a changed lb.yaml on SIGHUP (a server
// removed, two added, a weight) is applied while a request in flight on the removed server
// completes; SIGTERM stops accepting, lets a slow request finish, exits 0 and frees the
// ports. Waits are bounded polls; nothing asserts on time.
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectionRefused,
  eventually,
  httpGet,
  portFree,
  SpawnedCli,
  type Reply,
} from '../local-system/test-processes.js';

const BACKEND_HEADER = 'x-backend';

interface Backend {
  readonly id: string;
  readonly port: number;
  /** Requests to /slow waiting for release(). */
  readonly held: Array<() => void>;
  release(): void;
  close(): Promise<void>;
}

async function startBackend(id: string): Promise<Backend> {
  const held: Array<() => void> = [];
  const server: Server = createServer((request, response) => {
    response.setHeader(BACKEND_HEADER, id);
    if (request.url === '/slow') {
      held.push(() => response.end(`slow from ${id}\n`));
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      return;
    }
    response.end(`${id}\n`);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  return {
    id,
    port: (server.address() as AddressInfo).port,
    held,
    release: () => {
      for (const finish of held.splice(0)) finish();
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function lbYaml(servers: ReadonlyArray<{ readonly backend: Backend; readonly weight?: number }>): string {
  return [
    'workers: 2',
    'accessLog: false',
    'listeners:',
    '  - name: web',
    '    protocol: http',
    '    host: 127.0.0.1',
    '    port: 0',
    '    defaultPool: web',
    'pools:',
    '  web:',
    '    algorithm: round-robin',
    '    servers:',
    ...servers.flatMap(({ backend, weight }) => [
      `      - id: ${backend.id}`,
      '        host: 127.0.0.1',
      `        port: ${backend.port}`,
      ...(weight === undefined ? [] : [`        weight: ${weight}`]),
    ]),
    'admin:',
    '  host: 127.0.0.1',
    '  port: 0',
    '',
  ].join('\n');
}

function backendOf(reply: Reply): string {
  return String(reply.headers[BACKEND_HEADER]);
}

async function backendsServing(port: number, count: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let index = 0; index < count; index++) {
    const reply = await httpGet(port, `/item/${index}`);
    expect(reply.status).toBe(200);
    seen.add(backendOf(reply));
  }
  return seen;
}

/** A request whose settlement the test can look at without awaiting it. */
function tracked(promise: Promise<Reply>): { readonly promise: Promise<Reply>; settled: boolean } {
  const state = { promise, settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

describe('tandem lb start (cluster mode, workers: 2)', () => {
  let dir: string;
  let configPath: string;
  let a: Backend;
  let b: Backend;
  let c: Backend;
  let cli: SpawnedCli;
  let lbPort: number;
  let adminPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-lb-cli-'));
    configPath = join(dir, 'lb.yaml');
    [a, b, c] = await Promise.all([startBackend('a'), startBackend('b'), startBackend('c')]);
    await writeFile(configPath, lbYaml([{ backend: a }]));
    cli = new SpawnedCli(['lb', 'start', '--config', configPath, '--grace-ms', '30000']);
    const started = await cli.waitFor(
      /load balancer started: web \(http\) on 127\.0\.0\.1:(\d+); admin on 127\.0\.0\.1:(\d+); 2 workers/,
    );
    lbPort = Number(started[1]);
    adminPort = Number(started[2]);
  });

  afterAll(async () => {
    await SpawnedCli.killAll();
    for (const backend of [a, b, c]) {
      backend.release();
      await backend.close();
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the configuration it started with', async () => {
    expect(await backendsServing(lbPort, 4)).toEqual(new Set(['a']));
  });

  it('refuses a bad lb.yaml on SIGHUP with an [error] line, and the old configuration keeps serving', async () => {
    await writeFile(configPath, lbYaml([{ backend: b, weight: 0 }]));
    cli.signal('SIGHUP');
    await cli.waitFor(/\[error\] reload of .*lb\.yaml refused: TLB-1001: .*weight/);
    expect(await backendsServing(lbPort, 4)).toEqual(new Set(['a']));
    expect(cli.exited).toBe(false);
  });

  it('applies a changed lb.yaml on SIGHUP without dropping a request in flight', async () => {
    const slow = tracked(httpGet(lbPort, '/slow'));
    await eventually('the slow request to reach backend a', () => (a.held.length === 1 ? true : undefined));

    // a removed; b added; c added with weight 3.
    await writeFile(configPath, lbYaml([{ backend: b }, { backend: c, weight: 3 }]));
    cli.signal('SIGHUP');
    await cli.waitFor(/\[notice\] configuration reloaded/);

    const served = await backendsServing(lbPort, 8);
    expect(served).toEqual(new Set(['b', 'c']));
    const admin = JSON.parse((await httpGet(adminPort, '/servers')).body) as {
      servers: Array<{ id: string; weight: number; state: string }>;
    };
    expect(admin.servers.map(({ id, weight, state }) => ({ id, weight, state }))).toEqual([
      { id: 'b', weight: 1, state: 'up' },
      { id: 'c', weight: 3, state: 'up' },
    ]);

    // The request that started under the old configuration, on the removed server, completes.
    expect(slow.settled).toBe(false);
    a.release();
    const reply = await slow.promise;
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('slow from a\n');
  });

  it('stops gracefully on SIGTERM: a slow request completes, exit code 0, the ports are freed', async () => {
    const slow = tracked(httpGet(lbPort, '/slow'));
    const holder = await eventually('the slow request to reach b or c', () =>
      [b, c].find((backend) => backend.held.length === 1),
    );
    cli.signal('SIGTERM');
    // Stopping: the listener no longer accepts, while the slow request is still in flight.
    await eventually('the load balancer to stop accepting', async () =>
      (await connectionRefused(lbPort)) ? true : undefined,
    );
    // A hangup while stopping (a reload, the terminal closing) must not cut the drain short.
    cli.signal('SIGHUP');
    await cli.waitFor(/\[notice\] SIGHUP while stopping: ignored/);
    expect(slow.settled).toBe(false);
    expect(cli.exited).toBe(false);
    holder.release();
    const reply = await slow.promise;
    expect(reply.status).toBe(200);
    expect(reply.body).toBe(`slow from ${holder.id}\n`);

    expect(await cli.exitWithin(60_000)).toEqual({ code: 0, signal: null });
    expect(cli.stderr).toMatch(/\[notice\] load balancer stopped/);
    expect(cli.stderr).not.toMatch(/\[error\] (?!reload of)/);
    expect(await portFree(lbPort)).toBe(true);
    expect(await portFree(adminPort)).toBe(true);
  });
});
