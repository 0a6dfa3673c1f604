// The reads planLifecycle() needs, and only when it needs them:
//   - a Pinned version name: GET /templates/{template}/versions/{name}
//     (cached for a few minutes: names rarely move, and a rollout of 1,000
//     workspaces onto one version costs one read);
//   - the latest build's parameter values: GET /workspacebuilds/{id}/parameters,
//     only when spec.parameters changed or the latest build is not the one whose
//     values were last found matching (status.parametersChecked), so an idle
//     resync makes no per-workspace read;
//   - which parameters are mutable or ephemeral: GET
//     /templateversions/{id}/rich-parameters, once per version (a version's
//     parameters never change);
//   - the presets of the version the next build runs (spec.preset): GET
//     /templateversions/{id}/presets, once per version for the reader's life
//     (a version's presets are part of it and never change).
// Every read goes through the adapter (external.ts), like the engine's others.
import type { WorkspaceStatus } from '../api/schema.ts';
import { isNotFound } from '../coder/errors.ts';
import { parametersDigest } from './desired.ts';
import type { ExternalWorkspaces } from './external.ts';
import type { LifecycleContext, RolloutGate } from './lifecycle.ts';
import type { VersionPresets } from './settings/preset.ts';
import type { DesiredWorkspace, ObservedWorkspace } from './types.ts';

const NAME_TTL_MS = 5 * 60_000;
const BUSY = new Set(['pending', 'starting', 'stopping', 'canceling', 'deleting']);

/** The adapter's reads the lifecycle needs. */
export type LifecycleReads = Pick<
  ExternalWorkspaces,
  'buildParameters' | 'templateVersionParameters' | 'templateVersionByName' | 'templateVersionPresets'
>;

export class LifecycleReader {
  readonly #reads: LifecycleReads;
  readonly #now: () => number;
  readonly #names = new Map<string, { at: number; value: Promise<{ id: string; name: string } | { error: string }> }>();
  readonly #info = new Map<string, Promise<Map<string, { mutable: boolean; ephemeral: boolean }>>>();
  readonly #presets = new Map<string, Promise<VersionPresets>>();

  constructor(reads: LifecycleReads, now: () => number = Date.now) {
    this.#reads = reads;
    this.#now = now;
  }

  async context(
    desired: DesiredWorkspace,
    observed: ObservedWorkspace | undefined,
    previous: WorkspaceStatus | undefined,
    gate: RolloutGate,
  ): Promise<LifecycleContext> {
    const ctx: LifecycleContext = { gate, ...(previous ? { previous } : {}) };
    if (!observed) return ctx;
    const v = desired.version;
    if (v?.policy === 'Pinned' && v.name !== undefined && v.id === undefined)
      ctx.wantedVersion = await this.versionByName(observed.templateId, v.name);
    // The version the next build runs: the wanted one where known, else the current one.
    const target =
      ctx.wantedVersion && 'id' in ctx.wantedVersion
        ? ctx.wantedVersion.id
        : v?.policy === 'Active'
          ? observed.activeVersionId
          : (v?.id ?? observed.latestBuild.templateVersionId);
    const presets = desired.preset !== undefined && observed.latestBuild.transition !== 'delete' ? this.presets(target) : undefined;
    if (needsParameterRead(desired, observed, previous)) {
      const [current, info] = await Promise.all([this.#reads.buildParameters(observed.latestBuild.id), this.parameterInfo(target)]);
      ctx.currentParameters = current;
      ctx.parameterInfo = info;
    }
    if (presets) ctx.presets = await presets;
    return ctx;
  }

  versionByName(templateId: string, name: string): Promise<{ id: string; name: string } | { error: string }> {
    const key = `${templateId}/${name}`;
    const hit = this.#names.get(key);
    if (hit && this.#now() - hit.at < NAME_TTL_MS) return hit.value;
    const value = this.#reads.templateVersionByName(templateId, name).then(
      (version) => version,
      (error: unknown) => {
        this.#names.delete(key);
        if (isNotFound(error)) return { error: `spec.version.name: the template has no version named "${name}"` };
        throw error;
      },
    );
    this.#names.set(key, { at: this.#now(), value });
    return value;
  }

  /** A version's presets by id and name, read once per version (a failed read is tried again next time). */
  presets(versionId: string): Promise<VersionPresets> {
    const key = versionId.toLowerCase();
    let hit = this.#presets.get(key);
    if (!hit) {
      hit = this.#reads
        .templateVersionPresets(versionId)
        .then((list) => ({ versionId: key, presets: list.map((p) => ({ id: p.ID.toLowerCase(), name: p.Name })) }));
      this.#presets.set(key, hit);
      hit.catch(() => this.#presets.delete(key));
    }
    return hit;
  }

  parameterInfo(versionId: string): Promise<Map<string, { mutable: boolean; ephemeral: boolean }>> {
    let hit = this.#info.get(versionId);
    if (!hit) {
      hit = this.#reads
        .templateVersionParameters(versionId)
        .then((list) => new Map(list.map((p) => [p.name, { mutable: p.mutable, ephemeral: p.ephemeral }])));
      this.#info.set(versionId, hit);
      hit.catch(() => this.#info.delete(versionId));
    }
    return hit;
  }
}

/** Read the values only when they may differ from the spec (see the header). */
function needsParameterRead(desired: DesiredWorkspace, observed: ObservedWorkspace, previous: WorkspaceStatus | undefined): boolean {
  if (!desired.parametersManaged || BUSY.has(observed.latestBuild.status) || observed.latestBuild.transition === 'delete') return false;
  const checked = previous?.parametersChecked;
  return !(checked && checked.build === observed.latestBuild.id && checked.spec === parametersDigest(desired.parameters));
}
