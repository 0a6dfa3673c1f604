// The wrong deletes of issue 18, as a user meets them: the real CLI against
// the simulator. Each test asserts what Coder and the state file hold
// afterwards, and each failed before the fix it names.
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGitFixture } from '../unit/gitops/git-fixture.ts';
import { coderConnectionManifest } from '../support/coder-connection.ts';
import { harnessPerTest } from '../support/harness-per-test.ts';
import { workspaceYaml } from './harness.ts';
import { SEED } from './seed.ts';

const h = harnessPerTest({ seed: SEED, buildDurationMs: 20 });

function live(owner: string, name: string) {
  return h.sim.state.findLiveWorkspace(h.sim.state.findUser(owner)!.id, name);
}

async function state(file = '.cwo-state.json') {
  return JSON.parse(await readFile(join(h.dir, file), 'utf8')) as { version: number; entries: Record<string, Record<string, unknown>> };
}

function deletes() {
  return h.writes().filter((w) => w.method === 'POST' && w.route.endsWith('/builds'));
}

describe('managementPolicies [Observe] (issue 18, high 1)', () => {
  it('an observed workspace is never deleted by --prune, whatever deletionPolicy says', async () => {
    await h.write(
      'observe.yaml',
      workspaceYaml('scratch', {
        owner: 'carol',
        name: 'carol-scratch',
        template: 'docker',
        managementPolicies: ['Observe'],
        deletionPolicy: 'Delete',
      }),
    );
    await h.write('other.yaml', workspaceYaml('keep', { owner: 'alice', name: 'keep', template: 'docker' }));
    const applied = await h.cli(['apply', '-f', 'observe.yaml', 'other.yaml']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect((await state()).entries['team-a/scratch']).toMatchObject({ management: 'Observe' });

    await writeFile(join(h.dir, 'observe.yaml'), workspaceYaml('keep2', { owner: 'alice', name: 'keep2', template: 'docker' }));
    h.resetCalls();
    const pruned = await h.cli(['apply', '--prune', '-f', 'observe.yaml', 'other.yaml']);
    expect(pruned.code, pruned.stdout + pruned.stderr).toBe(0);
    expect(pruned.stdout).not.toMatch(/✓ delete/);
    expect(pruned.stdout).toContain('✓ orphaned team-a/scratch');
    expect(pruned.stdout).toContain(' 0 deleted, 1 orphaned');
    expect(deletes()).toEqual([]);
    expect(live('carol', 'carol-scratch')).toBeDefined();
    expect((await state()).entries['team-a/scratch']).toBeUndefined(); // forgotten, never deleted
  });

  it('a workspace declared Delete, then Observe, then removed is not deleted', async () => {
    const file = await h.write(
      'a.yaml',
      workspaceYaml('dev', { owner: 'alice', name: 'dev', template: 'docker', deletionPolicy: 'Delete' }),
    );
    await h.write('b.yaml', workspaceYaml('other', { owner: 'bob', name: 'other', template: 'docker' }));
    expect((await h.cli(['apply', '-f', 'a.yaml', 'b.yaml'])).code).toBe(0);
    await writeFile(
      file,
      workspaceYaml('dev', { owner: 'alice', name: 'dev', template: 'docker', deletionPolicy: 'Delete', managementPolicies: ['Observe'] }),
    );
    expect((await h.cli(['apply', '-f', 'a.yaml', 'b.yaml'])).code).toBe(0);
    await writeFile(file, workspaceYaml('x', { owner: 'bob', name: 'x', template: 'docker' }));
    const pruned = await h.cli(['apply', '--prune', '-f', 'a.yaml', 'b.yaml']);
    expect(pruned.code, pruned.stdout + pruned.stderr).toBe(0);
    expect(live('alice', 'dev')).toBeDefined();
  });
});

describe('owner: me (issue 18, high 2)', () => {
  it('renaming metadata.name to a declaration with owner: me moves the binding; prune deletes nothing', async () => {
    const file = await h.write(
      'a.yaml',
      workspaceYaml('old', { owner: 'alice', name: 'dev', template: 'docker', deletionPolicy: 'Delete' }),
    );
    expect((await h.cli(['apply', '-f', 'a.yaml'], { user: 'alice' })).code).toBe(0);
    const id = live('alice', 'dev')!.id;
    await writeFile(file, workspaceYaml('new', { owner: 'me', name: 'dev', template: 'docker', deletionPolicy: 'Delete' }));
    h.resetCalls();
    const result = await h.cli(['apply', '--prune', '-f', 'a.yaml'], { user: 'alice' });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(deletes()).toEqual([]);
    expect(live('alice', 'dev')?.id).toBe(id);
    expect(Object.keys((await state()).entries)).toEqual(['team-a/new']);
    expect((await state()).entries['team-a/new']).toMatchObject({ id });
  });

  it('after a create with owner: me, plan is in sync (no blocked owner mismatch); GET /users/me once per run', async () => {
    await h.write('a.yaml', workspaceYaml('mine', { owner: 'me', name: 'mine', template: 'docker', ttl: '1h' }));
    const applied = await h.cli(['apply', '-f', 'a.yaml']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(live('admin', 'mine')).toBeDefined();
    h.resetCalls();
    const plan = await h.cli(['plan', '-f', 'a.yaml']);
    expect(plan.stdout).not.toContain('! blocked');
    expect(plan.code, plan.stdout).toBe(0);
    expect(h.sim.calls.filter((c) => c.path === '/api/v2/users/me')).toHaveLength(1);
  });
});

describe('one state file, two git sources (issue 18, high 3)', () => {
  it('a sync of another repository refuses the state file; it never prunes the first one`s workspaces', async () => {
    const a = createGitFixture(join(h.dir, 'git-a'));
    const b = createGitFixture(join(h.dir, 'git-b'));
    a.commit({
      'workspaces/a.yaml': workspaceYaml('one', { owner: 'alice', name: 'from-a', template: 'docker', deletionPolicy: 'Delete' }),
    });
    b.commit({ 'workspaces/b.yaml': workspaceYaml('two', { owner: 'bob', name: 'from-b', template: 'docker', deletionPolicy: 'Delete' }) });
    const sync = (remote: string, extra: string[] = []) =>
      h.cli([
        'sync',
        '--repo',
        remote,
        '--path',
        'workspaces/',
        '--once',
        '--prune',
        '--cache-dir',
        join(h.dir, 'cache'),
        '--status-file',
        join(h.dir, `status-${remote === a.remote ? 'a' : 'b'}.json`),
        ...extra,
      ]);
    expect((await sync(a.remote)).code).toBe(0);
    expect(live('alice', 'from-a')).toBeDefined();
    const entry = (await state()).entries['team-a/one']!;
    expect(entry).toMatchObject({ repository: a.remote, ref: 'main', source: 'git:workspaces/a.yaml' });

    h.resetCalls();
    const second = await sync(b.remote);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`--state-source-takeover ${a.remote}#main`);
    expect(h.writes()).toEqual([]);
    expect(live('alice', 'from-a')).toBeDefined();
    expect(live('bob', 'from-b')).toBeUndefined();
  });
});

describe('nothing declared (issue 18, low)', () => {
  it('a List with items: [] is an error naming the file; so is --prune over a file of only connections', async () => {
    await h.write('ws.yaml', workspaceYaml('dev', { owner: 'alice', name: 'dev', template: 'docker', deletionPolicy: 'Delete' }));
    expect((await h.cli(['apply', '-f', 'ws.yaml'])).code).toBe(0);
    await h.write('ws.yaml', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [] }));
    const list = await h.cli(['apply', '--prune', '--max-prune', 'all', '-f', 'ws.yaml']);
    expect(list.code).toBe(1);
    expect(list.stdout).toContain('ws.yaml');
    expect(list.stdout).toContain('declares nothing');
    await h.write(
      'ws.yaml',
      JSON.stringify(
        coderConnectionManifest('c', 'team-a', { url: 'https://coder.example.com', tokenSecretRef: { name: 's', key: 'token' } }),
      ),
    );
    const onlyConnections = await h.cli(['apply', '--prune', '--max-prune', 'all', '-f', 'ws.yaml']);
    expect(onlyConnections.code).toBe(1);
    expect(onlyConnections.stdout).toContain('ws.yaml');
    expect(onlyConnections.stdout).toContain('declares no Workspace');
    expect(live('alice', 'dev')).toBeDefined();
  });
});

describe('the state path (issue 18, low)', () => {
  it('a symlinked state path is locked and written where it points: one state, never two', async () => {
    await mkdir(join(h.dir, 'real'));
    await symlink(join(h.dir, 'real', 'state.json'), join(h.dir, 'link.json'));
    await h.write('ws.yaml', workspaceYaml('dev', { owner: 'alice', name: 'dev', template: 'docker' }));
    // A run through the real path holds the lock: one through the link must see it.
    await writeFile(
      join(h.dir, 'real', 'state.json.lock'),
      `${JSON.stringify({ pid: 1, host: 'elsewhere', pidNamespace: '', startedAt: new Date().toISOString(), command: 'apply', token: 't' })}\n`,
    );
    const locked = await h.cli(['apply', '--state', 'link.json', '-f', 'ws.yaml']);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain('is locked by pid 1 on elsewhere');
    await writeFile(join(h.dir, 'real', 'state.json.lock'), '');
    await import('node:fs/promises').then((fs) => fs.unlink(join(h.dir, 'real', 'state.json.lock')));
    const applied = await h.cli(['apply', '--state', 'link.json', '-f', 'ws.yaml']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const { lstat } = await import('node:fs/promises');
    expect((await lstat(join(h.dir, 'link.json'))).isSymbolicLink()).toBe(true);
    expect(Object.keys((await state('real/state.json')).entries)).toEqual(['team-a/dev']);
  });
});
