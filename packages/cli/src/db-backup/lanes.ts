// Work on several files at a time, as RMAN's channels do: a small file is copied beside a
// large one instead of after it.

/**
 * Runs `work` on each item, `lanes` at a time, in order of start. After a failure no new
 * item starts; the ones under way finish (none is left half-written), then the first
 * failure is thrown.
 */
export async function inLanes<T>(items: Iterable<T>, lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  const list = [...items];
  let next = 0;
  let failure: { readonly error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < list.length) {
      const item = list[next++];
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, list.length) }, lane));
  if (failure !== undefined) throw failure.error;
}

/**
 * Bytes and files done while several files are copied at a time: the files finished, and
 * the bytes done so far of each one under way (keyed by its path).
 */
export class LaneTally {
  /** Bytes and count of the files finished. */
  bytes = 0;
  files = 0;
  readonly #underWay = new Map<string, number>();

  /** Records `bytes` done of the file `key`; returns the bytes done in all. */
  progress(key: string, bytes: number): number {
    this.#underWay.set(key, bytes);
    let all = this.bytes;
    for (const partial of this.#underWay.values()) all += partial;
    return all;
  }

  /** The file `key` is done: finished with `bytes` of content, or (undefined) given up. */
  settle(key: string, bytes: number | undefined): void {
    this.#underWay.delete(key);
    if (bytes === undefined) return;
    this.bytes += bytes;
    this.files++;
  }
}
