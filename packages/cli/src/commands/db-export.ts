// `tandem db export` and `tandem db import`: the logical backup of the seed (Tibero's
// tbexport / tbimport, PostgreSQL's pg_dump / pg_restore) against a running server. The
// work lives in ../db-export/; this file is the command line.
import type { Command } from 'commander';
import type { CliIo } from '../main.js';
// The export and import work (and the PostgreSQL client under it) is imported by the
// actions, so that the other `db` commands registered beside these do not load it.
import { ExportError } from '../db-export/export-errors.js';
import type { ExistingPolicy } from '../db-export/import-database.js';
import { scopeOf } from '../db-export/object-selection.js';
import { formatBytes, formatQuantity } from '../db-export/progress.js';

interface CommonFlags {
  readonly dir?: string;
  readonly url?: string;
  readonly user?: string[];
  readonly table?: string[];
  readonly progress: boolean;
}

interface ExportFlags extends CommonFlags {
  readonly data: boolean;
  readonly force?: boolean;
}

interface ImportFlags extends CommonFlags {
  readonly skipExisting?: boolean;
  readonly replaceExisting?: boolean;
}

const CONNECTION_HELP = `
Connection: --url postgresql://user:password@host:port/database, or --dir DIR for the database
made by \`tandem db init DIR\` (address from DIR/server.pid, sys's password from DIR/sys.password),
else the PG* variables, else sys@127.0.0.1:5544/tandem. The user must be sys or hold DBA.`;

const EXPORT_HELP = `${CONNECTION_HELP}

The file is gzip-compressed text (zcat shows it), readable by its owner only: it holds the
users' password verifiers. Everything in it is consistent as of one TSN, which it records.

Examples:
  tandem db export full.tdx --dir ./data
  tandem db export sales.tdx --dir ./data --user alice bob
  tandem db export ledger.tdx --url postgresql://sys:secret@db1:5544/tandem --table accounts history
`;

const IMPORT_HELP = `${CONNECTION_HELP}

The whole file is checked (sha256, counts) before anything changes; a damaged or truncated
file is refused. Tables and sequences the database already has are refused unless
--skip-existing or --replace-existing says otherwise; users that exist are kept as they are.

Examples:
  tandem db import full.tdx --dir ./data2
  tandem db import full.tdx --dir ./data2 --table accounts --replace-existing
`;

/** Standard error, when it is a terminal and progress is wanted. */
function progressOutput(io: CliIo, flags: CommonFlags): ((text: string) => void) | undefined {
  return flags.progress && process.stderr.isTTY ? io.err : undefined;
}

function existingPolicy(flags: ImportFlags): ExistingPolicy {
  if (flags.skipExisting === true && flags.replaceExisting === true) {
    throw new ExportError('USAGE', '--skip-existing and --replace-existing exclude each other');
  }
  return flags.skipExisting === true ? 'skip' : flags.replaceExisting === true ? 'replace' : 'error';
}

function addCommonOptions(command: Command): Command {
  return command
    .option('--dir <dir>', 'the local database in this directory (server.pid, sys.password)')
    .option('--url <url>', 'connection URL: postgresql://user:password@host:port/database')
    .option('--user <name...>', 'only these users and the objects they own')
    .option('--table <name...>', 'only these tables (with their indexes, grants and sequences)')
    .option('--no-progress', 'no progress line on a terminal');
}

export function registerExportCommands(db: Command, io: CliIo): void {
  const log = (line: string): void => io.out(`${line}\n`);

  addCommonOptions(
    db
      .command('export')
      .description('export the database, some users or some tables (schema and rows, consistent as of one TSN)')
      .argument('<file>', 'the export file to write'),
  )
    .option('--no-data', 'the schema only, no rows')
    .option('--force', 'replace the file if it exists')
    .addHelpText('after', EXPORT_HELP)
    .action(async (file: string, flags: ExportFlags) => {
      const { exportDatabase } = await import('../db-export/export-database.js');
      const summary = await exportDatabase({
        file,
        server: { url: flags.url, dir: flags.dir },
        scope: scopeOf(flags.user ?? [], flags.table ?? []),
        data: flags.data,
        overwrite: flags.force === true,
        log,
        progress: progressOutput(io, flags),
      });
      log(
        `[notice] tandem db export: ${formatQuantity(summary.tables, 'table')}, ${formatQuantity(summary.rows, 'row')}, ` +
          `${formatBytes(summary.bytes)} as of TSN ${summary.tsn} to ${summary.file}`,
      );
    });

  addCommonOptions(
    db
      .command('import')
      .description('import an export file: schema, then rows, then indexes, sequences and grants')
      .argument('<file>', 'the export file to read'),
  )
    .option('--skip-existing', 'leave tables and sequences that exist, and their rows, as they are')
    .option('--replace-existing', 'drop tables and sequences that exist and create them from the file')
    .addHelpText('after', IMPORT_HELP)
    .action(async (file: string, flags: ImportFlags) => {
      const existing = existingPolicy(flags);
      const { importDatabase } = await import('../db-export/import-database.js');
      const summary = await importDatabase({
        file,
        server: { url: flags.url, dir: flags.dir },
        scope: scopeOf(flags.user ?? [], flags.table ?? []),
        existing,
        log,
        progress: progressOutput(io, flags),
      });
      const warnings = summary.warnings === 0 ? '' : `; ${formatQuantity(summary.warnings, 'warning')}`;
      log(
        `[notice] tandem db import: ${formatQuantity(summary.tables, 'table')}, ${formatQuantity(summary.rows, 'row')}, ` +
          `${formatBytes(summary.bytes)} from ${summary.file} (database ${summary.source} as of TSN ${summary.tsn}) ` +
          `into database ${summary.database}${warnings}`,
      );
    });
}
