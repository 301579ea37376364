// Prints a result set the way psql does, so that output and habits carry over: the aligned
// table (headers centred, numbers right-aligned, `+` where a value wraps onto a new line,
// an `(N rows)` footer), the unaligned `|` format, and the expanded one-field-per-line form.

export interface ResultColumn {
  readonly name: string;
  /** The column's PostgreSQL type OID; numeric types are right-aligned. */
  readonly typeOid: number;
}

/** Rows in the server's text format; null is SQL NULL (printed empty, as psql does by default). */
export interface ResultSet {
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly (string | null)[])[];
}

export interface FormatOptions {
  readonly aligned: boolean;
  readonly expanded: boolean;
  /** psql -t: no headers, no footer. */
  readonly tuplesOnly: boolean;
  /** Separator of the unaligned format. */
  readonly fieldSeparator: string;
}

export const DEFAULT_FORMAT: FormatOptions = { aligned: true, expanded: false, tuplesOnly: false, fieldSeparator: '|' };

// int8, int2, int4, oid, xid, cid, float4, float8, money, numeric, xid8: psql right-aligns these.
const NUMERIC_TYPE_OIDS = new Set([20, 21, 23, 26, 28, 29, 700, 701, 790, 1700, 5069]);

export function isNumericType(typeOid: number): boolean {
  return NUMERIC_TYPE_OIDS.has(typeOid);
}

/**
 * Screen columns taken by `text`: East Asian wide characters take two, combining marks none.
 * A coarse table, but it keeps CJK and most accented text aligned.
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if ((code >= 0x0300 && code <= 0x036f) || code === 0x200b || (code >= 0xfe00 && code <= 0xfe0f)) continue;
    width += isWide(code) ? 2 : 1;
  }
  return width;
}

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}

function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

function padStart(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - displayWidth(text))) + text;
}

function centre(text: string, width: number): string {
  const space = Math.max(0, width - displayWidth(text));
  const left = Math.floor(space / 2);
  return ' '.repeat(left) + text + ' '.repeat(space - left);
}

function rowFooter(count: number): string {
  return `(${count} ${count === 1 ? 'row' : 'rows'})\n`;
}

function cellLines(value: string | null): string[] {
  return (value ?? '').split('\n');
}

/** Formats the rows of a result (a statement with a row description) as psql would print them. */
export function formatRows(result: ResultSet, options: FormatOptions = DEFAULT_FORMAT): string {
  if (options.expanded) {
    return options.aligned ? formatExpandedAligned(result, options) : formatExpandedUnaligned(result, options);
  }
  return options.aligned ? formatAligned(result, options) : formatUnaligned(result, options);
}

function formatUnaligned(result: ResultSet, options: FormatOptions): string {
  const lines: string[] = [];
  if (!options.tuplesOnly && result.columns.length > 0) {
    lines.push(result.columns.map((column) => column.name).join(options.fieldSeparator));
  }
  for (const row of result.rows) lines.push(row.map((value) => value ?? '').join(options.fieldSeparator));
  const body = lines.map((line) => `${line}\n`).join('');
  return options.tuplesOnly ? body : body + rowFooter(result.rows.length);
}

function columnWidths(result: ResultSet): number[] {
  return result.columns.map((column, index) => {
    let width = displayWidth(column.name);
    for (const row of result.rows) {
      for (const line of cellLines(row[index] ?? null)) width = Math.max(width, displayWidth(line));
    }
    return width;
  });
}

function formatAligned(result: ResultSet, options: FormatOptions): string {
  const widths = columnWidths(result);
  let text = '';
  if (!options.tuplesOnly) {
    if (result.columns.length > 0) {
      text += ` ${result.columns.map((column, index) => centre(column.name, widths[index])).join(' | ')} \n`;
    }
    text += `${widths.length === 0 ? '--' : widths.map((width) => '-'.repeat(width + 2)).join('+')}\n`;
  }
  const rightAligned = result.columns.map((column) => isNumericType(column.typeOid));
  for (const row of result.rows) text += alignedRowLines(row, widths, rightAligned);
  if (!options.tuplesOnly) text += rowFooter(result.rows.length);
  return `${text}\n`;
}

/** One row of the aligned table; a value with newlines spans several lines, marked with `+`. */
function alignedRowLines(
  row: readonly (string | null)[],
  widths: readonly number[],
  rightAligned: readonly boolean[],
): string {
  if (widths.length === 0) return '';
  const cells = widths.map((_, index) => cellLines(row[index] ?? null));
  const height = Math.max(...cells.map((lines) => lines.length));
  let text = '';
  for (let lineIndex = 0; lineIndex < height; lineIndex++) {
    let line = ' ';
    for (let column = 0; column < widths.length; column++) {
      const lines = cells[column];
      const value = lines[lineIndex] ?? '';
      const wraps = lineIndex < lines.length - 1;
      const last = column === widths.length - 1;
      if (rightAligned[column]) line += padStart(value, widths[column]);
      // The last column is not padded, unless a wrap marker has to line up after it.
      else line += last && !wraps ? value : padEnd(value, widths[column]);
      if (!last) line += `${wraps ? '+' : ' '}| `;
      else if (wraps) line += '+';
    }
    text += `${line}\n`;
  }
  return text;
}

function formatExpandedUnaligned(result: ResultSet, options: FormatOptions): string {
  const records = result.rows.map((row) =>
    result.columns.map((column, index) => `${column.name}${options.fieldSeparator}${row[index] ?? ''}\n`).join(''),
  );
  return records.join('\n');
}

function formatExpandedAligned(result: ResultSet, options: FormatOptions): string {
  if (result.rows.length === 0) return options.tuplesOnly ? '' : `${rowFooter(0)}\n`;
  const nameWidth = Math.max(0, ...result.columns.map((column) => displayWidth(column.name)));
  let valueWidth = 0;
  for (const row of result.rows) {
    for (const value of row) for (const line of cellLines(value)) valueWidth = Math.max(valueWidth, displayWidth(line));
  }
  let text = '';
  result.rows.forEach((row, rowIndex) => {
    const rule = `${'-'.repeat(nameWidth + 1)}+${'-'.repeat(valueWidth + 1)}`;
    if (!options.tuplesOnly) text += `${recordHeader(rowIndex + 1, rule)}\n`;
    else if (rowIndex > 0) text += `${rule}\n`;
    result.columns.forEach((column, index) => {
      const lines = cellLines(row[index] ?? null);
      lines.forEach((line, lineIndex) => {
        const name = lineIndex === 0 ? column.name : '';
        const wraps = lineIndex < lines.length - 1;
        text += `${padEnd(name, nameWidth)} | ${wraps ? `${padEnd(line, valueWidth)}+` : line}\n`;
      });
    });
  });
  return `${text}\n`;
}

/** `-[ RECORD n ]` laid over the rule, which shows through when it is longer. */
function recordHeader(record: number, rule: string): string {
  const label = `-[ RECORD ${record} ]`;
  return label.length >= rule.length ? label : label + rule.slice(label.length);
}
