// A backend server as the load balancer sees it: its address, weight and state, and the
// live load the balancers read (requests or connections in flight). One object per server
// id lives across reloads while the id keeps its address, so that state set by an operator
// or by health checks and the in-flight count survive a reload.
import { Agent } from 'node:http';
import type { Clock } from '@tandem/testkit';
import type { ServerState } from './config.js';
import { assert } from './assert.js';
import { UpstreamPool } from './http1/upstream-connection.js';

/** The largest response head a backend may send (node's client allowed 16 KiB; HAProxy's buffer is 16 KiB). */
export const UPSTREAM_MAX_HEAD_BYTES = 64 * 1024;

export interface BackendServerOptions {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly state: ServerState;
}

/** Slow start begins at this share of the weight, so the server takes some traffic at once. */
export const SLOW_START_FLOOR = 0.05;

export class BackendServer {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** `host:port` for log lines. */
  readonly address: string;
  /** Configured share of new requests (1..1000). */
  weight: number;
  #state: ServerState;
  /** Requests (HTTP) or connections (TCP, upgraded HTTP) in flight. Balancers read it; the proxies keep it. */
  #active = 0;
  /** The pool this server belongs to in the current configuration. */
  poolName: string;
  /** Set when a reload removed the server; its connections close as their requests end. */
  retired = false;
  #agent: Agent | undefined;
  #connections: UpstreamPool | undefined;
  /** Set while the weight ramps up after a recovery. */
  #slowStart: { readonly clock: Clock; readonly startedMs: number; readonly durationMs: number } | undefined;

  constructor(options: BackendServerOptions, poolName: string) {
    this.id = options.id;
    this.host = options.host;
    this.port = options.port;
    this.address = `${options.host}:${options.port}`;
    this.weight = options.weight;
    this.#state = options.state;
    this.poolName = poolName;
  }

  get state(): ServerState {
    return this.#state;
  }

  /** Only ServerDirectory changes state, so every change is logged and observed. */
  setStateInternal(state: ServerState): void {
    this.#state = state;
    if (state === 'down' || state === 'maintenance') this.#slowStart = undefined;
  }

  /**
   * Ramps effectiveWeight from SLOW_START_FLOOR × weight to weight over durationMs (nginx's
   * slow_start), so a server that just recovered, with cold caches and no warm connections,
   * is not handed its whole share at once. The health checker calls it on recovery.
   */
  beginSlowStart(clock: Clock, durationMs: number): void {
    this.#slowStart = durationMs > 0 ? { clock, startedMs: clock.monotonicMs(), durationMs } : undefined;
  }

  /** The share of the weight in effect now: 1 outside slow start. */
  get slowStartFraction(): number {
    const ramp = this.#slowStart;
    if (ramp === undefined) return 1;
    const fraction = (ramp.clock.monotonicMs() - ramp.startedMs) / ramp.durationMs;
    if (fraction >= 1) {
      this.#slowStart = undefined;
      return 1;
    }
    return Math.max(SLOW_START_FLOOR, fraction);
  }

  /** New requests may be balanced to it. */
  get acceptsNew(): boolean {
    return this.#state === 'up';
  }

  /** Clients already bound to it by persistence may still reach it (drain lets sessions finish). */
  get acceptsSticky(): boolean {
    return this.#state === 'up' || this.#state === 'drain';
  }

  /**
   * The weight balancers use now: the configured or admin-set weight, scaled down while slow
   * start ramps it up after a recovery. Fractional; the balancers take any positive weight.
   */
  get effectiveWeight(): number {
    return this.#slowStart === undefined ? this.weight : this.weight * this.slowStartFraction;
  }

  get active(): number {
    return this.#active;
  }

  begin(): void {
    this.#active++;
  }

  end(): void {
    assert(this.#active > 0, () => `server ${this.id}: end() without begin() (active ${this.#active})`);
    this.#active--;
    if (this.retired && this.#active === 0) this.closeConnections({ inFlightToo: true });
  }

  /**
   * The keep-alive connections that carry proxied HTTP requests to this server (see
   * http1/upstream-connection.ts), made at first use.
   */
  connections(options: { readonly keepAliveMs: number; readonly connectionsMax: number | undefined }): UpstreamPool {
    this.#connections ??= new UpstreamPool({
      host: this.host,
      port: this.port,
      keepAliveMs: options.keepAliveMs,
      connectionsMax: options.connectionsMax,
      maxHeadBytes: UPSTREAM_MAX_HEAD_BYTES,
    });
    return this.#connections;
  }

  /**
   * The connections that carry Upgrade requests (WebSocket): node:http's Agent, whose
   * 'upgrade' event hands over the socket once the backend switched protocols. Upgrades are
   * few and long-lived, so the client machinery's per-request cost does not matter there.
   */
  agent(options: { readonly keepAliveMs: number; readonly connectionsMax: number | undefined }): Agent {
    if (this.#agent === undefined) {
      this.#agent = new Agent({
        keepAlive: true,
        // Idle pooled sockets close after keepAliveMs (the socket timeout applies to free sockets).
        timeout: options.keepAliveMs,
        scheduling: 'lifo',
        maxSockets: options.connectionsMax ?? Infinity,
        maxFreeSockets: 256,
        // Requests go out at once: net's default keeps Nagle on.
        noDelay: true,
      });
    }
    return this.#agent;
  }

  /** The agent if one was made: for tests (socket counts). */
  get agentIfCreated(): Agent | undefined {
    return this.#agent;
  }

  /** The HTTP connection pool if one was made: for tests and metrics (connection counts). */
  get connectionsIfCreated(): UpstreamPool | undefined {
    return this.#connections;
  }

  /** Closes pooled connections; in-flight ones end with their requests (retired servers) or at stop. */
  closeConnections(options: { readonly inFlightToo: boolean }): void {
    const all = options.inFlightToo || this.#active === 0;
    this.#connections?.close({ busyToo: all, forever: all });
    if (all) this.#connections = undefined;
    if (this.#agent === undefined) return;
    if (all) {
      this.#agent.destroy();
      this.#agent = undefined;
      return;
    }
    for (const sockets of Object.values(this.#agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
  }
}
