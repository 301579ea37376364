// Makes the balancer a pool's configuration names.
import type { BackendServer } from '../backend-server.js';
import type { Algorithm } from '../config.js';
import { unreachable } from '../assert.js';
import type { Balancer, BalancerContext } from './balancer.js';
import { SourceHash } from './consistent-hash.js';
import { LeastConnections } from './least-connections.js';
import { ResponseTime } from './response-time.js';
import { WeightedRoundRobin } from './weighted-round-robin.js';

export function createBalancer(
  algorithm: Algorithm,
  servers: readonly BackendServer[],
  context: BalancerContext,
): Balancer {
  switch (algorithm) {
    case 'round-robin':
      return new WeightedRoundRobin(servers);
    case 'least-connections':
      return new LeastConnections(servers);
    case 'response-time':
      return new ResponseTime(servers, context);
    case 'source-hash':
      return new SourceHash(servers);
    default:
      return unreachable(algorithm, 'algorithm');
  }
}
