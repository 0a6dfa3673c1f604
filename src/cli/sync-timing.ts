// How often the `sync` loop may touch git and Coder. Below the floors a
// loop is a load test, not a sync: `--interval 0s --resync 0s` listed every
// workspace in Coder about ten times a second, and a loop that cannot reach
// Coder (or git) at all retried as fast as it failed. So too short a period
// is refused, and repeated failures back off.
import type { TickResult } from '../gitops/sync.ts';
import { formatDuration } from '../api/duration.ts';
import { UsageError } from '../gitops/usage-error.ts';

const SYNC_FLOORS = { intervalMs: 10_000, resyncMs: 60_000 } as const;

/** The longest wait between two failing ticks, unless --interval itself is longer. */
export const MAX_BACKOFF_MS = 5 * 60_000;

interface SyncTiming {
  interval: number;
  resync: number;
  allowShortIntervals?: boolean;
}

/** Refuses an --interval or --resync below its floor, unless told (tests, benchmarks against a local simulator). */
export function checkSyncTiming(flags: SyncTiming): void {
  if (flags.allowShortIntervals) return;
  const low = [
    flags.interval < SYNC_FLOORS.intervalMs
      ? `--interval must be at least ${formatDuration(SYNC_FLOORS.intervalMs)} (got ${formatDuration(flags.interval)})`
      : undefined,
    flags.resync < SYNC_FLOORS.resyncMs
      ? `--resync must be at least ${formatDuration(SYNC_FLOORS.resyncMs)} (got ${formatDuration(flags.resync)})`
      : undefined,
  ].filter((m) => m !== undefined);
  if (low.length > 0)
    throw new UsageError(`${low.join('; ')}: each resync lists every workspace in Coder; --allow-short-intervals lifts the floors`);
}

/**
 * Ticks that failed for want of git or Coder (not for what the commit says:
 * an invalid or rewritten commit is not re-read until the next resync, so
 * such a tick costs one fetch and needs no backing off).
 */
const BACKS_OFF: ReadonlySet<TickResult> = new Set<TickResult>([
  'FetchFailed',
  'RefNotFound',
  'PathNotFound',
  'CoderUnavailable',
  'ApplyFailed',
]);

export function backsOff(result: TickResult): boolean {
  return BACKS_OFF.has(result);
}

/**
 * The wait before the next tick after `failures` consecutive failing ticks:
 * the interval after the first (a passing glitch costs nothing extra), then
 * doubling, up to MAX_BACKOFF_MS (or the interval, when that is longer).
 */
export function nextWaitMs(intervalMs: number, failures: number): number {
  if (failures <= 1) return intervalMs;
  const cap = Math.max(intervalMs, MAX_BACKOFF_MS);
  return Math.min(cap, intervalMs * 2 ** Math.min(failures - 1, 30));
}
