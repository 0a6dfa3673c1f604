// The in-cluster operator assembled: informers (Workspaces, CoderConnections,
// ClusterCoderConnections, Namespaces) feed two work queues, one of Workspace
// keys (workers run the Reconciler) and one of connection ids (a worker runs
// the ConnectionReconciler, so a connection reports its status whether or not
// a Workspace uses it), and the WorkspaceSet controller's own informer, queue
// and workers (./workspaceset/controller.ts); a resync timer refreshes each connection's snapshot
// with one list and enqueues only what needs it. Workers and resync run only while
// leading (caches warm on every replica). stop() stops taking work, lets the
// in-flight reconciles finish, then releases the lease.
import { RECONCILE_REQUESTED_AT } from './workspace/reconcile-request.ts';
import { RESUME_ROLLOUT } from './workspace/rollout.ts';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ClusterCoderConnection, CoderConnection, DeletionPolicy, Workspace } from '../api/schema.ts';
import { CoderClient } from '../coder/client.ts';
import type { OperatorMetrics } from '../observability/metrics.ts';
import { connectionId, connectionIdOf, connectionRefOf, lookupConnection, type AnyConnection } from './connection/lookup.ts';
import { ConnectionReconciler } from './connection/reconciler.ts';
import { ConnectionSlots } from './connection/slots.ts';
import { ConnectionUsage } from './connection/usage.ts';
import { ConnectionStatusWriter } from './connection/status-writer.ts';
import { ConnectionRegistry, type ConnectionRef } from './connection/registry.ts';
import { WorkspaceBindings } from './workspace/bindings.ts';
import type { ResourceInformer } from '../kube/informer.ts';
import { informerFor } from './informer-for.ts';
import { cachedAs, cachedListAs } from './cached-as.ts';
import { kubeWriter, type KubeWriter } from './kube-writer.ts';
import { scrubbingKubeWriter } from './scrubbing-kube-writer.ts';
import { defaultIdentity, LeaderElector } from '../kube/leader-election.ts';
import { kubeLeaseClient } from '../kube/lease-client.ts';
import { Reconciler } from './workspace/reconciler.ts';
import { CLUSTER_CODER_CONNECTIONS, CODER_CONNECTIONS, NAMESPACES, WORKSPACES } from './resources.ts';
import { needsReconcile } from './workspace/resync.ts';
import { LOW_PRIORITY } from '../kube/priority-fifo.ts';
import { runWorkers } from '../kube/run-workers.ts';
import { WorkQueue } from '../kube/work-queue.ts';
import { ControllerBuilder } from '../kube/controller-builder.ts';
import { annotationChanged, anyOf, deletionChanged, finalizersChanged, generationChanged, labelsChanged } from '../kube/predicates.ts';
import { departureOf, Shard } from './shard.ts';
import { WorkspaceSetController } from './workspaceset/controller.ts';
import { memberReaderFor } from './workspaceset/member-reader.ts';
import { setConnectionId } from './workspaceset/set-connection.ts';

interface OperatorOptions {
  kubeConfig: KubeConfig;
  namespaces?: string[];
  concurrency: number;
  resyncMs: number;
  deletionPolicy: DeletionPolicy;
  leaderElection?: {
    namespace: string;
    id: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
    identity?: string;
  };
  coderTimeoutMs?: number;
  /** --max-list-items, --list-deadline: bounds on each connection's workspace list (src/coder/client.ts). */
  coderListBounds?: { maxItems?: number; deadlineMs?: number };
  logger: Logger;
  metrics: OperatorMetrics;
  /** Replaces the Kubernetes writes, the WorkspaceSet controller's too (tests). */
  kube?: KubeWriter;
  /** --watch-label-selector (./shard.ts): the Workspaces and connection statuses this instance owns. Default: all. */
  shard?: Shard;
  /** Called when the lease is lost (not on stop): the process should exit, as client-go's do. */
  onLostLease?: () => void;
}

export class Operator {
  // Typed as plain KubernetesObjects (client-node's metadata types Dates; the
  // JSON carries strings, as our schema types say): the getters below cast.
  readonly workspaceInformer: ResourceInformer<KubernetesObject>;
  readonly connectionsInformer: ResourceInformer<KubernetesObject>;
  readonly clusterConnections: ResourceInformer<KubernetesObject>;
  readonly namespaceInformer: ResourceInformer<KubernetesObject>;
  readonly queue = new WorkQueue();
  /** Connection ids (`CoderConnection/ns/name`, `ClusterCoderConnection/name`). */
  readonly connectionQueue = new WorkQueue();
  readonly registry: ConnectionRegistry;
  readonly reconciler: Reconciler;
  readonly connectionReconciler: ConnectionReconciler;
  /** WorkspaceSets: their own informer, queue and workers (./workspaceset/controller.ts). */
  readonly workspaceSets: WorkspaceSetController;
  /** Which Workspace holds which Coder workspace (status.id), kept from the cache. */
  readonly bindings = new WorkspaceBindings();
  /** Reconciles per connection holding a worker: one while its server is suspected of hanging. */
  readonly slots: ConnectionSlots;
  readonly shard: Shard;
  readonly #o: OperatorOptions;
  readonly #stop = new AbortController();
  #leading = false;
  #running: Promise<void> | undefined;
  readonly #startedAt = Date.now();

  constructor(o: OperatorOptions) {
    this.#o = o;
    this.shard = o.shard ?? new Shard();
    const inf = { logger: o.logger, ...(o.namespaces && o.namespaces.length > 0 ? { namespaces: o.namespaces } : {}) };
    // Only the Workspaces go through the shard's selector; connections are read whole (./shard.ts).
    const selector = this.shard.labelSelector;
    this.workspaceInformer = informerFor<KubernetesObject>(o.kubeConfig, WORKSPACES, {
      ...inf,
      ...(selector ? { labelSelector: selector } : {}),
    });
    this.connectionsInformer = informerFor<KubernetesObject>(o.kubeConfig, CODER_CONNECTIONS, inf);
    this.clusterConnections = informerFor<KubernetesObject>(o.kubeConfig, CLUSTER_CODER_CONNECTIONS, { logger: o.logger });
    this.namespaceInformer = informerFor<KubernetesObject>(o.kubeConfig, NAMESPACES, { logger: o.logger });
    const kube = scrubbingKubeWriter(o.kube ?? kubeWriter(o.kubeConfig, o.leaderElection?.identity ?? defaultIdentity()));
    this.registry = new ConnectionRegistry({
      readSecret: (ns, name, key) => kube.readSecret(ns, name, key),
      makeApi: (c) =>
        new CoderClient({
          ...c,
          logger: o.logger,
          onResponse: o.metrics.onCoderResponse,
          circuitBreaker: c.breaker,
          ...(o.coderTimeoutMs ? { timeoutMs: o.coderTimeoutMs } : {}),
          ...(o.coderListBounds?.maxItems ? { listMaxItems: o.coderListBounds.maxItems } : {}),
          ...(o.coderListBounds?.deadlineMs ? { listDeadlineMs: o.coderListBounds.deadlineMs } : {}),
        }),
      logger: o.logger,
      // A hanging server is left alone for one request timeout before a trial request.
      breakerCooldownMs: o.coderTimeoutMs ?? 30_000,
    });
    this.slots = new ConnectionSlots({ suspect: (id) => this.registry.suspect(id), requeue: (key) => this.queue.add(key) });
    const caches = {
      coderConnection: (key: string) => this.connectionsInformer.get(key) as CoderConnection | undefined,
      clusterCoderConnection: (name: string) => this.clusterConnections.get(name) as ClusterCoderConnection | undefined,
    };
    const ownsConnection = (c: AnyConnection) => this.shard.ownsConnection(c.metadata.labels);
    const connectionStatus = new ConnectionStatusWriter(kube, o.logger, ownsConnection);
    // Sharded, an instance sees only its share of the Workspaces and could not tell when a
    // connection is no longer needed: connections are not kept then (docs/operator/sharding.md).
    const usage = this.shard.sharded ? undefined : new ConnectionUsage(kube);
    this.connectionReconciler = new ConnectionReconciler({
      ...caches,
      connections: this.registry,
      statusWriter: connectionStatus,
      ...(usage ? { usage, neededForDelete: (id: string) => this.#neededForDelete(id) } : {}),
    });
    this.reconciler = new Reconciler({
      caches: {
        workspace: (key) => this.#ws(key),
        ...caches,
        namespaceLabels: (ns) => this.namespaceInformer.get(ns)?.metadata?.labels ?? (this.namespaceInformer.hasSynced() ? {} : undefined),
      },
      connections: this.registry,
      kube,
      settings: { deletionPolicy: o.deletionPolicy },
      shared: { connectionStatus, bindings: this.bindings, ownsConnection, usage },
      telemetry: { logger: o.logger, metrics: o.metrics },
    });
    this.workspaceSets = new WorkspaceSetController({
      ...caches,
      kubeConfig: o.kubeConfig,
      ...(o.namespaces ? { namespaces: o.namespaces } : {}),
      ...(selector ? { labelSelector: selector, visible: (labels) => this.shard.ownsConnection(labels) } : {}),
      workspaces: this.workspaceInformer,
      kube,
      namespaceLabels: (ns) => this.namespaceInformer.get(ns)?.metadata?.labels ?? (this.namespaceInformer.hasSynced() ? {} : undefined),
      connections: this.registry,
      readerFor: memberReaderFor,
      defaultRefreshMs: o.resyncMs,
      deletionPolicy: o.deletionPolicy,
      logger: o.logger,
      metrics: o.metrics,
    });
    this.#wire();
  }

  /** A Workspace that will delete its Coder workspace (deletionPolicy Delete, not observe-only) uses this connection. */
  #neededForDelete(id: string): boolean {
    return this.workspaces().some(
      (ws) =>
        connectionIdOf(ws) === id &&
        (ws.spec.deletionPolicy ?? this.#o.deletionPolicy) === 'Delete' &&
        !ws.spec.managementPolicies?.includes('Observe'),
    );
  }

  #ws(key: string): Workspace | undefined {
    return this.workspaceInformer.get(key) as Workspace | undefined;
  }

  /** Every Workspace in the cache. */
  workspaces(): Workspace[] {
    return cachedListAs<Workspace>(this.workspaceInformer.list());
  }

  #wire(): void {
    const workspacesOf = (id: string) =>
      this.workspaces()
        .filter((ws) => connectionIdOf(ws) === id)
        .map(wsKey);
    // What enqueues a Workspace (controller-runtime's builder, src/kube/controller-builder.ts). Our own
    // status writes change none of these, so they do not echo; the initial list goes in at low
    // priority, as the resync does, so a Workspace applied while thousands wait is reconciled next.
    new ControllerBuilder(this.queue)
      .for(this.workspaceInformer, {
        key: wsKey,
        update: anyOf(annotationChanged(RECONCILE_REQUESTED_AT), generationChanged, deletionChanged, finalizersChanged, labelsChanged),
        initialListPriority: LOW_PRIORITY,
      })
      // A connection's change (spec, or a new resume-rollout value) concerns every Workspace using it.
      .watches(this.connectionsInformer, {
        map: (c) => workspacesOf(connectionObjectId('CoderConnection', c)),
        update: anyOf(generationChanged, annotationChanged(RESUME_ROLLOUT)),
      })
      .watches(this.clusterConnections, {
        map: (c) => workspacesOf(connectionObjectId('ClusterCoderConnection', c)),
        update: anyOf(generationChanged, annotationChanged(RESUME_ROLLOUT)),
      })
      // Tenancy can select namespaces by label: a label change can allow or deny.
      .watches(this.namespaceInformer, {
        map: (ns) =>
          this.workspaces()
            .filter((ws) => ws.metadata.namespace === ns.metadata?.name)
            .map(wsKey),
        update: labelsChanged,
        add: false,
        delete: false,
      });

    // Every binding change, status writes included; a Workspace that met this one in a Conflict
    // is looked at again once this one lets go of the Coder workspace.
    const observeBinding = (ws: KubernetesObject) => {
      for (const waiting of this.bindings.observe(wsKey(ws), cachedAs<Workspace>(ws).status?.id)) this.queue.add(waiting);
    };
    this.workspaceInformer.on('add', (ws) => observeBinding(ws));
    this.workspaceInformer.on('update', (ws, old) => {
      this.reconciler.cacheCaughtUp(wsKey(ws), ws.metadata?.resourceVersion);
      observeBinding(ws);
      // A policy or connection change may free the old connection or need the new one kept.
      if (generationChanged(ws, old)) {
        this.connectionQueue.add(connectionIdOf(cachedAs<Workspace>(ws)));
        this.connectionQueue.add(connectionIdOf(cachedAs<Workspace>(old)));
      }
    });
    this.workspaceInformer.on('delete', (ws) => {
      // The connection may no longer be needed for a delete: let it go (connection-usage.ts).
      this.connectionQueue.add(connectionIdOf(cachedAs<Workspace>(ws)));
      // Gone from the cache, whichever way (./shard.ts): the reconcile then only forgets it; no deletion runs.
      if (departureOf(ws).kind === 'left')
        this.#o.logger[this.shard.sharded ? 'info' : 'debug'](
          { workspace: wsKey(ws) }, // not `key`: the logger redacts that field
          'workspace left the cache (deleted, or relabelled out of this shard): forgotten, finalizer untouched',
        );
      for (const waiting of this.bindings.forget(wsKey(ws))) this.queue.add(waiting);
    });
    // A connection's own change (not a status write, not only a resume): check it again.
    for (const [informer, kind] of [
      [this.connectionsInformer, 'CoderConnection'],
      [this.clusterConnections, 'ClusterCoderConnection'],
    ] as const) {
      const connectionChanged = (c: KubernetesObject) => {
        const id = connectionObjectId(kind, c);
        this.registry.invalidate(id);
        if (this.shard.ownsConnection(c.metadata?.labels)) this.connectionQueue.add(id);
        this.workspaceSets.connectionChanged(id, setConnectionId);
      };
      informer.on('add', connectionChanged);
      informer.on('update', (c, old) => {
        if (generationChanged(c, old)) connectionChanged(c);
      });
      informer.on('delete', connectionChanged);
    }
    // Tenancy can select namespaces by label: the sets of a relabelled namespace look again.
    this.namespaceInformer.on('update', (ns, old) => {
      if (labelsChanged(ns, old)) this.workspaceSets.namespaceChanged(ns.metadata?.name ?? '');
    });
  }

  informers(): Array<[string, ResourceInformer<KubernetesObject>]> {
    return [
      ['workspaces', this.workspaceInformer],
      ['coderconnections', this.connectionsInformer],
      ['clustercoderconnections', this.clusterConnections],
      ['namespaces', this.namespaceInformer],
      ['workspacesets', this.workspaceSets.informer],
    ];
  }

  /** Starts the informers, then (after winning the lease, if asked) the workers. Resolves when stopped. */
  start(): Promise<void> {
    for (const [, i] of this.informers()) i.start();
    this.#running = this.#o.leaderElection ? this.#elect() : this.#lead(this.#stop.signal);
    return this.#running;
  }

  async #elect(): Promise<void> {
    const le = this.#o.leaderElection!;
    const elector = new LeaderElector({
      lease: kubeLeaseClient(this.#o.kubeConfig, le.namespace, le.id),
      ...(le.identity ? { identity: le.identity } : {}),
      leaseDurationMs: le.leaseDurationMs,
      renewDeadlineMs: le.renewDeadlineMs,
      retryPeriodMs: le.retryPeriodMs,
      logger: this.#o.logger,
      onStartedLeading: (signal) => this.#lead(signal),
      onStoppedLeading: () => {
        this.#leading = false;
        this.#o.metrics.leader.set(0);
        if (!this.#stop.signal.aborted) this.#o.onLostLease?.();
      },
    });
    await elector.run(this.#stop.signal);
  }

  /** Workers and resync until signal aborts; then drain the in-flight reconciles. */
  async #lead(signal: AbortSignal): Promise<void> {
    this.#leading = true;
    this.#o.metrics.leader.set(1);
    for (const [, i] of this.informers()) await i.waitForSync(signal).catch(() => undefined);
    if (signal.aborted) return;
    let resyncing = false;
    // A resync slower than the period (a slow Coder) must not pile up lists: skip a tick instead.
    const timer = setInterval(() => {
      if (resyncing) return;
      resyncing = true;
      void this.resync()
        .catch((err: unknown) => this.#o.logger.warn({ err }, 'resync failed'))
        .finally(() => (resyncing = false));
    }, this.#o.resyncMs);
    const gauges = setInterval(() => this.#recordGauges(), 1000);
    signal.addEventListener(
      'abort',
      () => {
        clearInterval(timer);
        clearInterval(gauges);
        void this.queue.shutDownWithDrain();
        void this.connectionQueue.shutDownWithDrain();
        void this.workspaceSets.shutDown();
      },
      { once: true },
    );
    this.#o.logger.info({ concurrency: this.#o.concurrency }, 'workers started');
    const m = this.#o.metrics;
    // Connections are few and each check is a couple of Coder calls: two workers, so one slow
    // server does not hold up the others' status.
    const connectionWorkers = runWorkers(
      this.connectionQueue,
      2,
      (id) => this.connectionReconciler.reconcile(id),
      this.#o.logger.child({ queue: 'connections' }),
    );
    const setWorkers = this.workspaceSets.run();
    await runWorkers(
      this.queue,
      this.#o.concurrency,
      async (key) => {
        const ws = this.#ws(key);
        // One tenant's hanging server holds at most one worker (connection-slots.ts).
        const slotted = await this.slots.run(ws ? connectionIdOf(ws) : undefined, key, async () => {
          const end = m.reconcileDuration.startTimer();
          const result = await this.reconciler.reconcile(key).catch((error: unknown) => ({ error }));
          return { end, result };
        });
        if (!slotted) return; // parked: queued again when the connection's running reconcile ends
        const { end, result } = slotted;
        const label = result && 'error' in result ? 'error' : result && result.requeueAfter !== undefined ? 'requeue' : 'success';
        end({ result: label });
        m.reconciles.inc({ result: label });
        if (label === 'error') m.reconcileErrors.inc();
        return result;
      },
      this.#o.logger,
    );
    await connectionWorkers;
    await setWorkers;
    this.#o.logger.info('workers stopped; in-flight reconciles finished');
  }

  /**
   * One list per connection, then enqueue only the Workspaces that need it,
   * and every connection (its reconcile writes a status only when it changed).
   */
  async resync(): Promise<number> {
    const all = this.workspaces();
    const refs = new Map<string, ConnectionRef>();
    // Every connection this instance owns, used or not: a connection's status is checked periodically
    // too. Another shard's connection is refreshed here only if this shard's Workspaces use it (below).
    const owned = new Set<string>();
    for (const c of cachedListAs<AnyConnection>([...this.connectionsInformer.list(), ...this.clusterConnections.list()])) {
      if (!this.shard.ownsConnection(c.metadata.labels)) continue;
      const ref = connectionRefOf(c);
      refs.set(ref.id, ref);
      owned.add(ref.id);
    }
    for (const ws of all) {
      const c = lookupConnection(ws, {
        coderConnection: (k) => this.connectionsInformer.get(k) as CoderConnection | undefined,
        clusterCoderConnection: (n) => this.clusterConnections.get(n) as ClusterCoderConnection | undefined,
      });
      if (!('missing' in c)) refs.set(c.ref.id, c.ref);
    }
    const runtimes = new Map((await this.registry.resync([...refs.values()])).map((rt) => [rt.ref.id, rt]));
    for (const id of owned) this.connectionQueue.add(id);
    let queued = 0;
    const now = new Date();
    for (const ws of all) {
      const rt = runtimes.get(connectionIdOf(ws));
      // Failed in a way only a person can fix, and nothing changed since (workspace/terminal.ts).
      if (this.reconciler.waitsForChange(wsKey(ws), ws.metadata.generation, rt)) continue;
      const need =
        !rt?.state.ready ||
        needsReconcile(ws, rt.snapshot, { deletionPolicy: this.#o.deletionPolicy, coderUrl: rt.ref.spec.url, now, me: rt.state.me });
      if (need) {
        this.queue.add(wsKey(ws), LOW_PRIORITY);
        queued++;
      }
    }
    this.#o.logger.info({ workspaces: all.length, connections: refs.size, queued }, 'resync');
    return queued;
  }

  #recordGauges(): void {
    const m = this.#o.metrics;
    m.queueDepth.set(this.queue.len());
    m.queueInFlight.set(this.queue.inFlight());
    for (const [name, i] of this.informers())
      for (const [stat, v] of Object.entries(i.stats())) m.informerEvents.set({ resource: name, stat }, v);
  }

  /** undefined when alive: the informers have synced, or it is still early. */
  liveness(): string | undefined {
    const stuck = this.informers()
      .filter(([, i]) => !i.hasSynced())
      .map(([n]) => n);
    return stuck.length > 0 && Date.now() - this.#startedAt > 5 * 60_000
      ? `informers not synced after 5 minutes: ${stuck.join(', ')}`
      : undefined;
  }

  /** undefined when ready: caches synced and, on the leader, every connection in use checked once. */
  readiness(): string | undefined {
    const unsynced = this.informers()
      .filter(([, i]) => !i.hasSynced())
      .map(([n]) => n);
    if (unsynced.length > 0) return `caches not synced: ${unsynced.join(', ')}`;
    if (!this.#leading) return undefined;
    const unchecked = new Set<string>();
    for (const ws of this.workspaces()) {
      const id = connectionIdOf(ws);
      if (!this.registry.checked(id) && this.#connectionExists(id)) unchecked.add(id);
    }
    return unchecked.size > 0 ? `connections not checked yet: ${[...unchecked].join(', ')}` : undefined;
  }

  #connectionExists(id: string): boolean {
    const [kind, a, b] = id.split('/');
    return kind === 'CoderConnection'
      ? this.connectionsInformer.get(`${a}/${b}`) !== undefined
      : this.clusterConnections.get(a!) !== undefined;
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /** Stop taking work, finish in-flight reconciles, release the lease, stop the informers. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.all([this.queue.shutDownWithDrain(), this.connectionQueue.shutDownWithDrain(), this.workspaceSets.shutDown()]);
    await this.#running?.catch(() => undefined);
    await Promise.all(this.informers().map(([, i]) => i.stop()));
    await this.registry.close();
  }
}

/** The registry's id of a connection object; the informer says which kind (list items may omit it). */
function connectionObjectId(kind: AnyConnection['kind'], c: KubernetesObject): string {
  return connectionId(kind, c.metadata?.namespace, c.metadata?.name ?? '');
}

function wsKey(ws: KubernetesObject | Workspace): string {
  return `${ws.metadata?.namespace}/${ws.metadata?.name}`;
}
