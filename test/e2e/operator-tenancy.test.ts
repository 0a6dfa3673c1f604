// Tenancy with a ClusterCoderConnection (one admin token for the cluster):
// it serves only the namespaces its allow rules select, and only the owners
// listed for them. Anything else is Ready=False, reason Forbidden, and makes
// no Coder call. Default deny: a connection without rules serves nobody.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterCoderConnectionManifest } from '../support/coder-connection.ts';
import { tokenSecret } from '../support/token-secret.ts';
import { kubectlOk } from './kubectl.ts';
import {
  apply,
  condition,
  createsByName,
  eventually,
  getWorkspace,
  setToken,
  setUpOperatorEnv,
  waitSettled,
  workspace,
  type OperatorEnv,
} from './operator-harness.ts';

let env: OperatorEnv;
let allowed: string;
let denied: string;
const shared = `shared-${randomBytes(3).toString('hex')}`;
const closed = `closed-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  env = await setUpOperatorEnv({ teams: 2 });
  [allowed, denied] = env.teams as [string, string];
  // The cluster token lives in the operator's namespace, where team members cannot read it.
  // allowedUrls is required for a ClusterCoderConnection: the URL its admin token may be sent to.
  await apply(tokenSecret('cluster-token', env.operatorNs, { allowedUrls: env.sim.url }));
  await setToken(env.operatorNs, env.sim.tokenFor('admin'), 'cluster-token');
  const spec = (allow: object[]) => ({
    url: env.sim.url,
    tokenSecretRef: { name: 'cluster-token', key: 'token', namespace: env.operatorNs },
    allow,
  });
  await apply(
    clusterCoderConnectionManifest(shared, spec([{ namespaceSelector: { matchNames: [allowed] }, owners: ['alice'] }])),
    clusterCoderConnectionManifest(closed, spec([])),
  );
  await env.start({ name: 'tenancy' });
});

afterAll(async () => {
  await env?.close();
  await kubectlOk(['delete', 'clustercoderconnections.coderops.dev', shared, closed, '--ignore-not-found', '--wait=false']).catch(
    () => undefined,
  );
});

const ref = (name: string) => ({ connectionRef: { kind: 'ClusterCoderConnection', name } });

async function expectForbidden(ns: string, name: string): Promise<void> {
  const ws = await eventually(
    `${ns}/${name} Forbidden`,
    async () => {
      const w = await getWorkspace(ns, name);
      return condition(w, 'Ready')?.reason === 'Forbidden' ? w : undefined;
    },
    15_000,
  );
  expect(condition(ws, 'Ready')?.status).toBe('False');
  expect(condition(ws, 'Ready')?.message, 'says why').toBeTruthy();
  expect(ws.status.id).toBeUndefined();
  expect(createsByName(env.sim).get(name), `no Coder create for ${name}`).toBeUndefined();
}

describe('ClusterCoderConnection tenancy', () => {
  it('allow: a selected namespace with an allowed owner gets its workspace', async () => {
    await apply(workspace(allowed, 'tenant-ok', { owner: 'alice', template: 'docker', ...ref(shared) }));
    const ws = await waitSettled(allowed, 'tenant-ok', 'Created', 20_000);
    const sim = env.sim.state.findLiveWorkspace(env.sim.state.findUser('alice')!.id, 'tenant-ok');
    expect(ws.status.id).toBe(sim?.id);
    expect(createsByName(env.sim).get('tenant-ok')).toBe(1);
  });

  it('deny: an owner the rule does not list, in a selected namespace', async () => {
    await apply(workspace(allowed, 'tenant-bob', { owner: 'bob', template: 'docker', ...ref(shared) }));
    await expectForbidden(allowed, 'tenant-bob');
  });

  it('deny: a namespace no rule selects, even for an allowed owner', async () => {
    await apply(workspace(denied, 'tenant-other', { owner: 'alice', template: 'docker', ...ref(shared) }));
    await expectForbidden(denied, 'tenant-other');
  });

  it('default deny: a ClusterCoderConnection without allow rules serves nobody', async () => {
    await apply(workspace(allowed, 'tenant-closed', { owner: 'alice', template: 'docker', ...ref(closed) }));
    await expectForbidden(allowed, 'tenant-closed');
  });

  it('allow by namespace label: labelling the namespace admits it', async () => {
    const label = `cwo-tenant-${randomBytes(2).toString('hex')}`;
    await apply(
      clusterCoderConnectionManifest(shared, {
        url: env.sim.url,
        tokenSecretRef: { name: 'cluster-token', key: 'token', namespace: env.operatorNs },
        allow: [
          { namespaceSelector: { matchNames: [allowed] }, owners: ['alice'] },
          { namespaceSelector: { matchLabels: { [label]: 'yes' } }, owners: ['alice'] },
        ],
      }),
    );
    await kubectlOk(['label', 'namespace', denied, `${label}=yes`]);
    const ws = await waitSettled(denied, 'tenant-other', undefined, 30_000);
    expect(ws.status.id).toBeTruthy();
    expect(createsByName(env.sim).get('tenant-other')).toBe(1);
  });
});
