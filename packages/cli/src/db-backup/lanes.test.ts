// inLanes: at most N at a time, every item once, and after a failure the ones under way
// finish while no new one starts.
import { describe, expect, it } from 'vitest';
import { inLanes, LaneTally } from './lanes.js';

const tick = (): Promise<void> => new Promise((resolveTick) => setImmediate(resolveTick));

describe('inLanes', () => {
  it('runs every item once, never more than the lanes at a time', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await inLanes([5, 1, 4, 2, 3], 2, async (item) => {
      running++;
      most = Math.max(most, running);
      for (let i = 0; i < item; i++) await tick();
      seen.push(item);
      running--;
    });
    expect(most).toBe(2);
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('after a failure starts nothing new, lets the ones under way finish, and throws the first error', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const failing = inLanes([1, 2, 3, 4], 2, async (item) => {
      started.push(item);
      if (item === 1) throw new Error('item 1 is damaged');
      for (let i = 0; i < 5; i++) await tick();
      finished.push(item);
    });
    await expect(failing).rejects.toThrow('item 1 is damaged');
    expect(started).toEqual([1, 2]);
    expect(finished).toEqual([2]);
  });
});

describe('LaneTally', () => {
  it('counts the finished files and the parts of those under way; a file given up counts for nothing', () => {
    const tally = new LaneTally();
    expect(tally.progress('a', 10)).toBe(10);
    expect(tally.progress('b', 5)).toBe(15);
    expect(tally.progress('a', 30)).toBe(35);
    tally.settle('a', 40);
    expect(tally.progress('b', 7)).toBe(47);
    tally.settle('b', undefined);
    expect({ bytes: tally.bytes, files: tally.files }).toEqual({ bytes: 40, files: 1 });
  });
});
