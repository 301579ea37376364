import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main, type CliIo } from './main.js';

function captureIo(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (text: string) => {
      io.stdout += text;
    },
    err: (text: string) => {
      io.stderr += text;
    },
  };
  return io;
}

describe('tandem CLI', () => {
  it('prints help listing the commands', async () => {
    const io = captureIo();
    expect(await main(['node', 'tandem', '--help'], io)).toBe(0);
    expect(io.stdout).toContain('Usage: tandem');
    expect(io.stdout).toContain('up');
  });

  it('has --help on the up command', async () => {
    const io = captureIo();
    expect(await main(['node', 'tandem', 'up', '--help'], io)).toBe(0);
    expect(io.stdout).toContain('Usage: tandem up');
  });

  it('rejects an unknown command with a non-zero exit and the help hint', async () => {
    const io = captureIo();
    expect(await main(['node', 'tandem', 'frobnicate'], io)).not.toBe(0);
    expect(io.stderr).toContain("unknown command 'frobnicate'");
  });

  it('up says plainly that nothing was started while no part is runnable', async () => {
    const io = captureIo();
    expect(await main(['node', 'tandem', 'up'], io)).toBe(0);
    expect(io.stdout).toMatch(/not started/);
    expect(io.stdout).toContain('[notice] tandem up: no part of the system can run yet, so nothing was started.');
  });

  it('runs as the installed bin (npx tandem --help)', async () => {
    const bin = fileURLToPath(new URL('../bin/tandem.js', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [bin, '--help']);
    expect(stdout).toContain('Usage: tandem');
  });
});
