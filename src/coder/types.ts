// Wire types for the slice of the Coder REST API v2 this project uses.
// Field names follow Coder's swagger.json (codersdk.*); only the
// fields we read or write are listed. The contract tests check the simulator's
// responses against the swagger definitions, so these stay honest.

export type AutomaticUpdates = 'always' | 'never';

export type WorkspaceStatus =
  | 'pending'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'failed'
  | 'canceling'
  | 'canceled'
  | 'deleting'
  | 'deleted';

export type WorkspaceTransition = 'start' | 'stop' | 'delete';

export type ProvisionerJobStatus = 'pending' | 'running' | 'succeeded' | 'canceling' | 'canceled' | 'failed' | 'unknown';

/** codersdk.ValidationError */
export interface ValidationError {
  field: string;
  detail: string;
}

/** codersdk.Response: the body of every error. */
export interface CoderResponse {
  message: string;
  detail?: string;
  validations?: ValidationError[];
}

/** codersdk.ProvisionerJob (subset). */
export interface ProvisionerJob {
  id: string;
  status: ProvisionerJobStatus;
  created_at: string;
  started_at?: string;
  completed_at?: string;
  error?: string;
}

/** codersdk.WorkspaceBuild (subset). */
export interface WorkspaceBuild {
  id: string;
  workspace_id: string;
  workspace_name: string;
  workspace_owner_id: string;
  workspace_owner_name: string;
  build_number: number;
  transition: WorkspaceTransition;
  status: WorkspaceStatus;
  template_version_id: string;
  template_version_name?: string;
  /** Why the build ran: initiator, autostart, autostop, dormancy, dashboard, cli, … */
  reason?: string;
  initiator_id?: string;
  /** The preset the build used; null or absent: none. */
  template_version_preset_id?: string | null;
  job: ProvisionerJob;
  created_at: string;
  updated_at: string;
}

/** codersdk.Workspace (subset). `autostart_schedule` and `ttl_ms` are omitted when null. */
export interface Workspace {
  id: string;
  name: string;
  owner_id: string;
  owner_name: string;
  organization_id: string;
  organization_name: string;
  template_id: string;
  template_name: string;
  template_active_version_id: string;
  /** Every start must use the active version (absent on servers that do not send it). */
  template_require_active_version?: boolean;
  created_at: string;
  updated_at: string;
  last_used_at: string;
  /** Every agent healthy (true for a workspace without agents); failing_agents lists the others. */
  health?: { healthy: boolean; failing_agents?: string[] };
  latest_build: WorkspaceBuild;
  outdated: boolean;
  autostart_schedule?: string;
  ttl_ms?: number;
  next_start_at: string | null;
  dormant_at: string | null;
  deleting_at: string | null;
  automatic_updates: AutomaticUpdates;
  allow_renames: boolean;
  favorite: boolean;
}

/** codersdk.WorkspacesResponse */
export interface WorkspacesResponse {
  workspaces: Workspace[];
  count: number;
}

/** codersdk.WorkspaceBuildParameter */
export interface WorkspaceBuildParameter {
  name: string;
  value: string;
}

/** codersdk.CreateWorkspaceRequest */
export interface CreateWorkspaceRequest {
  name: string;
  template_id?: string;
  template_version_id?: string;
  autostart_schedule?: string;
  ttl_ms?: number;
  rich_parameter_values?: WorkspaceBuildParameter[];
  automatic_updates?: AutomaticUpdates;
  template_version_preset_id?: string;
}

/** codersdk.CreateWorkspaceBuildRequest (subset). */
export interface CreateWorkspaceBuildRequest {
  transition: WorkspaceTransition;
  orphan?: boolean;
  /** Absent: the previous build's version (not the active one). */
  template_version_id?: string;
  /** Written to the workspace; parameters left out keep their last value (ephemeral ones their default). */
  rich_parameter_values?: WorkspaceBuildParameter[];
  template_version_preset_id?: string;
}

/** codersdk.TemplateVersionParameter (subset). */
export interface TemplateVersionParameter {
  name: string;
  mutable: boolean;
  ephemeral: boolean;
  required: boolean;
  default_value: string;
  /** string, number, bool or list(string); absent from servers or fakes that do not say. */
  type?: string;
  /** The values a user may pick; empty or absent: any value of the type. */
  options?: { name: string; value: string }[];
}

/** codersdk.User (subset). */
export interface User {
  id: string;
  username: string;
  email: string;
  created_at: string;
  status: 'active' | 'dormant' | 'suspended';
  roles: { name: string; organization_id?: string; display_name?: string }[];
  organization_ids: string[];
}

/** codersdk.GetUsersResponse: one page of GET /users. */
export interface UsersResponse {
  users: User[];
  count: number;
}

/** codersdk.ReducedUser (subset): a group's member. */
interface ReducedUser {
  id: string;
  username: string;
  status?: 'active' | 'dormant' | 'suspended';
}

/** codersdk.Group (subset). */
export interface Group {
  id: string;
  name: string;
  organization_id: string;
  /** Every member on v2.24 to v2.30 (null when none, a nil Go slice). */
  members: ReducedUser[] | null;
  /** Counted even where the token may not read the members: more than members.length means some are hidden. */
  total_member_count: number;
}

/** codersdk.Organization (subset). */
export interface Organization {
  id: string;
  name: string;
  display_name: string;
  is_default: boolean;
  created_at: string;
  updated_at: string;
}

/** codersdk.Template (subset). */
export interface Template {
  id: string;
  name: string;
  organization_id: string;
  organization_name: string;
  active_version_id: string;
  default_ttl_ms: number;
  allow_user_autostart: boolean;
  allow_user_autostop: boolean;
  require_active_version: boolean;
  deprecated: boolean;
  created_at: string;
  updated_at: string;
}

/** codersdk.TemplateVersion (subset). */
export interface TemplateVersion {
  id: string;
  name: string;
  template_id?: string;
  organization_id?: string;
  archived: boolean;
  job: ProvisionerJob;
  created_at: string;
  updated_at: string;
}

/** codersdk.CreateTokenRequest: lifetime is a Go duration in nanoseconds. */
export interface CreateTokenRequest {
  token_name: string;
  lifetime: number;
  scopes?: string[];
  /** The older single scope (`all`, `application_connect`); some servers take only this one. */
  scope?: string;
}

/** codersdk.APIKey (subset): one entry of GET /users/{user}/keys/tokens. Never carries the secret. */
export interface APIKey {
  id: string;
  token_name: string;
  user_id: string;
  expires_at: string;
  created_at: string;
  scopes?: string[];
  /** Older servers report a single scope instead of (or beside) `scopes`. */
  scope?: string;
}

/** codersdk.GenerateAPIKeyResponse */
export interface GenerateAPIKeyResponse {
  key: string;
}

/** codersdk.TokenConfig: max_token_lifetime is in nanoseconds. */
export interface TokenConfig {
  max_token_lifetime: number;
}

/** codersdk.BuildInfoResponse (subset). */
export interface BuildInfo {
  version: string;
  external_url: string;
  dashboard_url: string;
  deployment_id: string;
}
