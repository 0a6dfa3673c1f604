// What the CLI does with bad input, other input forms and output formats.
import { describe, expect, it } from 'vitest';
import { harnessPerTest } from '../support/harness-per-test.ts';
import { workspaceYaml } from './harness.ts';
import { SEED } from './seed.ts';

const h = harnessPerTest({ seed: SEED });

describe('bad input', () => {
  it('reports every error with file, document, line and field, and calls Coder not at all', async () => {
    await h.write(
      'bad.yaml',
      [
        workspaceYaml('good', { owner: 'alice', template: 'docker' }),
        'apiVersion: coderops.dev/v1alpha1\nkind: Workspace\nmetadata: {name: bad, namespace: team-a}\n' +
          'spec:\n  owner: bob\n  template: docker\n  ttl: 31d\n  autostart: {schedule: "0 9 1 * *"}\n',
      ].join('\n---\n'),
    );
    await h.write('dup.yaml', workspaceYaml('other', { owner: 'ALICE', name: 'Good', template: 'docker' }));
    for (const command of ['plan', 'apply']) {
      const result = await h.cli([command, '-f', 'bad.yaml', 'dup.yaml']);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('bad.yaml: document 2 (line 9:3): spec.ttl: must be a duration');
      expect(result.stdout).toContain(
        'bad.yaml: document 2 (line 10:15): spec.autostart.schedule: validate weekly schedule: expected day-of-month and month to be *',
      );
      expect(result.stdout).toMatch(/alice\/good is declared twice/i);
      expect(result.stdout).toContain('nothing was changed in Coder');
    }
    expect(h.sim.calls).toEqual([]);
  });

  it('reports YAML syntax errors with line and column', async () => {
    await h.write('broken.yaml', 'apiVersion: coderops.dev/v1alpha1\nkind: Workspace\nmetadata: {name: x\n');
    const result = await h.cli(['apply', '-f', 'broken.yaml']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/broken\.yaml: document 1 \(line \d+:\d+\)/);
    expect(h.sim.calls).toEqual([]);
  });

  it('a missing path is an error, not an empty declaration set (which --prune would read as "delete all")', async () => {
    const result = await h.cli(['apply', '--prune', '-f', 'nowhere/']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('nowhere/: no such file or directory');
  });
});

describe('connection problems', () => {
  it('a wrong token gets a clear error that never shows the token', async () => {
    await h.write('ws.yaml', workspaceYaml('ws', { owner: 'alice', template: 'docker' }));
    const token = 'abcdefghij-0123456789abcdefghijkl';
    const result = await h.cli(['plan', '-f', 'ws.yaml'], { env: { CODER_SESSION_TOKEN: token } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('401');
    expect(result.stdout + result.stderr).not.toContain(token);
    expect(result.stdout + result.stderr).not.toContain('0123456789abcdefghijkl');
  });

  it('without a URL or token it says which variable to set', async () => {
    await h.write('ws.yaml', workspaceYaml('ws', { owner: 'alice', template: 'docker' }));
    const noUrl = await h.cli(['plan', '-f', 'ws.yaml'], { env: { CODER_URL: '' } });
    expect(noUrl.stderr).toContain('no Coder URL: pass --url or set CODER_URL');
    const noToken = await h.cli(['plan', '-f', 'ws.yaml'], { env: { CODER_SESSION_TOKEN: '' } });
    expect(noToken.stderr).toContain('no Coder token: set CODER_SESSION_TOKEN or pass --token-file');
  });

  it('reads the token from --token-file', async () => {
    await h.write('ws.yaml', workspaceYaml('ws', { owner: 'alice', template: 'docker' }));
    await h.write('token', `${h.sim.tokenFor('admin')}\n`);
    const result = await h.cli(['plan', '-f', 'ws.yaml', '--token-file', 'token'], { env: { CODER_SESSION_TOKEN: '' } });
    expect(result.code).toBe(2);
  });

  it("a member's own token creates the member's own workspace and is refused for others", async () => {
    await h.write(
      'ws.yaml',
      [workspaceYaml('mine', { owner: 'alice', template: 'docker' }), workspaceYaml('theirs', { owner: 'bob', template: 'docker' })].join(
        '\n---\n',
      ),
    );
    const result = await h.cli(['apply', '-f', 'ws.yaml'], { user: 'alice' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✓ create team-a/mine');
    expect(result.stdout).toMatch(/✗ create team-a\/theirs .*Forbidden|✗ create team-a\/theirs .*403/);
  });
});

describe('input and output forms', () => {
  it('reads - from stdin, Lists and multi-document files; --output json is machine-readable', async () => {
    const list = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [JSON.parse(workspaceYaml('one', { owner: 'alice', template: 'docker' }))],
    });
    const result = await h.cli(['plan', '-f', '-', '-o', 'json'], {
      stdin: `${list}\n---\n${workspaceYaml('two', { owner: 'bob', template: 'docker' })}`,
    });
    expect(result.code).toBe(2);
    const plan = JSON.parse(result.stdout);
    expect(plan.counts).toMatchObject({ create: 2, change: 0 });
    expect(plan.workspaces.map((w: { key: string }) => w.key)).toEqual(['team-a/one', 'team-a/two']);

    const applied = await h.cli(['apply', '-f', '-', '-o', 'json', '--no-state'], {
      stdin: workspaceYaml('one', { owner: 'alice', template: 'docker' }),
    });
    expect(applied.code).toBe(0);
    const report = JSON.parse(applied.stdout);
    expect(report.results[0]).toMatchObject({ key: 'team-a/one', origin: 'created', outcomes: [{ ok: true, action: { kind: 'create' } }] });
    // The create's build still runs when apply reports: Reconciling says so (kstatus reads it as InProgress).
    const conditions: { type: string; status: string }[] = report.results[0].status.conditions;
    const buildDone = conditions.find((c) => c.type === 'Ready')?.status === 'True';
    expect(conditions.map((c) => c.type)).toEqual(buildDone ? ['Ready', 'Synced'] : ['Ready', 'Reconciling', 'Synced']);
  });

  it('creates from a template version id', async () => {
    const template = [...h.sim.state.templates.values()].find((t) => t.name === 'kubernetes')!;
    await h.write('ws.yaml', workspaceYaml('pinned', { owner: 'alice', templateVersion: template.activeVersionId }));
    expect((await h.cli(['apply', '-f', 'ws.yaml'])).code).toBe(0);
    const create = h.sim.calls.find((c) => c.method === 'POST')!;
    expect(create.requestBody).toEqual({ name: 'pinned', template_version_id: template.activeVersionId });
    expect(h.sim.calls.filter((c) => c.route.includes('/templates/'))).toEqual([]);
  });

  it('status prints a table of declared workspaces, their Coder state and drift', async () => {
    await h.write('ws.yaml', workspaceYaml('carol-scratch', { owner: 'carol', template: 'docker', ttl: '1h' }, 'team-b'));
    const result = await h.cli(['status', '-f', 'ws.yaml']);
    expect(result.code).toBe(0);
    const [header, row] = result.stdout.trim().split('\n');
    expect(header).toMatch(/^WORKSPACE\s+OWNER\s+CODER NAME\s+ID\s+BUILD\s+READY\s+SYNCED\s+DRIFT$/);
    expect(row).toMatch(
      /^team-b\/carol-scratch\s+carol\s+carol-scratch\s+\S+\s+start\/running\s+False \(Pending\)\s+False \(Pending\)\s+ttl$/,
    );
  });
});
