// Issue 18, "Invariants", the operator's delete path: generated sequences of
// Workspace creates, spec changes (deletionPolicy Orphan/Delete/unset,
// managementPolicies Observe, suspend, spec.name), owner spellings (username
// in two cases, the user's UUID), deletions, finalizers removed by hand,
// Coder workspaces made out of band, operator restarts between reconciles and
// a crash right after the finalizer write, driving the real Reconciler against
// the Coder simulator (loopback HTTP, a fresh one per sequence). On main it
// found a wrong delete: a Workspace whose process died after its finalizer
// write, deleted before any create or adoption, deleted the workspace of the
// same owner and name that someone had made in Coder (found by name, never
// bound); a delete now needs status.id.
// Invariant, checked after every step: Coder saw a delete build for a
// workspace only if a Workspace resource (one uid) was bound to it (status.id)
// or created it before that step, that resource is being deleted, and its spec says
// deletionPolicy Delete (or, unset, the operator's default) and not Observe.
// >= 1,000 sequences per run with a fixed seed; fast-check prints the seed and
// the shrunk sequence on failure (replay: FC_SEED=<seed>).
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoderConnection, Workspace } from '../../../src/api/schema.ts';
import { CoderClient } from '../../../src/coder/client.ts';
import { startCoderSimulator, type CoderSimulator } from '../../../src/coder-sim/index.ts';
import { ConnectionRegistry } from '../../../src/controller/connection/registry.ts';
import { Reconciler } from '../../../src/controller/workspace/reconciler.ts';
import { coderConnection } from '../../support/coder-connection.ts';
import { FakeKube } from './fake-kube.ts';

const SEED = Number(process.env.FC_SEED ?? 20261207);
const RUNS = Number(process.env.FC_RUNS ?? 1000);
const KEYS = ['team-a/w0', 'team-a/w1'] as const;
const NAMES = ['dev', 'other'] as const;
const NOW = new Date('2026-11-10T12:00:00.000Z');

type Spec = {
  name: (typeof NAMES)[number];
  owner: 0 | 1 | 2; // alice, ALICE, alice's UUID
  policy: 'Delete' | 'Orphan' | undefined;
  observe: boolean;
  suspend: boolean;
};

type Command =
  | { kind: 'apply'; key: number; spec: Spec }
  | { kind: 'reconcile'; key: number }
  | { kind: 'delete'; key: number }
  | { kind: 'dropFinalizer'; key: number }
  | { kind: 'restart' }
  | { kind: 'crashAfterFinalizer'; key: number }
  | { kind: 'outOfBand'; name: (typeof NAMES)[number] };

const specArb: fc.Arbitrary<Spec> = fc.record({
  name: fc.constantFrom(...NAMES),
  owner: fc.constantFrom(0, 1, 2),
  // Weighted towards the specs that lead to a delete, so the sequences reach the delete path often.
  policy: fc.constantFrom('Delete' as const, 'Delete' as const, 'Orphan' as const, undefined),
  observe: fc.constantFrom(false, false, false, true),
  suspend: fc.constantFrom(false, false, false, false, true),
});
const key = fc.integer({ min: 0, max: KEYS.length - 1 });
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('apply' as const), key, spec: specArb }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('reconcile' as const), key }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dropFinalizer' as const), key }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('crashAfterFinalizer' as const), key }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('outOfBand' as const), name: fc.constantFrom(...NAMES) }) },
);

let sim: CoderSimulator;
beforeAll(async () => {
  sim = await startCoderSimulator({ rateLimitPerMinute: 0, buildDurationMs: 0 });
});
afterAll(async () => {
  await sim?.close();
});

/** A kube writer that dies (throws) right after its next finalizer write: the process crashed between two calls. */
class CrashingKube extends FakeKube {
  crashAfterFinalizer = false;
  override async setFinalizers(...args: Parameters<FakeKube['setFinalizers']>): Promise<void> {
    await super.setFinalizers(...args);
    if (this.crashAfterFinalizer && args[0].kind === 'Workspace') throw new Error('crash');
  }
}

async function runSequence(commands: Command[], defaultPolicy: 'Delete' | 'Orphan'): Promise<void> {
  // A fresh Coder for each sequence: its state is the simulator's, reset.
  await sim.close();
  sim = await startCoderSimulator({ rateLimitPerMinute: 0, buildDurationMs: 0 });
  const alice = sim.state.findUser('alice')!;
  const owners = ['alice', 'ALICE', alice.id];
  const kube = new CrashingKube([]);
  kube.secretAnnotations = { 'coderops.dev/allowed-urls': sim.url };
  const connection = coderConnection({ url: sim.url }, { uid: 'conn' });
  kube.connections.set('CoderConnection/team-a/default', connection);
  const token = sim.tokenFor('admin');
  const logger = pino({ level: 'silent' });
  const makeReconciler = () =>
    new Reconciler({
      caches: {
        workspace: (k) => kube.get(k),
        coderConnection: (k) =>
          k === 'team-a/default' ? (kube.connections.get('CoderConnection/team-a/default') as CoderConnection) : undefined,
        clusterCoderConnection: () => undefined,
        namespaceLabels: () => ({}),
      },
      connections: new ConnectionRegistry({
        readSecret: async () => ({ ...(await kube.readSecret()), value: token }),
        makeApi: (c) => new CoderClient({ url: c.url, token: c.token, maxRetries: 0, circuitBreaker: c.breaker }),
        logger,
        staleMs: 0,
      }),
      kube,
      settings: { deletionPolicy: defaultPolicy, now: () => NOW },
      telemetry: { logger },
    });
  let reconciler = makeReconciler();
  let uids = 0;
  /** Coder ids each resource (uid) was ever bound to or created. */
  const bound = new Map<string, Set<string>>();
  let checkedCalls = 0;

  const observe = (k: string) => {
    const ws = kube.get(k);
    const id = ws?.status?.id;
    if (ws?.metadata.uid && id) bound.set(ws.metadata.uid, (bound.get(ws.metadata.uid) ?? new Set()).add(id));
  };
  /** bound as it was before the step: a binding made by the very reconcile that deletes is no evidence. */
  let boundBefore = new Map<string, Set<string>>();
  const check = (step: number) => {
    for (const call of sim.calls.slice(checkedCalls)) {
      const m = /^\/api\/v2\/workspaces\/([^/]+)\/builds$/.exec(call.path);
      if (call.method !== 'POST' || !m || (call.requestBody as { transition?: string } | undefined)?.transition !== 'delete') continue;
      const id = m[1]!;
      const deleter = [...kube.store.values()].find((ws) => {
        const policy = ws.spec.deletionPolicy ?? defaultPolicy;
        return (
          boundBefore.get(ws.metadata.uid!)?.has(id) === true &&
          ws.metadata.deletionTimestamp !== undefined &&
          policy === 'Delete' &&
          !ws.spec.managementPolicies?.includes('Observe')
        );
      });
      expect(
        deleter,
        `step ${step}: Coder workspace ${id} was deleted without a deleted Workspace bound to it that said Delete`,
      ).toBeDefined();
    }
    checkedCalls = sim.calls.length;
  };
  const reconcile = async (k: string) => {
    await reconciler.reconcile(k).catch(() => undefined);
    observe(k);
    // Creates made by this reconcile are this resource's, whether or not its status recorded them.
    const uid = kube.get(k)?.metadata.uid;
    for (const call of sim.calls.slice(checkedCalls))
      if (uid && call.method === 'POST' && /^\/api\/v2\/users\/[^/]+\/workspaces$/.test(call.path) && call.status === 201) {
        const id = (call.responseBody as { id?: string } | undefined)?.id;
        if (id) bound.set(uid, (bound.get(uid) ?? new Set()).add(id));
      }
  };

  for (const [step, c] of commands.entries()) {
    boundBefore = new Map([...bound].map(([uid, ids]) => [uid, new Set(ids)]));
    switch (c.kind) {
      case 'apply': {
        const k = KEYS[c.key]!;
        const spec: Workspace['spec'] = {
          owner: owners[c.spec.owner]!,
          template: 'docker',
          name: c.spec.name,
          ...(c.spec.policy ? { deletionPolicy: c.spec.policy } : {}),
          ...(c.spec.observe ? { managementPolicies: ['Observe' as const] } : {}),
          ...(c.spec.suspend ? { suspend: true } : {}),
        };
        const current = kube.get(k);
        if (current?.metadata.deletionTimestamp) break; // the apiserver refuses nothing here, but a user cannot "re-create" it
        if (current)
          kube.put({
            ...current,
            // owner is immutable (CEL): an edit keeps it
            spec: { ...spec, owner: current.spec.owner },
            metadata: { ...current.metadata, generation: (current.metadata.generation ?? 1) + 1, resourceVersion: `u${step}` },
          });
        else
          kube.put({
            apiVersion: 'coderops.dev/v1alpha1',
            kind: 'Workspace',
            metadata: { name: k.split('/')[1]!, namespace: 'team-a', generation: 1, resourceVersion: `c${step}`, uid: `uid-${++uids}` },
            spec,
          });
        break;
      }
      case 'reconcile':
        await reconcile(KEYS[c.key]!);
        break;
      case 'delete': {
        const k = KEYS[c.key]!;
        const ws = kube.get(k);
        if (!ws) break;
        if (ws.metadata.finalizers?.length)
          kube.put({ ...ws, metadata: { ...ws.metadata, deletionTimestamp: NOW.toISOString(), resourceVersion: `d${step}` } });
        else kube.store.delete(k);
        break;
      }
      case 'dropFinalizer': {
        const k = KEYS[c.key]!;
        const ws = kube.get(k);
        if (!ws) break;
        if (ws.metadata.deletionTimestamp) kube.store.delete(k);
        else kube.put({ ...ws, metadata: { ...ws.metadata, finalizers: [], resourceVersion: `f${step}` } });
        break;
      }
      case 'restart':
        reconciler = makeReconciler();
        break;
      case 'crashAfterFinalizer':
        kube.crashAfterFinalizer = true;
        await reconcile(KEYS[c.key]!);
        kube.crashAfterFinalizer = false;
        reconciler = makeReconciler();
        break;
      case 'outOfBand': {
        if (!sim.state.findLiveWorkspace(alice.id, c.name)) sim.state.addWorkspace({ owner: 'alice', template: 'docker', name: c.name });
        break;
      }
    }
    check(step);
  }
}

describe('the operator deletes a Coder workspace only for a deleted Workspace bound to it that said Delete', () => {
  it(`generated sequences (either --deletion-policy), ${RUNS} runs, seed ${SEED}`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('Orphan' as const, 'Delete' as const),
        fc.array(commandArb, { minLength: 1, maxLength: 20 }),
        (policy, commands) => runSequence(commands, policy),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  }, 600_000);
});

describe('the sequence the property found on main', () => {
  it('finalizer written, process dies, Workspace deleted: the same-named workspace made in Coder is not deleted', async () => {
    const spec: Spec = { name: 'dev', owner: 0, policy: 'Delete', observe: false, suspend: false };
    await runSequence(
      [
        { kind: 'outOfBand', name: 'dev' },
        { kind: 'apply', key: 0, spec },
        { kind: 'crashAfterFinalizer', key: 0 },
        { kind: 'delete', key: 0 },
        { kind: 'reconcile', key: 0 },
      ],
      'Orphan',
    );
    const alice = sim.state.findUser('alice')!;
    expect(sim.state.findLiveWorkspace(alice.id, 'dev')).toBeDefined();
  });
});
