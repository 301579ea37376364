// The health checker's core on a ManualClock with a scripted prober: exact check counts for
// fall and rise, timeouts, jitter, the hand-over from passive detection, and slow start.
import { describe, expect, it } from 'vitest';
import { SeededRandom, type ManualClock } from '@tandem/testkit';
import { SLOW_START_FLOOR } from '../backend-server.js';
import type { HealthConfig } from '../config.js';
import { EventLog } from '../log.js';
import { PassiveFailureDetector } from '../passive-detector.js';
import { poolRig } from '../../test/pool-rig.js';
import { HealthChecker } from './health-checker.js';
import type { Prober, ProbeResult, ProbeTarget } from './probe.js';

type Script = ProbeResult | 'hang';

/** Answers each probe from the server's current script entry; 'hang' resolves only on abort. */
class ScriptedProber implements Prober {
  readonly answers = new Map<string, Script>();
  readonly probes: Array<{ serverId: string; atMs: number }> = [];
  aborted = 0;
  constructor(readonly clock: ManualClock) {}
  probe(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
    this.probes.push({ serverId: target.serverId, atMs: this.clock.monotonicMs() });
    const answer = this.answers.get(target.serverId) ?? { ok: true, detail: 'status 200' };
    if (answer !== 'hang') return Promise.resolve(answer);
    return new Promise((resolve) =>
      signal.addEventListener('abort', () => {
        this.aborted++;
        resolve({ ok: false, detail: 'aborted' });
      }),
    );
  }
}

const OK: ProbeResult = { ok: true, detail: 'status 200' };
const REFUSED: ProbeResult = { ok: false, detail: 'ECONNREFUSED' };

function setup(health: Record<string, unknown> = {}, states: string[] = ['up', 'up']) {
  const { clock, lines, log, directory, config, servers } = poolRig({
    servers: states.map((state, index) => ({ id: `s${index + 1}`, host: '127.0.0.1', port: 1000 + index, state })),
    health: { intervalMs: 1000, timeoutMs: 500, rise: 2, fall: 3, jitterPercent: 0, ...health },
    passive: { consecutiveFailures: 2, downMs: 5000 },
  });
  const prober = new ScriptedProber(clock);
  const checker = new HealthChecker({ clock, random: new SeededRandom(7), control: directory, log, prober });
  const healthConfig = config.pools.p.health as HealthConfig;
  checker.sync([...servers.values()].map((server) => ({ server, health: healthConfig })));
  /** Moves time in steps, letting probe promises settle between them. Bounded by `ms`. */
  const run = async (ms: number): Promise<void> => {
    for (let step = 0; step < ms; step += 10) {
      clock.advance(10);
      for (let tick = 0; tick < 5; tick++) await Promise.resolve();
    }
  };
  const checksOf = (id: string): number => checker.status(id)?.checks ?? 0;
  return { clock, lines, directory, servers, prober, checker, run, checksOf, config };
}

describe('active health checks (core)', () => {
  it('marks a server down after exactly `fall` failed checks, and back up after exactly `rise` passed ones', async () => {
    const { directory, prober, checker, run, checksOf, lines } = setup();
    await run(1000); // one check each, all pass
    expect(checksOf('s1')).toBe(1);
    prober.answers.set('s1', REFUSED);
    // Bounded: fall is 3, so at most a few intervals.
    let guard = 0;
    while (checker.status('s1')!.consecutiveFailures < 2 && guard++ < 10) await run(1000);
    expect(directory.get('s1')!.state).toBe('up'); // two failures: not yet
    const before = checksOf('s1');
    while (checksOf('s1') === before && guard++ < 20) await run(100);
    expect(checker.status('s1')).toMatchObject({ healthy: false, consecutiveFailures: 3 });
    expect(directory.get('s1')!.state).toBe('down');
    expect(directory.get('s2')!.state).toBe('up');
    expect(
      lines.some((line) =>
        /\[warning\] TLB-3104 server s1 .*3 consecutive http checks failed, last: ECONNREFUSED/.test(line),
      ),
    ).toBe(true);

    prober.answers.set('s1', OK);
    const failedAt = checksOf('s1');
    while (checksOf('s1') < failedAt + 1 && guard++ < 30) await run(100);
    expect(directory.get('s1')!.state).toBe('down'); // one success: not yet
    while (checksOf('s1') < failedAt + 2 && guard++ < 40) await run(100);
    expect(directory.get('s1')!.state).toBe('up');
    expect(checker.status('s1')).toMatchObject({ healthy: true, consecutiveSuccesses: 2 });
    expect(lines.some((line) => /TLB-3105 server s1 .*2 consecutive http checks passed/.test(line))).toBe(true);
  });

  it('a check without an answer fails at timeoutMs, and its probe is aborted', async () => {
    const { directory, prober, checker, run } = setup({ fall: 2 });
    prober.answers.set('s2', 'hang');
    await run(3000);
    expect(checker.status('s2')).toMatchObject({ healthy: false, lastDetail: 'timeout after 500 ms' });
    expect(prober.aborted).toBeGreaterThanOrEqual(2);
    expect(directory.get('s2')!.state).toBe('down');
  });

  it('starts checks every intervalMs, varied by at most the jitter, and the same seed gives the same times', async () => {
    const times = async (): Promise<number[]> => {
      const { prober, run } = setup({ jitterPercent: 20 }, ['up']);
      await run(20_000);
      return prober.probes.map((probe) => probe.atMs);
    };
    const first = await times();
    expect(first).toEqual(await times());
    for (let index = 1; index < first.length; index++) {
      const gap = first[index] - first[index - 1];
      // Steps of 10 ms round the gap up by at most one step.
      expect(gap).toBeGreaterThanOrEqual(800);
      expect(gap).toBeLessThanOrEqual(1210);
    }
    expect(new Set(first.slice(1).map((time, index) => time - first[index])).size).toBeGreaterThan(1);
  });

  it('takes over revival from passive detection: a server passive detection marked down returns after `rise` checks', async () => {
    const { clock, directory, servers, prober, checker, run, lines } = setup();
    const passive = new PassiveFailureDetector({
      clock,
      control: directory,
      log: new EventLog(clock, (line) => lines.push(line)),
      configFor: () => ({ consecutiveFailures: 2, downMs: 5000, on5xx: true }),
      revive: (server) => !checker.checks(server.id),
    });
    await run(1000);
    const s1 = servers.get('s1')!;
    passive.reportFailure(s1, 'connect', 'ECONNREFUSED');
    passive.reportFailure(s1, 'connect', 'ECONNREFUSED');
    expect(directory.get('s1')!.state).toBe('down');
    expect(checker.status('s1')).toMatchObject({ healthy: false, consecutiveSuccesses: 0 });
    expect(lines.some((line) => /back when health checks pass/.test(line))).toBe(true);
    // The probe still fails for a while: passive's downMs passes, and nothing revives it.
    prober.answers.set('s1', REFUSED);
    await run(8000);
    expect(directory.get('s1')!.state).toBe('down');
    prober.answers.set('s1', OK);
    const before = checker.status('s1')!.checks;
    let guard = 0;
    while (checker.status('s1')!.checks < before + 2 && guard++ < 50) await run(100);
    expect(directory.get('s1')!.state).toBe('up');
    // Passive detection counts afresh after the checker's revival.
    passive.reportFailure(s1, 'connect', 'ECONNREFUSED');
    expect(passive.consecutiveFailures(s1)).toBe(1);
    passive.close();
  });

  it('restores drain after a down period, and leaves maintenance alone', async () => {
    const { directory, prober, checker, run } = setup({ fall: 1, rise: 1 }, ['drain', 'maintenance']);
    prober.answers.set('s1', REFUSED);
    prober.answers.set('s2', REFUSED);
    await run(2000);
    expect(directory.get('s1')!.state).toBe('down');
    expect(directory.get('s2')!.state).toBe('maintenance');
    expect(checker.status('s2')!.healthy).toBe(false);
    prober.answers.set('s1', OK);
    await run(2000);
    expect(directory.get('s1')!.state).toBe('drain');
  });

  it('an operator who sets a failing server ready sees it marked down again at the next check', async () => {
    const { directory, prober, checker, run } = setup({ fall: 1 });
    prober.answers.set('s1', REFUSED);
    await run(1000);
    expect(directory.get('s1')!.state).toBe('down');
    directory.setState('s1', 'up', 'operator');
    const before = checker.status('s1')!.checks;
    let guard = 0;
    while (checker.status('s1')!.checks === before && guard++ < 20) await run(100);
    expect(directory.get('s1')!.state).toBe('down');
  });

  it('slow start ramps the effective weight after a recovery', async () => {
    const { directory, servers, prober, run } = setup({ fall: 1, rise: 1, slowStartMs: 10_000 });
    const s1 = servers.get('s1')!;
    directory.setWeight('s1', 10, 'test');
    prober.answers.set('s1', REFUSED);
    await run(1000);
    expect(s1.state).toBe('down');
    prober.answers.set('s1', OK);
    let guard = 0;
    while (s1.state === 'down' && guard++ < 20) await run(100);
    expect(s1.state).toBe('up');
    const weights: number[] = [s1.effectiveWeight];
    for (let step = 0; step < 5; step++) {
      // Through run(), so the checks that fall due meanwhile get their (passing) answers.
      await run(2500);
      weights.push(s1.effectiveWeight);
    }
    expect(weights[0]).toBeGreaterThanOrEqual(10 * SLOW_START_FLOOR);
    expect(weights[0]).toBeLessThan(1.5);
    for (let index = 1; index < weights.length; index++)
      expect(weights[index]).toBeGreaterThanOrEqual(weights[index - 1]);
    expect(weights[2]).toBeGreaterThan(4);
    expect(weights[2]).toBeLessThan(6.5);
    expect(weights.at(-1)).toBe(10);
    expect(s1.slowStartFraction).toBe(1);
  });

  it('stops: no timers left, probes in flight aborted', async () => {
    const { clock, prober, checker, run } = setup();
    prober.answers.set('s1', 'hang');
    await run(1000);
    checker.stop();
    expect(clock.pendingTimers).toBe(0);
    expect(prober.aborted).toBeGreaterThanOrEqual(1);
  });
});
