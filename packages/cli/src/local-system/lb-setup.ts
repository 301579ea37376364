// The load balancer configuration of `tandem up`: lb.yaml in the state directory, written on
// the first run (with a random HMAC secret beside it, for the persistence cookie) and read on
// every run, so a user may edit it. `up` starts one demo app server for each server of the
// pool `app`, at its host and port; the command line's ports override the file for one run.
// What the file says is validated by the load balancer's own schema (loadConfigFile), and the
// configuration `up` finally starts is validated again with the ports it bound.
import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { pathExists } from '../path-exists.js';
import { join } from 'node:path';
import { loadConfigFile, parseConfig, validateConfig, type LbConfig } from '@tandem/lb';
import type { AppSpec, RunningApp } from './app-fleet.js';
import { HEALTHY_BODY } from './demo-app.js';
import { UpError } from './up-errors.js';

export const LB_CONFIG_FILE = 'lb.yaml';
/** The persistence cookie's HMAC key, created with lb.yaml (0600). */
export const LB_SECRET_FILE = 'lb.secret';
/** The pool whose servers are `up`'s demo app servers. */
export const APP_POOL = 'app';
/** The HTTP listener `--lb-port` moves. */
export const WEB_LISTENER = 'web';

/** The ports of a first run's lb.yaml. */
export const DEFAULT_LB_PORT = 8080;
export const DEFAULT_ADMIN_PORT = 9090;
export const DEFAULT_APP_PORTS: readonly number[] = [8081, 8082];
/** The cookie that pins a client to an app server. */
export const PERSISTENCE_COOKIE = 'TANDEMLB';

const SECRET_BYTES = 32;

/** The text of a first run's lb.yaml, with comments for whoever edits it. */
export function defaultLbYaml(): string {
  const servers = DEFAULT_APP_PORTS.map((port, index) =>
    [`      - id: app${index + 1}`, '        host: 127.0.0.1', `        port: ${port}`].join('\n'),
  ).join('\n');
  return `# The load balancer of \`tandem up\`, written on its first run. Edit it and restart \`tandem up\`;
# \`npx tandem lb check --config <this file>\` validates it. Every field: packages/lb/README.md.
# \`tandem up\` starts one demo app server for each server of the pool "${APP_POOL}", at its host and port;
# --lb-port, --admin-port and --app-ports override the ports here for one run.

# 1: the load balancer serves in the \`tandem up\` process. auto: one worker process per CPU.
workers: 1
listeners:
  - name: ${WEB_LISTENER}
    protocol: http
    host: 127.0.0.1
    port: ${DEFAULT_LB_PORT}
    defaultPool: ${APP_POOL}
pools:
  ${APP_POOL}:
    algorithm: round-robin
    # The load balancer's signed cookie keeps a client on the app server it first reached,
    # unless that server is down.
    persistence:
      kinds: [cookie]
      cookie:
        name: ${PERSISTENCE_COOKIE}
    # A server that refuses the connection: the request goes to the next one.
    retries: 2
    # Content check: GET /health must answer 200 with a body starting "${HEALTHY_BODY}". Two failures
    # in a row take a server out (about 2 s); two successes bring it back.
    health:
      type: http
      path: /health
      bodyPattern: '^${HEALTHY_BODY}'
      intervalMs: 1000
      timeoutMs: 800
      fall: 2
      rise: 2
    # A 503 from /db means the database failed, not the app server: do not count 5xx here.
    passive:
      on5xx: false
    servers:
${servers}
# The HMAC key of the persistence cookie (relative to this file); keep it secret.
secretFile: ${LB_SECRET_FILE}
# The admin API (GET /servers, drain, weights) and Prometheus /metrics: loopback only.
admin:
  host: 127.0.0.1
  port: ${DEFAULT_ADMIN_PORT}
`;
}

/** Writes `text` to a new file at `path` (0600), through a temporary name: never a half-written file. */
async function writeNewFile(path: string, text: string): Promise<void> {
  const partial = `${path}.partial`;
  await writeFile(partial, text, { mode: 0o600 });
  await rename(partial, path);
}

/**
 * The path of lb.yaml in `stateDir`, written (with lb.secret beside it, unless one exists) if
 * missing. `created` tells whether this run wrote it.
 */
export async function ensureLbConfig(stateDir: string): Promise<{ readonly path: string; readonly created: boolean }> {
  const path = join(stateDir, LB_CONFIG_FILE);
  if (await pathExists(path)) return { path, created: false };
  const text = defaultLbYaml();
  parseConfig(text, path); // the template is valid, or this is a bug worth an error at once
  const secretPath = join(stateDir, LB_SECRET_FILE);
  if (!(await pathExists(secretPath))) await writeNewFile(secretPath, `${randomBytes(SECRET_BYTES).toString('hex')}\n`);
  await writeNewFile(path, text);
  return { path, created: true };
}

export interface PortOverrides {
  readonly lbPort?: number;
  readonly adminPort?: number;
  /** One port per server of the pool app, in order. */
  readonly appPorts?: readonly number[];
}

/** Reads and validates lb.yaml (TLB-1001/1002 name the field), then applies the command line's ports. */
export async function loadLbConfig(path: string, overrides: PortOverrides): Promise<LbConfig> {
  const config = await loadConfigFile(path);
  const { lbPort, adminPort, appPorts } = overrides;
  let listeners = config.listeners;
  if (lbPort !== undefined) {
    if (!listeners.some((listener) => listener.name === WEB_LISTENER))
      throw new UpError('INVALID_OPTION', `--lb-port: ${path} has no listener named ${WEB_LISTENER}`);
    listeners = listeners.map((listener) =>
      listener.name === WEB_LISTENER ? { ...listener, port: lbPort } : listener,
    );
  }
  let admin = config.admin;
  if (adminPort !== undefined) {
    if (admin === undefined) throw new UpError('INVALID_OPTION', `--admin-port: ${path} has no admin listener`);
    admin = { ...admin, port: adminPort };
  }
  let pools = config.pools;
  if (appPorts !== undefined) {
    const pool = pools[APP_POOL];
    if (pool === undefined) throw new UpError('INVALID_OPTION', `--app-ports: ${path} has no pool named ${APP_POOL}`);
    if (pool.servers.length !== appPorts.length) {
      throw new UpError(
        'INVALID_OPTION',
        `--app-ports gives ${appPorts.length} port(s), but pool ${APP_POOL} in ${path} has ${pool.servers.length} server(s)`,
        { hint: 'give one port per server, in order' },
      );
    }
    const servers = pool.servers.map((server, index) => ({ ...server, port: appPorts[index] ?? server.port }));
    pools = { ...pools, [APP_POOL]: { ...pool, servers } };
  }
  return { ...config, listeners, pools, ...(admin === undefined ? {} : { admin }) };
}

/** The demo app servers `up` starts: one per server of the pool app (none without that pool). */
export function appSpecs(config: LbConfig): AppSpec[] {
  return (config.pools[APP_POOL]?.servers ?? []).map((server) => ({
    id: server.id,
    host: server.host,
    port: server.port,
  }));
}

/**
 * The configuration the load balancer starts with: the pool app's servers at the ports the
 * app servers bound (they differ when a port was 0), validated again as a whole (two parts
 * given one port on the command line, for example, is TLB-1001 naming the field).
 */
export function withAppPorts(config: LbConfig, apps: readonly RunningApp[], source: string): LbConfig {
  const pool = config.pools[APP_POOL];
  const pools =
    pool === undefined
      ? config.pools
      : {
          ...config.pools,
          [APP_POOL]: {
            ...pool,
            servers: pool.servers.map((server) => {
              const app = apps.find((candidate) => candidate.id === server.id);
              return app === undefined ? server : { ...server, port: app.port };
            }),
          },
        };
  // loadConfigFile turned secretFile into secret; the schema takes one of the two.
  const { secretFile: _secretFile, ...rest } = config;
  return validateConfig({ ...rest, pools }, `${source} (with the ports of this run)`);
}
