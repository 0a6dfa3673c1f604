// The one exponential backoff: initialMs·2^attempt, capped at maxMs, with
// optional jitter. The informer's restarts (./restart-backoff.ts), the work
// queue's per-key retries (./rate-limiter.ts), the operator's build polls and
// the Coder client's retries (src/coder/backoff.ts) all take their delays
// from here, so they cannot drift apart in how they cap or round.
//
// Why in kube/: it is the runtime's own backoff (client-go's wait.Backoff and
// workqueue limiters), and kube/ is the lowest layer but observability/. This
// file imports nothing at all, so coder/ using it pulls in no Kubernetes
// client code, and kube/ still imports nothing of ours.

export interface ExponentialBackoff {
  /** The delay of attempt 0. */
  initialMs: number;
  /** No delay is longer, jitter included. */
  maxMs: number;
  /**
   * 'full': a random point in [0, delay) (AWS's "full jitter": callers that
   * failed together retry spread out). A fraction f: the delay plus up to
   * f·delay. Absent: none.
   */
  jitter?: 'full' | number;
}

/** Largest exponent used: past it 2^n only overflows, the cap decides anyway. */
const MAX_EXPONENT = 64;

/** Delay before retry number attempt+1 (attempt 0 is the first retry); random() in [0, 1). */
export function backoffDelay(attempt: number, backoff: ExponentialBackoff, random: () => number = Math.random): number {
  const exponent = Math.min(MAX_EXPONENT, Math.max(0, attempt));
  const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** exponent);
  const { jitter } = backoff;
  if (jitter === undefined || jitter === 0) return delay;
  if (jitter === 'full') return Math.floor(random() * delay);
  return Math.min(backoff.maxMs, Math.round(delay * (1 + jitter * random())));
}
