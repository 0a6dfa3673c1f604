// Public option and record types of the simulator (see index.ts).
import type { SimSeed } from './seed.ts';

export interface FaultOptions {
  /** Seed of the fault PRNG, so a fault sequence can be replayed. Default 1. */
  seed?: number;
  /** Added to every request before it is handled. */
  latencyMs?: number;
  /** Extra latency added with probability latencySpikeRate. */
  latencySpikeMs?: number;
  latencySpikeRate?: number;
  /** Probability of a 500 before the handler runs (nothing changes). */
  errorRate?: number;
  /** Probability of a 500 after the handler ran: the change is kept, the answer is lost. */
  errorAfterCommitRate?: number;
  /** Probability of destroying the socket before the handler runs. */
  dropRate?: number;
  /** Probability of destroying the socket after the handler ran (change kept). */
  dropAfterCommitRate?: number;
  /**
   * Probability of a stalled request: the server holds it for `stallMs`
   * (default 5000) before handling it, so a client with a shorter timeout gives
   * up while the change is still to come. The nastiest timeout there is: the
   * write lands after the caller decided it had failed.
   */
  stallRate?: number;
  stallMs?: number;
  /**
   * Every `every` requests, the next `length` requests get 429 with
   * Retry-After: `retryAfterSeconds` (default 60, what Coder sends).
   */
  rateLimitBurst?: { every: number; length: number; retryAfterSeconds?: number };
}

export interface SimulatorOptions {
  seed?: SimSeed;
  /** 0 (default) picks a free port. The host is always 127.0.0.1. */
  port?: number;
  /**
   * Which Coder to play: `latest` (default; the recent server of
   * docs/coder-api.md) or `2.27.0` (the differences of docs/compatibility.md).
   * Overrides the seed's `coder_version`.
   */
  coderVersion?: string;
  /** --allow-workspace-renames; default false, as on a real deployment. */
  allowRenames?: boolean;
  /** --experiments, e.g. ['workspace-sharing']; default none, as on a real deployment. */
  experiments?: string[];
  /** --api-rate-limit; default 512 per minute, <= 0 disables. */
  rateLimitPerMinute?: number;
  /** How long a build job stays pending + running. Default 200 ms. */
  buildDurationMs?: number;
  /** Epoch milliseconds; default Date.now. Build states and the rate limit follow it. */
  clock?: () => number;
  faults?: FaultOptions;
  /** Check every JSON body sent against swagger.json. */
  validateResponses?: boolean | { swaggerPath: string };
}

export interface RecordedCall {
  /** Arrival order within this simulator, from 1. */
  id: number;
  /**
   * The TCP connection it came on, numbered from 1. A client sends on a
   * keep-alive connection only after reading the previous answer on it, so a
   * later call on the same connection proves that answer was read (a client
   * that timed out closes the connection instead).
   */
  connection: number;
  method: string;
  /** The path without the query string. */
  path: string;
  /** The raw query string without `?`, '' when none. */
  query: string;
  /** The swagger path template that matched, '' when no route matched. */
  route: string;
  /** 0 when the connection was dropped without an answer. */
  status: number;
  /** The authenticated caller, when the token was valid. */
  userId?: string;
  requestBody?: unknown;
  responseBody?: unknown;
  /** Arrival, by the simulator's clock (before any injected hold). */
  at: number;
  /** When the answer was written or the connection dropped, by the simulator's clock. */
  answeredAt?: number;
  /** Milliseconds an injected latency, spike or stall held the request before it was handled. */
  heldMs?: number;
  /**
   * Ids of the injected 429s (same caller, same path) whose Retry-After had
   * not run out, by the simulator's clock, when this call arrived. A window
   * opens when its 429 is written, so a request the client sent before it
   * read that 429 can still fall inside.
   */
  insideRetryAfterOf?: number[];
  /**
   * The injected fault this call met, if any, so a test can tell an injected
   * 429 from one the rate limiter sent, and a lost answer from a refused call.
   */
  fault?: 'error' | 'drop' | 'burst429' | 'error-after-commit' | 'drop-after-commit' | 'stall';
}
