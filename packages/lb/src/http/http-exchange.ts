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
import { STATUS_CODES } from 'node:http';
import type { BackendServer } from '../backend-server.js';
import type { AccessRecord } from '../log.js';
import type { FailureKind } from '../passive-detector.js';
import { LbError, TlbCode, type TlbCodeName } from '../errors.js';
import type { ConnectionWaiter, ResponseSink, UpstreamConnection, UpstreamPool } from '../http1/upstream-connection.js';
import type { InboundRequest, OutboundResponse } from '../http1/client-connection.js';
import type { ResponseHead } from '../http1/response-head.js';
import { privateCacheControl, removeCookie, setsCookie } from '../persistence/cookies.js';
import type { StickyTarget } from '../persistence/pool-persistence.js';
import type { Pool } from '../pool.js';
import { normalizeAddress } from '../trusted-proxies.js';
import { downstreamResponseHeaders, upstreamRequestHeaders, type RequestHead } from './forward-headers.js';
import { bindClient, releaseAttempt, routeExchange, type ExchangeContext } from './exchange-context.js';

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const NOTHING_TRIED: ReadonlySet<BackendServer> = new Set();
const LAST_CHUNK = '0\r\n\r\n';

interface Attempt extends ConnectionWaiter, ResponseSink {
  readonly server: BackendServer;
  readonly pool: Pool;
  readonly connections: UpstreamPool;
  readonly startedMs: number;
  connection: UpstreamConnection | undefined;
  connected: boolean;
  bodyStarted: boolean;
  responded: boolean;
  /** Waiting for the client to drain before reading more of the response. */
  paused: boolean;
  /** The server's in-flight count was returned for this attempt. */
  released: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class HttpExchange {
  readonly #context: ExchangeContext;
  readonly #req: InboundRequest;
  readonly #res: OutboundResponse;
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
  /** The last attempt met a kept-alive connection the backend had closed: open a new one. */
  #freshConnection = false;
  #upstreamMs = -1;
  #bytesSent = 0;
  #outcome = '-';
  #finished = false;

  constructor(context: ExchangeContext, req: InboundRequest, res: OutboundResponse) {
    const head = req.head;
    this.#context = context;
    this.#req = req;
    this.#res = res;
    this.#head = head;
    this.#startedMs = context.clock.monotonicMs();
    this.#peer = normalizeAddress(req.remoteAddress);
    const trusted = context.topology.trusted;
    this.#peerTrusted = trusted.isTrusted(this.#peer);
    this.#clientAddress = this.#peerTrusted ? trusted.clientAddress(this.#peer, head.forwardedFor) : this.#peer;
    this.#url = req.url;
    // HTTP/1.1 framing (RFC 9112 section 6.3): a body exists only with Transfer-Encoding or a
    // non-zero Content-Length. The listener has already refused any request with both.
    this.#hasBody = req.framing.kind !== 'none';
  }

  /** True once the exchange has ended (response finished, client gone, or the process stopping). */
  get finished(): boolean {
    return this.#finished;
  }

  run(): void {
    this.#res.onClose(() => this.#onClientClose());
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
    const timeouts = pool.config.timeouts;
    this.#attempts++;
    server.begin();
    const connections = server.connections({
      keepAliveMs: timeouts.keepAliveMs,
      connectionsMax: pool.config.connectionsPerServerMax,
    });
    const attempt: Attempt = {
      server,
      pool,
      connections,
      startedMs: this.#context.clock.monotonicMs(),
      connection: undefined,
      connected: false,
      bodyStarted: false,
      responded: false,
      paused: false,
      released: false,
      timer: undefined,
      onConnection: (connection) => this.#onConnected(attempt, connection),
      onConnectError: (error) => this.#onUpstreamError(attempt, error),
      onResponseHead: (head) => this.#onResponseHead(attempt, head),
      onResponseData: (chunk) => this.#onResponseData(attempt, chunk),
      onResponseEnd: () => this.#onResponseEnd(attempt),
      onUpstreamError: (error) => this.#onUpstreamError(attempt, error),
    };
    this.#attempt = attempt;
    connections.lease(attempt, this.#freshConnection);
    // A kept-alive connection is handed over at once; else the connect (or the wait for a free slot) is timed.
    if (attempt.connection === undefined && this.#attempt === attempt && !attempt.released) {
      attempt.timer = setTimeout(() => {
        connections.cancel(attempt);
        const busy = connections.counts();
        this.#onUpstreamError(
          attempt,
          new LbError(
            'UPSTREAM_TIMEOUT',
            busy.waiting > 0 || pool.config.connectionsPerServerMax === busy.busy
              ? `no connection to server ${server.id} (${server.address}) came free within ${timeouts.connectMs} ms (${busy.busy} in use)`
              : `connect to server ${server.id} (${server.address}) took over ${timeouts.connectMs} ms`,
          ),
        );
      }, timeouts.connectMs);
    }
  }

  #onConnected(attempt: Attempt, connection: UpstreamConnection): void {
    if (attempt.released || this.#finished || this.#attempt !== attempt) {
      connection.returnUnused();
      return;
    }
    attempt.connection = connection;
    attempt.connected = true;
    clearTimeout(attempt.timer);
    const { server, pool } = attempt;
    const timeouts = pool.config.timeouts;
    attempt.timer = setTimeout(() => {
      this.#onUpstreamError(
        attempt,
        new LbError(
          'UPSTREAM_TIMEOUT',
          `server ${server.id} (${server.address}) sent no response within ${timeouts.responseMs} ms`,
        ),
      );
    }, timeouts.responseMs);
    const req = this.#req;
    const method = req.method;
    const chunked = this.#head.transferEncoding !== undefined;
    const routed = this.#pool!;
    const headers = upstreamRequestHeaders(req.rawHeaders, this.#head, {
      peerTrusted: this.#peerTrusted,
      peer: this.#peer,
      proto: 'http',
      stripCookie: routed.persistence.cookieName,
      removeCookie,
      chunked,
      upgrade: undefined,
      urlToken: routed.persistence.urlTokenFor(server),
    });
    // An HTTP/1.0 request may come without Host; the backend speaks HTTP/1.1, which requires one.
    let head = `${method} ${this.#url} HTTP/1.1\r\n${this.#head.host === undefined ? `Host: ${server.address}\r\n` : ''}`;
    for (let index = 0; index < headers.length; index += 2) head += `${headers[index]}: ${headers[index + 1]}\r\n`;
    connection.start(`${head}\r\n`, method, this.#hasBody, timeouts.idleMs, attempt);
    if (this.#hasBody) {
      // Streamed only now, so that a failed connection leaves the body unread for a retry.
      attempt.bodyStarted = true;
      this.#streamBody(attempt, connection, chunked);
    }
  }

  /** Relays the client's body as it arrives, with backpressure both ways; re-chunked if it came chunked. */
  #streamBody(attempt: Attempt, connection: UpstreamConnection, chunked: boolean): void {
    const req = this.#req;
    req.readBody({
      onData: (chunk) => {
        if (attempt.released || connection.destroyed) return;
        if (!connection.writeBody(chunk, chunked)) {
          req.pause();
          connection.onDrain(() => req.resume());
        }
      },
      onEnd: () => {
        if (!attempt.released && !connection.destroyed) connection.endBody(chunked ? LAST_CHUNK : undefined);
      },
    });
  }

  #onResponseHead(attempt: Attempt, head: ResponseHead): void {
    clearTimeout(attempt.timer);
    attempt.timer = undefined;
    attempt.responded = true;
    if (this.#finished) {
      attempt.connection?.destroy();
      return;
    }
    const context = this.#context;
    const { server } = attempt;
    const status = head.statusCode;
    this.#upstreamMs = context.clock.monotonicMs() - attempt.startedMs;
    attempt.pool.balancer.observeLatency(server, this.#upstreamMs);
    if (status >= 500) context.passive.reportFailure(server, 'status-5xx', `status ${status}`);
    else context.passive.reportSuccess(server);

    const { cookieName, setCookie } = bindClient(this.#pool!, this.#clientAddress, this.#cookieServerId, server);
    const { headers, cookieConflict } = downstreamResponseHeaders(head.rawHeaders, {
      cookieName,
      setCookie,
      privateCacheControl,
      setsCookie,
      upgrade: false,
    });
    if (cookieConflict)
      context.warnOnce(
        `cookie-conflict:${server.id}`,
        `${TlbCode.APPLICATION_COOKIE_CONFLICT} server ${server.id} sets the persistence cookie ${cookieName} itself; its value is dropped (rename one of them)`,
      );
    if (context.responseTag !== undefined) headers.push(context.responseTag[0], context.responseTag[1]);
    this.#res.writeHead(status, head.statusMessage, headers);
  }

  #onResponseData(attempt: Attempt, chunk: Buffer): void {
    if (this.#finished) return;
    this.#bytesSent += chunk.length;
    if (!this.#res.write(chunk) && !attempt.paused) {
      // The client reads slower than the backend sends: stop reading the backend until it catches up.
      attempt.paused = true;
      attempt.connection?.pause();
      this.#res.onDrain(() => {
        attempt.paused = false;
        attempt.connection?.resume();
      });
    }
  }

  #onResponseEnd(attempt: Attempt): void {
    if (this.#finished) return;
    // A backend that answered before the whole body arrived (an early 413) loses its connection
    // (release destroys it); node reads and drops the rest of the client's body.
    attempt.connection?.release();
    this.#res.end();
  }

  #onUpstreamError(attempt: Attempt, error: Error): void {
    clearTimeout(attempt.timer);
    attempt.timer = undefined;
    if (this.#finished || this.#attempt !== attempt || attempt.released) return;
    // The connection is unusable after any failure (timeouts arm here; the others destroyed it already).
    attempt.connection?.destroy();
    const { server } = attempt;
    const timedOut = error instanceof LbError && error.codeName === 'UPSTREAM_TIMEOUT';
    const invalid = error instanceof LbError && error.codeName === 'UPSTREAM_INVALID_RESPONSE';
    const reason = describeError(error);
    if (attempt.responded && this.#res.headersSent) {
      // The response head was forwarded: the client must see a cut, not a short success.
      this.#outcome = timedOut
        ? TlbCode.UPSTREAM_TIMEOUT
        : invalid
          ? TlbCode.UPSTREAM_INVALID_RESPONSE
          : TlbCode.UPSTREAM_BROKEN;
      this.#context.passive.reportFailure(server, timedOut ? 'timeout' : 'broken', `mid-response: ${reason}`);
      this.#res.destroy();
      return;
    }
    releaseAttempt(attempt);
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
      retryable =
        !timedOut && !invalid && !attempt.responded && !attempt.bodyStarted && IDEMPOTENT_METHODS.has(this.#req.method);
      codeName = timedOut ? 'UPSTREAM_TIMEOUT' : invalid ? 'UPSTREAM_INVALID_RESPONSE' : 'UPSTREAM_BROKEN';
    }
    // A pooled connection the backend closed just as we reused it is the keep-alive race, not a sick server.
    const keepAliveRace =
      !attempt.responded &&
      attempt.connected &&
      !timedOut &&
      !invalid &&
      attempt.connection?.reused === true &&
      attempt.connection.bytesReceived === 0;
    if (!keepAliveRace) this.#context.passive.reportFailure(server, kind, reason);
    // After the race the same server may be tried again, on a new connection; any other failure rules the server out.
    if (keepAliveRace) this.#freshConnection = true;
    else (this.#tried ??= new Set()).add(server);
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
    const headers = [
      'Content-Type',
      'text/plain; charset=utf-8',
      'Content-Length',
      String(Buffer.byteLength(body)),
      'Cache-Control',
      'no-store',
    ];
    if (status === 503) headers.push('Retry-After', '5');
    this.#bytesSent += Buffer.byteLength(body);
    // The body of a request we could not forward may be large and still coming: close after answering.
    res.writeHead(status, undefined, headers, this.#hasBody);
    res.end(body);
  }

  #onClientClose(): void {
    if (this.#finished) return;
    this.#finished = true;
    const res = this.#res;
    const completed = res.finished;
    const attempt = this.#attempt;
    if (attempt !== undefined) {
      if (!completed || !attempt.responded) {
        // The client left (or we cut it): the backend connection goes too, never back to the pool half-read.
        if (attempt.connection === undefined) attempt.connections.cancel(attempt);
        else attempt.connection.destroy();
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
