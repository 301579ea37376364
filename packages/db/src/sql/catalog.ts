// The SQL view of the data dictionary: tables with their SQL types, defaults and CHECKs,
// the v$ views, users and sequences, all kept in the engine's catalog. Table descriptions
// are built once per definition and cached, so planning a statement costs map lookups.
import type { Database } from '../instance/database.js';
import type { ColumnDefinition, TableDefinition } from '../access/catalog.js';
import type { ColumnType } from '../access/value.js';
import { DbError } from '../errors.js';
import type * as ast from './ast.js';
import { parseExpression } from './parser.js';
import type { PlannerCatalog, Relation, TableRelation, VirtualRelation } from './planner.js';
import type { TableShape } from './plan-nodes.js';
import { sqlType, T, type SqlType, type SqlTypeName } from './types/types.js';

/** A column as SQL sees it. */
export interface SqlColumn {
  readonly name: string;
  readonly type: SqlType;
  readonly nullable: boolean;
  readonly storageIndex: number;
  readonly default?: ast.Expr;
  readonly defaultText?: string;
}

/** A table as SQL sees it. */
export interface SqlTable extends TableRelation {
  readonly definition: TableDefinition;
  readonly sqlColumns: readonly SqlColumn[];
  readonly checks: readonly { readonly name: string; readonly expr: ast.Expr; readonly text: string }[];
}

const STORAGE_TO_SQL: Readonly<Record<ColumnType, SqlTypeName>> = {
  bool: 'bool',
  int2: 'int2',
  int4: 'int4',
  int8: 'int8',
  float8: 'float8',
  numeric: 'numeric',
  text: 'text',
  bytea: 'bytea',
  timestamp: 'timestamp',
  date: 'date',
};

export function columnSqlType(column: ColumnDefinition): SqlType {
  if (column.sqlType !== undefined) return sqlType(column.sqlType.name as SqlTypeName, column.sqlType.typmod);
  return T[STORAGE_TO_SQL[column.type]];
}

/** Table statistics that ANALYZE gathers. */
export interface TableStatistics {
  readonly rows: number;
  readonly analyzedAt: string;
}

export class SqlCatalog implements PlannerCatalog {
  readonly #database: Database | undefined;
  readonly #views = new Map<string, VirtualRelation>();
  readonly #tables = new WeakMap<TableDefinition, SqlTable>();

  /** Without a database (NOMOUNT, MOUNT) only the views exist. */
  constructor(database: Database | undefined) {
    this.#database = database;
  }

  get isOpen(): boolean {
    return this.#database !== undefined;
  }

  get database(): Database {
    if (this.#database === undefined) {
      throw new DbError('WRONG_INSTANCE_STATE', 'the database is not OPEN: only the v$ views can be read');
    }
    return this.#database;
  }

  /** Registers a virtual table (v$ views, dual). */
  addView(view: VirtualRelation): void {
    this.#views.set(view.name, view);
  }

  views(): VirtualRelation[] {
    return [...this.#views.values()];
  }

  relation(name: string, pos: number): Relation {
    const view = this.#views.get(name);
    if (view !== undefined) return view;
    return this.table(name, pos);
  }

  hasTable(name: string): boolean {
    return this.#database?.catalog.hasTable(name) ?? false;
  }

  table(name: string, pos?: number): SqlTable {
    if (!this.hasTable(name)) {
      throw new DbError(
        'NO_SUCH_TABLE',
        `relation "${name}" does not exist`,
        pos === undefined ? {} : { position: pos + 1 },
      );
    }
    const engineTable = this.database.table(name);
    const definition = engineTable.definition;
    const cached = this.#tables.get(definition);
    if (cached !== undefined && cached.shape.table === engineTable) return cached;
    const described = this.#describe(definition);
    this.#tables.set(definition, described);
    return described;
  }

  tableNames(): string[] {
    return this.database.catalog
      .tables()
      .filter((definition) => !definition.dropping)
      .map((definition) => definition.name)
      .sort();
  }

  statistics(name: string): TableStatistics | undefined {
    return this.#database?.catalog.object<TableStatistics>('stats', name)?.value;
  }

  #describe(definition: TableDefinition): SqlTable {
    const sqlColumns: SqlColumn[] = [];
    definition.columns.forEach((column, storageIndex) => {
      if (column.dropped === true) return;
      sqlColumns.push({
        name: column.name,
        type: columnSqlType(column),
        nullable: column.nullable,
        storageIndex,
        ...(column.default === undefined
          ? {}
          : { default: parseExpression(column.default), defaultText: column.default }),
      });
    });
    const position = (name: string): number => sqlColumns.findIndex((column) => column.name === name);
    const keyTypes =
      definition.primaryKey.length > 0
        ? definition.primaryKey.map((name) => sqlColumns[position(name)].type)
        : [T.int8];
    const statistics = this.statistics(definition.name);
    const shape: TableShape = {
      name: definition.name,
      table: this.database.table(definition.name),
      storageIndexes: sqlColumns.map((column) => column.storageIndex),
      identity: sqlColumns.length === definition.columns.length,
      keyColumns: definition.primaryKey.length > 0 ? definition.primaryKey : ['rowid'],
      keyTypes,
      estimatedRows: statistics?.rows ?? 1000,
    };
    return {
      kind: 'table',
      name: definition.name,
      oid: definition.objectNumber,
      columns: sqlColumns.map((column) => ({ name: column.name, type: column.type })),
      shape,
      primaryKey: definition.primaryKey.map(position),
      indexes: definition.indexes.map((index) => ({
        name: index.name,
        columns: index.columns.map(position),
        unique: index.unique,
      })),
      definition,
      sqlColumns,
      checks: (definition.checks ?? []).map((check) => ({
        name: check.name,
        expr: parseExpression(check.expr),
        text: check.expr,
      })),
    };
  }
}
