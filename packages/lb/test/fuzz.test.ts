// A bounded, seeded fuzz of both halves of the HTTP proxy. Client side: mutated requests
// (byte flips, truncations, inserted CR/LF/NUL, duplicated headers, random Content-Length
// and Transfer-Encoding combinations, random and huge chunk sizes) on raw connections to the
// load balancer. Upstream side: a raw backend answering normal requests with mutated
// responses. Each connection is closed by the client after a short bounded wait.
//
// Afterwards the load balancer must still serve a normal GET, no exception may have escaped,
// every answer a client got must start with a valid status line (and parse as HTTP/1.1),
// and no client connection may stay open.
//
// Replay: TANDEM_FUZZ_SEED=<seed> npx vitest run packages/lb/test/fuzz.test.ts (the seed is in
// the test names; a failure names the case, its own seed and its bytes).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SeededRandom } from '@tandem/testkit';
import { cleanupAfterEach, eventually, send, type RunningLb } from './harness.js';
import { okResponse, startRawBackend, type RawBackend, type RawHandler } from './raw-backend.js';
import { parseResponse, RawClient } from './raw-client.js';

const SEED = Number(process.env.TANDEM_FUZZ_SEED ?? 20_260_101);
if (!Number.isSafeInteger(SEED))
  throw new Error(`TANDEM_FUZZ_SEED must be an integer, got ${process.env.TANDEM_FUZZ_SEED}`);
const CLIENT_CASES = 300;
const UPSTREAM_CASES = 200;
/** Cases run this many at a time. */
const CONCURRENCY = 10;
/** How long a client waits for the load balancer to answer and close before it closes itself. */
const CASE_WAIT_MS = 300;

const cleanups = cleanupAfterEach();

// Exceptions that escape to the process: none may happen while the fuzz runs.
const escaped: string[] = [];
const onUncaught = (error: unknown): void => {
  escaped.push(`uncaughtException: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
};
const onRejection = (reason: unknown): void => {
  escaped.push(`unhandledRejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
};
beforeEach(() => {
  escaped.length = 0;
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onRejection);
});
afterEach(() => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onRejection);
});

/** A case's own generator: case `index` of a run replays from (seed, index) alone. */
function caseRandom(salt: number, index: number): SeededRandom {
  return new SeededRandom((SEED * 7 + salt * 1_000_003 + index * 7919) % Number.MAX_SAFE_INTEGER);
}

async function lbFor(backend: RawBackend): Promise<RunningLb> {
  return cleanups.startLb({
    listeners: [{ name: 'web', protocol: 'http', host: '127.0.0.1', port: 0, defaultPool: 'web' }],
    pools: {
      web: {
        servers: [{ id: 'a', host: '127.0.0.1', port: backend.port }],
        retries: 1,
        timeouts: { connectMs: 2000, responseMs: 1500, idleMs: 1500, keepAliveMs: 1000 },
        // Broken answers are the point here: the server must stay in the pool.
        passive: { consecutiveFailures: 1000, on5xx: false },
      },
    },
    limits: { maxHeaderBytes: 4096, headersTimeoutMs: 1000, requestTimeoutMs: 2000, keepAliveTimeoutMs: 1000 },
  });
}

// ---------------------------------------------------------------------------------------
// Mutations

const HUGE_NUMBERS = [
  '99999999999999999999',
  '18446744073709551616',
  '9007199254740993',
  '999999999999999',
  '4294967296',
  '-1',
  '+5',
  '1e3',
  '0x10',
  ' 7',
  '5, 5',
  '5,6',
  '',
  '00000000000000000000000000000001',
];
const TRANSFER_ENCODINGS = [
  'chunked',
  'CHUNKED',
  'gzip, chunked',
  'chunked, gzip',
  'identity',
  'chunked ',
  'xchunked',
  '',
];
const HEX_SIZES = ['ffffffffffffffff', 'fffffffffffff', '10000000000000', '-1', '0x5', '5 ', ' 5', '5;', 'g', ''];

/** A chunked body of `payload` in random chunk sizes, sometimes with extensions and trailers. */
function chunked(random: SeededRandom, payload: Buffer): string {
  let out = '';
  let at = 0;
  while (at < payload.length) {
    const size = Math.min(payload.length - at, random.int(1, 40));
    const sizeText = random.chance(0.1) ? size.toString(16).padStart(random.int(2, 8), '0') : size.toString(16);
    out += `${sizeText}${random.chance(0.15) ? ';ext=v' : ''}\r\n${payload.toString('latin1', at, at + size)}\r\n`;
    at += size;
  }
  if (random.chance(0.1)) out += `${random.pick(HEX_SIZES)}\r\nxxxxx\r\n`;
  out += `0${random.chance(0.1) ? ';last' : ''}\r\n${random.chance(0.2) ? 'X-Trailer: t\r\n' : ''}\r\n`;
  return out;
}

function randomPayload(random: SeededRandom, max: number): Buffer {
  const bytes = Buffer.alloc(random.int(0, max));
  for (let index = 0; index < bytes.length; index++) bytes[index] = 0x61 + random.int(0, 26);
  return bytes;
}

/** Byte-level damage to a serialized message. */
function damage(random: SeededRandom, input: Buffer): Buffer {
  let bytes = Buffer.from(input);
  const rounds = random.int(0, 4);
  for (let round = 0; round < rounds && bytes.length > 0; round++) {
    const at = random.int(0, bytes.length);
    switch (random.int(0, 7)) {
      case 0: // flip a byte
        bytes[at] = random.int(0, 256);
        break;
      case 1: // insert CR, LF, NUL, space, tab or colon
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          Buffer.from([random.pick([0x0d, 0x0a, 0x00, 0x20, 0x09, 0x3a])]),
          bytes.subarray(at),
        ]);
        break;
      case 2: // truncate
        bytes = bytes.subarray(0, at);
        break;
      case 3: {
        // delete a range
        const end = Math.min(bytes.length, at + random.int(1, 8));
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(end)]);
        break;
      }
      case 4: {
        // duplicate a range
        const end = Math.min(bytes.length, at + random.int(1, 40));
        bytes = Buffer.concat([bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end)]);
        break;
      }
      case 5: // turn a CRLF into a bare LF or a bare CR
        {
          const crlf = bytes.indexOf('\r\n', at);
          if (crlf >= 0)
            bytes = Buffer.concat([
              bytes.subarray(0, crlf),
              Buffer.from(random.chance(0.5) ? '\n' : '\r'),
              bytes.subarray(crlf + 2),
            ]);
        }
        break;
      default: // set the high bit of a byte
        bytes[at] |= 0x80;
        break;
    }
  }
  return bytes;
}

interface FuzzRequest {
  readonly bytes: Buffer;
  /** The method as sent (the first word), for reading the answers. */
  readonly method: string;
}

/** A valid request, then structural and byte mutations. */
function fuzzRequest(random: SeededRandom, index: number): FuzzRequest {
  const method = random.pick(['GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'get', 'G=T']);
  const target = random.pick([
    `/fuzz/${index}`,
    `/fuzz/${index}?q=${random.int(0, 1000)}`,
    '*',
    `http://x/fuzz/${index}`,
  ]);
  const version = random.pick(['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/1.2', 'HTTP/2.0', 'HTTP/1.1 ']);
  const fields: string[] = [];
  if (random.chance(0.9)) fields.push('Host: fuzz.example');
  fields.push(`User-Agent: fuzz/${index}`);
  if (random.chance(0.3)) fields.push(`Connection: ${random.pick(['close', 'keep-alive', 'Upgrade', 'close, X-Hop'])}`);
  if (random.chance(0.1)) fields.push('Upgrade: websocket');
  if (random.chance(0.1)) fields.push('Expect: 100-continue');
  if (random.chance(0.2)) fields.push(`X-Long: ${'l'.repeat(random.int(0, 5000))}`);
  const payload = randomPayload(random, 200);
  const framing = REQUEST_FRAMINGS[random.int(0, REQUEST_FRAMINGS.length)];
  const body = frame(random, framing, payload, fields, () => payload.length);
  mutateFields(random, fields);
  random.shuffle(fields);
  const text = `${method} ${target} ${version}\r\n${fields.map((field) => `${field}\r\n`).join('')}\r\n${body}`;
  let bytes: Buffer = Buffer.from(text, 'latin1');
  if (random.chance(0.7)) bytes = damage(random, bytes);
  // Sometimes a normal request follows on the same connection.
  if (random.chance(0.2))
    bytes = Buffer.concat([bytes, Buffer.from(`GET /after/${index} HTTP/1.1\r\nHost: x\r\n\r\n`)]);
  // The method the load balancer reads is the first word of what is sent, damaged or not.
  const space = bytes.indexOf(' ');
  return { bytes, method: bytes.toString('latin1', 0, space < 0 ? bytes.length : space) };
}

/** How a message's body is framed ('none': no body; 'close': until the connection closes). */
type Framing = 'none' | 'close' | 'length' | 'chunked' | 'huge-length' | 'both' | 'odd-coding';
const REQUEST_FRAMINGS: readonly Framing[] = ['none', 'length', 'chunked', 'huge-length', 'both', 'odd-coding'];
const RESPONSE_FRAMINGS: readonly Framing[] = ['length', 'chunked', 'close', 'huge-length', 'both', 'odd-coding'];

/** Adds `framing`'s fields for `payload` to `fields` and returns the body; 'both' takes its lengths from `bothLength`. */
function frame(
  random: SeededRandom,
  framing: Framing,
  payload: Buffer,
  fields: string[],
  bothLength: () => number,
): string {
  switch (framing) {
    case 'none':
      return '';
    case 'close':
      return payload.toString('latin1');
    case 'length':
      fields.push(`Content-Length: ${payload.length}`);
      return payload.toString('latin1');
    case 'chunked':
      fields.push('Transfer-Encoding: chunked');
      return chunked(random, payload);
    case 'huge-length':
      fields.push(`Content-Length: ${random.pick(HUGE_NUMBERS)}`);
      return payload.toString('latin1');
    case 'both':
      // Both, in either order, perhaps more than once.
      for (let count = random.int(1, 3); count > 0; count--) {
        fields.push(
          random.chance(0.5)
            ? `Content-Length: ${bothLength()}`
            : `Transfer-Encoding: ${random.pick(TRANSFER_ENCODINGS)}`,
        );
      }
      return random.chance(0.5) ? chunked(random, payload) : payload.toString('latin1');
    case 'odd-coding':
      fields.push(`Transfer-Encoding: ${random.pick(TRANSFER_ENCODINGS)}`);
      return chunked(random, payload);
  }
}

/** Duplicates a field, folds one, or puts a space before a colon. */
function mutateFields(random: SeededRandom, fields: string[]): void {
  if (random.chance(0.15) && fields.length > 0) fields.splice(random.int(0, fields.length + 1), 0, random.pick(fields));
  if (random.chance(0.05)) fields.push(' folded');
  if (random.chance(0.05)) fields.push('X-Space : before');
}

/** A valid response of some kind, then structural and byte mutations. */
function fuzzResponse(random: SeededRandom, method: string): Buffer {
  const payload = randomPayload(random, 300);
  const version = random.pick(['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'http/1.1']);
  const status = random.pick([
    '200 OK',
    '200 OK',
    '201 Created',
    '204 No Content',
    '304 Not Modified',
    '404 Not Found',
    '500 Oops',
    '999 Nine',
    '20 Short',
    '200',
  ]);
  const fields: string[] = ['Content-Type: text/plain'];
  if (random.chance(0.2)) fields.push(`Connection: ${random.pick(['close', 'keep-alive'])}`);
  if (random.chance(0.1)) fields.push('Set-Cookie: a=b');
  const framing = RESPONSE_FRAMINGS[random.int(0, RESPONSE_FRAMINGS.length)];
  // Conflicting lengths too: a response's Content-Length may disagree with its body.
  const body = frame(random, framing, payload, fields, () =>
    random.chance(0.5) ? payload.length : random.int(0, 500),
  );
  mutateFields(random, fields);
  if (random.chance(0.05)) fields.push(`X-Huge: ${'h'.repeat(random.int(10_000, 80_000))}`);
  random.shuffle(fields);
  let text = `${version} ${status}\r\n${fields.map((field) => `${field}\r\n`).join('')}\r\n${method === 'HEAD' && random.chance(0.5) ? '' : body}`;
  if (random.chance(0.1))
    text = `HTTP/1.1 ${random.pick(['100 Continue', '103 Early Hints', '101 Switching Protocols'])}\r\n\r\n${text}`;
  let bytes: Buffer = Buffer.from(text, 'latin1');
  if (random.chance(0.7)) bytes = damage(random, bytes);
  if (random.chance(0.1)) bytes = Buffer.concat([bytes, okResponse('excess')]);
  return bytes;
}

/** Writes `bytes` in 1 to 3 pieces at random split points (each piece after the previous was handed over). */
async function writeSplit(random: SeededRandom, raw: RawClient, bytes: Buffer): Promise<void> {
  const pieces = random.int(1, 4);
  const splits = Array.from({ length: pieces - 1 }, () => random.int(0, bytes.length + 1)).sort((a, b) => a - b);
  let at = 0;
  for (const split of [...splits, bytes.length]) {
    if (raw.closed) return;
    await raw.write(bytes.subarray(at, split));
    at = split;
    if (split < bytes.length) await new Promise((resolve) => setTimeout(resolve, random.int(0, 5)));
  }
}

// ---------------------------------------------------------------------------------------
// What a client got

// The reason phrase may hold tabs and obs-text (RFC 9112 section 4).
const STATUS_LINE = /^HTTP\/1\.1 [1-5]\d\d [\t\x20-\x7e\x80-\xff]*\r\n/;

/**
 * Problems with the bytes a client received: each answer must start with a valid status line
 * and parse as an HTTP/1.1 response; the bytes may end mid-answer (the client left).
 */
function answerProblems(received: Buffer, firstMethod: string): string[] {
  const problems: string[] = [];
  let rest = received;
  let method = firstMethod;
  while (rest.length > 0) {
    const prefix = rest.toString('latin1', 0, Math.min(rest.length, 200));
    if (!STATUS_LINE.test(prefix)) {
      // A status line cut by the client's close is fine if what came is a prefix of a valid one.
      const partial =
        rest.indexOf('\r\n') < 0 &&
        ('HTTP/1.1 '.startsWith(prefix) ||
          /^HTTP\/1\.1 ([1-5]\d{0,2}|[1-5]\d\d [\t\x20-\x7e\x80-\xff]*)$/.test(prefix));
      if (!partial) problems.push(`not a valid status line: ${JSON.stringify(prefix)}`);
      break;
    }
    let parsed;
    try {
      parsed = parseResponse(rest, method, false);
    } catch (error) {
      problems.push(`${(error as Error).message} in ${JSON.stringify(prefix)}`);
      break;
    }
    if (parsed === undefined) break; // cut short by the close
    rest = rest.subarray(parsed.consumed);
    // A refusal of a HEAD request carries a body the client cannot frame (the load balancer answers
    // every refusal with one; client-protocol.test.ts covers that on its own): it runs to the close.
    if (method === 'HEAD' && parsed.response.status >= 400 && parsed.response.headers.connection === 'close') break;
    // After an interim answer the final one to the same request follows; else the next request's (a GET).
    if (parsed.response.status >= 200) method = 'GET';
  }
  return problems;
}

interface CaseOutcome {
  readonly index: number;
  readonly seed: number;
  readonly sent: string;
  readonly problems: string[];
}

/** Runs cases `count` at a time; collects every problem. */
async function runCases(count: number, runCase: (index: number) => Promise<CaseOutcome>): Promise<CaseOutcome[]> {
  const failed: CaseOutcome[] = [];
  for (let start = 0; start < count; start += CONCURRENCY) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, count - start) }, (_, offset) => runCase(start + offset)),
    );
    for (const outcome of batch) if (outcome.problems.length > 0) failed.push(outcome);
  }
  return failed;
}

/** The failures grouped by kind (digits masked), with a count and the first case of each. */
function describeFailures(failed: CaseOutcome[]): string {
  const kinds = new Map<string, { count: number; first: CaseOutcome; problem: string }>();
  for (const outcome of failed) {
    for (const problem of outcome.problems) {
      const kind = problem.replace(/\d+/g, 'N').slice(0, 70);
      const known = kinds.get(kind);
      if (known === undefined) kinds.set(kind, { count: 1, first: outcome, problem });
      else known.count++;
    }
  }
  return [...kinds.values()]
    .map(
      ({ count, first, problem }) =>
        `${count} case(s) like case ${first.index} (seed ${SEED}, case seed ${first.seed}):\n  sent ${first.sent.slice(0, 500)}\n  ${problem}`,
    )
    .join('\n');
}

/** A normal GET through the load balancer, then no connection left behind and nothing escaped. */
async function expectHealthy(lb: RunningLb, path: string, body: string): Promise<void> {
  const reply = await send(lb.port(), { path, headers: { Connection: 'close' } });
  expect(reply.status).toBe(200);
  expect(reply.body).toBe(body);
  let open = -1;
  expect(
    await eventually(async () => (open = await lb.lb.clientConnections()) === 0, 500),
    `client connections still open: ${open}`,
  ).toBe(true);
  expect(await eventually(() => lb.lb.inFlight === 0, 500), `exchanges in flight: ${lb.lb.inFlight}`).toBe(true);
  expect(escaped, `seed ${SEED}: exceptions escaped`).toEqual([]);
}

describe(`fuzz (seed ${SEED}; TANDEM_FUZZ_SEED replays)`, () => {
  it(`client side: ${CLIENT_CASES} mutated requests; the load balancer answers validly and keeps serving (seed ${SEED})`, async () => {
    const handler: RawHandler = (request, socket) => {
      socket.write(okResponse(request.url === '/normal' ? 'normal' : `ok ${request.body.length}`));
    };
    const backend = await startRawBackend(handler);
    cleanups.push(() => backend.close());
    const lb = await lbFor(backend);

    const failed = await runCases(CLIENT_CASES, async (index) => {
      const random = caseRandom(1, index);
      const request = fuzzRequest(random, index);
      const raw = await RawClient.connect(lb.port());
      try {
        await writeSplit(random, raw, request.bytes);
        await raw.waitClosed(CASE_WAIT_MS);
      } finally {
        raw.destroy();
      }
      return {
        index,
        seed: random.seed,
        sent: JSON.stringify(request.bytes.toString('latin1')),
        problems: answerProblems(Buffer.concat(raw.received), request.method),
      };
    });
    expect(failed.length, describeFailures(failed)).toBe(0);
    // Whatever the load balancer forwarded, a strict backend could frame it (the faults recorded are
    // only of request lines the raw backend's narrow method pattern does not take).
    const framingFaults = backend.faults.filter((fault) => !fault.includes('bad request line'));
    expect(framingFaults, `seed ${SEED}: the backend got requests it could not frame`).toEqual([]);
    await expectHealthy(lb, '/normal', 'normal');
  });

  it(`upstream side: ${UPSTREAM_CASES} mutated responses; clients get valid answers or a cut, and the load balancer keeps serving (seed ${SEED})`, async () => {
    const behaviours = new Map<string, { bytes: Buffer; after: 'end' | 'keep' | 'destroy'; pieces: number }>();
    const handler: RawHandler = (request, socket) => {
      if (request.url === '/normal') {
        socket.write(okResponse('normal'));
        return;
      }
      const planned = behaviours.get(request.url);
      if (planned === undefined) {
        socket.destroy();
        return;
      }
      const { bytes, after, pieces } = planned;
      void (async () => {
        const size = Math.ceil(bytes.length / pieces) || 1;
        for (let at = 0; at < bytes.length && !socket.destroyed; at += size) {
          await new Promise<void>((resolve) => socket.write(bytes.subarray(at, at + size), () => resolve()));
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        if (after === 'end') socket.end();
        else if (after === 'destroy') socket.destroy();
      })();
    };
    const backend = await startRawBackend(handler);
    cleanups.push(() => backend.close());
    const lb = await lbFor(backend);

    const failed = await runCases(UPSTREAM_CASES, async (index) => {
      const random = caseRandom(2, index);
      const method = random.chance(0.2) ? 'HEAD' : 'GET';
      const url = `/up/${index}`;
      const bytes = fuzzResponse(random, method);
      behaviours.set(url, {
        bytes,
        after: random.pick(['end', 'end', 'keep', 'destroy'] as const),
        pieces: random.int(1, 4),
      });
      const raw = await RawClient.connect(lb.port());
      try {
        await raw.write(`${method} ${url} HTTP/1.1\r\nHost: x\r\n\r\n`);
        // Bounded: until the response has come (or the connection closed), at most CASE_WAIT_MS more.
        const deadline = Date.now() + CASE_WAIT_MS * 2;
        while (!raw.closed && Date.now() < deadline) {
          let done = false;
          try {
            done = parseResponse(raw.pending, method, false) !== undefined;
          } catch {
            done = true; // answerProblems reports it
          }
          if (done) break;
          await raw.waitFor(raw.pending.length + 1, Math.max(1, deadline - Date.now()));
        }
      } finally {
        raw.destroy();
      }
      return {
        index,
        seed: random.seed,
        sent: JSON.stringify(bytes.toString('latin1')),
        problems: answerProblems(Buffer.concat(raw.received), method),
      };
    });
    expect(failed.length, describeFailures(failed)).toBe(0);
    await expectHealthy(lb, '/normal', 'normal');
  });
});
