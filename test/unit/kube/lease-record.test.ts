// Leader-election decisions as pure functions of the Lease and the clock.
import { describe, expect, it } from 'vitest';
import {
  decide,
  formatMicroTime,
  leaseExpiresAt,
  nextRecord,
  parseMicroTime,
  recordFromSpec,
  releasedRecord,
  specFromRecord,
  type LeaseDecision,
  type LeaseRecord,
} from '../../../src/kube/lease-record.ts';

const T = 1_700_000_000_000;
const held = (holder: string, renewTime: number, leaseDurationSeconds = 15): LeaseRecord => ({
  holderIdentity: holder,
  leaseDurationSeconds,
  acquireTime: renewTime,
  renewTime,
  leaseTransitions: 3,
});

describe('decide', () => {
  const cases: Array<{ name: string; record: LeaseRecord | undefined; now: number; observedChangeAt?: number; expected: LeaseDecision }> = [
    { name: 'no lease: create it', record: undefined, now: T, expected: { action: 'create' } },
    { name: 'our lease: renew', record: held('me', T - 5000), now: T, expected: { action: 'renew' } },
    { name: 'our expired lease: still renew (nobody took it)', record: held('me', T - 60_000), now: T, expected: { action: 'renew' } },
    {
      name: 'released lease: take it at once',
      record: { ...held('', T), leaseDurationSeconds: 1 },
      now: T,
      expected: { action: 'takeover', reason: 'released' },
    },
    {
      name: "another's fresh lease: wait",
      record: held('other', T - 1000),
      now: T,
      expected: { action: 'wait', holder: 'other', expiresAt: T + 14_000 },
    },
    {
      name: "another's lease at exactly its expiry: still wait",
      record: held('other', T - 15_000),
      now: T,
      expected: { action: 'wait', holder: 'other', expiresAt: T },
    },
    {
      name: "another's lease 1 ms past expiry: take over",
      record: held('other', T - 15_001),
      now: T,
      expected: { action: 'takeover', reason: 'expired' },
    },
    {
      name: 'the lease duration comes from the lease',
      record: held('other', T - 20_000, 30),
      now: T,
      expected: { action: 'wait', holder: 'other', expiresAt: T + 10_000 },
    },
    {
      name: 'an old renewTime but a change we saw recently: wait (the holder is alive, its clock behind)',
      record: held('other', T - 60_000),
      now: T,
      observedChangeAt: T - 2000,
      expected: { action: 'wait', holder: 'other', expiresAt: T + 13_000 },
    },
    {
      name: 'a change seen long ago does not extend an expired lease',
      record: held('other', T - 60_000),
      now: T,
      observedChangeAt: T - 30_000,
      expected: { action: 'takeover', reason: 'expired' },
    },
    {
      name: 'no renewTime: the acquireTime counts',
      record: { holderIdentity: 'other', leaseDurationSeconds: 15, acquireTime: T - 1000, leaseTransitions: 0 },
      now: T,
      expected: { action: 'wait', holder: 'other', expiresAt: T + 14_000 },
    },
    {
      name: 'no times at all: expired',
      record: { holderIdentity: 'other', leaseDurationSeconds: 15, leaseTransitions: 0 },
      now: T,
      expected: { action: 'takeover', reason: 'expired' },
    },
  ];
  for (const c of cases) it(c.name, () => expect(decide(c.record, 'me', c.now, c.observedChangeAt)).toEqual(c.expected));
});

describe('nextRecord and releasedRecord', () => {
  it('creates with no transitions', () => {
    expect(nextRecord({ action: 'create' }, undefined, 'me', 15, T)).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: T,
      renewTime: T,
      leaseTransitions: 0,
    });
  });

  it('renews: only renewTime moves, acquireTime and transitions stay', () => {
    expect(nextRecord({ action: 'renew' }, held('me', T - 2000), 'me', 15, T)).toEqual({ ...held('me', T - 2000), renewTime: T });
  });

  it('takes over: a new holder counts one transition', () => {
    expect(nextRecord({ action: 'takeover', reason: 'expired' }, held('other', T - 20_000), 'me', 15, T)).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: T,
      renewTime: T,
      leaseTransitions: 4,
    });
  });

  it('takes over a released lease: from no holder to us is a transition too', () => {
    const released = releasedRecord(held('other', T - 1000), T - 500);
    expect(nextRecord({ action: 'takeover', reason: 'released' }, released, 'me', 15, T).leaseTransitions).toBe(4);
  });

  it('releases: no holder, a 1 s lease, transitions kept', () => {
    expect(releasedRecord(held('me', T - 1000), T)).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: T,
      renewTime: T,
      leaseTransitions: 3,
    });
    expect(decide(releasedRecord(held('me', T - 1000), T), 'other', T).action).toBe('takeover');
  });

  it('expires at renewTime + duration', () => {
    expect(leaseExpiresAt(held('x', T))).toBe(T + 15_000);
  });
});

describe('MicroTime', () => {
  it.each([
    [Date.UTC(2024, 0, 2, 3, 4, 5, 123), '2024-01-02T03:04:05.123000Z'],
    [Date.UTC(2024, 0, 2, 3, 4, 5, 0), '2024-01-02T03:04:05.000000Z'],
    [Date.UTC(2024, 0, 2, 3, 4, 5, 7) + 0.9, '2024-01-02T03:04:05.007000Z'],
  ])('formats %d with six fractional digits: %s', (ms, text) => {
    expect(formatMicroTime(ms)).toBe(text);
    expect(formatMicroTime(ms)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it.each([
    ['2024-01-02T03:04:05.123456Z', Date.UTC(2024, 0, 2, 3, 4, 5, 123)],
    ['2024-01-02T03:04:05Z', Date.UTC(2024, 0, 2, 3, 4, 5)],
    [new Date(Date.UTC(2024, 0, 2)), Date.UTC(2024, 0, 2)],
    ['', undefined],
    ['not a time', undefined],
    [undefined, undefined],
  ])('parses %s', (value, ms) => expect(parseMicroTime(value)).toBe(ms));

  it('round-trips a record through a Lease spec', () => {
    const record = held('me', Date.UTC(2024, 5, 6, 7, 8, 9, 10));
    const spec = specFromRecord(record);
    expect(spec.renewTime).toBe('2024-06-06T07:08:09.010000Z');
    expect(recordFromSpec(spec)).toEqual(record);
    expect(recordFromSpec(undefined)).toEqual({ holderIdentity: '', leaseDurationSeconds: 0, leaseTransitions: 0 });
  });
});
