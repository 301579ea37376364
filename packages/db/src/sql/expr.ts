// Expressions: binding (names resolved against a scope, types inferred and checked, as
// PostgreSQL's analyzer does) and compiling into closures over a row, in one pass. Literals
// and casts of literals fold at bind time, so a bad constant fails before any row is read.
// Subqueries are planned here but run by the operator that owns the expression: it awaits
// `prepare` (once, or per row when correlated) and then calls the synchronous `eval`.
import { DbError } from '../errors.js';
import type * as ast from './ast.js';
import { canCoerce, castValue, commonSuperType, type CoercionContext } from './types/casts.js';
import { compareSqlValues } from './types/compare.js';
import type { EvalContext } from './types/context.js';
import { lookupFunction } from './types/functions.js';
import { compileLike } from './types/like.js';
import { resolveBinaryOperator, resolveUnaryOperator } from './types/operators.js';
import { T, formatTypeName, parseTypeName, sameType, type SqlType } from './types/types.js';
import type { SqlValue } from './types/value.js';
import type { ReadView } from '../access/table.js';

export type Row = readonly SqlValue[];

/** What a running statement needs besides the row. */
export interface ExecEnv {
  readonly params: readonly SqlValue[];
  readonly ctx: EvalContext;
  readonly view: ReadView;
  /** Rows of the enclosing queries, innermost first, for correlated references. */
  readonly outer: readonly Row[];
  /** Results of the subqueries prepared for the row being evaluated, by subquery number. */
  readonly subqueryResults: SqlValue[] | SubqueryResult[];
  /** Uncorrelated subquery results, computed once per execution. */
  readonly subqueryCache: Map<number, SubqueryResult>;
  readonly services: ExecServices;
}

/** Session-level services an expression may call (sequences, session info, cancellation). */
export interface ExecServices {
  nextval(sequence: string): Promise<bigint>;
  currval(sequence: string): bigint;
  setval(sequence: string, value: bigint, called: boolean): Promise<bigint>;
  readonly user: string;
  readonly database: string;
  readonly backendPid: number;
  readonly serverVersion: string;
  /**
   * Called every so many rows by long loops: throws QUERY_CANCELED if the client cancelled
   * the statement, and every few milliseconds yields to the event loop, so that one long
   * statement never stops the server from serving other sessions (or hearing the cancel).
   */
  checkCancel(): Promise<void> | undefined;
}

export type SubqueryResult =
  | { readonly kind: 'scalar'; readonly value: SqlValue }
  | { readonly kind: 'exists'; readonly value: boolean }
  | { readonly kind: 'list'; readonly values: readonly SqlValue[] };

export type Evaluator = (row: Row, env: ExecEnv) => SqlValue;

/** A subquery used inside an expression, run before the expression is evaluated. */
export interface SubqueryUse {
  readonly number: number;
  readonly mode: 'scalar' | 'exists' | 'list';
  readonly plan: SubqueryPlan;
  /** References a column of an enclosing query: must run again for each row. */
  readonly correlated: boolean;
}

/** The part of a query plan an expression needs: rows of one or more columns. */
export interface SubqueryPlan {
  readonly columnTypes: readonly SqlType[];
  rows(env: ExecEnv): AsyncIterable<Row>;
}

export interface Compiled {
  readonly type: SqlType;
  readonly eval: Evaluator;
  /** Set when the value is known at bind time. */
  readonly constant?: { readonly value: SqlValue };
  /** The parameter this expression is, if it is a bare `$n` (so context can type it). */
  readonly parameter?: number;
  /** Subqueries to prepare before eval. */
  readonly subqueries: readonly SubqueryUse[];
  /** Reads a column of the current row (false: a constant, parameter or outer reference). */
  readonly usesRow: boolean;
  /** Reads a column of an enclosing query's row. */
  readonly usesOuter: boolean;
  /** Calls a volatile function (random, nextval, clock_timestamp): never folded or cached. */
  readonly volatile: boolean;
}

/** A column a scope offers: its position in the row, its names and type. */
export interface ScopeColumn {
  readonly name: string;
  /** The table name or alias it can be qualified with. */
  readonly qualifier: string | undefined;
  readonly type: SqlType;
  /** For RowDescription: the table's OID and the column's attribute number, or 0. */
  readonly tableOid: number;
  readonly columnNumber: number;
  /** Not found by unqualified name or by `*` (USING/NATURAL duplicates, junk columns). */
  readonly hidden?: boolean;
  /** A side's own copy of a USING/NATURAL join column: hidden, yet `t.*` still lists it. */
  readonly usingCopy?: boolean;
}

export class Scope {
  constructor(
    readonly columns: readonly ScopeColumn[],
    readonly parent?: Scope,
  ) {}

  /** The slot of a column reference, or undefined if this scope has no such column. */
  find(ref: { table?: string; name: string; pos: number }): number | undefined {
    let found: number | undefined;
    for (let i = 0; i < this.columns.length; i++) {
      const column = this.columns[i];
      if (column.name !== ref.name) continue;
      if (ref.table !== undefined ? column.qualifier !== ref.table : column.hidden) continue;
      if (found !== undefined) {
        throw new DbError('AMBIGUOUS_COLUMN', `column reference "${ref.name}" is ambiguous`, { position: ref.pos + 1 });
      }
      found = i;
    }
    return found;
  }

  hasQualifier(name: string): boolean {
    return this.columns.some((column) => column.qualifier === name);
  }
}

/** The parameter types of a statement: given by the client, or inferred while binding. */
export class ParameterTypes {
  readonly types: (SqlType | undefined)[];

  constructor(given: readonly (SqlType | undefined)[] = []) {
    this.types = [...given];
  }

  typeOf(index: number): SqlType | undefined {
    return this.types[index - 1];
  }

  infer(index: number, type: SqlType): void {
    if (this.types[index - 1] === undefined) this.types[index - 1] = type.name === 'unknown' ? T.text : type;
  }

  /** Every parameter typed: the ones no context typed become text, as in PostgreSQL. */
  resolved(): SqlType[] {
    for (let i = 0; i < this.types.length; i++) this.types[i] ??= T.text;
    return this.types as SqlType[];
  }
}

/** How aggregates and GROUP BY expressions resolve after grouping. */
export interface GroupingContext {
  /** Keys (astKey) of the GROUP BY expressions; a match reads that slot of the grouped row. */
  readonly groupKeys: readonly string[];
  readonly groupTypes: readonly SqlType[];
  /** Aggregate calls found so far; each reads slot groupKeys.length + its index. */
  readonly aggregates: AggregateCall[];
  /** The scope the aggregates' arguments are bound in. */
  readonly inputScope: Scope;
}

export interface AggregateCall {
  readonly key: string;
  readonly name: string;
  readonly args: readonly Compiled[];
  readonly distinct: boolean;
  readonly star: boolean;
  readonly filter?: Compiled;
  readonly type: SqlType;
}

export interface Binder {
  readonly parameters: ParameterTypes;
  /** Plans a subquery whose outer scope is `scope`; reports whether it referenced it. */
  planSubquery(query: ast.Query, scope: Scope): { plan: SubqueryPlan; correlated: boolean };
  /** Numbers subqueries uniquely within a statement. */
  nextSubqueryNumber(): number;
  /** Where a column reference reached outside its own scope (for correlation tracking). */
  noteOuterReference?(): void;
}

export interface BindOptions {
  /** Aggregates allowed (select list, HAVING, ORDER BY of a grouped query). */
  readonly grouping?: GroupingContext;
  /** What the expression is for, for error messages ('WHERE', 'JOIN/ON', 'VALUES'...). */
  readonly clause: string;
}

const AGGREGATES = new Set(['count', 'sum', 'avg', 'min', 'max', 'bool_and', 'bool_or', 'every', 'string_agg']);

export function isAggregateName(name: string): boolean {
  return AGGREGATES.has(name);
}

/** A key that identifies an expression by its structure (positions ignored). */
export function astKey(expr: ast.Expr): string {
  return JSON.stringify(expr, (key, value: unknown) =>
    key === 'pos' ? undefined : typeof value === 'bigint' ? `${value}n` : value,
  );
}

/**
 * A key for matching an expression against the GROUP BY list: astKey with each column
 * reference replaced by the slot it names in `scope`, so `t.id` and `id` match as in PostgreSQL.
 */
export function groupingKey(expr: ast.Expr, scope: Scope): string {
  return JSON.stringify(expr, (key, value: unknown) => {
    if (key === 'pos') return undefined;
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'column') {
      const ref = value as ast.ColumnRef;
      let slot: number | undefined;
      try {
        slot = scope.find(ref);
      } catch {
        slot = undefined;
      }
      if (slot !== undefined) return { kind: 'column', slot };
    }
    return value;
  });
}

/** Whether a node is one of the subquery forms (scalar, EXISTS, IN, ANY/ALL). */
export function isSubqueryNode(node: ast.Expr): boolean {
  return node.kind === 'subquery' || node.kind === 'exists' || node.kind === 'inSubquery' || node.kind === 'quantified';
}

/** Whether an expression contains an aggregate call (not looking into subqueries). */
export function containsAggregate(expr: ast.Expr): boolean {
  let found = false;
  walkExpr(expr, (node) => {
    if (node.kind === 'function' && AGGREGATES.has(node.name)) found = true;
    return !found;
  });
  return found;
}

/** Visits an expression tree (not descending into subqueries); stop descending when visit returns false. */
export function walkExpr(expr: ast.Expr, visit: (node: ast.Expr) => boolean): void {
  if (!visit(expr)) return;
  const children: (ast.Expr | undefined)[] = [];
  switch (expr.kind) {
    case 'unary':
      children.push(expr.operand);
      break;
    case 'binary':
    case 'isDistinct':
      children.push(expr.left, expr.right);
      break;
    case 'isNull':
    case 'isBoolean':
      children.push(expr.operand);
      break;
    case 'between':
      children.push(expr.operand, expr.low, expr.high);
      break;
    case 'inList':
      children.push(expr.operand, ...expr.list);
      break;
    case 'inSubquery':
    case 'quantified':
      children.push(expr.operand);
      break;
    case 'like':
      children.push(expr.operand, expr.pattern, expr.escape);
      break;
    case 'case':
      children.push(expr.operand, expr.else);
      for (const when of expr.whens) children.push(when.when, when.then);
      break;
    case 'cast':
      children.push(expr.operand);
      break;
    case 'function':
      children.push(...expr.args, expr.filter);
      break;
    default:
      break;
  }
  for (const child of children) if (child !== undefined) walkExpr(child, visit);
}

// ---------------------------------------------------------------------------------------
// Building compiled nodes

function node(
  type: SqlType,
  evaluate: Evaluator,
  parts: readonly Compiled[],
  extra: Partial<Pick<Compiled, 'volatile' | 'usesRow' | 'usesOuter' | 'subqueries'>> = {},
): Compiled {
  return {
    type,
    eval: evaluate,
    subqueries: [...parts.flatMap((part) => part.subqueries), ...(extra.subqueries ?? [])],
    usesRow: extra.usesRow ?? parts.some((part) => part.usesRow),
    usesOuter: extra.usesOuter ?? parts.some((part) => part.usesOuter),
    volatile: extra.volatile ?? parts.some((part) => part.volatile),
  };
}

export function constant(value: SqlValue, type: SqlType): Compiled {
  return {
    type,
    eval: () => value,
    constant: { value },
    subqueries: [],
    usesRow: false,
    usesOuter: false,
    volatile: false,
  };
}

/**
 * Folds a node whose inputs are all constants, with a context that has no clock: a fold
 * that needs one (now()) is not attempted because such functions are marked volatile-ish
 * by not being folded (see fold callers).
 */
const FOLD_CONTEXT: EvalContext = {
  timeZone: 'UTC',
  transactionTimestamp: 0n,
  statementTimestamp: 0n,
  random: () => 0,
};

/**
 * Whether a value of these types depends on the session TimeZone (text ↔ timestamptz,
 * timestamp ↔ timestamptz, timestamptz ± interval...): such an expression is not folded
 * with FOLD_CONTEXT's UTC but evaluated with the session's zone when it runs.
 */
function dependsOnTimeZone(...types: readonly SqlType[]): boolean {
  return types.some((type) => type.name === 'timestamptz');
}

/** The value of parameter `index` + 1; a statement run without it (a simple Query's `$1`) fails with 42P02. */
function parameterValue(env: ExecEnv, index: number): SqlValue {
  const value = env.params[index];
  if (value === undefined) throw new DbError('UNDEFINED_PARAMETER', `there is no parameter $${index + 1}`);
  return value;
}

/** Converts `compiled` to `to` (implicitly, on assignment, or explicitly), or fails with 42804. */
export function coerce(
  compiled: Compiled,
  to: SqlType,
  context: CoercionContext,
  parameters: ParameterTypes,
  what: string,
): Compiled {
  if (compiled.parameter !== undefined && compiled.type.name === 'unknown') {
    parameters.infer(compiled.parameter, to);
    const index = compiled.parameter - 1;
    const settled = parameters.typeOf(compiled.parameter)!;
    if (sameType(settled, to) || (to.typmod < 0 && settled.name === to.name)) {
      return { ...compiled, type: to, eval: (_row, env) => parameterValue(env, index) };
    }
    return coerce({ ...compiled, type: settled }, to, context, parameters, what);
  }
  const from = compiled.type;
  if (from.name === to.name && (to.typmod < 0 || sameType(from, to))) return compiled;
  if (from.name !== 'unknown' && !canCoerce(from, to, context)) {
    throw new DbError(
      'DATATYPE_MISMATCH',
      `${what} is of type ${formatTypeName(from)} but expression is expected to be ${formatTypeName(to)}`,
      { hint: 'You will need to rewrite or cast the expression.' },
    );
  }
  if (compiled.constant !== undefined && !dependsOnTimeZone(from, to)) {
    return constant(castValue(compiled.constant.value, from, to, FOLD_CONTEXT, context), to);
  }
  const inner = compiled.eval;
  return node(to, (row, env) => castValue(inner(row, env), from, to, env.ctx, context), [compiled]);
}

/** A boolean condition (WHERE, ON, HAVING, CASE WHEN, AND/OR/NOT operands). */
export function coerceToBoolean(compiled: Compiled, parameters: ParameterTypes, clause: string): Compiled {
  if (compiled.type.name === 'bool') return compiled;
  if (compiled.type.name === 'unknown') return coerce(compiled, T.bool, 'implicit', parameters, clause);
  throw new DbError(
    'DATATYPE_MISMATCH',
    `argument of ${clause} must be type boolean, not type ${formatTypeName(compiled.type)}`,
  );
}

// ---------------------------------------------------------------------------------------
// Binding

export function bindExpr(expr: ast.Expr, scope: Scope, binder: Binder, options: BindOptions): Compiled {
  const grouping = options.grouping;
  if (grouping !== undefined && expr.kind !== 'null' && expr.kind !== 'number' && expr.kind !== 'string') {
    const key = groupingKey(expr, grouping.inputScope);
    const slot = grouping.groupKeys.indexOf(key);
    if (slot >= 0) return columnReader(slot, grouping.groupTypes[slot]);
  }
  switch (expr.kind) {
    case 'number':
      return numberLiteral(expr);
    case 'string':
      return constant(expr.value, T.unknown);
    case 'boolean':
      return constant(expr.value, T.bool);
    case 'null':
      return constant(null, T.unknown);
    case 'parameter': {
      const index = expr.index - 1;
      const type = binder.parameters.typeOf(expr.index) ?? T.unknown;
      if (binder.parameters.types.length < expr.index) binder.parameters.types.length = expr.index;
      return {
        type,
        eval: (_row, env) => parameterValue(env, index),
        parameter: expr.index,
        subqueries: [],
        usesRow: false,
        usesOuter: false,
        volatile: false,
      };
    }
    case 'column':
      return bindColumn(expr, scope, binder, options);
    case 'unary':
      return bindUnary(expr, scope, binder, options);
    case 'binary':
      return bindBinary(expr, scope, binder, options);
    case 'isNull': {
      const operand = bindExpr(expr.operand, scope, binder, options);
      const inner = operand.eval;
      const negated = expr.negated;
      return node(T.bool, (row, env) => (inner(row, env) === null) !== negated, [operand]);
    }
    case 'isBoolean': {
      const operand = coerceToBoolean(bindExpr(expr.operand, scope, binder, options), binder.parameters, 'IS');
      const inner = operand.eval;
      const { value: wanted, negated } = expr;
      return node(T.bool, (row, env) => (inner(row, env) === wanted) !== negated, [operand]);
    }
    case 'isDistinct': {
      const { left, right, compare } = comparable(expr.left, expr.right, scope, binder, options, '=');
      const negated = expr.negated;
      return node(
        T.bool,
        (row, env) => {
          const a = left.eval(row, env);
          const b = right.eval(row, env);
          const distinct = a === null || b === null ? a !== b : compare(a, b, env) !== 0;
          return distinct !== negated;
        },
        [left, right],
      );
    }
    case 'between':
      return bindBetween(expr, scope, binder, options);
    case 'inList':
      return bindInList(expr, scope, binder, options);
    case 'inSubquery':
      return bindInSubquery(expr.operand, '=', 'any', expr.negated, expr.query, scope, binder, options);
    case 'quantified':
      return bindInSubquery(expr.operand, expr.op, expr.quantifier, false, expr.query, scope, binder, options);
    case 'like':
      return bindLike(expr, scope, binder, options);
    case 'case':
      return bindCase(expr, scope, binder, options);
    case 'cast': {
      const operand = bindExpr(expr.operand, scope, binder, options);
      const target = typeFromAst(expr.type);
      if (operand.parameter !== undefined && operand.type.name === 'unknown') {
        binder.parameters.infer(operand.parameter, target);
      }
      return coerce(operand, target, 'explicit', binder.parameters, 'expression');
    }
    case 'function':
      return bindFunction(expr, scope, binder, options);
    case 'subquery': {
      const { plan, correlated } = binder.planSubquery(expr.query, scope);
      if (plan.columnTypes.length !== 1) {
        throw new DbError('SYNTAX_ERROR', 'subquery must return only one column', { position: expr.pos + 1 });
      }
      return subqueryNode(binder.nextSubqueryNumber(), 'scalar', plan, correlated, plan.columnTypes[0], (result) =>
        result.kind === 'scalar' ? result.value : null,
      );
    }
    case 'exists': {
      const { plan, correlated } = binder.planSubquery(expr.query, scope);
      return subqueryNode(binder.nextSubqueryNumber(), 'exists', plan, correlated, T.bool, (result) =>
        result.kind === 'exists' ? result.value : null,
      );
    }
    case 'default':
      throw new DbError('SYNTAX_ERROR', 'DEFAULT is not allowed in this context', { position: expr.pos + 1 });
    default:
      return assertNever(expr);
  }
}

/** The SQL type an AST type name denotes. */
export function typeFromAst(type: ast.TypeName): SqlType {
  const words = type.withTimeZone === true ? [...type.words, 'with', 'time', 'zone'] : type.words;
  return parseTypeName(words, type.modifiers);
}

function assertNever(value: never): never {
  throw new Error(`unhandled expression ${JSON.stringify(value)}`);
}

/** An expression that reads column `slot` of the row. */
export function columnReader(slot: number, type: SqlType): Compiled {
  return { type, eval: (row) => row[slot], subqueries: [], usesRow: true, usesOuter: false, volatile: false };
}

/** The value and type of a numeric literal's text (for literals turned into parameters). */
export function numberLiteralValue(text: string): { value: SqlValue; type: SqlType } {
  const compiled = numberLiteral({ kind: 'number', text, pos: 0 });
  return { value: compiled.constant!.value, type: compiled.type };
}

function numberLiteral(expr: ast.NumberLiteral): Compiled {
  const text = expr.text;
  // A folded negative literal (see bindUnary) carries its sign: -2147483648 is still an int4.
  const match = /^(-?)([0-9]+)$/.exec(text);
  if (match !== null) {
    const sign = match[1] ?? '';
    const digits = (match[2] ?? '').replace(/^0+(?=.)/, '');
    if (digits.length <= 10) {
      const value = Number(sign + digits);
      if (value <= 0x7fff_ffff && value >= -0x8000_0000) return constant(value === 0 ? 0 : value, T.int4);
    }
    if (digits.length <= 19) {
      const value = BigInt(sign + digits);
      if (value <= 0x7fff_ffff_ffff_ffffn && value >= -0x8000_0000_0000_0000n) return constant(value, T.int8);
    }
    return constant(castValue(sign + digits, T.unknown, T.numeric, FOLD_CONTEXT), T.numeric);
  }
  return constant(castValue(text, T.unknown, T.numeric, FOLD_CONTEXT), T.numeric);
}

function bindColumn(expr: ast.ColumnRef, scope: Scope, binder: Binder, options: BindOptions): Compiled {
  // Oracle's sequence pseudo-columns: seq.nextval, seq.currval.
  if (expr.table !== undefined && (expr.name === 'nextval' || expr.name === 'currval')) {
    let known = false;
    for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) known ||= s.hasQualifier(expr.table);
    if (!known) {
      return bindFunction(
        {
          kind: 'function',
          name: expr.name,
          args: [{ kind: 'string', value: expr.table, pos: expr.pos }],
          distinct: false,
          star: false,
          pos: expr.pos,
        },
        scope,
        binder,
        options,
      );
    }
  }
  let depth = 0;
  for (let current: Scope | undefined = scope; current !== undefined; current = current.parent, depth++) {
    const slot = current.find(expr);
    if (slot === undefined) continue;
    const type = current.columns[slot].type;
    if (options.grouping !== undefined && depth === 0) {
      const name = expr.table === undefined ? expr.name : `${expr.table}.${expr.name}`;
      throw new DbError(
        'GROUPING_ERROR',
        `column "${name}" must appear in the GROUP BY clause or be used in an aggregate function`,
        { position: expr.pos + 1 },
      );
    }
    if (depth === 0) return columnReader(slot, type);
    binder.noteOuterReference?.();
    const level = depth - 1;
    return {
      type,
      eval: (_row, env) => env.outer[level][slot],
      subqueries: [],
      usesRow: false,
      usesOuter: true,
      volatile: false,
    };
  }
  if (expr.table !== undefined) {
    let known = false;
    for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) known ||= s.hasQualifier(expr.table);
    if (!known) {
      throw new DbError('NO_SUCH_TABLE', `missing FROM-clause entry for table "${expr.table}"`, {
        position: expr.pos + 1,
      });
    }
  }
  throw new DbError('UNDEFINED_COLUMN', `column "${describeRef(expr)}" does not exist`, { position: expr.pos + 1 });
}

function describeRef(expr: ast.ColumnRef): string {
  return expr.table === undefined ? expr.name : `${expr.table}.${expr.name}`;
}

function bindUnary(expr: ast.UnaryExpr, scope: Scope, binder: Binder, options: BindOptions): Compiled {
  const operand = bindExpr(expr.operand, scope, binder, options);
  if (expr.op === 'not') {
    const condition = coerceToBoolean(operand, binder.parameters, 'NOT');
    const inner = condition.eval;
    return node(
      T.bool,
      (row, env) => {
        const value = inner(row, env);
        return value === null ? null : !(value as boolean);
      },
      [condition],
    );
  }
  // A negative literal folds, so that -2147483648 is an int4 as in PostgreSQL.
  if (expr.op === '-' && expr.operand.kind === 'number') {
    return numberLiteral({ ...expr.operand, text: `-${expr.operand.text}` });
  }
  const resolved = resolveUnaryOperator(expr.op, operand.type);
  const input = coerce(operand, resolved.operandType, 'implicit', binder.parameters, 'operand');
  const inner = input.eval;
  const fn = resolved.fn;
  return node(
    resolved.resultType,
    (row, env) => {
      const value = inner(row, env);
      return value === null ? null : fn(value, env.ctx);
    },
    [input],
  );
}

function bindBinary(expr: ast.BinaryExpr, scope: Scope, binder: Binder, options: BindOptions): Compiled {
  if (expr.op === 'and' || expr.op === 'or') {
    const left = coerceToBoolean(bindExpr(expr.left, scope, binder, options), binder.parameters, expr.op.toUpperCase());
    const right = coerceToBoolean(
      bindExpr(expr.right, scope, binder, options),
      binder.parameters,
      expr.op.toUpperCase(),
    );
    const a = left.eval;
    const b = right.eval;
    if (expr.op === 'and') {
      return node(
        T.bool,
        (row, env) => {
          const x = a(row, env);
          if (x === false) return false;
          const y = b(row, env);
          if (y === false) return false;
          return x === null || y === null ? null : true;
        },
        [left, right],
      );
    }
    return node(
      T.bool,
      (row, env) => {
        const x = a(row, env);
        if (x === true) return true;
        const y = b(row, env);
        if (y === true) return true;
        return x === null || y === null ? null : false;
      },
      [left, right],
    );
  }
  let left = bindExpr(expr.left, scope, binder, options);
  let right = bindExpr(expr.right, scope, binder, options);
  // An untyped parameter takes the other side's type: `aid = $1` makes $1 an integer.
  if (left.parameter !== undefined && left.type.name === 'unknown' && right.type.name !== 'unknown') {
    left = coerce(left, right.type, 'implicit', binder.parameters, 'operand');
  } else if (right.parameter !== undefined && right.type.name === 'unknown' && left.type.name !== 'unknown') {
    right = coerce(right, left.type, 'implicit', binder.parameters, 'operand');
  }
  const resolved = resolveBinaryOperator(expr.op, left.type, right.type);
  const x = coerce(left, resolved.leftType, 'implicit', binder.parameters, 'operand');
  const y = coerce(right, resolved.rightType, 'implicit', binder.parameters, 'operand');
  const a = x.eval;
  const b = y.eval;
  const fn = resolved.fn;
  const compiled = node(
    resolved.resultType,
    (row, env) => {
      const p = a(row, env);
      if (p === null) return null;
      const q = b(row, env);
      if (q === null) return null;
      return fn(p, q, env.ctx);
    },
    [x, y],
  );
  if (x.constant !== undefined && y.constant !== undefined && !dependsOnTimeZone(x.type, y.type, compiled.type)) {
    return constant(compiled.eval([], { ctx: FOLD_CONTEXT } as ExecEnv), compiled.type);
  }
  return compiled;
}

/** Two operands made comparable, and their comparison (for =, BETWEEN, IN, DISTINCT). */
function comparable(
  leftExpr: ast.Expr,
  rightExpr: ast.Expr,
  scope: Scope,
  binder: Binder,
  options: BindOptions,
  op: string,
): { left: Compiled; right: Compiled; compare: (a: SqlValue, b: SqlValue, env: ExecEnv) => number } {
  let left = bindExpr(leftExpr, scope, binder, options);
  let right = bindExpr(rightExpr, scope, binder, options);
  if (left.parameter !== undefined && left.type.name === 'unknown' && right.type.name !== 'unknown') {
    left = coerce(left, right.type, 'implicit', binder.parameters, 'operand');
  } else if (right.parameter !== undefined && right.type.name === 'unknown' && left.type.name !== 'unknown') {
    right = coerce(right, left.type, 'implicit', binder.parameters, 'operand');
  }
  const resolved = resolveBinaryOperator(op, left.type, right.type);
  const x = coerce(left, resolved.leftType, 'implicit', binder.parameters, 'operand');
  const y = coerce(right, resolved.rightType, 'implicit', binder.parameters, 'operand');
  const type = resolved.leftType;
  return { left: x, right: y, compare: (a, b) => compareSqlValues(type, a, b) };
}

function bindBetween(expr: ast.BetweenExpr, scope: Scope, binder: Binder, options: BindOptions): Compiled {
  const types = [expr.operand, expr.low, expr.high].map((e) => bindExpr(e, scope, binder, options).type);
  const common = commonSuperType(types, 'BETWEEN');
  const operand = coerce(
    bindExpr(expr.operand, scope, binder, options),
    common,
    'implicit',
    binder.parameters,
    'operand',
  );
  const low = coerce(bindExpr(expr.low, scope, binder, options), common, 'implicit', binder.parameters, 'operand');
  const high = coerce(bindExpr(expr.high, scope, binder, options), common, 'implicit', binder.parameters, 'operand');
  const { negated, symmetric } = expr;
  return node(
    T.bool,
    (row, env) => {
      const value = operand.eval(row, env);
      let a = low.eval(row, env);
      let b = high.eval(row, env);
      if (symmetric && a !== null && b !== null && compareSqlValues(common, a, b) > 0) [a, b] = [b, a];
      const aboveLow = value === null || a === null ? null : compareSqlValues(common, value, a) >= 0;
      const belowHigh = value === null || b === null ? null : compareSqlValues(common, value, b) <= 0;
      const inside =
        aboveLow === false || belowHigh === false ? false : aboveLow === null || belowHigh === null ? null : true;
      return inside === null ? null : inside !== negated;
    },
    [operand, low, high],
  );
}

function bindInList(expr: ast.InListExpr, scope: Scope, binder: Binder, options: BindOptions): Compiled {
  const bound = [expr.operand, ...expr.list].map((e) => bindExpr(e, scope, binder, options));
  const common = commonSuperType(
    bound.map((c) => c.type),
    'IN',
  );
  const [operand, ...list] = bound.map((c) => coerce(c, common, 'implicit', binder.parameters, 'IN operand'));
  const negated = expr.negated;
  const allConstant = list.every((item) => item.constant !== undefined);
  return node(
    T.bool,
    (row, env) => {
      const value = operand.eval(row, env);
      if (value === null) return null;
      let sawNull = false;
      for (const item of list) {
        const candidate = allConstant ? item.constant!.value : item.eval(row, env);
        if (candidate === null) sawNull = true;
        else if (compareSqlValues(common, value, candidate) === 0) return !negated;
      }
      return sawNull ? null : negated;
    },
    [operand, ...list],
  );
}

function bindInSubquery(
  operandExpr: ast.Expr,
  op: ast.BinaryOperator,
  quantifier: 'any' | 'all',
  negated: boolean,
  query: ast.Query,
  scope: Scope,
  binder: Binder,
  options: BindOptions,
): Compiled {
  const operand = bindExpr(operandExpr, scope, binder, options);
  const { plan, correlated } = binder.planSubquery(query, scope);
  if (plan.columnTypes.length !== 1) throw new DbError('SYNTAX_ERROR', 'subquery has too many columns');
  const resolved = resolveBinaryOperator(op, operand.type, plan.columnTypes[0]);
  const left = coerce(operand, resolved.leftType, 'implicit', binder.parameters, 'operand');
  const from = plan.columnTypes[0];
  const to = resolved.rightType;
  const fn = resolved.fn;
  const number = binder.nextSubqueryNumber();
  const use: SubqueryUse = { number, mode: 'list', plan, correlated };
  return node(
    T.bool,
    (row, env) => {
      const result = env.subqueryResults[number] as SubqueryResult;
      const values = result.kind === 'list' ? result.values : [];
      const value = left.eval(row, env);
      // ANY: true if some comparison is true; ALL: false if some is false; NULLs make unknown.
      let sawNull = false;
      for (const raw of values) {
        const candidate = raw === null ? null : castValue(raw, from, to, env.ctx, 'implicit');
        const outcome = value === null || candidate === null ? null : (fn(value, candidate, env.ctx) as boolean | null);
        if (outcome === null) sawNull = true;
        else if (quantifier === 'any' && outcome) return !negated;
        else if (quantifier === 'all' && !outcome) return negated;
      }
      if (sawNull) return null;
      return quantifier === 'any' ? negated : !negated;
    },
    [left],
    { subqueries: [use], usesOuter: left.usesOuter || correlated },
  );
}

function subqueryNode(
  number: number,
  mode: 'scalar' | 'exists',
  plan: SubqueryPlan,
  correlated: boolean,
  type: SqlType,
  read: (result: SubqueryResult) => SqlValue,
): Compiled {
  return {
    type,
    eval: (_row, env) => read(env.subqueryResults[number] as SubqueryResult),
    subqueries: [{ number, mode, plan, correlated }],
    usesRow: false,
    usesOuter: correlated,
    volatile: false,
  };
}

function bindLike(expr: ast.LikeExpr, scope: Scope, binder: Binder, options: BindOptions): Compiled {
  const text = coerce(bindExpr(expr.operand, scope, binder, options), T.text, 'implicit', binder.parameters, 'LIKE');
  const pattern = coerce(bindExpr(expr.pattern, scope, binder, options), T.text, 'implicit', binder.parameters, 'LIKE');
  const escape =
    expr.escape === undefined
      ? undefined
      : coerce(bindExpr(expr.escape, scope, binder, options), T.text, 'implicit', binder.parameters, 'ESCAPE');
  const { negated, caseInsensitive } = expr;
  const fixed =
    pattern.constant !== undefined && (escape === undefined || escape.constant !== undefined)
      ? pattern.constant.value === null || escape?.constant?.value === null
        ? null
        : compileLike(pattern.constant.value as string, {
            caseInsensitive,
            ...(escape === undefined ? {} : { escape: escape.constant!.value as string }),
          })
      : undefined;
  const parts = escape === undefined ? [text, pattern] : [text, pattern, escape];
  return node(
    T.bool,
    (row, env) => {
      const value = text.eval(row, env);
      if (value === null) return null;
      let matcher = fixed;
      if (matcher === undefined) {
        const p = pattern.eval(row, env);
        const e = escape === undefined ? undefined : escape.eval(row, env);
        if (p === null || e === null) return null;
        matcher = compileLike(p as string, { caseInsensitive, ...(e === undefined ? {} : { escape: e as string }) });
      }
      if (matcher === null) return null;
      return matcher(value as string) !== negated;
    },
    parts,
  );
}

function bindCase(expr: ast.CaseExpr, scope: Scope, binder: Binder, options: BindOptions): Compiled {
  const results = expr.whens.map((when) => bindExpr(when.then, scope, binder, options));
  const otherwise = expr.else === undefined ? constant(null, T.unknown) : bindExpr(expr.else, scope, binder, options);
  const type = commonSuperType([...results, otherwise].map((c) => c.type));
  const thens = results.map((c) => coerce(c, type, 'implicit', binder.parameters, 'CASE result'));
  const elseValue = coerce(otherwise, type, 'implicit', binder.parameters, 'CASE result');
  let conditions: Compiled[];
  if (expr.operand === undefined) {
    conditions = expr.whens.map((when) =>
      coerceToBoolean(bindExpr(when.when, scope, binder, options), binder.parameters, 'CASE/WHEN'),
    );
  } else {
    const operandExpr = expr.operand;
    conditions = expr.whens.map((when) =>
      bindBinary(
        { kind: 'binary', op: '=', left: operandExpr, right: when.when, pos: when.when.pos },
        scope,
        binder,
        options,
      ),
    );
  }
  return node(
    type,
    (row, env) => {
      for (let i = 0; i < conditions.length; i++)
        if (conditions[i].eval(row, env) === true) return thens[i].eval(row, env);
      return elseValue.eval(row, env);
    },
    [...conditions, ...thens, elseValue],
  );
}

// ---------------------------------------------------------------------------------------
// Functions

function bindFunction(expr: ast.FunctionCall, scope: Scope, binder: Binder, options: BindOptions): Compiled {
  const name = expr.name;
  if (AGGREGATES.has(name)) return bindAggregate(expr, binder, options);
  if (expr.distinct || expr.star || expr.filter !== undefined) {
    throw new DbError('SYNTAX_ERROR', `${name}() is not an aggregate function`, { position: expr.pos + 1 });
  }
  const args = expr.args.map((arg) => bindExpr(arg, scope, binder, options));
  switch (name) {
    case 'coalesce':
    case 'nvl':
    case 'greatest':
    case 'least':
      return bindVariadic(name, args, binder);
    case 'nullif': {
      if (args.length !== 2) throw undefinedFunction(name, args);
      const { left, right, compare } = comparableCompiled(args[0], args[1], binder);
      return node(
        left.type,
        (row, env) => {
          const a = left.eval(row, env);
          const b = right.eval(row, env);
          return a !== null && b !== null && compare(a, b) === 0 ? null : a;
        },
        [left, right],
      );
    }
    case 'pg_typeof': {
      if (args.length !== 1) throw undefinedFunction(name, args);
      // PostgreSQL's regtype output names the type without its modifier.
      return constant(formatTypeName({ ...args[0].type, typmod: -1 }), T.text);
    }
    case 'nextval':
    case 'currval':
    case 'setval':
      return bindSequenceFunction(name, args, binder);
    case 'current_user':
    case 'session_user':
    case 'user':
    case 'current_role':
      return node(T.text, (_row, env) => env.services.user, []);
    case 'current_database':
    case 'current_catalog':
      return node(T.text, (_row, env) => env.services.database, []);
    case 'current_schema':
      return constant('public', T.text);
    case 'version':
      return node(T.text, (_row, env) => env.services.serverVersion, []);
    case 'pg_backend_pid':
      return node(T.int4, (_row, env) => env.services.backendPid, []);
    case 'generate_series':
      throw new DbError('FEATURE_NOT_SUPPORTED', 'generate_series is supported only in FROM', {
        position: expr.pos + 1,
      });
    default:
      break;
  }
  const resolved = lookupFunction(
    name,
    args.map((arg) => arg.type),
  );
  const inputs = args.map((arg, i) => coerce(arg, resolved.argTypes[i], 'implicit', binder.parameters, 'argument'));
  const fn = resolved.fn;
  const strict = resolved.strict;
  const evaluators = inputs.map((input) => input.eval);
  const compiled = node(
    resolved.resultType,
    (row, env) => {
      const values: SqlValue[] = new Array<SqlValue>(evaluators.length);
      for (let i = 0; i < evaluators.length; i++) {
        const value = evaluators[i](row, env);
        if (value === null && strict) return null;
        values[i] = value;
      }
      return fn(values, env.ctx);
    },
    inputs,
    { volatile: resolved.volatile || inputs.some((input) => input.volatile) },
  );
  return compiled;
}

function undefinedFunction(name: string, args: readonly Compiled[]): DbError {
  return new DbError(
    'UNDEFINED_FUNCTION',
    `function ${name}(${args.map((arg) => formatTypeName(arg.type)).join(', ')}) does not exist`,
  );
}

function comparableCompiled(
  a: Compiled,
  b: Compiled,
  binder: Binder,
): { left: Compiled; right: Compiled; compare: (x: SqlValue, y: SqlValue) => number } {
  const type = commonSuperType([a.type, b.type]);
  const left = coerce(a, type, 'implicit', binder.parameters, 'argument');
  const right = coerce(b, type, 'implicit', binder.parameters, 'argument');
  return { left, right, compare: (x, y) => compareSqlValues(type, x, y) };
}

function bindVariadic(name: string, args: readonly Compiled[], binder: Binder): Compiled {
  if (args.length === 0 || (name === 'nvl' && args.length !== 2)) throw undefinedFunction(name, args);
  const type = commonSuperType(
    args.map((arg) => arg.type),
    name.toUpperCase(),
  );
  const inputs = args.map((arg) => coerce(arg, type, 'implicit', binder.parameters, 'argument'));
  if (name === 'coalesce' || name === 'nvl') {
    return node(
      type,
      (row, env) => {
        for (const input of inputs) {
          const value = input.eval(row, env);
          if (value !== null) return value;
        }
        return null;
      },
      inputs,
    );
  }
  const sign = name === 'greatest' ? 1 : -1;
  return node(
    type,
    (row, env) => {
      let best: SqlValue = null;
      for (const input of inputs) {
        const value = input.eval(row, env);
        if (value !== null && (best === null || sign * compareSqlValues(type, value, best) > 0)) best = value;
      }
      return best;
    },
    inputs,
  );
}

function bindSequenceFunction(name: string, args: readonly Compiled[], binder: Binder): Compiled {
  const expected = name === 'setval' ? [2, 3] : [1];
  if (!expected.includes(args.length)) throw undefinedFunction(name, args);
  const sequence = coerce(args[0], T.text, 'implicit', binder.parameters, 'argument');
  if (name === 'currval') {
    return node(T.int8, (row, env) => env.services.currval(sequenceName(sequence.eval(row, env))), [sequence], {
      volatile: true,
    });
  }
  // nextval and setval are asynchronous (they may persist a new reservation): they run as a
  // prepared step, like a subquery, whose result the evaluator reads.
  const value = args[1] === undefined ? undefined : coerce(args[1], T.int8, 'implicit', binder.parameters, 'argument');
  const called = args[2] === undefined ? undefined : coerce(args[2], T.bool, 'implicit', binder.parameters, 'argument');
  const number = binder.nextSubqueryNumber();
  const plan: SubqueryPlan = {
    columnTypes: [T.int8],
    async *rows(env: ExecEnv) {
      const row = env.outer[0] ?? [];
      const target = sequenceName(sequence.eval(row, env));
      if (name === 'nextval') {
        yield [await env.services.nextval(target)];
        return;
      }
      const to = value!.eval(row, env);
      if (to === null) {
        yield [null];
        return;
      }
      yield [
        await env.services.setval(target, to as bigint, called === undefined ? true : called.eval(row, env) === true),
      ];
    },
  };
  const usesRow = sequence.usesRow || (value?.usesRow ?? false) || (called?.usesRow ?? false);
  return {
    type: T.int8,
    eval: (_row, env) => {
      const result = env.subqueryResults[number] as SubqueryResult;
      return result.kind === 'scalar' ? result.value : null;
    },
    // Always re-run: each row gets its own value.
    subqueries: [{ number, mode: 'scalar', plan, correlated: true }],
    usesRow,
    usesOuter: true,
    volatile: true,
  };
}

function sequenceName(value: SqlValue): string {
  if (value === null) throw new DbError('INVALID_PARAMETER', 'sequence name is NULL');
  return parseSequenceName(value as string);
}

/**
 * nextval's text argument as PostgreSQL reads it: an identifier, possibly qualified
 * (`public.s`; the schema is dropped, there is one), folded to lower case unless quoted
 * (`'"Camel_seq"'` keeps its case).
 */
export function parseSequenceName(text: string): string {
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let name = '';
      i++;
      while (i < text.length && !(text[i] === '"' && text[i + 1] !== '"')) {
        name += text[i];
        i += text[i] === '"' ? 2 : 1;
      }
      parts.push(name);
      i++;
    } else {
      const dot = text.indexOf('.', i);
      const end = dot < 0 ? text.length : dot;
      parts.push(text.slice(i, end).trim().toLowerCase());
      i = end;
    }
    if (text[i] === '.') i++;
  }
  return parts[parts.length - 1] ?? '';
}

/** The text argument for nextval that names `name` exactly (quoted when case or characters need it). */
export function sequenceArgument(name: string): string {
  const identifier = /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
  return `'${identifier.replace(/'/g, "''")}'`;
}

function bindAggregate(expr: ast.FunctionCall, binder: Binder, options: BindOptions): Compiled {
  const grouping = options.grouping;
  if (grouping === undefined) {
    throw new DbError('GROUPING_ERROR', `aggregate functions are not allowed in ${options.clause}`, {
      position: expr.pos + 1,
    });
  }
  const key = astKey(expr);
  let index = grouping.aggregates.findIndex((aggregate) => aggregate.key === key);
  if (index < 0) {
    // Arguments are bound below the aggregation, without grouping.
    const inner: BindOptions = { clause: 'aggregate function calls' };
    const args = expr.args.map((arg) => {
      if (containsAggregate(arg)) {
        throw new DbError('GROUPING_ERROR', 'aggregate function calls cannot be nested', { position: arg.pos + 1 });
      }
      return bindExpr(arg, grouping.inputScope, binder, inner);
    });
    const filter =
      expr.filter === undefined
        ? undefined
        : coerceToBoolean(bindExpr(expr.filter, grouping.inputScope, binder, inner), binder.parameters, 'FILTER');
    const type = aggregateType(expr.name, expr.star, args);
    grouping.aggregates.push({
      key,
      name: expr.name,
      args,
      distinct: expr.distinct,
      star: expr.star,
      ...(filter === undefined ? {} : { filter }),
      type,
    });
    index = grouping.aggregates.length - 1;
  }
  const aggregate = grouping.aggregates[index];
  return columnReader(grouping.groupKeys.length + index, aggregate.type);
}

function aggregateType(name: string, star: boolean, args: readonly Compiled[]): SqlType {
  if (name === 'count') {
    if (!star && args.length !== 1) throw undefinedFunction(name, args);
    return T.int8;
  }
  if (name === 'string_agg') {
    if (args.length !== 2) throw undefinedFunction(name, args);
    return T.text;
  }
  if (args.length !== 1) throw undefinedFunction(name, args);
  const input = args[0].type.name === 'unknown' ? T.text : args[0].type;
  switch (name) {
    case 'sum':
      if (input.name === 'int2' || input.name === 'int4') return T.int8;
      if (input.name === 'int8' || input.name === 'numeric') return T.numeric;
      if (input.name === 'float4' || input.name === 'float8' || input.name === 'interval') return input;
      throw undefinedFunction(name, args);
    case 'avg':
      if (['int2', 'int4', 'int8', 'numeric'].includes(input.name)) return T.numeric;
      if (input.name === 'float4' || input.name === 'float8') return T.float8;
      if (input.name === 'interval') return T.interval;
      throw undefinedFunction(name, args);
    case 'bool_and':
    case 'bool_or':
    case 'every':
      if (input.name !== 'bool') throw undefinedFunction(name, args);
      return T.bool;
    default:
      return input.typmod < 0 ? input : { name: input.name, typmod: -1 };
  }
}

/** Runs the subqueries an expression needs for this row (uncorrelated ones once per execution). */
export async function prepareSubqueries(uses: readonly SubqueryUse[], row: Row, env: ExecEnv): Promise<void> {
  for (const use of uses) {
    if (!use.correlated) {
      const cached = env.subqueryCache.get(use.number);
      if (cached !== undefined) {
        (env.subqueryResults as SubqueryResult[])[use.number] = cached;
        continue;
      }
    }
    const inner: ExecEnv = use.correlated ? { ...env, outer: [row, ...env.outer] } : env;
    const result = await runSubquery(use, inner);
    if (!use.correlated) env.subqueryCache.set(use.number, result);
    (env.subqueryResults as SubqueryResult[])[use.number] = result;
  }
}

async function runSubquery(use: SubqueryUse, env: ExecEnv): Promise<SubqueryResult> {
  switch (use.mode) {
    case 'exists':
      for await (const _row of use.plan.rows(env)) return { kind: 'exists', value: true };
      return { kind: 'exists', value: false };
    case 'scalar': {
      let value: SqlValue = null;
      let seen = 0;
      for await (const row of use.plan.rows(env)) {
        if (++seen > 1) {
          throw new DbError('CARDINALITY_VIOLATION', 'more than one row returned by a subquery used as an expression');
        }
        value = row[0];
      }
      return { kind: 'scalar', value };
    }
    case 'list': {
      const values: SqlValue[] = [];
      for await (const row of use.plan.rows(env)) values.push(row[0]);
      return { kind: 'list', values };
    }
  }
}

/** Evaluates a compiled expression, running its subqueries first when it has any. */
export function evaluate(compiled: Compiled, row: Row, env: ExecEnv): SqlValue | Promise<SqlValue> {
  if (compiled.subqueries.length === 0) return compiled.eval(row, env);
  return prepareSubqueries(compiled.subqueries, row, env).then(() => compiled.eval(row, env));
}

export { FOLD_CONTEXT };
