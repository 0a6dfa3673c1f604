// A stamped child as the object written to Kubernetes, and the patch that
// brings an existing child to its stamp. Pure.
//
// The cache keeps a child's spec and labels whole but not its annotations
// (../trim.ts), so the stamp's digest travels as a label: a child whose
// digest label matches was last written from this very stamp, annotations
// included. A template that drops a label or annotation leaves it on existing
// children: a key someone else put there looks the same, and the set never
// takes away what it cannot prove it wrote.
import { createHash } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { API_VERSION, WorkspaceSpec, type Workspace, type WorkspaceSet } from '../../api/schema.ts';
import type { NewObject, OwnerReference } from '../kube-writer.ts';
import { mergePatch } from '../status-patch.ts';
import { SET_KIND } from './child-index.ts';

/** The field manager named in managedFields for every child the set writes. */
export const FIELD_MANAGER = 'coder-workspace-operator-workspaceset';

/** A child as it is to be written: the set's stamp plus the controller ownerReference. */
export interface ChildObject extends NewObject {
  kind: 'Workspace';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences: OwnerReference[];
  };
  spec: Workspace['spec'];
}

/** The digest of the stamp a child was last written from. */
export const STAMP_HASH_LABEL = 'coderops.dev/set-stamp-hash';

/** What a stamp gives for one member: the child's name, labels, annotations and spec. */
interface Stamp {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: Workspace['spec'];
}

/**
 * The stamp with the defaults the apiserver fills in (the CRD's, from the same
 * schema: connectionRef.kind), so a stored child compares equal to the stamp
 * it was written from instead of being rewritten on every pass.
 */
export function withApiDefaults<S extends Stamp>(stamp: S): S {
  return { ...stamp, spec: Value.Default(WorkspaceSpec, structuredClone(stamp.spec)) as Workspace['spec'] };
}

export function stampHash(stamp: Stamp): string {
  const { name: _name, ...content } = stamp;
  return createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 16);
}

/** The child to create: the stamp, its digest label, and the controller reference to the set. */
export function childObject(set: WorkspaceSet, stamp: Stamp): ChildObject {
  const namespace = set.metadata.namespace ?? 'default';
  return {
    apiVersion: API_VERSION,
    kind: 'Workspace',
    metadata: {
      name: stamp.name,
      namespace,
      labels: { ...stamp.labels, [STAMP_HASH_LABEL]: stampHash(stamp) },
      ...(Object.keys(stamp.annotations).length > 0 ? { annotations: stamp.annotations } : {}),
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: SET_KIND,
          name: set.metadata.name,
          uid: set.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: stamp.spec,
  };
}

/**
 * The merge patch that brings a child to its stamp: the stamped labels and
 * annotations set, the spec made equal to the stamp's (fields the stamp does
 * not have sent as null), conditional on the resourceVersion the decision was
 * made on.
 */
export function childPatch(child: Workspace, stamp: Stamp): Record<string, unknown> {
  return {
    metadata: {
      resourceVersion: child.metadata.resourceVersion,
      labels: { ...stamp.labels, [STAMP_HASH_LABEL]: stampHash(stamp) },
      ...(Object.keys(stamp.annotations).length > 0 ? { annotations: stamp.annotations } : {}),
    },
    spec: mergePatch(child.spec as Record<string, unknown>, stamp.spec as Record<string, unknown>),
  };
}

/** JSON with object keys sorted, so equal content always digests alike. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
