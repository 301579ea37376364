import { describe, expect, it } from 'vitest';
import { WeightedRoundRobin } from './weighted-round-robin.js';
import { counts, pickSequence, servers } from './test-servers.test-support.js';

describe('smooth weighted round robin', () => {
  it('follows nginx: weights 5,1,1 give a a b a c a a', () => {
    const pool = servers({ id: 'a', weight: 5 }, { id: 'b', weight: 1 }, { id: 'c', weight: 1 });
    const balancer = new WeightedRoundRobin(pool);
    const sequence = pickSequence((request) => balancer.pick(request), 14);
    expect(sequence.join(' ')).toBe('a a b a c a a a a b a c a a');
  });

  it('plain round robin with equal weights', () => {
    const balancer = new WeightedRoundRobin(servers('a', 'b', 'c'));
    expect(pickSequence((request) => balancer.pick(request), 6).join(' ')).toBe('a b c a b c');
  });

  it('holds each server exactly weight times in every full cycle', () => {
    const pool = servers({ id: 'a', weight: 3 }, { id: 'b', weight: 2 }, { id: 'c', weight: 7 });
    const balancer = new WeightedRoundRobin(pool);
    for (let cycle = 0; cycle < 5; cycle++) {
      expect(counts(pickSequence((request) => balancer.pick(request), 12))).toEqual({ a: 3, b: 2, c: 7 });
    }
  });

  it('skips servers that are down, drained or in maintenance, and answers undefined when none is left', () => {
    const pool = servers('a', 'b', 'c', 'd');
    pool[1].setStateInternal('down');
    pool[2].setStateInternal('drain');
    pool[3].setStateInternal('maintenance');
    const balancer = new WeightedRoundRobin(pool);
    expect(counts(pickSequence((request) => balancer.pick(request), 4))).toEqual({ a: 4 });
    pool[0].setStateInternal('down');
    expect(pickSequence((request) => balancer.pick(request), 1)).toEqual(['-']);
  });

  it('follows a weight change at the next pick', () => {
    const pool = servers('a', 'b');
    const balancer = new WeightedRoundRobin(pool);
    pickSequence((request) => balancer.pick(request), 2);
    pool[0].weight = 3;
    expect(counts(pickSequence((request) => balancer.pick(request), 8))).toEqual({ a: 6, b: 2 });
  });
});
