// `tandem db backup verify`: checks a physical backup without restoring it. Every file
// listed in the manifest is read whole (and decompressed): its size and sha256 must match
// the manifest, and its content must be sound for its role: a datafile's header (the
// database's own reader: this database, this file number, a readable copy) and, for an
// offline backup, every block; an archived log's trailer and body checksum; an online
// log's header; the control file's slots. An online backup's archived logs must also form
// an unbroken run of sequences from its start TSN to its end TSN. Every problem is
// reported, naming the file; any problem fails the command.
import { join, resolve } from 'node:path';
import { BackupError } from './backup-errors.js';
import {
  ArchivedLogCheck,
  ControlFileCheck,
  DatafileBlocksCheck,
  DatafileHeaderCheck,
  OnlineLogHeaderCheck,
} from './file-checks.js';
import { readStoredFile, type ContentInspector } from './file-copy.js';
import { describeEntry, readManifest, type Manifest, type ManifestFile } from './manifest.js';
import { ByteProgress } from './progress.js';

export interface VerifyOptions {
  readonly backupDir: string;
  readonly log: (line: string) => void;
  readonly progress?: ((text: string) => void) | undefined;
}

export interface VerifyProblem {
  /** The manifest entry, or undefined for a problem of the whole backup. */
  readonly file: string;
  readonly problem: string;
}

export interface VerifyReport {
  readonly directory: string;
  readonly manifest: Manifest;
  readonly files: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly problems: readonly VerifyProblem[];
}

const COMMAND = 'tandem db backup verify';

/** Checks the content of one stored file as it streams; `finish()` gives its problems. */
export interface EntryChecker {
  readonly inspectors: readonly ContentInspector[];
  finish(): Promise<string[]>;
}

/**
 * The checks that fit a file's role. `blocks`: check every block of a datafile too (verify
 * does; a restore relies on the sha256, which proves the file is the one that was backed up).
 */
export function checkerFor(
  entry: ManifestFile,
  manifest: Manifest,
  options: { readonly blocks: boolean; readonly notes?: string[] } = { blocks: true },
): EntryChecker {
  const notes = options.notes ?? [];
  const { dbId, blockBytes } = manifest.database;
  switch (entry.role) {
    case 'datafile': {
      const header = new DatafileHeaderCheck(entry.fileNumber, blockBytes);
      const blocks = new DatafileBlocksCheck(entry.fileNumber, blockBytes);
      return {
        inspectors: options.blocks ? [header, blocks] : [header],
        async finish() {
          const problems: string[] = [];
          const checked = await header.check(dbId);
          if (!checked.ok) problems.push(checked.problem);
          else if (checked.value.checkpointTsn !== entry.checkpointTsn) {
            problems.push(
              `its header's checkpoint is TSN ${checked.value.checkpointTsn}, the manifest says ${entry.checkpointTsn}`,
            );
          }
          if (blocks.partialTail) problems.push('it does not end on a block boundary');
          if (blocks.corrupt.length > 0) {
            const list = `${blocks.corrupt.slice(0, 5).join(', ')}${blocks.corrupt.length > 5 ? ', …' : ''}`;
            if (manifest.kind === 'offline') problems.push(`${blocks.corrupt.length} corrupt blocks (${list})`);
            else {
              notes.push(
                `${describeEntry(entry)}: ${blocks.corrupt.length} blocks were being written while they were copied ` +
                  `(${list}); media recovery replaces them from the redo`,
              );
            }
          }
          return problems;
        },
      };
    }
    case 'archived-log': {
      const check = new ArchivedLogCheck(entry.bytes);
      return {
        inspectors: [check],
        finish() {
          const checked = check.check({ dbId, sequence: entry.sequence, incarnation: entry.incarnation });
          if (!checked.ok) return Promise.resolve([checked.problem]);
          const { firstTsn, nextTsn } = checked.value;
          return Promise.resolve(
            firstTsn !== entry.firstTsn || nextTsn !== entry.nextTsn
              ? [`it holds TSNs [${firstTsn}, ${nextTsn}), the manifest says [${entry.firstTsn}, ${entry.nextTsn})`]
              : [],
          );
        },
      };
    }
    case 'online-log': {
      const check = new OnlineLogHeaderCheck();
      return {
        inspectors: [check],
        finish() {
          if (entry.sequence === 0) return Promise.resolve([]);
          const checked = check.check({ dbId, group: entry.group });
          return Promise.resolve(checked.ok ? [] : [checked.problem]);
        },
      };
    }
    case 'control-file': {
      const check = new ControlFileCheck();
      return {
        inspectors: [check],
        async finish() {
          const checked = await check.check();
          if (!checked.ok) return [checked.problem];
          return checked.value.state.dbId === dbId
            ? []
            : [`it is the control file of database id ${checked.value.state.dbId}`];
        },
      };
    }
    default:
      return { inspectors: [], finish: () => Promise.resolve([]) };
  }
}

/** Problems of the backup as a whole: what it must hold to be restorable and recoverable. */
export function structuralProblems(manifest: Manifest): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  const whole = (problem: string): void => void problems.push({ file: 'the backup', problem });
  if (!manifest.files.some((entry) => entry.role === 'datafile')) whole('it holds no datafile');
  if (!manifest.files.some((entry) => entry.role === 'control-file')) whole('it holds no control file');
  const numbers = manifest.files.flatMap((entry) => (entry.role === 'datafile' ? [entry.fileNumber] : []));
  if (new Set(numbers).size !== numbers.length) whole('it lists a datafile twice');
  if (manifest.kind === 'online') {
    const logs = manifest.files
      .flatMap((entry) => (entry.role === 'archived-log' ? [entry] : []))
      .sort((a, b) => a.sequence - b.sequence);
    if (logs.length === 0) whole('an online backup needs archived logs, and it holds none');
    else {
      for (let i = 1; i < logs.length; i++) {
        if (logs[i].sequence !== logs[i - 1].sequence + 1) {
          whole(`archived log sequences ${logs[i - 1].sequence + 1}..${logs[i].sequence - 1} are missing`);
        }
      }
      if (logs[0].firstTsn > manifest.startTsn) {
        whole(
          `its first archived log starts at TSN ${logs[0].firstTsn}, after the backup's start TSN ${manifest.startTsn}`,
        );
      }
      if (logs[logs.length - 1].nextTsn - 1 < manifest.endTsn) {
        whole(`its last archived log ends before the backup's end TSN ${manifest.endTsn}`);
      }
    }
  }
  return problems;
}

export async function verifyBackup(options: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  const root = resolve(options.backupDir);
  const manifest = await readManifest(root);
  const problems: VerifyProblem[] = [];
  const report = (file: string, problem: string): void => {
    progress.clear();
    problems.push({ file, problem });
    options.log(`[error] ${COMMAND}: ${file}: ${problem}`);
  };
  const progress = new ByteProgress(COMMAND, options.progress);
  for (const { file, problem } of structuralProblems(manifest)) report(file, problem);
  const totalBytes = manifest.files.reduce((sum, entry) => sum + entry.bytes, 0);
  let done = 0;
  const notes: string[] = [];
  for (const [index, entry] of manifest.files.entries()) {
    const checker = checkerFor(entry, manifest, { blocks: true, notes });
    const state = {
      phase: 'verifying',
      files: index,
      totalFiles: manifest.files.length,
      current: entry.path,
      totalBytes,
    };
    const read = await readStoredFile(join(root, entry.path), entry, {
      inspectors: checker.inspectors,
      onBytes: (bytes) => progress.update({ ...state, bytes: done + bytes }),
    });
    done += entry.bytes;
    const found = read.problems.length > 0 ? read.problems : await checker.finish();
    for (const problem of found) report(describeEntry(entry), problem);
  }
  progress.clear();
  for (const note of notes) options.log(`[notice] ${COMMAND}: ${note}`);
  const result: VerifyReport = {
    directory: root,
    manifest,
    files: manifest.files.length,
    bytes: done,
    seconds: (performance.now() - started) / 1000,
    problems,
  };
  if (problems.length > 0) {
    throw new BackupError(
      'BACKUP_DAMAGED',
      `backup ${root} has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems[0].file}: ${problems[0].problem}`,
      { hint: 'do not restore from it; take a new backup (or restore the damaged files from a copy of this one)' },
    );
  }
  return result;
}
