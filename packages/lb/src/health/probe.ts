// The I/O edge of active health checks: one probe of one server, given as an interface so
// that the checker's core (scheduling, rise and fall, state changes) runs on a ManualClock
// against a scripted prober in tests, and against real sockets in the load balancer.
import type { HealthConfig } from '../config.js';

export interface ProbeTarget {
  readonly serverId: string;
  readonly host: string;
  /** The port to probe (health.port if set, else the server's). */
  readonly port: number;
  readonly health: HealthConfig;
}

/** One probe's verdict. `detail` says why, for the log and the admin API (`status 200`, `ECONNREFUSED`). */
export interface ProbeResult {
  readonly ok: boolean;
  readonly detail: string;
}

export interface Prober {
  /**
   * Probes once. Resolves with the verdict, never rejects: a failure to connect or a bad
   * answer is a result with ok false. When `signal` aborts (the checker's timeout, or the
   * checker stopping) the probe releases its socket and may resolve with anything; the
   * checker has stopped listening.
   */
  probe(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult>;
}
