// lb.yaml: the load balancer's configuration. Listeners (HTTP with L7 rules, or TCP), backend
// pools (servers, algorithm, persistence, retries, timeouts, active health checks, passive
// failure detection, a backup pool), client limits, trusted proxies, the HMAC secret and the
// admin listener. Every field is
// validated, and an error names the field and what it should be.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { LbError } from './errors.js';

/** The smallest secret accepted: HMAC-SHA256 gains nothing from keys longer than its block, and loses from short ones. */
export const SECRET_BYTES_MIN = 32;

const port = z.number().int().min(0).max(65535);
const durationMs = z.number().int().min(1).max(2_147_483_647);
/** Server ids go into cookies and URL tokens, so they are plain tokens. */
const serverId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    'an id of letters, digits, - and _ (at most 64, starting with a letter or digit)',
  );
const poolName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a name of letters, digits, ., - and _');
const cookieName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'a cookie name (an RFC 6265 token)');

export const ALGORITHMS = ['round-robin', 'least-connections', 'response-time', 'source-hash'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export const PERSISTENCE_KINDS = ['source-ip', 'cookie', 'url-token', 'session-cookie'] as const;
export type PersistenceKind = (typeof PERSISTENCE_KINDS)[number];

export const SERVER_STATES = ['up', 'down', 'drain', 'maintenance'] as const;
export type ServerState = (typeof SERVER_STATES)[number];

/** A regular expression that compiles (JavaScript syntax), for health.bodyPattern. */
const regexSource = z.string().refine((source) => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}, 'a valid regular expression');

/**
 * An active health check (the seed's content monitoring): an HTTP GET whose status must be
 * one of expectStatus and whose body, if bodyPattern is set, must match it; or a TCP connect.
 * The defaults detect a dead server within about fall × intervalMs (1.5 s), under HAProxy's
 * default of about 6 s.
 */
const healthSchema = z
  .object({
    type: z.enum(['http', 'tcp']).default('http'),
    /** The URL path of an HTTP check (with its query, if any). */
    path: z
      .string()
      .regex(/^\/[^\s]*$/, 'a path starting with /')
      .default('/'),
    /** The Host header of an HTTP check; default the server's host:port. */
    host: z
      .string()
      .regex(/^[A-Za-z0-9.:[\]-]+$/, 'a host name')
      .optional(),
    /** Check this port instead of the server's (a separate health port). */
    port: port.min(1).optional(),
    /** Statuses that count as healthy. */
    expectStatus: z.array(z.number().int().min(100).max(599)).min(1).default([200]),
    /** A regular expression the body must match (on its first bodyBytesMax bytes, as UTF-8). */
    bodyPattern: regexSource.optional(),
    bodyBytesMax: z
      .number()
      .int()
      .min(1)
      .max(1024 * 1024)
      .default(64 * 1024),
    /** Time between the starts of two checks of one server. */
    intervalMs: durationMs.default(500),
    /** A check with no verdict this long fails. At most intervalMs, so checks of one server never overlap. */
    timeoutMs: durationMs.default(400),
    /** Consecutive successes that bring a down server back. */
    rise: z.number().int().min(1).max(100).default(2),
    /** Consecutive failures that mark a server down. */
    fall: z.number().int().min(1).max(100).default(3),
    /** Each interval is varied by up to this percentage, so checks of many servers do not run in step. */
    jitterPercent: z.number().min(0).max(50).default(10),
    /** After a recovery, the server's weight ramps from 5% to 100% over this long (0: at once). */
    slowStartMs: z.number().int().min(0).max(2_147_483_647).default(0),
  })
  .strict()
  .refine((health) => health.timeoutMs <= health.intervalMs, {
    message: 'timeoutMs must not exceed intervalMs',
    path: ['timeoutMs'],
  });

const serverSchema = z
  .object({
    id: serverId,
    host: z.string().min(1),
    port: port.min(1),
    /** Relative share of new requests; admin changes and slow start (later) act on it. */
    weight: z.number().int().min(1).max(1000).default(1),
    /** The state at start: drain and maintenance let an operator bring a server in gently. */
    state: z.enum(['up', 'drain', 'maintenance']).default('up'),
    /** This server's own health check, replacing the pool's (another path or port). */
    health: healthSchema.optional(),
  })
  .strict();

const persistenceSchema = z
  .object({
    /**
     * Looked up in this order on each request; the first that names a usable server wins.
     * source-ip: a session table keyed by the client's address (the seed's warning holds:
     * every client behind one proxy shares one address). cookie: an inserted cookie.
     * url-token: a token in a path parameter (;lbt=) or query parameter, for clients
     * without cookies. session-cookie: the app tier's replicated-session cookie
     * id!primary!secondary.
     */
    kinds: z
      .array(z.enum(PERSISTENCE_KINDS))
      .default([])
      .refine((kinds) => new Set(kinds).size === kinds.length, 'each kind at most once'),
    cookie: z
      .object({
        name: cookieName.default('TANDEMLB'),
        path: z
          .string()
          .regex(/^\/[^;\s]*$/, 'a path starting with /')
          .default('/'),
        /** Omitted: a session cookie, gone when the browser closes. */
        maxAgeSeconds: z.number().int().min(1).optional(),
        httpOnly: z.boolean().default(true),
        secure: z.boolean().default(false),
        sameSite: z.enum(['Strict', 'Lax', 'None']).default('Lax'),
      })
      .strict()
      .prefault({}),
    /** The parameter that carries a URL token: `/path;lbt=TOKEN` or `/path?lbt=TOKEN`. */
    urlParameter: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/, 'a parameter name of letters, digits, - and _')
      .default('lbt'),
    /** The app tier's session cookie whose value is `id!primary!secondary` (server ids). */
    sessionCookie: cookieName.default('JSESSIONID'),
    sourceIp: z
      .object({
        /** A client's entry is forgotten after this long without a request. */
        idleMs: durationMs.default(30 * 60_000),
        /** The session table's size bound; the least recently seen client is forgotten first. */
        entriesMax: z.number().int().min(1).max(10_000_000).default(100_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const timeoutsSchema = z
  .object({
    /** From the start of a connection attempt to the backend's accept. */
    connectMs: durationMs.default(3_000),
    /** From sending the request to the backend's response head (time to first byte). */
    responseMs: durationMs.default(60_000),
    /** A backend socket silent this long while a response is due or streaming is abandoned. */
    idleMs: durationMs.default(60_000),
    /** An idle pooled keep-alive connection is closed after this long: keep it below the backends' own keep-alive timeout, so the load balancer never reuses a socket the backend is closing. */
    keepAliveMs: durationMs.default(4_000),
    /** An upgraded (WebSocket) or TCP connection silent in both directions this long is closed. */
    tunnelIdleMs: durationMs.default(3_600_000),
  })
  .strict();

const passiveSchema = z
  .object({
    /** Consecutive failures (connection failures, timeouts, and 5xx if on5xx) that mark a server down. */
    consecutiveFailures: z.number().int().min(1).max(1000).default(3),
    /**
     * How long a server marked down by passive detection stays down before it is tried
     * again (nginx's fail_timeout). Active health checks, when configured, take over revival.
     */
    downMs: durationMs.default(10_000),
    /** Whether a 5xx response counts as a failure. */
    on5xx: z.boolean().default(true),
  })
  .strict();

const poolSchema = z
  .object({
    algorithm: z.enum(ALGORITHMS).default('round-robin'),
    servers: z.array(serverSchema).min(1, 'at least one server'),
    persistence: persistenceSchema.prefault({}),
    /** Further servers tried after a connection failure before anything was sent (bounded). */
    retries: z.number().int().min(0).max(10).default(2),
    timeouts: timeoutsSchema.prefault({}),
    passive: passiveSchema.prefault({}),
    /**
     * Active health checks of every server of the pool (a server's own health replaces it).
     * With checks, a server marked down (by a check or by passive detection) comes back only
     * after `rise` successful checks.
     */
    health: healthSchema.optional(),
    /** Connections to one server at most (in use and idle); more requests wait for one. Default: no bound. */
    connectionsPerServerMax: z.number().int().min(1).optional(),
    /** A pool that takes the traffic when no server of this one is up (a sorry server). */
    backup: poolName.optional(),
  })
  .strict();

const ruleSchema = z
  .object({
    /** Host header to match (case-insensitive, port ignored); `*.example.com` matches any subdomain. */
    host: z
      .string()
      .regex(/^(\*\.)?[A-Za-z0-9.-]+$/, 'a host name, or *.domain')
      .optional(),
    /** Path prefix to match (plain string prefix of the path, before the query). */
    pathPrefix: z.string().startsWith('/', 'a path starting with /').optional(),
    pool: poolName,
  })
  .strict()
  .refine(
    (rule) => rule.host !== undefined || rule.pathPrefix !== undefined,
    'a rule needs a host, a pathPrefix or both',
  );

const listenerName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a name of letters, digits, ., - and _');

const httpListenerSchema = z
  .object({
    name: listenerName,
    protocol: z.literal('http'),
    host: z.string().min(1).default('0.0.0.0'),
    port,
    /** L7 rules, tried in order; the first match picks the pool. */
    rules: z.array(ruleSchema).default([]),
    /** The pool for requests that match no rule. */
    defaultPool: poolName,
  })
  .strict();

const tcpListenerSchema = z
  .object({
    name: listenerName,
    protocol: z.literal('tcp'),
    host: z.string().min(1).default('0.0.0.0'),
    port,
    pool: poolName,
  })
  .strict();

const listenerSchema = z.discriminatedUnion('protocol', [httpListenerSchema, tcpListenerSchema]);

const limitsSchema = z
  .object({
    /** The request line plus headers at most (node's maxHeaderSize): larger gets 431. */
    maxHeaderBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(16 * 1024),
    /** A client must send its whole header section within this time (slowloris): else 408. */
    headersTimeoutMs: durationMs.default(10_000),
    /** A client must send its whole request (headers and body) within this time: else 408. */
    requestTimeoutMs: durationMs.default(60_000),
    /** An idle client keep-alive connection is closed after this long. */
    keepAliveTimeoutMs: durationMs.default(5_000),
  })
  .strict();

const cidr = z
  .string()
  .refine((text) => parseAddressRange(text) !== undefined, 'an IP address or CIDR range (10.0.0.0/8)');

const configSchema = z
  .object({
    listeners: z.array(listenerSchema).min(1, 'at least one listener'),
    pools: z.record(poolName, poolSchema),
    limits: limitsSchema.prefault({}),
    /** Peers whose X-Forwarded-* headers are believed (another proxy, the CDN). */
    trustedProxies: z.array(cidr).default([]),
    /** The HMAC-SHA256 key for persistence cookies and URL tokens (at least 32 bytes); or secretFile. */
    secret: z.string().min(SECRET_BYTES_MIN, `at least ${SECRET_BYTES_MIN} characters`).optional(),
    /** A file holding the secret (relative to lb.yaml); both members of a load balancer pair must share it. */
    secretFile: z.string().min(1).optional(),
    /** One access log line per request or TCP connection. */
    accessLog: z.boolean().default(true),
    /**
     * Processes that serve the listeners: `auto` (the number of CPUs) or a count. More than one
     * runs node:cluster (a primary with health checks, states and the admin API, and workers
     * sharing the listeners); 1 serves everything in this process.
     */
    workers: z.union([z.literal('auto'), z.number().int().min(1).max(256)]).default('auto'),
    /**
     * The admin HTTP API and Prometheus /metrics, on their own listener. Loopback by default:
     * the API changes server states and has no authentication of its own.
     */
    admin: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(9090),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((config, context) => {
    const issue = (path: (string | number)[], message: string): void => {
      context.addIssue({ code: 'custom', path, message });
    };
    const pools = Object.keys(config.pools);
    const known = (name: string): boolean => Object.hasOwn(config.pools, name);
    const poolList = pools.length === 0 ? 'none' : pools.join(', ');
    if (pools.length === 0) issue(['pools'], 'at least one pool');
    const listenerNames = new Set<string>();
    const addresses = new Set<string>();
    config.listeners.forEach((listener, index) => {
      if (listenerNames.has(listener.name)) issue(['listeners', index, 'name'], `'${listener.name}' is used twice`);
      listenerNames.add(listener.name);
      const address = `${listener.host}:${listener.port}`;
      if (listener.port !== 0 && addresses.has(address))
        issue(['listeners', index, 'port'], `${address} is used twice`);
      addresses.add(address);
      if (listener.protocol === 'http') {
        if (!known(listener.defaultPool)) {
          issue(['listeners', index, 'defaultPool'], `no pool named '${listener.defaultPool}' (pools: ${poolList})`);
        }
        listener.rules.forEach((rule, ruleIndex) => {
          if (!known(rule.pool)) {
            issue(
              ['listeners', index, 'rules', ruleIndex, 'pool'],
              `no pool named '${rule.pool}' (pools: ${poolList})`,
            );
          }
        });
      } else if (!known(listener.pool)) {
        issue(['listeners', index, 'pool'], `no pool named '${listener.pool}' (pools: ${poolList})`);
      }
    });
    if (config.admin !== undefined && config.admin.port !== 0) {
      const address = `${config.admin.host}:${config.admin.port}`;
      if (addresses.has(address)) issue(['admin', 'port'], `${address} is also a listener's address`);
    }
    const serverIds = new Map<string, string>();
    let needsSecret = false;
    for (const [name, pool] of Object.entries(config.pools)) {
      pool.servers.forEach((server, index) => {
        const owner = serverIds.get(server.id);
        if (owner !== undefined) {
          issue(
            ['pools', name, 'servers', index, 'id'],
            `'${server.id}' is already a server of pool '${owner}'; ids are unique across pools`,
          );
        }
        serverIds.set(server.id, name);
      });
      if (pool.persistence.kinds.includes('cookie') || pool.persistence.kinds.includes('url-token')) needsSecret = true;
      if (pool.backup !== undefined) {
        if (!known(pool.backup))
          issue(['pools', name, 'backup'], `no pool named '${pool.backup}' (pools: ${poolList})`);
        else if (backupCycle(config.pools, name))
          issue(['pools', name, 'backup'], `backup pools form a cycle through '${name}'`);
      }
    }
    // Node refuses a server whose headers timeout exceeds its request timeout; say so in our terms.
    if (config.limits.headersTimeoutMs > config.limits.requestTimeoutMs) {
      issue(
        ['limits', 'headersTimeoutMs'],
        `must not exceed limits.requestTimeoutMs (${config.limits.requestTimeoutMs})`,
      );
    }
    if (config.secret !== undefined && config.secretFile !== undefined) {
      issue(['secretFile'], 'give secret or secretFile, not both');
    }
    if (needsSecret && config.secret === undefined && config.secretFile === undefined) {
      issue(
        ['secret'],
        'cookie and url-token persistence sign server ids with an HMAC: set secret (at least 32 characters) or secretFile; both load balancers of a pair must share it',
      );
    }
  });

export type LbConfig = z.infer<typeof configSchema>;
export type PoolConfig = LbConfig['pools'][string];
export type ServerConfig = PoolConfig['servers'][number];
export type PersistenceConfig = PoolConfig['persistence'];
export type TimeoutsConfig = PoolConfig['timeouts'];
export type PassiveConfig = PoolConfig['passive'];
export type ListenerConfig = LbConfig['listeners'][number];
export type HttpListenerConfig = Extract<ListenerConfig, { protocol: 'http' }>;
export type TcpListenerConfig = Extract<ListenerConfig, { protocol: 'tcp' }>;
export type RuleConfig = HttpListenerConfig['rules'][number];
export type LimitsConfig = LbConfig['limits'];
export type HealthConfig = NonNullable<PoolConfig['health']>;
export type AdminConfig = NonNullable<LbConfig['admin']>;

function backupCycle(pools: Readonly<Record<string, { backup?: string | undefined }>>, start: string): boolean {
  const seen = new Set<string>([start]);
  let next = pools[start]?.backup;
  // Bounded: each step visits a new pool or stops.
  while (next !== undefined && Object.hasOwn(pools, next)) {
    if (seen.has(next)) return next === start;
    seen.add(next);
    next = pools[next]?.backup;
  }
  return false;
}

/** `10.0.0.0/8`, `::1`, `192.168.1.7`: the address, its family and prefix length. */
export function parseAddressRange(
  text: string,
): { readonly address: string; readonly family: 'ipv4' | 'ipv6'; readonly prefixBits: number } | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return undefined;
  const bitsMax = version === 4 ? 32 : 128;
  let prefixBits = bitsMax;
  if (slash >= 0) {
    const bitsText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bitsText)) return undefined;
    prefixBits = Number(bitsText);
    if (prefixBits > bitsMax) return undefined;
  }
  return { address, family: version === 4 ? 'ipv4' : 'ipv6', prefixBits };
}

/** Validates a configuration given as data (already parsed from YAML or built in code). */
export function validateConfig(value: unknown, source = 'lb.yaml'): LbConfig {
  const result = configSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  throw new LbError('INVALID_CONFIG', `${source}: ${problems.join('; ')}`);
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text;
}

/** Parses lb.yaml's text and validates it; the error names each bad field. */
export function parseConfig(text: string, source = 'lb.yaml'): LbConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new LbError(
      'INVALID_CONFIG',
      `${source}: not valid YAML: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new LbError('INVALID_CONFIG', `${source}: expected a mapping with listeners and pools`);
  }
  return validateConfig(raw, source);
}

/**
 * Reads and validates a configuration file. A secretFile (relative to the file's folder) is
 * read into `secret`, so the load balancer itself sees only `secret`.
 */
export async function loadConfigFile(path: string): Promise<LbConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new LbError(
      'INVALID_CONFIG',
      `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const config = parseConfig(text, path);
  if (config.secretFile === undefined) return config;
  const secretPath = resolve(dirname(path), config.secretFile);
  let secret: string;
  try {
    secret = (await readFile(secretPath, 'utf8')).trim();
  } catch (error) {
    throw new LbError(
      'SECRET_UNREADABLE',
      `${path}: secretFile: cannot read ${secretPath}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (Buffer.byteLength(secret) < SECRET_BYTES_MIN) {
    throw new LbError(
      'SECRET_UNREADABLE',
      `${path}: secretFile: ${secretPath} holds fewer than ${SECRET_BYTES_MIN} bytes`,
    );
  }
  return { ...config, secret };
}
