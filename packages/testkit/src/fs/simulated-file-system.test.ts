// The simulated disk: the FileSystem conformance suite, then its crash, fault and
// corruption behaviour over many seeds. Every assertion inside a seed loop names the seed,
// so a failure replays with that one seed.

import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../random/random.js';
import { defineFileSystemConformance } from './file-system-conformance.js';
import type { FileHandle, FileSystemErrorCode } from './file-system.js';
import { FileSystemError } from './file-system.js';
import type { CrashReport } from './simulated-crash.js';
import type { SimulatedFileSystemOptions } from './simulated-file-system.js';
import { SimulatedFileSystem } from './simulated-file-system.js';

defineFileSystemConformance('SimulatedFileSystem', async () => {
  const fs = new SimulatedFileSystem({ random: new SeededRandom(20_260_101) });
  await fs.mkdir('/data');
  await fs.syncDirectory('/');
  return {
    fs,
    root: '/data',
    cleanup: () => {
      fs.checkInvariants();
      return Promise.resolve();
    },
    crash: () => {
      fs.crash();
      return Promise.resolve();
    },
  };
});

const seeds = Array.from({ length: 200 }, (_, index) => index + 1);
const sectorBytes = 512;

function simulatedDisk(seed: number, options: Partial<SimulatedFileSystemOptions> = {}): SimulatedFileSystem {
  return new SimulatedFileSystem({ random: new SeededRandom(seed), sectorBytes, ...options });
}

/** Distinct, position-dependent bytes, so a shifted or mixed copy does not pass for the original. */
function pattern(lengthBytes: number, salt: number): Uint8Array {
  return Uint8Array.from({ length: lengthBytes }, (_, index) => (index * 31 + salt * 97 + (index >> 8)) & 0xff);
}

async function failureOf(operation: Promise<unknown>): Promise<FileSystemError> {
  const outcome = await operation.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof FileSystemError)) throw new Error(`expected a FileSystemError, got ${String(outcome)}`);
  return outcome;
}

async function expectCode(operation: Promise<unknown>, code: FileSystemErrorCode, context = ''): Promise<void> {
  expect((await failureOf(operation)).code, context).toBe(code);
}

/** A file with `contents` whose data and name are both durable, and an open handle on it. */
async function durableFile(fs: SimulatedFileSystem, path: string, contents: Uint8Array): Promise<FileHandle> {
  const handle = await fs.open(path, { create: true });
  await handle.write(contents, 0);
  await handle.datasync();
  await fs.syncDirectory(path.slice(0, path.lastIndexOf('/')) || '/');
  return handle;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

describe('SimulatedFileSystem crash: unsynced writes', () => {
  it('keeps, drops or tears an unsynced write, and the bytes match the report', async () => {
    const fates = new Map<string, number>();
    for (const seed of seeds) {
      const context = `seed ${seed}`;
      const fs = simulatedDisk(seed);
      const oldBytes = pattern(4 * sectorBytes, 1);
      const newBytes = pattern(4 * sectorBytes, 2);
      const handle = await durableFile(fs, '/f', oldBytes);
      await handle.write(newBytes, 0);
      expect(fs.pendingWriteCount('/f'), context).toBe(1);

      const report = fs.crash();
      expect(report.seed, context).toBe(seed);
      expect(report.dataOperations, context).toHaveLength(1);
      const [operation] = report.dataOperations;
      if (operation === undefined) throw new Error('unreachable');
      expect(operation, context).toMatchObject({
        path: '/f',
        kind: 'write',
        position: 0,
        lengthBytes: newBytes.length,
      });
      const key = operation.fate === 'torn' ? `torn/${operation.tail}` : operation.fate;
      fates.set(key, (fates.get(key) ?? 0) + 1);

      const actual = await fs.readFile('/f');
      expect(actual.length, context).toBe(newBytes.length);
      if (operation.fate === 'kept') expect(equalBytes(actual, newBytes), context).toBe(true);
      if (operation.fate === 'dropped') expect(equalBytes(actual, oldBytes), context).toBe(true);
      if (operation.fate === 'torn') {
        const tornAtBytes = operation.tornAtBytes ?? -1;
        expect(tornAtBytes % sectorBytes, context).toBe(0);
        expect(tornAtBytes > 0 && tornAtBytes < newBytes.length, context).toBe(true);
        expect(equalBytes(actual.subarray(0, tornAtBytes), newBytes.subarray(0, tornAtBytes)), context).toBe(true);
        const tail = actual.subarray(tornAtBytes);
        const oldTail = oldBytes.subarray(tornAtBytes);
        if (operation.tail === 'old') expect(equalBytes(tail, oldTail), context).toBe(true);
        else {
          expect(operation.tail, context).toBe('garbage');
          expect(equalBytes(tail, oldTail) || equalBytes(tail, newBytes.subarray(tornAtBytes)), context).toBe(false);
        }
      }
      expect(fs.pendingWriteCount(), context).toBe(0);
      expect(fs.durableContents('/f'), context).toEqual(actual);
      fs.checkInvariants();
    }
    expect([...fates.keys()].sort()).toEqual(['dropped', 'kept', 'torn/garbage', 'torn/old']);
  });

  it('tears a write of at most one sector at any byte, and sizes the file by what reached the disk', async () => {
    let tornCount = 0;
    for (const seed of seeds) {
      const context = `seed ${seed}`;
      const fs = simulatedDisk(seed);
      const oldBytes = pattern(200, 3);
      const handle = await durableFile(fs, '/f', oldBytes);
      const small = pattern(100, 4);
      await handle.write(small, 150); // ends at 250, past the durable end at 200
      const [operation] = fs.crash().dataOperations;
      if (operation === undefined) throw new Error(`${context}: no operation reported`);
      const actual = await fs.readFile('/f');
      const expected = new Uint8Array(250);
      expected.set(oldBytes);
      if (operation.fate === 'kept') expected.set(small, 150);
      if (operation.fate === 'dropped') {
        expect(equalBytes(actual, oldBytes), context).toBe(true);
        continue;
      }
      if (operation.fate === 'torn') {
        tornCount++;
        const tornAtBytes = operation.tornAtBytes ?? -1;
        expect(tornAtBytes >= 0 && tornAtBytes < small.length, context).toBe(true);
        expected.set(small.subarray(0, tornAtBytes), 150);
        if (operation.tail === 'old') {
          // Only the prefix reached the disk, so the file ends where the prefix ends, or at the old end.
          const endBytes = Math.max(200, 150 + tornAtBytes);
          expect(equalBytes(actual, expected.subarray(0, endBytes)), context).toBe(true);
          continue;
        }
        expect(actual.length, context).toBe(250);
        expect(
          equalBytes(actual.subarray(0, 150 + tornAtBytes), expected.subarray(0, 150 + tornAtBytes)),
          context,
        ).toBe(true);
        continue;
      }
      expect(equalBytes(actual, expected), context).toBe(true);
    }
    expect(tornCount).toBeGreaterThan(0);
  });

  it('never loses or tears a synced write, even when later writes to the file are torn', async () => {
    let tornInSameFile = 0;
    for (const seed of seeds) {
      const context = `seed ${seed}`;
      const fs = simulatedDisk(seed);
      const synced = pattern(8 * sectorBytes, 5);
      const writer = await fs.open('/f', { create: true });
      await fs.syncDirectory('/');
      await writer.write(synced.subarray(0, 4 * sectorBytes), 0);
      await writer.write(synced.subarray(4 * sectorBytes), 4 * sectorBytes);
      // A sync through any handle of the file makes every earlier write durable.
      const other = await fs.open('/f');
      await other.datasync();
      await writer.append(pattern(3 * sectorBytes, 6));
      await writer.write(pattern(2 * sectorBytes + 7, 7), 11 * sectorBytes + 100);
      const report = fs.crash();
      tornInSameFile += report.dataOperations.filter((operation) => operation.fate === 'torn').length;
      const actual = await fs.readFile('/f');
      expect(actual.length, context).toBeGreaterThanOrEqual(synced.length);
      expect(equalBytes(actual.subarray(0, synced.length), synced), context).toBe(true);
    }
    expect(tornInSameFile).toBeGreaterThan(0);
  });

  it('with every operation kept, a crash replays writes and truncates in order', async () => {
    for (const seed of seeds.slice(0, 50)) {
      const context = `seed ${seed}`;
      const fs = simulatedDisk(seed, { crashFates: { keep: 1, drop: 0, tear: 0 } });
      const handle = await durableFile(fs, '/f', pattern(100, 1));
      await handle.write(pattern(50, 2), 500);
      await handle.truncate(20);
      const report = fs.crash();
      expect(
        report.dataOperations.map((operation) => operation.fate),
        context,
      ).toEqual(['kept', 'kept']);
      expect(await fs.readFile('/f'), context).toEqual(pattern(20, 1));
    }
  });
});

describe('SimulatedFileSystem crash: determinism', () => {
  /** A small mixed workload; returns the crash report and every file's bytes after the crash. */
  async function runWorkload(seed: number): Promise<{ report: CrashReport; files: Record<string, number[]> }> {
    const fs = simulatedDisk(seed);
    await fs.mkdir('/db');
    await fs.syncDirectory('/');
    const log = await fs.open('/db/log', { create: true });
    await fs.syncDirectory('/db');
    for (let index = 0; index < 6; index++) {
      await log.append(pattern(700 + index * 40, index));
      if (index % 3 === 1) await log.datasync();
    }
    const data = await fs.open('/db/data', { create: true });
    await data.write(pattern(3000, 9), 0);
    await data.datasync();
    await data.write(pattern(1300, 10), 1000);
    await data.truncate(2500);
    await fs.rename('/db/data', '/db/data.old');
    const report = fs.crash();
    const files: Record<string, number[]> = {};
    for (const name of await fs.list('/db')) files[name] = [...(await fs.readFile(`/db/${name}`))];
    return { report, files };
  }

  it('the same seed gives byte-identical state and an identical report', async () => {
    for (const seed of seeds.slice(0, 20)) {
      expect(await runWorkload(seed), `seed ${seed}`).toEqual(await runWorkload(seed));
    }
  });

  it('different seeds give different outcomes', async () => {
    const outcomes = new Set<string>();
    for (const seed of seeds.slice(0, 20)) outcomes.add(JSON.stringify(await runWorkload(seed)));
    // Eight unsynced data operations and two pending names: twenty seeds all but never collide.
    expect(outcomes.size).toBeGreaterThanOrEqual(15);
  });
});

describe('SimulatedFileSystem crash: names', () => {
  it('a created file whose directory was never synced can vanish, though its data was synced', async () => {
    let vanished = 0;
    let survived = 0;
    for (const seed of seeds) {
      const context = `seed ${seed}`;
      const fs = simulatedDisk(seed);
      await fs.mkdir('/d');
      await fs.syncDirectory('/');
      const handle = await fs.open('/d/f', { create: true });
      await handle.write(pattern(300, 1), 0);
      await handle.sync();
      expect(fs.durableContents('/d/f'), context).toBeUndefined();
      const report = fs.crash();
      if (await fs.exists('/d/f')) {
        survived++;
        expect(report.metadataOperationsKept, context).toBe(1);
        expect(await fs.readFile('/d/f'), context).toEqual(pattern(300, 1));
      } else {
        vanished++;
        expect(report.metadataOperationsDropped, context).toBe(1);
        expect(await fs.list('/d'), context).toEqual([]);
      }
    }
    expect(vanished).toBeGreaterThan(0);
    expect(survived).toBeGreaterThan(0);
  });

  it('a created file never vanishes after syncDirectory of its directory', async () => {
    for (const seed of seeds) {
      const context = `seed ${seed}`;
      const fs = simulatedDisk(seed);
      await fs.mkdir('/d');
      await fs.syncDirectory('/');
      const handle = await fs.open('/d/f', { create: true });
      await handle.write(pattern(300, 1), 0);
      await handle.sync();
      await fs.syncDirectory('/d');
      expect(fs.durableContents('/d/f'), context).toEqual(pattern(300, 1));
      fs.crash();
      expect(await fs.readFile('/d/f'), context).toEqual(pattern(300, 1));
    }
  });

  it('syncing a directory commits earlier metadata in other directories, but not later', async () => {
    let laterLost = 0;
    for (const seed of seeds) {
      const context = `seed ${seed}`;
      const fs = simulatedDisk(seed);
      await fs.mkdir('/x');
      await fs.mkdir('/y');
      await fs.syncDirectory('/');
      await (await fs.open('/x/before', { create: true })).close();
      await (await fs.open('/y/f', { create: true })).close();
      await (await fs.open('/x/after', { create: true })).close();
      await fs.syncDirectory('/y');
      fs.crash();
      expect(await fs.exists('/x/before'), context).toBe(true);
      expect(await fs.exists('/y/f'), context).toBe(true);
      if (!(await fs.exists('/x/after'))) laterLost++;
    }
    expect(laterLost).toBeGreaterThan(0);
  });

  it('a rename without a directory sync can be undone by a crash, and is all-or-nothing', async () => {
    let undone = 0;
    let done = 0;
    for (const seed of seeds) {
      const context = `seed ${seed}`;
      const fs = simulatedDisk(seed);
      await (await durableFile(fs, '/current', pattern(900, 1))).close();
      await (await durableFile(fs, '/next', pattern(1200, 2))).close();
      await fs.rename('/next', '/current');
      fs.crash();
      const current = await fs.readFile('/current');
      if (await fs.exists('/next')) {
        undone++;
        expect(current, context).toEqual(pattern(900, 1));
        expect(await fs.readFile('/next'), context).toEqual(pattern(1200, 2));
      } else {
        done++;
        expect(current, context).toEqual(pattern(1200, 2));
      }
    }
    expect(undone).toBeGreaterThan(0);
    expect(done).toBeGreaterThan(0);
  });

  it('a rename followed by syncDirectory is never undone', async () => {
    for (const seed of seeds) {
      const context = `seed ${seed}`;
      const fs = simulatedDisk(seed);
      await fs.mkdir('/a');
      await fs.mkdir('/b');
      await fs.syncDirectory('/');
      await (await durableFile(fs, '/a/f', pattern(900, 1))).close();
      await fs.rename('/a/f', '/b/g');
      // A cross-directory rename touches both directories; syncing either commits it.
      await fs.syncDirectory(seed % 2 === 0 ? '/a' : '/b');
      fs.crash();
      expect(await fs.list('/a'), context).toEqual([]);
      expect(await fs.readFile('/b/g'), context).toEqual(pattern(900, 1));
    }
  });

  it('an unlink without a directory sync can be undone, bringing back the durable bytes', async () => {
    let restored = 0;
    for (const seed of seeds.slice(0, 50)) {
      const context = `seed ${seed}`;
      const fs = simulatedDisk(seed);
      const handle = await durableFile(fs, '/f', pattern(600, 1));
      await fs.unlink('/f');
      await handle.write(pattern(600, 2), 0); // to the unlinked file, which keeps living through the handle
      await handle.datasync();
      fs.crash();
      if (await fs.exists('/f')) {
        restored++;
        expect(await fs.readFile('/f'), context).toEqual(pattern(600, 2));
      }
    }
    expect(restored).toBeGreaterThan(0);
  });
});

describe('SimulatedFileSystem faults', () => {
  it('an injected EIO on datasync changes nothing, and the retry syncs', async () => {
    const fs = simulatedDisk(1);
    const handle = await durableFile(fs, '/f', pattern(100, 1));
    await handle.write(pattern(100, 2), 0);
    fs.injectFault({ operations: ['datasync'], error: 'EIO' });
    const error = await failureOf(handle.datasync());
    expect(error.code).toBe('EIO');
    expect(error.syscall).toBe('datasync');
    expect(fs.pendingWriteCount('/f')).toBe(1);
    expect(fs.durableContents('/f')).toEqual(pattern(100, 1));
    expect(await fs.readFile('/f')).toEqual(pattern(100, 2));
    await handle.datasync();
    expect(fs.pendingWriteCount('/f')).toBe(0);
    expect(fs.durableContents('/f')).toEqual(pattern(100, 2));
  });

  it('an injected ENOSPC on write changes nothing', async () => {
    const fs = simulatedDisk(1);
    const handle = await durableFile(fs, '/f', pattern(100, 1));
    fs.injectFault({ operations: ['write'], path: '/f', error: 'ENOSPC' });
    await expectCode(handle.write(pattern(300, 2), 50), 'ENOSPC');
    expect(await handle.size()).toBe(100);
    expect(await fs.readFile('/f')).toEqual(pattern(100, 1));
    expect(fs.pendingWriteCount('/f')).toBe(0);
    fs.checkInvariants();
  });

  it('skip lets matching operations through first, times bounds the failures, remove ends the rule', async () => {
    const fs = simulatedDisk(1);
    const handle = await durableFile(fs, '/f', pattern(10, 1));
    await (await durableFile(fs, '/other', pattern(10, 1))).close();
    const buffer = new Uint8Array(10);
    fs.injectFault({ operations: ['read'], path: /^\/f$/, error: 'EIO', skip: 2, times: 2 });
    const outcomes: string[] = [];
    for (let index = 0; index < 5; index++) {
      outcomes.push(await handle.read(buffer, 0, 10, 0).then(String, (error: FileSystemError) => error.code));
    }
    expect(outcomes).toEqual(['10', '10', 'EIO', 'EIO', '10']);
    // Operations that do not match (another path, another kind) neither fail nor count.
    const forever = fs.injectFault({ operations: ['readFile'], path: '/other', error: 'EIO', times: Infinity });
    expect(await fs.readFile('/f')).toEqual(pattern(10, 1));
    for (let index = 0; index < 3; index++) await expectCode(fs.readFile('/other'), 'EIO');
    forever.remove();
    expect(await fs.readFile('/other')).toEqual(pattern(10, 1));
  });

  it('a rename fault matches the target path too', async () => {
    const fs = simulatedDisk(1);
    await (await durableFile(fs, '/a', pattern(10, 1))).close();
    fs.injectFault({ operations: ['rename'], path: '/b', error: 'EIO' });
    await expectCode(fs.rename('/a', '/b'), 'EIO');
    expect(await fs.list('/')).toEqual(['a']);
  });

  it('capacityBytes fails growth with ENOSPC and changes nothing', async () => {
    const fs = simulatedDisk(1, { capacityBytes: 1000 });
    const handle = await fs.open('/f', { create: true });
    await handle.write(pattern(600, 1), 0);
    await expectCode(handle.write(pattern(500, 2), 600), 'ENOSPC');
    await expectCode(handle.append(pattern(401, 2)), 'ENOSPC');
    expect(await fs.readFile('/f')).toEqual(pattern(600, 1));
    expect(await handle.append(pattern(400, 3))).toBe(600);
    await expectCode(handle.truncate(1001), 'ENOSPC');
    // Overwriting in place needs no space.
    await handle.write(pattern(1000, 4), 0);
    expect(fs.usedBytes).toBe(1000);
    await handle.truncate(100);
    const other = await fs.open('/g', { create: true });
    await other.write(pattern(900, 5), 0);
    await expectCode(other.append(pattern(1, 5)), 'ENOSPC');
    // An unlinked file holds its space until its last handle closes.
    await fs.unlink('/f');
    await expectCode(other.append(pattern(1, 5)), 'ENOSPC');
    await handle.close();
    expect(await other.append(pattern(100, 5))).toBe(900);
    fs.checkInvariants();
  });

  it("a rename over a file frees the replaced file's space", async () => {
    const fs = simulatedDisk(1, { capacityBytes: 1000 });
    await (await durableFile(fs, '/a', pattern(600, 1))).close();
    await (await durableFile(fs, '/b', pattern(300, 2))).close();
    await expectCode(
      fs.open('/c', { create: true }).then((handle) => handle.write(pattern(700, 3), 0)),
      'ENOSPC',
    );
    await fs.rename('/b', '/a');
    expect(fs.usedBytes).toBe(300);
    const handle = await fs.open('/c', { create: true });
    await handle.write(pattern(700, 3), 0);
    fs.checkInvariants();
  });
});

describe('SimulatedFileSystem corruption', () => {
  it('flipBit changes exactly one bit, seen by read, and the flip survives a crash', async () => {
    for (const seed of seeds.slice(0, 20)) {
      const context = `seed ${seed}`;
      const fs = simulatedDisk(seed);
      const original = pattern(2000, 1);
      const handle = await durableFile(fs, '/f', original);
      const byteOffset = 17 + seed * 7;
      const bit = seed % 8;
      fs.flipBit('/f', byteOffset, bit);
      const read = new Uint8Array(original.length);
      expect(await handle.read(read, 0, read.length, 0), context).toBe(original.length);
      const differing = [...read.keys()].filter((index) => read[index] !== original[index]);
      expect(differing, context).toEqual([byteOffset]);
      expect(read[byteOffset] ^ original[byteOffset], context).toBe(1 << bit);
      fs.crash();
      expect(await fs.readFile('/f'), context).toEqual(read);
    }
  });

  it('a flip inside an unsynced write is kept by the sync that follows', async () => {
    const fs = simulatedDisk(1);
    const handle = await durableFile(fs, '/f', pattern(100, 1));
    await handle.write(pattern(50, 2), 20);
    fs.flipBit('/f', 30, 0);
    const expected = await fs.readFile('/f');
    await handle.sync();
    expect(fs.durableContents('/f')).toEqual(expected);
    fs.checkInvariants();
  });

  it('overwriteBytes replaces bytes in place; both refuse a missing file or offset', async () => {
    const fs = simulatedDisk(1);
    await (await durableFile(fs, '/f', pattern(100, 1))).close();
    fs.overwriteBytes('/f', 98, Uint8Array.of(1, 2));
    const expected = pattern(100, 1);
    expected.set([1, 2], 98);
    expect(await fs.readFile('/f')).toEqual(expected);
    expect(fs.durableContents('/f')).toEqual(expected);
    expect(() => fs.overwriteBytes('/f', 99, Uint8Array.of(1, 2))).toThrow(RangeError);
    expect(() => fs.flipBit('/f', 100, 0)).toThrow(RangeError);
    expect(() => fs.flipBit('/f', 0, 8)).toThrow(RangeError);
    expect(() => fs.flipBit('/missing', 0, 0)).toThrow(FileSystemError);
  });
});

describe('SimulatedFileSystem crash points', () => {
  it('crashAfterOperations freezes the disk at the exact operation', async () => {
    const fs = simulatedDisk(1);
    const handle = await durableFile(fs, '/f', pattern(10, 1));
    const startCount = fs.operationCount;
    fs.crashAfterOperations(2);
    await handle.write(pattern(10, 2), 0);
    await handle.datasync();
    expect(fs.isFrozen).toBe(false);
    const error = await failureOf(handle.write(pattern(10, 3), 0));
    expect(error.code).toBe('EIO');
    expect(error.message).toMatch(/simulated crash/);
    expect(fs.isFrozen).toBe(true);
    await expectCode(fs.readFile('/f'), 'EIO');
    await expectCode(fs.open('/g', { create: true }), 'EIO');
    expect(fs.operationCount).toBe(startCount + 5);
    expect(fs.pendingWriteCount()).toBe(0);

    const report = fs.crash();
    expect(fs.isFrozen).toBe(false);
    expect(report.dataOperations).toEqual([]);
    expect(await fs.readFile('/f')).toEqual(pattern(10, 2));
    expect(await fs.exists('/g')).toBe(false);
  });

  it('a crash at every operation of a log workload keeps every acknowledged record', async () => {
    /** Appends records, each made durable before it counts as acknowledged. */
    async function workload(fs: SimulatedFileSystem, acknowledged: Uint8Array[]): Promise<void> {
      const log = await fs.open('/log', { create: true });
      await fs.syncDirectory('/');
      for (let index = 0; index < 8; index++) {
        const record = pattern(300 + index * 50, index + 1);
        await log.append(record);
        await log.datasync();
        acknowledged.push(record);
      }
    }
    const cleanRun = simulatedDisk(0);
    await workload(cleanRun, []);
    const operationsPerRun = cleanRun.operationCount;

    for (let crashAt = 0; crashAt <= operationsPerRun; crashAt++) {
      for (const seed of seeds.slice(0, 5)) {
        const context = `seed ${seed}, crash after ${crashAt} operations`;
        const fs = simulatedDisk(seed);
        fs.crashAfterOperations(crashAt);
        const acknowledged: Uint8Array[] = [];
        const stopped = await workload(fs, acknowledged).then(
          () => false,
          (error: unknown) => {
            if (error instanceof FileSystemError && error.code === 'EIO' && fs.isFrozen) return true;
            throw error;
          },
        );
        expect(stopped, context).toBe(crashAt < operationsPerRun);
        fs.crash();
        if (acknowledged.length === 0) continue;
        const expected = new Uint8Array(acknowledged.reduce((sum, record) => sum + record.length, 0));
        let position = 0;
        for (const record of acknowledged) {
          expected.set(record, position);
          position += record.length;
        }
        const contents = await fs.readFile('/log');
        expect(equalBytes(contents.subarray(0, expected.length), expected), context).toBe(true);
      }
    }
  });
});
