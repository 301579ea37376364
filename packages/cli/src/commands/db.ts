// `tandem db ...`: create a database (init), run its server in the foreground (start) or
// in the background (boot, like tbboot), and stop it in one of Tibero's modes (down, like
// tbdown). The server finds its parameters in <dir>/tandem-db.yaml; command-line options
// override them.
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
// The database engine is loaded by the commands that use it, not to register them.
import type * as TandemDb from '@tandem/db';
import type { InitOptions, ShutdownMode } from '@tandem/db';
import type { CliIo } from '../main.js';
import { tandemBin } from '../package-paths.js';
import { registerExportCommands } from './db-export.js';
import { registerBackupCommands } from './db-backup.js';

type Stage = 'NOMOUNT' | 'MOUNT' | 'OPEN';

interface StartFlags {
  readonly port?: string;
  readonly host?: string;
  readonly nomount?: boolean;
  readonly mount?: boolean;
}

const SIGNALS_BY_MODE: Readonly<Record<ShutdownMode, NodeJS.Signals>> = {
  NORMAL: 'SIGUSR1',
  POST_TX: 'SIGUSR2',
  IMMEDIATE: 'SIGTERM',
  ABORT: 'SIGQUIT',
};

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${text}`);
  return port;
}

function stageOf(flags: StartFlags): Stage {
  if (flags.nomount === true && flags.mount === true) throw new Error('--nomount and --mount exclude each other');
  return flags.nomount === true ? 'NOMOUNT' : flags.mount === true ? 'MOUNT' : 'OPEN';
}

function addStartOptions(command: Command): Command {
  return command
    .option('-p, --port <port>', 'TCP port (default from tandem-db.yaml: 5544)')
    .option('-H, --host <host>', 'address to bind (default 127.0.0.1)')
    .option('--nomount', 'start the instance only (CREATE DATABASE, control file work)')
    .option('--mount', 'mount the control files but do not open the database (recovery, renames, log mode)');
}

/** The engine, loaded on first use. */
const loadDb = (): Promise<typeof TandemDb> => import('@tandem/db');

async function sysPassword(directory: string): Promise<string | undefined> {
  const { SYS_PASSWORD_FILE } = await loadDb();
  try {
    return (await readFile(join(directory, SYS_PASSWORD_FILE), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Server log lines go to standard error, each with its level word (alert lines have theirs). */
function logTo(io: CliIo): (level: string, line: string) => void {
  return (level, text) => {
    const line = text.trimEnd();
    io.err(`${/\[(notice|warning|error|alert)\]/.test(line) ? line : `[${level}] ${line}`}\n`);
  };
}

export function registerDbCommand(program: Command, io: CliIo): void {
  const db = program
    .command('db')
    .description('the Tandem database: create, start, boot and stop a database server; export and import its data');

  db.command('init')
    .description(
      'create a database in <dir>: control files, redo log groups, SYSTEM/UNDO/TEMP/USR tablespaces, user sys',
    )
    .argument('<dir>', 'directory for the database files')
    .option('--name <name>', 'database name (the name clients connect to)', 'tandem')
    .option(
      '--control-file <path...>',
      'control file copies (at least two; default <dir>/control01.ctl and control02.ctl)',
    )
    .option('--log-groups <n>', 'redo log groups', '3')
    .option('--log-members <n>', 'members per redo log group', '2')
    .option('--log-size <mb>', 'size of each redo log member in MiB', '64')
    .option('--block-size <bytes>', 'block size in bytes (4096, 8192, 16384 or 32768)', '8192')
    .option('-p, --port <port>', 'port the server will listen on', '5544')
    .option('-H, --host <host>', 'address the server will bind', '127.0.0.1')
    .option(
      '--no-create',
      'write the parameters and sys credentials only; create the database with CREATE DATABASE after db start --nomount',
    )
    .action(async (dir: string, flags: Record<string, string | string[] | boolean | undefined>) => {
      const integer = (name: string): number => {
        const value = Number(flags[name]);
        if (!Number.isInteger(value) || value <= 0)
          throw new Error(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a positive integer`);
        return value;
      };
      const options: InitOptions = {
        name: flags.name as string,
        logGroups: integer('logGroups'),
        logMembers: integer('logMembers'),
        logSizeBytes: integer('logSize') * 1024 * 1024,
        blockBytes: integer('blockSize'),
        port: parsePort(flags.port as string)!,
        host: flags.host as string,
        ...(flags.controlFile === undefined ? {} : { controlFiles: flags.controlFile as string[] }),
        createDatabase: flags.create !== false,
      };
      const { initDatabase, SYS_PASSWORD_FILE } = await loadDb();
      const result = await initDatabase(dir, options, logTo(io));
      const { config } = result;
      if (flags.create === false) {
        io.out(
          [
            `[notice] parameters for database ${config.name} written to ${result.directory}; no database yet`,
            `  start the instance:  npx tandem db start ${dir} --nomount`,
            `  then, as sys:        CREATE DATABASE "${config.name}" USER sys IDENTIFIED BY <password> LOGFILE GROUP 1 ('log1a.log', 'log1b.log') SIZE 16M, GROUP 2 ('log2a.log', 'log2b.log') SIZE 16M ...`,
            `  sys's password until then: ${join(result.directory, SYS_PASSWORD_FILE)}`,
            '',
          ].join('\n'),
        );
        return;
      }
      io.out(
        [
          `[notice] database ${config.name} created in ${result.directory}`,
          `  administrator: sys, password in ${join(result.directory, SYS_PASSWORD_FILE)} (readable by its owner only)`,
          `  start it:      npx tandem db start ${dir}        (or in the background: npx tandem db boot ${dir})`,
          `  connect:       psql "postgresql://sys@${config.host}:${config.port}/${config.name}"   (PGPASSWORD=$(cat ${join(dir, SYS_PASSWORD_FILE)}))`,
          `                 npx tandem sql --dir ${dir}`,
          '',
        ].join('\n'),
      );
    });

  addStartOptions(
    db
      .command('start')
      .description('run the database server in the foreground; SIGTERM or SIGINT shuts it down IMMEDIATE')
      .argument('<dir>', 'the database directory'),
  ).action(async (dir: string, flags: StartFlags) => {
    const log = logTo(io);
    const { DatabaseServer, SYS_PASSWORD_FILE } = await loadDb();
    const server = await DatabaseServer.start(dir, {
      ...(flags.host === undefined ? {} : { host: flags.host }),
      ...(parsePort(flags.port) === undefined ? {} : { port: parsePort(flags.port)! }),
      stage: stageOf(flags),
      log,
    });
    const password = await sysPassword(server.directory);
    io.out(
      `[notice] tandem db: ${server.config.name} is ${server.instance.stage} on ${server.address.host}:${server.address.port}` +
        (password === undefined
          ? ''
          : `; connect: psql postgresql://sys@${server.address.host}:${server.address.port}/${server.config.name} (password in ${join(server.directory, SYS_PASSWORD_FILE)})`) +
        '\n',
    );
    await new Promise<void>((resolveStop) => {
      const stopWith = (mode: ShutdownMode) => () => {
        server.stop(mode).then(resolveStop, (error: unknown) => {
          log('error', `shutdown ${mode} failed: ${error instanceof Error ? error.message : String(error)}`);
          resolveStop();
        });
      };
      process.once('SIGTERM', stopWith('IMMEDIATE'));
      process.once('SIGINT', stopWith('IMMEDIATE'));
      process.once('SIGUSR1', stopWith('NORMAL'));
      process.once('SIGUSR2', stopWith('POST_TX'));
      process.once('SIGQUIT', stopWith('ABORT'));
    });
    // Leave promptly: open sockets or timers must not hold the process after a shutdown.
    process.exit(0);
  });

  addStartOptions(
    db
      .command('boot')
      .description('start the database server in the background and return once it accepts connections (like tbboot)')
      .argument('<dir>', 'the database directory')
      .option('--timeout <seconds>', 'how long to wait for the server to be ready', '120'),
  ).action(async (dir: string, flags: StartFlags & { timeout: string }) => {
    const directory = resolve(dir);
    const { isAlive, readPidFile } = await loadDb();
    const running = await readPidFile(directory);
    if (running !== undefined && isAlive(running.pid)) {
      throw new Error(`a server (pid ${running.pid}) already serves ${directory} on ${running.host}:${running.port}`);
    }
    const logPath = join(directory, 'server.log');
    const logFd = openSync(logPath, 'a');
    const args = [tandemBin(), 'db', 'start', directory];
    if (flags.port !== undefined) args.push('--port', flags.port);
    if (flags.host !== undefined) args.push('--host', flags.host);
    if (flags.nomount === true) args.push('--nomount');
    if (flags.mount === true) args.push('--mount');
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    let exited: number | null | undefined;
    child.once('exit', (code) => (exited = code));
    child.unref();
    const deadline = Date.now() + Number(flags.timeout) * 1000;
    while (Date.now() < deadline) {
      if (exited !== undefined)
        throw new Error(`the server exited (code ${exited}) before it was ready; see ${logPath}`);
      const pid = await readPidFile(directory);
      if (pid !== undefined && pid.pid === child.pid) {
        io.out(
          `[notice] tandem db: server pid ${pid.pid} is ${pid.stage} on ${pid.host}:${pid.port}; log in ${logPath}\n`,
        );
        return;
      }
      await sleep(100);
    }
    throw new Error(`the server did not become ready within ${flags.timeout} s; see ${logPath}`);
  });

  db.command('down')
    .description('stop the database server of <dir> (like tbdown): normal, post_tx, immediate (default) or abort')
    .argument('<dir>', 'the database directory')
    .argument('[mode]', 'normal | post_tx | immediate | abort', 'immediate')
    .option('--timeout <seconds>', 'how long to wait for the server to stop', '300')
    .action(async (dir: string, modeText: string, flags: { timeout: string }) => {
      const mode = modeText.toUpperCase() as ShutdownMode;
      if (!(mode in SIGNALS_BY_MODE))
        throw new Error(`unknown shutdown mode ${modeText}: use normal, post_tx, immediate or abort`);
      const directory = resolve(dir);
      const { isAlive, readPidFile } = await loadDb();
      const running = await readPidFile(directory);
      if (running === undefined || !isAlive(running.pid)) {
        io.out(`[notice] tandem db: no server is running for ${directory}\n`);
        return;
      }
      process.kill(running.pid, SIGNALS_BY_MODE[mode]);
      const deadline = Date.now() + Number(flags.timeout) * 1000;
      while (isAlive(running.pid)) {
        if (Date.now() > deadline)
          throw new Error(`the server (pid ${running.pid}) did not stop within ${flags.timeout} s`);
        await sleep(100);
      }
      io.out(`[notice] tandem db: server pid ${running.pid} stopped (${mode})\n`);
    });

  registerExportCommands(db, io);
  registerBackupCommands(db, io);
}
