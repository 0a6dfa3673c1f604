// The TTL rule shared by create and PUT /ttl (coderd/workspaces.go,
// validWorkspaceTTLMillis): truncate to whole minutes, then 1 minute to 30 days.
const MINUTE_MS = 60_000;
const MAX_TTL_MS = 30 * 24 * 3600_000;

export function truncateToMinutes(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/** The validation detail for a non-zero TTL, or undefined when it is allowed. */
export function ttlProblem(ms: number): string | undefined {
  const truncated = truncateToMinutes(ms);
  if (truncated < MINUTE_MS) return 'time until shutdown must be at least one minute';
  if (truncated > MAX_TTL_MS) return 'time until shutdown must be less than 30 days';
  return undefined;
}
