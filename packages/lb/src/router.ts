// L7 routing for an HTTP listener: the seed's 'IP:포트/URL'. Rules are tried in order; a
// rule matches when its host (if any) equals the request's Host (case-insensitive, port
// ignored; `*.example.com` matches any subdomain) and its path prefix (if any) starts the
// path. No match: the listener's default pool.
import type { HttpListenerConfig } from './config.js';
import type { Pool } from './pool.js';
import { assert } from './assert.js';

interface CompiledRule {
  readonly host: string | undefined;
  /** For `*.example.com`: `.example.com`. */
  readonly hostSuffix: string | undefined;
  readonly pathPrefix: string | undefined;
  readonly pool: Pool;
}

export class HttpRouter {
  readonly #rules: readonly CompiledRule[];
  readonly #defaultPool: Pool;

  constructor(listener: HttpListenerConfig, pools: ReadonlyMap<string, Pool>) {
    const poolNamed = (name: string): Pool => {
      const pool = pools.get(name);
      assert(
        pool !== undefined,
        () => `listener ${listener.name}: pool ${name} missing (the config check should have refused it)`,
      );
      return pool;
    };
    this.#defaultPool = poolNamed(listener.defaultPool);
    this.#rules = listener.rules.map((rule) => {
      const host = rule.host?.toLowerCase();
      const wildcard = host?.startsWith('*.') === true;
      return {
        host: wildcard ? undefined : host,
        hostSuffix: wildcard ? host?.slice(1) : undefined,
        pathPrefix: rule.pathPrefix,
        pool: poolNamed(rule.pool),
      };
    });
  }

  route(hostHeader: string | undefined, url: string): Pool {
    if (this.#rules.length === 0) return this.#defaultPool;
    const host = hostHeader === undefined ? '' : hostWithoutPort(hostHeader).toLowerCase();
    for (const rule of this.#rules) {
      if (rule.host !== undefined && rule.host !== host) continue;
      if (rule.hostSuffix !== undefined && !(host.endsWith(rule.hostSuffix) && host.length > rule.hostSuffix.length))
        continue;
      if (rule.pathPrefix !== undefined && !url.startsWith(rule.pathPrefix)) continue;
      return rule.pool;
    }
    return this.#defaultPool;
  }
}

/** `example.com:8080` → `example.com`; `[::1]:80` → `[::1]`. */
export function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}
