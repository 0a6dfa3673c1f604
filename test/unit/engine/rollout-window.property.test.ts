// Maintenance windows in every time zone the runtime knows, across two years
// of DST changes (2026-2027): the gate never throws, and every opening it
// reports is one the rules allow (docs/lifecycle.md, "Maintenance windows
// and DST"):
//   - latest <= now < next, and "open" is exactly now < latest + duration;
//   - an opening reads, on the zone's wall clock, a time the schedule
//     matches, or it is the instant the clocks jumped over such a time;
//   - an opening is the first occurrence of its wall-clock reading;
//   - the next opening is at most the schedule's local period away from the
//     latest one, plus the zone's DST shifts.
// The oracle reads offsets with Intl's longOffset, not with zone-clock.ts,
// and matches schedules with cron-parser on floating local times.
//
// Two parts: a sweep of every zone x a set of schedules x instants around
// each of the zone's transitions, and a fast-check property over generated
// schedules (the validator's grammar) x zones x instants, seed printed on
// failure. CWO_WINDOW_RUNS sets the property's runs (default 1000);
// CWO_WINDOW_EXHAUSTIVE=1 adds a denser sweep of every transition.
import { type CronExpression, CronExpressionParser } from 'cron-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type WindowSpec, windowError, windowOpenings, windowState } from '../../../src/engine/rollout-window.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FROM = Date.UTC(2026, 0, 1);
const TO = Date.UTC(2028, 0, 1);
const ZONES = ['UTC', ...Intl.supportedValuesOf('timeZone')];
const SEED = Number(process.env.CWO_WINDOW_SEED ?? 20261207);
const RUNS = Number(process.env.CWO_WINDOW_RUNS ?? 1000);
const EXHAUSTIVE = process.env.CWO_WINDOW_EXHAUSTIVE === '1';

const offsetFormats = new Map<string, Intl.DateTimeFormat>();
/** The zone's offset at t, read from Intl's "GMT+05:45" rendering. */
function offsetOf(tz: string, t: number): number {
  let f = offsetFormats.get(tz);
  if (!f) offsetFormats.set(tz, (f = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' })));
  const name = f.formatToParts(new Date(t)).find((p) => p.type === 'timeZoneName')!.value;
  const m = /^GMT(?:([+-])(\d\d):(\d\d)(?::(\d\d))?)?$/.exec(name);
  if (!m) throw new Error(`unexpected offset ${name} in ${tz}`);
  if (m[1] === undefined) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * HOUR + Number(m[3]) * 60_000 + Number(m[4] ?? 0) * 1000);
}
const wallOf = (tz: string, t: number) => t + offsetOf(tz, t);

interface Transition {
  at: number;
  before: number;
  after: number;
}
interface ZoneRules {
  /** The offset changes in 2026-2027, to the second. */
  transitions: Transition[];
  /** Largest minus smallest offset from a year before to two years after: how far real and local elapsed time can differ. */
  spread: number;
}
const WEEK = 7 * DAY;
const rulesCache = new Map<string, ZoneRules>();
/** A weekly scan, then bisection: no zone changes its clocks twice within a week in these years. */
function rules(tz: string): ZoneRules {
  let r = rulesCache.get(tz);
  if (r) return r;
  const transitions: Transition[] = [];
  const offsets = new Set<number>();
  let before = offsetOf(tz, FROM - 53 * WEEK);
  for (let t = FROM - 53 * WEEK; t < TO + 105 * WEEK; t += WEEK) {
    const after = offsetOf(tz, t + WEEK);
    offsets.add(before);
    if (after !== before && t >= FROM && t < TO) {
      let lo = t;
      let hi = t + WEEK;
      while (hi - lo > 1000) {
        const mid = Math.floor((lo + hi) / 2000) * 1000;
        if (offsetOf(tz, mid) === before) lo = mid;
        else hi = mid;
      }
      if (hi < TO) transitions.push({ at: hi, before, after });
    }
    before = after;
  }
  r = { transitions, spread: Math.max(...offsets) - Math.min(...offsets) };
  rulesCache.set(tz, r);
  return r;
}
const transitions = (tz: string) => rules(tz).transitions;

const parsed = new Map<string, CronExpression>();
/** The schedule's first local (floating) match strictly after `wall`, or the last strictly before it. */
function localMatch(schedule: string, wall: number, direction: 'next' | 'prev'): number {
  let cron = parsed.get(schedule);
  if (!cron) parsed.set(schedule, (cron = CronExpressionParser.parse(schedule, { tz: 'UTC' })));
  cron.reset(new Date(wall));
  return (direction === 'next' ? cron.next() : cron.prev()).getTime();
}
/** Does the schedule match this floating wall-clock time? */
const matches = (schedule: string, wall: number) => localMatch(schedule, wall - 1000, 'next') === wall;

/** Every rule above for one spec at one instant; returns what was found, throws (via expect) on a violation. */
function check(spec: WindowSpec & { timezone: string }, now: number): void {
  const tz = spec.timezone;
  const where = `${JSON.stringify(spec)} at ${new Date(now).toISOString()}`;
  let state: ReturnType<typeof windowState>;
  expect(() => (state = windowState(spec, new Date(now))), where).not.toThrow();
  expect(state!, where).not.toHaveProperty('error');
  const { latest, next } = windowOpenings(spec, new Date(now));
  const [l, n] = [latest.getTime(), next.getTime()];
  expect(l <= now && now < n, `${where}: latest ${latest.toISOString()} next ${next.toISOString()}`).toBe(true);
  const durationMs = parseDurationMs(spec.duration);
  expect('open' in state! && state.open, where).toBe(now < l + durationMs);
  for (const t of [l, n]) {
    const wall = wallOf(tz, t);
    const jumped = offsetOf(tz, t - 1000) !== offsetOf(tz, t);
    const what = `${where}: opening ${new Date(t).toISOString()} (local ${new Date(wall).toISOString().slice(0, 16)})`;
    if (!matches(spec.schedule, wall)) {
      // Only allowed as the end of a gap that skipped a matching local time.
      expect(jumped, `${what} is neither a scheduled local time nor a clock jump`).toBe(true);
      const beforeJump = wallOf(tz, t - 1000) + 1000;
      const skipped = localMatch(spec.schedule, beforeJump - 1000, 'next');
      expect(skipped < wall, `${what}: no scheduled local time was skipped`).toBe(true);
    }
    // The first occurrence: no earlier instant read the same wall clock.
    for (const o of new Set([offsetOf(tz, t - DAY), offsetOf(tz, t + DAY)])) {
      const earlier = wall - o;
      expect(earlier < t && wallOf(tz, earlier) === wall, `${what} is a repeat of ${new Date(earlier).toISOString()}`).toBe(false);
    }
  }
  // Within the schedule's local period, plus what DST can add: a scheduled
  // local time at least `spread` past now's reading is an instant after now,
  // at most `spread` later than its local distance (and the same backwards).
  const wallNow = wallOf(tz, now);
  const { spread } = rules(tz);
  const ahead = localMatch(spec.schedule, wallNow + spread, 'next');
  const behind = localMatch(spec.schedule, Math.floor((wallNow - spread) / 1000) * 1000 + 1000, 'prev');
  expect(n - now, `${where}: next opening ${next.toISOString()}`).toBeLessThanOrEqual(ahead - wallNow + spread);
  expect(now - l, `${where}: latest opening ${latest.toISOString()}`).toBeLessThanOrEqual(wallNow - behind + spread);
}

function parseDurationMs(d: string): number {
  const m = /^(\d+)([mh])$/.exec(d)!;
  return Number(m[1]) * (m[2] === 'h' ? HOUR : 60_000);
}

/** Instants around each transition of the zone, and a few spread over the two years. */
function instantsFor(tz: string): number[] {
  const out: number[] = [];
  for (const x of transitions(tz)) for (const d of [-1000, 0, 30 * 60_000]) out.push(x.at + d);
  for (let i = 0; i < 2; i++) out.push(FROM + Math.floor(((TO - FROM) * i) / 2) + 7 * HOUR + 13 * 60_000);
  return out;
}

const SWEEP_SCHEDULES = ['0 0 * * *', '*/20 * * * *'];

describe('maintenance windows in every zone, across two years of DST changes', () => {
  it(`sweeps ${ZONES.length} zones x ${SWEEP_SCHEDULES.length} schedules x instants around every transition`, () => {
    let checks = 0;
    for (const timezone of ZONES)
      for (const schedule of SWEEP_SCHEDULES)
        for (const now of instantsFor(timezone)) {
          check({ schedule, duration: '1h', timezone }, now);
          checks++;
        }
    expect(checks).toBeGreaterThan(ZONES.length * SWEEP_SCHEDULES.length * 2);
    process.stderr.write(`rollout-window sweep: ${checks} checks (${ZONES.length} zones)\n`);
  }, 300_000);

  it.runIf(EXHAUSTIVE)(
    'exhaustive: instants every 15 minutes of the 6 hours around every transition, schedules every 15 minutes of the affected local hours',
    () => {
      let checks = 0;
      for (const timezone of ZONES)
        for (const x of transitions(timezone)) {
          // Schedules at every local minute the change skips or repeats, and the hour either side.
          const wallAt = x.at + x.before;
          const span = Math.abs(x.after - x.before);
          for (let w = wallAt - HOUR; w <= wallAt + span + HOUR; w += 15 * 60_000) {
            const d = new Date(w);
            const schedule = `${d.getUTCMinutes()} ${d.getUTCHours()} * * *`;
            for (let now = x.at - 3 * HOUR; now <= x.at + 3 * HOUR; now += 15 * 60_000) {
              check({ schedule, duration: '1h', timezone }, now);
              checks++;
            }
          }
        }
      process.stderr.write(`rollout-window exhaustive: ${checks} checks\n`);
    },
    3_600_000,
  );

  it(
    `holds for generated schedules, zones and instants (fast-check, ${RUNS} runs, seed ${SEED})`,
    () => {
      const n = (lo: number, hi: number) => fc.integer({ min: lo, max: hi });
      const field = (lo: number, hi: number) =>
        fc.oneof(
          fc.constant('*'),
          n(lo, hi).map(String),
          fc.tuple(n(lo, hi), n(lo, hi)).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
          n(1, Math.max(1, Math.floor((hi - lo) / 2))).map((s) => `*/${s}`),
          fc.tuple(n(lo, hi), n(lo, hi), n(1, 10)).map(([a, b, s]) => `${Math.min(a, b)}-${Math.max(a, b)}/${s}`),
          fc.uniqueArray(n(lo, hi), { minLength: 2, maxLength: 4 }).map((xs) => xs.sort((a, b) => a - b).join(',')),
        );
      const dayOfMonth = fc.oneof(
        { weight: 6, arbitrary: fc.constant('*') },
        { weight: 1, arbitrary: fc.constant('L') },
        { weight: 2, arbitrary: field(1, 31) },
      );
      const month = fc.oneof(
        { weight: 6, arbitrary: fc.constant('*') },
        { weight: 1, arbitrary: fc.constantFrom('JAN-JUN', 'MAR,OCT', 'NOV') },
        { weight: 2, arbitrary: field(1, 12) },
      );
      const weekday = fc.oneof(
        { weight: 4, arbitrary: fc.constant('*') },
        { weight: 1, arbitrary: fc.constantFrom('MON-FRI', 'SAT,SUN', '7') },
        { weight: 1, arbitrary: fc.tuple(n(0, 6), n(1, 4)).map(([d, k]) => `${d}#${k}`) },
        { weight: 1, arbitrary: n(0, 6).map((d) => `${d}L`) },
        { weight: 3, arbitrary: field(0, 6) },
      );
      const generated = fc.tuple(field(0, 59), field(0, 23), dayOfMonth, month, weekday).map((f) => f.join(' '));
      const zone = fc.constantFrom(...ZONES);
      // Near a transition half of the time, where the zone has one; anywhere in the two years otherwise.
      const scenario = zone.chain((timezone) => {
        const xs = transitions(timezone);
        const anywhere = n(FROM, TO - 1);
        const near = xs.length === 0 ? anywhere : fc.tuple(fc.constantFrom(...xs), n(-26 * 60, 26 * 60)).map(([x, m]) => x.at + m * 60_000);
        // A schedule at a local time the change skips or repeats, to hit the rules head on.
        const atChange =
          xs.length === 0
            ? generated
            : fc.tuple(fc.constantFrom(...xs), n(0, 59)).map(([x, k]) => {
                const span = Math.max(60_000, Math.abs(x.after - x.before));
                const w = new Date(x.at + Math.min(x.before, x.after) + Math.floor((span * k) / 60));
                return `${w.getUTCMinutes()} ${w.getUTCHours()} * * *`;
              });
        return fc.record({
          timezone: fc.constant(timezone),
          schedule: fc.oneof({ weight: 3, arbitrary: generated }, { weight: 1, arbitrary: atChange }),
          duration: fc.constantFrom('1m', '30m', '2h', '9h'),
          now: fc.oneof(near, anywhere),
        });
      });
      let checked = 0;
      let refused = 0;
      fc.assert(
        fc.property(scenario, ({ now, ...spec }) => {
          if (windowError(spec) !== undefined) {
            refused++;
            return; // outside the validator's grammar: nothing to promise
          }
          check(spec, now);
          checked++;
        }),
        { seed: SEED, numRuns: RUNS },
      );
      process.stderr.write(`rollout-window property: ${checked} checked, ${refused} refused by validation (seed ${SEED})\n`);
      // Most generated schedules must be valid, or the property would test little.
      expect(checked).toBeGreaterThan(RUNS * 0.6);
    },
    300_000 + RUNS * 100,
  ); // a larger CWO_WINDOW_RUNS gets the time it needs on a loaded machine
});
