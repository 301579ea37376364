// `tandem db backup`, `backup verify`, `restore` and `recover` as users run them, through the
// CLI entry, against real database servers running as child processes (`tandem db boot`):
// an online backup taken while another client commits, restored after the datafiles are
// lost and recovered with `tandem db recover --open`, gives back every committed row; an
// offline backup (plain and compressed) restored gives back exactly the rows at shutdown;
// verify passes on a good backup and names the file after one byte is flipped or a file is
// deleted; and the refusals: online backup in NOARCHIVELOG mode, offline backup or restore
// while the database is OPEN, restore over existing files without --force.
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, open, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, readPidFile } from '@tandem/db';
import { readManifest } from '../db-backup/manifest.js';
import { runTandem as tandem, type CliResult as Result } from '../db-client/test-support.js';

const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const directories: string[] = [];

async function ok(...args: string[]): Promise<Result> {
  const result = await tandem(...args);
  expect(result.code, `tandem ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
  return result;
}

async function workDir(prefix: string): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), prefix));
  directories.push(directory);
  return directory;
}

/** A new database in a child server process (tandem db boot), OPEN; ARCHIVELOG if asked. */
async function newDatabase(archivelog: boolean): Promise<string> {
  const dir = join(await workDir('tandem-backup-db-'), 'db');
  await ok('db', 'init', dir, '--port', '0', '--log-size', '4', '--log-groups', '3', '--log-members', '1');
  if (archivelog) {
    await ok('db', 'boot', dir, '--mount');
    const sys = await connect(dir);
    await sys.query('ALTER DATABASE ARCHIVELOG');
    await sys.query('ALTER DATABASE OPEN');
    await sys.end();
  } else {
    await ok('db', 'boot', dir);
  }
  return dir;
}

async function connect(dir: string): Promise<pg.Client> {
  const pidFile = await readPidFile(dir);
  if (pidFile === undefined) throw new Error(`no server for ${dir}`);
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

async function ids(client: pg.Client): Promise<number[]> {
  return (await client.query<{ id: number }>('select id from ledger order by id')).rows.map((row) => row.id);
}

async function fill(client: pg.Client, from: number, count: number): Promise<number[]> {
  for (let i = 0; i < count; i += 100) {
    const values = Array.from(
      { length: Math.min(100, count - i) },
      (_, j) => `(${from + i + j}, 'row ${from + i + j}')`,
    );
    await client.query(`insert into ledger values ${values.join(', ')}`);
  }
  return Array.from({ length: count }, (_, i) => from + i);
}

/** A client that commits one row at a time until stopped; `committed` holds every acknowledged id. */
function startWriter(client: pg.Client, firstId: number): { committed: number[]; stop: () => Promise<void> } {
  const committed: number[] = [];
  let stopping = false;
  const loop = (async () => {
    for (let id = firstId; !stopping; id++) {
      await client.query('insert into ledger values ($1, $2)', [id, `written while backing up ${id}`]);
      committed.push(id);
    }
  })();
  return {
    committed,
    stop: async () => {
      stopping = true;
      await loop;
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolveWait) => setTimeout(resolveWait, 10));
}

async function flipByte(path: string, position: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, position);
    byte[0] ^= 0xff;
    await handle.write(byte, 0, 1, position);
  } finally {
    await handle.close();
  }
}

beforeAll(() => {
  // `tandem db boot` and `tandem db recover` start servers from the built package: build it.
  execFileSync(
    process.execPath,
    [
      join(repositoryRoot, 'node_modules/typescript/bin/tsc'),
      '-b',
      join(repositoryRoot, 'packages/cli/tsconfig.build.json'),
    ],
    { stdio: 'inherit' },
  );
}, 300_000);

afterAll(async () => {
  for (const directory of directories) {
    const db = join(directory, 'db');
    const pidFile = await readPidFile(db);
    if (pidFile !== undefined && isAlive(pidFile.pid)) await tandem('db', 'down', db, 'abort');
    await rm(directory, { recursive: true, force: true });
  }
});

describe('online backup, restore and media recovery', () => {
  let dir: string;
  let backup: string;
  let expected: number[];

  beforeAll(async () => {
    dir = await newDatabase(true);
    backup = join(await workDir('tandem-backup-files-'), 'online');
    const sys = await connect(dir);
    await sys.query('create table ledger (id int primary key, note text)');
    const initial = await fill(sys, 1, 2000);
    const writerClient = await connect(dir);
    const writer = startWriter(writerClient, 100_001);
    await until(() => writer.committed.length >= 20);
    const beforeBackup = writer.committed.length;
    const result = await ok('db', 'backup', backup, '--dir', dir);
    const duringBackup = writer.committed.length - beforeBackup;
    expect(result.stdout).toMatch(
      /^\[notice\] tandem db backup: online backup of database tandem in .*: [\d.]+ [kMG]?B in \d+ files, [\d.]+ s, [\d.]+ MB\/s; datafiles from TSN \d+, archived redo through TSN \d+$/m,
    );
    expect(duringBackup, 'commits while the backup ran').toBeGreaterThan(0);
    // More work after the backup: some of it archived, the rest only in the online log.
    const afterBackup = writer.committed.length;
    await until(() => writer.committed.length >= afterBackup + 50);
    await sys.query('ALTER SYSTEM SWITCH LOGFILE');
    await until(() => writer.committed.length >= afterBackup + 100);
    await writer.stop();
    await sys.query('delete from ledger where id <= 10');
    expected = [...initial.filter((id) => id > 10), ...writer.committed];
    expect(await ids(sys)).toEqual(expected);
    await writerClient.end();
    await sys.end();
  });

  it('writes a manifest of every datafile, the archived logs, the control file and the parameters', async () => {
    const manifest = await readManifest(backup);
    expect(manifest).toMatchObject({
      kind: 'online',
      compression: 'none',
      database: { name: 'tandem', logMode: 'ARCHIVELOG' },
    });
    const roles = manifest.files.map((entry) => entry.role);
    expect(roles.filter((role) => role === 'datafile')).toHaveLength(3); // SYSTEM, UNDO, USR; not TEMP
    expect(roles).toContain('archived-log');
    expect(roles).toContain('control-file');
    expect(roles).toContain('parameters');
    expect(manifest.endTsn).toBeGreaterThan(manifest.startTsn); // the writer committed while it ran
    for (const entry of manifest.files) expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await ok('db', 'backup', 'verify', backup)).toMatchObject({
      stdout: expect.stringMatching(
        /\[notice\] tandem db backup verify: online backup of database tandem in .* is sound/,
      ) as string,
    });
  });

  it('refuses to restore onto the OPEN database, and a second backup into the same directory', async () => {
    const open = await tandem('db', 'restore', backup, '--dir', dir);
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(/^\[error\] TBAK-0013: the database in .* is OPEN .*tandem db down/m);
    const again = await tandem('db', 'backup', backup, '--dir', dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/TBAK-0002: the backup directory .* is not empty/);
  });

  it('gives back every committed row after the datafiles are lost: restore, then recover --open', async () => {
    await ok('db', 'down', dir, 'abort');
    const manifest = await readManifest(backup);
    for (const entry of manifest.files) if (entry.role === 'datafile') await unlink(entry.originalPath);
    const restored = await ok('db', 'restore', backup, '--dir', dir);
    expect(restored.stdout).toMatch(/\[notice\] tandem db restore: restored datafiles 1, 2, 4/);
    expect(restored.stdout).toContain(
      `next: recover the restored datafiles to now (complete recovery): tandem db recover --dir`,
    );
    const recovered = await ok('db', 'recover', '--dir', dir, '--open');
    expect(recovered.stdout).toContain('started the server in MOUNT');
    expect(recovered.stdout).toContain('server: media recovery complete');
    expect(recovered.stdout).toMatch(
      /tandem db recover: media recovery complete to TSN \d+ \(\d+ logs applied.*database OPEN$/m,
    );
    let sys = await connect(dir);
    expect(await ids(sys)).toEqual(expected);
    await sys.end();
    // And it keeps working across a restart.
    await ok('db', 'down', dir);
    await ok('db', 'boot', dir);
    sys = await connect(dir);
    await sys.query('insert into ledger values (999999, $1)', ['after recovery']);
    expect(await ids(sys)).toEqual([...expected, 999999]);
    await sys.end();
  });

  it('restores one tablespace while the server is in MOUNT, and recover uses that server', async () => {
    await ok('db', 'down', dir);
    await ok('db', 'boot', dir, '--mount');
    const restored = await ok('db', 'restore', backup, '--dir', dir, '--tablespace', 'usr', '--force');
    expect(restored.stdout).toMatch(/restored datafiles 4 from the online backup/);
    expect(restored.stdout).toContain('next: the server is in MOUNT: tandem db recover uses it');
    const recovered = await ok('db', 'recover', '--dir', dir, '--open');
    expect(recovered.stdout).toMatch(/using the server in MOUNT \(pid \d+\)/);
    const sys = await connect(dir);
    expect(await ids(sys)).toEqual([...expected, 999999]);
    await sys.end();
  });

  it('recovers to a TSN after every datafile is restored, and opens with RESETLOGS', async () => {
    const sys = await connect(dir);
    const kept = await fill(sys, 1_000_001, 10);
    const tsn = (await sys.query<{ tsn: string }>('select current_tsn as tsn from v$database')).rows[0].tsn;
    await fill(sys, 2_000_001, 10); // after the target: must not come back
    await sys.end();
    await ok('db', 'down', dir);
    const refused = await tandem('db', 'restore', backup, '--dir', dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/TBAK-0015: 3 files to restore exist: .*use --force/);
    await ok('db', 'restore', backup, '--dir', dir, '--force');
    const recovered = await ok('db', 'recover', '--dir', dir, '--until-tsn', tsn, '--open');
    expect(recovered.stdout).toContain(`ALTER DATABASE RECOVER AUTOMATIC DATABASE UNTIL CHANGE ${tsn}`);
    expect(recovered.stdout).toMatch(
      new RegExp(`media recovery incomplete to TSN ${tsn} .*database OPEN with RESETLOGS`),
    );
    const after = await connect(dir);
    expect(await ids(after)).toEqual([...expected, 999999, ...kept]);
    expect(
      (await after.query('select "incarnation#" as n, status from v$database_incarnation order by 1')).rows,
    ).toEqual([
      { n: 1, status: 'PARENT' },
      { n: 2, status: 'CURRENT' },
    ]);
    await after.end();
  });

  it('verify fails, naming the file, after one byte of a datafile is flipped', async () => {
    const damaged = join(await workDir('tandem-backup-damaged-'), 'copy');
    await cp(backup, damaged, { recursive: true });
    const manifest = await readManifest(damaged);
    const usr = manifest.files.find((entry) => entry.role === 'datafile' && entry.tablespace === 'USR')!;
    await flipByte(join(damaged, usr.path), 5 * 8192 + 100);
    const result = await tandem('db', 'backup', 'verify', damaged);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`[error] tandem db backup verify: datafile 4 (${usr.path}): sha256`);
    expect(result.stderr).toMatch(/\[error\] TBAK-0012: backup .* has 1 problem: datafile 4/);
    expect(result.stdout).not.toContain('is sound');
    // A restore from it refuses that file and leaves the one in place alone.
    await ok('db', 'down', dir);
    const before = await readFile(usr.originalPath);
    const restore = await tandem('db', 'restore', damaged, '--dir', dir, '--datafile', '4', '--force');
    expect(restore.code).toBe(1);
    expect(restore.stderr).toMatch(/TBAK-0012: datafile 4 .*: sha256 .*was not written/);
    expect((await readFile(usr.originalPath)).equals(before)).toBe(true);

    // Every datafile lost: the sound ones are restored (two files at a time), the damaged one
    // is not, and no half-written file is left. The datafiles are put back afterwards.
    const datafiles = manifest.files.flatMap((entry) => (entry.role === 'datafile' ? [entry.originalPath] : []));
    const aside = await workDir('tandem-backup-aside-');
    for (const [i, path] of datafiles.entries()) await cp(path, join(aside, String(i)));
    for (const path of datafiles) await unlink(path);
    const lost = await tandem('db', 'restore', damaged, '--dir', dir);
    expect(lost.code).toBe(1);
    expect(lost.stderr).toMatch(/TBAK-0012: datafile 4 .*: sha256 .*was not written/);
    for (const path of datafiles) {
      if (path === usr.originalPath) await expect(readFile(path)).rejects.toThrow(/ENOENT/);
      else expect((await readFile(path)).length).toBeGreaterThan(0);
    }
    expect((await readdir(join(dir))).filter((name) => name.endsWith('.restoring'))).toEqual([]);
    for (const [i, path] of datafiles.entries()) await cp(join(aside, String(i)), path, { force: true });
    await ok('db', 'boot', dir);
  });

  it('verify fails, naming the file, after a file is deleted', async () => {
    const damaged = join(await workDir('tandem-backup-missing-'), 'copy');
    await cp(backup, damaged, { recursive: true });
    const manifest = await readManifest(damaged);
    const log = manifest.files.flatMap((entry) => (entry.role === 'archived-log' ? [entry] : []))[0];
    await unlink(join(damaged, log.path));
    const result = await tandem('db', 'backup', 'verify', damaged);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `archived log sequence ${log.sequence} (${log.path}): it is missing from the backup`,
    );
    expect(result.stderr).toMatch(/TBAK-0012/);
  });

  it('verify refuses a directory that is not a backup', async () => {
    const empty = await workDir('tandem-backup-empty-');
    const result = await tandem('db', 'backup', 'verify', empty);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/TBAK-0010: .* is not a complete backup/);
  });
});

describe('offline backup and restore', () => {
  let dir: string;
  let plain: string;
  let compressed: string;
  let atShutdown: number[];

  beforeAll(async () => {
    dir = await newDatabase(false);
    const files = await workDir('tandem-backup-files-');
    plain = join(files, 'cold');
    compressed = join(files, 'cold-gz');
    const sys = await connect(dir);
    await sys.query('create table ledger (id int primary key, note text)');
    atShutdown = await fill(sys, 1, 3000);
    await sys.end();
  });

  it('refuses an online backup in NOARCHIVELOG mode, and an offline one while the server runs', async () => {
    const online = await tandem('db', 'backup', plain, '--dir', dir);
    expect(online.code).toBe(1);
    expect(online.stderr).toMatch(
      /^\[error\] TBAK-0004: database tandem is in NOARCHIVELOG mode: an online backup needs ARCHIVELOG; .*--offline/m,
    );
    const offline = await tandem('db', 'backup', plain, '--dir', dir, '--offline');
    expect(offline.code).toBe(1);
    expect(offline.stderr).toMatch(
      /TBAK-0005: a server \(pid \d+\) is running for .*: an offline backup needs it shut down/,
    );
  });

  it('backs up the shut-down database, plain and compressed, and both verify', async () => {
    await ok('db', 'down', dir);
    const result = await ok('db', 'backup', plain, '--dir', dir, '--offline');
    expect(result.stdout).toMatch(
      /\[notice\] tandem db backup: offline backup of database tandem in .*; consistent at TSN \d+$/m,
    );
    const gz = await ok('db', 'backup', compressed, '--dir', dir, '--offline', '--compress');
    expect(gz.stdout).toMatch(/compressed\)/);
    const manifest = await readManifest(compressed);
    expect(manifest.compression).toBe('gzip');
    expect(manifest.files.every((entry) => entry.compressed && entry.path.endsWith('.gz'))).toBe(true);
    expect(manifest.totals.storedBytes).toBeLessThan(manifest.totals.bytes);
    expect(manifest.files.map((entry) => entry.role)).toEqual(expect.arrayContaining(['online-log', 'control-file']));
    await ok('db', 'backup', 'verify', plain);
    await ok('db', 'backup', 'verify', compressed);
    expect((await readdir(join(compressed, 'datafiles'))).every((name) => name.endsWith('.gz'))).toBe(true);
  });

  it('restores exactly the rows at shutdown, after later changes (--control-file --force)', async () => {
    await ok('db', 'boot', dir);
    let sys = await connect(dir);
    await fill(sys, 10_001, 500);
    await sys.query('delete from ledger where id <= 100');
    await sys.end();
    await ok('db', 'down', dir);
    const refused = await tandem('db', 'restore', plain, '--dir', dir, '--control-file');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/TBAK-0015: \d+ files to restore exist: .*use --force/);
    const restored = await ok('db', 'restore', plain, '--dir', dir, '--control-file', '--force');
    expect(restored.stdout).toContain('nothing to recover');
    await ok('db', 'boot', dir);
    sys = await connect(dir);
    expect(await ids(sys)).toEqual(atShutdown);
    await fill(sys, 20_001, 10);
    await sys.end();
    await ok('db', 'down', dir);
  });

  it('restores from the compressed backup the same way (--compress round trip)', async () => {
    await ok('db', 'restore', compressed, '--dir', dir, '--control-file', '--force');
    await ok('db', 'boot', dir);
    const sys = await connect(dir);
    expect(await ids(sys)).toEqual(atShutdown);
    await sys.end();
  });
});

describe('restore of the control file from an online backup', () => {
  it('recovers --until-cancel through the archived and online logs, then opens with RESETLOGS', async () => {
    const dir = await newDatabase(true);
    const backup = join(await workDir('tandem-backup-files-'), 'with-control');
    const sys = await connect(dir);
    await sys.query('create table ledger (id int primary key, note text)');
    const before = await fill(sys, 1, 1000);
    await ok('db', 'backup', backup, '--dir', dir);
    const archived = await fill(sys, 5001, 1000);
    await sys.query('ALTER SYSTEM SWITCH LOGFILE');
    const online = await fill(sys, 9001, 500); // only in the online log, which the backup's control file does not know
    await sys.end();
    await ok('db', 'down', dir, 'abort');
    // Every datafile and every control file copy is lost; the online logs remain.
    const manifest = await readManifest(backup);
    for (const entry of manifest.files) {
      if (entry.role === 'datafile') await unlink(entry.originalPath);
      if (entry.role === 'control-file') for (const copy of entry.copies) await unlink(copy);
    }
    const restored = await ok('db', 'restore', backup, '--dir', dir, '--control-file');
    expect(restored.stdout).toContain('the control file');
    expect(restored.stdout).toContain(`next: recover: tandem db recover --dir ${dir} --until-cancel --open`);
    const recovered = await ok('db', 'recover', '--dir', dir, '--until-cancel', '--open');
    expect(recovered.stdout).toMatch(/is in the online log member '.*': applying it/);
    expect(recovered.stdout).toMatch(/media recovery incomplete to TSN \d+ .*database OPEN with RESETLOGS/);
    const after = await connect(dir);
    expect(await ids(after)).toEqual([...before, ...archived, ...online]);
    await after.end();
  });
});
