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
