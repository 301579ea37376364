// `tandem up` end to end, as a user runs it (the compiled CLI in its own process, on
// 127.0.0.1 with free ports): the database, two demo app servers and the load balancer start;
// requests through the load balancer reach both app servers in turn, the persistence cookie
// pins a client, /db goes through an app server to the database; a killed app server is
// marked down by the health checks while every request still succeeds through the other;
// SIGTERM stops everything with exit code 0 and frees the ports. Waits are bounded polls.
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '@tandem/lb';
import { APP_PID_HEADER, APP_SERVER_HEADER } from '../local-system/demo-app.js';
import { defaultLbYaml, LB_SECRET_FILE, PERSISTENCE_COOKIE } from '../local-system/lb-setup.js';
import { eventually, httpGet, killPid, portFree, SpawnedCli, type Reply } from '../local-system/test-processes.js';
import { isAlive } from '@tandem/db/files';

const READY = /\[notice\] tandem up: ready/;
const FREE_PORTS = ['--port', '0', '--lb-port', '0', '--admin-port', '0', '--app-ports', '0,0'];

const stateDirs: string[] = [];
const pids: number[] = [];

afterEach(async () => {
  await SpawnedCli.killAll();
  for (const pid of pids.splice(0)) killPid(pid);
  for (const dir of stateDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function newStateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-up-e2e-'));
  stateDirs.push(dir);
  return dir;
}

interface Started {
  readonly cli: SpawnedCli;
  readonly lbPort: number;
  readonly adminPort: number;
  readonly dbPort: number;
  readonly apps: ReadonlyMap<string, { readonly pid: number; readonly port: number }>;
}

function started(cli: SpawnedCli): Started {
  const apps = new Map<string, { pid: number; port: number }>();
  for (const match of cli.stdout.matchAll(/app server (\w+) \(pid (\d+)\) on http:\/\/127\.0\.0\.1:(\d+)/g)) {
    apps.set(String(match[1]), { pid: Number(match[2]), port: Number(match[3]) });
    pids.push(Number(match[2]));
  }
  const number = (pattern: RegExp): number => {
    const match = pattern.exec(cli.stdout);
    if (match === null) throw new Error(`no ${String(pattern)} in:\n${cli.stdout}`);
    return Number(match[1]);
  };
  return {
    cli,
    lbPort: number(/load balancer web on http:\/\/127\.0\.0\.1:(\d+)/),
    adminPort: number(/admin: +curl http:\/\/127\.0\.0\.1:(\d+)\/servers/),
    dbPort: number(/is OPEN on 127\.0\.0\.1:(\d+)/),
    apps,
  };
}

function serverOf(reply: Reply): string {
  return String(reply.headers[APP_SERVER_HEADER.toLowerCase()]);
}

function persistenceCookie(reply: Reply): string {
  const setCookie = ([] as string[]).concat(reply.headers['set-cookie'] ?? []);
  const cookie = setCookie.find((value) => value.startsWith(`${PERSISTENCE_COOKIE}=`));
  if (cookie === undefined) throw new Error(`no ${PERSISTENCE_COOKIE} cookie in ${JSON.stringify(reply.headers)}`);
  return cookie.split(';')[0] ?? '';
}

async function serverStates(adminPort: number): Promise<Record<string, string>> {
  const reply = await httpGet(adminPort, '/servers');
  const { servers } = JSON.parse(reply.body) as { servers: Array<{ id: string; state: string }> };
  return Object.fromEntries(servers.map((server) => [server.id, server.state]));
}

describe('tandem up', () => {
  it('serves two demo app servers behind the load balancer, fails over when one dies, and stops on SIGTERM', async () => {
    const stateDir = await newStateDir();
    const cli = new SpawnedCli(['up', '--state-dir', stateDir, ...FREE_PORTS, '--grace-ms', '5000']);
    await cli.waitFor(READY);
    const system = started(cli);
    expect([...system.apps.keys()]).toEqual(['app1', 'app2']);
    expect(cli.stdout).toContain('first run: creating the database');
    expect(cli.stdout).toContain('first run: wrote the load balancer');

    // The generated lb.yaml is the load balancer's own format: round robin, cookie persistence, HTTP checks of /health.
    const config = await loadConfigFile(join(stateDir, 'lb.yaml'));
    const pool = config.pools.app;
    expect(pool?.algorithm).toBe('round-robin');
    expect(pool?.persistence.kinds).toEqual(['cookie']);
    expect(pool?.health).toMatchObject({ type: 'http', path: '/health' });
    expect(pool?.health?.bodyPattern).toBeDefined();

    // Round robin: without the cookie, each request goes to the next app server.
    const plain: Reply[] = [];
    for (let index = 0; index < 4; index++) plain.push(await httpGet(system.lbPort, '/'));
    expect(plain.map((reply) => reply.status)).toEqual([200, 200, 200, 200]);
    const order = plain.map(serverOf);
    expect(new Set(order)).toEqual(new Set(['app1', 'app2']));
    for (let index = 1; index < order.length; index++) expect(order[index]).not.toBe(order[index - 1]);
    for (const reply of plain) {
      const app = system.apps.get(serverOf(reply));
      expect(reply.headers[APP_PID_HEADER.toLowerCase()]).toBe(String(app?.pid));
      expect(reply.body).toContain(`Tandem demo app server ${serverOf(reply)}`);
      expect(reply.body).toContain(`pid ${app?.pid}`);
    }

    // The persistence cookie pins a client to the server it first reached.
    const first = plain[0];
    const pinned = serverOf(first);
    const other = pinned === 'app1' ? 'app2' : 'app1';
    const cookie = persistenceCookie(first);
    for (let index = 0; index < 5; index++) {
      const reply = await httpGet(system.lbPort, '/', { Cookie: cookie });
      expect(reply.status).toBe(200);
      expect(serverOf(reply)).toBe(pinned);
    }
    // The page counts the requests its server answered.
    const counted = await httpGet(system.lbPort, '/', { Cookie: cookie });
    const count = Number(/requests: (\d+) served/.exec(counted.body)?.[1]);
    const again = await httpGet(system.lbPort, '/', { Cookie: cookie });
    expect(Number(/requests: (\d+) served/.exec(again.body)?.[1])).toBe(count + 1);

    // /db: through an app server to the database `up` started; two requests reach both servers.
    const db1 = await httpGet(system.lbPort, '/db');
    const db2 = await httpGet(system.lbPort, '/db');
    expect([db1.status, db2.status]).toEqual([200, 200]);
    expect(db1.body).toContain(`in database tandem on 127.0.0.1:${system.dbPort}`);
    expect(new Set([serverOf(db1), serverOf(db2)])).toEqual(new Set(['app1', 'app2']));
    expect(db2.body).toMatch(/app1 +\d+/);
    expect(db2.body).toMatch(/app2 +\d+/);

    // Kill the pinned app server: every request, pinned or not, is answered by the other one,
    // and the health checks mark the dead one down.
    const victim = system.apps.get(pinned);
    if (victim === undefined) throw new Error(`no pid for ${pinned}`);
    process.kill(victim.pid, 'SIGKILL');
    const duringFailover: Reply[] = [];
    await eventually(
      `${pinned} marked down by the load balancer`,
      async () => {
        for (const headers of [{ Cookie: cookie }, {} as Record<string, string>])
          duringFailover.push(await httpGet(system.lbPort, '/', headers));
        return (await serverStates(system.adminPort))[pinned] === 'down' ? true : undefined;
      },
      60_000,
    );
    expect(duringFailover.length).toBeGreaterThan(0);
    expect(duringFailover.map((reply) => `${reply.status} ${serverOf(reply)}`)).toEqual(
      duringFailover.map(() => `200 ${other}`),
    );
    expect((await serverStates(system.adminPort))[other]).toBe('up');
    for (let index = 0; index < 4; index++) {
      const reply = await httpGet(system.lbPort, index % 2 === 0 ? '/' : '/db', { Cookie: cookie });
      expect(reply.status).toBe(200);
      expect(serverOf(reply)).toBe(other);
    }
    await cli.waitFor(new RegExp(`\\[error\\] tandem up: TUP-0003: app server ${pinned} \\(pid ${victim.pid}`));
    // Marked down by whichever saw it first: the health checks (TLB-3104) or live traffic (passive detection, TLB-3102).
    await cli.waitFor(new RegExp(`\\[warning\\] TLB-3101 server ${pinned} \\(.*\\) of pool app: up -> down: `));

    // SIGTERM: everything stops, exit code 0, the ports are free and the other app server is gone.
    cli.signal('SIGTERM');
    const exit = await cli.exitWithin(60_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(cli.stderr).toContain('load balancer stopped');
    expect(cli.stderr).toContain('shutdown IMMEDIATE complete');
    const survivor = system.apps.get(other);
    if (survivor === undefined) throw new Error(`no pid for ${other}`);
    await eventually(`app server ${other} (pid ${survivor.pid}) gone`, () =>
      isAlive(survivor.pid) ? undefined : true,
    );
    for (const port of [system.lbPort, system.adminPort, system.dbPort, survivor.port]) {
      expect(await portFree(port), `port ${port} free`).toBe(true);
    }
    // Stop order: the load balancer first, then the app servers, then the database.
    const stopped = cli.stderr.indexOf('load balancer stopped');
    const appStopped = cli.stderr.indexOf(`app server ${other}: stopping`);
    const dbStopped = cli.stderr.indexOf('shutdown IMMEDIATE requested', cli.stderr.indexOf('SIGTERM'));
    expect(stopped).toBeGreaterThan(0);
    expect(appStopped).toBeGreaterThan(stopped);
    expect(dbStopped).toBeGreaterThan(appStopped);
  });

  it('uses an edited lb.yaml, refuses a taken port with TLB-2001 naming it, and stops in order on Ctrl-C', async () => {
    const stateDir = await newStateDir();
    // A user's edit: least connections instead of round robin.
    await mkdir(stateDir, { recursive: true });
    await writeFile(join(stateDir, LB_SECRET_FILE), `${'s'.repeat(40)}\n`, { mode: 0o600 });
    const edited = defaultLbYaml().replace('algorithm: round-robin', 'algorithm: least-connections');
    await writeFile(join(stateDir, 'lb.yaml'), edited);

    const first = new SpawnedCli(['up', '--state-dir', stateDir, ...FREE_PORTS, '--grace-ms', '2000'], {
      ownGroup: true,
    });
    await first.waitFor(READY);
    const system = started(first);
    expect(first.stdout).not.toContain('wrote the load balancer');
    expect(first.stdout).toMatch(/-> pool app \(least-connections, persistence cookie/);
    expect((await httpGet(system.lbPort, '/')).status).toBe(200);

    // A second `up` on the same load balancer port: TLB-2001 names the address, and says what to do.
    const taken = system.lbPort;
    const secondDir = await newStateDir();
    const second = new SpawnedCli([
      'up',
      '--state-dir',
      secondDir,
      '--port',
      '0',
      '--lb-port',
      String(taken),
      '--admin-port',
      '0',
      '--app-ports',
      '0,0',
    ]);
    const exit = await second.exitWithin(120_000);
    expect(exit.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(`\\[error\\] TLB-2001: listener web cannot listen on 127\\.0\\.0\\.1:${taken}: .*--lb-port`),
    );
    const secondSystem = [
      ...second.stdout.matchAll(/app server (\w+) \(pid (\d+)\) on http:\/\/127\.0\.0\.1:(\d+)/g),
    ].map((match) => ({ pid: Number(match[2]), port: Number(match[3]) }));
    expect(secondSystem).toHaveLength(2);
    for (const app of secondSystem) {
      pids.push(app.pid);
      expect(isAlive(app.pid), `app server pid ${app.pid} stopped`).toBe(false);
      expect(await portFree(app.port)).toBe(true);
    }
    const secondDbPort = Number(/is OPEN on 127\.0\.0\.1:(\d+)/.exec(second.stdout)?.[1]);
    expect(await portFree(secondDbPort)).toBe(true);
    // The first system is untouched.
    expect((await httpGet(system.lbPort, '/')).status).toBe(200);
    expect(await readFile(join(stateDir, 'lb.yaml'), 'utf8')).toBe(edited);

    // Ctrl-C reaches the whole process group, the app servers too: they wait for `up`, which
    // stops the load balancer first, then them, then the database.
    first.signalGroup('SIGINT');
    expect(await first.exitWithin(60_000)).toEqual({ code: 0, signal: null });
    const lbStopped = first.stderr.indexOf('load balancer stopped');
    expect(lbStopped).toBeGreaterThan(0);
    for (const [id, app] of system.apps) {
      expect(first.stderr.indexOf(`app server ${id}: stopping (SIGTERM)`)).toBeGreaterThan(lbStopped);
      await eventually(`app server ${id} gone`, () => (isAlive(app.pid) ? undefined : true));
    }
    expect(first.stderr.indexOf('shutdown IMMEDIATE requested', lbStopped)).toBeGreaterThan(lbStopped);
  });
});
