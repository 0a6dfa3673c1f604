// One per connection (shared by its owner-token clients, like the rate
// limiter): a server that accepts and never answers must cost at most one
// request timeout, not every retry of every reconcile of every Workspace on it.
// A timeout opens the breaker; while open, requests fail at once without being
// sent; after the cool-down one trial request goes out (half-open) while the
// others still fail at once; any HTTP answer closes it again. Only timeouts
// count: a refused connection or a 5xx already comes back fast.
type BreakerState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  readonly cooldownMs: number;
  readonly #now: () => number;
  #openedAt: number | undefined;
  #trial = false;

  constructor(opts: { cooldownMs: number; now: () => number }) {
    this.cooldownMs = opts.cooldownMs;
    this.#now = opts.now;
  }

  get state(): BreakerState {
    if (this.#openedAt === undefined) return 'closed';
    return this.#now() - this.#openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  /** May a request be sent now? In half-open, only the first asker (the trial) may. */
  admit(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.#trial) return false;
    this.#trial = true;
    return true;
  }

  /** The server answered (any status): it is alive. */
  answered(): void {
    this.#openedAt = undefined;
    this.#trial = false;
  }

  /** A request timed out: stop sending for the cool-down (a failed trial starts a new one). */
  timedOut(): void {
    this.#openedAt = this.#now();
    this.#trial = false;
  }

  /** A request failed fast without an answer (refused, reset): a trial ends, nothing else changes. */
  failedFast(): void {
    if (this.#trial) {
      this.#trial = false;
      this.#openedAt = this.#now();
    }
  }

  /** Milliseconds until a trial may go out; 0 when closed or half-open. */
  remainingMs(): number {
    return this.#openedAt === undefined ? 0 : Math.max(0, this.cooldownMs - (this.#now() - this.#openedAt));
  }
}
