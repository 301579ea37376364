// A real tandem-db server in a temporary directory, driven as an operator drives it for
// backup and recovery: SQL as sys through node-postgres, plain file copies for backups,
// deletions to cause failures, and restarts at a chosen stage. Rows carry their batch in
// their id (batch * 10000 + n), so a test can say exactly which commits must exist.
import { copyFile, mkdir, mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pg from 'pg';
import { DatabaseServer, initDatabase } from '../src/index.js';

const directories: string[] = [];

/** Removes every directory made so far (call from afterAll). */
export async function removeDatabases(): Promise<void> {
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
}

export interface Db {
  readonly directory: string;
  readonly password: string;
  /** The running server (set by start; stale after stop). */
  server: DatabaseServer;
}

/** A temporary directory removed by removeDatabases. */
export async function newDirectory(prefix = 'tandem-rec-'): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), prefix));
  directories.push(directory);
  return directory;
}

export type Stage = 'NOMOUNT' | 'MOUNT' | 'OPEN';

/** A new database (3 log groups of `logMembers`, 2 MiB each: frequent switches), OPEN, in ARCHIVELOG unless told. */
export async function newDatabase(options: { archivelog?: boolean; logMembers?: number } = {}): Promise<Db> {
  const directory = await newDirectory();
  const { sysPassword } = await initDatabase(directory, {
    logSizeBytes: 2 * 1024 * 1024,
    logGroups: 3,
    logMembers: options.logMembers ?? 1,
  });
  const db: Db = { directory, password: sysPassword, server: undefined as unknown as DatabaseServer };
  if (options.archivelog === false) {
    await start(db, 'OPEN');
    return db;
  }
  await start(db, 'MOUNT');
  const sys = await connect(db);
  await sys.query('ALTER DATABASE ARCHIVELOG');
  await sys.query('ALTER DATABASE OPEN');
  await sys.end();
  return db;
}

export async function start(db: Db, stage: Stage): Promise<void> {
  db.server = await DatabaseServer.start(db.directory, { port: 0, stage });
}

export async function stop(db: Db, mode: 'NORMAL' | 'IMMEDIATE' | 'ABORT'): Promise<void> {
  await db.server.stop(mode);
}

export async function connect(db: Db): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: db.server.address.port,
    user: 'sys',
    password: db.password,
    database: 'tandem',
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Runs one statement; returns the notices the server sent with it. */
export async function run(client: pg.Client, sql: string): Promise<string[]> {
  const notices: string[] = [];
  const listener = (notice: { message?: string }): void => void notices.push(notice.message ?? '');
  client.on('notice', listener);
  try {
    await client.query(sql);
  } finally {
    client.off('notice', listener);
  }
  return notices;
}

export async function one<T>(client: pg.Client, sql: string): Promise<T> {
  const result = await client.query<Record<string, T>>(sql);
  return Object.values(result.rows[0])[0];
}

export const LEDGER = 'create table ledger (id int primary key, note text)';

/** Commits `count` rows of batch `batch` (ids batch*10000 + 1 ...), 50 to a statement. */
export async function insertBatch(client: pg.Client, batch: number, count: number, table = 'ledger'): Promise<void> {
  for (let i = 0; i < count; i += 50) {
    const values = Array.from({ length: Math.min(50, count - i) }, (_, j) => {
      const id = batch * 10000 + i + j + 1;
      return `(${id}, '${'note-'.repeat(16)}${id}')`;
    });
    await client.query(`insert into ${table} values ${values.join(', ')}`);
  }
}

/** The ids batch `batch` of `count` rows holds. */
export function batchIds(batch: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => batch * 10000 + i + 1);
}

export async function ids(client: pg.Client, table = 'ledger'): Promise<number[]> {
  return (await client.query<{ id: number }>(`select id from ${table} order by id`)).rows.map((row) => row.id);
}

export async function datafilePaths(client: pg.Client): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    "select name from v$datafile where tablespace <> 'TEMP' order by file#",
  );
  return result.rows.map((row) => row.name);
}

/** Original path → copy. */
export type Backup = Map<string, string>;

/** ALTER DATABASE BEGIN BACKUP, a plain copy of each datafile (`during` runs meanwhile), END BACKUP. */
export async function hotBackup(db: Db, sys: pg.Client, during?: () => Promise<void>): Promise<Backup> {
  const directory = join(db.directory, `backup-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`);
  await mkdir(directory);
  await sys.query('ALTER DATABASE BEGIN BACKUP');
  const concurrent = during?.();
  const backup: Backup = new Map();
  for (const file of await datafilePaths(sys)) {
    const copy = join(directory, basename(file));
    await copyFile(file, copy);
    backup.set(file, copy);
  }
  await concurrent;
  await sys.query('ALTER DATABASE END BACKUP');
  return backup;
}

/** Copies the backup's files back over the originals. */
export async function restore(backup: Backup, only?: (path: string) => boolean): Promise<void> {
  for (const [file, copy] of backup) if (only === undefined || only(file)) await copyFile(copy, file);
}

export async function removeFile(path: string): Promise<void> {
  await unlink(path);
}
