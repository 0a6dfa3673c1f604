// `sync --once` against real git repositories and the Coder simulator,
// counting the calls the simulator recorded.
import { afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git, wsYaml } from '../unit/gitops/git-fixture.ts';
import { SEED } from './seed.ts';
import { startSyncWorld, type SyncWorld } from './sync-helpers.ts';

let w: SyncWorld;

afterEach(async () => {
  const problems = w.h.contractProblems();
  await w.h.close();
  expect(problems).toEqual([]);
});

function live(owner: string, name: string) {
  const state = w.h.sim.state;
  return state.findLiveWorkspace(state.findUser(owner)!.id, name);
}

const routes = () => w.h.writes().map((c) => `${c.method} ${c.route}`);

describe('sync converges on each new commit', () => {
  it('a commit that adds, edits, renames and removes workspaces converges in one tick; the next tick writes nothing', async () => {
    w = await startSyncWorld({ seed: SEED, allowRenames: true, buildDurationMs: 50 });
    const c1 = w.repo.commit({
      'workspaces/a.yaml': wsYaml('a', { owner: 'alice' }),
      'workspaces/b.yaml': wsYaml('b', { owner: 'bob' }),
      'workspaces/c.yaml': wsYaml('c', { owner: 'carol' }),
    });
    const first = await w.sync(['--prune']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain(`${c1.slice(0, 12)} Applied (3 workspace(s))`);
    expect(routes()).toEqual(Array(3).fill('POST /api/v2/users/{user}/workspaces'));
    expect((await w.status()).lastAppliedRevision).toBe(c1);

    const c2 = w.repo.commit({
      'workspaces/a.yaml': wsYaml('a', { owner: 'alice', ttl: '4h' }),
      'workspaces/b.yaml': wsYaml('b', { owner: 'bob', name: 'b-renamed' }),
      'workspaces/c.yaml': null,
      'workspaces/team/d.yaml': wsYaml('d', { owner: 'alice' }),
    });
    w.h.resetCalls();
    const second = await w.sync(['--prune']);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(routes().sort()).toEqual(
      [
        'POST /api/v2/users/{user}/workspaces',
        'PUT /api/v2/workspaces/{workspace}/ttl',
        'PATCH /api/v2/workspaces/{workspace}',
        'POST /api/v2/workspaces/{workspace}/builds',
      ].sort(),
    );
    expect(live('alice', 'a')!.ttlMs).toBe(4 * 3_600_000);
    expect(live('bob', 'b-renamed')).toBeDefined();
    expect(live('bob', 'b')).toBeUndefined();
    expect(live('carol', 'c')).toBeUndefined();
    expect(live('alice', 'd')).toBeDefined();
    expect(live('carol', 'carol-scratch')).toBeDefined(); // never declared: never touched

    const status = await w.status();
    expect(status).toMatchObject({ lastAppliedRevision: c2, lastAttemptedRevision: c2, result: 'Applied', errors: [] });
    expect(Object.keys(status.workspaces)).toEqual(['team-a/a', 'team-a/b', 'team-a/d']);
    expect(status.workspaces['team-a/b']).toMatchObject({ name: 'b-renamed', id: live('bob', 'b-renamed')!.id });
    const state = JSON.parse(await readFile(join(w.h.dir, '.cwo-state.json'), 'utf8'));
    expect(state.entries['team-a/d'].source).toBe('git:workspaces/team/d.yaml');

    w.h.resetCalls();
    const third = await w.sync(['--prune']);
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('UpToDate');
    expect(w.h.writes()).toEqual([]);
  });
});

describe('a broken commit', () => {
  it('applies nothing, names file, line and field, keeps the last good revision; the next good commit applies', async () => {
    w = await startSyncWorld({ seed: SEED });
    const good = w.repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice' }) });
    expect((await w.sync()).code).toBe(0);

    const broken = w.repo.commit({
      'workspaces/a.yaml': wsYaml('a', { owner: 'alice', ttl: '4h' }),
      'workspaces/b.yaml': wsYaml('b', { owner: 'bob', ttl: '9999h' }),
      'workspaces/dup.yaml': wsYaml('a', { owner: 'alice' }),
    });
    w.h.resetCalls();
    const bad = await w.sync();
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('InvalidDeclarations');
    expect(bad.stdout).toContain('workspaces/b.yaml:8: spec.ttl: ttl 9999h is too long');
    expect(bad.stdout).toContain('workspaces/dup.yaml:4: metadata.name: team-a/a is declared twice');
    // Nothing from the broken commit; the last good revision stays in force
    // (this run's start is a drift check of it, which finds nothing to change).
    expect(w.h.writes()).toEqual([]);
    expect(live('alice', 'a')!.ttlMs).toBe(8 * 3_600_000);
    const status = await w.status();
    expect(status).toMatchObject({ lastAppliedRevision: good, lastAttemptedRevision: broken, result: 'InvalidDeclarations' });
    expect(status.errors).toContainEqual(
      expect.objectContaining({ reason: 'InvalidDeclarations', file: 'workspaces/b.yaml', line: 8, field: 'spec.ttl' }),
    );
    expect(Object.keys(status.workspaces)).toEqual(['team-a/a']); // the last good revision's statuses stay

    const table = await w.h.cli(['status', '--status-file', w.statusPath]);
    expect(table.stdout).toContain('error (InvalidDeclarations): workspaces/b.yaml:8: spec.ttl');

    const fixed = w.repo.commit({ 'workspaces/b.yaml': wsYaml('b', { owner: 'bob' }), 'workspaces/dup.yaml': null });
    w.h.resetCalls();
    const ok = await w.sync();
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(routes().sort()).toEqual(['POST /api/v2/users/{user}/workspaces', 'PUT /api/v2/workspaces/{workspace}/ttl']);
    expect(await w.status()).toMatchObject({ lastAppliedRevision: fixed, errors: [], result: 'Applied' });
  });
});

describe('the last good revision stays in force', () => {
  it('while the head is broken, drift made in Coder is still corrected to the last good revision', async () => {
    w = await startSyncWorld({ seed: SEED });
    const good = w.repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice', ttl: '2h' }) });
    expect((await w.sync()).code).toBe(0);
    w.repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice', ttl: 'forever' }) });
    expect((await w.sync()).code).toBe(1);

    // Someone changes the TTL in the Coder UI.
    w.h.sim.state.setTtl(live('alice', 'a')!.id, 5 * 3_600_000);
    w.h.resetCalls();
    const bad = await w.sync();
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('InvalidDeclarations');
    expect(routes()).toEqual(['PUT /api/v2/workspaces/{workspace}/ttl']);
    expect(live('alice', 'a')!.ttlMs).toBe(2 * 3_600_000);
    expect(await w.status()).toMatchObject({ lastAppliedRevision: good, result: 'InvalidDeclarations' });
  });
});

describe('prune', () => {
  it('removes only what sync created within --path: not file-applied, not another path, not unmanaged', async () => {
    w = await startSyncWorld({ seed: SEED, buildDurationMs: 50 });
    w.repo.commit({
      'workspaces/a.yaml': wsYaml('a', { owner: 'alice' }),
      'workspaces/b.yaml': wsYaml('b', { owner: 'bob' }),
      'other/o.yaml': wsYaml('o', { owner: 'carol' }),
    });
    await w.h.write('manual.yaml', wsYaml('manual', { owner: 'bob', deletionPolicy: 'Delete' }));
    // Local files and a repository do not share a state file (issue 18): sync refuses it, naming the source to take over.
    expect((await w.h.cli(['apply', '-f', 'manual.yaml', '--state', 'shared.json'])).code).toBe(0);
    const refused = await w.sync(['--state', 'shared.json']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('records workspaces of files (1 workspace)');
    expect((await w.h.cli(['apply', '-f', 'manual.yaml', '--state', 'files.json'])).code).toBe(0);
    expect((await w.sync()).code).toBe(0);
    const other = await w.h.cli([
      'sync',
      '--repo',
      w.repo.remote,
      '--path',
      'other',
      '--once',
      '--cache-dir',
      join(w.h.dir, 'cache'),
      '--deletion-policy',
      'Delete',
    ]);
    expect(other.code, other.stdout + other.stderr).toBe(0);

    w.repo.commit({ 'workspaces/b.yaml': null });
    w.h.resetCalls();
    const pruned = await w.sync(['--prune']);
    expect(pruned.code, pruned.stdout + pruned.stderr).toBe(0);
    expect(routes()).toEqual(['POST /api/v2/workspaces/{workspace}/builds']);
    expect(live('bob', 'b')).toBeUndefined();
    for (const [owner, name] of [
      ['alice', 'a'],
      ['bob', 'manual'],
      ['carol', 'o'],
      ['carol', 'carol-scratch'],
    ] as const)
      expect(live(owner, name), `${owner}/${name}`).toBeDefined();
  });
});

describe('restart and history', () => {
  it('a restarted sync resumes from the recorded revision with no Coder write', async () => {
    w = await startSyncWorld({ seed: SEED });
    const c1 = w.repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice' }), 'workspaces/b.yaml': wsYaml('b', { owner: 'bob' }) });
    expect((await w.sync(['--prune'])).code).toBe(0);
    const before = await w.status();
    w.h.resetCalls();
    const again = await w.sync(['--prune']);
    expect(again.code).toBe(0);
    expect(w.h.writes()).toEqual([]);
    // The start is a drift check: one list pass, nothing more per workspace.
    expect(w.h.sim.calls.filter((c) => c.route === '/api/v2/workspaces')).toHaveLength(1);
    const after = await w.status();
    expect(after.lastAppliedRevision).toBe(c1);
    // Conditions carry over from the status file: Synced stayed True, so its transition time did not move, and a
    // pass with nothing to do keeps the reason the create gave, as the operator does (engine/status.ts).
    const synced = (s: typeof before) => s.workspaces['team-a/a']!.conditions!.find((c) => c.type === 'Synced')!;
    expect(synced(before).reason).toBe('Created');
    expect(synced(after)).toMatchObject({ status: 'True', reason: 'Created', lastTransitionTime: synced(before).lastTransitionTime });
  });

  it('a force-push is reported and changes nothing; a descendant or --allow-history-rewrite applies again', async () => {
    w = await startSyncWorld({ seed: SEED });
    const c1 = w.repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice' }) });
    const c2 = w.repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice', ttl: '4h' }) });
    expect((await w.sync()).code).toBe(0);
    git(w.repo.work, 'reset', '--quiet', '--hard', c1);
    const c3 = w.repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice', ttl: '2h' }) }, 'rewrite', { push: false });
    w.repo.push({ force: true });

    w.h.resetCalls();
    const refused = await w.sync();
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('HistoryRewritten');
    expect(refused.stdout).toContain(`does not descend from the last applied revision ${c2.slice(0, 12)}`);
    // Nothing from the rewritten commit (its 2h TTL); the last applied revision stays in force.
    expect(w.h.writes()).toEqual([]);
    expect(live('alice', 'a')!.ttlMs).toBe(4 * 3_600_000);
    expect(await w.status()).toMatchObject({ lastAppliedRevision: c2, lastAttemptedRevision: c3, result: 'HistoryRewritten' });

    // The branch comes back onto the applied history: business as usual.
    git(w.repo.work, 'reset', '--quiet', '--hard', c2);
    const c4 = w.repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice', ttl: '3h' }) }, 'on top', { push: false });
    w.repo.push({ force: true });
    expect((await w.sync()).code).toBe(0);
    expect(await w.status()).toMatchObject({ lastAppliedRevision: c4, result: 'Applied' });

    git(w.repo.work, 'reset', '--quiet', '--hard', c3);
    w.repo.push({ force: true });
    expect((await w.sync()).code).toBe(1);
    const allowed = await w.sync(['--allow-history-rewrite']);
    expect(allowed.code, allowed.stdout).toBe(0);
    expect(live('alice', 'a')!.ttlMs).toBe(2 * 3_600_000);
  });
});

describe('bad sources', () => {
  it.each([
    {
      name: 'an unreachable repository',
      args: [],
      repo: '/nonexistent/repo.git',
      reason: 'FetchFailed',
      text: 'cannot fetch /nonexistent/repo.git',
    },
    { name: 'a wrong ref', args: ['--ref', 'no-such-branch'], reason: 'RefNotFound', text: 'ref "no-such-branch" not found' },
    { name: 'a missing path', args: ['--path', 'nowhere'], reason: 'PathNotFound', text: 'path "nowhere" does not exist' },
  ])('$name: a clear message, status recorded, no Coder call', async ({ args, repo, reason, text }) => {
    w = await startSyncWorld({ seed: SEED });
    w.repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice' }) });
    const result = await w.sync(args, repo ? { repo } : {});
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`error (${reason}): ${text}`);
    expect(result.stderr).toContain(`"reason":"${reason}"`);
    expect(w.h.sim.calls).toEqual([]);
    expect((await w.status()).errors).toEqual([expect.objectContaining({ reason })]);
    // Fixed later, the next tick recovers by itself.
    if (!repo) expect((await w.sync()).code).toBe(0);
  });
});
