// Table locks, as PostgreSQL takes them: every statement holds a shared lock on each table
// it reads or writes until its transaction ends, and DDL that replaces or removes a table
// (DROP, TRUNCATE, ALTER, CREATE INDEX) takes an exclusive one, so it never pulls a table
// from under a transaction that has undo for it. Waiters queue in arrival order (a waiting
// exclusive request holds back later shared ones, so DDL is not starved) and give up with
// TDB-5008 after the lock timeout.
import type { Clock } from '@tandem/testkit';
import { DbError } from '../errors.js';

export type LockMode = 'shared' | 'exclusive';

interface Waiter {
  readonly owner: number;
  readonly mode: LockMode;
  readonly grant: () => void;
  /** Ends the wait with an error (a cancel). */
  readonly fail: (error: DbError) => void;
}

interface TableLock {
  /** Owner → number of shared holds (an owner holds at most once per mode in practice). */
  readonly shared: Set<number>;
  exclusive: number | undefined;
  readonly queue: Waiter[];
}

export class TableLocks {
  readonly #locks = new Map<string, TableLock>();
  /** Tables each owner holds, to release them all at transaction end. */
  readonly #held = new Map<number, Set<string>>();
  readonly #clock: Clock;
  #timeoutMs: number;

  constructor(clock: Clock, timeoutMs: number) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  set timeoutMs(value: number) {
    this.#timeoutMs = value;
  }

  /** Acquires `mode` on `table` for `owner` (a session), waiting if another owner conflicts. */
  async acquire(owner: number, table: string, mode: LockMode, timeoutMs = this.#timeoutMs): Promise<void> {
    const lock = this.#lock(table);
    if (this.#holds(lock, owner, mode)) return;
    if (lock.queue.length === 0 && this.#compatible(lock, owner, mode)) {
      this.#grant(lock, owner, table, mode);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const timer = this.#clock.setTimer(timeoutMs, () => {
        const at = lock.queue.indexOf(waiter);
        if (at >= 0) lock.queue.splice(at, 1);
        this.#wake(table, lock);
        reject(
          new DbError(
            'LOCK_TIMEOUT',
            `could not obtain ${mode === 'exclusive' ? 'an exclusive' : 'a shared'} lock on table ${table} within ${timeoutMs} ms`,
          ),
        );
      });
      const waiter: Waiter = {
        owner,
        mode,
        grant: () => {
          timer.cancel();
          this.#grant(lock, owner, table, mode);
          resolve();
        },
        fail: (error) => {
          timer.cancel();
          const at = lock.queue.indexOf(waiter);
          if (at >= 0) lock.queue.splice(at, 1);
          this.#wake(table, lock);
          reject(error);
        },
      };
      lock.queue.push(waiter);
    });
  }

  /** Ends `owner`'s waits with `error` (a CancelRequest): it stops queueing, and later waiters may go. */
  cancelWaits(owner: number, error: DbError): void {
    for (const lock of this.#locks.values()) {
      for (const waiter of lock.queue.filter((candidate) => candidate.owner === owner)) waiter.fail(error);
    }
  }

  /** Releases every lock `owner` holds (its transaction ended). */
  releaseAll(owner: number): void {
    const tables = this.#held.get(owner);
    if (tables === undefined) return;
    this.#held.delete(owner);
    for (const table of tables) {
      const lock = this.#locks.get(table);
      if (lock === undefined) continue;
      lock.shared.delete(owner);
      if (lock.exclusive === owner) lock.exclusive = undefined;
      this.#wake(table, lock);
    }
  }

  /** For v$ views and tests: the holders of a table's lock. */
  holders(table: string): { shared: number[]; exclusive: number | undefined; waiting: number } {
    const lock = this.#locks.get(table);
    return {
      shared: [...(lock?.shared ?? [])],
      exclusive: lock?.exclusive,
      waiting: lock?.queue.length ?? 0,
    };
  }

  #lock(table: string): TableLock {
    let lock = this.#locks.get(table);
    if (lock === undefined) {
      lock = { shared: new Set(), exclusive: undefined, queue: [] };
      this.#locks.set(table, lock);
    }
    return lock;
  }

  #holds(lock: TableLock, owner: number, mode: LockMode): boolean {
    return lock.exclusive === owner || (mode === 'shared' && lock.shared.has(owner));
  }

  #compatible(lock: TableLock, owner: number, mode: LockMode): boolean {
    if (lock.exclusive !== undefined && lock.exclusive !== owner) return false;
    if (mode === 'shared') return true;
    for (const holder of lock.shared) if (holder !== owner) return false;
    return true;
  }

  #grant(lock: TableLock, owner: number, table: string, mode: LockMode): void {
    if (mode === 'exclusive') lock.exclusive = owner;
    else lock.shared.add(owner);
    let tables = this.#held.get(owner);
    if (tables === undefined) this.#held.set(owner, (tables = new Set()));
    tables.add(table);
  }

  /** Grants queued requests in order while they are compatible. */
  #wake(table: string, lock: TableLock): void {
    while (lock.queue.length > 0 && this.#compatible(lock, lock.queue[0].owner, lock.queue[0].mode)) {
      lock.queue.shift()!.grant();
    }
    if (lock.queue.length === 0 && lock.shared.size === 0 && lock.exclusive === undefined) this.#locks.delete(table);
  }
}
