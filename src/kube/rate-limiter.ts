// How long a failed key waits before it is retried: controller-runtime's
// default (workqueue.DefaultTypedControllerRateLimiter), i.e. the larger of a
// per-key exponential backoff and an overall token bucket. The backoff keeps a
// broken object from spinning; the bucket keeps many failing objects at once
// from flooding the apiserver and whatever the reconciler calls.
import { backoffDelay } from './backoff.ts';
import { systemClock, type Clock } from './clock.ts';

export interface RateLimiter {
  /** Delay before the key may be retried; counts one more failure. */
  when(key: string): number;
  /** Clears the key's failure history (it succeeded). */
  forget(key: string): void;
  numRequeues(key: string): number;
}

/** base * 2^failures, capped: 5 ms, 10 ms, 20 ms, ... up to 1000 s by default. */
export class ItemExponentialFailureRateLimiter implements RateLimiter {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #failures = new Map<string, number>();

  constructor(baseMs = 5, maxMs = 1_000_000) {
    this.#baseMs = baseMs;
    this.#maxMs = maxMs;
  }

  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    return backoffDelay(failures, { initialMs: this.#baseMs, maxMs: this.#maxMs });
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

/**
 * golang.org/x/time/rate's Reserve().Delay(): every call takes a token, and
 * the delay is how long until that token exists. Tokens may go negative, so
 * a burst of failures is spread out at `qps` instead of all retried at once.
 */
class BucketRateLimiter implements RateLimiter {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #at: number;

  constructor(qps = 10, burst = 100, clock: Clock = systemClock) {
    this.#qps = qps;
    this.#burst = burst;
    this.#clock = clock;
    this.#tokens = burst;
    this.#at = clock.now();
  }

  when(): number {
    const now = this.#clock.now();
    if (now > this.#at) {
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#qps);
      this.#at = now;
    }
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.#qps) * 1000);
  }

  forget(): void {}

  numRequeues(): number {
    return 0;
  }
}

/** The worst (longest) of several limiters. */
class MaxOfRateLimiter implements RateLimiter {
  readonly #limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.#limiters = limiters;
  }

  when(key: string): number {
    // Every limiter must see the failure, so no short-circuit.
    return Math.max(0, ...this.#limiters.map((l) => l.when(key)));
  }

  forget(key: string): void {
    for (const l of this.#limiters) l.forget(key);
  }

  numRequeues(key: string): number {
    return Math.max(0, ...this.#limiters.map((l) => l.numRequeues(key)));
  }
}

/** controller-runtime's default: 5 ms..1000 s per key, max with 10 qps / burst 100 overall. */
export function defaultControllerRateLimiter(clock: Clock = systemClock): RateLimiter {
  return new MaxOfRateLimiter(new ItemExponentialFailureRateLimiter(5, 1_000_000), new BucketRateLimiter(10, 100, clock));
}
