// The WorkspaceSet controller as the operator runs it: an informer of sets, a
// work queue of set keys with its own workers (a set's pass can write
// thousands of children; it must not hold the Workspace workers, nor they
// it), and the watches that enqueue a set:
//   - the set itself: added, its spec changed (generation), deleted, or an
//     annotation it reads changed (acknowledge-removals, reconcile-requested-at);
//     its own status writes do not enqueue it;
//   - its children: any change to a Workspace it controls (status included,
//     so ready/updating/failed follow the children), or one leaving;
//   - its connection, and namespace labels (tenancy of a ClusterCoderConnection).
// Each pass returns when to look again (the next refresh), so no timer of its own.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { DeletionPolicy, WorkspaceSet } from '../../api/schema.ts';
import type { ResourceInformer } from '../../kube/informer.ts';
import { cachedListAs } from '../cached-as.ts';
import { runWorkers } from '../../kube/run-workers.ts';
import { WorkQueue } from '../../kube/work-queue.ts';
import type { OperatorMetrics } from '../../observability/metrics.ts';
import { informerFor } from '../informer-for.ts';
import { RECONCILE_REQUESTED_AT } from '../workspace/reconcile-request.ts';
import { ACKNOWLEDGE_REMOVALS } from './acknowledge.ts';
import { ChildIndex } from './child-index.ts';
import { trimSetForCache, WORKSPACE_SETS } from './resource.ts';
import { SetMetrics } from './set-metrics.ts';
import { SetReconciler, type SetReconcilerDeps, type SetWriter } from './set-reconciler.ts';

/** Child status changes within this long are counted in one pass. */
const STATUS_BATCH_MS = 1_000;

interface WorkspaceSetControllerOptions
  extends Omit<SetReconcilerDeps, 'set' | 'workspace' | 'children' | 'kube' | 'metrics' | 'logger' | 'deletionPolicy'> {
  kubeConfig: KubeConfig;
  namespaces?: string[];
  /** The shard's selector (../shard.ts): the sets this instance owns, as for Workspaces. */
  labelSelector?: string;
  /** The operator's Workspace informer: children are read from its cache, never listed again. */
  workspaces: ResourceInformer<KubernetesObject>;
  /** The operator's one Kubernetes writer (../kube-writer.ts), behind its token scrubbing. */
  kube: SetWriter;
  logger: Logger;
  metrics: Pick<OperatorMetrics, 'registry'>;
  deletionPolicy: DeletionPolicy;
  /** Workers for set passes. Default 2. */
  workers?: number;
}

export class WorkspaceSetController {
  readonly informer: ResourceInformer<KubernetesObject>;
  readonly queue = new WorkQueue();
  readonly children = new ChildIndex();
  readonly reconciler: SetReconciler;
  readonly #o: WorkspaceSetControllerOptions;

  constructor(o: WorkspaceSetControllerOptions) {
    this.#o = o;
    this.informer = informerFor<KubernetesObject>(o.kubeConfig, WORKSPACE_SETS, {
      logger: o.logger,
      trim: trimSetForCache,
      ...(o.namespaces && o.namespaces.length > 0 ? { namespaces: o.namespaces } : {}),
      ...(o.labelSelector ? { labelSelector: o.labelSelector } : {}),
    });
    this.reconciler = new SetReconciler({
      ...o,
      set: (key) => this.informer.get(key) as WorkspaceSet | undefined,
      workspace: (key) => o.workspaces.get(key) as never,
      children: this.children,
      metrics: new SetMetrics(o.metrics),
      logger: o.logger.child({ controller: 'workspaceset' }),
    });
    this.#wire();
  }

  #wire(): void {
    const enqueue = (obj: KubernetesObject) => {
      const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
      this.reconciler.markDirty(key);
      this.queue.add(key);
    };
    this.informer.on('add', enqueue);
    this.informer.on('update', (set, old) => {
      const key = `${set.metadata?.namespace}/${set.metadata?.name}`;
      this.reconciler.cacheCaughtUp(key, set.metadata?.resourceVersion);
      const m = set.metadata ?? {};
      const p = old.metadata ?? {};
      if (
        m.generation !== p.generation ||
        m.deletionTimestamp !== p.deletionTimestamp ||
        m.uid !== p.uid ||
        m.annotations?.[ACKNOWLEDGE_REMOVALS] !== p.annotations?.[ACKNOWLEDGE_REMOVALS] ||
        m.annotations?.[RECONCILE_REQUESTED_AT] !== p.annotations?.[RECONCILE_REQUESTED_AT]
      )
        enqueue(set);
    });
    this.informer.on('delete', enqueue);
    this.children.watch(this.#o.workspaces, (owner, structural) => {
      if (structural) {
        this.reconciler.markDirty(owner.key);
        this.queue.add(owner.key);
      }
      // Only a child's status moved: the counts follow, at most once a second however many children report.
      else this.queue.addAfter(owner.key, STATUS_BATCH_MS);
    });
  }

  /** Every set in the cache. */
  sets(): WorkspaceSet[] {
    return cachedListAs<WorkspaceSet>(this.informer.list());
  }

  /** A connection changed: the sets that read their members through it look again. */
  connectionChanged(id: string, connectionIdOfSet: (set: WorkspaceSet) => string): void {
    for (const set of this.sets()) if (connectionIdOfSet(set) === id) this.#wake(`${set.metadata.namespace}/${set.metadata.name}`);
  }

  /** A namespace's labels changed: its sets look again (ClusterCoderConnection rules select by label). */
  namespaceChanged(namespace: string): void {
    for (const set of this.sets()) if (set.metadata.namespace === namespace) this.#wake(`${namespace}/${set.metadata.name}`);
  }

  #wake(key: string): void {
    this.reconciler.markDirty(key);
    this.queue.add(key);
  }

  /** Runs the workers until the queue is shut down. */
  run(): Promise<void> {
    return runWorkers(
      this.queue,
      this.#o.workers ?? 2,
      (key) => this.reconciler.reconcile(key),
      this.#o.logger.child({ queue: 'workspacesets' }),
    );
  }

  shutDown(): Promise<void> {
    return this.queue.shutDownWithDrain();
  }
}
