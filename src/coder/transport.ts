// The one place that talks HTTP to Coder: session token and content headers,
// timeout, client-side rate limit, retries with full-jitter backoff, 429
// handling and the mapping of answers to typed errors. Endpoint methods live
// in ./client.ts and describe each call; this file knows no endpoint.
//
// The token is held in a private field and goes only into the request
// headers. Nothing here logs headers, and error bodies are scrubbed of the
// token in case a server or proxy echoes it.
//
// Bounds, because the operator sends requests to URLs that tenants write in a
// CoderConnection, and one tenant's server must not take the process down for
// every tenant: each body is read with a byte limit (bounded-body.ts), an error
// body only far enough to find Coder's message in it, and retries stop at a
// deadline across all attempts as well as at a count.
import { fullJitterDelay, retryAfterMs } from './backoff.ts';
import { formatBytes, readBounded } from './bounded-body.ts';
import { redirectResponse, toCoderResponse } from './error-body.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';
import { CoderApiError, CoderCircuitOpenError, CoderNetworkError, CoderResponseTooLargeError } from './errors.ts';
import type { PathRateLimiter } from './rate-limit.ts';
import type { RoutePath } from './route.ts';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

/** What onResponse receives; status 0 with `error` set when no answer came. */
export interface CoderRequestEvent {
  method: HttpMethod;
  /** Path template, e.g. /api/v2/workspaces/{workspace}/ttl: no ids, no tokens. */
  route: string;
  status: number;
  durationMs: number;
  /** 0 for the first try, 1 for the first retry, ... */
  attempt: number;
  error?: 'timeout' | 'network';
}

/** The part of a pino logger the client uses. */
export interface CoderClientLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

interface TransportConfig {
  baseUrl: string;
  token: string;
  userAgent: string;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxRetryAfterMs: number;
  /** No retry starts once this long has passed since the first attempt began (sleeps and waits included). */
  retryDeadlineMs: number;
  bypassRateLimit: boolean;
  limiter: PathRateLimiter;
  /** The connection's breaker (circuit-breaker.ts); undefined: none (the CLI). */
  breaker: CircuitBreaker | undefined;
  logger: CoderClientLogger | undefined;
  onResponse: ((event: CoderRequestEvent) => void) | undefined;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export interface CoderRequest {
  method: HttpMethod;
  route: RoutePath;
  query?: Record<string, string>;
  /** JSON body; absent means no body and no Content-Type. */
  body?: unknown;
  /**
   * Safe to send again after a lost answer, a 5xx or a 429. False for the
   * creates: their outcome must be looked up, not guessed by a second POST.
   */
  idempotent: boolean;
  /** Non-2xx statuses that are answers, not errors (304 from PUT .../dormant). */
  alsoOk?: readonly number[];
  /** The largest success body accepted, in bytes. Default MAX_BODY_BYTES. */
  maxBodyBytes?: number;
  /**
   * A deadline (the transport's clock) this request belongs to, e.g. a whole
   * list's: no attempt runs past it and no retry starts after it.
   */
  deadlineAt?: number;
}

export interface CoderAnswer {
  status: number;
  /** Parsed JSON, or undefined for an empty body (204, 304). */
  body: unknown;
}

/** The hard cap on sleeping for one Retry-After: Coder sends 60. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;

/**
 * Every answer but a workspace list page. The largest Coder object we read is
 * one workspace with its latest build (a few KB; tens with many agents), so
 * 4 MiB is generous and still small next to the process's memory.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/**
 * A GET /workspaces page of 2,000: about 2.4 KB per workspace on a real
 * coderd v2.27 (1,085 workspaces were 2.65 MB), so ~5 MB per page; 32 MiB
 * leaves room for workspaces with many resources. client.ts raises it for a
 * larger page size.
 */
export const MAX_LIST_BODY_BYTES = 32 * 1024 * 1024;
/** An error body is read only this far: Coder's {message, detail} is short, and only that is kept. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** Default for retryDeadlineMs: five attempts' worth of backoff and one Retry-After, then give up. */
export const DEFAULT_RETRY_DEADLINE_MS = 180_000;

const NOT_RETRIED_5XX = 501; // Not Implemented will not get better by asking again.

export class CoderTransport {
  readonly #config: TransportConfig;

  constructor(config: TransportConfig) {
    this.#config = config;
  }

  async send(req: CoderRequest): Promise<CoderAnswer> {
    const c = this.#config;
    const url = this.#url(req);
    const retries = req.idempotent ? c.maxRetries : 0;
    const startedAt = c.now();
    // Another try only when its wait still ends inside the deadline.
    const inTime = (delayMs: number) =>
      c.now() - startedAt + delayMs <= c.retryDeadlineMs && (req.deadlineAt === undefined || c.now() + delayMs < req.deadlineAt);
    for (let attempt = 0; ; attempt++) {
      await c.limiter.acquire(req.route.path);
      // A server that just let a request time out gets no more until its cool-down ends.
      if (c.breaker && !c.breaker.admit())
        throw new CoderCircuitOpenError({ method: req.method, path: req.route.path, retryInMs: c.breaker.remainingMs() });
      const started = performance.now();
      let response: Response;
      let body: { text: string; over: boolean };
      const timeout = AbortSignal.timeout(
        req.deadlineAt === undefined ? c.timeoutMs : Math.max(1, Math.min(c.timeoutMs, req.deadlineAt - c.now())),
      );
      try {
        response = await fetch(url, {
          method: req.method,
          headers: this.#headers(req),
          body: req.body === undefined ? null : JSON.stringify(req.body),
          signal: timeout,
          // A redirect to another host would carry the session token with it
          // (fetch strips only Authorization and Cookie), so follow none.
          redirect: 'manual',
        });
        const success = (response.status >= 200 && response.status < 300) || req.alsoOk?.includes(response.status) === true;
        body = await readBounded(response, success ? (req.maxBodyBytes ?? MAX_BODY_BYTES) : MAX_ERROR_BODY_BYTES);
      } catch (cause) {
        const timedOut = timeout.aborted;
        if (timedOut) c.breaker?.timedOut();
        else c.breaker?.failedFast();
        this.#report(req, 0, started, attempt, timedOut ? 'timeout' : 'network');
        const error = new CoderNetworkError({ method: req.method, path: req.route.path, cause: plainCause(cause), timedOut });
        const delay = fullJitterDelay(attempt, c.retryBaseMs, c.retryMaxMs, c.random);
        // With the breaker open a retry would not be sent: one timeout is all a hanging server costs.
        const breakerOpen = c.breaker !== undefined && c.breaker.state !== 'closed';
        if (attempt < retries && !breakerOpen && this.#beforeDeadline(req, inTime(delay))) {
          await this.#backoff(req, attempt, delay, error.message);
          continue;
        }
        throw error;
      }
      c.breaker?.answered();
      this.#report(req, response.status, started, attempt);
      this.#throttleFrom(req, response.headers);

      const { status } = response;
      const text = body.text;
      if ((status >= 200 && status < 300) || req.alsoOk?.includes(status)) {
        if (body.over) {
          const limitBytes = req.maxBodyBytes ?? MAX_BODY_BYTES;
          throw new CoderResponseTooLargeError({
            method: req.method,
            path: req.route.path,
            status,
            limitBytes,
            limitText: formatBytes(limitBytes),
            hint:
              req.maxBodyBytes === undefined
                ? 'check that the URL is a Coder deployment'
                : 'use a smaller page size, or check that the URL is a Coder deployment',
          });
        }
        return { status, body: this.#parseSuccess(req, status, text) };
      }

      const retryAfter = status === 429 ? retryAfterMs(response.headers.get('retry-after'), c.now(), c.maxRetryAfterMs) : undefined;
      // Coder limits per (user, path): the Retry-After binds every request on
      // this path, not just this one. Without the hold, the calls already queued
      // on the path (creates for one owner, say) go out at once and meet 429s too.
      if (retryAfter !== undefined && retryAfter > 0) c.limiter.holdUntil(req.route.path, c.now() + retryAfter);
      // A 429 comes from Coder's rate-limit middleware, before any handler ran:
      // nothing happened, so even a create is safe to send again after
      // Retry-After. Other failures are retried only for idempotent calls.
      const retryable = status === 429 ? attempt < c.maxRetries : status >= 500 && status !== NOT_RETRIED_5XX && attempt < retries;
      const delay = retryAfter ?? fullJitterDelay(attempt, c.retryBaseMs, c.retryMaxMs, c.random);
      if (retryable && this.#beforeDeadline(req, inTime(delay))) {
        await this.#backoff(req, attempt, delay, `HTTP ${status}`);
        continue;
      }
      throw new CoderApiError({
        status,
        method: req.method,
        path: req.route.path,
        response:
          status >= 300 && status < 400
            ? redirectResponse(status, response.headers.get('location'), c.baseUrl)
            : toCoderResponse(status, this.#scrub(text), this.#host()),
        retryAfterSeconds: retryAfter === undefined ? undefined : Math.ceil(retryAfter / 1000),
      });
    }
  }

  /** Logs when the deadline, not the count, ends the retries. */
  #beforeDeadline(req: CoderRequest, inTime: boolean): boolean {
    if (!inTime)
      this.#config.logger?.warn(
        { method: req.method, route: req.route.template, retryDeadlineMs: this.#config.retryDeadlineMs },
        'not retrying: the retry deadline has passed',
      );
    return inTime;
  }

  #host(): string {
    return new URL(this.#config.baseUrl).host;
  }

  #url(req: CoderRequest): string {
    const query = req.query && Object.keys(req.query).length > 0 ? `?${new URLSearchParams(req.query).toString()}` : '';
    return `${this.#config.baseUrl}${req.route.path}${query}`;
  }

  #headers(req: CoderRequest): Record<string, string> {
    const headers: Record<string, string> = {
      'Coder-Session-Token': this.#config.token,
      Accept: 'application/json',
      'User-Agent': this.#config.userAgent,
    };
    if (req.body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.#config.bypassRateLimit) headers['X-Coder-Bypass-Ratelimit'] = 'true';
    return headers;
  }

  #parseSuccess(req: CoderRequest, status: number, text: string): unknown {
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text);
    } catch {
      // The body is not quoted: a token-minting answer carries a secret.
      throw new CoderApiError({
        status,
        method: req.method,
        path: req.route.path,
        response: { message: 'Coder answered with a body that is not valid JSON.' },
      });
    }
  }

  // Coder sends X-RateLimit-Remaining/-Reset on every answer. When the window
  // is spent, hold the path until it resets instead of earning a 429 (and its
  // 60 s Retry-After) with the next call. The hold is capped like a
  // Retry-After, in case the server's clock is far from ours.
  #throttleFrom(req: CoderRequest, headers: Headers): void {
    const remaining = headers.get('x-ratelimit-remaining');
    const reset = Number(headers.get('x-ratelimit-reset'));
    if (remaining === null || Number(remaining) > 0 || !Number.isFinite(reset) || reset <= 0) return;
    const now = this.#config.now();
    const until = Math.min(reset * 1000, now + this.#config.maxRetryAfterMs);
    if (until > now) this.#config.limiter.holdUntil(req.route.path, until);
  }

  async #backoff(req: CoderRequest, attempt: number, delayMs: number, why: string): Promise<void> {
    this.#config.logger?.warn(
      { method: req.method, route: req.route.template, attempt: attempt + 1, delayMs, why },
      'retrying Coder request',
    );
    await this.#config.sleep(delayMs);
  }

  #report(req: CoderRequest, status: number, started: number, attempt: number, error?: 'timeout' | 'network'): void {
    const event: CoderRequestEvent = {
      method: req.method,
      route: req.route.template,
      status,
      durationMs: performance.now() - started,
      attempt,
      ...(error ? { error } : {}),
    };
    this.#config.logger?.debug(event, 'coder request');
    try {
      this.#config.onResponse?.(event);
    } catch (error) {
      // A broken metrics hook must not turn a good answer into a failed call.
      this.#config.logger?.warn({ error: error instanceof Error ? error.message : String(error) }, 'onResponse hook threw');
    }
  }

  #scrub(text: string): string {
    const { token } = this.#config;
    return token === '' ? text : text.split(token).join('[REDACTED]');
  }
}

// fetch failures carry undici internals (the socket, sometimes the request);
// keep only names, codes and messages so a thrown error holds nothing else.
function plainCause(cause: unknown): Error {
  if (!(cause instanceof Error)) return new Error(String(cause));
  const inner = cause.cause instanceof Error ? plainLeaf(cause.cause) : undefined;
  const out = plainLeaf(cause);
  if (inner) Object.defineProperty(out, 'cause', { value: inner, enumerable: false, writable: true, configurable: true });
  return out;
}

function plainLeaf(error: Error): Error {
  const out = new Error(error.message);
  out.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(out, { code });
  return out;
}
