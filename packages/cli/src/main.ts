// Entry point of the `tandem` command: parses argv with commander and maps failures to
// exit codes. Each command lives in its own file under commands/. Those files (and what
// they import: the database engine, the load balancer, the PostgreSQL client) are loaded
// only for the command being run: `tandem db backup` does not load the load balancer.
// Help and unknown commands load them all, so `tandem --help` lists every command.
import { Command, CommanderError } from 'commander';
import { packageVersion } from './package-paths.js';

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

type Register = (program: Command, io: CliIo) => void;

/** The top-level commands, in the order help lists them, each with its registration loaded on demand. */
const COMMANDS: readonly { readonly name: string; readonly load: () => Promise<Register> }[] = [
  { name: 'up', load: async () => (await import('./commands/up.js')).registerUpCommand },
  {
    name: 'sql',
    load: async () => {
      const { registerSqlCommand } = await import('./commands/sql.js');
      return (program, io) => registerSqlCommand(program, io);
    },
  },
  { name: 'db', load: async () => (await import('./commands/db.js')).registerDbCommand },
  { name: 'lb', load: async () => (await import('./commands/lb.js')).registerLbCommand },
];

/** The first operand of the command line (the command's name), if any: the global options take no values. */
function commandName(argv: readonly string[]): string | undefined {
  return argv.slice(2).find((arg) => !arg.startsWith('-'));
}

/**
 * The program with its commands registered: only the one `argv` names, when it names one
 * (commander needs nothing else to run it or print its help), else all of them.
 */
export async function createProgram(io: CliIo = processIo, argv?: readonly string[]): Promise<Command> {
  const program = new Command('tandem')
    .description('Tandem: a high-availability web system (load balancers, app servers, database, monitor, backup).')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .showHelpAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();
  const named = argv === undefined ? undefined : commandName(argv);
  const wanted = COMMANDS.filter((command) => command.name === named);
  const registers = await Promise.all((wanted.length > 0 ? wanted : COMMANDS).map((command) => command.load()));
  for (const register of registers) register(program, io);
  return program;
}

/** Runs the CLI and returns the process exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    const program = await createProgram(io, argv);
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with exitCode 0; usage errors carry commander's code (1).
      return error.exitCode;
    }
    io.err(`[error] ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
