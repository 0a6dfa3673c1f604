// The operator dies (SIGKILL) after Coder created the workspace and before the
// operator could write status: a restarted operator must adopt that
// workspace, never create a second one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedCall } from '../../src/coder-sim/index.ts';
import { apply, createsByName, eventually, getWorkspace, measure, setUpOperatorEnv, waitSettled, workspace, type OperatorEnv, type OperatorProcess } from './operator-harness.ts';

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

describe('operator crash between the Coder create and the status write', () => {
  it('a restarted operator adopts the workspace; exactly one create, one workspace', async () => {
    const first = await env.start({ name: 'doomed', lease: LEASE });
    const trap = killOnCreate(first, 'crash');
    await apply(workspace(ns, 'crash', { owner: 'alice', template: 'docker', ttl: '3h' }));
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
});
