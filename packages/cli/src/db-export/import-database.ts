// `tandem db import`: loads an export file into a running database. Nothing changes until
// everything that can be checked has been: the whole file (framing, counts, sha256), the
// user's privileges, tables, sequences and indexes that already exist, and tablespaces.
// Then, as pg_restore does: the schema (users, sequences, tables), the rows of each table
// with one COPY ... FROM STDIN streamed from the file, and last the indexes (built once
// over the loaded rows, faster than maintained row by row), sequence positions and grants.
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { errorMessage, ExportError, sqlStateOf } from './export-errors.js';
import {
  countRows,
  ExportFileReader,
  verifyExportFile,
  type ExportManifest,
  type ExportScope,
  type ExportStatement,
  type TableCopied,
  type TableData,
} from './export-file.js';
import { selectStatements, tablesOf } from './object-selection.js';
import { copyTableWithProgress, Progress, tableCopiedNotice } from './progress.js';
import {
  connectToServer,
  quoteName,
  readDatabaseName,
  readDdl,
  type ServerOptions,
  type ServerSession,
} from './server-session.js';

/** What to do with a table or sequence the database already has. */
export type ExistingPolicy = 'error' | 'skip' | 'replace';

export interface ImportOptions {
  readonly file: string;
  readonly server: ServerOptions;
  readonly scope: ExportScope;
  readonly existing: ExistingPolicy;
  readonly log: (line: string) => void;
  readonly progress?: ((text: string) => void) | undefined;
}

export interface ImportSummary {
  readonly file: string;
  /** The exported database and the TSN its data is consistent as of. */
  readonly source: string;
  readonly tsn: string;
  readonly database: string;
  readonly tables: number;
  readonly rows: number;
  readonly bytes: number;
  readonly warnings: number;
}

const COMMAND = 'tandem db import';
/** Statements that may fail on a user the target lacks (a --table import): a warning, not the end. */
const ROLE_DEPENDENT = new Set(['OWNER', 'GRANT', 'SYSTEM GRANT']);

export async function importDatabase(options: ImportOptions): Promise<ImportSummary> {
  const file = resolve(options.file);
  const progress = new Progress(COMMAND, options.progress);
  const size = (await stat(file).catch(() => undefined))?.size;
  if (size === undefined) throw new ExportError('NOT_AN_EXPORT', `cannot read ${file}: no such file`);
  const manifest = await verifyExportFile(file, (read) =>
    progress.update({ phase: 'verifying', bytes: read, bytesTotal: size }),
  );
  progress.clear();
  const selected = selectStatements(manifest.statements, options.scope, `the export file ${file}`);
  const session = await connectToServer(options.server, COMMAND);
  try {
    const database = await readDatabaseName(session);
    const plan = planImport(selected, await readDdl(session), options, session.where);
    await checkTablespaces(session, plan.statements);
    const run = new ImportRun(session, options, progress);
    await run.statements(
      plan.statements.filter((s) => s.section === 'pre-data'),
      'creating',
    );
    const loaded = await run.tables(file, manifest, new Set(tablesOf(plan.statements)));
    await run.statements(
      plan.statements.filter((s) => s.section === 'post-data'),
      'indexing',
    );
    progress.clear();
    return {
      file,
      source: manifest.header.database,
      tsn: manifest.header.tsn,
      database,
      tables: tablesOf(plan.statements).length,
      rows: loaded.rows,
      bytes: loaded.bytes,
      warnings: run.warnings,
    };
  } finally {
    progress.clear();
    await session.client.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------
// Before anything changes

interface ImportPlan {
  readonly statements: readonly ExportStatement[];
}

/**
 * The statements to run, given what the database already has: existing tables and
 * sequences are refused (the default), skipped with everything that belongs to them, or
 * dropped and created anew; existing users are kept as they are (their passwords too).
 */
function planImport(
  selected: readonly ExportStatement[],
  present: readonly ExportStatement[],
  options: ImportOptions,
  where: string,
): ImportPlan {
  const names = (type: string) => new Set(present.filter((s) => s.type === type).map((s) => s.name));
  const tables = names('TABLE');
  const sequences = names('SEQUENCE');
  const users = names('USER').add('sys');
  const indexTables = new Map(present.filter((s) => s.type === 'INDEX').map((s) => [s.name, s.table]));
  const clashes = selected.filter(
    (s) => (s.type === 'TABLE' && tables.has(s.name)) || (s.type === 'SEQUENCE' && sequences.has(s.name)),
  );
  if (clashes.length > 0 && options.existing === 'error') throw existsError(clashes, where);
  const clashing = new Set(clashes.map((s) => `${s.type}:${s.name}`));
  const replacedTables = new Set(options.existing === 'replace' ? clashes.map((s) => s.name) : []);
  const statements: ExportStatement[] = [];
  for (const s of selected) {
    if (s.type === 'USER' && users.has(s.name)) {
      options.log(`[notice] ${COMMAND}: user ${s.name} exists in ${where}: kept as it is, with its password`);
      continue;
    }
    const ownClash = clashing.has(`${s.type === 'SEQUENCE VALUE' ? 'SEQUENCE' : s.type}:${s.name}`);
    const skippedTable = s.table !== null && clashing.has(`TABLE:${s.table}`) && !s.type.startsWith('SEQUENCE');
    if (options.existing === 'skip' && (ownClash || skippedTable)) continue;
    if (s.type === 'INDEX' && indexTables.has(s.name) && !replacedTables.has(indexTables.get(s.name) ?? '')) {
      throw new ExportError(
        'OBJECT_EXISTS',
        `index "${s.name}" of table ${s.table ?? '?'} already exists in ${where}, on table ${indexTables.get(s.name) ?? '?'}`,
        { hint: 'drop or rename it first' },
      );
    }
    if (options.existing === 'replace' && ownClash && s.type !== 'SEQUENCE VALUE') statements.push(dropOf(s));
    statements.push(s);
  }
  return { statements };
}

function existsError(clashes: readonly ExportStatement[], where: string): ExportError {
  const listed = clashes
    .slice(0, 5)
    .map((s) => `${s.type.toLowerCase()} "${s.name}"`)
    .join(', ');
  const more = clashes.length > 5 ? ` and ${clashes.length - 5} more` : '';
  return new ExportError(
    'OBJECT_EXISTS',
    `${listed}${more} already exist${clashes.length === 1 ? 's' : ''} in ${where}`,
    {
      hint: '--skip-existing keeps what exists, rows included; --replace-existing drops it and creates it from the file',
    },
  );
}

function dropOf(statement: ExportStatement): ExportStatement {
  const what = statement.type === 'TABLE' ? 'TABLE' : 'SEQUENCE';
  return { ...statement, type: `DROP ${what}`, ddl: `DROP ${what} ${quoteName(statement.name)}` };
}

/** Tables outside the default tablespace need theirs to exist: checked before anything is created. */
async function checkTablespaces(session: ServerSession, statements: readonly ExportStatement[]): Promise<void> {
  const wanted = statements.filter((s) => s.type === 'TABLE' && s.tablespace !== null);
  if (wanted.length === 0) return;
  const existing = new Set(
    (await session.client.query<{ name: string }>('select name from v$tablespace')).rows.map((row) =>
      row.name.toLowerCase(),
    ),
  );
  const missing = wanted.find((s) => !existing.has((s.tablespace ?? '').toLowerCase()));
  if (missing !== undefined) {
    throw new ExportError(
      'UNDEFINED_TABLESPACE',
      `table ${missing.name} goes to tablespace ${missing.tablespace ?? ''}, which ${session.where} does not have`,
      { hint: 'create it first with CREATE TABLESPACE' },
    );
  }
}

// ---------------------------------------------------------------------------------------
// Changing the database

class ImportRun {
  warnings = 0;
  readonly #session: ServerSession;
  readonly #options: ImportOptions;
  readonly #progress: Progress;

  constructor(session: ServerSession, options: ImportOptions, progress: Progress) {
    this.#session = session;
    this.#options = options;
    this.#progress = progress;
  }

  async statements(statements: readonly ExportStatement[], phase: string): Promise<void> {
    for (const [done, statement] of statements.entries()) {
      this.#progress.update({ phase, done, total: statements.length, unit: 'statements' });
      try {
        await this.#session.client.query(statement.ddl);
      } catch (error) {
        if (ROLE_DEPENDENT.has(statement.type) && sqlStateOf(error) === '42704') {
          this.#warn(`${statement.ddl} skipped: ${errorMessage(error)}`);
          continue;
        }
        throw new ExportError(
          'STATEMENT_FAILED',
          `import stopped at ${statement.type.toLowerCase()} ${statement.name}: ${errorMessage(error)}`,
          { hint: 'what was created before it stays; import again with --replace-existing once the cause is fixed' },
        );
      }
    }
  }

  /** The rows of each table to load, read from the file in a second pass. */
  async tables(file: string, manifest: ExportManifest, wanted: ReadonlySet<string>): Promise<TableCopied> {
    const load = manifest.tables.filter((t) => wanted.has(t.table));
    const total = {
      total: load.length,
      rowsTotal: load.reduce((sum, t) => sum + t.rows, 0),
      bytesTotal: load.reduce((sum, t) => sum + t.bytes, 0),
    };
    let done = 0;
    const totals = { rows: 0, bytes: 0 };
    const reader = await ExportFileReader.open(file);
    try {
      for await (const record of reader.records()) {
        if (record.kind !== 'data' || !wanted.has(record.data.table)) continue;
        const table = record.data.table;
        const copied = await copyTableWithProgress(
          this.#progress,
          { ...total, phase: 'loading', done, table },
          totals,
          (onChunk) => this.#copyInto(record.data, onChunk),
        );
        done++;
        this.#notice(tableCopiedNotice(table, copied));
      }
    } finally {
      reader.close();
    }
    return totals;
  }

  /** One COPY FROM STDIN for the table, fed from the file with backpressure. */
  async #copyInto(data: TableData, onChunk: (sofar: TableCopied) => void): Promise<TableCopied> {
    const stream: Writable & { rowCount: number } = this.#session.client.query(
      copyFrom(`COPY ${quoteName(data.table)} FROM STDIN`),
    );
    const done = finished(stream);
    let failure: Error | undefined;
    done.catch((error: unknown) => (failure ??= error instanceof Error ? error : new Error(String(error))));
    let sofar = { rows: 0, bytes: 0 };
    let copied: TableCopied;
    try {
      copied = await data.load(async (chunk) => {
        if (failure !== undefined) throw failure;
        if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), done]);
        sofar = { rows: sofar.rows + countRows(chunk), bytes: sofar.bytes + chunk.length };
        onChunk(sofar);
      });
      stream.end();
      await done;
    } catch (error) {
      // A COPY the server is still in is abandoned with CopyFail, which rolls it back.
      if (!stream.destroyed) stream.destroy(error instanceof Error ? error : new Error(String(error)));
      await done.catch(() => undefined);
      if (error instanceof ExportError) throw error;
      throw new ExportError('COPY_FAILED', `loading table ${data.table} failed: ${errorMessage(error)}`);
    }
    if (stream.rowCount !== copied.rows) {
      throw new ExportError(
        'COPY_FAILED',
        `table ${data.table}: the server loaded ${stream.rowCount} rows of the file's ${copied.rows}`,
      );
    }
    return copied;
  }

  #warn(text: string): void {
    this.warnings++;
    this.#progress.clear();
    this.#options.log(`[warning] ${COMMAND}: ${text}`);
  }

  #notice(text: string): void {
    this.#progress.clear();
    this.#options.log(`[notice] ${COMMAND}: ${text}`);
  }
}
