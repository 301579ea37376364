// Expected outputs were taken from psql 15 on the same data.
import { describe, expect, it } from 'vitest';
import { errorPosition, formatServerMessage } from './error-format.js';
import { DEFAULT_FORMAT, displayWidth, formatRows, type ResultSet } from './result-format.js';

const INT4 = 23;
const TEXT = 25;
const NUMERIC = 1700;

const accounts: ResultSet = {
  columns: [
    { name: 'id', typeOid: INT4 },
    { name: 'name', typeOid: TEXT },
    { name: 'amount', typeOid: NUMERIC },
  ],
  rows: [
    ['1', 'alice', '10.50'],
    ['2', null, '3.00'],
    ['10', 'bob', '123.45'],
  ],
};

describe('formatRows', () => {
  it('prints the aligned table: centred headers, numbers right, NULL empty, row count', () => {
    expect(formatRows(accounts)).toBe(
      [
        ' id | name  | amount ',
        '----+-------+--------',
        '  1 | alice |  10.50',
        '  2 |       |   3.00',
        ' 10 | bob   | 123.45',
        '(3 rows)',
        '',
        '',
      ].join('\n'),
    );
  });

  it('marks values that wrap onto more lines with +', () => {
    const result: ResultSet = {
      columns: [
        { name: 'y', typeOid: INT4 },
        { name: 'x', typeOid: TEXT },
        { name: 'longheader', typeOid: TEXT },
      ],
      rows: [['1', 'a\nbcd', 'hello']],
    };
    expect(formatRows(result)).toBe(
      ' y |  x  | longheader \n---+-----+------------\n 1 | a  +| hello\n   | bcd | \n(1 row)\n\n',
    );
  });

  it('prints -t (tuples only) and -A (unaligned)', () => {
    expect(formatRows(accounts, { ...DEFAULT_FORMAT, tuplesOnly: true })).toBe(
      '  1 | alice |  10.50\n  2 |       |   3.00\n 10 | bob   | 123.45\n\n',
    );
    expect(formatRows(accounts, { ...DEFAULT_FORMAT, aligned: false })).toBe(
      'id|name|amount\n1|alice|10.50\n2||3.00\n10|bob|123.45\n(3 rows)\n',
    );
    expect(formatRows(accounts, { ...DEFAULT_FORMAT, aligned: false, tuplesOnly: true, fieldSeparator: ',' })).toBe(
      '1,alice,10.50\n2,,3.00\n10,bob,123.45\n',
    );
  });

  it('prints the expanded form with record headers laid over the rule', () => {
    expect(formatRows(accounts, { ...DEFAULT_FORMAT, expanded: true })).toBe(
      [
        '-[ RECORD 1 ]--',
        'id     | 1',
        'name   | alice',
        'amount | 10.50',
        '-[ RECORD 2 ]--',
        'id     | 2',
        'name   | ',
        'amount | 3.00',
        '-[ RECORD 3 ]--',
        'id     | 10',
        'name   | bob',
        'amount | 123.45',
        '',
        '',
      ].join('\n'),
    );
    const twoRows: ResultSet = {
      columns: [
        { name: 'y', typeOid: INT4 },
        { name: 'x', typeOid: INT4 },
      ],
      rows: [
        ['1', '2'],
        ['3', '4'],
      ],
    };
    expect(formatRows(twoRows, { ...DEFAULT_FORMAT, expanded: true, tuplesOnly: true })).toBe(
      'y | 1\nx | 2\n--+--\ny | 3\nx | 4\n\n',
    );
    expect(formatRows(twoRows, { ...DEFAULT_FORMAT, expanded: true, aligned: false })).toBe('y|1\nx|2\n\ny|3\nx|4\n');
  });

  it('prints empty results as psql does', () => {
    expect(formatRows({ ...accounts, rows: [] })).toBe(' id | name | amount \n----+------+--------\n(0 rows)\n\n');
    expect(formatRows({ ...accounts, rows: [] }, { ...DEFAULT_FORMAT, expanded: true })).toBe('(0 rows)\n\n');
    expect(formatRows({ columns: [], rows: [[]] })).toBe('--\n(1 row)\n\n');
  });

  it('counts wide characters as two columns', () => {
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('é')).toBe(1);
    const result: ResultSet = { columns: [{ name: 'w', typeOid: TEXT }], rows: [['日本'], ['a']] };
    expect(formatRows(result)).toBe('  w   \n------\n 日本\n a\n(2 rows)\n\n');
  });
});

describe('formatServerMessage', () => {
  it('prints the error, a LINE excerpt with a caret, then DETAIL and HINT', () => {
    const text = formatServerMessage(
      { severity: 'ERROR', message: 'syntax error at or near "x"', position: '19', detail: 'd', hint: 'h' },
      'select 1,\n  2 frm x',
      true,
    );
    expect(text).toBe(
      'ERROR:  syntax error at or near "x"\nLINE 2:   2 frm x\n                ^\nDETAIL:  d\nHINT:  h\n',
    );
  });

  it('cuts a long line around the position as libpq does', () => {
    const query = `select 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' || frm x`;
    expect(errorPosition(query, query.indexOf('frm') + 1)).toBe(
      "LINE 1: ...aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' || frm x\n" + ' '.repeat(66) + '^\n',
    );
    const head = 'select 1 frm x   ;    select 2 as ' + 'b'.repeat(80);
    expect(errorPosition(head, 14)).toBe(
      'LINE 1: select 1 frm x   ;    select 2 as bbbbbbbbbbbbbbbbbbbbbbbbbb...\n' + ' '.repeat(21) + '^\n',
    );
  });

  it('prints notices without a CONTEXT line', () => {
    expect(formatServerMessage({ severity: 'WARNING', message: 'w', where: 'PL/pgSQL' }, undefined, false)).toBe(
      'WARNING:  w\n',
    );
  });
});
