// The informer's list-and-watch loop on a fake clock, with a fake list call
// and a fake client-node Watch: no real timer, no apiserver. Each test counts
// lists, watches and handler calls, so a relist that ingests twice, or a
// watch that relists when it should resume, fails here.
import { KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ResilientInformer, type InformerOptions, type Watcher } from '../../../src/kube/informer.ts';
import type { Selectors } from '../../../src/kube/listers.ts';
import { fakeClock, flush, type FakeClock } from './fake-clock.ts';

const obj = (name: string, rv: string): KubernetesObject => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } });
const listOf = (rv: string, ...items: KubernetesObject[]): KubernetesListObject<KubernetesObject> => ({
  metadata: { resourceVersion: rv },
  items,
});

interface WatchCall {
  params: Record<string, unknown>;
  send(phase: string, object: unknown): void;
  end(err: unknown): void;
  aborted: boolean;
}

/** Behaves like client-node's Watch: done is called once, also when the caller aborts. */
class FakeWatcher implements Watcher {
  readonly calls: WatchCall[] = [];

  async watch(
    _path: string,
    params: Record<string, unknown>,
    callback: (phase: string, o: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const controller = new AbortController();
    let ended = false;
    const call: WatchCall = {
      params,
      aborted: false,
      send: (phase, o) => !ended && callback(phase, o),
      end: (err) => {
        if (ended) return;
        ended = true;
        done(err);
      },
    };
    controller.signal.addEventListener('abort', () => {
      call.aborted = true;
      call.end(new DOMException('This operation was aborted', 'AbortError'));
    });
    this.calls.push(call);
    return controller;
  }

  get last(): WatchCall {
    return this.calls.at(-1)!;
  }
}

/** A list call answered by the test: each call waits until respond() or fail(). */
class FakeList {
  readonly calls: Selectors[] = [];
  #pending: Array<{ resolve: (l: KubernetesListObject<KubernetesObject>) => void; reject: (e: unknown) => void }> = [];

  readonly fn = (selectors: Selectors): Promise<KubernetesListObject<KubernetesObject>> => {
    this.calls.push(selectors);
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  };

  respond(list: KubernetesListObject<KubernetesObject>): void {
    this.#pending.shift()!.resolve(list);
  }

  fail(err: unknown): void {
    this.#pending.shift()!.reject(err);
  }

  get waiting(): number {
    return this.#pending.length;
  }
}

interface Rig {
  informer: ResilientInformer<KubernetesObject>;
  clock: FakeClock;
  list: FakeList;
  watcher: FakeWatcher;
  /** Every handler call in order: "add* ns/a" (* = in the initial list), "update ns/a 1->2", "delete ns/a". */
  seen: string[];
}

function rig(opts: Partial<InformerOptions<KubernetesObject>> = {}): Rig {
  const clock = fakeClock(1_000_000);
  const list = new FakeList();
  const watcher = new FakeWatcher();
  const informer = new ResilientInformer<KubernetesObject>({
    kubeConfig: new KubeConfig(),
    path: '/apis/example.dev/v1/widgets',
    list: list.fn,
    logger: pino({ level: 'silent' }),
    clock,
    random: () => 0,
    watcher,
    ...opts,
  });
  const seen: string[] = [];
  const name = (o: KubernetesObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;
  informer.on('add', (o, { inInitialList }) => seen.push(`add${inInitialList ? '*' : ''} ${name(o)}`));
  informer.on('update', (o, old) => seen.push(`update ${name(o)} ${old.metadata?.resourceVersion}->${o.metadata?.resourceVersion}`));
  informer.on('delete', (o) => seen.push(`delete ${name(o)}`));
  return { informer, clock, list, watcher, seen };
}

/** Starts the informer and answers its first list. */
async function started(r: Rig, first: KubernetesListObject<KubernetesObject>): Promise<void> {
  r.informer.start();
  r.list.respond(first);
  await r.informer.waitForSync();
  await flush();
}

describe('ResilientInformer: list, then watch from the list', () => {
  it('lists once, watches from the list resourceVersion, and passes watch events on', async () => {
    const r = rig();
    await started(r, listOf('10', obj('a', '1'), obj('b', '2')));
    expect(r.seen).toEqual(['add* ns/a', 'add* ns/b']);
    expect(r.watcher.calls).toHaveLength(1);
    expect(r.watcher.last.params).toEqual({ resourceVersion: '10', allowWatchBookmarks: true });

    r.watcher.last.send('ADDED', obj('c', '11'));
    r.watcher.last.send('MODIFIED', obj('a', '12'));
    r.watcher.last.send('DELETED', obj('b', '13'));
    r.watcher.last.send('BOOKMARK', { metadata: { resourceVersion: '20' } });
    expect(r.seen.slice(2)).toEqual(['add ns/c', 'update ns/a 1->12', 'delete ns/b']);
    expect(r.informer.list().map((o) => o.metadata?.name)).toEqual(['a', 'c']);
    expect(r.informer.stats()).toMatchObject({ lists: 1, errors: 0, rewatches: 0 });
    await r.informer.stop();
    expect(r.watcher.last.aborted).toBe(true);
  });

  it('applies the label and field selectors to the list and to the watch', async () => {
    const r = rig({ labelSelector: 'coderops.dev/shard=shard1', fieldSelector: 'metadata.namespace!=kube-system' });
    await started(r, listOf('5'));
    expect(r.list.calls).toEqual([{ labelSelector: 'coderops.dev/shard=shard1', fieldSelector: 'metadata.namespace!=kube-system' }]);
    expect(r.watcher.last.params).toMatchObject({
      labelSelector: 'coderops.dev/shard=shard1',
      fieldSelector: 'metadata.namespace!=kube-system',
    });
    await r.informer.stop();
  });

  it('does not ask for bookmarks when told not to', async () => {
    const r = rig({ bookmarks: false });
    await started(r, listOf('5'));
    expect(r.watcher.last.params).toEqual({ resourceVersion: '5' });
    await r.informer.stop();
  });

  it('caches each object once: the listed object itself, no handler call for a version it has', async () => {
    const listed = obj('a', '1');
    let trims = 0;
    const r = rig({ trim: () => void trims++ });
    await started(r, listOf('10', listed));
    expect(r.informer.get('ns/a')).toBe(listed);
    r.watcher.last.send('MODIFIED', obj('a', '1')); // the same version again (a replayed event)
    expect(r.seen).toEqual(['add* ns/a']);
    expect(trims).toBe(2); // once for the list item, once for the event: each object handled once
    await r.informer.stop();
  });
});

describe('ResilientInformer: how a watch ends', () => {
  it("after client-node's timeout, watches again from the last resourceVersion with no list", async () => {
    const r = rig();
    await started(r, listOf('10', obj('a', '1')));
    r.watcher.last.send('MODIFIED', obj('a', '15'));
    r.watcher.last.end(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    await flush();
    expect(r.watcher.calls).toHaveLength(2);
    expect(r.watcher.last.params.resourceVersion).toBe('15');
    r.watcher.last.send('BOOKMARK', { metadata: { resourceVersion: '30' } });
    r.clock.advance(5000);
    r.watcher.last.end(null); // a clean close by the server, after a while
    await flush();
    expect(r.watcher.calls).toHaveLength(3);
    expect(r.watcher.last.params.resourceVersion).toBe('30');
    expect(r.list.calls).toHaveLength(1);
    expect(r.informer.stats()).toMatchObject({ lists: 1, rewatches: 2, errors: 0 });
    expect(r.seen).toEqual(['add* ns/a', 'update ns/a 1->15']);
    await r.informer.stop();
  });

  it.each([
    { how: 'an ERROR event with a 410 Status', end: (w: WatchCall) => w.send('ERROR', { kind: 'Status', code: 410, message: 'too old' }) },
    { how: 'a 410 response', end: (w: WatchCall) => w.end(Object.assign(new Error('Gone'), { statusCode: 410 })) },
  ])('relists at once after $how, and the relist reports only what changed', async ({ end }) => {
    const r = rig();
    await started(r, listOf('10', obj('same', '1'), obj('changed', '2'), obj('gone', '3')));
    end(r.watcher.last);
    await flush();
    expect(r.list.calls).toHaveLength(2);
    r.list.respond(listOf('50', obj('same', '1'), obj('changed', '40'), obj('new', '45')));
    await flush();
    expect(r.seen.slice(3)).toEqual(['update ns/changed 2->40', 'add ns/new', 'delete ns/gone']);
    expect(r.watcher.calls).toHaveLength(2);
    expect(r.watcher.last.params.resourceVersion).toBe('50');
    expect(r.informer.stats()).toMatchObject({ lists: 2, expired: 1, errors: 0, restarts: 0 });
    await r.informer.stop();
  });

  it('restarts a dropped watch with a list after the backoff, not before', async () => {
    const r = rig();
    await started(r, listOf('10', obj('a', '1'), obj('b', '1')));
    r.watcher.last.end(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await flush();
    expect(r.list.calls).toHaveLength(1);
    r.clock.advance(999);
    await flush();
    expect(r.list.calls).toHaveLength(1);
    r.clock.advance(1);
    await flush();
    expect(r.list.calls).toHaveLength(2);
    r.list.respond(listOf('20', obj('a', '1'))); // b was deleted while no watch ran
    await flush();
    expect(r.seen.slice(2)).toEqual(['delete ns/b']);
    expect(r.watcher.last.params.resourceVersion).toBe('20');
    expect(r.informer.stats()).toMatchObject({ lists: 2, errors: 1, restarts: 1 });
    await r.informer.stop();
  });

  it('backs off, doubling, while the list keeps failing; no watch in between', async () => {
    const r = rig();
    r.informer.start();
    r.list.fail(new Error('connection refused'));
    await flush();
    for (const delay of [1000, 2000, 4000]) {
      r.clock.advance(delay - 1);
      await flush();
      expect(r.list.waiting).toBe(0);
      r.clock.advance(1);
      await flush();
      expect(r.list.waiting).toBe(1);
      r.list.fail(new Error('connection refused'));
      await flush();
    }
    expect(r.watcher.calls).toHaveLength(0);
    expect(r.informer.hasSynced()).toBe(false);
    await r.informer.stop();
  });

  it('abandons a list that does not answer within listTimeoutMs', async () => {
    const r = rig({ listTimeoutMs: 60_000 });
    r.informer.start();
    r.clock.advance(60_000);
    await flush();
    expect(r.informer.stats()).toMatchObject({ errors: 1, lists: 0 });
    r.clock.advance(1000);
    await flush();
    expect(r.list.calls).toHaveLength(2);
    r.list.respond(listOf('2', obj('ghost', '1'))); // the abandoned first list answers late: ignored
    await flush();
    expect(r.informer.hasSynced()).toBe(false);
    r.list.respond(listOf('3', obj('a', '1'))); // the second list
    await flush();
    expect(r.informer.hasSynced()).toBe(true);
    expect(r.informer.list().map((o) => o.metadata?.name)).toEqual(['a']);
    expect(r.seen).toEqual(['add* ns/a']);
    expect(r.watcher.calls).toHaveLength(1);
    await r.informer.stop();
  });

  it('treats a watch that closes at once with nothing as an error, so it cannot spin', async () => {
    const r = rig();
    await started(r, listOf('10'));
    r.watcher.last.end(null);
    await flush();
    expect(r.watcher.calls).toHaveLength(1);
    expect(r.informer.stats()).toMatchObject({ errors: 1, rewatches: 0 });
    await r.informer.stop();
  });

  it('ignores what an aborted watch still delivers', async () => {
    const r = rig();
    await started(r, listOf('10', obj('a', '1')));
    const old = r.watcher.last;
    old.send('ERROR', { code: 410 });
    await flush();
    r.list.respond(listOf('20', obj('a', '1')));
    await flush();
    expect(old.aborted).toBe(true);
    old.send('ADDED', obj('ghost', '5'));
    expect(r.informer.get('ns/ghost')).toBeUndefined();
    expect(r.seen).toEqual(['add* ns/a']);
    await r.informer.stop();
  });
});

describe("ResilientInformer: the quiet-watch relist and client-node's 30 s timeout", () => {
  /** The watch times out after 30 s of nothing, as client-node's does, and is re-watched. */
  async function quietFor(r: Rig, ms: number): Promise<void> {
    for (let left = ms; left > 0; left -= 30_000) {
      r.clock.advance(Math.min(30_000, left));
      await flush();
      if (left >= 30_000) r.watcher.last.end(new DOMException('timeout', 'TimeoutError'));
      await flush();
    }
  }

  it('re-watches every 30 s without listing, and relists once the resource was quiet for quietRelistMs', async () => {
    const r = rig({ quietRelistMs: 300_000 });
    await started(r, listOf('10', obj('a', '1')));
    await quietFor(r, 299_000);
    expect(r.informer.stats()).toMatchObject({ lists: 1, rewatches: 9, quietRelists: 0 });
    r.clock.advance(1000);
    await flush();
    expect(r.informer.stats()).toMatchObject({ quietRelists: 1 });
    expect(r.list.calls).toHaveLength(2);
    const before = r.watcher.calls.length;
    r.list.respond(listOf('60', obj('a', '1')));
    await flush();
    expect(r.seen).toEqual(['add* ns/a']); // nothing changed: no handler call
    expect(r.watcher.calls).toHaveLength(before + 1);
    expect(r.watcher.last.params.resourceVersion).toBe('60');
    await r.informer.stop();
  });

  it('an event or a bookmark counts as heard and pushes the relist back', async () => {
    const r = rig({ quietRelistMs: 300_000 });
    await started(r, listOf('10'));
    await quietFor(r, 210_000);
    r.watcher.last.send('BOOKMARK', { metadata: { resourceVersion: '99' } });
    await quietFor(r, 240_000); // 450 s since the list, 240 s since the bookmark
    expect(r.informer.stats()).toMatchObject({ lists: 1, quietRelists: 0 });
    expect(r.watcher.last.params.resourceVersion).toBe('99');
    r.clock.advance(60_000);
    await flush();
    expect(r.informer.stats()).toMatchObject({ lists: 1, quietRelists: 1 });
    await r.informer.stop();
  });

  it('a watch that stalls open (no timeout fires) is relisted after quietRelistMs', async () => {
    const r = rig({ quietRelistMs: 300_000 });
    await started(r, listOf('10', obj('a', '1')));
    const stalled = r.watcher.last;
    r.clock.advance(300_000);
    await flush();
    expect(stalled.aborted).toBe(true);
    expect(r.informer.stats()).toMatchObject({ quietRelists: 1, errors: 0 });
    expect(r.list.calls).toHaveLength(2);
    await r.informer.stop();
  });
});
