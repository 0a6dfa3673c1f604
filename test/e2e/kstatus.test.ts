// What Flux (kustomize-controller's health checks), kpt and cli-utils' apply
// waiters see for live Workspaces (issue 11, item 7): the real kstatus library
// (our probe test/e2e/kstatus, on sigs.k8s.io/cli-utils) reads what the running
// operator wrote, for a Workspace in each state. Builds in the simulator last
// ten minutes unless a test finishes them (finishBuild), so "creating" and
// "deleting" stay put while they are looked at.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coderConnectionManifest } from '../support/coder-connection.ts';
import { tokenSecret } from '../support/token-secret.ts';
import type { SimBuild } from '../../src/coder-sim/model.ts';
import { binaries } from '../control-plane/control-plane.ts';
import { kubectl, kubectlOk } from './kubectl.ts';
import {
  apply,
  condition,
  eventually,
  getWorkspace,
  measure,
  setToken,
  setUpOperatorEnv,
  waitSettled,
  workspace,
  TEST_RESYNC_MS,
  type OperatorEnv,
  type OperatorProcess,
} from './operator-harness.ts';

const LONG_BUILD_MS = 10 * 60_000;

// One operator env per file, seeded and flagged for this file's cases; what every file shares is setUpOperatorEnv (operator-harness.ts).
let env: OperatorEnv;
let op: OperatorProcess;
let ns: string;

beforeAll(async () => {
  env = await setUpOperatorEnv({
    sim: {
      buildDurationMs: LONG_BUILD_MS,
      seed: {
        users: [{ username: 'admin', roles: ['owner'] }, { username: 'alice' }],
        templates: [{ name: 'docker' }],
        template_versions: [
          { template: 'docker', name: 'v1', active: true },
          { template: 'docker', name: 'v2' },
        ],
      },
    },
  });
  ns = env.teams[0]!;
  // A connection whose maintenance window is closed on any day but January 1st.
  await apply(
    tokenSecret('windowed-token', ns),
    coderConnectionManifest('windowed', ns, {
      url: env.sim.url,
      tokenSecretRef: { name: 'windowed-token', key: 'token' },
      rollout: { window: { schedule: '0 3 1 1 *', duration: '1m', timezone: 'UTC' } },
    }),
  );
  await setToken(ns, env.sim.tokenFor('admin'), 'windowed-token');
  op = await env.start({ name: 'kstatus' });
});

afterAll(async () => {
  if (op) process.stdout.write(`[e2e] operator log: ${op.logFile}\n`);
  await env?.close();
});

interface KStatus {
  status: string;
  message: string;
}

/** kstatus.Compute over every Workspace of the namespace, as `kubectl get -o json` shows them. */
async function kstatus(): Promise<Map<string, KStatus>> {
  const list = await kubectlOk(['get', 'workspaces.coderops.dev', '-n', ns, '-o', 'json']);
  const out = await new Promise<string>((resolve, reject) => {
    const child = execFile(binaries().kstatus, [], (error, stdout, stderr) =>
      error ? reject(new Error(`kstatus: ${stderr || error.message}`)) : resolve(stdout),
    );
    child.stdin!.end(list);
  });
  const results = new Map<string, KStatus>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [name, status, message] = line.split('\t');
    results.set(name!, { status: status!, message: message ?? '' });
  }
  return results;
}

async function kstatusOf(name: string): Promise<KStatus | undefined> {
  return (await kstatus()).get(name);
}

/** The latest build of the Coder workspace alice/name, once the operator created it. */
async function latestBuild(name: string): Promise<SimBuild> {
  return eventually(
    `alice/${name} in Coder`,
    () => {
      const ws = env.sim.state.findLiveWorkspace(env.sim.state.findUser('alice')!.id, name);
      return ws ? env.sim.state.latestBuildOf(ws.id) : undefined;
    },
    20_000,
  );
}

/** Coder finishes the running build now, as it would after its provisioner ran. */
async function finishBuild(name: string, outcome: SimBuild['outcome'] = 'succeeded'): Promise<void> {
  const build = await latestBuild(name);
  build.outcome = outcome;
  build.durationMs = 0;
}

async function ready(name: string, spec: Record<string, unknown> = {}): Promise<void> {
  await apply(workspace(ns, name, { owner: 'alice', template: 'docker', ...spec }));
  await finishBuild(name);
  await waitSettled(ns, name, undefined, 30_000);
}

async function patch(name: string, spec: Record<string, unknown>): Promise<void> {
  await kubectlOk(['patch', 'workspaces.coderops.dev', name, '-n', ns, '--type=merge', '-p', JSON.stringify({ spec })]);
}

/** Waits until the operator reported on the current generation and the probe says `status`. */
async function expectKstatus(name: string, status: string, until: (ws: any) => boolean): Promise<KStatus> {
  await eventually(
    `${name}: the operator's status for its generation`,
    async () => {
      const ws = await getWorkspace(ns, name);
      return ws.status?.observedGeneration === ws.metadata.generation && until(ws);
    },
    30_000,
  );
  const got = await kstatusOf(name);
  expect(got, `${name}: ${JSON.stringify((await getWorkspace(ns, name)).status?.conditions)}`).toMatchObject({ status });
  return got!;
}

const reason = (type: string, r: string) => (ws: any) => condition(ws, type)?.reason === r;

describe('kstatus (sigs.k8s.io/cli-utils) on live Workspaces', () => {
  it('Ready: Current', async () => {
    await ready('ready');
    expect(await kstatusOf('ready')).toEqual({ status: 'Current', message: 'Resource is Ready' });
  });

  it('creating (the create build runs): InProgress', async () => {
    await apply(workspace(ns, 'creating', { owner: 'alice', template: 'docker' }));
    const k = await expectKstatus('creating', 'InProgress', reason('Ready', 'Provisioning'));
    expect(k.message).toMatch(/build #1 \(start\) is (pending|starting)/);
  });

  it('a failed build: Failed (Stalled), not InProgress forever', async () => {
    await apply(workspace(ns, 'failed', { owner: 'alice', template: 'docker' }));
    await finishBuild('failed', 'failed');
    const k = await expectKstatus('failed', 'Failed', reason('Ready', 'BuildFailed'));
    expect(k.message).toMatch(/build #1 \(start\) failed/);
  });

  it('InvalidSpec (a time zone the CRD admits and the operator refuses): Failed, naming the field', async () => {
    await apply(
      workspace(ns, 'invalid', {
        owner: 'alice',
        template: 'docker',
        autostart: { schedule: '0 9 * * 1-5', timezone: 'Mars/Olympus_Mons' },
      }),
    );
    const k = await expectKstatus('invalid', 'Failed', reason('Synced', 'InvalidSpec'));
    expect(k.message).toMatch(/spec\.autostart\.timezone/);
  });

  it('suspended after Ready: Current (generation moved, observedGeneration with it)', async () => {
    await ready('suspended');
    await patch('suspended', { suspend: true });
    await expectKstatus('suspended', 'Current', reason('Suspended', 'Suspended'));
  });

  it('suspended before it was ever reconciled: Current, not InProgress until it is resumed', async () => {
    await apply(workspace(ns, 'suspended-early', { owner: 'alice', template: 'docker', suspend: true }));
    await expectKstatus('suspended-early', 'Current', reason('Suspended', 'Suspended'));
    expect(env.sim.state.findLiveWorkspace(env.sim.state.findUser('alice')!.id, 'suspended-early'), 'no Coder workspace').toBeUndefined();
  });

  it('suspended after a failed build: Current (the operator is told to leave it alone)', async () => {
    await apply(workspace(ns, 'suspended-failed', { owner: 'alice', template: 'docker' }));
    await finishBuild('suspended-failed', 'failed');
    await expectKstatus('suspended-failed', 'Failed', reason('Ready', 'BuildFailed'));
    await patch('suspended-failed', { suspend: true });
    await expectKstatus('suspended-failed', 'Current', reason('Suspended', 'Suspended'));
  });

  it('rolling out (a new version waits for the closed maintenance window): InProgress', async () => {
    await ready('rolling', { connectionRef: { kind: 'CoderConnection', name: 'windowed' }, version: { policy: 'Pinned', name: 'v1' } });
    await patch('rolling', { version: { policy: 'Pinned', name: 'v2' } });
    const k = await expectKstatus('rolling', 'InProgress', reason('Synced', 'WaitingForWindow'));
    expect(k.message).toMatch(/window/);
    expect(condition(await getWorkspace(ns, 'rolling'), 'Ready')?.status, 'still usable meanwhile').toBe('True');
  });

  it('deleting (deletionPolicy Delete, the delete build runs): Terminating, until the finalizer goes', async () => {
    await ready('deleting', { deletionPolicy: 'Delete' });
    await kubectlOk(['delete', 'workspaces.coderops.dev', 'deleting', '-n', ns, '--wait=false']);
    await eventually('the delete build', async () => (await latestBuild('deleting')).transition === 'delete', 20_000);
    await expectKstatus('deleting', 'Terminating', reason('Ready', 'Deleting'));
  });

  it('all at once, from one List: the table a Flux user gets', async () => {
    const all = await kstatus();
    const table = [...all].map(([name, k]) => `${name}=${k.status}`).sort();
    measure(`kstatus (cli-utils v0.37.2) over live Workspaces: ${table.join(', ')}`);
    expect(Object.fromEntries([...all].map(([name, k]) => [name, k.status]))).toEqual({
      ready: 'Current',
      creating: 'InProgress',
      failed: 'Failed',
      invalid: 'Failed',
      suspended: 'Current',
      'suspended-early': 'Current',
      'suspended-failed': 'Current',
      rolling: 'InProgress',
      deleting: 'Terminating',
    });
  });

  it('idle resyncs rewrite none of them: Reconciling and Stalled stay as they are', async () => {
    const versions = async () => {
      const list = JSON.parse(await kubectlOk(['get', 'workspaces.coderops.dev', '-n', ns, '-o', 'json']));
      return Object.fromEntries(list.items.map((w: any) => [w.metadata.name, w.metadata.resourceVersion]));
    };
    const before = await versions();
    env.sim.resetCalls();
    await new Promise((r) => setTimeout(r, 2 * TEST_RESYNC_MS + 1_000));
    const lists = env.sim.calls.filter((c) => c.method === 'GET' && c.route === '/api/v2/workspaces').length;
    expect(lists, 'resyncs ran').toBeGreaterThanOrEqual(1);
    expect(await versions()).toEqual(before);
  });

  it('the creating one, once its build ends: Current; the deleting one, once Coder deleted it: gone', async () => {
    await finishBuild('creating');
    await waitSettled(ns, 'creating', undefined, 30_000);
    expect((await kstatusOf('creating'))?.status).toBe('Current');
    await finishBuild('deleting');
    await eventually(
      'deleting gone',
      async () => (await kubectl(['get', 'workspaces.coderops.dev', 'deleting', '-n', ns])).code !== 0,
      30_000,
    );
  });
});
