// The per-path token bucket, on an injected clock that moves only when the
// limiter sleeps: spacing is read from the clock, never from wall time.
import { describe, expect, it } from 'vitest';
import { PathRateLimiter } from '../../../src/coder/rate-limit.ts';
import { fakeTime, type FakeTime } from './http-fixture.ts';

function limiter(time: FakeTime, requestsPerMinute: number, burst?: number): PathRateLimiter {
  return new PathRateLimiter({ requestsPerMinute, now: time.now, sleep: time.sleep, ...(burst !== undefined ? { burst } : {}) });
}

/** Acquires `n` times on `key` and records the clock at each grant. */
async function grants(l: PathRateLimiter, time: FakeTime, key: string, n: number): Promise<number[]> {
  const at: number[] = [];
  await Promise.all(Array.from({ length: n }, () => l.acquire(key).then(() => at.push(time.now()))));
  return at;
}

describe('PathRateLimiter', () => {
  it('lets a burst through at once, then spaces requests at 60 s / requestsPerMinute', async () => {
    const time = fakeTime(0);
    const l = limiter(time, 60, 3);
    expect(await grants(l, time, '/p', 6)).toEqual([0, 0, 0, 1000, 2000, 3000]);
  });

  it('defaults the burst to a tenth of the rate, so burst + rate stays under 512', () => {
    const l = new PathRateLimiter({ requestsPerMinute: 400 });
    expect(l.burst).toBe(40);
    expect(l.requestsPerMinute + l.burst).toBeLessThan(512);
  });

  it('refills with idle time, up to the burst', async () => {
    const time = fakeTime(0);
    const l = limiter(time, 60, 2);
    await grants(l, time, '/p', 2);
    await time.sleep(10_000); // idle: refills to 2, not 10
    time.sleeps.length = 0;
    expect(await grants(l, time, '/p', 3)).toEqual([10_000, 10_000, 11_000]);
  });

  it('keeps one budget per path', async () => {
    const time = fakeTime(0);
    const l = limiter(time, 60, 1);
    const [a, b] = await Promise.all([grants(l, time, '/a', 2), grants(l, time, '/b', 1)]);
    expect(a).toEqual([0, 1000]);
    expect(b).toEqual([0]);
  });

  it('serves waiters first come, first served', async () => {
    const time = fakeTime(0);
    const l = limiter(time, 60, 1);
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) => l.acquire('/p').then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('does not let a newcomer jump the queue when a token refills', async () => {
    const time = fakeTime(0);
    const l = limiter(time, 60, 1);
    const order: string[] = [];
    await l.acquire('/p');
    const waiting = l.acquire('/p').then(() => order.push('first'));
    expect(l.queued('/p')).toBe(1);
    const late = l.acquire('/p').then(() => order.push('second'));
    await Promise.all([waiting, late]);
    expect(order).toEqual(['first', 'second']);
  });

  it('waits by sleeping once per token, not by polling', async () => {
    const time = fakeTime(0);
    const l = limiter(time, 600, 1);
    await grants(l, time, '/p', 11);
    expect(time.sleeps).toEqual(Array(10).fill(100));
  });

  it('holdUntil delays the path, not the others', async () => {
    const time = fakeTime(0);
    const l = limiter(time, 60, 5);
    l.holdUntil('/held', 5_000);
    const [held, free] = await Promise.all([grants(l, time, '/held', 2), grants(l, time, '/free', 1)]);
    expect(held).toEqual([5_000, 5_000]);
    expect(free).toEqual([0]);
  });

  it('fails the waiters when an injected sleep throws instead of hanging them', async () => {
    let t = 0;
    const l = new PathRateLimiter({ requestsPerMinute: 60, burst: 1, now: () => t, sleep: async () => Promise.reject(new Error('boom')) });
    await l.acquire('/p');
    await expect(l.acquire('/p')).rejects.toThrow('boom');
    t = 1000;
    await expect(l.acquire('/p')).resolves.toBeUndefined();
  });

  it('forgets idle, full buckets once there are many paths', async () => {
    const time = fakeTime(0);
    const l = limiter(time, 60, 1);
    for (let i = 0; i < 1024; i++) await l.acquire(`/w${i}`);
    await time.sleep(1000); // every bucket is full again
    await l.acquire('/new'); // sweeps, so /w0 starts afresh with a full bucket
    expect(await grants(l, time, '/w0', 1)).toEqual([1000]);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects requestsPerMinute %s', (rpm) => {
    expect(() => new PathRateLimiter({ requestsPerMinute: rpm })).toThrow(RangeError);
  });
});
