import { describe, expect, it } from 'vitest';
import { isDbError } from '../errors.js';
import { Database } from './database.js';
import { defaultControlFilePaths, doublewritePathOf, type StorageIo } from './storage.js';
import { rig as simulatedRig } from '../../test/storage-rig.js';

const rig = (seed = 1): ReturnType<typeof simulatedRig> => simulatedRig(seed);

const DIR = '/db';

const options = {
  controlFilePaths: defaultControlFilePaths(DIR),
  doublewritePath: doublewritePathOf(DIR),
  bufferCacheBlocks: 256,
  lockTimeoutMs: 5_000,
};

async function createDatabase(io: StorageIo): Promise<Database> {
  return Database.create(
    io,
    {
      directory: DIR,
      blockBytes: 4096,
      logSizeBytes: 1024 * 1024,
      tablespaces: [
        { name: 'SYSTEM', kind: 'SYSTEM', sizeBlocks: 64, autoextend: { nextBlocks: 64, maxBlocks: 4096 } },
        { name: 'UNDO', kind: 'UNDO', sizeBlocks: 64, autoextend: { nextBlocks: 64, maxBlocks: 4096 } },
        { name: 'USR', kind: 'USER', sizeBlocks: 64, autoextend: { nextBlocks: 64, maxBlocks: 8192 } },
      ],
    },
    options,
  );
}

async function accounts(db: Database) {
  const table = await db.createTable({
    name: 'accounts',
    columns: [
      { name: 'id', type: 'int4', nullable: false },
      { name: 'owner', type: 'text', nullable: false },
      { name: 'balance', type: 'int8', nullable: false },
    ],
    primaryKey: ['id'],
  });
  await db.createIndex('accounts', { name: 'accounts_owner', columns: ['owner'], unique: true });
  return db.table(table.definition.name);
}

async function all<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('database: tables and transactions', () => {
  it('inserts, reads, updates and deletes rows; commits survive a clean restart', async () => {
    const io = rig();
    const db = await createDatabase(io);
    const table = await accounts(db);
    const txn = db.begin();
    await table.insert(txn, [1, 'ann', 100n]);
    await table.insert(txn, [2, 'bob', 200n]);
    await table.insert(txn, [3, 'cid', 300n]);
    await db.commit(txn);

    const change = db.begin();
    expect(await table.update(change, [2], { balance: 250n })).toBe(true);
    expect(await table.delete(change, [3])).toBe(true);
    expect(await table.update(change, [9], { balance: 1n })).toBe(false);
    await db.commit(change);
    expect(await table.get([2])).toEqual([2, 'bob', 250n]);
    expect(await table.get([3])).toBeUndefined();
    expect(await all(table.lookup('accounts_owner', ['ann']))).toEqual([[1, 'ann', 100n]]);
    await db.close();

    const again = await Database.open(io, options);
    const reopened = again.table('accounts');
    expect(await all(reopened.scan())).toEqual([
      [1, 'ann', 100n],
      [2, 'bob', 250n],
    ]);
    expect(await reopened.checkIndexes()).toEqual([]);
    await again.close();
  });

  it('scans ranges with inclusive and exclusive bounds in both directions', async () => {
    const db = await createDatabase(rig());
    const table = await accounts(db);
    const txn = db.begin();
    for (let id = 1; id <= 20; id++) await table.insert(txn, [id, `owner${id}`, BigInt(id)]);
    await db.commit(txn);
    const ids = async (range: Parameters<typeof table.scan>[0]) => (await all(table.scan(range))).map((row) => row[0]);
    expect(await ids({ lower: { values: [5], inclusive: true }, upper: { values: [8], inclusive: false } })).toEqual([
      5, 6, 7,
    ]);
    expect(await ids({ lower: { values: [5], inclusive: false }, upper: { values: [8], inclusive: true } })).toEqual([
      6, 7, 8,
    ]);
    expect(await ids({ lower: { values: [17], inclusive: true }, direction: 'backward' })).toEqual([20, 19, 18, 17]);
    expect(await ids({ upper: { values: [3], inclusive: true }, direction: 'backward' })).toEqual([3, 2, 1]);
    expect(await ids({ lower: { values: [10], inclusive: true }, limit: 2 })).toEqual([10, 11]);
    await db.close();
  });

  it('reports a duplicate key with TDB-5001 and undoes the whole statement', async () => {
    const db = await createDatabase(rig());
    const table = await accounts(db);
    const txn = db.begin();
    await table.insert(txn, [1, 'ann', 1n]);
    const duplicateKey = await failure(table.insert(txn, [1, 'zed', 1n]));
    expect(isDbError(duplicateKey, 'DUPLICATE_KEY')).toBe(true);
    expect((duplicateKey as { sqlState: string }).sqlState).toBe('23505');
    // The unique index rejects the row after the table took it: the statement is undone.
    const duplicateOwner = await failure(table.insert(txn, [2, 'ann', 1n]));
    expect(isDbError(duplicateOwner, 'DUPLICATE_KEY')).toBe(true);
    await db.commit(txn);
    expect(await table.get([2])).toBeUndefined();
    expect(await table.checkIndexes()).toEqual([]);
    await db.close();
  });

  it('rolls back a transaction, and rolls back to a savepoint', async () => {
    const db = await createDatabase(rig());
    const table = await accounts(db);
    const setup = db.begin();
    await table.insert(setup, [1, 'ann', 100n]);
    await db.commit(setup);

    const txn = db.begin();
    await table.update(txn, [1], { balance: 1n });
    await table.insert(txn, [2, 'bob', 2n]);
    await db.rollback(txn);
    expect(await all(table.scan())).toEqual([[1, 'ann', 100n]]);

    const partial = db.begin();
    await table.insert(partial, [3, 'cid', 3n]);
    db.savepoint(partial, 'a');
    await table.insert(partial, [4, 'dan', 4n]);
    await table.update(partial, [1], { balance: 0n });
    await db.rollbackToSavepoint(partial, 'a');
    await db.commit(partial);
    expect(await all(table.scan())).toEqual([
      [1, 'ann', 100n],
      [3, 'cid', 3n],
    ]);
    expect(await table.checkIndexes()).toEqual([]);
    expect(isDbError(await failure(db.commit(partial)), 'TRANSACTION_NOT_ACTIVE')).toBe(true);
    await db.close();
  });

  it('gives readers the last committed version without waiting, and makes writers wait for the row lock', async () => {
    const db = await createDatabase(rig());
    const table = await accounts(db);
    const setup = db.begin();
    await table.insert(setup, [1, 'ann', 100n]);
    await db.commit(setup);

    const writer = db.begin();
    await table.update(writer, [1], { balance: 5n });
    expect(await table.get([1])).toEqual([1, 'ann', 100n]);
    expect(await table.get([1], { txn: writer })).toEqual([1, 'ann', 5n]);

    const second = db.begin();
    let secondDone = false;
    const waiting = table.update(second, [1], { balance: 7n }).then(() => (secondDone = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(secondDone).toBe(false);
    await db.commit(writer);
    await waiting;
    await db.commit(second);
    expect(await table.get([1])).toEqual([1, 'ann', 7n]);
    await db.close();
  });

  it('keeps a snapshot read-consistent while other transactions commit, and frees the undo once it closes', async () => {
    const db = await createDatabase(rig());
    const table = await accounts(db);
    const setup = db.begin();
    await table.insert(setup, [1, 'ann', 100n]);
    await table.insert(setup, [2, 'bob', 200n]);
    await db.commit(setup);

    const snapshot = db.transactions.takeSnapshot();
    const view = { snapshot };
    const writer = db.begin();
    await table.update(writer, [1], { balance: 1n });
    await table.delete(writer, [2]);
    await table.insert(writer, [3, 'cid', 300n]);
    await db.commit(writer);
    await db.transactions.drain();

    // The snapshot predates the commit: it sees the rows as they were, through the undo.
    expect(await all(table.scan({}, view))).toEqual([
      [1, 'ann', 100n],
      [2, 'bob', 200n],
    ]);
    expect(await table.get([3], view)).toBeUndefined();
    expect(await all(table.lookup('accounts_owner', ['bob'], view))).toEqual([[2, 'bob', 200n]]);
    expect(await all(table.lookup('accounts_owner', ['cid'], view))).toEqual([]);
    // A snapshot taken after it, and a read without one, see the commit.
    const later = db.transactions.takeSnapshot();
    expect(await all(table.scan({}, { snapshot: later }))).toEqual([
      [1, 'ann', 1n],
      [3, 'cid', 300n],
    ]);
    expect(await all(table.scan())).toEqual(await all(table.scan({}, { snapshot: later })));
    db.transactions.releaseSnapshot(later);

    db.transactions.releaseSnapshot(snapshot);
    await db.transactions.drain();
    expect(db.transactions.openSnapshotCount).toBe(0);
    // With the snapshot gone the tombstone is purged and the rows read the same.
    expect(await all(table.scan())).toEqual([
      [1, 'ann', 1n],
      [3, 'cid', 300n],
    ]);
    expect(await table.checkIndexes()).toEqual([]);
    await db.close();
  });

  it('rebuilds a table under a new primary key, refuses duplicates, and truncates', async () => {
    const io = rig();
    const db = await createDatabase(io);
    await db.createTable({
      name: 'loose',
      columns: [
        { name: 'id', type: 'int4', nullable: true },
        { name: 'name', type: 'text', nullable: true },
      ],
    });
    await db.createIndex('loose', { name: 'loose_name', columns: ['name'] });
    const txn = db.begin();
    for (let i = 1; i <= 300; i++) await db.table('loose').insert(txn, [301 - i, `n${i % 7}`]);
    await db.commit(txn);

    const withKey = await db.rebuildTable(
      'loose',
      (definition) => ({ ...definition, primaryKey: ['id'] }),
      (old) => old.scan(),
    );
    expect(await withKey.get([42])).toEqual([42, 'n0']);
    expect((await all(withKey.scan({ limit: 3 }))).map((row) => row[0])).toEqual([1, 2, 3]);
    expect((await all(withKey.lookup('loose_name', ['n3']))).length).toBe(43);
    expect(await withKey.checkIndexes()).toEqual([]);

    const dup = db.begin();
    await db.createTable({ name: 'twice', columns: [{ name: 'k', type: 'int4', nullable: true }] });
    await db.table('twice').insert(dup, [1]);
    await db.table('twice').insert(dup, [1]);
    await db.commit(dup);
    const refused = await failure(
      db.rebuildTable(
        'twice',
        (definition) => ({ ...definition, primaryKey: ['k'] }),
        (old) => old.scan(),
      ),
    );
    expect(isDbError(refused, 'DUPLICATE_KEY')).toBe(true);
    expect(db.table('twice').definition.primaryKey).toEqual([]);
    expect((await all(db.table('twice').scan())).length).toBe(2);

    await db.rebuildTable(
      'loose',
      (definition) => definition,
      () => [],
    );
    expect(await all(db.table('loose').scan())).toEqual([]);
    await db.close();

    const again = await Database.open(io, options);
    expect(again.table('loose').definition.primaryKey).toEqual(['id']);
    expect(again.table('loose').definition.garbage).toBeUndefined();
    expect(await all(again.table('loose').scan())).toEqual([]);
    expect((await all(again.table('twice').scan())).length).toBe(2);
    await again.close();
  });

  it('detects a deadlock with TDB-5009', async () => {
    const db = await createDatabase(rig());
    const table = await accounts(db);
    const setup = db.begin();
    await table.insert(setup, [1, 'ann', 1n]);
    await table.insert(setup, [2, 'bob', 2n]);
    await db.commit(setup);
    const a = db.begin();
    const b = db.begin();
    await table.update(a, [1], { balance: 10n });
    await table.update(b, [2], { balance: 20n });
    const aWaits = table.update(a, [2], { balance: 11n });
    await new Promise((resolve) => setImmediate(resolve));
    const deadlock = await failure(table.update(b, [1], { balance: 21n }));
    expect(isDbError(deadlock, 'DEADLOCK')).toBe(true);
    await db.rollback(b);
    await aWaits;
    await db.commit(a);
    expect(await all(table.scan())).toEqual([
      [1, 'ann', 10n],
      [2, 'bob', 11n],
    ]);
    await db.close();
  });

  it('reuses the space of deleted rows, and frees a dropped table', async () => {
    const db = await createDatabase(rig());
    const table = await accounts(db);
    const usr = db.storage.control.state.datafiles.find((file) => file.path.endsWith('usr001.dtf'))!.number;
    const fill = async () => {
      const txn = db.begin();
      for (let id = 0; id < 400; id++) await table.insert(txn, [id, `owner-${id}-${'x'.repeat(40)}`, 0n]);
      await db.commit(txn);
    };
    await fill();
    const full = db.storage.space.usedBlocks(usr);
    const clear = db.begin();
    for (let id = 0; id < 400; id++) await table.delete(clear, [id]);
    await db.commit(clear);
    await db.transactions.drain();
    expect(db.storage.space.usedBlocks(usr)).toBeLessThan(full);
    await fill();
    await db.transactions.drain();
    expect(db.storage.space.usedBlocks(usr)).toBeLessThanOrEqual(full);
    await db.dropTable('accounts');
    expect(db.storage.space.usedBlocks(usr)).toBe(0);
    expect(isDbError(await failure(Promise.resolve().then(() => db.table('accounts'))), 'NO_SUCH_TABLE')).toBe(true);
    await db.close();
  });

  it('drops an index and frees its blocks, and places new tables in an added datafile', async () => {
    const io = rig();
    const db = await createDatabase(io);
    const table = await accounts(db);
    const txn = db.begin();
    for (let id = 0; id < 200; id++) await table.insert(txn, [id, `owner-${id}`, 0n]);
    await db.commit(txn);
    const usr = db.storage.control.state.datafiles.find((file) => file.path.endsWith('usr001.dtf'))!.number;
    const before = db.storage.space.usedBlocks(usr);
    await db.dropIndex('accounts', 'accounts_owner');
    expect(db.storage.space.usedBlocks(usr)).toBeLessThan(before);
    expect(
      isDbError(
        await failure((async () => all(db.table('accounts').lookup('accounts_owner', ['owner-1'])))()),
        'NO_SUCH_INDEX',
      ),
    ).toBe(true);

    const added = await db.addDatafile('USR', { path: '/db/usr002.dtf', sizeBlocks: 64 });
    const moved = await db.createTable({
      name: 'later',
      columns: [{ name: 'id', type: 'int4', nullable: false }],
      primaryKey: ['id'],
    });
    expect(moved.definition.root.fileNumber).toBe(added);
    const more = db.begin();
    for (let id = 0; id < 50; id++) await moved.insert(more, [id]);
    await db.commit(more);
    await db.close();
    const again = await Database.open(io, options);
    expect((await all(again.table('later').scan())).length).toBe(50);
    expect(again.storage.control.state.datafiles.map((file) => file.path)).toContain('/db/usr002.dtf');
    await again.close();
  });

  it('builds an index over existing rows, and keys tables without a primary key by a hidden row id', async () => {
    const io = rig();
    const db = await createDatabase(io);
    const log = await db.createTable({
      name: 'events',
      columns: [
        { name: 'kind', type: 'text', nullable: false },
        { name: 'at', type: 'timestamp', nullable: true },
      ],
    });
    const txn = db.begin();
    for (let i = 0; i < 30; i++) await log.insert(txn, [i % 3 === 0 ? 'boot' : 'tick', BigInt(i)]);
    await db.commit(txn);
    await db.createIndex('events', { name: 'events_kind', columns: ['kind'] });
    const events = db.table('events');
    expect((await all(events.lookup('events_kind', ['boot']))).length).toBe(10);
    expect(await events.checkIndexes()).toEqual([]);
    await db.close();
    const again = await Database.open(io, options);
    const more = again.begin();
    await again.table('events').insert(more, ['late', 99n]);
    await again.commit(more);
    expect((await all(again.table('events').scan())).length).toBe(31);
    await again.close();
  });
});
