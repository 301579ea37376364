// Tests of the byte slab: results are zeroed, exact-size and never overlap.
import { describe, expect, it } from 'vitest';
import { allocateBytes, copyBytes } from './byte-slab.js';

describe('byte slab', () => {
  it('hands out zeroed regions that never overlap, across slab boundaries', () => {
    const taken: Uint8Array[] = [];
    for (let i = 0; i < 500; i++) {
      const bytes = allocateBytes((i * 37) % 1500);
      expect(bytes.length).toBe((i * 37) % 1500);
      expect(bytes.every((byte) => byte === 0)).toBe(true);
      bytes.fill((i % 255) + 1);
      taken.push(bytes);
    }
    taken.forEach((bytes, i) => expect(bytes.every((byte) => byte === (i % 255) + 1)).toBe(true));
  });

  it('copies a range, short or long', () => {
    const source = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    expect(copyBytes(source, 5, 9)).toEqual(new Uint8Array([5, 6, 7, 8]));
    expect(copyBytes(source, 10, 210)).toEqual(source.slice(10, 210));
  });
});
