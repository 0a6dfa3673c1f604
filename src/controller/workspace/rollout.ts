// The operator's rollout control, one per connection: which Workspaces hold
// one of its `spec.rollout.maxUnavailable` slots, what each of them is doing
// for the fleet rules (engine/lifecycle-fleet.ts: the halt of a version after
// maxFailures failed updates, canary steps), the gate lifecycle.ts decides
// with, and the count of Workspaces per rollout state, summed on the
// connection's status and in metrics.
//
// A Workspace holds a slot while it is unavailable because of the rollout
// (LifecycleOutcome.unavailable): an update or rollback build under way, a
// start owed after an update stop, a failed update not rolled back. It takes
// one when it starts an update build.
//
// All of this lives in memory. After a restart a Workspace whose status says
// it holds a slot claims it again at its first reconcile, and its failure
// counts again then; until every Workspace has been reconciled once (the
// informer's first list queues them all), a new update may start beside
// them, so the limit can be passed briefly then, never in steady operation.
// A canary pause restarts from the operator's start.
import type { RolloutPolicy, RolloutState, WorkspaceStatus } from '../../api/schema.ts';
import { parseDuration } from '../../api/duration.ts';
import type { RolloutGate } from '../../engine/lifecycle.ts';
import {
  DEFAULT_MAX_FAILURES,
  failuresOf,
  type FleetMember,
  type FleetPolicy,
  haltMessage,
  memberOf,
  type StepProgress,
  stepVerdict,
} from '../../engine/lifecycle-fleet.ts';
import { windowState } from '../../engine/rollout-window.ts';
import type { WorkspacePlan } from '../../engine/types.ts';
import type { ApplyResult } from '../../engine/apply.ts';

export const DEFAULT_MAX_UNAVAILABLE = 10;
/** On a CoderConnection: a new value resumes the rollouts halted after failures (failures before it no longer count). */
export const RESUME_ROLLOUT = 'coderops.dev/resume-rollout';

export interface RolloutCounts {
  upToDate: number;
  updating: number;
  waiting: number;
  blocked: number;
  failed: number;
  halted?: number;
  rolledBack?: number;
  haltedVersions?: { version: string; failures: number }[];
}

export class ConnectionRollout {
  readonly #slots = new Set<string>();
  readonly #states = new Map<string, RolloutState>();
  readonly #members = new Map<string, FleetMember>();
  readonly #steps = new Map<string, StepProgress>();
  #policy: FleetPolicy = { maxFailures: DEFAULT_MAX_FAILURES, epoch: '' };

  gate(key: string, policy: RolloutPolicy | undefined, now: Date, previous: WorkspaceStatus | undefined, epoch = ''): RolloutGate {
    this.#policy = fleetPolicy(policy, epoch);
    if (holdsSlot(previous)) this.#slots.add(key);
    this.#remember(key, previous);
    const max = policy?.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE;
    const gate: RolloutGate = {
      onlyWhenStopped: policy?.onlyWhenStopped === true,
      slot: this.#slots.has(key) || this.#slots.size < max,
      rollback: policy?.rollbackOnFailure !== false,
      epoch,
      halted: (target) => haltMessage(this.#members.values(), target, this.#policy),
    };
    if (policy?.steps) gate.step = (target) => this.#stepWait(key, target, now);
    if (policy?.onlyWhenIdle) gate.idle = { afterMs: parseDuration(policy.onlyWhenIdle), now };
    if (policy?.window) gate.window = windowState(policy.window, now);
    return gate;
  }

  #stepWait(key: string, target: string, now: Date): string | undefined {
    const others = [...this.#members.entries()].filter(([k]) => k !== key).map(([, m]) => m);
    const verdict = stepVerdict(others, target, this.#policy, this.#steps.get(target), now);
    this.#steps.set(target, verdict.progress);
    return verdict.wait;
  }

  /** A Workspace not reconciled yet since the start: its failure from the status counts for the halt. */
  #remember(key: string, previous: WorkspaceStatus | undefined): void {
    if (this.#members.has(key) || !previous?.rollout) return;
    const r = previous.rollout;
    this.#members.set(key, {
      ...(r.target ? { target: r.target } : {}),
      onTarget: false,
      healthy: true,
      updating: r.state === 'Updating' || r.state === 'RollingBack',
      ...(r.failedTarget ? { failedTarget: r.failedTarget, failedEpoch: r.failedEpoch ?? '' } : {}),
    });
  }

  /**
   * Takes a slot for an update the plan is about to start; false when all are
   * held, or when the canary step filled up meanwhile. Called synchronously
   * right after the diff: workers interleave at every await, and the gate
   * alone (read before the context's reads) let several of them see the same
   * free slot (seen on a real coderd: 8 updates at once under a limit of 5).
   */
  claim(key: string, policy: RolloutPolicy | undefined, target?: string, now: Date = new Date()): boolean {
    if (target !== undefined && policy?.steps && this.#stepWait(key, target, now) !== undefined) return false;
    if (target !== undefined && haltMessage(this.#members.values(), target, this.#policy) !== undefined) return false;
    if (!this.#slots.has(key)) {
      if (this.#slots.size >= (policy?.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE)) return false;
      this.#slots.add(key);
    }
    // Counted in its step at once, before its build is even sent.
    const member = this.#members.get(key);
    this.#members.set(key, { onTarget: false, healthy: true, ...member, ...(target ? { target } : {}), updating: true });
    return true;
  }

  /** Gives back a slot claimed for a reconcile that ended without recording (a binding conflict). */
  release(key: string): void {
    this.#slots.delete(key);
  }

  /** After the reconcile: keep the slot while the workspace is unavailable because of the rollout. */
  record(key: string, plan: WorkspacePlan, result: ApplyResult | undefined, state: RolloutState | undefined): void {
    const started = result?.outcomes.some((o) => o.ok && o.action.kind === 'build') ?? false;
    const unavailable = plan.lifecycle?.unavailable === true && (started || !plan.lifecycle.needsSlot);
    if (unavailable) this.#slots.add(key);
    else this.#slots.delete(key);
    if (state === undefined) this.#states.delete(key);
    else this.#states.set(key, state);
    this.#members.set(key, memberOf(plan));
  }

  /** The rollout the status records (a refused update build is a failure too, found after the plan). */
  recordStatus(key: string, rollout: WorkspaceStatus['rollout']): void {
    const member = this.#members.get(key);
    if (!member || !rollout?.failedTarget) return;
    this.#members.set(key, { ...member, failedTarget: rollout.failedTarget, failedEpoch: rollout.failedEpoch ?? '' });
  }

  forget(key: string): void {
    this.#slots.delete(key);
    this.#states.delete(key);
    this.#members.delete(key);
  }

  get inFlight(): number {
    return this.#slots.size;
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
    const versions = this.haltedVersions();
    if (versions.length > 0) counts.haltedVersions = versions;
    return counts;
  }

  /** Versions whose rollout halted, with their failures under the current resume value. */
  haltedVersions(): { version: string; failures: number }[] {
    const targets = new Set<string>();
    for (const m of this.#members.values()) if (m.failedTarget) targets.add(m.failedTarget);
    return [...targets]
      .sort()
      .map((version) => ({ version, failures: failuresOf(this.#members.values(), version, this.#policy.epoch) }))
      .filter((v) => v.failures >= this.#policy.maxFailures)
      .slice(0, 100);
  }

  /** Per state, for the metrics gauge. */
  byState(): Map<RolloutState, number> {
    const by = new Map<RolloutState, number>();
    for (const state of this.#states.values()) by.set(state, (by.get(state) ?? 0) + 1);
    return by;
  }
}

function fleetPolicy(policy: RolloutPolicy | undefined, epoch: string): FleetPolicy {
  return {
    maxFailures: policy?.maxFailures ?? DEFAULT_MAX_FAILURES,
    epoch,
    // The CRD's rule lets exactly one field through; a step without either counts as 100%.
    ...(policy?.steps
      ? { steps: policy.steps.map((x) => (x.count !== undefined ? { count: x.count } : { percent: x.percent ?? 100 })) }
      : {}),
    ...(policy?.pause ? { pauseMs: parseDuration(policy.pause) } : {}),
  };
}

/** What a status says about the slot: an update or rollback under way, or a failed update not rolled back. */
function holdsSlot(previous: WorkspaceStatus | undefined): boolean {
  const state = previous?.rollout?.state;
  if (state === 'Updating' || state === 'RollingBack') return true;
  return state === 'Failed' && previous?.rollout?.failedFor !== undefined && previous.latestBuild?.status === 'failed';
}

export function bucketOf(state: RolloutState): 'upToDate' | 'updating' | 'waiting' | 'blocked' | 'failed' {
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
