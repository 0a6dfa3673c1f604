// apply(): runs one workspace's actions against Coder, one API call each,
// and tracks what the workspace looks like afterwards without reading it
// again (every settings endpoint answers 204, so a successful call is enough
// to know the new value).
import type { CoderApi } from '../coder/api.ts';
import { CoderApiError, CoderNetworkError } from '../coder/errors.ts';
import type { CreateWorkspaceBuildRequest, Workspace } from '../coder/types.ts';
import { diff } from './diff.ts';
import { buildOf, toObserved } from './observe.ts';
import { SETTING_KINDS, SETTINGS, settingOf } from './settings/index.ts';
import type { CreateResolver } from './resolve.ts';
import type { Action, ActionOutcome, ObservedWorkspace, WorkspacePlan } from './types.ts';

export interface ApplyDeps {
  api: CoderApi;
  resolver: CreateResolver;
  /** A client acting as the workspace owner (favorites are owner-only). */
  ownerApi: (owner: { id: string; username: string }) => Promise<CoderApi>;
  /** Called after every action, for progress output, events and metrics. */
  onOutcome?: (key: string, outcome: ActionOutcome) => void;
}

export interface ApplyResult {
  key: string;
  outcomes: ActionOutcome[];
  /** The workspace as it stands after the successful actions; undefined if none exists. */
  observed: ObservedWorkspace | undefined;
  /** How the binding came about in this run, if it did. */
  origin?: 'created' | 'adopted';
  /** Set when a delete build was started: wait for it with waitForBuild(). */
  deleteBuildId?: string;
}

export async function applyPlan(plan: WorkspacePlan, deps: ApplyDeps): Promise<ApplyResult> {
  const result: ApplyResult = { key: plan.key, outcomes: [], observed: plan.observed };
  const record = (outcome: ActionOutcome): void => {
    result.outcomes.push(outcome);
    deps.onOutcome?.(plan.key, outcome);
  };

  let actions = plan.actions;
  const [first] = actions;
  if (first?.kind === 'create') {
    try {
      const { workspace, origin } = await createOrFind(first, plan, deps);
      result.origin = origin;
      result.observed = toObserved(workspace, false);
      // What a new workspace has that its create answer does not show (nobody's
      // favorite, shared with nobody), for the settings the declaration manages.
      if (origin === 'created') for (const kind of SETTING_KINDS) Object.assign(result.observed, SETTINGS[kind].createdWith(plan.desired));
      record({ action: first, ok: true });
    } catch (error) {
      record({ action: first, ok: false, error });
      for (const action of actions.slice(1)) record({ action, ok: false, skipped: true, because: 'create' });
      return result;
    }
    // The create answer shows what Coder really did (e.g. the TTL the template
    // default gave), so the follow-ups are planned again from it.
    actions = diff(plan.desired, result.observed).actions;
  }

  for (const action of actions) {
    const current = result.observed;
    if (!current) break;
    try {
      const next = await runAction(action, current, deps);
      if (action.kind === 'delete') result.deleteBuildId = next.latestBuild.id;
      result.observed = next;
      record({ action, ok: true });
    } catch (error) {
      record({ action, ok: false, error });
    }
  }
  return result;
}

/**
 * Creates are never retried blindly: when the answer is lost (no response,
 * a 5xx) or the name turns out taken, look the workspace up by owner + name.
 * If it is there, it is the one we made (or one a person made, which we
 * adopt, as we would have had the list shown it).
 */
async function createOrFind(
  action: Extract<Action, { kind: 'create' }>,
  plan: WorkspacePlan,
  deps: ApplyDeps,
): Promise<{ workspace: Workspace; origin: 'created' | 'adopted' }> {
  const request = await deps.resolver.createRequest(action.create);
  try {
    return { workspace: await deps.api.createWorkspace(action.create.owner, request), origin: 'created' };
  } catch (error) {
    const outcomeUnknown = error instanceof CoderNetworkError || (error instanceof CoderApiError && error.status >= 500);
    const nameTaken = error instanceof CoderApiError && error.status === 409;
    if (!outcomeUnknown && !nameTaken) throw error;
    const found = await deps.api.findWorkspace(action.create.owner, plan.desired.name);
    if (!found) throw error;
    return { workspace: found, origin: outcomeUnknown ? 'created' : 'adopted' };
  }
}

/** One API call; returns the workspace as it is after the call succeeded. */
async function runAction(action: Action, ws: ObservedWorkspace, deps: ApplyDeps): Promise<ObservedWorkspace> {
  const { api } = deps;
  switch (action.kind) {
    case 'delete': {
      const build = await api.createBuild(ws.id, { transition: 'delete' });
      return { ...ws, latestBuild: buildOf(build) };
    }
    case 'build': {
      const req: CreateWorkspaceBuildRequest = { transition: action.transition };
      if (action.versionId !== undefined) req.template_version_id = action.versionId;
      if (action.parameters !== undefined && action.parameters.length > 0) req.rich_parameter_values = action.parameters;
      // spec.preset's id in the version this build runs (lifecycle.ts found it by name).
      if (action.presetId !== undefined) req.template_version_preset_id = action.presetId;
      const build = await api.createBuild(ws.id, req);
      const latestBuild = buildOf(build);
      return {
        ...ws,
        latestBuild,
        outdated: latestBuild.templateVersionId !== ws.activeVersionId,
        ...(action.transition === 'start' ? { dormant: false } : {}),
      };
    }
    case 'create':
      throw new Error('create is handled before the other actions');
    default:
      return keepUnlisted(ws, await settingOf(action).apply(action, ws, deps));
  }
}

/**
 * A setting's call answered with the whole workspace shows none of what the
 * workspace object does not carry (the favorite, the ACL): those are kept
 * from before the call.
 */
function keepUnlisted(before: ObservedWorkspace, after: ObservedWorkspace): ObservedWorkspace {
  const kept: Partial<ObservedWorkspace> = {};
  for (const kind of SETTING_KINDS)
    for (const field of SETTINGS[kind].unlistedFields)
      if (after[field] === undefined && before[field] !== undefined) Object.assign(kept, { [field]: before[field] });
  return Object.keys(kept).length > 0 ? { ...after, ...kept } : after;
}
