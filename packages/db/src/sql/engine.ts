// The SQL engine behind the wire protocol: authentication data, sessions, the statements
// that are not plans (transaction control, SET/SHOW, DDL, EXPLAIN, VACUUM/ANALYZE, users,
// sequences) and the administrative SQL of the seed (ALTER SYSTEM, ALTER DATABASE in MOUNT
// and OPEN, CREATE DATABASE in NOMOUNT). sys can connect at every stage; other users only
// once the database is OPEN.
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import type { Clock } from '@tandem/testkit';
import { DbError } from '../errors.js';
import type { Database } from '../instance/database.js';
import type { Instance } from '../instance/instance.js';
import {
  addLogGroup,
  addLogMember,
  alterSystemCheckpoint,
  alterSystemArchiveLogCurrent,
  alterSystemSwitchLogfile,
  dropLogGroup,
  dropLogMember,
} from '../instance/log-admin.js';
import { clearLogGroup, renameDatafile, renameLogMember, setLogMode } from '../instance/mount-admin.js';
import type { Engine, EngineSession, QueryOutput, ScramVerifier, StartupRequest } from '../wire/engine.js';
import { createScramVerifier, formatScramVerifier, parseScramVerifier } from '../wire/scram.js';
import type * as ast from './ast.js';
import {
  beginBackup,
  checkNoRecovery,
  createDatafile,
  datafileOnlineOffline,
  endBackup,
  openResetlogs,
  recover,
  tablespaceOffline,
  tablespaceOnline,
} from './backup-admin.js';
import { SqlCatalog, type TableStatistics } from './catalog.js';
import { backupControlfile, createControlfile } from './controlfile-admin.js';
import {
  alterTable,
  createIndex,
  createTable,
  dropIndexes,
  dropTables,
  truncateTables,
  type DdlContext,
} from './ddl.js';
import { ParameterTypes, type Row } from './expr.js';
import { explainPlan, type PlanNode } from './plan-nodes.js';
import type { ParseOptions } from './parser.js';
import { Planner } from './planner.js';
import { Sequences } from './sequences.js';
import { SqlSession } from './session.js';
import { TableLocks } from './locks.js';
import { dynamicViews } from './views.js';
import { formatTypeName } from './types/types.js';
import { prepareDelete, prepareInsert, prepareUpdate, type Executable } from './dml.js';

export const SERVER_VERSION = '15.0 (Tandem 0.1.0)';

export interface SqlEngineOptions {
  readonly instance: Instance;
  readonly clock: Clock;
  /** The name clients give as the startup database (default: the database's name, else tandem). */
  readonly databaseName?: string;
  /** Where sys's SCRAM verifier lives, so sys can log in before OPEN. */
  readonly sysVerifierPath: string;
  readonly random?: () => number;
  readonly log?: (level: 'notice' | 'warning' | 'error', line: string) => void;
  /** How long a statement waits for a table or row lock before TDB-5008 (ms). */
  readonly lockTimeoutMs?: number;
  readonly maxStatementBytes?: number;
}

interface StoredUser {
  readonly verifier: string;
  readonly login: boolean;
  readonly superuser: boolean;
  readonly defaultTablespace?: string;
  readonly privileges: readonly string[];
  readonly tablePrivileges: Readonly<Record<string, readonly string[]>>;
}

/** Statements a READ ONLY transaction block may run besides queries: they change no data. */
const READ_ONLY_UTILITIES: ReadonlySet<ast.Statement['kind']> = new Set([
  'begin',
  'commit',
  'rollback',
  'savepoint',
  'releaseSavepoint',
  'rollbackToSavepoint',
  'setTransaction',
  'set',
  'show',
  'reset',
  'discard',
  'explain',
]);

/** A statement's name in messages: CREATE TABLE, DROP INDEX, ALTER SYSTEM... */
function describeStatement(statement: ast.Statement): string {
  if (statement.kind === 'drop') return `DROP ${statement.objectType.toUpperCase()}`;
  return statement.kind.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}

export class SqlEngine implements Engine {
  readonly instance: Instance;
  readonly locks: TableLocks;
  readonly parseOptions: ParseOptions;
  readonly serverVersion = SERVER_VERSION;
  readonly #options: SqlEngineOptions;
  readonly #sessions = new Map<number, SqlSession>();
  readonly #startedAt: bigint;
  #catalog: SqlCatalog | undefined;
  #sequences: Sequences | undefined;
  #catalogVersion = 0;
  #nextSessionId = 1;

  constructor(options: SqlEngineOptions) {
    this.#options = options;
    this.instance = options.instance;
    this.locks = new TableLocks(options.clock, options.lockTimeoutMs ?? 60_000);
    this.parseOptions = options.maxStatementBytes === undefined ? {} : { maxStatementBytes: options.maxStatementBytes };
    this.#startedAt = this.nowMicros();
  }

  get databaseName(): string {
    if (this.#options.databaseName !== undefined) return this.#options.databaseName;
    const stage = this.instance.stage;
    if (stage === 'OPEN') return this.instance.database.storage.control.state.dbName;
    if (stage === 'MOUNT') return this.instance.controlFiles.state.dbName;
    return 'tandem';
  }

  get versionString(): string {
    return `PostgreSQL ${SERVER_VERSION}, Tandem database on Node.js ${process.version}`;
  }

  get catalogVersion(): number {
    return this.#catalogVersion;
  }

  catalogChanged(): void {
    this.#catalogVersion++;
  }

  get database(): Database {
    return this.instance.database;
  }

  get sequences(): Sequences {
    this.#catalogOrThrow();
    return this.#sequences!;
  }

  nowMicros(): bigint {
    return BigInt(Math.round(this.#options.clock.nowMs() * 1000));
  }

  monotonicMs(): number {
    return this.#options.clock.monotonicMs();
  }

  random(): number {
    return (this.#options.random ?? Math.random)();
  }

  log(level: 'notice' | 'warning' | 'error', line: string): void {
    this.#options.log?.(level, line);
  }

  takeSnapshot(): number | undefined {
    return this.instance.stage === 'OPEN' ? this.instance.database.transactions.takeSnapshot() : undefined;
  }

  /** The TSN a snapshot taken now is consistent as of (undefined before OPEN). */
  snapshotTsn(): number | undefined {
    return this.instance.stage === 'OPEN' ? this.instance.database.transactions.snapshotTsn() : undefined;
  }

  releaseSnapshot(snapshot: number): void {
    if (this.instance.stage === 'OPEN') this.instance.database.transactions.releaseSnapshot(snapshot);
  }

  /** Cancel wakes table lock waits too (statements check between rows). */
  cancelWaits(session: SqlSession): void {
    const error = new DbError('QUERY_CANCELED', 'canceling statement due to user request');
    this.locks.cancelWaits(session.id, error);
    const txn = session.transaction;
    if (txn !== undefined && this.instance.stage === 'OPEN')
      this.instance.database.transactions.interruptWait(txn, error);
  }

  sessions(): readonly SqlSession[] {
    return [...this.#sessions.values()];
  }

  sessionClosed(session: SqlSession): void {
    this.#sessions.delete(session.id);
  }

  /** The catalog (OPEN), or one with only the views (NOMOUNT, MOUNT). */
  catalogForSession(_session?: SqlSession): SqlCatalog {
    return this.#catalogOrThrow();
  }

  #catalogOrThrow(): SqlCatalog {
    if (this.instance.stage !== 'OPEN') {
      if (this.#catalog === undefined || this.#catalog.isOpen) this.#catalog = this.#newCatalog(undefined);
      return this.#catalog;
    }
    if (this.#catalog === undefined || !this.#catalog.isOpen || this.#catalog.database !== this.instance.database) {
      this.#catalog = this.#newCatalog(this.instance.database);
      this.#sequences = new Sequences(this.instance.database.catalog);
      this.#catalogVersion++;
    }
    return this.#catalog;
  }

  #newCatalog(database: Instance['database'] | undefined): SqlCatalog {
    const catalog = new SqlCatalog(database);
    for (const view of dynamicViews({
      instance: this.instance,
      instanceName: this.databaseName,
      version: SERVER_VERSION,
      startedAtMicros: this.#startedAt,
      tables: () => {
        if (database === undefined) return [];
        const state = database.storage.control.state;
        return catalog.tableNames().map((name) => {
          const table = catalog.table(name);
          const file = state.datafiles.find((datafile) => datafile.number === table.definition.root.fileNumber);
          return {
            name,
            owner: table.definition.owner ?? 'sys',
            tablespace: state.tablespaces.find((ts) => ts.number === file?.tablespaceNumber)?.name ?? '',
            rows: catalog.statistics(name)?.rows,
            columns: table.sqlColumns.map((column) => ({
              name: column.name,
              type: formatTypeName(column.type),
              nullable: column.nullable,
              ...(column.defaultText === undefined ? {} : { default: column.defaultText }),
            })),
          };
        });
      },
      ddl: {
        isAdministrator: (user) => this.isAdministrator(user),
        objects: () =>
          database === undefined
            ? undefined
            : {
                database,
                sequences: this.sequences,
                users: database.catalog
                  .objects<StoredUser>('user')
                  .map((entry) => ({ name: entry.name, ...entry.value })),
              },
      },
      sessions: () =>
        this.sessions().map((session) => ({
          id: session.id,
          user: session.user,
          status: session.currentStatement === '' ? 'INACTIVE' : 'ACTIVE',
          program: session.settings.get('application_name'),
          address: session.remoteAddress,
          logonMicros: session.startedAt,
          sql: session.currentStatement,
          transactionId: session.transaction?.id,
        })),
    })) {
      catalog.addView(view);
    }
    return catalog;
  }

  // -------------------------------------------------------------------------------------
  // Authentication and sessions

  async verifierFor(user: string): Promise<ScramVerifier | undefined> {
    if (user === 'sys') {
      try {
        const text = await this.instance.io.fs.readFile(this.#options.sysVerifierPath);
        return parseScramVerifier(new TextDecoder().decode(text).trim());
      } catch (error) {
        this.log(
          'warning',
          `sys cannot log in: its verifier ${this.#options.sysVerifierPath} is unreadable (${String(error)})`,
        );
        return undefined;
      }
    }
    if (this.instance.stage !== 'OPEN') return undefined;
    const stored = this.instance.database.catalog.object<StoredUser>('user', user)?.value;
    if (stored === undefined || !stored.login) return undefined;
    return parseScramVerifier(stored.verifier);
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async startSession(request: StartupRequest): Promise<EngineSession> {
    if (request.database !== this.databaseName && request.database !== request.user) {
      throw new DbError('UNKNOWN_DATABASE', `database "${request.database}" does not exist`);
    }
    const stage = this.instance.stage;
    if (stage !== 'OPEN' && request.user !== 'sys') {
      throw new DbError('INVALID_AUTHORIZATION', `the database is in ${stage}: only sys may connect until it is OPEN`);
    }
    const instanceSession = stage === 'OPEN' ? this.instance.connect() : undefined;
    const id = this.#nextSessionId++;
    const session = new SqlSession(this, id, request.user, instanceSession, {
      remoteAddress: request.remoteAddress,
      applicationName: request.parameters.get('application_name') ?? '',
      startupParameters: request.parameters,
    });
    this.#sessions.set(id, session);
    return session;
  }

  /**
   * Writes sys's verifier file (at init, CREATE DATABASE ... IDENTIFIED BY, and ALTER USER
   * sys), and keeps the owner-only sys.password beside it true if there is one.
   */
  async writeSysVerifier(password: string): Promise<void> {
    const { fs } = this.instance.io;
    const passwordPath = `${dirname(this.#options.sysVerifierPath)}/sys.password`;
    if (await fs.exists(passwordPath)) {
      const handle = await fs.open(passwordPath, { truncate: true });
      try {
        await handle.write(new TextEncoder().encode(`${password}\n`), 0);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    const text = `${formatScramVerifier(createScramVerifier(password))}\n`;
    const temporary = `${this.#options.sysVerifierPath}.tmp`;
    const handle = await fs.open(temporary, { create: true, truncate: true });
    try {
      await handle.write(new TextEncoder().encode(text), 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, this.#options.sysVerifierPath);
    await fs.syncDirectory(dirname(this.#options.sysVerifierPath));
  }

  // -------------------------------------------------------------------------------------
  // Utility statements

  /** Runs a statement that is not a plan; returns its command tag (undefined: already sent). */
  async runUtility(
    session: SqlSession,
    statement: ast.Statement,
    text: string,
    out: QueryOutput,
    sendRows: (rows: readonly Row[]) => Promise<void>,
  ): Promise<string | undefined> {
    const context = { engine: this, session, out };
    if (session.readOnlyBlock && !READ_ONLY_UTILITIES.has(statement.kind)) {
      throw new DbError(
        'READ_ONLY_TRANSACTION',
        `cannot execute ${describeStatement(statement)} in a read-only transaction`,
      );
    }
    switch (statement.kind) {
      case 'begin':
        session.beginBlock(out, {
          ...(statement.isolation === undefined ? {} : { isolation: statement.isolation }),
          ...(statement.readOnly === undefined ? {} : { readOnly: statement.readOnly }),
        });
        // PostgreSQL answers START TRANSACTION with its own tag.
        return /^\s*start\b/i.test(text) ? 'START TRANSACTION' : 'BEGIN';
      case 'commit':
        return session.commitBlock(out);
      case 'rollback':
        return session.rollbackBlock(out);
      case 'savepoint':
        this.instance.database.savepoint(session.savepointTransaction('SAVEPOINT'), statement.name);
        return 'SAVEPOINT';
      case 'rollbackToSavepoint':
        await this.instance.database.rollbackToSavepoint(
          session.savepointTransaction('ROLLBACK TO SAVEPOINT'),
          statement.name,
        );
        session.recoverBlock();
        return 'ROLLBACK';
      case 'releaseSavepoint':
        session.savepointTransaction('RELEASE SAVEPOINT');
        return 'RELEASE';
      case 'setTransaction':
        session.setTransaction(statement, out);
        return 'SET';
      case 'set':
        if (statement.values === 'default') session.settings.reset(statement.name);
        else session.settings.set(statement.name, statement.values.join(', '));
        return 'SET';
      case 'reset':
        session.settings.reset(statement.name);
        return 'RESET';
      case 'show':
        if (statement.name === 'all') {
          await sendRows(session.settings.all().map((setting) => [setting.name, setting.setting, setting.description]));
          return 'SHOW';
        }
        await sendRows([[session.settings.get(statement.name)]]);
        return 'SHOW';
      case 'discard':
        if (statement.what === 'all') session.settings.reset('all');
        return `DISCARD ${statement.what.toUpperCase()}`;
      case 'explain':
        await sendRows(this.#explain(session, statement.statement).map((line) => [line]));
        return 'EXPLAIN';
      case 'createTable':
        return createTable(statement, context);
      case 'drop':
        return this.#drop(statement, context);
      case 'alterTable':
        return alterTable(statement, context);
      case 'createIndex':
        return createIndex(statement, context);
      case 'truncate':
        return truncateTables(statement, context);
      case 'createSequence':
        this.#requireOpen();
        this.checkCreatePrivilege(session);
        await this.sequences.create(statement.name, statement.options, undefined, statement.ifNotExists);
        this.catalogChanged();
        return 'CREATE SEQUENCE';
      case 'alterSequence':
        this.#requireOpen();
        if (!this.sequences.exists(statement.name) && statement.ifExists) return 'ALTER SEQUENCE';
        await this.sequences.alter(statement.name, statement.options);
        return 'ALTER SEQUENCE';
      case 'vacuum':
        return this.#vacuum(statement, out);
      case 'analyze':
        await this.#analyze(statement.tables);
        return 'ANALYZE';
      case 'createUser':
        return this.#createUser(statement, out, session);
      case 'alterUser':
        return this.#alterUser(statement, session);
      case 'grant':
        return this.#grant(statement, session);
      case 'alterSystem':
        return this.#alterSystem(statement, session);
      case 'alterDatabase':
        return this.#alterDatabase(statement, session, out);
      case 'createDatabase':
        return this.#createDatabase(statement, session);
      case 'createControlfile':
        this.#requireSys(session, 'CREATE CONTROLFILE');
        return createControlfile(this.instance, statement, out, this.databaseName);
      case 'createTablespace':
        return this.#createTablespace(statement, session);
      case 'alterTablespace':
        return this.#alterTablespace(statement, session);
      case 'dropTablespace':
        return this.#dropTablespace(statement, context);
      default:
        throw new DbError(
          'FEATURE_NOT_SUPPORTED',
          `statement ${statement.kind} is not supported here (${text.slice(0, 40)})`,
        );
    }
  }

  #requireOpen(): void {
    if (this.instance.stage !== 'OPEN') {
      throw new DbError(
        'WRONG_INSTANCE_STATE',
        `the database is in ${this.instance.stage}; this statement needs it OPEN`,
      );
    }
  }

  #explain(session: SqlSession, statement: ast.Statement): string[] {
    const catalog = this.catalogForSession(session);
    const planner = new Planner(catalog, new ParameterTypes());
    switch (statement.kind) {
      case 'query':
        return explainPlan(planner.planQuery(statement.query).root);
      case 'update': {
        const executable = prepareUpdate(statement, catalog, planner);
        return [`Update on ${statement.table}`, ...indent(explainPlan(executableRoot(executable)))];
      }
      case 'delete': {
        const executable = prepareDelete(statement, catalog, planner);
        return [`Delete on ${statement.table}`, ...indent(explainPlan(executableRoot(executable)))];
      }
      case 'insert':
        prepareInsert(statement, catalog, planner);
        return [`Insert on ${statement.table}`];
      default:
        throw new DbError('FEATURE_NOT_SUPPORTED', `EXPLAIN of ${statement.kind} is not supported`);
    }
  }

  async #drop(
    statement: ast.DropStatement,
    context: { engine: SqlEngine; session: SqlSession; out: QueryOutput },
  ): Promise<string> {
    switch (statement.objectType) {
      case 'table':
        return dropTables(statement, context);
      case 'index':
        return dropIndexes(statement, context);
      case 'sequence':
        this.#requireOpen();
        for (const name of statement.names) {
          if (!this.sequences.exists(name)) {
            if (statement.ifExists) continue;
            throw new DbError('UNDEFINED_OBJECT', `sequence "${name}" does not exist`);
          }
          await this.sequences.drop(name);
        }
        this.catalogChanged();
        return 'DROP SEQUENCE';
      case 'user':
        this.#requireOpen();
        if (!this.isAdministrator(context.session.user)) {
          throw new DbError('INSUFFICIENT_PRIVILEGE', 'permission denied to drop role');
        }
        for (const name of statement.names) {
          if (name === 'sys') throw new DbError('INSUFFICIENT_PRIVILEGE', 'the user sys cannot be dropped');
          if (this.instance.database.catalog.object('user', name) === undefined) {
            if (statement.ifExists) continue;
            throw new DbError('UNDEFINED_OBJECT', `role "${name}" does not exist`);
          }
          await this.instance.database.catalog.removeObject('user', name);
        }
        return 'DROP ROLE';
    }
  }

  async #vacuum(statement: ast.VacuumStatement, out: QueryOutput): Promise<string> {
    this.#requireOpen();
    for (const table of statement.tables) this.catalogForSession().table(table);
    out.notice({
      severity: 'NOTICE',
      sqlState: '00000',
      message: 'VACUUM has nothing to reclaim: old row versions live in undo, which is freed when no snapshot needs it',
    });
    if (statement.analyze) await this.#analyze(statement.tables);
    return 'VACUUM';
  }

  /** ANALYZE: counts each table's rows for the planner. */
  async #analyze(tables: readonly string[]): Promise<void> {
    this.#requireOpen();
    const catalog = this.catalogForSession();
    const names = tables.length > 0 ? tables : catalog.tableNames();
    for (const name of names) {
      const table = catalog.table(name);
      let rows = 0;
      for await (const _row of table.shape.table.scan()) rows++;
      const statistics: TableStatistics = { rows, analyzedAt: new Date(this.#options.clock.nowMs()).toISOString() };
      await this.instance.database.catalog.putObject('stats', name, statistics);
    }
    this.catalogChanged();
  }

  async #createUser(statement: ast.CreateUserStatement, out: QueryOutput, session: SqlSession): Promise<string> {
    this.#requireOpen();
    if (!this.isAdministrator(session.user))
      throw new DbError('INSUFFICIENT_PRIVILEGE', 'permission denied to create role');
    const catalog = this.instance.database.catalog;
    if (statement.name === 'sys' || catalog.object('user', statement.name) !== undefined) {
      if (statement.ifNotExists) {
        out.notice({
          severity: 'NOTICE',
          sqlState: '42710',
          message: `role "${statement.name}" already exists, skipping`,
        });
        return 'CREATE ROLE';
      }
      throw new DbError('DUPLICATE_OBJECT', `role "${statement.name}" already exists`);
    }
    const user: StoredUser = {
      verifier: storedVerifier(statement.password ?? randomPassword()),
      login: statement.login && statement.password !== undefined,
      superuser: statement.superuser ?? false,
      ...(statement.defaultTablespace === undefined ? {} : { defaultTablespace: statement.defaultTablespace }),
      privileges: [],
      tablePrivileges: {},
    };
    await catalog.putObject('user', statement.name, user);
    return 'CREATE ROLE';
  }

  async #alterUser(statement: ast.AlterUserStatement, session: SqlSession): Promise<string> {
    const ownPasswordOnly =
      statement.name === session.user && statement.login === undefined && statement.defaultTablespace === undefined;
    if (!this.isAdministrator(session.user) && !ownPasswordOnly) {
      throw new DbError('INSUFFICIENT_PRIVILEGE', 'permission denied to alter role');
    }
    if (statement.name === 'sys') {
      if (statement.password !== undefined) await this.writeSysVerifier(statement.password);
      return 'ALTER ROLE';
    }
    this.#requireOpen();
    const catalog = this.instance.database.catalog;
    const stored = catalog.object<StoredUser>('user', statement.name)?.value;
    if (stored === undefined) throw new DbError('UNDEFINED_OBJECT', `role "${statement.name}" does not exist`);
    await catalog.putObject('user', statement.name, {
      ...stored,
      ...(statement.password === undefined ? {} : { verifier: storedVerifier(statement.password), login: true }),
      ...(statement.login === undefined ? {} : { login: statement.login }),
      ...(statement.defaultTablespace === undefined ? {} : { defaultTablespace: statement.defaultTablespace }),
    });
    return 'ALTER ROLE';
  }

  async #grant(statement: ast.GrantStatement, session: SqlSession): Promise<string> {
    this.#requireOpen();
    if (statement.tables === undefined) {
      if (!this.isAdministrator(session.user)) {
        throw new DbError(
          'INSUFFICIENT_PRIVILEGE',
          `only an administrator may ${statement.revoke ? 'revoke' : 'grant'} system privileges`,
        );
      }
    } else {
      for (const table of statement.tables) this.checkOwnership(session, table);
    }
    const catalog = this.instance.database.catalog;
    for (const grantee of statement.grantees) {
      if (grantee === 'sys' || grantee === 'public') continue;
      const stored = catalog.object<StoredUser>('user', grantee)?.value;
      if (stored === undefined) throw new DbError('UNDEFINED_OBJECT', `role "${grantee}" does not exist`);
      let next: StoredUser;
      if (statement.tables === undefined) {
        const set = new Set(stored.privileges);
        for (const privilege of statement.privileges) {
          if (statement.revoke) set.delete(privilege);
          else set.add(privilege);
        }
        next = { ...stored, privileges: [...set] };
      } else {
        const tablePrivileges = { ...stored.tablePrivileges };
        for (const table of statement.tables) {
          this.catalogForSession().table(table);
          const set = new Set(tablePrivileges[table] ?? []);
          for (const privilege of statement.privileges) {
            if (statement.revoke) set.delete(privilege);
            else set.add(privilege);
          }
          tablePrivileges[table] = [...set];
        }
        next = { ...stored, tablePrivileges };
      }
      await catalog.putObject('user', grantee, next);
    }
    return statement.revoke ? 'REVOKE' : 'GRANT';
  }

  /** A DATAFILE clause as the storage engine takes it: the path resolved, sizes in blocks. */
  #datafileSpec(spec: ast.DatafileSpec): Parameters<Instance['database']['storage']['addDatafile']>[1] {
    const blockBytes = this.instance.database.storage.cache.blockBytes;
    const blocks = (bytes: number): number => Math.ceil(bytes / blockBytes);
    const sizeBlocks = Math.max(64, blocks(spec.sizeBytes ?? 8 * 1024 * 1024));
    const path = isAbsolute(spec.path) ? spec.path : resolvePath(this.instance.directory, spec.path);
    const autoextend =
      spec.autoextend?.on === true
        ? {
            nextBlocks: Math.max(8, blocks(spec.autoextend.nextBytes ?? 8 * 1024 * 1024)),
            maxBlocks:
              spec.autoextend.maxBytes === undefined || spec.autoextend.maxBytes === 'unlimited'
                ? 1 << 22
                : Math.max(sizeBlocks, blocks(spec.autoextend.maxBytes)),
          }
        : undefined;
    return { path, sizeBlocks, ...(autoextend === undefined ? {} : { autoextend }) };
  }

  async #createTablespace(statement: ast.CreateTablespaceStatement, session: SqlSession): Promise<string> {
    this.#requireSys(session, 'CREATE TABLESPACE');
    this.#requireOpen();
    if (statement.type !== 'permanent') {
      throw new DbError(
        'FEATURE_NOT_SUPPORTED',
        `${statement.type.toUpperCase()} tablespaces are created with the database`,
      );
    }
    await this.instance.database.storage.addTablespace(
      statement.name.toUpperCase(),
      statement.datafiles.map((file) => this.#datafileSpec(file)),
    );
    return 'CREATE TABLESPACE';
  }

  /** Runs `work` holding exclusive locks on every table of a tablespace (no session uses them meanwhile). */
  async #withTablespaceLocked(
    session: SqlSession,
    tablespaceNumber: number,
    work: () => Promise<unknown>,
  ): Promise<void> {
    const state = this.instance.database.storage.control.state;
    const files = new Set(
      state.datafiles.filter((entry) => entry.tablespaceNumber === tablespaceNumber).map((entry) => entry.number),
    );
    const tables = this.instance.database.catalog
      .tables()
      .filter((definition) => files.has(definition.root.fileNumber))
      .map((definition) => definition.name);
    try {
      for (const table of tables)
        await this.locks.acquire(session.id, table, 'exclusive', session.settings.lockTimeoutMs);
      await work();
    } finally {
      if (!session.inBlock) this.locks.releaseAll(session.id);
    }
  }

  async #alterTablespace(statement: ast.AlterTablespaceStatement, session: SqlSession): Promise<string> {
    this.#requireSys(session, 'ALTER TABLESPACE');
    this.#requireOpen();
    const storage = this.instance.database.storage;
    const tablespace = storage.control.state.tablespaces.find(
      (ts) => ts.name.toLowerCase() === statement.name.toLowerCase(),
    );
    if (tablespace === undefined)
      throw new DbError('UNDEFINED_TABLESPACE', `tablespace "${statement.name}" does not exist`);
    switch (statement.action.kind) {
      case 'addDatafile':
        for (const file of statement.action.datafiles)
          await storage.addDatafile(tablespace.name, this.#datafileSpec(file));
        return 'ALTER TABLESPACE';
      case 'beginBackup':
        await beginBackup(this.instance, tablespace.name);
        return 'ALTER TABLESPACE';
      case 'endBackup':
        await endBackup(this.instance, tablespace.name);
        return 'ALTER TABLESPACE';
      case 'offline':
      case 'online': {
        const action = statement.action;
        await this.#withTablespaceLocked(session, tablespace.number, () =>
          action.kind === 'offline'
            ? tablespaceOffline(this.instance, tablespace.name, action.mode ?? 'normal')
            : tablespaceOnline(this.instance, tablespace.name),
        );
        return 'ALTER TABLESPACE';
      }
      default:
        throw new DbError(
          'FEATURE_NOT_SUPPORTED',
          `ALTER TABLESPACE ... ${statement.action.kind} comes with backup and recovery`,
        );
    }
  }

  /**
   * DROP TABLESPACE: refused while it holds tables unless INCLUDING CONTENTS drops them; AND
   * DATAFILES also deletes its files (otherwise they stay, no longer part of the database).
   * The database's default tablespace (the first USER one) and the SYSTEM, UNDO and TEMP
   * tablespaces cannot be dropped.
   */
  async #dropTablespace(statement: ast.DropTablespaceStatement, context: DdlContext): Promise<string> {
    const { session, out } = context;
    this.#requireSys(session, 'DROP TABLESPACE');
    this.#requireOpen();
    const state = this.instance.database.storage.control.state;
    const tablespace = state.tablespaces.find((ts) => ts.name.toLowerCase() === statement.name.toLowerCase());
    if (tablespace === undefined) {
      if (!statement.ifExists)
        throw new DbError('UNDEFINED_TABLESPACE', `tablespace "${statement.name}" does not exist`);
      out.notice({
        severity: 'NOTICE',
        sqlState: '00000',
        message: `tablespace "${statement.name}" does not exist, skipping`,
      });
      return 'DROP TABLESPACE';
    }
    if (tablespace.kind !== 'USER' || tablespace === state.tablespaces.find((ts) => ts.kind === 'USER')) {
      const role = tablespace.kind === 'USER' ? 'default' : tablespace.kind;
      throw new DbError(
        'INVALID_PARAMETER',
        `tablespace ${tablespace.name} is the ${role} tablespace and cannot be dropped`,
      );
    }
    const files = new Set(
      state.datafiles.filter((entry) => entry.tablespaceNumber === tablespace.number).map((entry) => entry.number),
    );
    const tables = this.instance.database.catalog
      .tables()
      .filter((definition) => files.has(definition.root.fileNumber))
      .map((definition) => definition.name);
    if (tables.length > 0) {
      if (!statement.includingContents) {
        throw new DbError(
          'DEPENDENT_OBJECTS',
          `tablespace ${tablespace.name} is not empty: it holds ${tables.length} table(s) (${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', ...' : ''})`,
          { hint: 'DROP TABLESPACE ... INCLUDING CONTENTS drops them too' },
        );
      }
      await dropTables(
        { kind: 'drop', objectType: 'table', names: tables, ifExists: true, cascade: true, pos: statement.pos },
        context,
      );
    } else {
      await session.commitBeforeDdl(out);
    }
    await this.instance.database.dropTablespace(tablespace.name, { deleteFiles: statement.andDatafiles });
    return 'DROP TABLESPACE';
  }

  /**
   * CREATE DATABASE in NOMOUNT (Tibero's way): the log groups and members, the SYSTEM
   * datafile, and the UNDO, TEMP and default tablespaces as the statement names them; the
   * database is created, opened, and sys's password set when IDENTIFIED BY gives one.
   */
  async #createDatabase(statement: ast.CreateDatabaseStatement, session: SqlSession): Promise<string> {
    this.#requireSys(session, 'CREATE DATABASE');
    if (this.instance.stage !== 'NOMOUNT') {
      throw new DbError(
        'WRONG_INSTANCE_STATE',
        `CREATE DATABASE runs in NOMOUNT; the instance is in ${this.instance.stage}`,
      );
    }
    const name = statement.name ?? this.databaseName;
    if (this.#options.databaseName !== undefined && name.toLowerCase() !== this.#options.databaseName.toLowerCase()) {
      throw new DbError(
        'INVALID_PARAMETER',
        `CREATE DATABASE names ${name}, but the parameter file says name: ${this.#options.databaseName}`,
      );
    }
    const blockBytes = 8192;
    const directory = this.instance.directory;
    const path = (file: string): string => (isAbsolute(file) ? file : resolvePath(directory, file));
    const tablespace = (
      kind: 'SYSTEM' | 'UNDO' | 'TEMP' | 'USER',
      defaultName: string,
      spec: { readonly name: string; readonly datafiles: readonly ast.DatafileSpec[] } | undefined,
      defaultBlocks: number,
    ) => {
      const file = spec?.datafiles[0];
      const sizeBlocks = Math.max(64, Math.ceil((file?.sizeBytes ?? defaultBlocks * blockBytes) / blockBytes));
      const autoextend =
        file?.autoextend?.on === false
          ? undefined
          : {
              nextBlocks: Math.max(8, Math.ceil((file?.autoextend?.nextBytes ?? 8 * 1024 * 1024) / blockBytes)),
              maxBlocks:
                file?.autoextend?.maxBytes === undefined || file.autoextend.maxBytes === 'unlimited'
                  ? 1 << 22
                  : Math.max(sizeBlocks, Math.ceil(file.autoextend.maxBytes / blockBytes)),
            };
      return {
        name: (spec?.name ?? defaultName).toUpperCase(),
        kind,
        sizeBlocks,
        ...(autoextend === undefined ? {} : { autoextend }),
        ...(file === undefined ? {} : { path: path(file.path) }),
      };
    };
    const groups = statement.logGroups;
    if (groups.length === 1) throw new DbError('REDO_LOG_CONFIG', 'a database needs at least 2 log groups');
    const sizes = new Set(groups.map((group) => group.sizeBytes ?? 64 * 1024 * 1024));
    if (sizes.size > 1) throw new DbError('FEATURE_NOT_SUPPORTED', 'log groups of different sizes are not supported');
    await this.instance.createDatabase({
      dbName: name,
      blockBytes,
      ...(groups.length === 0
        ? {}
        : { logGroupPaths: groups.map((group) => group.members.map(path)), logSizeBytes: [...sizes][0] }),
      ...(statement.archivelog === true ? { logMode: 'ARCHIVELOG' as const } : {}),
      tablespaces: [
        tablespace(
          'SYSTEM',
          'SYSTEM',
          statement.systemDatafiles.length === 0 ? undefined : { name: 'SYSTEM', datafiles: statement.systemDatafiles },
          1024,
        ),
        tablespace('UNDO', 'UNDO', statement.undoTablespace, 1024),
        tablespace('TEMP', 'TEMP', statement.temporaryTablespace, 256),
        tablespace('USER', 'USR', statement.defaultTablespace, 1024),
      ],
    });
    if (statement.sysPassword !== undefined) await this.writeSysVerifier(statement.sysPassword);
    this.#catalogOrThrow();
    return 'CREATE DATABASE';
  }

  /**
   * Privileges, as in Tibero: sys, superusers and holders of DBA may do anything; a table's
   * owner may do anything to it; others need the table privilege GRANT gave them (select,
   * insert, update, delete, or all). Creating a table needs RESOURCE, CREATE TABLE or DBA.
   */
  checkTablePrivilege(session: SqlSession, table: string, privilege: 'select' | 'insert' | 'update' | 'delete'): void {
    if (this.isAdministrator(session.user)) return;
    const owner = this.instance.database.catalog.hasTable(table)
      ? this.instance.database.table(table).definition.owner
      : undefined;
    if (owner === session.user) return;
    const granted = this.#storedUser(session.user)?.tablePrivileges[table] ?? [];
    if (granted.includes(privilege) || granted.includes('all') || granted.includes('all privileges')) return;
    throw new DbError('INSUFFICIENT_PRIVILEGE', `permission denied for table ${table}`, {
      hint: `the owner or sys can GRANT ${privilege.toUpperCase()} ON ${table} TO ${session.user}`,
    });
  }

  /** DDL on an existing table: its owner or an administrator. */
  checkOwnership(session: SqlSession, table: string): void {
    if (this.isAdministrator(session.user)) return;
    const owner = this.instance.database.table(table).definition.owner;
    if (owner !== session.user) throw new DbError('INSUFFICIENT_PRIVILEGE', `must be owner of table ${table}`);
  }

  /** CREATE TABLE and CREATE SEQUENCE: RESOURCE, CREATE TABLE or an administrator. */
  checkCreatePrivilege(session: SqlSession): void {
    if (this.isAdministrator(session.user)) return;
    const privileges = this.#storedUser(session.user)?.privileges ?? [];
    if (privileges.some((privilege) => ['resource', 'create table', 'create any table'].includes(privilege))) return;
    throw new DbError('INSUFFICIENT_PRIVILEGE', `permission denied to create a table: ${session.user} lacks RESOURCE`, {
      hint: `sys can GRANT RESOURCE TO ${session.user}`,
    });
  }

  isAdministrator(user: string): boolean {
    if (user === 'sys') return true;
    const stored = this.#storedUser(user);
    return stored !== undefined && (stored.superuser || stored.privileges.includes('dba'));
  }

  #storedUser(user: string): StoredUser | undefined {
    if (this.instance.stage !== 'OPEN') return undefined;
    return this.instance.database.catalog.object<StoredUser>('user', user)?.value;
  }

  #requireSys(session: SqlSession, what: string): void {
    if (session.user !== 'sys') throw new DbError('INSUFFICIENT_PRIVILEGE', `${what} needs the sys user`);
  }

  async #alterSystem(statement: ast.AlterSystemStatement, session: SqlSession): Promise<string> {
    this.#requireSys(session, 'ALTER SYSTEM');
    this.#requireOpen();
    const storage = this.instance.database.storage;
    switch (statement.action.kind) {
      case 'checkpoint':
        await alterSystemCheckpoint(storage);
        return 'ALTER SYSTEM';
      case 'switchLogfile':
        await alterSystemSwitchLogfile(storage);
        return 'ALTER SYSTEM';
      case 'archiveLogCurrent':
        await alterSystemArchiveLogCurrent(storage);
        return 'ALTER SYSTEM';
      case 'set':
        throw new DbError('FEATURE_NOT_SUPPORTED', `ALTER SYSTEM SET ${statement.action.name} is not supported`);
    }
  }

  async #alterDatabase(statement: ast.AlterDatabaseStatement, session: SqlSession, out: QueryOutput): Promise<string> {
    this.#requireSys(session, 'ALTER DATABASE');
    const action = statement.action;
    const instance = this.instance;
    const { fs, clock } = instance.io;
    switch (action.kind) {
      case 'mount':
        await instance.mount();
        return 'ALTER DATABASE';
      case 'open':
        checkNoRecovery(instance);
        if (action.resetlogs === true) await openResetlogs(instance, out);
        else await instance.open();
        this.#catalogOrThrow();
        return 'ALTER DATABASE';
      case 'recover':
        await recover(instance, action, out);
        return 'ALTER DATABASE';
      case 'archivelog':
        this.#expectStage('MOUNT', 'ALTER DATABASE ARCHIVELOG');
        await setLogMode(instance.controlFiles, action.on ? 'ARCHIVELOG' : 'NOARCHIVELOG', instance.alert);
        return 'ALTER DATABASE';
      case 'renameFile': {
        this.#expectStage('MOUNT', 'ALTER DATABASE RENAME FILE');
        const state = instance.controlFiles.state;
        if (state.datafiles.some((file) => file.path === action.from)) {
          await renameDatafile(instance.controlFiles, fs, action.from, action.to, instance.alert);
        } else {
          await renameLogMember(instance.controlFiles, fs, action.from, action.to, instance.alert);
        }
        return 'ALTER DATABASE';
      }
      case 'clearLogfile':
        this.#expectStage('MOUNT', 'ALTER DATABASE CLEAR LOGFILE');
        await clearLogGroup(instance.controlFiles, fs, action.group, {
          clock,
          alert: instance.alert,
          unarchived: action.unarchived,
        });
        return 'ALTER DATABASE';
      case 'addLogfile':
        this.#requireOpen();
        for (const group of action.groups) {
          await addLogGroup(instance.database.storage, {
            members: group.members,
            sizeBytes: group.sizeBytes ?? 64 * 1024 * 1024,
          });
        }
        return 'ALTER DATABASE';
      case 'addLogfileMember':
        this.#requireOpen();
        for (const member of action.members) await addLogMember(instance.database.storage, action.group, member);
        return 'ALTER DATABASE';
      case 'dropLogfileGroup':
        this.#requireOpen();
        await dropLogGroup(instance.database.storage, action.group);
        return 'ALTER DATABASE';
      case 'dropLogfileMember':
        this.#requireOpen();
        await dropLogMember(instance.database.storage, action.member);
        return 'ALTER DATABASE';
      case 'beginBackup':
        await beginBackup(instance);
        return 'ALTER DATABASE';
      case 'endBackup':
        await endBackup(instance);
        return 'ALTER DATABASE';
      case 'datafile':
        if (typeof action.action !== 'string') {
          throw new DbError('FEATURE_NOT_SUPPORTED', 'ALTER DATABASE DATAFILE ... RESIZE is not supported');
        }
        await datafileOnlineOffline(instance, action.file, action.action === 'online');
        return 'ALTER DATABASE';
      case 'createDatafile':
        await createDatafile(instance, action.file, action.as);
        return 'ALTER DATABASE';
      case 'backupControlfile':
        await backupControlfile(instance, action, out);
        return 'ALTER DATABASE';
      default:
        throw new DbError(
          'FEATURE_NOT_SUPPORTED',
          `ALTER DATABASE ${(action as { kind: string }).kind} comes with backup and media recovery`,
        );
    }
  }

  #expectStage(stage: 'MOUNT' | 'OPEN', what: string): void {
    if (this.instance.stage !== stage) {
      throw new DbError(
        'WRONG_INSTANCE_STATE',
        `${what} needs the database in ${stage}; it is in ${this.instance.stage}`,
      );
    }
  }
}

function executableRoot(executable: Executable): PlanNode {
  if (executable.plan === undefined) throw new DbError('FEATURE_NOT_SUPPORTED', 'no plan to explain');
  return executable.plan;
}

function indent(lines: readonly string[]): string[] {
  return lines.map((line, i) => (i === 0 ? `  ->  ${line}` : `      ${line}`));
}

/**
 * The verifier stored for a password. As in PostgreSQL, a password that is itself a
 * SCRAM-SHA-256 verifier is taken as already hashed: that is how an import gives users back
 * their passwords without knowing them.
 */
function storedVerifier(password: string): string {
  if (password.startsWith('SCRAM-SHA-256$')) {
    try {
      return formatScramVerifier(parseScramVerifier(password));
    } catch {
      // Not a well-formed verifier: PostgreSQL takes it as a plain password, and so do we.
    }
  }
  return formatScramVerifier(createScramVerifier(password));
}

export function randomPassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = new Uint8Array(24);
  globalThis.crypto.getRandomValues(bytes);
  return [...bytes].map((byte) => alphabet[byte % alphabet.length]).join('');
}
