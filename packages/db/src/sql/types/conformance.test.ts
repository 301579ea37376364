// Conformance with PostgreSQL 15: every expected value and SQLSTATE below was printed by a real
// PostgreSQL 15.18 server for the same expression (literals cast to the argument types), so
// this file needs no server. PG_TO_TDB_SQLSTATE lists the few SQLSTATEs Tandem has no code for.
import { describe, expect, it } from 'vitest';
import { DbError } from '../../errors.js';
import { castValue } from './casts.js';
import { fixedEvalContext } from './context.js';
import { lookupFunction } from './functions.js';
import { resolveBinaryOperator, resolveUnaryOperator } from './operators.js';
import { formatText, parseText } from './text-io.js';
import type { SqlType, SqlTypeName } from './types.js';
import { T, formatTypeName, parseTypeName } from './types.js';
import type { SqlValue } from './value.js';

type Arg = [SqlTypeName, string | null];
type Expected = { value: string | null; type: string } | { error: string };

/**
 * SQLSTATEs PostgreSQL raises that errors.ts has no code for, and the one Tandem raises instead:
 * substring_error, invalid_argument_for_power_function, invalid_argument_for_logarithm and
 * program_limit_exceeded (chr(0)) → 22023; ambiguous_function → 42883; cannot_coerce → 42804.
 */
const PG_TO_TDB_SQLSTATE: Readonly<Record<string, string>> = {
  '22011': '22023',
  '2201F': '22023',
  '2201E': '22023',
  '54000': '22023',
  '42725': '42883',
  '42846': '42804',
};

/** numeric NaN and Infinity exist in PostgreSQL 15 but not in Tandem's storage format. */
const UNSUPPORTED_NUMERIC = new Set(['NaN', 'Infinity', '-Infinity']);

function valueOf([type, text]: Arg, timeZone: string): SqlValue {
  return text === null ? null : parseText(T[type], text, fixedEvalContext({ timeZone }));
}

function check(expected: Expected, run: () => { value: SqlValue; type: SqlType }, timeZone: string): void {
  const ctx = fixedEvalContext({ timeZone });
  if ('error' in expected) {
    let thrown: unknown;
    try {
      run();
    } catch (error) {
      thrown = error;
    }
    expect(thrown, 'expected an error').toBeInstanceOf(DbError);
    expect((thrown as DbError).sqlState).toBe(PG_TO_TDB_SQLSTATE[expected.error] ?? expected.error);
    return;
  }
  if (expected.type === 'numeric' && expected.value !== null && UNSUPPORTED_NUMERIC.has(expected.value)) {
    expect(run).toThrow(/not supported|cannot convert/);
    return;
  }
  const { value, type } = run();
  expect(formatTypeName({ name: type.name, typmod: -1 })).toBe(expected.type);
  expect(value === null ? null : formatText(type, value, ctx)).toBe(expected.value);
}

const FUNCTION_CASES: [string, Arg[], string, Expected][] = [
  ['length', [['text', 'héllo']], 'UTC', { value: '5', type: 'integer' }],
  ['length', [['text', null]], 'UTC', { value: null, type: 'integer' }],
  ['char_length', [['text', 'abc']], 'UTC', { value: '3', type: 'integer' }],
  ['octet_length', [['text', 'héllo']], 'UTC', { value: '6', type: 'integer' }],
  ['length', [['bytea', '\\x0102']], 'UTC', { value: '2', type: 'integer' }],
  ['upper', [['text', 'abc Déf']], 'UTC', { value: 'ABC DÉF', type: 'text' }],
  ['lower', [['text', 'ABC']], 'UTC', { value: 'abc', type: 'text' }],
  ['initcap', [['text', 'hello wORLD-foo bar_baz 1st']], 'UTC', { value: 'Hello World-Foo Bar_Baz 1st', type: 'text' }],
  [
    'substr',
    [
      ['text', 'hello'],
      ['int4', '2'],
    ],
    'UTC',
    { value: 'ello', type: 'text' },
  ],
  [
    'substr',
    [
      ['text', 'hello'],
      ['int4', '0'],
      ['int4', '3'],
    ],
    'UTC',
    { value: 'he', type: 'text' },
  ],
  [
    'substr',
    [
      ['text', 'hello'],
      ['int4', '-5'],
      ['int4', '3'],
    ],
    'UTC',
    { value: '', type: 'text' },
  ],
  [
    'substr',
    [
      ['text', 'hello'],
      ['int4', '10'],
    ],
    'UTC',
    { value: '', type: 'text' },
  ],
  [
    'substr',
    [
      ['text', 'hello'],
      ['int4', '2'],
      ['int4', '-1'],
    ],
    'UTC',
    { error: '22011' },
  ],
  [
    'substring',
    [
      ['text', 'hello'],
      ['int4', '2'],
      ['int4', '100'],
    ],
    'UTC',
    { value: 'ello', type: 'text' },
  ],
  [
    'substr',
    [
      ['text', 'hello'],
      ['int4', null],
    ],
    'UTC',
    { value: null, type: 'text' },
  ],
  [
    'strpos',
    [
      ['text', 'hello'],
      ['text', 'll'],
    ],
    'UTC',
    { value: '3', type: 'integer' },
  ],
  [
    'strpos',
    [
      ['text', 'hello'],
      ['text', 'z'],
    ],
    'UTC',
    { value: '0', type: 'integer' },
  ],
  ['btrim', [['text', '  x  ']], 'UTC', { value: 'x', type: 'text' }],
  [
    'btrim',
    [
      ['text', 'xxaxx'],
      ['text', 'x'],
    ],
    'UTC',
    { value: 'a', type: 'text' },
  ],
  ['ltrim', [['text', '  x ']], 'UTC', { value: 'x ', type: 'text' }],
  ['rtrim', [['text', ' x  ']], 'UTC', { value: ' x', type: 'text' }],
  [
    'ltrim',
    [
      ['text', 'abcxa'],
      ['text', 'ab'],
    ],
    'UTC',
    { value: 'cxa', type: 'text' },
  ],
  [
    'rtrim',
    [
      ['text', 'xabab'],
      ['text', 'ab'],
    ],
    'UTC',
    { value: 'x', type: 'text' },
  ],
  [
    'lpad',
    [
      ['text', 'hi'],
      ['int4', '5'],
    ],
    'UTC',
    { value: '   hi', type: 'text' },
  ],
  [
    'lpad',
    [
      ['text', 'hi'],
      ['int4', '5'],
      ['text', 'xy'],
    ],
    'UTC',
    { value: 'xyxhi', type: 'text' },
  ],
  [
    'lpad',
    [
      ['text', 'hello'],
      ['int4', '2'],
    ],
    'UTC',
    { value: 'he', type: 'text' },
  ],
  [
    'rpad',
    [
      ['text', 'hi'],
      ['int4', '5'],
      ['text', 'xy'],
    ],
    'UTC',
    { value: 'hixyx', type: 'text' },
  ],
  [
    'rpad',
    [
      ['text', 'hi'],
      ['int4', '-1'],
    ],
    'UTC',
    { value: '', type: 'text' },
  ],
  [
    'lpad',
    [
      ['text', 'hi'],
      ['int4', '5'],
      ['text', ''],
    ],
    'UTC',
    { value: 'hi', type: 'text' },
  ],
  [
    'replace',
    [
      ['text', 'abcabc'],
      ['text', 'b'],
      ['text', 'XY'],
    ],
    'UTC',
    { value: 'aXYcaXYc', type: 'text' },
  ],
  [
    'replace',
    [
      ['text', 'abc'],
      ['text', ''],
      ['text', 'X'],
    ],
    'UTC',
    { value: 'abc', type: 'text' },
  ],
  [
    'concat',
    [
      ['text', 'a'],
      ['int4', null],
      ['int4', '1'],
      ['bool', 'true'],
      ['numeric', '1.50'],
    ],
    'UTC',
    { value: 'a1t1.50', type: 'text' },
  ],
  ['concat', [['text', null]], 'UTC', { value: '', type: 'text' }],
  [
    'concat_ws',
    [
      ['text', ','],
      ['text', 'a'],
      ['text', null],
      ['int4', '2'],
    ],
    'UTC',
    { value: 'a,2', type: 'text' },
  ],
  [
    'concat_ws',
    [
      ['text', null],
      ['text', 'a'],
    ],
    'UTC',
    { value: null, type: 'text' },
  ],
  [
    'left',
    [
      ['text', 'hello'],
      ['int4', '2'],
    ],
    'UTC',
    { value: 'he', type: 'text' },
  ],
  [
    'left',
    [
      ['text', 'hello'],
      ['int4', '-2'],
    ],
    'UTC',
    { value: 'hel', type: 'text' },
  ],
  [
    'right',
    [
      ['text', 'hello'],
      ['int4', '2'],
    ],
    'UTC',
    { value: 'lo', type: 'text' },
  ],
  [
    'right',
    [
      ['text', 'hello'],
      ['int4', '-2'],
    ],
    'UTC',
    { value: 'llo', type: 'text' },
  ],
  [
    'repeat',
    [
      ['text', 'ab'],
      ['int4', '3'],
    ],
    'UTC',
    { value: 'ababab', type: 'text' },
  ],
  [
    'repeat',
    [
      ['text', 'ab'],
      ['int4', '-1'],
    ],
    'UTC',
    { value: '', type: 'text' },
  ],
  ['reverse', [['text', 'abc']], 'UTC', { value: 'cba', type: 'text' }],
  [
    'split_part',
    [
      ['text', 'a,b,c'],
      ['text', ','],
      ['int4', '2'],
    ],
    'UTC',
    { value: 'b', type: 'text' },
  ],
  [
    'split_part',
    [
      ['text', 'a,b,c'],
      ['text', ','],
      ['int4', '-1'],
    ],
    'UTC',
    { value: 'c', type: 'text' },
  ],
  [
    'split_part',
    [
      ['text', 'a,b,c'],
      ['text', ','],
      ['int4', '5'],
    ],
    'UTC',
    { value: '', type: 'text' },
  ],
  [
    'split_part',
    [
      ['text', 'a,b,c'],
      ['text', ','],
      ['int4', '0'],
    ],
    'UTC',
    { error: '22023' },
  ],
  ['md5', [['text', 'abc']], 'UTC', { value: '900150983cd24fb0d6963f7d28e17f72', type: 'text' }],
  ['to_hex', [['int4', '255']], 'UTC', { value: 'ff', type: 'text' }],
  ['to_hex', [['int4', '-1']], 'UTC', { value: 'ffffffff', type: 'text' }],
  ['to_hex', [['int8', '-1']], 'UTC', { value: 'ffffffffffffffff', type: 'text' }],
  ['ascii', [['text', 'A']], 'UTC', { value: '65', type: 'integer' }],
  ['ascii', [['text', '']], 'UTC', { value: '0', type: 'integer' }],
  ['chr', [['int4', '65']], 'UTC', { value: 'A', type: 'text' }],
  ['chr', [['int4', '0']], 'UTC', { error: '54000' }],
  ['abs', [['int4', '-5']], 'UTC', { value: '5', type: 'integer' }],
  ['abs', [['int4', '-2147483648']], 'UTC', { error: '22003' }],
  ['abs', [['numeric', '-1.50']], 'UTC', { value: '1.50', type: 'numeric' }],
  ['abs', [['float8', '-2.5']], 'UTC', { value: '2.5', type: 'double precision' }],
  ['ceil', [['numeric', '-1.5']], 'UTC', { value: '-1', type: 'numeric' }],
  ['ceil', [['float8', '1.2']], 'UTC', { value: '2', type: 'double precision' }],
  ['ceiling', [['numeric', '1.001']], 'UTC', { value: '2', type: 'numeric' }],
  ['floor', [['numeric', '-1.5']], 'UTC', { value: '-2', type: 'numeric' }],
  ['floor', [['float8', '-1.5']], 'UTC', { value: '-2', type: 'double precision' }],
  ['round', [['numeric', '2.5']], 'UTC', { value: '3', type: 'numeric' }],
  ['round', [['numeric', '-2.5']], 'UTC', { value: '-3', type: 'numeric' }],
  ['round', [['float8', '2.5']], 'UTC', { value: '2', type: 'double precision' }],
  ['round', [['float8', '3.5']], 'UTC', { value: '4', type: 'double precision' }],
  ['round', [['float8', '-0.5']], 'UTC', { value: '-0', type: 'double precision' }],
  [
    'round',
    [
      ['numeric', '1234.5678'],
      ['int4', '2'],
    ],
    'UTC',
    { value: '1234.57', type: 'numeric' },
  ],
  [
    'round',
    [
      ['numeric', '1234.5678'],
      ['int4', '-2'],
    ],
    'UTC',
    { value: '1200', type: 'numeric' },
  ],
  [
    'round',
    [
      ['numeric', '1.5'],
      ['int4', '3'],
    ],
    'UTC',
    { value: '1.500', type: 'numeric' },
  ],
  ['trunc', [['numeric', '-1.99']], 'UTC', { value: '-1', type: 'numeric' }],
  [
    'trunc',
    [
      ['numeric', '1.999'],
      ['int4', '2'],
    ],
    'UTC',
    { value: '1.99', type: 'numeric' },
  ],
  ['trunc', [['float8', '-1.7']], 'UTC', { value: '-1', type: 'double precision' }],
  [
    'mod',
    [
      ['int4', '-7'],
      ['int4', '3'],
    ],
    'UTC',
    { value: '-1', type: 'integer' },
  ],
  [
    'mod',
    [
      ['numeric', '7.5'],
      ['numeric', '2'],
    ],
    'UTC',
    { value: '1.5', type: 'numeric' },
  ],
  [
    'mod',
    [
      ['int4', '1'],
      ['int4', '0'],
    ],
    'UTC',
    { error: '22012' },
  ],
  [
    'power',
    [
      ['float8', '2'],
      ['float8', '10'],
    ],
    'UTC',
    { value: '1024', type: 'double precision' },
  ],
  [
    'power',
    [
      ['numeric', '2'],
      ['numeric', '10'],
    ],
    'UTC',
    { value: '1024.0000000000000000', type: 'numeric' },
  ],
  [
    'power',
    [
      ['numeric', '2'],
      ['numeric', '0.5'],
    ],
    'UTC',
    { value: '1.4142135623730950', type: 'numeric' },
  ],
  [
    'power',
    [
      ['numeric', '1.5'],
      ['numeric', '-2'],
    ],
    'UTC',
    { value: '0.4444444444444444', type: 'numeric' },
  ],
  [
    'power',
    [
      ['float8', '0'],
      ['float8', '-1'],
    ],
    'UTC',
    { error: '2201F' },
  ],
  [
    'power',
    [
      ['float8', '-8'],
      ['float8', '0.5'],
    ],
    'UTC',
    { error: '2201F' },
  ],
  ['sqrt', [['float8', '2']], 'UTC', { value: '1.4142135623730951', type: 'double precision' }],
  ['sqrt', [['numeric', '2']], 'UTC', { value: '1.414213562373095', type: 'numeric' }],
  ['sqrt', [['numeric', '0.0001']], 'UTC', { value: '0.01000000000000000', type: 'numeric' }],
  ['sqrt', [['numeric', '12345678901234567890']], 'UTC', { value: '3513641828.8201443', type: 'numeric' }],
  ['sqrt', [['float8', '-1']], 'UTC', { error: '2201F' }],
  ['exp', [['float8', '1']], 'UTC', { value: '2.718281828459045', type: 'double precision' }],
  ['exp', [['numeric', '1']], 'UTC', { value: '2.7182818284590452', type: 'numeric' }],
  ['exp', [['numeric', '-5.5']], 'UTC', { value: '0.004086771438464067', type: 'numeric' }],
  ['exp', [['numeric', '50']], 'UTC', { value: '5184705528587072464087', type: 'numeric' }],
  ['ln', [['float8', '10']], 'UTC', { value: '2.302585092994046', type: 'double precision' }],
  ['ln', [['numeric', '10']], 'UTC', { value: '2.3025850929940457', type: 'numeric' }],
  ['ln', [['numeric', '0.001']], 'UTC', { value: '-6.9077552789821371', type: 'numeric' }],
  ['ln', [['numeric', '1.0001']], 'UTC', { value: '0.00009999500033330834', type: 'numeric' }],
  ['ln', [['numeric', '0']], 'UTC', { error: '2201E' }],
  ['ln', [['float8', '-1']], 'UTC', { error: '2201E' }],
  ['log', [['float8', '1000']], 'UTC', { value: '3', type: 'double precision' }],
  ['log', [['numeric', '1000']], 'UTC', { value: '3.0000000000000000', type: 'numeric' }],
  [
    'log',
    [
      ['numeric', '2'],
      ['numeric', '1024'],
    ],
    'UTC',
    { value: '10.0000000000000000', type: 'numeric' },
  ],
  ['log', [['numeric', '0.5']], 'UTC', { value: '-0.3010299956639812', type: 'numeric' }],
  ['sign', [['numeric', '-4.2']], 'UTC', { value: '-1', type: 'numeric' }],
  ['sign', [['float8', '0']], 'UTC', { value: '0', type: 'double precision' }],
  ['sign', [['numeric', '0.00']], 'UTC', { value: '0', type: 'numeric' }],
  ['pi', [], 'UTC', { value: '3.141592653589793', type: 'double precision' }],
  [
    'date_trunc',
    [
      ['text', 'month'],
      ['timestamp', '2024-02-15 10:11:12.5'],
    ],
    'UTC',
    { value: '2024-02-01 00:00:00', type: 'timestamp without time zone' },
  ],
  [
    'date_trunc',
    [
      ['text', 'week'],
      ['timestamp', '2024-02-15 10:11:12'],
    ],
    'UTC',
    { value: '2024-02-12 00:00:00', type: 'timestamp without time zone' },
  ],
  [
    'date_trunc',
    [
      ['text', 'quarter'],
      ['timestamp', '2024-05-15 10:11:12'],
    ],
    'UTC',
    { value: '2024-04-01 00:00:00', type: 'timestamp without time zone' },
  ],
  [
    'date_trunc',
    [
      ['text', 'hour'],
      ['timestamptz', '2024-02-15 10:11:12+00'],
    ],
    'UTC',
    { value: '2024-02-15 10:00:00+00', type: 'timestamp with time zone' },
  ],
  [
    'date_trunc',
    [
      ['text', 'day'],
      ['timestamptz', '2024-02-15 01:11:12+00'],
    ],
    'Asia/Seoul',
    { value: '2024-02-15 00:00:00+09', type: 'timestamp with time zone' },
  ],
  [
    'date_trunc',
    [
      ['text', 'day'],
      ['timestamptz', '2024-03-10 12:00:00+00'],
    ],
    'America/New_York',
    { value: '2024-03-10 00:00:00-05', type: 'timestamp with time zone' },
  ],
  [
    'date_trunc',
    [
      ['text', 'year'],
      ['interval', '1 year 5 months 3 days'],
    ],
    'UTC',
    { value: '1 year', type: 'interval' },
  ],
  [
    'date_trunc',
    [
      ['text', 'hour'],
      ['interval', '1 day 02:03:04'],
    ],
    'UTC',
    { value: '1 day 02:00:00', type: 'interval' },
  ],
  [
    'date_trunc',
    [
      ['text', 'century'],
      ['timestamp', '2024-02-15'],
    ],
    'UTC',
    { value: '2001-01-01 00:00:00', type: 'timestamp without time zone' },
  ],
  [
    'date_trunc',
    [
      ['text', 'decade'],
      ['timestamp', '2024-02-15'],
    ],
    'UTC',
    { value: '2020-01-01 00:00:00', type: 'timestamp without time zone' },
  ],
  [
    'date_trunc',
    [
      ['text', 'millennium'],
      ['timestamp', '2024-02-15'],
    ],
    'UTC',
    { value: '2001-01-01 00:00:00', type: 'timestamp without time zone' },
  ],
  [
    'date_trunc',
    [
      ['text', 'bogus'],
      ['timestamp', '2024-02-15'],
    ],
    'UTC',
    { error: '22023' },
  ],
  [
    'date_part',
    [
      ['text', 'year'],
      ['timestamp', '2024-02-15 10:11:12.5'],
    ],
    'UTC',
    { value: '2024', type: 'double precision' },
  ],
  [
    'date_part',
    [
      ['text', 'second'],
      ['timestamp', '2024-02-15 10:11:12.5'],
    ],
    'UTC',
    { value: '12.5', type: 'double precision' },
  ],
  [
    'date_part',
    [
      ['text', 'epoch'],
      ['timestamptz', '2024-02-15 10:11:12.5+09'],
    ],
    'UTC',
    { value: '1707959472.5', type: 'double precision' },
  ],
  [
    'date_part',
    [
      ['text', 'dow'],
      ['date', '2024-02-15'],
    ],
    'UTC',
    { value: '4', type: 'double precision' },
  ],
  [
    'date_part',
    [
      ['text', 'hour'],
      ['timestamptz', '2024-02-15 10:11:12+00'],
    ],
    'Asia/Seoul',
    { value: '19', type: 'double precision' },
  ],
  [
    'date_part',
    [
      ['text', 'month'],
      ['interval', '1 year 14 months'],
    ],
    'UTC',
    { value: '2', type: 'double precision' },
  ],
  [
    'date_part',
    [
      ['text', 'epoch'],
      ['interval', '1 year 1 mon 1 day 00:00:01.5'],
    ],
    'UTC',
    { value: '34236001.5', type: 'double precision' },
  ],
  [
    'date_part',
    [
      ['text', 'week'],
      ['date', '2021-01-03'],
    ],
    'UTC',
    { value: '53', type: 'double precision' },
  ],
  [
    'extract',
    [
      ['text', 'second'],
      ['timestamp', '2024-02-15 10:11:12.5'],
    ],
    'UTC',
    { value: '12.500000', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'milliseconds'],
      ['timestamp', '2024-02-15 10:11:12.5'],
    ],
    'UTC',
    { value: '12500.000', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'microseconds'],
      ['timestamp', '2024-02-15 10:11:12.5'],
    ],
    'UTC',
    { value: '12500000', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'epoch'],
      ['timestamp', '2024-02-15 10:11:12.5'],
    ],
    'UTC',
    { value: '1707991872.500000', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'epoch'],
      ['date', '2024-02-15'],
    ],
    'UTC',
    { value: '1707955200', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'year'],
      ['date', '0044-03-15 BC'],
    ],
    'UTC',
    { value: '-44', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'century'],
      ['date', '2001-01-01'],
    ],
    'UTC',
    { value: '21', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'century'],
      ['date', '2000-12-31'],
    ],
    'UTC',
    { value: '20', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'millennium'],
      ['date', '2001-01-01'],
    ],
    'UTC',
    { value: '3', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'decade'],
      ['date', '2024-01-01'],
    ],
    'UTC',
    { value: '202', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'doy'],
      ['date', '2024-12-31'],
    ],
    'UTC',
    { value: '366', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'isodow'],
      ['date', '2024-02-18'],
    ],
    'UTC',
    { value: '7', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'quarter'],
      ['date', '2024-08-01'],
    ],
    'UTC',
    { value: '3', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'isoyear'],
      ['date', '2021-01-03'],
    ],
    'UTC',
    { value: '2020', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'julian'],
      ['date', '2024-01-01'],
    ],
    'UTC',
    { value: '2460311', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'julian'],
      ['timestamp', '2024-01-01 12:00'],
    ],
    'UTC',
    { value: '2460311.50000000000000000000', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'hour'],
      ['date', '2024-01-01'],
    ],
    'UTC',
    { error: '0A000' },
  ],
  [
    'extract',
    [
      ['text', 'timezone'],
      ['timestamptz', '2024-01-01 12:00+00'],
    ],
    'Asia/Kolkata',
    { value: '19800', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'timezone_hour'],
      ['timestamptz', '2024-01-01 12:00+00'],
    ],
    'America/New_York',
    { value: '-5', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'hour'],
      ['interval', '1 day 25:10:00'],
    ],
    'UTC',
    { value: '25', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'epoch'],
      ['interval', '-1 day 02:00:00'],
    ],
    'UTC',
    { value: '-79200.000000', type: 'numeric' },
  ],
  [
    'extract',
    [
      ['text', 'second'],
      ['interval', '00:01:02.25'],
    ],
    'UTC',
    { value: '2.250000', type: 'numeric' },
  ],
  [
    'make_date',
    [
      ['int4', '2024'],
      ['int4', '2'],
      ['int4', '29'],
    ],
    'UTC',
    { value: '2024-02-29', type: 'date' },
  ],
  [
    'make_date',
    [
      ['int4', '2023'],
      ['int4', '2'],
      ['int4', '29'],
    ],
    'UTC',
    { error: '22008' },
  ],
  [
    'make_date',
    [
      ['int4', '-44'],
      ['int4', '3'],
      ['int4', '15'],
    ],
    'UTC',
    { value: '0044-03-15 BC', type: 'date' },
  ],
  [
    'to_char',
    [
      ['timestamp', '2024-02-05 14:07:09.123456'],
      ['text', 'YYYY-MM-DD HH24:MI:SS.US'],
    ],
    'UTC',
    { value: '2024-02-05 14:07:09.123456', type: 'text' },
  ],
  [
    'to_char',
    [
      ['timestamp', '2024-02-05 14:07:09.123456'],
      ['text', 'Mon DD YYYY HH12:MI AM ms'],
    ],
    'UTC',
    { value: 'Feb 05 2024 02:07 PM 123', type: 'text' },
  ],
  [
    'to_char',
    [
      ['timestamp', '2024-02-05 04:07:09'],
      ['text', 'FMMonth FMDD, Day dy DY YY Q DDD D WW J'],
    ],
    'UTC',
    { value: 'February 5, Monday    mon MON 24 1 036 2 06 2460346', type: 'text' },
  ],
  [
    'to_char',
    [
      ['timestamp', '2024-02-05 04:07:09'],
      ['text', 'MONTH|month|"quoted YYYY" DDth FMDDTH'],
    ],
    'UTC',
    { value: 'FEBRUARY |february |quoted YYYY 05th 5TH', type: 'text' },
  ],
  [
    'to_char',
    [
      ['timestamptz', '2024-02-05 04:07:09+00'],
      ['text', 'YYYY-MM-DD HH24:MI OF'],
    ],
    'Asia/Seoul',
    { value: '2024-02-05 13:07 +09', type: 'text' },
  ],
  [
    'to_char',
    [
      ['timestamp', '2024-02-05 00:07:09'],
      ['text', 'HH HH12 pm a.m. SSSS CC'],
    ],
    'UTC',
    { value: '12 12 am a.m. 429 21', type: 'text' },
  ],
  [
    'to_char',
    [
      ['numeric', '1234567.891'],
      ['text', '9,999,999.99'],
    ],
    'UTC',
    { value: ' 1,234,567.89', type: 'text' },
  ],
  [
    'to_char',
    [
      ['numeric', '-12.5'],
      ['text', 'FM9990.00'],
    ],
    'UTC',
    { value: '-12.50', type: 'text' },
  ],
  [
    'to_char',
    [
      ['numeric', '0.5'],
      ['text', '9.99'],
    ],
    'UTC',
    { value: '  .50', type: 'text' },
  ],
  [
    'to_char',
    [
      ['numeric', '0.5'],
      ['text', '0.99'],
    ],
    'UTC',
    { value: ' 0.50', type: 'text' },
  ],
  [
    'to_char',
    [
      ['int4', '5'],
      ['text', '000'],
    ],
    'UTC',
    { value: ' 005', type: 'text' },
  ],
  [
    'to_char',
    [
      ['int4', '-5'],
      ['text', '999'],
    ],
    'UTC',
    { value: '  -5', type: 'text' },
  ],
  [
    'to_char',
    [
      ['int4', '1234'],
      ['text', '99'],
    ],
    'UTC',
    { value: ' ##', type: 'text' },
  ],
  [
    'to_char',
    [
      ['numeric', '1.5'],
      ['text', 'FM999.99'],
    ],
    'UTC',
    { value: '1.5', type: 'text' },
  ],
  [
    'to_char',
    [
      ['numeric', '1.0'],
      ['text', 'FM999.99'],
    ],
    'UTC',
    { value: '1.', type: 'text' },
  ],
  [
    'to_char',
    [
      ['int4', '12'],
      ['text', 'S999'],
    ],
    'UTC',
    { value: ' +12', type: 'text' },
  ],
  [
    'to_char',
    [
      ['int4', '-12'],
      ['text', '999MI'],
    ],
    'UTC',
    { value: ' 12-', type: 'text' },
  ],
  [
    'to_char',
    [
      ['float8', '12.345'],
      ['text', '99.99'],
    ],
    'UTC',
    { value: ' 12.35', type: 'text' },
  ],
  [
    'to_char',
    [
      ['float8', '2.5'],
      ['text', '9'],
    ],
    'UTC',
    { value: ' 2', type: 'text' },
  ],
  [
    'to_char',
    [
      ['int8', '1234567890123'],
      ['text', 'FM999,999,999,999,999'],
    ],
    'UTC',
    { value: '1,234,567,890,123', type: 'text' },
  ],
  [
    'to_char',
    [
      ['int4', '0'],
      ['text', '999'],
    ],
    'UTC',
    { value: '   0', type: 'text' },
  ],
  [
    'to_char',
    [
      ['numeric', '3.5'],
      ['text', '9'],
    ],
    'UTC',
    { value: ' 4', type: 'text' },
  ],
  [
    'to_char',
    [
      ['numeric', '-0.05'],
      ['text', 'FM0.00'],
    ],
    'UTC',
    { value: '-0.05', type: 'text' },
  ],
  [
    'to_date',
    [
      ['text', '2024-02-05'],
      ['text', 'YYYY-MM-DD'],
    ],
    'UTC',
    { value: '2024-02-05', type: 'date' },
  ],
  [
    'to_date',
    [
      ['text', '05 Feb 2024'],
      ['text', 'DD Mon YYYY'],
    ],
    'UTC',
    { value: '2024-02-05', type: 'date' },
  ],
  [
    'to_date',
    [
      ['text', '20240205'],
      ['text', 'YYYYMMDD'],
    ],
    'UTC',
    { value: '2024-02-05', type: 'date' },
  ],
  [
    'to_date',
    [
      ['text', '2024-13-05'],
      ['text', 'YYYY-MM-DD'],
    ],
    'UTC',
    { error: '22008' },
  ],
  [
    'to_timestamp',
    [
      ['text', '2024-02-05 14:07:09'],
      ['text', 'YYYY-MM-DD HH24:MI:SS'],
    ],
    'Asia/Seoul',
    { value: '2024-02-05 14:07:09+09', type: 'timestamp with time zone' },
  ],
  [
    'to_timestamp',
    [
      ['text', '05/02/2024 02:07 PM'],
      ['text', 'DD/MM/YYYY HH:MI AM'],
    ],
    'UTC',
    { value: '2024-02-05 14:07:00+00', type: 'timestamp with time zone' },
  ],
  [
    'to_timestamp',
    [['float8', '1700000000.5']],
    'UTC',
    { value: '2023-11-14 22:13:20.5+00', type: 'timestamp with time zone' },
  ],
  [
    'to_timestamp',
    [['float8', '0']],
    'America/New_York',
    { value: '1969-12-31 19:00:00-05', type: 'timestamp with time zone' },
  ],
  [
    'to_number',
    [
      ['text', '12,454.8-'],
      ['text', '99G999D9S'],
    ],
    'UTC',
    { value: '-12454.8', type: 'numeric' },
  ],
  [
    'to_number',
    [
      ['text', '1234.567'],
      ['text', '9999.99'],
    ],
    'UTC',
    { value: '1234.56', type: 'numeric' },
  ],
  [
    'to_number',
    [
      ['text', '  -42'],
      ['text', '999'],
    ],
    'UTC',
    { value: '-42', type: 'numeric' },
  ],
];

const BINARY_CASES: [string, Arg, Arg, Expected][] = [
  ['+', ['int4', '1'], ['int4', '2'], { value: '3', type: 'integer' }],
  ['+', ['int2', '1'], ['int2', '2'], { value: '3', type: 'smallint' }],
  ['+', ['int2', '1'], ['int4', '2'], { value: '3', type: 'integer' }],
  ['+', ['int4', '1'], ['int8', '2'], { value: '3', type: 'bigint' }],
  ['+', ['int4', '1'], ['numeric', '2.50'], { value: '3.50', type: 'numeric' }],
  ['+', ['numeric', '1.1'], ['float8', '2'], { value: '3.1', type: 'double precision' }],
  ['+', ['int4', '1'], ['float4', '2.5'], { value: '3.5', type: 'double precision' }],
  ['+', ['float4', '1.1'], ['float4', '2.2'], { value: '3.3000002', type: 'real' }],
  ['+', ['int4', '2147483647'], ['int4', '1'], { error: '22003' }],
  ['-', ['int2', '-32768'], ['int2', '1'], { error: '22003' }],
  ['*', ['int8', '9223372036854775807'], ['int8', '2'], { error: '22003' }],
  ['/', ['int4', '7'], ['int4', '2'], { value: '3', type: 'integer' }],
  ['/', ['int4', '-7'], ['int4', '2'], { value: '-3', type: 'integer' }],
  ['/', ['int4', '1'], ['int4', '0'], { error: '22012' }],
  ['/', ['int4', '-2147483648'], ['int4', '-1'], { error: '22003' }],
  ['%', ['int4', '-7'], ['int4', '2'], { value: '-1', type: 'integer' }],
  ['%', ['int4', '-2147483648'], ['int4', '-1'], { value: '0', type: 'integer' }],
  ['%', ['numeric', '-7.5'], ['numeric', '2'], { value: '-1.5', type: 'numeric' }],
  ['%', ['float8', '1'], ['float8', '2'], { error: '42883' }],
  ['/', ['numeric', '1'], ['numeric', '3'], { value: '0.33333333333333333333', type: 'numeric' }],
  ['/', ['numeric', '7.0'], ['numeric', '3'], { value: '2.3333333333333333', type: 'numeric' }],
  ['/', ['numeric', '1'], ['numeric', '0'], { error: '22012' }],
  ['/', ['numeric', '123456789'], ['numeric', '0.001'], { value: '123456789000.00000000', type: 'numeric' }],
  ['/', ['numeric', '1.00000'], ['numeric', '3.000'], { value: '0.33333333333333333333', type: 'numeric' }],
  ['/', ['numeric', '0'], ['numeric', '7'], { value: '0.00000000000000000000', type: 'numeric' }],
  ['/', ['numeric', '-2'], ['numeric', '3'], { value: '-0.66666666666666666667', type: 'numeric' }],
  ['/', ['numeric', '0.0001'], ['numeric', '30000'], { value: '0.0000000033333333333333333333', type: 'numeric' }],
  ['/', ['float8', '1'], ['float8', '0'], { error: '22012' }],
  ['/', ['float8', '1'], ['float8', '3'], { value: '0.3333333333333333', type: 'double precision' }],
  ['*', ['float8', '1e300'], ['float8', '1e300'], { error: '22003' }],
  ['*', ['float8', '1e-300'], ['float8', '1e-300'], { error: '22003' }],
  ['*', ['numeric', '1.25'], ['numeric', '-0.2'], { value: '-0.250', type: 'numeric' }],
  ['-', ['numeric', '1.000'], ['numeric', '1'], { value: '0.000', type: 'numeric' }],
  ['^', ['int4', '2'], ['int4', '10'], { value: '1024', type: 'double precision' }],
  ['^', ['numeric', '2'], ['int4', '3'], { value: '8.0000000000000000', type: 'numeric' }],
  ['^', ['numeric', '2'], ['int4', '-2'], { value: '0.2500000000000000', type: 'numeric' }],
  ['^', ['float8', '2'], ['numeric', '0.5'], { value: '1.4142135623730951', type: 'double precision' }],
  ['||', ['text', 'a'], ['text', 'b'], { value: 'ab', type: 'text' }],
  ['||', ['text', 'a'], ['int4', '1'], { value: 'a1', type: 'text' }],
  ['||', ['int4', '1'], ['text', 'a'], { value: '1a', type: 'text' }],
  ['||', ['unknown', 'a'], ['unknown', 'b'], { value: 'ab', type: 'text' }],
  ['||', ['bpchar', 'a  '], ['text', 'b'], { value: 'ab', type: 'text' }],
  ['||', ['bytea', '\\x01'], ['bytea', '\\x02'], { value: '\\x0102', type: 'bytea' }],
  ['||', ['text', 't='], ['bool', 'true'], { value: 't=true', type: 'text' }],
  ['=', ['int4', '1'], ['numeric', '1.0'], { value: 't', type: 'boolean' }],
  ['<', ['int8', '1'], ['float8', '1.5'], { value: 't', type: 'boolean' }],
  ['=', ['bpchar', 'a  '], ['bpchar', 'a'], { value: 't', type: 'boolean' }],
  ['=', ['bpchar', 'a  '], ['text', 'a'], { value: 't', type: 'boolean' }],
  ['<', ['text', 'a'], ['text', 'B'], { value: 'f', type: 'boolean' }],
  ['=', ['date', '2024-01-01'], ['timestamp', '2024-01-01 00:00'], { value: 't', type: 'boolean' }],
  ['<', ['timestamp', '2024-01-01 09:00'], ['timestamptz', '2024-01-01 01:00+00'], { value: 'f', type: 'boolean' }],
  ['=', ['interval', '1 mon'], ['interval', '30 days'], { value: 't', type: 'boolean' }],
  ['<>', ['bool', 'true'], ['bool', 'false'], { value: 't', type: 'boolean' }],
  ['=', ['int4', '1'], ['unknown', '1'], { value: 't', type: 'boolean' }],
  ['>=', ['unknown', 'b'], ['unknown', 'a'], { value: 't', type: 'boolean' }],
  ['=', ['float8', 'NaN'], ['float8', 'NaN'], { value: 't', type: 'boolean' }],
  ['<', ['float8', 'Infinity'], ['float8', 'NaN'], { value: 't', type: 'boolean' }],
  ['=', ['numeric', '1.50'], ['numeric', '1.5'], { value: 't', type: 'boolean' }],
  ['<', ['bytea', '\\x01'], ['bytea', '\\x0100'], { value: 't', type: 'boolean' }],
  ['+', ['date', '2024-02-28'], ['int4', '2'], { value: '2024-03-01', type: 'date' }],
  ['+', ['int4', '2'], ['date', '2024-02-28'], { value: '2024-03-01', type: 'date' }],
  ['-', ['date', '2024-03-01'], ['int4', '1'], { value: '2024-02-29', type: 'date' }],
  ['-', ['date', '2024-03-01'], ['date', '2024-02-01'], { value: '29', type: 'integer' }],
  [
    '+',
    ['date', '2024-01-31'],
    ['interval', '1 month'],
    { value: '2024-02-29 00:00:00', type: 'timestamp without time zone' },
  ],
  [
    '-',
    ['date', '2024-03-31'],
    ['interval', '1 mon'],
    { value: '2024-02-29 00:00:00', type: 'timestamp without time zone' },
  ],
  [
    '+',
    ['timestamp', '2024-01-31 10:00'],
    ['interval', '1 mon 1 day 01:00'],
    { value: '2024-03-01 11:00:00', type: 'timestamp without time zone' },
  ],
  [
    '+',
    ['interval', '1 hour'],
    ['timestamp', '2024-01-01'],
    { value: '2024-01-01 01:00:00', type: 'timestamp without time zone' },
  ],
  ['-', ['timestamp', '2024-01-02 03:00'], ['timestamp', '2024-01-01'], { value: '1 day 03:00:00', type: 'interval' }],
  [
    '-',
    ['timestamp', '2024-01-01'],
    ['timestamp', '2024-01-02 03:00'],
    { value: '-1 days -03:00:00', type: 'interval' },
  ],
  [
    '-',
    ['timestamptz', '2024-03-11 00:00-04'],
    ['timestamptz', '2024-03-10 00:00-05'],
    { value: '23:00:00', type: 'interval' },
  ],
  [
    '+',
    ['timestamptz', '2024-03-09 12:00-05'],
    ['interval', '1 day'],
    { value: '2024-03-10 17:00:00+00', type: 'timestamp with time zone' },
  ],
  [
    '+',
    ['timestamptz', '2024-03-09 12:00-05'],
    ['interval', '24 hours'],
    { value: '2024-03-10 17:00:00+00', type: 'timestamp with time zone' },
  ],
  ['-', ['date', '2024-01-02'], ['timestamp', '2024-01-01 12:00'], { value: '12:00:00', type: 'interval' }],
  ['+', ['interval', '1 day'], ['interval', '02:00'], { value: '1 day 02:00:00', type: 'interval' }],
  ['-', ['interval', '1 mon'], ['interval', '1 day'], { value: '1 mon -1 days', type: 'interval' }],
  ['*', ['interval', '1 mon 1 day'], ['float8', '1.5'], { value: '1 mon 16 days 12:00:00', type: 'interval' }],
  ['*', ['float8', '2'], ['interval', '01:30'], { value: '03:00:00', type: 'interval' }],
  ['/', ['interval', '1 mon'], ['float8', '7'], { value: '4 days 06:51:25.6896', type: 'interval' }],
  ['*', ['interval', '1 day'], ['int4', '3'], { value: '3 days', type: 'interval' }],
  ['/', ['interval', '1 day'], ['float8', '0'], { error: '22012' }],
  ['+', ['int4', '1'], ['bool', 'true'], { error: '42883' }],
  ['-', ['text', 'a'], ['text', 'b'], { error: '42883' }],
  ['+', ['unknown', '1'], ['unknown', '2'], { error: '42725' }],
  ['+', ['date', '2024-01-01'], ['int8', '1'], { error: '42883' }],
];

const UNARY_CASES: [string, Arg, Expected][] = [
  ['-', ['int4', '5'], { value: '-5', type: 'integer' }],
  ['-', ['int4', '-2147483648'], { error: '22003' }],
  ['-', ['numeric', '1.50'], { value: '-1.50', type: 'numeric' }],
  ['-', ['numeric', '0.00'], { value: '0.00', type: 'numeric' }],
  ['-', ['float8', '0'], { value: '-0', type: 'double precision' }],
  ['-', ['interval', '1 day 01:00'], { value: '-1 days -01:00:00', type: 'interval' }],
  ['+', ['int2', '3'], { value: '3', type: 'smallint' }],
  ['-', ['int2', '-32768'], { error: '22003' }],
  ['-', ['int8', '-9223372036854775808'], { error: '22003' }],
];

const CAST_CASES: [Arg, string, string[], number[], string, Expected][] = [
  [['numeric', '2.5'], 'int4', ['int4'], [], 'UTC', { value: '3', type: 'integer' }],
  [['numeric', '-2.5'], 'int4', ['int4'], [], 'UTC', { value: '-3', type: 'integer' }],
  [['numeric', '3000000000'], 'int4', ['int4'], [], 'UTC', { error: '22003' }],
  [['numeric', '40000'], 'int2', ['int2'], [], 'UTC', { error: '22003' }],
  [['float8', '2.5'], 'int4', ['int4'], [], 'UTC', { value: '2', type: 'integer' }],
  [['float8', '3.5'], 'int4', ['int4'], [], 'UTC', { value: '4', type: 'integer' }],
  [['float8', '-2.5'], 'int8', ['int8'], [], 'UTC', { value: '-2', type: 'bigint' }],
  [['float8', '1e19'], 'int8', ['int8'], [], 'UTC', { error: '22003' }],
  [['float8', 'NaN'], 'int4', ['int4'], [], 'UTC', { error: '22003' }],
  [['float4', '2.5'], 'int2', ['int2'], [], 'UTC', { value: '2', type: 'smallint' }],
  [['int8', '3000000000'], 'int4', ['int4'], [], 'UTC', { error: '22003' }],
  [['int4', '70000'], 'int2', ['int2'], [], 'UTC', { error: '22003' }],
  [['float8', '0.1'], 'numeric', ['numeric'], [], 'UTC', { value: '0.1', type: 'numeric' }],
  [['float8', '1e20'], 'numeric', ['numeric'], [], 'UTC', { value: '100000000000000000000', type: 'numeric' }],
  [
    ['float8', '1.23456789012345678'],
    'numeric',
    ['numeric'],
    [],
    'UTC',
    { value: '1.23456789012346', type: 'numeric' },
  ],
  [['float4', '0.1'], 'numeric', ['numeric'], [], 'UTC', { value: '0.1', type: 'numeric' }],
  [['float8', '1.5e-5'], 'numeric', ['numeric'], [], 'UTC', { value: '0.000015', type: 'numeric' }],
  [['float8', 'Infinity'], 'numeric', ['numeric'], [], 'UTC', { value: 'Infinity', type: 'numeric' }],
  [['numeric', '0.1'], 'float8', ['float8'], [], 'UTC', { value: '0.1', type: 'double precision' }],
  [['numeric', '0.1'], 'float4', ['float4'], [], 'UTC', { value: '0.1', type: 'real' }],
  [
    ['int8', '9007199254740993'],
    'float8',
    ['float8'],
    [],
    'UTC',
    { value: '9.007199254740992e+15', type: 'double precision' },
  ],
  [['float8', '1e39'], 'float4', ['float4'], [], 'UTC', { error: '22003' }],
  [['float8', '0.1'], 'float4', ['float4'], [], 'UTC', { value: '0.1', type: 'real' }],
  [['float4', '0.1'], 'float8', ['float8'], [], 'UTC', { value: '0.10000000149011612', type: 'double precision' }],
  [['int4', '0'], 'boolean', ['boolean'], [], 'UTC', { value: 'f', type: 'boolean' }],
  [['int4', '5'], 'boolean', ['boolean'], [], 'UTC', { value: 't', type: 'boolean' }],
  [['bool', 'true'], 'int4', ['int4'], [], 'UTC', { value: '1', type: 'integer' }],
  [['bool', 'false'], 'text', ['text'], [], 'UTC', { value: 'false', type: 'text' }],
  [['text', 'abcd'], 'varchar(2)', ['varchar'], [2], 'UTC', { value: 'ab', type: 'character varying' }],
  [['text', 'ab'], 'char(4)', ['char'], [4], 'UTC', { value: 'ab  ', type: 'character' }],
  [['bpchar', 'ab  '], 'text', ['text'], [], 'UTC', { value: 'ab', type: 'text' }],
  [['text', '12.345'], 'numeric(5,2)', ['numeric'], [5, 2], 'UTC', { value: '12.35', type: 'numeric' }],
  [['numeric', '999.995'], 'numeric(5,2)', ['numeric'], [5, 2], 'UTC', { error: '22003' }],
  [['numeric', '-0.005'], 'numeric(3,2)', ['numeric'], [3, 2], 'UTC', { value: '-0.01', type: 'numeric' }],
  [['text', '  42 '], 'int4', ['int4'], [], 'UTC', { value: '42', type: 'integer' }],
  [['text', '4x'], 'int4', ['int4'], [], 'UTC', { error: '22P02' }],
  [['text', '99999999999'], 'int4', ['int4'], [], 'UTC', { error: '22003' }],
  [['text', '1.5'], 'int4', ['int4'], [], 'UTC', { error: '22P02' }],
  [['text', 'yes'], 'bool', ['bool'], [], 'UTC', { value: 't', type: 'boolean' }],
  [['text', 'maybe'], 'bool', ['bool'], [], 'UTC', { error: '22P02' }],
  [['int4', '42'], 'text', ['text'], [], 'UTC', { value: '42', type: 'text' }],
  [['float8', '1e-7'], 'text', ['text'], [], 'UTC', { value: '1e-07', type: 'text' }],
  [['numeric', '1.50'], 'varchar', ['varchar'], [], 'UTC', { value: '1.50', type: 'character varying' }],
  [['date', '2024-01-01'], 'text', ['text'], [], 'Asia/Seoul', { value: '2024-01-01', type: 'text' }],
  [['text', '2024-02-30'], 'date', ['date'], [], 'UTC', { error: '22008' }],
  [['text', '2024-01-01 25:00'], 'timestamp', ['timestamp'], [], 'UTC', { error: '22008' }],
  [['text', 'garbage'], 'date', ['date'], [], 'UTC', { error: '22007' }],
  [['text', 'garbage'], 'timestamptz', ['timestamptz'], [], 'UTC', { error: '22007' }],
  [['text', '1 fortnight'], 'interval', ['interval'], [], 'UTC', { error: '22007' }],
  [['text', 'NaN'], 'numeric', ['numeric'], [], 'UTC', { value: 'NaN', type: 'numeric' }],
  [['text', 'abc'], 'numeric', ['numeric'], [], 'UTC', { error: '22P02' }],
  [['text', 'abc'], 'float8', ['float8'], [], 'UTC', { error: '22P02' }],
  [['text', '1e400'], 'float8', ['float8'], [], 'UTC', { error: '22003' }],
  [['text', '\\xzz'], 'bytea', ['bytea'], [], 'UTC', { error: '22023' }],
  [['text', '\\x123'], 'bytea', ['bytea'], [], 'UTC', { error: '22023' }],
  [
    ['date', '2024-01-01'],
    'timestamp',
    ['timestamp'],
    [],
    'Asia/Seoul',
    { value: '2024-01-01 00:00:00', type: 'timestamp without time zone' },
  ],
  [
    ['date', '2024-01-01'],
    'timestamptz',
    ['timestamptz'],
    [],
    'Asia/Seoul',
    { value: '2024-01-01 00:00:00+09', type: 'timestamp with time zone' },
  ],
  [['timestamp', '2024-01-01 23:30'], 'date', ['date'], [], 'UTC', { value: '2024-01-01', type: 'date' }],
  [['timestamptz', '2024-01-01 23:30+00'], 'date', ['date'], [], 'Asia/Seoul', { value: '2024-01-02', type: 'date' }],
  [
    ['timestamptz', '2024-01-01 23:30+00'],
    'timestamp',
    ['timestamp'],
    [],
    'Asia/Seoul',
    { value: '2024-01-02 08:30:00', type: 'timestamp without time zone' },
  ],
  [
    ['timestamp', '2024-07-01 12:00'],
    'timestamptz',
    ['timestamptz'],
    [],
    'America/New_York',
    { value: '2024-07-01 12:00:00-04', type: 'timestamp with time zone' },
  ],
  [
    ['timestamp', '2024-03-10 02:30'],
    'timestamptz',
    ['timestamptz'],
    [],
    'America/New_York',
    { value: '2024-03-10 03:30:00-04', type: 'timestamp with time zone' },
  ],
  [
    ['timestamp', '2024-11-03 01:30'],
    'timestamptz',
    ['timestamptz'],
    [],
    'America/New_York',
    { value: '2024-11-03 01:30:00-05', type: 'timestamp with time zone' },
  ],
  [
    ['timestamp', '2024-01-01 10:00:00.123456'],
    'timestamp(2)',
    ['timestamp'],
    [2],
    'UTC',
    { value: '2024-01-01 10:00:00.12', type: 'timestamp without time zone' },
  ],
  [
    ['timestamp', '2024-01-01 10:00:00.995'],
    'timestamp(0)',
    ['timestamp'],
    [0],
    'UTC',
    { value: '2024-01-01 10:00:01', type: 'timestamp without time zone' },
  ],
  [
    ['date', 'infinity'],
    'timestamp',
    ['timestamp'],
    [],
    'UTC',
    { value: 'infinity', type: 'timestamp without time zone' },
  ],
  [['interval', '1 day 02:00'], 'text', ['text'], [], 'UTC', { value: '1 day 02:00:00', type: 'text' }],
  [['bytea', '\\x41'], 'text', ['text'], [], 'UTC', { value: '\\x41', type: 'text' }],
  [['text', 'abc'], 'bytea', ['bytea'], [], 'UTC', { value: '\\x616263', type: 'bytea' }],
  [['int4', '1'], 'date', ['date'], [], 'UTC', { error: '42846' }],
  [['date', '2024-01-01'], 'int4', ['int4'], [], 'Asia/Seoul', { error: '42846' }],
  [['bool', 'true'], 'numeric', ['numeric'], [], 'UTC', { error: '42846' }],
  [['interval', '1 day'], 'timestamp', ['timestamp'], [], 'UTC', { error: '42846' }],
];

describe('functions match PostgreSQL 15', () => {
  it.each(FUNCTION_CASES)('%s(%j) in %s', (name, args, timeZone, expected) => {
    const ctx = fixedEvalContext({ timeZone });
    check(
      expected,
      () => {
        const resolved = lookupFunction(
          name,
          args.map(([type]) => T[type]),
        );
        const values = args.map((arg, i) =>
          castValue(valueOf(arg, timeZone), T[arg[0]], resolved.argTypes[i], ctx, 'implicit'),
        );
        return { value: resolved.fn(values, ctx), type: resolved.resultType };
      },
      timeZone,
    );
  });
});

describe('operators match PostgreSQL 15', () => {
  it.each(BINARY_CASES)('%s on %j and %j', (op, left, right, expected) => {
    const ctx = fixedEvalContext();
    check(
      expected,
      () => {
        const resolved = resolveBinaryOperator(op, T[left[0]], T[right[0]]);
        const a = castValue(valueOf(left, 'UTC'), T[left[0]], resolved.leftType, ctx, 'implicit');
        const b = castValue(valueOf(right, 'UTC'), T[right[0]], resolved.rightType, ctx, 'implicit');
        return { value: a === null || b === null ? null : resolved.fn(a, b, ctx), type: resolved.resultType };
      },
      'UTC',
    );
  });

  it.each(UNARY_CASES)('%s %j', (op, operand, expected) => {
    const ctx = fixedEvalContext();
    check(
      expected,
      () => {
        const resolved = resolveUnaryOperator(op, T[operand[0]]);
        const value = valueOf(operand, 'UTC');
        return { value: value === null ? null : resolved.fn(value, ctx), type: resolved.resultType };
      },
      'UTC',
    );
  });
});

describe('casts match PostgreSQL 15', () => {
  it.each(CAST_CASES)('%j to %s', (source, _spelled, words, modifiers, timeZone, expected) => {
    const ctx = fixedEvalContext({ timeZone });
    check(
      expected,
      () => {
        const target = parseTypeName(words, modifiers);
        return { value: castValue(valueOf(source, timeZone), T[source[0]], target, ctx), type: target };
      },
      timeZone,
    );
  });
});
