// The floors on sync's periods and the backoff of a failing loop, as numbers.
import { describe, expect, it } from 'vitest';
import { backsOff, checkSyncTiming, nextWaitMs } from '../../../src/cli/sync-timing.ts';

describe('sync timing', () => {
  it('refuses an interval under 10s or a resync under 1m, naming both, unless told', () => {
    expect(() => checkSyncTiming({ interval: 0, resync: 0 })).toThrow(
      '--interval must be at least 10s (got 0s); --resync must be at least 1m (got 0s): ' +
        'each resync lists every workspace in Coder; --allow-short-intervals lifts the floors',
    );
    expect(() => checkSyncTiming({ interval: 10_000, resync: 59_000 })).toThrow(/^--resync must be at least/);
    expect(() => checkSyncTiming({ interval: 10_000, resync: 60_000 })).not.toThrow();
    expect(() => checkSyncTiming({ interval: 0, resync: 0, allowShortIntervals: true })).not.toThrow();
  });

  it('waits the interval after one failure, then doubles up to 5 minutes (or the interval, if longer)', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map((n) => nextWaitMs(10_000, n))).toEqual([
      10_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000,
    ]);
    expect(nextWaitMs(600_000, 5)).toBe(600_000);
  });

  it('backs off for git and Coder failures, not for a commit it has rejected', () => {
    expect(['FetchFailed', 'RefNotFound', 'PathNotFound', 'CoderUnavailable', 'ApplyFailed'].every((r) => backsOff(r as never))).toBe(true);
    expect(['Applied', 'UpToDate', 'Unchanged', 'InvalidDeclarations', 'HistoryRewritten'].some((r) => backsOff(r as never))).toBe(false);
  });
});
