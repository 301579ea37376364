// Test support of the CLI's command tests: runs `tandem` through the CLI entry in this
// process and collects what it writes.
import { main, type CliIo } from '../main.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `tandem ...args` as a user runs it: the exit code and everything written to stdout and stderr. */
export async function runTandem(...args: string[]): Promise<CliResult> {
  const io: CliIo & { stdout: string; stderr: string } = {
    stdout: '',
    stderr: '',
    out: (text) => {
      io.stdout += text;
    },
    err: (text) => {
      io.stderr += text;
    },
  };
  const code = await main(['node', 'tandem', ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}
