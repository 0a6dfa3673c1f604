// The simulator's calls behind spec.running / spec.version / spec.parameters:
// builds with a template version and parameter values (and Coder's refusals),
// a template's versions by list and by name, a version's parameters and a
// build's values. Every answer is also checked against swagger.json.
import { describe, expect, it } from 'vitest';
import type { SimSeed } from '../../../src/coder-sim/seed.ts';
import { apiAs, manualClock, startSim } from './helpers.ts';

const SEED: SimSeed = {
  users: [{ username: 'admin', roles: ['owner'] }, { username: 'alice' }],
  templates: [
    {
      name: 'docker',
      parameters: [
        { name: 'size', required: false, default_value: 'small' },
        { name: 'region', required: false, mutable: false, default_value: 'eu' },
        { name: 'debug', required: false, ephemeral: true, default_value: 'false' },
      ],
    },
    {
      name: 'classic',
      use_classic_parameter_flow: true,
      parameters: [{ name: 'region', required: false, mutable: false, default_value: 'eu' }],
    },
  ],
  template_versions: [
    { template: 'docker', name: 'v2', parameters: [{ name: 'size', required: false, default_value: 'small' }] },
    { template: 'docker', name: 'old', archived: true },
    { template: 'docker', name: 'importing', job_status: 'running' },
  ],
};

async function setup(template = 'docker') {
  const clock = manualClock();
  const sim = await startSim({ seed: SEED, clock: clock.fn, buildDurationMs: 1000 });
  const alice = apiAs(sim, 'alice');
  const t = [...sim.state.templates.values()].find((x) => x.name === template)!;
  const created = await alice('POST', '/api/v2/users/me/workspaces', {
    name: 'dev',
    template_id: t.id,
    rich_parameter_values: [
      { name: 'size', value: 'medium' },
      { name: 'debug', value: 'true' },
    ],
  });
  expect(created.status).toBe(201);
  clock.advance(1000);
  const versionId = (name: string) => [...sim.state.versions.values()].find((v) => v.templateId === t.id && v.name === name)!.id;
  return { sim, clock, alice, template: t, ws: created.body, versionId };
}

describe('builds after the first', () => {
  it('records the values: sent wins, others carry over, ephemeral ones fall back to their default', async () => {
    const { alice, ws, clock } = await setup();
    const first = await alice('GET', `/api/v2/workspacebuilds/${ws.latest_build.id}/parameters`);
    expect(first.body).toEqual([
      { name: 'size', value: 'medium' },
      { name: 'region', value: 'eu' },
      { name: 'debug', value: 'true' },
    ]);
    const stop = await alice('POST', `/api/v2/workspaces/${ws.id}/builds`, {
      transition: 'stop',
      rich_parameter_values: [{ name: 'size', value: 'large' }],
    });
    expect(stop.status).toBe(201);
    clock.advance(1000);
    const after = await alice('GET', `/api/v2/workspacebuilds/${stop.body.id}/parameters`);
    expect(after.body).toEqual([
      { name: 'size', value: 'large' },
      { name: 'region', value: 'eu' },
      { name: 'debug', value: 'false' },
    ]);
  });

  it('a stop build on another version moves a stopped workspace without starting it', async () => {
    const { alice, ws, clock, versionId, sim } = await setup();
    await alice('POST', `/api/v2/workspaces/${ws.id}/builds`, { transition: 'stop' });
    clock.advance(1000);
    const v2 = versionId('v2');
    const moved = await alice('POST', `/api/v2/workspaces/${ws.id}/builds`, { transition: 'stop', template_version_id: v2 });
    expect(moved.status).toBe(201);
    expect(moved.body).toMatchObject({ transition: 'stop', template_version_id: v2, template_version_name: 'v2' });
    clock.advance(1000);
    sim.state.promoteVersion('docker', 'v2');
    const now = await alice('GET', `/api/v2/workspaces/${ws.id}`);
    expect(now.body).toMatchObject({ outdated: false, latest_build: { status: 'stopped', template_version_id: v2 } });
  });

  it.each([
    [
      'dynamic',
      'docker',
      {
        message: 'Unable to validate parameters',
        validations: [{ field: 'region', detail: expect.stringContaining('Parameter "region" is not mutable') }],
      },
    ],
    ['classic', 'classic', { message: 'Unable to validate parameter "region"', detail: expect.stringContaining('is not mutable') }],
  ])('refuses a changed immutable parameter (%s flow) with 400', async (_flow, template, body) => {
    const { alice, ws } = await setup(template);
    const refused = await alice('POST', `/api/v2/workspaces/${ws.id}/builds`, {
      transition: 'start',
      rich_parameter_values: [{ name: 'region', value: 'us' }],
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject(body);
    // The same value is no change: accepted.
    const same = await alice('POST', `/api/v2/workspaces/${ws.id}/builds`, {
      transition: 'start',
      rich_parameter_values: [{ name: 'region', value: 'eu' }],
    });
    expect(same.status).toBe(201);
  });

  it('refuses a version of another template, and a version still importing', async () => {
    const { alice, ws, versionId, sim } = await setup();
    const other = [...sim.state.versions.values()].find((v) => v.templateId !== ws.template_id)!.id;
    expect((await alice('POST', `/api/v2/workspaces/${ws.id}/builds`, { transition: 'stop', template_version_id: other })).status).toBe(
      400,
    );
    expect(
      (await alice('POST', `/api/v2/workspaces/${ws.id}/builds`, { transition: 'stop', template_version_id: versionId('importing') }))
        .status,
    ).toBe(406);
  });

  it('records the reason of builds Coder starts itself', async () => {
    const { alice, ws, sim } = await setup();
    sim.state.scheduleBuild(ws.id, 'stop', 'autostop');
    const now = await alice('GET', `/api/v2/workspaces/${ws.id}`);
    expect(now.body.latest_build).toMatchObject({ transition: 'stop', reason: 'autostop', status: 'stopped' });
  });
});

describe('template versions', () => {
  it('lists a template’s versions oldest first, archived ones only when asked', async () => {
    const { alice, template } = await setup();
    const names = async (q = '') =>
      ((await alice('GET', `/api/v2/templates/${template.id}/versions${q}`)).body as { name: string }[]).map((v) => v.name);
    expect(await names()).toEqual(['v1', 'v2', 'importing']);
    expect(await names('?include_archived=true')).toEqual(['v1', 'v2', 'old', 'importing']);
  });

  it('finds one version by exact name, archived ones too; 404 with Coder’s message otherwise', async () => {
    const { alice, template, versionId } = await setup();
    const v2 = await alice('GET', `/api/v2/templates/${template.id}/versions/v2`);
    expect(v2).toMatchObject({ status: 200, body: { id: versionId('v2'), name: 'v2' } });
    expect((await alice('GET', `/api/v2/templates/${template.id}/versions/old`)).status).toBe(200);
    const missing = await alice('GET', `/api/v2/templates/${template.id}/versions/V2`);
    expect(missing).toMatchObject({ status: 404, body: { message: 'No template version found by name "V2".' } });
    expect((await alice('GET', '/api/v2/templates/not-a-uuid/versions/v2')).status).toBe(400);
  });

  it('reports which parameters are mutable and ephemeral', async () => {
    const { alice, template } = await setup();
    const params = await alice('GET', `/api/v2/templateversions/${template.activeVersionId}/rich-parameters`);
    expect(params.body.map((p: { name: string; mutable: boolean; ephemeral: boolean }) => [p.name, p.mutable, p.ephemeral])).toEqual([
      ['size', true, false],
      ['region', false, false],
      ['debug', true, true],
    ]);
  });
});
