// Fresh, zeroed byte arrays for the codecs' results, carved from shared slabs the way Node's
// Buffer pool does it. V8 keeps a typed array of more than 64 bytes outside its heap, and
// allocating one costs several times what encoding a 100-byte row does; a view on a slab
// costs about as much as a small object.
//
// A region is handed out once and never reused, so a result is never overwritten. The price
// is memory: a result kept alive keeps its whole slab (SLAB_BYTES) alive, so a caller that
// keeps many results for a long time (a cache) should copy them with slice().

const SLAB_BYTES = 8192;
/** Larger results get their own buffer, so that one does not leave most of a slab unused. */
const SLAB_RESULT_BYTES_MAX = 1024;

let slab = new Uint8Array(SLAB_BYTES);
let slabUsedBytes = 0;

/** A zeroed array of `bytes` bytes that no other caller holds. */
export function allocateBytes(bytes: number): Uint8Array {
  if (bytes > SLAB_RESULT_BYTES_MAX) return new Uint8Array(bytes);
  if (slabUsedBytes + bytes > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsedBytes = 0;
  }
  const result = slab.subarray(slabUsedBytes, slabUsedBytes + bytes);
  slabUsedBytes += bytes;
  return result;
}

/** A copy of bytes [start, end) of `source`, in a fresh array from `allocateBytes`. */
export function copyBytes(source: Uint8Array, start: number, end: number): Uint8Array {
  const copy = allocateBytes(end - start);
  // A loop beats set(subarray()) for short copies: no view object to make.
  if (end - start <= 64) for (let i = start; i < end; i++) copy[i - start] = source[i];
  else copy.set(source.subarray(start, end));
  return copy;
}
