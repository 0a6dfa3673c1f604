// Wiring informers to a work queue, as controller-runtime's builder: `For` the
// primary resource (its own key, filtered by predicates) and `Watches` other
// resources mapped to the primary keys they affect. What each controller
// reacts to is then a list of named predicates, not a handler body to read.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ResourceInformer } from './informer.ts';
import type { UpdatePredicate } from './predicates.ts';
import type { WorkQueue } from './work-queue.ts';

interface ForOptions<T extends KubernetesObject> {
  key(object: T): string;
  /** Which updates enqueue; default every one. Adds and deletes always do. */
  update?: UpdatePredicate<T>;
  /** The priority of the first list's adds (the resync's, so new work is not stuck behind them). */
  initialListPriority?: number;
}

interface WatchOptions<T extends KubernetesObject> {
  /** The primary keys an event of this object concerns. */
  map(object: T): Iterable<string>;
  /** Which updates enqueue; default every one. */
  update?: UpdatePredicate<T>;
  /** Whether adds and deletes enqueue; default true. */
  add?: boolean;
  delete?: boolean;
}

export class ControllerBuilder {
  readonly #queue: Pick<WorkQueue, 'add'>;

  constructor(queue: Pick<WorkQueue, 'add'>) {
    this.#queue = queue;
  }

  /** The primary resource: each event enqueues the object's own key. */
  for<T extends KubernetesObject>(informer: ResourceInformer<T>, o: ForOptions<T>): this {
    informer.on('add', (object, { inInitialList }) => {
      if (inInitialList && o.initialListPriority !== undefined) this.#queue.add(o.key(object), o.initialListPriority);
      else this.#queue.add(o.key(object));
    });
    informer.on('update', (object, old) => {
      if (!o.update || o.update(object, old)) this.#queue.add(o.key(object));
    });
    informer.on('delete', (object) => this.#queue.add(o.key(object)));
    return this;
  }

  /** Another resource: each event that passes the filters enqueues the keys it maps to. */
  watches<T extends KubernetesObject>(informer: ResourceInformer<T>, o: WatchOptions<T>): this {
    const enqueue = (object: T) => {
      for (const key of o.map(object)) this.#queue.add(key);
    };
    if (o.add !== false) informer.on('add', (object) => enqueue(object));
    informer.on('update', (object, old) => {
      if (!o.update || o.update(object, old)) enqueue(object);
    });
    if (o.delete !== false) informer.on('delete', (object) => enqueue(object));
    return this;
  }
}
