// Input a careless or hostile author may write, refused before any Coder
// call with the file, document and field: names Coder could never hold
// (they would reach a URL path or a search query), and sizes that would
// cost seconds and gigabytes to parse.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitFixture, wsYaml } from '../unit/gitops/git-fixture.ts';
import { startHarness, workspaceYaml, type Harness } from './harness.ts';
import { SEED } from './seed.ts';

let h: Harness;

beforeEach(async () => {
  h = await startHarness({ seed: SEED });
});

afterEach(async () => {
  await h.close();
});

describe('owner, organization and template names', () => {
  it('are checked as Coder checks them: a username (or UUID), an organization name (or UUID), a template name', async () => {
    const bad: [string, Record<string, unknown>][] = [
      ['traversal', { owner: 'bob/../alice', template: 'docker' }],
      ['control', { owner: 'bob\u0001', template: 'docker' }],
      ['query', { owner: 'bob?x#y', template: 'docker' }],
      ['long', { owner: 'a'.repeat(33), template: 'docker' }],
      ['org', { owner: 'alice', organization: 'acme/../x', template: 'docker' }],
      ['tpl', { owner: 'alice', template: 'docker?version=1' }],
    ];
    await h.write('bad.yaml', bad.map(([name, spec]) => workspaceYaml(name, spec)).join('\n---\n'));
    const result = await h.cli(['plan', '-f', 'bad.yaml']);
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    const errorFor = (doc: number, field: string) =>
      lines.find((l) => l.startsWith(`error: bad.yaml: document ${doc + 1} (`) && l.includes(`): ${field}: `));
    expect(errorFor(0, 'spec.owner')).toContain('must be a Coder username or a user UUID: must be ASCII letters and digits');
    expect(errorFor(1, 'spec.owner')).toBeDefined();
    expect(errorFor(2, 'spec.owner')).toBeDefined();
    expect(errorFor(3, 'spec.owner')).toContain('must be at most 32 characters (has 33)');
    expect(errorFor(4, 'spec.organization')).toContain('must be a Coder organization name or UUID');
    expect(errorFor(5, 'spec.template')).toContain('must be a Coder template name');
    expect(result.stdout).toContain('6 error(s); nothing was changed in Coder.');
    expect(h.sim.calls).toEqual([]);
  });

  it('accepts a username in any case, a user UUID and an organization UUID', async () => {
    const alice = [...h.sim.state.users.values()].find((u) => u.username === 'alice')!;
    const org = [...h.sim.state.organizations.values()][0]!;
    await h.write(
      'ok.yaml',
      [
        workspaceYaml('by-name', { owner: 'Alice', template: 'docker' }),
        workspaceYaml('by-id', { owner: alice.id, organization: org.id, template: 'docker' }),
      ].join('\n---\n'),
    );
    const result = await h.cli(['plan', '-f', 'ok.yaml']);
    expect(result.stdout).toContain('Plan: 2 to create');
    expect(result.code).toBe(2);
  });
});

describe('sizes, checked before parsing', () => {
  const header =
    'apiVersion: coderops.dev/v1alpha1\nkind: Workspace\nmetadata: {name: x, namespace: team-a}\n' +
    'spec:\n  owner: alice\n  template: docker\n';

  it('a file over 8 MiB, on disk or on stdin, is refused by name', async () => {
    const big = `${header}  parameters:\n  - {name: a, value: "${'x'.repeat(9 * 1024 * 1024)}"}\n`;
    await h.write('ok.yaml', workspaceYaml('ok', { owner: 'alice', template: 'docker' }));
    await h.write('big.yaml', big);
    const file = await h.cli(['plan', '-f', 'ok.yaml', 'big.yaml']);
    expect(file.code).toBe(1);
    expect(file.stdout).toContain('error: big.yaml: is 9.0 MiB, more than the 8.0 MiB a declaration file may have; split it');
    const stdin = await h.cli(['plan', '-f', '-'], { stdin: big });
    expect(stdin.code).toBe(1);
    expect(stdin.stdout).toContain('error: -: is more than the 8.0 MiB a declaration file may have; split it');
    expect(h.sim.calls).toEqual([]);
  });

  it('a document over 2 MiB (200,000 parameters) and a file of over 50,000 documents are refused unparsed', async () => {
    const params = Array.from({ length: 200_000 }, (_, i) => `  - {name: p${i}, value: v}`).join('\n');
    await h.write(
      'params.yaml',
      `${workspaceYaml('first', { owner: 'alice', template: 'docker' })}\n---\n${header}  parameters:\n${params}\n`,
    );
    await h.write('docs.yaml', '---\n'.repeat(60_000));
    const result = await h.cli(['plan', '-f', 'params.yaml', 'docs.yaml']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /error: params\.yaml: document 2 \(line 2\): the document is 5\.\d MiB, more than the 2\.0 MiB one document may have/,
    );
    expect(result.stdout).toContain(
      'error: docs.yaml: document 50001 (line 50001): has more than 50000 documents, the most one file may have; split it',
    );
    expect(result.stdout).not.toContain('must have at most 256 items'); // refused by size, never parsed
    expect(h.sim.calls).toEqual([]);
  });

  it('sync refuses a repository file over 8 MiB by name and applies nothing', async () => {
    const repo = createGitFixture(join(h.dir, 'git'));
    repo.commit({ 'workspaces/a.yaml': wsYaml('a', { owner: 'alice' }), 'workspaces/big.yaml': `# ${'x'.repeat(9 * 1024 * 1024)}\n` });
    const result = await h.cli(['sync', '--once', '--repo', repo.remote, '--path', 'workspaces', '--cache-dir', join(h.dir, 'cache')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'error (InvalidDeclarations): workspaces/big.yaml: is 9.0 MiB, more than the 8.0 MiB a declaration file may have',
    );
    expect(h.writes()).toEqual([]);
  });
});
