// The one entry both front doors call: observe, plan, apply and status, for a
// batch of declarations (the CLI's plan/apply/sync) or for one (the operator's
// reconcile), against an ExternalWorkspaces adapter (external.ts). What stays
// with each door is only its own: where declarations come from, where the
// status goes, when it looks again. Because both report through status()
// here, a pass with nothing to do says the same in the cluster and in the
// status file.
import type { WorkspaceStatus } from '../api/schema.ts';
import type { AdoptionGuard } from './adoption-guard.ts';
import type { TemplateVersionParameter, WorkspaceBuildParameter } from '../coder/types.ts';
import type { ApplyResult } from './apply.ts';
import { waitForBuild, type WaitOptions } from './build-wait.ts';
import { diff } from './diff.ts';
import type { ExternalWorkspaces, VersionName, WorkspaceOwner } from './external.ts';
import type { LifecycleContext, RolloutGate } from './lifecycle.ts';
import { LifecycleReader } from './lifecycle-context.ts';
import { findObserved, type Snapshot } from './observe.ts';
import { SETTING_KINDS, SETTINGS } from './settings/index.ts';
import { computeStatus } from './status.ts';
import type { Action, DesiredWorkspace, ObservedWorkspace, WorkspacePlan } from './types.ts';

interface Observation {
  snapshot: Snapshot;
  /** Owners whose favorites could not be read, with the error (usually a refused token mint). */
  favoriteErrors: Map<string, unknown>;
}

/** What the status of one declaration is computed from besides the plan and the outcomes. */
interface StatusMemory {
  /** The status last reported: conditions keep their transition times, drift is judged against it. */
  previous: WorkspaceStatus | undefined;
  /** metadata.generation of the resource (the operator); the CLI has none. */
  generation?: number | undefined;
  now: Date;
}

export class WorkspaceEngine {
  // Private: every read and write of Coder goes through the methods below, so
  // both doors observe, apply and report alike (docs/architecture.md).
  readonly #external: ExternalWorkspaces;
  readonly #coderUrl: string;
  /** The lifecycle's reads, cached for the engine's life (a CLI run, a connection's client). */
  readonly #lifecycle: LifecycleReader;

  /** `now`: the clock the lifecycle's name cache ages by (tests with a logical clock). */
  constructor(external: ExternalWorkspaces, opts: { coderUrl: string; now?: () => number }) {
    this.#external = external;
    this.#coderUrl = opts.coderUrl;
    this.#lifecycle = new LifecycleReader(external, opts.now);
  }

  /**
   * Observe, for a batch: one paginated list for every workspace the token
   * can see; then, only for owners whose declarations manage `favorite`, one
   * list as that owner, since nobody else can see an owner's favorites.
   */
  async observe(desired: DesiredWorkspace[]): Promise<Observation> {
    const snapshot = await this.list();
    const owners = new Map<string, WorkspaceOwner>();
    for (const d of desired) {
      const ws = readsFavorite(d) ? findObserved(snapshot, d) : undefined;
      if (ws) owners.set(ws.ownerId, { id: ws.ownerId, username: ws.ownerName });
    }
    const favoriteErrors = await this.observeFavorites(snapshot, [...owners.values()]);
    await this.#observeSettingReads(snapshot, desired);
    return { snapshot, favoriteErrors };
  }

  /**
   * The reads besides the list that the managed settings need (each table
   * entry's `read`, e.g. spec.sharing's ACL), for each workspace whose
   * declaration manages such a setting, a few workspaces at a time, merged
   * into `snapshot`. Nobody else's is read: the list does not carry it on
   * every version.
   */
  async #observeSettingReads(snapshot: Snapshot, desired: DesiredWorkspace[]): Promise<void> {
    const found = desired.flatMap((d) => {
      const ws = needsSettingReads(d) ? findObserved(snapshot, d) : undefined;
      return ws ? [{ d, ws }] : [];
    });
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < found.length; i = next++) {
        const { d, ws } = found[i]!;
        const read = await this.#external.settingReads(d, ws);
        snapshot.put({ ...(snapshot.get(ws.id) ?? ws), ...read });
      }
    };
    await Promise.all(Array.from({ length: Math.min(SETTING_READS_AT_ONCE, found.length) }, worker));
  }

  /**
   * Every workspace the token can see, in one paginated list (the operator's
   * resync reads only this); with `query`, only those a Coder search query
   * selects (`GET /workspaces?q=`, as `cwo export` reads them).
   */
  list(query?: string): Promise<Snapshot> {
    return this.#external.list(query);
  }

  /**
   * The favorites of these owners, each read as that owner (a short-lived
   * owner token, except for the token's own user), merged into `snapshot`.
   * Returns the owners (by id) whose favorites could not be read, with the error.
   */
  async observeFavorites(snapshot: Snapshot, owners: WorkspaceOwner[]): Promise<Map<string, unknown>> {
    const errors = new Map<string, unknown>();
    await Promise.all(
      owners.map((owner) => this.#readFavorites(snapshot, owner).catch((error: unknown) => void errors.set(owner.id, error))),
    );
    return errors;
  }

  /** The parameter values a build ran with (`GET /workspacebuilds/{id}/parameters`). */
  buildParameters(buildId: string): Promise<WorkspaceBuildParameter[]> {
    return this.#external.buildParameters(buildId);
  }

  /** A template version's parameters: which exist, which are mutable or ephemeral. */
  templateVersionParameters(versionId: string): Promise<TemplateVersionParameter[]> {
    return this.#external.templateVersionParameters(versionId);
  }

  /** What planLifecycle() needs to know besides the two workspaces: version names, parameter values (lifecycle-context.ts). */
  lifecycleContext(
    desired: DesiredWorkspace,
    observed: ObservedWorkspace,
    previous: WorkspaceStatus | undefined,
    gate: RolloutGate,
  ): Promise<LifecycleContext> {
    return this.#lifecycle.context(desired, observed, previous, gate);
  }

  /** A template version's name, for what plan and apply print (version-names.ts). */
  templateVersion(versionId: string): Promise<VersionName> {
    return this.#external.templateVersion(versionId);
  }

  /** A user by name, id or `me`. */
  user(nameOrId: string): Promise<WorkspaceOwner> {
    return this.#external.user(nameOrId);
  }

  /** Polls a build until its job ends (build-wait.ts): the final job status, or 'timeout'. */
  waitForBuild(buildId: string, opts: WaitOptions): Promise<string> {
    return waitForBuild(this.#external, buildId, opts);
  }

  /** One workspace by id, read fresh (a GET); undefined once Coder no longer has it. */
  get(id: string): Promise<ObservedWorkspace | undefined> {
    return this.#external.get(id);
  }

  /**
   * Observe, for one workspace already found in `snapshot`: its favorite, when
   * the declaration manages it and the snapshot does not know it. Throws when
   * the owner's list cannot be read; the caller reports the favorite failed.
   */
  async observeFavorite(snapshot: Snapshot, desired: DesiredWorkspace, observed: ObservedWorkspace): Promise<ObservedWorkspace> {
    // The settings' own reads first: they never throw (a server without a feature is a reason in
    // the observation), so a favorite that cannot be read does not take them with it.
    const read = needsSettingReads(desired) ? await this.#external.settingReads(desired, observed) : undefined;
    const withRead = (ws: ObservedWorkspace): ObservedWorkspace => (read ? { ...ws, ...read } : ws);
    if (!readsFavorite(desired) || observed.favorite !== undefined) return withRead(observed);
    await this.#readFavorites(snapshot, { id: observed.ownerId, username: observed.ownerName });
    return withRead(snapshot.get(observed.id) ?? observed);
  }

  /** Plan: pure (diff.ts). */
  plan(desired: DesiredWorkspace, observed: ObservedWorkspace | undefined, ctx?: LifecycleContext): WorkspacePlan {
    return diff(desired, observed, ctx);
  }

  /** Apply one plan; undefined when there is nothing to apply (no action, or managementPolicies [Observe]). */
  async apply(plan: WorkspacePlan, guard?: AdoptionGuard): Promise<ApplyResult | undefined> {
    if (plan.actions.length === 0 || plan.desired.observeOnly) return undefined;
    return this.#external.apply(plan, guard);
  }

  /**
   * Apply, for a batch: at most `concurrency` workspaces in flight; one
   * workspace's failure stops only its own actions. A plan with nothing to
   * apply gets a result without outcomes.
   */
  async applyAll(plans: WorkspacePlan[], concurrency: number): Promise<ApplyResult[]> {
    const results: ApplyResult[] = new Array(plans.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < plans.length; i = next++) {
        const plan = plans[i]!;
        results[i] = (await this.apply(plan)) ?? { key: plan.key, outcomes: [], observed: plan.observed };
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, plans.length)) }, worker));
    return results;
  }

  /** Status: the one computation both doors report (status.ts). `result` undefined: nothing was applied. */
  status(plan: WorkspacePlan, result: ApplyResult | undefined, memory: StatusMemory): WorkspaceStatus {
    return computeStatus({ plan, result, coderUrl: this.#coderUrl, ...memory });
  }

  /** The owner's view merged into the snapshot: what it knows of each workspace, plus the favorite. */
  async #readFavorites(snapshot: Snapshot, owner: WorkspaceOwner): Promise<void> {
    for (const seen of await this.#external.favorites(owner)) {
      const known = snapshot.get(seen.id);
      const via = seen.favoriteVia !== undefined ? { favoriteVia: seen.favoriteVia } : {};
      // Read with the owner's own token, so the favorite is known (observe.ts): never undefined here.
      snapshot.put(known ? { ...known, favorite: seen.favorite === true, ...via } : seen);
    }
  }
}

/** Workspaces whose settings' own reads are in flight at once in a batch observe. */
const SETTING_READS_AT_ONCE = 8;

/** The declaration manages a setting whose entry reads Coder besides the list. */
function needsSettingReads(desired: DesiredWorkspace): boolean {
  return SETTING_KINDS.some((k) => SETTINGS[k].read?.wanted(desired));
}

/** Reading a favorite mints an owner token (a write): not under managementPolicies [Observe]. */
function readsFavorite(desired: DesiredWorkspace): boolean {
  return desired.favorite !== undefined && !desired.observeOnly;
}

/** The actions that failed, with their errors; not the ones skipped because an earlier one failed. */
export function failuresOf(result: ApplyResult | undefined): Array<{ action: Action; error: unknown }> {
  return (result?.outcomes ?? []).flatMap((o) => (!o.ok && !o.skipped ? [{ action: o.action, error: o.error }] : []));
}
