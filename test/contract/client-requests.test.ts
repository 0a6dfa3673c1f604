// Every method of the Coder client, called against the simulator: each
// request must be an operation swagger.json defines (method + path), with a
// body that fits the operation's body schema, and each answer must fit too.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoderClient } from '../../src/coder/client.ts';
import { defaultSwaggerPath, loadSwagger, SwaggerContract } from '../../src/coder-sim/contract.ts';
import { startCoderSimulator, type CoderSimulator } from '../../src/coder-sim/index.ts';
import { requiredOnCi } from '../support/real-part.ts';
import { SWAGGER_HINT } from '../support/swagger.ts';
import { SIM_VERSION_FROM_ENV, TEST_SEED } from '../unit/coder-sim/helpers.ts';
import { SETTING_CALLS } from '../../src/engine/settings/index.ts';
import { readPresets } from '../../src/engine/settings/preset.ts';
import { patchAcl, readAcl } from '../../src/engine/settings/sharing.ts';

const haveSwagger = existsSync(defaultSwaggerPath());
requiredOnCi('swagger.json', haveSwagger, SWAGGER_HINT);

describe.skipIf(!haveSwagger)('the client only sends requests swagger.json defines', () => {
  let sim: CoderSimulator;
  let client: CoderClient;
  beforeAll(async () => {
    sim = await startCoderSimulator({ seed: TEST_SEED, validateResponses: true, buildDurationMs: 0, ...SIM_VERSION_FROM_ENV });
    client = new CoderClient({ url: sim.url, token: sim.tokenFor('admin') });
  });
  afterAll(() => sim.close());

  it('covers every CoderApi method', async () => {
    const org = await client.getOrganization('default');
    const template = await client.getTemplateByName(org.id, 'docker');
    await client.buildInfo();
    await client.getUser('me');
    await client.getTemplateVersion(template.active_version_id);
    const active = await client.getTemplateVersion(template.active_version_id);
    expect((await client.getTemplateVersionByName(template.id, active.name)).id).toBe(active.id);
    await client.getTemplateVersionParameters(template.active_version_id);
    const ws = await client.createWorkspace('alice', {
      name: 'contract',
      template_id: template.id,
      autostart_schedule: 'CRON_TZ=UTC 0 9 * * 1-5',
      ttl_ms: 3_600_000,
      automatic_updates: 'always',
      rich_parameter_values: [],
    });
    await client.listWorkspaces({ q: 'owner:alice' });
    await client.getWorkspace(ws.id);
    await client.findWorkspace('alice', 'contract');
    await client.findWorkspace('alice', 'nothing-here');
    await client.renameWorkspace(ws.id, 'contract');
    await client.setAutostart(ws.id, 'CRON_TZ=Europe/Berlin 30 8 * * 1-5');
    await client.setAutostart(ws.id, null);
    await client.setTtl(ws.id, 7_200_000);
    await client.setTtl(ws.id, null);
    await client.setAutomaticUpdates(ws.id, 'never');
    await client.setDormant(ws.id, true);
    await client.setDormant(ws.id, true); // 304
    await client.setDormant(ws.id, false);
    await client.tokenConfig('alice');
    const { key } = await client.createToken('alice', {
      token_name: 'contract-test',
      lifetime: 600e9,
      scopes: ['workspace:read', 'workspace:update'],
    });
    const asAlice = client.withToken(key);
    await asAlice.setFavorite(ws.id, true);
    await asAlice.setFavorite(ws.id, false);
    await client.deleteToken('alice', key.split('-')[0]!);
    await client.getBuildParameters(ws.latest_build.id);
    await client.createBuild(ws.id, { transition: 'stop', template_version_id: template.active_version_id, rich_parameter_values: [] });
    const build = await client.createBuild(ws.id, { transition: 'delete' });
    await client.getBuild(build.id);

    const contract = new SwaggerContract(loadSwagger()!);
    const problems = [...sim.contractViolations];
    for (const call of sim.calls) {
      const op = contract.matchOperation(call.method, call.path);
      if (!op) problems.push(`${call.method} ${call.path} is not an operation in swagger.json`);
      else if (call.requestBody !== undefined) problems.push(...contract.checkRequest(call.method, op.route, call.requestBody));
    }
    expect(problems).toEqual([]);
    // Every method above reached the server, and every route it used is distinct enough to count.
    expect(new Set(sim.calls.map((c) => `${c.method} ${c.route}`)).size).toBeGreaterThanOrEqual(20);
    expect(sim.calls.every((c) => (c.status >= 200 && c.status < 400) || c.status === 404)).toBe(true);
  });

  it('covers every Coder call a managed setting declares (CoderApi.send)', async () => {
    // The ACL exists from v2.27.0 behind the experiment; which version answers what is sim-parity's business.
    const shared = await startCoderSimulator({
      seed: TEST_SEED,
      validateResponses: true,
      buildDurationMs: 0,
      experiments: ['workspace-sharing'],
    });
    try {
      const admin = new CoderClient({ url: shared.url, token: shared.tokenFor('admin') });
      const [ws] = await admin.listWorkspaces({ q: 'owner:carol' });
      const bob = await admin.getUser('bob');
      shared.resetCalls();
      await admin.send(patchAcl, { workspace: ws!.id }, { user_roles: { [bob.id]: 'use' }, group_roles: {} });
      expect((await admin.send(readAcl, { workspace: ws!.id })).users?.map((u) => u.username)).toEqual(['bob']);
      expect(Array.isArray(await admin.send(readPresets, { templateversion: ws!.latest_build.template_version_id }))).toBe(true);

      const contract = new SwaggerContract(loadSwagger()!);
      // A route the swagger in use lacks altogether is a Coder version without the feature (the
      // real-coderd tier runs this suite with each server's own swagger; v2.24.0 has no ACL):
      // there is nothing to check its call against there, and the entry's reading of that
      // server's refusal is sim-parity's business. The swagger the project pins has every one.
      const absent = shared.calls.filter((c) => !contract.matchOperation(c.method, c.path));
      if (process.env.CODER_SWAGGER === undefined) expect(absent.map((c) => `${c.method} ${c.route}`)).toEqual([]);
      const problems = shared.contractViolations.filter((v) => !absent.some((c) => v.includes(`(request ${c.method} ${c.path})`)));
      for (const call of shared.calls) {
        const op = contract.matchOperation(call.method, call.path);
        if (op && call.requestBody !== undefined) problems.push(...contract.checkRequest(call.method, op.route, call.requestBody));
      }
      expect(problems).toEqual([]);
      // Every route the table declares was sent above: a new entry's call must be added here.
      const sent = new Set(shared.calls.map((c) => `${c.method} ${c.route}`));
      expect(SETTING_CALLS.map((c) => `${c.method} ${c.route}`).filter((route) => !sent.has(route))).toEqual([]);
      expect(SETTING_CALLS.length).toBeGreaterThan(0);
    } finally {
      await shared.close();
    }
  });
});
