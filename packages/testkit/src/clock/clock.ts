// Time as the engine sees it: wall time for records that users read (commit times,
// log lines), monotonic time for durations and timeouts, and timers. The manual clock
// lets a simulation move time by hand and fire timers in a reproducible order.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch. May jump (NTP); never use it for durations. */
  nowMs(): number;
  /** Monotonic milliseconds from an arbitrary origin, with sub-millisecond fraction. Never decreases. */
  monotonicMs(): number;
  /** Runs `callback` once, no sooner than `delayMs` from now. */
  setTimer(delayMs: number, callback: () => void): Timer;
  /** Resolves no sooner than `delayMs` from now. */
  sleep(delayMs: number): Promise<void>;
}

export class SystemClock implements Clock {
  nowMs(): number {
    return Date.now();
  }

  monotonicMs(): number {
    return performance.now();
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    const handle = setTimeout(callback, delayMs);
    return { cancel: () => clearTimeout(handle) };
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

interface PendingTimer {
  readonly dueMs: number;
  readonly sequence: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to. Timers fire in order of due time, then of
 * creation, during `advance()`; a callback that sets a new timer already due fires in
 * the same advance.
 */
export class ManualClock implements Clock {
  #monotonicMs = 0;
  #wallOffsetMs: number;
  #sequence = 0;
  #timers: PendingTimer[] = [];

  constructor(options: { readonly startWallMs?: number } = {}) {
    this.#wallOffsetMs = options.startWallMs ?? Date.UTC(2026, 0, 1);
  }

  nowMs(): number {
    return this.#wallOffsetMs + this.#monotonicMs;
  }

  monotonicMs(): number {
    return this.#monotonicMs;
  }

  /** Moves wall time alone, as an NTP step would; monotonic time is unaffected. */
  stepWallClock(deltaMs: number): void {
    this.#wallOffsetMs += deltaMs;
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    const timer: PendingTimer = {
      dueMs: this.#monotonicMs + Math.max(0, delayMs),
      sequence: this.#sequence++,
      callback,
      cancelled: false,
    };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(delayMs, resolve));
  }

  /** Number of timers that have not fired or been cancelled. */
  get pendingTimers(): number {
    return this.#timers.filter((timer) => !timer.cancelled).length;
  }

  /** Moves time forward by `deltaMs`, firing every timer that falls due, in order. */
  advance(deltaMs: number): void {
    if (!(deltaMs >= 0)) throw new RangeError(`advance needs a non-negative delta, got ${deltaMs}`);
    const targetMs = this.#monotonicMs + deltaMs;
    for (;;) {
      const next = this.#nextDue(targetMs);
      if (next === undefined) break;
      this.#monotonicMs = next.dueMs;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      next.callback();
    }
    this.#monotonicMs = targetMs;
  }

  /** Moves time to the next due timer and fires it. Returns false if no timer is pending. */
  advanceToNextTimer(): boolean {
    const next = this.#nextDue(Number.POSITIVE_INFINITY);
    if (next === undefined) return false;
    this.advance(next.dueMs - this.#monotonicMs);
    return true;
  }

  #nextDue(limitMs: number): PendingTimer | undefined {
    this.#timers = this.#timers.filter((timer) => !timer.cancelled);
    let best: PendingTimer | undefined;
    for (const timer of this.#timers) {
      if (timer.dueMs > limitMs) continue;
      if (
        best === undefined ||
        timer.dueMs < best.dueMs ||
        (timer.dueMs === best.dueMs && timer.sequence < best.sequence)
      ) {
        best = timer;
      }
    }
    return best;
  }
}
