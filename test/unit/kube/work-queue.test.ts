// WorkQueue semantics (client-go workqueue) on a fake clock.
import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../../src/kube/work-queue.ts';
import { ItemExponentialFailureRateLimiter } from '../../../src/kube/rate-limiter.ts';
import { fakeClock, flush } from './fake-clock.ts';

type Op = ['add', string] | ['get', string] | ['done', string] | ['len', number];

/** Runs ops in order; 'get' asserts the key handed out, 'len' the ready count. */
async function play(queue: WorkQueue, ops: Op[]): Promise<void> {
  for (const [op, arg] of ops) {
    if (op === 'add') queue.add(arg);
    else if (op === 'done') queue.done(arg);
    else if (op === 'get') expect(await queue.get()).toBe(arg);
    else expect(queue.len()).toBe(arg);
  }
}

describe('WorkQueue de-duplication', () => {
  const cases: Array<{ name: string; ops: Op[] }> = [
    {
      name: 'hands keys out in order',
      ops: [
        ['add', 'a'],
        ['add', 'b'],
        ['add', 'c'],
        ['get', 'a'],
        ['get', 'b'],
        ['get', 'c'],
        ['len', 0],
      ],
    },
    {
      name: 'queues a key added twice once',
      ops: [
        ['add', 'a'],
        ['add', 'a'],
        ['len', 1],
        ['get', 'a'],
        ['len', 0],
      ],
    },
    {
      name: 'keeps the first position of a duplicate',
      ops: [
        ['add', 'a'],
        ['add', 'b'],
        ['add', 'a'],
        ['len', 2],
        ['get', 'a'],
        ['get', 'b'],
      ],
    },
    {
      name: 'holds back a key added while it is processed, and queues it once on done',
      ops: [
        ['add', 'a'],
        ['get', 'a'],
        ['add', 'a'],
        ['add', 'a'],
        ['len', 0],
        ['done', 'a'],
        ['len', 1],
        ['get', 'a'],
        ['done', 'a'],
        ['len', 0],
      ],
    },
    {
      name: 'does not re-queue a key done without a new add',
      ops: [
        ['add', 'a'],
        ['get', 'a'],
        ['done', 'a'],
        ['len', 0],
      ],
    },
    {
      name: 'lets other keys pass a key in flight',
      ops: [
        ['add', 'a'],
        ['get', 'a'],
        ['add', 'b'],
        ['add', 'a'],
        ['get', 'b'],
        ['len', 0],
        ['done', 'a'],
        ['get', 'a'],
      ],
    },
  ];
  for (const c of cases) it(c.name, () => play(new WorkQueue({ clock: fakeClock() }), c.ops));

  it('wakes a waiting get() when a key arrives', async () => {
    const queue = new WorkQueue({ clock: fakeClock() });
    const got = queue.get();
    queue.add('a');
    expect(await got).toBe('a');
  });
});

describe('per-key exponential backoff', () => {
  it('doubles from 5 ms and caps at 1000 s', () => {
    const limiter = new ItemExponentialFailureRateLimiter();
    const delays = Array.from({ length: 22 }, () => limiter.when('k'));
    const expected = Array.from({ length: 22 }, (_, i) => Math.min(5 * 2 ** i, 1_000_000));
    expect(delays).toEqual(expected);
    expect(delays.slice(0, 5)).toEqual([5, 10, 20, 40, 80]);
    expect(delays.at(-1)).toBe(1_000_000);
    expect(limiter.numRequeues('k')).toBe(22);
  });

  it('does not overflow after very many failures', () => {
    const limiter = new ItemExponentialFailureRateLimiter();
    for (let i = 0; i < 2000; i++) limiter.when('k');
    expect(limiter.when('k')).toBe(1_000_000);
  });

  it('keeps one history per key, and forget resets it', () => {
    const queue = new WorkQueue({ clock: fakeClock() });
    for (let i = 0; i < 3; i++) queue.addRateLimited('a');
    queue.addRateLimited('b');
    expect([queue.numRequeues('a'), queue.numRequeues('b')]).toEqual([3, 1]);
    queue.forget('a');
    expect([queue.numRequeues('a'), queue.numRequeues('b')]).toEqual([0, 1]);
  });

  it('makes a rate-limited key ready exactly after its backoff', async () => {
    const clock = fakeClock();
    const queue = new WorkQueue({ clock });
    queue.addRateLimited('a'); // 5 ms
    clock.advance(4);
    expect(queue.len()).toBe(0);
    clock.advance(1);
    expect(queue.len()).toBe(1);
    expect(await queue.get()).toBe('a');
    queue.done('a');
    queue.addRateLimited('a'); // 10 ms
    clock.advance(9);
    expect(queue.len()).toBe(0);
    clock.advance(1);
    expect(queue.len()).toBe(1);
    queue.forget('a');
    await queue.get();
    queue.done('a');
    queue.addRateLimited('a'); // back to 5 ms
    clock.advance(5);
    expect(queue.len()).toBe(1);
  });
});

describe('overall token bucket (10 qps, burst 100)', () => {
  it('lets a burst of 100 failures through, then spaces them at 100 ms', () => {
    const clock = fakeClock();
    const queue = new WorkQueue({ clock });
    // 100 distinct keys on their first failure: 5 ms each, the bucket adds nothing.
    for (let i = 0; i < 100; i++) queue.addRateLimited(`k${i}`);
    // The 101st and 102nd failures at the same instant wait for tokens: 100 ms and 200 ms.
    queue.addRateLimited('x');
    queue.addRateLimited('y');
    clock.advance(5);
    expect(queue.len()).toBe(100);
    clock.advance(94);
    expect(queue.len()).toBe(100);
    clock.advance(1);
    expect(queue.len()).toBe(101);
    clock.advance(99);
    expect(queue.len()).toBe(101);
    clock.advance(1);
    expect(queue.len()).toBe(102);
  });
});

describe('addAfter', () => {
  it('makes keys ready in the order of their delays', async () => {
    const clock = fakeClock();
    const queue = new WorkQueue({ clock });
    queue.addAfter('a', 300);
    queue.addAfter('b', 100);
    queue.addAfter('c', 200);
    expect(queue.len()).toBe(0);
    clock.advance(300);
    expect([await queue.get(), await queue.get(), await queue.get()]).toEqual(['b', 'c', 'a']);
  });

  const cases = [
    { name: 'a shorter second delay wins', first: 100, second: 50, readyAt: 50 },
    { name: 'a longer second delay is ignored', first: 100, second: 500, readyAt: 100 },
    { name: 'a zero delay adds at once', first: 100, second: 0, readyAt: 0 },
  ];
  for (const c of cases) {
    it(`for a key already waiting: ${c.name}`, () => {
      const clock = fakeClock();
      const queue = new WorkQueue({ clock });
      queue.addAfter('a', c.first);
      queue.addAfter('a', c.second);
      if (c.readyAt > 0) {
        clock.advance(c.readyAt - 1);
        expect(queue.len()).toBe(0);
        clock.advance(1);
      }
      expect(queue.len()).toBe(1);
      clock.advance(1000);
      expect(queue.len()).toBe(1);
    });
  }
});

describe('shutdown', () => {
  it('answers waiting and later get() calls with undefined and ignores adds', async () => {
    const clock = fakeClock();
    const queue = new WorkQueue({ clock });
    const waiting = queue.get();
    queue.addAfter('later', 100);
    queue.shutDown();
    expect(await waiting).toBeUndefined();
    queue.add('a');
    clock.advance(1000);
    expect(queue.len()).toBe(0);
    expect(clock.pending()).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });

  it('hands out nothing more after shutDown, even keys still queued', async () => {
    const queue = new WorkQueue({ clock: fakeClock() });
    queue.add('a');
    queue.shutDown();
    expect(await queue.get()).toBeUndefined();
  });

  it('shutDownWithDrain waits for keys in flight to be done', async () => {
    const queue = new WorkQueue({ clock: fakeClock() });
    queue.add('a');
    queue.add('b');
    await queue.get();
    await queue.get();
    let drained = false;
    const draining = queue.shutDownWithDrain().then(() => (drained = true));
    await flush();
    expect(drained).toBe(false);
    queue.done('a');
    await flush();
    expect(drained).toBe(false);
    queue.done('b');
    await draining;
    expect(drained).toBe(true);
  });

  it('shutDownWithDrain returns at once with nothing in flight', async () => {
    const queue = new WorkQueue({ clock: fakeClock() });
    await queue.shutDownWithDrain();
    expect(queue.shuttingDown()).toBe(true);
  });
});
