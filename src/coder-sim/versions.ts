// Which Coder the simulator plays. `latest` follows the recent server our
// API notes describe (docs/coder-api.md); `2.30.0`, `2.27.0` and `2.24.0`
// reproduce each difference a real coderd of that version showed
// (docs/compatibility.md). A handler asks the profile instead of testing
// version strings, so adding a version is one entry here.
import type { SimApiKey } from './model.ts';
import type { SimState } from './state.ts';

export interface VersionProfile {
  /** The knob's value: `latest` or a release such as `2.27.0`. */
  name: string;
  /** GET /buildinfo `version` and the X-Coder-Build-Version header. */
  buildVersion: string;
  /** Why a requested token scope is refused, or undefined when it is accepted. */
  refuseScope(scope: string, field: 'scopes' | 'scope'): string | undefined;
  /**
   * v2.27.0: a token without a full-access scope counts the owner's
   * workspaces but gets none back, gets 403 on GET /workspaces/{id}, and 404
   * on a dormant workspace's favorite.
   */
  narrowTokensHideWorkspaces: boolean;
  /** POST /users/{user}/workspaces for a user that does not exist: 404 (latest) or 400 (v2.27.0). */
  unknownOwnerCreateStatus: 400 | 404;
  /**
   * latest: when users may not set autostop, ttl_ms shows the template default (0 as 0).
   * v2.27.0: only the workspace's own TTL, absent when off.
   */
  ttlFollowsTemplateWhenLocked: boolean;
  /**
   * How API keys carry their scope. v2.24.0 knows only the single `scope`
   * (`all` or `application_connect`): it ignores a `scopes` list in a token
   * request, so every token it mints may do all its user may, and its key
   * JSON has `scope`, not `scopes`.
   */
  apiKeyScopes: 'list' | 'single';
  /**
   * The scopes a token request records, once refuseScope let it through:
   * `listed` is its `scopes` list (empty where apiKeyScopes is `single`),
   * `scope` its single field. A string instead is the detail of the 500
   * coderd answers for a name its catalogue accepts but its key generation
   * does not.
   */
  recordScopes(listed: string[], scope: string | undefined): string[] | string;
  /**
   * A start build on a dormant workspace clears its dormancy in the same
   * transaction (coder#20925, in v2.30.0); before, the workspace started and
   * stayed dormant.
   */
  startWakesDormant: boolean;
}

/** Both fields together, as asked; `all` when neither is given. */
function scopesAsAsked(listed: string[], scope: string | undefined): string[] {
  const out = [...listed];
  if (scope && !out.includes(scope)) out.push(scope);
  return out.length > 0 ? out : ['all'];
}

/**
 * coderd/apikey of v2.30.0: a `scopes` list wins over `scope`; the legacy
 * names given as `scope` are stored as their `coder:` forms, and `coder:all`
 * when neither is given. In the list they pass the catalogue check but are no
 * database scope, so key generation fails.
 */
function scopesAsV2_30Records(listed: string[], scope: string | undefined): string[] | string {
  if (listed.length > 0) {
    const legacy = listed.find((s) => LEGACY_SCOPES.has(s));
    return legacy === undefined ? listed : `generate API key: invalid API key scope: ${JSON.stringify(legacy)}`;
  }
  if (!scope) return ['coder:all'];
  return [LEGACY_SCOPES.has(scope) ? `coder:${scope}` : scope];
}

// Recent servers validate scope names against their catalogue; the
// simulator accepts anything shaped like one.
const SCOPE_SHAPE = /^(all|application_connect|[a-z0-9_]+:[a-z0-9_*.]+)$/;

/** What v2.27.0 was seen to accept in `scopes`: these two low-level scopes and the coder:* composites. */
const V2_27_LOW_LEVEL = new Set(['workspace:read', 'workspace:update']);
const V2_27_COMPOSITE = /^coder:[a-z_.]+$/;
const LEGACY_SCOPES = new Set(['all', 'application_connect']);

/**
 * What v2.30.0 accepts in `scopes` or `scope`: its catalogue of external
 * scopes (coderd/rbac/scopes_catalog.go of the tag, including its literal
 * `user.*`) and the special ones. No `workspace_dormant:*`.
 */
const V2_30_SCOPES = new Set([
  'all',
  'coder:all',
  'application_connect',
  'coder:application_connect',
  ...['read', 'create', 'update', 'delete', 'ssh', 'start', 'stop', 'application_connect', '*'].map((a) => `workspace:${a}`),
  ...['read', 'create', 'update', 'delete', 'use', '*'].map((a) => `template:${a}`),
  ...['read', 'create', 'update', 'delete', '*'].map((a) => `api_key:${a}`),
  ...['read', 'create', '*'].map((a) => `file:${a}`),
  'user:read_personal',
  'user:update_personal',
  'user.*',
  ...['read', 'create', 'update', 'delete', '*'].map((a) => `user_secret:${a}`),
  ...['create', 'read', 'update', 'delete', '*'].map((a) => `task:${a}`),
  ...['read', 'update', 'delete', '*'].map((a) => `organization:${a}`),
  ...['workspaces.create', 'workspaces.operate', 'workspaces.delete', 'workspaces.access'].map((c) => `coder:${c}`),
  ...['templates.build', 'templates.author', 'apikeys.manage_self'].map((c) => `coder:${c}`),
]);

export const VERSION_PROFILES: Record<string, VersionProfile> = {
  latest: {
    name: 'latest',
    buildVersion: 'v2.36.1+c9a1e2b',
    refuseScope: (scope) => (SCOPE_SHAPE.test(scope) ? undefined : `invalid API key scope: ${JSON.stringify(scope)}`),
    narrowTokensHideWorkspaces: false,
    unknownOwnerCreateStatus: 404,
    ttlFollowsTemplateWhenLocked: true,
    apiKeyScopes: 'list',
    recordScopes: scopesAsAsked,
    startWakesDormant: true,
  },
  '2.30.0': {
    name: '2.30.0',
    buildVersion: 'v2.30.0',
    refuseScope: (scope) => (V2_30_SCOPES.has(scope) ? undefined : `invalid or unsupported API key scope: ${JSON.stringify(scope)}`),
    narrowTokensHideWorkspaces: true,
    // coderd/httpmw/userparam.go is unchanged since v2.24.0.
    unknownOwnerCreateStatus: 400,
    ttlFollowsTemplateWhenLocked: false,
    apiKeyScopes: 'list',
    recordScopes: scopesAsV2_30Records,
    startWakesDormant: true,
  },
  '2.27.0': {
    name: '2.27.0',
    // Built from the module source with the release tag and no VCS data: no +revision.
    buildVersion: 'v2.27.0',
    refuseScope: (scope, field) => {
      const ok = field === 'scope' ? LEGACY_SCOPES.has(scope) : V2_27_LOW_LEVEL.has(scope) || V2_27_COMPOSITE.test(scope);
      return ok ? undefined : `invalid or unsupported API key scope: ${JSON.stringify(scope)}`;
    },
    narrowTokensHideWorkspaces: true,
    unknownOwnerCreateStatus: 400,
    ttlFollowsTemplateWhenLocked: false,
    apiKeyScopes: 'list',
    recordScopes: scopesAsAsked,
    startWakesDormant: false,
  },
  '2.24.0': {
    name: '2.24.0',
    buildVersion: 'v2.24.0',
    // `scopes` is not a field it knows (ignored); `scope` must be one of its two values.
    refuseScope: (scope, field) =>
      field === 'scopes' || LEGACY_SCOPES.has(scope) ? undefined : `invalid API key scope: ${JSON.stringify(scope)}`,
    narrowTokensHideWorkspaces: false,
    // The same "user" parameter check as v2.27.0 (coderd/httpmw/userparam.go of that tag).
    unknownOwnerCreateStatus: 400,
    ttlFollowsTemplateWhenLocked: false,
    apiKeyScopes: 'single',
    recordScopes: scopesAsAsked,
    startWakesDormant: false,
  },
};

export const DEFAULT_CODER_VERSION = 'latest';

/** The profile for a knob value; a leading `v` is allowed. Throws naming the known values. */
export function versionProfile(name: string | undefined): VersionProfile {
  const key = (name ?? DEFAULT_CODER_VERSION).replace(/^v(?=\d)/, '');
  const profile = VERSION_PROFILES[key];
  if (!profile) {
    throw new RangeError(`unknown coderVersion ${JSON.stringify(name)}; known: ${Object.keys(VERSION_PROFILES).join(', ')}`);
  }
  return profile;
}

/** A token that may do everything its user may: the `all` scope or the coder:all composite. */
export function isFullAccess(key: SimApiKey | undefined): boolean {
  if (!key) return true;
  return key.scopes.includes('all') || key.scopes.includes('coder:all');
}

// The profile travels with the state (every handler and converter has it)
// without SimState itself knowing about versions.
const PROFILES = new WeakMap<SimState, VersionProfile>();

export function bindProfile(state: SimState, profile: VersionProfile): void {
  PROFILES.set(state, profile);
}

export function profileOf(state: SimState): VersionProfile {
  return PROFILES.get(state) ?? VERSION_PROFILES[DEFAULT_CODER_VERSION]!;
}
