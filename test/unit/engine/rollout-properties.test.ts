// Rollout safety, proven over generated sequences (fast-check): fleets of
// running and stopped workspaces, versions whose builds fail, fast and slow
// builds, interrupts and crashes at any call, windows, idleness, canary steps,
// resumes. The CLI's rollout (gitops/lifecycle-run.ts, the same engine rules as
// the operator) drives a model of Coder with a logical clock, recording its
// memory as run.ts does (before update builds, and at the end of a run that
// was not killed). Checked at every build Coder is asked for, and at the end:
//   (a) never more than maxUnavailable workspaces unavailable because of the
//       rollout at once (builds left in flight by earlier runs and failed
//       updates included);
//   (b) once maxFailures updates to a version failed (since the last resume),
//       no new workspace starts updating to it;
//   (c) after the runs and one more apply, every workspace that was running is
//       running, on the wanted version or on the one it had;
//   (d) no canary step begins before every workspace of the previous one is on
//       the version, its build succeeded and it is healthy;
//   (e) a running workspace is stopped for an update only while the
//       maintenance window is open.
// A run may also change spec.preset (or drop it): a preset change alone is an
// update to the same version, so (a), (b) and (e) cover it; the model records
// no preset for a build sent without one (as v2.24.0 does), and every build
// with the preset `bad` fails.
// A fleet may start unsettled: a create's first start still running, or a
// start or stop by someone else under way (builds the rollout did not start,
// commit 3483695). They hold no slot, and once they end the workspace's update
// counts against the limit like any other; (c) counts the run state they end in.
// The seed is fixed (and printed by fast-check on a failure, to replay it).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RolloutStatus, WorkspaceStatus } from '../../../src/api/schema.ts';
import type { CoderApi } from '../../../src/coder/api.ts';
import type { CallBody, CoderCall, RouteParams } from '../../../src/coder/call.ts';
import type { Workspace, WorkspaceBuild } from '../../../src/coder/types.ts';
import type { ApplyResult } from '../../../src/engine/apply.ts';
import { WorkspaceEngine } from '../../../src/engine/engine.ts';
import { CoderWorkspaces } from '../../../src/engine/external.ts';
import { type CanaryStep, stepSizes } from '../../../src/engine/lifecycle-fleet.ts';
import { Snapshot, toObserved } from '../../../src/engine/observe.ts';
import { readPresets } from '../../../src/engine/settings/preset.ts';
import { computeStatus } from '../../../src/engine/status.ts';
import type { ActionOutcome, DesiredWorkspace, WorkspacePlan } from '../../../src/engine/types.ts';
import { LifecycleRun, type RolloutMemory, type RolloutOptions } from '../../../src/gitops/lifecycle-run.ts';
import { coderWorkspace } from './fake-coder.ts';

const V1 = '10000000-0000-4000-8000-000000000001';
const BAD = '20000000-0000-4000-8000-000000000002';
const GOOD = '30000000-0000-4000-8000-000000000003';
/** Every version has these presets; a build with `bad` fails. */
const PRESETS = ['p1', 'p2', 'bad'] as const;
const presetId = (name: string) => `40000000-0000-4000-8000-00000000000${PRESETS.indexOf(name as (typeof PRESETS)[number]) + 1}`;
const SEED = 19_019;
const RUNS = Number(process.env.ROLLOUT_PROPERTY_RUNS ?? 1000);
const BUILD_TIMEOUT_MS = 10_000;
const T0 = Date.parse('2026-06-15T12:00:00Z');

class Crash extends Error {}

interface ModelBuild {
  id: string;
  number: number;
  transition: 'start' | 'stop';
  version: string;
  /** template_version_preset_id; null for a build sent without one. */
  preset: string | null;
  createdAt: number;
  doneAt: number;
  outcome: 'succeeded' | 'failed';
  /** When the rollout saw it fail (model call count) and under which resume value: it counts from then. */
  seenFailed?: { epoch: string; at: number };
  /** Model calls when it was asked for. */
  call?: number;
  /** Why our rollout asked for it (undefined: the seed). */
  purpose?: string;
  target?: string;
}

interface ModelWorkspace {
  id: string;
  name: string;
  builds: ModelBuild[];
  healthy: boolean;
  lastUsedAt: number;
  runningAtStart: boolean;
  /** While an update disrupts it: since when, and whether it was running then. */
  disrupted?: { wasRunning: boolean };
}

/** A build someone else started, still under way when the first run begins: how long it has left. */
interface Unsettled {
  ms: number;
  /** The create's first start (build 1), else a start or stop after a settled build of the other kind. */
  create: boolean;
}

interface Scenario {
  /** `running`: the run state once the fleet is settled (an unsettled build ends in it). */
  fleet: { running: boolean; healthy: boolean; usedMinutesAgo: number; unsettled?: Unsettled | undefined }[];
  maxUnavailable: number;
  maxFailures: number;
  steps?: CanaryStep[] | undefined;
  pauseMs: number;
  onlyWhenIdle: boolean;
  windowOpen: boolean;
  durations: number[];
  /** spec.preset of each run (by index; undefined: absent). */
  presets: ((typeof PRESETS)[number] | undefined)[];
  runs: { target: 'bad' | 'good'; end: { kind: 'none' } | { kind: 'interrupt' | 'crash'; afterCalls: number }; resume: boolean }[];
}

/** Coder, reduced to builds on a logical clock: each build poll moves it by a second. */
class ModelCoder {
  now = T0;
  calls = 0;
  crashAt: number | undefined;
  onCall: (() => void) | undefined;
  readonly workspaces: ModelWorkspace[];
  #nextBuild = 0;
  durations: number[];
  readonly violations: string[] = [];
  epoch = '';
  /** Model calls when the wanted version last changed. */
  wantedSince = 0;
  /**
   * Model calls when spec.preset last changed: a new spec is a new update
   * (not retried until the spec changes), so a failure of a build asked for
   * under the old one no longer holds the rollout.
   */
  presetSince = 0;
  target = V1;
  /** The maintenance window of the run in progress (for (e)). */
  windowOpen = true;
  memory = new Map<string, RolloutStatus>();
  readonly policy: { maxUnavailable: number; maxFailures: number; steps?: CanaryStep[] };
  constructor(s: Scenario, policy: { maxUnavailable: number; maxFailures: number; steps?: CanaryStep[] }) {
    this.policy = policy;
    this.durations = s.durations;
    this.workspaces = s.fleet.map((w, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      name: `w${i}`,
      healthy: w.healthy,
      lastUsedAt: T0 - w.usedMinutesAgo * 60_000,
      runningAtStart: w.running,
      builds: seedBuilds(i, w.running, w.unsettled),
    }));
  }

  /** The process the calls come from: once killed, it makes no call any more (its promises reject). */
  session = { dead: false };

  tick(session = this.session): void {
    if (session.dead) throw new Crash('killed');
    this.calls++;
    if (this.crashAt !== undefined && this.calls >= this.crashAt) {
      session.dead = true;
      throw new Crash('killed');
    }
    this.onCall?.();
  }

  latest(ws: ModelWorkspace): ModelBuild {
    return ws.builds[ws.builds.length - 1]!;
  }

  status(b: ModelBuild): string {
    if (this.now < b.doneAt) return b.transition === 'start' ? 'starting' : 'stopping';
    if (b.outcome === 'failed') return 'failed';
    return b.transition === 'start' ? 'running' : 'stopped';
  }

  settle(ws: ModelWorkspace): void {
    const b = this.latest(ws);
    if (ws.disrupted && this.now >= b.doneAt && b.outcome === 'succeeded' && (!ws.disrupted.wasRunning || b.transition === 'start'))
      delete ws.disrupted;
  }

  /** What the rollout is shown: a failed update build it sees counts from then on (for (b)). */
  seen(b: ModelBuild): void {
    if (this.now >= b.doneAt && b.outcome === 'failed' && b.purpose !== 'run' && b.purpose !== 'rollback' && b.purpose !== undefined)
      b.seenFailed ??= { epoch: this.epoch, at: this.calls };
  }

  json(ws: ModelWorkspace): Workspace {
    for (const w of this.workspaces) this.settle(w);
    const b = this.latest(ws);
    this.seen(b);
    const build: WorkspaceBuild = {
      ...coderWorkspace().latest_build,
      id: b.id,
      workspace_id: ws.id,
      build_number: b.number,
      transition: b.transition,
      status: this.status(b) as WorkspaceBuild['status'],
      template_version_id: b.version,
      template_version_preset_id: b.preset,
      job: {
        id: `job-${b.id}`,
        status: this.now < b.doneAt ? 'running' : b.outcome,
        created_at: new Date(b.createdAt).toISOString(),
      },
    };
    return coderWorkspace({
      id: ws.id,
      name: ws.name,
      owner_name: 'alice',
      template_active_version_id: V1,
      latest_build: build,
      last_used_at: new Date(ws.lastUsedAt).toISOString(),
      health: { healthy: ws.healthy, failing_agents: [] },
    });
  }

  api(): CoderApi {
    const model = this;
    const session = this.session;
    const partial: Partial<CoderApi> = {
      async getWorkspace(id: string) {
        model.tick(session);
        return model.json(model.workspaces.find((w) => w.id === id)!);
      },
      // The only declared call the rollout makes: a version's presets (every version has the same three).
      async send<Route extends string, Body, Answer>(
        call: CoderCall<Route, Body, Answer>,
        _params: RouteParams<Route>,
        ..._body: CallBody<Body>
      ): Promise<Answer> {
        model.tick(session);
        if (call.route !== readPresets.route) throw new Error(`the model does not answer ${call.method} ${call.route}`);
        return call.decode(PRESETS.map((name) => ({ ID: presetId(name), Name: name })));
      },
      async getBuild(id: string) {
        model.tick(session);
        model.now += 1000;
        const ws = model.workspaces.find((w) => w.builds.some((b) => b.id === id))!;
        const b = ws.builds.find((x) => x.id === id)!;
        model.seen(b);
        return {
          ...model.json(ws).latest_build,
          id: b.id,
          job: { id: 'j', status: model.now < b.doneAt ? 'running' : b.outcome, created_at: '' },
        };
      },
    };
    return partial as CoderApi;
  }

  /** engine.apply: a build per build action; Coder refuses one while another runs. */
  apply(plan: WorkspacePlan, session = this.session): ApplyResult | undefined {
    this.tick(session);
    const ws = this.workspaces.find((w) => w.id === plan.observed?.id);
    if (!ws || plan.actions.length === 0) return undefined;
    const outcomes: ActionOutcome[] = [];
    for (const action of plan.actions) {
      if (action.kind !== 'build') continue;
      const before = this.latest(ws);
      if (this.now < before.doneAt) {
        outcomes.push({ action, ok: false, error: new Error('409: a build is already active') });
        continue;
      }
      const version = action.versionId ?? before.version;
      const preset = action.presetId ?? null;
      const target = plan.lifecycle?.rollout?.target;
      const duration = this.durations[this.#nextBuild++ % this.durations.length]!;
      const b: ModelBuild = {
        id: `b-${this.#nextBuild}`,
        number: before.number + 1,
        transition: action.transition,
        version,
        preset,
        createdAt: this.now,
        doneAt: this.now + duration,
        outcome: version === BAD || preset === presetId('bad') ? 'failed' : 'succeeded',
        purpose: action.purpose,
        call: this.calls,
        ...(target ? { target } : {}),
      };
      counts.builds++;
      if (action.presetChange && !action.versionId && version === before.version) counts.presetOnly++;
      this.check(ws, b, before);
      ws.builds.push(b);
      outcomes.push({ action, ok: true });
    }
    return { key: plan.key, outcomes, observed: toObserved(this.json(ws), false) };
  }

  /** The invariants, at the moment Coder is asked for a build. */
  check(ws: ModelWorkspace, b: ModelBuild, before: ModelBuild): void {
    for (const w of this.workspaces) this.settle(w);
    const update = b.purpose !== undefined && b.purpose !== 'run';
    const newUpdate = update && !ws.disrupted && b.purpose !== 'rollback';
    if (update && !ws.disrupted) ws.disrupted = { wasRunning: before.transition === 'start' && before.outcome === 'succeeded' };
    const unavailable = this.workspaces.filter((w) => w.disrupted).length;
    if (unavailable > this.policy.maxUnavailable)
      this.violations.push(`(a) ${unavailable} unavailable > maxUnavailable ${this.policy.maxUnavailable} at build ${b.id}`);
    if (b.purpose === 'restart-stop' && !this.windowOpen) this.violations.push(`(e) ${ws.name} stopped for an update outside the window`);
    if (newUpdate && b.target !== undefined) {
      // A halt lasts until the wanted version changes or a resume: failures seen since then count.
      const failed = this.workspaces
        .flatMap((w) => w.builds)
        .filter(
          (x) =>
            x.version === b.target &&
            x.seenFailed?.epoch === this.epoch &&
            x.seenFailed.at >= this.wantedSince &&
            (x.call ?? 0) >= this.presetSince,
        ).length;
      if (failed >= this.policy.maxFailures)
        this.violations.push(
          `(b) ${ws.name} started updating to ${b.target} after ${failed} failures (maxFailures ${this.policy.maxFailures})`,
        );
      if (this.policy.steps) this.checkStep(ws, b.target);
    }
  }

  /** (d): the n-th workspace to start on a version needs every earlier step complete. */
  checkStep(ws: ModelWorkspace, target: string): void {
    const begun = this.workspaces.filter(
      // Since the wanted version last changed: a rollout of it that was abandoned started nothing.
      (w) =>
        w === ws ||
        w.builds.some((b) => b.target === target && b.purpose !== 'run' && b.purpose !== 'rollback' && (b.call ?? 0) >= this.wantedSince),
    ).length;
    const onIt = this.workspaces.filter((w) => {
      const b = this.latest(w);
      return w.healthy && b.version === target && this.now >= b.doneAt && b.outcome === 'succeeded';
    }).length;
    const sizes = stepSizes(this.policy.steps!, this.workspaces.length);
    const needed = Math.max(0, ...sizes.filter((s) => s < begun));
    if (onIt < needed) this.violations.push(`(d) ${ws.name} began (#${begun}) with ${onIt} healthy on ${target}, step needs ${needed}`);
  }
}

/** A workspace's builds before the first run: settled, or with someone else's build under way (ending in `running`). */
function seedBuilds(i: number, running: boolean, unsettled: Unsettled | undefined): ModelBuild[] {
  const build = (number: number, transition: 'start' | 'stop', doneAt: number): ModelBuild => ({
    id: `b-seed-${i}-${number}`,
    number,
    transition,
    version: V1,
    preset: presetId('p1'),
    createdAt: 0,
    doneAt,
    outcome: 'succeeded',
  });
  const last = running ? 'start' : 'stop';
  if (!unsettled) return [build(1, last, 0)];
  // A create's first build is a start; a stopped workspace's unsettled stop follows a start.
  if (unsettled.create && running) return [build(1, 'start', T0 + unsettled.ms)];
  return [build(1, running ? 'stop' : 'start', 0), build(2, last, T0 + unsettled.ms)];
}

/** What the property ran, for the report: LifecycleRun runs and the builds checked. */
const counts = { sequences: 0, runs: 0, builds: 0, unsettled: 0, presetOnly: 0 };

/** One CLI run over the model, recording memory as run.ts does. */
async function runOnce(
  model: ModelCoder,
  s: Scenario,
  target: string,
  preset: string | undefined,
  memory: Map<string, RolloutStatus>,
  fleetMemory: { value: RolloutMemory },
  end: Scenario['runs'][number]['end'],
  resume: boolean,
): Promise<void> {
  const opts: RolloutOptions = {
    maxUnavailable: s.maxUnavailable,
    maxFailures: s.maxFailures,
    buildTimeoutMs: BUILD_TIMEOUT_MS,
    interruptGraceMs: 5_000,
    pollMs: 0,
    ...(s.steps ? { steps: s.steps, pauseMs: s.pauseMs } : {}),
    ...(s.onlyWhenIdle ? { onlyWhenIdleMs: 30 * 60_000 } : {}),
    ...(resume ? { resume: true } : {}),
    window: s.windowOpen ? { schedule: '* * * * *', duration: '2h' } : { schedule: '0 0 1 1 *', duration: '1m' },
  };
  const now = () => new Date(model.now);
  const desired: DesiredWorkspace[] = model.workspaces.map((w) => ({
    key: `team/${w.name}`,
    source: { file: 'ws.yaml' },
    owner: 'alice',
    name: w.name,
    parameters: [],
    deletionPolicy: 'Orphan',
    boundId: w.id,
    version: { policy: 'Pinned', id: target },
    ...(preset ? { preset } : {}),
    specDigest: `spec-${target}-${preset ?? ''}`,
  }));
  const previous = (key: string): WorkspaceStatus | undefined => {
    const r = memory.get(key);
    return r ? { rollout: r } : undefined;
  };
  model.session = { dead: false };
  model.windowOpen = s.windowOpen;
  counts.runs++;
  const session = model.session;
  const api = model.api();
  const reads = new WorkspaceEngine(new CoderWorkspaces(api, { forOwner: async () => api }), {
    coderUrl: 'http://coder',
    now: () => now().getTime(),
  });
  const run = new LifecycleRun(reads, opts, now, fleetMemory.value, {
    async beforeBuilds(plans, fleet) {
      model.tick(session);
      fleetMemory.value = fleet;
      for (const p of plans) if (p.lifecycle?.rollout) memory.set(p.key, p.lifecycle.rollout);
    },
  });
  if (resume) model.epoch = `run-${model.calls}`;
  if (end.kind === 'crash') model.crashAt = model.calls + end.afterCalls;
  if (end.kind === 'interrupt') {
    const at = model.calls + end.afterCalls;
    model.onCall = () => {
      if (model.calls >= at) run.stop();
    };
  }
  const engine = { apply: async (plan: WorkspacePlan) => model.apply(plan, session) };
  try {
    const snapshot = new Snapshot(model.workspaces.map((w) => toObserved(model.json(w), false)));
    const plans = await run.planAll(desired, snapshot, previous, 'apply');
    const results = await run.applyFirst(plans, engine, 4);
    await run.drive(plans, results, engine, previous);
    // The end of a run that was not killed: every entry's memory (run.ts).
    for (const [i, plan] of plans.entries()) {
      const status = computeStatus({ plan, result: results[i], coderUrl: 'http://coder', now: now(), previous: previous(plan.key) });
      if (status.rollout && status.rollout.state !== 'UpToDate') memory.set(plan.key, status.rollout);
      else memory.delete(plan.key);
    }
    fleetMemory.value = run.memory();
  } catch (error) {
    if (!(error instanceof Crash)) throw error;
    // Killed: only what beforeBuilds recorded survives; the builds in Coder go on.
    session.dead = true;
  } finally {
    model.crashAt = undefined;
    model.onCall = undefined;
  }
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  fleet: fc.array(
    fc.record({
      running: fc.boolean(),
      healthy: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
      usedMinutesAgo: fc.integer({ min: 0, max: 120 }),
      // One workspace in four starts with someone else's build under way, short or outliving --build-timeout.
      unsettled: fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 3 },
        { arbitrary: fc.record({ ms: fc.constantFrom(1_000, 5_000, 30_000, 200_000), create: fc.boolean() }), weight: 1 },
      ),
    }),
    {
      minLength: 1,
      maxLength: 7,
    },
  ),
  maxUnavailable: fc.integer({ min: 1, max: 3 }),
  maxFailures: fc.integer({ min: 1, max: 3 }),
  steps: fc.option(
    fc.constantFrom<CanaryStep[]>([{ count: 1 }, { percent: 50 }, { percent: 100 }], [{ count: 2 }], [{ percent: 30 }, { percent: 60 }]),
    { nil: undefined },
  ),
  pauseMs: fc.constantFrom(0, 3_000),
  onlyWhenIdle: fc.boolean(),
  windowOpen: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
  durations: fc.array(fc.constantFrom(1_000, 2_000, 3_000, 30_000), { minLength: 1, maxLength: 8 }),
  runs: fc.array(
    fc.record({
      target: fc.constantFrom<'bad' | 'good'>('bad', 'good'),
      end: fc.oneof(
        fc.constant({ kind: 'none' as const }),
        fc.record({ kind: fc.constantFrom<'interrupt' | 'crash'>('interrupt', 'crash'), afterCalls: fc.integer({ min: 0, max: 40 }) }),
      ),
      resume: fc.boolean(),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  // Last, so the fields before it are drawn as they were before presets joined the model.
  presets: fc.array(fc.constantFrom(...PRESETS, undefined), { minLength: 3, maxLength: 3 }),
});

/** One generated sequence: its runs, then two more uninterrupted applies. */
async function replay(s: Scenario): Promise<ModelCoder> {
  const model = new ModelCoder(s, { maxUnavailable: s.maxUnavailable, maxFailures: s.maxFailures, ...(s.steps ? { steps: s.steps } : {}) });
  const memory = new Map<string, RolloutStatus>();
  const fleetMemory = { value: {} as RolloutMemory };
  let target = V1;
  let preset: string | undefined;
  // (fleetMemory carries the resume value and the canary progress from run to run, as the state file does.)
  for (const [i, r] of s.runs.entries()) {
    const next = r.target === 'bad' ? BAD : GOOD;
    const nextPreset = s.presets[i];
    if (next !== target || nextPreset !== preset) model.wantedSince = model.calls;
    if (nextPreset !== preset) model.presetSince = model.calls;
    target = next;
    preset = nextPreset;
    await runOnce(model, s, target, preset, memory, fleetMemory, r.end, r.resume);
    model.now += 1_000;
  }
  // Every build finishes; then one more apply, uninterrupted, in an open window and idle, with
  // builds that end within --build-timeout.
  model.now += 10 * 60_000;
  model.durations = [1_000, 2_000];
  for (const w of model.workspaces) w.lastUsedAt = model.now - 3_600_000;
  await runOnce(model, { ...s, windowOpen: true }, target, preset, memory, fleetMemory, { kind: 'none' }, false);
  model.now += 10 * 60_000;
  await runOnce(model, { ...s, windowOpen: true }, target, preset, memory, fleetMemory, { kind: 'none' }, false);
  model.target = target;
  model.memory = memory;
  return model;
}

describe('rollout invariants over generated sequences', () => {
  it(`(a)-(e) hold for ${RUNS} sequences (seed ${SEED})`, { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        counts.sequences++;
        if (s.fleet.some((w) => w.unsettled)) counts.unsettled++;
        const model = await replay(s);
        const target = model.target;
        expect(model.violations).toEqual([]);
        // (c): whoever was running is running, on the wanted version or the one it had.
        for (const w of model.workspaces) {
          if (!w.runningAtStart) continue;
          const b = model.latest(w);
          expect({ name: w.name, transition: b.transition, status: model.status(b) }).toEqual({
            name: w.name,
            transition: 'start',
            status: 'running',
          });
          expect([V1, GOOD, target]).toContain(b.version);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    process.stdout.write(
      `[rollout property] seed ${SEED}: ${counts.sequences} sequences (${counts.unsettled} starting unsettled), ` +
        `${counts.runs} runs, ${counts.builds} builds checked (${counts.presetOnly} for a preset change on the same version)\n`,
    );
  });
});
