// What a simulated power loss does to one unsynced write or truncate, after SQLite's
// test6.c crash VFS: keep it, drop it, or tear it at a sector boundary.

import type { Random } from '../random/random.js';
import type { FileContent, PendingDataOperation } from './simulated-inode.js';

/** Relative weights of the fates of an unsynced write at a crash. They need not sum to 1. */
export interface CrashFates {
  readonly keep: number;
  readonly drop: number;
  readonly tear: number;
}

export const defaultCrashFates: CrashFates = { keep: 1, drop: 1, tear: 1 };

/** What the crash did with one unsynced write or truncate. */
export interface CrashedDataOperation {
  /** The file's path after the crash. Operations on files that vanished are not reported. */
  readonly path: string;
  readonly kind: 'write' | 'truncate';
  /** A write's file position; for a truncate, the size it set. */
  readonly position: number;
  /** A write's length; 0 for a truncate. */
  readonly lengthBytes: number;
  readonly fate: 'kept' | 'dropped' | 'torn';
  /** For a torn write: how many bytes from its start reached the disk. */
  readonly tornAtBytes?: number;
  /** For a torn write: whether the bytes past the tear are the old ones or random garbage. */
  readonly tail?: 'old' | 'garbage';
}

export interface CrashedMetadataOperation {
  readonly description: string;
  readonly fate: 'kept' | 'dropped';
}

/** Everything a crash decided, in the order the operations ran, for a failing test to print. */
export interface CrashReport {
  /** The seed of the Random that made the choices, to replay the case. */
  readonly seed: number;
  readonly dataOperations: readonly CrashedDataOperation[];
  readonly metadataOperations: readonly CrashedMetadataOperation[];
  readonly metadataOperationsKept: number;
  readonly metadataOperationsDropped: number;
}

export function checkCrashFates(fates: CrashFates): void {
  const weights = [fates.keep, fates.drop, fates.tear];
  if (weights.some((weight) => !(weight >= 0 && Number.isFinite(weight))) || weights.every((weight) => weight === 0)) {
    throw new RangeError(
      `crash fates must be finite, non-negative and not all zero, got keep ${fates.keep}, drop ${fates.drop}, tear ${fates.tear}`,
    );
  }
}

/**
 * Decides the fate of `operation` and applies it to `content`, the file as rebuilt so far
 * (its durable bytes plus the fates of the earlier operations).
 */
export function crashDataOperation(
  random: Random,
  fates: CrashFates,
  sectorBytes: number,
  content: FileContent,
  operation: PendingDataOperation,
  path: string,
): CrashedDataOperation {
  if (operation.kind === 'truncate') {
    // A truncate is one metadata update of the inode: it happens or it does not.
    const keepWeight = fates.keep + fates.drop === 0 ? 0.5 : fates.keep / (fates.keep + fates.drop);
    const kept = random.chance(keepWeight);
    if (kept) content.truncate(operation.sizeBytes);
    return { path, kind: 'truncate', position: operation.sizeBytes, lengthBytes: 0, fate: kept ? 'kept' : 'dropped' };
  }

  const { position, data } = operation;
  const described = { path, kind: 'write', position, lengthBytes: data.length } as const;
  const draw = random.nextFloat() * (fates.keep + fates.drop + fates.tear);
  if (draw < fates.keep) {
    content.write(data, position);
    return { ...described, fate: 'kept' };
  }
  if (draw < fates.keep + fates.drop || fates.tear === 0) {
    return { ...described, fate: 'dropped' };
  }

  const tornAtBytes = chooseTear(random, sectorBytes, position, data.length);
  const tail = random.chance(0.5) ? 'old' : 'garbage';
  // Only the bytes that reached the disk extend the file: with an old tail, the size ends
  // at the tear; with a garbage tail the whole range was written, just not with the data.
  content.write(data.subarray(0, tornAtBytes), position);
  if (tail === 'garbage') {
    content.write(random.fillBytes(new Uint8Array(data.length - tornAtBytes)), position + tornAtBytes);
  }
  return { ...described, fate: 'torn', tornAtBytes, tail };
}

/**
 * Where a write tears, as bytes from its start. A disk writes whole sectors, so a write
 * longer than a sector tears at a sector boundary strictly inside it (in file positions,
 * so an unaligned write tears where the device would). A write of at most one sector has
 * no such guarantee to lean on, and keeps a random prefix shorter than itself.
 */
function chooseTear(random: Random, sectorBytes: number, position: number, lengthBytes: number): number {
  if (lengthBytes <= sectorBytes) return random.int(0, lengthBytes);
  const firstBoundary = (Math.floor(position / sectorBytes) + 1) * sectorBytes;
  const lastBoundary = (Math.ceil((position + lengthBytes) / sectorBytes) - 1) * sectorBytes;
  // An open interval longer than a sector always holds a boundary.
  if (!(firstBoundary <= lastBoundary && firstBoundary > position && lastBoundary < position + lengthBytes)) {
    throw new Error(`no sector boundary inside a ${lengthBytes}-byte write at ${position} (sector ${sectorBytes})`);
  }
  const boundaryCount = (lastBoundary - firstBoundary) / sectorBytes + 1;
  return firstBoundary + random.int(0, boundaryCount) * sectorBytes - position;
}
