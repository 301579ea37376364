// `tandem db recover`: media recovery of the whole database, in MOUNT, with Tibero's SQL:
// ALTER DATABASE RECOVER AUTOMATIC DATABASE [UNTIL CANCEL | UNTIL TIME '...' | UNTIL CHANGE n],
// which applies the archived logs and then the online logs from the restored datafiles'
// checkpoint; then, with --open, ALTER DATABASE OPEN (RESETLOGS after incomplete recovery).
// It uses the server of the directory if it runs in MOUNT (or NOMOUNT: it mounts it), and
// otherwise starts one in the background in MOUNT, which keeps running afterwards. The
// server's notices (which log it applies, what it needs) are shown as they come.
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { decodeLogFileHeader, LOG_FILE_HEADER_BYTES } from '@tandem/db/files';
import { BackupError, errorMessage } from './backup-errors.js';
import {
  connectToDirectory,
  probeServer,
  quoteLiteral,
  startMountedServer,
  tdbCodeOf,
  type ServerLink,
} from './server-link.js';

export type RecoveryUntil =
  | { readonly kind: 'tsn'; readonly tsn: string }
  | { readonly kind: 'time'; readonly time: string }
  | { readonly kind: 'cancel' };

export interface RecoverOptions {
  readonly dir: string;
  /** Incomplete recovery; complete (to the end of the redo) when absent. */
  readonly until?: RecoveryUntil | undefined;
  readonly open: boolean;
  /** OPEN RESETLOGS even after complete recovery. */
  readonly resetlogs: boolean;
  readonly log: (line: string) => void;
}

export interface RecoverSummary {
  readonly directory: string;
  readonly kind: 'complete' | 'incomplete';
  readonly recoveredToTsn: string;
  readonly logsApplied: number;
  /** The server was started by this command (in the background). */
  readonly startedServer: { readonly pid: number; readonly logPath: string } | undefined;
  readonly opened: 'no' | 'open' | 'resetlogs';
  readonly seconds: number;
}

const COMMAND = 'tandem db recover';
const OUTCOME = /media recovery (complete|incomplete): recovered to TSN (\d+) \((\d+) logs applied\)/;

/** The RECOVER statement for a target (validated here, so a typo fails before the server is touched). */
export function recoverStatement(until: RecoveryUntil | undefined): string {
  const base = 'ALTER DATABASE RECOVER AUTOMATIC DATABASE';
  if (until === undefined) return base;
  switch (until.kind) {
    case 'cancel':
      return `${base} UNTIL CANCEL`;
    case 'tsn':
      if (!/^\d+$/.test(until.tsn))
        throw new BackupError('USAGE', `--until-tsn must be a TSN (a whole number), got ${until.tsn}`);
      return `${base} UNTIL CHANGE ${until.tsn}`;
    case 'time':
      if (!/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$/.test(until.time.trim())) {
        throw new BackupError(
          'USAGE',
          `--until-time must be 'YYYY-MM-DD HH24:MI:SS' (the server's local time), got '${until.time}'`,
        );
      }
      return `${base} UNTIL TIME ${quoteLiteral(until.time.trim())}`;
  }
}

export async function recoverDatabase(options: RecoverOptions): Promise<RecoverSummary> {
  const started = performance.now();
  const dir = resolve(options.dir);
  const statement = recoverStatement(options.until);
  const say = (line: string): void => options.log(`[notice] ${COMMAND}: ${line}`);
  let link: ServerLink;
  let startedServer: RecoverSummary['startedServer'];
  const status = await probeServer(dir, COMMAND);
  if (status.kind === 'running') {
    link = status.link;
    if (status.stage === 'OPEN') {
      await link.close();
      throw new BackupError(
        'DATABASE_RUNNING',
        `the database in ${dir} is OPEN (server pid ${status.pid}): recovery of the database needs MOUNT`,
        {
          hint: `shut it down (tandem db down ${dir}) and run tandem db recover again; it starts the server in MOUNT`,
        },
      );
    }
    if (status.stage === 'NOMOUNT') {
      await runStep(link, 'ALTER DATABASE MOUNT', say);
      say(`mounted the database (server pid ${status.pid})`);
    } else {
      say(`using the server in MOUNT (pid ${status.pid})`);
    }
  } else {
    startedServer = await startMountedServer(dir);
    say(`started the server in MOUNT in the background (pid ${startedServer.pid}, log ${startedServer.logPath})`);
    link = await connectToDirectory(dir, COMMAND);
  }
  try {
    say(statement);
    const notices = await runStep(link, statement, (message) => say(`server: ${message}`), 'RECOVERY_FAILED');
    const onNotice = (message: string): void => say(`server: ${message}`);
    let outcome = findOutcome(notices);
    let last = notices.at(-1);
    // The recovery waits for a log AUTOMATIC did not find: with a control file restored from
    // a backup, the online logs written since are unknown to it. Apply the online member
    // holding that sequence (RECOVER LOGFILE), as long as there is one.
    for (
      let needed = neededSequence(last);
      outcome === undefined && needed !== undefined;
      needed = neededSequence(last)
    ) {
      const member = await onlineMemberHolding(link, needed);
      if (member === undefined) break;
      say(`log sequence ${needed} is in the online log member '${member}': applying it`);
      const more = await runStep(
        link,
        `ALTER DATABASE RECOVER LOGFILE ${quoteLiteral(member)}`,
        onNotice,
        'RECOVERY_FAILED',
      );
      outcome = findOutcome(more);
      last = more.at(-1);
    }
    if (outcome === undefined && options.until?.kind === 'cancel') {
      // Every log there is has been applied: end the recovery there.
      outcome = findOutcome(await runStep(link, 'ALTER DATABASE RECOVER CANCEL', onNotice, 'RECOVERY_FAILED'));
    }
    if (outcome === undefined) {
      throw new BackupError(
        'RECOVERY_FAILED',
        `media recovery did not reach its target: ${last ?? 'the server said nothing'}`,
        {
          hint:
            'the recovery stays open on the server: restore the log it names and apply it with ' +
            `tandem sql --dir ${dir} -c "ALTER DATABASE RECOVER LOGFILE '<path>'", or end it where it is with ` +
            `ALTER DATABASE RECOVER CANCEL (then OPEN RESETLOGS); or shut the server down to start over`,
        },
      );
    }
    const kind = outcome[1] as 'complete' | 'incomplete';
    let opened: RecoverSummary['opened'] = 'no';
    if (options.open) {
      const resetlogs = options.resetlogs || kind === 'incomplete';
      await runStep(link, resetlogs ? 'ALTER DATABASE OPEN RESETLOGS' : 'ALTER DATABASE OPEN', (message) =>
        say(`server: ${message}`),
      );
      opened = resetlogs ? 'resetlogs' : 'open';
    }
    return {
      directory: dir,
      kind,
      recoveredToTsn: outcome[2],
      logsApplied: Number(outcome[3]),
      startedServer,
      opened,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await link.close();
  }
}

function findOutcome(notices: readonly string[]): RegExpExecArray | undefined {
  return notices.map((notice) => OUTCOME.exec(notice)).find((match) => match !== null) ?? undefined;
}

/** The sequence a notice says the recovery needs next. */
function neededSequence(notice: string | undefined): number | undefined {
  const match = /media recovery needs log sequence (\d+)/.exec(notice ?? '');
  return match === null ? undefined : Number(match[1]);
}

/** An online log member (v$logfile) whose header says it holds `sequence` of this database. */
async function onlineMemberHolding(link: ServerLink, sequence: number): Promise<string | undefined> {
  const dbId = Number((await link.query<{ dbid: string }>('select dbid from v$database'))[0]?.dbid);
  const members = (await link.query<{ member: string }>('select member from v$logfile')).map((row) => row.member);
  for (const member of members) {
    let handle;
    try {
      handle = await open(member, 'r');
    } catch {
      continue;
    }
    try {
      const bytes = new Uint8Array(LOG_FILE_HEADER_BYTES);
      await handle.read(bytes, 0, LOG_FILE_HEADER_BYTES, 0);
      const header = decodeLogFileHeader(bytes);
      if (header !== undefined && header.dbId === dbId && header.sequence === sequence) return member;
    } finally {
      await handle.close();
    }
  }
  return undefined;
}

async function runStep(
  link: ServerLink,
  sql: string,
  onNotice: (message: string) => void,
  failure: 'STATEMENT_FAILED' | 'RECOVERY_FAILED' = 'STATEMENT_FAILED',
): Promise<string[]> {
  try {
    return await link.run(sql, onNotice);
  } catch (error) {
    const code = tdbCodeOf(error);
    const hint =
      code === 'TDB-8003'
        ? "restore the archived log it names into an archive destination (tandem db restore puts the backup's there) and run tandem db recover again, or stop earlier with --until-cancel"
        : code === 'TDB-8004'
          ? 'incomplete recovery needs every datafile restored from a backup older than the target: tandem db restore <backup> --dir <dir> --force'
          : code === 'TDB-8007'
            ? 'a recovery is already in progress on this server: restart it (tandem db down, then tandem db recover again)'
            : undefined;
    throw new BackupError(failure, `${sql} failed: ${errorMessage(error)}`, hint === undefined ? {} : { hint });
  }
}
