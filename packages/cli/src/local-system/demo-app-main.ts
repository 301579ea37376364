// The process of one demo app server (demo-app.ts). `tandem up` forks it (app-fleet.ts) and
// learns over IPC that it listens, or why it could not; it also runs by hand:
//   node packages/cli/dist/local-system/demo-app-main.js --id app1 --port 8081
// Its event log goes to standard error, one event per line with a level word. SIGTERM stops
// it gracefully. Forked by `up`, it ignores SIGINT and SIGHUP (Ctrl-C and a closed terminal
// reach the whole process group, and `up` stops the load balancer before the app servers) and
// stops when `up` goes away.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { errorMessage } from '../db-client/coded-error.js';
import { DemoApp, type DemoDatabase, type DemoLogLevel } from './demo-app.js';
import { UpCode } from './up-errors.js';

/** What the app server tells the process that forked it. */
export type FromDemoApp =
  | { readonly t: 'ready'; readonly id: string; readonly pid: number; readonly host: string; readonly port: number }
  /** `reason`: why it could not start (the bind error, a bad option), without a code. */
  | { readonly t: 'failed'; readonly id: string; readonly reason: string };

const DEFAULT_GRACE_MS = 5_000;

function log(id: string, level: DemoLogLevel, message: string): void {
  process.stderr.write(
    `${new Date().toISOString()} [${level}] app server ${id}: ${message.replace(/[\r\n]+/g, ' ')}\n`,
  );
}

/** Sends `message` to the forking process, if any; `then` runs once it is on its way. */
function send(message: FromDemoApp, then: () => void = () => undefined): void {
  if (process.connected && process.send !== undefined) process.send(message, undefined, {}, () => then());
  else then();
}

function wholeNumber(name: string, text: string, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > max) throw new Error(`--${name} must be a whole number up to ${max}, got ${text}`);
  return value;
}

async function databaseOf(values: Record<string, string | undefined>): Promise<DemoDatabase | undefined> {
  const { 'db-host': host, 'db-port': port, 'db-name': database, 'db-user': user } = values;
  const passwordFile = values['db-password-file'];
  if (host === undefined || port === undefined || database === undefined || user === undefined) return undefined;
  const password = passwordFile === undefined ? '' : (await readFile(passwordFile, 'utf8')).trim();
  return { host, port: wholeNumber('db-port', port, 65535), database, user, password };
}

async function run(): Promise<void> {
  const { values } = parseArgs({
    options: {
      id: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      'grace-ms': { type: 'string', default: String(DEFAULT_GRACE_MS) },
      'db-host': { type: 'string' },
      'db-port': { type: 'string' },
      'db-name': { type: 'string' },
      'db-user': { type: 'string' },
      'db-password-file': { type: 'string' },
    },
    strict: true,
  });
  const id = values.id ?? `app-${process.pid}`;
  let app: DemoApp;
  try {
    const port = wholeNumber('port', values.port, 65535);
    const graceMs = wholeNumber('grace-ms', values['grace-ms'], 2_147_483_647);
    const database = await databaseOf(values);
    app = await DemoApp.start({
      id,
      host: values.host,
      port,
      ...(database === undefined ? {} : { database }),
      log: (level, message) => log(id, level, message),
    });
    const supervised = process.send !== undefined;
    let stopping: Promise<void> | undefined;
    const stop = (why: string): void => {
      stopping ??= (async () => {
        log(id, 'notice', `stopping (${why}) after ${app.requestsServed} requests`);
        await app.stop(graceMs);
        log(id, 'notice', 'stopped');
        process.exit(0);
      })();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    if (supervised) {
      process.on('SIGINT', () => undefined);
      process.on('SIGHUP', () => undefined);
      process.once('disconnect', () => stop('tandem up is gone'));
    } else {
      process.once('SIGINT', () => stop('SIGINT'));
    }
  } catch (error) {
    const reason = errorMessage(error);
    // Forked by `up`, which reports it (with what to do) and stops; run by hand, it is said here.
    if (process.send === undefined)
      log(id, 'error', `${UpCode.APP_START_FAILED}: cannot start on ${values.host}:${values.port}: ${reason}`);
    send({ t: 'failed', id, reason }, () => process.exit(1));
    return;
  }
  const { address, port } = app.address;
  log(id, 'notice', `listening on ${address}:${port} (pid ${process.pid})`);
  send({ t: 'ready', id, pid: process.pid, host: address, port });
}

await run();
