import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration, ttlFromSpec } from '../../../src/api/duration.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('parseDuration', () => {
  it.each([
    ['0s', 0],
    ['0m', 0],
    ['8h', 8 * HOUR],
    ['90m', 90 * MIN],
    ['1h30m', 90 * MIN],
    ['1.5h', 90 * MIN],
    ['90s', 90_000],
    ['500ms', 500],
    ['1h0m30s', HOUR + 30_000],
    ['2m2m', 4 * MIN],
    ['100us', 0.1],
    ['250µs', 0.25],
    ['3ns', 0.000003],
    ['720h', 720 * HOUR],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '0', '8', 'h', '1d', '1H', '-1h', '+1h', '1.h', '.5h', '1h 30m', ' 1h', '1e3s', '1hour', 'µs'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(DurationError);
    expect(() => parseDuration(text)).toThrow(/invalid duration .* e\.g\. 8h, 90m, 1h30m, 0s/);
  });

  it('rejects durations Go could not hold', () => {
    expect(() => parseDuration('9999999999h')).toThrow(/too long/);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [8 * HOUR, '8h'],
    [90 * MIN, '1h30m'],
    [90_000, '1m30s'],
    [45_000, '45s'],
    [1_500, '1.5s'],
    [HOUR + 30_000, '1h30s'],
    [720 * HOUR, '720h'],
    [500, '500ms'],
    [1.5, '1.5ms'],
    [0.25, '250µs'],
    [0.000003, '3ns'],
    [-90 * MIN, '-1h30m'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([0, 1, 999, 1000, 59_999, 60_000, 61_500, 3_599_999, HOUR, 25 * HOUR + 61_000, 720 * HOUR, 0.5, 0.001])(
    'round-trips %d ms',
    (ms) => {
      expect(parseDuration(formatDuration(ms))).toBeCloseTo(ms, 9);
    },
  );
});

describe('ttlFromSpec', () => {
  it.each([
    ['0s', 0],
    ['0m', 0],
    ['0h0m', 0],
    ['1m', MIN],
    ['60s', MIN],
    ['1m59s', MIN],
    ['8h', 8 * HOUR],
    ['1.5h', 90 * MIN],
    ['720h', 720 * HOUR],
    // Truncated first, like Coder: still 720h.
    ['720h59s', 720 * HOUR],
  ])('%s is %d ms', (text, ms) => {
    expect(ttlFromSpec(text)).toEqual({ ms });
  });

  const range = 'ttl must be between 1m and 720h (30 days), or 0s to turn auto-stop off';
  it.each([
    ['30s', /rounds down to 0 \(Coder keeps whole minutes only\)/],
    ['59999ms', /rounds down to 0/],
    ['0.5m', /rounds down to 0/],
    ['721h', /too long/],
    ['720h1m', /too long/],
    ['31000h', /too long/],
  ])('rejects %s', (text, reason) => {
    expect(() => ttlFromSpec(text)).toThrow(DurationError);
    expect(() => ttlFromSpec(text)).toThrow(reason);
    expect(() => ttlFromSpec(text)).toThrow(range);
  });

  it('rejects what is not a duration', () => {
    expect(() => ttlFromSpec('8 hours')).toThrow(/invalid duration/);
  });
});
