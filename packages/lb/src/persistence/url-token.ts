// The URL token, for clients without cookies: the server token travels in the URL, either as
// a path parameter (`/cart;lbt=TOKEN/items`, as servlet containers carry ;jsessionid) or as
// a query parameter (`/cart?lbt=TOKEN`). The load balancer reads it and removes it before
// the request reaches the application; the application learns the token for the server it
// runs on from the X-Tandem-Lb-Token request header, to write into the links it renders.

export interface UrlTokenExtraction {
  /** The last token found (a path parameter wins over the query), undefined if none. */
  readonly token: string | undefined;
  /** The URL without the token parameters. */
  readonly url: string;
}

export function extractUrlToken(url: string, parameter: string): UrlTokenExtraction {
  const marker = `${parameter}=`;
  if (!url.includes(marker)) return { token: undefined, url };
  const queryStart = url.indexOf('?');
  let path = queryStart < 0 ? url : url.slice(0, queryStart);
  let query = queryStart < 0 ? undefined : url.slice(queryStart + 1);
  let pathToken: string | undefined;
  let queryToken: string | undefined;

  const pathMarker = `;${marker}`;
  // Bounded: every pass removes one occurrence.
  for (let at = path.indexOf(pathMarker); at >= 0; at = path.indexOf(pathMarker, at)) {
    let end = at + pathMarker.length;
    while (end < path.length && path[end] !== ';' && path[end] !== '/') end++;
    pathToken = path.slice(at + pathMarker.length, end);
    path = path.slice(0, at) + path.slice(end);
  }
  if (query !== undefined && query.includes(marker)) {
    const kept: string[] = [];
    for (const pair of query.split('&')) {
      if (pair.startsWith(marker)) queryToken = pair.slice(marker.length);
      else if (pair !== parameter) kept.push(pair);
    }
    query = kept.length === 0 ? undefined : kept.join('&');
  }
  const token = pathToken ?? queryToken;
  return {
    token: token === undefined ? undefined : safeDecode(token),
    url: query === undefined ? path : `${path}?${query}`,
  };
}

function safeDecode(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a malformed escape: verification will refuse it
  }
}
