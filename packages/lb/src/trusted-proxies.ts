// Which peers may speak for the client. A request from a trusted proxy keeps its
// X-Forwarded-* headers (we append to them) and its client address is the rightmost
// untrusted address in X-Forwarded-For; from anyone else those headers are replaced, since a
// client could write anything there. The seed's caution about source-IP persistence follows:
// clients behind one untrusted proxy all share its address.
import { BlockList } from 'node:net';
import { parseAddressRange } from './config.js';

export class TrustedProxies {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  constructor(ranges: readonly string[]) {
    this.#empty = ranges.length === 0;
    for (const text of ranges) {
      const range = parseAddressRange(text);
      if (range === undefined) throw new RangeError(`not an address or CIDR range: ${text}`);
      if (range.prefixBits === (range.family === 'ipv4' ? 32 : 128)) this.#list.addAddress(range.address, range.family);
      else this.#list.addSubnet(range.address, range.prefixBits, range.family);
    }
  }

  isTrusted(address: string): boolean {
    if (this.#empty || address === '') return false;
    return this.#list.check(address, address.includes(':') ? 'ipv6' : 'ipv4');
  }

  /**
   * The client's address: the peer itself unless the peer is trusted; then the rightmost
   * address of X-Forwarded-For that is not a trusted proxy (or the leftmost if all are).
   */
  clientAddress(peer: string, forwardedFor: string | undefined): string {
    if (forwardedFor === undefined || !this.isTrusted(peer)) return peer;
    const hops = forwardedFor.split(',');
    for (let index = hops.length - 1; index >= 0; index--) {
      const hop = normalizeAddress(hops[index].trim());
      if (hop === '') continue;
      if (index === 0 || !this.isTrusted(hop)) return hop;
    }
    return peer;
  }
}

/** `::ffff:192.0.2.1` (an IPv4 client on a dual-stack socket) is `192.0.2.1`. */
export function normalizeAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
