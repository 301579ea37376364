import { ManualClock, SeededRandom, SimulatedFileSystem } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import { isDbError } from '../errors.js';
import { Instance, type InstanceParameters } from './instance.js';

const parameters: InstanceParameters = { directory: '/db', bufferCacheBlocks: 128 };
const spec = {
  blockBytes: 4096,
  logSizeBytes: 1024 * 1024,
  tablespaces: [
    { name: 'SYSTEM', kind: 'SYSTEM' as const, sizeBlocks: 64 },
    { name: 'UNDO', kind: 'UNDO' as const, sizeBlocks: 64, autoextend: { nextBlocks: 64, maxBlocks: 4096 } },
    { name: 'TEMP', kind: 'TEMP' as const, sizeBlocks: 16 },
    { name: 'USR', kind: 'USER' as const, sizeBlocks: 64, autoextend: { nextBlocks: 64, maxBlocks: 4096 } },
  ],
};

function io() {
  const clock = new ManualClock();
  return { fs: new SimulatedFileSystem({ random: new SeededRandom(9), clock }), clock };
}

async function created(disk = io()) {
  const instance = new Instance(disk, parameters);
  await instance.nomount();
  await instance.createDatabase(spec);
  await instance.createTable({
    name: 'items',
    columns: [
      { name: 'id', type: 'int4', nullable: false },
      { name: 'label', type: 'text', nullable: true },
    ],
    primaryKey: ['id'],
  });
  return { instance, disk };
}

async function alertLog(disk: ReturnType<typeof io>): Promise<string> {
  return new TextDecoder().decode(await disk.fs.readFile('/db/alert.log'));
}

async function error(promise: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (caught) {
    return caught;
  }
  return undefined;
}

async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('instance: boot stages', () => {
  it('goes through NOMOUNT, MOUNT and OPEN, and refuses work in the wrong stage', async () => {
    const { instance, disk } = await created();
    await instance.shutdown('IMMEDIATE');
    expect(instance.stage).toBe('SHUTDOWN');
    expect(isDbError(await error(() => instance.database), 'WRONG_INSTANCE_STATE')).toBe(true);
    expect(isDbError(await error(instance.mount()), 'WRONG_INSTANCE_STATE')).toBe(true);

    await instance.nomount();
    expect(instance.stage).toBe('NOMOUNT');
    expect(isDbError(await error(() => instance.controlFiles), 'WRONG_INSTANCE_STATE')).toBe(true);
    await instance.mount();
    expect(instance.stage).toBe('MOUNT');
    expect(instance.controlFiles.state.dbName).toBe('tandem');
    expect(isDbError(await error(() => instance.connect()), 'WRONG_INSTANCE_STATE')).toBe(true);
    await instance.open();
    expect(instance.stage).toBe('OPEN');
    await instance.shutdown('IMMEDIATE');

    const log = await alertLog(disk);
    const order = [
      'instance started: NOMOUNT',
      'instance stage: MOUNT',
      'instance stage: OPEN',
      'shutdown IMMEDIATE complete',
    ];
    let at = 0;
    for (const line of order) {
      const found = log.indexOf(line, at);
      expect(found, `alert log lacks '${line}' after position ${at}`).toBeGreaterThanOrEqual(0);
      at = found;
    }
    expect(
      log
        .split('\n')
        .filter((line) => line !== '')
        .every((line) => /^\S+ \[(notice|warning|error|alert)\] /.test(line)),
    ).toBe(true);
  });

  it('fails OPEN naming a datafile restored from an old copy, and stays in NOMOUNT', async () => {
    const { instance, disk } = await created();
    await instance.shutdown('IMMEDIATE');
    const oldCopy = await disk.fs.readFile('/db/usr001.dtf');
    await instance.boot();
    const session = instance.connect();
    await instance.table('items').insert(session.current(), [1, 'one']);
    await session.commit();
    // Four switches through the three groups overwrite the redo the old copy would need.
    for (let i = 0; i < 4; i++) await instance.database.switchLogfile();
    await instance.shutdown('IMMEDIATE');
    const handle = await disk.fs.open('/db/usr001.dtf', { truncate: true });
    await handle.write(oldCopy, 0);
    await handle.close();

    await instance.nomount();
    const failure = await error(instance.open());
    expect(isDbError(failure, 'MEDIA_RECOVERY_NEEDED')).toBe(true);
    expect((failure as Error).message).toContain("'/db/usr001.dtf'");
    expect((failure as Error).message).toContain('media recovery is needed');
    expect(instance.stage).toBe('NOMOUNT');
    expect(await alertLog(disk)).toMatch(/\[error\] OPEN failed: TDB-4002/);
  });

  it('fails boot when every member of the current log group is missing, and warns for a single missing member', async () => {
    const { instance, disk } = await created();
    await instance.shutdown('IMMEDIATE');
    await disk.fs.unlink('/db/redo02b.log');
    await instance.boot();
    expect(await alertLog(disk)).toMatch(/\[warning\] .*redo02b\.log/);
    await instance.shutdown('IMMEDIATE');

    const current = await (async () => {
      await instance.nomount();
      await instance.mount();
      const group = instance.controlFiles.state.logGroups.find((entry) => entry.state === 'CURRENT')!;
      await instance.shutdown('IMMEDIATE');
      return group;
    })();
    for (const member of current.members) await disk.fs.unlink(member.path).catch(() => undefined);
    await instance.nomount();
    const failure = await error(instance.open());
    expect(isDbError(failure, 'REDO_LOG_MISSING'), String(failure)).toBe(true);
    expect(instance.stage).toBe('NOMOUNT');
  });

  it('refuses to create a database with fewer than two control files, before writing anything', async () => {
    const disk = io();
    const instance = new Instance(disk, { ...parameters, controlFiles: ['/db/only.ctl'] });
    await instance.nomount();
    const failure = await error(instance.createDatabase(spec));
    expect(isDbError(failure, 'INVALID_PARAMETER')).toBe(true);
    expect((failure as Error).message).toContain('at least 2 control files');
    expect((await disk.fs.list('/db')).filter((name) => name !== 'alert.log')).toEqual([]);
  });

  it('recreates a missing TEMP file at boot', async () => {
    const { instance, disk } = await created();
    await instance.shutdown('IMMEDIATE');
    await disk.fs.unlink('/db/temp001.dtf');
    await instance.boot();
    expect(await disk.fs.exists('/db/temp001.dtf')).toBe(true);
    expect(await alertLog(disk)).toMatch(
      /\[notice\] temp file 3 \('\/db\/temp001\.dtf'\) of tablespace TEMP was missing and has been recreated/,
    );
    await instance.shutdown('IMMEDIATE');
  });
});

describe('instance: shutdown modes', () => {
  it('NORMAL waits for every session to end and refuses new ones meanwhile', async () => {
    const { instance } = await created();
    const session = instance.connect();
    const down = instance.shutdown('NORMAL');
    expect(await settled(down)).toBe(false);
    expect(isDbError(await error(() => instance.connect()), 'SHUTDOWN_IN_PROGRESS')).toBe(true);
    await instance.table('items').insert(session.current(), [1, 'still working']);
    await session.commit();
    await session.close();
    await down;
    expect(instance.stage).toBe('SHUTDOWN');
  });

  it('POST_TX waits for active transactions, refuses new ones, then closes the sessions', async () => {
    const { instance, disk } = await created();
    const busy = instance.connect();
    const idle = instance.connect();
    await instance.table('items').insert(busy.current(), [1, 'in flight']);
    const down = instance.shutdown('POST_TX');
    expect(await settled(down)).toBe(false);
    expect(isDbError(await error(() => idle.current()), 'SHUTDOWN_IN_PROGRESS')).toBe(true);
    await busy.commit();
    await down;
    expect(idle.closed && busy.closed).toBe(true);
    await instance.boot();
    expect(await instance.table('items').get([1])).toEqual([1, 'in flight']);
    expect(await alertLog(disk)).not.toMatch(/crash recovery/);
    await instance.shutdown('IMMEDIATE');
  });

  it('IMMEDIATE rolls back active transactions and stops cleanly', async () => {
    const { instance, disk } = await created();
    const first = instance.connect();
    await instance.table('items').insert(first.current(), [1, 'committed']);
    await first.commit();
    const second = instance.connect();
    await instance.table('items').insert(second.current(), [2, 'never committed']);
    const embedded = instance.database.begin();
    await instance.table('items').insert(embedded, [3, 'outside any session']);
    await instance.shutdown('IMMEDIATE');
    await instance.boot();
    expect(await instance.table('items').get([1])).toEqual([1, 'committed']);
    expect(await instance.table('items').get([2])).toBeUndefined();
    expect(await instance.table('items').get([3])).toBeUndefined();
    // IMMEDIATE itself rolled back: the next OPEN had nothing to recover.
    expect(await alertLog(disk)).not.toMatch(/crash recovery|transaction recovery/);
    await instance.shutdown('IMMEDIATE');
  });

  it('ABORT stops at once; the next OPEN runs crash recovery and keeps exactly the committed work', async () => {
    const { instance, disk } = await created();
    const first = instance.connect();
    await instance.table('items').insert(first.current(), [1, 'committed']);
    await first.commit();
    const second = instance.connect();
    await instance.table('items').insert(second.current(), [2, 'in flight']);
    await instance.shutdown('ABORT');
    expect(instance.stage).toBe('SHUTDOWN');
    await instance.boot();
    expect(await instance.table('items').get([1])).toEqual([1, 'committed']);
    expect(await instance.table('items').get([2])).toBeUndefined();
    const log = await alertLog(disk);
    expect(log).toMatch(/\[warning\] shutdown ABORT/);
    expect(log).toMatch(/\[notice\] crash recovery: rolled forward \d+ redo records/);
    expect(log).toMatch(/\[notice\] transaction recovery: rolled back 1 uncommitted transactions/);
    await instance.shutdown('IMMEDIATE');
  });
});
