// Files of the @tandem/cli package, found from the package's root, so that they resolve the
// same from the compiled modules (dist/*), from the bundled command (dist/bundle/*) and
// from the sources under test (src/*).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = '@tandem/cli';

let root: string | undefined;
let manifest: { readonly name: string; readonly version: string } | undefined;

/** The directory of the package.json named @tandem/cli, the nearest above this module. */
function packageRoot(): string {
  if (root !== undefined) return root;
  const here = fileURLToPath(import.meta.url);
  for (let dir = dirname(here); ;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const found = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (found.name === PACKAGE_NAME && typeof found.version === 'string') {
        manifest = { name: found.name, version: found.version };
        return (root = dir);
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json of ${PACKAGE_NAME} above ${here}`);
    dir = parent;
  }
}

/** A path inside the package, from its root: cliPath('bin', 'tandem.js'). */
export function cliPath(...parts: readonly string[]): string {
  return join(packageRoot(), ...parts);
}

/** The installed `tandem` command, which child processes run (`node <bin> db start ...`). */
export function tandemBin(): string {
  return cliPath('bin', 'tandem.js');
}

/** The CLI's version, from its package.json: one place to bump it. */
export function packageVersion(): string {
  packageRoot();
  return manifest!.version;
}
