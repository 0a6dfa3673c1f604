// The API rate limit (coderd/httpmw/ratelimit.go on go-chi/httprate): one
// counter per (user id, cleaned path), or per IP for anonymous callers, over
// a sliding one-minute window: the previous window's count weighted by how
// much of it still overlaps, plus the current window's count.
import { posix } from 'node:path';
import { errorResponse, type SimResponse } from './responses.ts';

const WINDOW_MS = 60_000;

interface RateDecision {
  /** Headers for every response on a limited route. */
  headers: Record<string, string>;
  /** Set when the request must be refused with this answer. */
  refuse?: SimResponse;
}

interface Counter {
  windowStart: number;
  current: number;
  previous: number;
}

export class RateLimiter {
  private readonly counters = new Map<string, Counter>();
  private readonly limit: number;
  private readonly clock: () => number;

  constructor(limit: number, clock: () => number) {
    this.limit = limit;
    this.clock = clock;
  }

  get enabled(): boolean {
    return this.limit > 0;
  }

  /** Counts the request and says whether it may pass. */
  take(key: string): RateDecision {
    const now = this.clock();
    const windowStart = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    const counter = this.roll(key, windowStart);
    const overlap = (WINDOW_MS - (now - windowStart)) / WINDOW_MS;
    const rate = Math.floor(counter.previous * overlap + counter.current);
    const reset = String(Math.floor((windowStart + WINDOW_MS) / 1000));
    if (rate >= this.limit) {
      return {
        headers: { 'X-RateLimit-Limit': String(this.limit), 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': reset },
        refuse: tooManyRequests(this.limit),
      };
    }
    counter.current += 1;
    return {
      headers: {
        'X-RateLimit-Limit': String(this.limit),
        'X-RateLimit-Remaining': String(Math.max(0, this.limit - rate - 1)),
        'X-RateLimit-Reset': reset,
      },
    };
  }

  private roll(key: string, windowStart: number): Counter {
    const existing = this.counters.get(key);
    if (!existing) {
      const fresh = { windowStart, current: 0, previous: 0 };
      this.counters.set(key, fresh);
      return fresh;
    }
    if (existing.windowStart === windowStart) return existing;
    // The window moved: the old current becomes previous only if it is the adjacent window.
    existing.previous = existing.windowStart === windowStart - WINDOW_MS ? existing.current : 0;
    existing.current = 0;
    existing.windowStart = windowStart;
    return existing;
  }
}

export function rateLimitKey(userId: string | undefined, ip: string, path: string): string {
  return `${userId ?? `ip:${ip}`}|${posix.normalize(path)}`;
}

function tooManyRequests(limit: number): SimResponse {
  return {
    ...errorResponse(429, `You've been rate limited for sending more than ${limit} requests in 1m0s.`),
    headers: { 'Retry-After': '60' },
  };
}

/** A non-owner asked to bypass the limit: 428 with a plain-text body (http.Error). */
export function bypassRefused(): SimResponse {
  return {
    status: 428,
    body: '"X-Coder-Bypass-Ratelimit" provided but user is not owner\n',
  };
}
