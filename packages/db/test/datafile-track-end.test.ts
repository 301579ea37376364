// Datafile.trackEnd(): media recovery's handles read blocks past a restored file's end as
// never written without a read, and read back what they wrote or extended there.
import { SeededRandom, SimulatedFileSystem } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import { BlockType, formatBlock, sealBlock } from '../src/storage/block.js';
import { Datafile } from '../src/storage/datafile.js';

const BLOCK = 8192;

async function smallDatafile(fs: SimulatedFileSystem): Promise<Datafile> {
  const datafile = await Datafile.create(fs, {
    path: '/db/usr001.dtf',
    header: {
      dbId: 7,
      fileNumber: 4,
      tablespaceNumber: 3,
      blockBytes: BLOCK,
      creationTsn: 1,
      checkpointTsn: 1,
      checkpointMs: 0,
      resetlogsTsn: 1,
    },
    sizeBlocks: 8,
    maxBlocks: 64,
  });
  await datafile.close();
  return Datafile.open(fs, '/db/usr001.dtf', 4, BLOCK);
}

function image(blockNumber: number, tsn: number): Uint8Array {
  const block = new Uint8Array(BLOCK);
  formatBlock(block, { type: BlockType.SegmentHeader, fileNumber: 4, blockNumber, tsn, objectNumber: 9 });
  sealBlock(block);
  return block;
}

describe('Datafile.trackEnd', () => {
  it('reads past the end as never written, and reads back blocks written or extended there', async () => {
    const fs = new SimulatedFileSystem({ random: new SeededRandom(5) });
    await fs.mkdir('/db');
    const datafile = await smallDatafile(fs);
    await datafile.trackEnd();
    const target = new Uint8Array(BLOCK).fill(0xaa);
    expect(await datafile.readBlock(20, target)).toBe(false);
    expect(target.every((byte) => byte === 0)).toBe(true);

    await datafile.writeBlock(20, image(20, 50));
    expect(await datafile.readBlock(20, target)).toBe(true);
    expect(target).toEqual(image(20, 50));
    // Between the old end and the block written: inside the file now, never written.
    expect(await datafile.readBlock(12, target)).toBe(false);

    await datafile.extend(40);
    expect(await datafile.readBlock(30, target)).toBe(false);
    expect(await datafile.sizeBlocks()).toBe(40);
    await datafile.close();

    // Reopened without tracking: the same content from the file itself.
    const reopened = await Datafile.open(fs, '/db/usr001.dtf', 4, BLOCK);
    expect(await reopened.readBlock(20, target)).toBe(true);
    expect(target).toEqual(image(20, 50));
    await reopened.close();
  });
});
