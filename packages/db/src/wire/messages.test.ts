// The decoder on its own: strict validation, incremental framing, and seeded fuzzing (it
// must only ever return messages or throw DbError, whatever the bytes).

import { SeededRandom, seedFromEnvironment, type Random } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import { DbError, isDbError } from '../errors.js';
import { BackendWriter } from './encode.js';
import { FrameDecoder } from './frame-decoder.js';
import { decodeFrontendMessage, decodeStartupPacket, type FrontendMessage } from './messages.js';
import { cstring, frontend, int16, int32, message } from './raw-client.test-support.js';

/** Decodes regular messages from `chunks` pushed one by one. */
function decodeAll(chunks: readonly Buffer[], messageBytesMax?: number): FrontendMessage[] {
  const decoder = new FrameDecoder({ messageBytesMax });
  const messages: FrontendMessage[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let frame = decoder.nextFrame(); frame !== undefined; frame = decoder.nextFrame()) {
      messages.push(decodeFrontendMessage(frame, 'sasl-continue'));
    }
  }
  return messages;
}

function decodeOne(bytes: Buffer): FrontendMessage {
  const messages = decodeAll([bytes]);
  expect(messages).toHaveLength(1);
  return messages[0];
}

function thrown(work: () => unknown): DbError {
  try {
    work();
  } catch (error) {
    if (isDbError(error)) return error;
    throw error;
  }
  throw new Error('expected a DbError');
}

const session = Buffer.concat([
  frontend.query('select 1; select 2'),
  frontend.parse('s1', 'select $1, $2', [23, 0]),
  frontend.bind('p1', 's1', [Buffer.from('42'), null], [1], [0, 1]),
  frontend.describe('P', 'p1'),
  frontend.execute('p1', 10),
  frontend.close('S', 's1'),
  frontend.flush(),
  frontend.sync(),
  frontend.copyData(Buffer.from('a\tb\n')),
  frontend.copyDone(),
  frontend.copyFail('oops'),
  frontend.terminate(),
]);

describe('frontend message decoding', () => {
  it('decodes every message type, however the stream is split', () => {
    const whole = decodeAll([session]);
    expect(whole.map((m) => m.type)).toEqual([
      'Query',
      'Parse',
      'Bind',
      'Describe',
      'Execute',
      'Close',
      'Flush',
      'Sync',
      'CopyData',
      'CopyDone',
      'CopyFail',
      'Terminate',
    ]);
    expect(whole[1]).toEqual({ type: 'Parse', statement: 's1', sql: 'select $1, $2', parameterTypes: [23, 0] });
    expect(whole[2]).toEqual({
      type: 'Bind',
      portal: 'p1',
      statement: 's1',
      parameterFormats: [1],
      parameters: [Buffer.from('42'), null],
      resultFormats: [0, 1],
    });
    expect(whole[4]).toEqual({ type: 'Execute', portal: 'p1', maxRows: 10 });
    const byteByByte = decodeAll([...session].map((byte) => Buffer.from([byte])));
    expect(byteByByte).toEqual(whole);
  });

  it('keeps the bytes of earlier frames intact as more input arrives', () => {
    const decoder = new FrameDecoder();
    const first = frontend.copyData(Buffer.from('first'));
    const second = frontend.copyData(Buffer.from('second'));
    // The first frame and part of the second in one chunk, the rest later.
    decoder.push(Buffer.concat([first, second.subarray(0, 3)]));
    const frame = decoder.nextFrame();
    expect(decoder.nextFrame()).toBeUndefined();
    decoder.push(second.subarray(3));
    decoder.push(Buffer.alloc(0));
    expect(decoder.nextFrame()?.body.toString()).toBe('second');
    expect(frame?.body.toString()).toBe('first');
  });

  it('reads a Bind parameter as a copy, not a view into the input', () => {
    const input = frontend.bind('', '', [Buffer.from('abc')]);
    const bind = decodeOne(input);
    input.fill(0);
    expect(bind.type === 'Bind' && Buffer.from(bind.parameters[0] ?? []).toString()).toBe('abc');
  });

  it.each([
    ['an unknown message type', message('?', Buffer.alloc(0)), 'PROTOCOL_VIOLATION'],
    ['a length below 4', Buffer.concat([Buffer.from('Q'), int32(3)]), 'PROTOCOL_VIOLATION'],
    ['a negative length', Buffer.concat([Buffer.from('Q'), int32(-5)]), 'PROTOCOL_VIOLATION'],
    ['a Sync with a body', message('S', Buffer.from([0])), 'PROTOCOL_VIOLATION'],
    ['a Describe over the small-message limit', Buffer.concat([Buffer.from('D'), int32(20_000)]), 'MESSAGE_TOO_LARGE'],
  ] as const)('refuses %s from the header alone', (_what, bytes, codeName) => {
    const decoder = new FrameDecoder();
    decoder.push(bytes.subarray(0, 5));
    expect(thrown(() => decoder.nextFrame()).codeName).toBe(codeName);
  });

  it('refuses a message over the configured limit before its body arrives', () => {
    const decoder = new FrameDecoder({ messageBytesMax: 100 });
    decoder.push(Buffer.concat([Buffer.from('Q'), int32(101)]));
    const error = thrown(() => decoder.nextFrame());
    expect(error.codeName).toBe('MESSAGE_TOO_LARGE');
    expect(error.sqlState).toBe('08P01');
  });

  it.each([
    ['a string without its terminator', message('Q', Buffer.from('select 1'))],
    ['trailing bytes', message('Q', cstring('select 1'), Buffer.from([1]))],
    ['a format code of 2', frontend.bind('', '', [], [2])],
    ['a parameter length of -2', message('B', cstring(''), cstring(''), int16(0), int16(1), int32(-2), int16(0))],
    ['a parameter longer than the message', message('B', cstring(''), cstring(''), int16(0), int16(1), int32(50))],
    ['more parameter formats than parameters', frontend.bind('', '', [Buffer.from('x')], [0, 0])],
    ['a parameter count beyond the message', message('B', cstring(''), cstring(''), int16(0), int16(-1))],
    ['a Parse whose type count does not fit', message('P', cstring(''), cstring('x'), int16(2), int32(23))],
    ['a Describe of neither S nor P', message('D', Buffer.from('X'), cstring('n'))],
    ['an Execute without its row count', message('E', cstring('p'))],
    ['a CopyFail without a terminator', message('f', Buffer.from('no end'))],
  ])('refuses %s as PROTOCOL_VIOLATION', (_what, bytes) => {
    expect(thrown(() => decodeAll([bytes])).codeName).toBe('PROTOCOL_VIOLATION');
  });

  it('refuses invalid UTF-8 with 22021', () => {
    const error = thrown(() => decodeAll([message('Q', Buffer.from([0xc3, 0x28, 0]))]));
    expect(error.sqlState).toBe('22021');
  });

  it('reads a negative Execute row count as all rows', () => {
    expect(decodeOne(frontend.execute('', -7))).toEqual({ type: 'Execute', portal: '', maxRows: 0 });
  });

  it('interprets a p message by the phase of authentication', () => {
    const initial = message('p', cstring('SCRAM-SHA-256'), int32(3), Buffer.from('abc'));
    const decoder = new FrameDecoder();
    decoder.push(initial);
    const frame = decoder.nextFrame();
    if (frame === undefined) throw new Error('no frame');
    expect(decodeFrontendMessage(frame, 'sasl-initial')).toEqual({
      type: 'SASLInitialResponse',
      mechanism: 'SCRAM-SHA-256',
      data: Buffer.from('abc'),
    });
    expect(decodeFrontendMessage(frame, 'sasl-continue').type).toBe('SASLResponse');
    expect(thrown(() => decodeFrontendMessage(frame, 'password')).codeName).toBe('PROTOCOL_VIOLATION');
    expect(thrown(() => decodeFrontendMessage(frame)).codeName).toBe('PROTOCOL_VIOLATION');
  });
});

describe('startup packet decoding', () => {
  function startupOf(bytes: Buffer): ReturnType<typeof decodeStartupPacket> {
    const decoder = new FrameDecoder();
    decoder.push(bytes);
    const frame = decoder.nextStartup();
    if (frame === undefined) throw new Error('incomplete');
    return decodeStartupPacket(frame);
  }

  it('decodes the startup message and the three requests', () => {
    const startup = startupOf(frontend.startup({ user: 'u', database: 'd' }));
    expect(startup).toEqual({
      type: 'StartupMessage',
      majorVersion: 3,
      minorVersion: 0,
      parameters: new Map([
        ['user', 'u'],
        ['database', 'd'],
      ]),
    });
    expect(startupOf(frontend.sslRequest()).type).toBe('SSLRequest');
    expect(startupOf(frontend.gssEncRequest()).type).toBe('GSSENCRequest');
    expect(startupOf(frontend.cancelRequest(7, -9))).toEqual({ type: 'CancelRequest', processId: 7, secretKey: -9 });
  });

  it('refuses bad lengths, protocol 2, and an unterminated parameter list', () => {
    for (const length of [7, 10_001, -1]) {
      const decoder = new FrameDecoder();
      decoder.push(int32(length));
      expect(thrown(() => decoder.nextStartup()).codeName).toBe('PROTOCOL_VIOLATION');
    }
    expect(thrown(() => startupOf(frontend.startup({ user: 'u' }, 2 << 16))).codeName).toBe('FEATURE_NOT_SUPPORTED');
    const unterminated = Buffer.concat([int32(3 << 16), cstring('user')]);
    expect(thrown(() => startupOf(Buffer.concat([int32(unterminated.length + 4), unterminated]))).codeName).toBe(
      'PROTOCOL_VIOLATION',
    );
    const cancelTooLong = Buffer.concat([int32(20), int32(80877102), int32(1), int32(2), int32(3)]);
    expect(thrown(() => startupOf(cancelTooLong)).codeName).toBe('PROTOCOL_VIOLATION');
  });
});

describe('backend message encoding', () => {
  it('encodes DataRow with NULLs, and grows past its initial buffer', () => {
    const writer = new BackendWriter();
    const big = Buffer.alloc(100_000, 7);
    writer.dataRow([Buffer.from('ab'), null, big]);
    const bytes = writer.take();
    const head = [
      Buffer.from('D'),
      int32(4 + 2 + 6 + 4 + 4 + 100_000),
      int16(3),
      int32(2),
      Buffer.from('ab'),
      int32(-1),
    ];
    expect(bytes.subarray(0, 17).toString('hex')).toBe(Buffer.concat(head).toString('hex'));
    expect(bytes.readInt32BE(17)).toBe(100_000);
    expect(bytes.length).toBe(1 + 4 + 2 + 6 + 4 + 4 + 100_000);
    expect(writer.length).toBe(0);
  });

  it('keeps a NUL inside a string from breaking the framing', () => {
    const writer = new BackendWriter();
    writer.commandComplete('A\0B');
    expect(writer.take()).toEqual(Buffer.concat([Buffer.from('C'), int32(4 + 6), Buffer.from('A\uFFFDB\0')]));
  });

  it('encodes an ErrorResponse with severity, SQLSTATE and the TDB message', () => {
    const writer = new BackendWriter();
    const error = new DbError('PROTOCOL_VIOLATION', 'bad');
    writer.errorResponse({ severity: 'FATAL', sqlState: error.sqlState, message: error.message, hint: 'h' });
    const body = writer.take().subarray(5);
    expect(body.toString('utf8')).toBe('SFATAL\0VFATAL\0C08P01\0MTDB-7001: bad\0Hh\0\0');
  });
});

/** Seeded fuzzing of the decoder: any input yields messages or a DbError, nothing else. */
describe('decoder fuzzing', () => {
  function feed(random: Random, bytes: Buffer, startup: boolean): void {
    const decoder = new FrameDecoder({ messageBytesMax: random.pick([64, 4096, 1 << 20]) });
    let offset = 0;
    while (offset < bytes.length) {
      const length = random.int(1, Math.min(64, bytes.length - offset) + 1);
      decoder.push(bytes.subarray(offset, offset + length));
      offset += length;
      for (;;) {
        if (startup) {
          const frame = decoder.nextStartup();
          if (frame === undefined) break;
          decodeStartupPacket(frame);
        } else {
          const frame = decoder.nextFrame();
          if (frame === undefined) break;
          decodeFrontendMessage(frame, random.pick(['password', 'sasl-initial', 'sasl-continue', undefined] as const));
        }
      }
    }
  }

  function mutate(random: Random, source: Buffer): Buffer {
    const bytes = Buffer.from(source);
    const edits = random.int(1, 6);
    for (let i = 0; i < edits; i++) {
      const at = random.int(0, bytes.length);
      switch (random.int(0, 4)) {
        case 0:
          bytes[at] = random.int(0, 256);
          break;
        case 1:
          bytes[at] ^= 1 << random.int(0, 8);
          break;
        case 2:
          // A length word's worth of extreme values.
          bytes.writeInt32BE(random.pick([0, -1, 0x7fffffff, 4, 5, 0x80000000 | 0]), Math.min(at, bytes.length - 4));
          break;
        default:
          bytes[at] = random.pick([0, 0xff, 0x80]);
      }
    }
    return random.chance(0.2) ? bytes.subarray(0, random.int(0, bytes.length)) : bytes;
  }

  it('returns messages or throws DbError for random and mutated input', () => {
    const seed = seedFromEnvironment();
    const random = new SeededRandom(seed);
    const startupStream = Buffer.concat([frontend.sslRequest(), frontend.startup({ user: 'u', database: 'd' })]);
    let errors = 0;
    try {
      for (let round = 0; round < 3000; round++) {
        const kind = random.int(0, 3);
        const startup = kind === 2 || (kind === 0 && random.chance(0.5));
        const bytes =
          kind === 0
            ? random.fillBytes(Buffer.alloc(random.int(0, 300)))
            : mutate(random, kind === 1 ? session : startupStream);
        try {
          feed(random.fork(), Buffer.from(bytes), startup);
        } catch (error) {
          if (!(error instanceof DbError)) throw error;
          errors++;
        }
      }
    } catch (error) {
      throw new Error(`decoder fuzzing failed with TANDEM_SEED=${seed}: ${String(error)}`, { cause: error });
    }
    // The fuzzer must actually reach the error paths, or it tests nothing.
    expect(errors).toBeGreaterThan(100);
  });
});
