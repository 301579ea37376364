// The bank workload's schema and its invariants, shared by the crash simulation and the
// kill -9 test: accounts, and a history row per transfer written in the same transaction.
// After any crash: every acknowledged transfer is in the history, no rolled-back one is,
// each balance equals its initial value plus the transfers present, the total is
// unchanged, and every index agrees with its table.
import { expect } from 'vitest';
import type { Database } from '../src/instance/database.js';

export const BANK_ACCOUNTS = 12;
export const BANK_INITIAL_BALANCE = 1000n;

export async function createBankTables(db: Database): Promise<void> {
  await db.createTable({
    name: 'accounts',
    columns: [
      { name: 'id', type: 'int4', nullable: false },
      { name: 'branch', type: 'int4', nullable: false },
      { name: 'balance', type: 'int8', nullable: false },
    ],
    primaryKey: ['id'],
  });
  await db.createIndex('accounts', { name: 'accounts_branch', columns: ['branch'] });
  await db.createTable({
    name: 'history',
    columns: [
      { name: 'id', type: 'int8', nullable: false },
      { name: 'src', type: 'int4', nullable: false },
      { name: 'dst', type: 'int4', nullable: false },
      { name: 'amount', type: 'int8', nullable: false },
    ],
    primaryKey: ['id'],
  });
  await db.createIndex('history', { name: 'history_src', columns: ['src'] });
  const txn = db.begin();
  for (let id = 0; id < BANK_ACCOUNTS; id++) await db.table('accounts').insert(txn, [id, id % 3, BANK_INITIAL_BALANCE]);
  await db.commit(txn);
}

/** Checks the bank's invariants; `label` (with the seed) prefixes every failure. */
export async function verifyBank(
  db: Database,
  acknowledged: ReadonlySet<bigint>,
  rolledBack: ReadonlySet<bigint>,
  label: string,
): Promise<void> {
  const balances = new Map<number, bigint>();
  for await (const row of db.table('accounts').scan()) balances.set(row[0] as number, row[2] as bigint);
  const expected = new Map<number, bigint>(
    Array.from({ length: BANK_ACCOUNTS }, (_, id) => [id, BANK_INITIAL_BALANCE]),
  );
  const present = new Set<bigint>();
  for await (const row of db.table('history').scan()) {
    const [id, src, dst, amount] = row as [bigint, number, number, bigint];
    present.add(id);
    expected.set(src, expected.get(src)! - amount);
    expected.set(dst, expected.get(dst)! + amount);
  }
  for (const id of acknowledged) expect(present.has(id), `${label}: acknowledged transfer ${id} lost`).toBe(true);
  for (const id of rolledBack) expect(present.has(id), `${label}: rolled-back transfer ${id} present`).toBe(false);
  expect(balances, `${label}: balances disagree with the history`).toEqual(expected);
  const total = [...balances.values()].reduce((sum, value) => sum + value, 0n);
  expect(total, `${label}: total changed`).toBe(BANK_INITIAL_BALANCE * BigInt(BANK_ACCOUNTS));
  for (const name of ['accounts', 'history']) {
    expect(await db.table(name).checkIndexes(), `${label}: ${name} indexes`).toEqual([]);
  }
}
