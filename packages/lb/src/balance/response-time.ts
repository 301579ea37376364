// Response time: prefer the server that answers fastest, weighed by what it already has in
// flight and by its weight. Each server keeps a peak-sensitive EWMA of its time to first
// byte: a slower sample replaces the average at once (a server that slows down is avoided
// at once), a faster one pulls it down gradually. Cost = (ewma + 1 ms) × (active + 1) / weight.
//
// Two details keep it honest:
// - Staleness. A slow server that stops being picked would keep its bad average forever;
//   the average decays towards zero with the time since its last sample (half-life
//   halfLifeMs on the injected Clock), so it is probed again after a while.
// - Herding. Taking the global minimum sends every request of the same instant (and, in
//   cluster mode, every worker with its own in-flight counts) to the one best server. Like
//   Finagle's and Envoy's latency-aware balancers, it compares two candidates drawn at
//   random (the power of two choices), which keeps nearly all of the benefit and spreads
//   load. With two candidates this is an exact comparison.
import type { BackendServer } from '../backend-server.js';
import type { Balancer, BalancerContext, PickRequest } from './balancer.js';

export interface ResponseTimeOptions {
  /** The EWMA halves every halfLifeMs without a sample. */
  readonly halfLifeMs?: number;
  /** Weight of a new sample below the average (0..1]. */
  readonly smoothing?: number;
}

export class ResponseTime implements Balancer {
  readonly algorithm = 'response-time' as const;
  readonly #servers: readonly BackendServer[];
  readonly #indexOf: Map<BackendServer, number>;
  readonly #context: BalancerContext;
  readonly #halfLifeMs: number;
  readonly #smoothing: number;
  /** The EWMA of time to first byte per server, NaN until the first sample. */
  readonly #ewmaMs: Float64Array;
  readonly #sampledAtMs: Float64Array;

  constructor(servers: readonly BackendServer[], context: BalancerContext, options: ResponseTimeOptions = {}) {
    this.#servers = servers;
    this.#indexOf = new Map(servers.map((server, index) => [server, index]));
    this.#context = context;
    this.#halfLifeMs = options.halfLifeMs ?? 10_000;
    this.#smoothing = options.smoothing ?? 0.3;
    this.#ewmaMs = new Float64Array(servers.length).fill(Number.NaN);
    this.#sampledAtMs = new Float64Array(servers.length);
  }

  /** The decayed EWMA of a server now (NaN if never sampled), for tests and metrics. */
  latencyEstimateMs(server: BackendServer): number {
    const index = this.#indexOf.get(server);
    return index === undefined ? Number.NaN : this.#decayed(index, this.#context.clock.monotonicMs());
  }

  pick(request: PickRequest): BackendServer | undefined {
    const servers = this.#servers;
    let count = 0;
    for (const server of servers) if (request.isCandidate(server)) count++;
    if (count === 0) return undefined;
    let first: number;
    let second: number;
    if (count <= 2) {
      first = 0;
      second = 1;
    } else {
      first = this.#context.random.int(0, count);
      second = this.#context.random.int(0, count - 1);
      if (second >= first) second++;
    }
    // Find the first-th and second-th candidates (in server order).
    let a: BackendServer | undefined;
    let b: BackendServer | undefined;
    let aIndex = -1;
    let bIndex = -1;
    let seen = 0;
    for (let index = 0; index < servers.length; index++) {
      const server = servers[index];
      if (!request.isCandidate(server)) continue;
      if (seen === first) {
        a = server;
        aIndex = index;
      } else if (seen === second) {
        b = server;
        bIndex = index;
      }
      seen++;
    }
    if (a === undefined) return undefined;
    if (b === undefined) return a;
    const now = this.#context.clock.monotonicMs();
    const costA = this.#cost(aIndex, now);
    const costB = this.#cost(bIndex, now);
    if (costA < costB) return a;
    if (costB < costA) return b;
    return this.#context.random.chance(0.5) ? a : b;
  }

  observeLatency(server: BackendServer, latencyMs: number): void {
    const index = this.#indexOf.get(server);
    if (index === undefined || !(latencyMs >= 0)) return;
    const now = this.#context.clock.monotonicMs();
    const previous = this.#decayed(index, now);
    this.#ewmaMs[index] =
      Number.isNaN(previous) || latencyMs > previous ? latencyMs : previous + this.#smoothing * (latencyMs - previous);
    this.#sampledAtMs[index] = now;
  }

  #decayed(index: number, nowMs: number): number {
    const ewma = this.#ewmaMs[index];
    if (Number.isNaN(ewma)) return ewma;
    const elapsedMs = Math.max(0, nowMs - this.#sampledAtMs[index]);
    return ewma * Math.pow(2, -elapsedMs / this.#halfLifeMs);
  }

  #cost(index: number, nowMs: number): number {
    const server = this.#servers[index];
    const estimate = this.#decayed(index, nowMs);
    // An unsampled server costs least, so a new or returning server gets its first requests.
    const latencyMs = Number.isNaN(estimate) ? 0 : estimate;
    return ((latencyMs + 1) * (server.active + 1)) / server.effectiveWeight;
  }
}
