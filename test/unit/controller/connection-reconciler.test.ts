// Connections report their own status (issue 10 item 5): a CoderConnection
// that no Workspace uses yet is checked and gets Ready with the Coder version
// and observedGeneration; a second look writes nothing; a Secret that is not
// labelled is Ready=False with the fix and looked at again soon; a deleted
// connection's runtime is forgotten.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ClusterCoderConnection, CoderConnection } from '../../../src/api/schema.ts';
import { CoderApiError } from '../../../src/coder/errors.ts';
import { ConnectionReconciler } from '../../../src/controller/connection/reconciler.ts';
import { ConnectionStatusWriter } from '../../../src/controller/connection/status-writer.ts';
import { ConnectionRegistry } from '../../../src/controller/connection/registry.ts';
import { coderWorkspace, FakeCoder } from '../engine/fake-coder.ts';
import { clusterCoderConnection, coderConnection } from '../../support/coder-connection.ts';
import { CLUSTER_TEST_URLS, FakeKube } from './fake-kube.ts';

const NOW = new Date('2026-11-10T12:00:00.000Z');
const ID = 'CoderConnection/team-a/default';
const CLUSTER_ID = 'ClusterCoderConnection/shared';

const connection = coderConnection({}, { generation: 3 });
const cluster = clusterCoderConnection();

function setup() {
  const log: string[] = [];
  const kube = new FakeKube(log);
  kube.secretAnnotations = CLUSTER_TEST_URLS;
  kube.connections.set(ID, connection);
  kube.connections.set(CLUSTER_ID, cluster);
  const coder = new FakeCoder();
  coder.listed = [coderWorkspace()];
  const secretReads: string[] = [];
  const logger = pino({ level: 'silent' });
  const registry = new ConnectionRegistry({
    readSecret: async (ns, name) => (secretReads.push(`${ns}/${name}`), kube.readSecret()),
    makeApi: () => coder,
    logger,
  });
  const reconciler = new ConnectionReconciler({
    coderConnection: (key) => kube.connections.get(`CoderConnection/${key}`) as CoderConnection | undefined,
    clusterCoderConnection: (name) => kube.connections.get(`ClusterCoderConnection/${name}`) as ClusterCoderConnection | undefined,
    connections: registry,
    statusWriter: new ConnectionStatusWriter(kube, logger),
    now: () => NOW,
  });
  return { kube, coder, registry, reconciler, secretReads, status: (id = ID) => kube.connections.get(id)?.status };
}

const ready = (status: { conditions?: Array<{ type: string }> } | undefined) => status?.conditions?.find((c) => c.type === 'Ready');

describe('ConnectionReconciler', () => {
  it('a connection no Workspace uses: checked and Ready with the version and observedGeneration, in one write', async () => {
    const t = setup();
    expect(await t.reconciler.reconcile(ID)).toBeUndefined();
    expect(t.coder.calls.map((c) => c.method)).toEqual(['buildInfo', 'getUser', 'listWorkspaces']);
    expect(t.kube.statusPatches).toHaveLength(1);
    expect(t.status()).toEqual({
      observedGeneration: 3,
      version: 'v2.36.1',
      renamesAllowed: true,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Connected',
          message: 'Coder v2.36.1 accepted the token',
          lastTransitionTime: NOW.toISOString(),
          observedGeneration: 3,
        },
      ],
    });
  });

  it('steady state: looking again writes nothing and calls Coder for nothing', async () => {
    const t = setup();
    await t.reconciler.reconcile(ID);
    const calls = t.coder.calls.length;
    for (let i = 0; i < 3; i++) expect(await t.reconciler.reconcile(ID)).toBeUndefined();
    expect(t.kube.statusPatches).toHaveLength(1);
    expect(t.coder.calls.length).toBe(calls);
  });

  it('a ClusterCoderConnection too, its Secret read from the namespace its spec names', async () => {
    const t = setup();
    await t.reconciler.reconcile(CLUSTER_ID);
    expect(t.secretReads).toEqual(['cwo-system/admin']);
    expect(t.kube.statusPatches.map((p) => p.ref)).toEqual([{ kind: 'ClusterCoderConnection', name: 'shared' }]);
    expect(ready(t.status(CLUSTER_ID))).toMatchObject({ status: 'True', reason: 'Connected' });
  });

  it('an unlabelled Secret: Ready=False saying how to label it, no Coder call, looked at again soon; labelled: Ready', async () => {
    const t = setup();
    t.kube.secretLabels = {};
    expect(await t.reconciler.reconcile(ID)).toEqual({ requeueAfter: 15_000 });
    expect(t.coder.calls).toEqual([]);
    expect(ready(t.status())).toMatchObject({ status: 'False', reason: 'SecretNotLabelled' });
    expect(JSON.stringify(t.status())).toContain('kubectl label secret -n team-a coder coderops.dev/secret-type=coder-token');
    expect(JSON.stringify(t.kube.statusPatches)).not.toContain('test-token-0123456789');
    t.kube.secretLabels = { 'coderops.dev/secret-type': 'coder-token' };
    await t.registry.resync([{ id: ID, kind: 'CoderConnection', name: 'default', secretNamespace: 'team-a', spec: connection.spec }]);
    expect(await t.reconciler.reconcile(ID)).toBeUndefined();
    expect(ready(t.status())).toMatchObject({ status: 'True', reason: 'Connected' });
    expect(t.kube.statusPatches).toHaveLength(2);
  });

  it('a refused token: Ready=False Unauthorized, and no requeue (the resync or a change looks again)', async () => {
    const t = setup();
    t.coder.failures.getUser = new CoderApiError({ status: 401, method: 'GET', path: '/api/v2/users/me', response: { message: 'no' } });
    expect(await t.reconciler.reconcile(ID)).toBeUndefined();
    expect(ready(t.status())).toMatchObject({ status: 'False', reason: 'Unauthorized' });
  });

  it('a deleted connection: its runtime is forgotten, nothing written', async () => {
    const t = setup();
    await t.reconciler.reconcile(ID);
    t.kube.connections.delete(ID);
    expect(await t.reconciler.reconcile(ID)).toBeUndefined();
    expect(t.kube.statusPatches).toHaveLength(1);
    // Back again (re-created): a fresh check.
    t.kube.connections.set(ID, connection);
    await t.reconciler.reconcile(ID);
    expect(t.coder.calls.filter((c) => c.method === 'buildInfo')).toHaveLength(2);
  });

  it('the cache not caught up with our write: a later look (another time, another reconciler) writes nothing', async () => {
    const t = setup();
    const rt = await t.registry.runtime({
      id: ID,
      kind: 'CoderConnection',
      name: 'default',
      secretNamespace: 'team-a',
      spec: connection.spec,
    });
    const writer = new ConnectionStatusWriter(t.kube, pino({ level: 'silent' }));
    expect(await writer.write(ID, connection, rt, NOW)).toBe(true);
    // `connection` is the stale cached copy, without the status just written; a second later.
    expect(await writer.write(ID, connection, rt, new Date(NOW.getTime() + 1000))).toBe(false);
    // The same name made again is a new object: its status is written.
    expect(await writer.write(ID, { ...connection, metadata: { ...connection.metadata, uid: 'new' } }, rt, NOW)).toBe(true);
  });
});
