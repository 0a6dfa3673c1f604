// spec.preset and spec.sharing through the real CLI, on the Coder versions
// the simulator plays: a preset chosen by name at create (its values win over
// the template defaults), an unknown preset refused naming the field and the
// presets there are, the ACL granted and trimmed to the spec and then quiet,
// and a server without sharing (v2.24.0, or the experiment off) said plainly.
import { afterEach, describe, expect, it } from 'vitest';
import type { SimSeed } from '../../src/coder-sim/seed.ts';
import { aclOf } from '../../src/coder-sim/handlers/workspace-sharing.ts';
import { closeHarness } from '../support/harness-per-test.ts';
import { startHarness, workspaceYaml, type Harness } from './harness.ts';
import { HOUR, SEED } from './seed.ts';

let h: Harness;
afterEach(() => closeHarness(h));

const WITH_PRESETS: SimSeed = {
  ...SEED,
  templates: [
    ...(SEED.templates ?? []),
    {
      name: 'sized',
      default_ttl_ms: 8 * HOUR,
      parameters: [{ name: 'cpu', required: false, default_value: '2' }],
      presets: [
        { name: 'small', parameters: { cpu: '2' } },
        { name: 'large', parameters: { cpu: '8' } },
      ],
    },
  ],
  // Groups are a Premium feature: without a license every group route answers 403, as on a real coderd.
  premium: true,
  groups: [{ name: 'devs' }],
};

function aliceWorkspace(name: string) {
  return h.sim.state.findLiveWorkspace(h.sim.state.findUser('alice')!.id, name)!;
}

describe('spec.preset', () => {
  it('creates on the named preset: Coder gets its id, the build runs with its values', async () => {
    h = await startHarness({ seed: WITH_PRESETS });
    await h.write('ws.yaml', workspaceYaml('big', { owner: 'alice', template: 'sized', preset: 'large' }));
    const apply = await h.cli(['apply', '-f', 'ws.yaml']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const create = h.sim.calls.find((c) => c.method === 'POST' && c.route === '/api/v2/users/{user}/workspaces')!;
    const version = h.sim.state.versions.get(h.sim.state.findTemplate(h.sim.state.defaultOrg().id, 'sized')!.activeVersionId)!;
    const large = version.presets.find((p) => p.name === 'large')!;
    expect((create.requestBody as { template_version_preset_id?: string }).template_version_preset_id).toBe(large.id);
    const build = aliceWorkspace('big').builds.at(-1)!;
    expect(build.presetId).toBe(large.id);
    expect(build.parameters).toEqual([{ name: 'cpu', value: '8' }]);
  });

  it('an unknown preset: a clear error naming spec.preset and the presets there are; no workspace is made', async () => {
    h = await startHarness({ seed: WITH_PRESETS });
    await h.write('ws.yaml', workspaceYaml('big', { owner: 'alice', template: 'sized', preset: 'huge' }));
    const apply = await h.cli(['apply', '-f', 'ws.yaml']);
    expect(apply.code).not.toBe(0);
    expect(apply.stdout + apply.stderr).toContain('spec.preset: template version');
    expect(apply.stdout + apply.stderr).toContain('has no preset "huge"; its presets: "small", "large"');
    expect(h.sim.calls.some((c) => c.method === 'POST' && c.route === '/api/v2/users/{user}/workspaces')).toBe(false);
  });
});

describe('spec.sharing', () => {
  it('latest with the experiment: grants, then revokes what the spec drops; a second plan is quiet', async () => {
    h = await startHarness({ seed: WITH_PRESETS, experiments: ['workspace-sharing'] });
    await h.write(
      'ws.yaml',
      workspaceYaml('shared', {
        owner: 'alice',
        template: 'sized',
        sharing: { users: [{ name: 'bob', role: 'use' }], groups: [{ name: 'devs', role: 'admin' }] },
      }),
    );
    const apply = await h.cli(['apply', '-f', 'ws.yaml']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const ws = aliceWorkspace('shared');
    const bob = h.sim.state.findUser('bob')!;
    const devs = [...h.sim.state.groups.values()].find((g) => g.name === 'devs')!;
    expect([...aclOf(ws).userAcl]).toEqual([[bob.id, 'use']]);
    expect([...aclOf(ws).groupAcl]).toEqual([[devs.id, 'admin']]);

    // Someone adds carol by hand; the spec makes bob an admin and drops the group.
    aclOf(ws).userAcl.set(h.sim.state.findUser('carol')!.id, 'use');
    await h.write(
      'ws.yaml',
      workspaceYaml('shared', { owner: 'alice', template: 'sized', sharing: { users: [{ name: 'bob', role: 'admin' }] } }),
    );
    const plan = await h.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.stdout).toContain('~ sharing team-a/shared: revoke user carol, group devs -> grant user bob=admin');
    h.resetCalls();
    const again = await h.cli(['apply', '-f', 'ws.yaml']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect([...aclOf(ws).userAcl]).toEqual([[bob.id, 'admin']]);
    expect([...aclOf(ws).groupAcl]).toEqual([]);
    // One PATCH carries the whole change.
    expect(h.writes().map((w) => `${w.method} ${w.route}`)).toEqual(['PATCH /api/v2/workspaces/{workspace}/acl']);

    h.resetCalls();
    const quiet = await h.cli(['plan', '-f', 'ws.yaml']);
    expect(quiet.code, quiet.stdout).toBe(0);
    expect(quiet.stdout).toContain('No changes');
    expect(h.writes()).toEqual([]);
  });

  it.each([
    { coderVersion: '2.24.0', experiments: [], says: 'this Coder has no workspace ACL' },
    { coderVersion: '2.27.0', experiments: [], says: "requires enabling the 'workspace-sharing' experiment" },
  ])(
    'Coder $coderVersion without sharing: blocked with the reason, nothing else held back',
    async ({ coderVersion, experiments, says }) => {
      h = await startHarness({
        seed: { ...WITH_PRESETS, workspaces: [{ owner: 'alice', name: 'shared', template: 'sized' }] },
        coderVersion,
        experiments,
      });
      await h.write(
        'ws.yaml',
        workspaceYaml('shared', { owner: 'alice', template: 'sized', ttl: '1h', sharing: { users: [{ name: 'bob', role: 'use' }] } }),
      );
      const apply = await h.cli(['apply', '-f', 'ws.yaml']);
      expect(apply.code).not.toBe(0);
      expect(apply.stdout).toContain('! blocked team-a/shared: cannot manage spec.sharing:');
      expect(apply.stdout).toContain(says);
      // The other settings still apply.
      expect(aliceWorkspace('shared').ttlMs).toBe(HOUR);
    },
  );
});
