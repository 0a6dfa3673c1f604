// Client-side rate limit: one token bucket per request path.
//
// Coder limits each (user, cleaned URL path) to 512 requests in a sliding
// minute (docs/coder-api.md, Rate limits), so a workspace id in the path gives that workspace
// its own budget, and the one list path is the tight spot. Staying under the
// limit ourselves is cheaper than collecting 429s with a 60 s Retry-After.
//
// Keys are concrete paths without the query. One limiter is shared by every
// identity of a client (CoderClient.withToken), which is stricter than the
// server's per-user key and keeps the total load on the path bounded.
//
// With X-Coder-Bypass-Ratelimit the server does not limit a site Owner; the
// client still does, so a runaway loop cannot flood Coder. Raise
// requestsPerMinute for such a connection instead of turning the limit off.

interface PathRateLimiterOptions {
  requestsPerMinute: number;
  /**
   * Bucket size. The server's sliding window can count a full burst plus a
   * minute of refill, so burst + requestsPerMinute must stay under 512.
   * Default: a tenth of requestsPerMinute (at least 1).
   */
  burst?: number;
  /** Milliseconds clock; injectable for tests. */
  now?: () => number;
  /** Must advance `now` by ms when tests inject both. */
  sleep?: (ms: number) => Promise<void>;
  /** Told each time requests on a path are held back, and how long until the last one queued there may go (progress output). */
  onWait?: WaitListener;
}

type WaitListener = (path: string, ms: number) => void;

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface Bucket {
  key: string;
  tokens: number;
  refilledAt: number;
  /** Set from X-RateLimit-Reset when the server says the window is spent. */
  heldUntil: number;
  waiters: Waiter[];
  draining: boolean;
}

/** Buckets above this count are swept of idle, full ones (each workspace id is a path). */
const SWEEP_AT = 1024;

export class PathRateLimiter {
  readonly requestsPerMinute: number;
  readonly burst: number;
  readonly #msPerToken: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #buckets = new Map<string, Bucket>();
  /** Settable after construction: the CLI's progress output listens once the client exists. */
  onWait: WaitListener | undefined;

  constructor(opts: PathRateLimiterOptions) {
    if (!(opts.requestsPerMinute > 0) || !Number.isFinite(opts.requestsPerMinute)) {
      throw new RangeError(`requestsPerMinute must be a positive number, got ${opts.requestsPerMinute}`);
    }
    this.requestsPerMinute = opts.requestsPerMinute;
    this.burst = opts.burst ?? Math.max(1, Math.floor(opts.requestsPerMinute / 10));
    if (!(this.burst >= 1)) throw new RangeError(`burst must be at least 1, got ${this.burst}`);
    this.#msPerToken = 60_000 / opts.requestsPerMinute;
    this.#now = opts.now ?? Date.now;
    this.#sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.onWait = opts.onWait;
  }

  /** Resolves when a request on `key` may go out. Callers are served first come, first served. */
  acquire(key: string): Promise<void> {
    const now = this.#now();
    const bucket = this.#bucket(key, now);
    this.#refill(bucket, now);
    if (bucket.waiters.length === 0 && bucket.tokens >= 1 && bucket.heldUntil <= now) {
      bucket.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      bucket.waiters.push({ resolve, reject });
      if (!bucket.draining) void this.#drain(bucket);
    });
  }

  /** Sends nothing on `key` before `untilMs` (the server said its window is spent). */
  holdUntil(key: string, untilMs: number): void {
    const bucket = this.#bucket(key, this.#now());
    bucket.heldUntil = Math.max(bucket.heldUntil, untilMs);
  }

  /** Waiting callers on `key`; for tests and metrics. */
  queued(key: string): number {
    return this.#buckets.get(key)?.waiters.length ?? 0;
  }

  // One drain loop per bucket hands out tokens in arrival order, sleeping
  // until the next token (or the end of a hold) instead of polling.
  async #drain(bucket: Bucket): Promise<void> {
    bucket.draining = true;
    try {
      while (bucket.waiters.length > 0) {
        const now = this.#now();
        this.#refill(bucket, now);
        const untilToken = bucket.tokens >= 1 ? 0 : Math.ceil((1 - bucket.tokens) * this.#msPerToken);
        const wait = Math.max(bucket.heldUntil - now, untilToken);
        if (wait > 0) {
          this.onWait?.(bucket.key, wait + (bucket.waiters.length - 1) * this.#msPerToken);
          await this.#sleep(wait);
          continue;
        }
        bucket.tokens -= 1;
        bucket.waiters.shift()?.resolve();
      }
    } catch (error) {
      // Only an injected sleep can throw; fail the waiters rather than hang them.
      for (const waiter of bucket.waiters.splice(0)) waiter.reject(error);
    } finally {
      bucket.draining = false;
    }
  }

  #refill(bucket: Bucket, now: number): void {
    const elapsed = Math.max(0, now - bucket.refilledAt);
    bucket.tokens = Math.min(this.burst, bucket.tokens + elapsed / this.#msPerToken);
    bucket.refilledAt = now;
  }

  #bucket(key: string, now: number): Bucket {
    let bucket = this.#buckets.get(key);
    if (bucket) return bucket;
    if (this.#buckets.size >= SWEEP_AT) this.#sweep(now);
    bucket = { key, tokens: this.burst, refilledAt: now, heldUntil: 0, waiters: [], draining: false };
    this.#buckets.set(key, bucket);
    return bucket;
  }

  // A full, idle bucket behaves exactly like a new one, so it can go.
  #sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      this.#refill(bucket, now);
      if (bucket.waiters.length === 0 && !bucket.draining && bucket.heldUntil <= now && bucket.tokens >= this.burst) {
        this.#buckets.delete(key);
      }
    }
  }
}
