// Which Workspace resource holds which Coder workspace (issue 12 item 1, the
// cluster side). Two Workspace resources, in one namespace or two, may name
// the same Coder workspace: the same owner + name, or the owner once by name
// and once by UUID. Only one may bind it; the other must never write to it,
// nor delete it when its own resource goes. This index answers "who holds
// it?" with no API call and no scan of the cache:
//   - bindings from the cache: the status.id each Workspace carries, fed by
//     the informer (observe/forget);
//   - claims made in this process the moment a reconcile decides to act on a
//     workspace, before its first await, so two workers reconciling the two
//     resources at once cannot both go ahead;
//   - name claims for a workspace not created yet (owner + name as written),
//     so two resources do not race to create one name.
// When two resources already carry the same status.id (bound before this
// check existed), the one whose key sorts first keeps it: the same answer on
// every replica and after every restart.

export class BindingConflictError extends Error {
  override readonly name = 'BindingConflictError';
  /** namespace/name of the Workspace resource that holds the Coder workspace. */
  readonly holder: string;

  constructor(holder: string, what: string) {
    super(
      `${what} is already managed by Workspace ${holder}; this Workspace will not change it. ` +
        'Delete one of the two resources, or give this one another spec.name',
    );
    this.holder = holder;
  }
}

/**
 * Asked before anything is done to a workspace: may this Workspace act on
 * `observed` (or, undefined, create the one it declares)? Returns the key of
 * the Workspace that holds it instead.
 */
export interface BindingGuard {
  (observed: { id: string } | undefined): string | undefined;
  /** For a workspace found only after a create was refused (409) or lost: its holder, if another. */
  holderOf(coderId: string): string | undefined;
  /** The create made this workspace: hold it from this moment, before the status says so. */
  created(coderId: string): void;
}

export class WorkspaceBindings {
  /** Coder workspace id -> keys whose cached status.id is it. */
  readonly #bound = new Map<string, Set<string>>();
  readonly #boundOf = new Map<string, string>();
  /** Coder workspace id -> the key that claimed it in this process. */
  readonly #claims = new Map<string, string>();
  readonly #claimOf = new Map<string, string>();
  /** Identity (url, owner, name as written) of a workspace not made yet -> key. */
  readonly #names = new Map<string, string>();
  readonly #nameOf = new Map<string, string>();
  /** holder -> keys that met it in a conflict, to look at again once it lets go. */
  readonly #waiting = new Map<string, Set<string>>();

  /**
   * A Workspace as the cache shows it: its status.id (undefined: bound to none).
   * Returns keys that were waiting for this one to let go, when it just did.
   */
  observe(key: string, coderId: string | undefined): string[] {
    const before = this.#boundOf.get(key);
    if (before === coderId) return [];
    if (before !== undefined) this.#bound.get(before)?.delete(key);
    if (coderId === undefined) this.#boundOf.delete(key);
    else {
      this.#boundOf.set(key, coderId);
      let set = this.#bound.get(coderId);
      if (!set) this.#bound.set(coderId, (set = new Set()));
      set.add(key);
    }
    // Claims stay: a watch event older than our own status write may still arrive and show no id.
    return this.#waitersOf(key);
  }

  /** The Workspace is gone: drop everything it held; returns the keys that were waiting for it. */
  forget(key: string): string[] {
    const waiting = this.observe(key, undefined);
    this.release(key);
    for (const set of this.#waiting.values()) set.delete(key);
    return [...new Set([...waiting, ...this.#waitersOf(key)])];
  }

  /**
   * key wants to act on Coder workspace coderId. undefined: it may (and now
   * holds it); else the key of the Workspace that holds it. `exists` says
   * whether a key is still in the cache (a holder that is gone holds nothing).
   */
  claim(key: string, coderId: string, exists: (key: string) => boolean): string | undefined {
    const claimed = this.#claims.get(coderId);
    if (claimed !== undefined && claimed !== key && exists(claimed)) return this.#conflict(key, claimed);
    const others = [...(this.#bound.get(coderId) ?? [])].filter((k) => k !== key && exists(k)).sort();
    if (others.length > 0) {
      // Both carry the id (bound before this check): the first key keeps it.
      const selfBound = this.#boundOf.get(key) === coderId;
      if (!selfBound || others[0]! < key) return this.#conflict(key, others[0]!);
    }
    this.#release(key);
    this.#claims.set(coderId, key);
    this.#claimOf.set(key, coderId);
    // Bound by id now: a name claim from before its create is no longer needed.
    const name = this.#nameOf.get(key);
    if (name !== undefined && this.#names.get(name) === key) this.#names.delete(name);
    this.#nameOf.delete(key);
    return undefined;
  }

  /** key wants to create the workspace `identity` names; as claim(). */
  claimName(key: string, identity: string, exists: (key: string) => boolean): string | undefined {
    const holder = this.#names.get(identity);
    if (holder !== undefined && holder !== key && exists(holder)) return this.#conflict(key, holder);
    const previous = this.#nameOf.get(key);
    if (previous !== undefined && previous !== identity && this.#names.get(previous) === key) this.#names.delete(previous);
    this.#names.set(identity, key);
    this.#nameOf.set(key, identity);
    return undefined;
  }

  /** The guard of one reconcile of key, whose workspace not made yet is `identity` (nameIdentity()). */
  guardFor(key: string, identity: string, exists: (key: string) => boolean): BindingGuard {
    const guard = (observed: { id: string } | undefined) =>
      observed ? this.claim(key, observed.id, exists) : this.claimName(key, identity, exists);
    return Object.assign(guard, {
      holderOf: (id: string) => this.holderOf(id, key, exists),
      created: (id: string) => void this.claim(key, id, exists),
    });
  }

  /** Who holds coderId (cache or claim), other than key; for the 409 path of a create. */
  holderOf(coderId: string, key: string, exists: (key: string) => boolean): string | undefined {
    const claimed = this.#claims.get(coderId);
    if (claimed !== undefined && claimed !== key && exists(claimed)) return claimed;
    return [...(this.#bound.get(coderId) ?? [])].filter((k) => k !== key && exists(k)).sort()[0];
  }

  #conflict(key: string, holder: string): string {
    let set = this.#waiting.get(holder);
    if (!set) this.#waiting.set(holder, (set = new Set()));
    set.add(key);
    return holder;
  }

  /** key lets go of what it claimed (it found itself in a Conflict). */
  release(key: string): void {
    this.#release(key);
    const name = this.#nameOf.get(key);
    if (name !== undefined && this.#names.get(name) === key) this.#names.delete(name);
    this.#nameOf.delete(key);
  }

  #release(key: string): void {
    const id = this.#claimOf.get(key);
    if (id !== undefined && this.#claims.get(id) === key) this.#claims.delete(id);
    this.#claimOf.delete(key);
  }

  #waitersOf(key: string): string[] {
    const set = this.#waiting.get(key);
    if (!set) return [];
    this.#waiting.delete(key);
    return [...set];
  }
}

/** The name claim's identity: a workspace not yet made, as the spec writes it. */
export function nameIdentity(coderUrl: string, owner: string, name: string): string {
  return `${coderUrl}\n${owner.toLowerCase()}\n${name.toLowerCase()}`;
}
