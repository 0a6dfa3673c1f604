// Delays between retries. Full jitter (AWS architecture blog, "Exponential
// Backoff and Jitter") spreads the retries of many reconcilers that failed
// together, which matters when a Coder restart fails every call at once. The
// formula is the runtime's one backoff (src/kube/backoff.ts, which imports
// nothing, so the CLI loads no Kubernetes code for it).
import { backoffDelay } from '../kube/backoff.ts';

/** random() * min(maxMs, baseMs * 2^attempt); attempt 0 is the first retry. */
export function fullJitterDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  return backoffDelay(attempt, { initialMs: baseMs, maxMs, jitter: 'full' }, random);
}

/**
 * Milliseconds a Retry-After header asks for, capped, or undefined when the
 * header is absent or unreadable. Coder sends whole seconds (docs/coder-api.md, Rate limits);
 * an HTTP date is accepted too because a proxy in front of Coder may send one.
 */
export function retryAfterMs(header: string | null, nowMs: number, capMs: number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    // Date.parse reads "-1" as a year; an HTTP date always names a month.
    if (!/[a-z]/i.test(text)) return undefined;
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - nowMs;
  }
  return Math.min(capMs, Math.max(0, ms));
}
