// The ready keys of the work queue, in the order they are handed out:
// highest priority first, first-in first-out within one priority
// (controller-runtime's priorityqueue ordering, without its delays, which
// ./work-queue.ts keeps as timers). A key is held at most once; pushing a key
// that is already held at a lower priority moves it up, to the back of the
// higher priority, and a push at the same or a lower priority changes nothing,
// so a key never loses its place by being added again.
//
// Moving up leaves the old entry where it was and marks it stale (its sequence
// number no longer matches), instead of searching a 10,000-key array for it:
// every push and pop stays O(1) amortised, which matters when a resync queues
// everything and then watch events bump keys one by one.

/** Initial-list and resync adds: behind everything a watch event or a retry brings (controller-runtime's LowPriority). */
export const LOW_PRIORITY = -100;
/** Watch events after the initial list, retries, requeues. */
export const NORMAL_PRIORITY = 0;

interface Entry {
  key: string;
  seq: number;
}

interface Level {
  entries: Entry[];
  /** Index of the first entry not yet popped. */
  head: number;
}

export class PriorityFifo {
  /** Priority and live sequence number of every key held. */
  readonly #held = new Map<string, { priority: number; seq: number }>();
  readonly #levels = new Map<number, Level>();
  /** The levels' priorities, highest first. */
  #order: number[] = [];
  #seq = 0;

  get size(): number {
    return this.#held.size;
  }

  has(key: string): boolean {
    return this.#held.has(key);
  }

  /** The priority a held key waits at; undefined when not held. */
  priorityOf(key: string): number | undefined {
    return this.#held.get(key)?.priority;
  }

  /** Adds the key, or moves it up when it waits at a lower priority. Returns whether anything changed. */
  push(key: string, priority: number): boolean {
    const held = this.#held.get(key);
    if (held && held.priority >= priority) return false;
    const seq = ++this.#seq;
    this.#held.set(key, { priority, seq });
    this.#level(priority).entries.push({ key, seq });
    return true;
  }

  /** The next key and its priority, removed; undefined when empty. */
  pop(): { key: string; priority: number } | undefined {
    for (const priority of this.#order) {
      const level = this.#levels.get(priority)!;
      while (level.head < level.entries.length) {
        const entry = level.entries[level.head++]!;
        const held = this.#held.get(entry.key);
        if (held?.seq !== entry.seq) continue; // moved up, or popped already
        this.#held.delete(entry.key);
        this.#compact(priority, level);
        return { key: entry.key, priority };
      }
      this.#compact(priority, level);
    }
    return undefined;
  }

  #level(priority: number): Level {
    let level = this.#levels.get(priority);
    if (!level) {
      level = { entries: [], head: 0 };
      this.#levels.set(priority, level);
      this.#order = [...this.#levels.keys()].sort((a, b) => b - a);
    }
    return level;
  }

  /** Drops popped and stale entries once they are half the array, and empty levels. */
  #compact(priority: number, level: Level): void {
    if (level.head >= level.entries.length) {
      this.#levels.delete(priority);
      this.#order = this.#order.filter((p) => p !== priority);
    } else if (level.head > 1024 && level.head * 2 > level.entries.length) {
      level.entries = level.entries.slice(level.head);
      level.head = 0;
    }
  }
}
