// The alerts, their promtool tests and the Grafana dashboard may only name
// series that exist: the operator's own (src/observability/metrics.ts, read
// from a live registry, so a renamed metric fails here), kube-state-metrics'
// from our custom-resource-state configuration, and `up`. Label names are
// checked too, per metric, against the labels it really has plus those a
// scrape adds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OperatorMetrics } from '../../../src/observability/metrics.ts';

const ROOT = join(import.meta.dirname, '../../..');
const FILES = join(ROOT, 'helm/coder-workspace-operator/files');
/** Labels Prometheus adds to every scraped series (ServiceMonitor: namespace, service, pod, container, endpoint). */
const SCRAPE_LABELS = ['namespace', 'job', 'instance', 'pod', 'service', 'container', 'endpoint', 'app_kubernetes_io_part_of'];

/** Series name -> its label names. */
async function operatorSeries(): Promise<Map<string, Set<string>>> {
  const metrics = new OperatorMetrics();
  const out = new Map<string, Set<string>>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    const labels = (metrics.registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] }).labelNames ?? [];
    const seen = new Set(m.values.flatMap((v) => Object.keys(v.labels)));
    const all = new Set([...labels, ...seen, ...SCRAPE_LABELS]);
    if (String(m.type) === 'histogram') {
      out.set(`${m.name}_bucket`, new Set([...all, 'le']));
      out.set(`${m.name}_sum`, all);
      out.set(`${m.name}_count`, all);
    } else {
      out.set(m.name, all);
    }
  }
  return out;
}

type KsmMetric = { name: string; each: { type: string; gauge?: { labelsFromPath?: object }; info?: { labelsFromPath?: object } } };
type KsmResource = { metricNamePrefix: string; labelsFromPath?: object; commonLabels?: object; metrics: KsmMetric[] };

/** kube-state-metrics' series: <metricNamePrefix>_<name>, with customresource_* and every labelsFromPath key. */
function ksmSeries(): Map<string, Set<string>> {
  const config = parse(readFileSync(join(FILES, 'kube-state-metrics-crs.yaml'), 'utf8'));
  const out = new Map<string, Set<string>>();
  for (const r of config.spec.resources as KsmResource[]) {
    for (const m of r.metrics) {
      const each = m.each.gauge ?? m.each.info ?? {};
      out.set(
        `${r.metricNamePrefix}_${m.name}`,
        new Set([
          'customresource_group',
          'customresource_kind',
          'customresource_version',
          ...Object.keys(r.labelsFromPath ?? {}),
          ...Object.keys(r.commonLabels ?? {}),
          ...Object.keys(each.labelsFromPath ?? {}),
          // kube-state-metrics' own scrape target labels (honorLabels keeps the resource's namespace).
          'job',
          'instance',
          'pod',
          'service',
          'container',
          'endpoint',
        ]),
      );
    }
  }
  return out;
}

/** Every `name{matchers}` and bare series name in a PromQL expression or series selector, with the label names it matches on. */
function selectors(expr: string): { name: string; labels: string[] }[] {
  const out: { name: string; labels: string[] }[] = [];
  const functions =
    /^(sum|max|min|avg|count|rate|increase|histogram_quantile|label_values|vector|by|without|or|and|unless|on|ignoring|group_left|absent|humanizePercentage|le)$/;
  // String contents (label values, regexes) emptied first: a brace or a word in them is neither.
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{([^}]*)\})?/g)) {
    const name = m[1]!;
    if (functions.test(name) || !/_|^up$/.test(name)) continue;
    // Words inside a by (...) list or a matcher are labels, not series: skip them here.
    const before = bare.slice(0, m.index);
    if (/\b(by|without)\s*\([^)]*$/.test(before) || /\{[^}]*$/.test(before)) continue;
    const labels = [...(m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((l) => l[1]!);
    out.push({ name, labels });
  }
  return out;
}

function byLabels(expr: string): string[] {
  return [...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) =>
    m[1]!
      .split(',')
      .map((l) => l.trim())
      .filter(Boolean),
  );
}

const rules = parse(readFileSync(join(FILES, 'prometheus-rules.yaml'), 'utf8')).groups.flatMap(
  (g: { rules: { alert: string; expr: string }[] }) => g.rules,
);
const promtoolTests = parse(readFileSync(join(ROOT, 'test/monitoring/prometheus-rules.test.yaml'), 'utf8')).tests as {
  input_series: { series: string }[];
}[];
const dashboard = JSON.parse(readFileSync(join(FILES, 'grafana-dashboard.json'), 'utf8'));
const dashboardExprs: { where: string; expr: string }[] = [
  ...dashboard.panels.flatMap((p: { title: string; targets?: { expr: string }[] }) =>
    (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })),
  ),
  ...dashboard.templating.list
    .filter((v: { type: string }) => v.type === 'query')
    .map((v: { name: string; query: { query: string } }) => ({ where: `variable $${v.name}`, expr: v.query.query })),
];

describe('series named by the alerts and the dashboard', () => {
  it('the selector parser finds names and matchers (so the checks below can fail)', () => {
    expect(selectors('sum by (namespace, job) (rate(cwo_x_total{code="0", route=~"a{b}"}[5m])) / up')).toEqual([
      { name: 'cwo_x_total', labels: ['code', 'route'] },
      { name: 'up', labels: [] },
    ]);
    expect(byLabels('sum by (a, b) (x) / max without (c) (y)')).toEqual(['a', 'b', 'c']);
  });

  it('every alert expression names exported series and labels they have', async () => {
    const known = new Map([...(await operatorSeries()), ...ksmSeries(), ['up', new Set(SCRAPE_LABELS)]]);
    for (const rule of rules) {
      const used = selectors(rule.expr);
      expect(used.length, `${rule.alert} names a series`).toBeGreaterThan(0);
      for (const s of used) {
        expect(known.has(s.name), `${rule.alert}: ${s.name} is not exported`).toBe(true);
        for (const l of s.labels) expect(known.get(s.name)!.has(l), `${rule.alert}: ${s.name} has no label ${l}`).toBe(true);
      }
      const labels = new Set(used.flatMap((s) => [...known.get(s.name)!]));
      for (const l of byLabels(rule.expr)) expect(labels.has(l), `${rule.alert}: no series in it has the label ${l}`).toBe(true);
    }
  });

  it("every promtool input series is one the operator or kube-state-metrics exports, with that series' labels", async () => {
    const known = new Map([...(await operatorSeries()), ...ksmSeries(), ['up', new Set(SCRAPE_LABELS)]]);
    const series = promtoolTests.flatMap((t) => t.input_series.map((s) => s.series));
    expect(series.length).toBeGreaterThan(20);
    for (const s of series) {
      const [sel] = selectors(s);
      expect(known.has(sel!.name), `${s}: not exported`).toBe(true);
      for (const l of sel!.labels) expect(known.get(sel!.name)!.has(l), `${s}: ${sel!.name} has no label ${l}`).toBe(true);
    }
  });

  it('every dashboard query names exported series and labels they have', async () => {
    const known = new Map([...(await operatorSeries()), ...ksmSeries()]);
    expect(dashboardExprs.length).toBeGreaterThan(15);
    for (const { where, expr } of dashboardExprs) {
      const used = selectors(expr.replace(/\$__rate_interval/g, '5m'));
      expect(used.length, `${where} names a series`).toBeGreaterThan(0);
      for (const s of used) {
        expect(known.has(s.name), `${where}: ${s.name} is not exported`).toBe(true);
        for (const l of s.labels) expect(known.get(s.name)!.has(l), `${where}: ${s.name} has no label ${l}`).toBe(true);
      }
    }
  });

  it('the dashboard covers what an operator admin asks first', () => {
    const all = dashboardExprs.map((d) => d.expr).join('\n');
    for (const name of [
      'coderops_workspace_status_condition', // fleet Ready/Synced
      'cwo_rollout_workspaces', // rollout progress per connection
      'cwo_coder_request_duration_seconds_bucket', // Coder latency
      'cwo_coder_requests_total', // 429s
      'cwo_workqueue_depth',
      'cwo_workqueue_in_flight',
      'cwo_process_resident_memory_bytes',
    ])
      expect(all, name).toContain(name);
    const ids = dashboard.panels.map((p: { id: number }) => p.id);
    expect(new Set(ids).size, 'panel ids are unique').toBe(ids.length);
  });
});
