// Writes in batches that double while they succeed (1, 2, 4, ... up to max),
// the ReplicaSet controller's slowStartBatch: a pass that is going to fail for
// every child (a quota, an admission webhook, a lost permission) fails after
// one or a few calls instead of thousands, and a healthy pass of 10,000
// creates still runs max at a time. Stops after the first batch with a
// failure; what was not tried is reported as such.
interface SlowStartResult<T> {
  done: T[];
  failed: Array<{ item: T; error: unknown }>;
  /** Items never tried because an earlier batch failed. */
  skipped: T[];
}

export async function slowStart<T>(items: readonly T[], max: number, write: (item: T) => Promise<void>): Promise<SlowStartResult<T>> {
  const result: SlowStartResult<T> = { done: [], failed: [], skipped: [] };
  let size = 1;
  let next = 0;
  while (next < items.length) {
    const batch = items.slice(next, next + size);
    next += batch.length;
    const settled = await Promise.allSettled(batch.map((item) => write(item)));
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') result.done.push(batch[i]!);
      else result.failed.push({ item: batch[i]!, error: s.reason });
    });
    if (result.failed.length > 0) break;
    size = Math.min(size * 2, max);
  }
  result.skipped = items.slice(next);
  return result;
}
