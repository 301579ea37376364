// A pool's persistence: which server a request is already bound to, and how the binding is
// given back to the client. Kinds are looked up in the configured order, and the first that
// names a server able to take the request wins (see Pool.choose). A binding that names a
// server that cannot take it is simply passed over: the request is balanced, and the client
// gets a new cookie for its new server.
import type { Clock } from '@tandem/testkit';
import type { BackendServer } from '../backend-server.js';
import type { PersistenceConfig, PersistenceKind } from '../config.js';
import { assert } from '../assert.js';
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

  constructor(config: PersistenceConfig, signer: ServerTokenSigner | undefined, clock: Clock) {
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
    this.#sessionTable = config.kinds.includes('source-ip') ? new SessionTable(clock, config.sourceIp) : undefined;
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
          const serverId = this.#sessionTable?.lookup(input.clientAddress);
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
