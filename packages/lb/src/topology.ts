// One configuration generation, ready to serve: the pools (with their balancers and
// persistence) over the directory's long-lived server objects, and the trusted proxies. A
// reload builds a new Topology and the listeners switch to it for their next request or
// connection; requests in flight finish on the one they started with.
import type { Clock, Random } from '@tandem/testkit';
import type { BackendServer } from './backend-server.js';
import type { LbConfig } from './config.js';
import { assert } from './assert.js';
import { ServerTokenSigner } from './persistence/server-token.js';
import { Pool } from './pool.js';
import type { ServerDirectory } from './server-directory.js';
import { TrustedProxies } from './trusted-proxies.js';

export class Topology {
  readonly config: LbConfig;
  readonly pools: ReadonlyMap<string, Pool>;
  readonly trusted: TrustedProxies;

  constructor(
    config: LbConfig,
    directory: ServerDirectory,
    context: { readonly clock: Clock; readonly random: Random; readonly sourceIpByHash?: boolean },
  ) {
    this.config = config;
    const servers = directory.sync(config);
    const signer = config.secret === undefined ? undefined : new ServerTokenSigner(config.secret);
    const pools = new Map<string, Pool>();
    for (const [name, poolConfig] of Object.entries(config.pools)) {
      const members = poolConfig.servers.map((server): BackendServer => {
        const member = servers.get(server.id);
        assert(member !== undefined, () => `server ${server.id} missing from the directory after sync`);
        return member;
      });
      pools.set(
        name,
        new Pool(name, poolConfig, members, {
          clock: context.clock,
          random: context.random.fork(),
          signer,
          sourceIpByHash: context.sourceIpByHash === true,
        }),
      );
    }
    for (const [name, poolConfig] of Object.entries(config.pools)) {
      const pool = pools.get(name);
      if (pool !== undefined && poolConfig.backup !== undefined) pool.backup = pools.get(poolConfig.backup);
    }
    this.pools = pools;
    this.trusted = new TrustedProxies(config.trustedProxies);
  }

  /** The pool that owns a server in this generation (for its timeouts and passive settings). */
  poolOf(server: BackendServer): Pool | undefined {
    return this.pools.get(server.poolName);
  }
}
