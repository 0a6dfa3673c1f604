// A controller's work queue, with client-go workqueue semantics and
// controller-runtime's priorities, keyed by "namespace/name" (or "name" for
// cluster-scoped objects):
//   - a key is queued at most once: add() while it waits only raises its
//     priority (./priority-fifo.ts);
//   - higher priority first, first in first out within one: the initial list
//     and the periodic resync add at LOW_PRIORITY, so a Workspace edited while
//     10,000 resync keys wait is handed out next, not after them;
//   - a key is processed by at most one worker: add() while it is being
//     processed marks it dirty (at the highest priority asked), and done()
//     queues it again, once;
//   - addAfter() delays an add; a key waiting twice keeps the earlier time and
//     the higher priority;
//   - addRateLimited() delays by the rate limiter (per-key backoff, overall
//     bucket); forget() resets the key's backoff after a success. A retry or
//     a requeue of a key in flight keeps the priority it was handed out with,
//     as controller-runtime's reconcile handler does, so a failing resync key
//     does not jump ahead of new work.
// One deliberate difference: after shutDown() get() hands out nothing more,
// even when keys are still queued. A stopping operator finishes what is in
// flight and leaves the rest to the next leader, which relists anyway.
import { systemClock, type Clock, type TimerHandle } from './clock.ts';
import { NORMAL_PRIORITY, PriorityFifo } from './priority-fifo.ts';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.ts';

interface WorkQueueOptions {
  clock?: Clock;
  rateLimiter?: RateLimiter;
}

interface Delayed {
  readyAt: number;
  priority: number;
  timer: TimerHandle;
}

export class WorkQueue {
  readonly #clock: Clock;
  readonly #rateLimiter: RateLimiter;
  /** Keys ready to hand out, in order. */
  readonly #ready = new PriorityFifo();
  /** Keys re-added while being processed, at the highest priority asked. */
  readonly #dirty = new Map<string, number>();
  /** Keys being processed, and the priority each was handed out with. */
  readonly #processing = new Map<string, number>();
  readonly #delayed = new Map<string, Delayed>();
  /** get() calls waiting for a key. */
  #getters: Array<(key: string | undefined) => void> = [];
  #drainWaiters: Array<() => void> = [];
  #shuttingDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.#clock = opts.clock ?? systemClock;
    this.#rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter(this.#clock);
  }

  /** priority: NORMAL_PRIORITY unless said; LOW_PRIORITY for initial-list and resync adds. */
  add(key: string, priority: number = NORMAL_PRIORITY): void {
    if (this.#shuttingDown) return;
    if (this.#processing.has(key)) {
      // Re-queued by done(), so two workers never hold the same key.
      this.#dirty.set(key, Math.max(priority, this.#dirty.get(key) ?? priority));
      return;
    }
    this.#push(key, priority);
  }

  /** priority: as said, else the one the key was handed out with if in flight, else NORMAL_PRIORITY. */
  addAfter(key: string, ms: number, priority: number = this.#inheritedPriority(key)): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(key, priority);
    const readyAt = this.#clock.now() + ms;
    const waiting = this.#delayed.get(key);
    if (waiting && waiting.readyAt <= readyAt) {
      waiting.priority = Math.max(waiting.priority, priority);
      return;
    }
    if (waiting) this.#clock.clearTimeout(waiting.timer);
    const delayed: Delayed = { readyAt, priority: Math.max(priority, waiting?.priority ?? priority), timer: undefined };
    delayed.timer = this.#clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key, delayed.priority);
    }, ms);
    this.#delayed.set(key, delayed);
  }

  /** Delays by the rate limiter; priority defaults as for addAfter. */
  addRateLimited(key: string, priority: number = this.#inheritedPriority(key)): void {
    this.addAfter(key, this.#rateLimiter.when(key), priority);
  }

  forget(key: string): void {
    this.#rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#rateLimiter.numRequeues(key);
  }

  /** The next key; waits for one. undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const next = this.#ready.pop();
    if (next !== undefined) return Promise.resolve(this.#take(next.key, next.priority));
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  /** Must be called once per key get() returned, when its processing ends. */
  done(key: string): void {
    if (!this.#processing.delete(key)) return;
    const dirty = this.#dirty.get(key);
    this.#dirty.delete(key);
    if (dirty !== undefined && !this.#shuttingDown) this.#push(key, dirty);
    if (this.#processing.size === 0) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Keys ready to be handed out (not the ones in flight or delayed). */
  len(): number {
    return this.#ready.size;
  }

  /** Keys being processed right now. */
  inFlight(): number {
    return this.#processing.size;
  }

  shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Stops handing out keys and drops delayed adds; waiting get() calls get undefined. */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) this.#clock.clearTimeout(timer);
    this.#delayed.clear();
    const getters = this.#getters;
    this.#getters = [];
    for (const g of getters) g(undefined);
  }

  /** shutDown(), then waits until every key in flight is done(). */
  async shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.#processing.size === 0) return;
    await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
  }

  #push(key: string, priority: number): void {
    // A waiting getter means nothing else is ready: no order to keep.
    const getter = this.#ready.size === 0 ? this.#getters.shift() : undefined;
    if (getter) getter(this.#take(key, priority));
    else this.#ready.push(key, priority);
  }

  #take(key: string, priority: number): string {
    this.#processing.set(key, priority);
    return key;
  }

  #inheritedPriority(key: string): number {
    return this.#processing.get(key) ?? this.#ready.priorityOf(key) ?? NORMAL_PRIORITY;
  }
}
