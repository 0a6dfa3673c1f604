// The export's two promises, as properties over generated workspaces (fast-check
// prints the seed and the shrunk case when one fails):
//   - the round trip: the document exported for a workspace validates, and the
//     engine's diff of it against that same workspace plans no action and
//     blocks nothing, whatever Coder holds (schedules in any zone or none,
//     odd TTLs, dormancy, outdated versions, run states, parameters);
//   - identity: metadata.name is the same for the same workspace and never
//     the same for two different ones.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateWorkspace } from '../../../src/api/validate.ts';
import { toDesired } from '../../../src/engine/desired.ts';
import { diff } from '../../../src/engine/diff.ts';
import type { LifecycleContext } from '../../../src/engine/lifecycle.ts';
import type { ObservedWorkspace } from '../../../src/engine/types.ts';
import { type DocumentOptions, exportName, toDocument, type VersionPolicy } from '../../../src/gitops/export-document.ts';
import { observed } from '../engine/fixtures.ts';

const segment = fc.stringMatching(/^[a-zA-Z0-9]{1,6}$/);
/** A name Coder accepts for users and workspaces: letters and digits, single hyphens, 1-32, not new/create. */
const coderName = fc
  .array(segment, { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join('-'))
  .filter((n) => n.length <= 32 && !['new', 'create'].includes(n));

const schedule = fc.oneof(
  fc.constant(null),
  fc
    .record({
      tz: fc.constantFrom(
        '',
        'CRON_TZ=UTC ',
        'CRON_TZ=Europe/Berlin ',
        'CRON_TZ=America/New_York ',
        'CRON_TZ=US/Central ',
        'CRON_TZ=Mars/Base ',
      ),
      minute: fc.constantFrom('0', '30', '*/15', '5,35'),
      hour: fc.constantFrom('8', '9-17', '*'),
      dow: fc.constantFrom('*', '1-5', '0,6', 'mon-fri', '1'),
    })
    .map(({ tz, minute, hour, dow }) => `${tz}${minute} ${hour} * * ${dow}`),
);

const ttlMs = fc.oneof(
  fc.constant(null),
  fc.integer({ min: 1, max: 43_200 }).map((m) => m * 60_000),
  // What a declaration cannot state: seconds, or more than 720h.
  fc.constantFrom(90_500, 45_000, 721 * 3_600_000),
);

const BUILD = '55555555-5555-4555-8555-555555555555';
const CURRENT = '77777777-7777-4777-8777-777777777777';
const ACTIVE = '88888888-8888-4888-8888-888888888888';

const workspace = fc
  .record({
    owner: coderName,
    name: coderName,
    autostartSchedule: schedule,
    ttlMs,
    dormant: fc.boolean(),
    automaticUpdates: fc.constantFrom('always' as const, 'never' as const),
    outdated: fc.boolean(),
    requireActiveVersion: fc.boolean(),
    versionName: fc.constantFrom(undefined, 'v1', 'sad_pare1', 'x'.repeat(70)),
    transition: fc.constantFrom('start' as const, 'stop' as const),
    status: fc.constantFrom('running', 'stopped', 'failed', 'starting', 'canceled'),
  })
  .map(
    (w): ObservedWorkspace =>
      observed({
        name: w.name,
        ownerName: w.owner,
        autostartSchedule: w.autostartSchedule,
        ttlMs: w.ttlMs,
        dormant: w.dormant,
        automaticUpdates: w.automaticUpdates,
        outdated: w.outdated,
        activeVersionId: w.outdated ? ACTIVE : CURRENT,
        ...(w.requireActiveVersion ? { requireActiveVersion: true } : {}),
        latestBuild: {
          id: BUILD,
          number: 3,
          transition: w.transition,
          status: w.transition === 'stop' && w.status === 'running' ? 'stopped' : w.status,
          templateVersionId: CURRENT,
          ...(w.versionName !== undefined ? { templateVersionName: w.versionName } : {}),
        },
      }),
  );

const parameters = fc.uniqueArray(fc.record({ name: fc.stringMatching(/^[a-z_]{1,12}$/), value: fc.string({ maxLength: 20 }) }), {
  selector: (p) => p.name,
  maxLength: 4,
});

const options = fc.record({
  observe: fc.boolean(),
  versionPolicy: fc.constantFrom<VersionPolicy>('auto', 'pinned', 'none'),
  running: fc.boolean(),
  namespace: fc.constantFrom(undefined, 'team-a'),
});

describe('export document', () => {
  it('round-trips: it validates, and diff against the same workspace plans nothing', () => {
    fc.assert(
      fc.property(workspace, parameters, fc.option(fc.boolean(), { nil: undefined }), options, (ws, params, favorite, o) => {
        const opts: DocumentOptions = {
          observe: o.observe,
          versionPolicy: o.versionPolicy,
          running: o.running,
          omit: new Set(),
          ...(o.namespace ? { namespace: o.namespace } : {}),
        };
        const result = toDocument({ workspace: ws, parameters: params, ...(favorite !== undefined ? { favorite } : {}) }, opts);
        if (!('document' in result)) throw new Error(`skipped ${result.ref}: ${result.reason}`);
        const checked = validateWorkspace(structuredClone(result.document));
        expect(checked.ok ? [] : checked.errors).toEqual([]);
        const d = toDesired(result.document, { file: 'export.yaml' }, { deletionPolicy: 'Delete' });
        expect(d.deletionPolicy).toBe('Orphan');
        // What plan would read: the pinned version's id, the build's values, all defined and mutable.
        const version = result.document.spec.version;
        const ctx: LifecycleContext = {
          gate: { onlyWhenStopped: false, slot: true },
          ...(version?.policy === 'Pinned' && version.name ? { wantedVersion: { id: CURRENT, name: version.name } } : {}),
          currentParameters: params,
          parameterInfo: new Map(params.map((p) => [p.name, { mutable: true, ephemeral: false }])),
        };
        const seen = favorite !== undefined ? { ...ws, favorite } : ws;
        const plan = diff(d, seen, ctx);
        expect(plan.actions).toEqual([]);
        expect(plan.blocked).toEqual([]);
      }),
    );
  });

  it('leaves out, with a note, what a declaration cannot state, and pins an outdated workspace only where Coder does not move it', () => {
    const opts: DocumentOptions = { observe: false, versionPolicy: 'auto', running: false, omit: new Set() };
    const odd = toDocument({ workspace: observed({ autostartSchedule: 'CRON_TZ=Mars/Base 0 8 * * *', ttlMs: 90_500 }) }, opts);
    if (!('document' in odd)) throw new Error(odd.reason);
    expect(odd.document.spec.autostart).toBeUndefined();
    expect(odd.document.spec.ttl).toBeUndefined();
    expect(odd.notes).toEqual([
      'autostart left out: Coder holds the schedule "CRON_TZ=Mars/Base 0 8 * * *", which a declaration cannot state',
      'ttl left out: Coder holds 90500 ms, which is not whole minutes between 1m and 720h',
    ]);
    const old = { outdated: true, activeVersionId: ACTIVE, latestBuild: { ...observed().latestBuild, templateVersionName: 'v1' } };
    const pinned = toDocument({ workspace: observed(old) }, opts);
    expect('document' in pinned && pinned.document.spec.version).toEqual({ policy: 'Pinned', name: 'v1' });
    const follows = toDocument({ workspace: observed({ ...old, automaticUpdates: 'always' }) }, opts);
    expect('document' in follows && follows.document.spec.version).toBeUndefined();
    expect(toDocument({ workspace: observed(old) }, { ...opts, versionPolicy: 'none' })).toMatchObject({ document: { spec: {} } });
    const deleting = toDocument(
      { workspace: observed({ latestBuild: { ...observed().latestBuild, transition: 'delete', status: 'pending' } }) },
      opts,
    );
    expect(deleting).toMatchObject({ reason: expect.stringContaining('would create it again') });
  });

  it('writes custom resources for a namespace and, when asked, the connection they use', () => {
    const opts: DocumentOptions = {
      observe: true,
      versionPolicy: 'none',
      running: false,
      omit: new Set(['dormant']),
      namespace: 'team-a',
      connectionRef: { kind: 'ClusterCoderConnection', name: 'shared' },
    };
    const result = toDocument({ workspace: observed() }, opts);
    if (!('document' in result)) throw new Error(result.reason);
    expect(result.document.metadata).toEqual({ name: 'alice--alice-dev', namespace: 'team-a' });
    expect(result.document.spec).toMatchObject({
      connectionRef: { kind: 'ClusterCoderConnection', name: 'shared' },
      managementPolicies: ['Observe'],
    });
    expect(result.document.spec.dormant).toBeUndefined();
    expect(validateWorkspace(structuredClone(result.document))).toMatchObject({ ok: true });
  });

  it('names each workspace after owner and name: the same for the same one, never for two', () => {
    fc.assert(
      fc.property(coderName, coderName, coderName, coderName, (o1, n1, o2, n2) => {
        const same = o1.toLowerCase() === o2.toLowerCase() && n1.toLowerCase() === n2.toLowerCase();
        expect(exportName(o1, n1) === exportName(o2, n2)).toBe(same);
        expect(exportName(o1, n1)).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      }),
    );
    // The cases a plain join would merge.
    expect(exportName('a', 'b-c')).not.toBe(exportName('a-b', 'c'));
  });
});
