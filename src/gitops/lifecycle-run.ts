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
//
// The slots, the fleet memory and the gate are the engine's (RolloutSlots),
// the same the operator runs on; what is this door's own is the run: the
// order slots are handed out in, and following builds to their end.
import type { WorkspaceStatus } from '../api/schema.ts';
import {
  type ApplyResult,
  type CanaryStep,
  DEFAULT_MAX_FAILURES,
  type DesiredWorkspace,
  findObserved,
  type LifecycleContext,
  type RolloutGate,
  RolloutSlots,
  type Snapshot,
  type StepProgress,
  type WindowSpec,
  type WorkspaceEngine,
  type WorkspacePlan,
} from '../engine/index.ts';

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

/** What the run reads and plans with: the engine's, never Coder directly. */
export type LifecycleEngine = Pick<WorkspaceEngine, 'get' | 'lifecycleContext' | 'plan' | 'status' | 'waitForBuild'>;

export class LifecycleRun {
  readonly #engine: LifecycleEngine;
  readonly #opts: RolloutOptions;
  readonly #now: () => Date;
  readonly #hooks: LifecycleHooks;
  readonly #slots: RolloutSlots;
  readonly #contexts = new Map<string, LifecycleContext>();
  /** Workspaces followed in this run that hold a slot: while there are some, a waiter may get one. */
  #holders = 0;
  #listeners: (() => void)[] = [];
  #stopDeadline: number | undefined;
  /** Builds still in flight when this run gave up waiting (timeout or interrupt): their slots stay taken. */
  #leftInFlight = 0;

  constructor(
    engine: LifecycleEngine,
    opts: RolloutOptions,
    now: () => Date = () => new Date(),
    memory: RolloutMemory = {},
    hooks: LifecycleHooks = {},
  ) {
    this.#engine = engine;
    this.#opts = opts;
    this.#now = now;
    this.#hooks = hooks;
    const epoch = opts.resume ? `resumed ${now().toISOString()}` : (memory.epoch ?? '');
    const limits = {
      maxUnavailable: opts.maxUnavailable,
      onlyWhenStopped: opts.onlyWhenStopped === true,
      rollback: opts.rollbackOnFailure !== false,
      idleAfterMs: opts.onlyWhenIdleMs,
      window: opts.window,
      fleet: { maxFailures: opts.maxFailures ?? DEFAULT_MAX_FAILURES, epoch, steps: opts.steps, pauseMs: opts.pauseMs },
    };
    this.#slots = new RolloutSlots(limits, memory.steps ?? {});
  }

  /** What to record in the state file for the next run. */
  memory(): RolloutMemory {
    const epoch = this.#slots.limits.fleet.epoch;
    const steps = this.#slots.steps();
    return {
      ...(epoch ? { epoch } : {}),
      ...(Object.keys(steps).length > 0 ? { steps } : {}),
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

  /** The gate for one workspace (key): halts and steps look at the rest of the fleet; `slot` unset: whether one is free. */
  gate(key: string, slot?: boolean): RolloutGate {
    return this.#slots.gate(key, this.#now(), slot);
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
        return observed ? this.#engine.lifecycleContext(d, observed, previous(d.key), this.gate(d.key, false)) : undefined;
      }),
    );
    // First pass, nothing new admitted: what each workspace wants, its failures, what holds a slot already.
    const first = desired.map((d, i) => {
      const ctx = contexts[i];
      const plan = this.#engine.plan(d, findObserved(snapshot, d), ctx ? { ...ctx, gate: withoutHaltOrStep(ctx.gate) } : undefined);
      this.#slots.observe(d.key, plan);
      if (ctx) this.#contexts.set(d.key, ctx);
      return plan;
    });
    if (mode === 'apply') for (const p of first) if (p.lifecycle?.unavailable && !p.lifecycle.needsSlot) this.#slots.hold(p.key);
    const plans: WorkspacePlan[] = [];
    for (const [i, d] of desired.entries()) {
      const ctx = contexts[i];
      if (!ctx) {
        plans.push(first[i]!);
        continue;
      }
      const observed = findObserved(snapshot, d);
      const planWith = (gate: RolloutGate) => this.#engine.plan(d, observed, { ...ctx, gate });
      // plan shows every update as it will run; apply hands the slots out in declaration order.
      const plan =
        mode === 'plan' ? planWith(this.gate(d.key, true)) : this.#slots.planClaiming(d.key, this.#now(), planWith, this.gate(d.key));
      this.#slots.observe(d.key, plan);
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
      if (p.lifecycle?.needsSlot && !started[i]) this.#slots.release(p.key);
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
        if (holding) this.#release(plan.key, !keepSlot);
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
      const { desired, observed } = plans[i]!;
      const plan = this.#slots.planClaiming(key, this.#now(), (gate) => this.#engine.plan(desired, observed, { ...ctx, gate }));
      plans[i] = plan;
      this.#slots.observe(key, plan);
      if (plan.lifecycle?.needsSlot) {
        this.#holders++;
        return true;
      }
      if (!WAITING_FOR_TURN.has(plan.lifecycle?.rollout?.state ?? '') || this.#holders === 0) return false;
      await new Promise<void>((resolve) => this.#listeners.push(resolve));
    }
  }

  #release(key: string, freeSlot: boolean): void {
    this.#holders--;
    if (freeSlot) this.#slots.release(key);
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
      memory = this.#engine.status(plan, result, { now: this.#now(), previous: memory });
      const observed = await this.#engine.get(id);
      // Gone from Coder meanwhile (deleted by someone): nothing left to follow.
      if (!observed) break;
      if (plan.observed?.favorite !== undefined) observed.favorite = plan.observed.favorite;
      const ctx: LifecycleContext = await this.#engine.lifecycleContext(plan.desired, observed, memory, this.gate(plan.key, true));
      plan = this.#engine.plan(plan.desired, observed, ctx);
      this.#slots.observe(plan.key, plan);
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
  #waitForBuild(buildId: string): Promise<string> {
    const pollMs = this.#opts.pollMs ?? POLL_MS;
    return this.#engine.waitForBuild(buildId, {
      timeoutMs: this.#opts.buildTimeoutMs,
      pollMs,
      now: () => this.#now().getTime(),
      sleep: (ms) => new Promise<void>((resolve) => (ms === 0 ? setImmediate(resolve) : setTimeout(resolve, ms))),
      stopAt: () => this.#stopDeadline,
    });
  }
}

function isBusy(status: string): boolean {
  return status === 'pending' || status === 'starting' || status === 'stopping' || status === 'canceling';
}

function lifecycleManaged(d: DesiredWorkspace): boolean {
  return d.running !== undefined || d.version !== undefined || d.parametersManaged === true;
}

/** The first pass's gate: neither a halted rollout nor a full canary step is asked yet (the second pass asks). */
function withoutHaltOrStep(gate: RolloutGate): RolloutGate {
  const { halted: _halted, step: _step, ...rest } = gate;
  return rest;
}
