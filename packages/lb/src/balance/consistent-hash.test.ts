import { describe, expect, it } from 'vitest';
import { ConsistentHashRing, SourceHash } from './consistent-hash.js';
import { counts, servers } from './test-servers.test-support.js';

function clients(count: number): string[] {
  const addresses: string[] = [];
  for (let index = 0; index < count; index++)
    addresses.push(`10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`);
  return addresses;
}

const always = (): boolean => true;

describe('source-IP consistent hashing', () => {
  it('sends a client to the same server every time', () => {
    const balancer = new SourceHash(servers('a', 'b', 'c'));
    for (const client of clients(50)) {
      const first = balancer.pick({ clientAddress: client, isCandidate: always })?.id;
      for (let repeat = 0; repeat < 3; repeat++)
        expect(balancer.pick({ clientAddress: client, isCandidate: always })?.id).toBe(first);
    }
  });

  it('spreads clients about evenly, and by weight', () => {
    const even = new ConsistentHashRing(servers('a', 'b', 'c'));
    const spread = counts(clients(30_000).map((client) => even.lookup(client, always)?.id ?? '-'));
    for (const id of ['a', 'b', 'c']) expect(spread[id]).toBeGreaterThan(8_000);
    const weighted = new ConsistentHashRing(servers({ id: 'a', weight: 3 }, { id: 'b', weight: 1 }));
    const share = counts(clients(30_000).map((client) => weighted.lookup(client, always)?.id ?? '-'));
    expect(share.a / 30_000).toBeGreaterThan(0.68);
    expect(share.a / 30_000).toBeLessThan(0.82);
  });

  it('adding a fourth server moves about a quarter of the clients, all of them to the new server', () => {
    const before = new ConsistentHashRing(servers('a', 'b', 'c'));
    const after = new ConsistentHashRing(servers('a', 'b', 'c', 'd'));
    const population = clients(20_000);
    let moved = 0;
    for (const client of population) {
      const from = before.lookup(client, always)?.id;
      const to = after.lookup(client, always)?.id;
      if (from !== to) {
        moved++;
        expect(to).toBe('d');
      }
    }
    expect(moved / population.length).toBeGreaterThan(0.17);
    expect(moved / population.length).toBeLessThan(0.33);
  });

  it('a server going down moves only its own clients, and they come back when it returns', () => {
    const pool = servers('a', 'b', 'c', 'd');
    const ring = new ConsistentHashRing(pool);
    const population = clients(5_000);
    const home = new Map(population.map((client) => [client, ring.lookup(client, (server) => server.acceptsNew)?.id]));
    pool[1].setStateInternal('down');
    for (const client of population) {
      const now = ring.lookup(client, (server) => server.acceptsNew)?.id;
      if (home.get(client) === 'b') expect(now).not.toBe('b');
      else expect(now).toBe(home.get(client));
    }
    pool[1].setStateInternal('up');
    for (const client of population)
      expect(ring.lookup(client, (server) => server.acceptsNew)?.id).toBe(home.get(client));
  });

  it('answers undefined when no server can take the client', () => {
    const ring = new ConsistentHashRing(servers('a', 'b'));
    expect(ring.lookup('192.0.2.7', () => false)).toBeUndefined();
  });
});
