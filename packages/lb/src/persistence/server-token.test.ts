import { describe, expect, it } from 'vitest';
import { ServerTokenSigner } from './server-token.js';

const secret = 'a test secret that is long enough for hmac';

describe('server tokens', () => {
  it('round-trips a server id', () => {
    const signer = new ServerTokenSigner(secret);
    const token = signer.sign('cookie', 'web1');
    expect(token).toMatch(/^web1\.[A-Za-z0-9_-]{22}$/);
    expect(signer.verify('cookie', token)).toBe('web1');
  });

  it('refuses a chosen server id, a tampered MAC, another purpose and another secret', () => {
    const signer = new ServerTokenSigner(secret);
    const token = signer.sign('cookie', 'web1');
    const mac = token.slice('web1.'.length);
    expect(signer.verify('cookie', `web2.${mac}`)).toBeUndefined();
    expect(signer.verify('cookie', 'web2')).toBeUndefined();
    expect(signer.verify('cookie', `web1.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined();
    expect(signer.verify('cookie', `web1.${mac}x`)).toBeUndefined();
    expect(signer.verify('cookie', `web1.${mac.slice(1)}`)).toBeUndefined();
    expect(signer.verify('url', token)).toBeUndefined();
    expect(new ServerTokenSigner(`${secret}!`).verify('cookie', token)).toBeUndefined();
  });

  it('refuses malformed tokens without throwing', () => {
    const signer = new ServerTokenSigner(secret);
    for (const junk of [
      '',
      '.',
      'web1.',
      '.AAAAAAAAAAAAAAAAAAAAAA',
      'we b1.AAAAAAAAAAAAAAAAAAAAAA',
      'web1.!!!!!!!!!!!!!!!!!!!!!!',
      '\u0000.x',
    ]) {
      expect(signer.verify('cookie', junk)).toBeUndefined();
    }
  });
});
