// `tandem db restore`: puts the files of a physical backup back, checking each one as it is
// copied (sha256 and the same soundness checks as `backup verify`): a file is written beside
// its target and renamed over it only when every check passes, so a damaged backup never
// leaves a half-restored file.
//
// - Datafiles (all, or those of --datafile / --tablespace) go to the paths the database's
//   current control file gives them (or, without one, where they were backed up from).
// - Archived logs of the backup go to the first archive destination when no destination
//   holds them, so that `tandem db recover` finds them.
// - With --control-file, the control file goes to every copy named by tandem-db.yaml and,
//   from an offline backup, the online logs go back too: the database is then exactly as
//   it was at the backup, with nothing to recover.
// - tandem-db.yaml and sys.scram are restored when the directory has none.
//
// The server must be down, or, for datafiles only, in MOUNT (it has no datafile open).
// Files of an OPEN database are never overwritten. The command ends by saying what to do
// next.
import { mkdir } from 'node:fs/promises';
import { pathExists } from '../path-exists.js';
import { dirname, join, resolve } from 'node:path';
import {
  CONFIG_FILE,
  ControlFiles,
  readConfig,
  scanArchiveDestinations,
  SYS_VERIFIER_FILE,
  type ServerConfig,
} from '@tandem/db/files';
import { NodeFileSystem } from '@tandem/testkit';
import { BackupError, errorMessage } from './backup-errors.js';
import { readStoredFile, restoreInPlace } from './file-copy.js';
import { describeEntry, readManifest, type Manifest, type ManifestFile } from './manifest.js';
import { inLanes, LaneTally } from './lanes.js';
import { ByteProgress } from './progress.js';
import { probeServer } from './server-link.js';
import { checkerFor } from './verify-backup.js';

export interface RestoreOptions {
  readonly backupDir: string;
  /** The database directory to restore into. */
  readonly dir: string;
  /** Only these datafiles (by number) and the datafiles of these tablespaces; default every datafile. */
  readonly datafiles?: readonly number[];
  readonly tablespaces?: readonly string[];
  /** Also the control file copies (and an offline backup's online logs). */
  readonly controlFile: boolean;
  /** Overwrite files that exist, and restore into another database's directory. */
  readonly force: boolean;
  readonly log: (line: string) => void;
  readonly progress?: ((text: string) => void) | undefined;
}

export interface RestoreSummary {
  readonly directory: string;
  readonly kind: Manifest['kind'];
  readonly files: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly datafiles: readonly number[];
  readonly archivedLogs: number;
  readonly controlFile: boolean;
  /** Lines that say what to do next. */
  readonly next: readonly string[];
}

const COMMAND = 'tandem db restore';

/**
 * Files restored at the same time. Two keep the disk writing and both cores busy (the
 * kernel's copy on one, the check on the other) while a small file goes beside a large one;
 * more would only take turns on the same two cores.
 */
const RESTORE_LANES = 2;

interface Planned {
  readonly entry: ManifestFile;
  /** Where it is written (an online log or control file can have several). */
  readonly targets: readonly string[];
}

interface Current {
  readonly dbId: number | undefined;
  /** Datafile paths by number, from the current control file. */
  readonly datafilePaths: ReadonlyMap<number, string>;
  readonly stage: 'down' | 'MOUNT';
}

export async function restoreBackup(options: RestoreOptions): Promise<RestoreSummary> {
  const started = performance.now();
  const root = resolve(options.backupDir);
  const dir = resolve(options.dir);
  const manifest = await readManifest(root);
  const selected = selectDatafiles(manifest, options);
  const partial = selected.length < manifest.files.filter((entry) => entry.role === 'datafile').length;
  if (options.controlFile && partial) {
    throw new BackupError(
      'USAGE',
      '--control-file restores the whole backup: do not combine it with --datafile or --tablespace',
    );
  }
  const config = await configOf(dir, root, manifest);
  const current = await currentDatabase(dir, config, options);
  if (current.dbId !== undefined && current.dbId !== manifest.database.dbId && !options.force) {
    throw new BackupError(
      'WRONG_DATABASE',
      `the backup is of database ${manifest.database.name} (id ${manifest.database.dbId}), but ${dir} holds database id ${current.dbId}`,
      { hint: 'restore into the database the backup was taken from, or use --force to replace that database' },
    );
  }

  const plan: Planned[] = selected.map((entry) => ({
    entry,
    targets: [current.datafilePaths.get(entry.fileNumber) ?? entry.originalPath],
  }));
  if (options.controlFile) {
    for (const entry of manifest.files) {
      if (entry.role === 'control-file') plan.push({ entry, targets: config.controlFiles });
      if (entry.role === 'online-log') plan.push({ entry, targets: entry.members });
    }
  }
  const existing: string[] = [];
  for (const { targets } of plan) for (const target of targets) if (await pathExists(target)) existing.push(target);
  if (existing.length > 0 && !options.force) {
    throw new BackupError(
      'FILES_EXIST',
      `${existing.length} file${existing.length === 1 ? '' : 's'} to restore exist${existing.length === 1 ? 's' : ''}: ${existing.slice(0, 4).join(', ')}${existing.length > 4 ? ', …' : ''}`,
      { hint: 'use --force to overwrite them (the database must then be recovered from the backup on)' },
    );
  }
  // The redo the copies need, where recovery looks for it; the parameters if there are none.
  const archivedLogs = await missingArchivedLogs(manifest, config, dir);
  plan.push(...archivedLogs);
  for (const entry of manifest.files) {
    if (entry.role !== 'parameters' && entry.role !== 'sys-verifier') continue;
    const target = join(dir, entry.role === 'parameters' ? CONFIG_FILE : SYS_VERIFIER_FILE);
    if (!(await pathExists(target))) plan.push({ entry, targets: [target] });
  }

  const progress = new ByteProgress(COMMAND, options.progress);
  // The largest first, so that the small ones go beside it rather than hold it up.
  const jobs = plan
    .flatMap(({ entry, targets }) => targets.map((target) => ({ entry, target })))
    .sort((a, b) => b.entry.bytes - a.entry.bytes);
  const totalBytes = jobs.reduce((sum, job) => sum + job.entry.bytes, 0);
  const totalFiles = jobs.length;
  const tally = new LaneTally();
  const report = (target: string, bytes: number): void => {
    const all = tally.progress(target, bytes);
    progress.update({ phase: 'restoring', files: tally.files, totalFiles, current: target, totalBytes, bytes: all });
  };
  const restoreOne = async ({ entry, target }: (typeof jobs)[number]): Promise<void> => {
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    const checker = checkerFor(entry, manifest, { blocks: false });
    const stored = join(root, entry.path);
    // Over an existing file, uncompressed: check the backup's copy first, then write in
    // place (see restoreInPlace); otherwise write beside the target and rename when sound.
    let problems: readonly string[];
    if (!entry.compressed && (await pathExists(target))) {
      ({ problems } = await restoreInPlace(stored, target, entry, {
        inspectors: checker.inspectors,
        onBytes: (bytes) => report(target, bytes / 2),
        beforeWrite: () => checker.finish(),
      }));
    } else {
      ({ problems } = await readStoredFile(stored, entry, {
        target,
        inspectors: checker.inspectors,
        onBytes: (bytes) => report(target, bytes),
        beforeCommit: () => checker.finish(),
      }));
    }
    tally.settle(target, problems.length > 0 ? undefined : entry.bytes);
    if (problems.length > 0) {
      throw new BackupError('BACKUP_DAMAGED', `${describeEntry(entry)} in ${root}: ${problems.join('; ')}`, {
        hint: `'${target}' was not written; ${tally.files} files were restored before it. Restore that file from another backup`,
      });
    }
  };
  try {
    await inLanes(jobs, RESTORE_LANES, restoreOne);
  } finally {
    progress.clear();
  }
  const datafiles = selected.map((entry) => entry.fileNumber);
  return {
    directory: dir,
    kind: manifest.kind,
    files: tally.files,
    bytes: tally.bytes,
    seconds: (performance.now() - started) / 1000,
    datafiles,
    archivedLogs: archivedLogs.length,
    controlFile: options.controlFile,
    next: nextSteps(manifest, { dir, controlFile: options.controlFile, partial, stage: current.stage }),
  };
}

function selectDatafiles(manifest: Manifest, options: RestoreOptions): Extract<ManifestFile, { role: 'datafile' }>[] {
  const all = manifest.files.flatMap((entry) => (entry.role === 'datafile' ? [entry] : []));
  const numbers = options.datafiles ?? [];
  const tablespaces = (options.tablespaces ?? []).map((name) => name.toLowerCase());
  if (numbers.length === 0 && tablespaces.length === 0) return all;
  for (const number of numbers) {
    if (!all.some((entry) => entry.fileNumber === number)) {
      throw new BackupError('UNKNOWN_FILE', `the backup holds no datafile ${number}`, {
        hint: `it holds datafiles ${all.map((entry) => entry.fileNumber).join(', ')}`,
      });
    }
  }
  for (const name of tablespaces) {
    if (!all.some((entry) => entry.tablespace.toLowerCase() === name)) {
      throw new BackupError('UNKNOWN_FILE', `the backup holds no datafile of tablespace ${name}`, {
        hint: `it holds tablespaces ${[...new Set(all.map((entry) => entry.tablespace))].join(', ')}`,
      });
    }
  }
  return all.filter(
    (entry) => numbers.includes(entry.fileNumber) || tablespaces.includes(entry.tablespace.toLowerCase()),
  );
}

/** The directory's parameters; the backup's when the directory has none (a restore into an empty one). */
async function configOf(dir: string, root: string, manifest: Manifest): Promise<ServerConfig> {
  if (await pathExists(join(dir, CONFIG_FILE))) return readConfig(dir);
  const parameters = manifest.files.find((entry) => entry.role === 'parameters');
  if (parameters === undefined) {
    throw new BackupError('FILE_IO', `${dir} has no ${CONFIG_FILE}, and the backup holds none`);
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const read = await readStoredFile(join(root, parameters.path), parameters, { target: join(dir, CONFIG_FILE) });
  if (read.problems.length > 0) {
    throw new BackupError('BACKUP_DAMAGED', `${describeEntry(parameters)}: ${read.problems.join('; ')}`);
  }
  return readConfig(dir);
}

/** What the database in `dir` is now: the server's stage, its id and its datafiles' paths. */
async function currentDatabase(dir: string, config: ServerConfig, options: RestoreOptions): Promise<Current> {
  const status = await probeServer(dir, COMMAND);
  if (status.kind === 'running') {
    try {
      if (status.stage === 'OPEN') {
        throw new BackupError(
          'DATABASE_RUNNING',
          `the database in ${dir} is OPEN (server pid ${status.pid}): a restore would overwrite files it uses`,
          {
            hint: `shut it down first (tandem db down ${dir}); to restore datafiles only, it may also be in MOUNT (tandem db boot ${dir} --mount)`,
          },
        );
      }
      if (status.stage !== 'MOUNT' || options.controlFile) {
        throw new BackupError(
          'DATABASE_RUNNING',
          `the server of ${dir} (pid ${status.pid}) is in ${status.stage}: ${options.controlFile ? 'restoring the control file needs it shut down' : 'restoring datafiles needs it shut down or in MOUNT'}`,
          { hint: `shut it down first (tandem db down ${dir})` },
        );
      }
      const database = (await status.link.query<{ dbid: string }>('select dbid from v$database'))[0];
      const rows = await status.link.query<{ file: number; name: string }>(
        'select "file#" as file, name from v$datafile',
      );
      return {
        dbId: database === undefined ? undefined : Number(database.dbid),
        datafilePaths: new Map(rows.map((row) => [row.file, row.name])),
        stage: 'MOUNT',
      };
    } finally {
      await status.link.close();
    }
  }
  try {
    const { control } = await ControlFiles.mount(new NodeFileSystem(), config.controlFiles);
    const state = control.state;
    await control.close();
    return {
      dbId: state.dbId,
      datafilePaths: new Map(state.datafiles.map((entry) => [entry.number, entry.path])),
      stage: 'down',
    };
  } catch (error) {
    if (options.controlFile) return { dbId: undefined, datafilePaths: new Map(), stage: 'down' };
    throw new BackupError(
      'CONTROL_FILE_UNREADABLE',
      `the control files of ${dir} cannot be mounted: ${errorMessage(error)}`,
      {
        hint: 'restore them from the backup too, with --control-file',
      },
    );
  }
}

/** The backup's archived logs that no archive destination of `dir` holds, planned into the first one. */
async function missingArchivedLogs(manifest: Manifest, config: ServerConfig, dir: string): Promise<Planned[]> {
  const logs = manifest.files.flatMap((entry) => (entry.role === 'archived-log' ? [entry] : []));
  if (logs.length === 0) return [];
  const destinations = (config.archiveDestinations ?? ['archive']).map((path) => resolve(dir, path));
  const present = await scanArchiveDestinations(new NodeFileSystem(), destinations, manifest.database.dbId);
  const have = new Set(present.map((log) => `${log.incarnation}/${log.sequence}`));
  return logs
    .filter((entry) => !have.has(`${entry.incarnation}/${entry.sequence}`))
    .map((entry) => ({ entry, targets: [join(destinations[0], entry.originalPath.split('/').pop()!)] }));
}

function nextSteps(
  manifest: Manifest,
  context: { dir: string; controlFile: boolean; partial: boolean; stage: 'down' | 'MOUNT' },
): string[] {
  const { dir } = context;
  if (manifest.kind === 'offline' && context.controlFile) {
    return [
      `the database is as it was when the backup was taken (TSN ${manifest.endTsn}); nothing to recover`,
      `start it: tandem db boot ${dir}`,
    ];
  }
  if (context.controlFile) {
    return [
      "the control file is the backup's: recover with the archived logs, then open with RESETLOGS (a new incarnation)",
      `recover: tandem db recover --dir ${dir} --until-cancel --open`,
    ];
  }
  const lines = [`recover the restored datafiles to now (complete recovery): tandem db recover --dir ${dir} --open`];
  if (!context.partial) {
    const end =
      manifest.kind === 'online' ? ` after the end of the backup (TSN ${manifest.endTsn}, ${manifest.finishedAt})` : '';
    lines.push(
      `or to a point in time${end}, then OPEN RESETLOGS: tandem db recover --dir ${dir} --until-time 'YYYY-MM-DD HH24:MI:SS' --open (or --until-tsn N)`,
    );
  }
  if (manifest.kind === 'offline' && manifest.database.logMode === 'NOARCHIVELOG') {
    lines.push(
      `the database was in NOARCHIVELOG mode: the redo since the backup may be overwritten; to go back to the backup as a whole, restore with --control-file --force`,
    );
  }
  if (context.stage === 'MOUNT') lines.push('the server is in MOUNT: tandem db recover uses it');
  return lines;
}
