// Whether a path exists (any kind of file), for the commands that must not overwrite one
// or that create state on a first run.
import { access } from 'node:fs/promises';

export async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
