// The syntax tree the SQL parser produces and the planner consumes: PostgreSQL's dialect
// for queries, DML and DDL (what psql, node-postgres and pgbench send), and Tibero's for
// the administrative statements of the seed (CREATE DATABASE, ALTER DATABASE, ALTER SYSTEM,
// CREATE TABLESPACE, IDENTIFIED BY). The tree is purely syntactic: names are as written
// (unquoted identifiers folded to lower case, quoted ones kept exactly), and nothing is
// resolved or type-checked yet.

/** Offset of a node's first character in the statement text, for error positions. */
export type Position = number;

// ---------------------------------------------------------------------------------------
// Expressions

/** A type as written: its words (`['double', 'precision']`, `['character', 'varying']`) and modifiers (`(10, 2)`). */
export interface TypeName {
  readonly words: readonly string[];
  readonly modifiers: readonly number[];
  /** `timestamp with time zone` / `without time zone`; undefined when not written. */
  readonly withTimeZone?: boolean;
  readonly pos: Position;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | BooleanLiteral
  | NullLiteral
  | ParameterRef
  | ColumnRef
  | UnaryExpr
  | BinaryExpr
  | IsNullExpr
  | IsBooleanExpr
  | IsDistinctExpr
  | BetweenExpr
  | InListExpr
  | InSubqueryExpr
  | LikeExpr
  | CaseExpr
  | CastExpr
  | FunctionCall
  | SubqueryExpr
  | ExistsExpr
  | QuantifiedExpr
  | DefaultExpr;

/** An unsigned numeric literal as written (`42`, `3.14`, `1e10`, `.5`); a sign is a UnaryExpr. */
export interface NumberLiteral {
  readonly kind: 'number';
  readonly text: string;
  readonly pos: Position;
}

/** A string constant ('...', E'...', $$...$$), of type unknown until context decides. */
export interface StringLiteral {
  readonly kind: 'string';
  readonly value: string;
  readonly pos: Position;
}

export interface BooleanLiteral {
  readonly kind: 'boolean';
  readonly value: boolean;
  readonly pos: Position;
}

export interface NullLiteral {
  readonly kind: 'null';
  readonly pos: Position;
}

/** `$n`, 1-based. */
export interface ParameterRef {
  readonly kind: 'parameter';
  readonly index: number;
  readonly pos: Position;
}

/**
 * A column reference `name` or `qualifier.name` (table or alias; a schema prefix
 * `public.t.c` keeps only the last two parts). Oracle's `seq.nextval` also parses as this.
 */
export interface ColumnRef {
  readonly kind: 'column';
  readonly table?: string;
  readonly name: string;
  readonly pos: Position;
}

export interface UnaryExpr {
  readonly kind: 'unary';
  readonly op: '-' | '+' | 'not';
  readonly operand: Expr;
  readonly pos: Position;
}

export type BinaryOperator =
  '+' | '-' | '*' | '/' | '%' | '^' | '||' | '=' | '<>' | '<' | '<=' | '>' | '>=' | 'and' | 'or';

/** `!=` is read as `<>`. */
export interface BinaryExpr {
  readonly kind: 'binary';
  readonly op: BinaryOperator;
  readonly left: Expr;
  readonly right: Expr;
  readonly pos: Position;
}

/** `x IS [NOT] NULL` (also `ISNULL`, `NOTNULL`). */
export interface IsNullExpr {
  readonly kind: 'isNull';
  readonly operand: Expr;
  readonly negated: boolean;
  readonly pos: Position;
}

/** `x IS [NOT] TRUE | FALSE | UNKNOWN`. */
export interface IsBooleanExpr {
  readonly kind: 'isBoolean';
  readonly operand: Expr;
  readonly value: boolean | null;
  readonly negated: boolean;
  readonly pos: Position;
}

/** `a IS [NOT] DISTINCT FROM b`. */
export interface IsDistinctExpr {
  readonly kind: 'isDistinct';
  readonly left: Expr;
  readonly right: Expr;
  readonly negated: boolean;
  readonly pos: Position;
}

export interface BetweenExpr {
  readonly kind: 'between';
  readonly operand: Expr;
  readonly low: Expr;
  readonly high: Expr;
  readonly negated: boolean;
  readonly symmetric: boolean;
  readonly pos: Position;
}

export interface InListExpr {
  readonly kind: 'inList';
  readonly operand: Expr;
  readonly list: readonly Expr[];
  readonly negated: boolean;
  readonly pos: Position;
}

export interface InSubqueryExpr {
  readonly kind: 'inSubquery';
  readonly operand: Expr;
  readonly query: Query;
  readonly negated: boolean;
  readonly pos: Position;
}

/** LIKE / ILIKE (and `~~`, `~~*`), with an optional ESCAPE. */
export interface LikeExpr {
  readonly kind: 'like';
  readonly operand: Expr;
  readonly pattern: Expr;
  readonly escape?: Expr;
  readonly negated: boolean;
  readonly caseInsensitive: boolean;
  readonly pos: Position;
}

/** `CASE [operand] WHEN ... THEN ... [ELSE ...] END`. */
export interface CaseExpr {
  readonly kind: 'case';
  readonly operand?: Expr;
  readonly whens: readonly { readonly when: Expr; readonly then: Expr }[];
  readonly else?: Expr;
  readonly pos: Position;
}

/** `CAST(x AS t)`, `x::t`, and typed literals such as `DATE '2026-01-01'` or `INTERVAL '1 day'`. */
export interface CastExpr {
  readonly kind: 'cast';
  readonly operand: Expr;
  readonly type: TypeName;
  readonly pos: Position;
}

/**
 * A function call, including aggregates (`count(*)` has `star`), and the special forms the
 * parser rewrites into calls: COALESCE, NULLIF, GREATEST, LEAST (names kept as such);
 * EXTRACT(field FROM x) → `extract('field', x)`; POSITION(a IN b) → `position(a, b)`;
 * SUBSTRING(x FROM a FOR b) → `substring(x, a, b)`; TRIM([BOTH|LEADING|TRAILING] [c] FROM x)
 * → `btrim|ltrim|rtrim(x[, c])`; and the niladic keywords CURRENT_TIMESTAMP, CURRENT_DATE,
 * LOCALTIMESTAMP, SYSDATE, SYSTIMESTAMP, CURRENT_USER, SESSION_USER, USER → calls with no
 * arguments under those names (lower case). A schema prefix (`pg_catalog.`) is dropped.
 */
export interface FunctionCall {
  readonly kind: 'function';
  readonly name: string;
  readonly args: readonly Expr[];
  readonly distinct: boolean;
  readonly star: boolean;
  /** `agg(...) FILTER (WHERE ...)`. */
  readonly filter?: Expr;
  readonly pos: Position;
}

/** A scalar subquery `(SELECT ...)`. */
export interface SubqueryExpr {
  readonly kind: 'subquery';
  readonly query: Query;
  readonly pos: Position;
}

export interface ExistsExpr {
  readonly kind: 'exists';
  readonly query: Query;
  readonly pos: Position;
}

/** `x op ANY|SOME|ALL (subquery)`. */
export interface QuantifiedExpr {
  readonly kind: 'quantified';
  readonly op: BinaryOperator;
  readonly quantifier: 'any' | 'all';
  readonly operand: Expr;
  readonly query: Query;
  readonly pos: Position;
}

/** `DEFAULT` in a VALUES list or an UPDATE's SET. */
export interface DefaultExpr {
  readonly kind: 'default';
  readonly pos: Position;
}

// ---------------------------------------------------------------------------------------
// Queries

export interface Query {
  readonly kind: 'query';
  readonly with: readonly CommonTableExpr[];
  readonly body: QueryBody;
  readonly orderBy: readonly OrderItem[];
  /** LIMIT n / FETCH FIRST n ROWS ONLY; `LIMIT ALL` is absent. */
  readonly limit?: Expr;
  readonly offset?: Expr;
  /** `FOR UPDATE` / `FOR SHARE` (locks the rows read; NOWAIT not supported). */
  readonly locking?: 'update' | 'share';
  readonly pos: Position;
}

export interface CommonTableExpr {
  readonly name: string;
  readonly columns: readonly string[];
  readonly query: Query;
}

export type QueryBody = Select | ValuesBody | SetOperation | Query;

export interface Select {
  readonly kind: 'select';
  readonly distinct: boolean;
  readonly items: readonly SelectItem[];
  /** Comma-separated FROM items (a cross join); empty for `SELECT 1`. `FROM DUAL` is kept as a table named dual. */
  readonly from: readonly FromItem[];
  readonly where?: Expr;
  readonly groupBy: readonly Expr[];
  readonly having?: Expr;
  readonly pos: Position;
}

export type SelectItem =
  | { readonly kind: 'expr'; readonly expr: Expr; readonly alias?: string }
  /** `*` or `t.*`. */
  | { readonly kind: 'star'; readonly table?: string; readonly pos: Position };

export interface ValuesBody {
  readonly kind: 'values';
  readonly rows: readonly (readonly Expr[])[];
  readonly pos: Position;
}

export interface SetOperation {
  readonly kind: 'setOperation';
  readonly op: 'union' | 'intersect' | 'except';
  readonly all: boolean;
  readonly left: QueryBody;
  readonly right: QueryBody;
  readonly pos: Position;
}

export interface OrderItem {
  readonly expr: Expr;
  readonly direction: 'asc' | 'desc';
  /** NULLS FIRST/LAST when written; otherwise PostgreSQL's default (last for asc, first for desc). */
  readonly nulls?: 'first' | 'last';
}

export type FromItem = TableRef | SubqueryRef | FunctionRef | JoinRef;

export interface TableRef {
  readonly kind: 'table';
  readonly name: string;
  readonly alias?: string;
  readonly columnAliases: readonly string[];
  readonly pos: Position;
}

export interface SubqueryRef {
  readonly kind: 'subquery';
  readonly query: Query;
  readonly alias?: string;
  readonly columnAliases: readonly string[];
  readonly pos: Position;
}

/** A set-returning function in FROM: `generate_series(1, 10) AS g(n)`. */
export interface FunctionRef {
  readonly kind: 'function';
  readonly call: FunctionCall;
  readonly alias?: string;
  readonly columnAliases: readonly string[];
  readonly pos: Position;
}

export interface JoinRef {
  readonly kind: 'join';
  readonly type: 'inner' | 'left' | 'right' | 'full' | 'cross';
  readonly left: FromItem;
  readonly right: FromItem;
  readonly on?: Expr;
  readonly using?: readonly string[];
  readonly natural: boolean;
  readonly pos: Position;
}

// ---------------------------------------------------------------------------------------
// Statements

export type Statement =
  | QueryStatement
  | InsertStatement
  | UpdateStatement
  | DeleteStatement
  | CreateTableStatement
  | DropStatement
  | AlterTableStatement
  | CreateIndexStatement
  | TruncateStatement
  | CreateSequenceStatement
  | AlterSequenceStatement
  | CreateTablespaceStatement
  | AlterTablespaceStatement
  | DropTablespaceStatement
  | CreateUserStatement
  | AlterUserStatement
  | GrantStatement
  | TransactionStatement
  | SetStatement
  | ShowStatement
  | ResetStatement
  | CopyStatement
  | ExplainStatement
  | VacuumStatement
  | AnalyzeStatement
  | AlterSystemStatement
  | AlterDatabaseStatement
  | CreateDatabaseStatement
  | CreateControlfileStatement
  | DiscardStatement;

export interface QueryStatement {
  readonly kind: 'query';
  readonly query: Query;
}

export type ReturningList = readonly SelectItem[];

export interface InsertStatement {
  readonly kind: 'insert';
  readonly table: string;
  readonly alias?: string;
  /** Target columns as listed; empty means all, in table order. */
  readonly columns: readonly string[];
  /** VALUES or a SELECT; absent for DEFAULT VALUES. */
  readonly source?: Query;
  /** `ON CONFLICT [(cols)] DO NOTHING`; DO UPDATE is not supported. */
  readonly onConflictDoNothing?: { readonly columns: readonly string[] };
  readonly returning: ReturningList;
  readonly pos: Position;
}

export interface UpdateStatement {
  readonly kind: 'update';
  readonly table: string;
  readonly alias?: string;
  readonly assignments: readonly { readonly column: string; readonly value: Expr; readonly pos: Position }[];
  readonly from: readonly FromItem[];
  readonly where?: Expr;
  readonly returning: ReturningList;
  readonly pos: Position;
}

export interface DeleteStatement {
  readonly kind: 'delete';
  readonly table: string;
  readonly alias?: string;
  readonly using: readonly FromItem[];
  readonly where?: Expr;
  readonly returning: ReturningList;
  readonly pos: Position;
}

export type ColumnConstraint =
  | { readonly kind: 'notNull' }
  | { readonly kind: 'null' }
  | { readonly kind: 'default'; readonly expr: Expr }
  | { readonly kind: 'primaryKey' }
  | { readonly kind: 'unique' }
  | { readonly kind: 'check'; readonly expr: Expr; readonly name?: string }
  /** REFERENCES is parsed so the error can say it is not supported. */
  | { readonly kind: 'references'; readonly table: string; readonly columns: readonly string[] };

export interface ColumnDef {
  readonly name: string;
  /** `serial`, `bigserial` and `smallserial` appear here as written; the planner expands them. */
  readonly type: TypeName;
  readonly constraints: readonly ColumnConstraint[];
  readonly pos: Position;
}

export type TableConstraint =
  | { readonly kind: 'primaryKey'; readonly name?: string; readonly columns: readonly string[] }
  | { readonly kind: 'unique'; readonly name?: string; readonly columns: readonly string[] }
  | { readonly kind: 'check'; readonly name?: string; readonly expr: Expr }
  | {
      readonly kind: 'foreignKey';
      readonly name?: string;
      readonly columns: readonly string[];
      readonly table: string;
      readonly referenced: readonly string[];
    };

export interface CreateTableStatement {
  readonly kind: 'createTable';
  readonly name: string;
  readonly ifNotExists: boolean;
  readonly columns: readonly ColumnDef[];
  readonly constraints: readonly TableConstraint[];
  /** `WITH (fillfactor = 90, ...)`: accepted, names lower case, values as text. */
  readonly options: readonly { readonly name: string; readonly value: string }[];
  readonly tablespace?: string;
  /** CREATE TABLE ... AS query. */
  readonly asQuery?: Query;
  /** TEMP/TEMPORARY (placed in the TEMP tablespace, dropped at session end). */
  readonly temporary: boolean;
  readonly pos: Position;
}

/** DROP TABLE / INDEX / SEQUENCE / USER (ROLE) / VIEW is not supported. */
export interface DropStatement {
  readonly kind: 'drop';
  readonly objectType: 'table' | 'index' | 'sequence' | 'user';
  readonly names: readonly string[];
  readonly ifExists: boolean;
  readonly cascade: boolean;
  readonly pos: Position;
}

export type AlterTableAction =
  | { readonly kind: 'addColumn'; readonly column: ColumnDef; readonly ifNotExists: boolean }
  | { readonly kind: 'dropColumn'; readonly name: string; readonly ifExists: boolean; readonly cascade: boolean }
  | { readonly kind: 'addConstraint'; readonly constraint: TableConstraint }
  | { readonly kind: 'dropConstraint'; readonly name: string; readonly ifExists: boolean }
  | { readonly kind: 'renameColumn'; readonly from: string; readonly to: string }
  | { readonly kind: 'renameTable'; readonly to: string }
  | { readonly kind: 'setDefault'; readonly column: string; readonly expr?: Expr }
  | { readonly kind: 'setNotNull'; readonly column: string; readonly notNull: boolean }
  /** OWNER TO user: an import gives each table back to the user that owned it. */
  | { readonly kind: 'setOwner'; readonly owner: string };

export interface AlterTableStatement {
  readonly kind: 'alterTable';
  readonly name: string;
  readonly ifExists: boolean;
  readonly actions: readonly AlterTableAction[];
  readonly pos: Position;
}

export interface CreateIndexStatement {
  readonly kind: 'createIndex';
  /** Absent: the planner names it `<table>_<cols>_idx` as PostgreSQL does. */
  readonly name?: string;
  readonly table: string;
  readonly columns: readonly { readonly name: string; readonly direction: 'asc' | 'desc' }[];
  readonly unique: boolean;
  readonly ifNotExists: boolean;
  readonly tablespace?: string;
  readonly pos: Position;
}

export interface TruncateStatement {
  readonly kind: 'truncate';
  readonly tables: readonly string[];
  readonly pos: Position;
}

export interface SequenceOptions {
  readonly start?: bigint;
  readonly increment?: bigint;
  /** null: NO MINVALUE / NO MAXVALUE. */
  readonly minValue?: bigint | null;
  readonly maxValue?: bigint | null;
  readonly cache?: bigint;
  readonly cycle?: boolean;
  /** ALTER SEQUENCE ... RESTART [WITH n]. */
  readonly restart?: bigint | 'start';
}

export interface CreateSequenceStatement {
  readonly kind: 'createSequence';
  readonly name: string;
  readonly ifNotExists: boolean;
  readonly options: SequenceOptions;
  readonly pos: Position;
}

export interface AlterSequenceStatement {
  readonly kind: 'alterSequence';
  readonly name: string;
  readonly ifExists: boolean;
  readonly options: SequenceOptions;
  readonly pos: Position;
}

/** Sizes in bytes (`50M` → 52428800; K, M, G, T suffixes). */
export interface DatafileSpec {
  readonly path: string;
  readonly sizeBytes?: number;
  readonly reuse: boolean;
  /** AUTOEXTEND ON [NEXT n] [MAXSIZE n|UNLIMITED] or OFF. */
  readonly autoextend?: {
    readonly on: boolean;
    readonly nextBytes?: number;
    readonly maxBytes?: number | 'unlimited';
  };
}

export interface CreateTablespaceStatement {
  readonly kind: 'createTablespace';
  readonly name: string;
  /** TEMPORARY TABLESPACE ... TEMPFILE, UNDO TABLESPACE ... DATAFILE. */
  readonly type: 'permanent' | 'temporary' | 'undo';
  readonly datafiles: readonly DatafileSpec[];
  /** EXTENT MANAGEMENT LOCAL [AUTOALLOCATE | UNIFORM SIZE n]: accepted. */
  readonly uniformExtentBytes?: number;
  readonly pos: Position;
}

export type AlterTablespaceAction =
  | { readonly kind: 'addDatafile'; readonly datafiles: readonly DatafileSpec[] }
  | { readonly kind: 'rename'; readonly to: string }
  | { readonly kind: 'offline'; readonly mode?: 'normal' | 'immediate' }
  | { readonly kind: 'online' }
  | { readonly kind: 'beginBackup' }
  | { readonly kind: 'endBackup' }
  | { readonly kind: 'readOnly'; readonly readOnly: boolean };

export interface AlterTablespaceStatement {
  readonly kind: 'alterTablespace';
  readonly name: string;
  readonly action: AlterTablespaceAction;
  readonly pos: Position;
}

export interface DropTablespaceStatement {
  readonly kind: 'dropTablespace';
  readonly name: string;
  readonly ifExists: boolean;
  readonly includingContents: boolean;
  readonly andDatafiles: boolean;
  readonly pos: Position;
}

/**
 * CREATE USER u IDENTIFIED BY pw (Tibero; the password as an identifier or a string),
 * CREATE USER u [WITH] PASSWORD 'pw', CREATE ROLE u [WITH] LOGIN PASSWORD 'pw'.
 */
export interface CreateUserStatement {
  readonly kind: 'createUser';
  readonly name: string;
  readonly password?: string;
  readonly ifNotExists: boolean;
  readonly defaultTablespace?: string;
  /** CREATE ROLE without LOGIN makes a role that cannot log in. */
  readonly login: boolean;
  readonly superuser?: boolean;
  readonly pos: Position;
}

export interface AlterUserStatement {
  readonly kind: 'alterUser';
  readonly name: string;
  readonly password?: string;
  readonly defaultTablespace?: string;
  /** ACCOUNT LOCK / UNLOCK, NOLOGIN / LOGIN. */
  readonly login?: boolean;
  /** SUPERUSER / NOSUPERUSER, when written. */
  readonly superuser?: boolean;
  readonly pos: Position;
}

/**
 * GRANT/REVOKE privileges ON [TABLE] names TO|FROM users. Privileges are lower case
 * (`select`, `insert`, `update`, `delete`, `all`); without ON they are system privileges or
 * roles (`create session`, `dba`, `resource`, `connect`).
 */
export interface GrantStatement {
  readonly kind: 'grant';
  readonly revoke: boolean;
  readonly privileges: readonly string[];
  readonly tables?: readonly string[];
  readonly grantees: readonly string[];
  readonly pos: Position;
}

export type TransactionStatement =
  | {
      readonly kind: 'begin';
      readonly isolation?: 'read committed' | 'repeatable read' | 'serializable' | 'read uncommitted';
      readonly readOnly?: boolean;
      readonly pos: Position;
    }
  /** COMMIT, END, COMMIT WORK/TRANSACTION. */
  | { readonly kind: 'commit'; readonly pos: Position }
  | { readonly kind: 'rollback'; readonly pos: Position }
  | { readonly kind: 'savepoint'; readonly name: string; readonly pos: Position }
  | { readonly kind: 'releaseSavepoint'; readonly name: string; readonly pos: Position }
  | { readonly kind: 'rollbackToSavepoint'; readonly name: string; readonly pos: Position }
  /** SET TRANSACTION ... / SET SESSION CHARACTERISTICS AS TRANSACTION ... */
  | {
      readonly kind: 'setTransaction';
      readonly session: boolean;
      readonly isolation?: 'read committed' | 'repeatable read' | 'serializable' | 'read uncommitted';
      readonly readOnly?: boolean;
      readonly pos: Position;
    };

/**
 * SET [SESSION|LOCAL] name {TO|=} value[, ...] | DEFAULT; SET TIME ZONE value; SET NAMES
 * value. Names lower case; `time zone` becomes `timezone`. Values as text (identifiers
 * and numbers as written, strings without quotes).
 */
export interface SetStatement {
  readonly kind: 'set';
  readonly name: string;
  readonly values: readonly string[] | 'default';
  readonly local: boolean;
  readonly pos: Position;
}

/** SHOW name | SHOW ALL. */
export interface ShowStatement {
  readonly kind: 'show';
  readonly name: string;
  readonly pos: Position;
}

/** RESET name | RESET ALL. */
export interface ResetStatement {
  readonly kind: 'reset';
  readonly name: string;
  readonly pos: Position;
}

/** COPY t [(cols)] FROM STDIN | TO STDOUT [WITH] [(options)]; COPY (query) TO STDOUT. */
export interface CopyStatement {
  readonly kind: 'copy';
  readonly table?: string;
  readonly query?: Query;
  readonly columns: readonly string[];
  readonly direction: 'from' | 'to';
  /** Only STDIN/STDOUT are served; a file name is parsed so the error can say so. */
  readonly target: 'stdio' | { readonly file: string };
  /** Options lower case: format, delimiter, null, header, freeze, quote, escape, encoding; legacy forms (CSV, DELIMITER 'x', NULL 'x', HEADER, BINARY) map to these. */
  readonly options: readonly { readonly name: string; readonly value?: string }[];
  readonly pos: Position;
}

export interface ExplainStatement {
  readonly kind: 'explain';
  readonly analyze: boolean;
  readonly verbose: boolean;
  readonly statement: Statement;
  readonly pos: Position;
}

export interface VacuumStatement {
  readonly kind: 'vacuum';
  readonly tables: readonly string[];
  readonly full: boolean;
  readonly analyze: boolean;
  readonly verbose: boolean;
  readonly pos: Position;
}

export interface AnalyzeStatement {
  readonly kind: 'analyze';
  readonly tables: readonly string[];
  readonly verbose: boolean;
  readonly pos: Position;
}

/** ALTER SYSTEM CHECKPOINT | SWITCH LOGFILE | SET name = value; also bare CHECKPOINT (PostgreSQL). */
export interface AlterSystemStatement {
  readonly kind: 'alterSystem';
  readonly action:
    | { readonly kind: 'checkpoint' }
    | { readonly kind: 'switchLogfile' }
    | { readonly kind: 'archiveLogCurrent' }
    | { readonly kind: 'set'; readonly name: string; readonly value: string };
  readonly pos: Position;
}

export interface LogGroupSpec {
  readonly group?: number;
  readonly members: readonly string[];
  readonly sizeBytes?: number;
  readonly reuse: boolean;
}

export type RecoverUntil =
  | { readonly kind: 'cancel' }
  | { readonly kind: 'time'; readonly time: string }
  | { readonly kind: 'change'; readonly tsn: bigint };

export type AlterDatabaseAction =
  | { readonly kind: 'mount' }
  | { readonly kind: 'open'; readonly resetlogs?: boolean; readonly readOnly?: boolean }
  | { readonly kind: 'archivelog'; readonly on: boolean }
  | { readonly kind: 'addLogfile'; readonly groups: readonly LogGroupSpec[] }
  | {
      readonly kind: 'addLogfileMember';
      readonly members: readonly string[];
      readonly group: number;
      readonly reuse: boolean;
    }
  | { readonly kind: 'dropLogfileGroup'; readonly group: number }
  | { readonly kind: 'dropLogfileMember'; readonly member: string }
  | { readonly kind: 'clearLogfile'; readonly group: number; readonly unarchived: boolean }
  | { readonly kind: 'renameFile'; readonly from: string; readonly to: string }
  | { readonly kind: 'beginBackup' }
  | { readonly kind: 'endBackup' }
  | {
      readonly kind: 'datafile';
      readonly file: string | number;
      readonly action: 'online' | 'offline' | { readonly resizeBytes: number };
    }
  /** CREATE DATAFILE 'path' [AS 'new'] (an empty file to recover into). */
  | { readonly kind: 'createDatafile'; readonly file: string | number; readonly as?: string }
  /**
   * RECOVER [AUTOMATIC] [DATABASE | DATAFILE f | TABLESPACE t] [UNTIL CANCEL|TIME 't'|CHANGE n]
   * [USING BACKUP CONTROLFILE]; RECOVER CANCEL ends a cancel-based recovery.
   */
  | {
      readonly kind: 'recover';
      readonly automatic: boolean;
      readonly target:
        | { readonly kind: 'database' }
        | { readonly kind: 'datafile'; readonly files: readonly (string | number)[] }
        | { readonly kind: 'tablespace'; readonly names: readonly string[] }
        | { readonly kind: 'cancel' }
        /** RECOVER LOGFILE 'path': the log a manual recovery applies next. */
        | { readonly kind: 'logfile'; readonly path: string };
      readonly until?: RecoverUntil;
      readonly usingBackupControlfile: boolean;
    }
  /** BACKUP CONTROLFILE TO TRACE AS 'file' [REUSE] [RESETLOGS|NORESETLOGS], or TO 'file' [REUSE] (a binary copy). */
  | {
      readonly kind: 'backupControlfile';
      readonly trace: boolean;
      readonly path: string;
      readonly reuse: boolean;
      readonly resetlogs?: boolean;
    };

export interface AlterDatabaseStatement {
  readonly kind: 'alterDatabase';
  /** ALTER DATABASE [name] ...: the optional database name. */
  readonly name?: string;
  readonly action: AlterDatabaseAction;
  readonly pos: Position;
}

/**
 * Tibero's CREATE DATABASE (in NOMOUNT): `CREATE DATABASE "name" USER sys IDENTIFIED BY pw
 * [MAXINSTANCES n ...] [CHARACTER SET cs] LOGFILE GROUP 1 ('a','b') SIZE 50M, GROUP 2 ...
 * [NOARCHIVELOG|ARCHIVELOG] DATAFILE 'system.dtf' SIZE 100M AUTOEXTEND ON NEXT .. MAXSIZE ..
 * DEFAULT TABLESPACE usr DATAFILE ... DEFAULT TEMPORARY TABLESPACE temp TEMPFILE ...
 * UNDO TABLESPACE undo DATAFILE ...`. Also `CONTROLFILE REUSE`? not needed.
 */
export interface CreateDatabaseStatement {
  readonly kind: 'createDatabase';
  readonly name?: string;
  readonly sysPassword?: string;
  readonly logGroups: readonly LogGroupSpec[];
  readonly archivelog?: boolean;
  readonly systemDatafiles: readonly DatafileSpec[];
  readonly defaultTablespace?: { readonly name: string; readonly datafiles: readonly DatafileSpec[] };
  readonly temporaryTablespace?: { readonly name: string; readonly datafiles: readonly DatafileSpec[] };
  readonly undoTablespace?: { readonly name: string; readonly datafiles: readonly DatafileSpec[] };
  /** MAXINSTANCES, MAXDATAFILES, MAXLOGFILES, MAXLOGMEMBERS, CHARACTER SET, NATIONAL CHARACTER SET: accepted, kept lower case. */
  readonly options: readonly { readonly name: string; readonly value: string }[];
  readonly pos: Position;
}

/**
 * One item of CREATE CONTROLFILE's DATAFILE list: a bare file (Oracle's form), or, a Tandem
 * extension, a tablespace with its files: `[SYSTEM | UNDO | TEMPORARY] TABLESPACE name
 * ('file' [SIZE n] [AUTOEXTEND ...], ...)` (no kind word: a USER tablespace). The control
 * file records tablespace names and kinds, which the datafile headers do not hold.
 */
export interface ControlfileDatafileItem {
  /** Absent for a bare file: its tablespace is the one another item names with the same number. */
  readonly tablespace?: { readonly name: string; readonly kind: 'SYSTEM' | 'UNDO' | 'TEMP' | 'USER' };
  readonly datafiles: readonly DatafileSpec[];
}

/**
 * CREATE CONTROLFILE [REUSE] DATABASE name NORESETLOGS | RESETLOGS [ARCHIVELOG | NOARCHIVELOG]
 * [MAXLOGFILES n ...] [CHARACTER SET cs] LOGFILE [GROUP n] ('a', 'b') [SIZE s], ... DATAFILE
 * item, ... (in NOMOUNT; the clauses in any order): recreates the control files from the
 * files it names.
 */
export interface CreateControlfileStatement {
  readonly kind: 'createControlfile';
  readonly reuse: boolean;
  readonly name: string;
  readonly resetlogs: boolean;
  readonly archivelog?: boolean;
  readonly logGroups: readonly LogGroupSpec[];
  readonly datafiles: readonly ControlfileDatafileItem[];
  /** MAXLOGFILES, MAXDATAFILES, ..., CHARACTER SET: accepted without effect, kept lower case. */
  readonly options: readonly { readonly name: string; readonly value: string }[];
  readonly pos: Position;
}

/** DISCARD ALL | PLANS | SEQUENCES | TEMP (what connection poolers send). */
export interface DiscardStatement {
  readonly kind: 'discard';
  readonly what: 'all' | 'plans' | 'sequences' | 'temp';
  readonly pos: Position;
}
