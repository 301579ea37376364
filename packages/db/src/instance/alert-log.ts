// The alert log: a text file of one event per line, "<ISO time> [level] message", that the
// log monitor watches for level words and TDB codes. It records boot stages, log switches,
// checkpoints, recovery steps and every error. Lines are appended in order; [error] and
// [alert] lines are synced, because they often precede an instance going down.
import type { Clock, FileHandle, FileSystem } from '@tandem/testkit';

export type AlertLevel = 'notice' | 'warning' | 'error' | 'alert';

export interface AlertLog {
  notice(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  alert(message: string): void;
  /** Resolves when every line logged so far is written (and synced, for errors). */
  flush(): Promise<void>;
}

export function formatAlertLine(wallMs: number, level: AlertLevel, message: string): string {
  // One event per line: fold any newline in the message.
  return `${new Date(wallMs).toISOString()} [${level}] ${message.replace(/\r?\n/g, ' | ')}\n`;
}

export class FileAlertLog implements AlertLog {
  readonly #fs: FileSystem;
  readonly #path: string;
  readonly #clock: Clock;
  readonly #mirror: ((line: string) => void) | undefined;
  #handle: Promise<FileHandle> | undefined;
  #chain: Promise<void> = Promise.resolve();
  #pending = '';
  #pendingNeedsSync = false;
  #failed = false;

  constructor(fs: FileSystem, path: string, clock: Clock, options: { readonly mirror?: (line: string) => void } = {}) {
    this.#fs = fs;
    this.#path = path;
    this.#clock = clock;
    this.#mirror = options.mirror;
  }

  get path(): string {
    return this.#path;
  }

  notice(message: string): void {
    this.#log('notice', message);
  }

  warning(message: string): void {
    this.#log('warning', message);
  }

  error(message: string): void {
    this.#log('error', message);
  }

  alert(message: string): void {
    this.#log('alert', message);
  }

  #log(level: AlertLevel, message: string): void {
    const line = formatAlertLine(this.#clock.nowMs(), level, message);
    this.#mirror?.(line);
    const startWrite = this.#pending === '';
    this.#pending += line;
    if (level === 'error' || level === 'alert') this.#pendingNeedsSync = true;
    if (startWrite) this.#chain = this.#chain.then(() => this.#writePending());
  }

  async #writePending(): Promise<void> {
    const text = this.#pending;
    const needsSync = this.#pendingNeedsSync;
    this.#pending = '';
    this.#pendingNeedsSync = false;
    if (text === '' || this.#failed) return;
    try {
      this.#handle ??= this.#fs.open(this.#path, { create: true });
      const handle = await this.#handle;
      await handle.append(new TextEncoder().encode(text));
      if (needsSync) await handle.datasync();
    } catch {
      // The alert log must never take the database down; losing it is reported once.
      this.#failed = true;
      process.emitWarning(`alert log '${this.#path}' cannot be written; further lines go only to the mirror`);
    }
  }

  async flush(): Promise<void> {
    await this.#chain;
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.#handle !== undefined) {
      const handle = await this.#handle.catch(() => undefined);
      await handle?.close();
      this.#handle = undefined;
    }
  }
}

/** An alert log kept in memory, for tests and embedded use. */
export class MemoryAlertLog implements AlertLog {
  readonly lines: string[] = [];
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  notice(message: string): void {
    this.lines.push(formatAlertLine(this.#clock.nowMs(), 'notice', message));
  }

  warning(message: string): void {
    this.lines.push(formatAlertLine(this.#clock.nowMs(), 'warning', message));
  }

  error(message: string): void {
    this.lines.push(formatAlertLine(this.#clock.nowMs(), 'error', message));
  }

  alert(message: string): void {
    this.lines.push(formatAlertLine(this.#clock.nowMs(), 'alert', message));
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }
}
