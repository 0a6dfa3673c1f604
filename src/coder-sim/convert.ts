// Records → codersdk wire shapes (coderd/workspaces.go convertWorkspace and
// friends). The shape rules of docs/coder-api.md (Reading workspaces) live here: nullable pointers
// with omitempty are left out, nullable times are explicit null, favorite is
// only ever true for the owner, ttl_ms follows the template when users may not
// set autostop.
import type { ProvisionerJob, Workspace, WorkspaceBuild } from '../coder/types.ts';
import { buildDeadline, jobCompletedAt, jobStartedAt, jobStatusAt, latestBuild, workspaceStatusAt } from './lifecycle.ts';
import type { SimApiKey, SimBuild, SimOrganization, SimTemplate, SimTemplateVersion, SimUser, SimWorkspace } from './model.ts';
import type { SimState } from './state.ts';
import { SIM_FEATURES } from './features.ts';
import { profileOf } from './versions.ts';

/** The build version of the default (`latest`) profile; see versions.ts. */
const SIM_VERSION = 'v2.36.1+c9a1e2b';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function convertWorkspace(state: SimState, ws: SimWorkspace, requester: SimUser): Workspace {
  const owner = state.mustUser(ws.ownerId);
  const org = state.mustOrg(ws.orgId);
  const template = state.mustTemplate(ws.templateId);
  const build = convertBuild(state, ws, latestBuild(ws));
  const out: Workspace & Record<string, unknown> = {
    id: ws.id,
    created_at: iso(ws.createdAt),
    updated_at: iso(ws.updatedAt),
    owner_id: owner.id,
    owner_name: owner.username,
    owner_avatar_url: '',
    organization_id: org.id,
    organization_name: org.name,
    template_id: template.id,
    template_name: template.name,
    template_display_name: template.displayName,
    template_icon: '',
    template_allow_user_cancel_workspace_jobs: false,
    template_active_version_id: template.activeVersionId,
    template_require_active_version: template.requireActiveVersion,
    template_use_classic_parameter_flow: template.useClassicParameterFlow,
    latest_build: build,
    outdated: build.template_version_id !== template.activeVersionId,
    name: ws.name,
    last_used_at: iso(ws.lastUsedAt),
    deleting_at: isoOrNull(ws.deletingAt),
    dormant_at: isoOrNull(ws.dormantAt),
    health: { healthy: ws.healthy, failing_agents: [] },
    automatic_updates: ws.automaticUpdates,
    allow_renames: state.allowRenames,
    favorite: ws.favorite && requester.id === ws.ownerId,
    next_start_at: isoOrNull(ws.nextStartAt),
    is_prebuild: false,
  };
  if (ws.autostartSchedule !== null) out.autostart_schedule = ws.autostartSchedule;
  // What the features the simulator plays add to the workspace object (features.ts).
  for (const feature of SIM_FEATURES) feature.decorateWorkspace?.(state, ws, requester, out);
  // When users may not set autostop, recent servers show the template's default (0 stays 0);
  // v2.27.0 shows only the workspace's own TTL.
  const ttl = template.allowUserAutostop || !profileOf(state).ttlFollowsTemplateWhenLocked ? ws.ttlMs : template.defaultTtlMs;
  if (ttl !== null) out.ttl_ms = ttl;
  return out;
}

export function convertBuild(state: SimState, ws: SimWorkspace, build: SimBuild): WorkspaceBuild {
  const now = state.now();
  const owner = state.mustUser(ws.ownerId);
  const initiator = state.users.get(build.initiatorId);
  const version = state.versions.get(build.templateVersionId);
  const template = state.mustTemplate(ws.templateId);
  const status = jobStatusAt(build, now);
  const updatedAt = status === 'pending' ? build.createdAt : status === 'running' ? jobStartedAt(build) : jobCompletedAt(build);
  const deadline = buildDeadline(build, now);
  const out: WorkspaceBuild & Record<string, unknown> = {
    id: build.id,
    created_at: iso(build.createdAt),
    updated_at: iso(updatedAt),
    workspace_id: ws.id,
    workspace_name: ws.name,
    workspace_owner_id: owner.id,
    workspace_owner_name: owner.username,
    workspace_owner_avatar_url: '',
    template_version_id: build.templateVersionId,
    template_version_name: version?.name ?? '',
    build_number: build.number,
    transition: build.transition,
    initiator_id: build.initiatorId,
    initiator_name: initiator?.username ?? '',
    job: convertBuildJob(build, ws, template, now),
    reason: build.reason,
    resources: [],
    deadline: isoOrNull(deadline),
    max_deadline: null,
    status: workspaceStatusAt(build, now),
    daily_cost: 0,
    template_version_preset_id: build.presetId,
  };
  return out;
}

function convertBuildJob(build: SimBuild, ws: SimWorkspace, template: SimTemplate, now: number): ProvisionerJob {
  const status = jobStatusAt(build, now);
  const job: ProvisionerJob & Record<string, unknown> = {
    id: build.jobId,
    created_at: iso(build.createdAt),
    status,
    tags: { scope: 'organization', owner: '' },
    queue_position: 0,
    queue_size: 0,
    organization_id: ws.orgId,
    initiator_id: build.initiatorId,
    input: { workspace_build_id: build.id },
    type: 'workspace_build',
    metadata: {
      template_id: template.id,
      template_name: template.name,
      template_display_name: template.displayName,
      template_icon: '',
      workspace_id: ws.id,
      workspace_name: ws.name,
      workspace_build_transition: build.transition,
    },
    logs_overflowed: false,
  };
  if (status !== 'pending') job.started_at = iso(jobStartedAt(build));
  if (status === 'succeeded' || status === 'failed') job.completed_at = iso(jobCompletedAt(build));
  if (status === 'failed') job.error = 'simulated build failure';
  return job;
}

export function convertUser(user: SimUser, state: SimState): Record<string, unknown> {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    name: user.name,
    created_at: iso(user.createdAt),
    updated_at: iso(user.createdAt),
    last_seen_at: iso(state.now()),
    status: user.status,
    login_type: 'password',
    theme_preference: '',
    organization_ids: [...user.orgRoles.keys()],
    // codersdk.User lists site-wide roles only; org roles live on the member object.
    roles: user.siteRoles.map((r) => ({ name: r, display_name: r === 'owner' ? 'Owner' : 'Template Admin' })),
  };
}

export function convertOrganization(org: SimOrganization): Record<string, unknown> {
  return {
    id: org.id,
    name: org.name,
    display_name: org.displayName,
    description: '',
    icon: '',
    created_at: iso(org.createdAt),
    updated_at: iso(org.createdAt),
    is_default: org.isDefault,
  };
}

export function convertTemplate(template: SimTemplate, org: SimOrganization): Record<string, unknown> {
  return {
    id: template.id,
    created_at: iso(template.createdAt),
    updated_at: iso(template.updatedAt),
    organization_id: org.id,
    organization_name: org.name,
    organization_display_name: org.displayName,
    organization_icon: '',
    name: template.name,
    display_name: template.displayName,
    provisioner: 'terraform',
    active_version_id: template.activeVersionId,
    active_user_count: 0,
    description: '',
    deprecated: template.deprecated,
    deprecation_message: template.deprecated ? 'deprecated in the simulator seed' : '',
    icon: '',
    default_ttl_ms: template.defaultTtlMs,
    activity_bump_ms: 3_600_000,
    allow_user_autostart: template.allowUserAutostart,
    allow_user_autostop: template.allowUserAutostop,
    allow_user_cancel_workspace_jobs: false,
    failure_ttl_ms: 0,
    time_til_dormant_ms: 0,
    time_til_dormant_autodelete_ms: template.timeTilDormantAutodeleteMs,
    require_active_version: template.requireActiveVersion,
    use_classic_parameter_flow: template.useClassicParameterFlow,
    max_port_share_level: 'owner',
  };
}

export function convertTemplateVersion(version: SimTemplateVersion): Record<string, unknown> {
  const done = version.jobStatus !== 'pending' && version.jobStatus !== 'running';
  const job: Record<string, unknown> = {
    id: version.id,
    created_at: iso(version.createdAt),
    status: version.jobStatus,
    type: 'template_version_import',
    organization_id: version.orgId,
    queue_position: 0,
    queue_size: 0,
    tags: { scope: 'organization', owner: '' },
    logs_overflowed: false,
  };
  if (version.jobStatus !== 'pending') job.started_at = iso(version.createdAt);
  if (done) job.completed_at = iso(version.createdAt);
  return {
    id: version.id,
    template_id: version.templateId,
    organization_id: version.orgId,
    created_at: iso(version.createdAt),
    updated_at: iso(version.createdAt),
    name: version.name,
    message: '',
    readme: '',
    archived: version.archived,
    warnings: [],
    job,
  };
}

export function convertApiKey(key: SimApiKey, username: string, scopes: 'list' | 'single' = 'list'): Record<string, unknown> {
  return {
    id: key.id,
    user_id: key.userId,
    username,
    last_used: iso(key.lastUsed),
    expires_at: iso(key.expiresAt),
    created_at: iso(key.createdAt),
    updated_at: iso(key.createdAt),
    login_type: key.loginType,
    ...(scopes === 'list' ? { scopes: key.scopes } : { scope: key.scopes[0] ?? 'all' }),
    token_name: key.tokenName,
    lifetime_seconds: key.lifetimeSeconds,
  };
}

export function buildInfo(url: string, deploymentId: string, version: string = SIM_VERSION): Record<string, unknown> {
  return {
    external_url: url,
    version,
    dashboard_url: url,
    telemetry: false,
    workspace_proxy: false,
    agent_api_version: '2.0',
    provisioner_api_version: '1.0',
    upgrade_message: '',
    deployment_id: deploymentId,
  };
}
