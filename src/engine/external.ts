// The external-client side of the engine, in the shape of Crossplane's
// managed-resource contract: the engine observes the external system and then
// creates, updates or deletes through one small adapter, and never talks to
// Coder any other way. CoderWorkspaces is that adapter for Coder; both front
// doors hand the engine one (the CLI per run, the operator per connection).
import type { CoderApi } from '../coder/api.ts';
import type { TemplateVersionParameter, WorkspaceBuildParameter } from '../coder/types.ts';
import { isGone, isNotFound } from '../coder/errors.ts';
import { type AdoptionGuard, guardedApi } from './adoption-guard.ts';
import { applyPlan, type ApplyDeps, type ApplyResult } from './apply.ts';
import { Snapshot, toObserved } from './observe.ts';
import { readPresets, type TemplateVersionPreset } from './settings/preset.ts';
import { CreateResolver } from './resolve.ts';
import { Preflight, type PreflightProblem, type PreflightSubject } from './preflight.ts';
import { SETTING_KINDS, SETTINGS } from './settings/index.ts';
import type { ActionOutcome, DesiredWorkspace, ObservedSettings, ObservedWorkspace, WorkspaceOwner, WorkspacePlan } from './types.ts';

export type { WorkspaceOwner } from './types.ts';

/** Hands out clients acting as a workspace owner (src/coder/owner-tokens.ts). */
export interface OwnerApis {
  forOwner(owner: string): Promise<CoderApi>;
  /** The scopes its minted tokens carry (status says which); undefined before the first mint. */
  readonly scopesInUse?: string | undefined;
}

/** A template version as the plan shows it: its id and its name. */
export interface VersionName {
  id: string;
  name: string;
}

/**
 * Observe (list, get, favorites), then create, update and delete: each is an
 * action of a plan, run by apply() with one Coder call per action.
 */
export interface ExternalWorkspaces {
  /** Every workspace the token can see (or those a Coder search query selects), in one paginated list. */
  list(query?: string): Promise<Snapshot>;
  /** One workspace read again (while a build runs); undefined once Coder no longer has it. */
  get(id: string): Promise<ObservedWorkspace | undefined>;
  /** The owner's workspaces as the owner sees them, favorites known; throws when no owner client can be had. */
  favorites(owner: WorkspaceOwner): Promise<ObservedWorkspace[]>;
  /**
   * The reads the declaration's managed settings need besides the list (each
   * entry's `read`, e.g. spec.sharing's ACL), merged. Never throws: a server
   * without a feature, or an answer that did not come, is said in the observation.
   */
  settingReads(desired: DesiredWorkspace, ws: ObservedWorkspace): Promise<Partial<ObservedSettings>>;
  /** The parameter values one build ran with. */
  buildParameters(buildId: string): Promise<WorkspaceBuildParameter[]>;
  /** The parameters a template version defines. */
  templateVersionParameters(versionId: string): Promise<TemplateVersionParameter[]>;
  /** A template version's presets (spec.preset); [] when it has none. */
  templateVersionPresets(versionId: string): Promise<TemplateVersionPreset[]>;
  /** A template version by id, for its name. */
  templateVersion(versionId: string): Promise<VersionName>;
  /** A template's version by name (a Pinned spec.version.name); throws Coder's 404 when there is none. */
  templateVersionByName(templateId: string, name: string): Promise<VersionName>;
  /** A build's job status (`pending` … `succeeded`, `failed`, `canceled`), read fresh. */
  buildStatus(buildId: string): Promise<string>;
  /** A user by name, id or `me` (the token's user). */
  user(nameOrId: string): Promise<WorkspaceOwner>;
  /**
   * Runs one plan's actions (create, settings updates, builds, delete).
   * `guard` decides, for this plan only, whether a workspace found by owner + name may be adopted.
   */
  apply(plan: WorkspacePlan, guard?: AdoptionGuard): Promise<ApplyResult>;
}

interface CoderWorkspacesOptions {
  /** Called after every action, for progress output, events and metrics. */
  onOutcome?: (key: string, outcome: ActionOutcome) => void;
}

export class CoderWorkspaces implements ExternalWorkspaces {
  readonly api: CoderApi;
  readonly #owners: OwnerApis;
  /** One per adapter: it caches template and organization lookups for the creates it resolves. */
  readonly #resolver: CreateResolver;
  readonly #onOutcome: CoderWorkspacesOptions['onOutcome'];
  /** Made on first use; its lookups are cached for the adapter's life (one run of the CLI). */
  #preflight: Preflight | undefined;

  constructor(api: CoderApi, owners: OwnerApis, opts: CoderWorkspacesOptions = {}) {
    this.api = api;
    this.#owners = owners;
    this.#resolver = new CreateResolver(api);
    this.#onOutcome = opts.onOutcome;
  }

  list(query?: string): Promise<Snapshot> {
    return Snapshot.list(this.api, query);
  }

  buildParameters(buildId: string): Promise<WorkspaceBuildParameter[]> {
    return this.api.getBuildParameters(buildId);
  }

  templateVersionParameters(versionId: string): Promise<TemplateVersionParameter[]> {
    return this.api.getTemplateVersionParameters(versionId);
  }

  templateVersionPresets(versionId: string): Promise<TemplateVersionPreset[]> {
    return this.api.send(readPresets, { templateversion: versionId });
  }

  async templateVersion(versionId: string): Promise<VersionName> {
    const v = await this.api.getTemplateVersion(versionId);
    return { id: v.id, name: v.name };
  }

  async templateVersionByName(templateId: string, name: string): Promise<VersionName> {
    const v = await this.api.getTemplateVersionByName(templateId, name);
    return { id: v.id, name: v.name };
  }

  async buildStatus(buildId: string): Promise<string> {
    return (await this.api.getBuild(buildId)).job.status;
  }

  async user(nameOrId: string): Promise<WorkspaceOwner> {
    const user = await this.api.getUser(nameOrId);
    return { id: user.id, username: user.username };
  }

  async get(id: string): Promise<ObservedWorkspace | undefined> {
    try {
      const ws = await this.api.getWorkspace(id);
      // A finished delete build: Coder still answers for a moment, but the workspace is gone.
      if (ws.latest_build.transition === 'delete' && ws.latest_build.status === 'deleted') return undefined;
      return toObserved(ws, false);
    } catch (error) {
      if (isNotFound(error) || isGone(error)) return undefined;
      throw error;
    }
  }

  async settingReads(desired: DesiredWorkspace, ws: ObservedWorkspace): Promise<Partial<ObservedSettings>> {
    const found: Partial<ObservedSettings> = {};
    for (const kind of SETTING_KINDS) {
      const read = SETTINGS[kind].read;
      if (!read?.wanted(desired)) continue;
      Object.assign(found, await read.read(ws, { api: this.api }).catch((error: unknown) => read.unreadable(error)));
    }
    return found;
  }

  async favorites(owner: WorkspaceOwner): Promise<ObservedWorkspace[]> {
    const asOwner = await this.#owners.forOwner(owner.username);
    const mine = await asOwner.listWorkspaces({ q: `owner:${owner.username}` });
    // The connection's own user needs no minted token, so there are no scopes to report.
    const via = asOwner === this.api ? undefined : this.#owners.scopesInUse;
    return mine.filter((ws) => ws.owner_id === owner.id).map((ws) => ({ ...toObserved(ws, true), ...(via ? { favoriteVia: via } : {}) }));
  }

  /** Read-only checks of declarations against Coder's users, templates and versions (preflight.ts). */
  preflight(subjects: PreflightSubject[], knownOwners?: ReadonlySet<string>): Promise<PreflightProblem[]> {
    this.#preflight ??= new Preflight(this.api);
    return this.#preflight.check(subjects, knownOwners);
  }

  apply(plan: WorkspacePlan, guard?: AdoptionGuard): Promise<ApplyResult> {
    const deps: ApplyDeps = {
      api: guard ? guardedApi(this.api, guard) : this.api,
      resolver: this.#resolver,
      ownerApi: (owner) => this.#owners.forOwner(owner.username),
      ...(this.#onOutcome ? { onOutcome: this.#onOutcome } : {}),
    };
    return applyPlan(plan, deps);
  }
}
