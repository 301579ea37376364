// Streaming copies: plain (two buffers, read and write overlapping) and gzip, hashed on the
// way; reading a stored file back checks size and sha256 and restores only a sound file.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '@tandem/testkit';
import type { FileHandle } from 'node:fs/promises';
import {
  CHUNK_BYTES,
  copyFileHashed,
  HeadCapture,
  readStoredFile,
  restoreInPlace,
  WritebackFlusher,
} from './file-copy.js';

let directory: string;
let source: string;
let content: Buffer;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tandem-copy-'));
  source = join(directory, 'source.dtf');
  const random = new SeededRandom(11);
  // Not a multiple of the chunk size; half random (incompressible), half zeros.
  content = Buffer.alloc(3 * CHUNK_BYTES + 12345);
  random.fillBytes(content.subarray(0, Math.floor(content.length / 2)));
  await writeFile(source, content);
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('copyFileHashed and readStoredFile', () => {
  it('copies plainly, with the content hashed, inspected and reported', async () => {
    const head = new HeadCapture(100);
    const seen: number[] = [];
    const target = join(directory, 'plain.dtf');
    const result = await copyFileHashed(source, target, false, {
      inspectors: [head],
      onBytes: (bytes) => seen.push(bytes),
    });
    expect(result).toEqual({
      bytes: content.length,
      sha256: sha256(content),
      storedBytes: content.length,
      storedSha256: sha256(content),
    });
    expect((await readFile(target)).equals(content)).toBe(true);
    expect(Buffer.from(head.bytes).equals(content.subarray(0, 100))).toBe(true);
    expect(seen.at(-1)).toBe(content.length);
    await expect(copyFileHashed(source, target, false)).rejects.toThrow(/^TBAK-0009: cannot create/);
  });

  it('compresses, and restores the content after checking both hashes', async () => {
    const stored = join(directory, 'gz.dtf.gz');
    const result = await copyFileHashed(source, stored, true);
    expect(result.bytes).toBe(content.length);
    expect(result.sha256).toBe(sha256(content));
    expect(result.storedBytes).toBeLessThan(content.length);
    expect(result.storedSha256).toBe(sha256(await readFile(stored)));
    const restored = join(directory, 'restored.dtf');
    const read = await readStoredFile(stored, { ...result, compressed: true }, { target: restored });
    expect(read.problems).toEqual([]);
    expect((await readFile(restored)).equals(content)).toBe(true);
  });

  it('finds a changed byte or a missing file, and then writes nothing', async () => {
    const stored = join(directory, 'damaged.dtf');
    const result = await copyFileHashed(source, stored, false);
    const bytes = await readFile(stored);
    bytes[CHUNK_BYTES + 5] ^= 1;
    await writeFile(stored, bytes);
    const target = join(directory, 'not-written.dtf');
    const read = await readStoredFile(stored, { ...result, compressed: false }, { target });
    expect(read.problems).toEqual([expect.stringMatching(/^sha256 [0-9a-f]+…, the manifest says/)]);
    await expect(readFile(target)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readFile(`${target}.restoring`)).rejects.toMatchObject({ code: 'ENOENT' });
    const missing = await readStoredFile(join(directory, 'nothing'), { ...result, compressed: false });
    expect(missing.problems).toEqual(['it is missing from the backup']);
  });

  it('finds corrupt compressed data', async () => {
    const stored = join(directory, 'corrupt.gz');
    const result = await copyFileHashed(source, stored, true);
    const bytes = await readFile(stored);
    bytes[200] ^= 0xff;
    await writeFile(stored, bytes);
    const read = await readStoredFile(stored, { ...result, compressed: true });
    expect(read.problems).toHaveLength(1);
  });

  it('writes over an existing file in place, truncating what is beyond the content', async () => {
    const stored = join(directory, 'in-place-source.dtf');
    const result = await copyFileHashed(source, stored, false);
    const target = join(directory, 'in-place-target.dtf');
    await writeFile(target, Buffer.alloc(content.length + 5 * CHUNK_BYTES, 0xee));
    let checked = false;
    const restored = await restoreInPlace(
      stored,
      target,
      { ...result, compressed: false },
      {
        beforeWrite: () => {
          checked = true;
          return Promise.resolve([]);
        },
      },
    );
    expect(restored).toEqual({ problems: [], written: true });
    expect(checked).toBe(true);
    expect((await readFile(target)).equals(content)).toBe(true);
    // A damaged stored file leaves the target as it was.
    const bytes = await readFile(stored);
    bytes[10] ^= 1;
    await writeFile(stored, bytes);
    await writeFile(target, 'old content');
    const refused = await restoreInPlace(stored, target, { ...result, compressed: false });
    expect(refused.written).toBe(false);
    expect(refused.problems).toEqual([expect.stringMatching(/^sha256 /)]);
    expect(await readFile(target, 'utf8')).toBe('old content');
  });
});

describe('WritebackFlusher', () => {
  /** A file handle whose fdatasync is counted, and fails from the `failAt`-th call on. */
  function countingHandle(failAt = Infinity): { handle: FileHandle; calls: () => number } {
    let calls = 0;
    const handle = {
      datasync: async (): Promise<void> => {
        calls++;
        await new Promise((resolveWait) => setTimeout(resolveWait, 1));
        if (calls >= failAt) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      },
    } as unknown as FileHandle;
    return { handle, calls: () => calls };
  }

  it('flushes while the file is written, and stops at finish', async () => {
    const { handle, calls } = countingHandle();
    const flusher = new WritebackFlusher(handle, '/data/usr001.dtf');
    await new Promise((resolveWait) => setTimeout(resolveWait, 40));
    await flusher.finish();
    const atFinish = calls();
    expect(atFinish).toBeGreaterThanOrEqual(1);
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
    expect(calls()).toBe(atFinish);
  });

  it('reports a failed flush at finish, as a later fdatasync may not', async () => {
    const { handle } = countingHandle(1);
    const flusher = new WritebackFlusher(handle, '/data/usr001.dtf');
    await expect(flusher.finish()).rejects.toThrow(/^TBAK-\d{4}: cannot sync '\/data\/usr001.dtf': EIO/);
  });
});
