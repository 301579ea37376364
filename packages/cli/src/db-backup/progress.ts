// The progress bar of `tandem db backup`, `backup verify` and `restore`: one line on a
// terminal's standard error, redrawn in place at most every 100 ms, with the bytes done of
// the total, the rate and the file being copied. Off a terminal (a pipe, a log file, CI)
// nothing is drawn, so logs hold only the one-event-per-line notices.
import { formatBytes, ProgressLine } from '../db-export/progress.js';

const BAR_WIDTH = 24;

export interface ByteProgressState {
  readonly phase: string;
  readonly bytes: number;
  readonly totalBytes: number;
  readonly files: number;
  readonly totalFiles: number;
  /** The file being copied. */
  readonly current?: string;
}

/** `12.5 MB/s`; a rate over less than a tenth of a second is not shown. */
export function formatRate(bytes: number, seconds: number): string {
  if (seconds < 0.1) return '-';
  return `${formatBytes(bytes / seconds)}/s`;
}

export function renderBar(done: number, total: number, width = BAR_WIDTH): string {
  const fraction = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const full = Math.round(fraction * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${Math.floor(fraction * 100)
    .toString()
    .padStart(3)}%`;
}

export function renderByteProgress(command: string, state: ByteProgressState, seconds: number): string {
  const current = state.current === undefined ? '' : ` ${state.current}`;
  return (
    `${command}: ${state.phase} ${renderBar(state.bytes, state.totalBytes)} ` +
    `${formatBytes(state.bytes)}/${formatBytes(state.totalBytes)}, ${formatRate(state.bytes, seconds)}, ` +
    `file ${Math.min(state.files + 1, state.totalFiles)}/${state.totalFiles}${current}`
  );
}

export class ByteProgress extends ProgressLine<ByteProgressState> {
  /** `write` is standard error when it is a terminal and progress is wanted, else undefined. */
  constructor(
    command: string,
    write: ((text: string) => void) | undefined,
    now: () => number = () => performance.now(),
  ) {
    super((state, seconds) => renderByteProgress(command, state, seconds), write, now);
  }
}

/** The summary's figures: `1.2 GB in 8 files, 4.1 s, 290.4 MB/s`. */
export function formatThroughput(bytes: number, files: number, seconds: number): string {
  const rate = seconds > 0 ? `${(bytes / 1e6 / seconds).toFixed(1)} MB/s` : '-';
  return `${formatBytes(bytes)} in ${files} file${files === 1 ? '' : 's'}, ${seconds.toFixed(1)} s, ${rate}`;
}
