// The data-loss cases of issue 12, as a user meets them: the real CLI against
// the simulator. Each asserts what Coder and the state file hold afterwards.
import { spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { harnessPerTest } from '../support/harness-per-test.ts';
import { workspaceYaml } from './harness.ts';
import { SEED } from './seed.ts';

const h = harnessPerTest({ seed: SEED, buildDurationMs: 20 });

function findLive(owner: string, name: string) {
  return h.sim.state.findLiveWorkspace(h.sim.state.findUser(owner)!.id, name);
}

async function stateEntries(file = '.cwo-state.json'): Promise<Record<string, { id: string }>> {
  return JSON.parse(await readFile(join(h.dir, file), 'utf8')).entries;
}

const docs = (...d: string[]) => d.join('\n---\n');

describe('one owner written two ways (name and UUID)', () => {
  it('is a duplicate: refused before any write, naming both files', async () => {
    const alice = h.sim.state.findUser('alice')!;
    await h.write('a.yaml', workspaceYaml('by-name', { owner: 'alice', name: 'dev', template: 'docker', ttl: '1h' }));
    await h.write('b.yaml', workspaceYaml('by-id', { owner: alice.id.toUpperCase(), name: 'Dev', template: 'docker', ttl: '2h' }));
    for (const command of ['plan', 'apply']) {
      const result = await h.cli([command, '-f', 'a.yaml', 'b.yaml']);
      expect(result.code, result.stdout + result.stderr).toBe(1);
      expect(result.stdout).toContain('a.yaml: document 1: spec.owner:');
      expect(result.stdout).toContain('b.yaml: document 1: spec.owner:');
      expect(result.stdout).toMatch(/declared twice: .*a\.yaml document 1 and .*b\.yaml document 1/);
      expect(result.stdout).toContain('nothing was changed in Coder');
    }
    expect(h.writes()).toEqual([]);
    expect(findLive('alice', 'dev')).toBeUndefined();
  });

  it('over an existing workspace too', async () => {
    const carol = h.sim.state.findUser('carol')!;
    await h.write(
      'a.yaml',
      docs(
        workspaceYaml('one', { owner: 'carol', name: 'carol-scratch', template: 'docker' }),
        workspaceYaml('two', { owner: carol.id, name: 'carol-scratch', template: 'docker', ttl: '1h' }),
      ),
    );
    const result = await h.cli(['apply', '-f', 'a.yaml']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/declared twice/);
    expect(h.writes()).toEqual([]);
  });

  it('a workspace bound in the state to a declaration of another file is not bound a second time', async () => {
    await h.write(
      'team-b.yaml',
      workspaceYaml('theirs', { owner: 'alice', name: 'dev', template: 'docker', deletionPolicy: 'Delete' }, 'team-b'),
    );
    expect((await h.cli(['apply', '-f', 'team-b.yaml'])).code).toBe(0);
    const alice = h.sim.state.findUser('alice')!;
    await h.write('team-a.yaml', workspaceYaml('mine', { owner: alice.id, name: 'dev', template: 'docker', ttl: '1h' }));
    h.resetCalls();
    const result = await h.cli(['apply', '-f', 'team-a.yaml']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('team-b/theirs');
    expect(result.stdout).toContain('team-b.yaml');
    expect(h.writes()).toEqual([]);
    expect(Object.keys(await stateEntries())).toEqual(['team-b/theirs']);
  });

  it('renaming metadata.name moves the binding; prune never deletes the workspace the new name declares', async () => {
    await h.write('ws.yaml', workspaceYaml('old', { owner: 'alice', name: 'dev', template: 'docker', deletionPolicy: 'Delete' }));
    expect((await h.cli(['apply', '-f', 'ws.yaml'])).code).toBe(0);
    const id = findLive('alice', 'dev')!.id;
    await h.write('ws.yaml', workspaceYaml('new', { owner: 'alice', name: 'dev', template: 'docker', deletionPolicy: 'Delete' }));
    const plan = await h.cli(['plan', '--prune', '-f', 'ws.yaml']);
    expect(plan.stdout).not.toContain('- delete');
    h.resetCalls();
    const apply = await h.cli(['apply', '--prune', '-f', 'ws.yaml']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(h.writes()).toEqual([]);
    expect(findLive('alice', 'dev')?.id).toBe(id);
    const entries = await stateEntries();
    expect(Object.keys(entries)).toEqual(['team-a/new']);
    expect(entries['team-a/new']!.id).toBe(id);
  });
});

describe('a source that reads as "nothing declared" never prunes', () => {
  beforeEach(async () => {
    await mkdir(join(h.dir, 'decl'));
    await h.write('decl/keep.yaml', workspaceYaml('kept', { owner: 'carol', template: 'docker' }));
    await h.write(
      'decl/ws.yaml',
      docs(
        workspaceYaml('one', { owner: 'alice', template: 'docker', deletionPolicy: 'Delete' }),
        workspaceYaml('two', { owner: 'bob', template: 'docker', deletionPolicy: 'Delete' }),
      ),
    );
    expect((await h.cli(['apply', '-f', 'decl'])).code).toBe(0);
    h.resetCalls();
  });

  it.each([
    {
      name: 'a dangling symlink',
      make: async () => symlink(join(h.dir, 'nowhere.yaml'), join(h.dir, 'decl', 'ws.yaml')),
      message: 'decl/ws.yaml: a symlink whose target cannot be read',
    },
    { name: 'a 0-byte file', make: async () => writeFile(join(h.dir, 'decl', 'ws.yaml'), ''), message: 'decl/ws.yaml: declares nothing' },
    {
      name: 'a file of only ---',
      make: async () => writeFile(join(h.dir, 'decl', 'ws.yaml'), '---\n---\n'),
      message: 'decl/ws.yaml: declares nothing',
    },
  ])('$name is an error naming the file', async ({ make, message }) => {
    await import('node:fs/promises').then((fs) => fs.rm(join(h.dir, 'decl', 'ws.yaml')));
    await make();
    for (const command of ['plan', 'apply']) {
      const result = await h.cli([command, '--prune', '-f', 'decl']);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(message);
    }
    expect(h.writes()).toEqual([]);
    expect(findLive('alice', 'one')).toBeDefined();
  });
});

describe('--max-prune', () => {
  it('refuses to delete more workspaces than the bound (default 10), before any write; all lifts it', async () => {
    const many = Array.from({ length: 11 }, (_, i) =>
      workspaceYaml(`ws-${i}`, { owner: 'bob', template: 'kubernetes', deletionPolicy: 'Delete' }),
    );
    await h.write('ws.yaml', docs(...many, workspaceYaml('kept', { owner: 'alice', template: 'docker' })));
    expect((await h.cli(['apply', '-f', 'ws.yaml'])).code).toBe(0);
    await h.write('ws.yaml', docs(workspaceYaml('kept', { owner: 'alice', template: 'docker', ttl: '1h' })));
    h.resetCalls();

    const plan = await h.cli(['plan', '--prune', '-f', 'ws.yaml']);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain('would delete 11 workspaces, more than --max-prune 10');
    const apply = await h.cli(['apply', '--prune', '-f', 'ws.yaml']);
    expect(apply.code).toBe(1);
    expect(apply.stdout + apply.stderr).toContain('would delete 11 workspaces, more than --max-prune 10');
    expect(h.writes()).toEqual([]); // not even the ttl change of `kept`

    const forced = await h.cli(['apply', '--prune', '--max-prune', 'all', '-f', 'ws.yaml']);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(findLive('bob', 'ws-0')).toBeUndefined();
    expect(Object.keys(await stateEntries())).toEqual(['team-a/kept']);
  }, 120_000);

  it('a share: of the managed workspaces in the paths given', async () => {
    await h.write(
      'ws.yaml',
      docs(...['a', 'b', 'c'].map((n) => workspaceYaml(n, { owner: 'bob', template: 'kubernetes', deletionPolicy: 'Delete' }))),
    );
    expect((await h.cli(['apply', '-f', 'ws.yaml'])).code).toBe(0);
    await h.write('ws.yaml', workspaceYaml('c', { owner: 'bob', template: 'kubernetes', deletionPolicy: 'Delete' }));
    h.resetCalls();
    const plan = await h.cli(['plan', '--prune', '--max-prune', '50%', '-f', 'ws.yaml']);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain('would delete 2 workspaces, more than --max-prune 50% (50% of the 3 managed here)');
    expect((await h.cli(['plan', '--prune', '--max-prune', '67%', '-f', 'ws.yaml'])).code).toBe(2);
  }, 60_000);

  it('orphans do not count: they change nothing in Coder', async () => {
    await h.write(
      'ws.yaml',
      docs(
        ...Array.from({ length: 3 }, (_, i) => workspaceYaml(`o-${i}`, { owner: 'bob', template: 'kubernetes' })),
        workspaceYaml('kept', { owner: 'alice', template: 'docker' }),
      ),
    );
    expect((await h.cli(['apply', '-f', 'ws.yaml'])).code).toBe(0);
    await h.write('ws.yaml', workspaceYaml('kept', { owner: 'alice', template: 'docker' }));
    expect((await h.cli(['apply', '--prune', '--max-prune', '0', '-f', 'ws.yaml'])).code).toBe(0);
    expect(findLive('bob', 'o-0')).toBeDefined();
  });
});

describe('the state file lock', () => {
  const pidNamespace = (() => {
    try {
      return readlinkSync('/proc/self/ns/pid');
    } catch {
      return '';
    }
  })();
  const lockOf = (pid: number, host = hostname()) =>
    JSON.stringify({ pid, host, pidNamespace, startedAt: '2026-01-01T00:00:00.000Z', command: 'apply', token: 'x' });

  it('an apply refuses a state file another live process holds, saying who holds it; plan reads on', async () => {
    await h.write('ws.yaml', workspaceYaml('ws', { owner: 'alice', template: 'docker' }));
    await h.write('.cwo-state.json.lock', lockOf(process.pid, 'build-host-7'));
    const result = await h.cli(['apply', '-f', 'ws.yaml']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`.cwo-state.json is locked by pid ${process.pid} on build-host-7`);
    expect(h.writes()).toEqual([]);
    expect((await h.cli(['plan', '-f', 'ws.yaml'])).code).toBe(2);
  });

  it('a lock left by a dead process on this host is taken over; the lock is gone after the run', async () => {
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((done) => dead.on('exit', done));
    await h.write('ws.yaml', workspaceYaml('ws', { owner: 'alice', template: 'docker' }));
    await h.write('.cwo-state.json.lock', lockOf(dead.pid!));
    const result = await h.cli(['apply', '-f', 'ws.yaml']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(Object.keys(await stateEntries())).toEqual(['team-a/ws']);
    await expect(readFile(join(h.dir, '.cwo-state.json.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('two applies at once on one state file: every workspace either created is recorded', async () => {
    // Slow answers, one workspace at a time: the two runs overlap.
    h.sim.setFaults({ latencyMs: 150 });
    const batch = (team: string) =>
      docs(...Array.from({ length: 5 }, (_, i) => workspaceYaml(`${team}-${i}`, { owner: 'bob', template: 'kubernetes' }, team)));
    await h.write('a.yaml', batch('team-a'));
    await h.write('b.yaml', batch('team-b'));
    const [a, b] = await Promise.all([
      h.cli(['apply', '--concurrency', '1', '-f', 'a.yaml']),
      h.cli(['apply', '--concurrency', '1', '-f', 'b.yaml']),
    ]);
    const entries = await stateEntries();
    const created = [...h.sim.state.workspaces.values()].filter((w) => /^team-[ab]-/.test(w.name)).map((w) => w.id);
    expect(
      Object.values(entries)
        .map((e) => e.id)
        .sort(),
    ).toEqual(created.sort());
    for (const r of [a, b]) if (r.code !== 0) expect(r.stderr).toContain('is locked by pid');
  });
});

describe('an unwritable state file', () => {
  it('is found before the first write to Coder', async () => {
    await symlink(join(h.dir, 'no', 'such', 'dir'), join(h.dir, 'state-dir'));
    await h.write('ws.yaml', workspaceYaml('ws', { owner: 'alice', template: 'docker' }));
    const result = await h.cli(['apply', '-f', 'ws.yaml', '--state', 'state-dir/state.json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('state-dir/state.json');
    expect(h.writes()).toEqual([]);
    expect(findLive('alice', 'ws')).toBeUndefined();
  });
});

describe('plan exit codes', () => {
  it('--no-state over a workspace that exists and matches: nothing to do, exit 0', async () => {
    await h.write('ws.yaml', workspaceYaml('carol-scratch', { owner: 'carol', template: 'docker', ttl: '4h' }, 'team-b'));
    const plan = await h.cli(['plan', '--no-state', '-f', 'ws.yaml']);
    expect(plan.code, plan.stdout).toBe(0);
    expect(plan.stdout).toContain('No changes');
    // With a state file the adoption is recorded by apply: a change to the state, exit 2.
    const withState = await h.cli(['plan', '-f', 'ws.yaml']);
    expect(withState.code).toBe(2);
    expect(withState.stdout).toContain('= adopt team-b/carol-scratch');
  });
});
