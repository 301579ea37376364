// LIKE and ILIKE: wildcards, escapes (default backslash, custom, none), and the error for a
// pattern ending in the escape character.
import { describe, expect, it } from 'vitest';
import { DbError } from '../../errors.js';
import { compileLike, like } from './like.js';

describe('LIKE', () => {
  const CASES: readonly [string, string, boolean][] = [
    ['abc', 'abc', true],
    ['abc', 'ab', false],
    ['abc', 'a%', true],
    ['abc', '%c', true],
    ['abc', '%b%', true],
    ['abc', 'a_c', true],
    ['abc', '_', false],
    ['', '%', true],
    ['', '', true],
    ['abc', '%%%', true],
    ['a%c', 'a\\%c', true],
    ['abc', 'a\\%c', false],
    ['a_c', 'a\\_c', true],
    ['a\\c', 'a\\\\c', true],
    ['😀x', '_x', true],
    ['aXbXc', '%X%X%', true],
    ['mississippi', '%iss%pi', true],
    ['mississippi', 'm%s_s%i', true],
    ['mississippi', '%ssx%', false],
  ];

  it.each(CASES)('%j LIKE %j is %s', (text, pattern, expected) => {
    expect(like(text, pattern)).toBe(expected);
  });

  it('takes a custom ESCAPE, or none', () => {
    expect(like('10%', '10#%', { escape: '#' })).toBe(true);
    expect(like('10x', '10#%', { escape: '#' })).toBe(false);
    expect(like('a\\b', 'a\\b', { escape: '' })).toBe(true);
  });

  it('ILIKE ignores case', () => {
    expect(compileLike('AB%', { caseInsensitive: true })('abc')).toBe(true);
    expect(compileLike('ab%', { caseInsensitive: false })('ABC')).toBe(false);
  });

  it('rejects a pattern ending with the escape character (22025)', () => {
    let thrown: unknown;
    try {
      compileLike('abc\\');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DbError);
    expect((thrown as DbError).sqlState).toBe('22025');
    expect((thrown as DbError).message).toContain('LIKE pattern must not end with escape character');
    expect(() => compileLike('a', { escape: 'ab' })).toThrow(/invalid escape string/);
  });
});
