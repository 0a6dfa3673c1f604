// Path parameter middleware equivalents (coderd/httpmw): each resolves a
// `{param}` to a record or answers like the server (400 Invalid UUID, 404 for
// missing and unreadable objects alike).
import { canReadOrganization, canReadUser, canReadWorkspace } from './authz.ts';
import type { SimOrganization, SimUser, SimWorkspace } from './model.ts';
import type { HandlerContext } from './router.ts';
import { invalidUuid, notFound, type SimResponse } from './responses.ts';
import { isUuid } from '../api/patterns.ts';

export function isResponse(value: unknown): value is SimResponse {
  return typeof value === 'object' && value !== null && 'status' in value && typeof (value as SimResponse).status === 'number';
}

/** `{workspace}`: a UUID; deleted workspaces resolve too (handlers decide). */
export function workspaceParam(ctx: HandlerContext): SimWorkspace | SimResponse {
  const raw = ctx.params.workspace ?? '';
  if (!isUuid(raw)) return invalidUuid(raw);
  const ws = ctx.state.workspaces.get(raw.toLowerCase());
  if (!ws || !canReadWorkspace(ctx.actor, ws)) return notFound();
  return ws;
}

/** `{user}`: `me`, a UUID or a username. */
export function userParam(ctx: HandlerContext): SimUser | SimResponse {
  const raw = ctx.params.user ?? '';
  if (raw === 'me') return ctx.actor;
  const user = ctx.state.findUser(raw);
  if (!user || !canReadUser(ctx.actor, user)) return notFound();
  return user;
}

/** `{organization}`: a UUID, a name, `default` or the nil UUID. */
export function organizationParam(ctx: HandlerContext): SimOrganization | SimResponse {
  const org = ctx.state.findOrganization(ctx.params.organization ?? '');
  if (!org || !canReadOrganization(ctx.actor, org)) return notFound();
  return org;
}

/** A path parameter that must be a UUID. */
export function uuidParam(ctx: HandlerContext, name: string): string | SimResponse {
  const raw = ctx.params[name] ?? '';
  return isUuid(raw) ? raw.toLowerCase() : invalidUuid(raw);
}
