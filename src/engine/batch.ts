// The three steps every front door runs over a set of declarations:
// observe (one list pass, plus the owners' favorites where managed),
// plan (pure diff per declaration) and apply (bounded concurrency).
import type { CoderApi } from '../coder/api.ts';
import { applyPlan, type ApplyDeps, type ApplyResult } from './apply.ts';
import { diff } from './diff.ts';
import { findObserved, Snapshot, toObserved } from './observe.ts';
import type { DesiredWorkspace, WorkspacePlan } from './types.ts';

/** Hands out clients acting as a workspace owner (src/coder/owner-tokens.ts). */
export interface OwnerApis {
  forOwner(owner: string): Promise<CoderApi>;
  /** The scopes its minted tokens carry (status says which); undefined before the first mint. */
  readonly scopesInUse?: string | undefined;
}

export interface Observation {
  snapshot: Snapshot;
  /** Owners whose favorites could not be read, with the error (usually a refused token mint). */
  favoriteErrors: Map<string, unknown>;
}

/**
 * One paginated list for every workspace the token can see; then, only for
 * owners whose declarations manage `favorite`, one list as that owner, since
 * nobody else can see an owner's favorites.
 */
export async function observe(api: CoderApi, owners: OwnerApis, desired: DesiredWorkspace[]): Promise<Observation> {
  const snapshot = await Snapshot.list(api);
  const favoriteErrors = new Map<string, unknown>();
  const ownersNeeded = new Map<string, string>(); // owner id -> username
  for (const d of desired) {
    // Reading a favorite mints an owner token (a write): not for managementPolicies [Observe].
    if (d.favorite === undefined || d.observeOnly) continue;
    const ws = findObserved(snapshot, d);
    if (ws) ownersNeeded.set(ws.ownerId, ws.ownerName);
  }
  await Promise.all(
    [...ownersNeeded].map(async ([ownerId, username]) => {
      try {
        const asOwner = await owners.forOwner(username);
        const mine = await asOwner.listWorkspaces({ q: `owner:${username}` });
        // The connection's own user needs no minted token.
        const via = asOwner === api ? undefined : owners.scopesInUse;
        for (const ws of mine) if (ws.owner_id === ownerId) snapshot.put({ ...toObserved(ws, true), ...(via ? { favoriteVia: via } : {}) });
      } catch (error) {
        favoriteErrors.set(ownerId, error);
      }
    }),
  );
  return { snapshot, favoriteErrors };
}

export function planAll(desired: DesiredWorkspace[], snapshot: Snapshot): WorkspacePlan[] {
  return desired.map((d) => diff(d, findObserved(snapshot, d)));
}

/** Runs plans with at most `concurrency` workspaces in flight; one workspace's failure stops only its own actions. */
export async function applyAll(plans: WorkspacePlan[], deps: ApplyDeps, concurrency: number): Promise<ApplyResult[]> {
  const results: ApplyResult[] = new Array(plans.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const plan = plans[i];
      if (!plan) return;
      results[i] =
        // managementPolicies [Observe]: planned and reported, never applied.
        plan.actions.length === 0 || plan.desired.observeOnly
          ? { key: plan.key, outcomes: [], observed: plan.observed }
          : await applyPlan(plan, deps);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, plans.length)) }, worker));
  return results;
}
