// The database server process: an instance on the real file system, the SQL engine, and
// the PostgreSQL protocol listener. `initDatabase` creates a database directory (tandem db
// init); `DatabaseServer` boots it to the requested stage and serves it (tandem db start),
// and shuts it down in Tibero's modes. The server writes `<dir>/server.pid` once it is
// listening, so tools can find and stop it; the file names the pid, host and port.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NodeFileSystem, SystemClock } from '@tandem/testkit';
import { DbError } from '../errors.js';
import { Instance, type ShutdownMode } from '../instance/instance.js';
import { defaultTablespaces } from '../instance/storage.js';
import { SqlEngine } from '../sql/engine.js';
import { WireServer } from '../wire/server.js';
import { MetricsServer } from './metrics.js';
import { CONFIG_FILE, defaultConfig, formatConfig, validateConfig, type ServerConfig } from './config.js';

import { isAlive, PID_FILE, readConfig, readPidFile, SYS_PASSWORD_FILE, SYS_VERIFIER_FILE } from './state-files.js';

export interface InitOptions {
  readonly name?: string;
  readonly controlFiles?: readonly string[];
  readonly logGroups?: number;
  readonly logMembers?: number;
  readonly logSizeBytes?: number;
  readonly blockBytes?: number;
  readonly port?: number;
  readonly host?: string;
  /** The sys password; random when not given. */
  readonly sysPassword?: string;
  /**
   * false: write the parameters and sys's credentials only, and leave the database to be
   * made with CREATE DATABASE after `tandem db start --nomount` (Tibero's way).
   */
  readonly createDatabase?: boolean;
}

export interface InitResult {
  readonly directory: string;
  readonly config: ServerConfig;
  readonly sysPassword: string;
}

export type LogSink = (level: 'notice' | 'warning' | 'error', line: string) => void;

/** Creates a database in `directory` (which must not hold one) and leaves it shut down cleanly. */
export async function initDatabase(
  directoryPath: string,
  options: InitOptions = {},
  log: LogSink = () => {},
): Promise<InitResult> {
  const directory = resolve(directoryPath);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  if (await exists(join(directory, CONFIG_FILE))) {
    throw new DbError('DATABASE_EXISTS', `${directory} already holds a database (${CONFIG_FILE} exists)`);
  }
  const config = validateConfig(
    {
      ...defaultConfig(directory),
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.controlFiles === undefined
        ? {}
        : { controlFiles: options.controlFiles.map((path) => resolve(directory, path)) }),
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.host === undefined ? {} : { host: options.host }),
    },
    'options',
  );
  const instance = new Instance(
    { fs: new NodeFileSystem(), clock: new SystemClock() },
    { directory, controlFiles: config.controlFiles, alertMirror: mirrorTo(log) },
  );
  await instance.nomount();
  const sysPassword = options.sysPassword ?? randomBytes(18).toString('base64url');
  const engine = new SqlEngine({
    instance,
    clock: new SystemClock(),
    sysVerifierPath: join(directory, SYS_VERIFIER_FILE),
  });
  if (options.createDatabase === false) {
    await engine.writeSysVerifier(sysPassword);
    await instance.shutdown('NORMAL');
    await writeCredentialsAndConfig(directory, sysPassword, config);
    return { directory, config, sysPassword };
  }
  await instance.createDatabase({
    dbName: config.name,
    ...(options.blockBytes === undefined ? {} : { blockBytes: options.blockBytes }),
    ...(options.logGroups === undefined ? {} : { logGroups: options.logGroups }),
    ...(options.logMembers === undefined ? {} : { logMembers: options.logMembers }),
    ...(options.logSizeBytes === undefined ? {} : { logSizeBytes: options.logSizeBytes }),
    tablespaces: defaultTablespaces(),
  });
  await engine.writeSysVerifier(sysPassword);
  await instance.shutdown('IMMEDIATE');
  await writeCredentialsAndConfig(directory, sysPassword, config);
  return { directory, config, sysPassword };
}

async function writeCredentialsAndConfig(directory: string, sysPassword: string, config: ServerConfig): Promise<void> {
  const passwordPath = join(directory, SYS_PASSWORD_FILE);
  await writeFile(passwordPath, `${sysPassword}\n`, { mode: 0o600 });
  await chmod(passwordPath, 0o600);
  await writeFile(join(directory, CONFIG_FILE), formatConfig(config), { mode: 0o600 });
}

export interface StartOptions {
  readonly host?: string;
  readonly port?: number;
  /** Stop at NOMOUNT or MOUNT instead of opening the database. */
  readonly stage?: 'NOMOUNT' | 'MOUNT' | 'OPEN';
  readonly log?: LogSink;
}

export class DatabaseServer {
  readonly directory: string;
  readonly config: ServerConfig;
  readonly instance: Instance;
  readonly engine: SqlEngine;
  readonly #wire: WireServer;
  readonly #metrics: MetricsServer;
  readonly #log: LogSink;
  #address: { host: string; port: number } | undefined;
  #metricsAddress: { host: string; port: number } | undefined;
  #stopping: Promise<void> | undefined;

  private constructor(directory: string, config: ServerConfig, log: LogSink) {
    this.directory = directory;
    this.config = config;
    this.#log = log;
    const clock = new SystemClock();
    this.instance = new Instance(
      { fs: new NodeFileSystem(), clock },
      {
        directory,
        controlFiles: config.controlFiles,
        bufferCacheBlocks: Math.max(64, Math.floor((config.bufferCacheMb * 1024 * 1024) / 8192)),
        lockTimeoutMs: config.lockTimeoutMs,
        ddlGuard: 'caller',
        checkpointIntervalMs: config.checkpointIntervalMs,
        archiveDestinations: (config.archiveDestinations ?? ['archive']).map((path) => resolve(directory, path)),
        alertMirror: mirrorTo(log),
      },
    );
    this.engine = new SqlEngine({
      instance: this.instance,
      clock,
      databaseName: config.name,
      sysVerifierPath: join(directory, SYS_VERIFIER_FILE),
      lockTimeoutMs: config.lockTimeoutMs,
      maxStatementBytes: config.maxStatementBytes,
      log,
    });
    this.#wire = new WireServer({
      engine: this.engine,
      host: config.host,
      port: config.port,
      maxConnections: config.maxConnections,
      maxMessageBytes: config.maxMessageBytes,
      authentication: config.authentication,
      ...(config.tls === undefined ? {} : { tls: { key: config.tls.key, cert: config.tls.cert } }),
      log: (level, line) => log(level, line),
    });
    this.#metrics = new MetricsServer({
      instance: this.instance,
      engine: this.engine,
      wire: this.#wire,
      databaseName: config.name,
    });
  }

  /** Boots the instance to the requested stage and starts listening. */
  static async start(directoryPath: string, options: StartOptions = {}): Promise<DatabaseServer> {
    const directory = resolve(directoryPath);
    const fileConfig = await readConfig(directory);
    const config = validateConfig(
      {
        ...fileConfig,
        ...(options.host === undefined ? {} : { host: options.host }),
        ...(options.port === undefined ? {} : { port: options.port }),
      },
      'options',
    );
    const log = options.log ?? (() => {});
    const running = await readPidFile(directory);
    if (running !== undefined && isAlive(running.pid)) {
      throw new DbError(
        'WRONG_INSTANCE_STATE',
        `a server (pid ${running.pid}) already serves ${directory} on port ${running.port}`,
      );
    }
    const server = new DatabaseServer(directory, config, log);
    const stage = options.stage ?? 'OPEN';
    await server.instance.nomount();
    if (stage !== 'NOMOUNT') await server.instance.mount();
    if (stage === 'OPEN') await server.instance.open();
    try {
      server.#address = await server.#wire.listen();
    } catch (error) {
      await server.instance.shutdown(stage === 'OPEN' ? 'IMMEDIATE' : 'NORMAL').catch(() => undefined);
      throw error;
    }
    const metricsPort = config.metricsPort ?? (config.port === 0 ? 0 : config.port + 1);
    if (metricsPort >= 0) {
      try {
        server.#metricsAddress = await server.#metrics.listen(config.host, metricsPort);
        log(
          'notice',
          `server: health and metrics on http://${config.host}:${server.#metricsAddress.port}/health and /metrics`,
        );
      } catch (error) {
        log('warning', `server: metrics port ${metricsPort} unavailable (${String(error)}); serving without metrics`);
      }
    }
    await writeFile(
      join(directory, PID_FILE),
      `${JSON.stringify({
        pid: process.pid,
        host: server.#address.host,
        port: server.#address.port,
        stage,
        ...(server.#metricsAddress === undefined ? {} : { metricsPort: server.#metricsAddress.port }),
      })}\n`,
    );
    log(
      'notice',
      `server: listening on ${server.#address.host}:${server.#address.port}, database ${config.name} ${server.instance.stage}`,
    );
    return server;
  }

  /** Where /health and /metrics answer, if they do. */
  get metricsAddress(): { host: string; port: number } | undefined {
    return this.#metricsAddress;
  }

  get address(): { host: string; port: number } {
    if (this.#address === undefined) throw new DbError('WRONG_INSTANCE_STATE', 'the server is not listening');
    return this.#address;
  }

  /** A connection string for sys (the password from sys.password). */
  connectionString(password: string): string {
    return `postgresql://sys:${encodeURIComponent(password)}@${this.address.host}:${this.address.port}/${this.config.name}`;
  }

  /**
   * Stops serving and shuts the instance down: NORMAL waits for sessions to end, POST_TX
   * for transactions, IMMEDIATE rolls back and disconnects, ABORT stops at once (the next
   * start recovers).
   */
  stop(mode: ShutdownMode = 'IMMEDIATE'): Promise<void> {
    this.#stopping ??= this.#stop(mode);
    return this.#stopping;
  }

  async #stop(mode: ShutdownMode): Promise<void> {
    this.#log('notice', `server: shutdown ${mode} requested`);
    if (mode === 'NORMAL' || mode === 'POST_TX') {
      // Sessions end by themselves (NORMAL) or after their transaction (POST_TX); new ones are refused.
      const shutdown = this.instance.shutdown(mode);
      await this.#wire.close({ graceful: true });
      await shutdown;
    } else {
      await this.#wire.close({ graceful: false });
      await this.instance.shutdown(mode);
    }
    await this.#metrics.close();
    await rm(join(this.directory, PID_FILE), { force: true });
    this.#log('notice', `server: stopped (${mode})`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Alert-log lines already carry their level word; the sink gets them as notices (or by their level). */
function mirrorTo(log: LogSink): (line: string) => void {
  return (line) => {
    const level =
      line.includes('[error]') || line.includes('[alert]')
        ? 'error'
        : line.includes('[warning]')
          ? 'warning'
          : 'notice';
    log(level, line);
  };
}
