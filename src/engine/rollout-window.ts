// Maintenance windows of a rollout: a cron of openings plus a duration, in a
// time zone (cron-parser does the calendar). "Open at t" means the latest
// opening at or before t is less than `duration` ago. Pure given `now`.
import { CronExpressionParser } from 'cron-parser';
import { canonicalTimeZone } from '../api/schedule.ts';
import { formatDuration, parseDuration } from '../api/duration.ts';

export interface WindowSpec {
  schedule: string;
  duration: string;
  timezone?: string;
}

export type WindowState = { open: boolean; message: string } | { error: string };

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
  let compiled: ReturnType<typeof compile>;
  try {
    compiled = compile(spec);
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  const { durationMs, tz } = compiled;
  // One second past now, so an opening at exactly `now` counts as the latest one.
  const latest = CronExpressionParser.parse(spec.schedule, { currentDate: new Date(now.getTime() + 1000), tz })
    .prev()
    .getTime();
  const closes = latest + durationMs;
  if (now.getTime() < closes) return { open: true, message: `maintenance window open until ${new Date(closes).toISOString()}` };
  const next = CronExpressionParser.parse(spec.schedule, { currentDate: now, tz }).next().getTime();
  return {
    open: false,
    message:
      `waiting for the maintenance window "${spec.schedule}" (${tz}, ${formatDuration(durationMs)}); ` +
      `it next opens at ${new Date(next).toISOString()}`,
  };
}

function compile(spec: WindowSpec): { durationMs: number; tz: string } {
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
  try {
    CronExpressionParser.parse(spec.schedule, { tz });
  } catch (err) {
    throw new Error(`rollout.window.schedule: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { durationMs, tz };
}
