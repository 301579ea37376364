// Tables: rows in a B+tree keyed by the primary key (or a hidden row id), with secondary
// indexes as B+trees of (index columns, primary key). Every change goes through the
// transaction manager, so it is undoable and locked; a statement that fails part-way is
// rolled back to where it began. Readers see the last committed version of each row: a
// row written by another transaction that is still active is read from its undo.
import { assert } from '../assert.js';
import { DbError } from '../errors.js';
import type { Storage } from '../instance/storage.js';
import { runWithRetry, RetryAfter, type BlockSource } from '../txn/mini-transaction.js';
import type { Transaction, TransactionManager } from '../txn/transactions.js';
import { decodeUndoRecord, undoPointerBlock, undoPointerOffset } from '../txn/undo.js';
import { BTree, type KeyRange } from './btree.js';
import type { IndexDefinition, TableDefinition } from './catalog.js';
import { encodeKey, encodeKeyPrefix, decodeKey, successorOfPrefix } from './key-codec.js';
import { decodeRowVersion, encodeRowVersion, type RowVersion } from './row-version.js';
import { decodeRow, encodeRow } from './row-codec.js';
import { validateValue, type ColumnType, type Value } from './value.js';

export type Row = Value[];

/**
 * What a read sees: the changes of `txn` (if given) plus what other transactions had
 * committed when `snapshot` was taken (TransactionManager.takeSnapshot); without a
 * snapshot, the latest committed state.
 */
export interface ReadView {
  readonly txn?: Transaction;
  readonly snapshot?: number;
  /**
   * The snapshot is the transaction's (REPEATABLE READ / SERIALIZABLE): changing a row whose
   * newest version the snapshot does not see is a serialization failure.
   */
  readonly serializable?: boolean;
}

function serializationFailure(deleted: boolean): DbError {
  return new DbError(
    'SERIALIZATION_FAILURE',
    `could not serialize access due to concurrent ${deleted ? 'delete' : 'update'}`,
  );
}

export interface RowRange {
  /** Primary key values (a prefix of the key columns is allowed). */
  readonly lower?: { readonly values: readonly Value[]; readonly inclusive: boolean };
  readonly upper?: { readonly values: readonly Value[]; readonly inclusive: boolean };
  readonly direction?: 'forward' | 'backward';
  readonly limit?: number;
}

const EMPTY = new Uint8Array(0);

interface IndexHandle {
  readonly definition: IndexDefinition;
  readonly tree: BTree;
  readonly columns: number[];
  readonly types: ColumnType[];
}

export class Table {
  readonly definition: TableDefinition;
  readonly primary: BTree;
  readonly #storage: Storage;
  readonly #transactions: TransactionManager;
  readonly #types: ColumnType[];
  readonly #keyColumns: number[];
  readonly #keyTypes: ColumnType[];
  readonly #indexes: IndexHandle[];
  /** Next hidden row id (tables without a primary key), from the largest one at open. */
  #nextRowId = 1n;

  constructor(storage: Storage, transactions: TransactionManager, definition: TableDefinition) {
    this.#storage = storage;
    this.#transactions = transactions;
    this.definition = definition;
    const blockBytes = storage.cache.blockBytes;
    this.primary = new BTree(
      definition.root,
      definition.objectNumber,
      storage.space.inFile(definition.root.fileNumber),
      blockBytes,
    );
    this.#types = definition.columns.map((column) => column.type);
    this.#keyColumns = definition.primaryKey.map((name) => this.columnIndex(name));
    this.#keyTypes = this.#keyColumns.length > 0 ? this.#keyColumns.map((i) => this.#types[i]) : ['int8'];
    this.#indexes = definition.indexes.map((index) => {
      const columns = index.columns.map((name) => this.columnIndex(name));
      return {
        definition: index,
        tree: new BTree(index.root, index.objectNumber, storage.space.inFile(index.root.fileNumber), blockBytes),
        columns,
        types: columns.map((i) => this.#types[i]),
      };
    });
  }

  /** The trees of this table by object number (for undo). */
  trees(): BTree[] {
    return [this.primary, ...this.#indexes.map((index) => index.tree)];
  }

  columnIndex(name: string): number {
    const index = this.definition.columns.findIndex((column) => column.name === name);
    if (index < 0) throw new DbError('INVALID_PARAMETER', `table ${this.definition.name} has no column ${name}`);
    return index;
  }

  /** Finds the largest hidden row id in use, so new ones keep increasing across restarts. */
  async initializeRowIds(): Promise<void> {
    if (this.#keyColumns.length > 0) return;
    const batch = await this.#read((source) => this.primary.scan(source, { direction: 'backward' }, 1));
    const last = batch.entries[0];
    if (last !== undefined) this.#nextRowId = (decodeKey(['int8'], last.key)[0] as bigint) + 1n;
  }

  // Writes.

  async insert(txn: Transaction, values: readonly Value[]): Promise<void> {
    const row = this.#validate(values);
    await this.#statement(txn, async () => {
      const key = this.#primaryKeyOf(row);
      const payload = encodeRow(this.#types, row);
      await this.#transactions.change(txn, this.primary, key, (current) => {
        if (current !== undefined && !current.deleted) {
          throw new DbError(
            'DUPLICATE_KEY',
            `duplicate key in table ${this.definition.name}: ${this.#describeKey(key)}`,
          );
        }
        return { kind: 'put', payload };
      });
      for (const index of this.#indexes) await this.#putIndexEntry(txn, index, row, key);
    });
  }

  /**
   * Updates the row with this primary key; returns false if there is none. `changes` may be
   * a function of the current row, evaluated once the row is locked (SET x = x - 1).
   */
  async update(
    txn: Transaction,
    keyValues: readonly Value[],
    changes: Readonly<Record<string, Value>> | ((row: Row) => Readonly<Record<string, Value>>),
  ): Promise<boolean> {
    const key = this.#keyFromValues(keyValues);
    let updated = false;
    await this.#statement(txn, async () => {
      let before: Row | undefined;
      let after: Row | undefined;
      await this.#transactions.change(txn, this.primary, key, (current) => {
        if (current === undefined || current.deleted) return { kind: 'none' };
        before = decodeRow(this.#types, current.payload);
        after = [...before];
        const assignments = typeof changes === 'function' ? changes(before) : changes;
        for (const [name, value] of Object.entries(assignments)) {
          const column = this.columnIndex(name);
          after[column] = validateValue(this.#types[column], value, name);
          if (value === null && !this.definition.columns[column].nullable) {
            throw new DbError('TYPE_MISMATCH', `column ${name} of table ${this.definition.name} cannot be NULL`);
          }
        }
        if (this.#keyColumns.some((column) => compareDiffers(before![column], after![column]))) {
          throw new DbError(
            'INVALID_PARAMETER',
            `updating the primary key of ${this.definition.name} is not supported; delete and insert the row`,
          );
        }
        return { kind: 'put', payload: encodeRow(this.#types, after) };
      });
      if (before === undefined || after === undefined) return;
      updated = true;
      for (const index of this.#indexes) {
        if (!index.columns.some((column) => compareDiffers(before![column], after![column]))) continue;
        await this.#deleteIndexEntry(txn, index, before, key);
        await this.#putIndexEntry(txn, index, after, key);
      }
    });
    return updated;
  }

  /** Deletes the row with this primary key; returns false if there is none. */
  async delete(txn: Transaction, keyValues: readonly Value[]): Promise<boolean> {
    const key = this.#keyFromValues(keyValues);
    let deleted = false;
    await this.#statement(txn, async () => {
      let before: Row | undefined;
      await this.#transactions.change(txn, this.primary, key, (current) => {
        if (current === undefined || current.deleted) return { kind: 'none' };
        before = decodeRow(this.#types, current.payload);
        return { kind: 'put', payload: current.payload, deleted: true };
      });
      if (before === undefined) return;
      deleted = true;
      for (const index of this.#indexes) await this.#deleteIndexEntry(txn, index, before, key);
    });
    return deleted;
  }

  /**
   * Updates the row stored under an encoded primary key (from scanEntries), once it is
   * locked: `change` sees the newest version and returns the whole new row, or null to leave
   * it alone (its predicate no longer holds). Returns the new row, or undefined if the row
   * is gone or was left alone. The primary key may not change.
   */
  async updateAt(
    txn: Transaction,
    key: Uint8Array,
    change: (row: Row) => readonly Value[] | null,
    serializableSnapshot?: number,
  ): Promise<Row | undefined> {
    let result: { before: Row; after: Row } | undefined;
    await this.#statement(txn, async () => {
      await this.#transactions.change(txn, this.primary, key, (current) => {
        result = undefined;
        this.#checkSerializable(txn, current, serializableSnapshot);
        if (current === undefined || current.deleted) return { kind: 'none' };
        const before = decodeRow(this.#types, current.payload);
        const proposed = change(before);
        if (proposed === null) return { kind: 'none' };
        const after = this.#validate(proposed);
        if (this.#keyColumns.some((column) => compareDiffers(before[column], after[column]))) {
          throw new DbError(
            'INVALID_PARAMETER',
            `updating the primary key of ${this.definition.name} is not supported; delete and insert the row`,
          );
        }
        result = { before, after };
        return { kind: 'put', payload: encodeRow(this.#types, after) };
      });
      if (result === undefined) return;
      const { before, after } = result;
      for (const index of this.#indexes) {
        if (!index.columns.some((column) => compareDiffers(before[column], after[column]))) continue;
        await this.#deleteIndexEntry(txn, index, before, key);
        await this.#putIndexEntry(txn, index, after, key);
      }
    });
    return result?.after;
  }

  /** Deletes the row under an encoded primary key if `recheck` (on the newest version) allows; returns the deleted row. */
  async deleteAt(
    txn: Transaction,
    key: Uint8Array,
    recheck: (row: Row) => boolean = () => true,
    serializableSnapshot?: number,
  ): Promise<Row | undefined> {
    let before: Row | undefined;
    await this.#statement(txn, async () => {
      await this.#transactions.change(txn, this.primary, key, (current) => {
        before = undefined;
        this.#checkSerializable(txn, current, serializableSnapshot);
        if (current === undefined || current.deleted) return { kind: 'none' };
        const row = decodeRow(this.#types, current.payload);
        if (!recheck(row)) return { kind: 'none' };
        before = row;
        return { kind: 'put', payload: current.payload, deleted: true };
      });
      if (before === undefined) return;
      for (const index of this.#indexes) await this.#deleteIndexEntry(txn, index, before, key);
    });
    return before;
  }

  /** Under a transaction snapshot, the newest version must be one the snapshot sees. */
  #checkSerializable(txn: Transaction, current: RowVersion | undefined, snapshot: number | undefined): void {
    if (snapshot === undefined || current === undefined) return;
    if (!this.#transactions.isVisible(current.txnId, txn, snapshot)) throw serializationFailure(current.deleted);
  }

  /** Encodes primary key values (for updateAt and deleteAt after a point read). */
  encodeKey(values: readonly Value[]): Uint8Array {
    return this.#keyFromValues(values);
  }

  /** Rows with their encoded primary keys, in key order (for UPDATE and DELETE). */
  async *scanEntries(range: RowRange = {}, view?: ReadView): AsyncGenerator<{ key: Uint8Array; row: Row }> {
    let keyRange: KeyRange | undefined = this.#keyRange(range);
    let remaining = range.limit ?? Number.POSITIVE_INFINITY;
    while (keyRange !== undefined && remaining > 0) {
      const current: KeyRange = keyRange;
      const { entries, resume } = await this.#read((source) => {
        const batch = this.primary.scan(source, current, 64);
        const visible: { key: Uint8Array; payload: Uint8Array }[] = [];
        for (const entry of batch.entries) {
          const payload = this.#visible(source, decodeRowVersion(entry.value), view);
          if (payload !== undefined) visible.push({ key: entry.key.slice(), payload: payload.slice() });
        }
        return { entries: visible, resume: batch.resume };
      });
      for (const { key, payload } of entries) {
        if (remaining-- <= 0) return;
        yield { key, row: decodeRow(this.#types, payload) };
      }
      keyRange = resume;
    }
  }

  /** Index lookup with each row's encoded primary key. */
  async *lookupEntries(
    indexName: string,
    values: readonly Value[],
    view?: ReadView,
  ): AsyncGenerator<{ key: Uint8Array; row: Row }> {
    for await (const key of this.#lookupKeys(indexName, values, view)) {
      const row = await this.#rowByKey(key, view);
      if (row !== undefined) yield { key, row };
    }
  }

  // Reads: the last committed version, or the reader's own.

  async get(keyValues: readonly Value[], view?: ReadView): Promise<Row | undefined> {
    return this.#rowByKey(this.#keyFromValues(keyValues), view);
  }

  /** The row visible to `view` under an encoded primary key. */
  async #rowByKey(key: Uint8Array, view: ReadView | undefined): Promise<Row | undefined> {
    const payload = await this.#read((source) => {
      const bytes = this.primary.get(source, key);
      return bytes === undefined ? undefined : this.#visible(source, decodeRowVersion(bytes), view);
    });
    return payload === undefined ? undefined : decodeRow(this.#types, payload);
  }

  /** Rows in primary key order within a range, in batches under the hood. */
  async *scan(range: RowRange = {}, view?: ReadView): AsyncGenerator<Row> {
    for await (const entry of this.scanEntries(range, view)) yield entry.row;
  }

  /** Rows whose index columns equal `values` (a prefix of the index columns is allowed). */
  async *lookup(indexName: string, values: readonly Value[], view?: ReadView): AsyncGenerator<Row> {
    for await (const key of this.#lookupKeys(indexName, values, view)) {
      const row = await this.#rowByKey(key, view);
      if (row !== undefined) yield row;
    }
  }

  /** The primary keys of the rows an index lists under `values`, as the view sees the index. */
  async *#lookupKeys(indexName: string, values: readonly Value[], view?: ReadView): AsyncGenerator<Uint8Array> {
    const index = this.#indexes.find((candidate) => candidate.definition.name === indexName);
    if (index === undefined)
      throw new DbError('NO_SUCH_INDEX', `table ${this.definition.name} has no index ${indexName}`);
    const prefix = encodeKeyPrefix(index.types.slice(0, values.length), values);
    const upper = successorOfPrefix(prefix);
    let keyRange: KeyRange | undefined = {
      lower: { key: prefix, inclusive: true },
      ...(upper === null ? {} : { upper: { key: upper, inclusive: false } }),
      direction: 'forward',
    };
    while (keyRange !== undefined) {
      const current: KeyRange = keyRange;
      const { keys, resume } = await this.#read((source) => {
        const batch = index.tree.scan(source, current, 64);
        const found: Uint8Array[] = [];
        for (const entry of batch.entries) {
          const payload = this.#visible(source, decodeRowVersion(entry.value), view);
          if (payload !== undefined)
            found.push(index.definition.unique ? payload.slice() : this.#primaryKeyFromIndexKey(index, entry.key));
        }
        return { keys: found, resume: batch.resume };
      });
      yield* keys;
      keyRange = resume;
    }
  }

  /** Fills a new index from the table's rows (CREATE INDEX), inside `txn`. */
  async buildIndex(txn: Transaction, indexName: string): Promise<void> {
    const index = this.#indexes.find((candidate) => candidate.definition.name === indexName);
    assert(index !== undefined, () => `no index ${indexName} to build`);
    let range: KeyRange | undefined = { direction: 'forward' };
    while (range !== undefined) {
      const current: KeyRange = range;
      const batch = await this.#read((source) => this.primary.scan(source, current, 256));
      for (const entry of batch.entries) {
        const version = decodeRowVersion(entry.value);
        if (!version.deleted) await this.#putIndexEntry(txn, index, decodeRow(this.#types, version.payload), entry.key);
      }
      range = batch.resume;
    }
  }

  /**
   * Direct-path load into trees that no transaction can see yet (a rebuild publishes them
   * afterwards): each row and its index entries go in without undo, as versions with no
   * writer, which every reader sees. A duplicate key is TDB-5001. Returns the row count.
   */
  async loadDirect(rows: AsyncIterable<Row> | Iterable<Row>): Promise<number> {
    let count = 0;
    for await (const values of rows) {
      const row = this.#validate(values);
      const key = this.#primaryKeyOf(row);
      const version = encodeRowVersion(false, 0, 0, encodeRow(this.#types, row));
      const { result: inserted } = await this.#storage.mtr((mtr) => this.primary.insert(mtr, key, version));
      if (!inserted)
        throw new DbError('DUPLICATE_KEY', `duplicate key in table ${this.definition.name}: ${this.#describeKey(key)}`);
      for (const index of this.#indexes) {
        const indexKey = this.#indexKey(index, row, key);
        const entry = encodeRowVersion(false, 0, 0, index.definition.unique ? key : EMPTY);
        const { result: added } = await this.#storage.mtr((mtr) => index.tree.insert(mtr, indexKey, entry));
        if (!added) {
          throw new DbError(
            'DUPLICATE_KEY',
            `duplicate key in unique index ${index.definition.name} of table ${this.definition.name}`,
          );
        }
      }
      count++;
    }
    return count;
  }

  /** Every index agrees with the table (for tests and ANALYZE-like checks): returns problems. */
  async checkIndexes(): Promise<string[]> {
    const problems: string[] = [];
    const rows: { key: Uint8Array; row: Row }[] = [];
    let range: KeyRange | undefined = { direction: 'forward' };
    while (range !== undefined) {
      const current: KeyRange = range;
      const batch = await this.#read((source) => this.primary.scan(source, current, 256));
      for (const entry of batch.entries) {
        const version = decodeRowVersion(entry.value);
        if (!version.deleted) rows.push({ key: entry.key, row: decodeRow(this.#types, version.payload) });
      }
      range = batch.resume;
    }
    for (const index of this.#indexes) {
      const expected = new Set(rows.map(({ key, row }) => hex(this.#indexKey(index, row, key))));
      const actual = new Set<string>();
      let indexRange: KeyRange | undefined = { direction: 'forward' };
      while (indexRange !== undefined) {
        const current: KeyRange = indexRange;
        const batch = await this.#read((source) => index.tree.scan(source, current, 256));
        for (const entry of batch.entries) if (!decodeRowVersion(entry.value).deleted) actual.add(hex(entry.key));
        indexRange = batch.resume;
      }
      for (const key of expected)
        if (!actual.has(key)) problems.push(`index ${index.definition.name} lacks an entry for a row (${key})`);
      for (const key of actual)
        if (!expected.has(key)) problems.push(`index ${index.definition.name} has an entry for no row (${key})`);
    }
    return problems;
  }

  // Internals.

  #validate(values: readonly Value[]): Row {
    const { columns } = this.definition;
    if (values.length !== columns.length) {
      throw new DbError(
        'TYPE_MISMATCH',
        `table ${this.definition.name} has ${columns.length} columns, got ${values.length} values`,
      );
    }
    return columns.map((column, i) => {
      const value = validateValue(column.type, values[i], column.name);
      if (value === null && !column.nullable)
        throw new DbError('TYPE_MISMATCH', `column ${column.name} of table ${this.definition.name} cannot be NULL`);
      return value;
    });
  }

  #primaryKeyOf(row: Row): Uint8Array {
    if (this.#keyColumns.length === 0) return encodeKey(['int8'], [this.#nextRowId++]);
    return encodeKey(
      this.#keyTypes,
      this.#keyColumns.map((i) => row[i]),
    );
  }

  #keyFromValues(values: readonly Value[]): Uint8Array {
    if (values.length !== this.#keyTypes.length) {
      throw new DbError(
        'TYPE_MISMATCH',
        `the key of table ${this.definition.name} has ${this.#keyTypes.length} columns, got ${values.length} values`,
      );
    }
    return encodeKey(
      this.#keyTypes,
      values.map((value, i) => validateValue(this.#keyTypes[i], value, `key column ${i + 1}`)),
    );
  }

  #indexKey(index: IndexHandle, row: Row, primaryKey: Uint8Array): Uint8Array {
    const values = index.columns.map((i) => row[i]);
    const own = encodeKeyPrefix(index.types, values);
    // NULL equals nothing, so rows with a NULL in a unique index's columns never conflict:
    // their entries carry the primary key too, like a non-unique index's.
    if (index.definition.unique && !values.includes(null)) return own;
    const key = new Uint8Array(own.length + primaryKey.length);
    key.set(own);
    key.set(primaryKey, own.length);
    return key;
  }

  #primaryKeyFromIndexKey(index: IndexHandle, indexKey: Uint8Array): Uint8Array {
    const values = decodeKey([...index.types, ...this.#keyTypes], indexKey);
    return encodeKey(this.#keyTypes, values.slice(index.types.length));
  }

  async #putIndexEntry(txn: Transaction, index: IndexHandle, row: Row, primaryKey: Uint8Array): Promise<void> {
    const key = this.#indexKey(index, row, primaryKey);
    await this.#transactions.change(txn, index.tree, key, (current) => {
      if (index.definition.unique && current !== undefined && !current.deleted) {
        throw new DbError(
          'DUPLICATE_KEY',
          `duplicate key in unique index ${index.definition.name} of table ${this.definition.name}`,
        );
      }
      return { kind: 'put', payload: index.definition.unique ? primaryKey : EMPTY };
    });
  }

  async #deleteIndexEntry(txn: Transaction, index: IndexHandle, row: Row, primaryKey: Uint8Array): Promise<void> {
    const key = this.#indexKey(index, row, primaryKey);
    await this.#transactions.change(txn, index.tree, key, (current) => {
      assert(
        current !== undefined && !current.deleted,
        () => `index ${index.definition.name} lacks the entry of a row being changed`,
      );
      return { kind: 'put', payload: current.payload, deleted: true };
    });
  }

  /** Statement atomicity: a failure undoes the statement's own changes and rethrows. */
  async #statement(txn: Transaction, body: () => Promise<void>): Promise<void> {
    const name = `\u0000statement`;
    this.#transactions.savepoint(txn, name);
    try {
      await body();
    } catch (error) {
      if (txn.state === 'active') await this.#transactions.rollbackToSavepoint(txn, name);
      throw error;
    }
  }

  /**
   * The payload a reader sees: its own change, or the last committed version. A version
   * written by another active transaction is replaced by the one its undo record holds.
   */
  #visible(source: BlockSource, version: RowVersion, view: ReadView | undefined): Uint8Array | undefined {
    let current: RowVersion | undefined = version;
    while (current !== undefined && !this.#transactions.isVisible(current.txnId, view?.txn, view?.snapshot)) {
      const block = source.block({
        fileNumber: this.#transactions.undoFileNumber,
        blockNumber: undoPointerBlock(current.undo),
      });
      const record = decodeUndoRecord(block, undoPointerOffset(current.undo));
      current = record.oldValue === undefined ? undefined : decodeRowVersion(record.oldValue);
    }
    return current === undefined || current.deleted ? undefined : current.payload;
  }

  /**
   * Key bounds from (possibly partial) primary key values. A partial key stands for every
   * key that starts with it: "above it" begins after all of them, "up to it" ends after
   * all of them.
   */
  #keyRange(range: RowRange): KeyRange {
    const types = this.#keyTypes;
    let lower: KeyRange['lower'];
    let upper: KeyRange['upper'];
    let empty = false;
    if (range.lower !== undefined) {
      const prefix = encodeKeyPrefix(types.slice(0, range.lower.values.length), range.lower.values);
      const partial = range.lower.values.length < types.length;
      if (partial && !range.lower.inclusive) {
        const after = successorOfPrefix(prefix);
        if (after === null) empty = true;
        else lower = { key: after, inclusive: true };
      } else {
        lower = { key: prefix, inclusive: range.lower.inclusive };
      }
    }
    if (range.upper !== undefined) {
      const prefix = encodeKeyPrefix(types.slice(0, range.upper.values.length), range.upper.values);
      const partial = range.upper.values.length < types.length;
      if (partial && range.upper.inclusive) {
        const after = successorOfPrefix(prefix);
        if (after !== null) upper = { key: after, inclusive: false };
      } else {
        upper = { key: prefix, inclusive: range.upper.inclusive };
      }
    }
    if (empty)
      return {
        direction: range.direction ?? 'forward',
        lower: { key: Uint8Array.of(0xff, 0xff), inclusive: false },
        upper: { key: Uint8Array.of(0xff, 0xff), inclusive: false },
      };
    return {
      direction: range.direction ?? 'forward',
      ...(lower === undefined ? {} : { lower }),
      ...(upper === undefined ? {} : { upper }),
    };
  }

  #describeKey(key: Uint8Array): string {
    return JSON.stringify(decodeKey(this.#keyTypes, key), (_, value: unknown) =>
      typeof value === 'bigint' ? value.toString() : value,
    );
  }

  #read<T>(operation: (source: BlockSource) => T): Promise<T> {
    return runWithRetry(() => this.#storage.cache as BlockSource, operation);
  }
}

function compareDiffers(a: Value, b: Value): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array)
    return a.length !== b.length || a.some((byte, i) => byte !== b[i]);
  return a !== b;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export { RetryAfter };
