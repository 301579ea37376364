// A TCP (L4) listener: the seed's 'IP:포트' rule. Each client connection is paused on
// accept, a server is chosen (source-IP persistence or the pool's algorithm), and only once
// the backend accepts are the two sockets piped both ways, with backpressure. A connect
// failure or timeout sent nothing, so it is retried on another server, at most `retries`
// times. Either side closing or failing closes the other; half-closes pass through (a FIN
// from one side ends the other side's writing, and the other direction goes on).
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { BackendServer } from './backend-server.js';
import type { TcpListenerConfig } from './config.js';
import { LbError, TlbCode } from './errors.js';
import { describeError } from './http/http-exchange.js';
import type { ProxyServices } from './http-proxy.js';
import { boundAddress, connectionCount, listenOn, waitWhileBusy } from './listener-socket.js';
import type { AccessRecord } from './log.js';
import type { Pool } from './pool.js';
import type { Topology } from './topology.js';
import { normalizeAddress } from './trusted-proxies.js';

interface Connection {
  readonly client: Socket;
  upstream: Socket | undefined;
  server: BackendServer | undefined;
  attempts: number;
  readonly tried: Set<BackendServer>;
  readonly startedMs: number;
  connectMs: number;
  outcome: string;
  finished: boolean;
}

export class TcpProxy {
  readonly #services: ProxyServices;
  readonly #server: Server;
  readonly #connections = new Set<Connection>();
  #listener: TcpListenerConfig;
  #topology: Topology;

  constructor(listener: TcpListenerConfig, topology: Topology, services: ProxyServices) {
    this.#services = services;
    this.#listener = listener;
    this.#topology = topology;
    this.#server = createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true }, (client) =>
      this.#onConnection(client),
    );
  }

  get name(): string {
    return this.#listener.name;
  }

  get config(): TcpListenerConfig {
    return this.#listener;
  }

  get address(): AddressInfo {
    return boundAddress(this.#server, `listener ${this.name}`);
  }

  get inFlight(): number {
    return this.#connections.size;
  }

  /** Client connections open now (for tests and metrics). */
  connectionCount(): Promise<number> {
    return connectionCount(this.#server);
  }

  listen(): Promise<AddressInfo> {
    const name = `listener ${this.name}`;
    return listenOn(this.#server, this.#listener, { subject: name, logPrefix: name }, this.#services.log);
  }

  /** A reload: new connections use the new pool; connections in flight keep their backend. */
  update(listener: TcpListenerConfig, topology: Topology): void {
    this.#listener = listener;
    this.#topology = topology;
  }

  /** Stops accepting; open connections get graceMs to end by themselves, then are cut. */
  async close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await waitWhileBusy(this.#services.clock, graceMs, () => this.#connections.size > 0);
    for (const connection of this.#connections) {
      connection.client.destroy();
      connection.upstream?.destroy();
    }
    await closed;
  }

  #onConnection(client: Socket): void {
    const topology = this.#topology;
    const pool = topology.pools.get(this.#listener.pool);
    const connection: Connection = {
      client,
      upstream: undefined,
      server: undefined,
      attempts: 0,
      tried: new Set(),
      startedMs: this.#services.clock.monotonicMs(),
      connectMs: -1,
      outcome: '-',
      finished: false,
    };
    this.#connections.add(connection);
    client.on('error', () => client.destroy());
    client.once('close', () => this.#finish(connection, pool));
    if (pool === undefined) {
      client.destroy();
      return;
    }
    const clientAddress = normalizeAddress(client.remoteAddress);
    const sticky = pool.persistence.kinds.includes('source-ip')
      ? pool.persistence.lookup({ clientAddress, cookieHeaders: [], urlToken: undefined })
      : [];
    this.#tryNext(connection, pool, clientAddress, sticky);
  }

  #tryNext(
    connection: Connection,
    pool: Pool,
    clientAddress: string,
    sticky: ReturnType<Pool['persistence']['lookup']>,
  ): void {
    if (connection.finished) return;
    const choice =
      connection.attempts <= pool.config.retries
        ? pool.choose({ clientAddress, sticky, tried: connection.tried })
        : undefined;
    if (choice === undefined) {
      connection.outcome = TlbCode.NO_SERVER_AVAILABLE;
      this.#services.log.warning(
        `${TlbCode.NO_SERVER_AVAILABLE} ${this.name}: no server of pool ${pool.name} can take a connection from ${clientAddress} (${pool.describeStates()}${connection.tried.size > 0 ? `; tried ${[...connection.tried].map((server) => server.id).join(', ')}` : ''})`,
      );
      connection.client.destroy();
      return;
    }
    const { server } = choice;
    const timeouts = choice.pool.config.timeouts;
    connection.attempts++;
    connection.server = server;
    server.begin();
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      server.end();
    };
    const attemptStartedMs = this.#services.clock.monotonicMs();
    const upstream = connect({ host: server.host, port: server.port, allowHalfOpen: true, noDelay: true });
    connection.upstream = upstream;
    let connected = false;
    const connectTimer = setTimeout(() => {
      upstream.destroy(
        new LbError(
          'UPSTREAM_TIMEOUT',
          `connect to server ${server.id} (${server.address}) took over ${timeouts.connectMs} ms`,
        ),
      );
    }, timeouts.connectMs);
    upstream.once('connect', () => {
      clearTimeout(connectTimer);
      connected = true;
      if (connection.finished) {
        upstream.destroy();
        return;
      }
      connection.connectMs = this.#services.clock.monotonicMs() - attemptStartedMs;
      choice.pool.balancer.observeLatency(server, connection.connectMs);
      this.#services.passive.reportSuccess(server);
      pool.persistence.remember(clientAddress, server);
      const client = connection.client;
      client.setTimeout(timeouts.tunnelIdleMs, () => client.destroy());
      upstream.setTimeout(timeouts.tunnelIdleMs, () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', (error) => {
      clearTimeout(connectTimer);
      if (connected || connection.finished) {
        connection.client.destroy();
        return;
      }
      release();
      const reason = describeError(error);
      const timedOut = error instanceof LbError && error.codeName === 'UPSTREAM_TIMEOUT';
      this.#services.passive.reportFailure(server, timedOut ? 'timeout' : 'connect', reason);
      connection.tried.add(server);
      const willRetry = connection.attempts <= pool.config.retries;
      this.#services.log.warning(
        `${timedOut ? TlbCode.UPSTREAM_TIMEOUT : TlbCode.UPSTREAM_CONNECT_FAILED} ${this.name}: server ${server.id} (${server.address}): ${reason}${willRetry ? '; retrying on another server' : ''}`,
      );
      this.#tryNext(connection, pool, clientAddress, sticky);
    });
    upstream.once('close', (hadError) => {
      clearTimeout(connectTimer);
      release();
      // A backend that failed takes the client with it; one that closed cleanly has already
      // ended the client's side through the pipe, and what it sent last is still delivered.
      if (connected && hadError) connection.client.destroy();
    });
  }

  #finish(connection: Connection, pool: Pool | undefined): void {
    if (connection.finished) return;
    connection.finished = true;
    connection.upstream?.destroy();
    this.#connections.delete(connection);
    if (connection.outcome === '-' && connection.connectMs < 0) connection.outcome = 'client-aborted';
    const record: AccessRecord = {
      listener: this.name,
      client: normalizeAddress(connection.client.remoteAddress),
      request: 'TCP',
      status: 0,
      bytesSent: connection.client.bytesWritten,
      pool: pool?.name ?? '-',
      server: connection.server?.id ?? '-',
      attempts: connection.attempts,
      upstreamMs: connection.connectMs,
      totalMs: this.#services.clock.monotonicMs() - connection.startedMs,
      outcome: connection.outcome,
    };
    this.#services.metrics.record(record);
    this.#services.accessLog.record(record);
  }
}
