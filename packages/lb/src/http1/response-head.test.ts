// The strict response-head parser: every accepted and refused shape, the framing decision
// of RFC 9112 section 6.3 and the keep-alive decision, and findHeadEnd over split input.
import { describe, expect, it } from 'vitest';
import { findHeadEnd, HeadParseError, parseResponseHead, type BodyFraming } from './response-head.js';

/** A head from its lines: each ended by CRLF, then the empty line. */
function head(...lines: string[]): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** A head given as exact text (for bare LF / CR shapes); it must end in CRLF CRLF. */
function exact(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

describe('parseResponseHead: accepted shapes', () => {
  it('reads the status line, reason phrase and headers as sent', () => {
    const parsed = parseResponseHead(
      head('HTTP/1.1 200 OK', 'Content-Type: text/plain', 'X-Case: KeepMe', 'Content-Length: 5'),
      'GET',
    );
    expect(parsed.statusCode).toBe(200);
    expect(parsed.statusMessage).toBe('OK');
    expect(parsed.minorVersion).toBe(1);
    expect(parsed.rawHeaders).toEqual(['Content-Type', 'text/plain', 'X-Case', 'KeepMe', 'Content-Length', '5']);
    expect(parsed.framing).toEqual({ kind: 'length', length: 5 });
    expect(parsed.keepAlive).toBe(true);
  });

  const accepted: Array<{
    readonly name: string;
    readonly bytes: Buffer;
    readonly statusCode: number;
    readonly statusMessage: string;
    readonly minorVersion: number;
    readonly rawHeaders?: string[];
  }> = [
    { name: 'HTTP/1.0', bytes: head('HTTP/1.0 200 OK'), statusCode: 200, statusMessage: 'OK', minorVersion: 0 },
    {
      name: 'no reason phrase and no space',
      bytes: head('HTTP/1.1 204'),
      statusCode: 204,
      statusMessage: '',
      minorVersion: 1,
    },
    {
      name: 'an empty reason phrase after the space',
      bytes: head('HTTP/1.1 404 '),
      statusCode: 404,
      statusMessage: '',
      minorVersion: 1,
    },
    {
      name: 'a reason phrase with spaces, tabs and obs-text',
      bytes: exact('HTTP/1.1 500 Internal\tServer Error \xe9\r\n\r\n'),
      statusCode: 500,
      statusMessage: 'Internal\tServer Error \xe9',
      minorVersion: 1,
    },
    {
      name: 'a head without any header field',
      bytes: head('HTTP/1.1 200 OK'),
      statusCode: 200,
      statusMessage: 'OK',
      minorVersion: 1,
      rawHeaders: [],
    },
    {
      name: 'optional whitespace around values is trimmed (spaces and tabs), inner whitespace kept',
      bytes: head('HTTP/1.1 200 OK', 'X-A:   spaced  value \t', 'X-B:\tv', 'X-C:v', 'X-Empty:', 'X-Blank:   '),
      statusCode: 200,
      statusMessage: 'OK',
      minorVersion: 1,
      rawHeaders: ['X-A', 'spaced  value', 'X-B', 'v', 'X-C', 'v', 'X-Empty', '', 'X-Blank', ''],
    },
    {
      name: 'every token character in a name, obs-text and a colon in a value',
      bytes: exact("HTTP/1.1 200 OK\r\n!#$%&'*+-.^_`|~09Az: a:b \xff\r\n\r\n"),
      statusCode: 200,
      statusMessage: 'OK',
      minorVersion: 1,
      rawHeaders: ["!#$%&'*+-.^_`|~09Az", 'a:b \xff'],
    },
    {
      name: 'repeated headers kept in order',
      bytes: head('HTTP/1.1 200 OK', 'Set-Cookie: a=1', 'Set-Cookie: b=2'),
      statusCode: 200,
      statusMessage: 'OK',
      minorVersion: 1,
      rawHeaders: ['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'],
    },
    { name: 'status 599', bytes: head('HTTP/1.1 599 Odd'), statusCode: 599, statusMessage: 'Odd', minorVersion: 1 },
  ];

  for (const shape of accepted) {
    it(`accepts ${shape.name}`, () => {
      const parsed = parseResponseHead(shape.bytes, 'GET');
      expect(parsed.statusCode).toBe(shape.statusCode);
      expect(parsed.statusMessage).toBe(shape.statusMessage);
      expect(parsed.minorVersion).toBe(shape.minorVersion);
      if (shape.rawHeaders !== undefined) expect(parsed.rawHeaders).toEqual(shape.rawHeaders);
    });
  }

  const lengths: Array<[string, string[], BodyFraming]> = [
    ['one Content-Length', ['Content-Length: 42'], { kind: 'length', length: 42 }],
    ['Content-Length with whitespace', ['Content-Length:  42 \t'], { kind: 'length', length: 42 }],
    ['equal Content-Length repeated', ['Content-Length: 7', 'content-length: 7'], { kind: 'length', length: 7 }],
    ['a list of equal Content-Length values', ['Content-Length: 7, 7,7'], { kind: 'length', length: 7 }],
    ['a 15-digit Content-Length', ['Content-Length: 999999999999999'], { kind: 'length', length: 999999999999999 }],
    ['Content-Length 0 (no body)', ['Content-Length: 0'], { kind: 'none' }],
    ['Content-Length 000 (no body)', ['Content-Length: 000'], { kind: 'none' }],
    ['a lower-case, oddly cased name', ['cOnTeNt-LeNgTh: 3'], { kind: 'length', length: 3 }],
  ];
  for (const [name, fields, framing] of lengths) {
    it(`accepts ${name}`, () => {
      expect(parseResponseHead(head('HTTP/1.1 200 OK', ...fields), 'GET').framing).toEqual(framing);
    });
  }
});

describe('parseResponseHead: refused shapes', () => {
  const refused: Array<[string, Buffer, RegExp]> = [
    // The status line.
    ['an empty status line', exact('\r\n\r\n'), /malformed status line/],
    ['HTTP/2.0', head('HTTP/2.0 200 OK'), /malformed status line/],
    ['HTTP/1.2', head('HTTP/1.2 200 OK'), /malformed status line/],
    ['lower-case http', head('http/1.1 200 OK'), /malformed status line/],
    ['HTTP/1 without a minor version', head('HTTP/1 200 OK'), /malformed status line/],
    ['a two-digit status', head('HTTP/1.1 20 OK'), /malformed status line/],
    ['a four-digit status', head('HTTP/1.1 2000 OK'), /malformed status line/],
    ['a non-numeric status', head('HTTP/1.1 2x0 OK'), /malformed status line/],
    // RFC 9110 section 15: codes outside 100-599 are invalid; below 100 one would pass for an interim response.
    ['a status code below 100', head('HTTP/1.1 099 Odd', 'Content-Length: 0'), /status/],
    ['status code 000', head('HTTP/1.1 000 Odd', 'Content-Length: 0'), /status/],
    ['two spaces before the status', head('HTTP/1.1  200 OK'), /malformed status line/],
    ['leading whitespace before the version', head(' HTTP/1.1 200 OK'), /malformed status line/],
    ['a tab instead of the space', head('HTTP/1.1\t200 OK'), /malformed status line/],
    ['garbage instead of a status line', head('hello there'), /malformed status line/],
    ['a request line', head('GET / HTTP/1.1'), /malformed status line/],
    ['a NUL in the reason phrase', exact('HTTP/1.1 200 O\x00K\r\n\r\n'), /reason phrase/],
    ['DEL in the reason phrase', exact('HTTP/1.1 200 O\x7fK\r\n\r\n'), /reason phrase/],
    ['an escape in the reason phrase', exact('HTTP/1.1 200 O\x1bK\r\n\r\n'), /reason phrase/],
    // Bare LF and bare CR.
    ['a bare LF ending the status line', exact('HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n'), /status line/],
    ['a bare LF ending a header line', exact('HTTP/1.1 200 OK\r\nX-A: b\nContent-Length: 0\r\n\r\n'), /X-A/],
    ['a bare CR ending a header line', exact('HTTP/1.1 200 OK\r\nX-A: b\rContent-Length: 0\r\n\r\n'), /X-A/],
    ['a bare CR in the status line', exact('HTTP/1.1 200 O\rK\r\n\r\n'), /status line/],
    ['a bare LF inside a name', exact('HTTP/1.1 200 OK\r\nX-\nA: b\r\n\r\n'), /header name/],
    // Obs-fold.
    ['obs-fold with a space', head('HTTP/1.1 200 OK', 'X-A: b', ' continued'), /obsolete line folding/],
    ['obs-fold with a tab', head('HTTP/1.1 200 OK', 'X-A: b', '\tcontinued'), /obsolete line folding/],
    ['obs-fold right after the status line', head('HTTP/1.1 200 OK', ' X-A: b'), /invalid header name|folding/],
    [
      'obs-fold hiding Transfer-Encoding',
      head('HTTP/1.1 200 OK', 'Transfer-Encoding:', ' chunked'),
      /obsolete line folding/,
    ],
    // Names.
    ['a header line without a colon', head('HTTP/1.1 200 OK', 'NoColonHere'), /without a name/],
    ['an empty name', head('HTTP/1.1 200 OK', ': value'), /without a name/],
    ['a space before the colon', head('HTTP/1.1 200 OK', 'Content-Length : 5'), /invalid header name/],
    ['a tab before the colon', head('HTTP/1.1 200 OK', 'Content-Length\t: 5'), /invalid header name/],
    ['a space inside a name', head('HTTP/1.1 200 OK', 'X A: b'), /invalid header name/],
    ['a separator in a name', head('HTTP/1.1 200 OK', 'X(A): b'), /invalid header name/],
    ['a slash in a name', head('HTTP/1.1 200 OK', 'X/A: b'), /invalid header name/],
    ['obs-text in a name', exact('HTTP/1.1 200 OK\r\nX-\xe9: b\r\n\r\n'), /invalid header name/],
    ['a NUL in a name', exact('HTTP/1.1 200 OK\r\nX-\x00: b\r\n\r\n'), /invalid header name/],
    // Values.
    ['a NUL in a value', exact('HTTP/1.1 200 OK\r\nX-A: b\x00c\r\n\r\n'), /control character in header X-A/],
    ['DEL in a value', exact('HTTP/1.1 200 OK\r\nX-A: b\x7fc\r\n\r\n'), /control character in header X-A/],
    ['an escape in a value', exact('HTTP/1.1 200 OK\r\nX-A: b\x1bc\r\n\r\n'), /control character in header X-A/],
    ['a vertical tab in a value', exact('HTTP/1.1 200 OK\r\nX-A: b\x0bc\r\n\r\n'), /control character/],
    // Content-Length.
    ['a negative Content-Length', head('HTTP/1.1 200 OK', 'Content-Length: -1'), /not a number/],
    ['a signed Content-Length', head('HTTP/1.1 200 OK', 'Content-Length: +5'), /not a number/],
    ['a hex Content-Length', head('HTTP/1.1 200 OK', 'Content-Length: 0x10'), /not a number/],
    ['a fractional Content-Length', head('HTTP/1.1 200 OK', 'Content-Length: 1.5'), /not a number/],
    ['an exponent Content-Length', head('HTTP/1.1 200 OK', 'Content-Length: 1e3'), /not a number/],
    ['an empty Content-Length', head('HTTP/1.1 200 OK', 'Content-Length:'), /not a number/],
    ['a Content-Length with a space inside', head('HTTP/1.1 200 OK', 'Content-Length: 1 2'), /not a number/],
    ['a 16-digit Content-Length', head('HTTP/1.1 200 OK', 'Content-Length: 1234567890123456'), /not a number/],
    ['a trailing comma in Content-Length', head('HTTP/1.1 200 OK', 'Content-Length: 5,'), /not a number/],
    [
      'two different Content-Length headers',
      head('HTTP/1.1 200 OK', 'Content-Length: 5', 'Content-Length: 6'),
      /disagree/,
    ],
    ['a list of different Content-Length values', head('HTTP/1.1 200 OK', 'Content-Length: 5, 6'), /disagree/],
    // Transfer-Encoding with Content-Length, in both orders and any case.
    [
      'Transfer-Encoding then Content-Length',
      head('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', 'Content-Length: 5'),
      /both Transfer-Encoding and Content-Length/,
    ],
    [
      'Content-Length then Transfer-Encoding',
      head('HTTP/1.1 200 OK', 'content-length: 5', 'transfer-encoding: chunked'),
      /both Transfer-Encoding and Content-Length/,
    ],
    [
      'a non-chunked Transfer-Encoding with Content-Length',
      head('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip', 'Content-Length: 5'),
      /both Transfer-Encoding and Content-Length/,
    ],
    // Transfer codings other than chunked: relayed, they would reach the client coded under a removed header.
    ['gzip, chunked', head('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip, chunked'), /only chunked is supported/],
    ['gzip,chunked', head('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip,chunked'), /only chunked is supported/],
    [
      'gzip then chunked in two fields',
      head('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip', 'Transfer-Encoding: chunked'),
      /only chunked is supported/,
    ],
    ['chunked, gzip', head('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked, gzip'), /only chunked is supported/],
    ['gzip only', head('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip'), /only chunked is supported/],
    ['xchunked', head('HTTP/1.1 200 OK', 'Transfer-Encoding: xchunked'), /only chunked is supported/],
    [
      'Transfer-Encoding with Content-Length even on a 204',
      head('HTTP/1.1 204 No Content', 'Transfer-Encoding: chunked', 'Content-Length: 0'),
      /both Transfer-Encoding and Content-Length/,
    ],
  ];

  for (const [name, bytes, message] of refused) {
    it(`refuses ${name}`, () => {
      let thrown: unknown;
      try {
        parseResponseHead(bytes, 'GET');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(HeadParseError);
      expect((thrown as Error).message).toMatch(message);
    });
  }

  it('refuses Transfer-Encoding with Content-Length for a HEAD request too', () => {
    expect(() =>
      parseResponseHead(head('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', 'Content-Length: 5'), 'HEAD'),
    ).toThrow(HeadParseError);
  });

  it('quotes a long faulty line in its message, cut to 80 characters', () => {
    const long = 'x'.repeat(500);
    expect(() => parseResponseHead(head(long), 'GET')).toThrow(/malformed status line "x{80}…"/);
  });
});

describe('parseResponseHead: framing (RFC 9112 section 6.3)', () => {
  const cases: Array<[string, string, string[], BodyFraming]> = [
    // No body whatever the headers say.
    ['HEAD with Content-Length', 'HEAD', ['HTTP/1.1 200 OK', 'Content-Length: 100'], { kind: 'none' }],
    ['HEAD with chunked', 'HEAD', ['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'], { kind: 'none' }],
    ['HEAD with neither', 'HEAD', ['HTTP/1.1 200 OK'], { kind: 'none' }],
    ['100 Continue', 'GET', ['HTTP/1.1 100 Continue'], { kind: 'none' }],
    ['103 Early Hints', 'GET', ['HTTP/1.1 103 Early Hints', 'Link: </s.css>; rel=preload'], { kind: 'none' }],
    ['204 with Content-Length', 'GET', ['HTTP/1.1 204 No Content', 'Content-Length: 10'], { kind: 'none' }],
    ['204 with chunked', 'POST', ['HTTP/1.1 204 No Content', 'Transfer-Encoding: chunked'], { kind: 'none' }],
    ['204 with neither', 'GET', ['HTTP/1.1 204 No Content'], { kind: 'none' }],
    ['304 with Content-Length', 'GET', ['HTTP/1.1 304 Not Modified', 'Content-Length: 10'], { kind: 'none' }],
    ['304 with neither', 'GET', ['HTTP/1.1 304 Not Modified'], { kind: 'none' }],
    // Transfer-Encoding.
    ['chunked', 'GET', ['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'], { kind: 'chunked' }],
    ['Chunked in any case', 'GET', ['HTTP/1.1 200 OK', 'transfer-encoding: CHUNKED'], { kind: 'chunked' }],
    ['chunked on HTTP/1.0', 'GET', ['HTTP/1.0 200 OK', 'Transfer-Encoding: chunked'], { kind: 'chunked' }],
    // Content-Length, and neither.
    ['Content-Length', 'GET', ['HTTP/1.1 200 OK', 'Content-Length: 12'], { kind: 'length', length: 12 }],
    ['Content-Length on a POST', 'POST', ['HTTP/1.1 201 Created', 'Content-Length: 2'], { kind: 'length', length: 2 }],
    ['Content-Length on a 404', 'GET', ['HTTP/1.1 404 Not Found', 'Content-Length: 9'], { kind: 'length', length: 9 }],
    ['neither header', 'GET', ['HTTP/1.1 200 OK'], { kind: 'close' }],
    ['neither header on a 500', 'GET', ['HTTP/1.1 500 Oops'], { kind: 'close' }],
  ];
  for (const [name, method, lines, framing] of cases) {
    it(`${name} → ${framing.kind}`, () => {
      expect(parseResponseHead(head(...lines), method).framing).toEqual(framing);
    });
  }
});

describe('parseResponseHead: keep-alive', () => {
  const cases: Array<[string, string[], boolean]> = [
    ['HTTP/1.1 with a length', ['HTTP/1.1 200 OK', 'Content-Length: 1'], true],
    ['HTTP/1.1 chunked', ['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'], true],
    ['HTTP/1.1 204', ['HTTP/1.1 204 No Content'], true],
    ['HTTP/1.1 with Connection: close', ['HTTP/1.1 200 OK', 'Content-Length: 1', 'Connection: close'], false],
    ['Connection: CLOSE in any case', ['HTTP/1.1 200 OK', 'Content-Length: 1', 'connection: CLOSE'], false],
    ['close among other tokens', ['HTTP/1.1 200 OK', 'Content-Length: 1', 'Connection: x-foo, close'], false],
    [
      'close in a second Connection field',
      ['HTTP/1.1 200 OK', 'Content-Length: 1', 'Connection: keep-alive', 'Connection: close'],
      false,
    ],
    ['close with keep-alive too', ['HTTP/1.1 200 OK', 'Content-Length: 1', 'Connection: keep-alive, close'], false],
    ['HTTP/1.1 close-delimited', ['HTTP/1.1 200 OK'], false],
    ['HTTP/1.0 with a length', ['HTTP/1.0 200 OK', 'Content-Length: 1'], false],
    ['HTTP/1.0 with keep-alive', ['HTTP/1.0 200 OK', 'Content-Length: 1', 'Connection: keep-alive'], true],
    ['HTTP/1.0 with Keep-Alive in any case', ['HTTP/1.0 200 OK', 'Content-Length: 1', 'connection: Keep-Alive'], true],
    ['HTTP/1.0 keep-alive but close-delimited', ['HTTP/1.0 200 OK', 'Connection: keep-alive'], false],
    ['HTTP/1.0 204 with keep-alive', ['HTTP/1.0 204 No Content', 'Connection: keep-alive'], true],
    ['HTTP/1.0 204 without keep-alive', ['HTTP/1.0 204 No Content'], false],
    ['HTTP/1.1 HEAD answered without a length', ['HTTP/1.1 200 OK'], true],
  ];
  for (const [name, lines, keepAlive] of cases) {
    it(`${name} → ${keepAlive ? 'kept alive' : 'closed'}`, () => {
      const method = name.includes('HEAD') ? 'HEAD' : 'GET';
      expect(parseResponseHead(head(...lines), method).keepAlive).toBe(keepAlive);
    });
  }
});

describe('findHeadEnd', () => {
  const whole = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', 'latin1');
  const expectedEnd = whole.indexOf('hello');

  it('finds the index just past CRLF CRLF, or -1', () => {
    expect(findHeadEnd(whole)).toBe(expectedEnd);
    expect(findHeadEnd(whole.subarray(0, expectedEnd))).toBe(expectedEnd);
    expect(findHeadEnd(whole.subarray(0, expectedEnd - 1))).toBe(-1);
    expect(findHeadEnd(Buffer.alloc(0))).toBe(-1);
    expect(findHeadEnd(Buffer.from('\r\n\r\n'))).toBe(4);
    // Bare LF line ends are not a head end.
    expect(findHeadEnd(Buffer.from('HTTP/1.1 200 OK\n\n'))).toBe(-1);
    expect(findHeadEnd(Buffer.from('HTTP/1.1 200 OK\r\n\n\r\n'))).toBe(-1);
  });

  it('finds the first head end, not a later one', () => {
    const two = Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n', 'latin1');
    expect(findHeadEnd(two)).toBe('HTTP/1.1 100 Continue\r\n\r\n'.length);
  });

  it('finds the end whatever the split, searching on from the previous length as the connection does', () => {
    // Every two-way and many three-way splits: the CRLF CRLF may straddle any boundary.
    for (let first = 0; first <= whole.length; first++) {
      for (let second = first; second <= whole.length; second += first % 3 === 0 ? 1 : 7) {
        const pieces = [whole.subarray(0, first), whole.subarray(first, second), whole.subarray(second)];
        let buffer = Buffer.alloc(0);
        let found = -1;
        for (const piece of pieces) {
          const previousLength = buffer.length;
          buffer = Buffer.concat([buffer, piece]);
          found = findHeadEnd(buffer, previousLength);
          if (found >= 0) break;
        }
        expect(found, `split at ${first}, ${second}`).toBe(expectedEnd);
      }
    }
  });

  it('fed one byte at a time, finds the end exactly when its last byte arrives', () => {
    let buffer = Buffer.alloc(0);
    for (let index = 0; index < whole.length; index++) {
      const previousLength = buffer.length;
      buffer = Buffer.concat([buffer, whole.subarray(index, index + 1)]);
      const found = findHeadEnd(buffer, previousLength);
      if (index + 1 < expectedEnd) expect(found, `after ${index + 1} bytes`).toBe(-1);
      else {
        expect(found).toBe(expectedEnd);
        break;
      }
    }
  });

  it('tolerates a `from` beyond the start of the terminator and below zero', () => {
    const bytes = Buffer.from('ab\r\n\r\n');
    for (let from = 0; from <= bytes.length; from++) {
      expect(findHeadEnd(bytes, Math.min(from, 5)), `from ${from}`).toBe(6);
    }
    expect(findHeadEnd(bytes, -10)).toBe(6);
  });
});
