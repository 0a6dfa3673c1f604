// Two Workspace resources that name the same Coder workspace (issue 12 item 1,
// cluster side): in two namespaces, or one, with the same owner + name, or the
// owner once by name and once by UUID. The first binds it; the second reports
// Synced=False reason Conflict naming the first, never writes to the Coder
// workspace, and never deletes it when its own resource goes.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Workspace } from '../../../src/api/schema.ts';
import { CoderApiError } from '../../../src/coder/errors.ts';
import type { Workspace as CoderWorkspace } from '../../../src/coder/types.ts';
import { WorkspaceBindings } from '../../../src/controller/workspace/bindings.ts';
import { ConnectionRegistry } from '../../../src/controller/connection/registry.ts';
import { FINALIZER } from '../../../src/controller/workspace/decide.ts';
import { Reconciler } from '../../../src/controller/workspace/reconciler.ts';
import { coderWorkspace, FakeCoder } from '../engine/fake-coder.ts';
import { coderConnection } from '../../support/coder-connection.ts';
import { workspace as storedWorkspace } from '../../support/workspace.ts';
import { FakeKube } from './fake-kube.ts';

const NOW = new Date('2026-11-10T12:00:00.000Z');
const A = 'team-a/dev';
const B = 'team-b/dev';
const ALICE_ID = '22222222-2222-4222-8222-222222222222';

/** The Workspace at `key` (one uid per namespace), with a TTL of an hour as `running()` shows it in Coder. */
function workspace(
  key: string,
  spec: Partial<Workspace['spec']> = {},
  meta: Partial<Workspace['metadata']> = {},
  status?: Workspace['status'],
) {
  const [namespace, name] = key.split('/') as [string, string];
  return storedWorkspace({ ttl: '1h', ...spec }, { name, namespace, uid: `uid-${namespace}`, ...meta }, status);
}

const running = (o: Partial<CoderWorkspace> = {}): CoderWorkspace => {
  const ws = coderWorkspace({ ttl_ms: 3_600_000, ...o });
  return { ...ws, latest_build: { ...ws.latest_build, status: 'running', job: { ...ws.latest_build.job, status: 'succeeded' } } };
};

const connectionIn = (namespace: string) => coderConnection({}, { namespace });

/** Two namespaces, each with its own CoderConnection to the same Coder; the bindings fed from the store as the informer would. */
function setup(resources: Workspace[], listed: CoderWorkspace[] = [], policy: 'Orphan' | 'Delete' = 'Orphan') {
  const log: string[] = [];
  const kube = new FakeKube(log);
  for (const ws of resources) kube.put(ws);
  const coder = new FakeCoder();
  coder.listed = listed;
  coder.created = running();
  const bindings = new WorkspaceBindings();
  const feed = () => {
    for (const [key, ws] of kube.store) bindings.observe(key, ws.status?.id);
  };
  feed();
  const registry = new ConnectionRegistry({ readSecret: () => kube.readSecret(), makeApi: () => coder, logger: pino({ level: 'silent' }) });
  const reconciler = new Reconciler({
    caches: {
      workspace: (k) => kube.get(k),
      coderConnection: (k) => (k === 'team-a/default' || k === 'team-b/default' ? connectionIn(k.split('/')[0]!) : undefined),
      clusterCoderConnection: () => undefined,
      namespaceLabels: () => ({}),
    },
    connections: registry,
    kube,
    settings: { deletionPolicy: policy, now: () => NOW },
    shared: { bindings },
    telemetry: { logger: pino({ level: 'silent' }) },
  });
  const reconcile = async (key: string) => {
    const result = await reconciler.reconcile(key);
    feed();
    return result;
  };
  return { kube, coder, bindings, reconcile, feed };
}

const synced = (ws: Workspace | undefined) => ws?.status?.conditions?.find((c) => c.type === 'Synced');
const writesTo = (coder: FakeCoder, id: string) => coder.writes().filter((c) => c.args[0] === id);

describe('two Workspace resources, one Coder workspace', () => {
  it('two namespaces, same owner + name: the first binds it, the second is Conflict naming the first and writes nothing', async () => {
    // Drift on the existing workspace: a TTL to set back, so a second binder would write too.
    const t = setup([workspace(A), workspace(B, { ttl: '2h' })], [running({ ttl_ms: 1_800_000 })]);
    await t.reconcile(A);
    expect(t.kube.get(A)?.status?.id).toBe(running().id);
    const written = t.coder.writes().length;
    expect(await t.reconcile(B)).toBeUndefined();
    const b = t.kube.get(B)!;
    expect(b.status?.id).toBeUndefined();
    expect(synced(b)).toMatchObject({ status: 'False', reason: 'Conflict' });
    expect(synced(b)?.message).toBe(
      `Coder workspace alice/alice-dev (${running().id}) is already managed by Workspace team-a/dev; ` +
        'this Workspace will not change it. Delete one of the two resources, or give this one another spec.name',
    );
    expect(b.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'Conflict' });
    expect(t.coder.writes().length).toBe(written);
    expect(
      t.kube.events.filter((e) => e.regarding.name === 'dev' && e.regarding.namespace === 'team-b').map((e) => [e.type, e.reason]),
    ).toEqual([['Warning', 'Conflict']]);
    // Quiet: looking again writes nothing anywhere.
    const patches = t.kube.statusPatches.length;
    await t.reconcile(B);
    expect(t.kube.statusPatches.length).toBe(patches);
    expect(t.kube.events.filter((e) => e.regarding.namespace === 'team-b')).toHaveLength(1);
  });

  it('owner by name in one, by UUID in the other: the same workspace, so Conflict', async () => {
    const t = setup([workspace(A), workspace(B, { owner: ALICE_ID, ttl: '2h' })], [running()]);
    await t.reconcile(A);
    await t.reconcile(B);
    expect(synced(t.kube.get(B))?.reason).toBe('Conflict');
    expect(writesTo(t.coder, running().id)).toEqual([]);
  });

  it('reconciled at the same moment: one binds and writes, the other is Conflict (one TTL write in all)', async () => {
    const t = setup([workspace(A), workspace(B)], [running({ ttl_ms: 1_800_000 })]);
    await Promise.all([t.reconcile(A), t.reconcile(B)]);
    expect(t.coder.writes().map((c) => c.method)).toEqual(['setTtl']);
    const reasons = [synced(t.kube.get(A))?.reason, synced(t.kube.get(B))?.reason].sort();
    expect(reasons).toEqual(['Conflict', 'Updated']);
  });

  it('neither exists yet, both reconciled at once: one create, the other Conflict without a Coder call', async () => {
    const t = setup([workspace(A), workspace(B)]);
    await Promise.all([t.reconcile(A), t.reconcile(B)]);
    expect(t.coder.calls.filter((c) => c.method === 'createWorkspace')).toHaveLength(1);
    expect([synced(t.kube.get(A))?.reason, synced(t.kube.get(B))?.reason].sort()).toEqual(['Conflict', 'Created']);
  });

  it('a create refused with 409 whose workspace another Workspace holds (owner by UUID): not adopted, nothing written', async () => {
    const t = setup([workspace(A), workspace(B, { owner: ALICE_ID })], [running()]);
    await t.reconcile(A);
    // B's connection listed before A's workspace existed: B's snapshot does not know it, its create meets 409.
    t.coder.listed = [];
    const t2 = t;
    // The 409 written out, as engine.test.ts's: the message Coder sends is part of what the conflict path reads.
    t2.coder.failures.createWorkspace = new CoderApiError({
      status: 409,
      method: 'POST',
      path: '/api/v2/users/x/workspaces',
      response: { message: 'Workspace "alice-dev" already exists.' },
    });
    t2.coder.found = running();
    await t2.reconcile(B);
    expect(t2.coder.calls.filter((c) => c.method === 'findWorkspace')).toHaveLength(1); // the 409 path ran
    expect(synced(t2.kube.get(B))?.reason).toBe('Conflict');
    expect(t2.kube.get(B)?.status?.id).toBeUndefined();
    expect(writesTo(t2.coder, running().id)).toEqual([]);
  });

  it('bound twice already (before this check): the key that sorts first keeps it, the other lets go', async () => {
    const bound = { id: running().id };
    const t = setup([workspace(B, {}, {}, bound), workspace(A, {}, {}, bound)], [running()]);
    await t.reconcile(B);
    await t.reconcile(A);
    expect(t.kube.get(A)?.status?.id).toBe(running().id);
    expect(synced(t.kube.get(B))?.reason).toBe('Conflict');
    expect(t.kube.get(B)?.status?.id).toBeUndefined();
  });

  it("the second one deleted with deletionPolicy Delete: the first one's workspace is not deleted", async () => {
    const t = setup([workspace(A, { deletionPolicy: 'Delete' }), workspace(B, { deletionPolicy: 'Delete' })], [running()], 'Delete');
    await t.reconcile(A);
    await t.reconcile(B);
    expect(t.kube.get(B)?.metadata.finalizers).toEqual([FINALIZER]);
    t.kube.put({ ...t.kube.get(B)!, metadata: { ...t.kube.get(B)!.metadata, deletionTimestamp: NOW.toISOString() } });
    await t.reconcile(B);
    expect(t.coder.calls.filter((c) => c.method === 'createBuild')).toEqual([]);
    expect(t.kube.get(B)).toBeUndefined(); // finalizer removed, resource gone
    expect(t.kube.events.find((e) => e.regarding.namespace === 'team-b' && e.action === 'Delete')?.note).toContain('not deleted');
    expect(t.kube.get(A)?.status?.id).toBe(running().id);
  });

  it('the holder deleted: the waiting one is named to look again, and then binds it', async () => {
    const t = setup([workspace(A), workspace(B)], [running()]);
    await t.reconcile(A);
    await t.reconcile(B);
    t.kube.store.delete(A);
    expect(t.bindings.forget(A)).toEqual([B]);
    await t.reconcile(B);
    expect(t.kube.get(B)?.status?.id).toBe(running().id);
    expect(synced(t.kube.get(B))?.status).toBe('True');
  });

  it('same namespace, two names for one workspace: Conflict too', async () => {
    const other = 'team-a/dev-copy';
    const t = setup([workspace(A), workspace(other)], [running()]);
    await t.reconcile(A);
    await t.reconcile(other);
    expect(synced(t.kube.get(other))?.message).toContain('managed by Workspace team-a/dev;');
  });
});
