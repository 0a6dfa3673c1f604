// spec.preset, spec.sharing and the status read from the list, against a
// real coderd: the preset's id and values reach the build; an unknown preset
// is refused before anything is written; the ACL is granted and trimmed and
// then quiet where the server has workspace sharing (v2.27.0 and v2.30.0 with
// the workspace-sharing experiment, which the renames server runs with), and
// a server without it (v2.24.0, or the experiment off) is a reason in the
// output, not a silent skip. Assertions read coderd's own API.
import { afterEach, describe, expect, it } from 'vitest';
import { startCoderdCli, uniqueName, workspaceYaml, type CoderdCli } from './cli-harness.ts';
import { world } from './world.ts';

let t: CoderdCli;
afterEach(() => t?.close());

const version = world().version;
/** Coder has the workspace ACL from v2.27.0 (behind the workspace-sharing experiment). */
const hasSharing = version !== 'v2.24.0';

async function workspace(owner: string, name: string): Promise<any> {
  const ws = await t.coder.admin.workspaceByName(owner, name);
  if (!ws) throw new Error(`coderd has no workspace ${owner}/${name}`);
  return t.coder.admin.waitBuild(ws.id);
}

describe(`spec.preset on a real coderd ${version}`, () => {
  it('creates on the named preset: its id on the build, its value for the parameter', async () => {
    t = await startCoderdCli();
    const name = uniqueName('preset');
    await t.declare(workspaceYaml(name, { owner: 'ann', template: 'sized', preset: 'large' }));
    const apply = await t.cli(['apply', '-f', 'ws.yaml']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const ws = await workspace('ann', name);
    // codersdk.Preset has no json tags: ID and Name as the Go fields are called.
    const presets: { ID: string; Name: string }[] = await t.coder.admin.get(
      `/api/v2/templateversions/${ws.latest_build.template_version_id}/presets`,
    );
    expect(presets.map((p) => p.Name).sort()).toEqual(['large', 'small']);
    expect(ws.latest_build.template_version_preset_id).toBe(presets.find((p) => p.Name === 'large')!.ID);
    const values: { name: string; value: string }[] = await t.coder.admin.get(`/api/v2/workspacebuilds/${ws.latest_build.id}/parameters`);
    expect(values).toContainEqual({ name: 'cpu', value: '8' });

    const again = await t.cli(['plan', '-f', 'ws.yaml']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  it('an unknown preset: refused naming spec.preset and the presets the version has; nothing created', async () => {
    t = await startCoderdCli();
    const name = uniqueName('nopreset');
    await t.declare(workspaceYaml(name, { owner: 'ann', template: 'sized', preset: 'huge' }));
    const apply = await t.cli(['apply', '-f', 'ws.yaml']);
    expect(apply.code).not.toBe(0);
    expect(apply.stdout + apply.stderr).toMatch(
      /spec\.preset: template version \S+ has no preset "huge"; its presets: "(small|large)", "(small|large)"/,
    );
    expect(await t.coder.admin.workspaceByName('ann', name)).toBeUndefined();
    expect(t.proxy.writes().filter((c) => c.method === 'POST' && /\/workspaces$/.test(c.path))).toEqual([]);
  });
});

describe(`a spec.preset change alone on a real coderd ${version}`, () => {
  it('one stop and one start on the same version, the start with the new preset; then nothing to do', async () => {
    t = await startCoderdCli();
    const name = uniqueName('represet');
    await t.declare(workspaceYaml(name, { owner: 'ann', template: 'sized', preset: 'small' }));
    const created = await t.cli(['apply', '-f', 'ws.yaml']);
    expect(created.code, created.stdout + created.stderr).toBe(0);
    const before = await workspace('ann', name);
    const presets: { ID: string; Name: string }[] = await t.coder.admin.get(
      `/api/v2/templateversions/${before.latest_build.template_version_id}/presets`,
    );
    const id = (n: string) => presets.find((p) => p.Name === n)!.ID;
    expect(before.latest_build.template_version_preset_id).toBe(id('small'));

    await t.declare(workspaceYaml(name, { owner: 'ann', template: 'sized', preset: 'large' }));
    const plan = await t.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain(`(update to preset: small -> large: stop first, then start with it)`);
    const apply = await t.cli(['apply', '-f', 'ws.yaml']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);

    // coderd's own builds: exactly one stop and one start after the create's, both on the same version.
    const after = await workspace('ann', name);
    const builds: any[] = await t.coder.admin.get(`/api/v2/workspaces/${after.id}/builds`);
    const since = builds.filter((b) => b.build_number > before.latest_build.build_number).sort((a, b) => a.build_number - b.build_number);
    expect(since.map((b) => [b.transition, b.job.status, b.template_version_id])).toEqual([
      ['stop', 'succeeded', before.latest_build.template_version_id],
      ['start', 'succeeded', before.latest_build.template_version_id],
    ]);
    expect(after.latest_build.template_version_preset_id).toBe(id('large'));
    // The stop was sent without a preset: from v2.27.0 coderd records the one its (previous) values match, v2.24.0 none.
    expect(since[0].template_version_preset_id).toBe(version === 'v2.24.0' ? null : id('small'));
    const values: { name: string; value: string }[] = await t.coder.admin.get(
      `/api/v2/workspacebuilds/${after.latest_build.id}/parameters`,
    );
    expect(values).toContainEqual({ name: 'cpu', value: '8' });

    const quiet = await t.cli(['apply', '-f', 'ws.yaml']);
    expect(quiet.code, quiet.stdout + quiet.stderr).toBe(0);
    const last = await workspace('ann', name);
    expect(last.latest_build.build_number).toBe(after.latest_build.build_number);
  });
});

describe(`spec.sharing on a real coderd ${version}`, () => {
  it('with the experiment on: grants, trims to the spec in one PATCH, then stays quiet (v2.24.0: ignores the experiment, no ACL)', async () => {
    t = await startCoderdCli();
    expect(t.coder.experiments).toContain('workspace-sharing');
    const name = uniqueName('shared');
    await t.declare(workspaceYaml(name, { owner: 'ann', template: 'docker', sharing: { users: [{ name: 'bob', role: 'use' }] } }));
    const apply = await t.cli(['apply', '-f', 'ws.yaml']);
    if (!hasSharing) {
      // An experiment it does not know is ignored with a warning: the route is still not there.
      expect(apply.code).not.toBe(0);
      expect(apply.stdout).toContain('this Coder has no workspace ACL (/api/v2/workspaces/{id}/acl answered 404');
      return;
    }
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const ws = await workspace('ann', name);
    const acl = () => t.coder.admin.get(`/api/v2/workspaces/${ws.id}/acl`);
    expect((await acl()).users.map((u: any) => [u.username, u.role])).toEqual([['bob', 'use']]);

    // Someone shares with carl by hand; the spec now makes bob an admin.
    await t.coder.admin.request('PATCH', `/api/v2/workspaces/${ws.id}/acl`, { user_roles: { [t.coder.users.carl!]: 'use' } });
    await t.declare(workspaceYaml(name, { owner: 'ann', template: 'docker', sharing: { users: [{ name: 'bob', role: 'admin' }] } }));
    t.proxy.reset();
    const update = await t.cli(['apply', '-f', 'ws.yaml']);
    expect(update.code, update.stdout + update.stderr).toBe(0);
    expect((await acl()).users.map((u: any) => [u.username, u.role])).toEqual([['bob', 'admin']]);
    expect(t.proxy.writes().map((c) => `${c.method} ${c.path}`)).toEqual([`PATCH /api/v2/workspaces/${ws.id}/acl`]);

    t.proxy.reset();
    const quiet = await t.cli(['plan', '-f', 'ws.yaml']);
    expect(quiet.code, quiet.stdout + quiet.stderr).toBe(0);
    expect(t.proxy.writes()).toEqual([]);
  });

  it('without workspace sharing: the reason in the output, the other settings still applied', async () => {
    // v2.24.0 has no ACL route; on later versions the server with Coder's default runs without the experiment.
    t = await startCoderdCli({ allowRenames: false });
    const name = uniqueName('unshared');
    await t.declare(
      workspaceYaml(name, { owner: 'ann', template: 'docker', ttl: '1h', sharing: { users: [{ name: 'bob', role: 'use' }] } }),
    );
    const why = hasSharing ? "requires enabling the 'workspace-sharing' experiment" : 'this Coder has no workspace ACL';
    // Created, then the PATCH refused: the failure names the reason.
    const create = await t.cli(['apply', '-f', 'ws.yaml']);
    expect(create.code).not.toBe(0);
    expect(create.stdout).toContain(`✗ sharing team-a/${name}: no revocation -> grant user bob=use: could not update spec.sharing:`);
    expect(create.stdout).toContain(why);
    expect((await workspace('ann', name)).ttl_ms).toBe(3_600_000);
    // Existing: the ACL read says it before any write, and the rest is still reconciled.
    await t.coder.admin.request('PUT', `/api/v2/workspaces/${(await workspace('ann', name)).id}/ttl`, { ttl_ms: 7_200_000 });
    const again = await t.cli(['apply', '-f', 'ws.yaml']);
    expect(again.code).not.toBe(0);
    expect(again.stdout).toContain(`! blocked team-a/${name}: cannot manage spec.sharing:`);
    expect(again.stdout).toContain(why);
    expect((await workspace('ann', name)).ttl_ms).toBe(3_600_000);
  });
});

describe(`status from the list on a real coderd ${version}`, () => {
  it('lastUsedAt, health and nextStartAt as Coder lists them, at no extra call', async () => {
    t = await startCoderdCli();
    const name = uniqueName('status');
    await t.declare(workspaceYaml(name, { owner: 'ann', template: 'docker', autostart: { schedule: '0 7 * * 1-5' } }));
    expect((await t.cli(['apply', '-f', 'ws.yaml'])).code).toBe(0);
    const ws = await workspace('ann', name);
    t.proxy.reset();
    const status = await t.cli(['status', '-f', 'ws.yaml', '-o', 'json']);
    expect(status.code, status.stderr).toBe(0);
    const reported = JSON.parse(status.stdout).workspaces[0].status;
    expect(reported.lastUsedAt).toBe(ws.last_used_at);
    expect(reported.health).toEqual({ healthy: ws.health.healthy });
    expect(reported.nextStartAt).toBe(ws.next_start_at);
    // One list, no per-workspace read.
    expect(t.proxy.calls.filter((c) => c.method === 'GET' && c.path.includes(`/workspaces/${ws.id}`))).toEqual([]);
  });
});
