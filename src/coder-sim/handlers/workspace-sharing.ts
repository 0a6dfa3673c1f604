// Workspace sharing (coderd/workspaces.go workspaceACL / patchWorkspaceACL)
// (the group lookup a share by group name needs is users-groups.ts's). Per version
// (versions.ts): v2.24.0 has no /acl route; v2.27.0 and v2.30.0 serve it only
// with the workspace-sharing experiment on, else 403 naming the experiment.
import { canChangeWorkspace } from '../authz.ts';
import type { SimWorkspace, SimWorkspaceRole } from '../model.ts';
import { isResponse, workspaceParam } from '../params.ts';
import { errorResponse, forbidden, json, noContent, routeNotFound, type SimResponse } from '../responses.ts';
import type { HandlerContext, Route } from '../router.ts';
import { profileOf, type VersionProfile } from '../versions.ts';
import { isUuid } from '../../api/patterns.ts';

const WORKSPACE_SHARING_EXPERIMENT = 'workspace-sharing';

const hasAcl = (profile: VersionProfile) => profile.workspaceSharing !== 'absent';

export const workspaceSharingRoutes: Route[] = [
  {
    method: 'GET',
    template: '/api/v2/workspaces/{workspace}/acl',
    auth: true,
    servedBy: hasAcl,
    handler: (ctx) => withSharing(ctx, readAcl),
  },
  {
    method: 'PATCH',
    template: '/api/v2/workspaces/{workspace}/acl',
    auth: true,
    servedBy: hasAcl,
    bodySpec: { name: 'UpdateWorkspaceACL', fields: { user_roles: 'object', group_roles: 'object' } },
    handler: (ctx) => withSharing(ctx, patchAcl),
  },
];

/** The experiment middleware runs before the workspace is looked up, as chi's r.Use on the /acl route does. */
function withSharing(ctx: HandlerContext, fn: (ctx: HandlerContext, ws: SimWorkspace) => SimResponse): SimResponse {
  const profile = profileOf(ctx.state);
  if (profile.workspaceSharing === 'absent') return routeNotFound();
  if (!ctx.state.experiments.has(WORKSPACE_SHARING_EXPERIMENT))
    return errorResponse(403, "Workspace Sharing functionality requires enabling the 'workspace-sharing' experiment.");
  const ws = workspaceParam(ctx);
  if (isResponse(ws)) return ws;
  return fn(ctx, ws);
}

function readAcl(ctx: HandlerContext, ws: SimWorkspace): SimResponse {
  const users = [...ws.userAcl].flatMap(([id, role]) => {
    const user = ctx.state.users.get(id);
    // codersdk.MinimalUser: avatar_url is omitempty.
    return user ? [{ id: user.id, username: user.username, name: user.name, role }] : [];
  });
  const group = [...ws.groupAcl].flatMap(([id, role]) => {
    const g = ctx.state.groups.get(id);
    return g ? [{ ...groupJson(ctx, g.id), role }] : [];
  });
  // The groups go under `group` (singular): codersdk.WorkspaceACL's json tag.
  return json(200, { users, group });
}

function patchAcl(ctx: HandlerContext, ws: SimWorkspace): SimResponse {
  // Changing the ACL is an update of the workspace (owner, org admin, Owner).
  if (!canChangeWorkspace(ctx.actor, ws)) return forbidden();
  const users = rolesOf(ctx.body.user_roles);
  const groups = rolesOf(ctx.body.group_roles);
  const validations = [
    ...problems('user_roles', users, (id) => ctx.state.users.has(id), 'user'),
    ...problems('group_roles', groups, (id) => ctx.state.groups.has(id), 'group'),
  ];
  if (validations.length > 0) return errorResponse(400, 'Invalid request to update workspace ACL', { validations });
  apply(ws.userAcl, users);
  apply(ws.groupAcl, groups);
  return noContent();
}

function rolesOf(raw: unknown): Array<[string, string]> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
  return Object.entries(raw as Record<string, unknown>).map(([id, role]) => [id, typeof role === 'string' ? role : '<invalid>']);
}

function problems(field: string, entries: Array<[string, string]>, exists: (id: string) => boolean, what: string) {
  const out: { field: string; detail: string }[] = [];
  for (const [id, role] of entries) {
    if (role !== '' && role !== 'use' && role !== 'admin')
      out.push({ field, detail: `role ${JSON.stringify(role)} is not a valid workspace role` });
    else if (!isUuid(id)) out.push({ field, detail: `${id} is not a valid UUID.` });
    else if (role !== '' && !exists(id.toLowerCase())) out.push({ field, detail: `${what} with ID ${id} does not exist` });
  }
  return out;
}

function apply(acl: Map<string, SimWorkspaceRole>, entries: Array<[string, string]>): void {
  for (const [id, role] of entries) {
    if (role === '') acl.delete(id.toLowerCase());
    else acl.set(id.toLowerCase(), role as SimWorkspaceRole);
  }
}

function groupJson(ctx: HandlerContext, id: string) {
  const g = ctx.state.groups.get(id)!;
  const org = ctx.state.mustOrg(g.orgId);
  return {
    id: g.id,
    name: g.name,
    display_name: '',
    organization_id: g.orgId,
    organization_name: org.name,
    organization_display_name: org.name,
    members: [],
    total_member_count: 0,
    avatar_url: '',
    quota_allowance: 0,
    source: 'user',
  };
}
