// What an exchange needs from its listener: the configuration generation it started under
// (router, pools, trusted proxies), the logs, and passive failure reporting. A listener
// makes one context per generation, so a reload never changes an exchange in flight.
import type { Clock } from '@tandem/testkit';
import type { BackendServer } from '../backend-server.js';
import type { AccessLog, EventLog } from '../log.js';
import type { LbMetrics } from '../metrics.js';
import type { PassiveObserver } from '../passive-detector.js';
import type { StickyTarget } from '../persistence/pool-persistence.js';
import { extractUrlToken } from '../persistence/url-token.js';
import type { Pool } from '../pool.js';
import type { HttpRouter } from '../router.js';
import type { Topology } from '../topology.js';
import type { RequestHead } from './forward-headers.js';

export interface FinishingExchange {
  readonly finished: boolean;
  abort(): void;
}

export interface ExchangeContext {
  readonly clock: Clock;
  readonly log: EventLog;
  readonly accessLog: AccessLog;
  readonly passive: PassiveObserver;
  readonly metrics: LbMetrics;
  readonly topology: Topology;
  readonly router: HttpRouter;
  readonly listenerName: string;
  /** A header added to every proxied response (tests of cluster mode: the worker's pid), if any. */
  readonly responseTag: readonly [string, string] | undefined;
  /** Logs a warning once per key for the life of the listener (a misbehaving app must not flood the log). */
  warnOnce(key: string, message: string): void;
  /** Called once when an exchange ends. */
  onFinished(exchange: FinishingExchange): void;
}

/** Where a request or upgrade goes: its pool and what the pool's persistence knows of the client. */
export interface RoutedExchange {
  readonly pool: Pool;
  /** The request's URL, without the persistence token if the pool takes one from it. */
  readonly url: string;
  readonly sticky: readonly StickyTarget[];
  /** The server a valid persistence cookie names, if any. */
  readonly cookieServerId: string | undefined;
}

const NO_STICKY: readonly StickyTarget[] = [];

/** Routes a request by host and URL, and looks up the servers its persistence pins it to. */
export function routeExchange(
  context: ExchangeContext,
  head: RequestHead,
  url: string,
  clientAddress: string,
): RoutedExchange {
  const pool = context.router.route(head.host, url);
  const persistence = pool.persistence;
  let urlToken: string | undefined;
  if (persistence.urlParameter !== undefined) {
    const extracted = extractUrlToken(url, persistence.urlParameter);
    url = extracted.url;
    urlToken = extracted.token;
  }
  if (!persistence.enabled) return { pool, url, sticky: NO_STICKY, cookieServerId: undefined };
  return {
    pool,
    url,
    sticky: persistence.lookup({ clientAddress, cookieHeaders: head.cookieHeaders, urlToken }),
    cookieServerId: persistence.verifiedCookie(head.cookieHeaders),
  };
}

/**
 * A server answered: persistence remembers the client with it, and the answer carries a new
 * persistence cookie unless the client's valid cookie already names that server.
 */
export function bindClient(
  pool: Pool,
  clientAddress: string,
  cookieServerId: string | undefined,
  server: BackendServer,
): { readonly cookieName: string | undefined; readonly setCookie: string | undefined } {
  const persistence = pool.persistence;
  persistence.remember(clientAddress, server);
  const setCookie =
    persistence.cookieName !== undefined && cookieServerId !== server.id ? persistence.setCookieFor(server) : undefined;
  return { cookieName: persistence.cookieName, setCookie };
}

/** An attempt on a server: it holds one of the server's in-flight slots until released. */
export interface ServerAttempt {
  readonly server: BackendServer;
  /** The server's in-flight count was returned for this attempt. */
  released: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Stops the attempt's timer and returns its server's in-flight slot, once. */
export function releaseAttempt(attempt: ServerAttempt): void {
  if (attempt.released) return;
  attempt.released = true;
  clearTimeout(attempt.timer);
  attempt.server.end();
}
