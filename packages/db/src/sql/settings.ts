// Session settings (SET, SHOW, RESET) with PostgreSQL's names and the values its clients
// check: the ones reported in ParameterStatus, the ones that change behaviour here
// (TimeZone, statement_timeout, lock_timeout, application_name), and the ones accepted
// for compatibility because clients and poolers set them.
import { DbError } from '../errors.js';
import { isKnownTimeZone, zoneNameForHours } from './types/index.js';

interface SettingSpec {
  readonly default: (context: { serverVersion: string; user: string }) => string;
  /** Sent in ParameterStatus at startup and whenever it changes. */
  readonly reported?: boolean;
  /** Only SHOW: SET is refused. */
  readonly readOnly?: boolean;
  /** Validates and normalizes a new value, or throws. */
  readonly check?: (value: string) => string;
  readonly description: string;
}

const onOff = (name: string) => (value: string) => {
  const lower = value.toLowerCase();
  if (['on', 'true', 'yes', '1'].includes(lower)) return 'on';
  if (['off', 'false', 'no', '0'].includes(lower)) return 'off';
  throw new DbError('INVALID_PARAMETER', `parameter "${name}" requires a Boolean value`);
};

const TIME_UNITS: readonly (readonly [string, number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** A duration setting in milliseconds, given with or without a unit. */
function parseMilliseconds(name: string, value: string): number {
  const match = /^\s*(\d+)\s*(ms|s|min|h|d)?\s*$/i.exec(value);
  if (match === null) throw new DbError('INVALID_PARAMETER', `invalid value for parameter "${name}": "${value}"`);
  const unit = (match[2] ?? 'ms').toLowerCase();
  const factor = TIME_UNITS.find(([candidate]) => candidate === unit)?.[1] ?? 1;
  return Number(match[1]) * factor;
}

/** Stored as PostgreSQL shows it: in the largest unit that holds the value exactly (1000 → 1s). */
const milliseconds = (name: string) => (value: string) => {
  const ms = parseMilliseconds(name, value);
  if (ms === 0) return '0';
  const [unit, factor] = TIME_UNITS.find(([, size]) => ms % size === 0) ?? ['ms', 1];
  return `${ms / factor}${unit}`;
};

/**
 * TimeZone as PostgreSQL takes it: a number is hours east of UTC (named '<+09>-09'); any
 * other text is a zone name, IANA or POSIX style (where '+09:00' and 'UTC+9' are WEST).
 */
function checkTimeZone(value: string): string {
  if (value.toLowerCase() === 'utc' || value.toLowerCase() === 'gmt') return 'UTC';
  if (/^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$/.test(value)) {
    const name = zoneNameForHours(Number(value));
    if (name === undefined) {
      throw new DbError('INVALID_PARAMETER', `invalid value for parameter "TimeZone": "${value}"`, {
        detail: 'UTC timezone offset is out of range.',
      });
    }
    return name;
  }
  if (!isKnownTimeZone(value))
    throw new DbError('INVALID_PARAMETER', `invalid value for parameter "TimeZone": "${value}"`);
  // POSIX abbreviations are kept in capitals ('est5' shows as EST5).
  return /^[A-Za-z]{3,}[+-]?\d/.test(value)
    ? value.replace(/^[A-Za-z]+/, (abbreviation) => abbreviation.toUpperCase())
    : value;
}

const ISOLATION_LEVELS = ['serializable', 'repeatable read', 'read committed', 'read uncommitted'];

function checkIsolation(value: string): string {
  const level = value.toLowerCase().trim().replace(/\s+/g, ' ');
  if (!ISOLATION_LEVELS.includes(level)) {
    throw new DbError('INVALID_PARAMETER', `invalid value for parameter "default_transaction_isolation": "${value}"`, {
      hint: `Available values: ${ISOLATION_LEVELS.join(', ')}.`,
    });
  }
  return level;
}

const SETTINGS: Readonly<Record<string, SettingSpec>> = {
  server_version: {
    default: ({ serverVersion }) => serverVersion,
    reported: true,
    readOnly: true,
    description: 'Shows the server version.',
  },
  server_encoding: { default: () => 'UTF8', reported: true, readOnly: true, description: 'Shows the server encoding.' },
  client_encoding: {
    default: () => 'UTF8',
    reported: true,
    check: (value) => {
      if (!['utf8', 'utf-8', 'unicode'].includes(value.toLowerCase())) {
        throw new DbError('FEATURE_NOT_SUPPORTED', `client encoding "${value}" is not supported; only UTF8`);
      }
      return 'UTF8';
    },
    description: "Sets the client's character set encoding.",
  },
  datestyle: {
    default: () => 'ISO, MDY',
    reported: true,
    check: (value) => {
      if (!/^\s*iso\s*(,\s*(mdy|ymd|dmy)\s*)?$/i.test(value) && !/^\s*(mdy|ymd|dmy)\s*(,\s*iso\s*)?$/i.test(value)) {
        throw new DbError('FEATURE_NOT_SUPPORTED', `DateStyle "${value}" is not supported; only ISO`);
      }
      return 'ISO, MDY';
    },
    description: 'Sets the display format for date and time values.',
  },
  intervalstyle: {
    default: () => 'postgres',
    reported: true,
    check: (value) => {
      if (value.toLowerCase() !== 'postgres')
        throw new DbError('FEATURE_NOT_SUPPORTED', `IntervalStyle "${value}" is not supported`);
      return 'postgres';
    },
    description: 'Sets the display format for interval values.',
  },
  timezone: { default: () => 'UTC', reported: true, check: checkTimeZone, description: 'Sets the time zone.' },
  integer_datetimes: {
    default: () => 'on',
    reported: true,
    readOnly: true,
    description: 'Datetimes are integer based.',
  },
  standard_conforming_strings: {
    default: () => 'on',
    reported: true,
    check: (value) => {
      if (onOff('standard_conforming_strings')(value) !== 'on') {
        throw new DbError('FEATURE_NOT_SUPPORTED', 'standard_conforming_strings cannot be turned off');
      }
      return 'on';
    },
    description: "Causes '...' strings to treat backslashes literally.",
  },
  application_name: {
    default: () => '',
    reported: true,
    check: (value) => value.slice(0, 63),
    description: 'Sets the application name.',
  },
  is_superuser: {
    default: ({ user }) => (user === 'sys' ? 'on' : 'off'),
    reported: true,
    readOnly: true,
    description: 'Shows whether the user is a superuser.',
  },
  session_authorization: {
    default: ({ user }) => user,
    reported: true,
    readOnly: true,
    description: 'Sets the session user name.',
  },
  search_path: { default: () => '"$user", public', description: 'Sets the schema search order (one schema here).' },
  statement_timeout: {
    default: () => '0',
    check: milliseconds('statement_timeout'),
    description: 'Maximum time a statement may run (ms, 0 = none).',
  },
  lock_timeout: {
    default: () => '0',
    check: milliseconds('lock_timeout'),
    description: 'Maximum time to wait for a lock (ms, 0 = the server default).',
  },
  idle_in_transaction_session_timeout: {
    default: () => '0',
    check: milliseconds('idle_in_transaction_session_timeout'),
    description: 'Accepted.',
  },
  transaction_isolation: {
    default: () => 'read committed',
    readOnly: true,
    description: "The current transaction's isolation level.",
  },
  default_transaction_isolation: {
    default: () => 'read committed',
    check: checkIsolation,
    description:
      'Isolation level of new transactions: read committed (a snapshot per statement) or repeatable read / serializable (one snapshot per transaction).',
  },
  snapshot_tsn: {
    default: () => '',
    readOnly: true,
    description:
      'The TSN the data a query reads is consistent as of: in REPEATABLE READ, the transaction snapshot; otherwise the current one.',
  },
  transaction_read_only: {
    default: () => 'off',
    readOnly: true,
    description: 'Whether the current transaction is read-only.',
  },
  default_transaction_read_only: {
    default: () => 'off',
    check: onOff('default_transaction_read_only'),
    description: 'Whether new transactions are read-only.',
  },
  client_min_messages: { default: () => 'notice', description: 'Sets the message levels that are sent to the client.' },
  extra_float_digits: { default: () => '1', description: 'Accepted; floats are printed in their shortest exact form.' },
  synchronous_commit: {
    default: () => 'on',
    check: onOff('synchronous_commit'),
    description: 'Accepted; commits are always durable.',
  },
  bytea_output: { default: () => 'hex', description: 'Accepted; bytea is printed in hex.' },
  work_mem: { default: () => '4MB', description: 'Accepted.' },
  maintenance_work_mem: { default: () => '64MB', description: 'Accepted.' },
  max_parallel_workers_per_gather: { default: () => '0', description: 'Accepted.' },
  jit: { default: () => 'off', description: 'Accepted.' },
  row_security: { default: () => 'on', description: 'Accepted.' },
  xmloption: { default: () => 'content', description: 'Accepted.' },
  default_tablespace: { default: () => '', description: 'The tablespace new tables go to (empty: USR).' },
};

/** The canonical spelling PostgreSQL reports for a setting. */
const DISPLAY: Readonly<Record<string, string>> = {
  datestyle: 'DateStyle',
  timezone: 'TimeZone',
  intervalstyle: 'IntervalStyle',
};

export class SessionSettings {
  readonly #values = new Map<string, string>();
  readonly #context: { serverVersion: string; user: string };
  #reported: Map<string, string> | undefined;

  constructor(serverVersion: string, user: string, startup: ReadonlyMap<string, string>) {
    this.#context = { serverVersion, user };
    for (const [name, value] of startup) {
      const key = name.toLowerCase();
      if (key === 'user' || key === 'database' || key === 'options' || key === 'replication') continue;
      if (SETTINGS[key] !== undefined && SETTINGS[key].readOnly !== true) this.set(key, value);
    }
  }

  /** The name PostgreSQL reports a setting under (SHOW's column: TimeZone, DateStyle...). */
  static displayName(name: string): string {
    const key = normalize(name);
    return DISPLAY[key] ?? key;
  }

  /** The open transaction block's modes (transaction_isolation and transaction_read_only show them). */
  transaction: { readonly isolation: string; readonly readOnly: boolean; snapshotTsn?: number } | undefined;
  /** The TSN a snapshot taken now would be consistent as of (snapshot_tsn outside a held snapshot). */
  liveSnapshotTsn: (() => number | undefined) | undefined;

  get(name: string): string {
    const key = normalize(name);
    const spec = SETTINGS[key];
    if (spec === undefined) throw unrecognized(name);
    if (key === 'transaction_isolation')
      return this.transaction?.isolation ?? this.get('default_transaction_isolation');
    if (key === 'snapshot_tsn') return String(this.transaction?.snapshotTsn ?? this.liveSnapshotTsn?.() ?? '');
    if (key === 'transaction_read_only') {
      return this.transaction === undefined
        ? this.get('default_transaction_read_only')
        : this.transaction.readOnly
          ? 'on'
          : 'off';
    }
    return this.#values.get(key) ?? spec.default(this.#context);
  }

  set(name: string, value: string): void {
    const key = normalize(name);
    const spec = SETTINGS[key];
    if (spec === undefined) throw unrecognized(name);
    if (spec.readOnly === true) throw new DbError('INVALID_PARAMETER', `parameter "${name}" cannot be changed`);
    this.#values.set(key, spec.check === undefined ? value : spec.check(value));
    if (spec.reported === true) this.#reported = undefined;
  }

  reset(name: string): void {
    if (name === 'all') {
      this.#values.clear();
      this.#reported = undefined;
      return;
    }
    const key = normalize(name);
    if (SETTINGS[key] === undefined) throw unrecognized(name);
    this.#values.delete(key);
    this.#reported = undefined;
  }

  /** Every setting, for SHOW ALL. */
  all(): { name: string; setting: string; description: string }[] {
    return Object.keys(SETTINGS)
      .sort()
      .map((key) => ({ name: DISPLAY[key] ?? key, setting: this.get(key), description: SETTINGS[key].description }));
  }

  /** The ParameterStatus values (cached until a reported setting changes). */
  reported(): ReadonlyMap<string, string> {
    if (this.#reported === undefined) {
      this.#reported = new Map(
        Object.entries(SETTINGS)
          .filter(([, spec]) => spec.reported === true)
          .map(([key]) => [DISPLAY[key] ?? key, this.get(key)]),
      );
    }
    return this.#reported;
  }

  get timeZone(): string {
    return this.get('timezone');
  }

  /** lock_timeout in ms, or undefined for the server's default. */
  get lockTimeoutMs(): number | undefined {
    const value = parseMilliseconds('lock_timeout', this.get('lock_timeout'));
    return value === 0 ? undefined : value;
  }

  get statementTimeoutMs(): number {
    return parseMilliseconds('statement_timeout', this.get('statement_timeout'));
  }
}

function normalize(name: string): string {
  const key = name.toLowerCase();
  return key === 'time zone' || key === 'time_zone' ? 'timezone' : key === 'names' ? 'client_encoding' : key;
}

function unrecognized(name: string): DbError {
  return new DbError('UNDEFINED_OBJECT', `unrecognized configuration parameter "${name}"`);
}
