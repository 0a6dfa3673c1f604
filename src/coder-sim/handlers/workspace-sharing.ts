// Workspace sharing (coderd/workspaces.go workspaceACL / patchWorkspaceACL),
// the whole feature as one simulator module (../feature.ts): its routes, its
// per-workspace ACL, the `shared_with` it adds to the workspace JSON and its
// facts per version (the group lookup a share by group name needs is
// users-groups.ts's). v2.24.0 has no /acl route; v2.27.0 and v2.30.0 serve it
// only with the workspace-sharing experiment on, else 403 naming the
// experiment; v2.30.0 also shows the ACL on the workspace object.
import { canChangeWorkspace } from '../authz.ts';
import type { SimFeature } from '../feature.ts';
import type { SimWorkspace } from '../model.ts';
import { isResponse, workspaceParam } from '../params.ts';
import { errorResponse, forbidden, json, noContent, routeNotFound, type SimResponse } from '../responses.ts';
import type { HandlerContext, Route } from '../router.ts';
import type { SimState } from '../state.ts';
import { perVersion, profileOf, type VersionProfile } from '../versions.ts';
import { isUuid } from '../../api/patterns.ts';

const WORKSPACE_SHARING_EXPERIMENT = 'workspace-sharing';

type SimWorkspaceRole = 'use' | 'admin';

/** A workspace's ACL (coderd's user_acl / group_acl columns): id to role. */
interface SimWorkspaceAcl {
  readonly userAcl: Map<string, SimWorkspaceRole>;
  readonly groupAcl: Map<string, SimWorkspaceRole>;
}

const ACLS = new WeakMap<SimWorkspace, SimWorkspaceAcl>();

/** The ACL of a workspace (empty for a new one); tests change it out of band through this. */
export function aclOf(ws: SimWorkspace): SimWorkspaceAcl {
  let acl = ACLS.get(ws);
  if (!acl) {
    acl = { userAcl: new Map(), groupAcl: new Map() };
    ACLS.set(ws, acl);
  }
  return acl;
}

interface SharingFacts {
  /**
   * The /acl routes: `absent` has none (404); `experiment` serves them only
   * with the workspace-sharing experiment on, and answers 403 naming it otherwise.
   */
  acl: 'absent' | 'experiment';
  /** The workspace object carries `shared_with` (the ACL) while the experiment is on. */
  sharedWithInList: boolean;
}

const sharingIn = perVersion<SharingFacts>({
  latest: { acl: 'experiment', sharedWithInList: true },
  '2.30.0': { acl: 'experiment', sharedWithInList: true },
  '2.27.0': { acl: 'experiment', sharedWithInList: false },
  '2.24.0': { acl: 'absent', sharedWithInList: false },
});

const hasAcl = (profile: VersionProfile) => sharingIn(profile).acl !== 'absent';

const workspaceSharingRoutes: Route[] = [
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
  if (!hasAcl(profileOf(ctx.state))) return routeNotFound();
  if (!ctx.state.experiments.has(WORKSPACE_SHARING_EXPERIMENT))
    return errorResponse(403, "Workspace Sharing functionality requires enabling the 'workspace-sharing' experiment.");
  const ws = workspaceParam(ctx);
  if (isResponse(ws)) return ws;
  return fn(ctx, ws);
}

function readAcl(ctx: HandlerContext, ws: SimWorkspace): SimResponse {
  const { userAcl, groupAcl } = aclOf(ws);
  const users = [...userAcl].flatMap(([id, role]) => {
    const user = ctx.state.users.get(id);
    // codersdk.MinimalUser: avatar_url is omitempty.
    return user ? [{ id: user.id, username: user.username, name: user.name, role }] : [];
  });
  const group = [...groupAcl].flatMap(([id, role]) => {
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
  apply(aclOf(ws).userAcl, users);
  apply(aclOf(ws).groupAcl, groups);
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

/** v2.30.0: the ACL rides along on the workspace object while the experiment is on (omitempty: absent when empty). */
function decorateWorkspace(state: SimState, ws: SimWorkspace, _requester: unknown, out: Record<string, unknown>): void {
  if (!sharingIn(profileOf(state)).sharedWithInList || !state.experiments.has(WORKSPACE_SHARING_EXPERIMENT)) return;
  const { userAcl, groupAcl } = aclOf(ws);
  const shared = [
    ...[...userAcl].map(([id, role]) => ({ id, actor_type: 'user', name: state.users.get(id)?.name ?? '', roles: [role] })),
    ...[...groupAcl].map(([id, role]) => ({ id, actor_type: 'group', name: state.groups.get(id)?.name ?? '', roles: [role] })),
  ];
  if (shared.length > 0) out.shared_with = shared;
}

export const workspaceSharing: SimFeature = {
  name: WORKSPACE_SHARING_EXPERIMENT,
  routes: workspaceSharingRoutes,
  decorateWorkspace,
};
