// Every backend server by id, and the one place their state and weight change. The health
// checker, the admin API (next step) and passive failure detection all go through the
// ServerControl interface, so each change is logged once and observers (metrics, the
// cluster's shared state) see it.
import type { LbConfig, ServerState } from './config.js';
import { SERVER_STATES } from './config.js';
import { BackendServer } from './backend-server.js';
import { TlbCode } from './errors.js';
import type { EventLog } from './log.js';

/** A read-only view of a server, for the admin API, health checks and tests. */
export interface ServerView {
  readonly id: string;
  readonly pool: string;
  readonly address: string;
  readonly state: ServerState;
  readonly weight: number;
  readonly active: number;
}

export interface ServerStateChange {
  readonly id: string;
  readonly from: ServerState;
  readonly to: ServerState;
  readonly reason: string;
}

/**
 * How other parts change servers. setState returns false (and changes nothing) for an
 * unknown id; a change to the current state is a no-op that returns true.
 */
export interface ServerControl {
  get(id: string): ServerView | undefined;
  list(): ServerView[];
  setState(id: string, state: ServerState, reason: string): boolean;
  setWeight(id: string, weight: number, reason: string): boolean;
  onStateChange(listener: (change: ServerStateChange) => void): () => void;
}

export class ServerDirectory implements ServerControl {
  readonly #servers = new Map<string, BackendServer>();
  readonly #listeners = new Set<(change: ServerStateChange) => void>();
  readonly #weightListeners = new Set<(id: string, weight: number) => void>();
  readonly #log: EventLog;

  constructor(log: EventLog) {
    this.#log = log;
  }

  /**
   * Brings the directory in line with a configuration. A server whose id and address stay
   * keeps its object (state, in-flight count, pooled connections); its weight follows the
   * file. A server that is gone or moved is retired: its pooled connections close, and its
   * in-flight requests finish on the old object. Returns the servers by id.
   */
  sync(config: LbConfig): ReadonlyMap<string, BackendServer> {
    const wanted = new Map<string, { pool: string; server: LbConfig['pools'][string]['servers'][number] }>();
    for (const [pool, poolConfig] of Object.entries(config.pools)) {
      for (const server of poolConfig.servers) wanted.set(server.id, { pool, server });
    }
    for (const [id, existing] of this.#servers) {
      const next = wanted.get(id);
      if (next === undefined || next.server.host !== existing.host || next.server.port !== existing.port) {
        existing.retired = true;
        existing.closeConnections({ inFlightToo: false });
        this.#servers.delete(id);
      }
    }
    for (const [id, { pool, server }] of wanted) {
      const existing = this.#servers.get(id);
      if (existing === undefined) {
        this.#servers.set(id, new BackendServer(server, pool));
      } else {
        existing.weight = server.weight;
        existing.poolName = pool;
      }
    }
    return this.#servers;
  }

  server(id: string): BackendServer | undefined {
    return this.#servers.get(id);
  }

  get(id: string): ServerView | undefined {
    const server = this.#servers.get(id);
    return server === undefined ? undefined : view(server);
  }

  list(): ServerView[] {
    return [...this.#servers.values()].map(view);
  }

  setState(id: string, state: ServerState, reason: string): boolean {
    if (!SERVER_STATES.includes(state)) throw new RangeError(`unknown server state '${String(state)}'`);
    const server = this.#servers.get(id);
    if (server === undefined) return false;
    const from = server.state;
    if (from === state) return true;
    server.setStateInternal(state);
    const line = `${TlbCode.SERVER_STATE_CHANGED} server ${id} (${server.address}) of pool ${server.poolName}: ${from} -> ${state}: ${reason}`;
    if (state === 'down') this.#log.warning(line);
    else this.#log.notice(line);
    for (const listener of this.#listeners) listener({ id, from, to: state, reason });
    return true;
  }

  /**
   * Cluster workers: applies a change the primary decided (and logged), telling observers
   * but not logging it again in every worker. Unknown ids are ignored.
   */
  mirrorState(id: string, state: ServerState, reason: string): void {
    const server = this.#servers.get(id);
    if (server === undefined || server.state === state) return;
    const from = server.state;
    server.setStateInternal(state);
    for (const listener of this.#listeners) listener({ id, from, to: state, reason });
  }

  setWeight(id: string, weight: number, reason: string): boolean {
    if (!Number.isInteger(weight) || weight < 1 || weight > 1000) {
      throw new RangeError(`weight must be an integer 1..1000, got ${weight}`);
    }
    const server = this.#servers.get(id);
    if (server === undefined) return false;
    if (server.weight !== weight) {
      this.#log.notice(`server ${id} of pool ${server.poolName}: weight ${server.weight} -> ${weight}: ${reason}`);
      server.weight = weight;
      for (const listener of this.#weightListeners) listener(id, weight);
    }
    return true;
  }

  /** Weight changes made through setWeight (the admin API), for the cluster primary to broadcast. */
  onWeightChange(listener: (id: string, weight: number) => void): () => void {
    this.#weightListeners.add(listener);
    return () => this.#weightListeners.delete(listener);
  }

  onStateChange(listener: (change: ServerStateChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Closes every pooled and in-flight backend connection (at stop). */
  closeAll(): void {
    for (const server of this.#servers.values()) server.closeConnections({ inFlightToo: true });
  }
}

function view(server: BackendServer): ServerView {
  return {
    id: server.id,
    pool: server.poolName,
    address: server.address,
    state: server.state,
    weight: server.weight,
    active: server.active,
  };
}
