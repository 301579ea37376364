// The manifest of a physical backup, `<backup>/manifest.json`: what the backup is (online
// or offline, of which database and incarnation, the TSNs it spans) and every file in it,
// with its role, where it came from, where it is in the backup, its size and sha256, and
// whether it is gzip-compressed. It is written last (to manifest.json.partial, then
// renamed), so a directory without it is an incomplete backup. Readers validate it with a
// schema and refuse a format version they do not know.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { BackupError, errorMessage } from './backup-errors.js';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'tandem-physical-backup';
export const MANIFEST_VERSION = 1;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in hex');
const count = z.number().int().min(0);
/** A path inside the backup directory: relative, no `..`. */
const backupPath = z
  .string()
  .min(1)
  .refine((path) => !path.startsWith('/') && !path.split('/').includes('..'), 'a path inside the backup');

const common = {
  /** Where the file was in the database (for a control file, the copy it was read from). */
  originalPath: z.string().min(1),
  /** Where it is in the backup, relative to the backup directory. */
  path: backupPath,
  /** The size and sha256 of the file's content (after decompression). */
  bytes: count,
  sha256,
  compressed: z.boolean(),
  /** The size and sha256 of the file as stored in the backup (equal to the content's when not compressed). */
  storedBytes: count,
  storedSha256: sha256,
};

const datafileEntry = z
  .object({
    role: z.literal('datafile'),
    ...common,
    fileNumber: z.number().int().min(1),
    tablespace: z.string(),
    tablespaceNumber: count,
    /** The checkpoint TSN in the copy's header: recovery of this copy starts there. */
    checkpointTsn: count,
  })
  .strict();

const archivedLogEntry = z
  .object({
    role: z.literal('archived-log'),
    ...common,
    sequence: z.number().int().min(1),
    incarnation: z.number().int().min(1),
    firstTsn: count,
    nextTsn: count,
  })
  .strict();

const onlineLogEntry = z
  .object({
    role: z.literal('online-log'),
    ...common,
    group: z.number().int().min(1),
    sequence: count,
    /** Every member of the group: a restore writes the copy to each. */
    members: z.array(z.string().min(1)).min(1),
  })
  .strict();

const controlFileEntry = z
  .object({
    role: z.literal('control-file'),
    ...common,
    /** How the copy was taken: by the server (BACKUP CONTROLFILE), or read and validated by the tool. */
    source: z.enum(['server', 'validated-copy', 'offline']),
    /** Every copy named by the parameters: a restore writes the copy to each. */
    copies: z.array(z.string().min(1)).min(1),
  })
  .strict();

const otherEntry = z
  .object({
    /** parameters: tandem-db.yaml; sys-verifier: sys.scram; control-trace: the CREATE CONTROLFILE script. */
    role: z.enum(['parameters', 'sys-verifier', 'control-trace']),
    ...common,
  })
  .strict();

export const manifestFileSchema = z.discriminatedUnion('role', [
  datafileEntry,
  archivedLogEntry,
  onlineLogEntry,
  controlFileEntry,
  otherEntry,
]);

export type ManifestFile = z.infer<typeof manifestFileSchema>;
export type ManifestRole = ManifestFile['role'];
export type DatafileManifestEntry = z.infer<typeof datafileEntry>;
export type ArchivedLogManifestEntry = z.infer<typeof archivedLogEntry>;
export type OnlineLogManifestEntry = z.infer<typeof onlineLogEntry>;
export type ControlFileManifestEntry = z.infer<typeof controlFileEntry>;

export const manifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    version: z.number().int(),
    kind: z.enum(['online', 'offline']),
    database: z
      .object({
        name: z.string().min(1),
        dbId: count,
        incarnation: z.number().int().min(1),
        resetlogsTsn: count,
        blockBytes: z.number().int().min(512),
        logMode: z.enum(['ARCHIVELOG', 'NOARCHIVELOG']),
      })
      .strict(),
    /** The database directory the backup was taken from. */
    directory: z.string().min(1),
    /**
     * online: the TSN the datafile copies start from (BEGIN BACKUP's checkpoint) and the last
     * TSN of the archived logs in the backup; recovery must reach endTsn for the copies to be
     * consistent. offline: both are the checkpoint of the clean shutdown.
     */
    startTsn: count,
    endTsn: count,
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
    tandemVersion: z.string(),
    compression: z.enum(['gzip', 'none']),
    files: z.array(manifestFileSchema),
    totals: z.object({ files: count, bytes: count, storedBytes: count }).strict(),
  })
  .strict();

export type Manifest = z.infer<typeof manifestSchema>;

/** Reads and validates `<dir>/manifest.json`. */
export async function readManifest(directory: string): Promise<Manifest> {
  const path = join(directory, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new BackupError('NOT_A_BACKUP', `${directory} is not a complete backup: cannot read ${path}`, {
      hint: `a backup interrupted before its end has no manifest; take a new one (${errorMessage(error)})`,
    });
  }
  return parseManifest(text, path);
}

export function parseManifest(text: string, source = MANIFEST_FILE): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new BackupError('NOT_A_BACKUP', `${source} is not JSON (${errorMessage(error)})`);
  }
  const header = z.object({ format: z.string(), version: z.number() }).safeParse(raw);
  if (!header.success || header.data.format !== MANIFEST_FORMAT) {
    throw new BackupError('NOT_A_BACKUP', `${source} is not the manifest of a Tandem physical backup`);
  }
  if (header.data.version !== MANIFEST_VERSION) {
    throw new BackupError(
      'UNSUPPORTED_FORMAT',
      `${source} is format version ${header.data.version}; this tandem reads version ${MANIFEST_VERSION}`,
      { hint: 'use the tandem release that took the backup' },
    );
  }
  const result = manifestSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.length === 0 ? '(top level)' : issue.path.join('.')}: ${issue.message}`,
    );
    throw new BackupError('NOT_A_BACKUP', `${source} is not a valid manifest: ${problems.slice(0, 5).join('; ')}`);
  }
  return result.data;
}

/** Writes the manifest: to a .partial file first, then renamed, so it appears whole or not at all. */
export async function writeManifest(directory: string, manifest: Manifest): Promise<void> {
  const path = join(directory, MANIFEST_FILE);
  const partial = `${path}.partial`;
  await writeFile(partial, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600, flush: true });
  await rename(partial, path);
}

/** A short name for a file in messages: `datafile 3 (usr001.dtf)`, `archived log sequence 7`. */
export function describeEntry(entry: ManifestFile): string {
  switch (entry.role) {
    case 'datafile':
      return `datafile ${entry.fileNumber} (${entry.path})`;
    case 'archived-log':
      return `archived log sequence ${entry.sequence} (${entry.path})`;
    case 'online-log':
      return `online log group ${entry.group} (${entry.path})`;
    case 'control-file':
      return `control file (${entry.path})`;
    case 'parameters':
      return `parameter file (${entry.path})`;
    case 'sys-verifier':
      return `sys verifier (${entry.path})`;
    case 'control-trace':
      return `control file trace (${entry.path})`;
  }
}
