// How coderd checks and records the scopes of a token request
// (coderd/apikey.go, coderd/apikey/apikey.go, coderd/rbac/scopes_catalog.go),
// per release, for the version profiles in versions.ts. Each rule here was seen
// on the real server by test/coderd/sim-parity.test.ts.

/** The two names of the older single-scope field. */
const LEGACY_SCOPES = new Set(['all', 'application_connect']);

const SPECIAL_SCOPES = ['all', 'coder:all', 'application_connect', 'coder:application_connect'];

const actions = (resource: string, names: string[]) => names.map((a) => `${resource}:${a}`);

/** The external scopes v2.27.0's catalogue lets a token ask for. No `workspace_dormant:*`. */
const V2_27_CATALOGUE = [
  ...actions('workspace', ['read', 'create', 'update', 'delete', 'ssh', 'start', 'stop', 'application_connect', '*']),
  ...actions('template', ['read', 'create', 'update', 'delete', 'use', '*']),
  ...actions('api_key', ['read', 'create', 'update', 'delete', '*']),
  ...actions('file', ['read', 'create', '*']),
  'user:read_personal',
  'user:update_personal',
  ...actions('user_secret', ['read', 'create', 'update', 'delete', '*']),
  ...actions('coder', ['workspaces.create', 'workspaces.operate', 'workspaces.delete', 'workspaces.access']),
  ...actions('coder', ['templates.build', 'templates.author', 'apikeys.manage_self']),
];

/** v2.30.0 adds tasks, organizations and a literal `user.*`. */
const V2_30_CATALOGUE = [
  ...V2_27_CATALOGUE,
  ...actions('task', ['create', 'read', 'update', 'delete', '*']),
  ...actions('organization', ['read', 'update', 'delete', '*']),
  'user.*',
];

export interface ScopeRules {
  /** Why a requested scope is refused (400), or undefined when the catalogue has it. */
  refuseScope(scope: string, field: 'scopes' | 'scope'): string | undefined;
  /**
   * The scopes a request that passed refuseScope records: `listed` is its
   * `scopes` list, `scope` its single field. A string instead is the detail of
   * the 500 coderd answers for a name its catalogue has but its database
   * does not.
   */
  recordScopes(listed: string[], scope: string | undefined): string[] | string;
}

/**
 * A catalogue release (v2.27.0, v2.30.0): a `scopes` list wins over `scope`;
 * `all` and `application_connect` given as `scope` are stored as their
 * `coder:` forms, and a request with neither gets `coder:all`. Names the
 * catalogue has but the database scope type lacks (the legacy names inside the
 * list, and per release some wildcards) fail key generation.
 */
function catalogueRules(catalogue: string[], notInDatabase: string[]): ScopeRules {
  const accepted = new Set([...SPECIAL_SCOPES, ...catalogue]);
  const unstorable = new Set([...LEGACY_SCOPES, ...notInDatabase]);
  return {
    refuseScope: (scope) => (accepted.has(scope) ? undefined : `invalid or unsupported API key scope: ${JSON.stringify(scope)}`),
    recordScopes: (listed, scope) => {
      const chosen = listed.length > 0 ? listed : scope ? [LEGACY_SCOPES.has(scope) ? `coder:${scope}` : scope] : ['coder:all'];
      const bad = chosen.find((s) => unstorable.has(s));
      return bad === undefined ? chosen : `generate API key: invalid API key scope: ${JSON.stringify(bad)}`;
    },
  };
}

export const V2_27_SCOPE_RULES = catalogueRules(V2_27_CATALOGUE, ['workspace:*', 'template:*', 'api_key:*', 'file:*', 'user_secret:*']);

export const V2_30_SCOPE_RULES = catalogueRules(V2_30_CATALOGUE, ['user.*']);

/**
 * v2.24.0 knows only `scope` (a `scopes` list is not a field it reads) and
 * checks it only when generating the key: a name other than its two is a 500
 * (coderd/apikey/apikey.go of the tag); none gives `all`.
 */
export const V2_24_SCOPE_RULES: ScopeRules = {
  refuseScope: () => undefined,
  recordScopes: (_listed, scope) => {
    if (!scope) return ['all'];
    return LEGACY_SCOPES.has(scope) ? [scope] : `generate API key: invalid API key scope: ${JSON.stringify(scope)}`;
  },
};

/** Recorded as asked (a list wins over the single field); `all` when neither is given. */
export function scopesAsAsked(listed: string[], scope: string | undefined): string[] {
  if (listed.length > 0) return listed;
  return [scope ?? 'all'];
}
