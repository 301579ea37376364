// The control file as a script, and back (the seed's 컨트롤 파일 Trace 생성 and 컨트롤 파일
// 복구): `controlfileTrace` prints the CREATE CONTROLFILE statement that recreates the
// control file of a database, and `rebuildControlState` computes a control file from what
// such a statement names plus what the files themselves say. The SQL layer
// (sql/controlfile-admin.ts) parses the statement and writes the copies.
//
// The rebuild trusts the files, not the statement, for everything they record:
// - datafile headers: database id, file number, tablespace number, block size, creation,
//   checkpoint and resetlogs TSNs (the size comes from the file's length);
// - online log member headers: group, log sequence, first TSN, resetlogs TSN, size.
// The statement adds what only the control file knew: the database name, the log mode,
// which files exist, and the tablespaces' names and kinds (a Tandem extension of Oracle's
// syntax: `[SYSTEM | UNDO | TEMPORARY] TABLESPACE name ('file', ...)` in the DATAFILE list).
//
// NORESETLOGS: the online logs are used as they are. The highest log sequence is CURRENT,
// the others ACTIVE or INACTIVE with their end and next TSN; the checkpoint is at the log
// holding the lowest datafile checkpoint, and the shutdown is marked unclean, so that OPEN
// runs crash recovery from there. A datafile whose checkpoint the online redo no longer
// reaches (restored from a backup) is marked as needing media recovery.
// RESETLOGS: the online logs are not trusted (they may be lost): every group is UNUSED and
// every datafile needs media recovery, so the database opens only after RECOVER DATABASE
// UNTIL CANCEL (archived logs, or RECOVER LOGFILE 'online member'), RECOVER CANCEL and
// OPEN RESETLOGS, which recreates the logs.
import { isFileSystemError, type Clock, type FileSystem } from '@tandem/testkit';
import { DbError, isDbError } from '../errors.js';
import { scanArchiveDestinations, type ArchivedLog } from '../redo/archive-file.js';
import {
  decodeLogFileHeader,
  LOG_FILE_HEADER_BYTES,
  MIN_LOG_FILE_BYTES,
  scanLogGroup,
  type LogFileHeader,
} from '../redo/log-file.js';
import { bitsPerBitmapBlock, readDatafileHeader, type DatafileHeader } from '../storage/datafile.js';
import { mtrReserveBytes } from '../txn/cache-mini-transaction.js';
import type {
  ControlFileState,
  DatafileEntry,
  Incarnation,
  LogGroupEntry,
  LogMemberEntry,
  LogMode,
  RedoPosition,
  TablespaceEntry,
  TablespaceKind,
} from './control-state.js';

// ---------------------------------------------------------------------------------------
// The trace: ALTER DATABASE BACKUP CONTROLFILE TO TRACE

export interface TraceOptions {
  /** Which statement to write; undefined: NORESETLOGS, with the RESETLOGS one in comments. */
  readonly resetlogs?: boolean;
  /** The control file copies the instance uses (where CREATE CONTROLFILE will write). */
  readonly controlFilePaths: readonly string[];
  readonly nowMs: number;
}

/** The SQL script that recreates the control file of the database `state` describes. */
export function controlfileTrace(state: ControlFileState, options: TraceOptions): string {
  const resetlogs = options.resetlogs ?? false;
  const lines = [
    `-- Tandem control file trace of database "${state.dbName}" (id ${state.dbId}), written ${new Date(options.nowMs).toISOString()}`,
    `-- at checkpoint TSN ${state.checkpoint.tsn} (log sequence ${state.checkpoint.sequence}), incarnation ${state.incarnation.number}.`,
    '--',
    '-- It recreates the control files when every copy is lost or damaged. Take it again after',
    '-- every change of structure (tablespaces, datafiles, log groups and members).',
    '--   1. Shut the instance down and start it in NOMOUNT (tandem db start --nomount <dir>);',
    '--      the copies are written at the paths of controlFiles in tandem-db.yaml, now:',
    ...options.controlFilePaths.map((path) => `--        ${quote(path)}`),
    '--   2. As sys, run the CREATE CONTROLFILE statement below (psql -f this file).',
    '--   3. ALTER DATABASE MOUNT;',
    ...(resetlogs ? resetlogsSteps() : noresetlogsSteps()),
    "-- The TABLESPACE clauses are a Tandem extension of Oracle's DATAFILE list: they keep the",
    '-- tablespace names and kinds. A missing file of a TEMPORARY tablespace is recreated at OPEN',
    '-- with its SIZE; every other file must be there.',
    '',
    `${statementLines(state, resetlogs).join('\n')};`,
    '',
  ];
  if (options.resetlogs === undefined) {
    lines.push(
      '-- If the online logs are lost or damaged, use this statement instead (RESETLOGS):',
      ...resetlogsSteps(),
      '--',
      ...statementLines(state, true).map((line, i, all) => `-- ${line}${i === all.length - 1 ? ';' : ''}`),
      '',
    );
  }
  return lines.join('\n');
}

function noresetlogsSteps(): string[] {
  return [
    "--   4. ALTER DATABASE OPEN; (crash recovery runs from the datafiles' checkpoint). If OPEN says",
    '--      a datafile needs media recovery (TDB-4002: restored from a backup), first',
    '--      ALTER DATABASE RECOVER AUTOMATIC DATABASE; then ALTER DATABASE OPEN;',
  ];
}

function resetlogsSteps(): string[] {
  return [
    '--   4. ALTER DATABASE RECOVER [AUTOMATIC] DATABASE UNTIL CANCEL; applying archived logs, and',
    "--      online ones with ALTER DATABASE RECOVER LOGFILE '...' as far as they go;",
    '--      then ALTER DATABASE RECOVER CANCEL; and ALTER DATABASE OPEN RESETLOGS; (new incarnation,',
    '--      the online logs recreated empty). Take a new backup afterwards.',
  ];
}

function statementLines(state: ControlFileState, resetlogs: boolean): string[] {
  const lines = [
    `CREATE CONTROLFILE REUSE DATABASE ${quoteName(state.dbName)} ${resetlogs ? 'RESETLOGS' : 'NORESETLOGS'} ${state.logMode}`,
    '  LOGFILE',
  ];
  const groups = [...state.logGroups].sort((a, b) => a.number - b.number);
  groups.forEach((group, i) => {
    const members = group.members.map((member) => quote(member.path)).join(', ');
    lines.push(
      `    GROUP ${group.number} (${members}) SIZE ${formatSize(group.sizeBytes)}${i < groups.length - 1 ? ',' : ''}`,
    );
  });
  lines.push('  DATAFILE');
  const tablespaces = [...state.tablespaces]
    .sort((a, b) => a.number - b.number)
    .filter((ts) => state.datafiles.some((entry) => entry.tablespaceNumber === ts.number));
  const kindWord: Record<TablespaceKind, string> = { SYSTEM: 'SYSTEM ', UNDO: 'UNDO ', TEMP: 'TEMPORARY ', USER: '' };
  tablespaces.forEach((ts, i) => {
    const files = state.datafiles
      .filter((entry) => entry.tablespaceNumber === ts.number)
      .sort((a, b) => a.number - b.number)
      .map((entry) => datafileText(state, entry, ts.kind === 'TEMP'));
    lines.push(
      `    ${kindWord[ts.kind]}TABLESPACE ${quoteName(ts.name)} (${files.join(', ')})${i < tablespaces.length - 1 ? ',' : ''}`,
    );
  });
  return lines;
}

function datafileText(state: ControlFileState, entry: DatafileEntry, withSize: boolean): string {
  let text = quote(entry.path);
  if (withSize) text += ` SIZE ${formatSize(entry.sizeBlocks * state.blockBytes)}`;
  if (entry.autoextend !== null) {
    text +=
      ` AUTOEXTEND ON NEXT ${formatSize(entry.autoextend.nextBlocks * state.blockBytes)}` +
      ` MAXSIZE ${formatSize(entry.autoextend.maxBlocks * state.blockBytes)}`;
  }
  return text;
}

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function formatSize(bytes: number): string {
  for (const [unit, factor] of [
    ['T', 1024 ** 4],
    ['G', 1024 ** 3],
    ['M', 1024 ** 2],
    ['K', 1024],
  ] as const) {
    if (bytes !== 0 && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}

// ---------------------------------------------------------------------------------------
// The rebuild: CREATE CONTROLFILE

export interface RebuildLogGroup {
  /** GROUP n; absent: the number in the members' headers (or the group's place in the list). */
  readonly number?: number;
  readonly members: readonly string[];
  readonly sizeBytes?: number;
}

export interface RebuildDatafile {
  readonly path: string;
  /** Used only to recreate a missing TEMPORARY tablespace file; other sizes come from the files. */
  readonly sizeBytes?: number;
  /** AUTOEXTEND ON [NEXT n] [MAXSIZE n | UNLIMITED]; null for OFF or not given. */
  readonly autoextend: { readonly nextBytes?: number; readonly maxBytes?: number | 'unlimited' } | null;
}

export interface RebuildTablespace {
  /** Absent for bare files: they join the tablespace another item names with their tablespace number. */
  readonly tablespace?: { readonly name: string; readonly kind: TablespaceKind };
  readonly files: readonly RebuildDatafile[];
}

export interface ControlfileRebuildSpec {
  readonly dbName: string;
  readonly resetlogs: boolean;
  readonly logMode: LogMode;
  readonly logGroups: readonly RebuildLogGroup[];
  readonly tablespaces: readonly RebuildTablespace[];
  /** Where the copies will be written: no datafile or log member may take one of these paths. */
  readonly controlFilePaths: readonly string[];
  /** Where archived logs are (for the incarnation number and which logs are archived). */
  readonly archiveDestinations: readonly string[];
}

export interface ControlfileRebuild {
  readonly state: ControlFileState;
  /** Datafiles that need media recovery before the database opens. */
  readonly needRecovery: readonly DatafileEntry[];
  /** Lines for the operator: members left out, temp files to recreate, what to do next. */
  readonly notes: readonly string[];
}

interface HeaderOf {
  readonly path: string;
  readonly header: DatafileHeader;
}

interface MemberReading {
  readonly path: string;
  /** Whether there is a file at the path. */
  readonly present: boolean;
  /** Its log header; undefined for no file, or a file without a sound header. */
  readonly header: LogFileHeader | undefined;
}

/**
 * The control file state that CREATE CONTROLFILE writes, from the statement's files and
 * their headers. Nothing is written. Refuses (naming the file) a missing datafile
 * (TDB-1004), an unreadable header (TDB-1005), a datafile of another database or with
 * another block size (TDB-1007), a log member of another database or group (TDB-2010), a
 * log group none of whose members can be read under NORESETLOGS (TDB-2004), files of
 * another incarnation (TDB-8006), and a statement that does not describe one database
 * (TDB-3005).
 */
export async function rebuildControlState(
  io: { readonly fs: FileSystem; readonly clock: Clock },
  spec: ControlfileRebuildSpec,
): Promise<ControlfileRebuild> {
  const { fs, clock } = io;
  const notes: string[] = [];
  checkStatement(spec);
  const nowMs = clock.nowMs();

  // 1. Datafile headers; the SYSTEM tablespace's first file decides the database and block size.
  const system = spec.tablespaces.find((item) => item.tablespace?.kind === 'SYSTEM')!;
  const reference = { path: system.files[0].path, header: await readHeader(fs, system.files[0].path) };
  const { dbId, blockBytes, resetlogsTsn } = reference.header;
  const headers = new Map<string, HeaderOf>();
  for (const item of spec.tablespaces) {
    for (const file of item.files) {
      if (item.tablespace?.kind === 'TEMP' && !(await fs.exists(file.path))) continue; // recreated at OPEN
      const header = file.path === reference.path ? reference.header : await readHeader(fs, file.path);
      if (header.dbId !== dbId) {
        throw new DbError(
          'DATAFILE_MISMATCH',
          `'${file.path}' is datafile ${header.fileNumber} of another database (id ${header.dbId}), not of database id ${dbId} ` +
            `as the SYSTEM datafile '${reference.path}' is; name this database's file`,
        );
      }
      if (header.blockBytes !== blockBytes) {
        throw new DbError(
          'DATAFILE_MISMATCH',
          `'${file.path}' has ${header.blockBytes}-byte blocks, but the SYSTEM datafile '${reference.path}' has ${blockBytes}-byte blocks; ` +
            `every datafile of a database has the same block size`,
        );
      }
      if (header.resetlogsTsn !== resetlogsTsn) {
        throw new DbError(
          'WRONG_INCARNATION',
          `datafile ${header.fileNumber} ('${file.path}') is of another incarnation (resetlogs TSN ${header.resetlogsTsn}) than ` +
            `the SYSTEM datafile '${reference.path}' (resetlogs TSN ${resetlogsTsn}): it was restored from a backup taken ` +
            `before or after an OPEN RESETLOGS; restore a backup of the same incarnation`,
        );
      }
      const sameNumber = [...headers.values()].find((other) => other.header.fileNumber === header.fileNumber);
      if (sameNumber !== undefined) {
        throw new DbError(
          'CONTROL_FILE_STATEMENT',
          `'${file.path}' and '${sameNumber.path}' are both datafile ${header.fileNumber}: one is a copy of the other; name only one`,
        );
      }
      headers.set(file.path, { path: file.path, header });
    }
  }

  // 2. Tablespaces: names and kinds from the statement, numbers from the headers.
  const tablespaces: TablespaceEntry[] = [];
  const tablespaceOfItem = new Map<RebuildTablespace, number>();
  for (const item of spec.tablespaces) {
    if (item.tablespace === undefined) continue;
    const numbers = new Set(
      item.files.flatMap((file) => {
        const found = headers.get(file.path);
        return found === undefined ? [] : [found.header.tablespaceNumber];
      }),
    );
    if (numbers.size > 1) {
      const described = item.files
        .filter((file) => headers.has(file.path))
        .map((file) => `'${file.path}' (tablespace ${headers.get(file.path)!.header.tablespaceNumber})`);
      throw new DbError(
        'CONTROL_FILE_STATEMENT',
        `the files of TABLESPACE ${item.tablespace.name} belong to different tablespaces: ${described.join(', ')}; ` +
          `list each tablespace's files in a clause of their own`,
      );
    }
    const number = numbers.size === 1 ? [...numbers][0] : undefined;
    if (number !== undefined) {
      const clash = tablespaces.find((ts) => ts.number === number);
      if (clash !== undefined) {
        throw new DbError(
          'CONTROL_FILE_STATEMENT',
          `TABLESPACE ${item.tablespace.name} and TABLESPACE ${clash.name} name files of the same tablespace (number ${number}); ` +
            `list them in one clause`,
        );
      }
      tablespaces.push({ number, name: item.tablespace.name.toUpperCase(), kind: item.tablespace.kind });
      tablespaceOfItem.set(item, number);
    }
  }
  // A TEMPORARY tablespace all of whose files are missing gets a fresh number.
  for (const item of spec.tablespaces) {
    if (item.tablespace === undefined || tablespaceOfItem.has(item)) continue;
    const number = Math.max(-1, ...tablespaces.map((ts) => ts.number)) + 1;
    tablespaces.push({ number, name: item.tablespace.name.toUpperCase(), kind: item.tablespace.kind });
    tablespaceOfItem.set(item, number);
  }
  for (const item of spec.tablespaces) {
    if (item.tablespace !== undefined) continue;
    for (const file of item.files) {
      const number = headers.get(file.path)!.header.tablespaceNumber;
      if (!tablespaces.some((ts) => ts.number === number)) {
        throw new DbError(
          'CONTROL_FILE_STATEMENT',
          `datafile '${file.path}' belongs to tablespace number ${number}, which no TABLESPACE clause names; ` +
            `name it: TABLESPACE "NAME" ('${file.path}')`,
        );
      }
    }
  }

  // 3. Datafile entries. Files the online redo reaches are recovered at OPEN; see step 5.
  const datafiles: DatafileEntry[] = [];
  const usedNumbers = new Set([...headers.values()].map((found) => found.header.fileNumber));
  for (const item of spec.tablespaces) {
    for (const file of item.files) {
      const found = headers.get(file.path);
      if (found === undefined) {
        // A missing temp file: OPEN recreates it from this entry.
        const number = Math.max(0, ...usedNumbers) + 1;
        usedNumbers.add(number);
        const sizeBlocks = Math.max(64, Math.ceil((file.sizeBytes ?? 256 * blockBytes) / blockBytes));
        datafiles.push({
          number,
          tablespaceNumber: tablespaceOfItem.get(item)!,
          path: file.path,
          sizeBlocks,
          autoextend: autoextendOf(file, blockBytes, sizeBlocks, undefined),
          creationTsn: reference.header.checkpointTsn,
          checkpointTsn: reference.header.checkpointTsn,
        });
        notes.push(`temp file '${file.path}' is missing: OPEN recreates it (${sizeBlocks} blocks)`);
        continue;
      }
      const { header } = found;
      const sizeBlocks = Math.floor((await fs.stat(file.path)).sizeBytes / blockBytes);
      datafiles.push({
        number: header.fileNumber,
        tablespaceNumber: header.tablespaceNumber,
        path: file.path,
        sizeBlocks,
        autoextend: autoextendOf(file, blockBytes, sizeBlocks, header.bitmapBlocks * bitsPerBitmapBlock(blockBytes)),
        creationTsn: header.creationTsn,
        checkpointTsn: header.checkpointTsn,
        ...(header.backupTsn === 0 ? {} : { backupTsn: header.backupTsn }),
      });
      if (header.backupTsn !== 0) {
        notes.push(
          `datafile ${header.fileNumber} ('${file.path}') is in online backup mode (since TSN ${header.backupTsn}); ` +
            `end it with ALTER DATABASE END BACKUP`,
        );
      }
    }
  }
  datafiles.sort((a, b) => a.number - b.number);
  tablespaces.sort((a, b) => a.number - b.number);
  const temporary = new Set(tablespaces.filter((ts) => ts.kind === 'TEMP').map((ts) => ts.number));
  const recoverable = datafiles.filter((entry) => !temporary.has(entry.tablespaceNumber));
  const lowest = recoverable.reduce((low, entry) => (entry.checkpointTsn < low.checkpointTsn ? entry : low));
  const checkpointMs = Math.min(
    ...[...headers.values()]
      .filter((found) => !temporary.has(found.header.tablespaceNumber))
      .map((found) => found.header.checkpointMs),
  );

  // 4. The online logs and the incarnation.
  const archived = await scanArchiveDestinations(fs, spec.archiveDestinations, dbId).catch(() => [] as ArchivedLog[]);
  const incarnation = incarnationOf(resetlogsTsn, archived, nowMs);
  const pastIncarnations = pastIncarnationsOf(incarnation, archived);
  const readings = await readMembers(fs, spec, dbId, blockBytes);

  let logGroups: LogGroupEntry[];
  let checkpoint: RedoPosition;
  const needRecovery: DatafileEntry[] = [];
  if (spec.resetlogs) {
    logGroups = readings.map(({ number, sizeBytes, members }) => ({
      number,
      sizeBytes,
      members: members.map((member): LogMemberEntry => ({
        path: member.path,
        status: member.present ? 'VALID' : 'INVALID',
      })),
      sequence: 0,
      firstTsn: 0,
      endBytes: 0,
      nextTsn: 0,
      state: 'UNUSED' as const,
    }));
    checkpoint = { sequence: 0, offsetBytes: LOG_FILE_HEADER_BYTES, tsn: lowest.checkpointTsn };
    // Every datafile needs recovery: the control file expects more than the headers hold.
    for (const entry of recoverable) needRecovery.push(entry);
    notes.push(
      'RESETLOGS: the online logs are not used; after ALTER DATABASE MOUNT, recover with ALTER DATABASE RECOVER ' +
        "[AUTOMATIC] DATABASE UNTIL CANCEL (and RECOVER LOGFILE '...' for each further log), end it with " +
        'ALTER DATABASE RECOVER CANCEL, then ALTER DATABASE OPEN RESETLOGS',
    );
  } else {
    const built = buildOnlineLogs(readings, resetlogsTsn, spec.logMode, archived);
    const ended = await withEnds(fs, built.groups);
    logGroups = ended.groups;
    notes.push(...built.notes);
    const chain = chainToCurrent(logGroups);
    const oldest = chain[0];
    const holding = chain.find(
      (group) =>
        group.firstTsn <= lowest.checkpointTsn && (group.state === 'CURRENT' || lowest.checkpointTsn < group.nextTsn),
    );
    const start = holding ?? oldest;
    checkpoint = { sequence: start.sequence, offsetBytes: LOG_FILE_HEADER_BYTES, tsn: start.firstTsn };
    // Crash recovery reads each log from here on to its end, then the next: none may have lost its tail.
    for (const group of chain) {
      const lastTsn = ended.lastTsns.get(group.number);
      if (group.sequence < start.sequence || lastTsn === undefined || lastTsn + 1 === group.nextTsn) continue;
      throw new DbError(
        'REDO_RECORD_CORRUPT',
        `log sequence ${group.sequence} (group ${group.number}: ${group.members.map((member) => `'${member.path}'`).join(', ')}) ` +
          `ends at TSN ${lastTsn}, but the next log begins at TSN ${group.nextTsn}: its end is damaged in every member; ` +
          `restore its members, or recreate the control file with RESETLOGS`,
      );
    }
    if (holding === undefined) {
      for (const entry of recoverable) if (entry.checkpointTsn < oldest.firstTsn) needRecovery.push(entry);
    }
    logGroups = logGroups.map((group) =>
      group.state === 'INACTIVE' && chain.includes(group) && group.sequence >= start.sequence
        ? { ...group, state: 'ACTIVE' as const }
        : group,
    );
    if (needRecovery.length > 0) {
      notes.push(
        `the online redo does not reach back to the checkpoint of datafile ${needRecovery.map((entry) => `${entry.number} ('${entry.path}')`).join(', ')} ` +
          `(restored from a backup): after ALTER DATABASE MOUNT, run ALTER DATABASE RECOVER AUTOMATIC DATABASE, then ALTER DATABASE OPEN`,
      );
    } else {
      notes.push(
        "NORESETLOGS: ALTER DATABASE MOUNT, then ALTER DATABASE OPEN runs crash recovery from the datafiles' checkpoint",
      );
    }
  }
  // A file that needs media recovery: the control file expects a later checkpoint than its
  // header holds, so OPEN refuses it (TDB-4002) until RECOVER brings it there.
  const recovering = new Set(needRecovery.map((entry) => entry.number));
  const expected = spec.resetlogs ? undefined : checkpoint.tsn;
  const finalDatafiles = datafiles.map((entry) =>
    recovering.has(entry.number) ? { ...entry, checkpointTsn: expected ?? entry.checkpointTsn + 1 } : entry,
  );

  const state: ControlFileState = {
    formatVersion: 1,
    dbName: spec.dbName,
    dbId,
    createdMs: nowMs,
    blockBytes,
    logMode: spec.logMode,
    incarnation,
    checkpoint,
    checkpointMs,
    cleanShutdown: false,
    tablespaces,
    datafiles: finalDatafiles,
    logGroups: [...logGroups].sort((a, b) => a.number - b.number),
    ...(pastIncarnations.length === 0 ? {} : { pastIncarnations }),
  };
  return { state, needRecovery: finalDatafiles.filter((entry) => recovering.has(entry.number)), notes };
}

/** What the statement alone must satisfy: distinct paths and groups, one SYSTEM and one UNDO tablespace. */
function checkStatement(spec: ControlfileRebuildSpec): void {
  const uses = new Map<string, string>();
  const use = (path: string, what: string): void => {
    const earlier = uses.get(path);
    if (earlier !== undefined) {
      throw new DbError('CONTROL_FILE_STATEMENT', `'${path}' is named twice: as ${earlier} and as ${what}`);
    }
    uses.set(path, what);
  };
  for (const path of spec.controlFilePaths) use(path, 'a control file (controlFiles in tandem-db.yaml)');
  spec.logGroups.forEach((group, i) => {
    for (const path of group.members) use(path, `a member of log group ${group.number ?? i + 1}`);
  });
  for (const item of spec.tablespaces) {
    for (const file of item.files)
      use(file.path, `a datafile${item.tablespace === undefined ? '' : ` of ${item.tablespace.name}`}`);
  }
  const numbers = spec.logGroups.flatMap((group) => (group.number === undefined ? [] : [group.number]));
  const twice = numbers.find((number, i) => numbers.indexOf(number) !== i);
  if (twice !== undefined) throw new DbError('CONTROL_FILE_STATEMENT', `log group ${twice} is named twice`);
  if (spec.logGroups.length < 2) {
    throw new DbError(
      'REDO_LOG_CONFIG',
      `a database needs at least 2 log groups; the statement names ${spec.logGroups.length}`,
    );
  }
  const names = spec.tablespaces.flatMap((item) =>
    item.tablespace === undefined ? [] : [item.tablespace.name.toUpperCase()],
  );
  const sameName = names.find((name, i) => names.indexOf(name) !== i);
  if (sameName !== undefined) {
    throw new DbError(
      'CONTROL_FILE_STATEMENT',
      `TABLESPACE ${sameName} is named twice; list all its files in one clause`,
    );
  }
  for (const kind of ['SYSTEM', 'UNDO'] as const) {
    const count = spec.tablespaces.filter((item) => item.tablespace?.kind === kind).length;
    if (count !== 1) {
      throw new DbError(
        'CONTROL_FILE_STATEMENT',
        `the DATAFILE list needs exactly one ${kind} TABLESPACE clause (it has ${count}): ` +
          `${kind} TABLESPACE "${kind}" ('...${kind.toLowerCase()}001.dtf')`,
      );
    }
  }
}

async function readHeader(fs: FileSystem, path: string): Promise<DatafileHeader> {
  try {
    return await readDatafileHeader(fs, path);
  } catch (error) {
    if (isDbError(error, 'DATAFILE_MISSING')) {
      throw new DbError(
        'DATAFILE_MISSING',
        `datafile '${path}' named in CREATE CONTROLFILE is missing: restore it from a backup (it is then recovered ` +
          `after MOUNT) and run the statement again; every datafile of the database must be named and present`,
        { cause: error },
      );
    }
    throw error;
  }
}

function autoextendOf(
  file: RebuildDatafile,
  blockBytes: number,
  sizeBlocks: number,
  capacityBlocks: number | undefined,
): DatafileEntry['autoextend'] {
  if (file.autoextend === null) return null;
  const nextBlocks = Math.max(8, Math.ceil((file.autoextend.nextBytes ?? 8 * 1024 * 1024) / blockBytes));
  const limit = capacityBlocks ?? 1 << 22;
  const max = file.autoextend.maxBytes;
  const maxBlocks = max === undefined || max === 'unlimited' ? limit : Math.min(limit, Math.ceil(max / blockBytes));
  return { nextBlocks, maxBlocks: Math.max(sizeBlocks, maxBlocks) };
}

/** The incarnation the files' resetlogs TSN names: its number from the archived logs of it, if any. */
function incarnationOf(resetlogsTsn: number, archived: readonly ArchivedLog[], nowMs: number): Incarnation {
  const own = archived.find((log) => log.resetlogsTsn === resetlogsTsn);
  const earlier = archived.filter((log) => log.resetlogsTsn < resetlogsTsn);
  const number =
    own?.incarnation ?? (resetlogsTsn === 0 ? 1 : Math.max(1, ...earlier.map((log) => log.incarnation)) + 1);
  const parent =
    earlier.length === 0 ? (number > 1 ? number - 1 : undefined) : Math.max(...earlier.map((log) => log.incarnation));
  const firstLog = archived
    .filter((log) => log.resetlogsTsn === resetlogsTsn)
    .sort((a, b) => a.sequence - b.sequence)[0];
  return {
    number,
    resetlogsTsn,
    resetlogsMs: firstLog?.firstMs ?? nowMs,
    ...(parent === undefined ? {} : { parent }),
  };
}

function pastIncarnationsOf(current: Incarnation, archived: readonly ArchivedLog[]): Incarnation[] {
  const past = new Map<number, Incarnation>();
  for (const log of [...archived].sort((a, b) => a.incarnation - b.incarnation || a.sequence - b.sequence)) {
    if (log.resetlogsTsn >= current.resetlogsTsn || past.has(log.incarnation)) continue;
    past.set(log.incarnation, { number: log.incarnation, resetlogsTsn: log.resetlogsTsn, resetlogsMs: log.firstMs });
  }
  return [...past.values()];
}

interface GroupReading {
  readonly number: number;
  readonly sizeBytes: number;
  readonly members: readonly MemberReading[];
}

/** Reads every member's header; refuses members of another database or group, and sizes that disagree. */
async function readMembers(
  fs: FileSystem,
  spec: ControlfileRebuildSpec,
  dbId: number,
  blockBytes: number,
): Promise<GroupReading[]> {
  const groups: GroupReading[] = [];
  for (const [index, group] of spec.logGroups.entries()) {
    const members: MemberReading[] = [];
    for (const path of group.members) members.push({ path, ...(await readMemberHeader(fs, path)) });
    const first = members.find((member) => member.header !== undefined)?.header;
    const number = group.number ?? first?.groupNumber ?? index + 1;
    for (const member of members) {
      const header = member.header;
      if (header === undefined) continue;
      if (header.dbId !== dbId || header.groupNumber !== number) {
        throw new DbError(
          'REDO_LOG_MISMATCH',
          `'${member.path}' is a member of log group ${header.groupNumber} of database id ${header.dbId}, ` +
            `not of group ${number} of database id ${dbId}; name the right file`,
        );
      }
      if (!spec.resetlogs && group.sizeBytes !== undefined && header.sizeBytes !== group.sizeBytes) {
        throw new DbError(
          'REDO_LOG_MISMATCH',
          `log member '${member.path}' has ${header.sizeBytes} bytes, but the statement says SIZE ${group.sizeBytes} for group ${number}`,
        );
      }
    }
    const sizeBytes = spec.resetlogs ? (group.sizeBytes ?? first?.sizeBytes) : (first?.sizeBytes ?? group.sizeBytes);
    if (sizeBytes === undefined) {
      throw new DbError('REDO_LOG_CONFIG', `log group ${number} needs a SIZE: none of its members can be read`);
    }
    const minimum = Math.max(MIN_LOG_FILE_BYTES, 16 * mtrReserveBytes(blockBytes));
    if (sizeBytes < minimum) {
      throw new DbError(
        'REDO_LOG_CONFIG',
        `log group ${number}: members of ${sizeBytes} bytes are too small for ${blockBytes}-byte blocks; use at least ${minimum}`,
      );
    }
    if (groups.some((other) => other.number === number)) {
      throw new DbError('CONTROL_FILE_STATEMENT', `log group ${number} is named twice (its members' headers say so)`);
    }
    groups.push({ number, sizeBytes, members });
  }
  return groups;
}

async function readMemberHeader(
  fs: FileSystem,
  path: string,
): Promise<{ present: boolean; header: LogFileHeader | undefined }> {
  let handle;
  try {
    handle = await fs.open(path, { readOnly: true });
  } catch (error) {
    if (isFileSystemError(error, 'ENOENT')) return { present: false, header: undefined };
    throw error;
  }
  try {
    const bytes = new Uint8Array(LOG_FILE_HEADER_BYTES);
    const read = await handle.read(bytes, 0, LOG_FILE_HEADER_BYTES, 0);
    return { present: true, header: read === LOG_FILE_HEADER_BYTES ? decodeLogFileHeader(bytes) : undefined };
  } finally {
    await handle.close();
  }
}

/**
 * NORESETLOGS: the groups as their members' headers say. A group's sequence is the highest
 * its members hold; members holding an older one are STALE (LGWR rewrites them at the next
 * switch into the group), missing or unreadable ones INVALID. The highest sequence is
 * CURRENT; the others INACTIVE for now (the caller makes the ones crash recovery reads
 * ACTIVE); never used groups UNUSED.
 */
function buildOnlineLogs(
  readings: readonly GroupReading[],
  resetlogsTsn: number,
  logMode: LogMode,
  archived: readonly ArchivedLog[],
): { groups: LogGroupEntry[]; notes: string[] } {
  const notes: string[] = [];
  const groups: LogGroupEntry[] = [];
  for (const reading of readings) {
    const readable = reading.members.filter((member) => member.header !== undefined);
    if (readable.length === 0) {
      const why = reading.members.map(
        (member) => `'${member.path}' ${member.present ? 'has no log header' : 'is missing'}`,
      );
      throw new DbError(
        'REDO_LOG_MISSING',
        `no member of log group ${reading.number} can be read (${why.join(', ')}); NORESETLOGS uses every online log: ` +
          `restore its members, or recreate the control file with RESETLOGS (then RECOVER DATABASE UNTIL CANCEL and OPEN RESETLOGS)`,
      );
    }
    for (const member of readable) {
      const header = member.header!;
      if (header.sequence > 0 && header.resetlogsTsn !== resetlogsTsn) {
        throw new DbError(
          'WRONG_INCARNATION',
          `log member '${member.path}' holds redo of another incarnation (resetlogs TSN ${header.resetlogsTsn}, the datafiles' ` +
            `${resetlogsTsn}); recreate the control file with RESETLOGS, or name the current logs`,
        );
      }
    }
    const newest = readable.reduce((best, member) => (member.header!.sequence > best.header!.sequence ? member : best));
    const sequence = newest.header!.sequence;
    const members = reading.members.map((member): LogMemberEntry => {
      if (member.header === undefined) {
        notes.push(
          `log member '${member.path}' of group ${reading.number} ${member.present ? 'is not a log file' : 'is missing'}: ` +
            `it is left out (INVALID); once OPEN, drop it and add it again`,
        );
        return { path: member.path, status: 'INVALID' };
      }
      return { path: member.path, status: member.header.sequence === sequence ? 'VALID' : 'STALE' };
    });
    groups.push({
      number: reading.number,
      sizeBytes: reading.sizeBytes,
      members,
      sequence,
      firstTsn: sequence === 0 ? 0 : newest.header!.firstTsn,
      endBytes: 0,
      nextTsn: 0,
      state: sequence === 0 ? 'UNUSED' : 'INACTIVE',
    });
  }
  const used = groups.filter((group) => group.sequence > 0);
  if (used.length === 0) {
    throw new DbError(
      'REDO_LOG_MISSING',
      'no online log holds redo (every member is new or cleared); recreate the control file with RESETLOGS',
    );
  }
  for (const group of used) {
    const twin = used.find((other) => other !== group && other.sequence === group.sequence);
    if (twin !== undefined) {
      throw new DbError(
        'REDO_LOG_MISMATCH',
        `log groups ${group.number} and ${twin.number} both hold log sequence ${group.sequence}: one holds copies of the other's members`,
      );
    }
  }
  const current = used.reduce((best, group) => (group.sequence > best.sequence ? group : best));
  return {
    groups: groups.map((group) => {
      if (group === current) return { ...group, state: 'CURRENT' as const };
      if (group.sequence === 0 || logMode !== 'ARCHIVELOG') return group;
      const isArchived = archived.some((log) => log.resetlogsTsn === resetlogsTsn && log.sequence === group.sequence);
      return isArchived ? group : { ...group, archived: false };
    }),
    notes,
  };
}

/** Scans each used non-CURRENT group for where its redo ends and the TSN after its last record. */
async function withEnds(
  fs: FileSystem,
  groups: readonly LogGroupEntry[],
): Promise<{ groups: LogGroupEntry[]; lastTsns: Map<number, number> }> {
  const result: LogGroupEntry[] = [];
  const lastTsns = new Map<number, number>();
  for (const group of groups) {
    if (group.state !== 'INACTIVE') {
      result.push(group);
      continue;
    }
    let lastTsn = group.firstTsn - 1;
    const scan = await scanLogGroup(
      fs,
      {
        groupNumber: group.number,
        sequence: group.sequence,
        memberPaths: group.members.filter((member) => member.status === 'VALID').map((member) => member.path),
      },
      (entries) => {
        lastTsn = entries[entries.length - 1].record.tsn;
      },
    );
    const following = groups.find((other) => other.sequence === group.sequence + 1);
    lastTsns.set(group.number, lastTsn);
    result.push({ ...group, endBytes: scan.endBytes, nextTsn: following?.firstTsn ?? lastTsn + 1 });
  }
  return { groups: result, lastTsns };
}

/** The groups from the oldest of the unbroken run of sequences up to the CURRENT one, in order. */
function chainToCurrent(groups: readonly LogGroupEntry[]): LogGroupEntry[] {
  const current = groups.find((group) => group.state === 'CURRENT')!;
  const chain = [current];
  for (;;) {
    const previous = groups.find((group) => group.sequence > 0 && group.sequence === chain[0].sequence - 1);
    if (previous === undefined) return chain;
    chain.unshift(previous);
  }
}
