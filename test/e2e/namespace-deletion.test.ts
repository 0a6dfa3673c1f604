// Issue 18 item 8 on a real apiserver, the operator running with the chart's
// RBAC: a namespace whose Workspaces have deletionPolicy Delete goes away
// cleanly, and their Coder workspaces are deleted. On main the namespace's
// Secret and CoderConnection were deleted with the Workspaces; the Workspaces
// then sat in ConnectionNotReady with their finalizer, the namespace stuck in
// Terminating.
//
// A bare kube-apiserver runs no namespace controller (docs/real-control-plane.md
// in ../shared): deleting a namespace only marks it Terminating. So the test
// does the namespace controller's part itself, as it does it: delete every
// object in the namespace at once (Workspaces, CoderConnections, Secrets, all
// marked together), wait until they are gone, then finalize the namespace
// (PUT .../finalize without the "kubernetes" finalizer), which the controller
// does once the namespace is empty.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, eventually, setUpOperatorEnv, waitSettled, workspace, type OperatorEnv, type OperatorProcess } from './operator-harness.ts';
import { kubectl, kubectlOk } from './kubectl.ts';

let env: OperatorEnv;
let op: OperatorProcess;
let ns: string;

beforeAll(async () => {
  env = await setUpOperatorEnv({ teams: 1, sim: { buildDurationMs: 200, rateLimitPerMinute: 0 } });
  [ns] = env.teams as [string];
  op = await env.start({ name: 'ns-deletion' });
}, 120_000);

afterAll(async () => {
  await env?.close();
});

const names = ['del-a', 'del-b'];

async function finalizers(kind: string, name: string): Promise<string[]> {
  const got = await kubectl(['get', kind, name, '-n', ns, '-o', 'jsonpath={.metadata.finalizers}']);
  return got.code === 0 && got.stdout.trim() !== '' ? (JSON.parse(got.stdout) as string[]) : [];
}

async function gone(kind: string, name: string): Promise<boolean> {
  const got = await kubectl(['get', kind, name, '-n', ns, '--ignore-not-found', '-o', 'name']);
  return got.code === 0 && got.stdout.trim() === '';
}

describe('deleting a namespace with Delete-policy Workspaces', () => {
  it('runs their delete builds, then lets the connection and its Secret go; the namespace finishes', async () => {
    await apply(...names.map((n) => workspace(ns, n, { owner: 'alice', template: 'docker', deletionPolicy: 'Delete' })));
    for (const n of names) await waitSettled(ns, n, undefined, 60_000);
    const alice = env.sim.state.findUser('alice')!;
    for (const n of names) expect(env.sim.state.findLiveWorkspace(alice.id, n), `${n} in Coder`).toBeDefined();
    // Kept while they need them: the connection's finalizer and the Secret's (one of this connection's own).
    expect(await finalizers('coderconnections.coderops.dev', 'default')).toEqual(['coderops.dev/in-use']);
    expect(await finalizers('secret', 'coder-token')).toEqual([expect.stringMatching(/^coderops\.dev\/token-of-[0-9a-f]{16}$/)]);

    // The namespace controller's part: the namespace Terminating, every object in it deleted at once.
    await kubectlOk(['delete', 'namespace', ns, '--wait=false']);
    await kubectlOk(['delete', 'workspaces.coderops.dev,coderconnections.coderops.dev,secrets', '--all', '-n', ns, '--wait=false']);

    await eventually(
      'the Workspaces gone (their finalizer removed after the delete builds)',
      async () => (await Promise.all(names.map((n) => gone('workspaces.coderops.dev', n)))).every(Boolean),
      60_000,
      { detail: async () => (await op.logs()).slice(-3000) },
    );
    for (const n of names) expect(env.sim.state.findLiveWorkspace(alice.id, n), `${n} deleted in Coder`).toBeUndefined();
    await eventually(
      'the connection and its Secret gone once no Workspace needs them',
      async () => (await gone('coderconnections.coderops.dev', 'default')) && (await gone('secret', 'coder-token')),
      30_000,
      { detail: async () => (await op.logs()).slice(-3000) },
    );

    // Empty now: what the namespace controller does last.
    const namespace = JSON.parse(await kubectlOk(['get', 'namespace', ns, '-o', 'json']));
    expect(namespace.status.phase).toBe('Terminating');
    await kubectlOk(['replace', '--raw', `/api/v1/namespaces/${ns}/finalize`, '-f', '-'], {
      stdin: JSON.stringify({ ...namespace, spec: { finalizers: [] } }),
    });
    await eventually('the namespace gone', async () => (await kubectl(['get', 'namespace', ns])).code !== 0, 30_000);
  }, 180_000);
});
