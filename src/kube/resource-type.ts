// A kind an informer lists and watches, and the API path it lives at. One
// descriptor gives both the path and the list call (./listers.ts), so they
// cannot disagree about group, version or namespace.

export interface ResourceType {
  /** '' for the core group (/api/v1). */
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

/**
 * /apis/G/V/PLURAL, or /apis/G/V/namespaces/NS/PLURAL when limited to one
 * namespace (what RBAC allows an operator limited to some namespaces).
 */
export function resourcePath(type: ResourceType, namespace?: string): string {
  if (namespace !== undefined && !type.namespaced) throw new Error(`${type.plural} is cluster-scoped; it has no namespace`);
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  return namespace === undefined ? `${base}/${type.plural}` : `${base}/namespaces/${encodeURIComponent(namespace)}/${type.plural}`;
}
