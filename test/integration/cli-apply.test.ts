// plan / apply against the simulator, one mission change at a time, asserting
// the exact Coder calls the simulator recorded.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeHarness } from '../support/harness-per-test.ts';
import { startHarness, workspaceYaml, type Harness } from './harness.ts';
import { HOUR, SEED } from './seed.ts';

let h: Harness;

// Every call of every test here doubles as a contract check against swagger.json.
afterEach(() => closeHarness(h));

/** Applies `spec` for team-a/ws and returns the writes that apply made. */
async function applySpec(spec: Record<string, unknown>, name = 'ws') {
  await h.write('ws.yaml', workspaceYaml(name, spec));
  h.resetCalls();
  const result = await h.cli(['apply', '-f', 'ws.yaml']);
  expect(result.code, result.stdout + result.stderr).toBe(0);
  return h.writes();
}

function workspace(owner: string, name: string) {
  const ws = findLive(owner, name);
  if (!ws) throw new Error(`no workspace ${owner}/${name} in the simulator`);
  return ws;
}

function findLive(owner: string, name: string) {
  return h.sim.state.findLiveWorkspace(h.sim.state.findUser(owner)!.id, name);
}

describe('create and converge', () => {
  beforeEach(async () => {
    h = await startHarness({ seed: SEED });
  });

  it('plan shows the create and exits 2; apply creates once; a second apply makes no write call', async () => {
    await h.write('ws.yaml', workspaceYaml('alice-dev', { owner: 'alice', template: 'docker', ttl: '4h', automaticUpdates: 'always' }));
    const plan = await h.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain(
      '+ create team-a/alice-dev (owner alice, template docker, name alice-dev, ttl 4h, autostart off, automatic updates always)',
    );
    expect(h.writes()).toEqual([]);

    const apply = await h.cli(['apply', '-f', 'ws.yaml']);
    expect(apply.code, apply.stderr).toBe(0);
    expect(h.writes()).toEqual([{ method: 'POST', route: '/api/v2/users/{user}/workspaces', status: 201 }]);
    const created = h.sim.calls.find((c) => c.method === 'POST')!;
    expect(created.requestBody).toMatchObject({ name: 'alice-dev', ttl_ms: 4 * HOUR, automatic_updates: 'always' });

    h.resetCalls();
    const again = await h.cli(['apply', '-f', 'ws.yaml']);
    expect(again.code).toBe(0);
    expect(h.writes()).toEqual([]);
    // Observation is one list pass, not one read per workspace.
    expect(h.sim.calls.filter((c) => c.route === '/api/v2/workspaces')).toHaveLength(1);
    expect((await h.cli(['plan', '-f', 'ws.yaml'])).code).toBe(0);
  });

  it('adopts an existing workspace by owner + name instead of creating a duplicate', async () => {
    await h.write('ws.yaml', workspaceYaml('carol-scratch', { owner: 'carol', template: 'docker' }, 'team-b'));
    const plan = await h.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.stdout).toContain('= adopt team-b/carol-scratch (existing workspace carol/carol-scratch)');
    expect(plan.code).toBe(2);
    expect((await h.cli(['apply', '-f', 'ws.yaml'])).code).toBe(0);
    expect(h.writes()).toEqual([]);
    const state = JSON.parse(await readFile(join(h.dir, '.cwo-state.json'), 'utf8'));
    expect(state.entries['team-b/carol-scratch']).toMatchObject({ origin: 'adopted', id: workspace('carol', 'carol-scratch').id });
    expect((await h.cli(['plan', '-f', 'ws.yaml'])).code).toBe(0);
  });

  it('a create Coder would refuse (a required parameter missing) stops apply before any write, naming the parameter', async () => {
    await h.write(
      'ws.yaml',
      [workspaceYaml('gpu', { owner: 'alice', template: 'gpu' }), workspaceYaml('ok', { owner: 'bob', template: 'docker' })].join(
        '\n---\n',
      ),
    );
    const apply = await h.cli(['apply', '-f', 'ws.yaml']);
    expect(apply.code).toBe(1);
    expect(apply.stderr + apply.stdout).toContain('gpu_type');
    // Checked against the template version before the first write: nothing is half-applied.
    expect(findLive('bob', 'ok')).toBeUndefined();
    expect(h.writes()).toEqual([]);
  });
});

describe('each managed field', () => {
  beforeEach(async () => {
    h = await startHarness({ seed: SEED, allowRenames: true });
    await applySpec({ owner: 'alice', template: 'docker' });
  });

  it('rename (allowed): one PATCH, the binding survives', async () => {
    expect(await applySpec({ owner: 'alice', template: 'docker', name: 'renamed' })).toEqual([
      { method: 'PATCH', route: '/api/v2/workspaces/{workspace}', status: 204 },
    ]);
    expect(workspace('alice', 'renamed')).toBeDefined();
    expect(await applySpec({ owner: 'alice', template: 'docker', name: 'renamed' })).toEqual([]);
  });

  it.each([
    {
      name: 'autostart set',
      spec: { autostart: { schedule: '30 9 * * 1-5', timezone: 'Europe/Berlin' } },
      route: '/autostart',
      stored: { autostartSchedule: 'CRON_TZ=Europe/Berlin 30 9 * * 1-5' },
    },
    { name: 'ttl set', spec: { ttl: '90m' }, route: '/ttl', stored: { ttlMs: 90 * 60_000 } },
    { name: 'ttl off', spec: { ttl: '0s' }, route: '/ttl', stored: { ttlMs: null } },
    { name: 'dormant on', spec: { dormant: true }, route: '/dormant', stored: { dormant: true } },
    { name: 'automatic updates', spec: { automaticUpdates: 'always' }, route: '/autoupdates', stored: { automaticUpdates: 'always' } },
  ])('$name: one call, then quiet', async ({ spec, route, stored }) => {
    const writes = await applySpec({ owner: 'alice', template: 'docker', ...spec });
    expect(writes.map((w) => w.route)).toEqual([`/api/v2/workspaces/{workspace}${route}`]);
    const ws = workspace('alice', 'ws');
    for (const [field, value] of Object.entries(stored)) {
      if (field === 'dormant') expect(ws.dormantAt !== null).toBe(value);
      else expect((ws as unknown as Record<string, unknown>)[field]).toEqual(value);
    }
    expect(await applySpec({ owner: 'alice', template: 'docker', ...spec })).toEqual([]);
  });

  it('autostart change and off; an equal schedule written differently is left alone', async () => {
    await applySpec({ owner: 'alice', template: 'docker', autostart: { schedule: '0 9 * * 1-5' } });
    expect(await applySpec({ owner: 'alice', template: 'docker', autostart: { schedule: '0 9 * * MON-FRI', timezone: 'UTC' } })).toEqual(
      [],
    );
    expect((await applySpec({ owner: 'alice', template: 'docker', autostart: { schedule: '0 10 * * 1-5' } })).map((w) => w.route)).toEqual([
      '/api/v2/workspaces/{workspace}/autostart',
    ]);
    await applySpec({ owner: 'alice', template: 'docker', autostart: { enabled: false } });
    expect(workspace('alice', 'ws').autostartSchedule ?? null).toBeNull();
  });

  it('ttl change, dormancy off again', async () => {
    await applySpec({ owner: 'alice', template: 'docker', ttl: '4h', dormant: true });
    expect((await applySpec({ owner: 'alice', template: 'docker', ttl: '8h', dormant: false })).map((w) => w.route)).toEqual([
      '/api/v2/workspaces/{workspace}/dormant',
      '/api/v2/workspaces/{workspace}/ttl',
    ]);
    expect(workspace('alice', 'ws')).toMatchObject({ ttlMs: 8 * HOUR, dormantAt: null });
  });

  it('favorite on and off: set as the owner with a short-lived minted token that is deleted again', async () => {
    const writes = await applySpec({ owner: 'alice', template: 'docker', favorite: true });
    expect(writes.map((w) => `${w.method} ${w.route} ${w.status}`)).toEqual([
      'POST /api/v2/users/{user}/keys/tokens 201',
      'PUT /api/v2/workspaces/{workspace}/favorite 204',
      'DELETE /api/v2/users/{user}/keys/{keyid} 204',
    ]);
    const alice = h.sim.state.findUser('alice')!;
    const put = h.sim.calls.find((c) => c.method === 'PUT' && c.route.endsWith('/favorite'))!;
    expect(put.userId).toBe(alice.id);
    const mint = h.sim.calls.find((c) => c.route.endsWith('/keys/tokens'))!;
    expect(mint.requestBody).toMatchObject({ scopes: expect.arrayContaining(['workspace:read', 'workspace:update']) });
    expect((mint.requestBody as { lifetime: number }).lifetime).toBeLessThanOrEqual(3600 * 1e9);

    // Steady state: the favorite has to be read as the owner (mint, read, delete), but no workspace write.
    expect((await applySpec({ owner: 'alice', template: 'docker', favorite: true })).filter((w) => !w.route.includes('/keys/'))).toEqual(
      [],
    );
    expect((await applySpec({ owner: 'alice', template: 'docker', favorite: false })).map((w) => `${w.method} ${w.route}`)).toContain(
      'DELETE /api/v2/workspaces/{workspace}/favorite',
    );
  });
});

describe('ttl at create', () => {
  beforeEach(async () => {
    h = await startHarness({ seed: SEED });
  });

  it('ttl 0s on a template whose default TTL is set: create, then one TTL update', async () => {
    const writes = await applySpec({ owner: 'alice', template: 'docker', ttl: '0s' });
    expect(writes.map((w) => w.route)).toEqual(['/api/v2/users/{user}/workspaces', '/api/v2/workspaces/{workspace}/ttl']);
    expect(workspace('alice', 'ws').ttlMs ?? null).toBeNull();
  });

  it('ttl 0s on a template without a default TTL: the create alone', async () => {
    expect((await applySpec({ owner: 'alice', template: 'kubernetes', ttl: '0s' })).map((w) => w.route)).toEqual([
      '/api/v2/users/{user}/workspaces',
    ]);
  });

  it('a non-zero ttl travels in the create call', async () => {
    expect((await applySpec({ owner: 'alice', template: 'kubernetes', ttl: '2h' })).map((w) => w.route)).toEqual([
      '/api/v2/users/{user}/workspaces',
    ]);
    expect(workspace('alice', 'ws').ttlMs).toBe(2 * HOUR);
  });
});

describe('renames refused by the deployment', () => {
  beforeEach(async () => {
    h = await startHarness({ seed: SEED, allowRenames: false });
    await applySpec({ owner: 'alice', template: 'docker' });
  });

  it('plan shows the rename as blocked, apply makes no call and fails', async () => {
    await h.write('ws.yaml', workspaceYaml('ws', { owner: 'alice', template: 'docker', name: 'renamed' }));
    h.resetCalls();
    const plan = await h.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.stdout).toContain('! blocked team-a/ws: cannot rename "ws" to "renamed": renames are disabled');
    expect(plan.code).toBe(2);
    const apply = await h.cli(['apply', '-f', 'ws.yaml']);
    expect(apply.code).toBe(1);
    expect(h.writes()).toEqual([]);
  });
});

describe('prune', () => {
  beforeEach(async () => {
    h = await startHarness({ seed: SEED, buildDurationMs: 50 });
  });

  it('Delete policy: a delete build, waited for; Orphan: no call, the workspace stays', async () => {
    await h.write(
      'ws.yaml',
      [
        workspaceYaml('gone', { owner: 'alice', template: 'docker', deletionPolicy: 'Delete' }),
        workspaceYaml('kept', { owner: 'bob', template: 'docker' }),
        workspaceYaml('stay', { owner: 'carol', template: 'docker' }),
      ].join('\n---\n'),
    );
    expect((await h.cli(['apply', '-f', 'ws.yaml'])).code).toBe(0);
    await h.write('ws.yaml', workspaceYaml('stay', { owner: 'carol', template: 'docker' }));

    const plan = await h.cli(['plan', '-f', 'ws.yaml', '--prune']);
    expect(plan.stdout).toContain('- delete team-a/gone (alice/gone: deletionPolicy Delete)');
    expect(plan.stdout).toContain('- orphan team-a/kept (stop managing bob/kept; the workspace stays in Coder)');
    h.resetCalls();
    const apply = await h.cli(['apply', '-f', 'ws.yaml', '--prune']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(h.writes()).toEqual([{ method: 'POST', route: '/api/v2/workspaces/{workspace}/builds', status: 201 }]);
    expect(findLive('alice', 'gone')).toBeUndefined();
    expect(workspace('bob', 'kept')).toBeDefined();
    expect(workspace('carol', 'carol-scratch')).toBeDefined(); // never declared: never touched

    const state = JSON.parse(await readFile(join(h.dir, '.cwo-state.json'), 'utf8'));
    expect(Object.keys(state.entries)).toEqual(['team-a/stay']);
    h.resetCalls();
    expect((await h.cli(['apply', '-f', 'ws.yaml', '--prune'])).code).toBe(0);
    expect(h.writes()).toEqual([]);
  });

  it("prunes only within the paths it was given: applying one file never prunes another file's workspaces", async () => {
    await h.write('a.yaml', workspaceYaml('a', { owner: 'alice', template: 'docker', deletionPolicy: 'Delete' }));
    await h.write('b.yaml', workspaceYaml('b', { owner: 'bob', template: 'docker', deletionPolicy: 'Delete' }));
    expect((await h.cli(['apply', '-f', 'a.yaml', 'b.yaml'])).code).toBe(0);
    h.resetCalls();
    const plan = await h.cli(['plan', '--prune', '-f', 'a.yaml']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).not.toContain('team-a/b');
    expect((await h.cli(['apply', '--prune', '-f', 'a.yaml'])).code).toBe(0);
    expect(h.writes()).toEqual([]);
    expect(workspace('bob', 'b')).toBeDefined();
  });
});
