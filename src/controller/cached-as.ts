// Objects from an informer's cache as their schema types (src/api/schema.ts).
// The cache holds what the API server sent, as JSON: metadata.deletionTimestamp
// is an RFC 3339 string there, where client-node's KubernetesObject says Date.
// The two types do not overlap, so the cast goes through unknown: once, here.
import type { KubernetesObject } from '@kubernetes/client-node';

/** One cached object as the kind its informer watches. */
export function cachedAs<T extends { kind: string }>(obj: KubernetesObject): T {
  return obj as unknown as T;
}

/** A cache listing as the kind its informer watches. */
export function cachedListAs<T extends { kind: string }>(objs: KubernetesObject[]): T[] {
  return objs as unknown as T[];
}
