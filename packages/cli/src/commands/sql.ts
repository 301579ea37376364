// `tandem sql`: an interactive SQL shell and script runner for the Tandem database (any
// PostgreSQL-protocol server), modelled on psql. This file is the command line; the shell
// itself lives in ../sql-shell/.
import { CommanderError, type Command } from 'commander';
import type { CliIo } from '../main.js';
import { DEFAULT_DATABASE, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_USER } from '../sql-shell/connection-options.js';
import { DEFAULT_FORMAT } from '../sql-shell/result-format.js';
import {
  defaultDependencies,
  runSql,
  type ScriptAction,
  type SqlRunDependencies,
  type SqlRunOptions,
} from '../sql-shell/run-sql.js';

interface ParsedOptions {
  readonly host?: string;
  readonly port?: string;
  readonly user?: string;
  readonly database?: string;
  readonly passwordFile?: string;
  readonly dir?: string;
  readonly command: readonly Sequenced[];
  readonly file: readonly Sequenced[];
  readonly align: boolean;
  readonly tuplesOnly?: boolean;
  readonly expanded?: boolean;
  readonly quiet?: boolean;
  readonly fieldSeparator: string;
  readonly continueOnError?: boolean;
}

/** A -c or -f value with its position among all of them: commander keeps each option's values apart. */
interface Sequenced {
  readonly sequence: number;
  readonly value: string;
}

const HELP_AFTER = `
Modes:
  -c/-f given      run them in order and exit (1 on the first error, unless --continue-on-error)
  stdin not a tty  run stdin as a script
  otherwise        interactive shell (\\? lists the meta-commands, \\q quits)

Connection (flags win over the URL, the URL over --dir, --dir over PGHOST/PGPORT/PGUSER/PGDATABASE/PGPASSWORD):
  default ${DEFAULT_USER}@${DEFAULT_HOST}:${DEFAULT_PORT}/${DEFAULT_DATABASE}
  --dir DIR        the database made by \`tandem db init DIR\`: address from DIR/server.pid, password from DIR/sys.password

Exit codes: 0 success, 1 an SQL error (or a failed script command), 2 no connection.

Examples:
  tandem sql --dir ./data
  tandem sql postgresql://sys:secret@127.0.0.1:5544/tandem -c 'select 1'
  tandem sql --dir ./data -A -t -f setup.sql
`;

export function registerSqlCommand(
  program: Command,
  io: CliIo,
  deps: SqlRunDependencies = defaultDependencies(io),
): void {
  // Values of -c and -f share one counter so their interleaving on the command line survives.
  let sequence = 0;
  const collect = (value: string, previous: readonly Sequenced[]): Sequenced[] => [
    ...previous,
    { sequence: sequence++, value },
  ];
  program
    .command('sql')
    .description('interactive SQL shell and script runner (psql-like) for a Tandem database')
    .argument('[url]', 'connection URL: postgresql://user:password@host:port/database')
    // psql's -h is the host; help moves to -? as in psql.
    .helpOption('-?, --help', 'show this help')
    .option('-h, --host <host>', `server host (default: ${DEFAULT_HOST})`)
    .option('-p, --port <port>', `server port (default: ${DEFAULT_PORT})`)
    .option('-U, --user <user>', `database user (default: ${DEFAULT_USER})`)
    .option('-d, --database <name>', `database name (default: ${DEFAULT_DATABASE})`)
    .option('--password-file <path>', 'read the password from this file (else PGPASSWORD)')
    .option('--dir <directory>', 'connect to the local database in this directory (server.pid, sys.password)')
    .option('-c, --command <sql>', 'run this SQL or meta-command (repeatable)', collect, [])
    .option('-f, --file <path>', 'run the statements in this file; - is stdin (repeatable)', collect, [])
    .option('-A, --no-align', 'unaligned output (fields separated by |)')
    .option('-t, --tuples-only', 'print rows only: no column headers, no row count')
    .option('-x, --expanded', 'expanded output: one line per field')
    .option('-F, --field-separator <separator>', 'field separator for unaligned output', DEFAULT_FORMAT.fieldSeparator)
    .option('-q, --quiet', 'no command tags or informational messages')
    .option('--continue-on-error', 'in -c/-f/stdin mode, go on after a failed statement (exit 1 at the end)')
    .addHelpText('after', HELP_AFTER)
    .action(async (url: string | undefined, options: ParsedOptions) => {
      const code = await runSql(toRunOptions(url, options), deps);
      // main() maps a CommanderError to its exit code without printing anything more.
      if (code !== 0) throw new CommanderError(code, 'tandem.sql.failed', `tandem sql exited with code ${code}`);
    });
}

function toRunOptions(url: string | undefined, options: ParsedOptions): SqlRunOptions {
  const actions: (ScriptAction & { sequence: number })[] = [
    ...options.command.map(({ sequence, value }) => ({ kind: 'command' as const, text: value, sequence })),
    ...options.file.map(({ sequence, value }) => ({ kind: 'file' as const, path: value, sequence })),
  ];
  actions.sort((left, right) => left.sequence - right.sequence);
  return {
    url,
    host: options.host,
    port: options.port,
    user: options.user,
    database: options.database,
    passwordFile: options.passwordFile,
    dir: options.dir,
    actions,
    format: {
      aligned: options.align,
      tuplesOnly: options.tuplesOnly === true,
      expanded: options.expanded === true,
      fieldSeparator: options.fieldSeparator,
    },
    quiet: options.quiet === true,
    continueOnError: options.continueOnError === true,
  };
}
