// A connection (and its token Secret) outlives the Workspaces that need it to
// delete their Coder workspace, as Crossplane keeps a ProviderConfig while
// ProviderConfigUsages exist. When a namespace is deleted, every object in it
// is deleted at once: without this the Secret and the CoderConnection went
// first, and the Workspaces with deletionPolicy Delete sat in
// ConnectionNotReady with their finalizer, the namespace stuck in Terminating.
//   - the connection carries IN_USE_FINALIZER while a Workspace with an
//     effective deletionPolicy Delete uses it;
//   - its token Secret carries a finalizer of that connection's own
//     (secretFinalizerOf: two connections may share one Secret) meanwhile;
//   - both are added before the first create or adoption under Delete (the
//     Workspace reconciler calls protect(), as it adds its own finalizer
//     first), and removed by the connection reconciler once no such Workspace
//     is left: the Secret's first, then the connection's.
import { createHash } from 'node:crypto';
import type { AnyConnection } from './lookup.ts';
import type { ConnectionRef } from './registry.ts';
import type { KubeWriter, ObjectRef } from '../kube-writer.ts';

export const IN_USE_FINALIZER = 'coderops.dev/in-use';

/** The finalizer a connection puts on its token Secret: one per connection, so a shared Secret stays while any needs it. */
export function secretFinalizerOf(connectionId: string): string {
  return `coderops.dev/token-of-${createHash('sha256').update(connectionId).digest('hex').slice(0, 16)}`;
}

type UsageWriter = Pick<KubeWriter, 'setFinalizers' | 'secretFinalizers' | 'setSecretFinalizers'>;

export class ConnectionUsage {
  readonly #kube: UsageWriter;
  /**
   * Connection uids whose finalizer we added or saw: the cache may not show our
   * patch yet, and patching again from the older copy would be a 409 each time.
   */
  readonly #connectionProtected = new Set<string>();
  /** Connection uid -> the Secret (ns/name) seen protected for it: no GET per reconcile. */
  readonly #secretProtected = new Map<string, string>();

  constructor(kube: UsageWriter) {
    this.#kube = kube;
  }

  /** Both finalizers in place (writes only what is missing). Throws when they cannot be: nothing may be created meanwhile. */
  async protect(object: AnyConnection, ref: ConnectionRef): Promise<void> {
    const finalizers = object.metadata.finalizers ?? [];
    const uid = object.metadata.uid ?? ref.id;
    if (!finalizers.includes(IN_USE_FINALIZER) && !this.#connectionProtected.has(uid)) {
      if (object.metadata.deletionTimestamp)
        throw new Error(`${ref.id} is being deleted; no new Workspace with deletionPolicy Delete may start to depend on it`);
      await this.#kube.setFinalizers(refOf(object), [...finalizers, IN_USE_FINALIZER], object.metadata.resourceVersion);
    }
    this.#connectionProtected.add(uid);
    const secret = `${ref.secretNamespace}/${ref.spec.tokenSecretRef.name}`;
    if (this.#secretProtected.get(uid) === secret) return;
    const mine = secretFinalizerOf(ref.id);
    const current = await this.#kube.secretFinalizers(ref.secretNamespace, ref.spec.tokenSecretRef.name);
    // A missing Secret is the connection's own problem (SecretNotFound); nothing to keep.
    if (current === undefined) return;
    if (!current.finalizers.includes(mine)) {
      if (current.deleting) throw new Error(`Secret ${secret} is being deleted; it cannot be kept for ${ref.id}`);
      await this.#kube.setSecretFinalizers(
        ref.secretNamespace,
        ref.spec.tokenSecretRef.name,
        [...current.finalizers, mine],
        current.resourceVersion,
      );
    }
    this.#secretProtected.set(uid, secret);
  }

  /** No Workspace needs it any more: the Secret's finalizer goes first, then the connection's. */
  async release(object: AnyConnection, ref: ConnectionRef): Promise<void> {
    this.#secretProtected.delete(object.metadata.uid ?? ref.id);
    this.#connectionProtected.delete(object.metadata.uid ?? ref.id);
    const mine = secretFinalizerOf(ref.id);
    const current = await this.#kube.secretFinalizers(ref.secretNamespace, ref.spec.tokenSecretRef.name);
    if (current?.finalizers.includes(mine))
      await this.#kube.setSecretFinalizers(
        ref.secretNamespace,
        ref.spec.tokenSecretRef.name,
        current.finalizers.filter((f) => f !== mine),
        current.resourceVersion,
      );
    const finalizers = object.metadata.finalizers ?? [];
    if (finalizers.includes(IN_USE_FINALIZER))
      await this.#kube.setFinalizers(
        refOf(object),
        finalizers.filter((f) => f !== IN_USE_FINALIZER),
        object.metadata.resourceVersion,
      );
  }
}

function refOf(object: AnyConnection): ObjectRef {
  return object.kind === 'CoderConnection'
    ? { kind: 'CoderConnection', namespace: object.metadata.namespace ?? 'default', name: object.metadata.name }
    : { kind: 'ClusterCoderConnection', name: object.metadata.name };
}
