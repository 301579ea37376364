// The server's parameter file, `<dir>/tandem-db.yaml` (Tibero's .tip): written by
// `tandem db init`, read by `tandem db start`. Every field is validated, and an error names
// the field and what it should be. Command-line options override the file.
import { parse as parseYaml, stringify } from 'yaml';
import { z } from 'zod';
import { DbError } from '../errors.js';

export const CONFIG_FILE = 'tandem-db.yaml';
export const DEFAULT_PORT = 5544;

const schema = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a name of letters, digits and _ (at most 63)'),
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    controlFiles: z.array(z.string().min(1)).min(2, 'at least two control file copies'),
    bufferCacheMb: z
      .number()
      .int()
      .min(1)
      .max(1 << 20),
    lockTimeoutMs: z.number().int().min(1),
    maxConnections: z.number().int().min(1).max(10_000),
    maxMessageBytes: z.number().int().min(1024),
    maxStatementBytes: z.number().int().min(1024),
    authentication: z.enum(['scram-sha-256', 'trust']),
    checkpointIntervalMs: z.number().int().min(0),
    tls: z
      .object({ key: z.string().min(1), cert: z.string().min(1) })
      .strict()
      .optional(),
    /**
     * Where the archiver copies each filled redo log in ARCHIVELOG mode (Tibero's
     * LOG_ARCHIVE_DEST): one or more directories, relative to the database directory or
     * absolute. Every log goes to each of them. Default: archive.
     */
    archiveDestinations: z.array(z.string().min(1)).min(1, 'at least one archive destination').optional(),
    /** Health and Prometheus metrics over HTTP: a port (0 picks one), -1 for none; default the server's port + 1. */
    metricsPort: z.number().int().min(-1).max(65535).optional(),
  })
  .strict();

export type ServerConfig = z.infer<typeof schema>;

export function defaultConfig(directory: string): ServerConfig {
  return {
    name: 'tandem',
    host: '127.0.0.1',
    port: DEFAULT_PORT,
    controlFiles: [`${directory}/control01.ctl`, `${directory}/control02.ctl`],
    bufferCacheMb: 256,
    lockTimeoutMs: 60_000,
    maxConnections: 100,
    maxMessageBytes: 64 * 1024 * 1024,
    maxStatementBytes: 1024 * 1024,
    authentication: 'scram-sha-256',
    checkpointIntervalMs: 3000,
  };
}

/** Parses and validates the file's text over the defaults; the error names each bad field. */
export function parseConfig(text: string, directory: string, source = CONFIG_FILE): ServerConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new DbError(
      'INVALID_PARAMETER',
      `${source}: not valid YAML: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new DbError('INVALID_PARAMETER', `${source}: expected a mapping of parameter: value`);
  }
  return validateConfig({ ...defaultConfig(directory), ...(raw as Record<string, unknown>) }, source);
}

export function validateConfig(value: unknown, source = CONFIG_FILE): ServerConfig {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.length === 0 ? '(top level)' : issue.path.join('.');
    return `${field}: ${issue.message}`;
  });
  throw new DbError('INVALID_PARAMETER', `${source}: ${problems.join('; ')}`);
}

export function formatConfig(config: ServerConfig): string {
  return `# Tandem database parameters (read by tandem db start; command-line options override them)\n${stringify(config)}`;
}
