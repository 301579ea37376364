// Passive failure detection: the proxies report each exchange's outcome per server; N
// consecutive failures (connection failures, timeouts, broken responses, and 5xx if the pool
// counts them) mark the server down. A deterministic core: time comes from the injected
// Clock, and state changes go through ServerControl.
//
// Without active health checks nothing else would bring the server back, so after downMs it
// is tried again (nginx's fail_timeout) on probation: one more failure marks it down at
// once, one success clears it. For servers with active health checks, revival is the
// checker's (`revive` answers false for them): the server stays down until `rise` good checks.
import type { Clock, Timer } from '@tandem/testkit';
import type { BackendServer } from './backend-server.js';
import type { PassiveConfig, ServerState } from './config.js';
import { TlbCode } from './errors.js';
import type { EventLog } from './log.js';
import type { ServerControl } from './server-directory.js';

export type FailureKind = 'connect' | 'timeout' | 'broken' | 'status-5xx';

/** What the proxies tell about every exchange with a backend. */
export interface PassiveObserver {
  reportFailure(server: BackendServer, kind: FailureKind, detail: string): void;
  reportSuccess(server: BackendServer): void;
}

interface Tracking {
  consecutive: number;
  /** Set while the detector holds the server down: the state to return it to, and the revive timer. */
  heldDown: { readonly previous: ServerState; readonly timer: Timer | undefined } | undefined;
}

export interface PassiveDetectorOptions {
  readonly clock: Clock;
  readonly control: ServerControl;
  readonly log: EventLog;
  /** The passive settings of the pool the server belongs to now. */
  readonly configFor: (server: BackendServer) => PassiveConfig;
  /** Whether the detector brings a server back after downMs (false where active checks do it). Default: always. */
  readonly revive?: boolean | ((server: BackendServer) => boolean);
}

export class PassiveFailureDetector implements PassiveObserver {
  readonly #options: PassiveDetectorOptions;
  readonly #tracking = new Map<BackendServer, Tracking>();
  #closed = false;

  readonly #unsubscribe: () => void;

  constructor(options: PassiveDetectorOptions) {
    this.#options = options;
    // A server this detector holds down that someone else brings back (a health check, an
    // operator) starts afresh: its count from zero, and no revive of ours later.
    this.#unsubscribe = options.control.onStateChange((change) => {
      if (change.from !== 'down' || change.to === 'down') return;
      for (const [server, tracking] of this.#tracking) {
        if (server.id !== change.id || tracking.heldDown === undefined) continue;
        tracking.heldDown.timer?.cancel();
        this.#tracking.delete(server);
      }
    });
  }

  #revives(server: BackendServer): boolean {
    const revive = this.#options.revive ?? true;
    return typeof revive === 'function' ? revive(server) : revive;
  }

  /** Consecutive failures counted for a server now (for tests and metrics). */
  consecutiveFailures(server: BackendServer): number {
    return this.#tracking.get(server)?.consecutive ?? 0;
  }

  reportSuccess(server: BackendServer): void {
    const tracking = this.#tracking.get(server);
    if (tracking !== undefined && tracking.heldDown === undefined) this.#tracking.delete(server);
  }

  reportFailure(server: BackendServer, kind: FailureKind, detail: string): void {
    if (this.#closed || server.retired) return;
    const config = this.#options.configFor(server);
    if (kind === 'status-5xx' && !config.on5xx) return;
    let tracking = this.#tracking.get(server);
    if (tracking === undefined) {
      tracking = { consecutive: 0, heldDown: undefined };
      this.#tracking.set(server, tracking);
    }
    if (tracking.heldDown !== undefined) return; // already down: late reports of requests in flight
    tracking.consecutive++;
    if (tracking.consecutive < config.consecutiveFailures) return;
    // Only servers that take traffic are marked: maintenance or an operator's down stay as set.
    if (server.state !== 'up' && server.state !== 'drain') return;
    const previous = server.state;
    const timer = this.#revives(server)
      ? this.#options.clock.setTimer(config.downMs, () => this.#revive(server))
      : undefined;
    tracking.heldDown = { previous, timer };
    this.#options.log.warning(
      `${TlbCode.SERVER_FAILING} server ${server.id} (${server.address}): ${tracking.consecutive} consecutive failures, last ${kind}: ${detail}`,
    );
    this.#options.control.setState(
      server.id,
      'down',
      `passive detection: ${tracking.consecutive} consecutive failures` +
        (timer === undefined ? '; back when health checks pass' : `; tried again in ${config.downMs} ms`),
    );
  }

  #revive(server: BackendServer): void {
    const tracking = this.#tracking.get(server);
    if (tracking?.heldDown === undefined) return;
    const { previous } = tracking.heldDown;
    tracking.heldDown = undefined;
    // Probation: one more failure marks it down again; a success clears the count.
    tracking.consecutive = Math.max(0, this.#options.configFor(server).consecutiveFailures - 1);
    // Someone else (an operator, a health check) changed the state meanwhile: theirs stands.
    if (server.state !== 'down' || server.retired) return;
    this.#options.control.setState(server.id, previous, 'passive detection: down time over, trying it again');
  }

  /** Cancels revive timers (at stop). */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    for (const tracking of this.#tracking.values()) tracking.heldDown?.timer?.cancel();
    this.#tracking.clear();
  }
}
