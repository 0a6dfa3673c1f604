// API tokens (docs/coder-api.md; coderd/apikey.go): mint, list, config and
// delete. A minted token authenticates as its user at once. Which scope
// names are accepted, and what a narrow scope may read, depend on the Coder
// version played (versions.ts); `latest` records scopes without enforcing them.
import { canManageKeysOf, isSiteOwner } from '../authz.ts';
import { convertApiKey } from '../convert.ts';
import { isResponse, userParam } from '../params.ts';
import { errorResponse, forbidden, json, noContent, notFound, type SimResponse } from '../responses.ts';
import type { HandlerContext, Route } from '../router.ts';
import { profileOf } from '../versions.ts';
import { formatGoDuration } from './go-duration.ts';

const HOUR_NS = 3600 * 1e9;
/** --default-token-lifetime: 7 days. */
const DEFAULT_TOKEN_LIFETIME_NS = 168 * HOUR_NS;
/** --max-admin-token-lifetime: 7 days, for site Owners. */
const MAX_ADMIN_TOKEN_LIFETIME_NS = 168 * HOUR_NS;
/** --max-token-lifetime default (100 years), for everyone else. */
const MAX_TOKEN_LIFETIME_NS = 876_600 * HOUR_NS;

export const tokenRoutes: Route[] = [
  {
    method: 'POST',
    template: '/api/v2/users/{user}/keys/tokens',
    auth: true,
    bodySpec: {
      name: 'CreateTokenRequest',
      fields: { token_name: 'string', lifetime: 'int64', scope: 'string', scopes: 'array', allow_list: 'array' },
    },
    handler: createToken,
  },
  { method: 'GET', template: '/api/v2/users/{user}/keys/tokens', auth: true, handler: listTokens },
  { method: 'GET', template: '/api/v2/users/{user}/keys/tokens/tokenconfig', auth: true, handler: tokenConfig },
  { method: 'GET', template: '/api/v2/users/{user}/keys/{keyid}', auth: true, handler: getKey },
  { method: 'DELETE', template: '/api/v2/users/{user}/keys/{keyid}', auth: true, handler: deleteKey },
];

function maxLifetimeNs(ctx: HandlerContext): number {
  return isSiteOwner(ctx.actor) ? MAX_ADMIN_TOKEN_LIFETIME_NS : MAX_TOKEN_LIFETIME_NS;
}

function createToken(ctx: HandlerContext): SimResponse {
  const user = userParam(ctx);
  if (isResponse(user)) return user;
  if (!canManageKeysOf(ctx.actor, user)) return forbidden();
  const { state, body } = ctx;
  const lifetimeNs = typeof body.lifetime === 'number' && body.lifetime !== 0 ? body.lifetime : DEFAULT_TOKEN_LIFETIME_NS;
  const max = maxLifetimeNs(ctx);
  if (lifetimeNs <= 0 || lifetimeNs > max) {
    return errorResponse(400, 'Failed to validate create API key request.', {
      detail: lifetimeNs <= 0 ? 'lifetime must be positive number greater than 0' : `lifetime must be less than ${formatGoDuration(max)}`,
    });
  }
  const profile = profileOf(state);
  // A server with a `scopes` list checks that list and ignores `scope`; one without it only knows `scope`.
  const listed =
    profile.apiKeyScopes === 'list' && Array.isArray(body.scopes) ? body.scopes.filter((s): s is string => typeof s === 'string') : [];
  const scope = typeof body.scope === 'string' && body.scope !== '' ? body.scope : undefined;
  const refusal =
    listed.length > 0
      ? listed.map((s) => profile.refuseScope(s, 'scopes')).find((r) => r !== undefined)
      : scope !== undefined
        ? profile.refuseScope(scope, 'scope')
        : undefined;
  if (refusal !== undefined) return errorResponse(400, 'Failed to create API key.', { detail: refusal });
  const scopes = profile.recordScopes(listed, scope);
  if (typeof scopes === 'string') return errorResponse(500, 'Failed to create API key.', { detail: scopes });
  const tokenName = typeof body.token_name === 'string' && body.token_name !== '' ? body.token_name : `token-${state.apiKeys.size + 1}`;
  const duplicate = [...state.apiKeys.values()].some((k) => k.userId === user.id && k.loginType === 'token' && k.tokenName === tokenName);
  if (duplicate) {
    return errorResponse(409, `A token with name ${JSON.stringify(tokenName)} already exists.`, {
      validations: [{ field: 'name', detail: 'This value is already in use and should be unique.' }],
    });
  }
  const { token } = state.issueKey(user.id, {
    loginType: 'token',
    tokenName,
    scopes,
    expiresAt: state.now() + Math.floor(lifetimeNs / 1e6),
    // Coder stores the asked-for lifetime (in whole seconds), not a difference
    // of two clock reads, which could lose a second to the tick between them.
    lifetimeSeconds: Math.floor(lifetimeNs / 1e9),
  });
  return json(201, { key: token });
}

function listTokens(ctx: HandlerContext): SimResponse {
  const user = userParam(ctx);
  if (isResponse(user)) return user;
  if (!canManageKeysOf(ctx.actor, user)) return forbidden();
  const now = ctx.state.now();
  const keys = [...ctx.state.apiKeys.values()].filter((k) => k.userId === user.id && k.loginType === 'token' && k.expiresAt > now);
  // coderd's handler writes a nil slice, which Go encodes as null, when the user has no tokens.
  if (keys.length === 0) return json(200, null);
  return json(
    200,
    keys.map((k) => convertApiKey(k, user.username, profileOf(ctx.state).apiKeyScopes)),
  );
}

function tokenConfig(ctx: HandlerContext): SimResponse {
  const user = userParam(ctx);
  if (isResponse(user)) return user;
  return json(200, { max_token_lifetime: maxLifetimeNs(ctx) });
}

function getKey(ctx: HandlerContext): SimResponse {
  const user = userParam(ctx);
  if (isResponse(user)) return user;
  const key = ctx.state.apiKeys.get(ctx.params.keyid ?? '');
  if (!key || key.userId !== user.id || !canManageKeysOf(ctx.actor, user)) return notFound();
  return json(200, convertApiKey(key, user.username, profileOf(ctx.state).apiKeyScopes));
}

function deleteKey(ctx: HandlerContext): SimResponse {
  const user = userParam(ctx);
  if (isResponse(user)) return user;
  const key = ctx.state.apiKeys.get(ctx.params.keyid ?? '');
  if (!key || key.userId !== user.id || !canManageKeysOf(ctx.actor, user)) return notFound();
  ctx.state.apiKeys.delete(key.id);
  return noContent();
}
