// The CLI against a real coderd: every managed field, adoption, drift,
// renames (allowed and blocked), prune under both policies, favorites as the
// owner (dormant or not), and the refusals users meet. Assertions read
// coderd's own API (as admin, or as the owner for favorites), never the
// product's view; the recording proxy shows which calls were made.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loginAs } from './bootstrap.ts';
import { startCoderdCli, uniqueName, workspaceYaml, type CoderdCli } from './cli-harness.ts';
import { world } from './world.ts';

const HOUR = 3_600_000;
let t: CoderdCli;

/** Coder's own view of a workspace, or undefined when there is none. */
const live = (owner: string, name: string) => t.coder.admin.workspaceByName(owner, name);

async function mustExist(owner: string, name: string): Promise<any> {
  const ws = await live(owner, name);
  if (!ws) throw new Error(`coderd has no workspace ${owner}/${name}`);
  return t.coder.admin.waitBuild(ws.id);
}

/** Writes other than the favorite's short-lived owner tokens (mint + delete). */
function workspaceWrites() {
  return t.proxy.writes().filter((c) => !/^\/api\/v2\/users\/[^/]+\/keys/.test(c.path));
}

async function applyOk(...args: string[]) {
  const result = await t.cli(['apply', '-f', 'ws.yaml', ...args]);
  expect(result.code, result.stdout + result.stderr).toBe(0);
  return result;
}

describe(`cwo on a real coderd ${world().version}`, () => {
  beforeEach(async () => {
    t = await startCoderdCli();
  });
  afterEach(() => t.close());

  it('creates with every setting, then a second apply writes nothing to any workspace', async () => {
    const name = uniqueName('all');
    await t.declare(
      workspaceYaml(name, {
        owner: 'ann',
        template: 'docker',
        autostart: { schedule: '30 8 * * 1-5', timezone: 'Europe/Berlin' },
        ttl: '4h',
        automaticUpdates: 'always',
        favorite: true,
      }),
    );
    const plan = await t.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain(`+ create team-a/${name}`);
    expect(workspaceWrites()).toEqual([]);

    await applyOk();
    const ws = await mustExist('ann', name);
    expect(ws.latest_build.status).toBe('running');
    expect(ws.ttl_ms).toBe(4 * HOUR);
    expect(ws.autostart_schedule).toBe('CRON_TZ=Europe/Berlin 30 8 * * 1-5');
    expect(ws.automatic_updates).toBe('always');
    // Favorites are per user: only the owner sees it.
    const ann = await loginAs(t.coder.url, 'ann');
    expect((await ann.get(`/api/v2/workspaces/${ws.id}`)).favorite).toBe(true);
    const creates = t.proxy.writes().filter((c) => c.method === 'POST' && c.path === '/api/v2/users/ann/workspaces');
    expect(creates).toEqual([{ method: 'POST', path: '/api/v2/users/ann/workspaces', status: 201 }]);

    // The status says which scopes the owner token had (docs/compatibility.md).
    const status = await t.cli(['status', '-f', 'ws.yaml', '-o', 'json']);
    expect(status.stdout).toMatch(/favorite read as the owner with a short-lived token scoped/);
    if (world().version === 'v2.27.0') expect(status.stdout).toContain('coder:all');

    t.proxy.reset();
    await applyOk();
    expect(workspaceWrites()).toEqual([]);
    // No owner token outlives the run.
    // coderd answers null, not [], when the user has no tokens.
    const tokens = (await t.coder.admin.get<any[] | null>('/api/v2/users/ann/keys/tokens')) ?? [];
    expect(tokens.filter((k) => String(k.token_name).startsWith('cwo-'))).toEqual([]);
    const again = await t.cli(['plan', '-f', 'ws.yaml']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  it('ttl 0s on a template with a default TTL ends with auto-stop off (ttl_ms absent)', async () => {
    const name = uniqueName('nottl');
    await t.declare(workspaceYaml(name, { owner: 'bob', template: 'docker', ttl: '0s' }));
    await applyOk();
    const ws = await mustExist('bob', name);
    expect(ws.ttl_ms ?? 0).toBe(0);
    expect((await t.cli(['plan', '-f', 'ws.yaml'])).code).toBe(0);
  });

  it('adopts a workspace made by hand instead of creating a second one', async () => {
    const name = uniqueName('hand');
    const made = await t.coder.admin.request('POST', '/api/v2/users/bob/workspaces', { name, template_id: t.coder.templates.docker });
    await t.coder.admin.waitBuild(made.id);
    await t.declare(workspaceYaml(name, { owner: 'bob', template: 'docker' }));
    const plan = await t.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.stdout).toContain(`= adopt team-a/${name}`);
    t.proxy.reset();
    await applyOk();
    expect(t.proxy.writes()).toEqual([]);
    expect((await t.state()).entries[`team-a/${name}`]).toMatchObject({ origin: 'adopted', id: made.id });
    expect((await t.coder.admin.workspaces(`owner:bob name:${name}`)).filter((w) => w.name === name)).toHaveLength(1);
  });

  it('corrects drift made in Coder with exactly the one write it needs', async () => {
    const name = uniqueName('drift');
    await t.declare(workspaceYaml(name, { owner: 'ann', template: 'plain', ttl: '4h', automaticUpdates: 'never' }));
    await applyOk();
    const ws = await mustExist('ann', name);
    await t.coder.admin.request('PUT', `/api/v2/workspaces/${ws.id}/ttl`, { ttl_ms: 2 * HOUR });
    await t.coder.admin.request('PUT', `/api/v2/workspaces/${ws.id}/autoupdates`, { automatic_updates: 'always' });

    const plan = await t.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/ttl/);
    t.proxy.reset();
    await applyOk();
    expect(
      workspaceWrites()
        .map((c) => `${c.method} ${c.path} ${c.status}`)
        .sort(),
    ).toEqual([`PUT /api/v2/workspaces/${ws.id}/autoupdates 204`, `PUT /api/v2/workspaces/${ws.id}/ttl 204`]);
    const after = await t.coder.admin.get(`/api/v2/workspaces/${ws.id}`);
    expect(after.ttl_ms).toBe(4 * HOUR);
    expect(after.automatic_updates).toBe('never');
  });

  it('renames by id where the server allows it', async () => {
    const name = uniqueName('old');
    await t.declare(workspaceYaml('renamed', { owner: 'carl', template: 'plain', name }));
    await applyOk();
    const before = await mustExist('carl', name);
    const to = uniqueName('new');
    await t.declare(workspaceYaml('renamed', { owner: 'carl', template: 'plain', name: to }));
    t.proxy.reset();
    await applyOk();
    expect(workspaceWrites()).toEqual([{ method: 'PATCH', path: `/api/v2/workspaces/${before.id}`, status: 204 }]);
    expect((await live('carl', to))?.id).toBe(before.id);
    expect(await live('carl', name)).toBeUndefined();
  });

  it('prune: Orphan forgets the workspace, Delete deletes it, the kept one is untouched', async () => {
    const [keep, orphan, doomed] = [uniqueName('keep'), uniqueName('orph'), uniqueName('del')];
    const docs = {
      keep: workspaceYaml(keep, { owner: 'dora', template: 'plain' }),
      orphan: workspaceYaml(orphan, { owner: 'dora', template: 'plain', deletionPolicy: 'Orphan' }),
      doomed: workspaceYaml(doomed, { owner: 'dora', template: 'plain', deletionPolicy: 'Delete' }),
    };
    await t.declare(docs.keep, docs.orphan, docs.doomed);
    await applyOk();
    const [k, o, d] = [await mustExist('dora', keep), await mustExist('dora', orphan), await mustExist('dora', doomed)];

    await t.declare(docs.keep);
    const plan = await t.cli(['plan', '-f', 'ws.yaml', '--prune']);
    expect(plan.stdout).toContain(`- delete team-a/${doomed}`);
    expect(plan.stdout).toContain(`- orphan team-a/${orphan}`);
    t.proxy.reset();
    await applyOk('--prune');
    expect(t.proxy.writes()).toEqual([{ method: 'POST', path: `/api/v2/workspaces/${d.id}/builds`, status: 201 }]);
    expect(await live('dora', doomed)).toBeUndefined();
    expect((await t.coder.admin.get(`/api/v2/workspaces/${o.id}`)).latest_build.transition).toBe('start');
    expect((await t.coder.admin.get(`/api/v2/workspaces/${k.id}`)).latest_build.transition).toBe('start');
    const entries = (await t.state()).entries;
    expect(Object.keys(entries)).toEqual([`team-a/${keep}`]);
  });

  it('favorite and dormancy together: the owner sees the favorite of a dormant workspace', async () => {
    const name = uniqueName('sleepy');
    await t.declare(workspaceYaml(name, { owner: 'carl', template: 'plain', favorite: true }));
    await applyOk();
    const ws = await mustExist('carl', name);
    await t.declare(workspaceYaml(name, { owner: 'carl', template: 'plain', favorite: true, dormant: true }));
    await applyOk();
    const carl = await loginAs(t.coder.url, 'carl');
    const seen = await carl.get(`/api/v2/workspaces/${ws.id}`);
    expect(seen.dormant_at).toBeTruthy();
    expect(seen.favorite).toBe(true);
    // And back: unfavorite while dormant.
    await t.declare(workspaceYaml(name, { owner: 'carl', template: 'plain', favorite: false, dormant: true }));
    await applyOk();
    expect((await carl.get(`/api/v2/workspaces/${ws.id}`)).favorite).toBe(false);
    const plan = await t.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });

  it('a bad token is an error that never shows the token', async () => {
    const token = 'abcdefghij-0123456789abcdefghijkl';
    await t.declare(workspaceYaml(uniqueName('x'), { owner: 'ann', template: 'plain' }));
    const result = await t.cli(['plan', '-f', 'ws.yaml'], { token });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/401|signed out|session/i);
    expect(result.stdout + result.stderr).not.toContain(token);
    expect(result.stdout + result.stderr).not.toContain('0123456789abcdefghijkl');
  });

  it('an unknown owner or template fails that workspace with the field named, and creates nothing', async () => {
    const [a, b] = [uniqueName('nobody'), uniqueName('notpl')];
    await t.declare(
      workspaceYaml(a, { owner: 'nobody-here', template: 'plain' }),
      workspaceYaml(b, { owner: 'ann', template: 'no-such-template' }),
    );
    const result = await t.cli(['apply', '-f', 'ws.yaml']);
    expect(result.code).toBe(1);
    const out = result.stdout + result.stderr;
    expect(out).toMatch(/spec\.owner/);
    expect(out).toMatch(/spec\.template/);
    expect(await live('ann', b)).toBeUndefined();
    expect(t.proxy.writes().filter((c) => c.status < 400)).toEqual([]);
  });
});

describe(`cwo on a real coderd ${world().version} with renames off (Coder's default)`, () => {
  beforeEach(async () => {
    t = await startCoderdCli({ allowRenames: false });
  });
  afterEach(() => t.close());

  it('plans a rename as blocked and never sends it', async () => {
    const name = uniqueName('fixed');
    await t.declare(workspaceYaml('fixed', { owner: 'ann', template: 'plain', name }));
    await applyOk();
    const ws = await mustExist('ann', name);
    await t.declare(workspaceYaml('fixed', { owner: 'ann', template: 'plain', name: uniqueName('moved') }));
    const plan = await t.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.stdout).toContain('! blocked team-a/fixed');
    t.proxy.reset();
    await t.cli(['apply', '-f', 'ws.yaml']);
    expect(t.proxy.writes()).toEqual([]);
    expect((await t.coder.admin.get(`/api/v2/workspaces/${ws.id}`)).name).toBe(name);
  });
});
