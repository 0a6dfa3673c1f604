// The reads of WorkspaceSet generators: the user list with Coder's user
// search query, and a group with its members (docs/coder-api.md, Users and
// groups). Groups are Premium (Template RBAC): without the license every
// version we play (v2.24.0 to latest) answers 403 "Template RBAC is a
// Premium feature. Contact sales!" after authentication and before looking
// at the organization (enterprise/coderd/coderd.go, RequireFeatureMW).
import { canReadUser, isOrgMember, isSiteOwner } from '../authz.ts';
import { convertUser } from '../convert.ts';
import type { SimGroup, SimOrganization, SimUser } from '../model.ts';
import { isResponse, organizationParam } from '../params.ts';
import { errorResponse, json, notFound } from '../responses.ts';
import type { Route } from '../router.ts';
import type { SimState } from '../state.ts';
import { matchesUser, parseUserQuery } from '../user-query.ts';
import { pagination } from './workspace-read.ts';

const PREMIUM_GROUPS_MESSAGE = 'Template RBAC is a Premium feature. Contact sales!';

export const userGroupRoutes: Route[] = [
  {
    method: 'GET',
    template: '/api/v2/users',
    auth: true,
    handler: (ctx) => {
      const filter = parseUserQuery(ctx.query.get('q') ?? '');
      if (Array.isArray(filter)) return errorResponse(400, 'Invalid user search query.', { validations: filter });
      const page = pagination(ctx.query);
      if (isResponse(page)) return page;
      const matching = [...ctx.state.users.values()]
        .filter((u) => !u.deleted && canReadUser(ctx.actor, u) && matchesUser(u, filter))
        .sort((a, b) => a.username.toLowerCase().localeCompare(b.username.toLowerCase()));
      const rows = page.limit > 0 ? matching.slice(page.offset, page.offset + page.limit) : matching.slice(page.offset);
      // The count comes from a window function over the rows returned: a page past the end counts 0 (coderd/users.go).
      return json(200, { users: rows.map((u) => convertUser(u, ctx.state)), count: rows.length === 0 ? 0 : matching.length });
    },
  },
  {
    method: 'GET',
    template: '/api/v2/organizations/{organization}/groups/{groupName}',
    auth: true,
    handler: (ctx) => {
      if (!ctx.state.premium) return errorResponse(403, PREMIUM_GROUPS_MESSAGE);
      const org = organizationParam(ctx);
      if (isResponse(org)) return org;
      const group = ctx.state.findGroup(org.id, ctx.params.groupName ?? '');
      if (!group || !canReadGroup(ctx.actor, group)) return notFound();
      return json(200, convertGroup(group, org, ctx.state));
    },
  },
];

/** Site Owners and the organization's members read its groups (the member list of each, as Coder shows it). */
function canReadGroup(actor: SimUser, group: SimGroup): boolean {
  return isSiteOwner(actor) || isOrgMember(actor, group.orgId);
}

function convertGroup(group: SimGroup, org: SimOrganization, state: SimState): Record<string, unknown> {
  const members = [...group.memberIds]
    .map((id) => state.users.get(id))
    .filter((u): u is SimUser => u !== undefined && !u.deleted)
    .sort((a, b) => a.username.toLowerCase().localeCompare(b.username.toLowerCase()));
  return {
    id: group.id,
    name: group.name,
    display_name: group.displayName,
    organization_id: group.orgId,
    members: members.map((u) => reducedUser(u, state)),
    total_member_count: members.length,
    quota_allowance: 0,
    source: 'user',
    organization_name: org.name,
    organization_display_name: org.displayName,
  };
}

/** codersdk.ReducedUser: a user without roles and organizations. */
function reducedUser(user: SimUser, state: SimState): Record<string, unknown> {
  const { roles: _roles, organization_ids: _orgs, ...reduced } = convertUser(user, state);
  return reduced;
}
