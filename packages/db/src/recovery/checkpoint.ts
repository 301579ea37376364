// Checkpoints: DBWR writes dirty blocks oldest first, then the checkpoint position (the
// redo crash recovery would start from) moves to the oldest change still only in memory,
// in every datafile header and in the control file. Incremental checkpoints write the
// oldest blocks; a full checkpoint (at a clean shutdown, on ALTER SYSTEM CHECKPOINT, after
// recovery) writes them all. Online log groups whose redo is all before it become INACTIVE.
import type { Clock } from '@tandem/testkit';
import type { ControlFiles } from '../control/control-file.js';
import type { ControlFileState } from '../control/control-state.js';
import type { AlertLog } from '../instance/alert-log.js';
import type { LogWriter } from '../redo/log-writer.js';
import type { BufferCache } from '../storage/buffer-cache.js';
import type { Datafile } from '../storage/datafile.js';
import type { DatabaseWriter } from '../storage/database-writer.js';

export interface CheckpointerOptions {
  readonly cache: BufferCache;
  readonly dbwr: DatabaseWriter;
  readonly redo: LogWriter;
  readonly control: ControlFiles;
  readonly datafiles: () => Iterable<Datafile>;
  readonly clock: Clock;
  readonly alert: AlertLog;
  /** Whether a group may become INACTIVE yet (ARCHIVELOG: only once archived). */
  readonly groupReleasable?: (groupNumber: number, state: ControlFileState) => boolean;
}

export class Checkpointer {
  readonly #options: CheckpointerOptions;
  #chain: Promise<unknown> = Promise.resolve();
  #lastRecordedTsn = 0;

  constructor(options: CheckpointerOptions) {
    this.#options = options;
    this.#lastRecordedTsn = options.control.state.checkpoint.tsn;
  }

  get checkpointTsn(): number {
    return this.#lastRecordedTsn;
  }

  /** Writes up to `maxBlocks` of the oldest dirty blocks and advances the checkpoint. */
  incremental(maxBlocks: number): Promise<void> {
    return this.#serialize(async () => {
      await this.#options.dbwr.writeDirty({ maxBlocks });
      await this.#record();
    });
  }

  /** Writes every dirty block and records the checkpoint in the control file and every datafile header. */
  full(reason: string): Promise<void> {
    return this.#serialize(async () => {
      const started = this.#options.clock.monotonicMs();
      const written = await this.#options.dbwr.writeDirty();
      await this.#record();
      this.#options.alert.notice(
        `checkpoint (${reason}): wrote ${written} blocks in ${Math.round(this.#options.clock.monotonicMs() - started)} ms, checkpoint TSN ${this.#lastRecordedTsn}`,
      );
    });
  }

  /** Makes a log group reusable: writes every block changed by its redo, then records the checkpoint. */
  coverGroup(groupNumber: number): Promise<void> {
    return this.#serialize(async () => {
      const group = this.#options.control.state.logGroups.find((entry) => entry.number === groupNumber);
      if (group === undefined || group.state !== 'ACTIVE') return;
      await this.#options.dbwr.writeDirty({ upToTsn: group.nextTsn - 1 });
      await this.#record();
    });
  }

  /** Runs `work` between checkpoints (DROP TABLESPACE closes files a checkpoint would stamp). */
  between(work: () => Promise<void>): Promise<void> {
    return this.#serialize(work);
  }

  #serialize(work: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(work);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #record(): Promise<void> {
    const { cache, redo, control, clock } = this.#options;
    const checkpointTsn = cache.oldestDirtyTsn() ?? redo.lastTsn + 1;
    const position = redo.positionOf(checkpointTsn);
    const wallMs = clock.nowMs();
    // Every checkpoint stamps the datafile headers (a small write and sync per file), so a
    // copy of a datafile taken at any moment names a recent checkpoint and needs little
    // redo. Headers first: the control file never claims more than the files hold.
    // A file in online backup mode keeps its checkpoint frozen (see Datafile.backupTsn).
    for (const datafile of this.#options.datafiles()) {
      if (datafile.header.backupTsn !== 0) continue;
      if (datafile.header.checkpointTsn < checkpointTsn) await datafile.writeCheckpoint(checkpointTsn, wallMs);
    }
    const releasable = this.#options.groupReleasable ?? (() => true);
    await control.update((state) => ({
      ...state,
      checkpoint: { sequence: position.sequence, offsetBytes: position.offsetBytes, tsn: checkpointTsn },
      checkpointMs: wallMs,
      datafiles: state.datafiles.map((file) =>
        // Frozen in backup mode; an offline file holds only what it held when it went offline.
        file.backupTsn !== undefined || (file.status ?? 'ONLINE') !== 'ONLINE'
          ? file
          : { ...file, checkpointTsn: Math.max(file.checkpointTsn, checkpointTsn) },
      ),
      logGroups: state.logGroups.map((group) =>
        // Released only if the recorded position is past the group: the position can lag
        // the TSN (a checkpoint during a log switch maps to the old log), and recovery
        // must be able to read from it.
        group.state === 'ACTIVE' && group.sequence < position.sequence && releasable(group.number, state)
          ? { ...group, state: 'INACTIVE' as const }
          : group,
      ),
    }));
    redo.forgetBefore(checkpointTsn);
    this.#lastRecordedTsn = checkpointTsn;
  }
}
