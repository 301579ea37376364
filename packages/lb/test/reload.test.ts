// Reload without dropping connections: requests in flight finish, kept-alive connections
// carry on under the new configuration, listeners come and go, server state survives.
import { describe, expect, it } from 'vitest';
import { Agent } from 'node:http';
import { validateConfig } from '../src/index.js';
import { cleanupAfterEach, echo, eventually, get, hold, serversOf, type Backend } from './harness.js';

const cleanups = cleanupAfterEach();
const backends = cleanups.backends;

function configFor(servers: Backend[], extraListeners: unknown[] = []): Record<string, unknown> {
  return {
    listeners: [{ name: 'web', protocol: 'http', host: '127.0.0.1', port: 0, defaultPool: 'web' }, ...extraListeners],
    pools: { web: { servers: serversOf(...servers) } },
  };
}

describe('reload', () => {
  it('finishes requests in flight on the old pool, and sends the next request on the same connection to the new one', async () => {
    const [old] = await backends(hold, 'old');
    const [fresh] = await backends(echo, 'fresh');
    const lb = await cleanups.startLb(configFor([old]));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const warm = get(lb.port(), '/warm', {}, agent);
    expect(await eventually(() => old.held.length === 1)).toBe(true);
    const inFlight = get(lb.port(), '/in-flight');
    expect(await eventually(() => old.held.length === 2)).toBe(true);
    await lb.lb.reload(validateConfig(configFor([fresh])));
    old.release();
    const [warmReply, inFlightReply] = await Promise.all([warm, inFlight]);
    expect(warmReply.server).toBe('old');
    expect(inFlightReply.server).toBe('old');
    // The kept-alive connection survived the reload and now reaches the new pool.
    const next = await get(lb.port(), '/next', {}, agent);
    expect(next.server).toBe('fresh');
    expect(await lb.lb.clientConnections()).toBe(1);
    agent.destroy();
    expect(lb.logs.some((line) => line.includes('[notice] configuration reloaded'))).toBe(true);
  });

  it('starts new listeners, stops removed ones, and keeps the port of listeners that stay', async () => {
    const [a] = await backends(echo, 'a');
    const lb = await cleanups.startLb(configFor([a]));
    const port = lb.port();
    const extra = { name: 'admin-side', protocol: 'http', host: '127.0.0.1', port: 0, defaultPool: 'web' };
    await lb.lb.reload(validateConfig(configFor([a], [extra])));
    expect(lb.port()).toBe(port);
    expect((await get(lb.port('admin-side'))).server).toBe('a');
    const extraPort = lb.port('admin-side');
    await lb.lb.reload(validateConfig(configFor([a])));
    expect(lb.lb.listeners.map((listener) => listener.name)).toEqual(['web']);
    await expect(get(extraPort)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('keeps the state an operator set on servers that stay', async () => {
    const [a, b] = await backends(echo, 'a', 'b');
    const lb = await cleanups.startLb(configFor([a, b]));
    lb.lb.servers.setState('a', 'maintenance', 'operator');
    await lb.lb.reload(validateConfig(configFor([a, b])));
    expect(lb.lb.servers.get('a')?.state).toBe('maintenance');
    for (let index = 0; index < 3; index++) expect((await get(lb.port())).server).toBe('b');
  });

  it('refuses a reload whose new listener cannot bind, and keeps serving the old configuration', async () => {
    const [a] = await backends(echo, 'a');
    const lb = await cleanups.startLb(configFor([a]));
    const taken = { name: 'clash', protocol: 'http', host: '127.0.0.1', port: lb.port(), defaultPool: 'web' };
    await expect(lb.lb.reload(validateConfig(configFor([a], [taken])))).rejects.toThrow(
      /TLB-2001: listener clash cannot listen/,
    );
    expect((await get(lb.port())).server).toBe('a');
    expect(lb.logs.some((line) => line.includes('[error] reload refused'))).toBe(true);
  });
});
