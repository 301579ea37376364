// Reading a control file while it may be written: a copy whose newest slot is torn is passed
// over for a whole one; a copy that never becomes whole, or never shows the wanted version,
// is an error naming the reason.
import { copyFile, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlFiles, type ControlFileState } from '@tandem/db';
import { NodeFileSystem } from '@tandem/testkit';
import { readConsistentControlFile } from './control-copy.js';

const SLOT_BYTES = 64 * 1024;

const state: ControlFileState = {
  formatVersion: 1,
  dbName: 'tandem',
  dbId: 4242,
  createdMs: 0,
  blockBytes: 8192,
  logMode: 'ARCHIVELOG',
  incarnation: { number: 1, resetlogsTsn: 0, resetlogsMs: 0 },
  checkpoint: { sequence: 1, offsetBytes: 512, tsn: 10 },
  checkpointMs: 0,
  cleanShutdown: false,
  tablespaces: [],
  datafiles: [],
  logGroups: [],
};

let directory: string;
let good: string;
let torn: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tandem-control-copy-'));
  good = join(directory, 'control01.ctl');
  torn = join(directory, 'control02.ctl');
  const control = await ControlFiles.create(new NodeFileSystem(), [good], state);
  await control.update((current) => ({ ...current, checkpoint: { ...current.checkpoint, tsn: 20 } })); // version 2, slot 0
  await control.close();
  await copyFile(good, torn);
  // Half of the newest slot (slot 0, version 2) written over: as read during a checkpoint.
  const handle = await open(torn, 'r+');
  await handle.write(Buffer.alloc(100, 0x5a), 0, 100, 40);
  await handle.close();
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('readConsistentControlFile', () => {
  it('reads a whole copy, passing over one with a torn slot', async () => {
    const image = await readConsistentControlFile([torn, good], () => undefined);
    expect(image.path).toBe(good);
    expect(image.state.checkpoint.tsn).toBe(20);
    expect(image.bytes.length).toBeGreaterThan(SLOT_BYTES);
  });

  it('gives up on a copy that stays torn, or never shows the wanted version, saying why', async () => {
    await expect(readConsistentControlFile([torn], () => undefined, 'validated-copy', 2)).rejects.toThrow(
      /^TBAK-0008: no consistent copy of the control file could be read: .*control02\.ctl.*corrupt/,
    );
    await expect(
      readConsistentControlFile([good], (s) => (s.checkpoint.tsn < 30 ? 'too old' : undefined), 'validated-copy', 2),
    ).rejects.toThrow(/control01\.ctl': too old/);
  });
});
