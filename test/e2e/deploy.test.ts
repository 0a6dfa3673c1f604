// The plain manifests and the Helm chart against a real apiserver: everything
// renders, lints, and passes a strict server-side dry run.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseLabelSelector } from '../../src/kube/label-selector.ts';
import { freshNamespace, helm, installCrds, kubectl, kubectlOk } from './kubectl.ts';

const CHART = 'helm/coder-workspace-operator';

beforeAll(async () => {
  await installCrds();
});

function kinds(yamlText: string): string[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS())
    .filter(Boolean)
    .map((o) => `${o.kind}/${o.metadata?.name}`);
}

/** Every rendered object names its namespace, so none is passed here. */
async function dryRun(yamlText: string) {
  return kubectl(['apply', '--server-side', '--dry-run=server', '--validate=strict', '-f', '-'], { stdin: yamlText });
}

describe('manifests/', () => {
  it('passes a strict server-side dry run', async () => {
    const files = (await readdir('manifests')).filter((f) => /\.ya?ml$/.test(f)).sort();
    const text = (await Promise.all(files.map((f) => readFile(join('manifests', f), 'utf8')))).join('\n---\n');
    const objects = kinds(text);
    for (const kind of ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Deployment', 'Service'])
      expect(
        objects.some((o) => o.startsWith(`${kind}/`)),
        `manifests/ has a ${kind}`,
      ).toBe(true);
    // The namespace must exist for namespaced objects to dry-run; create it for real first.
    const ns = parseAllDocuments(text)
      .map((d) => d.toJS())
      .find((o) => o?.kind === 'Namespace');
    await kubectl(['apply', '--server-side', '-f', '-'], { stdin: JSON.stringify(ns) });
    const ran = await dryRun(text);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
  });

  it('runs the operator hardened: non-root, read-only root, no privilege escalation, probes, limits, leader election', async () => {
    const files = await readdir('manifests');
    const docs = (await Promise.all(files.map((f) => readFile(join('manifests', f), 'utf8')))).flatMap((t) =>
      parseAllDocuments(t).map((d) => d.toJS()),
    );
    const deployment = docs.find((d) => d?.kind === 'Deployment');
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(deployment.spec.replicas).toBe(2);
    expect(container.args).toEqual(expect.arrayContaining(['run', '--leader-elect']));
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.resources.limits).toBeDefined();
    expect(container.resources.requests).toBeDefined();
  });
});

describe('helm chart', () => {
  it('lints strictly', async () => {
    const ran = await helm(['lint', '--strict', CHART]);
    expect(ran.stdout + ran.stderr).toContain('0 chart(s) failed');
    expect(ran.code).toBe(0);
  });

  it("ships the repository's CRDs unchanged", async () => {
    for (const file of await readdir('crds')) {
      expect(await readFile(join(CHART, 'crds', file), 'utf8'), file).toBe(await readFile(join('crds', file), 'utf8'));
    }
  });

  it.each([
    { name: 'default values', values: [] as string[] },
    {
      name: 'non-default values',
      values: [
        'watchNamespaces={team-a,team-b}',
        'deletionPolicy=Delete',
        'logLevel=debug',
        'replicaCount=1',
        'leaderElection.enabled=false',
        'connection.create=true',
        'connection.namespace=team-a',
        'connection.url=https://coder.example.com',
        'connection.token=abcdefghij-0123456789abcdefghijkl',
        'resources.limits.memory=512Mi',
      ],
    },
  ])('renders with $name and passes a strict server-side dry run', async ({ values }) => {
    const ns = await freshNamespace('chart');
    for (const watched of ['team-a', 'team-b']) await kubectl(['create', 'namespace', watched]);
    const rendered = await helm(['template', 'cwo', CHART, '-n', ns, ...values.flatMap((v) => ['--set', v])]);
    expect(rendered.stderr).toBe('');
    expect(rendered.code).toBe(0);
    const objects = kinds(rendered.stdout);
    expect(objects.some((o) => o.startsWith('Deployment/'))).toBe(true);
    const ran = await dryRun(rendered.stdout);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    for (const doc of parseAllDocuments(rendered.stdout)
      .map((d) => d.toJS())
      .filter(Boolean)) {
      expect(doc.metadata.labels?.['app.kubernetes.io/name'], `${doc.kind}/${doc.metadata.name} labels`).toBe('coder-workspace-operator');
      expect(doc.metadata.labels?.['app.kubernetes.io/managed-by'], `${doc.kind}/${doc.metadata.name} labels`).toBe('Helm');
      // The operator uses a Secret as a token only with this opt-in label.
      if (doc.kind === 'Secret')
        expect(doc.metadata.labels?.['coderops.dev/secret-type'], `${doc.metadata.name} opt-in label`).toBe('coder-token');
    }
  });

  it('an optional ServiceMonitor renders when asked for', async () => {
    const rendered = await helm(['template', 'cwo', CHART, '--set', 'metrics.serviceMonitor.enabled=true']);
    expect(rendered.code).toBe(0);
    expect(kinds(rendered.stdout).some((o) => o.startsWith('ServiceMonitor/'))).toBe(true);
  });

  it.each([
    { name: 'an unknown deletion policy', values: ['deletionPolicy=Sometimes'] },
    { name: 'an unknown value key', values: ['replicas=3'] },
    { name: 'two replicas without leader election', values: ['replicaCount=2', 'leaderElection.enabled=false'] },
    { name: 'a shard listed twice', values: ['shards[0].name=a', 'shards[1].name=a'] },
    { name: 'a shard name that is not a DNS label', values: ['shards[0].name=Shard_1'] },
    {
      name: 'a shard of two replicas without leader election',
      values: ['replicaCount=1', 'leaderElection.enabled=false', 'shards[0].name=a', 'shards[0].replicaCount=2'],
    },
  ])('refuses $name with a message', async ({ values }) => {
    const rendered = await helm(['template', 'cwo', CHART, ...values.flatMap((v) => ['--set', v])]);
    expect(rendered.code).not.toBe(0);
    expect(rendered.stderr.length).toBeGreaterThan(0);
  });

  it('shards: one Deployment per shard plus the main one, each with its selector and Lease, on shared RBAC', async () => {
    const values = ['shards[0].name=shard1', 'shards[1].name=shard2', 'shards[1].replicaCount=1'];
    const plain = parseAllDocuments((await helm(['template', 'cwo', CHART])).stdout)
      .map((d) => d.toJS())
      .filter(Boolean);
    const rendered = await helm(['template', 'cwo', CHART, '-n', 'cwo-sharded', ...values.flatMap((v) => ['--set', v])]);
    expect(rendered.stderr).toBe('');
    expect(rendered.code).toBe(0);
    const docs = parseAllDocuments(rendered.stdout)
      .map((d) => d.toJS())
      .filter(Boolean);
    const deployments = docs.filter((d) => d.kind === 'Deployment');
    const args = (d: any): string[] => d.spec.template.spec.containers[0].args;
    const flag = (d: any, name: string) =>
      args(d)
        .find((a) => a.startsWith(`--${name}=`))
        ?.slice(name.length + 3);
    expect(
      deployments.map((d) => [d.metadata.name, flag(d, 'watch-label-selector'), flag(d, 'leader-election-id'), d.spec.replicas]),
    ).toEqual([
      ['cwo-coder-workspace-operator', '!coderops.dev/shard', 'coder-workspace-operator', 2],
      ['cwo-coder-workspace-operator-shard1', 'coderops.dev/shard=shard1', 'coder-workspace-operator-shard1', 2],
      ['cwo-coder-workspace-operator-shard2', 'coderops.dev/shard=shard2', 'coder-workspace-operator-shard2', 1],
    ]);
    // Every selector is one the operator accepts.
    for (const d of deployments) expect(() => parseLabelSelector(flag(d, 'watch-label-selector')!)).not.toThrow();
    // No Deployment's selector (nor metrics Service's) takes another Deployment's Pods.
    const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    const services = docs.filter((d) => d.kind === 'Service');
    expect(services).toHaveLength(3);
    for (const selector of [...deployments.map((d) => d.spec.selector.matchLabels), ...services.map((s) => s.spec.selector)])
      expect(
        deployments.filter((d) => matches(selector, d.spec.template.metadata.labels)),
        JSON.stringify(selector),
      ).toHaveLength(1);
    // One identity for all: the same ServiceAccount, and the RBAC of an unsharded install, no more.
    expect(new Set(deployments.map((d) => d.spec.template.spec.serviceAccountName)).size).toBe(1);
    const rbac = (ds: any[]) =>
      ds
        .filter((d) => /^(ServiceAccount|ClusterRole|ClusterRoleBinding|Role|RoleBinding)$/.test(d.kind))
        .map((d) => `${d.kind}/${d.metadata.name}`);
    expect(rbac(docs)).toEqual(rbac(plain));
    // The main Deployment is the unsharded one plus its selector and explicit Lease: an upgrade keeps its Pods' identity.
    const before = plain.find((d) => d.kind === 'Deployment');
    expect(deployments[0].spec.selector).toEqual(before.spec.selector);
    expect(args(deployments[0]).filter((a) => !args(before).includes(a))).toEqual([
      '--leader-election-id=coder-workspace-operator',
      '--watch-label-selector=!coderops.dev/shard',
    ]);

    const ns = await freshNamespace('sharded');
    const installed = await helm(['install', ns, CHART, '-n', ns, ...values.flatMap((v) => ['--set', v])]);
    expect(installed.stderr).toBe('');
    expect(installed.code).toBe(0);
    const names = (await kubectlOk(['get', 'deployments', '-n', ns, '-o', 'name'])).trim().split('\n').sort();
    expect(names).toEqual([
      `deployment.apps/${ns}-coder-workspace-operator`,
      `deployment.apps/${ns}-coder-workspace-operator-shard1`,
      `deployment.apps/${ns}-coder-workspace-operator-shard2`,
    ]);
  });

  it('installs for real, and the release shows up', async () => {
    const ns = await freshNamespace('release');
    // Cluster-scoped names derive from the release name: one of its own.
    const ran = await helm(['install', ns, CHART, '-n', ns]);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(await kubectlOk(['get', 'deployment', '-n', ns, '-o', 'name'])).toMatch(/deployment.apps\/\S+/);
  });
});
