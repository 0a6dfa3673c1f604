// The resync decision: from one refreshed snapshot, which Workspaces need a
// reconcile. Idle ones must not (that is what makes an idle resync free).
import { describe, expect, it } from 'vitest';
import type { Workspace } from '../../../src/api/schema.ts';
import type { Workspace as CoderWorkspace } from '../../../src/coder/types.ts';
import { needsReconcile } from '../../../src/controller/workspace/resync.ts';
import { toDesired } from '../../../src/engine/desired.ts';
import { diff } from '../../../src/engine/diff.ts';
import { findObserved, Snapshot, toObserved } from '../../../src/engine/observe.ts';
import type { CoderApi } from '../../../src/coder/api.ts';
import { applyPlan } from '../../../src/engine/apply.ts';
import type { CreateResolver } from '../../../src/engine/resolve.ts';
import { computeStatus } from '../../../src/engine/status.ts';
import { coderWorkspace } from '../engine/fake-coder.ts';
import { workspace } from '../../support/workspace.ts';

const NOW = new Date('2026-11-10T12:00:00.000Z');
const URL = 'https://coder.example.com';

const running = (o: Partial<CoderWorkspace> = {}): CoderWorkspace => {
  const ws = coderWorkspace({ ttl_ms: 3_600_000, ...o });
  return { ...ws, latest_build: { ...ws.latest_build, status: 'running' } };
};

/** With a TTL of an hour, as `running()` shows it in Coder. */
const resource = (spec: Partial<Workspace['spec']> = {}, meta: Partial<Workspace['metadata']> = {}) =>
  workspace({ ttl: '1h', ...spec }, meta);

/** The Workspace as a reconcile against `coder` would have left it. */
function settled(ws: Workspace, coder: CoderWorkspace): Workspace {
  const snapshot = new Snapshot([toObserved(coder, false)]);
  const desired = toDesired(ws, { file: 'team-a/dev' }, { deletionPolicy: 'Orphan' });
  const plan = diff(desired, findObserved(snapshot, desired));
  return { ...ws, status: computeStatus({ plan, generation: ws.metadata.generation!, coderUrl: URL, now: NOW }) };
}

const opts = { deletionPolicy: 'Orphan' as const, coderUrl: URL, now: new Date(NOW.getTime() + 600_000) };

describe('needsReconcile', () => {
  const idle = settled(resource(), running());
  it.each<[string, Workspace, CoderWorkspace[], boolean]>([
    ['idle: Coder matches and the status would not change', idle, [running()], false],
    ['drift in Coder', idle, [running({ ttl_ms: 7_200_000 })], true],
    ['the workspace vanished from Coder', idle, [], true],
    ['spec edited (generation moved past the status)', { ...idle, metadata: { ...idle.metadata, generation: 2 } }, [running()], true],
    ['not Ready yet', settled(resource(), coderWorkspace({ ttl_ms: 3_600_000 })), [coderWorkspace({ ttl_ms: 3_600_000 })], true],
    ['a build finished since the status was written', settled(resource(), coderWorkspace({ ttl_ms: 3_600_000 })), [running()], true],
    ['being deleted', { ...idle, metadata: { ...idle.metadata, deletionTimestamp: NOW.toISOString() } }, [running()], true],
    ['suspended', { ...idle, spec: { ...idle.spec, suspend: true } }, [running({ ttl_ms: 7_200_000 })], false],
    ['Orphan without a finalizer: idle (it needs none)', idle, [running()], false],
    ['turned to Delete without our finalizer yet: add it', settled(resource({ deletionPolicy: 'Delete' }), running()), [running()], true],
    [
      'Delete with our finalizer: idle',
      settled(resource({ deletionPolicy: 'Delete' }, { finalizers: ['coderops.dev/finalizer'] }), running()),
      [running()],
      false,
    ],
    ['favorite managed: only the owner can read it', settled(resource({ favorite: true }), running()), [running()], true],
  ])('%s', (_name, ws, coder, expected) => {
    expect(needsReconcile(ws, new Snapshot(coder.map((w) => toObserved(w, false))), opts)).toBe(expected);
  });
});

describe('after the operator created the workspace', () => {
  // The create answer is the one time a favorite is known without the owner's
  // token; the next list cannot see it. Claiming `favorite: false` in the status
  // then made the first resync after every create rewrite the status.
  it.each<[string, Partial<Workspace['spec']>, boolean]>([
    ['favorite not managed: the next resync finds nothing to do', {}, false],
    ['favorite managed: the resync lets the reconcile read it as the owner', { favorite: false }, true],
  ])('%s', async (_name, spec, expected) => {
    const ws = resource(spec);
    const created = running();
    const api = { createWorkspace: async () => created, getWorkspace: async () => created } as unknown as CoderApi;
    const desired = toDesired(ws, { file: 'team-a/dev' }, { deletionPolicy: 'Orphan' });
    const plan = diff(desired, undefined);
    const result = await applyPlan(plan, {
      api,
      resolver: { createRequest: async () => ({}) } as unknown as CreateResolver,
      ownerApi: async () => api,
    });
    const status = computeStatus({ plan, result, generation: 1, coderUrl: URL, now: NOW });
    expect(needsReconcile({ ...ws, status }, new Snapshot([toObserved(created, false)]), opts)).toBe(expected);
  });
});
