// The B+tree over slotted pages that tables and indexes are built on: it maps memcmp-ordered
// keys to opaque values. Every change is one mini-transaction in two phases (btree-gather.ts)
// that starts from the root, whose address never changes; cell formats are in btree-cell.ts.
//
// Shape: leaves (level 0) hold the entries and are linked both ways by block number (all
// blocks of a tree are in the root's file); branches hold (separator, child address) cells
// and have no sibling links. Only the root may be empty, and only as a leaf.
//
// Splits: a page that cannot take a cell is split; the cells, with the new one, are divided
// between the page and a new right sibling, and a separator goes up to the parent, splitting
// it in turn. A root split moves the root's cells into two new children, so the root stays.
// The split point balances bytes, except at the right (left) end of the rightmost (leftmost)
// page, where ascending (descending) inserts split at the new cell, leaving full pages behind.
//
// Deletes: an emptied page is unlinked, removed from its parent and freed, and so is every
// ancestor that empties with it. Non-empty underfull pages are not merged (as PostgreSQL
// does): merging costs reads and redo on every delete and rarely pays for itself. A root
// branch left with one child absorbs that child's cells (one level per delete; a root branch
// with one child can remain when the absorbed child had one, and is correct).
//
// Scans descend once per batch to the bound, then follow leaf links: right links forward,
// left links backward (both are kept exact). A batch ends with a resume range strictly past
// its last key, so the next batch, perhaps after an await, re-descends from the root.
import { assert } from '../assert.js';
import { DbError } from '../errors.js';
import { BlockType, blockAddressText, blockObjectNumber, blockType, isValidBlockBytes } from '../storage/block.js';
import type { BlockAddress } from '../storage/block.js';
import {
  CELL_OVERHEAD_BYTES,
  MAX_PAGE_LEVEL,
  NO_BLOCK,
  canInsert,
  cellAt,
  cellBytesAt,
  cellCount,
  freeBytes,
  leftSibling,
  maxCellBytes,
  pageCapacityBytes,
  pageLevel,
  rightSibling,
} from '../storage/slotted-page.js';
import type { BlockSource, MiniTransaction, SegmentSpace } from '../txn/mini-transaction.js';
import {
  BRANCH_CELL_MIN_BYTES,
  CHILD_ADDRESS_BYTES,
  EMPTY_KEY,
  KEY_LENGTH_BYTES,
  branchChild,
  cellKey,
  compareCellKey,
  encodeBranchCell,
  encodeLeafCell,
  leafValue,
  searchBranch,
  searchLeaf,
  shortestSeparator,
} from './btree-cell.js';
import { checkTree } from './btree-check.js';
import { BlockGather, type PageWriter } from './btree-gather.js';

export interface KeyBound {
  readonly key: Uint8Array;
  readonly inclusive: boolean;
}

/** Keys between the bounds (a missing bound: no limit), visited in `direction`. */
export interface KeyRange {
  readonly lower?: KeyBound;
  readonly upper?: KeyBound;
  readonly direction: 'forward' | 'backward';
}

export interface BTreeEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export interface ScanBatch {
  /** In the range's direction; copies, owned by the caller. */
  readonly entries: readonly BTreeEntry[];
  /** The range that continues strictly after the last entry, or undefined at the end. */
  readonly resume: KeyRange | undefined;
}

/** Sizes of a tree, for tests and statistics. */
export interface BTreeShape {
  /** Levels, 1 for a lone root leaf. */
  readonly height: number;
  readonly leafPages: number;
  readonly branchPages: number;
  readonly entries: number;
  /** Bytes the leaves' cells use, with their slots and length prefixes. */
  readonly leafUsedBytes: number;
  /** What the leaves could hold: leafPages × pageCapacityBytes. */
  readonly leafCapacityBytes: number;
}

/** The pages from the root to the page a descent stopped at. */
interface Path {
  /** pages[0] is the root. */
  readonly pages: readonly PageRef[];
  /** childIndexes[d] is the cell of pages[d] that leads to pages[d + 1]. */
  readonly childIndexes: readonly number[];
}

interface PageRef {
  readonly address: BlockAddress;
  /** The bytes as read in the gather phase (the live cached copy: read them before changing). */
  readonly block: Uint8Array;
}

/** A cell bound for a page: inserted at `index`, or replacing the cell there. */
interface PendingCell {
  readonly cell: Uint8Array;
  readonly index: number;
  readonly replace: boolean;
}

/** A split computed in the gather phase; its new blocks are allocated before any change. */
interface SplitPlan {
  readonly page: PageRef;
  readonly level: number;
  readonly oldCount: number;
  readonly pending: PendingCell;
  /** Cells [0, splitIndex) of the page with the pending cell stay left; the rest go right. */
  readonly splitIndex: number;
  readonly left: readonly Uint8Array[];
  /** For a branch, the first right cell already has the empty separator. */
  readonly right: readonly Uint8Array[];
  /** The lowest key of the right page's key range, for the parent. */
  readonly separator: Uint8Array;
  /** A split leaf's old right sibling, whose left link changes (NO_BLOCK for none). */
  readonly oldRightNumber: number;
}

type PutMode = 'insert' | 'update' | 'upsert';
type PutOutcome = 'inserted' | 'updated' | 'unchanged';
type ReadBlock = (address: BlockAddress) => Uint8Array;

export class BTree {
  readonly root: BlockAddress;
  readonly objectNumber: number;
  readonly blockBytes: number;
  readonly #space: SegmentSpace;
  readonly #maxEntryBytes: number;

  constructor(root: BlockAddress, objectNumber: number, space: SegmentSpace, blockBytes: number) {
    assert(isValidBlockBytes(blockBytes), () => `invalid block size ${blockBytes}`);
    this.root = { fileNumber: root.fileNumber, blockNumber: root.blockNumber };
    this.objectNumber = objectNumber;
    this.#space = space;
    this.blockBytes = blockBytes;
    this.#maxEntryBytes = BTree.maxEntryBytes(blockBytes);
  }

  /** Allocates and formats the root of a new, empty tree for `objectNumber`. */
  static create(mtr: MiniTransaction, space: SegmentSpace, objectNumber: number, blockBytes: number): BTree {
    const root = space.allocate(mtr, objectNumber);
    mtr.format(root, { type: BlockType.BtreeLeaf, objectNumber, pageLevel: 0 });
    return new BTree(root, objectNumber, space, blockBytes);
  }

  /**
   * The largest key.length + value.length an entry may have. Any key may become a separator
   * (a branch cell: key plus child address), and maxCellBytes guarantees four cells to a page,
   * so a split always leaves room for the cell that caused it.
   */
  static maxEntryBytes(blockBytes: number): number {
    return maxCellBytes(blockBytes) - KEY_LENGTH_BYTES - CHILD_ADDRESS_BYTES;
  }

  /** The value stored under `key` (a copy), or undefined. May throw RetryAfter. */
  get(source: BlockSource, key: Uint8Array): Uint8Array | undefined {
    const path = this.#descend((address) => source.block(address), key, 0);
    const leaf = path.pages[path.pages.length - 1].block;
    const { index, found } = searchLeaf(leaf, key);
    return found ? leafValue(cellAt(leaf, index)).slice() : undefined;
  }

  /** Adds the entry; false, with no change, if the key is present. */
  insert(mtr: MiniTransaction, key: Uint8Array, value: Uint8Array): boolean {
    return this.#put(mtr, key, value, 'insert') === 'inserted';
  }

  /** Replaces the value of `key`; false, with no change, if the key is absent. */
  update(mtr: MiniTransaction, key: Uint8Array, value: Uint8Array): boolean {
    return this.#put(mtr, key, value, 'update') === 'updated';
  }

  upsert(mtr: MiniTransaction, key: Uint8Array, value: Uint8Array): 'inserted' | 'updated' {
    const outcome = this.#put(mtr, key, value, 'upsert');
    assert(outcome !== 'unchanged', 'upsert changed nothing');
    return outcome;
  }

  /** Removes the entry; false, with no change, if the key is absent. */
  delete(mtr: MiniTransaction, key: Uint8Array): boolean {
    const gather = new BlockGather(mtr);
    const read: ReadBlock = (address) => gather.read(address);
    const path = this.#descend(read, key, 0);
    const leafDepth = path.pages.length - 1;
    const leaf = path.pages[leafDepth];
    const { index, found } = searchLeaf(leaf.block, key);
    if (!found) return false;
    if (leafDepth === 0 || cellCount(leaf.block) > 1) {
      gather.seal(this.#space, this.objectNumber).removeCell(leaf.address, index);
      return true;
    }

    // The leaf empties. It and every ancestor left empty are freed; pages[top] loses a cell.
    let top = leafDepth;
    while (top > 0 && cellCount(path.pages[top].block) === 1) top--;
    const freed = path.pages.slice(top + 1).map((page) => page.address);
    const topPage = path.pages[top];
    const topCount = cellCount(topPage.block);
    const removedIndex = path.childIndexes[top];
    // Unlink the leaf: its neighbours' links skip it.
    const leftNumber = leftSibling(leaf.block);
    const rightNumber = rightSibling(leaf.block);
    const leftAddress = leftNumber === NO_BLOCK ? undefined : this.#address(leftNumber);
    const rightAddress = rightNumber === NO_BLOCK ? undefined : this.#address(rightNumber);
    if (leftAddress !== undefined) this.#readPage(read, leftAddress, 0);
    if (rightAddress !== undefined) this.#readPage(read, rightAddress, 0);
    // A root left with one child absorbs it.
    let absorbed: { readonly address: BlockAddress; readonly level: number; readonly cells: Uint8Array[] } | undefined;
    if (top === 0 && topCount === 2) {
      const address = branchChild(cellAt(topPage.block, 1 - removedIndex));
      const level = pageLevel(topPage.block) - 1;
      const block = this.#readPage(read, this.#checkChild(address), level);
      absorbed = { address, level, cells: copyCells(block) };
    }
    // Removing cell 0 makes cell 1 the first: it takes the empty separator.
    const newFirstCell =
      removedIndex === 0 && topCount > 1
        ? encodeBranchCell(EMPTY_KEY, branchChild(cellAt(topPage.block, 1)))
        : undefined;

    const writer = gather.seal(this.#space, this.objectNumber);
    const absorbedNumber = absorbed?.address.blockNumber;
    if (leftAddress !== undefined && leftNumber !== absorbedNumber) {
      writer.setPageLinks(leftAddress, { rightSibling: rightNumber });
    }
    if (rightAddress !== undefined && rightNumber !== absorbedNumber) {
      writer.setPageLinks(rightAddress, { leftSibling: leftNumber });
    }
    for (const address of freed) writer.free(address);
    if (absorbed !== undefined) {
      // The absorbed child had no siblings (the root has no other child, and if it is a leaf
      // its only neighbour was the freed leaf): the formatted root has none either.
      writer.format(this.root, absorbed.level);
      writer.appendCells(this.root, absorbed.cells);
      writer.free(absorbed.address);
    } else if (topCount === 1) {
      assert(top === 0, () => `page ${blockAddressText(topPage.address)} with one child was not freed`);
      assert(leftAddress === undefined && rightAddress === undefined, 'last leaf of a tree has siblings');
      writer.format(this.root, 0);
    } else {
      writer.removeCell(topPage.address, removedIndex);
      if (newFirstCell !== undefined) writer.replaceCell(topPage.address, 0, newFirstCell);
    }
    return true;
  }

  /**
   * Up to `limit` entries of `range` in its direction, and where to resume. Each call descends
   * from the root, so a caller may await between batches while the tree changes: resuming
   * returns the entries after the last one returned, as the tree is then. May throw RetryAfter.
   */
  scan(source: BlockSource, range: KeyRange, limit: number): ScanBatch {
    assert(Number.isInteger(limit) && limit >= 1, () => `scan limit ${limit}`);
    const read: ReadBlock = (address) => source.block(address);
    return range.direction === 'forward'
      ? this.#scanForward(read, range, limit)
      : this.#scanBackward(read, range, limit);
  }

  /**
   * Frees the tree's blocks for DROP, a bounded piece per mtr: call it in a fresh mtr each time
   * until it returns false. Each call frees at most `blocksMax` blocks, taking leaves from the
   * right end and the branches they empty, so the tree stays sound in between (a crash leaves
   * a smaller tree, and the drop resumes); the last call frees the root. The one exception to
   * the bound: a lowest branch with a single leaf goes with every single-child ancestor above
   * it, at most the tree's height in blocks. Returns whether blocks remain.
   */
  freeAll(mtr: MiniTransaction, blocksMax: number): boolean {
    assert(Number.isInteger(blocksMax) && blocksMax >= 1, () => `freeAll of ${blocksMax} blocks`);
    const gather = new BlockGather(mtr);
    const read: ReadBlock = (address) => gather.read(address);
    const path = this.#descend(read, 'last', 1);
    if (pageLevel(path.pages[0].block) === 0) {
      gather.seal(this.#space, this.objectNumber).free(this.root);
      return false;
    }
    const bottomDepth = path.pages.length - 1;
    const bottom = path.pages[bottomDepth];
    const count = cellCount(bottom.block);
    const children = copyCells(bottom.block).map((cell) => this.#checkChild(branchChild(cell)));
    // If the bottom branch empties, so does every single-child ancestor below the root, and
    // pages[top] loses its last cell; top < 0 when the bottom branch is the root.
    let top = bottomDepth - 1;
    while (top > 0 && cellCount(path.pages[top].block) === 1) top--;
    const emptied = path.pages.slice(Math.max(top, 0) + 1).map((page) => page.address);
    const emptiesAll = count + emptied.length <= blocksMax || count === 1;
    const keptCount = emptiesAll ? 0 : count - Math.min(count - 1, blocksMax);
    // The leaf left of the freed ones becomes the last leaf.
    let newLastLeaf: BlockAddress | undefined;
    if (emptiesAll) {
      const firstFreed = this.#readPage(read, children[0], 0);
      const leftNumber = leftSibling(firstFreed);
      if (leftNumber !== NO_BLOCK) newLastLeaf = this.#address(leftNumber);
    } else {
      newLastLeaf = children[keptCount - 1];
    }
    if (newLastLeaf !== undefined) this.#readPage(read, newLastLeaf, 0);
    const rootEmpties = emptiesAll && (top < 0 || (top === 0 && cellCount(path.pages[0].block) === 1));

    const writer = gather.seal(this.#space, this.objectNumber);
    for (const child of children.slice(keptCount)) writer.free(child);
    if (!emptiesAll) {
      writer.truncateCells(bottom.address, keptCount);
    } else if (rootEmpties) {
      assert(newLastLeaf === undefined, 'leaves remain outside the emptied root');
      for (const address of emptied) writer.free(address);
      writer.format(this.root, 0);
    } else {
      for (const address of emptied) writer.free(address);
      const topPage = path.pages[top];
      writer.truncateCells(topPage.address, cellCount(topPage.block) - 1);
    }
    if (newLastLeaf !== undefined) writer.setPageLinks(newLastLeaf, { rightSibling: NO_BLOCK });
    return true;
  }

  /** Every structural problem of the tree; empty when sound. Throws only RetryAfter. */
  check(source: BlockSource): string[] {
    return checkTree(source, this);
  }

  /** Counts the tree's pages and entries, reading every block. May throw RetryAfter. */
  shape(source: BlockSource): BTreeShape {
    let level = [this.root];
    let height = 0;
    let leafPages = 0;
    let branchPages = 0;
    let entries = 0;
    let leafUsedBytes = 0;
    while (level.length > 0) {
      height++;
      const next: BlockAddress[] = [];
      for (const address of level) {
        const block = this.#readPage((a) => source.block(a), address, undefined);
        const count = cellCount(block);
        if (pageLevel(block) === 0) {
          leafPages++;
          entries += count;
          leafUsedBytes += pageCapacityBytes(this.blockBytes) - freeBytes(block);
        } else {
          branchPages++;
          for (let index = 0; index < count; index++) next.push(branchChild(cellAt(block, index)));
        }
      }
      level = next;
    }
    return {
      height,
      leafPages,
      branchPages,
      entries,
      leafUsedBytes,
      leafCapacityBytes: leafPages * pageCapacityBytes(this.blockBytes),
    };
  }

  /** Insert, update and upsert: the gather phase, then the changes. */
  #put(mtr: MiniTransaction, key: Uint8Array, value: Uint8Array, mode: PutMode): PutOutcome {
    const entryBytes = key.length + value.length;
    if (entryBytes > this.#maxEntryBytes) {
      throw new DbError(
        'ROW_TOO_LARGE',
        `an entry of ${entryBytes} bytes (key ${key.length}, value ${value.length}) exceeds the ` +
          `${this.#maxEntryBytes} bytes a B+tree entry may hold in ${this.blockBytes}-byte blocks; ` +
          `shorten the key or the value`,
      );
    }
    const gather = new BlockGather(mtr);
    const read: ReadBlock = (address) => gather.read(address);
    const path = this.#descend(read, key, 0);
    const leafDepth = path.pages.length - 1;
    const leaf = path.pages[leafDepth];
    const { index, found } = searchLeaf(leaf.block, key);
    if (found ? mode === 'insert' : mode === 'update') return 'unchanged';
    const outcome = found ? 'updated' : 'inserted';
    let pending: PendingCell = { cell: encodeLeafCell(key, value), index, replace: found };
    if (fits(leaf.block, pending)) {
      writePending(gather.seal(this.#space, this.objectNumber), leaf.address, pending);
      return outcome;
    }

    // The leaf splits. Read its right sibling (whose left link changes), then plan the splits
    // upward while allocating: no reads after the first allocation.
    const oldRightNumber = rightSibling(leaf.block);
    if (oldRightNumber !== NO_BLOCK) this.#readPage(read, this.#address(oldRightNumber), 0);
    const splits: { readonly plan: SplitPlan; readonly newPages: readonly BlockAddress[] }[] = [];
    let receiver: PageRef | undefined;
    for (let depth = leafDepth; ; depth--) {
      const page = path.pages[depth];
      if (depth < leafDepth && fits(page.block, pending)) {
        receiver = page;
        break;
      }
      const plan = this.#planSplit(path, depth, pending);
      if (depth === 0) {
        const newPages = [this.#allocate(gather), this.#allocate(gather)];
        splits.push({ plan, newPages });
        break;
      }
      const newRight = this.#allocate(gather);
      splits.push({ plan, newPages: [newRight] });
      pending = {
        cell: encodeBranchCell(plan.separator, newRight),
        index: path.childIndexes[depth - 1] + 1,
        replace: false,
      };
    }

    // Bottom-up: each split changes only its page, its new pages and (for a leaf) the old
    // right sibling, so the parent above is still as gathered when its turn comes.
    const writer = gather.seal(this.#space, this.objectNumber);
    for (const { plan, newPages } of splits) {
      if (newPages.length === 2) this.#writeRootSplit(writer, plan, newPages[0], newPages[1]);
      else this.#writeSplit(writer, plan, newPages[0]);
    }
    if (receiver !== undefined) writePending(writer, receiver.address, pending);
    return outcome;
  }

  /** Divides the cells of path.pages[depth] plus `pending` between the page and a new right one. */
  #planSplit(path: Path, depth: number, pending: PendingCell): SplitPlan {
    const page = path.pages[depth];
    const level = pageLevel(page.block);
    const oldCount = cellCount(page.block);
    const cells = copyCells(page.block);
    if (pending.replace) cells[pending.index] = pending.cell;
    else cells.splice(pending.index, 0, pending.cell);
    // Ascending inserts reach the right end of the rightmost page of each level; splitting
    // there leaves the old page full. Likewise descending ones at the left end of the
    // leftmost page (a branch's cell 0 stays, so its new child lands at index 1).
    const ancestors = path.childIndexes.slice(0, depth);
    const rightmost = ancestors.every((childIndex, d) => childIndex === cellCount(path.pages[d].block) - 1);
    const leftmost = ancestors.every((childIndex) => childIndex === 0);
    let preferred: number | undefined;
    if (!pending.replace && rightmost && pending.index === cells.length - 1) preferred = pending.index;
    else if (!pending.replace && leftmost && pending.index === (level === 0 ? 0 : 1)) preferred = pending.index + 1;
    const splitIndex = chooseSplit(
      cells.map((cell) => cell.length + CELL_OVERHEAD_BYTES),
      pageCapacityBytes(this.blockBytes),
      level > 0,
      preferred,
    );
    const left = cells.slice(0, splitIndex);
    const right = cells.slice(splitIndex);
    let separator: Uint8Array;
    if (level === 0) {
      separator = shortestSeparator(cellKey(left[left.length - 1]), cellKey(right[0]));
    } else {
      separator = cellKey(right[0]).slice();
      right[0] = encodeBranchCell(EMPTY_KEY, branchChild(right[0]));
    }
    return {
      page,
      level,
      oldCount,
      pending,
      splitIndex,
      left,
      right,
      separator,
      oldRightNumber: level === 0 ? rightSibling(page.block) : NO_BLOCK,
    };
  }

  /** A non-root split: the page keeps the left cells, `newRight` takes the right ones. */
  #writeSplit(writer: PageWriter, plan: SplitPlan, newRight: BlockAddress): void {
    const { page, level, oldCount, pending, splitIndex } = plan;
    writer.format(newRight, level);
    writer.appendCells(newRight, plan.right);
    // The page becomes the left cells with as few changes as possible (less redo than
    // rewriting it): drop the cells that moved, then apply the pending cell if it stays.
    if (pending.index < splitIndex) {
      const kept = pending.replace ? splitIndex : splitIndex - 1;
      if (kept < oldCount) writer.truncateCells(page.address, kept);
      writePending(writer, page.address, pending);
    } else if (splitIndex < oldCount) {
      writer.truncateCells(page.address, splitIndex);
    }
    if (level === 0) {
      writer.setPageLinks(newRight, {
        leftSibling: page.address.blockNumber,
        rightSibling: plan.oldRightNumber,
      });
      writer.setPageLinks(page.address, { rightSibling: newRight.blockNumber });
      if (plan.oldRightNumber !== NO_BLOCK) {
        writer.setPageLinks(this.#address(plan.oldRightNumber), { leftSibling: newRight.blockNumber });
      }
    }
  }

  /** A root split: both halves move to new pages, and the root becomes their parent. */
  #writeRootSplit(writer: PageWriter, plan: SplitPlan, newLeft: BlockAddress, newRight: BlockAddress): void {
    const level = plan.level;
    assert(level < MAX_PAGE_LEVEL, () => `B+tree ${this.objectNumber} of ${level + 1} levels cannot grow`);
    writer.format(newLeft, level);
    writer.appendCells(newLeft, plan.left);
    writer.format(newRight, level);
    writer.appendCells(newRight, plan.right);
    if (level === 0) {
      writer.setPageLinks(newLeft, { rightSibling: newRight.blockNumber });
      writer.setPageLinks(newRight, { leftSibling: newLeft.blockNumber });
    }
    writer.format(this.root, level + 1);
    writer.appendCells(this.root, [encodeBranchCell(EMPTY_KEY, newLeft), encodeBranchCell(plan.separator, newRight)]);
  }

  #scanForward(read: ReadBlock, range: KeyRange, limit: number): ScanBatch {
    const { lower, upper } = range;
    const path = this.#descend(read, lower === undefined ? 'first' : lower.key, 0);
    let block = path.pages[path.pages.length - 1].block;
    let index = 0;
    if (lower !== undefined) {
      const position = searchLeaf(block, lower.key);
      index = position.found && !lower.inclusive ? position.index + 1 : position.index;
    }
    const entries: BTreeEntry[] = [];
    for (;;) {
      while (index >= cellCount(block)) {
        const next = rightSibling(block);
        if (next === NO_BLOCK) return { entries, resume: undefined };
        block = this.#readPage(read, this.#address(next), 0);
        index = 0;
      }
      const cell = cellAt(block, index);
      if (upper !== undefined) {
        const order = compareCellKey(cell, upper.key);
        if (order > 0 || (order === 0 && !upper.inclusive)) return { entries, resume: undefined };
      }
      // The limit is checked only once another entry is known to follow, so a batch that ends
      // the range says so and no empty batch follows.
      if (entries.length === limit) {
        const last = entries[entries.length - 1].key;
        return { entries, resume: { lower: { key: last, inclusive: false }, upper, direction: 'forward' } };
      }
      entries.push(copyEntry(cell));
      index++;
    }
  }

  #scanBackward(read: ReadBlock, range: KeyRange, limit: number): ScanBatch {
    const { lower, upper } = range;
    const path = this.#descend(read, upper === undefined ? 'last' : upper.key, 0);
    let block = path.pages[path.pages.length - 1].block;
    let index = cellCount(block) - 1;
    if (upper !== undefined) {
      const position = searchLeaf(block, upper.key);
      index = position.found && upper.inclusive ? position.index : position.index - 1;
    }
    const entries: BTreeEntry[] = [];
    for (;;) {
      while (index < 0) {
        const previous = leftSibling(block);
        if (previous === NO_BLOCK) return { entries, resume: undefined };
        block = this.#readPage(read, this.#address(previous), 0);
        index = cellCount(block) - 1;
      }
      const cell = cellAt(block, index);
      if (lower !== undefined) {
        const order = compareCellKey(cell, lower.key);
        if (order < 0 || (order === 0 && !lower.inclusive)) return { entries, resume: undefined };
      }
      if (entries.length === limit) {
        const last = entries[entries.length - 1].key;
        return { entries, resume: { lower, upper: { key: last, inclusive: false }, direction: 'backward' } };
      }
      entries.push(copyEntry(cell));
      index--;
    }
  }

  /**
   * Reads from the root down to the page at `stopLevel` (or the root leaf, if the tree is
   * shorter) that holds `target`, or the first or last such page.
   */
  #descend(read: ReadBlock, target: Uint8Array | 'first' | 'last', stopLevel: number): Path {
    const pages: PageRef[] = [];
    const childIndexes: number[] = [];
    let address = this.root;
    let level: number | undefined;
    for (;;) {
      const block = this.#readPage(read, address, level);
      pages.push({ address, block });
      level = pageLevel(block);
      if (level <= stopLevel) return { pages, childIndexes };
      const count = cellCount(block);
      assert(count > 0, () => `branch ${blockAddressText(address)} of B+tree ${this.objectNumber} is empty`);
      const childIndex = target === 'first' ? 0 : target === 'last' ? count - 1 : searchBranch(block, target);
      childIndexes.push(childIndex);
      address = this.#checkChild(branchChild(cellAt(block, childIndex)));
      level--;
    }
  }

  /**
   * Reads a page of this tree, asserting that it is one: a wrong block here is a broken link
   * (a bug, or damage the block checksum cannot see), and following it would spread the damage.
   */
  #readPage(read: ReadBlock, address: BlockAddress, level: number | undefined): Uint8Array {
    const block = read(address);
    assert(block.length === this.blockBytes, () => `block of ${block.length} bytes in a ${this.blockBytes}-byte tree`);
    const type = blockType(block);
    const found = pageLevel(block);
    assert(
      type === (found === 0 ? BlockType.BtreeLeaf : BlockType.BtreeBranch) &&
        blockObjectNumber(block) === this.objectNumber &&
        (level === undefined || found === level),
      () =>
        `block ${blockAddressText(address)} is not a page of B+tree ${this.objectNumber}` +
        `${level === undefined ? '' : ` at level ${level}`}: type ${type}, object ${blockObjectNumber(block)}, ` +
        `level ${found}`,
    );
    return block;
  }

  #checkChild(child: BlockAddress): BlockAddress {
    assert(
      child.fileNumber === this.root.fileNumber,
      () => `B+tree ${this.objectNumber} in file ${this.root.fileNumber} links to block ${blockAddressText(child)}`,
    );
    return child;
  }

  #address(blockNumber: number): BlockAddress {
    return { fileNumber: this.root.fileNumber, blockNumber };
  }

  #allocate(gather: BlockGather): BlockAddress {
    return gather.allocate(this.#space, this.objectNumber, this.root.fileNumber);
  }
}

/**
 * Every entry of `range`, read `batchSize` at a time: each batch is one `run` (for example
 * `store.read`, which retries after cache misses), and the tree may change between batches.
 * Each entry comes after the previous one in the range's direction; an entry present for the
 * whole scan is returned exactly once.
 */
export async function* scanAll(
  run: <T>(operation: (source: BlockSource) => T) => Promise<T>,
  tree: BTree,
  range: KeyRange,
  batchSize: number,
): AsyncGenerator<BTreeEntry, void, undefined> {
  let next: KeyRange | undefined = range;
  while (next !== undefined) {
    const current: KeyRange = next;
    const batch = await run((source) => tree.scan(source, current, batchSize));
    yield* batch.entries;
    next = batch.resume;
  }
}

/**
 * The split index k (1 <= k < costs.length) for cells of the given page costs: cells [0, k)
 * stay, [k, n) move right, both sides within `capacityBytes`. A branch's first right cell loses
 * its separator. `preferred` is taken when it fits; otherwise the bytes are balanced.
 */
function chooseSplit(
  costs: readonly number[],
  capacityBytes: number,
  isBranch: boolean,
  preferred: number | undefined,
): number {
  const count = costs.length;
  const prefix = [0];
  for (const cost of costs) prefix.push(prefix[prefix.length - 1] + cost);
  const total = prefix[count];
  const rightBytes = (k: number): number =>
    total - prefix[k] - (isBranch ? costs[k] - (BRANCH_CELL_MIN_BYTES + CELL_OVERHEAD_BYTES) : 0);
  const fitsBoth = (k: number): boolean =>
    k >= 1 && k < count && prefix[k] <= capacityBytes && rightBytes(k) <= capacityBytes;
  if (preferred !== undefined && fitsBoth(preferred)) return preferred;
  let best = -1;
  let bestImbalance = Infinity;
  for (let k = 1; k < count; k++) {
    if (!fitsBoth(k)) continue;
    const imbalance = Math.abs(prefix[k] - rightBytes(k));
    if (imbalance < bestImbalance) {
      best = k;
      bestImbalance = imbalance;
    }
  }
  assert(best > 0, () => `no split of ${count} cells (${total} bytes) fits pages of ${capacityBytes} bytes`);
  return best;
}

function fits(block: Uint8Array, pending: PendingCell): boolean {
  return pending.replace
    ? pending.cell.length - cellBytesAt(block, pending.index) <= freeBytes(block)
    : canInsert(block, pending.cell.length);
}

function writePending(writer: PageWriter, address: BlockAddress, pending: PendingCell): void {
  if (pending.replace) writer.replaceCell(address, pending.index, pending.cell);
  else writer.insertCell(address, pending.index, pending.cell);
}

/** Copies of every cell of a page: they must outlive changes to it. */
function copyCells(block: Uint8Array): Uint8Array[] {
  const cells: Uint8Array[] = [];
  for (let index = 0; index < cellCount(block); index++) cells.push(cellAt(block, index).slice());
  return cells;
}

function copyEntry(cell: Uint8Array): BTreeEntry {
  return { key: cellKey(cell).slice(), value: leafValue(cell).slice() };
}
