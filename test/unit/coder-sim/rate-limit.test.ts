import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoderSimulator } from '../../../src/coder-sim/index.ts';
import { RateLimiter } from '../../../src/coder-sim/rate-limit.ts';
import { apiAs, call, manualClock, startSim } from './helpers.ts';

describe('RateLimiter (sliding window)', () => {
  it('weights the previous window by its remaining overlap', () => {
    const clock = manualClock(Date.parse('2026-09-01T10:00:00.000Z'));
    const limiter = new RateLimiter(10, clock.fn);
    for (let i = 0; i < 10; i++) expect(limiter.take('k').refuse).toBeUndefined();
    expect(limiter.take('k').refuse?.status).toBe(429);
    // 15 s into the next window, 75% of the previous 10 still count: 7 left → 2 more pass.
    clock.advance(75_000);
    expect(limiter.take('k').headers['X-RateLimit-Remaining']).toBe('2');
    expect(limiter.take('k').refuse).toBeUndefined();
    expect(limiter.take('k').refuse).toBeUndefined();
    expect(limiter.take('k').refuse?.status).toBe(429);
    // Two windows later nothing is left of the old counts.
    clock.advance(120_000);
    expect(limiter.take('k').headers['X-RateLimit-Remaining']).toBe('9');
    // Other keys have their own budget.
    expect(limiter.take('other').refuse).toBeUndefined();
  });
});

describe('coder-sim rate limit over HTTP', () => {
  let sim: CoderSimulator;
  const clock = manualClock(Date.parse('2026-09-01T10:00:00.000Z'));
  beforeAll(async () => {
    sim = await startSim({ clock: clock.fn, rateLimitPerMinute: 3 });
  });
  afterAll(() => sim.close());

  it('limits per (user, path), sends headers on every response and 429 with Retry-After', async () => {
    const alice = apiAs(sim, 'alice');
    const first = await alice('GET', '/api/v2/users/me');
    expect(first.headers.get('x-ratelimit-limit')).toBe('3');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(first.headers.get('x-ratelimit-reset')).toBe(String(Date.parse('2026-09-01T10:01:00Z') / 1000));
    await alice('GET', '/api/v2/users/me');
    await alice('GET', '/api/v2/users/me');
    const limited = await alice('GET', '/api/v2/users/me');
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ message: "You've been rate limited for sending more than 3 requests in 1m0s." });
    expect(limited.headers.get('retry-after')).toBe('60');
    // Another path and another user are separate buckets.
    expect((await alice('GET', '/api/v2/users/alice')).status).toBe(200);
    expect((await apiAs(sim, 'bob')('GET', '/api/v2/users/me')).status).toBe(200);
    clock.advance(120_000);
    expect((await alice('GET', '/api/v2/users/me')).status).toBe(200);
  });

  it('lets a site Owner bypass with X-Coder-Bypass-Ratelimit, and answers 428 plain text to others', async () => {
    const admin = apiAs(sim, 'admin');
    for (let i = 0; i < 5; i++) {
      const res = await admin('GET', '/api/v2/workspaces', undefined, { 'X-Coder-Bypass-Ratelimit': 'true' });
      expect(res.status).toBe(200);
    }
    const refused = await apiAs(sim, 'bob')('GET', '/api/v2/workspaces', undefined, { 'X-Coder-Bypass-Ratelimit': 'true' });
    expect(refused.status).toBe(428);
    expect(refused.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(refused.text).toContain('X-Coder-Bypass-Ratelimit');
  });

  it('keys anonymous callers by IP and counts unknown routes', async () => {
    clock.advance(120_000);
    for (let i = 0; i < 3; i++) expect((await call(sim, 'GET', '/api/v2/nope')).status).toBe(404);
    expect((await call(sim, 'GET', '/api/v2/nope')).status).toBe(429);
  });
});
