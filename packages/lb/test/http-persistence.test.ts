// Stickiness for each persistence kind through the real proxy; forged and tampered tokens
// are ignored; a sticky client whose server goes down moves and is re-bound; drain.
import { describe, expect, it } from 'vitest';
import { ServerTokenSigner } from '../src/index.js';
import {
  cleanupAfterEach,
  echo,
  get,
  SECRET,
  serversOf,
  setCookieValue,
  type Backend,
  type Handler,
  type RunningLb,
} from './harness.js';

const cleanups = cleanupAfterEach();
const backends = cleanups.backends;

async function lbWith(
  servers: Backend[],
  persistence: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<RunningLb> {
  return cleanups.startLb({
    listeners: [{ name: 'web', protocol: 'http', host: '127.0.0.1', port: 0, defaultPool: 'web' }],
    pools: { web: { servers: serversOf(...servers), persistence } },
    secret: SECRET,
    ...extra,
  });
}

/** An application that sets its own cookie and a public cache policy on every response. */
const appWithCookies: Handler = (req, res, body, backend) => {
  const text = JSON.stringify({ server: backend.id, headers: req.headers, url: req.url, body });
  res.writeHead(200, [
    'Content-Type',
    'application/json',
    'Set-Cookie',
    'session=s-42; Path=/; HttpOnly',
    'Set-Cookie',
    'theme=dark',
    'Cache-Control',
    'public, max-age=300',
    'Content-Length',
    String(Buffer.byteLength(text)),
  ]);
  res.end(text);
};

describe('inserted cookie persistence', () => {
  it('binds a client to its first server, keeps the application cookies, and hides the cookie from the application', async () => {
    const [a, b, c] = await backends(appWithCookies, 'a', 'b', 'c');
    const lb = await lbWith([a, b, c], { kinds: ['cookie'] });
    const first = await get(lb.port());
    const cookie = setCookieValue(first, 'TANDEMLB');
    expect(cookie).toMatch(new RegExp(`^${first.server}\\.[A-Za-z0-9_-]{22}$`));
    expect(first.headers['set-cookie']).toEqual([
      'session=s-42; Path=/; HttpOnly',
      'theme=dark',
      `TANDEMLB=${cookie}; Path=/; HttpOnly; SameSite=Lax`,
    ]);
    expect(first.headers['cache-control']).toBe('private, max-age=300');
    for (let index = 0; index < 6; index++) {
      const reply = await get(lb.port(), '/next', { Cookie: `session=s-42; TANDEMLB=${cookie}; theme=dark` });
      expect(reply.server).toBe(first.server);
      // Already bound: no new cookie, and the application's response passes unchanged.
      expect(setCookieValue(reply, 'TANDEMLB')).toBeUndefined();
      expect(reply.headers['cache-control']).toBe('public, max-age=300');
      const seenBy = JSON.parse(reply.body) as { headers: Record<string, string> };
      expect(seenBy.headers.cookie).toBe('session=s-42; theme=dark');
    }
  });

  it('ignores forged and tampered cookies: the request is balanced and the client gets a genuine cookie', async () => {
    const [a, b] = await backends(echo, 'a', 'b');
    const lb = await lbWith([a, b], { kinds: ['cookie'] });
    const genuineForA = new ServerTokenSigner(SECRET).sign('cookie', 'a');
    const macOfA = genuineForA.slice(2);
    const forged = [
      'b', // a bare server id: a client choosing its server
      `b.${macOfA}`, // a's MAC on b's id
      `a.${macOfA.slice(0, -2)}zz`, // a tampered MAC
      new ServerTokenSigner('another-secret-of-sufficient-length-000').sign('cookie', 'b'), // signed with another key
      new ServerTokenSigner(SECRET).sign('url', 'b'), // a URL token offered as a cookie
    ];
    for (const value of forged) {
      const servers = new Set<string | undefined>();
      for (let index = 0; index < 4; index++) {
        const reply = await get(lb.port(), '/', { Cookie: `TANDEMLB=${value}` });
        servers.add(reply.server);
        const issued = setCookieValue(reply, 'TANDEMLB');
        expect(issued).toBe(new ServerTokenSigner(SECRET).sign('cookie', reply.server ?? '?'));
      }
      // Round robin carried on regardless of the forged cookie.
      expect([...servers].sort()).toEqual(['a', 'b']);
    }
  });

  it('moves a sticky client whose server is down to another server, with a new cookie', async () => {
    const [a, b] = await backends(echo, 'a', 'b');
    const lb = await lbWith([a, b], { kinds: ['cookie'] });
    const first = await get(lb.port());
    const home = first.server!;
    const cookie = setCookieValue(first, 'TANDEMLB')!;
    lb.lb.servers.setState(home, 'down', 'test');
    const moved = await get(lb.port(), '/', { Cookie: `TANDEMLB=${cookie}` });
    expect(moved.status).toBe(200);
    expect(moved.server).not.toBe(home);
    const newCookie = setCookieValue(moved, 'TANDEMLB');
    expect(newCookie).toBe(new ServerTokenSigner(SECRET).sign('cookie', moved.server!));
    // The new binding holds even after the old server returns.
    lb.lb.servers.setState(home, 'up', 'test');
    for (let index = 0; index < 3; index++)
      expect((await get(lb.port(), '/', { Cookie: `TANDEMLB=${newCookie}` })).server).toBe(moved.server);
  });

  it('drain keeps sticky clients on the server but sends it no new clients; maintenance moves everyone', async () => {
    const [a, b] = await backends(echo, 'a', 'b');
    const lb = await lbWith([a, b], { kinds: ['cookie'] });
    const cookieForA = new ServerTokenSigner(SECRET).sign('cookie', 'a');
    lb.lb.servers.setState('a', 'drain', 'test');
    for (let index = 0; index < 3; index++)
      expect((await get(lb.port(), '/', { Cookie: `TANDEMLB=${cookieForA}` })).server).toBe('a');
    for (let index = 0; index < 4; index++) expect((await get(lb.port())).server).toBe('b');
    lb.lb.servers.setState('a', 'maintenance', 'test');
    expect((await get(lb.port(), '/', { Cookie: `TANDEMLB=${cookieForA}` })).server).toBe('b');
  });

  it('warns when the application sets the persistence cookie itself, and the load balancer value wins', async () => {
    const rogue: Handler = (_req, res) => {
      res.writeHead(200, { 'Set-Cookie': ['TANDEMLB=app-value', 'ok=1'], 'Content-Length': 2 });
      res.end('ok');
    };
    const [a] = await backends(rogue, 'a');
    const lb = await lbWith([a], { kinds: ['cookie'] });
    const reply = await get(lb.port());
    expect(reply.headers['set-cookie']).toEqual([
      'ok=1',
      `TANDEMLB=${new ServerTokenSigner(SECRET).sign('cookie', 'a')}; Path=/; HttpOnly; SameSite=Lax`,
    ]);
    expect(
      lb.logs.some((line) => line.includes('[warning] TLB-3103 server a sets the persistence cookie TANDEMLB')),
    ).toBe(true);
  });
});

describe('URL token persistence', () => {
  it('hands the application its token, routes on a path or query token, and strips it from the URL', async () => {
    const [a, b, c] = await backends(echo, 'a', 'b', 'c');
    const lb = await lbWith([a, b, c], { kinds: ['url-token'] });
    const first = await get(lb.port(), '/shop');
    const seen = JSON.parse(first.body) as { headers: Record<string, string> };
    const token = seen.headers['x-tandem-lb-token'];
    expect(token).toBe(new ServerTokenSigner(SECRET).sign('url', first.server!));
    for (const path of [
      `/shop/cart;lbt=${token}/items?x=1`,
      `/shop/cart?lbt=${token}&x=1`,
      `/shop/cart?x=1&lbt=${encodeURIComponent(token)}`,
    ]) {
      for (let index = 0; index < 3; index++) {
        const reply = await get(lb.port(), path);
        expect(reply.server).toBe(first.server);
        expect((JSON.parse(reply.body) as { url: string }).url).not.toContain('lbt');
      }
    }
  });

  it('ignores a tampered token and a client-supplied token header', async () => {
    const [a, b] = await backends(echo, 'a', 'b');
    const lb = await lbWith([a, b], { kinds: ['url-token'] });
    const tokenForA = new ServerTokenSigner(SECRET).sign('url', 'a');
    const tampered = `b${tokenForA.slice(1)}`;
    const servers = new Set<string | undefined>();
    for (let index = 0; index < 4; index++) {
      const reply = await get(lb.port(), `/x;lbt=${tampered}`, { 'X-Tandem-Lb-Token': tampered });
      servers.add(reply.server);
      const seen = JSON.parse(reply.body) as { url: string; headers: Record<string, string> };
      expect(seen.url).toBe('/x');
      expect(seen.headers['x-tandem-lb-token']).toBe(new ServerTokenSigner(SECRET).sign('url', reply.server!));
    }
    expect([...servers].sort()).toEqual(['a', 'b']);
  });
});

describe('replicated-session cookie persistence', () => {
  it('routes to the primary, and to the secondary when the primary is down', async () => {
    const [a, b, c] = await backends(echo, 'a', 'b', 'c');
    const lb = await lbWith([a, b, c], { kinds: ['session-cookie'] });
    const cookie = { Cookie: 'JSESSIONID=Zx81q!c!b' };
    for (let index = 0; index < 4; index++) expect((await get(lb.port(), '/', cookie)).server).toBe('c');
    lb.lb.servers.setState('c', 'down', 'test');
    for (let index = 0; index < 4; index++) expect((await get(lb.port(), '/', cookie)).server).toBe('b');
    // The app cookie reaches the application untouched.
    const seen = JSON.parse((await get(lb.port(), '/', cookie)).body) as { headers: Record<string, string> };
    expect(seen.headers.cookie).toBe('JSESSIONID=Zx81q!c!b');
    lb.lb.servers.setState('b', 'down', 'test');
    expect((await get(lb.port(), '/', cookie)).server).toBe('a');
  });
});

describe('source-IP persistence', () => {
  it('keeps each client on the server its first request was balanced to', async () => {
    const [a, b, c] = await backends(echo, 'a', 'b', 'c');
    const lb = await lbWith([a, b, c], { kinds: ['source-ip'] }, { trustedProxies: ['127.0.0.0/8'] });
    const homes = new Map<string, string | undefined>();
    for (let client = 1; client <= 6; client++) {
      const headers = { 'X-Forwarded-For': `203.0.113.${client}` };
      const first = await get(lb.port(), '/', headers);
      homes.set(headers['X-Forwarded-For'], first.server);
      for (let index = 0; index < 3; index++) expect((await get(lb.port(), '/', headers)).server).toBe(first.server);
    }
    // First requests were balanced round robin: six clients, two per server.
    expect([...homes.values()].sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
  });

  it('does not believe X-Forwarded-For from an untrusted peer: every such client is the peer', async () => {
    const [a, b] = await backends(echo, 'a', 'b');
    const lb = await lbWith([a, b], { kinds: ['source-ip'] });
    const first = await get(lb.port(), '/', { 'X-Forwarded-For': '203.0.113.1' });
    const other = await get(lb.port(), '/', { 'X-Forwarded-For': '203.0.113.2' });
    expect(other.server).toBe(first.server);
    const seen = JSON.parse(other.body) as { headers: Record<string, string> };
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
  });
});
