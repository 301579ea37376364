// What the HTTP, TCP and admin listeners do alike with their node server: bind the address
// (a failure is LISTEN_FAILED; errors after that are logged), report it, count the client
// connections, and give the work in flight a grace period when closing.
import type { AddressInfo, Server } from 'node:net';
import type { Clock } from '@tandem/testkit';
import { LbError } from './errors.js';
import type { EventLog } from './log.js';

export interface ListenerNames {
  /** `listener web`, `the admin listener`: in LISTEN_FAILED and "not listening" errors. */
  readonly subject: string;
  /** `listener web`, `admin listener`: before the server's later errors in the log. */
  readonly logPrefix: string;
}

/** Binds `server` to host:port; errors after that go to `log`. */
export function listenOn(
  server: Server,
  address: { readonly host: string; readonly port: number },
  names: ListenerNames,
  log: EventLog,
): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(
        new LbError(
          'LISTEN_FAILED',
          `${names.subject} cannot listen on ${address.host}:${address.port}: ${error.message}`,
          { cause: error },
        ),
      );
    };
    server.once('error', onError);
    server.listen({ host: address.host, port: address.port }, () => {
      server.off('error', onError);
      server.on('error', (error) => log.error(`${names.logPrefix}: ${error.message}`));
      resolve(boundAddress(server, names.subject));
    });
  });
}

/** The address `server` is bound to; `subject` names it in the error when it is not listening. */
export function boundAddress(server: Server, subject: string): AddressInfo {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`${subject} is not listening`);
  return address;
}

/** Client connections open now on `server`. */
export function connectionCount(server: Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

/**
 * Waits, polling every 20 ms, while `busy()` holds and less than graceMs has passed
 * (bounded: at most graceMs / 20 polls); `eachPoll` runs after every wait.
 */
export async function waitWhileBusy(
  clock: Clock,
  graceMs: number,
  busy: () => boolean,
  eachPoll: () => void = () => undefined,
): Promise<void> {
  const deadline = clock.monotonicMs() + graceMs;
  while (busy() && clock.monotonicMs() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    eachPoll();
  }
}
