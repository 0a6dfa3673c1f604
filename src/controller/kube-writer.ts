// Every write the operator makes to Kubernetes, behind one interface so the
// reconcile tests count them with a fake: the finalizer (merge patch carrying
// resourceVersion, so a concurrent edit is a 409 and a retry, never a lost
// finalizer), status through the status subresource with a merge patch, and
// events.k8s.io/v1 Events. Secrets are read by GET only (RBAC: get, never list).
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/schema.ts';
import { ApiException, kubeRequest, MERGE_PATCH } from '../kube/api-request.ts';
import { formatMicroTime } from '../kube/lease-record.ts';

export const REPORTING_CONTROLLER = 'coderops.dev/coder-workspace-operator';

export interface ObjectRef {
  kind: 'Workspace' | 'CoderConnection' | 'ClusterCoderConnection';
  namespace?: string;
  name: string;
  uid?: string;
}

export interface EventInput {
  regarding: ObjectRef;
  type: 'Normal' | 'Warning';
  /** CamelCase: Created, Adopted, Updated, Deleting, or a condition reason. */
  reason: string;
  /** What the operator did: Create, Update, Delete, Reconcile. */
  action: string;
  note: string;
}

export interface KubeWriter {
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

/** /apis/G/V[/namespaces/NS]/PLURAL/NAME of one of our objects. */
function objectPath(ref: ObjectRef): string {
  const ns = ref.namespace === undefined ? '' : `/namespaces/${encodeURIComponent(ref.namespace)}`;
  return `/apis/${GROUP}/${VERSION}${ns}/${PLURAL[ref.kind]}/${encodeURIComponent(ref.name)}`;
}

/** The object is gone (deleted while we worked). */
export function isKubeNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}
