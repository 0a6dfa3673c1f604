// The operator's rollout control, one per connection: the engine's slots and
// fleet memory (engine/rollout-slots.ts, the same the CLI runs on), fed with
// the connection's spec.rollout and each Workspace's last status, and the
// count of Workspaces per rollout state, summed on the connection's status and
// in metrics.
//
// All of this lives in memory. After a restart a Workspace whose status says
// it holds a slot claims it again at its first reconcile, and its failure
// counts again then; until every Workspace has been reconciled once (the
// informer's first list queues them all), a new update may start beside
// them, so the limit can be passed briefly then, never in steady operation.
// A canary pause restarts from the operator's start.
import type { RolloutPolicy, RolloutState, WorkspaceStatus } from '../../api/schema.ts';
import { parseDuration } from '../../api/duration.ts';
import {
  type ApplyResult,
  DEFAULT_MAX_FAILURES,
  type RolloutGate,
  type RolloutLimits,
  RolloutSlots,
  type WorkspacePlan,
} from '../../engine/index.ts';

const DEFAULT_MAX_UNAVAILABLE = 10;
/** On a CoderConnection: a new value resumes the rollouts halted after failures (failures before it no longer count). */
export const RESUME_ROLLOUT = 'coderops.dev/resume-rollout';

interface RolloutCounts {
  upToDate: number;
  updating: number;
  waiting: number;
  blocked: number;
  failed: number;
  halted?: number;
  rolledBack?: number;
  haltedVersions?: { version: string; failures: number }[];
}

/** The engine's slots (engine/rollout-slots.ts) plus what is the operator's own: the policy read from spec.rollout, the slot a status says is held, and the count of Workspaces per rollout state. */
export class ConnectionRollout {
  readonly #slots = new RolloutSlots();
  readonly #states = new Map<string, RolloutState>();

  gate(key: string, policy: RolloutPolicy | undefined, now: Date, previous: WorkspaceStatus | undefined, epoch = ''): RolloutGate {
    this.#slots.configure(limitsOf(policy, epoch));
    if (holdsSlot(previous)) this.#slots.hold(key);
    this.#slots.remember(key, previous?.rollout);
    return this.#slots.gate(key, now);
  }

  /** Plans under the rollout (RolloutSlots.planClaiming): call gate() first, for the policy and the status's memory. */
  planClaiming(key: string, now: Date, planWith: (gate: RolloutGate) => WorkspacePlan, gate: RolloutGate): WorkspacePlan {
    return this.#slots.planClaiming(key, now, planWith, gate);
  }

  /** Gives back a slot claimed for a reconcile that ended without recording (a binding conflict). */
  release(key: string): void {
    this.#slots.release(key);
  }

  /** After the reconcile: keep the slot while the workspace is unavailable because of the rollout. */
  record(key: string, plan: WorkspacePlan, result: ApplyResult | undefined, state: RolloutState | undefined): void {
    const started = result?.outcomes.some((o) => o.ok && o.action.kind === 'build') ?? false;
    const unavailable = plan.lifecycle?.unavailable === true && (started || !plan.lifecycle.needsSlot);
    if (unavailable) this.#slots.hold(key);
    else this.#slots.release(key);
    if (state === undefined) this.#states.delete(key);
    else this.#states.set(key, state);
    this.#slots.observe(key, plan);
  }

  /** The rollout the status records (a refused update build is a failure too, found after the plan). */
  recordStatus(key: string, rollout: WorkspaceStatus['rollout']): void {
    this.#slots.recordFailure(key, rollout);
  }

  forget(key: string): void {
    this.#slots.forget(key);
    this.#states.delete(key);
  }

  get inFlight(): number {
    return this.#slots.inFlight;
  }

  counts(): RolloutCounts {
    const counts: RolloutCounts = { upToDate: 0, updating: 0, waiting: 0, blocked: 0, failed: 0 };
    let halted = 0;
    let rolledBack = 0;
    for (const state of this.#states.values()) {
      counts[bucketOf(state)]++;
      if (state === 'Halted') halted++;
      if (state === 'RolledBack') rolledBack++;
    }
    // Only when there are some: the summary of a connection that never halted stays as it was.
    if (halted > 0) counts.halted = halted;
    if (rolledBack > 0) counts.rolledBack = rolledBack;
    const versions = this.#slots.haltedVersions();
    if (versions.length > 0) counts.haltedVersions = versions;
    return counts;
  }

  /** Per state, for the metrics gauge. */
  byState(): Map<RolloutState, number> {
    const by = new Map<RolloutState, number>();
    for (const state of this.#states.values()) by.set(state, (by.get(state) ?? 0) + 1);
    return by;
  }
}

/** spec.rollout as the engine's limits. */
function limitsOf(policy: RolloutPolicy | undefined, epoch: string): RolloutLimits {
  return {
    maxUnavailable: policy?.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE,
    onlyWhenStopped: policy?.onlyWhenStopped === true,
    rollback: policy?.rollbackOnFailure !== false,
    idleAfterMs: policy?.onlyWhenIdle ? parseDuration(policy.onlyWhenIdle) : undefined,
    window: policy?.window,
    fleet: {
      maxFailures: policy?.maxFailures ?? DEFAULT_MAX_FAILURES,
      epoch,
      // The CRD's rule lets exactly one field through; a step without either counts as 100%.
      steps: policy?.steps?.map((x) => (x.count !== undefined ? { count: x.count } : { percent: x.percent ?? 100 })),
      pauseMs: policy?.pause ? parseDuration(policy.pause) : undefined,
    },
  };
}

/** What a status says about the slot: an update or rollback under way, or a failed update not rolled back. */
function holdsSlot(previous: WorkspaceStatus | undefined): boolean {
  const state = previous?.rollout?.state;
  if (state === 'Updating' || state === 'RollingBack') return true;
  return state === 'Failed' && previous?.rollout?.failedFor !== undefined && previous.latestBuild?.status === 'failed';
}

function bucketOf(state: RolloutState): 'upToDate' | 'updating' | 'waiting' | 'blocked' | 'failed' {
  switch (state) {
    case 'UpToDate':
      return 'upToDate';
    case 'Updating':
    case 'RollingBack':
      return 'updating';
    case 'Blocked':
      return 'blocked';
    case 'Failed':
    case 'RolledBack':
      return 'failed';
    default:
      return 'waiting';
  }
}

/**
 * When to look again at a Workspace whose update waits: a slot or a step frees
 * when another update ends (soon), a window opens on its schedule, idleness
 * comes with time; a stop comes from Coder's schedule and the resync notices
 * it; a halted rollout waits for a person (the connection's change enqueues it).
 */
export function waitRequeueMs(state: RolloutState | undefined): number | undefined {
  if (state === 'WaitingForSlot' || state === 'WaitingForStep') return 5_000;
  if (state === 'WaitingForWindow' || state === 'WaitingForIdle') return 60_000;
  return undefined;
}
