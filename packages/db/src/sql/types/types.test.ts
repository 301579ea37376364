// The type catalog: every SQL spelling, PostgreSQL's OIDs and format_type names, storage mapping.
import { describe, expect, it } from 'vitest';
import type { SqlTypeName } from './types.js';
import { T, formatTypeName, parseTypeName, storageTypeOf, typeByOid, typeInfo, typeOid } from './types.js';
import { errorOf } from '../../errors.test-support.js';

describe('parseTypeName', () => {
  // [words, modifiers, format_type as PostgreSQL prints it]
  const SPELLINGS: readonly [string, number[], string][] = [
    ['smallint', [], 'smallint'],
    ['int2', [], 'smallint'],
    ['int', [], 'integer'],
    ['integer', [], 'integer'],
    ['int4', [], 'integer'],
    ['bigint', [], 'bigint'],
    ['int8', [], 'bigint'],
    ['numeric', [], 'numeric'],
    ['decimal', [10, 2], 'numeric(10,2)'],
    ['number', [], 'numeric'],
    ['NUMBER', [8], 'numeric(8,0)'],
    ['real', [], 'real'],
    ['float4', [], 'real'],
    ['double precision', [], 'double precision'],
    ['float8', [], 'double precision'],
    ['float', [], 'double precision'],
    ['float', [24], 'real'],
    ['float', [25], 'double precision'],
    ['char', [], 'character(1)'],
    ['character', [5], 'character(5)'],
    ['bpchar', [], 'character'],
    ['varchar', [], 'character varying'],
    ['character varying', [10], 'character varying(10)'],
    ['varchar2', [20], 'character varying(20)'],
    ['nvarchar2', [20], 'character varying(20)'],
    ['text', [], 'text'],
    ['clob', [], 'text'],
    ['boolean', [], 'boolean'],
    ['bool', [], 'boolean'],
    ['date', [], 'date'],
    ['timestamp', [], 'timestamp without time zone'],
    ['timestamp', [3], 'timestamp(3) without time zone'],
    ['timestamp without time zone', [], 'timestamp without time zone'],
    ['timestamptz', [], 'timestamp with time zone'],
    ['timestamp with time zone', [0], 'timestamp(0) with time zone'],
    ['bytea', [], 'bytea'],
    ['blob', [], 'bytea'],
    ['raw', [16], 'bytea'],
    ['interval', [], 'interval'],
  ];

  it.each(SPELLINGS)('%s %j is %s', (spelled, modifiers, formatted) => {
    expect(formatTypeName(parseTypeName(spelled.split(' '), modifiers))).toBe(formatted);
  });

  it('encodes typmods as PostgreSQL does', () => {
    expect(parseTypeName(['varchar'], [10]).typmod).toBe(14);
    expect(parseTypeName(['numeric'], [10, 2]).typmod).toBe(((10 << 16) | 2) + 4);
    expect(parseTypeName(['timestamp'], [3]).typmod).toBe(3);
  });

  it('rejects unknown names with 42704 and bad modifiers', () => {
    const error = errorOf(() => parseTypeName(['widget'], []));
    expect(error.sqlState).toBe('42704');
    expect(error.message).toContain('type "widget" does not exist');
    expect(errorOf(() => parseTypeName(['numeric'], [0])).sqlState).toBe('22023');
    expect(errorOf(() => parseTypeName(['numeric'], [5, 6])).sqlState).toBe('22023');
    expect(errorOf(() => parseTypeName(['varchar'], [0])).sqlState).toBe('22023');
    expect(errorOf(() => parseTypeName(['float'], [54])).sqlState).toBe('22023');
    expect(errorOf(() => parseTypeName(['int4'], [3])).sqlState).toBe('42601');
  });
});

describe('catalog', () => {
  const OIDS: readonly [SqlTypeName, number, number][] = [
    ['bool', 16, 1],
    ['bytea', 17, -1],
    ['int8', 20, 8],
    ['int2', 21, 2],
    ['int4', 23, 4],
    ['text', 25, -1],
    ['float4', 700, 4],
    ['float8', 701, 8],
    ['unknown', 705, -2],
    ['bpchar', 1042, -1],
    ['varchar', 1043, -1],
    ['date', 1082, 4],
    ['timestamp', 1114, 8],
    ['timestamptz', 1184, 8],
    ['interval', 1186, 16],
    ['numeric', 1700, -1],
  ];

  it.each(OIDS)('%s has OID %i and typlen %i', (name, oid, typlen) => {
    expect(typeOid(T[name])).toBe(oid);
    expect(typeInfo(name).typlen).toBe(typlen);
    expect(typeByOid(oid)).toBe(T[name]);
  });

  it('maps SQL types to storage types', () => {
    expect(storageTypeOf(T.float4)).toBe('float8');
    expect(storageTypeOf(parseTypeName(['varchar'], [3]))).toBe('text');
    expect(storageTypeOf(T.bpchar)).toBe('text');
    expect(storageTypeOf(T.timestamptz)).toBe('timestamp');
    expect(storageTypeOf(T.numeric)).toBe('numeric');
    expect(errorOf(() => storageTypeOf(T.interval)).sqlState).toBe('0A000');
    expect(typeByOid(9999)).toBeUndefined();
  });
});
