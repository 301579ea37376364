// INSERT, UPDATE and DELETE. Rows to change are found through the statement's snapshot,
// then each is changed under its row lock against its newest version: the WHERE condition
// is checked again on that version (a concurrent committed update may have moved the row
// out of it, as PostgreSQL's READ COMMITTED re-check does), and SET expressions read it,
// so `SET x = x + 1` never loses an update.
import { DbError } from '../errors.js';
import type { Transaction } from '../txn/transactions.js';
import type { Value } from '../access/value.js';
import type * as ast from './ast.js';
import type { SqlCatalog, SqlTable } from './catalog.js';
import {
  bindExpr,
  columnReader,
  coerce,
  coerceToBoolean,
  evaluate,
  prepareSubqueries,
  Scope,
  type Compiled,
  type ExecEnv,
  type Row,
  type ScopeColumn,
} from './expr.js';
import { visibleRow, type PlanNode, type TableScan } from './plan-nodes.js';
import type { CopySpec } from './copy.js';
import type { Planner } from './planner.js';
import { DEFAULT_MARKER, outputName, splitConjuncts, type QueryPlan } from './planner.js';
import { formatTypeName, T } from './types/types.js';
import type { SqlValue } from './types/value.js';

/** A statement ready to run with parameter values: its result columns, if any, and its rows. */
export interface Executable {
  /** Result columns (RETURNING, a query), or null for a statement that returns no rows. */
  readonly columns: readonly ScopeColumn[] | null;
  /** Tables to lock before running, and how. */
  readonly locks: readonly { readonly table: string; readonly mode: 'shared' | 'exclusive' }[];
  /** Whether the statement changes data (it then needs a transaction). */
  readonly writes: boolean;
  /** Yields the result rows and returns the command tag. */
  run(env: ExecEnv, txn: Transaction | undefined): AsyncGenerator<Row, string>;
  /** The plan that finds the rows, for EXPLAIN. */
  readonly plan?: PlanNode;
  /** COPY's statement and columns, when this executable serves a COPY. */
  readonly copy?: CopySpec;
}

export function tableColumns(table: SqlTable, qualifier: string): ScopeColumn[] {
  return table.sqlColumns.map((column, i) => ({
    name: column.name,
    qualifier,
    type: column.type,
    tableOid: table.oid,
    columnNumber: i + 1,
  }));
}

/** Compiles RETURNING items against the table's columns. */
function bindReturning(
  items: ast.ReturningList,
  scope: Scope,
  planner: Planner,
): { columns: ScopeColumn[]; exprs: Compiled[] } | undefined {
  if (items.length === 0) return undefined;
  const columns: ScopeColumn[] = [];
  const exprs: Compiled[] = [];
  for (const item of items) {
    if (item.kind === 'star') {
      scope.columns.forEach((column, slot) => {
        if (item.table !== undefined && column.qualifier !== item.table) return;
        columns.push({ ...column, qualifier: undefined });
        exprs.push(columnReader(slot, column.type));
      });
      continue;
    }
    let compiled = bindExpr(item.expr, scope, planner, { clause: 'RETURNING' });
    if (compiled.type.name === 'unknown')
      compiled = coerce(compiled, T.text, 'implicit', planner.parameters, 'RETURNING');
    exprs.push(compiled);
    columns.push({
      name: item.alias ?? outputName(item.expr),
      qualifier: undefined,
      type: compiled.type,
      tableOid: 0,
      columnNumber: 0,
    });
  }
  return { columns, exprs };
}

async function project(exprs: readonly Compiled[], row: Row, env: ExecEnv): Promise<SqlValue[]> {
  const out: SqlValue[] = [];
  for (const expr of exprs) out.push(await evaluate(expr, row, env));
  return out;
}

/** Checks a new row against NOT NULL and CHECK, and makes its stored form. */
class RowValidator {
  readonly #table: SqlTable;
  readonly #checks: { name: string; condition: Compiled }[];

  constructor(table: SqlTable, planner: Planner) {
    this.#table = table;
    const scope = new Scope(tableColumns(table, table.name));
    this.#checks = table.checks.map((check) => ({
      name: check.name,
      condition: coerceToBoolean(
        bindExpr(check.expr, scope, planner, { clause: 'CHECK' }),
        planner.parameters,
        'CHECK',
      ),
    }));
  }

  /** The stored row (with slots for dropped columns) of a visible row, after the checks. */
  stored(row: readonly SqlValue[], env: ExecEnv): Value[] {
    const table = this.#table;
    table.sqlColumns.forEach((column, i) => {
      if (row[i] === null && !column.nullable) {
        throw new DbError(
          'NOT_NULL_VIOLATION',
          `null value in column "${column.name}" of relation "${table.name}" violates not-null constraint`,
        );
      }
    });
    for (const check of this.#checks) {
      // A CHECK passes unless it is false (NULL passes), as in SQL.
      if (check.condition.eval(row, env) === false) {
        throw new DbError(
          'CHECK_VIOLATION',
          `new row for relation "${table.name}" violates check constraint "${check.name}"`,
        );
      }
    }
    if (table.shape.identity) return row as Value[];
    const stored: Value[] = new Array<Value>(table.definition.columns.length).fill(null);
    table.sqlColumns.forEach((column, i) => (stored[column.storageIndex] = row[i] as Value));
    return stored;
  }
}

// ---------------------------------------------------------------------------------------
// INSERT

export function prepareInsert(statement: ast.InsertStatement, catalog: SqlCatalog, planner: Planner): Executable {
  const table = catalog.table(statement.table, statement.pos);
  const qualifier = statement.alias ?? table.name;
  const targets =
    statement.columns.length === 0
      ? table.sqlColumns.map((_, i) => i)
      : statement.columns.map((name) => {
          const index = table.sqlColumns.findIndex((column) => column.name === name);
          if (index < 0) {
            throw new DbError('UNDEFINED_COLUMN', `column "${name}" of relation "${table.name}" does not exist`, {
              position: statement.pos + 1,
            });
          }
          return index;
        });
  if (new Set(targets).size !== targets.length) {
    throw new DbError('SYNTAX_ERROR', 'a column is named more than once in the INSERT column list');
  }
  const targetTypes = targets.map((i) => table.sqlColumns[i].type);
  let source: QueryPlan | undefined;
  if (statement.source !== undefined) {
    const body = statement.source.body;
    if (body.kind === 'values' && statement.source.orderBy.length === 0 && statement.source.limit === undefined) {
      // With a column list, every row must give each listed column a value (or DEFAULT).
      if (statement.columns.length > 0 && body.rows.some((row) => row.length < targets.length)) {
        throw new DbError('SYNTAX_ERROR', 'INSERT has more target columns than expressions', {
          position: statement.pos + 1,
        });
      }
      source = planner.planInsertValues(body, targetTypes);
    } else {
      const planned = planner.planQuery(statement.source);
      if (planned.columns.length > targets.length) {
        throw new DbError('SYNTAX_ERROR', 'INSERT has more expressions than target columns');
      }
      source = planned;
    }
  }
  const sourceWidth = source?.columns.length ?? 0;
  // The value of each column of a new row: from the source, or its DEFAULT (NULL if none).
  const emptyScope = new Scope([]);
  const defaults = table.sqlColumns.map((column) =>
    column.default === undefined
      ? undefined
      : coerce(
          bindExpr(column.default, emptyScope, planner, { clause: 'DEFAULT' }),
          column.type,
          'assignment',
          planner.parameters,
          `column "${column.name}"`,
        ),
  );
  const sourceCasts = (source?.columns ?? []).map((column, i) => {
    const target = table.sqlColumns[targets[i]];
    if (column.type.name === target.type.name && target.type.typmod < 0) return undefined;
    return coerce(
      columnReader(i, column.type),
      target.type,
      'assignment',
      planner.parameters,
      `column "${target.name}"`,
    );
  });
  for (let i = 0; i < sourceWidth; i++) {
    const target = table.sqlColumns[targets[i]];
    if (sourceCasts[i] === undefined && source!.columns[i].type.name !== target.type.name) {
      throw new DbError(
        'DATATYPE_MISMATCH',
        `column "${target.name}" is of type ${formatTypeName(target.type)} but expression is of type ${formatTypeName(source!.columns[i].type)}`,
      );
    }
  }
  const validator = new RowValidator(table, planner);
  const scope = new Scope(tableColumns(table, qualifier));
  const returning = bindReturning(statement.returning, scope, planner);
  const ignoreConflicts = statement.onConflictDoNothing !== undefined;
  const engineTable = table.shape.table;

  return {
    columns: returning?.columns ?? null,
    locks: tableLocks(planner, table.name),
    writes: true,
    async *run(env, txn) {
      let count = 0;
      const build = async (sourceRow: Row | undefined): Promise<SqlValue[]> => {
        const row: SqlValue[] = new Array<SqlValue>(table.sqlColumns.length).fill(null);
        const given = new Set<number>();
        for (let i = 0; i < sourceWidth; i++) {
          const value = sourceRow![i];
          if (value === undefined) continue;
          given.add(targets[i]);
          row[targets[i]] = sourceCasts[i] === undefined ? value : sourceCasts[i]!.eval(sourceRow!, env);
        }
        for (let c = 0; c < row.length; c++) {
          const fallback = defaults[c];
          if (!given.has(c) && fallback !== undefined) row[c] = await evaluate(fallback, [], env);
        }
        return row;
      };
      const insert = async function* (row: SqlValue[]): AsyncGenerator<Row> {
        const stored = validator.stored(row, env);
        try {
          await engineTable.insert(txn!, stored);
        } catch (error) {
          if (ignoreConflicts && error instanceof DbError && error.codeName === 'DUPLICATE_KEY') return;
          throw error;
        }
        count++;
        if (returning !== undefined) yield await project(returning.exprs, row, env);
      };
      if (source === undefined) {
        yield* insert(await build(undefined));
      } else {
        for await (const sourceRow of rowsWithDefaults(source, env)) {
          await env.services.checkCancel();
          yield* insert(await build(sourceRow));
        }
      }
      return `INSERT 0 ${count}`;
    },
  };
}

/** Source rows where a DEFAULT in VALUES comes through as undefined (the column then takes its default). */
async function* rowsWithDefaults(source: QueryPlan, env: ExecEnv): AsyncGenerator<Row> {
  const root = source.root as { values?: readonly (readonly Compiled[])[] };
  if (root.values !== undefined && root.values.some((row) => row.includes(DEFAULT_MARKER))) {
    for (const exprs of root.values) {
      const row: (SqlValue | undefined)[] = [];
      for (const expr of exprs) row.push(expr === DEFAULT_MARKER ? undefined : await evaluate(expr, [], env));
      yield row as Row;
    }
    return;
  }
  yield* source.root.rows(env);
}

// ---------------------------------------------------------------------------------------
// UPDATE and DELETE

interface Target {
  readonly table: SqlTable;
  readonly scope: Scope;
  readonly scan: TableScan;
  readonly recheck: Compiled | undefined;
}

function planTarget(
  tableName: string,
  alias: string | undefined,
  where: ast.Expr | undefined,
  pos: number,
  catalog: SqlCatalog,
  planner: Planner,
  extraFrom: readonly ast.FromItem[],
): Target {
  if (extraFrom.length > 0) {
    throw new DbError(
      'FEATURE_NOT_SUPPORTED',
      'UPDATE ... FROM and DELETE ... USING are not supported; use a subquery in WHERE',
    );
  }
  const table = catalog.table(tableName, pos);
  const columns = tableColumns(table, alias ?? table.name);
  const scope = new Scope(columns);
  const conjuncts = where === undefined ? [] : splitConjuncts(where);
  const scan = planner.planTableAccess(table, columns, conjuncts, undefined);
  return { table, scope, scan, recheck: scan.filter };
}

/**
 * The rows the statement's snapshot finds, each changed by `change` under its row lock
 * (which returns the row as changed, or undefined if the newest version no longer
 * qualifies); yields the RETURNING rows and returns how many rows changed. Subqueries run
 * against the row as the snapshot saw it; the rest reads the newest version.
 */
async function* changeFoundRows(
  target: Target,
  env: ExecEnv,
  preparing: readonly Compiled[],
  returning: { exprs: readonly Compiled[] } | undefined,
  change: (key: Uint8Array) => Promise<SqlValue[] | undefined>,
  materialize = false,
): AsyncGenerator<Row, number> {
  let count = 0;
  // An UPDATE that moves rows to new keys reads every row first: its scan would otherwise
  // meet the rows it has just written (the Halloween problem) and move them again.
  const found = materialize ? await collect(target.scan.rowsWithKeys(env)) : target.scan.rowsWithKeys(env);
  for await (const { key, row: seen } of found) {
    await env.services.checkCancel();
    for (const expr of preparing) await prepareSubqueries(expr.subqueries, seen, env);
    const changed = await change(key);
    if (changed === undefined) continue;
    count++;
    if (returning !== undefined) yield await project(returning.exprs, changed, env);
  }
  return count;
}

/** The transaction snapshot changes are checked against (REPEATABLE READ / SERIALIZABLE), if any. */
function serializableSnapshot(env: ExecEnv): number | undefined {
  return env.view.serializable === true ? env.view.snapshot : undefined;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

export function prepareUpdate(statement: ast.UpdateStatement, catalog: SqlCatalog, planner: Planner): Executable {
  const target = planTarget(
    statement.table,
    statement.alias,
    statement.where,
    statement.pos,
    catalog,
    planner,
    statement.from,
  );
  const { table, scope } = target;
  const assignments = statement.assignments.map((assignment) => {
    const column = table.sqlColumns.findIndex((candidate) => candidate.name === assignment.column);
    if (column < 0) {
      throw new DbError(
        'UNDEFINED_COLUMN',
        `column "${assignment.column}" of relation "${table.name}" does not exist`,
        {
          position: assignment.pos + 1,
        },
      );
    }
    const definition = table.sqlColumns[column];
    const source: ast.Expr =
      assignment.value.kind === 'default'
        ? (definition.default ?? { kind: 'null', pos: assignment.pos })
        : assignment.value;
    const value = coerce(
      bindExpr(source, assignment.value.kind === 'default' ? new Scope([]) : scope, planner, { clause: 'UPDATE' }),
      definition.type,
      'assignment',
      planner.parameters,
      `column "${definition.name}"`,
    );
    return { column, value };
  });
  const validator = new RowValidator(table, planner);
  const returning = bindReturning(statement.returning, scope, planner);
  const engineTable = table.shape.table;
  const movesKey = assignments.some(({ column }) =>
    table.definition.primaryKey.includes(table.sqlColumns[column].name),
  );
  const needsPreparation = [target.recheck, ...assignments.map((a) => a.value)].filter(
    (expr): expr is Compiled => expr !== undefined && expr.subqueries.length > 0,
  );
  return {
    columns: returning?.columns ?? null,
    locks: tableLocks(planner, table.name),
    writes: true,
    plan: target.scan,
    async *run(env, txn) {
      const assign = (current: SqlValue[]): SqlValue[] => {
        const next = [...current];
        for (const { column, value } of assignments) next[column] = value.eval(current, env);
        return next;
      };
      const matches = (current: SqlValue[]): boolean =>
        target.recheck === undefined || target.recheck.eval(current, env) === true;
      const change = movesKey
        ? // A new primary key is a new place in the table: delete the row, insert it anew.
          async (key: Uint8Array): Promise<SqlValue[] | undefined> => {
            const deleted = await engineTable.deleteAt(
              txn!,
              key,
              (stored) => matches(visibleRow(table.shape, stored)),
              serializableSnapshot(env),
            );
            if (deleted === undefined) return undefined;
            const next = assign(visibleRow(table.shape, deleted));
            await engineTable.insert(txn!, validator.stored(next, env));
            return next;
          }
        : async (key: Uint8Array): Promise<SqlValue[] | undefined> => {
            let updated: SqlValue[] | undefined;
            await engineTable.updateAt(
              txn!,
              key,
              (stored) => {
                const current = visibleRow(table.shape, stored);
                if (!matches(current)) return null;
                updated = assign(current);
                return validator.stored(updated, env);
              },
              serializableSnapshot(env),
            );
            return updated;
          };
      const count = yield* changeFoundRows(target, env, needsPreparation, returning, change, movesKey);
      return `UPDATE ${count}`;
    },
  };
}

export function prepareDelete(statement: ast.DeleteStatement, catalog: SqlCatalog, planner: Planner): Executable {
  const target = planTarget(
    statement.table,
    statement.alias,
    statement.where,
    statement.pos,
    catalog,
    planner,
    statement.using,
  );
  const { table, scope } = target;
  const returning = bindReturning(statement.returning, scope, planner);
  const engineTable = table.shape.table;
  return {
    columns: returning?.columns ?? null,
    locks: tableLocks(planner, table.name),
    writes: true,
    plan: target.scan,
    async *run(env, txn) {
      const preparing = target.recheck !== undefined && target.recheck.subqueries.length > 0 ? [target.recheck] : [];
      const count = yield* changeFoundRows(target, env, preparing, returning, async (key) => {
        let deleted: SqlValue[] | undefined;
        await engineTable.deleteAt(
          txn!,
          key,
          (stored) => {
            const current = visibleRow(table.shape, stored);
            if (target.recheck !== undefined && target.recheck.eval(current, env) !== true) return false;
            deleted = current;
            return true;
          },
          serializableSnapshot(env),
        );
        return deleted;
      });
      return `DELETE ${count}`;
    },
  };
}

/**
 * The table locks of a statement the planner has planned: the written table first (its
 * privilege is the statement's), then every table read, in subqueries too (SELECT).
 */
export function tableLocks(planner: Planner, written?: string): Executable['locks'] {
  const tables =
    written === undefined
      ? [...planner.tablesRead]
      : [written, ...[...planner.tablesRead].filter((name) => name !== written)];
  return tables.map((table) => ({ table, mode: 'shared' as const }));
}

/** A query as an Executable. */
export function prepareQuery(query: ast.Query, planner: Planner): Executable {
  const plan = planner.planQuery(query);
  return {
    columns: plan.columns,
    locks: tableLocks(planner),
    writes: query.locking !== undefined,
    async *run(env) {
      let count = 0;
      for await (const row of plan.root.rows(env)) {
        if ((++count & 1023) === 0) await env.services.checkCancel();
        yield row;
      }
      return `SELECT ${count}`;
    },
  };
}
