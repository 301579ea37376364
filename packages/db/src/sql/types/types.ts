// The SQL type catalog: the types a query can name, their PostgreSQL OIDs and wire lengths,
// how each is stored (as one of the storage engine's ColumnTypes) and how SQL spells it.
// Everything above the storage engine (planner, executor, wire protocol) names types through
// this module, so a type's identity is its SqlTypeName plus a PostgreSQL-encoded typmod.
import type { ColumnType } from '../../access/value.js';
import { DbError } from '../../errors.js';

export type SqlTypeName =
  | 'bool'
  | 'int2'
  | 'int4'
  | 'int8'
  | 'numeric'
  | 'float4'
  | 'float8'
  | 'bpchar'
  | 'varchar'
  | 'text'
  | 'bytea'
  | 'date'
  | 'timestamp'
  | 'timestamptz'
  | 'interval'
  | 'unknown';

/**
 * A SQL type. `typmod` is -1 for none, else PostgreSQL's encoding: varchar(n) and bpchar(n)
 * store n + 4, numeric(p, s) stores ((p << 16) | s) + 4, timestamp(p) and timestamptz(p)
 * store p.
 */
export interface SqlType {
  readonly name: SqlTypeName;
  readonly typmod: number;
}

/** PostgreSQL's type category letters (pg_type.typcategory), which drive implicit resolution. */
export type TypeCategory = 'B' | 'N' | 'S' | 'D' | 'T' | 'U' | 'X';

export interface TypeInfo {
  readonly name: SqlTypeName;
  readonly oid: number;
  /** pg_type.typlen as RowDescription sends it: a byte count, or -1 for variable length. */
  readonly typlen: number;
  readonly category: TypeCategory;
  /** pg_type.typispreferred: the type a category resolves to when candidates tie. */
  readonly preferred: boolean;
  /** The name format_type prints without a typmod. */
  readonly displayName: string;
}

const INFO: Readonly<Record<SqlTypeName, TypeInfo>> = {
  bool: { name: 'bool', oid: 16, typlen: 1, category: 'B', preferred: true, displayName: 'boolean' },
  bytea: { name: 'bytea', oid: 17, typlen: -1, category: 'U', preferred: false, displayName: 'bytea' },
  int8: { name: 'int8', oid: 20, typlen: 8, category: 'N', preferred: false, displayName: 'bigint' },
  int2: { name: 'int2', oid: 21, typlen: 2, category: 'N', preferred: false, displayName: 'smallint' },
  int4: { name: 'int4', oid: 23, typlen: 4, category: 'N', preferred: false, displayName: 'integer' },
  text: { name: 'text', oid: 25, typlen: -1, category: 'S', preferred: true, displayName: 'text' },
  float4: { name: 'float4', oid: 700, typlen: 4, category: 'N', preferred: false, displayName: 'real' },
  float8: { name: 'float8', oid: 701, typlen: 8, category: 'N', preferred: true, displayName: 'double precision' },
  unknown: { name: 'unknown', oid: 705, typlen: -2, category: 'X', preferred: false, displayName: 'unknown' },
  bpchar: { name: 'bpchar', oid: 1042, typlen: -1, category: 'S', preferred: false, displayName: 'character' },
  varchar: {
    name: 'varchar',
    oid: 1043,
    typlen: -1,
    category: 'S',
    preferred: false,
    displayName: 'character varying',
  },
  date: { name: 'date', oid: 1082, typlen: 4, category: 'D', preferred: false, displayName: 'date' },
  timestamp: {
    name: 'timestamp',
    oid: 1114,
    typlen: 8,
    category: 'D',
    preferred: false,
    displayName: 'timestamp without time zone',
  },
  timestamptz: {
    name: 'timestamptz',
    oid: 1184,
    typlen: 8,
    category: 'D',
    preferred: true,
    displayName: 'timestamp with time zone',
  },
  interval: { name: 'interval', oid: 1186, typlen: 16, category: 'T', preferred: true, displayName: 'interval' },
  numeric: { name: 'numeric', oid: 1700, typlen: -1, category: 'N', preferred: false, displayName: 'numeric' },
};

export const SQL_TYPE_NAMES: readonly SqlTypeName[] = Object.keys(INFO) as SqlTypeName[];

/** The typmod-less type of each name, shared so that hot code need not allocate one. */
export const T: Readonly<Record<SqlTypeName, SqlType>> = Object.fromEntries(
  SQL_TYPE_NAMES.map((name) => [name, Object.freeze({ name, typmod: -1 })]),
) as Record<SqlTypeName, SqlType>;

const BY_OID = new Map<number, TypeInfo>(Object.values(INFO).map((info) => [info.oid, info]));

/** A type with the given typmod; the shared instance when there is none. */
export function sqlType(name: SqlTypeName, typmod = -1): SqlType {
  return typmod === -1 ? T[name] : { name, typmod };
}

export function typeInfo(type: SqlType | SqlTypeName): TypeInfo {
  return INFO[typeof type === 'string' ? type : type.name];
}

export function typeOid(type: SqlType): number {
  return INFO[type.name].oid;
}

/** The typmod-less type of a PostgreSQL OID, or undefined for an OID this server does not know. */
export function typeByOid(oid: number): SqlType | undefined {
  const info = BY_OID.get(oid);
  return info === undefined ? undefined : T[info.name];
}

/** True when a value of this type can be stored in a table column. */
export function isStorable(type: SqlType): boolean {
  return type.name !== 'interval' && type.name !== 'unknown';
}

/**
 * The storage engine's column type for a SQL type. float4 stores as float8 (already rounded
 * to single precision), character types as text, timestamptz as timestamp (UTC). interval
 * and unknown exist only while a query runs, so asking for their storage type is an error.
 */
export function storageTypeOf(type: SqlType): ColumnType {
  switch (type.name) {
    case 'bool':
    case 'int2':
    case 'int4':
    case 'int8':
    case 'numeric':
    case 'float8':
    case 'text':
    case 'bytea':
    case 'date':
    case 'timestamp':
      return type.name;
    case 'float4':
      return 'float8';
    case 'bpchar':
    case 'varchar':
      return 'text';
    case 'timestamptz':
      return 'timestamp';
    case 'interval':
    case 'unknown':
      throw new DbError('FEATURE_NOT_SUPPORTED', `column data type ${formatTypeName(type)} is not supported`);
  }
}

/** The declared length n of varchar(n)/bpchar(n), or -1 for none. */
export function charLength(type: SqlType): number {
  return type.typmod < 4 ? -1 : type.typmod - 4;
}

/** The precision and scale of numeric(p, s), or undefined for an unconstrained numeric. */
export function numericPrecisionScale(type: SqlType): { precision: number; scale: number } | undefined {
  if (type.typmod < 4) return undefined;
  const packed = type.typmod - 4;
  return { precision: (packed >> 16) & 0xffff, scale: packed & 0xffff };
}

export function numericTypmod(precision: number, scale: number): number {
  return ((precision << 16) | scale) + 4;
}

/** format_type(oid, typmod) as PostgreSQL prints it: 'character varying(10)', 'numeric(10,2)'. */
export function formatTypeName(type: SqlType): string {
  const info = INFO[type.name];
  if (type.typmod < 0) return info.displayName;
  switch (type.name) {
    case 'bpchar':
    case 'varchar':
      return `${info.displayName}(${type.typmod - 4})`;
    case 'numeric': {
      const ps = numericPrecisionScale(type);
      return ps === undefined ? 'numeric' : `numeric(${ps.precision},${ps.scale})`;
    }
    case 'timestamp':
      return `timestamp(${type.typmod}) without time zone`;
    case 'timestamptz':
      return `timestamp(${type.typmod}) with time zone`;
    default:
      return info.displayName;
  }
}

const NUMERIC_MAX_PRECISION = 1000;
const CHAR_MAX_LENGTH = 10 * 1024 * 1024;
const TIMESTAMP_MAX_PRECISION = 6;

/**
 * The type a SQL type name denotes. `words` are the lower-cased words of the name
 * (['double', 'precision'], ['timestamp', 'with', 'time', 'zone']); `modifiers` are the
 * integers in its parentheses. Accepts PostgreSQL's spellings and Oracle's (NUMBER,
 * VARCHAR2, NVARCHAR2, CLOB, BLOB, RAW). Throws UNDEFINED_OBJECT for an unknown name and
 * INVALID_ARGUMENT-class errors (as PostgreSQL does, 22023) for bad modifiers.
 */
export function parseTypeName(words: readonly string[], modifiers: readonly number[]): SqlType {
  const lower = words.map((word) => word.toLowerCase());
  const spelled = lower.join(' ');
  const noModifiers = (type: SqlType): SqlType => {
    if (modifiers.length > 0) {
      throw new DbError('SYNTAX_ERROR', `type modifier is not allowed for type "${spelled}"`);
    }
    return type;
  };
  switch (spelled) {
    case 'smallint':
    case 'int2':
      return noModifiers(T.int2);
    case 'int':
    case 'integer':
    case 'int4':
      return noModifiers(T.int4);
    case 'bigint':
    case 'int8':
      return noModifiers(T.int8);
    case 'numeric':
    case 'decimal':
    case 'dec':
    case 'number':
      return numericType(modifiers, spelled === 'number');
    case 'real':
    case 'float4':
      return noModifiers(T.float4);
    case 'double precision':
    case 'float8':
      return noModifiers(T.float8);
    case 'float':
      return floatType(modifiers);
    case 'char':
    case 'character':
    case 'nchar':
    case 'national character':
      return charType('bpchar', modifiers, spelled, 1);
    case 'bpchar':
      return charType('bpchar', modifiers, spelled, -1);
    case 'varchar':
    case 'character varying':
    case 'char varying':
    case 'varchar2':
    case 'nvarchar2':
    case 'nvarchar':
    case 'national character varying':
      return charType('varchar', modifiers, spelled, -1);
    case 'text':
    case 'clob':
    case 'nclob':
    case 'long':
      return noModifiers(T.text);
    case 'boolean':
    case 'bool':
      return noModifiers(T.bool);
    case 'date':
      return noModifiers(T.date);
    case 'timestamp':
    case 'timestamp without time zone':
      return timestampType('timestamp', modifiers, spelled);
    case 'timestamptz':
    case 'timestamp with time zone':
      return timestampType('timestamptz', modifiers, spelled);
    case 'bytea':
    case 'blob':
      return noModifiers(T.bytea);
    case 'raw':
    case 'long raw':
      // Oracle's RAW(n) caps the length; bytea has no such modifier, so the cap is dropped.
      if (modifiers.length > 1) throw new DbError('SYNTAX_ERROR', `invalid type modifier for type "${spelled}"`);
      return T.bytea;
    case 'interval':
      return noModifiers(T.interval);
    case 'unknown':
      return noModifiers(T.unknown);
    default:
      throw new DbError('UNDEFINED_OBJECT', `type "${spelled}" does not exist`);
  }
}

function numericType(modifiers: readonly number[], oracle: boolean): SqlType {
  if (modifiers.length === 0) return T.numeric;
  if (modifiers.length > 2) throw new DbError('SYNTAX_ERROR', 'invalid NUMERIC type modifier');
  const precision = modifiers[0];
  const scale = modifiers.length === 2 ? modifiers[1] : 0;
  if (precision < 1 || precision > NUMERIC_MAX_PRECISION) {
    throw new DbError(
      'INVALID_ARGUMENT',
      `NUMERIC precision ${precision} must be between 1 and ${NUMERIC_MAX_PRECISION}`,
    );
  }
  if (scale < 0 || scale > precision) {
    // Oracle allows NUMBER(p, s) with s > p or s < 0; PostgreSQL 15 does not, and neither do we.
    throw new DbError(
      'INVALID_ARGUMENT',
      `NUMERIC scale ${scale} must be between 0 and precision ${precision}${oracle ? ' (NUMBER)' : ''}`,
    );
  }
  return { name: 'numeric', typmod: numericTypmod(precision, scale) };
}

function floatType(modifiers: readonly number[]): SqlType {
  if (modifiers.length === 0) return T.float8;
  if (modifiers.length > 1) throw new DbError('SYNTAX_ERROR', 'invalid FLOAT type modifier');
  const bits = modifiers[0];
  if (bits < 1) throw new DbError('INVALID_ARGUMENT', 'precision for type float must be at least 1 bit');
  if (bits > 53) throw new DbError('INVALID_ARGUMENT', 'precision for type float must be less than 54 bits');
  return bits <= 24 ? T.float4 : T.float8;
}

function charType(
  name: 'bpchar' | 'varchar',
  modifiers: readonly number[],
  spelled: string,
  fallback: number,
): SqlType {
  if (modifiers.length > 1) throw new DbError('SYNTAX_ERROR', `invalid type modifier for type "${spelled}"`);
  const length = modifiers.length === 1 ? modifiers[0] : fallback;
  if (length === -1) return T[name];
  if (length < 1) {
    throw new DbError('INVALID_ARGUMENT', `length for type ${name} must be at least 1`);
  }
  if (length > CHAR_MAX_LENGTH) {
    throw new DbError('INVALID_ARGUMENT', `length for type ${name} cannot exceed ${CHAR_MAX_LENGTH}`);
  }
  return { name, typmod: length + 4 };
}

function timestampType(name: 'timestamp' | 'timestamptz', modifiers: readonly number[], spelled: string): SqlType {
  if (modifiers.length === 0) return T[name];
  if (modifiers.length > 1) throw new DbError('SYNTAX_ERROR', `invalid type modifier for type "${spelled}"`);
  const precision = modifiers[0];
  if (precision < 0) {
    throw new DbError('INVALID_ARGUMENT', `TIMESTAMP(${precision}) precision must not be negative`);
  }
  // PostgreSQL warns and reduces a precision above 6; there is no warning channel here.
  return { name, typmod: Math.min(precision, TIMESTAMP_MAX_PRECISION) };
}

export function sameType(a: SqlType, b: SqlType): boolean {
  return a.name === b.name && a.typmod === b.typmod;
}
