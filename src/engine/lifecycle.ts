// planLifecycle(): pure. The builds that spec.running, spec.version and
// spec.parameters call for, one at a time: a build takes a while, so each
// reconcile (or each step of the CLI's apply loop) starts at most one and
// looks again when it has finished.
//
// Never fighting Coder (docs/guides/run-state.md):
//   - A workspace a person started or stopped against the spec is set back
//     at every reconcile (level-based).
//   - A workspace Coder's own schedule started or stopped (build reason
//     autostart, autostop, dormancy) against the spec is set back once per
//     spec: the spec digest is remembered in status.scheduleConflict.restoredFor,
//     and when the schedule undoes the wish a second time under the same spec,
//     it is left as Coder made it and reported (Synced=False, ScheduleConflict)
//     until the spec changes. So a template default TTL stops a `running: true`
//     workspace at most twice per spec, and there is no start/stop loop.
//   - A failed or canceled build is reported, never retried by itself.
//
// Updates (version, parameters, preset) follow the least disruptive path:
//   - stopped: one stop build carrying the version and values (stays stopped);
//   - running, and `running: false` wanted: the stop that is due anyway carries them;
//   - stopped, and `running: true` wanted: the start that is due anyway carries them;
//   - running: a stop on the current version, then a start on the new one, like
//     `coder update` (status.rollout.restart remembers the start is owed).
//     Only this path is disruptive, so only it waits for the maintenance window
//     and for "only when stopped"; every update build takes a rollout slot.
//
// A preset (spec.preset) is part of the update: the preset of that name in the
// version the build runs, compared by id with the latest build's
// template_version_preset_id. A preset change alone is an update to the same
// version. Every build sent carries the preset's id where its version has it,
// so Coder does not drop it (v2.24.0 records none for a build sent without one).
import type { RolloutStatus, WorkspaceStatus } from '../api/schema.ts';
import { formatDuration } from '../api/duration.ts';
import type { WorkspaceBuildParameter } from '../coder/types.ts';
import { parametersDigest } from './desired.ts';
import { presetMove, type VersionPresets, wantedPreset } from './settings/preset.ts';
import type { Action, Blocked, DesiredWorkspace, LifecycleOutcome, ObservedWorkspace } from './types.ts';

type BuildAction = Extract<Action, { kind: 'build' }>;

export interface RolloutGate {
  onlyWhenStopped: boolean;
  /** Absent: no maintenance window, always open. */
  window?: { open: boolean; message: string } | { error: string };
  /** A rollout slot is free, or this workspace holds one already. */
  slot: boolean;
  /** rollout.onlyWhenIdle: restart a running workspace only when Coder's last_used_at is older than afterMs. */
  idle?: { afterMs: number; now: Date };
  /** Why the rollout of a target version halted (maxFailures reached), or undefined while it goes on. */
  halted?: (target: string) => string | undefined;
  /** Why the current canary step has no room for one more workspace updating to target, or undefined. */
  step?: (target: string) => string | undefined;
  /** rollout.rollbackOnFailure; default true. */
  rollback?: boolean;
  /** The resume value in force (connection annotation, CLI --resume-rollout), recorded with a failure. */
  epoch?: string;
}

export interface LifecycleContext {
  /** spec.version resolved (needed for a Pinned name), or why it could not be. */
  wantedVersion?: { id: string; name?: string } | { error: string };
  /** The latest build's values; read only when they may differ from spec.parameters. */
  currentParameters?: WorkspaceBuildParameter[];
  /** Per parameter name, of the version the next build runs. */
  parameterInfo?: Map<string, { mutable: boolean; ephemeral: boolean }>;
  /** The presets of the version the next build runs; read only when spec.preset is set. */
  presets?: VersionPresets;
  /** The previous status: the memory of the once-per-spec rules and of an owed restart. */
  previous?: WorkspaceStatus;
  gate: RolloutGate;
}

interface LifecyclePlan {
  action?: BuildAction;
  blocked: Blocked[];
  outcome: LifecycleOutcome;
}

const BUSY = new Set(['pending', 'starting', 'stopping', 'canceling', 'deleting']);
/** Builds Coder starts by itself, from the workspace's or template's schedule. */
const SCHEDULE_REASONS = new Set(['autostart', 'autostop', 'dormancy']);

/** What a rollout status keeps of the one before; `rollout()` below leaves out the keys that are undefined. */
type Memory = {
  [K in 'restart' | 'attemptedFor' | 'from' | 'afterBuild' | 'wasRunning' | 'failedFor' | 'failedTarget' | 'failedEpoch']?:
    | RolloutStatus[K]
    | undefined;
};

export function planLifecycle(desired: DesiredWorkspace, observed: ObservedWorkspace, ctx: LifecycleContext): LifecyclePlan {
  const b = observed.latestBuild;
  const managed = desired.version !== undefined || desired.parametersManaged === true || desired.preset !== undefined;
  const outcome: LifecycleOutcome = { needsSlot: false, ...(ctx.gate.epoch !== undefined ? { epoch: ctx.gate.epoch } : {}) };
  const blocked: Blocked[] = [];
  const before = ctx.previous?.rollout;
  const restartOwed = before?.restart === true;
  const rollingBack = before?.state === 'RollingBack';
  // An owed start or a rollback is finished even when nothing is managed any more.
  if (desired.running === undefined && !managed && !restartOwed && !rollingBack) return { blocked, outcome };
  if (b.transition === 'delete') return { blocked, outcome };

  // What the update is: version and parameter values.
  const wanted = wantedVersion(desired, observed, ctx);
  if (wanted && 'error' in wanted) blocked.push({ field: 'version', reason: 'VersionNotFound', message: wanted.error });
  else if (wanted) outcome.wanted = wanted;
  const target = wanted && !('error' in wanted) ? wanted.id : undefined;
  const versionChange = target !== undefined && target !== b.templateVersionId ? target : undefined;
  const params = parameterChanges(desired, observed, ctx);
  for (const name of params.immutable)
    blocked.push({
      field: `parameters[name=${name}]`,
      reason: 'ImmutableParameter',
      message:
        `parameter "${name}" is immutable in the template: Coder keeps its first value; ` +
        'set spec.parameters back or recreate the workspace',
    });
  if (params.checked) outcome.parametersChecked = params.checked;
  // The preset of the version the build runs: the wanted one, or the current one when the version stays.
  const preset = wantedPreset(desired.preset, ctx.presets, versionChange ?? b.templateVersionId);
  const presetMissing = preset && 'error' in preset ? preset.error.message : undefined;
  if (presetMissing) blocked.push({ field: 'preset', reason: 'PresetNotFound', message: presetMissing });
  const presetFound = preset && 'id' in preset ? preset : undefined;
  const presetChange = presetFound ? presetMove(presetFound, b, ctx.presets) : undefined;
  const update = versionChange !== undefined || params.changed.length > 0 || presetChange !== undefined;
  if (update) outcome.updateDue = true;
  const carry = (a: BuildAction): BuildAction => {
    if (versionChange) a.versionId = versionChange;
    if (params.changed.length > 0) a.parameters = params.changed;
    if (presetFound) a.presetId = presetFound.id;
    if (presetChange) a.presetChange = presetChange;
    return a;
  };
  // A build that carries no update keeps the preset it has: on the same version, and only when
  // that is the wanted one (a preset change that failed is not slipped in by a start).
  const keepPreset = (a: BuildAction): BuildAction => {
    if (presetFound && !versionChange && !presetChange) a.presetId = presetFound.id;
    return a;
  };
  const digest = desired.specDigest ?? '';
  // The same spec and the same target version: a new active version (or a new spec) is a new update.
  const attempt = `${digest}/${target ?? ''}`;
  // An update already carried out for this spec (its builds done) that is still due did not take.
  // A build after the one the update began on is the update's: a run that recorded the update and
  // crashed before sending its build has not tried it.
  const sentSince = (n: number) => before?.afterBuild === undefined || n > before.afterBuild;
  const tried = before?.attemptedFor === attempt && (before.state === 'Updating' || before.state === 'Failed') && sentSince(b.number);
  // This very update failed before: it is not tried again until the spec or the wanted version changes.
  const failedBefore = before?.failedFor !== undefined && before.failedFor === attempt;
  const failure: Memory = failedBefore
    ? { failedFor: before.failedFor, failedTarget: before.failedTarget, failedEpoch: before.failedEpoch ?? '' }
    : {};
  // Where the update in progress started from: kept until the rollout settles.
  const inProgress = before !== undefined && ['Updating', 'RollingBack', 'Failed'].includes(before.state);
  const origin: Memory = inProgress ? { from: before.from, afterBuild: before.afterBuild, wasRunning: before.wasRunning } : {};
  const rollout = (state: RolloutStatus['state'], message: string, memory: Memory = {}): void => {
    if (!managed && state === 'UpToDate') return;
    const kept = Object.fromEntries(Object.entries(memory).filter(([k, v]) => v !== undefined && !(k === 'restart' && v === false)));
    // An update under way keeps the target it was started for (the wanted one may have changed since).
    const of = memory.attemptedFor !== undefined ? targetOf(memory.attemptedFor) : target;
    outcome.rollout = { state, message, ...(of ? { target: of } : {}), ...kept };
  };
  const unavailable = (): void => {
    outcome.unavailable = true;
  };
  const halt = target !== undefined && (versionChange || presetChange) ? ctx.gate.halted?.(target) : undefined;
  // The last gate before an update build: the canary step, then a rollout slot. It is asked for
  // last, so a workspace that waits for its window, a stop or idleness says so, not that the
  // connection is busy. Undefined: the build may go, and it holds a slot from now on.
  const waitStepOrSlot = (): LifecyclePlan | undefined => {
    const step = target !== undefined ? ctx.gate.step?.(target) : undefined;
    if (step) {
      rollout('WaitingForStep', step);
      return { blocked, outcome };
    }
    if (!ctx.gate.slot) {
      rollout('WaitingForSlot', 'the connection already updates its maximum of workspaces at once (rollout.maxUnavailable)');
      return { blocked, outcome };
    }
    outcome.needsSlot = true;
    unavailable();
    return undefined;
  };
  const rollbackEnabled = ctx.gate.rollback !== false;

  // A build under way: wait for it (the front doors look again when it ends).
  if (BUSY.has(b.status)) {
    if (rollingBack) {
      rollout('RollingBack', `rollback build #${b.number} (${b.transition}) is ${b.status}`, { ...origin, ...keptFailure(before) });
      unavailable();
    } else if (update && !restartOwed && before?.state !== 'Updating') {
      // Someone else's build (the create's first start, a start by hand): the update waits for it
      // without a slot. Counting it as ours took a slot without a claim, and at its end every such
      // workspace held one: four updates at once under maxUnavailable 2 (seen in the e2e tier).
      rollout('WaitingForSlot', `build #${b.number} (${b.transition}) is ${b.status}; the update waits for it to end`);
    } else if (update || restartOwed || before?.state === 'Updating') {
      // (A build that carries the new version makes "update" false: the memory says it is ours.)
      rollout('Updating', `build #${b.number} (${b.transition}) is ${b.status}`, {
        restart: restartOwed,
        ...(before?.attemptedFor !== undefined && before.state === 'Updating' ? { attemptedFor: before.attemptedFor } : {}),
        ...origin,
        ...failure,
      });
      unavailable();
    } else rollout('UpToDate', upToDateMessage(observed));
    return { blocked, outcome };
  }
  const running = b.transition === 'start' && b.status !== 'failed' && b.status !== 'canceled';
  if (b.status === 'failed' || b.status === 'canceled') {
    const ended = `build #${b.number} (${b.transition}) ${b.status} in Coder; see its logs there`;
    // afterBuild of a rollback is the failed build: a later one is the rollback's.
    if (rollingBack && sentSince(b.number)) {
      rollout(
        'Failed',
        `the rollback to template version ${before.from ?? '?'} failed too (${ended}); a person has to look at it. ` +
          'Not retried until the spec or the wanted version changes',
        { ...origin, ...keptFailure(before) },
      );
      unavailable();
      return { blocked, outcome };
    }
    // (The failed build carries the new version, so "update" no longer says whether it was one.)
    // Our update build (or the stop before it) failed, or a rollback was planned and never sent
    // (an interrupted run): remember the attempt, count it, roll back.
    if (rollingBack || (before?.state === 'Updating' && before.attemptedFor !== undefined && sentSince(b.number))) {
      const failed: Memory = rollingBack
        ? keptFailure(before)
        : { failedFor: before!.attemptedFor, failedTarget: targetOf(before!.attemptedFor!), failedEpoch: ctx.gate.epoch ?? '' };
      const from = before!.from;
      if (rollbackEnabled && from !== undefined) {
        const wasRunning = before!.wasRunning === true;
        rollout(
          'RollingBack',
          `the update to template version ${failed.failedTarget} failed (${ended}); ` +
            `bringing the workspace back to version ${from}${wasRunning ? ', running' : ', stopped'}`,
          { ...origin, afterBuild: b.number, ...failed },
        );
        unavailable();
        const action: BuildAction = { kind: 'build', transition: wasRunning ? 'start' : 'stop', purpose: 'rollback', versionId: from };
        return { action, blocked, outcome };
      }
      rollout(
        'Failed',
        `the update to template version ${failed.failedTarget} failed (${ended}). ` +
          `${rollbackEnabled ? 'Its previous version is not known, so it is not rolled back' : 'rollout.rollbackOnFailure is false'}; ` +
          'not retried until the spec or the wanted version changes',
        { ...origin, ...failed },
      );
      unavailable();
      return { blocked, outcome };
    }
    if (failedBefore) {
      rollout('Failed', before.message, { ...origin, ...failure });
      unavailable();
      return { blocked, outcome };
    }
    // A broken workspace and an update that is not the one that broke it (a fixed version was
    // promoted, the spec changed): the update goes ahead, back to the run state it had.
    const recover = versionChange !== undefined || (presetChange !== undefined && !presetMissing);
    if (!recover) {
      if (managed || restartOwed) rollout('Failed', `${ended}. Not retried until the spec or the wanted version changes`, { ...origin });
      if (restartOwed) unavailable();
      return { blocked, outcome };
    }
    const wasRunning = before?.wasRunning ?? b.transition === 'start';
    if (presetMissing) {
      rollout('Blocked', presetMissing);
      return { blocked, outcome };
    }
    if (halt) {
      rollout('Halted', halt);
      return { blocked, outcome };
    }
    const waiting = waitStepOrSlot();
    if (waiting) return waiting;
    rollout('Updating', `the last build failed; a ${wasRunning ? 'start' : 'stop'} build moves it to the wanted version`, {
      attemptedFor: attempt,
      ...(before?.from ? { from: before.from } : {}),
      afterBuild: b.number,
      wasRunning,
    });
    return { action: carry({ kind: 'build', transition: wasRunning ? 'start' : 'stop', purpose: 'update' }), blocked, outcome };
  }
  // The rollback build finished: the workspace is back where it was.
  if (rollingBack && (failedBefore || !update)) {
    if (update)
      rollout(
        'RolledBack',
        `the update to template version ${before.failedTarget ?? target} failed; the workspace is back on version ` +
          `${b.templateVersionId}, ${running ? 'running' : 'stopped'}. Not retried until the spec or the wanted version changes`,
        failure,
      );
    else rollout('UpToDate', upToDateMessage(observed));
    return { blocked, outcome };
  }
  const previousConflict = ctx.previous?.scheduleConflict;
  const restoredThisSpec = previousConflict?.restoredFor !== undefined && previousConflict.restoredFor === digest;
  const conflict = scheduleConflict(desired, observed, ctx);
  if (conflict) outcome.conflict = conflict;
  // An update that failed or whose rollout halted is not carried by a run-state build either.
  const mayCarry = update && !failedBefore && !halt && !presetMissing;

  // The run state the spec wants, and whether Coder's schedule is what moved it.
  const wantStart = desired.running === true && !running;
  const wantStop = desired.running === false && running;
  if (wantStart || wantStop) {
    // spec.dormant: false wakes it first (diff.ts orders the wake-up before the build).
    if (wantStart && observed.dormant && desired.dormant !== false) {
      blocked.push({
        field: 'running',
        reason: 'ScheduleConflict',
        message:
          'the workspace is dormant in Coder and is not started while dormant; set spec.dormant: false to wake it, or drop spec.running',
      });
      return { blocked, outcome };
    }
    const bySchedule = b.reason !== undefined && SCHEDULE_REASONS.has(b.reason);
    if (bySchedule && restoredThisSpec) {
      const conflictNote = conflict ? ` (${conflict.message})` : '';
      const message =
        `Coder's ${b.reason} build #${b.number} ${running ? 'started' : 'stopped'} the workspace again after it was set back once ` +
        `for this spec; it is left ${running ? 'running' : 'stopped'} until the spec changes${conflictNote}`;
      outcome.conflict = { message, restoredFor: digest };
      blocked.push({ field: 'running', reason: 'ScheduleConflict', message });
      return { blocked, outcome };
    }
    if (bySchedule)
      outcome.conflict = { message: conflict?.message ?? `Coder's ${b.reason} build went against spec.running`, restoredFor: digest };
    const transition = wantStart ? 'start' : 'stop';
    const plain: BuildAction = { kind: 'build', transition, purpose: 'run' };
    const action = mayCarry ? carry(plain) : keepPreset(plain);
    if (mayCarry)
      rollout('Updating', `the ${action.transition} that spec.running calls for carries the update`, {
        attemptedFor: attempt,
        from: b.templateVersionId,
        afterBuild: b.number,
        wasRunning: wantStart,
      });
    else if (presetMissing) rollout('Blocked', presetMissing);
    else if (update) settledFailure();
    else rollout('UpToDate', upToDateMessage(observed));
    if (mayCarry) unavailable();
    return { action, blocked, outcome };
  }
  // Keep the memory of a restored wish while the spec stays the same.
  if (restoredThisSpec) outcome.conflict = outcome.conflict ? { ...outcome.conflict, restoredFor: digest } : { ...previousConflict! };

  // The second half of updating a running workspace: start it on the new version.
  if (restartOwed && !running) {
    if (desired.running === false) {
      if (!update) rollout('UpToDate', upToDateMessage(observed));
    } else {
      const action: BuildAction = { kind: 'build', transition: 'start', purpose: 'restart-start' };
      if (mayCarry) carry(action);
      else keepPreset(action);
      // Still owed until the start is seen: an interrupted run leaves it to the next one.
      rollout('Updating', 'starting the workspace again after the update stop', {
        restart: true,
        attemptedFor: attempt,
        ...origin,
        ...failure,
      });
      unavailable();
      return { action, blocked, outcome };
    }
  }
  if (presetMissing) {
    rollout('Blocked', presetMissing);
    return { blocked, outcome };
  }
  if (!update) {
    rollout('UpToDate', upToDateMessage(observed));
    return { blocked, outcome };
  }
  if (failedBefore) {
    settledFailure();
    return { blocked, outcome };
  }
  if (tried) {
    const what = [
      versionChange ? `template version ${versionChange}` : '',
      params.changed.length > 0 ? `parameters ${params.changed.map((p) => p.name).join(', ')}` : '',
      presetChange ? `preset ${presetChange.to}` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    rollout('Failed', `Coder did not apply the update (${what}) although its builds succeeded; not retried until the spec changes`, {
      attemptedFor: attempt,
      failedFor: attempt,
      failedTarget: target,
      failedEpoch: ctx.gate.epoch ?? '',
    });
    return { blocked, outcome };
  }
  if (halt) {
    rollout('Halted', halt);
    return { blocked, outcome };
  }

  // An update is due and no run-state build carries it: waitStepOrSlot() decides, after the window, stop and idleness.
  if (!running) {
    const waiting = waitStepOrSlot();
    if (waiting) return waiting;
    rollout('Updating', 'a stop build moves the stopped workspace to the wanted version and values without starting it', {
      attemptedFor: attempt,
      from: b.templateVersionId,
      afterBuild: b.number,
      wasRunning: false,
    });
    return { action: carry({ kind: 'build', transition: 'stop', purpose: 'update' }), blocked, outcome };
  }
  if (ctx.gate.onlyWhenStopped) {
    rollout('WaitingForStop', 'rollout.onlyWhenStopped: the update waits until the workspace is stopped (e.g. by its auto-stop)');
    return { blocked, outcome };
  }
  const window = ctx.gate.window;
  if (window && 'error' in window) {
    blocked.push({ field: 'rollout.window', reason: 'InvalidRolloutWindow', message: window.error });
    rollout('Blocked', window.error);
    return { blocked, outcome };
  }
  if (window && !window.open) {
    rollout('WaitingForWindow', window.message);
    return { blocked, outcome };
  }
  const busyUntil = inUseUntil(observed, ctx.gate.idle);
  if (busyUntil !== undefined) {
    rollout(
      'WaitingForIdle',
      `rollout.onlyWhenIdle: the workspace was last used at ${observed.lastUsedAt}; it is restarted for the update ` +
        `once unused for ${formatDuration(ctx.gate.idle!.afterMs)} (not before ${new Date(busyUntil).toISOString()})`,
    );
    return { blocked, outcome };
  }
  const waiting = waitStepOrSlot();
  if (waiting) return waiting;
  rollout('Updating', 'stopping the running workspace, then starting it on the wanted version (as coder update does)', {
    restart: true,
    attemptedFor: attempt,
    from: b.templateVersionId,
    afterBuild: b.number,
    wasRunning: true,
  });
  // The stop runs on the current version and preset: the old template stops what it started.
  const stop: BuildAction = { kind: 'build', transition: 'stop', purpose: 'restart-stop' };
  if (presetChange) stop.presetChange = presetChange;
  return { action: stop, blocked, outcome };

  /** The update failed before and the workspace works (rolled back, or set right by someone): reported, not retried. */
  function settledFailure(): void {
    const state = before?.state === 'RolledBack' || before?.state === 'RollingBack' ? 'RolledBack' : 'Failed';
    rollout(state, before?.message ?? 'the update failed; not retried until the spec or the wanted version changes', failure);
  }
}

/** The target version of an attempt (`<spec digest>/<version id>`). */
function targetOf(attempt: string): string | undefined {
  const id = attempt.slice(attempt.lastIndexOf('/') + 1);
  return id === '' ? undefined : id;
}

function keptFailure(before: RolloutStatus): Memory {
  return { failedFor: before.failedFor, failedTarget: before.failedTarget, failedEpoch: before.failedEpoch ?? '' };
}

/** With onlyWhenIdle: when the workspace will have been unused long enough, or undefined when it has (or it is not known). */
function inUseUntil(observed: ObservedWorkspace, idle: RolloutGate['idle']): number | undefined {
  if (!idle || observed.lastUsedAt === undefined) return undefined;
  const used = Date.parse(observed.lastUsedAt);
  if (Number.isNaN(used)) return undefined;
  const until = used + idle.afterMs;
  return idle.now.getTime() < until ? until : undefined;
}

function wantedVersion(desired: DesiredWorkspace, observed: ObservedWorkspace, ctx: LifecycleContext): LifecycleContext['wantedVersion'] {
  const v = desired.version;
  if (v === undefined) return undefined;
  if (v.policy === 'Active') {
    const name = observed.activeVersionId === observed.latestBuild.templateVersionId ? observed.latestBuild.templateVersionName : undefined;
    return { id: observed.activeVersionId, ...(name ? { name } : {}) };
  }
  if (v.id !== undefined) return { id: v.id.toLowerCase(), ...(v.name ? { name: v.name } : {}) };
  return ctx.wantedVersion;
}

interface ParameterChanges {
  changed: WorkspaceBuildParameter[];
  immutable: string[];
  checked?: { build: string; spec: string };
}

/**
 * Compares spec.parameters with the latest build's values when they were
 * read; ephemeral parameters are never compared (they last one build), nor
 * are parameters the template version does not define (Coder drops them).
 * Not read means the front door knew them to match (status.parametersChecked).
 */
function parameterChanges(desired: DesiredWorkspace, observed: ObservedWorkspace, ctx: LifecycleContext): ParameterChanges {
  const none: ParameterChanges = { changed: [], immutable: [] };
  if (!desired.parametersManaged) return none;
  const digest = parametersDigest(desired.parameters);
  if (ctx.currentParameters === undefined) {
    const known = ctx.previous?.parametersChecked;
    return known && known.spec === digest ? { ...none, checked: known } : none;
  }
  const current = new Map(ctx.currentParameters.map((p) => [p.name, p.value]));
  const changes: ParameterChanges = { changed: [], immutable: [] };
  for (const p of desired.parameters) {
    const info = ctx.parameterInfo?.get(p.name);
    // A parameter the version does not define is dropped by Coder at every build: comparing it would never settle.
    if (ctx.parameterInfo && !info) continue;
    if (info?.ephemeral) continue;
    const now = current.get(p.name);
    if (now === p.value) continue;
    if (info && !info.mutable && now !== undefined) changes.immutable.push(p.name);
    else changes.changed.push({ name: p.name, value: p.value });
  }
  if (changes.changed.length === 0 && changes.immutable.length === 0) changes.checked = { build: observed.latestBuild.id, spec: digest };
  return changes;
}

/** A wish that Coder's own settings (not in the spec) will undo: reported, never fought. */
function scheduleConflict(desired: DesiredWorkspace, observed: ObservedWorkspace, ctx: LifecycleContext): LifecycleOutcome['conflict'] {
  const restoredFor = ctx.previous?.scheduleConflict?.restoredFor;
  const keep = restoredFor !== undefined ? { restoredFor } : {};
  if (desired.running === true && desired.ttlMs === undefined && observed.ttlMs !== null)
    return {
      message:
        `running: true, but the workspace has an auto-stop TTL of ${formatDuration(observed.ttlMs)} in Coder ` +
        '(not set by this spec, e.g. the template default): Coder will stop it; set spec.ttl: 0s to keep it running',
      ...keep,
    };
  if (desired.running === false && desired.autostart === undefined && observed.autostartSchedule !== null && !observed.dormant)
    return {
      message:
        `running: false, but the workspace has the autostart schedule "${observed.autostartSchedule}" in Coder ` +
        '(not set by this spec): Coder will start it; set spec.autostart: {enabled: false} to keep it stopped',
      ...keep,
    };
  return undefined;
}

function upToDateMessage(observed: ObservedWorkspace): string {
  const name = observed.latestBuild.templateVersionName;
  const id = observed.latestBuild.templateVersionId;
  return `on template version ${name ? `${name} (${id})` : id}, as wanted`;
}
