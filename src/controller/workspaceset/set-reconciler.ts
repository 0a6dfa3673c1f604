// Reconcile(key) for a WorkspaceSet, in the shape of the Workspace reconciler:
// IO at the edges, every decision in a pure function (set-connection.ts, the
// fleet core's stamp and membership decision, child-object.ts, set-status.ts,
// set-events.ts).
//   1. get the set from the cache (gone: forget it; being deleted: nothing to
//      do, Kubernetes' garbage collector deletes the children it owns)
//   2. its connection (namespace-local) and tenancy          -> set-connection.ts
//   3. the members: the last expansion, or a new one when a refresh is due
//      (refreshInterval, a spec change, a reconcile request, a new connection).
//      A generator that fails holds everything: no child is created, changed
//      or removed until an expansion succeeds again.
//   4. stamp one child per member; decide creates, updates and removals
//      against the children the set controls (by ownerReference, never by
//      label alone); hold the pass when it would remove more than
//      maxRemovals, or empty a set that had members, until acknowledged
//   5. write: creates, updates, deletes, in slow-start batches
//   6. status (only when it changed), Events for members joining and leaving
//   7. look again at the next refresh
// Steady state: a refresh that finds the same members costs the generators'
// list reads and no Kubernetes write.
import type { Logger } from 'pino';
import { expandGenerators, type Member, type MemberReader } from '../../fleet/generators.ts';
import { decideMembership, DEFAULT_SYNC_POLICY, type ExistingChild } from '../../fleet/membership.ts';
import { MEMBER_LABEL, memberKey, stampChild, type StampedChild } from '../../fleet/stamp.ts';
import type { DeletionPolicy, Workspace, WorkspaceSet, WorkspaceSetStatus } from '../../api/schema.ts';
import { parseDuration } from '../../api/duration.ts';
import type { HandlerResult } from '../../kube/run-workers.ts';
import type { ConnectionCaches } from '../connection/lookup.ts';
import type { ConnectionRegistry, ConnectionRuntime } from '../connection/registry.ts';
import { requestedAt } from '../workspace/reconcile-request.ts';
import { isKubeConflict, isKubeNotFound, type KubeWriter, type ObjectRef } from '../kube-writer.ts';
import { scrubbingKubeWriter } from '../scrubbing-kube-writer.ts';
import { mergePatch, statusChanged } from '../status-patch.ts';
import { ACKNOWLEDGE_REMOVALS, acknowledgeCommand } from './acknowledge.ts';
import { childObject, childPatch, FIELD_MANAGER, STAMP_HASH_LABEL, stampHash, withApiDefaults } from './child-object.ts';
import { setOwnerOf, type ChildIndex } from './child-index.ts';
import { setConnection } from './set-connection.ts';
import { joinEvents, leaveEvents, type Joined, type Left, type SetEvent } from './set-events.ts';
import type { SetMetrics } from './set-metrics.ts';
import { countChildren, setStatus, type PassResult } from './set-status.ts';
import { slowStart } from './slow-start.ts';

/** A refresh interval below this is raised to it: a tenant's set must not turn into a busy loop on Coder. */
const MIN_REFRESH_MS = 5_000;
/** A created child the cache has not shown after this long is looked up again (by a create that answers 409). */
const EXPECTATION_MS = 60_000;

/**
 * The writes a set pass makes, all through the operator's one KubeWriter:
 * children created, patched and deleted, the one read of a child a create
 * found taken, the set's status and its Events.
 */
export type SetWriter = Pick<KubeWriter, 'create' | 'patch' | 'delete' | 'controllerOf' | 'patchStatus' | 'event'>;

/** The set a pass is about, as its status patch and Events name it. */
type SetRef = ObjectRef & { kind: 'WorkspaceSet'; namespace: string };

/** What every step of one pass works on. */
interface Pass {
  set: WorkspaceSet;
  ref: SetRef;
  memory: SetMemory;
  now: Date;
}

/** Why a pass changes no child. */
interface Held {
  reason: string;
  message: string;
  needsAction: boolean;
}

export interface SetReconcilerDeps extends ConnectionCaches {
  set(key: string): WorkspaceSet | undefined;
  workspace(key: string): Workspace | undefined;
  children: Pick<ChildIndex, 'childrenOf'>;
  namespaceLabels(namespace: string): Record<string, string> | undefined;
  connections: Pick<ConnectionRegistry, 'runtime'>;
  /** The fleet core's member reader over the connection's Coder client. */
  readerFor(rt: ConnectionRuntime): MemberReader;
  kube: SetWriter;
  logger: Logger;
  metrics?: SetMetrics;
  now?: () => Date;
  /** Members are read again this often when the set says nothing (spec.refreshInterval). */
  defaultRefreshMs: number;
  /** The operator's --deletion-policy: what a removed child without its own deletionPolicy does in Coder. */
  deletionPolicy: DeletionPolicy;
  /** How soon to look again after a transient failure (Coder unreachable, a write refused). Default 15 s. */
  recheckMs?: number;
  /** Child writes in flight at once, at most (slow-start.ts). Default 8: the apiserver also serves the Lease renewals. */
  writeConcurrency?: number;
  /** Members one expansion may return, at most. Default 100,000. */
  maxMembers?: number;
  /** Sharded: whether a child with these labels is in this instance's Workspace cache. Default: every child. */
  visible?: (labels: Readonly<Record<string, string>>) => boolean;
}

/** What the controller remembers of one set between passes; rebuilt from scratch after a restart. */
interface SetMemory {
  uid: string;
  generation: number | undefined;
  connectionId: string;
  requested: string | undefined;
  /** The last successful expansion and when it was read. */
  members?: Member[];
  refreshedAt?: Date;
  /** The latest expansion failed: nothing is changed until one succeeds. */
  failure?: { reason: string; message: string; at: number };
  /** Children created by this process that the cache has not shown yet, with the time of the create. */
  created: Map<string, number>;
  /** Children of members who left and were kept, already announced by an Event. */
  announced: Set<string>;
  /** The status last written, with the resourceVersion it was based on (the cache may not show it yet). */
  written?: { rv: string | undefined; status: WorkspaceSetStatus };
  /**
   * Something a decision depends on changed since the last whole pass (the set, a
   * child added, deleted or edited, the connection): the next pass decides again.
   * While false and no refresh is due, a pass only recounts the children's states.
   */
  dirty: boolean;
  /** The last whole pass: its result and member count, for the passes that only recount. */
  last?: { result: PassResult; members: number | undefined; lastMembers: number | undefined; held: boolean };
}

/** Generator failures a retry will not fix: a person has to change the set, the group, the licence or the token. */
const GENERATOR_NEEDS_ACTION = new Set([
  'GroupsUnavailable',
  'GroupNotFound',
  'OrganizationNotFound',
  'Forbidden',
  'Unauthorized',
  'InvalidQuery',
  'TooManyMembers',
  'CoderRejected',
]);

export class SetReconciler {
  readonly #d: SetReconcilerDeps;
  /** deps.kube behind the token scrubbing every Kubernetes write goes through (a no-op when the operator wrapped it already). */
  readonly #kube: SetWriter;
  readonly #memory = new Map<string, SetMemory>();

  constructor(deps: SetReconcilerDeps) {
    this.#d = deps;
    this.#kube = scrubbingKubeWriter(deps.kube);
  }

  /** Something the decision depends on changed (the set, a child's spec or existence, the connection): decide again. */
  markDirty(key: string): void {
    const m = this.#memory.get(key);
    if (m) m.dirty = true;
  }

  /** The set's cached status moved to resourceVersion rv: a status remembered from an older one is no longer needed. */
  cacheCaughtUp(key: string, rv: string | undefined): void {
    const m = this.#memory.get(key);
    if (m?.written && m.written.rv !== rv) delete m.written;
  }

  readonly reconcile = async (key: string): Promise<HandlerResult> => {
    const set = this.#d.set(key);
    const [namespace = 'default', name = key] = key.split('/');
    if (!set) {
      this.#memory.delete(key);
      this.#d.metrics?.forget(namespace, name);
      return;
    }
    if (set.metadata.deletionTimestamp) return;
    const now = this.#d.now?.() ?? new Date();
    const memory = this.#memoryOf(key, set);
    const ref: SetRef = { kind: 'WorkspaceSet', namespace, name, ...(set.metadata.uid ? { uid: set.metadata.uid } : {}) };
    const recheck = this.#d.recheckMs ?? 15_000;
    const pass: Pass = { set, ref, memory, now };

    const conn = setConnection(set, this.#d, this.#d.namespaceLabels(namespace));
    if (!conn.ok) {
      const held = { reason: conn.reason, message: conn.message, needsAction: conn.reason === 'Forbidden' };
      // A missing connection or a tenancy rule is fixed by an edit that enqueues the set; look again now and then anyway.
      return this.#hold(pass, held, conn.reason === 'Forbidden' ? this.#refreshMs(set) : recheck);
    }
    const rt = await this.#d.connections.runtime(conn.connection.ref);
    if (!rt.state.ready) {
      return this.#hold(pass, { reason: 'ConnectionNotReady', message: rt.state.message, needsAction: false }, recheck);
    }

    // 3. Members.
    const due = this.#refreshDue(set, memory, conn.connection.ref.id, now);
    if (!due && !memory.dirty && memory.last) {
      // Only the children's states moved: recount them; no decision, no write but the status.
      const counts = countChildren(this.#liveChildren(set));
      const { result, members, lastMembers, held } = memory.last;
      await this.#writeStatus(pass, members, lastMembers, counts, result);
      this.#d.metrics?.record(namespace, name, members, counts, held);
      return { requeueAfter: this.#untilRetry(set, memory, now) };
    }
    memory.dirty = false;
    if (due) {
      memory.generation = set.metadata.generation;
      memory.connectionId = conn.connection.ref.id;
      memory.requested = requestedAt(set);
      const outcome = await expandGenerators(set.spec, this.#d.readerFor(rt), { maxMembers: this.#d.maxMembers ?? 100_000 });
      this.#d.metrics?.refreshes.inc({ result: outcome.ok ? 'ok' : outcome.reason });
      if (outcome.ok) {
        memory.members = outcome.members;
        memory.refreshedAt = now;
        delete memory.failure;
      } else {
        memory.failure = { reason: outcome.reason, message: outcome.message, at: now.getTime() };
        this.#d.logger.warn({ set: key, reason: outcome.reason, message: outcome.message }, 'generator failed: holding every child');
      }
    }
    if (memory.failure || !memory.members) {
      const failure = memory.failure ?? { reason: 'GeneratorFailed', message: 'no expansion yet', at: now.getTime() };
      const needsAction = GENERATOR_NEEDS_ACTION.has(failure.reason);
      const message = `${failure.message}; no child is created, changed or removed until the generators answer again`;
      return this.#hold(pass, { reason: failure.reason, message, needsAction }, this.#untilRetry(set, memory, now));
    }

    // 4. Stamp and decide.
    const members = memory.members.filter((m) => conn.admits(m.username));
    const notAdmitted = memory.members.length - members.length;
    const stamps = new Map<string, StampedChild>(members.map((m) => [memberKey(m.username), withApiDefaults(stampChild(set, m))]));
    const owned = this.#d.children
      .childrenOf(set.metadata.uid ?? '')
      .map((k) => this.#d.workspace(k))
      .filter((w): w is Workspace => w !== undefined);
    const live = owned.filter((c) => c.metadata.deletionTimestamp === undefined);
    const terminating = new Set(owned.filter((c) => c.metadata.deletionTimestamp !== undefined).map((c) => c.metadata.name));
    for (const c of owned) memory.created.delete(c.metadata.name);
    const liveByName = new Map(live.map((c) => [c.metadata.name, c]));

    // Names the set may not take: Workspaces in its namespace it does not control.
    const foreign = new Map<string, string>();
    for (const stamp of stamps.values()) {
      const other = this.#d.workspace(`${namespace}/${stamp.name}`);
      if (other && setOwnerOf(other)?.uid !== set.metadata.uid) foreign.set(stamp.name, holderOf(other));
      if (this.#d.visible && !this.#d.visible(stamp.labels))
        return this.#hold(
          pass,
          {
            reason: 'ShardMismatch',
            message:
              `the labels stamped on child ${stamp.name} do not match this operator's --watch-label-selector, so it would never ` +
              'see the children it makes: put the shard label in spec.template.metadata.labels as well',
            needsAction: true,
          },
          this.#untilRefresh(set, memory, now),
        );
    }
    const children: ExistingChild[] = live.map((c) => {
      const member = c.metadata.labels?.[MEMBER_LABEL];
      const stamp = member === undefined ? undefined : stamps.get(memberKey(member));
      return {
        name: c.metadata.name,
        member,
        labels: c.metadata.labels ?? {},
        annotations: provenAnnotations(c, stamp),
        spec: c.spec,
      };
    });
    const policy = set.spec.syncPolicy ?? DEFAULT_SYNC_POLICY;
    const previous = memory.written && memory.written.rv === set.metadata.resourceVersion ? memory.written.status : set.status;
    const decision = decideMembership({
      set,
      children,
      members,
      ...(set.metadata.annotations?.[ACKNOWLEDGE_REMOVALS] ? { acknowledged: set.metadata.annotations[ACKNOWLEDGE_REMOVALS].trim() } : {}),
      previousMembers: previous?.lastMembers ?? 0,
      foreign,
      describe: `WorkspaceSet ${key}`,
    });
    if (decision.held) {
      const ack = decision.held.acknowledgeWith;
      const message = ack
        ? `${decision.held.message}. To let it through: ${acknowledgeCommand(namespace, name, ack)}`
        : decision.held.message;
      const held = { reason: decision.held.reason, message, needsAction: true };
      return this.#hold(pass, held, this.#untilRefresh(set, memory, now), members.length);
    }

    // 5. Write.
    const creates = decision.create
      .map((s) => withApiDefaults(s))
      .filter((s) => {
        // A child being deleted keeps its name until it is gone; its delete event brings the set back.
        if (terminating.has(s.name)) return false;
        const createdAt = memory.created.get(s.name);
        return createdAt === undefined || now.getTime() - createdAt >= EXPECTATION_MS;
      });
    const updates: Array<{ child: Workspace; desired: StampedChild }> = decision.update.map((u) => ({
      child: liveByName.get(u.child.name)!,
      desired: withApiDefaults(u.desired),
    }));
    if (policy !== 'createOnly')
      for (const u of decision.unchanged) {
        // Equal in what the cache shows, but stamped from another template (its annotations, say): written again.
        const stamp = u.member === undefined ? undefined : stamps.get(memberKey(u.member));
        const child = liveByName.get(u.name);
        if (stamp && child && child.metadata.labels?.[STAMP_HASH_LABEL] !== stampHash(stamp))
          updates.push({ child, desired: { ...stamp, name: u.name } });
      }
    const removes = decision.remove.map((c) => liveByName.get(c.name)!);
    const concurrency = this.#d.writeConcurrency ?? 8;
    const failures: string[] = [];
    const conflicts: string[] = [];
    let retrySoon = false;

    const created = await slowStart(creates, concurrency, async (s) => {
      try {
        await this.#kube.create(childObject(set, s), { fieldManager: FIELD_MANAGER });
      } catch (error) {
        if (!isKubeConflict(error)) throw error;
        // Taken since the cache was read: ours (created earlier, not shown yet) or someone else's.
        const found = await this.#kube.controllerOf({ kind: 'Workspace', namespace, name: s.name });
        if (found?.controllerUid !== set.metadata.uid) {
          conflicts.push(s.name);
          throw Object.assign(new Error(`Workspace ${s.name} already exists`), { conflict: true });
        }
      }
      memory.created.set(s.name, now.getTime());
    });
    this.#count('create', created);
    for (const f of created.failed)
      if (!(f.error as { conflict?: boolean }).conflict) failures.push(`create ${f.item.name}: ${describe(f.error)}`);
    const updated = await slowStart(updates, concurrency, async (u) => {
      const child: ObjectRef = { kind: 'Workspace', namespace, name: u.child.metadata.name };
      await this.#kube.patch(child, childPatch(u.child, u.desired), { fieldManager: FIELD_MANAGER });
    });
    this.#count('update', updated);
    for (const f of updated.failed) {
      // 409: the child changed since the cache showed it; its update event brings the set back.
      if (isKubeConflict(f.error)) retrySoon = true;
      else failures.push(`update ${f.item.child.metadata.name}: ${describe(f.error)}`);
    }
    const removed = await slowStart(removes, concurrency, async (c) => {
      try {
        // No uid (never so from the apiserver) is a precondition no object meets: nothing is deleted on a guess.
        const child = { kind: 'Workspace' as const, namespace, name: c.metadata.name, uid: c.metadata.uid ?? '' };
        await this.#kube.delete(child, c.metadata.resourceVersion);
      } catch (error) {
        if (!isKubeNotFound(error)) throw error;
      }
    });
    this.#count('delete', removed);
    for (const f of removed.failed) {
      // 409: not the object the decision was about any more (changed or replaced): decided again.
      if (isKubeConflict(f.error)) retrySoon = true;
      else failures.push(`delete ${f.item.metadata.name}: ${describe(f.error)}`);
    }
    const skipped = created.skipped.length + updated.skipped.length + removed.skipped.length;
    if (skipped > 0) failures.push(`${skipped} more writes not tried after a failure`);

    // 6. Events and status.
    const joined: Joined[] = created.done.map((s) => ({ member: s.member, child: s.name }));
    const left: Left[] = removed.done.map((c) => ({
      member: memberOf(c),
      child: c.metadata.name,
      removed: true,
      deletionPolicy: this.#policyOf(c),
    }));
    for (const c of decision.retained) {
      if (memory.announced.has(c.name)) continue;
      memory.announced.add(c.name);
      const child = liveByName.get(c.name)!;
      left.push({ member: memberOf(child), child: c.name, removed: false, deletionPolicy: this.#policyOf(child) });
    }
    // A member who came back (or a child gone) is announced again when it leaves again.
    const retainedNames = new Set(decision.retained.map((c) => c.name));
    for (const n of memory.announced) if (!retainedNames.has(n)) memory.announced.delete(n);

    const removedNames = new Set(removed.done.map((c) => c.metadata.name));
    const counts = countChildren(live.filter((c) => !removedNames.has(c.metadata.name)));
    // Sets, not scans: a 10,000-member pass would otherwise compare every stamp with every child.
    const childMembers = new Set(children.flatMap((c) => (c.member === undefined ? [] : [memberKey(c.member)])));
    const conflicted = new Set(conflicts);
    const missing = [...stamps.values()].filter((s) => !childMembers.has(memberKey(s.member)) && !conflicted.has(s.name)).length;
    const result: PassResult = { kind: 'applied', missing, writeFailures: failures, conflicts };
    await this.#writeStatus(pass, members.length, members.length, counts, result);
    memory.last = { result, members: members.length, lastMembers: members.length, held: false };
    // A write that failed or met a newer child: decide again at the next pass, whatever wakes it.
    if (failures.length > 0 || retrySoon) memory.dirty = true;
    this.#d.metrics?.record(namespace, name, members.length, counts, false);
    await this.#events(ref, [...joinEvents(joined), ...leaveEvents(left, policy)]);
    if (notAdmitted > 0)
      this.#d.logger.info(
        { set: key, notAdmitted },
        'members the ClusterCoderConnection rules do not allow in this namespace were left out',
      );
    if (failures.length > 0) {
      this.#d.logger.warn({ set: key, failures: failures.slice(0, 5), count: failures.length }, 'child writes failed; retrying');
      return { requeueAfter: recheck };
    }
    if (retrySoon) return { requeueAfter: 1_000 };
    return { requeueAfter: this.#untilRefresh(set, memory, now) };
  };

  #memoryOf(key: string, set: WorkspaceSet): SetMemory {
    let m = this.#memory.get(key);
    // A set deleted and made again under the same name is a new set: nothing carries over.
    if (!m || m.uid !== (set.metadata.uid ?? '')) {
      m = {
        uid: set.metadata.uid ?? '',
        generation: set.metadata.generation,
        connectionId: '',
        requested: requestedAt(set),
        created: new Map(),
        announced: new Set(),
        dirty: true,
      };
      this.#memory.set(key, m);
    }
    return m;
  }

  #refreshMs(set: WorkspaceSet): number {
    const text = set.spec.refreshInterval;
    const ms = text ? parseDuration(text) : this.#d.defaultRefreshMs;
    return Math.max(MIN_REFRESH_MS, ms);
  }

  #refreshDue(set: WorkspaceSet, m: SetMemory, connectionId: string, now: Date): boolean {
    if (m.generation !== set.metadata.generation || m.connectionId !== connectionId || m.requested !== requestedAt(set)) return true;
    if (m.failure) {
      const wait = GENERATOR_NEEDS_ACTION.has(m.failure.reason) ? this.#refreshMs(set) : (this.#d.recheckMs ?? 15_000);
      return now.getTime() - m.failure.at >= wait;
    }
    return !m.members || !m.refreshedAt || now.getTime() - m.refreshedAt.getTime() >= this.#refreshMs(set);
  }

  /** The children the set controls that are not being deleted, from the cache. */
  #liveChildren(set: WorkspaceSet): Workspace[] {
    return this.#d.children
      .childrenOf(set.metadata.uid ?? '')
      .map((k) => this.#d.workspace(k))
      .filter((w): w is Workspace => w !== undefined && w.metadata.deletionTimestamp === undefined);
  }

  /** Until a failed expansion is tried again: soon for a transient failure, at the next refresh for one a person must fix. */
  #untilRetry(set: WorkspaceSet, m: SetMemory, now: Date): number {
    if (!m.failure) return this.#untilRefresh(set, m, now);
    const wait = GENERATOR_NEEDS_ACTION.has(m.failure.reason) ? this.#refreshMs(set) : (this.#d.recheckMs ?? 15_000);
    return Math.max(0, m.failure.at + wait - now.getTime());
  }

  #untilRefresh(set: WorkspaceSet, m: SetMemory, now: Date): number {
    const at = (m.refreshedAt?.getTime() ?? now.getTime()) + this.#refreshMs(set);
    return Math.max(0, at - now.getTime());
  }

  #policyOf(child: Workspace): 'Delete' | 'Orphan' {
    return child.spec.deletionPolicy ?? this.#d.deletionPolicy;
  }

  #count(verb: string, r: { done: unknown[]; failed: unknown[] }): void {
    if (r.done.length) this.#d.metrics?.childWrites.inc({ verb, result: 'ok' }, r.done.length);
    if (r.failed.length) this.#d.metrics?.childWrites.inc({ verb, result: 'error' }, r.failed.length);
  }

  /** A pass that changes no child: status (and a Warning when the status changed); look again after requeueAfter. */
  async #hold(p: Pass, held: Held, requeueAfter: number, members?: number): Promise<HandlerResult> {
    const counts = countChildren(this.#liveChildren(p.set));
    const result: PassResult = { kind: 'held', ...held };
    const changed = await this.#writeStatus(p, members, undefined, counts, result);
    p.memory.last = { result, members, lastMembers: undefined, held: true };
    this.#d.metrics?.record(p.ref.namespace, p.ref.name, members, counts, true);
    if (changed) await this.#events(p.ref, [{ type: 'Warning', reason: held.reason, action: 'Reconcile', note: held.message }]);
    return { requeueAfter };
  }

  /** Merge patch of the status subresource, only when it changed (lastRefreshTime aside); true when written. */
  async #writeStatus(
    { set, ref, memory, now }: Pass,
    members: number | undefined,
    lastMembers: number | undefined,
    counts: ReturnType<typeof countChildren>,
    result: PassResult,
  ): Promise<boolean> {
    const rv = set.metadata.resourceVersion;
    const previous = memory.written && memory.written.rv === rv ? memory.written.status : set.status;
    const next = setStatus({
      previous,
      generation: set.metadata.generation,
      now,
      members,
      lastMembers,
      counts,
      result,
      refreshedAt: memory.refreshedAt,
    });
    if (!statusChangedIgnoringRefresh(previous, next)) return false;
    try {
      await this.#kube.patchStatus(ref, mergePatch(previous as Record<string, unknown> | undefined, next as Record<string, unknown>));
    } catch (error) {
      if (isKubeNotFound(error)) return false;
      throw error;
    }
    memory.written = { rv, status: next };
    return true;
  }

  async #events(ref: SetRef, events: SetEvent[]): Promise<void> {
    for (const e of events) {
      try {
        await this.#kube.event({ ...e, regarding: ref });
      } catch (error) {
        // An Event is a courtesy: losing one must not fail or repeat the pass.
        this.#d.logger.warn({ set: `${ref.namespace}/${ref.name}`, reason: e.reason, err: error }, 'could not record an Event');
      }
    }
  }
}

function statusChangedIgnoringRefresh(a: WorkspaceSetStatus | undefined, b: WorkspaceSetStatus): boolean {
  const { lastRefreshTime: _a, ...x } = a ?? {};
  const { lastRefreshTime: _b, ...y } = b;
  return statusChanged(x as never, y as never);
}

function memberOf(child: Workspace): string {
  return child.metadata.labels?.[MEMBER_LABEL] ?? child.spec.owner;
}

/** How a condition names the holder of a name the set wanted. */
function holderOf(ws: Workspace): string {
  const refs = (ws.metadata as { ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }> }).ownerReferences;
  const owner = refs?.find((r) => r.controller === true);
  return owner ? `Workspace ${ws.metadata.name} (controlled by ${owner.kind} ${owner.name})` : `Workspace ${ws.metadata.name}`;
}

/**
 * The annotations a child is known to carry. The cache keeps none (../trim.ts);
 * the stamp digest label proves the child was last written from this very stamp,
 * annotations included. Otherwise none are assumed, so the child is written again.
 */
function provenAnnotations(child: Workspace, stamp: StampedChild | undefined): Record<string, string> {
  return stamp && child.metadata.labels?.[STAMP_HASH_LABEL] === stampHash(stamp) ? stamp.annotations : {};
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
