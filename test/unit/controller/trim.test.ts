// What the informer caches keep of each object: the metadata the operator
// reads, nothing of managedFields or annotations; spec and status whole.
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ResilientInformer } from '../../../src/kube/informer.ts';
import { trimForCache } from '../../../src/controller/trim.ts';
import { fakeClock } from '../kube/fake-clock.ts';

const managedFields = [
  {
    manager: 'kubectl',
    operation: 'Apply',
    apiVersion: 'coderops.dev/v1alpha1',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:spec': { 'f:owner': {}, 'f:template': {} } },
  },
  { manager: 'cwo', operation: 'Update', subresource: 'status', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:conditions': {} } } },
];

function incoming(): KubernetesObject & { spec: unknown; status: unknown } {
  return {
    apiVersion: 'coderops.dev/v1alpha1',
    kind: 'Workspace',
    metadata: {
      name: 'ws-1',
      namespace: 'team',
      uid: 'u-1',
      resourceVersion: '42',
      generation: 3,
      creationTimestamp: new Date('2026-01-01T00:00:00Z'),
      deletionTimestamp: new Date('2026-01-02T00:00:00Z'),
      finalizers: ['coderops.dev/finalizer'],
      labels: { team: 'a' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"spec":{"owner":"dev0"}}' },
      managedFields: managedFields as never,
      ownerReferences: [],
    },
    spec: { owner: 'dev0', template: 't', ttl: '8h' },
    status: { observedGeneration: 3, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

describe('trimForCache', () => {
  it.each([
    [
      'a full Workspace',
      incoming(),
      {
        name: 'ws-1',
        namespace: 'team',
        uid: 'u-1',
        resourceVersion: '42',
        generation: 3,
        deletionTimestamp: new Date('2026-01-02T00:00:00Z'),
        finalizers: ['coderops.dev/finalizer'],
        labels: { team: 'a' },
      },
    ],
    ['a cluster-scoped object with only a name', { metadata: { name: 'conn', managedFields: managedFields as never } }, { name: 'conn' }],
    ['no metadata', {}, undefined],
  ] as Array<[string, KubernetesObject, unknown]>)('%s: keeps only what the operator reads', (_name, obj, metadata) => {
    const trimmed = trimForCache(obj);
    expect(trimmed).toBe(obj); // in place: ListWatch holds the same reference
    expect(trimmed.metadata).toEqual(metadata);
  });

  it('leaves spec and status whole', () => {
    const before = incoming();
    const { spec, status } = before;
    const after = trimForCache(before) as typeof before;
    expect(after.spec).toBe(spec);
    expect(after.status).toBe(status);
    expect(after.apiVersion).toBe('coderops.dev/v1alpha1');
  });
});

describe('ResilientInformer with trim', () => {
  it('caches listed objects trimmed', async () => {
    // No apiserver: the list is a fake, and the watch that follows fails (and waits on the fake clock).
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromClusterAndUser({ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: false }, { name: 'u' });
    let listed: KubernetesObject | undefined;
    const informer = new ResilientInformer<KubernetesObject>({
      kubeConfig,
      path: '/apis/coderops.dev/v1alpha1/workspaces',
      list: async () => ({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '42' }, items: [(listed = incoming())] }),
      logger: pino({ level: 'silent' }),
      clock: fakeClock(),
      trim: trimForCache,
    });
    informer.start();
    await informer.waitForSync();
    const cached = informer.get('team/ws-1');
    expect(cached).toBe(listed);
    expect(cached?.metadata?.managedFields).toBeUndefined();
    expect(cached?.metadata?.annotations).toBeUndefined();
    expect(cached?.metadata?.resourceVersion).toBe('42');
    await informer.stop();
  });
});
