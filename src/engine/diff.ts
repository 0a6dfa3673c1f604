// diff(): the pure heart of the engine. Given what a declaration wants and
// what Coder has, list the API calls that close the gap, in the one order
// that is safe. No IO and no clock: the same inputs always give the same plan.
import { planLifecycle, type LifecycleContext } from './lifecycle.ts';
import { isUuid } from '../api/patterns.ts';
import { ownedBy } from './observe.ts';
import { actionRank, BUILD_SETTINGS, FIELD_OF, SETTING_KINDS, SETTINGS } from './settings/index.ts';
import type { Action, Blocked, CreatePlan, DesiredWorkspace, ObservedWorkspace, WorkspacePlan } from './types.ts';

const byRank = (a: Action, b: Action): number => actionRank(a) - actionRank(b);

/** Field name in the spec for each action that corrects a field (settings/index.ts), for drift reports. */
export { FIELD_OF } from './settings/index.ts';

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
  for (const kind of SETTING_KINDS) {
    const compared = SETTINGS[kind].compare(desired, observed);
    if (compared && 'action' in compared) actions.push(compared.action);
    else if (compared) blocked.push(compared.blocked);
  }
  const life = planLifecycle(desired, observed, lifecycle);
  if (life.action) actions.push(life.action);
  blocked.push(...life.blocked);
  actions.sort(byRank);
  // Only a run-state build sets back something changed in Coder; an update build follows the spec.
  const drift = actions
    .filter((a) => a.kind !== 'build' || a.purpose === 'run')
    .map((a) => FIELD_OF[a.kind as keyof typeof FIELD_OF])
    .filter((f) => f !== undefined);
  return { key: desired.key, desired, observed, actions, blocked, drift, lifecycle: life.outcome };
}

/**
 * A create carries what Coder honours at create time (each setting's
 * atCreate: schedule, a non-zero TTL, automatic updates); the rest follows as
 * updates (afterCreate: `ttl: 0s` cannot go in the create call, where 0 means
 * "the template default").
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
  if (desired.version !== undefined) create.version = desired.version;
  for (const kind of SETTING_KINDS) Object.assign(create, SETTINGS[kind].atCreate(desired));
  for (const setting of BUILD_SETTINGS) Object.assign(create, setting.atCreate(desired));

  const actions: Action[] = [{ kind: 'create', create, recreate: desired.boundId !== undefined }];
  for (const kind of SETTING_KINDS) {
    const follow = SETTINGS[kind].afterCreate(desired);
    if (follow) actions.push(follow);
  }
  actions.sort(byRank);
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
