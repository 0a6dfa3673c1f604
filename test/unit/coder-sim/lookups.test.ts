import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoderSimulator } from '../../../src/coder-sim/index.ts';
import { apiAs, idOf, startSim, versionId, type Api } from './helpers.ts';

const NOT_FOUND = 'Resource not found or you do not have access to this resource';

describe('coder-sim lookups', () => {
  let sim: CoderSimulator;
  let admin: Api;
  let alice: Api;
  let rita: Api;
  beforeAll(async () => {
    sim = await startSim();
    admin = apiAs(sim, 'admin');
    alice = apiAs(sim, 'alice');
    rita = apiAs(sim, 'rita');
  });
  afterAll(() => sim.close());

  it.each([
    ['me', 'alice'],
    ['ALICE', 'alice'],
    ['bob', 'bob'],
  ])('GET /users/%s resolves to %s', async (ref, username) => {
    const res = await alice('GET', `/api/v2/users/${ref}`);
    expect(res.status).toBe(200);
    expect(res.body.username).toBe(username);
  });

  it('resolves a user by UUID and 404s unknown or unshared users', async () => {
    const bobId = idOf(sim, 'user', 'bob');
    expect((await alice('GET', `/api/v2/users/${bobId}`)).body.username).toBe('bob');
    expect((await alice('GET', '/api/v2/users/nobody')).body).toEqual({ message: NOT_FOUND });
    // rita shares no organization with alice.
    expect((await alice('GET', '/api/v2/users/rita')).status).toBe(404);
    expect((await admin('GET', '/api/v2/users/rita')).status).toBe(200);
  });

  it.each(['default', 'coder', 'CODER', '00000000-0000-0000-0000-000000000000'])(
    'GET /organizations/%s is the default org',
    async (ref) => {
      const res = await alice('GET', `/api/v2/organizations/${ref}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: 'coder', is_default: true });
    },
  );

  it('404s an unknown org and an org the caller is not a member of', async () => {
    expect((await alice('GET', '/api/v2/organizations/nope')).status).toBe(404);
    expect((await alice('GET', '/api/v2/organizations/research')).status).toBe(404);
    expect((await rita('GET', '/api/v2/organizations/research')).status).toBe(200);
  });

  it('finds templates by name ignoring case, never deleted ones', async () => {
    const res = await alice('GET', '/api/v2/organizations/coder/templates/Docker');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'docker',
      default_ttl_ms: 8 * 3600_000,
      allow_user_autostart: true,
      allow_user_autostop: true,
      require_active_version: false,
      deprecated: false,
      active_version_id: expect.any(String),
    });
    expect((await alice('GET', '/api/v2/organizations/coder/templates/gone')).status).toBe(404);
    expect((await alice('GET', '/api/v2/organizations/research/templates/gpu')).status).toBe(404);
    expect((await rita('GET', '/api/v2/organizations/research/templates/gpu')).status).toBe(200);
  });

  it('reads template versions, with Invalid UUID for a bad id', async () => {
    const res = await alice('GET', `/api/v2/templateversions/${versionId(sim, 'archived')}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ archived: true, job: { status: 'succeeded' } });
    const bad = await alice('GET', '/api/v2/templateversions/xyz');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ message: 'Invalid UUID "xyz".', detail: 'invalid UUID length: 3' });
    expect((await alice('GET', '/api/v2/templateversions/00000000-0000-4000-8000-0000000fffff')).status).toBe(404);
  });

  it('answers unknown routes with 404 Route not found, and wrong methods with 405', async () => {
    const res = await alice('GET', '/api/v2/not-a-route');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: 'Route not found.' });
    sim.resetCalls();
    expect((await alice('POST', '/api/v2/buildinfo')).status).toBe(405);
    expect(sim.calls[0]).toMatchObject({ route: '/api/v2/buildinfo', status: 405 });
  });

  it('escapes HTML characters like Go and ends JSON with a newline', async () => {
    const res = await alice('GET', '/api/v2/workspaces?q=name:%3Cb%3E:x');
    expect(res.status).toBe(400);
    expect(res.text).toContain('\\u003cb\\u003e');
    expect(res.text.endsWith('\n')).toBe(true);
  });
});
