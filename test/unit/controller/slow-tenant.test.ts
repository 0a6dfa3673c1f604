// Issue 18 item 6: one tenant's slow server must not delay another tenant's
// reconcile by more than one request timeout. Tenant A's Coder accepts and
// never answers; tenant B's answers at once. Two workers, A's four Workspaces
// queued ahead of B's one. Proven by counts and order, not by timings: the
// request timeout (1 s) only bounds how long a hanging request lives.
//   - first look: A's server gets ONE request (the timeout opens A's circuit
//     breaker; no retry, no further call), and B is reconciled before A's
//     server sees a second one. On main A's check was retried 5 times, with
//     both workers waiting, before B's turn.
//   - after the cool-down: one trial request to A; while it hangs, A holds one
//     worker (its other reconciles are parked), and B is reconciled before
//     the trial ends.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CoderClient } from '../../../src/coder/client.ts';
import { ConnectionSlots } from '../../../src/controller/connection/slots.ts';
import { ConnectionRegistry } from '../../../src/controller/connection/registry.ts';
import { connectionIdOf } from '../../../src/controller/connection/lookup.ts';
import { Reconciler } from '../../../src/controller/workspace/reconciler.ts';
import { ALLOWED_URLS_ANNOTATION } from '../../../src/controller/connection/token-secret.ts';
import { runWorkers } from '../../../src/kube/run-workers.ts';
import { WorkQueue } from '../../../src/kube/work-queue.ts';
import { coderWorkspace, FakeCoder } from '../engine/fake-coder.ts';
import { coderConnection } from '../../support/coder-connection.ts';
import { workspace as storedWorkspace } from '../../support/workspace.ts';
import { FakeKube } from './fake-kube.ts';

/** Accepts and never answers; counts requests as soon as their headers arrive. */
async function hangingServer(): Promise<{ url: string; requests: unknown[]; close(): Promise<void> }> {
  const requests: unknown[] = [];
  const server = createServer((req) => void requests.push(req.url));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

let hanging: Awaited<ReturnType<typeof hangingServer>> | undefined;
let queue: WorkQueue | undefined;
afterEach(async () => {
  queue?.shutDown();
  await hanging?.close();
});

const FAST = 'https://fast.example.com';

const workspace = (ns: string, name: string) =>
  storedWorkspace({ name: `${ns}-${name}` }, { name, namespace: ns, uid: `uid-${ns}-${name}` });

const connectionFor = (ns: string, url: string) => coderConnection({ url }, { namespace: ns });

describe('a tenant whose Coder never answers', () => {
  it('costs other tenants at most one request timeout, and then holds one worker at most', async () => {
    hanging = await hangingServer();
    const slowUrl = hanging.url;
    const kube = new FakeKube([]);
    kube.secretAnnotations = { [ALLOWED_URLS_ANNOTATION]: `${slowUrl} ${FAST}` };
    const tenantA = ['a1', 'a2', 'a3', 'a4'].map((n) => workspace('team-a', n));
    const tenantB = workspace('team-b', 'b1');
    for (const ws of [...tenantA, tenantB]) kube.put(ws);
    const connections = new Map([
      ['team-a/default', connectionFor('team-a', slowUrl)],
      ['team-b/default', connectionFor('team-b', FAST)],
    ]);
    const fast = new FakeCoder();
    fast.created = coderWorkspace();
    let clock = 1_000_000; // the registry's clock: recheck and cool-down move only when the test says
    const registry = new ConnectionRegistry({
      readSecret: () => kube.readSecret(),
      makeApi: (c) =>
        c.url === FAST
          ? fast
          : new CoderClient({ url: c.url, token: c.token, timeoutMs: 1_000, random: () => 0, circuitBreaker: c.breaker }),
      logger: pino({ level: 'silent' }),
      now: () => clock,
      recheckMs: 1_000,
      breakerCooldownMs: 1_000,
    });
    const reconciler = new Reconciler({
      caches: {
        workspace: (k) => kube.get(k),
        coderConnection: (k) => connections.get(k),
        clusterCoderConnection: () => undefined,
        namespaceLabels: () => ({}),
      },
      connections: registry,
      kube,
      settings: { deletionPolicy: 'Orphan', recheckMs: 3_600_000 },
      telemetry: { logger: pino({ level: 'silent' }) },
    });
    const q = new WorkQueue();
    queue = q;
    const slots = new ConnectionSlots({ suspect: (id) => registry.suspect(id), requeue: (key) => q.add(key) });
    const order: string[] = [];
    let bDone: () => void = () => {};
    const handler = async (key: string) => {
      const ws = kube.get(key);
      const result = await slots.run(ws ? connectionIdOf(ws) : undefined, key, () => reconciler.reconcile(key));
      if (result !== undefined || key.startsWith('team-b')) order.push(`${key} done (A's server had ${hanging!.requests.length})`);
      if (key.startsWith('team-b')) bDone();
      return result;
    };
    const workers = runWorkers(q, 2, handler, pino({ level: 'silent' }));
    const enqueueAll = () => {
      for (const ws of tenantA) q.add(`team-a/${ws.metadata.name}`);
      q.add('team-b/b1');
      return new Promise<void>((resolve) => (bDone = resolve));
    };

    // First look: A's check times out once, its breaker opens, every other A call fails at once.
    await enqueueAll();
    expect(order.at(-1)).toBe("team-b/b1 done (A's server had 1)");
    expect(hanging.requests).toHaveLength(1);
    expect(kube.get('team-a/a1')?.status?.conditions?.find((c) => c.type === 'Synced')?.message).toMatch(/^cannot reach Coder at /);

    // After the cool-down: one trial request. While it hangs, A's other reconciles are parked,
    // so B gets a worker at once and is done before the trial ends.
    clock += 2_000;
    order.length = 0;
    await enqueueAll();
    // No A reconcile ended before B: A's trial still hangs on one worker, its other three are parked.
    expect(order.map((o) => o.split(' ')[0])).toEqual(['team-b/b1']);
    expect(slots.parked).toBe(3);
    await vi.waitFor(() => expect(hanging!.requests).toHaveLength(2), { timeout: 10_000 });

    q.shutDown();
    await workers;
  });
});
