import { describe, expect, it } from 'vitest';
import { diff, diffDelete } from '../../../src/engine/diff.ts';
import type { Action, DesiredWorkspace, ObservedWorkspace } from '../../../src/engine/types.ts';
import { desired, HOUR, observed } from './fixtures.ts';
import type { Overrides } from '../../support/overrides.ts';

const BERLIN_9 = 'CRON_TZ=Europe/Berlin 0 9 * * 1-5';

interface FieldCase {
  name: string;
  want: Overrides<DesiredWorkspace>;
  have: Overrides<ObservedWorkspace>;
  expect: Action[];
}

// Every managed field x (absent, equal, different). "Invalid" values never
// reach diff(): validation rejects them (test/unit/api).
const fieldCases: FieldCase[] = [
  { name: 'autostart absent: unmanaged even if Coder has one', want: {}, have: { autostartSchedule: BERLIN_9 }, expect: [] },
  {
    name: 'autostart equal as written',
    want: { autostart: { enabled: true, schedule: BERLIN_9 } },
    have: { autostartSchedule: BERLIN_9 },
    expect: [],
  },
  {
    name: 'autostart equal semantically (list vs range, spacing)',
    want: { autostart: { enabled: true, schedule: BERLIN_9 } },
    have: { autostartSchedule: 'CRON_TZ=Europe/Berlin 0  9 * * 1,2,3,4,5' },
    expect: [],
  },
  {
    name: 'autostart different time',
    want: { autostart: { enabled: true, schedule: BERLIN_9 } },
    have: { autostartSchedule: 'CRON_TZ=Europe/Berlin 30 9 * * 1-5' },
    expect: [{ kind: 'autostart', from: 'CRON_TZ=Europe/Berlin 30 9 * * 1-5', to: BERLIN_9 }],
  },
  {
    name: 'autostart different zone',
    want: { autostart: { enabled: true, schedule: BERLIN_9 } },
    have: { autostartSchedule: 'CRON_TZ=UTC 0 9 * * 1-5' },
    expect: [{ kind: 'autostart', from: 'CRON_TZ=UTC 0 9 * * 1-5', to: BERLIN_9 }],
  },
  {
    name: 'autostart set where none',
    want: { autostart: { enabled: true, schedule: BERLIN_9 } },
    have: {},
    expect: [{ kind: 'autostart', from: null, to: BERLIN_9 }],
  },
  { name: 'autostart off, already off', want: { autostart: { enabled: false } }, have: { autostartSchedule: null }, expect: [] },
  {
    name: 'autostart off, on in Coder',
    want: { autostart: { enabled: false } },
    have: { autostartSchedule: BERLIN_9 },
    expect: [{ kind: 'autostart', from: BERLIN_9, to: null }],
  },

  { name: 'ttl absent', want: {}, have: { ttlMs: 4 * HOUR }, expect: [] },
  { name: 'ttl equal', want: { ttlMs: 8 * HOUR }, have: { ttlMs: 8 * HOUR }, expect: [] },
  {
    name: 'ttl different',
    want: { ttlMs: 8 * HOUR },
    have: { ttlMs: 4 * HOUR },
    expect: [{ kind: 'ttl', fromMs: 4 * HOUR, toMs: 8 * HOUR }],
  },
  { name: 'ttl set where off', want: { ttlMs: 8 * HOUR }, have: { ttlMs: null }, expect: [{ kind: 'ttl', fromMs: null, toMs: 8 * HOUR }] },
  { name: 'ttl 0s, already off', want: { ttlMs: 0 }, have: { ttlMs: null }, expect: [] },
  { name: 'ttl 0s turns off', want: { ttlMs: 0 }, have: { ttlMs: 4 * HOUR }, expect: [{ kind: 'ttl', fromMs: 4 * HOUR, toMs: null }] },

  { name: 'dormant absent', want: {}, have: { dormant: true }, expect: [] },
  { name: 'dormant equal', want: { dormant: true }, have: { dormant: true }, expect: [] },
  { name: 'dormant on', want: { dormant: true }, have: { dormant: false }, expect: [{ kind: 'dormant', from: false, to: true }] },
  { name: 'dormant off', want: { dormant: false }, have: { dormant: true }, expect: [{ kind: 'dormant', from: true, to: false }] },

  { name: 'favorite absent', want: {}, have: { favorite: true }, expect: [] },
  { name: 'favorite equal', want: { favorite: true }, have: { favorite: true }, expect: [] },
  { name: 'favorite on', want: { favorite: true }, have: { favorite: false }, expect: [{ kind: 'favorite', from: false, to: true }] },
  { name: 'favorite off', want: { favorite: false }, have: { favorite: true }, expect: [{ kind: 'favorite', from: true, to: false }] },
  {
    name: 'favorite not observable: set it (the call is idempotent)',
    want: { favorite: true },
    have: { favorite: undefined },
    expect: [{ kind: 'favorite', from: undefined, to: true }],
  },

  { name: 'automatic updates absent', want: {}, have: { automaticUpdates: 'always' }, expect: [] },
  { name: 'automatic updates equal', want: { automaticUpdates: 'always' }, have: { automaticUpdates: 'always' }, expect: [] },
  {
    name: 'automatic updates different',
    want: { automaticUpdates: 'always' },
    have: { automaticUpdates: 'never' },
    expect: [{ kind: 'autoupdates', from: 'never', to: 'always' }],
  },

  { name: 'name equal', want: { name: 'alice-dev' }, have: { name: 'alice-dev' }, expect: [] },
  {
    name: 'name different, renames allowed',
    want: { name: 'alice-main' },
    have: { name: 'alice-dev' },
    expect: [{ kind: 'rename', from: 'alice-dev', to: 'alice-main' }],
  },
];

describe('diff: one field at a time', () => {
  it.each(fieldCases)('$name', ({ want, have, expect: actions }) => {
    const plan = diff(desired(want), observed(have));
    expect(plan.actions).toEqual(actions);
    expect(plan.blocked).toEqual([]);
  });
});

describe('diff: renames', () => {
  it('blocks a rename the deployment refuses, and still applies the rest', () => {
    const plan = diff(desired({ name: 'alice-main', ttlMs: HOUR }), observed({ allowRenames: false, ttlMs: 2 * HOUR }));
    expect(plan.actions).toEqual([{ kind: 'ttl', fromMs: 2 * HOUR, toMs: HOUR }]);
    expect(plan.blocked).toHaveLength(1);
    expect(plan.blocked[0]).toMatchObject({ field: 'name', reason: 'RenamesDisabled' });
    expect(plan.blocked[0]!.message).toContain('--allow-workspace-renames');
  });
});

describe('diff: identity is immutable', () => {
  it.each([
    { name: 'template differs', want: { template: 'kubernetes' }, reason: 'TemplateMismatch' },
    { name: 'organization differs', want: { organization: 'other' }, reason: 'OrganizationMismatch' },
    { name: 'owner differs (bound id now shows another owner)', want: { owner: 'bob' }, reason: 'OwnerMismatch' },
  ])('$name: no action, blocked', ({ want, reason }) => {
    const plan = diff(desired({ ...want, ttlMs: HOUR }), observed());
    expect(plan.actions).toEqual([]);
    expect(plan.blocked.map((b) => b.reason)).toEqual([reason]);
  });

  it('compares template, organization and owner names ignoring case, and owner/org by UUID', () => {
    const o = observed();
    expect(diff(desired({ template: 'Docker', organization: 'CODER', owner: 'ALICE' }), o).blocked).toEqual([]);
    expect(diff(desired({ owner: o.ownerId, organization: o.organizationId }), o).blocked).toEqual([]);
  });
});

describe('diff: create', () => {
  it('puts schedule, a non-zero TTL and automatic updates into the create call', () => {
    const plan = diff(
      desired({
        autostart: { enabled: true, schedule: BERLIN_9 },
        ttlMs: 8 * HOUR,
        automaticUpdates: 'always',
        parameters: [{ name: 'cpu', value: '2' }],
      }),
      undefined,
    );
    expect(plan.actions).toEqual([
      {
        kind: 'create',
        recreate: false,
        create: {
          owner: 'alice',
          name: 'alice-dev',
          template: 'docker',
          parameters: [{ name: 'cpu', value: '2' }],
          autostartSchedule: BERLIN_9,
          ttlMs: 8 * HOUR,
          automaticUpdates: 'always',
        },
      },
    ]);
  });

  it('ttl 0s cannot go in the create (0 means template default there): a TTL update follows', () => {
    const plan = diff(desired({ ttlMs: 0 }), undefined);
    expect(plan.actions.map((a) => a.kind)).toEqual(['create', 'ttl']);
    expect(plan.actions[0]).not.toHaveProperty('create.ttlMs');
    expect(plan.actions[1]).toEqual({ kind: 'ttl', fromMs: undefined, toMs: null });
  });

  it('favorite and dormancy follow the create, dormancy last', () => {
    const plan = diff(desired({ favorite: true, dormant: true }), undefined);
    expect(plan.actions.map((a) => a.kind)).toEqual(['create', 'favorite', 'dormant']);
  });

  it('false favorite / dormancy need no follow-up on a new workspace', () => {
    expect(diff(desired({ favorite: false, dormant: false }), undefined).actions.map((a) => a.kind)).toEqual(['create']);
  });

  it('marks a create for a bound workspace that vanished as a recreate', () => {
    const [create] = diff(desired({ boundId: 'gone' }), undefined).actions;
    expect(create).toMatchObject({ kind: 'create', recreate: true });
  });

  it('uses templateVersion instead of template', () => {
    const plan = diff(desired({ template: undefined, templateVersion: '66666666-6666-4666-8666-666666666666' }), undefined);
    expect(plan.actions[0]).toMatchObject({ create: { templateVersion: '66666666-6666-4666-8666-666666666666' } });
    expect(plan.actions[0]).not.toHaveProperty('create.template');
  });
});

describe('diff: ordering', () => {
  it('wakes a dormant workspace first and renames before settings', () => {
    const plan = diff(
      desired({
        name: 'alice-main',
        dormant: false,
        ttlMs: HOUR,
        autostart: { enabled: false },
        automaticUpdates: 'always',
        favorite: true,
      }),
      observed({ dormant: true, autostartSchedule: BERLIN_9 }),
    );
    expect(plan.actions.map((a) => a.kind)).toEqual(['rename', 'dormant', 'autostart', 'ttl', 'autoupdates', 'favorite']);
  });

  it('puts a workspace to sleep after every other change', () => {
    const plan = diff(desired({ dormant: true, ttlMs: HOUR, favorite: true }), observed());
    expect(plan.actions.map((a) => a.kind)).toEqual(['ttl', 'favorite', 'dormant']);
  });

  it('reports the differing fields as drift', () => {
    expect(diff(desired({ dormant: true, ttlMs: HOUR }), observed()).drift).toEqual(['ttl', 'dormant']);
  });

  it('is deterministic', () => {
    const d = desired({ dormant: true, ttlMs: HOUR, favorite: true, automaticUpdates: 'always' });
    expect(diff(d, observed())).toEqual(diff(d, observed()));
  });
});

describe('diffDelete', () => {
  it.each([
    { name: 'Orphan never calls Coder', policy: 'Orphan' as const, have: observed(), expect: [] },
    { name: 'Delete starts a delete build', policy: 'Delete' as const, have: observed(), expect: [{ kind: 'delete', policy: 'Delete' }] },
    { name: 'Delete of a vanished workspace does nothing', policy: 'Delete' as const, have: undefined, expect: [] },
    {
      name: 'Delete while a delete build runs waits instead of starting another',
      policy: 'Delete' as const,
      have: observed({ latestBuild: { id: 'b', number: 2, transition: 'delete', status: 'deleting', templateVersionId: 'v1' } }),
      expect: [],
    },
    {
      name: 'Delete after a failed delete build tries again',
      policy: 'Delete' as const,
      have: observed({ latestBuild: { id: 'b', number: 2, transition: 'delete', status: 'failed', templateVersionId: 'v1' } }),
      expect: [{ kind: 'delete', policy: 'Delete' }],
    },
  ])('$name', ({ policy, have, expect: actions }) => {
    expect(diffDelete(have, policy)).toEqual(actions);
  });
});
