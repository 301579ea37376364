// Source-IP persistence: the seed's session table ("부하분산 장치는 임시 대응 관리표로 세션
// 테이블이라는 것을 만든다"). A client's first request is balanced; later requests from the same
// address go to the same server while the entry lives. Entries expire after idleMs without a
// request (on the injected Clock) and the table is bounded: past entriesMax the least
// recently seen client is forgotten. A Map keeps insertion order, and touching an entry
// re-inserts it, so the first key is always the least recently seen.
import type { Clock } from '@tandem/testkit';

interface Entry {
  readonly serverId: string;
  seenAtMs: number;
}

export class SessionTable {
  readonly #clock: Clock;
  readonly #idleMs: number;
  readonly #entriesMax: number;
  readonly #entries = new Map<string, Entry>();

  constructor(clock: Clock, options: { readonly idleMs: number; readonly entriesMax: number }) {
    this.#clock = clock;
    this.#idleMs = options.idleMs;
    this.#entriesMax = options.entriesMax;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The server remembered for a client, if its entry has not expired. */
  lookup(client: string): string | undefined {
    const entry = this.#entries.get(client);
    if (entry === undefined) return undefined;
    if (this.#clock.monotonicMs() - entry.seenAtMs > this.#idleMs) {
      this.#entries.delete(client);
      return undefined;
    }
    return entry.serverId;
  }

  /** Records that the client was served by the server now. */
  remember(client: string, serverId: string): void {
    const now = this.#clock.monotonicMs();
    const entry = this.#entries.get(client);
    if (entry !== undefined && entry.serverId === serverId) {
      entry.seenAtMs = now;
      this.#entries.delete(client);
      this.#entries.set(client, entry);
      return;
    }
    this.#entries.delete(client);
    this.#entries.set(client, { serverId, seenAtMs: now });
    this.#evict(now);
  }

  #evict(nowMs: number): void {
    // Bounded: each pass removes one entry, and stops at the first live one within bounds.
    for (const [client, entry] of this.#entries) {
      if (this.#entries.size <= this.#entriesMax && nowMs - entry.seenAtMs <= this.#idleMs) break;
      this.#entries.delete(client);
    }
  }
}
