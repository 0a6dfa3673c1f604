// The chart's RBAC, proven on a real apiserver: as the chart's ServiceAccount
// (a real TokenRequest token), every call the operator makes succeeds, and a
// few it must never make are refused.
import { beforeAll, describe, expect, it } from 'vitest';
import { coderConnectionManifest } from '../support/coder-connection.ts';
import { tokenSecret } from '../support/token-secret.ts';
import { parseAllDocuments } from 'yaml';
import { freshNamespace, helm, installCrds, kubectlOk, kubectlWith, serviceAccountKubeconfig, type Ran } from './kubectl.ts';

const CHART = 'helm/coder-workspace-operator';
const GROUP = '/apis/coderops.dev/v1alpha1';

interface Install {
  operatorNs: string;
  team: string;
  other: string;
  sa: string;
}

/** Renders the chart into a fresh namespace and applies it for real. */
async function install(values: string[], team: string, other: string): Promise<Install> {
  const operatorNs = await freshNamespace('cwo-system');
  const rendered = await helm(['template', 'cwo', CHART, '-n', operatorNs, ...values.flatMap((v) => ['--set', v])]);
  expect(rendered.stderr).toBe('');
  const docs = parseAllDocuments(rendered.stdout)
    .map((d) => d.toJS())
    .filter(Boolean);
  const sa = docs.find((d) => d.kind === 'ServiceAccount')?.metadata?.name;
  expect(sa).toBeTruthy();
  await kubectlOk(['apply', '--server-side', '-f', '-'], { stdin: rendered.stdout });
  return { operatorNs, team, other, sa };
}

/** Objects the operator works on: a Workspace, a CoderConnection and the Secret it names. */
async function seedTeam(ns: string): Promise<void> {
  const objects = [
    tokenSecret('coder-token', ns, { token: 'abcdefghij-0123456789abcdefghijkl' }),
    coderConnectionManifest('default', ns, { url: 'https://coder.example.com', tokenSecretRef: { name: 'coder-token', key: 'token' } }),
    {
      apiVersion: 'coderops.dev/v1alpha1',
      kind: 'Workspace',
      metadata: { name: 'dev', namespace: ns },
      spec: { owner: 'alice', template: 'docker' },
    },
    {
      apiVersion: 'coderops.dev/v1alpha1',
      kind: 'WorkspaceSet',
      metadata: { name: 'devs', namespace: ns },
      spec: { generators: [{ list: { elements: [{ username: 'alice' }] } }], template: { spec: { template: 'docker' } } },
    },
  ];
  await kubectlOk(['apply', '-f', '-'], { stdin: objects.map((o) => JSON.stringify(o)).join('\n---\n') });
}

function event(ns: string): string {
  return JSON.stringify({
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { generateName: 'dev-', namespace: ns },
    // MicroTime: exactly six fractional digits.
    eventTime: new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'),
    reportingController: 'coderops.dev/coder-workspace-operator',
    reportingInstance: 'cwo-0',
    action: 'Update',
    reason: 'Updated',
    note: 'ttl 4h -> 8h',
    type: 'Normal',
    regarding: { apiVersion: 'coderops.dev/v1alpha1', kind: 'Workspace', name: 'dev', namespace: ns },
  });
}

function lease(ns: string, holder: string): string {
  return JSON.stringify({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'coder-workspace-operator', namespace: ns },
    spec: { holderIdentity: holder, leaseDurationSeconds: 15 },
  });
}

type Call = { name: string; run: (kc: string, i: Install) => Promise<Ran> };

/** Every Kubernetes call the operator makes in the namespaces it serves. */
const OPERATOR_CALLS: Call[] = [
  {
    name: 'watch workspaces',
    run: (kc, i) => kubectlWith(kc, ['get', '--raw', `${GROUP}/namespaces/${i.team}/workspaces?watch=1&timeoutSeconds=1`]),
  },
  { name: 'list workspaces', run: (kc, i) => kubectlWith(kc, ['get', 'cws', '-n', i.team]) },
  { name: 'list connections', run: (kc, i) => kubectlWith(kc, ['get', 'coderconnections', '-n', i.team]) },
  {
    name: 'watch connections',
    run: (kc, i) => kubectlWith(kc, ['get', '--raw', `${GROUP}/namespaces/${i.team}/coderconnections?watch=1&timeoutSeconds=1`]),
  },
  { name: 'list cluster connections', run: (kc) => kubectlWith(kc, ['get', 'clustercoderconnections']) },
  {
    name: 'watch cluster connections',
    run: (kc) => kubectlWith(kc, ['get', '--raw', `${GROUP}/clustercoderconnections?watch=1&timeoutSeconds=1`]),
  },
  { name: 'list and watch namespaces', run: (kc) => kubectlWith(kc, ['get', '--raw', '/api/v1/namespaces?watch=1&timeoutSeconds=1']) },
  {
    // Each row is one verb of the chart's RBAC, written out: the command is what the row checks.
    name: 'add a finalizer',
    run: (kc, i) =>
      kubectlWith(kc, [
        'patch',
        'cws',
        'dev',
        '-n',
        i.team,
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":["coderops.dev/workspace"]}}',
      ]),
  },
  {
    name: 'patch workspace status',
    run: (kc, i) =>
      kubectlWith(kc, [
        'patch',
        'cws',
        'dev',
        '-n',
        i.team,
        '--subresource=status',
        '--type=merge',
        '-p',
        '{"status":{"observedGeneration":1}}',
      ]),
  },
  {
    name: 'patch connection status',
    run: (kc, i) =>
      kubectlWith(kc, [
        'patch',
        'coderconnection',
        'default',
        '-n',
        i.team,
        '--subresource=status',
        '--type=merge',
        '-p',
        '{"status":{"version":"v2.36.1"}}',
      ]),
  },
  {
    name: 'list and watch workspace sets',
    run: (kc, i) => kubectlWith(kc, ['get', '--raw', `${GROUP}/namespaces/${i.team}/workspacesets?watch=1&timeoutSeconds=1`]),
  },
  {
    name: 'patch workspace set status',
    run: (kc, i) =>
      kubectlWith(kc, [
        'patch',
        'workspacesets.coderops.dev',
        'devs',
        '-n',
        i.team,
        '--subresource=status',
        '--type=merge',
        '-p',
        '{"status":{"members":1}}',
      ]),
  },
  {
    // A child, as the set controller makes it: owned by the set, blockOwnerDeletion included.
    name: 'create and delete a set child',
    run: async (kc, i) => {
      const uid = (await kubectlWith(kc, ['get', 'workspacesets.coderops.dev', 'devs', '-n', i.team, '-o', 'jsonpath={.metadata.uid}']))
        .stdout;
      const child = {
        apiVersion: 'coderops.dev/v1alpha1',
        kind: 'Workspace',
        metadata: {
          name: 'devs-alice',
          namespace: i.team,
          ownerReferences: [
            { apiVersion: 'coderops.dev/v1alpha1', kind: 'WorkspaceSet', name: 'devs', uid, controller: true, blockOwnerDeletion: true },
          ],
        },
        spec: { owner: 'alice', template: 'docker' },
      };
      const created = await kubectlWith(kc, ['create', '-f', '-'], JSON.stringify(child));
      if (created.code !== 0) return created;
      return kubectlWith(kc, ['delete', 'cws', 'devs-alice', '-n', i.team, '--wait=false']);
    },
  },
  { name: 'get the named Secret', run: (kc, i) => kubectlWith(kc, ['get', 'secret', 'coder-token', '-n', i.team, '-o', 'name']) },
  { name: 'create an Event', run: (kc, i) => kubectlWith(kc, ['create', '-f', '-'], event(i.team)) },
  { name: 'create the leader Lease', run: (kc, i) => kubectlWith(kc, ['create', '-f', '-'], lease(i.operatorNs, 'cwo-0')) },
  { name: 'get the leader Lease', run: (kc, i) => kubectlWith(kc, ['get', 'lease', 'coder-workspace-operator', '-n', i.operatorNs]) },
  { name: 'renew the leader Lease', run: (kc, i) => kubectlWith(kc, ['replace', '-f', '-'], lease(i.operatorNs, 'cwo-1')) },
];

/** Calls the operator must never be able to make. */
const FORBIDDEN_CALLS: Call[] = [
  { name: 'list all Secrets cluster-wide', run: (kc) => kubectlWith(kc, ['get', '--raw', '/api/v1/secrets']) },
  { name: 'list Secrets in a served namespace', run: (kc, i) => kubectlWith(kc, ['get', 'secrets', '-n', i.team]) },
  {
    name: 'watch Secrets',
    run: (kc, i) => kubectlWith(kc, ['get', '--raw', `/api/v1/namespaces/${i.team}/secrets?watch=1&timeoutSeconds=1`]),
  },
  { name: 'create a Secret', run: (kc, i) => kubectlWith(kc, ['create', 'secret', 'generic', 'x', '-n', i.team, '--from-literal=a=b']) },
  { name: 'delete a namespace', run: (kc, i) => kubectlWith(kc, ['delete', 'namespace', i.team, '--wait=false']) },
  {
    name: 'delete a WorkspaceSet',
    run: (kc, i) => kubectlWith(kc, ['delete', 'workspacesets.coderops.dev', 'devs', '-n', i.team, '--wait=false']),
  },
  {
    name: 'change a WorkspaceSet',
    run: (kc, i) =>
      kubectlWith(kc, ['patch', 'workspacesets.coderops.dev', 'devs', '-n', i.team, '--type=merge', '-p', '{"spec":{"maxRemovals":1000}}']),
  },
  { name: 'take a Lease outside its namespace', run: (kc, i) => kubectlWith(kc, ['create', '-f', '-'], lease(i.team, 'cwo-0')) },
  { name: 'change a CRD', run: (kc) => kubectlWith(kc, ['delete', 'crd', 'workspaces.coderops.dev', '--wait=false']) },
];

function expectAllowed(ran: Ran, what: string): void {
  expect(ran.stderr, what).not.toMatch(/forbidden/i);
  expect(ran.code, `${what}: ${ran.stderr}`).toBe(0);
}

function expectForbidden(ran: Ran, what: string): void {
  expect(ran.code, what).not.toBe(0);
  expect(ran.stderr, what).toMatch(/forbidden/i);
}

beforeAll(async () => {
  await installCrds();
});

describe('cluster-wide install (default values)', () => {
  let i: Install;
  let kc: string;
  beforeAll(async () => {
    const team = await freshNamespace('team');
    i = await install([], team, team);
    await seedTeam(team);
    kc = await serviceAccountKubeconfig(i.operatorNs, i.sa);
  });

  it('every call the operator makes is allowed', async () => {
    for (const call of OPERATOR_CALLS) expectAllowed(await call.run(kc, i), call.name);
    expectAllowed(await kubectlWith(kc, ['get', '--raw', `${GROUP}/workspaces`]), 'list workspaces cluster-wide');
  });

  it('calls it must not make are refused', async () => {
    for (const call of FORBIDDEN_CALLS) expectForbidden(await call.run(kc, i), call.name);
  });
});

describe('install limited to watched namespaces', () => {
  let i: Install;
  let kc: string;
  beforeAll(async () => {
    const team = await freshNamespace('team');
    const other = await freshNamespace('other');
    i = await install([`watchNamespaces={${team}}`], team, other);
    await seedTeam(team);
    await seedTeam(other);
    kc = await serviceAccountKubeconfig(i.operatorNs, i.sa);
  });

  it('every call the operator makes in a watched namespace is allowed', async () => {
    for (const call of OPERATOR_CALLS) expectAllowed(await call.run(kc, i), call.name);
  });

  it('nothing in an unwatched namespace, and no cluster-wide workspace list', async () => {
    const outside = { ...i, team: i.other };
    for (const name of ['list workspaces', 'get the named Secret', 'patch workspace status', 'create an Event']) {
      const call = OPERATOR_CALLS.find((c) => c.name === name)!;
      expectForbidden(await call.run(kc, outside), `${name} in an unwatched namespace`);
    }
    expectForbidden(await kubectlWith(kc, ['get', '--raw', `${GROUP}/workspaces`]), 'list workspaces cluster-wide');
    for (const call of FORBIDDEN_CALLS) expectForbidden(await call.run(kc, i), call.name);
  });
});
