// ManualClock: simulations lean on its timer order and on wall and monotonic time moving apart.

import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';

describe('ManualClock', () => {
  it('fires timers in order of due time, then of creation', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    clock.setTimer(30, () => fired.push('c'));
    clock.setTimer(10, () => fired.push('a'));
    clock.setTimer(20, () => fired.push('b1'));
    clock.setTimer(20, () => fired.push('b2'));
    clock.setTimer(31, () => fired.push('late'));
    clock.advance(30);
    expect(fired).toEqual(['a', 'b1', 'b2', 'c']);
    expect(clock.monotonicMs()).toBe(30);
    expect(clock.pendingTimers).toBe(1);
  });

  it('runs a callback at its due time, and fires a timer it sets that falls due in the same advance', () => {
    const clock = new ManualClock();
    const firedAtMs: number[] = [];
    clock.setTimer(10, () => {
      firedAtMs.push(clock.monotonicMs());
      clock.setTimer(5, () => firedAtMs.push(clock.monotonicMs()));
    });
    clock.advance(100);
    expect(firedAtMs).toEqual([10, 15]);
    expect(clock.monotonicMs()).toBe(100);
  });

  it('does not fire a cancelled timer', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const cancelled = clock.setTimer(10, () => fired.push('cancelled'));
    clock.setTimer(10, () => fired.push('kept'));
    cancelled.cancel();
    expect(clock.pendingTimers).toBe(1);
    clock.advance(10);
    expect(fired).toEqual(['kept']);
  });

  it('resolves sleep only when time reaches it', async () => {
    const clock = new ManualClock();
    let woke = false;
    const sleeping = clock.sleep(50).then(() => {
      woke = true;
    });
    clock.advance(49);
    await Promise.resolve();
    expect(woke).toBe(false);
    clock.advance(1);
    await sleeping;
    expect(woke).toBe(true);
  });

  it('advanceToNextTimer jumps to the next due timer, and reports when none is left', () => {
    const clock = new ManualClock();
    let fired = 0;
    clock.setTimer(250, () => fired++);
    expect(clock.advanceToNextTimer()).toBe(true);
    expect(clock.monotonicMs()).toBe(250);
    expect(fired).toBe(1);
    expect(clock.advanceToNextTimer()).toBe(false);
  });

  it('stepWallClock moves wall time alone, and advance moves both', () => {
    const clock = new ManualClock({ startWallMs: 1_000_000 });
    expect(clock.nowMs()).toBe(1_000_000);
    clock.stepWallClock(-5000);
    expect(clock.nowMs()).toBe(995_000);
    expect(clock.monotonicMs()).toBe(0);
    clock.advance(10);
    expect(clock.nowMs()).toBe(995_010);
    expect(clock.monotonicMs()).toBe(10);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});
