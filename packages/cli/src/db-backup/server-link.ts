// The link of the physical backup commands to the database server of a directory: whether
// one runs (server.pid names a live process) and at which stage (v$instance), a sys
// connection found the way `tandem sql --dir` finds it (address from server.pid, password
// from sys.password), statements run with the server's notices collected, and a server
// started in the background in MOUNT for media recovery (as `tandem db boot --mount`).
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'pg';
import { isAlive, readPidFile } from '@tandem/db/files';
import { describeTarget, resolveConnection } from '../sql-shell/connection-options.js';
import { tandemBin } from '../package-paths.js';
import { BackupError, errorMessage } from './backup-errors.js';

export type ServerStage = 'NOMOUNT' | 'MOUNT' | 'OPEN';

export interface ServerLink {
  readonly client: Client;
  /** `the server at "127.0.0.1", port 5544`, for messages. */
  readonly where: string;
  query<T extends object>(sql: string): Promise<T[]>;
  /** Runs a statement and returns the notices the server sent while it ran. */
  run(sql: string, onNotice?: (message: string) => void): Promise<string[]>;
  close(): Promise<void>;
}

export type ServerStatus =
  | { readonly kind: 'down' }
  | { readonly kind: 'running'; readonly pid: number; readonly stage: ServerStage; readonly link: ServerLink };

/** Connects as sys to the server of `dir`. `command` names the session (application_name). */
export async function connectToDirectory(dir: string, command: string): Promise<ServerLink> {
  let target;
  try {
    target = await resolveConnection({ dir });
  } catch (error) {
    throw new BackupError('CONNECTION_FAILED', errorMessage(error));
  }
  let client: Client;
  try {
    // The PostgreSQL client is loaded when a server is there to connect to (a restore with
    // the server down never needs it).
    const { connectClient } = await import('../db-client/connect.js');
    client = await connectClient(target, command);
  } catch (error) {
    throw new BackupError(
      'CONNECTION_FAILED',
      `cannot connect to the ${describeTarget(target)}: ${errorMessage(error)}`,
      {
        hint: `check that the server of ${dir} runs (tandem db boot ${dir})`,
      },
    );
  }
  const where = describeTarget(target);
  return {
    client,
    where,
    async query<T extends object>(sql: string): Promise<T[]> {
      return (await client.query<T>(sql)).rows;
    },
    async run(sql: string, onNotice?: (message: string) => void): Promise<string[]> {
      const notices: string[] = [];
      const listener = (notice: { message?: string }): void => {
        const message = notice.message ?? '';
        notices.push(message);
        onNotice?.(message);
      };
      client.on('notice', listener);
      try {
        await client.query(sql);
      } finally {
        client.off('notice', listener);
      }
      return notices;
    },
    async close(): Promise<void> {
      await client.end().catch(() => undefined);
    },
  };
}

/** The stage v$instance reports. */
export async function stageOf(link: ServerLink): Promise<ServerStage> {
  let status: string | undefined;
  try {
    status = (await link.query<{ status: string }>('select status from v$instance'))[0]?.status;
  } catch (error) {
    throw new BackupError(
      'CONNECTION_FAILED',
      `the ${link.where} is not a Tandem database (reading v$instance: ${errorMessage(error)})`,
    );
  }
  if (status === 'OPEN' || status === 'MOUNT' || status === 'NOMOUNT') return status;
  throw new BackupError(
    'CONNECTION_FAILED',
    `the ${link.where} reports an unexpected instance status ${String(status)}`,
  );
}

/** Whether a server runs for `dir` (its server.pid names a live process), and if so at which stage. */
export async function probeServer(dir: string, command: string): Promise<ServerStatus> {
  const pidFile = await readPidFile(dir);
  if (pidFile === undefined || !isAlive(pidFile.pid)) return { kind: 'down' };
  const link = await connectToDirectory(dir, command);
  try {
    return { kind: 'running', pid: pidFile.pid, stage: await stageOf(link), link };
  } catch (error) {
    await link.close();
    throw error;
  }
}

/**
 * Starts the server of `dir` in the background in MOUNT (as `tandem db boot <dir> --mount`)
 * and returns once it serves; its output goes to `<dir>/server.log`.
 */
export async function startMountedServer(dir: string, timeoutMs = 120_000): Promise<{ pid: number; logPath: string }> {
  const directory = resolve(dir);
  const logPath = join(directory, 'server.log');
  const logFd = openSync(logPath, 'a');
  const child = spawn(process.execPath, [tandemBin(), 'db', 'start', directory, '--mount'], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  child.once('error', () => (exited = -1));
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new BackupError('SERVER_START_FAILED', `the server exited (code ${exited}) before it was ready`, {
        hint: `see ${logPath}: ${await lastLines(logPath)}`,
      });
    }
    const pidFile = await readPidFile(directory);
    if (pidFile !== undefined && pidFile.pid === child.pid) return { pid: pidFile.pid, logPath };
    await sleep(100);
  }
  if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
  throw new BackupError('SERVER_START_FAILED', `the server did not become ready within ${timeoutMs / 1000} s`, {
    hint: `see ${logPath}`,
  });
}

async function lastLines(path: string): Promise<string> {
  try {
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    return lines
      .slice(-3)
      .map((line) => line.trim())
      .join(' | ');
  } catch {
    return '(no log)';
  }
}

/** A TDB code at the start of a server error's message, if it has one. */
export function tdbCodeOf(error: unknown): string | undefined {
  return /^(TDB-\d{4})/.exec(errorMessage(error))?.[1];
}

/** A SQL string literal. */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
