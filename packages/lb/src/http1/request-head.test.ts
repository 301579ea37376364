// The strict request-head parser, table by table: the request-target forms and versions it
// accepts, every shape it refuses (with the status the client gets), the request body
// framing decision, and the two scans the connection runs over a head arriving in pieces
// (findHeadEnd and hasBareLf with a `from` offset).
import { describe, expect, it } from 'vitest';
import { findHeadEnd, hasBareLf, HeadParseError } from './fields.js';
import { parseRequestHead, RequestHeadError, requestFraming } from './request-head.js';

/** A head from its lines: each ended by CRLF, then the empty line. */
function head(...lines: string[]): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** The error parseRequestHead throws for `bytes` (fails the test if it accepts them). */
function refusal(bytes: Buffer): HeadParseError {
  try {
    parseRequestHead(bytes);
  } catch (error) {
    if (error instanceof HeadParseError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(bytes.toString('latin1'))}`);
}

/** The status the client connection answers for a parse error (as client-connection.ts maps it). */
function statusOf(error: HeadParseError): number {
  return error instanceof RequestHeadError ? error.status : 400;
}

describe('parseRequestHead: accepted forms', () => {
  const accepted: Array<{
    readonly name: string;
    readonly bytes: Buffer;
    readonly method: string;
    readonly url: string;
    readonly httpVersion: string;
    readonly rawHeaders: string[];
  }> = [
    {
      name: 'origin form',
      bytes: head('GET /path/to?q=1&r=%20 HTTP/1.1', 'Host: example.com'),
      method: 'GET',
      url: '/path/to?q=1&r=%20',
      httpVersion: '1.1',
      rawHeaders: ['Host', 'example.com'],
    },
    {
      name: 'absolute form',
      bytes: head('GET http://example.com:8080/a?b HTTP/1.1', 'Host: example.com:8080'),
      method: 'GET',
      url: 'http://example.com:8080/a?b',
      httpVersion: '1.1',
      rawHeaders: ['Host', 'example.com:8080'],
    },
    {
      name: 'asterisk form',
      bytes: head('OPTIONS * HTTP/1.1', 'Host: x'),
      method: 'OPTIONS',
      url: '*',
      httpVersion: '1.1',
      rawHeaders: ['Host', 'x'],
    },
    {
      name: 'HTTP/1.0 without Host',
      bytes: head('GET / HTTP/1.0'),
      method: 'GET',
      url: '/',
      httpVersion: '1.0',
      rawHeaders: [],
    },
    {
      name: 'HTTP/1.0 with Host',
      bytes: head('HEAD /x HTTP/1.0', 'Host: x', 'Connection: keep-alive'),
      method: 'HEAD',
      url: '/x',
      httpVersion: '1.0',
      rawHeaders: ['Host', 'x', 'Connection', 'keep-alive'],
    },
    {
      name: 'an extension method token, header case and order kept, values trimmed of spaces and tabs',
      bytes: head('M-SEARCH! /a HTTP/1.1', 'host:x', 'X-Case:  \tMixedCase value\t ', 'x-case: second'),
      method: 'M-SEARCH!',
      url: '/a',
      httpVersion: '1.1',
      rawHeaders: ['host', 'x', 'X-Case', 'MixedCase value', 'x-case', 'second'],
    },
    {
      name: 'an empty Host value (allowed by RFC 9112 section 3.2) and obs-text in a value',
      bytes: head('GET / HTTP/1.1', 'Host:', 'X-Latin: caf\xe9'),
      method: 'GET',
      url: '/',
      httpVersion: '1.1',
      rawHeaders: ['Host', '', 'X-Latin', 'caf\xe9'],
    },
  ];
  for (const { name, bytes, method, url, httpVersion, rawHeaders } of accepted) {
    it(`accepts ${name}`, () => {
      expect(parseRequestHead(bytes)).toEqual({ method, url, httpVersion, rawHeaders });
    });
  }
});

describe('parseRequestHead: refused shapes', () => {
  const refused: Array<{
    readonly name: string;
    readonly bytes: Buffer;
    readonly status: number;
    readonly message: RegExp;
  }> = [
    { name: 'a method with a slash', bytes: head('GE/T / HTTP/1.1', 'Host: x'), status: 400, message: /method/ },
    { name: 'a method with a colon', bytes: head('GET: / HTTP/1.1', 'Host: x'), status: 400, message: /method/ },
    {
      name: 'a method with a NUL',
      bytes: head('G\x00ET / HTTP/1.1', 'Host: x'),
      status: 400,
      message: /method/,
    },
    { name: 'a leading space', bytes: head(' GET / HTTP/1.1', 'Host: x'), status: 400, message: /request line/ },
    { name: 'no target', bytes: head('GET HTTP/1.1', 'Host: x'), status: 400, message: /request line/ },
    { name: 'one word', bytes: head('GET', 'Host: x'), status: 400, message: /request line/ },
    { name: 'a target with a space', bytes: head('GET /a b HTTP/1.1', 'Host: x'), status: 400, message: /target/ },
    { name: 'two spaces after the method', bytes: head('GET  / HTTP/1.1', 'Host: x'), status: 400, message: /target/ },
    { name: 'a target with a tab', bytes: head('GET /a\tb HTTP/1.1', 'Host: x'), status: 400, message: /target/ },
    { name: 'a target with DEL', bytes: head('GET /a\x7fb HTTP/1.1', 'Host: x'), status: 400, message: /target/ },
    { name: 'a target with NUL', bytes: head('GET /a\x00 HTTP/1.1', 'Host: x'), status: 400, message: /target/ },
    { name: 'a target with a bare CR', bytes: head('GET /a\rb HTTP/1.1', 'Host: x'), status: 400, message: /target/ },
    {
      name: 'a target with non-ASCII bytes',
      bytes: head('GET /caf\xc3\xa9 HTTP/1.1', 'Host: x'),
      status: 400,
      message: /target/,
    },
    { name: 'HTTP/2.0', bytes: head('GET / HTTP/2.0', 'Host: x'), status: 505, message: /not supported/ },
    { name: 'HTTP/0.9 spelled out', bytes: head('GET / HTTP/0.9', 'Host: x'), status: 505, message: /not supported/ },
    { name: 'HTTP/1.2', bytes: head('GET / HTTP/1.2', 'Host: x'), status: 505, message: /not supported/ },
    { name: 'a lower-case version', bytes: head('GET / http/1.1', 'Host: x'), status: 400, message: /request line/ },
    { name: 'a version of garbage', bytes: head('GET / HTTX/1.1', 'Host: x'), status: 400, message: /request line/ },
    {
      name: 'a two-digit minor version',
      bytes: head('GET / HTTP/1.10', 'Host: x'),
      status: 400,
      message: /request line/,
    },
    { name: 'a bare version', bytes: head('GET / HTTP/2', 'Host: x'), status: 400, message: /request line/ },
    {
      name: 'a trailing space after the version',
      bytes: head('GET / HTTP/1.1 ', 'Host: x'),
      status: 400,
      message: /request line|target/,
    },
    {
      name: 'CONNECT',
      bytes: head('CONNECT example.com:443 HTTP/1.1', 'Host: example.com:443'),
      status: 405,
      message: /CONNECT/,
    },
    { name: 'two Host headers', bytes: head('GET / HTTP/1.1', 'Host: a', 'Host: b'), status: 400, message: /Host/ },
    {
      name: 'two Host headers in different case, on HTTP/1.0',
      bytes: head('GET / HTTP/1.0', 'host: a', 'HOST: a'),
      status: 400,
      message: /Host/,
    },
    { name: 'HTTP/1.1 without Host', bytes: head('GET / HTTP/1.1', 'X-Other: y'), status: 400, message: /Host/ },
    {
      name: 'obs-fold (a line starting with a space)',
      bytes: head('GET / HTTP/1.1', 'Host: x', 'X-Folded: one', ' two'),
      status: 400,
      message: /folding/,
    },
    {
      name: 'obs-fold (a line starting with a tab)',
      bytes: head('GET / HTTP/1.1', 'Host: x', 'X-Folded: one', '\ttwo'),
      status: 400,
      message: /folding/,
    },
    {
      name: 'obs-fold as the first field line',
      bytes: head('GET / HTTP/1.1', ' Host: x'),
      status: 400,
      message: /folding|name/,
    },
    {
      name: 'a space before the colon',
      bytes: head('GET / HTTP/1.1', 'Host : x'),
      status: 400,
      message: /header name/,
    },
    {
      name: 'a tab before the colon',
      bytes: head('GET / HTTP/1.1', 'Host: x', 'Transfer-Encoding\t: chunked'),
      status: 400,
      message: /header name/,
    },
    {
      name: 'a line without a colon',
      bytes: head('GET / HTTP/1.1', 'Host: x', 'NoColon'),
      status: 400,
      message: /without a name/,
    },
    {
      name: 'an empty header name',
      bytes: head('GET / HTTP/1.1', 'Host: x', ': v'),
      status: 400,
      message: /without a name/,
    },
    {
      name: 'a NUL in a value',
      bytes: head('GET / HTTP/1.1', 'Host: x', 'X-A: a\x00b'),
      status: 400,
      message: /control/,
    },
    {
      name: 'a bare CR in a value',
      bytes: head('GET / HTTP/1.1', 'Host: x', 'X-A: a\rb'),
      status: 400,
      message: /control/,
    },
    {
      name: 'a bare LF in a value',
      bytes: head('GET / HTTP/1.1', 'Host: x', 'X-A: a\nb'),
      status: 400,
      message: /control/,
    },
    {
      name: 'an ESC in a value',
      bytes: head('GET / HTTP/1.1', 'Host: x', 'X-A: \x1b[31m'),
      status: 400,
      message: /control/,
    },
    { name: 'DEL in a value', bytes: head('GET / HTTP/1.1', 'Host: x', 'X-A: a\x7f'), status: 400, message: /control/ },
    {
      name: 'a control character in the Host value',
      bytes: head('GET / HTTP/1.1', 'Host: x\x01y'),
      status: 400,
      message: /control/,
    },
    {
      name: 'a bare LF ending the request line',
      bytes: Buffer.from('GET / HTTP/1.1\nHost: x\r\n\r\n', 'latin1'),
      status: 400,
      message: /request line|target|control/,
    },
  ];
  for (const { name, bytes, status, message } of refused) {
    it(`refuses ${name} (${status})`, () => {
      const error = refusal(bytes);
      expect(statusOf(error)).toBe(status);
      expect(error.message).toMatch(message);
    });
  }

  it('reports statuses on RequestHeadError only where they are not 400', () => {
    const version = refusal(head('GET / HTTP/2.0', 'Host: x'));
    expect(version).toBeInstanceOf(RequestHeadError);
    expect((version as RequestHeadError).status).toBe(505);
    const connect = refusal(head('CONNECT x:1 HTTP/1.1', 'Host: x:1'));
    expect((connect as RequestHeadError).status).toBe(405);
    // A field-line fault is a plain HeadParseError: the connection answers it 400.
    const field = refusal(head('GET / HTTP/1.1', 'Host : x'));
    expect(field).not.toBeInstanceOf(RequestHeadError);
  });

  it('checks the version before the method CONNECT (an HTTP/2.0 CONNECT gets 505)', () => {
    expect(statusOf(refusal(head('CONNECT x:1 HTTP/2.0', 'Host: x:1')))).toBe(505);
  });
});

describe('requestFraming', () => {
  const cases: Array<[string | undefined, string | undefined, ReturnType<typeof requestFraming>]> = [
    [undefined, undefined, { kind: 'none' }],
    [undefined, '0', { kind: 'none' }],
    [undefined, '5', { kind: 'length', length: 5 }],
    [undefined, '0012', { kind: 'length', length: 12 }],
    [undefined, '999999999999999', { kind: 'length', length: 999_999_999_999_999 }],
    ['chunked', undefined, { kind: 'chunked' }],
    ['gzip, chunked', undefined, { kind: 'chunked' }],
  ];
  for (const [transferEncoding, contentLength, framing] of cases) {
    it(`Transfer-Encoding ${String(transferEncoding)}, Content-Length ${String(contentLength)}: ${framing.kind}`, () => {
      expect(requestFraming(transferEncoding, contentLength)).toEqual(framing);
    });
  }

  it('a Content-Length of zero in any spelling frames no body bytes', () => {
    for (const zero of ['0', '00', '000000']) {
      const framing = requestFraming(undefined, zero);
      expect(framing.kind === 'none' || (framing.kind === 'length' && framing.length === 0)).toBe(true);
    }
  });
});

describe('findHeadEnd', () => {
  const text = 'GET / HTTP/1.1\r\nHost: x\r\n\r\nNEXT';
  const bytes = Buffer.from(text, 'latin1');
  const end = text.indexOf('NEXT');

  it('finds the index just past CRLF CRLF, or -1', () => {
    expect(findHeadEnd(bytes)).toBe(end);
    expect(findHeadEnd(bytes.subarray(0, end - 1))).toBe(-1);
    expect(findHeadEnd(Buffer.alloc(0))).toBe(-1);
    expect(findHeadEnd(Buffer.from('\r\n\r\n'))).toBe(4);
  });

  it('with `from` at every point of a head arriving in pieces, still finds a CRLF CRLF that straddles it', () => {
    // `from` is the length of a prefix already scanned without finding the terminator (so at
    // most end - 1): the terminator may have started up to 3 bytes before it.
    for (let from = 0; from < end; from++) {
      expect(findHeadEnd(bytes.subarray(0, from), 0)).toBe(-1);
      expect(findHeadEnd(bytes, from)).toBe(end);
    }
    expect(findHeadEnd(bytes, bytes.length)).toBe(-1);
  });

  it('a `from` beyond the buffer or below zero is harmless', () => {
    expect(findHeadEnd(bytes, 10_000)).toBe(-1);
    expect(findHeadEnd(bytes, -5)).toBe(end);
  });

  it('finds the first terminator when two heads are buffered', () => {
    const two = Buffer.from('GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1');
    const first = findHeadEnd(two);
    expect(two.toString('latin1', 0, first)).toBe('GET /1 HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(findHeadEnd(two, first)).toBe(two.length);
  });
});

describe('hasBareLf', () => {
  const cases: Array<[string, string, number, boolean]> = [
    ['CRLF lines only', 'GET / HTTP/1.1\r\nHost: x\r\n', 0, false],
    ['a bare LF ending the request line', 'GET / HTTP/1.1\nHost: x', 0, true],
    ['an LF as the first byte', '\nGET /', 0, true],
    ['a bare LF in a field line', 'GET / HTTP/1.1\r\nHost: x\nX: y\r\n', 0, true],
    ['no LF at all', 'GET / HTTP/1.1', 0, false],
    ['a bare CR (not this check)', 'GET / HTTP/1.1\rHost', 0, false],
    ['LF before `from` is not checked again', 'GET /\nHTTP/1.1\r\nHost: x\r\n', 8, false],
    ['LF at `from` whose CR came before `from`', 'GET / HTTP/1.1\r\nHost: x\r\n', 15, false],
    ['a bare LF at exactly `from`', 'GET / HTTP/1.1\r\nHost: x\n', 23, true],
    ['a bare LF after `from`', 'GET / HTTP/1.1\r\nHost: x\n', 3, true],
    ['`from` past the end', 'GET /\n', 100, false],
  ];
  for (const [name, text, from, expected] of cases) {
    it(`${name}: ${expected}`, () => {
      const bytes = Buffer.from(text, 'latin1');
      // Sanity of the table: the offsets name the bytes they claim to.
      if (name.includes('exactly')) expect(bytes[from]).toBe(0x0a);
      if (name.includes('whose CR')) expect(bytes.subarray(from - 1, from + 1).toString('latin1')).toBe('\r\n');
      expect(hasBareLf(bytes, from)).toBe(expected);
    });
  }

  it('a head split at every byte: the scan over the pieces agrees with one scan of the whole', () => {
    for (const text of ['GET / HTTP/1.1\r\nHost: x\r\nX: y\r\n', 'GET / HTTP/1.1\r\nHost: x\nX: y\r\n']) {
      const whole = Buffer.from(text, 'latin1');
      const expected = hasBareLf(whole);
      for (let split = 0; split <= whole.length; split++) {
        const first = hasBareLf(whole.subarray(0, split));
        const second = hasBareLf(whole, split);
        expect(first || second).toBe(expected);
      }
    }
  });
});
