// The simulator's in-memory store. Handlers read and change it; tests reach it
// through CoderSimulator.state to change things out of band (a rename in the
// UI, a TTL set by hand, a workspace deleted by someone else).
import { isUuid } from '../api/patterns.ts';
import type { AutomaticUpdates } from '../coder/types.ts';
import { isWorkspaceDeleted, latestBuild } from './lifecycle.ts';
import type {
  SimApiKey,
  SimBuild,
  SimGroup,
  SimPreset,
  SimOrganization,
  SimTemplate,
  SimTemplateVersion,
  SimUser,
  SimWorkspace,
} from './model.ts';
import { createRandom, randomAlphanumeric, type Random } from './random.ts';
import { nextStartAt } from './schedule.ts';
import { profileOf } from './versions.ts';
import type { SeedGroup, SeedOrganization, SeedTemplate, SeedTemplateVersion, SeedUser, SeedWorkspace } from './seed.ts';

/** Seeded session tokens do not expire, so tests may move the clock freely. */
const FAR_FUTURE = Date.parse('9999-12-31T00:00:00Z');

interface SimStateInit {
  clock: () => number;
  allowRenames: boolean;
  buildDurationMs: number;
  /** Seeds ids and token secrets. */
  randomSeed: number;
  /** --experiments (CODER_EXPERIMENTS), e.g. workspace-sharing. */
  experiments?: string[];
}

export class SimState {
  readonly users = new Map<string, SimUser>();
  readonly organizations = new Map<string, SimOrganization>();
  readonly groups = new Map<string, SimGroup>();
  /** A Premium license is installed (Template RBAC: groups). Off, like a real coderd without a license. */
  premium = false;
  readonly templates = new Map<string, SimTemplate>();
  readonly versions = new Map<string, SimTemplateVersion>();
  readonly workspaces = new Map<string, SimWorkspace>();
  /** The deployment's enabled experiments; tests may change them at any time. */
  readonly experiments: Set<string>;
  /** Keyed by the 10-character key id. */
  readonly apiKeys = new Map<string, SimApiKey>();
  /** --allow-workspace-renames; tests may flip it at any time. */
  allowRenames: boolean;
  buildDurationMs: number;
  readonly clock: () => number;
  readonly deploymentId: string;
  private counter = 0;
  private readonly random: Random;
  private readonly sessionTokens = new Map<string, string>();

  constructor(init: SimStateInit) {
    this.clock = init.clock;
    this.allowRenames = init.allowRenames;
    this.buildDurationMs = init.buildDurationMs;
    this.experiments = new Set(init.experiments ?? []);
    this.random = createRandom(init.randomSeed);
    this.deploymentId = this.newId();
  }

  now(): number {
    return this.clock();
  }

  /** A valid version-4 UUID from a counter: deterministic and easy to read in logs. */
  newId(): string {
    this.counter += 1;
    return `00000000-0000-4000-8000-${this.counter.toString(16).padStart(12, '0')}`;
  }

  // ---- lookups -------------------------------------------------------------

  defaultOrg(): SimOrganization {
    for (const org of this.organizations.values()) if (org.isDefault) return org;
    return this.addOrganization({ name: 'coder', default: true });
  }

  /** `{user}` path values: a UUID or a username (case-insensitive, not deleted). */
  findUser(ref: string): SimUser | undefined {
    if (isUuid(ref)) {
      const user = this.users.get(ref.toLowerCase());
      return user && !user.deleted ? user : undefined;
    }
    const lower = ref.toLowerCase();
    for (const user of this.users.values()) {
      if (!user.deleted && user.username.toLowerCase() === lower) return user;
    }
    return undefined;
  }

  /** `{organization}`: a UUID, a name (case-insensitive), `default` or the nil UUID. */
  findOrganization(ref: string): SimOrganization | undefined {
    if (ref === 'default' || ref === '00000000-0000-0000-0000-000000000000') return this.defaultOrg();
    if (isUuid(ref)) return this.organizations.get(ref.toLowerCase());
    const lower = ref.toLowerCase();
    for (const org of this.organizations.values()) if (org.name.toLowerCase() === lower) return org;
    return undefined;
  }

  /** Template by name in an org, ignoring case and deleted templates. */
  findTemplate(orgId: string, name: string): SimTemplate | undefined {
    const lower = name.toLowerCase();
    for (const t of this.templates.values()) {
      if (t.orgId === orgId && !t.deleted && t.name.toLowerCase() === lower) return t;
    }
    return undefined;
  }

  /** The owner's live workspace with this name, ignoring case. */
  findLiveWorkspace(ownerId: string, name: string): SimWorkspace | undefined {
    const lower = name.toLowerCase();
    const now = this.now();
    for (const ws of this.workspaces.values()) {
      if (ws.ownerId === ownerId && ws.name.toLowerCase() === lower && !isWorkspaceDeleted(ws, now)) return ws;
    }
    return undefined;
  }

  mustUser(id: string): SimUser {
    return must(this.users.get(id), 'user', id);
  }

  mustOrg(id: string): SimOrganization {
    return must(this.organizations.get(id), 'organization', id);
  }

  mustTemplate(id: string): SimTemplate {
    return must(this.templates.get(id), 'template', id);
  }

  mustWorkspace(id: string): SimWorkspace {
    return must(this.workspaces.get(id), 'workspace', id);
  }

  // ---- adding data (seed and tests) -----------------------------------------

  addOrganization(seed: SeedOrganization): SimOrganization {
    if (this.findOrganizationByName(seed.name)) throw new Error(`simulator: organization "${seed.name}" exists`);
    const isDefault = seed.default === true;
    if (isDefault && [...this.organizations.values()].some((o) => o.isDefault)) {
      throw new Error('simulator: a default organization exists already');
    }
    const org: SimOrganization = {
      id: this.idOrNew(seed.id),
      name: seed.name,
      displayName: seed.display_name ?? seed.name,
      isDefault,
      createdAt: this.now(),
    };
    this.organizations.set(org.id, org);
    return org;
  }

  /** The preset with this id, of any version (the build's foreign key is to any preset). */
  presetById(id: string): SimPreset | undefined {
    for (const v of this.versions.values()) {
      const found = v.presets.find((p) => p.id === id.toLowerCase());
      if (found) return found;
    }
    return undefined;
  }

  hasPreset(id: string): boolean {
    return this.presetById(id) !== undefined;
  }

  addGroup(seed: SeedGroup): SimGroup {
    const org = seed.organization === undefined ? this.defaultOrg() : this.orgByName(seed.organization);
    if (this.findGroup(org.id, seed.name)) throw new Error(`simulator: group "${seed.name}" exists in ${org.name}`);
    const group: SimGroup = {
      id: this.idOrNew(seed.id),
      name: seed.name,
      orgId: org.id,
      displayName: '',
      memberIds: new Set(
        (seed.members ?? []).map((username) => {
          const user = this.findUser(username);
          if (!user) throw new Error(`simulator: group "${seed.name}" names unknown user "${username}"`);
          return user.id;
        }),
      ),
    };
    this.groups.set(group.id, group);
    return group;
  }

  /** A group by organization and name; `Everyone` is the organization's own group, every member in it (coderd's everyone group). */
  findGroup(orgId: string, name: string): SimGroup | undefined {
    for (const group of this.groups.values()) if (group.orgId === orgId && group.name === name) return group;
    if (name !== 'Everyone') return undefined;
    const members = [...this.users.values()].filter((u) => !u.deleted && u.orgRoles.has(orgId)).map((u) => u.id);
    return { id: orgId, name: 'Everyone', orgId, displayName: '', memberIds: new Set(members) };
  }

  addUser(seed: SeedUser): SimUser {
    if (this.findUser(seed.username)) throw new Error(`simulator: user "${seed.username}" exists`);
    const orgRoles = new Map<string, 'admin' | 'member'>();
    const memberships = seed.organizations ?? { [this.defaultOrg().name]: 'member' as const };
    for (const [orgName, role] of Object.entries(memberships)) {
      orgRoles.set(this.orgByName(orgName).id, role);
    }
    const user: SimUser = {
      id: this.idOrNew(seed.id),
      username: seed.username,
      email: seed.email ?? `${seed.username.toLowerCase()}@example.com`,
      name: seed.name ?? seed.username,
      status: seed.status ?? 'active',
      siteRoles: [...(seed.roles ?? [])],
      orgRoles,
      createdAt: this.now(),
      deleted: false,
    };
    this.users.set(user.id, user);
    const { token } = this.issueKey(user.id, { loginType: 'password', tokenName: '', scopes: ['all'], expiresAt: FAR_FUTURE });
    this.sessionTokens.set(user.id, token);
    return user;
  }

  addTemplate(seed: SeedTemplate): SimTemplate {
    const org = seed.organization ? this.orgByName(seed.organization) : this.defaultOrg();
    if (this.findTemplate(org.id, seed.name)) throw new Error(`simulator: template "${seed.name}" exists`);
    const now = this.now();
    const template: SimTemplate = {
      id: this.idOrNew(seed.id),
      orgId: org.id,
      name: seed.name,
      displayName: seed.display_name ?? '',
      defaultTtlMs: seed.default_ttl_ms ?? 0,
      allowUserAutostart: seed.allow_user_autostart ?? true,
      allowUserAutostop: seed.allow_user_autostop ?? true,
      activeVersionId: '',
      requireActiveVersion: seed.require_active_version ?? false,
      deprecated: seed.deprecated ?? false,
      deleted: seed.deleted ?? false,
      useClassicParameterFlow: seed.use_classic_parameter_flow ?? false,
      timeTilDormantAutodeleteMs: seed.time_til_dormant_autodelete_ms ?? 0,
      createdAt: now,
      updatedAt: now,
    };
    this.templates.set(template.id, template);
    const version = this.addTemplateVersion({
      ...(seed.active_version_id !== undefined ? { id: seed.active_version_id } : {}),
      template: seed.name,
      organization: org.name,
      ...(seed.parameters ? { parameters: seed.parameters } : {}),
      ...(seed.presets ? { presets: seed.presets } : {}),
      active: true,
    });
    template.activeVersionId = version.id;
    return template;
  }

  addTemplateVersion(seed: SeedTemplateVersion): SimTemplateVersion {
    const org = seed.organization ? this.orgByName(seed.organization) : this.defaultOrg();
    const template = this.templateByNameIncludingDeleted(org.id, seed.template);
    const version: SimTemplateVersion = {
      id: this.idOrNew(seed.id),
      templateId: template.id,
      orgId: org.id,
      name: seed.name ?? `v${[...this.versions.values()].filter((v) => v.templateId === template.id).length + 1}`,
      archived: seed.archived ?? false,
      jobStatus: seed.job_status ?? 'succeeded',
      parameters: (seed.parameters ?? []).map((p) => ({
        name: p.name,
        required: p.required ?? true,
        mutable: p.mutable ?? true,
        ephemeral: p.ephemeral ?? false,
        defaultValue: p.default_value ?? '',
        type: p.type ?? 'string',
        options: (p.options ?? []).map((o) => ({ name: o.name ?? o.value, value: o.value })),
      })),
      createdAt: this.now(),
      failBuilds: seed.fail_builds ?? false,
      presets: (seed.presets ?? []).map((p) => ({
        id: this.idOrNew(p.id),
        name: p.name,
        isDefault: p.default ?? false,
        parameters: Object.entries(p.parameters ?? {}).map(([name, value]) => ({ name, value })),
      })),
    };
    this.versions.set(version.id, version);
    if (seed.active) template.activeVersionId = version.id;
    return version;
  }

  addWorkspace(seed: SeedWorkspace): SimWorkspace {
    const owner = this.findUser(seed.owner);
    if (!owner) throw new Error(`simulator: unknown owner "${seed.owner}"`);
    const org = seed.organization ? this.orgByName(seed.organization) : this.defaultOrg();
    const template = this.templateByNameIncludingDeleted(org.id, seed.template);
    const now = this.now();
    const ttlMs = seed.ttl_ms === undefined ? template.defaultTtlMs || null : seed.ttl_ms;
    const ws = this.createWorkspaceRecord({
      ownerId: owner.id,
      template,
      versionId: template.activeVersionId,
      name: seed.name,
      autostartSchedule: seed.autostart_schedule ?? null,
      ttlMs,
      automaticUpdates: seed.automatic_updates ?? 'never',
      initiatorId: owner.id,
      durationMs: 0,
      id: seed.id,
    });
    if (seed.transition === 'stop') this.addBuild(ws, { transition: 'stop', initiatorId: owner.id, durationMs: 0 });
    if (seed.dormant) ws.dormantAt = now;
    ws.favorite = seed.favorite ?? false;
    return ws;
  }

  /** Inserts a workspace and its first start build (used by create and the seed). */
  createWorkspaceRecord(init: {
    ownerId: string;
    template: SimTemplate;
    versionId: string;
    name: string;
    autostartSchedule: string | null;
    ttlMs: number | null;
    automaticUpdates: AutomaticUpdates;
    initiatorId: string;
    durationMs: number;
    id?: string | undefined;
    parameters?: { name: string; value: string }[];
    presetId?: string | null;
  }): SimWorkspace {
    const now = this.now();
    const ws: SimWorkspace = {
      id: this.idOrNew(init.id),
      ownerId: init.ownerId,
      orgId: init.template.orgId,
      templateId: init.template.id,
      name: init.name,
      createdAt: now,
      updatedAt: now,
      lastUsedAt: now,
      healthy: true,
      autostartSchedule: init.autostartSchedule,
      nextStartAt: init.autostartSchedule ? nextStartAt(init.autostartSchedule, now) : null,
      ttlMs: init.ttlMs,
      dormantAt: null,
      deletingAt: null,
      automaticUpdates: init.automaticUpdates,
      favorite: false,
      builds: [],
    };
    this.workspaces.set(ws.id, ws);
    this.addBuild(ws, {
      transition: 'start',
      initiatorId: init.initiatorId,
      durationMs: init.durationMs,
      templateVersionId: init.versionId,
      parameters: init.parameters ?? [],
      presetId: init.presetId ?? null,
    });
    return ws;
  }

  addBuild(
    ws: SimWorkspace,
    init: {
      transition: SimBuild['transition'];
      initiatorId: string;
      durationMs: number;
      templateVersionId?: string | undefined;
      reason?: SimBuild['reason'];
      /** The values sent with the build; resolved against the previous build (see resolveBuildParameters). */
      parameters?: { name: string; value: string }[];
      /** template_version_preset_id as sent: its values override the sent ones (wsbuilder). */
      presetId?: string | null;
    },
  ): SimBuild {
    const previous = ws.builds[ws.builds.length - 1];
    const versionId = init.templateVersionId ?? previous?.templateVersionId ?? this.mustTemplate(ws.templateId).activeVersionId;
    // A preset's values win over the values sent for the same parameters (wsbuilder).
    const preset = init.presetId ? this.presetById(init.presetId) : undefined;
    const sent = [
      ...(init.parameters ?? []).filter((p) => !preset?.parameters.some((q) => q.name === p.name)),
      ...(preset?.parameters ?? []),
    ];
    const parameters = resolveBuildParameters(this.versions.get(versionId), previous?.parameters ?? [], sent);
    const build: SimBuild = {
      id: this.newId(),
      jobId: this.newId(),
      workspaceId: ws.id,
      number: (previous?.number ?? 0) + 1,
      transition: init.transition,
      // A build without an explicit version reuses the previous build's (wsbuilder).
      templateVersionId: versionId,
      initiatorId: init.initiatorId,
      reason: init.reason ?? 'initiator',
      parameters,
      // Matched on the build's whole parameter set, previous values included (wsbuilder's getParameters):
      // coderd v2.30.0 records the old preset on an update's stop sent without parameters.
      presetId: init.presetId ?? matchingPreset(this.versions.get(versionId), parameters, profileOf(this).presetFromParameters),
      createdAt: this.now(),
      durationMs: init.durationMs,
      ttlAtCreateMs: ws.ttlMs,
      deadlineCleared: false,
      outcome: init.transition !== 'delete' && this.versions.get(versionId)?.failBuilds ? 'failed' : 'succeeded',
    };
    ws.builds.push(build);
    return build;
  }

  // ---- out-of-band changes (what a user does in the Coder UI) ----------------

  renameWorkspace(id: string, name: string): void {
    this.mustWorkspace(id).name = name;
  }

  setAutostart(id: string, schedule: string | null): void {
    const ws = this.mustWorkspace(id);
    ws.autostartSchedule = schedule;
    ws.nextStartAt = schedule ? nextStartAt(schedule, this.now()) : null;
  }

  setTtl(id: string, ttlMs: number | null): void {
    this.mustWorkspace(id).ttlMs = ttlMs;
  }

  setDormant(id: string, dormant: boolean): void {
    const ws = this.mustWorkspace(id);
    ws.dormantAt = dormant ? this.now() : null;
    ws.deletingAt = null;
  }

  /** Someone used the workspace (an app, SSH, the web terminal): moves last_used_at. */
  setLastUsed(id: string, at: number): void {
    this.mustWorkspace(id).lastUsedAt = at;
  }

  /** An agent turned unhealthy (or healthy again). */
  setHealthy(id: string, healthy: boolean): void {
    this.mustWorkspace(id).healthy = healthy;
  }

  /** From now on, builds on this version fail (or succeed again). */
  setVersionBuildsFail(versionId: string, fail: boolean): void {
    const version = this.versions.get(versionId);
    if (!version) throw new Error(`simulator: unknown template version ${versionId}`);
    version.failBuilds = fail;
  }

  setAutomaticUpdates(id: string, value: AutomaticUpdates): void {
    this.mustWorkspace(id).automaticUpdates = value;
  }

  /** Deletes at once, as if someone's delete build had already succeeded. */
  deleteWorkspace(id: string): void {
    const ws = this.mustWorkspace(id);
    if (isWorkspaceDeleted(ws, this.now())) return;
    this.addBuild(ws, { transition: 'delete', initiatorId: ws.ownerId, durationMs: 0 });
  }

  /** A build Coder itself starts (autostart, autostop) or a person starts in the UI; complete at once. */
  scheduleBuild(id: string, transition: 'start' | 'stop', reason: SimBuild['reason'] = 'initiator'): SimBuild {
    const ws = this.mustWorkspace(id);
    return this.addBuild(ws, { transition, initiatorId: ws.ownerId, durationMs: 0, reason });
  }

  /** Promotes a version to the template's active one (`coder templates versions promote`). */
  promoteVersion(templateName: string, versionName: string, organization?: string): SimTemplateVersion {
    const org = organization ? this.orgByName(organization) : this.defaultOrg();
    const template = this.templateByNameIncludingDeleted(org.id, templateName);
    const version = [...this.versions.values()].find((v) => v.templateId === template.id && v.name === versionName);
    if (!version) throw new Error(`simulator: template "${templateName}" has no version "${versionName}"`);
    template.activeVersionId = version.id;
    return version;
  }

  suspendUser(username: string): void {
    const user = this.findUser(username);
    if (!user) throw new Error(`simulator: unknown user "${username}"`);
    user.status = 'suspended';
  }

  // ---- API keys --------------------------------------------------------------

  issueKey(
    userId: string,
    opts: { loginType: SimApiKey['loginType']; tokenName: string; scopes: string[]; expiresAt: number; lifetimeSeconds?: number },
  ): { key: SimApiKey; token: string } {
    const now = this.now();
    const key: SimApiKey = {
      id: randomAlphanumeric(this.random, 10),
      secret: randomAlphanumeric(this.random, 22),
      userId,
      loginType: opts.loginType,
      tokenName: opts.tokenName,
      scopes: opts.scopes,
      createdAt: now,
      expiresAt: opts.expiresAt,
      lifetimeSeconds: opts.lifetimeSeconds ?? Math.max(0, Math.floor((Math.min(opts.expiresAt, FAR_FUTURE) - now) / 1000)),
      lastUsed: now,
    };
    this.apiKeys.set(key.id, key);
    return { key, token: `${key.id}-${key.secret}` };
  }

  /** The session token issued to a user when it was added. */
  tokenFor(username: string): string {
    const user = this.findUser(username);
    const token = user && this.sessionTokens.get(user.id);
    if (!token) throw new Error(`simulator: no session token for "${username}"`);
    return token;
  }

  latestBuildOf(id: string): SimBuild {
    return latestBuild(this.mustWorkspace(id));
  }

  // ---- helpers ---------------------------------------------------------------

  private idOrNew(id: string | undefined): string {
    if (id === undefined) return this.newId();
    if (!isUuid(id)) throw new Error(`simulator: "${id}" is not a UUID`);
    return id.toLowerCase();
  }

  private findOrganizationByName(name: string): SimOrganization | undefined {
    const lower = name.toLowerCase();
    for (const org of this.organizations.values()) if (org.name.toLowerCase() === lower) return org;
    return undefined;
  }

  private orgByName(name: string): SimOrganization {
    const org = this.findOrganization(name);
    if (!org) throw new Error(`simulator: unknown organization "${name}"`);
    return org;
  }

  private templateByNameIncludingDeleted(orgId: string, name: string): SimTemplate {
    for (const t of this.templates.values()) {
      if (t.orgId === orgId && t.name.toLowerCase() === name.toLowerCase()) return t;
    }
    throw new Error(`simulator: unknown template "${name}"`);
  }
}

function must<T>(value: T | undefined, kind: string, id: string): T {
  if (value === undefined) throw new Error(`simulator: unknown ${kind} ${id}`);
  return value;
}

/**
 * The values a build records (wsbuilder's parameter resolution): a value
 * sent wins; else the previous build's, unless the parameter is ephemeral;
 * else the default. Only the version's parameters are kept. Without the
 * version (a seeded edge case) the sent values merge over the previous ones.
 */
function resolveBuildParameters(
  version: SimTemplateVersion | undefined,
  previous: { name: string; value: string }[],
  sent: { name: string; value: string }[],
): { name: string; value: string }[] {
  const given = new Map(sent.map((p) => [p.name, p.value]));
  const before = new Map(previous.map((p) => [p.name, p.value]));
  if (!version) return [...new Map([...before, ...given])].map(([name, value]) => ({ name, value }));
  return version.parameters.map((p) => ({
    name: p.name,
    value: given.get(p.name) ?? (p.ephemeral ? undefined : before.get(p.name)) ?? p.defaultValue,
  }));
}

/** v2.27.0+: the first preset whose every value the build's parameters carry; null for none (or on v2.24.0). */
function matchingPreset(version: SimTemplateVersion | undefined, sent: { name: string; value: string }[], enabled: boolean): string | null {
  if (!enabled || !version) return null;
  const found = version.presets.find(
    (p) => p.parameters.length > 0 && p.parameters.every((q) => sent.some((s) => s.name === q.name && s.value === q.value)),
  );
  return found?.id ?? null;
}
