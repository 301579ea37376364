// The load balancer process core: starts the listeners of a configuration, reloads a new
// configuration without dropping connections, and stops gracefully. It owns the long-lived
// parts (the server directory with every server's state, active health checks, passive
// failure detection, metrics, the admin listener, the logs) and builds one Topology per
// configuration generation.
import type { AddressInfo } from 'node:net';
import { SeededRandom, SystemClock, type Clock, type Random } from '@tandem/testkit';
import type { BackendServer } from './backend-server.js';
import type { LbConfig, ListenerConfig, PassiveConfig } from './config.js';
import { AdminServer } from './admin.js';
import { HealthChecker, type CheckedServer } from './health/health-checker.js';
import { NodeProber } from './health/node-prober.js';
import type { Prober } from './health/probe.js';
import { HttpProxy, type ProxyServices } from './http-proxy.js';
import { LbMetrics } from './metrics.js';
import { AccessLog, EventLog, type LineSink } from './log.js';
import { PassiveFailureDetector } from './passive-detector.js';
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
}

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
  readonly #health: HealthChecker;
  readonly #metrics: LbMetrics;
  #admin: AdminServer | undefined;
  #services: ProxyServices;
  #topology: Topology | undefined;
  #listeners = new Map<string, Listener>();
  #stopped = false;

  private constructor(options: LoadBalancerOptions) {
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

  /** Starts every listener of the configuration; rejects (with nothing left listening) if one cannot bind. */
  static async start(config: LbConfig, options: LoadBalancerOptions = {}): Promise<LoadBalancer> {
    const balancer = new LoadBalancer(options);
    await balancer.#apply(config);
    balancer.#log.notice(`load balancer started: ${balancer.#describeListeners()}`);
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
    return [...this.#listeners.values()].map((listener) => ({
      name: listener.name,
      protocol: listener instanceof HttpProxy ? 'http' : 'tcp',
      address: listener.address,
    }));
  }

  /** The bound address of a listener (its port when the configuration asked for port 0). */
  address(listenerName: string): AddressInfo {
    for (const listener of this.#listeners.values()) if (listener.name === listenerName) return listener.address;
    throw new RangeError(`no listener named ${listenerName}`);
  }

  /** A server's backend object (tests, metrics): its agent's socket counts, its in-flight count. */
  backendServer(id: string): BackendServer | undefined {
    return this.#directory.server(id);
  }

  /** Exchanges and TCP connections in flight on every listener. */
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
      passive: this.#passive,
      metrics: this.#metrics,
    };
  }

  async #apply(config: LbConfig): Promise<void> {
    const topology = new Topology(config, this.#directory, { clock: this.#clock, random: this.#random });
    if (this.#services.accessLog.enabled !== config.accessLog) this.#services = this.#makeServices(config.accessLog);
    const wanted = new Map(config.listeners.map((listener) => [listenerKey(listener), listener]));
    const started: Array<[string, Listener]> = [];
    try {
      for (const [key, listenerConfig] of wanted) {
        if (this.#listeners.has(key)) continue;
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
      admin = await this.#applyAdmin(config);
    } catch (error) {
      await Promise.all(started.map(([, listener]) => listener.close(0)));
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
    this.#health.sync(checkedServers(config, this.#directory));
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
    return (
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
