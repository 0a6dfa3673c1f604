// Coder's weekly autostart schedule (coderd/schedule/cron/cron.go, Weekly):
// an optional CRON_TZ=<IANA zone> prefix, then `min hour dom month dow`, with
// dom and month both `*`. Field syntax is checked with cron-parser, so the
// text after "parse schedule:" is cron-parser's, not robfig/cron's.
import { CronExpressionParser } from 'cron-parser';

const TZ_PREFIX = 'CRON_TZ=';

interface ParsedSchedule {
  tz: string;
  fields: string[];
}

/** The error detail Coder would give, or undefined when the schedule is valid. */
export function validateWeeklySchedule(raw: string): string | undefined {
  const parts = raw.trim().split(/\s+/).filter((p) => p !== '');
  if (parts.length < 5) {
    return 'validate weekly schedule: expected schedule to consist of 5 fields with an optional CRON_TZ=<timezone> prefix';
  }
  // Like Coder, six parts are read as a prefix plus five fields before the prefix is checked.
  const fields = parts.length === 6 ? parts.slice(1) : parts;
  if (fields[2] !== '*' || fields[3] !== '*') {
    return 'validate weekly schedule: expected day-of-month and month to be *';
  }
  const parsed = splitSchedule(raw);
  if (typeof parsed === 'string') return `parse schedule: ${parsed}`;
  try {
    CronExpressionParser.parse(parsed.fields.join(' '), { tz: parsed.tz, strict: false });
  } catch (err) {
    return `parse schedule: ${err instanceof Error ? err.message : String(err)}`;
  }
  return undefined;
}

/** The next time the schedule fires after `now`, or null when it never does. */
export function nextStartAt(raw: string, now: number): number | null {
  const parsed = splitSchedule(raw);
  if (typeof parsed === 'string') return null;
  try {
    const expr = CronExpressionParser.parse(parsed.fields.join(' '), { tz: parsed.tz, currentDate: new Date(now) });
    return expr.next().getTime();
  } catch {
    return null;
  }
}

function splitSchedule(raw: string): ParsedSchedule | string {
  const parts = raw.trim().split(/\s+/).filter((p) => p !== '');
  let tz = 'UTC';
  let fields = parts;
  if (parts[0]?.startsWith(TZ_PREFIX)) {
    tz = parts[0].slice(TZ_PREFIX.length);
    fields = parts.slice(1);
    if (!isKnownTimeZone(tz)) return `provided bad location ${tz}: unknown time zone ${tz}`;
  }
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`;
  return { tz, fields };
}

function isKnownTimeZone(tz: string): boolean {
  if (tz === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
