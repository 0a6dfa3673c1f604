// spec.preset changed on its own, through the real CLI against the simulator:
// it is an update to the same template version, so a running workspace gets
// one stop and one start carrying the new template_version_preset_id, a
// stopped one a single stop build that records it, a closed maintenance
// window defers it, a name the version lacks writes nothing, and once done a
// second apply makes no write.
import { afterEach, describe, expect, it } from 'vitest';
import type { SimSeed } from '../../src/coder-sim/seed.ts';
import { startHarness, workspaceYaml, type Harness } from './harness.ts';
import { HOUR, SEED } from './seed.ts';

let h: Harness;
afterEach(async () => {
  const problems = h.contractProblems();
  await h.close();
  expect(problems).toEqual([]);
});

const WITH_PRESETS: SimSeed = {
  users: SEED.users ?? [],
  templates: [
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
};

function alice(name: string) {
  return h.sim.state.findLiveWorkspace(h.sim.state.findUser('alice')!.id, name)!;
}

function presetId(name: string): string {
  const ws = alice('dev');
  return h.sim.state.versions.get(ws.builds.at(-1)!.templateVersionId)!.presets.find((p) => p.name === name)!.id;
}

function buildBodies(): unknown[] {
  return h.sim.calls.filter((c) => c.method === 'POST' && c.route === '/api/v2/workspaces/{workspace}/builds').map((c) => c.requestBody);
}

async function apply(spec: Record<string, unknown>, args: string[] = []) {
  await h.write('ws.yaml', workspaceYaml('dev', { owner: 'alice', template: 'sized', ...spec }));
  h.resetCalls();
  const result = await h.cli(['apply', '-f', 'ws.yaml', ...args]);
  expect(result.code, result.stdout + result.stderr).toBe(0);
  return result;
}

describe('a preset change alone', { timeout: 120_000 }, () => {
  it('running: one stop, then one start on the same version with the new preset id; then quiet', async () => {
    h = await startHarness({ seed: WITH_PRESETS });
    await apply({ preset: 'small' });
    const version = alice('dev').builds.at(-1)!.templateVersionId;
    expect(alice('dev').builds.at(-1)).toMatchObject({ transition: 'start', presetId: presetId('small') });

    await h.write('ws.yaml', workspaceYaml('dev', { owner: 'alice', template: 'sized', preset: 'large' }));
    h.resetCalls();
    const plan = await h.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain('~ stop team-a/dev (update to preset: small -> large: stop first, then start with it)');
    expect(h.writes()).toEqual([]);

    const applied = await apply({ preset: 'large' });
    // (The start names the preset the stop left: Coder's own choice for a build sent without one.)
    expect(applied.stdout).toMatch(/✓ start team-a\/dev \(update: start again, preset: \S+ -> large\)/);
    // The stop runs what the old preset started; the start carries the new one, on the same version.
    expect(buildBodies()).toEqual([{ transition: 'stop' }, { transition: 'start', template_version_preset_id: presetId('large') }]);
    expect(alice('dev').builds.at(-1)).toMatchObject({
      transition: 'start',
      templateVersionId: version,
      presetId: presetId('large'),
      parameters: [{ name: 'cpu', value: '8' }],
    });

    // Steady state: nothing to write, and the plan says so.
    await apply({ preset: 'large' });
    expect(h.writes()).toEqual([]);
    const quiet = await h.cli(['plan', '-f', 'ws.yaml']);
    expect(quiet.code, quiet.stdout).toBe(0);
  });

  it('stopped: one stop build records the new preset for its next start, and it stays stopped', async () => {
    h = await startHarness({ seed: WITH_PRESETS });
    await apply({ preset: 'small', running: false });
    await apply({ preset: 'large', running: false });
    expect(buildBodies()).toEqual([{ transition: 'stop', template_version_preset_id: presetId('large') }]);
    expect(alice('dev').builds.at(-1)).toMatchObject({ transition: 'stop', presetId: presetId('large') });
    await apply({ preset: 'large', running: false });
    expect(h.writes()).toEqual([]);
  });

  it('waits for the maintenance window like a version update', async () => {
    h = await startHarness({ seed: WITH_PRESETS });
    await apply({ preset: 'small' });
    // A window that opened a minute ago for one minute is closed now.
    const closed = `${(new Date().getUTCMinutes() + 58) % 60} * * * *`;
    const window = ['--window-schedule', closed, '--window-duration', '1m'];
    await apply({ preset: 'large' }, window);
    expect(buildBodies()).toEqual([]);
    const json = await h.cli(['plan', '-f', 'ws.yaml', '-o', 'json', ...window]);
    const [status] = (JSON.parse(json.stdout) as { workspaces: { status: { rollout?: { state: string } } }[] }).workspaces;
    expect(status!.status.rollout?.state).toBe('WaitingForWindow');
    expect(alice('dev').builds.at(-1)!.presetId).toBe(presetId('small'));
  });

  it('a preset the version lacks: PresetNotFound naming the presets it has; nothing is written', async () => {
    h = await startHarness({ seed: WITH_PRESETS });
    await apply({ preset: 'small' });
    await h.write('ws.yaml', workspaceYaml('dev', { owner: 'alice', template: 'sized', preset: 'huge' }));
    h.resetCalls();
    const result = await h.cli(['apply', '-f', 'ws.yaml']);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain('! blocked team-a/dev: spec.preset: template version');
    expect(result.stdout).toContain('has no preset "huge"; its presets: "small", "large"');
    expect(h.writes()).toEqual([]);
  });
});
