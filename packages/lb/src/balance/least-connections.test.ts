import { describe, expect, it } from 'vitest';
import { LeastConnections } from './least-connections.js';
import { counts, pickSequence, servers } from './test-servers.test-support.js';

describe('least connections', () => {
  it('picks the server with the fewest requests in flight', () => {
    const pool = servers('a', 'b', 'c');
    pool[0].begin();
    pool[0].begin();
    pool[2].begin();
    const balancer = new LeastConnections(pool);
    expect(pickSequence((request) => balancer.pick(request), 1)).toEqual(['b']);
  });

  it('balances held requests evenly: each pick is held until the end', () => {
    const pool = servers('a', 'b', 'c');
    const balancer = new LeastConnections(pool);
    for (let index = 0; index < 30; index++) balancer.pick({ clientAddress: 'x', isCandidate: () => true })?.begin();
    expect(pool.map((server) => server.active)).toEqual([10, 10, 10]);
  });

  it('weighs connections: a weight-3 server holds three times as many', () => {
    const pool = servers({ id: 'a', weight: 3 }, { id: 'b', weight: 1 });
    const balancer = new LeastConnections(pool);
    for (let index = 0; index < 40; index++) balancer.pick({ clientAddress: 'x', isCandidate: () => true })?.begin();
    expect(pool.map((server) => server.active)).toEqual([30, 10]);
  });

  it('breaks ties by weighted round robin: an idle pool still spreads sequential requests by weight', () => {
    const pool = servers({ id: 'a', weight: 2 }, { id: 'b', weight: 1 }, { id: 'c', weight: 1 });
    const balancer = new LeastConnections(pool);
    expect(counts(pickSequence((request) => balancer.pick(request), 40))).toEqual({ a: 20, b: 10, c: 10 });
  });

  it('never picks a server that is not a candidate', () => {
    const pool = servers('a', 'b');
    pool[0].setStateInternal('down');
    pool[1].begin();
    const balancer = new LeastConnections(pool);
    expect(pickSequence((request) => balancer.pick(request), 3)).toEqual(['b', 'b', 'b']);
  });
});
