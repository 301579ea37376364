// A pool's persistence: which server a request is already bound to, and how the binding is
// given back to the client. Kinds are looked up in the configured order, and the first that
// names a server able to take the request wins (see Pool.choose). A binding that names a
// server that cannot take it is simply passed over: the request is balanced, and the client
// gets a new cookie for its new server.
import type { Clock } from '@tandem/testkit';
import type { BackendServer } from '../backend-server.js';
import type { PersistenceConfig, PersistenceKind } from '../config.js';
import { assert } from '../assert.js';
import { ConsistentHashRing } from '../balance/consistent-hash.js';
import { findCookie, formatSetCookie } from './cookies.js';
import { parseReplicatedSession } from './replicated-session.js';
import type { ServerTokenSigner } from './server-token.js';
import { SessionTable } from './session-table.js';

/** A server a request is bound to, and by which kind of persistence. */
export interface StickyTarget {
  readonly serverId: string;
  readonly kind: PersistenceKind;
}

/** What persistence reads from a request. */
export interface StickyInput {
  readonly clientAddress: string;
  /** Every Cookie header value of the request. */
  readonly cookieHeaders: readonly string[];
  /** The URL token found in the request's URL, if any (already removed from the URL). */
  readonly urlToken: string | undefined;
}

export class PoolPersistence {
  readonly kinds: readonly PersistenceKind[];
  readonly config: PersistenceConfig;
  /** The cookie to strip from requests and insert in responses; undefined without cookie persistence. */
  readonly cookieName: string | undefined;
  /** The URL parameter to read and strip; undefined without url-token persistence. */
  readonly urlParameter: string | undefined;
  readonly #signer: ServerTokenSigner | undefined;
  readonly #sessionTable: SessionTable | undefined;
  /** Cluster mode: source-IP persistence by consistent hash instead of the session table (see below). */
  readonly #sourceRing: ConsistentHashRing | undefined;

  /**
   * `sourceIpServers`, given in cluster mode, makes source-IP persistence stateless: the
   * client's address is looked up on a consistent-hash ring of the pool's servers instead of
   * the session table. Each worker would otherwise keep its own table and send the same client
   * to different servers; a table in the primary would put an IPC round trip on every
   * request's path and make the primary a bottleneck. The ring answers the same in every
   * worker with no messages, and a server that goes down moves only its own clients (who come
   * back when it returns). What is lost: the first request of an address is not balanced by
   * the pool's algorithm, and there is no idle expiry.
   */
  constructor(
    config: PersistenceConfig,
    signer: ServerTokenSigner | undefined,
    clock: Clock,
    sourceIpServers?: readonly BackendServer[],
  ) {
    this.kinds = config.kinds;
    this.config = config;
    const signed = config.kinds.includes('cookie') || config.kinds.includes('url-token');
    assert(
      !signed || signer !== undefined,
      'cookie and url-token persistence need a signer (the config requires a secret)',
    );
    this.#signer = signer;
    this.cookieName = config.kinds.includes('cookie') ? config.cookie.name : undefined;
    this.urlParameter = config.kinds.includes('url-token') ? config.urlParameter : undefined;
    const sourceIp = config.kinds.includes('source-ip');
    this.#sourceRing = sourceIp && sourceIpServers !== undefined ? new ConsistentHashRing(sourceIpServers) : undefined;
    this.#sessionTable =
      sourceIp && this.#sourceRing === undefined ? new SessionTable(clock, config.sourceIp) : undefined;
  }

  get enabled(): boolean {
    return this.kinds.length > 0;
  }

  /** The servers the request is bound to, in lookup order (forged or tampered tokens yield nothing). */
  lookup(input: StickyInput): StickyTarget[] {
    const targets: StickyTarget[] = [];
    for (const kind of this.kinds) {
      switch (kind) {
        case 'source-ip': {
          const serverId =
            this.#sourceRing !== undefined
              ? this.#sourceRing.lookup(input.clientAddress, takesSticky)?.id
              : this.#sessionTable?.lookup(input.clientAddress);
          if (serverId !== undefined) targets.push({ serverId, kind });
          break;
        }
        case 'cookie': {
          const serverId = this.verifiedCookie(input.cookieHeaders);
          if (serverId !== undefined) targets.push({ serverId, kind });
          break;
        }
        case 'url-token': {
          const serverId = input.urlToken === undefined ? undefined : this.#signer?.verify('url', input.urlToken);
          if (serverId !== undefined) targets.push({ serverId, kind });
          break;
        }
        case 'session-cookie': {
          const value = findCookie(input.cookieHeaders, this.config.sessionCookie);
          const session = value === undefined ? undefined : parseReplicatedSession(value);
          if (session !== undefined) {
            targets.push({ serverId: session.primary, kind });
            if (session.secondary !== undefined) targets.push({ serverId: session.secondary, kind });
          }
          break;
        }
      }
    }
    return targets;
  }

  /** The server id the request's persistence cookie names, if the cookie is genuine. */
  verifiedCookie(cookieHeaders: readonly string[]): string | undefined {
    if (this.cookieName === undefined || cookieHeaders.length === 0) return undefined;
    const value = findCookie(cookieHeaders, this.cookieName);
    return value === undefined ? undefined : this.#signer?.verify('cookie', value);
  }

  /** The Set-Cookie value that binds a client to `server`. */
  setCookieFor(server: BackendServer): string {
    assert(this.cookieName !== undefined && this.#signer !== undefined, 'setCookieFor without cookie persistence');
    return formatSetCookie(this.cookieName, this.#signer.sign('cookie', server.id), this.config.cookie);
  }

  /** The URL token for `server`, handed to the application to write into its links. */
  urlTokenFor(server: BackendServer): string | undefined {
    return this.urlParameter === undefined ? undefined : this.#signer?.sign('url', server.id);
  }

  /** Records the client's server in the session table (source-ip persistence). */
  remember(clientAddress: string, server: BackendServer): void {
    this.#sessionTable?.remember(clientAddress, server.id);
  }
}

/** A bound server can take a request while up or draining (Pool.choose checks again). */
function takesSticky(server: BackendServer): boolean {
  return server.state === 'up' || server.state === 'drain';
}
