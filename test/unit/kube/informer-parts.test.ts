// The informer's pure parts: the cache diff a relist makes, the restart
// backoff, paths, paginated lists, and the per-namespace fan-out.
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { InformerListeners, InformerStats, ResourceInformer } from '../../../src/kube/informer.ts';
import { listAllPages } from '../../../src/kube/listers.ts';
import { MultiNamespaceInformer } from '../../../src/kube/multi-namespace-informer.ts';
import { ObjectCache, objectKey } from '../../../src/kube/object-cache.ts';
import { resourcePath, type ResourceType } from '../../../src/kube/resource-type.ts';
import { DEFAULT_RESTART_BACKOFF, failuresAfterError, restartDelay } from '../../../src/kube/restart-backoff.ts';

const obj = (name: string, rv: string, namespace?: string): KubernetesObject => ({
  metadata: { name, resourceVersion: rv, ...(namespace ? { namespace } : {}) },
});

describe('ObjectCache', () => {
  it('keys by namespace/name, or name when cluster-scoped', () => {
    expect(objectKey(obj('w', '1', 'team'))).toBe('team/w');
    expect(objectKey(obj('conn', '1'))).toBe('conn');
  });

  it('reports only real changes from a watch', () => {
    const cache = new ObjectCache();
    expect(cache.upsert(obj('a', '1', 'n'))?.type).toBe('add');
    expect(cache.upsert(obj('a', '1', 'n'))).toBeUndefined();
    const update = cache.upsert(obj('a', '2', 'n'));
    expect(update).toMatchObject({ type: 'update', old: { metadata: { resourceVersion: '1' } } });
    expect(cache.remove(obj('a', '2', 'n'))?.type).toBe('delete');
    expect(cache.remove(obj('a', '2', 'n'))).toBeUndefined();
  });

  it('diffs a relist against the cache: adds, updates, deletes missed, nothing for unchanged', () => {
    const cache = new ObjectCache();
    cache.replace([obj('same', '1', 'n'), obj('changed', '1', 'n'), obj('gone', '1', 'n')]);
    const events = cache.replace([obj('same', '1', 'n'), obj('changed', '5', 'n'), obj('new', '6', 'n')]);
    expect(events.map((e) => `${e.type} ${objectKey(e.object)}`)).toEqual(['update n/changed', 'add n/new', 'delete n/gone']);
    expect(cache.keys().sort()).toEqual(['n/changed', 'n/new', 'n/same']);
  });
});

describe('restart backoff', () => {
  it('doubles from 1 s to 60 s without jitter', () => {
    const delays = Array.from({ length: 9 }, (_, i) => restartDelay(i, DEFAULT_RESTART_BACKOFF, () => 0));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  it('adds up to 20 % jitter, never past the cap', () => {
    expect(restartDelay(0, DEFAULT_RESTART_BACKOFF, () => 0.999)).toBe(1200);
    expect(restartDelay(5, DEFAULT_RESTART_BACKOFF, () => 0.999)).toBe(38_394);
    expect(restartDelay(6, DEFAULT_RESTART_BACKOFF, () => 0.999)).toBe(60_000);
  });

  it.each([
    { name: 'first error', failures: 0, listedAt: undefined, now: 0, expected: 1 },
    { name: 'error right after a restart whose list failed', failures: 3, listedAt: undefined, now: 500_000, expected: 4 },
    { name: 'error soon after a good list', failures: 3, listedAt: 100_000, now: 130_000, expected: 4 },
    { name: 'error after a healthy minute: reset', failures: 6, listedAt: 100_000, now: 160_000, expected: 1 },
  ])('counts failures: $name', ({ failures, listedAt, now, expected }) => {
    expect(failuresAfterError(failures, listedAt, now, DEFAULT_RESTART_BACKOFF)).toBe(expected);
  });
});

describe('resourcePath', () => {
  const WIDGETS: ResourceType = { group: 'example.dev', version: 'v1', plural: 'widgets', namespaced: true };
  const GADGETS: ResourceType = { group: 'example.dev', version: 'v1', plural: 'gadgets', namespaced: false };
  const NAMESPACES: ResourceType = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };
  const SECRETS: ResourceType = { group: '', version: 'v1', plural: 'secrets', namespaced: true };
  it.each([
    { type: WIDGETS, ns: undefined, path: '/apis/example.dev/v1/widgets' },
    { type: WIDGETS, ns: 'team-a', path: '/apis/example.dev/v1/namespaces/team-a/widgets' },
    { type: WIDGETS, ns: 'a b', path: '/apis/example.dev/v1/namespaces/a%20b/widgets' },
    { type: GADGETS, ns: undefined, path: '/apis/example.dev/v1/gadgets' },
    { type: NAMESPACES, ns: undefined, path: '/api/v1/namespaces' },
    { type: SECRETS, ns: 'ops', path: '/api/v1/namespaces/ops/secrets' },
  ])('$path', ({ type, ns, path }) => expect(resourcePath(type, ns)).toBe(path));

  it('refuses a namespace for a cluster-scoped kind', () => {
    expect(() => resourcePath(NAMESPACES, 'x')).toThrow(/cluster-scoped/);
  });
});

describe('listAllPages', () => {
  it('follows continue tokens (either spelling) and keeps the snapshot resourceVersion', async () => {
    const calls: unknown[] = [];
    const pages: Array<KubernetesListObject<KubernetesObject>> = [
      { items: [obj('a', '1')], metadata: { resourceVersion: '42', _continue: 't1' } },
      { items: [obj('b', '2')], metadata: { resourceVersion: '42', continue: 't2' } as never },
      { items: [obj('c', '3')], metadata: { resourceVersion: '42' } },
    ];
    const list = await listAllPages(
      async (params) => {
        calls.push(params);
        return pages[calls.length - 1]!;
      },
      { labelSelector: 'x=y' },
      1,
    );
    expect(list.items.map((o) => o.metadata?.name)).toEqual(['a', 'b', 'c']);
    expect(list.metadata?.resourceVersion).toBe('42');
    expect(calls).toEqual([
      { labelSelector: 'x=y', limit: 1 },
      { labelSelector: 'x=y', limit: 1, _continue: 't1' },
      { labelSelector: 'x=y', limit: 1, _continue: 't2' },
    ]);
  });

  it('trims each page as it arrives, before the next page is asked for', async () => {
    const heavy = (name: string) =>
      ({ metadata: { name, resourceVersion: '1', managedFields: [{ manager: 'kubectl' }] } }) as KubernetesObject;
    const pages = [
      { items: [heavy('a'), heavy('b')], metadata: { resourceVersion: '7', _continue: 't1' } },
      { items: [heavy('c')], metadata: { resourceVersion: '7' } },
    ];
    const trimmedBefore: number[] = [];
    let trimmed = 0;
    const list = await listAllPages(
      async () => (trimmedBefore.push(trimmed), pages[trimmedBefore.length - 1]!),
      {},
      2,
      (item) => {
        trimmed++;
        delete item.metadata?.managedFields;
      },
    );
    expect(trimmedBefore).toEqual([0, 2]);
    expect(list.items.map((o) => o.metadata)).toEqual([
      { name: 'a', resourceVersion: '1' },
      { name: 'b', resourceVersion: '1' },
      { name: 'c', resourceVersion: '1' },
    ]);
  });
});

/** An informer stand-in holding fixed objects. */
function fixed(objects: KubernetesObject[], synced: boolean): ResourceInformer<KubernetesObject> & { started: boolean } {
  const stats: InformerStats = { lists: 1, errors: 2, restarts: 1, quietRelists: 0, expired: 3, rewatches: 5 };
  const fake = {
    started: false,
    on:
      <E extends keyof InformerListeners<KubernetesObject>>(_e: E, _l: InformerListeners<KubernetesObject>[E]) =>
      () => {},
    start: () => void (fake.started = true),
    stop: async () => {},
    hasSynced: () => synced,
    waitForSync: async () => {},
    get: (key: string) => objects.find((o) => objectKey(o) === key),
    list: () => objects,
    stats: () => stats,
  };
  return fake;
}

describe('MultiNamespaceInformer', () => {
  it('runs one informer per namespace and answers for all of them', () => {
    const made: Array<string | undefined> = [];
    const parts = new Map<string | undefined, ReturnType<typeof fixed>>();
    const multi = new MultiNamespaceInformer(['a', 'b', 'a'], (ns) => {
      made.push(ns);
      const part = fixed([obj(`w-${ns}`, '1', ns)], ns === 'a');
      parts.set(ns, part);
      return part;
    });
    expect(made).toEqual(['a', 'b']);
    expect(multi.namespaces()).toEqual(['a', 'b']);
    multi.start();
    expect([...parts.values()].every((p) => p.started)).toBe(true);
    expect(multi.get('b/w-b')?.metadata?.name).toBe('w-b');
    expect(multi.get('c/w-c')).toBeUndefined();
    expect(multi.list()).toHaveLength(2);
    expect(multi.hasSynced()).toBe(false);
    expect(multi.stats()).toEqual({ lists: 2, errors: 4, restarts: 2, quietRelists: 0, expired: 6, rewatches: 10 });
  });

  it('runs one cluster-wide informer without --namespaces', () => {
    const made: Array<string | undefined> = [];
    const multi = new MultiNamespaceInformer(undefined, (ns) => (made.push(ns), fixed([obj('w', '1', 'x')], true)));
    expect(made).toEqual([undefined]);
    expect(multi.namespaces()).toBeUndefined();
    expect(multi.get('x/w')?.metadata?.name).toBe('w');
    expect(multi.hasSynced()).toBe(true);
  });
});
