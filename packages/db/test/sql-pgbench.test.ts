// pgbench, unmodified, against the real server: it initializes its tables, runs its
// built-in TPC-B-like script with 8 clients without a failed transaction, and leaves the
// balances consistent (accounts = tellers = branches = history). Then the server runs as
// its own process (tandem db start) and is killed with SIGKILL in the middle of a pgbench
// run, at several moments; after each restart (crash recovery) the four sums must still
// agree: no committed transaction lost, none half applied.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type CommandResult, type TestServer } from './sql-server.js';

const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url));
const tandemBin = join(repositoryRoot, 'packages/cli/bin/tandem.js');
const PGBENCH = existsSync('/usr/lib/postgresql/15/bin/pgbench') ? '/usr/lib/postgresql/15/bin/pgbench' : 'pgbench';

/** Every child process this file starts, until it has exited (afterAll kills what is left, by pid). */
const running = new Set<ChildProcess>();
const directories: string[] = [];
let db: TestServer | undefined;

beforeAll(() => {
  // The server process runs the built packages: make sure the build is current.
  execFileSync(
    process.execPath,
    [join(repositoryRoot, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'],
    {
      cwd: repositoryRoot,
      stdio: 'inherit',
    },
  );
}, 300_000);

afterAll(async () => {
  for (const child of running) {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // It has just exited.
    }
  }
  await db?.stop();
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

interface Spawned {
  readonly child: ChildProcess;
  readonly exited: Promise<CommandResult & { signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

function start(command: string, args: readonly string[], env: Record<string, string> = {}): Spawned {
  const child = spawn(command, [...args], {
    cwd: repositoryRoot,
    env: { ...process.env, PGCONNECT_TIMEOUT: '10', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<CommandResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

/** Runs a command to its end, killing it (by pid) if it outlives `timeoutMs`. */
async function runToEnd(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<CommandResult> {
  const spawned = start(command, args, env);
  const timer = setTimeout(() => {
    if (spawned.child.pid !== undefined) process.kill(spawned.child.pid, 'SIGKILL');
  }, timeoutMs);
  try {
    return await spawned.exited;
  } finally {
    clearTimeout(timer);
  }
}

interface Sums {
  readonly accounts: bigint;
  readonly tellers: bigint;
  readonly branches: bigint;
  readonly history: bigint;
  readonly historyRows: number;
}

async function balanceSums(client: pg.Client): Promise<Sums> {
  const result = await client.query(
    `select (select coalesce(sum(abalance), 0) from pgbench_accounts)::text as accounts,
            (select coalesce(sum(tbalance), 0) from pgbench_tellers)::text as tellers,
            (select coalesce(sum(bbalance), 0) from pgbench_branches)::text as branches,
            (select coalesce(sum(delta), 0) from pgbench_history)::text as history,
            (select count(*) from pgbench_history)::int as rows`,
  );
  const row = result.rows[0] as { accounts: string; tellers: string; branches: string; history: string; rows: number };
  return {
    accounts: BigInt(row.accounts),
    tellers: BigInt(row.tellers),
    branches: BigInt(row.branches),
    history: BigInt(row.history),
    historyRows: row.rows,
  };
}

function expectBalanced(sums: Sums, label: string): void {
  const text = `${label}: accounts ${sums.accounts}, tellers ${sums.tellers}, branches ${sums.branches}, history ${sums.history} (${sums.historyRows} rows)`;
  expect(sums.tellers, text).toBe(sums.accounts);
  expect(sums.branches, text).toBe(sums.accounts);
  expect(sums.history, text).toBe(sums.accounts);
}

function reported(output: string, pattern: RegExp): string | undefined {
  return pattern.exec(output)?.[1];
}

describe('pgbench against the in-process server', () => {
  it('initializes scale 10, runs TPC-B with 8 clients without failures, and keeps the balances', async () => {
    db = await startTestServer();
    const init = await db.run(PGBENCH, ['-i', '-s', '10', db.url], { timeoutMs: 600_000 });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toMatch(/done in/);
    const client = await db.client();
    const counts = await client.query(
      `select (select count(*) from pgbench_accounts)::int as accounts,
              (select count(*) from pgbench_tellers)::int as tellers,
              (select count(*) from pgbench_branches)::int as branches,
              (select count(*) from pgbench_history)::int as history`,
    );
    expect(counts.rows).toEqual([{ accounts: 1_000_000, tellers: 100, branches: 10, history: 0 }]);
    expectBalanced(await balanceSums(client), 'after pgbench -i');

    const bench = await db.run(PGBENCH, ['-c', '8', '-j', '2', '-T', '30', db.url], { timeoutMs: 300_000 });
    expect(bench.code, `${bench.stdout}\n${bench.stderr}`).toBe(0);
    expect(bench.stdout).toContain('number of failed transactions: 0 ');
    const tps = Number(reported(bench.stdout, /^tps = ([\d.]+)/m));
    const processed = Number(reported(bench.stdout, /number of transactions actually processed: (\d+)/));
    console.log(`pgbench -c 8 -j 2 -T 30 (scale 10): tps = ${tps}, ${processed} transactions`);
    expect(tps).toBeGreaterThan(0);
    expect(processed).toBeGreaterThan(0);

    const sums = await balanceSums(client);
    expectBalanced(sums, 'after pgbench -T 30');
    expect(sums.historyRows).toBe(processed);

    // The same script through named prepared statements (Parse once, Bind/Execute many).
    const prepared = await db.run(PGBENCH, ['-n', '-M', 'prepared', '-c', '4', '-j', '2', '-T', '5', db.url], {
      timeoutMs: 120_000,
    });
    expect(prepared.code, `${prepared.stdout}\n${prepared.stderr}`).toBe(0);
    expect(prepared.stdout).toContain('number of failed transactions: 0 ');
    const preparedProcessed = Number(reported(prepared.stdout, /number of transactions actually processed: (\d+)/));
    expect(preparedProcessed).toBeGreaterThan(0);
    const after = await balanceSums(client);
    expectBalanced(after, 'after pgbench -M prepared');
    expect(after.historyRows).toBe(processed + preparedProcessed);
    await db.stop();
    db = undefined;
  }, 900_000);
});

describe('kill -9 of the server process during pgbench', () => {
  it('keeps the balances through SIGKILLs at different moments of a run', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'tandem-pgbench-kill-'));
    directories.push(directory);
    const dbDir = join(directory, 'db');
    const init = await runToEnd(
      process.execPath,
      [tandemBin, 'db', 'init', dbDir, '--log-size', '32', '--log-members', '1'],
      {},
      120_000,
    );
    expect(init.code, init.stderr).toBe(0);
    const password = (await readFile(join(dbDir, 'sys.password'), 'utf8')).trim();
    const env = { PGPASSWORD: password };

    /** Starts `tandem db start` and resolves once it serves, with its port. */
    const startServer = async (): Promise<{ server: Spawned; port: number }> => {
      const server = start(process.execPath, [tandemBin, 'db', 'start', dbDir, '--port', '0']);
      const port = await new Promise<number>((resolve, reject) => {
        const look = (): void => {
          const match = /is OPEN on [\d.]+:(\d+)/.exec(server.stdout());
          if (match !== null) {
            server.child.stdout!.off('data', look);
            resolve(Number(match[1]));
          }
        };
        server.child.stdout!.on('data', look);
        void server.exited.then((result) =>
          reject(new Error(`the server exited (${result.code ?? result.signal}) before serving:\n${result.stderr}`)),
        );
      });
      const pidFile = JSON.parse(await readFile(join(dbDir, 'server.pid'), 'utf8')) as { pid: number; port: number };
      expect(pidFile).toMatchObject({ pid: server.child.pid, port });
      return { server, port };
    };
    const url = (port: number): string => `postgresql://sys@127.0.0.1:${port}/tandem`;
    const connect = async (port: number): Promise<pg.Client> => {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'sys', password, database: 'tandem' });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    };

    let { server, port } = await startServer();
    const pgbenchInit = await runToEnd(PGBENCH, ['-i', '-s', '2', url(port)], env, 300_000);
    expect(pgbenchInit.code, pgbenchInit.stderr).toBe(0);

    const kills = Number(process.env.TANDEM_PGBENCH_KILLS ?? 2);
    let historyBefore = 0;
    for (let round = 1; round <= kills; round++) {
      const label = `kill ${round}`;
      // -n: no vacuum step, which would TRUNCATE pgbench_history and so break the
      // invariant across rounds (the balances keep what earlier rounds did).
      const bench = start(PGBENCH, ['-n', '-c', '8', '-j', '2', '-T', '60', url(port)], env);
      // Kill at a moment given by progress, not by the clock: after this many more
      // committed transactions in this round (a different moment each round).
      const target = historyBefore + 150 * round + 100;
      const watcher = await connect(port);
      try {
        for (;;) {
          if (bench.child.exitCode !== null)
            throw new Error(`${label}: pgbench ended before the kill:\n${bench.stderr()}`);
          const rows = await watcher.query('select count(*)::int as n from pgbench_history');
          if ((rows.rows[0] as { n: number }).n >= target) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } finally {
        await watcher.end().catch(() => undefined);
      }
      process.kill(server.child.pid!, 'SIGKILL');
      const killed = await server.exited;
      expect(killed.signal).toBe('SIGKILL');
      const benchResult = await bench.exited;
      // pgbench's clients die with the server; what it counted as done was acknowledged.
      const processed = Number(reported(benchResult.stdout, /number of transactions actually processed: (\d+)/) ?? '0');

      ({ server, port } = await startServer());
      expect(server.stderr(), `${label}: the restart ran no crash recovery`).toMatch(/crash recovery/);
      const client = await connect(port);
      try {
        const sums = await balanceSums(client);
        expectBalanced(sums, label);
        expect(sums.historyRows, `${label}: history rows`).toBeGreaterThan(historyBefore);
        expect(
          sums.historyRows,
          `${label}: pgbench reported ${processed} transactions processed`,
        ).toBeGreaterThanOrEqual(historyBefore + processed);
        // Every history row is one whole transaction: its account, teller and branch moved too.
        const counts = await client.query(
          'select (select count(*) from pgbench_accounts)::int as a, (select count(*) from pgbench_tellers)::int as t, (select count(*) from pgbench_branches)::int as b',
        );
        expect(counts.rows).toEqual([{ a: 200_000, t: 20, b: 2 }]);
        historyBefore = sums.historyRows;
      } finally {
        await client.end();
      }
    }

    // A clean stop at the end: SIGTERM is SHUTDOWN IMMEDIATE.
    process.kill(server.child.pid!, 'SIGTERM');
    const stopped = await server.exited;
    expect(stopped.code, stopped.stderr).toBe(0);
  }, 900_000);
});
