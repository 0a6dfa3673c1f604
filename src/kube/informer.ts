// A resilient informer: list + watch of one resource path into a cache, with
// add/update/delete for subscribers. It runs client-node 2.x's ListWatch (the
// class makeInformer returns; used directly because makeInformer cannot pass a
// field selector) and covers what ListWatch leaves to its caller:
//   - on an 'error' event ListWatch stops for good: we restart it, after a
//     jittered exponential backoff (./restart-backoff.ts);
//   - a watch can stall silently (a list that never answers, a connection that
//     stays open and delivers nothing): a watchdog relists when nothing was
//     heard for quietRelistMs;
//   - 410 Gone: ListWatch relists itself; we see it as a list like any other.
// Every (re)start is a fresh ListWatch with a fresh list, diffed against our own
// cache (./object-cache.ts), so subscribers see only real changes, including
// deletes that happened while no watch was running. Callbacks from a replaced
// ListWatch are ignored by generation: stopping one makes it report its own
// abort as an error.
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { systemClock, type Clock, type TimerHandle } from './clock.ts';
import type { ListFn, Selectors } from './listers.ts';
import { ObjectCache, type CacheEvent } from './object-cache.ts';
import { DEFAULT_RESTART_BACKOFF, failuresAfterError, restartDelay, type RestartBackoff } from './restart-backoff.ts';
import { withTimeout } from './with-timeout.ts';

export interface InformerListeners<T> {
  add: (object: T) => void;
  update: (object: T, old: T) => void;
  delete: (object: T) => void;
}

export type InformerEvent = keyof InformerListeners<unknown>;

export interface InformerStats {
  /** Lists that completed (initial, after restarts, watchdog, 410). */
  lists: number;
  /** Errors ListWatch reported (each leads to a restart). */
  errors: number;
  /** Restarts after an error. */
  restarts: number;
  /** Relists because the watch was quiet for quietRelistMs. */
  quietRelists: number;
}

/** What the controller needs from an informer; MultiNamespaceInformer has the same shape. */
export interface ResourceInformer<T extends KubernetesObject> {
  on<E extends InformerEvent>(event: E, listener: InformerListeners<T>[E]): () => void;
  start(): void;
  stop(): Promise<void>;
  /** True once the first list is in the cache. */
  hasSynced(): boolean;
  /** Resolves once synced; rejects when signal aborts or the informer stops first. */
  waitForSync(signal?: AbortSignal): Promise<void>;
  /** By "namespace/name" (or "name" when cluster-scoped). */
  get(key: string): T | undefined;
  list(): T[];
  stats(): InformerStats;
}

export interface InformerOptions<T extends KubernetesObject> extends Selectors {
  kubeConfig: KubeConfig;
  /** e.g. /apis/coderops.dev/v1alpha1/workspaces or .../namespaces/NS/workspaces (./resource-type.ts). */
  path: string;
  /** Lists what path watches, with the same selectors (./listers.ts). */
  list: ListFn<T>;
  logger: Logger;
  /** Relist when no list or watch event came for this long. Default 5 min. */
  quietRelistMs?: number;
  /** A list that takes longer is abandoned and counts as an error. Default 60 s. */
  listTimeoutMs?: number;
  restartBackoff?: Partial<RestartBackoff>;
  clock?: Clock;
  random?: () => number;
  /**
   * Shrinks each listed or watched object in place before it is cached (./trim.ts).
   * In place, because client-node's ListWatch keeps its own reference to every object.
   */
  trim?: (object: T) => void;
}

export const DEFAULT_QUIET_RELIST_MS = 5 * 60_000;
export const DEFAULT_LIST_TIMEOUT_MS = 60_000;

export class ResilientInformer<T extends KubernetesObject> implements ResourceInformer<T> {
  readonly #opts: InformerOptions<T>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #backoff: RestartBackoff;
  readonly #quietRelistMs: number;
  readonly #logger: Logger;
  readonly #cache = new ObjectCache<T>();
  readonly #listeners: { [E in InformerEvent]: Set<InformerListeners<T>[E]> } = {
    add: new Set(),
    update: new Set(),
    delete: new Set(),
  };
  readonly #stats: InformerStats = { lists: 0, errors: 0, restarts: 0, quietRelists: 0 };
  #syncWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  #synced = false;
  #running = false;
  /** Bumped on every (re)start and on stop; callbacks of older ListWatches are ignored. */
  #generation = 0;
  #listWatch: ListWatch<T> | undefined;
  #failures = 0;
  /** When the current ListWatch last listed successfully. */
  #listedAt: number | undefined;
  #lastHeard = 0;
  #restartTimer: TimerHandle | undefined;
  #watchdogTimer: TimerHandle | undefined;

  constructor(opts: InformerOptions<T>) {
    this.#opts = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? Math.random;
    this.#backoff = { ...DEFAULT_RESTART_BACKOFF, ...opts.restartBackoff };
    this.#quietRelistMs = opts.quietRelistMs ?? DEFAULT_QUIET_RELIST_MS;
    this.#logger = opts.logger.child({ informer: opts.path });
  }

  on<E extends InformerEvent>(event: E, listener: InformerListeners<T>[E]): () => void {
    this.#listeners[event].add(listener);
    return () => this.#listeners[event].delete(listener);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#launch('start');
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#generation++;
    this.#clearTimers();
    const waiters = this.#syncWaiters;
    this.#syncWaiters = [];
    for (const w of waiters) w.reject(new Error(`informer for ${this.#opts.path} stopped before it synced`));
    const listWatch = this.#listWatch;
    this.#listWatch = undefined;
    await listWatch?.stop();
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#synced) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = () => {
        this.#syncWaiters = this.#syncWaiters.filter((w) => w !== waiter);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push(waiter);
    });
  }

  get(key: string): T | undefined {
    return this.#cache.get(key);
  }

  list(): T[] {
    return this.#cache.list();
  }

  stats(): InformerStats {
    return { ...this.#stats };
  }

  /** A fresh ListWatch: lists, then watches from the list's resourceVersion. */
  #launch(reason: 'start' | 'error' | 'quiet'): void {
    const generation = ++this.#generation;
    const previous = this.#listWatch;
    void previous?.stop();
    this.#listedAt = undefined;
    const { kubeConfig, path, labelSelector, fieldSelector } = this.#opts;
    const current = () => generation === this.#generation;
    const listWatch = new ListWatch<T>(path, new Watch(kubeConfig), () => this.#list(generation), false, labelSelector, fieldSelector);
    this.#listWatch = listWatch;
    const trim = this.#opts.trim;
    const ingest = (o: T) => (trim?.(o), this.#cache.upsert(o));
    listWatch.on('add', (o) => current() && this.#heard(ingest(o)));
    listWatch.on('update', (o) => current() && this.#heard(ingest(o)));
    listWatch.on('delete', (o) => current() && this.#heard(this.#cache.remove(o)));
    listWatch.on('error', (err) => current() && this.#onError(err));
    listWatch.on('connect', () => current() && this.#logger.debug('watch connecting'));
    this.#logger.debug({ reason }, 'informer listing and watching');
    this.#lastHeard = this.#clock.now();
    this.#clearTimers();
    this.#armWatchdog(this.#quietRelistMs);
    listWatch.start().catch((err: unknown) => current() && this.#onError(err));
  }

  async #list(generation: number): Promise<KubernetesListObject<T>> {
    const { labelSelector, fieldSelector, listTimeoutMs } = this.#opts;
    const selectors: Selectors = {
      ...(labelSelector !== undefined ? { labelSelector } : {}),
      ...(fieldSelector !== undefined ? { fieldSelector } : {}),
    };
    const list = await withTimeout(
      this.#opts.list(selectors),
      listTimeoutMs ?? DEFAULT_LIST_TIMEOUT_MS,
      `list ${this.#opts.path}`,
      this.#clock,
    );
    // A superseded ListWatch: throwing stops it; its error is ignored by generation.
    if (generation !== this.#generation) throw new Error('superseded by a newer list');
    this.#stats.lists++;
    this.#listedAt = this.#clock.now();
    this.#lastHeard = this.#listedAt;
    if (this.#opts.trim) for (const item of list.items) this.#opts.trim(item);
    for (const event of this.#cache.replace(list.items)) this.#emit(event);
    if (!this.#synced) {
      this.#synced = true;
      const waiters = this.#syncWaiters;
      this.#syncWaiters = [];
      for (const w of waiters) w.resolve();
      this.#logger.info({ objects: this.#cache.size }, 'informer synced');
    }
    return list;
  }

  #heard(event: CacheEvent<T> | undefined): void {
    this.#lastHeard = this.#clock.now();
    if (event) this.#emit(event);
  }

  #emit(event: CacheEvent<T>): void {
    for (const listener of [...this.#listeners[event.type]]) {
      try {
        if (event.type === 'update') (listener as InformerListeners<T>['update'])(event.object, event.old);
        else (listener as InformerListeners<T>['add'])(event.object);
      } catch (err) {
        // A subscriber's bug must not stop the informer or starve the other subscribers.
        this.#logger.error({ err, event: event.type }, 'informer listener threw');
      }
    }
  }

  #onError(err: unknown): void {
    if (!this.#running) return;
    this.#stats.errors++;
    this.#clearTimers();
    // Nothing of this ListWatch may count any more, not even a late list result.
    const generation = ++this.#generation;
    void this.#listWatch?.stop();
    this.#failures = failuresAfterError(this.#failures, this.#listedAt, this.#clock.now(), this.#backoff);
    const delay = restartDelay(this.#failures - 1, this.#backoff, this.#random);
    this.#logger.warn({ err, restartInMs: delay, failures: this.#failures }, 'informer failed; restarting');
    this.#restartTimer = this.#clock.setTimeout(() => {
      this.#restartTimer = undefined;
      if (!this.#running || generation !== this.#generation) return;
      this.#stats.restarts++;
      this.#launch('error');
    }, delay);
  }

  #armWatchdog(ms: number): void {
    this.#watchdogTimer = this.#clock.setTimeout(() => this.#watchdog(), ms);
  }

  #watchdog(): void {
    this.#watchdogTimer = undefined;
    if (!this.#running) return;
    const quietFor = this.#clock.now() - this.#lastHeard;
    if (quietFor < this.#quietRelistMs) return this.#armWatchdog(this.#quietRelistMs - quietFor);
    this.#stats.quietRelists++;
    this.#logger.info({ quietForMs: quietFor }, 'watch quiet for too long; relisting');
    this.#launch('quiet');
  }

  #clearTimers(): void {
    if (this.#restartTimer !== undefined) this.#clock.clearTimeout(this.#restartTimer);
    if (this.#watchdogTimer !== undefined) this.#clock.clearTimeout(this.#watchdogTimer);
    this.#restartTimer = undefined;
    this.#watchdogTimer = undefined;
  }
}
