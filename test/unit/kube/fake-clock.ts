// A clock that moves only when a test says so. Timers fire in due order
// (ties in the order they were set), so delays are asserted exactly.
import type { Clock, TimerHandle } from '../../../src/kube/clock.ts';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

export interface FakeClock extends Clock {
  /** Moves time forward by ms, firing due timers in order. */
  advance(ms: number): void;
  /** Number of timers not yet fired or cleared. */
  pending(): number;
}

export function fakeClock(start = 0): FakeClock {
  let now = start;
  let seq = 0;
  let timers: Timer[] = [];
  return {
    now: () => now,
    setTimeout(fn, ms): TimerHandle {
      const timer = { id: ++seq, at: now + Math.max(0, ms), fn };
      timers.push(timer);
      return timer.id;
    },
    clearTimeout(handle) {
      timers = timers.filter((t) => t.id !== handle);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.fn();
      }
      now = until;
    },
    pending: () => timers.length,
  };
}

/** Lets promise callbacks (get() resolutions, worker loops) run. */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
