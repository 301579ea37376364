// The head of an HTTP/1.x request from a client, parsed strictly (RFC 9112): the request
// line, then field lines (fields.ts). What the proxy refuses before routing anything:
//
// - a method that is not a token, a request target with spaces, control characters or
//   non-ASCII bytes, a version other than HTTP/1.0 or HTTP/1.1 (505);
// - an HTTP/1.1 request without exactly one Host header (section 3.2: answered 400);
// - CONNECT (this is not a forward proxy);
// - the framing problems of framing.ts (Transfer-Encoding with Content-Length and others).
//
// The request body's framing for requests (section 6.3): chunked with Transfer-Encoding,
// else Content-Length bytes, else no body: a request is never delimited by the close.
import { HeadParseError, parseFieldLine, quote, TOKEN } from './fields.js';
import type { BodyFraming } from './response-head.js';

export interface RequestLine {
  readonly method: string;
  readonly url: string;
  /** '1.0' or '1.1'. */
  readonly httpVersion: string;
  /** Names and values as sent, alternating (node's rawHeaders shape). */
  readonly rawHeaders: string[];
}

/** A head that cannot be served, with the status to answer. */
export class RequestHeadError extends HeadParseError {
  readonly status: number;

  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
  }
}

// Origin, absolute, authority and asterisk forms: visible ASCII, no space.
const TARGET = /^[\x21-\x7e]+$/;

/** Parses a request head: `bytes` holds it exactly, its final CRLF CRLF included. */
export function parseRequestHead(bytes: Buffer): RequestLine {
  const text = bytes.toString('latin1', 0, bytes.length - 4);
  const lines = text.split('\r\n');
  const requestLine = lines[0];
  const firstSpace = requestLine.indexOf(' ');
  const lastSpace = requestLine.lastIndexOf(' ');
  if (firstSpace <= 0 || lastSpace === firstSpace)
    throw new RequestHeadError(`malformed request line ${quote(requestLine)}`);
  const method = requestLine.slice(0, firstSpace);
  const url = requestLine.slice(firstSpace + 1, lastSpace);
  const version = requestLine.slice(lastSpace + 1);
  if (!TOKEN.test(method)) throw new RequestHeadError(`invalid method ${quote(method)}`);
  if (!TARGET.test(url)) throw new RequestHeadError(`invalid request target ${quote(url)}`);
  let httpVersion: string;
  if (version === 'HTTP/1.1') httpVersion = '1.1';
  else if (version === 'HTTP/1.0') httpVersion = '1.0';
  else if (/^HTTP\/\d\.\d$/.test(version)) throw new RequestHeadError(`${version} is not supported`, 505);
  else throw new RequestHeadError(`malformed request line ${quote(requestLine)}`);
  if (method === 'CONNECT') throw new RequestHeadError('CONNECT is not supported: this is a reverse proxy', 405);
  const rawHeaders: string[] = [];
  let hosts = 0;
  for (let index = 1; index < lines.length; index++) {
    const [name, value] = parseFieldLine(lines[index]);
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
    rawHeaders.push(name, value);
  }
  if (hosts > 1) throw new RequestHeadError('more than one Host header');
  if (hosts === 0 && httpVersion === '1.1') throw new RequestHeadError('an HTTP/1.1 request without a Host header');
  return { method, url, httpVersion, rawHeaders };
}

/** The body framing of a request whose framing headers passed framingProblem(). */
export function requestFraming(transferEncoding: string | undefined, contentLength: string | undefined): BodyFraming {
  if (transferEncoding !== undefined) return { kind: 'chunked' };
  const length = contentLength === undefined ? 0 : Number(contentLength);
  return length === 0 ? { kind: 'none' } : { kind: 'length', length };
}
