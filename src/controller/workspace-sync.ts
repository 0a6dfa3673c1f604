// The Coder side of one reconcile, against a connection's runtime: find the
// workspace in the snapshot (refreshing it only when the workspace is missing
// and the snapshot is stale, or re-reading the one workspace while a build
// runs), read favorites as the owner when the spec manages them, diff, apply,
// and put the result back into the snapshot (no read-back).
import { isGone, isNotFound } from '../coder/errors.ts';
import { applyPlan, type ApplyResult } from '../engine/apply.ts';
import { diff, diffDelete } from '../engine/diff.ts';
import { findObserved, toObserved } from '../engine/observe.ts';
import { CreateResolver } from '../engine/resolve.ts';
import type { ActionOutcome, DesiredWorkspace, ObservedWorkspace, WorkspacePlan } from '../engine/types.ts';
import type { ConnectionRuntime } from './connections.ts';
import { buildInProgress } from './outcome-events.ts';

const resolvers = new WeakMap<ConnectionRuntime, CreateResolver>();

function resolverFor(rt: ConnectionRuntime): CreateResolver {
  let r = resolvers.get(rt);
  if (!r) resolvers.set(rt, (r = new CreateResolver(rt.api!)));
  return r;
}

export interface SyncOutcome {
  plan: WorkspacePlan;
  /** undefined when there was nothing to do. */
  result: ApplyResult | undefined;
}

/** The observed workspace, fresh enough to act on. */
export async function observeOne(rt: ConnectionRuntime, desired: DesiredWorkspace, staleMs: number): Promise<ObservedWorkspace | undefined> {
  let observed = findObserved(rt.snapshot, desired);
  if (!observed && rt.ageMs() > staleMs) observed = findObserved(await rt.refresh(), desired);
  if (observed && buildInProgress(observed)) observed = await reread(rt, observed);
  return observed;
}

/** One GET while a build runs, so a requeue sees it finish without a full list. */
async function reread(rt: ConnectionRuntime, observed: ObservedWorkspace): Promise<ObservedWorkspace | undefined> {
  try {
    const fresh = await rt.api!.getWorkspace(observed.id);
    if (fresh.latest_build.transition === 'delete' && fresh.latest_build.status === 'deleted') {
      rt.snapshot.remove(observed.id);
      return undefined;
    }
    const next = toObserved(fresh, false);
    if (observed.favorite !== undefined) next.favorite = observed.favorite;
    rt.snapshot.put(next);
    return next;
  } catch (error) {
    if (!isNotFound(error) && !isGone(error)) throw error;
    rt.snapshot.remove(observed.id);
    return undefined;
  }
}

/** Favorites are visible only to their owner: one list as that owner (batch.ts observe(), for one owner). */
async function withFavorite(rt: ConnectionRuntime, observed: ObservedWorkspace): Promise<ObservedWorkspace> {
  const asOwner = await rt.owners!.forOwner(observed.ownerName);
  const mine = await asOwner.listWorkspaces({ q: `owner:${observed.ownerName}` });
  let found = observed;
  for (const ws of mine) {
    if (ws.owner_id !== observed.ownerId) continue;
    const o = toObserved(ws, true);
    const merged = ws.id === observed.id ? { ...observed, favorite: o.favorite } : undefined;
    if (merged) found = merged;
    const known = rt.snapshot.get(ws.id);
    if (known) rt.snapshot.put({ ...known, favorite: o.favorite });
  }
  return found;
}

export async function syncOne(rt: ConnectionRuntime, desired: DesiredWorkspace, staleMs: number): Promise<SyncOutcome> {
  let observed = await observeOne(rt, desired, staleMs);
  let favoriteError: unknown;
  let wanted = desired;
  if (desired.favorite !== undefined && observed && observed.favorite === undefined) {
    try {
      observed = await withFavorite(rt, observed);
    } catch (error) {
      favoriteError = error;
      // Everything else still syncs; the favorite is reported as failed below.
      wanted = { ...desired };
      delete wanted.favorite;
    }
  }
  const plan = diff(wanted, observed);
  let result: ApplyResult | undefined;
  if (plan.actions.length > 0) {
    result = await applyPlan(plan, {
      api: rt.api!,
      resolver: resolverFor(rt),
      ownerApi: (owner) => rt.owners!.forOwner(owner.username),
    });
    if (result.observed) rt.snapshot.put(result.observed);
  }
  if (favoriteError !== undefined && desired.favorite !== undefined) {
    const failed: ActionOutcome = { action: { kind: 'favorite', from: undefined, to: desired.favorite }, ok: false, error: favoriteError };
    result ??= { key: desired.key, outcomes: [], observed };
    result.outcomes.push(failed);
  }
  return { plan: { ...plan, desired }, result };
}

export type DeleteStep = { gone: true } | { gone: false; plan: WorkspacePlan; result: ApplyResult | undefined };

/** deletionPolicy Delete: start the delete build once; gone once Coder no longer has the workspace. */
export async function deleteOne(rt: ConnectionRuntime, desired: DesiredWorkspace, staleMs: number): Promise<DeleteStep> {
  const observed = await observeOne(rt, desired, staleMs);
  if (!observed) return { gone: true };
  const plan: WorkspacePlan = { key: desired.key, desired, observed, actions: diffDelete(observed, 'Delete'), blocked: [], drift: [] };
  if (plan.actions.length === 0) return { gone: false, plan, result: undefined };
  const result = await applyPlan(plan, {
    api: rt.api!,
    resolver: resolverFor(rt),
    ownerApi: (owner) => rt.owners!.forOwner(owner.username),
  });
  if (result.observed) rt.snapshot.put(result.observed);
  return { gone: false, plan, result };
}
