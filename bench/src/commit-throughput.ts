// Commit throughput with 1, 8 and 32 concurrent committing transactions, beside the
// disk's fdatasync rate measured in the same run. Each transaction updates its own row of
// an accounts table (undo record and row change in one mini-transaction), then commits:
// the COMMIT redo record, and a wait until it is durable in every member of the current
// log group. Group commit shows as commits per sync round above 1, and as 8 committers
// beating the single-committer rate.
//
//   npm run build && node bench/dist/commit-throughput.js [seconds per run, default 3]
import { rm } from 'node:fs/promises';
import type { Database } from '@tandem/db';
import { createDatabase, fdatasyncRate, printTable, round, scratch } from './harness.js';

const seconds = Number(process.argv[2] ?? 3);

async function committers(
  db: Database,
  count: number,
  durationMs: number,
): Promise<{ commits: number; rounds: number; elapsedMs: number }> {
  const accounts = db.table('accounts');
  const roundsBefore = db.storage.redo.statistics.writeRounds;
  let commits = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, id) => {
      while (performance.now() - started < durationMs) {
        const txn = db.begin();
        await accounts.update(txn, [id], (row) => ({ balance: (row[1] as bigint) + 1n }));
        await db.commit(txn);
        commits++;
      }
    }),
  );
  return {
    commits,
    rounds: db.storage.redo.statistics.writeRounds - roundsBefore,
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
      const db = await createDatabase(where, { logGroups: 3, logMembers: members, logSizeBytes: 64 * 1024 * 1024 });
      await db.createTable({
        name: 'accounts',
        columns: [
          { name: 'id', type: 'int4', nullable: false },
          { name: 'balance', type: 'int8', nullable: false },
        ],
        primaryKey: ['id'],
      });
      const setup = db.begin();
      for (let id = 0; id < 32; id++) await db.table('accounts').insert(setup, [id, 0n]);
      await db.commit(setup);
      for (const count of [1, 8, 32]) {
        const result = await committers(db, count, seconds * 1000);
        const perSecond = (result.commits * 1000) / result.elapsedMs;
        rows.push({
          run: `${count} committing transaction${count > 1 ? 's' : ''}, ${members} member${members > 1 ? 's' : ''} per log group`,
          'per second': round(perSecond),
          'vs fdatasync': `${round(perSecond / syncsPerSecond, 2)}x`,
          'commits per sync round': round(result.commits / Math.max(1, result.rounds), 1),
        });
      }
      await db.close();
      await rm(`${where.directory}/db`, { recursive: true, force: true });
    }
    printTable(`Commit throughput (${seconds} s per run, disk under ${where.directory})`, rows);
  } finally {
    await where.remove();
  }
}

await main();
