// The simulated disk's directory tree, and the journal of metadata operations (create,
// mkdir, rename, unlink, rmdir) that a crash replays a prefix of.

import { posix } from 'node:path';
import { FileSystemError } from './file-system.js';

/** Directory ids are never reused, so a journal entry names the same directory for its whole life. */
export const rootDirectoryId = 0;

export type DirectoryEntry =
  { readonly kind: 'file'; readonly inodeId: number } | { readonly kind: 'directory'; readonly directoryId: number };

/** A name inside a directory, the unit every metadata operation works on. */
export interface NameLocation {
  readonly directoryId: number;
  readonly name: string;
}

/**
 * One change to the namespace. `description` names the paths as they were when the
 * operation ran, for crash reports; ids do the work.
 */
export type MetadataOperation = { readonly description: string } & (
  | { readonly kind: 'createFile'; readonly at: NameLocation; readonly inodeId: number }
  | { readonly kind: 'mkdir'; readonly at: NameLocation; readonly newDirectoryId: number }
  | { readonly kind: 'rename'; readonly from: NameLocation; readonly to: NameLocation }
  | { readonly kind: 'unlink'; readonly at: NameLocation }
  | { readonly kind: 'rmdir'; readonly at: NameLocation }
);

/** Whether `operation` changes an entry of `directoryId`, so that syncing that directory must commit it. */
export function touchesDirectory(operation: MetadataOperation, directoryId: number): boolean {
  if (operation.kind === 'rename') {
    return operation.from.directoryId === directoryId || operation.to.directoryId === directoryId;
  }
  return operation.at.directoryId === directoryId;
}

/** An absolute, normalized POSIX path; a relative path resolves against the root. */
export function normalizeSimulatedPath(path: string): string {
  return posix.resolve('/', path);
}

function assertNamespace(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new Error(`simulated namespace invariant broken: ${message()}`);
}

/** A directory tree: each directory maps names to files (by inode id) or to subdirectories. */
export class Namespace {
  readonly #directories: Map<number, Map<string, DirectoryEntry>>;

  constructor(directories?: Map<number, Map<string, DirectoryEntry>>) {
    this.#directories = directories ?? new Map([[rootDirectoryId, new Map<string, DirectoryEntry>()]]);
  }

  copy(): Namespace {
    const directories = new Map<number, Map<string, DirectoryEntry>>();
    for (const [directoryId, entries] of this.#directories) directories.set(directoryId, new Map(entries));
    return new Namespace(directories);
  }

  entries(directoryId: number): ReadonlyMap<string, DirectoryEntry> {
    const entries = this.#directories.get(directoryId);
    assertNamespace(entries !== undefined, () => `directory ${directoryId} does not exist`);
    return entries;
  }

  get(location: NameLocation): DirectoryEntry | undefined {
    return this.entries(location.directoryId).get(location.name);
  }

  /**
   * The directory that holds the last component of `path` (normalized, not the root) and
   * that component. Throws ENOENT if an ancestor is missing, ENOTDIR if one is a file.
   */
  locate(path: string, syscall: string): NameLocation {
    const components = path.split('/').slice(1);
    const name = components.pop();
    assertNamespace(name !== undefined && name !== '', () => `locate needs a non-root normalized path, got '${path}'`);
    let directoryId = rootDirectoryId;
    for (const component of components) {
      const entry = this.entries(directoryId).get(component);
      if (entry === undefined) {
        throw new FileSystemError(
          'ENOENT',
          syscall,
          path,
          `ENOENT: ${syscall} '${path}': '${component}' does not exist`,
        );
      }
      if (entry.kind === 'file') {
        throw new FileSystemError('ENOTDIR', syscall, path, `ENOTDIR: ${syscall} '${path}': '${component}' is a file`);
      }
      directoryId = entry.directoryId;
    }
    return { directoryId, name };
  }

  /** The entry at `path` (normalized), undefined if the last component is missing. */
  lookup(path: string, syscall: string): DirectoryEntry | undefined {
    if (path === '/') return { kind: 'directory', directoryId: rootDirectoryId };
    return this.get(this.locate(path, syscall));
  }

  /** Applies one journal entry. The journal holds only operations that were valid when they ran, so any failure is a bug. */
  apply(operation: MetadataOperation): void {
    switch (operation.kind) {
      case 'createFile': {
        this.#assertAbsent(operation.at, operation);
        this.#mutableEntries(operation.at.directoryId).set(operation.at.name, {
          kind: 'file',
          inodeId: operation.inodeId,
        });
        return;
      }
      case 'mkdir': {
        this.#assertAbsent(operation.at, operation);
        assertNamespace(!this.#directories.has(operation.newDirectoryId), () => `${operation.description}: id reused`);
        this.#mutableEntries(operation.at.directoryId).set(operation.at.name, {
          kind: 'directory',
          directoryId: operation.newDirectoryId,
        });
        this.#directories.set(operation.newDirectoryId, new Map());
        return;
      }
      case 'rename': {
        const moved = this.get(operation.from);
        assertNamespace(moved !== undefined, () => `${operation.description}: the source is missing`);
        const replaced = this.get(operation.to);
        if (replaced?.kind === 'directory') {
          assertNamespace(moved.kind === 'directory', () => `${operation.description}: a file replaces a directory`);
          assertNamespace(
            this.entries(replaced.directoryId).size === 0,
            () => `${operation.description}: target not empty`,
          );
          this.#directories.delete(replaced.directoryId);
        }
        this.#mutableEntries(operation.from.directoryId).delete(operation.from.name);
        this.#mutableEntries(operation.to.directoryId).set(operation.to.name, moved);
        return;
      }
      case 'unlink': {
        const entry = this.get(operation.at);
        assertNamespace(entry?.kind === 'file', () => `${operation.description}: not a file`);
        this.#mutableEntries(operation.at.directoryId).delete(operation.at.name);
        return;
      }
      case 'rmdir': {
        const entry = this.get(operation.at);
        assertNamespace(entry?.kind === 'directory', () => `${operation.description}: not a directory`);
        assertNamespace(this.entries(entry.directoryId).size === 0, () => `${operation.description}: not empty`);
        this.#mutableEntries(operation.at.directoryId).delete(operation.at.name);
        this.#directories.delete(entry.directoryId);
        return;
      }
    }
  }

  /** Every file reachable from the root, as inode id to path. */
  filePaths(): Map<number, string> {
    const paths = new Map<number, string>();
    const visit = (directoryId: number, prefix: string): void => {
      for (const [name, entry] of this.entries(directoryId)) {
        const path = `${prefix}/${name}`;
        if (entry.kind === 'file') paths.set(entry.inodeId, path);
        else visit(entry.directoryId, path);
      }
    };
    visit(rootDirectoryId, '');
    return paths;
  }

  /** Every path in the tree, sorted: directories end in '/', files carry their inode id. For comparing two trees. */
  describe(): string[] {
    const lines: string[] = [];
    const visit = (directoryId: number, prefix: string): void => {
      for (const [name, entry] of this.entries(directoryId)) {
        const path = `${prefix}/${name}`;
        if (entry.kind === 'file') lines.push(`${path} #${entry.inodeId}`);
        else {
          lines.push(`${path}/`);
          visit(entry.directoryId, path);
        }
      }
    };
    visit(rootDirectoryId, '');
    return lines.sort();
  }

  #mutableEntries(directoryId: number): Map<string, DirectoryEntry> {
    const entries = this.#directories.get(directoryId);
    assertNamespace(entries !== undefined, () => `directory ${directoryId} does not exist`);
    return entries;
  }

  #assertAbsent(at: NameLocation, operation: MetadataOperation): void {
    assertNamespace(this.get(at) === undefined, () => `${operation.description}: the name already exists`);
  }
}
