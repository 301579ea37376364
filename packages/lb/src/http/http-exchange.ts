// One HTTP request through the proxy: route it to a pool, find the server persistence binds
// it to or let the balancer choose, send it over a pooled keep-alive connection, and stream
// the response back with the persistence cookie added. Retries and failures:
//
// - A connection that fails or times out before it is established sent nothing: the request
//   is retried on another server (any method), at most `retries` times.
// - A connection that breaks before any response byte, for an idempotent request whose body
//   (if any) was not yet streamed, is retried too: the backend may have seen it, and an
//   idempotent request may safely run twice (RFC 9110 section 9.2.2). This covers a backend
//   killed mid-request and the keep-alive race (a pooled socket the backend just closed).
// - Anything else (a response timeout, a break after the body or the response started) is
//   answered 502/504 if the response has not started, else the client connection is cut.
//
// Every exit path runs #finish exactly once: the server's in-flight count is returned, the
// upstream request is destroyed if it is still open (so a client that leaves takes its
// backend connection with it), and the access log gets its line.
import {
  request as httpRequest,
  STATUS_CODES,
  type ClientRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { BackendServer } from '../backend-server.js';
import type { AccessRecord } from '../log.js';
import type { FailureKind } from '../passive-detector.js';
import { LbError, TlbCode, type TlbCodeName } from '../errors.js';
import { privateCacheControl, removeCookie, setsCookie } from '../persistence/cookies.js';
import type { StickyTarget } from '../persistence/pool-persistence.js';
import type { Pool } from '../pool.js';
import { normalizeAddress } from '../trusted-proxies.js';
import { downstreamResponseHeaders, upstreamRequestHeaders, type RequestHead } from './forward-headers.js';
import { releaseAttempt, routeExchange, type ExchangeContext } from './exchange-context.js';

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const NOTHING_TRIED: ReadonlySet<BackendServer> = new Set();

interface Attempt {
  readonly server: BackendServer;
  readonly pool: Pool;
  readonly upstream: ClientRequest;
  readonly startedMs: number;
  connected: boolean;
  bodyStarted: boolean;
  responded: boolean;
  /** The server's in-flight count was returned for this attempt. */
  released: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class HttpExchange {
  readonly #context: ExchangeContext;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #head: RequestHead;
  readonly #peer: string;
  readonly #peerTrusted: boolean;
  readonly #clientAddress: string;
  readonly #startedMs: number;
  readonly #hasBody: boolean;
  #pool: Pool | undefined;
  #url: string;
  #sticky: readonly StickyTarget[] = [];
  #cookieServerId: string | undefined;
  #tried: Set<BackendServer> | undefined;
  #attempt: Attempt | undefined;
  #attempts = 0;
  #upstreamMs = -1;
  #bytesSent = 0;
  #outcome = '-';
  #finished = false;

  constructor(context: ExchangeContext, req: IncomingMessage, res: ServerResponse, head: RequestHead) {
    this.#context = context;
    this.#req = req;
    this.#res = res;
    this.#head = head;
    this.#startedMs = context.clock.monotonicMs();
    this.#peer = normalizeAddress(req.socket.remoteAddress);
    const trusted = context.topology.trusted;
    this.#peerTrusted = trusted.isTrusted(this.#peer);
    this.#clientAddress = this.#peerTrusted ? trusted.clientAddress(this.#peer, head.forwardedFor) : this.#peer;
    this.#url = req.url ?? '/';
    // HTTP/1.1 framing (RFC 9112 section 6.3): a body exists only with Transfer-Encoding or a
    // non-zero Content-Length. Node's parser has already refused any request with both.
    this.#hasBody =
      head.transferEncoding !== undefined || (head.contentLength !== undefined && head.contentLength !== '0');
  }

  /** True once the exchange has ended (response finished, client gone, or the process stopping). */
  get finished(): boolean {
    return this.#finished;
  }

  run(): void {
    this.#res.once('close', () => this.#onClientClose());
    // A client error while its body streams up is seen as the response's close; never unhandled.
    this.#req.on('error', () => undefined);
    const routed = routeExchange(this.#context, this.#head, this.#url, this.#clientAddress);
    this.#pool = routed.pool;
    this.#url = routed.url;
    this.#sticky = routed.sticky;
    this.#cookieServerId = routed.cookieServerId;
    this.#tryNext(undefined);
  }

  /** Ends the exchange at once (the process is stopping past its grace period). */
  abort(): void {
    this.#res.destroy();
  }

  #tryNext(lastFailure: { readonly codeName: TlbCodeName; readonly message: string } | undefined): void {
    const pool = this.#pool;
    if (pool === undefined || this.#finished) return;
    const retriesLeft = this.#attempts <= pool.config.retries;
    const choice = retriesLeft
      ? pool.choose({ clientAddress: this.#clientAddress, sticky: this.#sticky, tried: this.#tried ?? NOTHING_TRIED })
      : undefined;
    if (choice === undefined) {
      if (lastFailure === undefined) {
        const backup = pool.backup === undefined ? '' : ` nor of its backup pool ${pool.backup.name}`;
        this.#respondError(
          503,
          'NO_SERVER_AVAILABLE',
          `no server of pool ${pool.name} can take the request now (${pool.describeStates()})${backup}; try again later`,
        );
      } else {
        const tried = [...(this.#tried ?? [])].map((server) => server.id).join(', ');
        const status =
          lastFailure.codeName === 'UPSTREAM_TIMEOUT' ? 504 : lastFailure.codeName === 'UPSTREAM_BROKEN' ? 502 : 503;
        this.#respondError(status, lastFailure.codeName, `${lastFailure.message} (tried ${tried})`);
      }
      return;
    }
    this.#send(choice.server, choice.pool);
  }

  #send(server: BackendServer, pool: Pool): void {
    const context = this.#context;
    const timeouts = pool.config.timeouts;
    const routed = this.#pool!;
    this.#attempts++;
    server.begin();
    const headers = upstreamRequestHeaders(this.#req.rawHeaders, this.#head, {
      peerTrusted: this.#peerTrusted,
      peer: this.#peer,
      proto: 'http',
      stripCookie: routed.persistence.cookieName,
      removeCookie,
      chunked: this.#head.transferEncoding !== undefined,
      upgrade: undefined,
      urlToken: routed.persistence.urlTokenFor(server),
    });
    const upstream = httpRequest({
      host: server.host,
      port: server.port,
      method: this.#req.method,
      path: this.#url,
      headers,
      setHost: false,
      agent: server.agent({ keepAliveMs: timeouts.keepAliveMs, connectionsMax: pool.config.connectionsPerServerMax }),
      // The socket's inactivity limit while this request uses it (the agent restores its own when the socket is pooled).
      timeout: timeouts.idleMs,
    });
    const attempt: Attempt = {
      server,
      pool,
      upstream,
      startedMs: context.clock.monotonicMs(),
      connected: false,
      bodyStarted: false,
      responded: false,
      released: false,
      timer: undefined,
    };
    this.#attempt = attempt;
    upstream.on('error', (error) => this.#onUpstreamError(attempt, error));
    upstream.on('timeout', () =>
      upstream.destroy(
        new LbError('UPSTREAM_TIMEOUT', `server ${server.id} (${server.address}) was silent for ${timeouts.idleMs} ms`),
      ),
    );
    upstream.on('socket', (socket) => {
      if (!socket.connecting) {
        this.#onConnected(attempt);
        return;
      }
      attempt.timer = setTimeout(() => {
        upstream.destroy(
          new LbError(
            'UPSTREAM_TIMEOUT',
            `connect to server ${server.id} (${server.address}) took over ${timeouts.connectMs} ms`,
          ),
        );
      }, timeouts.connectMs);
      socket.once('connect', () => this.#onConnected(attempt));
    });
    upstream.on('response', (response) => this.#onResponse(attempt, response));
    // Without a body the request is complete now: node sends it as soon as the socket connects.
    if (!this.#hasBody) upstream.end();
  }

  #onConnected(attempt: Attempt): void {
    if (attempt.released) return;
    attempt.connected = true;
    clearTimeout(attempt.timer);
    const responseMs = attempt.pool.config.timeouts.responseMs;
    attempt.timer = setTimeout(() => {
      attempt.upstream.destroy(
        new LbError(
          'UPSTREAM_TIMEOUT',
          `server ${attempt.server.id} (${attempt.server.address}) sent no response within ${responseMs} ms`,
        ),
      );
    }, responseMs);
    if (this.#hasBody) {
      // Streamed only now, so that a failed connection leaves the body unread for a retry.
      attempt.bodyStarted = true;
      this.#req.pipe(attempt.upstream);
    }
  }

  #onResponse(attempt: Attempt, response: IncomingMessage): void {
    clearTimeout(attempt.timer);
    attempt.timer = undefined;
    attempt.responded = true;
    if (this.#finished) {
      response.destroy();
      return;
    }
    const context = this.#context;
    const { server } = attempt;
    const status = response.statusCode ?? 502;
    this.#upstreamMs = context.clock.monotonicMs() - attempt.startedMs;
    attempt.pool.balancer.observeLatency(server, this.#upstreamMs);
    if (status >= 500) context.passive.reportFailure(server, 'status-5xx', `status ${status}`);
    else context.passive.reportSuccess(server);

    const persistence = this.#pool!.persistence;
    persistence.remember(this.#clientAddress, server);
    const setCookie =
      persistence.cookieName !== undefined && this.#cookieServerId !== server.id
        ? persistence.setCookieFor(server)
        : undefined;
    const { headers, cookieConflict } = downstreamResponseHeaders(response.rawHeaders, {
      cookieName: persistence.cookieName,
      setCookie,
      privateCacheControl,
      setsCookie,
      upgrade: false,
    });
    if (cookieConflict)
      context.warnOnce(
        `cookie-conflict:${server.id}`,
        `${TlbCode.APPLICATION_COOKIE_CONFLICT} server ${server.id} sets the persistence cookie ${persistence.cookieName} itself; its value is dropped (rename one of them)`,
      );
    if (context.responseTag !== undefined) headers.push(context.responseTag[0], context.responseTag[1]);
    try {
      this.#res.writeHead(status, response.statusMessage, headers);
    } catch (error) {
      // An invalid header from the backend (node validates on write): a bad gateway, not a crash.
      response.destroy();
      this.#respondError(502, 'UPSTREAM_BROKEN', `server ${server.id} sent an invalid response head: ${String(error)}`);
      return;
    }
    response.on('data', (chunk: Buffer) => {
      this.#bytesSent += chunk.length;
    });
    response.on('close', () => {
      // The backend's connection ended before the whole body: the client must see a cut, not a short success.
      if (!response.complete) {
        this.#outcome = TlbCode.UPSTREAM_BROKEN;
        context.passive.reportFailure(server, 'broken', 'connection closed mid-response');
        this.#res.destroy();
      }
    });
    response.on('error', () => undefined);
    response.pipe(this.#res);
  }

  #onUpstreamError(attempt: Attempt, error: Error): void {
    clearTimeout(attempt.timer);
    attempt.timer = undefined;
    if (this.#finished || this.#attempt !== attempt) return; // we destroyed it ourselves
    const { server } = attempt;
    if (attempt.responded) {
      // The response head was forwarded: cut the client; response 'close' reports the failure.
      this.#res.destroy();
      return;
    }
    releaseAttempt(attempt);
    const timedOut = error instanceof LbError && error.codeName === 'UPSTREAM_TIMEOUT';
    const reason = describeError(error);
    let kind: FailureKind;
    let retryable: boolean;
    let codeName: TlbCodeName;
    if (!attempt.connected) {
      // Nothing was sent: safe to retry whatever the method.
      kind = timedOut ? 'timeout' : 'connect';
      retryable = true;
      codeName = timedOut ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_CONNECT_FAILED';
    } else {
      kind = timedOut ? 'timeout' : 'broken';
      retryable = !timedOut && !attempt.bodyStarted && IDEMPOTENT_METHODS.has(this.#req.method ?? '');
      codeName = timedOut ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_BROKEN';
    }
    // A pooled socket the backend closed just as we reused it is the keep-alive race, not a sick server.
    const keepAliveRace = attempt.connected && !timedOut && attempt.upstream.reusedSocket;
    if (!keepAliveRace) this.#context.passive.reportFailure(server, kind, reason);
    (this.#tried ??= new Set()).add(server);
    const pool = this.#pool!;
    const willRetry = retryable && this.#attempts <= pool.config.retries;
    const message = `server ${server.id} (${server.address}) of pool ${attempt.pool.name}: ${reason}`;
    if (!keepAliveRace) {
      this.#context.log.warning(
        `${TlbCode[codeName]} ${this.#context.listenerName}: ${this.#req.method} ${this.#url}: ${message}` +
          (willRetry
            ? `; retrying on another server (attempt ${this.#attempts + 1} of at most ${pool.config.retries + 1})`
            : ''),
      );
    }
    if (willRetry) {
      this.#tryNext({ codeName, message });
      return;
    }
    this.#respondError(timedOut ? 504 : attempt.connected ? 502 : 503, codeName, message);
  }

  /** Answers with an error of our own, unless the response has started (then the connection is cut). */
  #respondError(status: number, codeName: TlbCodeName, message: string): void {
    this.#outcome = TlbCode[codeName];
    const res = this.#res;
    if (res.headersSent || this.#finished) {
      res.destroy();
      return;
    }
    if (status === 503 && codeName === 'NO_SERVER_AVAILABLE') {
      this.#context.log.warning(
        `${TlbCode[codeName]} ${this.#context.listenerName}: ${this.#req.method} ${this.#url}: ${message}`,
      );
    }
    const body = `${status} ${STATUS_CODES[status] ?? ''}\n\n${TlbCode[codeName]}: ${message}\n`;
    const headers: Record<string, string | number> = {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    };
    if (status === 503) headers['Retry-After'] = 5;
    // The body of a request we could not forward may be large and still coming: close after answering.
    if (this.#hasBody) headers.Connection = 'close';
    this.#bytesSent += Buffer.byteLength(body);
    res.writeHead(status, headers);
    res.end(body);
  }

  #onClientClose(): void {
    if (this.#finished) return;
    this.#finished = true;
    const res = this.#res;
    const completed = res.writableFinished;
    const attempt = this.#attempt;
    if (attempt !== undefined) {
      if (!completed || !attempt.responded) {
        // The client left (or we cut it): the backend connection goes too, never back to the pool half-read.
        attempt.upstream.destroy();
        if (this.#outcome === '-') this.#outcome = 'client-aborted';
      }
      releaseAttempt(attempt);
    } else if (!completed && this.#outcome === '-') {
      this.#outcome = 'client-aborted';
    }
    const context = this.#context;
    context.onFinished(this);
    const record: AccessRecord = {
      listener: context.listenerName,
      client: this.#clientAddress,
      request: `${this.#req.method} ${this.#req.url} HTTP/${this.#req.httpVersion}`,
      status: res.headersSent ? res.statusCode : 0,
      bytesSent: this.#bytesSent,
      pool: this.#pool?.name ?? '-',
      server: attempt?.server.id ?? '-',
      attempts: this.#attempts,
      upstreamMs: this.#upstreamMs,
      totalMs: context.clock.monotonicMs() - this.#startedMs,
      outcome: this.#outcome,
    };
    context.metrics.record(record);
    context.accessLog.record(record);
  }
}

export function describeError(error: Error): string {
  if (error instanceof LbError) return error.message.slice(error.code.length + 2);
  const code = (error as NodeJS.ErrnoException).code;
  return code === undefined ? error.message : `${code} (${error.message})`;
}
