// Human-readable and JSON renderings of plans and apply results.
import { rolloutCounts, rolloutLines, rolloutSummary } from './rollout-render.ts';
import {
  describeFailure,
  describeBuildCarries,
  describeSettingChange,
  settingOf,
  pendingOf,
  type Action,
  type ActionOutcome,
  type WorkspacePlan,
  type VersionChange,
  type VersionNames,
} from '../engine/index.ts';
import type { ApplyReport, PlanReport } from '../gitops/run.ts';
import { formatDeclarationError, type DeclarationError } from '../gitops/load.ts';
import { createSettings } from './create-settings.ts';
import { setJson, setLine } from './set-render.ts';

/**
 * One line per action, without the marker. With the run's version names,
 * a build says which template versions it moves between (`v1 → v2`).
 */
export function describeAction(key: string, action: Action, versions?: VersionNames): string {
  switch (action.kind) {
    case 'create': {
      return `${action.recreate ? 'recreate' : 'create'} ${key} (${createSettings(action.create)})`;
    }
    case 'delete':
      return `delete ${key}`;
    case 'build':
      return `${action.transition} ${key} (${buildPurpose(action, versions?.change(key), versions)})`;
    default: {
      // A setting (engine/settings/): its label and before/after, as the table describes them.
      const { from, to } = describeSettingChange(action);
      return `${settingOf(action).label} ${key}: ${from} -> ${to}`;
    }
  }
}

/** `v1 → v2` by name where known, by id where not. */
function versionMove(change: VersionChange, versions?: VersionNames): string {
  const label = (v: VersionChange['from']) => v.name ?? versions?.label(v.id) ?? v.id;
  return `${label(change.from)} → ${label(change.to)}`;
}

/**
 * Why a build runs, for plan lines, progress and Events. `change` is the
 * plan's version change (version-names.ts): it names both versions, and it
 * is what a restart's stop (which runs on the current version) is for.
 */
function buildPurpose(action: Extract<Action, { kind: 'build' }>, change?: VersionChange, versions?: VersionNames): string {
  const carried = action.versionId;
  const matching = change && carried && change.to.id.toLowerCase() === carried.toLowerCase() ? change : undefined;
  const version = matching
    ? `template version ${versionMove(matching, versions)}`
    : carried
      ? `template version ${versions?.label(carried) ?? carried}`
      : undefined;
  const carries: string[] = [];
  if (version) carries.push(version);
  if (action.parameters?.length)
    carries.push(`parameters ${action.parameters.map((p) => `${p.name}=${JSON.stringify(p.value)}`).join(', ')}`);
  // What the build changes of the settings it carries (a preset); a restart's stop says it below.
  const settings = describeBuildCarries(action);
  if (action.purpose !== 'restart-stop') carries.push(...settings);
  const what = carries.join(' and ');
  switch (action.purpose) {
    case 'run':
      return `running: ${action.transition === 'start'}${what ? `; ${what}` : ''}`;
    case 'update':
      return `update while stopped${what ? `: ${what}` : ''}; stays stopped`;
    case 'restart-stop': {
      const also = settings.join(' and ');
      if (change)
        return `update to template version ${versionMove(change, versions)}${also ? ` and ${also}` : ''}: stop first, then start on ${change.to.name ?? versions?.label(change.to.id) ?? change.to.id}`;
      return also ? `update to ${also}: stop first, then start with it` : 'update: stop first, then start on the wanted version';
    }
    case 'restart-start':
      return `update: start again${what ? `, ${what}` : ''}`;
    case 'rollback':
      return `roll back a failed update${what ? `: ${what}` : ''}; ${action.transition === 'start' ? 'running' : 'stopped'} as before`;
  }
}

function marker(action: Action): string {
  if (action.kind === 'create') return '+';
  if (action.kind === 'delete') return '-';
  return '~';
}

interface PlanCounts {
  create: number;
  change: number;
  delete: number;
  orphan: number;
  adopt: number;
  blocked: number;
  /** Updates that are due but wait (window, slot, stop, idleness, canary step, halted rollout): changes still to come. */
  pending: number;
  /** managementPolicies [Observe] workspaces that differ from their spec: reported, never written, not a change. */
  observedDrift: number;
  inSync: number;
}

export function countPlan(report: PlanReport): PlanCounts {
  const counts: PlanCounts = {
    create: 0,
    change: 0,
    delete: 0,
    orphan: 0,
    adopt: report.adoptions.size,
    blocked: 0,
    pending: 0,
    observedDrift: 0,
    inSync: 0,
  };
  for (const p of report.plans) {
    if (p.blocked.length > 0) counts.blocked++;
    if (p.desired.observeOnly && p.actions.length > 0) counts.observedDrift++;
    else if (p.actions.some((a) => a.kind === 'create')) counts.create++;
    else if (p.actions.length > 0) counts.change++;
    else if (pendingOf(p)) counts.pending++;
    else if (p.blocked.length === 0) counts.inSync++;
  }
  for (const prune of report.prunes) {
    if (prune.keptFor !== undefined) continue; // its workspace stays bound: counted as that declaration's adoption
    if (prune.entry.deletionPolicy === 'Orphan') counts.orphan++;
    else counts.delete++;
  }
  return counts;
}

/**
 * True when applying would call Coder or change what the state records (an
 * adoption, an orphan), a difference is blocked, or an update is pending
 * (it will be written, only not yet). Without a state file an existing
 * workspace that matches is no change: there is nothing to record. Drift of
 * an observe-only workspace is no change: nothing will write it.
 */
export function hasChanges(report: PlanReport): boolean {
  const c = countPlan(report);
  return c.create + c.change + c.delete + c.orphan + c.adopt + c.blocked + c.pending > 0;
}

/** The counts line shared by text and markdown. */
export function countsLine(c: PlanCounts): string {
  const observed = c.observedDrift > 0 ? `; ${c.observedDrift} observe-only drifted (not written)` : '';
  return (
    `Plan: ${c.create} to create, ${c.adopt} to adopt, ${c.change} to change, ${c.delete} to delete, ` +
    `${c.orphan} to orphan, ${c.blocked} blocked, ${c.pending} pending; ${c.inSync} in sync${observed}.`
  );
}

export function renderPlanText(report: PlanReport): string {
  const lines: string[] = (report.sets ?? []).map(setLine);
  for (const plan of report.plans) lines.push(...planLines(plan, report.adoptions.has(plan.key), report.versions));
  for (const s of report.suspended ?? []) lines.push(suspendedLine(s.key));
  for (const prune of report.prunes) {
    const where = `${prune.entry.owner}/${prune.entry.name}`;
    if (prune.keptFor !== undefined) lines.push(`- forget ${prune.entry.key} (${where} stays: ${prune.keptFor} declares it now)`);
    else if (prune.entry.deletionPolicy === 'Orphan')
      lines.push(`- orphan ${prune.entry.key} (stop managing ${where}; the workspace stays in Coder)`);
    else if (!prune.observed) lines.push(`- forget ${prune.entry.key} (${where} is already gone from Coder)`);
    else lines.push(`- delete ${prune.entry.key} (${where}: deletionPolicy Delete)`);
  }
  if (report.pruneRefusal) lines.push(`! ${report.pruneRefusal}`);
  const c = countPlan(report);
  if (lines.length === 0) lines.push('No changes: Coder matches the declarations.');
  lines.push('', countsLine(c));
  const rollout = rolloutSummary(report.plans, 'plan');
  if (rollout) lines.push(rollout);
  const window = windowLine(report);
  if (window) lines.push(window);
  return lines.join('\n');
}

/** The maintenance window of the run, when one is set: open until when, or when it opens next. */
export function windowLine(report: PlanReport): string | undefined {
  if (!report.window) return undefined;
  const { spec, state } = report.window;
  const what = `"${spec.schedule}" (${spec.timezone ?? 'UTC'}, ${spec.duration})`;
  if ('error' in state) return `Window ${what}: ${state.error}`;
  return state.open ? `Window ${what}: open until ${state.closesAt}.` : `Window ${what}: closed; it next opens at ${state.opensAt}.`;
}

function planLines(plan: WorkspacePlan, adopting: boolean, versions?: VersionNames): string[] {
  const lines: string[] = [];
  if (adopting && plan.observed) lines.push(`= adopt ${plan.key} (existing workspace ${plan.observed.ownerName}/${plan.observed.name})`);
  if (plan.desired.observeOnly) {
    // Observe only: what differs, said plainly as drift nothing will write.
    for (const action of plan.actions) lines.push(`≠ drift ${describeAction(plan.key, action, versions)} (observe only: not written)`);
  } else {
    const creating = plan.actions[0]?.kind === 'create';
    for (const action of plan.actions) {
      const after = creating && action.kind !== 'create' ? ' (after create)' : '';
      lines.push(
        `${creating && action.kind !== 'create' ? '  ' : ''}${marker(action)} ${describeAction(plan.key, action, versions)}${after}`,
      );
    }
  }
  for (const b of plan.blocked) lines.push(`! blocked ${plan.key}: ${b.message}`);
  lines.push(...rolloutLines(plan, versions));
  return lines;
}

export function renderErrors(errors: DeclarationError[], consequence = 'nothing was changed in Coder.'): string {
  // In reading order: file, then document, then line.
  const sorted = [...errors].sort(
    (a, b) => a.file.localeCompare(b.file) || (a.document ?? -1) - (b.document ?? -1) || (a.line ?? 0) - (b.line ?? 0),
  );
  const lines = sorted.flatMap((e) => [`error: ${formatDeclarationError(e)}`, ...(e.frame ? [indent(e.frame)] : [])]);
  lines.push('', `${errors.length} error(s); ${consequence}`);
  return lines.join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/** `--output json` for a run stopped by invalid declarations (code frames are for people: left out). */
export function errorsJson(errors: DeclarationError[]): unknown {
  return { errors: errors.map(({ frame: _frame, ...e }) => e) };
}

export function renderOutcome(key: string, outcome: ActionOutcome, versions?: VersionNames): string {
  const what = describeAction(key, outcome.action, versions);
  if (outcome.ok) return `✓ ${what}`;
  if (outcome.skipped) return `- skipped ${what} (${outcome.because} failed)`;
  return `✗ ${what}: ${describeFailure(outcome.action, outcome.error).message}`;
}

export function renderApplySummary(report: ApplyReport): string {
  let created = 0;
  let adopted = report.adoptions.size;
  let updated = 0;
  let failed = 0;
  for (const [i, r] of report.results.entries()) {
    // A failed update is a failure even though Coder accepted its builds.
    const updateFailed = ['Failed', 'RolledBack'].includes(report.statuses.get(report.plans[i]?.key ?? r.key)?.rollout?.state ?? '');
    if (r.outcomes.some((o) => !o.ok) || updateFailed) failed++;
    // A create that found the name taken adopted what it found: it created nothing.
    if (r.origin === 'adopted' && r.outcomes.every((o) => o.ok)) adopted++;
    else if (r.origin === 'created') created++;
    else if (r.outcomes.some((o) => o.ok) && !updateFailed) updated++;
  }
  const pruned = (what: string) => report.pruneResults.filter((p) => p.outcome === what).length;
  const lines: string[] = (report.sets ?? []).map(setLine);
  for (const plan of report.plans) for (const b of plan.blocked) lines.push(`! blocked ${plan.key}: ${b.message}`);
  for (const s of report.suspended ?? []) lines.push(suspendedLine(s.key));
  for (const p of report.pruneResults) {
    if (p.outcome === 'failed') lines.push(`✗ prune ${p.key}: ${p.error instanceof Error ? p.error.message : String(p.error)}`);
    else if (p.outcome === 'timeout') lines.push(`✗ prune ${p.key}: the delete build did not finish in time; run apply again`);
    else lines.push(`✓ ${p.outcome} ${p.key}`);
  }
  failed += pruned('failed') + pruned('timeout');
  lines.push(
    `Apply complete: ${created} created, ${adopted} adopted, ${updated} updated, ${pruned('deleted')} deleted, ` +
      `${pruned('orphaned')} orphaned, ${failed} failed, ${report.plans.filter((p) => p.blocked.length > 0).length} blocked.`,
  );
  for (const plan of report.plans) lines.push(...rolloutLines(plan, report.versions));
  if (report.interrupted)
    lines.push(
      'Interrupted: no new build was started; the starts still owed are recorded in the state file and done by the next apply or sync.',
    );
  const deferred = report.interrupted && report.pruneResults.length === 0 ? report.prunes.length : 0;
  if (deferred > 0) lines.push(`${deferred} prune(s) not done: they stay in the state file for the next apply --prune.`);
  if (report.leftInFlight)
    lines.push(
      `${report.leftInFlight} build(s) still running in Coder were not waited for; the next run counts them against --max-unavailable.`,
    );
  const rollout = rolloutSummary(report.plans, 'apply');
  if (rollout) lines.push(rollout);
  return lines.join('\n');
}

function suspendedLine(key: string): string {
  return `= suspended ${key} (spec.suspend: true: not reconciled; its workspace is left as it is)`;
}

/** The machine-readable plan (`--output json`). */
export function planJson(report: PlanReport): unknown {
  return {
    errors: [],
    counts: countPlan(report),
    rollout: rolloutCounts(report.plans),
    ...(report.window ? { window: { ...report.window.spec, ...report.window.state } } : {}),
    ...(report.sets ? { sets: report.sets.map(setJson) } : {}),
    workspaces: report.plans.map((p) => {
      const version = report.versions.change(p.key);
      const pending = pendingOf(p);
      return {
        key: p.key,
        id: p.observed?.id,
        adopt: report.adoptions.has(p.key),
        // Observe only: the differences are drift nothing writes, not actions.
        actions: p.desired.observeOnly ? [] : p.actions,
        ...(p.desired.observeOnly ? { observeOnly: true, notWritten: p.actions } : {}),
        ...(version ? { version } : {}),
        ...(pending ? { pending: { ...pending, ...pendingWindow(pending.reason, report) } } : {}),
        blocked: p.blocked,
        drift: p.drift,
        status: report.statuses.get(p.key),
      };
    }),
    prune: report.prunes.map((p) => ({ key: p.entry.key, id: p.entry.id, policy: p.entry.deletionPolicy, actions: p.plan.actions })),
    suspended: report.suspended ?? [],
  };
}

/** A window-pending update says when the window opens. */
function pendingWindow(reason: string, report: PlanReport): { opensAt?: string } {
  const state = report.window?.state;
  return reason === 'window' && state && 'opensAt' in state && state.opensAt ? { opensAt: state.opensAt } : {};
}

export function applyJson(report: ApplyReport): unknown {
  return {
    ...(planJson(report) as object),
    results: report.results.map((r) => ({
      key: r.key,
      id: r.observed?.id,
      origin: r.origin,
      outcomes: r.outcomes.map((o) => ({
        action: o.action,
        ok: o.ok,
        ...(o.ok ? {} : o.skipped ? { skipped: o.because } : describeFailure(o.action, o.error)),
      })),
      status: report.statuses.get(r.key),
    })),
    prune: report.pruneResults.map((p) => ({
      key: p.key,
      outcome: p.outcome,
      error: p.error instanceof Error ? p.error.message : undefined,
    })),
  };
}
