// The server's health and Prometheus metrics, on their own HTTP port: GET /metrics in
// Prometheus's text format, GET /health as JSON (200 while the database is OPEN, 503
// otherwise, so a load balancer or the cluster manager can act on it). Values are read
// from the live instance when scraped; nothing is sampled in between.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Instance } from '../instance/instance.js';
import type { SqlEngine } from '../sql/engine.js';
import type { WireServer } from '../wire/server.js';

export interface MetricsSources {
  readonly instance: Instance;
  readonly engine: SqlEngine;
  readonly wire: WireServer;
  readonly databaseName: string;
}

const STAGES = ['SHUTDOWN', 'NOMOUNT', 'MOUNT', 'OPEN'] as const;

/** Builds the registry: every metric reads its value from `sources` when scraped. */
export function databaseMetrics(sources: MetricsSources): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ database: sources.databaseName });
  const { instance, wire, engine } = sources;
  const open = (): boolean => instance.stage === 'OPEN';
  const gauge = (name: string, help: string, read: () => number | undefined): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const value = read();
        if (value !== undefined) this.set(value);
      },
    });
  };
  /** A counter whose total lives elsewhere: set to it at each scrape. */
  const total = (name: string, help: string, read: () => number | undefined): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const value = read();
        if (value === undefined) return;
        this.reset();
        this.inc(value);
      },
    });
  };
  new Gauge({
    name: 'tandem_db_instance_stage',
    help: 'The instance stage: 1 for the current one of SHUTDOWN, NOMOUNT, MOUNT, OPEN.',
    labelNames: ['stage'],
    registers: [registry],
    collect() {
      for (const stage of STAGES) this.set({ stage }, instance.stage === stage ? 1 : 0);
    },
  });
  gauge('tandem_db_sessions', 'SQL sessions connected.', () => engine.sessions().length);
  gauge('tandem_db_connections_active', 'Open client connections.', () => wire.connectionsActive);
  total('tandem_db_connections_accepted_total', 'Client connections accepted.', () => wire.connectionsAccepted);
  total(
    'tandem_db_connections_refused_total',
    'Connections refused (too many clients, shutdown).',
    () => wire.connectionsRefused,
  );
  total('tandem_db_protocol_messages_total', 'Protocol messages received.', () => wire.messagesIn);
  total('tandem_db_protocol_bytes_received_total', 'Protocol bytes received.', () => wire.bytesIn);
  total('tandem_db_protocol_bytes_sent_total', 'Protocol bytes sent.', () => wire.bytesOut);
  new Counter({
    name: 'tandem_db_errors_total',
    help: 'Errors sent to clients, by SQLSTATE class (the first two characters).',
    labelNames: ['sqlstate_class'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [sqlStateClass, count] of wire.errorsBySqlStateClass)
        this.inc({ sqlstate_class: sqlStateClass }, count);
    },
  });
  gauge('tandem_db_transactions_active', 'Transactions that have written and not ended.', () =>
    open() ? instance.database.transactions.activeCount : undefined,
  );
  gauge('tandem_db_snapshots_open', 'Statement snapshots open (they hold back undo cleanup).', () =>
    open() ? instance.database.transactions.openSnapshotCount : undefined,
  );
  gauge('tandem_db_current_tsn', 'The last TSN assigned.', () =>
    open() ? instance.database.storage.redo.lastTsn : undefined,
  );
  gauge('tandem_db_flushed_tsn', 'The last TSN durable in the online redo log.', () =>
    open() ? instance.database.storage.redo.flushedTsn : undefined,
  );
  gauge('tandem_db_checkpoint_tsn', 'The TSN of the last checkpoint (crash recovery starts there).', () =>
    open() ? instance.database.storage.control.state.checkpoint.tsn : undefined,
  );
  gauge('tandem_db_log_sequence', 'The sequence number of the CURRENT log group.', () =>
    open() ? instance.database.storage.redo.sequence : undefined,
  );
  total('tandem_db_redo_bytes_total', 'Redo bytes written.', () =>
    open() ? instance.database.storage.redo.statistics.bytesWritten : undefined,
  );
  total('tandem_db_redo_write_rounds_total', 'LGWR write rounds (one write and one sync per member each).', () =>
    open() ? instance.database.storage.redo.statistics.writeRounds : undefined,
  );
  total('tandem_db_redo_records_total', 'Redo records written.', () =>
    open() ? instance.database.storage.redo.statistics.recordsWritten : undefined,
  );
  total('tandem_db_log_switches_total', 'Log switches.', () =>
    open() ? instance.database.storage.redo.statistics.switches : undefined,
  );
  gauge('tandem_db_buffer_cache_blocks', 'Blocks held in the buffer cache.', () =>
    open() ? instance.database.storage.cache.size : undefined,
  );
  gauge('tandem_db_buffer_cache_dirty_blocks', 'Dirty blocks in the buffer cache (not yet written by DBWR).', () =>
    open() ? instance.database.storage.cache.dirtyCount : undefined,
  );
  gauge('tandem_db_datafile_bytes', 'The size of all datafiles.', () => {
    if (!open()) return undefined;
    const state = instance.database.storage.control.state;
    return state.datafiles.reduce((sum, file) => sum + file.sizeBlocks * state.blockBytes, 0);
  });
  return registry;
}

/** The health and metrics HTTP listener. */
export class MetricsServer {
  readonly #server: Server;
  readonly #registry: Registry;
  readonly #sources: MetricsSources;

  constructor(sources: MetricsSources) {
    this.#sources = sources;
    this.#registry = databaseMetrics(sources);
    this.#server = createServer((request, response) => {
      void this.#answer(request.url ?? '/', request.method ?? 'GET').then(({ status, type, body }) => {
        response.writeHead(status, { 'content-type': type });
        response.end(body);
      });
    });
  }

  async #answer(url: string, method: string): Promise<{ status: number; type: string; body: string }> {
    if (method !== 'GET') return { status: 405, type: 'text/plain', body: 'only GET\n' };
    const path = url.split('?')[0];
    if (path === '/metrics') {
      try {
        return { status: 200, type: this.#registry.contentType, body: await this.#registry.metrics() };
      } catch (error) {
        return { status: 500, type: 'text/plain', body: `metrics failed: ${String(error)}\n` };
      }
    }
    if (path === '/health') {
      const stage = this.#sources.instance.stage;
      const body = JSON.stringify({
        status: stage === 'OPEN' ? 'ok' : 'unavailable',
        stage,
        database: this.#sources.databaseName,
        sessions: this.#sources.engine.sessions().length,
      });
      return { status: stage === 'OPEN' ? 200 : 503, type: 'application/json', body: `${body}\n` };
    }
    return { status: 404, type: 'text/plain', body: 'not found: try /metrics or /health\n' };
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        const address = this.#server.address();
        resolve({ host, port: typeof address === 'object' && address !== null ? address.port : port });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
  }
}
