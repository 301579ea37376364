// Prints a server error or notice as psql does at its default verbosity: `ERROR:  message`,
// a `LINE n:` excerpt with a caret under the error position, then DETAIL, HINT, QUERY and
// (for errors only) CONTEXT lines.
import { displayWidth } from './result-format.js';

/** The fields of an ErrorResponse or NoticeResponse that psql shows by default. */
export interface ServerMessage {
  readonly severity?: string | undefined;
  readonly message?: string | undefined;
  readonly detail?: string | undefined;
  readonly hint?: string | undefined;
  /** 1-based character position in the statement text. */
  readonly position?: string | undefined;
  readonly internalPosition?: string | undefined;
  readonly internalQuery?: string | undefined;
  readonly where?: string | undefined;
}

// libpq's limits: show at most this many screen columns of the line, and keep the caret
// at least this far from a cut end.
const DISPLAY_COLUMNS = 60;
const MIN_RIGHT_CUT = 10;

/** Formats an error (`isError`) or a notice; every line ends with a newline. */
export function formatServerMessage(message: ServerMessage, query: string | undefined, isError: boolean): string {
  let text = `${message.severity ?? (isError ? 'ERROR' : 'NOTICE')}:  ${message.message ?? ''}\n`;
  const cursor = cursorSource(message, query);
  if (cursor !== undefined) text += errorPosition(cursor.query, cursor.position);
  if (message.detail !== undefined) text += `DETAIL:  ${message.detail}\n`;
  if (message.hint !== undefined) text += `HINT:  ${message.hint}\n`;
  if (message.internalQuery !== undefined) text += `QUERY:  ${message.internalQuery}\n`;
  if (isError && message.where !== undefined) text += `CONTEXT:  ${message.where}\n`;
  return text;
}

function cursorSource(
  message: ServerMessage,
  query: string | undefined,
): { query: string; position: number } | undefined {
  if (message.position !== undefined) {
    return query === undefined ? undefined : { query, position: Number(message.position) };
  }
  if (message.internalPosition !== undefined && message.internalQuery !== undefined) {
    return { query: message.internalQuery, position: Number(message.internalPosition) };
  }
  return undefined;
}

/**
 * The `LINE n:` excerpt and caret for a 1-based character `position` in `query`. A long
 * line is cut to about 60 columns around the position, with `...` where it was cut.
 */
export function errorPosition(query: string, position: number): string {
  const chars = Array.from(query);
  const location = position - 1;
  if (!Number.isInteger(location) || location < 0 || location > chars.length) return '';
  const { lineNumber, begin, end } = lineAround(chars, location);
  // Screen column of each character of the line (tabs shown as one space, as libpq does).
  const shown = chars.slice(begin, end).map((char) => (char === '\t' ? ' ' : char));
  const columns: number[] = [0];
  for (const char of shown) columns.push(columns[columns.length - 1] + Math.max(1, displayWidth(char)));
  const column = (index: number): number => columns[index - begin];
  let first = begin;
  let last = end;
  let cutLeft = false;
  let cutRight = false;
  if (column(last) - column(first) > DISPLAY_COLUMNS) {
    if (column(first) + DISPLAY_COLUMNS >= column(location) + MIN_RIGHT_CUT) {
      while (column(last) - column(first) > DISPLAY_COLUMNS) last--;
      cutRight = true;
    } else {
      while (column(location) + MIN_RIGHT_CUT < column(last)) {
        last--;
        cutRight = true;
      }
      while (column(last) - column(first) > DISPLAY_COLUMNS) {
        first++;
        cutLeft = true;
      }
    }
  }
  const prefix = `LINE ${lineNumber}: ${cutLeft ? '...' : ''}`;
  const excerpt = shown.slice(first - begin, last - begin).join('');
  const caretColumn = prefix.length + column(location) - column(first);
  return `${prefix}${excerpt}${cutRight ? '...' : ''}\n${' '.repeat(caretColumn)}^\n`;
}

/** The 1-based number of the line holding `location`, and that line's [begin, end) in `chars`. */
function lineAround(chars: readonly string[], location: number): { lineNumber: number; begin: number; end: number } {
  let lineNumber = 1;
  let begin = 0;
  for (let index = 0; index < location; index++) {
    const char = chars[index];
    if (char === '\r' || char === '\n') {
      // \r\n counts as one line break.
      if (char === '\r' || chars[index - 1] !== '\r') lineNumber++;
      begin = index + 1;
    }
  }
  let end = location;
  while (end < chars.length && chars[end] !== '\n' && chars[end] !== '\r') end++;
  return { lineNumber, begin, end };
}
