// The settings table (src/engine/settings/): complete by type, in the one
// safe order, and the pieces diff, apply, failure, status and render read
// from it behave for the two settings added through it (sharing, preset).
import { describe, expect, it } from 'vitest';
import { CoderApiError } from '../../../src/coder/errors.ts';
import { applyPlan } from '../../../src/engine/apply.ts';
import { diff, FIELD_OF } from '../../../src/engine/diff.ts';
import { describeFailure } from '../../../src/engine/failure.ts';
import { NEEDS_ACTION } from '../../../src/engine/progress-conditions.ts';
import { CreateResolver } from '../../../src/engine/resolve.ts';
import { actionRank, SETTING_KINDS, SETTINGS, type Setting, type SettingKind } from '../../../src/engine/settings/index.ts';
import { computeStatus } from '../../../src/engine/status.ts';
import type { Action, Blocked, DesiredWorkspace, ObservedWorkspace } from '../../../src/engine/types.ts';
import { FakeCoder } from './fake-coder.ts';
import { desired, observed } from './fixtures.ts';

describe('the table is complete by type', () => {
  it('a table without an entry, or an entry without a piece, does not compile', () => {
    // @ts-expect-error sharing is missing: every settings action kind needs an entry.
    const missingEntry: { readonly [K in SettingKind]: Setting<K> } = { ...SETTINGS, sharing: undefined };
    const { explainRefusal: _dropped, ...withoutPiece } = SETTINGS.ttl;
    // @ts-expect-error explainRefusal is missing: no piece has a silent default.
    const missingPiece: Setting<'ttl'> = withoutPiece;
    expect([missingEntry, missingPiece]).toHaveLength(2);
  });

  it('the shapes come from the entries: a kind, a reason or a read nobody declared does not compile', () => {
    // @ts-expect-error no entry declares this action kind (SettingActions).
    const unknownKind: Action = { kind: 'quota', from: 1, to: 2 };
    // @ts-expect-error no entry declares this reason (SettingBlockedReasons).
    const unknownReason: Blocked['reason'] = 'QuotaUnavailable';
    // @ts-expect-error the sharing action's shape is its entry's: grant and revoke, not from/to.
    const wrongShape: Action = { kind: 'sharing', from: 'a', to: 'b' };
    const { read: _read, ...withoutRead } = SETTINGS.sharing;
    // @ts-expect-error read is missing: an entry says `read: undefined` when the list shows all it compares.
    const missingRead: Setting<'sharing'> = withoutRead;
    // The entries' augmentations are in: sharing's desired and observed fields are part of the workspace types.
    const known: Pick<DesiredWorkspace, 'sharing'> & Pick<ObservedWorkspace, 'sharing'> = { sharing: { users: [], groups: [] } };
    expect([unknownKind, unknownReason, wrongShape, missingRead, known]).toHaveLength(5);
  });

  it('every action kind but create, delete and build has an entry, with a spec field', () => {
    expect([...SETTING_KINDS].sort()).toEqual(['autostart', 'autoupdates', 'dormant', 'favorite', 'rename', 'sharing', 'ttl']);
    for (const kind of SETTING_KINDS) expect(FIELD_OF[kind]).toBe(SETTINGS[kind].field);
    expect(FIELD_OF.build).toBe('running');
  });

  it('the reasons a person must act on are Stalled reasons', () => {
    for (const kind of SETTING_KINDS) for (const reason of SETTINGS[kind].reasonsNeedingAction) expect(NEEDS_ACTION.has(reason)).toBe(true);
  });
});

describe('the order', () => {
  const build: Action = { kind: 'build', transition: 'start', purpose: 'run' };
  const inOrder: Action[] = [
    { kind: 'create', create: { owner: 'a', name: 'n', parameters: [] }, recreate: false },
    { kind: 'rename', from: 'a', to: 'b' },
    { kind: 'dormant', from: true, to: false },
    { kind: 'autostart', from: null, to: 'CRON_TZ=UTC 0 9 * * 1-5' },
    { kind: 'ttl', fromMs: null, toMs: 3_600_000 },
    { kind: 'autoupdates', from: 'never', to: 'always' },
    { kind: 'favorite', from: false, to: true },
    { kind: 'sharing', grant: [{ type: 'user', name: 'bob', role: 'use' }], revoke: [] },
    build,
    { kind: 'dormant', from: false, to: true },
    { kind: 'delete', policy: 'Delete' },
  ];

  it('create, rename, wake, the settings, the build, sleep, delete: the order the old ORDER map gave', () => {
    const ranks = inOrder.map(actionRank);
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
    expect(new Set(ranks).size).toBe(ranks.length);
  });
});

describe('spec.sharing', () => {
  const acl = (users: Array<[string, string, 'use' | 'admin']>, groups: Array<[string, string, 'use' | 'admin']> = []) => ({
    users: users.map(([id, name, role]) => ({ id, name, role })),
    groups: groups.map(([id, name, role]) => ({ id, name, role })),
  });

  it('absent: never compared, never read into the plan', () => {
    const plan = diff(desired(), observed({ sharing: acl([['u1', 'bob', 'use']]) }));
    expect(plan.actions).toEqual([]);
    expect(plan.blocked).toEqual([]);
  });

  it('grants what is missing or has another role, revokes what the spec leaves out, by name or UUID, ignoring case', () => {
    const carol = '99999999-9999-4999-8999-999999999999';
    const plan = diff(
      desired({
        sharing: {
          users: [
            { name: 'Bob', role: 'admin' },
            { name: carol, role: 'use' },
          ],
          groups: [],
        },
      }),
      observed({
        sharing: acl(
          [
            ['u1', 'bob', 'use'],
            [carol, 'carol', 'use'],
            ['u3', 'dan', 'use'],
          ],
          [['g1', 'devs', 'use']],
        ),
      }),
    );
    expect(plan.actions).toEqual([
      {
        kind: 'sharing',
        grant: [{ type: 'user', name: 'Bob', role: 'admin', id: 'u1', from: 'use' }],
        revoke: [
          { type: 'user', name: 'dan', id: 'u3', from: 'use' },
          { type: 'group', name: 'devs', id: 'g1', from: 'use' },
        ],
      },
    ]);
    expect(plan.drift).toEqual(['sharing']);
  });

  it('in sync: no action', () => {
    const plan = diff(
      desired({ sharing: { users: [{ name: 'bob', role: 'use' }], groups: [{ name: 'devs', role: 'admin' }] } }),
      observed({ sharing: acl([['u1', 'bob', 'use']], [['g1', 'devs', 'admin']]) }),
    );
    expect(plan.actions).toEqual([]);
  });

  it('a server without sharing blocks with SharingUnavailable; an answer that did not come is not a reason to page anyone', () => {
    const spec = desired({ sharing: { users: [{ name: 'bob', role: 'use' }], groups: [] }, ttlMs: 3_600_000 });
    const without = diff(spec, observed({ sharing: { unavailable: 'this Coder has no workspace ACL' } }));
    expect(without.blocked).toEqual([
      { field: 'sharing', reason: 'SharingUnavailable', message: 'cannot manage spec.sharing: this Coder has no workspace ACL' },
    ]);
    // The other settings are still planned.
    expect(without.actions.map((a) => a.kind)).toEqual(['ttl']);
    const flaky = diff(spec, observed({ sharing: { unavailable: 'could not read the workspace ACL: 503', transient: true } }));
    expect(flaky.blocked[0]?.reason).toBe('SharingUnreadable');
    expect(NEEDS_ACTION.has('SharingUnreadable')).toBe(false);
  });

  it('apply: names Coder does not have in the ACL are looked up, then one PATCH with ids; the status shows the new ACL', async () => {
    const api = new FakeCoder();
    api.userIds = { bob: 'u-bob' };
    const plan = diff(
      desired({ sharing: { users: [{ name: 'bob', role: 'use' }], groups: [{ name: 'devs', role: 'admin' }] } }),
      observed({ sharing: acl([['u-dan', 'dan', 'admin']]) }),
    );
    const result = await applyPlan(plan, { api, resolver: new CreateResolver(api), ownerApi: async () => api });
    expect(result.outcomes.map((o) => o.ok)).toEqual([true]);
    expect(api.writes()).toEqual([
      {
        method: 'send',
        args: [
          'PATCH /api/v2/workspaces/{workspace}/acl',
          { workspace: plan.observed!.id },
          { user_roles: { 'u-dan': '', 'u-bob': 'use' }, group_roles: { 'group-devs': 'admin' } },
        ],
      },
    ]);
    const status = computeStatus({ plan, result, coderUrl: 'https://coder.example.com', now: new Date('2026-12-01T00:00:00Z') });
    expect(status.sharing).toEqual({ users: [{ name: 'bob', role: 'use' }], groups: [{ name: 'devs', role: 'admin' }] });
    expect(status.lastDrift).toEqual(['sharing']);
  });

  it('a refusal for want of the experiment reads as SharingUnavailable, naming what to do', () => {
    const action: Action = { kind: 'sharing', grant: [{ type: 'user', name: 'bob', role: 'use' }], revoke: [] };
    const error = new CoderApiError({
      status: 403,
      method: 'PATCH',
      path: '/api/v2/workspaces/{workspace}/acl',
      response: { message: "Workspace Sharing functionality requires enabling the 'workspace-sharing' experiment." },
    });
    const failure = describeFailure(action, error);
    expect(failure.reason).toBe('SharingUnavailable');
    expect(failure.field).toBe('spec.sharing');
    expect(failure.message).toContain('--experiments=workspace-sharing');
  });
});

describe('spec.preset', () => {
  const presets = [
    { ID: 'p-small', Name: 'small' },
    { ID: 'p-large', Name: 'large' },
  ];

  it('at create: the preset of the version the create builds, by name, once per version', async () => {
    const api = new FakeCoder();
    api.presets = { v1: presets };
    const resolver = new CreateResolver(api);
    const req = await resolver.createRequest({ owner: 'alice', name: 'dev', template: 'docker', parameters: [], preset: 'large' });
    expect(req.template_version_preset_id).toBe('p-large');
    await resolver.createRequest({ owner: 'bob', name: 'dev', template: 'docker', parameters: [], preset: 'small' });
    expect(
      api.calls.filter((c) => c.method === 'send' && c.args[0] === 'GET /api/v2/templateversions/{templateversion}/presets'),
    ).toHaveLength(1);
  });

  it('an unknown name: PresetNotFound naming spec.preset and the presets there are, and nothing is created', async () => {
    const api = new FakeCoder();
    api.presets = { v1: presets };
    const plan = diff(desired({ preset: 'huge' }), undefined);
    const result = await applyPlan(plan, { api, resolver: new CreateResolver(api), ownerApi: async () => api });
    const [outcome] = result.outcomes;
    expect(outcome?.ok).toBe(false);
    const failure = describeFailure(outcome!.action, (outcome as { error: unknown }).error);
    expect(failure).toEqual({
      reason: 'PresetNotFound',
      field: 'spec.preset',
      message: 'could not create the workspace: spec.preset: template version v1 has no preset "huge"; its presets: "small", "large"',
    });
    expect(NEEDS_ACTION.has('PresetNotFound')).toBe(true);
    expect(api.writes()).toEqual([]);
  });

  it('a build sends the preset id the plan carries, and nothing when it carries none', async () => {
    const api = new FakeCoder();
    const deps = { api, resolver: new CreateResolver(api), ownerApi: async () => api };
    const base = { desired: desired({ preset: 'large' }), observed: observed(), blocked: [], drift: [], key: 'team-a/dev' };
    const update: Action = { kind: 'build', transition: 'start', purpose: 'update', versionId: 'v-2', presetId: 'p2-large' };
    await applyPlan({ ...base, actions: [update] }, deps);
    await applyPlan({ ...base, actions: [{ kind: 'build', transition: 'stop', purpose: 'restart-stop' }] }, deps);
    const sent = api.calls.filter((c) => c.method === 'createBuild').map((c) => c.args[1]);
    expect(sent).toEqual([
      { transition: 'start', template_version_id: 'v-2', template_version_preset_id: 'p2-large' },
      { transition: 'stop' },
    ]);
    // The presets are read by the lifecycle (once per version), not by apply.
    expect(api.calls.filter((c) => c.method === 'send' && c.args[0] === 'GET /api/v2/templateversions/{templateversion}/presets')).toEqual(
      [],
    );
  });
});
