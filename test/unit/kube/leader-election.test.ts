// LeaderElector's loop on a fake clock and an in-memory Lease with
// resourceVersion checks, as the apiserver does them.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LeaderElector } from '../../../src/kube/leader-election.ts';
import { LeaseConflictError, type LeaseClient, type ObservedLease } from '../../../src/kube/lease-client.ts';
import type { LeaseRecord } from '../../../src/kube/lease-record.ts';
import { fakeClock, flush, type FakeClock } from './fake-clock.ts';

const logger = pino({ level: 'silent' });

interface FakeLease extends LeaseClient {
  stored: ObservedLease | undefined;
  /** While set, every call hangs (an apiserver that stopped answering). */
  hang: boolean;
  writes: number;
}

function fakeLease(): FakeLease {
  let rv = 0;
  const never = new Promise<never>(() => {});
  const lease: FakeLease = {
    name: 'ns/lease',
    stored: undefined,
    hang: false,
    writes: 0,
    async get() {
      if (lease.hang) return never;
      return lease.stored && structuredClone(lease.stored);
    },
    async create(record: LeaseRecord) {
      if (lease.hang) return never;
      if (lease.stored) throw new LeaseConflictError('exists');
      lease.writes++;
      lease.stored = { record: structuredClone(record), resourceVersion: String(++rv) };
      return lease.stored.resourceVersion;
    },
    async update(record: LeaseRecord, resourceVersion: string) {
      if (lease.hang) return never;
      if (lease.stored?.resourceVersion !== resourceVersion) throw new LeaseConflictError('conflict');
      lease.writes++;
      lease.stored = { record: structuredClone(record), resourceVersion: String(++rv) };
      return lease.stored.resourceVersion;
    },
  };
  return lease;
}

function candidate(name: string, lease: LeaseClient, clock: FakeClock, log: string[], opts: { releaseOnCancel?: boolean } = {}) {
  return new LeaderElector({
    lease,
    identity: name,
    clock,
    logger,
    ...opts,
    onStartedLeading: (signal) =>
      new Promise<void>((resolve) => {
        log.push(`${name} started`);
        signal.addEventListener('abort', () => resolve());
      }),
    onStoppedLeading: () => log.push(`${name} stopped`),
  });
}

/** Advances the fake clock in small steps, letting promises settle in between. */
async function advance(clock: FakeClock, ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await flush(5);
  }
}

describe('LeaderElector', () => {
  it('lets exactly one of two candidates lead, and hands over at once on release', async () => {
    const clock = fakeClock(1_700_000_000_000);
    const lease = fakeLease();
    const log: string[] = [];
    const a = candidate('a', lease, clock, log);
    const b = candidate('b', lease, clock, log);
    const stopA = new AbortController();
    const stopB = new AbortController();
    const runA = a.run(stopA.signal);
    await flush();
    const runB = b.run(stopB.signal);
    await advance(clock, 30_000);
    expect(log).toEqual(['a started']);
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    expect(lease.stored?.record.holderIdentity).toBe('a');

    stopA.abort();
    await runA;
    expect(lease.stored?.record.holderIdentity).toBe('');
    await advance(clock, 2000);
    expect(log).toEqual(['a started', 'a stopped', 'b started']);
    expect(lease.stored?.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    stopB.abort();
    await runB;
  });

  // Each test builds its own clock, lease and log: the elections must not share state.
  it('takes a crashed leader’s lease only after it expired', async () => {
    const clock = fakeClock(1_700_000_000_000);
    const lease = fakeLease();
    const log: string[] = [];
    const a = candidate('a', lease, clock, log, { releaseOnCancel: false });
    const b = candidate('b', lease, clock, log);
    const stopA = new AbortController();
    const stopB = new AbortController();
    const runA = a.run(stopA.signal);
    await flush();
    const runB = b.run(stopB.signal);
    await advance(clock, 5000);
    stopA.abort(); // a "crashes": no more renewals, no release
    await runA;
    const lastRenew = lease.stored!.record.renewTime!;
    let takenAt: number | undefined;
    for (let i = 0; i < 300 && takenAt === undefined; i++) {
      await advance(clock, 100);
      if (lease.stored?.record.holderIdentity === 'b') takenAt = clock.now();
    }
    expect(takenAt).toBeDefined();
    expect(takenAt! - lastRenew).toBeGreaterThan(15_000);
    expect(takenAt! - lastRenew).toBeLessThanOrEqual(15_000 + 2000 + 100);
    stopB.abort();
    await runB;
  });

  it('stops leading when renewals hang past renewDeadline, before the lease could expire', async () => {
    const clock = fakeClock(1_700_000_000_000);
    const lease = fakeLease();
    const log: string[] = [];
    const a = candidate('a', lease, clock, log);
    const run = a.run(new AbortController().signal);
    await advance(clock, 1000);
    expect(a.isLeader()).toBe(true);
    const lastRenew = lease.stored!.record.renewTime!;
    lease.hang = true;
    let stoppedAt: number | undefined;
    for (let i = 0; i < 200 && stoppedAt === undefined; i++) {
      await advance(clock, 100);
      if (log.includes('a stopped')) stoppedAt = clock.now();
    }
    await run;
    expect(a.isLeader()).toBe(false);
    expect(stoppedAt! - lastRenew).toBeGreaterThanOrEqual(10_000);
    expect(stoppedAt! - lastRenew).toBeLessThan(15_000);
  });

  it('rejects timings where a leader could outlive its lease', () => {
    const base = { lease: fakeLease(), logger, onStartedLeading: () => {}, onStoppedLeading: () => {} };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).toThrow(RangeError);
    expect(() => new LeaderElector({ ...base, renewDeadlineMs: 2000, retryPeriodMs: 2000 })).toThrow(RangeError);
  });

  it('makes an identity from POD_NAME and a random suffix', () => {
    process.env.POD_NAME = 'operator-0';
    const base = { lease: fakeLease(), logger, onStartedLeading: () => {}, onStoppedLeading: () => {} };
    const x = new LeaderElector(base).identity;
    const y = new LeaderElector(base).identity;
    delete process.env.POD_NAME;
    expect(x).toMatch(/^operator-0_[0-9a-f]{8}$/);
    expect(x).not.toBe(y);
  });
});
