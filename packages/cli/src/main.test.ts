import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main, type CliIo } from './main.js';
import { startLocalSystem } from './commands/up.js';
import { tandemBin } from './package-paths.js';

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

  it('up creates the local database on the first run, serves it, and reuses it on the next', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'tandem-up-'));
    try {
      for (const run of [1, 2]) {
        const io = captureIo();
        const stop = await startLocalSystem({ stateDir, port: '0', lbPort: '0', adminPort: '0', appPorts: '0,0' }, io);
        try {
          expect(io.stdout.includes('first run: creating the database'), `run ${run}`).toBe(run === 1);
          expect(io.stdout).toMatch(/load balancer web on http:\/\/127\.0\.0\.1:\d+ -> pool app/);
          const port = Number(/OPEN on 127\.0\.0\.1:(\d+)/.exec(io.stdout)?.[1]);
          const password = (await readFile(join(stateDir, 'db', 'sys.password'), 'utf8')).trim();
          const client = new pg.Client({ host: '127.0.0.1', port, user: 'sys', password, database: 'tandem' });
          await client.connect();
          if (run === 1) await client.query('create table kept (n int primary key)');
          await client.query('insert into kept values ($1)', [run]);
          const { rows } = await client.query<{ n: number }>('select n from kept order by n');
          expect(rows.map((row) => row.n)).toEqual(run === 1 ? [1] : [1, 2]);
          await client.end();
        } finally {
          await stop();
        }
      }
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('runs as the installed bin (npx tandem --help)', async () => {
    const bin = fileURLToPath(new URL('../bin/tandem.js', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [bin, '--help']);
    expect(stdout).toContain('Usage: tandem');
  });

  it('stops quietly when the reader of its output goes away (tandem ... | head)', async () => {
    // The pipe's reading end is closed before the command writes: its writes fail with EPIPE.
    const child = spawn(process.execPath, [tandemBin(), 'db', 'restore', '--help'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
