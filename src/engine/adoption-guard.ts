// The door's say over which Coder workspace one declaration binds to, for the
// one plan being applied: the operator refuses to adopt a workspace another
// Workspace resource holds. Applied as a wrapper of the client applyPlan uses,
// so apply.ts keeps a single path; the door never sees the client itself.
import type { CoderApi } from '../coder/api.ts';

export interface AdoptionGuard {
  /** A create made this workspace. */
  created(id: string): void;
  /**
   * A refused (409) or lost create found this workspace by owner + name;
   * throw to refuse adopting it (the action then fails with that error).
   */
  found(workspace: { id: string; ownerName: string; name: string }): void;
}

export function guardedApi(api: CoderApi, guard: AdoptionGuard): CoderApi {
  return new Proxy(api, {
    get(target, prop) {
      if (prop === 'createWorkspace') {
        return async (...args: Parameters<CoderApi['createWorkspace']>) => {
          const made = await target.createWorkspace(...args);
          guard.created(made.id);
          return made;
        };
      }
      if (prop === 'findWorkspace') {
        return async (owner: string, name: string) => {
          const found = await target.findWorkspace(owner, name);
          if (found) guard.found({ id: found.id, ownerName: found.owner_name, name: found.name });
          return found;
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
