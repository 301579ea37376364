// `tandem db backup`, `tandem db backup verify`, `tandem db restore` and `tandem db recover`:
// the physical backup of the seed (Tibero's online and offline backups, restore, and media
// recovery in MOUNT). The work lives in ../db-backup/; this file is the command line.
import type { Command } from 'commander';
import type { CliIo } from '../main.js';
// The work is loaded by the command that runs (import() in each action), not to register them.
import { BackupError } from '../db-backup/backup-errors.js';
import { formatThroughput } from '../db-backup/progress.js';
import type { RecoveryUntil } from '../db-backup/recover-database.js';
import { formatBytes } from '../db-export/progress.js';

interface BackupFlags {
  readonly dir?: string;
  readonly offline?: boolean;
  readonly compress?: boolean;
  readonly progress: boolean;
}

interface RestoreFlags {
  readonly dir?: string;
  readonly datafile?: string[];
  readonly tablespace?: string[];
  readonly controlFile?: boolean;
  readonly force?: boolean;
  readonly progress: boolean;
}

interface RecoverFlags {
  readonly dir?: string;
  readonly untilTsn?: string;
  readonly untilTime?: string;
  readonly untilCancel?: boolean;
  readonly open?: boolean;
  readonly resetlogs?: boolean;
}

const BACKUP_HELP = `
Online (the default): the database must be OPEN and in ARCHIVELOG mode. The command runs
ALTER DATABASE BEGIN BACKUP, copies every datafile (TEMP's aside), runs END BACKUP (also if
a copy fails) and ALTER SYSTEM ARCHIVE LOG CURRENT, then copies the archived logs that
recover the copies, a consistent copy of the control file, tandem-db.yaml and sys.scram.
Offline (--offline): the server must be shut down cleanly (tandem db down); the command
copies the datafiles, the online logs, the control file and the parameters.

The backup directory must be new or empty. manifest.json, written last, lists every file
with its role, original path, size and sha256.

Examples:
  tandem db backup /backups/db-2026-11-21 --dir ./data
  tandem db backup /backups/cold --dir ./data --offline --compress
  tandem db backup verify /backups/db-2026-11-21
`;

const RESTORE_HELP = `
The server must be down, or in MOUNT to restore datafiles only. Every file is checked
(sha256, headers) as it is copied; a file that fails is not written. Files that exist are
only overwritten with --force. Archived logs of the backup go to the first archive
destination when no destination has them. The command ends with what to do next, usually:
  tandem db recover --dir DIR --open

Examples:
  tandem db restore /backups/db-2026-11-21 --dir ./data                   # lost datafiles
  tandem db restore /backups/db-2026-11-21 --dir ./data --tablespace usr --force
  tandem db restore /backups/cold --dir ./data --control-file --force      # back to the offline backup
`;

const RECOVER_HELP = `
Runs ALTER DATABASE RECOVER AUTOMATIC DATABASE [UNTIL ...] in MOUNT: the archived logs, then
the online logs, from the restored datafiles' checkpoint. If no server runs for DIR, one is
started in the background in MOUNT (its log: DIR/server.log) and keeps running. With --open
the database is opened afterwards: with RESETLOGS (a new incarnation) after incomplete
recovery (--until-*), or with --resetlogs.

Examples:
  tandem db recover --dir ./data --open
  tandem db recover --dir ./data --until-time '2026-11-21 10:30:00' --open
  tandem db recover --dir ./data --until-tsn 81234 --open
`;

/** Standard error, when it is a terminal and progress is wanted. */
function progressOutput(io: CliIo, progress: boolean): ((text: string) => void) | undefined {
  return progress && process.stderr.isTTY ? io.err : undefined;
}

function requireDir(dir: string | undefined, command: string): string {
  if (dir === undefined) throw new BackupError('USAGE', `${command} needs --dir <database directory>`);
  return dir;
}

function datafileNumbers(values: readonly string[] | undefined): number[] {
  return (values ?? []).map((value) => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1) {
      throw new BackupError('USAGE', `--datafile takes datafile numbers (file# in v$datafile), got ${value}`);
    }
    return number;
  });
}

function untilOf(flags: RecoverFlags): RecoveryUntil | undefined {
  const targets: RecoveryUntil[] = [
    ...(flags.untilTsn === undefined ? [] : [{ kind: 'tsn' as const, tsn: flags.untilTsn }]),
    ...(flags.untilTime === undefined ? [] : [{ kind: 'time' as const, time: flags.untilTime }]),
    ...(flags.untilCancel === true ? [{ kind: 'cancel' as const }] : []),
  ];
  if (targets.length > 1)
    throw new BackupError('USAGE', '--until-tsn, --until-time and --until-cancel exclude each other');
  return targets[0];
}

export function registerBackupCommands(db: Command, io: CliIo): void {
  const log = (line: string): void => io.out(`${line}\n`);

  const backup = db
    .command('backup')
    .description(
      'physical backup of the database files (online in ARCHIVELOG, or --offline); `backup verify` checks one',
    )
    .argument('<backup-dir>', 'a new or empty directory for the backup')
    .option('--dir <dir>', 'the database directory (tandem-db.yaml, server.pid, sys.password)')
    .option('--offline', 'the server is shut down: copy datafiles, online logs, control file and parameters')
    .option('--compress', 'gzip every file')
    .option('--no-progress', 'no progress bar on a terminal')
    .addHelpText('after', BACKUP_HELP)
    .action(async (backupDir: string, flags: BackupFlags) => {
      const { backupDatabase } = await import('../db-backup/backup-database.js');
      const summary = await backupDatabase({
        backupDir,
        dir: requireDir(flags.dir, 'tandem db backup'),
        offline: flags.offline === true,
        compress: flags.compress === true,
        log,
        progress: progressOutput(io, flags.progress),
      });
      const stored = summary.storedBytes === summary.bytes ? '' : ` (${formatBytes(summary.storedBytes)} compressed)`;
      log(
        `[notice] tandem db backup: ${summary.kind} backup of database ${summary.database} in ${summary.directory}: ` +
          `${formatThroughput(summary.bytes, summary.files, summary.seconds)}${stored}; ` +
          (summary.kind === 'online'
            ? `datafiles from TSN ${summary.startTsn}, archived redo through TSN ${summary.endTsn}`
            : `consistent at TSN ${summary.startTsn}`),
      );
    });

  backup
    .command('verify')
    .description('check a backup without restoring it: every file against the manifest, and sound')
    .argument('<backup-dir>', 'the backup directory (manifest.json)')
    .option('--no-progress', 'no progress bar on a terminal')
    .action(async (backupDir: string, flags: { progress: boolean }) => {
      const { verifyBackup } = await import('../db-backup/verify-backup.js');
      const report = await verifyBackup({
        backupDir,
        log: (line) => (line.startsWith('[error]') ? io.err(`${line}\n`) : log(line)),
        progress: progressOutput(io, flags.progress),
      });
      log(
        `[notice] tandem db backup verify: ${report.manifest.kind} backup of database ${report.manifest.database.name} ` +
          `in ${report.directory} is sound: ${formatThroughput(report.bytes, report.files, report.seconds)}`,
      );
    });

  db.command('restore')
    .description(
      'restore datafiles (and archived logs, and with --control-file the control file) from a physical backup',
    )
    .argument('<backup-dir>', 'the backup directory (manifest.json)')
    .option('--dir <dir>', 'the database directory to restore into')
    .option('--datafile <n...>', 'only these datafiles (file# in v$datafile)')
    .option('--tablespace <name...>', 'only the datafiles of these tablespaces')
    .option('--control-file', "also the control file copies (and an offline backup's online logs)")
    .option('--force', 'overwrite files that exist')
    .option('--no-progress', 'no progress bar on a terminal')
    .addHelpText('after', RESTORE_HELP)
    .action(async (backupDir: string, flags: RestoreFlags) => {
      const dir = requireDir(flags.dir, 'tandem db restore');
      const { restoreBackup } = await import('../db-backup/restore-backup.js');
      const summary = await restoreBackup({
        backupDir,
        dir,
        datafiles: datafileNumbers(flags.datafile),
        tablespaces: flags.tablespace ?? [],
        controlFile: flags.controlFile === true,
        force: flags.force === true,
        log,
        progress: progressOutput(io, flags.progress),
      });
      const parts = [
        `datafiles ${summary.datafiles.join(', ')}`,
        ...(summary.archivedLogs > 0 ? [`${summary.archivedLogs} archived logs`] : []),
        ...(summary.controlFile ? ['the control file'] : []),
      ];
      log(
        `[notice] tandem db restore: restored ${parts.join(', ')} from the ${summary.kind} backup into ${summary.directory}: ` +
          formatThroughput(summary.bytes, summary.files, summary.seconds),
      );
      for (const line of summary.next) log(`[notice] tandem db restore: next: ${line}`);
    });

  db.command('recover')
    .description('media recovery in MOUNT (ALTER DATABASE RECOVER AUTOMATIC DATABASE), then optionally OPEN')
    .option('--dir <dir>', 'the database directory')
    .option('--until-tsn <tsn>', 'incomplete recovery: every change up to and including this TSN')
    .option(
      '--until-time <time>',
      "incomplete recovery: up to this time, 'YYYY-MM-DD HH24:MI:SS' (server's local time)",
    )
    .option('--until-cancel', 'incomplete recovery: apply every log there is, then stop')
    .option('--open', 'open the database afterwards (RESETLOGS after incomplete recovery)')
    .option('--resetlogs', 'open with RESETLOGS even after complete recovery')
    .addHelpText('after', RECOVER_HELP)
    .action(async (flags: RecoverFlags) => {
      const dir = requireDir(flags.dir, 'tandem db recover');
      if (flags.resetlogs === true && flags.open !== true) {
        throw new BackupError('USAGE', '--resetlogs goes with --open');
      }
      const { recoverDatabase } = await import('../db-backup/recover-database.js');
      const summary = await recoverDatabase({
        dir,
        until: untilOf(flags),
        open: flags.open === true,
        resetlogs: flags.resetlogs === true,
        log,
      });
      const state =
        summary.opened === 'no'
          ? `the database stays in MOUNT; open it with tandem db recover --dir ${dir} --open, or ALTER DATABASE OPEN${summary.kind === 'incomplete' ? ' RESETLOGS' : ''}`
          : `database OPEN${summary.opened === 'resetlogs' ? ' with RESETLOGS (a new incarnation: take a new backup)' : ''}`;
      log(
        `[notice] tandem db recover: media recovery ${summary.kind} to TSN ${summary.recoveredToTsn} ` +
          `(${summary.logsApplied} logs applied, ${summary.seconds.toFixed(1)} s); ${state}`,
      );
    });
}
