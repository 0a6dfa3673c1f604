import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoderSimulator } from '../../../src/coder-sim/index.ts';
import { apiAs, idOf, manualClock, startSim, versionId, type Api } from './helpers.ts';

const tag = (tagName: string, value: string) => `Validation failed for tag "${tagName}" with value: "${value}"`;

describe('coder-sim POST /users/{user}/workspaces', () => {
  let sim: CoderSimulator;
  let admin: Api;
  let alice: Api;
  let tess: Api;
  let dave: Api;
  const clock = manualClock();
  const docker = () => idOf(sim, 'template', 'docker');
  beforeAll(async () => {
    sim = await startSim({ clock: clock.fn });
    admin = apiAs(sim, 'admin');
    alice = apiAs(sim, 'alice');
    tess = apiAs(sim, 'tess');
    dave = apiAs(sim, 'dave');
  });
  afterAll(() => sim.close());

  it('creates a workspace: 201, pending build, template default ttl, autostart stored as sent', async () => {
    const res = await alice('POST', '/api/v2/users/me/workspaces', {
      name: 'Dev-1',
      template_id: docker(),
      autostart_schedule: 'CRON_TZ=Europe/Berlin 30 9 * * 1-5',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Dev-1',
      owner_name: 'alice',
      template_name: 'docker',
      organization_name: 'coder',
      ttl_ms: 8 * 3600_000,
      autostart_schedule: 'CRON_TZ=Europe/Berlin 30 9 * * 1-5',
      automatic_updates: 'never',
      allow_renames: false,
      favorite: false,
      outdated: false,
      dormant_at: null,
      deleting_at: null,
      latest_build: { status: 'pending', transition: 'start', build_number: 1, job: { status: 'pending' } },
    });
    expect(res.body.next_start_at).toBe('2026-09-02T07:30:00.000Z');
  });

  it('leaves ttl_ms and autostart_schedule out when null (template default 0)', async () => {
    const res = await alice('POST', '/api/v2/users/alice/workspaces', {
      name: 'k8s',
      template_id: idOf(sim, 'template', 'kubernetes'),
      ttl_ms: 0,
    });
    expect(res.status).toBe(201);
    expect('ttl_ms' in res.body).toBe(false);
    expect('autostart_schedule' in res.body).toBe(false);
    expect(res.body.next_start_at).toBeNull();
  });

  it('builds from template_version_id and takes the template from it', async () => {
    const res = await alice('POST', '/api/v2/users/alice/workspaces', { name: 'next', template_version_id: versionId(sim, 'v-next') });
    expect(res.status).toBe(201);
    expect(res.body.template_name).toBe('kubernetes');
    expect(res.body.latest_build.template_version_id).toBe(versionId(sim, 'v-next'));
    expect(res.body.outdated).toBe(true);
  });

  it('truncates ttl to whole minutes and accepts automatic_updates always', async () => {
    const res = await alice('POST', '/api/v2/users/alice/workspaces', {
      name: 'ttl',
      template_id: docker(),
      ttl_ms: 90_500,
      automatic_updates: 'always',
    });
    expect(res.body).toMatchObject({ ttl_ms: 60_000, automatic_updates: 'always' });
  });

  it('lets site Owner and org admins create for others; the deprecated route works too', async () => {
    expect((await admin('POST', '/api/v2/users/bob/workspaces', { name: 'by-admin', template_id: docker() })).status).toBe(201);
    const gpu = idOf(sim, 'template', 'gpu');
    expect((await dave('POST', '/api/v2/users/rita/workspaces', { name: 'by-org-admin', template_id: gpu })).status).toBe(201);
    const viaOrg = await admin('POST', '/api/v2/organizations/coder/members/bob/workspaces', { name: 'legacy', template_id: docker() });
    expect(viaOrg.status).toBe(201);
    expect(viaOrg.body.owner_name).toBe('bob');
  });

  type Expected = Record<string, unknown> | (() => Record<string, unknown>);
  const cases: [string, () => Api, string, () => unknown, number, Expected][] = [
    [
      'neither template field',
      () => alice,
      'alice',
      () => ({ name: 'x' }),
      400,
      {
        message: 'Validation failed.',
        validations: [
          { field: 'template_id', detail: tag('required_without', '00000000-0000-0000-0000-000000000000') },
          { field: 'template_version_id', detail: tag('required_without', '00000000-0000-0000-0000-000000000000') },
        ],
      },
    ],
    [
      'both template fields',
      () => alice,
      'alice',
      () => ({ name: 'x', template_id: docker(), template_version_id: versionId(sim, 'v-next') }),
      400,
      () => ({
        message: 'Validation failed.',
        validations: [
          { field: 'template_id', detail: tag('excluded_with', docker()) },
          { field: 'template_version_id', detail: tag('excluded_with', versionId(sim, 'v-next')) },
        ],
      }),
    ],
    [
      'a reserved name',
      () => alice,
      'alice',
      () => ({ name: 'new', template_id: docker() }),
      400,
      {
        message: 'Validation failed.',
        validations: [{ field: 'name', detail: tag('workspace_name', 'new') }],
      },
    ],
    [
      'a double hyphen',
      () => alice,
      'alice',
      () => ({ name: 'a--b', template_id: docker() }),
      400,
      {
        message: 'Validation failed.',
        validations: [{ field: 'name', detail: tag('workspace_name', 'a--b') }],
      },
    ],
    [
      '33 characters',
      () => alice,
      'alice',
      () => ({ name: 'a'.repeat(33), template_id: docker() }),
      400,
      {
        message: 'Validation failed.',
        validations: [{ field: 'name', detail: tag('workspace_name', 'a'.repeat(33)) }],
      },
    ],
    [
      'an empty name',
      () => alice,
      'alice',
      () => ({ template_id: docker() }),
      400,
      {
        message: 'Validation failed.',
        validations: [{ field: 'name', detail: tag('required', '') }],
      },
    ],
    ['a non-JSON body', () => alice, 'alice', () => '{nope', 400, { message: 'Request body must be valid JSON.' }],
    [
      'a name of the wrong type',
      () => alice,
      'alice',
      () => ({ name: 7, template_id: docker() }),
      400,
      {
        message: 'Request body must be valid JSON.',
        detail: 'json: cannot unmarshal number into Go struct field CreateWorkspaceRequest.name of type string',
      },
    ],
    [
      'an unknown version',
      () => alice,
      'alice',
      () => ({ name: 'x', template_version_id: '00000000-0000-4000-8000-0000000fffff' }),
      400,
      {
        message: 'Template version "00000000-0000-4000-8000-0000000fffff" doesn\'t exist.',
      },
    ],
    [
      'an archived version',
      () => alice,
      'alice',
      () => ({ name: 'x', template_version_id: versionId(sim, 'archived') }),
      500,
      {
        message: 'Archived template versions cannot be used to make a workspace.',
      },
    ],
    [
      'an unknown template',
      () => alice,
      'alice',
      () => ({ name: 'x', template_id: '00000000-0000-4000-8000-0000000fffff' }),
      400,
      {
        message: 'Template "00000000-0000-4000-8000-0000000fffff" doesn\'t exist.',
        validations: [{ field: 'template_id', detail: 'template not found' }],
      },
    ],
    [
      'a deleted template',
      () => alice,
      'alice',
      () => ({ name: 'x', template_id: idOf(sim, 'template', 'gone') }),
      404,
      {
        message: 'Template "gone" has been deleted!',
      },
    ],
    [
      'a member creating for someone else',
      () => alice,
      'bob',
      () => ({ name: 'x', template_id: docker() }),
      403,
      {
        message: 'Unauthorized to create workspace.',
      },
    ],
    [
      'a template admin creating for someone else',
      () => tess,
      'bob',
      () => ({ name: 'x', template_id: docker() }),
      403,
      {
        message: 'Unauthorized to create workspace.',
      },
    ],
    [
      'an owner outside the template org',
      () => admin,
      'rita',
      () => ({ name: 'x', template_id: docker() }),
      403,
      {
        message: 'Unauthorized to create workspace.',
      },
    ],
    [
      'a deprecated template',
      () => alice,
      'alice',
      () => ({ name: 'x', template_id: idOf(sim, 'template', 'old') }),
      400,
      {
        message: 'Template "old" has been deprecated, and cannot be used to create a new workspace.',
      },
    ],
    [
      'a schedule with a day of month',
      () => alice,
      'alice',
      () => ({ name: 'x', template_id: docker(), autostart_schedule: '0 9 1 * *' }),
      400,
      {
        message: 'Invalid Autostart Schedule.',
        validations: [{ field: 'schedule', detail: 'validate weekly schedule: expected day-of-month and month to be *' }],
      },
    ],
    [
      'a ttl under a minute',
      () => alice,
      'alice',
      () => ({ name: 'x', template_id: docker(), ttl_ms: 59_999 }),
      400,
      {
        message: 'Invalid Workspace Time to Shutdown.',
        validations: [{ field: 'ttl_ms', detail: 'time until shutdown must be at least one minute' }],
      },
    ],
    [
      'a ttl over 30 days',
      () => alice,
      'alice',
      () => ({ name: 'x', template_id: docker(), ttl_ms: 30 * 86_400_000 + 60_000 }),
      400,
      {
        message: 'Invalid Workspace Time to Shutdown.',
        validations: [{ field: 'ttl_ms', detail: 'time until shutdown must be less than 30 days' }],
      },
    ],
    [
      'bad automatic_updates',
      () => alice,
      'alice',
      () => ({ name: 'x', template_id: docker(), automatic_updates: 'sometimes' }),
      400,
      {
        message: 'Invalid Workspace Automatic Updates setting.',
        validations: [{ field: 'automatic_updates', detail: 'Automatic updates must be always or never' }],
      },
    ],
    [
      'a duplicate name in another case',
      () => alice,
      'alice',
      () => ({ name: 'DEV-1', template_id: docker() }),
      409,
      {
        message: 'Workspace "DEV-1" already exists.',
        validations: [{ field: 'name', detail: 'This value is already in use and should be unique.' }],
      },
    ],
    [
      'an importing version',
      () => alice,
      'alice',
      () => ({ name: 'x', template_version_id: versionId(sim, 'importing') }),
      406,
      {
        message: 'The provided template version is pending. Wait for it to complete importing!',
      },
    ],
    ['a failed version', () => alice, 'alice', () => ({ name: 'x', template_version_id: versionId(sim, 'broken') }), 400, {}],
    [
      'missing required parameters (dynamic flow)',
      () => alice,
      'alice',
      () => ({
        name: 'x',
        template_id: idOf(sim, 'template', 'params'),
        rich_parameter_values: [{ name: 'other', value: '1' }],
      }),
      400,
      {
        message: 'Unable to validate parameters',
        validations: [
          { field: 'cpu', detail: 'Required parameter not provided; parameter "cpu" is required but not provided' },
          { field: 'region', detail: 'Required parameter not provided; parameter "region" is required but not provided' },
        ],
      },
    ],
    [
      'a missing parameter (classic flow)',
      () => alice,
      'alice',
      () => ({ name: 'x', template_id: idOf(sim, 'template', 'classic') }),
      400,
      {
        message: 'Unable to validate parameter "region"',
        detail: 'Parameter "region" is required but not provided',
      },
    ],
  ];

  it.each(cases)('refuses %s', async (_name, who, owner, body, status, expected) => {
    const res = await who()('POST', `/api/v2/users/${owner}/workspaces`, body());
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject(typeof expected === 'function' ? expected() : expected);
  });

  it('accepts required parameters when given, and ignores deleted workspaces for duplicates', async () => {
    const params = idOf(sim, 'template', 'params');
    const ok = await alice('POST', '/api/v2/users/alice/workspaces', {
      name: 'p',
      template_id: params,
      rich_parameter_values: [
        { name: 'region', value: 'eu' },
        { name: 'cpu', value: '2' },
      ],
    });
    expect(ok.status).toBe(201);
    sim.state.deleteWorkspace(ok.body.id);
    const again = await alice('POST', '/api/v2/users/alice/workspaces', {
      name: 'P',
      template_id: params,
      rich_parameter_values: [
        { name: 'region', value: 'eu' },
        { name: 'cpu', value: '2' },
      ],
    });
    expect(again.status).toBe(201);
  });

  it('checks schedules only for format on create, not the template flag', async () => {
    const res = await alice('POST', '/api/v2/users/alice/workspaces', {
      name: 'tz',
      template_id: docker(),
      autostart_schedule: 'CRON_TZ=Mars/Olympus 0 9 * * *',
    });
    expect(res.status).toBe(400);
    expect(res.body.validations[0].detail).toMatch(/^parse schedule: provided bad location Mars\/Olympus/);
  });

  it('records one POST per create with the acting user', async () => {
    sim.resetCalls();
    await alice('POST', '/api/v2/users/alice/workspaces', { name: 'counted', template_id: docker() });
    const writes = sim.calls.filter((c) => c.method === 'POST');
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ route: '/api/v2/users/{user}/workspaces', status: 201, userId: idOf(sim, 'user', 'alice') });
    expect(writes[0]!.requestBody).toMatchObject({ name: 'counted' });
  });
});
