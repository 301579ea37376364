// The connection of `tandem db export` and `tandem db import` to a running Tandem server:
// where it is (--url, --dir, PG* variables, as `tandem sql` works it out), that it is a
// Tandem database and OPEN, and its tandem$ddl view, which only administrators may read.
import type { Client } from 'pg';
import { connectClient } from '../db-client/connect.js';
import { describeTarget, resolveConnection, type ConnectionTarget } from '../sql-shell/connection-options.js';
import { errorMessage, ExportError, sqlStateOf } from './export-errors.js';
import type { ExportStatement } from './export-file.js';

export interface ServerOptions {
  /** postgresql://user:password@host:port/database */
  readonly url?: string | undefined;
  /** The database directory: address from its server.pid, sys's password from its sys.password. */
  readonly dir?: string | undefined;
}

export interface ServerSession {
  readonly client: Client;
  readonly target: ConnectionTarget;
  /** `database tandem at 127.0.0.1:5544`, for messages. */
  readonly where: string;
}

/** `command` names the session in the server's v$session (application_name). */
export async function connectToServer(options: ServerOptions, command: string): Promise<ServerSession> {
  const target = await resolveConnection({ url: options.url, dir: options.dir });
  let client: Client;
  try {
    client = await connectClient(target, command);
  } catch (error) {
    throw new ExportError('CONNECTION_FAILED', `cannot connect to ${describeTarget(target)}: ${errorMessage(error)}`);
  }
  // COPY text of dates and times reads back the same whatever the client's environment says.
  await client.query("SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, MDY'");
  return { client, target, where: `database ${target.database} at ${target.host}:${target.port}` };
}

/**
 * The database's name from v$database, which only a Tandem server has. In an export's
 * REPEATABLE READ block this is the first query, so it also fixes the snapshot.
 */
export async function readDatabaseName(session: ServerSession): Promise<string> {
  let rows: { name: string; open_mode: string }[];
  try {
    rows = (await session.client.query<{ name: string; open_mode: string }>('select name, open_mode from v$database'))
      .rows;
  } catch (error) {
    throw new ExportError(
      'WRONG_SERVER',
      `the ${describeTarget(session.target)} is not a Tandem database (reading v$database: ${errorMessage(error)})`,
    );
  }
  const row = rows[0];
  if (row === undefined || row.open_mode !== 'READ WRITE') {
    throw new ExportError('WRONG_SERVER', `the database of the ${describeTarget(session.target)} is not OPEN`, {
      hint: 'open it first (ALTER DATABASE OPEN)',
    });
  }
  return row.name;
}

interface DdlRow {
  readonly section: 'pre-data' | 'post-data';
  readonly object_type: string;
  readonly owner: string | null;
  readonly object_name: string;
  readonly table_name: string | null;
  readonly tablespace: string | null;
  readonly ddl: string;
}

/** Every statement of tandem$ddl, in order; refused unless the user is sys or holds DBA. */
export async function readDdl(session: ServerSession): Promise<ExportStatement[]> {
  let rows: DdlRow[];
  try {
    rows = (
      await session.client.query<DdlRow>(
        'select section, object_type, owner, object_name, table_name, tablespace, ddl from tandem$ddl order by seq',
      )
    ).rows;
  } catch (error) {
    if (sqlStateOf(error) === '42501') {
      throw new ExportError(
        'INSUFFICIENT_PRIVILEGE',
        `user ${session.target.user} may not export or import ${session.where}: ${errorMessage(error)}`,
        { hint: 'connect as sys or as a user with DBA' },
      );
    }
    throw error;
  }
  return rows.map((row) => ({
    section: row.section,
    type: row.object_type,
    owner: row.owner,
    name: row.object_name,
    table: row.table_name,
    tablespace: row.tablespace,
    ddl: row.ddl,
  }));
}

/** An identifier quoted the one way that never changes it. */
export function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
