// Transactions: slots in the undo segments' transaction tables, versioned changes to
// B+trees (each change and its undo record in one mini-transaction), row locks (a writer
// waits for the transaction that last wrote the row, with deadlock detection), commit
// (the redo record that flips the slot to COMMITTED, flagged COMMIT, then a flush),
// rollback and savepoints (undo records applied newest first, each in its own mtr so a
// crash mid-rollback resumes), and transaction recovery at OPEN: every slot still ACTIVE
// belongs to a transaction that never committed, and is rolled back.
import { assert } from '../assert.js';
import { DbError } from '../errors.js';
import type { BTree } from '../access/btree.js';
import { decodeRowVersion, encodeRowVersion, type RowVersion } from '../access/row-version.js';
import { RedoFlag } from '../redo/redo-record.js';
import { BlockType, blockType, type BlockAddress } from '../storage/block.js';
import type { Storage } from '../instance/storage.js';
import { RetryAfter, runWithRetry, type BlockSource, type MiniTransaction } from './mini-transaction.js';
import {
  decodeUndoRecord,
  encodeSlot,
  encodeUndoRecord,
  maxUndoRecordBytes,
  readSlot,
  readSegmentNumber,
  readSlotCount,
  segmentHeaderInit,
  SlotState,
  slotOffset,
  slotsPerSegment,
  transactionId,
  u16Bytes,
  UNDO_BLOCK_END_OFFSET,
  UNDO_BLOCK_RECORDS_OFFSET,
  undoBlockEnd,
  undoBlockInit,
  undoBlockPrevious,
  undoPointerBytes,
  undoPointer,
  undoPointerBlock,
  undoPointerOffset,
  type SlotView,
  type UndoPointer,
} from './undo.js';

export const UNDO_SEGMENTS_DEFAULT = 8;
/** Object number under which undo blocks are allocated. */
const UNDO_OBJECT_NUMBER = 2;
/** Undo blocks freed per mini-transaction after a transaction ends. */
const FREE_BLOCKS_PER_MTR = 16;

export type TransactionState = 'active' | 'committed' | 'rolled back';

export interface Transaction {
  readonly id: number;
  readonly state: TransactionState;
}

interface LiveTransaction extends Transaction {
  id: number;
  state: TransactionState;
  segment: number;
  slot: number;
  lastUndo: UndoPointer;
  newestUndoBlock: number;
  /** The transaction this one waits for, for deadlock detection. */
  waitingFor: LiveTransaction | undefined;
  /** Resolves when the transaction ends (commits or rolls back). */
  ended: Promise<void>;
  end: () => void;
  /** Keys this transaction marked deleted, to purge once it commits. */
  tombstones: { objectNumber: number; key: Uint8Array }[];
  savepoints: Map<string, UndoPointer>;
  /** Set while the transaction is assigned no slot yet (it has written nothing). */
  unassigned: boolean;
  /** Undo blocks in its chain; undefined when unknown (a transaction found at recovery). */
  undoBlocks: number | undefined;
  /** Its own lock timeout, if the session set one. */
  lockTimeoutMs?: number | undefined;
  /** Ends the row-lock wait under way, if any, with an error (a client's cancel). */
  interruptWait?: ((error: DbError) => void) | undefined;
}

export type TreeResolver = (objectNumber: number) => BTree;

export interface TransactionManagerOptions {
  readonly storage: Storage;
  readonly undoFileNumber: number;
  readonly segments: number;
  readonly trees: TreeResolver;
  /** How long a writer waits for a row lock before TDB-5008. */
  readonly lockTimeoutMs?: number;
}

/** What the caller of change() decides from the current version of a key. */
export type ChangeDecision =
  { readonly kind: 'put'; readonly payload: Uint8Array; readonly deleted?: boolean } | { readonly kind: 'none' };

export interface RecoveryReport {
  readonly rolledBack: number;
  readonly undoRecordsApplied: number;
  readonly cleanedUp: number;
}

export class TransactionManager {
  readonly #storage: Storage;
  readonly #undoFile: number;
  readonly #segmentHeaders: BlockAddress[];
  readonly #slotsPerSegment: number;
  readonly #trees: TreeResolver;
  readonly #lockTimeoutMs: number;
  readonly #active = new Map<number, LiveTransaction>();
  /** Slots taken in memory, so that two transactions never pick the same free slot. */
  readonly #claimed = new Set<number>();
  /**
   * Slots whose transaction committed and was cleaned up but whose on-disk state is still
   * COMMITTED: they keep their one undo block, and the next transaction to take the slot
   * overwrites the state in its first change. This saves a mini-transaction per commit; a
   * crash before then finds the slot COMMITTED, and OPEN releases it.
   */
  readonly #reusable = new Set<number>();
  #nextSegment = 0;
  #provisionalId = 0;
  /** Set by abortAll: the instance is going down and every wait fails with it. */
  #aborted: DbError | undefined;
  readonly #waitAborts = new Set<(error: DbError) => void>();
  /** Cleanups after commit still running; close waits for them. */
  readonly #cleanups = new Set<Promise<void>>();
  /**
   * Read consistency. Each commit, once durable, takes the next visibility sequence number;
   * a snapshot is the sequence number current when it was taken, and sees exactly the
   * transactions that became visible at or before it. A committed transaction keeps its
   * number here (and its undo, and its tombstones) until no open snapshot predates it;
   * after that it is simply old, and visible to every snapshot.
   */
  #visibilitySequence = 0;
  readonly #visibleAt = new Map<number, number>();
  /** Commits written but not yet visible: transaction id → commit TSN. */
  readonly #pendingCommits = new Map<number, number>();
  /** Open snapshots: sequence number → how many are open at it. */
  readonly #openSnapshots = new Map<number, number>();
  /** Committed transactions whose cleanup waits for older snapshots to close, in commit order. */
  readonly #awaitingCleanup: LiveTransaction[] = [];

  private constructor(options: TransactionManagerOptions, headers: BlockAddress[]) {
    this.#storage = options.storage;
    this.#undoFile = options.undoFileNumber;
    this.#segmentHeaders = headers;
    this.#slotsPerSegment = slotsPerSegment(options.storage.cache.blockBytes);
    this.#trees = options.trees;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 60_000;
  }

  /** Creates the undo segment headers in a new database (the first data blocks of the UNDO file). */
  static async createSegments(storage: Storage, undoFileNumber: number, segments: number): Promise<BlockAddress[]> {
    const space = storage.space.inFile(undoFileNumber);
    const slots = slotsPerSegment(storage.cache.blockBytes);
    const headers: BlockAddress[] = [];
    for (let segment = 0; segment < segments; segment++) {
      const { result } = await storage.mtr((mtr) => {
        const address = space.allocate(mtr, UNDO_OBJECT_NUMBER);
        mtr.format(address, { type: BlockType.UndoSegmentHeader, objectNumber: UNDO_OBJECT_NUMBER, pageLevel: -1 });
        mtr.writeBytes(address, 32, segmentHeaderInit(segment, slots));
        return address;
      });
      headers.push(result);
    }
    await storage.redo.flush();
    return headers;
  }

  /**
   * Opens the transaction tables of a database whose segments exist: the consecutive
   * segment headers at the start of the UNDO datafile, pinned in the cache.
   */
  static async open(options: Omit<TransactionManagerOptions, 'segments'>): Promise<TransactionManager> {
    const { storage } = options;
    const first = storage.space.file(options.undoFileNumber).datafile.firstDataBlock;
    const headers: BlockAddress[] = [];
    for (let segment = 0; segment < 0x100; segment++) {
      const address = { fileNumber: options.undoFileNumber, blockNumber: first + segment };
      const frame = await storage.cache.load(address);
      if (blockType(frame.bytes) !== BlockType.UndoSegmentHeader || readSegmentNumber(frame.bytes) !== segment) break;
      assert(
        readSlotCount(frame.bytes) === slotsPerSegment(storage.cache.blockBytes),
        () => `undo segment ${segment} has ${readSlotCount(frame.bytes)} slots`,
      );
      storage.cache.pin(frame);
      headers.push(address);
    }
    if (headers.length === 0) {
      throw new DbError(
        'DATAFILE_MISMATCH',
        `the UNDO datafile ${options.undoFileNumber} has no undo segments: it was not created by this database`,
      );
    }
    return new TransactionManager({ ...options, segments: headers.length }, headers);
  }

  /** The UNDO datafile, where undo pointers point. */
  get undoFileNumber(): number {
    return this.#undoFile;
  }

  get activeCount(): number {
    return this.#active.size;
  }

  /** Starts a transaction. It takes a transaction-table slot at its first change. */
  begin(): Transaction {
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const txn: LiveTransaction = {
      id: -++this.#provisionalId,
      state: 'active',
      segment: -1,
      slot: -1,
      lastUndo: 0,
      newestUndoBlock: 0,
      waitingFor: undefined,
      ended,
      end,
      tombstones: [],
      savepoints: new Map(),
      unassigned: true,
      undoBlocks: 0,
    };
    return txn;
  }

  /**
   * The instance is going down (SHUTDOWN ABORT, or a fatal I/O error): every lock wait and
   * every later wait fails with `error`, so no session hangs on a transaction that will
   * never end. Transactions left active are rolled back by the next OPEN.
   */
  abortAll(error: DbError): void {
    this.#aborted ??= error;
    for (const abort of [...this.#waitAborts]) abort(error);
    this.#waitAborts.clear();
  }

  /** Rolls back every active transaction (SHUTDOWN IMMEDIATE, and a clean close). */
  async rollbackActive(): Promise<number> {
    const active = [...this.#active.values()];
    for (const txn of active) if (txn.state === 'active') await this.rollback(txn);
    return active.length;
  }

  /** Resolves when every cleanup after a commit has finished. */
  async drain(): Promise<void> {
    this.#startCleanups();
    while (this.#cleanups.size > 0) await Promise.all([...this.#cleanups]);
    // A clean shutdown leaves no slot COMMITTED on disk: OPEN then has nothing to recover.
    for (const slotKey of [...this.#reusable]) {
      if (this.#claimed.has(slotKey)) continue;
      this.#reusable.delete(slotKey);
      this.#claimed.add(slotKey);
      await this.#releaseUndo(Math.floor(slotKey / 0x100), slotKey % 0x100);
    }
  }

  /** Whether `txnId` belongs to a transaction that has neither committed nor rolled back. */
  isActive(txnId: number): boolean {
    return this.#active.has(txnId);
  }

  /**
   * The versioned change of one key in one tree. `decide` sees the current version (or
   * undefined) once no other active transaction holds it, and says what to write; it may
   * throw a DbError (duplicate key) before anything changes.
   */
  async change(
    transaction: Transaction,
    tree: BTree,
    key: Uint8Array,
    decide: (current: RowVersion | undefined) => ChangeDecision,
  ): Promise<boolean> {
    const txn = this.#live(transaction);
    // A transaction's first change takes its slot (claimed here in memory, written in the
    // same mtr as the change) and the slot's retained undo block, or a new one.
    const claim = txn.unassigned ? this.#claimFreeSlot() : undefined;
    try {
      const { result } = await this.#storage.mtr(
        (mtr) => {
          const segment = claim?.segment ?? txn.segment;
          const header = this.#segmentHeaders[segment];
          const headerBytes = mtr.block(header);
          const currentBytes = tree.get(mtr, key);
          const current = currentBytes === undefined ? undefined : decodeRowVersion(currentBytes);
          if (current !== undefined && current.txnId !== txn.id && this.#active.has(current.txnId)) {
            throw new RetryAfter('row lock', this.#waitFor(txn, this.#active.get(current.txnId)!));
          }
          const decision = decide(current);
          if (decision.kind === 'none') return undefined;
          let id = txn.id;
          let slot = txn.slot;
          let lastUndo = txn.lastUndo;
          let undoBlockNumber = txn.newestUndoBlock;
          if (claim !== undefined) {
            const view = readSlot(headerBytes, claim.slot);
            const wrap = view.wrap + 1;
            id = transactionId(wrap, claim.segment, claim.slot);
            slot = claim.slot;
            lastUndo = 0;
            undoBlockNumber = view.newestUndoBlock;
            const undoAddress = { fileNumber: this.#undoFile, blockNumber: undoBlockNumber };
            if (undoBlockNumber === 0) {
              const address = this.#storage.space.inFile(this.#undoFile).allocate(mtr, UNDO_OBJECT_NUMBER);
              mtr.format(address, { type: BlockType.Undo, objectNumber: UNDO_OBJECT_NUMBER, pageLevel: -1 });
              undoBlockNumber = address.blockNumber;
              undoAddress.blockNumber = address.blockNumber;
            } else {
              mtr.block(undoAddress);
            }
            mtr.writeBytes(undoAddress, 32, undoBlockInit(0));
            mtr.writeBytes(
              header,
              slotOffset(slot),
              encodeSlot({
                wrap,
                state: SlotState.Active,
                commitTsn: 0,
                lastUndo: 0,
                newestUndoBlock: undoBlockNumber,
              }),
            );
          }
          const record = encodeUndoRecord({
            previous: lastUndo,
            objectNumber: tree.objectNumber,
            key,
            oldValue: currentBytes,
          });
          if (record.length > maxUndoRecordBytes(this.#storage.cache.blockBytes)) {
            throw new DbError(
              'ROW_TOO_LARGE',
              `an undo record of ${record.length} bytes does not fit in an undo block`,
            );
          }
          const undoAddress = { fileNumber: this.#undoFile, blockNumber: undoBlockNumber };
          const undoBlock = mtr.block(undoAddress);
          // A block just reset in this mtr reads as empty through the mtr's own changes.
          const end = claim !== undefined ? UNDO_BLOCK_RECORDS_OFFSET : undoBlockEnd(undoBlock);
          if (undoBlock.length - end < record.length) {
            assert(claim === undefined, 'a fresh undo block holds any record');
            throw new RetryAfter('undo space', this.#growUndo(txn));
          }
          const pointer = undoPointer(undoBlockNumber, end);
          const value = encodeRowVersion(decision.deleted ?? false, id, pointer, decision.payload);
          tree.upsert(mtr, key, value);
          mtr.writeBytes(undoAddress, end, record);
          mtr.writeBytes(undoAddress, UNDO_BLOCK_END_OFFSET, u16Bytes(end + record.length));
          mtr.writeBytes(header, slotOffset(slot) + 16, undoPointerBytes(pointer));
          // Active from the moment its version is in the cache: a reader or writer that runs
          // before this mtr's caller resumes must see the row as locked, not as committed.
          txn.lastUndo = pointer;
          if (claim !== undefined) {
            txn.id = id;
            txn.segment = claim.segment;
            txn.slot = claim.slot;
            txn.newestUndoBlock = undoBlockNumber;
            txn.undoBlocks = 1;
            txn.unassigned = false;
            this.#active.set(id, txn);
          }
          return { deleted: decision.deleted ?? false };
        },
        0,
        txn.unassigned ? 0 : txn.id,
      );
      if (result === undefined) {
        if (claim !== undefined) this.#unclaim(claim);
        return false;
      }
      if (result.deleted) txn.tombstones.push({ objectNumber: tree.objectNumber, key: key.slice() });
      return true;
    } catch (error) {
      if (claim !== undefined && txn.unassigned) this.#unclaim(claim);
      throw error;
    }
  }

  #unclaim(claim: { segment: number; slot: number; reusable: boolean }): void {
    const slotKey = claim.segment * 0x100 + claim.slot;
    this.#claimed.delete(slotKey);
    if (claim.reusable) this.#reusable.add(slotKey);
  }

  /** Reads the current version of a key (no locking; the SQL layer adds read consistency). */
  async read(tree: BTree, key: Uint8Array): Promise<RowVersion | undefined> {
    const bytes = await runWithRetry(
      () => this.#storage.cache as BlockSource,
      (source) => tree.get(source, key),
    );
    return bytes === undefined ? undefined : decodeRowVersion(bytes);
  }

  /** SAVEPOINT: a savepoint of a name already used replaces it, as the newest (SQL's rule). */
  savepoint(transaction: Transaction, name: string): void {
    const txn = this.#live(transaction);
    // Delete first: a Map keeps a re-set key in its old place, which would make a later
    // ROLLBACK TO of this name discard savepoints set after its first use.
    txn.savepoints.delete(name);
    txn.savepoints.set(name, txn.lastUndo);
  }

  /** Ends the transaction's row-lock wait, if it is waiting, with `error` (a cancelled statement). */
  interruptWait(transaction: Transaction, error: DbError): void {
    (transaction as LiveTransaction).interruptWait?.(error);
  }

  /** How long this transaction's row-lock waits last before TDB-5008 (SET lock_timeout); undefined: the default. */
  setLockTimeout(transaction: Transaction, timeoutMs: number | undefined): void {
    (transaction as LiveTransaction).lockTimeoutMs = timeoutMs;
  }

  /** ROLLBACK TO SAVEPOINT: undoes the changes made after it; the transaction stays active. */
  async rollbackToSavepoint(transaction: Transaction, name: string): Promise<void> {
    const txn = this.#live(transaction);
    const target = txn.savepoints.get(name);
    if (target === undefined)
      throw new DbError('NO_SUCH_SAVEPOINT', `savepoint ${name} does not exist in this transaction`);
    await this.#undoBackTo(txn, target);
    // Savepoints set after this one are gone, as in PostgreSQL and Oracle.
    let after = false;
    for (const savepointName of [...txn.savepoints.keys()]) {
      if (after) txn.savepoints.delete(savepointName);
      if (savepointName === name) after = true;
    }
  }

  /** COMMIT: durable once this resolves. A transaction that wrote nothing commits at once. */
  async commit(transaction: Transaction): Promise<number> {
    const txn = this.#live(transaction);
    if (txn.unassigned) {
      txn.state = 'committed';
      txn.end();
      return 0;
    }
    const header = this.#segmentHeaders[txn.segment];
    let tsn: number;
    try {
      ({ tsn } = await this.#storage.mtr(
        (mtr) => {
          // From here until it is visible, the commit holds back snapshotTsn.
          this.#pendingCommits.set(txn.id, mtr.tsn);
          const slot = readSlot(mtr.block(header), txn.slot);
          mtr.writeBytes(
            header,
            slotOffset(txn.slot),
            encodeSlot({ ...slot, state: SlotState.Committed, commitTsn: mtr.tsn }),
          );
        },
        RedoFlag.Commit,
        txn.id,
      ));
      await this.#storage.redo.flush(tsn);
    } finally {
      this.#pendingCommits.delete(txn.id);
    }
    const visibleAt = ++this.#visibilitySequence;
    this.#visibleAt.set(txn.id, visibleAt);
    this.#finish(txn, 'committed');
    this.#awaitingCleanup.push(txn);
    this.#startCleanups();
    return tsn;
  }

  /**
   * A read-consistent view: what was committed when it was taken. Pass it to reads; close
   * it with releaseSnapshot (the undo an open snapshot may need is kept until then).
   */
  /**
   * The TSN a snapshot taken now is consistent as of: every transaction that committed at or
   * before it is visible, and none after it. Commits still on their way to disk hold it back.
   */
  snapshotTsn(): number {
    let oldestPending = Number.POSITIVE_INFINITY;
    for (const tsn of this.#pendingCommits.values()) oldestPending = Math.min(oldestPending, tsn);
    return oldestPending === Number.POSITIVE_INFINITY ? this.#storage.redo.lastTsn : oldestPending - 1;
  }

  takeSnapshot(): number {
    const sequence = this.#visibilitySequence;
    this.#openSnapshots.set(sequence, (this.#openSnapshots.get(sequence) ?? 0) + 1);
    return sequence;
  }

  releaseSnapshot(sequence: number): void {
    const count = this.#openSnapshots.get(sequence);
    assert(count !== undefined, () => `snapshot ${sequence} released but not open`);
    if (count > 1) this.#openSnapshots.set(sequence, count - 1);
    else this.#openSnapshots.delete(sequence);
    this.#startCleanups();
  }

  get openSnapshotCount(): number {
    let total = 0;
    for (const count of this.#openSnapshots.values()) total += count;
    return total;
  }

  /**
   * Whether a version written by `txnId` is visible to a reader in `own` (its own changes)
   * reading at `snapshot` (undefined: the latest committed state).
   */
  isVisible(txnId: number, own: Transaction | undefined, snapshot: number | undefined): boolean {
    if (own !== undefined && txnId === own.id) return true;
    if (this.#active.has(txnId)) return false;
    if (snapshot === undefined) return true;
    const visibleAt = this.#visibleAt.get(txnId);
    return visibleAt === undefined || visibleAt <= snapshot;
  }

  /** Starts the cleanups that no open snapshot holds back any more. */
  #startCleanups(): void {
    let oldest = Number.POSITIVE_INFINITY;
    for (const sequence of this.#openSnapshots.keys()) oldest = Math.min(oldest, sequence);
    while (this.#awaitingCleanup.length > 0) {
      const txn = this.#awaitingCleanup[0];
      const visibleAt = this.#visibleAt.get(txn.id)!;
      // A snapshot taken before the commit became visible may still read the old versions.
      if (visibleAt > oldest) break;
      this.#awaitingCleanup.shift();
      const cleanup = this.#cleanUp(txn)
        .catch((error: unknown) => {
          this.#storage.io.alert.warning(
            `cleanup after the commit of transaction ${txn.id} failed: ${String(error)}; it resumes at the next OPEN`,
          );
        })
        .finally(() => {
          this.#visibleAt.delete(txn.id);
          this.#cleanups.delete(cleanup);
        });
      this.#cleanups.add(cleanup);
    }
  }

  /** ROLLBACK: undoes every change of the transaction. */
  async rollback(transaction: Transaction): Promise<void> {
    const txn = this.#live(transaction);
    if (!txn.unassigned) {
      await this.#undoBackTo(txn, 0);
      await this.#releaseUndo(txn.segment, txn.slot);
    }
    this.#finish(txn, 'rolled back');
  }

  /**
   * Transaction recovery, after the redo is rolled forward: rolls back every transaction
   * whose slot is still ACTIVE (it has no commit record) and finishes the cleanup of
   * committed ones.
   */
  async recover(): Promise<RecoveryReport> {
    let rolledBack = 0;
    let undoRecordsApplied = 0;
    let cleanedUp = 0;
    for (let segment = 0; segment < this.#segmentHeaders.length; segment++) {
      for (let slot = 0; slot < this.#slotsPerSegment; slot++) {
        const view = readSlot(this.#storage.cache.frame(this.#segmentHeaders[segment])!.bytes, slot);
        if (view.state === SlotState.Active) {
          const txn = this.#recovered(segment, slot, view);
          undoRecordsApplied += await this.#undoBackTo(txn, 0);
          await this.#releaseUndo(segment, slot);
          this.#finish(txn, 'rolled back');
          rolledBack++;
        } else if (view.state === SlotState.Committed) {
          await this.#releaseUndo(segment, slot);
          cleanedUp++;
        }
      }
    }
    return { rolledBack, undoRecordsApplied, cleanedUp };
  }

  #recovered(segment: number, slot: number, view: SlotView): LiveTransaction {
    const txn = this.begin() as LiveTransaction;
    txn.id = transactionId(view.wrap, segment, slot);
    txn.segment = segment;
    txn.slot = slot;
    txn.lastUndo = view.lastUndo;
    txn.newestUndoBlock = view.newestUndoBlock;
    txn.unassigned = false;
    txn.undoBlocks = undefined;
    this.#active.set(txn.id, txn);
    this.#claimed.add(segment * 0x100 + slot);
    return txn;
  }

  #live(transaction: Transaction): LiveTransaction {
    const txn = transaction as LiveTransaction;
    if (txn.state !== 'active') {
      throw new DbError(
        'TRANSACTION_NOT_ACTIVE',
        `transaction ${txn.id} has already ${txn.state === 'committed' ? 'committed' : 'rolled back'}`,
      );
    }
    return txn;
  }

  #claimFreeSlot(): { segment: number; slot: number; reusable: boolean } {
    for (let attempt = 0; attempt < this.#segmentHeaders.length; attempt++) {
      const segment = this.#nextSegment;
      this.#nextSegment = (this.#nextSegment + 1) % this.#segmentHeaders.length;
      const bytes = this.#storage.cache.frame(this.#segmentHeaders[segment])!.bytes;
      for (let slot = 0; slot < this.#slotsPerSegment; slot++) {
        const claimKey = segment * 0x100 + slot;
        if (this.#claimed.has(claimKey)) continue;
        const reusable = this.#reusable.delete(claimKey);
        if (!reusable && readSlot(bytes, slot).state !== SlotState.Free) continue;
        this.#claimed.add(claimKey);
        return { segment, slot, reusable };
      }
    }
    throw new DbError(
      'LOCK_TIMEOUT',
      `all ${this.#segmentHeaders.length * this.#slotsPerSegment} transaction slots are in use; retry later`,
    );
  }

  /** Adds an undo block to the head of the transaction's chain (its own mtr). */
  async #growUndo(txn: LiveTransaction): Promise<void> {
    const header = this.#segmentHeaders[txn.segment];
    const space = this.#storage.space.inFile(this.#undoFile);
    const { result: blockNumber } = await this.#storage.mtr(
      (mtr) => {
        const view = readSlot(mtr.block(header), txn.slot);
        const address = space.allocate(mtr, UNDO_OBJECT_NUMBER);
        mtr.format(address, { type: BlockType.Undo, objectNumber: UNDO_OBJECT_NUMBER, pageLevel: -1 });
        mtr.writeBytes(address, 32, undoBlockInit(view.newestUndoBlock));
        mtr.writeBytes(header, slotOffset(txn.slot), encodeSlot({ ...view, newestUndoBlock: address.blockNumber }));
        return address.blockNumber;
      },
      0,
      txn.id,
    );
    txn.newestUndoBlock = blockNumber;
    if (txn.undoBlocks !== undefined) txn.undoBlocks++;
  }

  /** Applies undo records newest first until the transaction's last record is `target`. Returns how many. */
  async #undoBackTo(txn: LiveTransaction, target: UndoPointer): Promise<number> {
    const header = this.#segmentHeaders[txn.segment];
    let applied = 0;
    while (txn.lastUndo !== target) {
      assert(txn.lastUndo !== 0, () => `transaction ${txn.id}: undo chain ended before savepoint ${target}`);
      const pointer = txn.lastUndo;
      const { result: previous } = await this.#storage.mtr(
        (mtr) => {
          const record = decodeUndoRecord(
            mtr.block({ fileNumber: this.#undoFile, blockNumber: undoPointerBlock(pointer) }),
            undoPointerOffset(pointer),
          );
          const tree = this.#trees(record.objectNumber);
          mtr.block(header);
          // Restoring reads the tree's path first (gather), then changes it.
          if (record.oldValue === undefined) tree.delete(mtr, record.key);
          else tree.upsert(mtr, record.key, record.oldValue);
          mtr.writeBytes(header, slotOffset(txn.slot) + 16, undoPointerBytes(record.previous));
          return record.previous;
        },
        0,
        txn.id,
      );
      txn.lastUndo = previous;
      applied++;
    }
    return applied;
  }

  /**
   * Frees a finished transaction's undo blocks but the oldest, a few per mtr, then marks
   * the slot FREE keeping that block for the slot's next transaction (so a transaction's
   * first change needs no allocation). A committed transaction with a single undo block is
   * released in memory only (see #reusable).
   */
  async #releaseUndo(segment: number, slot: number, committedWithOneBlock = false): Promise<void> {
    const slotKey = segment * 0x100 + slot;
    if (committedWithOneBlock) {
      this.#reusable.add(slotKey);
      this.#claimed.delete(slotKey);
      return;
    }
    const header = this.#segmentHeaders[segment];
    const space = this.#storage.space.inFile(this.#undoFile);
    for (;;) {
      const { result: done } = await this.#storage.mtr((mtr) => {
        const view = readSlot(mtr.block(header), slot);
        if (view.state === SlotState.Free) return true;
        // Gather the blocks to free first: reading a block's previous link needs it cached.
        const chain: number[] = [];
        let block = view.newestUndoBlock;
        let reachedOldest = block === 0;
        while (block !== 0 && chain.length < FREE_BLOCKS_PER_MTR) {
          const previous = undoBlockPrevious(mtr.block({ fileNumber: this.#undoFile, blockNumber: block }));
          if (previous === 0) {
            reachedOldest = true;
            break;
          }
          chain.push(block);
          block = previous;
        }
        for (const blockNumber of chain) space.free(mtr, { fileNumber: this.#undoFile, blockNumber });
        mtr.writeBytes(
          header,
          slotOffset(slot),
          encodeSlot(
            reachedOldest
              ? { wrap: view.wrap, state: SlotState.Free, commitTsn: 0, lastUndo: 0, newestUndoBlock: block }
              : { ...view, newestUndoBlock: block },
          ),
        );
        return reachedOldest;
      });
      if (done) break;
    }
    this.#reusable.delete(slotKey);
    this.#claimed.delete(slotKey);
  }

  /** After commit: remove the rows the transaction deleted, then release its undo. */
  async #cleanUp(txn: LiveTransaction): Promise<void> {
    for (const { objectNumber, key } of txn.tombstones) {
      const tree = this.#treeIfExists(objectNumber);
      if (tree === undefined) continue; // dropped (or truncated) since: its blocks are gone
      await this.#storage.mtr((mtr) => {
        const bytes = tree.get(mtr, key);
        if (bytes === undefined) return;
        const version = decodeRowVersion(bytes);
        // Only this transaction's tombstone: a later transaction may have reused the key.
        if (version.deleted && version.txnId === txn.id) tree.delete(mtr, key);
      });
    }
    await this.#releaseUndo(txn.segment, txn.slot, txn.undoBlocks === 1);
  }

  #treeIfExists(objectNumber: number): BTree | undefined {
    try {
      return this.#trees(objectNumber);
    } catch (error) {
      if (error instanceof DbError && error.codeName === 'NO_SUCH_TABLE') return undefined;
      throw error;
    }
  }

  #finish(txn: LiveTransaction, state: TransactionState): void {
    txn.state = state;
    this.#active.delete(txn.id);
    txn.end();
  }

  /** A promise that resolves when `holder` ends; TDB-5009 if waiting would close a cycle. */
  #waitFor(waiter: LiveTransaction, holder: LiveTransaction): Promise<void> {
    for (let next: LiveTransaction | undefined = holder; next !== undefined; next = next.waitingFor) {
      if (next === waiter) {
        throw new DbError(
          'DEADLOCK',
          `deadlock detected: transaction ${waiter.id} waits for ${holder.id}, which waits for it; transaction ${waiter.id} should roll back`,
        );
      }
    }
    if (this.#aborted !== undefined) return Promise.reject(this.#aborted);
    waiter.waitingFor = holder;
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: DbError): void => {
        timer.cancel();
        this.#waitAborts.delete(settle);
        waiter.waitingFor = undefined;
        waiter.interruptWait = undefined;
        if (error === undefined) resolve();
        else reject(error);
      };
      const timeoutMs = waiter.lockTimeoutMs ?? this.#lockTimeoutMs;
      const timer = this.#storage.io.clock.setTimer(timeoutMs, () =>
        settle(
          new DbError(
            'LOCK_TIMEOUT',
            `canceling statement due to lock timeout: transaction ${waiter.id} waited ${timeoutMs} ms for a row locked by transaction ${holder.id}`,
          ),
        ),
      );
      this.#waitAborts.add(settle);
      waiter.interruptWait = settle;
      void holder.ended.then(() => settle());
    });
  }
}

export type { MiniTransaction };
