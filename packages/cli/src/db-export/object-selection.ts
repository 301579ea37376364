// Which statements an export writes, or an import runs, for --user and --table (Tibero's
// tbexport USER and TABLE modes). A user takes its CREATE USER, its system privileges, the
// tables it owns with their indexes, owner and grants, and the sequences their DEFAULTs use;
// a table takes itself, its indexes, owner and grants, and the sequences its DEFAULTs use
// (but not its owner's CREATE USER, as tbimport expects the user to exist).
import type { ExportScope, ExportStatement } from './export-file.js';
import { ExportError } from './export-errors.js';

/** The name as stored, matched exactly or, failing that, as an unquoted SQL name (lower case). */
function resolveName(name: string, known: ReadonlySet<string>): string | undefined {
  if (known.has(name)) return name;
  const lower = name.toLowerCase();
  return known.has(lower) ? lower : undefined;
}

function resolveAll(
  names: readonly string[],
  known: ReadonlySet<string>,
  unknown: (name: string) => ExportError,
): Set<string> {
  const resolved = new Set<string>();
  for (const name of names) {
    const found = resolveName(name, known);
    if (found === undefined) throw unknown(name);
    resolved.add(found);
  }
  return resolved;
}

/** The scope's statements; `where` names the database or file in errors. */
export function selectStatements(
  statements: readonly ExportStatement[],
  scope: ExportScope,
  where: string,
): ExportStatement[] {
  switch (scope.kind) {
    case 'full':
      return [...statements];
    case 'users': {
      const known = new Set(
        statements.flatMap((s) => (s.type === 'USER' ? [s.name] : s.owner === null ? [] : [s.owner])),
      );
      const users = resolveAll(
        scope.users,
        known,
        (name) => new ExportError('UNKNOWN_USER', `user "${name}" does not exist in ${where} (or owns nothing there)`),
      );
      return statements.filter((s) => s.owner !== null && users.has(s.owner));
    }
    case 'tables': {
      const known = new Set(statements.filter((s) => s.type === 'TABLE').map((s) => s.name));
      const tables = resolveAll(
        scope.tables,
        known,
        (name) => new ExportError('UNKNOWN_TABLE', `table "${name}" does not exist in ${where}`),
      );
      return statements.filter((s) => s.table !== null && tables.has(s.table));
    }
  }
}

/** The tables the statements create, in their order. */
export function tablesOf(statements: readonly ExportStatement[]): string[] {
  return statements.filter((s) => s.type === 'TABLE').map((s) => s.name);
}

/** The scope the command-line options give: --user and --table exclude each other. */
export function scopeOf(users: readonly string[], tables: readonly string[]): ExportScope {
  if (users.length > 0 && tables.length > 0) {
    throw new ExportError('USAGE', '--user and --table exclude each other');
  }
  if (users.length > 0) return { kind: 'users', users: [...users] };
  if (tables.length > 0) return { kind: 'tables', tables: [...tables] };
  return { kind: 'full' };
}
