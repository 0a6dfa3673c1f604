// What makes a Workspace a set's child: the cache keeps the controller
// ownerReference (and only it), and the index files a Workspace under a set
// only on that reference, whatever labels it carries.
import { describe, expect, it } from 'vitest';
import { trimForCache } from '../../../../src/controller/trim.ts';
import { ChildIndex, setOwnerOf } from '../../../../src/controller/workspaceset/child-index.ts';

const setRef = { apiVersion: 'coderops.dev/v1alpha1', kind: 'WorkspaceSet', name: 'devs', uid: 'set-1', controller: true };

function ws(name: string, ownerReferences?: object[], labels: Record<string, string> = {}) {
  return {
    apiVersion: 'coderops.dev/v1alpha1',
    kind: 'Workspace',
    metadata: { name, namespace: 'team-a', labels, ownerReferences },
  } as never;
}

describe('child index', () => {
  it('the cache keeps the controller ownerReference only', () => {
    const other = { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'cm-1' };
    const trimmed = trimForCache(ws('a', [other, setRef])) as { metadata: { ownerReferences?: unknown } };
    expect(trimmed.metadata.ownerReferences).toEqual([setRef]);
    expect((trimForCache(ws('b', [other])) as { metadata: object }).metadata).not.toHaveProperty('ownerReferences');
  });

  it('files a Workspace under its controlling set only, never by label', () => {
    const index = new ChildIndex();
    expect(index.observe(ws('devs-alice', [setRef]))).toEqual({ uid: 'set-1', key: 'team-a/devs' });
    expect(index.observe(ws('devs-bob', undefined, { 'coderops.dev/workspace-set': 'devs' }))).toBeUndefined();
    expect(index.observe(ws('devs-carol', [{ ...setRef, controller: false }]))).toBeUndefined();
    expect(index.observe(ws('devs-dan', [{ ...setRef, apiVersion: 'example.com/v1' }]))).toBeUndefined();
    expect(index.childrenOf('set-1')).toEqual(['team-a/devs-alice']);
    // Its controller reference removed (an orphaning edit): no longer a child.
    index.observe(ws('devs-alice', []));
    expect(index.childrenOf('set-1')).toEqual([]);
    index.observe(ws('devs-alice', [setRef]));
    expect(index.forget(ws('devs-alice', [setRef]))).toEqual({ uid: 'set-1', key: 'team-a/devs' });
    expect(index.childrenOf('set-1')).toEqual([]);
    expect(setOwnerOf(ws('x', [{ ...setRef, kind: 'Workspace' }]))).toBeUndefined();
  });
});
