// How long an informer waits before restarting after an error: 1 s doubling
// to 60 s, plus up to 20 % jitter so replicas and informers that failed
// together (an apiserver restart) do not all come back in the same instant.
// The failure count resets once an informer has run healthy for a while, so
// one blip an hour does not slowly push restarts to a minute.
import { backoffDelay } from './backoff.ts';

export interface RestartBackoff {
  initialMs: number;
  maxMs: number;
  /** Fraction of the delay added at random. */
  jitter: number;
  /** A run this long after a successful list counts as healthy. */
  healthyAfterMs: number;
}

export const DEFAULT_RESTART_BACKOFF: RestartBackoff = { initialMs: 1000, maxMs: 60_000, jitter: 0.2, healthyAfterMs: 60_000 };

/** Delay before restart number failures+1; random() in [0, 1). Never above maxMs. */
export function restartDelay(failures: number, backoff: RestartBackoff, random: () => number): number {
  return backoffDelay(failures, backoff, random);
}

/** Failures to count after this error: reset when the run before it was healthy. */
export function failuresAfterError(failures: number, listedAt: number | undefined, now: number, backoff: RestartBackoff): number {
  const healthy = listedAt !== undefined && now - listedAt >= backoff.healthyAfterMs;
  return healthy ? 1 : failures + 1;
}
