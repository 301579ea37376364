// Physical backup, restore and media recovery, measured as an operator runs them, against
// `cp` of the same files in the same run.
//
//   npm run build && node bench/dist/backup.js [MB before the backup, default 300] [MB of redo after it, default 150]
//
// 1. `tandem db init` + `tandem db boot --mount`, ARCHIVELOG, OPEN; a table loaded with
//    about the first figure of rows (1 KB each).
// 2. Backup, three rounds: `tandem db backup` (online: BEGIN BACKUP, copy with sha256, END
//    BACKUP, ARCHIVE LOG CURRENT, the archived logs, the control file; every file
//    fdatasynced), timed as a process and as the command reports it (without node's start,
//    about 0.5 s here); then `cp` of the same files (datafiles, archived logs, control file,
//    parameters) and `sync` of the copies. The median round of each is reported. Each timed copy starts after a `sync`, so none pays for another's writeback,
//    and with its sources read once (page cache), so none pays for reading the disk.
// 3. About the second figure of rows more (redo after the backup, archived), then shutdown.
// 4. Restore, three rounds of two cases: the datafiles lost (deleted first), and --force
//    over them: `cp` of the backup's datafiles to their places + `sync`, and `tandem db
//    restore` (sha256 and header checks of every file; over an existing file, the backup's
//    copy is checked before anything is written).
// 5. Media recovery: the server in MOUNT, `ALTER DATABASE RECOVER AUTOMATIC DATABASE` timed
//    around the statement; the redo it applied comes from the alert log line
//    `media recovery complete: ... (n logs, r redo records, b bytes)`. Then OPEN, and the
//    row count checked.
//
// Everything runs in a scratch directory under BENCH_DIR (default the OS temp dir), removed
// afterwards. Every child process has a time limit, and the whole run stops after 10 minutes.
// MB here is 2^20 bytes, as in the other benchmarks.
import { spawn } from 'node:child_process';
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { printTable, round, scratch } from './harness.js';

const loadMegabytes = Number(process.argv[2] ?? 300);
const redoMegabytes = Number(process.argv[3] ?? 150);
const ROUNDS = 3;
const ROW_BYTES = 1000;
const MB = 1024 * 1024;
const tandemBin = fileURLToPath(new URL('../../packages/cli/bin/tandem.js', import.meta.url));

interface Run {
  readonly seconds: number;
  readonly stdout: string;
}

/** Runs a program to its end within `limitS` seconds; a non-zero exit is an error. */
function run(command: string, args: readonly string[], limitS = 300): Promise<Run> {
  return new Promise((resolveRun, rejectRun) => {
    const started = performance.now();
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitS * 1000);
    child.once('error', rejectRun);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      if (code === 0) resolveRun({ seconds, stdout });
      else rejectRun(new Error(`${command} ${args.join(' ')}: exit ${code ?? signal}\n${stdout}${stderr}`));
    });
  });
}

function tandem(args: readonly string[], limitS = 300): Promise<Run> {
  return run(process.execPath, [tandemBin, ...args], limitS);
}

/** `cp` of the files into a directory, then `sync` of the copies: what the backup does, in coreutils. */
async function cpAndSync(files: readonly string[], targets: readonly string[]): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < files.length; i += 64) {
    const batch = files.slice(i, i + 64);
    if (targets.length === 1) await run('cp', [...batch, targets[0]]);
    else for (let j = 0; j < batch.length; j++) await run('cp', [batch[j], targets[i + j]]);
  }
  const written = targets.length === 1 ? files.map((file) => join(targets[0], basename(file))) : targets;
  await run('sync', [...written]);
  return (performance.now() - started) / 1000;
}

/**
 * The seconds the command itself measured (without node's start), from the rate in its
 * summary (`... 395.1 MB in 8 files, 1.7 s, 232.4 MB/s`; MB there is 10^6 bytes): the rate
 * has four significant digits, the seconds only one decimal.
 */
function reportedSeconds(stdout: string, bytes: number): number {
  const match = / in \d+ files?, [\d.]+ s, ([\d.]+) MB\/s/.exec(stdout);
  if (match === null) throw new Error(`no summary line in: ${stdout}`);
  return bytes / (Number(match[1]) * 1e6);
}

/**
 * Writes back every dirty page and lets the disk go quiet, so that each timed copy starts
 * from the same state (on a file system mounted with `discard`, freed blocks are trimmed
 * after the journal commits, and that work would land on the next copy).
 */
async function settle(): Promise<void> {
  await run('sync', []);
  await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
  await run('sync', []);
}

/**
 * Reads the files once, untimed, so that every timed copy reads them from the page cache.
 * This machine pages out what has not been touched for a while (DAMON's pageout scheme), so
 * without this the first copy after a pause would read from the disk and the next from memory.
 */
async function warm(files: readonly string[]): Promise<void> {
  const buffer = Buffer.allocUnsafe(MB);
  for (const file of files) {
    const handle = await open(file, 'r');
    try {
      for (let position = 0; ;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        position += bytesRead;
      }
    } finally {
      await handle.close();
    }
  }
}

/** The database's files: those in its directory and its archive destination. */
async function databaseFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const folder of [dir, join(dir, 'archive')]) {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (entry.isFile()) files.push(join(folder, entry.name));
    }
  }
  return files;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

interface ManifestFile {
  readonly role: string;
  readonly originalPath: string;
  readonly path: string;
  readonly bytes: number;
  readonly copies?: readonly string[];
}

async function manifestFiles(backup: string): Promise<ManifestFile[]> {
  return (JSON.parse(await readFile(join(backup, 'manifest.json'), 'utf8')) as { files: ManifestFile[] }).files;
}

async function connect(dir: string): Promise<pg.Client> {
  const pidFile = JSON.parse(await readFile(join(dir, 'server.pid'), 'utf8')) as { port: number };
  const client = new pg.Client({
    host: '127.0.0.1',
    port: pidFile.port,
    user: 'sys',
    password: (await readFile(join(dir, 'sys.password'), 'utf8')).trim(),
    database: 'tandem',
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function load(client: pg.Client, fromId: number, megabytes: number): Promise<number> {
  const rows = Math.ceil((megabytes * MB) / ROW_BYTES);
  for (let first = fromId; first < fromId + rows; first += 20_000) {
    const last = Math.min(fromId + rows - 1, first + 19_999);
    await client.query(
      `insert into big select g, repeat('x', ${ROW_BYTES - 20}) || g from generate_series(${first}, ${last}) g`,
    );
  }
  return rows;
}

async function main(): Promise<void> {
  const where = await scratch('backup');
  const dir = join(where.directory, 'db');
  let serverUp = false;
  try {
    await tandem(['db', 'init', dir, '--port', '0', '--log-size', '64', '--log-groups', '3', '--log-members', '1']);
    await tandem(['db', 'boot', dir, '--mount']);
    serverUp = true;
    let sys = await connect(dir);
    await sys.query('ALTER DATABASE ARCHIVELOG');
    await sys.query('ALTER DATABASE OPEN');
    await sys.query('create table big (id int primary key, pad text)');
    console.log(`loading about ${loadMegabytes} MB of rows...`);
    const rowsBefore = await load(sys, 1, loadMegabytes);
    await sys.query('ALTER SYSTEM CHECKPOINT');

    // Backup rounds: cp + sync of the same files, then tandem db backup.
    const backupSeconds: number[] = [];
    const backupReported: number[] = [];
    const cpBackupSeconds: number[] = [];
    let backup = '';
    let backupBytes = 0;
    for (let round_ = 1; round_ <= ROUNDS; round_++) {
      const target = join(where.directory, `backup-${round_}`);
      await settle();
      await warm(await databaseFiles(dir));
      const result = await tandem(['db', 'backup', target, '--dir', dir, '--no-progress']);
      backupSeconds.push(result.seconds);
      const all = await manifestFiles(target);
      backupReported.push(
        reportedSeconds(
          result.stdout,
          all.reduce((sum, file) => sum + file.bytes, 0),
        ),
      );
      // The files of the database it copied (the CREATE CONTROLFILE script is made for the backup).
      const files = all.filter((file) => file.role !== 'control-trace');
      backupBytes = files.reduce((sum, file) => sum + file.bytes, 0);
      const sources = files.map((file) =>
        file.role === 'control-file' ? (file.copies?.[0] ?? file.originalPath) : file.originalPath,
      );
      const cpTarget = join(where.directory, `cp-${round_}`);
      await mkdir(cpTarget);
      await settle();
      await warm(sources);
      cpBackupSeconds.push(await cpAndSync(sources, [cpTarget]));
      // Nothing is deleted between timed copies (freeing blocks costs the next one); the
      // copies go with the scratch directory at the end.
      backup = target;
    }

    console.log(`loading about ${redoMegabytes} MB of rows after the backup...`);
    const rowsAfter = await load(sys, rowsBefore + 1, redoMegabytes);
    await sys.query('ALTER SYSTEM ARCHIVE LOG CURRENT');
    await sys.end();
    await tandem(['db', 'down', dir]);
    serverUp = false;

    // Restore rounds, two cases: the datafiles are lost (the files are created), and --force
    // over the datafiles that are there. Each: cp + sync of the backup's datafiles, then
    // tandem db restore.
    const datafiles = (await manifestFiles(backup)).filter((file) => file.role === 'datafile');
    const restoreBytes = datafiles.reduce((sum, file) => sum + file.bytes, 0);
    const stored = datafiles.map((file) => join(backup, file.path));
    const originals = datafiles.map((file) => file.originalPath);
    const lost = { tandem: [] as number[], inCommand: [] as number[], cp: [] as number[] };
    const over = { tandem: [] as number[], inCommand: [] as number[], cp: [] as number[] };
    const timedRestore = async (into: typeof lost, force: boolean): Promise<void> => {
      if (!force) await Promise.all(originals.map((file) => rm(file, { force: true })));
      await settle();
      await warm(stored);
      into.cp.push(await cpAndSync(stored, originals));
      if (!force) await Promise.all(originals.map((file) => rm(file, { force: true })));
      await settle();
      await warm(stored);
      const result = await tandem([
        'db',
        'restore',
        backup,
        '--dir',
        dir,
        '--no-progress',
        ...(force ? ['--force'] : []),
      ]);
      into.tandem.push(result.seconds);
      into.inCommand.push(reportedSeconds(result.stdout, restoreBytes));
    };
    for (let round_ = 1; round_ <= ROUNDS; round_++) {
      await timedRestore(lost, false);
      await timedRestore(over, true);
    }

    // Media recovery of the restored datafiles through the archived logs and the online one.
    await tandem(['db', 'boot', dir, '--mount']);
    serverUp = true;
    sys = await connect(dir);
    await warm(await databaseFiles(dir));
    const started = performance.now();
    await sys.query('ALTER DATABASE RECOVER AUTOMATIC DATABASE');
    const recoverySeconds = (performance.now() - started) / 1000;
    const alert = await readFile(join(dir, 'alert.log'), 'utf8');
    const line = [...alert.matchAll(/media recovery complete: .*\((\d+) logs, (\d+) redo records, (\d+) bytes\)/g)].at(
      -1,
    );
    if (line === undefined) throw new Error('no "media recovery complete" line in the alert log');
    const [logs, records, redoBytes] = [Number(line[1]), Number(line[2]), Number(line[3])];
    await sys.query('ALTER DATABASE OPEN');
    const count = Number((await sys.query<{ n: string }>('select count(*) as n from big')).rows[0].n);
    if (count !== rowsBefore + rowsAfter)
      throw new Error(`recovered ${count} rows, expected ${rowsBefore + rowsAfter}`);
    await sys.end();
    await tandem(['db', 'down', dir]);
    serverUp = false;

    const [backupS, backupInS, cpBackupS] = [backupSeconds, backupReported, cpBackupSeconds].map(median);
    const row = (operation: string, bytes: number, seconds: number, inCommand: number, cpSeconds: number) => ({
      operation,
      MB: round(bytes / MB, 1),
      'process s': round(seconds, 2),
      'process MB/s': round(bytes / MB / seconds, 1),
      'in command s': round(inCommand, 2),
      'in command MB/s': round(bytes / MB / inCommand, 1),
      'cp + sync s': round(cpSeconds, 2),
      'cp + sync MB/s': round(bytes / MB / cpSeconds, 1),
      'vs cp (process)': `${round(cpSeconds / seconds, 2)}x`,
      'vs cp (in command)': `${round(cpSeconds / inCommand, 2)}x`,
    });
    printTable(
      `Physical backup and restore against cp + sync of the same files (median of ${ROUNDS} rounds; MB = 2^20 bytes)`,
      [
        row('tandem db backup (online)', backupBytes, backupS, backupInS, cpBackupS),
        row(
          'tandem db restore (lost datafiles)',
          restoreBytes,
          median(lost.tandem),
          median(lost.inCommand),
          median(lost.cp),
        ),
        row(
          'tandem db restore --force (over them)',
          restoreBytes,
          median(over.tandem),
          median(over.inCommand),
          median(over.cp),
        ),
      ],
    );
    printTable('Media recovery (ALTER DATABASE RECOVER AUTOMATIC DATABASE, timed around the statement)', [
      {
        'redo MB': round(redoBytes / MB, 1),
        logs,
        records,
        s: round(recoverySeconds, 2),
        'MB/s': round(redoBytes / MB / recoverySeconds, 1),
      },
    ]);
    const list = (values: readonly number[]): string => values.map((value) => round(value, 2)).join(', ');
    console.log(
      `\nrounds (s): backup ${list(backupSeconds)} (in command ${list(backupReported)}); cp ${list(cpBackupSeconds)}\n` +
        `restore of lost datafiles ${list(lost.tandem)} (in command ${list(lost.inCommand)}); cp ${list(lost.cp)}\n` +
        `restore --force ${list(over.tandem)} (in command ${list(over.inCommand)}); cp ${list(over.cp)}`,
    );
    console.log(`rows: ${rowsBefore} before the backup, ${rowsAfter} after; ${count} after recovery`);
  } finally {
    if (serverUp) await tandem(['db', 'down', dir, 'abort'], 60).catch(() => undefined);
    await where.remove();
  }
}

// The run stops by itself: nothing may keep it going past 10 minutes.
setTimeout(() => {
  console.error('[error] the benchmark did not finish within 10 minutes');
  process.exit(1);
}, 600_000).unref();

await main();
