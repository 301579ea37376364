// COPY in PostgreSQL's text format: one row per line, columns separated by a delimiter
// (tab), NULL written as \N, and backslash escapes for the delimiter, newlines and
// backslash itself. COPY FROM streams: input arrives in CopyData chunks that need not end
// on a line, and each complete line becomes one row inserted through the same path as
// INSERT (defaults, NOT NULL, CHECK, unique keys). A bad line is an error that names it.
import { DbError } from '../errors.js';
import type { Transaction } from '../txn/transactions.js';
import type { QueryOutput } from '../wire/engine.js';
import type * as ast from './ast.js';
import type { Executable } from './dml.js';
import type { ExecEnv } from './expr.js';
import { formatText, parseText } from './types/text-io.js';
import type { SqlType } from './types/types.js';
import type { SqlValue } from './types/value.js';

/** What COPY needs beyond the executable: the statement and the copied columns' types. */
export interface CopySpec {
  readonly statement: ast.CopyStatement;
  readonly columns: readonly { readonly name: string; readonly type: SqlType }[];
}

interface TextFormat {
  readonly delimiter: string;
  readonly nullString: string;
  readonly header: boolean;
}

function textFormat(statement: ast.CopyStatement): TextFormat {
  let delimiter = '\t';
  let nullString = '\\N';
  let header = false;
  for (const option of statement.options) {
    const value = option.value;
    switch (option.name) {
      case 'delimiter':
        if (value === undefined || value.length !== 1) {
          throw new DbError('FEATURE_NOT_SUPPORTED', 'COPY delimiter must be a single one-byte character');
        }
        delimiter = value;
        break;
      case 'null':
        nullString = value ?? '';
        break;
      case 'header':
        header = value === undefined || ['true', 'on', '1'].includes(value.toLowerCase());
        break;
      case 'format':
      case 'freeze':
      case 'encoding':
        break;
      default:
        throw new DbError('FEATURE_NOT_SUPPORTED', `COPY option "${option.name}" is not supported in text format`);
    }
  }
  return { delimiter, nullString, header };
}

const ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Splits one line into raw fields (null for the NULL marker), undoing backslash escapes. */
export function splitCopyLine(line: string, format: TextFormat): (string | null)[] {
  // Most lines hold no escapes: split them without looking at each character.
  if (!line.includes('\\')) {
    return line.split(format.delimiter).map((field) => (field === format.nullString ? null : field));
  }
  const fields: (string | null)[] = [];
  let current = '';
  let raw = '';
  for (let i = 0; i <= line.length; i++) {
    const c = line[i];
    if (i === line.length || c === format.delimiter) {
      fields.push(raw === format.nullString ? null : current);
      current = '';
      raw = '';
      continue;
    }
    if (c !== '\\') {
      current += c;
      raw += c;
      continue;
    }
    const next = line[i + 1];
    if (next === undefined)
      throw new DbError('INVALID_TEXT_REPRESENTATION', 'end-of-copy marker corrupt or line ends with a backslash');
    raw += c + next;
    i++;
    if (ESCAPES[next] !== undefined) current += ESCAPES[next];
    else if (next >= '0' && next <= '7') {
      let digits = next;
      while (digits.length < 3 && line[i + 1] >= '0' && line[i + 1] <= '7') digits += line[++i];
      raw += digits.slice(1);
      current += String.fromCharCode(parseInt(digits, 8));
    } else if (next === 'x' && /[0-9a-fA-F]/.test(line[i + 1] ?? '')) {
      let digits = '';
      while (digits.length < 2 && /[0-9a-fA-F]/.test(line[i + 1] ?? '')) digits += line[++i];
      raw += digits;
      current += String.fromCharCode(parseInt(digits, 16));
    } else current += next;
  }
  return fields;
}

/** Escapes one value for a text-format line. */
export function escapeCopyValue(text: string, delimiter: string): string {
  let out = '';
  for (const c of text) {
    if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t' && delimiter === '\t') out += '\\t';
    else if (c === delimiter) out += `\\${c}`;
    else out += c;
  }
  return out;
}

/** COPY ... FROM STDIN: returns the command tag. */
export async function copyFrom(
  executable: Executable,
  env: ExecEnv,
  txn: Transaction,
  out: QueryOutput,
): Promise<string> {
  const spec = executable.copy!;
  const format = textFormat(spec.statement);
  const types = spec.columns.map((column) => column.type);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending = '';
  let lineNumber = 0;
  let count = 0;
  let ended = false;
  const insertLine = async (line: string): Promise<void> => {
    lineNumber++;
    if (format.header && lineNumber === 1) return;
    if (line === '\\.') {
      ended = true;
      return;
    }
    const fields = splitCopyLine(line, format);
    if (fields.length !== types.length) {
      throw new DbError(
        'INVALID_TEXT_REPRESENTATION',
        `COPY ${spec.statement.table ?? ''}, line ${lineNumber}: ${fields.length < types.length ? 'missing data for column' : 'extra data after last expected column'}`,
      );
    }
    let values: SqlValue[];
    try {
      values = fields.map((field, i) => (field === null ? null : parseText(types[i], field, env.ctx)));
    } catch (error) {
      if (error instanceof DbError)
        throw new DbError(error.codeName, `COPY line ${lineNumber}: ${stripCode(error.message)}`);
      throw error;
    }
    const run = executable.run({ ...env, params: values }, txn);
    for (let step = await run.next(); step.done !== true; step = await run.next()) {
      // INSERT without RETURNING yields nothing.
    }
    count++;
    if ((count & 1023) === 0) await env.services.checkCancel();
  };
  for await (const chunk of out.copyIn({ columns: types.length })) {
    if (ended) continue;
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      throw new DbError(
        'CHARACTER_NOT_IN_REPERTOIRE',
        `COPY line ${lineNumber + 1}: invalid byte sequence for encoding "UTF8"`,
      );
    }
    pending += text;
    let newline = pending.indexOf('\n');
    let start = 0;
    while (newline >= 0 && !ended) {
      let line = pending.slice(start, newline);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      await insertLine(line);
      start = newline + 1;
      newline = pending.indexOf('\n', start);
    }
    pending = pending.slice(start);
  }
  if (!ended && pending.length > 0) await insertLine(pending.endsWith('\r') ? pending.slice(0, -1) : pending);
  return `COPY ${count}`;
}

/** COPY ... TO STDOUT: returns the command tag. */
export async function copyTo(
  executable: Executable,
  env: ExecEnv,
  out: QueryOutput,
  txn: Transaction | undefined,
): Promise<string> {
  const spec = executable.copy!;
  const format = textFormat(spec.statement);
  const types = spec.columns.map((column) => column.type);
  const sink = out.copyOut({ columns: types.length });
  const encoder = new TextEncoder();
  let count = 0;
  if (format.header) {
    await sink.data(
      encoder.encode(
        `${spec.columns.map((column) => escapeCopyValue(column.name, format.delimiter)).join(format.delimiter)}\n`,
      ),
    );
  }
  const run = executable.run(env, txn);
  for (let step = await run.next(); step.done !== true; step = await run.next()) {
    const line = step.value
      .map((value, i) =>
        value === null ? format.nullString : escapeCopyValue(formatText(types[i], value, env.ctx), format.delimiter),
      )
      .join(format.delimiter);
    const pending = sink.data(encoder.encode(`${line}\n`));
    if (pending !== undefined) await pending;
    count++;
  }
  sink.end();
  return `COPY ${count}`;
}

function stripCode(message: string): string {
  return message.replace(/^TDB-\d{4}: /, '');
}
