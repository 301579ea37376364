// An HTTP/1.1 listener: node's http server on the client side, one HttpExchange per request
// and one UpgradeExchange per Upgrade request. Node's parser (llhttp, strict) is the first
// line of defence against request smuggling: it refuses Transfer-Encoding with
// Content-Length, duplicate Content-Length, obs-fold, a Transfer-Encoding that does not end
// in chunked, and bare LF line ends, all before a request event. The listener still checks
// the framing headers itself, so a parser that ever let one through (insecureHTTPParser,
// a future lenient default) could not turn into a smuggled request upstream.
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Clock } from '@tandem/testkit';
import type { HttpListenerConfig, LimitsConfig } from './config.js';
import { TlbCode } from './errors.js';
import type { ExchangeContext, FinishingExchange } from './http/exchange-context.js';
import { inspectRequestHead, type RequestHead } from './http/forward-headers.js';
import { HttpExchange } from './http/http-exchange.js';
import { UpgradeExchange } from './http/upgrade-exchange.js';
import type { AccessLog, EventLog } from './log.js';
import type { LbMetrics } from './metrics.js';
import type { PassiveObserver } from './passive-detector.js';
import { boundAddress, connectionCount, listenOn, waitWhileBusy } from './listener-socket.js';
import { HttpRouter } from './router.js';
import type { Topology } from './topology.js';

export interface ProxyServices {
  readonly clock: Clock;
  readonly log: EventLog;
  readonly accessLog: AccessLog;
  readonly passive: PassiveObserver;
  readonly metrics: LbMetrics;
  /** A header added to every proxied response (tests of cluster mode: the worker's pid), if any. */
  readonly responseTag?: readonly [string, string];
}

export class HttpProxy {
  readonly #services: ProxyServices;
  readonly #server: Server;
  readonly #exchanges = new Set<FinishingExchange>();
  readonly #warned = new Set<string>();
  #listener: HttpListenerConfig;
  #context: ExchangeContext;

  constructor(listener: HttpListenerConfig, limits: LimitsConfig, topology: Topology, services: ProxyServices) {
    this.#services = services;
    this.#listener = listener;
    this.#context = this.#makeContext(listener, topology);
    this.#server = createServer({
      maxHeaderSize: limits.maxHeaderBytes,
      // Node checks the two request timeouts every connectionsCheckingInterval (30 s by
      // default): check often enough that the limits mean what they say.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Repeated headers arrive as node delivers them; we forward rawHeaders, never the joined view.
      joinDuplicateHeaders: false,
      noDelay: true,
    });
    this.#applyLimits(limits);
    this.#server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#onRequest(req, res));
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#onUpgrade(req, socket, head),
    );
    this.#server.on('clientError', (error: Error, socket: Duplex) => this.#onClientError(error, socket));
  }

  get name(): string {
    return this.#listener.name;
  }

  get config(): HttpListenerConfig {
    return this.#listener;
  }

  /** The bound address (after listen). */
  get address(): AddressInfo {
    return boundAddress(this.#server, `listener ${this.name}`);
  }

  /** Exchanges in flight (requests and upgraded connections). */
  get inFlight(): number {
    return this.#exchanges.size;
  }

  /** Client connections open now (for tests). */
  connectionCount(): Promise<number> {
    return connectionCount(this.#server);
  }

  listen(): Promise<AddressInfo> {
    const name = `listener ${this.name}`;
    return listenOn(this.#server, this.#listener, { subject: name, logPrefix: name }, this.#services.log);
  }

  /**
   * A reload: the same address, maybe new rules, pools and limits. Requests already in flight
   * finish under the generation they started with; the next request on any connection,
   * kept-alive ones included, uses the new one. maxHeaderBytes applies to new listeners only
   * (node fixes it when the server is made).
   */
  update(listener: HttpListenerConfig, limits: LimitsConfig, topology: Topology): void {
    this.#listener = listener;
    this.#context = this.#makeContext(listener, topology);
    this.#applyLimits(limits);
  }

  /**
   * Stops accepting, lets requests in flight finish for up to graceMs, then cuts what is
   * left. Idle keep-alive connections close at once.
   */
  async close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    await waitWhileBusy(
      this.#services.clock,
      graceMs,
      () => this.#exchanges.size > 0,
      () => this.#server.closeIdleConnections(),
    );
    for (const exchange of this.#exchanges) exchange.abort();
    this.#server.closeAllConnections();
    await closed;
  }

  #applyLimits(limits: LimitsConfig): void {
    this.#server.headersTimeout = limits.headersTimeoutMs;
    this.#server.requestTimeout = limits.requestTimeoutMs;
    this.#server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  }

  #makeContext(listener: HttpListenerConfig, topology: Topology): ExchangeContext {
    const services = this.#services;
    return {
      clock: services.clock,
      log: services.log,
      accessLog: services.accessLog,
      passive: services.passive,
      metrics: services.metrics,
      responseTag: services.responseTag,
      topology,
      router: new HttpRouter(listener, topology.pools),
      listenerName: listener.name,
      warnOnce: (key, message) => {
        if (this.#warned.has(key)) return;
        this.#warned.add(key);
        services.log.warning(message);
      },
      onFinished: (exchange) => this.#exchanges.delete(exchange),
    };
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const head = inspectRequestHead(req.rawHeaders);
    const refusal = framingProblem(head);
    if (refusal !== undefined) {
      this.#services.log.warning(
        `${TlbCode.BAD_REQUEST} ${this.name}: refused a request from ${req.socket.remoteAddress ?? '?'}: ${refusal}`,
      );
      const body = `400 Bad Request\n\n${TlbCode.BAD_REQUEST}: ${refusal}\n`;
      res.writeHead(400, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        Connection: 'close',
      });
      res.end(body);
      return;
    }
    const exchange = new HttpExchange(this.#context, req, res, head);
    this.#exchanges.add(exchange);
    exchange.run();
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, headBytes: Buffer): void {
    socket.on('error', () => socket.destroy());
    const head: RequestHead = inspectRequestHead(req.rawHeaders);
    const upgrade = req.headers.upgrade;
    const refusal =
      framingProblem(head) ??
      (upgrade === undefined || upgrade === '' ? 'an Upgrade request without an Upgrade header' : undefined);
    if (refusal !== undefined) {
      this.#services.log.warning(
        `${TlbCode.BAD_REQUEST} ${this.name}: refused an upgrade from ${req.socket.remoteAddress ?? '?'}: ${refusal}`,
      );
      socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    // node's http server hands over the net.Socket it accepted.
    const exchange = new UpgradeExchange(this.#context, req, socket as Socket, headBytes, head, upgrade!);
    this.#exchanges.add(exchange);
    exchange.run();
  }

  /**
   * A request node's parser refused (malformed, smuggling shapes, too large), or a client
   * too slow to send one. Answer with the matching status if nothing was written on this
   * connection yet for a request in progress, and close.
   */
  #onClientError(error: Error, socket: Duplex): void {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable) {
      socket.destroy();
      return;
    }
    let status = 400;
    let tlb: string = TlbCode.BAD_REQUEST;
    if (code === 'HPE_HEADER_OVERFLOW') {
      status = 431;
      tlb = TlbCode.HEADERS_TOO_LARGE;
    } else if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'HPE_HEADER_TIMEOUT') {
      status = 408;
      tlb = TlbCode.CLIENT_TIMEOUT;
    }
    const remote = (socket as Socket).remoteAddress ?? '?';
    const reason = (error as { reason?: unknown }).reason;
    const detail = typeof reason === 'string' ? reason : error.message;
    if (status === 408) this.#services.log.notice(`${tlb} ${this.name}: client ${remote} timed out: ${detail}`);
    else this.#services.log.warning(`${tlb} ${this.name}: refused a request from ${remote}: ${code} ${detail}`);
    // Node keeps the response in progress on a socket as _httpMessage; a status line in the
    // middle of another response would corrupt it, so then the connection is only closed.
    const inProgress = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (inProgress?.headersSent === true) {
      socket.destroy();
      return;
    }
    const body = `${status} ${STATUS_CODES[status]}\n\n${tlb}: ${detail}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
}

/**
 * Why a request's framing is ambiguous, or undefined if it is sound: both Transfer-Encoding
 * and Content-Length (RFC 9112 section 6.3: a proxy must not forward such a message as it
 * is), more than one Content-Length or Transfer-Encoding header, a Transfer-Encoding other
 * than chunked last, or a Content-Length that is not a plain decimal.
 */
export function framingProblem(head: RequestHead): string | undefined {
  if (head.transferEncoding !== undefined && head.contentLengthCount > 0)
    return 'both Transfer-Encoding and Content-Length';
  if (head.contentLengthCount > 1) return 'more than one Content-Length';
  if (head.transferEncodingCount > 1) return 'more than one Transfer-Encoding';
  if (head.transferEncoding !== undefined && !/(^|,)\s*chunked\s*$/i.test(head.transferEncoding)) {
    return `Transfer-Encoding ${head.transferEncoding} does not end in chunked`;
  }
  if (head.contentLength !== undefined && !/^\d{1,15}$/.test(head.contentLength))
    return `Content-Length ${head.contentLength} is not a number`;
  return undefined;
}
