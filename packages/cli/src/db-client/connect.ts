// One connection of the database commands (backup, restore, recover, export, import) to a
// server whose address `resolveConnection` (as `tandem sql` works it out) found.
import { Client } from 'pg';
import type { ConnectionTarget } from '../sql-shell/connection-options.js';

const CONNECT_TIMEOUT_MS = 15_000;

/**
 * A connected client for `target`; `command` names the session in the server's v$session
 * (application_name). A failed connect ends the client and rethrows the driver's error.
 */
export async function connectClient(target: ConnectionTarget, command: string): Promise<Client> {
  const client = new Client({
    host: target.host,
    port: target.port,
    user: target.user,
    database: target.database,
    ...(target.password === undefined ? {} : { password: target.password }),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: command,
  });
  // A connection lost later surfaces through the query that was running.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}
