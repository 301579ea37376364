// The control file statements of Tibero's SQL, as sys runs them (the seed's 컨트롤 파일 백업
// and 컨트롤 파일 복구):
// - ALTER DATABASE BACKUP CONTROLFILE TO TRACE AS 'file' [REUSE] [RESETLOGS | NORESETLOGS]
//   writes the CREATE CONTROLFILE script of the database (MOUNT or OPEN);
// - ALTER DATABASE BACKUP CONTROLFILE TO 'file' [REUSE] writes a copy of the current control
//   file state in the control file format, which mounts when copied to the controlFiles paths;
// - CREATE CONTROLFILE ... (NOMOUNT) writes new control files at the controlFiles paths,
//   rebuilt from the files the statement names (control/controlfile-script.ts).
// Relative paths resolve against the database directory. No file is overwritten without REUSE.
import { isAbsolute, resolve } from 'node:path';
import type { FileSystem } from '@tandem/testkit';
import { ControlFiles, parentOf } from '../control/control-file.js';
import type { ControlFileState } from '../control/control-state.js';
import { controlfileTrace, rebuildControlState, type RebuildDatafile } from '../control/controlfile-script.js';
import { DbError } from '../errors.js';
import { requirePathUnused, removeFileIfPresent } from '../instance/database-files.js';
import type { Instance } from '../instance/instance.js';
import type { QueryOutput } from '../wire/engine.js';
import type { AlterDatabaseAction, CreateControlfileStatement, DatafileSpec } from './ast.js';

type BackupControlfileAction = Extract<AlterDatabaseAction, { kind: 'backupControlfile' }>;

function say(out: QueryOutput, message: string): void {
  out.notice({ severity: 'NOTICE', sqlState: '00000', message });
}

function resolvePath(instance: Instance, path: string): string {
  return isAbsolute(path) ? path : resolve(instance.directory, path);
}

/** ALTER DATABASE BACKUP CONTROLFILE TO TRACE AS 'file' ... | TO 'file' [REUSE] (MOUNT or OPEN). */
export async function backupControlfile(
  instance: Instance,
  action: BackupControlfileAction,
  out: QueryOutput,
): Promise<void> {
  let state: ControlFileState;
  if (instance.stage === 'OPEN') state = instance.database.storage.control.state;
  else if (instance.stage === 'MOUNT') state = instance.controlFiles.state;
  else {
    throw new DbError(
      'WRONG_INSTANCE_STATE',
      `BACKUP CONTROLFILE needs the database in MOUNT or OPEN; it is in ${instance.stage}`,
    );
  }
  const { fs, clock } = instance.io;
  const path = resolvePath(instance, action.path);
  requirePathUnused(state, instance.controlFilePaths, path);
  if (!action.reuse && (await fs.exists(path))) {
    throw new DbError(
      'FILE_EXISTS',
      `'${path}' already exists; add REUSE to overwrite it (ALTER DATABASE BACKUP CONTROLFILE TO ${action.trace ? 'TRACE AS ' : ''}'...' REUSE)`,
    );
  }
  await fs.mkdir(parentOf(path), { recursive: true });
  // Written beside the target, then renamed over it: a crash never leaves half a backup.
  const temporary = `${path}.tmp`;
  await removeFileIfPresent(fs, temporary);
  if (action.trace) {
    const text = controlfileTrace(state, {
      ...(action.resetlogs === undefined ? {} : { resetlogs: action.resetlogs }),
      controlFilePaths: instance.controlFilePaths,
      nowMs: clock.nowMs(),
    });
    await writeWholeFile(fs, temporary, new TextEncoder().encode(text));
  } else {
    const copy = await ControlFiles.create(fs, [temporary], state);
    await copy.close();
  }
  await fs.rename(temporary, path);
  await fs.syncDirectory(parentOf(path));
  const what = action.trace
    ? `control file trace (CREATE CONTROLFILE ... ${action.resetlogs === true ? 'RESETLOGS' : 'NORESETLOGS'})`
    : 'control file backup';
  instance.alert.notice(`ALTER DATABASE BACKUP CONTROLFILE: ${what} written to '${path}'`);
  say(
    out,
    action.trace
      ? `${what} written to '${path}'${action.resetlogs === undefined ? '; the RESETLOGS statement is in its comments' : ''}`
      : `${what} written to '${path}': to use it, shut down and copy it to every path of controlFiles in tandem-db.yaml`,
  );
}

async function writeWholeFile(fs: FileSystem, path: string, bytes: Uint8Array): Promise<void> {
  const handle = await fs.open(path, { create: true, exclusive: true });
  try {
    await handle.write(bytes, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * CREATE CONTROLFILE (NOMOUNT, sys): rebuilds the control file state from the files the
 * statement names and writes it to every controlFiles path. The instance stays in NOMOUNT;
 * the notices say what comes next (MOUNT, then OPEN or recovery).
 */
export async function createControlfile(
  instance: Instance,
  statement: CreateControlfileStatement,
  out: QueryOutput,
  databaseName: string,
): Promise<string> {
  if (instance.stage !== 'NOMOUNT') {
    throw new DbError(
      'WRONG_INSTANCE_STATE',
      `CREATE CONTROLFILE runs in NOMOUNT; the instance is in ${instance.stage} (shut it down and start it with --nomount)`,
    );
  }
  if (statement.name.toLowerCase() !== databaseName.toLowerCase()) {
    throw new DbError(
      'INVALID_PARAMETER',
      `CREATE CONTROLFILE names database ${statement.name}, but the parameter file says name: ${databaseName}`,
    );
  }
  const { fs, clock } = instance.io;
  const controlFilePaths = instance.controlFilePaths;
  if (!statement.reuse) {
    for (const path of controlFilePaths) {
      if (await fs.exists(path)) {
        throw new DbError(
          'FILE_EXISTS',
          `control file '${path}' already exists; CREATE CONTROLFILE REUSE overwrites the copies ` +
            `(if they are sound, mount them instead: ALTER DATABASE MOUNT)`,
        );
      }
    }
  }
  const path = (file: string): string => resolvePath(instance, file);
  const file = (spec: DatafileSpec): RebuildDatafile => ({
    path: path(spec.path),
    ...(spec.sizeBytes === undefined ? {} : { sizeBytes: spec.sizeBytes }),
    autoextend:
      spec.autoextend === undefined || !spec.autoextend.on
        ? null
        : {
            ...(spec.autoextend.nextBytes === undefined ? {} : { nextBytes: spec.autoextend.nextBytes }),
            ...(spec.autoextend.maxBytes === undefined ? {} : { maxBytes: spec.autoextend.maxBytes }),
          },
  });
  const rebuild = await rebuildControlState(
    { fs, clock },
    {
      dbName: statement.name,
      resetlogs: statement.resetlogs,
      logMode: statement.archivelog === true ? 'ARCHIVELOG' : 'NOARCHIVELOG',
      logGroups: statement.logGroups.map((group) => ({
        ...(group.group === undefined ? {} : { number: group.group }),
        members: group.members.map(path),
        ...(group.sizeBytes === undefined ? {} : { sizeBytes: group.sizeBytes }),
      })),
      tablespaces: statement.datafiles.map((item) => ({
        ...(item.tablespace === undefined ? {} : { tablespace: item.tablespace }),
        files: item.datafiles.map(file),
      })),
      controlFilePaths,
      archiveDestinations: instance.archiveDestinations,
    },
  );
  // Every check passed: now replace the copies.
  for (const target of controlFilePaths) {
    await removeFileIfPresent(fs, target);
    await fs.mkdir(parentOf(target), { recursive: true });
  }
  const control = await ControlFiles.create(fs, controlFilePaths, rebuild.state);
  await control.close();
  const { state } = rebuild;
  instance.alert.notice(
    `CREATE CONTROLFILE ${statement.resetlogs ? 'RESETLOGS' : 'NORESETLOGS'}: control files of database ${state.dbName} ` +
      `(id ${state.dbId}) written to ${controlFilePaths.map((target) => `'${target}'`).join(', ')}: ` +
      `${state.datafiles.length} datafiles, ${state.logGroups.length} log groups, checkpoint TSN ${state.checkpoint.tsn}`,
  );
  for (const note of rebuild.notes) instance.alert.notice(`CREATE CONTROLFILE: ${note}`);
  say(out, `control files written to ${controlFilePaths.map((target) => `'${target}'`).join(', ')}`);
  for (const note of rebuild.notes) say(out, note);
  return 'CREATE CONTROLFILE';
}
