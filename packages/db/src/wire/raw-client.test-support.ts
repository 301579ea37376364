// A client that speaks the protocol byte by byte, for what pg and psql will not do: pipelining
// on demand, portal suspension, COPY, malformed and oversized messages, CancelRequest.

import { connect, type Socket } from 'node:net';

/** Encoders of frontend messages. */
export const frontend = {
  startup(parameters: Readonly<Record<string, string>>, version = 3 << 16): Buffer {
    const pairs = Object.entries(parameters).flatMap(([name, value]) => [cstring(name), cstring(value)]);
    const body = Buffer.concat([int32(version), ...pairs, Buffer.from([0])]);
    return Buffer.concat([int32(body.length + 4), body]);
  },
  sslRequest(): Buffer {
    return Buffer.concat([int32(8), int32(80877103)]);
  },
  gssEncRequest(): Buffer {
    return Buffer.concat([int32(8), int32(80877104)]);
  },
  cancelRequest(processId: number, secretKey: number): Buffer {
    return Buffer.concat([int32(16), int32(80877102), int32(processId), int32(secretKey)]);
  },
  query(sql: string): Buffer {
    return message('Q', cstring(sql));
  },
  parse(name: string, sql: string, parameterTypes: readonly number[] = []): Buffer {
    return message('P', cstring(name), cstring(sql), int16(parameterTypes.length), ...parameterTypes.map(int32));
  },
  bind(
    portal: string,
    statement: string,
    parameters: readonly (Uint8Array | null)[] = [],
    parameterFormats: readonly number[] = [],
    resultFormats: readonly number[] = [],
  ): Buffer {
    const values = parameters.flatMap((value) => (value === null ? [int32(-1)] : [int32(value.length), value]));
    return message(
      'B',
      cstring(portal),
      cstring(statement),
      int16(parameterFormats.length),
      ...parameterFormats.map(int16),
      int16(parameters.length),
      ...values,
      int16(resultFormats.length),
      ...resultFormats.map(int16),
    );
  },
  describe(target: 'S' | 'P', name: string): Buffer {
    return message('D', Buffer.from(target), cstring(name));
  },
  execute(portal: string, maxRows = 0): Buffer {
    return message('E', cstring(portal), int32(maxRows));
  },
  close(target: 'S' | 'P', name: string): Buffer {
    return message('C', Buffer.from(target), cstring(name));
  },
  sync(): Buffer {
    return message('S');
  },
  flush(): Buffer {
    return message('H');
  },
  terminate(): Buffer {
    return message('X');
  },
  copyData(data: Uint8Array): Buffer {
    return message('d', data);
  },
  copyDone(): Buffer {
    return message('c');
  },
  copyFail(reason: string): Buffer {
    return message('f', cstring(reason));
  },
};

export function message(type: string, ...parts: Uint8Array[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from(type, 'latin1'), int32(body.length + 4), body]);
}

export function cstring(text: string): Buffer {
  return Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0])]);
}

export function int16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeInt16BE(value);
  return bytes;
}

export function int32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return bytes;
}

/** One backend message: its type as a character, and its body. */
export interface BackendMessage {
  readonly type: string;
  readonly body: Buffer;
}

/** The fields of an ErrorResponse or NoticeResponse, by their code letter. */
export function responseFields(body: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const code = String.fromCharCode(body[offset]);
    const end = body.indexOf(0, offset + 1);
    fields.set(code, body.toString('utf8', offset + 1, end));
    offset = end + 1;
  }
  return fields;
}

/** The values of a DataRow, as text (null for NULL). */
export function dataRowValues(body: Buffer): (string | null)[] {
  const count = body.readInt16BE(0);
  const values: (string | null)[] = [];
  let offset = 2;
  for (let i = 0; i < count; i++) {
    const length = body.readInt32BE(offset);
    offset += 4;
    if (length < 0) {
      values.push(null);
    } else {
      values.push(body.toString('utf8', offset, offset + length));
      offset += length;
    }
  }
  return values;
}

/** The text of a CommandComplete or the status of a ReadyForQuery. */
export function cstringOf(body: Buffer): string {
  const end = body.indexOf(0);
  return body.toString('utf8', 0, end < 0 ? body.length : end);
}

/** A one-line summary per message, for compact assertions: `C:SELECT 2`, `D:1`, `Z:I`, `E:22012`. */
export function summarize(messages: readonly BackendMessage[]): string[] {
  return messages.map(({ type, body }) => {
    switch (type) {
      case 'C':
        return `C:${cstringOf(body)}`;
      case 'D':
        return `D:${dataRowValues(body).join(',')}`;
      case 'E':
      case 'N':
        return `${type}:${responseFields(body).get('C')}`;
      case 'Z':
        return `Z:${String.fromCharCode(body[0])}`;
      default:
        return type;
    }
  });
}

export class RawClient {
  readonly socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #waiter: (() => void) | undefined;
  #ended = false;
  readonly closed: Promise<void>;
  processId = 0;
  secretKey = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.#ended = true;
        this.#wake();
        resolve();
      });
    });
    // A reset from the server is an expected outcome of some tests, seen through `closed`.
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Connects with trust authentication and reads up to the first ReadyForQuery. */
  static async open(port: number, parameters: Readonly<Record<string, string>> = {}): Promise<RawClient> {
    const client = await RawClient.connect(port);
    client.send(frontend.startup({ user: 'tester', ...parameters }));
    const messages = await client.readUntilReady();
    const key = messages.find((m) => m.type === 'K');
    if (key === undefined) throw new Error(`no BackendKeyData: ${summarize(messages).join(' ')}`);
    client.processId = key.body.readInt32BE(0);
    client.secretKey = key.body.readInt32BE(4);
    return client;
  }

  send(...chunks: Uint8Array[]): void {
    for (const chunk of chunks) this.socket.write(chunk);
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }

  async #fill(bytes: number): Promise<boolean> {
    while (this.#buffer.length < bytes) {
      if (this.#ended) return false;
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
    return true;
  }

  /** One raw byte (the answer to SSLRequest), or undefined if the connection closed. */
  async readByte(): Promise<number | undefined> {
    if (!(await this.#fill(1))) return undefined;
    const byte = this.#buffer[0];
    this.#buffer = this.#buffer.subarray(1);
    return byte;
  }

  /** The next message, or undefined if the connection closed first. */
  async read(): Promise<BackendMessage | undefined> {
    if (!(await this.#fill(5))) return undefined;
    const length = this.#buffer.readInt32BE(1);
    if (!(await this.#fill(1 + length))) return undefined;
    const type = String.fromCharCode(this.#buffer[0]);
    const body = Buffer.from(this.#buffer.subarray(5, 1 + length));
    this.#buffer = this.#buffer.subarray(1 + length);
    return { type, body };
  }

  /** Messages up to and including the next ReadyForQuery (or all until the connection closed). */
  async readUntilReady(): Promise<BackendMessage[]> {
    const messages: BackendMessage[] = [];
    for (;;) {
      const next = await this.read();
      if (next === undefined) return messages;
      messages.push(next);
      if (next.type === 'Z') return messages;
    }
  }

  /** Sends `chunks`, then reads up to ReadyForQuery and summarizes. */
  async roundTrip(...chunks: Uint8Array[]): Promise<string[]> {
    this.send(...chunks);
    return summarize(await this.readUntilReady());
  }

  /** Everything until the server closes the connection. */
  async readAll(): Promise<BackendMessage[]> {
    const messages: BackendMessage[] = [];
    for (;;) {
      const next = await this.read();
      if (next === undefined) return messages;
      messages.push(next);
    }
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
