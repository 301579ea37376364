// The structural check of a whole B+tree, for tests and for a corruption report: it walks
// every page from the root and lists every broken invariant instead of stopping at the first.
// It reads every block, so give it a source that does not miss (or run it with runWithRetry).
import { AssertionError } from '../assert.js';
import { BlockType, blockAddressText, blockKey, readBlockHeader, type BlockAddress } from '../storage/block.js';
import {
  NO_BLOCK,
  cellAt,
  cellCount,
  checkPage,
  leftSibling,
  pageExtra,
  pageLevel,
  rightSibling,
} from '../storage/slotted-page.js';
import { RetryAfter, type BlockSource } from '../txn/mini-transaction.js';
import { branchChild, cellFormatProblem, cellKey } from './btree-cell.js';
import { compareKeys } from './key-codec.js';

/** What the check needs to know of the tree. */
export interface CheckedTree {
  readonly root: BlockAddress;
  readonly objectNumber: number;
  readonly blockBytes: number;
}

// A tree broken at one place (a bad link, a misplaced key) can break every page after it;
// listing them all hides the cause.
const PROBLEMS_MAX = 64;

/**
 * Returns every problem found, empty for a sound tree: pages sound (checkPage); blocks of the
 * right type, object, address and level; keys strictly increasing within and across pages;
 * every key inside the bounds its ancestors' separators give it; only the root may be empty;
 * every block reached once (no cycles, no shared children); leaves linked in key order both
 * ways. Throws only RetryAfter.
 */
export function checkTree(source: BlockSource, tree: CheckedTree): string[] {
  const checker = new TreeChecker(source, tree);
  try {
    checker.visit(tree.root, undefined, undefined, undefined);
    checker.checkLeafLinks();
  } catch (signal) {
    if (!(signal instanceof TooManyProblems)) throw signal;
    checker.problems.push('(more problems not listed)');
  }
  return checker.problems;
}

class TooManyProblems extends Error {}

interface LeafLinks {
  readonly blockNumber: number;
  readonly left: number;
  readonly right: number;
}

class TreeChecker {
  readonly problems: string[] = [];
  readonly #source: BlockSource;
  readonly #tree: CheckedTree;
  readonly #visited = new Set<number>();
  /** Leaves in key order, as the branches reach them. */
  readonly #leaves: LeafLinks[] = [];
  /** The last key of the leaves visited so far: keys must increase across pages too. */
  #lastKey: Uint8Array | undefined;

  constructor(source: BlockSource, tree: CheckedTree) {
    this.#source = source;
    this.#tree = tree;
  }

  /**
   * Checks the subtree at `address`, whose keys must lie in [lower, upper) (undefined: no
   * bound) and whose level must be `level` (undefined for the root, which sets it).
   */
  visit(
    address: BlockAddress,
    level: number | undefined,
    lower: Uint8Array | undefined,
    upper: Uint8Array | undefined,
  ): void {
    const where = `block ${blockAddressText(address)}`;
    const key = blockKey(address.fileNumber, address.blockNumber);
    if (this.#visited.has(key)) return this.#problem(`${where} is reached twice (a cycle or a shared child)`);
    this.#visited.add(key);
    const block = this.#read(address, where);
    if (block === undefined) return;
    if (block.length !== this.#tree.blockBytes) {
      return this.#problem(`${where} has ${block.length} bytes, not ${this.#tree.blockBytes}`);
    }
    const pageProblems = checkPage(block);
    if (pageProblems.length > 0) return this.#problem(`${where} is not a sound page: ${pageProblems.join('; ')}`);
    const header = readBlockHeader(block);
    if (header.fileNumber !== address.fileNumber || header.blockNumber !== address.blockNumber) {
      this.#problem(`${where} holds block ${blockAddressText(header)}`);
    }
    if (header.objectNumber !== this.#tree.objectNumber) {
      return this.#problem(`${where} belongs to object ${header.objectNumber}, not ${this.#tree.objectNumber}`);
    }
    const pageLevelFound = pageLevel(block);
    if (level !== undefined && pageLevelFound !== level) {
      return this.#problem(`${where} is at level ${pageLevelFound}, its parent expects ${level}`);
    }
    const expectedType = pageLevelFound === 0 ? BlockType.BtreeLeaf : BlockType.BtreeBranch;
    if (header.type !== expectedType) {
      return this.#problem(`${where} at level ${pageLevelFound} has block type ${header.type}, not ${expectedType}`);
    }
    if (pageExtra(block) !== NO_BLOCK) this.#problem(`${where} has extra ${pageExtra(block)}, not NO_BLOCK`);
    const count = cellCount(block);
    const isRoot = level === undefined;
    if (count === 0 && (!isRoot || pageLevelFound > 0)) {
      this.#problem(`${where} at level ${pageLevelFound} is empty, and only a root leaf may be`);
    }
    if (pageLevelFound === 0) {
      this.#checkLeaf(block, where, lower, upper);
      this.#leaves.push({ blockNumber: address.blockNumber, left: leftSibling(block), right: rightSibling(block) });
    } else {
      this.#checkBranch(block, where, pageLevelFound, lower, upper);
    }
  }

  /** Walks the leaves in key order and checks each one's links to its neighbours. */
  checkLeafLinks(): void {
    const leaves = this.#leaves;
    for (let i = 0; i < leaves.length; i++) {
      const expectedLeft = i > 0 ? leaves[i - 1].blockNumber : NO_BLOCK;
      const expectedRight = i + 1 < leaves.length ? leaves[i + 1].blockNumber : NO_BLOCK;
      const leaf = leaves[i];
      if (leaf.left !== expectedLeft) {
        this.#problem(`leaf ${leaf.blockNumber} links left to ${linkText(leaf.left)}, not ${linkText(expectedLeft)}`);
      }
      if (leaf.right !== expectedRight) {
        this.#problem(
          `leaf ${leaf.blockNumber} links right to ${linkText(leaf.right)}, not ${linkText(expectedRight)}`,
        );
      }
    }
  }

  #checkLeaf(block: Uint8Array, where: string, lower: Uint8Array | undefined, upper: Uint8Array | undefined): void {
    let previous = this.#lastKey;
    for (let index = 0; index < cellCount(block); index++) {
      const cell = cellAt(block, index);
      const formatProblem = cellFormatProblem(cell, 0);
      if (formatProblem !== undefined) {
        this.#problem(`${where} cell ${index}: ${formatProblem}`);
        continue;
      }
      const key = cellKey(cell);
      if (previous !== undefined && compareKeys(previous, key) >= 0) {
        this.#problem(`${where} cell ${index}: key ${hex(key)} not above the previous key ${hex(previous)}`);
      }
      this.#lastKey = key;
      if (lower !== undefined && compareKeys(key, lower) < 0) {
        this.#problem(`${where} cell ${index}: key ${hex(key)} below its subtree's lower bound ${hex(lower)}`);
      }
      if (upper !== undefined && compareKeys(key, upper) >= 0) {
        this.#problem(`${where} cell ${index}: key ${hex(key)} not below its subtree's upper bound ${hex(upper)}`);
      }
      previous = key;
    }
  }

  #checkBranch(
    block: Uint8Array,
    where: string,
    level: number,
    lower: Uint8Array | undefined,
    upper: Uint8Array | undefined,
  ): void {
    if (leftSibling(block) !== NO_BLOCK || rightSibling(block) !== NO_BLOCK) {
      this.#problem(`${where} is a branch with sibling links (only leaves are linked)`);
    }
    const count = cellCount(block);
    const separators: Uint8Array[] = [];
    const children: (BlockAddress | undefined)[] = [];
    for (let index = 0; index < count; index++) {
      const cell = cellAt(block, index);
      const formatProblem = cellFormatProblem(cell, level);
      if (formatProblem !== undefined) {
        this.#problem(`${where} cell ${index}: ${formatProblem}`);
        return;
      }
      const separator = cellKey(cell).slice();
      if (index === 0 && separator.length > 0) {
        this.#problem(`${where} cell 0 has separator ${hex(separator)}, not the empty one`);
      }
      if (index > 0) {
        const previous = separators[index - 1];
        if (index > 1 && compareKeys(previous, separator) >= 0) {
          this.#problem(`${where} cell ${index}: separator ${hex(separator)} not above ${hex(previous)}`);
        }
        if (lower !== undefined && compareKeys(separator, lower) <= 0) {
          this.#problem(`${where} cell ${index}: separator ${hex(separator)} not above the lower bound ${hex(lower)}`);
        }
        if (upper !== undefined && compareKeys(separator, upper) >= 0) {
          this.#problem(`${where} cell ${index}: separator ${hex(separator)} not below the upper bound ${hex(upper)}`);
        }
      }
      separators.push(separator);
      const child = branchChild(cell);
      if (child.fileNumber !== this.#tree.root.fileNumber) {
        this.#problem(`${where} cell ${index}: child ${blockAddressText(child)} outside the tree's file`);
        children.push(undefined);
      } else {
        children.push(child);
      }
    }
    for (let index = 0; index < count; index++) {
      const child = children[index];
      if (child === undefined) continue;
      const childLower = index === 0 ? lower : separators[index];
      const childUpper = index + 1 < count ? separators[index + 1] : upper;
      this.visit(child, level - 1, childLower, childUpper);
    }
  }

  #read(address: BlockAddress, where: string): Uint8Array | undefined {
    try {
      return this.#source.block(address);
    } catch (error) {
      if (error instanceof RetryAfter) throw error;
      if (error instanceof TooManyProblems) throw error;
      this.#problem(`${where} cannot be read: ${error instanceof AssertionError ? error.message : String(error)}`);
      return undefined;
    }
  }

  #problem(problem: string): void {
    this.problems.push(problem);
    if (this.problems.length >= PROBLEMS_MAX) throw new TooManyProblems();
  }
}

function linkText(blockNumber: number): string {
  return blockNumber === NO_BLOCK ? 'none' : String(blockNumber);
}

function hex(bytes: Uint8Array): string {
  const shown = bytes.length > 24 ? bytes.subarray(0, 24) : bytes;
  const text = Buffer.from(shown.buffer, shown.byteOffset, shown.byteLength).toString('hex');
  return bytes.length > 24 ? `${text}... (${bytes.length} bytes)` : `'${text}'`;
}
