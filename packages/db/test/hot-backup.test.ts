// Online backup on the simulated disk, at the level the guarantee lives: a datafile copied
// with a plain copy while DBWR writes it can hold a torn block (half the old image, half
// the new); recovery from the copy's frozen checkpoint restores it from the full-block
// image logged at its first change in backup mode, and every acknowledged commit is back.
// A block damaged without such an image is reported, not silently used.
import { SeededRandom } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import { ControlFiles } from '../src/control/control-file.js';
import { MediaRecovery, recordRecovery } from '../src/recovery/media-recovery.js';
import { checksumMatches } from '../src/storage/block.js';
import type { BlockAddress } from '../src/storage/block.js';
import {
  ARCHIVE_DESTINATIONS,
  archivelogDatabase,
  BLOCK_BYTES,
  CONTROL_PATHS,
  DIR,
  expectLedger,
  makeCounters,
  newLedger,
  openArchiving,
  runWorkload,
  settle,
  USR_FILE,
  USR_PATH,
  type Ledger,
  type Rig,
} from './storage-rig.js';
import type { Storage } from '../src/instance/storage.js';

async function writeFile(r: Rig, path: string, bytes: Uint8Array): Promise<void> {
  const handle = await r.fs.open(path, { create: true, truncate: true });
  await handle.write(bytes, 0);
  await handle.sync();
  await handle.close();
}

function blockOf(file: Uint8Array, blockNumber: number): Uint8Array {
  return file.subarray(blockNumber * BLOCK_BYTES, (blockNumber + 1) * BLOCK_BYTES);
}

/** Complete media recovery of the USR datafile in MOUNT, then OPEN. */
async function recoverUsr(r: Rig): Promise<Storage> {
  const control = (await ControlFiles.mount(r.fs, CONTROL_PATHS)).control;
  try {
    const recovery = await MediaRecovery.start(
      {
        fs: r.fs,
        clock: r.clock,
        alert: r.alert,
        control,
        archiveDestinations: ARCHIVE_DESTINATIONS,
        doublewritePath: `${DIR}/recovery.dbw`,
      },
      { fileNumbers: [USR_FILE], database: false },
      { kind: 'complete' },
    );
    await recovery.applyAvailable();
    const outcome = await recovery.finish();
    await recordRecovery(control, outcome, { kind: 'complete' }, { whileOpen: false });
  } finally {
    await control.close();
  }
  return openArchiving(r);
}

/**
 * Takes a "copy" of USR during backup mode the way cp would meet DBWR: the file as it was
 * when the copy began, except block `torn`, read while DBWR rewrote it.
 */
async function backupWithTornBlock(
  r: Rig,
  storage: Storage,
  counters: readonly BlockAddress[],
  ledger: Ledger,
): Promise<{ copy: Uint8Array; torn: number }> {
  const backupTsn = await storage.beginBackup([USR_FILE]);
  const before = await r.fs.readFile(USR_PATH);
  await runWorkload(storage, counters.slice(0, 4), new SeededRandom(7), ledger, { steps: 40 });
  await storage.checkpointer.full('during the copy');
  // The checkpoint ran, but the file's checkpoint stays frozen at the backup's start.
  expect(storage.datafiles.get(USR_FILE)!.header.checkpointTsn).toBe(backupTsn);
  const after = await r.fs.readFile(USR_PATH);
  const torn = counters[0].blockNumber;
  expect(blockOf(before, torn)).not.toEqual(blockOf(after, torn));
  // The tear falls inside the counter's bytes (the rest of the block is empty, so a tear
  // elsewhere would leave a valid block): the new header and first bytes, the old rest.
  const copy = before.slice();
  const tearAt = torn * BLOCK_BYTES + 68;
  copy.set(after.subarray(torn * BLOCK_BYTES, tearAt), torn * BLOCK_BYTES);
  expect(checksumMatches(blockOf(copy, torn))).toBe(false);
  await storage.endBackup([USR_FILE]);
  return { copy, torn };
}

describe('hot backup', () => {
  it('recovers a copy that tore a block DBWR was writing, from the full-block image', async () => {
    const r = await archivelogDatabase(5101);
    const storage = await openArchiving(r);
    const counters = await makeCounters(storage, 6);
    const ledger = newLedger();
    await runWorkload(storage, counters, new SeededRandom(1), ledger, { steps: 30 });
    const { copy } = await backupWithTornBlock(r, storage, counters, ledger);
    // Work after the backup: archived logs, then the online one.
    await runWorkload(storage, counters, new SeededRandom(2), ledger, { steps: 30 });
    await storage.redo.switchLogfile();
    await runWorkload(storage, counters, new SeededRandom(3), ledger, { steps: 30 });
    await storage.redo.switchLogfile();
    await runWorkload(storage, counters, new SeededRandom(4), ledger, { steps: 10 });
    await settle(r, () => storage.control.state.logGroups.every((g) => g.archived !== false), 'archived');
    expect(ledger.failures).toEqual([]);
    await storage.abort();

    await writeFile(r, USR_PATH, copy);
    const recovered = await recoverUsr(r);
    await expectLedger(recovered, counters, ledger, 'after recovering the torn copy');
    await recovered.close();
  });

  it('reports a damaged block in the copy that no image in the redo replaces', async () => {
    const r = await archivelogDatabase(5102);
    const storage = await openArchiving(r);
    const counters = await makeCounters(storage, 6);
    const ledger = newLedger();
    await runWorkload(storage, counters, new SeededRandom(1), ledger, { steps: 20 });
    const { copy } = await backupWithTornBlock(r, storage, counters, ledger);
    // Counter 5 is damaged in the copy but changed only after END BACKUP: the redo that
    // touches it has no image to replace it with, so recovery must say so.
    const damaged = counters[5].blockNumber;
    copy[damaged * BLOCK_BYTES + 100] ^= 0xff;
    await runWorkload(storage, counters.slice(5), new SeededRandom(9), ledger, { steps: 5, sessions: 1 });
    await storage.redo.switchLogfile();
    await settle(r, () => storage.control.state.logGroups.every((g) => g.archived !== false), 'archived');
    await storage.abort();

    await writeFile(r, USR_PATH, copy);
    await expect(recoverUsr(r)).rejects.toMatchObject({
      codeName: 'BLOCK_CORRUPT',
      message: expect.stringContaining(`${USR_FILE}:${damaged}`) as string,
    });
  });
});
