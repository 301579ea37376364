// Test support for the tests that run `tandem` as a user does (`node bin/tandem.js ...`, the
// compiled CLI): the spawned process with its output collected, bounded waits for a line or a
// condition (never a sleep that asserts), plain HTTP requests on fresh loopback connections,
// and checks that a process is gone and a port free. Every process started here is
// remembered, so a test's afterEach can kill what is left by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { isAlive } from '@tandem/db/files';
import { tandemBin } from '../package-paths.js';

/** The installed command: runs packages/cli/dist (build first: `npm run build`). */
export const TANDEM_BIN = tandemBin();

const POLL_MS = 25;

/** Thrown by a probe of `eventually` to stop waiting at once (the awaited thing can no longer happen). */
export class GiveUp extends Error {
  override readonly name = 'GiveUp';
}

/** Polls `probe` until it returns a value other than undefined; fails after timeoutMs naming `what`. */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** `tandem ...args` in its own process, its output collected. */
export class SpawnedCli {
  static readonly running = new Set<SpawnedCli>();
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exit: Promise<Exit>;
  #exit: Exit | undefined;

  /** `ownGroup`: the process leads a process group of its own, so `signalGroup` reaches it and its children (as Ctrl-C does). */
  constructor(args: readonly string[], options: { readonly ownGroup?: boolean } = {}) {
    this.child = spawn(process.execPath, [TANDEM_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.ownGroup === true,
    });
    this.child.stdout?.setEncoding('utf8').on('data', (text: string) => (this.stdout += text));
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    SpawnedCli.running.add(this);
    this.exit = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        SpawnedCli.running.delete(this);
        resolve(this.#exit);
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the process did not start');
    return this.child.pid;
  }

  get exited(): boolean {
    return this.#exit !== undefined;
  }

  /** Waits until stdout or stderr (or both, in that order) matches; fails with the output if the process exits or time runs out. */
  waitFor(pattern: RegExp, timeoutMs = 120_000): Promise<RegExpExecArray> {
    return eventually(
      `${String(pattern)} in the output of tandem (pid ${this.child.pid ?? '?'})`,
      () => {
        const match = pattern.exec(this.stdout) ?? pattern.exec(this.stderr);
        if (match !== null) return match;
        if (this.#exit !== undefined) {
          throw new GiveUp(`tandem exited (${JSON.stringify(this.#exit)}) before ${String(pattern)}`);
        }
        return undefined;
      },
      timeoutMs,
    ).catch((error: unknown) => {
      throw new Error(
        `${error instanceof Error ? error.message : String(error)}\n--- stdout ---\n${this.stdout.slice(-4000)}\n--- stderr ---\n${this.stderr.slice(-4000)}`,
      );
    });
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }

  /** Sends `signal` to the process group the process leads (spawned with ownGroup), as a terminal's Ctrl-C does. */
  signalGroup(signal: NodeJS.Signals): void {
    if (!this.exited) process.kill(-this.pid, signal);
  }

  /** Waits for the exit, bounded; SIGKILLs the process if it outlives the wait. */
  async exitWithin(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    const exit = await Promise.race([this.exit, timeout]);
    clearTimeout(timer);
    if (exit !== undefined) return exit;
    this.signal('SIGKILL');
    throw new Error(
      `tandem (pid ${this.pid}) did not exit within ${timeoutMs} ms:\n${this.stdout.slice(-4000)}\n${this.stderr.slice(-4000)}`,
    );
  }

  /** Kills every spawned process still running (afterEach). */
  static async killAll(): Promise<void> {
    for (const cli of [...SpawnedCli.running]) {
      cli.signal('SIGKILL');
      await cli.exit;
    }
  }
}

/** Sends SIGKILL to `pid` if it still runs. */
export function killPid(pid: number): void {
  if (isAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone in between.
    }
  }
}

/** Whether `port` on 127.0.0.1 can be bound now (nothing listens there). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Whether a TCP connection to 127.0.0.1:port is refused (nothing listens). A bare connect, not
 * an HTTP request: a connection accepted at the moment a server stops may wait unanswered.
 */
export function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A GET on a fresh connection to 127.0.0.1:port. */
export function httpGet(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
