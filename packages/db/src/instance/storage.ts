// The storage engine assembled: control files, datafiles, online redo, buffer cache,
// DBWR, space management and checkpoints, with creation, OPEN-time crash recovery (restore
// torn blocks from the doublewrite file, then roll the online redo forward) and clean
// shutdown. The instance (boot stages, shutdown modes, transactions) is built on it.
import type { Clock, FileSystem, Timer } from '@tandem/testkit';
import { assert } from '../assert.js';
import { ControlFiles, parentOf } from '../control/control-file.js';
import {
  withoutBackup,
  type ControlFileState,
  type DatafileEntry,
  type LogGroupEntry,
  type RedoPosition,
  type TablespaceEntry,
  type TablespaceKind,
  type LogMode,
} from '../control/control-state.js';
import { DbError, isDbError } from '../errors.js';
import { Checkpointer } from '../recovery/checkpoint.js';
import { Archiver } from '../redo/archiver.js';
import { rollForward, type RollForwardResult } from '../recovery/roll-forward.js';
import { createLogMember, LOG_FILE_HEADER_BYTES } from '../redo/log-file.js';
import { LogWriter } from '../redo/log-writer.js';
import { DEFAULT_BLOCK_BYTES, isValidBlockBytes } from '../storage/block.js';
import { BufferCache } from '../storage/buffer-cache.js';
import { DatabaseWriter, restoreTornBlocks } from '../storage/database-writer.js';
import { Datafile } from '../storage/datafile.js';
import { SpaceManager } from '../storage/space-manager.js';
import { CacheMiniTransaction, mtrReserveBytes, type BlockImagePolicy } from '../txn/cache-mini-transaction.js';
import { RetryAfter, runWithRetry } from '../txn/mini-transaction.js';
import type { AlertLog } from './alert-log.js';
import { recreateDatafile } from './database-files.js';

export interface TablespaceSpec {
  readonly name: string;
  readonly kind: TablespaceKind;
  readonly sizeBlocks: number;
  readonly autoextend?: { readonly nextBlocks: number; readonly maxBlocks: number };
  /** The datafile's path; default `<directory>/<name>001.dtf`. */
  readonly path?: string;
}

export interface CreateStorageSpec {
  readonly directory: string;
  readonly dbName?: string;
  readonly dbId?: number;
  readonly controlFilePaths?: readonly string[];
  readonly blockBytes?: number;
  readonly logGroups?: number;
  readonly logMembers?: number;
  readonly logSizeBytes?: number;
  /** The members of each log group by path (CREATE DATABASE ... LOGFILE GROUP 1 ('a','b')); overrides logGroups and logMembers. */
  readonly logGroupPaths?: readonly (readonly string[])[];
  readonly tablespaces?: readonly TablespaceSpec[];
  /** The log mode the database starts in (default NOARCHIVELOG). */
  readonly logMode?: LogMode;
}

export interface StorageIo {
  readonly fs: FileSystem;
  readonly clock: Clock;
  readonly alert: AlertLog;
}

export interface OpenStorageOptions {
  readonly controlFilePaths: readonly string[];
  readonly doublewritePath: string;
  readonly bufferCacheBlocks?: number;
  /**
   * How often DBWR writes the oldest dirty blocks and the checkpoint advances (0 = only
   * on demand). Bounds crash recovery time: the redo to replay is what was generated since.
   */
  readonly checkpointIntervalMs?: number;
  /** Blocks an incremental checkpoint writes at most, per interval. */
  readonly checkpointBlocksMax?: number;
  /**
   * Where the archiver copies filled logs in ARCHIVELOG mode (Tibero's LOG_ARCHIVE_DEST):
   * absolute directories, each getting every log. Default: `archive` beside the first
   * control file.
   */
  readonly archiveDestinations?: readonly string[];
  /** The archiver's first pause after a failure (it doubles up to 30 s). */
  readonly archiveRetryMs?: number;
}

export const DEFAULT_LOG_SIZE_BYTES = 64 * 1024 * 1024;

export function defaultTablespaces(): TablespaceSpec[] {
  return [
    { name: 'SYSTEM', kind: 'SYSTEM', sizeBlocks: 1024, autoextend: { nextBlocks: 1024, maxBlocks: 1 << 20 } },
    { name: 'UNDO', kind: 'UNDO', sizeBlocks: 1024, autoextend: { nextBlocks: 1024, maxBlocks: 1 << 20 } },
    { name: 'TEMP', kind: 'TEMP', sizeBlocks: 256, autoextend: { nextBlocks: 256, maxBlocks: 1 << 18 } },
    { name: 'USR', kind: 'USER', sizeBlocks: 1024, autoextend: { nextBlocks: 2048, maxBlocks: 1 << 22 } },
  ];
}

export function defaultControlFilePaths(directory: string): string[] {
  return [`${directory}/control01.ctl`, `${directory}/control02.ctl`];
}

export function doublewritePathOf(directory: string): string {
  return `${directory}/doublewrite.dat`;
}

/** Creates the files of a new database: control files, online redo, datafiles. */
export async function createStorage(io: StorageIo, spec: CreateStorageSpec): Promise<ControlFileState> {
  const { fs, clock } = io;
  const blockBytes = spec.blockBytes ?? DEFAULT_BLOCK_BYTES;
  if (!isValidBlockBytes(blockBytes)) {
    throw new DbError('INVALID_PARAMETER', `block size ${blockBytes} must be a power of two from 2048 to 32768 bytes`);
  }
  const groupCount = spec.logGroupPaths?.length ?? spec.logGroups ?? 3;
  const memberCount =
    spec.logGroupPaths === undefined ? (spec.logMembers ?? 2) : Math.min(...spec.logGroupPaths.map((g) => g.length));
  const logSizeBytes = spec.logSizeBytes ?? DEFAULT_LOG_SIZE_BYTES;
  if (groupCount < 2) throw new DbError('REDO_LOG_CONFIG', `a database needs at least 2 log groups, got ${groupCount}`);
  if (memberCount < 1) throw new DbError('REDO_LOG_CONFIG', `a log group needs at least 1 member, got ${memberCount}`);
  if (logSizeBytes < 16 * mtrReserveBytes(blockBytes)) {
    throw new DbError(
      'REDO_LOG_CONFIG',
      `log files of ${logSizeBytes} bytes are too small for ${blockBytes}-byte blocks; use at least ${16 * mtrReserveBytes(blockBytes)}`,
    );
  }
  const dbId = spec.dbId ?? (Math.floor(clock.nowMs() / 1000) ^ 0x5a17) >>> 0;
  const now = clock.nowMs();
  const controlPaths = spec.controlFilePaths ?? defaultControlFilePaths(spec.directory);
  if (controlPaths.length < 2) {
    throw new DbError(
      'INVALID_PARAMETER',
      `a database needs at least 2 control files, preferably on different disks; got ${controlPaths.length}`,
    );
  }
  await fs.mkdir(spec.directory, { recursive: true });

  const logGroups: LogGroupEntry[] = [];
  for (let number = 1; number <= groupCount; number++) {
    const members =
      spec.logGroupPaths?.[number - 1] ??
      Array.from(
        { length: memberCount },
        (_, i) => `${spec.directory}/redo${String(number).padStart(2, '0')}${String.fromCharCode(97 + i)}.log`,
      );
    for (const path of members) await fs.mkdir(parentOf(path), { recursive: true });
    for (const path of members) {
      await createLogMember(fs, path, {
        dbId,
        groupNumber: number,
        sequence: number === 1 ? 1 : 0,
        firstTsn: number === 1 ? 1 : 0,
        resetlogsTsn: 0,
        createdMs: now,
        sizeBytes: logSizeBytes,
      });
    }
    logGroups.push({
      number,
      sizeBytes: logSizeBytes,
      members: members.map((path) => ({ path, status: 'VALID' })),
      sequence: number === 1 ? 1 : 0,
      firstTsn: number === 1 ? 1 : 0,
      endBytes: 0,
      nextTsn: 0,
      state: number === 1 ? 'CURRENT' : 'UNUSED',
    });
  }

  const tablespaces: TablespaceEntry[] = [];
  const datafiles: DatafileEntry[] = [];
  for (const [index, tablespace] of (spec.tablespaces ?? defaultTablespaces()).entries()) {
    tablespaces.push({ number: index, name: tablespace.name, kind: tablespace.kind });
    const fileNumber = datafiles.length + 1;
    const path = tablespace.path ?? `${spec.directory}/${tablespace.name.toLowerCase()}001.dtf`;
    await fs.mkdir(parentOf(path), { recursive: true });
    const maxBlocks = tablespace.autoextend?.maxBlocks ?? tablespace.sizeBlocks;
    const datafile = await Datafile.create(fs, {
      path,
      sizeBlocks: tablespace.sizeBlocks,
      maxBlocks,
      header: {
        dbId,
        fileNumber,
        tablespaceNumber: index,
        blockBytes,
        creationTsn: 1,
        checkpointTsn: 1,
        checkpointMs: now,
        resetlogsTsn: 0,
      },
    });
    await datafile.close();
    datafiles.push({
      number: fileNumber,
      tablespaceNumber: index,
      path,
      sizeBlocks: tablespace.sizeBlocks,
      autoextend: tablespace.autoextend ?? null,
      creationTsn: 1,
      checkpointTsn: 1,
    });
  }
  const directories = new Set([
    spec.directory,
    ...logGroups.flatMap((group) => group.members.map((member) => parentOf(member.path))),
    ...datafiles.map((file) => parentOf(file.path)),
  ]);
  for (const directory of directories) await fs.syncDirectory(directory);

  const state: ControlFileState = {
    formatVersion: 1,
    dbName: spec.dbName ?? 'tandem',
    dbId,
    createdMs: now,
    blockBytes,
    logMode: spec.logMode ?? 'NOARCHIVELOG',
    incarnation: { number: 1, resetlogsTsn: 0, resetlogsMs: now },
    checkpoint: { sequence: 1, offsetBytes: LOG_FILE_HEADER_BYTES, tsn: 1 },
    checkpointMs: now,
    cleanShutdown: true,
    tablespaces,
    datafiles,
    logGroups,
  };
  for (const path of controlPaths) await fs.mkdir(parentOf(path), { recursive: true });
  const control = await ControlFiles.create(fs, controlPaths, state);
  await control.close();
  io.alert.notice(
    `database ${state.dbName} created (id ${dbId}): ${datafiles.length} datafiles, ${groupCount} log groups of ${memberCount} members`,
  );
  return state;
}

/**
 * Where the online redo holds the record with `tsn` (the start of its log group), or
 * undefined if that redo has been overwritten.
 */
function onlinePositionOf(logGroups: readonly LogGroupEntry[], tsn: number): RedoPosition | undefined {
  const holding = logGroups.find(
    (group) =>
      group.state !== 'UNUSED' &&
      group.sequence > 0 &&
      group.firstTsn <= tsn &&
      (group.state === 'CURRENT' || tsn < group.nextTsn),
  );
  if (holding === undefined) return undefined;
  const current = logGroups.find((group) => group.state === 'CURRENT')!;
  // Every sequence from it to the current one must still be online.
  for (let sequence = holding.sequence; sequence <= current.sequence; sequence++) {
    if (!logGroups.some((group) => group.sequence === sequence && group.state !== 'UNUSED')) return undefined;
  }
  return { sequence: holding.sequence, offsetBytes: LOG_FILE_HEADER_BYTES, tsn: holding.firstTsn };
}

/**
 * Opens a datafile. A missing TEMP datafile holds nothing that must survive, so it is
 * recreated empty, as Tibero does at boot; any other missing datafile is an error.
 */
async function openOrRecreateTemp(io: StorageIo, state: ControlFileState, entry: DatafileEntry): Promise<Datafile> {
  try {
    return await Datafile.open(io.fs, entry.path, entry.number, state.blockBytes);
  } catch (error) {
    const tablespace = state.tablespaces.find((ts) => ts.number === entry.tablespaceNumber);
    if (!isDbError(error, 'DATAFILE_MISSING') || tablespace?.kind !== 'TEMP') throw error;
    const datafile = await recreateDatafile(io.fs, state, entry, {
      checkpointTsn: entry.checkpointTsn,
      nowMs: io.clock.nowMs(),
    });
    io.alert.notice(
      `temp file ${entry.number} ('${entry.path}') of tablespace ${tablespace.name} was missing and has been recreated`,
    );
    return datafile;
  }
}

/** An open storage engine. */
export class Storage {
  readonly io: StorageIo;
  readonly control: ControlFiles;
  readonly cache: BufferCache;
  readonly dbwr: DatabaseWriter;
  readonly redo: LogWriter;
  readonly space: SpaceManager;
  readonly checkpointer: Checkpointer;
  readonly archiver: Archiver;
  readonly datafiles: ReadonlyMap<number, Datafile>;
  /** What OPEN's recovery did. */
  readonly recovery: RollForwardResult & {
    readonly crashRecovery: boolean;
    readonly restoredBlocks: readonly string[];
  };
  #fatal: DbError | undefined;
  #closed = false;
  #checkpointTimer: Timer | undefined;
  /** Files in online backup mode, each with the blocks whose full image is logged since it began. */
  readonly #backupImaged = new Map<number, Set<number>>();
  #imagePolicy: BlockImagePolicy | undefined;

  private constructor(parts: {
    io: StorageIo;
    control: ControlFiles;
    cache: BufferCache;
    dbwr: DatabaseWriter;
    redo: LogWriter;
    space: SpaceManager;
    checkpointer: Checkpointer;
    archiver: Archiver;
    datafiles: Map<number, Datafile>;
    recovery: Storage['recovery'];
  }) {
    this.io = parts.io;
    this.control = parts.control;
    this.cache = parts.cache;
    this.dbwr = parts.dbwr;
    this.redo = parts.redo;
    this.space = parts.space;
    this.checkpointer = parts.checkpointer;
    this.archiver = parts.archiver;
    this.datafiles = parts.datafiles;
    this.recovery = parts.recovery;
  }

  get fatalError(): DbError | undefined {
    return this.#fatal;
  }

  /** MOUNT and OPEN: cross-checks the files, recovers from a crash if needed, and starts LGWR. */
  static async open(io: StorageIo, options: OpenStorageOptions, mounted?: ControlFiles): Promise<Storage> {
    const { fs, alert } = io;
    const control = mounted ?? (await Storage.mount(io, options.controlFilePaths));
    const state = control.state;
    if (state.mediaRecovery !== undefined) {
      if (mounted === undefined) await control.close();
      throw new DbError(
        'RESETLOGS_REQUIRED',
        `the database was recovered incompletely (to TSN ${state.mediaRecovery.recoveredToTsn}, until ${state.mediaRecovery.kind}): ` +
          `it opens only with ALTER DATABASE OPEN RESETLOGS`,
      );
    }

    const datafiles = new Map<number, Datafile>();
    const closeAll = async (): Promise<void> => {
      await Promise.allSettled([...datafiles.values()].map((datafile) => datafile.close()));
      await control.close();
    };
    // Recovery starts at the control file's checkpoint, or earlier for a datafile older
    // than the control file (a copy restored while the redo it needs is still online).
    let recoverFrom: RedoPosition = state.checkpoint;
    const staleFiles: string[] = [];
    try {
      for (const entry of state.datafiles) {
        // An offline file stays closed (its tablespace's tables answer TDB-1010) until ONLINE.
        if ((entry.status ?? 'ONLINE') !== 'ONLINE') continue;
        const datafile = await openOrRecreateTemp(io, state, entry);
        datafiles.set(entry.number, datafile);
        const { checkpointTsn, resetlogsTsn } = datafile.header;
        if (checkpointTsn >= entry.checkpointTsn && resetlogsTsn === state.incarnation.resetlogsTsn) continue;
        const onlineFrom =
          resetlogsTsn === state.incarnation.resetlogsTsn
            ? onlinePositionOf(state.logGroups, checkpointTsn)
            : undefined;
        if (onlineFrom === undefined) {
          throw new DbError(
            'MEDIA_RECOVERY_NEEDED',
            `datafile ${entry.number} ('${entry.path}') is older than the control file (checkpoint TSN ${checkpointTsn}, ` +
              `control file expects ${entry.checkpointTsn}) and the online redo no longer reaches back to it: ` +
              `it was restored from a backup; media recovery is needed`,
          );
        }
        staleFiles.push(`${entry.number} ('${entry.path}', checkpoint TSN ${checkpointTsn})`);
        if (onlineFrom.tsn < recoverFrom.tsn) recoverFrom = onlineFrom;
      }
    } catch (error) {
      await closeAll();
      throw error;
    }
    const files = {
      datafile: (fileNumber: number) => {
        const datafile = datafiles.get(fileNumber);
        if (datafile === undefined) {
          const entry = control.state.datafiles.find((candidate) => candidate.number === fileNumber);
          assert(entry !== undefined, () => `no datafile ${fileNumber}`);
          throw new DbError(
            'DATAFILE_OFFLINE',
            `datafile ${fileNumber} ('${entry.path}') is offline (${entry.status ?? 'being taken offline'}): ` +
              `bring its tablespace ONLINE${entry.status === 'RECOVER' ? ' after media recovery (ALTER DATABASE RECOVER TABLESPACE ...)' : ''}`,
          );
        }
        return datafile;
      },
      has: (fileNumber: number) => datafiles.has(fileNumber),
    };
    // From here on, a failure closes everything opened so far.
    let dbwr: DatabaseWriter | undefined;
    let redo: LogWriter | undefined;
    let archiver: Archiver | undefined;
    try {
      const cache = new BufferCache({
        capacityBlocks: options.bufferCacheBlocks ?? 4096,
        blockBytes: state.blockBytes,
        files,
      });
      // Until LGWR starts, every change in the cache comes from durable redo.
      const replayed = { flushedTsn: Number.MAX_SAFE_INTEGER, flush: () => Promise.resolve() };
      dbwr = await DatabaseWriter.open({
        fs,
        cache,
        files,
        redo: replayed,
        doublewritePath: options.doublewritePath,
        blockBytes: state.blockBytes,
      });

      const crashRecovery = !state.cleanShutdown || staleFiles.length > 0;
      let restoredBlocks: string[] = [];
      if (staleFiles.length > 0) {
        alert.notice(
          `recovery: datafiles older than the control file are brought current from the online redo: ${staleFiles.join(', ')}`,
        );
      }
      if (crashRecovery) {
        alert.notice(
          `crash recovery: ${state.cleanShutdown ? 'stale datafiles' : 'the database was not shut down cleanly'}; starting from TSN ${recoverFrom.tsn} (log sequence ${recoverFrom.sequence})`,
        );
        restoredBlocks = await restoreTornBlocks(fs, options.doublewritePath, files, state.blockBytes);
        if (restoredBlocks.length > 0)
          alert.warning(
            `crash recovery: restored ${restoredBlocks.length} torn blocks from the doublewrite file: ${restoredBlocks.join(', ')}`,
          );
      }
      const started = io.clock.monotonicMs();
      // Redo for a datafile that was dropped later (DROP TABLESPACE) has nowhere to go.
      const known = new Set(datafiles.keys());
      const rolled = await rollForward({
        fs,
        cache,
        logGroups: state.logGroups,
        from: recoverFrom,
        includeFile: (fileNumber) => known.has(fileNumber),
      });
      for (const warning of rolled.warnings) alert.warning(warning);
      if (crashRecovery) {
        alert.notice(
          `crash recovery: rolled forward ${rolled.records} redo records (${rolled.redoBytes} bytes, ${rolled.changesApplied} changes applied, ` +
            `${rolled.changesSkipped} already on disk) to TSN ${rolled.lastTsn} in ${Math.round(io.clock.monotonicMs() - started)} ms`,
        );
      }

      // Before LGWR: the log switch at the end of crash recovery may wait for it.
      archiver = await Archiver.start({
        fs,
        clock: io.clock,
        alert,
        control,
        destinations: options.archiveDestinations ?? [`${parentOf(control.paths[0])}/archive`],
        ...(options.archiveRetryMs === undefined ? {} : { retryMs: options.archiveRetryMs }),
      });
      const archiving = archiver;
      // LGWR's callbacks reach parts that are built after it.
      const late: { storage?: Storage; checkpointer?: Checkpointer } = {};
      redo = await LogWriter.start(
        {
          fs,
          clock: io.clock,
          alert,
          control,
          makeReusable: async (groupNumber) => {
            assert(late.checkpointer !== undefined, 'log switch before the checkpointer exists');
            await Promise.all([late.checkpointer.coverGroup(groupNumber), archiving.whenArchived(groupNumber)]);
          },
          onSwitched: () => archiving.kick(),
          onFatal: (error) => {
            if (late.storage !== undefined) late.storage.#fatal = error;
          },
        },
        {
          groupNumber: rolled.end.groupNumber,
          sequence: rolled.end.sequence,
          writeOffsetBytes: rolled.end.offsetBytes,
          lastTsn: Math.max(rolled.lastTsn, state.checkpoint.tsn - 1),
          recoveredFrom: recoverFrom,
        },
      );
      dbwr.setRedo(redo);
      const checkpointer = new Checkpointer({
        cache,
        dbwr,
        redo,
        control,
        datafiles: () => datafiles.values(),
        clock: io.clock,
        alert,
      });
      const space = new SpaceManager(cache, {
        extendDatafile: async (fileNumber, sizeBlocks) => {
          await control.update((current) => ({
            ...current,
            datafiles: current.datafiles.map((entry) =>
              entry.number === fileNumber ? { ...entry, sizeBlocks } : entry,
            ),
          }));
          await files.datafile(fileNumber).extend(sizeBlocks);
          alert.notice(`datafile ${fileNumber} extended to ${sizeBlocks} blocks`);
        },
      });
      for (const entry of state.datafiles) {
        if (!datafiles.has(entry.number)) continue;
        const tablespace = state.tablespaces.find((ts) => ts.number === entry.tablespaceNumber);
        await space.addFile({
          datafile: files.datafile(entry.number),
          tablespaceName: tablespace?.name ?? '?',
          sizeBlocks: entry.sizeBlocks,
          autoextend: entry.autoextend,
        });
      }
      late.checkpointer = checkpointer;
      const storage = new Storage({
        io,
        control,
        cache,
        dbwr,
        redo,
        space,
        checkpointer,
        archiver: archiving,
        datafiles,
        recovery: { ...rolled, crashRecovery, restoredBlocks },
      });
      late.storage = storage;

      if (crashRecovery) {
        // Make the recovered state durable, then start a fresh log sequence, so that members
        // that differed in the unacknowledged tail of the old one are never read again.
        await checkpointer.full('end of crash recovery');
        await redo.switchLogfile();
        await checkpointer.full('after crash recovery log switch');
      }
      await control.update((current) => ({ ...current, cleanShutdown: false }));
      storage.#startCheckpointTimer(options.checkpointIntervalMs ?? 3000, options.checkpointBlocksMax ?? 1024);
      // Still in backup mode after a restart: images start afresh (more images are harmless).
      const inBackup = control.state.datafiles.filter((entry) => entry.backupTsn !== undefined);
      for (const entry of inBackup) storage.#startImages(entry.number);
      if (inBackup.length > 0) {
        alert.warning(
          `datafiles still in online backup mode: ${inBackup.map((entry) => entry.number).join(', ')}; end it with ALTER DATABASE END BACKUP`,
        );
      }
      alert.notice(`database ${state.dbName} opened at TSN ${redo.lastTsn}, log sequence ${redo.sequence}`);
      return storage;
    } catch (error) {
      await archiver?.close().catch(() => undefined);
      await redo?.close().catch(() => undefined);
      await dbwr?.close().catch(() => undefined);
      await closeAll();
      throw error;
    }
  }

  /** MOUNT: opens and cross-checks the control files. */
  static async mount(io: StorageIo, controlFilePaths: readonly string[]): Promise<ControlFiles> {
    const { control, report } = await ControlFiles.mount(io.fs, controlFilePaths);
    for (const warning of report.warnings) io.alert.warning(warning);
    io.alert.notice(
      `database ${control.state.dbName} mounted from ${control.paths.length} control files: ${control.paths.join(', ')}`,
    );
    return control;
  }

  /**
   * CREATE TABLESPACE: records a new USER tablespace, then adds its datafiles. A crash in
   * between leaves the tablespace without files; ALTER TABLESPACE ADD DATAFILE completes it.
   */
  async addTablespace(name: string, files: readonly Parameters<Storage['addDatafile']>[1][]): Promise<number> {
    this.#assertUsable();
    const state = this.control.state;
    if (state.tablespaces.some((ts) => ts.name.toLowerCase() === name.toLowerCase())) {
      throw new DbError('DUPLICATE_OBJECT', `tablespace "${name}" already exists`);
    }
    if (files.length === 0) throw new DbError('INVALID_PARAMETER', `tablespace ${name} needs at least one datafile`);
    for (const file of files) {
      if (state.datafiles.some((entry) => entry.path === file.path)) {
        throw new DbError('FILE_EXISTS', `'${file.path}' is already a datafile of this database`);
      }
    }
    const number = Math.max(...state.tablespaces.map((ts) => ts.number)) + 1;
    await this.control.update((current) => ({
      ...current,
      tablespaces: [...current.tablespaces, { number, name, kind: 'USER' }],
    }));
    for (const file of files) await this.addDatafile(name, file);
    this.io.alert.notice(`tablespace ${name} created with ${files.length} datafile(s)`);
    return number;
  }

  /**
   * DROP TABLESPACE, once its segments are gone: a full checkpoint first, so that no redo
   * crash recovery reads names its files; then the control file forgets them, and the files
   * are closed and, with `deleteFiles`, removed. A crash before the control file update
   * leaves the empty tablespace; after it, at most files nobody references.
   */
  async dropTablespace(name: string, options: { readonly deleteFiles: boolean }): Promise<readonly string[]> {
    this.#assertUsable();
    const tablespace = this.control.state.tablespaces.find((ts) => ts.name === name);
    if (tablespace === undefined) throw new DbError('INVALID_PARAMETER', `tablespace ${name} does not exist`);
    if (tablespace.kind !== 'USER') {
      throw new DbError('INVALID_PARAMETER', `the ${tablespace.kind} tablespace ${name} cannot be dropped`);
    }
    await this.checkpointer.full(`drop tablespace ${name}`);
    const entries = this.control.state.datafiles.filter((entry) => entry.tablespaceNumber === tablespace.number);
    for (const entry of entries) {
      assert(
        this.space.usedBlocks(entry.number) === 0,
        () => `datafile ${entry.number} of ${name} still holds segments`,
      );
    }
    await this.checkpointer.between(async () => {
      await this.control.update((current) => ({
        ...current,
        tablespaces: current.tablespaces.filter((ts) => ts.number !== tablespace.number),
        datafiles: current.datafiles.filter((entry) => entry.tablespaceNumber !== tablespace.number),
      }));
      for (const entry of entries) {
        this.space.removeFile(entry.number);
        this.cache.discardFile(entry.number);
        const datafile = this.datafiles.get(entry.number);
        (this.datafiles as Map<number, Datafile>).delete(entry.number);
        await datafile?.close();
        if (options.deleteFiles) {
          await this.io.fs.unlink(entry.path);
          await this.io.fs.syncDirectory(parentOf(entry.path));
        }
      }
    });
    this.io.alert.notice(
      `tablespace ${name} dropped; its ${entries.length} datafile(s) were ${options.deleteFiles ? 'deleted' : 'kept'}`,
    );
    return entries.map((entry) => entry.path);
  }

  async addDatafile(
    tablespaceName: string,
    spec: {
      readonly path: string;
      readonly sizeBlocks: number;
      readonly autoextend?: { readonly nextBlocks: number; readonly maxBlocks: number };
    },
  ): Promise<number> {
    this.#assertUsable();
    const state = this.control.state;
    const tablespace = state.tablespaces.find((ts) => ts.name === tablespaceName);
    if (tablespace === undefined) throw new DbError('INVALID_PARAMETER', `tablespace ${tablespaceName} does not exist`);
    if (state.datafiles.some((entry) => entry.path === spec.path)) {
      throw new DbError('DATABASE_EXISTS', `'${spec.path}' is already a datafile of this database`);
    }
    const fileNumber = Math.max(...state.datafiles.map((entry) => entry.number)) + 1;
    const tsn = this.redo.lastTsn + 1;
    const datafile = await Datafile.create(this.io.fs, {
      path: spec.path,
      sizeBlocks: spec.sizeBlocks,
      maxBlocks: spec.autoextend?.maxBlocks ?? spec.sizeBlocks,
      header: {
        dbId: state.dbId,
        fileNumber,
        tablespaceNumber: tablespace.number,
        blockBytes: state.blockBytes,
        creationTsn: tsn,
        checkpointTsn: tsn,
        checkpointMs: this.io.clock.nowMs(),
        resetlogsTsn: state.incarnation.resetlogsTsn,
      },
    });
    await this.io.fs.syncDirectory(parentOf(spec.path));
    await this.control.update((current) => ({
      ...current,
      datafiles: [
        ...current.datafiles,
        {
          number: fileNumber,
          tablespaceNumber: tablespace.number,
          path: spec.path,
          sizeBlocks: spec.sizeBlocks,
          autoextend: spec.autoextend ?? null,
          creationTsn: tsn,
          checkpointTsn: tsn,
        },
      ],
    }));
    (this.datafiles as Map<number, Datafile>).set(fileNumber, datafile);
    await this.space.addFile({
      datafile,
      tablespaceName,
      sizeBlocks: spec.sizeBlocks,
      autoextend: spec.autoextend ?? null,
    });
    this.io.alert.notice(
      `datafile ${fileNumber} ('${spec.path}') added to tablespace ${tablespaceName} with ${spec.sizeBlocks} blocks`,
    );
    return fileNumber;
  }

  /**
   * BEGIN BACKUP (ARCHIVELOG only): from now on the first change to each block of these
   * files logs the block's full image; a full checkpoint then writes every block changed
   * before, so that the files on disk hold every change before `backupTsn`; and the files'
   * checkpoint is set to `backupTsn` and frozen there until END BACKUP. A copy taken
   * meanwhile (even one that tears a block DBWR is writing) is made consistent by recovery
   * from that checkpoint: every block changed since has its image in the redo. Returns
   * `backupTsn`.
   */
  async beginBackup(fileNumbers: readonly number[]): Promise<number> {
    this.#assertUsable();
    if (this.control.state.logMode !== 'ARCHIVELOG') {
      throw new DbError(
        'ARCHIVELOG_REQUIRED',
        'online backup needs ARCHIVELOG mode: the redo generated while files are copied must be kept; ' +
          'shut down and take an offline backup, or mount and ALTER DATABASE ARCHIVELOG',
      );
    }
    const entries = this.#datafileEntries(fileNumbers);
    const busy = entries.filter((entry) => entry.backupTsn !== undefined || this.#backupImaged.has(entry.number));
    if (busy.length > 0) {
      throw new DbError(
        'BACKUP_MODE',
        `datafile ${busy.map((entry) => `${entry.number} ('${entry.path}')`).join(', ')} is already in backup mode`,
      );
    }
    const offline = entries.filter((entry) => (entry.status ?? 'ONLINE') !== 'ONLINE');
    if (offline.length > 0) {
      throw new DbError('BACKUP_MODE', `datafile ${offline[0].number} ('${offline[0].path}') is ${offline[0].status}`);
    }
    const backupTsn = this.redo.lastTsn + 1;
    for (const entry of entries) this.#startImages(entry.number);
    try {
      await this.checkpointer.full('begin backup');
      await this.checkpointer.between(async () => {
        for (const entry of entries) {
          await this.datafiles.get(entry.number)!.writeHeader({ checkpointTsn: backupTsn, backupTsn });
        }
        await this.control.update((current) => ({
          ...current,
          datafiles: current.datafiles.map((entry) =>
            fileNumbers.includes(entry.number) ? { ...entry, checkpointTsn: backupTsn, backupTsn } : entry,
          ),
        }));
      });
    } catch (error) {
      for (const entry of entries) this.#stopImages(entry.number);
      throw error;
    }
    this.io.alert.notice(
      `begin backup: datafiles ${entries.map((entry) => entry.number).join(', ')} in backup mode from TSN ${backupTsn}`,
    );
    return backupTsn;
  }

  /** END BACKUP: the files leave backup mode; their checkpoint advances again. */
  async endBackup(fileNumbers: readonly number[]): Promise<void> {
    this.#assertUsable();
    const entries = this.#datafileEntries(fileNumbers);
    const idle = entries.filter((entry) => entry.backupTsn === undefined);
    if (idle.length > 0) {
      throw new DbError(
        'BACKUP_MODE',
        `datafile ${idle.map((entry) => `${entry.number} ('${entry.path}')`).join(', ')} is not in backup mode`,
      );
    }
    await this.checkpointer.between(async () => {
      for (const entry of entries) await this.datafiles.get(entry.number)!.writeHeader({ backupTsn: 0 });
      await this.control.update((current) => ({
        ...current,
        datafiles: current.datafiles.map((entry) =>
          fileNumbers.includes(entry.number) ? withoutBackup(entry) : entry,
        ),
      }));
    });
    for (const entry of entries) this.#stopImages(entry.number);
    this.io.alert.notice(`end backup: datafiles ${entries.map((entry) => entry.number).join(', ')}`);
  }

  /**
   * ALTER TABLESPACE ... OFFLINE [NORMAL | IMMEDIATE]. NORMAL writes the files' blocks
   * first (they need no recovery); IMMEDIATE does not (the files may be lost already), so
   * their cached changes are dropped and they need media recovery before ONLINE. Either
   * way no redo for them exists past `offlineTsn`, where their recovery is complete. The
   * caller keeps sessions away from the tablespace's tables (table locks).
   */
  async takeOffline(fileNumbers: readonly number[], mode: 'normal' | 'immediate'): Promise<number> {
    this.#assertUsable();
    const entries = this.#datafileEntries(fileNumbers).filter((entry) => (entry.status ?? 'ONLINE') === 'ONLINE');
    const inBackup = entries.find((entry) => entry.backupTsn !== undefined);
    if (inBackup !== undefined) {
      throw new DbError('BACKUP_MODE', `datafile ${inBackup.number} is in backup mode: END BACKUP first`);
    }
    if (mode === 'normal') await this.checkpointer.full('tablespace offline');
    let offlineTsn = 0;
    await this.checkpointer.between(async () => {
      offlineTsn = this.redo.lastTsn;
      for (const entry of entries) {
        const datafile = this.datafiles.get(entry.number);
        if (mode === 'normal' && datafile !== undefined) {
          await datafile.writeHeader({ checkpointTsn: offlineTsn + 1, checkpointMs: this.io.clock.nowMs() });
        }
        this.space.removeFile(entry.number);
        this.cache.discardFile(entry.number, mode === 'immediate');
        (this.datafiles as Map<number, Datafile>).delete(entry.number);
        await datafile?.close().catch(() => undefined);
      }
      const offline = new Set(entries.map((entry) => entry.number));
      await this.control.update((current) => ({
        ...current,
        datafiles: current.datafiles.map((entry) =>
          offline.has(entry.number)
            ? {
                ...entry,
                status: mode === 'normal' ? ('OFFLINE' as const) : ('RECOVER' as const),
                offlineTsn,
                ...(mode === 'normal' ? { checkpointTsn: offlineTsn + 1 } : {}),
              }
            : entry,
        ),
      }));
    });
    this.io.alert.notice(
      `datafiles ${entries.map((entry) => entry.number).join(', ')} offline (${mode.toUpperCase()}) at TSN ${offlineTsn}` +
        (mode === 'immediate' ? '; they need media recovery before ONLINE' : ''),
    );
    return offlineTsn;
  }

  /** ALTER TABLESPACE ... ONLINE: reopens offline files that hold every change up to their offline TSN. */
  async bringOnline(fileNumbers: readonly number[]): Promise<void> {
    this.#assertUsable();
    const state = this.control.state;
    const entries = this.#datafileEntries(fileNumbers).filter((entry) => (entry.status ?? 'ONLINE') !== 'ONLINE');
    const needRecovery = entries.filter((entry) => entry.status === 'RECOVER');
    if (needRecovery.length > 0) {
      throw new DbError(
        'MEDIA_RECOVERY_NEEDED',
        `datafile ${needRecovery.map((entry) => `${entry.number} ('${entry.path}')`).join(', ')} needs media recovery ` +
          `first: restore it if it is lost, then ALTER DATABASE RECOVER TABLESPACE ... (or DATAFILE ...)`,
      );
    }
    const opened: Datafile[] = [];
    try {
      for (const entry of entries) {
        const datafile = await Datafile.open(this.io.fs, entry.path, entry.number, state.blockBytes);
        opened.push(datafile);
        const { checkpointTsn, resetlogsTsn } = datafile.header;
        if (resetlogsTsn !== state.incarnation.resetlogsTsn || checkpointTsn <= (entry.offlineTsn ?? 0)) {
          throw new DbError(
            'MEDIA_RECOVERY_NEEDED',
            `datafile ${entry.number} ('${entry.path}') is older than when it went offline (its checkpoint is TSN ` +
              `${checkpointTsn}, offline at TSN ${entry.offlineTsn ?? 0}): recover it first (ALTER DATABASE RECOVER TABLESPACE ...)`,
          );
        }
      }
    } catch (error) {
      await Promise.allSettled(opened.map((datafile) => datafile.close()));
      throw error;
    }
    for (const [i, entry] of entries.entries()) {
      const datafile = opened[i];
      const tablespace = state.tablespaces.find((ts) => ts.number === entry.tablespaceNumber);
      (this.datafiles as Map<number, Datafile>).set(entry.number, datafile);
      await this.space.addFile({
        datafile,
        tablespaceName: tablespace?.name ?? '?',
        sizeBlocks: Math.max(entry.sizeBlocks, await datafile.sizeBlocks()),
        autoextend: entry.autoextend,
      });
    }
    const online = new Map(entries.map((entry, i) => [entry.number, opened[i].header.checkpointTsn]));
    await this.control.update((current) => ({
      ...current,
      datafiles: current.datafiles.map((entry) => {
        const checkpointTsn = online.get(entry.number);
        if (checkpointTsn === undefined) return entry;
        const { status: _status, offlineTsn: _offlineTsn, ...rest } = entry;
        return { ...rest, checkpointTsn };
      }),
    }));
    this.io.alert.notice(`datafiles ${entries.map((entry) => entry.number).join(', ')} online`);
  }

  #datafileEntries(fileNumbers: readonly number[]): DatafileEntry[] {
    return fileNumbers.map((number) => {
      const entry = this.control.state.datafiles.find((candidate) => candidate.number === number);
      if (entry === undefined) throw new DbError('NO_SUCH_DATABASE_FILE', `there is no datafile ${number}`);
      return entry;
    });
  }

  #startImages(fileNumber: number): void {
    this.#backupImaged.set(fileNumber, new Set());
    const imaged = this.#backupImaged;
    this.#imagePolicy ??= {
      takeImage: (address) => {
        const blocks = imaged.get(address.fileNumber);
        if (blocks === undefined || blocks.has(address.blockNumber)) return false;
        blocks.add(address.blockNumber);
        return true;
      },
    };
  }

  #stopImages(fileNumber: number): void {
    this.#backupImaged.delete(fileNumber);
    if (this.#backupImaged.size === 0) this.#imagePolicy = undefined;
  }

  /** Runs one mini-transaction, retrying after reads, log switches and extensions. Returns its result and TSN. */
  async mtr<Result>(
    operation: (mtr: CacheMiniTransaction) => Result,
    flags = 0,
    txnId = 0,
  ): Promise<{ result: Result; tsn: number }> {
    this.#assertUsable();
    let tsn = 0;
    const result = await runWithRetry(
      () => {
        // Evict between mini-transactions, never inside one (see BufferCache.prepareNew).
        const cleaning = this.cache.trim();
        if (cleaning !== undefined) throw new RetryAfter('free buffers', cleaning);
        return new CacheMiniTransaction(this.cache, this.redo, this.#imagePolicy);
      },
      (mtr) => {
        try {
          return operation(mtr);
        } catch (error) {
          if (!mtr.abandon()) this.#failAfterChange(error);
          throw error;
        }
      },
      (mtr) => {
        tsn = mtr.commit(flags, txnId);
      },
    );
    this.#writeBehind();
    return { result, tsn };
  }

  /**
   * An operation failed after it changed blocks: a bug (operations validate before their
   * first change). The changes are in the cache without redo, so nothing more may be
   * written: the instance goes down, and the next OPEN recovers from the redo.
   */
  #failAfterChange(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#fatal ??= new DbError(
      'INSTANCE_DOWN',
      `an operation failed after changing blocks, so the instance went down: ${message}`,
    );
    this.io.alert.error(`TDB-4003: ${this.#fatal.message}`);
    this.#checkpointTimer?.cancel();
  }

  #writingBehind = false;

  /** Keeps at most half the cache dirty, so that reads always find a clean frame to reuse. */
  #writeBehind(): void {
    if (
      this.#writingBehind ||
      this.#closed ||
      this.#fatal !== undefined ||
      this.cache.dirtyCount * 2 <= this.cache.capacityBlocks
    )
      return;
    this.#writingBehind = true;
    void this.dbwr
      .writeDirty({ maxBlocks: Math.max(16, Math.floor(this.cache.capacityBlocks / 8)) })
      .catch((error: unknown) =>
        this.io.alert.warning(`DBWR write-behind failed: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => (this.#writingBehind = false));
  }

  /** Clean shutdown: every change written, a full checkpoint, and the clean flag set. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#checkpointTimer?.cancel();
    // Logs left unarchived are archived at the next OPEN.
    await this.archiver.close();
    await this.redo.flush();
    await this.checkpointer.full('shutdown');
    await this.control.update((current) => ({ ...current, cleanShutdown: true }));
    await this.redo.close();
    await this.dbwr.close();
    for (const datafile of this.datafiles.values()) await datafile.close();
    await this.control.close();
    this.io.alert.notice('database closed');
  }

  /**
   * SHUTDOWN ABORT: stops without a checkpoint and without marking the shutdown clean, so
   * the next OPEN runs crash recovery. Dirty blocks are dropped. Redo already buffered is
   * still written (LGWR does not stop mid-round), which only makes more commits durable.
   */
  async abort(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#checkpointTimer?.cancel();
    this.#fatal ??= new DbError('INSTANCE_DOWN', 'the instance was aborted');
    await this.archiver.close().catch(() => undefined);
    await this.redo.close().catch(() => undefined);
    await this.dbwr.close().catch(() => undefined);
    for (const datafile of this.datafiles.values()) await datafile.close().catch(() => undefined);
    await this.control.close().catch(() => undefined);
    this.io.alert.notice('database aborted: no checkpoint; crash recovery runs at the next OPEN');
  }

  /** Incremental checkpoints on the injected clock, one at a time, until close. */
  #startCheckpointTimer(intervalMs: number, blocksMax: number): void {
    if (intervalMs <= 0) return;
    const tick = (): void => {
      this.#checkpointTimer = undefined;
      if (this.#closed || this.#fatal !== undefined) return;
      this.checkpointer
        .incremental(blocksMax)
        .catch((error: unknown) =>
          this.io.alert.warning(
            `incremental checkpoint failed: ${error instanceof Error ? error.message : String(error)}`,
          ),
        )
        .finally(() => {
          if (!this.#closed) this.#checkpointTimer = this.io.clock.setTimer(intervalMs, tick);
        });
    };
    this.#checkpointTimer = this.io.clock.setTimer(intervalMs, tick);
  }

  #assertUsable(): void {
    if (this.#fatal !== undefined) throw new DbError('INSTANCE_DOWN', `the instance is down: ${this.#fatal.message}`);
    if (this.#closed) throw new DbError('INSTANCE_DOWN', 'the database is closed');
  }
}
