// tandem$ddl: the SQL that recreates the database's objects, one statement a row, in the
// order an import runs them. `tandem db export` reads it inside the transaction whose
// snapshot it copies the rows from. Every statement is built as a syntax tree and printed
// by the deparser, so it reads back with our own parser; names are quoted when needed.
//
// Sections, as pg_dump has them: `pre-data` (users with their SCRAM verifiers and system
// privileges, sequences, tables with their columns, NOT NULL, DEFAULT, PRIMARY KEY and
// CHECK, table owners) runs before the rows are loaded, `post-data` (indexes, UNIQUE
// constraints among them, sequence positions, table grants) after, so rows load without
// index maintenance. sys itself is not exported: every database has its own.
import type { TableDefinition } from '../access/catalog.js';
import { DbError } from '../errors.js';
import type { Database } from '../instance/database.js';
import type * as ast from './ast.js';
import { columnSqlType } from './catalog.js';
import { formatStatement } from './deparse.js';
import { parseSequenceName, walkExpr, type Row } from './expr.js';
import { parseExpression, parseTypeName } from './parser.js';
import type { VirtualRelation } from './planner.js';
import type { Sequences } from './sequences.js';
import { formatTypeName, T, type SqlType } from './types/types.js';

export const DDL_VIEW_NAME = 'tandem$ddl';

/** A user as the engine stores it (see SqlEngine), with its name. */
export interface DdlUser {
  readonly name: string;
  readonly verifier: string;
  readonly login: boolean;
  readonly superuser: boolean;
  readonly defaultTablespace?: string;
  readonly privileges: readonly string[];
  readonly tablePrivileges: Readonly<Record<string, readonly string[]>>;
}

/** What the view reads: the open database, its sequences and users (undefined before OPEN). */
export interface DdlObjects {
  readonly database: Database;
  readonly sequences: Sequences;
  readonly users: readonly DdlUser[];
}

export interface DdlSource {
  /** sys, superusers and DBA holders: the view shows password verifiers, so only they may read it. */
  isAdministrator(user: string): boolean;
  objects(): DdlObjects | undefined;
}

export type DdlSection = 'pre-data' | 'post-data';

/** One statement of the export, with what it belongs to (for choosing a subset). */
export interface DdlStatement {
  readonly section: DdlSection;
  /** USER, SYSTEM GRANT, SEQUENCE, TABLE, OWNER, INDEX, SEQUENCE VALUE, GRANT. */
  readonly objectType: string;
  /** The user the object belongs to: the user itself, the table's owner; null for a sequence no table uses. */
  readonly owner: string | null;
  readonly objectName: string;
  /** The table the statement belongs to (the table, its indexes, owner, grants, the sequences its DEFAULTs use). */
  readonly tableName: string | null;
  /** The table's tablespace when it is not the database's default one (which the statement then omits). */
  readonly tablespace: string | null;
  readonly ddl: string;
}

const POS = 0;

export function ddlExportView(source: DdlSource): VirtualRelation {
  const columns: [string, SqlType][] = [
    ['seq', T.int4],
    ['section', T.text],
    ['object_type', T.text],
    ['owner', T.text],
    ['object_name', T.text],
    ['table_name', T.text],
    ['tablespace', T.text],
    ['ddl', T.text],
  ];
  return {
    kind: 'virtual',
    name: DDL_VIEW_NAME,
    columns: columns.map(([name, type]) => ({ name, type })),
    produce: (env): Row[] => {
      if (!source.isAdministrator(env.services.user)) {
        throw new DbError('INSUFFICIENT_PRIVILEGE', `permission denied for view ${DDL_VIEW_NAME}`, {
          hint: 'it shows password verifiers: only sys or a user with DBA may read it',
        });
      }
      const objects = source.objects();
      if (objects === undefined) return [];
      return ddlStatements(objects).map((s, i) => [
        i + 1,
        s.section,
        s.objectType,
        s.owner,
        s.objectName,
        s.tableName,
        s.tablespace,
        s.ddl,
      ]);
    },
  };
}

/** Every statement, in the order an import runs them. */
export function ddlStatements(objects: DdlObjects): DdlStatement[] {
  const tables = objects.database.catalog
    .tables()
    .filter((definition) => definition.dropping !== true)
    .sort((a, b) => compare(a.name, b.name));
  const users = [...objects.users].sort((a, b) => compare(a.name, b.name));
  const sequenceTables = tablesUsingSequences(tables);
  return [
    ...users.flatMap(userStatements),
    ...sequenceStatements(objects.sequences, sequenceTables),
    ...tables.flatMap((definition) => tableStatements(definition, tablespaceOf(objects.database, definition))),
    ...tables.flatMap(indexStatements),
    ...sequencePositions(objects.sequences, sequenceTables),
    ...tables.flatMap((definition) => grantStatements(definition, users)),
  ];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function ownerOf(definition: TableDefinition): string {
  return definition.owner ?? 'sys';
}

// ---------------------------------------------------------------------------------------
// Users

function userStatements(user: DdlUser): DdlStatement[] {
  const base = {
    section: 'pre-data',
    owner: user.name,
    objectName: user.name,
    tableName: null,
    tablespace: null,
  } as const;
  // The verifier goes in as the password: CREATE USER takes a SCRAM-SHA-256$ string as
  // already hashed (as PostgreSQL does), so the user logs in with its old password.
  const create: ast.CreateUserStatement = {
    kind: 'createUser',
    name: user.name,
    password: user.verifier,
    ifNotExists: false,
    login: user.login,
    ...(user.superuser ? { superuser: true } : {}),
    ...(user.defaultTablespace === undefined ? {} : { defaultTablespace: user.defaultTablespace }),
    pos: POS,
  };
  const statements: DdlStatement[] = [{ ...base, objectType: 'USER', ddl: formatStatement(create) }];
  if (user.privileges.length > 0) {
    const grant: ast.GrantStatement = {
      kind: 'grant',
      revoke: false,
      privileges: [...user.privileges].sort(),
      grantees: [user.name],
      pos: POS,
    };
    statements.push({ ...base, objectType: 'SYSTEM GRANT', ddl: formatStatement(grant) });
  }
  return statements;
}

function grantStatements(definition: TableDefinition, users: readonly DdlUser[]): DdlStatement[] {
  return users.flatMap((user): DdlStatement[] => {
    const privileges = user.tablePrivileges[definition.name] ?? [];
    if (privileges.length === 0) return [];
    const grant: ast.GrantStatement = {
      kind: 'grant',
      revoke: false,
      privileges: [...privileges].sort(),
      tables: [definition.name],
      grantees: [user.name],
      pos: POS,
    };
    return [
      {
        section: 'post-data',
        objectType: 'GRANT',
        owner: ownerOf(definition),
        objectName: definition.name,
        tableName: definition.name,
        tablespace: null,
        ddl: formatStatement(grant),
      },
    ];
  });
}

// ---------------------------------------------------------------------------------------
// Sequences

/** Sequence name → the first table (by name) whose DEFAULTs call nextval on it. */
function tablesUsingSequences(tables: readonly TableDefinition[]): Map<string, TableDefinition> {
  const used = new Map<string, TableDefinition>();
  for (const definition of tables) {
    for (const column of definition.columns) {
      if (column.dropped === true || column.default === undefined) continue;
      walkExpr(parseExpression(column.default), (node) => {
        if (node.kind === 'function' && node.name === 'nextval' && node.args[0]?.kind === 'string') {
          const name = parseSequenceName(node.args[0].value);
          if (!used.has(name)) used.set(name, definition);
        }
        return true;
      });
    }
  }
  return used;
}

function sequenceBase(name: string, table: TableDefinition | undefined) {
  return {
    owner: table === undefined ? null : ownerOf(table),
    objectName: name,
    tableName: table?.name ?? null,
    tablespace: null,
  };
}

function sequenceStatements(sequences: Sequences, users: ReadonlyMap<string, TableDefinition>): DdlStatement[] {
  return sequences.names().map((name) => {
    const sequence = sequences.describe(name);
    const create: ast.CreateSequenceStatement = {
      kind: 'createSequence',
      name,
      ifNotExists: false,
      options: {
        increment: BigInt(sequence.increment),
        minValue: BigInt(sequence.min),
        maxValue: BigInt(sequence.max),
        start: BigInt(sequence.start),
        cache: BigInt(sequence.cache),
        cycle: sequence.cycle,
      },
      pos: POS,
    };
    return {
      section: 'pre-data',
      objectType: 'SEQUENCE',
      ...sequenceBase(name, users.get(name)),
      ddl: formatStatement(create),
    };
  });
}

/** Where each used sequence stands: the next nextval returns what it would have returned here. */
function sequencePositions(sequences: Sequences, users: ReadonlyMap<string, TableDefinition>): DdlStatement[] {
  return sequences.names().flatMap((name): DdlStatement[] => {
    const sequence = sequences.describe(name);
    if (sequence.next === BigInt(sequence.start)) return [];
    const alter: ast.AlterSequenceStatement = {
      kind: 'alterSequence',
      name,
      ifExists: false,
      options: { restart: sequence.next },
      pos: POS,
    };
    return [
      {
        section: 'post-data',
        objectType: 'SEQUENCE VALUE',
        ...sequenceBase(name, users.get(name)),
        ddl: formatStatement(alter),
      },
    ];
  });
}

// ---------------------------------------------------------------------------------------
// Tables and indexes

/** The tablespace holding the table's tree, or null for the database's default one. */
function tablespaceOf(database: Database, definition: TableDefinition): string | null {
  const state = database.storage.control.state;
  const file = state.datafiles.find((datafile) => datafile.number === definition.root.fileNumber);
  const tablespace = state.tablespaces.find((ts) => ts.number === file?.tablespaceNumber);
  const defaultTablespace = state.tablespaces.find((ts) => ts.kind === 'USER');
  if (tablespace === undefined || tablespace.number === defaultTablespace?.number) return null;
  return tablespace.name;
}

/** A column's type as written in CREATE TABLE; the type's display name reads back as the same type. */
function typeName(type: SqlType): ast.TypeName {
  // `character` alone means character(1); a bpchar without a length is spelled bpchar.
  if (type.name === 'bpchar' && type.typmod < 0) return { words: ['bpchar'], modifiers: [], pos: POS };
  return parseTypeName(formatTypeName(type));
}

function tableStatements(definition: TableDefinition, tablespace: string | null): DdlStatement[] {
  const columns = definition.columns
    .filter((column) => column.dropped !== true)
    .map((column): ast.ColumnDef => ({
      name: column.name,
      type: typeName(columnSqlType(column)),
      constraints: [
        ...(column.nullable ? [] : [{ kind: 'notNull' } as const]),
        ...(column.default === undefined ? [] : [{ kind: 'default', expr: parseExpression(column.default) } as const]),
      ],
      pos: POS,
    }));
  const constraints: ast.TableConstraint[] = [
    ...(definition.primaryKey.length === 0 ? [] : [{ kind: 'primaryKey', columns: definition.primaryKey } as const]),
    ...(definition.checks ?? []).map(
      (check) => ({ kind: 'check', name: check.name, expr: parseExpression(check.expr) }) as const,
    ),
  ];
  const create: ast.CreateTableStatement = {
    kind: 'createTable',
    name: definition.name,
    ifNotExists: false,
    columns,
    constraints,
    options: [],
    ...(tablespace === null ? {} : { tablespace }),
    temporary: false,
    pos: POS,
  };
  const base = { owner: ownerOf(definition), objectName: definition.name, tableName: definition.name } as const;
  const statements: DdlStatement[] = [
    { ...base, section: 'pre-data', objectType: 'TABLE', tablespace, ddl: formatStatement(create) },
  ];
  if (ownerOf(definition) !== 'sys') {
    const alter: ast.AlterTableStatement = {
      kind: 'alterTable',
      name: definition.name,
      ifExists: false,
      actions: [{ kind: 'setOwner', owner: ownerOf(definition) }],
      pos: POS,
    };
    statements.push({
      ...base,
      section: 'pre-data',
      objectType: 'OWNER',
      tablespace: null,
      ddl: formatStatement(alter),
    });
  }
  return statements;
}

function indexStatements(definition: TableDefinition): DdlStatement[] {
  return definition.indexes.map((index) => {
    const create: ast.CreateIndexStatement = {
      kind: 'createIndex',
      name: index.name,
      table: definition.name,
      columns: index.columns.map((name) => ({ name, direction: 'asc' as const })),
      unique: index.unique,
      ifNotExists: false,
      pos: POS,
    };
    return {
      section: 'post-data',
      objectType: 'INDEX',
      owner: ownerOf(definition),
      objectName: index.name,
      tableName: definition.name,
      tablespace: null,
      ddl: formatStatement(create),
    };
  });
}
