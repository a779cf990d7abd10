/**
 * The one worker pool: `work` on each item in order, at most `limit` at a time, starting nothing
 * more once `stop()` says so. Waits for every started item to end; if one threw, rejects with the
 * first error then (the rest of the pool stops starting work as soon as it is thrown). Resolves to
 * how many items were started, so the caller can count what was left.
 */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<number> {
  let next = 0;
  let failed = false;
  let first: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed && !stop()) {
      const i = next++;
      try {
        await work(items[i] as T, i);
      } catch (err) {
        if (!failed) first = err;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw first;
  return next;
}
