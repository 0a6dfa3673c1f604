// The Retry-After windows of injected 429s, by the simulator's own clock: a
// test asks which window a request arrived inside instead of comparing clocks
// across processes (the client's read of a 429 and the next request's arrival
// differ by event-loop lag, which grows with machine load).
//
// A window opens when the 429 is written and is keyed like Coder's limiter:
// the caller (user id, or '' when anonymous) and the path.

interface Window {
  /** RecordedCall.id of the 429 that opened it. */
  id: number;
  from: number;
  until: number;
}

/** Kept this long past their end: a request can be held (stall, latency) before it is looked at. */
const KEEP_MS = 10 * 60_000;

export class RetryAfterWindows {
  readonly #open = new Map<string, Window[]>();

  open(key: string, id: number, from: number, retryAfterMs: number): void {
    const list = this.#open.get(key) ?? [];
    list.push({ id, from, until: from + retryAfterMs });
    this.#open.set(key, list);
  }

  /** Ids of the 429s whose window on `key` held the arrival time `at`. */
  inside(key: string, at: number): number[] {
    const list = this.#open.get(key);
    if (!list) return [];
    const kept = list.filter((w) => w.until + KEEP_MS > at);
    if (kept.length === 0) this.#open.delete(key);
    else if (kept.length < list.length) this.#open.set(key, kept);
    return kept.filter((w) => w.from <= at && at < w.until).map((w) => w.id);
  }
}

export function windowKey(userId: string | undefined, path: string): string {
  return `${userId ?? ''}|${path}`;
}
