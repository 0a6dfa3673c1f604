// The engine's one surface: what the two front doors (src/controller for the
// operator; src/gitops and src/cli for plan/apply/sync) may use. Everything
// else under src/engine is internal, and test/unit/engine/boundaries.test.ts
// fails when a door imports it directly. Every Coder call a door makes goes
// through WorkspaceEngine and its adapter (external.ts); the rollout's slots
// are RolloutSlots for both doors.
export type { AdoptionGuard } from './adoption-guard.ts';
export type { ApplyResult } from './apply.ts';
export { type ConditionInput, setCondition } from './conditions.ts';
export { toDesired, workspaceKey } from './desired.ts';
export { diff, diffDelete, FIELD_OF } from './diff.ts';
export { failuresOf, WorkspaceEngine } from './engine.ts';
export { CoderWorkspaces, type OwnerApis, type WorkspaceOwner } from './external.ts';
export { describeFailure } from './failure.ts';
export type { LifecycleContext, RolloutGate } from './lifecycle.ts';
export { type CanaryStep, DEFAULT_MAX_FAILURES, type StepProgress } from './lifecycle-fleet.ts';
export { findObserved, isMe, Snapshot, withOwnerResolved } from './observe.ts';
export { PENDING_SUMMARY, type PendingReason, pendingOf, pendingReasonOf } from './pending-reason.ts';
export type { PreflightProblem, PreflightSubject } from './preflight.ts';
export { withoutProgressConditions, withProgressConditions } from './progress-conditions.ts';
export { type RolloutLimits, RolloutSlots } from './rollout-slots.ts';
export { windowError, type WindowSpec, type WindowState, windowState } from './rollout-window.ts';
export { withRunCache } from './run-reads.ts';
export { describeBuildCarries, describeSettingChange, settingOf } from './settings/index.ts';
export { computeStatus } from './status.ts';
export type { Action, ActionOutcome, CreatePlan, DesiredWorkspace, ObservedWorkspace, WorkspacePlan } from './types.ts';
export { type VersionChange, VersionNames, versionChangeOf } from './version-names.ts';
