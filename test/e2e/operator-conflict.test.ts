// Two Workspace resources in two namespaces naming one Coder workspace (issue
// 12 item 1, cluster side), as a user meets it: the first binds it, the
// second reports Synced=False reason Conflict naming the first, and never
// writes to it: not on a resync, and not when the second is deleted with
// deletionPolicy Delete. The owner written by name in one and by UUID in the
// other is the same workspace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlOk } from './kubectl.ts';
import {
  apply,
  coderWrites,
  condition,
  eventually,
  getWorkspace,
  setUpOperatorEnv,
  TEST_RESYNC_MS,
  waitSettled,
  workspace,
  type OperatorEnv,
} from './operator-harness.ts';

let env: OperatorEnv;
let first: string;
let second: string;

beforeAll(async () => {
  env = await setUpOperatorEnv({ teams: 2 });
  [first, second] = env.teams as [string, string];
  await env.start({ name: 'conflict' });
});

afterAll(async () => {
  await env?.close();
});

const live = (name: string) => env.sim.state.findLiveWorkspace(env.sim.state.findUser('alice')!.id, name);

async function conflicted(ns: string, name: string): Promise<any> {
  return eventually(
    `${ns}/${name} Conflict`,
    async () => {
      const ws = await getWorkspace(ns, name);
      return condition(ws, 'Synced')?.reason === 'Conflict' ? ws : undefined;
    },
    20_000,
  );
}

describe('one Coder workspace, two Workspace resources', () => {
  it('the second, owner by UUID and another TTL, is Conflict naming the first; no write to the workspace on resyncs', async () => {
    await apply(workspace(first, 'dev', { owner: 'alice', template: 'docker', name: 'shared-dev', ttl: '1h' }));
    const bound = await waitSettled(first, 'dev', 'Created');
    const aliceId = env.sim.state.findUser('alice')!.id;
    env.sim.resetCalls();
    await apply(workspace(second, 'dev', { owner: aliceId, template: 'docker', name: 'shared-dev', ttl: '3h', deletionPolicy: 'Delete' }));
    const ws = await conflicted(second, 'dev');
    expect(condition(ws, 'Synced')?.message).toContain(`managed by Workspace ${first}/dev`);
    expect(ws.status.id).toBeUndefined();
    // Two resyncs: the first Workspace's TTL stays, and nothing was written to the Coder workspace.
    await new Promise((r) => setTimeout(r, TEST_RESYNC_MS * 2.5));
    expect(coderWrites(env.sim).filter((c) => c.path.includes(bound.status.id))).toEqual([]);
    expect(live('shared-dev')?.ttlMs).toBe(3_600_000);
  });

  it("deleting the second with deletionPolicy Delete does not delete the first one's workspace", async () => {
    env.sim.resetCalls();
    await kubectlOk(['delete', 'workspaces.coderops.dev', 'dev', '-n', second, '--wait=true', '--timeout=30s']);
    expect(coderWrites(env.sim).filter((c) => c.route.endsWith('/builds'))).toEqual([]);
    expect(live('shared-dev')).toBeDefined();
    expect((await getWorkspace(first, 'dev')).status.id).toBe(live('shared-dev')!.id);
  });
});
