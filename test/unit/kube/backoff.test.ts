// The one backoff formula, and that each of its four users still gets the
// delays it had before it was shared.
import { describe, expect, it } from 'vitest';
import { fullJitterDelay } from '../../../src/coder/backoff.ts';
import { buildPollDelay } from '../../../src/controller/workspace/outcome-events.ts';
import { backoffDelay, type ExponentialBackoff } from '../../../src/kube/backoff.ts';
import { ItemExponentialFailureRateLimiter } from '../../../src/kube/rate-limiter.ts';
import { DEFAULT_RESTART_BACKOFF, restartDelay } from '../../../src/kube/restart-backoff.ts';

const plain: ExponentialBackoff = { initialMs: 100, maxMs: 1000 };

describe('backoffDelay', () => {
  it.each([
    { name: 'attempt 0 is the initial delay', attempt: 0, backoff: plain, random: 0.5, ms: 100 },
    { name: 'doubles', attempt: 3, backoff: plain, random: 0.5, ms: 800 },
    { name: 'caps', attempt: 4, backoff: plain, random: 0.5, ms: 1000 },
    { name: 'never overflows', attempt: 5000, backoff: plain, random: 0.5, ms: 1000 },
    { name: 'a negative attempt counts as the first', attempt: -2, backoff: plain, random: 0.5, ms: 100 },
    { name: 'full jitter: bottom of the range', attempt: 2, backoff: { ...plain, jitter: 'full' as const }, random: 0, ms: 0 },
    { name: 'full jitter: below the delay', attempt: 2, backoff: { ...plain, jitter: 'full' as const }, random: 0.999, ms: 399 },
    { name: 'full jitter under the cap', attempt: 9, backoff: { ...plain, jitter: 'full' as const }, random: 0.5, ms: 500 },
    { name: 'proportional jitter adds up to the fraction', attempt: 1, backoff: { ...plain, jitter: 0.2 }, random: 0.5, ms: 220 },
    { name: 'proportional jitter never passes the cap', attempt: 3, backoff: { ...plain, jitter: 0.5 }, random: 0.999, ms: 1000 },
    { name: 'jitter 0 is none', attempt: 1, backoff: { ...plain, jitter: 0 }, random: 0.9, ms: 200 },
  ])('$name', ({ attempt, backoff, random, ms }) => {
    expect(backoffDelay(attempt, backoff, () => random)).toBe(ms);
  });

  it('does not draw a random number when there is no jitter', () => {
    let draws = 0;
    backoffDelay(3, plain, () => (draws++, 0.5));
    expect(draws).toBe(0);
  });
});

describe('its users keep their delays', () => {
  it('the Coder client: full jitter from 200 ms to 10 s', () => {
    expect([0, 1, 5, 6, 12].map((a) => fullJitterDelay(a, 200, 10_000, () => 0.5))).toEqual([100, 200, 3200, 5000, 5000]);
  });

  it('build polls: 250 ms doubling to 2 s', () => {
    expect([0, 1, 2, 3, 4, 40].map((a) => buildPollDelay(a))).toEqual([250, 500, 1000, 2000, 2000, 2000]);
  });

  it('informer restarts: 1 s doubling to 60 s, plus up to 20 %', () => {
    expect([0, 5, 6].map((f) => restartDelay(f, DEFAULT_RESTART_BACKOFF, () => 0.999))).toEqual([1200, 38_394, 60_000]);
  });

  it('queue retries: 5 ms doubling to 1000 s', () => {
    const limiter = new ItemExponentialFailureRateLimiter();
    expect(Array.from({ length: 4 }, () => limiter.when('k'))).toEqual([5, 10, 20, 40]);
  });
});
