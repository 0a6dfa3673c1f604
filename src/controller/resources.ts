// The kinds the operator watches, and the API paths an informer lists and
// watches them at. One descriptor gives both the path and the list call, so
// they cannot disagree about group, version or namespace.
import { GROUP, VERSION } from '../api/schema.ts';

export interface ResourceType {
  /** '' for the core group (/api/v1). */
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export const WORKSPACES: ResourceType = { group: GROUP, version: VERSION, plural: 'workspaces', namespaced: true };
export const CODER_CONNECTIONS: ResourceType = { group: GROUP, version: VERSION, plural: 'coderconnections', namespaced: true };
export const CLUSTER_CODER_CONNECTIONS: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: 'clustercoderconnections',
  namespaced: false,
};
export const NAMESPACES: ResourceType = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };
export const SECRETS: ResourceType = { group: '', version: 'v1', plural: 'secrets', namespaced: true };

/**
 * /apis/G/V/PLURAL, or /apis/G/V/namespaces/NS/PLURAL when limited to one
 * namespace (what RBAC allows an operator limited by --namespaces).
 */
export function resourcePath(type: ResourceType, namespace?: string): string {
  if (namespace !== undefined && !type.namespaced) throw new Error(`${type.plural} is cluster-scoped; it has no namespace`);
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  return namespace === undefined ? `${base}/${type.plural}` : `${base}/namespaces/${encodeURIComponent(namespace)}/${type.plural}`;
}
