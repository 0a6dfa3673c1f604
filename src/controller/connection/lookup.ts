// From a Workspace's spec.connectionRef to the connection object in the cache
// and what tenancy needs to know about it. Default (docs/architecture.md): the
// CoderConnection named "default" in the Workspace's namespace.
import type { ClusterCoderConnection, CoderConnection, Workspace } from '../../api/schema.ts';
import type { ConnectionRef } from './registry.ts';
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

/** A connection object's id and what the registry needs to build its runtime. */
export function connectionRefOf(object: AnyConnection): ConnectionRef {
  const { name } = object.metadata;
  if (object.kind === 'CoderConnection') {
    const ns = object.metadata.namespace ?? 'default';
    return { id: connectionId('CoderConnection', ns, name), kind: 'CoderConnection', name, secretNamespace: ns, spec: object.spec };
  }
  // The schema requires the namespace on a ClusterCoderConnection's Secret reference.
  return {
    id: connectionId('ClusterCoderConnection', undefined, name),
    kind: 'ClusterCoderConnection',
    name,
    secretNamespace: object.spec.tokenSecretRef.namespace ?? 'default',
    spec: object.spec,
  };
}

/** The object behind a connection id, from the caches; undefined when it is gone. */
export function connectionById(id: string, caches: ConnectionCaches): AnyConnection | undefined {
  const [kind, a, b] = id.split('/');
  if (kind === 'CoderConnection' && a !== undefined && b !== undefined) return caches.coderConnection(`${a}/${b}`);
  if (kind === 'ClusterCoderConnection' && a !== undefined) return caches.clusterCoderConnection(a);
  return undefined;
}

export function lookupConnection(ws: Workspace, caches: ConnectionCaches): ResolvedConnection | { missing: string } {
  const ns = ws.metadata.namespace ?? 'default';
  const kind = ws.spec.connectionRef?.kind ?? 'CoderConnection';
  const name = ws.spec.connectionRef?.name ?? 'default';
  if (kind === 'CoderConnection') {
    const object = caches.coderConnection(`${ns}/${name}`);
    if (!object) {
      const defaulted = ws.spec.connectionRef ? '' : ' (spec.connectionRef defaults to the CoderConnection named "default")';
      return { missing: `CoderConnection "${name}" not found in namespace "${ns}"${defaulted}` };
    }
    return { object, ref: connectionRefOf(object), tenancy: { kind, namespace: ns, name } };
  }
  const object = caches.clusterCoderConnection(name);
  if (!object) return { missing: `ClusterCoderConnection "${name}" not found` };
  return { object, ref: connectionRefOf(object), tenancy: { kind, name, allow: object.spec.allow } };
}
