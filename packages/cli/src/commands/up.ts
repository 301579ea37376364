// `tandem up`: starts the local redundant system in the foreground. Each part adds itself
// to the plan as it becomes runnable; parts that cannot run yet are reported as not started
// rather than pretended. Today that is the database: created on the first run in a state
// directory that git ignores (.tandem/ under the current directory), then served until
// SIGINT or SIGTERM, which shut it down IMMEDIATE.
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CONFIG_FILE, DatabaseServer, initDatabase, SYS_PASSWORD_FILE } from '@tandem/db';
import type { CliIo } from '../main.js';

export interface PartStatus {
  readonly name: string;
  readonly runnable: boolean;
  readonly detail: string;
}

/** What `up` starts, in start order. */
export function localSystemPlan(): PartStatus[] {
  return [
    { name: 'database', runnable: true, detail: 'tandem-db (primary; standby and witness come with replication)' },
    { name: 'load balancer', runnable: false, detail: 'not yet implemented (@tandem/lb)' },
  ];
}

export interface UpOptions {
  readonly stateDir: string;
  readonly port?: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Starts every runnable part; resolves with a function that stops them all. */
export async function startLocalSystem(options: UpOptions, io: CliIo): Promise<() => Promise<void>> {
  const stateDir = resolve(options.stateDir);
  const dbDir = join(stateDir, 'db');
  const log = (level: string, text: string): void => {
    const line = text.trimEnd();
    io.err(`${/\[(notice|warning|error|alert)\]/.test(line) ? line : `[${level}] ${line}`}\n`);
  };
  if (!(await exists(join(dbDir, CONFIG_FILE)))) {
    io.out(`[notice] tandem up: first run: creating the database in ${dbDir}\n`);
    await initDatabase(dbDir, {}, log);
  }
  for (const part of localSystemPlan()) {
    if (!part.runnable) io.out(`  ${part.name}: not started: ${part.detail}\n`);
  }
  const port = options.port === undefined ? undefined : Number(options.port);
  const database = await DatabaseServer.start(dbDir, { ...(port === undefined ? {} : { port }), log });
  const { host, port: boundPort } = database.address;
  io.out(
    [
      `[notice] tandem up: database ${database.config.name} is OPEN on ${host}:${boundPort}`,
      `  connect:  psql "postgresql://sys@${host}:${boundPort}/${database.config.name}"  (password: ${join(dbDir, SYS_PASSWORD_FILE)})`,
      `            npx tandem sql --dir ${dbDir}`,
      `  stop:     Ctrl-C (shutdown IMMEDIATE)`,
      '',
    ].join('\n'),
  );
  return () => database.stop('IMMEDIATE');
}

export function registerUpCommand(program: Command, io: CliIo): void {
  program
    .command('up')
    .description(
      'start the local redundant system (today: the database; load balancers, app servers and monitor follow)',
    )
    .option('--state-dir <dir>', 'where the local system keeps its data', '.tandem')
    .option('-p, --port <port>', 'database port (default from the database parameters: 5544)')
    .action(async (flags: { stateDir: string; port?: string }) => {
      const stop = await startLocalSystem(
        { stateDir: flags.stateDir, ...(flags.port === undefined ? {} : { port: flags.port }) },
        io,
      );
      await new Promise<void>((resolveStop) => {
        const onSignal = (): void => {
          stop().then(resolveStop, (error: unknown) => {
            io.err(`[error] tandem up: shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
            resolveStop();
          });
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      });
      process.exit(0);
    });
}
