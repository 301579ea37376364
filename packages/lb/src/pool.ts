// A backend pool of one configuration generation: its servers, balancer and persistence,
// and its backup pool. choose() is where persistence, server state and the balancer meet.
import type { Clock } from '@tandem/testkit';
import type { BackendServer } from './backend-server.js';
import type { Balancer, BalancerContext } from './balance/balancer.js';
import { createBalancer } from './balance/create-balancer.js';
import type { PersistenceKind, PoolConfig, ServerState } from './config.js';
import { PoolPersistence, type StickyTarget } from './persistence/pool-persistence.js';
import type { ServerTokenSigner } from './persistence/server-token.js';

export interface ChooseRequest {
  readonly clientAddress: string;
  /** Servers the request is bound to, in order (from PoolPersistence.lookup). */
  readonly sticky: readonly StickyTarget[];
  /** Servers this request already tried and failed on: never chosen again. */
  readonly tried: ReadonlySet<BackendServer>;
}

export interface Choice {
  readonly server: BackendServer;
  /** The pool the server belongs to: this one, or a backup pool. */
  readonly pool: Pool;
  /** The persistence kind that bound the request, or 'balanced'. */
  readonly via: PersistenceKind | 'balanced';
}

export class Pool {
  readonly name: string;
  readonly config: PoolConfig;
  readonly servers: readonly BackendServer[];
  readonly balancer: Balancer;
  readonly persistence: PoolPersistence;
  /** Linked after every pool of the generation exists. */
  backup: Pool | undefined;
  readonly #byId: ReadonlyMap<string, BackendServer>;

  constructor(
    name: string,
    config: PoolConfig,
    servers: readonly BackendServer[],
    context: BalancerContext & {
      readonly signer: ServerTokenSigner | undefined;
      readonly clock: Clock;
      /** Cluster mode: source-IP persistence by consistent hash (see PoolPersistence). */
      readonly sourceIpByHash?: boolean;
    },
  ) {
    this.name = name;
    this.config = config;
    this.servers = servers;
    this.balancer = createBalancer(config.algorithm, servers, context);
    this.persistence = new PoolPersistence(
      config.persistence,
      context.signer,
      context.clock,
      context.sourceIpByHash === true ? servers : undefined,
    );
    this.#byId = new Map(servers.map((server) => [server.id, server]));
  }

  has(server: BackendServer): boolean {
    return this.#byId.get(server.id) === server;
  }

  /**
   * The server for a request: the first sticky target of this pool that can take it, else
   * the balancer's pick among the servers that are up and not yet tried. When this pool has
   * no such server, the backup pool chooses (its own sticky targets count there). Undefined
   * when no server anywhere can take the request.
   */
  choose(request: ChooseRequest): Choice | undefined {
    // Bounded: backup pools form no cycle (validated), so the chain is at most the pool count long.
    return this.#chooseHere(request) ?? this.backup?.choose(request);
  }

  #chooseHere(request: ChooseRequest): Choice | undefined {
    for (const target of request.sticky) {
      const server = this.#byId.get(target.serverId);
      if (server !== undefined && server.acceptsSticky && !request.tried.has(server)) {
        return { server, pool: this, via: target.kind };
      }
    }
    const server = this.balancer.pick({
      clientAddress: request.clientAddress,
      isCandidate: (candidate) => candidate.acceptsNew && !request.tried.has(candidate),
    });
    return server === undefined ? undefined : { server, pool: this, via: 'balanced' };
  }

  /** `2 down, 1 maintenance` for the 503 body and the log. */
  describeStates(): string {
    const counts = new Map<ServerState, number>();
    for (const server of this.servers) counts.set(server.state, (counts.get(server.state) ?? 0) + 1);
    return [...counts].map(([state, count]) => `${count} ${state}`).join(', ');
  }
}
