// Header rewriting on both hops of an HTTP exchange, over node's rawHeaders arrays (name,
// value, name, value...), which keep the client's order, case and repeated headers.
//
// Hop-by-hop headers (RFC 9110 section 7.6.1) describe one connection and never cross the
// proxy: Connection and every header it names, Keep-Alive, Proxy-Connection, TE, Trailer,
// Transfer-Encoding (each side frames its own body; node does it) and Upgrade (kept only
// for an upgrade). Proxy-Authorization and Proxy-Authenticate are for a proxy, not the
// application, and a request header called Proxy is dropped too (httpoxy: CGI-style apps
// read it as HTTP_PROXY).

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The request header carrying the URL token of the chosen server to the application. */
export const URL_TOKEN_HEADER = 'X-Tandem-Lb-Token';
const URL_TOKEN_HEADER_LOWER = URL_TOKEN_HEADER.toLowerCase();

/** What the proxy needs from a request's headers, read in one pass. */
export interface RequestHead {
  readonly host: string | undefined;
  readonly cookieHeaders: string[];
  readonly forwardedFor: string | undefined;
  readonly forwardedProto: string | undefined;
  readonly forwardedHost: string | undefined;
  readonly transferEncoding: string | undefined;
  readonly contentLength: string | undefined;
  readonly contentLengthCount: number;
  readonly transferEncodingCount: number;
  /** Lower-case header names the Connection header lists (beyond keep-alive and close). */
  readonly connectionTokens: ReadonlySet<string> | undefined;
  /** Connection lists close / keep-alive. */
  readonly connectionClose: boolean;
  readonly connectionKeepAlive: boolean;
  /** The Upgrade header's value, if any. */
  readonly upgrade: string | undefined;
  /** Expect: 100-continue. */
  readonly expectContinue: boolean;
}

function appendList(previous: string | undefined, value: string): string {
  return previous === undefined ? value : `${previous}, ${value}`;
}

export function inspectRequestHead(raw: readonly string[]): RequestHead {
  let host: string | undefined;
  const cookieHeaders: string[] = [];
  let forwardedFor: string | undefined;
  let forwardedProto: string | undefined;
  let forwardedHost: string | undefined;
  let transferEncoding: string | undefined;
  let contentLength: string | undefined;
  let contentLengthCount = 0;
  let transferEncodingCount = 0;
  let connectionTokens: Set<string> | undefined;
  let connectionClose = false;
  let connectionKeepAlive = false;
  let upgrade: string | undefined;
  let expectContinue = false;
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index].toLowerCase();
    const value = raw[index + 1];
    switch (name) {
      case 'host':
        host ??= value;
        break;
      case 'cookie':
        cookieHeaders.push(value);
        break;
      case 'x-forwarded-for':
        forwardedFor = appendList(forwardedFor, value);
        break;
      case 'x-forwarded-proto':
        forwardedProto ??= value;
        break;
      case 'x-forwarded-host':
        forwardedHost ??= value;
        break;
      case 'transfer-encoding':
        transferEncoding = appendList(transferEncoding, value);
        transferEncodingCount++;
        break;
      case 'content-length':
        contentLength = value;
        contentLengthCount++;
        break;
      case 'connection':
        connectionTokens = addConnectionTokens(connectionTokens, value);
        for (const part of value.split(',')) {
          const token = part.trim().toLowerCase();
          if (token === 'close') connectionClose = true;
          else if (token === 'keep-alive') connectionKeepAlive = true;
        }
        break;
      case 'upgrade':
        upgrade ??= value;
        break;
      case 'expect':
        if (value.toLowerCase() === '100-continue') expectContinue = true;
        break;
    }
  }
  return {
    host,
    cookieHeaders,
    forwardedFor,
    forwardedProto,
    forwardedHost,
    transferEncoding,
    contentLength,
    contentLengthCount,
    transferEncodingCount,
    connectionTokens,
    connectionClose,
    connectionKeepAlive,
    upgrade,
    expectContinue,
  };
}

function addConnectionTokens(tokens: Set<string> | undefined, value: string): Set<string> | undefined {
  for (const part of value.split(',')) {
    const token = part.trim().toLowerCase();
    if (token === '' || token === 'close' || token === 'keep-alive') continue;
    (tokens ??= new Set()).add(token);
  }
  return tokens;
}

export interface UpstreamHeaderOptions {
  /** Whether the peer is a trusted proxy: then its X-Forwarded-* are kept and appended to. */
  readonly peerTrusted: boolean;
  /** The address of the TCP peer (appended to X-Forwarded-For). */
  readonly peer: string;
  /** `http` (or `https` once listeners terminate TLS). */
  readonly proto: string;
  /** The persistence cookie to remove from Cookie headers, if any. */
  readonly stripCookie: string | undefined;
  /** Removes one cookie from a Cookie header value (undefined: nothing left). */
  readonly removeCookie: (header: string, name: string) => string | undefined;
  /** Whether the request body is chunked (set Transfer-Encoding on the way up). */
  readonly chunked: boolean;
  /** For an upgrade: the Upgrade header value to keep, with Connection: Upgrade. */
  readonly upgrade: string | undefined;
  /** The URL token to hand the application, if url-token persistence is on. */
  readonly urlToken: string | undefined;
}

export function upstreamRequestHeaders(
  raw: readonly string[],
  head: RequestHead,
  options: UpstreamHeaderOptions,
): string[] {
  const out: string[] = [];
  const connectionTokens = head.connectionTokens;
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index];
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || lower.startsWith('proxy-')) continue;
    if (connectionTokens?.has(lower) === true) continue;
    switch (lower) {
      case 'x-forwarded-for':
      case 'x-forwarded-proto':
      case 'x-forwarded-host':
      case URL_TOKEN_HEADER_LOWER:
        continue;
      case 'expect':
        // The proxy answered any 100-continue itself (node does), and streams the body as it comes.
        continue;
      case 'forwarded':
        // RFC 7239's header says the same as X-Forwarded-*: only a trusted proxy may send it.
        if (!options.peerTrusted) continue;
        break;
      case 'cookie':
        if (options.stripCookie !== undefined) {
          const kept = options.removeCookie(raw[index + 1], options.stripCookie);
          if (kept !== undefined) out.push(name, kept);
          continue;
        }
        break;
    }
    out.push(name, raw[index + 1]);
  }
  const host = head.host ?? '';
  if (options.peerTrusted) {
    out.push('X-Forwarded-For', appendList(head.forwardedFor, options.peer));
    out.push('X-Forwarded-Proto', head.forwardedProto ?? options.proto);
    out.push('X-Forwarded-Host', head.forwardedHost ?? host);
  } else {
    out.push('X-Forwarded-For', options.peer);
    out.push('X-Forwarded-Proto', options.proto);
    if (host !== '') out.push('X-Forwarded-Host', host);
  }
  if (options.chunked) out.push('Transfer-Encoding', 'chunked');
  if (options.upgrade !== undefined) out.push('Connection', 'Upgrade', 'Upgrade', options.upgrade);
  if (options.urlToken !== undefined) out.push(URL_TOKEN_HEADER, options.urlToken);
  return out;
}

export interface DownstreamHeaderOptions {
  /** The persistence cookie's name: the application must not set it (the seed's caution). */
  readonly cookieName: string | undefined;
  /** A Set-Cookie value to append (the persistence cookie), if the response must bind the client. */
  readonly setCookie: string | undefined;
  readonly privateCacheControl: (existing: string | undefined) => string;
  readonly setsCookie: (setCookie: string, name: string) => boolean;
  /** Keep Connection: Upgrade and Upgrade (a 101 response). */
  readonly upgrade: boolean;
}

export interface DownstreamHeaders {
  readonly headers: string[];
  /** The application tried to set the persistence cookie itself (its value was dropped). */
  readonly cookieConflict: boolean;
}

export function downstreamResponseHeaders(raw: readonly string[], options: DownstreamHeaderOptions): DownstreamHeaders {
  const out: string[] = [];
  let connectionTokens: Set<string> | undefined;
  for (let index = 0; index < raw.length; index += 2) {
    if (raw[index].toLowerCase() === 'connection')
      connectionTokens = addConnectionTokens(connectionTokens, raw[index + 1]);
  }
  let cookieConflict = false;
  let cacheControl: string | undefined;
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index];
    const lower = name.toLowerCase();
    if (options.upgrade && (lower === 'connection' || lower === 'upgrade')) {
      out.push(name, raw[index + 1]);
      continue;
    }
    if (HOP_BY_HOP.has(lower) || lower.startsWith('proxy-')) continue;
    if (connectionTokens?.has(lower) === true) continue;
    if (
      lower === 'set-cookie' &&
      options.cookieName !== undefined &&
      options.setsCookie(raw[index + 1], options.cookieName)
    ) {
      cookieConflict = true;
      continue;
    }
    if (lower === 'cache-control' && options.setCookie !== undefined) {
      cacheControl = cacheControl === undefined ? raw[index + 1] : `${cacheControl}, ${raw[index + 1]}`;
      continue;
    }
    out.push(name, raw[index + 1]);
  }
  if (options.setCookie !== undefined) {
    out.push('Set-Cookie', options.setCookie);
    out.push('Cache-Control', options.privateCacheControl(cacheControl));
  }
  return { headers: out, cookieConflict };
}
