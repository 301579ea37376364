// A fast, well-mixed 32-bit string hash for the consistent-hash ring: FNV-1a over UTF-16
// code units, finished with MurmurHash3's fmix32 so that keys differing in one character
// (192.0.2.1, 192.0.2.2) land far apart on the ring. Not for security.

export function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
