// The workspace-sharing feature module, version by version, through HTTP
// only (so the same test reads the same on the simulator before and after
// the feature became one module): which versions have the /acl routes, the
// experiment's 403, a PATCH read back, and the shared_with v2.30.0 adds to
// the workspace object while the experiment is on.
import { afterEach, describe, expect, it } from 'vitest';
import type { CoderSimulator } from '../../../src/coder-sim/index.ts';
import { apiAs, idOf, startSim, TEST_SEED, workspaceId } from './helpers.ts';

let sim: CoderSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const SEED = { ...TEST_SEED, premium: true, groups: [{ name: 'devs', members: ['alice'] }] };

async function shareCarolsWorkspace(coderVersion: string, experiments: string[]) {
  sim = await startSim({ coderVersion, experiments, seed: SEED });
  const admin = apiAs(sim, 'admin');
  const id = workspaceId(sim, 'carol', 'carol-scratch');
  const devs = (await admin('GET', '/api/v2/organizations/coder/groups/devs')).body.id as string;
  const patch = await admin('PATCH', `/api/v2/workspaces/${id}/acl`, {
    user_roles: { [idOf(sim, 'user', 'bob')]: 'use' },
    group_roles: { [devs]: 'admin' },
  });
  return { admin, id, devs, patch };
}

describe('workspace sharing, per Coder version', () => {
  it('v2.24.0 has no /acl route (404), with or without the experiment', async () => {
    const { admin, id, patch } = await shareCarolsWorkspace('2.24.0', ['workspace-sharing']);
    expect(patch.status).toBe(404);
    expect((await admin('GET', `/api/v2/workspaces/${id}/acl`)).status).toBe(404);
    expect((await admin('GET', `/api/v2/workspaces/${id}`)).body.shared_with).toBeUndefined();
  });

  for (const coderVersion of ['2.27.0', '2.30.0', 'latest']) {
    it(`${coderVersion} without the experiment: 403 naming it`, async () => {
      const { admin, id, patch } = await shareCarolsWorkspace(coderVersion, []);
      expect(patch.status).toBe(403);
      expect(patch.body.message).toContain("'workspace-sharing' experiment");
      expect((await admin('GET', `/api/v2/workspaces/${id}/acl`)).status).toBe(403);
      expect((await admin('GET', `/api/v2/workspaces/${id}`)).body.shared_with).toBeUndefined();
    });
  }

  it('2.27.0 with the experiment: the PATCH is read back, and the workspace object does not carry the ACL', async () => {
    const { admin, id, patch } = await shareCarolsWorkspace('2.27.0', ['workspace-sharing']);
    expect(patch.status).toBe(204);
    const acl = (await admin('GET', `/api/v2/workspaces/${id}/acl`)).body;
    expect(acl.users.map((u: { username: string; role: string }) => [u.username, u.role])).toEqual([['bob', 'use']]);
    expect(acl.group.map((g: { name: string; role: string }) => [g.name, g.role])).toEqual([['devs', 'admin']]);
    expect((await admin('GET', `/api/v2/workspaces/${id}`)).body.shared_with).toBeUndefined();
  });

  it('2.30.0 with the experiment: shared_with on the workspace object and in the list, absent once the ACL is empty', async () => {
    const { admin, id, devs, patch } = await shareCarolsWorkspace('2.30.0', ['workspace-sharing']);
    expect(patch.status).toBe(204);
    const bob = idOf(sim!, 'user', 'bob');
    const expected = [
      { id: bob, actor_type: 'user', name: 'bob', roles: ['use'] },
      { id: devs, actor_type: 'group', name: 'devs', roles: ['admin'] },
    ];
    expect((await admin('GET', `/api/v2/workspaces/${id}`)).body.shared_with).toEqual(expected);
    const listed = (await admin('GET', '/api/v2/workspaces?q=owner:carol')).body.workspaces[0];
    expect(listed.shared_with).toEqual(expected);
    const revoke = await admin('PATCH', `/api/v2/workspaces/${id}/acl`, { user_roles: { [bob]: '' }, group_roles: { [devs]: '' } });
    expect(revoke.status).toBe(204);
    expect((await admin('GET', `/api/v2/workspaces/${id}`)).body.shared_with).toBeUndefined();
  });
});
