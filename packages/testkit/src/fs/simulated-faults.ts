// Injected I/O errors for the simulated disk: rules that fail chosen operations on chosen
// paths, so a test can prove the engine survives a failed fsync or a full disk.

import { normalizeSimulatedPath } from './simulated-namespace.js';

/** Every FileSystem and FileHandle method, as a fault rule names it. */
export type FileSystemOperationKind =
  | 'open'
  | 'read'
  | 'write'
  | 'append'
  | 'sync'
  | 'datasync'
  | 'truncate'
  | 'size'
  | 'close'
  | 'readFile'
  | 'rename'
  | 'unlink'
  | 'mkdir'
  | 'rmdir'
  | 'list'
  | 'stat'
  | 'exists'
  | 'syncDirectory';

export interface FaultRule {
  /** The operations this rule fails. Default: all. */
  readonly operations?: readonly FileSystemOperationKind[];
  /**
   * The path it fails: a string is compared with the normalized path, a RegExp is tested
   * against it. A rename matches on either its source or its target. Default: any path.
   */
  readonly path?: string | RegExp;
  readonly error: 'EIO' | 'ENOSPC';
  /** Let this many matching operations succeed before failing any. Default 0. */
  readonly skip?: number;
  /** Fail this many matching operations, then let the rest through. Default 1; Infinity fails forever. */
  readonly times?: number;
}

export interface InjectedFault {
  /** Stops the rule from failing anything more. */
  remove(): void;
}

interface ActiveRule {
  readonly operations: ReadonlySet<FileSystemOperationKind> | undefined;
  readonly path: string | RegExp | undefined;
  readonly error: 'EIO' | 'ENOSPC';
  skipRemaining: number;
  timesRemaining: number;
}

export class FaultInjector {
  #rules: ActiveRule[] = [];

  inject(rule: FaultRule): InjectedFault {
    const skip = rule.skip ?? 0;
    const times = rule.times ?? 1;
    if (!Number.isSafeInteger(skip) || skip < 0) {
      throw new RangeError(`fault skip must be a non-negative integer, got ${skip}`);
    }
    if (!(times === Number.POSITIVE_INFINITY || (Number.isSafeInteger(times) && times > 0))) {
      throw new RangeError(`fault times must be a positive integer or Infinity, got ${times}`);
    }
    const active: ActiveRule = {
      operations: rule.operations === undefined ? undefined : new Set(rule.operations),
      path: typeof rule.path === 'string' ? normalizeSimulatedPath(rule.path) : rule.path,
      error: rule.error,
      skipRemaining: skip,
      timesRemaining: times,
    };
    this.#rules.push(active);
    return {
      remove: () => {
        this.#rules = this.#rules.filter((candidate) => candidate !== active);
      },
    };
  }

  /**
   * Counts one operation against every rule it matches and returns the error of the first
   * rule (in order of injection) that fails it, or undefined to let it run.
   */
  check(kind: FileSystemOperationKind, paths: readonly string[]): 'EIO' | 'ENOSPC' | undefined {
    let failure: 'EIO' | 'ENOSPC' | undefined;
    for (const rule of this.#rules) {
      if (rule.timesRemaining === 0) continue;
      if (rule.operations !== undefined && !rule.operations.has(kind)) continue;
      if (rule.path !== undefined && !paths.some((path) => matchesPath(rule.path as string | RegExp, path))) continue;
      if (rule.skipRemaining > 0) {
        rule.skipRemaining--;
        continue;
      }
      rule.timesRemaining--;
      failure ??= rule.error;
    }
    return failure;
  }
}

function matchesPath(pattern: string | RegExp, path: string): boolean {
  if (typeof pattern === 'string') return pattern === path;
  // A global or sticky RegExp keeps lastIndex between tests; reset it so a match does not depend on the last one.
  pattern.lastIndex = 0;
  return pattern.test(path);
}
