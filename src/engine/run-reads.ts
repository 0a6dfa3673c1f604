// One read per distinct thing per CLI run. The checks before apply
// (preflight.ts), the lifecycle's version lookups and the create resolver
// each look up templates, versions and parameters; behind this decorator
// they share one answer per distinct lookup for the run, so a plan of 10,000
// declarations on one pinned version reads that version once in all.
// A run is short and plans once, so the answers cannot go stale in it; a
// failed lookup is not kept, so it can be tried again.
import type { CoderApi } from '../coder/api.ts';

const MEMOIZED = new Set<keyof CoderApi>([
  'getOrganization',
  'getTemplateByName',
  'getTemplateVersion',
  'getTemplateVersionByName',
  'getTemplateVersionParameters',
]);

export function withRunCache(api: CoderApi): CoderApi {
  const answers = new Map<string, Promise<unknown>>();
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const method = value.bind(target) as (...args: unknown[]) => Promise<unknown>;
      if (!MEMOIZED.has(prop as keyof CoderApi)) return method;
      return (...args: unknown[]) => {
        // Coder's names are case-insensitive, its ids lowercase: one key for every spelling.
        const key = `${String(prop)}\u0000${JSON.stringify(args).toLowerCase()}`;
        let hit = answers.get(key);
        if (!hit) {
          hit = method(...args);
          answers.set(key, hit);
          hit.catch(() => answers.delete(key));
        }
        return hit;
      };
    },
  });
}
