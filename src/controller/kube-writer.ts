// Every write the operator makes to Kubernetes, behind one interface so the
// reconcile tests count them with a fake and the token scrubbing wraps them
// all in one place (scrubbing-kube-writer.ts): the finalizer (merge patch
// carrying resourceVersion, so a concurrent edit is a 409 and a retry, never
// a lost finalizer), status through the status subresource with a merge
// patch, events.k8s.io/v1 Events, and the objects a WorkspaceSet makes of its
// members: created with POST (never over an object that already exists),
// changed with a merge patch that carries the resourceVersion the decision
// was made on, deleted with a uid precondition (the object deleted is the one
// the decision was about, never a namesake made since). Secrets are read by
// GET only (RBAC: get, never list).
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/schema.ts';
import { ApiException, kubeRequest, MERGE_PATCH } from '../kube/api-request.ts';
import { formatMicroTime } from '../kube/lease-record.ts';

const REPORTING_CONTROLLER = 'coderops.dev/coder-workspace-operator';

export interface ObjectRef {
  kind: 'Workspace' | 'WorkspaceSet' | 'CoderConnection' | 'ClusterCoderConnection';
  namespace?: string;
  name: string;
  uid?: string;
}

export interface EventInput {
  regarding: ObjectRef;
  type: 'Normal' | 'Warning';
  /** CamelCase: Created, Adopted, Updated, Deleting, MemberJoined, MemberLeft, or a condition reason. */
  reason: string;
  /** What the operator did: Create, Update, Delete, Reconcile. */
  action: string;
  note: string;
}

export interface KubeWriter extends ObjectWrites {
  /** Replaces metadata.finalizers, conditional on resourceVersion. */
  setFinalizers(ref: ObjectRef, finalizers: string[], resourceVersion: string | undefined): Promise<void>;
  patchStatus(ref: ObjectRef, patch: Record<string, unknown>): Promise<void>;
  event(input: EventInput): Promise<void>;
  /** One key of one Secret, and the Secret's labels (the opt-in a connection needs, connections.ts). */
  readSecret(namespace: string, name: string, key: string): Promise<SecretRead>;
  /** A Secret's finalizers (connection-usage.ts); undefined when it is gone. */
  secretFinalizers(namespace: string, name: string): Promise<SecretFinalizers | undefined>;
  /** Replaces a Secret's metadata.finalizers, conditional on resourceVersion (never touches its data). */
  setSecretFinalizers(namespace: string, name: string, finalizers: string[], resourceVersion: string | undefined): Promise<void>;
}

/** The writes of whole objects, which only a WorkspaceSet makes (of its children). */
interface ObjectWrites {
  /** POST of a new object; rejects with a 409 ApiException when one of that name exists. */
  create(object: NewObject, opts: WriteOptions): Promise<void>;
  /** JSON merge patch of an object; a metadata.resourceVersion in the patch makes it conditional (409 when stale). */
  patch(ref: ObjectRef, patch: Record<string, unknown>, opts: WriteOptions): Promise<void>;
  /** DELETE with preconditions.uid (and resourceVersion when given): 409 when the object is not that one any more. */
  delete(ref: ObjectRef & { uid: string }, resourceVersion?: string): Promise<void>;
  /** GET of one object's uid and its controller's (the ownerReference with controller: true); undefined on 404. */
  controllerOf(ref: ObjectRef): Promise<ControllerRead | undefined>;
}

/** The writer less the object writes: what a reconciler holds that only writes to objects that exist (finalizers, status, Events). */
export type ExistingObjectWriter = Omit<KubeWriter, keyof ObjectWrites>;

/** An object of one of our kinds as it is to be created. */
export interface NewObject {
  apiVersion: string;
  kind: ObjectRef['kind'];
  metadata: { name: string; namespace?: string; ownerReferences?: OwnerReference[] };
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The field manager the write is recorded under in managedFields. */
interface WriteOptions {
  fieldManager: string;
}

/** What a read of one object says about who controls it. */
interface ControllerRead {
  uid: string;
  controllerUid: string | undefined;
}

export interface SecretFinalizers {
  finalizers: string[];
  resourceVersion: string | undefined;
  deleting: boolean;
}

export interface SecretRead {
  value: string;
  labels: Record<string, string>;
  /** coderops.dev/allowed-urls binds the token to Coder URLs (token-secret.ts). */
  annotations?: Record<string, string>;
}

const PLURAL: Record<ObjectRef['kind'], string> = {
  Workspace: 'workspaces',
  WorkspaceSet: 'workspacesets',
  CoderConnection: 'coderconnections',
  ClusterCoderConnection: 'clustercoderconnections',
};

export function kubeWriter(kc: KubeConfig, instance: string): KubeWriter {
  const mergePatch = (path: string, body: unknown) => kubeRequest(kc, { method: 'PATCH', path, body, contentType: MERGE_PATCH });
  return {
    async setFinalizers(ref, finalizers, resourceVersion) {
      await mergePatch(objectPath(ref), { metadata: { finalizers, ...(resourceVersion ? { resourceVersion } : {}) } });
    },
    async patchStatus(ref, status) {
      await mergePatch(`${objectPath(ref)}/status`, { status });
    },
    async event(input) {
      const namespace = input.regarding.namespace ?? 'default';
      const now = Date.now();
      const body = {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: `${input.regarding.name}.${now.toString(16)}${randomBytes(3).toString('hex')}`, namespace },
        // MicroTime: the apiserver insists on six fractional digits; passed through as a string.
        eventTime: formatMicroTime(now),
        reportingController: REPORTING_CONTROLLER,
        reportingInstance: instance,
        action: input.action,
        reason: input.reason,
        type: input.type,
        note: input.note.slice(0, 1024),
        regarding: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: input.regarding.kind,
          name: input.regarding.name,
          ...(input.regarding.namespace ? { namespace: input.regarding.namespace } : {}),
          ...(input.regarding.uid ? { uid: input.regarding.uid } : {}),
        },
      };
      await kubeRequest(kc, { method: 'POST', path: `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/events`, body });
    },
    async secretFinalizers(namespace, name) {
      try {
        const secret = await kubeRequest<RawSecret>(kc, { method: 'GET', path: secretPath(namespace, name) });
        return {
          finalizers: secret.metadata?.finalizers ?? [],
          resourceVersion: secret.metadata?.resourceVersion,
          deleting: secret.metadata?.deletionTimestamp !== undefined,
        };
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return undefined;
        throw error;
      }
    },
    async setSecretFinalizers(namespace, name, finalizers, resourceVersion) {
      await mergePatch(secretPath(namespace, name), { metadata: { finalizers, ...(resourceVersion ? { resourceVersion } : {}) } });
    },
    async create(object, opts) {
      const ref: ObjectRef = { kind: object.kind, name: object.metadata.name };
      if (object.metadata.namespace !== undefined) ref.namespace = object.metadata.namespace;
      await kubeRequest(kc, { method: 'POST', path: collectionPath(ref), query: { fieldManager: opts.fieldManager }, body: object });
    },
    async patch(ref, patch, opts) {
      await kubeRequest(kc, {
        method: 'PATCH',
        path: objectPath(ref),
        query: { fieldManager: opts.fieldManager },
        body: patch,
        contentType: MERGE_PATCH,
      });
    },
    async delete(ref, resourceVersion) {
      const preconditions = { uid: ref.uid, ...(resourceVersion ? { resourceVersion } : {}) };
      await kubeRequest(kc, {
        method: 'DELETE',
        path: objectPath(ref),
        body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions, propagationPolicy: 'Background' },
      });
    },
    async controllerOf(ref) {
      try {
        const obj = await kubeRequest<{ metadata?: { uid?: string; ownerReferences?: OwnerReference[] } }>(kc, {
          method: 'GET',
          path: objectPath(ref),
        });
        return {
          uid: obj.metadata?.uid ?? '',
          controllerUid: obj.metadata?.ownerReferences?.find((r) => r.controller === true)?.uid,
        };
      } catch (error) {
        if (isKubeNotFound(error)) return undefined;
        throw error;
      }
    },
    async readSecret(namespace, name, key) {
      let secret: RawSecret;
      try {
        const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`;
        secret = await kubeRequest<RawSecret>(kc, { method: 'GET', path });
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) throw new Error(`Secret ${namespace}/${name} not found`);
        if (error instanceof ApiException && error.code === 403)
          throw new Error(`the operator may not read Secret ${namespace}/${name} (403)`);
        throw error;
      }
      const value = secret.data?.[key];
      if (value === undefined) throw new Error(`Secret ${namespace}/${name} has no key "${key}"`);
      return {
        value: Buffer.from(value, 'base64').toString('utf8'),
        labels: secret.metadata?.labels ?? {},
        annotations: secret.metadata?.annotations ?? {},
      };
    },
  };
}

/** A Secret as the apiserver sends it: data values are base64. */
interface RawSecret {
  metadata?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    resourceVersion?: string;
    deletionTimestamp?: string;
  };
  data?: Record<string, string>;
}

function secretPath(namespace: string, name: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`;
}

/** /apis/G/V[/namespaces/NS]/PLURAL of one of our kinds. */
function collectionPath(ref: ObjectRef): string {
  const ns = ref.namespace === undefined ? '' : `/namespaces/${encodeURIComponent(ref.namespace)}`;
  return `/apis/${GROUP}/${VERSION}${ns}/${PLURAL[ref.kind]}`;
}

/** /apis/G/V[/namespaces/NS]/PLURAL/NAME of one of our objects. */
function objectPath(ref: ObjectRef): string {
  return `${collectionPath(ref)}/${encodeURIComponent(ref.name)}`;
}

/** The object is gone (deleted while we worked). */
export function isKubeNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

/** A name already taken, or a precondition (resourceVersion, uid) the object no longer meets. */
export function isKubeConflict(error: unknown): boolean {
  return error instanceof ApiException && error.code === 409;
}
