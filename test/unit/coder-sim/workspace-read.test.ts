import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoderSimulator } from '../../../src/coder-sim/index.ts';
import { apiAs, idOf, manualClock, startSim, workspaceId, type Api } from './helpers.ts';

describe('coder-sim reading and listing workspaces', () => {
  // A simulator of this suite's own (clock, build time); contract/simulator-responses.test.ts starts another with response validation.
  let sim: CoderSimulator;
  let admin: Api;
  let alice: Api;
  let bob: Api;
  const clock = manualClock();
  beforeAll(async () => {
    sim = await startSim({ clock: clock.fn, buildDurationMs: 1000 });
    admin = apiAs(sim, 'admin');
    alice = apiAs(sim, 'alice');
    bob = apiAs(sim, 'bob');
    const docker = idOf(sim, 'template', 'docker');
    for (const [who, name] of [
      ['alice', 'zeta'],
      ['alice', 'Alpha'],
      ['bob', 'alpha-two'],
      ['bob', 'mid'],
    ] as const) {
      expect((await admin('POST', `/api/v2/users/${who}/workspaces`, { name, template_id: docker })).status).toBe(201);
    }
    clock.advance(1000);
    // bob/mid gets a pending stop build, so it is not "started".
    await admin('POST', `/api/v2/workspaces/${workspaceId(sim, 'bob', 'mid')}/builds`, { transition: 'stop' });
  });
  afterAll(() => sim.close());

  const names = (body: { workspaces: { owner_name: string; name: string }[] }) => body.workspaces.map((w) => `${w.owner_name}/${w.name}`);

  it('orders started workspaces first, then owner and name ignoring case', async () => {
    const res = await admin('GET', '/api/v2/workspaces');
    expect(res.status).toBe(200);
    expect(names(res.body)).toEqual(['alice/Alpha', 'alice/zeta', 'bob/alpha-two', 'carol/carol-scratch', 'bob/mid']);
    expect(res.body.count).toBe(5);
  });

  it("puts the requester's own favorites first, and only the owner sees favorite=true", async () => {
    const zeta = workspaceId(sim, 'alice', 'zeta');
    expect((await alice('PUT', `/api/v2/workspaces/${zeta}/favorite`)).status).toBe(204);
    const mine = await alice('GET', '/api/v2/workspaces');
    expect(names(mine.body)).toEqual(['alice/zeta', 'alice/Alpha']);
    expect(mine.body.workspaces[0].favorite).toBe(true);
    const asAdmin = await admin('GET', `/api/v2/workspaces/${zeta}`);
    expect(asAdmin.body.favorite).toBe(false);
    await alice('DELETE', `/api/v2/workspaces/${zeta}/favorite`);
  });

  it('shows members only their own workspaces', async () => {
    expect(names((await bob('GET', '/api/v2/workspaces')).body)).toEqual(['bob/alpha-two', 'bob/mid']);
    const other = await bob('GET', `/api/v2/workspaces/${workspaceId(sim, 'alice', 'zeta')}`);
    expect(other.status).toBe(404);
  });

  it.each([
    ['owner:alice', ['alice/Alpha', 'alice/zeta']],
    ['OWNER:ALICE', ['alice/Alpha', 'alice/zeta']],
    ['owner:me', []],
    ['name:alpha', ['alice/Alpha', 'bob/alpha-two']],
    ['alpha', ['alice/Alpha', 'bob/alpha-two']],
    ['bob/alpha', ['bob/alpha-two']],
    ['template:docker status:pending', ['bob/mid']],
    ['status:running owner:bob', ['bob/alpha-two']],
    ['organization:coder name:zeta', ['alice/zeta']],
    ['dormant:false name:zeta', ['alice/zeta']],
    ['template:kubernetes', []],
    ['has-agent:connected name:zeta', ['alice/zeta']],
  ])('filters q=%s', async (q, expected) => {
    const res = await admin('GET', `/api/v2/workspaces?q=${encodeURIComponent(q)}`);
    expect(res.status).toBe(200);
    expect(names(res.body)).toEqual(expected);
    expect(res.body.count).toBe(expected.length);
  });

  it('filters by id and dormant:true', async () => {
    const zeta = workspaceId(sim, 'alice', 'zeta');
    expect(names((await admin('GET', `/api/v2/workspaces?q=id:${zeta}`)).body)).toEqual(['alice/zeta']);
    sim.state.setDormant(zeta, true);
    expect(names((await admin('GET', '/api/v2/workspaces?q=dormant:true')).body)).toEqual(['alice/zeta']);
    sim.state.setDormant(zeta, false);
  });

  it.each([
    ['name:a:b', 'q'],
    [':x', 'q'],
    ['x:', 'q'],
    ['color:red', 'color'],
    ['owner:a owner:b', 'owner'],
    ['status:sleepy', 'status'],
    ['dormant:maybe', 'dormant'],
    ['id:nope', 'id'],
  ])('refuses q=%s with a validation on %s', async (q, field) => {
    const res = await admin('GET', `/api/v2/workspaces?q=${encodeURIComponent(q)}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Invalid workspace search query.');
    expect(res.body.validations[0].field).toBe(field);
  });

  it("refuses an unknown key with the server's wording", async () => {
    const res = await admin('GET', '/api/v2/workspaces?q=color:red');
    expect(res.body.validations).toEqual([{ field: 'color', detail: '"color" is not a valid query param' }]);
  });

  it('paginates: limit 0 is everything, count is the total, an offset past the end is []', async () => {
    const page = await admin('GET', '/api/v2/workspaces?limit=2&offset=1');
    expect(names(page.body)).toEqual(['alice/zeta', 'bob/alpha-two']);
    expect(page.body.count).toBe(5);
    const past = await admin('GET', '/api/v2/workspaces?limit=2&offset=50');
    expect(past.body).toMatchObject({ workspaces: [], count: 5 });
    expect((await admin('GET', '/api/v2/workspaces?limit=0')).body.workspaces).toHaveLength(5);
  });

  it.each(['-1', 'ten'])('refuses limit=%s', async (limit) => {
    const res = await admin('GET', `/api/v2/workspaces?limit=${limit}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Query parameters have invalid values.');
    expect(res.body.validations[0]).toMatchObject({
      field: 'limit',
      detail: expect.stringMatching(/^Query param "limit" must be a valid 32-bit positive integer/),
    });
  });

  it('answers 410 for a deleted workspace unless include_deleted=true, and never lists it', async () => {
    const res = await alice('POST', '/api/v2/users/alice/workspaces', { name: 'doomed', template_id: idOf(sim, 'template', 'docker') });
    const id = res.body.id;
    sim.state.deleteWorkspace(id);
    const gone = await alice('GET', `/api/v2/workspaces/${id}`);
    expect(gone.status).toBe(410);
    expect(gone.body.message).toBe(
      `Workspace "${id}" was deleted, you can view this workspace by specifying '?include_deleted=true' and trying again.`,
    );
    const shown = await alice('GET', `/api/v2/workspaces/${id}?include_deleted=true`);
    expect(shown.status).toBe(200);
    expect(shown.body.latest_build.status).toBe('deleted');
    expect((await alice('GET', `/api/v2/workspaces/${id}?include_deleted=perhaps`)).status).toBe(400);
    expect(names((await alice('GET', '/api/v2/workspaces?q=name:doomed')).body)).toEqual([]);
    expect((await alice('GET', '/api/v2/users/alice/workspace/doomed')).status).toBe(404);
    const byName = await alice('GET', '/api/v2/users/alice/workspace/DOOMED?include_deleted=true');
    expect(byName.body.id).toBe(id);
  });

  it('finds a workspace by owner and name ignoring case, 404 for others', async () => {
    const res = await alice('GET', '/api/v2/users/ALICE/workspace/ZETA');
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('zeta');
    expect((await bob('GET', '/api/v2/users/alice/workspace/zeta')).status).toBe(404);
    expect((await admin('GET', '/api/v2/users/alice/workspace/zeta')).status).toBe(200);
  });

  it('answers Invalid UUID for a malformed workspace id', async () => {
    const res = await alice('GET', '/api/v2/workspaces/not-a-uuid');
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Invalid UUID "not-a-uuid".');
  });
});
