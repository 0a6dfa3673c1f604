// WorkspaceSets through the CLI door (issue 21 item 4), against the
// simulator: expanded with one user or group read per generator, shown in
// the plan, applied as ordinary Workspaces, and held (exit 1, nothing
// written) when a generator fails, a removal is too large, or a child would
// take a name another document holds.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isWorkspaceDeleted } from '../../src/coder-sim/lifecycle.ts';
import type { SimSeed } from '../../src/coder-sim/seed.ts';
import { closeHarness } from '../support/harness-per-test.ts';
import { startHarness, workspaceYaml, type Harness } from './harness.ts';
import { HOUR } from './seed.ts';

let h: Harness | undefined;

afterEach(async () => {
  const running = h;
  h = undefined;
  if (running) await closeHarness(running);
});

const SEED: SimSeed = {
  users: [
    { username: 'admin', roles: ['owner'] },
    { username: 'alice' },
    { username: 'bob' },
    { username: 'carol', status: 'suspended' },
    { username: 'dave' },
  ],
  templates: [{ name: 'docker', default_ttl_ms: 8 * HOUR }],
  groups: [{ name: 'devs', members: ['alice', 'dave'] }],
};

function setYaml(spec: Record<string, unknown>, name = 'devs'): string {
  return JSON.stringify({
    apiVersion: 'coderops.dev/v1alpha1',
    kind: 'WorkspaceSet',
    metadata: { name, namespace: 'team-a' },
    spec: { template: { spec: { template: 'docker', ttl: '4h' } }, ...spec },
  });
}

const activeUsers = (extra: Record<string, unknown> = {}) =>
  setYaml({ generators: [{ users: { query: 'status:active', exclude: ['admin'] } }], ...extra });

async function state(harness: Harness): Promise<{ entries: Record<string, Record<string, unknown>>; sets?: unknown }> {
  return JSON.parse(await readFile(join(harness.dir, '.cwo-state.json'), 'utf8'));
}

const userReads = (harness: Harness) => harness.sim.calls.filter((c) => c.method === 'GET' && c.route === '/api/v2/users');
const ownersInCoder = (harness: Harness) =>
  [...harness.sim.state.workspaces.values()]
    .filter((w) => !isWorkspaceDeleted(w, harness.sim.state.now()))
    .map((w) => harness.sim.state.users.get(w.ownerId)!.username)
    .sort();

describe('a users-query set in plan and apply', () => {
  it('plans one child per matching user, applies them, then is quiet: one user list per run, no write', async () => {
    h = await startHarness({ seed: SEED });
    await h.write('set.yaml', activeUsers());
    const plan = await h.cli(['plan', '-f', 'set.yaml']);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain('set team-a/devs: 3 members, 3 new [createUpdate; users status:active: 3]');
    expect(plan.stdout).toContain('+ create team-a/devs-alice');
    expect(userReads(h)).toHaveLength(1);
    // Members read from Coder's user list exist: no per-member owner lookup before the creates (only /users/me).
    expect(h.sim.calls.filter((c) => c.route === '/api/v2/users/{user}').map((c) => c.path)).toEqual(['/api/v2/users/me']);

    const apply = await h.cli(['apply', '-f', 'set.yaml']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(ownersInCoder(h)).toEqual(['alice', 'bob', 'dave']);
    const s = await state(h);
    expect(s.entries['team-a/devs-bob']).toMatchObject({ set: 'team-a/devs', member: 'bob', owner: 'bob', name: 'devs-bob' });
    expect(s.sets).toEqual({ 'team-a/devs': { members: 3 } });

    h.resetCalls();
    const again = await h.cli(['plan', '-f', 'set.yaml']);
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toContain('set team-a/devs: 3 members, 0 new');
    const json = JSON.parse((await h.cli(['plan', '-f', 'set.yaml', '-o', 'json'])).stdout);
    expect(json.sets).toEqual([
      expect.objectContaining({ key: 'team-a/devs', members: 3, children: 3, joining: [], leaving: [], syncPolicy: 'createUpdate' }),
    ]);
    const md = await h.cli(['plan', '-f', 'set.yaml', '-o', 'markdown']);
    expect(md.stdout).toContain('- set team-a/devs: 3 members, 0 new');
    expect(userReads(h)).toHaveLength(3);
    expect(h.writes()).toEqual([]);
  });

  it('a user who starts matching gets one on the next apply; one who stops keeps it under createUpdate', async () => {
    h = await startHarness({ seed: SEED });
    await h.write('set.yaml', activeUsers());
    expect((await h.cli(['apply', '-f', 'set.yaml'])).code).toBe(0);
    h.sim.state.addUser({ username: 'erin' });
    h.sim.state.findUser('bob')!.status = 'suspended';
    h.resetCalls();

    const plan = await h.cli(['plan', '-f', 'set.yaml', '--prune']);
    expect(plan.stdout).toContain('set team-a/devs: 3 members, 1 new, 1 leaving (kept)');
    expect(plan.stdout).not.toMatch(/orphan team-a\/devs-bob|delete team-a\/devs-bob/);
    const apply = await h.cli(['apply', '-f', 'set.yaml', '--prune']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(h.writes().map((w) => w.route)).toEqual(['/api/v2/users/{user}/workspaces']);
    expect(ownersInCoder(h)).toEqual(['alice', 'bob', 'dave', 'erin']);
    // Kept: still recorded as the set's, so a later createDelete can remove it on evidence.
    expect((await state(h)).entries['team-a/devs-bob']).toMatchObject({ set: 'team-a/devs', member: 'bob' });
  });

  it('under createDelete a leaving member is orphaned (deletionPolicy default), or deleted when the child says Delete', async () => {
    h = await startHarness({ seed: SEED });
    await h.write('set.yaml', activeUsers({ syncPolicy: 'createDelete' }));
    expect((await h.cli(['apply', '-f', 'set.yaml'])).code).toBe(0);
    h.sim.state.findUser('bob')!.status = 'suspended';
    h.resetCalls();

    const plan = await h.cli(['plan', '-f', 'set.yaml']);
    expect(plan.stdout).toContain('set team-a/devs: 2 members, 0 new, 1 leaving (orphan)');
    expect(plan.stdout).toContain('- orphan team-a/devs-bob');
    // Without --prune too: the set's own policy says to remove the child.
    const apply = await h.cli(['apply', '-f', 'set.yaml']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain('✓ orphaned team-a/devs-bob');
    expect(h.writes()).toEqual([]);
    expect(ownersInCoder(h)).toEqual(['alice', 'bob', 'dave']); // the workspace stays in Coder
    expect((await state(h)).entries['team-a/devs-bob']).toBeUndefined();

    // With deletionPolicy Delete on the template, the next leaver's workspace is deleted.
    await h.write(
      'set.yaml',
      setYaml({
        generators: [{ users: { query: 'status:active', exclude: ['admin'] } }],
        syncPolicy: 'createDelete',
        template: { spec: { template: 'docker', ttl: '4h', deletionPolicy: 'Delete' } },
      }),
    );
    expect((await h.cli(['apply', '-f', 'set.yaml'])).code).toBe(0);
    h.sim.state.findUser('dave')!.status = 'suspended';
    const del = await h.cli(['apply', '-f', 'set.yaml']);
    expect(del.code, del.stdout + del.stderr).toBe(0);
    expect(del.stdout).toContain('✓ deleted team-a/devs-dave');
    expect(ownersInCoder(h)).toEqual(['alice', 'bob']);
  });
});

describe('held passes: exit 1, nothing written', () => {
  it('more removals than maxRemovals are held until acknowledged with the value the refusal names', async () => {
    h = await startHarness({ seed: SEED });
    await h.write('set.yaml', activeUsers({ syncPolicy: 'createDelete', maxRemovals: 1 }));
    expect((await h.cli(['apply', '-f', 'set.yaml'])).code).toBe(0);
    for (const u of ['alice', 'bob']) h.sim.state.findUser(u)!.status = 'suspended';
    h.resetCalls();

    const plan = await h.cli(['plan', '-f', 'set.yaml']);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toMatch(
      /error: set\.yaml: document 1: WorkspaceSet team-a\/devs \(set\.yaml: document 1\): 2 children would be removed, more than maxRemovals 1; held, nothing changed \(raise maxRemovals or acknowledge (remove-[0-9a-f]{12})\)/,
    );
    const token = /acknowledge (remove-[0-9a-f]{12})/.exec(plan.stdout)![1]!;
    const apply = await h.cli(['apply', '-f', 'set.yaml']);
    expect(apply.code).toBe(1);
    expect(h.writes()).toEqual([]);
    expect(await h.cli(['apply', '-f', 'set.yaml', '--acknowledge-removals', 'remove-000000000000'])).toMatchObject({ code: 1 });

    const acked = await h.cli(['apply', '-f', 'set.yaml', '--acknowledge-removals', token]);
    expect(acked.code, acked.stdout + acked.stderr).toBe(0);
    expect(acked.stdout).toContain('✓ orphaned team-a/devs-alice');
    expect(acked.stdout).toContain('✓ orphaned team-a/devs-bob');
  });

  it('an empty result after members is held, whatever the policy', async () => {
    h = await startHarness({ seed: SEED });
    await h.write('set.yaml', activeUsers());
    expect((await h.cli(['apply', '-f', 'set.yaml'])).code).toBe(0);
    await h.write(
      'set.yaml',
      setYaml({ generators: [{ users: { query: 'status:dormant' } }], syncPolicy: 'createDelete', maxRemovals: 100 }),
    );
    h.resetCalls();
    const apply = await h.cli(['apply', '-f', 'set.yaml', '--prune']);
    expect(apply.code).toBe(1);
    expect(apply.stdout).toContain('the generators found no members, where there were 3; held as suspicious');
    expect(h.writes()).toEqual([]);
    expect(Object.keys((await state(h)).entries)).toHaveLength(3);
  });

  it('a group generator on a server without the Premium feature is a clear error, never an empty membership', async () => {
    h = await startHarness({ seed: SEED });
    await h.write(
      'set.yaml',
      `${setYaml({ generators: [{ group: { name: 'devs' } }] })}\n---\n${workspaceYaml('solo', { owner: 'bob', template: 'docker' })}`,
    );
    const plan = await h.cli(['plan', '-f', 'set.yaml']);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain(
      `generator 1 (group devs): Coder at ${h.sim.url} has no groups: Template RBAC is a Premium feature. (groups need a Coder Premium license)`,
    );
    const apply = await h.cli(['apply', '-f', 'set.yaml']);
    expect(apply.code).toBe(1);
    expect(h.writes()).toEqual([]); // not even the hand-written Workspace beside it
  });

  it("a child never takes the name of a hand-written Workspace or another set's child: an error naming both", async () => {
    h = await startHarness({ seed: SEED });
    await h.write('set.yaml', activeUsers());
    await h.write('other.yaml', `${setYaml({ generators: [{ list: { elements: [{ username: 'bob' }] } }] }, 'devs2')}`);
    await h.write('hand.yaml', workspaceYaml('devs-alice', { owner: 'alice', template: 'docker' }));
    const plan = await h.cli(['plan', '-f', 'set.yaml', '-f', 'hand.yaml']);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain(
      'the child devs-alice for member alice has the name of Workspace team-a/devs-alice (hand.yaml: document 1)',
    );
    await h.write(
      'other.yaml',
      setYaml(
        {
          generators: [{ list: { elements: [{ username: 'bob' }] } }],
          template: { metadata: { name: 'devs-{{username}}' }, spec: { template: 'docker' } },
        },
        'devs2',
      ),
    );
    const two = await h.cli(['plan', '-f', 'set.yaml', '-f', 'other.yaml']);
    expect(two.code).toBe(1);
    expect(two.stdout).toContain(
      'WorkspaceSet team-a/devs (set.yaml: document 1): the child devs-bob for member bob has the name of WorkspaceSet team-a/devs2 (other.yaml: document 1)',
    );
    expect(h.writes()).toEqual([]);
  });
});

describe('a group set on a Premium server', () => {
  it("stamps one child per group member, with a list member's overrides", async () => {
    h = await startHarness({ seed: { ...SEED, premium: true } });
    await h.write(
      'set.yaml',
      setYaml({
        generators: [{ group: { name: 'devs' } }, { list: { elements: [{ username: 'bob', overrides: { ttl: '1h' } }] } }],
        template: { metadata: { name: 'ws-{{username}}' }, spec: { template: 'docker', name: '{{username}}-dev', ttl: '4h' } },
      }),
    );
    const apply = await h.cli(['apply', '-f', 'set.yaml']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const byOwner = new Map(
      [...h.sim.state.workspaces.values()].map((w) => [h!.sim.state.users.get(w.ownerId)!.username, { name: w.name, ttl: w.ttlMs }]),
    );
    expect(byOwner).toEqual(
      new Map([
        ['alice', { name: 'alice-dev', ttl: 4 * HOUR }],
        ['dave', { name: 'dave-dev', ttl: 4 * HOUR }],
        ['bob', { name: 'bob-dev', ttl: HOUR }],
      ]),
    );
    expect(h.sim.calls.filter((c) => c.route === '/api/v2/organizations/{organization}/groups/{groupName}')).toHaveLength(1);
  });
});
