// What the informer caches keep of each object. A Workspace as the apiserver
// sends it carries metadata.managedFields (one entry per field manager: the
// user's server-side apply, our finalizer and status patches), often the
// kubectl last-applied-configuration annotation (a second copy of the spec),
// creationTimestamp and so on; the benchmark measured ~14 KB of heap per cached
// Workspace. The operator reads none of that, so it is dropped as each object
// comes in from a list or a watch event, like client-go's informer transforms.
//
// Kept: identity (name, namespace, uid), resourceVersion (the cache compares
// it; the watch resumes from it), generation (observedGeneration), deletionTimestamp and
// finalizers (deletion), labels (Namespace labels for tenancy; Workspace label
// changes re-enqueue), the coderops.dev/reconcile-requested-at annotation and
// a connection's coderops.dev/resume-rollout (controller/workspace/rollout.ts), and the
// controller ownerReference (a WorkspaceSet's children: the set acts on a child
// only on this positive evidence, workspaceset/child-index.ts).
// Everything outside metadata (spec, status) is kept whole.
import type { KubernetesObject, V1ObjectMeta } from '@kubernetes/client-node';
import { RECONCILE_REQUESTED_AT } from './workspace/reconcile-request.ts';
import { RESUME_ROLLOUT } from './workspace/rollout.ts';

type Kept = Pick<
  V1ObjectMeta,
  | 'name'
  | 'namespace'
  | 'uid'
  | 'resourceVersion'
  | 'generation'
  | 'deletionTimestamp'
  | 'finalizers'
  | 'labels'
  | 'annotations'
  | 'ownerReferences'
>;

/**
 * Replaces obj.metadata with the fields the operator reads, in place (the
 * informer caches the object it was handed, and the lister trims each page
 * as it arrives). A fresh metadata object rather than `delete`, which would
 * leave V8 a slower, larger dictionary-mode object.
 */
export function trimForCache<T extends KubernetesObject>(obj: T): T {
  const m = obj.metadata;
  if (!m) return obj;
  const kept: Kept = {};
  if (m.name !== undefined) kept.name = m.name;
  if (m.namespace !== undefined) kept.namespace = m.namespace;
  if (m.uid !== undefined) kept.uid = m.uid;
  if (m.resourceVersion !== undefined) kept.resourceVersion = m.resourceVersion;
  if (m.generation !== undefined) kept.generation = m.generation;
  if (m.deletionTimestamp !== undefined) kept.deletionTimestamp = m.deletionTimestamp;
  if (m.finalizers !== undefined) kept.finalizers = m.finalizers;
  if (m.labels !== undefined) kept.labels = m.labels;
  // Only the controller reference: who manages the object, nothing about other owners.
  const controller = m.ownerReferences?.filter((r) => r.controller === true);
  if (controller && controller.length > 0) kept.ownerReferences = controller;
  // Of the annotations, only the reconcile request (reconcile-request.ts) and the rollout resume.
  const annotations: Record<string, string> = {};
  for (const name of [RECONCILE_REQUESTED_AT, RESUME_ROLLOUT]) {
    const value = m.annotations?.[name];
    if (value !== undefined) annotations[name] = value;
  }
  if (Object.keys(annotations).length > 0) kept.annotations = annotations;
  obj.metadata = kept;
  return obj;
}
