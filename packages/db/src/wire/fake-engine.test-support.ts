// A fake engine for the protocol tests: a handful of statements, enough to drive every path
// of the wire layer (rows, errors, cancel, COPY, transactions, parameters), and checks that
// the layer keeps the contract (calls never overlap; close exactly once).

import { DbError } from '../errors.js';
import type {
  Engine,
  EngineSession,
  ExecuteResult,
  FieldDescription,
  Portal,
  PreparedStatement,
  QueryOutput,
  ScramVerifier,
  StartupRequest,
  TransactionStatus,
} from './engine.js';
import { createScramVerifier } from './scram.js';

export const INT4_OID = 23;
export const TEXT_OID = 25;
export const BYTEA_OID = 17;

function field(name: string, typeOid: number, format: 0 | 1 = 0): FieldDescription {
  const typeSize = typeOid === INT4_OID ? 4 : -1;
  return { name, tableOid: 0, columnNumber: 0, typeOid, typeSize, typeModifier: -1, format };
}

/** What one statement of the fake SQL is. */
type Statement =
  | { kind: 'select'; rows: number }
  | { kind: 'echo'; parameters: number }
  | { kind: 'fail' }
  | { kind: 'sleep' }
  | { kind: 'copy-in' }
  | { kind: 'copy-out'; lines: number }
  | { kind: 'begin' }
  | { kind: 'commit' }
  | { kind: 'rollback' }
  | { kind: 'notice' }
  | { kind: 'set'; name: string; value: string }
  | { kind: 'empty' };

/**
 * The fake SQL: `select N` (N rows of int4), `select $1, $2...` (echoes its parameters),
 * `fail` (division by zero), `sleep` (until canceled), `copy in`, `copy out N`, `begin`,
 * `commit`, `rollback`, `notice`, `set NAME = VALUE`; anything else is a syntax error.
 */
function parseStatement(sql: string): Statement {
  const text = sql.trim().replace(/;$/, '').trim().toLowerCase();
  if (text === '') return { kind: 'empty' };
  let match = /^select (\d+)$/.exec(text);
  if (match !== null) return { kind: 'select', rows: Number(match[1]) };
  match = /^select (\$\d+(?:::\w+)?(?:\s*,\s*\$\d+(?:::\w+)?)*)$/.exec(text);
  if (match !== null) return { kind: 'echo', parameters: match[1].split(',').length };
  match = /^copy out (\d+)$/.exec(text);
  if (match !== null) return { kind: 'copy-out', lines: Number(match[1]) };
  match = /^set (\w+)\s*(?:=|to)\s*'?([^']*)'?$/.exec(sql.trim());
  if (match !== null) return { kind: 'set', name: match[1], value: match[2] };
  switch (text) {
    case 'fail':
    case 'sleep':
    case 'begin':
    case 'commit':
    case 'rollback':
    case 'notice':
      return { kind: text };
    case 'copy in':
      return { kind: 'copy-in' };
  }
  throw new DbError('SYNTAX_ERROR', `syntax error at or near "${sql.trim().split(/\s+/)[0]}"`);
}

interface FakeStatement extends PreparedStatement {
  readonly statement: Statement;
}

interface FakePortal extends Portal {
  readonly statement: Statement;
  readonly values: readonly (Uint8Array | null)[];
  readonly valueFormats: readonly number[];
  /** Rows of a `select N` sent so far (a suspended portal resumes here). */
  position: number;
}

function formatOf(formats: readonly number[], index: number): number {
  if (formats.length === 0) return 0;
  return formats.length === 1 ? formats[0] : (formats[index] ?? 0);
}

export class FakeSession implements EngineSession {
  readonly request: StartupRequest;
  transactionStatus: TransactionStatus = 'idle';
  readonly parameters = new Map<string, string>([
    ['server_version', '15.0 (Tandem)'],
    ['server_encoding', 'UTF8'],
    ['client_encoding', 'UTF8'],
    ['DateStyle', 'ISO, MDY'],
    ['integer_datetimes', 'on'],
    ['standard_conforming_strings', 'on'],
    ['application_name', ''],
  ]);
  closeCount = 0;
  cancelCount = 0;
  /** Calls that began while another was running: the layer must keep this 0. */
  overlaps = 0;
  readonly copiedIn: Buffer[] = [];
  readonly closedStatements: PreparedStatement[] = [];
  readonly closedPortals: Portal[] = [];
  #running = false;
  #cancel: (() => void) | undefined;
  #explicit = false;

  constructor(request: StartupRequest) {
    this.request = request;
    const applicationName = request.parameters.get('application_name');
    if (applicationName !== undefined) this.parameters.set('application_name', applicationName);
  }

  /** A `sleep` statement is running, waiting for cancel(). */
  get sleeping(): boolean {
    return this.#cancel !== undefined;
  }

  parameterStatus(): ReadonlyMap<string, string> {
    return this.parameters;
  }

  async simpleQuery(sql: string, out: QueryOutput): Promise<void> {
    await this.#guard(async () => {
      const statements = sql.split(';').filter((part) => part.trim() !== '');
      if (statements.length === 0) {
        out.emptyQuery();
        return;
      }
      for (const text of statements) {
        const statement = parseStatement(text);
        if (statement.kind === 'echo') throw new DbError('UNDEFINED_PARAMETER', 'there is no parameter $1');
        await this.#run(statement, out, { describe: true, values: [], formats: [], maxRows: 0, position: 0 });
      }
    });
  }

  async prepare(sql: string, parameterTypes: readonly number[]): Promise<PreparedStatement> {
    return this.#guard(() => {
      const statement = parseStatement(sql);
      const count = statement.kind === 'echo' ? statement.parameters : 0;
      const types = Array.from({ length: count }, (_, i) => parameterTypes[i] || TEXT_OID);
      const prepared: FakeStatement = { statement, parameterTypes: types, fields: fieldsOf(statement, types, []) };
      return Promise.resolve(prepared);
    });
  }

  async bind(
    prepared: PreparedStatement,
    parameters: readonly (Uint8Array | null)[],
    parameterFormats: readonly number[],
    resultFormats: readonly number[],
  ): Promise<Portal> {
    return this.#guard(() => {
      const { statement, parameterTypes } = prepared as FakeStatement;
      if (parameters.length !== parameterTypes.length) {
        throw new DbError(
          'PROTOCOL_VIOLATION',
          `bind message supplies ${parameters.length} parameters, but prepared statement requires ${parameterTypes.length}`,
        );
      }
      const types = parameters.map((_, i) => (formatOf(parameterFormats, i) === 1 ? BYTEA_OID : TEXT_OID));
      const portal: FakePortal = {
        statement,
        values: parameters,
        valueFormats: parameterFormats,
        fields: fieldsOf(statement, types, resultFormats),
        position: 0,
      };
      return Promise.resolve(portal);
    });
  }

  async execute(portal: Portal, maxRows: number, out: QueryOutput): Promise<ExecuteResult> {
    return this.#guard(async () => {
      const fake = portal as FakePortal;
      const result = await this.#run(fake.statement, out, {
        describe: false,
        values: fake.values,
        formats: fake.valueFormats,
        maxRows,
        position: fake.position,
      });
      fake.position = result.position;
      return result.suspended ? 'suspended' : 'complete';
    });
  }

  closeStatement(statement: PreparedStatement): void {
    this.closedStatements.push(statement);
  }

  closePortal(portal: Portal): void {
    this.closedPortals.push(portal);
  }

  async sync(failed: boolean): Promise<void> {
    await this.#guard(() => {
      if (failed && this.#explicit) this.transactionStatus = 'failed';
      return Promise.resolve();
    });
  }

  cancel(): void {
    this.cancelCount++;
    this.#cancel?.();
  }

  close(): Promise<void> {
    this.closeCount++;
    this.#cancel?.();
    return Promise.resolve();
  }

  async #guard<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running) this.overlaps++;
    this.#running = true;
    try {
      return await work();
    } catch (error) {
      // An error fails an explicit transaction; an implicit one just rolls back.
      if (this.#explicit) this.transactionStatus = 'failed';
      throw error;
    } finally {
      this.#running = false;
    }
  }

  async #run(
    statement: Statement,
    out: QueryOutput,
    context: {
      describe: boolean;
      values: readonly (Uint8Array | null)[];
      formats: readonly number[];
      maxRows: number;
      position: number;
    },
  ): Promise<{ suspended: boolean; position: number }> {
    const done = { suspended: false, position: 0 };
    if (this.transactionStatus === 'failed' && statement.kind !== 'rollback' && statement.kind !== 'commit') {
      throw new DbError(
        'IN_FAILED_TRANSACTION',
        'current transaction is aborted, commands ignored until end of transaction block',
      );
    }
    switch (statement.kind) {
      case 'empty':
        out.emptyQuery();
        return done;
      case 'select': {
        if (context.describe) out.rowDescription([field('n', INT4_OID)]);
        const end = context.maxRows > 0 ? Math.min(statement.rows, context.position + context.maxRows) : statement.rows;
        for (let row = context.position + 1; row <= end; row++) {
          const pending = out.dataRow([Buffer.from(String(row))]);
          if (pending !== undefined) await pending;
        }
        if (end < statement.rows) return { suspended: true, position: end };
        out.commandComplete(`SELECT ${end - context.position}`);
        return { suspended: false, position: end };
      }
      case 'echo': {
        const values = context.values.map((value, i) => {
          if (value === null || formatOf(context.formats, i) === 0) return value;
          return Buffer.from(`\\x${Buffer.from(value).toString('hex')}`);
        });
        await out.dataRow(values);
        out.commandComplete('SELECT 1');
        return done;
      }
      case 'fail':
        throw new DbError('DIVISION_BY_ZERO', 'division by zero');
      case 'sleep':
        await new Promise<void>((resolve) => (this.#cancel = resolve));
        this.#cancel = undefined;
        throw new DbError('QUERY_CANCELED', 'canceling statement due to user request');
      case 'copy-in': {
        let bytes = 0;
        for await (const chunk of out.copyIn({ columns: 1 })) {
          bytes += chunk.length;
          this.copiedIn.push(Buffer.from(chunk));
        }
        out.commandComplete(`COPY ${bytes}`);
        return done;
      }
      case 'copy-out': {
        const copy = out.copyOut({ columns: 1 });
        for (let line = 1; line <= statement.lines; line++) await copy.data(Buffer.from(`${line}\n`));
        copy.end();
        out.commandComplete(`COPY ${statement.lines}`);
        return done;
      }
      case 'begin':
        this.#explicit = true;
        this.transactionStatus = 'in transaction';
        out.commandComplete('BEGIN');
        return done;
      case 'commit':
      case 'rollback': {
        const tag = statement.kind === 'commit' && this.transactionStatus !== 'failed' ? 'COMMIT' : 'ROLLBACK';
        this.#explicit = false;
        this.transactionStatus = 'idle';
        out.commandComplete(tag);
        return done;
      }
      case 'notice':
        out.notice({ severity: 'NOTICE', sqlState: '00000', message: 'hello from the engine', hint: 'a hint' });
        out.commandComplete('DO');
        return done;
      case 'set':
        this.parameters.set(statement.name, statement.value);
        out.commandComplete('SET');
        return done;
    }
  }
}

function fieldsOf(
  statement: Statement,
  parameterTypes: readonly number[],
  resultFormats: readonly number[],
): FieldDescription[] | null {
  switch (statement.kind) {
    case 'select':
      return [field('n', INT4_OID, formatOf(resultFormats, 0) === 1 ? 1 : 0)];
    case 'echo':
      return parameterTypes.map((type, i) => field(`p${i + 1}`, type, formatOf(resultFormats, i) === 1 ? 1 : 0));
    default:
      return null;
  }
}

export class FakeEngine implements Engine {
  readonly sessions: FakeSession[] = [];
  readonly #verifiers = new Map<string, ScramVerifier>();

  /** `users` maps a user name to its password; 1024 iterations keep the tests quick. */
  constructor(users: Readonly<Record<string, string>> = {}, iterations = 1024) {
    for (const [user, password] of Object.entries(users)) {
      this.#verifiers.set(user, createScramVerifier(password, { iterations }));
    }
  }

  verifierFor(user: string): Promise<ScramVerifier | undefined> {
    return Promise.resolve(this.#verifiers.get(user));
  }

  startSession(request: StartupRequest): Promise<EngineSession> {
    if (request.database === 'nosuchdb') {
      return Promise.reject(new DbError('UNKNOWN_DATABASE', `database "${request.database}" does not exist`));
    }
    const session = new FakeSession(request);
    this.sessions.push(session);
    return Promise.resolve(session);
  }

  /** The sum over all sessions of calls that overlapped: must stay 0. */
  get overlaps(): number {
    return this.sessions.reduce((sum, session) => sum + session.overlaps, 0);
  }
}
