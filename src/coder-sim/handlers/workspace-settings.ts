// The per-workspace settings endpoints (docs/coder-api.md: Settings): rename,
// autostart, ttl, dormant, favorite and automatic updates. None of them
// touches updated_at.
import { canChangeWorkspace } from '../authz.ts';
import { convertWorkspace } from '../convert.ts';
import { isWorkspaceDeleted, latestBuild } from '../lifecycle.ts';
import type { SimWorkspace } from '../model.ts';
import { isValidWorkspaceName } from '../names.ts';
import { isResponse, workspaceParam } from '../params.ts';
import { errorResponse, forbidden, json, noContent, notFound, validationFailed, type SimResponse } from '../responses.ts';
import type { HandlerContext, Route } from '../router.ts';
import { nextStartAt, validateWeeklySchedule } from '../schedule.ts';
import { isFullAccess, profileOf } from '../versions.ts';
import { ttlProblem, truncateToMinutes } from './ttl-rules.ts';

export const workspaceSettingsRoutes: Route[] = [
  {
    method: 'PATCH',
    template: '/api/v2/workspaces/{workspace}',
    auth: true,
    bodySpec: { name: 'UpdateWorkspaceRequest', fields: { name: 'string' } },
    handler: (ctx) => withChangeable(ctx, rename),
  },
  {
    method: 'PUT',
    template: '/api/v2/workspaces/{workspace}/autostart',
    auth: true,
    bodySpec: { name: 'UpdateWorkspaceAutostartRequest', fields: { schedule: 'string' } },
    handler: (ctx) => withChangeable(ctx, autostart),
  },
  {
    method: 'PUT',
    template: '/api/v2/workspaces/{workspace}/ttl',
    auth: true,
    bodySpec: { name: 'UpdateWorkspaceTTLRequest', fields: { ttl_ms: 'int64' } },
    handler: (ctx) => withChangeable(ctx, ttl),
  },
  {
    method: 'PUT',
    template: '/api/v2/workspaces/{workspace}/dormant',
    auth: true,
    bodySpec: { name: 'UpdateWorkspaceDormancy', fields: { dormant: 'bool' } },
    handler: (ctx) => withChangeable(ctx, dormant),
  },
  { method: 'PUT', template: '/api/v2/workspaces/{workspace}/favorite', auth: true, handler: (ctx) => favorite(ctx, true) },
  { method: 'DELETE', template: '/api/v2/workspaces/{workspace}/favorite', auth: true, handler: (ctx) => favorite(ctx, false) },
  {
    method: 'PUT',
    template: '/api/v2/workspaces/{workspace}/autoupdates',
    auth: true,
    bodySpec: { name: 'UpdateWorkspaceAutomaticUpdatesRequest', fields: { automatic_updates: 'string' } },
    handler: (ctx) => withChangeable(ctx, autoupdates),
  },
];

/** Resolves the workspace and checks update permission: 404 unreadable, 403 read-only. */
function withChangeable(ctx: HandlerContext, fn: (ctx: HandlerContext, ws: SimWorkspace) => SimResponse): SimResponse {
  const ws = workspaceParam(ctx);
  if (isResponse(ws)) return ws;
  if (!canChangeWorkspace(ctx.actor, ws)) return forbidden();
  return fn(ctx, ws);
}

function rename(ctx: HandlerContext, ws: SimWorkspace): SimResponse {
  const name = typeof ctx.body.name === 'string' ? ctx.body.name : '';
  // The tag is `username` without omitempty: empty fails too.
  if (name === '') return validationFailed([{ field: 'name', tag: 'required', value: '' }]);
  if (!isValidWorkspaceName(name)) return validationFailed([{ field: 'name', tag: 'workspace_name', value: name }]);
  if (name === ws.name) return noContent();
  if (!ctx.state.allowRenames) return errorResponse(400, 'Workspace renames are not allowed.');
  if (isWorkspaceDeleted(ws, ctx.state.now())) {
    return errorResponse(405, `Workspace ${JSON.stringify(ws.name)} is deleted and cannot be updated.`);
  }
  const other = ctx.state.findLiveWorkspace(ws.ownerId, name);
  if (other && other.id !== ws.id) {
    return errorResponse(409, `Workspace ${JSON.stringify(name)} already exists.`, {
      validations: [{ field: 'name', detail: 'This value is already in use and should be unique.' }],
    });
  }
  ws.name = name;
  return noContent();
}

function autostart(ctx: HandlerContext, ws: SimWorkspace): SimResponse {
  const raw = typeof ctx.body.schedule === 'string' ? ctx.body.schedule : '';
  if (raw === '') {
    ws.autostartSchedule = null;
    ws.nextStartAt = null;
    return noContent();
  }
  const problem = validateWeeklySchedule(raw);
  if (problem) return errorResponse(400, 'Invalid autostart schedule.', { validations: [{ field: 'schedule', detail: problem }] });
  // Stored exactly as sent, never normalised.
  ws.autostartSchedule = raw;
  ws.nextStartAt = nextStartAt(raw, ctx.state.now());
  return noContent();
}

function ttl(ctx: HandlerContext, ws: SimWorkspace): SimResponse {
  const raw = typeof ctx.body.ttl_ms === 'number' ? ctx.body.ttl_ms : 0;
  if (raw === 0) {
    ws.ttlMs = null;
    // Turning autostop off moves a start build's deadline to max_deadline (none here).
    const build = latestBuild(ws);
    if (build.transition === 'start') build.deadlineCleared = true;
    return noContent();
  }
  const problem = ttlProblem(raw);
  if (problem) {
    return errorResponse(400, 'Error updating workspace time until shutdown.', { validations: [{ field: 'ttl_ms', detail: problem }] });
  }
  ws.ttlMs = truncateToMinutes(raw);
  return noContent();
}

function dormant(ctx: HandlerContext, ws: SimWorkspace): SimResponse {
  const want = ctx.body.dormant === true;
  if (want === (ws.dormantAt !== null)) return { status: 304 };
  const now = ctx.state.now();
  if (want) {
    const template = ctx.state.mustTemplate(ws.templateId);
    ws.dormantAt = now;
    ws.deletingAt = template.timeTilDormantAutodeleteMs > 0 ? now + template.timeTilDormantAutodeleteMs : null;
  } else {
    ws.dormantAt = null;
    ws.deletingAt = null;
    ws.lastUsedAt = now;
  }
  return json(200, convertWorkspace(ctx.state, ws, ctx.actor));
}

function favorite(ctx: HandlerContext, on: boolean): SimResponse {
  const ws = workspaceParam(ctx);
  if (isResponse(ws)) return ws;
  // v2.27.0: a dormant workspace is out of reach of workspace:* scopes.
  if (ws.dormantAt !== null && profileOf(ctx.state).narrowTokensHideWorkspaces && !isFullAccess(ctx.key)) return notFound();
  // Owner only, even for a site Owner.
  if (ws.ownerId !== ctx.actor.id) {
    return errorResponse(403, on ? 'You can only favorite workspaces that you own.' : 'You can only un-favorite workspaces that you own.');
  }
  ws.favorite = on;
  return noContent();
}

function autoupdates(ctx: HandlerContext, ws: SimWorkspace): SimResponse {
  const value = ctx.body.automatic_updates;
  if (value !== 'always' && value !== 'never') {
    return errorResponse(400, 'Invalid request', {
      validations: [{ field: 'automatic_updates', detail: 'must be always or never' }],
    });
  }
  ws.automaticUpdates = value;
  return noContent();
}
