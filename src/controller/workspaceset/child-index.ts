// Which Workspaces each WorkspaceSet controls, kept from the Workspace
// informer's events (the cache keeps the controller ownerReference, ../trim.ts).
// A Workspace counts as a set's child only on positive evidence: a controller
// ownerReference of kind WorkspaceSet in our group naming the set's uid. A
// Workspace that merely carries the set's label (copied by hand, or left by a
// set of the same name that was deleted and made again) is nobody's child, so
// no set ever updates or deletes it.
import type { KubernetesObject } from '@kubernetes/client-node';
import { GROUP, type Workspace } from '../../api/schema.ts';
import type { ResourceInformer } from '../../kube/informer.ts';

export const SET_KIND = 'WorkspaceSet';

interface SetOwner {
  /** The set's uid, as the ownerReference names it. */
  uid: string;
  /** `namespace/name` of the set: its work-queue key. */
  key: string;
}

/** What setOwnerOf reads: a cached Workspace, typed as ours or as client-node's. */
interface Owned {
  metadata?: {
    namespace?: string;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
  };
}

/** The controlling WorkspaceSet of a Workspace, if any. */
export function setOwnerOf(obj: Owned | KubernetesObject | Workspace): SetOwner | undefined {
  const ws = obj as Owned;
  const ref = ws.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (!ref || ref.kind !== SET_KIND || ref.apiVersion.split('/')[0] !== GROUP || !ref.uid) return undefined;
  return { uid: ref.uid, key: `${ws.metadata?.namespace}/${ref.name}` };
}

export class ChildIndex {
  /** set uid -> keys (`namespace/name`) of the Workspaces it controls. */
  readonly #bySet = new Map<string, Set<string>>();
  /** Workspace key -> the set uid it is filed under. */
  readonly #owner = new Map<string, string>();

  /** Files (or refiles) a Workspace under its controller; returns the owning set's key, if any. */
  observe(ws: KubernetesObject): SetOwner | undefined {
    const key = keyOf(ws);
    const owner = setOwnerOf(ws);
    const before = this.#owner.get(key);
    if (before !== undefined && before !== owner?.uid) this.#drop(key, before);
    if (owner) {
      this.#owner.set(key, owner.uid);
      let children = this.#bySet.get(owner.uid);
      if (!children) this.#bySet.set(owner.uid, (children = new Set()));
      children.add(key);
    }
    return owner;
  }

  /** Forgets a Workspace that left the cache; returns the set it belonged to, if any. */
  forget(ws: KubernetesObject): SetOwner | undefined {
    const key = keyOf(ws);
    const before = this.#owner.get(key);
    if (before !== undefined) this.#drop(key, before);
    return setOwnerOf(ws);
  }

  /** Keys of the Workspaces the set with this uid controls. */
  childrenOf(setUid: string): readonly string[] {
    return [...(this.#bySet.get(setUid) ?? [])];
  }

  /**
   * Feeds the index from the informer and calls onChange with the owning set
   * of every child that changed; `structural` when the change may call for a
   * write (a child added, deleted, its spec, labels or owner changed), not
   * when only its status moved (the set's counts then follow, nothing else).
   */
  watch(informer: ResourceInformer<KubernetesObject>, onChange: (owner: SetOwner, structural: boolean) => void): void {
    informer.on('add', (ws) => {
      const owner = this.observe(ws);
      if (owner) onChange(owner, true);
    });
    informer.on('update', (ws, old) => {
      // A child that lost its controller reference (kubectl edit, an orphaning delete) is no
      // longer counted: its old set looks again.
      const previous = setOwnerOf(old);
      const now = this.observe(ws);
      if (previous && previous.uid !== now?.uid) onChange(previous, true);
      if (!now) return;
      const m = ws.metadata ?? {};
      const p = old.metadata ?? {};
      const structural =
        previous?.uid !== now.uid ||
        m.generation !== p.generation ||
        m.deletionTimestamp !== p.deletionTimestamp ||
        JSON.stringify(m.labels) !== JSON.stringify(p.labels);
      onChange(now, structural);
    });
    informer.on('delete', (ws) => {
      const owner = this.forget(ws);
      if (owner) onChange(owner, true);
    });
  }

  #drop(key: string, uid: string): void {
    this.#owner.delete(key);
    const children = this.#bySet.get(uid);
    children?.delete(key);
    if (children?.size === 0) this.#bySet.delete(uid);
  }
}

function keyOf(ws: KubernetesObject | Workspace): string {
  return `${ws.metadata?.namespace}/${ws.metadata?.name}`;
}
