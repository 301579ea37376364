// Tests of the codecs' UTF-8: the JS loop and the native path agree with TextEncoder and
// TextDecoder at every length, with NUL escaping for keys.
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@tandem/testkit';
import { readUtf8, utf8ByteLength, writeUtf8 } from './utf8.js';

const PIECES = ['a', '\0', 'é', '\u0800', '\uFFFF', '😀', '\uD800', '\uDC00', 'z'];

function escapeNul(bytes: Uint8Array): number[] {
  const escaped: number[] = [];
  for (const byte of bytes) escaped.push(...(byte === 0 ? [0, 0xff] : [byte]));
  return escaped;
}

describe('utf8', () => {
  it('encodes like TextEncoder at every length, escaped or not', () => {
    const random = new SeededRandom(3);
    const encoder = new TextEncoder();
    const target = new Uint8Array(1000);
    for (let round = 0; round < 2000; round++) {
      let text = '';
      for (let i = random.int(0, 60); i > 0; i--) text += random.pick(PIECES);
      const expected = encoder.encode(text);
      const where = `seed ${random.seed} round ${round} length ${text.length}`;
      expect(utf8ByteLength(text), where).toBe(expected.length);
      const offset = random.int(0, 10);
      target.fill(0x55);
      expect(writeUtf8(text, target, offset, false), where).toBe(offset + expected.length);
      expect(target.subarray(offset, offset + expected.length), where).toEqual(expected);
      const escaped = escapeNul(expected);
      expect(writeUtf8(text, target, offset, true), where).toBe(offset + escaped.length);
      expect([...target.subarray(offset, offset + escaped.length)], where).toEqual(escaped);
      expect(target[offset - 1] ?? 0x55, where).toBe(0x55); // nothing written before `offset`
      // Decoding well-formed text gives it back; lone surrogates come back as U+FFFD.
      expect(readUtf8(expected, 0, expected.length), where).toBe(new TextDecoder().decode(expected));
    }
  });
});
