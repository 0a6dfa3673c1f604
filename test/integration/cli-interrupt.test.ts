// SIGINT/SIGTERM through real child processes against the simulator, where
// apply was already tested (cli-rollout-safety.test.ts) and sync was not:
//  - `sync` (the loop and --once) stops like apply: no new build starts, the
//    builds in flight are awaited, the owed starts are recorded in the state,
//    a summary is printed, exit 130, and the revision is not recorded as
//    applied; the next sync finishes every owed start;
//  - an interrupted `apply --prune` deletes nothing (a delete is a build too);
//    the next apply prunes.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimSeed } from '../../src/coder-sim/seed.ts';
import { eventually } from '../support/eventually.ts';
import { closeHarness } from '../support/harness-per-test.ts';
import { spawnCli, startHarness, workspaceYaml, type Harness } from './harness.ts';
import { startSyncWorld, type SyncWorld } from './sync-helpers.ts';

const NAMES = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
const SEED: SimSeed = {
  users: [{ username: 'admin', roles: ['owner'] }, { username: 'alice' }],
  templates: [{ name: 'docker', default_ttl_ms: 0 }],
  template_versions: [{ template: 'docker', name: 'v3' }],
};
/** Hang guards, not measures. */
const WAIT_MS = 60_000;

let h: Harness;

afterEach(() => closeHarness(h));

function ws(name: string) {
  const found = h.sim.state.findLiveWorkspace(h.sim.state.findUser('alice')!.id, name);
  if (!found) throw new Error(`no workspace alice/${name}`);
  return found;
}
const latest = (name: string) => ws(name).builds[ws(name).builds.length - 1]!;
const ended = (name: string) => latest(name).createdAt + latest(name).durationMs <= h.sim.state.now();
const v3 = () => [...h.sim.state.versions.values()].find((v) => v.name === 'v3')!.id;
const buildPosts = () => h.sim.calls.filter((c) => c.method === 'POST' && c.route === '/api/v2/workspaces/{workspace}/builds');

function docs(version: object | undefined, names = NAMES, extra: Record<string, unknown> = {}): string {
  return names
    .map((n) => workspaceYaml(n, { owner: 'alice', template: 'docker', ...extra, ...(version ? { version } : {}) }))
    .join('\n---\n');
}

async function state(): Promise<{ entries: Record<string, { name: string; rollout?: { restart?: boolean } }> }> {
  return JSON.parse(await readFile(join(h.dir, '.cwo-state.json'), 'utf8'));
}

/** After the signal: the stops in flight ended, no start was sent, each stopped workspace's start is owed in the state. */
async function expectOwed(before: number): Promise<string[]> {
  const stopped = NAMES.filter((n) => latest(n).transition === 'stop');
  expect(stopped.length).toBeGreaterThanOrEqual(1);
  expect(buildPosts().length - before).toBeLessThanOrEqual(3);
  for (const n of stopped) expect(ended(n), `${n}'s stop build was awaited`).toBe(true);
  const owed = Object.values((await state()).entries)
    .filter((e) => e.rollout?.restart === true)
    .map((e) => e.name)
    .sort();
  expect(owed).toEqual(stopped);
  return stopped;
}

describe('sync interrupted between a stop and its start', { timeout: 180_000 }, () => {
  let w: SyncWorld;

  async function syncWorld(): Promise<string> {
    w = await startSyncWorld({ seed: SEED, buildDurationMs: 50 });
    h = w.h;
    const c1 = w.repo.commit({ 'workspaces/ws.yaml': docs(undefined) });
    const first = await w.sync();
    expect(first.code, first.stdout + first.stderr).toBe(0);
    for (const n of NAMES) expect(latest(n)).toMatchObject({ transition: 'start', outcome: 'succeeded' });
    return c1;
  }

  /** Starts `sync` (args) on a commit that moves the fleet to v3 with slow builds, and signals it once 3 stops are in Coder. */
  async function interrupt(args: string[], signal: NodeJS.Signals) {
    h.sim.state.buildDurationMs = 3_000;
    const c2 = w.repo.commit({ 'workspaces/ws.yaml': docs({ policy: 'Pinned', name: 'v3' }) });
    const before = buildPosts().length;
    const { child, result } = spawnCli(
      [
        'sync',
        '--repo',
        w.repo.remote,
        '--path',
        'workspaces/',
        '--status-file',
        w.statusPath,
        '--cache-dir',
        join(h.dir, 'cache'),
        '--max-unavailable',
        '3',
        ...args,
      ],
      { cwd: h.dir, env: { CODER_URL: h.sim.url, CODER_SESSION_TOKEN: h.sim.tokenFor('admin') } },
    );
    await eventually('3 stop builds in Coder', async () => buildPosts().length - before >= 3, WAIT_MS, { everyMs: 20 });
    child.kill(signal);
    const run = await result;
    return { run, before, c2 };
  }

  it('the loop on SIGTERM: no new build, the stops awaited, owed starts recorded, a summary, exit 130; the next sync starts them', async () => {
    const c1 = await syncWorld();
    const { run, before, c2 } = await interrupt(['--interval', '200ms', '--allow-short-intervals'], 'SIGTERM');
    expect(run.code, run.stdout + run.stderr).toBe(130);
    const stopped = await expectOwed(before);
    expect(run.stdout).toMatch(new RegExp(`Interrupted: no new build was started; ${stopped.length} start\\(s\\) still owed`));
    expect(run.stdout).toMatch(/ Interrupted \(6 workspace\(s\)\)/);
    // Part-way is not applied: the status file keeps c1 as the applied revision.
    const status = await w.status();
    expect(status.result).toBe('Interrupted');
    expect(status.lastAttemptedRevision).toBe(c2);
    expect(status.lastAppliedRevision).toBe(c1);

    h.sim.state.buildDurationMs = 50;
    const next = await w.sync(['--max-unavailable', '3']);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    for (const n of NAMES) expect(latest(n)).toMatchObject({ transition: 'start', templateVersionId: v3(), outcome: 'succeeded' });
    expect((await w.status()).lastAppliedRevision).toBe(c2);
  });

  it('--once on SIGINT: the same, exit 130', async () => {
    await syncWorld();
    const { run, before } = await interrupt(['--once'], 'SIGINT');
    expect(run.code, run.stdout + run.stderr).toBe(130);
    await expectOwed(before);
    expect(run.stdout).toMatch(/Interrupted: no new build was started/);

    h.sim.state.buildDurationMs = 50;
    const next = await w.sync(['--max-unavailable', '3']);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    for (const n of NAMES) expect(latest(n)).toMatchObject({ transition: 'start', templateVersionId: v3(), outcome: 'succeeded' });
  });
});

describe('apply --prune interrupted', { timeout: 180_000 }, () => {
  it('deletes nothing; the next apply prunes', async () => {
    h = await startHarness({ seed: SEED, buildDurationMs: 50 });
    const policy = { deletionPolicy: 'Delete' };
    await h.write('ws.yaml', docs(undefined, [...NAMES, 'gone'], policy));
    expect((await h.cli(['apply', '-f', 'ws.yaml'])).code).toBe(0);
    h.sim.state.buildDurationMs = 3_000;
    await h.write('ws.yaml', docs({ policy: 'Pinned', name: 'v3' }, NAMES, policy));
    const before = buildPosts().length;
    const { child, result } = spawnCli(['apply', '-f', 'ws.yaml', '--prune', '--max-unavailable', '3'], {
      cwd: h.dir,
      env: { CODER_URL: h.sim.url, CODER_SESSION_TOKEN: h.sim.tokenFor('admin') },
    });
    await eventually('3 stop builds in Coder', async () => buildPosts().length - before >= 3, WAIT_MS, { everyMs: 20 });
    child.kill('SIGINT');
    const run = await result;
    expect(run.code, run.stdout + run.stderr).toBe(130);
    expect(buildPosts().length - before).toBeLessThanOrEqual(3);
    expect(latest('gone').transition).toBe('start');
    expect(run.stdout).toMatch(/1 prune\(s\) not done: they stay in the state file for the next apply --prune/);

    h.sim.state.buildDurationMs = 50;
    const next = await h.cli(['apply', '-f', 'ws.yaml', '--prune', '--max-unavailable', '3']);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stdout).toMatch(/✓ deleted /);
  });
});
