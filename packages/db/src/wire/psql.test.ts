// The server against libpq's own tools: psql (SSL negotiation, SCRAM, errors, COPY, TLS)
// and pgbench (the extended protocol, prepared statements and pipelining as pgbench does them).

import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeEngine } from './fake-engine.test-support.js';
import { WireServer, type WireServerOptions } from './server.js';

const PSQL = '/usr/bin/psql';
const PGBENCH = '/usr/bin/pgbench';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(
  command: string,
  args: readonly string[],
  options: { input?: string; password?: string } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      {
        env: { PATH: process.env.PATH, PGPASSWORD: options.password ?? 'wonderland', PGCONNECT_TIMEOUT: '20' },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

const servers: WireServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(options: Partial<WireServerOptions> = {}): Promise<{ port: number; engine: FakeEngine }> {
  const engine = new FakeEngine({ alice: 'wonderland' });
  const server = new WireServer({ engine, port: 0, log: () => undefined, ...options });
  servers.push(server);
  const { port } = await server.listen();
  return { port, engine };
}

function conninfo(port: number, sslmode: string): string {
  return `host=127.0.0.1 port=${port} user=alice dbname=db sslmode=${sslmode}`;
}

describe.skipIf(!existsSync(PSQL))('psql', () => {
  it.each(['prefer', 'disable'])('runs queries with sslmode=%s', async (sslmode) => {
    const { port } = await start();
    const result = await run(PSQL, ['-X', '-A', '-t', '-c', 'select 3', '-c', 'select 1', conninfo(port, sslmode)]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('1\n2\n3\n1\n');
  });

  it('prints errors with the SQLSTATE severity and TDB code, and exits 1', async () => {
    const { port } = await start();
    const result = await run(PSQL, ['-X', '-v', 'ON_ERROR_STOP=1', '-c', 'fail', conninfo(port, 'prefer')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ERROR:  TDB-6006: division by zero');
  });

  it('exits 2 on a wrong password', async () => {
    const { port } = await start();
    const result = await run(PSQL, ['-X', '-w', '-c', 'select 1', conninfo(port, 'disable')], { password: 'nope' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('FATAL:  TDB-7002: password authentication failed for user "alice"');
  });

  it('copies from stdin and to stdout', async () => {
    const { port, engine } = await start();
    const copyIn = await run(PSQL, ['-X', '-c', 'copy in', conninfo(port, 'disable')], { input: 'a\nbb\n\\.\n' });
    expect(copyIn.stderr).toBe('');
    // psql 15 passes the end-of-data line on to the server, as COPY's text format defines it.
    expect(copyIn.stdout).toBe('COPY 8\n');
    expect(Buffer.concat(engine.sessions[0].copiedIn).toString()).toBe('a\nbb\n\\.\n');
    const copyOut = await run(PSQL, ['-X', '-c', 'copy out 2', conninfo(port, 'disable')]);
    expect(copyOut.stdout).toBe('1\n2\n');
  });

  it('reports the transaction state through an error in a multi-statement session', async () => {
    const { port } = await start();
    const script = 'begin;\nfail;\nselect 1;\nrollback;\nselect 2;\n';
    const result = await run(PSQL, ['-X', '-A', '-t', conninfo(port, 'disable')], { input: script });
    expect(result.stderr).toContain('TDB-6006: division by zero');
    expect(result.stderr).toContain('current transaction is aborted');
    expect(result.stdout.trim().split('\n').slice(-2)).toEqual(['1', '2']);
  });
});

describe.skipIf(!existsSync(PSQL) || !hasOpenssl())('psql over TLS', () => {
  let directory = '';
  let tls: { key: Buffer; cert: Buffer } | undefined;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'tandem-wire-tls-'));
    const key = join(directory, 'key.pem');
    const cert = join(directory, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
      ],
      { stdio: 'ignore' },
    );
    tls = { key: await readFile(key), cert: await readFile(cert) };
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('upgrades to TLS on SSLRequest with sslmode=require', async () => {
    const { port } = await start({ tls });
    const result = await run(PSQL, ['-X', '-A', '-t', '-c', 'select 2', '-c', '\\conninfo', conninfo(port, 'require')]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1\n2\n');
    expect(result.stdout).toMatch(/SSL connection \(protocol: TLSv1\.[23]/);
  });

  it('still serves plain connections when TLS is configured', async () => {
    const { port } = await start({ tls });
    const result = await run(PSQL, ['-X', '-A', '-t', '-c', 'select 1', conninfo(port, 'disable')]);
    expect(result.stdout).toBe('1\n');
  });
});

describe.skipIf(!existsSync(PGBENCH))('pgbench', () => {
  it.each(['simple', 'extended', 'prepared'])('runs a custom script in %s mode, also pipelined', async (mode) => {
    const { port, engine } = await start({ authentication: 'trust' });
    const directory = await mkdtemp(join(tmpdir(), 'tandem-wire-pgbench-'));
    try {
      const script = join(directory, 'script.sql');
      const pipelined = join(directory, 'pipelined.sql');
      await writeFile(script, 'select 3\n');
      await writeFile(pipelined, '\\startpipeline\nselect 1;\nselect 2;\n\\endpipeline\n');
      const args = [
        '-n',
        '-c',
        '4',
        '-t',
        '25',
        '-M',
        mode,
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-U',
        'alice',
        'db',
      ];
      const plain = await run(PGBENCH, [...args, '-f', script]);
      expect(plain.stderr).not.toContain('error');
      expect(plain.code).toBe(0);
      expect(plain.stdout).toContain('number of transactions actually processed: 100/100');
      expect(plain.stdout).toContain('number of failed transactions: 0');
      if (mode !== 'simple') {
        // pgbench refuses pipelines in simple mode.
        const piped = await run(PGBENCH, [...args, '-f', pipelined]);
        expect(piped.code).toBe(0);
        expect(piped.stdout).toContain('number of transactions actually processed: 100/100');
      }
      expect(engine.overlaps).toBe(0);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
