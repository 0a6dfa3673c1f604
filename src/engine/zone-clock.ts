// Wall-clock time in an IANA time zone, as "floating" milliseconds: the local
// date and time read as if they were UTC (so 2026-03-29 02:30 in Berlin is
// Date.UTC(2026, 2, 29, 2, 30)). A cron schedule is a set of wall-clock
// times; mapping one to an instant is where daylight saving time bites: a
// local time can be skipped (spring forward) or repeated (fall back). ICU,
// through Intl, is the one source of zone rules; nothing here knows a rule.
//
// The two decisions, for maintenance windows (docs/lifecycle.md):
//   - a skipped local time becomes the first instant after the gap (the
//     moment the clocks jump), as Vixie cron runs jobs of a skipped hour;
//   - a repeated local time is its first occurrence only.
// Both keep the mapping monotone: a later wall-clock time never maps to an
// earlier instant, which is what lets a caller walk openings in order.

const SECOND = 1000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's UTC offset at `instant`, in ms (whole seconds: ICU's rules are in seconds). */
function offsetAt(timeZone: string, instant: number): number {
  const at = Math.floor(instant / SECOND) * SECOND;
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(at))) parts[p.type] = p.value;
  const year = parts.era === 'BC' || parts.era === 'B' ? 1 - Number(parts.year) : Number(parts.year);
  const wall = new Date(0);
  wall.setUTCFullYear(year, Number(parts.month) - 1, Number(parts.day));
  wall.setUTCHours(Number(parts.hour), Number(parts.minute), Number(parts.second), 0);
  return wall.getTime() - at;
}

/** The local wall-clock time of `instant`, as floating ms. */
export function wallClock(timeZone: string, instant: number): number {
  return instant + offsetAt(timeZone, instant);
}

/**
 * The instant a wall-clock time (floating ms) stands for: its first
 * occurrence when it is repeated, the end of the gap when it is skipped.
 */
export function instantOf(timeZone: string, wall: number): number {
  // Every offset in force within a day either side: a DST change moves the
  // clock by at most a day (Samoa skipped 2011-12-30 whole).
  const offsets = [...new Set([offsetAt(timeZone, wall - DAY), offsetAt(timeZone, wall), offsetAt(timeZone, wall + DAY)])];
  const occurrences = offsets.map((o) => wall - o).filter((t) => wallClock(timeZone, t) === wall);
  if (occurrences.length > 0) return Math.min(...occurrences);
  // Skipped: the first whole second whose wall clock is past `wall`. Between
  // these bounds the clock reads before `wall` at `lo` and after it at `hi`.
  let lo = Math.floor((wall - Math.max(...offsets)) / SECOND);
  let hi = Math.ceil((wall - Math.min(...offsets)) / SECOND);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallClock(timeZone, mid * SECOND) > wall) hi = mid;
    else lo = mid;
  }
  return hi * SECOND;
}
