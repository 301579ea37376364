// pgbench against tandem-db and its anchor, PostgreSQL 15 from Debian, in one run on the same
// machine: each system in turn (PostgreSQL first) is started in a fresh temp dir, loaded with
// `pgbench -i -s <scale>` (timed), then measured with pgbench's built-in TPC-B-like script at 1
// client and at 8 clients, and with its select-only script (-S) at 8 clients, each for
// -T <duration> seconds over TCP on 127.0.0.1 with a password (PGPASSWORD). PostgreSQL runs
// with Debian's defaults (fsync and synchronous_commit on, default shared_buffers); only its
// port, socket directory and listen address are set. The server is stopped by its pid.
//
//   npm run build && node bench/dist/pgbench.js [--scale 10] [--duration 30] [--only postgres|tandem]
//     [--keep] [--profile] [--profile-dir <dir>] [--json <file>] [--tandem-cmd '<program> [args...]']
//
// The tandem command (default: `node packages/cli/bin/tandem.js`, or $TANDEM_CMD) is split on
// whitespace, never given to a shell; the harness appends `db init <dir>` and
// `db start <dir> --port <port> --host 127.0.0.1`. If tandem-db cannot start, the harness says
// so and still measures PostgreSQL: the exit code is nonzero only when the harness itself, or
// the PostgreSQL anchor, fails. The last line of stdout is the results as JSON.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { printTable, round } from './harness.js';

type SystemName = 'postgres' | 'tandem';

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pgBinDir = process.env.PG_BINDIR ?? '/usr/lib/postgresql/15/bin';
const pgbenchBin = join(pgBinDir, 'pgbench');
const host = '127.0.0.1';
/** How long a server may take from spawn to accepting connections. */
const startTimeoutMs = 60_000;
/** How long a server may take to stop after SIGTERM before it gets SIGKILL. */
const stopTimeoutMs = 60_000;

interface Options {
  readonly scale: number;
  readonly duration: number;
  readonly only: SystemName | undefined;
  readonly keep: boolean;
  readonly profile: boolean;
  readonly profileDir: string;
  readonly json: string | undefined;
  readonly tandemCommand: readonly string[];
}

function usage(message: string): never {
  console.error(`[error] ${message}`);
  console.error(
    'usage: node bench/dist/pgbench.js [--scale 10] [--duration 30] [--only postgres|tandem] [--keep] [--profile] ' +
      "[--profile-dir <dir>] [--json <file>] [--tandem-cmd '<program> [args...]']",
  );
  process.exit(2);
}

function positiveInteger(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) usage(`--${name} must be a positive integer, not "${text}"`);
  return value;
}

function parseOptions(): Options {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        scale: { type: 'string', default: '10' },
        duration: { type: 'string', default: '30' },
        only: { type: 'string' },
        keep: { type: 'boolean', default: false },
        profile: { type: 'boolean', default: false },
        'profile-dir': { type: 'string' },
        json: { type: 'string' },
        'tandem-cmd': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  const only = parsed.only;
  if (only !== undefined && only !== 'postgres' && only !== 'tandem') {
    usage(`--only takes postgres or tandem, not "${only}"`);
  }
  const commandText = parsed['tandem-cmd'] ?? process.env.TANDEM_CMD;
  const tandemCommand =
    commandText === undefined
      ? [process.execPath, join(repositoryRoot, 'packages/cli/bin/tandem.js')]
      : commandText.split(/\s+/).filter((word) => word !== '');
  if (tandemCommand.length === 0) usage('--tandem-cmd is empty');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    scale: positiveInteger(parsed.scale, 'scale'),
    duration: positiveInteger(parsed.duration, 'duration'),
    only,
    keep: parsed.keep,
    profile: parsed.profile,
    profileDir: resolve(parsed['profile-dir'] ?? join(repositoryRoot, 'bench/.work', `pgbench-profile-${stamp}`)),
    json: parsed.json,
    tandemCommand,
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes: every one is tracked by pid, and killed by pid on every way out.

const live = new Set<ChildProcess>();
const scratchDirectories = new Set<string>();
let keepScratch = false;

function killByPid(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, signal);
  } catch {
    // Already gone.
  }
}

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** Resolves when the child has exited (at once if it already has). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolveExit) => {
    child.once('exit', () => resolveExit());
    child.once('error', () => resolveExit());
  });
}

/** SIGTERM by pid, then wait up to timeoutMs, then SIGKILL by pid. True when it stopped on SIGTERM. */
async function stopByPid(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  killByPid(child, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const gentle = await Promise.race([
    exited(child).then(() => true),
    new Promise<boolean>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (!gentle) {
    killByPid(child, 'SIGKILL');
    await exited(child);
  }
  return gentle;
}

function removeScratchNow(): void {
  if (keepScratch) return;
  for (const directory of scratchDirectories) rmSync(directory, { recursive: true, force: true });
  scratchDirectories.clear();
}

// Last resort (uncaught error, process.exit): synchronous, so SIGKILL.
process.on('exit', () => {
  for (const child of live) killByPid(child, 'SIGKILL');
  removeScratchNow();
});

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) {
      process.exit(130);
    }
    interrupted = true;
    console.error(`[warning] ${signal}: stopping ${live.size} child process(es) by pid, then exiting`);
    void Promise.all([...live].map((child) => stopByPid(child, 10_000))).finally(() => {
      removeScratchNow();
      process.exit(130);
    });
  });
}

interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly elapsedMs: number;
  readonly spawnError: string | undefined;
}

interface RunSpec {
  readonly timeoutMs: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly user?: PosixUser;
}

const outputLimit = 1 << 20;

function collect(stream: NodeJS.ReadableStream | null, into: { text: string }): void {
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    if (into.text.length < outputLimit) into.text += chunk;
  });
}

/** Runs a program to completion (argv, no shell), killing it by pid if it outlives timeoutMs. */
function run(program: string, args: readonly string[], spec: RunSpec): Promise<RunResult> {
  return new Promise((resolveRun) => {
    const started = performance.now();
    if (interrupted) {
      resolveRun({
        code: null,
        signal: null,
        stdout: '',
        stderr: '',
        timedOut: false,
        elapsedMs: 0,
        spawnError: 'interrupted',
      });
      return;
    }
    const stdout = { text: '' };
    const stderr = { text: '' };
    let timedOut = false;
    let spawnError: string | undefined;
    const child = track(
      spawn(program, args, {
        cwd: spec.cwd ?? repositoryRoot,
        env: spec.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        uid: spec.user?.uid,
        gid: spec.user?.gid,
      }),
    );
    collect(child.stdout, stdout);
    collect(child.stderr, stderr);
    const timer = setTimeout(() => {
      timedOut = true;
      void stopByPid(child, 5_000);
    }, spec.timeoutMs);
    child.once('error', (error) => {
      spawnError = error.message;
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({
        code,
        signal,
        stdout: stdout.text,
        stderr: stderr.text,
        timedOut,
        elapsedMs: performance.now() - started,
        spawnError,
      });
    });
  });
}

/** The line of a program's output that best says why it failed: the first naming an error, else the last. */
function telling(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return lines.find((line) => /\b(error|fatal|panic)\b/i.test(line)) ?? lines.at(-1) ?? '';
}

function describeFailure(what: string, result: RunResult): string {
  if (result.spawnError !== undefined) return `${what}: ${result.spawnError}`;
  if (result.timedOut) return `${what} timed out after ${round(result.elapsedMs / 1000)} s`;
  const how = result.signal !== null ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
  const detail = telling(result.stderr) || telling(result.stdout);
  return `${what} ${how}${detail === '' ? '' : `: ${detail}`}`;
}

// ---------------------------------------------------------------------------------------------
// Servers.

interface PosixUser {
  readonly uid: number;
  readonly gid: number;
}

interface Server {
  readonly system: SystemName;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly directory: string;
  readonly process: ChildProcess;
  readonly log: { text: string };
}

class StartFailure extends Error {}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolvePort(port) : reject(new Error('no free port'))));
    });
  });
}

async function newScratch(system: SystemName): Promise<string> {
  const directory = await mkdtemp(join(process.env.BENCH_DIR ?? tmpdir(), `tandem-pgbench-${system}-`));
  scratchDirectories.add(directory);
  return directory;
}

/** The postgres OS user when running as root (postgres refuses to run as root), else nobody to switch to. */
async function postgresUser(): Promise<PosixUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = await readFile('/etc/passwd', 'utf8');
  const entry = passwd.split('\n').find((line) => line.startsWith('postgres:'));
  const fields = entry?.split(':');
  if (fields === undefined || fields.length < 4) {
    throw new Error('running as root, but there is no postgres OS user to run PostgreSQL as');
  }
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/**
 * Polls with pg_isready (a v3 startup packet; any answer, even a password request, counts)
 * until the server accepts connections, failing early when the server process exits.
 */
async function waitUntilReady(server: Omit<Server, 'password'>, what: string): Promise<void> {
  const deadline = performance.now() + startTimeoutMs;
  while (performance.now() < deadline) {
    if (server.process.exitCode !== null || server.process.signalCode !== null) {
      const how =
        server.process.signalCode !== null
          ? `was killed by ${server.process.signalCode}`
          : `exited with code ${server.process.exitCode}`;
      const detail = telling(server.log.text);
      throw new StartFailure(`${what} ${how}${detail === '' ? '' : `: ${detail}`}`);
    }
    const probe = await run(
      join(pgBinDir, 'pg_isready'),
      ['-q', '-h', host, '-p', String(server.port), '-U', server.user, '-d', server.database, '-t', '2'],
      { timeoutMs: 5_000 },
    );
    if (probe.spawnError !== undefined) throw new Error(`pg_isready: ${probe.spawnError}`);
    if (probe.code === 0) return;
    await new Promise((wait) => setTimeout(wait, 250));
  }
  throw new StartFailure(`${what} did not accept connections within ${startTimeoutMs / 1000} s`);
}

/** Spawns a server in the foreground, its output kept (bounded) for the reason it may die with. */
function spawnServer(
  program: string,
  args: readonly string[],
  spec: { user?: PosixUser; env?: NodeJS.ProcessEnv } = {},
): { child: ChildProcess; log: { text: string } } {
  if (interrupted) throw new Error('interrupted');
  const log = { text: '' };
  const child = track(
    spawn(program, args, {
      cwd: repositoryRoot,
      env: spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      uid: spec.user?.uid,
      gid: spec.user?.gid,
    }),
  );
  child.once('error', (error) => {
    log.text += `\n${error.message}\n`;
  });
  collect(child.stdout, log);
  collect(child.stderr, log);
  return { child, log };
}

async function startPostgres(): Promise<Server> {
  const directory = await newScratch('postgres');
  const user = await postgresUser();
  const data = join(directory, 'data');
  const password = randomBytes(12).toString('hex');
  const passwordFile = join(directory, 'password');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (user !== undefined) {
    await chown(directory, user.uid, user.gid);
    await chown(passwordFile, user.uid, user.gid);
  }
  // Password authentication over TCP as for tandem-db (scram-sha-256, Debian's default for host
  // connections); C collation so the result does not depend on the caller's locale.
  const init = await run(
    join(pgBinDir, 'initdb'),
    [
      '-D',
      data,
      '-U',
      'postgres',
      `--pwfile=${passwordFile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
    ],
    { timeoutMs: 120_000, cwd: directory, user },
  );
  if (init.code !== 0) throw new Error(describeFailure('initdb', init));
  const port = await freePort();
  const { child, log } = spawnServer(
    join(pgBinDir, 'postgres'),
    ['-D', data, '-p', String(port), '-c', `listen_addresses=${host}`, '-c', `unix_socket_directories=${directory}`],
    { user },
  );
  const server = {
    system: 'postgres' as const,
    port,
    user: 'postgres',
    database: 'postgres',
    directory,
    process: child,
    log,
  };
  try {
    await waitUntilReady(server, 'postgres');
  } catch (error) {
    await stopByPid(child, stopTimeoutMs);
    throw error;
  }
  return { ...server, password };
}

async function startTandem(options: Options): Promise<Server> {
  const directory = await newScratch('tandem');
  const database = join(directory, 'db');
  const [program, ...prefix] = options.tandemCommand;
  const init = await run(program, [...prefix, 'db', 'init', database], { timeoutMs: 120_000 });
  if (init.code !== 0) throw new StartFailure(describeFailure('db init', init));
  let password: string;
  try {
    password = (await readFile(join(database, 'sys.password'), 'utf8')).trim();
  } catch (error) {
    throw new StartFailure(`db init left no ${join(database, 'sys.password')}: ${String(error)}`);
  }
  const port = await freePort();
  const startArgs = [...prefix, 'db', 'start', database, '--port', String(port), '--host', host];
  let child: ChildProcess;
  let log: { text: string };
  if (options.profile) {
    await mkdir(options.profileDir, { recursive: true });
    // node refuses --cpu-prof in NODE_OPTIONS: the flags go on node's own command line.
    const profileFlags = ['--cpu-prof', '--cpu-prof-dir', options.profileDir];
    if (program === process.execPath || /(^|\/)node(js)?$/.test(program)) {
      ({ child, log } = spawnServer(program, [...profileFlags, ...startArgs]));
    } else if (/\.[cm]?js$/.test(program)) {
      ({ child, log } = spawnServer(process.execPath, [...profileFlags, program, ...startArgs]));
    } else {
      console.log(
        `[warning] tandem-db: --profile needs a tandem command run by node (node or a .js file), not ${program}`,
      );
      ({ child, log } = spawnServer(program, startArgs));
    }
    console.log(`[notice] tandem-db: CPU profile (node --cpu-prof) goes to ${options.profileDir}`);
  } else {
    ({ child, log } = spawnServer(program, startArgs));
  }
  const server = { system: 'tandem' as const, port, user: 'sys', database: 'tandem', directory, process: child, log };
  try {
    await waitUntilReady(server, 'db start');
  } catch (error) {
    await stopByPid(child, stopTimeoutMs);
    throw error;
  }
  return { ...server, password };
}

// ---------------------------------------------------------------------------------------------
// pgbench.

interface Workload {
  readonly name: string;
  readonly args: readonly string[];
}

const workloads: readonly Workload[] = [
  { name: 'tpcb-like, 1 client', args: ['-c', '1', '-j', '1'] },
  { name: 'tpcb-like, 8 clients', args: ['-c', '8', '-j', '2'] },
  { name: 'select-only, 8 clients', args: ['-S', '-c', '8', '-j', '2'] },
];

interface InitResult {
  readonly ok: boolean;
  readonly seconds: number;
  /** pgbench's own line: "done in 5.12 s (drop tables ..., primary keys ...)." */
  readonly report: string | undefined;
  readonly error: string | undefined;
}

interface WorkloadResult {
  readonly workload: string;
  readonly args: readonly string[];
  readonly ok: boolean;
  readonly tps: number | undefined;
  readonly latencyMs: number | undefined;
  readonly transactions: number | undefined;
  readonly failedTransactions: number | undefined;
  readonly aborted: boolean;
  readonly error: string | undefined;
}

interface SystemResult {
  readonly system: SystemName;
  status: 'ok' | 'could not start' | 'failed' | 'skipped';
  reason: string | undefined;
  version: string | undefined;
  init: InitResult | undefined;
  runs: WorkloadResult[];
  directory: string | undefined;
  stoppedBySigterm: boolean | undefined;
}

function connectionArgs(server: Server): string[] {
  return ['-h', host, '-p', String(server.port), '-U', server.user];
}

function pgbenchEnv(server: Server): NodeJS.ProcessEnv {
  // Only what the run needs from the environment: no PGSERVICE, PGOPTIONS or the like of the caller.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, PGPASSWORD: server.password, PGCONNECT_TIMEOUT: '10' };
  if (process.env.LANG !== undefined) env.LANG = process.env.LANG;
  return env;
}

function numberAfter(text: string, pattern: RegExp): number | undefined {
  const match = pattern.exec(text);
  return match === null ? undefined : Number(match[1]);
}

/** The figures of a PostgreSQL 15 pgbench run report. */
function parsePgbenchReport(text: string): {
  tps: number | undefined;
  latencyMs: number | undefined;
  transactions: number | undefined;
  failedTransactions: number | undefined;
  aborted: boolean;
} {
  return {
    tps:
      numberAfter(text, /^tps = ([\d.]+) \(without initial connection time\)/m) ??
      numberAfter(text, /^tps = ([\d.]+) \(excluding connections establishing\)/m),
    latencyMs: numberAfter(text, /^latency average = ([\d.]+) ms/m),
    transactions: numberAfter(text, /^number of transactions actually processed: (\d+)/m),
    failedTransactions: numberAfter(text, /^number of failed transactions: (\d+)/m),
    aborted: /Run was aborted/.test(text),
  };
}

async function pgbenchInit(server: Server, scale: number): Promise<InitResult> {
  // Generous bound for a slow system: 2 minutes plus 1 minute per scale unit (100,000 accounts).
  const timeoutMs = (120 + 60 * scale) * 1000;
  const result = await run(pgbenchBin, ['-i', '-s', String(scale), ...connectionArgs(server), server.database], {
    timeoutMs,
    env: pgbenchEnv(server),
  });
  const report = /^done in .*$/m.exec(`${result.stderr}\n${result.stdout}`)?.[0];
  const ok = result.code === 0;
  return {
    ok,
    seconds: round(result.elapsedMs / 1000, 2),
    report,
    error: ok ? undefined : describeFailure('pgbench -i', result),
  };
}

async function pgbenchRun(server: Server, workload: Workload, duration: number): Promise<WorkloadResult> {
  const args = [...workload.args, '-T', String(duration)];
  // The run itself, plus pgbench's vacuum before it and the connection setup: never more than this.
  const timeoutMs = (duration * 2 + 120) * 1000;
  const result = await run(pgbenchBin, [...args, ...connectionArgs(server), server.database], {
    timeoutMs,
    env: pgbenchEnv(server),
  });
  const figures = parsePgbenchReport(result.stdout);
  // pgbench exits 2 when a run was aborted by errors; the figures it printed are then partial.
  const ok = result.code === 0 && figures.tps !== undefined;
  return {
    workload: workload.name,
    args,
    ok,
    ...figures,
    error: ok
      ? undefined
      : figures.tps === undefined && result.code === 0
        ? 'pgbench printed no tps line'
        : describeFailure('pgbench', result),
  };
}

async function versionOf(program: string, args: readonly string[], user?: PosixUser): Promise<string | undefined> {
  const result = await run(program, args, { timeoutMs: 30_000, user });
  return result.code === 0 ? result.stdout.trim().split('\n')[0] : undefined;
}

// ---------------------------------------------------------------------------------------------
// One system, start to stop.

async function measure(system: SystemName, options: Options): Promise<SystemResult> {
  const label = system === 'postgres' ? 'postgres' : 'tandem-db';
  const outcome: SystemResult = {
    system,
    status: 'ok',
    reason: undefined,
    version: undefined,
    init: undefined,
    runs: [],
    directory: undefined,
    stoppedBySigterm: undefined,
  };
  let server: Server;
  console.log(`[notice] ${label}: starting`);
  try {
    server = system === 'postgres' ? await startPostgres() : await startTandem(options);
  } catch (error) {
    if (system === 'tandem' && error instanceof StartFailure) {
      outcome.status = 'could not start';
      outcome.reason = error.message;
      console.log(`[warning] tandem-db: could not start (${error.message})`);
      return outcome;
    }
    throw error;
  }
  outcome.directory = server.directory;
  try {
    outcome.version =
      system === 'postgres'
        ? await versionOf(join(pgBinDir, 'postgres'), ['--version'], await postgresUser())
        : await versionOf(options.tandemCommand[0], [...options.tandemCommand.slice(1), '--version']);
    console.log(
      `[notice] ${label}: listening on ${host}:${server.port} (pid ${server.process.pid}), data in ${server.directory}`,
    );
    console.log(`[notice] ${label}: pgbench -i -s ${options.scale}`);
    outcome.init = await pgbenchInit(server, options.scale);
    if (!outcome.init.ok) {
      outcome.status = 'failed';
      outcome.reason = outcome.init.error;
      console.log(`[warning] ${label}: ${outcome.init.error}`);
      return outcome;
    }
    console.log(`[notice] ${label}: initialized in ${outcome.init.seconds} s (${outcome.init.report ?? 'no report'})`);
    for (const workload of workloads) {
      if (interrupted) break;
      console.log(`[notice] ${label}: ${workload.name}, ${options.duration} s`);
      const result = await pgbenchRun(server, workload, options.duration);
      outcome.runs.push(result);
      if (result.ok) {
        console.log(
          `[notice] ${label}: ${workload.name}: ${round(result.tps ?? 0)} tps, latency ${result.latencyMs} ms, ` +
            `${result.transactions} transactions, ${result.failedTransactions ?? 0} failed`,
        );
      } else {
        outcome.status = 'failed';
        outcome.reason ??= `${workload.name}: ${result.error}`;
        console.log(`[warning] ${label}: ${workload.name}: ${result.error}`);
      }
    }
    return outcome;
  } finally {
    console.log(`[notice] ${label}: stopping pid ${server.process.pid} (SIGTERM)`);
    outcome.stoppedBySigterm = await stopByPid(server.process, stopTimeoutMs);
    if (!outcome.stoppedBySigterm) {
      console.log(`[warning] ${label}: did not stop within ${stopTimeoutMs / 1000} s of SIGTERM, killed`);
    }
    if (options.keep) {
      console.log(`[notice] ${label}: kept ${server.directory}`);
    } else {
      rmSync(server.directory, { recursive: true, force: true });
      scratchDirectories.delete(server.directory);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Report.

function tpsCell(result: SystemResult | undefined, workload: string): string {
  if (result === undefined) return 'not run';
  if (result.status === 'could not start') return 'not started';
  const measured = result.runs.find((candidate) => candidate.workload === workload);
  if (measured === undefined) return '-';
  if (!measured.ok || measured.tps === undefined) return 'failed';
  return round(measured.tps).toLocaleString('en-US');
}

function ratio(tandem: number | undefined, postgres: number | undefined): string {
  if (tandem === undefined || postgres === undefined || postgres === 0) return '-';
  return `${round(tandem / postgres, 2)}x`;
}

function tpsOf(result: SystemResult | undefined, workload: string): number | undefined {
  const measured = result?.runs.find((candidate) => candidate.workload === workload);
  return measured?.ok === true ? measured.tps : undefined;
}

function latencyCell(result: SystemResult | undefined, workload: string): string {
  const measured = result?.runs.find((candidate) => candidate.workload === workload);
  return measured?.ok === true && measured.latencyMs !== undefined ? String(round(measured.latencyMs, 2)) : '-';
}

function initSeconds(result: SystemResult | undefined): number | undefined {
  return result?.init?.ok === true ? result.init.seconds : undefined;
}

function initCell(result: SystemResult | undefined): string {
  if (result === undefined) return 'not run';
  if (result.status === 'could not start') return 'not started';
  if (result.init === undefined) return '-';
  return result.init.ok ? `${result.init.seconds} s` : 'failed';
}

function report(options: Options, results: Partial<Record<SystemName, SystemResult>>): void {
  const { postgres, tandem } = results;
  const rows: Record<string, string | number>[] = workloads.map((workload) => ({
    workload: workload.name,
    'postgres tps': tpsCell(postgres, workload.name),
    'tandem tps': tpsCell(tandem, workload.name),
    'tandem/postgres': ratio(tpsOf(tandem, workload.name), tpsOf(postgres, workload.name)),
    'postgres latency ms': latencyCell(postgres, workload.name),
    'tandem latency ms': latencyCell(tandem, workload.name),
  }));
  rows.push({
    workload: `init (pgbench -i -s ${options.scale}), time`,
    'postgres tps': initCell(postgres),
    'tandem tps': initCell(tandem),
    'tandem/postgres': ratio(initSeconds(tandem), initSeconds(postgres)),
    'postgres latency ms': '-',
    'tandem latency ms': '-',
  });
  printTable(
    `pgbench, scale ${options.scale}, ${options.duration} s per run, TCP on ${host}, ` +
      `${availableParallelism()} cores (tandem/postgres above 1x: tandem more tps; for init, tandem slower)`,
    rows,
  );
}

async function main(): Promise<number> {
  const options = parseOptions();
  keepScratch = options.keep;
  if (!existsSync(pgbenchBin)) {
    console.error(`[error] ${pgbenchBin} not found: run scripts/install-system-deps.sh --bench (or set PG_BINDIR)`);
    return 1;
  }
  const systems: SystemName[] = options.only === undefined ? ['postgres', 'tandem'] : [options.only];
  const results: Partial<Record<SystemName, SystemResult>> = {};
  const pgbenchVersion = await versionOf(pgbenchBin, ['--version']);
  let harnessFailed = false;
  for (const system of systems) {
    if (interrupted) break;
    try {
      results[system] = await measure(system, options);
    } catch (error) {
      // Anything but tandem-db failing to start is the harness's (or the anchor's) failure.
      harnessFailed = true;
      const message = error instanceof Error ? error.message : String(error);
      console.error(`[error] ${system}: ${message}`);
      results[system] = {
        system,
        status: 'failed',
        reason: message,
        version: undefined,
        init: undefined,
        runs: [],
        directory: undefined,
        stoppedBySigterm: undefined,
      };
    }
  }
  if (results.postgres !== undefined && results.postgres.status !== 'ok') harnessFailed = true;
  report(options, results);
  const tandemRan = results.tandem !== undefined && results.tandem.status !== 'could not start';
  if (options.profile && tandemRan) {
    const profiles = existsSync(options.profileDir)
      ? readdirSync(options.profileDir).filter((name) => name.endsWith('.cpuprofile'))
      : [];
    if (profiles.length > 0) {
      for (const name of profiles) console.log(`[notice] tandem-db CPU profile: ${join(options.profileDir, name)}`);
    } else {
      console.log(
        `[warning] tandem-db CPU profile: none in ${options.profileDir} (node writes it only when the server exits normally)`,
      );
    }
  }
  const json = {
    benchmark: 'pgbench',
    date: new Date().toISOString(),
    command: ['node', 'bench/dist/pgbench.js', ...process.argv.slice(2)].join(' '),
    machine: {
      cores: availableParallelism(),
      cpu: cpus()[0]?.model,
      memoryGiB: round(totalmem() / 2 ** 30, 1),
      kernel: release(),
      node: process.version,
    },
    pgbench: pgbenchVersion,
    scale: options.scale,
    durationSeconds: options.duration,
    tandemCommand: options.tandemCommand,
    profileDir: options.profile ? options.profileDir : undefined,
    results,
  };
  if (options.json !== undefined) {
    await writeFile(options.json, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`[notice] results written to ${resolve(options.json)}`);
  }
  console.log(JSON.stringify(json));
  return harnessFailed ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`[error] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  for (const child of live) await stopByPid(child, 10_000);
  removeScratchNow();
}
