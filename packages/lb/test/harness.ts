// Integration test rig: real backends and a real load balancer on loopback (127.0.0.1,
// ephemeral ports), and small clients. Every wait is bounded; nothing asserts on time.
import {
  createServer,
  request as httpRequest,
  type Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type Server as NetServer, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import { LoadBalancer, validateConfig, type LoadBalancerOptions } from '../src/index.js';

export const SECRET = 'integration-test-secret-0123456789abcdef';

export interface Backend {
  readonly id: string;
  readonly port: number;
  readonly server: Server;
  /** Requests this backend has received (counted when the request head arrives). */
  hits: number;
  /** The last request heads it saw, newest last (at most 50). */
  readonly seen: Array<{
    method: string;
    url: string;
    headers: IncomingHttpHeaders;
    rawHeaders: string[];
    body: string;
  }>;
  /** Responses held by a holding backend, released by release(). */
  readonly held: ServerResponse[];
  release(): void;
  /** Open TCP connections to this backend now. */
  connections(): Promise<number>;
  /** Stops listening and cuts every connection at once, as a crash would. */
  kill(): Promise<void>;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string, backend: Backend) => void;

/** Answers JSON naming the backend, the URL and the headers it received. */
export const echo: Handler = (req, res, body, backend) => {
  const text = JSON.stringify({ server: backend.id, method: req.method, url: req.url, headers: req.headers, body });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
};

/** Holds every response until release(). */
export const hold: Handler = (_req, res, _body, backend) => {
  backend.held.push(res);
};

/** Starts a backend on 127.0.0.1, on `port` if given (to bring a killed one back at its address), else an ephemeral one. */
export async function startBackend(id: string, handler: Handler = echo, port = 0): Promise<Backend> {
  const sockets = new Set<Socket>();
  const server = createServer();
  const backend: Backend = {
    id,
    port: 0,
    server,
    hits: 0,
    seen: [],
    held: [],
    release() {
      for (const res of backend.held.splice(0)) echo(res.req, res, '', backend);
    },
    connections: () =>
      new Promise((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      ),
    kill: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    backend.hits++;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      backend.seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
      });
      if (backend.seen.length > 50) backend.seen.shift();
      handler(req, res, body, backend);
    });
  });
  (backend as { port: number }).port = await listenOnLoopback(server, port);
  return backend;
}

/** Starts `server` listening on 127.0.0.1 (port 0: an ephemeral one) and returns its port. */
export async function listenOnLoopback(server: NetServer, port = 0): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return address.port;
}

/** A port nothing listens on (bound then released). */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no address');
  return address.port;
}

export interface RunningLb {
  readonly lb: LoadBalancer;
  readonly logs: string[];
  readonly access: string[];
  port(listener?: string): number;
  stop(): Promise<void>;
}

export async function startLb(config: unknown, options: LoadBalancerOptions = {}): Promise<RunningLb> {
  const logs: string[] = [];
  const access: string[] = [];
  // `workers` defaults to one per CPU; these tests run the in-process mode unless they ask.
  const withWorkers =
    typeof config === 'object' && config !== null && !('workers' in config) ? { ...config, workers: 1 } : config;
  const lb = await LoadBalancer.start(validateConfig(withWorkers, 'test config'), {
    logSink: (line) => logs.push(line),
    accessLogSink: (line) => access.push(line),
    graceMs: 2000,
    ...options,
  });
  return {
    lb,
    logs,
    access,
    port: (listener = 'web') => lb.address(listener).port,
    stop: () => lb.stop(),
  };
}

/** A pool config for servers on loopback. */
export function serversOf(
  ...backends: Array<Backend | { id: string; port: number; weight?: number }>
): Array<{ id: string; host: string; port: number; weight?: number }> {
  return backends.map((backend) => ({
    id: backend.id,
    host: '127.0.0.1',
    port: backend.port,
    ...('weight' in backend && backend.weight !== undefined ? { weight: backend.weight } : {}),
  }));
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: string;
  /** The `server` field of an echo backend's JSON body, if any. */
  readonly server: string | undefined;
}

export function get(
  port: number,
  path = '/',
  headers: Record<string, string> = {},
  agent: Agent | false = false,
): Promise<Reply> {
  return send(port, { path, headers, agent });
}

export function send(
  port: number,
  options: {
    method?: string;
    path?: string;
    headers?: Record<string, string | string[]>;
    body?: string | Buffer;
    agent?: Agent | false;
  },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: options.headers ?? {},
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          let server: string | undefined;
          try {
            server = (JSON.parse(body) as { server?: string }).server;
          } catch {
            server = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body, server });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends raw bytes and collects everything until the server closes (or `limitMs` passes, then destroys). */
export function rawExchange(port: number, bytes: string | Buffer, limitMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), limitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
  });
}

/** Polls `condition` every 20 ms, at most `attempts` times; resolves whether it became true. */
export async function eventually(condition: () => boolean | Promise<boolean>, attempts = 250): Promise<boolean> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return condition();
}

export function tally(ids: ReadonlyArray<string | undefined>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const id of ids) result[id ?? '-'] = (result[id ?? '-'] ?? 0) + 1;
  return result;
}

/** The Set-Cookie value for a cookie name, if the reply sets it. */
export function setCookieValue(reply: Reply, name: string): string | undefined {
  const header = reply.headers['set-cookie'] ?? [];
  for (const line of header) {
    if (line.startsWith(`${name}=`)) return line.slice(name.length + 1).split(';')[0];
  }
  return undefined;
}

/** What a test started and must stop: run after each test of the file, last first. */
export interface Cleanups {
  readonly push: (...cleanups: Array<() => Promise<void>>) => void;
  /** Backends with these ids, closed after the test. */
  readonly backends: (handler: Handler, ...ids: string[]) => Promise<Backend[]>;
  /** A load balancer (as startLb), stopped after the test. */
  readonly startLb: (config: unknown, options?: LoadBalancerOptions) => Promise<RunningLb>;
}

/** Registers the file's afterEach that runs the cleanups its tests pushed. */
export function cleanupAfterEach(): Cleanups {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const push = (...added: Array<() => Promise<void>>): void => {
    cleanups.push(...added);
  };
  return {
    push,
    backends: async (handler, ...ids) => {
      const started = await Promise.all(ids.map((id) => startBackend(id, handler)));
      for (const backend of started) push(() => backend.close());
      return started;
    },
    startLb: async (config, options) => {
      const running = await startLb(config, options);
      push(() => running.stop());
      return running;
    },
  };
}
