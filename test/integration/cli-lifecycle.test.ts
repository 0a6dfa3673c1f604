// spec.running, spec.version, spec.parameters and the rollout control through
// the real CLI against the simulator, asserting the builds Coder was asked for.
import { afterEach, describe, expect, it } from 'vitest';
import type { SimSeed } from '../../src/coder-sim/seed.ts';
import { closeHarness } from '../support/harness-per-test.ts';
import { startHarness, workspaceYaml, type Harness } from './harness.ts';

let h: Harness;

afterEach(() => closeHarness(h));

const SEED: SimSeed = {
  users: [{ username: 'admin', roles: ['owner'] }, { username: 'alice' }],
  templates: [
    {
      name: 'docker',
      default_ttl_ms: 0,
      parameters: [
        { name: 'size', required: false, default_value: 'small' },
        { name: 'region', required: false, mutable: false, default_value: 'eu' },
        { name: 'debug', required: false, ephemeral: true, default_value: 'false' },
      ],
    },
  ],
  template_versions: [
    {
      template: 'docker',
      name: 'v2',
      parameters: [
        { name: 'size', required: false, default_value: 'small' },
        { name: 'region', required: false, mutable: false, default_value: 'eu' },
      ],
    },
  ],
};

function ws(name: string) {
  const found = h.sim.state.findLiveWorkspace(h.sim.state.findUser('alice')!.id, name);
  if (!found) throw new Error(`no workspace alice/${name}`);
  return found;
}

function latest(name: string) {
  const w = ws(name);
  return w.builds[w.builds.length - 1]!;
}

function buildBodies(): unknown[] {
  return h.sim.calls.filter((c) => c.method === 'POST' && c.route === '/api/v2/workspaces/{workspace}/builds').map((c) => c.requestBody);
}

async function apply(docs: string[], args: string[] = []) {
  await h.write('ws.yaml', docs.join('\n---\n'));
  h.resetCalls();
  const result = await h.cli(['apply', '-f', 'ws.yaml', ...args]);
  expect(result.code, result.stdout + result.stderr).toBe(0);
  return result;
}

describe('run state', { timeout: 120_000 }, () => {
  it('running: false stops a new workspace once it is up, keeps it stopped, and a second apply is quiet', async () => {
    h = await startHarness({ seed: SEED });
    await apply([workspaceYaml('dev', { owner: 'alice', template: 'docker', running: false })]);
    expect(latest('dev')).toMatchObject({ transition: 'stop' });
    expect(buildBodies()).toEqual([{ transition: 'stop' }]);

    await apply([workspaceYaml('dev', { owner: 'alice', template: 'docker', running: false })]);
    expect(h.writes()).toEqual([]);

    // Started by hand: stopped again at the next apply (level-based).
    h.sim.state.scheduleBuild(ws('dev').id, 'start');
    await apply([workspaceYaml('dev', { owner: 'alice', template: 'docker', running: false })]);
    expect(buildBodies()).toEqual([{ transition: 'stop' }]);
  });

  it('refuses running: false with an autostart schedule before any call to Coder', async () => {
    h = await startHarness({ seed: SEED });
    await h.write(
      'ws.yaml',
      workspaceYaml('dev', { owner: 'alice', template: 'docker', running: false, autostart: { schedule: '0 9 * * 1-5' } }),
    );
    h.resetCalls();
    const result = await h.cli(['apply', '-f', 'ws.yaml']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('spec.running: running: false conflicts with an autostart schedule');
    expect(h.sim.calls).toEqual([]);
  });
});

describe('template version updates', { timeout: 120_000 }, () => {
  it('moves a stopped workspace with one stop build and a running one with a stop, then a start on the new version', async () => {
    h = await startHarness({ seed: SEED });
    await apply([
      workspaceYaml('a', { owner: 'alice', template: 'docker' }),
      workspaceYaml('b', { owner: 'alice', template: 'docker', running: false }),
    ]);
    const v2 = [...h.sim.state.versions.values()].find((v) => v.name === 'v2')!.id;

    await h.write(
      'ws.yaml',
      [
        workspaceYaml('a', { owner: 'alice', template: 'docker', version: { policy: 'Pinned', name: 'v2' } }),
        workspaceYaml('b', { owner: 'alice', template: 'docker', running: false, version: { policy: 'Pinned', name: 'v2' } }),
      ].join('\n---\n'),
    );
    const v1 = latest('a').templateVersionId;
    const v1Name = h.sim.state.versions.get(v1)!.name;
    const plan = await h.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.code).toBe(2);
    // Versions by name in text; by id and name in JSON.
    expect(plan.stdout).toContain(`~ stop team-a/a (update to template version ${v1Name} → v2: stop first, then start on v2)`);
    expect(plan.stdout).toContain(`~ stop team-a/b (update while stopped: template version ${v1Name} → v2; stays stopped)`);
    const json = await h.cli(['plan', '-f', 'ws.yaml', '-o', 'json']);
    const versions = (JSON.parse(json.stdout) as { workspaces: { version?: unknown }[] }).workspaces.map((w) => w.version);
    expect(versions).toEqual([0, 1].map(() => ({ from: { id: v1, name: v1Name }, to: { id: v2, name: 'v2' } })));

    const applied = await apply([
      workspaceYaml('a', { owner: 'alice', template: 'docker', version: { policy: 'Pinned', name: 'v2' } }),
      workspaceYaml('b', { owner: 'alice', template: 'docker', running: false, version: { policy: 'Pinned', name: 'v2' } }),
    ]);
    // Apply's lines name the versions too.
    expect(applied.stdout).toContain(`✓ stop team-a/a (update to template version ${v1Name} → v2: stop first, then start on v2)`);
    expect(applied.stdout).toContain(`✓ start team-a/a (update: start again, template version ${v1Name} → v2)`);
    expect(latest('a')).toMatchObject({ transition: 'start', templateVersionId: v2 });
    expect(latest('b')).toMatchObject({ transition: 'stop', templateVersionId: v2 });
    const byWorkspace = (name: string) =>
      h.sim.calls.filter((c) => c.method === 'POST' && c.path === `/api/v2/workspaces/${ws(name).id}/builds`).map((c) => c.requestBody);
    expect(byWorkspace('a')).toEqual([{ transition: 'stop' }, { transition: 'start', template_version_id: v2 }]);
    expect(byWorkspace('b')).toEqual([{ transition: 'stop', template_version_id: v2 }]);
    // The version name is looked up once for both, and no other read is needed for the names printed.
    expect(h.sim.calls.filter((c) => c.route === '/api/v2/templates/{template}/versions/{templateversionname}')).toHaveLength(1);
    expect(h.sim.calls.filter((c) => c.route === '/api/v2/templateversions/{templateversion}')).toEqual([]);
  });

  it('never updates more than --max-unavailable at once, and a window that is closed defers running workspaces', async () => {
    h = await startHarness({ seed: SEED });
    const names = ['w1', 'w2', 'w3', 'w4', 'w5'];
    await apply(names.map((n) => workspaceYaml(n, { owner: 'alice', template: 'docker' })));
    h.sim.state.promoteVersion('docker', 'v2');
    const docs = names.map((n) => workspaceYaml(n, { owner: 'alice', template: 'docker', version: { policy: 'Active' } }));

    // A window that opened a minute ago for one minute is closed now.
    const now = new Date();
    const closed = `${(now.getUTCMinutes() + 58) % 60} * * * *`;
    await apply(docs, ['--window-schedule', closed, '--window-duration', '1m']);
    expect(buildBodies()).toEqual([]);
    const status = await h.cli(['plan', '-f', 'ws.yaml', '-o', 'json', '--window-schedule', closed, '--window-duration', '1m']);
    const rollout = (JSON.parse(status.stdout) as { workspaces: { status: { rollout?: { state: string } } }[] }).workspaces.map(
      (w) => w.status.rollout?.state,
    );
    expect(rollout).toEqual(names.map(() => 'WaitingForWindow'));
    h.resetCalls();
    const text = await h.cli(['plan', '-f', 'ws.yaml', '--window-schedule', closed, '--window-duration', '1m']);
    // Waiting updates are pending changes, not "in sync": exit 2, with the versions, the reason and the next opening.
    expect(text.code).toBe(2);
    const v1Name = h.sim.state.versions.get(latest('w1').templateVersionId)!.name;
    expect(text.stdout).toMatch(
      new RegExp(
        `~ pending team-a/w1 \\(template version ${v1Name} → v2; window\\): waiting for the maintenance window .*; it next opens at \\d{4}-`,
      ),
    );
    expect(text.stdout).toContain('0 blocked, 5 pending; 0 in sync.');
    expect(text.stdout).toMatch(/Window "[^"]+" \(UTC, 1m\): closed; it next opens at \d{4}-/);
    expect(text.stdout).toContain(
      'manage their version or parameters): 0 up to date, 0 to update, 5 waiting for the window, 0 waiting for a stop, 0 waiting for a slot, 0 blocked, 0 failed.',
    );
    // The promoted version's name: one read for all five workspaces.
    expect(h.sim.calls.filter((c) => c.route === '/api/v2/templateversions/{templateversion}')).toHaveLength(1);
    const md = await h.cli(['plan', '-f', 'ws.yaml', '-o', 'markdown', '--window-schedule', closed, '--window-duration', '1m']);
    expect(md.code).toBe(2);
    expect(md.stdout).toContain('#### ⏳ Updates waiting (rollout control; pending changes)');
    expect(md.stdout).toContain(`- \`team-a/w1\` (template version ${v1Name} → v2; window): waiting for the maintenance window`);
    const open = await h.cli(['plan', '-f', 'ws.yaml']);
    expect(open.stdout).toContain('manage their version or parameters): 0 up to date, 5 to update,');

    await apply(docs, ['--max-unavailable', '2']);
    for (const n of names)
      expect(latest(n)).toMatchObject({
        transition: 'start',
        templateVersionId: h.sim.state.templates.get(ws(n).templateId)!.activeVersionId,
      });
    // In call order: a workspace's update begins with its stop build and ends with its last call;
    // no stop may begin while two others are between those.
    const ids = new Map(names.map((n) => [ws(n).id, n]));
    const last = new Map<string, number>();
    h.sim.calls.forEach((c, i) => {
      const id = /\/workspaces\/([0-9a-f-]{36})/.exec(c.path)?.[1];
      if (id && ids.has(id)) last.set(id, i);
    });
    let most = 0;
    h.sim.calls.forEach((c, i) => {
      const id = /\/workspaces\/([0-9a-f-]{36})\/builds/.exec(c.path)?.[1];
      if (c.method !== 'POST' || !id || (c.requestBody as { transition?: string }).transition !== 'stop') return;
      const begun = [...ids.keys()].filter((other) => {
        const first = h.sim.calls.findIndex((x) => x.method === 'POST' && x.path === `/api/v2/workspaces/${other}/builds`);
        return first !== -1 && first <= i && (last.get(other) ?? -1) >= i;
      });
      most = Math.max(most, begun.length);
    });
    expect(most).toBe(2);
  }, 120_000);
});

describe('parameters', { timeout: 120_000 }, () => {
  it('applies a changed parameter with a build, blocks an immutable one, ignores an ephemeral one', async () => {
    h = await startHarness({ seed: SEED });
    // Each step writes the whole document, as a person edits the file: only the parameter under test changes.
    await apply([
      workspaceYaml('p', {
        owner: 'alice',
        template: 'docker',
        running: false,
        parameters: [
          { name: 'size', value: 'small' },
          { name: 'debug', value: 'true' },
        ],
      }),
    ]);
    h.resetCalls();
    await apply([
      workspaceYaml('p', {
        owner: 'alice',
        template: 'docker',
        running: false,
        parameters: [
          { name: 'size', value: 'large' },
          { name: 'debug', value: 'true' },
        ],
      }),
    ]);
    expect(buildBodies()).toEqual([{ transition: 'stop', rich_parameter_values: [{ name: 'size', value: 'large' }] }]);
    expect(latest('p').parameters).toContainEqual({ name: 'size', value: 'large' });

    await h.write(
      'ws.yaml',
      workspaceYaml('p', {
        owner: 'alice',
        template: 'docker',
        running: false,
        parameters: [
          { name: 'size', value: 'large' },
          { name: 'region', value: 'us' },
        ],
      }),
    );
    h.resetCalls();
    const blocked = await h.cli(['apply', '-f', 'ws.yaml']);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toContain('parameter "region" is immutable');
    expect(buildBodies()).toEqual([]);
  });
});

describe('observe only', { timeout: 120_000 }, () => {
  it('plans the differences and writes nothing', async () => {
    h = await startHarness({ seed: SEED });
    await apply([workspaceYaml('o', { owner: 'alice', template: 'docker' })]);
    await apply([workspaceYaml('o', { owner: 'alice', template: 'docker', running: false, ttl: '2h', managementPolicies: ['Observe'] })]);
    expect(h.writes()).toEqual([]);
    expect(latest('o')).toMatchObject({ transition: 'start' });
    // Plan shows the drift as drift nothing writes, and it is no change: exit 0.
    const plan = await h.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.stdout).toContain('≠ drift ttl team-a/o: off -> 2h (observe only: not written)');
    expect(plan.stdout).toContain(
      '0 to change, 0 to delete, 0 to orphan, 0 blocked, 0 pending; 0 in sync; 1 observe-only drifted (not written).',
    );
    expect(plan.code).toBe(0);
    const json = JSON.parse((await h.cli(['plan', '-f', 'ws.yaml', '-o', 'json'])).stdout) as {
      counts: { change: number; observedDrift: number };
      workspaces: { actions: unknown[]; observeOnly?: boolean; notWritten?: { kind: string }[] }[];
    };
    expect(json.counts).toMatchObject({ change: 0, observedDrift: 1 });
    expect(json.workspaces[0]).toMatchObject({ actions: [], observeOnly: true });
    expect(json.workspaces[0]!.notWritten!.map((a) => a.kind).sort()).toEqual(['build', 'ttl']);
  });
});
