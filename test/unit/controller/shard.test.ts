// Sharding by label (issue 14 item 1): the Lease each instance competes for,
// which connections' status it writes, and the handover decision: a Workspace
// that leaves a shard's selection (relabelled) is forgotten by the old shard,
// which keeps its finalizer and never runs its deletion, and the new shard
// adopts it by status.id with no Coder write and no status rewrite.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { CoderConnection, Workspace } from '../../../src/api/schema.ts';
import type { Workspace as CoderWorkspace } from '../../../src/coder/types.ts';
import { ConnectionRegistry } from '../../../src/controller/connection/registry.ts';
import { ConnectionStatusWriter } from '../../../src/controller/connection/status-writer.ts';
import { FINALIZER } from '../../../src/controller/workspace/decide.ts';
import { LabelSelectorError } from '../../../src/kube/label-selector.ts';
import { Reconciler } from '../../../src/controller/workspace/reconciler.ts';
import { DEFAULT_LEASE_NAME, departureOf, leaseNameFor, Shard, SHARD_LABEL } from '../../../src/controller/shard.ts';
import { coderWorkspace, FakeCoder } from '../engine/fake-coder.ts';
import { coderConnection } from '../../support/coder-connection.ts';
import { workspace as storedWorkspace } from '../../support/workspace.ts';
import { FakeKube } from './fake-kube.ts';

const KEY = 'team-a/dev';
const NOW = new Date('2026-11-10T12:00:00.000Z');
const shard1 = new Shard(`${SHARD_LABEL}=shard1`);
const shard2 = new Shard(`${SHARD_LABEL}=shard2`);
const main = new Shard(`!${SHARD_LABEL}`);

describe('Shard', () => {
  it('no selector: not sharded, owns everything, no labelSelector on the informer', () => {
    const all = new Shard();
    expect(all.sharded).toBe(false);
    expect(all.labelSelector).toBeUndefined();
    expect(all.ownsConnection({ [SHARD_LABEL]: 'shard1' })).toBe(true);
    expect(all.ownsConnection(undefined)).toBe(true);
  });

  it('a bad selector is refused when the shard is made, before anything starts', () => {
    expect(() => new Shard('coderops.dev/shard=a b')).toThrow(LabelSelectorError);
  });

  it.each([
    [shard1, { [SHARD_LABEL]: 'shard1' }, true],
    [shard1, {}, false],
    [shard2, { [SHARD_LABEL]: 'shard1' }, false],
    // Unlabelled connections are the main instance's: exactly one status writer each.
    [main, {}, true],
    [main, { [SHARD_LABEL]: 'shard1' }, false],
  ])('%s owns a connection labelled %j: %s', (shard, labels, owns) => {
    expect(shard.ownsConnection(labels)).toBe(owns);
  });

  it('every connection has exactly one owner among main + shards', () => {
    const all = [main, shard1, shard2];
    const cases: Record<string, string>[] = [{}, { [SHARD_LABEL]: 'shard1' }, { [SHARD_LABEL]: 'shard2' }, { other: 'x' }];
    for (const labels of cases)
      expect(
        all.filter((s) => s.ownsConnection(labels)),
        JSON.stringify(labels),
      ).toHaveLength(1);
  });
});

describe('leaseNameFor', () => {
  it('an explicit --leader-election-id wins', () => {
    expect(leaseNameFor('my-lease', shard1)).toBe('my-lease');
  });

  it('no selector: the default Lease, as before sharding', () => {
    expect(leaseNameFor(undefined, new Shard())).toBe(DEFAULT_LEASE_NAME);
  });

  it('a selector: a readable name of its own, distinct per selector even when they slug alike', () => {
    const names = [shard1, shard2, main, new Shard(SHARD_LABEL)].map((s) => leaseNameFor(undefined, s));
    expect(names[0]).toMatch(/^coder-workspace-operator-coderops-dev-shard-shard1-[0-9a-f]{8}$/);
    expect(new Set(names).size).toBe(names.length);
    // Same selector, same name: the replicas of one shard meet on one Lease.
    expect(leaseNameFor(undefined, new Shard(`${SHARD_LABEL}=shard1`))).toBe(names[0]);
    for (const n of names) expect(n.length).toBeLessThanOrEqual(253);
    expect(leaseNameFor(undefined, new Shard(`${SHARD_LABEL} in (${'x'.repeat(60)},y)`))).toMatch(/^[a-z0-9-]+$/);
  });
});

describe('departureOf', () => {
  const last = (labels: Record<string, string>, deleting: boolean) => ({
    metadata: { labels, ...(deleting ? { deletionTimestamp: NOW.toISOString() } : {}) },
  });
  it.each([
    // The apiserver's DELETE for an object that stopped matching carries the previous copy: still our label.
    ['relabelled out of the selection', last({ [SHARD_LABEL]: 'shard1' }, false), 'left'],
    ['dropped by a relist', last({ [SHARD_LABEL]: 'shard1' }, false), 'left'],
    ['deleted while ours, its deletion done here', last({ [SHARD_LABEL]: 'shard1' }, true), 'deleted'],
  ])('%s: %s', (_, copy, kind) => {
    expect(departureOf(copy).kind).toBe(kind);
  });
});

// ---- the handover, reconcile by reconcile -----------------------------------

const connection = coderConnection();

const running = (): CoderWorkspace => {
  const ws = coderWorkspace({ ttl_ms: 3_600_000 });
  return { ...ws, latest_build: { ...ws.latest_build, status: 'running', job: { ...ws.latest_build.job, status: 'succeeded' } } };
};

/** team-a/dev labelled for `shard`, deleted with its resource, a TTL of an hour as `running()` shows it in Coder. */
const workspace = (shard: string, spec: Partial<Workspace['spec']> = {}) =>
  storedWorkspace({ ttl: '1h', deletionPolicy: 'Delete', ...spec }, { labels: { [SHARD_LABEL]: shard } });

/** One shard's reconciler: its cache is what its informer holds; the apiserver (kube) is shared. */
function shardReconciler(shard: Shard, kube: FakeKube, coder: FakeCoder, cache: Map<string, Workspace>) {
  const logger = pino({ level: 'silent' });
  const owns = (c: CoderConnection | { metadata: { labels?: Record<string, string> } }) => shard.ownsConnection(c.metadata.labels);
  return new Reconciler({
    caches: {
      workspace: (k) => cache.get(k),
      coderConnection: (k) => (k === 'team-a/default' ? connection : undefined),
      clusterCoderConnection: () => undefined,
      namespaceLabels: () => ({}),
    },
    connections: new ConnectionRegistry({ readSecret: () => kube.readSecret(), makeApi: () => coder, logger }), // sharded: connections are not kept (operator.ts)
    kube,
    settings: { deletionPolicy: 'Orphan', now: () => NOW },
    shared: { connectionStatus: new ConnectionStatusWriter(kube, logger, owns), ownsConnection: owns, usage: undefined },
    telemetry: { logger },
  });
}

describe('handing a Workspace over between shards', () => {
  it('the old shard forgets it (finalizer kept, no deletion); the new one adopts it by status.id with no write', async () => {
    const log: string[] = [];
    const kube = new FakeKube(log);
    const coder = new FakeCoder();
    coder.listed = [running()];
    kube.put(workspace('shard1'));
    const cache1 = new Map([[KEY, kube.get(KEY)!]]);
    const old = shardReconciler(shard1, kube, coder, cache1);

    await old.reconcile(KEY); // adopts: the finalizer (deletionPolicy Delete), then the status
    expect(kube.get(KEY)?.metadata.finalizers).toEqual([FINALIZER]);
    expect(kube.get(KEY)?.status?.id).toBe(running().id);

    // Relabelled to shard2: shard1's watch delivers a DELETE with the previous copy (its selector no longer matches)...
    const previous = cache1.get(KEY)!;
    const relabelled = { ...kube.get(KEY)!, metadata: { ...kube.get(KEY)!.metadata, labels: { [SHARD_LABEL]: 'shard2' } } };
    kube.put(relabelled);
    expect(departureOf(previous).kind).toBe('left');
    cache1.delete(KEY);
    log.length = 0;
    const coderCalls = coder.calls.length;
    // ...and the key's reconcile, queued by that DELETE, finds nothing in the cache.
    expect(await old.reconcile(KEY)).toBeUndefined();
    expect(log, 'no Kubernetes write and no Event by the old shard').toEqual([]);
    expect(coder.calls.length, 'no Coder call by the old shard, not even a delete').toBe(coderCalls);
    expect(kube.get(KEY)?.metadata.finalizers, 'the finalizer stays: the Workspace is not being deleted').toEqual([FINALIZER]);

    // shard2's watch delivers an ADD: it binds by status.id; nothing in Coder or the status changes.
    const fresh = new FakeCoder();
    fresh.listed = [running()];
    const adopter = shardReconciler(shard2, kube, fresh, new Map([[KEY, relabelled]]));
    expect(await adopter.reconcile(KEY)).toEqual({});
    expect(fresh.writes(), 'no Coder write by the new shard').toEqual([]);
    expect(log, "no Kubernetes write by the new shard (the unlabelled connection is main's)").toEqual([]);
    expect(kube.get(KEY)?.status?.id).toBe(running().id);
  });

  const noStatusOnForeignConnection =
    'a shard writes no status on a connection it does not own (Ready nor rollout summary), ' +
    'even while its Workspaces use it; its owner does';
  it(noStatusOnForeignConnection, async () => {
    const log: string[] = [];
    const kube = new FakeKube(log);
    const coder = new FakeCoder();
    coder.listed = [running()];
    // A pinned version gives the Workspace a rollout state, so the connection would get a rollout summary.
    const pinned = { version: { policy: 'Pinned' as const, id: running().latest_build.template_version_id } };
    kube.put(workspace('shard1', pinned));
    // The connection is unlabelled: the main instance's.
    await shardReconciler(shard1, kube, coder, new Map([[KEY, kube.get(KEY)!]])).reconcile(KEY);
    expect(kube.get(KEY)?.status?.id, 'the Workspace itself is reconciled').toBe(running().id);
    expect(kube.get(KEY)?.status?.rollout?.state).toBe('UpToDate');
    expect(kube.statusPatches.map((p) => p.ref.kind)).toEqual(['Workspace']);
    // The main instance, reconciling one of its own Workspaces on the same connection, writes both.
    const other = { ...workspace('x', pinned), metadata: { ...workspace('x').metadata, labels: {} } };
    await shardReconciler(main, kube, coder, new Map([[KEY, other]])).reconcile(KEY);
    const written = kube.statusPatches.filter((p) => p.ref.kind === 'CoderConnection').map((p) => Object.keys(p.patch).sort());
    expect(written).toEqual([['conditions', 'observedGeneration', 'renamesAllowed', 'version'], ['rollout']]);
  });
});
