// The CLI's rollout on a real coderd, judged from coderd's own build records
// (created_at, job.completed_at, transition, version), never from our output:
//  - a fleet of 50 moves to a new version in canary steps (5, 25%, 100%),
//    inside a maintenance window and under --max-unavailable; a closed
//    window moves nobody;
//  - SIGINT and SIGKILL of `apply` at the worst moment, when coderd has
//    accepted a running workspace's stop build and the CLI has not yet heard
//    so, followed by one more `apply`: every workspace that was running runs,
//    on the wanted version, each moved by exactly one stop and one start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../integration/harness.ts';
import { eventually } from '../support/eventually.ts';
import { createTemplate, createTemplateVersion } from './bootstrap.ts';
import { startCoderdCli, uniqueName, workspaceYaml, type CoderdCli } from './cli-harness.ts';
import { MEMBERS, world } from './world.ts';

const b = (t: CoderdCli) => ({ admin: t.coder.admin, adminId: t.coder.users.admin!, orgId: t.coder.orgId });

/** Every build of a workspace, oldest first, as coderd records them. */
async function builds(t: CoderdCli, id: string): Promise<any[]> {
  const list = await t.coder.admin.get<any[]>(`/api/v2/workspaces/${id}/builds?limit=100`);
  return [...list].sort((x, y) => x.build_number - y.build_number);
}

/** A fleet of running workspaces on the template's first version; returns name -> workspace id. */
async function runningFleet(t: CoderdCli, template: string, names: string[]): Promise<Map<string, string>> {
  await t.declare(...names.map((n, i) => workspaceYaml(n, spec(template, i))));
  const created = await t.cli(['apply', '-f', 'ws.yaml']);
  expect(created.code, created.stdout + created.stderr).toBe(0);
  const ids = new Map<string, string>();
  for (const [i, n] of names.entries()) {
    const ws = await t.coder.admin.waitBuild((await t.coder.admin.workspaceByName(MEMBERS[i % MEMBERS.length]!, n)).id);
    expect(ws.latest_build, n).toMatchObject({ transition: 'start', status: 'running' });
    ids.set(n, ws.id);
  }
  return ids;
}

function spec(template: string, i: number, version?: string): Record<string, unknown> {
  return { owner: MEMBERS[i % MEMBERS.length], template, ttl: '0s', ...(version ? { version: { policy: 'Pinned', name: version } } : {}) };
}

async function latestNumbers(t: CoderdCli, ids: Map<string, string>): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const [n, id] of ids) m.set(n, (await t.coder.admin.get(`/api/v2/workspaces/${id}`)).latest_build.build_number);
  return m;
}

const ENDED = new Set(['succeeded', 'failed', 'canceled']);

/** The builds after `before`, per workspace, once every one of them has ended. */
async function laterBuilds(t: CoderdCli, ids: Map<string, string>, before: Map<string, number>): Promise<Map<string, any[]>> {
  // A killed CLI's last requests still reach coderd: wait for their answers first, so no build is missed.
  await eventually('the proxy to have no request in flight', async () => t.proxy.inFlight() === 0, 60_000);
  const out = new Map<string, any[]>();
  for (const [n, id] of ids) {
    const later = await eventually(
      `${n}'s builds to end`,
      async () => {
        const list = (await builds(t, id)).filter((x) => x.build_number > before.get(n)!);
        return list.every((x) => ENDED.has(x.job.status)) ? list : undefined;
      },
      120_000,
      { everyMs: 250 },
    );
    out.set(n, later);
  }
  return out;
}

/** transition@version-name and the job's end, as coderd recorded each build. */
function shape(list: any[], names: Map<string, string>): string[] {
  return list.map((x) => `${x.transition}@${names.get(x.template_version_id) ?? x.template_version_id}:${x.job.status}`);
}

/** The most intervals open at one moment. */
function maxOverlap(intervals: [number, number][]): number {
  const edges = intervals.flatMap(([s, e]): [number, number][] => [
    [s, 1],
    [e, -1],
  ]);
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (open += d));
  return most;
}

/** A daily UTC window that opened `agoMin` minutes ago (whole minutes), as cron fields. */
function windowOpened(agoMin: number): { schedule: string; opened: number } {
  const opened = Math.floor(Date.now() / 60_000) * 60_000 - agoMin * 60_000;
  const at = new Date(opened);
  return { schedule: `${at.getUTCMinutes()} ${at.getUTCHours()} * * *`, opened };
}

describe(`a canary rollout of 50 workspaces on a real coderd ${world().version}`, { timeout: 900_000 }, () => {
  const FLEET = 50;
  const LIMIT = 5;
  // --steps 5,25%,100% over 50 workspaces: cumulative sizes 5, ceil(12.5) = 13, 50.
  const STEP_SIZES = [5, 13, 50];
  let t: CoderdCli;
  let template: string;
  const versions = new Map<string, string>();
  const names: string[] = [];
  let ids: Map<string, string>;

  beforeAll(async () => {
    t = await startCoderdCli();
    template = uniqueName('canary');
    const created = await createTemplate(b(t), world().echotar, template);
    versions.set(created.active_version_id, 'v1');
    const v2 = await createTemplateVersion(b(t), world().echotar, {}, { templateId: created.id, name: 'v2' });
    versions.set(v2.id, 'v2');
    for (let i = 0; i < FLEET; i++) names.push(`${template}-${String(i).padStart(2, '0')}`);
    ids = await runningFleet(t, template, names);
  }, 600_000);
  afterAll(() => t?.close());

  it('moves nobody while the window is closed, then rolls in steps inside the window, never more than the limit at once', async () => {
    await t.declare(...names.map((n, i) => workspaceYaml(n, spec(template, i, 'v2'))));
    const rollout = ['--max-unavailable', String(LIMIT), '--steps', '5,25%,100%', '--window-duration'];

    // Closed: a daily window that opened two hours ago for one hour.
    const closed = windowOpened(120);
    t.proxy.reset();
    const waiting = await t.cli(['apply', '-f', 'ws.yaml', ...rollout, '1h', '--window-schedule', closed.schedule]);
    expect(waiting.code, waiting.stdout + waiting.stderr).toBe(0);
    expect(t.proxy.writes().filter((c) => c.method === 'POST' && c.path.endsWith('/builds'))).toEqual([]);
    expect(waiting.stdout).toMatch(new RegExp(`${FLEET} waiting for the window`));

    // Open: a daily window that opened a minute ago, for 30 minutes.
    const open = windowOpened(1);
    const before = await latestNumbers(t, ids);
    const started = Date.now();
    const run = await t.cli(['apply', '-f', 'ws.yaml', ...rollout, '30m', '--window-schedule', open.schedule]);
    const wallMs = Date.now() - started;
    expect(run.code, run.stdout + run.stderr).toBe(0);

    const later = await laterBuilds(t, ids, before);
    // Each moved by one stop on v1 and one start on v2, both succeeded.
    for (const n of names) expect(shape(later.get(n)!, versions), n).toEqual(['stop@v1:succeeded', 'start@v2:succeeded']);
    const moves = names.map((n) => {
      const [stop, start] = later.get(n)!;
      return { name: n, began: Date.parse(stop.created_at), onVersion: Date.parse(start.job.completed_at) };
    });
    // Only while the window was open.
    for (const m of moves) {
      expect(m.began, m.name).toBeGreaterThanOrEqual(open.opened);
      expect(m.began, m.name).toBeLessThan(open.opened + 30 * 60_000);
    }
    // Never more than the limit in an update at once (from its stop's creation to its start's end).
    const overlap = maxOverlap(moves.map((m) => [m.began, m.onVersion]));
    expect(overlap).toBeGreaterThan(0);
    expect(overlap).toBeLessThanOrEqual(LIMIT);
    // The n-th workspace to begin did so only once the steps before it were complete: as many workspaces
    // as the last step smaller than n were on v2 with a succeeded start.
    moves.sort((x, y) => x.began - y.began);
    const stepStarts: number[] = [];
    for (const [i, m] of moves.entries()) {
      const needed = Math.max(0, ...STEP_SIZES.filter((s) => s < i + 1));
      const done = moves.filter((o) => o.onVersion <= m.began).length;
      expect(done, `${m.name}, #${i + 1} to begin`).toBeGreaterThanOrEqual(needed);
      if (STEP_SIZES.includes(i)) stepStarts.push(m.began);
    }
    const total = [...later.values()].reduce((sum, l) => sum + l.length, 0);
    process.stdout.write(
      `[coderd-canary] ${world().version}: ${FLEET} workspaces, steps 5,25%,100%, limit ${LIMIT}: ${Math.round(wallMs / 1000)} s, ` +
        `${total} builds, at most ${overlap} updating at once; steps began ${stepStarts.map((s) => `+${Math.round((s - moves[0]!.began) / 1000)} s`).join(', ')}\n`,
    );
  });
});

describe(`apply interrupted between a stop and its start on a real coderd ${world().version}`, { timeout: 600_000 }, () => {
  const FLEET = 6;
  let t: CoderdCli;
  let template: string;
  const versions = new Map<string, string>();

  beforeAll(async () => {
    t = await startCoderdCli();
    template = uniqueName('kill');
    const created = await createTemplate(b(t), world().echotar, template);
    versions.set(created.active_version_id, 'v1');
    const v2 = await createTemplateVersion(b(t), world().echotar, {}, { templateId: created.id, name: 'v2' });
    versions.set(v2.id, 'v2');
  }, 600_000);
  afterAll(() => t?.close());

  /**
   * A fleet on v1 asked onto v2; `signal` reaches the CLI once coderd has
   * accepted the first stop build, before the CLI hears the answer. Then
   * one more apply: every workspace runs on v2, moved by one stop and one start.
   */
  async function interrupted(signal: 'SIGINT' | 'SIGKILL') {
    const names = Array.from({ length: FLEET }, (_, i) => `${template}-${signal.toLowerCase()}-${i}`);
    const ids = await runningFleet(t, template, names);
    const before = await latestNumbers(t, ids);
    await t.declare(...names.map((n, i) => workspaceYaml(n, spec(template, i, 'v2'))));
    t.proxy.reset();
    const { child, result } = spawnCli(['apply', '-f', 'ws.yaml', '--max-unavailable', '3'], {
      cwd: t.dir,
      env: { CODER_URL: t.proxy.url, CODER_SESSION_TOKEN: t.coder.adminToken },
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    let sent = false;
    t.proxy.hold = async (call, body) => {
      if (sent || call.method !== 'POST' || !call.path.endsWith('/builds') || call.status !== 201) return;
      expect(JSON.parse(body).transition).toBe('stop');
      sent = true;
      child.kill(signal);
      // The answer is passed on only once the CLI has the signal: dead, or saying it starts nothing new.
      if (signal === 'SIGKILL') await result;
      else await eventually('the CLI to take the interrupt', async () => stderr.includes('SIGINT: starting no new build'), 30_000);
    };
    const run = await result;
    t.proxy.hold = undefined;
    expect(sent).toBe(true);
    if (signal === 'SIGKILL') expect(run.signal).toBe('SIGKILL');
    else {
      expect(run.code, run.stdout + run.stderr).toBe(130);
      expect(run.stdout).toMatch(/Interrupted: no new build was started/);
      // It exited only once the stops it had sent were over, as coderd records them.
      expect(t.proxy.inFlight()).toBe(0);
      for (const [n, id] of ids) {
        const sent = (await builds(t, id)).filter((x) => x.build_number > before.get(n)!);
        for (const x of sent) expect(ENDED.has(x.job.status), `${n} build #${x.build_number} ${x.job.status} at exit`).toBe(true);
      }
    }

    // What the run left, from coderd: stops (at least the one it was killed on), never a start.
    const left = await laterBuilds(t, ids, before);
    const stopped = names.filter((n) => left.get(n)!.length > 0);
    expect(stopped.length).toBeGreaterThanOrEqual(1);
    expect(stopped.length).toBeLessThanOrEqual(3);
    for (const n of stopped) expect(shape(left.get(n)!, versions), n).toEqual(['stop@v1:succeeded']);
    // The owed starts are in the state file, written before the stop builds were sent.
    const state = await t.state();
    const owed = names.filter((n) => Object.values<any>(state.entries).some((e) => e.name === n && e.rollout?.restart === true));
    expect(owed).toEqual(expect.arrayContaining(stopped));

    const next = await t.cli(['apply', '-f', 'ws.yaml', '--max-unavailable', '3']);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    const after = await laterBuilds(t, ids, before);
    for (const n of names) {
      expect(shape(after.get(n)!, versions), n).toEqual(['stop@v1:succeeded', 'start@v2:succeeded']);
      const ws = await t.coder.admin.get(`/api/v2/workspaces/${ids.get(n)}`);
      expect(ws.latest_build, n).toMatchObject({ transition: 'start', status: 'running' });
    }
    process.stdout.write(`[coderd-interrupt] ${signal}: ${stopped.length} stopped when it landed; the next apply started them all on v2\n`);
  }

  it('SIGINT: no new build, a summary, exit 130; the next apply starts every stopped workspace on v2', () => interrupted('SIGINT'));
  it('SIGKILL: the next apply starts every stopped workspace on v2 from the state written before the stops', () => interrupted('SIGKILL'));
});
