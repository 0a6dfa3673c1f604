// The resilient informer on the real control plane: initial list, events for
// kubectl changes, recovery from a broken watch connection and from a watch
// that stalls silently. Faults come from a TCP proxy in front of the
// apiserver that only the watch goes through (lists go direct), so a fault
// hits exactly the watch.
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ResilientInformer, type ResourceInformer } from '../../src/kube/informer.ts';
import { informerFor } from '../../src/controller/informer-for.ts';
import { listerFor } from '../../src/kube/listers.ts';
import { NAMESPACES, WORKSPACES } from '../../src/controller/resources.ts';
import { resourcePath } from '../../src/kube/resource-type.ts';
import { eventually } from '../support/eventually.ts';
import { workspaceYaml } from '../support/workspace.ts';
import { freshNamespace, installCrds, kubectlOk } from './kubectl.ts';

/** How long an informer event may take to show (a hang guard), and how often to look: the events are in this process. */
const WAIT_MS = 20_000;
const POLL = { everyMs: 50 };

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
let ns: string;
let other: string;
let outside: string;
let kc: KubeConfig;
const informers: Array<ResourceInformer<KubernetesObject>> = [];
const proxies: FaultyProxy[] = [];

beforeAll(async () => {
  await installCrds();
  [ns, other, outside] = await Promise.all([freshNamespace('inf'), freshNamespace('inf-b'), freshNamespace('inf-out')]);
  kc = new KubeConfig();
  kc.loadFromFile(inject('kubeconfig'));
});

afterAll(async () => {
  await Promise.all(informers.map((i) => i.stop()));
  for (const p of proxies) p.close();
});

const workspace = (namespace: string, name: string) => workspaceYaml(name, { owner: 'alice', template: 'docker' }, namespace);

const create = (namespace: string, name: string) => kubectlOk(['create', '-f', '-'], { stdin: workspace(namespace, name) });
const label = (namespace: string, name: string, value: string) =>
  kubectlOk(['label', '--overwrite', '-n', namespace, `workspace/${name}`, `e2e=${value}`]);
const remove = (namespace: string, name: string) => kubectlOk(['delete', '-n', namespace, `workspace/${name}`, '--wait=false']);

/** Records every event an informer emits as "type key". */
function record(informer: ResourceInformer<KubernetesObject>): string[] {
  const events: string[] = [];
  const key = (o: KubernetesObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
  informer.on('add', (o) => events.push(`add ${key(o)}`));
  informer.on('update', (o) => events.push(`update ${key(o)}`));
  informer.on('delete', (o) => events.push(`delete ${key(o)}`));
  return events;
}

/**
 * A TCP proxy to the apiserver (TLS passes through untouched). refuse: new
 * connections are reset. breakAll: every open connection is reset.
 * freezeAll: open connections stay up but deliver nothing more, the silent
 * stall a watch can fall into; new connections work.
 */
interface FaultyProxy {
  kubeConfig: KubeConfig;
  refuse: boolean;
  connections: () => number;
  breakAll(): void;
  freezeAll(): void;
  close(): void;
}

async function faultyProxy(): Promise<FaultyProxy> {
  const target = new URL(inject('server'));
  const open = new Set<{ client: Socket; upstream: Socket; frozen: boolean }>();
  let accepted = 0;
  const proxy: FaultyProxy = {
    kubeConfig: new KubeConfig(),
    refuse: false,
    connections: () => accepted,
    breakAll: () => {
      for (const c of open) {
        c.client.resetAndDestroy();
        c.upstream.destroy();
      }
    },
    freezeAll: () => {
      for (const c of open) c.frozen = true;
    },
    close: () => {
      proxy.breakAll();
      server.close();
    },
  };
  const server: Server = createServer((client) => {
    accepted++;
    if (proxy.refuse) return void client.resetAndDestroy();
    const upstream = connect(Number(target.port), target.hostname);
    const conn = { client, upstream, frozen: false };
    open.add(conn);
    client.on('data', (d) => conn.frozen || upstream.write(d));
    upstream.on('data', (d) => conn.frozen || client.write(d));
    const end = () => {
      open.delete(conn);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('proxy has no address');
  const cluster = kc.getCurrentCluster()!;
  proxy.kubeConfig.loadFromOptions({
    clusters: [{ ...cluster, server: `https://127.0.0.1:${address.port}` }],
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  proxies.push(proxy);
  return proxy;
}

/** Watches through the proxy, lists direct: faults in the proxy hit only the watch. */
function watchThrough(proxy: FaultyProxy, quietRelistMs?: number): ResilientInformer<KubernetesObject> {
  const informer = new ResilientInformer<KubernetesObject>({
    kubeConfig: proxy.kubeConfig,
    path: resourcePath(WORKSPACES, ns),
    list: listerFor(kc, WORKSPACES, ns),
    logger,
    ...(quietRelistMs ? { quietRelistMs } : {}),
  });
  informers.push(informer);
  return informer;
}

describe('informer', () => {
  it('lists what exists, then reports kubectl add, update and delete; one informer per namespace under --namespaces', async () => {
    await Promise.all([create(ns, 'pre-a'), create(ns, 'pre-b'), create(other, 'pre-c'), create(outside, 'not-mine')]);
    const informer = informerFor<KubernetesObject>(kc, WORKSPACES, { namespaces: [ns, other], logger });
    informers.push(informer);
    const events = record(informer);
    informer.start();
    await informer.waitForSync(AbortSignal.timeout(30_000));
    expect(informer.hasSynced()).toBe(true);
    expect(informer.namespaces()).toEqual([ns, other]);
    expect(events.sort()).toEqual([`add ${ns}/pre-a`, `add ${ns}/pre-b`, `add ${other}/pre-c`].sort());
    expect(informer.get(`${ns}/pre-a`)?.metadata?.name).toBe('pre-a');
    expect(informer.get(`${outside}/not-mine`)).toBeUndefined();
    events.length = 0;

    await create(ns, 'new-a');
    await eventually('the add', () => events.includes(`add ${ns}/new-a`), WAIT_MS, POLL);
    await label(other, 'pre-c', 'one');
    await eventually('the update', () => events.includes(`update ${other}/pre-c`), WAIT_MS, POLL);
    expect(informer.get(`${other}/pre-c`)?.metadata?.labels?.e2e).toBe('one');
    await remove(ns, 'pre-b');
    await eventually('the delete', () => events.includes(`delete ${ns}/pre-b`), WAIT_MS, POLL);
    await create(outside, 'still-not-mine');
    await label(ns, 'pre-a', 'two');
    await eventually('the last update', () => events.includes(`update ${ns}/pre-a`), WAIT_MS, POLL);
    // One event per change, nothing from the namespace outside the scope.
    expect(events).toEqual([`add ${ns}/new-a`, `update ${other}/pre-c`, `delete ${ns}/pre-b`, `update ${ns}/pre-a`]);
    expect(
      informer
        .list()
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['new-a', 'pre-a', 'pre-c']);
    expect(informer.stats()).toMatchObject({ errors: 0, restarts: 0 });
  });

  it('lists cluster-scoped kinds too (Namespaces)', async () => {
    const informer = informerFor<KubernetesObject>(kc, NAMESPACES, { namespaces: [ns], logger });
    informers.push(informer);
    informer.start();
    await informer.waitForSync(AbortSignal.timeout(30_000));
    // --namespaces does not apply to a cluster-scoped kind: one cluster-wide informer.
    expect(informer.namespaces()).toBeUndefined();
    expect(informer.get(ns)?.metadata?.name).toBe(ns);
    expect(informer.get(outside)?.metadata?.name).toBe(outside);
  });

  it('restarts after the watch connection breaks, and catches up on what changed meanwhile', async () => {
    await Promise.all([create(ns, 'err-keep'), create(ns, 'err-gone')]);
    const proxy = await faultyProxy();
    const informer = watchThrough(proxy);
    const events = record(informer);
    informer.start();
    await informer.waitForSync(AbortSignal.timeout(30_000));
    await label(ns, 'err-keep', 'before');
    await eventually('the watch to work', () => events.includes(`update ${ns}/err-keep`), WAIT_MS, POLL);
    events.length = 0;

    proxy.refuse = true;
    proxy.breakAll();
    await eventually('the watch error', () => informer.stats().errors >= 1, WAIT_MS, POLL);
    // Changes while no watch runs: seen only because the restart relists.
    await create(ns, 'err-new');
    await remove(ns, 'err-gone');
    proxy.refuse = false;
    await eventually(
      'the restart to catch up',
      () => events.includes(`add ${ns}/err-new`) && events.includes(`delete ${ns}/err-gone`),
      40_000,
      POLL,
    );
    expect(informer.stats().restarts).toBeGreaterThanOrEqual(1);
    expect(events.sort()).toEqual([`add ${ns}/err-new`, `delete ${ns}/err-gone`].sort());

    // And the new watch delivers again.
    events.length = 0;
    await label(ns, 'err-keep', 'after');
    await eventually('an event on the restarted watch', () => events.includes(`update ${ns}/err-keep`), WAIT_MS, POLL);
    expect(events).toEqual([`update ${ns}/err-keep`]);
  });

  it('relists when the watch has been quiet too long, which recovers a silently stalled watch', async () => {
    const proxy = await faultyProxy();
    const informer = watchThrough(proxy, 3000);
    const events = record(informer);
    informer.start();
    await informer.waitForSync(AbortSignal.timeout(30_000));
    await create(ns, 'quiet-one');
    await eventually('the watch to work', () => events.includes(`add ${ns}/quiet-one`), WAIT_MS, POLL);
    const before = informer.stats();
    events.length = 0;

    // The watch connection stays open and says nothing, as a stalled one does.
    proxy.freezeAll();
    await label(ns, 'quiet-one', 'stalled');
    await eventually('the watchdog relist', () => events.includes(`update ${ns}/quiet-one`), 25_000, POLL);
    const after = informer.stats();
    expect(after.quietRelists).toBeGreaterThan(before.quietRelists);
    expect(after.lists).toBeGreaterThan(before.lists);
    expect(after.errors).toBe(0);
    expect(events).toEqual([`update ${ns}/quiet-one`]);

    // The relisted informer watches again.
    await remove(ns, 'quiet-one');
    await eventually('the delete', () => events.includes(`delete ${ns}/quiet-one`), WAIT_MS, POLL);
  });
});
