// An HTTP Upgrade request (WebSocket, or any other protocol) through the proxy. It is routed,
// made sticky and retried like any request until the backend answers; on 101 Switching
// Protocols the proxy writes the backend's 101 to the client and from then on only pipes
// bytes both ways, with backpressure, until either side closes or both are idle for
// tunnelIdleMs. A backend that answers without switching has its answer passed on, and the
// connection closes after it.
import { request as httpRequest, STATUS_CODES, type ClientRequest, type IncomingMessage } from 'node:http';
import type { InboundRequest } from '../http1/client-connection.js';
import type { Socket } from 'node:net';
import type { BackendServer } from '../backend-server.js';
import { LbError, TlbCode, type TlbCodeName } from '../errors.js';
import { privateCacheControl, removeCookie, setsCookie } from '../persistence/cookies.js';
import type { StickyTarget } from '../persistence/pool-persistence.js';
import type { Pool } from '../pool.js';
import { normalizeAddress } from '../trusted-proxies.js';
import { downstreamResponseHeaders, upstreamRequestHeaders, type RequestHead } from './forward-headers.js';
import { bindClient, type ExchangeContext, releaseAttempt, routeExchange } from './exchange-context.js';
import { describeError } from './http-exchange.js';

interface Attempt {
  readonly server: BackendServer;
  readonly pool: Pool;
  readonly upstream: ClientRequest;
  readonly startedMs: number;
  connected: boolean;
  released: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class UpgradeExchange {
  readonly #context: ExchangeContext;
  readonly #req: InboundRequest;
  readonly #socket: Socket;
  readonly #headBytes: Buffer;
  readonly #head: RequestHead;
  readonly #upgrade: string;
  readonly #peer: string;
  readonly #peerTrusted: boolean;
  readonly #clientAddress: string;
  readonly #startedMs: number;
  #pool: Pool | undefined;
  #url: string;
  #sticky: readonly StickyTarget[] = [];
  #cookieServerId: string | undefined;
  readonly #tried = new Set<BackendServer>();
  #attempt: Attempt | undefined;
  #attempts = 0;
  #upstreamSocket: Socket | undefined;
  #status = 0;
  #upstreamMs = -1;
  #outcome = '-';
  #finished = false;

  constructor(
    context: ExchangeContext,
    req: InboundRequest,
    socket: Socket,
    headBytes: Buffer,
    head: RequestHead,
    upgrade: string,
  ) {
    this.#context = context;
    this.#req = req;
    this.#socket = socket;
    this.#headBytes = headBytes;
    this.#head = head;
    this.#upgrade = upgrade;
    this.#startedMs = context.clock.monotonicMs();
    this.#peer = normalizeAddress(req.remoteAddress);
    this.#peerTrusted = context.topology.trusted.isTrusted(this.#peer);
    this.#clientAddress = this.#peerTrusted
      ? context.topology.trusted.clientAddress(this.#peer, head.forwardedFor)
      : this.#peer;
    this.#url = req.url;
  }

  get finished(): boolean {
    return this.#finished;
  }

  run(): void {
    this.#socket.on('error', () => this.#socket.destroy());
    this.#socket.once('close', () => this.#finish());
    const routed = routeExchange(this.#context, this.#head, this.#url, this.#clientAddress);
    this.#pool = routed.pool;
    this.#url = routed.url;
    this.#sticky = routed.sticky;
    this.#cookieServerId = routed.cookieServerId;
    this.#tryNext(undefined);
  }

  abort(): void {
    this.#socket.destroy();
    this.#upstreamSocket?.destroy();
  }

  #tryNext(lastFailure: { readonly codeName: TlbCodeName; readonly message: string } | undefined): void {
    const pool = this.#pool;
    if (pool === undefined || this.#finished) return;
    const choice =
      this.#attempts <= pool.config.retries
        ? pool.choose({ clientAddress: this.#clientAddress, sticky: this.#sticky, tried: this.#tried })
        : undefined;
    if (choice === undefined) {
      if (lastFailure === undefined) {
        this.#respondError(
          503,
          'NO_SERVER_AVAILABLE',
          `no server of pool ${pool.name} can take the request now (${pool.describeStates()}); try again later`,
        );
      } else {
        this.#respondError(503, lastFailure.codeName, lastFailure.message);
      }
      return;
    }
    this.#send(choice.server, choice.pool);
  }

  #send(server: BackendServer, pool: Pool): void {
    const timeouts = pool.config.timeouts;
    const routed = this.#pool!;
    this.#attempts++;
    server.begin();
    const upstream = httpRequest({
      host: server.host,
      port: server.port,
      method: this.#req.method,
      path: this.#url,
      headers: upstreamRequestHeaders(this.#req.rawHeaders, this.#head, {
        peerTrusted: this.#peerTrusted,
        peer: this.#peer,
        proto: 'http',
        stripCookie: routed.persistence.cookieName,
        removeCookie,
        chunked: false,
        upgrade: this.#upgrade,
        urlToken: routed.persistence.urlTokenFor(server),
      }),
      setHost: false,
      agent: server.agent({ keepAliveMs: timeouts.keepAliveMs, connectionsMax: pool.config.connectionsPerServerMax }),
    });
    const attempt: Attempt = {
      server,
      pool,
      upstream,
      startedMs: this.#context.clock.monotonicMs(),
      connected: false,
      released: false,
      timer: undefined,
    };
    this.#attempt = attempt;
    upstream.on('error', (error) => this.#onUpstreamError(attempt, error));
    upstream.on('socket', (socket) => {
      const connected = (): void => {
        if (attempt.released) return;
        attempt.connected = true;
        clearTimeout(attempt.timer);
        attempt.timer = setTimeout(() => {
          upstream.destroy(
            new LbError(
              'UPSTREAM_TIMEOUT',
              `server ${server.id} (${server.address}) sent no response within ${timeouts.responseMs} ms`,
            ),
          );
        }, timeouts.responseMs);
      };
      if (!socket.connecting) {
        connected();
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
      socket.once('connect', connected);
    });
    upstream.on('upgrade', (response, upstreamSocket, upstreamHead) =>
      this.#onSwitched(attempt, response, upstreamSocket, upstreamHead),
    );
    upstream.on('response', (response) => this.#onNotSwitched(attempt, response));
    upstream.end();
  }

  #onSwitched(attempt: Attempt, response: IncomingMessage, upstreamSocket: Socket, upstreamHead: Buffer): void {
    clearTimeout(attempt.timer);
    attempt.timer = undefined;
    if (this.#finished) {
      upstreamSocket.destroy();
      return;
    }
    const { server } = attempt;
    this.#upstreamMs = this.#context.clock.monotonicMs() - attempt.startedMs;
    attempt.pool.balancer.observeLatency(server, this.#upstreamMs);
    this.#context.passive.reportSuccess(server);
    this.#status = response.statusCode ?? 101;
    this.#upstreamSocket = upstreamSocket;
    const client = this.#socket;
    const { headers } = downstreamResponseHeaders(response.rawHeaders, {
      ...bindClient(this.#pool!, this.#clientAddress, this.#cookieServerId, server),
      privateCacheControl,
      setsCookie,
      upgrade: true,
    });
    client.write(formatHead(this.#status, response.statusMessage, headers));
    if (upstreamHead.length > 0) client.write(upstreamHead);
    if (this.#headBytes.length > 0) upstreamSocket.write(this.#headBytes);
    const idleMs = attempt.pool.config.timeouts.tunnelIdleMs;
    const close = (): void => {
      client.destroy();
      upstreamSocket.destroy();
    };
    upstreamSocket.on('error', close);
    // A clean close has already ended the client's side through the pipe (its last bytes still go out); a failure cuts it.
    upstreamSocket.once('close', (hadError) => {
      if (hadError) close();
    });
    upstreamSocket.setTimeout(idleMs, close);
    client.setTimeout(idleMs, close);
    client.pipe(upstreamSocket);
    upstreamSocket.pipe(client);
  }

  #onNotSwitched(attempt: Attempt, response: IncomingMessage): void {
    clearTimeout(attempt.timer);
    attempt.timer = undefined;
    if (this.#finished) {
      response.destroy();
      return;
    }
    const { server } = attempt;
    this.#status = response.statusCode ?? 502;
    this.#upstreamMs = this.#context.clock.monotonicMs() - attempt.startedMs;
    if (this.#status >= 500) this.#context.passive.reportFailure(server, 'status-5xx', `status ${this.#status}`);
    else this.#context.passive.reportSuccess(server);
    const { headers } = downstreamResponseHeaders(response.rawHeaders, {
      ...bindClient(this.#pool!, this.#clientAddress, this.#cookieServerId, server),
      privateCacheControl,
      setsCookie,
      upgrade: false,
    });
    // The body is passed on as node decoded it (unchunked), delimited by the connection's close.
    const kept: string[] = [];
    for (let index = 0; index < headers.length; index += 2) {
      if (headers[index].toLowerCase() !== 'content-length' || response.headers['transfer-encoding'] === undefined) {
        kept.push(headers[index], headers[index + 1]);
      }
    }
    kept.push('Connection', 'close');
    this.#socket.write(formatHead(this.#status, response.statusMessage, kept));
    response.on('error', () => this.#socket.destroy());
    response.pipe(this.#socket);
  }

  #onUpstreamError(attempt: Attempt, error: Error): void {
    clearTimeout(attempt.timer);
    attempt.timer = undefined;
    if (this.#finished || this.#attempt !== attempt || this.#status !== 0) return;
    releaseAttempt(attempt);
    const { server } = attempt;
    const timedOut = error instanceof LbError && error.codeName === 'UPSTREAM_TIMEOUT';
    const reason = describeError(error);
    this.#context.passive.reportFailure(
      server,
      timedOut ? 'timeout' : attempt.connected ? 'broken' : 'connect',
      reason,
    );
    this.#tried.add(server);
    const message = `server ${server.id} (${server.address}) of pool ${attempt.pool.name}: ${reason}`;
    const codeName: TlbCodeName = timedOut
      ? 'UPSTREAM_TIMEOUT'
      : attempt.connected
        ? 'UPSTREAM_BROKEN'
        : 'UPSTREAM_CONNECT_FAILED';
    const willRetry = !attempt.connected && this.#attempts <= this.#pool!.config.retries;
    this.#context.log.warning(
      `${TlbCode[codeName]} ${this.#context.listenerName}: upgrade ${this.#url}: ${message}${willRetry ? '; retrying on another server' : ''}`,
    );
    if (willRetry) this.#tryNext({ codeName, message });
    else this.#respondError(timedOut ? 504 : attempt.connected ? 502 : 503, codeName, message);
  }

  #respondError(status: number, codeName: TlbCodeName, message: string): void {
    this.#outcome = TlbCode[codeName];
    this.#status = status;
    const body = `${status} ${STATUS_CODES[status] ?? ''}\n\n${TlbCode[codeName]}: ${message}\n`;
    this.#socket.end(
      formatHead(status, STATUS_CODES[status], [
        'Content-Type',
        'text/plain; charset=utf-8',
        'Content-Length',
        String(Buffer.byteLength(body)),
        'Connection',
        'close',
      ]) + body,
    );
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    const attempt = this.#attempt;
    if (attempt !== undefined) {
      attempt.upstream.destroy();
      this.#upstreamSocket?.destroy();
      releaseAttempt(attempt);
    }
    if (this.#status === 0 && this.#outcome === '-') this.#outcome = 'client-aborted';
    const context = this.#context;
    context.onFinished(this);
    context.accessLog.record({
      listener: context.listenerName,
      client: this.#clientAddress,
      request: `${this.#req.method} ${this.#req.url} HTTP/${this.#req.httpVersion} upgrade=${this.#upgrade}`,
      status: this.#status,
      bytesSent: this.#socket.bytesWritten,
      pool: this.#pool?.name ?? '-',
      server: attempt?.server.id ?? '-',
      attempts: this.#attempts,
      upstreamMs: this.#upstreamMs,
      totalMs: context.clock.monotonicMs() - this.#startedMs,
      outcome: this.#outcome,
    });
  }
}

/** A response head in wire form. Values came through node's parser or our own code: no CR or LF. */
function formatHead(status: number, message: string | undefined, headers: readonly string[]): string {
  let text = `HTTP/1.1 ${status} ${message ?? STATUS_CODES[status] ?? ''}\r\n`;
  for (let index = 0; index < headers.length; index += 2) text += `${headers[index]}: ${headers[index + 1]}\r\n`;
  return `${text}\r\n`;
}
