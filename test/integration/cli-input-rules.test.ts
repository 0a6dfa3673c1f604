// Input a careless or hostile author may write, refused before any Coder
// call with the file, document and field: names Coder could never hold
// (they would reach a URL path or a search query), and sizes that would
// cost seconds and gigabytes to parse.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
    const errorFor = (doc: number, field: string) => lines.find((l) => l.startsWith(`error: bad.yaml: document ${doc} (`) && l.includes(`): ${field}: `));
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
