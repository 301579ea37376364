import { describe, expect, it } from 'vitest';
import { extractUrlToken } from './url-token.js';

describe('URL tokens', () => {
  it('reads and removes a path parameter', () => {
    expect(extractUrlToken('/cart;lbt=web1.abc/items?x=1', 'lbt')).toEqual({
      token: 'web1.abc',
      url: '/cart/items?x=1',
    });
    expect(extractUrlToken('/cart;lbt=web1.abc', 'lbt')).toEqual({ token: 'web1.abc', url: '/cart' });
    expect(extractUrlToken('/cart;v=2;lbt=t;w=3', 'lbt')).toEqual({ token: 't', url: '/cart;v=2;w=3' });
  });

  it('reads and removes a query parameter', () => {
    expect(extractUrlToken('/cart?lbt=web1.abc', 'lbt')).toEqual({ token: 'web1.abc', url: '/cart' });
    expect(extractUrlToken('/cart?a=1&lbt=web1.abc&b=2', 'lbt')).toEqual({ token: 'web1.abc', url: '/cart?a=1&b=2' });
    expect(extractUrlToken('/cart?xlbt=1', 'lbt')).toEqual({ token: undefined, url: '/cart?xlbt=1' });
  });

  it('leaves other URLs alone', () => {
    const url = '/plain/path?q=lbt';
    expect(extractUrlToken(url, 'lbt')).toEqual({ token: undefined, url });
  });
});
