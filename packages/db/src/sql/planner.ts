// The planner: turns a query's syntax tree into a tree of operators. It resolves names,
// pushes WHERE conditions down to the table they filter, and picks each table's access
// path: a point read when the primary key is fully bound by equalities (`WHERE aid = 42`
// is one B+tree descent, not a scan), a key range for a bound prefix plus a range on the
// next key column, an index lookup for equalities on an index's leading columns, and a
// full scan otherwise. Joins with equality conditions hash; others loop.
import { DbError } from '../errors.js';
import type * as ast from './ast.js';
import { formatExpr } from './deparse.js';
import type { ParameterTypes } from './expr.js';
import {
  astKey,
  bindExpr,
  coerce,
  coerceToBoolean,
  columnReader,
  isSubqueryNode,
  containsAggregate,
  groupingKey,
  walkExpr,
  Scope,
  type AggregateCall,
  type Binder,
  type BindOptions,
  type Compiled,
  type ExecEnv,
  type Row,
  type ScopeColumn,
  type SubqueryPlan,
} from './expr.js';
import {
  Aggregate,
  Distinct,
  Filter,
  HashJoin,
  Limit,
  NestedLoopJoin,
  OneRow,
  Project,
  SeriesScan,
  SetOp,
  Sort,
  SubqueryScan,
  TableScan,
  Trim,
  ValuesScan,
  VirtualScan,
  type AggregateSpec,
  type JoinType,
  type PlanNode,
  type SortKey,
  type TableAccess,
  type TableShape,
} from './plan-nodes.js';
import { castValue, commonSuperType } from './types/casts.js';
import { resolveBinaryOperator } from './types/operators.js';
import { T, formatTypeName, type SqlType } from './types/types.js';
import type { SqlValue } from './types/value.js';

/** A table as the planner sees it. */
export interface TableRelation {
  readonly kind: 'table';
  readonly name: string;
  readonly oid: number;
  readonly columns: readonly { readonly name: string; readonly type: SqlType }[];
  readonly shape: TableShape;
  /** Primary key columns as positions among `columns`. */
  readonly primaryKey: readonly number[];
  readonly indexes: readonly { readonly name: string; readonly columns: readonly number[]; readonly unique: boolean }[];
}

export interface VirtualRelation {
  readonly kind: 'virtual';
  readonly name: string;
  readonly columns: readonly { readonly name: string; readonly type: SqlType }[];
  produce(env: ExecEnv): AsyncIterable<Row> | Iterable<Row>;
}

export type Relation = TableRelation | VirtualRelation;

export interface PlannerCatalog {
  /** The table or view named, or DbError NO_SUCH_TABLE (`relation "x" does not exist`). */
  relation(name: string, pos: number): Relation;
}

/** A planned query: its operators and its result columns. */
export interface QueryPlan {
  readonly root: PlanNode;
  readonly columns: readonly ScopeColumn[];
}

interface FromPart {
  readonly node: PlanNode;
  readonly columns: readonly ScopeColumn[];
}

/** The description of a FROM item before it is planned, for deciding where conditions go. */
interface FromEntry {
  readonly item: ast.FromItem;
  readonly columns: readonly ScopeColumn[];
}

export class Planner implements Binder {
  readonly parameters: ParameterTypes;
  #subqueries = 0;
  /** Counts of outer references per subquery being planned (innermost last). */
  readonly #outerReferences: number[] = [];
  readonly #ctes: Map<string, { query: ast.Query; columns: readonly string[] }>[] = [];
  /** Every base table the plans built so far read, subqueries included (for locks and privileges). */
  readonly tablesRead = new Set<string>();

  constructor(
    readonly catalog: PlannerCatalog,
    parameters: ParameterTypes,
  ) {
    this.parameters = parameters;
  }

  nextSubqueryNumber(): number {
    return this.#subqueries++;
  }

  get subqueryCount(): number {
    return this.#subqueries;
  }

  noteOuterReference(): void {
    if (this.#outerReferences.length > 0) this.#outerReferences[this.#outerReferences.length - 1]++;
  }

  planSubquery(query: ast.Query, scope: Scope): { plan: SubqueryPlan; correlated: boolean } {
    this.#outerReferences.push(0);
    let planned: QueryPlan;
    let references: number;
    try {
      planned = this.planQuery(query, scope);
    } finally {
      references = this.#outerReferences.pop()!;
    }
    // An outer reference counts for every enclosing subquery it crossed.
    if (references > 0 && this.#outerReferences.length > 0) this.#outerReferences[this.#outerReferences.length - 1]++;
    const root = planned.root;
    return {
      plan: { columnTypes: planned.columns.map((column) => column.type), rows: (env) => root.rows(env) },
      correlated: references > 0,
    };
  }

  // -------------------------------------------------------------------------------------
  // Queries

  planQuery(query: ast.Query, outer?: Scope): QueryPlan {
    if (query.with.length > 0) {
      const ctes = new Map<string, { query: ast.Query; columns: readonly string[] }>();
      for (const cte of query.with) ctes.set(cte.name, { query: cte.query, columns: cte.columns });
      this.#ctes.push(ctes);
    }
    try {
      if (query.locking !== undefined && query.body.kind !== 'select') {
        throw new DbError('FEATURE_NOT_SUPPORTED', 'FOR UPDATE is allowed only on a plain SELECT');
      }
      if (query.body.kind === 'select') return this.#planSelect(query.body, query, outer);
      const body = this.#planBody(query.body, outer);
      let root = body.root;
      if (query.orderBy.length > 0) {
        const keys = query.orderBy.map((item) => this.#outputSortKey(item, body.columns));
        root = new Sort(root, keys, query.orderBy.map((item) => formatExpr(item.expr)).join(', '));
      }
      root = this.#limit(root, query, outer);
      return { root, columns: body.columns };
    } finally {
      if (query.with.length > 0) this.#ctes.pop();
    }
  }

  #planBody(body: ast.QueryBody, outer: Scope | undefined): QueryPlan {
    switch (body.kind) {
      case 'select':
        return this.#planSelect(body, undefined, outer);
      case 'query':
        return this.planQuery(body, outer);
      case 'values':
        return this.#planValues(body, outer);
      case 'setOperation':
        return this.#planSetOperation(body, outer);
    }
  }

  #planValues(body: ast.ValuesBody, outer: Scope | undefined, targetTypes?: readonly SqlType[]): QueryPlan {
    const scope = new Scope([], outer);
    const width = body.rows[0].length;
    const bound = body.rows.map((row) => {
      if (row.length !== width) {
        throw new DbError('SYNTAX_ERROR', 'VALUES lists must all be the same length', { position: body.pos + 1 });
      }
      return row.map((expr) => bindExpr(expr, scope, this, { clause: 'VALUES' }));
    });
    const types =
      targetTypes ??
      bound[0].map((_, i) =>
        commonSuperType(
          bound.map((row) => row[i].type),
          'VALUES',
        ),
      );
    const resolved = types.map((type) => (type.name === 'unknown' ? T.text : type));
    const values = bound.map((row) =>
      row.map((expr, i) => coerce(expr, resolved[i], 'implicit', this.parameters, `VALUES column ${i + 1}`)),
    );
    const columns = resolved.map((type, i) => outputColumn(`column${i + 1}`, type));
    return { root: new ValuesScan(columns, values), columns };
  }

  /** VALUES as the source of an INSERT: each value coerced to its target column on assignment. */
  planInsertValues(body: ast.ValuesBody, targetTypes: readonly SqlType[]): QueryPlan {
    const scope = new Scope([]);
    const rows = body.rows.map((row) => {
      if (row.length > targetTypes.length) {
        throw new DbError('SYNTAX_ERROR', 'INSERT has more expressions than target columns', {
          position: body.pos + 1,
        });
      }
      return row.map((expr, i) =>
        expr.kind === 'default'
          ? DEFAULT_MARKER
          : coerce(
              bindExpr(expr, scope, this, { clause: 'VALUES' }),
              targetTypes[i],
              'assignment',
              this.parameters,
              `column ${i + 1}`,
            ),
      );
    });
    const columns = targetTypes.map((type, i) => outputColumn(`column${i + 1}`, type));
    return { root: new ValuesScan(columns, rows), columns };
  }

  #planSetOperation(body: ast.SetOperation, outer: Scope | undefined): QueryPlan {
    const operand = (side: ast.QueryBody): QueryPlan =>
      side.kind === 'select' ? this.#planSelect(side, undefined, outer, true) : this.#planBody(side, outer);
    const left = operand(body.left);
    const right = operand(body.right);
    if (left.columns.length !== right.columns.length) {
      throw new DbError('SYNTAX_ERROR', `each ${body.op.toUpperCase()} query must have the same number of columns`, {
        position: body.pos + 1,
      });
    }
    const types = left.columns.map((column, i) => {
      const type = commonSuperType([column.type, right.columns[i].type], body.op.toUpperCase());
      return type.name === 'unknown' ? T.text : type;
    });
    const casts = (columns: readonly ScopeColumn[]): Compiled[] =>
      columns.map((column, i) =>
        coerce(columnReader(i, column.type), types[i], 'implicit', this.parameters, body.op.toUpperCase()),
      );
    const columns = left.columns.map((column, i) => ({ ...column, type: types[i] }));
    return {
      root: new SetOp(columns, body.op, body.all, left.root, right.root, casts(left.columns), casts(right.columns)),
      columns,
    };
  }

  #limit(root: PlanNode, query: ast.Query, outer: Scope | undefined): PlanNode {
    if (query.limit === undefined && query.offset === undefined) return root;
    const scope = new Scope([], outer);
    const bind = (expr: ast.Expr | undefined, what: string): Compiled | undefined =>
      expr === undefined
        ? undefined
        : coerce(bindExpr(expr, scope, this, { clause: what }), T.int8, 'implicit', this.parameters, what);
    return new Limit(root, bind(query.limit, 'LIMIT'), bind(query.offset, 'OFFSET'));
  }

  #outputSortKey(item: ast.OrderItem, columns: readonly ScopeColumn[]): SortKey {
    let slot: number | undefined;
    if (item.expr.kind === 'number') slot = Number(item.expr.text) - 1;
    else if (item.expr.kind === 'column' && item.expr.table === undefined) {
      const name = item.expr.name;
      slot = columns.findIndex((column) => column.name === name);
    }
    if (slot === undefined || slot < 0 || slot >= columns.length) {
      throw new DbError('FEATURE_NOT_SUPPORTED', 'ORDER BY on a UNION/VALUES result must name an output column', {
        position: item.expr.pos + 1,
      });
    }
    return sortKey(slot, columns[slot].type, item);
  }

  // -------------------------------------------------------------------------------------
  // SELECT

  /**
   * `keepUnknown`: a leaf of a set operation leaves untyped literals (NULL, '...') unknown, so
   * that the set operation resolves them with the other side, as PostgreSQL does.
   */
  #planSelect(
    select: ast.Select,
    query: ast.Query | undefined,
    outer: Scope | undefined,
    keepUnknown = false,
  ): QueryPlan {
    const conjuncts = select.where === undefined ? [] : splitConjuncts(select.where);
    for (const conjunct of conjuncts) {
      if (containsAggregate(conjunct)) {
        throw new DbError('GROUPING_ERROR', 'aggregate functions are not allowed in WHERE', {
          position: conjunct.pos + 1,
        });
      }
    }
    const from = this.#planFromList(select.from, conjuncts, outer, query?.locking === 'update');
    let node = from.node;
    const scope = new Scope(from.columns, outer);
    if (from.remaining.length > 0) {
      const condition = this.#condition(from.remaining, scope, 'WHERE');
      node = new Filter(node, condition, from.remaining.map((c) => formatExpr(c)).join(' AND '));
    }

    const orderBy = query?.orderBy ?? [];
    const aggregating =
      select.groupBy.length > 0 ||
      select.having !== undefined ||
      select.items.some((item) => item.kind === 'expr' && containsAggregate(item.expr)) ||
      orderBy.some((item) => containsAggregate(item.expr));

    const items = this.#expandStars(select.items, from.columns);
    let grouping: BindOptions['grouping'];
    if (aggregating) {
      const groupExprs = select.groupBy.map((expr) => this.#resolveGroupReference(expr, items, scope));
      const groups = groupExprs.map((expr) => bindExpr(expr, scope, this, { clause: 'GROUP BY' }));
      grouping = {
        groupKeys: groupExprs.map((expr) => groupingKey(expr, scope)),
        groupTypes: groups.map((group) => group.type),
        aggregates: [] as AggregateCall[],
        inputScope: scope,
      };
      const outputs = items.map((item) => bindExpr(item.expr, scope, this, { clause: 'SELECT', grouping }));
      const having =
        select.having === undefined
          ? undefined
          : coerceToBoolean(
              bindExpr(select.having, scope, this, { clause: 'HAVING', grouping }),
              this.parameters,
              'HAVING',
            );
      const sortExprs = orderBy.map((item) => this.#orderExpr(item, items, scope, grouping));
      const aggregateColumns = [
        ...groups.map((group, i) => outputColumn(`group${i}`, group.type)),
        ...grouping.aggregates.map((aggregate) => outputColumn(aggregate.name, aggregate.type)),
      ];
      node = new Aggregate(node, aggregateColumns, groups, grouping.aggregates, addForAggregate, finishAggregate);
      if (having !== undefined) node = new Filter(node, having, formatExpr(select.having!));
      return this.#finishSelect(node, select, query, items, outputs, sortExprs, outer, keepUnknown);
    }
    const outputs = items.map((item) => bindExpr(item.expr, scope, this, { clause: 'SELECT' }));
    const sortExprs = orderBy.map((item) => this.#orderExpr(item, items, scope, undefined));
    return this.#finishSelect(node, select, query, items, outputs, sortExprs, outer, keepUnknown);
  }

  /** GROUP BY 1 and GROUP BY alias name select-list items, as in PostgreSQL. */
  /** GROUP BY 2 names the second output column; GROUP BY x an output column x if no input column is x. */
  #resolveGroupReference(expr: ast.Expr, items: readonly ExpandedItem[], scope: Scope): ast.Expr {
    if (expr.kind === 'number') {
      const index = Number(expr.text) - 1;
      if (index < 0 || index >= items.length || !/^[0-9]+$/.test(expr.text)) {
        throw new DbError('INVALID_COLUMN_REFERENCE', `GROUP BY position ${expr.text} is not in select list`, {
          position: expr.pos + 1,
        });
      }
      return items[index].expr;
    }
    if (expr.kind === 'column' && expr.table === undefined && scope.find(expr) === undefined) {
      const named = items.filter((item) => item.name === expr.name);
      if (named.length === 1) return named[0].expr;
    }
    return expr;
  }

  /** An ORDER BY item: an output column (by position or name) or an expression to compute. */
  #orderExpr(
    item: ast.OrderItem,
    items: readonly ExpandedItem[],
    scope: Scope,
    grouping: BindOptions['grouping'],
  ): { slot: number } | { compiled: Compiled } {
    const expr = item.expr;
    if (expr.kind === 'number') {
      const index = Number(expr.text) - 1;
      if (!/^[0-9]+$/.test(expr.text) || index < 0 || index >= items.length) {
        throw new DbError('INVALID_COLUMN_REFERENCE', `ORDER BY position ${expr.text} is not in select list`, {
          position: expr.pos + 1,
        });
      }
      return { slot: index };
    }
    if (expr.kind === 'column' && expr.table === undefined) {
      const matches = items.flatMap((candidate, i) => (candidate.name === expr.name ? [i] : []));
      if (matches.length === 1) return { slot: matches[0] };
      // Two output columns of that name that are not the same expression: PostgreSQL refuses.
      if (matches.length > 1 && new Set(matches.map((i) => astKey(items[i].expr))).size > 1) {
        throw new DbError('AMBIGUOUS_COLUMN', `ORDER BY "${expr.name}" is ambiguous`, { position: expr.pos + 1 });
      }
      if (matches.length > 1) return { slot: matches[0] };
    }
    const key = astKey(expr);
    const same = items.findIndex((candidate) => astKey(candidate.expr) === key);
    if (same >= 0) return { slot: same };
    return {
      compiled: bindExpr(expr, scope, this, { clause: 'ORDER BY', ...(grouping === undefined ? {} : { grouping }) }),
    };
  }

  #finishSelect(
    input: PlanNode,
    select: ast.Select,
    query: ast.Query | undefined,
    items: readonly ExpandedItem[],
    outputs: readonly Compiled[],
    sortExprs: readonly ({ slot: number } | { compiled: Compiled })[],
    outer: Scope | undefined,
    keepUnknown: boolean,
  ): QueryPlan {
    const resolveUnknown = !keepUnknown || sortExprs.length > 0;
    const visible = items.map((item, i) => ({
      name: item.name,
      qualifier: undefined,
      type: outputs[i].type.name === 'unknown' && resolveUnknown ? T.text : outputs[i].type,
      tableOid: item.source?.tableOid ?? 0,
      columnNumber: item.source?.columnNumber ?? 0,
    }));
    // Untyped literals in the select list are text, as in PostgreSQL.
    const exprs = outputs.map((output) =>
      output.type.name === 'unknown' && resolveUnknown
        ? coerce(output, T.text, 'implicit', this.parameters, 'column')
        : output,
    );
    const junk: Compiled[] = [];
    const keys: SortKey[] = [];
    const orderBy = query?.orderBy ?? [];
    sortExprs.forEach((entry, i) => {
      if ('slot' in entry) {
        keys.push(sortKey(entry.slot, visible[entry.slot].type, orderBy[i]));
      } else {
        junk.push(entry.compiled);
        keys.push(sortKey(visible.length + junk.length - 1, entry.compiled.type, orderBy[i]));
      }
    });
    if (select.distinct && junk.length > 0) {
      throw new DbError('SYNTAX_ERROR', 'for SELECT DISTINCT, ORDER BY expressions must appear in select list');
    }
    const projected = [
      ...visible,
      ...junk.map((expr, i) => ({ ...outputColumn(`?junk${i}?`, expr.type), hidden: true })),
    ];
    let node: PlanNode = new Project(input, projected, [...exprs, ...junk]);
    if (select.distinct) node = new Distinct(node);
    if (keys.length > 0) node = new Sort(node, keys, orderBy.map((item) => formatExpr(item.expr)).join(', '));
    if (query !== undefined) node = this.#limit(node, query, outer);
    if (junk.length > 0) node = new Trim(node, visible);
    return { root: node, columns: visible };
  }

  #expandStars(items: readonly ast.SelectItem[], columns: readonly ScopeColumn[]): ExpandedItem[] {
    const expanded: ExpandedItem[] = [];
    for (const item of items) {
      if (item.kind === 'expr') {
        const source =
          item.expr.kind === 'column'
            ? columns.find(
                (column) =>
                  column.name === (item.expr as ast.ColumnRef).name &&
                  ((item.expr as ast.ColumnRef).table === undefined ||
                    column.qualifier === (item.expr as ast.ColumnRef).table),
              )
            : undefined;
        expanded.push({
          expr: item.expr,
          name: item.alias ?? outputName(item.expr),
          ...(source === undefined ? {} : { source }),
        });
        continue;
      }
      const matching = columns.filter((column) =>
        item.table === undefined
          ? !column.hidden
          : column.qualifier === item.table && (!column.hidden || column.usingCopy === true),
      );
      if (item.table !== undefined && !columns.some((column) => column.qualifier === item.table)) {
        throw new DbError('NO_SUCH_TABLE', `missing FROM-clause entry for table "${item.table}"`, {
          position: item.pos + 1,
        });
      }
      if (item.table === undefined && columns.length === 0) {
        throw new DbError('SYNTAX_ERROR', 'SELECT * with no tables specified is not valid', { position: item.pos + 1 });
      }
      for (const column of matching) {
        expanded.push({
          expr: {
            kind: 'column',
            name: column.name,
            ...(column.qualifier === undefined ? {} : { table: column.qualifier }),
            pos: item.pos,
          },
          name: column.name,
          source: column,
        });
      }
    }
    return expanded;
  }

  #condition(conjuncts: readonly ast.Expr[], scope: Scope, clause: string): Compiled {
    const parts = conjuncts.map((expr) =>
      coerceToBoolean(bindExpr(expr, scope, this, { clause }), this.parameters, clause),
    );
    if (parts.length === 1) return parts[0];
    const evaluators = parts.map((part) => part.eval);
    return {
      type: T.bool,
      eval: (row, env) => {
        let unknown = false;
        for (const evaluate of evaluators) {
          const value = evaluate(row, env);
          if (value === false) return false;
          if (value === null) unknown = true;
        }
        return unknown ? null : true;
      },
      subqueries: parts.flatMap((part) => part.subqueries),
      usesRow: parts.some((part) => part.usesRow),
      usesOuter: parts.some((part) => part.usesOuter),
      volatile: parts.some((part) => part.volatile),
    };
  }

  // -------------------------------------------------------------------------------------
  // FROM

  #planFromList(
    items: readonly ast.FromItem[],
    conjuncts: readonly ast.Expr[],
    outer: Scope | undefined,
    forUpdate: boolean,
  ): FromPart & { remaining: ast.Expr[] } {
    if (items.length === 0) return { node: new OneRow(), columns: [], remaining: [...conjuncts] };
    const entries = items.map((item) => this.#describe(item, outer));
    const owners = (expr: ast.Expr): Set<number> | undefined => ownersOf(expr, entries);
    let pending = [...conjuncts];
    // Each item gets the conditions on it alone.
    const parts = entries.map((entry, i) => {
      const mine = pending.filter((expr) => {
        const set = owners(expr);
        return set !== undefined && set.size === 1 && set.has(i);
      });
      pending = pending.filter((expr) => !mine.includes(expr));
      return this.#planFromItem(entry, mine, outer, forUpdate);
    });
    let node = parts[0].node;
    let columns = parts[0].columns;
    const joined = new Set([0]);
    for (let i = 1; i < parts.length; i++) {
      joined.add(i);
      const applicable = pending.filter((expr) => {
        const set = owners(expr);
        return set !== undefined && [...set].every((owner) => joined.has(owner)) && set.has(i);
      });
      pending = pending.filter((expr) => !applicable.includes(expr));
      const left = { node, columns };
      const right = parts[i];
      const result = this.#join(left, right, 'inner', applicable, outer);
      node = result.node;
      columns = result.columns;
    }
    return { node, columns, remaining: pending };
  }

  /** The columns a FROM item offers, before planning it. */
  #describe(item: ast.FromItem, outer: Scope | undefined): FromEntry {
    switch (item.kind) {
      case 'table': {
        const cte = this.#cte(item.name);
        if (cte !== undefined) {
          const planned = this.planQuery(cte.query, outer);
          return {
            item,
            columns: renameColumns(
              planned.columns,
              item.alias ?? item.name,
              item.columnAliases.length > 0 ? item.columnAliases : cte.columns,
            ),
          };
        }
        const relation = this.catalog.relation(item.name, item.pos);
        if (relation.kind === 'table') this.tablesRead.add(relation.name);
        const qualifier = item.alias ?? item.name;
        return {
          item,
          columns: relation.columns.map((column, i) => ({
            name: item.columnAliases[i] ?? column.name,
            qualifier,
            type: column.type,
            tableOid: relation.kind === 'table' ? relation.oid : 0,
            columnNumber: relation.kind === 'table' ? i + 1 : 0,
          })),
        };
      }
      case 'subquery': {
        const planned = this.planQuery(item.query, outer);
        if (item.alias === undefined) {
          throw new DbError('SYNTAX_ERROR', 'subquery in FROM must have an alias', { position: item.pos + 1 });
        }
        return { item, columns: renameColumns(planned.columns, item.alias, item.columnAliases) };
      }
      case 'function': {
        const name = item.alias ?? item.call.name;
        const columnName = item.columnAliases[0] ?? item.alias ?? item.call.name;
        return {
          item,
          columns: [{ ...outputColumn(columnName, this.#seriesType(item.call, outer)), qualifier: name }],
        };
      }
      case 'join': {
        const left = this.#describe(item.left, outer);
        const right = this.#describe(item.right, outer);
        return { item, columns: joinLayout(item, left.columns, right.columns, false).columns };
      }
    }
  }

  #cte(name: string): { query: ast.Query; columns: readonly string[] } | undefined {
    for (let i = this.#ctes.length - 1; i >= 0; i--) {
      const found = this.#ctes[i].get(name);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  #seriesType(call: ast.FunctionCall, outer: Scope | undefined): SqlType {
    if (call.name !== 'generate_series') {
      throw new DbError(
        'FEATURE_NOT_SUPPORTED',
        `function ${call.name} in FROM is not supported (only generate_series)`,
        {
          position: call.pos + 1,
        },
      );
    }
    const scope = new Scope([], outer);
    const types = call.args.slice(0, 2).map((arg) => bindExpr(arg, scope, this, { clause: 'FROM' }).type);
    const type = commonSuperType(types, 'generate_series');
    if (type.name === 'int2' || type.name === 'int4' || type.name === 'unknown') return T.int4;
    if (type.name === 'int8' || type.name === 'numeric') return type.name === 'int8' ? T.int8 : T.numeric;
    if (type.name === 'timestamp' || type.name === 'timestamptz' || type.name === 'date') {
      return type.name === 'date' ? T.timestamp : type;
    }
    throw new DbError(
      'UNDEFINED_FUNCTION',
      `function generate_series(${types.map(formatTypeName).join(', ')}) does not exist`,
    );
  }

  #planFromItem(
    entry: FromEntry,
    conjuncts: readonly ast.Expr[],
    outer: Scope | undefined,
    forUpdate: boolean,
  ): FromPart {
    const item = entry.item;
    switch (item.kind) {
      case 'table': {
        const cte = this.#cte(item.name);
        if (cte !== undefined) {
          const planned = this.planQuery(cte.query, outer);
          return this.#filtered(
            new SubqueryScan(planned.root, entry.columns, item.name),
            entry.columns,
            conjuncts,
            outer,
          );
        }
        const relation = this.catalog.relation(item.name, item.pos);
        if (relation.kind === 'virtual') {
          const node = new VirtualScan(entry.columns, relation.name, (env) => relation.produce(env));
          return this.#filtered(node, entry.columns, conjuncts, outer);
        }
        return {
          node: this.planTableAccess(relation, entry.columns, conjuncts, outer, forUpdate),
          columns: entry.columns,
        };
      }
      case 'subquery': {
        const planned = this.planQuery(item.query, outer);
        return this.#filtered(
          new SubqueryScan(planned.root, entry.columns, item.alias!),
          entry.columns,
          conjuncts,
          outer,
        );
      }
      case 'function': {
        const scope = new Scope([], outer);
        const type = entry.columns[0].type;
        const args = item.call.args.map((arg, i) => {
          const bound = bindExpr(arg, scope, this, { clause: 'FROM' });
          return coerce(
            bound,
            i < 2
              ? type
              : bound.type.name === 'unknown'
                ? type.name.startsWith('timestamp')
                  ? T.interval
                  : type
                : bound.type,
            'implicit',
            this.parameters,
            'argument',
          );
        });
        if (args.length < 2 || args.length > 3) {
          throw new DbError(
            'UNDEFINED_FUNCTION',
            `function generate_series with ${args.length} arguments does not exist`,
          );
        }
        return this.#filtered(new SeriesScan(entry.columns, args), entry.columns, conjuncts, outer);
      }
      case 'join':
        return this.#planJoin(item, conjuncts, outer, forUpdate);
    }
  }

  #filtered(
    node: PlanNode,
    columns: readonly ScopeColumn[],
    conjuncts: readonly ast.Expr[],
    outer: Scope | undefined,
  ): FromPart {
    if (conjuncts.length === 0) return { node, columns };
    const condition = this.#condition(conjuncts, new Scope(columns, outer), 'WHERE');
    return { node: new Filter(node, condition, conjuncts.map((c) => formatExpr(c)).join(' AND ')), columns };
  }

  #planJoin(join: ast.JoinRef, conjuncts: readonly ast.Expr[], outer: Scope | undefined, forUpdate: boolean): FromPart {
    let type = join.type;
    let leftItem = join.left;
    let rightItem = join.right;
    if (type === 'right') {
      [leftItem, rightItem] = [rightItem, leftItem];
      type = 'left';
    }
    const left = this.#describe(leftItem, outer);
    const right = this.#describe(rightItem, outer);
    const entries = [left, right];
    const on: ast.Expr[] = join.on === undefined ? [] : splitConjuncts(join.on);
    for (const name of usingColumns(join, left.columns, right.columns)) {
      const l = left.columns.find((column) => column.name === name && !column.hidden);
      const r = right.columns.find((column) => column.name === name && !column.hidden);
      if (l === undefined || r === undefined) {
        throw new DbError(
          'UNDEFINED_COLUMN',
          `column "${name}" specified in USING clause does not exist in both tables`,
        );
      }
      on.push({
        kind: 'binary',
        op: '=',
        left: { kind: 'column', name, ...(l.qualifier === undefined ? {} : { table: l.qualifier }), pos: join.pos },
        right: { kind: 'column', name, ...(r.qualifier === undefined ? {} : { table: r.qualifier }), pos: join.pos },
        pos: join.pos,
      });
    }
    const owners = (expr: ast.Expr): Set<number> | undefined => ownersOf(expr, entries);
    const only = (list: readonly ast.Expr[], side: number): ast.Expr[] =>
      list.filter((expr) => {
        const set = owners(expr);
        return set !== undefined && set.size === 1 && set.has(side);
      });
    let leftConditions: ast.Expr[] = [];
    let rightConditions: ast.Expr[] = [];
    let joinConditions: ast.Expr[];
    // In an inner join, a WHERE condition naming a merged USING column without a table
    // (`WHERE k = 5`) means the left side's copy: it is qualified so that it can go down to
    // that side. One holding a subquery is applied above the join, where `k` is the merged column.
    const merged = new Set(usingColumns(join, left.columns, right.columns));
    const late: ast.Expr[] = [];
    const handed: ast.Expr[] = [];
    for (const expr of conjuncts) {
      if (merged.size === 0 || (type !== 'inner' && type !== 'cross') || !namesAny(expr, merged)) {
        handed.push(expr);
        continue;
      }
      const qualifiers = new Map<string, string>();
      for (const name of merged) {
        const qualifier = left.columns.find((column) => column.name === name && !column.hidden)?.qualifier;
        if (qualifier !== undefined) qualifiers.set(name, qualifier);
      }
      if (!isRowIndependent(expr) || qualifiers.size !== merged.size) late.push(expr);
      else handed.push(qualifyColumns(expr, qualifiers));
    }
    if (type === 'inner' || type === 'cross') {
      // Inner: ON and the WHERE conditions handed down are all the same; push each to its side.
      const all = [...on, ...handed];
      leftConditions = only(all, 0);
      rightConditions = only(all, 1);
      joinConditions = all.filter((expr) => !leftConditions.includes(expr) && !rightConditions.includes(expr));
    } else if (type === 'left') {
      // WHERE conditions on the preserved side go below; ON conditions on the nullable side too.
      leftConditions = only(conjuncts, 0);
      rightConditions = only(on, 1);
      joinConditions = on.filter((expr) => !rightConditions.includes(expr));
      const leftover = conjuncts.filter((expr) => !leftConditions.includes(expr));
      const planned = this.#joinSides(left, right, leftConditions, rightConditions, outer, forUpdate);
      const joined = this.#join(planned[0], planned[1], 'left', joinConditions, outer);
      const laidOut = usingLayout(join, joined.node, planned[0].columns, planned[1].columns, join.type === 'right');
      return this.#filtered(laidOut.node, laidOut.columns, leftover, outer);
    } else {
      joinConditions = on;
      const planned = this.#joinSides(left, right, [], [], outer, forUpdate);
      const joined = this.#join(planned[0], planned[1], 'full', joinConditions, outer);
      const laidOut = usingLayout(join, joined.node, planned[0].columns, planned[1].columns, false);
      return this.#filtered(laidOut.node, laidOut.columns, conjuncts, outer);
    }
    const planned = this.#joinSides(left, right, leftConditions, rightConditions, outer, forUpdate);
    const joined = this.#join(planned[0], planned[1], 'inner', joinConditions, outer);
    const laidOut = usingLayout(join, joined.node, planned[0].columns, planned[1].columns, false);
    return this.#filtered(laidOut.node, laidOut.columns, late, outer);
  }

  #joinSides(
    left: FromEntry,
    right: FromEntry,
    leftConditions: readonly ast.Expr[],
    rightConditions: readonly ast.Expr[],
    outer: Scope | undefined,
    forUpdate: boolean,
  ): [FromPart, FromPart] {
    return [
      this.#planFromItem(left, leftConditions, outer, forUpdate),
      this.#planFromItem(right, rightConditions, outer, forUpdate),
    ];
  }

  /** Joins two planned parts: a hash join on the equalities between them, else a nested loop. */
  #join(
    left: FromPart,
    right: FromPart,
    type: JoinType,
    conditions: readonly ast.Expr[],
    outer: Scope | undefined,
  ): FromPart {
    const columns = [...left.columns, ...right.columns];
    const scope = new Scope(columns, outer);
    const leftScope = new Scope(left.columns, outer);
    const rightScope = new Scope(right.columns, outer);
    const leftKeys: Compiled[] = [];
    const rightKeys: Compiled[] = [];
    const keyTypes: SqlType[] = [];
    const keyTexts: string[] = [];
    const residual: ast.Expr[] = [];
    const sides = [
      { item: undefined as unknown as ast.FromItem, columns: left.columns },
      { item: undefined as unknown as ast.FromItem, columns: right.columns },
    ];
    for (const condition of conditions) {
      if (condition.kind === 'binary' && condition.op === '=') {
        const a = ownersOf(condition.left, sides);
        const b = ownersOf(condition.right, sides);
        const pair =
          a !== undefined && b !== undefined && a.size === 1 && b.size === 1
            ? a.has(0) && b.has(1)
              ? [condition.left, condition.right]
              : a.has(1) && b.has(0)
                ? [condition.right, condition.left]
                : undefined
            : undefined;
        if (pair !== undefined) {
          const l = bindExpr(pair[0], leftScope, this, { clause: 'JOIN' });
          const r = bindExpr(pair[1], rightScope, this, { clause: 'JOIN' });
          const resolved = resolveBinaryOperator('=', l.type, r.type);
          const type = resolved.leftType;
          if (type.name === resolved.rightType.name) {
            leftKeys.push(coerce(l, type, 'implicit', this.parameters, 'JOIN'));
            rightKeys.push(coerce(r, type, 'implicit', this.parameters, 'JOIN'));
            keyTypes.push(type);
            keyTexts.push(formatExpr(condition));
            continue;
          }
        }
      }
      residual.push(condition);
    }
    const residualCondition = residual.length === 0 ? undefined : this.#condition(residual, scope, 'JOIN/ON');
    const residualText = residual.length === 0 ? undefined : residual.map((c) => formatExpr(c)).join(' AND ');
    if (leftKeys.length > 0) {
      return {
        node: new HashJoin(
          left.node,
          right.node,
          type,
          leftKeys,
          rightKeys,
          keyTypes,
          residualCondition,
          keyTexts.join(' AND '),
        ),
        columns,
      };
    }
    return { node: new NestedLoopJoin(left.node, right.node, type, residualCondition, residualText), columns };
  }

  // -------------------------------------------------------------------------------------
  // Table access

  /**
   * The cheapest way to read `relation` given the conditions on it alone: a key point or
   * range, an index lookup, or a full scan. Every condition is also checked on each row, so
   * the choice never changes the result, only the rows read.
   */
  planTableAccess(
    relation: TableRelation,
    columns: readonly ScopeColumn[],
    conjuncts: readonly ast.Expr[],
    outer: Scope | undefined,
    forUpdate = false,
  ): TableScan {
    const scope = new Scope(columns, outer);
    const valueScope = new Scope([], outer);
    const equalities = new Map<number, Compiled>();
    const ranges = new Map<
      number,
      { lower?: { value: Compiled; inclusive: boolean }; upper?: { value: Compiled; inclusive: boolean } }
    >();
    for (const conjunct of conjuncts)
      this.#collectKeyCondition(conjunct, relation, scope, valueScope, equalities, ranges);
    const filter = conjuncts.length === 0 ? undefined : this.#condition(conjuncts, scope, 'WHERE');
    const filterText = conjuncts.length === 0 ? undefined : conjuncts.map((c) => formatExpr(c)).join(' AND ');
    const access = chooseAccess(relation, equalities, ranges);
    const label = describeAccess(relation, access);
    return new TableScan(columns, relation.shape, access, filter, label, filterText, forUpdate);
  }

  #collectKeyCondition(
    conjunct: ast.Expr,
    relation: TableRelation,
    scope: Scope,
    valueScope: Scope,
    equalities: Map<number, Compiled>,
    ranges: Map<
      number,
      { lower?: { value: Compiled; inclusive: boolean }; upper?: { value: Compiled; inclusive: boolean } }
    >,
  ): void {
    const bound = (columnExpr: ast.Expr, valueExpr: ast.Expr): { column: number; value: Compiled } | undefined => {
      if (columnExpr.kind !== 'column') return undefined;
      const slot = safeFind(scope, columnExpr);
      if (slot === undefined) return undefined;
      const value = this.#tryBindValue(valueExpr, valueScope, relation.columns[slot].type);
      return value === undefined ? undefined : { column: slot, value };
    };
    if (conjunct.kind === 'between' && !conjunct.negated && !conjunct.symmetric) {
      const low = bound(conjunct.operand, conjunct.low);
      const high = bound(conjunct.operand, conjunct.high);
      if (low !== undefined && high !== undefined) {
        ranges.set(low.column, {
          lower: { value: low.value, inclusive: true },
          upper: { value: high.value, inclusive: true },
        });
      }
      return;
    }
    if (conjunct.kind !== 'binary') return;
    const flipped: Record<string, string> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
    if (flipped[conjunct.op] === undefined) return;
    let found = bound(conjunct.left, conjunct.right);
    let op: string = conjunct.op;
    if (found === undefined) {
      found = bound(conjunct.right, conjunct.left);
      op = flipped[conjunct.op];
    }
    if (found === undefined) return;
    if (op === '=') {
      equalities.set(found.column, found.value);
      return;
    }
    const range = ranges.get(found.column) ?? {};
    if (op === '>' || op === '>=') range.lower = { value: found.value, inclusive: op === '>=' };
    else range.upper = { value: found.value, inclusive: op === '<=' };
    ranges.set(found.column, range);
  }

  /**
   * The value side of `column op value` bound without the table's own columns, if it can be
   * used as a key for a column of `columnType`: same type, a narrower integer, or an
   * untyped literal or parameter (which takes the column's type).
   */
  #tryBindValue(expr: ast.Expr, scope: Scope, columnType: SqlType): Compiled | undefined {
    if (!isRowIndependent(expr)) return undefined;
    let value: Compiled;
    try {
      value = bindExpr(expr, scope, this, { clause: 'WHERE' });
    } catch (error) {
      if (error instanceof DbError) return undefined;
      throw error;
    }
    if (value.volatile || value.subqueries.length > 0) return undefined;
    const from = value.type.name;
    const to = columnType.name;
    if (from === 'unknown') {
      try {
        return coerce(value, columnType, 'implicit', this.parameters, 'key');
      } catch (error) {
        if (error instanceof DbError) return undefined;
        throw error;
      }
    }
    if (from === to && to !== 'bpchar') return value;
    if (to === 'bpchar') return undefined;
    const integers = ['int2', 'int4', 'int8'];
    if (integers.includes(from) && integers.includes(to)) return value;
    if ((from === 'text' || from === 'varchar') && (to === 'text' || to === 'varchar')) return value;
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Helpers

interface ExpandedItem {
  readonly expr: ast.Expr;
  readonly name: string;
  readonly source?: ScopeColumn;
}

export const DEFAULT_MARKER: Compiled = {
  type: T.unknown,
  eval: () => {
    throw new DbError('SYNTAX_ERROR', 'DEFAULT is not allowed in this context');
  },
  subqueries: [],
  usesRow: false,
  usesOuter: false,
  volatile: false,
};

export function outputColumn(name: string, type: SqlType): ScopeColumn {
  return { name, qualifier: undefined, type, tableOid: 0, columnNumber: 0 };
}

function renameColumns(columns: readonly ScopeColumn[], qualifier: string, names: readonly string[]): ScopeColumn[] {
  return columns.map((column, i) => ({
    name: names[i] ?? column.name,
    qualifier,
    type: column.type,
    tableOid: column.tableOid,
    columnNumber: column.columnNumber,
  }));
}

function usingColumns(join: ast.JoinRef, left: readonly ScopeColumn[], right: readonly ScopeColumn[]): string[] {
  if (join.using !== undefined) return [...join.using];
  if (!join.natural) return [];
  const rightNames = new Set(right.filter((column) => !column.hidden).map((column) => column.name));
  return left.filter((column) => !column.hidden && rightNames.has(column.name)).map((column) => column.name);
}

/**
 * The columns of a join. Without USING/NATURAL: the left side's then the right side's. With
 * them, as in PostgreSQL: the merged columns first (COALESCE of the two copies, which is the
 * preserved side's value for LEFT/RIGHT joins and matters for FULL joins), then each side's
 * columns, where each side's own copy of a merged column stays reachable only by qualified
 * name and `t.*`. `swapped`: the planner turned a RIGHT join into a LEFT one, so the node's
 * row is (right side, left side) and the output puts the query's left side first again.
 */
function usingLayout(
  join: ast.JoinRef,
  node: PlanNode,
  first: readonly ScopeColumn[],
  second: readonly ScopeColumn[],
  swapped: boolean,
): FromPart {
  const layout = joinLayout(join, first, second, swapped);
  return {
    node: layout.exprs === undefined ? node : new Project(node, layout.columns, layout.exprs),
    columns: layout.columns,
  };
}

function joinLayout(
  join: ast.JoinRef,
  first: readonly ScopeColumn[],
  second: readonly ScopeColumn[],
  swapped: boolean,
): { columns: ScopeColumn[]; exprs: Compiled[] | undefined } {
  const merged = usingColumns(join, first, second);
  if (merged.length === 0 && !swapped) return { columns: [...first, ...second], exprs: undefined };
  const width = first.length;
  const slotIn = (columns: readonly ScopeColumn[], name: string): number =>
    columns.findIndex((column) => column.name === name && !column.hidden);
  const columns: ScopeColumn[] = [];
  const exprs: Compiled[] = [];
  const read = (type: SqlType, evaluate: (row: Row) => SqlValue): Compiled => ({
    type,
    eval: evaluate,
    subqueries: [],
    usesRow: true,
    usesOuter: false,
    volatile: false,
  });
  for (const name of merged) {
    const a = slotIn(first, name);
    const b = width + slotIn(second, name);
    const column = first[a];
    columns.push({
      name,
      // No table name reaches it, but an enclosing USING join needs to name it apart from
      // the other side's column of the same name: a qualifier no unquoted name can match.
      qualifier: `join#${join.pos}`,
      type: column.type,
      tableOid: column.tableOid,
      columnNumber: column.columnNumber,
    });
    exprs.push(read(column.type, (row) => row[a] ?? row[b] ?? null));
  }
  const sides = swapped
    ? [
        { columns: second, offset: width },
        { columns: first, offset: 0 },
      ]
    : [
        { columns: first, offset: 0 },
        { columns: second, offset: width },
      ];
  for (const side of sides) {
    side.columns.forEach((column, i) => {
      const isCopy = merged.includes(column.name) && !column.hidden;
      columns.push(isCopy ? { ...column, hidden: true, usingCopy: true } : column);
      const slot = side.offset + i;
      exprs.push(read(column.type, (row) => row[slot] ?? null));
    });
  }
  return { columns, exprs };
}

/** Splits `a AND b AND c` into its conjuncts. */
export function splitConjuncts(expr: ast.Expr): ast.Expr[] {
  if (expr.kind === 'binary' && expr.op === 'and') return [...splitConjuncts(expr.left), ...splitConjuncts(expr.right)];
  return [expr];
}

/**
 * Which FROM entries an expression's column references belong to; undefined when it cannot
 * be placed (it holds a subquery, or a name that several entries offer).
 */
function ownersOf(
  expr: ast.Expr,
  entries: readonly { readonly columns: readonly ScopeColumn[] }[],
): Set<number> | undefined {
  const owners = new Set<number>();
  let placeable = true;
  walkExpr(expr, (node) => {
    if (isSubqueryNode(node)) {
      placeable = false;
      return false;
    }
    if (node.kind === 'function' && (node.name === 'nextval' || node.name === 'random' || node.name === 'setval'))
      placeable = false;
    if (node.kind !== 'column') return true;
    const matches: number[] = [];
    entries.forEach((entry, i) => {
      if (
        entry.columns.some(
          (column) =>
            column.name === node.name && (node.table === undefined ? !column.hidden : column.qualifier === node.table),
        )
      ) {
        matches.push(i);
      }
    });
    if (matches.length > 1) placeable = false;
    if (matches.length === 1) owners.add(matches[0]);
    return true;
  });
  return placeable ? owners : undefined;
}

/** Whether an expression names one of `names` without a table (not looking into subqueries). */
function namesAny(expr: ast.Expr, names: ReadonlySet<string>): boolean {
  let found = false;
  walkExpr(expr, (node) => {
    if (node.kind === 'column' && node.table === undefined && names.has(node.name)) found = true;
    return !found;
  });
  return found;
}

/** A copy of an expression (without subqueries) whose unqualified references to `qualifiers`' names get that table. */
function qualifyColumns(expr: ast.Expr, qualifiers: ReadonlyMap<string, string>): ast.Expr {
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (typeof value !== 'object' || value === null) return value;
    const node = value as { kind?: unknown; table?: unknown; name?: unknown };
    if (node.kind === 'column' && node.table === undefined && typeof node.name === 'string') {
      const table = qualifiers.get(node.name);
      if (table !== undefined) return { ...node, table };
    }
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, rewrite(inner)]));
  };
  return rewrite(expr) as ast.Expr;
}

function isRowIndependent(expr: ast.Expr): boolean {
  let independent = true;
  walkExpr(expr, (node) => {
    if (isSubqueryNode(node)) independent = false;
    return independent;
  });
  return independent;
}

function safeFind(scope: Scope, ref: ast.ColumnRef): number | undefined {
  try {
    return scope.find(ref);
  } catch (error) {
    if (error instanceof DbError) return undefined;
    throw error;
  }
}

function chooseAccess(
  relation: TableRelation,
  equalities: ReadonlyMap<number, Compiled>,
  ranges: ReadonlyMap<
    number,
    { lower?: { value: Compiled; inclusive: boolean }; upper?: { value: Compiled; inclusive: boolean } }
  >,
): TableAccess {
  const key = relation.primaryKey;
  if (key.length > 0) {
    const prefix: Compiled[] = [];
    for (const column of key) {
      const value = equalities.get(column);
      if (value === undefined) break;
      prefix.push(value);
    }
    if (prefix.length === key.length) return { kind: 'key', values: prefix };
    const next = key[prefix.length];
    const range = next === undefined ? undefined : ranges.get(next);
    // A unique index fully bound beats a key prefix.
    const unique = bestIndex(relation, equalities, true);
    if (unique !== undefined) return unique;
    if (range !== undefined) {
      return {
        kind: 'range',
        prefix,
        ...(range.lower === undefined ? {} : { lower: range.lower }),
        ...(range.upper === undefined ? {} : { upper: range.upper }),
      };
    }
    if (prefix.length > 0) return { kind: 'key', values: prefix };
  }
  return bestIndex(relation, equalities, false) ?? { kind: 'full' };
}

function bestIndex(
  relation: TableRelation,
  equalities: ReadonlyMap<number, Compiled>,
  uniqueOnly: boolean,
): TableAccess | undefined {
  let best: { name: string; values: Compiled[]; score: number } | undefined;
  for (const index of relation.indexes) {
    const values: Compiled[] = [];
    for (const column of index.columns) {
      const value = equalities.get(column);
      if (value === undefined) break;
      values.push(value);
    }
    if (values.length === 0) continue;
    const complete = values.length === index.columns.length;
    if (uniqueOnly && !(index.unique && complete)) continue;
    const score = values.length + (index.unique && complete ? 100 : 0);
    if (best === undefined || score > best.score) best = { name: index.name, values, score };
  }
  return best === undefined ? undefined : { kind: 'index', index: best.name, values: best.values };
}

function describeAccess(relation: TableRelation, access: TableAccess): string {
  switch (access.kind) {
    case 'full':
      return `Seq Scan on ${relation.name}`;
    case 'key':
      return access.values.length === relation.primaryKey.length
        ? `Primary Key Lookup on ${relation.name}`
        : `Primary Key Prefix Scan on ${relation.name}`;
    case 'range':
      return `Primary Key Range Scan on ${relation.name}`;
    case 'index':
      return `Index Scan using ${access.index} on ${relation.name}`;
  }
}

function sortKey(slot: number, type: SqlType, item: ast.OrderItem | undefined): SortKey {
  const descending = item?.direction === 'desc';
  const nullsFirst = item?.nulls === undefined ? descending : item.nulls === 'first';
  return { slot, type, descending, nullsFirst };
}

/** The column name PostgreSQL gives an unaliased select-list expression. */
export function outputName(expr: ast.Expr): string {
  switch (expr.kind) {
    case 'column':
      return expr.name;
    case 'function':
      return expr.name;
    case 'cast':
      return expr.operand.kind === 'column' || expr.operand.kind === 'function'
        ? outputName(expr.operand)
        : expr.type.words[expr.type.words.length - 1] === 'precision'
          ? 'float8'
          : castName(expr.type.words);
    case 'case':
      return 'case';
    case 'exists':
      return 'exists';
    case 'subquery': {
      const body = expr.query.body;
      if (body.kind === 'select' && body.items.length === 1 && body.items[0].kind === 'expr') {
        return body.items[0].alias ?? outputName(body.items[0].expr);
      }
      return '?column?';
    }
    default:
      return '?column?';
  }
}

function castName(words: readonly string[]): string {
  const joined = words.join(' ');
  const map: Record<string, string> = {
    integer: 'int4',
    int: 'int4',
    smallint: 'int2',
    bigint: 'int8',
    boolean: 'bool',
    real: 'float4',
    'character varying': 'varchar',
    character: 'bpchar',
    char: 'bpchar',
    decimal: 'numeric',
    'timestamp with time zone': 'timestamptz',
  };
  return map[joined] ?? words[words.length - 1];
}

// ---------------------------------------------------------------------------------------
// Aggregate arithmetic

function addForAggregate(name: string, type: SqlType, a: SqlValue, b: SqlValue, env: ExecEnv): SqlValue {
  // sum(int2/int4) is int8, sum(int8) and avg of integers are numeric; floats stay floats.
  const accumulator = sumType(name, type);
  const value = castValue(b, type, accumulator, env.ctx, 'implicit');
  if (a === null) return value;
  return resolveBinaryOperator('+', accumulator, accumulator).fn(a, value, env.ctx);
}

function sumType(name: string, type: SqlType): SqlType {
  switch (type.name) {
    case 'int2':
    case 'int4':
      return name === 'avg' ? T.numeric : T.int8;
    case 'int8':
    case 'numeric':
      return T.numeric;
    case 'float4':
      return name === 'avg' ? T.float8 : T.float4;
    default:
      return type;
  }
}

function finishAggregate(spec: AggregateSpec, state: { count: number; value: SqlValue }, env: ExecEnv): SqlValue {
  switch (spec.name) {
    case 'count':
      return BigInt(state.count);
    case 'avg': {
      if (state.count === 0 || state.value === null) return null;
      const sum = state.value;
      const accumulator = sumType('avg', spec.args[0].type);
      if (accumulator.name === 'interval') {
        return resolveBinaryOperator('/', T.interval, T.float8).fn(sum, state.count, env.ctx);
      }
      if (accumulator.name === 'float8') return (sum as number) / state.count;
      return resolveBinaryOperator('/', T.numeric, T.numeric).fn(sum, String(state.count), env.ctx);
    }
    default:
      return state.count === 0 ? null : state.value;
  }
}
