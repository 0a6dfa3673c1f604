// Coder's weekly autostart schedule rules (coderd/schedule/cron/cron.go,
// Weekly), as the server applies them. The rules themselves live once, in
// src/api/schedule.ts, which mirrors Coder's parser and its error texts; the
// simulator only turns them into the server's answers.
import { nextAutostart, parseWeeklySchedule, ScheduleError } from '../api/schedule.ts';

/** The error detail Coder would give, or undefined when the schedule is valid. */
export function validateWeeklySchedule(raw: string): string | undefined {
  try {
    parseWeeklySchedule(raw);
    return undefined;
  } catch (err) {
    if (err instanceof ScheduleError) return err.message;
    throw err;
  }
}

/** The next time the schedule fires after `now`, or null when it never does. */
export function nextStartAt(raw: string, now: number): number | null {
  try {
    return nextAutostart(raw, new Date(now))?.getTime() ?? null;
  } catch {
    return null;
  }
}
