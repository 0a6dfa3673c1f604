// The simulator's in-memory records. They hold what the Coder database holds
// (ids, timestamps in ms, nullable columns as null); convert.ts turns them into
// the codersdk wire shapes. Times are epoch milliseconds from the injected clock.
import type { AutomaticUpdates, ProvisionerJobStatus, WorkspaceTransition } from '../coder/types.ts';

/** Site-wide roles the simulator knows (coderd/rbac/roles.go). */
export type SiteRole = 'owner' | 'template-admin';
/** Organization roles the simulator knows. `member` includes organization-workspace-access. */
export type OrgRole = 'admin' | 'member';

export interface SimUser {
  id: string;
  username: string;
  email: string;
  name: string;
  status: 'active' | 'dormant' | 'suspended';
  siteRoles: SiteRole[];
  /** Organization id → role. Membership in an org is having an entry here. */
  orgRoles: Map<string, OrgRole>;
  createdAt: number;
  deleted: boolean;
}

/** A Coder group (a Premium feature: served only when SimState.premium is on). */
export interface SimGroup {
  id: string;
  name: string;
  orgId: string;
  displayName: string;
  memberIds: Set<string>;
}

export interface SimOrganization {
  id: string;
  name: string;
  displayName: string;
  isDefault: boolean;
  createdAt: number;
}

interface SimParameter {
  name: string;
  required: boolean;
  /** Immutable parameters cannot change after the first build. */
  mutable: boolean;
  /** Ephemeral values last one build; the next falls back to the default. */
  ephemeral: boolean;
  defaultValue: string;
  /** codersdk's parameter types: string, number, bool, list(string). */
  type: string;
  /** The values a user may pick; empty: any. */
  options: { name: string; value: string }[];
}

export interface SimTemplate {
  id: string;
  orgId: string;
  name: string;
  displayName: string;
  defaultTtlMs: number;
  allowUserAutostart: boolean;
  allowUserAutostop: boolean;
  activeVersionId: string;
  requireActiveVersion: boolean;
  /** Deprecation is a Premium feature; the simulator honours it when set. */
  deprecated: boolean;
  deleted: boolean;
  useClassicParameterFlow: boolean;
  /** Premium time_til_dormant_autodelete; 0 leaves deleting_at null. */
  timeTilDormantAutodeleteMs: number;
  createdAt: number;
  updatedAt: number;
}

export interface SimTemplateVersion {
  id: string;
  templateId: string;
  orgId: string;
  name: string;
  archived: boolean;
  /** Status of the version's import job. */
  jobStatus: ProvisionerJobStatus;
  parameters: SimParameter[];
  createdAt: number;
  /** Start and stop builds on this version fail, as a template whose apply errors does. */
  failBuilds: boolean;
  /** The version's presets (coder_workspace_preset in its terraform), in the order the template lists them. */
  presets: SimPreset[];
}

export interface SimPreset {
  id: string;
  name: string;
  isDefault: boolean;
  /** Values that override the build's own for these parameters. */
  parameters: { name: string; value: string }[];
}

export interface SimBuild {
  id: string;
  jobId: string;
  workspaceId: string;
  number: number;
  transition: WorkspaceTransition;
  templateVersionId: string;
  initiatorId: string;
  reason: 'initiator' | 'autostart' | 'autostop' | 'dormancy';
  /** The parameter values the build ran with (codersdk.WorkspaceBuildParameter). */
  parameters: { name: string; value: string }[];
  /** template_version_preset_id: the preset the build used, null for none. */
  presetId: string | null;
  createdAt: number;
  /** How long the job stays pending + running; 0 means it is done at once. */
  durationMs: number;
  /** Set when the build completed; the ttl decides it at completion time. */
  ttlAtCreateMs: number | null;
  /** Overrides the clock-derived deadline (ttl turned off on a start build). */
  deadlineCleared: boolean;
  outcome: 'succeeded' | 'failed';
}

export interface SimWorkspace {
  id: string;
  ownerId: string;
  orgId: string;
  templateId: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  lastUsedAt: number;
  /** health.healthy: false while an agent is unhealthy (set by tests); true without agents. */
  healthy: boolean;
  autostartSchedule: string | null;
  nextStartAt: number | null;
  ttlMs: number | null;
  dormantAt: number | null;
  deletingAt: number | null;
  automaticUpdates: AutomaticUpdates;
  /** Only the owner can set it and only the owner ever sees it. */
  favorite: boolean;
  /** Oldest first; the last one is latest_build. */
  builds: SimBuild[];
}

export interface SimApiKey {
  /** The 10-character id, the part before the dash. */
  id: string;
  secret: string;
  userId: string;
  loginType: 'password' | 'token';
  tokenName: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number;
  lifetimeSeconds: number;
  lastUsed: number;
}
