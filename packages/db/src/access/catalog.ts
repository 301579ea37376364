// The data dictionary: table and index definitions, kept in a B+tree in the SYSTEM
// tablespace whose root is the first data block of the SYSTEM datafile. DDL changes it in
// mini-transactions flagged COMMIT (DDL commits on its own, as in Oracle), so a crash
// leaves every definition either wholly there or not at all.
import { assert } from '../assert.js';
import { DbError } from '../errors.js';
import { RedoFlag } from '../redo/redo-record.js';
import type { BlockAddress } from '../storage/block.js';
import type { Storage } from '../instance/storage.js';
import { runWithRetry, type BlockSource } from '../txn/mini-transaction.js';
import { BTree, scanAll } from './btree.js';
import { COLUMN_TYPES, type ColumnType } from './value.js';

export const CATALOG_OBJECT_NUMBER = 1;
/** Object numbers below this are reserved for the engine (catalog 1, undo 2). */
export const FIRST_USER_OBJECT_NUMBER = 100;

export interface ColumnDefinition {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
  /** The SQL type (name and typmod) when the column was made by SQL; it stores as `type`. */
  readonly sqlType?: { readonly name: string; readonly typmod: number };
  /** The DEFAULT expression as SQL text. */
  readonly default?: string;
  /** Set by ALTER TABLE DROP COLUMN: rows keep the slot, SQL no longer sees the column. */
  readonly dropped?: boolean;
}

export interface IndexDefinition {
  readonly name: string;
  readonly objectNumber: number;
  readonly columns: readonly string[];
  readonly unique: boolean;
  readonly root: BlockAddress;
}

export interface TableDefinition {
  readonly name: string;
  readonly objectNumber: number;
  readonly columns: readonly ColumnDefinition[];
  /** Primary key columns; empty means the table is keyed by a hidden row id. */
  readonly primaryKey: readonly string[];
  readonly root: BlockAddress;
  readonly indexes: readonly IndexDefinition[];
  /** Set while DROP TABLE frees the table's blocks; OPEN finishes the drop after a crash. */
  readonly dropping?: boolean;
  /** CHECK constraints as SQL text. */
  readonly checks?: readonly { readonly name: string; readonly expr: string }[];
  /** The user that created the table (SQL); tables made through the API have none. */
  readonly owner?: string;
  /**
   * Trees no longer (or not yet) part of the table, to free: those a rebuild (TRUNCATE, ADD
   * PRIMARY KEY) is filling, or those it replaced. If a crash interrupts the rebuild, OPEN
   * frees them, so the table is either wholly old or wholly new.
   */
  readonly garbage?: readonly { readonly root: BlockAddress; readonly objectNumber: number }[];
}

/**
 * A catalog entry other than a table (users, sequences, grants...): a kind, a name and a
 * JSON value, owned by the layer that defines the kind.
 */
export interface CatalogObject<T = unknown> {
  readonly kind: string;
  readonly name: string;
  readonly value: T;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEXT_OBJECT_KEY = encoder.encode('\u0000next-object');

function tableKey(name: string): Uint8Array {
  return encoder.encode(`table:${name}`);
}

function objectKey(kind: string, name: string): Uint8Array {
  assert(/^[a-z]+$/.test(kind) && kind !== 'table', () => `catalog object kind ${kind}`);
  return encoder.encode(`${kind}:${name}`);
}

export function validateIdentifier(name: string, what: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(name)) {
    throw new DbError(
      'INVALID_PARAMETER',
      `${what} name '${name}' must start with a letter or underscore and use letters, digits, _ or $ (at most 63)`,
    );
  }
}

export class Catalog {
  readonly #storage: Storage;
  readonly #tree: BTree;
  readonly #tables = new Map<string, TableDefinition>();
  /** Other objects by `kind:name`. */
  readonly #objects = new Map<string, CatalogObject>();
  #nextObjectNumber = FIRST_USER_OBJECT_NUMBER;

  private constructor(storage: Storage, tree: BTree) {
    this.#storage = storage;
    this.#tree = tree;
  }

  get tree(): BTree {
    return this.#tree;
  }

  /** Creates the catalog's root in a new database. */
  static async create(storage: Storage, systemFileNumber: number): Promise<Catalog> {
    const space = storage.space.inFile(systemFileNumber);
    const { result: tree } = await storage.mtr(
      (mtr) => BTree.create(mtr, space, CATALOG_OBJECT_NUMBER, storage.cache.blockBytes),
      RedoFlag.Commit,
    );
    const expected = storage.space.file(systemFileNumber).datafile.firstDataBlock;
    assert(
      tree.root.blockNumber === expected,
      () => `catalog root at block ${tree.root.blockNumber}, expected ${expected}`,
    );
    await storage.redo.flush();
    return new Catalog(storage, tree);
  }

  /** Loads every definition of an existing database. */
  static async open(storage: Storage, systemFileNumber: number): Promise<Catalog> {
    const root = {
      fileNumber: systemFileNumber,
      blockNumber: storage.space.file(systemFileNumber).datafile.firstDataBlock,
    };
    const catalog = new Catalog(
      storage,
      new BTree(root, CATALOG_OBJECT_NUMBER, storage.space.inFile(systemFileNumber), storage.cache.blockBytes),
    );
    const read = <T>(operation: (source: BlockSource) => T): Promise<T> =>
      runWithRetry(() => storage.cache as BlockSource, operation);
    for await (const entry of scanAll(read, catalog.#tree, { direction: 'forward' }, 64)) {
      const text = decoder.decode(entry.value);
      if (sameBytes(entry.key, NEXT_OBJECT_KEY)) {
        catalog.#nextObjectNumber = Number(text);
        continue;
      }
      const key = decoder.decode(entry.key);
      const colon = key.indexOf(':');
      const kind = key.slice(0, colon);
      if (kind !== 'table') {
        const name = key.slice(colon + 1);
        catalog.#objects.set(key, { kind, name, value: JSON.parse(text) as unknown });
        continue;
      }
      const definition = JSON.parse(text) as TableDefinition;
      for (const column of definition.columns)
        assert(COLUMN_TYPES.includes(column.type), () => `catalog: unknown type ${column.type}`);
      catalog.#tables.set(definition.name, definition);
    }
    return catalog;
  }

  /** Every object of a kind, in name order. */
  objects<T>(kind: string): CatalogObject<T>[] {
    return [...this.#objects.values()]
      .filter((entry) => entry.kind === kind)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) as CatalogObject<T>[];
  }

  object<T>(kind: string, name: string): CatalogObject<T> | undefined {
    return this.#objects.get(`${kind}:${name}`) as CatalogObject<T> | undefined;
  }

  /** Creates or replaces an object; durable when this resolves. */
  async putObject(kind: string, name: string, value: unknown): Promise<void> {
    const key = objectKey(kind, name);
    const bytes = encoder.encode(JSON.stringify(value));
    if (bytes.length > BTree.maxEntryBytes(this.#storage.cache.blockBytes) - key.length) {
      throw new DbError('ROW_TOO_LARGE', `catalog object ${kind} ${name} is too large (${bytes.length} bytes)`);
    }
    const { tsn } = await this.#storage.mtr((mtr) => {
      this.#tree.upsert(mtr, key, bytes);
    }, RedoFlag.Commit);
    await this.#storage.redo.flush(tsn);
    this.#objects.set(`${kind}:${name}`, { kind, name, value });
  }

  async removeObject(kind: string, name: string): Promise<void> {
    const { tsn } = await this.#storage.mtr((mtr) => {
      this.#tree.delete(mtr, objectKey(kind, name));
    }, RedoFlag.Commit);
    await this.#storage.redo.flush(tsn);
    this.#objects.delete(`${kind}:${name}`);
  }

  tables(): TableDefinition[] {
    return [...this.#tables.values()];
  }

  table(name: string): TableDefinition {
    const definition = this.#tables.get(name);
    if (definition === undefined) throw new DbError('NO_SUCH_TABLE', `table ${name} does not exist`);
    return definition;
  }

  hasTable(name: string): boolean {
    return this.#tables.has(name);
  }

  /** Reserves object numbers in memory; persisted with the definition that uses them. */
  allocateObjectNumber(): number {
    return this.#nextObjectNumber++;
  }

  /**
   * Writes (creates or replaces) a definition. The object counter goes first, in its own
   * mtr (one tree operation per mtr): a crash between the two only skips object numbers.
   */
  async put(definition: TableDefinition): Promise<void> {
    const counter = encoder.encode(String(this.#nextObjectNumber));
    await this.#storage.mtr((mtr) => {
      this.#tree.upsert(mtr, NEXT_OBJECT_KEY, counter);
    }, RedoFlag.Commit);
    const value = encoder.encode(JSON.stringify(definition));
    if (value.length > BTree.maxEntryBytes(this.#storage.cache.blockBytes) - tableKey(definition.name).length) {
      throw new DbError(
        'ROW_TOO_LARGE',
        `the definition of table ${definition.name} is too large for the catalog (${value.length} bytes)`,
      );
    }
    const { tsn } = await this.#storage.mtr((mtr) => {
      this.#tree.upsert(mtr, tableKey(definition.name), value);
    }, RedoFlag.Commit);
    await this.#storage.redo.flush(tsn);
    this.#tables.set(definition.name, definition);
  }

  async remove(name: string): Promise<void> {
    const { tsn } = await this.#storage.mtr((mtr) => {
      this.#tree.delete(mtr, tableKey(name));
    }, RedoFlag.Commit);
    await this.#storage.redo.flush(tsn);
    this.#tables.delete(name);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
