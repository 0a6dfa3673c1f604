// runWorkers: what a handler's result does to the key, and how many run at once.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { runWorkers, type HandlerResult } from '../../../src/kube/run-workers.ts';
import { TerminalError } from '../../../src/kube/terminal-error.ts';
import { WorkQueue } from '../../../src/kube/work-queue.ts';
import { fakeClock, flush } from './fake-clock.ts';

const logger = pino({ level: 'silent' });

/** A promise the test settles by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('runWorkers', () => {
  const failing: Array<{ name: string; fail: (n: number) => HandlerResult }> = [
    { name: 'returns {error}', fail: () => ({ error: new Error('boom') }) },
    {
      name: 'throws',
      fail: () => {
        throw new Error('boom');
      },
    },
  ];
  for (const c of failing) {
    it(`retries with backoff when the handler ${c.name}, and resets the backoff on success`, async () => {
      const clock = fakeClock();
      const queue = new WorkQueue({ clock });
      const calls: number[] = [];
      const requeuesSeen: number[] = [];
      const running = runWorkers(
        queue,
        1,
        (key) => {
          calls.push(clock.now());
          requeuesSeen.push(queue.numRequeues(key));
          return calls.length <= 3 ? c.fail(calls.length) : undefined;
        },
        logger,
      );
      queue.add('a');
      for (let i = 0; i < 10; i++) {
        await flush();
        clock.advance(5);
      }
      await flush();
      // 5, 10, 20 ms apart: the per-key backoff.
      expect(calls).toEqual([0, 5, 15, 35]);
      expect(requeuesSeen).toEqual([0, 1, 2, 3]);
      expect(queue.numRequeues('a')).toBe(0);
      queue.shutDown();
      await running;
    });
  }

  for (const how of ['returns', 'throws'] as const) {
    it(`does not retry a TerminalError the handler ${how}, and forgets the key's backoff; a new add runs it again`, async () => {
      const clock = fakeClock();
      const queue = new WorkQueue({ clock });
      const calls: number[] = [];
      const terminal = new TerminalError(new Error('403 forbidden'));
      const running = runWorkers(
        queue,
        1,
        () => {
          calls.push(clock.now());
          if (calls.length === 1) return { error: new Error('flaky') };
          if (how === 'throws') throw terminal;
          return { error: terminal };
        },
        logger,
      );
      queue.add('a');
      for (let i = 0; i < 2_000; i++) {
        await flush(2);
        clock.advance(500);
      }
      await flush();
      // One retry after the ordinary error (at the first tick), then none in the 1,000 s that went by.
      expect(calls).toEqual([0, 500]);
      expect(queue.numRequeues('a')).toBe(0);
      expect(queue.len()).toBe(0);
      queue.add('a'); // the change that enqueues it again
      await flush();
      expect(calls).toHaveLength(3);
      queue.shutDown();
      await running;
    });
  }

  it('honours requeueAfter without counting a failure', async () => {
    const clock = fakeClock();
    const queue = new WorkQueue({ clock });
    const calls: number[] = [];
    const running = runWorkers(
      queue,
      1,
      () => {
        calls.push(clock.now());
        return calls.length === 1 ? { requeueAfter: 30_000 } : undefined;
      },
      logger,
    );
    queue.add('a');
    await flush();
    clock.advance(29_999);
    await flush();
    expect(calls).toEqual([0]);
    clock.advance(1);
    await flush();
    expect(calls).toEqual([0, 30_000]);
    expect(queue.numRequeues('a')).toBe(0);
    clock.advance(600_000);
    await flush();
    expect(calls).toHaveLength(2);
    queue.shutDown();
    await running;
  });

  it('runs at most n handlers at once', async () => {
    const queue = new WorkQueue({ clock: fakeClock() });
    const release = gate();
    let active = 0;
    let peak = 0;
    let finished = 0;
    const running = runWorkers(
      queue,
      3,
      async () => {
        active++;
        peak = Math.max(peak, active);
        await release.promise;
        active--;
        finished++;
      },
      logger,
    );
    for (let i = 0; i < 10; i++) queue.add(`k${i}`);
    await flush();
    expect(active).toBe(3);
    expect(queue.len()).toBe(7);
    release.open();
    await flush();
    expect(finished).toBe(10);
    expect(peak).toBe(3);
    queue.shutDown();
    await running;
  });

  it('keeps other keys moving while one key is slow, and never runs one key twice at once', async () => {
    const queue = new WorkQueue({ clock: fakeClock() });
    const slow = gate();
    const handled: string[] = [];
    const activeByKey = new Map<string, number>();
    let overlap = 0;
    const running = runWorkers(
      queue,
      2,
      async (key) => {
        const active = (activeByKey.get(key) ?? 0) + 1;
        activeByKey.set(key, active);
        if (active > 1) overlap++;
        if (key === 'slow' && !handled.includes('slow')) await slow.promise;
        handled.push(key);
        activeByKey.set(key, active - 1);
      },
      logger,
    );
    queue.add('slow');
    await flush();
    for (const key of ['a', 'b', 'c']) queue.add(key);
    queue.add('slow'); // while it is in flight: held back, not given to the free worker
    await flush();
    expect(handled).toEqual(['a', 'b', 'c']);
    slow.open();
    await flush();
    expect(handled).toEqual(['a', 'b', 'c', 'slow', 'slow']);
    expect(overlap).toBe(0);
    queue.shutDown();
    await running;
  });

  it('stops after shutDownWithDrain once the key in flight is finished', async () => {
    const queue = new WorkQueue({ clock: fakeClock() });
    const release = gate();
    let finished = 0;
    let stopped = false;
    const running = runWorkers(
      queue,
      2,
      async () => {
        await release.promise;
        finished++;
      },
      logger,
    ).then(() => (stopped = true));
    queue.add('a');
    queue.add('b');
    queue.add('c');
    await flush();
    const drained = queue.shutDownWithDrain();
    await flush();
    expect(stopped).toBe(false);
    release.open();
    await drained;
    await running;
    // The two in flight finished; 'c' was left for whoever leads next.
    expect(finished).toBe(2);
  });

  it('rejects a worker count below one', async () => {
    await expect(runWorkers(new WorkQueue(), 0, () => undefined, logger)).rejects.toThrow(RangeError);
  });
});
