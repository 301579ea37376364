// The load balancer's two outputs: the event log (one event per line, with a level word the
// log monitor matches: [notice], [warning], [error]) and the access log (one line per
// request or TCP connection). Both go to sinks the caller chooses; times come from the
// injected Clock.
import type { Clock } from '@tandem/testkit';

export type LogLevel = 'notice' | 'warning' | 'error';

/** Receives whole lines, without the trailing newline. */
export type LineSink = (line: string) => void;

export class EventLog {
  readonly #clock: Clock;
  readonly #sink: LineSink;

  constructor(clock: Clock, sink: LineSink) {
    this.#clock = clock;
    this.#sink = sink;
  }

  notice(message: string): void {
    this.write('notice', message);
  }

  warning(message: string): void {
    this.write('warning', message);
  }

  error(message: string): void {
    this.write('error', message);
  }

  write(level: LogLevel, message: string): void {
    // One event per line: a newline inside a message (an error's text) must not start a
    // line the log monitor would read as a new event.
    this.#sink(`${new Date(this.#clock.nowMs()).toISOString()} [${level}] ${message.replace(/[\r\n]+/g, ' ')}`);
  }
}

/** One finished HTTP request or TCP connection, as the access log records it. */
export interface AccessRecord {
  readonly listener: string;
  readonly client: string;
  /** `GET /path HTTP/1.1` for HTTP, `TCP` for a TCP connection. */
  readonly request: string;
  /** HTTP status sent to the client, 0 if none was sent (the client left first); for TCP, 0. */
  readonly status: number;
  readonly bytesSent: number;
  readonly pool: string;
  /** The server that answered, `-` if none. */
  readonly server: string;
  readonly attempts: number;
  /** Time to the backend's first byte (its response head), -1 if none. */
  readonly upstreamMs: number;
  readonly totalMs: number;
  /** Why the exchange ended early (`client-aborted`, `TLB-3001`, ...), `-` when it completed. */
  readonly outcome: string;
}

export class AccessLog {
  readonly #clock: Clock;
  readonly #sink: LineSink | undefined;

  /** A log without a sink records nothing (limits.accessLog: false). */
  constructor(clock: Clock, sink: LineSink | undefined) {
    this.#clock = clock;
    this.#sink = sink;
  }

  get enabled(): boolean {
    return this.#sink !== undefined;
  }

  record(entry: AccessRecord): void {
    if (this.#sink === undefined) return;
    this.#sink(
      `${new Date(this.#clock.nowMs()).toISOString()} ${entry.listener} ${entry.client} "${sanitize(entry.request)}" ` +
        `${entry.status} ${entry.bytesSent} pool=${entry.pool} server=${entry.server} attempts=${entry.attempts} ` +
        `upstream_ms=${entry.upstreamMs < 0 ? '-' : entry.upstreamMs.toFixed(1)} total_ms=${entry.totalMs.toFixed(1)} ` +
        `outcome=${entry.outcome}`,
    );
  }
}

/** A request line comes from the client: keep quotes and control characters out of the log line. */
function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.length > 2048 ? `${sanitize(text.slice(0, 2048))}...` : text.replace(/["\\\x00-\x1f\x7f]/g, '?');
}
