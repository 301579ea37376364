// The manifest: validated on read, with errors that name the field; another format version
// or a path leaving the backup directory is refused.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  describeEntry,
  MANIFEST_FORMAT,
  parseManifest,
  readManifest,
  writeManifest,
  type Manifest,
} from './manifest.js';

const sha = 'ab'.repeat(32);

const manifest: Manifest = {
  format: MANIFEST_FORMAT,
  version: 1,
  kind: 'online',
  database: { name: 'tandem', dbId: 42, incarnation: 1, resetlogsTsn: 0, blockBytes: 8192, logMode: 'ARCHIVELOG' },
  directory: '/var/lib/tandem/db',
  startTsn: 100,
  endTsn: 180,
  startedAt: '2026-11-21T10:00:00.000Z',
  finishedAt: '2026-11-21T10:00:05.000Z',
  tandemVersion: '0.1.0',
  compression: 'none',
  files: [
    {
      role: 'datafile',
      originalPath: '/var/lib/tandem/db/usr001.dtf',
      path: 'datafiles/4-usr001.dtf',
      bytes: 8192,
      sha256: sha,
      compressed: false,
      storedBytes: 8192,
      storedSha256: sha,
      fileNumber: 4,
      tablespace: 'USR',
      tablespaceNumber: 3,
      checkpointTsn: 100,
    },
    {
      role: 'archived-log',
      originalPath: '/var/lib/tandem/db/archive/log-t1-r1-s7.arc',
      path: 'archive/log-t1-r1-s7.arc',
      bytes: 1024,
      sha256: sha,
      compressed: false,
      storedBytes: 1024,
      storedSha256: sha,
      sequence: 7,
      incarnation: 1,
      firstTsn: 90,
      nextTsn: 181,
    },
  ],
  totals: { files: 2, bytes: 9216, storedBytes: 9216 },
};

describe('the backup manifest', () => {
  it('round-trips through manifest.json', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'tandem-manifest-'));
    try {
      await writeManifest(directory, manifest);
      expect(await readManifest(directory)).toEqual(manifest);
      expect(JSON.parse(await readFile(join(directory, 'manifest.json'), 'utf8'))).toMatchObject({
        format: MANIFEST_FORMAT,
      });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('names the field that is wrong', () => {
    const bad = { ...manifest, files: [{ ...manifest.files[0], sha256: 'nope' }] };
    expect(() => parseManifest(JSON.stringify(bad))).toThrow(
      /^TBAK-0010: manifest.json is not a valid manifest: files\.0\.sha256: a sha256 in hex/,
    );
  });

  it('refuses paths outside the backup directory', () => {
    const bad = { ...manifest, files: [{ ...manifest.files[0], path: '../../etc/passwd' }] };
    expect(() => parseManifest(JSON.stringify(bad))).toThrow(/files\.0\.path: a path inside the backup/);
  });

  it('refuses another format version, and what is not a manifest', () => {
    expect(() => parseManifest(JSON.stringify({ ...manifest, version: 2 }))).toThrow(
      /^TBAK-0011: .* is format version 2/,
    );
    expect(() => parseManifest('{"format":"something else","version":1}')).toThrow(/^TBAK-0010: .* not the manifest/);
    expect(() => parseManifest('not json')).toThrow(/^TBAK-0010: .* is not JSON/);
  });

  it('describes entries for messages', () => {
    expect(manifest.files.map(describeEntry)).toEqual([
      'datafile 4 (datafiles/4-usr001.dtf)',
      'archived log sequence 7 (archive/log-t1-r1-s7.arc)',
    ]);
  });
});
