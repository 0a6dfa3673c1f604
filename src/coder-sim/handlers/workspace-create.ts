// POST /users/{user}/workspaces and the deprecated org-member route, with
// the order of checks of docs/coder-api.md, Creating a workspace: body validation, template
// resolution, authorization, autostart, ttl, automatic updates, duplicate
// name, then build errors (version import state, parameters).
import type { AutomaticUpdates, ValidationError } from '../../coder/types.ts';
import { canCreateWorkspaceFor, canReadTemplate, isOrgMember } from '../authz.ts';
import { convertWorkspace } from '../convert.ts';
import type { SimTemplate, SimTemplateVersion } from '../model.ts';
import { isValidWorkspaceName } from '../names.ts';
import { isResponse, organizationParam, userParam } from '../params.ts';
import type { StructSpec } from '../request-body.ts';
import { errorResponse, json, notFound, unknownPreset, validationFailed, type SimResponse } from '../responses.ts';
import type { HandlerContext, Route } from '../router.ts';
import { validateWeeklySchedule } from '../schedule.ts';
import { sentParameters } from '../build-parameters.ts';
import { profileOf } from '../versions.ts';
import { ttlProblem, truncateToMinutes } from './ttl-rules.ts';

const CREATE_SPEC: StructSpec = {
  name: 'CreateWorkspaceRequest',
  fields: {
    template_id: 'uuid',
    template_version_id: 'uuid',
    name: 'string',
    autostart_schedule: 'string',
    ttl_ms: 'int64',
    rich_parameter_values: 'array',
    automatic_updates: 'string',
    template_version_preset_id: 'uuid',
  },
};

export const workspaceCreateRoutes: Route[] = [
  {
    method: 'POST',
    template: '/api/v2/users/{user}/workspaces',
    auth: true,
    bodySpec: CREATE_SPEC,
    handler: (ctx) => createWorkspace(ctx, undefined),
  },
  {
    method: 'POST',
    template: '/api/v2/organizations/{organization}/members/{user}/workspaces',
    auth: true,
    bodySpec: CREATE_SPEC,
    handler: (ctx) => {
      const org = organizationParam(ctx);
      return isResponse(org) ? org : createWorkspace(ctx, org.id);
    },
  },
];

function createWorkspace(ctx: HandlerContext, pathOrgId: string | undefined): SimResponse {
  const { state, actor, body } = ctx;
  const owner = userParam(ctx);
  if (isResponse(owner)) {
    // v2.27.0 answers a user that does not exist with 400, not 404.
    const missing = ctx.params.user !== 'me' && state.findUser(ctx.params.user ?? '') === undefined;
    if (missing && profileOf(state).unknownOwnerCreateStatus === 400)
      return errorResponse(400, '"user" must be an existing uuid or username.');
    return owner;
  }
  // The deprecated route's org only checks membership; the template decides the org.
  if (pathOrgId !== undefined && !isOrgMember(owner, pathOrgId)) {
    return notFound();
  }

  // 1. Struct-tag validation, in Go struct field order.
  const templateId = typeof body.template_id === 'string' ? body.template_id.toLowerCase() : '';
  const versionId = typeof body.template_version_id === 'string' ? body.template_version_id.toLowerCase() : '';
  const name = typeof body.name === 'string' ? body.name : '';
  const failures: { field: string; tag: string; value: string }[] = [];
  const nil = '00000000-0000-0000-0000-000000000000';
  if (!templateId && !versionId) {
    failures.push({ field: 'template_id', tag: 'required_without', value: nil });
    failures.push({ field: 'template_version_id', tag: 'required_without', value: nil });
  } else if (templateId && versionId) {
    failures.push({ field: 'template_id', tag: 'excluded_with', value: templateId });
    failures.push({ field: 'template_version_id', tag: 'excluded_with', value: versionId });
  }
  if (name === '') failures.push({ field: 'name', tag: 'required', value: '' });
  else if (!isValidWorkspaceName(name)) failures.push({ field: 'name', tag: 'workspace_name', value: name });
  if (failures.length > 0) return validationFailed(failures);

  // 2. Template resolution (requestTemplate).
  const resolved = resolveTemplate(ctx, templateId, versionId);
  if (isResponse(resolved)) return resolved;
  const { template, version } = resolved;

  // 3. Authorization.
  if (!canCreateWorkspaceFor(actor, owner, template.orgId)) return errorResponse(403, 'Unauthorized to create workspace.');
  if (!canReadTemplate(owner, template)) {
    return errorResponse(403, `Unauthorized access to use the template ${JSON.stringify(template.name)}.`);
  }
  if (template.deprecated) {
    return errorResponse(
      400,
      `Template ${JSON.stringify(template.name)} has been deprecated, and cannot be used to create a new workspace.`,
    );
  }

  // 5. Autostart: format only; the template's allow_user_autostart is not checked on create.
  const schedule = typeof body.autostart_schedule === 'string' && body.autostart_schedule !== '' ? body.autostart_schedule : null;
  if (schedule !== null) {
    const problem = validateWeeklySchedule(schedule);
    if (problem) return errorResponse(400, 'Invalid Autostart Schedule.', { validations: [{ field: 'schedule', detail: problem }] });
  }

  // 6. TTL: null or 0 falls back to the template default (which may itself be 0 = off).
  let ttlMs: number | null;
  const rawTtl = typeof body.ttl_ms === 'number' ? body.ttl_ms : 0;
  if (rawTtl === 0) {
    ttlMs = template.defaultTtlMs > 0 ? template.defaultTtlMs : null;
  } else {
    const problem = ttlProblem(rawTtl);
    if (problem) return errorResponse(400, 'Invalid Workspace Time to Shutdown.', { validations: [{ field: 'ttl_ms', detail: problem }] });
    ttlMs = truncateToMinutes(rawTtl);
  }

  // 7. Automatic updates: empty means never.
  const rawUpdates = typeof body.automatic_updates === 'string' ? body.automatic_updates : '';
  if (rawUpdates !== '' && rawUpdates !== 'always' && rawUpdates !== 'never') {
    return errorResponse(400, 'Invalid Workspace Automatic Updates setting.', {
      validations: [{ field: 'automatic_updates', detail: 'Automatic updates must be always or never' }],
    });
  }
  const automaticUpdates: AutomaticUpdates = rawUpdates === 'always' ? 'always' : 'never';

  // 8. Duplicate name among the owner's live workspaces, ignoring case.
  if (state.findLiveWorkspace(owner.id, name)) {
    return errorResponse(409, `Workspace ${JSON.stringify(name)} already exists.`, {
      validations: [{ field: 'name', detail: 'This value is already in use and should be unique.' }],
    });
  }

  // 9. Build errors.
  const buildProblem = versionProblem(version) ?? parameterProblem(template, version, body.rich_parameter_values);
  if (buildProblem) return buildProblem;
  const presetId = typeof body.template_version_preset_id === 'string' ? body.template_version_preset_id.toLowerCase() : undefined;
  if (presetId !== undefined && !state.hasPreset(presetId)) return unknownPreset();

  const ws = state.createWorkspaceRecord({
    ownerId: owner.id,
    template,
    versionId: version.id,
    name,
    autostartSchedule: schedule,
    ttlMs,
    automaticUpdates,
    initiatorId: actor.id,
    durationMs: state.buildDurationMs,
    parameters: sentParameters(body.rich_parameter_values),
    ...(presetId !== undefined ? { presetId } : {}),
  });
  return json(201, convertWorkspace(state, ws, actor));
}

function resolveTemplate(
  ctx: HandlerContext,
  templateId: string,
  versionId: string,
): { template: SimTemplate; version: SimTemplateVersion } | SimResponse {
  const { state, actor } = ctx;
  if (versionId) {
    const version = state.versions.get(versionId);
    const template = version && state.templates.get(version.templateId);
    if (!version || !template || !canReadTemplate(actor, template)) {
      return errorResponse(400, `Template version ${JSON.stringify(versionId)} doesn't exist.`, {
        validations: [{ field: 'template_version_id', detail: 'template not found' }],
      });
    }
    if (version.archived) return errorResponse(500, 'Archived template versions cannot be used to make a workspace.');
    if (template.deleted) return errorResponse(404, `Template ${JSON.stringify(template.name)} has been deleted!`);
    return { template, version };
  }
  const template = state.templates.get(templateId);
  if (!template || !canReadTemplate(actor, template)) {
    return errorResponse(400, `Template ${JSON.stringify(templateId)} doesn't exist.`, {
      validations: [{ field: 'template_id', detail: 'template not found' }],
    });
  }
  if (template.deleted) return errorResponse(404, `Template ${JSON.stringify(template.name)} has been deleted!`);
  return { template, version: state.versions.get(template.activeVersionId)! };
}

function versionProblem(version: SimTemplateVersion): SimResponse | undefined {
  if (version.jobStatus === 'pending' || version.jobStatus === 'running') {
    return errorResponse(406, 'The provided template version is pending. Wait for it to complete importing!');
  }
  if (version.jobStatus !== 'succeeded') {
    return errorResponse(
      400,
      `The provided template version ${JSON.stringify(version.name)} has failed to import. You cannot build workspaces with it!`,
    );
  }
  return undefined;
}

function parameterProblem(template: SimTemplate, version: SimTemplateVersion, given: unknown): SimResponse | undefined {
  const provided = new Set<string>();
  if (Array.isArray(given)) {
    for (const p of given) {
      if (p && typeof p === 'object' && typeof (p as { name?: unknown }).name === 'string') provided.add((p as { name: string }).name);
    }
  }
  const missing = version.parameters
    .filter((p) => p.required && !provided.has(p.name))
    .map((p) => p.name)
    .sort();
  const first = missing[0];
  if (first === undefined) return undefined;
  if (template.useClassicParameterFlow) {
    return errorResponse(400, `Unable to validate parameter ${JSON.stringify(first)}`, {
      detail: `Parameter ${JSON.stringify(first)} is required but not provided`,
    });
  }
  const validations: ValidationError[] = missing.map((field) => ({
    field,
    detail: `Required parameter not provided; parameter ${JSON.stringify(field)} is required but not provided`,
  }));
  return errorResponse(400, 'Unable to validate parameters', { validations });
}
