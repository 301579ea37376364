import { describe, expect, it } from 'vitest';
import { ManualClock, SeededRandom, seedFromEnvironment } from '@tandem/testkit';
import { ResponseTime } from './response-time.js';
import { counts, servers } from './test-servers.test-support.js';

const seed = seedFromEnvironment();

describe(`response time (TANDEM_SEED=${seed})`, () => {
  it('tries unsampled servers first, then prefers the fast one', () => {
    const clock = new ManualClock();
    const pool = servers('fast', 'slow');
    const balancer = new ResponseTime(pool, { clock, random: new SeededRandom(seed) });
    const latencyMs: Record<string, number> = { fast: 2, slow: 80 };
    const picks: string[] = [];
    for (let index = 0; index < 100; index++) {
      const server = balancer.pick({ clientAddress: 'x', isCandidate: () => true });
      if (server === undefined) throw new Error('no pick');
      picks.push(server.id);
      clock.advance(10);
      balancer.observeLatency(server, latencyMs[server.id]);
    }
    const result = counts(picks);
    expect(result.slow).toBeGreaterThanOrEqual(1); // probed at least once
    expect(result.fast).toBeGreaterThanOrEqual(95);
  });

  it('weighs requests in flight: a fast server with many held requests loses to a slower idle one', () => {
    const clock = new ManualClock();
    const pool = servers('fast', 'slow');
    const balancer = new ResponseTime(pool, { clock, random: new SeededRandom(seed) });
    balancer.observeLatency(pool[0], 10);
    balancer.observeLatency(pool[1], 30);
    for (let index = 0; index < 5; index++) pool[0].begin(); // cost (10+1)*6 = 66 > (30+1)*1
    expect(balancer.pick({ clientAddress: 'x', isCandidate: () => true })?.id).toBe('slow');
  });

  it('reacts to a slowdown at once (peak) and forgets a bad average with time (decay)', () => {
    const clock = new ManualClock();
    const pool = servers('a', 'b');
    const balancer = new ResponseTime(pool, { clock, random: new SeededRandom(seed) }, { halfLifeMs: 1000 });
    balancer.observeLatency(pool[0], 5);
    balancer.observeLatency(pool[0], 500);
    expect(balancer.latencyEstimateMs(pool[0])).toBe(500);
    balancer.observeLatency(pool[0], 100);
    expect(balancer.latencyEstimateMs(pool[0])).toBeCloseTo(500 + 0.3 * (100 - 500));
    clock.advance(1000);
    expect(balancer.latencyEstimateMs(pool[0])).toBeCloseTo((500 + 0.3 * (100 - 500)) / 2);
    balancer.observeLatency(pool[1], 20);
    // After long enough without samples the slow server costs less than the fast one's live average: it is probed.
    clock.advance(10_000);
    balancer.observeLatency(pool[1], 20);
    expect(balancer.pick({ clientAddress: 'x', isCandidate: () => true })?.id).toBe('a');
  });

  it('spreads by weight and cost across many servers with two random choices, from a seed', () => {
    const run = (): Record<string, number> => {
      const clock = new ManualClock();
      const pool = servers('a', 'b', 'c', 'd', 'e');
      const balancer = new ResponseTime(pool, { clock, random: new SeededRandom(seed) });
      const latencyMs = [5, 5, 5, 5, 200];
      const picks: string[] = [];
      for (let index = 0; index < 500; index++) {
        const server = balancer.pick({ clientAddress: 'x', isCandidate: (candidate) => candidate.acceptsNew });
        if (server === undefined) throw new Error('no pick');
        picks.push(server.id);
        clock.advance(1);
        balancer.observeLatency(server, latencyMs[pool.indexOf(server)]);
      }
      return counts(picks);
    };
    const first = run();
    expect(run()).toEqual(first); // the same seed replays the same choices
    expect(first.e ?? 0).toBeLessThan(30);
    for (const id of ['a', 'b', 'c', 'd']) expect(first[id]).toBeGreaterThan(80);
  });

  it('answers undefined when no server is a candidate', () => {
    const pool = servers('a', 'b', 'c');
    const balancer = new ResponseTime(pool, { clock: new ManualClock(), random: new SeededRandom(seed) });
    expect(balancer.pick({ clientAddress: 'x', isCandidate: () => false })).toBeUndefined();
    expect(balancer.pick({ clientAddress: 'x', isCandidate: (server) => server.id === 'c' })?.id).toBe('c');
  });
});
