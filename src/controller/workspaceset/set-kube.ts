// Every Kubernetes write the WorkspaceSet controller makes, behind one
// interface so its tests count them with a fake: child Workspaces created
// (POST: never over an object that already exists), changed (a merge patch
// carrying the resourceVersion the decision was made on: a concurrent edit is
// a 409 and a retry, never a lost write) and deleted (with a uid
// precondition: the object deleted is the one the decision was about, never a
// namesake made since); the set's status subresource; Events about the set.
// One read: a child that a create found already there, to tell our own child
// the cache has not shown yet from someone else's Workspace.
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION, type Workspace } from '../../api/schema.ts';
import { ApiException, kubeRequest, MERGE_PATCH } from '../../kube/api-request.ts';
import { formatMicroTime } from '../../kube/lease-record.ts';
import { scrubJson } from '../../observability/scrub-json.ts';
import { REPORTING_CONTROLLER } from '../kube-writer.ts';

/** The field manager named in managedFields for everything the set writes. */
export const FIELD_MANAGER = 'coder-workspace-operator-workspaceset';

export interface SetRef {
  namespace: string;
  name: string;
  uid?: string;
}

export interface SetEvent {
  type: 'Normal' | 'Warning';
  /** CamelCase: MemberJoined, MemberLeft, RemovalsHeld, GeneratorFailed, ... */
  reason: string;
  /** What the controller did: Create, Update, Delete, Reconcile. */
  action: string;
  note: string;
}

/** A child as it is to be written: the set's stamp plus the controller ownerReference. */
export interface ChildObject {
  apiVersion: string;
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

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** What a read of one child says about who controls it. */
export interface ChildRead {
  uid: string;
  controllerUid: string | undefined;
}

export interface SetKube {
  /** POST; rejects with a 409 ApiException when a Workspace of that name exists. */
  createChild(child: ChildObject): Promise<void>;
  /** JSON merge patch of a child, conditional on resourceVersion. */
  patchChild(namespace: string, name: string, patch: Record<string, unknown>): Promise<void>;
  /** DELETE with preconditions.uid (and resourceVersion when given): 409 when the object is not that one any more. */
  deleteChild(namespace: string, name: string, uid: string, resourceVersion?: string): Promise<void>;
  /** GET of one child's identity; undefined on 404. */
  readChild(namespace: string, name: string): Promise<ChildRead | undefined>;
  /** Merge patch of the set's status subresource (scrubbed of tokens). */
  patchSetStatus(set: SetRef, patch: Record<string, unknown>): Promise<void>;
  /** An events.k8s.io/v1 Event regarding the set (scrubbed of tokens). */
  setEvent(set: SetRef, event: SetEvent): Promise<void>;
}

function workspacePath(namespace: string, name?: string): string {
  const base = `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/workspaces`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

function setPath(set: SetRef): string {
  return `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(set.namespace)}/workspacesets/${encodeURIComponent(set.name)}`;
}

export function setKube(kc: KubeConfig, instance: string): SetKube {
  const query = { fieldManager: FIELD_MANAGER };
  return {
    async createChild(child) {
      await kubeRequest(kc, { method: 'POST', path: workspacePath(child.metadata.namespace), query, body: child });
    },
    async patchChild(namespace, name, patch) {
      await kubeRequest(kc, { method: 'PATCH', path: workspacePath(namespace, name), query, body: patch, contentType: MERGE_PATCH });
    },
    async deleteChild(namespace, name, uid, resourceVersion) {
      const preconditions = { uid, ...(resourceVersion ? { resourceVersion } : {}) };
      await kubeRequest(kc, {
        method: 'DELETE',
        path: workspacePath(namespace, name),
        body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions, propagationPolicy: 'Background' },
      });
    },
    async readChild(namespace, name) {
      try {
        const ws = await kubeRequest<{ metadata?: { uid?: string; ownerReferences?: OwnerReference[] } }>(kc, {
          method: 'GET',
          path: workspacePath(namespace, name),
        });
        return {
          uid: ws.metadata?.uid ?? '',
          controllerUid: ws.metadata?.ownerReferences?.find((r) => r.controller === true)?.uid,
        };
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return undefined;
        throw error;
      }
    },
    async patchSetStatus(set, patch) {
      await kubeRequest(kc, {
        method: 'PATCH',
        path: `${setPath(set)}/status`,
        body: { status: scrubJson(patch) },
        contentType: MERGE_PATCH,
      });
    },
    async setEvent(set, event) {
      const now = Date.now();
      const body = {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: `${set.name}.${now.toString(16)}${randomBytes(3).toString('hex')}`, namespace: set.namespace },
        eventTime: formatMicroTime(now),
        reportingController: REPORTING_CONTROLLER,
        reportingInstance: instance,
        action: event.action,
        reason: event.reason,
        type: event.type,
        note: scrubJson(event.note).slice(0, 1024),
        regarding: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'WorkspaceSet',
          name: set.name,
          namespace: set.namespace,
          ...(set.uid ? { uid: set.uid } : {}),
        },
      };
      await kubeRequest(kc, {
        method: 'POST',
        path: `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(set.namespace)}/events`,
        body,
      });
    },
  };
}

export function isConflict(error: unknown): boolean {
  return error instanceof ApiException && error.code === 409;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}
