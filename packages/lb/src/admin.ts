// The admin HTTP API, on its own listener (loopback by default: it changes server states and
// has no authentication of its own). It reads and changes servers only through
// ServerControl, so every change is logged once and seen by health checks and metrics.
//
//   GET  /servers                      every server: state, weight, effective weight, in flight, health
//   GET  /servers/<id>                 one server
//   POST /servers/<id>/drain           (or PUT) sticky clients only; also maintenance, ready
//   PUT  /servers/<id>/state           {"state": "drain" | "maintenance" | "ready", "reason": "..."}
//   PUT  /servers/<id>/weight          {"weight": 1..1000, "reason": "..."}
//   GET  /metrics                      Prometheus text format
//   GET  /health                       200 while the load balancer runs
//
// `ready` is `up`. `down` is not settable here: it belongs to health checks and passive
// detection, which would undo it; maintenance is the operator's way to take a server out.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AdminConfig, ServerState } from './config.js';
import { TlbCode } from './errors.js';
import type { HealthChecker } from './health/health-checker.js';
import type { EventLog } from './log.js';
import { boundAddress, listenOn } from './listener-socket.js';
import type { LbMetrics } from './metrics.js';
import type { ServerControl, ServerView } from './server-directory.js';

export interface AdminServices {
  readonly control: ServerControl;
  readonly health: HealthChecker;
  readonly metrics: LbMetrics;
  readonly log: EventLog;
  /** The live effective weight of a server (slow start), if known. */
  readonly effectiveWeight?: (id: string) => number | undefined;
}

/** Operator state words and the server state each sets. */
const SETTABLE_STATES: Readonly<Record<string, ServerState>> = {
  drain: 'drain',
  maintenance: 'maintenance',
  ready: 'up',
  up: 'up',
};

const BODY_BYTES_MAX = 4096;

class AdminRequestError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export class AdminServer {
  readonly config: AdminConfig;
  readonly #services: AdminServices;
  readonly #server: Server;

  constructor(config: AdminConfig, services: AdminServices) {
    this.config = config;
    this.#services = services;
    this.#server = createServer({ maxHeaderSize: 8192, headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        const status = error instanceof AdminRequestError ? error.status : 500;
        const message = error instanceof Error ? error.message : String(error);
        if (status === 500) services.log.error(`admin API: ${req.method} ${req.url}: ${message}`);
        sendJson(res, status, { error: TlbCode.ADMIN_BAD_REQUEST, message });
      });
    });
    this.#server.on('clientError', (_error, socket) => socket.destroy());
  }

  get address(): AddressInfo {
    return boundAddress(this.#server, 'the admin listener');
  }

  listen(): Promise<AddressInfo> {
    return listenOn(
      this.#server,
      this.config,
      { subject: 'the admin listener', logPrefix: 'admin listener' },
      this.#services.log,
    );
  }

  /** Stops listening and closes its connections; never rejects. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://admin').pathname;
    if (path === '/metrics') {
      allow(method, ['GET']);
      const text = await this.#services.metrics.text();
      res.writeHead(200, { 'Content-Type': this.#services.metrics.contentType, 'Cache-Control': 'no-store' });
      res.end(text);
      return;
    }
    if (path === '/health') {
      allow(method, ['GET']);
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    if (path === '/servers') {
      allow(method, ['GET']);
      sendJson(res, 200, { servers: this.#services.control.list().map((view) => this.#describe(view)) });
      return;
    }
    const match = /^\/servers\/([A-Za-z0-9_-]{1,64})(?:\/([a-z]+))?$/.exec(path);
    if (match === null) throw new AdminRequestError(404, `no such admin resource: ${path}`);
    const id = match[1];
    const action = match[2];
    const control = this.#services.control;
    const view = control.get(id);
    if (view === undefined) throw new AdminRequestError(404, `no server with id '${id}'`);
    if (action === undefined) {
      allow(method, ['GET']);
      sendJson(res, 200, this.#describe(view));
      return;
    }
    allow(method, ['POST', 'PUT']);
    const body = await readJsonBody(req);
    const reason = typeof body.reason === 'string' && body.reason !== '' ? body.reason.slice(0, 200) : 'admin API';
    if (action === 'weight') {
      const weight = body.weight;
      if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 1 || weight > 1000) {
        throw new AdminRequestError(400, `weight must be an integer 1..1000, got ${JSON.stringify(weight)}`);
      }
      control.setWeight(id, weight, reason);
    } else {
      const word = action === 'state' ? body.state : action;
      const state =
        typeof word === 'string' && Object.hasOwn(SETTABLE_STATES, word) ? SETTABLE_STATES[word] : undefined;
      if (state === undefined) {
        throw new AdminRequestError(
          action === 'state' ? 400 : 404,
          `state must be one of drain, maintenance, ready; got ${JSON.stringify(word)}` +
            (word === 'down' ? ' (down belongs to health checks; use maintenance to take a server out)' : ''),
        );
      }
      control.setState(id, state, reason);
    }
    sendJson(res, 200, this.#describe(control.get(id) ?? view));
  }

  #describe(view: ServerView): Record<string, unknown> {
    const health = this.#services.health.status(view.id);
    return {
      ...view,
      effectiveWeight: this.#services.effectiveWeight?.(view.id) ?? view.weight,
      health: health ?? null,
    };
  }
}

function allow(method: string, methods: readonly string[]): void {
  if (!methods.includes(method))
    throw new AdminRequestError(405, `${method} is not allowed here; use ${methods.join(' or ')}`);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = `${JSON.stringify(value, null, 2)}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

/** The request's JSON object body; an empty body is `{}`. */
async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > BODY_BYTES_MAX) throw new AdminRequestError(413, `the body is over ${BODY_BYTES_MAX} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AdminRequestError(400, 'the body is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AdminRequestError(400, 'the body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
