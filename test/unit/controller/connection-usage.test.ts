// Issue 18 item 8, at function level: deleting a namespace deletes every
// object in it at once. On main the Secret and the CoderConnection went at
// once, and the Workspaces with deletionPolicy Delete sat in
// ConnectionNotReady with their finalizer (the namespace stuck Terminating).
// Now the connection and its Secret carry finalizers while such a Workspace
// uses them, so the Workspace's delete build runs (here after an operator
// restart, which has to read the Secret again), and both go afterwards.
// The e2e tier runs the same on a real apiserver (test/e2e/namespace-deletion.test.ts).
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { CoderConnection } from '../../../src/api/schema.ts';
import { CoderApiError } from '../../../src/coder/errors.ts';
import { ConnectionReconciler } from '../../../src/controller/connection/reconciler.ts';
import { ConnectionStatusWriter } from '../../../src/controller/connection/status-writer.ts';
import { IN_USE_FINALIZER, ConnectionUsage, secretFinalizerOf } from '../../../src/controller/connection/usage.ts';
import { ConnectionRegistry } from '../../../src/controller/connection/registry.ts';
import { FINALIZER } from '../../../src/controller/workspace/decide.ts';
import { Reconciler } from '../../../src/controller/workspace/reconciler.ts';
import { coderWorkspace, FakeCoder } from '../engine/fake-coder.ts';
import { coderConnection } from '../../support/coder-connection.ts';
import { workspace as storedWorkspace } from '../../support/workspace.ts';
import { FakeKube } from './fake-kube.ts';

const KEY = 'team-a/dev';
const ID = 'CoderConnection/team-a/default';
const SECRET = 'team-a/coder';
const NOW = new Date('2026-11-10T12:00:00.000Z');

const workspace = (policy: 'Delete' | 'Orphan') => storedWorkspace({ deletionPolicy: policy }, { uid: 'uid-ws' });

const connection = coderConnection({}, { uid: 'uid-conn', resourceVersion: '1' });

/** The operator's two reconcilers over one store, as operator.ts wires them (unsharded). */
function operator(kube: FakeKube, coder: FakeCoder) {
  const logger = pino({ level: 'silent' });
  const registry = new ConnectionRegistry({
    // A restarted operator reads the Secret again: it must still be there.
    readSecret: async (ns, name) => {
      if ((await kube.secretFinalizers(ns, name)) === undefined) throw new Error(`Secret ${ns}/${name} not found`);
      return kube.readSecret();
    },
    makeApi: () => coder,
    logger,
  });
  const usage = new ConnectionUsage(kube);
  const caches = {
    coderConnection: (k: string) => (k === 'team-a/default' ? (kube.connections.get(ID) as CoderConnection | undefined) : undefined),
    clusterCoderConnection: () => undefined,
  };
  const reconciler = new Reconciler({
    caches: { workspace: (k) => kube.get(k), ...caches, namespaceLabels: () => ({}) },
    connections: registry,
    kube,
    settings: { deletionPolicy: 'Orphan', now: () => NOW },
    shared: { usage },
    telemetry: { logger },
  });
  const connections = new ConnectionReconciler({
    ...caches,
    connections: registry,
    statusWriter: new ConnectionStatusWriter(kube, logger),
    usage,
    neededForDelete: () => [...kube.store.values()].some((ws) => ws.spec.deletionPolicy === 'Delete'),
    now: () => NOW,
  });
  return { reconciler, connections };
}

/** What the namespace controller does: every object gets deleted; those without finalizers go at once. */
async function deleteNamespace(kube: FakeKube): Promise<void> {
  const at = NOW.toISOString();
  const ws = kube.get(KEY);
  if (ws?.metadata.finalizers?.length) kube.put({ ...ws, metadata: { ...ws.metadata, deletionTimestamp: at } });
  else kube.store.delete(KEY);
  const c = kube.connections.get(ID);
  if (c?.metadata.finalizers?.length) kube.connections.set(ID, { ...c, metadata: { ...c.metadata, deletionTimestamp: at } } as typeof c);
  else kube.connections.delete(ID);
  const s = await kube.secretFinalizers('team-a', 'coder');
  if (s?.finalizers.length) kube.secrets.set(SECRET, { ...s, deleting: true });
  else kube.goneSecrets.add(SECRET);
}

describe('a namespace with a Delete-policy Workspace goes away cleanly', () => {
  it('the connection and its Secret outlive the Workspace: its delete build runs, then both go', async () => {
    const kube = new FakeKube([]);
    kube.put(workspace('Delete'));
    kube.connections.set(ID, connection);
    const coder = new FakeCoder();
    coder.created = coderWorkspace();
    await operator(kube, coder).reconciler.reconcile(KEY);
    expect(kube.get(KEY)?.metadata.finalizers).toEqual([FINALIZER]);
    expect(kube.connections.get(ID)?.metadata.finalizers).toEqual([IN_USE_FINALIZER]);
    expect((await kube.secretFinalizers('team-a', 'coder'))?.finalizers).toEqual([secretFinalizerOf(ID)]);

    coder.listed = [coder.created]; // Coder now lists the workspace it made

    await deleteNamespace(kube);
    // The operator restarts meanwhile: nothing in memory, the Secret is read again.
    const after = operator(kube, coder);
    expect(await after.connections.reconcile(ID)).toBeUndefined();
    expect(kube.connections.get(ID), 'still needed by the Workspace').toBeDefined();
    await after.reconciler.reconcile(KEY);
    expect(coder.writes().map((c) => [c.method, c.args[1]])).toContainEqual(['createBuild', { transition: 'delete' }]);
    coder.failures.getWorkspace = new CoderApiError({ status: 410, method: 'GET', path: '/x', response: { message: 'deleted' } });
    await after.reconciler.reconcile(KEY);
    expect(kube.get(KEY), 'the Workspace is gone once Coder has no workspace').toBeUndefined();

    // The Workspace's deletion enqueues its connection (operator.ts): no longer needed, both go, Secret first.
    kube.log.length = 0;
    await after.connections.reconcile(ID);
    expect(kube.log.filter((l) => l.startsWith('kube:finalizers'))).toEqual(['kube:finalizers:Secret', 'kube:finalizers:CoderConnection']);
    expect(await kube.secretFinalizers('team-a', 'coder')).toBeUndefined();
    expect(kube.connections.get(ID)).toBeUndefined();
  });

  it('only Orphan Workspaces: nothing is kept, no finalizer anywhere', async () => {
    const kube = new FakeKube([]);
    kube.put(workspace('Orphan'));
    kube.connections.set(ID, connection);
    const op = operator(kube, new FakeCoder());
    await op.reconciler.reconcile(KEY);
    await op.connections.reconcile(ID);
    expect(kube.connections.get(ID)?.metadata.finalizers).toBeUndefined();
    expect((await kube.secretFinalizers('team-a', 'coder'))?.finalizers).toEqual([]);
  });

  it('a connection already being deleted takes no new dependant: the create waits, nothing is made in Coder', async () => {
    const kube = new FakeKube([]);
    kube.put(workspace('Delete'));
    kube.connections.set(ID, {
      ...connection,
      metadata: { ...connection.metadata, deletionTimestamp: NOW.toISOString(), finalizers: ['other'] },
    });
    const coder = new FakeCoder();
    await expect(operator(kube, coder).reconciler.reconcile(KEY)).rejects.toThrow(
      'CoderConnection/team-a/default is being deleted; no new Workspace with deletionPolicy Delete may start to depend on it',
    );
    expect(coder.writes()).toEqual([]);
  });
});
