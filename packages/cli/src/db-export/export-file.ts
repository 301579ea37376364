// The export file of `tandem db export`, read back by `tandem db import`: gzip-compressed
// text, so `zcat file | less` shows it. Inside, in this order:
//
//   TANDEM-EXPORT 1                              magic word and format version
//   @header {...}                                JSON: database, TSN, time, versions, scope, object list
//   @sql {"section":"pre-data",...,"bytes":n}    n bytes of one SQL statement, then a newline
//   @copy {"table":"t"}                          the table's rows in COPY text format, one a line,
//   ...                                          ended by a line holding \. (a data line never does:
//   \.                                           COPY escapes every backslash)
//   @copied {"table":"t","rows":r,"bytes":b}
//   @sql {"section":"post-data",...}             indexes, sequence positions, grants
//   @end {"statements":s,"tables":t,"rows":r,"bytes":b}
//   @sha256 <hex>                                of every byte before this line
//
// Statements are framed by their length, so a newline inside one (a string constant) needs
// no escaping. The writer streams (never a whole table in memory) into `<file>.partial`
// and renames it into place only once complete; the reader checks the counts, the checksum
// and the framing, so a damaged or truncated file is refused with a clear error.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { pathExists } from '../path-exists.js';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import { z } from 'zod';
import { errorMessage, ExportError } from './export-errors.js';

export const FORMAT_NAME = 'TANDEM-EXPORT';
export const FORMAT_VERSION = 1;

const MAX_LINE_BYTES = 64 * 1024 * 1024;
const WRITE_BATCH_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
const DOT = 0x2e;

const scopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('full') }),
  z.object({ kind: z.literal('users'), users: z.array(z.string()) }),
  z.object({ kind: z.literal('tables'), tables: z.array(z.string()) }),
]);

export type ExportScope = z.infer<typeof scopeSchema>;

const headerSchema = z.object({
  format: z.literal(FORMAT_VERSION),
  database: z.string(),
  /** The TSN the data is consistent as of (decimal: TSNs may pass 2^53). */
  tsn: z.string().regex(/^\d+$/),
  exportedAt: z.string(),
  tandemVersion: z.string(),
  serverVersion: z.string(),
  scope: scopeSchema,
  data: z.boolean(),
  /** The tables whose rows follow, in order. */
  tables: z.array(z.string()),
  /** Every object the file creates. */
  objects: z.array(z.object({ type: z.string(), name: z.string(), owner: z.string().nullable() })),
});

export type ExportHeader = z.infer<typeof headerSchema>;

const statementMetaSchema = z.object({
  section: z.enum(['pre-data', 'post-data']),
  type: z.string(),
  owner: z.string().nullable(),
  name: z.string(),
  table: z.string().nullable(),
  tablespace: z.string().nullable(),
  bytes: z.number().int().nonnegative(),
});

/** One SQL statement of the file, with what it belongs to (tandem$ddl's columns). */
export interface ExportStatement {
  readonly section: 'pre-data' | 'post-data';
  readonly type: string;
  readonly owner: string | null;
  readonly name: string;
  readonly table: string | null;
  readonly tablespace: string | null;
  readonly ddl: string;
}

const copyMetaSchema = z.object({ table: z.string() });
const copiedMetaSchema = z.object({
  table: z.string(),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});
const endMetaSchema = z.object({
  statements: z.number().int().nonnegative(),
  tables: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});

export type ExportTotals = z.infer<typeof endMetaSchema>;

export interface TableCopied {
  readonly rows: number;
  readonly bytes: number;
}

/** Rows in a chunk of COPY text: every row ends with a newline, and none has another. */
export function countRows(chunk: Buffer): number {
  let count = 0;
  for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, at + 1)) count++;
  return count;
}

// ---------------------------------------------------------------------------------------
// Writing

export class ExportWriter {
  readonly path: string;
  readonly #partial: string;
  readonly #gzip: Gzip;
  readonly #done: Promise<void>;
  readonly #hash = createHash('sha256');
  #batch: Buffer[] = [];
  #batchBytes = 0;
  #failure: unknown;
  #statements = 0;
  #tables = 0;
  #rows = 0;
  #bytes = 0;

  private constructor(path: string, partial: string, gzip: Gzip, done: Promise<void>) {
    this.path = path;
    this.#partial = partial;
    this.#gzip = gzip;
    this.#done = done.catch((error: unknown) => {
      this.#failure = error;
    });
  }

  /** Opens `<path>.partial` (owner-only: the file holds password verifiers); refuses an existing path unless `overwrite`. */
  static async create(path: string, options: { readonly overwrite: boolean }): Promise<ExportWriter> {
    if (!options.overwrite && (await pathExists(path))) {
      throw new ExportError('FILE_EXISTS', `${path} already exists`, { hint: 'choose another name, or --force' });
    }
    const partial = `${path}.partial`;
    const file = createWriteStream(partial, { mode: 0o600, flush: true });
    try {
      await once(file, 'open');
    } catch (error) {
      throw new ExportError('CANNOT_WRITE', `cannot write ${partial}: ${errorMessage(error)}`);
    }
    const gzip = createGzip();
    return new ExportWriter(path, partial, gzip, pipeline(gzip, file));
  }

  async header(header: ExportHeader): Promise<void> {
    await this.#line(`${FORMAT_NAME} ${FORMAT_VERSION}`);
    await this.#line(`@header ${JSON.stringify(header)}`);
  }

  async statement(statement: ExportStatement): Promise<void> {
    const ddl = Buffer.from(statement.ddl, 'utf8');
    const { ddl: _text, ...meta } = statement;
    await this.#line(`@sql ${JSON.stringify({ ...meta, bytes: ddl.length })}`);
    await this.#write(ddl);
    await this.#write(Buffer.from('\n'));
    this.#statements++;
  }

  /** Writes a table's COPY text as it arrives; `onChunk` hears the running counts. */
  async copy(
    table: string,
    data: AsyncIterable<Buffer>,
    onChunk: (copied: TableCopied) => void = () => undefined,
  ): Promise<TableCopied> {
    await this.#line(`@copy ${JSON.stringify({ table })}`);
    let rows = 0;
    let bytes = 0;
    let last = NEWLINE;
    for await (const chunk of data) {
      if (chunk.length === 0) continue;
      rows += countRows(chunk);
      bytes += chunk.length;
      last = chunk[chunk.length - 1];
      await this.#write(chunk);
      onChunk({ rows, bytes });
    }
    if (last !== NEWLINE) {
      throw new ExportError('COPY_FAILED', `COPY ${table} TO STDOUT ended in the middle of a row`);
    }
    await this.#line('\\.');
    await this.#line(`@copied ${JSON.stringify({ table, rows, bytes })}`);
    this.#tables++;
    this.#rows += rows;
    this.#bytes += bytes;
    return { rows, bytes };
  }

  /** Writes the totals and the checksum, then moves the file into place; returns its totals. */
  async finish(): Promise<ExportTotals> {
    const totals = { statements: this.#statements, tables: this.#tables, rows: this.#rows, bytes: this.#bytes };
    await this.#line(`@end ${JSON.stringify(totals)}`);
    await this.#flush();
    const digest = this.#hash.digest('hex');
    this.#gzip.end(Buffer.from(`@sha256 ${digest}\n`));
    await this.#done;
    if (this.#failure !== undefined) throw this.#writeError(this.#failure);
    await rename(this.#partial, this.path);
    return totals;
  }

  /** After a failure: the partial file goes away, so nothing half-written is left to import. */
  async abort(): Promise<void> {
    this.#gzip.destroy();
    await this.#done;
    await rm(this.#partial, { force: true });
  }

  async #line(text: string): Promise<void> {
    await this.#write(Buffer.from(`${text}\n`, 'utf8'));
  }

  async #write(bytes: Buffer): Promise<void> {
    this.#hash.update(bytes);
    this.#batch.push(bytes);
    this.#batchBytes += bytes.length;
    if (this.#batchBytes >= WRITE_BATCH_BYTES) await this.#flush();
  }

  /** Hands the batch to gzip, waiting while it is full (so memory stays bounded). */
  async #flush(): Promise<void> {
    if (this.#failure !== undefined) throw this.#writeError(this.#failure);
    if (this.#batchBytes === 0) return;
    const bytes = Buffer.concat(this.#batch, this.#batchBytes);
    this.#batch = [];
    this.#batchBytes = 0;
    if (!this.#gzip.write(bytes)) {
      await Promise.race([once(this.#gzip, 'drain'), this.#done]);
      if (this.#failure !== undefined) throw this.#writeError(this.#failure);
    }
  }

  #writeError(error: unknown): ExportError {
    return new ExportError('CANNOT_WRITE', `cannot write ${this.#partial}: ${errorMessage(error)}`, { cause: error });
  }
}

// ---------------------------------------------------------------------------------------
// Reading

/** The uncompressed bytes of the file, consumed in order and hashed as they are. */
class ByteReader {
  readonly #path: string;
  readonly #chunks: AsyncIterator<Buffer>;
  readonly #hash = createHash('sha256');
  #buffer: Buffer = Buffer.alloc(0);
  #offset = 0;

  constructor(path: string, stream: Readable) {
    this.#path = path;
    this.#chunks = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  /** The checksum of everything consumed so far. */
  digest(): string {
    return this.#hash.copy().digest('hex');
  }

  /** The next line without its newline; undefined at the end of the file. */
  async line(): Promise<string | undefined> {
    for (;;) {
      const newline = this.#buffer.indexOf(NEWLINE, this.#offset);
      if (newline >= 0) {
        const line = this.#buffer.subarray(this.#offset, newline);
        this.#consume(newline + 1);
        return line.toString('utf8');
      }
      if (this.#buffer.length - this.#offset > MAX_LINE_BYTES) throw this.damaged('a line is longer than 64 MiB');
      if (!(await this.#fill())) {
        if (this.#offset < this.#buffer.length) throw this.truncated();
        return undefined;
      }
    }
  }

  async exact(length: number): Promise<Buffer> {
    while (this.#buffer.length - this.#offset < length) {
      if (!(await this.#fill())) throw this.truncated();
    }
    const bytes = this.#buffer.subarray(this.#offset, this.#offset + length);
    this.#consume(this.#offset + length);
    return bytes;
  }

  /** COPY text up to the `\.` line, handed to `sink` in runs of whole rows. */
  async copyData(sink: (data: Buffer) => Promise<void> | void): Promise<TableCopied> {
    let rows = 0;
    let bytes = 0;
    for (;;) {
      const buffer = this.#buffer;
      const start = this.#offset;
      let end = start;
      let terminated = false;
      for (let newline = buffer.indexOf(NEWLINE, end); newline >= 0; newline = buffer.indexOf(NEWLINE, end)) {
        if (newline - end === 2 && buffer[end] === BACKSLASH && buffer[end + 1] === DOT) {
          terminated = true;
          break;
        }
        rows++;
        end = newline + 1;
      }
      if (end > start) {
        const data = buffer.subarray(start, end);
        this.#consume(end);
        bytes += data.length;
        await sink(data);
      }
      if (terminated) {
        this.#consume(end + 3);
        return { rows, bytes };
      }
      if (buffer.length - end > MAX_LINE_BYTES) throw this.damaged('a row is longer than 64 MiB');
      if (!(await this.#fill())) throw this.truncated();
    }
  }

  damaged(why: string): ExportError {
    return new ExportError('DAMAGED', `${this.#path} is damaged: ${why}`, {
      hint: 'nothing was imported; export again or use another copy',
    });
  }

  truncated(): ExportError {
    return new ExportError('TRUNCATED', `${this.#path} is truncated: it ends before the export does`, {
      hint: 'nothing was imported; was the export interrupted, or the copy incomplete?',
    });
  }

  #consume(to: number): void {
    this.#hash.update(this.#buffer.subarray(this.#offset, to));
    this.#offset = to;
  }

  /** Appends the next chunk to what is still unread; false at the end of the file. */
  async #fill(): Promise<boolean> {
    let step: IteratorResult<Buffer>;
    try {
      step = await this.#chunks.next();
    } catch (error) {
      throw this.#gunzipError(error);
    }
    if (step.done === true) return false;
    const rest = this.#buffer.subarray(this.#offset);
    this.#buffer = rest.length === 0 ? step.value : Buffer.concat([rest, step.value]);
    this.#offset = 0;
    return true;
  }

  #gunzipError(error: unknown): ExportError {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('E')) {
      return new ExportError('NOT_AN_EXPORT', `cannot read ${this.#path}: ${errorMessage(error)}`);
    }
    if (code === 'Z_BUF_ERROR') return this.truncated();
    return this.damaged(`the compressed data is corrupt (${errorMessage(error)})`);
  }
}

/** A table's rows in the file: `load` streams them to a sink; unread, the reader skips them. */
export interface TableData {
  readonly table: string;
  load(sink: (data: Buffer) => Promise<void> | void): Promise<TableCopied>;
}

export type ExportRecord =
  | { readonly kind: 'statement'; readonly statement: ExportStatement }
  | { readonly kind: 'data'; readonly data: TableData };

function parseJson<T>(reader: ByteReader, text: string, schema: z.ZodType<T>, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw reader.damaged(`the ${what} is not JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw reader.damaged(`the ${what} is malformed (${parsed.error.issues[0]?.message ?? ''})`);
  return parsed.data;
}

/** Splits `@word rest` into its parts. */
function directive(line: string): { word: string; rest: string } {
  const space = line.indexOf(' ');
  return space < 0 ? { word: line, rest: '' } : { word: line.slice(0, space), rest: line.slice(space + 1) };
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

/** A file that does not start as gzip data is no export at all (rather than a damaged one). */
async function checkGzipMagic(path: string): Promise<void> {
  let head: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      head = Buffer.alloc(2);
      const { bytesRead } = await handle.read(head, 0, 2, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new ExportError('NOT_AN_EXPORT', `cannot read ${path}: ${errorMessage(error)}`);
  }
  if (!head.equals(GZIP_MAGIC)) {
    throw new ExportError('NOT_AN_EXPORT', `${path} is not a tandem export file (not gzip data)`);
  }
}

export class ExportFileReader {
  readonly header: ExportHeader;
  /** Compressed bytes read so far (for progress) and the file's size. */
  readonly position: { read: number };
  readonly #reader: ByteReader;
  readonly #file: Readable;

  private constructor(header: ExportHeader, reader: ByteReader, file: Readable, position: { read: number }) {
    this.header = header;
    this.#reader = reader;
    this.#file = file;
    this.position = position;
  }

  /** Opens the file and reads its magic line and header. */
  static async open(path: string): Promise<ExportFileReader> {
    await checkGzipMagic(path);
    const file = createReadStream(path);
    const position = { read: 0 };
    file.on('data', (chunk: Buffer | string) => (position.read += chunk.length));
    const gunzip = createGunzip();
    file.on('error', (error) => gunzip.destroy(error));
    const reader = new ByteReader(path, file.pipe(gunzip));
    try {
      const magic = await reader.line();
      const match = /^TANDEM-EXPORT (\d+)$/.exec(magic ?? '');
      if (match === null) throw new ExportError('NOT_AN_EXPORT', `${path} is not a tandem export file`);
      if (Number(match[1]) !== FORMAT_VERSION) {
        throw new ExportError(
          'UNSUPPORTED_FORMAT',
          `${path} is in export format ${match[1]}; this tandem reads format ${FORMAT_VERSION}`,
          { hint: 'import it with the tandem version that made it, or a newer one' },
        );
      }
      const line = await reader.line();
      if (line === undefined) throw reader.truncated();
      const { word, rest } = directive(line);
      if (word !== '@header') throw reader.damaged('the header is missing');
      return new ExportFileReader(parseJson(reader, rest, headerSchema, 'header'), reader, file, position);
    } catch (error) {
      file.destroy();
      throw error;
    }
  }

  close(): void {
    this.#file.destroy();
  }

  /** The statements and table data in file order; checks the counts and the checksum at the end. */
  async *records(): AsyncGenerator<ExportRecord> {
    const reader = this.#reader;
    const seen: ExportTotals = { statements: 0, tables: 0, rows: 0, bytes: 0 };
    for (;;) {
      const line = await reader.line();
      if (line === undefined) throw reader.truncated();
      const { word, rest } = directive(line);
      switch (word) {
        case '@sql': {
          const { bytes, ...meta } = parseJson(reader, rest, statementMetaSchema, 'statement header');
          const ddl = (await reader.exact(bytes)).toString('utf8');
          if ((await reader.exact(1))[0] !== NEWLINE)
            throw reader.damaged(`statement ${seen.statements + 1} is garbled`);
          seen.statements++;
          yield { kind: 'statement', statement: { ...meta, ddl } };
          break;
        }
        case '@copy': {
          const { table } = parseJson(reader, rest, copyMetaSchema, 'data header');
          let copied: Promise<TableCopied> | undefined;
          yield {
            kind: 'data',
            data: { table, load: (sink) => (copied ??= reader.copyData(sink)) },
          };
          const { rows, bytes } = await (copied ?? reader.copyData(() => undefined));
          const end = await reader.line();
          if (end === undefined) throw reader.truncated();
          if (directive(end).word !== '@copied') throw reader.damaged(`the rows of table ${table} are not ended`);
          const declared = parseJson(reader, directive(end).rest, copiedMetaSchema, 'data end');
          if (declared.table !== table || declared.rows !== rows || declared.bytes !== bytes) {
            throw reader.damaged(`the rows of table ${table} do not match their count`);
          }
          seen.tables++;
          seen.rows += rows;
          seen.bytes += bytes;
          break;
        }
        case '@end': {
          const totals = parseJson(reader, rest, endMetaSchema, 'end');
          if (JSON.stringify(totals) !== JSON.stringify(seen)) throw reader.damaged('the totals do not match');
          await this.#checkSum();
          return;
        }
        default:
          throw reader.damaged(`unexpected ${JSON.stringify(word.slice(0, 40))} after statement ${seen.statements}`);
      }
    }
  }

  async #checkSum(): Promise<void> {
    const reader = this.#reader;
    const expected = reader.digest();
    const line = await reader.line();
    if (line === undefined) throw reader.truncated();
    const { word, rest } = directive(line);
    if (word !== '@sha256') throw reader.damaged('the checksum is missing');
    if (rest !== expected) throw reader.damaged('the sha256 checksum does not match the content');
    if ((await reader.line()) !== undefined) throw reader.damaged('there is data after the checksum');
  }
}

/** What a whole read of the file found: its header, statements and table data. */
export interface ExportManifest {
  readonly header: ExportHeader;
  readonly statements: readonly ExportStatement[];
  readonly tables: readonly ({ readonly table: string } & TableCopied)[];
}

/**
 * Reads the whole file once, checking everything, before an import changes anything. Keeps
 * the statements (small) and the tables' counts; rows are only counted.
 */
export async function verifyExportFile(
  path: string,
  onProgress: (read: number) => void = () => undefined,
): Promise<ExportManifest> {
  const file = await ExportFileReader.open(path);
  const statements: ExportStatement[] = [];
  const tables: ({ table: string } & TableCopied)[] = [];
  try {
    for await (const record of file.records()) {
      if (record.kind === 'statement') statements.push(record.statement);
      else tables.push({ table: record.data.table, ...(await record.data.load(() => onProgress(file.position.read))) });
    }
  } finally {
    file.close();
  }
  return { header: file.header, statements, tables };
}
