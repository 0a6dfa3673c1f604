// The engine's vocabulary: what is wanted (Desired), what Coder has
// (Observed), and the single API calls that close the gap (Action).
import type { DeletionPolicy, RolloutStatus, WorkspaceVersionSpec } from '../api/schema.ts';
import type { AutomaticUpdates, WorkspaceBuildParameter } from '../coder/types.ts';

/** Where a declaration came from, for messages that name it. */
export interface SourceRef {
  /** File path, `-` for stdin, or `namespace/name` for a cluster resource. */
  file: string;
  /** Which YAML document of the file, counted from 1. */
  document?: number;
}

/** Autostart as the spec wants it: a Coder schedule string, or off. */
export type DesiredAutostart = { enabled: true; schedule: string } | { enabled: false };

// What the table of managed settings (./settings/) adds to the vocabulary.
// Each entry augments these from its own file
// (`declare module '../types.ts' { interface SettingActions { … } }`), so a
// setting's shapes live with it and the unions below are built from them:
// an entry's action kind without a table entry, or a reason nobody declared,
// does not compile.

/** Per settings action kind, the fields of its action besides `kind`. */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging from the settings' entries
export interface SettingActions {}

/** The spec fields a setting entry adds to DesiredWorkspace (each optional: undefined is not managed). */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging from the settings' entries
export interface DesiredSettings {}

/** What a setting entry adds to ObservedWorkspace (what its own read found). */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging from the settings' entries
export interface ObservedSettings {}

/** Blocked reasons a setting entry owns (the keys; the values are unused). */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging from the settings' entries
export interface SettingBlockedReasons {}

/** Failure reasons a setting entry owns, for a Coder refusal it explains (the keys; the values are unused). */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging from the settings' entries
export interface SettingFailureReasons {}

/**
 * What a build carries for a setting Coder takes only with a build (a
 * template version preset), besides the version and parameters; each such
 * entry adds its fields from its own file.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging from the settings' entries
export interface BuildCarries {}

/** The actions the entries declare, each with its `kind`. */
export type DeclaredSettingAction = { [K in keyof SettingActions]: { kind: K } & SettingActions[K] }[keyof SettingActions];

/**
 * A validated Workspace spec with its defaults applied. A field that is
 * `undefined` is not managed: the engine never reads or writes it.
 */
export interface DesiredWorkspace extends DesiredSettings {
  /** Stable identity of the declaration: `namespace/metadata.name`. */
  key: string;
  source: SourceRef;
  /** Coder username or user UUID, as written. */
  owner: string;
  /** Organization name or UUID, as written; undefined means the default org. */
  organization?: string;
  /** Coder workspace name. */
  name: string;
  template?: string;
  templateVersion?: string;
  parameters: WorkspaceBuildParameter[];
  /** The Coder schedule string we would send (`CRON_TZ=<tz> <cron>`). */
  autostart?: DesiredAutostart;
  /** Whole minutes in ms; 0 means auto-stop off. */
  ttlMs?: number;
  dormant?: boolean;
  favorite?: boolean;
  automaticUpdates?: AutomaticUpdates;
  deletionPolicy: DeletionPolicy;
  /** The Coder workspace this declaration is bound to (status.id / state file). */
  boundId?: string;
  /** spec.running; undefined: not managed. */
  running?: boolean;
  /** spec.version; undefined: the version is not managed after create. */
  version?: WorkspaceVersionSpec;
  /** spec.parameters is set: its values are reconciled after create too. */
  parametersManaged?: boolean;
  /** managementPolicies: [Observe]: read and report, never write to Coder. */
  observeOnly?: boolean;
  /** A digest of the spec: what "the same spec" means for the once-per-spec rules (lifecycle.ts). */
  specDigest?: string;
}

/** The fields of a Coder workspace the engine compares, normalised. */
export interface ObservedWorkspace extends ObservedSettings {
  id: string;
  name: string;
  ownerId: string;
  ownerName: string;
  organizationId: string;
  organizationName: string;
  templateId: string;
  templateName: string;
  /** Raw schedule string as Coder stores it; null when autostart is off. */
  autostartSchedule: string | null;
  /** null when auto-stop is off. */
  ttlMs: number | null;
  dormant: boolean;
  /** Only known when read with the owner's own token; undefined otherwise. */
  favorite?: boolean;
  /** The scopes of the minted owner token the favorite was read with; undefined when none was minted. */
  favoriteVia?: string;
  automaticUpdates: AutomaticUpdates;
  /** Mirrors the deployment's --allow-workspace-renames. */
  allowRenames: boolean;
  latestBuild: {
    number: number;
    transition: string;
    status: string;
    id: string;
    templateVersionId: string;
    templateVersionName?: string;
    /** initiator, autostart, autostop, dormancy, cli, …; Coder's own schedule builds are autostart/autostop/dormancy. */
    reason?: string;
    /** The template version preset the build used (template_version_preset_id); absent: none. */
    presetId?: string;
  };
  /** When the workspace went dormant (dormant_at). */
  dormantAt?: string;
  /** When Coder will delete the dormant workspace (deleting_at). */
  deletingAt?: string;
  /** Coder's last_used_at (an open session, an app or SSH connection moves it); for rollout.onlyWhenIdle. */
  lastUsedAt?: string;
  /** Coder's health.healthy: every agent of the workspace is healthy (true without agents); for canary steps. */
  healthy?: boolean;
  /** The agents health.failing_agents names (at most 64). */
  failingAgents?: string[];
  /** The template's active version, as the workspace object reports it. */
  activeVersionId: string;
  /** Coder's outdated flag: the latest build is not on the active version. */
  outdated: boolean;
  /** The template makes every start use its active version (template_require_active_version). */
  requireActiveVersion?: boolean;
  nextStartAt: string | null;
  createdAt: string;
}

/** What a create call will carry, before owner/template ids are resolved. */
export type CreatePlan = Pick<
  DesiredWorkspace,
  'owner' | 'organization' | 'name' | 'template' | 'templateVersion' | 'parameters' | 'automaticUpdates' | 'version'
> &
  DesiredSettings & {
    /** Only a schedule that is on; "off" is Coder's default at create. */
    autostartSchedule?: string;
    /** Only a non-zero TTL: at create, 0 means the template default. */
    ttlMs?: number;
  };

/** One Coder API call. Ordering across kinds is decided in diff.ts only. */
export type Action =
  | { kind: 'create'; create: CreatePlan; recreate: boolean }
  | DeclaredSettingAction
  | { kind: 'delete'; policy: DeletionPolicy }
  /**
   * A start or stop build (spec.running, spec.version, spec.parameters).
   * versionId absent: the previous build's version; parameters: only those that change.
   */
  | ({
      kind: 'build';
      transition: 'start' | 'stop';
      purpose: BuildPurpose;
      versionId?: string;
      parameters?: WorkspaceBuildParameter[];
    } & BuildCarries);

/**
 * run: spec.running; update: a build that moves a stopped workspace to the
 * wanted version or parameters; restart-stop / restart-start: the two builds
 * of updating a running workspace (as `coder update` does); rollback: a build
 * on the version a failed update started from, in the run state it had.
 */
type BuildPurpose = 'run' | 'update' | 'restart-stop' | 'restart-start' | 'rollback';

export type ActionKind = Action['kind'];

/** A difference the engine will not act on, with the reason a person can act on. */
export interface Blocked {
  field: string;
  reason:
    | 'TemplateMismatch'
    | 'OrganizationMismatch'
    | 'OwnerMismatch'
    | 'ImmutableParameter'
    | 'VersionNotFound'
    | 'ScheduleConflict'
    | 'InvalidRolloutWindow'
    | keyof SettingBlockedReasons;
  message: string;
}

/** The outcome of diff() for one declaration. */
export interface WorkspacePlan {
  key: string;
  desired: DesiredWorkspace;
  observed: ObservedWorkspace | undefined;
  actions: Action[];
  blocked: Blocked[];
  /** Spec fields whose Coder value differs (excluding create): the drift to correct. */
  drift: string[];
  /** Run state, version and parameters: what lifecycle.ts decided, for the status. */
  lifecycle?: LifecycleOutcome;
}

/** The lifecycle part of a plan (lifecycle.ts), reported in status.rollout / scheduleConflict. */
export interface LifecycleOutcome {
  /** Present when spec.version or spec.parameters is managed. */
  rollout?: RolloutStatus;
  /** A wish Coder's own schedule undoes (status.scheduleConflict). */
  conflict?: { message: string; restoredFor?: string };
  /** The wanted version, once known. */
  wanted?: { id: string; name?: string };
  /** This plan's build needs one of the connection's rollout slots. */
  needsSlot: boolean;
  /**
   * An update (version, parameters or preset) is still due: a workspace on
   * the target version is not done with its canary step until it has it.
   */
  updateDue?: boolean;
  /**
   * The workspace is unavailable because of the rollout and counts against
   * maxUnavailable: an update or rollback build under way, a start owed after
   * an update stop, or a failed update not rolled back.
   */
  unavailable?: boolean;
  /** The resume value in force (RolloutGate.epoch), recorded with a failure found after the plan (a refused build). */
  epoch?: string;
  /** The parameters were compared against this build's values and matched (status.parametersChecked). */
  parametersChecked?: { build: string; spec: string };
}

export type ActionOutcome =
  | { action: Action; ok: true }
  | { action: Action; ok: false; error: unknown; skipped?: false }
  | { action: Action; ok: false; skipped: true; because: ActionKind };

/** Who a workspace belongs to, by id and by name (favorites are read as that user). */
export interface WorkspaceOwner {
  id: string;
  username: string;
}
