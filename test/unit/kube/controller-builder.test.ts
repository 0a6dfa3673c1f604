// The builder's event filters: which informer events enqueue which keys.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ControllerBuilder } from '../../../src/kube/controller-builder.ts';
import type { InformerListeners, ResourceInformer } from '../../../src/kube/informer.ts';
import {
  annotationChanged,
  anyOf,
  deletionChanged,
  finalizersChanged,
  generationChanged,
  labelsChanged,
  type UpdatePredicate,
} from '../../../src/kube/predicates.ts';

/** An informer whose events the test fires by hand. */
function fakeInformer() {
  const listeners: { [E in keyof InformerListeners<KubernetesObject>]: InformerListeners<KubernetesObject>[E][] } = {
    add: [],
    update: [],
    delete: [],
  };
  const informer = {
    on: (event: keyof typeof listeners, listener: never) => {
      (listeners[event] as unknown[]).push(listener);
      return () => {};
    },
  } as unknown as ResourceInformer<KubernetesObject>;
  return {
    informer,
    add: (o: KubernetesObject, inInitialList = false) => listeners.add.forEach((l) => l(o, { inInitialList })),
    update: (o: KubernetesObject, old: KubernetesObject) => listeners.update.forEach((l) => l(o, old)),
    delete: (o: KubernetesObject) => listeners.delete.forEach((l) => l(o)),
  };
}

function recorder() {
  const added: Array<[string, number | undefined]> = [];
  return { added, queue: { add: (key: string, priority?: number) => void added.push([key, priority]) } };
}

const obj = (meta: KubernetesObject['metadata'] = {}): KubernetesObject => ({ metadata: { name: 'dev', namespace: 'team-a', ...meta } });

describe('predicates', () => {
  const base = obj({ generation: 1, labels: { a: '1' }, finalizers: ['f'], annotations: { x: '1' } });
  it.each([
    ['generationChanged', generationChanged, { generation: 2 }],
    ['deletionChanged', deletionChanged, { deletionTimestamp: new Date(0) }],
    ['finalizersChanged', finalizersChanged, { finalizers: ['f', 'g'] }],
    ['labelsChanged', labelsChanged, { labels: { a: '2' } }],
    ['annotationChanged(x)', annotationChanged('x'), { annotations: { x: '2' } }],
  ] as Array<[string, UpdatePredicate, KubernetesObject['metadata']]>)('%s: true for its own change only', (_, predicate, change) => {
    expect(predicate(obj({ ...base.metadata, ...change }), base)).toBe(true);
    expect(predicate(obj({ ...base.metadata }), base)).toBe(false);
    // A status write (a new resourceVersion, nothing else) passes none of them.
    expect(predicate(obj({ ...base.metadata, resourceVersion: '9' }), base)).toBe(false);
  });

  it('compares labels and finalizers by value, not by order of keys or by identity', () => {
    expect(labelsChanged(obj({ labels: { a: '1', b: '2' } }), obj({ labels: { b: '2', a: '1' } }))).toBe(false);
    expect(labelsChanged(obj({ labels: { a: '1' } }), obj({}))).toBe(true);
    expect(labelsChanged(obj({ labels: { a: '1' } }), obj({ labels: { b: '1' } }))).toBe(true);
    expect(finalizersChanged(obj({ finalizers: ['a', 'b'] }), obj({ finalizers: ['b', 'a'] }))).toBe(true);
    expect(annotationChanged('y')(obj({ annotations: { x: '2' } }), obj({ annotations: { x: '1' } }))).toBe(false);
    expect(anyOf(generationChanged, labelsChanged)(obj({ labels: { a: '1' } }), obj({}))).toBe(true);
  });
});

describe('ControllerBuilder', () => {
  it('for: the key of every add and delete; an update only when the filter passes; the first list at its priority', () => {
    const r = recorder();
    const f = fakeInformer();
    new ControllerBuilder(r.queue).for(f.informer, {
      key: (o) => `${o.metadata?.namespace}/${o.metadata?.name}`,
      update: generationChanged,
      initialListPriority: -1,
    });
    f.add(obj(), true);
    f.add(obj());
    f.update(obj({ generation: 1, resourceVersion: '2' }), obj({ generation: 1 }));
    f.update(obj({ generation: 2 }), obj({ generation: 1 }));
    f.delete(obj());
    expect(r.added).toEqual([
      ['team-a/dev', -1],
      ['team-a/dev', undefined],
      ['team-a/dev', undefined],
      ['team-a/dev', undefined],
    ]);
  });

  it('watches: the mapped keys, with adds and deletes off when asked', () => {
    const r = recorder();
    const f = fakeInformer();
    new ControllerBuilder(r.queue).watches(f.informer, {
      map: (o) => [`${o.metadata?.name}/a`, `${o.metadata?.name}/b`],
      update: labelsChanged,
      add: false,
      delete: false,
    });
    f.add(obj());
    f.delete(obj());
    f.update(obj({ labels: { x: '1' } }), obj({ labels: { x: '1' } }));
    expect(r.added).toEqual([]);
    f.update(obj({ labels: { x: '2' } }), obj({ labels: { x: '1' } }));
    expect(r.added.map(([k]) => k)).toEqual(['dev/a', 'dev/b']);
  });
});
