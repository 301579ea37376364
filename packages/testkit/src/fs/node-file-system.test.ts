// Runs the FileSystem conformance suite against the real disk, in a fresh temporary directory per case.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineFileSystemConformance, fileSystemCrashCases } from './file-system-conformance.js';
import { NodeFileSystem } from './node-file-system.js';

defineFileSystemConformance(
  'NodeFileSystem',
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'tandem-testkit-'));
    return {
      fs: new NodeFileSystem(),
      root,
      cleanup: () => rm(root, { recursive: true, force: true }),
    };
  },
  {
    skip: Object.fromEntries(fileSystemCrashCases.map((title) => [title, 'the real disk cannot be crashed in a test'])),
  },
);
