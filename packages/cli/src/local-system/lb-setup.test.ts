// lb.yaml of `tandem up`: written once with its secret, valid for the load balancer's schema,
// never overwritten; the command line's ports override it for one run; the final
// configuration is validated again; a broken file stops `up` before anything starts.
import { mkdtemp, readFile, rm, stat, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '@tandem/lb';
import { runTandem } from '../db-client/test-support.js';
import { HEALTHY_BODY } from './demo-app.js';
import {
  APP_POOL,
  appSpecs,
  DEFAULT_ADMIN_PORT,
  DEFAULT_APP_PORTS,
  DEFAULT_LB_PORT,
  ensureLbConfig,
  LB_SECRET_FILE,
  loadLbConfig,
  withAppPorts,
} from './lb-setup.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-lb-setup-'));
  dirs.push(dir);
  return dir;
}

describe('lb.yaml of tandem up', () => {
  it('is written on the first run with a secret, and describes round robin, cookies and /health checks', async () => {
    const dir = await stateDir();
    const { path, created } = await ensureLbConfig(dir);
    expect(created).toBe(true);
    const secret = await stat(join(dir, LB_SECRET_FILE));
    expect(secret.mode & 0o777).toBe(0o600);
    expect((await readFile(join(dir, LB_SECRET_FILE), 'utf8')).trim().length).toBeGreaterThanOrEqual(32);

    const config = await loadConfigFile(path);
    expect(config.workers).toBe(1);
    expect(config.listeners).toMatchObject([
      { name: 'web', protocol: 'http', host: '127.0.0.1', port: DEFAULT_LB_PORT },
    ]);
    expect(config.admin).toEqual({ host: '127.0.0.1', port: DEFAULT_ADMIN_PORT });
    const pool = config.pools[APP_POOL];
    expect(pool?.algorithm).toBe('round-robin');
    expect(pool?.persistence.kinds).toEqual(['cookie']);
    expect(pool?.health).toMatchObject({ type: 'http', path: '/health' });
    expect(new RegExp(pool?.health?.bodyPattern ?? '^$').test(`${HEALTHY_BODY}\n`)).toBe(true);
    expect(new RegExp(pool?.health?.bodyPattern ?? '^$').test('stopping\n')).toBe(false);
    expect(appSpecs(config)).toEqual(
      DEFAULT_APP_PORTS.map((port, index) => ({ id: `app${index + 1}`, host: '127.0.0.1', port })),
    );
  });

  it('is never overwritten: a user edit stays', async () => {
    const dir = await stateDir();
    const { path } = await ensureLbConfig(dir);
    const edited = (await readFile(path, 'utf8')).replace('algorithm: round-robin', 'algorithm: least-connections');
    await writeFile(path, edited);
    expect(await ensureLbConfig(dir)).toEqual({ path, created: false });
    expect(await readFile(path, 'utf8')).toBe(edited);
    expect((await loadLbConfig(path, {})).pools[APP_POOL]?.algorithm).toBe('least-connections');
  });

  it('takes the command line ports for one run, and says what does not fit (TUP-0001)', async () => {
    const { path } = await ensureLbConfig(await stateDir());
    const config = await loadLbConfig(path, { lbPort: 18080, adminPort: 0, appPorts: [0, 18082] });
    expect(config.listeners[0]?.port).toBe(18080);
    expect(config.admin?.port).toBe(0);
    expect(appSpecs(config).map((spec) => spec.port)).toEqual([0, 18082]);
    expect(await readFile(path, 'utf8')).toContain(`port: ${DEFAULT_LB_PORT}`);

    await expect(loadLbConfig(path, { appPorts: [1, 2, 3] })).rejects.toThrow(
      /^TUP-0001: --app-ports gives 3 port\(s\), but pool app in .* has 2 server\(s\)/,
    );
    // The ports the app servers bound go into the configuration, which is validated as a whole.
    const bound = withAppPorts(
      config,
      [
        { id: 'app1', pid: 1, host: '127.0.0.1', port: 18081 },
        { id: 'app2', pid: 2, host: '127.0.0.1', port: 18082 },
      ],
      path,
    );
    expect(bound.pools[APP_POOL]?.servers.map((server) => server.port)).toEqual([18081, 18082]);
    expect(bound.secret).toBeDefined();
    const clash = await loadLbConfig(path, { lbPort: 18080, adminPort: 18080 });
    expect(() => withAppPorts(clash, [], path)).toThrow(
      /^TLB-1001: .*admin\.port: 127\.0\.0\.1:18080 is also a listener's address/,
    );
  });

  it('stops `tandem up` before anything starts when it does not validate (TLB-1001 naming the field)', async () => {
    const dir = await stateDir();
    const { path } = await ensureLbConfig(dir);
    await writeFile(path, (await readFile(path, 'utf8')).replace('fall: 2', 'fall: 0'));
    const result = await runTandem('up', '--state-dir', dir, '--port', '0');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\[error\] TLB-1001: .*lb\.yaml: pools\.app\.health\.fall: /);
    await expect(access(join(dir, 'db'))).rejects.toThrow();
  });

  it('refuses a port that is not one (TUP-0001)', async () => {
    const result = await runTandem('up', '--state-dir', await stateDir(), '--lb-port', '80x');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "[error] TUP-0001: --lb-port must be a port number from 0 to 65535 (0: any free port), got '80x'",
    );
  });
});
