// The informer's cache: objects by key, and the events a change makes. A
// relist is diffed against it, so restarting a watch or relisting after a
// stall reports only what really changed (adds, updates, deletes missed while
// the watch was down), never a flood of spurious adds.
import type { KubernetesObject } from '@kubernetes/client-node';

export type CacheEvent<T> = { type: 'add'; object: T } | { type: 'update'; object: T; old: T } | { type: 'delete'; object: T };

/** "namespace/name", or "name" for cluster-scoped objects (client-go's MetaNamespaceKeyFunc). */
export function objectKey(obj: KubernetesObject): string {
  const name = obj.metadata?.name ?? '';
  const namespace = obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

export class ObjectCache<T extends KubernetesObject> {
  readonly #objects = new Map<string, T>();

  get(key: string): T | undefined {
    return this.#objects.get(key);
  }

  list(): T[] {
    return [...this.#objects.values()];
  }

  keys(): string[] {
    return [...this.#objects.keys()];
  }

  get size(): number {
    return this.#objects.size;
  }

  /** A watch ADDED/MODIFIED: an event unless the cache already has this resourceVersion. */
  upsert(object: T): CacheEvent<T> | undefined {
    const key = objectKey(object);
    const old = this.#objects.get(key);
    if (old && sameVersion(old, object)) return undefined;
    this.#objects.set(key, object);
    return old ? { type: 'update', object, old } : { type: 'add', object };
  }

  /** A watch DELETED: reports the last state the cache had. */
  remove(object: T): CacheEvent<T> | undefined {
    const key = objectKey(object);
    const old = this.#objects.get(key);
    if (!old) return undefined;
    this.#objects.delete(key);
    return { type: 'delete', object };
  }

  /** A full list replaces the cache; the events say how it differed. */
  replace(items: readonly T[]): Array<CacheEvent<T>> {
    const events: Array<CacheEvent<T>> = [];
    const seen = new Set<string>();
    for (const item of items) {
      seen.add(objectKey(item));
      const event = this.upsert(item);
      if (event) events.push(event);
    }
    for (const [key, old] of this.#objects) {
      if (seen.has(key)) continue;
      this.#objects.delete(key);
      events.push({ type: 'delete', object: old });
    }
    return events;
  }
}

function sameVersion(a: KubernetesObject, b: KubernetesObject): boolean {
  const rv = a.metadata?.resourceVersion;
  return rv !== undefined && rv !== '' && rv === b.metadata?.resourceVersion;
}
