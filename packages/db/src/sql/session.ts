// A client's SQL session: the transaction state machine PostgreSQL clients expect
// (autocommit, BEGIN ... COMMIT, the failed state after an error until ROLLBACK, implicit
// transactions over a multi-statement query or an extended-protocol cycle), statement
// snapshots for read consistency, table locks, session settings, and the conversion of
// parameters and results to and from their wire formats.
import { DbError } from '../errors.js';
import type { Session } from '../instance/instance.js';
import type { Transaction } from '../txn/transactions.js';
import type {
  EngineSession,
  ExecuteResult,
  FieldDescription,
  Portal,
  PreparedStatement,
  QueryOutput,
  TransactionStatus,
} from '../wire/engine.js';
import type * as ast from './ast.js';
import { copyFrom, copyTo } from './copy.js';
import { prepareDelete, prepareInsert, prepareQuery, prepareUpdate, type Executable } from './dml.js';
import {
  numberLiteralValue,
  ParameterTypes,
  type ExecEnv,
  type ExecServices,
  type Row,
  type ScopeColumn,
} from './expr.js';
import { isCacheable, literalShape, parameterize, type LiteralShape } from './literal-parameters.js';
import { explainPlan } from './plan-nodes.js';
import { parse, type ParsedStatement } from './parser.js';
import { Planner } from './planner.js';
import { SessionSettings } from './settings.js';
import { decodeBinary, encodeBinary } from './types/binary-io.js';
import type { EvalContext } from './types/context.js';
import { formatText, parseText } from './types/text-io.js';
import { T, typeByOid, typeInfo, typeOid, type SqlType } from './types/types.js';
import type { SqlValue } from './types/value.js';
import type { SqlEngine } from './engine.js';

/** A statement made by Parse (or by a simple Query, unnamed and used once). */
/** Shared plans a session keeps (oldest out first). */
const SHARED_PLANS_MAX = 256;

/** A plan shared by every query string of one shape, and how its literals feed its parameters. */
interface SharedPlan {
  readonly prepared: SqlPrepared;
  readonly parameterCount: number;
  /** One entry per literal token of the shape, in source order. */
  readonly literals: readonly (
    | { readonly kind: 'kept'; readonly value: string }
    | { readonly kind: 'string'; readonly parameter: number }
    | { readonly kind: 'number'; readonly parameter: number; readonly negate: boolean; readonly type: SqlType }
  )[];
}

/** How long a statement may keep the event loop to itself before it yields (ms). */
const YIELD_EVERY_MS = 10;

class SqlPrepared implements PreparedStatement {
  parameterTypes: number[] = [];
  fields: FieldDescription[] | null = null;
  sqlParameterTypes: SqlType[] = [];
  executable: Executable | undefined;
  /** The catalog version the plan was made under; a DDL since then re-plans. */
  catalogVersion = -1;

  constructor(
    readonly parsed: ParsedStatement | undefined,
    readonly givenTypes: readonly (SqlType | undefined)[],
  ) {}

  get statement(): ast.Statement | undefined {
    return this.parsed?.statement;
  }
}

type Encoder = (value: SqlValue) => Uint8Array;

class SqlPortal implements Portal {
  fields: FieldDescription[] | null;
  iterator: AsyncGenerator<Row, string> | undefined;
  statementState: StatementState | undefined;
  done = false;
  /** The statement's text as this client sent it (a shared plan's own text has other literals). */
  text: string | undefined;

  constructor(
    readonly prepared: SqlPrepared,
    readonly params: readonly SqlValue[],
    readonly encoders: readonly Encoder[],
    fields: FieldDescription[] | null,
  ) {
    this.fields = fields;
  }
}

/** What a running statement holds until it ends. */
interface StatementState {
  readonly snapshot: number | undefined;
  readonly env: ExecEnv;
}

export class SqlSession implements EngineSession {
  readonly id: number;
  readonly user: string;
  readonly #engine: SqlEngine;
  /** The instance's session: from the start when OPEN, attached at the first statement after OPEN otherwise. */
  #instanceSession: Session | undefined;
  readonly settings: SessionSettings;
  /** Explicit transaction block: none, open (BEGIN seen), or failed (an error inside it). */
  #block: 'none' | 'open' | 'failed' = 'none';
  /** A transaction runs outside a block: until the end of the query string or the Sync. */
  #implicit = false;
  #transactionTimestamp = 0n;
  /** The block's isolation and access mode (BEGIN ..., SET TRANSACTION, the defaults). */
  #modes: { isolation: string; readOnly: boolean; snapshotTsn?: number } | undefined;
  /** REPEATABLE READ / SERIALIZABLE: the snapshot the block's first statement took, held to its end. */
  #blockSnapshot: number | undefined;
  /** Whether the block has run a query or DML (after which its isolation level is fixed). */
  #blockQueried = false;
  #cancelRequested = false;
  /** Plans shared across literal values, by statement shape (see literal-parameters.ts). */
  readonly #literalPlans = new Map<string, SharedPlan>();
  /** The shape #sharedPlan found no plan for, handed to #planQueryString. */
  #pendingShape: LiteralShape | undefined;
  #servicesMemo: ExecServices | undefined;
  /** When a long statement of this session last let the event loop run (see checkCancel). */
  #lastYieldMs = 0;
  #closed = false;
  #running: StatementState | undefined;
  readonly #sequencesUsed = new Map<string, bigint>();
  readonly startedAt: bigint;
  readonly remoteAddress: string;
  readonly applicationName: string;
  /** The statement being run, for v$session. */
  currentStatement = '';

  constructor(
    engine: SqlEngine,
    id: number,
    user: string,
    instanceSession: Session | undefined,
    options: { remoteAddress: string; applicationName: string; startupParameters: ReadonlyMap<string, string> },
  ) {
    this.#engine = engine;
    this.id = id;
    this.user = user;
    this.#instanceSession = instanceSession;
    this.remoteAddress = options.remoteAddress;
    this.applicationName = options.applicationName;
    this.startedAt = engine.nowMicros();
    this.settings = new SessionSettings(engine.serverVersion, user, options.startupParameters);
    this.settings.liveSnapshotTsn = () => engine.snapshotTsn();
  }

  get transactionStatus(): TransactionStatus {
    if (this.#block === 'failed') return 'failed';
    if (this.#block === 'open') return 'in transaction';
    return 'idle';
  }

  /** The engine transaction, if one is active (for v$transaction). */
  get transaction(): Transaction | undefined {
    return this.#instanceSession?.transaction;
  }

  parameterStatus(): ReadonlyMap<string, string> {
    return this.settings.reported();
  }

  cancel(): void {
    this.#cancelRequested = true;
    this.#engine.cancelWaits(this);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#endStatement();
    await this.#endTransaction(false).catch(() => undefined);
    await this.#instanceSession?.close();
    this.#engine.sessionClosed(this);
  }

  // -------------------------------------------------------------------------------------
  // The simple query protocol

  async simpleQuery(sql: string, out: QueryOutput): Promise<void> {
    this.#cancelRequested = false;
    let work: { prepared: SqlPrepared; params: readonly SqlValue[]; text?: string }[];
    try {
      work = this.#sharedPlan(sql) ?? this.#planQueryString(sql);
    } catch (error) {
      this.#failTransaction();
      throw error;
    }
    if (work.length === 0) {
      out.emptyQuery();
      return;
    }
    try {
      for (const { prepared, params, text } of work) {
        this.#plan(prepared);
        const portal = this.#makePortal(prepared, params, []);
        portal.text = text;
        if (portal.fields !== null && !isCopy(prepared.statement!)) out.rowDescription(portal.fields);
        await this.execute(portal, 0, out);
      }
      if (this.#implicit) await this.#endTransaction(true);
    } catch (error) {
      this.#failTransaction();
      throw error;
    }
  }

  /**
   * A query string of one statement whose shape (literals masked) was planned before: its
   * plan, with this string's literals as the parameter values. Undefined on a miss, or when
   * a literal kept in the plan (ORDER BY 2) or a number's type differs.
   */
  #sharedPlan(sql: string): { prepared: SqlPrepared; params: SqlValue[]; text: string }[] | undefined {
    this.#pendingShape = undefined;
    const shape = literalShape(sql);
    if (shape === undefined) return undefined;
    const cached = this.#literalPlans.get(shape.key);
    if (cached === undefined) {
      this.#pendingShape = shape;
      return undefined;
    }
    const params = this.#literalValues(cached, shape);
    if (params === undefined) {
      this.#pendingShape = shape;
      return undefined;
    }
    this.#plan(cached.prepared);
    return [
      { prepared: cached.prepared, params: this.#typedValues(cached.prepared, params), text: statementText(sql) },
    ];
  }

  #literalValues(cached: SharedPlan, shape: LiteralShape): (SqlValue | undefined)[] | undefined {
    if (shape.literals.length !== cached.literals.length) return undefined;
    const params: (SqlValue | undefined)[] = new Array<SqlValue | undefined>(cached.parameterCount);
    for (let i = 0; i < shape.literals.length; i++) {
      const use = cached.literals[i];
      const literal = shape.literals[i];
      if (use.kind === 'kept') {
        if (literal.value !== use.value) return undefined;
        continue;
      }
      if (use.kind === 'string') {
        params[use.parameter] = literal.value;
        continue;
      }
      const { value, type } = numberLiteralValue(use.negate ? `-${literal.value}` : literal.value);
      if (type.name !== use.type.name) return undefined;
      params[use.parameter] = value;
    }
    return params;
  }

  /** String literals become values of the type their context gave the parameter. */
  #typedValues(prepared: SqlPrepared, raw: readonly (SqlValue | undefined)[]): SqlValue[] {
    const ctx = this.#evalContext();
    return raw.map((value, i) => {
      if (value === undefined) return null;
      const type = prepared.sqlParameterTypes[i];
      if (typeof value !== 'string' || prepared.givenTypes[i] !== undefined) return value;
      return type.name === 'text' || type.name === 'unknown' ? value : parseText(type, value, ctx);
    });
  }

  /** Parses and plans a query string; a single plannable statement is planned shared by literal. */
  #planQueryString(sql: string): { prepared: SqlPrepared; params: readonly SqlValue[]; text?: string }[] {
    const shape = this.#pendingShape;
    this.#pendingShape = undefined;
    const statements = parse(sql, this.#engine.parseOptions);
    if (shape !== undefined && statements.length === 1 && isCacheable(statements[0].statement)) {
      const shared = this.#planShared(statements[0], shape);
      if (shared !== undefined) return [shared];
    }
    // Planned one at a time as they run: a statement may use a table the one before creates.
    return statements.map((parsed) => ({ prepared: new SqlPrepared(parsed, []), params: [] }));
  }

  #planShared(
    parsed: ParsedStatement,
    shape: LiteralShape,
  ): { prepared: SqlPrepared; params: SqlValue[]; text: string } | undefined {
    const parameterized = parameterize(parsed.statement);
    if (parameterized === undefined) return undefined;
    const slotAt = new Map(parameterized.slots.map((slot, i) => [slot.pos, { slot, parameter: i }]));
    const literals: SharedPlan['literals'][number][] = [];
    const given: (SqlType | undefined)[] = [];
    for (const literal of shape.literals) {
      const found = slotAt.get(literal.pos);
      if (found === undefined) {
        literals.push({ kind: 'kept', value: literal.value });
        continue;
      }
      if (found.slot.kind === 'string') {
        literals.push({ kind: 'string', parameter: found.parameter });
        continue;
      }
      const { type } = numberLiteralValue(found.slot.negate ? `-${literal.value}` : literal.value);
      given[found.parameter] = type;
      literals.push({ kind: 'number', parameter: found.parameter, negate: found.slot.negate, type });
    }
    // Every slot must come from a literal token of this string (positions agree).
    if (literals.filter((use) => use.kind !== 'kept').length !== parameterized.slots.length) return undefined;
    const prepared = new SqlPrepared({ ...parsed, statement: parameterized.statement }, given);
    try {
      this.#plan(prepared);
    } catch {
      // Whatever the parameterized form cannot plan, the literal form reports (or plans).
      return undefined;
    }
    const cached: SharedPlan = { prepared, literals, parameterCount: parameterized.slots.length };
    if (this.#literalPlans.size >= SHARED_PLANS_MAX) {
      this.#literalPlans.delete(this.#literalPlans.keys().next().value!);
    }
    this.#literalPlans.set(shape.key, cached);
    const params = this.#literalValues(cached, shape);
    return params === undefined
      ? undefined
      : { prepared, params: this.#typedValues(prepared, params), text: statementText(parsed.text) };
  }

  // -------------------------------------------------------------------------------------
  // The extended query protocol

  // eslint-disable-next-line @typescript-eslint/require-await
  async prepare(sql: string, parameterTypes: readonly number[]): Promise<PreparedStatement> {
    const statements = parse(sql, this.#engine.parseOptions);
    if (statements.length > 1) {
      throw new DbError('SYNTAX_ERROR', 'cannot insert multiple commands into a prepared statement');
    }
    const given = parameterTypes.map((oid) => {
      if (oid === 0) return undefined;
      const type = typeByOid(oid);
      if (type === undefined) throw new DbError('UNDEFINED_OBJECT', `type with OID ${oid} does not exist`);
      return type;
    });
    const prepared = new SqlPrepared(statements[0], given);
    this.#plan(prepared);
    return prepared;
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async bind(
    statement: PreparedStatement,
    parameters: readonly (Uint8Array | null)[],
    parameterFormats: readonly number[],
    resultFormats: readonly number[],
  ): Promise<Portal> {
    const prepared = statement as SqlPrepared;
    if (this.#block === 'failed' && !allowedInFailedBlock(prepared.statement)) throw inFailedTransaction();
    this.#plan(prepared);
    const types = prepared.sqlParameterTypes;
    if (parameters.length !== types.length) {
      throw new DbError(
        'PROTOCOL_VIOLATION',
        `bind message supplies ${parameters.length} parameters, but prepared statement requires ${types.length}`,
      );
    }
    const ctx = this.#evalContext();
    const values = parameters.map((raw, i) => {
      if (raw === null) return null;
      const format =
        parameterFormats.length === 0 ? 0 : parameterFormats.length === 1 ? parameterFormats[0] : parameterFormats[i];
      if (format === 1) return decodeBinary(types[i], raw);
      return parseText(types[i], Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'), ctx);
    });
    return this.#makePortal(prepared, values, resultFormats);
  }

  async execute(portalHandle: Portal, maxRows: number, out: QueryOutput): Promise<ExecuteResult> {
    const portal = portalHandle as SqlPortal;
    this.#cancelRequested = false;
    if (portal.done) {
      throw new DbError('NO_SUCH_PORTAL', 'portal has already run to completion');
    }
    const statement = portal.prepared.statement;
    if (statement === undefined) {
      out.emptyQuery();
      portal.done = true;
      return 'complete';
    }
    if (this.#block === 'failed' && !allowedInFailedBlock(statement)) throw inFailedTransaction();
    try {
      if (portal.iterator === undefined) {
        const started = await this.#start(portal, out);
        if (started === 'done') return 'complete';
      }
      return await this.#pull(portal, maxRows, out);
    } catch (error) {
      await this.#abandon(portal);
      throw error;
    }
  }

  closeStatement(): void {
    // Nothing is held per statement beyond the object itself.
  }

  closePortal(portalHandle: Portal): void {
    const portal = portalHandle as SqlPortal;
    if (portal.iterator !== undefined && !portal.done) {
      void portal.iterator.return('').catch(() => undefined);
      this.#endStatement();
    }
    portal.done = true;
  }

  async sync(failed: boolean): Promise<void> {
    if (failed) {
      this.#failTransaction();
      return;
    }
    if (this.#implicit) await this.#endTransaction(true);
  }

  // -------------------------------------------------------------------------------------
  // Planning

  /** Plans (or re-plans after DDL) the statement's executable part and its result shape. */
  #plan(prepared: SqlPrepared): void {
    const statement = prepared.statement;
    if (statement === undefined) return;
    const version = this.#engine.catalogVersion;
    if (prepared.catalogVersion === version) return;
    const parameters = new ParameterTypes(prepared.givenTypes);
    let columns: readonly ScopeColumn[] | null;
    prepared.executable = undefined;
    if (needsPlan(statement)) {
      const catalog = this.#engine.catalogForSession(this);
      const planner = new Planner(catalog, parameters);
      const executable = planStatement(statement, catalog, planner);
      prepared.executable = executable;
      columns = executable.columns;
    } else {
      columns = utilityColumns(statement);
    }
    prepared.sqlParameterTypes = parameters.resolved();
    prepared.parameterTypes = prepared.sqlParameterTypes.map((type) => typeOid(type));
    prepared.fields = columns === null ? null : columns.map((column) => fieldOf(column, 0));
    prepared.catalogVersion = version;
  }

  #makePortal(prepared: SqlPrepared, params: readonly SqlValue[], resultFormats: readonly number[]): SqlPortal {
    const ctx = this.#evalContext();
    const fields =
      prepared.fields === null
        ? null
        : prepared.fields.map((field, i) => {
            const format =
              resultFormats.length === 0 ? 0 : resultFormats.length === 1 ? resultFormats[0] : resultFormats[i];
            return { ...field, format: format === 1 ? (1 as const) : (0 as const) };
          });
    const columnTypes = this.#resultTypes(prepared);
    const encoders: Encoder[] = (fields ?? []).map((field, i) => {
      const type = columnTypes[i] ?? T.text;
      if (field.format === 1) return (value) => encodeBinary(type, value);
      return (value) => Buffer.from(formatText(type, value, ctx), 'utf8');
    });
    return new SqlPortal(prepared, params, encoders, fields);
  }

  #resultTypes(prepared: SqlPrepared): SqlType[] {
    if (prepared.executable !== undefined) return (prepared.executable.columns ?? []).map((column) => column.type);
    const statement = prepared.statement;
    return statement === undefined ? [] : (utilityColumns(statement) ?? []).map((column) => column.type);
  }

  // -------------------------------------------------------------------------------------
  // Running statements

  /** Starts a portal's statement: utilities run to completion here; queries and DML get an iterator. */
  async #start(portal: SqlPortal, out: QueryOutput): Promise<'done' | 'iterate'> {
    const statement = portal.prepared.statement!;
    this.#lastYieldMs = this.#engine.monotonicMs();
    this.currentStatement = portal.text ?? portal.prepared.parsed?.text ?? '';
    const executable = portal.prepared.executable;
    if (executable === undefined) {
      const tag = await this.#engine.runUtility(this, statement, portal.prepared.parsed?.text ?? '', out, (rows) =>
        this.#sendRows(portal, rows, out),
      );
      portal.done = true;
      if (tag !== undefined) out.commandComplete(tag);
      return 'done';
    }
    this.#checkPrivileges(statement, executable);
    if (this.#modes?.readOnly === true) this.#refuseInReadOnly(statement, executable);
    const txn = await this.#beginStatement(executable.writes || statement.kind === 'copy');
    if (txn !== undefined) this.#engine.instance.database.transactions.setLockTimeout(txn, this.settings.lockTimeoutMs);
    for (const lock of executable.locks)
      await this.#engine.locks.acquire(this.id, lock.table, lock.mode, this.settings.lockTimeoutMs);
    // READ COMMITTED: a snapshot per statement. REPEATABLE READ and SERIALIZABLE (snapshot
    // isolation, as in Oracle and Tibero): the block's first statement takes one for all.
    if (this.#block !== 'none') this.#blockQueried = true;
    const transactionSnapshot = this.#block !== 'none' && this.#modes !== undefined && holdsSnapshot(this.#modes);
    if (transactionSnapshot && this.#blockSnapshot === undefined) {
      this.#modes!.snapshotTsn = this.#engine.snapshotTsn();
      this.#blockSnapshot = this.#engine.takeSnapshot();
    }
    const snapshot = transactionSnapshot ? this.#blockSnapshot : this.#engine.takeSnapshot();
    const env = this.#environment(portal.params, txn, snapshot, transactionSnapshot);
    portal.statementState = { snapshot: transactionSnapshot ? undefined : snapshot, env };
    this.#running = portal.statementState;
    if (statement.kind === 'copy') {
      const tag =
        statement.direction === 'from'
          ? await copyFrom(executable, env, txn!, out)
          : await copyTo(executable, env, out, txn);
      this.#endStatement();
      portal.done = true;
      out.commandComplete(tag);
      return 'done';
    }
    portal.iterator = executable.run(env, txn);
    return 'iterate';
  }

  /** The table privileges a statement needs (see SqlEngine.checkTablePrivilege). */
  #checkPrivileges(statement: ast.Statement, executable: Executable): void {
    if (this.#engine.instance.stage !== 'OPEN' || this.#engine.isAdministrator(this.user)) return;
    const written =
      statement.kind === 'insert' || (statement.kind === 'copy' && statement.direction === 'from')
        ? 'insert'
        : statement.kind === 'update'
          ? 'update'
          : statement.kind === 'delete'
            ? 'delete'
            : undefined;
    executable.locks.forEach((lock, i) =>
      this.#engine.checkTablePrivilege(this, lock.table, written !== undefined && i === 0 ? written : 'select'),
    );
  }

  async #pull(portal: SqlPortal, maxRows: number, out: QueryOutput): Promise<ExecuteResult> {
    const iterator = portal.iterator!;
    const encoders = portal.encoders;
    let sent = 0;
    for (;;) {
      if (maxRows > 0 && sent >= maxRows) return 'suspended';
      const step = await iterator.next();
      if (step.done === true) {
        portal.done = true;
        this.#endStatement();
        out.commandComplete(step.value);
        return 'complete';
      }
      const row = step.value;
      const values = new Array<Uint8Array | null>(encoders.length);
      for (let i = 0; i < encoders.length; i++) {
        const value = row[i];
        values[i] = value === null ? null : encoders[i](value);
      }
      const pending = out.dataRow(values);
      if (pending !== undefined) await pending;
      if ((++sent & 1023) === 0) await portal.statementState?.env.services.checkCancel();
    }
  }

  /** Sends rows a utility statement produced (SHOW, EXPLAIN), encoded for the portal. */
  async #sendRows(portal: SqlPortal, rows: readonly Row[], out: QueryOutput): Promise<void> {
    for (const row of rows) {
      const pending = out.dataRow(row.map((value, i) => (value === null ? null : portal.encoders[i](value))));
      if (pending !== undefined) await pending;
    }
  }

  async #abandon(portal: SqlPortal): Promise<void> {
    if (portal.iterator !== undefined && !portal.done) await portal.iterator.return('').catch(() => undefined);
    portal.done = true;
    this.#endStatement();
  }

  /**
   * The transaction a statement runs in: the block's, or an implicit one. A read-only
   * statement outside a block needs none (it reads through its snapshot).
   */
  async #beginStatement(writes: boolean): Promise<Transaction | undefined> {
    // Connected in NOMOUNT or MOUNT, and the database has been opened (or created) since.
    if (this.#instanceSession === undefined && this.#engine.instance.stage === 'OPEN') {
      this.#instanceSession = this.#engine.instance.connect();
    }
    if (this.#instanceSession === undefined) {
      // Before OPEN there are no tables; reading the v$ views needs no transaction.
      if (!writes) return undefined;
      throw new DbError('WRONG_INSTANCE_STATE', 'the database is not OPEN: only administrative statements run now');
    }
    if (this.#block === 'none' && !this.#implicit) {
      this.#implicit = true;
      this.#transactionTimestamp = this.#engine.nowMicros();
    }
    if (!writes && this.#block === 'none') return this.#instanceSession.transaction;
    await Promise.resolve();
    return this.#instanceSession.current();
  }

  #endStatement(): void {
    const state = this.#running;
    if (state === undefined) return;
    this.#running = undefined;
    if (state.snapshot !== undefined) this.#engine.releaseSnapshot(state.snapshot);
    this.currentStatement = '';
  }

  #environment(
    params: readonly SqlValue[],
    txn: Transaction | undefined,
    snapshot: number | undefined,
    serializable = false,
  ): ExecEnv {
    return {
      params,
      ctx: this.#evalContext(),
      view: {
        ...(txn === undefined ? {} : { txn }),
        ...(snapshot === undefined ? {} : { snapshot }),
        ...(serializable ? { serializable } : {}),
      },
      outer: [],
      subqueryResults: [],
      subqueryCache: new Map(),
      services: (this.#servicesMemo ??= this.#services()),
    };
  }

  /** Environment for statements the engine runs on this session's behalf (DDL defaults, COPY). */
  environment(params: readonly SqlValue[] = []): ExecEnv {
    return this.#environment(params, this.#instanceSession?.transaction, undefined);
  }

  #evalContext(): EvalContext {
    const now = this.#engine.nowMicros();
    const engine = this.#engine;
    return {
      timeZone: this.settings.timeZone,
      transactionTimestamp: this.#implicit || this.#block !== 'none' ? this.#transactionTimestamp : now,
      statementTimestamp: now,
      random: () => engine.random(),
      clockTimestamp: () => engine.nowMicros(),
    };
  }

  /** The session's services, made once: they hold no per-statement state. */
  #services(): ExecServices {
    const engine = this.#engine;
    return {
      nextval: async (sequence) => {
        const value = await engine.sequences.next(sequence);
        this.#sequencesUsed.set(sequence, value);
        return value;
      },
      currval: (sequence) => {
        const value = this.#sequencesUsed.get(sequence);
        if (value === undefined) {
          throw new DbError(
            'INVALID_TRANSACTION_STATE',
            `currval of sequence "${sequence}" is not yet defined in this session`,
          );
        }
        return value;
      },
      setval: async (sequence, value, called) => {
        await engine.sequences.set(sequence, value, called);
        if (called) this.#sequencesUsed.set(sequence, value);
        return value;
      },
      user: this.user,
      get database() {
        return engine.databaseName;
      },
      backendPid: this.id,
      serverVersion: engine.versionString,
      checkCancel: () => {
        this.#throwIfCanceled();
        if (engine.monotonicMs() - this.#lastYieldMs < YIELD_EVERY_MS) return undefined;
        return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
          this.#lastYieldMs = engine.monotonicMs();
          this.#throwIfCanceled();
        });
      },
    };
  }

  #throwIfCanceled(): void {
    if (this.#cancelRequested) {
      this.#cancelRequested = false;
      throw new DbError('QUERY_CANCELED', 'canceling statement due to user request');
    }
  }

  // -------------------------------------------------------------------------------------
  // Transactions

  /** BEGIN [ISOLATION LEVEL ...] [READ ONLY | READ WRITE]. */
  beginBlock(out: QueryOutput, modes: { isolation?: string; readOnly?: boolean } = {}): void {
    if (this.#block !== 'none') {
      out.notice({ severity: 'WARNING', sqlState: '25001', message: 'there is already a transaction in progress' });
      return;
    }
    this.#block = 'open';
    if (!this.#implicit) this.#transactionTimestamp = this.#engine.nowMicros();
    this.#implicit = false;
    this.#modes = {
      isolation: modes.isolation ?? this.settings.get('default_transaction_isolation'),
      readOnly: modes.readOnly ?? this.settings.get('default_transaction_read_only') === 'on',
    };
    this.settings.transaction = this.#modes;
  }

  /** SET TRANSACTION (this block, before its first query) or SET SESSION CHARACTERISTICS AS TRANSACTION. */
  setTransaction(modes: { session: boolean; isolation?: string; readOnly?: boolean }, out: QueryOutput): void {
    if (modes.session) {
      if (modes.isolation !== undefined) this.settings.set('default_transaction_isolation', modes.isolation);
      if (modes.readOnly !== undefined)
        this.settings.set('default_transaction_read_only', modes.readOnly ? 'on' : 'off');
      return;
    }
    if (this.#block === 'none' || this.#modes === undefined) {
      out.notice({
        severity: 'WARNING',
        sqlState: '25P01',
        message: 'SET TRANSACTION can only be used in transaction blocks',
      });
      return;
    }
    if (modes.isolation !== undefined && this.#blockQueried) {
      throw new DbError('ACTIVE_SQL_TRANSACTION', 'SET TRANSACTION ISOLATION LEVEL must be called before any query');
    }
    this.#modes = {
      isolation: modes.isolation ?? this.#modes.isolation,
      readOnly: modes.readOnly ?? this.#modes.readOnly,
    };
    this.settings.transaction = this.#modes;
  }

  /** READ ONLY transactions change nothing: no DML, no COPY FROM, no DDL. */
  #refuseInReadOnly(statement: ast.Statement, executable: Executable): void {
    if (!executable.writes && !(statement.kind === 'copy' && statement.direction === 'from')) return;
    const what = statement.kind === 'query' ? 'SELECT FOR UPDATE' : statement.kind.toUpperCase();
    throw new DbError('READ_ONLY_TRANSACTION', `cannot execute ${what} in a read-only transaction`);
  }

  /** COMMIT / END: returns the tag (ROLLBACK when the block had failed). */
  async commitBlock(out: QueryOutput): Promise<string> {
    if (this.#block === 'none') {
      out.notice({ severity: 'WARNING', sqlState: '25P01', message: 'there is no transaction in progress' });
      if (this.#implicit) await this.#endTransaction(true);
      return 'COMMIT';
    }
    const failed = this.#block === 'failed';
    this.#block = 'none';
    await this.#endTransaction(!failed);
    return failed ? 'ROLLBACK' : 'COMMIT';
  }

  async rollbackBlock(out: QueryOutput): Promise<string> {
    if (this.#block === 'none' && !this.#implicit) {
      out.notice({ severity: 'WARNING', sqlState: '25P01', message: 'there is no transaction in progress' });
    }
    this.#block = 'none';
    await this.#endTransaction(false);
    return 'ROLLBACK';
  }

  /** SAVEPOINT, ROLLBACK TO SAVEPOINT and RELEASE need a transaction block. */
  savepointTransaction(what: string): Transaction {
    if (this.#block === 'none') {
      throw new DbError('TRANSACTION_NOT_ACTIVE', `${what} can only be used in transaction blocks`);
    }
    return this.#requireInstanceSession().current();
  }

  /** After ROLLBACK TO SAVEPOINT the block works again. */
  recoverBlock(): void {
    if (this.#block === 'failed') this.#block = 'open';
  }

  /** DDL commits what the transaction did so far (it cannot be undone with it). */
  async commitBeforeDdl(out: QueryOutput): Promise<void> {
    const txn = this.#instanceSession?.transaction;
    if (txn === undefined || this.#block === 'none') return;
    out.notice({
      severity: 'NOTICE',
      sqlState: '00000',
      message: 'DDL commits the changes made so far in this transaction, as in Tibero',
    });
    await this.#requireInstanceSession().commit();
  }

  /** In a READ ONLY transaction block (utilities that change anything are refused). */
  get readOnlyBlock(): boolean {
    return this.#block !== 'none' && this.#modes?.readOnly === true;
  }

  get inBlock(): boolean {
    return this.#block !== 'none';
  }

  #requireInstanceSession(): Session {
    if (this.#instanceSession === undefined) {
      throw new DbError('WRONG_INSTANCE_STATE', 'the database is not OPEN');
    }
    return this.#instanceSession;
  }

  /** An error: the block fails (until ROLLBACK), or the implicit transaction rolls back. */
  #failTransaction(): void {
    this.#endStatement();
    if (this.#block === 'open') {
      this.#block = 'failed';
      return;
    }
    if (this.#block === 'none' && this.#implicit) {
      void this.#endTransaction(false).catch((error: unknown) =>
        this.#engine.log('warning', `session ${this.id}: rollback after an error failed: ${String(error)}`),
      );
    }
  }

  async #endTransaction(commit: boolean): Promise<void> {
    this.#implicit = false;
    this.#modes = undefined;
    this.#blockQueried = false;
    this.settings.transaction = undefined;
    if (this.#blockSnapshot !== undefined) {
      this.#engine.releaseSnapshot(this.#blockSnapshot);
      this.#blockSnapshot = undefined;
    }
    const session = this.#instanceSession;
    try {
      if (session !== undefined && session.transaction !== undefined) {
        if (commit) await session.commit();
        else await session.rollback();
      }
    } finally {
      this.#engine.locks.releaseAll(this.id);
    }
  }
}

// ---------------------------------------------------------------------------------------

function holdsSnapshot(modes: { readonly isolation: string }): boolean {
  return modes.isolation === 'repeatable read' || modes.isolation === 'serializable';
}

function needsPlan(statement: ast.Statement): boolean {
  switch (statement.kind) {
    case 'query':
    case 'insert':
    case 'update':
    case 'delete':
      return true;
    case 'copy':
      return true;
    default:
      return false;
  }
}

function planStatement(
  statement: ast.Statement,
  catalog: ReturnType<SqlEngine['catalogForSession']>,
  planner: Planner,
): Executable {
  switch (statement.kind) {
    case 'query':
      return prepareQuery(statement.query, planner);
    case 'insert':
      return prepareInsert(statement, catalog, planner);
    case 'update':
      return prepareUpdate(statement, catalog, planner);
    case 'delete':
      return prepareDelete(statement, catalog, planner);
    case 'copy':
      return prepareCopy(statement, catalog, planner);
    default:
      throw new DbError('FEATURE_NOT_SUPPORTED', `${statement.kind} cannot be planned`);
  }
}

/** COPY: the table's columns as the executable's shape; the copy module does the work. */
function prepareCopy(
  statement: ast.CopyStatement,
  catalog: ReturnType<SqlEngine['catalogForSession']>,
  planner: Planner,
): Executable {
  if (statement.target !== 'stdio') {
    throw new DbError(
      'INSUFFICIENT_PRIVILEGE',
      'COPY to or from a file is not allowed; use COPY ... FROM STDIN or TO STDOUT (psql \\copy)',
    );
  }
  for (const option of statement.options) {
    if (option.name === 'format' && option.value !== undefined && option.value.toLowerCase() !== 'text') {
      throw new DbError('FEATURE_NOT_SUPPORTED', `COPY format ${option.value} is not supported; only text`);
    }
  }
  if (statement.query !== undefined) {
    if (statement.direction === 'from') throw new DbError('SYNTAX_ERROR', 'COPY (query) FROM is not valid');
    const executable = prepareQuery(statement.query, planner);
    return { ...executable, columns: null, copy: { statement, columns: executable.columns! } };
  }
  const table = catalog.table(statement.table!, statement.pos);
  const names = statement.columns.length > 0 ? statement.columns : table.sqlColumns.map((column) => column.name);
  for (const name of names) {
    if (!table.sqlColumns.some((column) => column.name === name)) {
      throw new DbError('UNDEFINED_COLUMN', `column "${name}" of relation "${table.name}" does not exist`);
    }
  }
  if (statement.direction === 'from') {
    const insert = prepareInsert(
      {
        kind: 'insert',
        table: table.name,
        columns: names,
        source: {
          kind: 'query',
          with: [],
          body: { kind: 'values', rows: [names.map((_, i) => ({ kind: 'parameter', index: i + 1, pos: 0 }))], pos: 0 },
          orderBy: [],
          pos: 0,
        },
        returning: [],
        pos: statement.pos,
      },
      catalog,
      planner,
    );
    return {
      ...insert,
      columns: null,
      copy: { statement, columns: names.map((name) => table.sqlColumns.find((c) => c.name === name)!) },
    };
  }
  const query: ast.Query = {
    kind: 'query',
    with: [],
    body: {
      kind: 'select',
      distinct: false,
      items: names.map((name) => ({ kind: 'expr' as const, expr: { kind: 'column' as const, name, pos: 0 } })),
      from: [{ kind: 'table', name: table.name, columnAliases: [], pos: 0 }],
      groupBy: [],
      pos: 0,
    },
    orderBy: [],
    pos: 0,
  };
  const executable = prepareQuery(query, planner);
  return { ...executable, columns: null, copy: { statement, columns: executable.columns! } };
}

/** The result columns of statements that return rows without a plan (SHOW, EXPLAIN). */
function utilityColumns(statement: ast.Statement): ScopeColumn[] | null {
  const column = (name: string): ScopeColumn => ({
    name,
    qualifier: undefined,
    type: T.text,
    tableOid: 0,
    columnNumber: 0,
  });
  switch (statement.kind) {
    case 'show':
      return statement.name === 'all'
        ? [column('name'), column('setting'), column('description')]
        : [column(SessionSettings.displayName(statement.name))];
    case 'explain':
      return [column('QUERY PLAN')];
    default:
      return null;
  }
}

function fieldOf(column: ScopeColumn, format: 0 | 1): FieldDescription {
  const info = typeInfo(column.type);
  return {
    name: column.name,
    tableOid: column.tableOid,
    columnNumber: column.columnNumber,
    typeOid: info.oid,
    typeSize: info.typlen,
    typeModifier: column.type.typmod,
    format,
  };
}

/** A one-statement query string as v$session shows it: without surrounding blanks and semicolons. */
function statementText(sql: string): string {
  return sql.replace(/[\s;]+$/, '').trimStart();
}

function isCopy(statement: ast.Statement): boolean {
  return statement.kind === 'copy';
}

function allowedInFailedBlock(statement: ast.Statement | undefined): boolean {
  return (
    statement === undefined ||
    statement.kind === 'rollback' ||
    statement.kind === 'rollbackToSavepoint' ||
    statement.kind === 'commit'
  );
}

function inFailedTransaction(): DbError {
  return new DbError(
    'IN_FAILED_TRANSACTION',
    'current transaction is aborted, commands ignored until end of transaction block',
  );
}

export { explainPlan };
