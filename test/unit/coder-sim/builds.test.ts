import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoderSimulator } from '../../../src/coder-sim/index.ts';
import { apiAs, idOf, manualClock, startSim, type Api } from './helpers.ts';

describe('coder-sim builds and their lifecycle', () => {
  let sim: CoderSimulator;
  let admin: Api;
  let alice: Api;
  let bob: Api;
  let tess: Api;
  const clock = manualClock();
  const create = async (name: string) =>
    (await alice('POST', '/api/v2/users/alice/workspaces', { name, template_id: idOf(sim, 'template', 'docker') })).body;
  const status = async (id: string) => (await alice('GET', `/api/v2/workspaces/${id}?include_deleted=true`)).body.latest_build;
  beforeAll(async () => {
    sim = await startSim({ clock: clock.fn, buildDurationMs: 1000 });
    admin = apiAs(sim, 'admin');
    alice = apiAs(sim, 'alice');
    bob = apiAs(sim, 'bob');
    tess = apiAs(sim, 'tess');
  });
  afterAll(() => sim.close());

  it('walks a start build pending → starting → running with the clock', async () => {
    const ws = await create('life');
    expect(ws.latest_build).toMatchObject({ status: 'pending', job: { status: 'pending' } });
    expect(ws.latest_build.job.started_at).toBeUndefined();
    clock.advance(500);
    expect(await status(ws.id)).toMatchObject({ status: 'starting', job: { status: 'running' } });
    clock.advance(500);
    const done = await status(ws.id);
    expect(done).toMatchObject({ status: 'running', job: { status: 'succeeded' } });
    expect(done.job.completed_at).toBe(new Date(clock.now).toISOString());
    // The deadline is completion + ttl (docker's 8h default).
    expect(done.deadline).toBe(new Date(clock.now + 8 * 3600_000).toISOString());
  });

  it('refuses a second build while one is active, then stops and restarts', async () => {
    const ws = await create('busy');
    const busy = await alice('POST', `/api/v2/workspaces/${ws.id}/builds`, { transition: 'stop' });
    expect(busy.status).toBe(409);
    expect(busy.body).toEqual({ message: 'A workspace build is already active.' });
    clock.advance(1000);
    const stop = await alice('POST', `/api/v2/workspaces/${ws.id}/builds`, { transition: 'stop' });
    expect(stop.status).toBe(201);
    expect(stop.body).toMatchObject({ build_number: 2, transition: 'stop', status: 'pending' });
    clock.advance(600);
    expect((await status(ws.id)).status).toBe('stopping');
    clock.advance(400);
    expect((await status(ws.id)).status).toBe('stopped');
    const builds = await alice('GET', `/api/v2/workspaces/${ws.id}/builds`);
    expect(builds.body.map((b: { build_number: number }) => b.build_number)).toEqual([2, 1]);
    const one = await alice('GET', `/api/v2/workspacebuilds/${stop.body.id}`);
    expect(one.body).toMatchObject({ id: stop.body.id, status: 'stopped' });
    expect((await bob('GET', `/api/v2/workspacebuilds/${stop.body.id}`)).status).toBe(404);
  });

  it('deletes only when the delete build succeeds, then frees the name', async () => {
    const ws = await create('bye');
    clock.advance(1000);
    const del = await alice('POST', `/api/v2/workspaces/${ws.id}/builds`, { transition: 'delete' });
    expect(del.status).toBe(201);
    clock.advance(600);
    expect((await alice('GET', `/api/v2/workspaces/${ws.id}`)).body.latest_build.status).toBe('deleting');
    expect((await create('bye')).id).toBeUndefined();
    clock.advance(400);
    expect((await alice('GET', `/api/v2/workspaces/${ws.id}`)).status).toBe(410);
    const start = await alice('POST', `/api/v2/workspaces/${ws.id}/builds`, { transition: 'start' });
    expect(start.status).toBe(409);
    expect(start.body.message).toBe('Cannot start a deleted workspace!');
    expect((await alice('POST', `/api/v2/workspaces/${ws.id}/builds`, { transition: 'delete' })).status).toBe(201);
    expect((await create('bye')).name).toBe('bye');
  });

  it('completes an orphan delete at once, and only for template managers', async () => {
    const ws = await create('orphan');
    const denied = await alice('POST', `/api/v2/workspaces/${ws.id}/builds`, { transition: 'delete', orphan: true });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe('Only template managers may provide custom state');
    const wrong = await admin('POST', `/api/v2/workspaces/${ws.id}/builds`, { transition: 'stop', orphan: true });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toBe('Orphan is only permitted when deleting a workspace.');
    clock.advance(1000);
    const orphan = await admin('POST', `/api/v2/workspaces/${ws.id}/builds`, { transition: 'delete', orphan: true });
    expect(orphan.status).toBe(201);
    expect(orphan.body.status).toBe('deleted');
    expect((await alice('GET', `/api/v2/workspaces/${ws.id}`)).status).toBe(410);
  });

  it.each([
    [{}, 'required', ''],
    [{ transition: 'reboot' }, 'oneof', 'reboot'],
  ])('validates the transition %j', async (body, tagName, value) => {
    const ws = await create(`v-${tagName}`);
    const res = await alice('POST', `/api/v2/workspaces/${ws.id}/builds`, body);
    expect(res.status).toBe(400);
    expect(res.body.validations).toEqual([
      { field: 'transition', detail: `Validation failed for tag "${tagName}" with value: "${value}"` },
    ]);
  });

  it('lets template admins read but not build; other members get 404', async () => {
    const ws = await create('guarded');
    clock.advance(1000);
    expect((await tess('GET', `/api/v2/workspaces/${ws.id}`)).status).toBe(200);
    expect((await tess('POST', `/api/v2/workspaces/${ws.id}/builds`, { transition: 'stop' })).status).toBe(403);
    expect((await bob('POST', `/api/v2/workspaces/${ws.id}/builds`, { transition: 'stop' })).status).toBe(404);
  });

  it('clears dormancy when starting and reuses the previous version', async () => {
    const ws = await create('sleepy');
    clock.advance(1000);
    await alice('POST', `/api/v2/workspaces/${ws.id}/builds`, { transition: 'stop' });
    clock.advance(1000);
    sim.state.setDormant(ws.id, true);
    const start = await alice('POST', `/api/v2/workspaces/${ws.id}/builds`, { transition: 'start' });
    expect(start.status).toBe(201);
    expect(start.body.template_version_id).toBe(ws.latest_build.template_version_id);
    expect((await alice('GET', `/api/v2/workspaces/${ws.id}`)).body.dormant_at).toBeNull();
  });
});
