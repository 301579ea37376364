// The database: the storage engine plus the catalog of tables and the transaction manager.
// Creating one bootstraps the undo segments and the catalog root; opening one runs crash
// recovery in the seed's two steps: the storage engine rolls the redo forward, then the
// transaction manager rolls back every transaction that has no commit record.
import { DbError } from '../errors.js';
import { BTree } from '../access/btree.js';
import {
  Catalog,
  validateIdentifier,
  type ColumnDefinition,
  type IndexDefinition,
  type TableDefinition,
} from '../access/catalog.js';
import { Table, type Row } from '../access/table.js';
import type { BlockAddress } from '../storage/block.js';
import { RedoFlag } from '../redo/redo-record.js';
import {
  TransactionManager,
  UNDO_SEGMENTS_DEFAULT,
  type RecoveryReport,
  type Transaction,
} from '../txn/transactions.js';
import { createStorage, Storage, type CreateStorageSpec, type OpenStorageOptions, type StorageIo } from './storage.js';
import type { TablespaceKind } from '../control/control-state.js';
import type { ControlFiles } from '../control/control-file.js';

export interface DatabaseOptions extends OpenStorageOptions {
  readonly lockTimeoutMs?: number;
  /**
   * Who keeps DDL away from transactions using the table: 'engine' (the default) refuses
   * DROP, CREATE INDEX and rebuilds while any transaction is active; 'caller' trusts the
   * caller's table locks (the SQL layer holds an exclusive lock on the table).
   */
  readonly ddlGuard?: 'engine' | 'caller';
}

export interface CreateTableSpec {
  readonly name: string;
  readonly columns: readonly ColumnDefinition[];
  readonly primaryKey?: readonly string[];
  /** Tablespace name; default the first USER tablespace. */
  readonly tablespace?: string;
  /** CHECK constraints (SQL text) and owner, kept in the definition for the SQL layer. */
  readonly checks?: TableDefinition['checks'];
  readonly owner?: string;
}

export interface CreateIndexSpec {
  readonly name: string;
  readonly columns: readonly string[];
  readonly unique?: boolean;
}

const FREE_BLOCKS_PER_MTR = 32;

/**
 * The datafile a new segment goes to: the first of the SYSTEM and UNDO tablespaces (their
 * segments are found at fixed places), the newest of a user tablespace (it has the most room).
 */
function fileOfKind(storage: Storage, kind: TablespaceKind, name?: string): number {
  const { state } = storage.control;
  const tablespace = state.tablespaces.find((ts) => (name === undefined ? ts.kind === kind : ts.name === name));
  if (tablespace === undefined) throw new DbError('INVALID_PARAMETER', `no tablespace ${name ?? `of kind ${kind}`}`);
  const files = state.datafiles.filter((entry) => entry.tablespaceNumber === tablespace.number);
  if (files.length === 0) throw new DbError('INVALID_PARAMETER', `tablespace ${tablespace.name} has no datafile`);
  return (tablespace.kind === 'USER' ? files[files.length - 1] : files[0]).number;
}

export class Database {
  readonly storage: Storage;
  readonly catalog: Catalog;
  readonly transactions: TransactionManager;
  readonly recovery: RecoveryReport;
  readonly #tables = new Map<string, Table>();
  /** Every table and index tree by object number: undo names the tree it restores. */
  readonly #trees: Map<number, BTree>;
  #ddlGuard: 'engine' | 'caller' = 'engine';

  private constructor(storage: Storage, catalog: Catalog, transactions: TransactionManager, trees: Map<number, BTree>) {
    this.storage = storage;
    this.catalog = catalog;
    this.transactions = transactions;
    this.#trees = trees;
    this.recovery = { rolledBack: 0, undoRecordsApplied: 0, cleanedUp: 0 };
  }

  /** Creates the files of a new database, bootstraps it, and opens it. */
  static async create(
    io: StorageIo,
    spec: CreateStorageSpec,
    options: DatabaseOptions & { readonly undoSegments?: number },
  ): Promise<Database> {
    await createStorage(io, spec);
    const storage = await Storage.open(io, options);
    try {
      await TransactionManager.createSegments(
        storage,
        fileOfKind(storage, 'UNDO'),
        options.undoSegments ?? UNDO_SEGMENTS_DEFAULT,
      );
      await Catalog.create(storage, fileOfKind(storage, 'SYSTEM'));
    } catch (error) {
      await storage.close();
      throw error;
    }
    return Database.#assemble(storage, options);
  }

  /** Opens a database, recovering it from a crash if needed. */
  /** Opens a database, recovering it from a crash if needed; `mounted` reuses control files opened at MOUNT. */
  static async open(io: StorageIo, options: DatabaseOptions, mounted?: ControlFiles): Promise<Database> {
    return Database.#assemble(await Storage.open(io, options, mounted), options);
  }

  static async #assemble(storage: Storage, options: DatabaseOptions): Promise<Database> {
    try {
      const catalog = await Catalog.open(storage, fileOfKind(storage, 'SYSTEM'));
      const trees = new Map<number, BTree>();
      const transactions = await TransactionManager.open({
        storage,
        undoFileNumber: fileOfKind(storage, 'UNDO'),
        trees: (objectNumber) => {
          const tree = trees.get(objectNumber);
          if (tree === undefined)
            throw new DbError('NO_SUCH_TABLE', `undo refers to object ${objectNumber}, which no table owns`);
          return tree;
        },
        ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }),
      });
      const database = new Database(storage, catalog, transactions, trees);
      database.#ddlGuard = options.ddlGuard ?? 'engine';
      for (const definition of catalog.tables()) {
        if (!definition.dropping) await database.#register(definition);
      }
      const recovery = await transactions.recover();
      if (recovery.rolledBack > 0 || recovery.cleanedUp > 0) {
        storage.io.alert.notice(
          `transaction recovery: rolled back ${recovery.rolledBack} uncommitted transactions (${recovery.undoRecordsApplied} undo records), finished ${recovery.cleanedUp} committed ones`,
        );
      }
      (database as { recovery: RecoveryReport }).recovery = recovery;
      for (const definition of catalog.tables()) {
        if (definition.dropping) await database.#finishDrop(definition);
        else if (definition.garbage !== undefined) await database.#collectGarbage(definition);
      }
      return database;
    } catch (error) {
      await storage.close().catch(() => undefined);
      throw error;
    }
  }

  async #register(definition: TableDefinition): Promise<Table> {
    const table = new Table(this.storage, this.transactions, definition);
    await table.initializeRowIds();
    this.#tables.set(definition.name, table);
    for (const tree of table.trees()) this.#trees.set(tree.objectNumber, tree);
    return table;
  }

  table(name: string): Table {
    const table = this.#tables.get(name);
    if (table === undefined) throw new DbError('NO_SUCH_TABLE', `table ${name} does not exist`);
    return table;
  }

  // Transactions.

  begin(): Transaction {
    this.#assertOpen();
    return this.transactions.begin();
  }

  commit(txn: Transaction): Promise<number> {
    return this.transactions.commit(txn);
  }

  rollback(txn: Transaction): Promise<void> {
    return this.transactions.rollback(txn);
  }

  savepoint(txn: Transaction, name: string): void {
    this.transactions.savepoint(txn, name);
  }

  rollbackToSavepoint(txn: Transaction, name: string): Promise<void> {
    return this.transactions.rollbackToSavepoint(txn, name);
  }

  // DDL: each statement commits on its own.

  async createTable(spec: CreateTableSpec): Promise<Table> {
    this.#assertOpen();
    validateIdentifier(spec.name, 'table');
    if (this.catalog.hasTable(spec.name)) throw new DbError('TABLE_EXISTS', `table ${spec.name} already exists`);
    if (spec.columns.length === 0)
      throw new DbError('INVALID_PARAMETER', `table ${spec.name} needs at least one column`);
    const seen = new Set<string>();
    for (const column of spec.columns) {
      validateIdentifier(column.name, 'column');
      if (seen.has(column.name))
        throw new DbError('INVALID_PARAMETER', `column ${column.name} appears twice in table ${spec.name}`);
      seen.add(column.name);
    }
    for (const name of spec.primaryKey ?? []) {
      if (!seen.has(name))
        throw new DbError('INVALID_PARAMETER', `primary key column ${name} is not a column of ${spec.name}`);
    }
    const fileNumber = fileOfKind(this.storage, 'USER', spec.tablespace);
    const objectNumber = this.catalog.allocateObjectNumber();
    const root = await this.#createTree(fileNumber, objectNumber);
    const primaryKey = spec.primaryKey ?? [];
    const definition: TableDefinition = {
      name: spec.name,
      objectNumber,
      columns: spec.columns.map((column) => ({
        ...column,
        nullable: column.nullable && !primaryKey.includes(column.name),
      })),
      primaryKey,
      root,
      indexes: [],
      ...(spec.checks === undefined || spec.checks.length === 0 ? {} : { checks: spec.checks }),
      ...(spec.owner === undefined ? {} : { owner: spec.owner }),
    };
    await this.catalog.put(definition);
    return this.#register(definition);
  }

  async createIndex(tableName: string, spec: CreateIndexSpec): Promise<void> {
    this.#assertOpen();
    this.#assertQuiet('CREATE INDEX');
    validateIdentifier(spec.name, 'index');
    const table = this.table(tableName);
    if (table.definition.indexes.some((index) => index.name === spec.name)) {
      throw new DbError('INDEX_EXISTS', `index ${spec.name} already exists on ${tableName}`);
    }
    for (const column of spec.columns) table.columnIndex(column);
    const objectNumber = this.catalog.allocateObjectNumber();
    const root = await this.#createTree(table.definition.root.fileNumber, objectNumber);
    const index: IndexDefinition = {
      name: spec.name,
      objectNumber,
      columns: spec.columns,
      unique: spec.unique ?? false,
      root,
    };
    const definition = { ...table.definition, indexes: [...table.definition.indexes, index] };
    // Build from the existing rows in one transaction, then publish the definition.
    const building = new Table(this.storage, this.transactions, definition);
    const indexTree = building.trees().find((tree) => tree.objectNumber === objectNumber)!;
    this.#trees.set(objectNumber, indexTree);
    const txn = this.transactions.begin();
    try {
      await building.buildIndex(txn, spec.name);
      await this.transactions.commit(txn);
    } catch (error) {
      if (txn.state === 'active') await this.transactions.rollback(txn);
      await this.#freeTree(indexTree);
      this.#trees.delete(objectNumber);
      throw error;
    }
    await this.catalog.put(definition);
    await this.#register(definition);
  }

  async dropIndex(tableName: string, indexName: string): Promise<void> {
    this.#assertOpen();
    this.#assertQuiet('DROP INDEX');
    const table = this.table(tableName);
    const index = table.definition.indexes.find((candidate) => candidate.name === indexName);
    if (index === undefined) throw new DbError('NO_SUCH_INDEX', `table ${tableName} has no index ${indexName}`);
    const definition = {
      ...table.definition,
      indexes: table.definition.indexes.filter((candidate) => candidate !== index),
    };
    await this.catalog.put(definition);
    const tree = table.trees().find((candidate) => candidate.objectNumber === index.objectNumber)!;
    await this.#register(definition);
    await this.#freeTree(tree);
    this.#trees.delete(index.objectNumber);
  }

  /** ALTER TABLESPACE ADD DATAFILE. */
  addDatafile(tablespace: string, spec: Parameters<Storage['addDatafile']>[1]): Promise<number> {
    this.#assertOpen();
    return this.storage.addDatafile(tablespace, spec);
  }

  /** DROP TABLESPACE, after the SQL layer dropped its tables. */
  async dropTablespace(name: string, options: { readonly deleteFiles: boolean }): Promise<void> {
    this.#assertOpen();
    this.#assertQuiet('DROP TABLESPACE');
    const tablespace = this.storage.control.state.tablespaces.find((ts) => ts.name === name);
    const files = new Set(
      this.storage.control.state.datafiles
        .filter((entry) => entry.tablespaceNumber === tablespace?.number)
        .map((entry) => entry.number),
    );
    const holder = this.catalog.tables().find((definition) => files.has(definition.root.fileNumber));
    if (holder !== undefined) {
      throw new DbError('DEPENDENT_OBJECTS', `tablespace ${name} still holds table ${holder.name}`);
    }
    await this.storage.dropTablespace(name, options);
  }

  async dropTable(name: string): Promise<void> {
    this.#assertOpen();
    this.#assertQuiet('DROP TABLE');
    const table = this.table(name);
    const dropping = { ...table.definition, dropping: true };
    await this.catalog.put(dropping);
    this.#tables.delete(name);
    await this.#finishDrop(dropping);
  }

  /**
   * Replaces a table's trees with new ones holding `rows` (none for TRUNCATE), under a new
   * definition (a new primary key for ADD PRIMARY KEY): new trees are created and recorded as
   * garbage first, filled by direct path, then swapped in while the old ones become the
   * garbage, which is freed last. A crash at any point leaves the old table or the new one.
   */
  async rebuildTable(
    name: string,
    change: (definition: TableDefinition) => TableDefinition,
    rows: (old: Table) => AsyncIterable<Row> | Iterable<Row>,
  ): Promise<Table> {
    this.#assertOpen();
    this.#assertQuiet('rebuilding a table');
    const old = this.table(name);
    const target = change(old.definition);
    const fileNumber = old.definition.root.fileNumber;
    const fresh: { root: BlockAddress; objectNumber: number }[] = [];
    const objectNumber = this.catalog.allocateObjectNumber();
    fresh.push({ root: await this.#createTree(fileNumber, objectNumber), objectNumber });
    const indexes = [];
    for (const index of target.indexes) {
      const indexObject = this.catalog.allocateObjectNumber();
      const root = await this.#createTree(fileNumber, indexObject);
      fresh.push({ root, objectNumber: indexObject });
      indexes.push({ ...index, objectNumber: indexObject, root });
    }
    await this.catalog.put({ ...old.definition, garbage: fresh });
    const rebuilt: TableDefinition = { ...target, objectNumber, root: fresh[0].root, indexes, garbage: undefined };
    const building = new Table(this.storage, this.transactions, rebuilt);
    try {
      await building.loadDirect(rows(old));
    } catch (error) {
      await this.#collectGarbage({ ...old.definition, garbage: fresh });
      throw error;
    }
    const retired = old.trees().map((tree) => ({ root: tree.root, objectNumber: tree.objectNumber }));
    await this.catalog.put({ ...rebuilt, garbage: retired });
    for (const tree of old.trees()) this.#trees.delete(tree.objectNumber);
    const table = await this.#register({ ...rebuilt, garbage: retired });
    await this.#collectGarbage(table.definition);
    return this.table(name);
  }

  /** Replaces a table's definition where no tree changes (ADD/DROP COLUMN, defaults, checks, renames). */
  async alterDefinition(name: string, change: (definition: TableDefinition) => TableDefinition): Promise<Table> {
    this.#assertOpen();
    const old = this.table(name);
    const next = change(old.definition);
    if (next.name !== name) {
      validateIdentifier(next.name, 'table');
      if (this.catalog.hasTable(next.name)) throw new DbError('TABLE_EXISTS', `table ${next.name} already exists`);
      await this.catalog.put(next);
      await this.catalog.remove(name);
      this.#tables.delete(name);
    } else {
      await this.catalog.put(next);
    }
    return this.#register(next);
  }

  /** Frees the trees listed as garbage in a table's definition, then clears the list. */
  async #collectGarbage(definition: TableDefinition): Promise<void> {
    for (const { root, objectNumber } of definition.garbage ?? []) {
      await this.#freeTree(
        new BTree(root, objectNumber, this.storage.space.inFile(root.fileNumber), this.storage.cache.blockBytes),
      );
    }
    const clean = { ...definition, garbage: undefined };
    await this.catalog.put(clean);
    if (this.#tables.has(definition.name)) await this.#register(clean);
  }

  async #finishDrop(definition: TableDefinition): Promise<void> {
    const table = new Table(this.storage, this.transactions, definition);
    for (const tree of table.trees()) {
      await this.#freeTree(tree);
      this.#trees.delete(tree.objectNumber);
    }
    await this.catalog.remove(definition.name);
  }

  async #createTree(fileNumber: number, objectNumber: number): Promise<{ fileNumber: number; blockNumber: number }> {
    const space = this.storage.space.inFile(fileNumber);
    const { result: tree, tsn } = await this.storage.mtr(
      (mtr) => BTree.create(mtr, space, objectNumber, this.storage.cache.blockBytes),
      RedoFlag.Commit,
    );
    await this.storage.redo.flush(tsn);
    return tree.root;
  }

  async #freeTree(tree: BTree): Promise<void> {
    for (;;) {
      const { result: more } = await this.storage.mtr((mtr) => tree.freeAll(mtr, FREE_BLOCKS_PER_MTR), RedoFlag.Commit);
      if (!more) break;
    }
    await this.storage.redo.flush();
  }

  #assertQuiet(statement: string): void {
    if (this.#ddlGuard === 'engine' && this.transactions.activeCount > 0) {
      throw new DbError(
        'LOCK_TIMEOUT',
        `${statement} needs no transaction to be active (${this.transactions.activeCount} are); retry when they end`,
      );
    }
  }

  #assertOpen(): void {
    if (this.storage.fatalError !== undefined)
      throw new DbError('INSTANCE_DOWN', `the instance is down: ${this.storage.fatalError.message}`);
  }

  /** ALTER SYSTEM CHECKPOINT. */
  checkpoint(): Promise<void> {
    return this.storage.checkpointer.full('ALTER SYSTEM CHECKPOINT');
  }

  /** ALTER SYSTEM SWITCH LOGFILE. */
  switchLogfile(): Promise<void> {
    return this.storage.redo.switchLogfile();
  }

  /** Clean shutdown: rolls back any transaction still active, then a full checkpoint. */
  async close(): Promise<void> {
    const rolledBack = await this.transactions.rollbackActive();
    if (rolledBack > 0) this.storage.io.alert.notice(`close: rolled back ${rolledBack} active transactions`);
    await this.transactions.drain();
    await this.storage.close();
  }
}
