// The real process crash: the bank workload runs in a child process on the real disk and
// is killed with SIGKILL at a random moment, several times over the same database. After
// each kill the database is opened in this process and must hold every transfer the child
// acknowledged, no transfer it rolled back, the initial total, and consistent indexes.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeFileSystem, SeededRandom, SystemClock, seedFromEnvironment } from '@tandem/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database, MemoryAlertLog, defaultControlFilePaths, doublewritePathOf } from '../src/index.js';
import { createBankTables, verifyBank } from './bank.js';

const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/bank-workload.mjs', import.meta.url));
let directory = '';

function io() {
  const clock = new SystemClock();
  return { fs: new NodeFileSystem(), clock, alert: new MemoryAlertLog(clock) };
}

function openOptions() {
  return {
    controlFilePaths: defaultControlFilePaths(directory),
    doublewritePath: doublewritePathOf(directory),
    bufferCacheBlocks: 256,
  };
}

beforeAll(async () => {
  // The child runs the built package: make sure the build is current.
  execFileSync(
    process.execPath,
    [
      join(repositoryRoot, 'node_modules/typescript/bin/tsc'),
      '-b',
      join(repositoryRoot, 'packages/db/tsconfig.build.json'),
    ],
    {
      stdio: 'inherit',
    },
  );
  directory = await mkdtemp(join(tmpdir(), 'tandem-kill9-'));
  const db = await Database.create(
    io(),
    { directory, blockBytes: 8192, logSizeBytes: 2 * 1024 * 1024, logGroups: 3, logMembers: 2 },
    openOptions(),
  );
  await createBankTables(db);
  await db.close();
}, 120_000);

/** Children still running (a failed or timed-out test must not leave one behind). */
const running = new Set<ChildProcess>();

afterAll(async () => {
  for (const proc of running) proc.kill('SIGKILL');
  if (directory !== '') await rm(directory, { recursive: true, force: true });
});

/** Runs the child until `killAfterAcks` acknowledgements (or its exit), kills it with SIGKILL, and returns what it said. */
function runAndKill(
  seed: number,
  firstId: bigint,
  killAfterAcks: number,
): Promise<{ acknowledged: bigint[]; rolledBack: bigint[]; stderr: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, directory, String(seed), String(firstId)], {
      cwd: repositoryRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(proc);
    const acknowledged: bigint[] = [];
    const rolledBack: bigint[] = [];
    let stderr = '';
    let pending = '';
    let killed = false;
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const [word, id] = line.split(' ');
        if (word === 'ack') acknowledged.push(BigInt(id));
        if (word === 'rolledback') rolledBack.push(BigInt(id));
      }
      if (!killed && acknowledged.length >= killAfterAcks) {
        killed = true;
        proc.kill('SIGKILL');
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.on('error', reject);
    proc.on('exit', () => {
      running.delete(proc);
      resolve({ acknowledged, rolledBack, stderr, killed });
    });
  });
}

describe('kill -9 of a process running the bank workload on the real disk', () => {
  it('keeps every acknowledged transfer and the total through repeated SIGKILLs', async () => {
    const seed = seedFromEnvironment();
    const random = new SeededRandom(seed);
    const acknowledged = new Set<bigint>();
    const rolledBack = new Set<bigint>();
    let firstId = 1n;
    const kills = Number(process.env.TANDEM_KILL_RUNS ?? 5);
    for (let round = 0; round < kills; round++) {
      const label = `seed ${seed}, kill ${round + 1}`;
      const result = await runAndKill(random.int(0, 1_000_000), firstId, random.int(5, 400));
      expect(result.killed, `${label}: the child exited before it was killed:\n${result.stderr}`).toBe(true);
      result.acknowledged.forEach((id) => acknowledged.add(id));
      result.rolledBack.forEach((id) => rolledBack.add(id));
      firstId += 1_000_000n;

      const db = await Database.open(io(), openOptions());
      expect(db.storage.recovery.crashRecovery, `${label}: OPEN did not see the crash`).toBe(true);
      await verifyBank(db, acknowledged, rolledBack, label);
      // Leave it as a crash left it for the next round: close without a clean shutdown.
      await db.storage.abort();
    }
  }, 300_000);
});
