// The interactive line handling as a unit: lines go into the session, a fake executor
// plays the server (including its transaction state), and the test reads prompts and output.
import { describe, expect, it } from 'vitest';
import { DEFAULT_FORMAT } from './result-format.js';
import { DESCRIBE_TABLE_SQL, formatTiming, LIST_TABLES_SQL, ShellSession, splitArguments } from './shell-session.js';
import type { ExecutionOutcome, SqlExecutor, TransactionStatus } from './sql-executor.js';

/** A tiny server: knows BEGIN/COMMIT/ROLLBACK, `fail` raises an error, anything else returns its text as one row. */
class FakeExecutor implements SqlExecutor {
  readonly info = { host: '127.0.0.1', port: 5544, user: 'sys', database: 'tandem' };
  readonly executed: string[] = [];
  readonly withParams: { sql: string; params: readonly string[] }[] = [];
  status: TransactionStatus = 'idle';

  execute(sql: string): Promise<ExecutionOutcome> {
    this.executed.push(sql);
    const word = sql.trim().replace(/;$/, '').toLowerCase();
    if (this.status === 'failed' && word !== 'rollback') {
      return this.#error('current transaction is aborted, commands ignored until end of transaction block');
    }
    if (word === 'begin') {
      this.status = 'in-transaction';
      return Promise.resolve({ results: [{ commandTag: 'BEGIN', rows: undefined }], error: undefined });
    }
    if (word === 'commit' || word === 'rollback') {
      this.status = 'idle';
      return Promise.resolve({ results: [{ commandTag: word.toUpperCase(), rows: undefined }], error: undefined });
    }
    if (word.startsWith('fail')) return this.#error('boom');
    const rows = { columns: [{ name: 'text', typeOid: 25 }], rows: [[sql]] };
    return Promise.resolve({ results: [{ commandTag: 'SELECT 1', rows }], error: undefined });
  }

  executeWithParams(sql: string, params: readonly string[]): Promise<ExecutionOutcome> {
    this.withParams.push({ sql, params });
    return Promise.resolve({ results: [], error: undefined });
  }

  #error(message: string): Promise<ExecutionOutcome> {
    if (this.status === 'in-transaction') this.status = 'failed';
    return Promise.resolve({ results: [], error: { severity: 'ERROR', message } });
  }

  transactionStatus(): TransactionStatus {
    return this.status;
  }

  cancel(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function makeSession(options: { stopOnError?: boolean; files?: Record<string, string> } = {}) {
  const executor = new FakeExecutor();
  const output = { stdout: '', stderr: '' };
  let clockMs = 0;
  const session = new ShellSession(
    {
      executor,
      io: {
        out: (text) => {
          output.stdout += text;
        },
        err: (text) => {
          output.stderr += text;
        },
      },
      readText: (path) => {
        const text = options.files?.[path];
        return text === undefined ? Promise.reject(new Error('no such file')) : Promise.resolve(text);
      },
      nowMs: () => (clockMs += 1.5),
    },
    { format: DEFAULT_FORMAT, timing: false, quiet: false, stopOnError: options.stopOnError ?? false },
  );
  return { session, executor, output };
}

describe('ShellSession line handling', () => {
  it('shows =, - and quote prompts while a statement spans lines, and runs it at the semicolon', async () => {
    const { session, executor } = makeSession();
    expect(session.prompt()).toBe('tandem=> ');
    await session.handleLine('select');
    expect(session.prompt()).toBe('tandem-> ');
    await session.handleLine("  'a;");
    expect(session.prompt()).toBe("tandem'> ");
    expect(executor.executed).toEqual([]);
    await session.handleLine("b'; select 2;");
    expect(executor.executed).toEqual(["select\n  'a;\nb';", 'select 2;']);
    expect(session.prompt()).toBe('tandem=> ');
  });

  it('shows the transaction state in the prompt: *, then ! after an error, then clean after ROLLBACK', async () => {
    const { session, output } = makeSession();
    await session.handleLine('begin;');
    expect(session.prompt()).toBe('tandem=*> ');
    await session.handleLine('select');
    expect(session.prompt()).toBe('tandem-*> ');
    await session.handleLine('1;');
    await session.handleLine('fail;');
    expect(session.prompt()).toBe('tandem=!> ');
    expect(output.stderr).toBe('ERROR:  boom\n');
    await session.handleLine('rollback;');
    expect(session.prompt()).toBe('tandem=> ');
    expect(output.stdout).toContain('BEGIN\n');
    expect(output.stdout).toContain('ROLLBACK\n');
  });

  it('clears a half-typed statement on Ctrl-C', async () => {
    const { session, executor } = makeSession();
    await session.handleLine('select oops');
    session.clearInput();
    expect(session.prompt()).toBe('tandem=> ');
    await session.handleLine('select 1;');
    expect(executor.executed).toEqual(['select 1;']);
  });

  it('runs meta-commands: \\x, \\timing, \\echo, \\conninfo, \\q and rejects unknown ones', async () => {
    const { session, output } = makeSession();
    await session.handleLine('\\x');
    expect(session.settings.format.expanded).toBe(true);
    await session.handleLine('\\timing on');
    await session.handleLine('select 1;');
    expect(output.stdout).toContain('-[ RECORD 1 ]');
    expect(output.stdout).toContain('Time: 1.500 ms\n');
    await session.handleLine("\\echo hello 'big world'");
    expect(output.stdout).toContain('hello big world\n');
    await session.handleLine('\\conninfo');
    expect(output.stdout).toContain(
      'You are connected to database "tandem" as user "sys" on host "127.0.0.1" at port "5544".',
    );
    await session.handleLine('\\foo');
    expect(output.stderr).toBe('invalid command \\foo\nTry \\? for help.\n');
    expect(session.errorCount).toBe(1);
    expect(await session.handleLine('\\q')).toBe('quit');
  });

  it('maps \\dt and \\d NAME to the user_tables and user_tab_columns queries', async () => {
    const { session, executor } = makeSession();
    await session.handleLine('\\dt');
    await session.handleLine('\\d accounts');
    expect(executor.withParams).toEqual([
      { sql: LIST_TABLES_SQL, params: [] },
      { sql: DESCRIBE_TABLE_SQL, params: ['accounts'] },
    ]);
  });

  it('sends the buffer with \\g after SQL on the same line, and \\g alone repeats the last query', async () => {
    const { session, executor, output } = makeSession();
    await session.handleLine('select 7 \\g');
    await session.handleLine('\\g');
    expect(executor.executed).toEqual(['select 7 \n', 'select 7 \n']);
    await session.handleLine('select 8');
    await session.handleLine('\\p');
    expect(output.stdout).toContain('select 8\n');
    await session.handleLine('\\r');
    expect(session.prompt()).toBe('tandem=> ');
  });

  it('runs a script with \\i, prefixes errors with file and line, and stops on error when asked', async () => {
    const { session, executor, output } = makeSession({
      stopOnError: true,
      files: { '/scripts/inner.sql': 'select 1;\n\nfail;\nselect 3;\n' },
    });
    expect(await session.handleLine('\\i /scripts/inner.sql')).toBe('stop');
    expect(executor.executed).toEqual(['select 1;', 'fail;']);
    expect(output.stderr).toBe('tandem sql:/scripts/inner.sql:3: ERROR:  boom\n');
  });

  it('runs the last statement of a script even without a semicolon', async () => {
    const { session, executor } = makeSession();
    expect(await session.runScript('select 1;\nselect 2\n', 'x.sql')).toBe('continue');
    expect(executor.executed).toEqual(['select 1;', 'select 2\n']);
  });
});

describe('helpers', () => {
  it('splits meta-command arguments with single quotes', () => {
    expect(splitArguments("a 'b c' 'it''s'")).toEqual(['a', 'b c', "it's"]);
  });

  it('formats timings as psql does', () => {
    expect(formatTiming(1.2345)).toBe('Time: 1.234 ms');
    expect(formatTiming(61_234.5)).toBe('Time: 61234.500 ms (01:01.234)');
  });
});
