// The SQL engine's cost per pgbench transaction without the network: the TPC-B-like
// statements pgbench sends (as text with literals, like its simple query mode) run through
// SQL sessions in this process, C at a time. It prints transactions per second and the
// process CPU time per transaction, the figure the engine's speed work drives down; with
// --profile it writes a V8 CPU profile of the run.
//
//   node bench/dist/sql-tpcb.js [--scale 1] [--clients 8] [--seconds 10] [--spread 1] [--profile]
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';
import { DatabaseServer, initDatabase, type SqlEngine } from '@tandem/db';
import type { EngineSession, QueryOutput } from '@tandem/db';
import { scratch } from './harness.js';

interface Options {
  readonly scale: number;
  readonly clients: number;
  readonly seconds: number;
  readonly profile: boolean;
  /** Branches and tellers per scale unit, times pgbench's (1 and 10): spreads the row locks. */
  readonly spread: number;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string, fallback: number): number => {
    const at = argv.indexOf(`--${name}`);
    return at < 0 ? fallback : Number(argv[at + 1]);
  };
  return {
    scale: value('scale', 1),
    clients: value('clients', 8),
    seconds: value('seconds', 10),
    profile: argv.includes('--profile'),
    spread: value('spread', 1),
  };
}

/** A QueryOutput that discards rows and remembers the last command tag. */
function sink(): QueryOutput & { tag: string } {
  const out = {
    tag: '',
    rowDescription: () => undefined,
    dataRow: () => undefined,
    commandComplete: (tag: string) => {
      out.tag = tag;
    },
    emptyQuery: () => undefined,
    notice: () => undefined,
    copyIn: () => {
      throw new Error('no COPY in this benchmark');
    },
    copyOut: () => {
      throw new Error('no COPY in this benchmark');
    },
  };
  return out;
}

async function session(engine: SqlEngine, id: number): Promise<EngineSession> {
  return engine.startSession({
    user: 'sys',
    database: 'tandem',
    parameters: new Map(),
    remoteAddress: 'bench',
    processId: id,
  });
}

function random(low: number, high: number): number {
  return low + Math.floor(Math.random() * (high - low + 1));
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const where = await scratch('sql-tpcb');
  try {
    await initDatabase(where.directory, { logSizeBytes: 64 * 1024 * 1024 });
    const server = await DatabaseServer.start(where.directory, { port: 0 });
    const engine = server.engine;
    const admin = await session(engine, 1);
    const out = sink();
    const accounts = 100_000 * options.scale;
    const spread = options.spread;
    for (const sql of [
      'create table pgbench_branches(bid int primary key, bbalance int, filler char(88))',
      'create table pgbench_tellers(tid int primary key, bid int, tbalance int, filler char(84))',
      'create table pgbench_accounts(aid int primary key, bid int, abalance int, filler char(84))',
      'create table pgbench_history(tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))',
      `insert into pgbench_branches select n, 0, '' from generate_series(1, ${options.scale * spread}) n`,
      `insert into pgbench_tellers select n, (n - 1) / 10 + 1, 0, '' from generate_series(1, ${10 * options.scale * spread}) n`,
      `insert into pgbench_accounts select n, (n - 1) / 100000 + 1, 0, '' from generate_series(1, ${accounts}) n`,
    ]) {
      await admin.simpleQuery(sql, out);
    }
    const profiler = options.profile ? new Session() : undefined;
    if (profiler !== undefined) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const deadline = Date.now() + options.seconds * 1000;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    let transactions = 0;
    const worker = async (id: number): Promise<void> => {
      const client = await session(engine, 100 + id);
      const output = sink();
      while (Date.now() < deadline) {
        const aid = random(1, accounts);
        const tid = random(1, 10 * options.scale * spread);
        const bid = random(1, options.scale * spread);
        const delta = random(-5000, 5000);
        for (const sql of [
          'BEGIN;',
          `UPDATE pgbench_accounts SET abalance = abalance + ${delta} WHERE aid = ${aid};`,
          `SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`,
          `UPDATE pgbench_tellers SET tbalance = tbalance + ${delta} WHERE tid = ${tid};`,
          `UPDATE pgbench_branches SET bbalance = bbalance + ${delta} WHERE bid = ${bid};`,
          `INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (${tid}, ${bid}, ${aid}, ${delta}, CURRENT_TIMESTAMP);`,
          'END;',
        ]) {
          await client.simpleQuery(sql, output);
        }
        transactions++;
      }
      await client.close();
    };
    await Promise.all(Array.from({ length: options.clients }, (_, i) => worker(i)));
    const elapsed = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    if (profiler !== undefined) {
      const { profile } = await profiler.post('Profiler.stop');
      const path = `${process.cwd()}/sql-tpcb.cpuprofile`;
      await writeFile(path, JSON.stringify(profile));
      console.log(`[notice] profile written to ${path}`);
    }
    const cpuPerTxn = (cpu.user + cpu.system) / 1000 / transactions;
    console.log(
      `sql-tpcb: scale ${options.scale}, ${options.clients} sessions, ${elapsed.toFixed(1)} s: ${transactions} transactions, ` +
        `${Math.round(transactions / elapsed)} tps, ${cpuPerTxn.toFixed(3)} ms CPU per transaction (all threads)`,
    );
    await admin.close();
    await server.stop('IMMEDIATE');
  } finally {
    await where.remove();
  }
}

main().catch((error: unknown) => {
  console.error(`[error] sql-tpcb: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
