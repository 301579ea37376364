// One behavioural suite that every FileSystem implementation runs, so the simulated disk
// the tests trust and the real disk production uses cannot drift apart. Imported only by
// tests (it registers vitest cases), and so left out of the package index.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileSystem, FileSystemErrorCode } from './file-system.js';
import { FileSystemError } from './file-system.js';

export interface FileSystemUnderTest {
  readonly fs: FileSystem;
  /** An existing, empty directory the cases work inside. */
  readonly root: string;
  cleanup(): Promise<void>;
  /** Power loss and reboot. Absent where the disk cannot be crashed; those cases must then be skipped. */
  readonly crash?: () => Promise<void>;
}

export interface FileSystemConformanceOptions {
  /** Case title to the reason it does not apply to this implementation. */
  readonly skip?: Readonly<Record<string, string>>;
}

/** The cases that need `crash`, for an implementation that cannot crash to skip by name. */
export const fileSystemCrashCases = [
  'synced data survives a crash',
  'a name made durable by syncDirectory survives a crash',
  'after a crash a file is never longer than what was written',
  'handles opened before a crash are EBADF after it',
] as const;

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

function filled(lengthBytes: number, value: number): Uint8Array {
  return new Uint8Array(lengthBytes).fill(value);
}

function join(directory: string, name: string): string {
  return directory.endsWith('/') ? `${directory}${name}` : `${directory}/${name}`;
}

/** Awaits `operation` and checks it failed with a FileSystemError of `code`. */
async function expectFailure(operation: Promise<unknown>, code: FileSystemErrorCode): Promise<void> {
  const outcome = await operation.then(
    (value: unknown) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected ${code}, but the operation succeeded`);
  expect(outcome.error).toBeInstanceOf(FileSystemError);
  expect((outcome.error as FileSystemError).code).toBe(code);
}

async function writeFile(fs: FileSystem, path: string, data: Uint8Array): Promise<void> {
  const handle = await fs.open(path, { create: true, truncate: true });
  await handle.write(data, 0);
  await handle.close();
}

/**
 * Registers the suite under `describe(name)`. `setup` runs before each case and must give
 * a fresh, empty `root`. A case named in `options.skip` is registered as skipped, with its
 * reason in the title; a skip that names no case is an error, so a renamed case cannot
 * silently stop being skipped and start failing elsewhere, or the reverse.
 */
export function defineFileSystemConformance(
  name: string,
  setup: () => Promise<FileSystemUnderTest>,
  options: FileSystemConformanceOptions = {},
): void {
  const skip = options.skip ?? {};
  const registered = new Set<string>();

  describe(`FileSystem conformance: ${name}`, () => {
    let subject: FileSystemUnderTest | undefined;
    beforeEach(async () => {
      subject = await setup();
    });
    afterEach(async () => {
      await subject?.cleanup();
      subject = undefined;
    });

    const test = (
      title: string,
      body: (fs: FileSystem, root: string, subject: FileSystemUnderTest) => Promise<void>,
    ) => {
      registered.add(title);
      const reason = skip[title];
      if (reason !== undefined) {
        it.skip(`${title} [skipped: ${reason}]`, () => undefined);
        return;
      }
      it(title, async () => {
        if (subject === undefined) throw new Error('setup did not run');
        await body(subject.fs, subject.root, subject);
      });
    };

    const crashOf = (subject: FileSystemUnderTest): (() => Promise<void>) => {
      if (subject.crash === undefined) throw new Error(`${name} cannot crash; skip this case with a reason`);
      return subject.crash;
    };

    test('read after write, through the same handle and a new one', async (fs, root) => {
      const path = join(root, 'a');
      const writer = await fs.open(path, { create: true });
      await writer.write(bytes(1, 2, 3, 4), 0);
      const sameHandle = new Uint8Array(4);
      expect(await writer.read(sameHandle, 0, 4, 0)).toBe(4);
      expect(sameHandle).toEqual(bytes(1, 2, 3, 4));
      await writer.write(bytes(9), 2);
      const reader = await fs.open(path);
      const target = new Uint8Array(6).fill(0xee);
      expect(await reader.read(target, 1, 4, 0)).toBe(4);
      expect(target).toEqual(bytes(0xee, 1, 2, 9, 4, 0xee));
      await writer.close();
      await reader.close();
    });

    test('write past the end zero-fills the gap', async (fs, root) => {
      const handle = await fs.open(join(root, 'a'), { create: true });
      await handle.write(bytes(7), 0);
      await handle.write(bytes(8, 9), 5);
      expect(await handle.size()).toBe(7);
      expect(await fs.readFile(join(root, 'a'))).toEqual(bytes(7, 0, 0, 0, 0, 8, 9));
      await handle.close();
    });

    test('read past the end is short, and at the end reads nothing', async (fs, root) => {
      const handle = await fs.open(join(root, 'a'), { create: true });
      await handle.write(bytes(1, 2, 3), 0);
      const target = new Uint8Array(8);
      expect(await handle.read(target, 0, 8, 1)).toBe(2);
      expect(target.subarray(0, 2)).toEqual(bytes(2, 3));
      expect(await handle.read(target, 0, 8, 3)).toBe(0);
      expect(await handle.read(target, 0, 8, 100)).toBe(0);
      await handle.close();
    });

    test('append returns the position it wrote at', async (fs, root) => {
      const path = join(root, 'log');
      const handle = await fs.open(path, { create: true });
      expect(await handle.append(bytes(1, 2))).toBe(0);
      expect(await handle.append(bytes(3))).toBe(2);
      await handle.write(bytes(4, 5), 3);
      expect(await handle.append(bytes(6))).toBe(5);
      await handle.truncate(1);
      expect(await handle.append(bytes(7))).toBe(1);
      await handle.close();
      expect(await fs.readFile(path)).toEqual(bytes(1, 7));
      // A new handle finds the end the first one left.
      const reopened = await fs.open(path);
      expect(await reopened.append(bytes(8))).toBe(2);
      await reopened.close();
      expect(await fs.readFile(path)).toEqual(bytes(1, 7, 8));
    });

    test('concurrent appends through one handle get distinct positions in call order', async (fs, root) => {
      const path = join(root, 'log');
      const handle = await fs.open(path, { create: true });
      const records = Array.from({ length: 16 }, (_, index) => filled(100 + index, index));
      const positions = await Promise.all(records.map((record) => handle.append(record)));
      let expectedPosition = 0;
      for (const [index, record] of records.entries()) {
        expect(positions[index]).toBe(expectedPosition);
        expectedPosition += record.length;
      }
      await handle.close();
      const contents = await fs.readFile(path);
      expect(contents.length).toBe(expectedPosition);
      for (const [index, record] of records.entries()) {
        const position = positions[index];
        expect(contents.subarray(position, position + record.length)).toEqual(record);
      }
    });

    test('truncate shrinks and grows the file, new bytes reading zero', async (fs, root) => {
      const path = join(root, 'a');
      const handle = await fs.open(path, { create: true });
      await handle.write(bytes(1, 2, 3, 4, 5), 0);
      await handle.truncate(2);
      expect(await handle.size()).toBe(2);
      expect(await fs.readFile(path)).toEqual(bytes(1, 2));
      await handle.truncate(4);
      expect(await fs.readFile(path)).toEqual(bytes(1, 2, 0, 0));
      await handle.close();
    });

    test('size counts writes that are not yet synced', async (fs, root) => {
      const handle = await fs.open(join(root, 'a'), { create: true });
      expect(await handle.size()).toBe(0);
      await handle.write(filled(1000, 1), 24);
      expect(await handle.size()).toBe(1024);
      await handle.sync();
      await handle.datasync();
      expect(await handle.size()).toBe(1024);
      await handle.close();
    });

    test('readFile returns the whole file, ENOENT when missing, EISDIR for a directory', async (fs, root) => {
      const data = Uint8Array.from({ length: 70_000 }, (_, index) => index % 251);
      await writeFile(fs, join(root, 'a'), data);
      expect(await fs.readFile(join(root, 'a'))).toEqual(data);
      await expectFailure(fs.readFile(join(root, 'missing')), 'ENOENT');
      await fs.mkdir(join(root, 'd'));
      await expectFailure(fs.readFile(join(root, 'd')), 'EISDIR');
    });

    test('open of a missing file without create is ENOENT', async (fs, root) => {
      await expectFailure(fs.open(join(root, 'missing')), 'ENOENT');
      await expectFailure(fs.open(join(root, 'missing'), { readOnly: true }), 'ENOENT');
      expect(await fs.exists(join(root, 'missing'))).toBe(false);
    });

    test('exclusive create of an existing file is EEXIST and leaves it alone', async (fs, root) => {
      const path = join(root, 'a');
      await writeFile(fs, path, bytes(1, 2));
      await expectFailure(fs.open(path, { create: true, exclusive: true }), 'EEXIST');
      const created = await fs.open(join(root, 'b'), { create: true, exclusive: true });
      await created.close();
      expect(await fs.readFile(path)).toEqual(bytes(1, 2));
    });

    test('open with truncate empties the file; open without it keeps the bytes', async (fs, root) => {
      const path = join(root, 'a');
      await writeFile(fs, path, bytes(1, 2, 3));
      const kept = await fs.open(path, { create: true });
      expect(await kept.size()).toBe(3);
      await kept.close();
      const truncated = await fs.open(path, { truncate: true });
      expect(await truncated.size()).toBe(0);
      await truncated.close();
      expect(await fs.readFile(path)).toEqual(new Uint8Array(0));
    });

    test('open of a directory is EISDIR, in either mode', async (fs, root) => {
      await fs.mkdir(join(root, 'd'));
      await expectFailure(fs.open(join(root, 'd')), 'EISDIR');
      await expectFailure(fs.open(join(root, 'd'), { readOnly: true }), 'EISDIR');
      await expectFailure(fs.open(join(root, 'd'), { create: true }), 'EISDIR');
    });

    test('open in a missing directory is ENOENT, under a file ENOTDIR', async (fs, root) => {
      await expectFailure(fs.open(join(root, 'missing/a'), { create: true }), 'ENOENT');
      await writeFile(fs, join(root, 'f'), bytes(1));
      await expectFailure(fs.open(join(root, 'f/a'), { create: true }), 'ENOTDIR');
    });

    test('mkdir without recursive needs the parent and refuses an existing name', async (fs, root) => {
      await fs.mkdir(join(root, 'd'));
      expect((await fs.stat(join(root, 'd'))).isDirectory).toBe(true);
      await expectFailure(fs.mkdir(join(root, 'd')), 'EEXIST');
      await expectFailure(fs.mkdir(join(root, 'missing/d')), 'ENOENT');
      await writeFile(fs, join(root, 'f'), bytes(1));
      await expectFailure(fs.mkdir(join(root, 'f')), 'EEXIST');
    });

    test('mkdir recursive creates the parents and accepts an existing directory', async (fs, root) => {
      await fs.mkdir(join(root, 'a/b/c'), { recursive: true });
      expect((await fs.stat(join(root, 'a/b/c'))).isDirectory).toBe(true);
      await fs.mkdir(join(root, 'a/b/c'), { recursive: true });
      await fs.mkdir(join(root, 'a'), { recursive: true });
      expect(await fs.list(join(root, 'a'))).toEqual(['b']);
      await writeFile(fs, join(root, 'f'), bytes(1));
      await expectFailure(fs.mkdir(join(root, 'f/x'), { recursive: true }), 'ENOTDIR');
      expect(await fs.list(root)).toEqual(['a', 'f']);
    });

    test('list returns the names sorted by code unit; ENOENT and ENOTDIR otherwise', async (fs, root) => {
      for (const name of ['b', 'a', 'B', '10', '9', 'é']) await writeFile(fs, join(root, name), bytes(1));
      await fs.mkdir(join(root, 'dir'));
      expect(await fs.list(root)).toEqual(['10', '9', 'B', 'a', 'b', 'dir', 'é']);
      expect(await fs.list(join(root, 'dir'))).toEqual([]);
      await expectFailure(fs.list(join(root, 'missing')), 'ENOENT');
      await expectFailure(fs.list(join(root, 'a')), 'ENOTDIR');
    });

    test('stat gives the size and the kind', async (fs, root) => {
      await writeFile(fs, join(root, 'a'), filled(1234, 5));
      await fs.mkdir(join(root, 'd'));
      const file = await fs.stat(join(root, 'a'));
      expect(file.sizeBytes).toBe(1234);
      expect(file.isDirectory).toBe(false);
      expect(Number.isFinite(file.modifiedMs)).toBe(true);
      expect((await fs.stat(join(root, 'd'))).isDirectory).toBe(true);
    });

    test('stat, unlink and rename of a missing name are ENOENT', async (fs, root) => {
      await expectFailure(fs.stat(join(root, 'missing')), 'ENOENT');
      await expectFailure(fs.unlink(join(root, 'missing')), 'ENOENT');
      await expectFailure(fs.rename(join(root, 'missing'), join(root, 'b')), 'ENOENT');
      await writeFile(fs, join(root, 'a'), bytes(1));
      await expectFailure(fs.rename(join(root, 'a'), join(root, 'missing/b')), 'ENOENT');
      expect(await fs.readFile(join(root, 'a'))).toEqual(bytes(1));
    });

    test('rename replaces the target atomically', async (fs, root) => {
      const target = join(root, 'current');
      const temporary = join(root, 'current.tmp');
      const oldContent = filled(3000, 1);
      const newContent = filled(5000, 2);
      await writeFile(fs, target, oldContent);
      await writeFile(fs, temporary, newContent);
      const heldOpen = await fs.open(target, { readOnly: true });
      await fs.rename(temporary, target);
      // A reader opening the name now sees all of the new file, never a mix.
      expect(await fs.readFile(target)).toEqual(newContent);
      expect(await fs.exists(temporary)).toBe(false);
      expect(await fs.list(root)).toEqual(['current']);
      // A handle opened before the rename still reads the file it opened.
      const read = new Uint8Array(oldContent.length);
      expect(await heldOpen.read(read, 0, read.length, 0)).toBe(oldContent.length);
      expect(read).toEqual(oldContent);
      await heldOpen.close();
    });

    test('rename moves a directory with its contents, and across directories', async (fs, root) => {
      await fs.mkdir(join(root, 'a/inner'), { recursive: true });
      await writeFile(fs, join(root, 'a/inner/f'), bytes(1, 2));
      await fs.mkdir(join(root, 'b'));
      await fs.rename(join(root, 'a'), join(root, 'b/moved'));
      expect(await fs.readFile(join(root, 'b/moved/inner/f'))).toEqual(bytes(1, 2));
      expect(await fs.exists(join(root, 'a'))).toBe(false);
      await fs.mkdir(join(root, 'empty'));
      await fs.rename(join(root, 'b/moved'), join(root, 'empty'));
      expect(await fs.list(join(root, 'empty'))).toEqual(['inner']);
    });

    test('rename of a file onto a directory is EISDIR, of a directory onto a non-empty one ENOTEMPTY', async (fs, root) => {
      await writeFile(fs, join(root, 'f'), bytes(1));
      await fs.mkdir(join(root, 'd'));
      await writeFile(fs, join(root, 'd/x'), bytes(2));
      await fs.mkdir(join(root, 'e'));
      await expectFailure(fs.rename(join(root, 'f'), join(root, 'd')), 'EISDIR');
      await expectFailure(fs.rename(join(root, 'e'), join(root, 'd')), 'ENOTEMPTY');
      await expectFailure(fs.rename(join(root, 'e'), join(root, 'f')), 'ENOTDIR');
      expect(await fs.list(root)).toEqual(['d', 'e', 'f']);
      expect(await fs.list(join(root, 'd'))).toEqual(['x']);
    });

    test('rmdir removes an empty directory; non-empty is ENOTEMPTY, a file ENOTDIR', async (fs, root) => {
      await fs.mkdir(join(root, 'd'));
      await writeFile(fs, join(root, 'd/x'), bytes(1));
      await expectFailure(fs.rmdir(join(root, 'd')), 'ENOTEMPTY');
      await expectFailure(fs.rmdir(join(root, 'd/x')), 'ENOTDIR');
      await expectFailure(fs.rmdir(join(root, 'missing')), 'ENOENT');
      await fs.unlink(join(root, 'd/x'));
      await fs.rmdir(join(root, 'd'));
      expect(await fs.exists(join(root, 'd'))).toBe(false);
    });

    test('unlink removes a file; a directory is EISDIR', async (fs, root) => {
      await fs.mkdir(join(root, 'd'));
      await expectFailure(fs.unlink(join(root, 'd')), 'EISDIR');
      await writeFile(fs, join(root, 'f'), bytes(1));
      await fs.unlink(join(root, 'f'));
      expect(await fs.list(root)).toEqual(['d']);
    });

    test('an unlinked file stays usable through a handle opened before', async (fs, root) => {
      const path = join(root, 'f');
      const handle = await fs.open(path, { create: true });
      await handle.write(bytes(1, 2, 3), 0);
      await fs.unlink(path);
      expect(await fs.exists(path)).toBe(false);
      await handle.write(bytes(4), 3);
      const read = new Uint8Array(4);
      expect(await handle.read(read, 0, 4, 0)).toBe(4);
      expect(read).toEqual(bytes(1, 2, 3, 4));
      await handle.close();
      await expectFailure(fs.open(path), 'ENOENT');
    });

    test('exists tells files and directories from missing names', async (fs, root) => {
      await writeFile(fs, join(root, 'f'), bytes(1));
      await fs.mkdir(join(root, 'd'));
      expect(await fs.exists(join(root, 'f'))).toBe(true);
      expect(await fs.exists(join(root, 'd'))).toBe(true);
      expect(await fs.exists(root)).toBe(true);
      expect(await fs.exists(join(root, 'missing'))).toBe(false);
      expect(await fs.exists(join(root, 'missing/deeper'))).toBe(false);
      expect(await fs.exists(join(root, 'f/under-a-file'))).toBe(false);
    });

    test('a read-only handle reads, and refuses writes with EBADF', async (fs, root) => {
      const path = join(root, 'f');
      await writeFile(fs, path, bytes(1, 2));
      const handle = await fs.open(path, { readOnly: true });
      const read = new Uint8Array(2);
      expect(await handle.read(read, 0, 2, 0)).toBe(2);
      expect(read).toEqual(bytes(1, 2));
      await expectFailure(handle.write(bytes(9), 0), 'EBADF');
      await expectFailure(handle.append(bytes(9)), 'EBADF');
      await expectFailure(handle.truncate(0), 'EBADF');
      await handle.close();
      expect(await fs.readFile(path)).toEqual(bytes(1, 2));
      await expectFailure(fs.open(path, { readOnly: true, truncate: true }), 'EINVAL');
    });

    test('a closed handle is EBADF', async (fs, root) => {
      const handle = await fs.open(join(root, 'f'), { create: true });
      await handle.write(bytes(1), 0);
      await handle.close();
      await expectFailure(handle.read(new Uint8Array(1), 0, 1, 0), 'EBADF');
      await expectFailure(handle.write(bytes(2), 0), 'EBADF');
      await expectFailure(handle.append(bytes(2)), 'EBADF');
      await expectFailure(handle.sync(), 'EBADF');
      await expectFailure(handle.size(), 'EBADF');
      await expectFailure(handle.close(), 'EBADF');
      expect(await fs.readFile(join(root, 'f'))).toEqual(bytes(1));
    });

    test('negative or out-of-range offsets and sizes are EINVAL', async (fs, root) => {
      const handle = await fs.open(join(root, 'f'), { create: true });
      await handle.write(bytes(1, 2, 3), 0);
      await expectFailure(handle.read(new Uint8Array(4), 0, 1, -1), 'EINVAL');
      await expectFailure(handle.read(new Uint8Array(4), 2, 3, 0), 'EINVAL');
      await expectFailure(handle.write(bytes(1), -1), 'EINVAL');
      await expectFailure(handle.truncate(-1), 'EINVAL');
      expect(await handle.size()).toBe(3);
      await handle.close();
    });

    test('syncDirectory of a missing name is ENOENT, of a file ENOTDIR', async (fs, root) => {
      await fs.syncDirectory(root);
      await expectFailure(fs.syncDirectory(join(root, 'missing')), 'ENOENT');
      await writeFile(fs, join(root, 'f'), bytes(1));
      await expectFailure(fs.syncDirectory(join(root, 'f')), 'ENOTDIR');
    });

    test('synced data survives a crash', async (fs, root, subject) => {
      const crash = crashOf(subject);
      const path = join(root, 'f');
      const handle = await fs.open(path, { create: true });
      await fs.syncDirectory(root);
      const data = Uint8Array.from({ length: 10_000 }, (_, index) => (index * 7) % 256);
      await handle.write(data, 0);
      await handle.datasync();
      await handle.append(filled(600, 9));
      await handle.sync();
      await crash();
      const expected = new Uint8Array(10_600);
      expected.set(data);
      expected.fill(9, 10_000);
      expect(await fs.readFile(path)).toEqual(expected);
    });

    test('a name made durable by syncDirectory survives a crash', async (fs, root, subject) => {
      const crash = crashOf(subject);
      await fs.mkdir(join(root, 'd'));
      await fs.syncDirectory(root);
      const handle = await fs.open(join(root, 'd/f'), { create: true });
      await handle.write(bytes(1, 2, 3), 0);
      await handle.sync();
      await handle.close();
      await fs.syncDirectory(join(root, 'd'));
      await crash();
      expect(await fs.list(join(root, 'd'))).toEqual(['f']);
      expect(await fs.readFile(join(root, 'd/f'))).toEqual(bytes(1, 2, 3));
    });

    test('after a crash a file is never longer than what was written', async (fs, root, subject) => {
      const crash = crashOf(subject);
      const writtenEndBytes = new Map<string, number>();
      for (const [index, name] of ['a', 'b', 'c', 'd'].entries()) {
        const path = join(root, name);
        const handle = await fs.open(path, { create: true });
        await handle.write(filled(700, index + 1), 0);
        await handle.sync();
        await handle.write(filled(1500, 0x80 + index), 300 * index);
        await handle.append(filled(100 * index + 1, 0x40));
        writtenEndBytes.set(path, Math.max(700, 300 * index + 1500) + 100 * index + 1);
        await handle.close();
      }
      await fs.syncDirectory(root);
      await crash();
      for (const [path, endBytes] of writtenEndBytes) {
        const sizeBytes = (await fs.stat(path)).sizeBytes;
        expect(sizeBytes, path).toBeGreaterThanOrEqual(0);
        expect(sizeBytes, path).toBeLessThanOrEqual(endBytes);
        expect((await fs.readFile(path)).length, path).toBe(sizeBytes);
      }
    });

    test('handles opened before a crash are EBADF after it', async (fs, root, subject) => {
      const crash = crashOf(subject);
      const path = join(root, 'f');
      const handle = await fs.open(path, { create: true });
      await handle.write(bytes(1), 0);
      await handle.sync();
      await fs.syncDirectory(root);
      await crash();
      await expectFailure(handle.read(new Uint8Array(1), 0, 1, 0), 'EBADF');
      await expectFailure(handle.write(bytes(2), 0), 'EBADF');
      await expectFailure(handle.close(), 'EBADF');
      const reopened = await fs.open(path);
      expect(await reopened.size()).toBe(1);
      await reopened.close();
    });

    const unknown = Object.keys(skip).filter((title) => !registered.has(title));
    if (unknown.length > 0) {
      throw new Error(`defineFileSystemConformance(${name}): skip names no case: ${unknown.join(', ')}`);
    }
  });
}
