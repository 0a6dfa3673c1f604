// Fleet lifecycle on a real coderd, through the operator on the real control
// plane: 50 Workspaces, run state kept, a promoted template version rolled out
// within a maintenance window and never more than the limit at once, running
// workspaces moved only once stopped when so asked, a parameter change that
// reaches every workspace, an immutable one refused, and an idle resync that
// makes no write and no per-workspace read. The CLI's plan shows the rollout
// beforehand. Every assertion reads coderd's own records (builds and their
// parameters), not the operator's view.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlOk } from '../e2e/kubectl.ts';
import {
  apply,
  condition,
  eventually,
  getWorkspace,
  setUpOperatorBase,
  TEST_RESYNC_MS,
  workspace,
  type OperatorBase,
  type OperatorProcess,
} from '../e2e/operator-harness.ts';
import { createTemplate, createTemplateVersion, type TemplateSpec } from './bootstrap.ts';
import { startCoderdCli, uniqueName } from './cli-harness.ts';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.ts';
import { MEMBERS, server, world } from './world.ts';
import { workspaceYaml } from '../integration/harness.ts';

const FLEET = 50;
/** Per test: builds on 50 workspaces through a limit of 5 take minutes on 2 cores. */
const LONG = 900_000;
const STOPPED = 10;
const LIMIT = 5;
const coder = server();
const PARAMS: TemplateSpec = {
  parameters: [
    { name: 'size', default: 'small', mutable: true },
    { name: 'region', default: 'eu', mutable: false },
  ],
};
let proxy: RecordingProxy;
let env: OperatorBase;
let op: OperatorProcess;
let team: string;
let templateId: string;
let templateName: string;
const names: string[] = [];
const owners = new Map<string, string>();
const ids = new Map<string, string>();
const b = () => ({ admin: coder.admin, adminId: coder.users.admin!, orgId: coder.orgId });

function spec(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const i = names.indexOf(name);
  return {
    owner: owners.get(name),
    template: templateName,
    version: { policy: 'Active' },
    ttl: '0s',
    parameters: [
      { name: 'size', value: 'small' },
      { name: 'region', value: 'eu' },
    ],
    ...(i < STOPPED ? { running: false } : {}),
    ...extra,
  };
}

async function fleetSettled(what: string, timeoutMs: number, ok: (ws: any) => boolean = () => true): Promise<void> {
  await eventually(
    what,
    async () => {
      const list = JSON.parse(await kubectlOk(['get', 'workspaces.coderops.dev', '-n', team, '-o', 'json'])).items as any[];
      const done = list.filter(
        (w) =>
          w.status?.observedGeneration === w.metadata.generation &&
          condition(w, 'Synced')?.status === 'True' &&
          // Ready too: Synced says the spec was applied, Ready that Coder's builds have finished.
          condition(w, 'Ready')?.status === 'True' &&
          ok(w),
      );
      return done.length === FLEET ? list : undefined;
    },
    timeoutMs,
    { everyMs: 1_000 },
  );
}

/** Replaces the connection's whole rollout policy (a merge patch would keep fields left out). */
async function setRollout(rollout: Record<string, unknown>): Promise<void> {
  const patch = [{ op: 'add', path: '/spec/rollout', value: rollout }];
  await kubectlOk(['patch', 'coderconnections.coderops.dev', 'default', '-n', team, '--type=json', '-p', JSON.stringify(patch)]);
}

/** Every build of a workspace, oldest first, as coderd records them. */
async function builds(id: string): Promise<any[]> {
  const list = await coder.admin.get<any[]>(`/api/v2/workspaces/${id}/builds?limit=100`);
  return [...list].sort((x, y) => x.build_number - y.build_number);
}

/** The most workspaces that were in an update (first update build created .. last completed) at one moment. */
function maxOverlap(intervals: [number, number][]): number {
  const edges = intervals
    .flatMap(
      ([s, e]) =>
        [
          [s, 1],
          [e, -1],
        ] as [number, number][],
    )
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (now += d));
  return most;
}

async function updateIntervals(afterBuild: Map<string, number>): Promise<[number, number][]> {
  const out: [number, number][] = [];
  for (const name of names) {
    const later = (await builds(ids.get(name)!)).filter((x) => x.build_number > afterBuild.get(name)!);
    if (later.length === 0) continue;
    const first = Date.parse(later[0].created_at);
    const last = Date.parse(later.at(-1).job.completed_at);
    out.push([first, last]);
  }
  return out;
}

async function latestBuildNumbers(): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const name of names) m.set(name, (await coder.admin.get(`/api/v2/workspaces/${ids.get(name)}`)).latest_build.build_number);
  return m;
}

beforeAll(async () => {
  templateName = uniqueName('fleet');
  const t = await createTemplate(b(), world().echotar, templateName, PARAMS, { template_use_classic_parameter_flow: true });
  templateId = t.id;
  proxy = await startRecordingProxy(coder.url);
  env = await setUpOperatorBase({ url: proxy.url, token: coder.adminToken });
  [team] = env.teams as [string];
  for (let i = 0; i < FLEET; i += 1) {
    const name = `${templateName}-${String(i).padStart(2, '0')}`;
    names.push(name);
    owners.set(name, MEMBERS[i % MEMBERS.length]!);
  }
  await setRollout({ maxUnavailable: LIMIT });
  op = await env.start({ name: 'coderd-fleet' });
});

afterAll(async () => {
  await env?.close();
  await proxy?.close();
});

describe(`fleet lifecycle on a real coderd ${world().version}`, () => {
  it(
    `creates ${FLEET} Workspaces; running: false stops ${STOPPED} of them and keeps them stopped`,
    async () => {
      await apply(...names.map((n) => workspace(team, n, spec(n))));
      await fleetSettled('fleet created', 240_000);
      // Every id first: the later tests need them even when one status below is wrong.
      const found = new Map<string, any>();
      for (const name of names) {
        const ws = await coder.admin.workspaceByName(owners.get(name)!, name);
        ids.set(name, ws.id);
        found.set(name, ws);
      }
      for (const name of names)
        expect(found.get(name).latest_build.status, name).toBe(names.indexOf(name) < STOPPED ? 'stopped' : 'running');
      // Started by hand: stopped again at the next reconcile.
      const victim = names[0]!;
      const started = await coder.admin.request('POST', `/api/v2/workspaces/${ids.get(victim)}/builds`, { transition: 'start' });
      await eventually(
        'stopped again',
        async () => {
          const ws = await coder.admin.get(`/api/v2/workspaces/${ids.get(victim)}`);
          return (
            ws.latest_build.build_number > started.build_number &&
            ws.latest_build.transition === 'stop' &&
            ws.latest_build.status === 'stopped'
          );
        },
        4 * TEST_RESYNC_MS + 30_000,
      );
    },
    LONG,
  );

  it(
    'a promoted version: plan shows it; stopped workspaces move at once, running ones wait for the window, then roll at most 5 at a time',
    async () => {
      await fleetSettled('fleet settled', 60_000);
      // Closed window: it opens 12 hours from now.
      const closedHour = (new Date().getUTCHours() + 12) % 24;
      await setRollout({ maxUnavailable: LIMIT, window: { schedule: `0 ${closedHour} * * *`, duration: '1h', timezone: 'UTC' } });
      // Build numbers while the fleet is settled and nothing is building.
      const before = await latestBuildNumbers();
      await op.stop();
      const v2 = await createTemplateVersion(b(), world().echotar, PARAMS, { templateId });
      await coder.admin.request('PATCH', `/api/v2/templates/${templateId}/versions`, { id: v2.id });

      // What the CLI plans for the same declarations, with the same rollout, before anything moves.
      const cli = await startCoderdCli();
      try {
        await cli.declare(...names.map((n) => workspaceYaml(n, spec(n), team)));
        const plan = await cli.cli([
          'plan',
          '-f',
          'ws.yaml',
          '--no-state',
          '--max-unavailable',
          String(LIMIT),
          '--window-schedule',
          `0 ${closedHour} * * *`,
          '--window-duration',
          '1h',
        ]);
        expect(plan.code, plan.stderr).toBe(2);
        // Waiting updates are pending changes, with both version names and the reason.
        expect(
          plan.stdout.match(/^~ pending .*\(template version .+ → .+; window\): waiting for the maintenance window/gm) ?? [],
          plan.stdout,
        ).toHaveLength(FLEET - STOPPED);
        expect(plan.stdout).toMatch(/Rollout \(/);
        expect(cli.proxy.writes()).toEqual([]);
      } finally {
        await cli.close();
        // Back up even when the plan's assertions fail, so the tests after this one still have an operator.
        op = await env.start({ name: 'coderd-fleet-2' });
      }

      // The stopped ones move without starting.
      await eventually(
        'stopped workspaces on v2',
        async () => {
          for (const name of names.slice(0, STOPPED)) {
            const ws = await coder.admin.get(`/api/v2/workspaces/${ids.get(name)}`);
            if (ws.latest_build.template_version_id !== v2.id || ws.latest_build.status !== 'stopped') return false;
          }
          return true;
        },
        120_000,
      );
      // Running ones wait: WaitingForWindow, still on v1, no new build.
      await eventually(
        'WaitingForWindow',
        async () => (await getWorkspace(team, names[STOPPED]!)).status?.rollout?.state === 'WaitingForWindow',
        60_000,
      );
      for (const name of names.slice(STOPPED)) {
        const ws = await coder.admin.get(`/api/v2/workspaces/${ids.get(name)}`);
        expect(ws.latest_build.build_number, name).toBe(before.get(name));
      }
      await eventually(
        'the connection sums the waiting',
        async () => {
          const cc = JSON.parse(await kubectlOk(['get', 'coderconnections.coderops.dev', 'default', '-n', team, '-o', 'json']));
          return cc.status?.rollout?.waiting === FLEET - STOPPED && cc.status.rollout.upToDate === STOPPED;
        },
        60_000,
      );

      // The window opens (every minute, for an hour): the rest rolls, never more than the limit at once.
      await setRollout({ maxUnavailable: LIMIT, window: { schedule: '* * * * *', duration: '1h', timezone: 'UTC' } });
      await fleetSettled('fleet on v2', 300_000, (w) => w.status?.rollout?.state === 'UpToDate');
      for (const name of names) {
        const ws = await coder.admin.get(`/api/v2/workspaces/${ids.get(name)}`);
        expect(ws.latest_build.template_version_id, name).toBe(v2.id);
        expect(ws.outdated, name).toBe(false);
        expect(ws.latest_build.status, name).toBe(names.indexOf(name) < STOPPED ? 'stopped' : 'running');
      }
      // How each one moved, as coderd recorded it: a stopped one by one stop build carrying v2; a running one
      // by a stop on its old version, then a start carrying v2, as Coder's own clients update (docs/lifecycle.md).
      for (const name of names) {
        const later = (await builds(ids.get(name)!)).filter((x) => x.build_number > before.get(name)!);
        const steps = later.map((x) => `${x.transition}@${x.template_version_id === v2.id ? 'v2' : 'v1'}`);
        expect(steps, name).toEqual(names.indexOf(name) < STOPPED ? ['stop@v2'] : ['stop@v1', 'start@v2']);
      }
      const overlap = maxOverlap(await updateIntervals(before));
      process.stdout.write(`[coderd-fleet] version rollout: at most ${overlap} workspaces updating at once (limit ${LIMIT})\n`);
      expect(overlap).toBeGreaterThan(0);
      expect(overlap).toBeLessThanOrEqual(LIMIT);
    },
    LONG,
  );

  it(
    'onlyWhenStopped: a running workspace waits until it is stopped, then moves without starting',
    async () => {
      await setRollout({ maxUnavailable: LIMIT, onlyWhenStopped: true });
      const v3 = await createTemplateVersion(b(), world().echotar, PARAMS, { templateId });
      await coder.admin.request('PATCH', `/api/v2/templates/${templateId}/versions`, { id: v3.id });
      const runner = names[STOPPED]!;
      await eventually(
        'WaitingForStop',
        async () => (await getWorkspace(team, runner)).status?.rollout?.state === 'WaitingForStop',
        60_000,
      );
      const id = ids.get(runner)!;
      expect((await coder.admin.get(`/api/v2/workspaces/${id}`)).latest_build.template_version_id).not.toBe(v3.id);
      // Its owner stops it (as an auto-stop would); its spec does not manage run state.
      const stop = await coder.admin.request('POST', `/api/v2/workspaces/${id}/builds`, { transition: 'stop' });
      await coder.admin.waitBuild(id);
      await eventually(
        'moved once stopped',
        async () => {
          const ws = await coder.admin.get(`/api/v2/workspaces/${id}`);
          return (
            ws.latest_build.build_number > stop.build_number &&
            ws.latest_build.template_version_id === v3.id &&
            ws.latest_build.status === 'stopped'
          );
        },
        60_000,
      );
      const after = await builds(id);
      expect(after.filter((x) => x.build_number > stop.build_number).map((x) => x.transition)).toEqual(['stop']);
    },
    LONG,
  );

  it(
    'a parameter change reaches every workspace; an immutable one is refused with its own reason',
    async () => {
      await setRollout({ maxUnavailable: LIMIT, window: { schedule: '* * * * *', duration: '1h', timezone: 'UTC' } });
      await fleetSettled('before the parameter change', 300_000, (w) => w.status?.rollout?.state === 'UpToDate');
      const stubborn = names.at(-1)!;
      await apply(
        ...names.map((n) =>
          workspace(
            team,
            n,
            spec(n, {
              parameters: [
                { name: 'size', value: 'large' },
                { name: 'region', value: n === stubborn ? 'us' : 'eu' },
              ],
            }),
          ),
        ),
      );
      await eventually(
        'ImmutableParameter',
        async () => {
          const w = await getWorkspace(team, stubborn);
          return JSON.stringify(w.status ?? {}).includes('ImmutableParameter');
        },
        120_000,
      );
      const others = names.filter((n) => n !== stubborn);
      await eventually(
        'size=large everywhere',
        async () => {
          for (const name of others) {
            const ws = await coder.admin.get(`/api/v2/workspaces/${ids.get(name)}`);
            const values = await coder.admin.get<any[]>(`/api/v2/workspacebuilds/${ws.latest_build.id}/parameters`);
            if (values.find((p) => p.name === 'size')?.value !== 'large') return false;
          }
          return true;
        },
        300_000,
        { everyMs: 2_000 },
      );
      const stubbornWs = await coder.admin.get(`/api/v2/workspaces/${ids.get(stubborn)}`);
      const kept = await coder.admin.get<any[]>(`/api/v2/workspacebuilds/${stubbornWs.latest_build.id}/parameters`);
      expect(kept.find((p) => p.name === 'region')?.value).toBe('eu');
      // Put it back, so the fleet is quiet for the last test.
      await apply(
        workspace(
          team,
          stubborn,
          spec(stubborn, {
            parameters: [
              { name: 'size', value: 'large' },
              { name: 'region', value: 'eu' },
            ],
          }),
        ),
      );
    },
    LONG,
  );

  it(
    'an idle resync over the fleet makes no write and no per-workspace read',
    async () => {
      await eventually(
        'fleet quiet',
        async () => {
          const list = JSON.parse(await kubectlOk(['get', 'workspaces.coderops.dev', '-n', team, '-o', 'json'])).items as any[];
          return list.every((w) => w.status?.observedGeneration === w.metadata.generation && condition(w, 'Synced')?.status === 'True');
        },
        300_000,
        { everyMs: 1_000 },
      );
      await new Promise((r) => setTimeout(r, TEST_RESYNC_MS));
      proxy.reset();
      await new Promise((r) => setTimeout(r, 2 * TEST_RESYNC_MS + 1_000));
      expect(proxy.calls.filter((c) => c.path === '/api/v2/workspaces').length).toBeGreaterThan(0);
      expect(proxy.writes()).toEqual([]);
      const perWorkspace = proxy.calls.filter(
        (c) => [...ids.values()].some((id) => c.path.includes(id)) || c.path.includes('/workspacebuilds/'),
      );
      expect(perWorkspace).toEqual([]);
    },
    LONG,
  );
});
