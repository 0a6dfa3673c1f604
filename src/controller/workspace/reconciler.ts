// Reconcile(key), controller-runtime style: a short list of steps with the
// IO at the edges and every decision in a pure function (decide.ts,
// tenancy.ts, status-patch.ts, outcome-events.ts).
//   1. get the Workspace from the cache (gone: done)
//   2. validate; look up the connection; tenancy          -> decide()
//   3. suspended / invalid / forbidden / connection not ready: status only
//   4. being deleted: Orphan drops the finalizer; Delete starts the delete
//      build, requeues, and drops the finalizer once Coder has no workspace
//   5. the finalizer (deletionPolicy Delete only), before the first create
//   6. desired -> observe (snapshot) -> may this Workspace bind it? (another
//      Workspace holding the same Coder workspace: Conflict, hands off) ->
//      diff -> apply -> status
//   7. status merge patch only when it changed (ignoring lastSyncTime);
//      one Event per change made in Coder and per failure (adopting a
//      workspace that already matches changes nothing: no Event)
import type { Logger } from 'pino';
import type { DeletionPolicy, Workspace, WorkspaceStatus } from '../../api/schema.ts';
import { validateWorkspace } from '../../api/validate.ts';
import { isTokenRefused } from '../../coder/errors.ts';
import {
  type ApplyResult,
  toDesired,
  workspaceKey,
  withOwnerResolved,
  type WorkspaceOwner,
  failuresOf,
  type WorkspacePlan,
} from '../../engine/index.ts';
import type { OperatorMetrics } from '../../observability/metrics.ts';
import type { ConnectionRef, ConnectionRegistry, ConnectionRuntime } from '../connection/registry.ts';
import { ConnectionUsage } from '../connection/usage.ts';
import { connectionById, lookupConnection, type ConnectionCaches } from '../connection/lookup.ts';
import { ConnectionStatusWriter } from '../connection/status-writer.ts';
import { ConnectionRollout, RESUME_ROLLOUT, waitRequeueMs } from './rollout.ts';
import type { AnyConnection } from '../connection/lookup.ts';
import { reconcileRequested, requestedAt } from './reconcile-request.ts';
import type { RolloutPolicy } from '../../api/schema.ts';
import { nameIdentity, WorkspaceBindings, type BindingConflictError, type BindingGuard } from './bindings.ts';
import { decide, FINALIZER, type Decision } from './decide.ts';
import { isKubeNotFound, type ObjectRef, type ExistingObjectWriter } from '../kube-writer.ts';
import {
  buildInProgress,
  buildPollDelay,
  DEFAULT_BUILD_POLL,
  outcomeEvent,
  requeueFor,
  type BuildPoll,
  type EventSpec,
} from './outcome-events.ts';
import type { HandlerResult } from '../../kube/run-workers.ts';
import { TerminalError } from '../../kube/terminal-error.ts';
import { allNeedAPerson, stalledForPerson } from './terminal.ts';
import { gateStatus, mergePatch, statusChanged, suspendedStatus } from '../status-patch.ts';
import { scrubbingKubeWriter } from '../scrubbing-kube-writer.ts';
import { checkTenancy } from '../connection/tenancy.ts';
import { deleteOne, syncOne } from './sync.ts';

/** What the informer caches know: the Workspaces, their namespaces' labels and the connections. */
interface ReconcilerCaches extends ConnectionCaches {
  workspace(key: string): Workspace | undefined;
  namespaceLabels(namespace: string): Record<string, string> | undefined;
}

/** The operator's defaults and timings. */
interface ReconcilerSettings {
  deletionPolicy: DeletionPolicy;
  now?: () => Date;
  /** How soon to look again while a Coder build runs: 250 ms, doubling to 2 s by default. */
  buildPoll?: BuildPoll;
  /** How soon to look again when the connection's Secret or Coder could not be reached. Default 15 s. */
  recheckMs?: number;
}

/** Shared with the other controllers of the process, so they agree; each defaults to the Reconciler's own. */
interface ReconcilerShared {
  /** The connection's status writer (its one writer), so neither controller repeats the other's write. */
  connectionStatus?: ConnectionStatusWriter;
  /** Who holds which Coder workspace, fed from the Workspace cache (operator.ts). */
  bindings?: WorkspaceBindings;
  /** Sharded (../shard.ts): whether this instance writes the connection's status (for the default writer). */
  ownsConnection?: (connection: AnyConnection) => boolean;
  /**
   * Keeps a connection and its Secret while a Delete-policy Workspace needs them
   * (connection/usage.ts); undefined: not kept (a sharded instance sees only its
   * share of the Workspaces, so it could not tell when to let go).
   */
  usage?: ConnectionUsage | undefined;
}

interface ReconcilerDeps {
  caches: ReconcilerCaches;
  /** The connections' runtimes: Coder clients, snapshots, engines. */
  connections: Pick<ConnectionRegistry, 'runtime' | 'invalidate' | 'staleMs'>;
  /** The operator's Kubernetes writer; a Workspace's reconcile never creates, patches or deletes a whole object. */
  kube: ExistingObjectWriter;
  settings: ReconcilerSettings;
  shared?: ReconcilerShared;
  telemetry: { logger: Logger; metrics?: OperatorMetrics };
}

export class Reconciler {
  readonly #d: ReconcilerDeps;
  /** deps.kube, with every status patch and Event scrubbed of tokens (scrubbing-kube-writer.ts). */
  readonly #kube: ExistingObjectWriter;
  /** Status last written per key, with the resourceVersion it was based on: the cache may not show it yet. */
  readonly #written = new Map<string, { rv: string | undefined; status: WorkspaceStatus }>();
  readonly #connStatus: ConnectionStatusWriter;
  /** Rollout slots and states per connection id (not per runtime: a spec edit makes a new runtime). */
  readonly #rollouts = new Map<string, ConnectionRollout>();
  readonly #bindings: WorkspaceBindings;
  readonly #usage: ConnectionUsage | undefined;
  /** Looks so far at the Coder build still running for a key: the next poll waits longer (buildPollDelay). */
  readonly #polls = new Map<string, number>();
  /** Keys whose last reconcile failed in a way only a person can fix (terminal.ts), with what it ran under. */
  readonly #terminal = new Map<string, { generation: number | undefined; runtime: ConnectionRuntime }>();

  constructor(deps: ReconcilerDeps) {
    this.#d = deps;
    this.#kube = scrubbingKubeWriter(deps.kube);
    const shared = deps.shared ?? {};
    this.#connStatus = shared.connectionStatus ?? new ConnectionStatusWriter(this.#kube, deps.telemetry.logger, shared.ownsConnection);
    this.#bindings = shared.bindings ?? new WorkspaceBindings();
    this.#usage = 'usage' in shared ? shared.usage : new ConnectionUsage(this.#kube);
  }

  /**
   * The cache now holds version rv of key. A status remembered from an older
   * version is never consulted again (#writeStatus uses it only while the cache
   * still shows the version it was based on), so drop it rather than keep a
   * copy of every Workspace's status for the life of the process.
   */
  cacheCaughtUp(key: string, rv: string | undefined): void {
    const written = this.#written.get(key);
    if (written && written.rv !== rv) this.#written.delete(key);
  }

  /**
   * The key's last reconcile failed in a way only a person can fix, and
   * nothing it depends on changed since: its spec (generation) and its
   * connection's runtime (rebuilt when the connection or its token Secret
   * changes) are the ones it failed under. The resync leaves it alone.
   */
  waitsForChange(key: string, generation: number | undefined, runtime: ConnectionRuntime | undefined): boolean {
    const t = this.#terminal.get(key);
    return t !== undefined && runtime !== undefined && t.generation === generation && t.runtime === runtime;
  }

  /** Statuses remembered while the cache catches up with our writes (for tests and metrics). */
  get pendingStatuses(): number {
    return this.#written.size;
  }

  readonly reconcile = async (key: string): Promise<HandlerResult> => {
    const ws = this.#d.caches.workspace(key);
    if (!ws) {
      for (const rollout of this.#rollouts.values()) rollout.forget(key);
      this.#terminal.delete(key);
      this.#written.delete(key);
      this.#polls.delete(key);
      this.#bindings.forget(key);
      return;
    }
    const now = this.#d.settings.now?.() ?? new Date();
    const conn = lookupConnection(ws, this.#d.caches);
    const valid = validateWorkspace({
      apiVersion: ws.apiVersion,
      kind: ws.kind,
      metadata: { name: ws.metadata.name, namespace: ws.metadata.namespace },
      spec: ws.spec,
    });
    const base = {
      deleting: ws.metadata.deletionTimestamp !== undefined,
      hasFinalizer: (ws.metadata.finalizers ?? []).includes(FINALIZER),
      suspended: ws.spec.suspend === true,
      invalid: valid.ok ? [] : valid.errors,
      policy: ws.spec.deletionPolicy ?? this.#d.settings.deletionPolicy,
      tenancy:
        'missing' in conn
          ? undefined
          : checkTenancy({
              connection: conn.tenancy,
              workspaceNamespace: ws.metadata.namespace ?? 'default',
              namespaceLabels: this.#d.caches.namespaceLabels(ws.metadata.namespace ?? 'default'),
              owner: ws.spec.owner,
            }),
    };
    let decision = decide({ ...base, connection: 'missing' in conn ? conn : 'unchecked' });
    let rt: ConnectionRuntime | undefined;
    if (decision.kind === 'checkConnection' && !('missing' in conn)) {
      rt = await this.#d.connections.runtime(conn.ref);
      await this.#connStatus.write(conn.ref.id, conn.object, rt, now);
      decision = decide({ ...base, connection: rt.state.ready ? { ready: true } : { ready: false, message: rt.state.message } });
    }
    if (!('missing' in conn)) await this.#protectConnection(ws, decision, base.policy, conn);
    const handled = await this.#act(ws, decision, rt, now);
    if (rt && !('missing' in conn)) await this.#writeRolloutSummary(conn.ref.id, conn.object);
    return handled;
  };

  /**
   * A Workspace that will delete its Coder workspace when it is deleted needs
   * its connection and token Secret until then (connection-usage.ts): both
   * finalizers go on before the first create or adoption, as the Workspace's
   * own does. A failure stops the reconcile (nothing is created that a
   * namespace deletion could strand), except for a delete already under way,
   * which must not wait for it.
   */
  async #protectConnection(
    ws: Workspace,
    decision: Decision,
    policy: DeletionPolicy,
    conn: { object: AnyConnection; ref: ConnectionRef },
  ): Promise<void> {
    if (!this.#usage || policy !== 'Delete' || ws.spec.managementPolicies?.includes('Observe')) return;
    if (decision.kind === 'addFinalizer' || decision.kind === 'sync') await this.#usage.protect(conn.object, conn.ref);
    else if (decision.kind === 'delete')
      await this.#usage.protect(conn.object, conn.ref).catch((err: unknown) => {
        this.#d.telemetry.logger.warn(
          { workspace: workspaceKey(ws), connection: conn.ref.id, err },
          'could not keep the connection for the delete',
        );
      });
  }

  /** status.rollout on the connection: its Workspaces per rollout state (its status writer owns the write). */
  async #writeRolloutSummary(id: string, obj: AnyConnection): Promise<void> {
    const rollout = this.#rollouts.get(id);
    if (rollout) await this.#connStatus.writeRollout(id, obj, rollout.counts());
  }

  async #act(ws: Workspace, decision: Decision, rt: ConnectionRuntime | undefined, now: Date): Promise<HandlerResult> {
    const gen = ws.metadata.generation;
    switch (decision.kind) {
      case 'done':
      case 'checkConnection':
        return;
      case 'release':
        this.#d.telemetry.logger.info({ key: workspaceKey(ws), why: decision.why }, 'releasing the workspace: removing the finalizer');
        return this.#removeFinalizer(ws);
      case 'suspended':
        await this.#writeStatus(ws, suspendedStatus(ws.status, gen, now));
        return;
      case 'invalid': {
        const message = decision.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
        await this.#failed(ws, gateStatus(ws.status, gen, now, { status: 'False', reason: 'InvalidSpec', message }));
        return;
      }
      case 'forbidden':
        await this.#failed(ws, gateStatus(ws.status, gen, now, { status: 'False', reason: 'Forbidden', message: decision.message }));
        return;
      case 'connectionNotReady':
        await this.#failed(
          ws,
          gateStatus(ws.status, gen, now, { status: 'False', reason: 'ConnectionNotReady', message: decision.message }),
        );
        // A refused token waits for the connection to change or the resync to re-read its Secret (no
        // Coder calls meanwhile); an unreadable Secret or an unreachable Coder is looked at again soon.
        return rt && !rt.state.ready && rt.state.reason !== 'Unauthorized'
          ? { requeueAfter: this.#d.settings.recheckMs ?? 15_000 }
          : undefined;
      case 'addFinalizer':
        await this.#kube.setFinalizers(ref(ws), [...(ws.metadata.finalizers ?? []), FINALIZER], ws.metadata.resourceVersion);
        return this.#sync(ws, rt!, now);
      case 'delete':
        return this.#delete(ws, rt!, now);
      case 'sync':
        return this.#sync(ws, rt!, now);
    }
  }

  async #sync(ws: Workspace, rt: ConnectionRuntime, now: Date): Promise<HandlerResult> {
    const key = workspaceKey(ws);
    const desired = withOwnerResolved(
      toDesired(ws, { file: key }, { deletionPolicy: this.#d.settings.deletionPolicy }, ws.status?.id),
      meOf(rt),
    );
    const rollout = this.rolloutOf(rt.ref.id);
    const life = {
      previous: this.#lastStatus(ws),
      policy: (rt.ref.spec as { rollout?: RolloutPolicy }).rollout,
      rollout,
      now,
      reread: reconcileRequested(ws),
      epoch: connectionById(rt.ref.id, this.#d.caches)?.metadata.annotations?.[RESUME_ROLLOUT] ?? '',
    };
    const { plan, result, conflict } = await syncOne(rt, desired, this.#d.connections.staleMs, this.#guard(key, rt, desired), life);
    if (conflict) return this.#conflicted(ws, conflict, now);
    const previous = ws.status;
    const failed = failuresOf(result);
    const terminal = allNeedAPerson(failed);
    const computed = this.#statusOf(ws, rt, plan, result, now);
    const status = terminal ? stalledForPerson(computed, now, ws.metadata.generation) : computed;
    rollout.recordStatus(key, status.rollout);
    const handled = requestedAt(ws) ?? previous?.lastHandledReconcileAt;
    if (handled !== undefined) status.lastHandledReconcileAt = handled;
    const events = eventsOf(result, result?.origin);
    // Binding a Workspace to a workspace found by owner + name changes nothing in Coder: the status
    // (id, Synced) records it, and an Event per adopted Workspace was a third write each at scale.
    for (const field of status.lastDrift && status.lastDrift !== previous?.lastDrift && result ? status.lastDrift : [])
      this.#d.telemetry.metrics?.driftCorrections.inc({ field });
    await this.#writeStatus(ws, status);
    await this.#events(ws, events);
    const failures = failed.map((f) => f.error);
    if (failures.some(isTokenRefused)) this.#d.connections.invalidate(rt.ref.id);
    const observed = result?.observed ?? plan.observed;
    this.#d.telemetry.metrics?.recordRollout(rt.ref.id, rollout.byState());
    if (terminal) return this.#stalled(key, ws, rt, failures[0]);
    this.#terminal.delete(key);
    const next = requeueFor(failures, observed, this.#nextPoll(key, failures.length === 0 && buildInProgress(observed)));
    // An update that waits for a slot or a window is looked at again without waiting for the resync.
    const wait = waitRequeueMs(status.rollout?.state);
    return wait !== undefined && next && !('error' in next) && next.requeueAfter === undefined ? { requeueAfter: wait } : next;
  }

  /** The status both doors report (engine/engine.ts), from what this reconcile planned and applied. */
  #statusOf(ws: Workspace, rt: ConnectionRuntime, plan: WorkspacePlan, result: ApplyResult | undefined, now: Date): WorkspaceStatus {
    const engine = rt.engine!; // a sync or a delete runs only on a Ready connection, which has a client
    return engine.status(plan, result, { previous: ws.status, generation: ws.metadata.generation, now });
  }

  /** The rollout of a connection: its slots and the rollout state of each of its Workspaces. */
  rolloutOf(connectionId: string): ConnectionRollout {
    let r = this.#rollouts.get(connectionId);
    if (!r) this.#rollouts.set(connectionId, (r = new ConnectionRollout()));
    return r;
  }

  /** The status as last written, while the cache may still show an older one: the lifecycle's memory. */
  #lastStatus(ws: Workspace): WorkspaceStatus | undefined {
    const written = this.#written.get(workspaceKey(ws));
    return written && written.rv === ws.metadata.resourceVersion ? written.status : ws.status;
  }

  async #delete(ws: Workspace, rt: ConnectionRuntime, now: Date): Promise<HandlerResult> {
    const key = workspaceKey(ws);
    // The status as last written: the cache may not show our latest status.id yet.
    const boundId = this.#lastStatus(ws)?.id ?? ws.status?.id;
    const desired = withOwnerResolved(toDesired(ws, { file: key }, { deletionPolicy: this.#d.settings.deletionPolicy }, boundId), meOf(rt));
    if (desired.observeOnly) {
      // managementPolicies [Observe] never writes to Coder, not even the delete its policy asks for.
      this.#d.telemetry.logger.info({ key }, 'observe only: releasing the workspace without deleting it in Coder');
      return this.#removeFinalizer(ws);
    }
    if (boundId === undefined) {
      // Never bound (e.g. the process died between adding the finalizer and the first create or
      // adoption): a workspace found by owner and name is not this resource's to delete.
      await this.#events(ws, [
        {
          type: 'Warning',
          reason: 'NotDeleted',
          action: 'Delete',
          note: 'not deleted: no Coder workspace is recorded as bound to this Workspace (status.id); removing the finalizer',
        },
      ]);
      return this.#removeFinalizer(ws);
    }
    const step = await deleteOne(rt, desired, this.#d.connections.staleMs, this.#guard(key, rt, desired));
    if (step.gone) {
      await this.#events(ws, [
        { type: 'Normal', reason: 'Deleted', action: 'Delete', note: 'the workspace is gone from Coder; removing the finalizer' },
      ]);
      return this.#removeFinalizer(ws);
    }
    if ('conflict' in step) {
      // The Coder workspace is another Workspace's: deleting this resource must not delete it.
      await this.#events(ws, [
        {
          type: 'Warning',
          reason: 'Conflict',
          action: 'Delete',
          note: `not deleted: ${step.conflict.message.split(';')[0]}; removing the finalizer`,
        },
      ]);
      return this.#removeFinalizer(ws);
    }
    const { plan, result } = step;
    const failed = failuresOf(result);
    const terminal = allNeedAPerson(failed);
    const status = this.#statusOf(ws, rt, plan, result, now);
    await this.#writeStatus(ws, terminal ? stalledForPerson(status, now, ws.metadata.generation) : status);
    await this.#events(ws, eventsOf(result));
    if (terminal) return this.#stalled(key, ws, rt, failed[0]!.error);
    this.#terminal.delete(key);
    const next = requeueFor(
      failuresOf(result).map((f) => f.error),
      undefined,
      0,
    );
    // Never block a worker on the build: look again shortly.
    return next && ('error' in next || next.requeueAfter !== undefined) ? next : { requeueAfter: this.#nextPoll(key, true) };
  }

  /** A failure only a person can fix: no retry until the spec, the connection or its Secret changes (terminal.ts). */
  #stalled(key: string, ws: Workspace, rt: ConnectionRuntime, error: unknown): HandlerResult {
    this.#terminal.set(key, { generation: ws.metadata.generation, runtime: rt });
    this.#polls.delete(key);
    return { error: new TerminalError(error) };
  }

  /** Asked before anything is done in Coder: may key act on this workspace? Claims it when it may. */
  #guard(key: string, rt: ConnectionRuntime, desired: { owner: string; name: string }): BindingGuard {
    const identity = nameIdentity(rt.ref.spec.url, desired.owner, desired.name);
    return this.#bindings.guardFor(key, identity, (k) => this.#d.caches.workspace(k) !== undefined);
  }

  /** Another Workspace holds the Coder workspace: say so, let go of any binding, change nothing in Coder. */
  async #conflicted(ws: Workspace, conflict: BindingConflictError, now: Date): Promise<HandlerResult> {
    this.#bindings.release(workspaceKey(ws));
    const kept: WorkspaceStatus = {};
    if (ws.status?.conditions) kept.conditions = ws.status.conditions;
    await this.#failed(
      ws,
      gateStatus(kept, ws.metadata.generation, now, { status: 'False', reason: 'Conflict', message: conflict.message }),
    );
    // No requeue: the holder's deletion or release enqueues this one again (operator.ts), and so does each resync.
    return;
  }

  async #removeFinalizer(ws: Workspace): Promise<HandlerResult> {
    try {
      await this.#kube.setFinalizers(
        ref(ws),
        (ws.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
        ws.metadata.resourceVersion,
      );
    } catch (error) {
      if (!isKubeNotFound(error)) throw error;
    }
    this.#written.delete(workspaceKey(ws));
    this.#polls.delete(workspaceKey(ws));
  }

  /** The delay before the next look at a running build (and a count of looks); forgets the count once it is not polling. */
  #nextPoll(key: string, polling: boolean): number {
    if (!polling) {
      this.#polls.delete(key);
      return 0;
    }
    const attempt = this.#polls.get(key) ?? 0;
    this.#polls.set(key, attempt + 1);
    return buildPollDelay(attempt, this.#d.settings.buildPoll ?? DEFAULT_BUILD_POLL);
  }

  /** A gate failure: status, and a Warning Event only when the status changed (no Event per retry). */
  async #failed(ws: Workspace, status: WorkspaceStatus): Promise<void> {
    if (!(await this.#writeStatus(ws, status))) return;
    const synced = status.conditions?.find((c) => c.type === 'Synced');
    if (synced) await this.#events(ws, [{ type: 'Warning', reason: synced.reason, action: 'Reconcile', note: synced.message }]);
  }

  /** Merge patch of the status subresource, only when it changed; true when written. */
  async #writeStatus(ws: Workspace, next: WorkspaceStatus): Promise<boolean> {
    const key = workspaceKey(ws);
    const rv = ws.metadata.resourceVersion;
    const written = this.#written.get(key);
    const previous = written && written.rv === rv ? written.status : ws.status;
    if (!statusChanged(previous, next)) return false;
    try {
      await this.#kube.patchStatus(ref(ws), mergePatch(previous as Record<string, unknown> | undefined, next as Record<string, unknown>));
    } catch (error) {
      if (isKubeNotFound(error)) return false;
      throw error;
    }
    this.#written.set(key, { rv, status: next });
    this.#bindings.observe(key, next.id);
    return true;
  }

  async #events(ws: Workspace, events: EventSpec[]): Promise<void> {
    for (const e of events) {
      try {
        await this.#kube.event({ regarding: ref(ws), ...e });
      } catch (error) {
        // An Event is a courtesy: losing one must not fail or repeat the reconcile.
        this.#d.telemetry.logger.warn({ key: workspaceKey(ws), reason: e.reason, err: error }, 'could not record an Event');
      }
    }
  }
}

/** One Event per change made in Coder and per failure (outcome-events.ts). */
function eventsOf(result: ApplyResult | undefined, origin?: ApplyResult['origin']): EventSpec[] {
  return (result?.outcomes ?? []).map((o) => outcomeEvent(o, origin)).filter((e) => e !== undefined);
}

function ref(ws: Workspace): ObjectRef {
  return {
    kind: 'Workspace',
    namespace: ws.metadata.namespace ?? 'default',
    name: ws.metadata.name,
    ...(ws.metadata.uid ? { uid: ws.metadata.uid } : {}),
  };
}

/** `owner: me` is the connection token's user, resolved once by the connection check (coder-check.ts). */
function meOf(rt: ConnectionRuntime): WorkspaceOwner | undefined {
  return rt.state.ready ? rt.state.me : undefined;
}
