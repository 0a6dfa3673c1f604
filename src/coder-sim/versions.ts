// Which Coder the simulator plays. `latest` follows the recent server our
// API notes describe (docs/coder-api.md); `2.30.0`, `2.27.0` and `2.24.0`
// reproduce each difference a real coderd of that version showed
// (docs/compatibility.md). A handler asks the profile instead of testing
// version strings, so adding a version is one entry here.
import type { SimApiKey } from './model.ts';
import { type ScopeRules, scopesAsAsked, V2_24_SCOPE_RULES, V2_27_SCOPE_RULES, V2_30_SCOPE_RULES } from './scope-catalogues.ts';

export interface VersionProfile {
  /** The knob's value: `latest` or a release such as `2.27.0`. */
  name: string;
  /** GET /buildinfo `version` and the X-Coder-Build-Version header. */
  buildVersion: string;
  /** Why a requested token scope is refused (400), or undefined when it is accepted. */
  refuseScope: ScopeRules['refuseScope'];
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
  /** What a token request records as the key's scopes (or the detail of a 500); `listed` is empty where apiKeyScopes is `single`. */
  recordScopes: ScopeRules['recordScopes'];
  /**
   * A start build on a dormant workspace: v2.30.0 clears the dormancy in the
   * same transaction (coder#20925) and builds; v2.27.0 refuses it with 403,
   * even to a site Owner.
   */
  startOnDormant: 'wakes' | 'forbidden';
  /**
   * A build sent without template_version_preset_id gets the version's preset
   * whose values its parameters match (wsbuilder: FindMatchingPresetID, from v2.27.0).
   */
  presetFromParameters: boolean;
}

// Recent servers validate scope names against their catalogue; the
// simulator accepts anything shaped like one.
const SCOPE_SHAPE = /^(all|application_connect|[a-z0-9_]+:[a-z0-9_*.]+)$/;

const PROFILES_BY_NAME = {
  latest: {
    name: 'latest',
    buildVersion: 'v2.36.1+c9a1e2b',
    refuseScope: (scope) => (SCOPE_SHAPE.test(scope) ? undefined : `invalid API key scope: ${JSON.stringify(scope)}`),
    narrowTokensHideWorkspaces: false,
    unknownOwnerCreateStatus: 404,
    ttlFollowsTemplateWhenLocked: true,
    apiKeyScopes: 'list',
    recordScopes: scopesAsAsked,
    startOnDormant: 'wakes',
    presetFromParameters: true,
  },
  '2.30.0': {
    name: '2.30.0',
    buildVersion: 'v2.30.0',
    ...V2_30_SCOPE_RULES,
    narrowTokensHideWorkspaces: true,
    // coderd/httpmw/userparam.go is unchanged since v2.24.0.
    unknownOwnerCreateStatus: 400,
    ttlFollowsTemplateWhenLocked: false,
    apiKeyScopes: 'list',
    startOnDormant: 'wakes',
    presetFromParameters: true,
  },
  '2.27.0': {
    name: '2.27.0',
    // Built from the module source with the release tag and no VCS data: no +revision.
    buildVersion: 'v2.27.0',
    ...V2_27_SCOPE_RULES,
    narrowTokensHideWorkspaces: true,
    unknownOwnerCreateStatus: 400,
    ttlFollowsTemplateWhenLocked: false,
    apiKeyScopes: 'list',
    startOnDormant: 'forbidden',
    presetFromParameters: true,
  },
  '2.24.0': {
    name: '2.24.0',
    buildVersion: 'v2.24.0',
    // `scopes` is not a field it knows (ignored); `scope` must be one of its two values.
    ...V2_24_SCOPE_RULES,
    narrowTokensHideWorkspaces: false,
    // The same "user" parameter check as v2.27.0 (coderd/httpmw/userparam.go of that tag).
    unknownOwnerCreateStatus: 400,
    ttlFollowsTemplateWhenLocked: false,
    apiKeyScopes: 'single',
    // Its build authorization is v2.27.0's (update on the dormant workspace object).
    startOnDormant: 'forbidden',
    presetFromParameters: false,
  },
} satisfies Record<string, VersionProfile>;

/** The versions the simulator plays: a feature module's facts name every one (perVersion). */
type SimVersionName = keyof typeof PROFILES_BY_NAME;

export const VERSION_PROFILES: Readonly<Record<string, VersionProfile>> = PROFILES_BY_NAME;

/**
 * A feature module's facts per version (feature.ts), read from a profile.
 * The record names every version played, so adding a version without saying
 * what each feature does there does not compile.
 */
export function perVersion<T>(facts: Readonly<Record<SimVersionName, T>>): (profile: VersionProfile) => T {
  return (profile) => {
    const fact = (facts as Readonly<Record<string, T>>)[profile.name];
    if (fact === undefined) throw new RangeError(`no facts for Coder version ${profile.name}`);
    return fact;
  };
}

const DEFAULT_CODER_VERSION = 'latest';

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
// without SimState itself knowing about versions. Keyed by the SimState object,
// typed as any object: state.ts asks profileOf for its profile, so naming
// SimState here made an import cycle.
const PROFILES = new WeakMap<object, VersionProfile>();

export function bindProfile(state: object, profile: VersionProfile): void {
  PROFILES.set(state, profile);
}

export function profileOf(state: object): VersionProfile {
  return PROFILES.get(state) ?? VERSION_PROFILES[DEFAULT_CODER_VERSION]!;
}
