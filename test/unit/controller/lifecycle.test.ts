// The operator's lifecycle steps against fakes: run state, a version update
// of a running workspace across reconciles (the status is its memory), the
// rollout slot limit, observe-only and reconcile-on-request.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { CoderConnection, Workspace } from '../../../src/api/schema.ts';
import type { Workspace as CoderWorkspace } from '../../../src/coder/types.ts';
import { ConnectionRegistry } from '../../../src/controller/connection/registry.ts';
import { RECONCILE_REQUESTED_AT } from '../../../src/controller/workspace/reconcile-request.ts';
import { needsReconcile } from '../../../src/controller/workspace/resync.ts';
import { Snapshot, toObserved } from '../../../src/engine/observe.ts';
import { coderWorkspace, FakeCoder } from '../engine/fake-coder.ts';
import { coderConnection } from '../../support/coder-connection.ts';
import { workspace } from '../../support/workspace.ts';
import { FakeKube } from './fake-kube.ts';
import { teamReconciler } from './team-reconciler.ts';

const KEY = 'team-a/dev';
const NOW = new Date('2026-11-10T12:00:00.000Z');
const V1 = '77777777-7777-4777-8777-777777777777';
const V2 = '88888888-8888-4888-8888-888888888888';
const CONN_ID = 'CoderConnection/team-a/default';

function coderWs(
  transition: 'start' | 'stop',
  status: 'running' | 'stopped' | 'pending',
  version = V1,
  extra: Partial<CoderWorkspace> = {},
): CoderWorkspace {
  const ws = coderWorkspace({ template_active_version_id: V1, ...extra });
  const job = status === 'pending' ? 'pending' : 'succeeded';
  return {
    ...ws,
    latest_build: {
      ...ws.latest_build,
      id: `build-${transition}-${version}`,
      transition,
      status,
      template_version_id: version,
      job: { ...ws.latest_build.job, status: job },
    },
  };
}

function setup(ws: Workspace, listed: CoderWorkspace, rollout?: CoderConnection['spec']['rollout']) {
  const kube = new FakeKube([]);
  kube.put(ws);
  const coder = new FakeCoder();
  coder.listed = [listed];
  coder.created = listed;
  const connection = coderConnection(rollout ? { rollout } : {});
  const registry = new ConnectionRegistry({ readSecret: () => kube.readSecret(), makeApi: () => coder, logger: pino({ level: 'silent' }) });
  const reconciler = teamReconciler(kube, connection, registry, () => NOW);
  const builds = () => coder.calls.filter((c) => c.method === 'createBuild').map((c) => c.args[1]);
  /** Coder finished the build: the workspace now looks like `next`. */
  const coderShows = (next: CoderWorkspace) => {
    coder.created = next;
    coder.listed = [next];
  };
  return { kube, coder, reconciler, builds, coderShows, reconcile: () => reconciler.reconcile(KEY), status: () => kube.get(KEY)?.status };
}

const synced = (s: Workspace['status']) => s?.conditions?.find((c) => c.type === 'Synced');

describe('operator lifecycle', () => {
  it('running: false stops a running workspace once; the next pass, with it stopped, writes nothing', async () => {
    const t = setup(workspace({ running: false }), coderWs('start', 'running'));
    await t.reconcile();
    expect(t.builds()).toEqual([{ transition: 'stop' }]);
    t.coderShows(coderWs('stop', 'stopped'));
    await t.reconcile();
    expect(t.status()?.running).toBe(false);
    const before = t.coder.writes().length;
    const patches = t.kube.statusPatches.length;
    await t.reconcile();
    expect(t.coder.writes()).toHaveLength(before);
    expect(t.kube.statusPatches).toHaveLength(patches);
  });

  it('no start/stop loop: an autostop is set back once per spec, then left and reported until the spec changes', async () => {
    const t = setup(
      workspace({ running: true, ttl: '0s' }),
      coderWs('stop', 'stopped', V1, { latest_build: { ...coderWs('stop', 'stopped').latest_build, reason: 'autostop' } }),
    );
    await t.reconcile();
    expect(t.builds()).toEqual([{ transition: 'start' }]);
    t.coderShows(coderWs('start', 'running'));
    await t.reconcile();
    // Coder's schedule stops it again (a new build), under the same spec.
    const again = coderWs('stop', 'stopped');
    t.coderShows({ ...again, latest_build: { ...again.latest_build, id: 'build-autostop-2', reason: 'autostop' } });
    // The next resync would list it; a reconcile request reads it now.
    const current = t.kube.get(KEY)!;
    t.kube.put({ ...current, metadata: { ...current.metadata, annotations: { [RECONCILE_REQUESTED_AT]: 'now' } } });
    await t.reconcile();
    await t.reconcile();
    expect(t.builds()).toHaveLength(1);
    expect(synced(t.status())).toMatchObject({ status: 'False', reason: 'ScheduleConflict' });
    // A new spec (generation) gets one more try.
    const ws = t.kube.get(KEY)!;
    t.kube.put({ ...ws, metadata: { ...ws.metadata, generation: 2 }, spec: { ...ws.spec, autostart: { enabled: false } } });
    await t.reconcile();
    expect(t.builds()).toEqual([{ transition: 'start' }, { transition: 'start' }]);
  });

  it('updates a running workspace: a stop, then (remembered in the status) a start on the new version, then up to date', async () => {
    const t = setup(workspace({ version: { policy: 'Pinned', id: V2 } }), coderWs('start', 'running'));
    await t.reconcile();
    expect(t.builds()).toEqual([{ transition: 'stop' }]);
    expect(t.status()?.rollout).toMatchObject({ state: 'Updating', restart: true, target: V2 });

    t.coderShows(coderWs('stop', 'stopped'));
    await t.reconcile();
    expect(t.builds()).toEqual([{ transition: 'stop' }, { transition: 'start', template_version_id: V2 }]);

    t.coderShows(coderWs('start', 'running', V2, { template_active_version_id: V2 }));
    await t.reconcile();
    expect(t.builds()).toHaveLength(2);
    expect(t.status()?.rollout?.state).toBe('UpToDate');
    expect(t.status()?.version).toMatchObject({ current: V2, wanted: V2, outdated: false });
    expect(t.reconciler.rolloutOf(CONN_ID).inFlight).toBe(0);
    // Summed on the connection, written only when the counts changed.
    const summaries = t.kube.statusPatches
      .filter((p) => p.ref.kind === 'CoderConnection' && 'rollout' in p.patch)
      .map((p) => p.patch['rollout']);
    expect(summaries).toEqual([
      { upToDate: 0, updating: 1, waiting: 0, blocked: 0, failed: 0 },
      { upToDate: 1, updating: 0, waiting: 0, blocked: 0, failed: 0 },
    ]);
  });

  it('waits for a slot while the connection updates its maximum, and says so', async () => {
    const t = setup(workspace({ version: { policy: 'Pinned', id: V2 } }), coderWs('start', 'running'), { maxUnavailable: 1 });
    // Another Workspace of the connection is updating.
    t.reconciler.rolloutOf(CONN_ID).gate('team-a/other', { maxUnavailable: 1 }, NOW, { rollout: { state: 'Updating', message: '' } });
    const next = await t.reconcile();
    expect(t.builds()).toEqual([]);
    expect(t.status()?.rollout?.state).toBe('WaitingForSlot');
    expect(synced(t.status())).toMatchObject({ status: 'False', reason: 'WaitingForSlot' });
    expect(t.status()?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(next).toEqual({ requeueAfter: 5_000 });
  });

  it('two workers that see the same free slot: only one starts an update', async () => {
    const t = setup(workspace({ version: { policy: 'Pinned', id: V2 } }), coderWs('start', 'running'), { maxUnavailable: 1 });
    const other = workspace({ version: { policy: 'Pinned', id: V2 }, name: 'alice-dev2' }, { name: 'dev2', uid: 'uid-2' });
    t.kube.put(other);
    t.coder.listed = [
      coderWs('start', 'running'),
      coderWs('start', 'running', V1, { id: '99999999-9999-4999-8999-999999999999', name: 'alice-dev2' }),
    ];
    await Promise.all([t.reconciler.reconcile(KEY), t.reconciler.reconcile('team-a/dev2')]);
    expect(t.builds()).toEqual([{ transition: 'stop' }]);
    const states = [t.status()?.rollout?.state, t.kube.get('team-a/dev2')?.status?.rollout?.state].sort();
    expect(states).toEqual(['Updating', 'WaitingForSlot']);
    expect(t.reconciler.rolloutOf(CONN_ID).inFlight).toBe(1);
  });

  it('defers restarting a running workspace to the maintenance window', async () => {
    // 02:00 UTC for an hour; NOW is 12:00 UTC.
    const t = setup(workspace({ version: { policy: 'Pinned', id: V2 } }), coderWs('start', 'running'), {
      window: { schedule: '0 2 * * *', duration: '1h' },
    });
    await t.reconcile();
    expect(t.builds()).toEqual([]);
    expect(t.status()?.rollout).toMatchObject({ state: 'WaitingForWindow', message: expect.stringContaining('2026-11-11T02:00:00.000Z') });
  });

  it('a preset change alone: a stop, then a start on the same version with the new preset, then quiet; events say it', async () => {
    const SMALL = '6a000000-0000-4000-8000-000000000001';
    const LARGE = '6a000000-0000-4000-8000-000000000002';
    const withPreset = (ws: CoderWorkspace, id: string): CoderWorkspace => ({
      ...ws,
      latest_build: { ...ws.latest_build, template_version_preset_id: id },
    });
    const t = setup(workspace({ preset: 'large' }), withPreset(coderWs('start', 'running'), SMALL));
    t.coder.presets = {
      [V1]: [
        { ID: SMALL, Name: 'small' },
        { ID: LARGE, Name: 'large' },
      ],
    } as typeof t.coder.presets;
    await t.reconcile();
    expect(t.builds()).toEqual([{ transition: 'stop' }]);
    expect(t.status()?.rollout).toMatchObject({ state: 'Updating', restart: true });
    expect(t.kube.events.map((e) => e.note)).toContainEqual(expect.stringContaining('preset: small -> large'));

    t.coderShows(withPreset(coderWs('stop', 'stopped'), SMALL));
    await t.reconcile();
    expect(t.builds()).toEqual([{ transition: 'stop' }, { transition: 'start', template_version_preset_id: LARGE }]);

    t.coderShows(withPreset(coderWs('start', 'running'), LARGE));
    await t.reconcile();
    await t.reconcile();
    expect(t.builds()).toHaveLength(2);
    expect(t.status()?.rollout?.state).toBe('UpToDate');
    expect(t.status()?.presetID).toBe(LARGE);
    // The version's presets are read once for the connection's life.
    expect(
      t.coder.calls.filter((c) => c.method === 'send' && c.args[0] === 'GET /api/v2/templateversions/{templateversion}/presets'),
    ).toHaveLength(1);
    expect(t.reconciler.rolloutOf(CONN_ID).inFlight).toBe(0);
  });

  it('a preset change waits for the maintenance window like a version update', async () => {
    const t = setup(workspace({ preset: 'large' }), coderWs('start', 'running'), { window: { schedule: '0 2 * * *', duration: '1h' } });
    t.coder.presets = { [V1]: [{ ID: '6a000000-0000-4000-8000-000000000002', Name: 'large' }] } as typeof t.coder.presets;
    await t.reconcile();
    expect(t.builds()).toEqual([]);
    expect(t.status()?.rollout?.state).toBe('WaitingForWindow');
  });

  it('managementPolicies [Observe]: reports the difference and writes nothing to Coder', async () => {
    const t = setup(workspace({ running: false, managementPolicies: ['Observe'] }), coderWs('start', 'running'));
    await t.reconcile();
    expect(t.coder.writes()).toEqual([]);
    expect(synced(t.status())).toMatchObject({ status: 'False', reason: 'ObserveOnly' });
  });

  it('suspended: observedGeneration follows the generation and a Suspended condition says so; it goes once resumed', async () => {
    const t = setup(workspace({ running: true, ttl: '0s' }), coderWs('start', 'running'));
    await t.reconcile();
    const ws = t.kube.get(KEY)!;
    t.kube.put({ ...ws, metadata: { ...ws.metadata, generation: 2 }, spec: { ...ws.spec, suspend: true } });
    await t.reconcile();
    expect(t.status()?.observedGeneration).toBe(2);
    expect(t.status()?.conditions?.find((c) => c.type === 'Suspended')).toMatchObject({ status: 'True', observedGeneration: 2 });
    expect(t.status()?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', observedGeneration: 2 });
    const suspended = t.kube.get(KEY)!;
    t.kube.put({ ...suspended, metadata: { ...suspended.metadata, generation: 3 }, spec: { ...suspended.spec, suspend: false } });
    await t.reconcile();
    expect(t.status()?.conditions?.map((c) => c.type)).toEqual(['Ready', 'Synced']);
  });

  it('parameters: a changed value is built in; the values are read once per build, not on an idle pass', async () => {
    const t = setup(workspace({ running: false, parameters: [{ name: 'size', value: 'large' }] }), coderWs('stop', 'stopped'));
    t.coder.buildParameters = [{ name: 'size', value: 'small' }];
    t.coder.versionParameters = [{ name: 'size', mutable: true, ephemeral: false, required: false, default_value: 'small' }];
    const reads = () => t.coder.calls.filter((c) => c.method === 'getBuildParameters').length;
    await t.reconcile();
    expect(t.builds()).toEqual([{ transition: 'stop', rich_parameter_values: [{ name: 'size', value: 'large' }] }]);
    expect(reads()).toBe(1);
    t.coder.buildParameters = [{ name: 'size', value: 'large' }];
    t.coderShows({ ...coderWs('stop', 'stopped'), latest_build: { ...coderWs('stop', 'stopped').latest_build, id: 'build-with-large' } });
    await t.reconcile();
    expect(reads()).toBe(2);
    expect(t.status()?.parametersChecked?.build).toBe('build-with-large');
    for (let i = 0; i < 3; i++) await t.reconcile();
    expect(reads()).toBe(2);
    expect(t.builds()).toHaveLength(1);
    // The resync pass would not even queue it.
    const snapshot = new Snapshot([toObserved(t.coder.created, false)]);
    expect(needsReconcile(t.kube.get(KEY)!, snapshot, { deletionPolicy: 'Orphan', coderUrl: 'https://coder.example.com', now: NOW })).toBe(
      false,
    );
  });

  it('a reconcile request reads the workspace from Coder and is recorded in the status', async () => {
    const t = setup(
      workspace({ running: true }, { annotations: { [RECONCILE_REQUESTED_AT]: '2026-11-10T11:59:00Z' } }),
      coderWs('start', 'running'),
    );
    const reads = () => t.coder.calls.filter((c) => c.method === 'getWorkspace').length;
    await t.reconcile();
    expect(reads()).toBe(1);
    expect(t.status()?.lastHandledReconcileAt).toBe('2026-11-10T11:59:00Z');
    await t.reconcile();
    expect(reads()).toBe(1); // handled: the snapshot answers again
  });
});
