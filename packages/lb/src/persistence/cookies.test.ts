import { describe, expect, it } from 'vitest';
import { findCookie, formatSetCookie, privateCacheControl, removeCookie, setsCookie } from './cookies.js';

describe('cookie helpers', () => {
  it('finds a cookie among several headers', () => {
    expect(findCookie(['a=1; TANDEMLB=web1.x; b=2'], 'TANDEMLB')).toBe('web1.x');
    expect(findCookie(['a=1', 'TANDEMLB=v'], 'TANDEMLB')).toBe('v');
    expect(findCookie(['XTANDEMLB=v; TANDEMLBX=w'], 'TANDEMLB')).toBeUndefined();
    expect(findCookie([], 'TANDEMLB')).toBeUndefined();
  });

  it('removes only the named cookie, keeping the others as they were', () => {
    expect(removeCookie('a=1; TANDEMLB=web1.x; b=2', 'TANDEMLB')).toBe('a=1; b=2');
    expect(removeCookie('TANDEMLB=web1.x', 'TANDEMLB')).toBeUndefined();
    expect(removeCookie('a=1;TANDEMLB=1;TANDEMLB=2', 'TANDEMLB')).toBe('a=1');
    const untouched = 'a=1; XTANDEMLB=2';
    expect(removeCookie(untouched, 'TANDEMLB')).toBe(untouched);
  });

  it('formats the inserted cookie', () => {
    expect(formatSetCookie('TANDEMLB', 'web1.mac', { path: '/', httpOnly: true, secure: false, sameSite: 'Lax' })).toBe(
      'TANDEMLB=web1.mac; Path=/; HttpOnly; SameSite=Lax',
    );
    expect(
      formatSetCookie('L', 'v', { path: '/app', maxAgeSeconds: 600, httpOnly: false, secure: false, sameSite: 'None' }),
    ).toBe('L=v; Path=/app; Max-Age=600; Secure; SameSite=None');
    expect(setsCookie('TANDEMLB=evil; Path=/', 'TANDEMLB')).toBe(true);
    expect(setsCookie('session=1', 'TANDEMLB')).toBe(false);
  });

  it('makes a response private for shared caches', () => {
    expect(privateCacheControl(undefined)).toBe('private');
    expect(privateCacheControl('public, max-age=60')).toBe('private, max-age=60');
    expect(privateCacheControl('no-store')).toBe('no-store');
    expect(privateCacheControl('private, max-age=5')).toBe('private, max-age=5');
  });
});
