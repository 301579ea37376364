// Entry point of the `tandem` command: parses argv with commander and maps failures to
// exit codes. Each command lives in its own file under commands/.
import { Command, CommanderError } from 'commander';
import { registerDbCommand } from './commands/db.js';
import { registerLbCommand } from './commands/lb.js';
import { registerSqlCommand } from './commands/sql.js';
import { registerUpCommand } from './commands/up.js';
import { packageVersion } from './version.js';

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export function createProgram(io: CliIo = processIo): Command {
  const program = new Command('tandem')
    .description('Tandem: a high-availability web system (load balancers, app servers, database, monitor, backup).')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .showHelpAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();
  registerUpCommand(program, io);
  registerSqlCommand(program, io);
  registerDbCommand(program, io);
  registerLbCommand(program, io);
  return program;
}

/** Runs the CLI and returns the process exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = createProgram(io);
  try {
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
