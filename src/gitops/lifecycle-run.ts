// The CLI's side of spec.running / spec.version / spec.parameters: plan with
// what lifecycle.ts needs to know (version names, current parameter values,
// the rollout gate), and in apply, carry each workspace through its builds
// (wait for one, look at the workspace again, plan the next) until nothing
// is left to do, with at most `maxUnavailable` workspaces unavailable because
// of the rollout at once.
//
// What counts against the limit (FleetMember / LifecycleOutcome.unavailable):
// an update or rollback build under way (also one a previous run left in
// flight), a start owed after an update stop, and a failed update not rolled
// back. A slot is held until its build is seen finished: a build that
// outlives --build-timeout keeps its slot for the rest of the run.
//
// A workspace that waits for a slot or a canary step gets its turn when
// another finishes, in the same run; one that waits for the window, a stop or
// idleness is left for a later run (status.rollout says which).
//
// Interruptible: after stop() (SIGINT/SIGTERM) no new build starts, builds in
// flight are awaited for at most `interruptGraceMs`, and what is owed is in
// the memory the caller records (status.rollout in the state file).
import type { WorkspaceStatus } from '../api/schema.ts';
import type { CoderApi } from '../coder/api.ts';
import type { ApplyResult } from '../engine/apply.ts';
import { diff } from '../engine/diff.ts';
import type { WorkspaceEngine } from '../engine/engine.ts';
import type { LifecycleContext, RolloutGate } from '../engine/lifecycle.ts';
import { LifecycleReader } from '../engine/lifecycle-context.ts';
import {
  type CanaryStep,
  DEFAULT_MAX_FAILURES,
  type FleetMember,
  type FleetPolicy,
  haltMessage,
  memberOf,
  type StepProgress,
  stepVerdict,
} from '../engine/lifecycle-fleet.ts';
import { findObserved, toObserved, type Snapshot } from '../engine/observe.ts';
import { windowState, type WindowSpec } from '../engine/rollout-window.ts';
import { computeStatus } from '../engine/status.ts';
import type { DesiredWorkspace, WorkspacePlan } from '../engine/types.ts';

export interface RolloutOptions {
  /** Workspaces unavailable because of the rollout at once. */
  maxUnavailable: number;
  window?: WindowSpec;
  onlyWhenStopped?: boolean;
  /** Restart a running workspace only when Coder's last_used_at is older than this. */
  onlyWhenIdleMs?: number;
  /** Failed updates to one version after which its rollout halts; default 1. */
  maxFailures?: number;
  /** Roll a failed update back to the previous version and run state; default true. */
  rollbackOnFailure?: boolean;
  steps?: CanaryStep[];
  pauseMs?: number;
  /** Resume halted rollouts in this run (failures recorded before it no longer count). */
  resume?: boolean;
  /** How long apply waits for one build of the lifecycle. */
  buildTimeoutMs: number;
  /** After an interrupt, how long builds in flight are still awaited. */
  interruptGraceMs?: number;
  /** How often a build is polled; default 250 ms (tests with a logical clock use 0). */
  pollMs?: number;
}

export const DEFAULT_ROLLOUT: RolloutOptions = { maxUnavailable: 10, buildTimeoutMs: 600_000 };
const DEFAULT_INTERRUPT_GRACE_MS = 30_000;
const POLL_MS = 250;

/** What the state file remembers of the rollout across runs (besides each workspace's status.rollout). */
export interface RolloutMemory {
  /** The resume value in force: a --resume-rollout run sets a new one. */
  epoch?: string;
  /** Canary progress per target version. */
  steps?: Record<string, StepProgress>;
}

export interface LifecycleHooks {
  /**
   * Called before update builds are sent, with their plans and the run's
   * rollout memory (a resume included): records the owed start (the state file).
   */
  beforeBuilds?(plans: WorkspacePlan[], memory: RolloutMemory): Promise<void>;
}

/** Ends a lifecycle that does not settle (a workspace someone keeps changing). */
const MAX_STEPS = 6;

const WAITING_FOR_TURN = new Set(['WaitingForSlot', 'WaitingForStep']);

export class LifecycleRun {
  readonly #api: CoderApi;
  readonly #opts: RolloutOptions;
  readonly #reader: LifecycleReader;
  readonly #now: () => Date;
  readonly #coderUrl: string;
  readonly #hooks: LifecycleHooks;
  readonly #policy: FleetPolicy;
  readonly #steps: Map<string, StepProgress>;
  readonly #members = new Map<string, FleetMember>();
  readonly #contexts = new Map<string, LifecycleContext>();
  #free: number;
  /** Workspaces followed in this run that hold a slot: while there are some, a waiter may get one. */
  #holders = 0;
  #listeners: (() => void)[] = [];
  #stopDeadline: number | undefined;
  /** Builds still in flight when this run gave up waiting (timeout or interrupt): their slots stay taken. */
  #leftInFlight = 0;

  constructor(
    api: CoderApi,
    opts: RolloutOptions,
    coderUrl: string,
    now: () => Date = () => new Date(),
    memory: RolloutMemory = {},
    hooks: LifecycleHooks = {},
  ) {
    this.#api = api;
    this.#opts = opts;
    this.#reader = new LifecycleReader(api, () => now().getTime());
    this.#now = now;
    this.#coderUrl = coderUrl;
    this.#hooks = hooks;
    this.#free = opts.maxUnavailable;
    const epoch = opts.resume ? `resumed ${now().toISOString()}` : (memory.epoch ?? '');
    this.#policy = {
      maxFailures: opts.maxFailures ?? DEFAULT_MAX_FAILURES,
      epoch,
      ...(opts.steps ? { steps: opts.steps } : {}),
      ...(opts.pauseMs !== undefined ? { pauseMs: opts.pauseMs } : {}),
    };
    this.#steps = new Map(Object.entries(memory.steps ?? {}));
  }

  /** What to record in the state file for the next run. */
  memory(): RolloutMemory {
    return {
      ...(this.#policy.epoch ? { epoch: this.#policy.epoch } : {}),
      ...(this.#steps.size > 0 ? { steps: Object.fromEntries(this.#steps) } : {}),
    };
  }

  /** Interrupt: no new build starts; builds in flight are awaited for a bounded time. */
  stop(): void {
    if (this.#stopDeadline !== undefined) return;
    this.#stopDeadline = this.#now().getTime() + (this.#opts.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS);
    this.#wake();
  }

  get stopping(): boolean {
    return this.#stopDeadline !== undefined;
  }

  /** Builds this run stopped waiting for (timeout, interrupt): still running in Coder, recorded as Updating. */
  get leftInFlight(): number {
    return this.#leftInFlight;
  }

  /** The gate for one workspace (key): halts and steps look at the rest of the fleet. */
  gate(key: string, slot: boolean): RolloutGate {
    const gate: RolloutGate = {
      onlyWhenStopped: this.#opts.onlyWhenStopped === true,
      slot,
      rollback: this.#opts.rollbackOnFailure !== false,
      epoch: this.#policy.epoch,
      halted: (target) => haltMessage(this.#members.values(), target, this.#policy),
    };
    if (this.#opts.steps) gate.step = (target) => this.#stepWait(key, target);
    if (this.#opts.onlyWhenIdleMs !== undefined) gate.idle = { afterMs: this.#opts.onlyWhenIdleMs, now: this.#now() };
    if (this.#opts.window) gate.window = windowState(this.#opts.window, this.#now());
    return gate;
  }

  #stepWait(key: string, target: string): string | undefined {
    const others = [...this.#members.entries()].filter(([k]) => k !== key).map(([, m]) => m);
    const verdict = stepVerdict(others, target, this.#policy, this.#steps.get(target), this.#now());
    this.#steps.set(target, verdict.progress);
    return verdict.wait;
  }

  /**
   * Plans every declaration. `apply` hands out rollout slots in declaration
   * order, after counting the workspaces that hold one from an earlier run
   * (the rest wait for one); `plan` shows every update as it will run.
   */
  async planAll(
    desired: DesiredWorkspace[],
    snapshot: Snapshot,
    previous: (key: string) => WorkspaceStatus | undefined,
    mode: 'plan' | 'apply',
  ): Promise<WorkspacePlan[]> {
    // The reads (version names, parameter values) in parallel; the client's rate limiter paces them.
    const contexts = await Promise.all(
      desired.map((d) => {
        const observed = findObserved(snapshot, d);
        return observed ? this.#reader.context(d, observed, previous(d.key), this.gate(d.key, false)) : undefined;
      }),
    );
    // First pass, nothing new admitted: what each workspace wants, its failures, what holds a slot already.
    const first = desired.map((d, i) => {
      const ctx = contexts[i];
      const plan = diff(
        d,
        findObserved(snapshot, d),
        ctx ? { ...ctx, gate: { ...ctx.gate, halted: undefined, step: undefined } } : undefined,
      );
      this.#members.set(d.key, memberOf(plan));
      if (ctx) this.#contexts.set(d.key, ctx);
      return plan;
    });
    if (mode === 'apply') for (const p of first) if (p.lifecycle?.unavailable && !p.lifecycle.needsSlot) this.#free--;
    const plans: WorkspacePlan[] = [];
    for (const [i, d] of desired.entries()) {
      const ctx = contexts[i];
      if (!ctx) {
        plans.push(first[i]!);
        continue;
      }
      const plan = diff(d, findObserved(snapshot, d), { ...ctx, gate: this.gate(d.key, mode === 'plan' || this.#free > 0) });
      if (mode === 'apply' && plan.lifecycle?.needsSlot) this.#free--;
      this.#members.set(d.key, memberOf(plan));
      plans.push(plan);
    }
    return plans;
  }

  /**
   * The first pass of apply: every plan, at most `concurrency` at once; none
   * started after an interrupt. The owed starts of its update builds are
   * recorded first.
   */
  async applyFirst(plans: WorkspacePlan[], engine: Pick<WorkspaceEngine, 'apply'>, concurrency: number): Promise<ApplyResult[]> {
    const updates = plans.filter((p) => p.lifecycle?.needsSlot || p.actions.some((a) => a.kind === 'build' && a.purpose !== 'run'));
    if (updates.length > 0) await this.#hooks.beforeBuilds?.(updates, this.memory());
    const results: ApplyResult[] = new Array(plans.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < plans.length; i = next++) {
        const plan = plans[i]!;
        const result = this.stopping ? undefined : await engine.apply(plan);
        results[i] = result ?? { key: plan.key, outcomes: [], observed: plan.observed };
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, plans.length)) }, worker));
    return results;
  }

  /**
   * After the first pass of apply: follow every workspace whose build was
   * started (or that a previous run left mid-update), or that waits for a slot
   * or a step, through its remaining builds. Updates plans and results in place.
   */
  async drive(
    plans: WorkspacePlan[],
    results: ApplyResult[],
    engine: Pick<WorkspaceEngine, 'apply'>,
    previous: (key: string) => WorkspaceStatus | undefined,
  ): Promise<void> {
    // A create starts a build too: a new workspace with spec.running: false is stopped once it is up.
    const started = results.map((r, i) =>
      r.outcomes.some((o) => o.ok && (o.action.kind === 'build' || (o.action.kind === 'create' && lifecycleManaged(plans[i]!.desired)))),
    );
    const refused = results.map((r) => r.outcomes.some((o) => !o.ok && o.action.kind === 'build'));
    const holds = plans.map((p, i) => p.lifecycle?.unavailable === true && !refused[i] && (started[i] || !p.lifecycle.needsSlot));
    // A slot taken for a build that was refused or never sent (interrupt) goes back at once.
    plans.forEach((p, i) => {
      if (p.lifecycle?.needsSlot && !started[i]) this.#free++;
    });
    // A build a previous run left in flight is followed too, so its slot frees when it ends.
    const inFlight = plans.map((p, i) => !started[i] && holds[i] && p.observed !== undefined && isBusy(p.observed.latestBuild.status));
    this.#holders = holds.filter((h, i) => h && (started[i] || inFlight[i])).length;
    const tasks = plans.map(async (plan, i) => {
      const waiting = WAITING_FOR_TURN.has(plan.lifecycle?.rollout?.state ?? '');
      const followed = started[i] || inFlight[i];
      if (!followed && !waiting) return;
      let holding = followed && holds[i]!;
      let keepSlot = false;
      try {
        if (!followed) {
          if (!(await this.#admit(plans, i))) return; // nobody in this run frees a slot or a step: a later run updates it
          holding = true;
        }
        const first = followed ? results[i]! : { key: plan.key, outcomes: [], observed: plans[i]!.observed };
        const buildId = followed && inFlight[i] ? plan.observed!.latestBuild.id : undefined;
        keepSlot = await this.#follow(plans, results, i, first, engine, previous(plan.key), buildId);
      } finally {
        if (holding) this.#release(!keepSlot);
      }
    });
    await Promise.all(tasks);
  }

  /** Waits for a slot (and a step) for plans[i]; false when none will come in this run. */
  async #admit(plans: WorkspacePlan[], i: number): Promise<boolean> {
    const key = plans[i]!.key;
    const ctx = this.#contexts.get(key);
    if (!ctx) return false;
    for (;;) {
      if (this.stopping) return false;
      const plan = diff(plans[i]!.desired, plans[i]!.observed, { ...ctx, gate: this.gate(key, this.#free > 0) });
      plans[i] = plan;
      this.#members.set(key, memberOf(plan));
      if (plan.lifecycle?.needsSlot && this.#free > 0) {
        this.#free--;
        this.#holders++;
        return true;
      }
      if (!WAITING_FOR_TURN.has(plan.lifecycle?.rollout?.state ?? '') || this.#holders === 0) return false;
      await new Promise<void>((resolve) => this.#listeners.push(resolve));
    }
  }

  #release(freeSlot: boolean): void {
    this.#holders--;
    if (freeSlot) this.#free++;
    this.#wake();
  }

  #wake(): void {
    for (const listener of this.#listeners.splice(0)) listener();
  }

  /**
   * Follows one workspace through its builds. Returns true when it stopped
   * waiting for a build Coder still runs (its slot stays taken).
   */
  async #follow(
    plans: WorkspacePlan[],
    results: ApplyResult[],
    i: number,
    firstResult: ApplyResult,
    engine: Pick<WorkspaceEngine, 'apply'>,
    before: WorkspaceStatus | undefined,
    carriedBuild: string | undefined,
  ): Promise<boolean> {
    let plan = plans[i]!;
    let result = firstResult;
    let memory = before;
    let leftRunning = false;
    const outcomes = [...result.outcomes];
    for (let step = 0; step < MAX_STEPS; step++) {
      const buildId =
        (step === 0 ? carriedBuild : undefined) ??
        (result.outcomes.some((o) => o.ok && (o.action.kind === 'build' || o.action.kind === 'create'))
          ? result.observed?.latestBuild.id
          : undefined);
      if (buildId !== undefined) {
        const ended = await this.#waitForBuild(buildId);
        if (ended === 'timeout') {
          leftRunning = true;
          this.#leftInFlight++;
          break;
        }
      }
      const id = result.observed?.id ?? plan.observed?.id;
      if (id === undefined) break;
      memory = computeStatus({ plan, result, coderUrl: this.#coderUrl, now: this.#now(), previous: memory });
      const observed = toObserved(await this.#api.getWorkspace(id), false);
      if (plan.observed?.favorite !== undefined) observed.favorite = plan.observed.favorite;
      const ctx: LifecycleContext = await this.#reader.context(plan.desired, observed, memory, this.gate(plan.key, true));
      plan = diff(plan.desired, observed, ctx);
      this.#members.set(plan.key, memberOf(plan));
      const builds = plan.actions.filter((a) => a.kind === 'build');
      if (builds.length === 0 || this.stopping) {
        result = { key: plan.key, outcomes: [], observed };
        break;
      }
      await this.#hooks.beforeBuilds?.([plan], this.memory());
      result = (await engine.apply({ ...plan, actions: builds })) ?? { key: plan.key, outcomes: [], observed };
      outcomes.push(...result.outcomes);
      if (result.outcomes.some((o) => !o.ok)) break;
    }
    plans[i] = plan;
    results[i] = { ...result, outcomes, ...(firstResult.origin ? { origin: firstResult.origin } : {}) };
    return leftRunning;
  }

  /** The build's end, or 'timeout' after --build-timeout (or the interrupt's grace period). */
  async #waitForBuild(buildId: string): Promise<string> {
    const deadline = this.#now().getTime() + this.#opts.buildTimeoutMs;
    for (;;) {
      const build = await this.#api.getBuild(buildId);
      const status = build.job.status;
      if (status === 'succeeded' || status === 'failed' || status === 'canceled') return status;
      const now = this.#now().getTime();
      if (now >= deadline || (this.#stopDeadline !== undefined && now >= this.#stopDeadline)) return 'timeout';
      const pollMs = this.#opts.pollMs ?? POLL_MS;
      await new Promise<void>((resolve) => (pollMs === 0 ? setImmediate(resolve) : setTimeout(resolve, pollMs)));
    }
  }
}

function isBusy(status: string): boolean {
  return status === 'pending' || status === 'starting' || status === 'stopping' || status === 'canceling';
}

function lifecycleManaged(d: DesiredWorkspace): boolean {
  return d.running !== undefined || d.version !== undefined || d.parametersManaged === true;
}
