// Maintenance windows: a cron of openings, a duration, a time zone.
import { describe, expect, it } from 'vitest';
import { windowError, windowState } from '../../../src/engine/rollout-window.ts';

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
    });
  });

  it.each([
    [{ schedule: '0 22 * *', duration: '2h' }, /rollout\.window\.schedule: expected 5 cron fields/],
    [{ schedule: '61 22 * * *', duration: '2h' }, /rollout\.window\.schedule/],
    [{ schedule: '0 22 * * *', duration: 'two hours' }, /rollout\.window\.duration: invalid duration/],
    [{ schedule: '0 22 * * *', duration: '30s' }, /at least 1m/],
    [{ schedule: '0 22 * * *', duration: '2h', timezone: 'Mars/Olympus' }, /rollout\.window\.timezone/],
  ])('refuses %j', (spec, message) => {
    expect(windowError(spec)).toMatch(message);
    expect(windowState(spec, at('2026-11-10T12:00:00Z'))).toEqual({ error: expect.stringMatching(message) });
  });
});
