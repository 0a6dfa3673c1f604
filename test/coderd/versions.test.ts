// Version pins and owners by UUID through the CLI, on a real coderd: the
// behaviours the simulator models but the other files here never meet. A
// version named in spec.version is looked up by name under its template
// (GET /templates/{id}/versions/{name}) and the workspace is created on it even
// when it is not the active one; an owner given by UUID is the same Coder user
// as by name; moving a stopped workspace to the active version is one stop build
// that carries the version (docs/guides/rollouts.md).
// And the answer a create gets when the owner already has a workspace of that
// name, which the engine reads as "maybe my own lost create" and looks up.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoderClient } from '../../src/coder/client.ts';
import { CoderApiError } from '../../src/coder/errors.ts';
import { createTemplate, createTemplateVersion } from './bootstrap.ts';
import { startCoderdCli, uniqueName, workspaceYaml, type CoderdCli } from './cli-harness.ts';
import { world } from './world.ts';

let t: CoderdCli;

const bootstrapped = () => ({ admin: t.coder.admin, adminId: t.coder.users.admin!, orgId: t.coder.orgId });

async function applyOk(): Promise<void> {
  const result = await t.cli(['apply', '-f', 'ws.yaml']);
  expect(result.code, result.stdout + result.stderr).toBe(0);
}

async function builds(id: string): Promise<any[]> {
  const list = await t.coder.admin.get<any[]>(`/api/v2/workspaces/${id}/builds?limit=50`);
  return [...list].sort((x, y) => x.build_number - y.build_number);
}

describe(`version pins and owner UUIDs on a real coderd ${world().version}`, () => {
  beforeEach(async () => {
    t = await startCoderdCli();
  });
  afterEach(() => t.close());

  const pinThenMove =
    'creates on a pinned version by name for an owner given by UUID, ' +
    'then moves the stopped workspace to the active version without starting it';
  it(pinThenMove, async () => {
    const template = await createTemplate(bootstrapped(), world().echotar, uniqueName('pin'));
    const pinnedName = uniqueName('v2');
    // Imported under the template but never promoted: the active version stays the first one.
    const pinned = await createTemplateVersion(bootstrapped(), world().echotar, {}, { templateId: template.id, name: pinnedName });
    const name = uniqueName('pin');
    const spec = { owner: t.coder.users.bob!, template: template.name, ttl: '0s', running: false };
    await t.declare(workspaceYaml(name, { ...spec, version: { policy: 'Pinned', name: pinnedName } }));
    await applyOk();

    const ws = await t.coder.admin.waitBuild((await t.coder.admin.workspaceByName('bob', name)).id);
    expect(ws.owner_name).toBe('bob');
    expect(ws.latest_build.template_version_id).toBe(pinned.id);
    expect(ws.latest_build.transition).toBe('stop');
    expect(ws.latest_build.status).toBe('stopped');
    expect(ws.outdated).toBe(true);
    // Made on the pinned version: no update build followed the create (start, then the stop running: false asks for).
    expect((await builds(ws.id)).map((b) => [b.transition, b.template_version_id])).toEqual([
      ['start', pinned.id],
      ['stop', pinned.id],
    ]);

    // The same declaration again writes nothing: the UUID owner matched the workspace bob owns.
    t.proxy.reset();
    await applyOk();
    expect(t.proxy.writes().filter((c) => !/\/keys/.test(c.path))).toEqual([]);

    // Onto the template's active version: one stop build carrying it; it stays stopped.
    await t.declare(workspaceYaml(name, { ...spec, version: { policy: 'Active' } }));
    await applyOk();
    const moved = await t.coder.admin.waitBuild(ws.id);
    expect(moved.latest_build.template_version_id).toBe(template.active_version_id);
    expect(moved.latest_build.status).toBe('stopped');
    expect(moved.outdated).toBe(false);
    expect((await builds(ws.id)).slice(2).map((b) => [b.transition, b.template_version_id])).toEqual([
      ['stop', template.active_version_id],
    ]);
  });

  it('a pinned version name the template does not have fails that workspace with the field named, and creates nothing', async () => {
    const name = uniqueName('nover');
    await t.declare(workspaceYaml(name, { owner: 'ann', template: 'plain', version: { policy: 'Pinned', name: 'no-such-version' } }));
    const result = await t.cli(['apply', '-f', 'ws.yaml']);
    expect(result.code, result.stdout).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/version/);
    expect(result.stdout + result.stderr).toContain('no-such-version');
    expect(await t.coder.admin.workspaceByName('ann', name)).toBeUndefined();
    expect(t.proxy.writes()).toEqual([]);
  });

  // The simulator answers 409 with a validation on `name` (src/coder-sim/handlers/workspace-create.ts);
  // the engine's lost-create handling (src/engine/apply.ts) relies on the 409.
  it('a create of a name the owner already has is refused with 409 through the product client, nothing made', async () => {
    const name = uniqueName('taken');
    const first = await t.coder.admin.request('POST', '/api/v2/users/ann/workspaces', { name, template_id: t.coder.templates.plain });
    const client = new CoderClient({ url: t.coder.url, token: t.coder.adminToken, maxRetries: 0 });
    const refused = await client.createWorkspace('ann', { name, template_id: t.coder.templates.plain! }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CoderApiError);
    expect((refused as CoderApiError).status).toBe(409);
    expect((refused as CoderApiError).validations.map((v) => v.field)).toContain('name');
    const ann = (await t.coder.admin.workspaces('owner:ann')).filter((w) => w.name === name);
    expect(ann.map((w) => w.id)).toEqual([first.id]);
  });
});
