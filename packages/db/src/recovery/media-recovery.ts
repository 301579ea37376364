// Media recovery (the seed's 미디어 복구): datafiles restored from a backup (or recreated
// empty with CREATE DATAFILE) are brought forward by applying redo from their checkpoint,
// log sequence by log sequence, from the archived logs and then the online logs.
//
// - Complete recovery applies everything up to the end of the online redo.
// - Incomplete recovery stops at a TSN (UNTIL CHANGE, inclusive), a time (UNTIL TIME: no
//   record written after it), or where the operator cancels (UNTIL CANCEL); the database
//   must then open with RESETLOGS, and every datafile must be at exactly that point: one
//   holding a newer block (not restored from an older backup, or a hot backup copy not
//   recovered past its end) is refused.
// - AUTOMATIC finds each log in the archive destinations or online; otherwise the operator
//   names each one (RECOVER LOGFILE), and is told which sequence is needed and where the
//   archiver would have put it.
// A backup copy that tore a block (copied while DBWR wrote it) is accepted: the block is
// skipped until the full-block image logged during backup mode restores it.
import type { Clock, FileSystem } from '@tandem/testkit';
import type { ControlFiles } from '../control/control-file.js';
import type { ControlFileState, DatafileEntry, LogGroupEntry } from '../control/control-state.js';
import { DbError } from '../errors.js';
import type { AlertLog } from '../instance/alert-log.js';
import { archivedLogName, readArchivedLog, scanArchiveDestinations, type ArchivedLog } from '../redo/archive-file.js';
import { decodeLogFileHeader, LOG_FILE_HEADER_BYTES, scanLogGroup } from '../redo/log-file.js';
import type { RedoRecord } from '../redo/redo-record.js';
import { blockTsn, checksumMatches, readBlockHeader } from '../storage/block.js';
import { BufferCache } from '../storage/buffer-cache.js';
import { DatabaseWriter } from '../storage/database-writer.js';
import { Datafile, DATAFILE_HEADER_COPIES } from '../storage/datafile.js';
import { RedoApplier } from './roll-forward.js';

/** The most blocks media recovery's writer puts in one batch (8 MiB of 8 KiB blocks). */
const RECOVERY_WRITE_BATCH_BLOCKS = 1024;

export type RecoveryTarget =
  | { readonly kind: 'complete' }
  /** Apply every record up to and including this TSN. */
  | { readonly kind: 'change'; readonly tsn: number }
  /** Apply every record written at or before this wall-clock time (ms). */
  | { readonly kind: 'time'; readonly ms: number }
  | { readonly kind: 'cancel' };

export interface MediaRecoveryContext {
  readonly fs: FileSystem;
  readonly clock: Clock;
  readonly alert: AlertLog;
  readonly control: ControlFiles;
  readonly archiveDestinations: readonly string[];
  /** A doublewrite file of its own (DBWR's may be in use when a tablespace is recovered while OPEN). */
  readonly doublewritePath: string;
  readonly cacheBlocks?: number;
}

export interface RecoveryScope {
  /** The datafiles to recover. */
  readonly fileNumbers: readonly number[];
  /** Recovering the whole database (required for incomplete recovery). */
  readonly database: boolean;
  /**
   * No redo for these files exists past this TSN (a tablespace taken offline while OPEN):
   * recovery is complete there, without reading the online logs still being written.
   */
  readonly completeAtTsn?: number;
}

/** The next log recovery needs, for the operator (or for the error AUTOMATIC gives). */
export interface NeededLog {
  readonly sequence: number;
  /** The first TSN it must hold. */
  readonly fromTsn: number;
  /** Where the archiver would have put it. */
  readonly suggestion: string;
}

export interface RecoveryOutcome {
  readonly kind: 'complete' | 'incomplete';
  /** Every change up to and including this TSN is in the recovered files. */
  readonly recoveredToTsn: number;
  readonly records: number;
  readonly redoBytes: number;
  readonly logsApplied: number;
  readonly fileNumbers: readonly number[];
}

interface LogSource {
  readonly sequence: number;
  readonly groupNumber: number;
  readonly paths: readonly string[];
  /** Where its records end; undefined for the CURRENT online log (read to the end). */
  readonly endBytes: number | undefined;
  readonly firstTsn: number;
  /** The first TSN of the next log, when known. */
  readonly nextTsn: number | undefined;
  readonly name: string;
  readonly current: boolean;
}

interface RecoveringFile {
  readonly entry: DatafileEntry;
  readonly datafile: Datafile;
  /** Recovery of this file starts here (its header's checkpoint). */
  readonly fromTsn: number;
}

export class MediaRecovery {
  readonly #context: MediaRecoveryContext;
  readonly #scope: RecoveryScope;
  readonly #target: RecoveryTarget;
  readonly #files: Map<number, RecoveringFile>;
  readonly #dbwr: DatabaseWriter;
  readonly #cache: BufferCache;
  readonly #applier: RedoApplier;
  /** A write-behind in progress, and the error one failed with. */
  #writing: Promise<void> | undefined;
  #writeFailure: Error | undefined;
  readonly #fromTsn: number;
  #nextSequence: number | undefined;
  #catalog: readonly ArchivedLog[] | undefined;
  #logsApplied = 0;
  /** The target was reached (incomplete recovery), or the redo ended (complete recovery). */
  #done = false;
  #closed = false;

  private constructor(
    context: MediaRecoveryContext,
    scope: RecoveryScope,
    target: RecoveryTarget,
    files: Map<number, RecoveringFile>,
    cache: BufferCache,
    dbwr: DatabaseWriter,
  ) {
    this.#context = context;
    this.#scope = scope;
    this.#target = target;
    this.#files = files;
    this.#dbwr = dbwr;
    this.#cache = cache;
    this.#fromTsn = Math.min(...[...files.values()].map((file) => file.fromTsn));
    this.#applier = new RedoApplier(cache, {
      fromTsn: this.#fromTsn,
      includeFile: (fileNumber) => files.has(fileNumber),
      tolerateTornBlocks: true,
    });
  }

  /**
   * Opens the datafiles to recover and checks they belong here: this database, this
   * incarnation. Throws TDB-1004 for a missing file (restore it, or CREATE DATAFILE).
   */
  static async start(
    context: MediaRecoveryContext,
    scope: RecoveryScope,
    target: RecoveryTarget,
  ): Promise<MediaRecovery> {
    const state = context.control.state;
    if (target.kind !== 'complete' && !scope.database) {
      throw new DbError(
        'RECOVERY_STATE',
        'incomplete recovery (UNTIL CANCEL, TIME or CHANGE) recovers the whole database: RECOVER DATABASE UNTIL ...',
      );
    }
    if (scope.fileNumbers.length === 0) throw new DbError('RECOVERY_STATE', 'there is no datafile to recover');
    const files = new Map<number, RecoveringFile>();
    try {
      for (const number of scope.fileNumbers) {
        const entry = state.datafiles.find((candidate) => candidate.number === number);
        if (entry === undefined) throw new DbError('NO_SUCH_DATABASE_FILE', `there is no datafile ${number}`);
        const datafile = await Datafile.open(context.fs, entry.path, entry.number, state.blockBytes);
        files.set(number, { entry, datafile, fromTsn: datafile.header.checkpointTsn });
        // Only recovery writes the file while it runs: blocks past its end need no read.
        await datafile.trackEnd();
        if (datafile.header.dbId !== state.dbId) {
          throw new DbError(
            'WRONG_INCARNATION',
            `'${entry.path}' belongs to another database (id ${datafile.header.dbId})`,
          );
        }
        if (datafile.header.resetlogsTsn !== state.incarnation.resetlogsTsn) {
          throw new DbError(
            'WRONG_INCARNATION',
            `datafile ${number} ('${entry.path}') is from another incarnation (its resetlogs TSN is ` +
              `${datafile.header.resetlogsTsn}, the database's ${state.incarnation.resetlogsTsn}): ` +
              `restore a backup taken after the last OPEN RESETLOGS`,
          );
        }
      }
    } catch (error) {
      await Promise.allSettled([...files.values()].map((file) => file.datafile.close()));
      throw error;
    }
    const directory = {
      datafile: (fileNumber: number) => {
        const file = files.get(fileNumber);
        if (file === undefined)
          throw new DbError('NO_SUCH_DATABASE_FILE', `datafile ${fileNumber} is not being recovered`);
        return file.datafile;
      },
    };
    const cache = new BufferCache({
      capacityBlocks: context.cacheBlocks ?? 2048,
      blockBytes: state.blockBytes,
      files: directory,
    });
    const dbwr = await DatabaseWriter.open({
      fs: context.fs,
      cache,
      files: directory,
      // Every change in this cache comes from redo that is already durable.
      redo: { flushedTsn: Number.MAX_SAFE_INTEGER, flush: () => Promise.resolve() },
      doublewritePath: context.doublewritePath,
      blockBytes: state.blockBytes,
      // Recovery dirties blocks far faster than a running database: large batches, so the
      // two syncs of each batch (doublewrite, then in place) are paid per megabytes, not per
      // half megabyte.
      batchBlocksMax: Math.min(RECOVERY_WRITE_BATCH_BLOCKS, Math.max(64, Math.floor(cache.capacityBlocks / 4))),
    });
    if (target.kind === 'change') {
      const newer = [...files.values()].find((file) => file.fromTsn - 1 > target.tsn);
      if (newer !== undefined) {
        await dbwr.close();
        await Promise.allSettled([...files.values()].map((file) => file.datafile.close()));
        throw newerThan(newer.entry, target.tsn, `its checkpoint is at TSN ${newer.fromTsn}`);
      }
    }
    const recovery = new MediaRecovery(context, scope, target, files, cache, dbwr);
    recovery.#nextSequence = await recovery.#firstSequence();
    context.alert.notice(
      `media recovery of datafiles ${[...files.keys()].join(', ')} ${describeTarget(target)}: starting at TSN ${recovery.#fromTsn}` +
        (recovery.#nextSequence === undefined ? '' : `, log sequence ${recovery.#nextSequence}`),
    );
    if (scope.completeAtTsn !== undefined && recovery.#fromTsn > scope.completeAtTsn) recovery.#done = true;
    return recovery;
  }

  get done(): boolean {
    return this.#done;
  }

  /** The log the recovery needs next, or undefined when it is done. */
  async needed(): Promise<NeededLog | undefined> {
    if (this.#done) return undefined;
    const state = this.#context.control.state;
    const sequence = this.#nextSequence ?? (await this.#firstSequence()) ?? 0;
    const destination = this.#context.archiveDestinations[0] ?? '.';
    return {
      sequence,
      fromTsn: Math.max(this.#fromTsn, this.#applier.lastTsn + 1),
      suggestion: `${destination}/${archivedLogName(state.incarnation.number, sequence)}`,
    };
  }

  /**
   * AUTOMATIC: applies the logs it finds, archived or online, until the target or the end
   * of the redo. Throws TDB-8003 naming the sequence if one is missing (the recovery stays
   * open: restore the log and retry, name it with RECOVER LOGFILE, or cancel).
   */
  async applyAvailable(): Promise<void> {
    while (!this.#done) {
      const needed = await this.needed();
      const source = needed === undefined ? undefined : await this.#findLog(needed.sequence);
      if (needed === undefined) return;
      if (source === undefined) {
        if (this.#target.kind === 'cancel') return;
        throw this.#logNeeded(needed);
      }
      await this.#applyLog(source);
    }
  }

  /** RECOVER LOGFILE 'path': applies the log the operator names, an archived log or an online member. */
  async applyFile(path: string): Promise<void> {
    if (this.#done) throw new DbError('RECOVERY_STATE', 'media recovery is already complete');
    const needed = (await this.needed())!;
    const state = this.#context.control.state;
    const archived = await readArchivedLog(this.#context.fs, path);
    let source: LogSource;
    if (archived !== undefined) {
      this.#checkArchived(archived);
      source = archivedSource(archived);
    } else {
      source = await this.#onlineSourceFromFile(path, state);
    }
    if (source.sequence !== needed.sequence) {
      throw new DbError(
        'RECOVERY_LOG_NEEDED',
        `'${path}' holds log sequence ${source.sequence}, but recovery needs sequence ${needed.sequence} ` +
          `(from TSN ${needed.fromTsn}; suggestion: '${needed.suggestion}')`,
      );
    }
    await this.#applyLog(source);
  }

  /**
   * Ends the recovery: writes the recovered blocks, stamps the files' checkpoint, and
   * returns what was done. Complete recovery must have reached the end of the redo;
   * incomplete recovery stops where it is (RECOVER CANCEL) after checking every datafile is
   * at that point. `record` updates the control file (the caller's stage decides how).
   */
  async finish(): Promise<RecoveryOutcome> {
    const incomplete = this.#target.kind !== 'complete';
    if (!incomplete && !this.#done) {
      const needed = await this.needed();
      throw this.#logNeeded(needed!);
    }
    const torn = this.#applier.tornBlocks;
    if (torn.length > 0) {
      throw new DbError(
        'BLOCK_CORRUPT',
        `media recovery found corrupt blocks that no full-block image in the redo replaced: ` +
          `${torn.map((block) => `${block.fileNumber}:${block.blockNumber}`).join(', ')} ` +
          `(${torn[0].reason}); restore those files from another backup`,
      );
    }
    // UNTIL CHANGE n recovers to n exactly (no record between the last applied one and n).
    // A tablespace recovered while offline is complete at its offline TSN (no redo after it).
    // Cancelled short of a target: where the applied redo ends.
    const recoveredToTsn =
      this.#target.kind === 'change' && this.#done
        ? this.#target.tsn
        : Math.max(this.#applier.lastTsn, this.#fromTsn - 1, this.#done ? (this.#scope.completeAtTsn ?? 0) : 0);
    await this.#writeBehindDone();
    await this.#dbwr.writeDirty();
    if (incomplete) await this.#checkConsistentAt(recoveredToTsn);
    const checkpointTsn = recoveredToTsn + 1;
    const wallMs = this.#context.clock.nowMs();
    const state = this.#context.control.state;
    for (const file of this.#files.values()) {
      // A copy taken in backup mode carries the mode in its header; recovered, it is an
      // ordinary file again (unless the database is in backup mode for it right now).
      const backupTsn = state.datafiles.find((entry) => entry.number === file.entry.number)?.backupTsn ?? 0;
      const header = file.datafile.header;
      if (header.checkpointTsn < checkpointTsn || incomplete || header.backupTsn !== backupTsn) {
        await file.datafile.writeHeader({
          checkpointTsn: Math.max(checkpointTsn, incomplete ? 0 : header.checkpointTsn),
          checkpointMs: wallMs,
          backupTsn,
        });
      }
    }
    await this.close();
    const outcome: RecoveryOutcome = {
      kind: incomplete ? 'incomplete' : 'complete',
      recoveredToTsn,
      records: this.#applier.records,
      redoBytes: this.#applier.redoBytes,
      logsApplied: this.#logsApplied,
      fileNumbers: [...this.#files.keys()],
    };
    this.#context.alert.notice(
      `media recovery ${outcome.kind}: datafiles ${outcome.fileNumbers.join(', ')} recovered to TSN ${recoveredToTsn} ` +
        `(${outcome.logsApplied} logs, ${outcome.records} redo records, ${outcome.redoBytes} bytes)`,
    );
    return outcome;
  }

  /** Stops without stamping anything (the files stay as they are: recovery can run again). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#dbwr.close().catch(() => undefined);
    await Promise.allSettled([...this.#files.values()].map((file) => file.datafile.close()));
    await this.#context.fs.unlink(this.#context.doublewritePath).catch(() => undefined);
  }

  #logNeeded(needed: NeededLog): DbError {
    return new DbError(
      'RECOVERY_LOG_NEEDED',
      `media recovery needs log sequence ${needed.sequence} (redo from TSN ${needed.fromTsn}), which is in no archive ` +
        `destination (${this.#context.archiveDestinations.join(', ')}) and no online log; restore it as ` +
        `'${needed.suggestion}' and retry, name it with ALTER DATABASE RECOVER LOGFILE '...', or stop with ` +
        `RECOVER CANCEL (incomplete recovery, then OPEN RESETLOGS)`,
    );
  }

  /**
   * Writes dirty blocks in the background once half the cache is dirty, while the redo
   * goes on being applied, so that the cache rarely fills (a full cache makes the next
   * read wait for a write) and less is left for finish().
   */
  #writeBehind(): void {
    if (this.#writing !== undefined || this.#cache.dirtyCount <= this.#cache.capacityBlocks / 2) return;
    const target = Math.floor(this.#cache.capacityBlocks / 4);
    this.#writing = this.#dbwr.writeDirty({ maxBlocks: this.#cache.dirtyCount - target }).then(
      () => {
        this.#writing = undefined;
      },
      (error: unknown) => {
        this.#writing = undefined;
        this.#writeFailure ??= error instanceof Error ? error : new Error(String(error));
      },
    );
  }

  /** Waits for a write-behind in progress; throws what a write-behind failed with. */
  async #writeBehindDone(): Promise<void> {
    await this.#writing;
    if (this.#writeFailure !== undefined) throw this.#writeFailure;
  }

  async #applyLog(source: LogSource): Promise<void> {
    const stopBefore = this.#stopBefore();
    let stopped = false;
    const result = await scanLogGroup(
      this.#context.fs,
      {
        groupNumber: source.groupNumber,
        sequence: source.sequence,
        memberPaths: source.paths,
        ...(source.endBytes === undefined ? {} : { endBytes: source.endBytes }),
      },
      async (entries) => {
        if (stopped) return;
        stopped = await this.#applier.apply(entries, stopBefore);
        this.#writeBehind();
      },
    );
    await this.#writeBehindDone();
    for (const warning of result.warnings) this.#context.alert.warning(`media recovery: ${warning}`);
    this.#logsApplied++;
    this.#nextSequence = source.sequence + 1;
    this.#context.alert.notice(
      `media recovery: applied log sequence ${source.sequence} ('${source.name}')${stopped ? ', stopping at the target' : ''}`,
    );
    const target = this.#target;
    const lastInLog = source.nextTsn === undefined ? this.#applier.lastTsn : source.nextTsn - 1;
    if (stopped) this.#done = true;
    else if (target.kind === 'change' && lastInLog >= target.tsn) this.#done = true;
    else if (this.#scope.completeAtTsn !== undefined && lastInLog >= this.#scope.completeAtTsn) this.#done = true;
    else if (source.current) {
      // The end of the redo. A target beyond it cannot be reached.
      if (target.kind === 'change') {
        throw new DbError(
          'RECOVERY_LOG_NEEDED',
          `the redo ends at TSN ${Math.max(this.#applier.lastTsn, this.#fromTsn - 1)}, before the target TSN ${target.tsn}: ` +
            `recovery cannot reach it (RECOVER CANCEL ends it here)`,
        );
      }
      this.#done = true;
    }
  }

  #stopBefore(): ((record: RedoRecord) => boolean) | undefined {
    const target = this.#target;
    const completeAt = this.#scope.completeAtTsn;
    if (target.kind === 'change') return (record) => record.tsn > target.tsn;
    if (target.kind === 'time') return (record) => record.wallMs > target.ms;
    if (completeAt !== undefined) return (record) => record.tsn > completeAt;
    return undefined;
  }

  /** The sequence holding the first TSN to apply, archived or online. */
  async #firstSequence(): Promise<number | undefined> {
    const state = this.#context.control.state;
    const archived = await this.#archived();
    const candidates = [
      ...archived.map((log) => ({ sequence: log.sequence, firstTsn: log.firstTsn, nextTsn: log.nextTsn })),
      ...state.logGroups
        .filter((group) => group.state !== 'UNUSED' && group.sequence > 0)
        .map((group) => ({
          sequence: group.sequence,
          firstTsn: group.firstTsn,
          nextTsn: group.state === 'CURRENT' ? Number.POSITIVE_INFINITY : group.nextTsn,
        })),
    ];
    const holding = candidates.find((log) => log.firstTsn <= this.#fromTsn && this.#fromTsn < log.nextTsn);
    if (holding !== undefined) return holding.sequence;
    // Not held by any log we have: the one after the newest that ends before it.
    const before = candidates.filter((log) => log.nextTsn <= this.#fromTsn).sort((a, b) => b.sequence - a.sequence)[0];
    if (before !== undefined) return before.sequence + 1;
    const oldest = candidates.sort((a, b) => a.sequence - b.sequence)[0];
    return oldest === undefined ? 1 : Math.max(1, oldest.sequence - 1);
  }

  /**
   * This incarnation's archived logs. Reading every trailer in the destinations is done
   * once, not once a log: `fresh` reads them again (a log the operator may have restored).
   */
  async #archived(fresh = false): Promise<readonly ArchivedLog[]> {
    if (this.#catalog === undefined || fresh) {
      const state = this.#context.control.state;
      const logs = await scanArchiveDestinations(this.#context.fs, this.#context.archiveDestinations, state.dbId);
      this.#catalog = logs.filter((log) => log.resetlogsTsn === state.incarnation.resetlogsTsn);
    }
    return this.#catalog;
  }

  /** Where sequence `sequence` can be read: an archived copy first, else the online group still holding it. */
  async #findLog(sequence: number): Promise<LogSource | undefined> {
    const holds = (log: ArchivedLog): boolean => log.sequence === sequence;
    const archived = (await this.#archived()).find(holds);
    if (archived !== undefined) return archivedSource(archived);
    const online = await this.#onlineSource(sequence);
    if (online !== undefined) return online;
    // Neither: the operator may have restored it into a destination since the last look.
    const restored = (await this.#archived(true)).find(holds);
    return restored === undefined ? undefined : archivedSource(restored);
  }

  /** The online group still holding `sequence`, from its members that exist. */
  async #onlineSource(sequence: number): Promise<LogSource | undefined> {
    const state = this.#context.control.state;
    const group = state.logGroups.find((entry) => entry.sequence === sequence && entry.state !== 'UNUSED');
    if (group === undefined) return undefined;
    const paths = group.members.filter((member) => member.status === 'VALID').map((member) => member.path);
    const present: string[] = [];
    for (const path of paths) if (await this.#context.fs.exists(path)) present.push(path);
    return present.length === 0 ? undefined : onlineSource(group, present);
  }

  #checkArchived(log: ArchivedLog): void {
    const state = this.#context.control.state;
    if (log.dbId !== state.dbId) {
      throw new DbError('WRONG_INCARNATION', `'${log.path}' is an archived log of another database (id ${log.dbId})`);
    }
    if (log.resetlogsTsn !== state.incarnation.resetlogsTsn) {
      throw new DbError(
        'WRONG_INCARNATION',
        `'${log.path}' is an archived log of incarnation ${log.incarnation} (resetlogs TSN ${log.resetlogsTsn}), ` +
          `not of the current incarnation ${state.incarnation.number} (resetlogs TSN ${state.incarnation.resetlogsTsn}): ` +
          `redo from before or after a RESETLOGS cannot be applied`,
      );
    }
  }

  async #onlineSourceFromFile(path: string, state: ControlFileState): Promise<LogSource> {
    const bytes = new Uint8Array(LOG_FILE_HEADER_BYTES);
    const handle = await this.#context.fs.open(path, { readOnly: true }).catch(() => {
      throw new DbError('REDO_LOG_MISSING', `'${path}' does not exist`);
    });
    try {
      await handle.read(bytes, 0, LOG_FILE_HEADER_BYTES, 0);
    } finally {
      await handle.close();
    }
    const header = decodeLogFileHeader(bytes);
    if (header === undefined) throw new DbError('REDO_LOG_HEADER_CORRUPT', `'${path}' is not a redo log file`);
    if (header.dbId !== state.dbId || header.resetlogsTsn !== state.incarnation.resetlogsTsn) {
      throw new DbError(
        'WRONG_INCARNATION',
        `'${path}' holds redo of ${header.dbId !== state.dbId ? 'another database' : `another incarnation (resetlogs TSN ${header.resetlogsTsn})`}`,
      );
    }
    const group = state.logGroups.find(
      (entry) => entry.number === header.groupNumber && entry.sequence === header.sequence,
    );
    if (group === undefined) {
      // A member copied out of an old group: its end is where its records end.
      return {
        sequence: header.sequence,
        groupNumber: header.groupNumber,
        paths: [path],
        endBytes: undefined,
        firstTsn: header.firstTsn,
        nextTsn: undefined,
        name: path,
        current: false,
      };
    }
    return onlineSource(group, [path]);
  }

  /**
   * Incomplete recovery leaves the database at one point: every datafile's checkpoint at or
   * before it, and no block holding a change after it (reads every block of every file).
   */
  async #checkConsistentAt(tsn: number): Promise<void> {
    const state = this.#context.control.state;
    const recovering = new Set(this.#files.keys());
    for (const entry of state.datafiles) {
      if (!recovering.has(entry.number)) continue;
      const file = this.#files.get(entry.number)!;
      if (file.fromTsn - 1 > tsn) throw newerThan(entry, tsn, `its checkpoint is at TSN ${file.fromTsn}`);
      const newest = await newestBlock(this.#context.fs, file.datafile, entry.path);
      if (newest !== undefined && newest.tsn > tsn) {
        throw newerThan(entry, tsn, `block ${newest.blockNumber} is at TSN ${newest.tsn}`);
      }
    }
  }
}

/**
 * Records a finished recovery in the control file: the recovered files' checkpoint, and
 * after incomplete recovery that the database opens only with RESETLOGS. Files recovered
 * while OPEN (a tablespace offline) stay OFFLINE until ALTER TABLESPACE ... ONLINE.
 */
export async function recordRecovery(
  control: ControlFiles,
  outcome: RecoveryOutcome,
  target: RecoveryTarget,
  options: { readonly whileOpen: boolean },
): Promise<void> {
  const checkpointTsn = outcome.recoveredToTsn + 1;
  const recovered = new Set(outcome.fileNumbers);
  await control.update((current) => ({
    ...current,
    datafiles: current.datafiles.map((entry) => {
      if (!recovered.has(entry.number)) return entry;
      const status = options.whileOpen ? 'OFFLINE' : 'ONLINE';
      // Recovered in MOUNT: back online, and no longer bound to an offline point.
      const { status: _status, offlineTsn, ...rest } = entry;
      return {
        ...rest,
        checkpointTsn: outcome.kind === 'incomplete' ? checkpointTsn : Math.max(entry.checkpointTsn, checkpointTsn),
        ...(status === 'ONLINE' ? {} : { status, ...(offlineTsn === undefined ? {} : { offlineTsn }) }),
      };
    }),
    ...(outcome.kind === 'incomplete' && target.kind !== 'complete'
      ? { mediaRecovery: { recoveredToTsn: outcome.recoveredToTsn, kind: target.kind } }
      : {}),
  }));
}

function newerThan(entry: DatafileEntry, tsn: number, why: string): DbError {
  return new DbError(
    'RECOVERY_INCONSISTENT',
    `datafile ${entry.number} ('${entry.path}') holds changes after TSN ${tsn} (${why}): it was not restored from a ` +
      `backup taken before the recovery point, or a backup taken while it was in backup mode was not recovered past ` +
      `the backup's end; restore an older backup and recover again`,
  );
}

function archivedSource(log: ArchivedLog): LogSource {
  return {
    sequence: log.sequence,
    groupNumber: log.groupNumber,
    paths: [log.path],
    endBytes: log.bodyBytes,
    firstTsn: log.firstTsn,
    nextTsn: log.nextTsn,
    name: log.path,
    current: false,
  };
}

function onlineSource(group: LogGroupEntry, paths: readonly string[]): LogSource {
  const current = group.state === 'CURRENT';
  return {
    sequence: group.sequence,
    groupNumber: group.number,
    paths,
    endBytes: current ? undefined : group.endBytes,
    firstTsn: group.firstTsn,
    nextTsn: current ? undefined : group.nextTsn,
    name: paths[0],
    current,
  };
}

/** The block with the highest TSN in a datafile (header copies aside), reading it whole. */
async function newestBlock(
  fs: FileSystem,
  datafile: Datafile,
  path: string,
): Promise<{ blockNumber: number; tsn: number } | undefined> {
  const blockBytes = datafile.blockBytes;
  const handle = await fs.open(path, { readOnly: true });
  try {
    const size = await handle.size();
    const chunk = new Uint8Array(Math.max(blockBytes, Math.floor((1024 * 1024) / blockBytes) * blockBytes));
    let newest: { blockNumber: number; tsn: number } | undefined;
    for (let offset = DATAFILE_HEADER_COPIES * blockBytes; offset < size; offset += chunk.length) {
      const read = await handle.read(chunk, 0, Math.min(chunk.length, size - offset), offset);
      for (let at = 0; at + blockBytes <= read; at += blockBytes) {
        const block = chunk.subarray(at, at + blockBytes);
        if (!checksumMatches(block)) continue; // never written (zeros); torn blocks were rejected before
        const tsn = blockTsn(block);
        if (newest === undefined || tsn > newest.tsn) newest = { blockNumber: readBlockHeader(block).blockNumber, tsn };
      }
    }
    return newest;
  } finally {
    await handle.close();
  }
}

function describeTarget(target: RecoveryTarget): string {
  switch (target.kind) {
    case 'complete':
      return '(complete)';
    case 'change':
      return `until TSN ${target.tsn}`;
    case 'time':
      return `until ${new Date(target.ms).toISOString()}`;
    case 'cancel':
      return 'until cancel';
  }
}
