// LGWR: turns redo records into durable log bytes. Sessions append records to the log
// buffer synchronously (tryAppend), which also assigns the record its TSN and its place in
// the current log; a commit then waits for flush(). One write round at a time writes every
// buffered record to each member of the current group and syncs them, so all the commits
// that arrived during the previous round share one sync (group commit).
//
// A record is placed when it is appended, never later: when the current log is full,
// tryAppend refuses and the session waits for the log switch *before* changing any block.
// This keeps every buffered record writable, so a switch that waits for a checkpoint can
// never wait on redo stuck behind the same switch.
import type { FileHandle } from '@tandem/testkit';
import { isFileSystemError } from '@tandem/testkit';
import { assert } from '../assert.js';
import { DbError, isDbError } from '../errors.js';
import type { ControlFiles } from '../control/control-file.js';
import {
  withoutArchived,
  type LogGroupEntry,
  type LogMemberStatus,
  type RedoPosition,
} from '../control/control-state.js';
import type { AlertLog } from '../instance/alert-log.js';
import type { Clock, FileSystem } from '@tandem/testkit';
import { encodeLogFileHeader, LOG_FILE_HEADER_BYTES } from './log-file.js';
import { encodeRedoRecord, stampRedoRecord, type ChangeVector } from './redo-record.js';

export interface LogWriterHost {
  readonly fs: FileSystem;
  readonly clock: Clock;
  readonly alert: AlertLog;
  readonly control: ControlFiles;
  /**
   * Resolves when log group `groupNumber` may be overwritten: a checkpoint has covered its
   * redo (and, in ARCHIVELOG mode, it has been archived). Called by a log switch.
   */
  makeReusable(groupNumber: number): Promise<void>;
  /** Redo can no longer be written (every member of the current group is lost): the instance must stop. */
  onFatal(error: DbError): void;
  /** After a log switch (the archiver has a group to copy in ARCHIVELOG mode). */
  onSwitched?(previousGroupNumber: number): void;
}

export interface LogWriterStart {
  readonly groupNumber: number;
  readonly sequence: number;
  /** Where the next record goes in the current group's members. */
  readonly writeOffsetBytes: number;
  /** The TSN of the last record already in the log (durable). */
  readonly lastTsn: number;
  /** Start a background write when this many bytes are buffered. */
  readonly bufferBytesMax?: number;
  /**
   * The earliest redo position still needed (the checkpoint recovery started from): blocks
   * dirtied by replay have older TSNs than anything this writer appends.
   */
  readonly recoveredFrom?: RedoPosition;
}

export interface AppendInput {
  readonly flags: number;
  readonly txnId: number;
  readonly changes: readonly ChangeVector[];
}

interface Waiter {
  readonly tsn: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Segment {
  readonly firstTsn: number;
  readonly sequence: number;
  readonly offsetBytes: number;
}

export interface LogWriterStatistics {
  /** Write rounds, each one write and one sync per member: commits per round shows group commit at work. */
  writeRounds: number;
  recordsWritten: number;
  bytesWritten: number;
  switches: number;
}

interface OpenMember {
  readonly path: string;
  readonly handle: FileHandle;
}

export class LogWriter {
  readonly #host: LogWriterHost;
  readonly #bufferBytesMax: number;
  #groupNumber: number;
  #sequence: number;
  #groupSizeBytes: number;
  #members: OpenMember[];
  /** Bytes of the current log that are written and synced. */
  #writtenEndBytes: number;
  /** Bytes of the current log assigned to records, written or not. */
  #allocatedEndBytes: number;
  #lastTsn: number;
  #flushedTsn: number;
  #buffer: Uint8Array[] = [];
  #bufferTsns: number[] = [];
  #bufferBytes = 0;
  #waiters: Waiter[] = [];
  #spaceWaiters: Waiter[] = [];
  #switchWanted = false;
  #running = false;
  #failure: DbError | undefined;
  /**
   * Log switches and log administration (adding or dropping members and groups) run one at a
   * time: a switch reads the next group's members, opens them, then records the switch, and
   * a change to the groups in between would be overwritten or leave no CURRENT group.
   */
  #groupsChain: Promise<unknown> = Promise.resolve();
  /** Where recent write rounds began, to map a TSN to a redo position for checkpoints. */
  #segments: Segment[] = [];
  #statistics: LogWriterStatistics = { writeRounds: 0, recordsWritten: 0, bytesWritten: 0, switches: 0 };

  private constructor(host: LogWriterHost, start: LogWriterStart, group: LogGroupEntry, members: OpenMember[]) {
    this.#host = host;
    this.#bufferBytesMax = start.bufferBytesMax ?? 1024 * 1024;
    this.#groupNumber = start.groupNumber;
    this.#sequence = start.sequence;
    this.#groupSizeBytes = group.sizeBytes;
    this.#members = members;
    this.#writtenEndBytes = start.writeOffsetBytes;
    this.#allocatedEndBytes = start.writeOffsetBytes;
    this.#lastTsn = start.lastTsn;
    this.#flushedTsn = start.lastTsn;
    if (start.recoveredFrom !== undefined && start.recoveredFrom.tsn <= start.lastTsn) {
      this.#segments.push({
        firstTsn: start.recoveredFrom.tsn,
        sequence: start.recoveredFrom.sequence,
        offsetBytes: start.recoveredFrom.offsetBytes,
      });
    }
    this.#segments.push({ firstTsn: start.lastTsn + 1, sequence: start.sequence, offsetBytes: start.writeOffsetBytes });
  }

  /** Opens the members of the current group and continues writing at `start.writeOffsetBytes`. */
  static async start(host: LogWriterHost, start: LogWriterStart): Promise<LogWriter> {
    const group = host.control.state.logGroups.find((entry) => entry.number === start.groupNumber);
    assert(group !== undefined && group.state === 'CURRENT', () => `group ${start.groupNumber} is not CURRENT`);
    assert(
      group.sequence === start.sequence,
      () => `group ${group.number} holds sequence ${group.sequence}, not ${start.sequence}`,
    );
    // A STALE member of the CURRENT group lacks the redo already written to it: writing
    // only the tail would leave a hole, so it waits for the next switch into the group.
    const members = await openMembers(host, group, ['VALID'], () => Promise.resolve());
    if (members.length === 0) {
      throw new DbError(
        'REDO_GROUP_LOST',
        `every member of the current log group ${group.number} is lost: ${group.members.map((m) => `'${m.path}'`).join(', ')}`,
      );
    }
    return new LogWriter(host, start, group, members);
  }

  get lastTsn(): number {
    return this.#lastTsn;
  }

  /** Every record with a TSN up to this one is on disk in every healthy member. */
  get flushedTsn(): number {
    return this.#flushedTsn;
  }

  get sequence(): number {
    return this.#sequence;
  }

  get groupNumber(): number {
    return this.#groupNumber;
  }

  get statistics(): LogWriterStatistics {
    return { ...this.#statistics };
  }

  /** The largest record any log group accepts. */
  get recordBytesMax(): number {
    return this.#groupSizeBytes - LOG_FILE_HEADER_BYTES;
  }

  /**
   * Buffers a record and returns its TSN, or returns undefined if the current log has no
   * room for it: then the caller awaits waitForSpace() and rebuilds its change from the
   * blocks' state at that time. The caller applies the change to its blocks in the same
   * synchronous step, so block TSNs follow redo order.
   */
  tryAppend(input: AppendInput): number | undefined {
    if (this.#failure !== undefined) throw this.#failure;
    const tsn = this.#lastTsn + 1;
    const bytes = encodeRedoRecord({
      tsn,
      flags: input.flags,
      wallMs: this.#host.clock.nowMs(),
      txnId: input.txnId,
      changes: input.changes,
    });
    if (bytes.length > this.recordBytesMax) {
      throw new DbError(
        'REDO_RECORD_TOO_LARGE',
        `a redo record of ${bytes.length} bytes does not fit in a log group of ${this.#groupSizeBytes} bytes; use larger log files`,
      );
    }
    if (this.#switchWanted || this.#allocatedEndBytes + bytes.length > this.#groupSizeBytes) {
      this.#switchWanted = true;
      this.#kick();
      return undefined;
    }
    this.#lastTsn = tsn;
    this.#allocatedEndBytes += bytes.length;
    this.#buffer.push(bytes);
    this.#bufferTsns.push(tsn);
    this.#bufferBytes += bytes.length;
    if (this.#bufferBytes >= this.#bufferBytesMax) this.#kick();
    return tsn;
  }

  /**
   * Whether a record of up to `recordBytes` can be appended now. A mini-transaction checks
   * this before its first change, so that its append cannot be refused after it.
   */
  hasRoomFor(recordBytes: number): boolean {
    return (
      !this.#switchWanted &&
      this.#failure === undefined &&
      this.#allocatedEndBytes + recordBytes <= this.#groupSizeBytes
    );
  }

  /** Asks for a log switch (if not under way) and resolves once it has made room. */
  requestSpace(): Promise<void> {
    this.#switchWanted = true;
    return this.waitForSpace();
  }

  /** Resolves once a log switch has made room for new records. */
  waitForSpace(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (!this.#switchWanted) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#spaceWaiters.push({ tsn: 0, resolve, reject });
      this.#kick();
    });
  }

  /** Resolves when every record up to `tsn` (default: all appended so far) is durable. */
  flush(tsn: number = this.#lastTsn): Promise<void> {
    if (tsn <= this.#flushedTsn) return Promise.resolve();
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    assert(tsn <= this.#lastTsn, () => `flush of TSN ${tsn} beyond the last appended TSN ${this.#lastTsn}`);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ tsn, resolve, reject });
      this.#kick();
    });
  }

  /** ALTER SYSTEM SWITCH LOGFILE: writes what is buffered, then moves to the next group. */
  async switchLogfile(): Promise<void> {
    this.#switchWanted = true;
    await this.waitForSpace();
  }

  /**
   * Runs `work`, a change to the log groups (in the control file and on disk), while no log
   * switch runs; a switch wanted meanwhile waits for it to finish. Refused with TDB-4003
   * once the writer has failed or closed: the instance is down.
   */
  administer<Result>(work: () => Promise<Result>): Promise<Result> {
    return this.#exclusive(() => {
      const failure = this.#failure;
      if (failure !== undefined) {
        throw failure.codeName === 'INSTANCE_DOWN'
          ? failure
          : new DbError('INSTANCE_DOWN', `the instance is down: ${failure.message}`);
      }
      return work();
    });
  }

  #exclusive<Result>(work: () => Promise<Result>): Promise<Result> {
    const run = this.#groupsChain.then(work);
    this.#groupsChain = run.catch(() => undefined);
    return run;
  }

  /**
   * A redo position at or before the record with `tsn`, for a checkpoint: recovery that
   * starts there meets every record from `tsn` on.
   */
  positionOf(tsn: number): RedoPosition {
    let found: Segment | undefined;
    for (const segment of this.#segments) {
      if (segment.firstTsn <= tsn) found = segment;
      else break;
    }
    assert(
      found !== undefined,
      () => `TSN ${tsn} precedes the redo this writer has seen (${JSON.stringify(this.#segments.slice(0, 3))})`,
    );
    return { sequence: found.sequence, offsetBytes: found.offsetBytes, tsn: found.firstTsn };
  }

  /** Forgets positions before `tsn`, once a checkpoint no longer needs them. */
  forgetBefore(tsn: number): void {
    let keepFrom = 0;
    for (let i = 0; i < this.#segments.length; i++) if (this.#segments[i].firstTsn <= tsn) keepFrom = i;
    this.#segments.splice(0, keepFrom);
  }

  /** Writes everything buffered and closes the members. */
  async close(): Promise<void> {
    if (this.#failure === undefined) await this.flush();
    while (this.#running) await new Promise((resolve) => setImmediate(resolve));
    await Promise.allSettled(this.#members.map((member) => member.handle.close()));
    this.#members = [];
    this.#failure ??= new DbError('INSTANCE_DOWN', 'the log writer is closed');
  }

  #kick(): void {
    if (this.#running || this.#failure !== undefined) return;
    this.#running = true;
    void this.#run();
  }

  async #run(): Promise<void> {
    try {
      for (;;) {
        // Write only what someone needs now: a commit or DBWR waiting, a full buffer, or a
        // switch. Records nobody waits for (cleanup after a commit) ride along with the
        // next needed round instead of costing a sync of their own.
        const needed = this.#waiters.length > 0 || this.#switchWanted || this.#bufferBytes >= this.#bufferBytesMax;
        if (this.#buffer.length > 0 && needed) {
          await this.#writeBuffered();
          continue;
        }
        if (this.#switchWanted) {
          await this.#exclusive(() => this.#switch());
          continue;
        }
        if (this.#waiters.length === 0) break;
        // Waiters for TSNs already flushed were resolved; any left wait for records not
        // yet appended, which cannot happen: flush() asserts tsn <= lastTsn.
        assert(false, () => `flush waiters left with an empty buffer: ${this.#waiters.map((w) => w.tsn).join(',')}`);
      }
    } catch (error) {
      this.#fail(
        isDbError(error)
          ? error
          : new DbError(
              'REDO_GROUP_LOST',
              `the log writer failed: ${error instanceof Error ? error.message : String(error)}`,
              {
                cause: error,
              },
            ),
      );
    } finally {
      this.#running = false;
    }
  }

  async #writeBuffered(): Promise<void> {
    const records = this.#buffer;
    const tsns = this.#bufferTsns;
    const totalBytes = this.#bufferBytes;
    this.#buffer = [];
    this.#bufferTsns = [];
    this.#bufferBytes = 0;

    const bytes = new Uint8Array(totalBytes);
    let position = 0;
    for (const record of records) {
      stampRedoRecord(record, this.#sequence);
      bytes.set(record, position);
      position += record.length;
    }
    const offset = this.#writtenEndBytes;
    assert(offset + totalBytes <= this.#groupSizeBytes, () => `write past the end of log group ${this.#groupNumber}`);
    this.#segments.push({ firstTsn: tsns[0], sequence: this.#sequence, offsetBytes: offset });

    const results = await Promise.allSettled(
      this.#members.map(async (member) => {
        await member.handle.write(bytes, offset);
        await member.handle.datasync();
      }),
    );
    await this.#dropFailedMembers(results);

    this.#writtenEndBytes = offset + totalBytes;
    this.#flushedTsn = tsns[tsns.length - 1]!;
    this.#statistics.writeRounds++;
    this.#statistics.recordsWritten += records.length;
    this.#statistics.bytesWritten += totalBytes;
    this.#resolveFlushed();
  }

  async #dropFailedMembers(results: readonly PromiseSettledResult<void>[]): Promise<void> {
    const failed = this.#members.filter((_, i) => results[i].status === 'rejected');
    if (failed.length === 0) return;
    for (const member of failed) {
      const result = results[this.#members.indexOf(member)] as PromiseRejectedResult;
      this.#host.alert.warning(
        `TDB-2002: log member '${member.path}' of group ${this.#groupNumber} failed a write and is dropped from use: ${describe(result.reason)}`,
      );
    }
    this.#members = this.#members.filter((member) => !failed.includes(member));
    await Promise.allSettled(failed.map((member) => member.handle.close()));
    if (this.#members.length === 0) {
      throw new DbError(
        'REDO_GROUP_LOST',
        `every member of the current log group ${this.#groupNumber} failed; the instance cannot write redo and goes down`,
      );
    }
    await this.#markInvalid(
      this.#groupNumber,
      failed.map((member) => member.path),
    );
  }

  async #markInvalid(groupNumber: number, paths: readonly string[]): Promise<void> {
    await this.#host.control.update((state) => ({
      ...state,
      logGroups: state.logGroups.map((group) =>
        group.number !== groupNumber
          ? group
          : {
              ...group,
              members: group.members.map((m) => (paths.includes(m.path) ? { ...m, status: 'INVALID' as const } : m)),
            },
      ),
    }));
  }

  async #switch(): Promise<void> {
    const groups = [...this.#host.control.state.logGroups].sort((a, b) => a.number - b.number);
    const currentIndex = groups.findIndex((group) => group.number === this.#groupNumber);
    assert(currentIndex >= 0, () => `current group ${this.#groupNumber} missing from the control file`);
    let next = groups[(currentIndex + 1) % groups.length];
    assert(next.number !== this.#groupNumber, 'a log switch needs at least two groups');
    if (next.state === 'ACTIVE' || next.archived === false) {
      this.#host.alert.notice(
        next.archived === false
          ? `log switch waits: group ${next.number} (sequence ${next.sequence}) is not archived yet`
          : `log switch waits: group ${next.number} is ACTIVE until a checkpoint covers it`,
      );
      await this.#host.makeReusable(next.number);
      next = this.#host.control.state.logGroups.find((group) => group.number === next.number)!;
    }
    if (next.archived === false) {
      throw new DbError('REDO_NO_INACTIVE_GROUP', `log group ${next.number} is not archived and cannot be reused`);
    }
    if (next.state !== 'INACTIVE' && next.state !== 'UNUSED') {
      throw new DbError('REDO_NO_INACTIVE_GROUP', `log group ${next.number} is ${next.state} and cannot be reused`);
    }
    const sequence = this.#sequence + 1;
    const firstTsn = this.#flushedTsn + 1;
    const header = encodeLogFileHeader({
      dbId: this.#host.control.state.dbId,
      groupNumber: next.number,
      sequence,
      firstTsn,
      resetlogsTsn: this.#host.control.state.incarnation.resetlogsTsn,
      createdMs: this.#host.clock.nowMs(),
      sizeBytes: next.sizeBytes,
    });
    // STALE members (added since the group last held redo) get this sequence from its start.
    const members = await openMembers(this.#host, next, ['VALID', 'STALE'], async (member) => {
      await member.handle.write(header, 0);
      await member.handle.datasync();
    });
    if (members.length === 0) {
      throw new DbError(
        'REDO_GROUP_LOST',
        `every member of log group ${next.number} is lost (${next.members.map((m) => `'${m.path}'`).join(', ')}); ` +
          `the instance cannot switch logs and goes down`,
      );
    }

    const previous = { number: this.#groupNumber, endBytes: this.#writtenEndBytes, nextTsn: firstTsn };
    const isOpen = (path: string): boolean => members.some((open) => open.path === path);
    const lost = next.members.filter((m) => m.status !== 'INVALID' && !isOpen(m.path));
    const promoted = next.members.filter((m) => m.status === 'STALE' && isOpen(m.path));
    await this.#host.control.update((state) => ({
      ...state,
      logGroups: state.logGroups.map((group) => {
        if (group.number === previous.number) {
          return {
            ...group,
            state: 'ACTIVE' as const,
            endBytes: previous.endBytes,
            nextTsn: previous.nextTsn,
            ...(state.logMode === 'ARCHIVELOG' ? { archived: false } : {}),
          };
        }
        if (group.number === next.number) {
          return {
            ...withoutArchived(group),
            state: 'CURRENT' as const,
            sequence,
            firstTsn,
            endBytes: 0,
            nextTsn: 0,
            members: group.members.map((m) => {
              if (lost.some((l) => l.path === m.path)) return { ...m, status: 'INVALID' as const };
              if (promoted.some((p) => p.path === m.path)) return { ...m, status: 'VALID' as const };
              return m;
            }),
          };
        }
        return group;
      }),
    }));

    const oldMembers = this.#members;
    this.#members = members;
    this.#groupNumber = next.number;
    this.#sequence = sequence;
    this.#groupSizeBytes = next.sizeBytes;
    this.#writtenEndBytes = LOG_FILE_HEADER_BYTES;
    this.#allocatedEndBytes = LOG_FILE_HEADER_BYTES;
    this.#segments.push({ firstTsn, sequence, offsetBytes: LOG_FILE_HEADER_BYTES });
    this.#switchWanted = false;
    this.#statistics.switches++;
    await Promise.allSettled(oldMembers.map((member) => member.handle.close()));
    for (const member of promoted) {
      this.#host.alert.notice(
        `log member '${member.path}' of group ${next.number} is VALID from sequence ${sequence} on`,
      );
    }
    this.#host.alert.notice(
      `log switch: sequence ${sequence - 1} (group ${previous.number}) -> sequence ${sequence} (group ${next.number}), first TSN ${firstTsn}`,
    );
    this.#host.onSwitched?.(previous.number);
    const spaceWaiters = this.#spaceWaiters;
    this.#spaceWaiters = [];
    for (const waiter of spaceWaiters) waiter.resolve();
  }

  #resolveFlushed(): void {
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.tsn <= this.#flushedTsn) waiter.resolve();
      else still.push(waiter);
    }
    this.#waiters = still;
  }

  #fail(error: DbError): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#host.alert.error(error.message);
    for (const waiter of [...this.#waiters, ...this.#spaceWaiters]) waiter.reject(error);
    this.#waiters = [];
    this.#spaceWaiters = [];
    this.#host.onFatal(error);
  }
}

/**
 * Opens the members of `group` whose status is one of `statuses` for writing and runs
 * `prepare` on each. A member that is missing or fails is reported to the alert log and left
 * out, as Tibero does: the group carries on with its other members.
 */
async function openMembers(
  host: LogWriterHost,
  group: LogGroupEntry,
  statuses: readonly LogMemberStatus[],
  prepare: (member: OpenMember) => Promise<void>,
): Promise<OpenMember[]> {
  const opened: OpenMember[] = [];
  for (const entry of group.members) {
    if (!statuses.includes(entry.status)) continue;
    let handle: FileHandle | undefined;
    try {
      handle = await host.fs.open(entry.path);
      const member = { path: entry.path, handle };
      await prepare(member);
      opened.push(member);
    } catch (error) {
      await handle?.close().catch(() => undefined);
      const what = isFileSystemError(error, 'ENOENT') ? 'is missing' : `failed: ${describe(error)}`;
      host.alert.warning(
        `TDB-2002: log member '${entry.path}' of group ${group.number} ${what}; the group continues without it`,
      );
    }
  }
  return opened;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
