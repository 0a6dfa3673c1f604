// A failing template version rolled out by the running operator (against the
// simulator, whose builds on v2 fail): the rollout halts after maxFailures,
// the failed Workspaces are rolled back running on v1, the others say Halted,
// the connection lists the halted version; a new value of
// coderops.dev/resume-rollout lets one more try; a fixed version moves all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlOk } from './kubectl.ts';
import { apply, eventually, setUpOperatorEnv, workspace, type OperatorEnv, type OperatorProcess } from './operator-harness.ts';

const NAMES = ['r0', 'r1', 'r2', 'r3'];
// One operator env per file, seeded and flagged for this file's cases; what every file shares is setUpOperatorEnv (operator-harness.ts).
let env: OperatorEnv;
let op: OperatorProcess;
let ns: string;

beforeAll(async () => {
  env = await setUpOperatorEnv({
    sim: {
      buildDurationMs: 300,
      seed: {
        users: [{ username: 'admin', roles: ['owner'] }, { username: 'alice' }, { username: 'bob' }],
        templates: [{ name: 'docker', default_ttl_ms: 0 }, { name: 'kubernetes' }],
        template_versions: [
          { template: 'docker', name: 'v2', fail_builds: true },
          { template: 'docker', name: 'v3' },
        ],
      },
    },
  });
  ns = env.teams[0]!;
  const patch = { spec: { rollout: { maxUnavailable: 2, maxFailures: 1 } } };
  await kubectlOk(['patch', 'coderconnections.coderops.dev', 'default', '-n', ns, '--type=merge', '-p', JSON.stringify(patch)]);
  op = await env.start({ name: 'rollout' });
});

afterAll(async () => {
  if (op) process.stdout.write(`[e2e] operator log: ${op.logFile}\n`);
  await env?.close();
});

const live = (name: string) => env.sim.state.findLiveWorkspace(env.sim.state.findUser('alice')!.id, name);
const latest = (name: string) => {
  const ws = live(name)!;
  return ws.builds[ws.builds.length - 1]!;
};
const versionId = (name: string) => [...env.sim.state.versions.values()].find((v) => v.name === name)!.id;

async function states(): Promise<Record<string, string | undefined>> {
  const list = JSON.parse(await kubectlOk(['get', 'workspaces.coderops.dev', '-n', ns, '-o', 'json'])).items as any[];
  return Object.fromEntries(list.map((w) => [w.metadata.name, w.status?.rollout?.state]));
}

async function connectionRollout(): Promise<any> {
  return JSON.parse(await kubectlOk(['get', 'coderconnections.coderops.dev', 'default', '-n', ns, '-o', 'json'])).status?.rollout;
}

const declare = (version?: string) =>
  apply(
    ...NAMES.map((n) =>
      workspace(ns, n, { owner: 'alice', template: 'docker', ...(version ? { version: { policy: 'Pinned', name: version } } : {}) }),
    ),
  );

describe('operator: a failing version', () => {
  it('halts after maxFailures, rolls back, says Halted on the others and the connection; resume and a fixed version move on', async () => {
    await declare();
    await eventually(
      'the fleet running',
      async () => (NAMES.every((n) => live(n) && latest(n).transition === 'start') ? true : undefined),
      30_000,
    );
    const v1 = latest('r0').templateVersionId;

    await declare('v2');
    const settled = await eventually(
      'the rollout halted and the failed ones rolled back',
      async () => {
        const s = await states();
        const rolledBack = NAMES.filter((n) => s[n] === 'RolledBack');
        const halted = NAMES.filter((n) => s[n] === 'Halted');
        return rolledBack.length >= 1 && rolledBack.length + halted.length === NAMES.length ? { rolledBack, halted } : undefined;
      },
      60_000,
    );
    // Never more than the limit tried; every workspace is running on v1.
    expect(settled.rolledBack.length).toBeLessThanOrEqual(2);
    for (const n of NAMES) expect(latest(n)).toMatchObject({ transition: 'start', templateVersionId: v1, outcome: 'succeeded' });
    for (const n of settled.halted) expect(live(n)!.builds).toHaveLength(1);
    const summary = await eventually(
      'the connection says so',
      async () => ((await connectionRollout())?.haltedVersions ? await connectionRollout() : undefined),
      20_000,
    );
    expect(summary).toMatchObject({ halted: settled.halted.length, rolledBack: settled.rolledBack.length });
    expect(summary.haltedVersions).toEqual([{ version: versionId('v2'), failures: settled.rolledBack.length }]);

    // Resume: one more workspace tries v2 (and is rolled back in turn); the rolled-back ones are not retried.
    await kubectlOk(['annotate', 'coderconnections.coderops.dev', 'default', '-n', ns, 'coderops.dev/resume-rollout=1', '--overwrite']);
    await eventually(
      'one more try after the resume',
      async () => {
        const s = await states();
        return NAMES.filter((n) => s[n] === 'RolledBack').length > settled.rolledBack.length ? true : undefined;
      },
      60_000,
    );
    for (const n of settled.rolledBack) expect(live(n)!.builds).toHaveLength(4);

    // A fixed version: everyone moves to it, running.
    await declare('v3');
    await eventually(
      'the fleet on v3',
      async () =>
        NAMES.every((n) => latest(n).templateVersionId === versionId('v3') && latest(n).transition === 'start') ? true : undefined,
      90_000,
    );
    await eventually(
      'the fleet up to date',
      async () => (Object.values(await states()).every((s) => s === 'UpToDate') ? true : undefined),
      30_000,
    );
  });
});
