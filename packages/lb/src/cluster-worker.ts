// The entry module of a cluster worker (see cluster.ts). It waits for the primary's
// configuration, runs a LoadBalancer in worker mode (listeners only: no health checks, no
// admin listener; passive failures go to the primary; server states come from it), and
// handles the primary's messages one at a time, in order, so an answer to a question implies
// every earlier message was applied. The event log goes to standard error and the access log
// to standard output, which the worker shares with the primary.
import cluster from 'node:cluster';
import type { BackendServer } from './backend-server.js';
import type { FromWorker, ToWorker } from './cluster.js';
import type { ServerState } from './config.js';
import { LoadBalancer } from './load-balancer.js';
import type { FailureKind, PassiveObserver } from './passive-detector.js';

/** Passive observations, sent to the primary, which counts and decides. */
class RemotePassiveReporter implements PassiveObserver {
  /** Servers whose last report was a failure: only then is a success worth a message. */
  readonly #failing = new Set<string>();

  reportFailure(server: BackendServer, kind: FailureKind, detail: string): void {
    if (server.retired) return;
    this.#failing.add(server.id);
    send({ t: 'passive', id: server.id, kind, detail });
  }

  reportSuccess(server: BackendServer): void {
    if (!this.#failing.delete(server.id)) return;
    send({ t: 'passive-ok', id: server.id });
  }
}

function send(message: FromWorker): void {
  if (process.connected && process.send !== undefined) process.send(message);
}

export function runWorker(): void {
  if (!cluster.isWorker) throw new Error('cluster-worker runs only as a node:cluster worker');
  let balancer: LoadBalancer | undefined;
  let stopping: Promise<void> | undefined;
  const passive = new RemotePassiveReporter();

  const stop = (): Promise<void> => {
    stopping ??= (balancer?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
    return stopping;
  };

  const handle = async (message: ToWorker): Promise<void> => {
    switch (message.t) {
      case 'config': {
        try {
          if (balancer === undefined) {
            balancer = await LoadBalancer.start(message.config, {
              graceMs: message.graceMs,
              worker: { passive, pidHeader: message.pidHeader },
            });
          } else {
            await balancer.reload(message.config);
          }
          send({
            t: 'applied',
            seq: message.seq,
            listeners: balancer.listeners.map((info) => ({ ...info, address: { ...info.address } })),
          });
        } catch (error) {
          send({ t: 'failed', seq: message.seq, message: error instanceof Error ? error.message : String(error) });
        }
        break;
      }
      case 'state': {
        const server = balancer?.backendServer(message.id);
        balancer?.mirrorState(message.id, message.state, message.reason);
        if (server !== undefined && message.slowStartMs > 0 && message.state === 'up')
          balancer?.beginSlowStart(server, message.slowStartMs);
        break;
      }
      case 'weight': {
        const server = balancer?.backendServer(message.id);
        if (server !== undefined) server.weight = message.weight;
        break;
      }
      case 'ask': {
        let value: unknown = true;
        if (message.what === 'metrics') value = (await balancer?.metrics.workerJson()) ?? [];
        if (message.what === 'states') {
          const states: Record<string, ServerState> = {};
          for (const view of balancer?.servers.list() ?? []) states[view.id] = view.state;
          value = states;
        }
        send({ t: 'answer', seq: message.seq, value });
        break;
      }
      case 'stop':
        await stop();
        break;
    }
  };

  let chain = Promise.resolve();
  process.on('message', (message: ToWorker) => {
    chain = chain
      .then(() => handle(message))
      .catch((error: unknown) => {
        process.stderr.write(
          `[error] worker ${process.pid}: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      });
  });
  // The primary reloads (SIGHUP) and passes the configuration on; a hangup reaching the whole
  // process group must not kill the workers; nor must Ctrl-C's SIGINT, which the primary
  // turns into an orderly stop of every worker. SIGTERM sent to a worker drains it.
  process.on('SIGHUP', () => undefined);
  process.on('SIGINT', () => undefined);
  process.once('SIGTERM', () => void stop());
  // The primary gone (crashed): nothing would restart or stop this worker, so it drains and exits.
  process.once('disconnect', () => void stop());
  // Only now can messages be received: the primary holds them until this.
  send({ t: 'ready' });
}

runWorker();
