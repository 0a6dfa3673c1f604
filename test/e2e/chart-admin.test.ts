// What a cluster admin expects of the chart beyond the operator itself: a
// PodDisruptionBudget per Deployment with more than one replica, an optional
// NetworkPolicy, topology spread, the monitoring objects, all accepted by a
// real apiserver; and a chart repository (helm package + index.yaml) whose
// archive renders the alerts promtool tested.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { binaries } from '../control-plane/control-plane.ts';
import { freshNamespace, helm, installCrds, kubectl } from './kubectl.ts';

const CHART = 'helm/coder-workspace-operator';

function objects(rendered: string): any[] {
  return parseAllDocuments(rendered)
    .map((d) => d.toJS())
    .filter(Boolean);
}

async function render(...values: string[]): Promise<any[]> {
  const ran = await helm(['template', 'cwo', CHART, '-n', 'cwo-system', ...values.flatMap((v) => ['--set', v])]);
  expect(ran.stderr).toBe('');
  expect(ran.code).toBe(0);
  return objects(ran.stdout);
}

beforeAll(async () => {
  await installCrds();
});

describe('PodDisruptionBudget', () => {
  it('one per Deployment that runs more than one replica, selecting exactly its Pods', async () => {
    const objs = await render('replicaCount=2', 'shards[0].name=s1', 'shards[0].replicaCount=1', 'shards[1].name=s2');
    const deployments = objs.filter((o) => o.kind === 'Deployment');
    const pdbs = objs.filter((o) => o.kind === 'PodDisruptionBudget');
    expect(deployments.map((d) => `${d.metadata.name}:${d.spec.replicas}`)).toEqual([
      'cwo-coder-workspace-operator:2',
      'cwo-coder-workspace-operator-s1:1',
      'cwo-coder-workspace-operator-s2:2',
    ]);
    expect(pdbs.map((p) => p.metadata.name)).toEqual(['cwo-coder-workspace-operator', 'cwo-coder-workspace-operator-s2']);
    for (const pdb of pdbs) {
      const d = deployments.find((x) => x.metadata.name === pdb.metadata.name);
      expect(pdb.spec.selector.matchLabels).toEqual(d.spec.selector.matchLabels);
      expect(pdb.spec.maxUnavailable).toBe(1);
      // It selects no other Deployment's Pods.
      for (const other of deployments.filter((x) => x !== d)) {
        const labels = other.spec.template.metadata.labels;
        expect(Object.entries(pdb.spec.selector.matchLabels).every(([k, v]) => labels[k] === v)).toBe(false);
      }
    }
  });

  it('none with one replica; minAvailable replaces maxUnavailable when set', async () => {
    expect((await render('replicaCount=1')).some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
    expect((await render('podDisruptionBudget.enabled=false')).some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
    const [pdb] = (await render('replicaCount=3', 'podDisruptionBudget.minAvailable=2')).filter((o) => o.kind === 'PodDisruptionBudget');
    expect(pdb.spec).toMatchObject({ minAvailable: 2 });
    expect(pdb.spec.maxUnavailable).toBeUndefined();
  });
});

describe('Pod placement', () => {
  it('spreads each Deployment over nodes with its own selector; priorityClassName passes through', async () => {
    const objs = await render('shards[0].name=s1', 'priorityClassName=system-cluster-critical');
    for (const d of objs.filter((o) => o.kind === 'Deployment')) {
      const spec = d.spec.template.spec;
      expect(spec.priorityClassName).toBe('system-cluster-critical');
      expect(spec.topologySpreadConstraints).toEqual([
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: d.spec.selector.matchLabels },
        },
      ]);
    }
  });
});

describe('NetworkPolicy', () => {
  it('off by default; on, it lets in only metrics and probes and out only DNS, the API server and Coder', async () => {
    expect((await render()).some((o) => o.kind === 'NetworkPolicy')).toBe(false);
    const [np] = (
      await render(
        'networkPolicy.enabled=true',
        'networkPolicy.coder.to[0].ipBlock.cidr=10.20.0.0/16',
        'networkPolicy.coder.ports={443,8443}',
      )
    ).filter((o) => o.kind === 'NetworkPolicy');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress.map((r: any) => r.ports.map((p: any) => p.port))).toEqual([['metrics'], ['probes']]);
    const egress = np.spec.egress.map((r: any) => ({ ports: r.ports.map((p: any) => `${p.port}/${p.protocol}`), to: r.to }));
    expect(egress[0].ports).toEqual(['53/UDP', '53/TCP']);
    expect(egress[1]).toEqual({ ports: ['443/TCP', '6443/TCP'], to: undefined });
    expect(egress[2]).toEqual({ ports: ['443/TCP', '8443/TCP'], to: [{ ipBlock: { cidr: '10.20.0.0/16' } }] });
    expect(egress).toHaveLength(3);
  });
});

describe('the admin objects against the real apiserver', () => {
  it('PDBs, NetworkPolicy, dashboard and kube-state-metrics objects pass a strict server-side dry run', async () => {
    const ns = await freshNamespace('chart-admin');
    const ran = await helm([
      'template',
      'cwo',
      CHART,
      '-n',
      ns,
      ...[
        'shards[0].name=s1',
        'networkPolicy.enabled=true',
        'grafanaDashboard.enabled=true',
        'kubeStateMetrics.enabled=true',
        'kubeStateMetrics.serviceAccount.name=kube-state-metrics',
        'priorityClassName=system-cluster-critical',
      ].flatMap((v) => ['--set', v]),
    ]);
    expect(ran.code, ran.stderr).toBe(0);
    const kinds = objects(ran.stdout).map((o) => o.kind);
    for (const k of ['PodDisruptionBudget', 'NetworkPolicy', 'ConfigMap', 'ClusterRole', 'ClusterRoleBinding'])
      expect(kinds, `renders a ${k}`).toContain(k);
    const dry = await kubectl(['apply', '--server-side', '--dry-run=server', '--validate=strict', '-f', '-'], { stdin: ran.stdout });
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
  });

  it('refuses prometheusRule without metrics', async () => {
    const ran = await helm(['template', 'cwo', CHART, '--set', 'prometheusRule.enabled=true', '--set', 'metrics.enabled=false']);
    expect(ran.code).not.toBe(0);
    expect(ran.stderr).toContain('prometheusRule.enabled needs metrics.enabled=true');
  });
});

describe('chart repository', () => {
  it('helm package + helm repo index: the archive, its digest in index.yaml, and it renders the alerts promtool tested', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cwo-chart-repo-'));
    const url = 'https://charts.example.com/cwo';
    const ran = spawnSync('bash', ['scripts/chart/package.sh', out, url], {
      encoding: 'utf8',
      env: { ...process.env, HELM: binaries().helm },
    });
    expect(ran.status, ran.stderr).toBe(0);
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8'));
    const archive = `coder-workspace-operator-${chart.version}.tgz`;
    expect(readdirSync(out).sort()).toEqual([archive, 'index.yaml']);
    const index = parse(readFileSync(join(out, 'index.yaml'), 'utf8'));
    const [entry] = index.entries['coder-workspace-operator'];
    expect(entry).toMatchObject({ version: chart.version, appVersion: chart.appVersion, urls: [`${url}/${archive}`] });
    expect(entry.digest).toBe(
      createHash('sha256')
        .update(readFileSync(join(out, archive)))
        .digest('hex'),
    );

    // The archive holds the monitoring files and the CRDs, and renders the alert rules verbatim.
    const rendered = await helm(['template', 'cwo', join(out, archive), '--set', 'prometheusRule.enabled=true']);
    expect(rendered.code, rendered.stderr).toBe(0);
    const rule = objects(rendered.stdout).find((o) => o.kind === 'PrometheusRule');
    const file = parse(readFileSync(join(CHART, 'files/prometheus-rules.yaml'), 'utf8'));
    expect(rule.spec.groups).toEqual(file.groups);
    // And promtool's tests pass on the rules as the chart renders them.
    const dir = mkdtempSync(join(tmpdir(), 'cwo-rendered-rules-'));
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
    const tests = parse(readFileSync('test/monitoring/prometheus-rules.test.yaml', 'utf8'));
    writeFileSync(join(dir, 'tests.yaml'), stringify({ ...tests, rule_files: ['rules.yaml'] }));
    const promtool = spawnSync('promtool', ['test', 'rules', 'tests.yaml'], { cwd: dir, encoding: 'utf8' });
    expect(promtool.status, promtool.stdout + promtool.stderr).toBe(0);

    // Packaging again into the same directory keeps the index valid (merged, one entry per version).
    expect(spawnSync('bash', ['scripts/chart/package.sh', out, url], { env: { ...process.env, HELM: binaries().helm } }).status).toBe(0);
    expect(parse(readFileSync(join(out, 'index.yaml'), 'utf8')).entries['coder-workspace-operator']).toHaveLength(1);
  });
});
