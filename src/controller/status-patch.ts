// Status writes: the status for the outcomes that never reach Coder
// (suspended, invalid, forbidden, connection not ready, deleting), whether a
// new status differs from the stored one (ignoring lastSyncTime, so an idle
// resync writes nothing), and the JSON merge patch that turns one into the
// other (fields that disappeared are sent as null).
import type { WorkspaceStatus } from '../api/schema.ts';
import { setCondition, type ConditionInput } from '../engine/status.ts';

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
  let conditions = previous?.conditions ?? [];
  const hasReady = conditions.some((c) => c.type === 'Ready');
  if (ready !== 'keep' || !hasReady) conditions = setCondition(conditions, { type: 'Ready', ...(ready === 'keep' ? synced : ready) }, now, generation);
  else conditions = conditions.map((c) => (c.type === 'Ready' && generation !== undefined ? { ...c, observedGeneration: generation } : c));
  conditions = setCondition(conditions, { type: 'Synced', ...synced }, now, generation);
  status.conditions = conditions;
  return status;
}

/** Deterministic JSON: object keys sorted, so key order from the apiserver does not count as a change. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

function withoutSyncTime(status: WorkspaceStatus | undefined): WorkspaceStatus {
  const { lastSyncTime: _ignored, ...rest } = status ?? {};
  return rest;
}

export function statusChanged(previous: WorkspaceStatus | undefined, next: WorkspaceStatus): boolean {
  return canonical(withoutSyncTime(previous)) !== canonical(withoutSyncTime(next));
}

/** RFC 7386 merge patch from previous to next (arrays replace wholesale, as merge patch does). */
export function mergePatch(previous: Record<string, unknown> | undefined, next: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(previous ?? {})) if (!(key in next)) patch[key] = null;
  for (const [key, value] of Object.entries(next)) {
    const old = previous?.[key];
    if (canonical(old) === canonical(value)) continue;
    const bothObjects = isPlainObject(old) && isPlainObject(value);
    patch[key] = bothObjects ? mergePatch(old, value) : value;
  }
  return patch;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
