// Reconciling and Stalled, the two "abnormal-true" conditions of kstatus
// (sigs.k8s.io/cli-utils/pkg/kstatus), which Flux's health checks, kpt and
// cli-utils' apply waiters read before Ready: Reconciling=True is InProgress,
// Stalled=True is Failed. Without them kstatus falls back to Ready, and
// Ready=False is InProgress whatever its reason: a failed build or an invalid
// spec would hold a Flux Kustomization until its timeout instead of failing
// it, and an update waiting for its window would look done. Each is present
// only while True (absent means False, as kstatus reads it), and derived from
// Ready, Synced and the rollout state, so it can never disagree with them.
import type { Condition, RolloutStatus } from '../api/schema.ts';
import { setCondition } from './conditions.ts';
import { SETTING_REASONS_NEEDING_ACTION } from './settings/index.ts';

/**
 * Reasons a retry cannot fix: a person has to change the spec, the token or
 * Coder. The same list as examples/argocd/workspace-health.lua's Degraded.
 */
export const NEEDS_ACTION = new Set([
  'InvalidSpec',
  'Forbidden',
  'TemplateMismatch',
  'OrganizationMismatch',
  'OwnerMismatch',
  'CoderRejected',
  'NotFound',
  'ImmutableParameter',
  'VersionNotFound',
  'ScheduleConflict',
  'InvalidRolloutWindow',
  'UpdateFailed',
  'RolledBack',
  'Halted',
  // Each setting's own (engine/settings/).
  ...SETTING_REASONS_NEEDING_ACTION,
]);

type Verdict = { reason: string; message: string } | undefined;

function stalled(ready: Condition | undefined, synced: Condition | undefined, rollout: RolloutStatus | undefined): Verdict {
  if (synced?.status === 'False' && NEEDS_ACTION.has(synced.reason)) return synced;
  if (ready?.status === 'False' && ready.reason === 'BuildFailed') return ready;
  // An update whose builds ran and did not take is not tried again until the spec changes
  // (a refused update build is judged by its Synced reason: a 5xx is retried).
  if (rollout?.state === 'Failed' && (rollout.attemptedFor !== undefined || rollout.failedFor !== undefined))
    return { reason: 'UpdateFailed', message: rollout.message };
  // Back on its old version after a failed update, or held by a halted rollout: a person resumes
  // the rollout or promotes another version.
  if (rollout?.state === 'RolledBack') return { reason: 'RolledBack', message: rollout.message };
  if (rollout?.state === 'Halted') return { reason: 'Halted', message: rollout.message };
  return undefined;
}

function reconciling(ready: Condition | undefined, synced: Condition | undefined, rollout: RolloutStatus | undefined): Verdict {
  // A build under way, a retry after a Coder error, a create still to come.
  if (ready && ready.status !== 'True') return ready;
  // An update waiting for its window, a stop or a slot; changes still to apply. Observe-only
  // differences are never applied, so they are not work in progress.
  if (synced?.status === 'False' && synced.reason !== 'ObserveOnly') return synced;
  if (rollout?.state === 'Updating' || rollout?.state === 'RollingBack') return { reason: rollout.state, message: rollout.message };
  return undefined;
}

/** conditions with Reconciling and Stalled set from the others (at most one of them, only when True). */
export function withProgressConditions(
  conditions: Condition[],
  rollout: RolloutStatus | undefined,
  now: Date,
  generation?: number,
): Condition[] {
  const ready = conditions.find((c) => c.type === 'Ready');
  const synced = conditions.find((c) => c.type === 'Synced');
  const stall = stalled(ready, synced, rollout);
  const busy = stall ? undefined : reconciling(ready, synced, rollout);
  let next = conditions;
  for (const [type, verdict] of [
    ['Stalled', stall],
    ['Reconciling', busy],
  ] as const) {
    next = verdict
      ? setCondition(next, { type, status: 'True', reason: verdict.reason, message: verdict.message }, now, generation)
      : next.filter((c) => c.type !== type);
  }
  return next;
}

/** Without Reconciling and Stalled: a suspended Workspace is neither (controller/status-patch.ts). */
export function withoutProgressConditions(conditions: Condition[]): Condition[] {
  return conditions.filter((c) => c.type !== 'Reconciling' && c.type !== 'Stalled');
}
