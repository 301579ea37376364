// Active health checks: the deterministic core. Each checked server is probed every
// intervalMs (varied by jitter); `fall` consecutive failures make its verdict unhealthy and
// mark it down, `rise` consecutive successes make it healthy and bring it back, with slow
// start. Time and jitter come from the injected Clock and Random, the probes from an
// injected Prober, and every state change goes through ServerControl, so a test drives it
// all on a ManualClock with scripted probe results.
//
// Who owns `down`: with checks configured, this checker. Passive detection still marks a
// server down at once on live-traffic failures (it sees them first), but does not bring it
// back; the checker sees the change, counts the server unhealthy, and revives it after
// `rise` good checks. An operator's drain is remembered across a down period and restored;
// maintenance is left alone (checks still run, so the admin API shows the verdict).
import type { Clock, Random, Timer } from '@tandem/testkit';
import type { BackendServer } from '../backend-server.js';
import type { HealthConfig, ServerState } from '../config.js';
import { TlbCode } from '../errors.js';
import type { EventLog } from '../log.js';
import type { ServerControl, ServerStateChange } from '../server-directory.js';
import type { Prober, ProbeResult, ProbeTarget } from './probe.js';

/** One server to check, with the health settings that apply to it (its own, else its pool's). */
export interface CheckedServer {
  readonly server: BackendServer;
  readonly health: HealthConfig;
}

/** What the admin API and metrics show of a server's checks. */
export interface HealthStatus {
  readonly serverId: string;
  readonly type: HealthConfig['type'];
  readonly healthy: boolean;
  /** Checks finished since the server was first checked. */
  readonly checks: number;
  readonly failedChecks: number;
  readonly consecutiveSuccesses: number;
  readonly consecutiveFailures: number;
  /** The last verdict's detail (`status 200`, `ECONNREFUSED`, `timeout after 400 ms`), `-` before the first. */
  readonly lastDetail: string;
}

export interface HealthCheckerOptions {
  readonly clock: Clock;
  readonly random: Random;
  readonly control: ServerControl;
  readonly log: EventLog;
  readonly prober: Prober;
}

interface Tracking {
  readonly server: BackendServer;
  health: HealthConfig;
  healthy: boolean;
  successes: number;
  failures: number;
  checks: number;
  failedChecks: number;
  lastDetail: string;
  /** The state to restore on recovery (drain survives a down period). */
  restoreTo: 'up' | 'drain';
  timer: Timer | undefined;
  /** The check in flight: its abort handle and timeout timer. */
  inFlight: { readonly abort: AbortController; readonly timeout: Timer } | undefined;
}

export class HealthChecker {
  readonly #options: HealthCheckerOptions;
  readonly #tracking = new Map<string, Tracking>();
  readonly #unsubscribe: () => void;
  /** Set while this checker changes a state, so its own change is not taken for someone else's. */
  #changing = false;
  #stopped = false;

  constructor(options: HealthCheckerOptions) {
    this.#options = options;
    this.#unsubscribe = options.control.onStateChange((change) => this.#onStateChange(change));
  }

  /** Whether a server is checked (passive detection leaves reviving it to the checker). */
  checks(serverId: string): boolean {
    return this.#tracking.has(serverId);
  }

  /**
   * Brings the checked set in line with a configuration: new servers start being checked
   * (their first check at a random point of the first interval, so many servers spread out),
   * removed ones stop, and kept ones keep their counts and verdict with the new settings.
   */
  sync(servers: readonly CheckedServer[]): void {
    if (this.#stopped) return;
    const wanted = new Map(servers.map((entry) => [entry.server.id, entry]));
    for (const [id, tracking] of this.#tracking) {
      const next = wanted.get(id);
      if (next === undefined || next.server !== tracking.server) {
        this.#cancel(tracking);
        this.#tracking.delete(id);
      }
    }
    for (const [id, { server, health }] of wanted) {
      const existing = this.#tracking.get(id);
      if (existing !== undefined) {
        existing.health = health;
        continue;
      }
      const tracking: Tracking = {
        server,
        health,
        // A server starts trusted (it takes traffic at once); a dead one falls after `fall` checks.
        // One already down (kept over a reload from passive detection) must rise first.
        healthy: server.state !== 'down',
        successes: 0,
        failures: 0,
        checks: 0,
        failedChecks: 0,
        lastDetail: '-',
        restoreTo: server.state === 'drain' ? 'drain' : 'up',
        timer: undefined,
        inFlight: undefined,
      };
      this.#tracking.set(id, tracking);
      this.#schedule(tracking, this.#options.random.nextFloat() * health.intervalMs);
    }
  }

  status(serverId: string): HealthStatus | undefined {
    const tracking = this.#tracking.get(serverId);
    if (tracking === undefined) return undefined;
    return {
      serverId,
      type: tracking.health.type,
      healthy: tracking.healthy,
      checks: tracking.checks,
      failedChecks: tracking.failedChecks,
      consecutiveSuccesses: tracking.successes,
      consecutiveFailures: tracking.failures,
      lastDetail: tracking.lastDetail,
    };
  }

  statuses(): HealthStatus[] {
    return [...this.#tracking.keys()].map((id) => this.status(id)!);
  }

  /** Stops every check: timers cancelled, probes in flight aborted. */
  stop(): void {
    this.#stopped = true;
    this.#unsubscribe();
    for (const tracking of this.#tracking.values()) this.#cancel(tracking);
    this.#tracking.clear();
  }

  #cancel(tracking: Tracking): void {
    tracking.timer?.cancel();
    tracking.timer = undefined;
    if (tracking.inFlight !== undefined) {
      tracking.inFlight.timeout.cancel();
      tracking.inFlight.abort.abort();
      tracking.inFlight = undefined;
    }
  }

  #schedule(tracking: Tracking, delayMs: number): void {
    tracking.timer = this.#options.clock.setTimer(delayMs, () => {
      tracking.timer = undefined;
      this.#check(tracking);
    });
  }

  /** intervalMs varied uniformly by ±jitterPercent. */
  #nextIntervalMs(health: HealthConfig): number {
    const spread = (health.jitterPercent / 100) * (2 * this.#options.random.nextFloat() - 1);
    return Math.max(1, health.intervalMs * (1 + spread));
  }

  #check(tracking: Tracking): void {
    if (this.#stopped || this.#tracking.get(tracking.server.id) !== tracking) return;
    const { clock, prober } = this.#options;
    const health = tracking.health;
    const startedMs = clock.monotonicMs();
    const abort = new AbortController();
    const target: ProbeTarget = {
      serverId: tracking.server.id,
      host: tracking.server.host,
      port: health.port ?? tracking.server.port,
      health,
    };
    let done = false;
    const finish = (result: ProbeResult): void => {
      if (done) return;
      done = true;
      const inFlight = tracking.inFlight;
      tracking.inFlight = undefined;
      inFlight?.timeout.cancel();
      if (this.#stopped || this.#tracking.get(tracking.server.id) !== tracking) return;
      this.#record(tracking, result);
      // Checks start every interval: the time this one took comes off the wait for the next.
      const elapsedMs = clock.monotonicMs() - startedMs;
      this.#schedule(tracking, Math.max(0, this.#nextIntervalMs(health) - elapsedMs));
    };
    const timeout = clock.setTimer(health.timeoutMs, () => {
      abort.abort();
      finish({ ok: false, detail: `timeout after ${health.timeoutMs} ms` });
    });
    tracking.inFlight = { abort, timeout };
    prober
      .probe(target, abort.signal)
      .then(finish, (error: unknown) =>
        finish({ ok: false, detail: `probe failed: ${error instanceof Error ? error.message : String(error)}` }),
      );
  }

  #record(tracking: Tracking, result: ProbeResult): void {
    const { health, server } = tracking;
    tracking.checks++;
    tracking.lastDetail = result.detail;
    if (result.ok) {
      tracking.failures = 0;
      tracking.successes++;
      if (!tracking.healthy && tracking.successes >= health.rise) {
        tracking.healthy = true;
        this.#options.log.notice(
          `${TlbCode.HEALTH_CHECK_PASSED} server ${server.id} (${server.address}): ${tracking.successes} consecutive ${health.type} checks passed: ${result.detail}`,
        );
      }
    } else {
      tracking.failedChecks++;
      tracking.successes = 0;
      tracking.failures++;
      if (tracking.healthy && tracking.failures >= health.fall) {
        tracking.healthy = false;
        this.#options.log.warning(
          `${TlbCode.HEALTH_CHECK_FAILED} server ${server.id} (${server.address}): ${tracking.failures} consecutive ${health.type} checks failed, last: ${result.detail}`,
        );
      }
    }
    this.#enforce(tracking, result.detail);
  }

  /** Makes the server's state follow the verdict; maintenance and a retired server are left alone. */
  #enforce(tracking: Tracking, detail: string): void {
    const { server, health } = tracking;
    if (server.retired) return;
    const state: ServerState = server.state;
    if (!tracking.healthy && (state === 'up' || state === 'drain')) {
      tracking.restoreTo = state;
      this.#set(server, 'down', `health check: ${tracking.failures} consecutive failures, last: ${detail}`);
    } else if (tracking.healthy && state === 'down') {
      this.#set(server, tracking.restoreTo, `health check: ${tracking.successes} consecutive successes: ${detail}`);
      if (health.slowStartMs > 0 && tracking.restoreTo === 'up') {
        server.beginSlowStart(this.#options.clock, health.slowStartMs);
      }
    }
  }

  #set(server: BackendServer, state: ServerState, reason: string): void {
    this.#changing = true;
    try {
      this.#options.control.setState(server.id, state, reason);
    } finally {
      this.#changing = false;
    }
  }

  /**
   * Someone else changed a checked server: passive detection marked it down (it must now
   * rise before it comes back), or an operator set drain or up (the state to restore later).
   */
  #onStateChange(change: ServerStateChange): void {
    if (this.#changing) return;
    const tracking = this.#tracking.get(change.id);
    if (tracking === undefined) return;
    if (change.to === 'down') {
      if (change.from === 'up' || change.from === 'drain') tracking.restoreTo = change.from;
      tracking.healthy = false;
      tracking.successes = 0;
    } else if (change.to === 'up' || change.to === 'drain') {
      tracking.restoreTo = change.to;
    }
  }
}
