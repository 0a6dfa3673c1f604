import type {
  APIKey,
  AutomaticUpdates,
  BuildInfo,
  CreateTokenRequest,
  CreateWorkspaceBuildRequest,
  CreateWorkspaceRequest,
  GenerateAPIKeyResponse,
  Group,
  Organization,
  Template,
  TemplateVersion,
  TemplateVersionParameter,
  TokenConfig,
  User,
  Workspace,
  WorkspaceBuild,
  WorkspaceBuildParameter,
} from './types.ts';
import type { CallBody, CoderCall, RouteParams } from './call.ts';

/**
 * Everything the engine asks of a Coder deployment, one method per endpoint.
 * The HTTP client in ./client.ts implements it; unit tests use fakes.
 * Methods throw CoderApiError for an HTTP error and CoderNetworkError when no
 * answer came.
 */
export interface CoderApi {
  /** GET /api/v2/buildinfo */
  buildInfo(): Promise<BuildInfo>;
  /** GET /api/v2/users/{user}: `me`, a UUID or a username. */
  getUser(user: string): Promise<User>;
  /** GET /api/v2/organizations/{organization}: a UUID, a name or `default`. */
  getOrganization(org: string): Promise<Organization>;
  /** GET /api/v2/organizations/{organization}/templates/{templatename} */
  getTemplateByName(organizationId: string, name: string): Promise<Template>;
  /** GET /api/v2/templateversions/{templateversion} */
  getTemplateVersion(id: string): Promise<TemplateVersion>;
  /** GET /api/v2/templates/{template}/versions/{templateversionname}: one version (the swagger says an array; coderd sends one object). */
  getTemplateVersionByName(templateId: string, name: string): Promise<TemplateVersion>;
  /** GET /api/v2/templateversions/{templateversion}/rich-parameters: mutable, ephemeral, required. */
  getTemplateVersionParameters(versionId: string): Promise<TemplateVersionParameter[]>;
  /** GET /api/v2/organizations/{organization}/groups/{groupName} */
  getGroupByName(organizationId: string, name: string): Promise<Group>;
  /** GET /api/v2/workspacebuilds/{workspacebuild}/parameters: the values a build ran with. */
  getBuildParameters(buildId: string): Promise<WorkspaceBuildParameter[]>;

  /**
   * GET /api/v2/workspaces, following pages of `pageSize` (default: the
   * client's list page size) until `count` is reached. Throws
   * CoderIncompleteListError when the first page comes back empty although
   * its own count is not 0 (a token that may count but not read them).
   */
  listWorkspaces(opts?: { q?: string; pageSize?: number }): Promise<Workspace[]>;
  /**
   * The same pages, handed over one at a time, so a caller that keeps only a
   * projection of each workspace never holds every raw object at once. A
   * workspace that moves across a page boundary can come twice; the later
   * copy is the newer one.
   */
  forEachWorkspacePage(opts: { q?: string; pageSize?: number } | undefined, onPage: (workspaces: Workspace[]) => void): Promise<void>;
  /** GET /api/v2/workspaces/{workspace}; 410 when deleted unless includeDeleted. */
  getWorkspace(id: string, opts?: { includeDeleted?: boolean }): Promise<Workspace>;
  /** GET /api/v2/users/{user}/workspace/{workspacename}; undefined on 404. */
  findWorkspace(owner: string, name: string): Promise<Workspace | undefined>;

  /** POST /api/v2/users/{user}/workspaces (never retried blindly). */
  createWorkspace(owner: string, req: CreateWorkspaceRequest): Promise<Workspace>;
  /** PATCH /api/v2/workspaces/{workspace} */
  renameWorkspace(id: string, name: string): Promise<void>;
  /** PUT /api/v2/workspaces/{workspace}/autostart; null turns autostart off. */
  setAutostart(id: string, schedule: string | null): Promise<void>;
  /** PUT /api/v2/workspaces/{workspace}/ttl; null turns auto-stop off. */
  setTtl(id: string, ttlMs: number | null): Promise<void>;
  /** PUT /api/v2/workspaces/{workspace}/dormant; undefined when the server answers 304. */
  setDormant(id: string, dormant: boolean): Promise<Workspace | undefined>;
  /** PUT or DELETE /api/v2/workspaces/{workspace}/favorite (owner only). */
  setFavorite(id: string, favorite: boolean): Promise<void>;
  /** PUT /api/v2/workspaces/{workspace}/autoupdates */
  setAutomaticUpdates(id: string, value: AutomaticUpdates): Promise<void>;
  /**
   * Any endpoint a managed setting declares as a CoderCall (call.ts), under
   * the same transport as every method here: the setting names the route,
   * the client sends it.
   */
  send<Route extends string, Body, Answer>(
    call: CoderCall<Route, Body, Answer>,
    params: RouteParams<Route>,
    ...body: CallBody<Body>
  ): Promise<Answer>;
  /** POST /api/v2/workspaces/{workspace}/builds */
  createBuild(id: string, req: CreateWorkspaceBuildRequest): Promise<WorkspaceBuild>;
  /** GET /api/v2/workspacebuilds/{workspacebuild} */
  getBuild(buildId: string): Promise<WorkspaceBuild>;

  /** GET /api/v2/users/{user}/keys/tokens/tokenconfig */
  tokenConfig(user: string): Promise<TokenConfig>;
  /** POST /api/v2/users/{user}/keys/tokens */
  createToken(user: string, req: CreateTokenRequest): Promise<GenerateAPIKeyResponse>;
  /** DELETE /api/v2/users/{user}/keys/{keyid} */
  deleteToken(user: string, keyId: string): Promise<void>;
  /** GET /api/v2/users/{user}/keys/tokens: the user's unexpired API tokens (no secrets). */
  listTokens(user: string): Promise<APIKey[]>;
  /** GET /api/v2/users/{user}/keys/{keyid}: one token's record, e.g. the scopes Coder granted. */
  getToken(user: string, keyId: string): Promise<APIKey>;

  /** The same client (URL, limits, retries) acting with another token. */
  withToken(token: string): CoderApi;
}
