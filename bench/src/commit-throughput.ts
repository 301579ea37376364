// Commit throughput with 1, 8 and 32 concurrent committing transactions, beside the
// disk's fdatasync rate measured in the same run. Each commit is one redo record flagged
// COMMIT (a counter increment in the committer's own block) followed by a wait for it to
// be durable in every member of the current log group. Group commit shows as commits per
// write round above 1, and as 8 committers beating the single-committer rate.
//
//   npm run build && node bench/dist/commit-throughput.js [seconds per run, default 3]
import { BlockType, readU64, type BlockAddress, type Storage } from '@tandem/db';
import { createAndOpen, fdatasyncRate, printTable, round, scratch } from './harness.js';

const seconds = Number(process.argv[2] ?? 3);

function u64(value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setUint32(0, value >>> 0, true);
  return bytes;
}

async function committers(
  storage: Storage,
  count: number,
  durationMs: number,
): Promise<{ commits: number; rounds: number; elapsedMs: number }> {
  const space = storage.space.inFile(4);
  const blocks: BlockAddress[] = [];
  for (let i = 0; i < count; i++) {
    const { result } = await storage.mtr((mtr) => {
      const address = space.allocate(mtr, 1000 + i);
      mtr.format(address, { type: BlockType.SegmentHeader, objectNumber: 1000 + i, pageLevel: -1 });
      return address;
    });
    blocks.push(result);
  }
  await storage.redo.flush();
  const roundsBefore = storage.redo.statistics.writeRounds;
  let commits = 0;
  const started = performance.now();
  await Promise.all(
    blocks.map(async (address, i) => {
      while (performance.now() - started < durationMs) {
        const { tsn } = await storage.mtr(
          (mtr) => {
            const value = readU64(mtr.block(address), 64) + 1;
            mtr.writeBytes(address, 64, u64(value));
          },
          1,
          i + 1,
        );
        await storage.redo.flush(tsn);
        commits++;
      }
    }),
  );
  return {
    commits,
    rounds: storage.redo.statistics.writeRounds - roundsBefore,
    elapsedMs: performance.now() - started,
  };
}

async function main(): Promise<void> {
  const where = await scratch('commit');
  try {
    const syncsPerSecond = await fdatasyncRate(where, seconds * 1000);
    const rows: Record<string, string | number>[] = [
      {
        run: 'fdatasync (512 B write + fdatasync, preallocated file)',
        'per second': round(syncsPerSecond),
        'vs fdatasync': '1.00x',
        'commits per sync round': '-',
      },
    ];
    for (const members of [1, 2]) {
      const { storage } = await createAndOpen(where, {
        logGroups: 3,
        logMembers: members,
        logSizeBytes: 64 * 1024 * 1024,
      });
      for (const count of [1, 8, 32]) {
        const result = await committers(storage, count, seconds * 1000);
        const perSecond = (result.commits * 1000) / result.elapsedMs;
        rows.push({
          run: `${count} committer${count > 1 ? 's' : ''}, ${members} member${members > 1 ? 's' : ''} per log group`,
          'per second': round(perSecond),
          'vs fdatasync': `${round(perSecond / syncsPerSecond, 2)}x`,
          'commits per sync round': round(result.commits / Math.max(1, result.rounds), 1),
        });
      }
      await storage.close();
      await where.fs.unlink(`${where.directory}/fdatasync.probe`).catch(() => undefined);
      const { rm } = await import('node:fs/promises');
      await rm(`${where.directory}/db`, { recursive: true, force: true });
    }
    printTable(`Commit throughput (${seconds} s per run, disk under ${where.directory})`, rows);
  } finally {
    await where.remove();
  }
}

await main();
