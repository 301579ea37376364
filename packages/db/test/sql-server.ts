// A tandem-db server for tests: a fresh database in a temporary directory, served in this
// process on a free port, with helpers to reach it through node-postgres, psql and pgbench.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DatabaseServer, initDatabase } from '../src/index.js';

export interface TestServer {
  readonly server: DatabaseServer;
  readonly directory: string;
  readonly password: string;
  readonly port: number;
  /** postgresql://sys:...@127.0.0.1:port/tandem */
  readonly url: string;
  /** A connected node-postgres client (closed by stop()). */
  client(options?: { user?: string; password?: string }): Promise<pg.Client>;
  /** Runs psql (or pgbench, ...) against the server with PGPASSWORD set; resolves with its output. */
  run(
    command: string,
    args: readonly string[],
    options?: { input?: string; timeoutMs?: number },
  ): Promise<CommandResult>;
  stop(): Promise<void>;
}

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export async function startTestServer(
  options: { bufferCacheMb?: number; lockTimeoutMs?: number } = {},
): Promise<TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'tandem-sql-'));
  const { sysPassword } = await initDatabase(directory, {
    logSizeBytes: 16 * 1024 * 1024,
    logGroups: 3,
    logMembers: 1,
  });
  if (options.bufferCacheMb !== undefined || options.lockTimeoutMs !== undefined) {
    const { readFile, writeFile } = await import('node:fs/promises');
    const path = join(directory, 'tandem-db.yaml');
    let text = await readFile(path, 'utf8');
    if (options.bufferCacheMb !== undefined)
      text = text.replace(/bufferCacheMb: \d+/, `bufferCacheMb: ${options.bufferCacheMb}`);
    if (options.lockTimeoutMs !== undefined)
      text = text.replace(/lockTimeoutMs: \d+/, `lockTimeoutMs: ${options.lockTimeoutMs}`);
    await writeFile(path, text);
  }
  const server = await DatabaseServer.start(directory, { port: 0 });
  const port = server.address.port;
  const url = `postgresql://sys:${encodeURIComponent(sysPassword)}@127.0.0.1:${port}/tandem`;
  const clients = new Set<pg.Client>();
  const children = new Set<ReturnType<typeof spawn>>();
  return {
    server,
    directory,
    password: sysPassword,
    port,
    url,
    async client(credentials = {}) {
      const client = new pg.Client({
        host: '127.0.0.1',
        port,
        user: credentials.user ?? 'sys',
        password: credentials.password ?? sysPassword,
        database: 'tandem',
      });
      client.on('error', () => undefined);
      await client.connect();
      clients.add(client);
      return client;
    },
    run(command, args, runOptions = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(command, [...args], {
          env: { ...process.env, PGPASSWORD: sysPassword, PGCONNECT_TIMEOUT: '10' },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        children.add(child);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), runOptions.timeoutMs ?? 120_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          children.delete(child);
          resolve({ code, stdout, stderr });
        });
        child.stdin.end(runOptions.input ?? '');
      });
    },
    async stop() {
      for (const child of children) child.kill('SIGKILL');
      await Promise.all([...clients].map((client) => client.end().catch(() => undefined)));
      await server.stop('IMMEDIATE');
      await rm(directory, { recursive: true, force: true });
    },
  };
}
