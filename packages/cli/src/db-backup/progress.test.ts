// The progress bar: drawn on a terminal only, at most every 100 ms, with bytes, rate and file.
import { describe, expect, it } from 'vitest';
import { ByteProgress, formatRate, formatThroughput, renderBar, renderByteProgress } from './progress.js';

describe('backup progress', () => {
  it('renders a bar, the bytes, the rate and the file', () => {
    expect(renderBar(0, 100, 10)).toBe('[..........]   0%');
    expect(renderBar(50, 100, 10)).toBe('[#####.....]  50%');
    expect(renderBar(7, 0, 10)).toBe('[##########] 100%');
    expect(
      renderByteProgress(
        'tandem db backup',
        { phase: 'copying', bytes: 50e6, totalBytes: 200e6, files: 1, totalFiles: 4, current: 'usr001.dtf' },
        2,
      ),
    ).toBe(
      'tandem db backup: copying [######..................]  25% 50.0 MB/200.0 MB, 25.0 MB/s, file 2/4 usr001.dtf',
    );
    expect(formatRate(1e6, 0.01)).toBe('-');
    expect(formatThroughput(1.5e9, 8, 3)).toBe('1.5 GB in 8 files, 3.0 s, 500.0 MB/s');
    expect(formatThroughput(10, 1, 0)).toBe('10 bytes in 1 file, 0.0 s, -');
  });

  it('draws nothing off a terminal, and redraws at most every 100 ms', () => {
    const state = { phase: 'copying', bytes: 1, totalBytes: 2, files: 0, totalFiles: 1 };
    new ByteProgress('x', undefined).update(state, true);
    let now = 0;
    const drawn: string[] = [];
    const progress = new ByteProgress(
      'x',
      (text) => drawn.push(text),
      () => now,
    );
    progress.update(state);
    now = 50;
    progress.update(state);
    now = 150;
    progress.update(state);
    expect(drawn).toHaveLength(2);
    expect(drawn[0].startsWith('\r\x1b[2Kx: copying ')).toBe(true);
    progress.clear();
    expect(drawn.at(-1)).toBe('\r\x1b[2K');
  });
});
