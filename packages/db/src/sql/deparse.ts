// The deparser: syntax trees back to SQL text that parses to the same tree (positions aside).
// The catalog stores DEFAULT and CHECK expressions this way, and EXPLAIN prints plans with it.
// Every operand that is not a primary is parenthesized, so precedence never has to be argued;
// names are quoted only when they would not read back unchanged.
import type {
  AlterDatabaseAction,
  AlterTableAction,
  AlterTablespaceAction,
  ColumnConstraint,
  ColumnDef,
  DatafileSpec,
  Expr,
  FromItem,
  FunctionCall,
  LogGroupSpec,
  OrderItem,
  Query,
  QueryBody,
  SelectItem,
  SequenceOptions,
  Statement,
  TableConstraint,
  TransactionStatement,
  TypeName,
} from './ast.js';
import { isPlainName, keywordCategory, quoteIdentifier } from './keywords.js';

const qi = quoteIdentifier;

/** A string constant in standard syntax: quotes doubled, backslashes literal. */
export function quoteString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A name where PostgreSQL takes any word (ColLabel): quoted only when not a plain lower-case name. */
function label(name: string): string {
  return isPlainName(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

function list<T>(items: readonly T[], format: (item: T) => string): string {
  return items.map(format).join(', ');
}

// ---------------------------------------------------------------------------------------
// Expressions

/** Nodes that print as a primary, so they never need parentheses as an operand. */
function isPrimary(e: Expr): boolean {
  switch (e.kind) {
    case 'number':
    case 'string':
    case 'boolean':
    case 'null':
    case 'parameter':
    case 'column':
    case 'function':
    case 'cast':
    case 'case':
    case 'subquery':
    case 'exists':
    case 'default':
      return true;
    default:
      return false;
  }
}

function operand(e: Expr): string {
  return isPrimary(e) ? formatExpr(e) : `(${formatExpr(e)})`;
}

export function formatExpr(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return e.text;
    case 'string':
      return quoteString(e.value);
    case 'boolean':
      return e.value ? 'TRUE' : 'FALSE';
    case 'null':
      return 'NULL';
    case 'parameter':
      return `$${e.index}`;
    case 'column':
      return e.table === undefined ? qi(e.name) : `${qi(e.table)}.${qi(e.name)}`;
    case 'unary':
      return e.op === 'not' ? `NOT ${operand(e.operand)}` : `${e.op}${operand(e.operand)}`;
    case 'binary': {
      const op = e.op === 'and' || e.op === 'or' ? e.op.toUpperCase() : e.op;
      return `${operand(e.left)} ${op} ${operand(e.right)}`;
    }
    case 'isNull':
      return `${operand(e.operand)} IS ${e.negated ? 'NOT ' : ''}NULL`;
    case 'isBoolean': {
      const value = e.value === null ? 'UNKNOWN' : e.value ? 'TRUE' : 'FALSE';
      return `${operand(e.operand)} IS ${e.negated ? 'NOT ' : ''}${value}`;
    }
    case 'isDistinct':
      return `${operand(e.left)} IS ${e.negated ? 'NOT ' : ''}DISTINCT FROM ${operand(e.right)}`;
    case 'between': {
      const not = e.negated ? 'NOT ' : '';
      const symmetric = e.symmetric ? 'SYMMETRIC ' : '';
      return `${operand(e.operand)} ${not}BETWEEN ${symmetric}${operand(e.low)} AND ${operand(e.high)}`;
    }
    case 'inList':
      return `${operand(e.operand)} ${e.negated ? 'NOT ' : ''}IN (${list(e.list, formatExpr)})`;
    case 'inSubquery':
      return `${operand(e.operand)} ${e.negated ? 'NOT ' : ''}IN (${formatQuery(e.query)})`;
    case 'like': {
      const op = `${e.negated ? 'NOT ' : ''}${e.caseInsensitive ? 'ILIKE' : 'LIKE'}`;
      const escape = e.escape === undefined ? '' : ` ESCAPE ${operand(e.escape)}`;
      return `${operand(e.operand)} ${op} ${operand(e.pattern)}${escape}`;
    }
    case 'case': {
      const subject = e.operand === undefined ? '' : ` ${formatExpr(e.operand)}`;
      const whens = e.whens.map((w) => ` WHEN ${formatExpr(w.when)} THEN ${formatExpr(w.then)}`).join('');
      const otherwise = e.else === undefined ? '' : ` ELSE ${formatExpr(e.else)}`;
      return `CASE${subject}${whens}${otherwise} END`;
    }
    case 'cast':
      return `CAST(${formatExpr(e.operand)} AS ${formatTypeName(e.type)})`;
    case 'function':
      return formatFunction(e);
    case 'subquery':
      return `(${formatQuery(e.query)})`;
    case 'exists':
      return `EXISTS (${formatQuery(e.query)})`;
    case 'quantified':
      return `${operand(e.operand)} ${e.op} ${e.quantifier.toUpperCase()} (${formatQuery(e.query)})`;
    case 'default':
      return 'DEFAULT';
  }
}

/** Keywords the parser reads as calls without parentheses. */
const NILADIC = new Set([
  'current_timestamp', 'current_date', 'current_time', 'localtimestamp', 'localtime', 'sysdate', 'systimestamp',
  'current_user', 'session_user', 'user', 'current_role', 'current_catalog', 'current_schema',
]); // prettier-ignore
const NILADIC_WITH_PRECISION = new Set([
  'current_timestamp',
  'current_time',
  'localtimestamp',
  'localtime',
  'systimestamp',
]);
/** Keyword-named functions whose special syntax also takes a plain argument list. */
const LIST_SYNTAX_KEYWORDS = new Set(['coalesce', 'nullif', 'greatest', 'least', 'substring']);

function formatFunction(f: FunctionCall): string {
  const plainCall = !f.distinct && !f.star && f.filter === undefined;
  if (plainCall && NILADIC.has(f.name)) {
    if (f.args.length === 0) return f.name;
    const precision = f.args[0];
    if (
      f.args.length === 1 &&
      NILADIC_WITH_PRECISION.has(f.name) &&
      precision.kind === 'number' &&
      /^\d+$/.test(precision.text)
    ) {
      return `${f.name}(${precision.text})`;
    }
  }
  if (plainCall && f.name === 'extract' && f.args.length === 2 && f.args[0].kind === 'string') {
    return `EXTRACT(${formatExpr(f.args[0])} FROM ${formatExpr(f.args[1])})`;
  }
  if (plainCall && f.name === 'position' && f.args.length === 2) {
    return `POSITION(${operand(f.args[0])} IN ${operand(f.args[1])})`;
  }
  return `${functionName(f.name)}(${functionArguments(f)})${f.filter === undefined ? '' : ` FILTER (WHERE ${formatExpr(f.filter)})`}`;
}

function functionName(name: string): string {
  if (LIST_SYNTAX_KEYWORDS.has(name)) return name;
  if (isPlainName(name) && keywordCategory(name) === 'typeFunctionName') return name;
  return qi(name);
}

function functionArguments(f: FunctionCall): string {
  if (f.star) return '*';
  return `${f.distinct ? 'DISTINCT ' : ''}${list(f.args, formatExpr)}`;
}

/** Words the type grammar reads as the start of a multi-word type; alone they need quotes. */
const MULTI_WORD_STARTS = new Set(['double', 'national']);
/** Keyword type names the type grammar takes bare. */
const KEYWORD_TYPES = new Set([
  'timestamp', 'time', 'interval', 'character', 'char', 'varchar', 'nchar', 'bit', 'numeric', 'decimal', 'dec',
  'int', 'integer', 'smallint', 'bigint', 'real', 'float', 'boolean', 'json',
]); // prettier-ignore

export function formatTypeName(type: TypeName): string {
  const modifiers = type.modifiers.length === 0 ? '' : `(${type.modifiers.join(', ')})`;
  const zone = type.withTimeZone === undefined ? '' : type.withTimeZone ? ' with time zone' : ' without time zone';
  if (type.words.length > 1) return `${type.words.join(' ')}${modifiers}${zone}`;
  return `${typeWord(type.words[0])}${modifiers}${zone}`;
}

function typeWord(word: string): string {
  if (KEYWORD_TYPES.has(word)) return word;
  if (!isPlainName(word) || MULTI_WORD_STARTS.has(word)) return `"${word.replaceAll('"', '""')}"`;
  const category = keywordCategory(word);
  return category === 'unreserved' || category === 'typeFunctionName' ? word : `"${word}"`;
}

// ---------------------------------------------------------------------------------------
// Queries

export function formatQuery(q: Query): string {
  const parts: string[] = [];
  if (q.with.length > 0) {
    const ctes = q.with.map((cte) => {
      const columns = cte.columns.length === 0 ? '' : `(${list(cte.columns, qi)})`;
      return `${qi(cte.name)}${columns} AS (${formatQuery(cte.query)})`;
    });
    parts.push(`WITH ${ctes.join(', ')}`);
  }
  parts.push(q.body.kind === 'query' ? `(${formatQuery(q.body)})` : formatBody(q.body));
  if (q.orderBy.length > 0) parts.push(`ORDER BY ${list(q.orderBy, formatOrderItem)}`);
  if (q.limit !== undefined) parts.push(`LIMIT ${formatExpr(q.limit)}`);
  if (q.offset !== undefined) parts.push(`OFFSET ${formatExpr(q.offset)}`);
  if (q.locking !== undefined) parts.push(`FOR ${q.locking.toUpperCase()}`);
  return parts.join(' ');
}

function formatOrderItem(item: OrderItem): string {
  const direction = item.direction === 'desc' ? ' DESC' : '';
  const nulls = item.nulls === undefined ? '' : ` NULLS ${item.nulls.toUpperCase()}`;
  return `${formatExpr(item.expr)}${direction}${nulls}`;
}

function formatBody(body: QueryBody): string {
  switch (body.kind) {
    case 'select': {
      const parts = [`SELECT${body.distinct ? ' DISTINCT' : ''}`];
      if (body.items.length > 0) parts.push(formatSelectItems(body.items));
      if (body.from.length > 0) parts.push(`FROM ${list(body.from, formatFromItem)}`);
      if (body.where !== undefined) parts.push(`WHERE ${formatExpr(body.where)}`);
      if (body.groupBy.length > 0) parts.push(`GROUP BY ${list(body.groupBy, formatExpr)}`);
      if (body.having !== undefined) parts.push(`HAVING ${formatExpr(body.having)}`);
      return parts.join(' ');
    }
    case 'values':
      return `VALUES ${list(body.rows, (row) => `(${list(row, formatExpr)})`)}`;
    case 'setOperation':
      return `${setOperand(body.left)} ${body.op.toUpperCase()}${body.all ? ' ALL' : ''} ${setOperand(body.right)}`;
    case 'query':
      return `(${formatQuery(body)})`;
  }
}

function setOperand(body: QueryBody): string {
  if (body.kind === 'select' || body.kind === 'values') return formatBody(body);
  if (body.kind === 'query') return `(${formatQuery(body)})`;
  return `(${formatBody(body)})`;
}

function formatSelectItems(items: readonly SelectItem[]): string {
  return list(items, (item) => {
    if (item.kind === 'star') return item.table === undefined ? '*' : `${qi(item.table)}.*`;
    return item.alias === undefined ? formatExpr(item.expr) : `${formatExpr(item.expr)} AS ${qi(item.alias)}`;
  });
}

function formatAlias(alias: string | undefined, columns: readonly string[]): string {
  if (alias === undefined) return '';
  return ` AS ${qi(alias)}${columns.length === 0 ? '' : `(${list(columns, qi)})`}`;
}

const JOIN_WORDS = { inner: 'JOIN', left: 'LEFT JOIN', right: 'RIGHT JOIN', full: 'FULL JOIN', cross: 'CROSS JOIN' };

function formatFromItem(item: FromItem): string {
  switch (item.kind) {
    case 'table':
      return `${qi(item.name)}${formatAlias(item.alias, item.columnAliases)}`;
    case 'subquery':
      return `(${formatQuery(item.query)})${formatAlias(item.alias, item.columnAliases)}`;
    case 'function':
      return `${qi(item.call.name)}(${functionArguments(item.call)})${formatAlias(item.alias, item.columnAliases)}`;
    case 'join': {
      const right = item.right.kind === 'join' ? `(${formatFromItem(item.right)})` : formatFromItem(item.right);
      let text = `${formatFromItem(item.left)} ${item.natural ? 'NATURAL ' : ''}${JOIN_WORDS[item.type]} ${right}`;
      if (item.on !== undefined) text += ` ON ${formatExpr(item.on)}`;
      if (item.using !== undefined) text += ` USING (${list(item.using, qi)})`;
      return text;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Statements

export function formatStatement(s: Statement): string {
  switch (s.kind) {
    case 'query':
      return formatQuery(s.query);
    case 'insert': {
      const parts = [`INSERT INTO ${qi(s.table)}`];
      if (s.alias !== undefined) parts.push(`AS ${qi(s.alias)}`);
      if (s.columns.length > 0) parts.push(`(${list(s.columns, qi)})`);
      parts.push(s.source === undefined ? 'DEFAULT VALUES' : formatQuery(s.source));
      if (s.onConflictDoNothing !== undefined) {
        const columns = s.onConflictDoNothing.columns;
        parts.push(`ON CONFLICT${columns.length === 0 ? '' : ` (${list(columns, qi)})`} DO NOTHING`);
      }
      return withReturning(parts, s.returning);
    }
    case 'update': {
      const parts = [`UPDATE ${qi(s.table)}`];
      if (s.alias !== undefined) parts.push(`AS ${qi(s.alias)}`);
      parts.push(`SET ${list(s.assignments, (a) => `${qi(a.column)} = ${formatExpr(a.value)}`)}`);
      if (s.from.length > 0) parts.push(`FROM ${list(s.from, formatFromItem)}`);
      if (s.where !== undefined) parts.push(`WHERE ${formatExpr(s.where)}`);
      return withReturning(parts, s.returning);
    }
    case 'delete': {
      const parts = [`DELETE FROM ${qi(s.table)}`];
      if (s.alias !== undefined) parts.push(`AS ${qi(s.alias)}`);
      if (s.using.length > 0) parts.push(`USING ${list(s.using, formatFromItem)}`);
      if (s.where !== undefined) parts.push(`WHERE ${formatExpr(s.where)}`);
      return withReturning(parts, s.returning);
    }
    case 'createTable':
      return formatCreateTable(s);
    case 'drop':
      return `DROP ${s.objectType.toUpperCase()} ${s.ifExists ? 'IF EXISTS ' : ''}${list(s.names, qi)}${s.cascade ? ' CASCADE' : ''}`;
    case 'alterTable':
      return `ALTER TABLE ${s.ifExists ? 'IF EXISTS ' : ''}${qi(s.name)} ${list(s.actions, formatAlterTableAction)}`;
    case 'createIndex': {
      const head = `CREATE ${s.unique ? 'UNIQUE ' : ''}INDEX ${s.ifNotExists ? 'IF NOT EXISTS ' : ''}`;
      const name = s.name === undefined ? '' : `${qi(s.name)} `;
      const columns = list(s.columns, (col) => `${qi(col.name)}${col.direction === 'desc' ? ' DESC' : ''}`);
      const tablespace = s.tablespace === undefined ? '' : ` TABLESPACE ${qi(s.tablespace)}`;
      return `${head}${name}ON ${qi(s.table)} (${columns})${tablespace}`;
    }
    case 'truncate':
      return `TRUNCATE TABLE ${list(s.tables, qi)}`;
    case 'createSequence':
      return `CREATE SEQUENCE ${s.ifNotExists ? 'IF NOT EXISTS ' : ''}${qi(s.name)}${formatSequenceOptions(s.options)}`;
    case 'alterSequence':
      return `ALTER SEQUENCE ${s.ifExists ? 'IF EXISTS ' : ''}${qi(s.name)}${formatSequenceOptions(s.options)}`;
    case 'createTablespace': {
      const type = s.type === 'permanent' ? '' : `${s.type.toUpperCase()} `;
      const files = `${s.type === 'temporary' ? 'TEMPFILE' : 'DATAFILE'} ${list(s.datafiles, formatDatafile)}`;
      const extent =
        s.uniformExtentBytes === undefined
          ? ''
          : ` EXTENT MANAGEMENT LOCAL UNIFORM SIZE ${formatSize(s.uniformExtentBytes)}`;
      return `CREATE ${type}TABLESPACE ${qi(s.name)} ${files}${extent}`;
    }
    case 'alterTablespace':
      return `ALTER TABLESPACE ${qi(s.name)} ${formatAlterTablespaceAction(s.action)}`;
    case 'dropTablespace': {
      const including = s.includingContents ? ` INCLUDING CONTENTS${s.andDatafiles ? ' AND DATAFILES' : ''}` : '';
      return `DROP TABLESPACE ${s.ifExists ? 'IF EXISTS ' : ''}${qi(s.name)}${including}`;
    }
    case 'createUser': {
      const parts = [`CREATE USER ${s.ifNotExists ? 'IF NOT EXISTS ' : ''}${qi(s.name)}`];
      if (s.password !== undefined) parts.push(`PASSWORD ${quoteString(s.password)}`);
      if (!s.login) parts.push('NOLOGIN');
      if (s.superuser !== undefined) parts.push(s.superuser ? 'SUPERUSER' : 'NOSUPERUSER');
      if (s.defaultTablespace !== undefined) parts.push(`DEFAULT TABLESPACE ${qi(s.defaultTablespace)}`);
      return parts.join(' ');
    }
    case 'alterUser': {
      const parts = [`ALTER USER ${qi(s.name)}`];
      if (s.password !== undefined) parts.push(`PASSWORD ${quoteString(s.password)}`);
      if (s.login !== undefined) parts.push(s.login ? 'LOGIN' : 'NOLOGIN');
      if (s.superuser !== undefined) parts.push(s.superuser ? 'SUPERUSER' : 'NOSUPERUSER');
      if (s.defaultTablespace !== undefined) parts.push(`DEFAULT TABLESPACE ${qi(s.defaultTablespace)}`);
      return parts.join(' ');
    }
    case 'grant': {
      const privileges = list(s.privileges, (p) => p.toUpperCase());
      const on = s.tables === undefined ? '' : ` ON TABLE ${list(s.tables, qi)}`;
      return `${s.revoke ? 'REVOKE' : 'GRANT'} ${privileges}${on} ${s.revoke ? 'FROM' : 'TO'} ${list(s.grantees, qi)}`;
    }
    case 'begin':
    case 'commit':
    case 'rollback':
    case 'savepoint':
    case 'releaseSavepoint':
    case 'rollbackToSavepoint':
    case 'setTransaction':
      return formatTransaction(s);
    case 'set': {
      const values = s.values === 'default' ? 'DEFAULT' : list(s.values, quoteString);
      return `SET ${s.local ? 'LOCAL ' : ''}${variableName(s.name)} TO ${values}`;
    }
    case 'show':
      return `SHOW ${variableName(s.name)}`;
    case 'reset':
      return `RESET ${variableName(s.name)}`;
    case 'copy': {
      const source = s.query !== undefined ? `(${formatQuery(s.query)})` : qi(s.table ?? '');
      const columns = s.columns.length === 0 ? '' : ` (${list(s.columns, qi)})`;
      const target = s.target === 'stdio' ? (s.direction === 'from' ? 'STDIN' : 'STDOUT') : quoteString(s.target.file);
      const options = list(s.options, (o) =>
        o.value === undefined ? label(o.name) : `${label(o.name)} ${quoteString(o.value)}`,
      );
      return `COPY ${source}${columns} ${s.direction.toUpperCase()} ${target}${options === '' ? '' : ` WITH (${options})`}`;
    }
    case 'explain':
      return `EXPLAIN${s.analyze ? ' ANALYZE' : ''}${s.verbose ? ' VERBOSE' : ''} ${formatStatement(s.statement)}`;
    case 'vacuum': {
      const flags = `${s.full ? ' FULL' : ''}${s.verbose ? ' VERBOSE' : ''}${s.analyze ? ' ANALYZE' : ''}`;
      return `VACUUM${flags}${s.tables.length === 0 ? '' : ` ${list(s.tables, qi)}`}`;
    }
    case 'analyze':
      return `ANALYZE${s.verbose ? ' VERBOSE' : ''}${s.tables.length === 0 ? '' : ` ${list(s.tables, qi)}`}`;
    case 'alterSystem':
      switch (s.action.kind) {
        case 'checkpoint':
          return 'ALTER SYSTEM CHECKPOINT';
        case 'switchLogfile':
          return 'ALTER SYSTEM SWITCH LOGFILE';
        case 'archiveLogCurrent':
          return 'ALTER SYSTEM ARCHIVE LOG CURRENT';
        case 'set':
          return `ALTER SYSTEM SET ${variableName(s.action.name)} = ${quoteString(s.action.value)}`;
      }
      break;
    case 'alterDatabase': {
      const name = s.name === undefined ? '' : `"${s.name.replaceAll('"', '""')}" `;
      return `ALTER DATABASE ${name}${formatAlterDatabaseAction(s.action)}`;
    }
    case 'createDatabase':
      return formatCreateDatabase(s);
    case 'createControlfile':
      return formatCreateControlfile(s);
    case 'discard':
      return `DISCARD ${s.what.toUpperCase()}`;
  }
}

function withReturning(parts: string[], returning: readonly SelectItem[]): string {
  if (returning.length > 0) parts.push(`RETURNING ${formatSelectItems(returning)}`);
  return parts.join(' ');
}

function variableName(name: string): string {
  return name.split('.').map(label).join('.');
}

function formatCreateTable(s: Extract<Statement, { kind: 'createTable' }>): string {
  const parts = [
    `CREATE ${s.temporary ? 'TEMPORARY ' : ''}TABLE ${s.ifNotExists ? 'IF NOT EXISTS ' : ''}${qi(s.name)}`,
  ];
  if (s.asQuery === undefined || s.columns.length > 0 || s.constraints.length > 0) {
    const elements = [...s.columns.map(formatColumnDef), ...s.constraints.map(formatTableConstraint)];
    parts.push(`(${elements.join(', ')})`);
  }
  if (s.options.length > 0)
    parts.push(`WITH (${list(s.options, (o) => `${label(o.name)} = ${optionValue(o.value)}`)})`);
  if (s.tablespace !== undefined) parts.push(`TABLESPACE ${qi(s.tablespace)}`);
  if (s.asQuery !== undefined) parts.push(`AS ${formatQuery(s.asQuery)}`);
  return parts.join(' ');
}

/** A storage option's value: a number or a plain word bare, anything else as a string. */
function optionValue(value: string): string {
  return /^\d+(\.\d+)?$/.test(value) || isPlainName(value) ? value : quoteString(value);
}

function formatColumnDef(column: ColumnDef): string {
  const constraints = column.constraints.map((c) => ` ${formatColumnConstraint(c)}`).join('');
  return `${qi(column.name)} ${formatTypeName(column.type)}${constraints}`;
}

function formatColumnConstraint(c: ColumnConstraint): string {
  switch (c.kind) {
    case 'notNull':
      return 'NOT NULL';
    case 'null':
      return 'NULL';
    case 'default':
      return `DEFAULT ${operand(c.expr)}`;
    case 'primaryKey':
      return 'PRIMARY KEY';
    case 'unique':
      return 'UNIQUE';
    case 'check':
      return `${c.name === undefined ? '' : `CONSTRAINT ${qi(c.name)} `}CHECK (${formatExpr(c.expr)})`;
    case 'references':
      return `REFERENCES ${qi(c.table)}${c.columns.length === 0 ? '' : ` (${list(c.columns, qi)})`}`;
  }
}

function formatTableConstraint(c: TableConstraint): string {
  const name = c.name === undefined ? '' : `CONSTRAINT ${qi(c.name)} `;
  switch (c.kind) {
    case 'primaryKey':
      return `${name}PRIMARY KEY (${list(c.columns, qi)})`;
    case 'unique':
      return `${name}UNIQUE (${list(c.columns, qi)})`;
    case 'check':
      return `${name}CHECK (${formatExpr(c.expr)})`;
    case 'foreignKey': {
      const referenced = c.referenced.length === 0 ? '' : ` (${list(c.referenced, qi)})`;
      return `${name}FOREIGN KEY (${list(c.columns, qi)}) REFERENCES ${qi(c.table)}${referenced}`;
    }
  }
}

function formatAlterTableAction(a: AlterTableAction): string {
  switch (a.kind) {
    case 'addColumn':
      return `ADD COLUMN ${a.ifNotExists ? 'IF NOT EXISTS ' : ''}${formatColumnDef(a.column)}`;
    case 'dropColumn':
      return `DROP COLUMN ${a.ifExists ? 'IF EXISTS ' : ''}${qi(a.name)}${a.cascade ? ' CASCADE' : ''}`;
    case 'addConstraint':
      return `ADD ${formatTableConstraint(a.constraint)}`;
    case 'dropConstraint':
      return `DROP CONSTRAINT ${a.ifExists ? 'IF EXISTS ' : ''}${qi(a.name)}`;
    case 'renameColumn':
      return `RENAME COLUMN ${qi(a.from)} TO ${qi(a.to)}`;
    case 'renameTable':
      return `RENAME TO ${qi(a.to)}`;
    case 'setDefault':
      return `ALTER COLUMN ${qi(a.column)} ${a.expr === undefined ? 'DROP DEFAULT' : `SET DEFAULT ${operand(a.expr)}`}`;
    case 'setNotNull':
      return `ALTER COLUMN ${qi(a.column)} ${a.notNull ? 'SET' : 'DROP'} NOT NULL`;
    case 'setOwner':
      return `OWNER TO ${qi(a.owner)}`;
  }
}

function formatSequenceOptions(o: SequenceOptions): string {
  const parts: string[] = [];
  if (o.increment !== undefined) parts.push(`INCREMENT BY ${o.increment}`);
  if (o.minValue !== undefined) parts.push(o.minValue === null ? 'NO MINVALUE' : `MINVALUE ${o.minValue}`);
  if (o.maxValue !== undefined) parts.push(o.maxValue === null ? 'NO MAXVALUE' : `MAXVALUE ${o.maxValue}`);
  if (o.start !== undefined) parts.push(`START WITH ${o.start}`);
  if (o.cache !== undefined) parts.push(`CACHE ${o.cache}`);
  if (o.cycle !== undefined) parts.push(o.cycle ? 'CYCLE' : 'NO CYCLE');
  if (o.restart !== undefined) parts.push(o.restart === 'start' ? 'RESTART' : `RESTART WITH ${o.restart}`);
  return parts.map((p) => ` ${p}`).join('');
}

/** Bytes with the largest exact unit: 52428800 → 50M. */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of [
    ['T', 1024 ** 4],
    ['G', 1024 ** 3],
    ['M', 1024 ** 2],
    ['K', 1024],
  ] as const) {
    if (bytes !== 0 && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}

function formatDatafile(spec: DatafileSpec): string {
  let text = quoteString(spec.path);
  if (spec.sizeBytes !== undefined) text += ` SIZE ${formatSize(spec.sizeBytes)}`;
  if (spec.reuse) text += ' REUSE';
  if (spec.autoextend !== undefined) {
    if (!spec.autoextend.on) return `${text} AUTOEXTEND OFF`;
    text += ' AUTOEXTEND ON';
    if (spec.autoextend.nextBytes !== undefined) text += ` NEXT ${formatSize(spec.autoextend.nextBytes)}`;
    const max = spec.autoextend.maxBytes;
    if (max !== undefined) text += ` MAXSIZE ${max === 'unlimited' ? 'UNLIMITED' : formatSize(max)}`;
  }
  return text;
}

function formatAlterTablespaceAction(a: AlterTablespaceAction): string {
  switch (a.kind) {
    case 'addDatafile':
      return `ADD DATAFILE ${list(a.datafiles, formatDatafile)}`;
    case 'rename':
      return `RENAME TO ${qi(a.to)}`;
    case 'offline':
      return a.mode === undefined ? 'OFFLINE' : `OFFLINE ${a.mode.toUpperCase()}`;
    case 'online':
      return 'ONLINE';
    case 'beginBackup':
      return 'BEGIN BACKUP';
    case 'endBackup':
      return 'END BACKUP';
    case 'readOnly':
      return a.readOnly ? 'READ ONLY' : 'READ WRITE';
  }
}

function formatTransactionModes(isolation: string | undefined, readOnly: boolean | undefined): string {
  let text = '';
  if (isolation !== undefined) text += ` ISOLATION LEVEL ${isolation.toUpperCase()}`;
  if (readOnly !== undefined) text += readOnly ? ' READ ONLY' : ' READ WRITE';
  return text;
}

function formatTransaction(s: TransactionStatement): string {
  switch (s.kind) {
    case 'begin':
      return `BEGIN${formatTransactionModes(s.isolation, s.readOnly)}`;
    case 'commit':
      return 'COMMIT';
    case 'rollback':
      return 'ROLLBACK';
    case 'savepoint':
      return `SAVEPOINT ${qi(s.name)}`;
    case 'releaseSavepoint':
      return `RELEASE SAVEPOINT ${qi(s.name)}`;
    case 'rollbackToSavepoint':
      return `ROLLBACK TO SAVEPOINT ${qi(s.name)}`;
    case 'setTransaction': {
      const head = s.session ? 'SET SESSION CHARACTERISTICS AS TRANSACTION' : 'SET TRANSACTION';
      return `${head}${formatTransactionModes(s.isolation, s.readOnly)}`;
    }
  }
}

function formatFileRef(file: string | number): string {
  return typeof file === 'number' ? String(file) : quoteString(file);
}

function formatLogGroup(group: LogGroupSpec): string {
  let text = group.group === undefined ? '' : `GROUP ${group.group} `;
  text += `(${list(group.members, quoteString)})`;
  if (group.sizeBytes !== undefined) text += ` SIZE ${formatSize(group.sizeBytes)}`;
  if (group.reuse) text += ' REUSE';
  return text;
}

function formatAlterDatabaseAction(a: AlterDatabaseAction): string {
  switch (a.kind) {
    case 'mount':
      return 'MOUNT';
    case 'open': {
      const resetlogs = a.resetlogs === undefined ? '' : a.resetlogs ? ' RESETLOGS' : ' NORESETLOGS';
      const readOnly = a.readOnly === undefined ? '' : a.readOnly ? ' READ ONLY' : ' READ WRITE';
      return `OPEN${resetlogs}${readOnly}`;
    }
    case 'archivelog':
      return a.on ? 'ARCHIVELOG' : 'NOARCHIVELOG';
    case 'addLogfile':
      return `ADD LOGFILE ${list(a.groups, formatLogGroup)}`;
    case 'addLogfileMember': {
      const members = a.members.map((m, i) => `${quoteString(m)}${a.reuse && i === 0 ? ' REUSE' : ''}`);
      return `ADD LOGFILE MEMBER ${members.join(', ')} TO GROUP ${a.group}`;
    }
    case 'dropLogfileGroup':
      return `DROP LOGFILE GROUP ${a.group}`;
    case 'dropLogfileMember':
      return `DROP LOGFILE MEMBER ${quoteString(a.member)}`;
    case 'clearLogfile':
      return `CLEAR ${a.unarchived ? 'UNARCHIVED ' : ''}LOGFILE GROUP ${a.group}`;
    case 'renameFile':
      return `RENAME FILE ${quoteString(a.from)} TO ${quoteString(a.to)}`;
    case 'beginBackup':
      return 'BEGIN BACKUP';
    case 'endBackup':
      return 'END BACKUP';
    case 'datafile': {
      const action =
        typeof a.action === 'string' ? a.action.toUpperCase() : `RESIZE ${formatSize(a.action.resizeBytes)}`;
      return `DATAFILE ${formatFileRef(a.file)} ${action}`;
    }
    case 'createDatafile':
      return `CREATE DATAFILE ${formatFileRef(a.file)}${a.as === undefined ? '' : ` AS ${quoteString(a.as)}`}`;
    case 'recover': {
      let text = `RECOVER${a.automatic ? ' AUTOMATIC' : ''}`;
      switch (a.target.kind) {
        case 'database':
          text += ' DATABASE';
          break;
        case 'datafile':
          text += ` DATAFILE ${list(a.target.files, formatFileRef)}`;
          break;
        case 'tablespace':
          text += ` TABLESPACE ${list(a.target.names, qi)}`;
          break;
        case 'cancel':
          text += ' CANCEL';
          break;
        case 'logfile':
          text += ` LOGFILE ${quoteString(a.target.path)}`;
          break;
      }
      if (a.until !== undefined) {
        if (a.until.kind === 'cancel') text += ' UNTIL CANCEL';
        else if (a.until.kind === 'time') text += ` UNTIL TIME ${quoteString(a.until.time)}`;
        else text += ` UNTIL CHANGE ${a.until.tsn}`;
      }
      if (a.usingBackupControlfile) text += ' USING BACKUP CONTROLFILE';
      return text;
    }
    case 'backupControlfile': {
      let text = `BACKUP CONTROLFILE TO ${a.trace ? 'TRACE AS ' : ''}${quoteString(a.path)}`;
      if (a.reuse) text += ' REUSE';
      if (a.resetlogs !== undefined) text += a.resetlogs ? ' RESETLOGS' : ' NORESETLOGS';
      return text;
    }
  }
}

function formatCreateControlfile(s: Extract<Statement, { kind: 'createControlfile' }>): string {
  const parts = [`CREATE CONTROLFILE${s.reuse ? ' REUSE' : ''} DATABASE "${s.name.replaceAll('"', '""')}"`];
  parts.push(s.resetlogs ? 'RESETLOGS' : 'NORESETLOGS');
  if (s.archivelog !== undefined) parts.push(s.archivelog ? 'ARCHIVELOG' : 'NOARCHIVELOG');
  for (const option of s.options) {
    if (option.name.endsWith('character set')) parts.push(`${option.name.toUpperCase()} ${label(option.value)}`);
    else parts.push(`${option.name.toUpperCase()} ${option.value}`);
  }
  parts.push(`LOGFILE ${list(s.logGroups, formatLogGroup)}`);
  const kindWord = { SYSTEM: 'SYSTEM ', UNDO: 'UNDO ', TEMP: 'TEMPORARY ', USER: '' } as const;
  const item = (entry: (typeof s.datafiles)[number]): string =>
    entry.tablespace === undefined
      ? list(entry.datafiles, formatDatafile)
      : `${kindWord[entry.tablespace.kind]}TABLESPACE ${qi(entry.tablespace.name)} (${list(entry.datafiles, formatDatafile)})`;
  parts.push(`DATAFILE ${list(s.datafiles, item)}`);
  return parts.join(' ');
}

function formatCreateDatabase(s: Extract<Statement, { kind: 'createDatabase' }>): string {
  const parts = ['CREATE DATABASE'];
  if (s.name !== undefined) parts.push(`"${s.name.replaceAll('"', '""')}"`);
  if (s.sysPassword !== undefined) parts.push(`USER sys IDENTIFIED BY ${quoteString(s.sysPassword)}`);
  for (const option of s.options) {
    if (option.name.endsWith('character set')) parts.push(`${option.name.toUpperCase()} ${label(option.value)}`);
    else parts.push(`${option.name.toUpperCase()} ${option.value}`);
  }
  if (s.logGroups.length > 0) parts.push(`LOGFILE ${list(s.logGroups, formatLogGroup)}`);
  if (s.archivelog !== undefined) parts.push(s.archivelog ? 'ARCHIVELOG' : 'NOARCHIVELOG');
  if (s.systemDatafiles.length > 0) parts.push(`DATAFILE ${list(s.systemDatafiles, formatDatafile)}`);
  const tablespace = (head: string, fileWord: string, ts: { name: string; datafiles: readonly DatafileSpec[] }) =>
    `${head} ${qi(ts.name)} ${fileWord} ${list(ts.datafiles, formatDatafile)}`;
  if (s.defaultTablespace !== undefined) parts.push(tablespace('DEFAULT TABLESPACE', 'DATAFILE', s.defaultTablespace));
  if (s.temporaryTablespace !== undefined) {
    parts.push(tablespace('DEFAULT TEMPORARY TABLESPACE', 'TEMPFILE', s.temporaryTablespace));
  }
  if (s.undoTablespace !== undefined) parts.push(tablespace('UNDO TABLESPACE', 'DATAFILE', s.undoTablespace));
  return parts.join(' ');
}
