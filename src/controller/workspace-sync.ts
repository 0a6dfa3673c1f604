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
import type { CoderApi } from '../coder/api.ts';
import type { RolloutPolicy, WorkspaceStatus } from '../api/schema.ts';
import { LifecycleReader } from '../engine/lifecycle-context.ts';
import type { ConnectionRollout } from './rollout.ts';
import { BindingConflictError } from './bindings.ts';
import type { ConnectionRuntime } from './connections.ts';
import { buildInProgress } from './outcome-events.ts';

/**
 * Asked before anything is done to a workspace (bindings.ts): may this
 * Workspace act on `observed` (or, undefined, create the one it declares)?
 * Returns the key of the Workspace that holds it instead.
 */
export interface BindingGuard {
  (observed: ObservedWorkspace | undefined): string | undefined;
  /** For a workspace found only after a create was refused (409) or lost: its holder, if another. */
  holderOf(coderId: string): string | undefined;
  /** The create made this workspace: hold it from this moment, before the status says so. */
  created(coderId: string): void;
}

const resolvers = new WeakMap<ConnectionRuntime, CreateResolver>();
const readers = new WeakMap<ConnectionRuntime, LifecycleReader>();

function readerFor(rt: ConnectionRuntime): LifecycleReader {
  let r = readers.get(rt);
  if (!r) readers.set(rt, (r = new LifecycleReader(rt.api!)));
  return r;
}

/** What the lifecycle part of a reconcile needs besides Coder: its memory and the connection's rollout. */
export interface LifecycleInputs {
  /** The status last written (or read): status.rollout / scheduleConflict / parametersChecked. */
  previous: WorkspaceStatus | undefined;
  policy: RolloutPolicy | undefined;
  rollout: ConnectionRollout;
  now: Date;
  /** A reconcile was requested by annotation: read the workspace from Coder rather than trust the snapshot. */
  reread?: boolean;
}

function resolverFor(rt: ConnectionRuntime): CreateResolver {
  let r = resolvers.get(rt);
  if (!r) resolvers.set(rt, (r = new CreateResolver(rt.api!)));
  return r;
}

export interface SyncOutcome {
  plan: WorkspacePlan;
  /** undefined when there was nothing to do. */
  result: ApplyResult | undefined;
  /** Set when another Workspace holds the Coder workspace: nothing was done to it. */
  conflict?: BindingConflictError;
}

/**
 * The client applyPlan uses, with one change: the workspace a refused (409)
 * or lost create finds by owner + name is adopted only when no other
 * Workspace holds it (owner written by name in one and by UUID in the other
 * resolves to the same workspace only here).
 */
function guardedApi(api: CoderApi, guard: BindingGuard | undefined): CoderApi {
  if (!guard) return api;
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
          const holder = found ? guard.holderOf(found.id) : undefined;
          if (found && holder !== undefined) throw new BindingConflictError(holder, `Coder workspace ${found.owner_name}/${found.name}`);
          return found;
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function conflictOf(result: ApplyResult | undefined): BindingConflictError | undefined {
  for (const o of result?.outcomes ?? []) if (!o.ok && !o.skipped && o.error instanceof BindingConflictError) return o.error;
  return undefined;
}

function describeTarget(desired: DesiredWorkspace, observed: ObservedWorkspace | undefined): string {
  return observed
    ? `Coder workspace ${observed.ownerName}/${observed.name} (${observed.id})`
    : `Coder workspace ${desired.owner}/${desired.name}`;
}

/** The observed workspace, fresh enough to act on. */
export async function observeOne(
  rt: ConnectionRuntime,
  desired: DesiredWorkspace,
  staleMs: number,
  fresh = false,
): Promise<ObservedWorkspace | undefined> {
  let observed = findObserved(rt.snapshot, desired);
  if (!observed && (fresh || rt.ageMs() > staleMs)) observed = findObserved(await rt.refresh(), desired);
  if (observed && (fresh || buildInProgress(observed))) observed = await reread(rt, observed);
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
  const via = asOwner === rt.api ? {} : { favoriteVia: rt.owners!.scopesInUse };
  let found = observed;
  for (const ws of mine) {
    if (ws.owner_id !== observed.ownerId) continue;
    const o = toObserved(ws, true);
    const merged = ws.id === observed.id ? { ...observed, favorite: o.favorite, ...via } : undefined;
    if (merged) found = merged;
    const known = rt.snapshot.get(ws.id);
    if (known) rt.snapshot.put({ ...known, favorite: o.favorite, ...via });
  }
  return found;
}

export async function syncOne(
  rt: ConnectionRuntime,
  desired: DesiredWorkspace,
  staleMs: number,
  guard?: BindingGuard,
  life?: LifecycleInputs,
): Promise<SyncOutcome> {
  let observed = await observeOne(rt, desired, staleMs, life?.reread === true);
  const holder = guard?.(observed);
  if (holder !== undefined) {
    return {
      plan: { key: desired.key, desired, observed, actions: [], blocked: [], drift: [] },
      result: undefined,
      conflict: new BindingConflictError(holder, describeTarget(desired, observed)),
    };
  }
  let favoriteError: unknown;
  let wanted = desired;
  // Reading a favorite mints an owner token, a write: not under managementPolicies [Observe].
  if (desired.favorite !== undefined && observed && observed.favorite === undefined && !desired.observeOnly) {
    try {
      observed = await withFavorite(rt, observed);
    } catch (error) {
      favoriteError = error;
      // Everything else still syncs; the favorite is reported as failed below.
      wanted = { ...desired };
      delete wanted.favorite;
    }
  }
  const ctx =
    observed && life
      ? await readerFor(rt).context(wanted, observed, life.previous, life.rollout.gate(desired.key, life.policy, life.now, life.previous))
      : undefined;
  let plan = diff(wanted, observed, ctx);
  // No await between the diff and the claim: the slot check and the taking are one step.
  if (life && ctx && plan.lifecycle?.needsSlot && !life.rollout.claim(desired.key, life.policy)) {
    plan = diff(wanted, observed, { ...ctx, gate: { ...ctx.gate, slot: false } });
  }
  let result: ApplyResult | undefined;
  if (plan.actions.length > 0 && !desired.observeOnly) {
    result = await applyPlan(plan, {
      api: guardedApi(rt.api!, guard),
      resolver: resolverFor(rt),
      ownerApi: (owner) => rt.owners!.forOwner(owner.username),
    });
    const conflict = conflictOf(result);
    if (conflict) {
      life?.rollout.release(desired.key);
      return { plan: { ...plan, desired }, result: undefined, conflict };
    }
    if (result.observed) rt.snapshot.put(result.observed);
  }
  if (life) {
    const refused = result?.outcomes.some((o) => o.action.kind === 'build' && !o.ok && !o.skipped);
    life.rollout.record(desired.key, plan, result, refused && plan.lifecycle?.rollout ? 'Failed' : plan.lifecycle?.rollout?.state);
  }
  if (favoriteError !== undefined && desired.favorite !== undefined) {
    const failed: ActionOutcome = { action: { kind: 'favorite', from: undefined, to: desired.favorite }, ok: false, error: favoriteError };
    result ??= { key: desired.key, outcomes: [], observed };
    result.outcomes.push(failed);
  }
  return { plan: { ...plan, desired }, result };
}

export type DeleteStep =
  | { gone: true }
  /** Another Workspace holds the Coder workspace: it is not this one's to delete. */
  | { gone: false; conflict: BindingConflictError }
  | { gone: false; plan: WorkspacePlan; result: ApplyResult | undefined };

/** deletionPolicy Delete: start the delete build once; gone once Coder no longer has the workspace. */
export async function deleteOne(
  rt: ConnectionRuntime,
  desired: DesiredWorkspace,
  staleMs: number,
  guard?: BindingGuard,
): Promise<DeleteStep> {
  const observed = await observeOne(rt, desired, staleMs);
  if (!observed) return { gone: true };
  const holder = guard?.(observed);
  if (holder !== undefined) return { gone: false, conflict: new BindingConflictError(holder, describeTarget(desired, observed)) };
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
