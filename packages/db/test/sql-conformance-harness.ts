// The harness of the SQL conformance suites (sql-conformance-*.test.ts): table-driven cases,
// each a statement and what PostgreSQL 15 answers for it (rows as text, column names, or the
// SQLSTATE of its error), run in order through node-postgres against a tandem-db server.
//
// The expected values were taken from a real PostgreSQL 15.18 server. To check a suite against
// PostgreSQL again, point it at one: TANDEM_CONFORMANCE_PG=postgresql://postgres@127.0.0.1:5432/db
// (a scratch database: the suites create and drop tables). Then the TDB-nnnn message codes and
// the Tandem-only cases (marked `tandemOnly`) are skipped.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './sql-server.js';

/** A result value as the server sent it in text format, or null. */
export type Cell = string | null;

export interface ConformanceCase {
  readonly sql: string;
  /** Parameters ($1, ...), sent as text. */
  readonly values?: readonly (string | null)[];
  /** The rows, each value in PostgreSQL's text output format. */
  readonly rows?: readonly (readonly Cell[])[];
  /** The result column names. */
  readonly columns?: readonly string[];
  /** The command tag (e.g. 'INSERT 0 2'). */
  readonly command?: string;
  /** The error: its SQLSTATE, and the TDB code Tandem's message starts with. */
  readonly error?: { readonly code: string; readonly tdb: string };
  /** Tandem's own syntax or catalog (Oracle-style DUAL, v$ views...): not run against PostgreSQL. */
  readonly tandemOnly?: boolean;
}

export interface Conformance {
  readonly target: 'tandem' | 'postgres';
  /** The tandem-db server (undefined when the suite runs against PostgreSQL). */
  readonly server: TestServer | undefined;
  /** The suite's main connection; its cases run on it in order. */
  readonly client: pg.Client;
  /** Another connection to the same database. */
  connect(): Promise<pg.Client>;
  stop(): Promise<void>;
}

/** Where the suites run: PostgreSQL when TANDEM_CONFORMANCE_PG names one, else a tandem-db server. */
export function conformanceTarget(): 'tandem' | 'postgres' {
  const pgUrl = process.env.TANDEM_CONFORMANCE_PG;
  return pgUrl !== undefined && pgUrl !== '' ? 'postgres' : 'tandem';
}

export async function openConformance(): Promise<Conformance> {
  const pgUrl = process.env.TANDEM_CONFORMANCE_PG;
  if (pgUrl !== undefined && pgUrl !== '') {
    const opened: pg.Client[] = [];
    const connect = async (): Promise<pg.Client> => {
      const client = new pg.Client({ connectionString: pgUrl });
      client.on('error', () => undefined);
      await client.connect();
      opened.push(client);
      return client;
    };
    const client = await connect();
    return {
      target: 'postgres',
      server: undefined,
      client,
      connect,
      async stop() {
        await Promise.all(opened.map((c) => c.end().catch(() => undefined)));
      },
    };
  }
  const server = await startTestServer();
  const client = await server.client();
  return { target: 'tandem', server, client, connect: () => server.client(), stop: () => server.stop() };
}

/** Type parsers that leave every value as the text the server sent. */
export const RAW_TEXT: pg.CustomTypesConfig = {
  getTypeParser: () => (value: string) => value,
};

export interface RawResult {
  readonly rows: Cell[][];
  readonly columns: string[];
  readonly command: string;
}

/** Runs one statement and returns its rows as text arrays. */
export async function query(client: pg.Client, text: string, values?: readonly (string | null)[]): Promise<RawResult> {
  const result = await client.query<Cell[]>({
    text,
    ...(values === undefined ? {} : { values: [...values] }),
    rowMode: 'array',
    types: RAW_TEXT,
  });
  const command = result.command === 'INSERT' ? `INSERT 0 ${result.rowCount ?? 0}` : result.command;
  const withCount = ['UPDATE', 'DELETE', 'SELECT', 'MERGE', 'COPY', 'FETCH', 'MOVE'].includes(result.command)
    ? `${result.command} ${result.rowCount ?? 0}`
    : command;
  return { rows: result.rows, columns: result.fields.map((field) => field.name), command: withCount };
}

/** The error a statement fails with (the test fails if it succeeds). */
export async function failure(
  client: pg.Client,
  text: string,
  values?: readonly (string | null)[],
): Promise<{ code: string; message: string }> {
  try {
    await query(client, text, values);
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    return { code: code ?? '', message };
  }
  throw new Error(`expected an error from: ${text}`);
}

/** Asserts an error's SQLSTATE and, on tandem, the TDB code in its message. */
export async function expectFailure(
  conformance: Conformance,
  text: string,
  expected: { code: string; tdb: string },
  client: pg.Client = conformance.client,
): Promise<void> {
  const error = await failure(client, text);
  expect(error.code, `${text}: ${error.message}`).toBe(expected.code);
  if (conformance.target === 'tandem') expect(error.message).toContain(expected.tdb);
}

/** Runs one case on the suite's connection and checks what it declares. */
export async function runCase(conformance: Conformance, testCase: ConformanceCase): Promise<void> {
  if (testCase.tandemOnly === true && conformance.target !== 'tandem') return;
  const { client } = conformance;
  if (testCase.error !== undefined) {
    const error = await failure(client, testCase.sql, testCase.values);
    expect(error.code, `${testCase.sql}: ${error.message}`).toBe(testCase.error.code);
    if (conformance.target === 'tandem') expect(error.message).toContain(testCase.error.tdb);
    return;
  }
  const result = await query(client, testCase.sql, testCase.values);
  if (testCase.rows !== undefined) expect(result.rows).toEqual(testCase.rows);
  if (testCase.columns !== undefined) expect(result.columns).toEqual(testCase.columns);
  if (testCase.command !== undefined) expect(result.command).toBe(testCase.command);
}

/** A short test name for a case. */
export function caseName(testCase: ConformanceCase): string {
  const text = testCase.sql.replace(/\s+/g, ' ').trim();
  return text.length > 110 ? `${text.slice(0, 107)}...` : text;
}

/** Shorthand for a statement that must succeed and whose result is not checked. */
export function ok(sql: string): ConformanceCase {
  return { sql };
}

/** Shorthand for rows. */
export function rows(
  sql: string,
  expected: readonly (readonly Cell[])[],
  columns?: readonly string[],
): ConformanceCase {
  return { sql, rows: expected, ...(columns === undefined ? {} : { columns }) };
}

/** Shorthand for an error. */
export function fails(sql: string, code: string, tdb: string): ConformanceCase {
  return { sql, error: { code, tdb } };
}

/**
 * The suites of one conformance file: one server and connection for the file, `tables`
 * dropped before and after (so a rerun against PostgreSQL starts clean), and `setup` and
 * `teardown` for what else the file needs. `conformance()` is the file's connection once
 * its suites run.
 */
export function conformanceFile(options: {
  readonly tables: string;
  readonly setup?: (conformance: Conformance) => Promise<void>;
  readonly teardown?: (conformance: Conformance) => Promise<void>;
}): { suite: (name: string, cases: readonly ConformanceCase[]) => void; conformance: () => Conformance } {
  let opened: Conformance | undefined;
  const conformance = (): Conformance => {
    if (opened === undefined) throw new Error('the conformance connection is opened in beforeAll');
    return opened;
  };
  beforeAll(async () => {
    opened = await openConformance();
    await query(opened.client, `DROP TABLE IF EXISTS ${options.tables}`);
    await options.setup?.(opened);
  });
  afterAll(async () => {
    const db = conformance();
    await options.teardown?.(db);
    await query(db.client, `DROP TABLE IF EXISTS ${options.tables}`).catch(() => undefined);
    await db.stop();
  });
  const suite = (name: string, cases: readonly ConformanceCase[]): void => {
    describe(name, () => {
      for (const testCase of cases) it(caseName(testCase), () => runCase(conformance(), testCase));
    });
  };
  return { suite, conformance };
}
