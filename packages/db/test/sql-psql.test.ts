// psql as scripts use it against the real server: -c and -f with ON_ERROR_STOP, the exact
// aligned output of a small result, unaligned tuples-only output, \copy in both
// directions, exit codes on errors (3 for a script stopped by ON_ERROR_STOP, 1 for -c),
// single-transaction scripts, variables, and \conninfo.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type CommandResult, type TestServer } from './sql-server.js';

let db: TestServer;
let scripts = '';

beforeAll(async () => {
  db = await startTestServer();
  scripts = await mkdtemp(join(tmpdir(), 'tandem-psql-'));
});

afterAll(async () => {
  await db?.stop();
  if (scripts !== '') await rm(scripts, { recursive: true, force: true });
});

/** psql -X -v ON_ERROR_STOP=1 <url> ...args */
function psql(args: readonly string[], input?: string): Promise<CommandResult> {
  return db.run('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-d', db.url, ...args], input === undefined ? {} : { input });
}

async function script(name: string, text: string): Promise<string> {
  const path = join(scripts, name);
  await writeFile(path, text);
  return path;
}

describe('psql -f scripts', () => {
  it('creates, inserts, queries (exact aligned output) and copies with \\copy', async () => {
    const data = await script('fruit.tsv', '4\tdate\t3.00\n5\telder\\tberry\t\\N\n');
    const path = await script(
      'fruit.sql',
      [
        'create table fruit (id int primary key, name text not null, price numeric(6,2));',
        "insert into fruit values (1, 'apple', 1.25), (2, 'banana', 0.5), (3, 'cherry', null);",
        'select id, name, price from fruit order by id;',
        `\\copy fruit from '${data}'`,
        'select count(*) as n from fruit;',
        '\\copy (select id, name, price from fruit where id >= 4 order by id) to stdout',
        '',
      ].join('\n'),
    );
    const result = await psql(['-f', path]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'CREATE TABLE',
        'INSERT 0 3',
        ' id |  name  | price ',
        '----+--------+-------',
        '  1 | apple  |  1.25',
        '  2 | banana |  0.50',
        '  3 | cherry |      ',
        '(3 rows)',
        '',
        'COPY 2',
        ' n ',
        '---',
        ' 5',
        '(1 row)',
        '',
        '4\tdate\t3.00',
        '5\telder\\tberry\t\\N',
        '',
      ].join('\n'),
    );
  });

  it('stops at the first error with ON_ERROR_STOP: exit code 3, ERROR:  TDB-..., nothing after it runs', async () => {
    const path = await script(
      'broken.sql',
      [
        'create table broken_before (id int primary key);',
        'insert into broken_before values (1);',
        'select nope from broken_before;',
        'create table broken_after (id int primary key);',
        "select 'not reached';",
        '',
      ].join('\n'),
    );
    const result = await psql(['-f', path]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(new RegExp(`psql:${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3: ERROR: {2}TDB-`));
    expect(result.stderr).toContain('"nope"');
    expect(result.stdout).not.toContain('not reached');
    const check = await psql([
      '-A',
      '-t',
      '-c',
      "select count(*) from user_tables where table_name in ('broken_before', 'broken_after')",
    ]);
    expect(check.stdout).toBe('1\n');
  });

  it('goes on after an error without ON_ERROR_STOP (exit code 0)', async () => {
    const path = await script('lenient.sql', "select * from no_such_table;\nselect 'reached' as r;\n");
    const result = await db.run('psql', ['-X', '-A', '-t', '-d', db.url, '-f', path]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/ERROR: {2}TDB-\d+: relation "no_such_table" does not exist/);
    expect(result.stdout).toBe('reached\n');
  });

  it('a single-transaction script (-1) that fails leaves nothing behind', async () => {
    expect((await psql(['-c', 'create table single_t (id int primary key)'])).code).toBe(0);
    const path = await script(
      'single.sql',
      'insert into single_t values (1);\ninsert into single_t values (2);\ninsert into single_t values (1);\n',
    );
    const failed = await psql(['-1', '-f', path]);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toMatch(/ERROR: {2}TDB-/);
    expect((await psql(['-A', '-t', '-c', 'select count(*) from single_t'])).stdout).toBe('0\n');
    const good = await script(
      'single-good.sql',
      'insert into single_t values (1);\ninsert into single_t values (2);\n',
    );
    expect((await psql(['-1', '-f', good])).code).toBe(0);
    expect((await psql(['-A', '-t', '-c', 'select count(*) from single_t'])).stdout).toBe('2\n');
  });

  it('reads a script from standard input and interpolates variables', async () => {
    const result = await db.run(
      'psql',
      ['-X', '-v', 'ON_ERROR_STOP=1', '-v', 'who=world', '-v', 'n=41', '-A', '-t', '-d', db.url],
      { input: "select 'hello ' || :'who' as greeting;\nselect :n + 1 as answer;\n" },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('hello world\n42\n');
  });
});

describe('psql -c', () => {
  it('prints unaligned, tuples-only output with -A -t (and a field separator and NULL display)', async () => {
    expect(
      (
        await psql([
          '-c',
          'create table at_t (id int primary key, name text, note text)',
          '-c',
          "insert into at_t values (1, 'one', null), (2, 'two', 'x y'), (3, 'three', '')",
        ])
      ).code,
    ).toBe(0);
    const plain = await psql(['-A', '-t', '-c', 'select id, name, note from at_t order by id']);
    expect(plain.stderr).toBe('');
    expect(plain.stdout).toBe('1|one|\n2|two|x y\n3|three|\n');
    const csvish = await psql([
      '-A',
      '-t',
      '-F',
      ',',
      '-P',
      'null=<null>',
      '-c',
      'select id, name, note from at_t order by id',
    ]);
    expect(csvish.stdout).toBe('1,one,<null>\n2,two,x y\n3,three,\n');
    const csv = await psql(['--csv', '-c', 'select id, name, note from at_t where id <= 2 order by id']);
    expect(csv.stdout).toBe('id,name,note\n1,one,\n2,two,x y\n');
  });

  it('exits 1 on an error in -c and prints ERROR:  TDB-...', async () => {
    const result = await psql(['-c', 'selec 1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ERROR: {2}TDB-\d+: /m);
  });

  it('\\conninfo describes the connection', async () => {
    const result = await psql(['-c', '\\conninfo']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `You are connected to database "tandem" as user "sys" on host "127.0.0.1" at port "${db.port}".\n`,
    );
  });

  it('runs a transaction block across several -c commands in one session', async () => {
    const result = await psql([
      '-A',
      '-t',
      '-c',
      'create table multi_t (id int primary key)',
      '-c',
      'begin',
      '-c',
      'insert into multi_t values (1)',
      '-c',
      'rollback',
      '-c',
      'insert into multi_t values (2)',
      '-c',
      "select string_agg(id::text, ',') from multi_t",
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').at(-1)).toBe('2');
  });
});
