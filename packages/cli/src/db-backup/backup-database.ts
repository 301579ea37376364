// `tandem db backup`: a physical backup of a Tandem database, as the seed describes for
// Tibero, done whole by one command.
//
// Online (hot, ARCHIVELOG, the database OPEN): BEGIN BACKUP (which freezes the datafiles'
// checkpoint), a streaming copy of every datafile but TEMP's, END BACKUP (always, also
// when a copy fails), ARCHIVE LOG CURRENT (the redo written during the copy is archived),
// then the archived logs that recover the copies (from the one holding their frozen
// checkpoint through the one just archived), a consistent binary copy of the control file
// taken after all that, and the parameter file.
//
// Offline (cold): the server must be down after a clean shutdown (the control file's
// clean-shutdown flag); datafiles, one member of every online log group, the control file
// and the parameters, all consistent as of the shutdown's checkpoint.
//
// Every file is hashed (sha256) as it is copied, optionally gzip-compressed, and synced;
// manifest.json, written last, lists them.
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  ControlFiles,
  isAlive,
  readConfig,
  readPidFile,
  CONFIG_FILE,
  SYS_VERIFIER_FILE,
  type ControlFileState,
} from '@tandem/db/files';
import { NodeFileSystem } from '@tandem/testkit';
import { packageVersion } from '../package-paths.js';
import { neededArchivedLogs, type ArchivedLogRow } from './archived-logs.js';
import { BackupError, errorMessage } from './backup-errors.js';
import {
  readConsistentControlFile,
  serverControlFileCopy,
  serverControlFileTrace,
  type ControlImage,
  type StateCheck,
} from './control-copy.js';
import { ArchivedLogCheck, DatafileHeaderCheck, OnlineLogHeaderCheck } from './file-checks.js';
import {
  copyFileHashed,
  syncDirectory,
  writeBytesHashed,
  type ContentInspector,
  type CopyResult,
} from './file-copy.js';
import { MANIFEST_FORMAT, MANIFEST_VERSION, writeManifest, type Manifest, type ManifestFile } from './manifest.js';
import { inLanes, LaneTally } from './lanes.js';
import { ByteProgress } from './progress.js';
import { connectToDirectory, stageOf, tdbCodeOf, type ServerLink } from './server-link.js';

export interface BackupOptions {
  /** Where the backup goes: a new or empty directory. */
  readonly backupDir: string;
  /** The database directory (tandem-db.yaml, server.pid, sys.password). */
  readonly dir: string;
  readonly offline: boolean;
  /** gzip every file. */
  readonly compress: boolean;
  /** Notices (one event a line). */
  readonly log: (line: string) => void;
  /** Standard error when it is a terminal and progress is wanted. */
  readonly progress?: ((text: string) => void) | undefined;
  /** Called after each datafile is copied (tests commit concurrent work here). */
  readonly afterDatafile?: ((fileNumber: number) => Promise<void>) | undefined;
}

export interface BackupSummary {
  readonly directory: string;
  readonly kind: 'online' | 'offline';
  readonly database: string;
  readonly files: number;
  /** Bytes of content copied, and bytes written (smaller when compressed). */
  readonly bytes: number;
  readonly storedBytes: number;
  readonly seconds: number;
  readonly startTsn: number;
  readonly endTsn: number;
}

const COMMAND = 'tandem db backup';

/** Files copied at the same time (see RESTORE_LANES in restore-backup.ts). */
const BACKUP_LANES = 2;

/** Indexed items, the largest (by `sizes[index]`) first: small files go beside a large one, not before it. */
function largestFirst<T>(items: Iterable<[number, T]>, sizes: readonly number[]): [number, T][] {
  return [...items].sort(([a], [b]) => sizes[b] - sizes[a]);
}

/** Where each kind of file goes in the backup. */
const FOLDERS = {
  datafile: 'datafiles',
  'archived-log': 'archive',
  'online-log': 'online-logs',
  'control-file': 'control',
  'control-trace': 'control',
  parameters: 'parameters',
  'sys-verifier': 'parameters',
} as const;

export async function backupDatabase(options: BackupOptions): Promise<BackupSummary> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const root = resolve(options.backupDir);
  const dir = resolve(options.dir);
  const created = await prepareBackupDirectory(root);
  let manifest: Manifest;
  try {
    manifest = await takeBackup(root, dir, startedAt, options);
  } catch (error) {
    // A backup without its manifest is of no use: leave the directory as it was.
    await removePartialBackup(root, created);
    throw error;
  }
  return {
    directory: root,
    kind: manifest.kind,
    database: manifest.database.name,
    files: manifest.totals.files,
    bytes: manifest.totals.bytes,
    storedBytes: manifest.totals.storedBytes,
    seconds: (performance.now() - started) / 1000,
    startTsn: manifest.startTsn,
    endTsn: manifest.endTsn,
  };
}

async function takeBackup(root: string, dir: string, startedAt: string, options: BackupOptions): Promise<Manifest> {
  const writer = new BackupWriter(root, options);
  const result = options.offline ? await offlineBackup(dir, writer) : await onlineBackup(dir, writer, options);
  writer.finish();
  const entries = writer.entries;
  const bytes = entries.reduce((sum, entry) => sum + entry.bytes, 0);
  const storedBytes = entries.reduce((sum, entry) => sum + entry.storedBytes, 0);
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    kind: options.offline ? 'offline' : 'online',
    database: {
      name: result.state.dbName,
      dbId: result.state.dbId,
      incarnation: result.state.incarnation.number,
      resetlogsTsn: result.state.incarnation.resetlogsTsn,
      blockBytes: result.state.blockBytes,
      logMode: result.state.logMode,
    },
    directory: dir,
    startTsn: result.startTsn,
    endTsn: result.endTsn,
    startedAt,
    finishedAt: new Date().toISOString(),
    tandemVersion: packageVersion(),
    compression: options.compress ? 'gzip' : 'none',
    files: entries,
    totals: { files: entries.length, bytes, storedBytes },
  };
  // The copies' names are durable before the manifest that lists them, and the manifest after.
  for (const folder of new Set(Object.values(FOLDERS))) await syncDirectory(join(root, folder));
  await writeManifest(root, manifest);
  await syncDirectory(root);
  return manifest;
}

/** Removes what a failed backup wrote: the directory if it created it, else what it put in it. */
async function removePartialBackup(root: string, created: boolean): Promise<void> {
  if (created) {
    await rm(root, { recursive: true, force: true });
    return;
  }
  for (const name of await readdir(root).catch(() => [])) await rm(join(root, name), { recursive: true, force: true });
}

/** Creates the backup directory (or checks that it is empty); true if it created it. */
async function prepareBackupDirectory(root: string): Promise<boolean> {
  let names: string[] = [];
  try {
    names = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new BackupError('FILE_IO', `cannot read the backup directory ${root}: ${errorMessage(error)}`);
    }
  }
  if (names.length > 0) {
    throw new BackupError('TARGET_NOT_EMPTY', `the backup directory ${root} is not empty`, {
      hint: 'a backup goes into a new or empty directory; name another one',
    });
  }
  const created = (await mkdir(root, { recursive: true, mode: 0o700 })) !== undefined;
  for (const folder of new Set(Object.values(FOLDERS))) await mkdir(join(root, folder), { mode: 0o700 });
  return created;
}

/** Copies files into the backup, keeps their manifest entries and draws the progress. */
class BackupWriter {
  readonly root: string;
  readonly entries: ManifestFile[] = [];
  readonly #compress: boolean;
  readonly #progress: ByteProgress;
  #totalBytes = 0;
  #totalFiles = 0;
  /** What is copied, of the files finished and of those under way (several at a time). */
  readonly #tally = new LaneTally();
  readonly #used = new Set<string>();

  constructor(root: string, options: BackupOptions) {
    this.root = root;
    this.#compress = options.compress;
    this.#progress = new ByteProgress(COMMAND, options.progress);
  }

  /** Files about to be copied, for the bar's total. */
  plan(files: number, bytes: number): void {
    this.#totalFiles += files;
    this.#totalBytes += bytes;
  }

  /** A unique path in the backup for a file of `role` named after `original`. */
  pathFor(role: ManifestFile['role'], name: string): string {
    let path = `${FOLDERS[role]}/${name}${this.#compress ? '.gz' : ''}`;
    for (let n = 2; this.#used.has(path); n++) path = `${FOLDERS[role]}/${n}-${name}${this.#compress ? '.gz' : ''}`;
    this.#used.add(path);
    return path;
  }

  async copy(
    source: string,
    path: string,
    inspectors: readonly ContentInspector[] = [],
  ): Promise<CopyResult & { path: string; compressed: boolean }> {
    const current = basename(source);
    const result = await copyFileHashed(source, join(this.root, path), this.#compress, {
      inspectors,
      onBytes: (bytes) => {
        const done = this.#tally.progress(path, bytes);
        this.#progress.update({
          phase: 'copying',
          files: this.#tally.files,
          totalFiles: this.#totalFiles,
          current,
          bytes: done,
          totalBytes: Math.max(this.#totalBytes, done),
        });
      },
    });
    this.#done(path, result.bytes);
    return { ...result, path, compressed: this.#compress };
  }

  async write(bytes: Uint8Array, path: string): Promise<CopyResult & { path: string; compressed: boolean }> {
    const result = await writeBytesHashed(bytes, join(this.root, path), this.#compress);
    this.#done(path, result.bytes);
    return { ...result, path, compressed: this.#compress };
  }

  #done(path: string, bytes: number): void {
    this.#tally.settle(path, bytes);
    this.#totalBytes = Math.max(this.#totalBytes, this.#tally.bytes);
  }

  add(entry: ManifestFile): void {
    this.entries.push(entry);
  }

  /** Removes a file that turned out unusable (an archived log copy that failed its check). */
  async discard(path: string): Promise<void> {
    await rm(join(this.root, path), { force: true });
    this.#used.delete(path);
  }

  clear(): void {
    this.#progress.clear();
  }

  finish(): void {
    this.#progress.clear();
  }
}

interface BackupResult {
  readonly state: ControlFileState;
  readonly startTsn: number;
  readonly endTsn: number;
}

// ---------------------------------------------------------------------------------------
// Online

interface DatafileRow {
  readonly file: number;
  readonly name: string;
  readonly tablespace: string;
  readonly ts: number;
}

async function onlineBackup(dir: string, writer: BackupWriter, options: BackupOptions): Promise<BackupResult> {
  const link = await connectToDirectory(dir, COMMAND);
  try {
    const stage = await stageOf(link);
    const database = (
      await link.query<{ dbid: string; name: string; log_mode: string }>('select dbid, name, log_mode from v$database')
    )[0];
    if (stage !== 'OPEN' || database === undefined) {
      throw new BackupError(
        'NOT_ONLINE_CAPABLE',
        `the database of ${dir} is ${stage}, not OPEN: an online backup needs it OPEN`,
        {
          hint: `open it (ALTER DATABASE OPEN), or shut it down (tandem db down ${dir}) and take an offline backup with --offline`,
        },
      );
    }
    if (database.log_mode !== 'ARCHIVELOG') {
      throw new BackupError(
        'NOT_ONLINE_CAPABLE',
        `database ${database.name} is in ${database.log_mode} mode: an online backup needs ARCHIVELOG`,
        {
          hint:
            `shut it down (tandem db down ${dir}) and take an offline backup with --offline, or switch to ARCHIVELOG: ` +
            `tandem db down ${dir}; tandem db boot ${dir} --mount; ALTER DATABASE ARCHIVELOG; ALTER DATABASE OPEN`,
        },
      );
    }
    const config = await readConfig(dir);
    const controlPaths = (await link.query<{ name: string }>('select name from v$controlfile')).map((row) => row.name);
    // The block size and identity, from any whole version of the control file.
    const initial = await readConsistentControlFile(controlPaths, () => undefined);
    const dbId = Number(database.dbid);
    if (initial.state.dbId !== dbId) {
      throw new BackupError(
        'CONTROL_FILE_UNREADABLE',
        `the control file names database id ${initial.state.dbId}, the server ${dbId}`,
      );
    }
    const active = await link.query<{ file: number }>('select "file#" as file from v$backup where status = \'ACTIVE\'');
    if (active.length > 0) {
      throw new BackupError(
        'BACKUP_IN_PROGRESS',
        `datafiles ${active.map((row) => row.file).join(', ')} are already in backup mode`,
        {
          hint: 'another backup is running; if an earlier one was interrupted, end it with ALTER DATABASE END BACKUP',
        },
      );
    }
    const datafiles = await onlineDatafiles(link);
    const sizes = await Promise.all(datafiles.map((file) => fileSize(file.name)));
    writer.plan(
      datafiles.length,
      sizes.reduce((sum, size) => sum + size, 0),
    );

    try {
      await link.run('ALTER DATABASE BEGIN BACKUP');
    } catch (error) {
      const code = tdbCodeOf(error);
      throw new BackupError(
        code === 'TDB-8001' ? 'BACKUP_IN_PROGRESS' : code === 'TDB-8002' ? 'NOT_ONLINE_CAPABLE' : 'STATEMENT_FAILED',
        `ALTER DATABASE BEGIN BACKUP failed: ${errorMessage(error)}`,
      );
    }
    options.log(`[notice] ${COMMAND}: database ${database.name} in backup mode; copying ${datafiles.length} datafiles`);
    // END BACKUP whatever happens to the copies: a file left in backup mode keeps its checkpoint frozen.
    let copyFailure: { error: unknown } | undefined;
    try {
      const copied: ManifestFile[] = [];
      await inLanes(largestFirst(datafiles.entries(), sizes), BACKUP_LANES, async ([index, file]) => {
        copied[index] = await copyDatafile(writer, file, initial.state, dbId);
        await options.afterDatafile?.(file.file);
      });
      for (const entry of copied) writer.add(entry);
    } catch (error) {
      copyFailure = { error };
    }
    let endFailure: string | undefined;
    try {
      await link.run('ALTER DATABASE END BACKUP');
    } catch (error) {
      endFailure =
        `ALTER DATABASE END BACKUP failed: ${errorMessage(error)}; ` +
        `run it by hand (tandem sql --dir ${dir} -c 'ALTER DATABASE END BACKUP')`;
    }
    if (copyFailure !== undefined) {
      if (endFailure !== undefined) {
        writer.clear();
        options.log(`[warning] ${COMMAND}: ${endFailure}`);
      }
      throw copyFailure.error;
    }
    if (endFailure !== undefined) throw new BackupError('STATEMENT_FAILED', endFailure);

    // The redo written while the files were copied goes to the archive, then into the backup.
    const current = (
      await link.query<{ sequence: string }>('select "sequence#" as sequence from v$log where status = \'CURRENT\'')
    )[0];
    if (current === undefined) throw new BackupError('STATEMENT_FAILED', 'v$log shows no CURRENT log group');
    const endSequence = Number(current.sequence);
    try {
      await link.run('ALTER SYSTEM ARCHIVE LOG CURRENT');
    } catch (error) {
      throw new BackupError('STATEMENT_FAILED', `ALTER SYSTEM ARCHIVE LOG CURRENT failed: ${errorMessage(error)}`);
    }
    const copies = writer.entries.filter((entry) => entry.role === 'datafile');
    const startTsn = Math.min(...copies.map((entry) => entry.checkpointTsn));
    const endTsn = await copyArchivedLogs(writer, link, { dbId, startTsn, endSequence, state: initial.state, dir });

    // The control file as of now: no file in backup mode, the archived log switched out.
    const check: StateCheck = (state) => {
      if (state.dbId !== dbId) return `it names database id ${state.dbId}`;
      const inBackup = state.datafiles.filter((entry) => entry.backupTsn !== undefined);
      if (inBackup.length > 0) return 'it still shows datafiles in backup mode';
      const group = state.logGroups.find((entry) => entry.sequence === endSequence);
      if (group?.state === 'CURRENT') return `it shows log sequence ${endSequence} still CURRENT`;
      return undefined;
    };
    const controlTemporary = join(writer.root, 'control', 'control.ctl.server');
    const image =
      (await serverControlFileCopy(link, controlTemporary, check)) ??
      (await readConsistentControlFile(controlPaths, check));
    await addControlFile(writer, image, config.controlFiles);
    const tracePath = join(writer.root, 'control', 'control-trace.sql.server');
    if (await serverControlFileTrace(link, tracePath)) {
      const copied = await writer.copy(tracePath, writer.pathFor('control-trace', 'control-trace.sql'));
      // Written by the server for this backup: it has no original in the database.
      writer.add({ role: 'control-trace', originalPath: 'ALTER DATABASE BACKUP CONTROLFILE TO TRACE', ...copied });
      await rm(tracePath, { force: true });
    }
    await addParameterFiles(writer, dir);
    return { state: image.state, startTsn, endTsn };
  } finally {
    await link.close();
  }
}

async function onlineDatafiles(link: ServerLink): Promise<DatafileRow[]> {
  const temporary = new Set(
    (await link.query<{ ts: number }>('select "ts#" as ts from v$tablespace where type = \'TEMP\'')).map(
      (row) => row.ts,
    ),
  );
  const rows = await link.query<DatafileRow>(
    'select "file#" as file, name, tablespace, "ts#" as ts from v$datafile order by "file#"',
  );
  return rows.filter((row) => !temporary.has(row.ts));
}

async function copyDatafile(
  writer: BackupWriter,
  file: { file: number; name: string; tablespace: string; ts: number },
  state: ControlFileState,
  dbId: number,
): Promise<ManifestFile> {
  const header = new DatafileHeaderCheck(file.file, state.blockBytes);
  const copied = await writer.copy(file.name, writer.pathFor('datafile', `${file.file}-${basename(file.name)}`), [
    header,
  ]);
  const checked = await header.check(dbId);
  if (!checked.ok) {
    throw new BackupError('BACKUP_DAMAGED', `datafile ${file.file} ('${file.name}'): ${checked.problem}`, {
      hint: 'the database file itself is damaged: check it (and the alert log) before backing it up',
    });
  }
  return {
    role: 'datafile',
    originalPath: file.name,
    ...copied,
    fileNumber: file.file,
    tablespace: file.tablespace,
    tablespaceNumber: file.ts,
    checkpointTsn: checked.value.checkpointTsn,
  };
}

interface ArchivedLogQueryRow {
  readonly name: string;
  readonly dest_id: number;
  readonly sequence: string;
  readonly incarnation: number;
  readonly resetlogs_tsn: string;
  readonly first_tsn: string;
  readonly next_tsn: string;
  readonly status: string;
}

/** Copies the archived logs from the one holding `startTsn` through `endSequence`; returns the last TSN they hold. */
async function copyArchivedLogs(
  writer: BackupWriter,
  link: ServerLink,
  scope: { dbId: number; startTsn: number; endSequence: number; state: ControlFileState; dir: string },
): Promise<number> {
  const resetlogsTsn = scope.state.incarnation.resetlogsTsn;
  let needed = neededArchivedLogs([], { fromTsn: scope.startTsn, throughSequence: scope.endSequence, resetlogsTsn });
  // ARCHIVE LOG CURRENT waits for its own log; an earlier one may still be on its way.
  for (let attempt = 0; attempt < 50; attempt++) {
    const rows = (
      await link.query<ArchivedLogQueryRow>(
        'select name, dest_id, "sequence#" as sequence, "incarnation#" as incarnation, resetlogs_tsn, first_tsn, next_tsn, status from v$archived_log',
      )
    ).map((row): ArchivedLogRow => ({
      name: row.name,
      destId: row.dest_id,
      sequence: Number(row.sequence),
      incarnation: row.incarnation,
      resetlogsTsn: Number(row.resetlogs_tsn),
      firstTsn: Number(row.first_tsn),
      nextTsn: Number(row.next_tsn),
      status: row.status,
    }));
    needed = neededArchivedLogs(rows, { fromTsn: scope.startTsn, throughSequence: scope.endSequence, resetlogsTsn });
    if (needed.missing.length === 0) break;
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
  if (needed.missing.length > 0) {
    throw new BackupError(
      'ARCHIVED_LOG_MISSING',
      `the backup needs archived log sequence ${needed.missing.join(', ')}, which no archive destination holds`,
      { hint: 'restore it to an archive destination (v$archive_dest_files lists them) and take the backup again' },
    );
  }
  const sizes = await Promise.all(needed.sequences.map((sequence) => fileSize(needed.copies.get(sequence)![0].name)));
  writer.plan(
    needed.sequences.length,
    sizes.reduce((sum, size) => sum + size, 0),
  );
  let endTsn = scope.startTsn - 1;
  for (const sequence of needed.sequences) {
    const problems: string[] = [];
    let done = false;
    for (const candidate of needed.copies.get(sequence)!) {
      const size = await fileSize(candidate.name);
      const check = new ArchivedLogCheck(size);
      const path = writer.pathFor('archived-log', basename(candidate.name));
      const copied = await writer.copy(candidate.name, path, [check]);
      const checked = check.check({ dbId: scope.dbId, sequence });
      if (!checked.ok) {
        problems.push(`'${candidate.name}': ${checked.problem}`);
        await writer.discard(path);
        continue;
      }
      writer.add({
        role: 'archived-log',
        originalPath: candidate.name,
        ...copied,
        sequence,
        incarnation: checked.value.incarnation,
        firstTsn: checked.value.firstTsn,
        nextTsn: checked.value.nextTsn,
      });
      endTsn = Math.max(endTsn, checked.value.nextTsn - 1);
      done = true;
      break;
    }
    if (!done) {
      throw new BackupError(
        'ARCHIVED_LOG_MISSING',
        `every copy of archived log sequence ${sequence} is damaged: ${problems.join('; ')}`,
        {
          hint: 'the redo of that log is lost: take an offline backup, or a new online backup after the next log switch',
        },
      );
    }
  }
  return endTsn;
}

async function addControlFile(writer: BackupWriter, image: ControlImage, copies: readonly string[]): Promise<void> {
  const written = await writer.write(image.bytes, writer.pathFor('control-file', 'control.ctl'));
  writer.add({
    role: 'control-file',
    originalPath: image.source === 'server' ? (copies[0] ?? image.path) : image.path,
    ...written,
    source: image.source,
    copies: [...copies],
  });
}

async function addParameterFiles(writer: BackupWriter, dir: string): Promise<void> {
  const parameters = join(dir, CONFIG_FILE);
  writer.add({
    role: 'parameters',
    originalPath: parameters,
    ...(await writer.copy(parameters, writer.pathFor('parameters', CONFIG_FILE))),
  });
  const verifier = join(dir, SYS_VERIFIER_FILE);
  if ((await fileSize(verifier).catch(() => -1)) >= 0) {
    writer.add({
      role: 'sys-verifier',
      originalPath: verifier,
      ...(await writer.copy(verifier, writer.pathFor('sys-verifier', SYS_VERIFIER_FILE))),
    });
  }
}

// ---------------------------------------------------------------------------------------
// Offline

async function offlineBackup(dir: string, writer: BackupWriter): Promise<BackupResult> {
  const config = await readConfig(dir);
  await refuseRunningServer(dir);
  const fs = new NodeFileSystem();
  let state: ControlFileState;
  try {
    const { control } = await ControlFiles.mount(fs, config.controlFiles);
    state = control.state;
    await control.close();
  } catch (error) {
    throw new BackupError(
      'CONTROL_FILE_UNREADABLE',
      `cannot mount the control files of ${dir}: ${errorMessage(error)}`,
    );
  }
  if (!state.cleanShutdown) {
    throw new BackupError(
      'NOT_OFFLINE_CAPABLE',
      `database ${state.dbName} was not shut down cleanly (a crash or shutdown ABORT): its files are not consistent`,
      {
        hint: `start it (tandem db boot ${dir}) so that crash recovery runs, shut it down with tandem db down ${dir} (immediate), then back it up`,
      },
    );
  }
  // One whole, sound copy of the control file (the server is down: it does not change).
  const image = await readConsistentControlFile(config.controlFiles, () => undefined, 'offline');
  const temporary = new Set(state.tablespaces.filter((ts) => ts.kind === 'TEMP').map((ts) => ts.number));
  const datafiles = state.datafiles.filter((entry) => !temporary.has(entry.tablespaceNumber));
  const groups: { group: (typeof state.logGroups)[number]; source: string }[] = [];
  for (const group of state.logGroups) {
    const members = group.members.filter((member) => member.status === 'VALID').map((member) => member.path);
    let source: string | undefined;
    for (const member of members) {
      if ((await fileSize(member).catch(() => -1)) >= 0) {
        source = member;
        break;
      }
    }
    if (source === undefined) {
      throw new BackupError('FILE_IO', `log group ${group.number} has no member on disk (${members.join(', ')})`, {
        hint: 'the database cannot open without it either: fix the log group first',
      });
    }
    groups.push({ group, source });
  }
  const sizes = await Promise.all([
    ...datafiles.map((entry) => fileSize(entry.path)),
    ...groups.map((g) => fileSize(g.source)),
  ]);
  writer.plan(
    datafiles.length + groups.length,
    sizes.reduce((sum, size) => sum + size, 0),
  );
  const copyDatafileOf = (entry: (typeof datafiles)[number]) => (): Promise<ManifestFile> => {
    const tablespace = state.tablespaces.find((ts) => ts.number === entry.tablespaceNumber);
    return copyDatafile(
      writer,
      { file: entry.number, name: entry.path, tablespace: tablespace?.name ?? '', ts: entry.tablespaceNumber },
      state,
      state.dbId,
    );
  };
  const copyLogOf =
    ({ group, source }: (typeof groups)[number]) =>
    async (): Promise<ManifestFile> => {
      const check = new OnlineLogHeaderCheck();
      const name = `group${group.number}-${basename(source)}`;
      const copied = await writer.copy(source, writer.pathFor('online-log', name), [check]);
      if (group.state !== 'UNUSED') {
        const checked = check.check({ dbId: state.dbId, group: group.number });
        if (!checked.ok) throw new BackupError('BACKUP_DAMAGED', `log member '${source}': ${checked.problem}`);
      }
      return {
        role: 'online-log',
        originalPath: source,
        ...copied,
        group: group.number,
        sequence: group.sequence,
        members: group.members.map((member) => member.path),
      };
    };
  const copies = [...datafiles.map(copyDatafileOf), ...groups.map(copyLogOf)];
  const copied: ManifestFile[] = [];
  await inLanes(largestFirst(copies.entries(), sizes), BACKUP_LANES, async ([index, copy]) => {
    copied[index] = await copy();
  });
  for (const entry of copied) writer.add(entry);
  await addControlFile(writer, image, config.controlFiles);
  await addParameterFiles(writer, dir);
  // Nothing may have changed meanwhile: no server started, the control file as it was.
  await refuseRunningServer(dir, true);
  const after = await readConsistentControlFile(config.controlFiles, () => undefined, 'offline').catch(() => undefined);
  if (after === undefined || Buffer.compare(Buffer.from(after.bytes), Buffer.from(image.bytes)) !== 0) {
    throw new BackupError(
      'DATABASE_CHANGED',
      `the control file of ${dir} changed during the offline backup: a server was started`,
      {
        hint: 'this backup is not consistent; shut the server down and take it again',
      },
    );
  }
  return { state, startTsn: state.checkpoint.tsn, endTsn: state.checkpoint.tsn };
}

async function refuseRunningServer(dir: string, during = false): Promise<void> {
  const pidFile = await readPidFile(dir);
  if (pidFile === undefined || !isAlive(pidFile.pid)) return;
  if (during) {
    throw new BackupError(
      'DATABASE_CHANGED',
      `a server (pid ${pidFile.pid}) was started for ${dir} during the offline backup`,
      {
        hint: 'this backup is not consistent; shut the server down and take it again',
      },
    );
  }
  throw new BackupError(
    'NOT_OFFLINE_CAPABLE',
    `a server (pid ${pidFile.pid}) is running for ${dir}: an offline backup needs it shut down`,
    {
      hint: `shut it down (tandem db down ${dir}), or take an online backup without --offline (ARCHIVELOG mode)`,
    },
  );
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    throw new BackupError('FILE_IO', `cannot read '${path}': ${errorMessage(error)}`);
  }
}
