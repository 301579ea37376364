// What an exchange needs from its listener: the configuration generation it started under
// (router, pools, trusted proxies), the logs, and passive failure reporting. A listener
// makes one context per generation, so a reload never changes an exchange in flight.
import type { Clock } from '@tandem/testkit';
import type { AccessLog, EventLog } from '../log.js';
import type { LbMetrics } from '../metrics.js';
import type { PassiveObserver } from '../passive-detector.js';
import type { HttpRouter } from '../router.js';
import type { Topology } from '../topology.js';

export interface FinishingExchange {
  readonly finished: boolean;
  abort(): void;
}

export interface ExchangeContext {
  readonly clock: Clock;
  readonly log: EventLog;
  readonly accessLog: AccessLog;
  readonly passive: PassiveObserver;
  readonly metrics: LbMetrics;
  readonly topology: Topology;
  readonly router: HttpRouter;
  readonly listenerName: string;
  /** A header added to every proxied response (tests of cluster mode: the worker's pid), if any. */
  readonly responseTag: readonly [string, string] | undefined;
  /** Logs a warning once per key for the life of the listener (a misbehaving app must not flood the log). */
  warnOnce(key: string, message: string): void;
  /** Called once when an exchange ends. */
  onFinished(exchange: FinishingExchange): void;
}
