// Pure helpers of the peer comparisons (bench/coderd-peer-mode.ts,
// bench/polling-mode.ts): route templates of recorded paths, call tallies,
// ratios and per-hour figures. Kept free of IO so test/unit/bench can check them.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The route a concrete coderd path was served by, with its parameters named,
 * so calls of two clients can be compared by kind: ids become {id}, the
 * segment after `users` {user}, after `workspace` (by name) {workspace},
 * after `templates` (by name, under an organization) {template}.
 */
export function routeTemplate(path: string): string {
  const segments = path.split('?')[0]!.split('/');
  return segments
    .map((segment, i) => {
      if (UUID.test(segment)) return '{id}';
      const before = segments[i - 1];
      if (before === 'users' && segment !== 'me' && segment !== 'first' && segment !== 'login') return '{user}';
      if (before === 'workspace') return '{workspace}';
      if (before === 'templates' && segments[i - 3] === 'organizations') return '{template}';
      if (before === 'organizations' && segment !== 'default') return '{organization}';
      return segment;
    })
    .join('/');
}

export interface CallTally {
  total: number;
  reads: number;
  writes: number;
  /** "METHOD /route" → count, e.g. "PUT /api/v2/workspaces/{id}/ttl". */
  byRoute: Record<string, number>;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function tallyCalls(calls: readonly { method: string; path: string }[]): CallTally {
  const byRoute: Record<string, number> = {};
  let reads = 0;
  for (const c of calls) {
    if (READ_METHODS.has(c.method)) reads += 1;
    const key = `${c.method} ${routeTemplate(c.path)}`;
    byRoute[key] = (byRoute[key] ?? 0) + 1;
  }
  return { total: calls.length, reads, writes: calls.length - reads, byRoute };
}

/** How many times `ours` is smaller than `theirs` (peer / cwo), to 1 decimal; NaN when ours is 0. */
export function ratio(theirs: number, ours: number): number {
  if (!(ours > 0)) return Number.NaN;
  return Math.round((theirs / ours) * 10) / 10;
}

/** A cost measured over `windowMs` scaled to one hour. */
export function perHour(value: number, windowMs: number): number {
  if (!(windowMs > 0)) throw new RangeError(`window must be > 0 ms, got ${windowMs}`);
  return (value * 3_600_000) / windowMs;
}

/**
 * Passes in one hour of steady state for a periodic pass every `intervalMs`
 * (a poll every minute: 60; a resync every 10 h: 0.1).
 */
export function passesPerHour(intervalMs: number): number {
  return perHour(1, intervalMs);
}
