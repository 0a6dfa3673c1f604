// The operator dies (SIGKILL) after Coder created the workspace and before the
// operator could write status: a restarted operator must adopt that
// workspace, never create a second one. Likewise when a standby replica takes
// over from a SIGKILLed leader, and when Coder's answer to a create is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedCall } from '../../src/coder-sim/index.ts';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { kubectl } from './kubectl.ts';
import {
  apply,
  connection,
  createsByName,
  eventually,
  getWorkspace,
  measure,
  setToken,
  setUpOperatorEnv,
  waitSettled,
  workspace,
  type OperatorEnv,
  type OperatorProcess,
} from './operator-harness.ts';

// Short lease timings, so the restarted process waits seconds (not 15) for the dead one's lease to expire.
const LEASE = { duration: '4s', renewDeadline: '3s', retryPeriod: '1s' };
let env: OperatorEnv;
let ns: string;

beforeAll(async () => {
  env = await setUpOperatorEnv();
  ns = env.teams[0]!;
});

afterAll(async () => {
  await env?.close();
});

/**
 * Kills `victim` the moment the simulator records a create of `name`. The
 * simulator records a call after the change is committed and before it
 * writes the answer, and it runs in this process: the kill lands exactly in
 * the window between the create and anything the operator does with the answer.
 */
function killOnCreate(victim: OperatorProcess, name: string): { killedAt: () => number | undefined } {
  const calls = env.sim.calls;
  const push = calls.push.bind(calls);
  let killedAt: number | undefined;
  calls.push = (...items: RecordedCall[]) => {
    for (const c of items) {
      const body = c.requestBody as { name?: string } | undefined;
      if (killedAt === undefined && c.method === 'POST' && /\/workspaces$/.test(c.route) && body?.name === name) {
        victim.child.kill('SIGKILL');
        killedAt = Date.now();
      }
    }
    return push(...items);
  };
  return { killedAt: () => killedAt };
}

describe('crashes and lost answers around the Coder create', () => {
  it('a restarted operator adopts the workspace; exactly one create, one workspace', async () => {
    const first = await env.start({ name: 'doomed', lease: LEASE });
    const trap = killOnCreate(first, 'crash');
    // deletionPolicy Delete: the policy whose Workspaces carry the finalizer, which must be in place before the create.
    await apply(workspace(ns, 'crash', { owner: 'alice', template: 'docker', ttl: '3h', deletionPolicy: 'Delete' }));
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(trap.killedAt()).toBeDefined();

    // Coder has it; Kubernetes does not know its id: the window we aimed for.
    const alice = env.sim.state.findUser('alice')!.id;
    const created = env.sim.state.findLiveWorkspace(alice, 'crash');
    expect(created, 'the create was committed in Coder').toBeDefined();
    const before = await getWorkspace(ns, 'crash');
    expect(before.status?.id).toBeUndefined();
    expect(before.metadata.finalizers, 'finalizer added before the first create').toContain('coderops.dev/finalizer');

    const restartedAt = Date.now();
    const second = await env.start({ name: 'restarted', lease: LEASE });
    const ws = await waitSettled(ns, 'crash', undefined, 30_000);
    measure(`crash: restart -> adopted and Ready ${Date.now() - restartedAt} ms (lease ${LEASE.duration})`);
    expect(ws.status.id).toBe(created!.id);
    expect(createsByName(env.sim).get('crash'), 'create requests for "crash"').toBe(1);
    const mine = [...env.sim.state.workspaces.values()].filter((w) => w.ownerId === alice && w.name === 'crash');
    expect(mine).toHaveLength(1);
    expect(env.sim.state.mustWorkspace(created!.id).ttlMs).toBe(3 * 3600_000);

    // And it keeps working: a new Workspace after the restart is created once.
    await apply(workspace(ns, 'after', { owner: 'alice', template: 'docker' }));
    await eventually('after Ready', async () => (await getWorkspace(ns, 'after')).status?.id, 20_000);
    expect(createsByName(env.sim).get('after')).toBe(1);
    await second.stop('SIGTERM');
  }, 90_000);

  it('a standby takes over from a SIGKILLed leader mid-batch after the lease expires; every workspace created once', async () => {
    const leader = await env.start({ name: 'leader', lease: LEASE });
    await eventually('leader leads', async () => (await leaseHolder()).startsWith('leader_'), 15_000);
    const standby = await env.start({ name: 'standby', lease: LEASE, waitReady: false });
    env.sim.setFaults({ latencyMs: 150 });
    env.sim.resetCalls();
    const names = Array.from({ length: 10 }, (_, i) => `batch-${i}`);
    await apply(...names.map((n, i) => workspace(ns, n, { owner: i % 2 ? 'alice' : 'bob', template: 'docker' })));
    await eventually('creates under way', async () => createsByName(env.sim).size >= 3, 20_000, { everyMs: 20 });
    leader.child.kill('SIGKILL');
    const killedAt = Date.now();
    await eventually('standby leads', async () => (await leaseHolder()).startsWith('standby_'), 20_000, { everyMs: 100 });
    measure(`crash: leader SIGKILLed -> standby holds the Lease after ${Date.now() - killedAt} ms (lease ${LEASE.duration}, not released)`);
    const waited = await kubectl([
      'wait',
      '--for=condition=Ready',
      '--timeout=60s',
      '-n',
      ns,
      ...names.map((n) => `workspaces.coderops.dev/${n}`),
    ]);
    expect(waited.code, waited.stderr).toBe(0);
    env.sim.setFaults({});
    const creates = createsByName(env.sim);
    for (const n of names) expect(creates.get(n), `create requests for ${n}`).toBe(1);
    for (const n of names) {
      const ws = await getWorkspace(ns, n);
      const owner = env.sim.state.findUser(ws.spec.owner)!.id;
      expect(ws.status.id).toBe(env.sim.state.findLiveWorkspace(owner, n)?.id);
    }
    await standby.stop('SIGTERM');
  }, 90_000);

  it('a create whose answer was lost (500 after Coder committed it) is adopted, not created twice', async () => {
    // A proxy in front of the simulator loses exactly one answer: the create's. (The simulator's own
    // after-commit fault hits every route, and the lookups before the create would never get through.)
    let lost = 0;
    const proxy = createServer((req, res) => {
      const upstream = httpRequest(`${env.sim.url}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
        const isCreate = req.method === 'POST' && /\/workspaces$/.test(req.url ?? '') && lost === 0;
        if (isCreate) {
          lost += 1;
          up.resume();
          res
            .writeHead(500, { 'content-type': 'application/json' })
            .end(JSON.stringify({ message: 'Internal error.', detail: 'answer lost (test proxy)' }));
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    }).listen(0, '127.0.0.1');
    await new Promise((r) => proxy.once('listening', r));
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      await apply(...connection(ns, url, 'lossy', 'lossy-token'));
      await setToken(ns, env.sim.tokenFor('admin'), 'lossy-token');
      const op = await env.start({ name: 'lossy', lease: LEASE });
      env.sim.resetCalls();
      await apply(
        workspace(ns, 'lost-answer', { owner: 'bob', template: 'docker', connectionRef: { kind: 'CoderConnection', name: 'lossy' } }),
      );
      const ws = await waitSettled(ns, 'lost-answer', undefined, 40_000);
      const bob = env.sim.state.findUser('bob')!.id;
      const mine = [...env.sim.state.workspaces.values()].filter((w) => w.ownerId === bob && w.name === 'lost-answer');
      measure(`crash: create answered 500 after commit: ${createsByName(env.sim).get('lost-answer')} create request(s), then Ready`);
      expect(lost).toBe(1);
      expect(mine).toHaveLength(1);
      expect(ws.status.id).toBe(mine[0]!.id);
      await op.stop('SIGTERM');
    } finally {
      proxy.close();
      proxy.closeAllConnections();
    }
  }, 90_000);
});

async function leaseHolder(): Promise<string> {
  const ran = await kubectl(['get', 'lease', env.leaseName, '-n', env.operatorNs, '-o', 'jsonpath={.spec.holderIdentity}']);
  return ran.code === 0 ? ran.stdout.trim() : '';
}
