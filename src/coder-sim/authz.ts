// Who may do what (coderd/rbac/roles.go), reduced to the roles the simulator
// seeds: site Owner, site template-admin, org admin and org member (which
// carries organization-workspace-access, as orgs grant by default).
import type { SimOrganization, SimTemplate, SimUser, SimWorkspace } from './model.ts';

export function isSiteOwner(user: SimUser): boolean {
  return user.siteRoles.includes('owner');
}

function isTemplateAdmin(user: SimUser): boolean {
  return user.siteRoles.includes('template-admin');
}

function isOrgAdmin(user: SimUser, orgId: string): boolean {
  return user.orgRoles.get(orgId) === 'admin';
}

export function isOrgMember(user: SimUser, orgId: string): boolean {
  return user.orgRoles.has(orgId);
}

/** Members see users they share an organization with; Owner sees everyone. */
export function canReadUser(actor: SimUser, target: SimUser): boolean {
  if (actor.id === target.id || isSiteOwner(actor) || isTemplateAdmin(actor)) return true;
  for (const orgId of actor.orgRoles.keys()) if (target.orgRoles.has(orgId)) return true;
  return false;
}

export function canReadOrganization(actor: SimUser, org: SimOrganization): boolean {
  return isSiteOwner(actor) || isOrgMember(actor, org.id);
}

export function canReadTemplate(actor: SimUser, template: SimTemplate): boolean {
  return isSiteOwner(actor) || isTemplateAdmin(actor) || isOrgMember(actor, template.orgId);
}

/** Template "update": who may pass `orphan` or `state` on a build. */
export function canManageTemplate(actor: SimUser, template: SimTemplate): boolean {
  return isSiteOwner(actor) || isTemplateAdmin(actor) || isOrgAdmin(actor, template.orgId);
}

export function canReadWorkspace(actor: SimUser, ws: SimWorkspace): boolean {
  if (ws.ownerId === actor.id) return true;
  return isSiteOwner(actor) || isTemplateAdmin(actor) || isOrgAdmin(actor, ws.orgId);
}

/** Update, delete, start, stop: Owner, the org's admin, or the owner as an org member. */
export function canChangeWorkspace(actor: SimUser, ws: SimWorkspace): boolean {
  if (isSiteOwner(actor) || isOrgAdmin(actor, ws.orgId)) return true;
  return ws.ownerId === actor.id && isOrgMember(actor, ws.orgId);
}

export function canCreateWorkspaceFor(actor: SimUser, owner: SimUser, orgId: string): boolean {
  // The owner must belong to the template's organization, whoever asks.
  if (!isOrgMember(owner, orgId)) return false;
  if (isSiteOwner(actor) || isOrgAdmin(actor, orgId)) return true;
  return actor.id === owner.id && isOrgMember(actor, orgId);
}

/** API keys belong to their user; only the user and a site Owner manage them. */
export function canManageKeysOf(actor: SimUser, target: SimUser): boolean {
  return actor.id === target.id || isSiteOwner(actor);
}
