// Progress of a long export or import: one line on a terminal's standard error, redrawn
// in place at most every 100 ms (tables done, rows, bytes, the table being copied), and
// the numbers of the final summary. Off the terminal (a pipe, a log file, CI) it draws
// nothing, so logs hold only the one-event-per-line notices.

export interface ProgressState {
  /** copying, verifying, creating, loading, indexing. */
  readonly phase: string;
  /** Tables or statements done, of how many. */
  readonly done?: number;
  readonly total?: number;
  readonly unit?: 'tables' | 'statements';
  readonly rows?: number;
  readonly rowsTotal?: number;
  readonly bytes?: number;
  readonly bytesTotal?: number;
  /** The table being copied. */
  readonly table?: string;
}

const REDRAW_MS = 100;

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** `1 row`, `1,002,311 rows`. */
export function formatQuantity(value: number, unit: string): string {
  return `${formatCount(value)} ${unit}${value === 1 ? '' : 's'}`;
}

/** Bytes in decimal units, one decimal: 48.2 MB. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** `12/40`, or `12` without a total, in the given format. */
function part(value: number | undefined, total: number | undefined, format: (n: number) => string): string[] {
  if (value === undefined) return [];
  return [total === undefined ? format(value) : `${format(value)}/${format(total)}`];
}

export function renderProgress(command: string, state: ProgressState): string {
  const parts = [
    ...part(state.done, state.total, formatCount).map((text) => `${text} ${state.unit ?? 'tables'}`),
    ...part(state.rows, state.rowsTotal, formatCount).map((text) => `${text} rows`),
    ...part(state.bytes, state.bytesTotal, formatBytes),
  ];
  const table = state.table === undefined ? '' : ` (${state.table})`;
  return `${command}: ${state.phase} ${parts.join(', ')}${table}`;
}

/**
 * One progress line on a terminal, redrawn in place at most every 100 ms. `render` gets the
 * state and the seconds since the line was made; `write` is standard error when it is a
 * terminal and progress is wanted, else undefined (nothing is drawn).
 */
export class ProgressLine<State> {
  readonly #render: (state: State, seconds: number) => string;
  readonly #write: ((text: string) => void) | undefined;
  readonly #now: () => number;
  readonly #started: number;
  #lastDraw = -Infinity;
  #drawn = false;

  constructor(
    render: (state: State, seconds: number) => string,
    write: ((text: string) => void) | undefined,
    now: () => number = () => performance.now(),
  ) {
    this.#render = render;
    this.#write = write;
    this.#now = now;
    this.#started = now();
  }

  update(state: State, force = false): void {
    if (this.#write === undefined) return;
    const now = this.#now();
    if (!force && now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    this.#write(`\r\x1b[2K${this.#render(state, (now - this.#started) / 1000)}`);
    this.#drawn = true;
  }

  /** Clears the line, so that a notice or the summary starts on a clean one. */
  clear(): void {
    if (this.#write === undefined || !this.#drawn) return;
    this.#write('\r\x1b[2K');
    this.#drawn = false;
    this.#lastDraw = -Infinity;
  }
}

export class Progress extends ProgressLine<ProgressState> {
  /** `write` is standard error when it is a terminal and progress is wanted, else undefined. */
  constructor(
    command: string,
    write: ((text: string) => void) | undefined,
    now: () => number = () => performance.now(),
  ) {
    super((state) => renderProgress(command, state), write, now);
  }
}

/** Rows and bytes copied, of one table or so far over the tables of an export or import. */
export interface CopyCounts {
  rows: number;
  bytes: number;
}

/**
 * Copies one table with the progress line showing `state` and the running counts as its
 * chunks go, then adds the table's rows and bytes to `totals` and returns them.
 */
export async function copyTableWithProgress(
  progress: Progress,
  state: ProgressState,
  totals: CopyCounts,
  copy: (onChunk: (sofar: Readonly<CopyCounts>) => void) => Promise<Readonly<CopyCounts>>,
): Promise<Readonly<CopyCounts>> {
  progress.update({ ...state, rows: totals.rows, bytes: totals.bytes }, true);
  const copied = await copy((sofar) =>
    progress.update({ ...state, rows: totals.rows + sofar.rows, bytes: totals.bytes + sofar.bytes }),
  );
  totals.rows += copied.rows;
  totals.bytes += copied.bytes;
  return copied;
}

/** `table t: 1,002 rows, 48.2 MB`, said once a table is copied. */
export function tableCopiedNotice(table: string, copied: Readonly<CopyCounts>): string {
  return `table ${table}: ${formatQuantity(copied.rows, 'row')}, ${formatBytes(copied.bytes)}`;
}
