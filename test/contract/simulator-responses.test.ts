// Drives the simulator through every endpoint and error path with response
// validation on, and expects no answer to contradict swagger.json.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSwaggerPath, loadSwagger, matchOperation, responseSchemaFor, SwaggerContract } from '../../src/coder-sim/contract.ts';
import { startCoderSimulator, type CoderSimulator } from '../../src/coder-sim/index.ts';
import { versionProfile } from '../../src/coder-sim/versions.ts';
import { requiredOnCi } from '../support/real-part.ts';
import { SWAGGER_HINT } from '../support/swagger.ts';
import { apiAs, call, idOf, manualClock, SIM_VERSION_FROM_ENV, TEST_SEED, versionId, type Api } from '../unit/coder-sim/helpers.ts';

const swaggerPath = defaultSwaggerPath();
const haveSwagger = existsSync(swaggerPath);
requiredOnCi('swagger.json', haveSwagger, SWAGGER_HINT);

describe.skipIf(!haveSwagger)('simulator responses match swagger.json', () => {
  let sim: CoderSimulator;
  let admin: Api;
  let alice: Api;
  let bob: Api;
  const clock = manualClock();
  beforeAll(async () => {
    sim = await startCoderSimulator({
      seed: TEST_SEED,
      clock: clock.fn,
      buildDurationMs: 1000,
      rateLimitPerMinute: 20,
      validateResponses: true,
      ...SIM_VERSION_FROM_ENV,
    });
    admin = apiAs(sim, 'admin');
    alice = apiAs(sim, 'alice');
    bob = apiAs(sim, 'bob');
  });
  afterAll(() => sim.close());

  it('matches operations to swagger path templates', () => {
    expect(matchOperation('GET', '/api/v2/users/alice/keys/tokens')?.route).toBe('/api/v2/users/{user}/keys/tokens');
    expect(matchOperation('DELETE', '/api/v2/users/alice/keys/abcdefghij')?.route).toBe('/api/v2/users/{user}/keys/{keyid}');
    expect(matchOperation('PUT', '/api/v2/workspaces/x/ttl')).toMatchObject({
      route: '/api/v2/workspaces/{workspace}/ttl',
      params: { workspace: 'x' },
    });
    expect(matchOperation('PATCH', '/api/v2/workspaces/x/ttl')).toBeUndefined();
    expect(responseSchemaFor('PUT', '/api/v2/workspaces/{workspace}/ttl', 204)).toBeNull();
    expect(responseSchemaFor('GET', '/api/v2/workspaces', 200)).toEqual({
      $ref: 'coder-swagger.json#/definitions/codersdk.WorkspacesResponse',
    });
  });

  it('every simulator route is a swagger operation', async () => {
    const { SIM_ROUTES } = await import('../../src/coder-sim/index.ts');
    // Through the contract, which gives the served document's paths their /api/v2 prefix.
    const doc = new SwaggerContract(loadSwagger()!).doc;
    // A route the version played does not serve (the ACL before v2.27.0) is not in its swagger either.
    const profile = versionProfile(SIM_VERSION_FROM_ENV.coderVersion);
    for (const r of SIM_ROUTES.filter((route) => route.servedBy?.(profile) ?? true))
      expect(doc.paths[r.template]?.[r.method.toLowerCase()], `${r.method} ${r.template}`).toBeDefined();
  });

  it('produces no contract violations across every endpoint and error path', async () => {
    expect(sim.contractAvailable).toBe(true);
    const docker = idOf(sim, 'template', 'docker');
    // Lookups.
    await call(sim, 'GET', '/api/v2/buildinfo');
    await alice('GET', '/api/v2/users/me');
    await alice('GET', '/api/v2/users/nobody');
    await alice('GET', '/api/v2/organizations/default');
    await alice('GET', '/api/v2/organizations/nope');
    await alice('GET', '/api/v2/organizations/coder/templates/docker');
    await alice('GET', '/api/v2/organizations/coder/templates/nope');
    await alice('GET', `/api/v2/templateversions/${versionId(sim, 'broken')}`);
    await alice('GET', `/api/v2/templateversions/${versionId(sim, 'importing')}`);
    await alice('GET', '/api/v2/templateversions/bad');
    await alice('GET', `/api/v2/templates/${docker}/versions`);
    await alice('GET', `/api/v2/templates/${docker}/versions?include_archived=true&limit=2&offset=1`);
    await alice('GET', `/api/v2/templates/${docker}/versions/archived`);
    await alice('GET', `/api/v2/templates/${docker}/versions/nope`);
    await alice('GET', `/api/v2/templateversions/${versionId(sim, 'archived')}/rich-parameters`);
    await alice('GET', '/api/v2/nope');
    // Auth failures.
    await call(sim, 'GET', '/api/v2/users/me');
    await call(sim, 'GET', '/api/v2/users/me', undefined, { 'Coder-Session-Token': 'bad' });

    // Create: success and every error.
    const created = await alice('POST', '/api/v2/users/alice/workspaces', {
      name: 'main',
      template_id: docker,
      autostart_schedule: 'CRON_TZ=UTC 0 9 * * 1-5',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await alice('POST', '/api/v2/users/alice/workspaces', { name: 'nottl', template_id: idOf(sim, 'template', 'kubernetes') });
    await admin('POST', '/api/v2/organizations/coder/members/bob/workspaces', { name: 'legacy', template_id: docker });
    for (const body of [
      { name: 'x' },
      { name: 'new', template_id: docker },
      '{',
      { name: 'x', template_version_id: versionId(sim, 'archived') },
      { name: 'x', template_version_id: versionId(sim, 'importing') },
      { name: 'x', template_version_id: versionId(sim, 'broken') },
      { name: 'x', template_id: '00000000-0000-4000-8000-0000000fffff' },
      { name: 'x', template_id: idOf(sim, 'template', 'gone') },
      { name: 'x', template_id: idOf(sim, 'template', 'old') },
      { name: 'x', template_id: docker, autostart_schedule: '0 9 1 * *' },
      { name: 'x', template_id: docker, ttl_ms: 1 },
      { name: 'x', template_id: docker, automatic_updates: 'maybe' },
      { name: 'MAIN', template_id: docker },
      { name: 'x', template_id: idOf(sim, 'template', 'params') },
      { name: 'x', template_id: idOf(sim, 'template', 'classic') },
    ]) {
      const res = await alice('POST', '/api/v2/users/alice/workspaces', body);
      expect(res.status).toBeGreaterThanOrEqual(400);
    }
    await alice('POST', '/api/v2/users/bob/workspaces', { name: 'x', template_id: docker });

    // Reads.
    await alice('GET', '/api/v2/workspaces');
    await alice('GET', '/api/v2/workspaces?q=owner:me&limit=1&offset=0');
    await alice('GET', '/api/v2/workspaces?q=color:red');
    await alice('GET', '/api/v2/workspaces?limit=-1');
    await alice('GET', `/api/v2/workspaces/${id}`);
    await bob('GET', `/api/v2/workspaces/${id}`);
    await alice('GET', '/api/v2/users/alice/workspace/main');
    await alice('GET', '/api/v2/users/alice/workspace/none');
    await alice('GET', `/api/v2/workspaces/${id}/builds`);

    // Settings.
    await alice('PATCH', `/api/v2/workspaces/${id}`, { name: 'main' });
    await alice('PATCH', `/api/v2/workspaces/${id}`, { name: 'other' });
    await alice('PATCH', `/api/v2/workspaces/${id}`, { name: '' });
    sim.state.allowRenames = true;
    await alice('PATCH', `/api/v2/workspaces/${id}`, { name: 'nottl' });
    await alice('PATCH', `/api/v2/workspaces/${id}`, { name: 'renamed' });
    await alice('PUT', `/api/v2/workspaces/${id}/autostart`, { schedule: 'CRON_TZ=Europe/Paris 30 7 * * *' });
    await alice('PUT', `/api/v2/workspaces/${id}/autostart`, { schedule: 'nope' });
    await alice('PUT', `/api/v2/workspaces/${id}/autostart`, { schedule: null });
    await alice('PUT', `/api/v2/workspaces/${id}/ttl`, { ttl_ms: 7_200_000 });
    await alice('PUT', `/api/v2/workspaces/${id}/ttl`, { ttl_ms: 5 });
    await alice('PUT', `/api/v2/workspaces/${id}/ttl`, { ttl_ms: null });
    await alice('PUT', `/api/v2/workspaces/${id}/dormant`, { dormant: true });
    await alice('PUT', `/api/v2/workspaces/${id}/dormant`, { dormant: true });
    await alice('PUT', `/api/v2/workspaces/${id}/dormant`, { dormant: false });
    await alice('PUT', `/api/v2/workspaces/${id}/favorite`);
    await admin('PUT', `/api/v2/workspaces/${id}/favorite`);
    await alice('DELETE', `/api/v2/workspaces/${id}/favorite`);
    await admin('DELETE', `/api/v2/workspaces/${id}/favorite`);
    await alice('PUT', `/api/v2/workspaces/${id}/autoupdates`, { automatic_updates: 'always' });
    await alice('PUT', `/api/v2/workspaces/${id}/autoupdates`, { automatic_updates: 'x' });
    await apiAs(sim, 'tess')('PUT', `/api/v2/workspaces/${id}/ttl`, { ttl_ms: 7_200_000 });

    // Builds through the whole lifecycle.
    await alice('POST', `/api/v2/workspaces/${id}/builds`, { transition: 'stop' });
    for (let i = 0; i < 3; i++) {
      clock.advance(500);
      await alice('GET', `/api/v2/workspaces/${id}`);
    }
    const stop = await alice('POST', `/api/v2/workspaces/${id}/builds`, { transition: 'stop' });
    await alice('GET', `/api/v2/workspacebuilds/${stop.body.id}`);
    await alice('GET', `/api/v2/workspacebuilds/${stop.body.id}/parameters`);
    await alice('GET', '/api/v2/workspacebuilds/00000000-0000-4000-8000-0000000fffff');
    await alice('POST', `/api/v2/workspaces/${id}/builds`, { transition: 'reboot' });
    await alice('POST', `/api/v2/workspaces/${id}/builds`, { transition: 'stop', orphan: true });
    await alice('POST', `/api/v2/workspaces/${id}/builds`, { transition: 'delete', orphan: true });
    clock.advance(1000);
    await alice('POST', `/api/v2/workspaces/${id}/builds`, { transition: 'delete' });
    clock.advance(500);
    await alice('GET', `/api/v2/workspaces/${id}`);
    clock.advance(500);
    await alice('GET', `/api/v2/workspaces/${id}`);
    await alice('GET', `/api/v2/workspaces/${id}?include_deleted=true`);
    await alice('POST', `/api/v2/workspaces/${id}/builds`, { transition: 'start' });
    await alice('PATCH', `/api/v2/workspaces/${id}`, { name: 'zombie' });

    // Tokens.
    await admin('GET', '/api/v2/users/alice/keys/tokens/tokenconfig');
    const minted = await admin('POST', '/api/v2/users/alice/keys/tokens', {
      token_name: 'op',
      lifetime: 600e9,
      scopes: ['workspace:read'],
    });
    await admin('POST', '/api/v2/users/alice/keys/tokens', { token_name: 'op', lifetime: 600e9 });
    await admin('POST', '/api/v2/users/alice/keys/tokens', { token_name: 'long', lifetime: 1e18 });
    await bob('POST', '/api/v2/users/alice/keys/tokens', { token_name: 'x', lifetime: 600e9 });
    const keys = await admin('GET', '/api/v2/users/alice/keys/tokens');
    const keyId = minted.body.key.split('-')[0];
    await admin('GET', `/api/v2/users/alice/keys/${keyId}`);
    await admin('DELETE', `/api/v2/users/alice/keys/${keyId}`);
    await admin('DELETE', `/api/v2/users/alice/keys/${keyId}`);
    expect(keys.body.length).toBeGreaterThan(0);

    // Rate limit (20/min per user and path).
    for (let i = 0; i < 21; i++) await bob('GET', '/api/v2/users/me');

    const statuses = new Set(sim.calls.map((c) => c.status));
    for (const s of [200, 201, 204, 304, 400, 401, 403, 404, 405, 406, 409, 410, 429, 500]) expect(statuses, `status ${s}`).toContain(s);
    expect(sim.contractViolations).toEqual([]);
  });

  it('records violations in human-readable form when an answer is wrong', async () => {
    const { SwaggerContract } = await import('../../src/coder-sim/contract.ts');
    const contract = new SwaggerContract(loadSwagger()!);
    const problems = contract.checkResponse('GET', '/api/v2/workspaces/{workspace}', 200, { id: 'not-a-uuid', name: 3 });
    expect(problems.join('\n')).toMatch(/\/id must match format "uuid"/);
    expect(contract.checkResponse('GET', '/api/v2/workspaces/{workspace}', 404, { detail: 'x' })).toEqual([
      'GET /api/v2/workspaces/{workspace} → 404: error body without a message',
    ]);
    expect(contract.checkResponse('PUT', '/api/v2/workspaces/{workspace}/ttl', 200, {})[0]).toMatch(/not documented/);
  });
});

describe('simulator without swagger.json', () => {
  it('does not crash with validateResponses on and reports contractAvailable=false', async () => {
    const sim = await startCoderSimulator({ validateResponses: { swaggerPath: '/nonexistent/swagger.json' } });
    try {
      expect(sim.contractAvailable).toBe(false);
      expect((await call(sim, 'GET', '/api/v2/buildinfo')).status).toBe(200);
      expect(sim.contractViolations).toEqual([]);
    } finally {
      await sim.close();
    }
  });
});
