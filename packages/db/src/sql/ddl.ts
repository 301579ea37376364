// DDL: tables, columns, constraints, indexes and TRUNCATE. Each statement takes an
// exclusive lock on the table it changes (waiting for transactions that use it), commits
// on its own as in Tibero, and bumps the catalog version so prepared plans are made anew.
import { DbError } from '../errors.js';
import type { ColumnDefinition, TableDefinition } from '../access/catalog.js';
import type { Value } from '../access/value.js';
import type { QueryOutput } from '../wire/engine.js';
import type * as ast from './ast.js';
import { columnSqlType, type SqlTable } from './catalog.js';
import { formatExpr } from './deparse.js';
import {
  bindExpr,
  coerce,
  coerceToBoolean,
  ParameterTypes,
  Scope,
  sequenceArgument,
  typeFromAst,
  walkExpr,
} from './expr.js';
import { parseExpression } from './parser.js';
import { Planner } from './planner.js';
import { tableColumns } from './dml.js';
import { isStorable, storageTypeOf, T, type SqlType } from './types/types.js';
import type { SqlEngine } from './engine.js';
import type { SqlSession } from './session.js';

export interface DdlContext {
  readonly engine: SqlEngine;
  readonly session: SqlSession;
  readonly out: QueryOutput;
}

const SERIAL_TYPES: Readonly<Record<string, SqlType>> = {
  serial: T.int4,
  serial4: T.int4,
  bigserial: T.int8,
  serial8: T.int8,
  smallserial: T.int2,
  serial2: T.int2,
};

async function lockExclusive(context: DdlContext, table: string): Promise<void> {
  await context.engine.locks.acquire(context.session.id, table, 'exclusive', context.session.settings.lockTimeoutMs);
}

/** Runs `body` holding an exclusive lock on `table`, released at the end unless a block keeps it. */
async function withTableLock<T>(context: DdlContext, table: string, body: () => Promise<T>): Promise<T> {
  await lockExclusive(context, table);
  try {
    return await body();
  } finally {
    if (!context.session.inBlock) context.engine.locks.releaseAll(context.session.id);
    context.engine.catalogChanged();
  }
}

// ---------------------------------------------------------------------------------------
// CREATE TABLE

export async function createTable(statement: ast.CreateTableStatement, context: DdlContext): Promise<string> {
  const { engine } = context;
  const catalog = engine.catalogForSession(context.session);
  if (statement.temporary) {
    throw new DbError('FEATURE_NOT_SUPPORTED', 'temporary tables are not supported; create a regular table');
  }
  if (catalog.hasTable(statement.name) || catalog.views().some((view) => view.name === statement.name)) {
    if (statement.ifNotExists) {
      context.out.notice({
        severity: 'NOTICE',
        sqlState: '42P07',
        message: `relation "${statement.name}" already exists, skipping`,
      });
      return 'CREATE TABLE';
    }
    throw new DbError('TABLE_EXISTS', `relation "${statement.name}" already exists`);
  }
  engine.checkCreatePrivilege(context.session);
  for (const option of statement.options) {
    if (option.name !== 'fillfactor' && option.name !== 'autovacuum_enabled') {
      throw new DbError('INVALID_PARAMETER', `unrecognized parameter "${option.name}"`);
    }
  }
  if (statement.asQuery !== undefined) return createTableAs(statement, context);

  const columns: ColumnDefinition[] = [];
  let primaryKey: string[] = [];
  const uniques: string[][] = [];
  const checks: { name: string; expr: string }[] = [];
  const sequences: { name: string; type: SqlType }[] = [];
  const seen = new Set<string>();
  for (const column of statement.columns) {
    if (seen.has(column.name)) {
      throw new DbError('DUPLICATE_COLUMN', `column "${column.name}" specified more than once`, {
        position: column.pos + 1,
      });
    }
    seen.add(column.name);
    const serial = column.type.words.length === 1 ? SERIAL_TYPES[column.type.words[0]] : undefined;
    const type = serial ?? typeFromAst(column.type);
    if (!isStorable(type)) {
      throw new DbError('FEATURE_NOT_SUPPORTED', `column "${column.name}" cannot be of type ${type.name}`);
    }
    let nullable = true;
    let defaultText: string | undefined;
    if (serial !== undefined) {
      const sequence = `${statement.name}_${column.name}_seq`;
      sequences.push({ name: sequence, type: serial });
      defaultText = `nextval(${sequenceArgument(sequence)})`;
      nullable = false;
    }
    for (const constraint of column.constraints) {
      switch (constraint.kind) {
        case 'notNull':
          nullable = false;
          break;
        case 'null':
          break;
        case 'default':
          defaultText = formatExpr(constraint.expr);
          break;
        case 'primaryKey':
          if (primaryKey.length > 0) throw multiplePrimaryKeys(statement.name);
          primaryKey = [column.name];
          break;
        case 'unique':
          uniques.push([column.name]);
          break;
        case 'check':
          checks.push({
            name: constraint.name ?? `${statement.name}_${column.name}_check`,
            expr: formatExpr(constraint.expr),
          });
          break;
        case 'references':
          throw new DbError('FEATURE_NOT_SUPPORTED', 'foreign keys (REFERENCES) are not supported');
      }
    }
    columns.push({
      name: column.name,
      type: storageTypeOf(type),
      nullable,
      sqlType: { name: type.name, typmod: type.typmod },
      ...(defaultText === undefined ? {} : { default: defaultText }),
    });
  }
  for (const constraint of statement.constraints) {
    switch (constraint.kind) {
      case 'primaryKey':
        if (primaryKey.length > 0) throw multiplePrimaryKeys(statement.name);
        primaryKey = [...constraint.columns];
        break;
      case 'unique':
        uniques.push([...constraint.columns]);
        break;
      case 'check':
        checks.push({
          name: constraint.name ?? `${statement.name}_check${checks.length === 0 ? '' : checks.length}`,
          expr: formatExpr(constraint.expr),
        });
        break;
      case 'foreignKey':
        throw new DbError('FEATURE_NOT_SUPPORTED', 'foreign keys are not supported');
    }
  }
  for (const name of [...primaryKey, ...uniques.flat()]) {
    if (!seen.has(name)) throw new DbError('UNDEFINED_COLUMN', `column "${name}" named in key does not exist`);
  }
  // CHECK and DEFAULT expressions must bind against the new columns before anything is created.
  validateExpressions(statement.name, columns, checks);
  for (const sequence of sequences) await engine.sequences.create(sequence.name, {}, sequence.type, false);
  await engine.database.createTable({
    name: statement.name,
    columns,
    primaryKey,
    ...(statement.tablespace === undefined ? {} : { tablespace: tablespaceName(engine, statement.tablespace) }),
    checks,
    owner: context.session.user,
  });
  engine.catalogChanged();
  for (const columnsOfKey of uniques) {
    await engine.database.createIndex(statement.name, {
      name: uniqueName(engine, statement.name, columnsOfKey, 'key'),
      columns: columnsOfKey,
      unique: true,
    });
  }
  engine.catalogChanged();
  return 'CREATE TABLE';
}

function multiplePrimaryKeys(table: string): DbError {
  return new DbError('INVALID_TABLE_DEFINITION', `multiple primary keys for table "${table}" are not allowed`);
}

function validateExpressions(
  table: string,
  columns: readonly ColumnDefinition[],
  checks: readonly { expr: string }[],
): void {
  const scope = new Scope(
    columns.map((column, i) => ({
      name: column.name,
      qualifier: table,
      type: columnSqlType(column),
      tableOid: 0,
      columnNumber: i + 1,
    })),
  );
  const planner = new Planner(
    {
      relation: () => {
        throw new DbError('FEATURE_NOT_SUPPORTED', 'subqueries are not allowed in CHECK or DEFAULT');
      },
    },
    new ParameterTypes(),
  );
  for (const check of checks) {
    coerceToBoolean(
      bindExpr(parseExpression(check.expr), scope, planner, { clause: 'CHECK' }),
      planner.parameters,
      'CHECK',
    );
  }
  for (const column of columns) {
    if (column.default === undefined) continue;
    coerce(
      bindExpr(parseExpression(column.default), new Scope([]), planner, { clause: 'DEFAULT' }),
      columnSqlType(column),
      'assignment',
      planner.parameters,
      `column "${column.name}"`,
    );
  }
}

function tablespaceName(engine: SqlEngine, name: string): string {
  const found = engine.database.storage.control.state.tablespaces.find(
    (ts) => ts.name.toLowerCase() === name.toLowerCase(),
  );
  if (found === undefined) throw new DbError('UNDEFINED_TABLESPACE', `tablespace "${name}" does not exist`);
  if (found.kind !== 'USER') throw new DbError('INVALID_PARAMETER', `tablespace ${found.name} cannot hold tables`);
  return found.name;
}

function uniqueName(engine: SqlEngine, table: string, columns: readonly string[], suffix: string): string {
  const taken = new Set(
    engine.database.catalog.tables().flatMap((definition) => definition.indexes.map((index) => index.name)),
  );
  const base = `${table}_${columns.join('_')}_${suffix}`.slice(0, 63);
  let name = base;
  for (let n = 1; taken.has(name); n++) name = `${base.slice(0, 60)}${n}`;
  return name;
}

async function createTableAs(statement: ast.CreateTableStatement, context: DdlContext): Promise<string> {
  const { engine, session } = context;
  const catalog = engine.catalogForSession(session);
  const planner = new Planner(catalog, new ParameterTypes());
  const plan = planner.planQuery(statement.asQuery!);
  const names =
    statement.columns.length > 0
      ? statement.columns.map((column) => column.name)
      : plan.columns.map((column) => column.name);
  const columns: ColumnDefinition[] = plan.columns.map((column, i) => {
    const type = column.type.name === 'unknown' ? T.text : column.type;
    if (!isStorable(type))
      throw new DbError('FEATURE_NOT_SUPPORTED', `column "${names[i]}" cannot be of type ${type.name}`);
    return {
      name: names[i],
      type: storageTypeOf(type),
      nullable: true,
      sqlType: { name: type.name, typmod: type.typmod },
    };
  });
  const table = await engine.database.createTable({ name: statement.name, columns, owner: session.user });
  engine.catalogChanged();
  const env = session.environment();
  const rows = plan.root.rows({ ...env, view: {} });
  const count = await table.loadDirect(
    (async function* () {
      for await (const row of rows) yield row as Value[];
    })(),
  );
  return `SELECT ${count}`;
}

// ---------------------------------------------------------------------------------------
// DROP, TRUNCATE

export async function dropTables(statement: ast.DropStatement, context: DdlContext): Promise<string> {
  const { engine } = context;
  for (const name of statement.names) {
    if (!engine.database.catalog.hasTable(name)) {
      if (statement.ifExists) {
        context.out.notice({
          severity: 'NOTICE',
          sqlState: '00000',
          message: `table "${name}" does not exist, skipping`,
        });
        continue;
      }
      throw new DbError('NO_SUCH_TABLE', `table "${name}" does not exist`);
    }
  }
  for (const name of statement.names)
    if (engine.database.catalog.hasTable(name)) engine.checkOwnership(context.session, name);
  await context.session.commitBeforeDdl(context.out);
  for (const name of statement.names) {
    if (!engine.database.catalog.hasTable(name)) continue;
    await withTableLock(context, name, () => engine.database.dropTable(name));
    await engine.database.catalog.removeObject('stats', name).catch(() => undefined);
  }
  return 'DROP TABLE';
}

export async function truncateTables(statement: ast.TruncateStatement, context: DdlContext): Promise<string> {
  const { engine } = context;
  for (const name of statement.tables) {
    engine.catalogForSession(context.session).table(name, statement.pos);
    engine.checkOwnership(context.session, name);
  }
  await context.session.commitBeforeDdl(context.out);
  for (const name of statement.tables) {
    await withTableLock(context, name, () =>
      engine.database.rebuildTable(
        name,
        (definition) => definition,
        () => [],
      ),
    );
  }
  return 'TRUNCATE TABLE';
}

// ---------------------------------------------------------------------------------------
// ALTER TABLE

export async function alterTable(statement: ast.AlterTableStatement, context: DdlContext): Promise<string> {
  const { engine } = context;
  if (!engine.database.catalog.hasTable(statement.name)) {
    if (statement.ifExists) {
      context.out.notice({
        severity: 'NOTICE',
        sqlState: '00000',
        message: `relation "${statement.name}" does not exist, skipping`,
      });
      return 'ALTER TABLE';
    }
    throw new DbError('NO_SUCH_TABLE', `relation "${statement.name}" does not exist`);
  }
  engine.checkOwnership(context.session, statement.name);
  await context.session.commitBeforeDdl(context.out);
  let name = statement.name;
  for (const action of statement.actions) {
    const current = name;
    name = await withTableLock(context, current, () => alterAction(current, action, context));
  }
  return 'ALTER TABLE';
}

async function alterAction(name: string, action: ast.AlterTableAction, context: DdlContext): Promise<string> {
  const { engine } = context;
  const database = engine.database;
  const table = (): SqlTable => engine.catalogForSession(context.session).table(name);
  const definition = database.table(name).definition;
  switch (action.kind) {
    case 'addColumn':
      return addColumn(name, action, context);
    case 'dropColumn': {
      const column = definition.columns.find((c) => c.name === action.name && c.dropped !== true);
      if (column === undefined) {
        if (action.ifExists) return name;
        throw new DbError('UNDEFINED_COLUMN', `column "${action.name}" of relation "${name}" does not exist`);
      }
      if (definition.primaryKey.includes(action.name)) {
        throw new DbError(
          'DEPENDENT_OBJECTS',
          `cannot drop column ${action.name} of table ${name}: the primary key depends on it`,
        );
      }
      // As in PostgreSQL, the indexes (and UNIQUE constraints) on the column go with it, without CASCADE.
      const dependent = definition.indexes.filter((index) => index.columns.includes(action.name));
      for (const index of dependent) await database.dropIndex(name, index.name);
      // So do the CHECK constraints that read it.
      const readsColumn = (text: string): boolean => {
        let found = false;
        walkExpr(parseExpression(text), (node) => {
          if (node.kind === 'column' && node.name === action.name) found = true;
          return !found;
        });
        return found;
      };
      await database.alterDefinition(name, (d) => ({
        ...d,
        ...(d.checks === undefined ? {} : { checks: d.checks.filter((check) => !readsColumn(check.expr)) }),
        columns: d.columns.map((c) =>
          c.name === action.name
            ? {
                ...c,
                name: `........pg.dropped.${d.columns.indexOf(c) + 1}........`.slice(0, 63),
                dropped: true,
                nullable: true,
                default: undefined,
              }
            : c,
        ),
      }));
      return name;
    }
    case 'addConstraint':
      return addConstraint(name, action.constraint, context, table());
    case 'dropConstraint': {
      const checks = definition.checks ?? [];
      if (checks.some((check) => check.name === action.name)) {
        await database.alterDefinition(name, (d) => ({
          ...d,
          checks: (d.checks ?? []).filter((check) => check.name !== action.name),
        }));
        return name;
      }
      const index = definition.indexes.find((candidate) => candidate.name === action.name);
      if (index !== undefined) {
        await database.dropIndex(name, index.name);
        return name;
      }
      if (action.ifExists) return name;
      throw new DbError('UNDEFINED_OBJECT', `constraint "${action.name}" of relation "${name}" does not exist`);
    }
    case 'renameColumn': {
      if (
        definition.primaryKey.includes(action.from) ||
        definition.indexes.some((index) => index.columns.includes(action.from))
      ) {
        throw new DbError('FEATURE_NOT_SUPPORTED', `renaming key or indexed column ${action.from} is not supported`);
      }
      if (!definition.columns.some((c) => c.name === action.from && c.dropped !== true)) {
        throw new DbError('UNDEFINED_COLUMN', `column "${action.from}" does not exist`);
      }
      if (definition.columns.some((c) => c.name === action.to && c.dropped !== true)) {
        throw new DbError('DUPLICATE_COLUMN', `column "${action.to}" of relation "${name}" already exists`);
      }
      await database.alterDefinition(name, (d) => ({
        ...d,
        columns: d.columns.map((c) => (c.name === action.from ? { ...c, name: action.to } : c)),
      }));
      return name;
    }
    case 'renameTable':
      await database.alterDefinition(name, (d) => ({ ...d, name: action.to }));
      return action.to;
    case 'setDefault': {
      column(definition, action.column, name);
      const text = action.expr === undefined ? undefined : formatExpr(action.expr);
      const columns = definition.columns.map((c) => (c.name === action.column ? withDefault(c, text) : c));
      validateExpressions(name, columns, []);
      await database.alterDefinition(name, (d) => ({ ...d, columns }));
      return name;
    }
    case 'setNotNull': {
      const target = column(definition, action.column, name);
      if (action.notNull) {
        const position = table().sqlColumns.findIndex((c) => c.name === target.name);
        for await (const row of database.table(name).scan()) {
          if (row[table().sqlColumns[position].storageIndex] === null) {
            throw new DbError(
              'NOT_NULL_VIOLATION',
              `column "${target.name}" of relation "${name}" contains null values`,
            );
          }
        }
      } else if (definition.primaryKey.includes(target.name)) {
        throw new DbError('INVALID_PARAMETER', `column "${target.name}" is in a primary key`);
      }
      await database.alterDefinition(name, (d) => ({
        ...d,
        columns: d.columns.map((c) => (c.name === target.name ? { ...c, nullable: !action.notNull } : c)),
      }));
      return name;
    }
    case 'setOwner':
      await setOwner(name, action.owner, context);
      return name;
  }
}

/**
 * ALTER TABLE ... OWNER TO: an administrator's statement (it gives a table away), used by
 * tandem db import to hand each table back to its owner after sys created it.
 */
async function setOwner(table: string, owner: string, context: DdlContext): Promise<void> {
  const { engine, session } = context;
  if (!engine.isAdministrator(session.user)) {
    throw new DbError('INSUFFICIENT_PRIVILEGE', `must be an administrator to change the owner of table ${table}`);
  }
  if (owner !== 'sys' && engine.database.catalog.object('user', owner) === undefined) {
    throw new DbError('UNDEFINED_OBJECT', `role "${owner}" does not exist`);
  }
  await engine.database.alterDefinition(table, (d) => ({ ...d, owner }));
}

function column(definition: TableDefinition, name: string, table: string): ColumnDefinition {
  const found = definition.columns.find((c) => c.name === name && c.dropped !== true);
  if (found === undefined)
    throw new DbError('UNDEFINED_COLUMN', `column "${name}" of relation "${table}" does not exist`);
  return found;
}

function withDefault(column: ColumnDefinition, text: string | undefined): ColumnDefinition {
  const { default: _old, ...rest } = column;
  return text === undefined ? rest : { ...rest, default: text };
}

async function addColumn(
  name: string,
  action: Extract<ast.AlterTableAction, { kind: 'addColumn' }>,
  context: DdlContext,
): Promise<string> {
  const { engine } = context;
  const database = engine.database;
  const definition = database.table(name).definition;
  const spec = action.column;
  if (definition.columns.some((c) => c.name === spec.name && c.dropped !== true)) {
    if (action.ifNotExists) return name;
    throw new DbError('DUPLICATE_COLUMN', `column "${spec.name}" of relation "${name}" already exists`);
  }
  const serial = spec.type.words.length === 1 ? SERIAL_TYPES[spec.type.words[0]] : undefined;
  const type = serial ?? typeFromAst(spec.type);
  let nullable = true;
  let defaultText: string | undefined;
  if (serial !== undefined) {
    const sequence = `${name}_${spec.name}_seq`;
    await engine.sequences.create(sequence, {}, serial, false);
    defaultText = `nextval(${sequenceArgument(sequence)})`;
  }
  const checks: { name: string; expr: string }[] = [];
  for (const constraint of spec.constraints) {
    if (constraint.kind === 'notNull') nullable = false;
    else if (constraint.kind === 'default') defaultText = formatExpr(constraint.expr);
    else if (constraint.kind === 'check')
      checks.push({ name: constraint.name ?? `${name}_${spec.name}_check`, expr: formatExpr(constraint.expr) });
    else if (constraint.kind !== 'null') {
      throw new DbError(
        'FEATURE_NOT_SUPPORTED',
        `ADD COLUMN with ${constraint.kind} is not supported; add the constraint separately`,
      );
    }
  }
  const added: ColumnDefinition = {
    name: spec.name,
    type: storageTypeOf(type),
    nullable,
    sqlType: { name: type.name, typmod: type.typmod },
    ...(defaultText === undefined ? {} : { default: defaultText }),
  };
  const columns = [...definition.columns, added];
  validateExpressions(name, columns, checks);
  const next = (d: TableDefinition): TableDefinition => ({ ...d, columns, checks: [...(d.checks ?? []), ...checks] });
  if (defaultText === undefined) {
    if (!nullable) {
      for await (const _row of database.table(name).scan()) {
        throw new DbError('NOT_NULL_VIOLATION', `column "${spec.name}" of relation "${name}" contains null values`);
      }
    }
    await database.alterDefinition(name, next);
    return name;
  }
  // Existing rows take the default: the table is rebuilt with the value appended to each row.
  const planner = new Planner(engine.catalogForSession(context.session), new ParameterTypes());
  const value = coerce(
    bindExpr(parseExpression(defaultText), new Scope([]), planner, { clause: 'DEFAULT' }),
    type,
    'assignment',
    planner.parameters,
    `column "${spec.name}"`,
  );
  const env = context.session.environment();
  await database.rebuildTable(name, next, (old) =>
    (async function* () {
      for await (const row of old.scan()) {
        const filled = value.subqueries.length > 0 ? null : value.eval([], env);
        if (filled === null && !nullable)
          throw new DbError('NOT_NULL_VIOLATION', `column "${spec.name}" of relation "${name}" contains null values`);
        yield [...row, filled as Value];
      }
    })(),
  );
  return name;
}

async function addConstraint(
  name: string,
  constraint: ast.TableConstraint,
  context: DdlContext,
  table: SqlTable,
): Promise<string> {
  const database = context.engine.database;
  const definition = table.definition;
  switch (constraint.kind) {
    case 'primaryKey': {
      if (definition.primaryKey.length > 0) throw multiplePrimaryKeys(name);
      const positions = constraint.columns.map((columnName) => {
        const position = table.sqlColumns.findIndex((c) => c.name === columnName);
        if (position < 0)
          throw new DbError('UNDEFINED_COLUMN', `column "${columnName}" of relation "${name}" does not exist`);
        return table.sqlColumns[position].storageIndex;
      });
      // The table's rows move to a tree keyed by the new key (a rebuild: crash-safe, no undo).
      await database.rebuildTable(
        name,
        (d) => ({
          ...d,
          primaryKey: [...constraint.columns],
          columns: d.columns.map((c) => (constraint.columns.includes(c.name) ? { ...c, nullable: false } : c)),
        }),
        (old) =>
          (async function* () {
            for await (const row of old.scan()) {
              for (const [i, position] of positions.entries()) {
                if (row[position] === null) {
                  throw new DbError(
                    'NOT_NULL_VIOLATION',
                    `column "${constraint.columns[i]}" of relation "${name}" contains null values`,
                  );
                }
              }
              yield row;
            }
          })(),
      );
      return name;
    }
    case 'unique':
      await database.createIndex(name, {
        name: constraint.name ?? uniqueName(context.engine, name, constraint.columns, 'key'),
        columns: [...constraint.columns],
        unique: true,
      });
      return name;
    case 'check': {
      const text = formatExpr(constraint.expr);
      const checkName =
        constraint.name ??
        `${name}_check${(definition.checks ?? []).length === 0 ? '' : (definition.checks ?? []).length}`;
      const planner = new Planner(context.engine.catalogForSession(context.session), new ParameterTypes());
      const scope = new Scope(tableColumns(table, name));
      const condition = coerceToBoolean(
        bindExpr(constraint.expr, scope, planner, { clause: 'CHECK' }),
        planner.parameters,
        'CHECK',
      );
      const env = context.session.environment();
      for await (const row of database.table(name).scan()) {
        const visible = table.sqlColumns.map((c) => row[c.storageIndex] ?? null);
        if (condition.eval(visible, env) === false) {
          throw new DbError(
            'CHECK_VIOLATION',
            `check constraint "${checkName}" of relation "${name}" is violated by some row`,
          );
        }
      }
      await database.alterDefinition(name, (d) => ({
        ...d,
        checks: [...(d.checks ?? []), { name: checkName, expr: text }],
      }));
      return name;
    }
    case 'foreignKey':
      throw new DbError('FEATURE_NOT_SUPPORTED', 'foreign keys are not supported');
  }
}

// ---------------------------------------------------------------------------------------
// Indexes

export async function createIndex(statement: ast.CreateIndexStatement, context: DdlContext): Promise<string> {
  const { engine } = context;
  const table = engine.catalogForSession(context.session).table(statement.table, statement.pos);
  engine.checkOwnership(context.session, table.name);
  const columns = statement.columns.map((c) => c.name);
  for (const columnName of columns) {
    if (!table.sqlColumns.some((c) => c.name === columnName)) {
      throw new DbError('UNDEFINED_COLUMN', `column "${columnName}" does not exist`);
    }
  }
  const name = statement.name ?? uniqueName(engine, statement.table, columns, 'idx');
  const exists = engine.database.catalog.tables().some((d) => d.indexes.some((index) => index.name === name));
  if (exists) {
    if (statement.ifNotExists) {
      context.out.notice({
        severity: 'NOTICE',
        sqlState: '42P07',
        message: `relation "${name}" already exists, skipping`,
      });
      return 'CREATE INDEX';
    }
    throw new DbError('INDEX_EXISTS', `relation "${name}" already exists`);
  }
  await context.session.commitBeforeDdl(context.out);
  await withTableLock(context, table.name, () =>
    engine.database.createIndex(table.name, { name, columns, unique: statement.unique }),
  );
  return 'CREATE INDEX';
}

export async function dropIndexes(statement: ast.DropStatement, context: DdlContext): Promise<string> {
  const { engine } = context;
  await context.session.commitBeforeDdl(context.out);
  for (const name of statement.names) {
    const owner = engine.database.catalog.tables().find((d) => d.indexes.some((index) => index.name === name));
    if (owner === undefined) {
      if (statement.ifExists) {
        context.out.notice({
          severity: 'NOTICE',
          sqlState: '00000',
          message: `index "${name}" does not exist, skipping`,
        });
        continue;
      }
      throw new DbError('NO_SUCH_INDEX', `index "${name}" does not exist`);
    }
    engine.checkOwnership(context.session, owner.name);
    await withTableLock(context, owner.name, () => engine.database.dropIndex(owner.name, name));
  }
  return 'DROP INDEX';
}
