// Reads and writes the election's Lease (coordination.k8s.io/v1). Updates
// carry the resourceVersion last read, so of two candidates writing at once
// exactly one succeeds; the other gets 409 and LeaseConflictError.
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiException, kubeRequest } from '../kube/api-request.ts';
import { recordFromSpec, specFromRecord, type LeaseRecord, type LeaseSpecLike } from './lease-record.ts';

/** A Lease as the apiserver sends it (raw JSON: MicroTimes are strings). */
interface RawLease {
  metadata?: { resourceVersion?: string };
  spec?: LeaseSpecLike;
}

export class LeaseConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseConflictError';
  }
}

export interface ObservedLease {
  record: LeaseRecord;
  resourceVersion: string;
}

export interface LeaseClient {
  /** undefined when the Lease does not exist. */
  get(): Promise<ObservedLease | undefined>;
  /** Returns the new resourceVersion; LeaseConflictError if it exists already. */
  create(record: LeaseRecord): Promise<string>;
  /** Returns the new resourceVersion; LeaseConflictError if someone wrote since resourceVersion. */
  update(record: LeaseRecord, resourceVersion: string): Promise<string>;
  /** namespace/name, for logs. */
  readonly name: string;
}

export function kubeLeaseClient(kubeConfig: KubeConfig, namespace: string, name: string): LeaseClient {
  const leases = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  const path = `${leases}/${encodeURIComponent(name)}`;
  const body = (record: LeaseRecord, resourceVersion?: string) => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) },
    // MicroTime strings (./lease-record.ts), sent as they are.
    spec: specFromRecord(record),
  });
  const rv = (lease: RawLease) => lease.metadata?.resourceVersion ?? '';
  return {
    name: `${namespace}/${name}`,
    async get() {
      try {
        const lease = await kubeRequest<RawLease>(kubeConfig, { method: 'GET', path });
        return { record: recordFromSpec(lease.spec), resourceVersion: rv(lease) };
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return undefined;
        throw error;
      }
    },
    async create(record) {
      try {
        return rv(await kubeRequest<RawLease>(kubeConfig, { method: 'POST', path: leases, body: body(record) }));
      } catch (error) {
        throw conflict(error, 'the lease was created by someone else');
      }
    },
    async update(record, resourceVersion) {
      try {
        return rv(await kubeRequest<RawLease>(kubeConfig, { method: 'PUT', path, body: body(record, resourceVersion) }));
      } catch (error) {
        throw conflict(error, 'the lease was written by someone else since it was read');
      }
    },
  };
}

function conflict(error: unknown, message: string): unknown {
  return error instanceof ApiException && error.code === 409 ? new LeaseConflictError(message) : error;
}
