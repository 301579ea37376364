// `tandem db export`: the whole database, some users' objects or some tables, schema and
// rows, consistent as of one TSN. Everything is read in ONE transaction, BEGIN ISOLATION
// LEVEL REPEATABLE READ READ ONLY: its first query fixes the snapshot every later statement
// reads (SHOW snapshot_tsn then names the TSN it is consistent as of), so rows that one
// transaction changed in two tables are either in both tables' data or in neither. Rows
// stream from COPY ... TO STDOUT straight into the file.
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { to as copyTo } from 'pg-copy-streams';
import { packageVersion } from '../package-paths.js';
import {
  ExportWriter,
  type ExportHeader,
  type ExportScope,
  type ExportStatement,
  type ExportTotals,
} from './export-file.js';
import { ExportError } from './export-errors.js';
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

export interface ExportOptions {
  readonly file: string;
  readonly server: ServerOptions;
  readonly scope: ExportScope;
  /** false: the schema only (--no-data). */
  readonly data: boolean;
  /** Replace an existing file (--force). */
  readonly overwrite: boolean;
  /** Notices (one event a line). */
  readonly log: (line: string) => void;
  /** Standard error when it is a terminal and progress is wanted. */
  readonly progress?: ((text: string) => void) | undefined;
  /** Called after each table's rows are written (tests commit concurrent work here). */
  readonly afterTable?: ((table: string) => Promise<void>) | undefined;
}

export interface ExportSummary extends ExportTotals {
  readonly file: string;
  readonly database: string;
  readonly tsn: string;
}

const COMMAND = 'tandem db export';

export async function exportDatabase(options: ExportOptions): Promise<ExportSummary> {
  const file = resolve(options.file);
  // The file first: an existing one is refused before any work is done.
  let writer: ExportWriter | undefined = await ExportWriter.create(file, { overwrite: options.overwrite });
  let session: ServerSession | undefined;
  try {
    session = await connectToServer(options.server, COMMAND);
    await session.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const database = await readDatabaseName(session);
    const tsn = await readSnapshotTsn(session);
    const statements = selectStatements(await readDdl(session), options.scope, `database ${database}`);
    const tables = options.data ? tablesOf(statements) : [];
    await writer.header(await headerOf(session, { database, tsn, statements, tables, options }));
    for (const statement of statements.filter((s) => s.section === 'pre-data')) await writer.statement(statement);
    await copyTables(session, writer, tables, options);
    for (const statement of statements.filter((s) => s.section === 'post-data')) await writer.statement(statement);
    await session.client.query('COMMIT');
    const totals = await writer.finish();
    writer = undefined;
    return { ...totals, tables: tablesOf(statements).length, file, database, tsn };
  } finally {
    await writer?.abort();
    await session?.client.end().catch(() => undefined);
  }
}

/** The TSN the block's snapshot (fixed by its first query) is consistent as of. */
async function readSnapshotTsn(session: ServerSession): Promise<string> {
  const tsn = (await session.client.query<{ snapshot_tsn: string }>('SHOW snapshot_tsn')).rows[0]?.snapshot_tsn;
  if (tsn === undefined || !/^\d+$/.test(tsn)) {
    throw new ExportError('WRONG_SERVER', `the server gave no snapshot TSN (${String(tsn)})`);
  }
  return tsn;
}

async function headerOf(
  session: ServerSession,
  parts: {
    database: string;
    tsn: string;
    statements: readonly ExportStatement[];
    tables: readonly string[];
    options: ExportOptions;
  },
): Promise<ExportHeader> {
  const serverVersion = (await session.client.query<{ version: string }>('select version() as version')).rows[0]
    ?.version;
  const listed = new Set(['USER', 'SEQUENCE', 'TABLE', 'INDEX']);
  return {
    format: 1,
    database: parts.database,
    tsn: parts.tsn,
    exportedAt: new Date().toISOString(),
    tandemVersion: packageVersion(),
    serverVersion: serverVersion ?? '',
    scope: parts.options.scope,
    data: parts.options.data,
    tables: [...parts.tables],
    objects: parts.statements
      .filter((s) => listed.has(s.type))
      .map((s) => ({ type: s.type, name: s.name, owner: s.owner })),
  };
}

async function copyTables(
  session: ServerSession,
  writer: ExportWriter,
  tables: readonly string[],
  options: ExportOptions,
): Promise<void> {
  const progress = new Progress(COMMAND, options.progress);
  const totals = { rows: 0, bytes: 0 };
  for (const [done, table] of tables.entries()) {
    const copied = await copyTableWithProgress(
      progress,
      { phase: 'copying', done, total: tables.length, table },
      totals,
      (onChunk) => {
        const stream: Readable = session.client.query(copyTo(`COPY ${quoteName(table)} TO STDOUT`));
        return writer.copy(table, stream, onChunk);
      },
    );
    progress.clear();
    options.log(`[notice] ${COMMAND}: ${tableCopiedNotice(table, copied)}`);
    await options.afterTable?.(table);
  }
  progress.clear();
}
