// The multiplexed control file. Each copy holds two slots; an update writes the slot that
// does not hold the newest version, in every copy, and syncs. A crash that tears the write
// leaves each copy's previous version intact, so MOUNT can tell an interrupted update (which
// it repairs) from a corrupt or stale copy (which it reports, naming the file, as Tibero does:
// the operator removes the copy from the parameters or replaces it with a good one).
//
// Slot layout, little-endian: [0,8) magic; [8,12) crc32 of [12, 24 + bodyBytes);
// [12,16) bodyBytes; [16,24) change sequence (u64); [24, 24 + bodyBytes) JSON body.
import { crc32 } from 'node:zlib';
import { isFileSystemError, type FileHandle, type FileSystem } from '@tandem/testkit';
import { assert } from '../assert.js';
import { DbError } from '../errors.js';
import { readU64, writeU64 } from '../storage/block.js';
import type { ControlFileState } from './control-state.js';

export const CONTROL_SLOT_BYTES = 64 * 1024;
const SLOT_HEADER_BYTES = 24;
const MAGIC = new TextEncoder().encode('TDBCTL01');

type SlotReading =
  | { readonly kind: 'valid'; readonly sequence: number; readonly body: Uint8Array }
  | { readonly kind: 'empty' }
  | { readonly kind: 'corrupt' };

interface CopyReading {
  readonly path: string;
  readonly slots: readonly [SlotReading, SlotReading];
  /** The valid slot with the highest sequence, if any. */
  readonly newest: Extract<SlotReading, { kind: 'valid' }> | undefined;
}

export interface MountReport {
  /** Copies rewritten from the others because a crash interrupted their last update. */
  readonly repairedPaths: readonly string[];
  /** One line per anomaly that did not stop the mount (for the alert log). */
  readonly warnings: readonly string[];
}

function encodeSlot(state: ControlFileState, sequence: number): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify(state));
  if (body.length > CONTROL_SLOT_BYTES - SLOT_HEADER_BYTES) {
    throw new DbError(
      'CONTROL_FILE_TOO_LARGE',
      `the control file needs ${body.length} bytes, more than the ${CONTROL_SLOT_BYTES - SLOT_HEADER_BYTES} a slot holds; drop unused datafiles or log members`,
    );
  }
  const slot = new Uint8Array(SLOT_HEADER_BYTES + body.length);
  slot.set(MAGIC, 0);
  const view = new DataView(slot.buffer);
  view.setUint32(12, body.length, true);
  writeU64(slot, 16, sequence);
  slot.set(body, SLOT_HEADER_BYTES);
  view.setUint32(8, crc32(slot.subarray(12)), true);
  return slot;
}

function decodeSlot(bytes: Uint8Array): SlotReading {
  if (bytes.length < SLOT_HEADER_BYTES || bytes.subarray(0, SLOT_HEADER_BYTES).every((byte) => byte === 0)) {
    return { kind: 'empty' };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bodyBytes = view.getUint32(12, true);
  if (bodyBytes > bytes.length - SLOT_HEADER_BYTES) return { kind: 'corrupt' };
  const end = SLOT_HEADER_BYTES + bodyBytes;
  const magicMatches = MAGIC.every((byte, i) => bytes[i] === byte);
  if (!magicMatches || view.getUint32(8, true) !== crc32(bytes.subarray(12, end))) return { kind: 'corrupt' };
  return { kind: 'valid', sequence: readU64(bytes, 16), body: bytes.slice(SLOT_HEADER_BYTES, end) };
}

function parseState(body: Uint8Array, path: string): ControlFileState {
  try {
    const state = JSON.parse(new TextDecoder().decode(body)) as ControlFileState;
    if (state.formatVersion !== 1) throw new Error(`unknown format version ${String(state.formatVersion)}`);
    return state;
  } catch (error) {
    throw new DbError('CONTROL_FILE_CORRUPT', `control file '${path}' has a valid checksum but an unreadable body`, {
      cause: error,
    });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

export class ControlFiles {
  readonly #handles: FileHandle[];
  #state: ControlFileState;
  #sequence: number;
  /** Updates run one at a time, in call order. */
  #writeChain: Promise<void> = Promise.resolve();

  private constructor(handles: FileHandle[], state: ControlFileState, sequence: number) {
    this.#handles = handles;
    this.#state = state;
    this.#sequence = sequence;
  }

  get state(): ControlFileState {
    return this.#state;
  }

  get paths(): readonly string[] {
    return this.#handles.map((handle) => handle.path);
  }

  /** Bumped by every update; equal in every copy after an update returns. */
  get changeSequence(): number {
    return this.#sequence;
  }

  /** Creates every copy with `state`. Fails with TDB-4005 if any copy already exists. */
  static async create(fs: FileSystem, paths: readonly string[], state: ControlFileState): Promise<ControlFiles> {
    assert(paths.length > 0, 'at least one control file path');
    assert(new Set(paths).size === paths.length, () => `duplicate control file paths: ${paths.join(', ')}`);
    const handles: FileHandle[] = [];
    try {
      for (const path of paths) {
        try {
          handles.push(await fs.open(path, { create: true, exclusive: true }));
        } catch (error) {
          if (isFileSystemError(error, 'EEXIST')) {
            throw new DbError(
              'DATABASE_EXISTS',
              `control file '${path}' already exists; refusing to overwrite a database`,
            );
          }
          throw error;
        }
      }
      const control = new ControlFiles(handles, state, 0);
      await control.#writeAll(state, 1);
      await Promise.all(paths.map((path) => fs.syncDirectory(parentOf(path))));
      return control;
    } catch (error) {
      await Promise.allSettled(handles.map((handle) => handle.close()));
      throw error;
    }
  }

  /**
   * Opens and cross-checks every copy. A missing, corrupt or disagreeing copy is an error
   * naming the file, except for one case that a crash produces: the newest version was
   * being written while the instance ran, and some copies kept the previous version
   * because their write was dropped or torn. Those copies are rewritten from the newest.
   */
  static async mount(
    fs: FileSystem,
    paths: readonly string[],
  ): Promise<{ control: ControlFiles; report: MountReport }> {
    assert(paths.length > 0, 'at least one control file path');
    const readings: CopyReading[] = [];
    const missing: string[] = [];
    for (const path of paths) {
      const reading = await readCopy(fs, path);
      if (reading === undefined) missing.push(path);
      else readings.push(reading);
    }
    if (readings.length === 0) {
      throw new DbError(
        'CONTROL_FILE_MISSING',
        `every control file copy is missing (${quotedList(missing)}): copy a backup of the control file ` +
          `(ALTER DATABASE BACKUP CONTROLFILE TO '...') to each of these paths, or recreate them in NOMOUNT ` +
          `with the CREATE CONTROLFILE statement of a trace (ALTER DATABASE BACKUP CONTROLFILE TO TRACE)`,
      );
    }

    const warnings: string[] = [];
    const newestOverall = readings.reduce<CopyReading['newest']>(
      (best, reading) =>
        reading.newest !== undefined && (best === undefined || reading.newest.sequence > best.sequence)
          ? reading.newest
          : best,
      undefined,
    );
    for (const reading of readings) {
      if (reading.newest === undefined) {
        throw new DbError(
          'CONTROL_FILE_CORRUPT',
          `control file '${reading.path}' has no readable version (it is corrupt or not a control file); ${repairAdvice(reading.path, readings)}`,
        );
      }
    }
    assert(newestOverall !== undefined, 'some copy has a readable version');
    const newestState = parseState(newestOverall.body, readings[0].path);

    const lagging: CopyReading[] = [];
    for (const reading of readings) {
      const newest = reading.newest!;
      if (newest.sequence === newestOverall.sequence) {
        if (!sameBytes(newest.body, newestOverall.body)) {
          throw new DbError(
            'CONTROL_FILE_MISMATCH',
            `control file '${reading.path}' disagrees with '${readings[0].path}' at the same version; they belong to different databases or one was edited`,
          );
        }
        if (reading.slots.some((slot) => slot.kind === 'corrupt')) {
          warnings.push(
            `TDB-3002: control file '${reading.path}' has a corrupt obsolete slot (torn by a crash or damaged); the next update overwrites it`,
          );
        }
      } else {
        lagging.push(reading);
      }
    }
    for (const reading of lagging) {
      // A crash during an update can drop or tear the new slot in some copies, leaving them
      // exactly one version behind. The newest version then still says the instance was
      // running. After a clean shutdown no update is in flight, so a lagging copy is damage.
      const interruptedUpdate = !newestState.cleanShutdown && reading.newest!.sequence === newestOverall.sequence - 1;
      if (!interruptedUpdate) {
        const why = reading.slots.some((slot) => slot.kind === 'corrupt')
          ? 'its newest version is corrupt'
          : 'it is an older version (restored from a backup, or not written by the last update)';
        throw new DbError(
          'CONTROL_FILE_MISMATCH',
          `control file '${reading.path}' is at version ${reading.newest!.sequence} but others are at ${newestOverall.sequence}: ${why}; ` +
            repairAdvice(reading.path, readings, newestOverall.sequence),
        );
      }
    }

    if (missing.length > 0) {
      // The copies that are there are sound (checked above): the operator restores the others from them.
      const sound = readings.filter((reading) => reading.newest!.sequence === newestOverall.sequence);
      throw new DbError(
        'CONTROL_FILE_MISSING',
        `control file ${quotedList(missing)} ${missing.length === 1 ? 'is' : 'are'} missing; ` +
          `${quotedList(sound.map((reading) => reading.path))} ${sound.length === 1 ? 'is' : 'are'} sound. ` +
          `While the database is down, copy a sound copy over each missing one (cp '${sound[0].path}' '${missing[0]}'), ` +
          `or remove ${missing.length === 1 ? 'it' : 'them'} from the control file list (controlFiles in tandem-db.yaml, ` +
          `Tibero's CONTROL_FILES; keep at least two copies there, on different disks); then start again`,
      );
    }
    const handles: FileHandle[] = [];
    try {
      for (const path of paths) handles.push(await fs.open(path));
    } catch (error) {
      await Promise.allSettled(handles.map((handle) => handle.close()));
      throw error;
    }
    const control = new ControlFiles(handles, newestState, newestOverall.sequence);
    const repairedPaths = lagging.map((reading) => reading.path);
    if (repairedPaths.length > 0) {
      // Rewrite every copy at a new version so that all of them agree again.
      await control.update(() => newestState);
      warnings.push(
        `control file update interrupted by a crash: rewrote ${repairedPaths.map((path) => `'${path}'`).join(', ')} from the newest copy`,
      );
    }
    return { control, report: { repairedPaths, warnings } };
  }

  /**
   * Writes a new version computed from the current one to every copy, then syncs them.
   * Resolves when all copies hold it. A failure leaves the in-memory state unchanged.
   */
  update(change: (state: ControlFileState) => ControlFileState): Promise<void> {
    const run = this.#writeChain.then(async () => {
      const next = change(this.#state);
      await this.#writeAll(next, this.#sequence + 1);
    });
    this.#writeChain = run.catch(() => undefined);
    return run;
  }

  async #writeAll(state: ControlFileState, sequence: number): Promise<void> {
    const slot = encodeSlot(state, sequence);
    const position = (sequence % 2) * CONTROL_SLOT_BYTES;
    await Promise.all(
      this.#handles.map(async (handle) => {
        await handle.write(slot, position);
        await handle.datasync();
      }),
    );
    this.#state = state;
    this.#sequence = sequence;
  }

  async close(): Promise<void> {
    await this.#writeChain;
    await Promise.allSettled(this.#handles.map((handle) => handle.close()));
  }
}

/** What the operator does about a bad copy: the sound copies to replace it with, or the parameter to remove it from. */
function repairAdvice(path: string, readings: readonly CopyReading[], newestSequence?: number): string {
  const sound = readings.filter(
    (reading) =>
      reading.path !== path &&
      reading.newest !== undefined &&
      (newestSequence === undefined || reading.newest.sequence === newestSequence),
  );
  const copy =
    sound.length === 0
      ? 'replace it with a copy of a good control file'
      : `copy ${quotedList(sound.map((reading) => reading.path))} over it (cp '${sound[0].path}' '${path}')`;
  return `while the database is down, ${copy}, or remove it from the control file list (controlFiles in tandem-db.yaml, Tibero's CONTROL_FILES)`;
}

function quotedList(paths: readonly string[]): string {
  return paths.map((path) => `'${path}'`).join(', ');
}

/** The copy's slots, or undefined when there is no file at `path`. */
async function readCopy(fs: FileSystem, path: string): Promise<CopyReading | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (error) {
    if (isFileSystemError(error, 'ENOENT')) return undefined;
    throw error;
  }
  const slots = [
    decodeSlot(bytes.subarray(0, CONTROL_SLOT_BYTES)),
    decodeSlot(bytes.subarray(CONTROL_SLOT_BYTES, 2 * CONTROL_SLOT_BYTES)),
  ] as const;
  let newest: CopyReading['newest'];
  for (const slot of slots) {
    if (slot.kind === 'valid' && (newest === undefined || slot.sequence > newest.sequence)) newest = slot;
  }
  return { path, slots, newest };
}

export function parentOf(path: string): string {
  const cut = path.lastIndexOf('/');
  if (cut < 0) return '.';
  return cut === 0 ? '/' : path.slice(0, cut);
}
