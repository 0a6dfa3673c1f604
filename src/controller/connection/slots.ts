// How many reconciles of one connection may hold a worker at once. Unbounded
// while its server answers (one connection is the common install, and its
// reconciles mostly read the snapshot); ONE while it is suspected of hanging
// (its circuit breaker is open or half-open, connections.ts), so a tenant's
// slow server cannot take every worker while its trial request waits. A
// reconcile that finds no slot is parked, not run and not retried on a timer:
// the worker is free at once, and the key goes back on the queue when the
// connection's running reconcile ends.
export class ConnectionSlots {
  readonly #suspect: (connectionId: string) => boolean;
  readonly #requeue: (key: string) => void;
  readonly #running = new Map<string, number>();
  readonly #parked = new Map<string, Set<string>>();

  constructor(opts: { suspect: (connectionId: string) => boolean; requeue: (key: string) => void }) {
    this.#suspect = opts.suspect;
    this.#requeue = opts.requeue;
  }

  /**
   * Runs `work` for key when its connection has a slot; otherwise parks the key
   * and returns undefined without running it. connectionId undefined: no limit.
   */
  async run<T>(connectionId: string | undefined, key: string, work: () => Promise<T>): Promise<T | undefined> {
    if (connectionId === undefined) return work();
    const running = this.#running.get(connectionId) ?? 0;
    if (running >= 1 && this.#suspect(connectionId)) {
      let parked = this.#parked.get(connectionId);
      if (!parked) this.#parked.set(connectionId, (parked = new Set()));
      parked.add(key);
      return undefined;
    }
    this.#running.set(connectionId, running + 1);
    try {
      return await work();
    } finally {
      const left = (this.#running.get(connectionId) ?? 1) - 1;
      if (left === 0) this.#running.delete(connectionId);
      else this.#running.set(connectionId, left);
      const parked = this.#parked.get(connectionId);
      this.#parked.delete(connectionId);
      for (const k of parked ?? []) this.#requeue(k);
    }
  }

  /** Keys waiting for a slot (metrics, tests). */
  get parked(): number {
    let n = 0;
    for (const keys of this.#parked.values()) n += keys.size;
    return n;
  }
}
