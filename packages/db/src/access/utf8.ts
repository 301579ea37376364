// UTF-8 for the key and row codecs, writing text straight into the codec's output buffer and
// escaping NUL for keys in the same pass. Short strings (most key and column values) go
// through a JS loop, long ones through the native encoder and decoder: on Node 20 the loop
// wins below a few dozen characters, where the native calls' fixed cost dominates.

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/** At most this many UTF-16 code units are encoded by the JS loop; longer strings natively. */
const MANUAL_ENCODE_UNITS_MAX = 24;
/** At most this many bytes of ASCII are decoded by the JS loop; longer input natively. */
const MANUAL_DECODE_BYTES_MAX = 12;

/** The UTF-8 length of `text`; a lone surrogate counts as U+FFFD (3 bytes), as TextEncoder does. */
export function utf8ByteLength(text: string): number {
  // Node's native count, without encoding: a fraction of any JS loop for long strings.
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Writes `text` as UTF-8 into `target` from `offset` and returns the offset after it. With
 * `escapeNul`, U+0000 becomes 0x00 0xFF (the key codec's escape). `target` must have room:
 * 3 bytes per UTF-16 code unit always suffice, with or without escaping. A lone surrogate is
 * written as U+FFFD, as TextEncoder does (validateValue rejects such text beforehand).
 */
export function writeUtf8(text: string, target: Uint8Array, offset: number, escapeNul: boolean): number {
  if (text.length > MANUAL_ENCODE_UNITS_MAX) return writeUtf8Native(text, target, offset, escapeNul);
  let at = offset;
  for (let i = 0; i < text.length; i++) {
    let point = text.charCodeAt(i);
    if (point < 0x80) {
      target[at++] = point;
      if (point === 0 && escapeNul) target[at++] = 0xff;
      continue;
    }
    if (point < 0x800) {
      target[at++] = 0xc0 | (point >>> 6);
      target[at++] = 0x80 | (point & 0x3f);
      continue;
    }
    if (point >= 0xd800 && point <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (point <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        point = 0x10000 + ((point - 0xd800) << 10) + (next - 0xdc00);
        i++;
        target[at++] = 0xf0 | (point >>> 18);
        target[at++] = 0x80 | ((point >>> 12) & 0x3f);
        target[at++] = 0x80 | ((point >>> 6) & 0x3f);
        target[at++] = 0x80 | (point & 0x3f);
        continue;
      }
      point = 0xfffd;
    }
    target[at++] = 0xe0 | (point >>> 12);
    target[at++] = 0x80 | ((point >>> 6) & 0x3f);
    target[at++] = 0x80 | (point & 0x3f);
  }
  return at;
}

function writeUtf8Native(text: string, target: Uint8Array, offset: number, escapeNul: boolean): number {
  const written = encoder.encodeInto(text, target.subarray(offset)).written;
  const end = offset + written;
  if (!escapeNul) return end;
  let nulBytes = 0;
  for (let i = offset; i < end; i++) if (target[i] === 0) nulBytes++;
  if (nulBytes === 0) return end;
  // Widen in place from the back, so that each byte moves once: every NUL gains its 0xFF.
  let to = end + nulBytes;
  for (let from = end - 1; from >= offset; from--) {
    const byte = target[from];
    if (byte === 0) target[--to] = 0xff;
    target[--to] = byte;
  }
  return end + nulBytes;
}

/** Decodes bytes [start, end) of `bytes` as UTF-8. */
export function readUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= MANUAL_DECODE_BYTES_MAX) {
    let text = '';
    let i = start;
    for (; i < end; i++) {
      const byte = bytes[i];
      if (byte >= 0x80) break;
      text += String.fromCharCode(byte);
    }
    if (i === end) return text;
  }
  return decoder.decode(bytes.subarray(start, end));
}
