// The load balancer process core: starts the listeners of a configuration, reloads a new
// configuration without dropping connections, and stops gracefully. It owns the long-lived
// parts (the server directory with every server's state, active health checks, passive
// failure detection, metrics, the admin listener, the logs) and builds one Topology per
// configuration generation.
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { SeededRandom, SystemClock, type Clock, type Random } from '@tandem/testkit';
import type { BackendServer } from './backend-server.js';
import type { LbConfig, ListenerConfig, PassiveConfig, ServerState } from './config.js';
import { AdminServer } from './admin.js';
import { WorkerFleet, resolveWorkers } from './cluster.js';
import { HealthChecker, type CheckedServer } from './health/health-checker.js';
import { NodeProber } from './health/node-prober.js';
import type { Prober } from './health/probe.js';
import { HttpProxy, type ProxyServices } from './http-proxy.js';
import { LbMetrics } from './metrics.js';
import { AccessLog, EventLog, type LineSink } from './log.js';
import { PassiveFailureDetector, type PassiveObserver } from './passive-detector.js';
import { ServerDirectory, type ServerControl } from './server-directory.js';
import { TcpProxy } from './tcp-proxy.js';
import { Topology } from './topology.js';

export interface LoadBalancerOptions {
  readonly clock?: Clock;
  readonly random?: Random;
  /** Event log lines (default: standard error). */
  readonly logSink?: LineSink;
  /** Access log lines (default: standard output); the config's accessLog: false turns them off. */
  readonly accessLogSink?: LineSink;
  /** How long stop(), and a reload for the listeners it removes, let requests in flight finish. */
  readonly graceMs?: number;
  /** How active health checks reach servers (default: real HTTP and TCP probes). */
  readonly prober?: Prober;
  /**
   * Cluster mode (workers > 1) settings. `pidHeader` (tests only) makes workers add
   * `X-Tandem-Lb-Worker: <pid>` to every proxied response; `exec`/`execArgv` choose the
   * worker's entry module and node flags (tests run it from the TypeScript sources).
   */
  readonly cluster?: { readonly exec?: string; readonly execArgv?: readonly string[]; readonly pidHeader?: boolean };
  /** Internal: set by cluster-worker.ts when this process is a cluster worker. */
  readonly worker?: { readonly passive: PassiveObserver; readonly pidHeader: boolean };
}

/** The response header naming the worker process, in tests of cluster mode. */
export const WORKER_PID_HEADER = 'X-Tandem-Lb-Worker';

export interface ListenerInfo {
  readonly name: string;
  readonly protocol: 'http' | 'tcp';
  readonly address: AddressInfo;
}

type Listener = HttpProxy | TcpProxy;

const PASSIVE_DEFAULTS: PassiveConfig = { consecutiveFailures: 3, downMs: 10_000, on5xx: true };

function listenerKey(listener: ListenerConfig): string {
  return `${listener.name}|${listener.protocol}|${listener.host}|${listener.port}`;
}

export class LoadBalancer {
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #graceMs: number;
  readonly #log: EventLog;
  readonly #accessLogSink: LineSink;
  readonly #directory: ServerDirectory;
  readonly #passive: PassiveFailureDetector;
  /** 'single': everything in this process; 'primary': no listeners, workers serve; 'worker': listeners only. */
  readonly #mode: 'single' | 'primary' | 'worker';
  readonly #options: LoadBalancerOptions;
  #fleet: WorkerFleet | undefined;
  readonly #health: HealthChecker;
  readonly #metrics: LbMetrics;
  #admin: AdminServer | undefined;
  #services: ProxyServices;
  #topology: Topology | undefined;
  #listeners = new Map<string, Listener>();
  #stopped = false;

  private constructor(options: LoadBalancerOptions, mode: 'single' | 'primary' | 'worker') {
    this.#mode = mode;
    this.#options = options;
    this.#clock = options.clock ?? new SystemClock();
    this.#random = options.random ?? new SeededRandom(Math.floor(Math.random() * 0x1_0000_0000));
    this.#graceMs = options.graceMs ?? 10_000;
    this.#log = new EventLog(this.#clock, options.logSink ?? ((line) => process.stderr.write(`${line}\n`)));
    this.#accessLogSink = options.accessLogSink ?? ((line) => process.stdout.write(`${line}\n`));
    this.#directory = new ServerDirectory(this.#log);
    this.#health = new HealthChecker({
      clock: this.#clock,
      random: this.#random.fork(),
      control: this.#directory,
      log: this.#log,
      prober: options.prober ?? new NodeProber(),
    });
    this.#passive = new PassiveFailureDetector({
      clock: this.#clock,
      control: this.#directory,
      log: this.#log,
      configFor: (server: BackendServer) => this.#topology?.poolOf(server)?.config.passive ?? PASSIVE_DEFAULTS,
      // Where active checks run, they bring a server back, after `rise` good checks.
      revive: (server: BackendServer) => !this.#health.checks(server.id),
    });
    this.#metrics = new LbMetrics({ directory: this.#directory, health: this.#health });
    this.#metrics.listenersInFlight = () =>
      [...this.#listeners.values()].map((listener) => ({ name: listener.name, inFlight: listener.inFlight }));
    this.#services = this.#makeServices(true);
  }

  /**
   * Starts every listener of the configuration; rejects (with nothing left listening) if one
   * cannot bind. With `workers` above 1 (`auto`: one per CPU) this process becomes a cluster
   * primary: it forks the workers, which serve the listeners, and keeps states, health checks,
   * passive verdicts and the admin API (see cluster.ts). `workers: 1` serves in this process.
   */

  static async start(config: LbConfig, options: LoadBalancerOptions = {}): Promise<LoadBalancer> {
    const workers = resolveWorkers(config.workers);
    const mode = options.worker !== undefined ? 'worker' : workers > 1 && cluster.isPrimary ? 'primary' : 'single';
    const balancer = new LoadBalancer(options, mode);
    if (mode === 'primary') {
      const fleet = new WorkerFleet({
        count: workers,
        log: balancer.#log,
        directory: balancer.#directory,
        passive: balancer.#passive,
        slowStartMsOf: (id) => balancer.#slowStartMsOf(id),
        graceMs: balancer.#graceMs,
        ...(options.cluster?.exec === undefined ? {} : { exec: options.cluster.exec }),
        ...(options.cluster?.execArgv === undefined ? {} : { execArgv: options.cluster.execArgv }),
        pidHeader: options.cluster?.pidHeader === true,
      });
      balancer.#fleet = fleet;
      balancer.#metrics.gatherWorkers = () => fleet.gatherMetrics();
    }
    try {
      await balancer.#apply(config);
    } catch (error) {
      await balancer.stop();
      throw error;
    }
    balancer.#log.notice(
      `load balancer started: ${balancer.#describeListeners()}` +
        (mode === 'primary' ? `; ${workers} workers (${balancer.workerPids().join(', ')})` : ''),
    );
    return balancer;
  }

  /** Server states and weights: for the health checker and the admin API. */
  get servers(): ServerControl {
    return this.#directory;
  }

  /** Active health checks: each checked server's verdict and counts. */
  get health(): HealthChecker {
    return this.#health;
  }

  /** The Prometheus registry's owner (the admin listener serves it on /metrics). */
  get metrics(): LbMetrics {
    return this.#metrics;
  }

  /** The admin listener's bound address, if the configuration has one. */
  get adminAddress(): AddressInfo | undefined {
    return this.#admin?.address;
  }

  /** The event log, for parts that run beside the proxies (health checks, admin API). */
  get log(): EventLog {
    return this.#log;
  }

  get config(): LbConfig {
    if (this.#topology === undefined) throw new Error('the load balancer has no configuration');
    return this.#topology.config;
  }

  get listeners(): ListenerInfo[] {
    if (this.#fleet !== undefined) return this.#fleet.listeners.map((info) => ({ ...info }));
    return [...this.#listeners.values()].map((listener) => ({
      name: listener.name,
      protocol: listener instanceof HttpProxy ? 'http' : 'tcp',
      address: listener.address,
    }));
  }

  /** The bound address of a listener (its port when the configuration asked for port 0). */
  address(listenerName: string): AddressInfo {
    for (const listener of this.#listeners.values()) if (listener.name === listenerName) return listener.address;
    for (const listener of this.#fleet?.listeners ?? []) if (listener.name === listenerName) return listener.address;
    throw new RangeError(`no listener named ${listenerName}`);
  }

  /** A server's backend object (tests, metrics): its agent's socket counts, its in-flight count. */
  backendServer(id: string): BackendServer | undefined {
    return this.#directory.server(id);
  }

  /** Cluster mode: the worker processes' pids (empty otherwise). */
  workerPids(): number[] {
    return this.#fleet?.pids() ?? [];
  }

  /** Cluster mode: each worker's view of the server states, by pid (empty otherwise). */
  async workerStates(): Promise<Map<number, Record<string, ServerState>>> {
    return (await this.#fleet?.workerStates()) ?? new Map<number, Record<string, ServerState>>();
  }

  /** Cluster mode: resolves once every worker has applied every change broadcast before the call. */
  async workersSynced(): Promise<void> {
    await this.#fleet?.barrier();
  }

  /** Cluster workers: a state change the primary made (see ServerDirectory.mirrorState). */
  mirrorState(id: string, state: ServerState, reason: string): void {
    this.#directory.mirrorState(id, state, reason);
  }

  /** Cluster workers: the primary's slow start of a recovered server, ramped here too. */
  beginSlowStart(server: BackendServer, durationMs: number): void {
    server.beginSlowStart(this.#clock, durationMs);
  }

  /** Exchanges and TCP connections in flight on this process's listeners (a cluster primary has none). */
  get inFlight(): number {
    let count = 0;
    for (const listener of this.#listeners.values()) count += listener.inFlight;
    return count;
  }

  /** Client connections open now on every listener (kept-alive ones included). */
  async clientConnections(): Promise<number> {
    const counts = await Promise.all([...this.#listeners.values()].map((listener) => listener.connectionCount()));
    return counts.reduce((sum, count) => sum + count, 0);
  }

  /**
   * Applies a new configuration without dropping connections. Listeners that stay (same
   * name, protocol and address) keep their sockets and connections and use the new rules and
   * pools from their next request or connection; new listeners start; removed ones stop
   * accepting and let their requests finish. Servers that stay keep their state. If a new
   * listener cannot bind, the reload is undone and the error thrown.
   */
  async reload(config: LbConfig): Promise<void> {
    if (this.#stopped) throw new Error('the load balancer is stopped');
    const previous = this.#topology?.config;
    try {
      await this.#apply(config);
    } catch (error) {
      if (previous !== undefined) await this.#apply(previous);
      this.#log.error(`reload refused: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
    this.#log.notice(`configuration reloaded: ${this.#describeListeners()}`);
  }

  /** Stops every listener: requests in flight get the grace period, then are cut. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#health.stop();
    await this.#fleet?.stop();
    await Promise.all([...this.#listeners.values()].map((listener) => listener.close(this.#graceMs)));
    this.#listeners.clear();
    await this.#admin?.close();
    this.#admin = undefined;
    this.#passive.close();
    this.#directory.closeAll();
    this.#log.notice('load balancer stopped');
  }

  #makeServices(accessLog: boolean): ProxyServices {
    return {
      clock: this.#clock,
      log: this.#log,
      accessLog: new AccessLog(this.#clock, accessLog ? this.#accessLogSink : undefined),
      passive: this.#options.worker?.passive ?? this.#passive,
      metrics: this.#metrics,
      ...(this.#options.worker?.pidHeader === true
        ? { responseTag: [WORKER_PID_HEADER, String(process.pid)] as const }
        : {}),
    };
  }

  #slowStartMsOf(id: string): number {
    for (const pool of Object.values(this.#topology?.config.pools ?? {})) {
      const server = pool.servers.find((candidate) => candidate.id === id);
      if (server !== undefined) return (server.health ?? pool.health)?.slowStartMs ?? 0;
    }
    return 0;
  }

  async #apply(config: LbConfig): Promise<void> {
    const topology = new Topology(config, this.#directory, {
      clock: this.#clock,
      random: this.#random,
      sourceIpByHash: this.#mode === 'worker',
    });
    if (this.#services.accessLog.enabled !== config.accessLog) this.#services = this.#makeServices(config.accessLog);
    const wanted = new Map(config.listeners.map((listener) => [listenerKey(listener), listener]));
    const started: Array<[string, Listener]> = [];
    try {
      for (const [key, listenerConfig] of wanted) {
        if (this.#listeners.has(key) || this.#mode === 'primary') continue;
        const listener =
          listenerConfig.protocol === 'http'
            ? new HttpProxy(listenerConfig, config.limits, topology, this.#services)
            : new TcpProxy(listenerConfig, topology, this.#services);
        await listener.listen();
        started.push([key, listener]);
      }
    } catch (error) {
      await Promise.all(started.map(([, listener]) => listener.close(0)));
      throw error;
    }
    let admin: AdminServer | undefined;
    try {
      // Workers serve no admin API: the primary's has the states, and its /metrics sums the workers'.
      admin = this.#mode === 'worker' ? undefined : await this.#applyAdmin(config);
      if (this.#fleet !== undefined) {
        if (this.#topology === undefined) await this.#fleet.start(config);
        else await this.#fleet.apply(config);
      }
    } catch (error) {
      await Promise.all(started.map(([, listener]) => listener.close(0)));
      if (admin !== undefined && admin !== this.#admin) await admin.close();
      throw error;
    }
    const previousAdmin = this.#admin;
    this.#admin = admin;
    if (previousAdmin !== undefined && previousAdmin !== admin) void previousAdmin.close();
    const removed: Listener[] = [];
    for (const [key, listener] of this.#listeners) {
      const listenerConfig = wanted.get(key);
      if (listenerConfig === undefined) {
        removed.push(listener);
        this.#listeners.delete(key);
      } else if (listener instanceof HttpProxy && listenerConfig.protocol === 'http') {
        listener.update(listenerConfig, config.limits, topology);
      } else if (listener instanceof TcpProxy && listenerConfig.protocol === 'tcp') {
        listener.update(listenerConfig, topology);
      }
    }
    for (const [key, listener] of started) this.#listeners.set(key, listener);
    this.#topology = topology;
    // Workers check nothing: the primary's checks decide, and their verdicts arrive as state changes.
    if (this.#mode !== 'worker') this.#health.sync(checkedServers(config, this.#directory));
    for (const listener of removed) {
      listener.close(this.#graceMs).then(
        () => this.#log.notice(`listener ${listener.name} closed`),
        (error: unknown) => this.#log.error(`listener ${listener.name}: close failed: ${String(error)}`),
      );
    }
  }

  /** The admin listener for a configuration: the running one if its address stays, else a new one. */
  async #applyAdmin(config: LbConfig): Promise<AdminServer | undefined> {
    const wanted = config.admin;
    if (wanted === undefined) return undefined;
    const current = this.#admin;
    if (current !== undefined && current.config.host === wanted.host && current.config.port === wanted.port)
      return current;
    const admin = new AdminServer(wanted, {
      control: this.#directory,
      health: this.#health,
      metrics: this.#metrics,
      log: this.#log,
      effectiveWeight: (id) => this.#directory.server(id)?.effectiveWeight,
    });
    await admin.listen();
    return admin;
  }

  #describeListeners(): string {
    const served =
      this.#fleet === undefined
        ? ''
        : this.#fleet.listeners
            .map((info) => `${info.name} (${info.protocol}) on ${info.address.address}:${info.address.port}`)
            .join('; ');
    return (
      served +
      [...this.#listeners.values()]
        .map((listener) => {
          const { address, port } = listener.address;
          const pools =
            listener instanceof HttpProxy
              ? [...new Set([listener.config.defaultPool, ...listener.config.rules.map((rule) => rule.pool)])].join(
                  ', ',
                )
              : listener.config.pool;
          return `${listener.name} (${listener instanceof HttpProxy ? 'http' : 'tcp'}) on ${address}:${port} -> ${pools}`;
        })
        .join('; ') +
      (this.#admin === undefined ? '' : `; admin on ${this.#admin.address.address}:${this.#admin.address.port}`)
    );
  }
}

/** Every server with active checks, and the settings that apply to it (its own, else its pool's). */
function checkedServers(config: LbConfig, directory: ServerDirectory): CheckedServer[] {
  const checked: CheckedServer[] = [];
  for (const pool of Object.values(config.pools)) {
    for (const serverConfig of pool.servers) {
      const health = serverConfig.health ?? pool.health;
      const server = directory.server(serverConfig.id);
      if (health !== undefined && server !== undefined) checked.push({ server, health });
    }
  }
  return checked;
}
