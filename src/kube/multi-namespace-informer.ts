// One informer per namespace when the operator is limited by --namespaces
// (its RBAC then grants namespaced lists only, so a cluster-wide watch would
// be forbidden), one cluster-wide informer otherwise; the same interface
// either way, so the controller does not care which.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { InformerEvent, InformerListeners, InformerStats, ResourceInformer } from './informer.ts';

export class MultiNamespaceInformer<T extends KubernetesObject> implements ResourceInformer<T> {
  readonly #byNamespace = new Map<string | undefined, ResourceInformer<T>>();

  /**
   * namespaces: undefined or empty means cluster-wide. make(ns) builds the
   * informer for one namespace (ns undefined: all namespaces), e.g. with
   * resourcePath(WORKSPACES, ns) and listerFor(kc, WORKSPACES, ns).
   */
  constructor(namespaces: readonly string[] | undefined, make: (namespace: string | undefined) => ResourceInformer<T>) {
    const scopes = namespaces && namespaces.length > 0 ? [...new Set(namespaces)] : [undefined];
    for (const ns of scopes) this.#byNamespace.set(ns, make(ns));
  }

  /** The namespaces watched one by one; undefined when cluster-wide. */
  namespaces(): string[] | undefined {
    const keys = [...this.#byNamespace.keys()];
    return keys[0] === undefined ? undefined : (keys as string[]);
  }

  on<E extends InformerEvent>(event: E, listener: InformerListeners<T>[E]): () => void {
    const offs = [...this.#byNamespace.values()].map((i) => i.on(event, listener));
    return () => offs.forEach((off) => off());
  }

  start(): void {
    for (const i of this.#byNamespace.values()) i.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#byNamespace.values()].map((i) => i.stop()));
  }

  hasSynced(): boolean {
    return [...this.#byNamespace.values()].every((i) => i.hasSynced());
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.#byNamespace.values()].map((i) => i.waitForSync(signal)));
  }

  get(key: string): T | undefined {
    const slash = key.indexOf('/');
    const ns = slash < 0 ? undefined : key.slice(0, slash);
    const scoped = ns === undefined ? undefined : this.#byNamespace.get(ns);
    return (scoped ?? this.#byNamespace.get(undefined))?.get(key);
  }

  list(): T[] {
    return [...this.#byNamespace.values()].flatMap((i) => i.list());
  }

  stats(): InformerStats {
    const total: InformerStats = { lists: 0, errors: 0, restarts: 0, quietRelists: 0, expired: 0, rewatches: 0 };
    for (const i of this.#byNamespace.values()) {
      const s = i.stats();
      for (const stat of Object.keys(total) as Array<keyof InformerStats>) total[stat] += s[stat];
    }
    return total;
  }
}
