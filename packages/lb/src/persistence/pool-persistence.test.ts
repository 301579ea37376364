import { describe, expect, it } from 'vitest';
import { ManualClock } from '@tandem/testkit';
import { BackendServer } from '../backend-server.js';
import { parseConfig } from '../config.js';
import { PoolPersistence } from './pool-persistence.js';

const config = parseConfig(`
listeners: [{ name: web, protocol: http, port: 8080, defaultPool: web }]
pools:
  web:
    persistence: { kinds: [source-ip] }
    servers: [{ id: s1, host: 127.0.0.1, port: 1 }, { id: s2, host: 127.0.0.1, port: 2 }, { id: s3, host: 127.0.0.1, port: 3 }]
`);

function servers(): BackendServer[] {
  return config.pools.web.servers.map((server) => new BackendServer(server, 'web'));
}

function lookup(persistence: PoolPersistence, clientAddress: string): string | undefined {
  return persistence.lookup({ clientAddress, cookieHeaders: [], urlToken: undefined })[0]?.serverId;
}

describe('source-IP persistence in cluster mode (consistent hash)', () => {
  it('binds an address to the same server in every worker, with no table and no messages', () => {
    const clients = Array.from({ length: 200 }, (_, index) => `198.51.100.${index % 250}`);
    const workerA = new PoolPersistence(config.pools.web.persistence, undefined, new ManualClock(), servers());
    const workerB = new PoolPersistence(config.pools.web.persistence, undefined, new ManualClock(), servers());
    const bound = clients.map((client) => lookup(workerA, client));
    expect(clients.map((client) => lookup(workerB, client))).toEqual(bound);
    expect(new Set(bound)).toEqual(new Set(['s1', 's2', 's3']));
  });

  it('moves only the clients of a server that is down, and passes over maintenance', () => {
    const members = servers();
    const persistence = new PoolPersistence(config.pools.web.persistence, undefined, new ManualClock(), members);
    const clients = Array.from({ length: 200 }, (_, index) => `203.0.113.${index}`);
    const before = clients.map((client) => lookup(persistence, client));
    members[1].setStateInternal('down');
    const after = clients.map((client) => lookup(persistence, client));
    clients.forEach((_, index) => {
      if (before[index] === 's2') expect(after[index]).not.toBe('s2');
      else expect(after[index]).toBe(before[index]);
    });
  });

  it('keeps the session table in the single-process mode', () => {
    const members = servers();
    const persistence = new PoolPersistence(config.pools.web.persistence, undefined, new ManualClock());
    expect(lookup(persistence, '192.0.2.1')).toBeUndefined();
    persistence.remember('192.0.2.1', members[2]);
    expect(lookup(persistence, '192.0.2.1')).toBe('s3');
  });
});
