// WorkspaceSets through the CLI against a real coderd (issue 21, done-when):
// a `users` query set creates one workspace per matching user; a user who
// starts matching gets one on the next apply; one who stops matching keeps
// theirs under createUpdate and is orphaned under createDelete; the group
// generator on a server without the Premium feature is a clear error
// (coderd answers 403 "Template RBAC is a Premium feature. Contact sales!"),
// never an empty membership. Users get names of their own per test, found
// with a search term only they match, so the other files' users never join.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUser, loginAs } from './bootstrap.ts';
import { startCoderdCli, uniqueName, type CoderdCli } from './cli-harness.ts';
import { world } from './world.ts';

let t: CoderdCli;

/**
 * A password user in the default organization, logged in once: coderd
 * creates users dormant and makes them active at their first login, so a
 * `status:active` query finds only users who have logged in.
 */
async function addUser(username: string): Promise<void> {
  await createUser({ admin: t.coder.admin, adminId: '', orgId: t.coder.orgId }, username);
  await loginAs(t.coder.url, username);
}

function setYaml(tag: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'coderops.dev/v1alpha1',
    kind: 'WorkspaceSet',
    metadata: { name: 'fleet', namespace: 'team-a' },
    spec: {
      // The bare word searches usernames: only this test's users match.
      generators: [{ users: { query: `${tag} status:active` } }],
      template: { metadata: { name: 'fleet-{{username}}' }, spec: { template: 'docker', name: '{{username}}', ttl: '2h' } },
      ...spec,
    },
  });
}

/** The test's users' live workspaces in Coder, by owner. */
async function liveOwners(tag: string): Promise<string[]> {
  const mine = (await t.coder.admin.workspaces()).filter((w) => String(w.owner_name).startsWith(`${tag}-`));
  return mine.map((w) => String(w.owner_name)).sort();
}

async function applyOk(...args: string[]) {
  const result = await t.cli(['apply', '-f', 'ws.yaml', ...args]);
  expect(result.code, result.stdout + result.stderr).toBe(0);
  return result;
}

describe(`WorkspaceSet in the CLI on a real coderd ${world().version}`, () => {
  beforeEach(async () => {
    t = await startCoderdCli();
  });
  afterEach(() => t.close());

  it('users query: one workspace per matching user; a new user gets one; one who stops matching keeps it (createUpdate)', async () => {
    const tag = uniqueName('fs').replace('-', '');
    const [u1, u2, u3] = [`${tag}-a`, `${tag}-b`, `${tag}-c`];
    for (const u of [u1, u2]) await addUser(u!);
    await t.declare(setYaml(tag, {}));

    const plan = await t.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain(`set team-a/fleet: 2 members, 2 new [createUpdate; users ${tag} status:active: 2]`);
    expect(t.proxy.calls.filter((c) => c.method === 'GET' && c.path === '/api/v2/users')).toHaveLength(1);
    await applyOk();
    expect(await liveOwners(tag)).toEqual([u1, u2]);

    // A new matching user joins on the next apply; nothing else is written.
    await addUser(u3!);
    t.proxy.reset();
    const joined = await applyOk();
    expect(joined.stdout).toContain('set team-a/fleet: 3 members, 1 new');
    expect(t.proxy.writes().map((c) => `${c.method} ${c.path}`)).toEqual([`POST /api/v2/users/${u3}/workspaces`]);
    expect(await liveOwners(tag)).toEqual([u1, u2, u3]);

    // A user who stops matching (suspended, so not status:active) keeps their workspace under createUpdate.
    await t.coder.admin.request('PUT', `/api/v2/users/${u1}/status/suspend`);
    t.proxy.reset();
    const kept = await applyOk('--prune');
    expect(kept.stdout).toContain('set team-a/fleet: 2 members, 0 new, 1 leaving (kept)');
    expect(t.proxy.writes()).toEqual([]);
    expect(await liveOwners(tag)).toEqual([u1, u2, u3]);
    expect((await t.state()).entries[`team-a/fleet-${u1}`]).toMatchObject({ set: 'team-a/fleet', member: u1 });

    // A quiet pass: the user list, the workspace list, and no write.
    t.proxy.reset();
    await applyOk();
    expect(t.proxy.writes()).toEqual([]);
  });

  it('under createDelete a user who stops matching is orphaned: the workspace stays in Coder, the state lets it go', async () => {
    const tag = uniqueName('fd').replace('-', '');
    const [u1, u2] = [`${tag}-a`, `${tag}-b`];
    for (const u of [u1, u2]) await addUser(u!);
    await t.declare(setYaml(tag, { syncPolicy: 'createDelete' }));
    await applyOk();
    expect(await liveOwners(tag)).toEqual([u1, u2]);

    await t.coder.admin.request('PUT', `/api/v2/users/${u2}/status/suspend`);
    t.proxy.reset();
    const plan = await t.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.stdout).toContain('set team-a/fleet: 1 member, 0 new, 1 leaving (orphan)');
    const apply = await applyOk();
    expect(apply.stdout).toContain(`✓ orphaned team-a/fleet-${u2}`);
    expect(t.proxy.writes()).toEqual([]);
    expect(await liveOwners(tag)).toEqual([u1, u2]);
    expect((await t.state()).entries[`team-a/fleet-${u2}`]).toBeUndefined();
  });

  it('a group generator on a server without the Premium feature: exit 1 with the reason, nothing written', async () => {
    await t.declare(
      JSON.stringify({
        apiVersion: 'coderops.dev/v1alpha1',
        kind: 'WorkspaceSet',
        metadata: { name: 'by-group', namespace: 'team-a' },
        spec: { generators: [{ group: { name: 'Everyone' } }], template: { spec: { template: 'docker' } } },
      }),
    );
    const plan = await t.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.code).toBe(1);
    // What coderd answered, recorded by the proxy: 403 on the group route, before any organization lookup.
    const groupCalls = t.proxy.calls.filter((c) => c.path.includes('/groups/'));
    expect(groupCalls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(['GET /api/v2/organizations/default/groups/Everyone 403']);
    expect(plan.stdout).toContain('generator 1 (group Everyone): ');
    expect(plan.stdout).toContain('has no groups: Template RBAC is a Premium feature. (groups need a Coder Premium license)');
    const apply = await t.cli(['apply', '-f', 'ws.yaml']);
    expect(apply.code).toBe(1);
    expect(t.proxy.writes()).toEqual([]);
  });
});
