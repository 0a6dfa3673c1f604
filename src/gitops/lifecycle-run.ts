// The CLI's side of spec.running / spec.version / spec.parameters: plan with
// what lifecycle.ts needs to know (version names, current parameter values,
// the rollout gate), and in apply, carry each workspace through its builds
// (wait for one, look at the workspace again, plan the next) until nothing
// is left to do, with at most `maxUnavailable` workspaces updating at once.
// A workspace that waits for a slot gets one when another finishes, in the
// same run; one that waits for the window or for a stop is left for a later
// run (status.rollout says which).
import type { WorkspaceStatus } from '../api/schema.ts';
import type { CoderApi } from '../coder/api.ts';
import { waitForBuild, type ApplyResult } from '../engine/apply.ts';
import { diff } from '../engine/diff.ts';
import type { WorkspaceEngine } from '../engine/engine.ts';
import type { LifecycleContext, RolloutGate } from '../engine/lifecycle.ts';
import { LifecycleReader } from '../engine/lifecycle-context.ts';
import { findObserved, toObserved, type Snapshot } from '../engine/observe.ts';
import { windowState, type WindowSpec } from '../engine/rollout-window.ts';
import { computeStatus } from '../engine/status.ts';
import type { DesiredWorkspace, WorkspacePlan } from '../engine/types.ts';

export interface RolloutOptions {
  /** Workspaces updated at once in this run. */
  maxUnavailable: number;
  window?: WindowSpec;
  onlyWhenStopped?: boolean;
  /** How long apply waits for one build of the lifecycle. */
  buildTimeoutMs: number;
}

export const DEFAULT_ROLLOUT: RolloutOptions = { maxUnavailable: 10, buildTimeoutMs: 600_000 };

/** Ends a lifecycle that does not settle (a workspace someone keeps changing). */
const MAX_STEPS = 6;

export class LifecycleRun {
  readonly #api: CoderApi;
  readonly #opts: RolloutOptions;
  readonly #reader: LifecycleReader;
  readonly #now: () => Date;
  readonly #coderUrl: string;
  #free: number;
  readonly #waiters: ((granted: boolean) => void)[] = [];
  /** Driven workspaces holding a slot: while there are some, a waiter will get one. */
  #holders = 0;

  constructor(api: CoderApi, opts: RolloutOptions, coderUrl: string, now: () => Date = () => new Date()) {
    this.#api = api;
    this.#opts = opts;
    this.#reader = new LifecycleReader(api, () => now().getTime());
    this.#now = now;
    this.#coderUrl = coderUrl;
    this.#free = opts.maxUnavailable;
  }

  gate(slot: boolean): RolloutGate {
    const gate: RolloutGate = { onlyWhenStopped: this.#opts.onlyWhenStopped === true, slot };
    if (this.#opts.window) gate.window = windowState(this.#opts.window, this.#now());
    return gate;
  }

  /**
   * Plans every declaration. `apply` hands out rollout slots in declaration
   * order (the rest wait for one); `plan` shows every update as it will run.
   */
  async planAll(
    desired: DesiredWorkspace[],
    snapshot: Snapshot,
    previous: (key: string) => WorkspaceStatus | undefined,
    mode: 'plan' | 'apply',
  ): Promise<WorkspacePlan[]> {
    // The reads (version names, parameter values) in parallel; the client's rate limiter paces them.
    const gate = this.gate(true); // one window check for the whole pass
    const contexts = await Promise.all(
      desired.map((d) => {
        const observed = findObserved(snapshot, d);
        return observed ? this.#reader.context(d, observed, previous(d.key), gate) : undefined;
      }),
    );
    const plans: WorkspacePlan[] = [];
    for (const [i, d] of desired.entries()) {
      const observed = findObserved(snapshot, d);
      // A workspace whose update is under way holds its slot from the run that started it.
      const holds = previous(d.key)?.rollout?.state === 'Updating';
      const ctx = contexts[i];
      let plan = diff(d, observed, ctx);
      if (holds && mode === 'apply' && plan.lifecycle?.rollout?.state === 'Updating') this.#free--;
      if (mode === 'apply' && plan.lifecycle?.needsSlot && !holds) {
        if (this.#free > 0) this.#free--;
        else plan = diff(d, observed, { ...ctx!, gate: { ...ctx!.gate, slot: false } });
      }
      plans.push(plan);
    }
    return plans;
  }

  /**
   * After the first pass of apply: follow every workspace whose build was
   * started, or that waits for a slot, through its remaining builds. Returns
   * the last plan and the result of all its steps per index.
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
    // Counted as planAll counted: a slot taken for this run's update build, or kept from an earlier run's.
    const carried = (p: WorkspacePlan) => previous(p.key)?.rollout?.state === 'Updating' && p.lifecycle?.rollout?.state === 'Updating';
    const holds = plans.map((p, i) => (started[i] && p.lifecycle?.needsSlot === true) || carried(p));
    // A slot taken for a build that was refused goes back at once.
    plans.forEach((p, i) => {
      if (p.lifecycle?.needsSlot && !started[i] && !carried(p)) this.#give();
    });
    this.#holders = plans.filter((_p, i) => started[i] && holds[i]).length;
    const tasks = plans.map(async (plan, i) => {
      const waiting = plan.lifecycle?.rollout?.state === 'WaitingForSlot';
      if (!started[i] && !waiting) return;
      let holding = started[i] && holds[i];
      try {
        if (waiting) {
          if (!(await this.#take())) return; // nobody in this run frees a slot: a later run updates it
          holding = true;
        }
        await this.#follow(plan, results[i]!, engine, previous(plan.key), i, plans, results);
      } finally {
        if (holding) {
          this.#holders--;
          this.#give();
        }
      }
    });
    await Promise.all(tasks);
  }

  async #follow(
    first: WorkspacePlan,
    firstResult: ApplyResult,
    engine: Pick<WorkspaceEngine, 'apply'>,
    before: WorkspaceStatus | undefined,
    i: number,
    plans: WorkspacePlan[],
    results: ApplyResult[],
  ): Promise<void> {
    let plan = first;
    let result = firstResult;
    let memory = before;
    const outcomes = [...result.outcomes];
    for (let step = 0; step < MAX_STEPS; step++) {
      const buildId = result.outcomes.some((o) => o.ok && (o.action.kind === 'build' || o.action.kind === 'create'))
        ? result.observed?.latestBuild.id
        : undefined;
      if (buildId !== undefined) {
        const ended = await waitForBuild(this.#api, buildId, {
          timeoutMs: this.#opts.buildTimeoutMs,
          pollMs: 250,
          now: () => this.#now().getTime(),
        });
        if (ended === 'timeout') break;
      }
      const id = result.observed?.id ?? plan.observed?.id;
      if (id === undefined) break;
      memory = computeStatus({ plan, result, coderUrl: this.#coderUrl, now: this.#now(), previous: memory });
      const observed = toObserved(await this.#api.getWorkspace(id), false);
      if (plan.observed?.favorite !== undefined) observed.favorite = plan.observed.favorite;
      const ctx: LifecycleContext = await this.#reader.context(plan.desired, observed, memory, this.gate(true));
      plan = diff(plan.desired, observed, ctx);
      const builds = plan.actions.filter((a) => a.kind === 'build');
      if (builds.length === 0) {
        result = { key: plan.key, outcomes: [], observed };
        break;
      }
      result = (await engine.apply({ ...plan, actions: builds })) ?? { key: plan.key, outcomes: [], observed };
      outcomes.push(...result.outcomes);
      if (result.outcomes.some((o) => !o.ok)) break;
    }
    plans[i] = plan;
    results[i] = { ...result, outcomes, ...(firstResult.origin ? { origin: firstResult.origin } : {}) };
  }

  /** A slot, or false when none is free and no workspace of this run will free one. */
  #take(): Promise<boolean> {
    if (this.#free > 0) {
      this.#free--;
      this.#holders++;
      return Promise.resolve(true);
    }
    if (this.#holders === 0) return Promise.resolve(false);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #give(): void {
    const next = this.#waiters.shift();
    if (next) {
      this.#holders++; // counted before the waiter runs, so the check below sees it
      next(true);
    } else this.#free++;
    // The last holder is done and slots are still short: the rest wait for a later run.
    if (this.#holders === 0 && this.#free === 0) for (const w of this.#waiters.splice(0)) w(false);
  }
}

function lifecycleManaged(d: DesiredWorkspace): boolean {
  return d.running !== undefined || d.version !== undefined || d.parametersManaged === true;
}
