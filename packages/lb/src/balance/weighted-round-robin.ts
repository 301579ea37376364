// Smooth weighted round robin, as nginx does it (ngx_http_upstream_get_peer): every pick
// adds each candidate's weight to its running score, takes the highest score, and takes
// the total back from the winner. Weights 5,1,1 give a a b a c a a: the heavy server's turns
// are spread out rather than bunched, and every run of sum(weights) picks over an unchanged
// candidate set holds each server exactly weight times.
import type { BackendServer } from '../backend-server.js';
import type { Balancer, PickRequest } from './balancer.js';

export class WeightedRoundRobin implements Balancer {
  readonly algorithm = 'round-robin' as const;
  readonly #servers: readonly BackendServer[];
  readonly #current: Float64Array;

  constructor(servers: readonly BackendServer[]) {
    this.#servers = servers;
    this.#current = new Float64Array(servers.length);
  }

  pick(request: PickRequest): BackendServer | undefined {
    return smoothPick(this.#servers, this.#current, request.isCandidate);
  }

  observeLatency(): void {}
}

/**
 * One step of smooth weighted round robin over the servers `accept` lets in, using and
 * updating `current` (one score per server). Shared by the algorithms that break ties
 * with it.
 */
export function smoothPick(
  servers: readonly BackendServer[],
  current: Float64Array,
  accept: (server: BackendServer, index: number) => boolean,
): BackendServer | undefined {
  let total = 0;
  let best = -1;
  for (let index = 0; index < servers.length; index++) {
    const server = servers[index];
    if (!accept(server, index)) continue;
    const weight = server.effectiveWeight;
    current[index] += weight;
    total += weight;
    if (best < 0 || current[index] > current[best]) best = index;
  }
  if (best < 0) return undefined;
  current[best] -= total;
  return servers[best];
}
