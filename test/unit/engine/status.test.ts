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
  ])('a $status from Coder is Synced=False/$reason with Coder\'s message', ({ status: code, reason }) => {
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
  ])('favorite $favorite read via $via: the Synced message names the owner token\'s scopes: $note', ({ favorite, via, note }) => {
    const o = observed({ favorite: true, ...(via ? { favoriteVia: via } : {}) });
    const synced = condition(computeStatus({ plan: diff(desired(favorite === undefined ? {} : { favorite }), o), coderUrl, now }), 'Synced')!;
    expect(synced.reason).toBe('UpToDate');
    expect(synced.message.includes('favorite read as the owner with a short-lived token scoped coder:all')).toBe(note);
  });

  it('a create refused for another reason keeps its own field', () => {
    const plan = diff(desired(), undefined);
    const error = new CoderApiError({ status: 404, method: 'POST', path: '/x', response: { message: 'Template "docker" has been deleted!' } });
    const result: ApplyResult = { key: plan.key, observed: undefined, outcomes: [{ action: plan.actions[0]!, ok: false, error }] };
    expect(condition(computeStatus({ plan, result, coderUrl, now }), 'Synced')!.message).not.toContain('spec.owner');
  });

  it('a fresh create is Synced/Created but not Ready while the build runs', () => {
    const plan = diff(desired(), undefined);
    const o = observed({ latestBuild: { id: 'b', number: 1, transition: 'start', status: 'pending', templateVersionId: 'v1' } });
    const status = computeStatus({ plan, result: { key: plan.key, observed: o, outcomes: [{ action: plan.actions[0]!, ok: true }], origin: 'created' }, coderUrl, now });
    expect(condition(status, 'Synced')).toMatchObject({ status: 'True', reason: 'Created' });
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'Provisioning' });
  });

  it('reports as drift only fields that changed in Coder since the last status', () => {
    const previous = computeStatus({ plan: diff(desired({ ttlMs: HOUR }), observed({ ttlMs: HOUR })), coderUrl, now });
    // Someone changed the TTL in the UI; the spec also changed automatic updates.
    const plan = diff(desired({ ttlMs: HOUR, automaticUpdates: 'always' }), observed({ ttlMs: 2 * HOUR }));
    const result: ApplyResult = { key: plan.key, observed: plan.observed, outcomes: plan.actions.map((action) => ({ action, ok: true as const })) };
    const status = computeStatus({ plan, result, previous, coderUrl, now });
    expect(status.lastDrift).toEqual(['ttl']);
  });

  it('shows no next autostart for a dormant workspace (Coder never starts one)', () => {
    const status = computeStatus({ plan: diff(desired(), observed({ dormant: true, autostartSchedule: 'CRON_TZ=UTC 0 9 * * *' })), coderUrl, now });
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
