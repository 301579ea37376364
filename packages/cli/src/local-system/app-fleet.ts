// The demo app servers of `tandem up`, each in its own process (demo-app-main.ts), so that
// killing one (`kill <pid>`, a crash) takes down that server alone and the load balancer's
// health checks can show the failover. This module forks them, waits until each listens,
// relays their log lines, reports one that exits while `up` runs, and stops them: SIGTERM
// (each finishes its requests), then SIGKILL for one that outlives the grace period.
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { FromDemoApp } from './demo-app-main.js';
import { cliPath } from '../package-paths.js';
import { UpError } from './up-errors.js';

export interface AppSpec {
  readonly id: string;
  readonly host: string;
  /** 0: a free port, chosen by the app server. */
  readonly port: number;
}

export interface RunningApp {
  readonly id: string;
  readonly pid: number;
  readonly host: string;
  readonly port: number;
}

/** The database an app server's /db page uses. */
export interface AppDatabase {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly passwordFile: string;
}

export interface AppFleetOptions {
  readonly database?: AppDatabase;
  /** Each line an app server writes (its event log), as written. */
  readonly relay: (line: string) => void;
  /** The fleet's own events (an app server that exited). */
  readonly log: (level: 'notice' | 'warning' | 'error', message: string) => void;
  /** How long an app server may take to finish its requests when stopped. */
  readonly graceMs: number;
  /** How long an app server may take to report that it listens (a slow machine starts node slowly). */
  readonly startTimeoutMs?: number;
  /** The app server's entry module and node flags (default: the compiled demo-app-main.js). */
  readonly entry?: string;
  readonly execArgv?: readonly string[];
}

/** The compiled entry; from src/ (tests) and dist/ alike, the package's dist/ holds it. */
export const DEMO_APP_ENTRY = cliPath('dist', 'local-system', 'demo-app-main.js');

const START_TIMEOUT_MS = 60_000;
/** After SIGKILL, how long to wait for the exit to be reported. */
const KILL_WAIT_MS = 10_000;

interface Member {
  readonly spec: AppSpec;
  readonly child: ChildProcess;
  running?: RunningApp;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves when the child has exited, or after timeoutMs (false then). */
function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal === null ? `with code ${code ?? '?'}` : `on signal ${signal}`;
}

export class AppFleet {
  readonly #options: AppFleetOptions;
  readonly #members: Member[] = [];
  #stopping = false;

  private constructor(options: AppFleetOptions) {
    this.#options = options;
  }

  /**
   * Forks one app server per spec, in parallel, and resolves once each listens. If one
   * cannot start, the others are stopped and the error (TUP-0002) names it and why.
   */
  static async start(specs: readonly AppSpec[], options: AppFleetOptions): Promise<AppFleet> {
    const fleet = new AppFleet(options);
    const results = await Promise.allSettled(specs.map((spec) => fleet.#startOne(spec)));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure !== undefined) {
      await fleet.stop();
      throw failure.reason;
    }
    return fleet;
  }

  /** The app servers that started, in the order of the specs. */
  get apps(): RunningApp[] {
    return this.#members.flatMap((member) => (member.running === undefined ? [] : [member.running]));
  }

  /** Stops every app server still running (SIGTERM, then SIGKILL after the grace period). */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#members.map(async ({ child }) => {
        if (exited(child)) return;
        child.kill('SIGTERM');
        if (await waitForExit(child, this.#options.graceMs + KILL_WAIT_MS)) return;
        this.#options.log('warning', `app server pid ${child.pid ?? '?'} did not stop: killing it`);
        child.kill('SIGKILL');
        await waitForExit(child, KILL_WAIT_MS);
      }),
    );
  }

  #startOne(spec: AppSpec): Promise<RunningApp> {
    const { database } = this.#options;
    const args = ['--id', spec.id, '--host', spec.host, '--port', String(spec.port)];
    args.push('--grace-ms', String(this.#options.graceMs));
    if (database !== undefined) {
      args.push('--db-host', database.host, '--db-port', String(database.port), '--db-name', database.database);
      args.push('--db-user', database.user, '--db-password-file', database.passwordFile);
    }
    const child = fork(this.#options.entry ?? DEMO_APP_ENTRY, args, {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      ...(this.#options.execArgv === undefined ? {} : { execArgv: [...this.#options.execArgv] }),
    });
    const member: Member = { spec, child };
    this.#members.push(member);
    for (const stream of [child.stdout, child.stderr]) {
      if (stream !== null) createInterface({ input: stream, crlfDelay: Infinity }).on('line', this.#options.relay);
    }
    const subject = `app server ${spec.id} (${spec.host}:${spec.port})`;
    const started = new Promise<RunningApp>((resolve, reject) => {
      const timeoutMs = this.#options.startTimeoutMs ?? START_TIMEOUT_MS;
      const timer = setTimeout(() => {
        finish();
        child.kill('SIGKILL');
        reject(new UpError('APP_START_FAILED', `${subject} did not report that it listens within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (message: FromDemoApp): void => {
        finish();
        if (message.t === 'ready') {
          resolve({ id: message.id, pid: message.pid, host: message.host, port: message.port });
        } else {
          reject(
            new UpError('APP_START_FAILED', `${subject} cannot start: ${message.reason}`, {
              hint: 'choose other ports with --app-ports, or edit the pool app in lb.yaml',
            }),
          );
        }
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        finish();
        reject(new UpError('APP_START_FAILED', `${subject} exited ${describeExit(code, signal)} before it listened`));
      };
      const onError = (error: Error): void => {
        finish();
        reject(
          new UpError(
            'APP_START_FAILED',
            `${subject}: cannot run ${this.#options.entry ?? DEMO_APP_ENTRY}: ${error.message}`,
          ),
        );
      };
      const finish = (): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        child.off('error', onError);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.once('error', onError);
    });
    return started.then((running) => {
      member.running = running;
      child.on('error', (error) => this.#options.log('warning', `app server ${running.id}: ${error.message}`));
      child.once('exit', (code, signal) => {
        if (this.#stopping) return;
        this.#options.log(
          'error',
          `${new UpError('APP_EXITED', `app server ${running.id} (pid ${running.pid}, ${running.host}:${running.port}) exited ${describeExit(code, signal)}`).message}; ` +
            'the load balancer takes it out of rotation when its health checks fail, and the other app servers serve its clients; restart tandem up to bring it back',
        );
      });
      return running;
    });
  }
}
