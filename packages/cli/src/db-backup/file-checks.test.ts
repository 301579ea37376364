// The soundness checks of backup files, fed in chunks of odd sizes as a stream would:
// datafile headers (read by the database's own code) and blocks, archived log trailers.
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ARCHIVE_TRAILER_BYTES, Datafile, encodeArchiveTrailer } from '@tandem/db';
import { SeededRandom, SimulatedFileSystem } from '@tandem/testkit';
import { ArchivedLogCheck, DatafileBlocksCheck, DatafileHeaderCheck } from './file-checks.js';
import type { ContentInspector } from './file-copy.js';

const BLOCK = 4096;

function feed(inspector: ContentInspector, bytes: Uint8Array, chunk = 3001): void {
  for (let at = 0; at < bytes.length; at += chunk) inspector.update(bytes.subarray(at, at + chunk));
}

async function datafileImage(): Promise<Uint8Array> {
  const fs = new SimulatedFileSystem({ random: new SeededRandom(7) });
  const datafile = await Datafile.create(fs, {
    path: '/usr001.dtf',
    header: {
      dbId: 4242,
      fileNumber: 4,
      tablespaceNumber: 3,
      blockBytes: BLOCK,
      creationTsn: 1,
      checkpointTsn: 77,
      checkpointMs: 0,
      resetlogsTsn: 0,
    },
    sizeBlocks: 16,
    maxBlocks: 64,
  });
  await datafile.close();
  return fs.readFile('/usr001.dtf');
}

describe('datafile checks', () => {
  it('reads the header of a sound copy, and refuses another database or a damaged header', async () => {
    const image = await datafileImage();
    const check = new DatafileHeaderCheck(4, BLOCK);
    feed(check, image);
    expect(await check.check(4242)).toMatchObject({ ok: true, value: { fileNumber: 4, checkpointTsn: 77 } });
    expect(await check.check(1)).toEqual({ ok: false, problem: 'its header names database id 4242, not 1' });

    const damaged = Uint8Array.from(image);
    damaged[100] ^= 1;
    damaged[BLOCK + 100] ^= 1;
    const broken = new DatafileHeaderCheck(4, BLOCK);
    feed(broken, damaged);
    expect(await broken.check(4242)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/no readable header/) as string,
    });

    const other = new DatafileHeaderCheck(5, BLOCK);
    feed(other, image);
    expect(await other.check(4242)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/is datafile 4/) as string,
    });
  });

  it('sorts blocks into sound, never written and corrupt, across chunk boundaries', async () => {
    const image = await datafileImage();
    const blocks = new DatafileBlocksCheck(4, BLOCK);
    feed(blocks, image);
    expect(blocks.corrupt).toEqual([]);
    expect(blocks.sound + blocks.empty).toBe(16);
    const damaged = Uint8Array.from(image);
    damaged[2 * BLOCK + 40] ^= 0x10; // the bitmap block
    const again = new DatafileBlocksCheck(4, BLOCK);
    feed(again, damaged, 1000);
    expect(again.corrupt).toEqual([2]);
    const short = new DatafileBlocksCheck(4, BLOCK);
    feed(short, image.subarray(0, BLOCK + 10));
    expect(short.partialTail).toBe(true);
  });
});

describe('archived log checks', () => {
  const body = new Uint8Array(10_000).map((_, i) => (i * 31) & 0xff);
  const header = {
    dbId: 4242,
    thread: 1,
    groupNumber: 2,
    incarnation: 1,
    sequence: 7,
    resetlogsTsn: 0,
    firstTsn: 100,
    nextTsn: 200,
    firstMs: 1,
    nextMs: 2,
    bodyBytes: body.length,
    bodyCrc32: crc32(body),
    archivedMs: 3,
  };
  const file = Buffer.concat([body, encodeArchiveTrailer(header)]);

  it('accepts a whole log whose body matches its trailer', () => {
    const check = new ArchivedLogCheck(file.length);
    feed(check, file, 777);
    expect(check.check({ dbId: 4242, sequence: 7, incarnation: 1 })).toMatchObject({
      ok: true,
      value: { nextTsn: 200 },
    });
    expect(check.check({ dbId: 4242, sequence: 8 })).toEqual({ ok: false, problem: 'it holds log sequence 7, not 8' });
  });

  it('finds a flipped byte in the body or the trailer, and a short file', () => {
    const body = Buffer.from(file);
    body[5000] ^= 1;
    const inBody = new ArchivedLogCheck(file.length);
    feed(inBody, body);
    expect(inBody.check({ dbId: 4242 })).toEqual({
      ok: false,
      problem: 'its redo does not match the checksum in its trailer',
    });
    const trailer = Buffer.from(file);
    trailer[file.length - ARCHIVE_TRAILER_BYTES + 40] ^= 1;
    const inTrailer = new ArchivedLogCheck(file.length);
    feed(inTrailer, trailer);
    expect(inTrailer.check({ dbId: 4242 })).toEqual({
      ok: false,
      problem: 'its archive trailer is missing or damaged',
    });
    const short = new ArchivedLogCheck(file.length);
    feed(short, file.subarray(0, 9000));
    expect(short.check({ dbId: 4242 })).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^it is 9000 bytes/) as string,
    });
  });
});
