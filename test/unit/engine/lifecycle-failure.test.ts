// planLifecycle() when an update fails: the attempt is remembered and counted,
// the workspace is rolled back to the version and run state it had, a halted
// version is not started anywhere else, and the gates of onlyWhenIdle and the
// canary steps hold an update back with their own state.
import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../../../src/api/schema.ts';
import { CoderApiError } from '../../../src/coder/errors.ts';
import { diff } from '../../../src/engine/diff.ts';
import { planLifecycle, type LifecycleContext, type RolloutGate } from '../../../src/engine/lifecycle.ts';
import { computeStatus } from '../../../src/engine/status.ts';
import type { ObservedWorkspace } from '../../../src/engine/types.ts';
import { desired, observed } from './fixtures.ts';

const V1 = '77777777-7777-4777-8777-777777777777';
const V2 = '88888888-8888-4888-8888-888888888888';
const V3 = '99999999-9999-4999-8999-999999999999';
const OPEN: RolloutGate = { onlyWhenStopped: false, slot: true };
const PINNED_V2 = { version: { policy: 'Pinned' as const, id: V2 } };
const ATTEMPT = `spec-1/${V2}`;

function ws(transition: string, status: string, version = V1, extra: Partial<ObservedWorkspace> = {}): ObservedWorkspace {
  return observed({
    activeVersionId: V1,
    outdated: false,
    latestBuild: { id: 'b-1', number: 3, transition, status, templateVersionId: version },
    ...extra,
  });
}

function plan(have: ObservedWorkspace, previous?: RolloutStatus, gate: Partial<RolloutGate> = {}, want: object = PINNED_V2) {
  const ctx: LifecycleContext = { gate: { ...OPEN, ...gate }, ...(previous ? { previous: { rollout: previous } } : {}) };
  return planLifecycle(desired({ specDigest: 'spec-1', ...want }), have, ctx);
}

/** The memory a restart-stop of a running workspace on V1 leaves. */
const UPDATING: RolloutStatus = {
  state: 'Updating',
  message: '',
  target: V2,
  restart: true,
  attemptedFor: ATTEMPT,
  from: V1,
  wasRunning: true,
};

describe('a failed update', () => {
  it('the restart of a running workspace remembers where it came from', () => {
    const p = plan(ws('start', 'running'));
    expect(p.action).toEqual({ kind: 'build', transition: 'stop', purpose: 'restart-stop' });
    expect(p.outcome.rollout).toMatchObject({ state: 'Updating', from: V1, wasRunning: true, restart: true, attemptedFor: ATTEMPT });
    expect(p.outcome.unavailable).toBe(true);
  });

  it("someone else's build under way (the create's first start) makes the update wait, without taking a slot", () => {
    const p = plan(ws('start', 'pending'));
    expect(p.action).toBeUndefined();
    expect(p.outcome.rollout).toMatchObject({ state: 'WaitingForSlot' });
    expect(p.outcome.unavailable).toBeUndefined();
    // Our own update's build under way still holds its slot.
    const ours = plan(ws('stop', 'pending'), UPDATING);
    expect(ours.outcome.rollout).toMatchObject({ state: 'Updating' });
    expect(ours.outcome.unavailable).toBe(true);
  });

  it('its failed start is remembered, counted and rolled back to the old version, running', () => {
    const p = plan(ws('start', 'failed', V2), UPDATING, { epoch: 'e1' });
    expect(p.action).toEqual({ kind: 'build', transition: 'start', purpose: 'rollback', versionId: V1 });
    expect(p.outcome.rollout).toMatchObject({ state: 'RollingBack', failedFor: ATTEMPT, failedTarget: V2, failedEpoch: 'e1', from: V1 });
    expect(p.outcome.unavailable).toBe(true);
  });

  it('a stopped workspace is rolled back stopped', () => {
    const p = plan(ws('stop', 'failed', V2), { ...UPDATING, restart: false, wasRunning: false });
    expect(p.action).toEqual({ kind: 'build', transition: 'stop', purpose: 'rollback', versionId: V1 });
  });

  it('without rollbackOnFailure it stays Failed and keeps counting against the limit', () => {
    const p = plan(ws('start', 'failed', V2), UPDATING, { rollback: false });
    expect(p.action).toBeUndefined();
    expect(p.outcome.rollout).toMatchObject({ state: 'Failed', failedFor: ATTEMPT, failedTarget: V2 });
    expect(p.outcome.rollout?.message).toMatch(/rollbackOnFailure is false/);
    expect(p.outcome.unavailable).toBe(true);
    // And the next pass says the same, without a build.
    const again = plan(ws('start', 'failed', V2), p.outcome.rollout, { rollback: false });
    expect(again.action).toBeUndefined();
    expect(again.outcome).toMatchObject({ unavailable: true, rollout: { state: 'Failed', failedFor: ATTEMPT } });
  });

  it('while the rollback runs it holds its slot; once done it is RolledBack, available, and not retried', () => {
    const rolling = plan(ws('start', 'failed', V2), UPDATING).outcome.rollout!;
    const during = plan(ws('start', 'starting', V1), rolling);
    expect(during.action).toBeUndefined();
    expect(during.outcome).toMatchObject({ unavailable: true, rollout: { state: 'RollingBack' } });
    const done = plan(ws('start', 'running', V1), during.outcome.rollout);
    expect(done.action).toBeUndefined();
    expect(done.outcome.unavailable).toBeUndefined();
    expect(done.outcome.rollout).toMatchObject({ state: 'RolledBack', failedFor: ATTEMPT, failedTarget: V2 });
    const later = plan(ws('start', 'running', V1), done.outcome.rollout);
    expect(later.action).toBeUndefined();
    expect(later.outcome.rollout?.state).toBe('RolledBack');
  });

  it('a failed rollback is Failed, holds its slot and is not tried again', () => {
    const rolling = plan(ws('start', 'failed', V2), UPDATING).outcome.rollout!;
    const rollbackFailed = ws('start', 'failed', V1);
    rollbackFailed.latestBuild.number = 4;
    const p = plan(rollbackFailed, rolling);
    expect(p.action).toBeUndefined();
    expect(p.outcome).toMatchObject({ unavailable: true, rollout: { state: 'Failed' } });
    expect(p.outcome.rollout?.message).toMatch(/rollback .* failed too/);
  });

  it('a rollback planned and never sent (an interrupted run) is planned again, not taken for a failed one', () => {
    const rolling = plan(ws('start', 'failed', V2), UPDATING).outcome.rollout!;
    const p = plan(ws('start', 'failed', V2), rolling);
    expect(p.action).toEqual({ kind: 'build', transition: 'start', purpose: 'rollback', versionId: V1 });
    expect(p.outcome.rollout).toMatchObject({ state: 'RollingBack', failedFor: ATTEMPT });
  });

  it('a newly wanted version moves a rolled-back workspace again', () => {
    const rolledBack: RolloutStatus = { state: 'RolledBack', message: 'x', target: V2, failedFor: ATTEMPT, failedTarget: V2 };
    const p = plan(ws('start', 'running', V1), rolledBack, {}, { version: { policy: 'Pinned', id: V3 } });
    expect(p.action).toEqual({ kind: 'build', transition: 'stop', purpose: 'restart-stop' });
  });

  it('a newly wanted version moves a workspace left failed (no rollback) again, back to running', () => {
    const failed = plan(ws('start', 'failed', V2), UPDATING, { rollback: false }).outcome.rollout!;
    const p = plan(ws('start', 'failed', V2), failed, { rollback: false }, { version: { policy: 'Pinned', id: V3 } });
    expect(p.action).toEqual({ kind: 'build', transition: 'start', purpose: 'update', versionId: V3 });
    expect(p.outcome).toMatchObject({ needsSlot: true, unavailable: true, rollout: { state: 'Updating', from: V1, wasRunning: true } });
  });

  it('a refused or not-taken update is remembered as a failure of its target (counted for the halt)', () => {
    const p = plan(ws('stop', 'stopped', V1), { ...UPDATING, restart: false, wasRunning: false }, { epoch: 'e2' });
    expect(p.action).toBeUndefined();
    expect(p.outcome.rollout).toMatchObject({ state: 'Failed', failedFor: ATTEMPT, failedTarget: V2, failedEpoch: 'e2' });
  });
});

describe('a halted rollout', () => {
  const halted = (target: string) => (target === V2 ? 'halted: 1 of 1 allowed failures' : undefined);

  it('no running workspace is restarted for a halted version', () => {
    const p = plan(ws('start', 'running'), undefined, { halted });
    expect(p.action).toBeUndefined();
    expect(p.outcome.rollout).toMatchObject({ state: 'Halted', message: 'halted: 1 of 1 allowed failures' });
  });

  it('no stopped workspace is moved either, and a run-state build does not carry it', () => {
    expect(plan(ws('stop', 'stopped'), undefined, { halted }).action).toBeUndefined();
    const p = plan(ws('stop', 'stopped'), undefined, { halted }, { ...PINNED_V2, running: true });
    expect(p.action).toEqual({ kind: 'build', transition: 'start', purpose: 'run' });
  });

  it('another version is not halted', () => {
    const p = plan(ws('start', 'running'), undefined, { halted }, { version: { policy: 'Pinned', id: V3 } });
    expect(p.action).toMatchObject({ purpose: 'restart-stop' });
  });

  it('an owed start is still finished (it carries no update to the halted version)', () => {
    const p = plan(ws('stop', 'stopped', V1), UPDATING, { halted });
    expect(p.action).toEqual({ kind: 'build', transition: 'start', purpose: 'restart-start' });
  });
});

describe('onlyWhenIdle and steps', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  const idle = { afterMs: 30 * 60_000, now };

  it('a workspace used 10 minutes ago waits; one unused for an hour is restarted', () => {
    const busy = plan(ws('start', 'running', V1, { lastUsedAt: '2026-01-01T11:50:00Z' }), undefined, { idle });
    expect(busy.action).toBeUndefined();
    expect(busy.outcome.rollout?.state).toBe('WaitingForIdle');
    expect(busy.outcome.rollout?.message).toMatch(/2026-01-01T12:20:00.000Z/);
    const quiet = plan(ws('start', 'running', V1, { lastUsedAt: '2026-01-01T11:00:00Z' }), undefined, { idle });
    expect(quiet.action).toMatchObject({ purpose: 'restart-stop' });
  });

  it('a stopped workspace does not wait for idleness (nothing is cut)', () => {
    const p = plan(ws('stop', 'stopped', V1, { lastUsedAt: '2026-01-01T11:59:00Z' }), undefined, { idle });
    expect(p.action).toMatchObject({ purpose: 'update' });
  });

  it('the window is reported before idleness, idleness before the step and the slot', () => {
    const used = ws('start', 'running', V1, { lastUsedAt: '2026-01-01T11:59:00Z' });
    const step = () => 'step 1 of 3 is not complete';
    expect(plan(used, undefined, { idle, step, slot: false, window: { open: false, message: 'w' } }).outcome.rollout?.state).toBe(
      'WaitingForWindow',
    );
    expect(plan(used, undefined, { idle, step, slot: false }).outcome.rollout?.state).toBe('WaitingForIdle');
    const unused = ws('start', 'running', V1, { lastUsedAt: '2026-01-01T10:00:00Z' });
    expect(plan(unused, undefined, { idle, step, slot: false }).outcome.rollout).toMatchObject({
      state: 'WaitingForStep',
      message: 'step 1 of 3 is not complete',
    });
  });
});

describe('a refused update build (issue 18)', () => {
  const refused = (status: number) => {
    const d = desired({ specDigest: 'spec-1', ...PINNED_V2 });
    const o = ws('stop', 'stopped');
    const plan = diff(d, o, { gate: { ...OPEN, epoch: 'e' } });
    const action = plan.actions.find((a) => a.kind === 'build')!;
    const error = new CoderApiError({ status, method: 'POST', path: '/api/v2/workspaces/x/builds', response: { message: 'nope' } });
    const status_ = computeStatus({
      plan,
      result: { key: plan.key, outcomes: [{ action, ok: false, error }], observed: o },
      coderUrl: 'https://coder',
      now: new Date(),
    });
    return { d, o, status: status_ };
  };

  it('one Coder will refuse again (a deleted version id: 404) is remembered and not sent again at the next backoff', () => {
    const { d, o, status } = refused(404);
    expect(status.rollout).toMatchObject({ state: 'Failed', failedFor: ATTEMPT, failedTarget: V2, failedEpoch: 'e' });
    const again = planLifecycle(d, o, { gate: OPEN, previous: status });
    expect(again.action).toBeUndefined();
    expect(again.outcome.rollout?.state).toBe('Failed');
    // It counts for the halt.
    expect(again.outcome.rollout?.failedTarget).toBe(V2);
  });

  it('a 5xx is not remembered: the next reconcile tries again', () => {
    const { d, o, status } = refused(503);
    expect(status.rollout?.failedFor).toBeUndefined();
    expect(planLifecycle(d, o, { gate: OPEN, previous: status }).action).toMatchObject({ purpose: 'update' });
  });
});
