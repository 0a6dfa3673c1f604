// The CoderApi an owner token broker hands out: every call runs through the
// broker, which picks the owner's current token and, when an answer shows the
// token's scopes too narrow for this Coder, mints a wider one and tries again.
// Callers see one stable client per owner whatever tokens come and go.
import type { CoderApi } from './api.ts';

/** 'favorite' for the favorite write (where a 404 may mean "hidden from this scope"), 'read' for everything else. */
type OwnerCall = 'read' | 'favorite';
type OwnerRunner = <T>(call: OwnerCall, fn: (api: CoderApi) => Promise<T>) => Promise<T>;

/**
 * Every CoderApi method, forwarded through `run` to whichever client the
 * broker picks. A Proxy, so a method added to CoderApi is forwarded too.
 * Only the favorite write and reads are ever used; a create is safe to try
 * again after a 403, which means nothing was created.
 */
export function ownerApi(run: OwnerRunner): CoderApi {
  return new Proxy({} as CoderApi, {
    get(_target, prop) {
      // Not a thenable: it is handed out from async functions.
      if (prop === 'then' || typeof prop !== 'string') return undefined;
      if (prop === 'withToken') {
        return () => {
          throw new Error('an owner client picks its own tokens');
        };
      }
      const call: OwnerCall = prop === 'setFavorite' ? 'favorite' : 'read';
      return (...args: unknown[]) =>
        run(call, (api) => (api as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[prop]!(...args));
    },
  });
}
