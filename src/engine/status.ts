// status(): pure. From the plan, the outcomes of applying it and the previous
// status, compute the status to report (on the resource, or in the CLI's
// status output). Conditions follow the Kubernetes API conventions so kstatus,
// Argo CD and `kubectl wait --for=condition=Ready` read them.
import type { Condition, WorkspaceStatus } from '../api/schema.ts';
import { nextAutostart } from '../api/schedule.ts';
import type { ApplyResult } from './apply.ts';
import { isDeepStrictEqual } from 'node:util';
import { BUILD_SETTINGS, FIELD_OF, SETTING_KINDS, SETTINGS } from './settings/index.ts';
import { describeFailure, type Failure } from './failure.ts';
import { NEEDS_ACTION, withProgressConditions } from './progress-conditions.ts';
import type { ActionOutcome, ObservedWorkspace, WorkspacePlan } from './types.ts';
import { setCondition, type ConditionInput } from './conditions.ts';

export { setCondition } from './conditions.ts';

interface StatusInput {
  plan: WorkspacePlan;
  /** Absent when nothing was applied (a plan, a no-op pass, or a suspended resource). */
  result?: ApplyResult | undefined;
  previous?: WorkspaceStatus | undefined;
  generation?: number | undefined;
  /** Base URL of the Coder deployment, for status.url. */
  coderUrl: string;
  now: Date;
}

export function computeStatus(input: StatusInput): WorkspaceStatus {
  const { plan, result, previous, now } = input;
  const observed = result ? result.observed : plan.observed;
  const outcomes = result?.outcomes ?? [];
  const status: WorkspaceStatus = {};
  if (input.generation !== undefined) status.observedGeneration = input.generation;
  if (observed) Object.assign(status, observedFields(observed, input.coderUrl, now));
  status.lastSyncTime = now.toISOString();

  const lastDrift = correctedDrift(plan, outcomes, previous);
  if (lastDrift.length > 0) status.lastDrift = lastDrift;
  else if (previous?.lastDrift) status.lastDrift = previous.lastDrift;

  Object.assign(status, lifecycleFields(plan, observed, outcomes));
  const synced = syncedCondition(plan, outcomes, result !== undefined);
  const ready = readyCondition(observed, synced);
  // Suspended is there only while spec.suspend is true (controller/status-patch.ts).
  let conditions = (previous?.conditions ?? []).filter((c) => c.type !== 'Suspended');
  conditions = setCondition(conditions, ready, now, input.generation);
  conditions = setCondition(conditions, synced, now, input.generation);
  conditions = withProgressConditions(conditions, status.rollout, now, input.generation);
  status.conditions = result ? conditions : keepSettledReason(conditions, previous);
  return status;
}

/**
 * With nothing applied, Synced says UpToDate; a previous True Synced
 * (Created, Updated) says the same thing, so it is kept and a pass with
 * nothing to do changes nothing. Both doors report through here, so the
 * cluster and the status file agree after such a pass.
 */
function keepSettledReason(conditions: Condition[], previous: WorkspaceStatus | undefined): Condition[] {
  const before = previous?.conditions?.find((c) => c.type === 'Synced');
  const now = conditions.find((c) => c.type === 'Synced');
  if (!before || !now || before.status !== 'True' || now.status !== 'True' || now.reason !== 'UpToDate') return conditions;
  const generation = now.observedGeneration !== undefined ? { observedGeneration: now.observedGeneration } : {};
  return conditions.map((c) => (c.type === 'Synced' ? { ...before, ...generation } : c));
}

/**
 * status.running / version / rollout / scheduleConflict / parametersChecked.
 * rollout and scheduleConflict are also the memory lifecycle.ts reads back.
 */
function lifecycleFields(plan: WorkspacePlan, observed: ObservedWorkspace | undefined, outcomes: ActionOutcome[]): WorkspaceStatus {
  const fields: WorkspaceStatus = {};
  const life = plan.lifecycle;
  if (observed) {
    const b = observed.latestBuild;
    fields.running = b.transition === 'start' && b.status === 'running';
    fields.version = { current: b.templateVersionId, outdated: observed.outdated };
    if (b.templateVersionName) fields.version.currentName = b.templateVersionName;
    if (life?.wanted) {
      fields.version.wanted = life.wanted.id;
      if (life.wanted.name) fields.version.wantedName = life.wanted.name;
    }
  }
  if (!life) return fields;
  if (life.rollout) {
    const failed = outcomes.find((o) => o.action.kind === 'build' && !o.ok && !o.skipped);
    fields.rollout = failed ? refusedUpdate(life, describeFailure(failed.action, (failed as { error: unknown }).error)) : life.rollout;
  }
  if (life.conflict) fields.scheduleConflict = life.conflict;
  if (life.parametersChecked) fields.parametersChecked = life.parametersChecked;
  return fields;
}

/**
 * A build Coder refused. One it will refuse again (a deleted version id, a
 * validation, a permission) is remembered as a failed attempt, so it is not
 * sent again at every backoff and counts towards the halt (lifecycle.ts);
 * a 5xx, a 429 or a network error is retried.
 */
function refusedUpdate(life: NonNullable<WorkspacePlan['lifecycle']>, failure: Failure): NonNullable<WorkspaceStatus['rollout']> {
  const planned = life.rollout!;
  const message = `the update build was refused: ${failure.message}`;
  const attempted = planned.attemptedFor;
  const final = NEEDS_ACTION.has(failure.reason) && attempted !== undefined;
  if (!final) return { state: 'Failed', message, ...(planned.target ? { target: planned.target } : {}) };
  return {
    ...planned,
    state: 'Failed',
    message: `${message}; not retried until the spec or the wanted version changes`,
    failedFor: planned.failedFor ?? attempted,
    ...((planned.failedTarget ?? planned.target) ? { failedTarget: planned.failedTarget ?? planned.target } : {}),
    failedEpoch: planned.failedEpoch ?? life.epoch ?? '',
  };
}

const WAITING = new Set(['WaitingForWindow', 'WaitingForStop', 'WaitingForSlot', 'WaitingForIdle', 'WaitingForStep', 'Halted']);
/** An update that failed: Synced is False until the spec or the wanted version changes. */
const UPDATE_FAILED = new Set(['Failed', 'RolledBack']);
const BUILD_UNDER_WAY = new Set(['pending', 'starting', 'stopping', 'canceling']);

function observedFields(ws: ObservedWorkspace, coderUrl: string, now: Date): WorkspaceStatus {
  const fields: WorkspaceStatus = {
    id: ws.id,
    url: `${coderUrl.replace(/\/+$/, '')}/@${ws.ownerName}/${ws.name}`,
    ownerID: ws.ownerId,
    organizationID: ws.organizationId,
    templateID: ws.templateId,
    latestBuild: { number: ws.latestBuild.number, transition: ws.latestBuild.transition, status: ws.latestBuild.status },
  };
  // Each managed setting as Coder has it (engine/settings/).
  for (const kind of SETTING_KINDS) Object.assign(fields, SETTINGS[kind].report(ws));
  for (const setting of BUILD_SETTINGS) Object.assign(fields, setting.report(ws));
  // Coder never autostarts a dormant workspace.
  const next = ws.autostartSchedule && !ws.dormant ? nextAutostart(ws.autostartSchedule, now) : undefined;
  if (next) fields.nextAutostart = next.toISOString();
  // What the list already says, at no extra call.
  if (ws.nextStartAt) fields.nextStartAt = ws.nextStartAt;
  if (ws.lastUsedAt) fields.lastUsedAt = ws.lastUsedAt;
  if (ws.dormantAt) fields.dormantAt = ws.dormantAt;
  if (ws.deletingAt) fields.deletingAt = ws.deletingAt;
  if (ws.healthy !== undefined)
    fields.health = { healthy: ws.healthy, ...(ws.failingAgents?.length ? { failingAgents: ws.failingAgents } : {}) };
  return fields;
}

/**
 * Drift is a field that changed in Coder since we last looked (the previous
 * status), not a spec edit. Without a previous status every corrected
 * difference counts, which is what a one-shot CLI run can tell.
 */
function correctedDrift(plan: WorkspacePlan, outcomes: ActionOutcome[], previous?: WorkspaceStatus): string[] {
  if (!plan.observed) return [];
  const corrected = new Set(outcomes.filter((o) => o.ok).map((o) => FIELD_OF[o.action.kind as keyof typeof FIELD_OF]));
  const obs = plan.observed;
  // What each setting reported (settings/) and the run state, before and as Coder has it now.
  const now: Record<string, unknown> = { running: obs.latestBuild.transition === 'start' && obs.latestBuild.status === 'running' };
  for (const kind of SETTING_KINDS) Object.assign(now, SETTINGS[kind].report(obs));
  const before = (previous ?? {}) as Record<string, unknown>;
  return plan.drift.filter((field) => {
    if (!corrected.has(field)) return false;
    if (!previous || before[field] === undefined) return true;
    return !isDeepStrictEqual(before[field], now[field]);
  });
}

function syncedCondition(plan: WorkspacePlan, outcomes: ActionOutcome[], applied: boolean): ConditionInput {
  const failed = outcomes.find((o): o is Extract<ActionOutcome, { ok: false; skipped?: false }> => !o.ok && !o.skipped);
  if (failed) {
    const failure = describeFailure(failed.action, failed.error);
    return { type: 'Synced', status: 'False', reason: failure.reason, message: failure.message };
  }
  const [blocked] = plan.blocked;
  if (blocked) return { type: 'Synced', status: 'False', reason: blocked.reason, message: blocked.message };
  if (!applied && plan.actions.length > 0) {
    const kinds = plan.actions.map((a) => a.kind).join(', ');
    if (plan.desired.observeOnly)
      return {
        type: 'Synced',
        status: 'False',
        reason: 'ObserveOnly',
        message: `managementPolicies is [Observe]: Coder differs from the spec (${kinds}), and nothing is written`,
      };
    return { type: 'Synced', status: 'False', reason: 'Pending', message: `changes to apply: ${kinds}` };
  }
  const rollout = plan.lifecycle?.rollout;
  if (rollout && WAITING.has(rollout.state) && !outcomes.some((o) => o.action.kind === 'build'))
    return { type: 'Synced', status: 'False', reason: rollout.state, message: rollout.message };
  if (rollout && UPDATE_FAILED.has(rollout.state) && rollout.failedFor !== undefined && !outcomes.some((o) => o.action.kind === 'build'))
    return {
      type: 'Synced',
      status: 'False',
      reason: rollout.state === 'RolledBack' ? 'RolledBack' : 'UpdateFailed',
      message: rollout.message,
    };
  if (outcomes.some((o) => o.ok && o.action.kind === 'create'))
    return { type: 'Synced', status: 'True', reason: 'Created', message: 'workspace created in Coder' };
  if (outcomes.length > 0) {
    const fields = outcomes.map((o) => o.action.kind).join(', ');
    return { type: 'Synced', status: 'True', reason: 'Updated', message: `updated in Coder: ${fields}${favoriteNote(plan)}` };
  }
  return { type: 'Synced', status: 'True', reason: 'UpToDate', message: `Coder matches the spec${favoriteNote(plan)}` };
}

/**
 * Which scopes the owner token that read (and set) the favorite carried:
 * they differ between Coder versions (docs/compatibility.md), and an admin
 * should see how wide a token the tool minted for someone else.
 */
function favoriteNote(plan: WorkspacePlan): string {
  const via = plan.observed?.favoriteVia;
  if (plan.desired.favorite === undefined || !via) return '';
  return `; favorite read as the owner with a short-lived token scoped ${via}`;
}

function readyCondition(observed: ObservedWorkspace | undefined, synced: ConditionInput): ConditionInput {
  if (!observed)
    return {
      type: 'Ready',
      status: 'False',
      reason: synced.status === 'False' ? synced.reason : 'NotCreated',
      message: synced.status === 'False' ? synced.message : 'the workspace does not exist in Coder yet',
    };
  const build = observed.latestBuild;
  if (build.transition === 'delete')
    return { type: 'Ready', status: 'False', reason: 'Deleting', message: `delete build #${build.number} is ${build.status}` };
  if (build.status === 'failed')
    return {
      type: 'Ready',
      status: 'False',
      reason: 'BuildFailed',
      message: `build #${build.number} (${build.transition}) failed in Coder; see the build logs there`,
    };
  // Any build under way, a stop or a cancel as much as a start: the workspace has
  // not reached what the spec asks yet, and kstatus must read it as InProgress.
  if (BUILD_UNDER_WAY.has(build.status))
    return {
      type: 'Ready',
      status: 'False',
      reason: 'Provisioning',
      message: `build #${build.number} (${build.transition}) is ${build.status}`,
    };
  // A deferred update or an observed-only difference leaves a usable workspace.
  if (WAITING.has(synced.reason) || synced.reason === 'ObserveOnly' || synced.reason === 'RolledBack')
    return { type: 'Ready', status: 'True', reason: 'Ready', message: `workspace is ${build.status}; ${synced.message}` };
  if (synced.status !== 'True') return { type: 'Ready', status: 'False', reason: synced.reason, message: synced.message };
  return { type: 'Ready', status: 'True', reason: 'Ready', message: `workspace is ${build.status} and matches the spec` };
}
