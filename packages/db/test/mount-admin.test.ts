// MOUNT-stage administration: ALTER DATABASE RENAME FILE for datafiles and log members
// (the operator moved the file first), ARCHIVELOG / NOARCHIVELOG after a clean shutdown
// only, CLEAR LOGFILE GROUP, and the boot check of the online logs.
import { describe, expect, it } from 'vitest';
import { ControlFiles } from '../src/control/control-file.js';
import {
  clearLogGroup,
  renameDatafile,
  renameLogMember,
  setLogMode,
  verifyOnlineLogs,
} from '../src/instance/mount-admin.js';
import {
  alertLines,
  cleanDatabase,
  CONTROL_PATHS,
  DIR,
  expectDbError,
  expectLedger,
  group,
  increment,
  memberPath,
  memberStatus,
  open,
  rejection,
  type Rig,
  switchInto,
  SYSTEM_PATH,
  USR_PATH,
} from './storage-rig.js';

async function mount(r: Rig): Promise<ControlFiles> {
  const { control } = await ControlFiles.mount(r.fs, CONTROL_PATHS);
  return control;
}

async function copyFile(r: Rig, from: string, to: string): Promise<void> {
  const handle = await r.fs.open(to, { create: true, exclusive: true });
  await handle.write(await r.fs.readFile(from), 0);
  await handle.sync();
  await handle.close();
}

/** A clean database, and a second directory to move files to (made before it opened, as before). */
function cleanDatabaseWithDisk2(seed: number): ReturnType<typeof cleanDatabase> {
  return cleanDatabase(seed, (r) => r.fs.mkdir('/disk2'));
}

describe('MOUNT-stage administration', () => {
  it('renames a datafile the operator moved, and the database opens from the new path', async () => {
    const { r, counters, ledger } = await cleanDatabaseWithDisk2(41);
    const moved = '/disk2/usr001.dtf';
    await r.fs.rename(USR_PATH, moved);
    await r.fs.syncDirectory('/disk2');
    expectDbError(await rejection(open(r)), 'DATAFILE_MISSING', USR_PATH);

    const control = await mount(r);
    await renameDatafile(control, r.fs, USR_PATH, moved, r.alert);
    await control.close();
    expect(
      alertLines(r, /\[notice\] ALTER DATABASE RENAME FILE '\/db\/usr001\.dtf' TO '\/disk2\/usr001\.dtf'/),
    ).toHaveLength(1);

    const storage = await open(r);
    expect(storage.datafiles.get(2)?.path).toBe(moved);
    await expectLedger(storage, counters, ledger);
    await increment(storage, counters, 0, ledger);
    await storage.close();
  });

  it('refuses to rename a datafile to a missing file, to another datafile, or to a path the database uses', async () => {
    const { r } = await cleanDatabaseWithDisk2(42);
    const control = await mount(r);
    const before = control.changeSequence;

    expectDbError(
      await rejection(renameDatafile(control, r.fs, USR_PATH, '/disk2/usr001.dtf')),
      'DATAFILE_MISSING',
      'move the file first',
    );
    // A copy of the SYSTEM datafile is not datafile 2.
    await copyFile(r, SYSTEM_PATH, '/disk2/other.dtf');
    expectDbError(
      await rejection(renameDatafile(control, r.fs, USR_PATH, '/disk2/other.dtf')),
      'DATAFILE_MISMATCH',
      `'/disk2/other.dtf' is datafile 1`,
    );
    expectDbError(await rejection(renameDatafile(control, r.fs, USR_PATH, SYSTEM_PATH)), 'FILE_EXISTS', 'datafile 1');
    expectDbError(
      await rejection(renameDatafile(control, r.fs, `${DIR}/nothing.dtf`, '/disk2/other.dtf')),
      'NO_SUCH_DATABASE_FILE',
    );
    expect(control.changeSequence).toBe(before);
    expect(control.state.datafiles.map((entry) => entry.path)).toEqual([SYSTEM_PATH, USR_PATH]);
    await control.close();
  });

  it('renames a log member the operator moved; LGWR writes it at the new path; refuses a member of another group', async () => {
    const { r, counters, ledger } = await cleanDatabaseWithDisk2(43);
    const from = memberPath(2, 'b');
    const moved = '/disk2/redo02b.log';
    await r.fs.rename(from, moved);
    await r.fs.syncDirectory('/disk2');

    const control = await mount(r);
    expect((await verifyOnlineLogs(control, r.fs)).warnings.join('\n')).toContain(`'${from}' of group 2 is missing`);
    await copyFile(r, memberPath(3, 'a'), '/disk2/redo03a-copy.log');
    expectDbError(
      await rejection(renameLogMember(control, r.fs, from, '/disk2/redo03a-copy.log')),
      'REDO_LOG_MISMATCH',
      'member of log group 3',
      'not of group 2',
    );
    await copyFile(r, USR_PATH, '/disk2/not-a-log.log');
    expectDbError(
      await rejection(renameLogMember(control, r.fs, from, '/disk2/not-a-log.log')),
      'REDO_LOG_HEADER_CORRUPT',
      '/disk2/not-a-log.log',
    );
    expectDbError(await rejection(renameLogMember(control, r.fs, from, '/disk2/none.log')), 'REDO_LOG_MISSING');
    expectDbError(await rejection(renameLogMember(control, r.fs, from, memberPath(1, 'a'))), 'FILE_EXISTS');
    await renameLogMember(control, r.fs, from, moved, r.alert);
    expect((await verifyOnlineLogs(control, r.fs)).warnings).toEqual([]);
    await control.close();

    const storage = await open(r);
    expect(memberStatus(storage, moved)).toBe('VALID');
    expect(memberStatus(storage, from)).toBeUndefined();
    await switchInto(storage, 2);
    await increment(storage, counters, 1, ledger);
    expect(alertLines(r, /TDB-2002/)).toEqual([]);
    expect(group(storage, 2).members.map((member) => member.path)).toEqual([memberPath(2, 'a'), moved]);
    await storage.close();
    const again = await open(r);
    await expectLedger(again, counters, ledger);
    await again.close();
  });

  it('changes the log mode only after a clean shutdown', async () => {
    const { r } = await cleanDatabaseWithDisk2(44);
    await open(r);
    r.fs.crash(); // the instance dies: the control file says it was running

    let control = await mount(r);
    expectDbError(await rejection(setLogMode(control, 'ARCHIVELOG')), 'WRONG_INSTANCE_STATE', 'not shut down cleanly');
    expect(control.state.logMode).toBe('NOARCHIVELOG');
    await control.close();

    // Open (crash recovery), shut down cleanly, mount, and then it is allowed.
    const recovered = await open(r);
    await recovered.close();
    control = await mount(r);
    await setLogMode(control, 'ARCHIVELOG', r.alert);
    expect(control.state.logMode).toBe('ARCHIVELOG');
    await control.close();
    expect(
      alertLines(r, /\[notice\] ALTER DATABASE ARCHIVELOG: log mode changed from NOARCHIVELOG to ARCHIVELOG/),
    ).toHaveLength(1);

    const archiving = await open(r);
    expect(archiving.control.state.logMode).toBe('ARCHIVELOG');
    await archiving.close();
    control = await mount(r);
    await setLogMode(control, 'NOARCHIVELOG');
    expect(control.state.logMode).toBe('NOARCHIVELOG');
    await control.close();
  });

  it('clears only an INACTIVE or UNUSED log group, and the boot check names a group with no member left', async () => {
    const { r } = await cleanDatabaseWithDisk2(45);
    const storage = await open(r);
    await storage.redo.switchLogfile(); // group 1 is ACTIVE, group 2 CURRENT
    r.fs.crash();

    const control = await mount(r);
    expect(control.state.logGroups.map((entry) => entry.state)).toEqual(['ACTIVE', 'CURRENT', 'UNUSED']);
    expectDbError(await rejection(clearLogGroup(control, r.fs, 1, { clock: r.clock })), 'REDO_LOG_IN_USE', 'ACTIVE');
    expectDbError(await rejection(clearLogGroup(control, r.fs, 2, { clock: r.clock })), 'REDO_LOG_IN_USE', 'CURRENT');
    expectDbError(await rejection(clearLogGroup(control, r.fs, 9, { clock: r.clock })), 'REDO_LOG_CONFIG');

    // Group 3 (UNUSED) loses both members: the boot check fails, clearing repairs it.
    for (const letter of ['a', 'b'] as const) await r.fs.unlink(memberPath(3, letter));
    expectDbError(
      await rejection(verifyOnlineLogs(control, r.fs)),
      'REDO_LOG_MISSING',
      'UNUSED log group 3',
      'CLEAR LOGFILE GROUP 3',
    );
    await clearLogGroup(control, r.fs, 3, { clock: r.clock });
    expect((await verifyOnlineLogs(control, r.fs)).warnings).toEqual([]);
    await control.close();
    const reopened = await open(r);
    await switchInto(reopened, 3);
    await reopened.close();
  });
});
