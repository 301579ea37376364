// `tandem sql` against a real PostgreSQL 15 server that the test starts on loopback (with
// password authentication over TCP, so the password sources are exercised too). If the
// server cannot start, the suite fails: these tests are the proof that the shell talks
// the protocol, so they must not quietly skip.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../main.js';
import { PgExecutor } from '../sql-shell/pg-executor.js';
import { DEFAULT_FORMAT } from '../sql-shell/result-format.js';
import { runSql, type SqlRunDependencies } from '../sql-shell/run-sql.js';
import { ShellSession } from '../sql-shell/shell-session.js';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const PASSWORD = 'tandem-test-secret';

interface Server {
  readonly dir: string;
  readonly port: number;
  readonly process: ChildProcess;
}

let server: Server;
let passwordFile: string;

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

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from the probe listener');
  return address.port;
}

/** postgres refuses to run as root: as root, run it as the postgres user (the spawned pid is the postmaster itself). */
function postgresIdentity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

async function startPostgres(): Promise<Server> {
  const identity = postgresIdentity();
  const dir = await mkdtemp(join(tmpdir(), 'tandem-sql-pg-'));
  await chmod(dir, 0o700);
  if (identity !== undefined) await chown(dir, identity.uid, identity.gid);
  const dataDir = join(dir, 'data');
  const spawnIdentity = identity ?? {};
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' };
  // Local (socket) connections are trusted so the test can set the password; TCP needs it.
  execFileSync(
    `${PG_BIN}/initdb`,
    ['-D', dataDir, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8'],
    { ...spawnIdentity, cwd: dir, env, stdio: 'pipe' },
  );
  const port = await freePort();
  const child = spawn(
    `${PG_BIN}/postgres`,
    ['-D', dataDir, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'],
    { ...spawnIdentity, cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  const started = { dir, port, process: child };
  await waitUntilReady(started, () => log);
  await runPsql(started, `alter user postgres password '${PASSWORD}'`);
  return started;
}

async function waitUntilReady(started: Server, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (started.process.exitCode !== null) throw new Error(`postgres exited at start:\n${log()}`);
    if (/ready to accept connections/.test(log())) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`postgres did not become ready in 30 s:\n${log()}`);
}

/** Setup SQL over the trusted Unix socket. */
async function runPsql(started: Server, sql: string): Promise<void> {
  const client = new Client({ host: started.dir, port: started.port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function stopPostgres(started: Server): Promise<void> {
  if (started.process.exitCode === null) {
    const exited = new Promise((resolve) => started.process.once('exit', resolve));
    // SIGINT is postgres's "fast" shutdown; the pid is the postmaster we spawned.
    process.kill(started.process.pid ?? -1, 'SIGINT');
    await exited;
  }
  await rm(started.dir, { recursive: true, force: true });
}

function connectionArgs(): string[] {
  return [
    '-h',
    '127.0.0.1',
    '-p',
    String(server.port),
    '-U',
    'postgres',
    '-d',
    'postgres',
    '--password-file',
    passwordFile,
  ];
}

async function tandemSql(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const code = await main(['node', 'tandem', 'sql', ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

beforeAll(async () => {
  // The shell honours PG* variables; the test's own environment must not steer it.
  for (const name of ['PGHOST', 'PGPORT', 'PGUSER', 'PGDATABASE', 'PGPASSWORD']) delete process.env[name];
  server = await startPostgres();
  passwordFile = join(server.dir, 'password');
  await writeFile(passwordFile, `${PASSWORD}\n`);
  await runPsql(
    server,
    `create table accounts (id int, name text, amount numeric(8,2));
     insert into accounts values (1, 'alice', 10.5), (2, null, 3), (10, 'bob', 123.45);`,
  );
});

afterAll(async () => {
  if (server !== undefined) await stopPostgres(server);
});

describe('tandem sql against PostgreSQL 15', () => {
  it('has --help and -? (-h is the host, as in psql)', async () => {
    for (const flag of ['--help', '-?']) {
      const result = await tandemSql(flag);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage: tandem sql [options] [url]');
      expect(result.stdout).toContain('-h, --host <host>');
    }
  });

  it('-c prints a SELECT as psql aligned output, NULL empty and numbers right-aligned', async () => {
    const result = await tandemSql(...connectionArgs(), '-c', 'select * from accounts order by id');
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        ' id | name  | amount ',
        '----+-------+--------',
        '  1 | alice |  10.50',
        '  2 |       |   3.00',
        ' 10 | bob   | 123.45',
        '(3 rows)',
        '',
        '',
      ].join('\n'),
    });
  });

  it('-A -t prints bare rows; several -c run in order with command tags', async () => {
    const result = await tandemSql(
      ...connectionArgs(),
      '-A',
      '-t',
      '-c',
      'create temp table scratch (x int)',
      '-c',
      'insert into scratch values (1), (2)',
      '-c',
      'select * from accounts order by id',
    );
    expect(result.stdout).toBe('CREATE TABLE\nINSERT 0 2\n1|alice|10.50\n2||3.00\n10|bob|123.45\n');
    expect(result.code).toBe(0);
  });

  it('-f runs a script whose semicolons hide in quotes, dollar quotes, comments and parentheses', async () => {
    const script = join(server.dir, 'tricky.sql');
    await writeFile(
      script,
      [
        '-- a comment; with a semicolon',
        "create temp table notes (id int, body text check (body <> ';'));",
        "insert into notes values (1, 'semi;colon'), (2, 'it''s; fine');",
        'create function pg_temp.twice(x int) returns int language plpgsql as $fn$',
        'begin',
        '  return x * 2; -- inside the body',
        'end $fn$;',
        '/* block; comment */ insert into notes values (3, $$dollar; text$$);',
        "select id, body, pg_temp.twice(id) as doubled from notes where body <> 'x;y' order by id",
        '',
      ].join('\n'),
    );
    const result = await tandemSql(...connectionArgs(), '-A', '-f', script);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [
        'CREATE TABLE',
        'INSERT 0 2',
        'CREATE FUNCTION',
        'INSERT 0 1',
        'id|body|doubled',
        '1|semi;colon|2',
        "2|it's; fine|4",
        '3|dollar; text|6',
        '(3 rows)',
        '',
      ].join('\n'),
    );
    expect(result.code).toBe(0);
  });

  it('stops at the first error with exit 1 and a psql-style ERROR with a LINE pointer', async () => {
    const result = await tandemSql(...connectionArgs(), '-c', 'select 1 as ok', '-c', 'selec 2', '-c', 'select 3');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(' ok \n----\n  1\n(1 row)\n');
    expect(result.stdout).not.toContain('3');
    expect(result.stderr).toBe('ERROR:  syntax error at or near "selec"\nLINE 1: selec 2\n        ^\n');
  });

  it('--continue-on-error runs everything but still exits 1; DETAIL lines are printed', async () => {
    const result = await tandemSql(
      ...connectionArgs(),
      '--continue-on-error',
      '-c',
      'create temp table u (id int primary key); insert into u values (1); insert into u values (1)',
      '-c',
      'select 42 as answer',
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('CREATE TABLE\nINSERT 0 1\n answer \n--------\n     42\n(1 row)\n\n');
    expect(result.stderr).toBe(
      'ERROR:  duplicate key value violates unique constraint "u_pkey"\nDETAIL:  Key (id)=(1) already exists.\n',
    );
  });

  it('prints notices and warnings to stderr', async () => {
    const result = await tandemSql(
      ...connectionArgs(),
      '-c',
      "do $$ begin raise notice 'hello %', 1; raise warning 'careful'; end $$",
    );
    expect(result).toEqual({ code: 0, stdout: 'DO\n', stderr: 'NOTICE:  hello 1\nWARNING:  careful\n' });
  });

  it('exits 2 with a could-not-connect message when nothing listens, or the password is wrong', async () => {
    const refused = await tandemSql('-h', '127.0.0.1', '-p', String(await freePort()), '-c', 'select 1');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^tandem sql: could not connect to server at "127\.0\.0\.1", port \d+: .*ECONNREFUSED/,
    );
    const wrongPassword = join(server.dir, 'wrong-password');
    await writeFile(wrongPassword, 'nope\n');
    const denied = await tandemSql(
      ...['-h', '127.0.0.1', '-p', String(server.port), '-U', 'postgres', '--password-file', wrongPassword],
      '-c',
      'select 1',
    );
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain('FATAL:  password authentication failed for user "postgres"');
  });

  it('--dir reads server.pid and sys.password; the URL form works too', async () => {
    const dbDir = join(server.dir, 'fake-db');
    await mkdir(dbDir, { recursive: true });
    await writeFile(
      join(dbDir, 'server.pid'),
      `${JSON.stringify({ pid: server.process.pid, host: '127.0.0.1', port: server.port, stage: 'OPEN' })}\n`,
    );
    await writeFile(join(dbDir, 'sys.password'), `  ${PASSWORD}\n`);
    const viaDir = await tandemSql(
      '--dir',
      dbDir,
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-A',
      '-t',
      '-c',
      'select current_user',
    );
    expect(viaDir).toEqual({ code: 0, stdout: 'postgres\n', stderr: '' });
    const url = `postgresql://postgres:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}/postgres`;
    const viaUrl = await tandemSql(url, '-A', '-t', '-c', 'select current_database()');
    expect(viaUrl).toEqual({ code: 0, stdout: 'postgres\n', stderr: '' });
    const noServer = await tandemSql('--dir', join(server.dir, 'missing'), '-c', 'select 1');
    expect(noServer.code).toBe(2);
    expect(noServer.stderr).toContain('no server is running for');
  });

  it('runs stdin as a script when it is not a terminal, with expanded output', async () => {
    const io = captureIo();
    const deps: SqlRunDependencies = {
      io,
      stdin: Readable.from(["select 1 as a, 'x;y' as b;\n\\x\nselect 2 as a;\n"]),
      stdout: process.stdout,
      env: { PGPASSWORD: PASSWORD },
      readText: (path) => readFile(path, 'utf8'),
      historyPath: undefined,
    };
    const code = await runSql(
      {
        host: '127.0.0.1',
        port: String(server.port),
        user: 'postgres',
        database: 'postgres',
        actions: [],
        format: DEFAULT_FORMAT,
        quiet: false,
        continueOnError: false,
      },
      deps,
    );
    expect(io.stderr).toBe('');
    expect(io.stdout).toBe(
      ' a |  b  \n---+-----\n 1 | x;y\n(1 row)\n\nExpanded display is on.\n-[ RECORD 1 ]\na | 2\n\n',
    );
    expect(code).toBe(0);
  });

  it('tracks the transaction in the prompt from the server state, and cancels a running statement', async () => {
    const executor = await PgExecutor.connect(
      { host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres', password: PASSWORD },
      { onNotice: () => undefined },
    );
    try {
      const io = captureIo();
      const session = new ShellSession(
        { executor, io, readText: () => Promise.reject(new Error('unused')), nowMs: () => 0 },
        { format: DEFAULT_FORMAT, timing: false, quiet: false, stopOnError: false },
      );
      expect(session.prompt()).toBe('postgres=> ');
      await session.handleLine('begin;');
      expect(session.prompt()).toBe('postgres=*> ');
      await session.handleLine('select 1/0;');
      expect(session.prompt()).toBe('postgres=!> ');
      await session.handleLine('rollback;');
      expect(session.prompt()).toBe('postgres=> ');
      const sleeping = session.handleLine('select pg_sleep(30);');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(session.busy).toBe(true);
      await executor.cancel();
      await sleeping;
      expect(io.stderr).toContain('ERROR:  division by zero\n');
      expect(io.stderr).toContain('ERROR:  canceling statement due to user request\n');
      await session.handleLine('select 5 as after_cancel;');
      expect(io.stdout).toContain('after_cancel');
    } finally {
      await executor.close();
    }
  });
});
