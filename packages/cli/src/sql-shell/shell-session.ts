// The shell's state machine, shared by every mode: lines go in (typed, from a script, or
// from \i), statements and meta-commands come out and run, results and errors are printed.
// It holds no terminal or socket: the executor, the output and the clock are passed in, so
// the whole line handling runs in unit tests against a fake executor.
import { dirname, resolve } from 'node:path';
import type { CliIo } from '../main.js';
import { formatServerMessage, type ServerMessage } from './error-format.js';
import { formatRows, type FormatOptions } from './result-format.js';
import type { ExecutionOutcome, SqlExecutor, StatementResult } from './sql-executor.js';
import { StatementBuffer } from './statement-scanner.js';

/** The catalog views of the Tandem server (Oracle-style), behind \dt and \d. */
export const LIST_TABLES_SQL = 'select table_name, tablespace_name, num_rows from user_tables order by 1';
export const DESCRIBE_TABLE_SQL =
  'select column_name, data_type, nullable from user_tab_columns where table_name = $1 order by column_id';

export interface ShellSettings {
  format: FormatOptions;
  timing: boolean;
  /** -q: no command tags and no informational messages. */
  quiet: boolean;
  /** ON_ERROR_STOP: a failed statement ends a script (not an interactive session). */
  stopOnError: boolean;
}

export interface ShellDependencies {
  readonly executor: SqlExecutor;
  readonly io: CliIo;
  readonly readText: (path: string) => Promise<string>;
  /** Milliseconds on a monotonic clock, for \timing. */
  readonly nowMs: () => number;
}

/** What the caller does next: read another line, quit (\q), or stop a script after an error. */
export type LineOutcome = 'continue' | 'quit' | 'stop';

/** Where a script line came from, for psql-style `file:line:` error prefixes. */
interface SourcePosition {
  readonly name: string;
  line: number;
}

export const HELP_TEXT = `General
  \\q                     quit tandem sql
  \\?                     show this help
  \\conninfo              show the current connection
  \\timing [on|off]       show how long each statement takes
Query buffer
  \\g                     send the query buffer (or repeat the last query)
  \\p                     show the query buffer
  \\r                     reset (clear) the query buffer
Input/Output
  \\echo [text]           write text to standard output
  \\i FILE                run the commands in FILE
  \\ir FILE               as \\i, relative to the script running it
Formatting
  \\a                     toggle aligned and unaligned output
  \\t [on|off]            show only rows (no headers, no footer)
  \\x [on|off]            toggle expanded output (one field per line)
Informational
  \\dt                    list tables (user_tables)
  \\d NAME                describe a table's columns (user_tab_columns)
`;

export class ShellSession {
  readonly settings: ShellSettings;
  readonly #deps: ShellDependencies;
  #buffer = new StatementBuffer();
  #source: SourcePosition | undefined;
  #lastQuery: string | undefined;
  #errorCount = 0;
  #busy = false;

  constructor(deps: ShellDependencies, settings: ShellSettings) {
    this.#deps = deps;
    this.settings = settings;
  }

  /** Statements and meta-commands that failed so far. */
  get errorCount(): number {
    return this.#errorCount;
  }

  /** True while a statement runs: Ctrl-C then cancels it instead of clearing the buffer. */
  get busy(): boolean {
    return this.#busy;
  }

  /** psql's default prompt `%/%R%x%# `, with `>` always: `tandem=> `, `tandem-> `, `tandem=*> `, `tandem=!> `. */
  prompt(): string {
    const status = this.#deps.executor.transactionStatus();
    const transaction = status === 'in-transaction' ? '*' : status === 'failed' ? '!' : status === 'unknown' ? '?' : '';
    return `${this.#deps.executor.info.database}${this.#buffer.marker}${transaction}> `;
  }

  /** Ctrl-C while idle: forget the statement being typed. */
  clearInput(): void {
    this.#buffer.take();
  }

  /** One input line (without its newline). A backslash outside quotes starts a meta-command that runs to the end of the line. */
  async handleLine(line: string): Promise<LineOutcome> {
    if (this.#source !== undefined) this.#source.line += 1;
    const metaOffset = this.#buffer.metaCommandOffset(line);
    const sql = metaOffset === undefined ? line : line.slice(0, metaOffset);
    if (metaOffset === undefined || sql.trim() !== '') {
      const outcome = await this.#runStatements(this.#buffer.push(`${sql}\n`));
      if (outcome !== 'continue') return outcome;
    }
    return metaOffset === undefined ? 'continue' : this.#runMetaCommand(line.slice(metaOffset));
  }

  /** End of a script: a last statement without `;` still runs, as in psql. */
  async finishInput(): Promise<LineOutcome> {
    const pending = this.#buffer.take();
    return pending === '' ? 'continue' : this.#runStatements([pending]);
  }

  /** A -c argument: a meta-command, or SQL sent as one query text (which may hold several statements). */
  async runCommandString(text: string): Promise<LineOutcome> {
    if (text.trimStart().startsWith('\\')) return this.#runMetaCommand(text.trim());
    return this.#runStatements([text]);
  }

  /** Runs a whole script (-f, stdin, \i) with its own query buffer, line by line. */
  async runScript(text: string, name: string): Promise<LineOutcome> {
    const outerBuffer = this.#buffer;
    const outerSource = this.#source;
    this.#buffer = new StatementBuffer();
    this.#source = { name, line: 0 };
    try {
      const lines = text.split('\n');
      // A final newline ends the last line; it does not start an empty one.
      if (lines[lines.length - 1] === '') lines.pop();
      for (const line of lines) {
        const outcome = await this.handleLine(line.replace(/\r$/, ''));
        if (outcome !== 'continue') return outcome;
      }
      return await this.finishInput();
    } finally {
      this.#buffer = outerBuffer;
      this.#source = outerSource;
    }
  }

  async #runStatements(statements: readonly string[]): Promise<LineOutcome> {
    for (const statement of statements) {
      this.#lastQuery = statement;
      const succeeded = await this.#timed(() => this.#deps.executor.execute(statement), statement);
      if (!succeeded && this.settings.stopOnError) return 'stop';
    }
    return 'continue';
  }

  /** Runs one query text, prints its results (and the time), and says whether it succeeded. */
  async #timed(run: () => Promise<ExecutionOutcome>, query: string): Promise<boolean> {
    const startMs = this.#deps.nowMs();
    this.#busy = true;
    let outcome: ExecutionOutcome;
    try {
      outcome = await run();
    } finally {
      this.#busy = false;
    }
    const elapsedMs = this.#deps.nowMs() - startMs;
    for (const result of outcome.results) this.#printResult(result);
    if (outcome.error !== undefined) {
      this.#printError(outcome.error, query);
      return false;
    }
    if (this.settings.timing) this.#deps.io.out(`${formatTiming(elapsedMs)}\n`);
    return true;
  }

  #printResult(result: StatementResult): void {
    const { io } = this.#deps;
    if (result.copyOut !== undefined) {
      io.out(result.copyOut);
      return;
    }
    if (result.rows !== undefined) {
      io.out(formatRows(result.rows, this.settings.format));
      // psql follows the rows of INSERT/UPDATE/DELETE … RETURNING with the command tag.
      if (result.commandTag !== undefined && /^(INSERT|UPDATE|DELETE|MERGE)\b/.test(result.commandTag)) {
        this.#printTag(result.commandTag);
      }
      return;
    }
    if (result.commandTag !== undefined) this.#printTag(result.commandTag);
  }

  #printTag(tag: string): void {
    if (!this.settings.quiet) this.#deps.io.out(`${tag}\n`);
  }

  #printError(error: ServerMessage, query: string | undefined): void {
    this.#errorCount += 1;
    this.#deps.io.err(this.#locationPrefix() + formatServerMessage(error, query, true));
  }

  /** A shell-side failure (bad meta-command, unreadable file): counted like an SQL error. */
  #fail(message: string): LineOutcome {
    this.#errorCount += 1;
    this.#deps.io.err(`${this.#locationPrefix()}${message}\n`);
    return this.settings.stopOnError ? 'stop' : 'continue';
  }

  #locationPrefix(): string {
    return this.#source === undefined ? '' : `tandem sql:${this.#source.name}:${this.#source.line}: `;
  }

  #info(message: string): void {
    if (!this.settings.quiet) this.#deps.io.out(`${message}\n`);
  }

  async #runMetaCommand(text: string): Promise<LineOutcome> {
    const match = /^\\(\S*)\s*(.*)$/s.exec(text.trim());
    const name = match?.[1] ?? '';
    const argument = (match?.[2] ?? '').trim();
    switch (name) {
      case 'q':
      case 'quit':
        return 'quit';
      case '?':
        this.#deps.io.out(HELP_TEXT);
        return 'continue';
      case 'x':
        this.settings.format = { ...this.settings.format, expanded: toggle(this.settings.format.expanded, argument) };
        this.#info(`Expanded display is ${this.settings.format.expanded ? 'on' : 'off'}.`);
        return 'continue';
      case 't':
        this.settings.format = {
          ...this.settings.format,
          tuplesOnly: toggle(this.settings.format.tuplesOnly, argument),
        };
        this.#info(`Tuples only is ${this.settings.format.tuplesOnly ? 'on' : 'off'}.`);
        return 'continue';
      case 'a':
        this.settings.format = { ...this.settings.format, aligned: !this.settings.format.aligned };
        this.#info(`Output format is ${this.settings.format.aligned ? 'aligned' : 'unaligned'}.`);
        return 'continue';
      case 'timing':
        this.settings.timing = toggle(this.settings.timing, argument);
        this.#info(`Timing is ${this.settings.timing ? 'on' : 'off'}.`);
        return 'continue';
      case 'conninfo':
        this.#deps.io.out(`${connectionSummary(this.#deps.executor)}\n`);
        return 'continue';
      case 'echo':
        this.#deps.io.out(`${splitArguments(argument).join(' ')}\n`);
        return 'continue';
      case 'i':
      case 'include':
      case 'ir':
      case 'include_relative':
        return this.#include(argument, name.startsWith('ir') || name === 'include_relative');
      case 'g':
        return this.#sendBuffer();
      case 'p':
        this.#deps.io.out(
          this.#buffer.pending === '' ? 'Query buffer is empty.\n' : `${this.#buffer.pending.trimEnd()}\n`,
        );
        return 'continue';
      case 'r':
        this.#buffer.take();
        this.#info('Query buffer reset (cleared).');
        return 'continue';
      case 'dt':
        return this.#catalogQuery(LIST_TABLES_SQL, []);
      case 'd':
        return argument === ''
          ? this.#catalogQuery(LIST_TABLES_SQL, [])
          : this.#catalogQuery(DESCRIBE_TABLE_SQL, [splitArguments(argument)[0] ?? argument]);
      default:
        return this.#fail(`invalid command \\${name}\nTry \\? for help.`);
    }
  }

  async #include(argument: string, relative: boolean): Promise<LineOutcome> {
    const file = splitArguments(argument)[0];
    if (file === undefined) return this.#fail('\\i: missing required argument');
    const base = relative && this.#source !== undefined ? dirname(this.#source.name) : '.';
    const path = resolve(base, file);
    let text: string;
    try {
      text = await this.#deps.readText(path);
    } catch (error) {
      return this.#fail(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
    // \q inside an included file ends the whole session, as in psql.
    return this.runScript(text, path);
  }

  /** \g: send what is buffered, or repeat the last query when the buffer is empty (psql). */
  async #sendBuffer(): Promise<LineOutcome> {
    const pending = this.#buffer.take();
    const query = pending === '' ? this.#lastQuery : pending;
    return query === undefined ? 'continue' : this.#runStatements([query]);
  }

  async #catalogQuery(sql: string, params: readonly string[]): Promise<LineOutcome> {
    const succeeded = await this.#timed(() => this.#deps.executor.executeWithParams(sql, params), sql);
    return !succeeded && this.settings.stopOnError ? 'stop' : 'continue';
  }
}

/** `\x`, `\x on`, `\x off`: no argument flips the setting. */
function toggle(current: boolean, argument: string): boolean {
  const word = argument.toLowerCase();
  if (word === 'on' || word === 'true' || word === '1') return true;
  if (word === 'off' || word === 'false' || word === '0') return false;
  return !current;
}

/** Splits meta-command arguments at blanks; 'single quotes' group words ('' is a quote). */
export function splitArguments(text: string): string[] {
  const args: string[] = [];
  const pattern = /'((?:[^']|'')*)'|(\S+)/g;
  for (const match of text.matchAll(pattern)) {
    args.push(match[1] !== undefined ? match[1].replace(/''/g, "'") : (match[2] ?? ''));
  }
  return args;
}

function connectionSummary(executor: SqlExecutor): string {
  const { database, user, host, port } = executor.info;
  const where = host.startsWith('/') ? `via socket in "${host}"` : `on host "${host}"`;
  return `You are connected to database "${database}" as user "${user}" ${where} at port "${port}".`;
}

/** psql's `Time: 1.234 ms`, with minutes and seconds added from one second on. */
export function formatTiming(elapsedMs: number): string {
  const base = `Time: ${elapsedMs.toFixed(3)} ms`;
  if (elapsedMs < 1000) return base;
  let seconds = elapsedMs / 1000;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const secondsText = seconds.toFixed(3).padStart(6, '0');
  if (minutes < 60) return `${base} (${String(minutes).padStart(2, '0')}:${secondsText})`;
  const hours = Math.floor(minutes / 60);
  const minutesText = String(minutes % 60).padStart(2, '0');
  if (hours < 24) return `${base} (${String(hours).padStart(2, '0')}:${minutesText}:${secondsText})`;
  const days = Math.floor(hours / 24);
  return `${base} (${days} d ${String(hours % 24).padStart(2, '0')}:${minutesText}:${secondsText})`;
}
