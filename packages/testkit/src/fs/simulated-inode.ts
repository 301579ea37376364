// One file's bytes in the simulated disk: what reads see (the page cache), what survives
// a crash (the platter), and the unsynced writes and truncates between the two.

function assert(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new Error(`simulated inode invariant broken: ${message()}`);
}

/**
 * A growable byte array. Capacity doubles so that a file grown by many appends is copied
 * O(log n) times, not once per append.
 */
export class FileContent {
  /** Invariant: every byte at or past `#sizeBytes` is zero, so growing the size zero-fills. */
  #bytes: Uint8Array;
  #sizeBytes: number;

  constructor(bytes: Uint8Array = new Uint8Array(0), sizeBytes = bytes.length) {
    this.#bytes = bytes;
    this.#sizeBytes = sizeBytes;
  }

  get sizeBytes(): number {
    return this.#sizeBytes;
  }

  /** Copies `[position, position + length)` into `target` and returns the count, short at end of file. */
  read(target: Uint8Array, targetOffset: number, length: number, position: number): number {
    const endBytes = Math.min(this.#sizeBytes, position + length);
    if (endBytes <= position) return 0;
    target.set(this.#bytes.subarray(position, endBytes), targetOffset);
    return endBytes - position;
  }

  /** Writes `data` at `position`, zero-filling any gap past the old end. */
  write(data: Uint8Array, position: number): void {
    if (data.length === 0) return;
    const endBytes = position + data.length;
    this.#reserve(endBytes);
    this.#bytes.set(data, position);
    this.#sizeBytes = Math.max(this.#sizeBytes, endBytes);
  }

  truncate(sizeBytes: number): void {
    if (sizeBytes < this.#sizeBytes) {
      this.#bytes.fill(0, sizeBytes, this.#sizeBytes);
    } else {
      this.#reserve(sizeBytes);
    }
    this.#sizeBytes = sizeBytes;
  }

  byteAt(position: number): number {
    assert(position >= 0 && position < this.#sizeBytes, () => `byte ${position} outside ${this.#sizeBytes} bytes`);
    return this.#bytes[position];
  }

  setByte(position: number, value: number): void {
    assert(position >= 0 && position < this.#sizeBytes, () => `byte ${position} outside ${this.#sizeBytes} bytes`);
    this.#bytes[position] = value;
  }

  /** A copy of the contents, exactly `sizeBytes` long. */
  toBytes(): Uint8Array {
    return this.#bytes.slice(0, this.#sizeBytes);
  }

  copy(): FileContent {
    return new FileContent(this.toBytes());
  }

  #reserve(capacityBytes: number): void {
    if (capacityBytes <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(capacityBytes, this.#bytes.length * 2, 64));
    grown.set(this.#bytes.subarray(0, this.#sizeBytes));
    this.#bytes = grown;
  }
}

/** An unsynced change to a file's data, kept until the next sync so a crash can decide its fate. */
export type PendingDataOperation =
  | {
      readonly kind: 'write';
      /** Global issue order across all files, so a crash report reads in the order the workload ran. */
      readonly sequence: number;
      readonly position: number;
      /** A private copy: the caller may reuse its buffer as soon as the write returns. */
      readonly data: Uint8Array;
    }
  | { readonly kind: 'truncate'; readonly sequence: number; readonly sizeBytes: number };

export function applyDataOperation(content: FileContent, operation: PendingDataOperation): void {
  if (operation.kind === 'write') content.write(operation.data, operation.position);
  else content.truncate(operation.sizeBytes);
}

/**
 * A file. Invariant: applying `pending` in order to `durable` gives `visible`. A sync
 * replays the pending operations onto `durable`, which costs the unsynced bytes rather
 * than the file size, so a log synced after every small append stays cheap.
 */
export class SimulatedInode {
  readonly id: number;
  visible: FileContent;
  durable: FileContent;
  readonly pending: PendingDataOperation[] = [];
  modifiedMs: number;
  /** Open handles; an unlinked inode with open handles is still readable and writable. */
  openHandleCount = 0;
  /** Whether a name in the visible namespace refers to this inode. */
  linked = true;

  constructor(id: number, modifiedMs: number) {
    this.id = id;
    this.visible = new FileContent();
    this.durable = new FileContent();
    this.modifiedMs = modifiedMs;
  }

  get sizeBytes(): number {
    return this.visible.sizeBytes;
  }

  /** Whether this inode's bytes count against the disk's capacity (it has a name or an open handle). */
  get isLive(): boolean {
    return this.linked || this.openHandleCount > 0;
  }

  write(data: Uint8Array, position: number, sequence: number, nowMs: number): void {
    const operation: PendingDataOperation = { kind: 'write', sequence, position, data: data.slice() };
    this.visible.write(operation.data, position);
    this.pending.push(operation);
    this.modifiedMs = nowMs;
  }

  truncate(sizeBytes: number, sequence: number, nowMs: number): void {
    this.visible.truncate(sizeBytes);
    this.pending.push({ kind: 'truncate', sequence, sizeBytes });
    this.modifiedMs = nowMs;
  }

  sync(): void {
    for (const operation of this.pending) applyDataOperation(this.durable, operation);
    this.pending.length = 0;
    assert(
      this.durable.sizeBytes === this.visible.sizeBytes,
      () => `inode ${this.id}: durable ${this.durable.sizeBytes} bytes after sync, visible ${this.visible.sizeBytes}`,
    );
  }

  /** After a crash, the rebuilt contents are both what reads see and what is durable. */
  reboot(rebuilt: FileContent): void {
    this.durable = rebuilt;
    this.visible = rebuilt.copy();
    this.pending.length = 0;
    this.openHandleCount = 0;
    this.linked = true;
  }

  /**
   * Overwrites bytes as a media error or a bad copy would: in the page cache, on the
   * platter, and in the pending writes that cover them, so that neither a later sync nor a
   * crash that keeps those writes undoes the damage. `[position, position + bytes.length)`
   * must lie inside the visible file. A byte that a pending truncate or a zero-filled gap
   * last set is not covered: a crash that keeps that operation writes the zero again, as a
   * rewritten sector would.
   */
  corrupt(position: number, bytes: Uint8Array): void {
    for (let index = 0; index < bytes.length; index++) {
      const at = position + index;
      const value = bytes[index];
      this.visible.setByte(at, value);
      if (at < this.durable.sizeBytes) this.durable.setByte(at, value);
      for (const operation of this.pending) {
        if (operation.kind === 'write' && at >= operation.position && at < operation.position + operation.data.length) {
          operation.data[at - operation.position] = value;
        }
      }
    }
  }

  /** Checks the class invariant in full; O(file size), for tests and debugging. */
  checkInvariants(): void {
    const replayed = this.durable.copy();
    for (const operation of this.pending) applyDataOperation(replayed, operation);
    const expected = this.visible.toBytes();
    const actual = replayed.toBytes();
    assert(
      actual.length === expected.length,
      () => `inode ${this.id}: replay gives ${actual.length} bytes, visible ${expected.length}`,
    );
    const differsAt = actual.findIndex((byte, index) => byte !== expected[index]);
    assert(differsAt === -1, () => `inode ${this.id}: replay differs from visible at byte ${differsAt}`);
  }
}
