// Tests of the slotted page: random operation sequences against a model array of cells,
// exact fill, the consistency checker itself, and byte-level determinism for redo replay.
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@tandem/testkit';
import type { Random } from '@tandem/testkit';
import { AssertionError } from '../assert.js';
import { BlockType, formatBlock } from './block.js';
import {
  CELL_OVERHEAD_BYTES,
  NO_BLOCK,
  PAGE_SLOTS_OFFSET,
  appendCells,
  assertPage,
  canInsert,
  cellAt,
  cellBytesAt,
  cellCount,
  checkPage,
  compact,
  fragmentedBytes,
  freeBytes,
  initPage,
  insertCell,
  leftSibling,
  maxCellBytes,
  pageCapacityBytes,
  pageExtra,
  pageLevel,
  removeCell,
  replaceCell,
  rightSibling,
  setLeftSibling,
  setPageExtra,
  setPageLevel,
  setRightSibling,
  truncateCells,
} from './slotted-page.js';

const BLOCK_SIZES = [2048, 8192, 32768] as const;

function newPage(blockBytes: number, level = 0): Uint8Array {
  const block = new Uint8Array(blockBytes);
  formatBlock(block, { type: BlockType.BtreeLeaf, fileNumber: 1, blockNumber: 7, tsn: 1, objectNumber: 3 });
  initPage(block, { level });
  return block;
}

function cellOf(bytes: number, fill: number): Uint8Array {
  return new Uint8Array(bytes).fill(fill);
}

function pageCells(block: Uint8Array): Uint8Array[] {
  const cells: Uint8Array[] = [];
  for (let i = 0; i < cellCount(block); i++) cells.push(cellAt(block, i).slice());
  return cells;
}

/** Throws with the seed and step unless the page is sound and holds exactly `model`. */
function expectPageEquals(block: Uint8Array, model: readonly Uint8Array[], where: string): void {
  const problems = checkPage(block);
  if (problems.length > 0) throw new Error(`${where}: ${problems.join('; ')}`);
  if (cellCount(block) !== model.length) {
    throw new Error(`${where}: page has ${cellCount(block)} cells, model ${model.length}`);
  }
  let usedBytes = 0;
  for (let i = 0; i < model.length; i++) {
    const expected = model[i];
    if (cellBytesAt(block, i) !== expected.length || Buffer.compare(cellAt(block, i), expected) !== 0) {
      throw new Error(`${where}: cell ${i} differs from the model`);
    }
    usedBytes += expected.length + CELL_OVERHEAD_BYTES;
  }
  if (freeBytes(block) !== pageCapacityBytes(block.length) - usedBytes) {
    throw new Error(
      `${where}: ${freeBytes(block)} free bytes, model says ${pageCapacityBytes(block.length) - usedBytes}`,
    );
  }
}

function randomCell(random: Random, blockBytes: number, tag: number): Uint8Array {
  // Mostly small cells (many cells, many slots), sometimes up to the maximum.
  const bytes = random.chance(0.8) ? random.int(0, 40) : random.int(0, maxCellBytes(blockBytes) + 1);
  const cell = random.fillBytes(new Uint8Array(bytes));
  if (bytes > 0) cell[0] = tag & 0xff;
  return cell;
}

type Operation =
  | { readonly kind: 'insert'; readonly index: number; readonly cell: Uint8Array }
  | { readonly kind: 'remove'; readonly index: number }
  | { readonly kind: 'replace'; readonly index: number; readonly cell: Uint8Array }
  | { readonly kind: 'compact' }
  | { readonly kind: 'truncate'; readonly fromIndex: number }
  | { readonly kind: 'append'; readonly cells: readonly Uint8Array[] };

/** Picks an operation that is valid for the model's current cells. */
function randomOperation(random: Random, model: readonly Uint8Array[], block: Uint8Array, step: number): Operation {
  const roll = random.nextFloat();
  const count = model.length;
  if (count > 0 && roll < 0.3) return { kind: 'remove', index: random.int(0, count) };
  if (count > 0 && roll < 0.5) {
    const index = random.int(0, count);
    const cell = randomCell(random, block.length, step);
    if (cell.length - model[index].length <= freeBytes(block)) return { kind: 'replace', index, cell };
  }
  if (roll < 0.53) return { kind: 'compact' };
  if (roll < 0.55) return { kind: 'truncate', fromIndex: random.int(0, count + 1) };
  if (roll < 0.58) {
    const cells: Uint8Array[] = [];
    let neededBytes = 0;
    for (let i = random.int(0, 5); i > 0; i--) {
      const cell = randomCell(random, block.length, step);
      if (neededBytes + cell.length + CELL_OVERHEAD_BYTES > freeBytes(block)) break;
      neededBytes += cell.length + CELL_OVERHEAD_BYTES;
      cells.push(cell);
    }
    return { kind: 'append', cells };
  }
  const cell = randomCell(random, block.length, step);
  if (canInsert(block, cell.length)) return { kind: 'insert', index: random.int(0, count + 1), cell };
  // Full for this cell: free something instead, so the page keeps cycling near full.
  return count > 0 ? { kind: 'remove', index: random.int(0, count) } : { kind: 'compact' };
}

function applyOperation(block: Uint8Array, operation: Operation): void {
  switch (operation.kind) {
    case 'insert':
      return insertCell(block, operation.index, operation.cell);
    case 'remove':
      return removeCell(block, operation.index);
    case 'replace':
      return replaceCell(block, operation.index, operation.cell);
    case 'compact':
      return compact(block);
    case 'truncate':
      return truncateCells(block, operation.fromIndex);
    case 'append':
      return appendCells(block, operation.cells);
  }
}

function applyToModel(model: Uint8Array[], operation: Operation): void {
  switch (operation.kind) {
    case 'insert':
      model.splice(operation.index, 0, operation.cell);
      return;
    case 'remove':
      model.splice(operation.index, 1);
      return;
    case 'replace':
      model[operation.index] = operation.cell;
      return;
    case 'compact':
      return;
    case 'truncate':
      model.length = operation.fromIndex;
      return;
    case 'append':
      model.push(...operation.cells);
      return;
  }
}

describe('slotted page', () => {
  it.each(BLOCK_SIZES)('starts empty with no siblings (%i-byte blocks)', (blockBytes) => {
    const block = newPage(blockBytes, 2);
    expect(checkPage(block)).toEqual([]);
    expect(cellCount(block)).toBe(0);
    expect(freeBytes(block)).toBe(blockBytes - PAGE_SLOTS_OFFSET);
    expect(fragmentedBytes(block)).toBe(0);
    expect(pageLevel(block)).toBe(2);
    expect([rightSibling(block), leftSibling(block), pageExtra(block)]).toEqual([NO_BLOCK, NO_BLOCK, NO_BLOCK]);
  });

  it('keeps header fields, including extremes, apart from each other and from the block header', () => {
    const block = newPage(32768);
    const blockHeader = block.slice(0, 32);
    setPageLevel(block, 255);
    setRightSibling(block, 0xffff_fffe);
    setLeftSibling(block, 0);
    setPageExtra(block, 0x8000_0001);
    insertCell(block, 0, cellOf(10, 1));
    expect([pageLevel(block), rightSibling(block), leftSibling(block), pageExtra(block)]).toEqual([
      255, 0xffff_fffe, 0, 0x8000_0001,
    ]);
    expect(block.slice(0, 32)).toEqual(blockHeader);
    expect(checkPage(block)).toEqual([]);
    expect(() => setPageLevel(block, 256)).toThrow(AssertionError);
    expect(() => setRightSibling(block, 2 ** 32)).toThrow(AssertionError);
  });

  it.each(BLOCK_SIZES)('matches a model under random operations (%i-byte blocks)', (blockBytes) => {
    for (const seed of [1, 2, 3, 4]) {
      const random = new SeededRandom(seed * 1000 + blockBytes);
      const block = newPage(blockBytes);
      const model: Uint8Array[] = [];
      const counts = { compactions: 0, maxCells: 0 };
      for (let step = 0; step < 1500; step++) {
        const operation = randomOperation(random, model, block, step);
        const fragmentedBefore = fragmentedBytes(block);
        try {
          applyOperation(block, operation);
        } catch (error) {
          throw new Error(`seed ${random.seed} step ${step} ${operation.kind}: ${String(error)}`, { cause: error });
        }
        if (fragmentedBefore > 0 && fragmentedBytes(block) === 0 && cellCount(block) > 0) counts.compactions++;
        applyToModel(model, operation);
        expectPageEquals(block, model, `seed ${random.seed} step ${step} ${operation.kind}`);
        counts.maxCells = Math.max(counts.maxCells, model.length);
      }
      // The run must have reached the paths it is meant to test.
      expect(counts.compactions, `seed ${random.seed}`).toBeGreaterThan(10);
      expect(counts.maxCells, `seed ${random.seed}`).toBeGreaterThan(20);
    }
  });

  it.each(BLOCK_SIZES)('fills to exactly full, then refuses one more byte (%i-byte blocks)', (blockBytes) => {
    const block = newPage(blockBytes);
    const model: Uint8Array[] = [];
    const cellBytes = 37; // many cells, and a remainder the last cell must fill exactly
    while (canInsert(block, cellBytes)) {
      const cell = cellOf(cellBytes, model.length + 1);
      insertCell(block, 0, cell);
      model.unshift(cell);
    }
    expect(freeBytes(block)).toBeGreaterThanOrEqual(CELL_OVERHEAD_BYTES);
    const last = cellOf(freeBytes(block) - CELL_OVERHEAD_BYTES, 0xee);
    expect(canInsert(block, last.length)).toBe(true);
    expect(canInsert(block, last.length + 1)).toBe(false);
    insertCell(block, model.length, last);
    model.push(last);
    expect(freeBytes(block)).toBe(0);
    expect(canInsert(block, 0)).toBe(false);
    expectPageEquals(block, model, 'full page');
    expect(() => insertCell(block, 0, new Uint8Array(0))).toThrow(/page full/);
    expect(() => replaceCell(block, 0, cellOf(cellBytes + 1, 1))).toThrow(/no room/);
    replaceCell(block, 0, cellOf(cellBytes, 0x11)); // same size: in place, even when full
    model[0] = cellOf(cellBytes, 0x11);
    expectPageEquals(block, model, 'full page after refused changes');
  });

  it.each(BLOCK_SIZES)('takes 4 cells of maxCellBytes on an empty page (%i-byte blocks)', (blockBytes) => {
    const block = newPage(blockBytes, 1);
    const cells = [1, 2, 3, 4].map((fill) => cellOf(maxCellBytes(blockBytes), fill));
    appendCells(block, cells);
    expectPageEquals(block, cells, 'four maximal cells');
    expect(canInsert(block, maxCellBytes(blockBytes))).toBe(false);
  });

  it('reclaims fragments by compacting when the contiguous gap is short', () => {
    const block = newPage(2048);
    const model: Uint8Array[] = [];
    for (let i = 0; canInsert(block, 100); i++) {
      model.push(cellOf(100, i + 1));
      insertCell(block, i, model[i]);
    }
    // Free every other cell: lots of free bytes, none of them contiguous.
    for (let i = model.length - 2; i >= 0; i -= 2) {
      removeCell(block, i);
      model.splice(i, 1);
    }
    expect(fragmentedBytes(block)).toBeGreaterThan(300);
    const big = cellOf(300, 0xab);
    expect(canInsert(block, big.length)).toBe(true);
    insertCell(block, 1, big);
    model.splice(1, 0, big);
    expect(fragmentedBytes(block)).toBe(0);
    expectPageEquals(block, model, 'after compacting insert');
  });

  it('shrinks in place and grows by moving, on replace', () => {
    const block = newPage(8192);
    appendCells(block, [cellOf(50, 1), cellOf(50, 2), cellOf(50, 3)]);
    replaceCell(block, 1, cellOf(20, 4));
    expect(fragmentedBytes(block)).toBe(30);
    replaceCell(block, 1, cellOf(80, 5));
    expectPageEquals(block, [cellOf(50, 1), cellOf(80, 5), cellOf(50, 3)], 'after replace');
  });

  it('truncates for a split and resets a page emptied', () => {
    const block = newPage(8192);
    const cells = [1, 2, 3, 4, 5, 6].map((fill) => cellOf(fill * 10, fill));
    appendCells(block, cells);
    truncateCells(block, 3);
    expectPageEquals(block, cells.slice(0, 3), 'after truncate');
    truncateCells(block, 0);
    expectPageEquals(block, [], 'after truncate to empty');
    expect(block).toEqual(newPage(8192));
  });

  it('refuses a cell that lies inside the block itself', () => {
    const pool = new Uint8Array(2 * 2048);
    const block = pool.subarray(0, 2048);
    formatBlock(block, { type: BlockType.BtreeLeaf, fileNumber: 1, blockNumber: 1, tsn: 1, objectNumber: 1 });
    initPage(block, { level: 0 });
    appendCells(block, [cellOf(10, 1)]);
    expect(() => insertCell(block, 0, cellAt(block, 0))).toThrow(/inside the block/);
    // A neighbouring block of the same pool is a different block: allowed.
    insertCell(block, 0, pool.subarray(2048, 2058));
    expect(checkPage(block)).toEqual([]);
  });

  it('asserts on out-of-range indexes', () => {
    const block = newPage(2048);
    appendCells(block, [cellOf(5, 1)]);
    expect(() => cellAt(block, 1)).toThrow(AssertionError);
    expect(() => cellAt(block, -1)).toThrow(AssertionError);
    expect(() => removeCell(block, 1)).toThrow(AssertionError);
    expect(() => insertCell(block, 2, cellOf(1, 1))).toThrow(AssertionError);
    expect(() => truncateCells(block, 2)).toThrow(AssertionError);
  });

  it.each(BLOCK_SIZES)(
    'gives identical bytes for the same operations from the same bytes (%i-byte blocks)',
    (blockBytes) => {
      const random = new SeededRandom(77 + blockBytes);
      const first = newPage(blockBytes);
      const model: Uint8Array[] = [];
      // Build up a fragmented starting page.
      for (let step = 0; step < 300; step++) {
        const operation = randomOperation(random, model, first, step);
        applyOperation(first, operation);
        applyToModel(model, operation);
      }
      const second = first.slice();
      for (let step = 0; step < 500; step++) {
        const operation = randomOperation(random, model, first, step);
        applyOperation(first, operation);
        applyOperation(second, operation);
        applyToModel(model, operation);
        if (Buffer.compare(first, second) !== 0) throw new Error(`seed ${random.seed} step ${step}: bytes diverge`);
      }
    },
  );

  it('compacts to the same bytes whatever history led to the same cells', () => {
    const random = new SeededRandom(4242);
    const cells = Array.from({ length: 30 }, () => random.fillBytes(new Uint8Array(random.int(0, 100))));
    const direct = newPage(8192);
    appendCells(direct, cells);
    const churned = newPage(8192);
    for (let i = cells.length - 1; i >= 0; i--) {
      insertCell(churned, 0, cellOf(random.int(0, 60), 9)); // a decoy, replaced below
      insertCell(churned, 0, cells[i]);
    }
    for (let i = cells.length; i >= 1; i--) removeCell(churned, 2 * i - 1);
    expect(pageCells(churned)).toEqual(cells);
    compact(direct);
    compact(churned);
    expect(Buffer.compare(direct, churned)).toBe(0);
  });

  describe('checkPage', () => {
    function soundPage(): Uint8Array {
      const block = newPage(2048);
      appendCells(block, [cellOf(10, 1), cellOf(20, 2), cellOf(30, 3)]);
      removeCell(block, 1);
      expect(checkPage(block)).toEqual([]);
      return block;
    }

    it('reports overlapping cells', () => {
      const block = soundPage();
      // Point slot 1 two bytes into cell 0.
      const slot0 = block[PAGE_SLOTS_OFFSET] | (block[PAGE_SLOTS_OFFSET + 1] << 8);
      block[PAGE_SLOTS_OFFSET + 2] = (slot0 + 2) & 0xff;
      block[PAGE_SLOTS_OFFSET + 3] = (slot0 + 2) >>> 8;
      expect(checkPage(block).join()).toMatch(/overlaps|beyond/);
      expect(() => assertPage(block)).toThrow(AssertionError);
    });

    it('reports a slot outside the cell area', () => {
      const block = soundPage();
      block[PAGE_SLOTS_OFFSET] = 0x60;
      block[PAGE_SLOTS_OFFSET + 1] = 0;
      expect(checkPage(block).join()).toMatch(/outside cell area/);
    });

    it('reports a wrong fragmented count', () => {
      const block = soundPage();
      block[36] += 1;
      expect(checkPage(block).join()).toMatch(/fragmented bytes/);
    });

    it('reports stale bytes in free space', () => {
      const block = soundPage();
      block[PAGE_SLOTS_OFFSET + 10] = 1;
      expect(checkPage(block).join()).toMatch(/not zero/);
    });

    it('reports a slot array running into the cells', () => {
      const block = soundPage();
      block[32] = 0xff;
      block[33] = 0x03; // 1023 slots
      expect(checkPage(block).join()).toMatch(/overlaps cell area/);
    });
  });
});
