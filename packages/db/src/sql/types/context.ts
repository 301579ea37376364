// The evaluation context every value function receives: the session's time zone, the
// transaction's and statement's start times, and its random source. Functions never read
// the system clock or Math.random themselves, so a simulation replays a query exactly.

export interface EvalContext {
  /** The session TimeZone: an IANA zone name ('Asia/Seoul'), 'UTC', or a fixed offset ('+09:00'). */
  readonly timeZone: string;
  /** now() and current_timestamp: the transaction's start, UTC microseconds since 1970. */
  readonly transactionTimestamp: bigint;
  /** statement_timestamp(): the statement's start, UTC microseconds since 1970. */
  readonly statementTimestamp: bigint;
  /** random(): a uniform float in [0, 1). */
  random(): number;
  /** clock_timestamp(): the wall clock now, UTC microseconds; defaults to the statement's start. */
  clockTimestamp?(): bigint;
}

/** A context for tests and tools: UTC, the given instant for every timestamp, Math.random unless given. */
export function fixedEvalContext(
  options: { timeZone?: string; timestamp?: bigint; random?: () => number } = {},
): EvalContext {
  const timestamp = options.timestamp ?? 0n;
  return {
    timeZone: options.timeZone ?? 'UTC',
    transactionTimestamp: timestamp,
    statementTimestamp: timestamp,
    random: options.random ?? Math.random,
  };
}
