// POST /workspaces/{workspace}/builds (docs/coder-api.md: Builds): start, stop and
// delete builds. A delete only takes effect when its build succeeds; an
// orphan delete completes at once because the simulator has no provisioners.
import type { WorkspaceTransition } from '../../coder/types.ts';
import { canChangeWorkspace, canManageTemplate } from '../authz.ts';
import { convertBuild } from '../convert.ts';
import { isJobActive, isWorkspaceDeleted, latestBuild } from '../lifecycle.ts';
import { isResponse, workspaceParam } from '../params.ts';
import { buildParameterProblem, sentParameters } from '../build-parameters.ts';
import { errorResponse, forbidden, json, unknownPreset, validationFailed, type SimResponse } from '../responses.ts';
import type { HandlerContext, Route } from '../router.ts';
import { profileOf } from '../versions.ts';

const TRANSITIONS: WorkspaceTransition[] = ['start', 'stop', 'delete'];

export const buildRoutes: Route[] = [
  {
    method: 'POST',
    template: '/api/v2/workspaces/{workspace}/builds',
    auth: true,
    bodySpec: {
      name: 'CreateWorkspaceBuildRequest',
      fields: {
        transition: 'string',
        template_version_id: 'uuid',
        rich_parameter_values: 'array',
        orphan: 'bool',
        state: 'array',
        log_level: 'string',
        reason: 'string',
        template_version_preset_id: 'uuid',
        on_success: 'object',
        dry_run: 'bool',
      },
    },
    handler: createBuild,
  },
];

function createBuild(ctx: HandlerContext): SimResponse {
  const { state, actor, body } = ctx;
  const ws = workspaceParam(ctx);
  if (isResponse(ws)) return ws;
  const transition = typeof body.transition === 'string' ? body.transition : '';
  if (transition === '') return validationFailed([{ field: 'transition', tag: 'required', value: '' }]);
  if (!(TRANSITIONS as string[]).includes(transition)) return validationFailed([{ field: 'transition', tag: 'oneof', value: transition }]);
  const orphan = body.orphan === true;
  const hasState = Array.isArray(body.state) && body.state.length > 0;
  if (orphan && transition !== 'delete') return errorResponse(400, 'Orphan is only permitted when deleting a workspace.');
  if (orphan && hasState) return errorResponse(400, 'You must not specify both orphan and state.');

  if (!canChangeWorkspace(actor, ws)) return forbidden();
  const template = state.mustTemplate(ws.templateId);
  if ((orphan || hasState) && !canManageTemplate(actor, template)) {
    return errorResponse(403, 'Only template managers may provide custom state');
  }
  const now = state.now();
  if (transition !== 'delete' && isWorkspaceDeleted(ws, now)) {
    return errorResponse(409, `Cannot ${transition} a deleted workspace!`);
  }
  if (isJobActive(latestBuild(ws), now)) return errorResponse(409, 'A workspace build is already active.');

  let versionId: string | undefined;
  if (typeof body.template_version_id === 'string') {
    const version = state.versions.get(body.template_version_id.toLowerCase());
    if (!version || version.templateId !== template.id) {
      return errorResponse(400, "template version doesn't match template");
    }
    if (version.jobStatus === 'pending' || version.jobStatus === 'running')
      return errorResponse(406, 'The provided template version is pending. Wait for it to complete importing!');
    if (version.jobStatus !== 'succeeded')
      return errorResponse(
        400,
        `The provided template version ${JSON.stringify(version.name)} has failed to import. You cannot build workspaces with it!`,
      );
    versionId = version.id;
  }
  const previous = latestBuild(ws);
  const parameters = sentParameters(body.rich_parameter_values);
  if (transition !== 'delete') {
    const problem = buildParameterProblem(
      template,
      state.versions.get(versionId ?? previous.templateVersionId),
      previous.parameters,
      parameters,
    );
    if (problem) return problem;
  }
  if (transition === 'start' && ws.dormantAt !== null) {
    if (profileOf(state).startOnDormant === 'forbidden') return forbidden();
    // A start clears dormancy in the same transaction.
    ws.dormantAt = null;
    ws.deletingAt = null;
  }
  const presetId = typeof body.template_version_preset_id === 'string' ? body.template_version_preset_id.toLowerCase() : undefined;
  if (presetId !== undefined && !state.hasPreset(presetId)) return unknownPreset();
  const build = state.addBuild(ws, {
    transition: transition as WorkspaceTransition,
    initiatorId: actor.id,
    durationMs: orphan ? 0 : state.buildDurationMs,
    templateVersionId: versionId,
    parameters,
    ...(presetId !== undefined ? { presetId } : {}),
  });
  return json(201, convertBuild(state, ws, build));
}
