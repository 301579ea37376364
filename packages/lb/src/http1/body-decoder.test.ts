// The response body decoder: Content-Length, chunked (strict, incremental, split at every
// byte boundary and at seeded random ones) and close-delimited bodies.
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@tandem/testkit';
import { BodyDecodeError, BodyDecoder } from './body-decoder.js';
import type { BodyFraming } from './response-head.js';

const CHUNKED: BodyFraming = { kind: 'chunked' };

interface Decoded {
  readonly payload: string;
  readonly done: boolean;
  /** Bytes reported as excess, summed over every push. */
  readonly excess: number;
  /** How many pieces had been pushed when `done` first became true (-1: never). */
  readonly doneAfter: number;
}

/** Pushes the pieces in order and collects what the decoder says. */
function decode(framing: BodyFraming, pieces: readonly Buffer[]): Decoded {
  const decoder = new BodyDecoder(framing);
  const payload: Buffer[] = [];
  let excess = 0;
  let done = false;
  let doneAfter = -1;
  pieces.forEach((piece, index) => {
    const result = decoder.push(piece);
    payload.push(...result.payload);
    excess += result.excess;
    if (result.done && !done) doneAfter = index + 1;
    expect(decoder.done).toBe(result.done);
    done = result.done;
  });
  return { payload: Buffer.concat(payload).toString('latin1'), done, excess, doneAfter };
}

function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** One piece per byte. */
function byteByByte(buffer: Buffer): Buffer[] {
  return Array.from({ length: buffer.length }, (_, index) => buffer.subarray(index, index + 1));
}

/** Random pieces of 0 to `maxPiece` bytes (empty pieces included), from a seeded generator. */
function randomSplit(buffer: Buffer, random: SeededRandom, maxPiece: number): Buffer[] {
  const pieces: Buffer[] = [];
  let at = 0;
  while (at < buffer.length) {
    const size = random.int(0, maxPiece + 1);
    pieces.push(buffer.subarray(at, Math.min(buffer.length, at + size)));
    at += size;
  }
  return pieces;
}

/** Whether decoding throws a BodyDecodeError, and its message. */
function refusal(framing: BodyFraming, pieces: readonly Buffer[]): string | undefined {
  const decoder = new BodyDecoder(framing);
  try {
    for (const piece of pieces) decoder.push(piece);
  } catch (error) {
    expect(error).toBeInstanceOf(BodyDecodeError);
    return (error as Error).message;
  }
  return undefined;
}

describe('Content-Length bodies', () => {
  const framing: BodyFraming = { kind: 'length', length: 11 };

  it('ends exactly at the length, in one piece', () => {
    expect(decode(framing, [bytes('hello world')])).toEqual({
      payload: 'hello world',
      done: true,
      excess: 0,
      doneAfter: 1,
    });
  });

  it('ends exactly at the length, byte by byte', () => {
    expect(decode(framing, byteByByte(bytes('hello world')))).toEqual({
      payload: 'hello world',
      done: true,
      excess: 0,
      doneAfter: 11,
    });
  });

  it('a short body is not done, and the end of input does not complete it', () => {
    const decoder = new BodyDecoder(framing);
    const result = decoder.push(bytes('hello'));
    expect(Buffer.concat(result.payload).toString()).toBe('hello');
    expect(result.done).toBe(false);
    expect(result.excess).toBe(0);
    expect(decoder.endOfInput()).toBe(false);
    expect(decoder.done).toBe(false);
  });

  it('bytes past the length are excess, never payload (in the same piece and in later ones)', () => {
    expect(decode(framing, [bytes('hello worldHTTP/1.1 200 OK\r\n')])).toEqual({
      payload: 'hello world',
      done: true,
      excess: 17,
      doneAfter: 1,
    });
    expect(decode(framing, [bytes('hello'), bytes(' world!'), bytes('more')])).toEqual({
      payload: 'hello world',
      done: true,
      excess: 5,
      doneAfter: 2,
    });
    expect(decode(framing, [bytes('hello world'), bytes('late')])).toEqual({
      payload: 'hello world',
      done: true,
      excess: 4,
      doneAfter: 1,
    });
  });

  it('any split gives the same payload and excess', () => {
    const random = new SeededRandom(20260101);
    const body = Buffer.from(random.fillBytes(new Uint8Array(5000)));
    const withExcess = Buffer.concat([body, bytes('EXTRA')]);
    for (let round = 0; round < 50; round++) {
      const result = decode({ kind: 'length', length: 5000 }, randomSplit(withExcess, random, 700));
      expect(result.done).toBe(true);
      expect(result.excess).toBe(5);
      expect(Buffer.from(result.payload, 'latin1').equals(body)).toBe(true);
    }
  });

  it('a body with no framing ("none") is done at once and everything is excess', () => {
    const decoder = new BodyDecoder({ kind: 'none' });
    expect(decoder.done).toBe(true);
    expect(decoder.push(bytes('abc'))).toEqual({ payload: [], done: true, excess: 3 });
    expect(decoder.endOfInput()).toBe(true);
  });
});

describe('close-delimited bodies', () => {
  it('passes everything through and ends only at the end of input', () => {
    const decoder = new BodyDecoder({ kind: 'close' });
    const payload: Buffer[] = [];
    for (const piece of [bytes('HTTP/1.1 200 OK\r\n'), bytes(''), bytes('0\r\n\r\n'), bytes('anything')]) {
      const result = decoder.push(piece);
      expect(result.done).toBe(false);
      expect(result.excess).toBe(0);
      payload.push(...result.payload);
    }
    expect(decoder.done).toBe(false);
    expect(Buffer.concat(payload).toString()).toBe('HTTP/1.1 200 OK\r\n0\r\n\r\nanything');
    expect(decoder.endOfInput()).toBe(true);
    expect(decoder.done).toBe(true);
  });

  it('an empty close-delimited body is complete at the end of input', () => {
    const decoder = new BodyDecoder({ kind: 'close' });
    expect(decoder.endOfInput()).toBe(true);
  });
});

describe('chunked bodies: accepted', () => {
  const messages: Array<[string, string, string]> = [
    ['two chunks', '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n', 'hello world'],
    ['an empty body', '0\r\n\r\n', ''],
    ['upper and lower case hex', 'A\r\n0123456789\r\nb\r\nabcdefghijk\r\n0\r\n\r\n', '0123456789abcdefghijk'],
    ['leading zeros', '0005\r\nhello\r\n000\r\n\r\n', 'hello'],
    ['13 digits (the most)', '0000000000005\r\nhello\r\n0000000000000\r\n\r\n', 'hello'],
    [
      'chunk extensions',
      '5;name=value\r\nhello\r\n6;a;b="quoted ; string"\r\n world\r\n0;last=1\r\n\r\n',
      'hello world',
    ],
    ['whitespace before an extension', '5 ;x=y\r\nhello\r\n5\t;x\r\nthere\r\n0 \r\n\r\n', 'hellothere'],
    ['an extension with obs-text', '5;x=\xe9\xff\r\nhello\r\n0\r\n\r\n', 'hello'],
    ['trailer fields', '5\r\nhello\r\n0\r\nX-Trailer: one\r\nX-Other: two\tthree\r\n\r\n', 'hello'],
    ['an extension and trailers', '3;e\r\nabc\r\n0;e\r\nChecksum: 1\r\n\r\n', 'abc'],
    ['data that looks like framing', '8\r\n0\r\n\r\nX\r\n\r\n0\r\n\r\n', '0\r\n\r\nX\r\n'],
    ['data with bare LF and CR', '4\r\n\n\r\r\n\r\n0\r\n\r\n', '\n\r\r\n'],
  ];

  for (const [name, message, payload] of messages) {
    it(`${name}: whole, byte by byte, and at every two-way split`, () => {
      const buffer = bytes(message);
      expect(decode(CHUNKED, [buffer])).toEqual({ payload, done: true, excess: 0, doneAfter: 1 });
      expect(decode(CHUNKED, byteByByte(buffer))).toEqual({
        payload,
        done: true,
        excess: 0,
        doneAfter: buffer.length,
      });
      for (let split = 0; split <= buffer.length; split++) {
        const result = decode(CHUNKED, [buffer.subarray(0, split), buffer.subarray(split)]);
        expect(result, `split at ${split}`).toEqual({
          payload,
          done: true,
          excess: 0,
          doneAfter: split === buffer.length ? 1 : 2,
        });
      }
    });
  }

  it('is not done before the last CRLF, whatever arrived', () => {
    const buffer = bytes('5\r\nhello\r\n0\r\nX: y\r\n\r\n');
    for (let length = 0; length < buffer.length; length++) {
      const decoder = new BodyDecoder(CHUNKED);
      expect(decoder.push(buffer.subarray(0, length)).done, `after ${length} bytes`).toBe(false);
      expect(decoder.endOfInput()).toBe(false);
    }
  });

  it('bytes after the last chunk are excess, at every split', () => {
    const buffer = bytes('5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n');
    for (let split = 0; split <= buffer.length; split++) {
      const result = decode(CHUNKED, [buffer.subarray(0, split), buffer.subarray(split)]);
      expect(result.payload, `split at ${split}`).toBe('hello');
      expect(result.done).toBe(true);
      expect(result.excess, `split at ${split}`).toBe('HTTP/1.1 200 OK\r\n\r\n'.length);
    }
    const oneByOne = decode(CHUNKED, byteByByte(buffer));
    expect(oneByOne.excess).toBe('HTTP/1.1 200 OK\r\n\r\n'.length);
    expect(oneByOne.doneAfter).toBe('5\r\nhello\r\n0\r\n\r\n'.length);
  });

  it('random chunk layouts, split at random (seeded), decode to the same payload', () => {
    const seed = 4242;
    const random = new SeededRandom(seed);
    for (let round = 0; round < 200; round++) {
      const body = Buffer.from(random.fillBytes(new Uint8Array(random.int(0, 3000))));
      const encoded: Buffer[] = [];
      let at = 0;
      while (at < body.length) {
        const size = Math.min(body.length - at, random.int(1, 600));
        let sizeText = size.toString(16);
        if (random.chance(0.3)) sizeText = sizeText.toUpperCase();
        if (random.chance(0.2)) sizeText = `00${sizeText}`;
        const extension = random.chance(0.3) ? `;ext${random.int(0, 100)}="v ; v"` : '';
        encoded.push(bytes(`${sizeText}${extension}\r\n`), body.subarray(at, at + size), bytes('\r\n'));
        at += size;
      }
      const trailers = random.chance(0.5) ? `X-Sum: ${random.int(0, 1e6)}\r\nX-More: a b\r\n` : '';
      encoded.push(bytes(`0\r\n${trailers}\r\n`));
      const message = Buffer.concat(encoded);
      const pieces = randomSplit(message, random, random.pick([1, 3, 17, 400, 5000]));
      const result = decode(CHUNKED, pieces);
      expect(result.done, `seed ${seed} round ${round}`).toBe(true);
      expect(result.excess).toBe(0);
      expect(Buffer.from(result.payload, 'latin1').equals(body), `seed ${seed} round ${round}`).toBe(true);
    }
  });

  it('payload slices are views of the input, not copies', () => {
    const input = bytes('5\r\nhello\r\n0\r\n\r\n');
    const result = new BodyDecoder(CHUNKED).push(input);
    expect(result.payload).toHaveLength(1);
    expect(result.payload[0].buffer).toBe(input.buffer);
  });

  it('a 13-digit size is read exactly', () => {
    const decoder = new BodyDecoder(CHUNKED);
    const result = decoder.push(bytes('fffffffffffff\r\nabc'));
    expect(result.done).toBe(false);
    expect(Buffer.concat(result.payload).toString()).toBe('abc');
  });
});

describe('chunked bodies: refused', () => {
  const refused: Array<[string, string, RegExp]> = [
    ['a non-hex size', 'g\r\nhello\r\n0\r\n\r\n', /chunk size expected/],
    ['a negative size', '-5\r\nhello\r\n0\r\n\r\n', /chunk size expected/],
    ['a 0x prefix', '0x5\r\nhello\r\n0\r\n\r\n', /invalid byte 0x78 after a chunk size/],
    ['a size with a trailing letter', '5g\r\nhello\r\n0\r\n\r\n', /invalid byte 0x67 after a chunk size/],
    ['leading whitespace before the size', ' 5\r\nhello\r\n0\r\n\r\n', /chunk size expected/],
    ['an empty size line', '\r\nhello\r\n0\r\n\r\n', /chunk size expected/],
    ['a missing last chunk (straight to the empty line)', '5\r\nhello\r\n\r\n', /chunk size expected/],
    ['14 digits', '00000000000005\r\nhello\r\n0\r\n\r\n', /chunk size too long/],
    ['a huge size', 'ffffffffffffffff\r\n', /chunk size too long/],
    ['a bare LF after the size', '5\nhello\r\n0\r\n\r\n', /invalid byte 0xa after a chunk size/],
    ['a second number after whitespace', '5 6\r\nhello\r\n0\r\n\r\n', /invalid byte 0x36 after a chunk size/],
    ['a bare LF after whitespace', '5 \nhello\r\n0\r\n\r\n', /invalid byte 0xa after a chunk size/],
    ['CR without LF after the size', '5\rhello\r\n0\r\n\r\n', /CR without LF after a chunk size/],
    ['a bare LF after an extension', '5;x\nhello\r\n0\r\n\r\n', /control character in a chunk extension/],
    ['a NUL in an extension', '5;x\x00\r\nhello\r\n0\r\n\r\n', /control character in a chunk extension/],
    ['DEL in an extension', '5;x\x7f\r\nhello\r\n0\r\n\r\n', /control character in a chunk extension/],
    ['CR without LF after an extension', '5;x\rhello\r\n0\r\n\r\n', /CR without LF after a chunk size/],
    ['data longer than its size', '3\r\nhello\r\n0\r\n\r\n', /chunk data longer than its size/],
    ['data without CRLF after it', '5\r\nhello0\r\n\r\n', /chunk data longer than its size/],
    ['a bare LF after data', '5\r\nhello\n0\r\n\r\n', /chunk data longer than its size/],
    ['CR without LF after data', '5\r\nhello\rX0\r\n\r\n', /CR without LF after chunk data/],
    ['a bare LF ending the last chunk', '0\n\r\n', /invalid byte 0xa after a chunk size/],
    ['a bare LF as the final line', '0\r\n\n', /control character in a trailer field/],
    ['a bare LF ending a trailer', '0\r\nX: y\n\r\n', /control character in a trailer field/],
    ['a NUL in a trailer', '0\r\nX: \x00\r\n\r\n', /control character in a trailer field/],
    ['CR without LF in the trailer section', '0\r\nX: y\rZ\r\n\r\n', /CR without LF in the trailer section/],
    ['CR without LF as the final line', '0\r\n\rX', /CR without LF in the trailer section/],
  ];

  for (const [name, message, error] of refused) {
    it(`refuses ${name}, whole and byte by byte`, () => {
      const buffer = bytes(message);
      expect(refusal(CHUNKED, [buffer])).toMatch(error);
      expect(refusal(CHUNKED, byteByByte(buffer))).toMatch(error);
    });
  }

  it('bounds a chunk extension to 16 KiB', () => {
    const ok = bytes(`5;${'x'.repeat(16 * 1024 - 1)}\r\nhello\r\n0\r\n\r\n`);
    expect(decode(CHUNKED, [ok]).payload).toBe('hello');
    const tooLong = bytes(`5;${'x'.repeat(16 * 1024 + 10)}\r\nhello\r\n0\r\n\r\n`);
    expect(refusal(CHUNKED, [tooLong])).toMatch(/chunk extension too long/);
    expect(refusal(CHUNKED, randomSplit(tooLong, new SeededRandom(3), 100))).toMatch(/chunk extension too long/);
  });

  it('bounds a trailer line to 16 KiB, per line', () => {
    const line = `X-T: ${'y'.repeat(16 * 1024 - 6)}\r\n`;
    const ok = bytes(`5\r\nhello\r\n0\r\n${line}${line}${line}\r\n`);
    expect(decode(CHUNKED, [ok])).toMatchObject({ payload: 'hello', done: true, excess: 0 });
    const tooLong = bytes(`5\r\nhello\r\n0\r\nX-T: ${'y'.repeat(16 * 1024)}\r\n\r\n`);
    expect(refusal(CHUNKED, [tooLong])).toMatch(/trailer field too long/);
    expect(refusal(CHUNKED, randomSplit(tooLong, new SeededRandom(4), 100))).toMatch(/trailer field too long/);
  });

  it('refuses at the same point whatever the split (seeded random splits)', () => {
    const random = new SeededRandom(77);
    for (const [, message, error] of refused) {
      for (let round = 0; round < 10; round++) {
        expect(refusal(CHUNKED, randomSplit(bytes(message), random, 5))).toMatch(error);
      }
    }
  });

  it('the payload before the fault is still handed out piece by piece', () => {
    const decoder = new BodyDecoder(CHUNKED);
    const first = decoder.push(bytes('5\r\nhello\r\n'));
    expect(Buffer.concat(first.payload).toString()).toBe('hello');
    expect(first.done).toBe(false);
    expect(() => decoder.push(bytes('zz\r\n'))).toThrow(BodyDecodeError);
  });
});
