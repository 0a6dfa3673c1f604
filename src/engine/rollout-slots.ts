// The rollout's slots and fleet memory, one implementation for both doors: the
// operator keeps one per connection (controller/workspace/rollout.ts), the CLI
// one per run (gitops/lifecycle-run.ts). It knows which workspaces hold one of
// the `maxUnavailable` slots, what each workspace is doing for the fleet rules
// (lifecycle-fleet.ts: the halt of a version after maxFailures failed updates,
// canary steps), and builds the gate planLifecycle() decides with.
//
// A workspace holds a slot while it is unavailable because of the rollout
// (LifecycleOutcome.unavailable): an update or rollback build under way, a
// start owed after an update stop, a failed update not rolled back. It takes
// one with claim(), in the same synchronous step as the diff that asked for it
// (planClaiming): the doors interleave at every await, and a gate read before
// the context's reads let several workspaces see the same free slot (seen on a
// real coderd: 8 updates at once under a limit of 5).
import type { RolloutStatus } from '../api/schema.ts';
import type { RolloutGate } from './lifecycle.ts';
import {
  DEFAULT_MAX_FAILURES,
  failuresOf,
  type FleetMember,
  type FleetPolicy,
  haltMessage,
  memberOf,
  type StepProgress,
  stepVerdict,
} from './lifecycle-fleet.ts';
import { windowState, type WindowSpec } from './rollout-window.ts';
import type { WorkspacePlan } from './types.ts';

/** The rollout policy, as both doors read it from their own input (spec.rollout, the CLI's flags); undefined: not set. */
export interface RolloutLimits {
  /** Workspaces unavailable because of the rollout at once (Infinity: no limit, as a CLI plan shows it). */
  maxUnavailable: number;
  onlyWhenStopped: boolean;
  /** Roll a failed update back to the previous version and run state. */
  rollback: boolean;
  /** Restart a running workspace only when Coder's last_used_at is older than this. */
  idleAfterMs?: number | undefined;
  window?: WindowSpec | undefined;
  /** The halt and the canary steps; its epoch is the resume value in force. */
  fleet: FleetPolicy;
}

const NO_ROLLOUT_LIMITS: RolloutLimits = {
  maxUnavailable: 0,
  onlyWhenStopped: false,
  rollback: true,
  fleet: { maxFailures: DEFAULT_MAX_FAILURES, epoch: '' },
};

export class RolloutSlots {
  readonly #holders = new Set<string>();
  readonly #members = new Map<string, FleetMember>();
  readonly #steps: Map<string, StepProgress>;
  #limits: RolloutLimits;

  constructor(limits: RolloutLimits = NO_ROLLOUT_LIMITS, steps: Record<string, StepProgress> = {}) {
    this.#limits = limits;
    this.#steps = new Map(Object.entries(steps));
  }

  /** The policy in force from now on (the operator reads it again at every reconcile). */
  configure(limits: RolloutLimits): void {
    this.#limits = limits;
  }

  get limits(): RolloutLimits {
    return this.#limits;
  }

  /**
   * The gate for one workspace (key): halts and steps look at the rest of the
   * fleet. `slot` overrides whether it may take a slot (the CLI's build loop
   * carries on a workspace it follows without asking again).
   */
  gate(key: string, now: Date, slot = this.holds(key) || this.#free()): RolloutGate {
    const limits = this.#limits;
    const gate: RolloutGate = {
      onlyWhenStopped: limits.onlyWhenStopped,
      slot,
      rollback: limits.rollback,
      epoch: limits.fleet.epoch,
      halted: (target) => haltMessage(this.#members.values(), target, limits.fleet),
    };
    if (limits.fleet.steps) gate.step = (target) => this.#stepWait(key, target, now);
    if (limits.idleAfterMs !== undefined) gate.idle = { afterMs: limits.idleAfterMs, now };
    if (limits.window) gate.window = windowState(limits.window, now);
    return gate;
  }

  /**
   * Plans with the gate and, when the plan starts an update, takes its slot
   * with no await in between. When the slot or the canary step filled up
   * meanwhile, plans again without a slot: the gate then says which.
   */
  planClaiming(key: string, now: Date, planWith: (gate: RolloutGate) => WorkspacePlan, gate = this.gate(key, now)): WorkspacePlan {
    const plan = planWith(gate);
    if (!plan.lifecycle?.needsSlot || this.claim(key, plan.lifecycle.wanted?.id, now)) return plan;
    return planWith({ ...this.gate(key, now), slot: false });
  }

  /**
   * Takes a slot for an update the plan is about to start; false when all are
   * held, when the canary step has no room, or when the target's rollout halted.
   */
  claim(key: string, target: string | undefined, now: Date): boolean {
    if (target !== undefined && this.#limits.fleet.steps && this.#stepWait(key, target, now) !== undefined) return false;
    if (target !== undefined && haltMessage(this.#members.values(), target, this.#limits.fleet) !== undefined) return false;
    if (!this.#holders.has(key)) {
      if (!this.#free()) return false;
      this.#holders.add(key);
    }
    // Counted in its step at once, before its build is even sent.
    const member = this.#members.get(key);
    this.#members.set(key, { onTarget: false, healthy: true, ...member, ...(target ? { target } : {}), updating: true });
    return true;
  }

  /** Holds a slot whatever the limit: the workspace is unavailable because of the rollout already. */
  hold(key: string): void {
    this.#holders.add(key);
  }

  /** Gives the slot back (its build ended, was refused or never sent). */
  release(key: string): void {
    this.#holders.delete(key);
  }

  holds(key: string): boolean {
    return this.#holders.has(key);
  }

  /** Slots held. */
  get inFlight(): number {
    return this.#holders.size;
  }

  /** What the workspace's plan says about it, for the fleet rules. */
  observe(key: string, plan: WorkspacePlan): void {
    this.#members.set(key, memberOf(plan));
  }

  /** A workspace not planned yet (after a restart): its failure from the last status counts for the halt. */
  remember(key: string, rollout: RolloutStatus | undefined): void {
    if (this.#members.has(key) || !rollout) return;
    this.#members.set(key, {
      ...(rollout.target ? { target: rollout.target } : {}),
      onTarget: false,
      healthy: true,
      updating: rollout.state === 'Updating' || rollout.state === 'RollingBack',
      ...(rollout.failedTarget ? { failedTarget: rollout.failedTarget, failedEpoch: rollout.failedEpoch ?? '' } : {}),
    });
  }

  /** A failure found after the plan (a refused update build), from the rollout the status records. */
  recordFailure(key: string, rollout: RolloutStatus | undefined): void {
    const member = this.#members.get(key);
    if (!member || !rollout?.failedTarget) return;
    this.#members.set(key, { ...member, failedTarget: rollout.failedTarget, failedEpoch: rollout.failedEpoch ?? '' });
  }

  forget(key: string): void {
    this.#holders.delete(key);
    this.#members.delete(key);
  }

  /** Versions whose rollout halted, with their failures under the current resume value (at most 100). */
  haltedVersions(): { version: string; failures: number }[] {
    const fleet = this.#limits.fleet;
    const targets = new Set<string>();
    for (const m of this.#members.values()) if (m.failedTarget) targets.add(m.failedTarget);
    return [...targets]
      .sort()
      .map((version) => ({ version, failures: failuresOf(this.#members.values(), version, fleet.epoch) }))
      .filter((v) => v.failures >= fleet.maxFailures)
      .slice(0, 100);
  }

  /** Canary progress per target version, for the CLI's state file. */
  steps(): Record<string, StepProgress> {
    return Object.fromEntries(this.#steps);
  }

  #free(): boolean {
    return this.#holders.size < this.#limits.maxUnavailable;
  }

  #stepWait(key: string, target: string, now: Date): string | undefined {
    const others = [...this.#members.entries()].filter(([k]) => k !== key).map(([, m]) => m);
    const verdict = stepVerdict(others, target, this.#limits.fleet, this.#steps.get(target), now);
    this.#steps.set(target, verdict.progress);
    return verdict.wait;
  }
}
