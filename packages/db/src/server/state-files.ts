// The files a database directory holds beside its datafiles, and how tools read them
// without loading the engine: the parameters (tandem-db.yaml), the server's pid file and the
// sys credentials' file names. server.ts writes them; backup, restore and the CLI read them.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DbError } from '../errors.js';
import { CONFIG_FILE, parseConfig, type ServerConfig } from './config.js';

export const SYS_PASSWORD_FILE = 'sys.password';
export const SYS_VERIFIER_FILE = 'sys.scram';
export const PID_FILE = 'server.pid';

/** Reads `<dir>/tandem-db.yaml`. */
export async function readConfig(directoryPath: string): Promise<ServerConfig> {
  const directory = resolve(directoryPath);
  const path = join(directory, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new DbError(
      'UNKNOWN_DATABASE',
      `${directory} holds no database (no ${CONFIG_FILE}); create one with tandem db init ${directoryPath}`,
    );
  }
  return parseConfig(text, directory, path);
}

export interface PidFile {
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  readonly stage: string;
  readonly metricsPort?: number;
}

export async function readPidFile(directoryPath: string): Promise<PidFile | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(resolve(directoryPath), PID_FILE), 'utf8')) as PidFile;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
