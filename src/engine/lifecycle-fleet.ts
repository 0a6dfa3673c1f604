// The rollout rules that look at a whole fleet (a connection's Workspaces, a
// CLI run's declarations) rather than one workspace: the halt of a template
// version after maxFailures failed updates, and canary steps. Pure: the front
// doors keep one FleetMember per workspace and hand the answers to
// planLifecycle() through the RolloutGate (halted, step).
import type { RolloutStatus } from '../api/schema.ts';
import { formatDuration } from '../api/duration.ts';
import type { ObservedWorkspace, WorkspacePlan } from './types.ts';

/** What the fleet rules need to know about one workspace. */
export interface FleetMember {
  /** The version the workspace should be on; undefined when the version is not managed. */
  target?: string;
  /** On the target, its latest build succeeded and no build is under way. */
  onTarget: boolean;
  /** Coder's health.healthy (true without agents). */
  healthy: boolean;
  /** An update to its target is under way or was started (holds a place in the current step). */
  updating: boolean;
  /** The version whose update failed on it, and the resume value in force then. */
  failedTarget?: string;
  failedEpoch?: string;
}

export type CanaryStep = { count: number } | { percent: number };

export interface FleetPolicy {
  maxFailures: number;
  /** The resume value in force: failures recorded under another value do not count. */
  epoch: string;
  /** Undefined: no canary steps (and so no pause between them). */
  steps?: CanaryStep[] | undefined;
  pauseMs?: number | undefined;
}

/** How far the steps of one target version have come: remembered by the front door between passes. */
export interface StepProgress {
  /** Steps complete. */
  completed: number;
  /** When the last of them completed (ISO), for the pause. */
  at: string;
}

export const DEFAULT_MAX_FAILURES = 1;
const RESUME_HINT =
  'promote or pin another version, or resume this one (annotate the connection with coderops.dev/resume-rollout=<new value>; CLI: --resume-rollout)';

export function memberOf(plan: WorkspacePlan): FleetMember {
  const rollout: RolloutStatus | undefined = plan.lifecycle?.rollout;
  const target = plan.lifecycle?.wanted?.id;
  const member: FleetMember = {
    ...(target ? { target } : {}),
    // On the version with a preset or parameters still to change is not done: the step waits for it.
    onTarget: plan.observed !== undefined && target !== undefined && settledOn(plan.observed, target) && !plan.lifecycle?.updateDue,
    healthy: plan.observed?.healthy !== false,
    updating: rollout !== undefined && (rollout.state === 'Updating' || rollout.state === 'RollingBack') && rollout.target === target,
  };
  if (rollout?.failedTarget) {
    member.failedTarget = rollout.failedTarget;
    member.failedEpoch = rollout.failedEpoch ?? '';
  }
  return member;
}

function settledOn(observed: ObservedWorkspace, target: string): boolean {
  const b = observed.latestBuild;
  return b.templateVersionId === target && (b.status === 'running' || b.status === 'stopped');
}

/** Failures to `target` under the current resume value. */
export function failuresOf(members: Iterable<FleetMember>, target: string, epoch: string): number {
  let n = 0;
  for (const m of members) if (m.failedTarget === target && (m.failedEpoch ?? '') === epoch) n++;
  return n;
}

export function haltMessage(members: Iterable<FleetMember>, target: string, policy: FleetPolicy): string | undefined {
  const failures = failuresOf(members, target, policy.epoch);
  if (failures < policy.maxFailures) return undefined;
  return (
    `the rollout of template version ${target} halted after ${failures} failed update(s) (rollout.maxFailures: ${policy.maxFailures}); ` +
    RESUME_HINT
  );
}

/** Cumulative sizes of the steps over `total` workspaces, non-decreasing, the last one the whole fleet. */
export function stepSizes(steps: CanaryStep[], total: number): number[] {
  const sizes: number[] = [];
  let last = 0;
  for (const s of steps) {
    const size = 'count' in s ? s.count : Math.ceil((total * s.percent) / 100);
    last = Math.max(last, Math.min(total, size));
    sizes.push(last);
  }
  // After the last step the rest of the fleet follows.
  if (last < total) sizes.push(total);
  return sizes;
}

interface StepVerdict {
  /** Why one more workspace may not start updating to the target now, or undefined. */
  wait?: string;
  /** The progress to remember (changes when a step completes). */
  progress: StepProgress;
}

/**
 * The canary gate for one more workspace updating to `target`. `members`
 * are the workspaces that want `target` (the asking one excluded from the
 * started count).
 */
export function stepVerdict(
  members: FleetMember[],
  target: string,
  policy: FleetPolicy,
  previous: StepProgress | undefined,
  now: Date,
): StepVerdict {
  const wanting = members.filter((m) => m.target === target);
  const sizes = stepSizes(policy.steps ?? [], wanting.length + 1);
  const done = wanting.filter((m) => m.onTarget && m.healthy).length;
  const started = wanting.filter((m) => m.onTarget || m.updating || m.failedTarget === target).length;
  let completed = 0;
  while (completed < sizes.length && done >= sizes[completed]!) completed++;
  // Judged on the fleet as it is now: a canary that turned unhealthy (or was moved off the
  // version) holds the next step back again. The memory only dates the last completion, for the pause.
  const progress: StepProgress =
    previous && previous.completed === completed
      ? previous
      : { completed, at: (previous && previous.completed > completed ? new Date(0) : now).toISOString() };
  const open = Math.min(progress.completed, sizes.length - 1);
  const limit = sizes[open]!;
  const pauseMs = policy.pauseMs ?? 0;
  if (progress.completed > 0 && pauseMs > 0) {
    const until = Date.parse(progress.at) + pauseMs;
    if (now.getTime() < until && started >= sizes[progress.completed - 1]!)
      return {
        wait: `canary step ${progress.completed} of ${sizes.length} is complete; step ${progress.completed + 1} begins after the pause of ${formatDuration(pauseMs)}, at ${new Date(until).toISOString()}`,
        progress,
      };
  }
  if (started < limit) return { progress };
  return {
    wait:
      `canary step ${open + 1} of ${sizes.length} (${limit} workspace(s) on template version ${target}) is under way: ` +
      `${done} of them are on it, succeeded and healthy; the next step begins when all are`,
    progress,
  };
}
