// The bank workload under seeded crash simulation (Jepsen's bank test, on a crashing
// disk): concurrent transfers between accounts, each with a history row in the same
// transaction; the disk crashes at a random operation, keeping, dropping or tearing each
// unsynced write; the database is reopened and must hold every acknowledged transfer, no
// effect of a transfer that was rolled back, an unchanged total, and indexes that agree
// with their tables.
import { FileSystemError, SeededRandom, seedFromEnvironment, type Random } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import { DbError, isDbError } from '../errors.js';
import { runWithRetry, type BlockSource } from '../txn/mini-transaction.js';
import { Database } from './database.js';
import { defaultControlFilePaths, doublewritePathOf, type StorageIo } from './storage.js';
import { BANK_ACCOUNTS, createBankTables, verifyBank } from '../../test/bank.js';
import { rig } from '../../test/storage-rig.js';

const DIR = '/db';
const ACCOUNTS = BANK_ACCOUNTS;
const options = {
  controlFilePaths: defaultControlFilePaths(DIR),
  doublewritePath: doublewritePathOf(DIR),
  bufferCacheBlocks: 40,
  lockTimeoutMs: 60_000,
};

async function setup(io: StorageIo): Promise<Database> {
  const db = await Database.create(
    io,
    {
      directory: DIR,
      blockBytes: 4096,
      logSizeBytes: 640 * 1024,
      tablespaces: [
        { name: 'SYSTEM', kind: 'SYSTEM', sizeBlocks: 32, autoextend: { nextBlocks: 32, maxBlocks: 4096 } },
        { name: 'UNDO', kind: 'UNDO', sizeBlocks: 32, autoextend: { nextBlocks: 32, maxBlocks: 4096 } },
        { name: 'USR', kind: 'USER', sizeBlocks: 32, autoextend: { nextBlocks: 32, maxBlocks: 4096 } },
      ],
    },
    { ...options, undoSegments: 2 },
  );
  await createBankTables(db);
  return db;
}

interface Ledger {
  readonly acknowledged: Set<bigint>;
  readonly rolledBack: Set<bigint>;
  nextId: bigint;
}

async function transfers(db: Database, random: Random, ledger: Ledger, perSession: number): Promise<void> {
  const accounts = db.table('accounts');
  const history = db.table('history');
  const session = async (): Promise<void> => {
    for (let step = 0; step < perSession; step++) {
      const id = ledger.nextId++;
      const src = random.int(0, ACCOUNTS);
      const dst = (src + random.int(1, ACCOUNTS)) % ACCOUNTS;
      const amount = BigInt(random.int(1, 50));
      const abort = random.chance(0.1);
      const roll = random.nextFloat();
      let txn;
      try {
        if (roll < 0.04) await db.storage.checkpointer.incremental(random.int(1, 10));
        else if (roll < 0.06) await db.switchLogfile();
        txn = db.begin();
        await accounts.update(txn, [src], (row) => ({ balance: (row[2] as bigint) - amount }));
        await accounts.update(txn, [dst], (row) => ({ balance: (row[2] as bigint) + amount }));
        await history.insert(txn, [id, src, dst, amount]);
        if (abort) {
          await db.rollback(txn);
          ledger.rolledBack.add(id);
        } else {
          await db.commit(txn);
          ledger.acknowledged.add(id);
        }
      } catch (error) {
        if (isDbError(error, 'DEADLOCK') && txn !== undefined && txn.state === 'active') {
          await db.rollback(txn).catch(() => undefined);
          continue;
        }
        // Anything but the crash and its fallout is a bug.
        if (!(error instanceof FileSystemError || error instanceof DbError)) throw error;
        // The disk froze: the machine is going down, and with it every waiting session.
        db.transactions.abortAll(new DbError('INSTANCE_DOWN', `simulated crash: ${String(error)}`));
        return;
      }
    }
  };
  await Promise.all([session(), session(), session(), session()]);
}

async function verify(db: Database, ledger: Ledger, label: string): Promise<void> {
  await verifyBank(db, ledger.acknowledged, ledger.rolledBack, label);
  for (const name of ['accounts', 'history']) {
    for (const tree of db.table(name).trees()) {
      const problems = await runWithRetry(
        () => db.storage.cache as BlockSource,
        (source) => tree.check(source),
      );
      expect(problems, `${label}: ${name} tree ${tree.objectNumber}`).toEqual([]);
    }
  }
}

describe('bank workload under crash simulation', () => {
  it('keeps every acknowledged transfer and the total through crashes at random points (seeded)', async () => {
    const baseSeed = seedFromEnvironment();
    const runs = Number(process.env.TANDEM_BANK_RUNS ?? 150);
    let rolledBackAtRecovery = 0;
    for (let run = 0; run < runs; run++) {
      const seed = baseSeed + run;
      const label = `seed ${seed}`;
      const io = rig(seed);
      const random = new SeededRandom(seed);
      const db = await setup(io);
      const ledger: Ledger = { acknowledged: new Set(), rolledBack: new Set(), nextId: 1n };
      io.fs.crashAfterOperations(random.int(1, 1500));
      await transfers(db, random, ledger, 25);
      io.fs.crash();

      const recovered = await Database.open(io, options).catch((error: unknown) => {
        throw new Error(`${label}: OPEN after a crash failed: ${String(error)}\n${io.alert.lines.slice(-20).join('')}`);
      });
      rolledBackAtRecovery += recovered.recovery.rolledBack;
      await verify(recovered, ledger, label);
      // The recovered database goes on working, and shuts down cleanly.
      await transfers(recovered, random, ledger, 3);
      await verify(recovered, ledger, `${label} (after more transfers)`);
      await recovered.close();
    }
    // Crashes hit transactions in flight, which transaction recovery rolled back.
    expect(rolledBackAtRecovery).toBeGreaterThan(0);
  });
});
