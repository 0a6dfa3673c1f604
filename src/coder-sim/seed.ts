// The simulator's starting data: a small config, also loadable from YAML
// (examples/coder-sim-seed.yaml). Names are references between entries;
// ids are generated deterministically unless given.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { AutomaticUpdates, ProvisionerJobStatus } from '../coder/types.ts';
import type { OrgRole, SiteRole } from './model.ts';

export interface SeedOrganization {
  id?: string;
  name: string;
  display_name?: string;
  /** The default organization. One always exists, named "coder" unless seeded. */
  default?: boolean;
}

export interface SeedUser {
  id?: string;
  username: string;
  email?: string;
  name?: string;
  /** Site roles: 'owner' (site Owner) and 'template-admin'. */
  roles?: SiteRole[];
  /** Organization name → role. Default: member of the default organization. */
  organizations?: Record<string, OrgRole>;
  /** coderd creates a user dormant; the first login makes it active. Default active (a user who has logged in). */
  status?: 'active' | 'dormant' | 'suspended';
}

export interface SeedGroup {
  id?: string;
  name: string;
  /** Default: the default organization. */
  organization?: string;
  /** Usernames. */
  members?: string[];
}

interface SeedParameter {
  name: string;
  required?: boolean;
  /** Default true. */
  mutable?: boolean;
  ephemeral?: boolean;
  default_value?: string;
  /** Default string. */
  type?: 'string' | 'number' | 'bool' | 'list(string)';
  options?: { name?: string; value: string }[];
}

export interface SeedTemplate {
  id?: string;
  name: string;
  organization?: string;
  display_name?: string;
  default_ttl_ms?: number;
  allow_user_autostart?: boolean;
  allow_user_autostop?: boolean;
  require_active_version?: boolean;
  deprecated?: boolean;
  deleted?: boolean;
  use_classic_parameter_flow?: boolean;
  time_til_dormant_autodelete_ms?: number;
  /** Parameters of the generated active version. */
  parameters?: SeedParameter[];
  /** Presets of the generated active version. */
  presets?: SeedPreset[];
  /** Id of the generated active version (ignored when a seeded version is active). */
  active_version_id?: string;
}

export interface SeedTemplateVersion {
  id?: string;
  name?: string;
  template: string;
  organization?: string;
  archived?: boolean;
  job_status?: ProvisionerJobStatus;
  parameters?: SeedParameter[];
  /** Make this the template's active version. */
  active?: boolean;
  /** Every start and stop build on this version fails (a template whose terraform apply errors). */
  fail_builds?: boolean;
  /** coder_workspace_preset blocks: a name, and the parameter values it sets. */
  presets?: SeedPreset[];
}

interface SeedPreset {
  id?: string;
  name: string;
  default?: boolean;
  parameters?: Record<string, string>;
}

export interface SeedGroup {
  id?: string;
  name: string;
  organization?: string;
}

export interface SeedWorkspace {
  id?: string;
  owner: string;
  name: string;
  template: string;
  organization?: string;
  autostart_schedule?: string | null;
  ttl_ms?: number | null;
  dormant?: boolean;
  automatic_updates?: AutomaticUpdates;
  favorite?: boolean;
  /** The latest build's transition; default start. Seeded builds are already complete. */
  transition?: 'start' | 'stop';
}

export interface SimSeed {
  /** Which Coder to play (`latest`, `2.27.0`); the simulator option coderVersion wins over it. */
  coder_version?: string;
  organizations?: SeedOrganization[];
  users?: SeedUser[];
  /**
   * A Premium license (Template RBAC): groups are served. Without it, as on
   * a real coderd without a license, every group route answers 403.
   */
  premium?: boolean;
  groups?: SeedGroup[];
  templates?: SeedTemplate[];
  template_versions?: SeedTemplateVersion[];
  workspaces?: SeedWorkspace[];
}

/** The seed used when none is given: one owner and two members, one template. */
export const DEFAULT_SEED: SimSeed = {
  users: [{ username: 'admin', roles: ['owner'] }, { username: 'alice' }, { username: 'bob' }],
  templates: [{ name: 'docker', default_ttl_ms: 8 * 3600_000 }],
};

export function parseSeedYaml(text: string): SimSeed {
  const doc: unknown = parseYaml(text);
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new Error('simulator seed: the document must be a mapping');
  }
  return doc as SimSeed;
}

export function loadSeedFile(path: string): SimSeed {
  return parseSeedYaml(readFileSync(path, 'utf8'));
}

/**
 * What applySeed needs of the state (SimState has it), declared here because state.ts
 * imports the seed's types: seed.ts importing state.ts back made an import cycle.
 */
interface SeedTarget {
  premium: boolean;
  addOrganization(seed: SeedOrganization): unknown;
  addUser(seed: SeedUser): unknown;
  addGroup(seed: SeedGroup): unknown;
  addTemplate(seed: SeedTemplate): unknown;
  addTemplateVersion(seed: SeedTemplateVersion): unknown;
  addWorkspace(seed: SeedWorkspace): unknown;
}

/** Adds everything in the seed to the state, in dependency order. */
export function applySeed(state: SeedTarget, seed: SimSeed): void {
  for (const org of seed.organizations ?? []) state.addOrganization(org);
  for (const user of seed.users ?? []) state.addUser(user);
  if (seed.premium !== undefined) state.premium = seed.premium;
  for (const group of seed.groups ?? []) state.addGroup(group);
  for (const template of seed.templates ?? []) state.addTemplate(template);
  for (const version of seed.template_versions ?? []) state.addTemplateVersion(version);
  for (const ws of seed.workspaces ?? []) state.addWorkspace(ws);
}
