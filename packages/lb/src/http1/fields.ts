// What request and response heads share (RFC 9112 section 5, RFC 9110 section 5.6): where a
// head ends, and one field line read strictly.

/** Why a head was refused: the message names the fault for the log line. */
export class HeadParseError extends Error {
  override readonly name = 'HeadParseError';
}

export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible characters, space, tab and obs-text; no other control character.
// eslint-disable-next-line no-control-regex
export const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
export const DECIMAL = /^\d{1,15}$/;

/** Where the head ends: the index just past CRLF CRLF, or -1 if it has not all arrived. */
export function findHeadEnd(buffer: Buffer, from = 0): number {
  const at = buffer.indexOf('\r\n\r\n', Math.max(0, from - 3), 'latin1');
  return at < 0 ? -1 : at + 4;
}

/**
 * Whether an incomplete head already shows a line ended by a bare LF (RFC 9112 section 2.2
 * allows a recipient to accept it; a proxy must not, since the next hop may read the lines
 * differently). `from`: the bytes before it were checked already. Checked while the head is incomplete, so such a head is refused at once
 * rather than waited for; in a complete head the field checks refuse the stray LF.
 */
export function hasBareLf(buffer: Buffer, from = 0): boolean {
  for (let at = buffer.indexOf(0x0a, from); at >= 0; at = buffer.indexOf(0x0a, at + 1)) {
    if (at === 0 || buffer[at - 1] !== 0x0d) return true;
  }
  return false;
}

/**
 * One `name: value` line: the name a token with no space before the colon, the value with
 * its surrounding spaces and tabs removed and no control character. A line starting with
 * space or tab is obsolete folding, refused.
 */
export function parseFieldLine(line: string): [string, string] {
  const colon = line.indexOf(':');
  if (colon <= 0) {
    const first = line.charCodeAt(0);
    throw new HeadParseError(
      first === 0x20 || first === 0x09 ? 'obsolete line folding' : `header line without a name ${quote(line)}`,
    );
  }
  const name = line.slice(0, colon);
  if (!TOKEN.test(name)) throw new HeadParseError(`invalid header name ${quote(name)}`);
  const value = trimOws(line.slice(colon + 1));
  if (BAD_VALUE.test(value)) throw new HeadParseError(`control character in header ${name}`);
  return [name, value];
}

function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === 0x20 || value.charCodeAt(start) === 0x09)) start++;
  while (end > start && (value.charCodeAt(end - 1) === 0x20 || value.charCodeAt(end - 1) === 0x09)) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

export function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
