// Works out where `tandem sql` connects. Sources, strongest first: the flags (-h -p -U -d
// --password-file), the URL argument, the database directory (--dir: server.pid names the
// address, sys.password the password), the PG* environment variables, then the defaults
// of a local Tandem database.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ConnectionFlags {
  readonly url?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: string | undefined;
  readonly user?: string | undefined;
  readonly database?: string | undefined;
  readonly passwordFile?: string | undefined;
  readonly dir?: string | undefined;
}

export interface ConnectionTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly password: string | undefined;
}

/** A problem with the connection options themselves; the shell reports it like a failed connection. */
export class ConnectionOptionsError extends Error {
  readonly code = 'TANDEM_SQL_CONNECTION_OPTIONS';
}

// The defaults of `tandem db init` (DEFAULT_PORT and host in @tandem/db's server config)
// and of its superuser, so a bare `tandem sql` reaches a local database.
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 5544;
export const DEFAULT_USER = 'sys';
export const DEFAULT_DATABASE = 'tandem';

type ConnectionParts = { -readonly [K in keyof ConnectionTarget]?: ConnectionTarget[K] | undefined };

export interface ResolveContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readText: (path: string) => Promise<string>;
}

const defaultContext: ResolveContext = { env: process.env, readText: (path) => readFile(path, 'utf8') };

export async function resolveConnection(
  flags: ConnectionFlags,
  context: ResolveContext = defaultContext,
): Promise<ConnectionTarget> {
  const fromFlags: ConnectionParts = {
    host: flags.host,
    port: flags.port === undefined ? undefined : parsePort(flags.port, '--port'),
    user: flags.user,
    database: flags.database,
    password: flags.passwordFile === undefined ? undefined : await readPassword(flags.passwordFile, context),
  };
  const fromUrl = flags.url === undefined ? {} : parseConnectionUrl(flags.url);
  const fromDir = flags.dir === undefined ? {} : await readDatabaseDir(flags.dir, context);
  const fromEnv: ConnectionParts = {
    host: nonEmpty(context.env.PGHOST),
    port: nonEmpty(context.env.PGPORT) === undefined ? undefined : parsePort(context.env.PGPORT ?? '', 'PGPORT'),
    user: nonEmpty(context.env.PGUSER),
    database: nonEmpty(context.env.PGDATABASE),
    password: context.env.PGPASSWORD,
  };
  const pick = <K extends keyof ConnectionTarget>(key: K): ConnectionTarget[K] | undefined =>
    fromFlags[key] ?? fromUrl[key] ?? fromDir[key] ?? fromEnv[key];
  return {
    host: pick('host') ?? DEFAULT_HOST,
    port: pick('port') ?? DEFAULT_PORT,
    user: pick('user') ?? DEFAULT_USER,
    database: pick('database') ?? DEFAULT_DATABASE,
    password: pick('password'),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function parsePort(text: string, source: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConnectionOptionsError(`invalid port ${JSON.stringify(text)} in ${source}: expected 1-65535`);
  }
  return port;
}

async function readPassword(path: string, context: ResolveContext): Promise<string> {
  try {
    return (await context.readText(path)).trim();
  } catch (error) {
    throw new ConnectionOptionsError(`cannot read the password file ${path}: ${errorText(error)}`);
  }
}

/** postgresql://user:password@host:port/database (postgres:// too); absent parts stay undefined. */
export function parseConnectionUrl(text: string): ConnectionParts {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConnectionOptionsError(`invalid connection URL ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new ConnectionOptionsError(`invalid connection URL ${JSON.stringify(text)}: expected postgresql://`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return {
    // URL keeps the brackets of an IPv6 literal; the socket API wants it bare.
    host: url.hostname === '' ? undefined : url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? undefined : parsePort(url.port, 'the URL'),
    user: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    database: database === '' ? undefined : database,
  };
}

/** Host and port from `<dir>/server.pid` (written by the running server), password from `<dir>/sys.password`. */
async function readDatabaseDir(dir: string, context: ResolveContext): Promise<ConnectionParts> {
  const pidPath = join(dir, 'server.pid');
  let pidText: string;
  try {
    pidText = await context.readText(pidPath);
  } catch {
    throw new ConnectionOptionsError(
      `no server is running for ${dir} (no ${pidPath}); start it with tandem db start ${dir}`,
    );
  }
  const pidFile = parsePidFile(pidText, pidPath);
  let password: string | undefined;
  try {
    password = (await context.readText(join(dir, 'sys.password'))).trim();
  } catch {
    // Without the file the password may still come from PGPASSWORD or --password-file.
    password = undefined;
  }
  return { host: connectableHost(pidFile.host), port: pidFile.port, password };
}

/** A server listening on every address is reached on loopback. */
function connectableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

function parsePidFile(text: string, path: string): { host: string; port: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConnectionOptionsError(`${path} is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new ConnectionOptionsError(`${path} is not a JSON object`);
  const { host, port } = parsed as { host?: unknown; port?: unknown };
  if (typeof host !== 'string' || typeof port !== 'number') {
    throw new ConnectionOptionsError(`${path} does not name a host and port`);
  }
  return { host, port };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `host "h", port p` as psql names a server in connection errors. */
export function describeTarget(target: ConnectionTarget): string {
  return `server at "${target.host}", port ${target.port}`;
}
