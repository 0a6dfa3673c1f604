// A resilient informer in client-go's Reflector shape: one cache
// (./object-cache.ts), filled by a list, then kept by a watch that starts at
// the list's resourceVersion. client-node's Watch is driven directly (its
// ListWatch kept a second copy of every object and ingested every relist
// twice). What each way a watch ends leads to:
//   - a clean end, or client-node's own timeout (a watch that delivered
//     nothing for 30 s is aborted as 'TimeoutError'): watch again from the
//     last resourceVersion seen, with no list;
//   - 410 Gone (the resourceVersion was compacted away), as a status or as an
//     ERROR event: list again at once, then watch from the new list;
//   - any other error, or a list that fails or takes longer than
//     listTimeoutMs: list again after a jittered exponential backoff
//     (./restart-backoff.ts);
//   - quiet for quietRelistMs (no list, no event, no bookmark): list again.
//     Re-watching after a timeout does not count as hearing from the server:
//     a connection that is accepted and then stays silent is exactly the
//     stall this guards against, so a resource that never changes is relisted
//     once per quietRelistMs, and re-watched every 30 s in between.
// Bookmarks (on by default) move the resourceVersion on while nothing
// changes, so a re-watch is less likely to meet 410. A relist is diffed
// against the cache, so subscribers see only real changes, including deletes
// missed while no watch ran. Callbacks of an older list or watch are ignored
// by generation.
import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { systemClock, type Clock, type TimerHandle } from './clock.ts';
import type { ListFn, Selectors } from './listers.ts';
import { ObjectCache, type CacheEvent } from './object-cache.ts';
import { DEFAULT_RESTART_BACKOFF, failuresAfterError, restartDelay, type RestartBackoff } from './restart-backoff.ts';
import { withTimeout } from './with-timeout.ts';

/** What an add is: part of the first list (controller-runtime's IsInInitialList), or news after it. */
interface AddInfo {
  inInitialList: boolean;
}

export interface InformerListeners<T> {
  add: (object: T, info: AddInfo) => void;
  update: (object: T, old: T) => void;
  delete: (object: T) => void;
}

export type InformerEvent = keyof InformerListeners<unknown>;

export interface InformerStats {
  /** Lists that completed (initial, after errors, 410, quiet). */
  lists: number;
  /** Errors from a list or a watch (each leads to a restart after backoff). */
  errors: number;
  /** Restarts after an error. */
  restarts: number;
  /** Relists because the watch was quiet for quietRelistMs. */
  quietRelists: number;
  /** Relists because the resourceVersion was gone (410). */
  expired: number;
  /** Watches started again from the last resourceVersion, with no list (timeouts, clean ends). */
  rewatches: number;
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

/** client-node's Watch#watch; a fake in tests. done is called once, when the watch ends for any reason. */
export interface Watcher {
  watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController>;
}

export interface InformerOptions<T extends KubernetesObject> extends Selectors {
  kubeConfig: KubeConfig;
  /** e.g. /apis/G/V/PLURAL or /apis/G/V/namespaces/NS/PLURAL (./resource-type.ts). */
  path: string;
  /** Lists what path watches; called with this informer's selectors (./listers.ts). */
  list: ListFn<T>;
  logger: Logger;
  /** Relist when no list, event or bookmark came for this long. Default 5 min. */
  quietRelistMs?: number;
  /** A list that takes longer is abandoned and counts as an error. Default 60 s. */
  listTimeoutMs?: number;
  restartBackoff?: Partial<RestartBackoff>;
  /** Ask the apiserver for BOOKMARK events, as client-go does. Default true. */
  bookmarks?: boolean;
  clock?: Clock;
  random?: () => number;
  /** Shrinks each listed or watched object before it is cached (e.g. drops managedFields). */
  trim?: (object: T) => void;
  /** Default: client-node's Watch on kubeConfig. */
  watcher?: Watcher;
}

const DEFAULT_QUIET_RELIST_MS = 5 * 60_000;
const DEFAULT_LIST_TIMEOUT_MS = 60_000;
/** A watch that ends cleanly sooner than this with no event is treated as an error, so it cannot spin. */
const MIN_CLEAN_WATCH_MS = 1000;

type WatchPhase = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export class ResilientInformer<T extends KubernetesObject> implements ResourceInformer<T> {
  readonly #opts: InformerOptions<T>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #backoff: RestartBackoff;
  readonly #quietRelistMs: number;
  readonly #logger: Logger;
  readonly #watcher: Watcher;
  readonly #cache = new ObjectCache<T>();
  readonly #listeners: { [E in InformerEvent]: Set<InformerListeners<T>[E]> } = {
    add: new Set(),
    update: new Set(),
    delete: new Set(),
  };
  readonly #stats: InformerStats = { lists: 0, errors: 0, restarts: 0, quietRelists: 0, expired: 0, rewatches: 0 };
  #syncWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  #synced = false;
  #running = false;
  /** Bumped by every list, watch, error and stop; callbacks of older ones are ignored. */
  #generation = 0;
  #request: AbortController | undefined;
  /** Where the next watch starts: the last list's, event's or bookmark's resourceVersion. */
  #resourceVersion = '';
  #failures = 0;
  /** When the current run last listed successfully (for the backoff's healthy reset). */
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
    this.#watcher = opts.watcher ?? new Watch(opts.kubeConfig);
  }

  on<E extends InformerEvent>(event: E, listener: InformerListeners<T>[E]): () => void {
    this.#listeners[event].add(listener);
    return () => this.#listeners[event].delete(listener);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#relist('start');
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#generation++;
    this.#clearTimers();
    const waiters = this.#syncWaiters;
    this.#syncWaiters = [];
    for (const w of waiters) w.reject(new Error(`informer for ${this.#opts.path} stopped before it synced`));
    this.#abortWatch();
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

  /** Drops the current watch, lists, then watches from the list's resourceVersion. */
  #relist(reason: 'start' | 'error' | 'quiet' | 'expired'): void {
    const generation = ++this.#generation;
    this.#abortWatch();
    this.#listedAt = undefined;
    this.#logger.debug({ reason }, 'informer listing');
    this.#lastHeard = this.#clock.now();
    this.#clearTimers();
    this.#armWatchdog(this.#quietRelistMs);
    void this.#listThenWatch(generation);
  }

  async #listThenWatch(generation: number): Promise<void> {
    const { labelSelector, fieldSelector, listTimeoutMs, trim } = this.#opts;
    const selectors: Selectors = {
      ...(labelSelector !== undefined ? { labelSelector } : {}),
      ...(fieldSelector !== undefined ? { fieldSelector } : {}),
    };
    let list;
    try {
      list = await withTimeout(
        this.#opts.list(selectors),
        listTimeoutMs ?? DEFAULT_LIST_TIMEOUT_MS,
        `list ${this.#opts.path}`,
        this.#clock,
      );
    } catch (err) {
      if (generation === this.#generation) this.#onError(err);
      return;
    }
    if (generation !== this.#generation) return;
    this.#stats.lists++;
    this.#listedAt = this.#clock.now();
    this.#lastHeard = this.#listedAt;
    const items = list.items ?? [];
    if (trim) for (const item of items) trim(item);
    const inInitialList = !this.#synced;
    for (const event of this.#cache.replace(items)) this.#emit(event, inInitialList);
    this.#resourceVersion = list.metadata?.resourceVersion ?? '';
    if (!this.#synced) {
      this.#synced = true;
      const waiters = this.#syncWaiters;
      this.#syncWaiters = [];
      for (const w of waiters) w.resolve();
      this.#logger.info({ objects: this.#cache.size }, 'informer synced');
    }
    void this.#watch();
  }

  async #watch(): Promise<void> {
    const generation = ++this.#generation;
    const current = () => generation === this.#generation && this.#running;
    const { labelSelector, fieldSelector, path } = this.#opts;
    const params = {
      resourceVersion: this.#resourceVersion,
      ...(this.#opts.bookmarks === false ? {} : { allowWatchBookmarks: true }),
      ...(labelSelector !== undefined ? { labelSelector } : {}),
      ...(fieldSelector !== undefined ? { fieldSelector } : {}),
    };
    const startedAt = this.#clock.now();
    let events = 0;
    const onEvent = (phase: string, obj: unknown) => {
      if (!current()) return;
      events++;
      this.#onWatchEvent(phase as WatchPhase, obj as T);
    };
    const onDone = (err: unknown) => {
      if (current()) this.#onWatchEnd(err, this.#clock.now() - startedAt, events);
    };
    try {
      const request = await this.#watcher.watch(path, params, onEvent, onDone);
      if (current()) this.#request = request;
      else request.abort();
    } catch (err) {
      if (current()) this.#onError(err);
    }
  }

  #onWatchEvent(phase: WatchPhase, obj: T): void {
    this.#lastHeard = this.#clock.now();
    if (phase === 'ERROR') {
      // A Status; the server ends the watch after it. Act now rather than wait for the close.
      const status = obj as { code?: number; message?: string };
      if (status.code === 410) return this.#expire();
      return this.#onError(new Error(`watch of ${this.#opts.path} failed: ${status.code ?? ''} ${status.message ?? 'error event'}`));
    }
    const resourceVersion = obj?.metadata?.resourceVersion;
    if (resourceVersion) this.#resourceVersion = resourceVersion;
    if (phase === 'BOOKMARK') return;
    if (phase === 'DELETED') return this.#emitIf(this.#cache.remove(obj));
    if (phase === 'ADDED' || phase === 'MODIFIED') {
      this.#opts.trim?.(obj);
      return this.#emitIf(this.#cache.upsert(obj));
    }
  }

  #onWatchEnd(err: unknown, lastedMs: number, events: number): void {
    const code = (err as { statusCode?: number; code?: number } | null)?.statusCode ?? (err as { code?: number } | null)?.code;
    if (code === 410) return this.#expire();
    const timedOut = (err as { name?: string } | null)?.name === 'TimeoutError';
    if (err && !timedOut) return this.#onError(err);
    if (!timedOut && events === 0 && lastedMs < MIN_CLEAN_WATCH_MS) {
      return this.#onError(new Error(`watch of ${this.#opts.path} closed at once with no event`));
    }
    this.#request = undefined;
    this.#stats.rewatches++;
    this.#logger.debug({ timedOut }, 'watch ended; watching again from the last resourceVersion');
    void this.#watch();
  }

  #expire(): void {
    this.#stats.expired++;
    this.#logger.info({ resourceVersion: this.#resourceVersion }, 'resourceVersion gone (410); relisting');
    this.#relist('expired');
  }

  #emitIf(event: CacheEvent<T> | undefined): void {
    if (event) this.#emit(event, false);
  }

  #emit(event: CacheEvent<T>, inInitialList: boolean): void {
    for (const listener of [...this.#listeners[event.type]]) {
      try {
        if (event.type === 'update') (listener as InformerListeners<T>['update'])(event.object, event.old);
        else if (event.type === 'add') (listener as InformerListeners<T>['add'])(event.object, { inInitialList });
        else (listener as InformerListeners<T>['delete'])(event.object);
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
    // Nothing of this run may count any more, not even a late list result.
    const generation = ++this.#generation;
    this.#abortWatch();
    this.#failures = failuresAfterError(this.#failures, this.#listedAt, this.#clock.now(), this.#backoff);
    const delay = restartDelay(this.#failures - 1, this.#backoff, this.#random);
    this.#logger.warn({ err, restartInMs: delay, failures: this.#failures }, 'informer failed; restarting');
    this.#restartTimer = this.#clock.setTimeout(() => {
      this.#restartTimer = undefined;
      if (!this.#running || generation !== this.#generation) return;
      this.#stats.restarts++;
      this.#relist('error');
    }, delay);
  }

  #abortWatch(): void {
    const request = this.#request;
    this.#request = undefined;
    request?.abort();
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
    this.#relist('quiet');
  }

  #clearTimers(): void {
    if (this.#restartTimer !== undefined) this.#clock.clearTimeout(this.#restartTimer);
    if (this.#watchdogTimer !== undefined) this.#clock.clearTimeout(this.#watchdogTimer);
    this.#restartTimer = undefined;
    this.#watchdogTimer = undefined;
  }
}
