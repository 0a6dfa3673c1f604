// Priorities in the work queue (controller-runtime's priority queue shape):
// higher first, FIFO within one, a key held once and moved up, never down.
import { describe, expect, it } from 'vitest';
import { LOW_PRIORITY as LOW, NORMAL_PRIORITY as NORMAL, PriorityFifo } from '../../../src/kube/priority-fifo.ts';
import { WorkQueue } from '../../../src/kube/work-queue.ts';
import { fakeClock, flush } from './fake-clock.ts';

type Op = ['add', string, number] | ['get', string] | ['done', string] | ['len', number];

async function play(queue: WorkQueue, ops: Op[]): Promise<void> {
  for (const op of ops) {
    if (op[0] === 'add') queue.add(op[1], op[2]);
    else if (op[0] === 'done') queue.done(op[1]);
    else if (op[0] === 'get') expect(await queue.get()).toBe(op[1]);
    else expect(queue.len()).toBe(op[1]);
  }
}

describe('WorkQueue priorities', () => {
  const cases: Array<{ name: string; ops: Op[] }> = [
    {
      name: 'hands out normal before low, each in arrival order',
      ops: [
        ['add', 'low1', LOW],
        ['add', 'low2', LOW],
        ['add', 'edit1', NORMAL],
        ['add', 'low3', LOW],
        ['add', 'edit2', NORMAL],
        ['get', 'edit1'],
        ['get', 'edit2'],
        ['get', 'low1'],
        ['get', 'low2'],
        ['get', 'low3'],
        ['len', 0],
      ],
    },
    {
      name: 'moves a key queued low up when it is added at normal, and queues it once',
      ops: [
        ['add', 'a', LOW],
        ['add', 'b', LOW],
        ['add', 'c', NORMAL],
        ['add', 'b', NORMAL],
        ['len', 3],
        ['get', 'c'],
        ['get', 'b'],
        ['get', 'a'],
        ['len', 0],
      ],
    },
    {
      name: 'never moves a key down: a low add of a normal key changes nothing',
      ops: [
        ['add', 'a', NORMAL],
        ['add', 'b', LOW],
        ['add', 'a', LOW],
        ['len', 2],
        ['get', 'a'],
        ['get', 'b'],
      ],
    },
    {
      name: 'keeps its place when added again at the same priority',
      ops: [
        ['add', 'a', LOW],
        ['add', 'b', LOW],
        ['add', 'a', LOW],
        ['get', 'a'],
        ['get', 'b'],
      ],
    },
    {
      name: 'a key re-added while in flight comes back once, at the highest priority asked',
      ops: [
        ['add', 'a', LOW],
        ['get', 'a'],
        ['add', 'a', LOW],
        ['add', 'a', NORMAL],
        ['add', 'x', LOW],
        ['len', 1],
        ['done', 'a'],
        ['len', 2],
        ['get', 'a'],
        ['get', 'x'],
      ],
    },
    {
      name: 'a key moved up and handed out is not handed out again from its old place',
      ops: [
        ['add', 'a', LOW],
        ['add', 'a', NORMAL],
        ['get', 'a'],
        ['done', 'a'],
        ['add', 'b', LOW],
        ['get', 'b'],
        ['len', 0],
      ],
    },
    {
      name: 'a key moved up, handed out and added low again waits behind the keys low before it',
      ops: [
        ['add', 'a', LOW],
        ['add', 'b', LOW],
        ['add', 'a', NORMAL],
        ['get', 'a'],
        ['done', 'a'],
        ['add', 'a', LOW],
        ['get', 'b'],
        ['get', 'a'],
        ['len', 0],
      ],
    },
    {
      name: 'any number of levels: highest first',
      ops: [
        ['add', 'p0', 0],
        ['add', 'p5', 5],
        ['add', 'm3', -3],
        ['add', 'p5b', 5],
        ['get', 'p5'],
        ['get', 'p5b'],
        ['get', 'p0'],
        ['get', 'm3'],
      ],
    },
  ];
  for (const c of cases) it(c.name, () => play(new WorkQueue({ clock: fakeClock() }), c.ops));

  it('add without a priority is normal: ahead of low keys', async () => {
    const queue = new WorkQueue({ clock: fakeClock() });
    queue.add('resync', LOW);
    queue.add('event');
    expect(await queue.get()).toBe('event');
  });

  it('a retry keeps the priority the key was handed out with', async () => {
    const clock = fakeClock();
    const queue = new WorkQueue({ clock });
    queue.add('failing', LOW);
    expect(await queue.get()).toBe('failing');
    queue.addRateLimited('failing'); // while in flight, as runWorkers does
    queue.done('failing');
    queue.add('edit', NORMAL);
    queue.add('resync', LOW);
    clock.advance(5); // the retry is ready now, after 'resync' was queued: low, so behind both
    expect([await queue.get(), await queue.get(), await queue.get()]).toEqual(['edit', 'resync', 'failing']);
  });

  it('a requeueAfter of a normal key stays normal', async () => {
    const clock = fakeClock();
    const queue = new WorkQueue({ clock });
    queue.add('build', NORMAL);
    expect(await queue.get()).toBe('build');
    queue.addAfter('build', 250);
    queue.done('build');
    queue.add('resync', LOW);
    clock.advance(250);
    expect(await queue.get()).toBe('build');
  });

  it('a delayed key waiting twice keeps the earlier time and the higher priority', async () => {
    const clock = fakeClock();
    const queue = new WorkQueue({ clock });
    queue.addAfter('a', 100, LOW);
    queue.addAfter('a', 500, NORMAL);
    queue.add('b', LOW);
    clock.advance(99);
    expect(queue.len()).toBe(1);
    clock.advance(1);
    expect(queue.len()).toBe(2);
    expect(await queue.get()).toBe('a');
    clock.advance(1000);
    expect(queue.len()).toBe(1);
  });

  it('one worker per key still holds with priorities', async () => {
    const queue = new WorkQueue({ clock: fakeClock() });
    queue.add('a', LOW);
    expect(await queue.get()).toBe('a');
    queue.add('a', NORMAL);
    let second: string | undefined;
    void queue.get().then((k) => (second = k));
    await flush();
    expect(second).toBeUndefined();
    queue.done('a');
    await flush();
    expect(second).toBe('a');
  });

  it('an edit during a 10,000-key low resync is handed out next', async () => {
    const queue = new WorkQueue({ clock: fakeClock() });
    for (let i = 0; i < 10_000; i++) queue.add(`ns/ws-${i}`, LOW);
    for (let i = 0; i < 100; i++) queue.done((await queue.get())!);
    queue.add('ns/ws-9000', NORMAL); // queued low already: moves up
    expect(await queue.get()).toBe('ns/ws-9000');
    expect(queue.len()).toBe(10_000 - 101);
    const rest: string[] = [];
    for (let k = await queue.get(); rest.push(k!) < 10_000 - 101; k = await queue.get()) queue.done(k!);
    expect(new Set(rest).size).toBe(rest.length);
    expect(rest).not.toContain('ns/ws-9000');
    expect(rest[0]).toBe('ns/ws-100');
  });
});

describe('PriorityFifo', () => {
  it('reports size and priority, and compacts long runs without losing order', () => {
    const fifo = new PriorityFifo();
    for (let i = 0; i < 5000; i++) fifo.push(`k${i}`, LOW);
    for (let i = 0; i < 5000; i += 2) fifo.push(`k${i}`, NORMAL);
    expect(fifo.size).toBe(5000);
    expect(fifo.priorityOf('k0')).toBe(NORMAL);
    expect(fifo.priorityOf('k1')).toBe(LOW);
    const order: string[] = [];
    for (let next = fifo.pop(); next; next = fifo.pop()) order.push(next.key);
    const evens = Array.from({ length: 2500 }, (_, i) => `k${i * 2}`);
    const odds = Array.from({ length: 2500 }, (_, i) => `k${i * 2 + 1}`);
    expect(order).toEqual([...evens, ...odds]);
    expect(fifo.size).toBe(0);
    expect(fifo.pop()).toBeUndefined();
  });
});
