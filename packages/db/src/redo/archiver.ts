// The archiver (Tibero's LOGA). In ARCHIVELOG mode every log group that LGWR switches out
// is marked unarchived in the control file; the archiver copies its filled part to every
// archive destination, verifies each copy (every redo record's checksum, and the whole
// copy read back against the checksum of what was read), and only then marks the group
// archived. LGWR cannot reuse a group before that (see LogWriter's switch), so when a
// destination is full or unwritable the database stops taking redo instead of losing an
// unarchived log: the archiver reports [error] once, retries with a growing pause, and
// everything resumes by itself when the destination works again.
import { crc32 } from 'node:zlib';
import type { Clock, FileSystem } from '@tandem/testkit';
import { isFileSystemError } from '@tandem/testkit';
import { parentOf, type ControlFiles } from '../control/control-file.js';
import type { ControlFileState, LogGroupEntry } from '../control/control-state.js';
import { DbError, isDbError } from '../errors.js';
import type { AlertLog } from '../instance/alert-log.js';
import {
  ARCHIVE_TRAILER_BYTES,
  archivedLogName,
  crc32OfPrefix,
  encodeArchiveTrailer,
  readArchivedLog,
  REDO_THREAD,
  scanArchiveDestinations,
  type ArchivedLog,
} from './archive-file.js';
import { scanLogGroup } from './log-file.js';

export interface ArchiverOptions {
  readonly fs: FileSystem;
  readonly clock: Clock;
  readonly alert: AlertLog;
  readonly control: ControlFiles;
  /** Absolute directories; each archived log goes to every one. */
  readonly destinations: readonly string[];
  /** First pause after a failure; it doubles up to `retryMaxMs`. */
  readonly retryMs?: number;
  readonly retryMaxMs?: number;
}

const COPY_CHUNK_BYTES = 1024 * 1024;

interface Waiter {
  readonly groupNumber: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export interface ArchiverStatistics {
  logsArchived: number;
  bytesArchived: number;
  failures: number;
}

export class Archiver {
  readonly #options: ArchiverOptions;
  /** What the destinations hold, this database's logs only (v$archived_log). */
  #catalog: ArchivedLog[];
  #waiters: Waiter[] = [];
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;
  /** The failure being reported, so a retry that fails the same way stays quiet. */
  #failing: string | undefined;
  #sleeping: { cancel: () => void } | undefined;
  readonly statistics: ArchiverStatistics = { logsArchived: 0, bytesArchived: 0, failures: 0 };

  private constructor(options: ArchiverOptions, catalog: ArchivedLog[]) {
    this.#options = options;
    this.#catalog = catalog;
  }

  /** Reads what the destinations hold, then archives any group still waiting. */
  static async start(options: ArchiverOptions): Promise<Archiver> {
    const catalog = await scanArchiveDestinations(options.fs, options.destinations, options.control.state.dbId);
    const archiver = new Archiver(options, catalog);
    archiver.kick();
    return archiver;
  }

  get destinations(): readonly string[] {
    return this.#options.destinations;
  }

  /** The archived logs in the destinations, by incarnation and sequence. */
  get catalog(): readonly ArchivedLog[] {
    return this.#catalog;
  }

  /** Whether a failure keeps a log from being archived now. */
  get stalled(): boolean {
    return this.#failing !== undefined;
  }

  /** Looks for work: called after every log switch. */
  kick(): void {
    if (this.#closed) return;
    this.#again = true;
    this.#sleeping?.cancel();
    if (this.#running === undefined) this.#running = this.#loop();
  }

  async #loop(): Promise<void> {
    try {
      await this.#run();
    } finally {
      this.#running = undefined;
    }
    // A kick that came while the loop was finishing.
    if (this.#again && !this.#closed) this.kick();
  }

  /** Resolves once `groupNumber` holds no unarchived redo. */
  whenArchived(groupNumber: number): Promise<void> {
    if (!this.#unarchived(this.#options.control.state).some((group) => group.number === groupNumber)) {
      return Promise.resolve();
    }
    if (this.#closed) return Promise.reject(closedError());
    return new Promise((resolve, reject) => {
      this.#waiters.push({ groupNumber, resolve, reject });
      this.kick();
    });
  }

  /** Resolves once every log up to `sequence` is archived (ALTER SYSTEM ARCHIVE LOG CURRENT). */
  async whenSequenceArchived(sequence: number): Promise<void> {
    for (;;) {
      const pending = this.#unarchived(this.#options.control.state).find((group) => group.sequence <= sequence);
      if (pending === undefined) return;
      await this.whenArchived(pending.number);
    }
  }

  /** Stops after the copy in progress; groups left unarchived are archived at the next OPEN. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#sleeping?.cancel();
    await this.#running?.catch(() => undefined);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(closedError());
  }

  #unarchived(state: ControlFileState): LogGroupEntry[] {
    return state.logGroups
      .filter((group) => group.archived === false && group.state !== 'CURRENT' && group.state !== 'UNUSED')
      .sort((a, b) => a.sequence - b.sequence);
  }

  async #run(): Promise<void> {
    let pauseMs = this.#options.retryMs ?? 1000;
    while (!this.#closed) {
      this.#again = false;
      const next = this.#unarchived(this.#options.control.state)[0];
      if (next === undefined) {
        this.#resolveWaiters();
        if (!this.#again) return;
        continue;
      }
      try {
        await this.#archiveGroup(next);
        pauseMs = this.#options.retryMs ?? 1000;
        if (this.#failing !== undefined) {
          this.#options.alert.notice(`archiver: archiving works again (log sequence ${next.sequence} archived)`);
          this.#failing = undefined;
        }
        this.#resolveWaiters();
      } catch (error) {
        if (this.#closed) return;
        this.statistics.failures++;
        const message = isDbError(error) ? error.message : errorText(error);
        if (this.#failing !== message) {
          this.#failing = message;
          this.#options.alert.error(
            `archiver: cannot archive log sequence ${next.sequence} (group ${next.number}): ${message}; ` +
              `the group cannot be reused until it is archived, so redo stops when no other group is free; retrying`,
          );
        }
        await this.#pause(pauseMs);
        pauseMs = Math.min(pauseMs * 2, this.#options.retryMaxMs ?? 30_000);
      }
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.#options.clock.setTimer(ms, () => {
        this.#sleeping = undefined;
        resolve();
      });
      this.#sleeping = {
        cancel: () => {
          timer.cancel();
          this.#sleeping = undefined;
          resolve();
        },
      };
    });
  }

  #resolveWaiters(): void {
    const unarchived = new Set(this.#unarchived(this.#options.control.state).map((group) => group.number));
    const ready = this.#waiters.filter((waiter) => !unarchived.has(waiter.groupNumber));
    this.#waiters = this.#waiters.filter((waiter) => unarchived.has(waiter.groupNumber));
    for (const waiter of ready) waiter.resolve();
  }

  /** Copies one group to every destination (from another member if one is damaged), then records it archived. */
  async #archiveGroup(group: LogGroupEntry): Promise<void> {
    const members = group.members.filter((member) => member.status === 'VALID').map((member) => member.path);
    if (members.length === 0) {
      throw new DbError('REDO_GROUP_LOST', `log group ${group.number} has no VALID member to archive from`);
    }
    const state = this.#options.control.state;
    const archived: ArchivedLog[] = [];
    for (const destination of this.#options.destinations) {
      const path = `${destination}/${archivedLogName(state.incarnation.number, group.sequence)}`;
      archived.push(await this.#archiveTo(group, members, path));
    }
    await this.#options.control.update((current) => ({
      ...current,
      logGroups: current.logGroups.map((entry) =>
        entry.number === group.number && entry.sequence === group.sequence ? { ...entry, archived: true } : entry,
      ),
    }));
    this.#catalog = [
      ...this.#catalog.filter((log) => !archived.some((copy) => copy.path === log.path)),
      ...archived,
    ].sort((a, b) => a.incarnation - b.incarnation || a.sequence - b.sequence || a.path.localeCompare(b.path));
    this.statistics.logsArchived++;
    this.statistics.bytesArchived += group.endBytes;
    this.#options.alert.notice(
      `archiver: log sequence ${group.sequence} (group ${group.number}, TSN ${group.firstTsn} to ${group.nextTsn - 1}) ` +
        `archived to ${archived.map((log) => `'${log.path}'`).join(', ')}`,
    );
  }

  async #archiveTo(group: LogGroupEntry, members: readonly string[], path: string): Promise<ArchivedLog> {
    const { fs } = this.#options;
    const state = this.#options.control.state;
    const existing = await readArchivedLog(fs, path).catch(() => undefined);
    if (existing !== undefined) {
      // Archived before a crash kept the control file from saying so: keep it if it is this log.
      const same =
        existing.dbId === state.dbId &&
        existing.sequence === group.sequence &&
        existing.resetlogsTsn === state.incarnation.resetlogsTsn &&
        existing.firstTsn === group.firstTsn &&
        existing.bodyBytes === group.endBytes;
      if (same && (await crc32OfPrefix(fs, path, existing.bodyBytes)) === existing.bodyCrc32) return existing;
      throw new DbError(
        'FILE_EXISTS',
        `'${path}' already holds a different archived log (sequence ${existing.sequence}, database ${existing.dbId}); move it away`,
      );
    }
    await fs.mkdir(parentOf(path), { recursive: true });
    let lastError: unknown;
    for (const member of members) {
      try {
        return await this.#copyMember(group, member, path);
      } catch (error) {
        // A member damaged or unreadable here: the same redo may be sound in another.
        if (!isDbError(error) || (error.codeName !== 'REDO_RECORD_CORRUPT' && error.codeName !== 'REDO_LOG_MISSING')) {
          throw error;
        }
        lastError = error;
        this.#options.alert.warning(`archiver: log member '${member}' cannot be archived: ${error.message}`);
      }
    }
    throw lastError;
  }

  async #copyMember(group: LogGroupEntry, member: string, path: string): Promise<ArchivedLog> {
    const { fs, clock } = this.#options;
    const state = this.#options.control.state;
    const temporary = `${path}.partial`;
    const source = await fs.open(member, { readOnly: true }).catch((error: unknown) => {
      if (isFileSystemError(error, 'ENOENT'))
        throw new DbError('REDO_LOG_MISSING', `log member '${member}' is missing`);
      throw error;
    });
    let bodyCrc32 = 0;
    try {
      const target = await fs.open(temporary, { create: true, truncate: true });
      try {
        const chunk = new Uint8Array(Math.min(COPY_CHUNK_BYTES, Math.max(1, group.endBytes)));
        for (let offset = 0; offset < group.endBytes;) {
          if (this.#closed) throw closedError();
          const length = Math.min(chunk.length, group.endBytes - offset);
          const read = await source.read(chunk, 0, length, offset);
          if (read < length) {
            throw new DbError(
              'REDO_LOG_MISSING',
              `log member '${member}' ends at ${offset + read} bytes, before the ${group.endBytes} its group holds`,
            );
          }
          const bytes = chunk.subarray(0, read);
          bodyCrc32 = crc32(bytes, bodyCrc32);
          await target.write(bytes, offset);
          offset += read;
        }
        await target.datasync();
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
    // Verify the copy: every record sound and in this log, ending exactly at endBytes.
    let firstMs = 0;
    let nextMs = 0;
    const scanned = await scanLogGroup(
      fs,
      { groupNumber: group.number, sequence: group.sequence, memberPaths: [temporary], endBytes: group.endBytes },
      (entries) => {
        if (firstMs === 0) firstMs = entries[0].record.wallMs;
        nextMs = entries[entries.length - 1].record.wallMs;
      },
    );
    if (scanned.endBytes !== group.endBytes || scanned.warnings.length > 0) {
      throw new DbError(
        'REDO_RECORD_CORRUPT',
        `the copy of log sequence ${group.sequence} from '${member}' does not read back whole ` +
          `(${scanned.warnings.join('; ') || `records end at ${scanned.endBytes} of ${group.endBytes} bytes`})`,
      );
    }
    const archivedMs = clock.nowMs();
    const header = {
      dbId: state.dbId,
      thread: REDO_THREAD,
      groupNumber: group.number,
      incarnation: state.incarnation.number,
      sequence: group.sequence,
      resetlogsTsn: state.incarnation.resetlogsTsn,
      firstTsn: group.firstTsn,
      nextTsn: group.nextTsn,
      firstMs: firstMs === 0 ? archivedMs : firstMs,
      nextMs: nextMs === 0 ? archivedMs : nextMs,
      bodyBytes: group.endBytes,
      bodyCrc32,
      archivedMs,
    };
    const handle = await fs.open(temporary);
    try {
      await handle.write(encodeArchiveTrailer(header), group.endBytes);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    // Read back what is on disk: the checksum of what was read from the member must match.
    if ((await crc32OfPrefix(fs, temporary, group.endBytes)) !== bodyCrc32) {
      throw new DbError(
        'REDO_RECORD_CORRUPT',
        `the copy of log sequence ${group.sequence} at '${temporary}' reads back differently`,
      );
    }
    await fs.rename(temporary, path);
    await fs.syncDirectory(parentOf(path));
    return { ...header, path, sizeBytes: group.endBytes + ARCHIVE_TRAILER_BYTES };
  }
}

function closedError(): DbError {
  return new DbError('INSTANCE_DOWN', 'the archiver is stopped');
}

function errorText(error: unknown): string {
  if (isFileSystemError(error, 'ENOSPC'))
    return `the archive destination is full (${String((error as Error).message)})`;
  return error instanceof Error ? error.message : String(error);
}
