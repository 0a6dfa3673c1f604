// Coder's weekly autostart schedule (docs/coder-api.md, Settings; coderd/schedule/cron,
// Weekly): an optional CRON_TZ=<zone> prefix, then exactly five cron fields
// `min hour dom month dow`, dom and month both `*`, no descriptors. Coder
// parses with robfig/cron; we expand fields with cron-parser and add the few
// checks where robfig is stricter (no L/#/W/H, weekday 0-6), so a schedule we
// accept is one Coder accepts. Coder stores the string as sent, hence
// sameSchedule(): equal meaning must not look like drift.
import { CronExpressionParser } from 'cron-parser';

export class ScheduleError extends Error {
  override name = 'ScheduleError';
  /** Which input is wrong: the time zone, or the cron fields. */
  readonly part: 'timezone' | 'fields';
  constructor(message: string, part: 'timezone' | 'fields' = 'fields') {
    super(message);
    this.part = part;
  }
}

interface WeeklySchedule {
  /** Canonical time zone id as ICU resolves it (see canonicalTimeZone). */
  timezone: string;
  minutes: number[];
  hours: number[];
  /** 0-6, Sunday 0, sorted, de-duplicated. */
  weekdays: number[];
}

const PREFIX = 'CRON_TZ=';
// Coder's own detail texts (coderd/schedule/cron/cron.go), prefixed the way
// its handler prefixes them.
const FIELDS_MESSAGE = 'validate weekly schedule: expected schedule to consist of 5 fields with an optional CRON_TZ=<timezone> prefix';
const DOM_MONTH_MESSAGE = 'validate weekly schedule: expected day-of-month and month to be *';

/** The schedule string we send to Coder: always with an explicit CRON_TZ. */
export function toCoderSchedule(spec: { schedule: string; timezone?: string }): string {
  const fields = spec.schedule.trim().split(/\s+/);
  // A prefix here would end up second, after ours; the zone has its own field.
  if (fields[0]?.startsWith(PREFIX)) {
    throw new ScheduleError('set the time zone in autostart.timezone, not as a CRON_TZ= prefix in the schedule');
  }
  return `${PREFIX}${spec.timezone ?? 'UTC'} ${fields.join(' ')}`;
}

/** Parse a schedule exactly as strictly as Coder does; throws ScheduleError. */
export function parseWeeklySchedule(raw: string): WeeklySchedule {
  return parse(raw, true);
}

/**
 * Same time zone and same minute, hour and weekday sets. null (autostart off)
 * equals only null. A string that does not parse equals only itself. Weekday 7
 * counts as Sunday here although Coder rejects it: equality is about meaning.
 */
export function sameSchedule(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  if (a === b) return true;
  const x = tryParse(a);
  const y = tryParse(b);
  if (x === undefined || y === undefined) return false;
  return x.timezone === y.timezone && sameList(x.minutes, y.minutes) && sameList(x.hours, y.hours) && sameList(x.weekdays, y.weekdays);
}

/** The first start strictly after `from`, or undefined when `raw` does not parse. */
export function nextAutostart(raw: string, from: Date): Date | undefined {
  const parsed = tryParse(raw);
  if (parsed === undefined) return undefined;
  try {
    const fields = `${parsed.minutes.join(',')} ${parsed.hours.join(',')} * * ${parsed.weekdays.join(',')}`;
    const expr = CronExpressionParser.parse(fields, { tz: parsed.timezone, currentDate: from });
    return expr.next().toDate();
  } catch {
    return undefined;
  }
}

/**
 * The zone as ICU canonicalises it, or a ScheduleError worded like Go's
 * time.LoadLocation error. What Node 24's ICU (78) does, checked by hand:
 * UTC, Etc/UTC, Etc/GMT, GMT and Zulu all become "UTC"; links resolve
 * (US/Central -> America/Chicago, EST5EDT -> America/New_York); ICU keeps
 * CLDR's older ids (Asia/Kolkata -> Asia/Calcutta, Europe/Kyiv -> Europe/Kiev);
 * names match case-insensitively; "+01:00" style offsets are accepted. Go
 * (and so Coder) rejects offsets and, reading zone files on Linux, wrong case,
 * so both are refused here. A wrongly cased link name (us/central) cannot be
 * told from a right one with Intl alone and slips through; that is the one
 * known gap. The canonical id is for comparing only: we send what the user wrote.
 */
export function canonicalTimeZone(tz: string): string {
  // Go's LoadLocation("") is UTC, and robfig hands it exactly that for "CRON_TZ=".
  if (tz === '') return 'UTC';
  // Go maps "Local" to the server's own zone, which Coder refuses.
  if (tz === 'Local') throw new ScheduleError('schedules scoped to time.Local are not supported', 'timezone');
  const unknown = (hint = '') =>
    new ScheduleError(`parse schedule: provided bad location ${tz}: unknown time zone ${tz}${hint}`, 'timezone');
  if (/^[+-]/.test(tz)) throw unknown();
  const known = zones.get(tz);
  if (known !== undefined) return known;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    throw unknown();
  }
  const spelled = properSpelling(tz);
  if (spelled !== undefined && spelled !== tz) throw unknown(` (time zone names are case-sensitive: ${spelled})`);
  // Building a DateTimeFormat is most of a schedule check's cost; a fleet uses a handful of zones.
  if (zones.size >= PARSED_MAX) zones.clear();
  zones.set(tz, resolved);
  return resolved;
}

/** Zones found good, as written -> canonical id. */
const zones = new Map<string, string>();

let spellings: Map<string, string> | undefined;

// Canonical ids in their proper case, keyed by lower case. Links are not in
// Intl's list, so they are not checked (see canonicalTimeZone).
function properSpelling(tz: string): string | undefined {
  spellings ??= new Map(['UTC', ...Intl.supportedValuesOf('timeZone')].map((id) => [id.toLowerCase(), id]));
  return spellings.get(tz.toLowerCase());
}

function tryParse(raw: string): WeeklySchedule | undefined {
  try {
    return parse(raw, false);
  } catch {
    return undefined;
  }
}

// `coderStrict` rejects weekday 7, which robfig (0-6) refuses and cron-parser
// reads as Sunday. Everything else is the same in both modes.
/**
 * Parsed schedules by text. A fleet has few distinct schedules, and parsing
 * one (a time zone lookup, a cron parse per list item) costs about a
 * millisecond: `cwo export` and a plan over 10,000 workspaces would otherwise
 * parse the same few strings tens of thousands of times. Only successes are
 * kept, frozen; the map is emptied when it grows past its bound.
 */
const parsed = new Map<string, Readonly<WeeklySchedule>>();
const PARSED_MAX = 4096;

function parse(raw: string, coderStrict: boolean): WeeklySchedule {
  const key = `${coderStrict ? 'strict' : 'loose'} ${raw}`;
  const hit = parsed.get(key);
  if (hit) return hit;
  const value = Object.freeze(parseUncached(raw, coderStrict));
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(key, value);
  return value;
}

function parseUncached(raw: string, coderStrict: boolean): WeeklySchedule {
  // Coder's order of checks: field count, dom/month, then the parse proper
  // (time zone first, then exactly five fields, then each field).
  const parts = raw.split(/\s+/).filter((p) => p !== '');
  if (parts.length < 5) throw new ScheduleError(FIELDS_MESSAGE);
  // Six parts are read as prefix + five fields before the prefix is looked at.
  const shifted = parts.length === 6 ? parts.slice(1) : parts;
  if (shifted[2] !== '*' || shifted[3] !== '*') throw new ScheduleError(DOM_MONTH_MESSAGE);

  let timezone = 'UTC';
  let fields = parts;
  // Coder only sees a prefix at the very start of the string.
  if (raw.startsWith(PREFIX)) {
    timezone = canonicalTimeZone(parts[0]!.slice(PREFIX.length));
    fields = parts.slice(1);
  }
  if (fields.length !== 5) {
    throw new ScheduleError(`parse schedule: expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  }
  const [minute, hour, , , weekday] = fields as [string, string, string, string, string];
  return {
    timezone,
    minutes: expand(0, robfigItems('minute', minute, false, false)),
    hours: expand(1, robfigItems('hour', hour, false, false)),
    weekdays: expand(4, robfigItems('day-of-week', weekday, true, coderStrict)),
  };
}

/**
 * The values of one field, the union over its list items. Each item goes to
 * cron-parser on its own because cron-parser refuses overlapping items
 * ("1,1-3", "0,*\/15") where robfig just ORs them together.
 */
function expand(position: 0 | 1 | 4, items: string[]): number[] {
  const values = new Set<number>();
  for (const item of items) {
    const fields = ['0', '0', '*', '*', '*'];
    fields[position] = item;
    let expr;
    try {
      expr = CronExpressionParser.parse(fields.join(' '));
    } catch (err) {
      throw new ScheduleError(`parse schedule: ${err instanceof Error ? err.message : String(err)}`);
    }
    const f = expr.fields;
    const field = position === 0 ? f.minute : position === 1 ? f.hour : f.dayOfWeek;
    for (const v of field.values) if (typeof v === 'number') values.add(position === 4 && v === 7 ? 0 : v);
  }
  return [...values].sort((a, b) => a - b);
}

const PLAIN_PART = /^(?:\*|\?|\d+(?:-\d+)?)(?:\/\d+)?$/;
const DAY = '(?:\\d+|sun|mon|tue|wed|thu|fri|sat)';
const WEEKDAY_PART = new RegExp(`^(?:\\*|\\?|${DAY}(?:-${DAY})?)(?:/\\d+)?$`, 'i');

/**
 * The list items of one field in robfig's grammar (`*`, `?`, n, n-m, each
 * with an optional /step; weekday names sun..sat), in the form cron-parser
 * reads the same way: `?` becomes `*`, and empty items, which robfig skips,
 * are dropped. Bounds are left to cron-parser, except weekday 7.
 */
function robfigItems(name: string, field: string, weekday: boolean, coderStrict: boolean): string[] {
  const items = field.split(',').filter((p) => p !== '');
  if (items.length === 0) throw new ScheduleError(`parse schedule: empty ${name} field`);
  for (const item of items) {
    if (!(weekday ? WEEKDAY_PART : PLAIN_PART).test(item)) {
      throw new ScheduleError(`parse schedule: unsupported syntax ${JSON.stringify(item)} in the ${name} field`);
    }
    if (weekday && coderStrict) {
      const over = item
        .split('/')[0]!
        .split('-')
        .find((v) => /^\d+$/.test(v) && Number(v) > 6);
      if (over !== undefined) {
        throw new ScheduleError(`parse schedule: end of range (${Number(over)}) above maximum (6): ${item} (Sunday is 0)`);
      }
    }
  }
  return items.map((p) => p.replace('?', '*'));
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
