// The head of an HTTP/1.x response from a backend, parsed strictly (RFC 9112): a status
// line, then header fields, each line ended by CRLF, the head by an empty line. What a
// lenient parser would let through is refused, because the proxy relays this head and its
// framing decides where the next response on a kept-alive connection starts:
//
// - a bare LF or CR, obs-fold (a line starting with space or tab), a space before the colon,
//   a field name that is not a token, control characters in a value;
// - Content-Length that is not a plain decimal, or several that disagree;
// - Transfer-Encoding together with Content-Length (section 6.3: a response smuggling shape).
//
// The framing rules of section 6.3 for responses: no body for HEAD, 1xx, 204 and 304;
// chunked with Transfer-Encoding (any other transfer coding is refused: the proxy would
// have to remove the header and pass coded bytes); until the connection closes when neither
// header is present; else Content-Length bytes.

import { BAD_VALUE, DECIMAL, HeadParseError, parseFieldLine, quote } from './fields.js';

export { findHeadEnd, HeadParseError } from './fields.js';

/** How a message's body is delimited. */
export type BodyFraming =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  | { readonly kind: 'close' };

export interface ResponseHead {
  readonly statusCode: number;
  readonly statusMessage: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minorVersion: number;
  /** Names and values as sent, alternating (node's rawHeaders shape). */
  readonly rawHeaders: string[];
  readonly framing: BodyFraming;
  /** The backend keeps the connection open after this response (version and Connection header). */
  readonly keepAlive: boolean;
}

const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: ([^\r\n]*))?$/;
const NO_BODY: BodyFraming = { kind: 'none' };
const CHUNKED: BodyFraming = { kind: 'chunked' };
const UNTIL_CLOSE: BodyFraming = { kind: 'close' };

/**
 * Parses a response head: `bytes` holds the head exactly, its final CRLF CRLF included.
 * `requestMethod` decides whether a body follows (none for HEAD).
 */
export function parseResponseHead(bytes: Buffer, requestMethod: string): ResponseHead {
  const text = bytes.toString('latin1', 0, bytes.length - 4);
  const lines = text.split('\r\n');
  const statusLine = STATUS_LINE.exec(lines[0]);
  if (statusLine === null) throw new HeadParseError(`malformed status line ${quote(lines[0])}`);
  const minorVersion = Number(statusLine[1]);
  const statusCode = Number(statusLine[2]);
  if (statusCode < 100 || statusCode > 599) throw new HeadParseError(`status code ${statusLine[2]} out of range`);
  const statusMessage = statusLine[3] ?? '';
  if (BAD_VALUE.test(statusMessage.replace(/\t/g, ' ')))
    throw new HeadParseError('control character in the reason phrase');
  const rawHeaders: string[] = [];
  let contentLength: string | undefined;
  let transferEncoding: string | undefined;
  let connectionClose = false;
  let connectionKeepAlive = false;
  for (let index = 1; index < lines.length; index++) {
    const [name, value] = parseFieldLine(lines[index]);
    switch (name.length) {
      case 10:
        if (name.toLowerCase() === 'connection') {
          for (const part of value.split(',')) {
            const token = part.trim().toLowerCase();
            if (token === 'close') connectionClose = true;
            else if (token === 'keep-alive') connectionKeepAlive = true;
          }
        }
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') {
          // A list of equal values (a folded repeat) is one length; different ones are ambiguous.
          const first = contentLength === undefined;
          for (const part of value.split(',')) {
            const length = part.trim();
            if (!DECIMAL.test(length)) throw new HeadParseError(`Content-Length ${quote(value)} is not a number`);
            if (contentLength !== undefined && contentLength !== length)
              throw new HeadParseError('Content-Length values disagree');
            contentLength = length;
          }
          // Relayed once, as one number: a client would refuse the repeats.
          if (first) rawHeaders.push(name, contentLength!);
          continue;
        }
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding')
          transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        break;
    }
    rawHeaders.push(name, value);
  }
  if (transferEncoding !== undefined && contentLength !== undefined)
    throw new HeadParseError('both Transfer-Encoding and Content-Length');
  const keepAlive = !connectionClose && (minorVersion === 1 || connectionKeepAlive);
  let framing: BodyFraming;
  if (requestMethod === 'HEAD' || statusCode < 200 || statusCode === 204 || statusCode === 304) framing = NO_BODY;
  else if (transferEncoding !== undefined) {
    // Only chunked: relaying another coding would hand the client coded bytes under a header
    // the proxy removes (Transfer-Encoding is hop-by-hop).
    if (!/^\s*chunked\s*$/i.test(transferEncoding))
      throw new HeadParseError(`Transfer-Encoding ${quote(transferEncoding)}: only chunked is supported`);
    framing = CHUNKED;
  } else if (contentLength !== undefined) {
    const length = Number(contentLength);
    framing = length === 0 ? NO_BODY : { kind: 'length', length };
  } else framing = UNTIL_CLOSE;
  return {
    statusCode,
    statusMessage,
    minorVersion,
    rawHeaders,
    framing,
    keepAlive: keepAlive && framing.kind !== 'close',
  };
}
