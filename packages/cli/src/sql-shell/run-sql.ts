// `tandem sql` from parsed options to an exit code: resolve the target, connect, then run
// the -c/-f actions in order, or a script from a non-terminal stdin, or the interactive
// shell. Exit codes follow psql: 0 success, 1 an SQL or script error, 2 no connection.
import { readFile } from 'node:fs/promises';
import type { CliIo } from '../main.js';
import { packageVersion } from '../package-paths.js';
import {
  ConnectionOptionsError,
  describeTarget,
  errorText,
  resolveConnection,
  type ConnectionFlags,
  type ConnectionTarget,
} from './connection-options.js';
import { formatServerMessage } from './error-format.js';
import { runInteractive } from './interactive.js';
import { PgExecutor } from './pg-executor.js';
import type { FormatOptions } from './result-format.js';
import { ShellSession, type LineOutcome } from './shell-session.js';
import { ConnectionLostError, type SqlExecutor } from './sql-executor.js';

export const EXIT_OK = 0;
export const EXIT_SQL_ERROR = 1;
export const EXIT_CONNECTION = 2;

/** A -c or -f argument, kept in command-line order (psql runs them in the order given). */
export type ScriptAction =
  { readonly kind: 'command'; readonly text: string } | { readonly kind: 'file'; readonly path: string };

export interface SqlRunOptions extends ConnectionFlags {
  readonly actions: readonly ScriptAction[];
  readonly format: FormatOptions;
  readonly quiet: boolean;
  readonly continueOnError: boolean;
}

export interface SqlRunDependencies {
  readonly io: CliIo;
  /** Read for `-f -` and, when it is not a terminal and there is no -c/-f, as the script. */
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readText: (path: string) => Promise<string>;
  readonly historyPath: string | undefined;
}

export function defaultDependencies(io: CliIo): SqlRunDependencies {
  const home = process.env.HOME;
  return {
    io,
    stdin: process.stdin,
    stdout: process.stdout,
    env: process.env,
    readText: (path) => readFile(path, 'utf8'),
    historyPath: home === undefined || home === '' ? undefined : `${home}/.tandem_sql_history`,
  };
}

export async function runSql(options: SqlRunOptions, deps: SqlRunDependencies): Promise<number> {
  const { io } = deps;
  let target: ConnectionTarget;
  try {
    target = await resolveConnection(options, { env: deps.env, readText: deps.readText });
  } catch (error) {
    if (!(error instanceof ConnectionOptionsError)) throw error;
    io.err(`tandem sql: ${error.message}\n`);
    return EXIT_CONNECTION;
  }
  let executor: SqlExecutor;
  try {
    executor = await PgExecutor.connect(target, {
      onNotice: (notice) => io.err(formatServerMessage(notice, undefined, false)),
    });
  } catch (error) {
    io.err(`tandem sql: could not connect to ${describeTarget(target)}: ${connectFailureReason(error)}\n`);
    return EXIT_CONNECTION;
  }
  try {
    return await runConnected(options, deps, executor);
  } catch (error) {
    if (!(error instanceof ConnectionLostError)) throw error;
    if (error.serverMessage !== undefined) io.err(formatServerMessage(error.serverMessage, undefined, true));
    io.err(`tandem sql: the connection to the server was lost: ${error.message}\n`);
    return EXIT_CONNECTION;
  } finally {
    await executor.close();
  }
}

async function runConnected(options: SqlRunOptions, deps: SqlRunDependencies, executor: SqlExecutor): Promise<number> {
  const interactive = options.actions.length === 0 && deps.stdin.isTTY === true;
  const session = new ShellSession(
    { executor, io: deps.io, readText: deps.readText, nowMs: () => performance.now() },
    {
      format: options.format,
      timing: false,
      quiet: options.quiet,
      // A typed mistake must not end the session; in a script it stops it unless told otherwise.
      stopOnError: !interactive && !options.continueOnError,
    },
  );
  if (interactive) {
    if (!options.quiet) deps.io.out(`tandem sql ${packageVersion()}\nType "\\?" for help, "\\q" to quit.\n\n`);
    await runInteractive({ session, executor, input: deps.stdin, output: deps.stdout, historyPath: deps.historyPath });
    return EXIT_OK;
  }
  const actions: readonly ScriptAction[] = options.actions.length > 0 ? options.actions : [{ kind: 'file', path: '-' }];
  for (const action of actions) {
    const outcome = await runAction(action, session, deps);
    if (outcome === 'quit') break;
    if (outcome === 'stop') return EXIT_SQL_ERROR;
  }
  return session.errorCount > 0 ? EXIT_SQL_ERROR : EXIT_OK;
}

async function runAction(action: ScriptAction, session: ShellSession, deps: SqlRunDependencies): Promise<LineOutcome> {
  if (action.kind === 'command') return session.runCommandString(action.text);
  if (action.path === '-') return session.runScript(await readAll(deps.stdin), '<stdin>');
  let text: string;
  try {
    text = await deps.readText(action.path);
  } catch (error) {
    deps.io.err(`tandem sql: ${action.path}: ${errorText(error)}\n`);
    return 'stop';
  }
  return session.runScript(text, action.path);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Why connecting failed, in the server's words when it answered (`FATAL:  password authentication failed …`). */
function connectFailureReason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    // Node tries each address of a name in turn and reports them together.
    return error.errors.map(connectFailureReason).join('; ');
  }
  if (!(error instanceof Error)) return String(error);
  const severity = (error as { severity?: unknown }).severity;
  if (typeof severity === 'string') return `${severity}:  ${error.message}`;
  if (/password must be a string/.test(error.message)) {
    return 'the server asks for a password: set PGPASSWORD, or use --password-file or --dir';
  }
  return error.message;
}
