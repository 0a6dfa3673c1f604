// From a Workspace's spec.connectionRef to the connection object in the cache
// and what tenancy needs to know about it. Default (DESIGN.md): the
// CoderConnection named "default" in the Workspace's namespace.
import type { ClusterCoderConnection, CoderConnection, Workspace } from '../api/schema.ts';
import type { ConnectionRef } from './connections.ts';
import type { TenancyInput } from './tenancy.ts';

export type AnyConnection = CoderConnection | ClusterCoderConnection;

export interface ResolvedConnection {
  ref: ConnectionRef;
  object: AnyConnection;
  tenancy: TenancyInput['connection'];
}

export interface ConnectionCaches {
  coderConnection(key: string): CoderConnection | undefined;
  clusterCoderConnection(name: string): ClusterCoderConnection | undefined;
}

export function connectionId(kind: AnyConnection['kind'], namespace: string | undefined, name: string): string {
  return kind === 'CoderConnection' ? `CoderConnection/${namespace}/${name}` : `ClusterCoderConnection/${name}`;
}

/** The id of the connection a Workspace uses (whether or not it exists). */
export function connectionIdOf(ws: Workspace): string {
  const ref = ws.spec.connectionRef;
  return connectionId(ref?.kind ?? 'CoderConnection', ws.metadata.namespace, ref?.name ?? 'default');
}

export function lookupConnection(ws: Workspace, caches: ConnectionCaches): ResolvedConnection | { missing: string } {
  const ns = ws.metadata.namespace ?? 'default';
  const kind = ws.spec.connectionRef?.kind ?? 'CoderConnection';
  const name = ws.spec.connectionRef?.name ?? 'default';
  if (kind === 'CoderConnection') {
    const object = caches.coderConnection(`${ns}/${name}`);
    if (!object) return { missing: `CoderConnection "${name}" not found in namespace "${ns}"${ws.spec.connectionRef ? '' : ' (spec.connectionRef defaults to the CoderConnection named "default")'}` };
    return {
      object,
      ref: { id: connectionId(kind, ns, name), kind, name, secretNamespace: ns, spec: object.spec },
      tenancy: { kind, namespace: ns, name },
    };
  }
  const object = caches.clusterCoderConnection(name);
  if (!object) return { missing: `ClusterCoderConnection "${name}" not found` };
  return {
    object,
    // The schema requires the namespace on a ClusterCoderConnection's Secret reference.
    ref: { id: connectionId(kind, undefined, name), kind, name, secretNamespace: object.spec.tokenSecretRef.namespace ?? 'default', spec: object.spec },
    tenancy: { kind, name, allow: object.spec.allow },
  };
}
