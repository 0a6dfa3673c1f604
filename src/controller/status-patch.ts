// Status writes: the status for the outcomes that never reach Coder
// (suspended, invalid, forbidden, connection not ready, deleting), whether a
// new status differs from the stored one (ignoring lastSyncTime, so an idle
// resync writes nothing), and the JSON merge patch that turns one into the
// other (fields that disappeared are sent as null).
import type { WorkspaceStatus } from '../api/schema.ts';
import { setCondition, type ConditionInput, withoutProgressConditions, withProgressConditions } from '../engine/index.ts';

/** Both conditions for an outcome decided before any Coder call. */
export function gateStatus(
  previous: WorkspaceStatus | undefined,
  generation: number | undefined,
  now: Date,
  synced: Omit<ConditionInput, 'type'>,
  ready: Omit<ConditionInput, 'type'> | 'keep' = synced,
): WorkspaceStatus {
  const status: WorkspaceStatus = { ...(previous ?? {}) };
  if (generation !== undefined) status.observedGeneration = generation;
  let conditions = (previous?.conditions ?? []).filter((c) => c.type !== 'Suspended');
  const hasReady = conditions.some((c) => c.type === 'Ready');
  if (ready !== 'keep' || !hasReady)
    conditions = setCondition(conditions, { type: 'Ready', ...(ready === 'keep' ? synced : ready) }, now, generation);
  else conditions = conditions.map((c) => (c.type === 'Ready' && generation !== undefined ? { ...c, observedGeneration: generation } : c));
  conditions = setCondition(conditions, { type: 'Synced', ...synced }, now, generation);
  status.conditions = withProgressConditions(conditions, status.rollout, now, generation);
  return status;
}

/**
 * Whether a and b serialise to the same JSON, object key order aside (the
 * apiserver's order need not be ours): absent and undefined keys are equal,
 * as JSON drops both. Structural and short-circuiting: comparing key-sorted
 * JSON.stringify strings instead was ~80 % of an idle resync's CPU at 10,000
 * Workspaces (two statuses serialised per Workspace, keys sorted with
 * localeCompare), most of them equal.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    // JSON writes an undefined array element as null.
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i] ?? null, b[i] ?? null)) return false;
    return true;
  }
  // A Date or anything else with its own JSON form: compare that form.
  if (typeof (a as { toJSON?: unknown }).toJSON === 'function' || typeof (b as { toJSON?: unknown }).toJSON === 'function')
    return JSON.stringify(a) === JSON.stringify(b);
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let keys = 0;
  for (const key of Object.keys(x)) {
    if (x[key] === undefined) continue;
    keys++;
    if (!sameJson(x[key], y[key])) return false;
  }
  for (const key of Object.keys(y)) if (y[key] !== undefined) keys--;
  return keys === 0;
}

function withoutSyncTime(status: WorkspaceStatus | undefined): WorkspaceStatus {
  const { lastSyncTime: _ignored, ...rest } = status ?? {};
  return rest;
}

export function statusChanged(previous: WorkspaceStatus | undefined, next: WorkspaceStatus): boolean {
  return !sameJson(withoutSyncTime(previous), withoutSyncTime(next));
}

/** RFC 7386 merge patch from previous to next (arrays replace wholesale, as merge patch does). */
export function mergePatch(previous: Record<string, unknown> | undefined, next: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(previous ?? {})) if (!(key in next)) patch[key] = null;
  for (const [key, value] of Object.entries(next)) {
    const old = previous?.[key];
    if (sameJson(old, value)) continue;
    const bothObjects = isPlainObject(old) && isPlainObject(value);
    patch[key] = bothObjects ? mergePatch(old, value) : value;
  }
  return patch;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * spec.suspend: true. observedGeneration follows the generation (so kstatus,
 * Flux and Argo CD do not wait for a reconcile that will not come), Synced
 * says Suspended, and a Suspended=True condition says so in a form tools can
 * select on. A Ready=True is kept (what was last known); any other Ready goes,
 * and Reconciling and Stalled with it: the operator no longer looks, and
 * kstatus reads a Ready=False as InProgress, so a Workspace suspended before
 * it was ever Ready would hold a Flux health check until its timeout. All are
 * computed again at the first reconcile after spec.suspend goes false.
 */
export function suspendedStatus(previous: WorkspaceStatus | undefined, generation: number | undefined, now: Date): WorkspaceStatus {
  const message = 'spec.suspend is true: the operator makes no Coder call until it is false';
  const status = gateStatus(previous, generation, now, { status: 'False', reason: 'Suspended', message }, 'keep');
  const kept = withoutProgressConditions(status.conditions ?? []).filter((c) => c.type !== 'Ready' || c.status === 'True');
  // gateStatus dropped the previous Suspended: give it back so its lastTransitionTime stays put.
  const before = previous?.conditions?.find((c) => c.type === 'Suspended' && c.status === 'True');
  status.conditions = setCondition(
    before ? [...kept, before] : kept,
    { type: 'Suspended', status: 'True', reason: 'Suspended', message },
    now,
    generation,
  );
  return status;
}
