// `tandem up`: starts the local redundant system in the foreground. Each part adds itself
// to the plan as it becomes runnable; parts that cannot run yet are reported as not started
// rather than pretended. Today: the database (created on the first run in a state directory
// that git ignores, .tandem/ under the current directory), two demo app servers in their own
// processes (local-system/demo-app.ts) and the load balancer in front of them, configured by
// <state dir>/lb.yaml (written on the first run; local-system/lb-setup.ts). SIGINT, SIGTERM or
// SIGHUP stops them in reverse order: the load balancer (requests in flight get the grace period),
// the app servers, then the database, shut down IMMEDIATE.
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { pathExists } from '../path-exists.js';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CONFIG_FILE, DatabaseServer, initDatabase, SYS_PASSWORD_FILE } from '@tandem/db';
import { LbError, LoadBalancer, TlbCode, type LbConfig } from '@tandem/lb';
import type { CliIo } from '../main.js';
import { errorMessage } from '../db-client/coded-error.js';
import { AppFleet, type RunningApp } from '../local-system/app-fleet.js';
import {
  APP_POOL,
  appSpecs,
  DEFAULT_ADMIN_PORT,
  DEFAULT_APP_PORTS,
  DEFAULT_LB_PORT,
  ensureLbConfig,
  loadLbConfig,
  WEB_LISTENER,
  withAppPorts,
  type PortOverrides,
} from '../local-system/lb-setup.js';
import { UpError } from '../local-system/up-errors.js';

export interface PartStatus {
  readonly name: string;
  readonly runnable: boolean;
  readonly detail: string;
}

/** What `up` starts, in start order, then what it cannot start yet. */
export function localSystemPlan(): PartStatus[] {
  return [
    { name: 'database', runnable: true, detail: 'tandem-db (primary; standby and witness come with replication)' },
    {
      name: 'app servers',
      runnable: true,
      detail: `demo app servers, one per server of the pool ${APP_POOL} in lb.yaml (the app tier with replicated sessions comes with its issue)`,
    },
    { name: 'load balancer', runnable: true, detail: 'tandem lb in front of the app servers, from lb.yaml' },
    {
      name: 'load balancer pair',
      runnable: false,
      detail: 'the backup load balancer and the shared virtual address (VRRP-like) are not yet implemented',
    },
    { name: 'monitor', runnable: false, detail: 'not yet implemented' },
  ];
}

export interface UpOptions {
  readonly stateDir: string;
  /** The database's port (default from its parameters). */
  readonly port?: string;
  /** The load balancer's HTTP port (default from lb.yaml). */
  readonly lbPort?: string;
  /** The admin API's port (default from lb.yaml). */
  readonly adminPort?: string;
  /** The demo app servers' ports, comma-separated, one per server of the pool app (default from lb.yaml). */
  readonly appPorts?: string;
  /** How long stopping lets requests in flight finish, in the load balancer and in each app server. */
  readonly graceMs?: string;
}

const DEFAULT_GRACE_MS = 10_000;
/** The access log of the load balancer, under the state directory (its event log goes to stderr). */
const ACCESS_LOG = join('logs', 'lb-access.log');

function parsePort(option: string, text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port > 65535)
    throw new UpError(
      'INVALID_OPTION',
      `${option} must be a port number from 0 to 65535 (0: any free port), got '${text}'`,
    );
  return port;
}

function parseGraceMs(text: string | undefined): number {
  if (text === undefined) return DEFAULT_GRACE_MS;
  const graceMs = Number(text);
  if (!/^\d+$/.test(text.trim()) || graceMs > 2_147_483_647)
    throw new UpError('INVALID_OPTION', `--grace-ms must be a whole number of milliseconds, got '${text}'`);
  return graceMs;
}

function portOverrides(options: UpOptions): PortOverrides {
  return {
    ...(options.lbPort === undefined ? {} : { lbPort: parsePort('--lb-port', options.lbPort) }),
    ...(options.adminPort === undefined ? {} : { adminPort: parsePort('--admin-port', options.adminPort) }),
    ...(options.appPorts === undefined
      ? {}
      : { appPorts: options.appPorts.split(',').map((text) => parsePort('--app-ports', text)) }),
  };
}

/** A failure to bind names the address; say how to move it. */
function withPortHint(error: unknown, configPath: string): Error {
  if (!(error instanceof LbError) || error.code !== TlbCode.LISTEN_FAILED)
    return error instanceof Error ? error : new Error(String(error));
  const option = error.message.includes('the admin listener cannot listen')
    ? '--admin-port'
    : error.message.includes(`listener ${WEB_LISTENER} cannot listen`)
      ? '--lb-port'
      : undefined;
  const how = `${option === undefined ? '' : `choose another port with ${option}, or `}edit ${configPath}`;
  return new LbError('LISTEN_FAILED', `${error.message.replace(/^TLB-\d+: /, '')} (${how})`, { cause: error });
}

function closeStream(stream: WriteStream): Promise<void> {
  if (stream.closed) return Promise.resolve();
  const done = once(stream, 'close').then(() => undefined);
  stream.end();
  return done;
}

/** The lines that say what the load balancer serves and how to try it. */
function describeLoadBalancer(
  balancer: LoadBalancer,
  config: LbConfig,
  configPath: string,
  apps: readonly RunningApp[],
  accessLogPath: string | undefined,
): string[] {
  const lines: string[] = [];
  const http = config.listeners.filter((listener) => listener.protocol === 'http');
  for (const listener of config.listeners) {
    const { address, port } = balancer.address(listener.name);
    const poolName = listener.protocol === 'http' ? listener.defaultPool : listener.pool;
    const pool = config.pools[poolName];
    const persistence =
      pool === undefined || pool.persistence.kinds.length === 0 ? 'none' : pool.persistence.kinds.join(', ');
    const health =
      pool?.health === undefined
        ? 'no health checks'
        : pool.health.type === 'http'
          ? `health checks GET ${pool.health.path}`
          : 'TCP health checks';
    lines.push(
      `[notice] tandem up: load balancer ${listener.name} on ${listener.protocol === 'http' ? 'http://' : 'tcp '}${address}:${port} -> pool ${poolName} (${pool?.algorithm ?? '?'}, persistence ${persistence}, ${health}), from ${configPath}`,
    );
  }
  const web = http.find((listener) => listener.name === WEB_LISTENER) ?? http[0];
  if (web !== undefined) {
    const { address, port } = balancer.address(web.name);
    const base = `http://${address}:${port}`;
    const pool = config.pools[web.defaultPool];
    const cookie = pool?.persistence.kinds.includes('cookie') === true ? pool.persistence.cookie.name : undefined;
    lines.push(`  try:      curl -i ${base}/          each request without a cookie goes to the next app server`);
    if (cookie !== undefined)
      lines.push(`            curl -b jar -c jar ${base}/   the ${cookie} cookie keeps you on one app server`);
    if (apps.length > 0)
      lines.push(`            curl ${base}/db        a visit recorded in the database by an app server`);
  }
  if (config.admin !== undefined && balancer.adminAddress !== undefined) {
    const admin = `http://${balancer.adminAddress.address}:${balancer.adminAddress.port}`;
    lines.push(`  admin:    curl ${admin}/servers     (drain: curl -X POST ${admin}/servers/<id>/drain)`);
    lines.push(`  metrics:  curl ${admin}/metrics`);
  }
  if (accessLogPath !== undefined) lines.push(`  logs:     events on stderr; access log in ${accessLogPath}`);
  const [first, ...others] = apps;
  if (first !== undefined && others.length > 0) {
    lines.push(
      `  failover: kill ${first.pid}   (app server ${first.id}: its health checks fail and ${others.map((app) => app.id).join(', ')} ${others.length === 1 ? 'takes' : 'take'} every request)`,
    );
  }
  return lines;
}

/** Starts every runnable part; resolves with a function that stops them all, in reverse order. */
export async function startLocalSystem(options: UpOptions, io: CliIo): Promise<() => Promise<void>> {
  const stateDir = resolve(options.stateDir);
  const dbDir = join(stateDir, 'db');
  const log = (level: string, text: string): void => {
    const line = text.trimEnd();
    io.err(`${/\[(notice|warning|error|alert)\]/.test(line) ? line : `[${level}] ${line}`}\n`);
  };
  // Every option is checked before anything starts.
  const dbPort = options.port === undefined ? undefined : parsePort('--port', options.port);
  const overrides = portOverrides(options);
  const graceMs = parseGraceMs(options.graceMs);

  // lb.yaml is read (and on the first run written) before anything starts: a mistake in it costs nothing.
  await mkdir(stateDir, { recursive: true });
  const lbConfigFile = await ensureLbConfig(stateDir);
  if (lbConfigFile.created) {
    io.out(
      `[notice] tandem up: first run: wrote the load balancer's configuration to ${lbConfigFile.path} ` +
        `(ports ${DEFAULT_LB_PORT}, admin ${DEFAULT_ADMIN_PORT}, app servers ${DEFAULT_APP_PORTS.join(', ')}; edit it and restart tandem up)\n`,
    );
  }
  const fileConfig = await loadLbConfig(lbConfigFile.path, overrides);
  if (!(await pathExists(join(dbDir, CONFIG_FILE)))) {
    io.out(`[notice] tandem up: first run: creating the database in ${dbDir}\n`);
    await initDatabase(dbDir, {}, log);
  }
  for (const part of localSystemPlan()) {
    if (!part.runnable) io.out(`  ${part.name}: not started: ${part.detail}\n`);
  }

  const database = await DatabaseServer.start(dbDir, { ...(dbPort === undefined ? {} : { port: dbPort }), log });
  const stops: Array<{ readonly name: string; readonly stop: () => Promise<void> }> = [
    { name: 'database', stop: () => database.stop('IMMEDIATE') },
  ];
  const stopAll = async (): Promise<void> => {
    let failure: Error | undefined;
    for (const part of stops.splice(0).reverse()) {
      try {
        await part.stop();
      } catch (error) {
        log('error', `tandem up: stopping the ${part.name} failed: ${errorMessage(error)}`);
        failure ??= error instanceof Error ? error : new Error(String(error));
      }
    }
    if (failure !== undefined) throw failure;
  };

  try {
    const { host: dbHost, port: dbBoundPort } = database.address;
    const passwordFile = join(dbDir, SYS_PASSWORD_FILE);
    io.out(
      [
        `[notice] tandem up: database ${database.config.name} is OPEN on ${dbHost}:${dbBoundPort}`,
        `  connect:  psql "postgresql://sys@${dbHost}:${dbBoundPort}/${database.config.name}"  (password: ${passwordFile})`,
        `            npx tandem sql --dir ${dbDir}`,
        '',
      ].join('\n'),
    );

    const fleet = await AppFleet.start(appSpecs(fileConfig), {
      database: { host: dbHost, port: dbBoundPort, database: database.config.name, user: 'sys', passwordFile },
      relay: (line) => io.err(`${line}\n`),
      log: (level, message) => io.err(`${new Date().toISOString()} [${level}] tandem up: ${message}\n`),
      graceMs,
    });
    stops.push({ name: 'app servers', stop: () => fleet.stop() });
    for (const app of fleet.apps) {
      io.out(`[notice] tandem up: app server ${app.id} (pid ${app.pid}) on http://${app.host}:${app.port}\n`);
    }

    const config = withAppPorts(fileConfig, fleet.apps, lbConfigFile.path);
    const accessLogPath = config.accessLog ? join(stateDir, ACCESS_LOG) : undefined;
    let accessLog: WriteStream | undefined;
    if (accessLogPath !== undefined) {
      await mkdir(join(stateDir, 'logs'), { recursive: true });
      const stream = createWriteStream(accessLogPath, { flags: 'a' });
      stream.on('error', (error) => log('warning', `tandem up: access log ${accessLogPath}: ${error.message}`));
      stops.push({ name: 'access log', stop: () => closeStream(stream) });
      accessLog = stream;
    }
    let balancer: LoadBalancer;
    try {
      balancer = await LoadBalancer.start(config, {
        graceMs,
        logSink: (line) => io.err(`${line}\n`),
        accessLogSink: (line) => accessLog?.write(`${line}\n`),
      });
    } catch (error) {
      throw withPortHint(error, lbConfigFile.path);
    }
    stops.push({ name: 'load balancer', stop: () => balancer.stop() });
    io.out(
      [
        ...describeLoadBalancer(balancer, config, lbConfigFile.path, fleet.apps, accessLogPath),
        `  stop:     Ctrl-C (the load balancer drains for up to ${graceMs} ms, the app servers stop, the database shuts down IMMEDIATE)`,
        '[notice] tandem up: ready',
        '',
      ].join('\n'),
    );
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return () => (stopping ??= stopAll());
}

export function registerUpCommand(program: Command, io: CliIo): void {
  program
    .command('up')
    .description(
      'start the local redundant system: the database, demo app servers and the load balancer in front of them (lb.yaml in the state directory)',
    )
    .option('--state-dir <dir>', 'where the local system keeps its data and lb.yaml', '.tandem')
    .option('-p, --port <port>', 'database port (default from the database parameters: 5544)')
    .option(
      '--lb-port <port>',
      `the load balancer's HTTP port (default from lb.yaml: ${DEFAULT_LB_PORT}; 0: any free port)`,
    )
    .option('--admin-port <port>', `the admin API and /metrics port (default from lb.yaml: ${DEFAULT_ADMIN_PORT})`)
    .option(
      '--app-ports <ports>',
      `the demo app servers' ports, comma-separated, one per server of the pool ${APP_POOL} (default from lb.yaml: ${DEFAULT_APP_PORTS.join(',')})`,
    )
    .option('--grace-ms <ms>', 'how long stopping lets requests in flight finish', String(DEFAULT_GRACE_MS))
    .action(async (flags: UpOptions) => {
      const stop = await startLocalSystem(flags, io);
      const failed = await new Promise<boolean>((resolveStop) => {
        let stopping = false;
        const onSignal = (signal: NodeJS.Signals): void => {
          if (stopping) {
            io.err(`[notice] tandem up: ${signal}: already stopping\n`);
            return;
          }
          stopping = true;
          io.err(
            `[notice] tandem up: ${signal}: stopping the load balancer, then the app servers, then the database\n`,
          );
          stop().then(
            () => resolveStop(false),
            (error: unknown) => {
              io.err(`[error] tandem up: shutdown failed: ${errorMessage(error)}\n`);
              resolveStop(true);
            },
          );
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        // The terminal closed: nobody watches any more, so stop in order rather than die at once.
        process.on('SIGHUP', onSignal);
      });
      io.err(`[notice] tandem up: stopped\n`);
      process.exit(failed ? 1 : 0);
    });
}
