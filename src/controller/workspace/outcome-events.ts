// Pure: which Event each change made in Coder and each failure deserves,
// and when to look at the key again.
import { CoderApiError } from '../../coder/errors.ts';
import {
  type ActionOutcome,
  type ApplyResult,
  describeFailure,
  describeBuildCarries,
  describeSettingChange,
  type ObservedWorkspace,
  settingOf,
} from '../../engine/index.ts';
import { backoffDelay } from '../../kube/backoff.ts';
import type { HandlerResult } from '../../kube/run-workers.ts';

export interface EventSpec {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

export function outcomeEvent(outcome: ActionOutcome, origin: ApplyResult['origin']): EventSpec | undefined {
  const a = outcome.action;
  if (!outcome.ok) {
    if (outcome.skipped) return undefined;
    const f = describeFailure(a, outcome.error);
    return {
      type: 'Warning',
      reason: f.reason,
      action: a.kind === 'create' ? 'Create' : a.kind === 'delete' ? 'Delete' : 'Update',
      note: f.message,
    };
  }
  switch (a.kind) {
    case 'create':
      if (a.recreate)
        return {
          type: 'Normal',
          reason: 'Recreated',
          action: 'Create',
          note: `the bound workspace was gone from Coder; created ${a.create.owner}/${a.create.name} again`,
        };
      if (origin === 'adopted')
        return {
          type: 'Normal',
          reason: 'Adopted',
          action: 'Create',
          note: `adopted the existing workspace ${a.create.owner}/${a.create.name}`,
        };
      return { type: 'Normal', reason: 'Created', action: 'Create', note: `created workspace ${a.create.owner}/${a.create.name} in Coder` };
    case 'delete':
      return { type: 'Normal', reason: 'Deleting', action: 'Delete', note: 'started the delete build in Coder (deletionPolicy Delete)' };
    case 'build':
      return {
        type: 'Normal',
        reason: a.purpose === 'run' ? (a.transition === 'start' ? 'Starting' : 'Stopping') : 'Updating',
        action: a.transition === 'start' ? 'Start' : 'Stop',
        note: `started a ${a.transition} build in Coder: ${buildNote(a)}`,
      };
    default: {
      // A setting: named and described as its table entry says (engine/settings/).
      const { from, to } = describeSettingChange(a);
      return { type: 'Normal', reason: 'Updated', action: 'Update', note: `updated ${settingOf(a).field} in Coder: ${from} -> ${to}` };
    }
  }
}

const IN_PROGRESS = new Set(['pending', 'starting', 'stopping', 'deleting', 'canceling']);

export function buildInProgress(ws: ObservedWorkspace | undefined): boolean {
  return ws !== undefined && IN_PROGRESS.has(ws.latestBuild.status);
}

export const DEFAULT_RETRY_AFTER_MS = 10_000;

/** How soon to look again while a Coder build runs: the nth look of one build waits firstMs·2ⁿ, at most maxMs. */
export interface BuildPoll {
  firstMs: number;
  maxMs: number;
}

// Most builds (and the simulator's) finish in well under a second, so a fixed
// 2 s poll made Ready lag the build by up to 2 s; a long build still costs at
// most one GET per maxMs once the schedule reaches it.
export const DEFAULT_BUILD_POLL: BuildPoll = { firstMs: 250, maxMs: 2000 };

/** The delay before look number `attempt` (0-based) at a build that is still running. */
export function buildPollDelay(attempt: number, poll: BuildPoll = DEFAULT_BUILD_POLL): number {
  return backoffDelay(attempt, { initialMs: poll.firstMs, maxMs: poll.maxMs });
}

/**
 * When to look again: a 429 after its Retry-After; another failure with the
 * queue's backoff; a build still running after pollMs (so Ready flips without
 * waiting for the resync); otherwise at the next resync.
 */
export function requeueFor(failures: unknown[], observed: ObservedWorkspace | undefined, pollMs: number): HandlerResult {
  const limited = failures.find((e) => e instanceof CoderApiError && e.status === 429) as CoderApiError | undefined;
  if (limited) return { requeueAfter: limited.retryAfterSeconds !== undefined ? limited.retryAfterSeconds * 1000 : DEFAULT_RETRY_AFTER_MS };
  const [first] = failures;
  if (first !== undefined) return { error: first };
  if (buildInProgress(observed)) return { requeueAfter: pollMs };
  return {};
}

function buildNote(a: Extract<ActionOutcome['action'], { kind: 'build' }>): string {
  const parts = [
    a.purpose === 'run'
      ? `spec.running is ${a.transition === 'start'}`
      : a.purpose === 'restart-stop'
        ? 'update of a running workspace (stop, then start)'
        : 'update',
  ];
  if (a.versionId) parts.push(`template version ${a.versionId}`);
  if (a.parameters?.length) parts.push(`parameters ${a.parameters.map((p) => p.name).join(', ')}`);
  parts.push(...describeBuildCarries(a));
  return parts.join('; ');
}
