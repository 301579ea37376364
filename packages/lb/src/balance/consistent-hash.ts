// Source-IP hash with consistent hashing: each server owns weight × virtualNodes points on a
// 32-bit ring; a client's address hashes to a point and goes to the owner of the next point
// clockwise that can take it. Adding a server moves only the clients whose points it now
// owns (about 1/n of them); a server going down moves only its own clients, each to the
// next server on the ring, and they come back when it returns. The ring holds every server
// of the pool whatever its state, so state changes never reshuffle anyone else.
import type { BackendServer } from '../backend-server.js';
import type { Balancer, PickRequest } from './balancer.js';
import { hash32 } from './hash.js';

export const VIRTUAL_NODES_DEFAULT = 160;

export class ConsistentHashRing {
  /** Ring points, ascending. */
  readonly #points: Uint32Array;
  /** The server index owning each point. */
  readonly #owners: Uint32Array;
  readonly #servers: readonly BackendServer[];

  constructor(servers: readonly BackendServer[], virtualNodes = VIRTUAL_NODES_DEFAULT) {
    this.#servers = servers;
    const entries: Array<{ point: number; owner: number }> = [];
    servers.forEach((server, owner) => {
      // Points come from the id, not the address: a server keeps its share when it moves.
      const count = Math.max(1, server.weight) * virtualNodes;
      for (let replica = 0; replica < count; replica++)
        entries.push({ point: hash32(`${server.id}#${replica}`), owner });
    });
    // Equal points (rare) are ordered by owner so that the ring never depends on input order.
    entries.sort((x, y) => x.point - y.point || x.owner - y.owner);
    this.#points = Uint32Array.from(entries, (entry) => entry.point);
    this.#owners = Uint32Array.from(entries, (entry) => entry.owner);
  }

  /** The first server clockwise from the key's point that `accept` takes, or undefined. */
  lookup(key: string, accept: (server: BackendServer) => boolean): BackendServer | undefined {
    const points = this.#points;
    if (points.length === 0) return undefined;
    const target = hash32(key);
    // Lowest index whose point >= target (wrapping to 0).
    let low = 0;
    let high = points.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (points[middle] < target) low = middle + 1;
      else high = middle;
    }
    const start = low === points.length ? 0 : low;
    const owner = this.#servers[this.#owners[start]];
    if (accept(owner)) return owner;
    // The owner cannot take it: walk clockwise; each server is tested once, and the walk stops after a full turn.
    const tested = new Uint8Array(this.#servers.length);
    let untested = this.#servers.length;
    for (let step = 0; step < points.length && untested > 0; step++) {
      const owner = this.#owners[(start + step) % points.length];
      if (tested[owner] === 1) continue;
      tested[owner] = 1;
      untested--;
      const server = this.#servers[owner];
      if (step > 0 && accept(server)) return server;
    }
    return undefined;
  }
}

export class SourceHash implements Balancer {
  readonly algorithm = 'source-hash' as const;
  readonly #ring: ConsistentHashRing;

  constructor(servers: readonly BackendServer[], virtualNodes = VIRTUAL_NODES_DEFAULT) {
    this.#ring = new ConsistentHashRing(servers, virtualNodes);
  }

  pick(request: PickRequest): BackendServer | undefined {
    return this.#ring.lookup(request.clientAddress, request.isCandidate);
  }

  observeLatency(): void {}
}
