// Hints for the slips people make most in a Workspace spec, appended to the
// validator's message: `ttl: 8` is "must be a string", which is true and no
// help; "did you mean "8h"?" is.
import type { PathSegment } from './locate.ts';

const DURATION_FIELDS = new Set(['ttl', 'duration']);
const BOOLEAN_FIELDS = new Set(['running', 'dormant', 'favorite', 'suspend', 'enabled', 'onlyWhenStopped']);

/** A hint for `value` at `path`, or undefined when there is none worth giving. */
export function slipHint(path: PathSegment[], value: unknown): string | undefined {
  const field = path.at(-1);
  if (typeof field === 'string' && DURATION_FIELDS.has(field)) {
    // A bare number: hours is what a ttl of 8 means to everyone who writes it.
    if (typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())))
      return `did you mean "${String(value).trim()}h"? (a duration needs a unit: h, m or s)`;
  }
  if (typeof field === 'string' && BOOLEAN_FIELDS.has(field) && typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (['true', 'yes', 'on', 'y'].includes(word)) return 'did you mean true (unquoted)?';
    if (['false', 'no', 'off', 'n'].includes(word)) return 'did you mean false (unquoted)?';
  }
  if (field === 'value' && path.includes('parameters') && (typeof value === 'number' || typeof value === 'boolean'))
    return `parameter values are strings: quote it, "${String(value)}"`;
  return undefined;
}
