// Least connections, weighted: the candidate with the fewest requests in flight per unit of
// weight (compared by cross-multiplying, so no rounding). Ties, common when the pool is
// idle, are broken by smooth weighted round robin among the tied servers, as nginx's
// least_conn does: sequential requests still spread in proportion to weight instead of all
// landing on the first server.
import type { BackendServer } from '../backend-server.js';
import type { Balancer, PickRequest } from './balancer.js';
import { smoothPick } from './weighted-round-robin.js';

export class LeastConnections implements Balancer {
  readonly algorithm = 'least-connections' as const;
  readonly #servers: readonly BackendServer[];
  readonly #current: Float64Array;
  readonly #tied: Uint8Array;

  constructor(servers: readonly BackendServer[]) {
    this.#servers = servers;
    this.#current = new Float64Array(servers.length);
    this.#tied = new Uint8Array(servers.length);
  }

  pick(request: PickRequest): BackendServer | undefined {
    const servers = this.#servers;
    let best: BackendServer | undefined;
    for (let index = 0; index < servers.length; index++) {
      const server = servers[index];
      this.#tied[index] = 0;
      if (!request.isCandidate(server)) continue;
      // server.active / server.weight < best.active / best.weight
      if (best === undefined || server.active * best.effectiveWeight < best.active * server.effectiveWeight)
        best = server;
    }
    if (best === undefined) return undefined;
    let tiedCount = 0;
    for (let index = 0; index < servers.length; index++) {
      const server = servers[index];
      if (!request.isCandidate(server)) continue;
      if (server.active * best.effectiveWeight === best.active * server.effectiveWeight) {
        this.#tied[index] = 1;
        tiedCount++;
      }
    }
    if (tiedCount === 1) return best;
    return smoothPick(servers, this.#current, (_server, index) => this.#tied[index] === 1);
  }

  observeLatency(): void {}
}
