// Prometheus metrics of the load balancer, served by the admin listener on /metrics. Request
// counts, errors and upstream latency are counted as exchanges finish (from the same record
// the access log writes); server states, health verdicts, weights and connections in flight
// are read from the live objects when scraped, so nothing is sampled in between.
//
// The per-request counts live in plain maps and arrays here and reach prom-client only when
// scraped (its collect hooks): prom-client validates and hashes the labels on every inc()
// and observe(), even through a child, and that was about 5% of a worker's CPU under load.
import type { Histogram } from 'prom-client';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import { SERVER_STATES } from './config.js';
import type { HealthChecker } from './health/health-checker.js';
import type { AccessRecord } from './log.js';
import type { ServerDirectory } from './server-directory.js';

export interface MetricsSources {
  readonly directory: ServerDirectory;
  readonly health: HealthChecker;
}

/** Upstream time to first byte, in seconds: loopback sub-millisecond answers to slow pages. */
const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A counter's value for one label set, counted here between scrapes. */
interface Tally<L extends string> {
  readonly labels: Record<L, string>;
  count: number;
}

/** A histogram's buckets for one server: counts per bucket (not cumulative), sum and count. */
interface LatencyTally {
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A registry's metrics as JSON: what cluster workers send the primary. */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * Metrics the primary of a cluster reports from its own objects (states, weights, health):
 * workers leave them out of what they send, so the sums are not multiplied by the workers.
 */
export const PRIMARY_ONLY_METRICS: ReadonlySet<string> = new Set([
  'tandem_lb_server_state',
  'tandem_lb_server_effective_weight',
  'tandem_lb_server_healthy',
  'tandem_lb_health_checks_total',
]);

export class LbMetrics {
  readonly registry = new Registry();
  readonly #requests = new Map<string, Tally<'listener' | 'pool' | 'server' | 'status_class'>>();
  readonly #errors = new Map<string, Tally<'listener' | 'server' | 'outcome'>>();
  readonly #latency = new Map<string, LatencyTally>();
  /** In-flight exchanges per listener: set by the load balancer, read at scrape time. */
  listenersInFlight: () => ReadonlyArray<{ readonly name: string; readonly inFlight: number }> = () => [];
  /**
   * Cluster primary: the workers' metrics (from workerJson), summed with this registry's by
   * prom-client's AggregatorRegistry.aggregate at scrape time.
   */
  gatherWorkers: (() => Promise<MetricsJson[]>) | undefined;

  constructor(sources: MetricsSources) {
    const registry = this.registry;
    const { directory, health } = sources;
    const requests = this.#requests;
    new Counter({
      name: 'tandem_lb_requests_total',
      help: 'Finished HTTP requests and TCP connections, by listener, pool, the server that answered (- if none) and status class (tcp for TCP).',
      labelNames: ['listener', 'pool', 'server', 'status_class'],
      registers: [registry],
      collect() {
        this.reset();
        for (const tally of requests.values()) this.inc(tally.labels, tally.count);
      },
    });
    const errors = this.#errors;
    new Counter({
      name: 'tandem_lb_errors_total',
      help: 'Requests and connections that did not complete: outcome is the TLB code (TLB-3001 no server, TLB-3002 connect failed, TLB-3003 timeout, TLB-3004 broken) or client-aborted.',
      labelNames: ['listener', 'server', 'outcome'],
      registers: [registry],
      collect() {
        this.reset();
        for (const tally of errors.values()) this.inc(tally.labels, tally.count);
      },
    });
    registry.registerMetric(
      new LatencyHistogram(
        'tandem_lb_upstream_latency_seconds',
        "Time from sending a request to the server's response head (HTTP), or to its accepting the connection (TCP).",
        this.#latency,
      ) as unknown as Histogram,
    );
    new Gauge({
      name: 'tandem_lb_server_state',
      help: 'Server state: 1 for the current one of up, down, drain, maintenance.',
      labelNames: ['pool', 'server', 'state'],
      registers: [registry],
      collect() {
        this.reset();
        for (const server of directory.list()) {
          for (const state of SERVER_STATES)
            this.set({ pool: server.pool, server: server.id, state }, server.state === state ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'tandem_lb_server_active',
      help: 'Requests (HTTP) or connections (TCP, WebSocket) in flight to the server.',
      labelNames: ['pool', 'server'],
      registers: [registry],
      collect() {
        this.reset();
        for (const server of directory.list()) this.set({ pool: server.pool, server: server.id }, server.active);
      },
    });
    new Gauge({
      name: 'tandem_lb_server_effective_weight',
      help: 'The weight balancers use now (below the configured weight during slow start).',
      labelNames: ['pool', 'server'],
      registers: [registry],
      collect() {
        this.reset();
        for (const view of directory.list()) {
          const server = directory.server(view.id);
          if (server !== undefined) this.set({ pool: view.pool, server: view.id }, server.effectiveWeight);
        }
      },
    });
    new Gauge({
      name: 'tandem_lb_server_healthy',
      help: "The active health check's verdict: 1 healthy, 0 unhealthy (servers without checks are absent).",
      labelNames: ['server'],
      registers: [registry],
      collect() {
        this.reset();
        for (const status of health.statuses()) this.set({ server: status.serverId }, status.healthy ? 1 : 0);
      },
    });
    new Counter({
      name: 'tandem_lb_health_checks_total',
      help: 'Active health checks finished, by server and result.',
      labelNames: ['server', 'result'],
      registers: [registry],
      collect() {
        this.reset();
        for (const status of health.statuses()) {
          this.inc({ server: status.serverId, result: 'passed' }, status.checks - status.failedChecks);
          this.inc({ server: status.serverId, result: 'failed' }, status.failedChecks);
        }
      },
    });
    const inFlight = (): ReadonlyArray<{ readonly name: string; readonly inFlight: number }> =>
      this.listenersInFlight();
    new Gauge({
      name: 'tandem_lb_listener_in_flight',
      help: 'HTTP exchanges (requests and upgraded connections) or TCP connections in flight on the listener.',
      labelNames: ['listener'],
      registers: [registry],
      collect() {
        this.reset();
        for (const listener of inFlight()) this.set({ listener: listener.name }, listener.inFlight);
      },
    });
  }

  /** Counts one finished exchange (the access log's record of it). */
  record(entry: AccessRecord): void {
    const statusClass =
      entry.request === 'TCP' ? 'tcp' : entry.status === 0 ? 'none' : `${Math.floor(entry.status / 100)}xx`;
    const requestKey = `${entry.listener}\u0000${entry.pool}\u0000${entry.server}\u0000${statusClass}`;
    const requests = this.#requests.get(requestKey);
    if (requests !== undefined) requests.count++;
    else {
      const labels = { listener: entry.listener, pool: entry.pool, server: entry.server, status_class: statusClass };
      this.#requests.set(requestKey, { labels, count: 1 });
    }
    if (entry.outcome !== '-') {
      const errorKey = `${entry.listener}\u0000${entry.server}\u0000${entry.outcome}`;
      const errors = this.#errors.get(errorKey);
      if (errors !== undefined) errors.count++;
      else {
        const labels = { listener: entry.listener, server: entry.server, outcome: entry.outcome };
        this.#errors.set(errorKey, { labels, count: 1 });
      }
    }
    if (entry.upstreamMs >= 0 && entry.server !== '-') {
      let latency = this.#latency.get(entry.server);
      if (latency === undefined) {
        latency = { counts: new Float64Array(LATENCY_BUCKETS_SECONDS.length), sum: 0, count: 0 };
        this.#latency.set(entry.server, latency);
      }
      const seconds = entry.upstreamMs / 1000;
      // Counted in its own bucket only (above the last bound: in none; +Inf is the count).
      for (let index = 0; index < LATENCY_BUCKETS_SECONDS.length; index++) {
        if (seconds <= LATENCY_BUCKETS_SECONDS[index]) {
          latency.counts[index]++;
          break;
        }
      }
      latency.sum += seconds;
      latency.count++;
    }
  }

  /** The scrape: Prometheus's text format. */
  async text(): Promise<string> {
    if (this.gatherWorkers === undefined) return this.registry.metrics();
    const own = await this.registry.getMetricsAsJSON();
    const workers = await this.gatherWorkers();
    return AggregatorRegistry.aggregate([own, ...workers]).metrics();
  }

  /** A cluster worker's share of the metrics, for the primary to aggregate. */
  async workerJson(): Promise<MetricsJson> {
    const all = await this.registry.getMetricsAsJSON();
    return all.filter((metric) => !PRIMARY_ONLY_METRICS.has(metric.name));
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * The upstream latency histogram, per server, exposed in prom-client's metric format (what
 * Histogram.get() returns: cumulative `_bucket` values with `le`, then `_sum` and `_count`),
 * so the registry prints it and AggregatorRegistry sums it across cluster workers like any
 * histogram, while the request path only increments an array slot.
 */
class LatencyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames = ['server'];
  readonly name: string;
  readonly help: string;
  readonly #servers: Map<string, LatencyTally>;

  constructor(name: string, help: string, servers: Map<string, LatencyTally>) {
    this.name = name;
    this.help = help;
    this.#servers = servers;
  }

  get(): Promise<MetricsJson[number]> {
    const values: Array<{ value: number; metricName: string; labels: Record<string, string | number> }> = [];
    for (const [server, tally] of this.#servers) {
      let cumulative = 0;
      for (let index = 0; index < LATENCY_BUCKETS_SECONDS.length; index++) {
        cumulative += tally.counts[index];
        values.push({
          value: cumulative,
          metricName: `${this.name}_bucket`,
          labels: { le: LATENCY_BUCKETS_SECONDS[index], server },
        });
      }
      values.push({ value: tally.count, metricName: `${this.name}_bucket`, labels: { le: '+Inf', server } });
      values.push({ value: tally.sum, metricName: `${this.name}_sum`, labels: { server } });
      values.push({ value: tally.count, metricName: `${this.name}_count`, labels: { server } });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    } as unknown as MetricsJson[number]);
  }

  reset(): void {
    this.#servers.clear();
  }
}
