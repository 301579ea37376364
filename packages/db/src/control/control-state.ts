// What the control file records: the database's identity and structure (datafiles, log
// groups and their members), the state of each online log group, the checkpoint, and
// whether the last shutdown was clean. Every update goes to every copy (control-file.ts).

export type LogMode = 'NOARCHIVELOG' | 'ARCHIVELOG';
export type TablespaceKind = 'SYSTEM' | 'UNDO' | 'TEMP' | 'USER';
/** CURRENT: being written. ACTIVE: needed for crash recovery. INACTIVE: reusable. UNUSED: never written. */
export type LogGroupState = 'CURRENT' | 'ACTIVE' | 'INACTIVE' | 'UNUSED';
/**
 * VALID: holds its group's redo. INVALID: the member was lost or failed a write; it is
 * skipped until it is recreated. STALE: added to a group that already held redo, so it lacks
 * that redo: it is never read, and LGWR writes it from the next switch into its group on
 * (which makes it VALID).
 */
export type LogMemberStatus = 'VALID' | 'INVALID' | 'STALE';

export interface TablespaceEntry {
  readonly number: number;
  readonly name: string;
  readonly kind: TablespaceKind;
}

export interface AutoextendPolicy {
  readonly nextBlocks: number;
  readonly maxBlocks: number;
}

export interface DatafileEntry {
  readonly number: number;
  readonly tablespaceNumber: number;
  readonly path: string;
  /** Size in blocks, including the header block. */
  readonly sizeBlocks: number;
  readonly autoextend: AutoextendPolicy | null;
  readonly creationTsn: number;
  /** The TSN up to which this file's header says all changes are on disk, as of the last full checkpoint. */
  readonly checkpointTsn: number;
  /**
   * ONLINE (absent): in use. OFFLINE: taken offline cleanly (ALTER TABLESPACE ... OFFLINE),
   * its blocks all written. RECOVER: lost or taken offline IMMEDIATE, so media recovery must
   * bring it current before it comes online.
   */
  readonly status?: DatafileStatus;
  /** When taken offline while OPEN: the TSN after which no redo for it exists. */
  readonly offlineTsn?: number;
  /** While in online backup mode (BEGIN BACKUP): the TSN at which the backup began. */
  readonly backupTsn?: number;
}

export type DatafileStatus = 'ONLINE' | 'OFFLINE' | 'RECOVER';

export interface LogMemberEntry {
  readonly path: string;
  readonly status: LogMemberStatus;
}

export interface LogGroupEntry {
  readonly number: number;
  readonly sizeBytes: number;
  readonly members: readonly LogMemberEntry[];
  /** Log sequence number of the redo the group holds (0 while UNUSED). */
  readonly sequence: number;
  /** TSN of the first record the group holds (0 while UNUSED). */
  readonly firstTsn: number;
  /** For a group that is no longer CURRENT: the end of its redo, in bytes from the start of the file. */
  readonly endBytes: number;
  /** For a group that is no longer CURRENT: the TSN following its last record. */
  readonly nextTsn: number;
  readonly state: LogGroupState;
  /**
   * False while the group holds redo the archiver has not copied yet (ARCHIVELOG mode): it
   * cannot be reused until then. Absent (or true) otherwise.
   */
  readonly archived?: boolean;
}

/** A position in the redo stream: the record at `offsetBytes` in log `sequence` has TSN >= `tsn`. */
export interface RedoPosition {
  readonly sequence: number;
  readonly offsetBytes: number;
  readonly tsn: number;
}

export interface Incarnation {
  readonly number: number;
  /** The TSN at which this incarnation began (0 for the first). */
  readonly resetlogsTsn: number;
  readonly resetlogsMs: number;
  /** The incarnation it branched from (absent for the first). */
  readonly parent?: number;
}

/** Left by an incomplete media recovery: the database opens only with RESETLOGS. */
export interface MediaRecoveryState {
  /** Every change up to and including this TSN is applied; none after it. */
  readonly recoveredToTsn: number;
  readonly kind: 'change' | 'time' | 'cancel';
}

export interface ControlFileState {
  readonly formatVersion: 1;
  readonly dbName: string;
  readonly dbId: number;
  readonly createdMs: number;
  readonly blockBytes: number;
  readonly logMode: LogMode;
  readonly incarnation: Incarnation;
  /** Crash recovery starts here: every change before it is in the datafiles. */
  readonly checkpoint: RedoPosition;
  readonly checkpointMs: number;
  /** False from OPEN until a NORMAL, POST_TX or IMMEDIATE shutdown completes. */
  readonly cleanShutdown: boolean;
  readonly tablespaces: readonly TablespaceEntry[];
  readonly datafiles: readonly DatafileEntry[];
  readonly logGroups: readonly LogGroupEntry[];
  /** Earlier incarnations, oldest first (v$database_incarnation adds the current one). */
  readonly pastIncarnations?: readonly Incarnation[];
  readonly mediaRecovery?: MediaRecoveryState;
}

/** The group without its archiving mark (a group being reused, or archiving no longer required). */
export function withoutArchived(group: LogGroupEntry): LogGroupEntry {
  const { archived: _archived, ...rest } = group;
  return rest;
}

/** The group holding no redo, every member usable again (CLEAR LOGFILE, RESETLOGS). */
export function emptiedLogGroup(group: LogGroupEntry): LogGroupEntry {
  return {
    ...withoutArchived(group),
    members: group.members.map((member) => ({ ...member, status: 'VALID' as const })),
    sequence: 0,
    firstTsn: 0,
    endBytes: 0,
    nextTsn: 0,
    state: 'UNUSED',
  };
}

/** The datafile out of online backup mode (END BACKUP, in OPEN or MOUNT). */
export function withoutBackup(entry: DatafileEntry): DatafileEntry {
  const { backupTsn: _backupTsn, ...rest } = entry;
  return rest;
}
