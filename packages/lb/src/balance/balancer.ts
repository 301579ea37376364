// The contract every balancing algorithm keeps. A balancer is made for one pool's server
// list in one configuration generation, and keeps whatever it learns per server by index.
// It is a deterministic core: time and randomness come from the injected Clock and Random.
import type { Clock, Random } from '@tandem/testkit';
import type { BackendServer } from '../backend-server.js';
import type { Algorithm } from '../config.js';

export interface PickRequest {
  /** The client's address (after trusted proxies): the key source-hash balances on. */
  readonly clientAddress: string;
  /** Whether a server may take this request (up, and not already tried by this request). */
  readonly isCandidate: (server: BackendServer) => boolean;
}

export interface Balancer {
  readonly algorithm: Algorithm;
  /** A server among the candidates, or undefined when there is none. Never returns a non-candidate. */
  pick(request: PickRequest): BackendServer | undefined;
  /**
   * Feedback: the time from sending a request to the server's first response byte (HTTP),
   * or to its accepting the connection (TCP). Algorithms that learn use it.
   */
  observeLatency(server: BackendServer, latencyMs: number): void;
}

export interface BalancerContext {
  readonly clock: Clock;
  readonly random: Random;
}
