// The operator when an update fails: the failed Workspace keeps its slot and
// is rolled back to the version and run state it had, the version halts after
// maxFailures (Halted on the waiting Workspaces and on the connection), a new
// value of coderops.dev/resume-rollout resumes it, and a new wanted version
// moves everyone again.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { CoderConnection } from '../../../src/api/schema.ts';
import type { Workspace as CoderWorkspace } from '../../../src/coder/types.ts';
import { ConnectionRegistry } from '../../../src/controller/connection/registry.ts';
import { RESUME_ROLLOUT } from '../../../src/controller/workspace/rollout.ts';
import { coderWorkspace, FakeCoder } from '../engine/fake-coder.ts';
import { coderConnection } from '../../support/coder-connection.ts';
import { workspace as storedWorkspace } from '../../support/workspace.ts';
import { FakeKube } from './fake-kube.ts';
import { teamReconciler } from './team-reconciler.ts';

const NOW = new Date('2026-11-10T12:00:00.000Z');
const V1 = '77777777-7777-4777-8777-777777777777';
const V2 = '88888888-8888-4888-8888-888888888888';
const V3 = '99999999-9999-4999-8999-999999999999';
const CONN_ID = 'CoderConnection/team-a/default';
const IDS = ['11111111-1111-4111-8111-111111111111', '11111111-1111-4111-8111-111111111112', '11111111-1111-4111-8111-111111111113'];

/** The i-th of three Workspaces, pinned to `version`. */
const workspace = (i: number, version: string) =>
  storedWorkspace({ name: `alice-dev${i}`, version: { policy: 'Pinned', id: version } }, { name: `dev${i}`, uid: `uid-${i}` });

function coderWs(
  i: number,
  transition: 'start' | 'stop',
  status: 'running' | 'stopped' | 'failed',
  version: string,
  n: number,
): CoderWorkspace {
  const ws = coderWorkspace({ id: IDS[i]!, name: `alice-dev${i}`, template_active_version_id: V1 });
  return {
    ...ws,
    latest_build: {
      ...ws.latest_build,
      id: `build-${i}-${n}`,
      build_number: n,
      workspace_id: IDS[i]!,
      transition,
      status,
      template_version_id: version,
      job: { ...ws.latest_build.job, status: status === 'failed' ? 'failed' : 'succeeded' },
    },
  };
}

function setup(rollout: NonNullable<CoderConnection['spec']['rollout']>) {
  const kube = new FakeKube([]);
  for (let i = 0; i < 3; i++) kube.put(workspace(i, V2));
  const coder = new FakeCoder();
  const shown = [0, 1, 2].map((i) => coderWs(i, 'start', 'running', V1, 1));
  coder.listed = [...shown];
  const connection = coderConnection({ rollout });
  const registry = new ConnectionRegistry({ readSecret: () => kube.readSecret(), makeApi: () => coder, logger: pino({ level: 'silent' }) });
  const reconciler = teamReconciler(kube, connection, registry, () => NOW);
  const show = (i: number, next: CoderWorkspace) => {
    shown[i] = next;
    coder.listed = [...shown];
    coder.created = next;
  };
  const buildsOf = (i: number) =>
    coder.calls.filter((c) => c.method === 'createBuild' && c.args[0] === IDS[i]).map((c) => c.args[1] as Record<string, unknown>);
  const reconcile = async (i: number) => {
    coder.created = shown[i]!;
    return reconciler.reconcile(`team-a/dev${i}`);
  };
  const status = (i: number) => kube.get(`team-a/dev${i}`)?.status;
  return { kube, coder, connection, reconciler, show, buildsOf, reconcile, status };
}

describe('operator: a failed update', () => {
  it('rolls back, holds its slot until then, halts the version for the others, and resumes on a new annotation value', async () => {
    const t = setup({ maxUnavailable: 1 });
    // dev0 starts its update (stop on v1); dev1 waits for the slot.
    await t.reconcile(0);
    expect(t.buildsOf(0)).toEqual([{ transition: 'stop' }]);
    await t.reconcile(1);
    expect(t.status(1)?.rollout?.state).toBe('WaitingForSlot');
    // The start on v2 fails: dev0 keeps the slot and is rolled back, running, on v1.
    t.show(0, coderWs(0, 'stop', 'stopped', V1, 2));
    await t.reconcile(0);
    expect(t.buildsOf(0)[1]).toEqual({ transition: 'start', template_version_id: V2 });
    t.show(0, coderWs(0, 'start', 'failed', V2, 3));
    await t.reconcile(0);
    expect(t.buildsOf(0)[2]).toEqual({ transition: 'start', template_version_id: V1 });
    expect(t.status(0)?.rollout).toMatchObject({ state: 'RollingBack', failedTarget: V2 });
    expect(t.reconciler.rolloutOf(CONN_ID).inFlight).toBe(1);
    // Meanwhile the version is halted: dev1 says so and starts nothing.
    await t.reconcile(1);
    expect(t.buildsOf(1)).toEqual([]);
    expect(t.status(1)?.rollout?.state).toBe('Halted');
    expect(t.status(1)?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'Halted' });
    // The rollback ends: RolledBack, slot free, Stalled (a person decides), not retried.
    t.show(0, coderWs(0, 'start', 'running', V1, 4));
    await t.reconcile(0);
    await t.reconcile(0);
    expect(t.buildsOf(0)).toHaveLength(3);
    expect(t.status(0)?.rollout?.state).toBe('RolledBack');
    expect(t.status(0)?.conditions?.find((c) => c.type === 'Synced')).toMatchObject({ status: 'False', reason: 'RolledBack' });
    expect(t.reconciler.rolloutOf(CONN_ID).inFlight).toBe(0);
    // The connection says so.
    const summary = t.kube.statusPatches.filter((p) => p.ref.kind === 'CoderConnection' && 'rollout' in p.patch).at(-1)?.patch['rollout'];
    expect(summary).toMatchObject({ failed: 1, halted: 1, rolledBack: 1, haltedVersions: [{ version: V2, failures: 1 }] });

    // A resume (a new annotation value): dev1 goes ahead; dev0 is not retried.
    t.connection.metadata.annotations = { [RESUME_ROLLOUT]: '1' };
    await t.reconcile(1);
    expect(t.buildsOf(1)).toEqual([{ transition: 'stop' }]);
    await t.reconcile(0);
    expect(t.buildsOf(0)).toHaveLength(3);
  });

  it('with rollbackOnFailure: false the failed workspace stays Failed and keeps its slot; a new version moves it again', async () => {
    const t = setup({ maxUnavailable: 1, rollbackOnFailure: false });
    await t.reconcile(0);
    t.show(0, coderWs(0, 'stop', 'stopped', V1, 2));
    await t.reconcile(0);
    t.show(0, coderWs(0, 'start', 'failed', V2, 3));
    await t.reconcile(0);
    await t.reconcile(0);
    expect(t.buildsOf(0)).toHaveLength(2);
    expect(t.status(0)?.rollout).toMatchObject({ state: 'Failed', failedTarget: V2 });
    expect(t.status(0)?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'UpdateFailed' });
    expect(t.reconciler.rolloutOf(CONN_ID).inFlight).toBe(1);
    // A fixed version: dev0 is started on it.
    t.kube.put({ ...workspace(0, V3), metadata: { ...workspace(0, V3).metadata, generation: 2 }, status: t.status(0)! });
    await t.reconcile(0);
    expect(t.buildsOf(0)[2]).toEqual({ transition: 'start', template_version_id: V3 });
  });
});
