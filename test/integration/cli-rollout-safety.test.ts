// Issue 19's reproductions through the real CLI against the simulator: a
// failing version halts after maxFailures and rolls back, a build timeout
// keeps its slot, an interrupted apply owes its starts to the next one, and
// a fleet broken by a bad version moves again when a fixed one is promoted.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimSeed } from '../../src/coder-sim/seed.ts';
import { closeHarness } from '../support/harness-per-test.ts';
import { spawnCli, startHarness, workspaceYaml, type Harness } from './harness.ts';

let h: Harness;

afterEach(() => closeHarness(h));

const NAMES = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
const SEED: SimSeed = {
  users: [{ username: 'admin', roles: ['owner'] }, { username: 'alice' }],
  templates: [{ name: 'docker', default_ttl_ms: 0 }],
  template_versions: [
    { template: 'docker', name: 'v2', fail_builds: true },
    { template: 'docker', name: 'v3' },
  ],
};

function ws(name: string) {
  const found = h.sim.state.findLiveWorkspace(h.sim.state.findUser('alice')!.id, name);
  if (!found) throw new Error(`no workspace alice/${name}`);
  return found;
}
const latest = (name: string) => ws(name).builds[ws(name).builds.length - 1]!;
const versionId = (name: string) => [...h.sim.state.versions.values()].find((v) => v.name === name)!.id;
const builds = () => h.sim.calls.filter((c) => c.method === 'POST' && c.route === '/api/v2/workspaces/{workspace}/builds');

function docs(version: object | undefined): string {
  return NAMES.map((n) => workspaceYaml(n, { owner: 'alice', template: 'docker', ...(version ? { version } : {}) })).join('\n---\n');
}

async function fleet(): Promise<string> {
  h = await startHarness({ seed: SEED, buildDurationMs: 50 });
  await h.write('ws.yaml', docs(undefined));
  const first = await h.cli(['apply', '-f', 'ws.yaml']);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  return ws('w1').builds[0]!.templateVersionId;
}

describe('a failing version', { timeout: 180_000 }, () => {
  it('halts after maxFailures, rolls the failed ones back running on v1, touches nobody else, exits 1', async () => {
    const v1 = await fleet();
    await h.write('ws.yaml', docs({ policy: 'Pinned', name: 'v2' }));
    h.resetCalls();
    const run = await h.cli(['apply', '-f', 'ws.yaml', '--max-unavailable', '2']);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    // Two started (the limit), both failed: 2 >= maxFailures 1, so nobody else is stopped.
    const touched = NAMES.filter((n) => ws(n).builds.length > 1);
    expect(touched).toHaveLength(2);
    for (const n of touched) {
      const b = ws(n)
        .builds.slice(1)
        .map((x) => [x.transition, x.templateVersionId === v1 ? 'v1' : 'v2', x.outcome]);
      // stop on v1, start on v2 (fails), start on v1 again (the rollback)
      expect(b).toEqual([
        ['stop', 'v1', 'succeeded'],
        ['start', 'v2', 'failed'],
        ['start', 'v1', 'succeeded'],
      ]);
    }
    for (const n of NAMES) expect(latest(n)).toMatchObject({ transition: 'start', templateVersionId: v1, outcome: 'succeeded' });
    expect(run.stdout).toMatch(/Apply complete: .*2 failed/);
    expect(run.stdout).toMatch(/4 halted/);
    expect(run.stdout).toMatch(/rolled back/);

    // The next plan says so and fails; apply sends nothing and fails again.
    const plan = await h.cli(['plan', '-f', 'ws.yaml', '-o', 'json']);
    const states = (JSON.parse(plan.stdout) as { workspaces: { status: { rollout?: { state: string } } }[] }).workspaces.map(
      (w) => w.status.rollout?.state,
    );
    expect(states.sort()).toEqual(['Halted', 'Halted', 'Halted', 'Halted', 'RolledBack', 'RolledBack']);
    h.resetCalls();
    const again = await h.cli(['apply', '-f', 'ws.yaml', '--max-unavailable', '2']);
    expect(again.code).toBe(1);
    expect(builds()).toEqual([]);

    // A fixed version: the whole fleet moves, the rolled-back ones too.
    await h.write('ws.yaml', docs({ policy: 'Pinned', name: 'v3' }));
    const fixed = await h.cli(['apply', '-f', 'ws.yaml', '--max-unavailable', '2']);
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    for (const n of NAMES)
      expect(latest(n)).toMatchObject({ transition: 'start', templateVersionId: versionId('v3'), outcome: 'succeeded' });
  });

  it('--resume-rollout lets the rest try again; --no-rollback leaves the failed one failed and holding its slot', async () => {
    await fleet();
    await h.write('ws.yaml', docs({ policy: 'Pinned', name: 'v2' }));
    const run = await h.cli(['apply', '-f', 'ws.yaml', '--max-unavailable', '1', '--no-rollback']);
    expect(run.code).toBe(1);
    const failed = NAMES.filter((n) => latest(n).outcome === 'failed');
    expect(failed).toHaveLength(1);
    // Resumed: the failed one keeps its slot (limit 1), so nobody else can start.
    h.resetCalls();
    const resumed = await h.cli(['apply', '-f', 'ws.yaml', '--max-unavailable', '1', '--no-rollback', '--resume-rollout']);
    expect(resumed.code).toBe(1);
    expect(builds()).toEqual([]);
    // With room for one more, the resumed rollout tries the next workspace (which fails, and halts it again).
    h.resetCalls();
    const wider = await h.cli(['apply', '-f', 'ws.yaml', '--max-unavailable', '2', '--no-rollback', '--resume-rollout']);
    expect(wider.code).toBe(1);
    expect(NAMES.filter((n) => latest(n).outcome === 'failed')).toHaveLength(2);
  });
});

describe('slots and interruptions', { timeout: 180_000 }, () => {
  it('a build timeout keeps the slot while Coder runs the build, and the next apply finishes the owed start', async () => {
    h = await startHarness({ seed: SEED, buildDurationMs: 50 });
    await h.write('ws.yaml', docs(undefined));
    expect((await h.cli(['apply', '-f', 'ws.yaml'])).code).toBe(0);
    h.sim.state.buildDurationMs = 6_000;
    await h.write('ws.yaml', docs({ policy: 'Pinned', name: 'v3' }));
    h.resetCalls();
    const run = await h.cli(['apply', '-f', 'ws.yaml', '--max-unavailable', '1', '--build-timeout', '1s']);
    expect(builds()).toHaveLength(1); // one stop; the slot stays taken while it runs
    expect(run.stdout).toMatch(/still running in Coder/);
    const state = JSON.parse(await readFile(join(h.dir, '.cwo-state.json'), 'utf8')) as {
      entries: Record<string, { rollout?: { state: string; restart?: boolean } }>;
    };
    expect(Object.values(state.entries).filter((e) => e.rollout?.restart)).toHaveLength(1);

    // The next apply (plain, no version change asked of it) counts that build and finishes the start.
    h.sim.state.buildDurationMs = 50;
    await new Promise((r) => setTimeout(r, 6_500));
    await h.write('ws.yaml', docs(undefined));
    const next = await h.cli(['apply', '-f', 'ws.yaml']);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    for (const n of NAMES) expect(latest(n)).toMatchObject({ transition: 'start', outcome: 'succeeded' });
  });

  it('SIGINT between a stop and its start: a summary, exit 130, and the next apply starts every workspace again', async () => {
    h = await startHarness({ seed: SEED, buildDurationMs: 50 });
    await h.write('ws.yaml', docs(undefined));
    expect((await h.cli(['apply', '-f', 'ws.yaml'])).code).toBe(0);
    h.sim.state.buildDurationMs = 3_000;
    await h.write('ws.yaml', docs({ policy: 'Pinned', name: 'v3' }));
    const { child, result } = spawnCli(['apply', '-f', 'ws.yaml', '--max-unavailable', '3'], {
      cwd: h.dir,
      env: { CODER_URL: h.sim.url, CODER_SESSION_TOKEN: h.sim.tokenFor('admin') },
    });
    // Interrupt once the first stop builds are in Coder.
    while (builds().length < 3) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const run = await result;
    expect(run.code, run.stdout + run.stderr).toBe(130);
    expect(run.stdout).toMatch(/Interrupted: no new build was started/);
    const stopped = NAMES.filter((n) => latest(n).transition === 'stop');
    expect(stopped.length).toBeGreaterThan(0);
    expect(builds().length).toBeLessThanOrEqual(3); // nothing new after the interrupt

    // The next plain apply (no version managed at all) finishes every owed start.
    h.sim.state.buildDurationMs = 50;
    await h.write('ws.yaml', docs(undefined));
    const next = await h.cli(['apply', '-f', 'ws.yaml']);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    for (const n of NAMES) expect(latest(n)).toMatchObject({ transition: 'start', outcome: 'succeeded' });
  });
});

describe('canary steps and idleness', { timeout: 180_000 }, () => {
  it('--steps 1,100%: the canary first; the rest only once it is on the version and healthy', async () => {
    await fleet();
    // An unhealthy canary holds the next step back.
    h.sim.state.setHealthy(ws('w1').id, false);
    await h.write('ws.yaml', docs({ policy: 'Pinned', name: 'v3' }));
    const run = await h.cli(['apply', '-f', 'ws.yaml', '--steps', '1,100%', '--max-unavailable', '3']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const moved = NAMES.filter((n) => latest(n).templateVersionId === versionId('v3'));
    expect(moved).toEqual(['w1']);
    expect(run.stdout).toMatch(/5 waiting for the previous step/);
    // Healthy again: the next apply moves everyone else, no more than 3 at once.
    h.sim.state.setHealthy(ws('w1').id, true);
    const rest = await h.cli(['apply', '-f', 'ws.yaml', '--steps', '1,100%', '--max-unavailable', '3']);
    expect(rest.code, rest.stdout + rest.stderr).toBe(0);
    for (const n of NAMES) expect(latest(n)).toMatchObject({ transition: 'start', templateVersionId: versionId('v3') });
  });

  it('--only-when-idle 30m: a workspace used a minute ago is not restarted; one idle for an hour is', async () => {
    await fleet();
    const now = Date.now();
    for (const n of NAMES) h.sim.state.setLastUsed(ws(n).id, n === 'w1' ? now - 3_600_000 : now - 60_000);
    await h.write('ws.yaml', docs({ policy: 'Pinned', name: 'v3' }));
    const run = await h.cli(['apply', '-f', 'ws.yaml', '--only-when-idle', '30m']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(NAMES.filter((n) => latest(n).templateVersionId === versionId('v3'))).toEqual(['w1']);
    expect(run.stdout).toMatch(/5 waiting for idleness/);
  });
});
