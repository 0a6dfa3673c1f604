// Every string of a JSON value (a status patch, an Event) with the tokens the
// process holds replaced (logger.ts keeps them). Used where the operator writes
// to the Kubernetes API, so a token that slipped into a message (a server
// quoting it, an error we did not foresee) never reaches a status, a condition
// or an Event, which tenants read.
import { scrub } from './logger.ts';

export function scrubJson<T>(value: T): T {
  return scrubValue(value) as T;
}

function scrubValue(value: unknown): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(scrubValue);
  // Keys too: a map keyed by something a server sent (a drift field name) is still text we write.
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[scrub(k)] = scrubValue(v);
  return out;
}
