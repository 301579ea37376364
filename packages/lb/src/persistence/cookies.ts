// Cookie headers as the persistence cookie needs them: find one cookie in the request's
// Cookie headers, remove it before the request goes to the application, and write the
// Set-Cookie that inserts it. The parsing follows RFC 6265 section 5.4 loosely, as browsers
// send it: pairs separated by ';' with optional spaces.

/** The value of the first cookie called `name` in any of the Cookie header values. */
export function findCookie(headerValues: readonly string[], name: string): string | undefined {
  for (const header of headerValues) {
    let start = 0;
    while (start < header.length) {
      let end = header.indexOf(';', start);
      if (end < 0) end = header.length;
      const equals = header.indexOf('=', start);
      if (equals > start && equals < end && header.slice(start, equals).trim() === name) {
        return header.slice(equals + 1, end).trim();
      }
      start = end + 1;
    }
  }
  return undefined;
}

/**
 * The Cookie header value without the cookies called `name`: the same string if there are
 * none, undefined if nothing is left (the header is then dropped).
 */
export function removeCookie(header: string, name: string): string | undefined {
  if (!header.includes(name)) return header;
  const kept: string[] = [];
  let removed = false;
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    const pairName = (equals < 0 ? pair : pair.slice(0, equals)).trim();
    if (pairName === name) removed = true;
    else if (pair.trim() !== '') kept.push(pair.trim());
  }
  if (!removed) return header;
  return kept.length === 0 ? undefined : kept.join('; ');
}

export interface SetCookieOptions {
  readonly path: string;
  readonly maxAgeSeconds?: number | undefined;
  readonly httpOnly: boolean;
  readonly secure: boolean;
  readonly sameSite: 'Strict' | 'Lax' | 'None';
}

export function formatSetCookie(name: string, value: string, options: SetCookieOptions): string {
  let text = `${name}=${value}; Path=${options.path}`;
  if (options.maxAgeSeconds !== undefined) text += `; Max-Age=${options.maxAgeSeconds}`;
  if (options.httpOnly) text += '; HttpOnly';
  // SameSite=None is only honoured with Secure; a browser drops it otherwise.
  if (options.secure || options.sameSite === 'None') text += '; Secure';
  text += `; SameSite=${options.sameSite}`;
  return text;
}

/** Whether a Set-Cookie header value sets the cookie called `name`. */
export function setsCookie(setCookie: string, name: string): boolean {
  const equals = setCookie.indexOf('=');
  return equals > 0 && setCookie.slice(0, equals).trim() === name;
}

/**
 * Cache-Control for a response that carries the persistence cookie: a shared cache must not
 * store it, or it would hand one client's server binding to everyone. Keeps the
 * application's directives, drops `public`, adds `private` unless private or no-store is
 * already there.
 */
export function privateCacheControl(existing: string | undefined): string {
  if (existing === undefined || existing.trim() === '') return 'private';
  const directives = existing
    .split(',')
    .map((directive) => directive.trim())
    .filter((directive) => directive !== '' && directive.toLowerCase() !== 'public');
  if (directives.some((directive) => /^(private|no-store)\b/i.test(directive))) return directives.join(', ');
  return ['private', ...directives].join(', ');
}
