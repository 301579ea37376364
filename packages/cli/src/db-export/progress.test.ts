// The progress line: what it says, and that it is redrawn at most every 100 ms of the clock
// it is given. (Off a terminal it draws nothing: the command tests see an empty stderr.)
import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatQuantity, Progress, renderProgress } from './progress.js';

describe('progress', () => {
  it('renders tables, rows and bytes, with totals when known', () => {
    expect(
      renderProgress('tandem db import', {
        phase: 'loading',
        done: 3,
        total: 12,
        rows: 1_002_311,
        rowsTotal: 2_000_000,
        bytes: 48_200_000,
        bytesTotal: 96_400_000,
        table: 'accounts',
      }),
    ).toBe('tandem db import: loading 3/12 tables, 1,002,311/2,000,000 rows, 48.2 MB/96.4 MB (accounts)');
    expect(renderProgress('tandem db import', { phase: 'creating', done: 4, total: 40, unit: 'statements' })).toBe(
      'tandem db import: creating 4/40 statements',
    );
    expect([formatQuantity(1, 'row'), formatQuantity(1200, 'row')]).toEqual(['1 row', '1,200 rows']);
    expect([formatCount(0), formatBytes(999), formatBytes(1000), formatBytes(1_234_567_890)]).toEqual([
      '0',
      '999 bytes',
      '1.0 kB',
      '1.2 GB',
    ]);
  });

  it('redraws in place at most every 100 ms, and clears the line before other output', () => {
    let now = 0;
    const written: string[] = [];
    const progress = new Progress(
      'tandem db export',
      (text) => written.push(text),
      () => now,
    );
    progress.update({ phase: 'copying', done: 0, total: 2, rows: 1 });
    now = 50;
    progress.update({ phase: 'copying', done: 0, total: 2, rows: 2 });
    now = 100;
    progress.update({ phase: 'copying', done: 0, total: 2, rows: 3 });
    progress.update({ phase: 'copying', done: 1, total: 2, rows: 4 }, true);
    progress.clear();
    progress.clear();
    expect(written).toEqual([
      '\r\x1b[2Ktandem db export: copying 0/2 tables, 1 rows',
      '\r\x1b[2Ktandem db export: copying 0/2 tables, 3 rows',
      '\r\x1b[2Ktandem db export: copying 1/2 tables, 4 rows',
      '\r\x1b[2K',
    ]);
  });
});
