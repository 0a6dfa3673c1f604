// Template version names for what plan and apply print: `v1 → v2`, not two
// UUIDs (the JSON output keeps the ids next to the names). Most names are
// known without a call: every workspace comes with its latest build's
// version name, and a Pinned spec names its version. The rest (usually a
// template's newly promoted active version) cost one
// GET /templateversions/{id} per distinct id per run, shared by every
// workspace that moves to it, and nothing in steady state (no version
// change, no read).
import type { ExternalWorkspaces } from './external.ts';
import type { WorkspacePlan } from './types.ts';

interface VersionRef {
  id: string;
  name?: string;
}

/** A workspace's move from the version of its latest build to the wanted one. */
export interface VersionChange {
  from: VersionRef;
  to: VersionRef;
}

/** The version change a plan is about, whether it runs now or waits; undefined when none. */
export function versionChangeOf(plan: WorkspacePlan): VersionChange | undefined {
  const wanted = plan.lifecycle?.wanted;
  const build = plan.observed?.latestBuild;
  if (!wanted || !build || wanted.id.toLowerCase() === build.templateVersionId.toLowerCase()) return undefined;
  const from: VersionRef = { id: build.templateVersionId, ...(build.templateVersionName ? { name: build.templateVersionName } : {}) };
  return { from, to: { ...wanted } };
}

export class VersionNames {
  readonly #versions: Pick<ExternalWorkspaces, 'templateVersion'>;
  readonly #names = new Map<string, string>();
  readonly #reads = new Map<string, Promise<void>>();
  readonly #changes = new Map<string, VersionChange>();

  /** `reads`: the engine (or its adapter): names are read through it, like every other read. */
  constructor(reads: Pick<ExternalWorkspaces, 'templateVersion'>) {
    this.#versions = reads;
  }

  /** The name of a version, when known. */
  name(id: string): string | undefined {
    return this.#names.get(id.toLowerCase());
  }

  /** What to print for a version: its name, or its id when the name could not be read. */
  label(id: string): string {
    return this.name(id) ?? id;
  }

  /** The version change planned for a declaration (by key), with the names found. */
  change(key: string): VersionChange | undefined {
    return this.#changes.get(key);
  }

  /**
   * Learns the names the plans carry, reads the ones still missing (one GET
   * per distinct id, in parallel; the client's rate limiter paces them), and
   * remembers each plan's version change. A name that cannot be read is
   * printed as its id: a label never fails a plan.
   */
  async resolve(plans: WorkspacePlan[]): Promise<void> {
    const changes = plans.flatMap((p) => {
      const c = versionChangeOf(p);
      return c ? [[p.key, c] as const] : [];
    });
    for (const [, c] of changes) for (const v of [c.from, c.to]) if (v.name) this.#names.set(v.id.toLowerCase(), v.name);
    const ids = new Set<string>();
    for (const [, c] of changes) for (const v of [c.from, c.to]) if (!this.name(v.id)) ids.add(v.id.toLowerCase());
    for (const p of plans)
      for (const a of p.actions) if (a.kind === 'build' && a.versionId && !this.name(a.versionId)) ids.add(a.versionId.toLowerCase());
    await Promise.all([...ids].map((id) => this.#read(id)));
    for (const [key, c] of changes) this.#changes.set(key, { from: this.#named(c.from), to: this.#named(c.to) });
  }

  #named(v: VersionRef): VersionRef {
    const name = v.name ?? this.name(v.id);
    return { id: v.id, ...(name ? { name } : {}) };
  }

  #read(id: string): Promise<void> {
    let read = this.#reads.get(id);
    if (!read) {
      read = this.#versions.templateVersion(id).then(
        (v) => void this.#names.set(id, v.name),
        () => undefined,
      );
      this.#reads.set(id, read);
    }
    return read;
  }
}
