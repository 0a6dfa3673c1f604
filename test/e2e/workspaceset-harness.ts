// Reading WorkspaceSets and their children as a user would (kubectl), for the
// e2e tier (simulator) and the real-coderd tier alike.
import { kubectlOk } from './kubectl.ts';
import { API, condition, eventually } from './operator-harness.ts';

export function workspaceSetDoc(ns: string, name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): object {
  return { apiVersion: API, kind: 'WorkspaceSet', metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) }, spec };
}

export async function getSet(ns: string, name: string): Promise<any> {
  return JSON.parse(await kubectlOk(['get', 'workspacesets.coderops.dev', name, '-n', ns, '-o', 'json']));
}

/** The Workspaces the set controls (by ownerReference uid), by name. */
export async function childrenOf(ns: string, set: any): Promise<Map<string, any>> {
  const list = JSON.parse(await kubectlOk(['get', 'workspaces.coderops.dev', '-n', ns, '-o', 'json']));
  const out = new Map<string, any>();
  for (const ws of list.items)
    if ((ws.metadata.ownerReferences ?? []).some((r: any) => r.controller && r.uid === set.metadata.uid)) out.set(ws.metadata.name, ws);
  return out;
}

/** Waits until the set's status, for its current generation, satisfies ok. */
export async function waitSet(ns: string, name: string, what: string, ok: (set: any) => boolean, timeoutMs = 60_000): Promise<any> {
  let last: any;
  return eventually(
    `WorkspaceSet ${ns}/${name}: ${what}`,
    async () => {
      last = await getSet(ns, name);
      return last.status?.observedGeneration === last.metadata.generation && ok(last) ? last : undefined;
    },
    timeoutMs,
    { detail: () => JSON.stringify(last?.status) },
  );
}

export function setCondition(set: any, type: string) {
  return condition(set, type);
}

/** events.k8s.io/v1 Events about one WorkspaceSet, oldest first. */
export async function setEvents(ns: string, name: string): Promise<any[]> {
  const list = JSON.parse(await kubectlOk(['get', 'events.events.k8s.io', '-n', ns, '-o', 'json']));
  return list.items
    .filter((e: any) => e.regarding?.kind === 'WorkspaceSet' && e.regarding?.name === name)
    .sort((a: any, b: any) => String(a.eventTime).localeCompare(String(b.eventTime)));
}

/** The value a held pass asks for, from its Stalled condition. */
export function acknowledgement(set: any): string | undefined {
  return /coderops\.dev\/acknowledge-removals=(\S+)/.exec(condition(set, 'Stalled')?.message ?? '')?.[1];
}
