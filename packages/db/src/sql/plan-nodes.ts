// The operators a query plan is made of. Each one pulls rows from its inputs (async
// iterators, one row at a time), so a large result streams to the client instead of
// being built in memory; only Sort, hash tables and DISTINCT hold rows. Each node can
// describe itself for EXPLAIN.
import { DbError } from '../errors.js';
import type { RowRange, Table } from '../access/table.js';
import type { Value } from '../access/value.js';
import { evaluate, type AggregateCall, type Compiled, type ExecEnv, type Row, type ScopeColumn } from './expr.js';
import { castValue } from './types/casts.js';
import { compareSqlValues } from './types/compare.js';
import { isInterval } from './types/interval.js';
import type { SqlType } from './types/types.js';
import type { SqlValue } from './types/value.js';

export interface ExplainLine {
  readonly label: string;
  readonly details: readonly string[];
  readonly children: readonly PlanNode[];
}

export interface PlanNode {
  readonly columns: readonly ScopeColumn[];
  rows(env: ExecEnv): AsyncGenerator<Row>;
  explain(): ExplainLine;
  /** Estimated rows, for join ordering and EXPLAIN. */
  readonly estimate: number;
}

/** Formats a plan as PostgreSQL-like EXPLAIN lines. */
export function explainPlan(plan: PlanNode): string[] {
  const lines: string[] = [];
  const walk = (node: PlanNode, depth: number): void => {
    const { label, details, children } = node.explain();
    const indent = depth === 0 ? '' : `${' '.repeat(depth * 6 - 6)}  ->  `;
    lines.push(`${indent}${label}  (rows=${Math.max(1, Math.round(node.estimate))})`);
    const detailIndent = ' '.repeat(depth === 0 ? 2 : depth * 6 + 2);
    for (const detail of details) lines.push(`${detailIndent}${detail}`);
    for (const child of children) walk(child, depth + 1);
  };
  walk(plan, 0);
  return lines;
}

async function check(condition: Compiled | undefined, row: Row, env: ExecEnv): Promise<boolean> {
  if (condition === undefined) return true;
  return (await evaluate(condition, row, env)) === true;
}

function checkSync(condition: Compiled, row: Row, env: ExecEnv): boolean | Promise<boolean> {
  if (condition.subqueries.length === 0) return condition.eval(row, env) === true;
  return check(condition, row, env);
}

// ---------------------------------------------------------------------------------------
// Leaves

/** SELECT without FROM: one empty row. */
export class OneRow implements PlanNode {
  readonly columns: readonly ScopeColumn[] = [];
  readonly estimate = 1;
  // eslint-disable-next-line @typescript-eslint/require-await
  async *rows(): AsyncGenerator<Row> {
    yield [];
  }
  explain(): ExplainLine {
    return { label: 'Result', details: [], children: [] };
  }
}

export class ValuesScan implements PlanNode {
  readonly estimate: number;
  constructor(
    readonly columns: readonly ScopeColumn[],
    readonly values: readonly (readonly Compiled[])[],
  ) {
    this.estimate = values.length;
  }
  async *rows(env: ExecEnv): AsyncGenerator<Row> {
    for (const exprs of this.values) {
      const row: SqlValue[] = [];
      for (const expr of exprs) row.push(await evaluate(expr, [], env));
      yield row;
    }
  }
  explain(): ExplainLine {
    return { label: `Values Scan`, details: [], children: [] };
  }
}

/** How a table is read: the whole of it, a key range, one key, or an index lookup. */
export type TableAccess =
  | { readonly kind: 'full' }
  | {
      readonly kind: 'key';
      /** Values for the primary key columns in order (a full key: a point access). */
      readonly values: readonly Compiled[];
    }
  | {
      readonly kind: 'range';
      readonly prefix: readonly Compiled[];
      readonly lower?: { readonly value: Compiled; readonly inclusive: boolean };
      readonly upper?: { readonly value: Compiled; readonly inclusive: boolean };
    }
  | { readonly kind: 'index'; readonly index: string; readonly values: readonly Compiled[] };

/** How a table's stored rows map to the columns SQL sees. */
export interface TableShape {
  readonly name: string;
  readonly table: Table;
  /** Storage position of each visible column. */
  readonly storageIndexes: readonly number[];
  /** Storage positions equal visible positions (no dropped column): rows pass through. */
  readonly identity: boolean;
  readonly keyColumns: readonly string[];
  readonly keyTypes: readonly SqlType[];
  readonly estimatedRows: number;
}

export function visibleRow(shape: TableShape, stored: readonly Value[]): SqlValue[] {
  if (shape.identity) return stored as SqlValue[];
  return shape.storageIndexes.map((index) => stored[index] ?? null);
}

/** Reads a base table through the access path the planner chose, then filters. */
export class TableScan implements PlanNode {
  readonly estimate: number;
  constructor(
    readonly columns: readonly ScopeColumn[],
    readonly shape: TableShape,
    readonly access: TableAccess,
    readonly filter: Compiled | undefined,
    readonly label: string,
    readonly filterText: string | undefined,
    readonly forUpdate = false,
  ) {
    this.estimate =
      access.kind === 'key' && access.values.length === shape.keyColumns.length
        ? 1
        : access.kind === 'full'
          ? shape.estimatedRows * (filter === undefined ? 1 : 0.3)
          : Math.max(1, shape.estimatedRows * 0.05);
  }

  async *rows(env: ExecEnv): AsyncGenerator<Row> {
    const filter = this.filter;
    let read = 0;
    for await (const { row: stored } of this.entries(env)) {
      if ((++read & 1023) === 0) await env.services.checkCancel();
      const row = visibleRow(this.shape, stored);
      if (filter === undefined || (await checkSync(filter, row, env))) yield row;
    }
  }

  /** Visible rows that pass the filter, with their encoded primary keys (for UPDATE and DELETE). */
  async *rowsWithKeys(env: ExecEnv): AsyncGenerator<{ key: Uint8Array; row: Row }> {
    const filter = this.filter;
    let read = 0;
    for await (const { key, row: stored } of this.entries(env)) {
      if ((++read & 1023) === 0) await env.services.checkCancel();
      const row = visibleRow(this.shape, stored);
      if (filter === undefined || (await checkSync(filter, row, env))) yield { key, row };
    }
  }

  /** The stored rows the access path yields; keys are evaluated once per execution. */
  async *entries(env: ExecEnv): AsyncGenerator<{ key: Uint8Array; row: Value[] }> {
    const { table } = this.shape;
    const access = this.access;
    switch (access.kind) {
      case 'full':
        yield* table.scanEntries({}, env.view);
        return;
      case 'key': {
        const values = await this.#keyValues(access.values, env);
        if (values === undefined) return;
        if (values.length === this.shape.keyColumns.length) {
          const row = await table.get(values, env.view);
          if (row !== undefined) yield { key: table.encodeKey(values), row };
          return;
        }
        yield* table.scanEntries({ lower: { values, inclusive: true }, upper: { values, inclusive: true } }, env.view);
        return;
      }
      case 'range': {
        const prefix = await this.#keyValues(access.prefix, env);
        if (prefix === undefined) return;
        const range: { -readonly [K in keyof RowRange]: RowRange[K] } = {};
        const position = prefix.length;
        if (access.lower !== undefined) {
          const bound = await this.#keyValue(access.lower.value, position, env);
          if (bound === undefined) return;
          range.lower = { values: [...prefix, bound], inclusive: access.lower.inclusive };
        } else if (prefix.length > 0) {
          range.lower = { values: prefix, inclusive: true };
        }
        if (access.upper !== undefined) {
          const bound = await this.#keyValue(access.upper.value, position, env);
          if (bound === undefined) return;
          range.upper = { values: [...prefix, bound], inclusive: access.upper.inclusive };
        } else if (prefix.length > 0) {
          range.upper = { values: prefix, inclusive: true };
        }
        yield* table.scanEntries(range, env.view);
        return;
      }
      case 'index': {
        const values: Value[] = [];
        for (const expr of access.values) {
          const value = await evaluate(expr, [], env);
          if (value === null) return; // = NULL matches nothing
          values.push(value as Value);
        }
        yield* table.lookupEntries(access.index, values, env.view);
        return;
      }
    }
  }

  async #keyValues(exprs: readonly Compiled[], env: ExecEnv): Promise<Value[] | undefined> {
    const values: Value[] = [];
    for (let i = 0; i < exprs.length; i++) {
      const value = await this.#keyValue(exprs[i], i, env);
      if (value === undefined) return undefined;
      values.push(value);
    }
    return values;
  }

  /** A key value cast to the key column's type; undefined when it is NULL or out of its range (nothing matches). */
  async #keyValue(expr: Compiled, position: number, env: ExecEnv): Promise<Value | undefined> {
    const value = await evaluate(expr, [], env);
    if (value === null) return undefined;
    const type = this.shape.keyTypes[position];
    if (expr.type.name === type.name) return value as Value;
    try {
      return castValue(value, expr.type, type, env.ctx, 'implicit') as Value;
    } catch (error) {
      if (error instanceof DbError && error.sqlState === '22003') return undefined;
      throw error;
    }
  }

  explain(): ExplainLine {
    const details = this.filterText === undefined ? [] : [`Filter: ${this.filterText}`];
    return { label: this.label, details, children: [] };
  }
}

/** A virtual table (v$ views, DUAL): rows computed when read. */
export class VirtualScan implements PlanNode {
  readonly estimate = 10;
  constructor(
    readonly columns: readonly ScopeColumn[],
    readonly name: string,
    readonly produce: (env: ExecEnv) => AsyncIterable<Row> | Iterable<Row>,
  ) {}
  async *rows(env: ExecEnv): AsyncGenerator<Row> {
    for await (const row of this.produce(env)) yield row;
  }
  explain(): ExplainLine {
    return { label: `Virtual Scan on ${this.name}`, details: [], children: [] };
  }
}

/** generate_series(start, stop[, step]) over integers or timestamps. */
export class SeriesScan implements PlanNode {
  readonly estimate = 1000;
  constructor(
    readonly columns: readonly ScopeColumn[],
    readonly args: readonly Compiled[],
  ) {}
  async *rows(env: ExecEnv): AsyncGenerator<Row> {
    const values: SqlValue[] = [];
    for (const arg of this.args) values.push(await evaluate(arg, [], env));
    if (values.some((value) => value === null)) return;
    const type = this.columns[0].type;
    if (type.name === 'int4' || type.name === 'int8') {
      const toBig = (value: SqlValue): bigint => (typeof value === 'bigint' ? value : BigInt(value as number));
      const start = toBig(values[0]);
      const stop = toBig(values[1]);
      const step = values[2] === undefined ? 1n : toBig(values[2]);
      if (step === 0n) throw new DbError('INVALID_ARGUMENT', 'step size cannot equal zero');
      let produced = 0;
      for (let value = start; step > 0n ? value <= stop : value >= stop; value += step) {
        if ((++produced & 1023) === 0) await env.services.checkCancel();
        yield [type.name === 'int4' ? Number(value) : value];
      }
      return;
    }
    if (type.name === 'numeric') {
      throw new DbError('FEATURE_NOT_SUPPORTED', 'generate_series over numeric is not supported; cast to bigint');
    }
    // Timestamps with an interval step.
    const start = values[0] as bigint;
    const stop = values[1] as bigint;
    const step = values[2];
    if (!isInterval(step))
      throw new DbError('INVALID_ARGUMENT', 'generate_series over timestamps needs an interval step');
    if (step.months !== 0 || step.days !== 0) {
      throw new DbError('FEATURE_NOT_SUPPORTED', 'generate_series steps of months or days are not supported yet');
    }
    if (step.micros === 0n) throw new DbError('INVALID_ARGUMENT', 'step size cannot equal zero');
    let produced = 0;
    for (let value = start; step.micros > 0n ? value <= stop : value >= stop; value += step.micros) {
      if ((++produced & 1023) === 0) await env.services.checkCancel();
      yield [value];
    }
  }
  explain(): ExplainLine {
    return { label: 'Function Scan on generate_series', details: [], children: [] };
  }
}

// ---------------------------------------------------------------------------------------
// Row-by-row operators

export class Filter implements PlanNode {
  readonly estimate: number;
  readonly columns: readonly ScopeColumn[];
  constructor(
    readonly input: PlanNode,
    readonly condition: Compiled,
    readonly text: string,
  ) {
    this.columns = input.columns;
    this.estimate = input.estimate * 0.3;
  }
  async *rows(env: ExecEnv): AsyncGenerator<Row> {
    const condition = this.condition;
    for await (const row of this.input.rows(env)) if (await checkSync(condition, row, env)) yield row;
  }
  explain(): ExplainLine {
    return { label: 'Filter', details: [`Filter: ${this.text}`], children: [this.input] };
  }
}

export class Project implements PlanNode {
  readonly estimate: number;
  constructor(
    readonly input: PlanNode,
    readonly columns: readonly ScopeColumn[],
    readonly exprs: readonly Compiled[],
  ) {
    this.estimate = input.estimate;
  }
  async *rows(env: ExecEnv): AsyncGenerator<Row> {
    const exprs = this.exprs;
    const needsAsync = exprs.some((expr) => expr.subqueries.length > 0);
    for await (const row of this.input.rows(env)) {
      const out: SqlValue[] = new Array<SqlValue>(exprs.length);
      if (needsAsync) for (let i = 0; i < exprs.length; i++) out[i] = await evaluate(exprs[i], row, env);
      else for (let i = 0; i < exprs.length; i++) out[i] = exprs[i].eval(row, env);
      yield out;
    }
  }
  explain(): ExplainLine {
    return this.input.explain().label === 'Result' && this.input instanceof OneRow
      ? { label: 'Result', details: [], children: [] }
      : this.input.explain();
  }
}

export class Limit implements PlanNode {
  readonly columns: readonly ScopeColumn[];
  readonly estimate: number;
  constructor(
    readonly input: PlanNode,
    readonly limit: Compiled | undefined,
    readonly offset: Compiled | undefined,
  ) {
    this.columns = input.columns;
    this.estimate = input.estimate;
  }
  async *rows(env: ExecEnv): AsyncGenerator<Row> {
    const count = async (expr: Compiled | undefined, what: string): Promise<number | undefined> => {
      if (expr === undefined) return undefined;
      const value = await evaluate(expr, [], env);
      if (value === null) return undefined;
      const number = Number(value);
      if (number < 0) throw new DbError('INVALID_ARGUMENT', `${what} must not be negative`);
      return number;
    };
    const limit = await count(this.limit, 'LIMIT');
    let skip = (await count(this.offset, 'OFFSET')) ?? 0;
    if (limit === 0) return;
    let produced = 0;
    for await (const row of this.input.rows(env)) {
      if (skip > 0) {
        skip--;
        continue;
      }
      yield row;
      if (limit !== undefined && ++produced >= limit) return;
    }
  }
  explain(): ExplainLine {
    return { label: 'Limit', details: [], children: [this.input] };
  }
}

/** Hides the trailing junk columns (ORDER BY expressions not in the select list). */
export class Trim implements PlanNode {
  readonly estimate: number;
  constructor(
    readonly input: PlanNode,
    readonly columns: readonly ScopeColumn[],
  ) {
    this.estimate = input.estimate;
  }
  async *rows(env: ExecEnv): AsyncGenerator<Row> {
    const width = this.columns.length;
    for await (const row of this.input.rows(env)) yield row.length === width ? row : row.slice(0, width);
  }
  explain(): ExplainLine {
    return this.input.explain();
  }
}

// ---------------------------------------------------------------------------------------
// Sorting, grouping and duplicates

export interface SortKey {
  readonly slot: number;
  readonly type: SqlType;
  readonly descending: boolean;
  readonly nullsFirst: boolean;
}

export function compareRows(keys: readonly SortKey[], a: Row, b: Row): number {
  for (const key of keys) {
    const x = a[key.slot];
    const y = b[key.slot];
    if (x === null || y === null) {
      if (x === y) continue;
      return (x === null) === key.nullsFirst ? -1 : 1;
    }
    const order = compareSqlValues(key.type, x, y);
    if (order !== 0) return key.descending ? -order : order;
  }
  return 0;
}

export class Sort implements PlanNode {
  readonly columns: readonly ScopeColumn[];
  readonly estimate: number;
  constructor(
    readonly input: PlanNode,
    readonly keys: readonly SortKey[],
    readonly text: string,
  ) {
    this.columns = input.columns;
    this.estimate = input.estimate;
  }
  async *rows(env: ExecEnv): AsyncGenerator<Row> {
    const rows: Row[] = [];
    for await (const row of this.input.rows(env)) {
      rows.push(row);
      if ((rows.length & 4095) === 0) await env.services.checkCancel();
    }
    rows.sort((a, b) => compareRows(this.keys, a, b));
    yield* rows;
  }
  explain(): ExplainLine {
    return { label: 'Sort', details: [`Sort Key: ${this.text}`], children: [this.input] };
  }
}

/**
 * A string that equal rows (in SQL's sense for grouping: NULLs together, 1.0 = 1.00, 'a ' =
 * 'a' for char(n)) share and unequal rows do not.
 */
export function rowKeyFunction(types: readonly SqlType[]): (row: Row, slots?: readonly number[]) => string {
  const parts = types.map((type) => valueKeyFunction(type));
  return (row, slots) => {
    let key = '';
    for (let i = 0; i < parts.length; i++) {
      const value = row[slots === undefined ? i : slots[i]];
      key += value === null ? '\u0000N' : parts[i](value);
      key += '\u0001';
    }
    return key;
  };
}

function valueKeyFunction(type: SqlType): (value: SqlValue) => string {
  switch (type.name) {
    case 'numeric':
      return (value) => {
        const text = value as string;
        if (!text.includes('.')) return text;
        const trimmed = text.replace(/0+$/, '').replace(/\.$/, '');
        return trimmed === '-0' ? '0' : trimmed;
      };
    case 'bpchar':
      return (value) => (value as string).replace(/ +$/, '');
    case 'float4':
    case 'float8':
      return (value) => (Object.is(value, -0) ? '0' : scalarText(value));
    case 'bytea':
      return (value) => Buffer.from(value as Uint8Array).toString('hex');
    case 'interval':
      return (value) => {
        const span = value as { months: number; days: number; micros: bigint };
        return String(BigInt(span.months) * 30n * 86_400_000_000n + BigInt(span.days) * 86_400_000_000n + span.micros);
      };
    default:
      return scalarText;
  }
}

function scalarText(value: SqlValue): string {
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export class Distinct implements PlanNode {
  readonly columns: readonly ScopeColumn[];
  readonly estimate: number;
  constructor(readonly input: PlanNode) {
    this.columns = input.columns;
    this.estimate = input.estimate;
  }
  async *rows(env: ExecEnv): AsyncGenerator<Row> {
    const keyOf = rowKeyFunction(this.columns.map((column) => column.type));
    const seen = new Set<string>();
    for await (const row of this.input.rows(env)) {
      const key = keyOf(row);
      if (seen.has(key)) continue;
      seen.add(key);
      yield row;
    }
  }
  explain(): ExplainLine {
    return { label: 'HashAggregate (DISTINCT)', details: [], children: [this.input] };
  }
}

/** One aggregate as the Aggregate operator runs it: the call the binder collected. */
export type AggregateSpec = Omit<AggregateCall, 'key'>;

interface AggregateState {
  count: number;
  value: SqlValue;
  /** For avg: the running sum as a number, bigint or numeric string. */
  seen?: Set<string>;
  parts?: string[];
}

export class Aggregate implements PlanNode {
  readonly estimate: number;
  constructor(
    readonly input: PlanNode,
    readonly columns: readonly ScopeColumn[],
    readonly groups: readonly Compiled[],
    readonly aggregates: readonly AggregateSpec[],
    readonly addValues: (name: string, type: SqlType, a: SqlValue, b: SqlValue, env: ExecEnv) => SqlValue,
    readonly finish: (spec: AggregateSpec, state: { count: number; value: SqlValue }, env: ExecEnv) => SqlValue,
  ) {
    this.estimate = groups.length === 0 ? 1 : Math.max(1, input.estimate * 0.1);
  }

  async *rows(env: ExecEnv): AsyncGenerator<Row> {
    const groupTypes = this.groups.map((group) => group.type);
    const keyOf = rowKeyFunction(groupTypes);
    const table = new Map<string, { keys: SqlValue[]; states: AggregateState[] }>();
    const fresh = (): AggregateState[] =>
      this.aggregates.map((spec) => ({ count: 0, value: null, ...(spec.distinct ? { seen: new Set<string>() } : {}) }));
    let rowsSeen = 0;
    for await (const row of this.input.rows(env)) {
      if ((++rowsSeen & 4095) === 0) await env.services.checkCancel();
      const keys: SqlValue[] = [];
      for (const group of this.groups) keys.push(await evaluate(group, row, env));
      const key = keyOf(keys);
      let entry = table.get(key);
      if (entry === undefined) {
        entry = { keys, states: fresh() };
        table.set(key, entry);
      }
      for (let i = 0; i < this.aggregates.length; i++)
        await this.#accumulate(this.aggregates[i], entry.states[i], row, env);
    }
    if (table.size === 0 && this.groups.length === 0) table.set('', { keys: [], states: fresh() });
    for (const { keys, states } of table.values()) {
      yield [...keys, ...this.aggregates.map((spec, i) => this.finish(spec, states[i], env))];
    }
  }

  async #accumulate(spec: AggregateSpec, state: AggregateState, row: Row, env: ExecEnv): Promise<void> {
    if (spec.filter !== undefined && !(await check(spec.filter, row, env))) return;
    if (spec.star) {
      state.count++;
      return;
    }
    const values: SqlValue[] = [];
    for (const arg of spec.args) values.push(await evaluate(arg, row, env));
    const value = values[0];
    if (value === null) return;
    if (state.seen !== undefined) {
      const key = rowKeyFunction([spec.args[0].type])([value]);
      if (state.seen.has(key)) return;
      state.seen.add(key);
    }
    state.count++;
    switch (spec.name) {
      case 'count':
        return;
      case 'min':
      case 'max': {
        const order = state.value === null ? 0 : compareSqlValues(spec.args[0].type, value, state.value);
        if (state.value === null || (spec.name === 'min' ? order < 0 : order > 0)) state.value = value;
        return;
      }
      case 'bool_and':
      case 'every':
        state.value = state.value === null ? value : (state.value as boolean) && value;
        return;
      case 'bool_or':
        state.value = state.value === null ? value : state.value || value;
        return;
      case 'string_agg': {
        const separator = values[1];
        state.parts ??= [];
        if (state.parts.length > 0) state.parts.push(separator === null ? '' : (separator as string));
        state.parts.push(value as string);
        state.value = state.parts.join('');
        return;
      }
      default:
        // sum and avg accumulate a sum in the result's type (avg divides at the end).
        state.value =
          state.value === null
            ? this.addValues(spec.name, spec.args[0].type, null, value, env)
            : this.addValues(spec.name, spec.args[0].type, state.value, value, env);
    }
  }

  explain(): ExplainLine {
    return {
      label: this.groups.length === 0 ? 'Aggregate' : 'HashAggregate',
      details: [],
      children: [this.input],
    };
  }
}

// ---------------------------------------------------------------------------------------
// Joins

export type JoinType = 'inner' | 'left' | 'full' | 'cross';

/** Joins by materializing the right side (once) and testing every pair. */
export class NestedLoopJoin implements PlanNode {
  readonly columns: readonly ScopeColumn[];
  readonly estimate: number;
  constructor(
    readonly left: PlanNode,
    readonly right: PlanNode,
    readonly type: JoinType,
    readonly condition: Compiled | undefined,
    readonly text: string | undefined,
  ) {
    this.columns = [...left.columns, ...right.columns];
    this.estimate = left.estimate * right.estimate * (condition === undefined ? 1 : 0.1);
  }
  async *rows(env: ExecEnv): AsyncGenerator<Row> {
    const inner: Row[] = [];
    for await (const row of this.right.rows(env)) inner.push(row);
    const all = inner.map((_, index) => index);
    yield* joinRows(this.left.rows(env), inner, () => all, this.condition, this.type, this.left, this.right, env);
  }
  explain(): ExplainLine {
    return {
      label: `Nested Loop${this.type === 'inner' || this.type === 'cross' ? '' : ` ${capitalize(this.type)} Join`}`,
      details: this.text === undefined ? [] : [`Join Filter: ${this.text}`],
      children: [this.left, this.right],
    };
  }
}

/** Equi-join: builds a hash table of the right side on its keys and probes it with the left. */
export class HashJoin implements PlanNode {
  readonly columns: readonly ScopeColumn[];
  readonly estimate: number;
  constructor(
    readonly left: PlanNode,
    readonly right: PlanNode,
    readonly type: JoinType,
    readonly leftKeys: readonly Compiled[],
    readonly rightKeys: readonly Compiled[],
    readonly keyTypes: readonly SqlType[],
    readonly residual: Compiled | undefined,
    readonly text: string,
  ) {
    this.columns = [...left.columns, ...right.columns];
    this.estimate = Math.max(left.estimate, right.estimate);
  }
  async *rows(env: ExecEnv): AsyncGenerator<Row> {
    const keyOf = rowKeyFunction(this.keyTypes);
    const buckets = new Map<string, number[]>();
    const built: Row[] = [];
    for await (const row of this.right.rows(env)) {
      const keys: SqlValue[] = [];
      for (const key of this.rightKeys) keys.push(await evaluate(key, row, env));
      built.push(row);
      if (keys.some((key) => key === null)) continue; // NULL never equals anything
      const key = keyOf(keys);
      let bucket = buckets.get(key);
      if (bucket === undefined) buckets.set(key, (bucket = []));
      bucket.push(built.length - 1);
    }
    const candidates = async (outer: Row): Promise<readonly number[]> => {
      const keys: SqlValue[] = [];
      for (const key of this.leftKeys) keys.push(await evaluate(key, outer, env));
      return keys.some((key) => key === null) ? [] : (buckets.get(keyOf(keys)) ?? []);
    };
    yield* joinRows(this.left.rows(env), built, candidates, this.residual, this.type, this.left, this.right, env);
  }
  explain(): ExplainLine {
    return {
      label: `Hash${this.type === 'inner' ? '' : ` ${capitalize(this.type)}`} Join`,
      details: [`Hash Cond: ${this.text}`],
      children: [this.left, this.right],
    };
  }
}

/**
 * The rows of a join, given for each left row the positions of its candidate right rows:
 * the pairs that pass `condition`; a left row with none, padded with NULLs (left and full
 * joins); and for a full join, the right rows no left row matched.
 */
async function* joinRows(
  left: AsyncIterable<Row>,
  right: readonly Row[],
  candidates: (outer: Row) => readonly number[] | Promise<readonly number[]>,
  condition: Compiled | undefined,
  type: JoinType,
  leftNode: PlanNode,
  rightNode: PlanNode,
  env: ExecEnv,
): AsyncGenerator<Row> {
  const rightNulls = rightNode.columns.map(() => null);
  const leftNulls = leftNode.columns.map(() => null);
  const matchedRight = type === 'full' ? new Set<number>() : undefined;
  let pairs = 0;
  for await (const outer of left) {
    let matched = false;
    for (const index of await candidates(outer)) {
      if ((++pairs & 4095) === 0) await env.services.checkCancel();
      const row = [...outer, ...right[index]];
      if (condition !== undefined && !(await check(condition, row, env))) continue;
      matched = true;
      matchedRight?.add(index);
      yield row;
    }
    if (!matched && (type === 'left' || type === 'full')) yield [...outer, ...rightNulls];
  }
  if (matchedRight !== undefined) {
    for (let i = 0; i < right.length; i++) if (!matchedRight.has(i)) yield [...leftNulls, ...right[i]];
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ---------------------------------------------------------------------------------------
// Set operations

export class SetOp implements PlanNode {
  readonly estimate: number;
  constructor(
    readonly columns: readonly ScopeColumn[],
    readonly op: 'union' | 'intersect' | 'except',
    readonly all: boolean,
    readonly left: PlanNode,
    readonly right: PlanNode,
    readonly leftCasts: readonly Compiled[],
    readonly rightCasts: readonly Compiled[],
  ) {
    this.estimate = left.estimate + right.estimate;
  }
  async *rows(env: ExecEnv): AsyncGenerator<Row> {
    const keyOf = rowKeyFunction(this.columns.map((column) => column.type));
    const cast = (row: Row, casts: readonly Compiled[]): SqlValue[] => casts.map((expr) => expr.eval(row, env));
    if (this.op === 'union') {
      const seen = this.all ? undefined : new Set<string>();
      for (const [side, casts] of [
        [this.left, this.leftCasts],
        [this.right, this.rightCasts],
      ] as const) {
        for await (const raw of side.rows(env)) {
          const row = cast(raw, casts);
          if (seen !== undefined) {
            const key = keyOf(row);
            if (seen.has(key)) continue;
            seen.add(key);
          }
          yield row;
        }
      }
      return;
    }
    const counts = new Map<string, number>();
    for await (const raw of this.right.rows(env)) {
      const key = keyOf(cast(raw, this.rightCasts));
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const emitted = new Set<string>();
    for await (const raw of this.left.rows(env)) {
      const row = cast(raw, this.leftCasts);
      const key = keyOf(row);
      const count = counts.get(key) ?? 0;
      if (this.op === 'intersect') {
        if (count === 0) continue;
        if (this.all) counts.set(key, count - 1);
        else if (emitted.has(key)) continue;
      } else {
        if (count > 0) {
          if (this.all) counts.set(key, count - 1);
          continue;
        }
        if (!this.all && emitted.has(key)) continue;
      }
      emitted.add(key);
      yield row;
    }
  }
  explain(): ExplainLine {
    return {
      label: `${this.op === 'union' ? 'Append' : 'SetOp'} (${this.op}${this.all ? ' all' : ''})`,
      details: [],
      children: [this.left, this.right],
    };
  }
}

/** A subquery in FROM: its rows under the alias's scope. */
export class SubqueryScan implements PlanNode {
  readonly estimate: number;
  constructor(
    readonly input: PlanNode,
    readonly columns: readonly ScopeColumn[],
    readonly alias: string,
  ) {
    this.estimate = input.estimate;
  }
  rows(env: ExecEnv): AsyncGenerator<Row> {
    return this.input.rows(env);
  }
  explain(): ExplainLine {
    return { label: `Subquery Scan on ${this.alias}`, details: [], children: [this.input] };
  }
}
