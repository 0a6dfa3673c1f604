// Maintenance windows: a cron of openings, a duration, a time zone.
import { describe, expect, it } from 'vitest';
import { ConnectionRollout } from '../../../src/controller/workspace/rollout.ts';
import { windowError, windowOpenings, windowState } from '../../../src/engine/rollout-window.ts';
import { LifecycleRun, type LifecycleEngine } from '../../../src/gitops/lifecycle-run.ts';

const at = (iso: string) => new Date(iso);

describe('windowState', () => {
  it.each<[string, { schedule: string; duration: string; timezone?: string }, string, boolean]>([
    ['inside, right at the opening', { schedule: '0 22 * * *', duration: '2h' }, '2026-11-10T22:00:00Z', true],
    ['inside, past midnight', { schedule: '0 22 * * *', duration: '4h' }, '2026-11-11T01:59:00Z', true],
    ['closed, at the closing minute', { schedule: '0 22 * * *', duration: '2h' }, '2026-11-11T00:00:00Z', false],
    ['closed, before the opening', { schedule: '0 22 * * *', duration: '2h' }, '2026-11-10T21:59:59Z', false],
    ['weekdays only: closed on Saturday night', { schedule: '0 22 * * 1-5', duration: '2h' }, '2026-11-14T22:30:00Z', false],
    [
      "in the window's own zone (22:00 Berlin is 21:00 UTC in November)",
      { schedule: '0 22 * * *', duration: '1h', timezone: 'Europe/Berlin' },
      '2026-11-10T21:30:00Z',
      true,
    ],
    ['the same instant in UTC is closed', { schedule: '0 22 * * *', duration: '1h' }, '2026-11-10T21:30:00Z', false],
  ])('%s', (_name, spec, now, open) => {
    const state = windowState(spec, at(now));
    expect('open' in state && state.open).toBe(open);
  });

  it('says when a closed window opens next', () => {
    const state = windowState({ schedule: '0 22 * * 1-5', duration: '2h' }, at('2026-11-14T12:00:00Z'));
    expect(state).toEqual({
      open: false,
      message: 'waiting for the maintenance window "0 22 * * 1-5" (UTC, 2h); it next opens at 2026-11-16T22:00:00.000Z',
      opensAt: '2026-11-16T22:00:00.000Z',
    });
  });

  it.each([
    [{ schedule: '0 22 * *', duration: '2h' }, /rollout\.window\.schedule: expected 5 cron fields/],
    [{ schedule: '61 22 * * *', duration: '2h' }, /rollout\.window\.schedule/],
    [{ schedule: '0 22 * * *', duration: 'two hours' }, /rollout\.window\.duration: invalid duration/],
    [{ schedule: '0 22 * * *', duration: '30s' }, /at least 1m/],
    [{ schedule: '0 22 * * *', duration: '2h', timezone: 'Mars/Olympus' }, /rollout\.window\.timezone/],
    // Hashed values are random per parse: the window would move at every reconcile.
    [{ schedule: 'H 22 * * *', duration: '2h' }, /H \(hashed values\) is not supported/],
    [{ schedule: '0 0 30 2 *', duration: '2h' }, /rollout\.window\.schedule/],
    // Openings years apart are a mistake, and would be searched for far beyond cron-parser's loop limit.
    [{ schedule: '0 0 29 2 *', duration: '2h' }, /does not open in 2025: a window must open at least once a year/],
    [{ schedule: '0 0 * 2 1#5', duration: '2h' }, /a window must open at least once a year/],
  ])('refuses %j', (spec, message) => {
    expect(windowError(spec)).toMatch(message);
    expect(windowState(spec, at('2026-11-10T12:00:00Z'))).toEqual({ error: expect.stringMatching(message) });
  });
});

// Daylight saving time: a schedule's local time can be skipped or repeated.
// The rules (docs/lifecycle.md): a skipped time opens the window when the
// clocks jump (the first instant after the gap); a repeated one opens it
// once, at its first occurrence; the duration is elapsed time.
describe('windowState across DST changes', () => {
  const closedUntil = (opensAt: string) => expect.objectContaining({ open: false, opensAt });

  it.each([
    // Chile, Cuba and Lebanon move their clocks at midnight: `0 0 * * *` has no midnight that day.
    ['America/Santiago', '0 0 * * *', '2026-09-05T12:00:00Z', '2026-09-06T04:00:00.000Z'],
    ['America/Havana', '0 0 * * *', '2026-03-07T12:00:00Z', '2026-03-08T05:00:00.000Z'],
    ['Asia/Beirut', '0 0 * * *', '2026-03-28T12:00:00Z', '2026-03-28T22:00:00.000Z'],
    // Weekly: cron-parser failed for the whole week before the skipped Sunday midnight.
    ['America/Santiago', '0 0 * * 0', '2026-09-01T12:00:00Z', '2026-09-06T04:00:00.000Z'],
    // 02:30 does not exist in Berlin on 2026-03-29: the window opens at 03:00 CEST.
    ['Europe/Berlin', '30 2 * * *', '2026-03-28T12:00:00Z', '2026-03-29T01:00:00.000Z'],
    // Lord Howe Island moves by 30 minutes, 02:00 -> 02:30.
    ['Australia/Lord_Howe', '15 2 * * *', '2026-10-03T12:00:00Z', '2026-10-03T15:30:00.000Z'],
    // Samoa skipped 2011-12-30 whole: that day's noon opens when the day is skipped.
    ['Pacific/Apia', '0 12 * * *', '2011-12-30T00:00:00Z', '2011-12-30T10:00:00.000Z'],
  ])('a skipped local time in %s (%s) opens when the clocks jump', (timezone, schedule, now, opensAt) => {
    expect(windowState({ schedule, duration: '2h', timezone }, at(now))).toEqual(closedUntil(opensAt));
  });

  it('a window opened at the jump lasts its full duration', () => {
    const spec = { schedule: '0 0 * * *', duration: '2h', timezone: 'America/Santiago' };
    expect(windowState(spec, at('2026-09-06T05:59:00Z'))).toEqual(
      expect.objectContaining({ open: true, closesAt: '2026-09-06T06:00:00.000Z' }),
    );
    expect(windowState(spec, at('2026-09-06T06:00:00Z'))).toEqual(closedUntil('2026-09-07T03:00:00.000Z'));
  });

  it('a repeated local time opens once, at its first occurrence', () => {
    // Berlin, 2026-10-25: 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET).
    const spec = { schedule: '30 2 * * *', duration: '30m', timezone: 'Europe/Berlin' };
    expect(windowState(spec, at('2026-10-25T00:00:00Z'))).toEqual(closedUntil('2026-10-25T00:30:00.000Z'));
    expect(windowState(spec, at('2026-10-25T00:45:00Z'))).toEqual(expect.objectContaining({ open: true }));
    // The second 02:30 is not a second opening.
    expect(windowState(spec, at('2026-10-25T01:35:00Z'))).toEqual(closedUntil('2026-10-26T01:30:00.000Z'));
    expect(windowOpenings(spec, at('2026-10-25T01:35:00Z')).latest.toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });

  it('a per-minute schedule walks through a repeated hour without opening twice', () => {
    const spec = { schedule: '*/20 2 * * *', duration: '1m', timezone: 'Europe/Berlin' };
    // 01:30Z reads 02:30 for the second time: the latest opening is the first 02:40 (00:40Z), the next is tomorrow.
    const o = windowOpenings(spec, at('2026-10-25T01:30:00Z'));
    expect([o.latest.toISOString(), o.next.toISOString()]).toEqual(['2026-10-25T00:40:00.000Z', '2026-10-26T01:00:00.000Z']);
  });
});

describe('the gates of both front doors in a zone that skips midnight', () => {
  // 2026-09-06 12:00Z: Santiago skipped that day's midnight; cron-parser threw here for 23 hours,
  // out of every reconcile of the connection (the operator) and out of plan/apply (the CLI).
  const window = { schedule: '0 0 * * *', duration: '2h', timezone: 'America/Santiago' };
  const now = at('2026-09-06T12:00:00Z');
  const closed = expect.objectContaining({ open: false, opensAt: '2026-09-07T03:00:00.000Z' });

  it("the operator's connection gate", () => {
    expect(new ConnectionRollout().gate('team-a/dev', { window }, now, undefined).window).toEqual(closed);
  });

  it("the CLI's run gate", () => {
    const run = new LifecycleRun({} as LifecycleEngine, { maxUnavailable: 1, buildTimeoutMs: 1000, window }, () => now);
    expect(run.gate('team-a/dev', true).window).toEqual(closed);
  });
});
