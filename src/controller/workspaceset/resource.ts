// The WorkspaceSet kind as the controller lists and watches it, and what its
// cache keeps of each set: the trimmed metadata every kind keeps (../trim.ts)
// plus the one annotation only a set reads, the acknowledgement of held
// removals (./acknowledge.ts).
import type { KubernetesObject } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../api/schema.ts';
import type { ResourceType } from '../../kube/resource-type.ts';
import { trimForCache } from '../trim.ts';
import { ACKNOWLEDGE_REMOVALS } from './acknowledge.ts';

export const WORKSPACE_SETS: ResourceType = { group: GROUP, version: VERSION, plural: 'workspacesets', namespaced: true };

export function trimSetForCache<T extends KubernetesObject>(obj: T): T {
  const acknowledged = obj.metadata?.annotations?.[ACKNOWLEDGE_REMOVALS];
  trimForCache(obj);
  if (acknowledged !== undefined && obj.metadata)
    obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [ACKNOWLEDGE_REMOVALS]: acknowledged };
  return obj;
}
