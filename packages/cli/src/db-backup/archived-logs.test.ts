// Which archived logs an online backup copies: from the one holding the copies' start TSN
// through the one ARCHIVE LOG CURRENT archived, of the current incarnation only.
import { describe, expect, it } from 'vitest';
import { neededArchivedLogs, type ArchivedLogRow } from './archived-logs.js';

function log(sequence: number, firstTsn: number, nextTsn: number, extra: Partial<ArchivedLogRow> = {}): ArchivedLogRow {
  return {
    name: `/a/log-t1-r1-s${sequence}.arc`,
    destId: 1,
    sequence,
    incarnation: 1,
    resetlogsTsn: 0,
    firstTsn,
    nextTsn,
    status: 'A',
    ...extra,
  };
}

const rows = [log(1, 1, 100), log(2, 100, 250), log(3, 250, 400), log(4, 400, 410), log(5, 410, 600)];

describe('neededArchivedLogs', () => {
  it('starts at the log holding the start TSN and ends at the one just archived', () => {
    const needed = neededArchivedLogs(rows, { fromTsn: 260, throughSequence: 4, resetlogsTsn: 0 });
    expect(needed.sequences).toEqual([3, 4]);
    expect(needed.missing).toEqual([]);
    expect(needed.copies.get(3)?.map((row) => row.name)).toEqual(['/a/log-t1-r1-s3.arc']);
  });

  it('takes the next log when the start TSN is where a log ends', () => {
    expect(neededArchivedLogs(rows, { fromTsn: 250, throughSequence: 5, resetlogsTsn: 0 }).sequences).toEqual([
      3, 4, 5,
    ]);
  });

  it('keeps the last log when no redo was written after the start (an idle database)', () => {
    const needed = neededArchivedLogs(rows, { fromTsn: 600, throughSequence: 5, resetlogsTsn: 0 });
    expect(needed.sequences).toEqual([5]);
  });

  it('reports a missing log in the run, and the one before the first found when it may hold the start', () => {
    const gaps = rows.filter((row) => row.sequence !== 2 && row.sequence !== 4);
    expect(neededArchivedLogs(gaps, { fromTsn: 120, throughSequence: 5, resetlogsTsn: 0 })).toMatchObject({
      sequences: [2, 3, 4, 5],
      missing: [2, 4],
    });
  });

  it('lists the copies of each destination in order, and skips deleted files and other incarnations', () => {
    const many = [
      ...rows,
      log(3, 250, 400, { destId: 2, name: '/b/log-t1-r1-s3.arc' }),
      log(4, 400, 410, { status: 'D' }),
      log(4, 400, 410, { destId: 2, name: '/b/log-t1-r1-s4.arc' }),
      log(3, 250, 300, { incarnation: 2, resetlogsTsn: 300, name: '/a/log-t1-r2-s3.arc' }),
    ];
    const needed = neededArchivedLogs(many, { fromTsn: 300, throughSequence: 4, resetlogsTsn: 0 });
    expect(needed.copies.get(3)?.map((row) => row.name)).toEqual(['/a/log-t1-r1-s3.arc', '/b/log-t1-r1-s3.arc']);
    expect(needed.copies.get(4)?.map((row) => row.name)).toEqual(['/a/log-t1-r1-s4.arc', '/b/log-t1-r1-s4.arc']);
  });
});
