// diff(): the pure heart of the engine. Given what a declaration wants and
// what Coder has, list the API calls that close the gap, in the one order
// that is safe. No IO and no clock: the same inputs always give the same plan.
import { sameSchedule } from '../api/schedule.ts';
import { planLifecycle, type LifecycleContext } from './lifecycle.ts';
import { isUuid } from '../api/patterns.ts';
import { ownedBy } from './observe.ts';
import type { Action, ActionKind, Blocked, CreatePlan, DesiredWorkspace, ObservedWorkspace, WorkspacePlan } from './types.ts';

/**
 * The order actions run in. Waking a dormant workspace comes first and putting
 * one to sleep last, so every other setting is written while the workspace is
 * an ordinary (non-dormant) RBAC object: Coder treats dormant workspaces as a
 * separate resource with fewer permissions.
 */
const ORDER: Record<string, number> = {
  create: 0,
  rename: 1,
  'dormant:false': 2,
  autostart: 3,
  ttl: 4,
  autoupdates: 5,
  favorite: 6,
  // After the settings (a TTL of 0s before a start, a wake-up before a start),
  // before putting the workspace to sleep.
  build: 6.5,
  'dormant:true': 7,
  delete: 8,
};

function rank(a: Action): number {
  const key = a.kind === 'dormant' ? `dormant:${a.to}` : a.kind;
  return ORDER[key] ?? 99;
}

/** Field name in the spec for each settings action, used for drift reports. */
export const FIELD_OF: Record<Exclude<ActionKind, 'create' | 'delete'>, string> = {
  rename: 'name',
  autostart: 'autostart',
  ttl: 'ttl',
  dormant: 'dormant',
  favorite: 'favorite',
  autoupdates: 'automaticUpdates',
  build: 'running',
};

/** Without a context: nothing resolved or read, no rollout gate (tests, the re-plan after a create). */
const NO_CONTEXT: LifecycleContext = { gate: { onlyWhenStopped: false, slot: true } };

export function diff(
  desired: DesiredWorkspace,
  observed: ObservedWorkspace | undefined,
  lifecycle: LifecycleContext = NO_CONTEXT,
): WorkspacePlan {
  if (!observed) return planCreate(desired);
  const blocked = identityConflicts(desired, observed);
  if (blocked.length > 0) {
    // Bound to a workspace that is not the declared one: change nothing.
    return { key: desired.key, desired, observed, actions: [], blocked, drift: [] };
  }
  const actions: Action[] = [];
  if (desired.name !== observed.name) {
    if (observed.allowRenames) actions.push({ kind: 'rename', from: observed.name, to: desired.name });
    else
      blocked.push({
        field: 'name',
        reason: 'RenamesDisabled',
        message:
          `cannot rename "${observed.name}" to "${desired.name}": renames are disabled on this Coder deployment ` +
          '(start coderd with --allow-workspace-renames, or set spec.name back)',
      });
  }
  actions.push(...settingsActions(desired, observed));
  const life = planLifecycle(desired, observed, lifecycle);
  if (life.action) actions.push(life.action);
  blocked.push(...life.blocked);
  actions.sort((a, b) => rank(a) - rank(b));
  // Only a run-state build sets back something changed in Coder; an update build follows the spec.
  const drift = actions
    .filter((a) => a.kind !== 'build' || a.purpose === 'run')
    .map((a) => FIELD_OF[a.kind as keyof typeof FIELD_OF])
    .filter((f) => f !== undefined);
  return { key: desired.key, desired, observed, actions, blocked, drift, lifecycle: life.outcome };
}

/** Setting by setting: an absent field is not managed and yields nothing. */
function settingsActions(desired: DesiredWorkspace, observed: ObservedWorkspace): Action[] {
  const actions: Action[] = [];
  if (desired.autostart !== undefined) {
    const want = desired.autostart.enabled ? desired.autostart.schedule : null;
    if (!sameSchedule(want, observed.autostartSchedule)) actions.push({ kind: 'autostart', from: observed.autostartSchedule, to: want });
  }
  if (desired.ttlMs !== undefined) {
    // Coder reports "off" as an absent ttl_ms; 0 in the spec means off.
    const want = desired.ttlMs === 0 ? null : desired.ttlMs;
    if (want !== observed.ttlMs) actions.push({ kind: 'ttl', fromMs: observed.ttlMs, toMs: want });
  }
  if (desired.automaticUpdates !== undefined && desired.automaticUpdates !== observed.automaticUpdates)
    actions.push({ kind: 'autoupdates', from: observed.automaticUpdates, to: desired.automaticUpdates });
  if (desired.favorite !== undefined && desired.favorite !== observed.favorite)
    actions.push({ kind: 'favorite', from: observed.favorite, to: desired.favorite });
  if (desired.dormant !== undefined && desired.dormant !== observed.dormant)
    actions.push({ kind: 'dormant', from: observed.dormant, to: desired.dormant });
  return actions;
}

/**
 * A create carries what Coder honours at create time (schedule, a non-zero
 * TTL, automatic updates); the rest follows as updates. `ttl: 0s` cannot go
 * in the create call, where 0 means "the template default".
 */
function planCreate(desired: DesiredWorkspace): WorkspacePlan {
  const create: CreatePlan = {
    owner: desired.owner,
    name: desired.name,
    parameters: desired.parameters,
  };
  if (desired.organization !== undefined) create.organization = desired.organization;
  if (desired.template !== undefined) create.template = desired.template;
  if (desired.templateVersion !== undefined) create.templateVersion = desired.templateVersion;
  if (desired.autostart?.enabled) create.autostartSchedule = desired.autostart.schedule;
  if (desired.ttlMs !== undefined && desired.ttlMs > 0) create.ttlMs = desired.ttlMs;
  if (desired.automaticUpdates !== undefined) create.automaticUpdates = desired.automaticUpdates;
  if (desired.version !== undefined) create.version = desired.version;

  const actions: Action[] = [{ kind: 'create', create, recreate: desired.boundId !== undefined }];
  if (desired.ttlMs === 0) actions.push({ kind: 'ttl', fromMs: undefined, toMs: null });
  if (desired.favorite === true) actions.push({ kind: 'favorite', from: false, to: true });
  if (desired.dormant === true) actions.push({ kind: 'dormant', from: false, to: true });
  actions.sort((a, b) => rank(a) - rank(b));
  return { key: desired.key, desired, observed: undefined, actions, blocked: [], drift: [] };
}

/** Owner, organization and template are immutable: a mismatch is never "fixed" by a write. */
function identityConflicts(desired: DesiredWorkspace, observed: ObservedWorkspace): Blocked[] {
  const blocked: Blocked[] = [];
  if (!ownedBy(observed, desired.owner))
    blocked.push({
      field: 'owner',
      reason: 'OwnerMismatch',
      message: `workspace ${observed.id} belongs to "${observed.ownerName}", not "${desired.owner}"; owner is immutable`,
    });
  if (desired.organization !== undefined) {
    const org = desired.organization.toLowerCase();
    const matches = isUuid(org) ? observed.organizationId.toLowerCase() === org : observed.organizationName.toLowerCase() === org;
    if (!matches)
      blocked.push({
        field: 'organization',
        reason: 'OrganizationMismatch',
        message:
          `workspace "${observed.ownerName}/${observed.name}" is in organization "${observed.organizationName}", ` +
          `not "${desired.organization}"`,
      });
  }
  if (desired.template !== undefined && observed.templateName.toLowerCase() !== desired.template.toLowerCase())
    blocked.push({
      field: 'template',
      reason: 'TemplateMismatch',
      message:
        `workspace "${observed.ownerName}/${observed.name}" uses template "${observed.templateName}", not "${desired.template}"; ` +
        'the template cannot change after create',
    });
  return blocked;
}

/**
 * What deleting a declaration does in Coder. Orphan: nothing. Delete: one
 * delete build, unless one is already under way or done.
 */
export function diffDelete(observed: ObservedWorkspace | undefined, policy: 'Delete' | 'Orphan'): Action[] {
  if (policy === 'Orphan' || !observed) return [];
  const build = observed.latestBuild;
  if (build.transition === 'delete' && build.status !== 'failed' && build.status !== 'canceled') return [];
  return [{ kind: 'delete', policy }];
}
