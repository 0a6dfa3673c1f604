// The operator's own fields in files the CLI reads: spec.suspend is
// honoured (the workspace is left alone, and prune does not take it for
// undeclared), spec.connectionRef is ignored with a warning.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGitFixture } from '../unit/gitops/git-fixture.ts';
import { harnessPerTest } from '../support/harness-per-test.ts';
import { workspaceYaml } from './harness.ts';
import { SEED } from './seed.ts';

const h = harnessPerTest({ seed: SEED });

describe('spec.suspend', () => {
  const a = (ttl: string) => workspaceYaml('a', { owner: 'alice', template: 'docker', ttl });
  const b = (extra: Record<string, unknown>) =>
    workspaceYaml('b', { owner: 'bob', template: 'docker', ttl: '2h', deletionPolicy: 'Delete', ...extra });
  const stateEntry = async (key: string) => JSON.parse(await readFile(join(h.dir, '.cwo-state.json'), 'utf8')).entries[key];

  /** a and b applied; then b suspended with a changed TTL, a's TTL changed too. */
  async function suspendB(): Promise<void> {
    await h.write('ws.yaml', `${a('2h')}\n---\n${b({})}`);
    expect((await h.cli(['apply', '-f', 'ws.yaml'])).code).toBe(0);
    await h.write('ws.yaml', `${a('3h')}\n---\n${b({ suspend: true, ttl: '5h' })}`);
    h.resetCalls();
  }

  it('plan (text and json) and status report a suspended workspace, and plan nothing for it, prune included', async () => {
    await suspendB();
    const plan = await h.cli(['plan', '-f', 'ws.yaml', '--prune']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('~ ttl team-a/a: 2h -> 3h');
    expect(plan.stdout).toContain('= suspended team-a/b (spec.suspend: true: not reconciled; its workspace is left as it is)');
    expect(plan.stdout).not.toMatch(/ttl team-a\/b|delete team-a\/b/);

    const json = JSON.parse((await h.cli(['plan', '-f', 'ws.yaml', '--prune', '-o', 'json'])).stdout);
    expect(json.suspended).toEqual([{ key: 'team-a/b', owner: 'bob', name: 'b' }]);
    expect(json.workspaces.map((w: { key: string }) => w.key)).toEqual(['team-a/a']);
    expect(json.prune).toEqual([]);

    const status = await h.cli(['status', '-f', 'ws.yaml']);
    expect(status.stdout).toMatch(/^team-a\/b\s+bob\s+b\s+-\s+-\s+-\s+False \(Suspended\)\s+-$/m);
  });

  it('apply --prune neither changes nor deletes it, keeps its state entry, and reconciles it again once unsuspended', async () => {
    await suspendB();
    const before = await stateEntry('team-a/b');
    const apply = await h.cli(['apply', '-f', 'ws.yaml', '--prune']);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('= suspended team-a/b');
    // Only a's TTL was written, and nothing about b was even read.
    expect(h.writes()).toEqual([{ method: 'PUT', route: '/api/v2/workspaces/{workspace}/ttl', status: 204 }]);
    expect(h.sim.calls.filter((c) => c.path.includes(before.id as string))).toEqual([]);
    expect(await stateEntry('team-a/b')).toEqual(before);

    await h.write('ws.yaml', `${a('3h')}\n---\n${b({ ttl: '5h' })}`);
    expect((await h.cli(['plan', '-f', 'ws.yaml'])).stdout).toContain('~ ttl team-a/b: 2h -> 5h');
  });
});

describe('spec.suspend in sync', () => {
  it('a suspended workspace is left alone, its state kept, and the status file says Suspended', async () => {
    const repo = createGitFixture(join(h.dir, 'git'));
    const ws = (suspend: boolean) =>
      `${workspaceYaml('a', { owner: 'alice', template: 'docker', ttl: suspend ? '5h' : '2h', ...(suspend ? { suspend } : {}) })}\n`;
    const sync = () =>
      h.cli([
        'sync',
        '--once',
        '--prune',
        '--repo',
        repo.remote,
        '--path',
        'w',
        '--cache-dir',
        join(h.dir, 'cache'),
        '--status-file',
        'status.json',
        '--deletion-policy',
        'Delete',
      ]);
    repo.commit({ 'w/a.yaml': ws(false) });
    expect((await sync()).code).toBe(0);
    const before = await readFile(join(h.dir, '.cwo-state.json'), 'utf8');
    repo.commit({ 'w/a.yaml': ws(true) });
    h.resetCalls();
    expect((await sync()).code).toBe(0);
    expect(h.writes()).toEqual([]);
    expect(await readFile(join(h.dir, '.cwo-state.json'), 'utf8')).toBe(before);
    const status = JSON.parse(await readFile(join(h.dir, 'status.json'), 'utf8'));
    expect(status.workspaces['team-a/a'].conditions).toContainEqual(
      expect.objectContaining({ type: 'Synced', status: 'False', reason: 'Suspended' }),
    );
    expect(status.workspaces['team-a/a'].ttl).toBe('2h'); // as last observed, not the suspended spec's 5h
    expect((await h.cli(['status', '--status-file', 'status.json'])).stdout).toMatch(/^team-a\/a\s.*False \(Suspended\)/m);
  });
});

describe('spec.connectionRef', () => {
  it('is ignored with one warning per document, naming file and document', async () => {
    const ref = { connectionRef: { kind: 'CoderConnection', name: 'coder' } };
    const list = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        JSON.parse(workspaceYaml('one', { owner: 'alice', template: 'docker', ...ref })),
        JSON.parse(workspaceYaml('two', { owner: 'bob', template: 'docker', ...ref })),
      ],
    });
    await h.write('ws.yaml', `${workspaceYaml('plain', { owner: 'carol', template: 'docker' })}\n---\n${list}`);
    const plan = await h.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.code).toBe(2);
    const warnings = plan.stderr.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toEqual([
      'warning: ws.yaml: document 2: spec.connectionRef is ignored: the CLI uses the Coder of --url / $CODER_URL ' +
        'and the token of $CODER_SESSION_TOKEN / --token-file; connectionRef is read only by the operator',
    ]);
    expect(plan.stdout).toContain('Plan: 3 to create');
  });
});
