// Fault injection: latency, 500s and dropped connections before or after the
// change is applied, and bursts of 429. Decisions come from a seeded PRNG so a
// fault sequence replays exactly; setFaults() swaps the knobs at runtime.
import { createRandom, type Random } from './random.ts';
import { errorResponse, type SimResponse } from './responses.ts';
import type { FaultOptions } from './types.ts';

type FaultAction = 'none' | 'error' | 'drop';

interface FaultPlan {
  latencyMs: number;
  /** Held before the handler runs, on top of latencyMs; see FaultOptions.stallRate. */
  stallMs: number;
  /** Before the handler: nothing changes. */
  before: FaultAction | 'burst429';
  /** After the handler: the change is kept but the answer is lost. */
  after: FaultAction;
}

const NO_FAULTS: FaultPlan = { latencyMs: 0, stallMs: 0, before: 'none', after: 'none' };

export class FaultInjector {
  private options: FaultOptions = {};
  private random: Random = createRandom(1);
  private requestCount = 0;

  constructor(options: FaultOptions | undefined) {
    this.set(options ?? {});
  }

  set(options: FaultOptions): void {
    this.options = { ...options };
    this.random = createRandom(options.seed ?? 1);
    this.requestCount = 0;
  }

  /** The Retry-After of an injected 429 burst. */
  get burstRetryAfterSeconds(): number {
    return this.options.rateLimitBurst?.retryAfterSeconds ?? 60;
  }

  get active(): boolean {
    const o = this.options;
    return Boolean(
      o.latencyMs ||
        o.latencySpikeMs ||
        o.stallRate ||
        o.errorRate ||
        o.errorAfterCommitRate ||
        o.dropRate ||
        o.dropAfterCommitRate ||
        o.rateLimitBurst,
    );
  }

  /** Decides the faults for the next request. Draws the PRNG in a fixed order. */
  plan(): FaultPlan {
    if (!this.active) return NO_FAULTS;
    const o = this.options;
    const n = this.requestCount++;
    let latencyMs = o.latencyMs ?? 0;
    if (o.latencySpikeMs && this.chance(o.latencySpikeRate)) latencyMs += o.latencySpikeMs;
    let before: FaultPlan['before'] = 'none';
    const burst = o.rateLimitBurst;
    if (burst && burst.every > 0 && burst.length > 0 && n % (burst.every + burst.length) >= burst.every) {
      before = 'burst429';
    }
    const dropBefore = this.chance(o.dropRate);
    const errorBefore = this.chance(o.errorRate);
    const dropAfter = this.chance(o.dropAfterCommitRate);
    const errorAfter = this.chance(o.errorAfterCommitRate);
    // Drawn last, so adding stalls to a seed keeps every other fault where it was.
    const stallMs = this.chance(o.stallRate) ? (o.stallMs ?? 5000) : 0;
    if (before === 'none') before = dropBefore ? 'drop' : errorBefore ? 'error' : 'none';
    const after: FaultAction = dropAfter ? 'drop' : errorAfter ? 'error' : 'none';
    return { latencyMs, stallMs, before, after };
  }

  private chance(rate: number | undefined): boolean {
    // Always draw, so one knob's value does not shift the others' sequence.
    const roll = this.random();
    return rate !== undefined && rate > 0 && roll < rate;
  }
}

export function injectedServerError(): SimResponse {
  return errorResponse(500, 'Internal error.', { detail: 'simulated fault (coder-sim)' });
}

export function injectedRateLimit(retryAfterSeconds = 60): SimResponse {
  return {
    ...errorResponse(429, "You've been rate limited for sending more than 512 requests in 1m0s."),
    headers: { 'Retry-After': String(retryAfterSeconds) },
  };
}
