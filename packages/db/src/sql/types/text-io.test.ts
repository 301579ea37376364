// Text I/O against PostgreSQL 15: each case is a type, an input literal, the session zone and
// what PostgreSQL 15 printed for '<input>'::<type> (collected from a real server; see the
// report). Then the error cases, with their SQLSTATEs and PostgreSQL's wording.
import { describe, expect, it } from 'vitest';
import { fixedEvalContext } from './context.js';
import { formatText, parseText } from './text-io.js';
import type { SqlTypeName } from './types.js';
import { T, sqlType } from './types.js';
import { errorOf } from '../../errors.test-support.js';

const POSTGRES_OUTPUT: readonly [SqlTypeName, string, string, string][] = [
  ['bool', '  TRUE ', 'UTC', 't'],
  ['bool', 'off', 'UTC', 'f'],
  ['bool', '1', 'UTC', 't'],
  ['int2', '-32768', 'UTC', '-32768'],
  ['int4', ' +42 ', 'UTC', '42'],
  ['int4', '-2147483648', 'UTC', '-2147483648'],
  ['int8', '9223372036854775807', 'UTC', '9223372036854775807'],
  ['numeric', '-007.50', 'UTC', '-7.50'],
  ['numeric', '1.5e-3', 'UTC', '0.0015'],
  ['numeric', '1.20e1', 'UTC', '12.0'],
  ['numeric', '  12.3400  ', 'UTC', '12.3400'],
  ['numeric', '0.000', 'UTC', '0.000'],
  ['numeric', '-0.0', 'UTC', '0.0'],
  ['float8', '0.1', 'UTC', '0.1'],
  ['float8', '1e20', 'UTC', '1e+20'],
  ['float8', '1.5e-5', 'UTC', '1.5e-05'],
  ['float8', '123456789012345', 'UTC', '123456789012345'],
  ['float8', '1234567890123456', 'UTC', '1.234567890123456e+15'],
  ['float8', '0.0001', 'UTC', '0.0001'],
  ['float8', '0.00001', 'UTC', '1e-05'],
  ['float8', '-0', 'UTC', '-0'],
  ['float8', 'NaN', 'UTC', 'NaN'],
  ['float8', '-inf', 'UTC', '-Infinity'],
  ['float8', '1.7976931348623157e308', 'UTC', '1.7976931348623157e+308'],
  ['float8', '4.9e-324', 'UTC', '5e-324'],
  ['float8', '3.0', 'UTC', '3'],
  ['float8', '100', 'UTC', '100'],
  ['float8', '1e15', 'UTC', '1e+15'],
  ['float8', '1e-4', 'UTC', '0.0001'],
  ['float4', '0.1', 'UTC', '0.1'],
  ['float4', '1e20', 'UTC', '1e+20'],
  ['float4', '123456789', 'UTC', '1.2345679e+08'],
  ['float4', '3.14159', 'UTC', '3.14159'],
  ['float4', '100000', 'UTC', '100000'],
  ['float4', '1000000', 'UTC', '1e+06'],
  ['float4', '1.5e-5', 'UTC', '1.5e-05'],
  ['float4', '-0', 'UTC', '-0'],
  ['float4', '16777217', 'UTC', '1.6777216e+07'],
  ['bpchar', 'abc', 'UTC', 'abc'],
  ['varchar', 'h\u00e9llo', 'UTC', 'h\u00e9llo'],
  ['text', "a'b", 'UTC', "a'b"],
  ['bytea', '\\x0a0B', 'UTC', '\\x0a0b'],
  ['bytea', 'abc\\\\d\\001', 'UTC', '\\x6162635c6401'],
  ['bytea', '\\x', 'UTC', '\\x'],
  ['date', '2024-02-29', 'UTC', '2024-02-29'],
  ['date', '20240105', 'UTC', '2024-01-05'],
  ['date', 'Jan 5 2024', 'UTC', '2024-01-05'],
  ['date', '5 January 2024', 'UTC', '2024-01-05'],
  ['date', '01/02/2024', 'UTC', '2024-01-02'],
  ['date', '2024-01-01 10:00:00', 'UTC', '2024-01-01'],
  ['date', '0001-01-01 BC', 'UTC', '0001-01-01 BC'],
  ['date', 'infinity', 'UTC', 'infinity'],
  ['date', 'epoch', 'UTC', '1970-01-01'],
  ['timestamp', '2024-01-01 10:00:00.123400', 'UTC', '2024-01-01 10:00:00.1234'],
  ['timestamp', '2024-01-01T10:00:00Z', 'UTC', '2024-01-01 10:00:00'],
  ['timestamp', '2024-01-01 10:00:00+09', 'UTC', '2024-01-01 10:00:00'],
  ['timestamp', '2024-01-01 24:00:00', 'UTC', '2024-01-02 00:00:00'],
  ['timestamp', '2024-03-05 1:02:03.0000005', 'UTC', '2024-03-05 01:02:03'],
  ['timestamp', '2024-01-01 10:00 pm', 'UTC', '2024-01-01 22:00:00'],
  ['timestamp', '-infinity', 'UTC', '-infinity'],
  ['timestamp', '1999-12-31 23:59:59.999999', 'UTC', '1999-12-31 23:59:59.999999'],
  ['timestamptz', '2024-01-01 10:00:00+09', 'UTC', '2024-01-01 01:00:00+00'],
  ['timestamptz', '2024-01-01 10:00:00+09', 'Asia/Seoul', '2024-01-01 10:00:00+09'],
  ['timestamptz', '2024-01-01 10:00:00+09', 'America/New_York', '2023-12-31 20:00:00-05'],
  ['timestamptz', '2024-01-01 10:00:00-05:30', 'UTC', '2024-01-01 15:30:00+00'],
  ['timestamptz', '2024-01-01 10:00:00-05:30', 'Asia/Seoul', '2024-01-02 00:30:00+09'],
  ['timestamptz', '2024-01-01 10:00:00-05:30', 'America/New_York', '2024-01-01 10:30:00-05'],
  ['timestamptz', '2024-07-01 12:00:00 America/New_York', 'UTC', '2024-07-01 16:00:00+00'],
  ['timestamptz', '2024-07-01 12:00:00 America/New_York', 'Asia/Seoul', '2024-07-02 01:00:00+09'],
  ['timestamptz', '2024-07-01 12:00:00 America/New_York', 'America/New_York', '2024-07-01 12:00:00-04'],
  ['timestamptz', '2024-01-01 00:00:00Z', 'UTC', '2024-01-01 00:00:00+00'],
  ['timestamptz', '2024-01-01 00:00:00Z', 'Asia/Seoul', '2024-01-01 09:00:00+09'],
  ['timestamptz', '2024-01-01 00:00:00Z', 'America/New_York', '2023-12-31 19:00:00-05'],
  ['timestamptz', '2024-01-01 12:00:00 EST', 'UTC', '2024-01-01 17:00:00+00'],
  ['timestamptz', '2024-01-01 12:00:00 EST', 'Asia/Seoul', '2024-01-02 02:00:00+09'],
  ['timestamptz', '2024-01-01 12:00:00 EST', 'America/New_York', '2024-01-01 12:00:00-05'],
  ['interval', '1 day', 'UTC', '1 day'],
  ['interval', '2 hours 30 minutes', 'UTC', '02:30:00'],
  ['interval', '01:02:03', 'UTC', '01:02:03'],
  ['interval', '1 year 2 months', 'UTC', '1 year 2 mons'],
  ['interval', '-1 day', 'UTC', '-1 days'],
  ['interval', '1 day -02:00:00', 'UTC', '1 day -02:00:00'],
  ['interval', '@ 1 day ago', 'UTC', '-1 days'],
  ['interval', 'P1Y2M3DT4H5M6S', 'UTC', '1 year 2 mons 3 days 04:05:06'],
  ['interval', '1.5 days', 'UTC', '1 day 12:00:00'],
  ['interval', '1.5 months', 'UTC', '1 mon 15 days'],
  ['interval', '1.5 years', 'UTC', '1 year 6 mons'],
  ['interval', '10', 'UTC', '00:00:10'],
  ['interval', '-00:00:01', 'UTC', '-00:00:01'],
  ['interval', '3 mons', 'UTC', '3 mons'],
  ['interval', '0', 'UTC', '00:00:00'],
  ['interval', '25:00:00', 'UTC', '25:00:00'],
  ['interval', '1 week', 'UTC', '7 days'],
  ['interval', '-1 year -2 mons +3 days', 'UTC', '-1 years -2 mons +3 days'],
  ['interval', '1 day 00:00:00.5', 'UTC', '1 day 00:00:00.5'],
];

describe('text input and output match PostgreSQL 15', () => {
  it.each(POSTGRES_OUTPUT)('%s %j in %s → %j', (type, input, timeZone, expected) => {
    const ctx = fixedEvalContext({ timeZone });
    const value = parseText(T[type], input, ctx);
    expect(formatText(T[type], value, ctx)).toBe(expected);
  });
});

describe('text input errors carry PostgreSQL SQLSTATEs and wording', () => {
  const ERRORS: readonly [SqlTypeName, string, string, string][] = [
    ['int4', 'abc', '22P02', 'invalid input syntax for type integer: "abc"'],
    ['int4', '', '22P02', 'invalid input syntax for type integer: ""'],
    ['int4', '99999999999', '22003', 'value "99999999999" is out of range for type integer'],
    ['int2', '32768', '22003', 'value "32768" is out of range for type smallint'],
    ['int8', '9223372036854775808', '22003', 'value "9223372036854775808" is out of range for type bigint'],
    ['numeric', 'abc', '22P02', 'invalid input syntax for type numeric: "abc"'],
    ['numeric', '1e', '22P02', 'invalid input syntax for type numeric: "1e"'],
    ['float8', 'x', '22P02', 'invalid input syntax for type double precision: "x"'],
    ['float8', '1e400', '22003', '"1e400" is out of range for type double precision'],
    ['float4', '1e39', '22003', '"1e39" is out of range for type real'],
    ['bool', 'maybe', '22P02', 'invalid input syntax for type boolean: "maybe"'],
    ['bool', 'o', '22P02', 'invalid input syntax for type boolean: "o"'],
    ['date', 'garbage', '22007', 'invalid input syntax for type date: "garbage"'],
    ['date', '2024-02-30', '22008', 'date/time field value out of range: "2024-02-30"'],
    ['timestamp', '2024-01-01 25:00', '22008', 'date/time field value out of range: "2024-01-01 25:00"'],
    ['timestamptz', 'garbage', '22007', 'invalid input syntax for type timestamp with time zone: "garbage"'],
    ['interval', '1 fortnight', '22007', 'invalid input syntax for type interval: "1 fortnight"'],
    ['bytea', '\\xzz', '22023', 'invalid hexadecimal digit: "z"'],
    ['bytea', '\\x123', '22023', 'invalid hexadecimal data: odd number of digits'],
    ['bytea', '\\9', '22P02', 'invalid input syntax for type bytea'],
  ];

  it.each(ERRORS)('%s %j → %s', (type, input, sqlState, message) => {
    const error = errorOf(() => parseText(T[type], input, fixedEvalContext()));
    expect(error.sqlState).toBe(sqlState);
    expect(error.message).toBe(`${error.code}: ${message}`);
  });

  it('applies the typmod on input, as the input functions do', () => {
    const ctx = fixedEvalContext();
    expect(parseText(sqlType('bpchar', 7), 'ab', ctx)).toBe('ab ');
    expect(parseText(sqlType('numeric', ((5 << 16) | 2) + 4), '1.005', ctx)).toBe('1.01');
    expect(errorOf(() => parseText(sqlType('varchar', 6), 'abc', ctx)).sqlState).toBe('22001');
  });
});

describe('timestamps and the session zone', () => {
  it('resolves DST gaps and overlaps as PostgreSQL does', () => {
    const ctx = fixedEvalContext({ timeZone: 'America/New_York' });
    const format = (text: string): string => formatText(T.timestamptz, parseText(T.timestamptz, text, ctx), ctx);
    expect(format('2024-03-10 02:30')).toBe('2024-03-10 03:30:00-04');
    expect(format('2024-11-03 01:30')).toBe('2024-11-03 01:30:00-05');
    expect(format('2024-07-01 00:00')).toBe('2024-07-01 00:00:00-04');
  });

  it('prints half-hour and fixed-offset zones', () => {
    const instant = parseText(T.timestamptz, '2024-01-01 00:00:00+00', fixedEvalContext());
    expect(formatText(T.timestamptz, instant, fixedEvalContext({ timeZone: 'Asia/Kolkata' }))).toBe(
      '2024-01-01 05:30:00+05:30',
    );
    // POSIX style, as PostgreSQL 15 reads zone names: '+09:00' is 9 hours west, '<+09>-09' east.
    expect(formatText(T.timestamptz, instant, fixedEvalContext({ timeZone: '+09:00' }))).toBe('2023-12-31 15:00:00-09');
    expect(formatText(T.timestamptz, instant, fixedEvalContext({ timeZone: '<+09>-09' }))).toBe(
      '2024-01-01 09:00:00+09',
    );
  });

  it("reads 'now', 'today' and friends from the context", () => {
    const ctx = fixedEvalContext({ timeZone: 'Asia/Seoul', timestamp: 1_704_034_800_000_000n }); // 2023-12-31 15:00 UTC
    expect(formatText(T.date, parseText(T.date, 'today', ctx), ctx)).toBe('2024-01-01');
    expect(formatText(T.timestamptz, parseText(T.timestamptz, 'now', ctx), ctx)).toBe('2024-01-01 00:00:00+09');
    expect(formatText(T.timestamp, parseText(T.timestamp, 'tomorrow', ctx), ctx)).toBe('2024-01-02 00:00:00');
    expect(formatText(T.timestamptz, parseText(T.timestamptz, 'yesterday', ctx), ctx)).toBe('2023-12-31 00:00:00+09');
  });
});
