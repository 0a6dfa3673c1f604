// Go-style durations ("8h", "1h30m", "1.5h", "500ms") for spec.ttl and CLI
// flags, and the TTL rules Coder applies (docs/coder-api.md, Settings). No well-kept npm
// package parses Go durations strictly, so this is a deliberately tiny parser
// whose accepted syntax is exactly the schema's DURATION_PATTERN.
import { DURATION_PATTERN } from './schema.ts';

export class DurationError extends Error {
  override name = 'DurationError';
}

const WHOLE = new RegExp(DURATION_PATTERN, 'u');
const TERM = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/gu;

// Units in milliseconds. Sub-millisecond units divide instead of multiply,
// so "100us" is exactly 0.1 rather than 100 * 0.001.
const MS_PER: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const PER_MS: Record<string, number> = { us: 1000, µs: 1000, ns: 1_000_000 };

// Go's time.Duration is an int64 of nanoseconds; anything longer overflows there.
const MAX_MS = 9_223_372_036_854.775;

const MINUTE = 60_000;
const TTL_MAX_MS = 720 * 3_600_000;
const TTL_RANGE_MESSAGE = 'ttl must be between 1m and 720h (30 days), or 0s to turn auto-stop off';

/** Milliseconds in a Go duration such as "1h30m"; may be fractional ("1us" is 0.001). */
export function parseDuration(text: string): number {
  if (!WHOLE.test(text)) {
    throw new DurationError(
      `invalid duration ${JSON.stringify(text)}: expected a number and a unit (h, m, s, ms, us, ns), e.g. 8h, 90m, 1h30m, 0s`,
    );
  }
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(TERM)) {
    const n = Number(amount);
    const mul = MS_PER[unit!];
    ms += mul !== undefined ? n * mul : n / PER_MS[unit!]!;
  }
  if (!(ms <= MAX_MS)) throw new DurationError(`invalid duration ${JSON.stringify(text)}: too long`);
  return ms;
}

/**
 * The shortest Go-parsable form: zero units are dropped ("1h", "1h30m",
 * "1m30s"), seconds keep a decimal fraction like Go does ("1.5s"), and values
 * under a second use ms, µs or ns. Negative values get a leading "-" (Go's
 * form; parseDuration does not accept it, since no spec field may be negative).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms === 0) return '0s';
  if (ms < 1000) {
    if (ms >= 1) return `${decimal(ms, 6)}ms`;
    if (ms >= 0.001) return `${decimal(ms * 1000, 3)}µs`;
    return `${Math.round(ms * 1_000_000)}ns`;
  }
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / MINUTE);
  const seconds = (ms % MINUTE) / 1000;
  let out = '';
  if (hours > 0) out += `${hours}h`;
  if (minutes > 0) out += `${minutes}m`;
  const sec = decimal(seconds, 9);
  if (sec !== '0') out += `${sec}s`;
  return out;
}

/**
 * spec.ttl as Coder will store it. Coder truncates the TTL down to whole
 * minutes, then requires 1 minute to 30 days; 0 turns auto-stop off. The range
 * is checked after truncation as Coder does, so "720h30s" is accepted as 720h.
 * A non-zero TTL under a minute ("30s") would truncate to 0, which Coder
 * rejects rather than reading as off: we reject it too, with the reason, since
 * silently turning auto-stop off is the opposite of what was asked.
 */
export function ttlFromSpec(text: string): { ms: number } {
  const raw = parseDuration(text);
  if (raw === 0) return { ms: 0 };
  const ms = Math.floor(raw / MINUTE) * MINUTE;
  if (ms === 0) {
    throw new DurationError(`ttl ${text} rounds down to 0 (Coder keeps whole minutes only); ${TTL_RANGE_MESSAGE}`);
  }
  if (ms > TTL_MAX_MS) throw new DurationError(`ttl ${text} is too long; ${TTL_RANGE_MESSAGE}`);
  return { ms };
}

// Fixed-point without trailing zeros: toFixed hides binary noise such as
// 1.4999999999 that a plain String() would show.
function decimal(value: number, digits: number): string {
  return value.toFixed(digits).replace(/\.?0+$/, '');
}
