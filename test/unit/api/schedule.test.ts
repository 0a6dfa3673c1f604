import { describe, expect, it } from 'vitest';
import {
  ScheduleError,
  canonicalTimeZone,
  nextAutostart,
  parseWeeklySchedule,
  sameSchedule,
  toCoderSchedule,
} from '../../../src/api/schedule.ts';

const WEEKDAYS = [1, 2, 3, 4, 5];
const EVERY_DAY = [0, 1, 2, 3, 4, 5, 6];

describe('toCoderSchedule', () => {
  it.each([
    [{ schedule: '30 9 * * 1-5' }, 'CRON_TZ=UTC 30 9 * * 1-5'],
    [{ schedule: '  30   9 *\t* 1-5 ' }, 'CRON_TZ=UTC 30 9 * * 1-5'],
    [{ schedule: '30 9 * * 1-5', timezone: 'Europe/Berlin' }, 'CRON_TZ=Europe/Berlin 30 9 * * 1-5'],
    // Sent as written: the canonical id is only for comparing.
    [{ schedule: '0 8 * * *', timezone: 'US/Central' }, 'CRON_TZ=US/Central 0 8 * * *'],
  ])('%j -> %s', (spec, out) => {
    expect(toCoderSchedule(spec)).toBe(out);
  });

  it('refuses a CRON_TZ prefix inside the schedule', () => {
    expect(() => toCoderSchedule({ schedule: 'CRON_TZ=UTC 30 9 * * 1' })).toThrow(/autostart\.timezone/);
  });
});

describe('parseWeeklySchedule accepts what Coder accepts', () => {
  it.each([
    ['30 9 * * 1-5', 'UTC', [30], [9], WEEKDAYS],
    ['CRON_TZ=UTC 30 9 * * 1-5', 'UTC', [30], [9], WEEKDAYS],
    ['CRON_TZ=Etc/UTC 0 0 * * *', 'UTC', [0], [0], EVERY_DAY],
    ['CRON_TZ=GMT 0 0 * * *', 'UTC', [0], [0], EVERY_DAY],
    ['CRON_TZ=US/Central 30 9 * * 1-5', 'America/Chicago', [30], [9], WEEKDAYS],
    ['CRON_TZ=Europe/Berlin 0 7 * * MON-FRI', 'Europe/Berlin', [0], [7], WEEKDAYS],
    ['CRON_TZ=Asia/Kolkata 0 7 * * *', 'Asia/Calcutta', [0], [7], EVERY_DAY],
    // Go's LoadLocation("") is UTC.
    ['CRON_TZ= 0 7 * * *', 'UTC', [0], [7], EVERY_DAY],
    ['*/15 9-17 * * mon,wed,fri', 'UTC', [0, 15, 30, 45], [9, 10, 11, 12, 13, 14, 15, 16, 17], [1, 3, 5]],
    ['5/20 0-23/6 * * 5,1,1,3', 'UTC', [5, 25, 45], [0, 6, 12, 18], [1, 3, 5]],
    ['0 9 * * SUN,SAT', 'UTC', [0], [9], [0, 6]],
    ['0 9 * * ?', 'UTC', [0], [9], EVERY_DAY],
    ['0,30 9 * * 0-6', 'UTC', [0, 30], [9], EVERY_DAY],
    ['  0   9 * * 1  ', 'UTC', [0], [9], [1]],
    ['09 08 * * 01', 'UTC', [9], [8], [1]],
  ])('%j', (raw, timezone, minutes, hours, weekdays) => {
    expect(parseWeeklySchedule(raw)).toEqual({ timezone, minutes, hours, weekdays });
  });
});

describe('parseWeeklySchedule rejects what Coder rejects', () => {
  const FIVE = 'validate weekly schedule: expected schedule to consist of 5 fields with an optional CRON_TZ=<timezone> prefix';
  const DOM = 'validate weekly schedule: expected day-of-month and month to be *';
  it.each([
    ['', FIVE, 'fields'],
    ['@daily', FIVE, 'fields'],
    ['30 9 *', FIVE, 'fields'],
    // Five parts, so no prefix is assumed: the "9" sits where day-of-month goes.
    ['CRON_TZ=UTC 30 9 * *', DOM, 'fields'],
    ['30 9 1 * *', DOM, 'fields'],
    ['30 9 * 1 *', DOM, 'fields'],
    ['30 9 ? * *', DOM, 'fields'],
    ['CRON_TZ=UTC 30 9 1 * 1', DOM, 'fields'],
    ['1 2 3 4 5 6 7', DOM, 'fields'],
    ['0 30 9 * * 1', 'parse schedule: expected exactly 5 fields, found 6: [0 30 9 * * 1]', 'fields'],
    // The prefix counts only at the very start of the string.
    [' CRON_TZ=UTC 30 9 * * 1', 'parse schedule: expected exactly 5 fields, found 6', 'fields'],
    ['TZ=UTC 30 9 * * 1', 'parse schedule: expected exactly 5 fields, found 6', 'fields'],
    ['CRON_TZ=Mars/Olympus 30 9 * * 1', 'parse schedule: provided bad location Mars/Olympus: unknown time zone Mars/Olympus', 'timezone'],
    ['CRON_TZ=+01:00 30 9 * * 1', 'unknown time zone +01:00', 'timezone'],
    ['CRON_TZ=europe/berlin 30 9 * * 1', 'unknown time zone europe/berlin (time zone names are case-sensitive: Europe/Berlin)', 'timezone'],
    ['CRON_TZ=Local 30 9 * * 1', 'schedules scoped to time.Local are not supported', 'timezone'],
    ['30 9 * * 7', 'parse schedule: end of range (7) above maximum (6): 7', 'fields'],
    ['30 9 * * 1-7', 'above maximum (6): 1-7', 'fields'],
    ['60 9 * * 1', 'parse schedule: ', 'fields'],
    ['30 24 * * 1', 'parse schedule: ', 'fields'],
    ['30 9 * * 5-1', 'parse schedule: ', 'fields'],
    ['30 9 * * 5L', 'unsupported syntax "5L" in the day-of-week field', 'fields'],
    ['30 9 * * 1#2', 'unsupported syntax "1#2"', 'fields'],
    ['H 9 * * 1', 'unsupported syntax "H" in the minute field', 'fields'],
    ['30 9 * * monday', 'unsupported syntax "monday"', 'fields'],
    ['30 9 * * ,', 'empty day-of-week field', 'fields'],
    ['*/0 9 * * 1', 'parse schedule: ', 'fields'],
  ])('%j', (raw, message, part) => {
    let caught: unknown;
    try {
      parseWeeklySchedule(raw);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ScheduleError);
    expect((caught as ScheduleError).message).toContain(message);
    expect((caught as ScheduleError).part).toBe(part);
  });
});

describe('canonicalTimeZone', () => {
  it.each([
    ['UTC', 'UTC'],
    ['Etc/UTC', 'UTC'],
    ['Zulu', 'UTC'],
    ['US/Central', 'America/Chicago'],
    ['Europe/Kyiv', 'Europe/Kiev'],
    ['America/Argentina/Buenos_Aires', 'America/Buenos_Aires'],
  ])('%s -> %s', (tz, canonical) => {
    expect(canonicalTimeZone(tz)).toBe(canonical);
  });
});

describe('sameSchedule', () => {
  it.each([
    [null, null],
    ['', ''],
    ['garbage', 'garbage'],
    ['30 9 * * 1-5', 'CRON_TZ=UTC 30 9 * * 1-5'],
    ['CRON_TZ=UTC 30 9 * * 1-5', 'CRON_TZ=Etc/UTC 30 9 * * 1,2,3,4,5'],
    ['CRON_TZ=Europe/Berlin 30 9 * * 1-5', 'CRON_TZ=Europe/Berlin  30  9 * * MON-FRI'],
    ['CRON_TZ=US/Central 0 8 * * *', 'CRON_TZ=America/Chicago 0 8 * * 0-6'],
    ['0 9 * * 0', '0 9 * * 7'],
    ['0 9 * * sun', '0 9 * * 7'],
    ['*/15 9 * * *', '0,15,30,45 9 * * ?'],
    ['0 9 * * 1,1,3', '0 9 * * 3,1'],
    ['0,*/15 9 * * 1,0-2', '0,15,30,45 9 * * 0-2'],
    ['0 9-11 * * 1', '0 9,10,11 * * 1'],
  ])('%j == %j', (a, b) => {
    expect(sameSchedule(a, b)).toBe(true);
    expect(sameSchedule(b, a)).toBe(true);
  });

  it.each([
    [null, 'CRON_TZ=UTC 30 9 * * 1-5'],
    [null, ''],
    ['garbage', 'garbage '],
    ['30 9 * * 1-5', 'garbage'],
    ['CRON_TZ=UTC 30 9 * * 1-5', 'CRON_TZ=Europe/London 30 9 * * 1-5'],
    ['CRON_TZ=Europe/Berlin 30 9 * * 1-5', 'CRON_TZ=Europe/Paris 30 9 * * 1-5'],
    ['30 9 * * 1-5', '31 9 * * 1-5'],
    ['30 9 * * 1-5', '30 10 * * 1-5'],
    ['30 9 * * 1-5', '30 9 * * 1-6'],
    ['30 9 * * *', '30 9 1 * *'],
  ])('%j != %j', (a, b) => {
    expect(sameSchedule(a, b)).toBe(false);
    expect(sameSchedule(b, a)).toBe(false);
  });
});

describe('nextAutostart', () => {
  // Europe/Berlin moves from CET (UTC+1) to CEST (UTC+2) at 2026-03-29 01:00Z.
  it.each([
    ['CRON_TZ=Europe/Berlin 0 9 * * *', '2026-03-27T12:00:00Z', '2026-03-28T08:00:00.000Z'],
    ['CRON_TZ=Europe/Berlin 0 9 * * *', '2026-03-28T12:00:00Z', '2026-03-29T07:00:00.000Z'],
    // Back to CET at 2026-10-25 01:00Z.
    ['CRON_TZ=Europe/Berlin 0 9 * * *', '2026-10-24T12:00:00Z', '2026-10-25T08:00:00.000Z'],
    // Weekdays only: Saturday noon -> Monday 09:30 CEST.
    ['CRON_TZ=Europe/Berlin 30 9 * * 1-5', '2026-03-28T12:00:00Z', '2026-03-30T07:30:00.000Z'],
    ['CRON_TZ=America/New_York 0 7 * * *', '2026-03-08T00:00:00Z', '2026-03-08T11:00:00.000Z'],
    ['30 9 * * *', '2026-03-28T09:30:00Z', '2026-03-29T09:30:00.000Z'],
    ['0 9 * * 7', '2026-03-28T12:00:00Z', '2026-03-29T09:00:00.000Z'],
  ])('%s after %s is %s', (raw, from, next) => {
    expect(nextAutostart(raw, new Date(from))?.toISOString()).toBe(next);
  });

  it('gives a time after the start even inside the DST gap', () => {
    // 02:30 does not exist in Berlin on 2026-03-29.
    const next = nextAutostart('CRON_TZ=Europe/Berlin 30 2 * * *', new Date('2026-03-28T12:00:00Z'));
    expect(next).toBeInstanceOf(Date);
    expect(next!.getTime()).toBeGreaterThan(Date.parse('2026-03-28T12:00:00Z'));
  });

  it.each(['garbage', '30 9 1 * *', 'CRON_TZ=Mars/Olympus 30 9 * * *'])('is undefined for %j', (raw) => {
    expect(nextAutostart(raw, new Date('2026-03-28T12:00:00Z'))).toBeUndefined();
  });
});
