import { describe, expect, it } from 'vitest';
import { computeStatus, setCondition } from '../../../src/engine/status.ts';
import { diff } from '../../../src/engine/diff.ts';
import type { ApplyResult } from '../../../src/engine/apply.ts';
import { CoderApiError } from '../../../src/coder/errors.ts';
import { desired, HOUR, observed } from './fixtures.ts';

const now = new Date('2026-11-23T10:00:00.000Z');
const coderUrl = 'https://coder.example.com/';

function condition(status: ReturnType<typeof computeStatus>, type: string) {
  return status.conditions?.find((c) => c.type === type);
}

describe('computeStatus', () => {
  it('in sync: Ready and Synced True/UpToDate, observed fields copied', () => {
    const o = observed({ ttlMs: 8 * HOUR, autostartSchedule: 'CRON_TZ=UTC 0 9 * * 1-5' });
    const status = computeStatus({ plan: diff(desired({ ttlMs: 8 * HOUR }), o), coderUrl, now, generation: 3 });
    expect(status).toMatchObject({
      observedGeneration: 3,
      id: o.id,
      url: 'https://coder.example.com/@alice/alice-dev',
      ttl: '8h',
      autostart: 'CRON_TZ=UTC 0 9 * * 1-5',
      dormant: false,
      automaticUpdates: 'never',
      lastSyncTime: now.toISOString(),
    });
    expect(status.nextAutostart).toBe('2026-11-24T09:00:00.000Z'); // Monday 10:00 is past 09:00
    expect(condition(status, 'Synced')).toMatchObject({ status: 'True', reason: 'UpToDate', observedGeneration: 3 });
    expect(condition(status, 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
  });

  it('a plan not yet applied is Synced=False/Pending', () => {
    const status = computeStatus({ plan: diff(desired({ ttlMs: HOUR }), observed()), coderUrl, now });
    expect(condition(status, 'Synced')).toMatchObject({ status: 'False', reason: 'Pending' });
  });

  it('a blocked rename is Synced=False with the reason', () => {
    const status = computeStatus({ plan: diff(desired({ name: 'x' }), observed({ allowRenames: false })), coderUrl, now });
    expect(condition(status, 'Synced')).toMatchObject({ status: 'False', reason: 'RenamesDisabled' });
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'RenamesDisabled' });
  });

  it.each([
    { status: 403, reason: 'Forbidden' },
    { status: 429, reason: 'RateLimited' },
    { status: 400, reason: 'CoderRejected' },
    { status: 500, reason: 'CoderError' },
  ])("a $status from Coder is Synced=False/$reason with Coder's message", ({ status: code, reason }) => {
    const plan = diff(desired({ ttlMs: HOUR }), observed());
    const error = new CoderApiError({
      status: code,
      method: 'PUT',
      path: '/api/v2/workspaces/x/ttl',
      response: { message: 'Error updating workspace time until shutdown.', validations: [{ field: 'ttl_ms', detail: 'nope' }] },
    });
    const result: ApplyResult = { key: plan.key, observed: plan.observed, outcomes: [{ action: plan.actions[0]!, ok: false, error }] };
    const status = computeStatus({ plan, result, coderUrl, now });
    const synced = condition(status, 'Synced')!;
    expect(synced).toMatchObject({ status: 'False', reason });
    expect(synced.message).toContain('Error updating workspace time until shutdown.');
  });

  it.each([
    { server: 'v2.27.0', status: 400, message: '"user" must be an existing uuid or username.' },
    { server: 'recent', status: 404, message: 'Resource not found or you do not have access to this resource' },
  ])('a create for an owner Coder does not know ($server, $status) names spec.owner and the owner', ({ status: code, message }) => {
    const plan = diff(desired({ owner: 'nobody' }), undefined);
    const error = new CoderApiError({ status: code, method: 'POST', path: '/api/v2/users/nobody/workspaces', response: { message } });
    const result: ApplyResult = { key: plan.key, observed: undefined, outcomes: [{ action: plan.actions[0]!, ok: false, error }] };
    const synced = condition(computeStatus({ plan, result, coderUrl, now }), 'Synced')!;
    expect(synced).toMatchObject({ status: 'False', reason: 'NotFound' });
    expect(synced.message).toContain('"nobody" (spec.owner)');
    expect(synced.message).toContain(message);
  });

  it.each([
    { favorite: true, via: 'coder:all', note: true },
    { favorite: true, via: undefined, note: false }, // the connection's own user: no minted token
    { favorite: undefined, via: 'coder:all', note: false }, // favorite not managed
  ])("favorite $favorite read via $via: the Synced message names the owner token's scopes: $note", ({ favorite, via, note }) => {
    const o = observed({ favorite: true, ...(via ? { favoriteVia: via } : {}) });
    const synced = condition(
      computeStatus({ plan: diff(desired(favorite === undefined ? {} : { favorite }), o), coderUrl, now }),
      'Synced',
    )!;
    expect(synced.reason).toBe('UpToDate');
    expect(synced.message.includes('favorite read as the owner with a short-lived token scoped coder:all')).toBe(note);
  });

  it('a create refused for another reason keeps its own field', () => {
    const plan = diff(desired(), undefined);
    const error = new CoderApiError({
      status: 404,
      method: 'POST',
      path: '/x',
      response: { message: 'Template "docker" has been deleted!' },
    });
    const result: ApplyResult = { key: plan.key, observed: undefined, outcomes: [{ action: plan.actions[0]!, ok: false, error }] };
    expect(condition(computeStatus({ plan, result, coderUrl, now }), 'Synced')!.message).not.toContain('spec.owner');
  });

  it('a fresh create is Synced/Created but not Ready while the build runs', () => {
    const plan = diff(desired(), undefined);
    const o = observed({ latestBuild: { id: 'b', number: 1, transition: 'start', status: 'pending', templateVersionId: 'v1' } });
    const status = computeStatus({
      plan,
      result: { key: plan.key, observed: o, outcomes: [{ action: plan.actions[0]!, ok: true }], origin: 'created' },
      coderUrl,
      now,
    });
    expect(condition(status, 'Synced')).toMatchObject({ status: 'True', reason: 'Created' });
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'Provisioning' });
  });

  it('reports as drift only fields that changed in Coder since the last status', () => {
    const previous = computeStatus({ plan: diff(desired({ ttlMs: HOUR }), observed({ ttlMs: HOUR })), coderUrl, now });
    // Someone changed the TTL in the UI; the spec also changed automatic updates.
    const plan = diff(desired({ ttlMs: HOUR, automaticUpdates: 'always' }), observed({ ttlMs: 2 * HOUR }));
    const result: ApplyResult = {
      key: plan.key,
      observed: plan.observed,
      outcomes: plan.actions.map((action) => ({ action, ok: true as const })),
    };
    const status = computeStatus({ plan, result, previous, coderUrl, now });
    expect(status.lastDrift).toEqual(['ttl']);
  });

  it('shows no next autostart for a dormant workspace (Coder never starts one)', () => {
    const status = computeStatus({
      plan: diff(desired(), observed({ dormant: true, autostartSchedule: 'CRON_TZ=UTC 0 9 * * *' })),
      coderUrl,
      now,
    });
    expect(status.nextAutostart).toBeUndefined();
  });
});

describe('setCondition', () => {
  it('keeps lastTransitionTime while the status stays, moves it when it flips', () => {
    const t1 = new Date('2026-01-01T00:00:00Z');
    const t2 = new Date('2026-01-02T00:00:00Z');
    let conditions = setCondition([], { type: 'Ready', status: 'True', reason: 'Ready', message: 'a' }, t1);
    conditions = setCondition(conditions, { type: 'Ready', status: 'True', reason: 'Ready', message: 'b' }, t2);
    expect(conditions[0]).toMatchObject({ lastTransitionTime: t1.toISOString(), message: 'b' });
    conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: 'BuildFailed', message: 'c' }, t2);
    expect(conditions[0]).toMatchObject({ lastTransitionTime: t2.toISOString(), status: 'False' });
  });
});

// What kstatus (Flux's health checks) reads first: Stalled=True is Failed, Reconciling=True is
// InProgress; neither present falls back to Ready (True: Current). test/e2e/kstatus.test.ts asks the
// real library about live Workspaces; these pin which conditions each state carries.
describe('computeStatus: Reconciling and Stalled', () => {
  const progress = (s: ReturnType<typeof computeStatus>) =>
    s.conditions!.filter((c) => c.type === 'Reconciling' || c.type === 'Stalled').map((c) => `${c.type}/${c.reason}`);
  const build = (status: string, transition: 'start' | 'stop' | 'delete' = 'start') =>
    ({ id: 'b', number: 2, transition, status, templateVersionId: 'v1' }) as const;

  it('in sync: neither (Current)', () => {
    expect(progress(computeStatus({ plan: diff(desired(), observed()), coderUrl, now }))).toEqual([]);
  });

  it.each([
    { name: 'a build under way', o: observed({ latestBuild: build('starting') }), want: ['Reconciling/Provisioning'] },
    // A stop is as much under way as a start: Ready=True while "stopping" let a waiter read a
    // workspace as done before Coder had stopped it (seen on a real coderd v2.27.0).
    { name: 'a stop build under way', o: observed({ latestBuild: build('stopping', 'stop') }), want: ['Reconciling/Provisioning'] },
    { name: 'a build being canceled', o: observed({ latestBuild: build('canceling') }), want: ['Reconciling/Provisioning'] },
    { name: 'a delete build', o: observed({ latestBuild: build('deleting', 'delete') }), want: ['Reconciling/Deleting'] },
    { name: 'a failed build', o: observed({ latestBuild: build('failed') }), want: ['Stalled/BuildFailed'] },
  ])('$name: $want', ({ o, want }) => {
    const s = computeStatus({ plan: diff(desired(), o), coderUrl, now, generation: 4 });
    expect(progress(s)).toEqual(want);
    const c = s.conditions!.find((x) => x.type === want[0]!.split('/')[0])!;
    expect(c).toMatchObject({ status: 'True', observedGeneration: 4, message: condition(s, 'Ready')!.message });
  });

  it('changes not applied yet: Reconciling/Pending; a blocked change a person must fix: Stalled', () => {
    expect(progress(computeStatus({ plan: diff(desired({ ttlMs: HOUR }), observed()), coderUrl, now }))).toEqual(['Reconciling/Pending']);
    expect(progress(computeStatus({ plan: diff(desired({ name: 'x' }), observed({ allowRenames: false })), coderUrl, now }))).toEqual([
      'Stalled/RenamesDisabled',
    ]);
  });

  it.each([
    { code: 400, want: 'Stalled/CoderRejected' },
    { code: 429, want: 'Reconciling/RateLimited' },
    { code: 503, want: 'Reconciling/CoderError' },
  ])('a $code from Coder: $want', ({ code, want }) => {
    const plan = diff(desired({ ttlMs: HOUR }), observed());
    const error = new CoderApiError({ status: code, method: 'PUT', path: '/api/v2/workspaces/x/ttl', response: { message: 'no.' } });
    const status = computeStatus({
      plan,
      result: { key: plan.key, observed: plan.observed, outcomes: [{ action: plan.actions[0]!, ok: false, error }] },
      coderUrl,
      now,
    });
    expect(progress(status)).toEqual([want]);
  });

  it('an update waiting for its window: Ready=True and Reconciling/WaitingForWindow (InProgress until it is on the new version)', () => {
    const plan = {
      ...diff(desired(), observed()),
      lifecycle: { needsSlot: false, rollout: { state: 'WaitingForWindow' as const, message: 'waiting for the maintenance window' } },
    };
    const s = computeStatus({ plan, coderUrl, now });
    expect(condition(s, 'Ready')?.status).toBe('True');
    expect(progress(s)).toEqual(['Reconciling/WaitingForWindow']);
    expect(condition(s, 'Reconciling')?.message).toBe('waiting for the maintenance window');
  });

  it('an update whose builds ran and did not take: Stalled/UpdateFailed; observe-only differences: neither', () => {
    const failed = {
      ...diff(desired(), observed()),
      lifecycle: {
        needsSlot: false,
        rollout: { state: 'Failed' as const, message: 'Coder did not apply the update', attemptedFor: 'd/v2' },
      },
    };
    expect(progress(computeStatus({ plan: failed, coderUrl, now }))).toEqual(['Stalled/UpdateFailed']);
    const observeOnly = diff(desired({ ttlMs: HOUR, observeOnly: true }), observed());
    expect(condition(computeStatus({ plan: observeOnly, coderUrl, now }), 'Synced')?.reason).toBe('ObserveOnly');
    expect(progress(computeStatus({ plan: observeOnly, coderUrl, now }))).toEqual([]);
  });

  it('goes once the work is done, and keeps its lastTransitionTime while it stays True', () => {
    const later = new Date(now.getTime() + 60_000);
    const building = computeStatus({ plan: diff(desired(), observed({ latestBuild: build('pending') })), coderUrl, now });
    const still = computeStatus({
      plan: diff(desired(), observed({ latestBuild: build('starting') })),
      previous: building,
      coderUrl,
      now: later,
    });
    expect(condition(still, 'Reconciling')?.lastTransitionTime).toBe(now.toISOString());
    const done = computeStatus({ plan: diff(desired(), observed()), previous: still, coderUrl, now: later });
    expect(progress(done)).toEqual([]);
  });
});
