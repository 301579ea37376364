// An HTTP/1.1 listener: our own connection handling (http1/client-connection.ts) on the
// client side, one HttpExchange per request and one UpgradeExchange per Upgrade request.
// The parser is the first line of defence against request smuggling: it refuses bare LF,
// obs-fold, invalid names and targets, and an HTTP/1.1 request without exactly one Host;
// framingProblem() then refuses Transfer-Encoding with Content-Length, duplicate lengths,
// a Transfer-Encoding that does not end in chunked, and a length that is not a number,
// before anything is routed.
import type { AddressInfo, Socket } from 'node:net';
import type { Clock } from '@tandem/testkit';
import type { HttpListenerConfig, LimitsConfig } from './config.js';
import { TlbCode } from './errors.js';
import type { ExchangeContext, FinishingExchange } from './http/exchange-context.js';
import { inspectRequestHead, type RequestHead } from './http/forward-headers.js';
import { HttpExchange } from './http/http-exchange.js';
import { UpgradeExchange } from './http/upgrade-exchange.js';
import {
  ClientListener,
  type ClientLimits,
  type ClientProblem,
  type InboundRequest,
  type InspectedRequest,
  type OutboundResponse,
} from './http1/client-connection.js';
import type { RequestLine } from './http1/request-head.js';
import { requestFraming } from './http1/request-head.js';
import type { AccessLog, EventLog } from './log.js';
import type { LbMetrics } from './metrics.js';
import type { PassiveObserver } from './passive-detector.js';
import { boundAddress, listenOn, waitWhileBusy } from './listener-socket.js';
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
  readonly #clients: ClientListener;
  readonly #exchanges = new Set<FinishingExchange>();
  readonly #warned = new Set<string>();
  /** Upgraded connections (WebSocket) still open: they left the ClientListener's count. */
  #upgraded = 0;
  #listener: HttpListenerConfig;
  #context: ExchangeContext;

  constructor(listener: HttpListenerConfig, limits: LimitsConfig, topology: Topology, services: ProxyServices) {
    this.#services = services;
    this.#listener = listener;
    this.#context = this.#makeContext(listener, topology);
    this.#clients = new ClientListener({
      clock: services.clock,
      limits: clientLimits(limits),
      handlers: {
        onRequest: (request, response) => this.#onRequest(request, response),
        onUpgrade: (request, socket, rest) => this.#onUpgrade(request, socket, rest),
        onProblem: (problem) => this.#onProblem(problem),
      },
      inspect: inspectRequest,
      problemCode: (status) =>
        status === 431 ? TlbCode.HEADERS_TOO_LARGE : status === 408 ? TlbCode.CLIENT_TIMEOUT : TlbCode.BAD_REQUEST,
    });
  }

  get name(): string {
    return this.#listener.name;
  }

  get config(): HttpListenerConfig {
    return this.#listener;
  }

  /** The bound address (after listen). */
  get address(): AddressInfo {
    return boundAddress(this.#clients.server, `listener ${this.name}`);
  }

  /** Exchanges in flight (requests and upgraded connections). */
  get inFlight(): number {
    return this.#exchanges.size;
  }

  /** Client connections open now (for tests); upgraded ones count until they close. */
  connectionCount(): Promise<number> {
    return Promise.resolve(this.#clients.connectionCount + this.#upgraded);
  }

  listen(): Promise<AddressInfo> {
    const name = `listener ${this.name}`;
    return listenOn(this.#clients.server, this.#listener, { subject: name, logPrefix: name }, this.#services.log);
  }

  /**
   * A reload: the same address, maybe new rules, pools and limits. Requests already in flight
   * finish under the generation they started with; the next request on any connection,
   * kept-alive ones included, uses the new one. The new limits apply to open connections too.
   */
  update(listener: HttpListenerConfig, limits: LimitsConfig, topology: Topology): void {
    this.#listener = listener;
    this.#context = this.#makeContext(listener, topology);
    this.#clients.limits = clientLimits(limits);
  }

  /**
   * Stops accepting, lets requests in flight finish for up to graceMs, then cuts what is
   * left. Idle keep-alive connections close at once.
   */
  async close(graceMs: number): Promise<void> {
    const server = this.#clients.server;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.#clients.closeIdleConnections();
    await waitWhileBusy(
      this.#services.clock,
      graceMs,
      () => this.#exchanges.size > 0,
      () => this.#clients.closeIdleConnections(),
    );
    for (const exchange of this.#exchanges) exchange.abort();
    this.#clients.closeAllConnections();
    await closed;
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

  #onRequest(request: InboundRequest, response: OutboundResponse): void {
    const exchange = new HttpExchange(this.#context, request, response);
    this.#exchanges.add(exchange);
    exchange.run();
  }

  #onUpgrade(request: InboundRequest, socket: Socket, rest: Buffer): void {
    socket.on('error', () => socket.destroy());
    this.#upgraded++;
    socket.once('close', () => this.#upgraded--);
    const exchange = new UpgradeExchange(this.#context, request, socket, rest, request.head, request.head.upgrade!);
    this.#exchanges.add(exchange);
    exchange.run();
  }

  /** A request the parser or a limit refused (already answered 400, 408, 431 or 505 and closed). */
  #onProblem(problem: ClientProblem): void {
    const remote = problem.remoteAddress ?? '?';
    if (problem.status === 408) {
      this.#services.log.notice(
        `${TlbCode.CLIENT_TIMEOUT} ${this.name}: client ${remote} timed out: ${problem.detail}`,
      );
      return;
    }
    const code = problem.status === 431 ? TlbCode.HEADERS_TOO_LARGE : TlbCode.BAD_REQUEST;
    this.#services.log.warning(`${code} ${this.name}: refused a request from ${remote}: ${problem.detail}`);
  }
}

function clientLimits(limits: LimitsConfig): ClientLimits {
  return {
    maxHeaderBytes: limits.maxHeaderBytes,
    headersTimeoutMs: limits.headersTimeoutMs,
    requestTimeoutMs: limits.requestTimeoutMs,
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
  };
}

/** The proxy's reading of a parsed head: framing checks, keep-alive, upgrade. A string refuses it. */
function inspectRequest(line: RequestLine): InspectedRequest | string {
  const head = inspectRequestHead(line.rawHeaders);
  const refusal = framingProblem(head);
  if (refusal !== undefined) return refusal;
  const upgradeAsked = head.connectionTokens?.has('upgrade') === true;
  if (upgradeAsked && (head.upgrade === undefined || head.upgrade === ''))
    return 'an Upgrade request without an Upgrade header';
  return {
    head,
    framing: requestFraming(head.transferEncoding, head.contentLength),
    keepAlive: line.httpVersion === '1.1' ? !head.connectionClose : head.connectionKeepAlive && !head.connectionClose,
    upgrade: upgradeAsked && head.upgrade !== undefined,
    expectsContinue: head.expectContinue,
  };
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
  // The body is de-chunked and re-chunked on the way up: another coding under chunked would be lost.
  if (head.transferEncoding !== undefined && !/^\s*chunked\s*$/i.test(head.transferEncoding))
    return `Transfer-Encoding ${head.transferEncoding}: only chunked is supported`;
  if (head.contentLength !== undefined && !/^\d{1,15}$/.test(head.contentLength))
    return `Content-Length ${head.contentLength} is not a number`;
  return undefined;
}
