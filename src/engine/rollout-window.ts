// Maintenance windows of a rollout: a cron of openings plus a duration, in a
// time zone. "Open at t" means the latest opening at or before t is less
// than `duration` ago. Pure given `now`, and total: a spec that passes
// windowError() always yields a state, in every zone, across DST changes.
//
// cron-parser does the calendar, but only in UTC, on floating wall-clock
// times (zone-clock.ts): with a `tz`, it gives up with "loop limit exceeded"
// on a day whose scheduled local time does not exist (`0 0 * * *` in
// America/Santiago, Havana or Beirut, whose clocks skip midnight). Mapping
// the local times to instants is zone-clock.ts's job, with its two rules: a
// skipped local time opens the window at the end of the gap, a repeated one
// opens it once, at its first occurrence. The duration is elapsed time from
// the opening.
import { type CronExpression, CronExpressionParser } from 'cron-parser';
import { formatDuration, parseDuration } from '../api/duration.ts';
import { canonicalTimeZone } from '../api/schedule.ts';
import { instantOf, wallClock } from './zone-clock.ts';

export interface WindowSpec {
  schedule: string;
  duration: string;
  timezone?: string;
}

export type WindowState =
  | {
      open: boolean;
      message: string;
      /** When open: the instant this opening closes (ISO). */
      closesAt?: string;
      /** When closed: the next opening (ISO). */
      opensAt?: string;
    }
  | { error: string };

/** The openings around an instant: the latest at or before it and the first after it. */
interface Openings {
  latest: Date;
  next: Date;
}

/** Checks a window spec; the message names the field (for flags and connection specs alike). */
export function windowError(spec: WindowSpec): string | undefined {
  try {
    compile(spec);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export function windowState(spec: WindowSpec, now: Date): WindowState {
  let compiled: Compiled;
  try {
    compiled = compile(spec);
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  let around: Openings;
  try {
    around = openings(compiled, now.getTime());
  } catch (err) {
    // Not expected for a compiled spec (the property test hunts for one);
    // still a state for this one connection, never an exception out of a reconcile.
    return { error: `rollout.window: no opening found around ${now.toISOString()}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const closes = around.latest.getTime() + compiled.durationMs;
  if (now.getTime() < closes) {
    const closesAt = new Date(closes).toISOString();
    return { open: true, message: `maintenance window open until ${closesAt}`, closesAt };
  }
  const opensAt = around.next.toISOString();
  return {
    open: false,
    message:
      `waiting for the maintenance window "${spec.schedule}" (${compiled.tz}, ${formatDuration(compiled.durationMs)}); ` +
      `it next opens at ${opensAt}`,
    opensAt,
  };
}

/** The openings around `now`; throws what windowError() reports for a bad spec. */
export function windowOpenings(spec: WindowSpec, now: Date): Openings {
  return openings(compile(spec), now.getTime());
}

interface Compiled {
  schedule: string;
  durationMs: number;
  tz: string;
  /** Parsed once, on floating local time (UTC); moved with reset(). */
  cron: CronExpression;
  /** The last openings found: valid for every instant from `latest` up to (not including) `next`. */
  last?: Openings;
}

/**
 * How many schedule matches one lookup may walk past. A repeated hour holds
 * at most 60 matches of a per-minute schedule; the bound only turns a bug
 * into an error state instead of a hang.
 */
const WALK_LIMIT = 5000;

function openings(c: Compiled, now: number): Openings {
  // The answer only changes at an opening: a connection's Workspaces all ask within the same interval.
  if (c.last && c.last.latest.getTime() <= now && now < c.last.next.getTime()) return c.last;
  const wallNow = wallClock(c.tz, now);
  // The last match at or before the local time now (prev() is strictly before its start).
  c.cron.reset(new Date(Math.floor(wallNow / 1000) * 1000 + 1000));
  let wall = c.cron.prev().getTime();
  let latest = instantOf(c.tz, wall);
  for (let i = 0; latest > now; i++) {
    if (i === WALK_LIMIT) throw new Error('too many matches before the latest opening');
    wall = c.cron.prev().getTime();
    latest = instantOf(c.tz, wall);
  }
  // Walk forward: in a repeated hour, local times after now's reading can
  // stand for instants before now (their first occurrence).
  c.cron.reset(new Date(wall));
  for (let i = 0; i < WALK_LIMIT; i++) {
    const t = instantOf(c.tz, c.cron.next().getTime());
    if (t > now) {
      c.last = { latest: new Date(latest), next: new Date(t) };
      return c.last;
    }
    latest = Math.max(latest, t);
  }
  throw new Error('too many matches before the next opening');
}

// A compiled spec per distinct spec: the operator asks for the same window
// at every reconcile of every Workspace of a connection.
const compiledSpecs = new Map<string, Compiled>();
const COMPILED_LIMIT = 256;

/** How far apart two openings may be at most: a window that opens less than yearly is a mistake. */
const YEARS_CHECKED = 28; // the Gregorian calendar's weekday/leap-year pattern repeats every 28 years (1901-2099)
const FIRST_YEAR_CHECKED = 2024;

function compile(spec: WindowSpec): Compiled {
  const key = JSON.stringify([spec.schedule, spec.duration, spec.timezone]);
  const hit = compiledSpecs.get(key);
  if (hit) return hit;
  let tz: string;
  try {
    tz = canonicalTimeZone(spec.timezone ?? 'UTC');
  } catch (err) {
    throw new Error(`rollout.window.timezone: ${err instanceof Error ? err.message : String(err)}`);
  }
  let durationMs: number;
  try {
    durationMs = parseDuration(spec.duration);
  } catch (err) {
    throw new Error(`rollout.window.duration: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (durationMs < 60_000) throw new Error('rollout.window.duration: a window must last at least 1m');
  const fields = spec.schedule.trim().split(/\s+/);
  if (fields.length !== 5)
    throw new Error(
      `rollout.window.schedule: expected 5 cron fields "min hour day-of-month month weekday", got ${JSON.stringify(spec.schedule)}`,
    );
  // cron-parser's H picks a random value per parse unless seeded: the window would move at every reconcile.
  if (fields.some((f) => f.split(',').some((item) => /^H(?:\(|\/|$)/i.test(item))))
    throw new Error('rollout.window.schedule: H (hashed values) is not supported: a window must open at the same times on every run');
  const schedule = fields.join(' ');
  let cron: CronExpression;
  try {
    cron = CronExpressionParser.parse(schedule, { tz: 'UTC' });
  } catch (err) {
    throw new Error(`rollout.window.schedule: ${err instanceof Error ? err.message : String(err)}`);
  }
  checkOpensEveryYear(schedule, cron);
  const compiled: Compiled = { schedule, durationMs, tz, cron };
  if (compiledSpecs.size >= COMPILED_LIMIT) compiledSpecs.clear();
  compiledSpecs.set(key, compiled);
  return compiled;
}

/**
 * Every calendar year must have an opening (so openings are less than two
 * years apart, and cron-parser finds the next one well inside its loop
 * limit): `0 0 29 2 *` (leap days) or `0 0 * 2 1#5` (a fifth Monday in
 * February) are refused rather than waited for.
 */
function checkOpensEveryYear(schedule: string, cron: CronExpression): void {
  for (let year = FIRST_YEAR_CHECKED; year < FIRST_YEAR_CHECKED + YEARS_CHECKED; year++) {
    let found: number | undefined;
    try {
      cron.reset(new Date(Date.UTC(year, 0, 1) - 1000));
      found = cron.next().getTime();
    } catch {
      found = undefined;
    }
    if (found === undefined || found >= Date.UTC(year + 1, 0, 1))
      throw new Error(`rollout.window.schedule: "${schedule}" does not open in ${year}: a window must open at least once a year`);
  }
}
