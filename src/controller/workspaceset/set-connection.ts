// Which connection a WorkspaceSet reads its members through, and whom it may
// stamp children for. The set uses the connection its template names
// (spec.template.spec.connectionRef, default the CoderConnection "default"),
// looked up exactly as its children's will be (../connection-lookup.ts): a
// CoderConnection only in the set's own namespace, so one tenant's set never
// reads another namespace's connection or token. A ClusterCoderConnection
// serves the set only when one of its spec.allow rules selects the set's
// namespace, and the members are then cut down to the owners those rules
// list: a tenant must not learn, from the names of children it could never
// use, who else has an account on the deployment. Pure.
import type { Workspace, WorkspaceSet } from '../../api/schema.ts';
import { connectionId, lookupConnection, type ConnectionCaches, type ResolvedConnection } from '../connection/lookup.ts';
import { ruleAllowsOwner, ruleSelects, type OwnerRule } from '../connection/tenancy.ts';

type SetConnection =
  | { ok: true; connection: ResolvedConnection; admits: (username: string) => boolean }
  | { ok: false; reason: 'ConnectionNotReady' | 'Forbidden'; message: string };

export function setConnection(
  set: WorkspaceSet,
  caches: ConnectionCaches,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): SetConnection {
  const namespace = set.metadata.namespace ?? 'default';
  // The lookup reads only the namespace and spec.connectionRef: the template's, as each child will carry it.
  const asChild = {
    metadata: { name: set.metadata.name, namespace },
    spec: { connectionRef: set.spec.template.spec.connectionRef },
  } as unknown as Workspace;
  const found = lookupConnection(asChild, caches);
  if ('missing' in found) return { ok: false, reason: 'ConnectionNotReady', message: found.missing };
  if (found.tenancy.kind === 'CoderConnection') return { ok: true, connection: found, admits: () => true };
  const rules: readonly OwnerRule[] = found.tenancy.allow ?? [];
  const selecting = rules.filter((r) => ruleSelects(r, namespace, namespaceLabels));
  if (selecting.length === 0) {
    const unknown = namespaceLabels === undefined ? ' (its labels are not known yet)' : '';
    return {
      ok: false,
      reason: 'Forbidden',
      message:
        `no spec.allow rule of ClusterCoderConnection "${found.tenancy.name}" selects namespace "${namespace}"${unknown}; ` +
        'a WorkspaceSet reads members only through a connection that serves its namespace',
    };
  }
  return { ok: true, connection: found, admits: (username) => selecting.some((r) => ruleAllowsOwner(r, username)) };
}

/** The id of the connection a set reads through (whether or not it exists): its template's, as its children's. */
export function setConnectionId(set: WorkspaceSet): string {
  const ref = set.spec.template.spec.connectionRef;
  return connectionId(ref?.kind ?? 'CoderConnection', set.metadata.namespace, ref?.name ?? 'default');
}
