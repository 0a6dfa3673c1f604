// A failing template version rolled out by the CLI to a fleet on a real
// coderd: the echo provisioner fails every apply of the bad version. The
// rollout halts after maxFailures, the failed workspaces are back on the old
// version and running as before, nobody else is touched, apply exits 1, plan
// says Halted and RolledBack; a fixed version then moves the whole fleet.
// Every assertion reads coderd's own build records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemplate, createTemplateVersion } from './bootstrap.ts';
import { startCoderdCli, uniqueName, workspaceYaml, type CoderdCli } from './cli-harness.ts';
import { world } from './world.ts';

const FLEET = 6;
let t: CoderdCli;
let template: string;
let v1: string;
let bad: string;
let fixed: string;
const names: string[] = [];

/** Every build of a workspace, oldest first, as coderd records them. */
async function builds(id: string): Promise<any[]> {
  const list = await t.coder.admin.get<any[]>(`/api/v2/workspaces/${id}/builds?limit=100`);
  return [...list].sort((x, y) => x.build_number - y.build_number);
}

function fleet(version?: string): Promise<void> {
  return t.declare(
    ...names.map((n) =>
      workspaceYaml(n, { owner: 'bob', template, ttl: '0s', ...(version ? { version: { policy: 'Pinned', name: version } } : {}) }),
    ),
  );
}

describe(`a failing version on a real coderd ${world().version}`, { timeout: 600_000 }, () => {
  beforeAll(async () => {
    t = await startCoderdCli();
    const b = { admin: t.coder.admin, adminId: t.coder.users.admin!, orgId: t.coder.orgId };
    template = uniqueName('rollout');
    const created = await createTemplate(b, world().echotar, template);
    v1 = created.active_version_id;
    bad = (await createTemplateVersion(b, world().echotar, { failApply: true }, { templateId: created.id, name: 'bad' })).id;
    fixed = (await createTemplateVersion(b, world().echotar, {}, { templateId: created.id, name: 'fixed' })).id;
    for (let i = 0; i < FLEET; i++) names.push(uniqueName(`r${i}`));
    await fleet();
    const first = await t.cli(['apply', '-f', 'ws.yaml']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
  }, 600_000);
  afterAll(() => t?.close());

  it('halts after maxFailures, rolls the failed ones back running on the old version, touches nobody else, exits 1', async () => {
    const ids = new Map<string, string>();
    for (const n of names) {
      const ws = await t.coder.admin.waitBuild((await t.coder.admin.workspaceByName('bob', n)).id);
      expect(ws.latest_build).toMatchObject({ transition: 'start', status: 'running', template_version_id: v1 });
      ids.set(n, ws.id);
    }
    await fleet('bad');
    const run = await t.cli(['apply', '-f', 'ws.yaml', '--max-unavailable', '2', '--max-failures', '1']);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const histories = new Map<string, any[]>();
    for (const n of names) histories.set(n, (await builds(ids.get(n)!)).slice(1));
    const touched = names.filter((n) => histories.get(n)!.length > 0);
    // At most the limit started before the first failure was seen; nobody after it.
    expect(touched.length).toBeGreaterThanOrEqual(1);
    expect(touched.length).toBeLessThanOrEqual(2);
    for (const n of touched)
      expect(histories.get(n)!.map((x) => [x.transition, x.template_version_id, x.job.status])).toEqual([
        ['stop', v1, 'succeeded'],
        ['start', bad, 'failed'],
        ['start', v1, 'succeeded'],
      ]);
    for (const n of names) {
      const ws = await t.coder.admin.get<any>(`/api/v2/workspaces/${ids.get(n)}`);
      expect(ws.latest_build).toMatchObject({ transition: 'start', status: 'running', template_version_id: v1 });
    }
    expect(run.stdout).toMatch(new RegExp(`${touched.length} failed`));

    const plan = await t.cli(['plan', '-f', 'ws.yaml', '-o', 'json']);
    const states = (JSON.parse(plan.stdout).workspaces as any[]).map((w) => w.status.rollout?.state).sort();
    expect(states.filter((s) => s === 'RolledBack')).toHaveLength(touched.length);
    expect(states.filter((s) => s === 'Halted')).toHaveLength(FLEET - touched.length);
    t.proxy.reset();
    const again = await t.cli(['apply', '-f', 'ws.yaml', '--max-unavailable', '2']);
    expect(again.code).toBe(1);
    expect(t.proxy.writes().filter((c) => c.method === 'POST' && /\/builds$/.test(c.path))).toEqual([]);

    // A fixed version: the whole fleet moves, the rolled-back ones too.
    await fleet('fixed');
    const moved = await t.cli(['apply', '-f', 'ws.yaml', '--max-unavailable', '2']);
    expect(moved.code, moved.stdout + moved.stderr).toBe(0);
    for (const n of names) {
      const ws = await t.coder.admin.waitBuild(ids.get(n)!);
      expect(ws.latest_build).toMatchObject({ transition: 'start', status: 'running', template_version_id: fixed });
    }
  });
});
