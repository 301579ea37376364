import { describe, expect, it } from 'vitest';
import { privateCacheControl, removeCookie, setsCookie } from '../persistence/cookies.js';
import { downstreamResponseHeaders, inspectRequestHead, upstreamRequestHeaders } from './forward-headers.js';
import { framingProblem } from '../http-proxy.js';
import { TrustedProxies } from '../trusted-proxies.js';

function pairs(raw: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let index = 0; index < raw.length; index += 2) out.push([raw[index], raw[index + 1]]);
  return out;
}

const base = {
  proto: 'http',
  stripCookie: undefined,
  removeCookie,
  chunked: false,
  upgrade: undefined,
  urlToken: undefined,
};

describe('request headers on the way up', () => {
  const raw = [
    'Host',
    'shop.example.com',
    'Connection',
    'keep-alive, X-Secret-Hop',
    'X-Secret-Hop',
    'drop me',
    'Keep-Alive',
    'timeout=5',
    'Proxy-Authorization',
    'Basic x',
    'Proxy',
    'http://evil:3128',
    'TE',
    'trailers',
    'Upgrade',
    'h2c',
    'X-Forwarded-For',
    '198.51.100.9',
    'X-Forwarded-Proto',
    'https',
    'Forwarded',
    'for=198.51.100.9',
    'Cookie',
    'a=1; TANDEMLB=web1.x; b=2',
    'Accept',
    'text/html',
  ];

  it('drops hop-by-hop headers and replaces forwarding headers from an untrusted peer', () => {
    const head = inspectRequestHead(raw);
    const out = pairs(
      upstreamRequestHeaders(raw, head, { ...base, peerTrusted: false, peer: '192.0.2.10', stripCookie: 'TANDEMLB' }),
    );
    expect(out).toEqual([
      ['Host', 'shop.example.com'],
      ['Cookie', 'a=1; b=2'],
      ['Accept', 'text/html'],
      ['X-Forwarded-For', '192.0.2.10'],
      ['X-Forwarded-Proto', 'http'],
      ['X-Forwarded-Host', 'shop.example.com'],
    ]);
  });

  it('appends to the forwarding headers of a trusted proxy', () => {
    const head = inspectRequestHead(raw);
    const out = pairs(upstreamRequestHeaders(raw, head, { ...base, peerTrusted: true, peer: '10.0.0.5' }));
    expect(out).toContainEqual(['X-Forwarded-For', '198.51.100.9, 10.0.0.5']);
    expect(out).toContainEqual(['X-Forwarded-Proto', 'https']);
    expect(out).toContainEqual(['Forwarded', 'for=198.51.100.9']);
  });

  it('keeps Upgrade only for an upgrade, and states the body framing itself', () => {
    const head = inspectRequestHead(['Host', 'h', 'Transfer-Encoding', 'chunked']);
    expect(
      pairs(
        upstreamRequestHeaders(['Host', 'h', 'Transfer-Encoding', 'chunked'], head, {
          ...base,
          peerTrusted: false,
          peer: '1.2.3.4',
          chunked: true,
        }),
      ),
    ).toContainEqual(['Transfer-Encoding', 'chunked']);
    const upgrade = pairs(
      upstreamRequestHeaders(raw, inspectRequestHead(raw), {
        ...base,
        peerTrusted: false,
        peer: '1.2.3.4',
        upgrade: 'websocket',
      }),
    );
    expect(upgrade).toContainEqual(['Connection', 'Upgrade']);
    expect(upgrade).toContainEqual(['Upgrade', 'websocket']);
    expect(upgrade.filter(([name]) => name.toLowerCase() === 'upgrade')).toHaveLength(1);
  });
});

describe('response headers on the way down', () => {
  it('drops hop-by-hop headers, keeps the application cookies, appends ours and makes it private', () => {
    const raw = [
      'Content-Type',
      'text/html',
      'Set-Cookie',
      'session=abc; Path=/',
      'Set-Cookie',
      'TANDEMLB=forged; Path=/',
      'Cache-Control',
      'public, max-age=60',
      'Connection',
      'keep-alive',
      'Transfer-Encoding',
      'chunked',
    ];
    const { headers, cookieConflict } = downstreamResponseHeaders(raw, {
      cookieName: 'TANDEMLB',
      setCookie: 'TANDEMLB=web1.mac; Path=/',
      privateCacheControl,
      setsCookie,
      upgrade: false,
    });
    expect(cookieConflict).toBe(true);
    expect(pairs(headers)).toEqual([
      ['Content-Type', 'text/html'],
      ['Set-Cookie', 'session=abc; Path=/'],
      ['Set-Cookie', 'TANDEMLB=web1.mac; Path=/'],
      ['Cache-Control', 'private, max-age=60'],
    ]);
  });
});

describe('framing checks and trusted proxies', () => {
  it('refuses ambiguous framing', () => {
    expect(framingProblem(inspectRequestHead(['Transfer-Encoding', 'chunked', 'Content-Length', '3']))).toMatch(/both/);
    expect(framingProblem(inspectRequestHead(['Content-Length', '3', 'Content-Length', '3']))).toMatch(/more than one/);
    expect(framingProblem(inspectRequestHead(['Transfer-Encoding', 'gzip']))).toMatch(/chunked/);
    expect(framingProblem(inspectRequestHead(['Content-Length', '+3']))).toMatch(/not a number/);
    expect(framingProblem(inspectRequestHead(['Transfer-Encoding', 'gzip, chunked']))).toMatch(
      /only chunked is supported/,
    );
    expect(framingProblem(inspectRequestHead(['Content-Length', '12']))).toBeUndefined();
  });

  it('takes the client address from X-Forwarded-For only behind a trusted proxy', () => {
    const trusted = new TrustedProxies(['10.0.0.0/8', '::1']);
    expect(trusted.clientAddress('192.0.2.1', '198.51.100.1')).toBe('192.0.2.1');
    expect(trusted.clientAddress('10.1.2.3', '203.0.113.5, 198.51.100.1, 10.9.9.9')).toBe('198.51.100.1');
    expect(trusted.clientAddress('::1', '10.0.0.1, 10.0.0.2')).toBe('10.0.0.1');
    expect(trusted.isTrusted('11.0.0.1')).toBe(false);
  });
});
