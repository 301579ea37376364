// The instance: the boot stages and shutdown modes of Tibero around one database.
//   NOMOUNT  parameters read, alert log open; a database can be created.
//   MOUNT    control files opened and cross-checked; datafiles and logs can be renamed,
//            and the log mode changed.
//   OPEN     datafiles and logs checked against the control file, crash recovery run if
//            the last shutdown was not clean; sessions can work.
// Shutdown: NORMAL waits for every session to end, POST_TX for every transaction, IMMEDIATE
// rolls back active transactions, and all three take a full checkpoint and mark the
// shutdown clean. ABORT stops at once, like a crash: the next OPEN recovers.
import type { Clock, FileSystem } from '@tandem/testkit';
import { assert } from '../assert.js';
import type { ControlFiles } from '../control/control-file.js';
import { DbError } from '../errors.js';
import type { Table } from '../access/table.js';
import type { Transaction } from '../txn/transactions.js';
import { FileAlertLog, type AlertLog } from './alert-log.js';
import { verifyOnlineLogs } from './mount-admin.js';
import { Database, type CreateIndexSpec, type CreateTableSpec } from './database.js';
import {
  defaultControlFilePaths,
  doublewritePathOf,
  Storage,
  type CreateStorageSpec,
  type StorageIo,
} from './storage.js';

export type InstanceStage = 'SHUTDOWN' | 'NOMOUNT' | 'MOUNT' | 'OPEN';
export type ShutdownMode = 'NORMAL' | 'POST_TX' | 'IMMEDIATE' | 'ABORT';

/** The instance parameters (Tibero's $TB_SID.tip). */
export interface InstanceParameters {
  /** The directory of the database files (and, by default, of everything else). */
  readonly directory: string;
  readonly controlFiles?: readonly string[];
  readonly alertLogPath?: string;
  readonly doublewritePath?: string;
  readonly bufferCacheBlocks?: number;
  readonly lockTimeoutMs?: number;
  /** Who keeps DDL away from transactions using a table (see DatabaseOptions.ddlGuard). */
  readonly ddlGuard?: 'engine' | 'caller';
  /** How often the background checkpoint runs (ms). */
  readonly checkpointIntervalMs?: number;
  /** Archive destinations (Tibero's LOG_ARCHIVE_DEST); default `<directory>/archive`. */
  readonly archiveDestinations?: readonly string[];
  /** The archiver's first pause after a failure, in ms. */
  readonly archiveRetryMs?: number;
  /** Extra sink for alert lines (for example standard error). */
  readonly alertMirror?: (line: string) => void;
}

export interface InstanceIo {
  readonly fs: FileSystem;
  readonly clock: Clock;
}

/** A client's connection to the open instance: at most one transaction at a time. */
export class Session {
  readonly id: number;
  readonly #instance: Instance;
  #transaction: Transaction | undefined;
  #closed = false;

  constructor(instance: Instance, id: number) {
    this.#instance = instance;
    this.id = id;
  }

  get transaction(): Transaction | undefined {
    return this.#transaction?.state === 'active' ? this.#transaction : undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The session's active transaction, started if there is none (statements auto-begin). */
  current(): Transaction {
    if (this.#closed) throw new DbError('INSTANCE_DOWN', `session ${this.id} is closed`);
    const active = this.transaction;
    if (active !== undefined) return active;
    this.#transaction = this.#instance.beginFor(this);
    return this.#transaction;
  }

  async commit(): Promise<void> {
    const txn = this.transaction;
    if (txn !== undefined) await this.#instance.database.commit(txn);
    this.#instance.transactionEnded();
  }

  async rollback(): Promise<void> {
    const txn = this.transaction;
    if (txn !== undefined) await this.#instance.database.rollback(txn);
    this.#instance.transactionEnded();
  }

  /** Ends the session; an open transaction is rolled back, as when a client disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.transaction !== undefined) await this.rollback().catch(() => undefined);
    this.#closed = true;
    this.#instance.sessionEnded(this);
  }
}

export class Instance {
  readonly #io: InstanceIo;
  readonly #parameters: InstanceParameters;
  #stage: InstanceStage = 'SHUTDOWN';
  #alert: FileAlertLog | undefined;
  #control: ControlFiles | undefined;
  #database: Database | undefined;
  #sessions = new Set<Session>();
  #nextSessionId = 1;
  #shuttingDown: ShutdownMode | undefined;
  #changed: (() => void) | undefined;

  constructor(io: InstanceIo, parameters: InstanceParameters) {
    this.#io = io;
    this.#parameters = parameters;
  }

  get stage(): InstanceStage {
    return this.#stage;
  }

  get alert(): AlertLog {
    assert(this.#alert !== undefined, 'the alert log opens at NOMOUNT');
    return this.#alert;
  }

  get database(): Database {
    if (this.#stage !== 'OPEN' || this.#database === undefined) {
      throw new DbError('WRONG_INSTANCE_STATE', `the database is not open (the instance is in ${this.#stage})`);
    }
    return this.#database;
  }

  /** The mounted control files, for MOUNT-stage administration (renames, log mode). */
  get controlFiles(): ControlFiles {
    if (this.#stage !== 'MOUNT' || this.#control === undefined) {
      throw new DbError(
        'WRONG_INSTANCE_STATE',
        `control file administration needs the MOUNT stage (the instance is in ${this.#stage})`,
      );
    }
    return this.#control;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** The file system and clock the instance runs on (administrative commands use them too). */
  get io(): InstanceIo {
    return this.#io;
  }

  /** The buffer cache size the parameters give (media recovery in MOUNT uses as much). */
  get bufferCacheBlocks(): number {
    return this.#parameters.bufferCacheBlocks ?? 4096;
  }

  /** The database directory (relative file names in SQL resolve against it). */
  get directory(): string {
    return this.#parameters.directory;
  }

  /** The control file copies the parameters name (v$controlfile). */
  get controlFilePaths(): readonly string[] {
    return this.#controlFilePaths;
  }

  get #controlFilePaths(): readonly string[] {
    return this.#parameters.controlFiles ?? defaultControlFilePaths(this.#parameters.directory);
  }

  get #storageIo(): StorageIo {
    return { fs: this.#io.fs, clock: this.#io.clock, alert: this.alert };
  }

  get #openOptions() {
    return {
      controlFilePaths: this.#controlFilePaths,
      doublewritePath: this.#parameters.doublewritePath ?? doublewritePathOf(this.#parameters.directory),
      ...(this.#parameters.bufferCacheBlocks === undefined
        ? {}
        : { bufferCacheBlocks: this.#parameters.bufferCacheBlocks }),
      ...(this.#parameters.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: this.#parameters.lockTimeoutMs }),
      ...(this.#parameters.ddlGuard === undefined ? {} : { ddlGuard: this.#parameters.ddlGuard }),
      ...(this.#parameters.checkpointIntervalMs === undefined
        ? {}
        : { checkpointIntervalMs: this.#parameters.checkpointIntervalMs }),
      archiveDestinations: this.archiveDestinations,
      ...(this.#parameters.archiveRetryMs === undefined ? {} : { archiveRetryMs: this.#parameters.archiveRetryMs }),
    };
  }

  /** Where the archiver writes, and media recovery looks for archived logs. */
  get archiveDestinations(): readonly string[] {
    return this.#parameters.archiveDestinations ?? [`${this.#parameters.directory}/archive`];
  }

  /** NOMOUNT: reads the parameters and opens the alert log. */
  async nomount(): Promise<void> {
    this.#expectStage('SHUTDOWN', 'start the instance');
    const { directory } = this.#parameters;
    if (directory === '')
      throw new DbError('INVALID_PARAMETER', 'the parameter directory must name the database directory');
    await this.#io.fs.mkdir(directory, { recursive: true });
    this.#alert = new FileAlertLog(
      this.#io.fs,
      this.#parameters.alertLogPath ?? `${directory}/alert.log`,
      this.#io.clock,
      {
        ...(this.#parameters.alertMirror === undefined ? {} : { mirror: this.#parameters.alertMirror }),
      },
    );
    this.#stage = 'NOMOUNT';
    this.#shuttingDown = undefined;
    this.alert.notice('instance started: NOMOUNT');
  }

  /** CREATE DATABASE (in NOMOUNT): creates the files, bootstraps, and leaves the database OPEN. */
  async createDatabase(spec: Omit<CreateStorageSpec, 'directory' | 'controlFilePaths'>): Promise<void> {
    this.#expectStage('NOMOUNT', 'create a database');
    this.#database = await Database.create(
      this.#storageIo,
      { ...spec, directory: this.#parameters.directory, controlFilePaths: this.#controlFilePaths },
      this.#openOptions,
    );
    this.#stage = 'OPEN';
    this.alert.notice('database created and OPEN');
  }

  /** MOUNT: opens and cross-checks the control files. */
  async mount(): Promise<void> {
    this.#expectStage('NOMOUNT', 'mount');
    this.#control = await Storage.mount(this.#storageIo, this.#controlFilePaths);
    this.#stage = 'MOUNT';
    this.alert.notice('instance stage: MOUNT');
  }

  /** OPEN: checks datafiles and logs, recovers from a crash if needed. */
  async open(): Promise<void> {
    if (this.#stage === 'NOMOUNT') await this.mount();
    this.#expectStage('MOUNT', 'open');
    try {
      // Every online log group needs a member on disk (the seed: boot fails without them).
      const logs = await verifyOnlineLogs(this.controlFiles, this.#io.fs);
      for (const warning of logs.warnings) this.alert.warning(warning);
      this.#database = await Database.open(this.#storageIo, this.#openOptions, this.#control);
    } catch (error) {
      // A failed OPEN leaves the instance in NOMOUNT, as in Tibero: the operator repairs, then mounts again.
      await this.#control?.close().catch(() => undefined);
      this.#control = undefined;
      this.#stage = 'NOMOUNT';
      this.alert.error(`OPEN failed: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
    this.#control = undefined;
    this.#stage = 'OPEN';
    this.alert.notice('instance stage: OPEN');
  }

  /** Boots to OPEN from SHUTDOWN (tbboot). */
  async boot(): Promise<void> {
    await this.nomount();
    await this.open();
  }

  /** A new session; refused once a shutdown has begun. */
  connect(): Session {
    void this.database;
    if (this.#shuttingDown !== undefined) {
      throw new DbError(
        'SHUTDOWN_IN_PROGRESS',
        `the instance is shutting down (${this.#shuttingDown}); no new sessions`,
      );
    }
    const session = new Session(this, this.#nextSessionId++);
    this.#sessions.add(session);
    return session;
  }

  /** Called by Session.current(): POST_TX and later refuse new transactions. */
  beginFor(session: Session): Transaction {
    if (this.#shuttingDown !== undefined && this.#shuttingDown !== 'NORMAL') {
      throw new DbError(
        'SHUTDOWN_IN_PROGRESS',
        `the instance is shutting down (${this.#shuttingDown}); session ${session.id} cannot begin a transaction`,
      );
    }
    return this.database.begin();
  }

  transactionEnded(): void {
    this.#changed?.();
  }

  sessionEnded(session: Session): void {
    this.#sessions.delete(session);
    this.#changed?.();
  }

  // Convenience for embedded use: DDL and table access on the open database.
  createTable(spec: CreateTableSpec): Promise<Table> {
    return this.database.createTable(spec);
  }

  createIndex(table: string, spec: CreateIndexSpec): Promise<void> {
    return this.database.createIndex(table, spec);
  }

  table(name: string): Table {
    return this.database.table(name);
  }

  /** Shuts down in the given mode (tbdown). */
  async shutdown(mode: ShutdownMode = 'NORMAL'): Promise<void> {
    if (mode === 'ABORT') return this.#abort();
    if (this.#stage === 'SHUTDOWN') return;
    if (this.#stage !== 'OPEN') return this.#closeBelowOpen();
    this.#shuttingDown = mode;
    this.alert.notice(
      `shutdown ${mode} requested: ${this.#sessions.size} sessions, ${this.database.transactions.activeCount} active transactions`,
    );
    if (mode === 'NORMAL') {
      await this.#until(() => this.#sessions.size === 0);
    } else if (mode === 'POST_TX') {
      await this.#until(() => [...this.#sessions].every((session) => session.transaction === undefined));
    }
    // Closing a session rolls back its transaction (IMMEDIATE); closing the database rolls
    // back any transaction begun outside a session.
    for (const session of [...this.#sessions]) await session.close();
    await this.database.close();
    this.#database = undefined;
    this.#stage = 'SHUTDOWN';
    this.alert.notice(`shutdown ${mode} complete: the database is closed cleanly`);
    await this.#alert?.close();
  }

  async #closeBelowOpen(): Promise<void> {
    await this.#control?.close();
    this.#control = undefined;
    this.#stage = 'SHUTDOWN';
    this.alert.notice('instance shut down');
    await this.#alert?.close();
  }

  /** ABORT: stops at once, writing nothing more: no checkpoint, and the shutdown is not clean. */
  async #abort(): Promise<void> {
    if (this.#stage === 'SHUTDOWN') return;
    this.alert.warning('shutdown ABORT: stopping at once; the next OPEN runs crash recovery');
    const database = this.#database;
    this.#database = undefined;
    this.#stage = 'SHUTDOWN';
    this.#shuttingDown = 'ABORT';
    if (database !== undefined) {
      database.transactions.abortAll(new DbError('INSTANCE_DOWN', 'the instance was shut down with ABORT'));
      await database.storage.abort();
    }
    await this.#control?.close();
    this.#control = undefined;
    for (const session of this.#sessions) this.#sessions.delete(session);
    await this.#alert?.close();
  }

  #until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      this.#changed = () => {
        if (!condition()) return;
        this.#changed = undefined;
        resolve();
      };
    });
  }

  #expectStage(stage: InstanceStage, what: string): void {
    if (this.#stage !== stage) {
      throw new DbError('WRONG_INSTANCE_STATE', `cannot ${what} in ${this.#stage}; the instance must be in ${stage}`);
    }
  }
}
