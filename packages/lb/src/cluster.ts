// Cluster mode (`workers: auto | n`, n > 1): the primary process forks workers with
// node:cluster; the workers share the listeners (the primary accepts and hands connections
// round robin, node's default on Linux) and proxy the requests. The primary owns what must be
// one across workers: the ServerDirectory's states and weights, the active health checks,
// passive detection's verdicts, the admin API and /metrics.
//
// - Every state and weight change in the primary is broadcast to every worker, which mirrors
//   it in its own directory (ServerDirectory.mirrorState). A worker starts with a copy of the
//   configuration in which each server already carries the primary's state and weight.
// - Workers report passive failures (and the first success after a failure) to the primary,
//   whose PassiveFailureDetector counts them and decides; its verdict is broadcast like any change.
// - Source-IP persistence uses a consistent-hash ring in workers (see PoolPersistence).
// - /metrics: the primary asks each worker for its registry as JSON and sums them with its
//   own through prom-client's AggregatorRegistry.aggregate; states, weights and health come
//   from the primary alone.
// - A worker that exits while the load balancer runs is replaced. stop() asks every worker
//   to drain (LoadBalancer.stop with the grace period) and waits for them to exit.
//
// IPC uses 'advanced' serialization (structured clone), so a configuration crosses as is.
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { LbConfig, ServerState } from './config.js';
import type { EventLog } from './log.js';
import type { MetricsJson } from './metrics.js';
import type { FailureKind, PassiveFailureDetector } from './passive-detector.js';
import type { ServerDirectory } from './server-directory.js';

/** The number of worker processes a `workers` setting asks for. */
export function resolveWorkers(setting: LbConfig['workers']): number {
  return setting === 'auto' ? Math.max(1, availableParallelism()) : setting;
}

export interface WorkerListenerInfo {
  readonly name: string;
  readonly protocol: 'http' | 'tcp';
  readonly address: AddressInfo;
}

/** Primary to worker. */
export type ToWorker =
  | {
      readonly t: 'config';
      readonly seq: number;
      readonly config: LbConfig;
      readonly graceMs: number;
      readonly pidHeader: boolean;
    }
  | {
      readonly t: 'state';
      readonly id: string;
      readonly state: ServerState;
      readonly reason: string;
      readonly slowStartMs: number;
    }
  | { readonly t: 'weight'; readonly id: string; readonly weight: number }
  | { readonly t: 'ask'; readonly seq: number; readonly what: 'metrics' | 'states' | 'ping' }
  | { readonly t: 'stop' };

/** Worker to primary. */
export type FromWorker =
  | { readonly t: 'ready' }
  | { readonly t: 'applied'; readonly seq: number; readonly listeners: WorkerListenerInfo[] }
  | { readonly t: 'failed'; readonly seq: number; readonly message: string }
  | { readonly t: 'answer'; readonly seq: number; readonly value: unknown }
  | { readonly t: 'passive'; readonly id: string; readonly kind: FailureKind; readonly detail: string }
  | { readonly t: 'passive-ok'; readonly id: string };

export interface WorkerFleetOptions {
  readonly count: number;
  readonly log: EventLog;
  readonly directory: ServerDirectory;
  readonly passive: PassiveFailureDetector;
  /** Slow start of a server that just came back (its health settings), for workers to ramp too. */
  readonly slowStartMsOf: (id: string) => number;
  readonly graceMs: number;
  /** The worker's entry module (default: cluster-worker.js beside this module). */
  readonly exec?: string;
  readonly execArgv?: readonly string[];
  /** Tests: workers add `X-Tandem-Lb-Worker: <pid>` to responses. */
  readonly pidHeader?: boolean;
}

/** Consecutive worker exits without a successful start after which the primary stops replacing them. */
const RESTARTS_WITHOUT_START_MAX = 5;

interface Pending {
  readonly remaining: Set<number>;
  readonly answers: Map<number, unknown>;
  readonly resolve: (answers: Map<number, unknown>) => void;
  readonly reject: (error: Error) => void;
}

export class WorkerFleet {
  readonly #options: WorkerFleetOptions;
  readonly #workers = new Map<number, Worker>();
  /** Workers that have applied a configuration (serving). */
  readonly #started = new Set<number>();
  readonly #pending = new Map<number, Pending>();
  /**
   * Messages for workers that have not said 'ready' yet. A worker's module loads
   * asynchronously (ESM), and node drops IPC messages that arrive before a listener exists.
   */
  readonly #queued = new Map<number, ToWorker[]>();
  #seq = 0;
  #config: LbConfig | undefined;
  #listeners: WorkerListenerInfo[] = [];
  #stopping = false;
  #failedStarts = 0;
  readonly #unsubscribe: Array<() => void> = [];
  readonly #onExit = (worker: Worker, code: number | null, signal: string | null): void =>
    this.#exited(worker, code, signal);

  constructor(options: WorkerFleetOptions) {
    this.#options = options;
    const { directory } = options;
    this.#unsubscribe.push(
      directory.onStateChange((change) => {
        // After the change's other observers ran (the health checker starts slow start right after setting up).
        queueMicrotask(() => {
          const server = directory.server(change.id);
          const slowStartMs =
            server !== undefined && server.slowStartFraction < 1 ? this.#options.slowStartMsOf(change.id) : 0;
          this.#broadcast({ t: 'state', id: change.id, state: change.to, reason: change.reason, slowStartMs });
        });
      }),
      directory.onWeightChange((id, weight) => this.#broadcast({ t: 'weight', id, weight })),
    );
    cluster.on('exit', this.#onExit);
  }

  /** Worker pids now. */
  pids(): number[] {
    return [...this.#workers.values()].flatMap((worker) =>
      worker.process.pid === undefined ? [] : [worker.process.pid],
    );
  }

  get listeners(): readonly WorkerListenerInfo[] {
    return this.#listeners;
  }

  /** Forks the workers and has each apply `config`; rejects if one cannot. */
  async start(config: LbConfig): Promise<void> {
    const execPath = this.#options.exec ?? new URL('./cluster-worker.js', import.meta.url).pathname;
    cluster.setupPrimary({
      exec: execPath,
      execArgv: [...(this.#options.execArgv ?? process.execArgv)],
      serialization: 'advanced',
    });
    this.#config = config;
    const forked: Worker[] = [];
    for (let index = 0; index < this.#options.count; index++) forked.push(this.#fork());
    await this.#configure(forked, config);
  }

  /** Sends a new configuration to every worker; rejects if one refuses it (that worker keeps its previous one). */
  async apply(config: LbConfig): Promise<void> {
    this.#config = config;
    await this.#configure([...this.#workers.values()], config);
  }

  /** Every worker's metrics as JSON (for LbMetrics.text). */
  async gatherMetrics(): Promise<MetricsJson[]> {
    const answers = await this.#ask('metrics');
    return [...answers.values()] as MetricsJson[];
  }

  /** Each worker's view of the server states, by pid (tests, diagnosis). */
  async workerStates(): Promise<Map<number, Record<string, ServerState>>> {
    const answers = await this.#ask('states');
    const byPid = new Map<number, Record<string, ServerState>>();
    for (const [id, value] of answers) {
      const pid = this.#workers.get(id)?.process.pid;
      if (pid !== undefined) byPid.set(pid, value as Record<string, ServerState>);
    }
    return byPid;
  }

  /** Resolves once every worker has handled every message sent to it before this call. */
  async barrier(): Promise<void> {
    await this.#ask('ping');
  }

  /** Asks every worker to drain and exit, and waits (at most grace + 5 s, then kills). */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    const exits = [...this.#workers.values()].map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) {
            resolve();
            return;
          }
          const timer = setTimeout(() => worker.kill('SIGKILL'), this.#options.graceMs + 5000);
          worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          this.#send(worker, { t: 'stop' });
        }),
    );
    await Promise.all(exits);
    cluster.off('exit', this.#onExit);
    for (const pending of this.#pending.values()) pending.reject(new Error('the load balancer stopped'));
    this.#pending.clear();
  }

  #fork(): Worker {
    const worker = cluster.fork();
    this.#workers.set(worker.id, worker);
    this.#queued.set(worker.id, []);
    worker.on('message', (message: FromWorker) => this.#received(worker, message));
    // An IPC error (a worker gone mid-send) must not take the primary down.
    worker.on('error', (error) => this.#options.log.warning(`worker ${worker.process.pid}: ${error.message}`));
    return worker;
  }

  async #configure(workers: readonly Worker[], config: LbConfig): Promise<void> {
    const answers = await this.#request(workers, (seq) => ({
      t: 'config',
      seq,
      config: withCurrentStates(config, this.#options.directory),
      graceMs: this.#options.graceMs,
      pidHeader: this.#options.pidHeader === true,
    }));
    const failures = [...answers.values()].filter((answer): answer is string => typeof answer === 'string');
    if (failures.length > 0) throw new Error(failures[0]);
    for (const worker of workers) this.#started.add(worker.id);
  }

  #ask(what: 'metrics' | 'states' | 'ping'): Promise<Map<number, unknown>> {
    return this.#request([...this.#workers.values()], (seq) => ({ t: 'ask', seq, what }));
  }

  /** Sends each worker a numbered message; resolves with each answer by worker id (a worker that exits answers undefined). */
  #request(workers: readonly Worker[], make: (seq: number) => ToWorker): Promise<Map<number, unknown>> {
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        remaining: new Set(workers.map((worker) => worker.id)),
        answers: new Map(),
        resolve,
        reject,
      };
      if (pending.remaining.size === 0) {
        resolve(pending.answers);
        return;
      }
      this.#pending.set(seq, pending);
      const message = make(seq);
      for (const worker of workers) this.#send(worker, message);
    });
  }

  #answered(workerId: number, seq: number, value: unknown): void {
    const pending = this.#pending.get(seq);
    if (pending === undefined || !pending.remaining.delete(workerId)) return;
    pending.answers.set(workerId, value);
    if (pending.remaining.size === 0) {
      this.#pending.delete(seq);
      pending.resolve(pending.answers);
    }
  }

  #received(worker: Worker, message: FromWorker): void {
    switch (message.t) {
      case 'ready': {
        const queued = this.#queued.get(worker.id) ?? [];
        this.#queued.delete(worker.id);
        for (const held of queued) this.#send(worker, held);
        break;
      }
      case 'applied':
        // Every worker binds the same listeners (shared handles): any report will do.
        this.#listeners = message.listeners;
        this.#failedStarts = 0;
        this.#answered(worker.id, message.seq, true);
        break;
      case 'failed':
        this.#answered(worker.id, message.seq, message.message);
        break;
      case 'answer':
        this.#answered(worker.id, message.seq, message.value);
        break;
      case 'passive': {
        const server = this.#options.directory.server(message.id);
        if (server !== undefined) this.#options.passive.reportFailure(server, message.kind, message.detail);
        break;
      }
      case 'passive-ok': {
        const server = this.#options.directory.server(message.id);
        if (server !== undefined) this.#options.passive.reportSuccess(server);
        break;
      }
    }
  }

  #send(worker: Worker, message: ToWorker): void {
    const queued = this.#queued.get(worker.id);
    if (queued !== undefined) {
      queued.push(message);
      return;
    }
    if (worker.isDead() || !worker.isConnected()) return;
    try {
      worker.send(message);
    } catch (error) {
      this.#options.log.warning(`worker ${worker.process.pid}: send failed: ${String(error)}`);
    }
  }

  #broadcast(message: ToWorker): void {
    if (this.#stopping) return;
    for (const worker of this.#workers.values()) this.#send(worker, message);
  }

  #exited(worker: Worker, code: number | null, signal: string | null): void {
    if (!this.#workers.delete(worker.id)) return;
    this.#queued.delete(worker.id);
    const started = this.#started.delete(worker.id);
    // Whatever it owed an answer to is answered (undefined), so no caller waits for the dead.
    for (const seq of [...this.#pending.keys()]) this.#answered(worker.id, seq, undefined);
    if (this.#stopping) return;
    this.#options.log.warning(
      `worker ${worker.process.pid} exited (${signal ?? `code ${code ?? '?'}`}); starting a replacement`,
    );
    if (!started && ++this.#failedStarts > RESTARTS_WITHOUT_START_MAX) {
      this.#options.log.error(`${this.#failedStarts} workers in a row exited before serving; not replacing any more`);
      return;
    }
    const config = this.#config;
    if (config === undefined) return;
    const replacement = this.#fork();
    this.#configure([replacement], config).catch((error: unknown) =>
      this.#options.log.error(
        `replacement worker ${replacement.process.pid}: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  }
}

/** The configuration with each server's state and weight as the primary has them now. */
function withCurrentStates(config: LbConfig, directory: ServerDirectory): LbConfig {
  const pools: Record<string, LbConfig['pools'][string]> = {};
  for (const [name, pool] of Object.entries(config.pools)) {
    pools[name] = {
      ...pool,
      servers: pool.servers.map((server) => {
        const now = directory.get(server.id);
        // 'down' is not a state a file may give, but the worker's directory takes the object as is.
        return now === undefined ? server : { ...server, state: now.state as typeof server.state, weight: now.weight };
      }),
    };
  }
  return { ...config, pools };
}
