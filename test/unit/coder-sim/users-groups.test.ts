// GET /users with Coder's user search query, and a group with its members:
// the reads of WorkspaceSet generators, as coderd answers them
// (coderd/users.go, coderd/searchquery/search.go, enterprise/coderd/groups.go).
import { afterEach, describe, expect, it } from 'vitest';
import type { CoderSimulator } from '../../../src/coder-sim/index.ts';
import { apiAs, startSim, TEST_SEED } from './helpers.ts';

let sim: CoderSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const names = (body: { users: { username: string }[] }) => body.users.map((u) => u.username);

describe('GET /api/v2/users', () => {
  it('filters by status, search term and role, ordered by username, counting every match', async () => {
    sim = await startSim({
      seed: {
        ...TEST_SEED,
        users: [...TEST_SEED.users!, { username: 'sleepy', status: 'dormant' }, { username: 'gone', status: 'suspended' }],
      },
    });
    const admin = apiAs(sim, 'admin');
    const active = await admin('GET', '/api/v2/users?q=status:active');
    expect(names(active.body)).toEqual(['admin', 'alice', 'bob', 'carol', 'dave', 'rita', 'tess']);
    expect(active.body.count).toBe(7);
    expect(names((await admin('GET', '/api/v2/users?q=STATUS:dormant')).body)).toEqual(['sleepy']);
    expect(names((await admin('GET', '/api/v2/users?q=status:active,suspended ri')).body)).toEqual(['rita']);
    expect(names((await admin('GET', '/api/v2/users?q=role:owner')).body)).toEqual(['admin']);
  });

  it('pages by limit and offset; a page past the end is empty and counts 0, as the window count does', async () => {
    sim = await startSim();
    const admin = apiAs(sim, 'admin');
    const first = await admin('GET', '/api/v2/users?limit=3&offset=0');
    expect(first.body).toMatchObject({ count: 7 });
    expect(names(first.body)).toEqual(['admin', 'alice', 'bob']);
    expect((await admin('GET', '/api/v2/users?limit=3&offset=6')).body.users).toHaveLength(1);
    expect((await admin('GET', '/api/v2/users?limit=3&offset=9')).body).toEqual({ users: [], count: 0 });
  });

  it('refuses an unknown term or value with 400 "Invalid user search query."', async () => {
    sim = await startSim();
    const reply = await apiAs(sim, 'admin')('GET', '/api/v2/users?q=colour:blue status:sleeping');
    expect(reply.status).toBe(400);
    expect(reply.body.message).toBe('Invalid user search query.');
    expect(reply.body.validations).toEqual(
      expect.arrayContaining([
        { field: 'colour', detail: '"colour" is not a valid query param' },
        { field: 'status', detail: 'Query param "status" has invalid value: "sleeping" is not a valid value' },
      ]),
    );
  });

  it('a member sees the users of their organizations only', async () => {
    sim = await startSim();
    expect(names((await apiAs(sim, 'rita')('GET', '/api/v2/users')).body)).toEqual(['dave', 'rita']);
  });
});

describe('GET /api/v2/organizations/{organization}/groups/{groupName}', () => {
  it.each(['latest', '2.30.0', '2.27.0', '2.24.0'])(
    '%s without a Premium license: 403, before the organization is looked at',
    async (coderVersion) => {
      sim = await startSim({ coderVersion, seed: { ...TEST_SEED, groups: [{ name: 'devs', members: ['alice'] }] } });
      for (const path of ['/api/v2/organizations/default/groups/devs', '/api/v2/organizations/nope/groups/devs']) {
        const reply = await apiAs(sim, 'admin')('GET', path);
        expect(reply.status).toBe(403);
        expect(reply.body).toEqual({ message: 'Template RBAC is a Premium feature. Contact sales!' });
      }
    },
  );

  it('with the license: the members, the Everyone group, 404 for an unknown group', async () => {
    sim = await startSim({ seed: { ...TEST_SEED, premium: true, groups: [{ name: 'devs', members: ['bob', 'alice'] }] } });
    const admin = apiAs(sim, 'admin');
    const devs = await admin('GET', '/api/v2/organizations/coder/groups/devs');
    expect(devs.status).toBe(200);
    expect(devs.body).toMatchObject({ name: 'devs', total_member_count: 2, organization_name: 'coder' });
    expect(devs.body.members.map((m: { username: string }) => m.username)).toEqual(['alice', 'bob']);
    const everyone = await admin('GET', '/api/v2/organizations/research/groups/Everyone');
    expect(everyone.body.members.map((m: { username: string }) => m.username)).toEqual(['dave', 'rita']);
    expect((await admin('GET', '/api/v2/organizations/coder/groups/nobody')).status).toBe(404);
  });
});
