// Server tokens: a server id plus an HMAC-SHA256 of it under the load balancer's secret, as
// carried by the persistence cookie and the URL token. A client can read which server it is
// bound to, but cannot name another server or forge a token: verification recomputes the
// MAC and compares in constant time. The MAC is truncated to 128 bits (HMAC-SHA256-128,
// RFC 4868's truncation), ample against forgery and short in a cookie or URL.
import { createHmac, timingSafeEqual } from 'node:crypto';

const MAC_BYTES = 16;
/** base64url of 16 bytes, unpadded. */
const MAC_CHARACTERS = 22;
const SERVER_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Where a token is used: a cookie token is not accepted as a URL token or the reverse. */
export type TokenPurpose = 'cookie' | 'url';

export class ServerTokenSigner {
  readonly #key: Buffer;
  readonly #signed = new Map<string, string>();

  constructor(secret: string | Uint8Array) {
    this.#key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  }

  /** `<serverId>.<mac>`: cached, since the same few tokens are issued over and over. */
  sign(purpose: TokenPurpose, serverId: string): string {
    const cacheKey = `${purpose}:${serverId}`;
    let token = this.#signed.get(cacheKey);
    if (token === undefined) {
      token = `${serverId}.${this.#mac(purpose, serverId).toString('base64url')}`;
      this.#signed.set(cacheKey, token);
    }
    return token;
  }

  /** The server id a token names, or undefined for anything malformed, forged or tampered with. */
  verify(purpose: TokenPurpose, token: string): string | undefined {
    const dot = token.lastIndexOf('.');
    if (dot <= 0 || token.length - dot - 1 !== MAC_CHARACTERS) return undefined;
    const serverId = token.slice(0, dot);
    if (!SERVER_ID.test(serverId)) return undefined;
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    // base64url decoding skips invalid characters; a wrong length is a tampered token.
    if (given.length !== MAC_BYTES) return undefined;
    return timingSafeEqual(given, this.#mac(purpose, serverId)) ? serverId : undefined;
  }

  #mac(purpose: TokenPurpose, serverId: string): Buffer {
    return createHmac('sha256', this.#key).update(`tandem-lb\0${purpose}\0${serverId}`).digest().subarray(0, MAC_BYTES);
  }
}
