// Turns Coder's workspace objects into the engine's ObservedWorkspace and
// indexes one list pass so every declaration finds its workspace without
// another API call (docs/architecture.md: observation is list-based).
import { isUuid } from '../api/patterns.ts';
import type { CoderApi } from '../coder/api.ts';
import type { Workspace, WorkspaceBuild } from '../coder/types.ts';
import type { DesiredWorkspace, ObservedWorkspace, WorkspaceOwner } from './types.ts';

/**
 * `favoriteKnown` is true only when the object was read with the owner's own
 * token: Coder shows everybody else `favorite: false` whatever the truth is.
 */
export function toObserved(ws: Workspace, favoriteKnown: boolean): ObservedWorkspace {
  const observed: ObservedWorkspace = {
    id: ws.id,
    name: ws.name,
    ownerId: ws.owner_id,
    ownerName: ws.owner_name,
    organizationId: ws.organization_id,
    organizationName: ws.organization_name,
    templateId: ws.template_id,
    templateName: ws.template_name,
    // Coder omits both fields when they are null.
    autostartSchedule: ws.autostart_schedule ? ws.autostart_schedule : null,
    ttlMs: ws.ttl_ms ? ws.ttl_ms : null,
    dormant: ws.dormant_at !== null && ws.dormant_at !== undefined,
    automaticUpdates: ws.automatic_updates,
    allowRenames: ws.allow_renames,
    latestBuild: buildOf(ws.latest_build),
    activeVersionId: ws.template_active_version_id,
    outdated: ws.outdated,
    nextStartAt: ws.next_start_at,
    createdAt: ws.created_at,
  };
  // Only when set, so observed workspaces of ordinary templates keep their shape.
  if (ws.template_require_active_version === true) observed.requireActiveVersion = true;
  if (favoriteKnown) observed.favorite = ws.favorite;
  if (ws.last_used_at) observed.lastUsedAt = ws.last_used_at;
  if (ws.health && typeof ws.health.healthy === 'boolean') {
    observed.healthy = ws.health.healthy;
    // Bounded: a hostile server's list cannot grow the status without end.
    const failing = (ws.health.failing_agents ?? []).slice(0, 64);
    if (failing.length > 0) observed.failingAgents = failing;
  }
  if (ws.dormant_at) observed.dormantAt = ws.dormant_at;
  if (ws.deleting_at) observed.deletingAt = ws.deleting_at;
  return observed;
}

/** The fields of a build the engine keeps (the workspace's latest_build, or a build just started). */
export function buildOf(b: WorkspaceBuild): ObservedWorkspace['latestBuild'] {
  const build: ObservedWorkspace['latestBuild'] = {
    id: b.id,
    number: b.build_number,
    transition: b.transition,
    status: b.status,
    templateVersionId: b.template_version_id,
  };
  if (b.template_version_name) build.templateVersionName = b.template_version_name;
  if (b.reason) build.reason = b.reason;
  if (b.template_version_preset_id) build.presetId = b.template_version_preset_id;
  return build;
}

/** `owner: me` (Coder takes it in any case) is the user of the token the request is sent with. */
export function isMe(owner: string): boolean {
  return owner.toLowerCase() === 'me';
}

/**
 * `me` replaced by the token's username, before anything compares owners:
 * the lookup by owner and name, the owner check of a bound workspace, the
 * duplicate and binding checks and prune then all see one user, whatever
 * the spelling. Without it, `me` matched no workspace: a declaration with
 * `owner: me` was planned as a create over its own workspace, and its
 * workspace reported as belonging to another owner.
 */
export function withOwnerResolved(desired: DesiredWorkspace, me: WorkspaceOwner | undefined): DesiredWorkspace {
  return me && isMe(desired.owner) ? { ...desired, owner: me.username } : desired;
}

/** Does this observed workspace belong to `owner` (a username or a user UUID; `me` must be resolved first)? */
export function ownedBy(observed: ObservedWorkspace, owner: string): boolean {
  return isUuid(owner) ? observed.ownerId.toLowerCase() === owner.toLowerCase() : observed.ownerName.toLowerCase() === owner.toLowerCase();
}

/** One list pass, indexed by id and by owner + name (Coder compares names ignoring case). */
export class Snapshot {
  readonly byId = new Map<string, ObservedWorkspace>();
  private readonly byOwnerName = new Map<string, ObservedWorkspace>();
  private readonly byOwnerIdName = new Map<string, ObservedWorkspace>();
  /** The deployment's rename flag as the last workspace showed it; undefined with no workspaces. */
  allowRenames: boolean | undefined;
  /** Changes made since recordChanges(), in order; undefined when not recording. */
  #changes: Array<{ put: ObservedWorkspace } | { remove: string }> | undefined;

  constructor(workspaces: Iterable<ObservedWorkspace> = []) {
    for (const ws of workspaces) this.put(ws);
  }

  /**
   * One list pass, each page reduced to ObservedWorkspace as it arrives: the
   * raw objects (builds, resources, agents) of 10,000 workspaces are never
   * all in memory together. put() keeps the later copy of a duplicate.
   */
  static async list(api: Pick<CoderApi, 'forEachWorkspacePage'>, query?: string): Promise<Snapshot> {
    const snapshot = new Snapshot();
    await api.forEachWorkspacePage(query !== undefined ? { q: query } : undefined, (page) => {
      for (const ws of page) snapshot.put(toObserved(ws, false));
    });
    return snapshot;
  }

  /**
   * Starts recording the changes made to this snapshot, to play them onto a
   * fresher one with replayChanges(): what a reconcile learned from its own
   * write while a list was in flight is not in that list.
   */
  recordChanges(): void {
    this.#changes = [];
  }

  /** Plays the changes recorded since recordChanges() onto `next`, in order, and stops recording. */
  replayChanges(next: Snapshot): void {
    for (const change of this.#changes ?? []) {
      if ('put' in change) next.put(change.put);
      else next.remove(change.remove);
    }
    this.#changes = undefined;
  }

  /** Stops recording without replaying (the fresher snapshot never came). */
  stopRecording(): void {
    this.#changes = undefined;
  }

  put(ws: ObservedWorkspace): void {
    this.#changes?.push({ put: ws });
    const previous = this.byId.get(ws.id);
    if (previous) this.#unindex(previous);
    this.byId.set(ws.id, ws);
    this.byOwnerName.set(ownerNameKey(ws.ownerName, ws.name), ws);
    this.byOwnerIdName.set(ownerNameKey(ws.ownerId, ws.name), ws);
    this.allowRenames = ws.allowRenames;
  }

  remove(id: string): void {
    this.#changes?.push({ remove: id });
    const ws = this.byId.get(id);
    if (ws) this.#unindex(ws);
  }

  #unindex(ws: ObservedWorkspace): void {
    this.byId.delete(ws.id);
    this.byOwnerName.delete(ownerNameKey(ws.ownerName, ws.name));
    this.byOwnerIdName.delete(ownerNameKey(ws.ownerId, ws.name));
  }

  get(id: string): ObservedWorkspace | undefined {
    return this.byId.get(id);
  }

  find(owner: string, name: string): ObservedWorkspace | undefined {
    const index = isUuid(owner) ? this.byOwnerIdName : this.byOwnerName;
    return index.get(ownerNameKey(owner, name));
  }

  get size(): number {
    return this.byId.size;
  }
}

function ownerNameKey(owner: string, name: string): string {
  return `${owner.toLowerCase()}/${name.toLowerCase()}`;
}

/**
 * The workspace a declaration refers to: the bound id first (a rename keeps
 * the binding), else owner + name, which adopts an existing workspace instead
 * of creating a duplicate.
 */
export function findObserved(
  snapshot: Snapshot,
  desired: { boundId?: string; owner: string; name: string },
): ObservedWorkspace | undefined {
  if (desired.boundId !== undefined) {
    const bound = snapshot.get(desired.boundId);
    if (bound) return bound;
  }
  return snapshot.find(desired.owner, desired.name);
}
