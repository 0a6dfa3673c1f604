// The kinds the operator watches. Paths and list calls come from their
// descriptors (src/kube/resource-type.ts, src/kube/listers.ts).
import { GROUP, VERSION } from '../api/schema.ts';
import type { ResourceType } from '../kube/resource-type.ts';

export const WORKSPACES: ResourceType = { group: GROUP, version: VERSION, plural: 'workspaces', namespaced: true };
export const CODER_CONNECTIONS: ResourceType = { group: GROUP, version: VERSION, plural: 'coderconnections', namespaced: true };
export const CLUSTER_CODER_CONNECTIONS: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: 'clustercoderconnections',
  namespaced: false,
};
export const NAMESPACES: ResourceType = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };
