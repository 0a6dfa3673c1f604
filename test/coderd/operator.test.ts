// The operator on the real control plane against a real coderd: the
// CoderConnection reports Ready with the server's version before any
// Workspace exists, a Workspace goes to Ready, edits and drift converge,
// deletion follows each policy, favorites reach the owner, a tenancy rule
// denies, and a quiet resync writes nothing. What is asserted is coderd's own
// answer; the recording proxy shows the operator's calls.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterCoderConnectionManifest } from '../support/coder-connection.ts';
import { tokenSecret } from '../support/token-secret.ts';
import { kubectlOk } from '../e2e/kubectl.ts';
import {
  apply,
  condition,
  eventually,
  getWorkspace,
  setToken,
  setUpOperatorBase,
  TEST_RESYNC_MS,
  waitSettled,
  workspace,
  type OperatorBase,
} from '../e2e/operator-harness.ts';
import { loginAs } from './bootstrap.ts';
import { uniqueName } from './cli-harness.ts';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.ts';
import { server, world } from './world.ts';

const HOUR = 3_600_000;
const coder = server();
let proxy: RecordingProxy;
let env: OperatorBase;
let team: string;
let other: string;

beforeAll(async () => {
  proxy = await startRecordingProxy(coder.url);
  env = await setUpOperatorBase({ url: proxy.url, token: coder.adminToken }, { teams: 2 });
  [team, other] = env.teams as [string, string];
  await env.start({ name: 'coderd-op' });
});

afterAll(async () => {
  await env?.close();
  await proxy?.close();
});

async function coderWorkspace(owner: string, name: string): Promise<any> {
  const ws = await eventually(`coderd has ${owner}/${name}`, () => coder.admin.workspaceByName(owner, name), 30_000);
  return coder.admin.waitBuild(ws.id);
}

describe(`operator on a real coderd ${world().version}`, () => {
  it('a CoderConnection reports Ready with the server version before any Workspace uses it', async () => {
    const cc = await eventually(
      'CoderConnection Ready',
      async () => {
        const c = JSON.parse(await kubectlOk(['get', 'coderconnections.coderops.dev', 'default', '-n', other, '-o', 'json']));
        return condition(c, 'Ready')?.status === 'True' ? c : undefined;
      },
      30_000,
    );
    expect(JSON.stringify(cc.status)).toContain(world().version);
  });

  it('kubectl apply -> Ready; an edit converges; drift made in Coder is corrected on resync', async () => {
    const name = uniqueName('op');
    await apply(workspace(team, name, { owner: 'ann', template: 'docker', ttl: '4h' }));
    const ready = await waitSettled(team, name, undefined, 60_000);
    const ws = await coderWorkspace('ann', name);
    expect(ready.status.id).toBe(ws.id);
    expect(ws.ttl_ms).toBe(4 * HOUR);

    await apply(workspace(team, name, { owner: 'ann', template: 'docker', ttl: '2h', automaticUpdates: 'always' }));
    await eventually(
      'edit reached coderd',
      async () => {
        const w = await coder.admin.get(`/api/v2/workspaces/${ws.id}`);
        return w.ttl_ms === 2 * HOUR && w.automatic_updates === 'always';
      },
      30_000,
    );
    await waitSettled(team, name, undefined, 30_000);

    await coder.admin.request('PUT', `/api/v2/workspaces/${ws.id}/ttl`, { ttl_ms: HOUR });
    await eventually(
      'drift corrected on resync',
      async () => (await coder.admin.get(`/api/v2/workspaces/${ws.id}`)).ttl_ms === 2 * HOUR,
      4 * TEST_RESYNC_MS + 20_000,
    );

    // Quiet: two whole resync periods with nothing to change make no write call.
    await waitSettled(team, name, undefined, 30_000);
    await new Promise((r) => setTimeout(r, TEST_RESYNC_MS));
    proxy.reset();
    await new Promise((r) => setTimeout(r, 2 * TEST_RESYNC_MS + 1_000));
    expect(proxy.calls.filter((c) => c.path === '/api/v2/workspaces').length, 'the operator kept resyncing').toBeGreaterThan(0);
    expect(proxy.writes()).toEqual([]);
  });

  it('favorite: the owner sees it, also once the workspace is dormant', async () => {
    const name = uniqueName('fav');
    await apply(workspace(team, name, { owner: 'bob', template: 'plain', favorite: true }));
    await waitSettled(team, name, undefined, 60_000);
    const ws = await coderWorkspace('bob', name);
    const bob = await loginAs(coder.url, 'bob');
    expect((await bob.get(`/api/v2/workspaces/${ws.id}`)).favorite).toBe(true);
    await apply(workspace(team, name, { owner: 'bob', template: 'plain', favorite: false, dormant: true }));
    await eventually(
      'unfavorited while dormant',
      async () => {
        const w = await bob.get(`/api/v2/workspaces/${ws.id}`);
        return w.favorite === false && Boolean(w.dormant_at);
      },
      30_000,
    );
    const settled = await waitSettled(team, name, undefined, 30_000);
    expect(condition(settled, 'Ready')?.status).toBe('True');
  });

  it('deletionPolicy: Delete deletes the Coder workspace, Orphan leaves it', async () => {
    const [doomed, kept] = [uniqueName('opdel'), uniqueName('opkeep')];
    await apply(
      workspace(team, doomed, { owner: 'carl', template: 'plain', deletionPolicy: 'Delete' }),
      workspace(team, kept, { owner: 'carl', template: 'plain', deletionPolicy: 'Orphan' }),
    );
    await waitSettled(team, doomed, undefined, 60_000);
    await waitSettled(team, kept, undefined, 60_000);
    const [d, k] = [await coderWorkspace('carl', doomed), await coderWorkspace('carl', kept)];
    await kubectlOk(['delete', 'workspaces.coderops.dev', doomed, kept, '-n', team, '--timeout=90s']);
    expect(await coder.admin.workspaceByName('carl', doomed)).toBeUndefined();
    const gone = await coder.admin.get(`/api/v2/workspaces/${d.id}?include_deleted=true`);
    expect(gone.latest_build.transition).toBe('delete');
    expect(gone.latest_build.status).toBe('deleted');
    expect((await coder.admin.get(`/api/v2/workspaces/${k.id}`)).latest_build.transition).toBe('start');
  });

  it('tenancy: a ClusterCoderConnection denies an owner its rule does not list, and nothing reaches coderd', async () => {
    const cluster = `coderd-${randomBytes(3).toString('hex')}`;
    // allowedUrls is required for a ClusterCoderConnection: the URL its admin token may be sent to.
    await apply(tokenSecret('cluster-token', env.operatorNs, { allowedUrls: proxy.url }));
    await setToken(env.operatorNs, coder.adminToken, 'cluster-token');
    await apply(
      clusterCoderConnectionManifest(cluster, {
        url: proxy.url,
        tokenSecretRef: { name: 'cluster-token', key: 'token', namespace: env.operatorNs },
        allow: [{ namespaceSelector: { matchNames: [other] }, owners: ['ann'] }],
      }),
    );
    try {
      const name = uniqueName('deny');
      await apply(
        workspace(other, name, { owner: 'dora', template: 'plain', connectionRef: { kind: 'ClusterCoderConnection', name: cluster } }),
      );
      const ws = await eventually(
        'Forbidden',
        async () => {
          const w = await getWorkspace(other, name);
          return condition(w, 'Ready')?.reason === 'Forbidden' ? w : undefined;
        },
        30_000,
      );
      expect(condition(ws, 'Ready')?.status).toBe('False');
      expect(await coder.admin.workspaceByName('dora', name)).toBeUndefined();
      expect(proxy.calls.some((c) => c.path.includes(name))).toBe(false);
    } finally {
      await kubectlOk(['delete', 'clustercoderconnections.coderops.dev', cluster, '--ignore-not-found', '--wait=false']).catch(
        () => undefined,
      );
    }
  });
});
