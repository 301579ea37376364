// Which archived logs an online backup needs: every log sequence from the one holding the
// TSN its datafile copies start from (their frozen checkpoint) through the one archived by
// ARCHIVE LOG CURRENT after END BACKUP, of the current incarnation. Each may be in several
// archive destinations; the copies are tried in destination order.

export interface ArchivedLogRow {
  readonly name: string;
  readonly destId: number;
  readonly sequence: number;
  readonly incarnation: number;
  readonly resetlogsTsn: number;
  readonly firstTsn: number;
  readonly nextTsn: number;
  /** A: the file is there; D: it was deleted. */
  readonly status: string;
}

export interface NeededLogs {
  /** The sequences to copy, in order. */
  readonly sequences: readonly number[];
  /** For each sequence, its copies, best first. */
  readonly copies: ReadonlyMap<number, readonly ArchivedLogRow[]>;
  /** Sequences no destination holds. */
  readonly missing: readonly number[];
}

/**
 * The logs that recover a copy whose redo starts at `fromTsn`, through `throughSequence`,
 * among the archived logs of the incarnation that began at `resetlogsTsn`.
 */
export function neededArchivedLogs(
  rows: readonly ArchivedLogRow[],
  scope: { readonly fromTsn: number; readonly throughSequence: number; readonly resetlogsTsn: number },
): NeededLogs {
  const usable = rows
    .filter((row) => row.resetlogsTsn === scope.resetlogsTsn && row.status === 'A')
    .filter((row) => row.sequence <= scope.throughSequence)
    .sort((a, b) => a.sequence - b.sequence || a.destId - b.destId || a.name.localeCompare(b.name));
  const copies = new Map<number, ArchivedLogRow[]>();
  for (const row of usable) {
    const list = copies.get(row.sequence) ?? [];
    list.push(row);
    copies.set(row.sequence, list);
  }
  // The first log with redo at or after fromTsn; if the log before it is absent, it may
  // hold fromTsn, so it is needed (and reported missing).
  const after = usable.find((row) => row.nextTsn > scope.fromTsn);
  let first = after?.sequence ?? scope.throughSequence;
  if (after !== undefined && after.firstTsn > scope.fromTsn && first > 1) first -= 1;
  first = Math.min(first, scope.throughSequence);
  const sequences: number[] = [];
  const missing: number[] = [];
  for (let sequence = Math.max(1, first); sequence <= scope.throughSequence; sequence++) {
    sequences.push(sequence);
    if (!copies.has(sequence)) missing.push(sequence);
  }
  return { sequences, copies, missing };
}
