import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CoderSimulator } from '../../../src/coder-sim/index.ts';
import { apiAs, idOf, manualClock, startSim, type Api } from './helpers.ts';

describe('coder-sim workspace settings', () => {
  let sim: CoderSimulator;
  let admin: Api;
  let alice: Api;
  let bob: Api;
  let tess: Api;
  let id: string;
  const clock = manualClock();
  beforeAll(async () => {
    sim = await startSim({ clock: clock.fn });
    admin = apiAs(sim, 'admin');
    alice = apiAs(sim, 'alice');
    bob = apiAs(sim, 'bob');
    tess = apiAs(sim, 'tess');
  });
  afterAll(() => sim.close());
  let seq = 0;
  beforeEach(async () => {
    sim.state.allowRenames = false;
    const res = await alice('POST', '/api/v2/users/alice/workspaces', {
      name: `ws-${++seq}`,
      template_id: idOf(sim, 'template', 'docker'),
    });
    id = res.body.id;
    clock.advance(10_000);
  });
  const ws = () => sim.state.workspaces.get(id)!;

  describe('rename', () => {
    it('refuses renames by default, but accepts the same name', async () => {
      const same = await alice('PATCH', `/api/v2/workspaces/${id}`, { name: ws().name });
      expect(same.status).toBe(204);
      const res = await alice('PATCH', `/api/v2/workspaces/${id}`, { name: 'other' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message: 'Workspace renames are not allowed.' });
    });

    it('renames when allowed, without touching updated_at, and shows allow_renames', async () => {
      sim.state.allowRenames = true;
      const before = (await alice('GET', `/api/v2/workspaces/${id}`)).body;
      expect(before.allow_renames).toBe(true);
      expect((await alice('PATCH', `/api/v2/workspaces/${id}`, { name: 'Renamed' })).status).toBe(204);
      const after = (await alice('GET', `/api/v2/workspaces/${id}`)).body;
      expect(after.name).toBe('Renamed');
      expect(after.updated_at).toBe(before.updated_at);
      expect((await alice('PATCH', `/api/v2/workspaces/${id}`, { name: 'renamed' })).status).toBe(204);
    });

    it.each([
      [{ name: '' }, 'required', ''],
      [{}, 'required', ''],
      [{ name: '-bad' }, 'workspace_name', '-bad'],
      [{ name: 'create' }, 'workspace_name', 'create'],
    ])('validates %j', async (body, tagName, value) => {
      const res = await alice('PATCH', `/api/v2/workspaces/${id}`, body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        message: 'Validation failed.',
        validations: [{ field: 'name', detail: `Validation failed for tag "${tagName}" with value: "${value}"` }],
      });
    });

    it('answers 409 on a conflict and 405 on a deleted workspace', async () => {
      sim.state.allowRenames = true;
      await alice('POST', '/api/v2/users/alice/workspaces', { name: 'taken', template_id: idOf(sim, 'template', 'docker') });
      const conflict = await alice('PATCH', `/api/v2/workspaces/${id}`, { name: 'TAKEN' });
      expect(conflict.status).toBe(409);
      expect(conflict.body.validations).toEqual([{ field: 'name', detail: 'This value is already in use and should be unique.' }]);
      const old = ws().name;
      sim.state.deleteWorkspace(id);
      const deleted = await alice('PATCH', `/api/v2/workspaces/${id}`, { name: 'fresh' });
      expect(deleted.status).toBe(405);
      expect(deleted.body.message).toBe(`Workspace "${old}" is deleted and cannot be updated.`);
    });

    it('is refused to other members (404) and read-only template admins (403)', async () => {
      sim.state.allowRenames = true;
      expect((await bob('PATCH', `/api/v2/workspaces/${id}`, { name: 'x' })).status).toBe(404);
      expect((await tess('PATCH', `/api/v2/workspaces/${id}`, { name: 'x' })).status).toBe(403);
      expect((await admin('PATCH', `/api/v2/workspaces/${id}`, { name: 'by-admin' })).status).toBe(204);
    });
  });

  describe('autostart', () => {
    it('stores the schedule exactly as sent and computes next_start_at', async () => {
      const schedule = 'CRON_TZ=US/Central   30 9 * * 1-5';
      expect((await alice('PUT', `/api/v2/workspaces/${id}/autostart`, { schedule })).status).toBe(204);
      const got = (await alice('GET', `/api/v2/workspaces/${id}`)).body;
      expect(got.autostart_schedule).toBe(schedule);
      // 2026-09-01 is a Tuesday; 09:30 Central (CDT, UTC-5) is 14:30Z, still ahead of 10:00Z.
      expect(got.next_start_at).toBe('2026-09-01T14:30:00.000Z');
      expect(got.updated_at).toBe(got.created_at);
    });

    it('accepts overlapping items as Coder does', async () => {
      expect((await alice('PUT', `/api/v2/workspaces/${id}/autostart`, { schedule: '0 9 * * 1,1-3' })).status).toBe(204);
    });

    it.each([null, '', undefined])('turns autostart off with %j', async (schedule) => {
      sim.state.setAutostart(id, '0 9 * * *');
      const body = schedule === undefined ? {} : { schedule };
      expect((await alice('PUT', `/api/v2/workspaces/${id}/autostart`, body)).status).toBe(204);
      const got = (await alice('GET', `/api/v2/workspaces/${id}`)).body;
      expect('autostart_schedule' in got).toBe(false);
      expect(got.next_start_at).toBeNull();
    });

    it.each([
      ['0 9 * *', 'validate weekly schedule: expected schedule to consist of 5 fields with an optional CRON_TZ=<timezone> prefix'],
      ['0 9 * 1 *', 'validate weekly schedule: expected day-of-month and month to be *'],
      ['CRON_TZ=Nowhere/Land 0 9 * * *', 'parse schedule: provided bad location Nowhere/Land: unknown time zone Nowhere/Land'],
      ['0 99 * * *', expect.stringMatching(/^parse schedule: /)],
      ['@daily', 'validate weekly schedule: expected schedule to consist of 5 fields with an optional CRON_TZ=<timezone> prefix'],
      // robfig/cron takes weekdays 0-6 only, and Go's time zone names are case-sensitive with no offsets.
      ['0 9 * * 7', expect.stringMatching(/^parse schedule: /)],
      ['CRON_TZ=europe/berlin 0 9 * * *', expect.stringMatching(/^parse schedule: .*europe\/berlin/)],
      ['CRON_TZ=+01:00 0 9 * * *', expect.stringMatching(/^parse schedule: /)],
    ])('refuses %s', async (schedule, detail) => {
      const res = await alice('PUT', `/api/v2/workspaces/${id}/autostart`, { schedule });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message: 'Invalid autostart schedule.', validations: [{ field: 'schedule', detail }] });
    });
  });

  describe('ttl', () => {
    it('truncates to whole minutes; null and 0 turn autostop off', async () => {
      expect((await alice('PUT', `/api/v2/workspaces/${id}/ttl`, { ttl_ms: 3_659_999 })).status).toBe(204);
      expect((await alice('GET', `/api/v2/workspaces/${id}`)).body.ttl_ms).toBe(3_600_000);
      for (const body of [{ ttl_ms: null }, { ttl_ms: 0 }]) {
        sim.state.setTtl(id, 60_000);
        expect((await alice('PUT', `/api/v2/workspaces/${id}/ttl`, body)).status).toBe(204);
        expect('ttl_ms' in (await alice('GET', `/api/v2/workspaces/${id}`)).body).toBe(false);
      }
    });

    it.each([
      [59_999, 'time until shutdown must be at least one minute'],
      [-60_000, 'time until shutdown must be at least one minute'],
      [30 * 86_400_000 + 60_000, 'time until shutdown must be less than 30 days'],
    ])('refuses %d', async (ttl, detail) => {
      const res = await alice('PUT', `/api/v2/workspaces/${id}/ttl`, { ttl_ms: ttl });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message: 'Error updating workspace time until shutdown.', validations: [{ field: 'ttl_ms', detail }] });
    });

    it('shows the template default when the template forbids user autostop', async () => {
      const res = await alice('POST', '/api/v2/users/alice/workspaces', {
        name: `locked-${seq}`,
        template_id: idOf(sim, 'template', 'locked'),
        ttl_ms: 3_600_000,
      });
      expect(res.body.ttl_ms).toBe(0);
    });
  });

  describe('dormant', () => {
    it('answers 200 with the workspace on change and 304 without a body when unchanged', async () => {
      const on = await alice('PUT', `/api/v2/workspaces/${id}/dormant`, { dormant: true });
      expect(on.status).toBe(200);
      expect(on.body.dormant_at).toBe(new Date(clock.now).toISOString());
      expect(on.body.deleting_at).toBeNull();
      // Dormancy does not stop the workspace.
      expect(on.body.latest_build.transition).toBe('start');
      const again = await alice('PUT', `/api/v2/workspaces/${id}/dormant`, { dormant: true });
      expect(again.status).toBe(304);
      expect(again.text).toBe('');
      clock.advance(5000);
      const off = await alice('PUT', `/api/v2/workspaces/${id}/dormant`, { dormant: false });
      expect(off.status).toBe(200);
      expect(off.body.dormant_at).toBeNull();
      expect(off.body.last_used_at).toBe(new Date(clock.now).toISOString());
      expect((await alice('PUT', `/api/v2/workspaces/${id}/dormant`, { dormant: false })).status).toBe(304);
    });
  });

  describe('favorite', () => {
    it('is owner-only, even for a site Owner, and idempotent', async () => {
      expect((await alice('DELETE', `/api/v2/workspaces/${id}/favorite`)).status).toBe(204);
      expect((await alice('PUT', `/api/v2/workspaces/${id}/favorite`)).status).toBe(204);
      expect((await alice('PUT', `/api/v2/workspaces/${id}/favorite`)).status).toBe(204);
      const put = await admin('PUT', `/api/v2/workspaces/${id}/favorite`);
      expect(put.status).toBe(403);
      expect(put.body).toEqual({ message: 'You can only favorite workspaces that you own.' });
      const del = await admin('DELETE', `/api/v2/workspaces/${id}/favorite`);
      expect(del.body).toEqual({ message: 'You can only un-favorite workspaces that you own.' });
      expect((await bob('PUT', `/api/v2/workspaces/${id}/favorite`)).status).toBe(404);
      const mine = (await alice('GET', `/api/v2/workspaces/${id}`)).body;
      expect(mine.favorite).toBe(true);
      expect(mine.updated_at).toBe(mine.created_at);
    });
  });

  describe('autoupdates', () => {
    it('accepts always and never, refuses anything else', async () => {
      expect((await alice('PUT', `/api/v2/workspaces/${id}/autoupdates`, { automatic_updates: 'always' })).status).toBe(204);
      expect((await alice('GET', `/api/v2/workspaces/${id}`)).body.automatic_updates).toBe('always');
      for (const value of ['', 'sometimes', undefined]) {
        const res = await alice('PUT', `/api/v2/workspaces/${id}/autoupdates`, value === undefined ? {} : { automatic_updates: value });
        expect(res.status).toBe(400);
        expect(res.body).toEqual({
          message: 'Invalid request',
          validations: [{ field: 'automatic_updates', detail: 'must be always or never' }],
        });
      }
    });
  });
});
