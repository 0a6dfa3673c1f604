// The Coder side of one reconcile, through the connection's engine entry
// (engine/engine.ts): find the workspace in the snapshot (refreshing it only
// when the workspace is missing and the snapshot is stale, or re-reading the
// one workspace while a build runs), read favorites as the owner when the
// spec manages them, plan, apply, and put the result back into the snapshot
// (no read-back). What is the operator's own: the snapshot's freshness, the
// binding guard and the connection's rollout slots.
import {
  type AdoptionGuard,
  type ApplyResult,
  diffDelete,
  type WorkspaceEngine,
  findObserved,
  type ActionOutcome,
  type DesiredWorkspace,
  type ObservedWorkspace,
  type WorkspacePlan,
} from '../../engine/index.ts';
import type { RolloutPolicy, WorkspaceStatus } from '../../api/schema.ts';
import type { ConnectionRollout } from './rollout.ts';
import { BindingConflictError, type BindingGuard } from './bindings.ts';
import type { ConnectionRuntime } from '../connection/registry.ts';
import { buildInProgress } from './outcome-events.ts';

/** What the lifecycle part of a reconcile needs besides Coder: its memory and the connection's rollout. */
interface LifecycleInputs {
  /** The status last written (or read): status.rollout / scheduleConflict / parametersChecked. */
  previous: WorkspaceStatus | undefined;
  policy: RolloutPolicy | undefined;
  rollout: ConnectionRollout;
  now: Date;
  /** A reconcile was requested by annotation: read the workspace from Coder rather than trust the snapshot. */
  reread?: boolean;
  /** The connection's coderops.dev/resume-rollout value ('' when none). */
  epoch?: string;
}

interface SyncOutcome {
  plan: WorkspacePlan;
  /** undefined when there was nothing to do. */
  result: ApplyResult | undefined;
  /** Set when another Workspace holds the Coder workspace: nothing was done to it. */
  conflict?: BindingConflictError;
}

/**
 * The workspace a refused (409) or lost create finds by owner + name is
 * adopted only when no other Workspace holds it (owner written by name in one
 * and by UUID in the other resolves to the same workspace only here).
 */
function adoptionGuard(guard: BindingGuard | undefined): AdoptionGuard | undefined {
  if (!guard) return undefined;
  return {
    created: (id) => guard.created(id),
    found: (ws) => {
      const holder = guard.holderOf(ws.id);
      if (holder !== undefined) throw new BindingConflictError(holder, `Coder workspace ${ws.ownerName}/${ws.name}`);
    },
  };
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
async function observeOne(
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
  const next = await engineOf(rt).get(observed.id);
  if (!next) {
    rt.snapshot.remove(observed.id);
    return undefined;
  }
  // A GET is not the owner's view: the favorite stays what the owner's list said.
  if (observed.favorite !== undefined) next.favorite = observed.favorite;
  rt.snapshot.put(next);
  return next;
}

/** A runtime reaches a sync or a delete only once its connection is Ready, which needs a client. */
function engineOf(rt: ConnectionRuntime): WorkspaceEngine {
  if (!rt.engine) throw new Error(`connection ${rt.ref.id} has no Coder client; it must be Ready before Workspaces sync`);
  return rt.engine;
}

export async function syncOne(
  rt: ConnectionRuntime,
  desired: DesiredWorkspace,
  staleMs: number,
  guard?: BindingGuard,
  life?: LifecycleInputs,
): Promise<SyncOutcome> {
  const engine = engineOf(rt);
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
  if (observed) {
    try {
      observed = await engine.observeFavorite(rt.snapshot, desired, observed);
    } catch (error) {
      favoriteError = error;
      // Everything else still syncs; the favorite is reported as failed below.
      wanted = { ...desired };
      delete wanted.favorite;
    }
  }
  const ctx =
    observed && life
      ? await engine.lifecycleContext(
          wanted,
          observed,
          life.previous,
          life.rollout.gate(desired.key, life.policy, life.now, life.previous, life.epoch),
        )
      : undefined;
  // No await between the diff and the claim: the slot check and the taking are one step.
  const plan =
    life && ctx
      ? life.rollout.planClaiming(desired.key, life.now, (gate) => engine.plan(wanted, observed, { ...ctx, gate }), ctx.gate)
      : engine.plan(wanted, observed, ctx);
  let result = await engine.apply(plan, adoptionGuard(guard));
  if (result) {
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

type DeleteStep =
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
  // Positive evidence only: the workspace this resource recorded as bound (status.id), never
  // one found by owner and name, which may be a workspace it never created or adopted.
  const boundId = desired.boundId;
  if (boundId === undefined) return { gone: true };
  let observed = rt.snapshot.get(boundId);
  if (!observed && rt.ageMs() > staleMs) observed = (await rt.refresh()).get(boundId);
  if (observed && buildInProgress(observed)) observed = await reread(rt, observed);
  if (!observed) return { gone: true };
  const holder = guard?.(observed);
  if (holder !== undefined) return { gone: false, conflict: new BindingConflictError(holder, describeTarget(desired, observed)) };
  const plan: WorkspacePlan = { key: desired.key, desired, observed, actions: diffDelete(observed, 'Delete'), blocked: [], drift: [] };
  // No action (a delete build already under way): the engine applies nothing and the result is undefined.
  const result = await engineOf(rt).apply(plan);
  if (result?.observed) rt.snapshot.put(result.observed);
  return { gone: false, plan, result };
}
