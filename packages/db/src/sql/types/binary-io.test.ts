// Binary send/receive: byte images printed by PostgreSQL 15's numeric_send, date_send,
// timestamp_send, interval_send, float4send, float8send and int8send, and malformed input.
import { describe, expect, it } from 'vitest';
import { decodeBinary, encodeBinary } from './binary-io.js';
import { fixedEvalContext } from './context.js';
import { formatText, parseText } from './text-io.js';
import type { SqlTypeName } from './types.js';
import { T } from './types.js';
import { errorOf } from '../../errors.test-support.js';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function fromHex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

const ctx = fixedEvalContext();

// [type, text value, PostgreSQL's send bytes]
const SENT: readonly [SqlTypeName, string, string][] = [
  ['numeric', '0', '0000000000000000'],
  ['numeric', '0.00', '0000000000000002'],
  ['numeric', '-1', '00010000400000000001'],
  ['numeric', '1.5', '000200000000000100011388'],
  ['numeric', '-123.4500', '0002000040000004007b1194'],
  ['numeric', '10000', '00010001000000000001'],
  ['numeric', '100000000', '00010002000000000001'],
  ['numeric', '0.0001', '0001ffff000000040001'],
  ['numeric', '0.00001', '0001fffe0000000503e8'],
  ['numeric', '1234567.89', '0003000100000002007b11d722c4'],
  ['numeric', '-0.000012345', '0002fffe4000000904d21388'],
  ['numeric', '99999999999999999999.99999', '0007000400000005270f270f270f270f270f270f2328'],
  ['numeric', '1' + '0'.repeat(100), '00010019000000000001'],
  ['date', '2024-01-01', '0000223e'],
  ['date', '1999-12-31', 'ffffffff'],
  ['date', '-infinity', '80000000'],
  ['timestamp', '2024-01-01 10:00:00.5', '0002b0de36b54920'],
  ['timestamp', 'infinity', '7fffffffffffffff'],
  ['timestamptz', '1970-01-01 00:00:00+00', 'fffca2fec4c82000'],
  ['interval', '1 year 2 mons 3 days 04:05:06.5', '000000036c9361a0000000030000000e'],
  ['float4', '1.5', '3fc00000'],
  ['float8', '-0.1', 'bfb999999999999a'],
  ['int8', '-2', 'fffffffffffffffe'],
  ['int2', '-2', 'fffe'],
  ['int4', '258', '00000102'],
  ['bool', 't', '01'],
  ['text', 'héllo', '68c3a96c6c6f'],
  ['bytea', '\\x00ff', '00ff'],
];

describe('binary I/O', () => {
  it.each(SENT)('%s %s sends as PostgreSQL does and receives back', (type, text, bytes) => {
    const value = parseText(T[type], text, ctx);
    expect(hex(encodeBinary(T[type], value))).toBe(bytes);
    expect(formatText(T[type], decodeBinary(T[type], fromHex(bytes)), ctx)).toBe(text);
  });

  it('truncates numeric digits hidden by dscale, as numeric_recv does', () => {
    // 1.5 with dscale 0: the .5 is cut, not rounded.
    expect(decodeBinary(T.numeric, fromHex('000200000000000000011388'))).toBe('1');
  });

  it('reads any non-zero bool byte as true', () => {
    expect(decodeBinary(T.bool, fromHex('02'))).toBe(true);
  });

  it('rejects malformed input with 22P03 (or 22021 for bad UTF-8)', () => {
    expect(errorOf(() => decodeBinary(T.int4, fromHex('0001'))).sqlState).toBe('22P03');
    expect(errorOf(() => decodeBinary(T.numeric, fromHex('0001000000000000'))).sqlState).toBe('22P03');
    expect(errorOf(() => decodeBinary(T.numeric, fromHex('00010000123400000001'))).message).toContain(
      'invalid sign in external "numeric" value',
    );
    expect(errorOf(() => decodeBinary(T.numeric, fromHex('00010000000000002710'))).message).toContain(
      'invalid digit in external "numeric" value',
    );
    expect(errorOf(() => decodeBinary(T.text, fromHex('ff'))).sqlState).toBe('22021');
    expect(errorOf(() => decodeBinary(T.numeric, fromHex('00000000c0000000'))).sqlState).toBe('0A000');
  });
});
